#!/usr/bin/env python3
"""Writes the dialect fixtures in this folder: CSV files as people export them, and two
workbooks written by third-party libraries (openpyxl for .xlsx, odfpy for .ods).

Usage: python3 make.py            (CSV files; standard library only)
       python3 make.py --workbooks (also crm_de.xlsx and crm_de.ods; needs openpyxl and odfpy)
Every file is deterministic: same script, same bytes (gzip with mtime 0; workbook metadata
dates fixed).
"""
import datetime as dt
import gzip
import io
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))

FIRST = ["Jürgen", "Anna", "Björn", "Käthe", "Lukas", "Sören", "Maria", "Özlem", "Jörg", "Anja",
         "Günther", "Lea", "Max", "Hanna", "Uwe", "Zoë", "Paul", "Ines", "Timo", "Greta"]
LAST = ["Müller", "Schäfer", "Weiß", "Groß", "Köhler", "Bäcker", "Schröder", "Hoffmann",
        "Krüger", "Wagner", "Maier", "Jäger", "Fuchs", "Lößner", "Becker", "Vogel", "Dürr",
        "Keller", "Hübner", "Brandt"]
CITY = ["München", "Köln", "Düsseldorf", "Nürnberg", "Lübeck"]


def people(n=20):
    """Deterministic CRM rows: (kdnr, anrede, vorname, nachname, ort, geb, umsatz, kontakt)."""
    rows = []
    for i in range(n):
        geb = dt.date(1950 + (i * 7) % 50, 1 + (i * 5) % 12, 1 + (i * 11) % 28)
        if i == 3:
            geb = dt.date(1980, 12, 24)
        umsatz = round(13.5 + (i * 1977.31) % 4321, 2)
        kontakt = dt.datetime(2024, 1 + i % 12, 1 + (i * 3) % 28, 8 + i % 10, (i * 7) % 60)
        rows.append((10000 + i, "Frau" if i % 2 else "Herr", FIRST[i], LAST[i], CITY[i % 5],
                     geb, umsatz, kontakt))
    return rows


def de_number(x, thousands=""):
    whole, frac = f"{x:.2f}".split(".")
    if thousands:
        groups = []
        while len(whole) > 3:
            groups.insert(0, whole[-3:])
            whole = whole[:-3]
        groups.insert(0, whole)
        whole = thousands.join(groups)
    return f"{whole},{frac}"


def write(name, text, encoding="utf-8", bom=False, newline="\r\n"):
    data = text.replace("\n", newline).encode(encoding)
    if bom:
        data = b"\xef\xbb\xbf" + data
    with open(os.path.join(HERE, name), "wb") as f:
        f.write(data)
    return data


def crm_de():
    lines = ["kdnr;Anrede;Vorname;Nachname;Ort;geb_datum;umsatz_eur;letzter_kontakt"]
    for k, a, v, n, o, g, u, t in people():
        lines.append(f"{k};{a};{v};{n};{o};{g:%d.%m.%Y};{de_number(u)};{t:%d.%m.%Y %H:%M}")
    return "\n".join(lines) + "\n"


def main():
    # Excel's "CSV (Trennzeichen-getrennt)" on a German Windows: `;`, decimal commas,
    # dd.mm.yyyy dates, Windows-1252, CRLF.
    write("crm_de.csv", crm_de(), encoding="cp1252")
    # UTF-8 with a byte-order mark (Excel's "CSV UTF-8"), ISO dates, comma-separated.
    lines = ["id,name,city,birth_date,spend"]
    for k, a, v, n, o, g, u, t in people(12):
        lines.append(f"{k},{v} {n},{o},{g:%Y-%m-%d},{u:.2f}")
    write("bom_utf8.csv", "\n".join(lines) + "\n", bom=True)
    # Tab-separated with US dates (month first; a day above 12 decides it), LF.
    lines = ["id\tname\tsigned_up\tspend"]
    for k, a, v, n, o, g, u, t in people(12):
        lines.append(f"{k}\t{v} {n}\t{t:%m/%d/%Y}\t{u:.2f}")
    write("us_tab.tsv", "\n".join(lines) + "\n", newline="\n")
    # gzip-compressed `;` CSV with thousands dots: 1.234,56.
    lines = ["kdnr;Ort;umsatz_eur"]
    for k, a, v, n, o, g, u, t in people(15):
        lines.append(f"{k};{o};{de_number(u * 3, '.')}")
    buf = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buf, mtime=0) as z:
        z.write(("\n".join(lines) + "\n").encode("utf-8"))
    with open(os.path.join(HERE, "umsatz.csv.gz"), "wb") as f:
        f.write(buf.getvalue())
    # Errors: every date could be either order; a column with both orders; mixed delimiters.
    write("ambiguous_dates.csv",
          "id,seen\n1,01/02/2020\n2,03/04/2021\n3,05/06/2022\n4,12/11/2020\n", newline="\n")
    write("both_orders.csv",
          "id,seen\n1,13/01/2020\n2,05/06/2021\n3,01/13/2020\n", newline="\n")
    write("mixed_delimiters.csv",
          "id;name;city\n1;Anna;Köln\n2;Jörg;Lübeck\n3,Uwe,Kiel\n4,Lea,Bonn\n", newline="\n")
    if "--workbooks" in sys.argv:
        workbooks()


def workbooks():
    import openpyxl
    from odf.opendocument import OpenDocumentSpreadsheet
    from odf.table import Table, TableCell, TableRow
    from odf.text import P

    header = ["kdnr", "Anrede", "Vorname", "Nachname", "Ort", "geb_datum", "umsatz_eur",
              "letzter_kontakt", "notiz"]
    wb = openpyxl.Workbook()
    wb.properties.created = dt.datetime(2024, 1, 1)
    wb.properties.modified = dt.datetime(2024, 1, 1)
    info = wb.active
    info.title = "Info"
    info.append(["Export aus dem CRM"])
    ws = wb.create_sheet("Kunden")
    ws.append(header)
    for k, a, v, n, o, g, u, t in people():
        # A decimal-comma number typed as text, as pasted exports often hold.
        note = de_number(u) if k % 5 == 0 else None
        ws.append([k, a, v, n, o, g, u, t, note])
    for row in ws.iter_rows(min_row=2, min_col=6, max_col=6):
        for c in row:
            c.number_format = "DD.MM.YYYY"
    wb.save(os.path.join(HERE, "crm_de.xlsx"))

    doc = OpenDocumentSpreadsheet()
    table = Table(name="Kunden")
    def cell(value):
        if isinstance(value, (int, float)):
            c = TableCell(valuetype="float", value=value)
        elif isinstance(value, dt.datetime):
            c = TableCell(valuetype="date", datevalue=value.strftime("%Y-%m-%dT%H:%M:%S"))
        elif isinstance(value, dt.date):
            c = TableCell(valuetype="date", datevalue=value.isoformat())
        else:
            c = TableCell(valuetype="string")
        c.addElement(P(text=str(value)))
        return c
    tr = TableRow()
    for h in header[:8]:
        tr.addElement(cell(h))
    table.addElement(tr)
    for row in people():
        tr = TableRow()
        for v in row:
            tr.addElement(cell(v))
        table.addElement(tr)
    doc.spreadsheet.addElement(table)
    doc.save(os.path.join(HERE, "crm_de.ods"))


if __name__ == "__main__":
    main()
