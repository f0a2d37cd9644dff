#!/usr/bin/env python3
"""Reference values for k-anonymity, l-diversity and prosecutor re-identification
risk on tests/data/adult_sample.csv, computed with pycanon and cross-checked with a
plain pandas groupby.

Run from the project root (pycanon and pandas installed, e.g. in a throwaway venv):

    python3 -m venv /tmp/v && /tmp/v/bin/pip install pycanon pandas \
        && /tmp/v/bin/python tests/data/reference/make_kanon.py

Writes tests/data/reference/kanon.json and prints a short summary.

Missing values (empty CSV fields) are read as the literal empty string "", so they
form their own equivalence class / their own sensitive value. pycanon groups with
pandas' default dropna=True, which would silently drop NaN keys; reading every
column as str with keep_default_na=False avoids that.
"""

import json
import pathlib
import sys
from importlib.metadata import version

import pandas as pd
from pycanon import anonymity

ROOT = pathlib.Path(__file__).resolve().parents[3]
CSV = ROOT / "tests" / "data" / "adult_sample.csv"
OUT = ROOT / "tests" / "data" / "reference" / "kanon.json"

CONFIGS = [
    ("A", ["sex", "race"], "income"),
    ("B", ["sex", "race", "marital_status"], "income"),
    ("C", ["age", "sex", "race"], "occupation"),
    ("D", ["education", "sex", "native_country"], "income"),
]
SUPPRESSION = ("E", ["age", "sex", "race"], 5)

# (label, smallest size, largest size or None for unbounded)
BUCKETS = [("1", 1, 1), ("2-4", 2, 4), ("5-9", 5, 9), ("10-49", 10, 49), ("50+", 50, None)]


def load() -> pd.DataFrame:
    df = pd.read_csv(CSV, dtype=str, keep_default_na=False, na_filter=False)
    assert len(df) == 2036, len(df)
    assert not df.isna().any().any()
    return df


def class_sizes(df: pd.DataFrame, qi: list) -> pd.Series:
    """Size of every equivalence class (own code, independent of pycanon)."""
    sizes = df.groupby(qi, dropna=False, sort=True).size()
    assert int(sizes.sum()) == len(df)
    return sizes


def buckets(sizes: pd.Series) -> list:
    out = []
    for label, lo, hi in BUCKETS:
        sel = sizes[(sizes >= lo) & ((sizes <= hi) if hi is not None else True)]
        if len(sel) > 0:
            out.append({"sizes": label, "classes": int(len(sel)), "rows": int(sel.sum())})
    assert sum(b["classes"] for b in out) == len(sizes)
    assert sum(b["rows"] for b in out) == int(sizes.sum())
    return out


def min_distinct(df: pd.DataFrame, qi: list, sa: str) -> int:
    """Smallest number of distinct sensitive values in any class (own code)."""
    return int(df.groupby(qi, dropna=False)[sa].nunique(dropna=False).min())


def configuration(df: pd.DataFrame, name: str, qi: list, sa: str) -> dict:
    k_pc = int(anonymity.k_anonymity(df, qi))
    l_pc = int(anonymity.l_diversity(df, qi, [sa]))
    sizes = class_sizes(df, qi)
    k_own = int(sizes.min())
    l_own = min_distinct(df, qi, sa)
    if k_pc != k_own:
        sys.exit(f"{name}: pycanon k={k_pc} but groupby smallest class={k_own}")
    if l_pc != l_own:
        sys.exit(f"{name}: pycanon l={l_pc} but groupby min distinct {sa}={l_own}")
    return {
        "name": name,
        "quasi_identifiers": qi,
        "sensitive": sa,
        "k": k_pc,
        "l": l_pc,
        "classes": int(len(sizes)),
        "class_sizes": buckets(sizes),
        "prosecutor_risk_max": 1.0 / k_pc,
        "prosecutor_risk_avg": len(sizes) / len(df),
    }


def suppression(df: pd.DataFrame, name: str, qi: list, k_required: int) -> dict:
    size = df.groupby(qi, dropna=False)[qi[0]].transform("size")
    small = size < k_required
    kept = df[~small].reset_index(drop=True)  # pycanon indexes with iloc
    sizes = class_sizes(kept, qi)
    k_own = int(sizes.min())
    k_pc = int(anonymity.k_anonymity(kept, qi))
    if k_pc != k_own:
        sys.exit(f"{name}: pycanon k={k_pc} but groupby smallest class={k_own}")
    if k_pc < k_required:
        sys.exit(f"{name}: k={k_pc} after suppression, below {k_required}")
    return {
        "name": name,
        "quasi_identifiers": qi,
        "k_required": k_required,
        "suppressed_rows": int(small.sum()),
        "classes": int(len(sizes)),
        "k": k_pc,
        "prosecutor_risk_max": 1.0 / k_pc,
        "prosecutor_risk_avg": len(sizes) / len(kept),
    }


def main() -> None:
    df = load()
    configs = [configuration(df, *c) for c in CONFIGS]
    configs.append(suppression(df, *SUPPRESSION))
    doc = {
        "source": "tests/data/adult_sample.csv (UCI Adult, 2,036 rows); missing values "
        "read as the empty string, forming their own group",
        "pycanon_version": version("pycanon"),
        "configurations": configs,
    }
    with open(OUT, "w", encoding="utf-8", newline="\n") as f:
        json.dump(doc, f, indent=2)
        f.write("\n")
    for c in configs:
        print(json.dumps(c))


if __name__ == "__main__":
    main()
