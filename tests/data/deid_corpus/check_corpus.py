#!/usr/bin/env python3
"""Self-check of the corpus (also run by `make_corpus.py --check`).

- every table in labels.json reads back with its declared dialect (pandas; openpyxl for xlsx);
- the header equals the labelled columns (every column labelled, no label without a column);
- classes are from the closed list, the row count matches, 300 <= rows <= 600;
- columns with a date `format` parse with it (xlsx: date cells are real dates);
- numeric columns parse with the declared decimal/thousands separators;
- every embedded substring occurs in its row's cell; every free_text_identifiers column has entries;
- the encodings are what is declared (BOM present/absent, Windows-1252 is not valid UTF-8, gzip magic);
- the IBANs in identifier columns pass the mod-97 check.
Prints one line per table and 'N passed, N failed'.
"""

import datetime as dt
import gzip
import json
import sys
from pathlib import Path

import openpyxl
import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import corpus_lib as L  # noqa: E402

CLASSES = {"identifier", "free_text_identifiers", "free_text", "quasi_identifier", "protected", "consent", "feature"}
NUMERIC_KINDS = {"amount", "quantity", "age", "body_weight", "height", "measurement", "product_weight", "score"}
PY_ENC = {"windows-1252": "cp1252", "utf-8": "utf-8"}


def read_table(root, t):
    d = t["dialect"]
    path = root / t["file"]
    if d["format"] == "xlsx":
        wb = openpyxl.load_workbook(path, read_only=True)
        assert wb.sheetnames[0] == d["sheet"], (wb.sheetnames, d["sheet"])
        ws = wb[d["sheet"]]
        rows = list(ws.iter_rows(values_only=True))
        header, data = list(rows[0]), [list(r) for r in rows[1:]]
        return header, data, pd.read_excel(path, sheet_name=d["sheet"], dtype=object)
    enc = PY_ENC[d["encoding"]] + ("-sig" if d["bom"] else "")
    df = pd.read_csv(path, sep=d["delimiter"], encoding=enc, compression=d["compression"], dtype=str,
                     keep_default_na=False, na_filter=False)
    return list(df.columns), df.values.tolist(), df


def check_raw(root, t, errs):
    d = t["dialect"]
    raw = (root / t["file"]).read_bytes()
    if d["compression"] == "gzip":
        if raw[:2] != b"\x1f\x8b":
            errs.append("not gzip")
        raw = gzip.decompress(raw)
    if d["format"] == "xlsx":
        if raw[:2] != b"PK":
            errs.append("not a zip/xlsx")
        return
    has_bom = raw.startswith(b"\xef\xbb\xbf")
    if d["bom"] != has_bom:
        errs.append(f"BOM declared {d['bom']} but present {has_bom}")
    if d["encoding"] == "windows-1252":
        try:
            raw.decode("utf-8")
            errs.append("declared windows-1252 but decodes as UTF-8 (no non-ASCII bytes?)")
        except UnicodeDecodeError:
            pass
    else:
        raw.decode("utf-8")
    first = raw.split(b"\n", 1)[0]
    if d["line_terminator"] == "\r\n" and not first.endswith(b"\r"):
        errs.append("declared CRLF, found LF")
    if d["delimiter"] and d["delimiter"].encode() not in first:
        errs.append("delimiter not in header line")


def parse_number(s, d):
    if d.get("thousands"):
        s = s.replace(d["thousands"], "")
    if d.get("decimal") and d["decimal"] != ".":
        if "." in s:
            raise ValueError(f"'.' in {s!r} with decimal {d['decimal']!r}")
        s = s.replace(d["decimal"], ".")
    return float(s)


def check_table(root, t, embedded, errs):
    check_raw(root, t, errs)
    header, data, _ = read_table(root, t)
    cols = t["columns"]
    if header != list(cols):
        errs.append(f"header {header} != labelled columns {list(cols)}")
        return
    if len(data) != t["rows"]:
        errs.append(f"{len(data)} rows, labels say {t['rows']}")
    if not 300 <= len(data) <= 600:
        errs.append(f"{len(data)} rows, outside 300..600")
    d = t["dialect"]
    xlsx = d["format"] == "xlsx"
    for j, (name, lab) in enumerate(cols.items()):
        if lab["class"] not in CLASSES:
            errs.append(f"{name}: class {lab['class']!r}")
        values = [r[j] for r in data]
        nonempty = [v for v in values if v not in ("", None)]
        if not nonempty:
            errs.append(f"{name}: empty column")
            continue
        fmt = lab.get("format")
        if fmt:
            for v in nonempty:
                if xlsx:
                    if not isinstance(v, (dt.date, dt.datetime)):
                        errs.append(f"{name}: {v!r} is not a date cell")
                        break
                else:
                    try:
                        dt.datetime.strptime(v, L.DATE_FMT[fmt])
                    except ValueError:
                        errs.append(f"{name}: {v!r} does not parse as {fmt}")
                        break
        if lab["kind"] in NUMERIC_KINDS:
            for v in nonempty:
                try:
                    if not (xlsx and isinstance(v, (int, float))):
                        parse_number(str(v), d)
                except ValueError as e:
                    errs.append(f"{name}: {v!r} not a number with this dialect ({e})")
                    break
        if lab["kind"] == "postcode" and xlsx:
            if not all(isinstance(v, str) for v in nonempty):
                errs.append(f"{name}: postcode cells must be text")
        if lab["kind"] == "iban":
            bad = [v for v in nonempty if not L.iban_valid(v)]
            if bad:
                errs.append(f"{name}: invalid IBANs {bad[:3]}")
        if lab["class"] == "free_text_identifiers":
            emb = embedded.get(t["file"], {}).get(name)
            if not emb:
                errs.append(f"{name}: free_text_identifiers without embedded.json entries")
    # ages agree with birth dates (on the reference date, or on the date named by `age_at`)
    names = list(cols)
    ages = [n for n in names if cols[n]["kind"] == "age"]
    births = [n for n in names if cols[n]["kind"] == "birth_date"]
    if len(ages) == 1 and len(births) == 1:
        a, b = names.index(ages[0]), names.index(births[0])
        on_col = cols[ages[0]].get("age_at")
        bad = 0
        for r in data:
            if r[b] in ("", None) or r[a] in ("", None):
                continue
            birth = r[b] if xlsx else dt.datetime.strptime(r[b], L.DATE_FMT[cols[births[0]]["format"]])
            if on_col:
                on = dt.datetime.strptime(r[names.index(on_col)], L.DATE_FMT[cols[on_col]["format"]]).date()
            else:
                on = dt.date.fromisoformat(t["reference_date"])
            bad += int(r[a]) != L.age_at(birth.date() if isinstance(birth, dt.datetime) else birth, on)
        if bad:
            errs.append(f"{bad} rows where {ages[0]} disagrees with {births[0]}")
    for name, items in embedded.get(t["file"], {}).items():
        if name not in cols:
            errs.append(f"embedded.json names unknown column {name}")
            continue
        if cols[name]["class"] != "free_text_identifiers":
            errs.append(f"embedded.json: {name} is not free_text_identifiers")
        j = list(cols).index(name)
        for item in items:
            row, sub = item[0], item[1]
            cell = data[row][j] or ""
            if sub not in cell:
                errs.append(f"{name} row {row}: {sub!r} not in {cell!r}")
                break


def main():
    labels = json.loads((HERE / "labels.json").read_text(encoding="utf-8"))
    embedded = json.loads((HERE / "embedded.json").read_text(encoding="utf-8"))
    passed = failed = 0
    files = set()
    for t in labels["tables"]:
        errs = []
        files.add(t["file"])
        if not t["file"].startswith(t["split"] + "/"):
            errs.append(f"split {t['split']} but path {t['file']}")
        try:
            check_table(HERE, t, embedded, errs)
        except Exception as e:  # noqa: BLE001
            errs.append(f"{type(e).__name__}: {e}")
        by_class = {}
        for n, lab in t["columns"].items():
            by_class.setdefault(lab["class"], []).append(n)
        status = "ok" if not errs else "FAIL"
        print(f"{status:4} {t['file']} ({t['split']}, {t['locale']}, {t['rows']} rows, "
              f"{sum(len(v) for v in by_class.values())} columns, "
              + ", ".join(f"{k} {len(v)}" for k, v in sorted(by_class.items())) + ")")
        for e in errs:
            print(f"     - {e}")
        passed += not errs
        failed += bool(errs)
    # files on disk that are not labelled
    on_disk = {str(p.relative_to(HERE)) for split in ("dev", "holdout") for p in (HERE / split).iterdir()
               if not p.name.endswith(".source.json")}
    extra = on_disk - files
    if extra:
        print(f"FAIL unlabelled files: {sorted(extra)}")
        failed += 1
    for f in embedded:
        if f not in files:
            print(f"FAIL embedded.json names unknown table {f}")
            failed += 1
    splits = [t["split"] for t in labels["tables"]]
    n_hold = splits.count("holdout")
    print(f"tables: {len(splits)} ({len(splits) - n_hold} dev, {n_hold} holdout); "
          f"embedded identifier substrings: {sum(len(v) for c in embedded.values() for v in c.values())}")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
