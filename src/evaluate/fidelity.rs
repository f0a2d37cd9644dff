//! Fidelity: how closely the synthetic table's column distributions and column-pair
//! relationships follow the real table's, as SDMetrics' quality report scores them.

use rayon::prelude::*;
use serde::Serialize;

use super::data::{Aligned, Data};
use crate::io::table::NULL;
use crate::metrics;

/// Equal-width bins a numeric column is cut into for contingency tables.
pub const PAIR_BINS: usize = 10;

/// The fidelity of one column.
#[derive(Debug, Clone, Serialize)]
pub struct ColumnScore {
    /// The column.
    pub column: String,
    /// `tvd` (categorical: 1 - TVD, nulls a level of their own) or `ks` (numeric: 1 - KS over
    /// the non-null values).
    pub metric: &'static str,
    /// The score, 1 for identical distributions.
    pub score: f64,
    /// Share of nulls in the real table.
    pub null_share_real: f64,
    /// Share of nulls in the synthetic table.
    pub null_share_synthetic: f64,
    /// Levels the synthetic table has and the real one lacks (e.g. a merged `(other)`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub new_levels: Vec<String>,
}

/// The fidelity of one pair of columns.
#[derive(Debug, Clone, Serialize)]
pub struct PairScore {
    /// The two columns, in schema order.
    pub columns: [String; 2],
    /// `correlation` (both numeric: 1 - |r_real - r_synthetic| / 2) or `contingency`
    /// (1 - TVD of the 2-way tables; numerics cut into 10 equal-width bins of the real range).
    pub metric: &'static str,
    /// The score, 1 for identical relationships.
    pub score: f64,
    /// Pearson's r in the real table (correlation pairs).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub correlation_real: Option<f64>,
    /// Pearson's r in the synthetic table (correlation pairs).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub correlation_synthetic: Option<f64>,
}

/// Column and pair fidelity, and the overall score.
#[derive(Debug, Clone, Serialize)]
pub struct Fidelity {
    /// Mean of `column_mean` and `pair_mean` (just `column_mean` with one column).
    pub overall: f64,
    /// Mean column score.
    pub column_mean: f64,
    /// Mean pair score (`None` with a single column).
    pub pair_mean: Option<f64>,
    /// Per column, in schema order.
    pub columns: Vec<ColumnScore>,
    /// Per pair of columns.
    pub pairs: Vec<PairScore>,
}

/// Dense codes of one column in both tables: levels (or bins) 0..k-1, nulls k.
pub(super) struct Dense {
    pub(super) real: Vec<u32>,
    pub(super) syn: Vec<u32>,
    pub(super) size: usize,
}

fn null_share<T>(v: &[T], is_null: impl Fn(&T) -> bool) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    v.iter().filter(|x| is_null(x)).count() as f64 / v.len() as f64
}

/// Cuts numbers into [`PAIR_BINS`] equal-width bins of the real range (values outside it go
/// to the end bins); NaN gets a bin of its own.
pub(super) fn bin(real: &[f64], syn: &[f64]) -> Dense {
    let (lo, hi) = real
        .iter()
        .filter(|v| !v.is_nan())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
            (a.min(*v), b.max(*v))
        });
    let width = (hi - lo) / PAIR_BINS as f64;
    let code = |v: &f64| -> u32 {
        if v.is_nan() {
            PAIR_BINS as u32
        } else if width.is_nan() || width <= 0.0 {
            // A constant (or all-null) real column: one bin.
            0
        } else {
            ((v - lo) / width)
                .floor()
                .clamp(0.0, (PAIR_BINS - 1) as f64) as u32
        }
    };
    Dense {
        real: real.par_iter().map(code).collect(),
        syn: syn.par_iter().map(code).collect(),
        size: PAIR_BINS + 1,
    }
}

pub(super) fn dense_codes(levels: usize, real: &[u32], syn: &[u32]) -> Dense {
    let code = |c: &u32| if *c == NULL { levels as u32 } else { *c };
    Dense {
        real: real.par_iter().map(code).collect(),
        syn: syn.par_iter().map(code).collect(),
        size: levels + 1,
    }
}

/// Rows where both values are present.
pub(super) fn complete(x: &[f64], y: &[f64]) -> (Vec<f64>, Vec<f64>) {
    x.iter()
        .zip(y)
        .filter(|(a, b)| !a.is_nan() && !b.is_nan())
        .map(|(a, b)| (*a, *b))
        .unzip()
}

/// Scores every column and every pair of columns.
pub(crate) fn fidelity(t: &Aligned) -> Fidelity {
    let columns: Vec<ColumnScore> = t
        .columns
        .par_iter()
        .map(|c| match &c.data {
            Data::Num { real, syn, .. } => {
                let nr = null_share(real, |v| v.is_nan());
                let ns = null_share(syn, |v| v.is_nan());
                let score = match metrics::ks_statistic(real, syn) {
                    Some(ks) => 1.0 - ks,
                    // No values on one side: equal only when neither has any.
                    None => f64::from(u8::from(nr == ns)),
                };
                ColumnScore {
                    column: c.decl.name.clone(),
                    metric: "ks",
                    score,
                    null_share_real: nr,
                    null_share_synthetic: ns,
                    new_levels: vec![],
                }
            }
            Data::Cat {
                levels, real, syn, ..
            } => {
                let d = dense_codes(levels.len(), real, syn);
                let mut seen_real = vec![false; levels.len()];
                let mut seen_syn = vec![false; levels.len()];
                for c in real.iter().filter(|c| **c != NULL) {
                    seen_real[*c as usize] = true;
                }
                for c in syn.iter().filter(|c| **c != NULL) {
                    seen_syn[*c as usize] = true;
                }
                ColumnScore {
                    column: c.decl.name.clone(),
                    metric: "tvd",
                    score: 1.0 - metrics::tvd_codes(&d.real, &d.syn, d.size),
                    null_share_real: null_share(real, |c| *c == NULL),
                    null_share_synthetic: null_share(syn, |c| *c == NULL),
                    new_levels: levels
                        .iter()
                        .enumerate()
                        .filter(|(i, _)| seen_syn[*i] && !seen_real[*i])
                        .map(|(_, l)| l.clone())
                        .collect(),
                }
            }
        })
        .collect();

    let dense: Vec<Dense> = t
        .columns
        .par_iter()
        .map(|c| match &c.data {
            Data::Num { real, syn, .. } => bin(real, syn),
            Data::Cat {
                levels, real, syn, ..
            } => dense_codes(levels.len(), real, syn),
        })
        .collect();
    let n = t.columns.len();
    let pairs_idx: Vec<(usize, usize)> = (0..n)
        .flat_map(|i| (i + 1..n).map(move |j| (i, j)))
        .collect();
    let pairs: Vec<PairScore> = pairs_idx
        .par_iter()
        .map(|&(i, j)| {
            let (a, b) = (&t.columns[i], &t.columns[j]);
            let names = [a.decl.name.clone(), b.decl.name.clone()];
            if let (
                Data::Num {
                    real: ra, syn: sa, ..
                },
                Data::Num {
                    real: rb, syn: sb, ..
                },
            ) = (&a.data, &b.data)
            {
                let (x, y) = complete(ra, rb);
                let (u, v) = complete(sa, sb);
                let (cr, cs) = (metrics::pearson(&x, &y), metrics::pearson(&u, &v));
                if let Some(score) = metrics::correlation_similarity((&x, &y), (&u, &v)) {
                    return PairScore {
                        columns: names,
                        metric: "correlation",
                        score,
                        correlation_real: cr,
                        correlation_synthetic: cs,
                    };
                }
                // A constant column has no correlation: compare the binned tables instead.
            }
            let (da, db) = (&dense[i], &dense[j]);
            PairScore {
                columns: names,
                metric: "contingency",
                score: metrics::contingency_similarity_codes(
                    (&da.real, &db.real),
                    (&da.syn, &db.syn),
                    (da.size, db.size),
                ),
                correlation_real: None,
                correlation_synthetic: None,
            }
        })
        .collect();
    let column_mean = mean(columns.iter().map(|c| c.score));
    let pair_mean = (!pairs.is_empty()).then(|| mean(pairs.iter().map(|p| p.score)));
    Fidelity {
        overall: pair_mean.map_or(column_mean, |p| (column_mean + p) / 2.0),
        column_mean,
        pair_mean,
        columns,
        pairs,
    }
}

pub(super) fn mean(it: impl Iterator<Item = f64>) -> f64 {
    let (s, n) = it.fold((0.0, 0usize), |(s, n), x| (s + x, n + 1));
    if n == 0 {
        0.0
    } else {
        s / n as f64
    }
}

/// Most levels a [`Marginal`] lists; the rest are merged into one entry.
pub const MARGINAL_LEVELS: usize = 30;

/// The shares of one column's levels (or bins) in the real and the synthetic table, for charts.
#[derive(Debug, Clone, Serialize)]
pub struct Marginal {
    /// The column.
    pub column: String,
    /// Level names, or bin intervals of the real range (`[lo, hi)`); `(null)` for nulls, and
    /// `(N other levels)` merging levels beyond the [`MARGINAL_LEVELS`] most common real ones.
    pub labels: Vec<String>,
    /// Shares in the real table.
    pub real: Vec<f64>,
    /// Shares in the synthetic table.
    pub synthetic: Vec<f64>,
}

/// Real and synthetic shares per level of every column: categories by level (nulls a level),
/// numbers in the [`PAIR_BINS`] equal-width bins of the real range the pair scores use.
pub(crate) fn marginals(t: &Aligned) -> Vec<Marginal> {
    t.columns
        .iter()
        .map(|c| {
            let (dense, mut labels) = match &c.data {
                Data::Cat {
                    levels, real, syn, ..
                } => (dense_codes(levels.len(), real, syn), levels.clone()),
                Data::Num { real, syn, .. } => {
                    let (lo, hi) = real
                        .iter()
                        .filter(|v| !v.is_nan())
                        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
                            (a.min(*v), b.max(*v))
                        });
                    let w = (hi - lo) / PAIR_BINS as f64;
                    let labels = (0..PAIR_BINS)
                        .map(|i| {
                            let a = lo + w * i as f64;
                            format!("[{}, {})", short_number(a), short_number(a + w))
                        })
                        .collect();
                    (bin(real, syn), labels)
                }
            };
            labels.push("(null)".into());
            let share = |codes: &[u32]| {
                let mut h = vec![0.0; dense.size];
                for c in codes {
                    h[*c as usize] += 1.0;
                }
                let n = codes.len().max(1) as f64;
                h.iter_mut().for_each(|x| *x /= n);
                h
            };
            let (real, syn) = (share(&dense.real), share(&dense.syn));
            // Keep levels present in either table, the most common real ones first for
            // categories, in bin order for numbers; merge the tail.
            let mut order: Vec<usize> = (0..dense.size)
                .filter(|&i| real[i] > 0.0 || syn[i] > 0.0)
                .collect();
            if matches!(c.data, Data::Cat { .. }) {
                order.sort_by(|&a, &b| real[b].total_cmp(&real[a]).then(a.cmp(&b)));
            }
            let (head, tail) = order.split_at(order.len().min(MARGINAL_LEVELS));
            let mut m = Marginal {
                column: c.decl.name.clone(),
                labels: head.iter().map(|&i| labels[i].clone()).collect(),
                real: head.iter().map(|&i| real[i]).collect(),
                synthetic: head.iter().map(|&i| syn[i]).collect(),
            };
            if !tail.is_empty() {
                m.labels.push(format!("({} other levels)", tail.len()));
                m.real.push(tail.iter().map(|&i| real[i]).sum());
                m.synthetic.push(tail.iter().map(|&i| syn[i]).sum());
            }
            m
        })
        .collect()
}

/// A bin edge written briefly (whole numbers without decimals).
fn short_number(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        format!("{x:.0}")
    } else {
        format!("{x:.3}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bins_clamp_synthetic_values_and_keep_nulls_apart() {
        let d = bin(
            &[0.0, 10.0, 5.0, f64::NAN],
            &[-3.0, 10.0, 99.0, 0.99, f64::NAN],
        );
        assert_eq!(d.real, vec![0, 9, 5, 10]);
        assert_eq!(d.syn, vec![0, 9, 9, 0, 10]);
        assert_eq!(d.size, 11);
        let c = bin(&[2.0, 2.0], &[2.0, 3.0]);
        assert_eq!((c.real, c.syn), (vec![0, 0], vec![0, 0]));
    }
}
