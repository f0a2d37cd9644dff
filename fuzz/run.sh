#!/usr/bin/env bash
# Runs every fuzz target for a bounded time (default 60 s each) from its seed corpus.
# Usage: fuzz/run.sh [SECONDS] [TARGET...]
# Needs a nightly toolchain and cargo-fuzz: rustup toolchain install nightly;
# cargo install cargo-fuzz. A crash leaves its input in fuzz/artifacts/TARGET/ and makes the
# script exit non-zero; save it under tests/data/fuzz/TARGET/ (see fuzz/README.md).
set -euo pipefail
cd "$(dirname "$0")"
secs=${1:-60}
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    targets=(schema targets csv parquet model dialect key_material)
fi
status=0
for t in "${targets[@]}"; do
    # Work on a copy: new inputs found during the run stay out of the committed seeds.
    work=$(mktemp -d)
    cp -r "corpus/$t/." "$work/"
    echo "== fuzz $t for ${secs}s"
    if ! cargo +nightly fuzz run "$t" "$work" -- \
        -max_total_time="$secs" -max_len=65536 -rss_limit_mb=4096 -timeout=20 \
        -print_final_stats=1; then
        status=1
    fi
    rm -rf "$work"
done
exit $status
