#!/usr/bin/env bash
# Reproducible synthesis benchmark (release build). Prints and records in bench-out/:
#  1. in-process: fairsynth's generate + parallel encode against the encode limit (arrow-rs's
#     single ArrowWriter on the same pre-generated batches), measured in the same run;
#  2. whole process: `fairsynth synth` on the 8-column table at 10M and 100M rows, wall time
#     and peak RSS, and the 15-column customers table at 10M rows;
#  3. reweight: in-process against the I/O floor (arrow-rs read + write of the same file) on
#     the Adult table resampled to 1M rows, then the whole process at 1M rows and, for peak
#     RSS, at REWEIGHT_BIG_ROWS (default 100M) rows. Adult comes from ../shared/data/adult.csv
#     when present, else from the committed sample tests/data/adult_sample.csv;
#  4. deidentify: the structured table of benches/deid.yaml (id pseudonymised, age, date and
#     region generalised to k = 5) at 1M and 10M rows, whole process, against the I/O floor
#     (arrow-rs reading and writing the same file, single writer) measured in the same run;
#     `inspect` of the same file; detection throughput per text column (`--bench detect`).
#  5. model: `cargo bench --bench model` (fit against the read floor, sample against the encode
#     limit, in-process), then the whole processes: `fit` on Adult, `sample` of MODEL_ROWS
#     (default 1M) rows, and `evaluate` of those rows against Adult.
# ROWS (default 10000000) and BIG_ROWS (default 100000000) override the sizes; RUNS the repeats;
# SECTIONS (default "synth reweight deidentify model") picks sections.
set -euo pipefail
cd "$(dirname "$0")/.."
ROWS=${ROWS:-10000000}
BIG_ROWS=${BIG_ROWS:-100000000}
RUNS=${RUNS:-5}
mkdir -p bench-out
cargo build --release --quiet
bin=target/release/fairsynth
SECTIONS=${SECTIONS:-"synth reweight deidentify model"}
want() { [[ " $SECTIONS " == *" $1 "* ]]; }
adult=../shared/data/adult.csv
[ -f "$adult" ] || adult=tests/data/adult_sample.csv
echo "machine: $(nproc) cores, $(uname -m), $(rustc --version)"

if want synth; then

FAIRSYNTH_BENCH_ROWS=$ROWS cargo bench --quiet --bench synth

echo "whole process (fairsynth synth, zstd, all cores):"
python3 benches/measure.py "bench8, $ROWS rows" "$RUNS" bench-out/cli-bench8.json -- \
    $bin synth --schema benches/bench8.yaml --rows "$ROWS" -q -o bench-out/bench8.parquet
python3 benches/measure.py "bench8, $BIG_ROWS rows" 1 bench-out/cli-bench8-big.json -- \
    $bin synth --schema benches/bench8.yaml --rows "$BIG_ROWS" -q -o bench-out/bench8-big.parquet
python3 benches/measure.py "customers (15 columns), $ROWS rows" 3 bench-out/cli-customers.json -- \
    $bin synth --schema schemas/customers.yaml --rows "$ROWS" -q -o bench-out/customers.parquet
rm -f bench-out/*.parquet
fi

if want reweight; then
REWEIGHT_BIG_ROWS=${REWEIGHT_BIG_ROWS:-100000000}
echo "reweight (input: Adult from $adult, bootstrapped):"
cargo bench --quiet --bench reweight -- prepare 1000000 "$PWD/bench-out/adult_1m.parquet" "$PWD/$adult"
cargo bench --quiet --bench reweight
python3 benches/measure.py "reweight 1M rows, 3 margins + parity" "$RUNS" bench-out/cli-reweight.json -- \
    $bin reweight bench-out/adult_1m.parquet --schema schemas/adult.yaml -q -o bench-out/rw.parquet
cargo bench --quiet --bench reweight -- prepare "$REWEIGHT_BIG_ROWS" "$PWD/bench-out/adult_big.parquet" "$PWD/$adult"
python3 benches/measure.py "reweight $REWEIGHT_BIG_ROWS rows, 3 margins + parity" 1 bench-out/cli-reweight-big.json -- \
    $bin reweight bench-out/adult_big.parquet --schema schemas/adult.yaml -q -o bench-out/rw.parquet
rm -f bench-out/*.parquet
fi

if want deidentify; then
echo "deidentify (benches/deid.yaml):"
export FAIRSYNTH_KEY=benchmark-key-not-secret-0123456789
for n in 1000000 10000000; do
    $bin synth --schema benches/deid.yaml --rows $n -q -o bench-out/deid_in.parquet
    floor=$(for r in 1 2 3; do cargo bench --quiet --bench reweight -- copy "$PWD/bench-out/deid_in.parquet" "$PWD/bench-out/copy.parquet"; done | sort -n | sed -n 2p)
    python3 benches/measure.py "deidentify $n rows" "$RUNS" bench-out/cli-deid-$n.json -- \
        $bin deidentify bench-out/deid_in.parquet --schema benches/deid.yaml -q -o bench-out/deid_out.parquet
    python3 -c "import json; r=json.load(open('bench-out/cli-deid-$n.json')); m=r['wall_s']['median']; print(f'    {$n/m:,.0f} rows/s; I/O floor (read + write copy, median of 3) {$floor:.3f} s; deidentify takes {m/$floor:.2f}x the floor')"
    python3 benches/measure.py "inspect $n rows" "$RUNS" bench-out/cli-inspect-$n.json -- \
        $bin inspect bench-out/deid_in.parquet --report bench-out/inspect.json -q
    python3 -c "import json; r=json.load(open('bench-out/cli-inspect-$n.json')); m=r['wall_s']['median']; print(f'    inspect: {$n/m:,.0f} rows/s')"
done
echo "detection throughput per text column (in process):"
cargo bench --quiet --bench detect
rm -f bench-out/*.parquet
fi

if want model; then
MODEL_ROWS=${MODEL_ROWS:-1000000}
echo "fit / sample / evaluate (Adult from $adult):"
FAIRSYNTH_BENCH_ROWS=$MODEL_ROWS FAIRSYNTH_BENCH_ADULT=$adult cargo bench --quiet --bench model
python3 benches/measure.py "fit Adult" "$RUNS" bench-out/cli-fit.json -- \
    $bin fit "$adult" --schema schemas/adult.yaml -q -o bench-out/adult.model.json
python3 benches/measure.py "sample $MODEL_ROWS rows, schema targets + parity" "$RUNS" bench-out/cli-sample.json -- \
    $bin sample bench-out/adult.model.json --rows "$MODEL_ROWS" --schema-targets -q -o bench-out/adult_syn.parquet
python3 benches/measure.py "evaluate $MODEL_ROWS rows against Adult" "$RUNS" bench-out/cli-evaluate.json -- \
    $bin evaluate --real "$adult" --synthetic bench-out/adult_syn.parquet --schema schemas/adult.yaml \
    --report bench-out/evaluate.json -q
python3 -c "import json; r=json.load(open('bench-out/cli-sample.json')); m=r['wall_s']['median']; print(f'    sample: {$MODEL_ROWS/m:,.0f} rows/s end to end')"
rm -f bench-out/*.parquet
fi

if want synth; then
python3 - <<'PY'
import json
s = json.load(open("bench-out/synth.json"))
small = json.load(open("bench-out/cli-bench8.json"))
big = json.load(open("bench-out/cli-bench8-big.json"))
limit = sorted(s["limit_s"])[len(s["limit_s"]) // 2]
cli = small["wall_s"]["median"]
print("summary:")
print(f"  whole process vs encode limit: {limit / cli:.2f}x  ({s['rows'] / cli:,.0f} rows/s end to end)")
print(f"  peak RSS: {small['peak_rss_mib']:.0f} MiB at {s['rows']:,} rows, "
      f"{big['peak_rss_mib']:.0f} MiB at the large size ({big['peak_rss_mib'] / small['peak_rss_mib']:.2f}x)")
PY
fi
