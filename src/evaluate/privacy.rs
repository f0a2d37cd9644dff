//! Privacy: exact copies of real rows, distance to closest record (Gower), a
//! membership-inference test against a holdout, and k-anonymity of the synthetic table over
//! the quasi-identifiers.

use std::hash::Hasher;

use rayon::prelude::*;
use serde::Serialize;

use super::data::{Aligned, Data};
use super::sample_rows;
use crate::hash::{FastHasher, FastMap};
use crate::schema::Role;

/// Most synthetic (and holdout) rows whose distance to the closest real record is measured.
pub const DCR_ROWS: usize = 2_000;

/// Distance-to-closest-record figures for a sample of rows against the real table.
#[derive(Debug, Clone, Serialize)]
pub struct Dcr {
    /// Rows measured (a seeded sample).
    pub rows: usize,
    /// Smallest distance.
    pub min: f64,
    /// 5th percentile (linear interpolation between order statistics, as numpy's default).
    pub p5: f64,
    /// Median.
    pub median: f64,
    /// Rows per distance interval: [`DCR_BINS`] equal-width bins of [0, 1] (Gower distances
    /// lie in it; 1 is in the last bin).
    pub histogram: Vec<u64>,
}

/// Bins of [`Dcr::histogram`].
pub const DCR_BINS: usize = 20;

/// Most synthetic rows searched for the closest synthetic row of each real and holdout row
/// of the membership test (a seeded sample beyond; the table the model was fitted on is
/// usually smaller).
pub const MEMBERSHIP_SYN_ROWS: usize = 50_000;

/// A membership-inference test: can someone holding the synthetic table tell the rows the
/// synthesiser was fitted on from real rows it never saw? Each measured real row and holdout
/// row gets its Gower distance to the closest synthetic row; an attacker calls the closer
/// rows members. Copies of common profiles show up in both groups alike, so this measures
/// what the synthetic table says about who was in the real one. The copied shares are
/// counted over every real and holdout row (exact matches are cheap to find), which makes
/// them about three times as precise as the distances' sample on a table like Adult.
#[derive(Debug, Clone, Serialize)]
pub struct Membership {
    /// Real rows measured (a seeded sample of at most [`DCR_ROWS`]).
    pub members: usize,
    /// Holdout rows measured (a seeded sample of at most [`DCR_ROWS`]).
    pub non_members: usize,
    /// Synthetic rows searched (a seeded sample of at most [`MEMBERSHIP_SYN_ROWS`]).
    pub synthetic_rows: usize,
    /// Probability that a measured real row lies closer to the synthetic rows than a measured
    /// holdout row, ties counted half (the attack's ROC AUC): 0.5 when the synthetic table
    /// says nothing about membership, 1 when every real row is closer than every unseen one.
    pub auc: f64,
    /// Share of all real rows that some synthetic row equals (over the distance's columns).
    pub member_matches: f64,
    /// Share of all holdout rows that some synthetic row equals: the difference to
    /// `member_matches` is the advantage of an attacker who calls every copied row a member.
    pub non_member_matches: f64,
    /// Standard error of `member_matches - non_member_matches` (two independent shares).
    pub matches_se: f64,
    /// The same shares for the rows that single someone out: those whose combination no
    /// other real or holdout row holds.
    pub singletons: Singletons,
}

/// Copied shares of the rows whose combination no other real or holdout row holds. The real
/// and holdout rows are drawn alike from one population, so a synthesiser that learnt the
/// population and not its training rows copies both groups' singletons equally often; one
/// that memorised rows copies the real table's more.
#[derive(Debug, Clone, Serialize)]
pub struct Singletons {
    /// Such real rows.
    pub members: usize,
    /// Such holdout rows.
    pub non_members: usize,
    /// Share of those real rows that some synthetic row equals (0 when there are none).
    pub member_matches: f64,
    /// Share of those holdout rows that some synthetic row equals (0 when there are none).
    pub non_member_matches: f64,
    /// Standard error of `member_matches - non_member_matches`.
    pub matches_se: f64,
}

/// k-anonymity of the synthetic table.
#[derive(Debug, Clone, Serialize)]
pub struct KAnonymity {
    /// The quasi-identifier columns.
    pub columns: Vec<String>,
    /// Number of equivalence classes (distinct value combinations).
    pub classes: usize,
    /// Size of the smallest class: the table's k.
    pub k: usize,
    /// The k the share below is counted against (`privacy.k_anonymity`, else `quality.min_k`).
    pub k_required: Option<u64>,
    /// Share of rows in classes smaller than `k_required`.
    pub share_below_k: Option<f64>,
}

/// Privacy figures.
#[derive(Debug, Clone, Serialize)]
pub struct PrivacyReport {
    /// Share of synthetic rows equal to some real row over every evaluated column.
    pub exact_copies: f64,
    /// Count of such rows.
    pub exact_copy_rows: usize,
    /// Share of synthetic rows equal to a real row that no other real row equals: a copy of a
    /// combination only one person holds, the kind that singles someone out. A copy of a
    /// common profile says nothing about any one person.
    pub unique_copies: f64,
    /// Count of such rows.
    pub unique_copy_rows: usize,
    /// Synthetic rows to their closest real row.
    pub dcr_synthetic: Dcr,
    /// Holdout rows to their closest real row (with `--holdout`).
    pub dcr_holdout: Option<Dcr>,
    /// Median DCR of the synthetic rows over that of the holdout rows (below 1: the synthetic
    /// rows sit closer to the real ones than new real rows do, a sign of memorisation).
    pub dcr_ratio: Option<f64>,
    /// Share of holdout rows equal to some real row (columns constant in the real table left
    /// out): the copy share a fresh sample of the population shows.
    pub holdout_exact_copies: Option<f64>,
    /// Share of holdout rows equal to a real row that no other real row equals (same columns
    /// as `holdout_exact_copies`): how often a fresh real person repeats a unique profile.
    pub holdout_unique_copies: Option<f64>,
    /// Columns left out of the distance: constant in the real table.
    pub dcr_left_out: Vec<String>,
    /// The membership-inference test (with `--holdout`).
    pub membership: Option<Membership>,
    /// k-anonymity over the quasi-identifier columns (`None` when there are none).
    pub k_anonymity: Option<KAnonymity>,
}

/// Which table of the aligned set.
#[derive(Clone, Copy)]
enum Side {
    Real,
    Syn,
    Hold,
}

/// One cell as a 64-bit key: numbers by their bits (with -0.0 as 0.0 and every NaN alike),
/// categories by their shared code (nulls included), so equal keys mean equal values.
fn cell(data: &Data, side: Side, row: usize) -> u64 {
    match data {
        Data::Num { real, syn, hold } => {
            let v = match side {
                Side::Real => real[row],
                Side::Syn => syn[row],
                Side::Hold => hold.as_ref().map_or(f64::NAN, |h| h[row]),
            };
            number_key(v)
        }
        Data::Cat {
            real, syn, hold, ..
        } => u64::from(match side {
            Side::Real => real[row],
            Side::Syn => syn[row],
            Side::Hold => hold.as_ref().map_or(crate::io::table::NULL, |h| h[row]),
        }),
    }
}

/// The key of a number for exact comparison: its bits, with -0.0 equal to 0.0 and all NaNs
/// (nulls) equal to each other.
pub(crate) fn number_key(v: f64) -> u64 {
    if v.is_nan() {
        f64::NAN.to_bits()
    } else if v == 0.0 {
        0
    } else {
        v.to_bits()
    }
}

fn row_hash(cols: &[&Data], side: Side, row: usize) -> u64 {
    let mut h = FastHasher::default();
    for c in cols {
        h.write_u64(cell(c, side, row));
    }
    h.finish()
}

/// Rows of one side that equal a real row.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Copies {
    /// Rows equal to some real row.
    rows: usize,
    /// Rows equal to exactly one real row (a combination unique in the real table).
    unique: usize,
}

/// The data of the columns whose `keep` is true.
fn kept<'a>(t: &'a Aligned, keep: &[bool]) -> Vec<&'a Data> {
    t.columns
        .iter()
        .zip(keep)
        .filter(|(_, k)| **k)
        .map(|(c, _)| &c.data)
        .collect()
}

/// Rows of `side` (synthetic or holdout) equal to some real row, and to exactly one real row,
/// over the columns whose `keep` is true.
fn exact_copies(t: &Aligned, side: Side, rows: usize, keep: &[bool]) -> Copies {
    let mut real = Profiles::new(kept(t, keep));
    let mut holders: Vec<usize> = Vec::new();
    for r in 0..t.real_rows {
        let id = real.insert(Side::Real, r);
        if id == holders.len() {
            holders.push(0);
        }
        holders[id] += 1;
    }
    let matches: Vec<usize> = (0..rows)
        .into_par_iter()
        .map(|s| real.find(side, s).map_or(0, |id| holders[id]))
        .collect();
    Copies {
        rows: matches.iter().filter(|m| **m > 0).count(),
        unique: matches.iter().filter(|m| **m == 1).count(),
    }
}

/// Distinct rows over some columns (*profiles*): rows are bucketed by hash and compared cell
/// by cell within a bucket, so a hash collision never merges two profiles, and a profile held
/// by many rows costs one comparison per row.
struct Profiles<'a> {
    cols: Vec<&'a Data>,
    buckets: FastMap<u64, Vec<u32>>,
    /// A row holding each profile.
    reps: Vec<(Side, usize)>,
}

impl<'a> Profiles<'a> {
    fn new(cols: Vec<&'a Data>) -> Profiles<'a> {
        Profiles {
            cols,
            buckets: FastMap::default(),
            reps: Vec::new(),
        }
    }

    fn equal(&self, a: (Side, usize), b: (Side, usize)) -> bool {
        self.cols
            .iter()
            .all(|c| cell(c, a.0, a.1) == cell(c, b.0, b.1))
    }

    /// The profile of `row` of `side`, added when new.
    fn insert(&mut self, side: Side, row: usize) -> usize {
        if let Some(id) = self.find(side, row) {
            return id;
        }
        let id = self.reps.len();
        self.reps.push((side, row));
        self.buckets
            .entry(row_hash(&self.cols, side, row))
            .or_default()
            .push(id as u32);
        id
    }

    /// The profile of `row` of `side`, if some row added holds it.
    fn find(&self, side: Side, row: usize) -> Option<usize> {
        self.buckets
            .get(&row_hash(&self.cols, side, row))
            .and_then(|ids| {
                ids.iter()
                    .find(|&&id| self.equal(self.reps[id as usize], (side, row)))
            })
            .map(|&id| id as usize)
    }
}

/// Share of `hits` among `n` (0 for none).
fn share_of(hits: usize, n: usize) -> f64 {
    if n == 0 {
        0.0
    } else {
        hits as f64 / n as f64
    }
}

/// Standard error of the difference of two independent shares, `a` of `n` and `b` of `m`.
fn difference_se(a: f64, n: usize, b: f64, m: usize) -> f64 {
    let var = |p: f64, n: usize| {
        if n == 0 {
            0.0
        } else {
            p * (1.0 - p) / n as f64
        }
    };
    (var(a, n) + var(b, m)).sqrt()
}

/// The copied shares of the membership test over every real and holdout row, on the columns
/// whose `keep` is true: (all real, all holdout, singletons).
fn copied_shares(t: &Aligned, keep: &[bool], hold_rows: usize) -> (f64, f64, f64, Singletons) {
    let cols = kept(t, keep);
    let mut syn = Profiles::new(cols.clone());
    for r in 0..t.syn_rows {
        syn.insert(Side::Syn, r);
    }
    let mut seen = Profiles::new(cols);
    let real: Vec<usize> = (0..t.real_rows)
        .map(|r| seen.insert(Side::Real, r))
        .collect();
    let hold: Vec<usize> = (0..hold_rows).map(|r| seen.insert(Side::Hold, r)).collect();
    let mut holders = vec![0u32; seen.reps.len()];
    for &id in real.iter().chain(&hold) {
        holders[id] += 1;
    }
    let copied: Vec<bool> = seen
        .reps
        .par_iter()
        .map(|&(side, row)| syn.find(side, row).is_some())
        .collect();
    // (rows, copied rows, singleton rows, copied singleton rows)
    let tally = |ids: &[usize]| {
        ids.iter().fold((0, 0, 0, 0), |(n, c, s, sc), &id| {
            let (hit, single) = (copied[id], holders[id] == 1);
            (
                n + 1,
                c + usize::from(hit),
                s + usize::from(single),
                sc + usize::from(hit && single),
            )
        })
    };
    let (rn, rc, rs, rsc) = tally(&real);
    let (hn, hc, hs, hsc) = tally(&hold);
    let (a, b) = (share_of(rc, rn), share_of(hc, hn));
    let (sa, sb) = (share_of(rsc, rs), share_of(hsc, hs));
    (
        a,
        b,
        difference_se(a, rn, b, hn),
        Singletons {
            members: rs,
            non_members: hs,
            member_matches: sa,
            non_member_matches: sb,
            matches_se: difference_se(sa, rs, sb, hs),
        },
    )
}

/// How a column enters the Gower distance.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Scale {
    /// A number, scaled by the real column's range.
    Range(f64),
    /// A category, compared as equal or not.
    Key,
    /// Constant in the real table (one value, or all null): left out, since it says nothing
    /// about closeness to real rows, only about which table a row came from (a `split`
    /// column, for instance, would put every holdout row at a distance from every real row).
    Skip,
}

/// Rows laid out for Gower distances: numeric cells scaled by the real column's range,
/// categorical cells as keys; constant columns left out.
struct GowerRows {
    rows: usize,
    num: Vec<f64>,
    cat: Vec<u64>,
    n_num: usize,
    n_cat: usize,
}

impl GowerRows {
    fn build(t: &Aligned, side: Side, rows: &[usize], scale: &[Scale]) -> GowerRows {
        let n_num = scale
            .iter()
            .filter(|s| matches!(s, Scale::Range(_)))
            .count();
        let n_cat = scale.iter().filter(|s| **s == Scale::Key).count();
        let mut num = Vec::with_capacity(rows.len() * n_num);
        let mut cat = Vec::with_capacity(rows.len() * n_cat);
        for &r in rows {
            for (c, s) in t.columns.iter().zip(scale) {
                match s {
                    Scale::Range(range) => num.push(f64::from_bits(cell(&c.data, side, r)) / range),
                    Scale::Key => cat.push(cell(&c.data, side, r)),
                    Scale::Skip => {}
                }
            }
        }
        GowerRows {
            rows: rows.len(),
            num,
            cat,
            n_num,
            n_cat,
        }
    }

    fn rows(&self) -> usize {
        self.rows
    }
}

/// The Gower distance's numerator between two scaled rows: per column, |a - b| / range
/// capped at 1 for numbers (1 between a value and a null, 0 between two nulls), 0/1 for
/// categories. Stops early once the sum reaches `bound`, since only the minimum matters.
#[inline]
fn gower_sum(a_num: &[f64], a_cat: &[u64], b_num: &[f64], b_cat: &[u64], bound: f64) -> f64 {
    let mut d = a_cat.iter().zip(b_cat).filter(|(x, y)| x != y).count() as f64;
    if d >= bound {
        return d;
    }
    for (x, y) in a_num.iter().zip(b_num) {
        d += match (x.is_nan(), y.is_nan()) {
            (false, false) => (x - y).abs().min(1.0),
            (true, true) => 0.0,
            _ => 1.0,
        };
    }
    d
}

/// Gower distance between two rows of cells described by `scale` (see [`GowerRows`]).
#[cfg(test)]
fn gower(a: &GowerRows, i: usize, b: &GowerRows, j: usize) -> f64 {
    let cols = (a.n_num + a.n_cat) as f64;
    gower_sum(
        &a.num[i * a.n_num..(i + 1) * a.n_num],
        &a.cat[i * a.n_cat..(i + 1) * a.n_cat],
        &b.num[j * b.n_num..(j + 1) * b.n_num],
        &b.cat[j * b.n_cat..(j + 1) * b.n_cat],
        f64::INFINITY,
    ) / cols
}

/// For each row of `from`, the Gower distance to its closest row of `to`.
fn closest(from: &GowerRows, to: &GowerRows) -> Vec<f64> {
    let cols = (from.n_num + from.n_cat).max(1) as f64;
    let (nn, nc) = (from.n_num, from.n_cat);
    (0..from.rows())
        .into_par_iter()
        .map(|i| {
            let (an, ac) = (
                &from.num[i * nn..(i + 1) * nn],
                &from.cat[i * nc..(i + 1) * nc],
            );
            let mut best = f64::INFINITY;
            for j in 0..to.rows() {
                let d = gower_sum(
                    an,
                    ac,
                    &to.num[j * nn..(j + 1) * nn],
                    &to.cat[j * nc..(j + 1) * nc],
                    best,
                );
                if d < best {
                    best = d;
                    if best == 0.0 {
                        break;
                    }
                }
            }
            best / cols
        })
        .collect()
}

/// The q-quantile of sorted values, interpolating linearly between order statistics.
pub(crate) fn quantile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let at = q * (sorted.len() - 1) as f64;
    let (lo, hi) = (at.floor() as usize, at.ceil() as usize);
    sorted[lo] + (sorted[hi] - sorted[lo]) * (at - lo as f64)
}

fn summarise(mut d: Vec<f64>) -> Dcr {
    d.sort_by(f64::total_cmp);
    Dcr {
        rows: d.len(),
        min: d.first().copied().unwrap_or(f64::NAN),
        p5: quantile(&d, 0.05),
        median: quantile(&d, 0.5),
        histogram: d.iter().fold(vec![0u64; DCR_BINS], |mut h, x| {
            h[((x * DCR_BINS as f64).floor().max(0.0) as usize).min(DCR_BINS - 1)] += 1;
            h
        }),
    }
}

/// How each column enters the distance: numbers with a positive real range by that range,
/// categories as keys, columns with a single real value (nulls included) not at all.
fn scales(t: &Aligned) -> Vec<Scale> {
    t.columns
        .iter()
        .map(|c| {
            let mut keys = (0..t.real_rows).map(|r| cell(&c.data, Side::Real, r));
            let first = keys.next();
            if keys.all(|k| Some(k) == first) {
                return Scale::Skip;
            }
            match &c.data {
                Data::Num { real, .. } => {
                    let (lo, hi) = real
                        .iter()
                        .filter(|v| !v.is_nan())
                        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
                            (a.min(*v), b.max(*v))
                        });
                    // A number that is present once and otherwise null has no range.
                    if hi > lo {
                        Scale::Range(hi - lo)
                    } else {
                        Scale::Key
                    }
                }
                Data::Cat { .. } => Scale::Key,
            }
        })
        .collect()
}

/// Probability that a `members` distance is below a `non_members` one, ties counted half (the
/// Mann-Whitney U of the two samples over the product of their sizes).
pub(crate) fn closer_auc(members: &[f64], non_members: &[f64]) -> f64 {
    if members.is_empty() || non_members.is_empty() {
        return f64::NAN;
    }
    let mut sorted = non_members.to_vec();
    sorted.sort_by(f64::total_cmp);
    let wins: f64 = members
        .iter()
        .map(|x| {
            let below = sorted.partition_point(|v| v < x);
            let up_to = sorted.partition_point(|v| v <= x);
            (sorted.len() - up_to) as f64 + 0.5 * (up_to - below) as f64
        })
        .sum();
    wins / (members.len() as f64 * sorted.len() as f64)
}

/// The membership test of real rows against holdout rows (see [`Membership`]).
fn membership(
    t: &Aligned,
    scale: &[Scale],
    informative: &[bool],
    seed: u64,
    hold_rows: usize,
) -> Membership {
    let syn_rows = sample_rows(
        t.syn_rows,
        MEMBERSHIP_SYN_ROWS,
        seed,
        "evaluate/membership-synthetic",
    );
    let syn = GowerRows::build(t, Side::Syn, &syn_rows, scale);
    let measure = |side: Side, n: usize, purpose: &str| {
        let rows = sample_rows(n, DCR_ROWS, seed, purpose);
        closest(&GowerRows::build(t, side, &rows, scale), &syn)
    };
    let members = measure(Side::Real, t.real_rows, "evaluate/membership-real");
    let non_members = measure(Side::Hold, hold_rows, "evaluate/membership-holdout");
    let (member_matches, non_member_matches, matches_se, singletons) =
        copied_shares(t, informative, hold_rows);
    Membership {
        members: members.len(),
        non_members: non_members.len(),
        synthetic_rows: syn_rows.len(),
        auc: closer_auc(&members, &non_members),
        member_matches,
        non_member_matches,
        matches_se,
        singletons,
    }
}

fn k_anonymity(t: &Aligned, k_required: Option<u64>) -> Option<KAnonymity> {
    let qi: Vec<&super::data::EvalColumn> = t
        .columns
        .iter()
        .filter(|c| c.decl.has_role(Role::QuasiIdentifier))
        .collect();
    if qi.is_empty() || t.syn_rows == 0 {
        return None;
    }
    let mut classes: FastMap<Vec<u64>, usize> = FastMap::default();
    for r in 0..t.syn_rows {
        let key: Vec<u64> = qi.iter().map(|c| cell(&c.data, Side::Syn, r)).collect();
        *classes.entry(key).or_default() += 1;
    }
    let k = classes.values().copied().min().unwrap_or(0);
    let share_below_k = k_required.map(|need| {
        let below: usize = classes.values().filter(|n| (**n as u64) < need).sum();
        below as f64 / t.syn_rows as f64
    });
    Some(KAnonymity {
        columns: qi.iter().map(|c| c.decl.name.clone()).collect(),
        classes: classes.len(),
        k,
        k_required,
        share_below_k,
    })
}

/// All privacy figures.
pub(crate) fn privacy(t: &Aligned, seed: u64, k_required: Option<u64>) -> PrivacyReport {
    let scale = scales(t);
    let copies = exact_copies(t, Side::Syn, t.syn_rows, &vec![true; t.columns.len()]);
    // The holdout's own copy share is the baseline: how often a fresh real row equals a real
    // row. Columns constant in the real table (a `split` marker) are left out of it.
    let informative: Vec<bool> = scale.iter().map(|s| *s != Scale::Skip).collect();
    let holdout_copies = t
        .hold_rows
        .filter(|n| *n > 0)
        .map(|n| (exact_copies(t, Side::Hold, n, &informative), n as f64));
    let all_real: Vec<usize> = (0..t.real_rows).collect();
    let real = GowerRows::build(t, Side::Real, &all_real, &scale);
    let syn_rows = sample_rows(t.syn_rows, DCR_ROWS, seed, "evaluate/dcr-synthetic");
    let syn = GowerRows::build(t, Side::Syn, &syn_rows, &scale);
    let dcr_synthetic = summarise(closest(&syn, &real));
    let dcr_holdout = t.hold_rows.map(|n| {
        let rows = sample_rows(n, DCR_ROWS, seed, "evaluate/dcr-holdout");
        summarise(closest(
            &GowerRows::build(t, Side::Hold, &rows, &scale),
            &real,
        ))
    });
    let dcr_ratio = dcr_holdout
        .as_ref()
        .filter(|h| h.median > 0.0)
        .map(|h| dcr_synthetic.median / h.median);
    let share = |n: usize| {
        if t.syn_rows == 0 {
            0.0
        } else {
            n as f64 / t.syn_rows as f64
        }
    };
    PrivacyReport {
        exact_copies: share(copies.rows),
        exact_copy_rows: copies.rows,
        unique_copies: share(copies.unique),
        unique_copy_rows: copies.unique,
        dcr_synthetic,
        dcr_holdout,
        dcr_ratio,
        holdout_exact_copies: holdout_copies.map(|(c, n)| c.rows as f64 / n),
        holdout_unique_copies: holdout_copies.map(|(c, n)| c.unique as f64 / n),
        dcr_left_out: t
            .columns
            .iter()
            .zip(&scale)
            .filter(|(_, s)| **s == Scale::Skip)
            .map(|(c, _)| c.decl.name.clone())
            .collect(),
        membership: t
            .hold_rows
            .filter(|n| *n > 0 && t.syn_rows > 0 && t.real_rows > 0)
            .map(|n| membership(t, &scale, &informative, seed, n)),
        k_anonymity: k_anonymity(t, k_required),
    }
}

#[cfg(test)]
mod tests {
    use super::super::data::EvalColumn;
    use super::*;
    use crate::io::table::NULL;
    use crate::schema::Schema;

    fn table(cols: Vec<(&str, Role, Data)>, real_rows: usize, syn_rows: usize) -> Aligned {
        let yaml = "version: 1\nname: t\ncolumns:\n  - {name: x, type: float}\n";
        let base = Schema::from_str_named(yaml, "t.yaml").expect("valid");
        Aligned {
            real_rows,
            syn_rows,
            hold_rows: None,
            columns: cols
                .into_iter()
                .map(|(name, role, data)| {
                    let mut decl = base.columns[0].clone();
                    decl.name = name.into();
                    decl.role = role;
                    EvalColumn { decl, data }
                })
                .collect(),
        }
    }

    #[test]
    fn gower_distance_by_hand() {
        // Real age range 20..60 (40), income range 0..1000, one category.
        let t = table(
            vec![
                (
                    "age",
                    Role::Feature,
                    Data::Num {
                        real: vec![20.0, 60.0],
                        syn: vec![30.0, f64::NAN],
                        hold: None,
                    },
                ),
                (
                    "income",
                    Role::Feature,
                    Data::Num {
                        real: vec![0.0, 1000.0],
                        syn: vec![5000.0, f64::NAN],
                        hold: None,
                    },
                ),
                (
                    "sex",
                    Role::Feature,
                    Data::Cat {
                        levels: vec!["F".into(), "M".into()],
                        real: vec![0, NULL],
                        syn: vec![1, NULL],
                        hold: None,
                    },
                ),
            ],
            2,
            2,
        );
        let scale = scales(&t);
        assert_eq!(
            scale,
            vec![Scale::Range(40.0), Scale::Range(1000.0), Scale::Key]
        );
        let real = GowerRows::build(&t, Side::Real, &[0, 1], &scale);
        let syn = GowerRows::build(&t, Side::Syn, &[0, 1], &scale);
        // syn 0 to real 0: |30-20|/40 = 0.25; |5000-0|/1000 capped at 1; M vs F: 1.
        assert!((gower(&syn, 0, &real, 0) - (0.25 + 1.0 + 1.0) / 3.0).abs() < 1e-12);
        // syn 0 to real 1: 30/40 = 0.75; 4000/1000 capped at 1; M vs null: 1.
        assert!((gower(&syn, 0, &real, 1) - (0.75 + 1.0 + 1.0) / 3.0).abs() < 1e-12);
        // syn 1 (all null) to real 1: null vs value twice, null vs null 0.
        assert!((gower(&syn, 1, &real, 1) - 2.0 / 3.0).abs() < 1e-12);
        let d = closest(&syn, &real);
        assert!((d[0] - 2.25 / 3.0).abs() < 1e-12);
        assert!((d[1] - 2.0 / 3.0).abs() < 1e-12);
    }

    #[test]
    fn exact_copies_match_nulls_and_signed_zeros() {
        let t = table(
            vec![
                (
                    "x",
                    Role::Feature,
                    Data::Num {
                        real: vec![0.0, f64::NAN, 1.5],
                        syn: vec![-0.0, f64::NAN, 1.5, 1.5, 2.0],
                        hold: None,
                    },
                ),
                (
                    "c",
                    Role::QuasiIdentifier,
                    Data::Cat {
                        levels: vec!["a".into(), "b".into()],
                        real: vec![0, NULL, 1],
                        syn: vec![0, NULL, 0, 1, 1],
                        hold: None,
                    },
                ),
            ],
            3,
            5,
        );
        // -0.0 equals 0.0; null equals null; (1.5, a) is not a real row; (1.5, b) is.
        // Every real row is unique, so every copy is a copy of a unique row.
        let copies = |rows, unique| Copies { rows, unique };
        assert_eq!(exact_copies(&t, Side::Syn, 5, &[true, true]), copies(3, 3));
        // Over `c` alone, (null) and a and b all occur in the real rows.
        assert_eq!(exact_copies(&t, Side::Syn, 5, &[false, true]), copies(5, 5));
        // A value two real rows share is a copy, but not of a unique row.
        let shared = table(
            vec![(
                "x",
                Role::Feature,
                Data::Num {
                    real: vec![1.0, 1.0, 2.0],
                    syn: vec![1.0, 2.0, 3.0, 1.0],
                    hold: None,
                },
            )],
            3,
            4,
        );
        assert_eq!(exact_copies(&shared, Side::Syn, 4, &[true]), copies(3, 1));
        assert_eq!(number_key(-0.0), number_key(0.0));
        assert_eq!(number_key(f64::NAN), number_key(-f64::NAN));
        assert_ne!(number_key(1.0), number_key(-1.0));
        let k = k_anonymity(&t, Some(2)).expect("a quasi-identifier");
        // Classes over c in the synthetic rows: a x2, null x1, b x2.
        assert_eq!((k.classes, k.k), (3, 1));
        assert_eq!(k.share_below_k, Some(0.2));
    }

    /// By hand, one column: real 1, 1, 2, 3; holdout 3, 4, 5, 5; synthetic 1, 3, 4, 9 (with a
    /// second 9 and a 1 so that duplicates count once). Real rows copied: 1, 1, 3 (3 of 4);
    /// holdout rows copied: 3, 4 (2 of 4). Held by no other real or holdout row: real 2,
    /// holdout 4 (3 is held by one real and one holdout row, 5 twice): the real singleton is
    /// not copied (0 of 1), the holdout one is (1 of 1).
    #[test]
    fn copied_shares_count_every_row_and_the_singletons_of_both_tables() {
        let t = Aligned {
            hold_rows: Some(4),
            ..table(
                vec![(
                    "x",
                    Role::Feature,
                    Data::Num {
                        real: vec![1.0, 1.0, 2.0, 3.0],
                        syn: vec![1.0, 3.0, 4.0, 9.0, 9.0, 1.0],
                        hold: Some(vec![3.0, 4.0, 5.0, 5.0]),
                    },
                )],
                4,
                6,
            )
        };
        let (member, non_member, se, single) = copied_shares(&t, &[true], 4);
        assert_eq!((member, non_member), (0.75, 0.5));
        let want_se = (0.75 * 0.25 / 4.0 + 0.5 * 0.5 / 4.0_f64).sqrt();
        assert!((se - want_se).abs() < 1e-15, "{se}");
        assert_eq!((single.members, single.non_members), (1, 1));
        assert_eq!(
            (single.member_matches, single.non_member_matches),
            (0.0, 1.0)
        );
        assert_eq!(single.matches_se, 0.0);
        // With no holdout singleton at all, its share is 0 over 0 rows, not NaN.
        let (_, _, _, none) = copied_shares(&t, &[false], 4);
        assert_eq!((none.members, none.non_members), (0, 0));
        assert_eq!((none.member_matches, none.non_member_matches), (0.0, 0.0));
    }

    /// By hand: of the six (member, holdout) pairs, (0, 0.2) and (0.1, 0.2) have the member
    /// closer and (0, 0) ties: 2.5 / 6.
    #[test]
    fn the_membership_auc_counts_closer_members_and_half_the_ties() {
        let auc = closer_auc(&[0.0, 0.1, 0.3], &[0.0, 0.2]);
        assert!((auc - 2.5 / 6.0).abs() < 1e-12, "{auc}");
        assert_eq!(closer_auc(&[0.0; 4], &[0.0; 3]), 0.5);
        assert_eq!(closer_auc(&[0.0], &[0.5, 1.0]), 1.0);
        assert!(closer_auc(&[], &[0.5]).is_nan());
    }

    #[test]
    fn quantiles_interpolate_like_numpy() {
        let v = [1.0, 2.0, 3.0, 4.0, 10.0];
        assert_eq!(quantile(&v, 0.5), 3.0);
        // numpy.percentile([1,2,3,4,10], 5) = 1.2
        assert!((quantile(&v, 0.05) - 1.2).abs() < 1e-12);
        assert_eq!(quantile(&[7.0], 0.05), 7.0);
    }
}
