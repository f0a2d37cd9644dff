"""Independent check of `fairsynth deidentify DIR` figures with pandas.

Usage: python3 check_deid.py OUTDIR REPORT.json

For every table of the report: the rows written and the share of rows unique over the
table's released quasi-identifiers equal the report's. For every root table in
`persons`: the persons unique over their own quasi-identifiers, and over those plus, per
linked table (joined through the driving keys, transitively), the count of their rows and
the sorted tuples of those rows' quasi-identifiers, equal the report's. Exits 1 on a
mismatch. Run by tests/deidentify_linked.rs when pandas and pyarrow are importable.
"""

import json
import sys
from pathlib import Path

import pandas as pd


def text(series):
    # The same text for every row whatever the type; nulls as a marker.
    values = series.astype(object)
    return pd.Series(["\0" if pd.isna(v) else str(v) for v in values], index=series.index,
                     dtype=object)


def tuples(df, columns):
    if not columns:
        return pd.Series([""] * len(df), index=df.index)
    out = text(df[columns[0]])
    for c in columns[1:]:
        out = out + "\x1f" + text(df[c])
    return out


def main(out_dir, report_path):
    report = json.loads(Path(report_path).read_text())
    frames = {t["table"]: pd.read_parquet(Path(out_dir) / f"{t['table']}.parquet")
              for t in report["tables"]}
    failures = []
    for t in report["tables"]:
        df = frames[t["table"]]
        so = t["deidentify"]["singling_out"]["quasi_identifiers"]
        if len(df) != t["rows_out"]:
            failures.append(f"{t['table']}: {len(df)} rows, report {t['rows_out']}")
        keys = tuples(df, so["columns"])
        share = (keys.map(keys.value_counts()) == 1).sum() / len(df) if len(df) else 0.0
        if abs(share - so["share"]) > 1e-12:
            failures.append(f"{t['table']}: unique share {share}, report {so['share']}")
    # Driving keys and primary keys come from the report: each table's propagation lists its
    # foreign keys; the driving one names the parent.
    driving = {}
    for t in report["tables"]:
        for p in t["propagation"]:
            if p["driving"]:
                driving[t["table"]] = (p["column"], p["parent"])
    pks = {g["table"]: g["primary_key"] for g in report["keys"]}
    for p in report["persons"]:
        root = frames[p["table"]]
        own = tuples(root, p["quasi_identifiers"]).reset_index(drop=True)
        full = own.copy()
        person_of = {p["table"]: pd.Series(range(len(root)), index=root[pks[p["table"]]].values)
                     if p["table"] in pks else None}
        for linked in p["linked"]:
            name = linked["table"]
            df = frames[name].reset_index(drop=True)
            column, parent = driving[name]
            parent_map = person_of.get(parent)
            if parent_map is None:
                failures.append(f"{name}: no path to {p['table']}")
                break
            persons = df[column].map(parent_map)
            if name in pks:
                person_of[name] = pd.Series(persons.values, index=df[pks[name]].values)
            t = tuples(df, linked["quasi_identifiers"])
            groups = {}
            for who, tup in zip(persons, t):
                if pd.notna(who):
                    groups.setdefault(int(who), []).append(tup)
            part = pd.Series(
                [f"{len(groups.get(i, []))}:" + "\x1e".join(sorted(groups.get(i, [])))
                 for i in range(len(root))])
            full = full + "\x1d" + part
        counts_own = own.map(own.value_counts())
        counts_full = full.map(full.value_counts())
        u_own = int((counts_own == 1).sum())
        u_full = int((counts_full == 1).sum())
        k = int(counts_full.min()) if len(full) else 0
        for what, mine, theirs in [("unique_own", u_own, p["unique_own"]),
                                   ("unique_linked", u_full, p["unique_linked"]),
                                   ("k_linked", k, p["k_linked"])]:
            if mine != theirs:
                failures.append(f"persons of {p['table']}: {what} {mine}, report {theirs}")
    if failures:
        print("\n".join(failures))
        return 1
    print("check_deid: figures agree")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
