#!/usr/bin/env python3
"""Independent judge of synthetic tables (issue 14): SDMetrics with every pair counted,
train-on-synthetic / test-on-real with gradient boosting, and the checks of expert.py.

Not part of CI. Needs sdmetrics 0.32, scikit-learn, pandas, pyarrow (benches/quality.sh makes
the venv).

Usage:
  judge.py --train REAL_TRAIN.csv --test REAL_TEST.csv --label COL --favourable LEVEL
           --synthetic LABEL=PATH [--synthetic ...] [--drop COL ...] [--seed S] --out R.json

- SDMetrics: sdmetrics.reports.single_table.QualityReport of each synthetic table against the
  real TRAIN table (the one it was fitted on), twice: with SDMetrics 0.32's defaults, which
  average Column Pair Trends only over pairs whose real correlation exceeds 0.5 or whose real
  association exceeds 0.3, and with both thresholds (real_correlation_threshold,
  real_association_threshold) set to 0, so that EVERY pair counts ("all pairs").
- TSTR/TRTR: scikit-learn's HistGradientBoostingClassifier (fixed seed, defaults otherwise;
  categorical columns as categories) trained on the synthetic table, or on the real train
  table, predicting the label of the real TEST table; accuracy and ROC AUC, and their ratios.
- expert.py's checks against the real train table.
"""
import argparse
import json
import warnings

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

import expert


def read(path):
    if path.endswith(".parquet"):
        df = pq.read_table(path).to_pandas()
    else:
        df = pd.read_csv(path, keep_default_na=False, na_values=[""])
    for c in df.columns:
        if isinstance(df[c].dtype, pd.CategoricalDtype) or pd.api.types.is_string_dtype(df[c].dtype):
            s = df[c].astype(object)
            df[c] = s.where(s.notna(), np.nan)
    return df


def metadata(real):
    cols = {}
    for c in real.columns:
        cols[c] = {"sdtype": "numerical"} if pd.api.types.is_numeric_dtype(real[c]) else {"sdtype": "categorical"}
    return {"columns": cols}


def quality(real, synth, meta, all_pairs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from sdmetrics.reports.single_table import QualityReport
        report = QualityReport()
        if all_pairs:
            report.real_correlation_threshold = 0
            report.real_association_threshold = 0
        report.generate(real, synth, meta, verbose=False)
    props = report.get_properties()
    s = dict(zip(props["Property"], props["Score"]))
    pairs = report.get_details("Column Pair Trends")
    worst = pairs.sort_values("Score").head(5)
    return {
        "overall": float(report.get_score()),
        "column_shapes": float(s["Column Shapes"]),
        "column_pair_trends": float(s["Column Pair Trends"]),
        "pairs_scored": int(pairs["Score"].notna().sum()),
        "worst_pairs": [[r["Column 1"], r["Column 2"], float(r["Score"])] for _, r in worst.iterrows()],
    }


def features(df, columns, cats):
    x = df[columns].copy()
    for c in columns:
        if c in cats:
            x[c] = pd.Categorical(x[c].astype(object).where(x[c].notna(), "(missing)"), categories=cats[c])
        else:
            x[c] = pd.to_numeric(x[c], errors="coerce")
    return x


def utility(train_x, train_y, test_x, test_y, seed):
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.metrics import accuracy_score, roc_auc_score

    if len(set(train_y)) < 2:
        return {"accuracy": None, "auc": None}
    clf = HistGradientBoostingClassifier(random_state=seed, categorical_features="from_dtype")
    clf.fit(train_x, train_y)
    p = clf.predict_proba(test_x)[:, 1]
    return {"accuracy": float(accuracy_score(test_y, p >= 0.5)), "auc": float(roc_auc_score(test_y, p))}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--train", required=True)
    ap.add_argument("--test", required=True)
    ap.add_argument("--label", required=True)
    ap.add_argument("--favourable", required=True)
    ap.add_argument("--synthetic", action="append", required=True)
    ap.add_argument("--drop", nargs="*", default=[])
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()

    train, test = read(a.train), read(a.test)
    tables = []
    for spec in a.synthetic:
        label, _, path = spec.rpartition("=")
        tables.append((label, read(path)))
    columns = [c for c in train.columns if c not in a.drop and all(c in t.columns for _, t in tables)]
    real = train[columns]
    meta = metadata(real)
    feats = [c for c in columns if c != a.label]
    cats = {}
    for c in feats:
        if not pd.api.types.is_numeric_dtype(real[c]):
            levels = pd.concat([real[c], test[c]] + [t[c] for _, t in tables]).astype(object)
            cats[c] = sorted(set(levels.where(levels.notna(), "(missing)")))
    y = lambda df: (df[a.label].astype(str) == a.favourable).astype(int).to_numpy()
    test_x, test_y = features(test, feats, cats), y(test)
    trtr = utility(features(real, feats, cats), y(real), test_x, test_y, a.seed)
    out = {"columns": columns, "label": a.label, "trtr": trtr, "tables": {},
           "note": "SDMetrics 0.32 single-table QualityReport; 'all_pairs' sets real_correlation_threshold and real_association_threshold to 0"}
    print(f"TRTR (real train -> real test): accuracy {trtr['accuracy']:.4f}, AUC {trtr['auc']:.4f}")
    print(f"{'table':<22}{'default':>9}{'all pairs':>10}{'shapes':>8}{'pairs':>8}{'TSTR acc':>10}{'ratio':>7}{'TSTR AUC':>10}{'ratio':>7}")
    for label, t in tables:
        t = t[columns].copy()
        for c in columns:
            if c in meta["columns"] and meta["columns"][c]["sdtype"] == "numerical":
                t[c] = pd.to_numeric(t[c], errors="coerce").astype("float64")
        qd = quality(real, t, meta, all_pairs=False)
        qa = quality(real, t, meta, all_pairs=True)
        tstr = utility(features(t, feats, cats), y(t), test_x, test_y, a.seed)
        rep = expert.check(real, t)
        out["tables"][label] = {"quality_default": qd, "quality_all_pairs": qa, "tstr": tstr,
                                "tstr_over_trtr": {k: (tstr[k] / trtr[k] if tstr[k] else None) for k in trtr},
                                "expert": rep}
        print(f"{label:<22}{qd['overall']:>9.4f}{qa['overall']:>10.4f}{qa['column_shapes']:>8.4f}"
              f"{qa['column_pair_trends']:>8.4f}{tstr['accuracy']:>10.4f}{tstr['accuracy'] / trtr['accuracy']:>7.4f}"
              f"{tstr['auc']:>10.4f}{tstr['auc'] / trtr['auc']:>7.4f}")
        print(f"    worst pairs (all): {', '.join(f'{x}x{y} {s:.3f}' for x, y, s in qa['worst_pairs'])}")
        expert.show(label, rep)
    with open(a.out, "w") as f:
        json.dump(out, f, indent=1)


if __name__ == "__main__":
    main()
