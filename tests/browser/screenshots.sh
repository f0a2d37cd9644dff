#!/usr/bin/env bash
# Writes the HTML page of every command (reweight, sample, evaluate, deidentify, audit) for the
# committed Adult sample and synthetic customers, and a headless-Chromium screenshot of each, so
# a reviewer can look at them:
#
#   tests/browser/screenshots.sh [OUT_DIR]     # default: target/report-screenshots
#
# Needs Debian's `chromium` (apt-get install chromium). Builds fairsynth (debug) if needed.
set -euo pipefail
cd "$(dirname "$0")/../.."
out=${1:-target/report-screenshots}
mkdir -p "$out"
out=$(cd "$out" && pwd)
cargo build --quiet
bin=target/debug/fairsynth
adult=tests/data/adult_sample.csv

"$bin" reweight "$adult" --schema schemas/adult.yaml -q -o "$out/reweighted.parquet" --html "$out/reweight.html"
"$bin" fit "$adult" --schema schemas/adult.yaml -q -o "$out/adult.model.json"
"$bin" sample "$out/adult.model.json" --schema-targets -q -o "$out/synthetic.parquet" --html "$out/sample.html"
# The gates of adult.yaml may fail on a sample of 2,036 rows: the page is written either way.
"$bin" evaluate --real "$adult" --synthetic "$out/synthetic.parquet" --schema schemas/adult.yaml -q --html "$out/evaluate.html" || true
"$bin" synth --schema schemas/customers.yaml --rows 5000 -q -o "$out/customers.parquet"
FAIRSYNTH_KEY=screenshot-key-0123456789abcdef "$bin" deidentify "$out/customers.parquet" --schema schemas/customers.yaml -q -o "$out/deidentified.parquet" --html "$out/deidentify.html"
"$bin" audit "$adult" --schema schemas/adult.yaml --as-of 2026-12-01 -q --html "$out/audit.html" || true

for page in reweight sample evaluate deidentify audit; do
    profile=$(mktemp -d)
    chromium --headless --no-sandbox --disable-gpu --disable-background-networking --no-first-run \
        --disable-component-update --disable-sync --user-data-dir="$profile" \
        --screenshot="$out/$page.png" --window-size=1200,2000 "file://$out/$page.html" >/dev/null 2>&1
    rm -rf "$profile"
    echo "$out/$page.png"
done
