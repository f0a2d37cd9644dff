"""Reference figures for `fairsynth evaluate`, computed independently with pandas/numpy/scipy.

The sample tests/data/adult_sample.csv is split by its `split` column: the `train` rows play
the real table, the `test` rows the synthetic one (the `split` column itself is dropped, and
`fnlwgt` is left out as fairsynth leaves out weight-role columns). Writes
tests/data/reference/evaluate.json. Run from the project root:

    python3 -m venv /tmp/ref-venv && /tmp/ref-venv/bin/pip install pandas scipy
    /tmp/ref-venv/bin/python tests/data/reference/make_evaluate.py
"""

import json
import math
from itertools import combinations

import numpy as np
import pandas as pd
import scipy
from scipy.stats import ks_2samp, mannwhitneyu

SAMPLE = "tests/data/adult_sample.csv"
OUT = "tests/data/reference/evaluate.json"
NUMERIC = ["age", "education_num", "capital_gain", "capital_loss", "hours_per_week"]
# Schema order, without fnlwgt (weight role) and split (dropped from both tables).
COLUMNS = ["age", "workclass", "education", "education_num", "marital_status", "occupation",
           "relationship", "race", "sex", "capital_gain", "capital_loss", "hours_per_week",
           "native_country", "income"]
NULL = "\0null"
BINS = 10

df = pd.read_csv(SAMPLE, dtype={c: "float64" for c in NUMERIC + ["fnlwgt"]},
                 keep_default_na=False, na_values={c: [""] for c in NUMERIC})
for c in COLUMNS:
    if c not in NUMERIC:
        # Empty fields are nulls: a category of their own.
        df[c] = df[c].replace("", NULL)
real = df[df["split"] == "train"].reset_index(drop=True)
syn = df[df["split"] == "test"].reset_index(drop=True)


def tvd(a, b):
    p = a.value_counts(normalize=True)
    q = b.value_counts(normalize=True)
    idx = p.index.union(q.index)
    return 0.5 * float(np.abs(p.reindex(idx, fill_value=0) - q.reindex(idx, fill_value=0)).sum())


def column_score(c):
    if c in NUMERIC:
        return 1.0 - float(ks_2samp(real[c].dropna(), syn[c].dropna()).statistic)
    return 1.0 - tvd(real[c], syn[c])


def binned(c):
    """Numbers cut into 10 equal-width bins of the real range (clamped), NaN its own bin."""
    lo, hi = real[c].min(), real[c].max()
    width = (hi - lo) / BINS

    def cut(s):
        codes = np.floor((s - lo) / width).clip(0, BINS - 1)
        return codes.where(s.notna(), BINS).astype(int).astype(str)

    return cut(real[c]), cut(syn[c])


def pair_score(a, b):
    if a in NUMERIC and b in NUMERIC:
        def r(t):
            sub = t[[a, b]].dropna()
            return float(np.corrcoef(sub[a], sub[b])[0, 1])
        return "correlation", 1.0 - abs(r(real) - r(syn)) / 2.0
    ra, sa = binned(a) if a in NUMERIC else (real[a], syn[a])
    rb, sb = binned(b) if b in NUMERIC else (real[b], syn[b])
    joint = lambda x, y: x.astype(str) + "\x1f" + y.astype(str)
    return "contingency", 1.0 - tvd(joint(ra, rb), joint(sa, sb))


columns = {c: column_score(c) for c in COLUMNS}
pairs = {}
for a, b in combinations(COLUMNS, 2):
    metric, score = pair_score(a, b)
    pairs[f"{a} x {b}"] = {"metric": metric, "score": score}
column_mean = math.fsum(columns.values()) / len(columns)
pair_mean = math.fsum(p["score"] for p in pairs.values()) / len(pairs)

# Exact copies: synthetic rows equal to some real row over every evaluated column.
key = lambda t: t[COLUMNS].astype(str).agg("|".join, axis=1)
real_keys = set(key(real))
copies = int(key(syn).isin(real_keys).sum())
# Of those, rows equal to a real row that no other real row equals (a unique profile).
real_counts = key(real).value_counts()
unique_copies = int((key(syn).map(real_counts) == 1).sum())

def closest(frm, to):
    """Each row of `frm`: its Gower distance to the closest row of `to` (numbers scaled by
    the real column's range and capped at 1; 1 between a number and a null)."""
    total = np.zeros((len(frm), len(to)))
    # Categories first, then numbers in column order: the order fairsynth sums them in, so
    # that two distances fairsynth finds equal are equal here too (the membership AUC counts
    # ties half; one tie broken by rounding moves it by 5e-7).
    for c in [c for c in COLUMNS if c not in NUMERIC] + [c for c in COLUMNS if c in NUMERIC]:
        if c in NUMERIC:
            rng = real[c].max() - real[c].min()
            # Scaled before the difference, as fairsynth does (same rounding, same ties).
            a = frm[c].to_numpy()[:, None] / rng
            b = to[c].to_numpy()[None, :] / rng
            d = np.minimum(np.abs(a - b), 1.0)
            na, nb = np.isnan(a), np.isnan(b)
            d = np.where(na & nb, 0.0, np.where(na | nb, 1.0, d))
        else:
            d = (frm[c].to_numpy()[:, None] != to[c].to_numpy()[None, :]).astype(float)
        total += d
    return total.min(axis=1) / len(COLUMNS)


# Gower distance to the closest real record, for every synthetic row (fewer than 2,000).
dcr = np.sort(closest(syn, real))

# Membership test: the train rows are the members, the test rows the holdout, and the
# synthetic table is every other train row and every third test row (in file order). Each
# member's and holdout row's distance to the closest synthetic row; the AUC of "members lie
# closer" is the Mann-Whitney U of the holdout distances over the members' (ties half).
mia_syn = pd.concat([real.iloc[::2], syn.iloc[::3]])
d_member = closest(real, mia_syn)
d_holdout = closest(syn, mia_syn)
u = mannwhitneyu(d_holdout, d_member, alternative="two-sided").statistic
membership = {
    "synthetic_rows": len(mia_syn),
    "auc": float(u) / (len(d_member) * len(d_holdout)),
    "member_matches": float((d_member == 0).mean()),
    "non_member_matches": float((d_holdout == 0).mean()),
}
# The copied shares again by exact keys, and for the rows whose combination no other train
# or test row holds (singletons), with the standard error of each difference of two shares.
k_member, k_holdout, k_syn = key(real), key(syn), set(key(mia_syn))
assert float(k_member.isin(k_syn).mean()) == membership["member_matches"]
assert float(k_holdout.isin(k_syn).mean()) == membership["non_member_matches"]
held = pd.concat([k_member, k_holdout]).value_counts()
single_member = k_member[k_member.map(held) == 1]
single_holdout = k_holdout[k_holdout.map(held) == 1]


def difference_se(a, n, b, m):
    return math.sqrt(a * (1 - a) / n + b * (1 - b) / m)


membership["matches_se"] = difference_se(membership["member_matches"], len(real),
                                         membership["non_member_matches"], len(syn))
sm, sh = float(single_member.isin(k_syn).mean()), float(single_holdout.isin(k_syn).mean())
membership["singletons"] = {
    "members": len(single_member),
    "non_members": len(single_holdout),
    "member_matches": sm,
    "non_member_matches": sh,
    "matches_se": difference_se(sm, len(single_member), sh, len(single_holdout)),
}


def fairness(t):
    rates = {s: float((g["income"] == ">50K").mean()) for s, g in t.groupby("sex")}
    lo = min(rates, key=rates.get)
    hi = max(rates, key=rates.get)
    return {"rates": rates, "lowest": lo, "highest": hi,
            "spd": rates[lo] - rates[hi], "di": rates[lo] / rates[hi]}


out = {
    "numpy": np.__version__,
    "pandas": pd.__version__,
    "scipy": scipy.__version__,
    "real_rows": len(real),
    "synthetic_rows": len(syn),
    "columns": columns,
    "pairs": pairs,
    "column_mean": column_mean,
    "pair_mean": pair_mean,
    "overall": (column_mean + pair_mean) / 2.0,
    "exact_copy_rows": copies,
    "unique_copy_rows": unique_copies,
    "dcr": {"min": float(dcr[0]), "p5": float(np.percentile(dcr, 5)),
            "median": float(np.percentile(dcr, 50))},
    "membership": membership,
    "fairness": {"sample": fairness(df), "real": fairness(real), "synthetic": fairness(syn)},
}
with open(OUT, "w") as f:
    json.dump(out, f, indent=1, sort_keys=True)
    f.write("\n")
print(json.dumps({k: out[k] for k in ["overall", "column_mean", "pair_mean", "exact_copy_rows", "unique_copy_rows", "dcr", "membership", "fairness"]}, indent=1))
