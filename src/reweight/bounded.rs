//! The margin step of bounded raking: scaling the cells of a margin's groups towards their
//! targets while every cell's total weight stays within its limits and the total weight stays
//! where it started.
//!
//! Bounds are relative to the mean weight. Raking keeps the total weight, so the mean weight
//! is the start's (total / rows) at every step and the bounds are fixed limits per cell.
//! A step cannot always give every group its target: the cells of a group may all sit at their
//! upper limit below it. The shortfall then goes to the other groups of the margin, in
//! proportion to their targets, so the weights still add up to the total (and the mean, which
//! the bounds are relative to, does not move).

/// `a` scaled by `s` and clamped to `[lo, hi]`; `a = 0` stays at `lo` (a group or cell with
/// nothing to scale).
fn clamped(s: f64, a: f64, lo: f64, hi: f64) -> f64 {
    if a > 0.0 {
        (s * a).clamp(lo, hi)
    } else {
        lo
    }
}

/// The scale `s >= 0` at which `sum_i clamp(s * a_i, lo_i, hi_i)` equals `want` (each
/// `a_i >= 0`, `0 <= lo_i <= hi_i`, `hi_i` possibly infinite): 0 when `want` is at most the
/// sum of the lower limits, infinity when it is at least the sum of the upper limits.
///
/// The sum is piecewise linear and non-decreasing in `s`, with a break where an item leaves
/// its lower limit (`lo_i / a_i`) and where it reaches its upper one (`hi_i / a_i`); walking the
/// breaks in order finds the piece that reaches `want` and solves it exactly.
pub(super) fn clamped_scale(a: &[f64], lo: &[f64], hi: &[f64], want: f64) -> f64 {
    let sum_lo: f64 = lo.iter().sum();
    if want <= sum_lo {
        return 0.0;
    }
    let sum_hi: f64 = a
        .iter()
        .zip(lo.iter().zip(hi))
        .map(|(a, (lo, hi))| if *a > 0.0 { *hi } else { *lo })
        .sum();
    if want >= sum_hi {
        return f64::INFINITY;
    }
    let mut breaks: Vec<(f64, f64)> = Vec::with_capacity(2 * a.len());
    for ((a, lo), hi) in a.iter().zip(lo).zip(hi) {
        if *a > 0.0 {
            breaks.push((lo / a, *a));
            breaks.push((hi / a, -a));
        }
    }
    breaks.sort_by(|x, y| x.0.total_cmp(&y.0));
    let (mut s, mut value, mut slope) = (0.0f64, sum_lo, 0.0f64);
    for (at, change) in breaks {
        if at > s && slope > 0.0 {
            let next = value + slope * (at - s);
            if next >= want {
                return s + (want - value) / slope;
            }
            value = next;
        }
        s = s.max(at);
        slope += change;
    }
    // Rounding only: `want` lies below the sum of the upper limits.
    s
}

/// The range of total weight each group of a margin can reach: the sums of its cells' limits.
pub(super) fn group_limits(members: &[Vec<usize>], limits: &[(f64, f64)]) -> Vec<(f64, f64)> {
    members
        .iter()
        .map(|cells| {
            cells.iter().fold((0.0, 0.0), |(lo, hi), &c| {
                (lo + limits[c].0, hi + limits[c].1)
            })
        })
        .collect()
}

/// One bounded margin step on the cell weights `w`: each group's cells are scaled by a common
/// factor, clamped to their `limits`, so that the group reaches its goal. The goals are the
/// targets' totals (`target * total`) clamped to what each group can reach (`groups`, from
/// [`group_limits`]), scaled together so that they add up to `total`: a group that cannot
/// reach its target leaves the difference to the others, in proportion to their targets. The
/// weights then keep their total, and every cell stays within its limits.
///
/// The caller checks that `total` lies within the sums of the cells' limits.
pub(super) fn margin_step(
    w: &mut [f64],
    members: &[Vec<usize>],
    target: &[f64],
    groups: &[(f64, f64)],
    limits: &[(f64, f64)],
    total: f64,
) {
    let want: Vec<f64> = target.iter().map(|t| t * total).collect();
    let (glo, ghi): (Vec<f64>, Vec<f64>) = groups.iter().copied().unzip();
    let s = clamped_scale(&want, &glo, &ghi, total);
    let mut a = Vec::new();
    let mut lo = Vec::new();
    let mut hi = Vec::new();
    for (g, cells) in members.iter().enumerate() {
        let goal = clamped(s, want[g], glo[g], ghi[g]);
        a.clear();
        lo.clear();
        hi.clear();
        for &c in cells {
            a.push(w[c]);
            lo.push(limits[c].0);
            hi.push(limits[c].1);
        }
        let f = clamped_scale(&a, &lo, &hi, goal);
        for (k, &c) in cells.iter().enumerate() {
            w[c] = clamped(f, a[k], lo[k], hi[k]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sum_at(s: f64, a: &[f64], lo: &[f64], hi: &[f64]) -> f64 {
        a.iter()
            .zip(lo.iter().zip(hi))
            .map(|(a, (lo, hi))| clamped(s, *a, *lo, *hi))
            .sum()
    }

    #[test]
    fn the_scale_hits_the_wanted_sum_with_items_at_both_limits() {
        let a = [1.0, 2.0, 3.0, 4.0];
        let lo = [0.9, 0.0, 0.0, 0.0];
        let hi = [f64::INFINITY, 2.5, 10.0, 5.0];
        // At s = 1.5: 1.5, 2.5 (capped), 4.5, 5 (capped) = 13.5.
        let s = clamped_scale(&a, &lo, &hi, 13.5);
        assert!((s - 1.5).abs() < 1e-12, "{s}");
        for want in [1.0, 3.0, 7.5, 10.0, 20.0, 100.0] {
            let s = clamped_scale(&a, &lo, &hi, want);
            assert!((sum_at(s, &a, &lo, &hi) - want).abs() < 1e-9, "{want}");
        }
        // Below every lower limit and above every upper limit.
        assert_eq!(clamped_scale(&a, &lo, &hi, 0.5), 0.0);
        let capped = [2.0, 2.5, 10.0, 5.0];
        assert_eq!(clamped_scale(&a, &lo, &capped, 30.0), f64::INFINITY);
        assert_eq!(sum_at(f64::INFINITY, &a, &lo, &capped), 19.5);
    }

    #[test]
    fn a_step_keeps_the_total_and_the_limits_when_a_group_cannot_reach_its_target() {
        // Two groups of two cells each; group 0 can reach at most 3 of the 10 it is asked for.
        let mut w = vec![1.0, 1.0, 1.0, 1.0];
        let members = vec![vec![0, 1], vec![2, 3]];
        let limits = vec![(0.0, 1.5), (0.0, 1.5), (0.0, 20.0), (0.0, 20.0)];
        let groups = group_limits(&members, &limits);
        margin_step(&mut w, &members, &[0.5, 0.5], &groups, &limits, 20.0);
        assert_eq!(&w[..2], &[1.5, 1.5]);
        assert!((w.iter().sum::<f64>() - 20.0).abs() < 1e-12, "{w:?}");
        assert!(w
            .iter()
            .zip(&limits)
            .all(|(w, (lo, hi))| w >= lo && w <= hi));
        // Reachable targets are hit exactly.
        let mut w = vec![1.0, 3.0, 2.0, 2.0];
        margin_step(&mut w, &members, &[0.25, 0.75], &groups, &limits, 8.0);
        assert!((w[0] + w[1] - 2.0).abs() < 1e-12 && (w[2] + w[3] - 6.0).abs() < 1e-12);
        assert!(
            (w[1] / w[0] - 3.0).abs() < 1e-12,
            "one factor per group: {w:?}"
        );
    }
}
