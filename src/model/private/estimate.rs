//! One consistent model from the noisy tables of the private fit: inverse-variance weighted
//! margins, made non-negative, then iterative proportional fitting of the head and of each
//! tree table to them, so that every table agrees with every other on the columns they share.
//! Post-processing of the noisy tables only: it reads no row.

use super::Measured;

/// For each cell of a row-major table over `vars` (`cards[v]` codes each, last fastest), the
/// index of its cell in the marginal table over `keep` (each of which is in `vars`).
fn margin_map(cards: &[usize], vars: &[usize], keep: &[usize]) -> (Vec<usize>, usize) {
    let cells: usize = vars.iter().map(|&v| cards[v]).product();
    let kept: usize = keep.iter().map(|&v| cards[v]).product();
    let mut map = vec![0usize; cells];
    // Strides of each `vars` position in the full table and in the margin.
    let mut stride_full = vec![1usize; vars.len()];
    for i in (0..vars.len().saturating_sub(1)).rev() {
        stride_full[i] = stride_full[i + 1] * cards[vars[i + 1]];
    }
    let mut stride_keep = vec![0usize; vars.len()];
    let mut s = 1usize;
    for &k in keep.iter().rev() {
        if let Some(i) = vars.iter().position(|&v| v == k) {
            stride_keep[i] = s;
        }
        s *= cards[k];
    }
    for (cell, m) in map.iter_mut().enumerate() {
        let mut idx = 0usize;
        for i in 0..vars.len() {
            let code = cell / stride_full[i] % cards[vars[i]];
            idx += code * stride_keep[i];
        }
        *m = idx;
    }
    (map, kept)
}

/// The margin of `values` (over `vars`) on `keep`.
fn marginal(cards: &[usize], vars: &[usize], values: &[f64], keep: &[usize]) -> Vec<f64> {
    let (map, kept) = margin_map(cards, vars, keep);
    let mut out = vec![0.0; kept];
    for (v, &m) in values.iter().zip(&map) {
        out[m] += v;
    }
    out
}

/// The inverse-variance weighted combination of every measurement that holds all of
/// `target` (each summed down to `target`; a sum of `k` cells has `k` times the variance).
fn combine(cards: &[usize], target: &[usize], ms: &[&Measured]) -> Vec<f64> {
    let cells: usize = target.iter().map(|&v| cards[v]).product();
    let mut num = vec![0.0; cells];
    let mut den = 0.0;
    for m in ms {
        if !target.iter().all(|t| m.vars.contains(t)) {
            continue;
        }
        let summed: usize = m.values.len() / cells.max(1);
        let var = m.variance * summed as f64;
        let marg = marginal(cards, &m.vars, &m.values, target);
        for (n, x) in num.iter_mut().zip(marg) {
            *n += x / var;
        }
        den += 1.0 / var;
    }
    if den > 0.0 {
        num.iter_mut().for_each(|n| *n /= den);
    }
    num
}

/// Iterative proportional fitting of `table` (over `vars`) to each `(keep, target)` margin.
fn ipf(cards: &[usize], vars: &[usize], table: &mut [f64], margins: &[(Vec<usize>, &[f64])]) {
    let maps: Vec<(Vec<usize>, usize)> = margins
        .iter()
        .map(|(k, _)| margin_map(cards, vars, k))
        .collect();
    for _ in 0..50 {
        let mut worst: f64 = 0.0;
        for ((map, kept), (_, target)) in maps.iter().zip(margins) {
            let mut cur = vec![0.0; *kept];
            for (v, &m) in table.iter().zip(map) {
                cur[m] += v;
            }
            let factor: Vec<f64> = cur
                .iter()
                .zip(target.iter())
                .map(|(c, t)| if *c > 0.0 { t / c } else { 0.0 })
                .collect();
            for (c, t) in cur.iter().zip(target.iter()) {
                worst = worst.max((c - t).abs());
            }
            for (v, &m) in table.iter_mut().zip(map) {
                *v *= factor[m];
            }
        }
        if worst < 1e-6 {
            break;
        }
    }
}

/// The nearest point (in L2) to `y` with non-negative entries adding up to `total`: every
/// entry less the same amount, clamped at zero ("norm-sub"). Noise on empty cells is removed
/// where it is smallest, and the total is kept.
pub(super) fn project_simplex(y: &mut [f64], total: f64) {
    if y.is_empty() {
        return;
    }
    if total <= 0.0 {
        y.iter_mut().for_each(|x| *x = 0.0);
        return;
    }
    let mut sorted: Vec<f64> = y.to_vec();
    sorted.sort_by(|a, b| b.total_cmp(a));
    let mut sum = 0.0;
    let mut tau = (sorted[0] - total).max(f64::MIN);
    for (k, v) in sorted.iter().enumerate() {
        sum += v;
        let t = (sum - total) / (k + 1) as f64;
        if v - t > 0.0 {
            tau = t;
        } else {
            break;
        }
    }
    y.iter_mut().for_each(|x| *x = (*x - tau).max(0.0));
}

/// The noisy table projected to its total (see [`project_simplex`]), plus a floor so that
/// every margin can be met by proportional fitting.
fn start(m: &Measured, total: f64, floor: f64) -> Vec<f64> {
    let mut t = m.values.clone();
    project_simplex(&mut t, total);
    t.iter_mut().for_each(|x| *x += floor);
    t
}

/// Each row (per label code) of `t` (over `[C, V]` or `[V]`) projected to its label count
/// `row_totals` (see [`project_simplex`]).
fn fix_rows(t: &mut [f64], row_totals: &[f64]) {
    let width = t.len() / row_totals.len().max(1);
    for (row, &total) in t.chunks_mut(width.max(1)).zip(row_totals) {
        project_simplex(row, total);
    }
}

/// What the model is built from: the head table and each feature's table.
pub(super) struct Estimate {
    pub(super) head: Vec<f64>,
    pub(super) total: f64,
    nodes: Vec<(usize, Vec<f64>)>,
}

impl Estimate {
    /// The table of feature `x` (over the label, its parent, then `x`).
    pub(super) fn node_table(&self, x: usize) -> Vec<f64> {
        self.nodes
            .iter()
            .find(|n| n.0 == x)
            .map(|n| n.1.clone())
            .unwrap_or_default()
    }
}

/// Reconciles the noisy tables into one model (see the module documentation). `given`
/// columns (never drawn) get their `(C, V)` tables, the margins of the features drawn given
/// them, and no table of their own.
#[allow(clippy::too_many_arguments)]
pub(super) fn estimate(
    cards: Vec<usize>,
    head_vars: &[usize],
    label: Option<usize>,
    features: &[usize],
    given: &[usize],
    head_m: Option<Measured>,
    base_m: Vec<Measured>,
    tree_m: Vec<(usize, Measured)>,
) -> Estimate {
    let all: Vec<&Measured> = head_m
        .iter()
        .chain(&base_m)
        .chain(tree_m.iter().map(|t| &t.1))
        .collect();
    let lab: Vec<usize> = label.into_iter().collect();
    // The label's counts (or the total), non-negative.
    let mut lab_counts = combine(&cards, &lab, &all);
    lab_counts.iter_mut().for_each(|x| *x = x.max(0.0));
    if lab_counts.iter().sum::<f64>() <= 0.0 {
        lab_counts.iter_mut().for_each(|x| *x = 1.0);
    }
    let total: f64 = lab_counts.iter().sum();
    // Each (C, V) table.
    let n = cards.len();
    let mut pair: Vec<Option<Vec<f64>>> = vec![None; n];
    let vars: Vec<usize> = features
        .iter()
        .copied()
        .chain(head_vars.iter().copied().filter(|&h| Some(h) != label))
        .chain(given.iter().copied())
        .collect();
    for &v in &vars {
        let target: Vec<usize> = lab.iter().copied().chain([v]).collect();
        let mut t = combine(&cards, &target, &all);
        fix_rows(&mut t, &lab_counts);
        pair[v] = Some(t);
    }
    let margin_of = |v: usize| -> (Vec<usize>, &[f64]) {
        (
            lab.iter().copied().chain([v]).collect(),
            pair[v].as_deref().unwrap_or(&[]),
        )
    };
    // The head, fitted to the label's counts and each (C, h).
    let floor = 1e-6;
    let head = match &head_m {
        None => vec![total],
        Some(m) => {
            let mut t = start(m, total, floor);
            let mut margins: Vec<(Vec<usize>, &[f64])> = vec![(lab.clone(), &lab_counts[..])];
            margins.extend(
                head_vars
                    .iter()
                    .filter(|&&h| Some(h) != label)
                    .map(|&h| margin_of(h)),
            );
            ipf(&cards, head_vars, &mut t, &margins);
            t
        }
    };
    // Each feature: its tree table fitted to (C, parent) and (C, X), or (C, X) alone.
    let mut nodes = Vec::with_capacity(features.len());
    for &x in features {
        let table = match tree_m.iter().find(|t| t.0 == x) {
            Some((_, m)) => {
                let p = m.vars[m.vars.len() - 2];
                let mut t = start(m, total, floor);
                ipf(&cards, &m.vars, &mut t, &[margin_of(p), margin_of(x)]);
                t
            }
            None => pair[x].clone().unwrap_or_default(),
        };
        nodes.push((x, table));
    }
    Estimate { head, total, nodes }
}

/// What the base tables predict for `(C, b, a)` with `a` and `b` independent given the label:
/// the score's reference in the selection round (public once the base tables are out).
pub(super) struct Predictor {
    cards: Vec<usize>,
    label: Option<usize>,
    pair: Vec<Option<Vec<f64>>>,
}

impl Predictor {
    /// The predictor from the base tables (`[C, V]` or `[V]`, one per column but the label).
    pub(super) fn new(enc: &[super::Encoded], base_m: &[Measured]) -> Predictor {
        let cards: Vec<usize> = enc.iter().map(super::Encoded::card).collect();
        let mut pair: Vec<Option<Vec<f64>>> = vec![None; cards.len()];
        let mut label = None;
        for m in base_m {
            if let Some(&v) = m.vars.last() {
                pair[v] = Some(m.values.iter().map(|x| x.max(0.0)).collect());
            }
            if m.vars.len() == 2 {
                label = Some(m.vars[0]);
            }
        }
        Predictor { cards, label, pair }
    }

    /// The predicted table over `[C, b, a]` (`[b, a]` without a label), row-major.
    pub(super) fn predict(&self, b: usize, a: usize) -> Vec<f64> {
        let lc = self.label.map_or(1, |l| self.cards[l]);
        let (cb, ca) = (self.cards[b], self.cards[a]);
        let empty = Vec::new();
        let tb = self.pair[b].as_ref().unwrap_or(&empty);
        let ta = self.pair[a].as_ref().unwrap_or(&empty);
        let mut out = vec![0.0; lc * cb * ca];
        if tb.len() != lc * cb || ta.len() != lc * ca {
            return out;
        }
        for c in 0..lc {
            let ra = &ta[c * ca..(c + 1) * ca];
            let sa: f64 = ra.iter().sum();
            if sa <= 0.0 {
                continue;
            }
            for j in 0..cb {
                let bj = tb[c * cb + j];
                for (i, av) in ra.iter().enumerate() {
                    out[(c * cb + j) * ca + i] = bj * av / sa;
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn margins_and_ipf_agree() {
        // Two variables of 2 and 3 codes.
        let cards = vec![2, 3];
        let t = vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
        assert_eq!(marginal(&cards, &[0, 1], &t, &[0]), vec![6.0, 15.0]);
        assert_eq!(marginal(&cards, &[0, 1], &t, &[1]), vec![5.0, 7.0, 9.0]);
        assert_eq!(
            marginal(&cards, &[0, 1], &t, &[1, 0]),
            vec![1.0, 4.0, 2.0, 5.0, 3.0, 6.0]
        );
        let mut u = vec![1.0; 6];
        let a = [10.0, 20.0];
        let b = [5.0, 10.0, 15.0];
        ipf(
            &cards,
            &[0, 1],
            &mut u,
            &[(vec![0], &a[..]), (vec![1], &b[..])],
        );
        let ma = marginal(&cards, &[0, 1], &u, &[0]);
        let mb = marginal(&cards, &[0, 1], &u, &[1]);
        for (x, y) in ma.iter().zip(a).chain(mb.iter().zip(b)) {
            assert!((x - y).abs() < 1e-6, "{x} {y}");
        }
    }

    #[test]
    fn simplex_projection_keeps_the_total_and_is_non_negative() {
        let mut y = vec![10.0, -3.0, 2.0, 0.5];
        project_simplex(&mut y, 9.0);
        // tau = (10 + 2 - 9) / 2 = 1.5: [8.5, 0, 0.5, 0].
        assert_eq!(y, vec![8.5, 0.0, 0.5, 0.0]);
        let mut z = vec![1.0, 1.0];
        project_simplex(&mut z, 4.0);
        assert_eq!(z, vec![2.0, 2.0]);
    }

    #[test]
    fn combination_weights_by_inverse_variance() {
        let cards = vec![2, 2];
        // A one-way table of variance 1 and a two-way of variance 1 (its sums: variance 2).
        let one = Measured {
            vars: vec![0],
            values: vec![10.0, 20.0],
            variance: 1.0,
        };
        let two = Measured {
            vars: vec![0, 1],
            values: vec![2.0, 2.0, 8.0, 8.0],
            variance: 1.0,
        };
        let c = combine(&cards, &[0], &[&one, &two]);
        // (10/1 + 4/2) / (1 + 1/2) = 8; (20 + 8) / 1.5 = 18.667.
        assert!(
            (c[0] - 8.0).abs() < 1e-12 && (c[1] - 56.0 / 3.0).abs() < 1e-12,
            "{c:?}"
        );
    }
}
