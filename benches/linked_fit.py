#!/usr/bin/env python3
"""Linked tables: fairsynth's fit + sample of a whole database against SDV's HMA.

Not part of CI. Needs pandas, pyarrow, scikit-learn, scipy, sdmetrics and (for --methods hma) sdv.
Reads real data only from --data; writes the two halves, samples and results under --work.

Usage:
  linked_fit.py --fairsynth BIN --data DIR --dataset cdnow|berka --seed N --out results.json
                [--methods fairsynth,hma] [--work DIR] [--hma-timeout SECONDS]
                [--epsilon E1,E2 --dp-schema SCHEMA [--max-children N]]

With --epsilon, one more method per budget, "fairsynth_epsE": `fit --epsilon E --seed N` of
half A under --dp-schema (a schema whose categories and bounds are public, not drafted from
the data: `inspect`'s draft would leak them), then the same `sample`.

Steps, for one data set:
1. Split the real tables into two halves of *people* with a fixed seed (--seed): cdnow by user
   (a user's purchases follow the user); berka by account (the account's dispositions, the
   clients of those dispositions, their cards, the account's loans and orders follow; district is
   reference data kept whole in both halves). Both halves keep full referential integrity
   (checked). Halves are written as folders of CSV files with the real rows unchanged.
2. "ceiling": half A scored as if synthetic against half B.
3. "fairsynth": `inspect` half A (draft schema used unchanged), `fit`, `sample --seed N` at
   scale 1; wall clock of each command.
4. "hma": sdv.multi_table.HMASynthesizer fitted on half A with metadata from the same keys,
   sample(scale=1); run in a child process killed after --hma-timeout seconds (default 1800).
5. Every output scored against half B: SDMetrics multi-table QualityReport (default, and with
   every column pair counted when the version has thresholds) and DiagnosticReport; per
   relationship the KS statistic of children per parent (zeros included) and max/median/p90;
   the parent-date rule; detection AUC (each parent table's rows joined with aggregates of its
   children, real = 0, synthetic = 1, 5-fold AUC of HistGradientBoostingClassifier); sanity
   checks of values (outside the real range, unseen discrete values); the time ratio.
6. All figures to --out (JSON) and a markdown table on stdout.

Scores compare the columns every method produced (a method that drops a column is named in
`dropped_columns` and the column leaves every method's score, so that all are scored alike).
"""
import argparse
import hashlib
import json
import os
import platform
import shutil
import subprocess
import sys
import time
import warnings

import numpy as np
import pandas as pd

warnings.filterwarnings("ignore")

# ---------------------------------------------------------------------------------------------
# Data sets: tables, keys, column kinds (SDV/SDMetrics sdtypes), relationships, date rules.
# ---------------------------------------------------------------------------------------------
DATE_FORMAT = "%Y-%m-%d"

DATASETS = {
    "cdnow": {
        "tables": {
            "users": {"pk": "id", "columns": {"id": "id"}},
            "purchases": {
                "pk": None,
                "columns": {"users_id": "id", "date": "datetime", "cds": "numerical",
                            "amt": "numerical"},
            },
        },
        # (parent, parent key, child, foreign key)
        "relationships": [("users", "id", "purchases", "users_id")],
        # (child, child date, parent, parent date, path of (table, fk, parent key) joins)
        "rules": [],
    },
    "berka": {
        "tables": {
            "district": {
                "pk": "district_id",
                "columns": {"district_id": "id", "A2": "categorical", "A3": "categorical",
                            **{f"A{i}": "numerical" for i in range(4, 17)}},
            },
            "account": {"pk": "account_id",
                        "columns": {"account_id": "id", "district_id": "id",
                                    "frequency": "categorical", "date": "datetime"}},
            "client": {"pk": "client_id",
                       "columns": {"client_id": "id", "birth_number": "numerical",
                                   "district_id": "id"}},
            "disp": {"pk": "disp_id",
                     "columns": {"disp_id": "id", "client_id": "id", "account_id": "id",
                                 "type": "categorical"}},
            "card": {"pk": "card_id",
                     "columns": {"card_id": "id", "disp_id": "id", "type": "categorical",
                                 "issued": "datetime"}},
            "loan": {"pk": "loan_id",
                     "columns": {"loan_id": "id", "account_id": "id", "date": "datetime",
                                 "amount": "numerical", "duration": "numerical",
                                 "payments": "numerical", "status": "categorical"}},
            "order": {"pk": "order_id",
                      "columns": {"order_id": "id", "account_id": "id",
                                  "bank_to": "categorical", "account_to": "numerical",
                                  "amount": "numerical", "k_symbol": "categorical"}},
        },
        "relationships": [
            ("district", "district_id", "account", "district_id"),
            ("district", "district_id", "client", "district_id"),
            ("client", "client_id", "disp", "client_id"),
            ("account", "account_id", "disp", "account_id"),
            ("disp", "disp_id", "card", "disp_id"),
            ("account", "account_id", "loan", "account_id"),
            ("account", "account_id", "order", "account_id"),
        ],
        "rules": [
            {"name": "loan.date >= account.date", "child": "loan", "child_date": "date",
             "path": [("loan", "account_id", "account", "account_id")], "parent_date": "date"},
            {"name": "card.issued >= account.date (via disp)", "child": "card",
             "child_date": "issued",
             "path": [("card", "disp_id", "disp", "disp_id"),
                      ("disp", "account_id", "account", "account_id")],
             "parent_date": "date"},
        ],
    },
}

# pbc: the Mayo Clinic primary biliary cirrhosis trial, 312 patients and their 1,945 visits
# (tests/data/relational/pbc, committed whole). Visit days count from enrolment: integers, no
# calendar date; the rule is that no visit falls after the end of the patient's follow-up.
DATASETS["pbc"] = {
    "tables": {
        "patients": {"pk": "id",
                     "columns": {"id": "id", "trt": "categorical", "age": "numerical",
                                 "sex": "categorical", "status": "categorical",
                                 "futime": "numerical"}},
        "visits": {"pk": None,
                   "columns": {"patient_id": "id", "day": "numerical",
                               **{c: "numerical" for c in (
                                   "ascites", "hepato", "spiders", "edema", "bili", "chol",
                                   "albumin", "alk_phos", "ast", "platelet", "protime",
                                   "stage")}}},
    },
    "relationships": [("patients", "id", "visits", "patient_id")],
    "rules": [],
}

# berka cut to what SDV 2.0's HMASynthesizer accepts (at most 5 tables, one level of children):
# account and its dispositions, loans and orders. district_id is then a plain category and
# disp.client_id a key with no table; card (a grandchild) and the date rule through it go.
_B = DATASETS["berka"]
DATASETS["berka4"] = {
    "tables": {
        "account": {"pk": "account_id",
                    "columns": {**_B["tables"]["account"]["columns"], "district_id": "categorical"}},
        "disp": _B["tables"]["disp"],
        "loan": _B["tables"]["loan"],
        "order": _B["tables"]["order"],
    },
    "relationships": [r for r in _B["relationships"]
                      if r[0] == "account" and r[2] in ("disp", "loan", "order")],
    "rules": [r for r in _B["rules"] if r["child"] == "loan"],
}


# ---------------------------------------------------------------------------------------------
# Splitting
# ---------------------------------------------------------------------------------------------
def read_raw(data_dir, spec):
    """Real tables as text, exactly as written (empty fields stay empty strings)."""
    return {t: pd.read_csv(os.path.join(data_dir, f"{t}.csv"), dtype=str, keep_default_na=False)
            for t in spec["tables"]}


def split_halves(raw, dataset, seed):
    rng = np.random.default_rng(seed)
    if dataset in ("cdnow", "pbc"):
        parent, pk, child, fk = DATASETS[dataset]["relationships"][0]
        ids = raw[parent][pk].to_numpy()
        perm = rng.permutation(len(ids))
        a_ids = set(ids[perm[: len(ids) // 2]])
        halves = []
        for keep in (lambda s: s.isin(a_ids), lambda s: ~s.isin(a_ids)):
            halves.append({parent: raw[parent][keep(raw[parent][pk])],
                           child: raw[child][keep(raw[child][fk])]})
        return halves
    # berka: by account
    ids = raw["account"]["account_id"].to_numpy()
    perm = rng.permutation(len(ids))
    a_ids = set(ids[perm[: len(ids) // 2]])
    halves = []
    for in_a in (True, False):
        acc_mask = raw["account"]["account_id"].isin(a_ids)
        if not in_a:
            acc_mask = ~acc_mask
        acc = raw["account"][acc_mask]
        accs = set(acc["account_id"])
        disp = raw["disp"][raw["disp"]["account_id"].isin(accs)]
        clients = set(disp["client_id"])
        client = raw["client"][raw["client"]["client_id"].isin(clients)] if "client" in raw \
            else pd.DataFrame({"client_id": sorted(clients)})
        disps = set(disp["disp_id"])
        half = {
            "district": raw.get("district"),
            "account": acc,
            "client": client,
            "disp": disp,
            "card": raw["card"][raw["card"]["disp_id"].isin(disps)] if "card" in raw else None,
            "loan": raw["loan"][raw["loan"]["account_id"].isin(accs)],
            "order": raw["order"][raw["order"]["account_id"].isin(accs)],
        }
        halves.append({t: half[t] for t in raw})
    # a client with dispositions on accounts of both halves would break integrity in one half
    both = set(halves[0]["disp"]["client_id"]) & set(halves[1]["disp"]["client_id"])
    if both:
        raise SystemExit(f"berka split: {len(both)} clients in both halves")
    return halves


def orphan_share(tables, spec):
    """Share of child rows whose foreign key is not a parent's key, per relationship."""
    out = {}
    for parent, pk, child, fk in spec["relationships"]:
        c = tables[child][fk]
        keys = set(tables[parent][pk])
        out[f"{child}.{fk}->{parent}"] = float((~c.isin(keys)).mean()) if len(c) else 0.0
    return out


def write_half(tables, folder):
    os.makedirs(folder, exist_ok=True)
    for t, df in tables.items():
        df.to_csv(os.path.join(folder, f"{t}.csv"), index=False)


# ---------------------------------------------------------------------------------------------
# Typed loading (the same conversion for real halves and every method's output)
# ---------------------------------------------------------------------------------------------
def typed(df, columns):
    out = pd.DataFrame(index=range(len(df)))
    for col, kind in columns.items():
        if col not in df.columns:
            continue
        s = df[col].reset_index(drop=True)
        if kind == "id" or kind == "numerical":
            if isinstance(s.dtype, pd.CategoricalDtype):
                s = s.astype(object)
            v = pd.to_numeric(s.replace("", np.nan), errors="coerce")
            if kind == "id" and v.notna().all():
                v = v.astype("int64")
            else:
                v = v.astype(float)
            out[col] = v
        elif kind == "datetime":
            if isinstance(s.dtype, pd.CategoricalDtype):
                s = s.astype(object)
            s = s.replace("", np.nan)
            out[col] = pd.to_datetime(s.astype(str).where(s.notna(), None),
                                      format=DATE_FORMAT, errors="coerce")
        else:
            s = s.astype(object)
            s = s.where(s.notna() & (s != ""), np.nan)
            out[col] = s.map(lambda x: x if isinstance(x, float) else str(x)).astype(object)
    return out


def load_folder(folder, spec, ext):
    tables = {}
    for t, tspec in spec["tables"].items():
        path = os.path.join(folder, f"{t}.{ext}")
        if ext == "csv":
            df = pd.read_csv(path, dtype=str, keep_default_na=False)
        else:
            df = pd.read_parquet(path)
        tables[t] = typed(df, tspec["columns"])
    return tables


# ---------------------------------------------------------------------------------------------
# Metadata (SDMetrics dict; SDV Metadata is built from the same dict)
# ---------------------------------------------------------------------------------------------
def metadata_dict(spec, keep=None):
    tables = {}
    for t, tspec in spec["tables"].items():
        cols = {}
        for c, kind in tspec["columns"].items():
            if keep is not None and c not in keep[t]:
                continue
            cols[c] = {"sdtype": kind}
            if kind == "datetime":
                cols[c]["datetime_format"] = DATE_FORMAT
            if kind == "numerical":
                cols[c]["computer_representation"] = "Float"
        tables[t] = {"columns": cols}
        if tspec["pk"]:
            tables[t]["primary_key"] = tspec["pk"]
    rels = [{"parent_table_name": p, "parent_primary_key": pk, "child_table_name": c,
             "child_foreign_key": fk} for p, pk, c, fk in spec["relationships"]]
    return {"METADATA_SPEC_VERSION": "V1", "tables": tables, "relationships": rels}


# ---------------------------------------------------------------------------------------------
# Methods
# ---------------------------------------------------------------------------------------------
def run_cmd(cmd):
    t0 = time.perf_counter()
    p = subprocess.run(cmd, capture_output=True, text=True)
    dt = time.perf_counter() - t0
    if p.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({p.returncode}): {p.stderr[-2000:]}")
    return dt, p.stdout + p.stderr


def mark_reference(schema, tables):
    """Declares each of `tables` in the drafted schema as `reference: true` (public lookup data
    that fit stores whole and sample copies): the one edit --reference makes to the draft."""
    lines = open(schema).read().split("\n")
    for name in tables:
        start = lines.index(f'  - name: "{name}"')
        at = next(i for i in range(start + 1, len(lines)) if lines[i].startswith("    rows:"))
        lines.insert(at + 1, "    reference: true            # benchmark --reference: public lookup data")
    open(schema, "w").write("\n".join(lines))


def run_fairsynth(bin_path, half_a, work, seed, reference=(), epsilon=None, dp_schema=None,
                  max_children=None):
    tag = "" if epsilon is None else f"_eps{epsilon}"
    schema = os.path.join(work, "fairsynth_schema.yaml")
    model = os.path.join(work, f"fairsynth{tag}_model.json")
    out = os.path.join(work, f"fairsynth{tag}_sample")
    shutil.rmtree(out, ignore_errors=True)
    if epsilon is None:
        t_inspect, log_i = run_cmd([bin_path, "inspect", half_a, "--draft-schema", schema])
        if reference:
            mark_reference(schema, reference)
        private = []
    else:
        # The public schema, not a draft of the data.
        t_inspect, schema = 0.0, dp_schema
        private = ["--epsilon", str(epsilon), "--seed", str(seed)]
        if max_children is not None:
            private += ["--max-children", str(max_children)]
    t_fit, log_f = run_cmd([bin_path, "fit", half_a, "--schema", schema, "-o", model] + private)
    t_sample, log_s = run_cmd([bin_path, "sample", model, "-o", out, "--seed", str(seed),
                               "--scale", "1"])
    return out, {"inspect_s": t_inspect, "fit_s": t_fit, "sample_s": t_sample,
                 "fit_plus_sample_s": t_fit + t_sample,
                 "reference_tables": list(reference),
                 "commands": ([f"fairsynth inspect HALF_A --draft-schema {os.path.basename(schema)}"]
                              if epsilon is None else []) + [
                              f"fairsynth fit HALF_A --schema {os.path.basename(schema)} -o MODEL "
                              + " ".join(private),
                              f"fairsynth sample MODEL -o OUT --seed {seed} --scale 1"],
                 "log": (log_f + log_s)[-4000:]}


def hma_worker(args):
    """Child process: fit HMA on half A, sample at scale 1, write parquet + timing JSON."""
    from sdv.metadata import Metadata
    from sdv.multi_table import HMASynthesizer
    import sdv
    spec = DATASETS[args.dataset]
    real = load_folder(args.hma_half, spec, "csv")
    md = Metadata.load_from_dict(metadata_dict(spec))
    md.validate()
    synth = HMASynthesizer(md)
    try:
        synth.set_random_state(args.seed)  # not in every SDV version
    except AttributeError:
        pass
    t0 = time.perf_counter()
    synth.fit(real)
    t_fit = time.perf_counter() - t0
    t0 = time.perf_counter()
    if hasattr(synth, "sample_scale"):  # SDV 2.x
        sample = synth.sample_scale(scale=1.0)
    else:
        sample = synth.sample(scale=1.0)
    t_sample = time.perf_counter() - t0
    os.makedirs(args.hma_out, exist_ok=True)
    for t, df in sample.items():
        df.to_parquet(os.path.join(args.hma_out, f"{t}.parquet"), index=False)
    with open(os.path.join(args.hma_out, "timing.json"), "w") as f:
        json.dump({"fit_s": t_fit, "sample_s": t_sample, "sdv": sdv.__version__}, f)


def run_hma(half_a, work, args):
    out = os.path.join(work, "hma_sample")
    timing = os.path.join(out, "timing.json")
    if args.reuse_hma and os.path.exists(timing):
        # an earlier run's HMA sample of the same split (same --work, --dataset and --seed)
        with open(timing) as f:
            tm = json.load(f)
        tm["fit_plus_sample_s"] = tm["fit_s"] + tm["sample_s"]
        tm["status"] = "ok (sample and timings reused from an earlier run, --reuse-hma)"
        return out, tm
    shutil.rmtree(out, ignore_errors=True)
    cmd = [sys.executable, os.path.abspath(__file__), "--hma-worker", "--dataset", args.dataset,
           "--seed", str(args.seed), "--hma-half", half_a, "--hma-out", out,
           "--fairsynth", "-", "--data", "-", "--out", "-"]
    t0 = time.perf_counter()
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=args.hma_timeout)
    except subprocess.TimeoutExpired:
        return None, {"status": f"timeout after {args.hma_timeout} s (fit + sample)",
                      "wall_s": time.perf_counter() - t0}
    if p.returncode != 0:
        errors = [ln for ln in p.stderr.splitlines() if "Error:" in ln]
        status = "failed: " + errors[-1].strip() if errors else "failed"
        return None, {"status": status, "stderr": p.stderr[-3000:],
                      "wall_s": time.perf_counter() - t0}
    with open(os.path.join(out, "timing.json")) as f:
        tm = json.load(f)
    tm["fit_plus_sample_s"] = tm["fit_s"] + tm["sample_s"]
    tm["process_wall_s"] = time.perf_counter() - t0
    tm["status"] = "ok"
    tm["commands"] = ["HMASynthesizer(Metadata.load_from_dict(md)).fit(half_a)",
                      "sample_scale(scale=1.0) (SDV 2.x; sample(scale=1.0) before)"]
    return out, tm


# ---------------------------------------------------------------------------------------------
# Scores
# ---------------------------------------------------------------------------------------------
def sdmetrics_scores(real, synth, md):
    import sdmetrics
    try:  # SDMetrics >= 0.2x: one report class for single and multi-table data
        from sdmetrics.reports import DiagnosticReport, QualityReport
    except ImportError:
        from sdmetrics.reports.multi_table import DiagnosticReport, QualityReport
    res = {"report_classes": f"{QualityReport.__module__}.QualityReport, "
                             f"{DiagnosticReport.__module__}.DiagnosticReport"}
    q = QualityReport()
    q.generate(real, synth, md, verbose=False)
    props = q.get_properties()
    res["quality"] = float(q.get_score())
    res["quality_properties"] = {r["Property"]: float(r["Score"]) for _, r in props.iterrows()}
    res["per_table"] = per_table_details(q)
    if hasattr(q, "real_correlation_threshold"):
        # Default: Column Pair Trends averages only pairs whose real correlation / association
        # exceeds the thresholds; with both at 0 every pair counts.
        res["pair_thresholds_default"] = [q.real_correlation_threshold,
                                          q.real_association_threshold]
        q2 = QualityReport()
        q2.real_correlation_threshold = 0
        q2.real_association_threshold = 0
        q2.generate(real, synth, md, verbose=False)
        p2 = q2.get_properties().set_index("Property")["Score"]
        res["quality_all_pairs"] = float(q2.get_score())
        res["column_pair_trends_all_pairs"] = float(p2["Column Pair Trends"])
        res["intertable_trends_all_pairs"] = float(p2["Intertable Trends"])
        res["per_table_all_pairs"] = per_table_details(q2)
    else:
        res["pair_thresholds_default"] = "none in this version: every pair counts"
    d = DiagnosticReport()
    d.generate(real, synth, md, verbose=False)
    res["diagnostic"] = float(d.get_score())
    res["diagnostic_properties"] = {r["Property"]: float(r["Score"])
                                    for _, r in d.get_properties().iterrows()}
    res["sdmetrics"] = sdmetrics.__version__
    return res


def per_table_details(report):
    """Mean Column Shapes / Column Pair Trends score of each table (pairs that count only)."""
    out = {}
    for prop in ("Column Shapes", "Column Pair Trends"):
        try:
            d = report.get_details(prop)
        except Exception:  # noqa: BLE001 - details are a bonus
            continue
        if "Meets Threshold?" in d.columns:
            d = d[d["Meets Threshold?"].fillna(True).astype(bool)]
        out[prop] = {t: float(g["Score"].mean()) for t, g in d.groupby("Table")}
    return out


def children_counts(tables, parent, pk, child, fk):
    vc = tables[child][fk].value_counts()
    return tables[parent][pk].map(vc).fillna(0).astype(int).to_numpy()


def cardinality(real, synth, spec):
    from scipy.stats import ks_2samp
    out = {}
    for parent, pk, child, fk in spec["relationships"]:
        r = children_counts(real, parent, pk, child, fk)
        s = children_counts(synth, parent, pk, child, fk)
        def summ(x):
            return {"max": int(x.max()) if len(x) else None,
                    "median": float(np.median(x)) if len(x) else None,
                    "p90": float(np.percentile(x, 90)) if len(x) else None,
                    "mean": float(x.mean()) if len(x) else None,
                    "zero_share": float((x == 0).mean()) if len(x) else None}
        out[f"{parent}->{child}.{fk}"] = {
            "ks": float(ks_2samp(r, s).statistic) if len(s) else 1.0,
            "real": summ(r), "synthetic": summ(s)}
    return out


def rule_violations(tables, spec):
    out = {}
    for rule in spec["rules"]:
        df = tables[rule["child"]][[rule["child_date"]]].copy()
        df["_k"] = tables[rule["child"]][rule["path"][0][1]].to_numpy()
        for i, (_, fk, parent, pk) in enumerate(rule["path"]):
            p = tables[parent]
            nxt = rule["path"][i + 1][1] if i + 1 < len(rule["path"]) else rule["parent_date"]
            m = p.set_index(pk)[nxt]
            m = m[~m.index.duplicated()]
            df["_k"] = df["_k"].map(m)
        parent_date = df["_k"]
        cd = df[rule["child_date"]]
        both = cd.notna() & parent_date.notna()
        out[rule["name"]] = {
            "violation_share": float((cd[both] < parent_date[both]).mean()) if both.any() else None,
            "rows_checked": int(both.sum()), "rows": int(len(df))}
    return out


def features_for(tables, spec, parent):
    """A parent table's non-key columns plus, for each child table, the count of children and
    the mean of each numeric / date child column."""
    tspec = spec["tables"][parent]
    pk = tspec["pk"]
    base = tables[parent]
    feats = pd.DataFrame(index=range(len(base)))
    for c, kind in tspec["columns"].items():
        if kind == "id" or c not in base.columns:
            continue
        s = base[c]
        if kind == "datetime":
            s = (s - pd.Timestamp("1970-01-01")).dt.days.astype(float)
        feats[f"{parent}.{c}"] = s.to_numpy()
    for p, ppk, child, fk in spec["relationships"]:
        if p != parent:
            continue
        ch = tables[child].copy()
        cspec = spec["tables"][child]["columns"]
        agg = {"_n": ch.groupby(fk).size()}
        for c, kind in cspec.items():
            if c not in ch.columns or kind not in ("numerical", "datetime"):
                continue
            v = ch[c]
            if kind == "datetime":
                v = (v - pd.Timestamp("1970-01-01")).dt.days.astype(float)
            agg[c] = v.groupby(ch[fk]).mean()
        keys = base[pk]
        feats[f"{child}.{fk}:count"] = keys.map(agg["_n"]).fillna(0).to_numpy()
        for c, ser in agg.items():
            if c != "_n":
                feats[f"{child}.{fk}:mean_{c}"] = keys.map(ser).to_numpy()
    return feats


def detection(real, synth, spec, seed):
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.model_selection import StratifiedKFold, cross_val_score
    out = {}
    parents = []
    for p, _, _, _ in spec["relationships"]:
        if p not in parents:
            parents.append(p)
    for parent in parents:
        fr = features_for(real, spec, parent)
        fs = features_for(synth, spec, parent)
        cols = [c for c in fr.columns if c in fs.columns]
        x = pd.concat([fr[cols], fs[cols]], ignore_index=True)
        y = np.r_[np.zeros(len(fr)), np.ones(len(fs))]
        cat_mask = []
        for c in cols:
            if x[c].dtype == object:
                x[c] = pd.Categorical(x[c].astype(str).where(x[c].notna(), None)).codes
                x[c] = x[c].replace(-1, np.nan).astype(float)
                cat_mask.append(True)
            else:
                x[c] = x[c].astype(float)
                cat_mask.append(False)
        clf = HistGradientBoostingClassifier(
            random_state=seed, categorical_features=np.array(cat_mask) if any(cat_mask) else None)
        cv = StratifiedKFold(n_splits=5, shuffle=True, random_state=seed)
        auc = cross_val_score(clf, x.to_numpy(), y, cv=cv, scoring="roc_auc")
        out[parent] = {"auc": float(auc.mean()), "auc_folds": [float(a) for a in auc],
                       "features": cols, "rows_real": len(fr), "rows_synthetic": len(fs)}
    aucs = [v["auc"] for v in out.values()]
    return {"per_table": out, "mean": float(np.mean(aucs)), "max": float(np.max(aucs))}


def sanity(real_a, real_b, synth, spec):
    """Values a domain expert would flag: numbers outside the real range, discrete numbers the
    real data never has, dates outside the real range, categories the real data never has."""
    out = {}
    for t, tspec in spec["tables"].items():
        for c, kind in tspec["columns"].items():
            if kind == "id" or c not in synth[t].columns:
                continue
            r = pd.concat([real_a[t][c], real_b[t][c]])
            s = synth[t][c]
            sn = s.dropna()
            item = {"null_share_real": float(r.isna().mean()),
                    "null_share_synthetic": float(s.isna().mean()) if len(s) else None}
            if kind in ("numerical", "datetime") and len(sn):
                lo, hi = r.min(), r.max()
                item["outside_real_range_share"] = float(((sn < lo) | (sn > hi)).mean())
                if kind == "numerical":
                    item["negative_share"] = float((sn < 0).mean())
                    item["real_min"] = float(lo)
                    item["synthetic_min"] = float(sn.min())
                    rv = set(r.dropna().unique())
                    if len(rv) <= 20:
                        item["unseen_discrete_share"] = float((~sn.isin(rv)).mean())
                    rd = r.dropna()
                    for places in (0, 2):
                        if bool((np.abs(rd - rd.round(places)) < 1e-9).all()):
                            # the real values have at most `places` decimals
                            item[f"more_than_{places}_decimals_share"] = float(
                                (np.abs(sn - sn.round(places)) > 1e-9).mean())
                            break
                if kind == "datetime":
                    # the most frequent single date (a pile-up at a bound shows here)
                    rt, st = r.value_counts(normalize=True), sn.value_counts(normalize=True)
                    item["top_value_real"] = [str(rt.index[0].date()), float(rt.iloc[0])]
                    item["top_value_synthetic"] = [str(st.index[0].date()), float(st.iloc[0])]
            if kind == "categorical" and len(sn):
                rv = set(r.dropna().unique())
                item["unseen_level_share"] = float((~sn.isin(rv)).mean())
                unseen = sn[~sn.isin(rv)].value_counts().head(3)
                if len(unseen):
                    item["unseen_levels_top"] = {str(k): int(v) for k, v in unseen.items()}
            out[f"{t}.{c}"] = item
    # each parent's earliest child date against the real parents' range of earliest dates
    for parent, pk, child, fk in spec["relationships"]:
        for c, kind in spec["tables"][child]["columns"].items():
            if kind != "datetime" or c not in synth[child].columns:
                continue
            rf = pd.concat([real_a[child], real_b[child]]).groupby(fk)[c].min()
            sf = synth[child].groupby(fk)[c].min().dropna()
            if len(sf):
                out[f"first {child}.{c} per {parent}"] = {
                    "real_range": [str(rf.min().date()), str(rf.max().date())],
                    "outside_real_range_share": float(((sf < rf.min()) | (sf > rf.max())).mean())}
    if "loan" in spec["tables"] and "payments" in synth["loan"].columns:
        ln = synth["loan"].dropna(subset=["amount", "duration", "payments"])
        if len(ln):
            # real loans: amount = duration * payments (to the crown)
            rel = (ln["amount"] - ln["duration"] * ln["payments"]).abs() / ln["amount"].abs()
            out["loan.amount = duration * payments"] = {
                "share_off_by_more_than_1pct": float((rel > 0.01).mean())}
    return out


def score_method(name, real_a, real_b, synth, spec, keep, seed):
    md = metadata_dict(spec, keep)
    rb = {t: real_b[t][[c for c in real_b[t].columns if c in keep[t]]] for t in real_b}
    sy = {t: synth[t][[c for c in synth[t].columns if c in keep[t]]] for t in synth}
    res = {"rows": {t: int(len(df)) for t, df in synth.items()},
           "orphans": orphan_share(synth, spec)}
    t0 = time.perf_counter()
    res.update(sdmetrics_scores(rb, sy, md))
    res["cardinality"] = cardinality(real_b, synth, spec)
    res["rules"] = rule_violations(synth, spec)
    res["detection"] = detection(real_b, synth, spec, seed)
    res["sanity"] = sanity(real_a, real_b, synth, spec)
    res["scoring_s"] = time.perf_counter() - t0
    print(f"  scored {name} in {res['scoring_s']:.1f} s", file=sys.stderr)
    return res


# ---------------------------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------------------------
def fmt(v, pct=False, digits=4):
    if v is None:
        return "—"
    if isinstance(v, str):
        return v
    return f"{100 * v:.2f} %" if pct else f"{v:.{digits}f}"


def markdown(results):
    methods = [m for m in ("ceiling", "fairsynth", "hma") if m in results["methods"]]
    rows = []

    def get(m, *path):
        v = results["methods"][m]
        for p in path:
            if not isinstance(v, dict) or p not in v:
                return None
            v = v[p]
        return v

    rows.append(("rows per table", [", ".join(f"{k} {v}" for k, v in get(m, "rows").items())
                                    if get(m, "rows") else "—" for m in methods]))
    rows.append(("fit / sample wall (s)", [
        "—" if m == "ceiling" else (f"{fmt(get(m, 'timing', 'fit_s'), digits=2)} / "
                                    f"{fmt(get(m, 'timing', 'sample_s'), digits=2)}"
                                    if get(m, "timing", "fit_s") is not None
                                    else str(get(m, "timing", "status")))
        for m in methods]))
    rows.append(("**quality (SDMetrics)**", [fmt(get(m, "quality")) for m in methods]))
    for p in ("Column Shapes", "Column Pair Trends", "Cardinality", "Intertable Trends"):
        rows.append((f"  {p}", [fmt(get(m, "quality_properties", p)) for m in methods]))
    if any(get(m, "quality_all_pairs") is not None for m in methods):
        rows.append(("quality, all pairs", [fmt(get(m, "quality_all_pairs")) for m in methods]))
        rows.append(("  Column Pair Trends, all pairs",
                     [fmt(get(m, "column_pair_trends_all_pairs")) for m in methods]))
        rows.append(("  Intertable Trends, all pairs",
                     [fmt(get(m, "intertable_trends_all_pairs")) for m in methods]))
    for p in ("Data Validity", "Data Structure", "Relationship Validity"):
        rows.append((f"diagnostic: {p}", [fmt(get(m, "diagnostic_properties", p)) for m in methods]))
    rels = list((get(methods[0], "cardinality") or {}).keys())
    for r in rels:
        rows.append((f"KS children per parent {r}",
                     [fmt(get(m, "cardinality", r, "ks")) for m in methods]))
        def mmp(m, side):
            c = get(m, "cardinality", r, side)
            return "—" if not c else f"{c['max']} / {c['median']:g} / {c['p90']:g}"
        rows.append((f"  children per parent max / median / p90 (half B: {mmp(methods[0], 'real')})",
                     [mmp(m, "synthetic") for m in methods]))
    for rule in results["rules"]:
        rows.append((f"rule broken: {rule}",
                     [fmt(get(m, "rules", rule, "violation_share"), pct=True) for m in methods]))
    for t in (get(methods[0], "detection", "per_table") or {}):
        rows.append((f"detection AUC {t}",
                     [fmt(get(m, "detection", "per_table", t, "auc"), digits=3) for m in methods]))
    rows.append(("detection AUC, max over tables",
                 [fmt(get(m, "detection", "max"), digits=3) for m in methods]))
    ratio = results.get("time_ratio_hma_over_fairsynth")
    lines = ["| figure | " + " | ".join(methods) + " |",
             "|---|" + "---|" * len(methods)]
    for label, vals in rows:
        lines.append(f"| {label} | " + " | ".join(vals) + " |")
    if ratio is not None:
        lines.append(f"\nfit+sample time ratio HMA / fairsynth: {ratio:.1f}x")
    return "\n".join(lines)


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--fairsynth", required=True, help="fairsynth binary")
    ap.add_argument("--data", required=True, help="folder of the real data set's CSV files")
    ap.add_argument("--dataset", required=True, choices=sorted(DATASETS),
                    help="berka4: berka cut to account, disp, loan, order (what HMA accepts)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", required=True, help="results JSON")
    ap.add_argument("--methods", default="fairsynth,hma")
    ap.add_argument("--work", default=None, help="scratch folder (default /tmp/linked_fit-DATASET-SEED)")
    ap.add_argument("--hma-timeout", type=float, default=1800.0)
    ap.add_argument("--reference", default="",
                    help="tables declared `reference: true` in fairsynth's draft (comma list)")
    ap.add_argument("--reuse-hma", action="store_true",
                    help="score the HMA sample an earlier run left in --work instead of fitting again")
    ap.add_argument("--hma-worker", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--hma-half", help=argparse.SUPPRESS)
    ap.add_argument("--hma-out", help=argparse.SUPPRESS)
    ap.add_argument("--epsilon", default="",
                    help="comma-separated budgets: one private fairsynth fit each (needs --dp-schema)")
    ap.add_argument("--dp-schema", help="schema of public domains for the private fits")
    ap.add_argument("--max-children", type=int, help="--max-children of the private fits")
    args = ap.parse_args()
    if args.epsilon and not args.dp_schema:
        ap.error("--epsilon needs --dp-schema (a schema of public categories and bounds)")
    if args.hma_worker:
        hma_worker(args)
        return

    spec = DATASETS[args.dataset]
    methods = [m.strip() for m in args.methods.split(",") if m.strip()]
    work = args.work or f"/tmp/linked_fit-{args.dataset}-{args.seed}"
    os.makedirs(work, exist_ok=True)

    raw = read_raw(args.data, spec)
    half_a_raw, half_b_raw = split_halves(raw, args.dataset, args.seed)
    half_a, half_b = os.path.join(work, "half_a"), os.path.join(work, "half_b")
    shutil.rmtree(half_a, ignore_errors=True)
    shutil.rmtree(half_b, ignore_errors=True)
    write_half(half_a_raw, half_a)
    write_half(half_b_raw, half_b)
    real_a = load_folder(half_a, spec, "csv")
    real_b = load_folder(half_b, spec, "csv")
    for name, h in (("A", real_a), ("B", real_b)):
        bad = {k: v for k, v in orphan_share(h, spec).items() if v > 0}
        if bad:
            raise SystemExit(f"half {name} breaks referential integrity: {bad}")

    try:
        import sklearn, scipy, sdmetrics  # noqa: E401
        versions = {"sdmetrics": sdmetrics.__version__, "scikit-learn": sklearn.__version__,
                    "scipy": scipy.__version__, "pandas": pd.__version__,
                    "python": platform.python_version()}
    except ImportError as e:
        raise SystemExit(f"missing package: {e}")
    try:
        import sdv
        versions["sdv"] = sdv.__version__
    except ImportError:
        pass
    fs_version = subprocess.run([args.fairsynth, "--version"], capture_output=True,
                                text=True).stdout.strip()
    versions["fairsynth"] = fs_version
    versions["fairsynth_sha256"] = sha256(args.fairsynth)

    results = {"dataset": args.dataset, "seed": args.seed,
               "split": {"half_a_rows": {t: len(d) for t, d in half_a_raw.items()},
                         "half_b_rows": {t: len(d) for t, d in half_b_raw.items()}},
               "versions": versions, "machine": {"cores": os.cpu_count(),
                                                 "platform": platform.platform()},
               "rules": [r["name"] for r in spec["rules"]], "methods": {}}

    outputs = {"ceiling": real_a}
    timings = {}
    if "fairsynth" in methods:
        print("fairsynth: inspect, fit, sample ...", file=sys.stderr)
        folder, tm = run_fairsynth(args.fairsynth, half_a, work, args.seed,
                                   [t for t in args.reference.split(",") if t])
        outputs["fairsynth"] = load_folder(folder, spec, "parquet")
        timings["fairsynth"] = tm
    for eps in [e for e in args.epsilon.split(",") if e]:
        name = f"fairsynth_eps{eps}"
        print(f"{name}: fit --epsilon {eps}, sample ...", file=sys.stderr)
        folder, tm = run_fairsynth(args.fairsynth, half_a, work, args.seed, (), eps,
                                   args.dp_schema, args.max_children)
        outputs[name] = load_folder(folder, spec, "parquet")
        timings[name] = tm
    if "hma" in methods:
        print("hma: fit, sample (child process) ...", file=sys.stderr)
        folder, tm = run_hma(half_a, work, args)
        timings["hma"] = tm
        if folder is not None:
            outputs["hma"] = load_folder(folder, spec, "parquet")
        else:
            results["methods"]["hma"] = {"timing": tm}
            print(f"hma: {tm['status']}", file=sys.stderr)

    # columns every method produced
    keep = {t: [c for c in spec["tables"][t]["columns"]
                if all(c in out[t].columns for out in outputs.values())] for t in spec["tables"]}
    dropped = {m: {t: [c for c in spec["tables"][t]["columns"] if c not in out[t].columns]
                   for t in spec["tables"]} for m, out in outputs.items()}
    results["scored_columns"] = keep
    for m, out in outputs.items():
        print(f"scoring {m} ...", file=sys.stderr)
        res = score_method(m, real_a, real_b, out, spec, keep, args.seed)
        res["dropped_columns"] = {t: c for t, c in dropped[m].items() if c}
        if m in timings:
            res["timing"] = timings[m]
        results["methods"][m] = res
    f_t = timings.get("fairsynth", {}).get("fit_plus_sample_s")
    h_t = timings.get("hma", {}).get("fit_plus_sample_s")
    if f_t and h_t:
        results["time_ratio_hma_over_fairsynth"] = h_t / f_t
    results["markdown"] = markdown(results)
    with open(args.out, "w") as f:
        json.dump(results, f, indent=1, default=str)
    print(results["markdown"])


if __name__ == "__main__":
    main()
