"""Files as people export them, read through the package: a workbook written by openpyxl (a
third-party writer), and a German CSV export (`;`, decimal commas, dd.mm.yyyy, Windows-1252),
detected or stated with the same keywords as the command line's flags."""

from __future__ import annotations

import datetime as dt

import pytest

import fairsynth

openpyxl = pytest.importorskip("openpyxl")

SCHEMA = """version: 1
name: kunden
columns:
  - {name: kdnr, type: int, role: identifier, action: pseudonymise}
  - {name: Vorname, type: string, role: identifier}
  - {name: Ort, type: category, role: feature}
  - {name: geb_datum, type: date, role: feature, acknowledge: [date_of_birth, date]}
  - {name: umsatz_eur, type: float, role: feature}
privacy:
  identifiers: drop
"""

ROWS = [
    (10000, "Jürgen", "München", dt.date(1980, 12, 24), 213.71),
    (10001, "Käthe", "Köln", dt.date(1975, 3, 1), 1990.81),
    (10002, "Sören", "Lübeck", dt.date(1990, 7, 15), 13.5),
]


@pytest.fixture()
def workbook(tmp_path):
    """A workbook whose table is on its second sheet, `Kunden`."""
    wb = openpyxl.Workbook()
    wb.active.title = "Info"
    wb.active.append(["Export aus dem CRM"])
    ws = wb.create_sheet("Kunden")
    ws.append(["kdnr", "Vorname", "Ort", "geb_datum", "umsatz_eur"])
    for r in ROWS:
        ws.append(list(r))
    path = tmp_path / "kunden.xlsx"
    wb.save(path)
    return path


def test_inspect_reads_an_openpyxl_workbook_and_drafts_its_sheet(workbook):
    ins = fairsynth.inspect(workbook, sheet="Kunden")
    assert ins.profile["read_as"] == "xlsx, sheet `Kunden`"
    cols = {c["name"]: c for c in ins.profile["columns"]}
    assert cols["geb_datum"]["inferred_type"] == "date"
    assert cols["umsatz_eur"]["inferred_type"] == "float"
    assert 'sheet: "Kunden"' in ins.draft_schema
    # By number too (1 is the first sheet).
    assert fairsynth.inspect(workbook, sheet=2).profile["rows"] == 3


def test_deidentify_reads_the_workbook_typed(workbook):
    s = fairsynth.Schema(SCHEMA + "input:\n  sheet: Kunden\n", "kunden.yaml")
    out = fairsynth.deidentify(workbook, s, key="python-tests-0123456789abcdef-key")
    t = out.table
    assert t.num_rows == 3
    assert t.column("umsatz_eur").to_pylist() == [213.71, 1990.81, 13.5]
    assert t.column("geb_datum").to_pylist()[0] == dt.date(1980, 12, 24)
    assert "Vorname" not in t.column_names


def test_a_german_csv_export_is_detected_and_keywords_override(tmp_path):
    text = "kdnr;Vorname;Ort;geb_datum;umsatz_eur\r\n" + "".join(
        f"{k};{v};{o};{g:%d.%m.%Y};{str(u).replace('.', ',')}\r\n" for k, v, o, g, u in ROWS
    )
    path = tmp_path / "export.csv"
    path.write_bytes(text.encode("cp1252"))
    ins = fairsynth.inspect(path)
    assert ins.profile["read_as"] == (
        "csv, delimiter ';', decimal ',', dates dd.mm.yyyy, encoding windows-1252"
    )
    assert "decimal: \",\"" in ins.draft_schema
    s = fairsynth.Schema(SCHEMA, "kunden.yaml")
    out = fairsynth.deidentify(path, s, key="python-tests-0123456789abcdef-key")
    assert out.table.column("umsatz_eur").to_pylist() == [213.71, 1990.81, 13.5]
    assert out.table.column("Ort").to_pylist()[0] == "München"
    # A stated decimal point wins over detection: the values no longer read, and the hint
    # names the keyword's flag.
    with pytest.raises(fairsynth.Error, match="pass --decimal ','"):
        fairsynth.deidentify(path, s, key="python-tests-0123456789abcdef-key", decimal=".")
    with pytest.raises(ValueError, match="decimal"):
        fairsynth.inspect(path, decimal=";")
