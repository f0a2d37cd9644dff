#!/usr/bin/env python3
"""Differentially private synthesis on UCI Adult: fairsynth `fit --epsilon` against MST and AIM.

Not part of CI. Needs `mbi` (private-pgm, PyPI), scikit-learn, pandas, pyarrow and jax; see
benches/dp.sh, which makes the venv and runs this script.

Usage:
  dp.py --fairsynth target/release/fairsynth --data ../shared/data/adult.csv
        --schema schemas/adult_dp.yaml [--epsilons 0.3,1,3,10] [--seeds 5] [--first-seed 0] [--bins 10]
        [--methods fairsynth,mst,aim] [--aim-workload all3|label] [--aim-max-size 10]
        [--aim-iters 100] --out R.json

Steps:
  1. splits Adult by its `split` column: train (32,561 rows) to fit, test (16,281) to score;
     drops `fnlwgt` (survey weight) and `split`;
  2. the public domain: the codes fairsynth's private model uses, which come from the schema
     and --bins alone (levels, and bins from the schema's bounds and edges): a model fitted at
     any epsilon gives them; both methods are fitted and scored on this domain;
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
     1,000 at the end), budget annealing; `synthetic_data(method="sample")`. Timed in process;
  6. scores each sample against the test split: mean total variation distance over all 1-,
     2- and 3-way marginals of the 14 columns, and TSTR AUROC: scikit-learn's
     HistGradientBoostingClassifier (categorical codes) trained on the sample to predict
     income, scored on the test split. The real train split and fairsynth without privacy
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

LABEL = "income"
DROPPED = ["fnlwgt", "split"]


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
                return col.map(lambda x: levels.get(x, n) if isinstance(x, str) else n).astype(int)

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
    favourable = 1  # ">50K" is the schema's second level
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
    potentials by one numpy einsum: mbi's own variable elimination compiles a jax program per
    clique shape, and AIM asks for hundreds of shapes a round."""
    letters = {}
    operands = []
    for cl, f in model.potentials.tables.items():
        v = np.asarray(f.values, dtype=float)
        operands.append(np.exp(v - v.max()))
        operands.append([letters.setdefault(a, len(letters)) for a in f.domain.attributes])
    out = [letters.setdefault(a, len(letters)) for a in clique]
    m = np.einsum(*operands, out, optimize="greedy")
    return (m / m.sum() * float(model.total)).reshape(-1)


def run_aim(train_codes, dom, eps, delta, seed, workload="all3", max_size=10.0, iters=100, final_iters=1000):
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
    round spends exactly what is left. Returns the sample, the time and the marginals measured."""
    import jax

    jax.config.update("jax_enable_x64", True)
    from mbi import Domain, LinearMeasurement, estimation
    from mbi.junction_tree import hypothetical_model_size

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
    model = est.estimate(domain, measurements, iters=iters)
    cliques = [(c,) for c in cols]
    chosen = []
    terminate = False
    while not terminate:
        remaining = rho - rho_used
        if remaining <= 2 * (1 / (2 * sigma**2) + epsilon**2 / 8):
            sigma = math.sqrt(1 / (2 * alpha * remaining))
            epsilon = math.sqrt(8 * (1 - alpha) * remaining)
            terminate = True
        rho_used += 1 / (2 * sigma**2) + epsilon**2 / 8
        limit = rho_used / rho * max_size
        covered = lambda r: any(set(r) <= set(c) for c in cliques)
        live = [r for r in cand if covered(r) or hypothetical_model_size(domain, cliques + [r]) <= limit]
        bias = math.sqrt(2 / math.pi) * sigma
        q = np.array([
            weight[r] * (np.abs(truth[r] - project_np(model, r)).sum() - bias * size(r))
            for r in live
        ])
        sens = max(weight[r] for r in live)
        r = live[int(np.argmax(epsilon * q / (2 * sens) + rng.gumbel(size=len(q))))]
        before = project_np(model, r)
        y = truth[r] + rng.normal(0, sigma, size(r))
        measurements.append(LinearMeasurement(y, r, stddev=sigma))
        cliques.append(r)
        chosen.append(r)
        model = est.estimate(domain, measurements, iters=iters, warm_start=model)
        after = project_np(model, r)
        if np.abs(after - before).sum() <= bias * size(r):
            sigma /= 2
            epsilon *= 2
    model = est.estimate(domain, measurements, iters=final_iters, warm_start=model)
    synth = model.synthetic_data(rows=len(train_codes), method="sample")
    t = time.perf_counter() - t0
    df = pd.DataFrame({c: np.asarray(synth.data[c]).astype(int) for c in cols})
    return df, t, chosen


def run_mst(train_codes, dom, eps, delta, seed):
    import jax

    jax.config.update("jax_enable_x64", True)
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
    ap.add_argument("--out", required=True)
    a = ap.parse_args()

    raw = pd.read_csv(a.data, keep_default_na=False, na_values=[""])
    train = raw[raw["split"] == "train"].drop(columns=DROPPED).reset_index(drop=True)
    test = raw[raw["split"] == "test"].drop(columns=DROPPED).reset_index(drop=True)
    results = {"rows": {"train": len(train), "test": len(test)}, "delta": a.delta, "bins": a.bins, "runs": []}

    def save():
        # Written after every run, so that an interrupted run keeps what it measured.
        with open(a.out, "w") as f:
            json.dump(results, f, indent=1)

    with tempfile.TemporaryDirectory() as tmp:
        train_csv = os.path.join(tmp, "train.csv")
        train.to_csv(train_csv, index=False)
        schema = os.path.join(tmp, "schema.yaml")
        with open(a.schema) as f, open(schema, "w") as g:
            g.writelines(l for l in f if "name: split" not in l)
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
                    s = scores(df, test_c, dom)
                    results["runs"].append(dict(s, method="mst", epsilon=eps, seed=seed, seconds=t))
                    print(f"mst       eps={eps} seed={seed}: {s} {t:.2f}s", flush=True)
                    save()
                if "aim" in a.methods:
                    df, t, chosen = run_aim(train_c, dom, eps, a.delta, seed, a.aim_workload, a.aim_max_size,
                                            a.aim_iters)
                    s = scores(df, test_c, dom)
                    with_label = sum(LABEL in r for r in chosen)
                    results["runs"].append(dict(s, method="aim", epsilon=eps, seed=seed, seconds=t,
                                                marginals=len(chosen), with_label=with_label))
                    print(f"aim       eps={eps} seed={seed}: {s} {t:.2f}s "
                          f"({len(chosen)} marginals, {with_label} with the label)", flush=True)
                    save()
    save()
    runs = pd.DataFrame(results["runs"])
    if len(runs):
        print(runs.groupby(["method", "epsilon"])[["tvd1", "tvd2", "tvd3", "auroc", "seconds"]].agg(["mean", "std"]).round(4).to_string())


if __name__ == "__main__":
    sys.exit(main())
