//! Raking at the person with parity of labels in child rows: the weights of classes of
//! people (people who share their root cell, protected group and counts of labelled child
//! rows, so every step treats them alike) under two kinds of constraints.
//!
//! - A share margin: the classes' weight per group is a target share of the total (the root
//!   table's `targets:`, its label-parity margin, a protected group's share of the people).
//! - A tilt: a child label's favourable rate among the child rows of one protected group,
//!   each row weighted by its person's weight, equals a target rate `rho`. With `a` a
//!   person's favourable rows in the group and `n` all their labelled rows there, that is
//!   `sum_p w_p (a_p - rho n_p) = 0`, linear in the people's weights. A person whose child
//!   rows carry mixed labels counts with both: only `x_p = a_p - rho n_p` matters, and a
//!   person without rows in the group has `x_p = 0` and is left alone by the tilt.
//!
//! Each step of a sweep is an exact I-projection (the weights closest to the current ones in
//! Kullback-Leibler divergence that meet one constraint): a margin scales each group by
//! `target / share` (iterative proportional fitting), a tilt multiplies each class by
//! `exp(lambda x_c)` with the one `lambda` that zeroes `sum_c W_c x_c exp(lambda x_c)`, found
//! by Newton's method inside a bracket (the sum increases with `lambda`). Cycling through
//! I-projections onto linear families converges to the weights of least divergence from the
//! start weights that meet all of them, when positive weights meeting them exist (Csiszar
//! 1975); they then have the form `start * exp(sum of the constraints' multipliers)`, so
//! people alike in every constraint keep the ratio of their start weights.
//!
//! A tilt can be met only if its group has people on both sides of `rho` (some with `x > 0`,
//! some with `x < 0`): a group whose child rows are all favourable (or none is) cannot be
//! brought to any other rate by weighting its people. [`infeasible`] says so before the
//! iteration, which then stops when every share and rate is within the tolerance of its
//! target or at the sweep limit. Everything runs in class order on one thread: the same
//! weights at any thread count.

use super::StopReason;

/// A share margin over the classes: every class in one group, each group a target share of
/// the total weight.
#[derive(Debug, Clone)]
pub(super) struct Shares {
    /// The group of every class.
    pub(super) group: Vec<usize>,
    /// Target share of every group (summing to 1).
    pub(super) target: Vec<f64>,
}

/// The parity of one protected group for one child label: `sum_c W_c x_c = 0`.
#[derive(Debug, Clone)]
pub(super) struct Tilt {
    /// Per class with labelled child rows in the group: the class, `x = a - rho n` of each of
    /// its people, and their labelled rows `n`.
    pub(super) members: Vec<(usize, f64, f64)>,
}

impl Tilt {
    /// How far the group's rate is from its target under the class weights `w`:
    /// `|sum W x| / sum W n`, the rate minus the target rate.
    pub(super) fn error(&self, w: &[f64]) -> f64 {
        let (mut num, mut den) = (0.0, 0.0);
        for &(c, x, n) in &self.members {
            num += w[c] * x;
            den += w[c] * n;
        }
        if den > 0.0 {
            (num / den).abs()
        } else {
            0.0
        }
    }
}

/// Why a tilt cannot be met by any positive weights: every member on one side of the target
/// rate (`Some(true)`: all at or above it, at least one above; `Some(false)`: all at or below
/// it, at least one below). `None` when the tilt can be met (or all members are at it).
pub(super) fn infeasible(t: &Tilt) -> Option<bool> {
    let above = t.members.iter().any(|m| m.1 > 0.0);
    let below = t.members.iter().any(|m| m.1 < 0.0);
    match (above, below) {
        (true, false) => Some(true),
        (false, true) => Some(false),
        _ => None,
    }
}

/// The result of [`fit`].
#[derive(Debug, Clone)]
pub(super) struct Fit {
    /// The final weight of every class.
    pub(super) weights: Vec<f64>,
    /// Sweeps run.
    pub(super) iterations: usize,
    /// Why the iteration stopped.
    pub(super) stop: StopReason,
    /// The largest error over every margin (|share - target|) and tilt (|rate - target|).
    pub(super) worst: f64,
}

/// Per margin, the share of the total weight of each group under `w`.
pub(super) fn shares(m: &Shares, w: &[f64], total: f64) -> Vec<f64> {
    let mut s = vec![0.0; m.target.len()];
    for (g, w) in m.group.iter().zip(w) {
        s[*g] += w;
    }
    s.iter_mut().for_each(|x| *x /= total);
    s
}

fn worst(margins: &[Shares], tilts: &[Tilt], w: &[f64], total: f64) -> f64 {
    let m = margins
        .iter()
        .flat_map(|m| {
            shares(m, w, total)
                .into_iter()
                .zip(&m.target)
                .map(|(a, t)| (a - t).abs())
                .collect::<Vec<_>>()
        })
        .fold(0.0, f64::max);
    tilts.iter().map(|t| t.error(w)).fold(m, f64::max)
}

/// The multiplier of a tilt: the `lambda` with `sum_c w_c x_c exp(lambda x_c) = 0` (0 when
/// the members cannot move it). The sum is evaluated with its largest exponent taken out, so
/// it neither overflows nor underflows to nothing while the bracket is searched.
fn multiplier(w: &[f64], members: &[(usize, f64, f64)]) -> f64 {
    let f = |lambda: f64| -> (f64, f64) {
        let top = members
            .iter()
            .map(|&(_, x, _)| lambda * x)
            .fold(f64::NEG_INFINITY, f64::max);
        let (mut f, mut d) = (0.0, 0.0);
        for &(c, x, _) in members {
            let e = w[c] * (lambda * x - top).exp();
            f += e * x;
            d += e * x * x;
        }
        (f, d)
    };
    let f0 = f(0.0).0;
    let above = members.iter().any(|m| m.1 > 0.0);
    let below = members.iter().any(|m| m.1 < 0.0);
    if f0 == 0.0 || !(above && below) {
        return 0.0;
    }
    // A bracket [lo, hi] with f(lo) < 0 < f(hi): f increases with lambda.
    let (mut lo, mut hi) = if f0 < 0.0 { (0.0, 1.0) } else { (-1.0, 0.0) };
    for _ in 0..80 {
        if f0 < 0.0 {
            if f(hi).0 > 0.0 {
                break;
            }
            lo = hi;
            hi *= 2.0;
        } else {
            if f(lo).0 < 0.0 {
                break;
            }
            hi = lo;
            lo *= 2.0;
        }
    }
    let mut lambda = 0.0;
    for _ in 0..200 {
        let (v, d) = f(lambda);
        if v == 0.0 {
            break;
        }
        if v < 0.0 {
            lo = lo.max(lambda);
        } else {
            hi = hi.min(lambda);
        }
        let mut next = lambda - v / d;
        if !(next > lo && next < hi) {
            next = 0.5 * (lo + hi);
        }
        let done = (next - lambda).abs() <= 1e-15 * lambda.abs().max(1.0);
        lambda = next;
        if done {
            break;
        }
    }
    lambda
}

/// Cyclic I-projections from the class weights `start`: each sweep tilts the weights to
/// every tilt, then scales them to every margin (so the margins hold exactly after each
/// sweep) and, without margins, back to the start total. Stops when the largest error is
/// within `tolerance`, or after `max_iterations` sweeps with the last weights.
pub(super) fn fit(
    start: &[f64],
    margins: &[Shares],
    tilts: &[Tilt],
    tolerance: f64,
    max_iterations: usize,
) -> Fit {
    let total: f64 = start.iter().sum();
    let mut w = start.to_vec();
    let mut err = worst(margins, tilts, &w, total);
    if err <= tolerance {
        return Fit {
            weights: w,
            iterations: 0,
            stop: StopReason::Converged,
            worst: err,
        };
    }
    for iteration in 1..=max_iterations {
        for t in tilts {
            let lambda = multiplier(&w, &t.members);
            if lambda != 0.0 {
                for &(c, x, _) in &t.members {
                    w[c] *= (lambda * x).exp();
                }
            }
        }
        for m in margins {
            let mut sum = vec![0.0; m.target.len()];
            for (g, wc) in m.group.iter().zip(&w) {
                sum[*g] += wc;
            }
            let factor: Vec<f64> = sum
                .iter()
                .zip(&m.target)
                .map(|(s, t)| if *s > 0.0 { t * total / s } else { 1.0 })
                .collect();
            for (g, wc) in m.group.iter().zip(w.iter_mut()) {
                *wc *= factor[*g];
            }
        }
        if margins.is_empty() {
            let now: f64 = w.iter().sum();
            if now > 0.0 && now.is_finite() {
                w.iter_mut().for_each(|x| *x *= total / now);
            }
        }
        err = worst(margins, tilts, &w, total);
        if err <= tolerance {
            return Fit {
                weights: w,
                iterations: iteration,
                stop: StopReason::Converged,
                worst: err,
            };
        }
    }
    Fit {
        weights: w,
        iterations: max_iterations,
        stop: StopReason::MaxIterations,
        worst: err,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two groups of two classes of one person each. Women: one person with 1 good loan of 1
    /// (x = 1 - rho), one with 0 good of 2 (x = -2 rho). Men: one with 2 good of 2, one with
    /// 0 good of 1. rho = 3/6 = 1/2 (unit start weights). The women's rate is 1/3, the men's
    /// 2/3. Parity with the groups' shares kept at 1/2 each, by hand: in each group the two
    /// people's weights u, v (u + v = 2, the group's share of the total 4) solve
    /// u * x_u + v * x_v = 0. Women: u/2 - v = 0, so u = 4/3, v = 2/3 (rate 4/3 / (4/3 + 4/3)
    /// = 1/2). Men: u - v/2 = 0, so u = 2/3, v = 4/3 (rate 4/3 / (4/3 + 4/3) = 1/2).
    #[test]
    fn tilts_and_shares_meet_the_hand_computed_weights() {
        let rho = 0.5;
        let start = vec![1.0; 4];
        let margins = vec![Shares {
            group: vec![0, 0, 1, 1],
            target: vec![0.5, 0.5],
        }];
        let tilts = vec![
            Tilt {
                members: vec![(0, 1.0 - rho, 1.0), (1, -2.0 * rho, 2.0)],
            },
            Tilt {
                members: vec![(2, 2.0 - 2.0 * rho, 2.0), (3, -rho, 1.0)],
            },
        ];
        let f = fit(&start, &margins, &tilts, 1e-12, 100);
        assert_eq!(f.stop, StopReason::Converged);
        let want = [4.0 / 3.0, 2.0 / 3.0, 2.0 / 3.0, 4.0 / 3.0];
        for (got, want) in f.weights.iter().zip(want) {
            assert!((got - want).abs() < 1e-9, "{:?}", f.weights);
        }
        // The weighted rates: women (1 * 4/3) / (1 * 4/3 + 2 * 2/3), men (2 * 2/3) / (2 * 2/3 + 4/3).
        assert!(tilts.iter().all(|t| t.error(&f.weights) < 1e-12));
        assert!(f.worst <= 1e-12);
    }

    /// A person with mixed children (1 good of 2) sits at rho = 1/2 and is left alone by the
    /// tilt; the others move. Without margins the total stays.
    #[test]
    fn a_person_at_the_target_rate_keeps_their_weight_ratio_to_the_start() {
        let start = vec![2.0, 1.0, 1.0];
        // x: mixed person 1 - 0.5 * 2 = 0; one all good (1 of 1): 0.5; one all bad (0 of 3): -1.5.
        let tilts = vec![Tilt {
            members: vec![(0, 0.0, 2.0), (1, 0.5, 1.0), (2, -1.5, 3.0)],
        }];
        let f = fit(&start, &[], &tilts, 1e-12, 100);
        assert_eq!(f.stop, StopReason::Converged);
        let total: f64 = f.weights.iter().sum();
        assert!((total - 4.0).abs() < 1e-12);
        // 0.5 * w1 = 1.5 * w2, and w1 = exp(0.5 l) s, w2 = exp(-1.5 l) s, w0 = s * 2.
        assert!((0.5 * f.weights[1] - 1.5 * f.weights[2]).abs() < 1e-12);
        let s = f.weights[0] / 2.0;
        let l = (f.weights[1] / s).ln() / 0.5;
        assert!((f.weights[2] / s - (-1.5 * l).exp()).abs() < 1e-9);
    }

    #[test]
    fn a_group_on_one_side_of_the_target_is_infeasible() {
        let all_good = Tilt {
            members: vec![(0, 0.5, 1.0), (1, 0.0, 2.0)],
        };
        assert_eq!(infeasible(&all_good), Some(true));
        let all_bad = Tilt {
            members: vec![(0, -0.5, 1.0)],
        };
        assert_eq!(infeasible(&all_bad), Some(false));
        let both = Tilt {
            members: vec![(0, -0.5, 1.0), (1, 0.5, 1.0)],
        };
        assert_eq!(infeasible(&both), None);
        // The iteration leaves an infeasible tilt alone rather than running off to 0 or NaN.
        let f = fit(&[1.0, 1.0], &[], &[all_good], 1e-10, 5);
        assert_eq!(f.stop, StopReason::MaxIterations);
        assert!(f.weights.iter().all(|w| w.is_finite() && *w > 0.0));
    }
}
