//! Pair terms: two-way tables a node's parents miss. A node's table given its parents,
//! refined by up to [`MAX_TERMS`] more earlier columns, each through a factor per pair of
//! codes.
//!
//! A node's parents multiply its table (every parent configuration has its own distribution),
//! so a fourth parent such as relationship costs hundreds of parameters and the structure
//! search leaves it out; the sample then loses how the node depends on that column (Adult:
//! education against relationship and marital status scored 0.93 on SDMetrics' pair trends,
//! against 0.97 for a second real sample) and shows combinations the real data does not have
//! (17- and 18-year-olds with degrees, from education drawn given occupation and income: 125
//! such rows in a sample of the 32,561 training rows, which hold 1). A pair term keeps the
//! node's table given its parents and adds a factor per (code of the extra column, code of
//! the node): `P(c | k, a) ∝ q(k, c) · r(a, c)`, a log-linear model without a three-way
//! interaction, whose free parameters grow with the sum of the tables, not their product.
//!
//! - `r(a, c)` is 0 where the data never shows the pair (a structural zero stays zero), and
//!   fitted with `q` by iterative proportional fitting so that the model keeps both the
//!   (parents, node) table and the data's (extra column, node) table;
//! - a node takes, one at a time, the extra column (among the head and the earlier nodes, each
//!   through its own codes or one of its coarse views for this node, see
//!   [`child_views`]) whose term gains most log-likelihood over the structure search's
//!   penalty per free parameter of `r`, while one gains and it has fewer than [`MAX_TERMS`]; a later term keeps
//!   the table the earlier ones fitted, so every added two-way table stays the data's.
//!   Candidates are tried in the order of an upper bound of their gain (the likelihood of
//!   the full three-way table), and the search stops where the bound cannot beat the best.
//!
//! Fitted only where the parents break a structural zero (the previous design), Adult's
//! all-pairs score stayed at 0.9861; fitted on every pair with up to three terms (and the
//! structure's views for each child) it is 0.9898 (means of three seeds), with more synthetic
//! rows that copy a training row (13.6 % against 12.0 %) but still fewer than a second real
//! sample does (15.9 %): see BENCHMARKS.md, issue 14, fourth part. Terms through coarse
//! views came with capital gains' finer bins (fifth part): with 19 codes, capital gains could
//! no longer afford education as a parent or a whole term, and r(education_num, capital_gain)
//! drifted 0.040 from the real 0.123; through a view it is 0.011 off (seed 7).
//!
//! The refined table is stored as an ordinary node table with the extra columns as its last
//! parents (expected counts, so the sampler and the copula need nothing new); a configuration
//! the data never shows keeps the fitted distribution with a negligible weight. The table
//! holds only aggregates of counts (no value, no row).

use rayon::prelude::*;

use super::discretise::Encoded;
use super::fit::FitOptions;
use super::structure::{child_views, view_card, Choice};
use super::Node;

/// Most pair terms per node.
pub const MAX_TERMS: usize = 3;

/// Largest table (cells) a term may make: each term multiplies the stored table by the extra
/// column's codes. On the whole Adult table, uncapped terms made a 7.5 MB model in a 1.15 s
/// fit; capped here, 1.4 MB in 0.50 s, for all pairs 0.9896 against 0.9902 (Adult's `train`
/// rows, seed 7).
const MAX_TERM_CELLS: usize = 1 << 14;

/// Most IPF sweeps; the fit stops earlier once both margins hold to [`TOLERANCE`] rows.
const SWEEPS: usize = 40;

/// Largest deviation, in rows, of a fitted margin from its target at which IPF stops.
const TOLERANCE: f64 = 1e-6;

/// Weight of a parent configuration the data never shows (its distribution is the fitted one,
/// its weight in the node's marginals negligible).
const UNSEEN_WEIGHT: f64 = 1e-9;

/// The fitted refinement of one node by one extra column.
struct Term {
    extra: usize,
    /// The extra column's code -> group map (empty: its own codes).
    map: Vec<u32>,
    gain: f64,
    counts: Vec<f64>,
}

/// The counts one candidate term is fitted from, and the bound on its gain.
struct Candidate {
    extra: usize,
    map: Vec<u32>,
    a_card: usize,
    /// Rows per (configuration, extra code), (extra code, node code) and all three.
    n_ka: Vec<f64>,
    n_ac: Vec<f64>,
    n_kac: Vec<f64>,
    /// Free parameters of `r`.
    params: usize,
    /// Log-likelihood gain of the full three-way table over the node's, less the penalty:
    /// no term on this column can gain more.
    bound: f64,
}

/// Adds pair terms to every node that gains from them: `placed[i]` are the variables drawn
/// before node `i` (head variables, then earlier nodes). Nodes drawn by a deterministic
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
    let penalty = factor * (rows.max(2) as f64).ln();
    nodes
        .par_iter_mut()
        .zip(structure)
        .zip(&placed)
        .for_each(|((n, (_, choice)), before)| {
            if !choice.gain.is_finite() {
                return;
            }
            // Each earlier column through its own codes, or a coarse view of them for this
            // node (as the structure search sees parents), so a column of many codes that
            // matters through a few groups (education for capital gains) costs few parameters.
            let extras: Vec<(usize, Vec<u32>)> = before
                .iter()
                .filter(|&&a| a != n.var)
                .flat_map(|&a| {
                    std::iter::once((a, Vec::new())).chain(
                        child_views(&enc[a], &enc[n.var], w)
                            .into_iter()
                            .map(move |m| (a, m)),
                    )
                })
                .collect();
            for _ in 0..MAX_TERMS {
                let Some(t) = best_term(enc, w, n, &extras, penalty, opts) else {
                    break;
                };
                if n.groups.is_empty() && !t.map.is_empty() {
                    n.groups = vec![Vec::new(); n.parents.len()];
                }
                if !n.groups.is_empty() {
                    n.groups.push(t.map);
                }
                n.parents.push(t.extra);
                n.counts = t.counts;
            }
        });
}

/// The term on one of `extras` (an earlier column and its view) that gains most for node
/// `n`, if any gains.
fn best_term(
    enc: &[Encoded],
    w: &[f64],
    n: &Node,
    extras: &[(usize, Vec<u32>)],
    penalty: f64,
    opts: &FitOptions,
) -> Option<Term> {
    let c_card = enc[n.var].card();
    let k_card = n.counts.len() / c_card.max(1);
    if k_card == 0 {
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
    let codes = &enc[n.var].codes;
    // Log-likelihood of the rows under the node's current table.
    let mut data_kc = vec![0.0; k_card * c_card];
    for ((k, &c), x) in keys.iter().zip(codes).zip(w) {
        data_kc[k * c_card + c as usize] += x;
    }
    let base: f64 = n
        .counts
        .chunks(c_card)
        .zip(data_kc.chunks(c_card))
        .map(|(cfg, data)| {
            let t: f64 = cfg.iter().sum();
            cfg.iter()
                .zip(data)
                .filter(|(_, d)| **d > 0.0)
                .map(|(x, d)| d * (x / t).max(f64::MIN_POSITIVE).ln())
                .sum::<f64>()
        })
        .sum();
    let mut cands: Vec<Candidate> = extras
        .iter()
        .filter(|(a, _)| !n.parents.contains(a))
        .filter_map(|(a, map)| {
            let a = *a;
            let a_card = view_card(map, enc[a].card());
            let cells = k_card.checked_mul(a_card)?.checked_mul(c_card)?;
            if cells > opts.max_cells.min(MAX_TERM_CELLS) {
                return None;
            }
            let mut n_ka = vec![0.0; k_card * a_card];
            let mut n_ac = vec![0.0; a_card * c_card];
            let mut n_kac = vec![0.0; cells];
            for (((k, &x), &c), wt) in keys.iter().zip(&enc[a].codes).zip(codes).zip(w) {
                let x = if map.is_empty() { x } else { map[x as usize] };
                let (x, c) = (x as usize, c as usize);
                n_ka[k * a_card + x] += wt;
                n_ac[x * c_card + c] += wt;
                n_kac[(k * a_card + x) * c_card + c] += wt;
            }
            let used =
                |len: usize, f: &dyn Fn(usize) -> f64| (0..len).filter(|&i| f(i) > 0.0).count();
            let a_used = used(a_card, &|x| n_ac[x * c_card..(x + 1) * c_card].iter().sum());
            let c_used = used(c_card, &|c| (0..a_card).map(|x| n_ac[x * c_card + c]).sum());
            let params = a_used.saturating_sub(1) * c_used.saturating_sub(1);
            if params == 0 {
                return None;
            }
            let full: f64 = n_kac
                .chunks(c_card)
                .zip(&n_ka)
                .map(|(cfg, t)| {
                    cfg.iter()
                        .filter(|x| **x > 0.0)
                        .map(|x| x * (x / t).ln())
                        .sum::<f64>()
                })
                .sum();
            let bound = full - base - penalty * params as f64;
            (bound > 0.0).then_some(Candidate {
                extra: a,
                map: map.clone(),
                a_card,
                n_ka,
                n_ac,
                n_kac,
                params,
                bound,
            })
        })
        .collect();
    cands.sort_by(|x, y| {
        y.bound
            .total_cmp(&x.bound)
            .then(x.extra.cmp(&y.extra))
            .then(x.map.cmp(&y.map))
    });
    let mut best: Option<Term> = None;
    for cand in &cands {
        if best.as_ref().is_some_and(|b| cand.bound <= b.gain) {
            break;
        }
        let t = fit_term(n, cand, c_card, k_card, base, penalty);
        if t.gain > best.as_ref().map_or(0.0, |b| b.gain) {
            best = Some(t);
        }
    }
    best
}

/// Fits `q(k, c) · r(a, c)` to the node's table and the candidate's (extra, node) table.
fn fit_term(
    n: &Node,
    cand: &Candidate,
    c_card: usize,
    k_card: usize,
    base: f64,
    penalty: f64,
) -> Term {
    let (a_card, n_ka, n_ac) = (cand.a_card, &cand.n_ka, &cand.n_ac);
    let n_kc = &n.counts;
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
    let mut r: Vec<f64> = n_ac
        .iter()
        .map(|x| if *x > 0.0 { 1.0 } else { 0.0 })
        .collect();
    let mut p = vec![0.0; n_kc.len() * a_card];
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
    // The fitted (extra, node) or (configuration, node) margin.
    let margin = |p: &[f64], by_extra: bool| -> Vec<f64> {
        let mut m = vec![0.0; if by_extra { a_card } else { k_card } * c_card];
        for k in 0..k_card {
            for x in 0..a_card {
                let w = n_ka[k * a_card + x];
                if w > 0.0 {
                    let row = if by_extra { x } else { k };
                    for c in 0..c_card {
                        m[row * c_card + c] += w * p[(k * a_card + x) * c_card + c];
                    }
                }
            }
        }
        m
    };
    for _ in 0..SWEEPS {
        fitted(&q, &r, &mut p);
        let m = margin(&p, true);
        let mut off = 0.0f64;
        for ((rv, want), got) in r.iter_mut().zip(n_ac).zip(&m) {
            off = off.max((want - got).abs());
            if *got > 0.0 {
                *rv *= want / got;
            }
        }
        fitted(&q, &r, &mut p);
        let m = margin(&p, false);
        for ((qv, want), got) in q.iter_mut().zip(n_kc).zip(&m) {
            off = off.max((want - got).abs());
            if *got > 0.0 {
                *qv *= want / got;
            }
        }
        if off < TOLERANCE {
            break;
        }
    }
    fitted(&q, &r, &mut p);
    let ll: f64 = cand
        .n_kac
        .iter()
        .zip(&p)
        .filter(|(n, _)| **n > 0.0)
        .map(|(n, p)| n * p.max(f64::MIN_POSITIVE).ln())
        .sum();
    let gain = ll - base - penalty * cand.params as f64;
    let counts: Vec<f64> = p
        .chunks(c_card)
        .zip(n_ka)
        .flat_map(|(cfg, w)| {
            let w = if *w > 0.0 { *w } else { UNSEEN_WEIGHT };
            cfg.iter().map(move |x| x * w).collect::<Vec<_>>()
        })
        .collect();
    Term {
        extra: cand.extra,
        map: cand.map.clone(),
        gain,
        counts,
    }
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

    /// Node `var` of `enc` with parent 0 and table `counts`, refined by pair terms on the
    /// columns `0..var` (the head).
    fn refine(enc: &[Encoded], var: usize, counts: Vec<f64>) -> Node {
        let rows = enc[0].codes.len();
        let mut nodes = vec![Node {
            var,
            parents: vec![0],
            groups: Vec::new(),
            counts,
        }];
        let structure = vec![(
            var,
            Choice {
                parents: vec![0],
                maps: vec![Vec::new()],
                gain: 1.0,
            },
        )];
        let head: Vec<usize> = (0..var).collect();
        add_pair_terms(
            enc,
            &vec![1.0; rows],
            &mut nodes,
            &structure,
            &head,
            rows,
            0.5,
            &FitOptions::default(),
        );
        nodes.remove(0)
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
        let n = &refine(&enc, 2, counts.clone());
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
        // With an extra column that says nothing about the node (codes alternating over the
        // rows), no term gains more than its penalty and nothing is added.
        let shuffled: Vec<u32> = (0..rows as u32).map(|i| i % 2).collect();
        let enc2 = vec![
            cat("k", 2, enc[0].codes.clone()),
            cat("a", 2, shuffled),
            cat("c", 3, enc[2].codes.clone()),
        ];
        assert_eq!(refine(&enc2, 2, counts).parents, vec![0]);
    }

    /// An extra column of 12 levels that shifts the node through two groups of six: through
    /// its own codes the term costs 11 parameters, more than it gains, and through its
    /// two-group view for this node only one, so the view comes in.
    #[test]
    fn an_extra_column_comes_in_through_its_view_for_the_node() {
        let (mut k, mut a, mut c) = (Vec::new(), Vec::new(), Vec::new());
        for level in 0..12u32 {
            let ones = if level < 6 { 116 } else { 84 };
            for i in 0..200u32 {
                k.push(i % 2);
                a.push(level);
                c.push(u32::from(i / 2 < ones / 2));
            }
        }
        let rows = k.len();
        let enc = vec![cat("k", 2, k), cat("a", 12, a), cat("c", 2, c)];
        let mut counts = vec![0.0; 4];
        for (kk, cc) in enc[0].codes.iter().zip(&enc[2].codes) {
            counts[*kk as usize * 2 + *cc as usize] += 1.0;
        }
        // The gain, 2400 · I(a; c) = 30.8 nats, is under 11 · 0.5 · ln 2400 = 42.8.
        let n = refine(&enc, 2, counts);
        assert_eq!(n.parents, vec![0, 1]);
        let halves: Vec<u32> = (0..12).map(|l| u32::from(l >= 6)).collect();
        assert_eq!(n.groups, vec![Vec::new(), halves]);
        assert_eq!(n.counts.len(), 2 * 2 * 2);
        let total: f64 = n.counts.iter().sum();
        assert!((total - rows as f64).abs() < 1e-6);
    }

    /// Two extra columns that each shift the node: both come in as terms, and the fitted table
    /// keeps the (parents, node) table and both (extra, node) tables of the data.
    #[test]
    fn two_terms_keep_every_two_way_table() {
        let (mut k, mut a1, mut a2, mut c) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for kk in 0..2u32 {
            for x in 0..2u32 {
                for y in 0..3u32 {
                    for cc in 0..3u32 {
                        let n = 20
                            + 30 * u32::from(cc == x)
                            + 25 * u32::from(cc == y)
                            + 10 * u32::from(cc == kk);
                        for _ in 0..n {
                            k.push(kk);
                            a1.push(x);
                            a2.push(y);
                            c.push(cc);
                        }
                    }
                }
            }
        }
        let enc = vec![
            cat("k", 2, k),
            cat("a1", 2, a1),
            cat("a2", 3, a2),
            cat("c", 3, c),
        ];
        let table = |a: usize, ca: usize, counts: Option<(&Node, usize)>| -> Vec<f64> {
            let mut t = vec![0.0; ca * 3];
            match counts {
                None => {
                    for (x, cc) in enc[a].codes.iter().zip(&enc[3].codes) {
                        t[*x as usize * 3 + *cc as usize] += 1.0;
                    }
                }
                Some((n, pos)) => {
                    // Sum the node's table over every parent but the one at `pos`.
                    let cards: Vec<usize> = n.parents.iter().map(|&p| enc[p].card()).collect();
                    for (cell, x) in n.counts.iter().enumerate() {
                        let cc = cell % 3;
                        let mut cfg = cell / 3;
                        let mut code = 0;
                        for (i, card) in cards.iter().enumerate().rev() {
                            if i == pos {
                                code = cfg % card;
                            }
                            cfg /= card;
                        }
                        t[code * 3 + cc] += x;
                    }
                }
            }
            t
        };
        let n = &refine(&enc, 3, table(0, 2, None));
        let mut extras = n.parents[1..].to_vec();
        extras.sort_unstable();
        assert_eq!(n.parents[0], 0);
        assert_eq!(extras, vec![1, 2], "both columns come in as terms");
        for (pos, &a) in n.parents.iter().enumerate() {
            let ca = enc[a].card();
            let want = table(a, ca, None);
            let got = table(a, ca, Some((n, pos)));
            for (g, w) in got.iter().zip(&want) {
                assert!((g - w).abs() < 1e-3, "column {a}: {got:?} against {want:?}");
            }
        }
    }
}
