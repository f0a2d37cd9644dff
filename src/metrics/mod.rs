//! Metrics shared by the reports and by `evaluate`: distances between distributions
//! (total variation, Kolmogorov-Smirnov), correlation, and contingency similarity; and the
//! formulas between numeric columns that hold on every row ([`formulas`], found by `fit` of
//! linked tables and checked by `evaluate`).
//!
//! Pure functions on plain slices, so every command computes a figure the same way, and each
//! is checked against numpy/scipy on committed fixtures (tests/metrics.rs).

use std::collections::BTreeMap;

pub mod formulas;
pub mod weighted;

/// Total variation distance between the level distributions of two categorical samples:
/// half the sum over all levels of |p - q|. 0 for identical distributions, 1 for disjoint.
/// Empty samples count as having no mass (distance 0 to another empty one).
pub fn tvd<S: AsRef<str>>(a: &[S], b: &[S]) -> f64 {
    let mut p: BTreeMap<&str, (f64, f64)> = BTreeMap::new();
    for v in a {
        p.entry(v.as_ref()).or_default().0 += 1.0;
    }
    for v in b {
        p.entry(v.as_ref()).or_default().1 += 1.0;
    }
    let (na, nb) = (a.len().max(1) as f64, b.len().max(1) as f64);
    0.5 * p
        .values()
        .map(|(x, y)| (x / na - y / nb).abs())
        .sum::<f64>()
}

/// The two-sample Kolmogorov-Smirnov statistic: the largest distance between the empirical
/// distribution functions, evaluated after every distinct value (ties handled jointly).
/// NaN values are ignored; an empty sample gives `None`.
pub fn ks_statistic(a: &[f64], b: &[f64]) -> Option<f64> {
    let mut x: Vec<f64> = a.iter().copied().filter(|v| !v.is_nan()).collect();
    let mut y: Vec<f64> = b.iter().copied().filter(|v| !v.is_nan()).collect();
    if x.is_empty() || y.is_empty() {
        return None;
    }
    x.sort_by(f64::total_cmp);
    y.sort_by(f64::total_cmp);
    let (nx, ny) = (x.len() as f64, y.len() as f64);
    let (mut i, mut j, mut d) = (0usize, 0usize, 0.0f64);
    while i < x.len() && j < y.len() {
        let v = x[i].min(y[j]);
        // Step past every copy of v in both samples before comparing the two functions.
        while i < x.len() && x[i] <= v {
            i += 1;
        }
        while j < y.len() && y[j] <= v {
            j += 1;
        }
        d = d.max((i as f64 / nx - j as f64 / ny).abs());
    }
    Some(d)
}

/// Pearson's correlation coefficient; `None` when either variable is constant or the
/// samples are shorter than 2 or of different lengths.
pub fn pearson(x: &[f64], y: &[f64]) -> Option<f64> {
    if x.len() != y.len() || x.len() < 2 {
        return None;
    }
    // A constant variable has no correlation, whatever rounding leaves in its centred sums
    // (the mean of n copies of 0.1 need not be 0.1).
    let constant = |v: &[f64]| v.iter().all(|a| *a == v[0]);
    if constant(x) || constant(y) {
        return None;
    }
    let n = x.len() as f64;
    let (mx, my) = (x.iter().sum::<f64>() / n, y.iter().sum::<f64>() / n);
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (a, b) in x.iter().zip(y) {
        let (da, db) = (a - mx, b - my);
        sxy += da * db;
        sxx += da * da;
        syy += db * db;
    }
    (sxx > 0.0 && syy > 0.0).then(|| (sxy / (sxx * syy).sqrt()).clamp(-1.0, 1.0))
}

/// Contingency similarity of a pair of categorical columns: 1 - TVD between the two samples'
/// joint (2-way) level distributions.
pub fn contingency_similarity<S: AsRef<str>>(real: &[(S, S)], synthetic: &[(S, S)]) -> f64 {
    let key = |(a, b): &(S, S)| format!("{}\u{1f}{}", a.as_ref(), b.as_ref());
    let r: Vec<String> = real.iter().map(key).collect();
    let s: Vec<String> = synthetic.iter().map(key).collect();
    1.0 - tvd(&r, &s)
}

/// Correlation similarity of a pair of numeric columns: 1 - |r_real - r_synthetic| / 2, so 1
/// when the correlations agree and 0 when they are opposite extremes. `None` when either
/// correlation is undefined.
pub fn correlation_similarity(real: (&[f64], &[f64]), synthetic: (&[f64], &[f64])) -> Option<f64> {
    let a = pearson(real.0, real.1)?;
    let b = pearson(synthetic.0, synthetic.1)?;
    Some(1.0 - (a - b).abs() / 2.0)
}

/// [`tvd`] on dense codes: `a` and `b` hold level indices below `levels` (a code at or
/// above `levels` is a caller bug and panics). One counting pass per sample instead of a
/// string map, for million-row columns.
pub fn tvd_codes(a: &[u32], b: &[u32], levels: usize) -> f64 {
    let (ca, cb) = (counts(a, levels), counts(b, levels));
    tvd_of_counts(&ca, a.len(), &cb, b.len())
}

/// [`contingency_similarity`] on dense codes: the first column's codes lie below `levels.0`,
/// the second's below `levels.1`; each pair of slices has one entry per row.
pub fn contingency_similarity_codes(
    real: (&[u32], &[u32]),
    synthetic: (&[u32], &[u32]),
    levels: (usize, usize),
) -> f64 {
    let cells = levels.0 * levels.1;
    let joint = |x: &[u32], y: &[u32]| {
        let mut c = vec![0u64; cells];
        for (a, b) in x.iter().zip(y) {
            c[*a as usize * levels.1 + *b as usize] += 1;
        }
        c
    };
    let (r, s) = (joint(real.0, real.1), joint(synthetic.0, synthetic.1));
    1.0 - tvd_of_counts(&r, real.0.len(), &s, synthetic.0.len())
}

fn counts(codes: &[u32], levels: usize) -> Vec<u64> {
    let mut c = vec![0u64; levels];
    for v in codes {
        c[*v as usize] += 1;
    }
    c
}

/// Half the L1 distance between two count vectors as shares; empty samples have no mass,
/// as in [`tvd`].
pub(crate) fn tvd_of_counts(a: &[u64], na: usize, b: &[u64], nb: usize) -> f64 {
    let (na, nb) = (na.max(1) as f64, nb.max(1) as f64);
    0.5 * a
        .iter()
        .zip(b)
        .map(|(x, y)| (*x as f64 / na - *y as f64 / nb).abs())
        .sum::<f64>()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn extremes() {
        assert_eq!(tvd(&["a", "b"], &["b", "a"]), 0.0);
        assert_eq!(tvd(&["a"], &["b"]), 1.0);
        assert_eq!(ks_statistic(&[1.0, 2.0], &[3.0]), Some(1.0));
        assert_eq!(ks_statistic(&[], &[3.0]), None);
        assert_eq!(pearson(&[1.0, 2.0, 3.0], &[2.0, 4.0, 6.0]), Some(1.0));
        assert_eq!(pearson(&[1.0, 2.0, 3.0], &[5.0, 5.0, 5.0]), None);
        assert_eq!(
            pearson(&[0.1; 7], &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0]),
            None
        );
    }

    proptest! {
        /// Distances stay in [0, 1], are symmetric and vanish on identical samples.
        #[test]
        fn distances_are_bounded_symmetric_and_zero_on_equal_samples(
            a in proptest::collection::vec(-50i32..50, 1..60),
            b in proptest::collection::vec(-50i32..50, 1..60),
        ) {
            let fa: Vec<f64> = a.iter().map(|v| f64::from(*v)).collect();
            let fb: Vec<f64> = b.iter().map(|v| f64::from(*v)).collect();
            let ks = ks_statistic(&fa, &fb).expect("non-empty");
            prop_assert!((0.0..=1.0).contains(&ks));
            prop_assert_eq!(Some(ks), ks_statistic(&fb, &fa));
            prop_assert_eq!(ks_statistic(&fa, &fa), Some(0.0));
            let sa: Vec<String> = a.iter().map(|v| (v % 7).to_string()).collect();
            let sb: Vec<String> = b.iter().map(|v| (v % 7).to_string()).collect();
            let t = tvd(&sa, &sb);
            prop_assert!((0.0..=1.0 + 1e-12).contains(&t));
            prop_assert!((t - tvd(&sb, &sa)).abs() < 1e-12);
            prop_assert!(tvd(&sa, &sa).abs() < 1e-12);
        }

        /// The code-based versions give the string versions' values.
        #[test]
        fn code_versions_equal_the_string_versions(
            a in proptest::collection::vec((0u32..5, 0u32..3), 0..80),
            b in proptest::collection::vec((0u32..5, 0u32..3), 0..80),
        ) {
            let text = |v: &[(u32, u32)], first: bool| -> Vec<String> {
                v.iter().map(|(x, y)| if first { x } else { y }.to_string()).collect()
            };
            let codes = |v: &[(u32, u32)], first: bool| -> Vec<u32> {
                v.iter().map(|(x, y)| if first { *x } else { *y }).collect()
            };
            let want = tvd(&text(&a, true), &text(&b, true));
            let got = tvd_codes(&codes(&a, true), &codes(&b, true), 5);
            prop_assert!((want - got).abs() < 1e-12, "{want} vs {got}");
            let pairs = |v: &[(u32, u32)]| -> Vec<(String, String)> {
                v.iter().map(|(x, y)| (x.to_string(), y.to_string())).collect()
            };
            let want = contingency_similarity(&pairs(&a), &pairs(&b));
            let got = contingency_similarity_codes(
                (&codes(&a, true), &codes(&a, false)),
                (&codes(&b, true), &codes(&b, false)),
                (5, 3),
            );
            prop_assert!((want - got).abs() < 1e-12, "{want} vs {got}");
        }
    }
}
