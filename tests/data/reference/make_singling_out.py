"""Singling-out reference figures, computed with pandas on fairsynth's de-identified output.

An independent check of `deidentify`'s `singling_out` report: the share of written rows that
are unique over (a) the quasi-identifiers, (b) every released column, (c) the
quasi-identifiers plus each other column, counted with pandas `groupby(...).size()` (nulls
kept as a value of their own).

Usage (from the project root, with pandas and pyarrow installed):

    cargo run -- deidentify tests/data/adult_sample.csv --schema tests/data/schemas/adult_deid.yaml -o /tmp/adult_deid.parquet
    python tests/data/reference/make_singling_out.py /tmp/adult_deid.parquet > tests/data/reference/singling_out.json
"""

import json
import sys

import pandas as pd

QUASI = ["age", "sex"]


def unique_rows(df: pd.DataFrame, cols: list) -> int:
    if not cols:
        return int(len(df) == 1)
    sizes = df.groupby(cols, dropna=False, observed=True).size()
    return int((sizes == 1).sum())


def main() -> None:
    df = pd.read_parquet(sys.argv[1])
    # Categories compare by their text.
    for c in df.columns:
        if isinstance(df[c].dtype, pd.CategoricalDtype):
            df[c] = df[c].astype(object)
    n = len(df)
    released = list(df.columns)
    base = unique_rows(df, QUASI)
    out = {
        "rows": n,
        "quasi_identifiers": {"columns": QUASI, "unique_rows": base},
        "released": {"columns": released, "unique_rows": unique_rows(df, released)},
        "with_column": {
            c: unique_rows(df, QUASI + [c]) for c in released if c not in QUASI
        },
        "tool": f"pandas {pd.__version__}",
    }
    json.dump(out, sys.stdout, indent=2)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
