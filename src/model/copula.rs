//! A Gaussian copula within the network: the numeric nodes are drawn from their conditional
//! tables by inverse CDF, with uniforms that are correlated instead of independent.
//!
//! The network keeps how every column depends on its parents, but with at most a few parents
//! (each costing a table) it loses much of the dependence between numeric columns that are not
//! parent and child, or only through a coarse view. At fit time every numeric node's value is
//! turned into its conditional probability-integral transform given its parents (randomised
//! within the code's step, since codes are discrete), then into a normal score; the copula is
//! the correlation matrix of these scores. Sampling draws correlated normal scores, maps them
//! to uniforms, and picks each numeric node's code at that uniform in its conditional table.
//! Every conditional table (so every column's shares and its dependence on its parents) is
//! kept exactly in expectation; what the copula adds is the residual rank correlation. The
//! model stores only the correlation matrix: no value and no row.

use rand::RngExt;
use rand_distr::StandardNormal;

use super::discretise::Encoded;
use super::{Copula, Node, VarKind};

/// Standard normal CDF.
pub(super) fn phi(z: f64) -> f64 {
    0.5 * libm::erfc(-z / std::f64::consts::SQRT_2)
}

/// Inverse standard normal CDF: Acklam's rational approximation (relative error 1.2e-9),
/// refined by one Halley step on `phi`.
pub(super) fn phi_inv(p: f64) -> f64 {
    const A: [f64; 6] = [
        -3.969683028665376e1,
        2.209460984245205e2,
        -2.759285104469687e2,
        1.38357751867269e2,
        -3.066479806614716e1,
        2.506628277459239,
    ];
    const B: [f64; 5] = [
        -5.447609879822406e1,
        1.615858368580409e2,
        -1.556_989_798_598_866e2,
        6.680131188771972e1,
        -1.328068155288572e1,
    ];
    const C: [f64; 6] = [
        -7.784894002430293e-3,
        -3.223964580411365e-1,
        -2.400758277161838,
        -2.549732539343734,
        4.374664141464968,
        2.938163982698783,
    ];
    const D: [f64; 4] = [
        7.784695709041462e-3,
        3.224671290700398e-1,
        2.445134137142996,
        3.754408661907416,
    ];
    let p = p.clamp(1e-300, 1.0 - 1e-16);
    let low = 0.02425;
    let x = if p < low {
        let q = (-2.0 * p.ln()).sqrt();
        (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    } else if p <= 1.0 - low {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    } else {
        let q = (-2.0 * (1.0 - p).ln()).sqrt();
        -(((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    };
    let e = phi(x) - p;
    let u = e * (2.0 * std::f64::consts::PI).sqrt() * (x * x / 2.0).exp();
    x - u / (1.0 + x * u / 2.0)
}

/// Lower Cholesky factor of the symmetric `k x k` matrix `m` (row-major), or `None` when it
/// is not positive definite.
pub(super) fn cholesky(m: &[f64], k: usize) -> Option<Vec<f64>> {
    let mut l = vec![0.0; k * k];
    for i in 0..k {
        for j in 0..=i {
            let s: f64 = (0..j).map(|t| l[i * k + t] * l[j * k + t]).sum();
            if i == j {
                let d = m[i * k + i] - s;
                if d <= 1e-12 {
                    return None;
                }
                l[i * k + i] = d.sqrt();
            } else {
                l[i * k + j] = (m[i * k + j] - s) / l[j * k + j];
            }
        }
    }
    Some(l)
}

/// Fits the copula over the numeric nodes that are not drawn by a deterministic relation
/// (`exact`: node variables a relation fixes). `None` with fewer than two such nodes.
pub(super) fn fit(
    enc: &[Encoded],
    nodes: &[Node],
    exact: &[usize],
    rows: usize,
    seed: u64,
) -> Option<Copula> {
    let members: Vec<&Node> = nodes
        .iter()
        .filter(|n| {
            matches!(enc[n.var].var.kind, VarKind::Numeric { .. })
                && enc[n.var].card() >= 3
                && !exact.contains(&n.var)
        })
        .collect();
    if members.len() < 2 || rows < 3 {
        return None;
    }
    // Normal scores of each member, row by row.
    let scores: Vec<Vec<f64>> = members
        .iter()
        .map(|n| {
            let card = enc[n.var].card();
            let mut rng = crate::synth::stream(seed, &enc[n.var].var.name, 3, 0);
            let mut keys = vec![0usize; rows];
            for (i, &p) in n.parents.iter().enumerate() {
                let map = n.groups.get(i).map_or(&[][..], Vec::as_slice);
                let cp = super::structure::view_card(map, enc[p].card());
                for (k, c) in keys.iter_mut().zip(&enc[p].codes) {
                    *k = *k * cp + if map.is_empty() { *c } else { map[*c as usize] } as usize;
                }
            }
            keys.iter()
                .zip(&enc[n.var].codes)
                .map(|(&k, &c)| {
                    let cfg = &n.counts[k * card..(k + 1) * card];
                    let total: f64 = cfg.iter().sum();
                    let below: f64 = cfg[..c as usize].iter().sum();
                    let r: f64 = rng.random();
                    let u = (below + r * cfg[c as usize]) / total;
                    phi_inv(u.clamp(1e-9, 1.0 - 1e-9))
                })
                .collect()
        })
        .collect();
    let k = members.len();
    let mean: Vec<f64> = scores
        .iter()
        .map(|s| s.iter().sum::<f64>() / rows as f64)
        .collect();
    let sd: Vec<f64> = scores
        .iter()
        .zip(&mean)
        .map(|(s, m)| (s.iter().map(|x| (x - m).powi(2)).sum::<f64>() / rows as f64).sqrt())
        .collect();
    let mut corr = vec![0.0; k * k];
    for i in 0..k {
        corr[i * k + i] = 1.0;
        for j in 0..i {
            let c = scores[i]
                .iter()
                .zip(&scores[j])
                .map(|(a, b)| (a - mean[i]) * (b - mean[j]))
                .sum::<f64>()
                / rows as f64
                / (sd[i] * sd[j]).max(f64::MIN_POSITIVE);
            // Rounded so the file carries an aggregate, not noise from single rows.
            let c = (c * 1e4).round() / 1e4;
            corr[i * k + j] = c;
            corr[j * k + i] = c;
        }
    }
    // Shrink towards the identity until positive definite (rounding can break it).
    let mut m = corr.clone();
    let mut shrink = 0.0;
    while cholesky(&m, k).is_none() && shrink < 1.0 {
        shrink += 0.01;
        for i in 0..k {
            for j in 0..k {
                if i != j {
                    m[i * k + j] = corr[i * k + j] * (1.0 - shrink);
                }
            }
        }
    }
    Some(Copula {
        vars: members.iter().map(|n| n.var).collect(),
        correlation: m,
    })
}

/// Correlated uniforms for `rows` rows of a block: `rows x k`, row-major.
pub(super) fn uniforms(chol: &[f64], k: usize, rows: usize, rng: &mut impl rand::Rng) -> Vec<f64> {
    let mut out = vec![0.0; rows * k];
    let mut z = vec![0.0; k];
    for r in 0..rows {
        for x in z.iter_mut() {
            *x = rng.sample(StandardNormal);
        }
        for i in 0..k {
            let y: f64 = (0..=i).map(|t| chol[i * k + t] * z[t]).sum();
            out[r * k + i] = phi(y);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phi_inv_inverts_phi() {
        for p in [1e-12, 1e-6, 0.01, 0.0243, 0.2, 0.5, 0.77, 0.975, 0.999999] {
            let x = phi_inv(p);
            assert!((phi(x) - p).abs() <= 1e-12 + 1e-9 * p, "{p} {x}");
        }
        assert!((phi_inv(0.975) - 1.959963984540054).abs() < 1e-9);
    }

    #[test]
    fn cholesky_reproduces_the_matrix_and_refuses_singular_ones() {
        let m = [1.0, 0.5, 0.2, 0.5, 1.0, -0.3, 0.2, -0.3, 1.0];
        let l = cholesky(&m, 3).expect("positive definite");
        for i in 0..3 {
            for j in 0..3 {
                let s: f64 = (0..3).map(|t| l[i * 3 + t] * l[j * 3 + t]).sum();
                assert!((s - m[i * 3 + j]).abs() < 1e-12);
            }
        }
        assert!(cholesky(&[1.0, 1.0, 1.0, 1.0], 2).is_none());
    }

    #[test]
    fn uniforms_are_uniform_with_the_asked_correlation() {
        let r = 0.6;
        let l = cholesky(&[1.0, r, r, 1.0], 2).expect("pd");
        let mut rng = crate::synth::stream(3, "t", 0, 0);
        let n = 100_000;
        let u = uniforms(&l, 2, n, &mut rng);
        let mean = u.iter().sum::<f64>() / (2 * n) as f64;
        assert!((mean - 0.5).abs() < 0.005);
        let z: Vec<f64> = u.iter().map(|p| phi_inv(*p)).collect();
        let c = (0..n).map(|i| z[2 * i] * z[2 * i + 1]).sum::<f64>() / n as f64;
        assert!((c - r).abs() < 0.01, "{c}");
    }
}
