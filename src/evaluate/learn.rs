//! Utility: a small, deterministic multinomial logistic regression, trained on synthetic rows
//! and on real rows and tested on the same real rows (TSTR against TRTR).
//!
//! Features: one-hot categories (levels of the real training rows; others all zero) and
//! standardised numbers (NaN as 0 plus a missing indicator). Training is full-batch Nesterov
//! accelerated gradient descent with a fixed step and iteration count, and the gradient is
//! summed over fixed chunks in a fixed order, so the model does not depend on thread count.

use rayon::prelude::*;
use serde::Serialize;

use super::data::{Aligned, Data};
use super::sample_rows;
use crate::io::table::NULL;

/// Most rows a model trains on.
pub const MAX_TRAIN_ROWS: usize = 20_000;
/// Gradient steps.
pub const ITERATIONS: usize = 300;
/// L2 penalty on the weights (not the intercepts), keeping separable data finite.
const L2: f64 = 1e-4;
/// Rows per gradient chunk; fixed so that sums do not depend on the thread count.
const CHUNK: usize = 2048;
/// Standardised values are capped here, so one wild synthetic value cannot blow up a step.
const CAP: f64 = 10.0;

/// Train-on-synthetic/test-on-real figures.
#[derive(Debug, Clone, Serialize)]
pub struct Utility {
    /// The label column.
    pub label: String,
    /// Where the test rows come from: `holdout` or `real 30% split`.
    pub test_set: String,
    /// Test rows.
    pub test_rows: usize,
    /// Real rows trained on (at most 20,000).
    pub train_rows_real: usize,
    /// Synthetic rows trained on (at most 20,000).
    pub train_rows_synthetic: usize,
    /// Features after one-hot encoding.
    pub features: usize,
    /// Accuracy of the model trained on real rows.
    pub trtr_accuracy: f64,
    /// Accuracy of the model trained on synthetic rows.
    pub tstr_accuracy: f64,
    /// `tstr_accuracy / trtr_accuracy`.
    pub ratio: f64,
    /// Accuracy of always predicting the real training rows' most common class.
    pub majority_baseline: f64,
}

/// Sparse rows: per row, (feature, value) entries.
#[derive(Debug, Clone, Default)]
pub(crate) struct Matrix {
    offsets: Vec<usize>,
    index: Vec<u32>,
    value: Vec<f64>,
    /// Number of features (columns).
    pub features: usize,
}

impl Matrix {
    fn rows(&self) -> usize {
        self.offsets.len().saturating_sub(1)
    }

    fn row(&self, i: usize) -> impl Iterator<Item = (usize, f64)> + '_ {
        let (a, b) = (self.offsets[i], self.offsets[i + 1]);
        self.index[a..b]
            .iter()
            .zip(&self.value[a..b])
            .map(|(j, v)| (*j as usize, *v))
    }

    /// A matrix from dense rows (for tests and small problems).
    #[cfg(test)]
    pub fn from_dense(rows: &[Vec<f64>]) -> Matrix {
        let mut m = Matrix {
            offsets: vec![0],
            features: rows.first().map_or(0, Vec::len),
            ..Matrix::default()
        };
        for r in rows {
            for (j, v) in r.iter().enumerate() {
                m.index.push(j as u32);
                m.value.push(*v);
            }
            m.offsets.push(m.index.len());
        }
        m
    }
}

/// A fitted multinomial logistic regression: `classes` rows of `features + 1` weights, the
/// last one the intercept.
#[derive(Debug, Clone)]
pub(crate) struct Model {
    classes: usize,
    features: usize,
    w: Vec<f64>,
}

impl Model {
    fn scores(&self, x: &Matrix, i: usize, out: &mut [f64]) {
        let stride = self.features + 1;
        for (k, o) in out.iter_mut().enumerate() {
            *o = self.w[k * stride + self.features];
        }
        for (j, v) in x.row(i) {
            for (k, o) in out.iter_mut().enumerate() {
                *o += self.w[k * stride + j] * v;
            }
        }
    }

    /// The most probable class of row `i` (the lowest index on ties).
    pub fn predict(&self, x: &Matrix, i: usize) -> usize {
        let mut s = vec![0.0; self.classes];
        self.scores(x, i, &mut s);
        let mut best = 0;
        for k in 1..self.classes {
            if s[k] > s[best] {
                best = k;
            }
        }
        best
    }
}

/// Mean cross-entropy gradient (plus the L2 term) at `w`.
fn gradient(x: &Matrix, y: &[usize], classes: usize, w: &[f64]) -> Vec<f64> {
    let features = x.features;
    let stride = features + 1;
    let model = Model {
        classes,
        features,
        w: w.to_vec(),
    };
    let n = x.rows();
    let chunks: Vec<Vec<f64>> = (0..n.div_ceil(CHUNK))
        .into_par_iter()
        .map(|c| {
            let mut g = vec![0.0; w.len()];
            let mut p = vec![0.0; classes];
            let (from, to) = (c * CHUNK, ((c + 1) * CHUNK).min(n));
            for (i, &yi) in (from..to).zip(&y[from..to]) {
                model.scores(x, i, &mut p);
                let max = p.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                let mut z = 0.0;
                for v in p.iter_mut() {
                    *v = (*v - max).exp();
                    z += *v;
                }
                for (k, v) in p.iter_mut().enumerate() {
                    *v = *v / z - f64::from(u8::from(k == yi));
                }
                for (j, v) in x.row(i) {
                    for (k, e) in p.iter().enumerate() {
                        g[k * stride + j] += e * v;
                    }
                }
                for (k, e) in p.iter().enumerate() {
                    g[k * stride + features] += e;
                }
            }
            g
        })
        .collect();
    let mut g = vec![0.0; w.len()];
    // Summed in chunk order: the same floating-point result on any number of threads.
    for part in chunks {
        for (a, b) in g.iter_mut().zip(part) {
            *a += b;
        }
    }
    let inv = 1.0 / n.max(1) as f64;
    for k in 0..classes {
        for j in 0..stride {
            let at = k * stride + j;
            g[at] *= inv;
            if j < features {
                g[at] += L2 * w[at];
            }
        }
    }
    g
}

/// Fits a model to rows `x` with classes `y` (each below `classes`).
pub(crate) fn train(x: &Matrix, y: &[usize], classes: usize) -> Model {
    let stride = x.features + 1;
    // The softmax loss's Hessian is at most 1/2 * X'X/n (per class block); its largest
    // eigenvalue is at most the trace, the mean squared row norm (intercept included).
    let n = x.rows().max(1) as f64;
    let trace: f64 = (0..x.rows())
        .map(|i| 1.0 + x.row(i).map(|(_, v)| v * v).sum::<f64>())
        .sum::<f64>()
        / n;
    let step = 1.0 / (0.5 * trace + L2);
    let mut w = vec![0.0; classes * stride];
    let mut prev = w.clone();
    for t in 0..ITERATIONS {
        // Nesterov: the gradient at the extrapolated point.
        let beta = t as f64 / (t as f64 + 3.0);
        let look: Vec<f64> = w
            .iter()
            .zip(&prev)
            .map(|(a, b)| a + beta * (a - b))
            .collect();
        let g = gradient(x, y, classes, &look);
        prev = std::mem::replace(
            &mut w,
            look.iter().zip(&g).map(|(a, d)| a - step * d).collect(),
        );
    }
    Model {
        classes,
        features: x.features,
        w,
    }
}

/// Share of rows of `x` whose predicted class is `y` (a `None` label is never right).
pub(crate) fn accuracy(m: &Model, x: &Matrix, y: &[Option<usize>]) -> f64 {
    if y.is_empty() {
        return 0.0;
    }
    let right = (0..x.rows())
        .into_par_iter()
        .filter(|&i| y[i] == Some(m.predict(x, i)))
        .count();
    right as f64 / y.len() as f64
}

/// How one column becomes features.
enum Encode {
    /// Code -> feature (one-hot); unseen codes map to nothing.
    OneHot(Vec<Option<u32>>, Option<u32>),
    /// Standardised value at `at`, missing indicator at `at + 1`.
    Number { at: u32, mean: f64, sd: f64 },
}

/// Which table rows come from.
#[derive(Clone, Copy, PartialEq)]
pub(crate) enum Part {
    Real,
    Syn,
    Hold,
}

struct Encoder {
    columns: Vec<(usize, Encode)>,
    features: usize,
}

impl Encoder {
    /// Features from the real training rows of every column but the label.
    fn fit(t: &Aligned, label: usize, train: &[usize]) -> Encoder {
        let mut next = 0u32;
        let mut columns = Vec::new();
        for (ci, c) in t.columns.iter().enumerate() {
            if ci == label {
                continue;
            }
            match &c.data {
                Data::Cat { levels, real, .. } => {
                    let mut map = vec![None; levels.len()];
                    let mut null = None;
                    for &r in train {
                        let code = real[r];
                        let slot = if code == NULL {
                            &mut null
                        } else {
                            &mut map[code as usize]
                        };
                        if slot.is_none() {
                            *slot = Some(next);
                            next += 1;
                        }
                    }
                    columns.push((ci, Encode::OneHot(map, null)));
                }
                Data::Num { real, .. } => {
                    let vals: Vec<f64> = train
                        .iter()
                        .map(|&r| real[r])
                        .filter(|v| !v.is_nan())
                        .collect();
                    let n = vals.len().max(1) as f64;
                    let mean = vals.iter().sum::<f64>() / n;
                    let var = vals.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / n;
                    let sd = if var > 0.0 { var.sqrt() } else { 1.0 };
                    columns.push((ci, Encode::Number { at: next, mean, sd }));
                    next += 2;
                }
            }
        }
        Encoder {
            columns,
            features: next as usize,
        }
    }

    fn encode(&self, t: &Aligned, from: Part, rows: &[usize]) -> Matrix {
        let mut m = Matrix {
            offsets: Vec::with_capacity(rows.len() + 1),
            features: self.features,
            ..Matrix::default()
        };
        m.offsets.push(0);
        for &r in rows {
            for (ci, enc) in &self.columns {
                match (enc, &t.columns[*ci].data) {
                    (
                        Encode::OneHot(map, null),
                        Data::Cat {
                            real, syn, hold, ..
                        },
                    ) => {
                        let code = pick(real, syn, hold.as_deref(), from)[r];
                        let f = if code == NULL {
                            *null
                        } else {
                            map.get(code as usize).copied().flatten()
                        };
                        if let Some(f) = f {
                            m.index.push(f);
                            m.value.push(1.0);
                        }
                    }
                    (Encode::Number { at, mean, sd }, Data::Num { real, syn, hold }) => {
                        let v = pick(real, syn, hold.as_deref(), from)[r];
                        if v.is_nan() {
                            m.index.push(at + 1);
                            m.value.push(1.0);
                        } else {
                            m.index.push(*at);
                            m.value.push(((v - mean) / sd).clamp(-CAP, CAP));
                        }
                    }
                    _ => {}
                }
            }
            m.offsets.push(m.index.len());
        }
        m
    }
}

fn pick<'a, T>(real: &'a [T], syn: &'a [T], hold: Option<&'a [T]>, from: Part) -> &'a [T] {
    match from {
        Part::Real => real,
        Part::Syn => syn,
        Part::Hold => hold.unwrap_or(&[]),
    }
}

/// Trains on real and on synthetic rows and tests both on real rows; `Err` says why it
/// cannot (a note for the report).
pub(crate) fn utility(t: &Aligned, label: &str, seed: u64) -> Result<Utility, String> {
    let li = t
        .columns
        .iter()
        .position(|c| c.decl.name == label)
        .ok_or_else(|| format!("the label `{label}` is not evaluated"))?;
    let Data::Cat {
        levels,
        real,
        syn,
        hold,
    } = &t.columns[li].data
    else {
        return Err(format!(
            "the label `{label}` is numeric; the classifier needs classes"
        ));
    };
    let (train_real, test, test_from, test_set) = match t.hold_rows {
        Some(n) => (
            (0..t.real_rows).collect::<Vec<_>>(),
            (0..n).collect::<Vec<_>>(),
            Part::Hold,
            "holdout".to_string(),
        ),
        None => {
            let order = sample_rows(t.real_rows, t.real_rows, seed, "evaluate/split");
            let cut = (t.real_rows * 7).div_ceil(10);
            let (mut a, mut b) = (order[..cut].to_vec(), order[cut..].to_vec());
            a.sort_unstable();
            b.sort_unstable();
            (a, b, Part::Real, "real 30% split".to_string())
        }
    };
    // Rows without a label teach nothing and cannot be scored.
    let labelled = |codes: &[u32], rows: Vec<usize>| -> Vec<usize> {
        rows.into_iter().filter(|&r| codes[r] != NULL).collect()
    };
    let train_real = labelled(real, train_real);
    let test = labelled(pick(real, syn, hold.as_deref(), test_from), test);
    // Classes: the label levels of the real training rows, in level order.
    let mut class_of = vec![None; levels.len()];
    let mut counts = vec![0usize; levels.len()];
    for &r in &train_real {
        counts[real[r] as usize] += 1;
    }
    let mut classes = 0;
    for (code, n) in counts.iter().enumerate() {
        if *n > 0 {
            class_of[code] = Some(classes);
            classes += 1;
        }
    }
    if classes < 2 {
        return Err(format!(
            "the label `{label}` takes fewer than two values in the real training rows"
        ));
    }
    if test.is_empty() {
        return Err("no labelled test rows".to_string());
    }
    let class = |c: u32| -> Option<usize> {
        if c == NULL {
            None
        } else {
            class_of[c as usize]
        }
    };
    // Synthetic rows whose label is not a real class cannot be learnt from.
    let train_syn: Vec<usize> = (0..t.syn_rows)
        .filter(|&r| class(syn[r]).is_some())
        .collect();
    if train_syn.is_empty() {
        return Err(format!(
            "no synthetic row has a value of `{label}` that the real rows have"
        ));
    }
    let cap = |rows: Vec<usize>, purpose: &str| -> Vec<usize> {
        if rows.len() <= MAX_TRAIN_ROWS {
            return rows;
        }
        let mut at = sample_rows(rows.len(), MAX_TRAIN_ROWS, seed, purpose);
        at.sort_unstable();
        at.into_iter().map(|i| rows[i]).collect()
    };
    let train_real = cap(train_real, "evaluate/train-real");
    let train_syn = cap(train_syn, "evaluate/train-synthetic");

    let enc = Encoder::fit(t, li, &train_real);
    let x_real = enc.encode(t, Part::Real, &train_real);
    let x_syn = enc.encode(t, Part::Syn, &train_syn);
    let x_test = enc.encode(t, test_from, &test);
    let y_real: Vec<usize> = train_real.iter().filter_map(|&r| class(real[r])).collect();
    let y_syn: Vec<usize> = train_syn.iter().filter_map(|&r| class(syn[r])).collect();
    let test_codes = pick(real, syn, hold.as_deref(), test_from);
    let y_test: Vec<Option<usize>> = test.iter().map(|&r| class(test_codes[r])).collect();

    let (m_real, m_syn) = rayon::join(
        || train(&x_real, &y_real, classes),
        || train(&x_syn, &y_syn, classes),
    );
    let trtr = accuracy(&m_real, &x_test, &y_test);
    let tstr = accuracy(&m_syn, &x_test, &y_test);
    let mut per_class = vec![0usize; classes];
    for y in &y_real {
        per_class[*y] += 1;
    }
    let majority = (0..classes).fold(0, |b, k| if per_class[k] > per_class[b] { k } else { b });
    let majority_baseline =
        y_test.iter().filter(|y| **y == Some(majority)).count() as f64 / y_test.len() as f64;
    Ok(Utility {
        label: label.to_string(),
        test_set,
        test_rows: test.len(),
        train_rows_real: train_real.len(),
        train_rows_synthetic: train_syn.len(),
        features: enc.features,
        trtr_accuracy: trtr,
        tstr_accuracy: tstr,
        ratio: if trtr > 0.0 { tstr / trtr } else { 0.0 },
        majority_baseline,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn learns_a_separable_problem() {
        // Three classes by the sign pattern of two features; linearly separable.
        let mut rows = Vec::new();
        let mut y = Vec::new();
        for i in 0..300 {
            let a = (i % 17) as f64 / 17.0 - 0.5;
            let b = (i % 13) as f64 / 13.0 - 0.5;
            let class = if a > 0.05 {
                0
            } else if b > 0.05 {
                1
            } else if a < -0.05 && b < -0.05 {
                2
            } else {
                continue;
            };
            rows.push(vec![a * 4.0, b * 4.0]);
            y.push(class);
        }
        let x = Matrix::from_dense(&rows);
        let m = train(&x, &y, 3);
        let truth: Vec<Option<usize>> = y.iter().map(|c| Some(*c)).collect();
        let acc = accuracy(&m, &x, &truth);
        assert!(acc > 0.97, "accuracy {acc}");
        // Far-out points get the obvious class.
        let probe = Matrix::from_dense(&[vec![2.0, -2.0], vec![-2.0, 2.0], vec![-2.0, -2.0]]);
        assert_eq!(
            (0..3).map(|i| m.predict(&probe, i)).collect::<Vec<_>>(),
            vec![0, 1, 2]
        );
    }

    #[test]
    fn training_is_the_same_on_any_thread_count() {
        let rows: Vec<Vec<f64>> = (0..5000)
            .map(|i| vec![(i % 7) as f64 - 3.0, ((i * 31) % 11) as f64 / 5.0 - 1.0])
            .collect();
        let y: Vec<usize> = (0..5000)
            .map(|i| usize::from(i % 7 + (i * 31) % 11 > 8))
            .collect();
        let x = Matrix::from_dense(&rows);
        let on = |threads: usize| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .expect("pool")
                .install(|| train(&x, &y, 2).w)
        };
        assert_eq!(on(1), on(3));
    }
}
