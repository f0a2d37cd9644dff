#!/usr/bin/env bash
# Linked-table generation against tpchgen-cli (issue 23). NOT part of CI: it installs
# tpchgen-cli from crates.io (a few minutes to build) and writes gigabytes at scale factor 10.
#
# Both tools write TPC-H's eight tables as Parquet (zstd) into a fresh folder: fairsynth from
# benches/tpch.yaml (`synth --scale SF`), tpchgen-cli at `--scale-factor SF`. Each run is timed
# with /usr/bin/time (wall seconds, peak resident memory); runs alternate between the tools so
# that machine load falls on both alike, and the medians are printed with their ratio.
#
# Usage: benches/tpch.sh            Env: SFS (default "1 10"), RUNS (default 3),
#                                        TPCHGEN_VERSION (default 4.0.0), OUT (bench-out/tpch)
set -euo pipefail
cd "$(dirname "$0")/.."
SFS=${SFS:-"1 10"}
RUNS=${RUNS:-3}
OUT=${OUT:-bench-out/tpch}
TPCHGEN_VERSION=${TPCHGEN_VERSION:-4.0.0}
TOOLS=target/bench-tools
if [ ! -x "$TOOLS/bin/tpchgen-cli" ]; then
    cargo install --quiet --locked --root "$TOOLS" tpchgen-cli --version "$TPCHGEN_VERSION"
fi
nice cargo build --quiet --release -p fairsynth --bin fairsynth
mkdir -p "$OUT"
results="$OUT/results.tsv"
printf 'tool\tsf\trun\twall_s\tpeak_mib\tdisk\n' > "$results"

for sf in $SFS; do
    for run in $(seq "$RUNS"); do
        for tool in fairsynth tpchgen; do
            dir="$OUT/$tool-sf$sf"
            rm -rf "$dir"
            mkdir -p "$dir"
            if [ "$tool" = fairsynth ]; then
                cmd=(target/release/fairsynth synth --schema benches/tpch.yaml --scale "$sf" -q -o "$dir")
            else
                cmd=("$TOOLS/bin/tpchgen-cli" parquet --scale-factor "$sf" --compression 'ZSTD(1)' --quiet --no-progress --output-dir "$dir")
            fi
            /usr/bin/time -f '%e %M' -o "$OUT/time.txt" "${cmd[@]}"
            read -r wall kib < "$OUT/time.txt"
            printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$tool" "$sf" "$run" "$wall" "$((kib / 1024))" "$(du -sm "$dir" | cut -f1)MB" >> "$results"
            rm -rf "$dir"
        done
    done
done
python3 - "$results" <<'PY'
import csv, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1]), delimiter="\t"))
for sf in sorted({r["sf"] for r in rows}, key=float):
    med = {}
    for tool in ("fairsynth", "tpchgen"):
        rs = [r for r in rows if r["sf"] == sf and r["tool"] == tool]
        med[tool] = (statistics.median(float(r["wall_s"]) for r in rs),
                     statistics.median(int(r["peak_mib"]) for r in rs), rs[0]["disk"])
        print(f"SF {sf} {tool:9s}: median {med[tool][0]:.2f} s, peak {med[tool][1]} MiB, {med[tool][2]} on disk ({len(rs)} runs)")
    print(f"SF {sf} time ratio fairsynth / tpchgen-cli: {med['fairsynth'][0] / med['tpchgen'][0]:.2f}")
PY
