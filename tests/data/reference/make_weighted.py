#!/usr/bin/env python3
"""Reference values for the weighted fidelity metrics of `evaluate --targets`
(src/metrics/weighted.rs): a weighted reference sample (the real table reweighted
to targets) against a plain sample (the synthetic table). Weighted two-sample
Kolmogorov-Smirnov statistic, weighted Pearson correlation, weighted total
variation distance of level codes and weighted contingency similarity of a pair.

Run from the project root (numpy and scipy installed, e.g. in a throwaway venv):

    python3 -m venv /tmp/metrics-venv && /tmp/metrics-venv/bin/pip install numpy scipy \
        && /tmp/metrics-venv/bin/python tests/data/reference/make_weighted.py

Writes tests/data/reference/weighted.json (byte-for-byte the same on repeated runs).

The values come from numpy: np.cov with aweights for the correlation, np.bincount
with weights for the shares, weighted ECDFs from np.searchsorted on the pooled
values for KS. Independently, every figure is recomputed with whole-number weights
by repeating each row that many times and using the plain scipy/numpy figure
(scipy.stats.ks_2samp, scipy.stats.pearsonr); the script stops if they disagree.
"""

import json
import pathlib

import numpy as np
import scipy
import scipy.stats

OUT = pathlib.Path(__file__).resolve().parent / "weighted.json"


def ks_weighted(a, w, b):
    a, w, b = np.asarray(a), np.asarray(w), np.asarray(b)
    keep = ~np.isnan(a) & (w > 0)
    a, w = a[keep], w[keep]
    b = b[~np.isnan(b)]
    order = np.argsort(a, kind="stable")
    a, w = a[order], w[order]
    cw = np.concatenate([[0.0], np.cumsum(w)]) / w.sum()
    b = np.sort(b)
    grid = np.union1d(a, b)
    fa = cw[np.searchsorted(a, grid, side="right")]
    fb = np.searchsorted(b, grid, side="right") / len(b)
    return float(np.max(np.abs(fa - fb)))


def pearson_weighted(x, y, w):
    c = np.cov(np.asarray(x), np.asarray(y), aweights=np.asarray(w))
    return float(c[0, 1] / np.sqrt(c[0, 0] * c[1, 1]))


def tvd_weighted(a, w, b, levels):
    p = np.bincount(a, weights=w, minlength=levels)
    p = p / p.sum()
    q = np.bincount(b, minlength=levels) / len(b)
    return float(0.5 * np.abs(p - q).sum())


def contingency_weighted(a1, a2, w, b1, b2, levels):
    k1, k2 = levels
    ja = np.asarray(a1) * k2 + np.asarray(a2)
    jb = np.asarray(b1) * k2 + np.asarray(b2)
    return 1.0 - tvd_weighted(ja, w, jb, k1 * k2)


def main():
    rng = np.random.default_rng(14)
    n, m = 300, 220
    # Real-like rows with raking-like weights (a factor per cell of a 3-level code).
    x = np.round(rng.normal(40, 12, n), 3)
    y = np.round(0.5 * x + rng.normal(0, 8, n), 3)
    c1 = rng.integers(0, 3, n)
    c2 = rng.integers(0, 4, n)
    factor = np.array([0.4, 1.7, 2.35])
    w = np.round(factor[c1] * rng.uniform(0.8, 1.2, n), 6)
    xs = np.round(rng.normal(43, 11, m), 3)
    d1 = rng.integers(0, 3, m)
    d2 = rng.integers(0, 4, m)
    # Whole-number weights for the independent check by repetition.
    wi = rng.integers(0, 4, n).astype(float)

    doc = {
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "real": {"x": x.tolist(), "y": y.tolist(), "c1": c1.tolist(), "c2": c2.tolist()},
        "synthetic": {"x": xs.tolist(), "c1": d1.tolist(), "c2": d2.tolist()},
        "levels": [3, 4],
        "cases": [],
    }
    for name, weights in [("raking", w), ("whole", wi)]:
        case = {
            "name": name,
            "weights": weights.tolist(),
            "ks": ks_weighted(x, weights, xs),
            "pearson": pearson_weighted(x, y, weights),
            "tvd": tvd_weighted(c1, weights, d1, 3),
            "contingency": contingency_weighted(c1, c2, weights, d1, d2, (3, 4)),
        }
        if name == "whole":
            rep = lambda v: np.repeat(np.asarray(v), weights.astype(int))
            ks = float(scipy.stats.ks_2samp(rep(x), xs).statistic)
            r = float(scipy.stats.pearsonr(rep(x), rep(y)).statistic)
            tv = 0.5 * np.abs(
                np.bincount(rep(c1), minlength=3) / weights.sum()
                - np.bincount(d1, minlength=3) / m
            ).sum()
            assert abs(ks - case["ks"]) < 1e-12, (ks, case["ks"])
            assert abs(r - case["pearson"]) < 1e-12, (r, case["pearson"])
            assert abs(tv - case["tvd"]) < 1e-12, (tv, case["tvd"])
        doc["cases"].append(case)
        print(name, {k: v for k, v in case.items() if k not in ("weights", "name")})
    OUT.write_text(json.dumps(doc, indent=1, allow_nan=False) + "\n", encoding="utf-8")
    print(f"numpy {np.__version__}, scipy {scipy.__version__}; wrote {OUT}")


if __name__ == "__main__":
    main()
