#!/usr/bin/env python3
"""Flatten unitedstates/congress-legislators legislators-current.yaml into
holdout/us_congress_legislators.csv (one row per current member, fields of the latest term).

    git clone https://github.com/unitedstates/congress-legislators   # or any copy of the repository
    target/corpus-venv/bin/python tests/data/deid_corpus/flatten_legislators.py \
        --git-dir congress-legislators/.git [--commit COMMIT]

Needs PyYAML (pyyaml==6.0.2 in the corpus venv). The data is CC0 1.0 (public domain dedication).
The rows are written in the order of the YAML file; nothing is changed in the values except that
the latest term's fields are taken and the district number is written as text.
"""

import argparse
import csv
import io
import json
import subprocess
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
OUT = HERE / "holdout" / "us_congress_legislators.csv"
META = HERE / "holdout" / "us_congress_legislators.source.json"
COLUMNS = ["last_name", "first_name", "middle_name", "nickname", "full_name", "birthday", "gender", "party",
           "state", "district", "type", "start", "end", "bioguide_id", "wikipedia", "phone", "address", "url"]


def git(git_dir, *args):
    return subprocess.run(["git", f"--git-dir={git_dir}", *args], check=True, capture_output=True).stdout


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--git-dir", required=True)
    ap.add_argument("--commit", default="HEAD")
    a = ap.parse_args()
    commit = git(a.git_dir, "rev-parse", a.commit).decode().strip()
    date = git(a.git_dir, "show", "-s", "--format=%cI", commit).decode().strip()
    data = yaml.safe_load(git(a.git_dir, "show", f"{commit}:legislators-current.yaml"))
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(COLUMNS)
    for p in data:
        n, bio, term = p["name"], p.get("bio", {}), p["terms"][-1]
        full = n.get("official_full") or " ".join(x for x in (n.get("first"), n.get("middle"), n.get("last")) if x)
        w.writerow([
            n.get("last", ""), n.get("first", ""), n.get("middle", ""), n.get("nickname", ""), full,
            bio.get("birthday", ""), bio.get("gender", ""), term.get("party", ""), term.get("state", ""),
            "" if term.get("district") is None else str(term["district"]), term.get("type", ""),
            term.get("start", ""), term.get("end", ""), p["id"].get("bioguide", ""), p["id"].get("wikipedia", ""),
            term.get("phone", ""), term.get("address", ""), term.get("url", ""),
        ])
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(buf.getvalue(), encoding="utf-8")
    META.write_text(json.dumps({
        "repository": "https://github.com/unitedstates/congress-legislators",
        "commit": commit, "commit_date": date, "file": "legislators-current.yaml",
        "licence": "CC0 1.0 Universal (public domain dedication), see the repository's LICENSE",
        "rows": len(data),
        "transformation": "one row per person; name and bio fields, and the fields of the last entry of 'terms'",
        "not_included": "legislators-historical.yaml (with death dates) was not available in the snapshot used",
    }, indent=1) + "\n")
    print(f"{OUT.relative_to(HERE)}: {len(data)} rows from {commit}")


if __name__ == "__main__":
    main()
