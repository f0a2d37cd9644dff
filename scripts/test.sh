#!/usr/bin/env bash
# The README's test command: every suite of the project.
#   1. `cargo test` (unit, CLI, golden, property, fault, fuzz-regression and browser tests);
#   2. the Python package: built as a wheel with maturin in the same dev profile (so it reuses
#      the dependencies `cargo test` compiled), installed into a throwaway virtual environment
#      inside the clone (target/py-venv, with maturin, pytest, pyarrow, pandas, polars, DuckDB,
#      scikit-learn (the guide trains a model on weighted rows) and
#      PySpark from PyPI), and tested with pytest against the CLI binary cargo just built
#      (the Spark tests in local mode need a Java runtime: `java` on the PATH);
#   3. the README's and the book's examples (docs/tests): every command shown is run and its
#      output compared, every link followed, the generated reference pages compared.
# The virtual environment is made first: cargo test's pandas cross-check runs in it.
# Arguments go to cargo and maturin (CI passes --locked).
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== the Python tools: a virtual environment in target/py-venv"
venv=target/py-venv
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
fi
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
    "maturin>=1.9,<2" "pytest>=8" "pyarrow>=14" "pandas>=2.2" "polars>=1.0" "duckdb>=1.1" \
    "pyspark>=3.4" "openpyxl>=3.1" "cryptography>=42" "scikit-learn>=1.4"
# The Rust tests that cross-check with pandas (tests/deidentify_linked.rs) must run them here.
export FAIRSYNTH_TEST_PYTHON="$PWD/$venv/bin/python"

echo "== cargo test $*"
start=$SECONDS
cargo test "$@"
echo "== cargo test took $((SECONDS - start)) s"

echo "== Python package: maturin wheel (dev profile), pytest"
start=$SECONDS
rm -rf target/wheels/dev
"$venv/bin/maturin" build --quiet --profile dev --manifest-path python/Cargo.toml \
    --interpreter "$venv/bin/python" --out target/wheels/dev "$@"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --force-reinstall --no-deps \
    target/wheels/dev/fairsynth-*.whl
# The tests compare every function with the CLI binary cargo test just built. The Spark tests
# (marker `spark`) need Java; without it they skip, unless FAIRSYNTH_REQUIRE_SPARK=1 (CI).
FAIRSYNTH_BIN=${FAIRSYNTH_BIN:-$PWD/target/debug/fairsynth} \
    "$venv/bin/python" -m pytest python/tests -q -p no:cacheprovider
echo "== the Python package's build and tests took $((SECONDS - start)) s"

echo "== the README and the book (docs/): every example run and its output compared, links, generated reference"
start=$SECONDS
FAIRSYNTH_BIN=${FAIRSYNTH_BIN:-$PWD/target/debug/fairsynth} \
    "$venv/bin/python" -m pytest docs/tests -q -p no:cacheprovider
echo "== the book's examples took $((SECONDS - start)) s"
