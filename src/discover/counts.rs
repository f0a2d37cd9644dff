//! Children per parent: how many child rows hold each parent key (zero for parents without
//! children), summarised (range, mean, share with none, quantiles) and expressed as a count
//! distribution of the schema language (`poisson`, or `gamma`/`lognormal` by moments when the
//! counts vary much more than a Poisson's), with `min`/`max` from the data.

use serde::Serialize;

use crate::hash::FastMap;

/// Quantiles reported as evidence.
pub(crate) const QUANTILES: [f64; 6] = [0.1, 0.25, 0.5, 0.75, 0.9, 0.99];

/// A count distribution of the schema language.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Fit {
    /// Poisson with rate `lambda`.
    Poisson {
        /// Rate.
        lambda: f64,
    },
    /// Gamma with `shape` and `scale` (by moments).
    Gamma {
        /// Shape.
        shape: f64,
        /// Scale.
        scale: f64,
    },
    /// Log-normal with `mu` and `sigma` (by moments).
    Lognormal {
        /// Mean of the log.
        mu: f64,
        /// Standard deviation of the log.
        sigma: f64,
    },
}

impl Fit {
    /// The distribution as a YAML flow mapping.
    pub fn yaml(&self) -> String {
        match self {
            Fit::Poisson { lambda } => format!("{{kind: poisson, lambda: {}}}", round4(*lambda)),
            Fit::Gamma { shape, scale } => format!(
                "{{kind: gamma, shape: {}, scale: {}}}",
                round4(*shape),
                round4(*scale)
            ),
            Fit::Lognormal { mu, sigma } => format!(
                "{{kind: lognormal, mu: {}, sigma: {}}}",
                round4(*mu),
                round4(*sigma)
            ),
        }
    }
}

/// Children per parent for one foreign key.
#[derive(Debug, Clone, Serialize)]
pub struct ChildrenStats {
    /// Parents (rows of the parent table).
    pub parents: u64,
    /// Fewest children of a parent.
    pub min: u64,
    /// Most children of a parent.
    pub max: u64,
    /// Mean children per parent.
    pub mean: f64,
    /// Variance of the children per parent.
    pub variance: f64,
    /// Share of parents without children.
    pub zero_share: f64,
    /// Quantiles (share, count), nearest rank.
    pub quantiles: Vec<(f64, u64)>,
    /// The count distribution drafted.
    pub fit: Fit,
    /// Why this distribution.
    pub fit_reason: String,
}

impl ChildrenStats {
    /// The observed summary, one line.
    pub fn observed(&self) -> String {
        let q: Vec<String> = self
            .quantiles
            .iter()
            .map(|(p, v)| format!("p{} {v}", (p * 100.0).round()))
            .collect();
        format!(
            "min {}, max {}, mean {}, none {:.1}%, {}",
            self.min,
            self.max,
            round4(self.mean),
            100.0 * self.zero_share,
            q.join(", ")
        )
    }
}

/// `x` to four significant digits, printed as people write it.
pub(crate) fn round4(x: f64) -> f64 {
    if x == 0.0 || !x.is_finite() {
        return 0.0;
    }
    let e = x.abs().log10().floor() as i32;
    let f = 10f64.powi(3 - e);
    if 3 - e >= 0 {
        (x * f).round() / f
    } else {
        (x / 10f64.powi(e - 3)).round() * 10f64.powi(e - 3)
    }
}

/// The number of children of every parent key (`parent`'s keys), sorted.
pub(crate) fn children_counts(child: &FastMap<u64, u32>, parent: &FastMap<u64, u32>) -> Vec<u64> {
    let mut v: Vec<u64> = parent
        .keys()
        .map(|k| child.get(k).copied().map_or(0, u64::from))
        .collect();
    v.sort_unstable();
    v
}

/// Summarises sorted counts and fits a distribution; `None` when there is no parent.
pub(crate) fn stats(sorted: &[u64]) -> Option<ChildrenStats> {
    let n = sorted.len();
    let (&min, &max) = (sorted.first()?, sorted.last()?);
    let mean = sorted.iter().map(|&x| x as f64).sum::<f64>() / n as f64;
    let variance = sorted
        .iter()
        .map(|&x| (x as f64 - mean).powi(2))
        .sum::<f64>()
        / n as f64;
    let zero_share = sorted.iter().take_while(|&&x| x == 0).count() as f64 / n as f64;
    let quantiles = QUANTILES
        .iter()
        .map(|&p| {
            let rank = ((p * n as f64).ceil() as usize).clamp(1, n);
            (p, sorted[rank - 1])
        })
        .collect();
    let (fit, fit_reason) = fit(min, max, mean, variance);
    Some(ChildrenStats {
        parents: n as u64,
        min,
        max,
        mean,
        variance,
        zero_share,
        quantiles,
        fit,
        fit_reason,
    })
}

/// Counts vary this many times more than a Poisson's (variance over mean) before a gamma or
/// log-normal is drafted instead.
const OVERDISPERSED: f64 = 1.5;

/// The count distribution for counts between `min` and `max` with this mean and variance.
pub(crate) fn fit(min: u64, max: u64, mean: f64, variance: f64) -> (Fit, String) {
    if min == max {
        return (
            Fit::Poisson {
                lambda: (min as f64).max(0.001),
            },
            format!("every parent has {min}: min = max fixes the count"),
        );
    }
    let dispersion = if mean > 0.0 { variance / mean } else { 0.0 };
    if dispersion <= OVERDISPERSED {
        let lambda = clamped_poisson_lambda(min, max, mean);
        return (
            Fit::Poisson { lambda },
            format!(
                "variance/mean {:.2}: Poisson, its rate set so that the mean after clamping to [{min}, {max}] is the observed {}",
                dispersion,
                round4(mean)
            ),
        );
    }
    if min >= 1 {
        let sigma2 = (1.0 + variance / (mean * mean)).ln();
        (
            Fit::Lognormal {
                mu: mean.ln() - sigma2 / 2.0,
                sigma: sigma2.sqrt(),
            },
            format!(
                "variance/mean {dispersion:.2}, every parent has a child: log-normal by moments"
            ),
        )
    } else {
        (
            Fit::Gamma {
                shape: mean * mean / variance,
                scale: variance / mean,
            },
            format!("variance/mean {dispersion:.2}: gamma by moments"),
        )
    }
}

/// The mean of a Poisson(`lambda`) clamped to [`lo`, `hi`].
fn clamped_poisson_mean(lambda: f64, lo: u64, hi: u64) -> f64 {
    let ln_l = lambda.ln();
    let mut below_hi = 0.0; // P(X < hi)
    let mut mean = 0.0;
    for k in 0..hi {
        let p = (-lambda + k as f64 * ln_l - libm::lgamma(k as f64 + 1.0)).exp();
        below_hi += p;
        mean += p * k.max(lo) as f64;
    }
    mean + (1.0 - below_hi).max(0.0) * hi as f64
}

/// The Poisson rate whose draws, clamped to [`lo`, `hi`], have mean `target` (bisection; the
/// clamped mean grows with the rate).
pub(crate) fn clamped_poisson_lambda(lo: u64, hi: u64, target: f64) -> f64 {
    if hi > 10_000 {
        // Far bounds barely bind: the rate is the mean.
        return round4(target.max(1e-6));
    }
    let (mut a, mut b) = (1e-6_f64, (hi as f64).max(1.0) * 4.0 + 10.0);
    for _ in 0..100 {
        let m = (a + b) / 2.0;
        if clamped_poisson_mean(m, lo, hi) < target {
            a = m;
        } else {
            b = m;
        }
    }
    round4((a + b) / 2.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_include_parents_without_children() {
        let child: FastMap<u64, u32> = [(1, 3), (2, 1)].into_iter().collect();
        let parent: FastMap<u64, u32> = [(1, 1), (2, 1), (3, 1), (4, 1)].into_iter().collect();
        let c = children_counts(&child, &parent);
        assert_eq!(c, [0, 0, 1, 3]);
        let s = stats(&c).unwrap();
        assert_eq!((s.min, s.max), (0, 3));
        assert_eq!(s.mean, 1.0);
        assert_eq!(s.zero_share, 0.5);
        assert_eq!(s.quantiles[2], (0.5, 0)); // nearest rank: the 2nd of 4
        assert_eq!(s.quantiles[5], (0.99, 3));
        assert!(stats(&[]).is_none());
    }

    #[test]
    fn constant_counts_are_fixed() {
        let s = stats(&[1, 1, 1]).unwrap();
        assert_eq!((s.min, s.max), (1, 1));
        assert!(matches!(s.fit, Fit::Poisson { .. }));
    }

    #[test]
    fn poisson_rate_matches_the_clamped_mean() {
        // One or two children, 19% with two: clamped to [1, 2] a Poisson must give mean 1.19.
        let l = clamped_poisson_lambda(1, 2, 1.19);
        assert!((clamped_poisson_mean(l, 1, 2) - 1.19).abs() < 1e-3, "{l}");
        // Without binding bounds the rate is the mean.
        let l = clamped_poisson_lambda(0, 60, 3.0);
        assert!((l - 3.0).abs() < 1e-3, "{l}");
    }

    #[test]
    fn overdispersed_counts_get_gamma_or_lognormal() {
        let (f, _) = fit(0, 100, 5.0, 100.0);
        match f {
            Fit::Gamma { shape, scale } => {
                assert!((shape * scale - 5.0).abs() < 1e-9);
                assert!((shape * scale * scale - 100.0).abs() < 1e-9);
            }
            other => panic!("{other:?}"),
        }
        let (f, _) = fit(1, 700, 70.0, 6000.0);
        match f {
            Fit::Lognormal { mu, sigma } => {
                let m = (mu + sigma * sigma / 2.0).exp();
                assert!((m - 70.0).abs() < 1e-6, "{m}");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn rounding_keeps_four_digits() {
        assert_eq!(round4(1.234567), 1.235);
        assert_eq!(round4(70.12345), 70.12);
        assert_eq!(round4(123456.0), 123500.0);
        assert_eq!(round4(0.000123456), 0.0001235);
    }
}
