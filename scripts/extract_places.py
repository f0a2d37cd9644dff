#!/usr/bin/env python3
"""Extracts the embedded US place table, src/synth/places/us_places.tsv.

Source: the PyPI package `zipcodes` (MIT licence), pinned below. Install it and run:

    python3 -m pip install zipcodes==3.0.0
    python3 scripts/extract_places.py > src/synth/places/us_places.tsv

Keeps active STANDARD (street-delivery) ZIP codes of the 50 states and DC that list at least
one telephone area code whose home is that state (the state most of the ZIPs listing the
code are in; a border ZIP also lists its neighbours' codes, which are dropped). Each state keeps about its share of TOTAL ZIPs by population (at
least MIN_PER_STATE), picked evenly across its sorted ZIP list so that every part of the
state is represented; each kept ZIP carries the weight state population / ZIPs kept, with
state populations from the 2020 Census (public domain), so drawing by weight gives each
state its share of the US population. Output: one line per ZIP,
`zip<TAB>city<TAB>state<TAB>area codes (comma-separated)<TAB>weight`, sorted by ZIP.
Deterministic: the same package version gives the same file.
"""

import sys

import zipcodes

PINNED = "3.0.0"
TOTAL = 3000
MIN_PER_STATE = 12

# Resident population, 2020 Census (U.S. Census Bureau, public domain).
POP_2020 = {
    "AL": 5024279, "AK": 733391, "AZ": 7151502, "AR": 3011524, "CA": 39538223,
    "CO": 5773714, "CT": 3605944, "DE": 989948, "DC": 689545, "FL": 21538187,
    "GA": 10711908, "HI": 1455271, "ID": 1839106, "IL": 12812508, "IN": 6785528,
    "IA": 3190369, "KS": 2937880, "KY": 4505836, "LA": 4657757, "ME": 1362359,
    "MD": 6177224, "MA": 7029917, "MI": 10077331, "MN": 5706494, "MS": 2961279,
    "MO": 6154913, "MT": 1084225, "NE": 1961504, "NV": 3104614, "NH": 1377529,
    "NJ": 9288994, "NM": 2117522, "NY": 20201249, "NC": 10439388, "ND": 779094,
    "OH": 11799448, "OK": 3959353, "OR": 4237256, "PA": 13002700, "RI": 1097379,
    "SC": 5118425, "SD": 886667, "TN": 6910840, "TX": 29145505, "UT": 3271616,
    "VT": 643077, "VA": 8631393, "WA": 7705281, "WV": 1793716, "WI": 5893718,
    "WY": 576851,
}


# NANP area codes of Canada and its territories: listed for some border ZIPs, never a US line.
CANADA = set("""204 226 236 249 250 257 263 289 306 343 354 365 367 368 382 387 403 416 418
428 431 437 438 450 460 468 474 506 514 519 548 579 581 584 587 600 604 613 639 647 672 683
705 709 742 753 778 780 782 807 819 825 867 873 879 902 905""".split())


def home_states(records):
    """Each area code's home state: the state with most ZIPs listing it (ties: first by name).
    A ZIP near a border also lists its neighbours' codes; a phone there keeps a home code."""
    counts = {}
    for r in records:
        for a in r["area_codes"]:
            counts.setdefault(a, {}).setdefault(r["state"], 0)
            counts[a][r["state"]] += 1
    return {a: min(c, key=lambda s: (-c[s], s)) for a, c in counts.items()}


def main():
    version = getattr(zipcodes, "__version__", None)
    if version is not None and version != PINNED:
        sys.exit(f"zipcodes {version} installed; this table was extracted from {PINNED}")
    by_state = {s: [] for s in POP_2020}
    records = zipcodes.list_all()
    home = home_states(records)
    for r in records:
        codes = [
            a
            for a in r["area_codes"]
            if len(a) == 3 and a.isdigit() and a not in CANADA and home[a] == r["state"]
        ]
        if (
            r["state"] in by_state
            and r["active"]
            and r["zip_code_type"] == "STANDARD"
            and codes
            and r["city"].strip()
            and "\t" not in r["city"]
        ):
            by_state[r["state"]].append((r["zip_code"], r["city"].strip(), codes))
    total_pop = sum(POP_2020.values())
    rows = []
    for state, zips in by_state.items():
        zips.sort()
        want = max(MIN_PER_STATE, round(TOTAL * POP_2020[state] / total_pop))
        k = min(want, len(zips))
        if k == 0:
            sys.exit(f"no ZIP kept for {state}")
        # Evenly spaced picks over the sorted list: deterministic and spread over the state.
        picks = [zips[(2 * i + 1) * len(zips) // (2 * k)] for i in range(k)]
        weight = round(POP_2020[state] / k)
        for z, city, codes in picks:
            rows.append((z, city, state, ",".join(codes), weight))
    rows.sort()
    out = sys.stdout
    for z, city, state, codes, weight in rows:
        out.write(f"{z}\t{city}\t{state}\t{codes}\t{weight}\n")


if __name__ == "__main__":
    main()
