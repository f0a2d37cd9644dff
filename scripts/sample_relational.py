#!/usr/bin/env python3
"""Draws the small relational test samples under tests/data/relational/ from ../shared.

berka: 200 accounts drawn at random (seed 23), with every row that depends on them (their
dispositions, the clients of those dispositions, the cards of those dispositions, their loans
and orders) and all districts, so every foreign key of the DDL still holds.
cdnow: 300 users drawn at random (seed 23) and all their purchases.

Rows are copied byte for byte (header first, original order). Standard library only.
Usage: python3 scripts/sample_relational.py [SHARED_RELATIONAL_DIR] [OUT_DIR]
"""

import csv
import os
import random
import sys

SRC = sys.argv[1] if len(sys.argv) > 1 else "../shared/data/relational"
OUT = sys.argv[2] if len(sys.argv) > 2 else "tests/data/relational"
SEED = 23


def read(path):
    """The header line, and (fields, raw line) per data row."""
    with open(path, newline="", encoding="utf-8") as f:
        lines = f.read().splitlines(keepends=True)
    header = lines[0]
    rows = [(next(csv.reader([line])), line) for line in lines[1:] if line.strip()]
    names = next(csv.reader([header]))
    return header, names, rows


def write(path, header, rows):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as f:
        f.write(header)
        for _, line in rows:
            f.write(line if line.endswith("\n") else line + "\n")


def keep(table, column, allowed):
    header, names, rows = table
    i = names.index(column)
    return header, names, [r for r in rows if r[0][i] in allowed]


def column(table, name):
    _, names, rows = table
    i = names.index(name)
    return {r[0][i] for r in rows}


def berka():
    src = os.path.join(SRC, "berka")
    t = {n: read(os.path.join(src, n + ".csv"))
         for n in ["district", "client", "account", "disp", "card", "loan", "order"]}
    rng = random.Random(SEED)
    accounts = set(rng.sample(sorted(column(t["account"], "account_id"), key=int), 200))
    out = {"district": t["district"], "account": keep(t["account"], "account_id", accounts)}
    out["disp"] = keep(t["disp"], "account_id", accounts)
    out["client"] = keep(t["client"], "client_id", column(out["disp"], "client_id"))
    out["card"] = keep(t["card"], "disp_id", column(out["disp"], "disp_id"))
    out["loan"] = keep(t["loan"], "account_id", accounts)
    out["order"] = keep(t["order"], "account_id", accounts)
    for name, table in out.items():
        write(os.path.join(OUT, "berka", name + ".csv"), table[0], table[2])
        print(f"berka/{name}.csv: {len(table[2])} rows")


def cdnow():
    src = os.path.join(SRC, "cdnow")
    users = read(os.path.join(src, "users.csv"))
    purchases = read(os.path.join(src, "purchases.csv"))
    rng = random.Random(SEED)
    chosen = set(rng.sample(sorted(column(users, "id"), key=int), 300))
    out = {"users": keep(users, "id", chosen), "purchases": keep(purchases, "users_id", chosen)}
    for name, table in out.items():
        write(os.path.join(OUT, "cdnow", name + ".csv"), table[0], table[2])
        print(f"cdnow/{name}.csv: {len(table[2])} rows")


if __name__ == "__main__":
    berka()
    cdnow()
