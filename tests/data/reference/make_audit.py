"""Reference figures for `fairsynth audit`, computed independently with pandas, scipy and
statsmodels on tests/data/adult_sample.csv with the definitions of schemas/adult.yaml.

- shares: each protected group's share of the rows with a group, and its 95 % Wilson score
  interval (statsmodels `proportion_confint(method="wilson")`);
- rates: the share of `income == ">50K"` per group; SPD and DI over the groups with at least
  MIN_GROUP_ROWS rows (the audit runs with `--threshold min_group_rows=30`);
- proxies: Cramér's V without continuity correction (scipy
  `stats.contingency.association(method="cramer", correction=False)`) and mutual information
  in bits between every column other than the protected ones, the label and the weight, and
  each protected column; nulls are a level of their own, numbers without schema bins are cut
  into 10 equal-width bins of their range;
- quality: nulls per column and duplicate rows;
- singling out with tests/data/schemas/adult_deid.yaml (quasi-identifiers age and sex, raw
  values; every declared column counted, none is an identifier): the share of rows unique over
  the quasi-identifiers, over all 15 declared columns, and over the quasi-identifiers plus each
  other column, by pandas `groupby(dropna=False).size()`.

Writes tests/data/reference/audit.json. Run from the project root:

    python3 -m venv /tmp/ref-venv && /tmp/ref-venv/bin/pip install pandas scipy statsmodels
    /tmp/ref-venv/bin/python tests/data/reference/make_audit.py
"""

import json
import math

import numpy as np
import pandas as pd
import scipy
import statsmodels
from scipy.stats.contingency import association
from statsmodels.stats.proportion import proportion_confint

SAMPLE = "tests/data/adult_sample.csv"
OUT = "tests/data/reference/audit.json"
MIN_GROUP_ROWS = 30
NUMERIC = ["age", "fnlwgt", "education_num", "capital_gain", "capital_loss", "hours_per_week"]
AGE_EDGES = [17, 25, 35, 45, 55, 65, 90]
AGE_LABELS = ["17-24", "25-34", "35-44", "45-54", "55-64", "65-90"]
PROTECTED = ["age", "race", "sex"]
LABEL, FAVOURABLE = "income", ">50K"
SCANNED = ["workclass", "education", "education_num", "marital_status", "occupation",
           "relationship", "capital_gain", "capital_loss", "hours_per_week", "native_country",
           "split"]
NULL = "\0null"

df = pd.read_csv(SAMPLE, dtype={c: "float64" for c in NUMERIC}, keep_default_na=False,
                 na_values={c: [""] for c in NUMERIC})
nulls = {c: int((df[c] == "").sum()) if df[c].dtype == object else int(df[c].isna().sum())
         for c in df.columns}
duplicates = int(df.duplicated().sum())

# Protected groups: age by its schema bands (the top edge is in the last band).
groups = pd.DataFrame({
    "age": pd.cut(df["age"].where(df["age"] < 90, 89.5), bins=AGE_EDGES, right=False,
                  labels=AGE_LABELS).astype(str),
    "race": df["race"],
    "sex": df["sex"],
})
groups["age & race & sex"] = groups["age"] + " & " + groups["race"] + " & " + groups["sex"]

shares, intervals, counts, rates, parity = {}, {}, {}, {}, {}
fav = df[LABEL] == FAVOURABLE
for attr in PROTECTED + ["age & race & sex"]:
    vc = groups[attr].value_counts()
    n = int(vc.sum())
    counts[attr] = {g: int(k) for g, k in vc.items()}
    shares[attr] = {g: k / n for g, k in vc.items()}
    intervals[attr] = {g: list(proportion_confint(int(k), n, alpha=0.05, method="wilson"))
                       for g, k in vc.items()}
    r = fav.groupby(groups[attr]).mean()
    rates[attr] = {g: float(v) for g, v in r.items()}
    compared = r[vc.reindex(r.index) >= MIN_GROUP_ROWS]
    lo, hi = compared.min(), compared.max()
    parity[attr] = {"spd": float(lo - hi), "di": float(lo / hi),
                    "lowest": compared.idxmin(), "highest": compared.idxmax()}


def coded(col):
    s = df[col]
    if col in NUMERIC:
        lo, hi = s.min(), s.max()
        b = np.floor((s - lo) / (hi - lo) * 10).clip(0, 9)
        return b.map(lambda x: NULL if pd.isna(x) else str(int(x)))
    return s.replace("", NULL)


proxies = {}
for col in SCANNED:
    x = coded(col)
    proxies[col] = {}
    for p in PROTECTED:
        table = pd.crosstab(groups[p], x)
        v = association(table.to_numpy(), method="cramer", correction=False)
        pij = table.to_numpy() / table.to_numpy().sum()
        pi = pij.sum(axis=1, keepdims=True)
        pj = pij.sum(axis=0, keepdims=True)
        nz = pij > 0
        mi = float((pij[nz] * np.log2(pij[nz] / (pi @ pj)[nz])).sum())
        proxies[col][p] = {"cramers_v": float(v), "mutual_information_bits": mi}

DEID_COLUMNS = ["age", "workclass", "fnlwgt", "education", "education_num", "marital_status",
                "occupation", "relationship", "race", "sex", "capital_gain", "capital_loss",
                "hours_per_week", "native_country", "income"]
DEID_QUASI = ["age", "sex"]
raw = pd.read_csv(SAMPLE, keep_default_na=False, na_values={c: [""] for c in NUMERIC})
for c in DEID_COLUMNS:
    if c not in NUMERIC:
        raw[c] = raw[c].replace("", None)


def unique_share(cols):
    sizes = raw.groupby(cols, dropna=False, observed=True).size()
    return int((sizes == 1).sum()) / len(raw)


singling_out = {
    "quasi_identifiers": unique_share(DEID_QUASI),
    "all_columns": unique_share(DEID_COLUMNS),
    "plus_column": {c: unique_share(DEID_QUASI + [c]) for c in DEID_COLUMNS
                    if c not in DEID_QUASI},
}

ranking = sorted(((v["cramers_v"], c, p) for c, d in proxies.items() for p, v in d.items()),
                 reverse=True)

out = {
    "made_with": {"python": ".".join(map(str, __import__("sys").version_info[:3])),
                  "pandas": pd.__version__, "numpy": np.__version__, "scipy": scipy.__version__,
                  "statsmodels": statsmodels.__version__},
    "rows": len(df),
    "min_group_rows": MIN_GROUP_ROWS,
    "counts": counts,
    "shares": shares,
    "wilson95": intervals,
    "rates": rates,
    "parity": parity,
    "proxies": proxies,
    "top_proxies": [[c, p, v] for v, c, p in ranking[:5]],
    "nulls": nulls,
    "duplicates": duplicates,
    "singling_out_adult_deid": singling_out,
}
with open(OUT, "w") as f:
    json.dump(out, f, indent=1, sort_keys=True)
    f.write("\n")
print(f"wrote {OUT}: top proxy {ranking[0][1]} for {ranking[0][2]} (V {ranking[0][0]:.4f})")
