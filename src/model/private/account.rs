//! Privacy accounting and the noise primitives: zero-concentrated differential privacy
//! (ρ-zCDP, Bun & Steinke 2016) and its conversion to (ε, δ), the Gaussian and Laplace
//! mechanisms on count tables, and the exponential mechanism (by the Gumbel-max trick).
//!
//! Facts used (all for the add-or-remove-one-row relation, where a count table has L1 and
//! L2 sensitivity 1):
//! - the Gaussian mechanism of scale σ on a query of L2 sensitivity Δ is `Δ² / (2σ²)`-zCDP;
//! - the exponential mechanism with parameter ε (scores of sensitivity Δ, probability
//!   `∝ exp(ε · score / (2Δ))`) is ε-DP and `ε² / 8`-zCDP (Cesar & Rogers 2021);
//! - zCDP composes by adding the ρ; pure ε-DP by adding the ε;
//! - ρ-zCDP implies (ε, δ)-DP with `ε = inf_{α>1} αρ + (ln(1/δ) + (α−1) ln(1 − 1/α) − ln α)
//!   / (α−1)` (Canonne, Kamath & Steinke 2020, Corollary 13), never more than the classic
//!   `ρ + 2√(ρ ln(1/δ))` (Bun & Steinke 2016, Proposition 1.3).
//!
//! The noise is drawn in floating point from a seeded ChaCha stream (Box–Muller, inversion):
//! the textbook mechanisms, not a discrete sampler hardened against floating-point attacks.

use rand::RngExt;

/// ε of the classic bound `ρ + 2√(ρ ln(1/δ))`.
pub fn epsilon_classic(rho: f64, delta: f64) -> f64 {
    rho + 2.0 * (rho * (1.0 / delta).ln()).sqrt()
}

/// The smallest ε such that ρ-zCDP implies (ε, δ)-DP by Canonne, Kamath & Steinke's bound
/// (never more than [`epsilon_classic`]); 0 for ρ = 0.
pub fn epsilon_of_rho(rho: f64, delta: f64) -> f64 {
    if rho <= 0.0 {
        return 0.0;
    }
    let ln_inv = (1.0 / delta).ln();
    let f = |a: f64| a * rho + (ln_inv + (a - 1.0) * (1.0 - 1.0 / a).ln() - a.ln()) / (a - 1.0);
    // The bound is convex in α near its minimum: a coarse scan of ln(α − 1), then a golden
    // section search around the best point.
    let g = |t: f64| f(1.0 + t.exp());
    let (mut best_t, mut best) = (0.0, f64::INFINITY);
    let mut t = -12.0;
    while t <= 12.0 {
        let v = g(t);
        if v < best {
            (best_t, best) = (t, v);
        }
        t += 0.05;
    }
    let (mut lo, mut hi) = (best_t - 0.05, best_t + 0.05);
    let phi = (5f64.sqrt() - 1.0) / 2.0;
    for _ in 0..80 {
        let (x1, x2) = (hi - phi * (hi - lo), lo + phi * (hi - lo));
        if g(x1) < g(x2) {
            hi = x2;
        } else {
            lo = x1;
        }
    }
    best.min(g((lo + hi) / 2.0))
        .min(epsilon_classic(rho, delta))
}

/// The largest ρ whose [`epsilon_of_rho`] at `delta` is at most `epsilon` (bisection to a
/// relative 1e-12).
pub fn rho_for_epsilon(epsilon: f64, delta: f64) -> f64 {
    // ε ≥ ρ always, so ρ lies in [0, ε].
    let (mut lo, mut hi) = (0.0, epsilon);
    for _ in 0..200 {
        let mid = (lo + hi) / 2.0;
        if epsilon_of_rho(mid, delta) <= epsilon {
            lo = mid;
        } else {
            hi = mid;
        }
        if hi - lo <= 1e-12 * hi {
            break;
        }
    }
    lo
}

/// σ of the Gaussian mechanism that spends `rho` on each of `queries` queries of L2
/// sensitivity 1 sharing `rho_total` equally: `√(queries / (2 ρ_total))`.
pub fn gaussian_sigma(rho_total: f64, queries: usize) -> f64 {
    (queries as f64 / (2.0 * rho_total)).sqrt()
}

/// ρ of `queries` Gaussian queries of L2 sensitivity 1 at scale σ: `queries / (2σ²)`.
pub fn gaussian_rho(sigma: f64, queries: usize) -> f64 {
    queries as f64 / (2.0 * sigma * sigma)
}

/// ρ of `selections` exponential mechanisms of parameter ε each: `selections · ε² / 8`.
pub fn exponential_rho(epsilon: f64, selections: usize) -> f64 {
    selections as f64 * epsilon * epsilon / 8.0
}

/// ε of each of `selections` exponential mechanisms sharing `rho_total`: `√(8ρ / k)`.
pub fn exponential_epsilon(rho_total: f64, selections: usize) -> f64 {
    (8.0 * rho_total / selections.max(1) as f64).sqrt()
}

/// A standard normal draw (Box–Muller).
pub fn standard_normal(rng: &mut impl rand::Rng) -> f64 {
    loop {
        let u1: f64 = rng.random::<f64>();
        let u2: f64 = rng.random::<f64>();
        if u1 > 0.0 {
            return (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos();
        }
    }
}

/// A Laplace draw of scale `b` (inversion).
pub fn laplace(rng: &mut impl rand::Rng, b: f64) -> f64 {
    loop {
        let u: f64 = rng.random::<f64>() - 0.5;
        if u.abs() < 0.5 {
            return -b * u.signum() * (1.0 - 2.0 * u.abs()).ln();
        }
    }
}

/// A standard Gumbel draw.
fn gumbel(rng: &mut impl rand::Rng) -> f64 {
    loop {
        let u: f64 = rng.random::<f64>();
        if u > 0.0 {
            return -(-u.ln()).ln();
        }
    }
}

/// The exponential mechanism: the index of one of `scores` (sensitivity `sensitivity`),
/// chosen with probability `∝ exp(ε · score / (2 · sensitivity))`, by adding Gumbel noise to
/// the scaled scores and taking the largest. `None` when `scores` is empty.
pub fn exponential(
    rng: &mut impl rand::Rng,
    scores: &[f64],
    epsilon: f64,
    sensitivity: f64,
) -> Option<usize> {
    let mut best: Option<(usize, f64)> = None;
    for (i, s) in scores.iter().enumerate() {
        let v = epsilon * s / (2.0 * sensitivity) + gumbel(rng);
        if best.is_none_or(|(_, b)| v > b) {
            best = Some((i, v));
        }
    }
    best.map(|b| b.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conversion_is_tight_and_never_above_the_classic_bound() {
        for &rho in &[1e-4, 0.01, 0.1, 1.0, 10.0] {
            for &delta in &[1e-5, 1e-9, 1e-12] {
                let e = epsilon_of_rho(rho, delta);
                let c = epsilon_classic(rho, delta);
                assert!(e <= c + 1e-12, "rho {rho} delta {delta}: {e} > {c}");
                assert!(e > rho, "{e}");
                // The bound at any α is at least its infimum.
                let ln_inv = (1.0 / delta).ln();
                for &a in &[1.5, 2.0, 5.0, 50.0] {
                    let fa =
                        a * rho + (ln_inv + (a - 1.0) * (1.0 - 1.0 / a).ln() - a.ln()) / (a - 1.0);
                    assert!(e <= fa + 1e-9, "{e} > f({a}) = {fa}");
                }
            }
        }
        // ρ = 0.5, δ = 1e-6: ε = 5.757 by the classic bound, 5.222 by the tight one.
        let c = epsilon_classic(0.5, 1e-6);
        assert!((c - (0.5 + 2.0 * (0.5 * 1e6f64.ln()).sqrt())).abs() < 1e-12);
        let e = epsilon_of_rho(0.5, 1e-6);
        assert!(
            (c - 5.7565).abs() < 1e-3 && (e - 5.2215).abs() < 1e-3,
            "{c} {e}"
        );
    }

    #[test]
    fn rho_for_epsilon_inverts_the_conversion() {
        for &eps in &[0.1, 0.3, 1.0, 3.0, 10.0] {
            for &delta in &[1e-6, 1e-9] {
                let rho = rho_for_epsilon(eps, delta);
                let back = epsilon_of_rho(rho, delta);
                assert!(back <= eps && eps - back < 1e-9, "{eps} {back}");
            }
        }
        // Monotone: more ε, more ρ; smaller δ, less ρ.
        assert!(rho_for_epsilon(1.0, 1e-9) < rho_for_epsilon(2.0, 1e-9));
        assert!(rho_for_epsilon(1.0, 1e-12) < rho_for_epsilon(1.0, 1e-6));
    }

    #[test]
    fn mechanism_costs_follow_their_formulas_and_compose() {
        // σ for k queries sharing ρ, and back.
        let s = gaussian_sigma(0.02, 8);
        assert!((s - (8.0f64 / 0.04).sqrt()).abs() < 1e-12);
        assert!((gaussian_rho(s, 8) - 0.02).abs() < 1e-15);
        assert!((gaussian_rho(2.0, 1) - 0.125).abs() < 1e-15);
        let e = exponential_epsilon(0.01, 4);
        assert!((e - 0.02f64.sqrt()).abs() < 1e-12);
        assert!((exponential_rho(e, 4) - 0.01).abs() < 1e-15);
        // Composition: the ρ of parts add up; half the ρ each gives the same total.
        let whole = gaussian_rho(gaussian_sigma(0.05, 10), 10);
        let parts = gaussian_rho(gaussian_sigma(0.025, 5), 5) * 2.0;
        assert!((whole - parts).abs() < 1e-15);
    }

    #[test]
    fn gaussian_noise_has_the_stated_scale() {
        let mut rng = crate::synth::stream(3, "t", 0, 0);
        let n = 200_000usize;
        let sigma = 4.0;
        let xs: Vec<f64> = (0..n).map(|_| sigma * standard_normal(&mut rng)).collect();
        let mean = xs.iter().sum::<f64>() / n as f64;
        let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n as f64;
        // Standard errors: mean σ/√n; variance σ²·√(2/n). Tolerance five of them.
        let nf = n as f64;
        assert!(mean.abs() < 5.0 * sigma / nf.sqrt(), "{mean}");
        assert!(
            (var / (sigma * sigma) - 1.0).abs() < 5.0 * (2.0 / nf).sqrt(),
            "{var}"
        );
        // Tails: P(|X| > 2σ) = 0.0455, binomial standard error √(p(1-p)/n).
        let p = xs.iter().filter(|x| x.abs() > 2.0 * sigma).count() as f64 / nf;
        assert!(
            (p - 0.0455).abs() < 5.0 * (0.0455f64 * 0.9545 / nf).sqrt(),
            "{p}"
        );
    }

    #[test]
    fn exponential_mechanism_picks_by_its_probabilities() {
        // Two candidates with scores 0 and 2, ε = 1, Δ = 1: P(second) = e / (1 + e).
        let mut rng = crate::synth::stream(5, "t", 0, 0);
        let n = 100_000;
        let hits = (0..n)
            .filter(|_| exponential(&mut rng, &[0.0, 2.0], 1.0, 1.0) == Some(1))
            .count() as f64
            / n as f64;
        let p = 1f64.exp() / (1.0 + 1f64.exp());
        assert!(
            (hits - p).abs() < 5.0 * (p * (1.0 - p) / n as f64).sqrt(),
            "{hits}"
        );
        assert_eq!(exponential(&mut rng, &[], 1.0, 1.0), None);
    }
}
