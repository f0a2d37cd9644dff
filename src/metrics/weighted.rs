//! The fidelity metrics with row weights on the first (reference) sample: a real table
//! reweighted to targets compared with an unweighted synthetic table (`evaluate --targets`).
//!
//! Each figure is the plain one with counts replaced by weight sums, so unit weights give the
//! plain figure. Rows of weight 0 count as absent. Checked against numpy on committed fixtures
//! (tests/metrics.rs, `tests/data/reference/make_weighted.py`).

/// Weighted shares of dense codes below `levels`; `None` when the weights sum to 0.
fn weighted_shares(codes: &[u32], weights: &[f64], levels: usize) -> Option<Vec<f64>> {
    let mut s = vec![0.0; levels];
    for (c, w) in codes.iter().zip(weights) {
        s[*c as usize] += w;
    }
    let total: f64 = s.iter().sum();
    (total > 0.0).then(|| s.into_iter().map(|x| x / total).collect())
}

fn shares(codes: &[u32], levels: usize) -> Vec<f64> {
    let mut s = vec![0.0; levels];
    for c in codes {
        s[*c as usize] += 1.0;
    }
    let n = codes.len().max(1) as f64;
    s.into_iter().map(|x| x / n).collect()
}

/// Total variation distance between the weighted level shares of `real` (codes below
/// `levels`, one weight per row) and the plain shares of `synthetic`. `None` when the
/// weights sum to 0.
pub fn tvd_codes(real: &[u32], weights: &[f64], synthetic: &[u32], levels: usize) -> Option<f64> {
    let p = weighted_shares(real, weights, levels)?;
    let q = shares(synthetic, levels);
    Some(0.5 * p.iter().zip(&q).map(|(a, b)| (a - b).abs()).sum::<f64>())
}

/// Contingency similarity (1 - TVD of the 2-way tables) of the weighted `real` pair against
/// the plain `synthetic` pair; the first column's codes lie below `levels.0`, the second's
/// below `levels.1`. `None` when the weights sum to 0.
pub fn contingency_similarity_codes(
    real: (&[u32], &[u32]),
    weights: &[f64],
    synthetic: (&[u32], &[u32]),
    levels: (usize, usize),
) -> Option<f64> {
    let joint = |x: &[u32], y: &[u32]| -> Vec<u32> {
        x.iter()
            .zip(y)
            .map(|(a, b)| a * levels.1 as u32 + b)
            .collect()
    };
    let cells = levels.0 * levels.1;
    tvd_codes(
        &joint(real.0, real.1),
        weights,
        &joint(synthetic.0, synthetic.1),
        cells,
    )
    .map(|t| 1.0 - t)
}

/// The two-sample Kolmogorov-Smirnov statistic between the weighted empirical distribution
/// function of `real` and the plain one of `synthetic`, evaluated after every distinct value
/// (ties jointly). NaN values (and their weights) are ignored; `None` when either side has no
/// value or the real weights sum to 0.
pub fn ks_statistic(real: &[f64], weights: &[f64], synthetic: &[f64]) -> Option<f64> {
    let mut x: Vec<(f64, f64)> = real
        .iter()
        .zip(weights)
        .filter(|(v, w)| !v.is_nan() && **w > 0.0)
        .map(|(v, w)| (*v, *w))
        .collect();
    let mut y: Vec<f64> = synthetic.iter().copied().filter(|v| !v.is_nan()).collect();
    if x.is_empty() || y.is_empty() {
        return None;
    }
    x.sort_by(|a, b| a.0.total_cmp(&b.0));
    y.sort_by(f64::total_cmp);
    let wx: f64 = x.iter().map(|p| p.1).sum();
    let ny = y.len() as f64;
    let (mut i, mut j, mut cx, mut d) = (0usize, 0usize, 0.0f64, 0.0f64);
    while i < x.len() && j < y.len() {
        let v = x[i].0.min(y[j]);
        while i < x.len() && x[i].0 <= v {
            cx += x[i].1;
            i += 1;
        }
        while j < y.len() && y[j] <= v {
            j += 1;
        }
        d = d.max((cx / wx - j as f64 / ny).abs());
    }
    Some(d)
}

/// Weighted Pearson correlation: weighted means, covariance and variances. `None` when the
/// lengths differ, the weights sum to 0 or either variable is constant under the weights.
pub fn pearson(x: &[f64], y: &[f64], weights: &[f64]) -> Option<f64> {
    if x.len() != y.len() || x.len() != weights.len() {
        return None;
    }
    let sw: f64 = weights.iter().sum();
    if sw <= 0.0 {
        return None;
    }
    let mx = x.iter().zip(weights).map(|(a, w)| a * w).sum::<f64>() / sw;
    let my = y.iter().zip(weights).map(|(b, w)| b * w).sum::<f64>() / sw;
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for ((a, b), w) in x.iter().zip(y).zip(weights) {
        let (da, db) = (a - mx, b - my);
        sxy += w * da * db;
        sxx += w * da * da;
        syy += w * db * db;
    }
    (sxx > 0.0 && syy > 0.0).then(|| (sxy / (sxx * syy).sqrt()).clamp(-1.0, 1.0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Unit weights give the plain figures; a whole-number weight equals repeating the row.
        #[test]
        fn unit_weights_are_the_plain_figures_and_weights_repeat_rows(
            a in proptest::collection::vec((0u32..4, 0u32..3, -20i32..20, 1u32..4), 2..50),
            b in proptest::collection::vec((0u32..4, 0u32..3, -20i32..20), 2..50),
        ) {
            let ca: Vec<u32> = a.iter().map(|r| r.0).collect();
            let da: Vec<u32> = a.iter().map(|r| r.1).collect();
            let xa: Vec<f64> = a.iter().map(|r| f64::from(r.2)).collect();
            let ya: Vec<f64> = a.iter().map(|r| f64::from(r.2 * r.2) + f64::from(r.0)).collect();
            let wa: Vec<f64> = a.iter().map(|r| f64::from(r.3)).collect();
            let cb: Vec<u32> = b.iter().map(|r| r.0).collect();
            let db: Vec<u32> = b.iter().map(|r| r.1).collect();
            let xb: Vec<f64> = b.iter().map(|r| f64::from(r.2)).collect();
            let ones = vec![1.0; a.len()];
            let close = |p: Option<f64>, q: Option<f64>| match (p, q) {
                (Some(p), Some(q)) => (p - q).abs() < 1e-9,
                (None, None) => true,
                _ => false,
            };
            prop_assert!(close(tvd_codes(&ca, &ones, &cb, 4), Some(crate::metrics::tvd_codes(&ca, &cb, 4))));
            prop_assert!(close(ks_statistic(&xa, &ones, &xb), crate::metrics::ks_statistic(&xa, &xb)));
            prop_assert!(close(pearson(&xa, &ya, &ones), crate::metrics::pearson(&xa, &ya)));
            prop_assert!(close(
                contingency_similarity_codes((&ca, &da), &ones, (&cb, &db), (4, 3)),
                Some(crate::metrics::contingency_similarity_codes((&ca, &da), (&cb, &db), (4, 3)))
            ));
            // Repeat each row `w` times: the weighted figure equals the plain one.
            let rep = |v: &[f64]| -> Vec<f64> {
                v.iter().zip(&a).flat_map(|(x, r)| std::iter::repeat_n(*x, r.3 as usize)).collect()
            };
            let repc = |v: &[u32]| -> Vec<u32> {
                v.iter().zip(&a).flat_map(|(x, r)| std::iter::repeat_n(*x, r.3 as usize)).collect()
            };
            prop_assert!(close(tvd_codes(&ca, &wa, &cb, 4), Some(crate::metrics::tvd_codes(&repc(&ca), &cb, 4))));
            prop_assert!(close(ks_statistic(&xa, &wa, &xb), crate::metrics::ks_statistic(&rep(&xa), &xb)));
            prop_assert!(close(pearson(&xa, &ya, &wa), crate::metrics::pearson(&rep(&xa), &rep(&ya))));
        }
    }

    #[test]
    fn zero_weights_count_as_absent() {
        assert_eq!(tvd_codes(&[0, 1], &[0.0, 0.0], &[0], 2), None);
        assert_eq!(tvd_codes(&[0, 1], &[1.0, 0.0], &[0], 2), Some(0.0));
        assert_eq!(ks_statistic(&[1.0, 9.0], &[2.0, 0.0], &[1.0]), Some(0.0));
        assert_eq!(
            pearson(&[1.0, 2.0, 3.0], &[1.0, 2.0, 3.0], &[1.0, 0.0, 0.0]),
            None
        );
    }
}
