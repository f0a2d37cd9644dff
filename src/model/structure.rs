//! The structure search of exact fits: which earlier columns each node is drawn from
//! (penalised likelihood gains), and the deterministic relations between columns that every
//! sample keeps exactly. Differentially private fits choose theirs in `private`.

use std::collections::HashMap;
use std::sync::Mutex;

use rayon::prelude::*;

use super::discretise::Encoded;
use super::fit::FitOptions;
use super::VarKind;

/// `N · H(child | configuration)` in nats, from exact counts (rows or tuples of weight `w`).
fn n_cond_entropy(child: &[u32], w: &[f64], card: usize, keys: &[u32], configs: usize) -> f64 {
    let mut counts = vec![0.0; configs * card];
    for ((k, c), x) in keys.iter().zip(child).zip(w) {
        counts[*k as usize * card + *c as usize] += x;
    }
    counts
        .chunks(card)
        .map(|cfg| {
            let t: f64 = cfg.iter().sum();
            if t == 0.0 {
                return 0.0;
            }
            cfg.iter()
                .filter(|x| **x > 0.0)
                .map(|&x| -x * (x / t).ln())
                .sum::<f64>()
        })
        .sum()
}

/// Mutual information (nats) of a 2-way table of (possibly noisy) counts.
pub(super) fn mutual_information(counts: &[f64], ca: usize, cb: usize) -> f64 {
    let total: f64 = counts.iter().sum();
    if total <= 0.0 {
        return 0.0;
    }
    let mut ra = vec![0.0; ca];
    let mut rb = vec![0.0; cb];
    for a in 0..ca {
        for b in 0..cb {
            ra[a] += counts[a * cb + b];
            rb[b] += counts[a * cb + b];
        }
    }
    let mut mi = 0.0;
    for a in 0..ca {
        for b in 0..cb {
            let p = counts[a * cb + b] / total;
            if p > 0.0 {
                mi += p * (p * total * total / (ra[a] * rb[b])).ln();
            }
        }
    }
    mi.max(0.0)
}

/// The chosen parents of one node, each seen through a view (`maps[i]`: code -> group, empty
/// for the parent's own codes), and their BIC gain.
pub(super) struct Choice {
    pub(super) parents: Vec<usize>,
    pub(super) maps: Vec<Vec<u32>>,
    pub(super) gain: f64,
}

/// Group counts of the coarse views of a numeric parent: its ordered bins merged into this many
/// groups of about equal rows, so that a fine numeric column can be a parent where its full
/// table would cost too much (BIC) and numeric dependence is not lost.
const VIEWS: [usize; 3] = [2, 4, 8];

/// The views of variable `v` a child may use: its own codes (an empty map), then, for a numeric
/// variable with more bins than a view has groups, coarse views of consecutive bins by
/// cumulative rows (the null code a group of its own). Maps carry no value, only bin indices.
pub(super) fn views(e: &Encoded, w: &[f64]) -> Vec<Vec<u32>> {
    let mut out = vec![Vec::new()];
    let VarKind::Numeric { bins, .. } = &e.var.kind else {
        return out;
    };
    let card = e.card();
    let mut counts = vec![0u64; card];
    for (&c, x) in e.codes.iter().zip(w) {
        counts[c as usize] += *x as u64;
    }
    let nb = bins.len();
    let total: u64 = counts[..nb].iter().sum();
    if total == 0 {
        return out;
    }
    for g in VIEWS {
        if g >= nb {
            continue;
        }
        let mut map = vec![0u32; card];
        let mut cum = 0u64;
        let mut group = 0u32;
        let mut last: Option<u32> = None;
        for k in 0..nb {
            let mid = (cum as f64 + counts[k] as f64 / 2.0) / total as f64;
            let raw = ((mid * g as f64) as u32).min(g as u32 - 1);
            if last.is_some_and(|l| l != raw) {
                group += 1;
            }
            last = Some(raw);
            map[k] = group;
            cum += counts[k];
        }
        for m in map.iter_mut().skip(nb) {
            *m = group + 1;
        }
        if map.iter().max().map_or(0, |m| *m as usize + 1) < card && !out.contains(&map) {
            out.push(map);
        }
    }
    out
}

/// Most levels of a categorical parent whose views for a child are searched: any two levels
/// may merge, so the search costs the cube of the levels (a column of thousands of levels
/// would stall the fit), and a parent with more levels is rarely worth its table anyway.
const MAX_MERGED_LEVELS: usize = 64;

/// Coarse views of parent `p` for one child `c`: the parent's codes merged, greedily, where
/// their distributions of the child's codes are most alike (the merge that loses least
/// `N · I(child; parent)` first), read off at [`VIEWS`] groups. Any two levels of a
/// categorical parent may merge; a numeric parent merges neighbouring bins only (its null
/// code stays a group of its own), so a view can single out the young where the child needs
/// it, not only split at quantiles. A parent with many codes (occupation, age) then enters a
/// node's table through the few groups that matter for that child, so a node affords more
/// parents. Maps carry no value, only code indices; codes without rows merge first.
pub(super) fn child_views(p: &Encoded, c: &Encoded, w: &[f64]) -> Vec<Vec<u32>> {
    let (cp, cc) = (p.card(), c.card());
    let ordered = match &p.var.kind {
        VarKind::Numeric { bins, .. } => Some(bins.len()),
        _ => None,
    };
    let mergeable = ordered.unwrap_or(cp);
    if mergeable <= VIEWS[0] || (ordered.is_none() && mergeable > MAX_MERGED_LEVELS) {
        return Vec::new();
    }
    let mut table = vec![vec![0.0f64; cc]; cp];
    for ((a, b), x) in p.codes.iter().zip(&c.codes).zip(w) {
        table[*a as usize][*b as usize] += x;
    }
    // n · Σ_c p_c ln p_c of a group's counts.
    let neg_h = |g: &[f64]| -> f64 {
        let n: f64 = g.iter().sum();
        if n <= 0.0 {
            return 0.0;
        }
        g.iter()
            .filter(|x| **x > 0.0)
            .map(|&x| x * (x / n).ln())
            .sum()
    };
    let loss = |a: &[f64], b: &[f64]| -> f64 {
        let merged: Vec<f64> = a.iter().zip(b).map(|(x, y)| x + y).collect();
        neg_h(a) + neg_h(b) - neg_h(&merged)
    };
    // Live groups in code order: (member codes, counts over the child). Codes past the
    // mergeable ones (a numeric parent's null) are never merged.
    let mut groups: Vec<(Vec<usize>, Vec<f64>)> = table
        .into_iter()
        .take(mergeable)
        .enumerate()
        .map(|(k, t)| (vec![k], t))
        .collect();
    let mut out = Vec::new();
    while groups.len() > VIEWS[0] {
        let mut best: Option<(f64, usize, usize)> = None;
        for i in 0..groups.len() {
            let js = if ordered.is_some() {
                i + 1..(i + 2).min(groups.len())
            } else {
                i + 1..groups.len()
            };
            for j in js {
                let l = loss(&groups[i].1, &groups[j].1);
                if best.is_none_or(|b| l < b.0 - 1e-9) {
                    best = Some((l, i, j));
                }
            }
        }
        let Some((_, i, j)) = best else { break };
        let (members, counts) = groups.remove(j);
        groups[i].0.extend(members);
        groups[i]
            .1
            .iter_mut()
            .zip(counts)
            .for_each(|(a, b)| *a += b);
        if VIEWS.contains(&groups.len()) {
            // Groups numbered by their smallest code, so equal partitions give equal maps.
            let mut order: Vec<usize> = (0..groups.len()).collect();
            order.sort_by_key(|&g| groups[g].0.iter().min().copied().unwrap_or(usize::MAX));
            let mut map = vec![0u32; cp];
            for (n, &g) in order.iter().enumerate() {
                for &k in &groups[g].0 {
                    map[k] = n as u32;
                }
            }
            for (n, m) in map.iter_mut().enumerate().skip(mergeable) {
                *m = (groups.len() + n - mergeable) as u32;
            }
            out.push(map);
        }
    }
    out
}

/// Number of groups of a view (`card` for the identity view).
pub(super) fn view_card(map: &[u32], card: usize) -> usize {
    if map.is_empty() {
        card
    } else {
        map.iter().max().map_or(1, |m| *m as usize + 1)
    }
}

/// What one child's greedy search has computed, kept across the rounds of
/// [`search_structure`] (each round offers one more candidate parent, and most of the
/// entropies it needs were computed in the rounds before): the child's views of each
/// candidate, and `N · H(child | parents so far, candidate view)` by (parents so far with
/// their views, candidate, view).
#[derive(Default)]
struct Memo {
    views: HashMap<usize, Vec<Vec<u32>>>,
    entropy: HashMap<EntropyKey, f64>,
}

/// The parents chosen so far (each with its view's index), the candidate and its view.
type EntropyKey = (Vec<(usize, usize)>, usize, usize);

/// Greedy forward selection of at most `max_parents` parents among `placed` (each through one
/// of its `views` or a view for this child, see [`child_views`]) by penalised likelihood
/// gain, from exact counts: the penalty per free parameter is `factor · ln N` (`factor` 0.5
/// is BIC; see [`choose_penalty`]).
#[allow(clippy::too_many_arguments)]
fn best_parents_exact(
    enc: &[Encoded],
    w: &[f64],
    views: &[Vec<Vec<u32>>],
    memo: &mut Memo,
    child: usize,
    placed: &[usize],
    rows: usize,
    factor: f64,
    opts: &FitOptions,
) -> Choice {
    let card = enc[child].card();
    let penalty = factor * (rows.max(2) as f64).ln() * (card as f64 - 1.0);
    let cap = opts.max_cells.min(rows.max(4096));
    let mut keys = vec![0u32; w.len()];
    let mut configs = 1usize;
    let mut h = n_cond_entropy(&enc[child].codes, w, card, &keys, 1);
    let mut parents: Vec<usize> = Vec::new();
    let mut maps: Vec<Vec<u32>> = Vec::new();
    let mut total = 0.0;
    let code = |map: &[u32], c: u32| if map.is_empty() { c } else { map[c as usize] };
    // Each candidate's views: its own (codes, numeric coarse views), then views for this child.
    let cand: Vec<Vec<Vec<u32>>> = placed
        .iter()
        .map(|&p| {
            memo.views
                .entry(p)
                .or_insert_with(|| {
                    let mut v = views[p].clone();
                    for m in child_views(&enc[p], &enc[child], w) {
                        if !v.contains(&m) {
                            v.push(m);
                        }
                    }
                    v
                })
                .clone()
        })
        .collect();
    let mut prefix: Vec<(usize, usize)> = Vec::new();
    while parents.len() < opts.max_parents {
        let mut best: Option<(f64, usize, usize, f64)> = None;
        for (pi, &p) in placed.iter().enumerate() {
            if parents.contains(&p) {
                continue;
            }
            for (vi, map) in cand[pi].iter().enumerate() {
                let cp = view_card(map, enc[p].card());
                if configs * cp * card > cap {
                    continue;
                }
                let h2 = *memo
                    .entropy
                    .entry((prefix.clone(), p, vi))
                    .or_insert_with(|| {
                        let k2: Vec<u32> = keys
                            .iter()
                            .zip(&enc[p].codes)
                            .map(|(k, c)| k * cp as u32 + code(map, *c))
                            .collect();
                        n_cond_entropy(&enc[child].codes, w, card, &k2, configs * cp)
                    });
                let gain = h - h2 - penalty * configs as f64 * (cp as f64 - 1.0);
                if gain > 0.0 && best.is_none_or(|b| gain > b.0) {
                    best = Some((gain, pi, vi, h2));
                }
            }
        }
        let Some((gain, pi, vi, h2)) = best else {
            break;
        };
        let p = placed[pi];
        let map = &cand[pi][vi];
        let cp = view_card(map, enc[p].card());
        for (k, c) in keys.iter_mut().zip(&enc[p].codes) {
            *k = *k * cp as u32 + code(map, *c);
        }
        configs *= cp;
        h = h2;
        total += gain;
        prefix.push((p, vi));
        parents.push(p);
        maps.push(map.clone());
    }
    Choice {
        parents,
        maps,
        gain: total,
    }
}

/// Deterministic relations in the data: `(from, to)` when every code of `from` occurs with a
/// single code of `to` (a level and its number, a code and its label). Both need at least two
/// codes in use, and `from` at most half as many codes in use as rows (a near-unique column
/// trivially determines everything). Without differential privacy only.
pub(super) fn relations(enc: &[Encoded], rows: usize) -> Vec<(usize, usize)> {
    let used = |e: &Encoded| {
        let mut seen = vec![false; e.card()];
        e.codes.iter().for_each(|c| seen[*c as usize] = true);
        seen.iter().filter(|s| **s).count()
    };
    let in_use: Vec<usize> = enc.iter().map(used).collect();
    let pairs: Vec<(usize, usize)> = (0..enc.len())
        .flat_map(|a| (0..enc.len()).map(move |b| (a, b)))
        .filter(|&(a, b)| a != b && in_use[a] >= 2 && in_use[b] >= 2 && in_use[a] * 2 <= rows)
        .collect();
    pairs
        .into_par_iter()
        .filter(|&(a, b)| {
            let mut to = vec![u32::MAX; enc[a].card()];
            enc[a].codes.iter().zip(&enc[b].codes).all(|(&x, &y)| {
                let t = &mut to[x as usize];
                if *t == u32::MAX {
                    *t = y;
                }
                *t == y
            })
        })
        .collect()
}

/// The greedy structure search: each round places the remaining column whose best parent set
/// (among the head and the columns already placed) gains most, by exact penalised gains from
/// the data (`mi`, the pairwise mutual information, picks the first column when there is no
/// head). Differentially private fits use [`super::private`] instead.
///
/// A column that a placed column determines (`relations`) is placed at once with that column
/// as its only parent, so the relation holds in every sample. A column that determines a
/// placed column (a level whose number, or a code whose head column, was drawn before it) has
/// that column as its first parent: its table holds only the codes the relation allows, and
/// a configuration the data never shows backs off to the first parent alone.
/// Returns the columns in placement order with their parents and parent views.
#[allow(clippy::too_many_arguments)]
pub(super) fn search_structure(
    enc: &[Encoded],
    w: &[f64],
    head_vars: &[usize],
    features: &[usize],
    mi: &[Vec<f64>],
    relations: &[(usize, usize)],
    rows: usize,
    factor: f64,
    opts: &FitOptions,
) -> Vec<(usize, Choice)> {
    let all_views: Vec<Vec<Vec<u32>>> = enc.iter().map(|e| views(e, w)).collect();
    let memos: Vec<Mutex<Memo>> = enc.iter().map(|_| Mutex::default()).collect();
    let mut placed = head_vars.to_vec();
    let mut remaining = features.to_vec();
    let mut structure = Vec::with_capacity(features.len());
    // The column placed first, while it waits (see [`FitOptions::first`]).
    let first = opts
        .first
        .as_ref()
        .and_then(|n| remaining.iter().copied().find(|&v| enc[v].var.name == *n));
    while !remaining.is_empty() {
        let waiting = first.filter(|f| remaining.contains(f));
        // A remaining column determined by a placed one: drawn from it alone.
        if let Some((k, from)) = remaining.iter().enumerate().find_map(|(k, &f)| {
            if waiting.is_some_and(|w| w != f) {
                return None;
            }
            relations
                .iter()
                .find(|&&(a, b)| b == f && placed.contains(&a))
                .map(|&(a, _)| (k, a))
        }) {
            let f = remaining.remove(k);
            structure.push((
                f,
                Choice {
                    parents: vec![from],
                    maps: vec![Vec::new()],
                    gain: f64::INFINITY,
                },
            ));
            placed.push(f);
            continue;
        }
        // Of two columns that determine each other (a level and its number), the number is
        // placed first and the level follows from it: the number then takes part in the
        // copula, which keeps its correlations with the other numeric columns.
        let numeric = |v: usize| matches!(enc[v].var.kind, VarKind::Numeric { .. });
        let ready: Vec<usize> = remaining
            .iter()
            .copied()
            .filter(|&f| {
                numeric(f)
                    || !remaining.iter().any(|&g| {
                        numeric(g) && relations.contains(&(f, g)) && relations.contains(&(g, f))
                    })
            })
            .filter(|&f| waiting.is_none_or(|w| w == f))
            .collect();
        let ready = if ready.is_empty() {
            waiting.into_iter().collect()
        } else {
            ready
        };
        let choices: Vec<Choice> = if placed.is_empty() {
            // No head: start from the column most related to the others.
            ready
                .iter()
                .map(|&f| Choice {
                    parents: Vec::new(),
                    maps: Vec::new(),
                    gain: mi[f].iter().sum(),
                })
                .collect()
        } else {
            ready
                .par_iter()
                .map(|&f| {
                    // Each column is searched by one thread at a time; a poisoned lock only
                    // means another column's search panicked, and this memo is still whole.
                    let mut memo = memos[f].lock().unwrap_or_else(|e| e.into_inner());
                    let memo = &mut *memo;
                    // Placed columns this column determines come first among its parents.
                    let mut forced: Vec<usize> = relations
                        .iter()
                        .filter(|&&(a, b)| a == f && placed.contains(&b))
                        .map(|&(_, b)| b)
                        .collect();
                    for (c, p) in &opts.forced_parents {
                        if enc[f].var.name != *c {
                            continue;
                        }
                        if let Some(&v) = placed.iter().find(|&&v| enc[v].var.name == *p) {
                            if !forced.contains(&v) {
                                forced.push(v);
                            }
                        }
                    }
                    if forced.is_empty() {
                        best_parents_exact(enc, w, &all_views, memo, f, &placed, rows, factor, opts)
                    } else {
                        let mut o = opts.clone();
                        o.max_parents = opts.max_parents.max(forced.len());
                        let rest: Vec<usize> = placed
                            .iter()
                            .copied()
                            .filter(|p| !forced.contains(p))
                            .collect();
                        let mut c = best_parents_exact(
                            enc,
                            w,
                            &all_views,
                            memo,
                            f,
                            &forced,
                            rows,
                            factor,
                            &{
                                let mut o2 = o.clone();
                                o2.max_parents = forced.len();
                                o2
                            },
                        );
                        // Any forced parent the gain did not pick is added anyway.
                        for &h in &forced {
                            if !c.parents.contains(&h) {
                                c.parents.push(h);
                                c.maps.push(Vec::new());
                            }
                        }
                        let more = best_parents_exact(
                            enc,
                            w,
                            &all_views,
                            memo,
                            f,
                            &rest,
                            rows,
                            factor,
                            &{
                                let mut o2 = o.clone();
                                o2.max_parents = opts.max_parents.saturating_sub(c.parents.len());
                                o2
                            },
                        );
                        c.parents.extend(more.parents);
                        c.maps.extend(more.maps);
                        c.gain = f64::INFINITY;
                        c
                    }
                })
                .collect()
        };
        // The first of equal gains wins, so the order is deterministic.
        let mut best = 0;
        for k in 1..choices.len() {
            if choices[k].gain > choices[best].gain {
                best = k;
            }
        }
        let f = ready[best];
        remaining.retain(|r| *r != f);
        let mut choice = choices.into_iter().nth(best).unwrap_or(Choice {
            parents: Vec::new(),
            maps: Vec::new(),
            gain: 0.0,
        });
        let mut order: Vec<usize> = (0..choice.parents.len()).collect();
        // Forced head parents (infinite gain) stay first: sampling backs off to the first
        // parent for a configuration the data never shows.
        if choice.gain.is_finite() {
            order.sort_by_key(|&i| choice.parents[i]);
        }
        choice.maps = order.iter().map(|&i| choice.maps[i].clone()).collect();
        choice.parents = order.iter().map(|&i| choice.parents[i]).collect();
        structure.push((f, choice));
        placed.push(f);
    }
    structure
}

/// Whether the rows of a tuple of codes are held out when choosing the penalty: a fifth of
/// the tuples, picked by a hash of the seed and the codes, so that the choice depends on the
/// table's content alone (not on its row order or how it is split), and rows that repeat a
/// tuple are never on both sides.
fn held_out(seed: u64, codes: impl Iterator<Item = u32>) -> bool {
    use std::hash::Hasher;
    let mut h = crate::hash::FastHasher::default();
    h.write_u64(seed ^ 0x0068_6f6c_646f_7574);
    for c in codes {
        h.write_u32(c);
    }
    // The top 53 bits as a uniform number in [0, 1).
    ((h.finish() >> 11) as f64 / (1u64 << 53) as f64) < 0.2
}

/// Penalty factors tried by [`choose_penalty`], from BIC's 0.5 down. Held-out likelihood keeps
/// improving below 0.25 on Adult (-9.387 nats per row at 0.25, -9.337 at 0.1), but the
/// judges do not follow: at 0.1 train-on-synthetic accuracy falls (logistic TSTR/TRTR 0.979
/// against 0.993 at 0.25) and more synthetic rows copy a real row (11.5 % against 10.7 %), so
/// the search stops at 0.25.
pub const PENALTIES: [f64; 3] = [0.5, 0.35, 0.25];

/// Smallest input for choosing the penalty on held-out rows; smaller inputs use BIC.
const HOLDOUT_MIN_ROWS: usize = 1000;

/// The rows (or tuples) of `enc` where `keep` is true, with their weights.
fn subset(enc: &[Encoded], w: &[f64], keep: &[bool]) -> (Vec<Encoded>, Vec<f64>) {
    let pick = |v: &[u32]| -> Vec<u32> {
        v.iter()
            .zip(keep)
            .filter(|(_, k)| **k)
            .map(|(c, _)| *c)
            .collect()
    };
    let kept = enc
        .iter()
        .map(|e| Encoded {
            var: e.var.clone(),
            codes: pick(&e.codes),
            within: e.within.as_ref().map(|w| {
                w.iter()
                    .zip(keep)
                    .filter(|(_, k)| **k)
                    .map(|(x, _)| *x)
                    .collect()
            }),
        })
        .collect();
    let weights = w
        .iter()
        .zip(keep)
        .filter(|(_, k)| **k)
        .map(|(x, _)| *x)
        .collect();
    (kept, weights)
}

/// Log-likelihood of the `test` rows under the nodes of `structure` with tables counted on
/// `train`: per node, `(n_c + m_c) / (N + 1)` with `m_c` the node's smoothed marginal share
/// (a configuration the training rows never show backs off to its first parent's codes, as
/// sampling does). The head is the same for every structure and is left out.
fn held_out_ll(
    (train, w_train): (&[Encoded], &[f64]),
    (test, w_test): (&[Encoded], &[f64]),
    structure: &[(usize, Choice)],
) -> f64 {
    structure
        .par_iter()
        .map(|(var, ch)| {
            let card = train[*var].card();
            let key = |enc: &[Encoded], r: usize| -> (usize, usize) {
                let mut k = 0usize;
                let mut first = 0usize;
                for (i, &p) in ch.parents.iter().enumerate() {
                    let map = ch.maps.get(i).map_or(&[][..], Vec::as_slice);
                    let cp = view_card(map, enc[p].card());
                    let c = enc[p].codes[r];
                    let g = if map.is_empty() {
                        c as usize
                    } else {
                        map[c as usize] as usize
                    };
                    if i == 0 {
                        first = g;
                    }
                    k = k * cp + g;
                }
                (k, first)
            };
            let configs: usize = ch
                .parents
                .iter()
                .enumerate()
                .map(|(i, &p)| {
                    view_card(
                        ch.maps.get(i).map_or(&[][..], Vec::as_slice),
                        train[p].card(),
                    )
                })
                .product();
            let firsts = ch.parents.first().map_or(1, |&p| {
                view_card(
                    ch.maps.first().map_or(&[][..], Vec::as_slice),
                    train[p].card(),
                )
            });
            let mut counts = vec![0.0; configs * card];
            let mut by_first = vec![0.0; firsts * card];
            let mut marginal = vec![0.5; card];
            for (r, x) in w_train.iter().enumerate() {
                let (k, f) = key(train, r);
                let c = train[*var].codes[r] as usize;
                counts[k * card + c] += x;
                by_first[f * card + c] += x;
                marginal[c] += x;
            }
            let total: f64 = marginal.iter().sum();
            let m: Vec<f64> = marginal.iter().map(|x| x / total).collect();
            (0..test[*var].codes.len())
                .map(|r| {
                    let (k, f) = key(test, r);
                    let c = test[*var].codes[r] as usize;
                    let row = &counts[k * card..(k + 1) * card];
                    let n: f64 = row.iter().sum();
                    let row = if n > 0.0 || ch.parents.is_empty() {
                        row
                    } else {
                        &by_first[f * card..(f + 1) * card]
                    };
                    let n: f64 = row.iter().sum();
                    w_test[r] * ((row[c] + m[c]) / (n + 1.0)).ln()
                })
                .sum::<f64>()
        })
        // Summed in node order, so the figure is the same for any thread count.
        .collect::<Vec<f64>>()
        .iter()
        .sum()
}

/// Chooses the structure penalty by held-out likelihood: a fifth of the distinct rows (see
/// [`held_out`]) is held out, the structure searched on the rest with each factor of [`PENALTIES`],
/// and the factor whose structure gives the held-out rows the highest log-likelihood wins
/// (BIC on ties and on inputs under 1,000 rows). Returns the factor and every factor's
/// held-out log-likelihood per row.
#[allow(clippy::too_many_arguments)]
pub(super) fn choose_penalty(
    enc: &[Encoded],
    w: &[f64],
    head_vars: &[usize],
    features: &[usize],
    mi: &[Vec<f64>],
    relations: &[(usize, usize)],
    rows: usize,
    opts: &FitOptions,
) -> (f64, Vec<(f64, f64)>) {
    if rows < HOLDOUT_MIN_ROWS || features.is_empty() {
        return (PENALTIES[0], Vec::new());
    }
    let keep: Vec<bool> = (0..w.len())
        .map(|t| !held_out(opts.seed, enc.iter().map(|e| e.codes[t])))
        .collect();
    let held: Vec<bool> = keep.iter().map(|k| !k).collect();
    let (train, test) = (subset(enc, w, &keep), subset(enc, w, &held));
    let n_train = train.1.iter().sum::<f64>() as usize;
    let n_test = (test.1.iter().sum::<f64>() as usize).max(1);
    let mut scores = Vec::new();
    let mut best = (PENALTIES[0], f64::NEG_INFINITY);
    for &factor in &PENALTIES {
        let s = search_structure(
            &train.0, &train.1, head_vars, features, mi, relations, n_train, factor, opts,
        );
        let ll = held_out_ll((&train.0, &train.1), (&test.0, &test.1), &s) / n_test as f64;
        scores.push((factor, ll));
        if ll > best.1 + 1e-12 {
            best = (factor, ll);
        }
    }
    (best.0, scores)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Bin, Variable};

    fn var(name: &str, kind: VarKind, null: bool) -> Variable {
        Variable {
            name: name.into(),
            kind,
            null,
        }
    }

    fn cat(name: &str, levels: usize, codes: Vec<u32>) -> Encoded {
        let levels = (0..levels).map(|l| l.to_string()).collect();
        Encoded {
            var: var(name, VarKind::Categorical { levels }, false),
            codes,
            within: None,
        }
    }

    /// Rows of (parent code, child code) from the child's counts per parent code.
    fn rows(parent: &[[u32; 2]]) -> (Vec<u32>, Vec<u32>) {
        let (mut p, mut c) = (Vec::new(), Vec::new());
        for (k, shares) in parent.iter().enumerate() {
            for (code, n) in shares.iter().enumerate() {
                for _ in 0..*n {
                    p.push(k as u32);
                    c.push(code as u32);
                }
            }
        }
        (p, c)
    }

    /// Codes 0, 2 and 4 say alike about the child, 1 and 3 alike, 5 apart.
    const SHARES: [[u32; 2]; 6] = [[90, 10], [20, 80], [88, 12], [22, 78], [91, 9], [50, 50]];

    #[test]
    fn a_categorical_parent_merges_the_codes_that_say_the_same_about_the_child() {
        let (p, c) = rows(&SHARES);
        let w = vec![1.0; p.len()];
        let views = child_views(&cat("p", 6, p), &cat("c", 2, c), &w);
        // Six codes: read off at four and two groups (eight is more than there are).
        let groups: Vec<usize> = views.iter().map(|m| view_card(m, 6)).collect();
        assert_eq!(groups, vec![4, 2]);
        for m in &views {
            assert_eq!(m[0], m[4], "{m:?}");
            assert_eq!(m[1], m[3], "{m:?}");
            assert_ne!(m[0], m[1], "{m:?}");
        }
        // The even codes (a child mostly 0) against the rest; groups numbered from code 0.
        assert_eq!(views[1], vec![0, 1, 0, 1, 0, 1]);
        assert_eq!(views[0], vec![0, 1, 2, 1, 0, 3]);
    }

    #[test]
    fn a_numeric_parent_merges_neighbouring_bins_and_keeps_its_null_apart() {
        let bins = (0..6)
            .map(|b| Bin {
                lo: b as f64,
                hi: b as f64 + 1.0,
                shape: Vec::new(),
                points: Vec::new(),
                spread: 0.0,
            })
            .collect();
        let kind = VarKind::Numeric {
            integer: false,
            bins,
            decimals: None,
        };
        // Bins 0 and 1 (the young) mostly 1; bins 2..=5 mostly 0; code 6 (null) like the young.
        let shares = [
            [10, 90],
            [15, 85],
            [80, 20],
            [82, 18],
            [79, 21],
            [81, 19],
            [12, 88],
        ];
        let (p, c) = rows(&shares);
        let w = vec![1.0; p.len()];
        let parent = Encoded {
            var: var("age", kind, true),
            codes: p,
            within: None,
        };
        let views = child_views(&parent, &cat("c", 2, c), &w);
        assert_eq!(views.len(), 2, "{views:?}");
        for m in &views {
            // Runs of neighbouring bins, in order; the null code a group of its own, last.
            assert!(
                m[..6].windows(2).all(|x| x[1] == x[0] || x[1] == x[0] + 1),
                "{m:?}"
            );
            assert_eq!(m[6], m[5] + 1, "{m:?}");
        }
        // Two groups of bins: the young and the rest, although the null is like the young.
        assert_eq!(views[1], vec![0, 0, 1, 1, 1, 1, 2]);
    }

    #[test]
    fn a_parent_of_very_many_levels_is_seen_whole() {
        let levels = MAX_MERGED_LEVELS + 1;
        let p: Vec<u32> = (0..levels as u32 * 4).map(|i| i % levels as u32).collect();
        let c: Vec<u32> = p.iter().map(|x| x % 2).collect();
        let w = vec![1.0; p.len()];
        assert!(child_views(&cat("p", levels, p), &cat("c", 2, c), &w).is_empty());
    }
}
