#!/usr/bin/env python3
"""Independent quality judge: fairsynth's synthetic Adult table against SDV's GaussianCopula.

Not part of CI. Needs sdv, sdmetrics, pandas and pyarrow (benches/quality.sh makes a venv).

Usage:
  quality.py --real adult.csv --fairsynth [LABEL=]adult.synth.parquet [--fairsynth ...]
             [--rows N] [--seed S] [--sdv-out sdv.csv] --out R.json

Steps:
  1. reads the real table (CSV, empty field = missing), drops `fnlwgt` (survey weight) and
     `split` (train/test marker), and keeps only the columns that the fairsynth table also has;
  2. builds SDV metadata from the real table, with age, education_num, capital_gain,
     capital_loss and hours_per_week numerical and every other column categorical;
  3. fits SDV's GaussianCopulaSynthesizer on the real table and samples N rows (both timed);
  4. scores (real, SDV) and (real, fairsynth) with sdmetrics' single-table QualityReport
     using the same metadata;
  5. for each synthetic table: P(income == '>50K') per sex, disparate impact
     (Female rate / Male rate), and the share of rows that exactly equal some real row.
Writes everything to --out as JSON and prints a short table.
"""
import argparse
import json
import os
import platform
import sys
import time
import warnings
from importlib.metadata import PackageNotFoundError, version

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

DROPPED = ["fnlwgt", "split"]
NUMERICAL = ["age", "education_num", "capital_gain", "capital_loss", "hours_per_week"]
TABLE = "adult"
LABEL, FAVOURABLE = "income", ">50K"
PROTECTED = "sex"
NA_KEY = "\x00<missing>"


def package_versions():
    names = ["sdv", "sdmetrics", "rdt", "copulas", "pandas", "pyarrow", "numpy", "scipy"]
    out = {"python": platform.python_version()}
    for name in names:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = None
    return out


def read_real(path):
    # Only the empty field is missing: keep strings such as "NA" or "None" as they are.
    return pd.read_csv(path, keep_default_na=False, na_values=[""])


def read_parquet(path):
    """Parquet -> pandas with categoricals (Arrow dictionary columns) as plain object strings."""
    df = pq.read_table(path).to_pandas()
    for col in df.columns:
        dtype = df[col].dtype
        if isinstance(dtype, pd.CategoricalDtype) or pd.api.types.is_string_dtype(dtype):
            s = df[col].astype(object)
            df[col] = s.where(s.notna(), np.nan)
    return df


def conform(df, columns, numerical):
    """Same column order and comparable dtypes: numbers as float64, the rest as object."""
    df = df[columns].copy()
    for col in columns:
        if col in numerical:
            df[col] = pd.to_numeric(df[col], errors="coerce").astype("float64")
        else:
            s = df[col].astype(object)
            df[col] = s.where(s.notna(), np.nan)
    return df


def build_metadata(real, numerical):
    from sdv.metadata import Metadata

    if hasattr(Metadata, "detect_from_dataframes"):
        metadata = Metadata.detect_from_dataframes({TABLE: real}, infer_keys=None)
    else:  # older SDV 1.x
        metadata = Metadata.detect_from_dataframe(real, table_name=TABLE)
    table = metadata.tables[TABLE]
    for col in real.columns:
        current = table.columns.get(col, {})
        if col in numerical:
            if current.get("sdtype") != "numerical":
                metadata.update_column(col, table_name=TABLE, sdtype="numerical")
        elif current.get("sdtype") != "categorical":
            metadata.update_column(col, table_name=TABLE, sdtype="categorical")
    # detection may propose a primary key; this table has none
    if getattr(table, "primary_key", None):
        table.primary_key = None
    metadata.validate()
    return metadata


def quality(real, synth, metadata_dict):
    # The classic single-table report (deprecated in sdmetrics 0.32 in favour of the unified
    # sdmetrics.reports.QualityReport, which filters pairs by real-data thresholds); kept so the
    # scores stay comparable with SDV's published ones.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        from sdmetrics.reports.single_table import QualityReport

    report = QualityReport()
    start = time.perf_counter()
    report.generate(real, synth, metadata_dict, verbose=False)
    props = report.get_properties()
    scores = dict(zip(props["Property"], props["Score"]))
    return {
        "overall": float(report.get_score()),
        "column_shapes": float(scores.get("Column Shapes", float("nan"))),
        "column_pair_trends": float(scores.get("Column Pair Trends", float("nan"))),
        "report_seconds": time.perf_counter() - start,
    }


def fairness(df):
    out = {"rates": {}, "disparate_impact": None}
    if LABEL not in df.columns or PROTECTED not in df.columns:
        return out
    favourable = df[LABEL] == FAVOURABLE
    for group, rate in favourable.groupby(df[PROTECTED]).mean().items():
        out["rates"][str(group)] = float(rate)
    female, male = out["rates"].get("Female"), out["rates"].get("Male")
    if female is not None and male:
        out["disparate_impact"] = female / male
    return out


def row_hashes(df):
    """One 64-bit hash per row; missing values hash alike, 30 and 30.0 hash alike."""
    key = df.copy()
    for col in key.columns:
        if pd.api.types.is_float_dtype(key[col]):
            key[col] = key[col].map(lambda v: NA_KEY if pd.isna(v) else repr(float(v)))
        else:
            key[col] = key[col].map(lambda v: NA_KEY if pd.isna(v) else str(v))
    return pd.util.hash_pandas_object(key, index=False)


def exact_copies(real_hashes, synth):
    hashes = row_hashes(synth)
    copied = hashes.isin(real_hashes)
    return {"rows": int(copied.sum()), "share": float(copied.mean()) if len(hashes) else 0.0}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--real", required=True, help="real Adult table (CSV)")
    ap.add_argument("--fairsynth", required=True, action="append",
                    help="fairsynth's synthetic table (Parquet), as PATH or LABEL=PATH; repeatable")
    ap.add_argument("--sdv-out", default=None, help="also write SDV's sample here (CSV)")
    ap.add_argument("--rows", type=int, default=None, help="rows SDV samples (default: real's)")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--out", required=True, help="results JSON")
    args = ap.parse_args()

    np.random.seed(args.seed)
    real_raw = read_real(args.real)
    tables = []
    for spec in args.fairsynth:
        label, _, path = spec.rpartition("=")
        tables.append((label or "fairsynth", path, read_parquet(path)))
    fs_raw = tables[0][2]
    real_raw_split = real_raw[[c for c in ("split",) if c in real_raw.columns]]
    real_raw = real_raw.drop(columns=[c for c in DROPPED if c in real_raw.columns])
    columns = [c for c in real_raw.columns if c in fs_raw.columns]
    left_out = {
        "real_only": [c for c in real_raw.columns if c not in columns],
        "fairsynth_only": [c for c in fs_raw.columns if c not in columns],
    }
    if not columns:
        sys.exit("no columns in common between the real and the fairsynth table")
    numerical = [c for c in NUMERICAL if c in columns]
    real = conform(real_raw, columns, numerical)
    fs_tables = [(label, path, conform(df, columns, numerical)) for label, path, df in tables]
    rows = args.rows if args.rows is not None else len(real)

    metadata = build_metadata(real, numerical)
    metadata_dict = metadata.to_dict()

    from sdv.single_table import GaussianCopulaSynthesizer

    warnings.filterwarnings("ignore", message=".*save_to_json.*")
    synthesizer = GaussianCopulaSynthesizer(metadata)
    # SDV 2.x takes and returns {table name: frame}; SDV 1.x a bare frame.
    sdv_major = int(version("sdv").split(".")[0])
    start = time.perf_counter()
    synthesizer.fit({TABLE: real} if sdv_major >= 2 else real)
    fit_s = time.perf_counter() - start
    if hasattr(synthesizer, "_set_random_state"):  # SDV has no public seed setter
        synthesizer._set_random_state(args.seed)
    start = time.perf_counter()
    sdv_sample = synthesizer.sample(num_rows=rows)
    sample_s = time.perf_counter() - start
    if isinstance(sdv_sample, dict):
        sdv_sample = sdv_sample[TABLE]
    sdv_sample = conform(sdv_sample, columns, numerical)
    if args.sdv_out:
        # Whole numbers where the real column holds whole numbers, so that the schema's int
        # columns read back as ints.
        out = sdv_sample.copy()
        for col in numerical:
            if (real[col].dropna() % 1 == 0).all():
                out[col] = out[col].round().astype("Int64")
        out.to_csv(args.sdv_out, index=False)

    real_hashes = set(row_hashes(real))
    # Reference for the copy share: how often a real test row equals some real train row.
    holdout = None
    if "split" in real_raw_split.columns:
        is_test = (real_raw_split["split"] == "test").to_numpy()
        train_hashes = set(row_hashes(real[~is_test]))
        holdout = exact_copies(train_hashes, real[is_test])
    results = {
        "real": {
            "path": os.path.abspath(args.real),
            "rows": len(real),
            "fairness": fairness(real),
            "distinct_rows": len(real_hashes),
            "test_rows_equal_to_a_train_row": holdout,
        },
        "columns": columns,
        "numerical_columns": numerical,
        "columns_left_out": left_out,
        "seed": args.seed,
        "cpu_count": os.cpu_count(),
        "versions": package_versions(),
        "sdv": {
            "synthesizer": "GaussianCopulaSynthesizer (defaults)",
            "fit_seconds": fit_s,
            "sample_seconds": sample_s,
            "sample_rows": rows,
            "sample_rows_per_second": rows / sample_s if sample_s > 0 else None,
        },
        "report": "sdmetrics.reports.single_table.QualityReport",
    }
    for label, path, fs in fs_tables:
        results[label] = {"path": os.path.abspath(path), "rows": len(fs)}
    for key, synth in [("sdv", sdv_sample)] + [(label, fs) for label, _, fs in fs_tables]:
        results[key]["quality"] = quality(real, synth, metadata_dict)
        results[key]["fairness"] = fairness(synth)
        results[key]["exact_copies_of_real_rows"] = exact_copies(real_hashes, synth)

    with open(args.out, "w") as f:
        json.dump(results, f, indent=2)

    def fmt(v, spec=".4f"):
        return "-" if v is None else format(v, spec)

    print(f"columns compared ({len(columns)}): {', '.join(columns)}")
    if left_out["real_only"] or left_out["fairsynth_only"]:
        print(f"left out: {left_out}")
    print(f"SDV GaussianCopula: fit {fit_s:.2f} s, sample {rows} rows in {sample_s:.2f} s "
          f"({rows / sample_s:,.0f} rows/s)")
    head = f"{'table':<20}{'rows':>8}{'overall':>9}{'shapes':>9}{'pairs':>9}" \
           f"{'P(>50K|F)':>11}{'P(>50K|M)':>11}{'DI':>8}{'copies':>9}"
    print(head)
    print("-" * len(head))
    rf = results["real"]["fairness"]
    print(f"{'real':<20}{len(real):>8}{'':>9}{'':>9}{'':>9}"
          f"{fmt(rf['rates'].get('Female')):>11}{fmt(rf['rates'].get('Male')):>11}"
          f"{fmt(rf['disparate_impact'], '.3f'):>8}{'':>9}")
    for key, label in [("sdv", "sdv-gc")] + [(label, label) for label, _, _ in fs_tables]:
        r = results[key]
        q, fa, cp = r["quality"], r["fairness"], r["exact_copies_of_real_rows"]
        n = rows if key == "sdv" else r["rows"]
        print(f"{label:<20}{n:>8}{q['overall']:>9.4f}{q['column_shapes']:>9.4f}"
              f"{q['column_pair_trends']:>9.4f}{fmt(fa['rates'].get('Female')):>11}"
              f"{fmt(fa['rates'].get('Male')):>11}{fmt(fa['disparate_impact'], '.3f'):>8}"
              f"{cp['share']:>9.2%}")
    if holdout is not None:
        print(f"reference: {holdout['share']:.2%} of real test rows equal some real train row")
    print(f"results: {os.path.abspath(args.out)}")


if __name__ == "__main__":
    main()
