//! Discretisation: every modelled column becomes a discrete variable (categorical levels,
//! or numeric bins of exact values and snapped intervals).

use super::fit::FitOptions;
use super::{Bin, ModelError, Point, VarKind, Variable, OTHER, SHAPE_PARTS};
use crate::exact::order_key;
use crate::hash::FastMap;
use crate::io::table::{Values, NULL};
use crate::schema::{Column, ColumnType, Generator};

/// A discretised column.
#[derive(Debug)]
pub(super) struct Encoded {
    pub(super) var: Variable,
    pub(super) codes: Vec<u32>,
    /// Numeric columns: where each row's value lies within its bin, as the shares of the
    /// bin's rows below it and up to it (`[0, 1]` for null and for a bin of one value), so
    /// the copula sees where in its bin a value lies.
    pub(super) within: Option<Vec<[f64; 2]>>,
}

impl Encoded {
    pub(super) fn card(&self) -> usize {
        self.var.cardinality()
    }
}

/// Numeric bounds the schema declares for a column (`min`/`max`, or a date or timestamp
/// generator's range).
pub(super) fn schema_bounds(c: &Column) -> (Option<f64>, Option<f64>) {
    match c.generator.as_ref().map(|g| &g.base) {
        Some(Generator::Dates { min, max }) => (Some(f64::from(*min)), Some(f64::from(*max))),
        Some(Generator::Timestamps { min, max }) => (Some(*min as f64), Some(*max as f64)),
        _ => (c.min, c.max),
    }
}

/// Encodes a categorical column: the schema's levels, then (without differential privacy) the
/// data's levels held by at least `min_count` rows; rarer ones merge into [`OTHER`]. (`fit`
/// codes chunks with an [`Encoder`]; this whole-column form is kept for the tests.)
#[cfg(test)]
pub(super) fn encode_categorical(
    c: &Column,
    codes: &[u32],
    levels: &[String],
    opts: &FitOptions,
) -> Result<Encoded, ModelError> {
    let (counts, nulls) = crate::io::table::level_counts(codes, levels.len());
    let (var, map) = categorical_variable(c, levels, &counts, nulls, opts)?;
    let kept = match &var.kind {
        VarKind::Categorical { levels } => levels.len() as u32,
        VarKind::Numeric { .. } => 0,
    };
    // `(other)`, when present, is the last kept level; null comes after every level.
    let other = kept.saturating_sub(1);
    let codes = codes
        .iter()
        .map(|&k| {
            if k == NULL {
                kept
            } else {
                map[k as usize].unwrap_or(other)
            }
        })
        .collect();
    Ok(Encoded {
        var,
        codes,
        within: None,
    })
}

/// The variable of a categorical column from its rows per level (`levels` in any order) and
/// nulls: the schema's levels, then (without differential privacy) the data's levels held by
/// at least `min_count` rows, most rows first; rarer ones merge into [`OTHER`]. Also each
/// level's code (`None`: counted as [`OTHER`]).
pub(super) fn categorical_variable(
    c: &Column,
    levels: &[String],
    counts: &[u64],
    nulls: u64,
    opts: &FitOptions,
) -> Result<(Variable, Vec<Option<u32>>), ModelError> {
    let dp = opts.epsilon.is_some();
    let declared: Vec<String> = match (&c.levels, c.ty) {
        (Some(l), _) => l.clone(),
        (None, ColumnType::Bool) => vec!["true".into(), "false".into()],
        (None, _) if dp => {
            return Err(ModelError::Invalid(format!(
                "column `{}` (schema line {}): with --epsilon its categories must come from the schema, not the data\n    hint: declare the column's public categories under `levels:`, taken from public knowledge (a code book, a standard), not from the private data, as schemas/adult_dp.yaml does; levels drafted from the data (e.g. by `fairsynth inspect`) would leak it. Or drop --epsilon",
                c.name, c.pos.line
            )))
        }
        (None, _) => Vec::new(),
    };
    let mut kept = declared.clone();
    if !dp {
        let mut extra: Vec<(u64, &String)> = levels
            .iter()
            .zip(counts)
            .filter(|(l, n)| **n >= opts.min_count && !declared.contains(l))
            .map(|(l, n)| (*n, l))
            .collect();
        extra.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(b.1)));
        kept.extend(extra.into_iter().map(|(_, l)| l.clone()));
    }
    let map: Vec<Option<u32>> = levels
        .iter()
        .map(|l| kept.iter().position(|k| k == l).map(|p| p as u32))
        .collect();
    if dp {
        // The schema's levels are the whole public domain: a value outside it is an error,
        // not a data-dependent extra level.
        if let Some((l, n)) = levels
            .iter()
            .zip(counts)
            .zip(&map)
            .find(|((_, n), m)| m.is_none() && **n > 0)
            .map(|(ln, _)| ln)
        {
            return Err(ModelError::Invalid(format!(
                "column `{}` (schema line {}): {n} row(s) hold `{l}`, which is not among its `levels:`; with --epsilon the schema's levels are the whole domain\n    hint: add the value to `levels:`, or fix the data",
                c.name, c.pos.line
            )));
        }
    }
    let needs_other = map.iter().zip(counts).any(|(m, n)| m.is_none() && *n > 0);
    if needs_other {
        kept.push(OTHER.to_string());
    }
    let null = if dp { c.nullable } else { nulls > 0 };
    Ok((
        Variable {
            name: c.name.clone(),
            kind: VarKind::Categorical { levels: kept },
            null,
        },
        map,
    ))
}

/// Whole-number columns with at most this many distinct values are discrete (see
/// [`value_bins`]).
const DISCRETE: usize = 128;

/// One distinct value of a numeric column and the rows holding it.
#[derive(Debug, Clone, Copy)]
pub(super) struct Run {
    pub(super) value: f64,
    pub(super) rows: u64,
}

/// Shares of [`SHAPE_PARTS`] equal sub-intervals of `[lo, hi)` held by `values`; empty
/// (uniform) when fewer than `min_count` rows would give the shape, so that no sub-interval
/// narrows down the value of a few rows.
fn shape(lo: f64, hi: f64, values: &[Run], min_count: u64) -> Vec<f64> {
    let total: u64 = values.iter().map(|v| v.rows).sum();
    if hi <= lo || total == 0 || total < min_count {
        return Vec::new();
    }
    let mut parts = vec![0.0; SHAPE_PARTS];
    for r in values {
        let k = (((r.value - lo) / (hi - lo)) * SHAPE_PARTS as f64) as usize;
        parts[k.min(SHAPE_PARTS - 1)] += r.rows as f64;
    }
    parts.iter_mut().for_each(|p| *p /= total as f64);
    parts
}

/// Grid steps from coarse to fine, as `(num, den)` with step `num / den`: 5, 2 and 1 times a
/// power of ten (from 10^18 down to 10^-12; integer columns stop at 1). A fraction keeps grid
/// points the doubles nearest to short decimals (0.3, not 0.30000000000000004).
fn grid_steps(integer: bool) -> impl Iterator<Item = (f64, f64)> {
    let lowest = if integer { 0 } else { -12 };
    (lowest..=18i32).rev().flat_map(|k| {
        [5.0, 2.0, 1.0].map(|m| {
            if k >= 0 {
                (m * 10f64.powi(k), 1.0)
            } else {
                (m, 10f64.powi(-k))
            }
        })
    })
}

/// The grid point `n · step` (`step = num / den`).
fn grid_point(n: f64, (num, den): (f64, f64)) -> f64 {
    n * num / den
}

/// An edge between the values `a < b` of neighbouring bins: the point of the coarsest grid in
/// `(a, b]`, or `b` itself when it is a frequent value. Never a value held by fewer than
/// `min_count` rows: a grid point strictly between `a` and `b` is no value of the column, and
/// `b` is used only when frequent. `None` when no such edge exists (integers `a`, `a + 1`
/// with `a + 1` rare).
fn snap_between(a: f64, b: f64, b_frequent: bool, integer: bool) -> Option<f64> {
    for step in grid_steps(integer) {
        let size = step.0 / step.1;
        let n = (a / size).floor() + 1.0;
        let mut m = grid_point(n, step);
        if m <= a {
            m = grid_point(n + 1.0, step);
        }
        if m < b || (m == b && b_frequent) {
            return Some(m);
        }
    }
    None
}

/// The finest grid step not above `width / SHAPE_PARTS` (at least 1 for integers), for the
/// outer edges of the outer bins.
fn outer_step(width: f64, integer: bool) -> (f64, f64) {
    let target = width / SHAPE_PARTS as f64;
    let mut last = if integer { (1.0, 1.0) } else { (1.0, 1e12) };
    for step in grid_steps(integer) {
        last = step;
        if step.0 / step.1 <= target {
            return step;
        }
    }
    last
}

/// A bin being built: its runs (units of a discrete column).
#[derive(Debug, Default)]
struct Group {
    runs: Vec<Run>,
}

/// Numeric bins that hold no value of fewer than `min_count` rows (the model's privacy rule)
/// and keep every frequent exact value.
///
/// The non-null values are sorted into runs of equal values. A value held by at least
/// `min_count` rows is *frequent*. When the frequent values hold all but at most 1 % of the
/// rows, or the values are whole numbers with at most [`DISCRETE`] distinct ones, the column
/// is *discrete* (counts, codes, years of schooling, capital gains): each rare
/// value is counted at the nearest frequent value of its schema band, so the model holds and
/// draws frequent values only. Otherwise the column is *continuous*: frequent values are
/// exact points inside their bins and the rare rows form the bin's continuous part (`spread`,
/// with its `shape`) between edges snapped to a decimal grid.
///
/// A discrete column with at most `2 · bins` frequent values gets one bin per value (so a code
/// and its label, or a level and its number, map one to one). Otherwise runs fill bins of
/// equal shares of the rows: a run held by half of `rows / bins` rows is a bin of its own, and
/// the other runs fill the bins left in equal shares of the rows left; schema band edges
/// (`edges`) always split.
#[cfg(test)]
pub(super) fn value_bins(
    values: &[f64],
    integer: bool,
    edges: &[f64],
    opts: &FitOptions,
) -> (Vec<Bin>, Vec<u32>) {
    let mut order: Vec<u32> = (0..values.len() as u32)
        .filter(|&i| !values[i as usize].is_nan())
        .collect();
    order.sort_by(|&a, &b| values[a as usize].total_cmp(&values[b as usize]));
    let mut runs: Vec<Run> = Vec::new();
    for &i in &order {
        let v = values[i as usize];
        match runs.last_mut() {
            Some(r) if r.value == v => r.rows += 1,
            _ => runs.push(Run { value: v, rows: 1 }),
        }
    }
    let (bins, run_bin) = run_bins(&runs, integer, edges, opts, false);
    // Codes: each row's bin (a discrete rare value's bin is its unit's).
    let mut codes = vec![0u32; values.len()];
    let mut k = 0usize;
    for &i in &order {
        let v = values[i as usize];
        while runs[k].value != v {
            k += 1;
        }
        codes[i as usize] = run_bin[k];
    }
    (bins, codes)
}

/// The bins of [`value_bins`] from the column's runs (distinct non-null values in
/// `total_cmp` order, with their rows; equal values in one run), and each run's bin.
///
/// `keep_tail` (a count of children, see [`FitOptions::tails`]) never makes the column
/// discrete: its rare values form continuous parts, so a long tail keeps its range.
pub(super) fn run_bins(
    runs: &[Run],
    integer: bool,
    edges: &[f64],
    opts: &FitOptions,
    keep_tail: bool,
) -> (Vec<Bin>, Vec<u32>) {
    let runs = runs.to_vec();
    let min_count = opts.min_count.max(1);
    let n: u64 = runs.iter().map(|r| r.rows).sum();
    let band = |v: f64| edges.partition_point(|e| *e <= v);
    let frequent = |r: &Run| r.rows >= min_count;
    let rare_rows: u64 = runs.iter().filter(|r| !frequent(r)).map(|r| r.rows).sum();
    let whole = runs.iter().all(|r| r.value.fract() == 0.0);
    let discrete = !keep_tail
        && runs.iter().any(frequent)
        && (rare_rows * 100 <= n || whole && runs.len() <= DISCRETE);

    // Discrete: the rare rows go to the nearest frequent value of their band (of any band when
    // theirs has none; the lower one on a tie). `home[k]` is the unit run `k` is counted at.
    let units: Vec<Run>;
    let mut home: Vec<usize> = (0..runs.len()).collect();
    if discrete {
        let freq: Vec<usize> = (0..runs.len()).filter(|&k| frequent(&runs[k])).collect();
        let mut u: Vec<Run> = freq.iter().map(|&k| runs[k]).collect();
        for k in 0..runs.len() {
            let p = freq.partition_point(|&f| runs[f].value < runs[k].value);
            let pick = if p < freq.len() && runs[freq[p]].value == runs[k].value {
                p
            } else {
                let v = runs[k].value;
                let cands = [p.checked_sub(1), (p < freq.len()).then_some(p)];
                let same: Vec<usize> = cands
                    .iter()
                    .flatten()
                    .copied()
                    .filter(|&q| band(runs[freq[q]].value) == band(v))
                    .collect();
                let pool: Vec<usize> = if same.is_empty() {
                    cands.iter().flatten().copied().collect()
                } else {
                    same
                };
                let mut best = pool[0];
                for &q in &pool[1..] {
                    if (runs[freq[q]].value - v).abs() < (runs[freq[best]].value - v).abs() {
                        best = q;
                    }
                }
                u[best].rows += runs[k].rows;
                best
            };
            home[k] = pick;
        }
        units = u;
    } else {
        units = runs.clone();
    }

    // Groups of consecutive units. A unit of a whole bin's share is a spike, a bin of its
    // own; the other rows share the bins left, so a spike (capital gains: 92 % zero) does not
    // leave the rest of the column two bins whose values are drawn regardless of the parents.
    // A unit of half a bin (of those) is a bin of its own too.
    let bins = opts.bins.max(1) as u64;
    let share = n.div_ceil(bins).max(1);
    let (spikes, spike_rows) = units
        .iter()
        .filter(|u| u.rows >= share)
        .fold((0u64, 0u64), |(k, r), u| (k + 1, r + u.rows));
    let size = (n - spike_rows)
        .div_ceil(bins.saturating_sub(spikes).max(1))
        .max(min_count)
        .max(1);
    let heavy = (size / 2).max(min_count);
    let one_each = discrete && units.len() <= 2 * opts.bins.max(1);
    let mut groups: Vec<Group> = Vec::new();
    let mut unit_bin = vec![0u32; units.len()];
    // Rows of the last group, kept as it grows (summing its runs per unit was quadratic).
    let mut group_rows = 0u64;
    for (k, u) in units.iter().enumerate() {
        let split = match groups.last() {
            None => true,
            Some(g) => {
                let prev = g.runs[g.runs.len() - 1];
                let alone = |r: &Run| r.rows >= heavy;
                let wants = one_each
                    || band(prev.value) != band(u.value)
                    || alone(&prev)
                    || alone(u)
                    || group_rows >= size;
                // A continuous bin needs an edge between its last value and the next one.
                wants
                    && (discrete
                        || band(prev.value) != band(u.value)
                        || snap_between(prev.value, u.value, frequent(u), integer).is_some())
            }
        };
        if split {
            groups.push(Group::default());
            group_rows = 0;
        }
        let g = groups.len() - 1;
        groups[g].runs.push(*u);
        group_rows += u.rows;
        unit_bin[k] = g as u32;
    }

    // Edges and contents.
    let mut bins: Vec<Bin> = Vec::with_capacity(groups.len());
    for (gi, g) in groups.iter().enumerate() {
        let first = g.runs[0];
        let last = g.runs[g.runs.len() - 1];
        let points: Vec<Point> = g
            .runs
            .iter()
            .filter(|r| frequent(r))
            .map(|r| Point {
                value: r.value,
                count: r.rows as f64,
            })
            .collect();
        let rare: Vec<Run> = g.runs.iter().copied().filter(|r| !frequent(r)).collect();
        let spread: u64 = rare.iter().map(|r| r.rows).sum();
        if spread == 0 {
            bins.push(Bin {
                lo: first.value,
                hi: last.value,
                shape: Vec::new(),
                points,
                spread: 0.0,
            });
            continue;
        }
        // The edge shared with a neighbour: a schema band edge between them, else a snapped
        // grid point (see `snap_between`).
        let edge = |a: Run, b: Run| -> f64 {
            edges
                .iter()
                .copied()
                .find(|e| a.value < *e && *e <= b.value)
                .or_else(|| snap_between(a.value, b.value, frequent(&b), integer))
                .unwrap_or(b.value)
        };
        let lo_inner = (gi > 0).then(|| {
            let prev = &groups[gi - 1].runs;
            edge(prev[prev.len() - 1], first)
        });
        let hi_inner = groups.get(gi + 1).map(|next| edge(last, next.runs[0]));
        let span = hi_inner.unwrap_or(last.value + f64::from(u8::from(integer)))
            - lo_inner.unwrap_or(first.value);
        let step = outer_step(span.max(0.0), integer);
        let lo = lo_inner.unwrap_or_else(|| {
            if frequent(&first) {
                return first.value;
            }
            let size = step.0 / step.1;
            let mut m = grid_point((first.value / size).floor(), step);
            if m >= first.value {
                m = grid_point((first.value / size).floor() - 1.0, step);
            }
            m
        });
        let hi = hi_inner.unwrap_or_else(|| {
            let size = step.0 / step.1;
            let top = if integer {
                last.value + 1.0
            } else {
                last.value
            };
            let mut m = grid_point((top / size).ceil(), step);
            if m <= last.value {
                m = grid_point((top / size).ceil() + 1.0, step);
            }
            m
        });
        bins.push(Bin {
            lo,
            hi,
            shape: shape(lo, hi, &rare, min_count),
            points,
            spread: spread as f64,
        });
    }

    let run_bin = home.iter().map(|&h| unit_bin[h]).collect();
    (bins, run_bin)
}

/// Where each run lies within its bin (`codes[k]`: run `k`'s bin), by the value the model
/// holds for it (a discrete column's rare value counts at the bin's nearest exact value): the
/// shares of the bin's rows below that value and up to it.
fn within_runs(runs: &[Run], bins: &[Bin], codes: &[u32]) -> Vec<[f64; 2]> {
    let held = |x: f64, b: &Bin| {
        if b.spread > 0.0 && b.lo <= x && x < b.hi || b.points.is_empty() {
            return x;
        }
        b.points
            .iter()
            .map(|p| p.value)
            .min_by(|a, c| (a - x).abs().total_cmp(&(c - x).abs()))
            .unwrap_or(x)
    };
    let mut items: Vec<(u32, f64, usize)> = runs
        .iter()
        .zip(codes)
        .enumerate()
        .map(|(k, (r, &c))| (c, held(r.value, &bins[c as usize]), k))
        .collect();
    items.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.total_cmp(&b.1)));
    let mut out = vec![[0.0, 1.0]; runs.len()];
    let mut i = 0;
    while i < items.len() {
        let bin = items[i].0;
        let mut end = i;
        while end < items.len() && items[end].0 == bin {
            end += 1;
        }
        let n: u64 = items[i..end].iter().map(|t| runs[t.2].rows).sum();
        let mut before = 0u64;
        let mut j = i;
        while j < end {
            let mut k = j;
            while k < end && items[k].1 == items[j].1 {
                k += 1;
            }
            let here: u64 = items[j..k].iter().map(|t| runs[t.2].rows).sum();
            let place = [before as f64 / n as f64, (before + here) as f64 / n as f64];
            for t in &items[j..k] {
                out[t.2] = place;
            }
            before += here;
            j = k;
        }
        i = end;
    }
    out
}

/// How one variable codes the values of any chunk of the table it was chosen from: a
/// category by its level, a number by its exact value (its bin and its mid-rank within the
/// bin, both fixed by the whole column's counts), so that codes do not depend on how the
/// table is cut.
#[derive(Debug)]
pub(super) enum Encoder {
    /// Level text -> code; null's code.
    Cat {
        codes: FastMap<String, u32>,
        null: u32,
    },
    /// Value (its order key) -> (code, place within the bin); null's code.
    Num {
        values: FastMap<u64, (u32, [f64; 2])>,
        null: u32,
    },
}

impl Encoder {
    /// The encoder of a categorical variable: `map[i]` is the code of `levels[i]` (`None`:
    /// counted as the last kept level, [`OTHER`]).
    pub(super) fn categorical(var: &Variable, levels: &[String], map: &[Option<u32>]) -> Encoder {
        let kept = match &var.kind {
            VarKind::Categorical { levels } => levels.len() as u32,
            VarKind::Numeric { .. } => 0,
        };
        let other = kept.saturating_sub(1);
        Encoder::Cat {
            codes: levels
                .iter()
                .zip(map)
                .map(|(l, m)| (l.clone(), m.unwrap_or(other)))
                .collect(),
            null: kept,
        }
    }

    /// The encoder of a numeric variable with `bins` from the column's runs (distinct
    /// values in order) and each run's bin.
    pub(super) fn numeric(runs: &[Run], bins: &[Bin], codes: &[u32]) -> Encoder {
        let within = within_runs(runs, bins, codes);
        Encoder::Num {
            values: runs
                .iter()
                .zip(codes)
                .zip(within)
                .map(|((r, &c), w)| (order_key(r.value), (c, w)))
                .collect(),
            null: bins.len() as u32,
        }
    }

    /// Codes the values of one chunk of the column (`name`, for errors): the codes and, for
    /// a number, each row's mid-rank within its bin (0.5 for null). A value the column's
    /// counts never held is an error (the chunk is not of the counted table).
    pub(super) fn encode(&self, name: &str, values: &Values) -> Result<ChunkCodes, ModelError> {
        let unseen = |v: String| {
            ModelError::Invalid(format!(
                "column `{name}`: the value {v} was not among the values counted for the fit\n    hint: encode only chunks of the table the summary counted"
            ))
        };
        match (self, values) {
            (Encoder::Cat { codes, null }, Values::Cat { codes: own, levels }) => {
                let level_code: Vec<u32> = levels
                    .iter()
                    .map(|l| {
                        codes
                            .get(l)
                            .copied()
                            .ok_or_else(|| unseen(format!("`{l}`")))
                    })
                    .collect::<Result<_, _>>()?;
                let out = own
                    .iter()
                    .map(|&k| {
                        if k == NULL {
                            *null
                        } else {
                            level_code[k as usize]
                        }
                    })
                    .collect();
                Ok((out, None))
            }
            (Encoder::Num { values: map, null }, Values::Num(x)) => {
                let mut out = Vec::with_capacity(x.len());
                let mut within = Vec::with_capacity(x.len());
                for v in x {
                    if v.is_nan() {
                        out.push(*null);
                        within.push([0.0, 1.0]);
                    } else {
                        let &(c, w) = map
                            .get(&order_key(*v))
                            .ok_or_else(|| unseen(v.to_string()))?;
                        out.push(c);
                        within.push(w);
                    }
                }
                Ok((out, Some(within)))
            }
            _ => Err(ModelError::Invalid(format!(
                "column `{name}` is loaded with another type than its variable's"
            ))),
        }
    }
}

/// The codes of a chunk and, for a number, each row's mid-rank within its bin.
pub(super) type ChunkCodes = (Vec<u32>, Option<Vec<[f64; 2]>>);

#[cfg(test)]
mod tests {
    use super::*;

    fn opts(bins: usize, min_count: u64) -> FitOptions {
        FitOptions {
            bins,
            min_count,
            ..FitOptions::default()
        }
    }

    /// Every number the bins store: edges and exact values.
    fn stored(bins: &[Bin]) -> Vec<f64> {
        bins.iter()
            .flat_map(|b| {
                [b.lo, b.hi]
                    .into_iter()
                    .chain(b.points.iter().map(|p| p.value))
            })
            .collect()
    }

    /// The privacy rule: no stored number is a value of fewer than `min_count` rows (band
    /// edges, which come from the schema, excepted).
    fn assert_private(values: &[f64], bins: &[Bin], edges: &[f64], min_count: usize) {
        for x in stored(bins) {
            let n = values.iter().filter(|v| **v == x).count();
            assert!(
                n == 0 || n >= min_count || edges.contains(&x),
                "{x} is held by {n} rows: {bins:?}"
            );
        }
    }

    /// Every row's value lies in its bin (an exact value, or inside the interval).
    fn assert_coded(values: &[f64], bins: &[Bin], codes: &[u32], integer: bool) {
        for (x, c) in values.iter().zip(codes) {
            let b = &bins[*c as usize];
            let exact = b.points.iter().any(|p| p.value == *x);
            let hi = if integer { b.hi } else { b.hi + f64::EPSILON };
            assert!(
                exact || b.lo <= *x && *x < hi.max(b.lo + 1e-300),
                "{x} in {b:?}"
            );
        }
    }

    #[test]
    fn a_discrete_column_keeps_its_values_and_moves_rare_ones_to_the_nearest() {
        // 1..=8 each 20 times, 100 once (rare: 1 row in 161 is under 1 %).
        let mut v: Vec<f64> = (1..=8).flat_map(|k| vec![f64::from(k); 20]).collect();
        v.push(100.0);
        let (bins, codes) = value_bins(&v, true, &[], &opts(4, 10));
        // One bin per value (8 <= 2 * bins), each a point.
        assert_eq!(bins.len(), 8);
        assert!(bins
            .iter()
            .all(|b| b.points.len() == 1 && b.spread == 0.0 && b.lo == b.hi));
        // The rare 100 counts at 8, the nearest frequent value.
        assert_eq!(codes[160], 7);
        assert_eq!(bins[7].points[0].count, 21.0);
        assert_private(&v, &bins, &[], 10);
    }

    #[test]
    fn many_discrete_values_group_into_bins_of_exact_values() {
        let v: Vec<f64> = (0..400).map(|k| f64::from(k % 40)).collect();
        let (bins, codes) = value_bins(&v, true, &[20.0], &opts(4, 10));
        assert!(bins.len() < 40 && bins.len() >= 4, "{bins:?}");
        for b in &bins {
            assert!(b.spread == 0.0 && !b.points.is_empty());
            // The band edge 20 splits.
            assert!(b.hi < 20.0 || b.lo >= 20.0, "{b:?}");
        }
        assert_coded(&v, &bins, &codes, true);
        assert_private(&v, &bins, &[20.0], 10);
    }

    /// Capital gains: 90 % zero and 50 other values of 20 rows each. Zero takes a bin of its
    /// own and the other values share the other bins; sized on all rows they would fill only
    /// two, whose values the sample draws regardless of the parents.
    #[test]
    fn a_spike_leaves_the_other_bins_to_the_other_values() {
        let mut v = vec![0.0; 9000];
        v.extend((1..=50).flat_map(|k| vec![f64::from(k) * 100.0; 20]));
        let (bins, codes) = value_bins(&v, true, &[], &opts(10, 10));
        assert_eq!((bins[0].lo, bins[0].hi), (0.0, 0.0), "{bins:?}");
        // 1,000 rows over the 9 bins left: about 112 rows (6 values) each.
        assert_eq!(bins.len(), 10, "{bins:?}");
        assert!(bins[1..].iter().all(|b| b.points.len() <= 6), "{bins:?}");
        assert_coded(&v, &bins, &codes, true);
        assert_private(&v, &bins, &[], 10);
    }

    #[test]
    fn a_continuous_column_keeps_frequent_values_exact_and_snaps_edges() {
        // 300 distinct wages (each once) and 50 rows at exactly 15.0.
        let mut v: Vec<f64> = (0..300).map(|k| 3.17 + f64::from(k) * 0.113).collect();
        v.extend(std::iter::repeat_n(15.0, 50));
        let (bins, codes) = value_bins(&v, false, &[], &opts(5, 10));
        let fifteen: Vec<&Bin> = bins
            .iter()
            .filter(|b| b.points.iter().any(|p| p.value == 15.0))
            .collect();
        assert_eq!(fifteen.len(), 1);
        assert!(bins.iter().any(|b| b.spread > 0.0));
        assert_coded(&v, &bins, &codes, false);
        assert_private(&v, &bins, &[], 10);
        // The outer edges lie outside the data, by less than one shape part of their bin.
        let (first, last) = (&bins[0], &bins[bins.len() - 1]);
        assert!(first.lo < 3.17 && 3.17 - first.lo < (first.hi - first.lo) / 8.0 + 1e-9);
        let max = v.iter().copied().fold(f64::MIN, f64::max);
        assert!(last.hi > max && last.hi - max < (last.hi - last.lo) / 8.0 + 1e-9);
    }

    #[test]
    fn no_stored_number_is_a_rare_value_on_random_columns() {
        use rand::RngExt;
        for seed in 0..40u64 {
            let mut rng = crate::synth::stream(seed, "t", 0, 0);
            let n = rng.random_range(50..2000);
            let integer = seed % 2 == 0;
            let spread: f64 = rng.random_range(1.0..1e6);
            let v: Vec<f64> = (0..n)
                .map(|_| {
                    let x: f64 = rng.random::<f64>().powi(3) * spread;
                    if rng.random::<f64>() < 0.3 {
                        (x / spread * 5.0).floor() * 7.0
                    } else if integer {
                        x.floor()
                    } else {
                        x
                    }
                })
                .collect();
            let min_count = rng.random_range(2..20);
            let (bins, codes) = value_bins(&v, integer, &[], &opts(10, min_count));
            assert_private(&v, &bins, &[], min_count as usize);
            // Discrete columns count rare values at a frequent one; others code every value
            // into its own bin.
            if bins.iter().any(|b| b.spread > 0.0) {
                assert_coded(&v, &bins, &codes, integer);
            }
        }
    }

    #[test]
    fn grid_edges_are_the_coarsest_between_two_values() {
        assert_eq!(snap_between(17.3, 24.9, false, false), Some(20.0));
        assert_eq!(snap_between(0.31, 0.34, false, false), Some(0.32));
        assert_eq!(snap_between(41.0, 42.0, false, true), None);
        assert_eq!(snap_between(41.0, 42.0, true, true), Some(42.0));
        assert_eq!(snap_between(99.0, 1000.0, false, true), Some(500.0));
    }
}
