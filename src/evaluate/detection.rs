//! Detection: can a classifier tell the synthetic rows from the real ones? A logistic
//! regression (the one of [`super::learn`]) on one-hot categories, standardised numbers and
//! the numbers' deciles, trained on equal numbers of real and synthetic rows and scored by its
//! ROC AUC on rows it did not see, in three folds (SDMetrics' LogisticDetection measures the
//! same way). 0.5: the two are indistinguishable; 1: every synthetic row gives itself away.
//!
//! Every row sample comes from a stream keyed by the seed, and training sums in a fixed
//! order, so the figure does not depend on the thread count.

use serde::Serialize;

use super::data::Aligned;
use super::learn::{train, Encoder, Part};
use super::privacy::closer_auc;
use super::sample_rows;

/// Most rows taken from each side.
pub const DETECTION_ROWS: usize = 10_000;
/// Folds: each row is scored by the model trained on the others.
const FOLDS: usize = 3;
/// Intervals numbers fall into besides their standardised value.
const INTERVALS: usize = 10;

/// The detection figures of one table.
#[derive(Debug, Clone, Serialize)]
pub struct Detection {
    /// Rows taken from each side (at most [`DETECTION_ROWS`], and at most the smaller side).
    pub rows: usize,
    /// Features after encoding.
    pub features: usize,
    /// Mean ROC AUC over the folds of the classifier telling synthetic (positive) from real.
    pub auc: f64,
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
    let mut features = 0;
    for k in 0..FOLDS {
        let (real_train, real_test) = fold(&real, k);
        let (syn_train, syn_test) = fold(&syn, k);
        let enc = Encoder::fit_from(
            t,
            None,
            &[(Part::Real, &real_train), (Part::Syn, &syn_train)],
            INTERVALS,
        );
        features = enc.features();
        let x = enc.encode_parts(t, &[(Part::Real, &real_train), (Part::Syn, &syn_train)]);
        let y: Vec<usize> = std::iter::repeat_n(0, real_train.len())
            .chain(std::iter::repeat_n(1, syn_train.len()))
            .collect();
        let model = train(&x, &y, 2);
        let margins = |part: Part, rows: &[usize]| -> Vec<f64> {
            let x = enc.encode(t, part, rows);
            (0..rows.len()).map(|i| model.margin(&x, i)).collect()
        };
        let real_scores = margins(Part::Real, &real_test);
        let syn_scores = margins(Part::Syn, &syn_test);
        // The chance that a synthetic row scores above a real one (ties half).
        aucs.push(closer_auc(&real_scores, &syn_scores));
    }
    Some(Detection {
        rows: n,
        features,
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
    fn a_different_shape_with_the_same_mean_is_told_apart_by_the_intervals() {
        // Same mean and a linear score cannot separate them; the deciles can.
        let real = spread(3000, |u| u * 100.0);
        let syn = spread(3000, |u| if u < 0.5 { 10.0 } else { 90.0 });
        let d = detection(&aligned(real, syn), 7).expect("figures");
        assert!(d.auc > 0.75, "{}", d.auc);
    }

    #[test]
    fn too_few_rows_give_no_figure() {
        assert!(detection(&aligned(vec![1.0, 2.0], vec![1.0, 2.0]), 1).is_none());
    }
}
