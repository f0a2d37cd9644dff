//! The tables behind fidelity as mergeable states, so the fidelity of tables too large for one
//! process is computed from per-chunk counts: two passes over each table (real and synthetic).
//!
//! - Pass 1, [`ColumnCounts`] (one per table): per evaluated column, exact value counts —
//!   numbers as distinct value -> rows (memory: one entry per distinct value), categories as
//!   level -> rows in first-seen order — and nulls.
//! - [`FidelityPlan::new`] from the real and the synthetic counts: one level dictionary per
//!   categorical column (real levels first) and the [`PAIR_BINS`] equal-width bins of each
//!   numeric column's real range.
//! - Pass 2, [`PairCounts`] (one per table, under the plan): per pair of columns the joint
//!   table of their codes, and for two numeric columns the co-moments of the rows where both
//!   are present (merged with Chan's formulas).
//! - [`fidelity`] computes the [`Fidelity`] figures from the four states.
//!
//! Every state merges (`merge`; associative, and commutative up to the order of levels met)
//! and serialises with serde (floats as their bits). Merged in row order, the figures equal
//! [`crate::evaluate::evaluate`]'s bit for bit, except Pearson's r (and the correlation
//! scores and means built on it), which sums in another order: equal to within about 1e-12.
//! Utility (a model trained on whole tables), privacy (distances to the closest record) and
//! fairness stay whole-table figures.

use std::collections::BTreeMap;

use arrow_array::RecordBatch;
use serde::{Deserialize, Serialize};

use super::data;
use super::fidelity::{ColumnScore, Fidelity, PairScore, PAIR_BINS};
use super::EvaluateError;
use crate::exact::{from_order_key, order_key};
use crate::hash::FastMap;
use crate::io::table::{Table, Values, NULL};
use crate::io::{Batches, Input};
use crate::metrics;
use crate::schema::Schema;

/// Pass-1 counts of one column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Counts {
    /// Numbers: distinct value (as [`order_key`], so in `total_cmp` order) -> rows.
    Num {
        #[serde(with = "crate::exact::ordered_counts")]
        values: BTreeMap<u64, u64>,
        nulls: u64,
    },
    /// Categories: levels in first-seen order and their rows.
    Cat {
        levels: Vec<String>,
        rows: Vec<u64>,
        nulls: u64,
    },
}

impl Counts {
    fn rows(&self) -> u64 {
        match self {
            Counts::Num { values, nulls } => values.values().sum::<u64>() + nulls,
            Counts::Cat { rows, nulls, .. } => rows.iter().sum::<u64>() + nulls,
        }
    }

    fn add(&mut self, v: &Values) -> Result<(), String> {
        match (self, v) {
            (Counts::Num { values, nulls }, Values::Num(x)) => {
                for x in x {
                    if x.is_nan() {
                        *nulls += 1;
                    } else {
                        *values.entry(order_key(*x)).or_default() += 1;
                    }
                }
            }
            (
                Counts::Cat {
                    levels,
                    rows,
                    nulls,
                },
                Values::Cat { codes, levels: own },
            ) => {
                let (per, n) = crate::io::table::level_counts(codes, own.len());
                *nulls += n;
                crate::io::table::add_level_counts(levels, rows, own, &per);
            }
            _ => return Err("a column is numeric in one chunk and categorical in another".into()),
        }
        Ok(())
    }

    fn merge(&mut self, other: Counts) -> Result<(), String> {
        match (self, other) {
            (
                Counts::Num { values, nulls },
                Counts::Num {
                    values: v,
                    nulls: n,
                },
            ) => {
                for (k, c) in v {
                    *values.entry(k).or_default() += c;
                }
                *nulls += n;
            }
            (
                Counts::Cat {
                    levels,
                    rows,
                    nulls,
                },
                Counts::Cat {
                    levels: l,
                    rows: r,
                    nulls: n,
                },
            ) => {
                crate::io::table::add_level_counts(levels, rows, &l, &r);
                *nulls += n;
            }
            _ => return Err("a column is numeric in one state and categorical in another".into()),
        }
        Ok(())
    }
}

/// Pass 1 of fidelity for one table: per evaluated column, exact value counts (see the
/// module documentation).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ColumnCounts {
    names: Vec<String>,
    counts: Vec<Counts>,
    rows: u64,
}

/// Loads the named columns of one batch as the evaluate command loads a table.
fn load_batch(
    schema: &Schema,
    names: &[String],
    batch: &RecordBatch,
) -> Result<Table, EvaluateError> {
    let input = Input::Memory(Batches::new("batch", batch.schema(), vec![batch.clone()])?);
    data::load(&input, schema, names)
}

fn mismatch(what: &str, message: String) -> EvaluateError {
    EvaluateError::Input(format!("cannot merge {what}: {message}"))
}

impl ColumnCounts {
    /// Empty counts of the schema columns `names` (e.g. the columns both tables hold,
    /// identifiers and weights left out, as `evaluate` chooses them).
    pub fn new(schema: &Schema, names: &[String]) -> ColumnCounts {
        let counts = names
            .iter()
            .map(|n| {
                let numeric = schema.column(n).is_some_and(|c| {
                    crate::io::table::loads_as_number(c.ty) && !crate::io::table::integer_label(c)
                });
                if numeric {
                    Counts::Num {
                        values: BTreeMap::new(),
                        nulls: 0,
                    }
                } else {
                    Counts::Cat {
                        levels: Vec::new(),
                        rows: Vec::new(),
                        nulls: 0,
                    }
                }
            })
            .collect();
        ColumnCounts {
            names: names.to_vec(),
            counts,
            rows: 0,
        }
    }

    /// Counts the rows of `batch` (typed as the schema says, as an input batch).
    pub fn add(&mut self, schema: &Schema, batch: &RecordBatch) -> Result<(), EvaluateError> {
        let t = load_batch(schema, &self.names, batch)?;
        self.add_table(&t)
    }

    /// Counts the rows of a loaded table holding these columns.
    pub(crate) fn add_table(&mut self, t: &Table) -> Result<(), EvaluateError> {
        for (name, c) in self.names.iter().zip(&mut self.counts) {
            let col = t
                .column(name)
                .ok_or_else(|| EvaluateError::Input(format!("the table has no column `{name}`")))?;
            c.add(&col.values)
                .map_err(|m| EvaluateError::Input(format!("`{name}`: {m}")))?;
        }
        self.rows += t.rows as u64;
        Ok(())
    }

    /// Adds the counts of `other` (the same columns); levels are matched by text.
    pub fn merge(&mut self, other: ColumnCounts) -> Result<(), EvaluateError> {
        if self.names != other.names {
            return Err(mismatch(
                "column counts",
                format!("columns {:?} and {:?}", self.names, other.names),
            ));
        }
        for ((name, c), o) in self.names.iter().zip(&mut self.counts).zip(other.counts) {
            c.merge(o)
                .map_err(|m| mismatch("column counts", format!("`{name}`: {m}")))?;
        }
        self.rows += other.rows;
        Ok(())
    }

    /// Rows counted.
    pub fn rows(&self) -> u64 {
        self.rows
    }
}

/// How a column's values become dense codes for the pair tables.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Coding {
    /// Levels (real first, then the synthetic table's); null is `levels.len()`.
    Cat { levels: Vec<String> },
    /// [`PAIR_BINS`] equal-width bins from `lo`; null is [`PAIR_BINS`].
    Num {
        #[serde(with = "crate::exact::f64_hex")]
        lo: f64,
        #[serde(with = "crate::exact::f64_hex")]
        width: f64,
    },
}

impl Coding {
    fn size(&self) -> usize {
        match self {
            Coding::Cat { levels } => levels.len() + 1,
            Coding::Num { .. } => PAIR_BINS + 1,
        }
    }
}

/// The codings every chunk of both tables uses in pass 2, from both tables' pass-1 counts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FidelityPlan {
    names: Vec<String>,
    codings: Vec<Coding>,
}

impl FidelityPlan {
    /// The plan from the real and the synthetic table's merged counts (of the same columns).
    pub fn new(real: &ColumnCounts, syn: &ColumnCounts) -> Result<FidelityPlan, EvaluateError> {
        if real.names != syn.names {
            return Err(mismatch(
                "the real and synthetic counts",
                format!("columns {:?} and {:?}", real.names, syn.names),
            ));
        }
        let codings = real
            .counts
            .iter()
            .zip(&syn.counts)
            .map(|(r, s)| match (r, s) {
                (Counts::Num { values, .. }, Counts::Num { .. }) => {
                    let (lo, hi) = values
                        .keys()
                        .map(|k| from_order_key(*k))
                        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
                            (a.min(v), b.max(v))
                        });
                    Ok(Coding::Num {
                        lo,
                        width: (hi - lo) / PAIR_BINS as f64,
                    })
                }
                (Counts::Cat { levels, .. }, Counts::Cat { levels: sl, .. }) => {
                    let mut all = levels.clone();
                    let mut rows = vec![0; all.len()];
                    crate::io::table::add_level_counts(&mut all, &mut rows, sl, &vec![0; sl.len()]);
                    Ok(Coding::Cat { levels: all })
                }
                _ => Err(mismatch(
                    "the real and synthetic counts",
                    "a column is numeric in one and categorical in the other".into(),
                )),
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(FidelityPlan {
            names: real.names.clone(),
            codings,
        })
    }

    fn pairs(&self) -> Vec<(usize, usize)> {
        let n = self.names.len();
        (0..n)
            .flat_map(|i| (i + 1..n).map(move |j| (i, j)))
            .collect()
    }

    /// Dense codes of one loaded column.
    fn codes(&self, k: usize, v: &Values) -> Result<Vec<u32>, EvaluateError> {
        match (&self.codings[k], v) {
            (Coding::Num { lo, width }, Values::Num(x)) => Ok(x
                .iter()
                .map(|v| {
                    if v.is_nan() {
                        PAIR_BINS as u32
                    } else if width.is_nan() || *width <= 0.0 {
                        0
                    } else {
                        ((v - lo) / width)
                            .floor()
                            .clamp(0.0, (PAIR_BINS - 1) as f64) as u32
                    }
                })
                .collect()),
            (Coding::Cat { levels }, Values::Cat { codes, levels: own }) => {
                let index: FastMap<&str, u32> = levels
                    .iter()
                    .enumerate()
                    .map(|(i, l)| (l.as_str(), i as u32))
                    .collect();
                let map = own
                    .iter()
                    .map(|l| {
                        index.get(l.as_str()).copied().ok_or_else(|| {
                            EvaluateError::Input(format!(
                                "`{}` holds `{l}`, which pass 1 did not count\n    hint: count every chunk in pass 1 before pass 2",
                                self.names[k]
                            ))
                        })
                    })
                    .collect::<Result<Vec<u32>, _>>()?;
                let null = levels.len() as u32;
                Ok(codes
                    .iter()
                    .map(|&c| if c == NULL { null } else { map[c as usize] })
                    .collect())
            }
            _ => Err(EvaluateError::Input(format!(
                "`{}` is loaded with another type than the plan's",
                self.names[k]
            ))),
        }
    }
}

/// Co-moments of the rows where two numbers are both present.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
struct Moments {
    n: u64,
    #[serde(with = "crate::exact::f64_hex")]
    mx: f64,
    #[serde(with = "crate::exact::f64_hex")]
    my: f64,
    #[serde(with = "crate::exact::f64_hex")]
    sxx: f64,
    #[serde(with = "crate::exact::f64_hex")]
    syy: f64,
    #[serde(with = "crate::exact::f64_hex")]
    sxy: f64,
}

impl Moments {
    fn add(&mut self, x: f64, y: f64) {
        self.n += 1;
        let n = self.n as f64;
        let (dx, dy) = (x - self.mx, y - self.my);
        self.mx += dx / n;
        self.my += dy / n;
        self.sxx += dx * (x - self.mx);
        self.syy += dy * (y - self.my);
        self.sxy += dx * (y - self.my);
    }

    fn merge(&mut self, o: &Moments) {
        if o.n == 0 {
            return;
        }
        if self.n == 0 {
            *self = *o;
            return;
        }
        let (na, nb) = (self.n as f64, o.n as f64);
        let n = na + nb;
        let (dx, dy) = (o.mx - self.mx, o.my - self.my);
        self.sxx += o.sxx + dx * dx * na * nb / n;
        self.syy += o.syy + dy * dy * na * nb / n;
        self.sxy += o.sxy + dx * dy * na * nb / n;
        self.mx += dx * nb / n;
        self.my += dy * nb / n;
        self.n += o.n;
    }

    /// Pearson's r, as [`metrics::pearson`] defines it.
    fn pearson(&self) -> Option<f64> {
        (self.n >= 2 && self.sxx > 0.0 && self.syy > 0.0)
            .then(|| (self.sxy / (self.sxx * self.syy).sqrt()).clamp(-1.0, 1.0))
    }
}

/// Pass 2 of fidelity for one table, under a [`FidelityPlan`]: per pair of columns the joint
/// table of their codes, and co-moments for numeric pairs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PairCounts {
    joint: Vec<Vec<u64>>,
    moments: Vec<Option<Moments>>,
    rows: u64,
}

impl PairCounts {
    /// Empty pair tables for the plan's columns.
    pub fn new(plan: &FidelityPlan) -> PairCounts {
        let pairs = plan.pairs();
        PairCounts {
            joint: pairs
                .iter()
                .map(|&(i, j)| vec![0; plan.codings[i].size() * plan.codings[j].size()])
                .collect(),
            moments: pairs
                .iter()
                .map(|&(i, j)| {
                    matches!(
                        (&plan.codings[i], &plan.codings[j]),
                        (Coding::Num { .. }, Coding::Num { .. })
                    )
                    .then(Moments::default)
                })
                .collect(),
            rows: 0,
        }
    }

    /// Counts the rows of `batch` (typed as the schema says).
    pub fn add(
        &mut self,
        plan: &FidelityPlan,
        schema: &Schema,
        batch: &RecordBatch,
    ) -> Result<(), EvaluateError> {
        let t = load_batch(schema, &plan.names, batch)?;
        self.add_table(plan, &t)
    }

    /// Counts the rows of a loaded table holding the plan's columns.
    pub(crate) fn add_table(
        &mut self,
        plan: &FidelityPlan,
        t: &Table,
    ) -> Result<(), EvaluateError> {
        let mut cols = Vec::with_capacity(plan.names.len());
        for name in &plan.names {
            cols.push(t.column(name).ok_or_else(|| {
                EvaluateError::Input(format!("the table has no column `{name}`"))
            })?);
        }
        let codes = cols
            .iter()
            .enumerate()
            .map(|(k, c)| plan.codes(k, &c.values))
            .collect::<Result<Vec<_>, _>>()?;
        for (p, &(i, j)) in plan.pairs().iter().enumerate() {
            let size_j = plan.codings[j].size();
            let joint = &mut self.joint[p];
            for (a, b) in codes[i].iter().zip(&codes[j]) {
                joint[*a as usize * size_j + *b as usize] += 1;
            }
            if let (Some(m), Values::Num(x), Values::Num(y)) =
                (&mut self.moments[p], &cols[i].values, &cols[j].values)
            {
                for (a, b) in x.iter().zip(y) {
                    if !a.is_nan() && !b.is_nan() {
                        m.add(*a, *b);
                    }
                }
            }
        }
        self.rows += t.rows as u64;
        Ok(())
    }

    /// Adds the tables of `other` (made under the same plan).
    pub fn merge(&mut self, other: PairCounts) -> Result<(), EvaluateError> {
        let fits = self.joint.len() == other.joint.len()
            && self
                .joint
                .iter()
                .zip(&other.joint)
                .all(|(a, b)| a.len() == b.len())
            && self
                .moments
                .iter()
                .zip(&other.moments)
                .all(|(a, b)| a.is_some() == b.is_some());
        if !fits {
            return Err(mismatch(
                "pair counts",
                "they were made under other plans".into(),
            ));
        }
        for (a, b) in self.joint.iter_mut().zip(other.joint) {
            a.iter_mut().zip(b).for_each(|(x, y)| *x += y);
        }
        for (a, b) in self.moments.iter_mut().zip(other.moments) {
            if let (Some(a), Some(b)) = (a, b) {
                a.merge(&b);
            }
        }
        self.rows += other.rows;
        Ok(())
    }
}

/// Dense counts of one column under the plan: levels (or bins), then nulls.
fn dense(plan: &FidelityPlan, k: usize, c: &Counts) -> Vec<u64> {
    let mut out = vec![0u64; plan.codings[k].size()];
    match (&plan.codings[k], c) {
        (Coding::Num { lo, width }, Counts::Num { values, nulls }) => {
            for (key, n) in values {
                let v = from_order_key(*key);
                let b = if width.is_nan() || *width <= 0.0 {
                    0
                } else {
                    ((v - lo) / width)
                        .floor()
                        .clamp(0.0, (PAIR_BINS - 1) as f64) as usize
                };
                out[b] += n;
            }
            out[PAIR_BINS] += nulls;
        }
        (
            Coding::Cat { levels },
            Counts::Cat {
                levels: own,
                rows,
                nulls,
            },
        ) => {
            let index: FastMap<&str, usize> = levels
                .iter()
                .enumerate()
                .map(|(i, l)| (l.as_str(), i))
                .collect();
            for (l, n) in own.iter().zip(rows) {
                if let Some(&i) = index.get(l.as_str()) {
                    out[i] += n;
                }
            }
            out[levels.len()] += nulls;
        }
        _ => {}
    }
    out
}

/// The two-sample Kolmogorov-Smirnov statistic of two value -> rows maps, stepping as
/// [`metrics::ks_statistic`] does over the sorted values.
fn ks(a: &BTreeMap<u64, u64>, b: &BTreeMap<u64, u64>) -> Option<f64> {
    let x: Vec<(f64, u64)> = a.iter().map(|(k, n)| (from_order_key(*k), *n)).collect();
    let y: Vec<(f64, u64)> = b.iter().map(|(k, n)| (from_order_key(*k), *n)).collect();
    let (nx, ny): (u64, u64) = (x.iter().map(|v| v.1).sum(), y.iter().map(|v| v.1).sum());
    if nx == 0 || ny == 0 {
        return None;
    }
    let (nx, ny) = (nx as f64, ny as f64);
    let (mut i, mut j, mut ci, mut cj, mut d) = (0usize, 0usize, 0u64, 0u64, 0.0f64);
    while i < x.len() && j < y.len() {
        let v = x[i].0.min(y[j].0);
        while i < x.len() && x[i].0 <= v {
            ci += x[i].1;
            i += 1;
        }
        while j < y.len() && y[j].0 <= v {
            cj += y[j].1;
            j += 1;
        }
        d = d.max((ci as f64 / nx - cj as f64 / ny).abs());
    }
    Some(d)
}

fn share(n: u64, of: u64) -> f64 {
    if of == 0 {
        0.0
    } else {
        n as f64 / of as f64
    }
}

fn mean(it: impl Iterator<Item = f64>) -> f64 {
    let (s, n) = it.fold((0.0, 0usize), |(s, n), x| (s + x, n + 1));
    if n == 0 {
        0.0
    } else {
        s / n as f64
    }
}

/// The fidelity figures from the real and synthetic tables' merged states (both passes).
pub fn fidelity(
    plan: &FidelityPlan,
    real: &ColumnCounts,
    syn: &ColumnCounts,
    real_pairs: &PairCounts,
    syn_pairs: &PairCounts,
) -> Result<Fidelity, EvaluateError> {
    if real.names != plan.names || syn.names != plan.names {
        return Err(mismatch(
            "counts and plan",
            "they name other columns".into(),
        ));
    }
    let shape = PairCounts::new(plan);
    for p in [real_pairs, syn_pairs] {
        if p.joint.len() != shape.joint.len()
            || p.joint
                .iter()
                .zip(&shape.joint)
                .any(|(a, b)| a.len() != b.len())
        {
            return Err(mismatch(
                "pair counts and plan",
                "they were made under other plans".into(),
            ));
        }
    }
    if real_pairs.rows != real.rows || syn_pairs.rows != syn.rows {
        return Err(mismatch(
            "counts and pair counts",
            "pass 2 counted other rows than pass 1".into(),
        ));
    }
    let (nr, ns) = (real.rows, syn.rows);
    let columns: Vec<ColumnScore> = (0..plan.names.len())
        .map(|k| {
            let (r, s) = (&real.counts[k], &syn.counts[k]);
            let null_r = match r {
                Counts::Num { nulls, .. } | Counts::Cat { nulls, .. } => share(*nulls, r.rows()),
            };
            let null_s = match s {
                Counts::Num { nulls, .. } | Counts::Cat { nulls, .. } => share(*nulls, s.rows()),
            };
            match (r, s, &plan.codings[k]) {
                (Counts::Num { values: a, .. }, Counts::Num { values: b, .. }, _) => ColumnScore {
                    column: plan.names[k].clone(),
                    metric: "ks",
                    score: match ks(a, b) {
                        Some(ks) => 1.0 - ks,
                        None => f64::from(u8::from(null_r == null_s)),
                    },
                    null_share_real: null_r,
                    null_share_synthetic: null_s,
                    new_levels: vec![],
                },
                (_, _, Coding::Cat { levels }) => {
                    let (dr, ds) = (dense(plan, k, r), dense(plan, k, s));
                    ColumnScore {
                        column: plan.names[k].clone(),
                        metric: "tvd",
                        score: 1.0
                            - metrics::tvd_of_counts(
                                &dr,
                                r.rows() as usize,
                                &ds,
                                s.rows() as usize,
                            ),
                        null_share_real: null_r,
                        null_share_synthetic: null_s,
                        new_levels: levels
                            .iter()
                            .enumerate()
                            .filter(|(i, _)| ds[*i] > 0 && dr[*i] == 0)
                            .map(|(_, l)| l.clone())
                            .collect(),
                    }
                }
                // The plan was made from these counts' kinds.
                _ => ColumnScore {
                    column: plan.names[k].clone(),
                    metric: "tvd",
                    score: 0.0,
                    null_share_real: null_r,
                    null_share_synthetic: null_s,
                    new_levels: vec![],
                },
            }
        })
        .collect();
    let pairs: Vec<PairScore> = plan
        .pairs()
        .iter()
        .enumerate()
        .map(|(p, &(i, j))| {
            let names = [plan.names[i].clone(), plan.names[j].clone()];
            if let (Some(a), Some(b)) = (&real_pairs.moments[p], &syn_pairs.moments[p]) {
                let (cr, cs) = (a.pearson(), b.pearson());
                if let (Some(x), Some(y)) = (cr, cs) {
                    return PairScore {
                        columns: names,
                        metric: "correlation",
                        score: 1.0 - (x - y).abs() / 2.0,
                        correlation_real: cr,
                        correlation_synthetic: cs,
                    };
                }
            }
            PairScore {
                columns: names,
                metric: "contingency",
                score: 1.0
                    - metrics::tvd_of_counts(
                        &real_pairs.joint[p],
                        nr as usize,
                        &syn_pairs.joint[p],
                        ns as usize,
                    ),
                correlation_real: None,
                correlation_synthetic: None,
            }
        })
        .collect();
    let column_mean = mean(columns.iter().map(|c| c.score));
    let pair_mean = (!pairs.is_empty()).then(|| mean(pairs.iter().map(|p| p.score)));
    Ok(Fidelity {
        overall: pair_mean.map_or(column_mean, |p| (column_mean + p) / 2.0),
        column_mean,
        pair_mean,
        columns,
        pairs,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::io::table::TableColumn;
    use crate::schema::ColumnType;
    use proptest::prelude::*;

    const SCHEMA: &str = "version: 1\nname: e\ncolumns:\n  - {name: x, type: float, nullable: true}\n  - {name: n, type: int, nullable: true}\n  - {name: c, type: category, nullable: true}\n  - {name: s, type: string}\n  - {name: k, type: float}\n";

    type Row = (Option<i8>, Option<i8>, Option<u8>, u8);

    fn names() -> Vec<String> {
        ["x", "n", "c", "s", "k"].map(String::from).to_vec()
    }

    fn cat(values: impl Iterator<Item = Option<String>>) -> Values {
        let (mut codes, mut levels) = (Vec::new(), Vec::<String>::new());
        for v in values {
            codes.push(match v {
                None => NULL,
                Some(v) => match levels.iter().position(|l| *l == v) {
                    Some(i) => i as u32,
                    None => {
                        levels.push(v);
                        (levels.len() - 1) as u32
                    }
                },
            });
        }
        Values::Cat { codes, levels }
    }

    /// A table as `load` gives it: categories coded in first-seen order.
    fn table(rows: &[Row], constant: f64) -> Table {
        let col = |name: &str, ty, values| TableColumn {
            name: name.into(),
            ty,
            values,
        };
        Table {
            rows: rows.len(),
            columns: vec![
                col(
                    "x",
                    ColumnType::Float,
                    // Quarters: every sum exact, as in the co-moments' rounding-free case.
                    Values::Num(
                        rows.iter()
                            .map(|r| r.0.map_or(f64::NAN, |v| f64::from(v) / 4.0))
                            .collect(),
                    ),
                ),
                col(
                    "n",
                    ColumnType::Int { bits: 64 },
                    Values::Num(
                        rows.iter()
                            .map(|r| r.1.map_or(f64::NAN, |v| f64::from(v % 7)))
                            .collect(),
                    ),
                ),
                col(
                    "c",
                    ColumnType::Category,
                    cat(rows.iter().map(|r| r.2.map(|v| format!("c{}", v % 5)))),
                ),
                col(
                    "s",
                    ColumnType::String,
                    cat(rows.iter().map(|r| Some(format!("s{}", r.3 % 3)))),
                ),
                // A constant column: its pairs fall back to contingency tables.
                col(
                    "k",
                    ColumnType::Float,
                    Values::Num(vec![constant; rows.len()]),
                ),
            ],
        }
    }

    fn counts(schema: &Schema, t: &Table) -> ColumnCounts {
        let mut c = ColumnCounts::new(schema, &names());
        c.add_table(t).expect("count");
        c
    }

    /// Merges by a random binary tree over the chunks in row order.
    fn tree<T: Clone>(
        s: &[T],
        splits: &mut impl Iterator<Item = usize>,
        merge: &impl Fn(&mut T, T),
    ) -> T {
        if s.len() == 1 {
            return s[0].clone();
        }
        let at = 1 + splits.next().unwrap_or(0) % (s.len() - 1);
        let mut l = tree(&s[..at], splits, merge);
        merge(&mut l, tree(&s[at..], splits, merge));
        l
    }

    fn chunks(n: usize, cuts: &[usize]) -> Vec<(usize, usize)> {
        let mut at: Vec<usize> = cuts.iter().map(|c| c % (n + 1)).collect();
        at.sort_unstable();
        at.dedup();
        let mut out = Vec::new();
        let mut from = 0;
        for c in at.into_iter().chain([n]) {
            if c > from || out.is_empty() && c == n {
                out.push((from, c));
                from = c;
            }
        }
        out
    }

    /// The state of `rows` in chunks merged by a random tree, JSON round trip included.
    fn merged(
        schema: &Schema,
        rows: &[Row],
        cuts: &[usize],
        splits: &[usize],
        constant: f64,
    ) -> (Vec<Table>, ColumnCounts) {
        let tables: Vec<Table> = chunks(rows.len(), cuts)
            .iter()
            .map(|&(a, b)| table(&rows[a..b], constant))
            .collect();
        let states: Vec<ColumnCounts> = tables.iter().map(|t| counts(schema, t)).collect();
        let m = tree(
            &states,
            &mut splits.iter().copied(),
            &|a: &mut ColumnCounts, b| a.merge(b).expect("merge"),
        );
        let m: ColumnCounts =
            serde_json::from_str(&serde_json::to_string(&m).expect("json")).expect("back");
        (tables, m)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]

        #[test]
        fn fidelity_from_merged_states_equals_the_whole_tables(
            real in proptest::collection::vec(any::<Row>(), 1..120),
            syn in proptest::collection::vec(any::<Row>(), 1..120),
            cuts_r in proptest::collection::vec(any::<usize>(), 0..7),
            cuts_s in proptest::collection::vec(any::<usize>(), 0..7),
            splits in proptest::collection::vec(any::<usize>(), 8),
        ) {
            let schema = Schema::from_str_named(SCHEMA, "e.yaml").expect("schema");
            let (whole_r, whole_s) = (table(&real, 0.1), table(&syn, 0.3));
            let want = super::super::fidelity::fidelity(&data::align(&schema, &names(), whole_r.clone(), whole_s.clone(), None));

            let (tr, cr) = merged(&schema, &real, &cuts_r, &splits, 0.1);
            let (ts, cs) = merged(&schema, &syn, &cuts_s, &splits, 0.3);
            prop_assert_eq!(&cr, &counts(&schema, &whole_r));
            prop_assert_eq!(&cs, &counts(&schema, &whole_s));
            let plan = FidelityPlan::new(&cr, &cs).expect("plan");
            let pass2 = |tables: &[Table]| {
                let states: Vec<PairCounts> = tables.iter().map(|t| {
                    let mut p = PairCounts::new(&plan);
                    p.add_table(&plan, t).expect("pairs");
                    p
                }).collect();
                let m = tree(&states, &mut splits.iter().copied(), &|a: &mut PairCounts, b| a.merge(b).expect("merge"));
                let back: PairCounts = serde_json::from_str(&serde_json::to_string(&m).expect("json")).expect("back");
                back
            };
            let (pr, ps) = (pass2(&tr), pass2(&ts));
            let got = fidelity(&plan, &cr, &cs, &pr, &ps).expect("fidelity");

            // Columns and contingency pairs bit for bit; correlations to rounding.
            prop_assert_eq!(serde_json::to_value(&got.columns).expect("json"), serde_json::to_value(&want.columns).expect("json"));
            prop_assert_eq!(got.pairs.len(), want.pairs.len());
            for (g, w) in got.pairs.iter().zip(&want.pairs) {
                prop_assert_eq!(&g.columns, &w.columns);
                prop_assert_eq!(g.metric, w.metric);
                if g.metric == "contingency" {
                    prop_assert_eq!(g.score.to_bits(), w.score.to_bits());
                } else {
                    prop_assert!((g.score - w.score).abs() < 1e-12, "{} vs {}", g.score, w.score);
                    let (a, b) = (g.correlation_real.expect("r"), w.correlation_real.expect("r"));
                    prop_assert!((a - b).abs() < 1e-12, "{a} vs {b}");
                }
            }
            prop_assert!((got.overall - want.overall).abs() < 1e-12);
            prop_assert_eq!(got.column_mean.to_bits(), want.column_mean.to_bits());
        }
    }

    #[test]
    fn ks_over_value_counts_equals_the_sorted_samples() {
        let a = [1.0, -0.0, 0.0, 2.5, 2.5, -3.0];
        let b = [0.0, 0.0, 7.0, -0.0];
        let map = |v: &[f64]| {
            let mut m = BTreeMap::new();
            for x in v {
                *m.entry(order_key(*x)).or_insert(0u64) += 1;
            }
            m
        };
        assert_eq!(ks(&map(&a), &map(&b)), metrics::ks_statistic(&a, &b));
        for x in [-1.5, -0.0, 0.0, 3.25, f64::MAX, f64::MIN] {
            assert_eq!(from_order_key(order_key(x)).to_bits(), x.to_bits());
        }
        assert!(order_key(-1.0) < order_key(-0.0) && order_key(-0.0) < order_key(0.0));
    }

    #[test]
    fn pass_two_refuses_levels_pass_one_did_not_count() {
        let schema = Schema::from_str_named(SCHEMA, "e.yaml").expect("schema");
        let t = table(&[(Some(1), Some(2), Some(3), 0)], 1.0);
        let c = counts(&schema, &t);
        let plan = FidelityPlan::new(&c, &c).expect("plan");
        let other = table(&[(Some(1), Some(2), Some(4), 0)], 1.0);
        let err = PairCounts::new(&plan)
            .add_table(&plan, &other)
            .expect_err("unseen level");
        assert!(err.to_string().contains("`c` holds `c4`"), "{err}");
    }
}
