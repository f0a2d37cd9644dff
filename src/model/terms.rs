//! Pair terms: structural zeros kept. A node's table given its parents, refined by one more
//! earlier column where the parents alone would draw combinations the data never shows.
//!
//! A node's parents multiply its table (every parent configuration has its own distribution),
//! so a third parent such as age costs hundreds of parameters and the structure search leaves
//! it out; the sample then shows combinations the real data does not have (Adult: 17- and
//! 18-year-olds with degrees, from education drawn given occupation and income: 125 such rows
//! in a sample of the 32,561 training rows, which hold 1). A pair term keeps the node's table
//! given its parents and adds a factor per (code of the extra column, code of the node):
//! `P(c | k, a) ∝ q(k, c) · r(a, c)`, a log-linear model without a three-way interaction.
//!
//! - `r(a, c)` is 0 where the data never shows the pair (a structural zero stays zero);
//! - it is fitted, by iterative proportional fitting that keeps the (parents, node) table
//!   too, only on the pairs the parents-only model *breaks*: expected at least `--min-count`
//!   times while the data shows at most a tenth of that. Elsewhere it is 1, so the term adds
//!   as little dependence as it must; a term fitted on every pair raised Adult's exact copies
//!   from 11.8 % to 13.0 % and lowered the DCR ratio from 1.80 to 1.55;
//! - a node gets the one extra column (among the head and the earlier nodes) whose term gains
//!   most log-likelihood over the penalty of the structure search per fitted factor, if any.
//!
//! The refined table is stored as an ordinary node table with the extra column as its last
//! parent (expected counts, so the sampler and the copula need nothing new); a configuration
//! the data never shows keeps the fitted distribution with a negligible weight. The table
//! holds only aggregates of counts (no value, no row).

use rayon::prelude::*;

use super::discretise::Encoded;
use super::fit::FitOptions;
use super::structure::{view_card, Choice};
use super::Node;

/// A pair of codes breaks the parents-only model when the model expects at least
/// `--min-count` rows of it and the data shows at most 1 / BREAK_RATIO of that.
const BREAK_RATIO: f64 = 10.0;

/// IPF sweeps.
const SWEEPS: usize = 40;

/// Weight of a parent configuration the data never shows (its distribution is the fitted one,
/// its weight in the node's marginals negligible).
const UNSEEN_WEIGHT: f64 = 1e-9;

/// The fitted refinement of one node by one extra column.
struct Term {
    extra: usize,
    gain: f64,
    counts: Vec<f64>,
}

/// Adds the best pair term to every node that gains from one: `placed[i]` are the variables
/// drawn before node `i` (head variables, then earlier nodes). Nodes drawn by a deterministic
/// relation (infinite gain in `structure`) are left as they are.
#[allow(clippy::too_many_arguments)]
pub(super) fn add_pair_terms(
    enc: &[Encoded],
    w: &[f64],
    nodes: &mut [Node],
    structure: &[(usize, Choice)],
    head: &[usize],
    rows: usize,
    factor: f64,
    opts: &FitOptions,
) {
    let placed: Vec<Vec<usize>> = (0..nodes.len())
        .map(|i| {
            head.iter()
                .copied()
                .chain(nodes[..i].iter().map(|n| n.var))
                .collect()
        })
        .collect();
    let terms: Vec<Option<Term>> = nodes
        .par_iter()
        .zip(structure)
        .zip(&placed)
        .map(|((n, (_, choice)), before)| {
            if !choice.gain.is_finite() {
                return None;
            }
            before
                .iter()
                .filter(|v| !n.parents.contains(v) && **v != n.var)
                .filter_map(|&a| term(enc, w, n, a, rows, factor, opts))
                .fold(None, |best: Option<Term>, t| match best {
                    Some(b) if b.gain >= t.gain => Some(b),
                    _ => Some(t),
                })
        })
        .collect();
    for (n, t) in nodes.iter_mut().zip(terms) {
        let Some(t) = t else { continue };
        if !n.groups.is_empty() {
            n.groups.push(Vec::new());
        }
        n.parents.push(t.extra);
        n.counts = t.counts;
    }
}

/// Fits node `n` refined by variable `a`; `None` when it does not gain more than the penalty
/// or its table would be too large.
fn term(
    enc: &[Encoded],
    w: &[f64],
    n: &Node,
    a: usize,
    rows: usize,
    factor: f64,
    opts: &FitOptions,
) -> Option<Term> {
    let c_card = enc[n.var].card();
    let a_card = enc[a].card();
    let k_card = n.counts.len() / c_card.max(1);
    let cells = k_card.checked_mul(a_card)?.checked_mul(c_card)?;
    if cells > opts.max_cells || k_card == 0 {
        return None;
    }
    // Each row's parent configuration, as the node's table indexes it.
    let mut keys = vec![0usize; w.len()];
    for (i, &p) in n.parents.iter().enumerate() {
        let map = n.groups.get(i).map_or(&[][..], Vec::as_slice);
        let cp = view_card(map, enc[p].card());
        for (k, c) in keys.iter_mut().zip(&enc[p].codes) {
            *k = *k * cp + if map.is_empty() { *c } else { map[*c as usize] } as usize;
        }
    }
    let (codes, extra) = (&enc[n.var].codes, &enc[a].codes);
    let mut n_ka = vec![0.0; k_card * a_card];
    let mut n_ac = vec![0.0; a_card * c_card];
    let mut n_kac = vec![0.0; cells];
    for (((k, &x), &c), wt) in keys.iter().zip(extra).zip(codes).zip(w) {
        let (x, c) = (x as usize, c as usize);
        n_ka[k * a_card + x] += wt;
        n_ac[x * c_card + c] += wt;
        n_kac[(k * a_card + x) * c_card + c] += wt;
    }
    let n_kc = &n.counts;
    // Baseline log-likelihood of the node given its parents.
    let base: f64 = n_kc
        .chunks(c_card)
        .map(|cfg| {
            let t: f64 = cfg.iter().sum();
            cfg.iter()
                .filter(|x| **x > 0.0)
                .map(|x| x * (x / t).ln())
                .sum::<f64>()
        })
        .sum();
    // q(k, c) starts as the node's conditional table, r(a, c) as 1 where the pair occurs and
    // 0 where it never does (a structural zero of the data stays zero).
    let mut q: Vec<f64> = n_kc
        .chunks(c_card)
        .flat_map(|cfg| {
            let t: f64 = cfg.iter().sum();
            cfg.iter()
                .map(move |x| if t > 0.0 { x / t } else { 0.0 })
                .collect::<Vec<_>>()
        })
        .collect();
    // The combinations the parents alone would draw that the data (almost) never shows: the
    // base model's expected count of a (extra code, node code) pair against the data's.
    let mut expected = vec![0.0; a_card * c_card];
    for k in 0..k_card {
        for x in 0..a_card {
            let w = n_ka[k * a_card + x];
            if w > 0.0 {
                for c in 0..c_card {
                    expected[x * c_card + c] += w * q[k * c_card + c];
                }
            }
        }
    }
    let broken: Vec<bool> = expected
        .iter()
        .zip(&n_ac)
        .map(|(m, n)| *m >= opts.min_count as f64 && *n * BREAK_RATIO <= *m)
        .collect();
    let params = broken.iter().filter(|b| **b).count();
    if params == 0 {
        return None;
    }
    let mut r: Vec<f64> = n_ac
        .iter()
        .map(|x| if *x > 0.0 { 1.0 } else { 0.0 })
        .collect();
    let mut p = vec![0.0; cells];
    let fitted = |q: &[f64], r: &[f64], p: &mut [f64]| {
        for k in 0..k_card {
            for x in 0..a_card {
                let cell = &mut p[(k * a_card + x) * c_card..(k * a_card + x + 1) * c_card];
                let mut z = 0.0;
                for (c, v) in cell.iter_mut().enumerate() {
                    *v = q[k * c_card + c] * r[x * c_card + c];
                    z += *v;
                }
                if z > 0.0 {
                    cell.iter_mut().for_each(|v| *v /= z);
                }
            }
        }
    };
    for _ in 0..SWEEPS {
        fitted(&q, &r, &mut p);
        let mut m = vec![0.0; a_card * c_card];
        for k in 0..k_card {
            for x in 0..a_card {
                let w = n_ka[k * a_card + x];
                if w > 0.0 {
                    for c in 0..c_card {
                        m[x * c_card + c] += w * p[(k * a_card + x) * c_card + c];
                    }
                }
            }
        }
        for (((rv, want), got), br) in r.iter_mut().zip(&n_ac).zip(&m).zip(&broken) {
            if *got > 0.0 && *br {
                *rv *= want / got;
            }
        }
        fitted(&q, &r, &mut p);
        let mut m = vec![0.0; k_card * c_card];
        for k in 0..k_card {
            for x in 0..a_card {
                let w = n_ka[k * a_card + x];
                if w > 0.0 {
                    for c in 0..c_card {
                        m[k * c_card + c] += w * p[(k * a_card + x) * c_card + c];
                    }
                }
            }
        }
        for ((qv, want), got) in q.iter_mut().zip(n_kc).zip(&m) {
            if *got > 0.0 {
                *qv *= want / got;
            }
        }
    }
    fitted(&q, &r, &mut p);
    let ll: f64 = n_kac
        .iter()
        .zip(&p)
        .filter(|(n, _)| **n > 0.0)
        .map(|(n, p)| n * p.max(f64::MIN_POSITIVE).ln())
        .sum();
    let penalty = factor * (rows.max(2) as f64).ln() * params as f64;
    let gain = ll - base - penalty;
    if gain <= 0.0 {
        return None;
    }
    let counts: Vec<f64> = p
        .chunks(c_card)
        .zip(&n_ka)
        .flat_map(|(cfg, w)| {
            let w = if *w > 0.0 { *w } else { UNSEEN_WEIGHT };
            cfg.iter().map(move |x| x * w).collect::<Vec<_>>()
        })
        .collect();
    Some(Term {
        extra: a,
        gain,
        counts,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{VarKind, Variable};

    fn cat(name: &str, levels: usize, codes: Vec<u32>) -> Encoded {
        Encoded {
            var: Variable {
                name: name.into(),
                kind: VarKind::Categorical {
                    levels: (0..levels).map(|l| l.to_string()).collect(),
                },
                null: false,
            },
            codes,
            within: None,
        }
    }

    /// A child drawn given `k` only would give the young (a = 0) the degree (c = 2) that the
    /// data never shows with them; the term keeps that zero and the (k, c) and (a, c) tables.
    #[test]
    fn a_structural_zero_the_parents_miss_is_kept() {
        // (k, a, c, rows): the degree occurs only among the old, in both k groups.
        let cells = [
            (0, 0, 0, 60),
            (0, 0, 1, 40),
            (0, 1, 0, 30),
            (0, 1, 1, 30),
            (0, 1, 2, 40),
            (1, 0, 0, 20),
            (1, 0, 1, 30),
            (1, 1, 0, 10),
            (1, 1, 1, 20),
            (1, 1, 2, 70),
        ];
        let (mut k, mut a, mut c) = (Vec::new(), Vec::new(), Vec::new());
        for (kk, aa, cc, n) in cells {
            for _ in 0..n {
                k.push(kk);
                a.push(aa);
                c.push(cc);
            }
        }
        let rows = k.len();
        let enc = vec![cat("k", 2, k), cat("a", 2, a), cat("c", 3, c)];
        let mut counts = vec![0.0; 6];
        for (kk, cc) in enc[0].codes.iter().zip(&enc[2].codes) {
            counts[*kk as usize * 3 + *cc as usize] += 1.0;
        }
        let mut nodes = vec![Node {
            var: 2,
            parents: vec![0],
            groups: Vec::new(),
            counts: counts.clone(),
        }];
        let structure = vec![(
            2,
            Choice {
                parents: vec![0],
                maps: vec![Vec::new()],
                gain: 1.0,
            },
        )];
        add_pair_terms(
            &enc,
            &vec![1.0; rows],
            &mut nodes,
            &structure,
            &[0, 1],
            rows,
            0.5,
            &FitOptions::default(),
        );
        let n = &nodes[0];
        assert_eq!(
            n.parents,
            vec![0, 1],
            "the term adds `a` as the last parent"
        );
        // Configurations (k, a) row-major, then c.
        for kk in 0..2 {
            let young = &n.counts[(kk * 2) * 3..(kk * 2 + 1) * 3];
            assert_eq!(young[2], 0.0, "k = {kk}: the young never hold the degree");
        }
        // The (k, c) table and the (a, c) table are the data's.
        for kk in 0..2 {
            for cc in 0..3 {
                let got: f64 = (0..2).map(|aa| n.counts[(kk * 2 + aa) * 3 + cc]).sum();
                assert!(
                    (got - counts[kk * 3 + cc]).abs() < 1e-6,
                    "k {kk} c {cc}: {got}"
                );
            }
        }
        let total: f64 = n.counts.iter().sum();
        assert!((total - rows as f64).abs() < 1e-6);
        // Without a broken pair (the degree as common among the young as the parents say),
        // nothing is added.
        let mut plain = vec![Node {
            var: 2,
            parents: vec![0],
            groups: Vec::new(),
            counts,
        }];
        let shuffled: Vec<u32> = (0..rows as u32).map(|i| i % 2).collect();
        let enc2 = vec![
            cat("k", 2, enc[0].codes.clone()),
            cat("a", 2, shuffled),
            cat("c", 3, enc[2].codes.clone()),
        ];
        add_pair_terms(
            &enc2,
            &vec![1.0; rows],
            &mut plain,
            &structure,
            &[0, 1],
            rows,
            0.5,
            &FitOptions::default(),
        );
        assert_eq!(plain[0].parents, vec![0]);
    }
}
