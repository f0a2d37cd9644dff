#!/usr/bin/env python3
"""Reference values for the statistical similarity metrics: two-sample
Kolmogorov-Smirnov statistic, Pearson correlation, total variation distance of
categorical samples and contingency similarity of a pair of categorical columns.

Run from the project root (numpy and scipy installed, e.g. in a throwaway venv):

    python3 -m venv /tmp/metrics-venv && /tmp/metrics-venv/bin/pip install numpy scipy \
        && /tmp/metrics-venv/bin/python tests/data/reference/make_metrics.py

Writes tests/data/reference/metrics.json (byte-for-byte the same on repeated runs)
and prints the values.

Every input is written into the JSON, so a test can read the inputs from there.
The values are computed from exactly the numbers written (random draws are rounded
to 6 decimals first). Each value is also recomputed with independent code of this
script (plain Python / exact fractions) and the script stops if they disagree.
"""

import json
import math
import pathlib
import warnings
from collections import Counter
from fractions import Fraction

import numpy as np
import scipy
import scipy.stats

OUT = pathlib.Path(__file__).resolve().parent / "metrics.json"


# ---------------------------------------------------------------------------
# Inputs
# ---------------------------------------------------------------------------

def floats(values) -> list:
    return [float(v) for v in values]


def ks_cases() -> list:
    a_rand = np.round(np.random.default_rng(7).normal(0, 1, 200), 6)
    b_rand = np.round(np.random.default_rng(8).normal(0.3, 1.2, 150), 6)
    return [
        ("ties", [1, 2, 2, 3, 3, 3, 4, 5], [2, 3, 3, 4, 4, 4, 4, 6, 7]),
        ("disjoint", [1, 2, 3], [10, 11]),
        ("identical", [0.5, 1.5, 2.5], [2.5, 0.5, 1.5]),
        ("random", a_rand, b_rand),
    ]


def pearson_cases() -> list:
    x = np.round(np.random.default_rng(9).normal(size=100), 6)
    y = np.round(0.6 * x + np.random.default_rng(10).normal(size=100) * 0.8, 6)
    return [
        ("random_pair", x, y),
        ("constant", [1, 2, 3], [5, 5, 5]),
    ]


TVD_CASES = [
    ("tvd", ["a", "a", "b", "c", "c", "c"], ["a", "b", "b", "b", "d"]),
]

CONTINGENCY_CASES = [
    (
        "contingency",
        [("x", "p"), ("x", "q"), ("y", "p"), ("y", "p")],
        [("x", "p"), ("y", "q"), ("y", "q")],
    ),
]


# ---------------------------------------------------------------------------
# Independent checks (own code)
# ---------------------------------------------------------------------------

def ks_exact(a: list, b: list) -> Fraction:
    """sup |F_a(t) - F_b(t)| over all t, the ECDFs evaluated exactly."""
    best = Fraction(0)
    for t in sorted(set(a) | set(b)):
        fa = Fraction(sum(1 for v in a if v <= t), len(a))
        fb = Fraction(sum(1 for v in b if v <= t), len(b))
        best = max(best, abs(fa - fb))
    return best


def pearson_plain(x: list, y: list) -> float:
    """Two-pass Pearson r in plain Python with math.fsum."""
    n = len(x)
    mx = math.fsum(x) / n
    my = math.fsum(y) / n
    sxy = math.fsum((a - mx) * (b - my) for a, b in zip(x, y))
    sxx = math.fsum((a - mx) ** 2 for a in x)
    syy = math.fsum((b - my) ** 2 for b in y)
    return sxy / math.sqrt(sxx * syy)


def tvd_exact(a: list, b: list) -> Fraction:
    ca, cb = Counter(a), Counter(b)
    levels = set(ca) | set(cb)
    return sum(
        (abs(Fraction(ca[k], len(a)) - Fraction(cb[k], len(b))) for k in levels),
        Fraction(0),
    ) / 2


# ---------------------------------------------------------------------------
# Reference values
# ---------------------------------------------------------------------------

def tvd_numpy(a: list, b: list) -> float:
    """0.5 * sum |p_i - q_i| over the union of levels (sorted), relative frequencies."""
    levels = sorted(set(a) | set(b))
    ca, cb = Counter(a), Counter(b)
    p = np.array([ca[k] for k in levels], dtype=float) / len(a)
    q = np.array([cb[k] for k in levels], dtype=float) / len(b)
    return float(0.5 * np.sum(np.abs(p - q)))


def main() -> None:
    doc = {
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "ks": [],
        "pearson": [],
        "tvd": [],
        "contingency": [],
    }
    report = []

    for name, a, b in ks_cases():
        a, b = floats(a), floats(b)
        stat = float(scipy.stats.ks_2samp(a, b).statistic)
        exact = ks_exact(a, b)
        assert stat == float(exact), (name, stat, exact)
        doc["ks"].append({"name": name, "a": a, "b": b, "statistic": stat})
        report.append(f"ks {name}: statistic = {stat!r} (= {exact})")

    for name, x, y in pearson_cases():
        x, y = floats(x), floats(y)
        entry = {"name": name, "x": x, "y": y}
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            r = float(np.corrcoef(x, y)[0, 1])
        if math.isnan(r):
            # One sample has zero variance: numpy.corrcoef divides by a zero
            # standard deviation and returns nan; the correlation is undefined.
            assert len(set(x)) == 1 or len(set(y)) == 1, name
            entry["r"] = None
            entry["note"] = (
                "undefined: y is constant (zero variance); numpy.corrcoef returns nan "
                "with a RuntimeWarning, scipy.stats.pearsonr returns nan with a "
                "ConstantInputWarning"
            )
            report.append(f"pearson {name}: r = null (undefined, constant input)")
        else:
            plain = pearson_plain(x, y)
            sp = float(scipy.stats.pearsonr(x, y).statistic)
            assert abs(r - plain) <= 1e-14 and abs(r - sp) <= 1e-14, (name, r, plain, sp)
            entry["r"] = r
            report.append(
                f"pearson {name}: r = {r!r} (plain fsum {plain!r}, scipy.pearsonr {sp!r})"
            )
        doc["pearson"].append(entry)

    for name, a, b in TVD_CASES:
        value = tvd_numpy(a, b)
        exact = tvd_exact(a, b)
        assert abs(value - float(exact)) <= 1e-15, (name, value, exact)
        doc["tvd"].append({"name": name, "a": a, "b": b, "value": value})
        report.append(f"tvd {name}: value = {value!r} (= {exact})")

    for name, real, synth in CONTINGENCY_CASES:
        # Joint 2-way frequency table of the column pair = frequencies of the
        # (first, second) cell tuples; similarity = 1 - TVD of the two tables.
        real_cells = [f"{u}\x1f{v}" for u, v in real]
        synth_cells = [f"{u}\x1f{v}" for u, v in synth]
        value = 1.0 - tvd_numpy(real_cells, synth_cells)
        exact = 1 - tvd_exact(list(real), list(synth))
        assert abs(value - float(exact)) <= 1e-15, (name, value, exact)
        doc["contingency"].append(
            {
                "name": name,
                "real": [list(r) for r in real],
                "synthetic": [list(s) for s in synth],
                "similarity": value,
            }
        )
        report.append(f"contingency {name}: similarity = {value!r} (= {exact})")

    text = json.dumps(doc, indent=2, allow_nan=False) + "\n"
    OUT.write_text(text, encoding="utf-8")
    print(f"numpy {np.__version__}, scipy {scipy.__version__}; wrote {OUT}")
    for line in report:
        print(line)


if __name__ == "__main__":
    main()
