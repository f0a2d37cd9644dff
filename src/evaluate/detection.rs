//! Detection: can a classifier tell the synthetic rows from the real ones? Gradient-boosted
//! trees (`evaluate::boost`) on binned columns (numbers in up to 32 quantile bins, levels as
//! they are, null as a bin of its own), trained on equal numbers of real and synthetic rows and
//! scored by their ROC AUC on rows they did not see, in three folds. The trees see a column's
//! shape and how columns combine (a logistic regression, as SDMetrics' LogisticDetection, sees
//! only the first). 0.5: the two are indistinguishable; 1: every synthetic row gives itself
//! away.
//!
//! Every row sample comes from a stream keyed by the seed, and the trees are fitted in a fixed
//! order, so the figure does not depend on the thread count.

use serde::Serialize;

use super::boost::{fit, Binned};
use super::data::{Aligned, Data};
use super::privacy::closer_auc;
use super::sample_rows;
use crate::io::table::NULL;

/// Most rows taken from each side.
pub const DETECTION_ROWS: usize = 10_000;
/// Folds: each row is scored by the model trained on the others.
const FOLDS: usize = 3;
/// Most quantile bins of a number.
const NUMBER_BINS: usize = 32;
/// Most levels of a category kept apart; rarer ones share a bin.
const LEVEL_BINS: usize = 64;

/// The detection figures of one table.
#[derive(Debug, Clone, Serialize)]
pub struct Detection {
    /// Rows taken from each side (at most [`DETECTION_ROWS`], and at most the smaller side).
    pub rows: usize,
    /// Columns the classifier sees.
    pub features: usize,
    /// Mean ROC AUC over the folds of the classifier telling synthetic (positive) from real.
    pub auc: f64,
}

/// Which table a row comes from.
#[derive(Clone, Copy)]
enum Side {
    Real,
    Syn,
}

/// How one column becomes a bin.
enum Bin {
    /// Number: bin = intervals below it (`edges`), null the last bin.
    Number(Vec<f64>),
    /// Level code -> bin; codes not kept share `other`, null is `other + 1`.
    Level(Vec<u16>, u16),
}

impl Bin {
    fn count(&self) -> usize {
        match self {
            Bin::Number(edges) => edges.len() + 2,
            Bin::Level(_, other) => *other as usize + 2,
        }
    }
}

/// Bins of every column, from the training rows of both sides.
fn binner(t: &Aligned, train: &[(Side, &[usize])]) -> Vec<Bin> {
    t.columns
        .iter()
        .map(|c| match &c.data {
            Data::Num { real, syn, .. } => {
                let mut v: Vec<f64> = train
                    .iter()
                    .flat_map(|(side, rows)| {
                        let x = match side {
                            Side::Real => real,
                            Side::Syn => syn,
                        };
                        rows.iter().map(move |&r| x[r])
                    })
                    .filter(|x| !x.is_nan())
                    .collect();
                v.sort_by(f64::total_cmp);
                let mut edges: Vec<f64> = (1..NUMBER_BINS)
                    .filter_map(|q| v.get(((v.len().max(1) - 1) * q) / NUMBER_BINS).copied())
                    .collect();
                edges.dedup();
                Bin::Number(edges)
            }
            Data::Cat {
                levels, real, syn, ..
            } => {
                let mut n = vec![0usize; levels.len()];
                for (side, rows) in train {
                    let x = match side {
                        Side::Real => real,
                        Side::Syn => syn,
                    };
                    for &r in *rows {
                        if x[r] != NULL {
                            n[x[r] as usize] += 1;
                        }
                    }
                }
                let mut by: Vec<usize> = (0..levels.len()).filter(|&k| n[k] > 0).collect();
                by.sort_by(|a, b| n[*b].cmp(&n[*a]).then(a.cmp(b)));
                by.truncate(LEVEL_BINS);
                let other = by.len() as u16;
                let mut map = vec![other; levels.len()];
                for (bin, k) in by.iter().enumerate() {
                    map[*k] = bin as u16;
                }
                Bin::Level(map, other)
            }
        })
        .collect()
}

/// The rows of the parts given, binned, one after the other.
fn binned(t: &Aligned, bins: &[Bin], parts: &[(Side, &[usize])]) -> Binned {
    let columns = t
        .columns
        .iter()
        .zip(bins)
        .map(|(c, b)| {
            parts
                .iter()
                .flat_map(|(side, rows)| {
                    rows.iter().map(move |&r| match (&c.data, b) {
                        (Data::Num { real, syn, .. }, Bin::Number(edges)) => {
                            let x = match side {
                                Side::Real => real[r],
                                Side::Syn => syn[r],
                            };
                            if x.is_nan() {
                                edges.len() as u16 + 1
                            } else {
                                edges.partition_point(|e| *e < x) as u16
                            }
                        }
                        (Data::Cat { real, syn, .. }, Bin::Level(map, other)) => {
                            let k = match side {
                                Side::Real => real[r],
                                Side::Syn => syn[r],
                            };
                            if k == NULL {
                                other + 1
                            } else {
                                map.get(k as usize).copied().unwrap_or(*other)
                            }
                        }
                        _ => 0,
                    })
                })
                .collect()
        })
        .collect();
    Binned {
        columns,
        bins: bins.iter().map(Bin::count).collect(),
    }
}

/// The detection test on the aligned real and synthetic rows; `None` when either side has
/// fewer than [`FOLDS`] rows or there is no column.
pub(crate) fn detection(t: &Aligned, seed: u64) -> Option<Detection> {
    let n = t.real_rows.min(t.syn_rows).min(DETECTION_ROWS);
    if n < FOLDS || t.columns.is_empty() {
        return None;
    }
    let real = sample_rows(t.real_rows, n, seed, "evaluate/detection-real");
    let syn = sample_rows(t.syn_rows, n, seed, "evaluate/detection-synthetic");
    let fold = |rows: &[usize], k: usize| -> (Vec<usize>, Vec<usize>) {
        let (mut train, mut test) = (Vec::new(), Vec::new());
        for (i, r) in rows.iter().enumerate() {
            if i % FOLDS == k {
                test.push(*r);
            } else {
                train.push(*r);
            }
        }
        (train, test)
    };
    let mut aucs = Vec::with_capacity(FOLDS);
    for k in 0..FOLDS {
        let (real_train, real_test) = fold(&real, k);
        let (syn_train, syn_test) = fold(&syn, k);
        let train = [(Side::Real, &real_train[..]), (Side::Syn, &syn_train[..])];
        let bins = binner(t, &train);
        let x = binned(t, &bins, &train);
        let y: Vec<bool> = std::iter::repeat_n(false, real_train.len())
            .chain(std::iter::repeat_n(true, syn_train.len()))
            .collect();
        let model = fit(&x, &y);
        let scores = |side: Side, rows: &[usize]| -> Vec<f64> {
            let x = binned(t, &bins, &[(side, rows)]);
            (0..rows.len()).map(|r| model.score(&x, r)).collect()
        };
        // The chance that a synthetic row scores above a real one (ties half).
        aucs.push(closer_auc(
            &scores(Side::Real, &real_test),
            &scores(Side::Syn, &syn_test),
        ));
    }
    Some(Detection {
        rows: n,
        features: t.columns.len(),
        auc: aucs.iter().sum::<f64>() / aucs.len() as f64,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evaluate::data::{Data, EvalColumn};
    use crate::schema::{Column, ColumnType};

    fn aligned(real: Vec<f64>, syn: Vec<f64>) -> Aligned {
        Aligned {
            real_rows: real.len(),
            syn_rows: syn.len(),
            hold_rows: None,
            columns: vec![EvalColumn {
                decl: Column::blank("x", ColumnType::Float),
                data: Data::Num {
                    real,
                    syn,
                    hold: None,
                },
            }],
        }
    }

    fn spread(n: usize, f: impl Fn(f64) -> f64) -> Vec<f64> {
        (0..n).map(|i| f((i as f64 + 0.5) / n as f64)).collect()
    }

    #[test]
    fn two_samples_of_one_distribution_cannot_be_told_apart() {
        use rand::RngExt;
        // Independent draws, as a second real sample would be.
        let draw = |stream: &str| -> Vec<f64> {
            let mut rng = crate::synth::stream(11, stream, 0, 0);
            (0..3000)
                .map(|_| rng.random::<f64>() * 100.0 + rng.random::<f64>() * 50.0)
                .collect()
        };
        let d = detection(&aligned(draw("real"), draw("synthetic")), 7).expect("figures");
        assert!((d.auc - 0.5).abs() < 0.03, "{}", d.auc);
        assert_eq!(d.rows, 3000);
    }

    #[test]
    fn a_shifted_column_is_told_apart() {
        let real = spread(3000, |u| u * 100.0);
        let syn = spread(3000, |u| 40.0 + u * 100.0);
        let d = detection(&aligned(real, syn), 7).expect("figures");
        assert!(d.auc > 0.7, "{}", d.auc);
    }

    #[test]
    fn a_different_shape_with_the_same_mean_is_told_apart() {
        // Same mean: a linear score on the value cannot separate them; the bins can.
        let real = spread(3000, |u| u * 100.0);
        let syn = spread(3000, |u| if u < 0.5 { 10.0 } else { 90.0 });
        let d = detection(&aligned(real, syn), 7).expect("figures");
        assert!(d.auc > 0.75, "{}", d.auc);
    }

    #[test]
    fn a_changed_combination_of_unchanged_columns_is_told_apart() {
        // Both sides: two fair coins each; real rows have them equal, synthetic ones not.
        let coin = |n: usize, f: &dyn Fn(usize) -> bool| -> Vec<u32> {
            (0..n).map(|i| u32::from(f(i))).collect()
        };
        let n = 3000;
        let a = EvalColumn {
            decl: Column::blank("a", ColumnType::Category),
            data: Data::Cat {
                levels: vec!["no".into(), "yes".into()],
                real: coin(n, &|i| i % 2 == 0),
                syn: coin(n, &|i| i % 2 == 0),
                hold: None,
            },
        };
        let b = EvalColumn {
            decl: Column::blank("b", ColumnType::Category),
            data: Data::Cat {
                levels: vec!["no".into(), "yes".into()],
                real: coin(n, &|i| i % 2 == 0),
                syn: coin(n, &|i| i % 2 == 1),
                hold: None,
            },
        };
        let t = Aligned {
            real_rows: n,
            syn_rows: n,
            hold_rows: None,
            columns: vec![a, b],
        };
        let d = detection(&t, 3).expect("figures");
        assert!(d.auc > 0.95, "{}", d.auc);
    }

    #[test]
    fn too_few_rows_give_no_figure() {
        assert!(detection(&aligned(vec![1.0, 2.0], vec![1.0, 2.0]), 1).is_none());
    }
}
