"""Checks a domain expert would make on a synthetic table against the real one (issue 14).

For every numeric column: the share of synthetic values that are no value of the real column
(for discrete columns: at most 100 distinct real values or integer-valued), and the top-5 exact
values' shares, real against synthetic. For every numeric pair with |r_real| >= 0.1: the
Pearson correlations. Deterministic relations (each value of A maps to one value of B in the
real table, A with at least 2 and at most 1000 distinct values): rows of the synthetic table
that break them. Prints a report and returns it as a dict (JSON with --out).

Usage: python expert.py REAL.csv SYNTHETIC.parquet|csv [--out FILE.json] [--ignore COL ...]
"""
import argparse
import json
import sys

import numpy as np
import pandas as pd


def load(path):
    if path.endswith(".parquet"):
        return pd.read_parquet(path)
    return pd.read_csv(path, skipinitialspace=True)


def key(s):
    """Values as comparable text: numbers by their float value (13 and 13.0 alike)."""
    if pd.api.types.is_numeric_dtype(s):
        return s.astype("float64").map(repr)
    return s.astype(str)


def relations(real, cols):
    out = []
    for a in cols:
        na = real[a].nunique(dropna=False)
        if na < 2 or na > 1000:
            continue
        for b in cols:
            if a == b or real[b].nunique(dropna=False) < 2:
                continue
            g = pd.DataFrame({"a": key(real[a]), "b": key(real[b])}).groupby("a")["b"].nunique()
            if (g == 1).all():
                out.append((a, b))
    return out


def check(real, syn, ignore=()):
    cols = [c for c in syn.columns if c in real.columns and c not in ignore]
    num = [c for c in cols if pd.api.types.is_numeric_dtype(real[c]) and pd.api.types.is_numeric_dtype(syn[c])]
    report = {"columns": {}, "pairs": [], "relations": []}
    for c in num:
        r, s = real[c].dropna(), syn[c].dropna()
        discrete = r.nunique() <= 100 or bool((r == r.round()).all())
        support = set(r.unique())
        outside = float((~s.isin(support)).mean()) if len(s) else 0.0
        top = r.value_counts(normalize=True).head(5)
        sshare = s.value_counts(normalize=True)
        tops = [(float(v), float(p), float(sshare.get(v, 0.0))) for v, p in top.items()]
        worst = max(abs(q / p - 1) for _, p, q in tops) if tops else 0.0
        report["columns"][c] = {
            "discrete": discrete,
            "outside_support": outside,
            "top5": tops,
            "top5_worst_rel_error": worst,
            "real_range": [float(r.min()), float(r.max())],
            "syn_range": [float(s.min()), float(s.max())] if len(s) else None,
        }
    for i, a in enumerate(num):
        for b in num[i + 1:]:
            rr = real[[a, b]].dropna().corr().iloc[0, 1]
            rs = syn[[a, b]].dropna().corr().iloc[0, 1]
            if abs(rr) >= 0.1:
                report["pairs"].append({"a": a, "b": b, "real": float(rr), "synthetic": float(rs), "diff": float(abs(rr - rs))})
    for a, b in relations(real, cols):
        m = pd.DataFrame({"a": key(real[a]), "b": key(real[b])}).drop_duplicates().set_index("a")["b"]
        sa = key(syn[a])
        sb = key(syn[b])
        known = sa.isin(m.index)
        bad = int((known & (sa.map(m) != sb)).sum() + (~known).sum())
        report["relations"].append({"from": a, "to": b, "violations": bad, "rows": len(syn)})
    return report


def show(name, rep, out=sys.stdout):
    print(f"== {name}", file=out)
    for c, v in rep["columns"].items():
        print(f"  {c:<16} {'discrete' if v['discrete'] else 'continuous':<10} outside real support {100 * v['outside_support']:.3f} %  "
              f"top-5 worst rel. error {100 * v['top5_worst_rel_error']:.1f} %  range real {v['real_range']} syn {v['syn_range']}", file=out)
    for p in rep["pairs"]:
        print(f"  r({p['a']}, {p['b']}) real {p['real']:+.3f} synthetic {p['synthetic']:+.3f} |diff| {p['diff']:.3f}", file=out)
    for r in rep["relations"]:
        print(f"  relation {r['from']} -> {r['to']}: {r['violations']} violating rows of {r['rows']}", file=out)


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("real")
    ap.add_argument("synthetic")
    ap.add_argument("--out")
    ap.add_argument("--ignore", nargs="*", default=[])
    a = ap.parse_args()
    real, syn = load(a.real), load(a.synthetic)
    rep = check(real, syn, a.ignore)
    if {"age", "education_num"} <= set(syn.columns):
        for n, t in (("real", real), ("synthetic", syn)):
            k = int(((t["age"] <= 18) & (t["education_num"] >= 13)).sum())
            rep[f"age<=18_and_education_num>=13_{n}"] = k
            print(f"  {n}: {k} rows aged 18 or younger with 13+ years of education (of {len(t)})")
    show(a.synthetic, rep)
    if a.out:
        json.dump(rep, open(a.out, "w"), indent=1)
