//! Private discretisation of a numeric column (round 0 of the private fit).
//!
//! One query per numeric column: a noisy histogram of its values over fine cells of the
//! schema's public range `[min, max]` (one cell per whole number when the column holds whole
//! numbers and the range has at most [`MAX_UNIT_CELLS`] of them, else [`FINE_CELLS`] equal
//! cells), with the Gaussian (or Laplace) noise of the discretisation's share of the budget
//! ([`super::SHARE_DISCRETISE`], split equally over the numeric columns). A row falls in one
//! cell, so the histogram has L1 and L2 sensitivity 1. Everything else is post-processing of
//! that histogram, free of further budget:
//!
//! - **spikes**: a whole number whose noisy count reaches both a bin's share of the noisy
//!   total (`total / bins`) and a noise threshold (what the largest pure-noise cell of the
//!   histogram would rarely reach) is kept as an exact value, a bin of its own (at most
//!   `bins / 2` of them, the largest first);
//! - **bin edges**: when the schema gives the column bands (`bins: edges`), its public bins
//!   (`bins` equal widths within the bounds, the band edges splitting them), as before;
//!   otherwise the private quantiles of the rest: the cumulative noisy histogram (over coarse
//!   groups of cells, made non-decreasing) cut into `bins − spikes` equal shares. (On Adult,
//!   scored on the public equal-width bins, quantile edges cost 2-way TVD: BENCHMARKS.md,
//!   issue 22.)
//! - **shapes**: inside each interval bin, the shares of its [`SHAPE_PARTS`] sub-intervals
//!   from the noisy cells they cover, made non-negative and smoothed (weights 1, 2, 1); a bin
//!   whose noisy mass is within the noise of zero keeps the uniform shape.
//!
//! A range with no public bounds is an error before this (see `summary`).

use super::account;
use super::Budget;
use crate::model::discretise::Run;
use crate::model::fit::FitOptions;
use crate::model::{Bin, Point, SHAPE_PARTS};

/// The largest range of whole numbers measured one cell per number.
pub const MAX_UNIT_CELLS: usize = 1 << 17;
/// Cells of the histogram of any other range.
pub const FINE_CELLS: usize = 4096;
/// The cumulative histogram for the quantiles is taken over at most this many groups.
const COARSE: usize = 1024;

/// The noisy histogram of a column over its public range.
struct Histogram {
    lo: f64,
    /// Width of a cell (1 for whole-number cells).
    width: f64,
    /// One cell per whole number.
    unit: bool,
    counts: Vec<f64>,
}

impl Histogram {
    fn cell(&self, v: f64) -> usize {
        let k = ((v - self.lo) / self.width).floor();
        (k.max(0.0) as usize).min(self.counts.len() - 1)
    }

    fn start(&self, k: usize) -> f64 {
        self.lo + self.width * k as f64
    }
}

/// The noise threshold a single cell's count must reach to be a spike: about the largest of
/// `cells` noise draws, plus a margin.
fn noise_threshold(budget: Budget, scale: f64, cells: usize) -> f64 {
    let ln = (cells.max(2) as f64).ln();
    match budget {
        Budget::Rho(_) => scale * ((2.0 * ln).sqrt() + 2.0),
        Budget::Pure(_) => scale * (ln + 3.0),
    }
}

/// The bins of a numeric column under differential privacy, and the bin of each of its runs
/// (distinct values in order). `(lo, hi)` are the schema's bounds, `edges` its band edges,
/// `numeric` the number of numeric columns sharing the discretisation's budget; `name`
/// seeds the noise.
pub(in crate::model) fn private_bins(
    name: &str,
    runs: &[Run],
    integer: bool,
    edges: &[f64],
    (lo, hi): (f64, f64),
    numeric: usize,
    opts: &FitOptions,
) -> (Vec<Bin>, Vec<u32>) {
    let (budget, scale) = Budget::discretise(opts, numeric);
    let top = if integer { hi + 1.0 } else { hi };
    let width_all = top - lo;
    let span = if integer && width_all.is_finite() {
        width_all.max(1.0) as usize
    } else {
        usize::MAX
    };
    let unit = integer && lo.fract() == 0.0 && span <= MAX_UNIT_CELLS;
    let cells = if unit { span } else { FINE_CELLS };
    let width = if unit {
        1.0
    } else {
        (width_all / FINE_CELLS as f64).max(f64::MIN_POSITIVE)
    };
    let mut h = Histogram {
        lo,
        width,
        unit,
        counts: vec![0.0; cells],
    };
    for r in runs {
        let k = h.cell(r.value.clamp(lo, hi));
        h.counts[k] += r.rows as f64;
    }
    let mut rng = crate::synth::stream(opts.seed, &format!("\u{0}fit/private/bins/{name}"), 0, 0);
    for c in &mut h.counts {
        *c += match budget {
            Budget::Rho(_) => scale * account::standard_normal(&mut rng),
            Budget::Pure(_) => account::laplace(&mut rng, scale),
        };
    }
    let bins_wanted = opts.bins.max(1);
    let total: f64 = h.counts.iter().sum::<f64>().max(1.0);

    // Spikes: whole-number cells with a bin's share of the rows, above the noise. A range of
    // at most `bins` whole numbers has one bin per number anyway.
    let mut spikes: Vec<usize> = Vec::new();
    if h.unit && cells > bins_wanted {
        let floor = (total / bins_wanted as f64).max(noise_threshold(budget, scale, cells));
        let mut cand: Vec<(f64, usize)> = h
            .counts
            .iter()
            .enumerate()
            .filter(|(_, c)| **c >= floor)
            .map(|(k, c)| (*c, k))
            .collect();
        cand.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        cand.truncate(bins_wanted / 2);
        spikes = cand.into_iter().map(|(_, k)| k).collect();
        spikes.sort_unstable();
    }
    let is_spike = |k: usize| spikes.binary_search(&k).is_ok();

    // Cuts (as cell indices): the public equal-width bins when the schema gives bands, else
    // the private quantiles of the non-spike cells.
    let mut cuts: Vec<usize> = vec![0, cells];
    let parts = bins_wanted.saturating_sub(spikes.len()).max(1);
    if h.unit && cells <= bins_wanted {
        cuts.extend(1..cells);
    } else if !edges.is_empty() {
        // The schema's bands given: its public bins, `bins` equal widths within the bounds
        // (and the band edges, below).
        for k in 1..bins_wanted {
            let x = lo + width_all * k as f64 / bins_wanted as f64;
            let x = if integer { x.round() } else { x };
            cuts.push((((x - lo) / width).round() as usize).min(cells));
        }
    } else if parts > 1 {
        // The cumulative counts of coarse groups of cells, from the signed noisy counts (an
        // unbiased sum: clipping each cell at zero would inflate sparse tails) made
        // non-decreasing.
        let group = cells.div_ceil(COARSE);
        let mut cum: Vec<f64> = Vec::with_capacity(cells.div_ceil(group));
        let (mut acc, mut top_so_far) = (0.0f64, 0.0f64);
        for g in 0..cells.div_ceil(group) {
            acc += (g * group..((g + 1) * group).min(cells))
                .filter(|&k| !is_spike(k))
                .map(|k| h.counts[k])
                .sum::<f64>();
            top_so_far = top_so_far.max(acc);
            cum.push(top_so_far);
        }
        let mass = cum.last().copied().unwrap_or(0.0);
        if mass > 0.0 {
            let mut next = 1usize;
            for (g, c) in cum.iter().enumerate() {
                while next < parts && *c >= mass * next as f64 / parts as f64 {
                    cuts.push(((g + 1) * group).min(cells));
                    next += 1;
                }
            }
        }
    }
    // The schema's band edges, as cell boundaries (a whole-number edge is exact in unit
    // cells).
    for &e in edges {
        if e > lo && e < top {
            cuts.push((((e - lo) / width).round() as usize).min(cells));
        }
    }
    // Spikes split the interval around them.
    for &s in &spikes {
        cuts.push(s);
        cuts.push(s + 1);
    }
    cuts.sort_unstable();
    cuts.dedup();

    let mut bins: Vec<Bin> = Vec::with_capacity(cuts.len());
    for w in cuts.windows(2) {
        let (a, b) = (w[0], w[1]);
        if b == a + 1 && is_spike(a) {
            let v = h.start(a);
            bins.push(Bin {
                lo: v,
                hi: v,
                shape: Vec::new(),
                points: vec![Point {
                    value: v,
                    count: h.counts[a].max(0.0),
                }],
                spread: 0.0,
            });
            continue;
        }
        let (blo, bhi) = (h.start(a), if b == cells { top } else { h.start(b) });
        bins.push(Bin {
            lo: blo,
            hi: bhi,
            shape: smoothed_shape(&h, a, b, budget, scale),
            points: Vec::new(),
            spread: 0.0,
        });
    }
    // Each run's bin: by its cell (cuts are cell boundaries, so a cell lies in one bin).
    let codes = runs
        .iter()
        .map(|r| {
            let k = h.cell(r.value.clamp(lo, hi));
            (cuts.partition_point(|&c| c <= k).saturating_sub(1)).min(bins.len() - 1) as u32
        })
        .collect();
    (bins, codes)
}

/// The shape of the interval bin of cells `a..b`: each cell's noisy count spread over the
/// [`SHAPE_PARTS`] sub-intervals it overlaps, made non-negative, smoothed, as shares; empty
/// (uniform) when the bin's noisy mass is within twice the noise of its sum.
fn smoothed_shape(h: &Histogram, a: usize, b: usize, budget: Budget, scale: f64) -> Vec<f64> {
    let n = b - a;
    let mut parts = [0.0f64; SHAPE_PARTS];
    for k in a..b {
        // The cell spans [k − a, k − a + 1) of the bin's n cells; part i spans
        // [i n / P, (i + 1) n / P).
        let (c0, c1) = ((k - a) as f64, (k - a + 1) as f64);
        let p = SHAPE_PARTS as f64;
        let first = ((c0 * p / n as f64).floor() as usize).min(SHAPE_PARTS - 1);
        let last = (((c1 * p / n as f64).ceil() as usize).max(first + 1)).min(SHAPE_PARTS);
        for (i, part) in parts.iter_mut().enumerate().take(last).skip(first) {
            let (p0, p1) = (i as f64 * n as f64 / p, (i + 1) as f64 * n as f64 / p);
            let overlap = (c1.min(p1) - c0.max(p0)).max(0.0);
            *part += h.counts[k] * overlap;
        }
    }
    let sum: f64 = parts.iter().sum();
    let sd = match budget {
        Budget::Rho(_) => scale,
        Budget::Pure(_) => scale * std::f64::consts::SQRT_2,
    } * (n as f64).sqrt();
    if sum <= 2.0 * sd {
        return Vec::new();
    }
    let clipped: Vec<f64> = parts.iter().map(|p| p.max(0.0)).collect();
    let smooth: Vec<f64> = (0..SHAPE_PARTS)
        .map(|i| {
            let l = clipped[i.saturating_sub(1)];
            let r = clipped[(i + 1).min(SHAPE_PARTS - 1)];
            (l + 2.0 * clipped[i] + r) / 4.0
        })
        .collect();
    let t: f64 = smooth.iter().sum();
    if t <= 0.0 {
        return Vec::new();
    }
    smooth.iter().map(|s| s / t).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::private::DpMechanism;

    fn opts(epsilon: f64, seed: u64) -> FitOptions {
        FitOptions {
            epsilon: Some(epsilon),
            seed,
            ..FitOptions::default()
        }
    }

    fn runs_of(values: &[(f64, u64)]) -> Vec<Run> {
        values
            .iter()
            .map(|&(value, rows)| Run { value, rows })
            .collect()
    }

    /// Hours worked: 30,000 rows, 45 % at 40 and 10 % at 50, the rest spread over 1..=99.
    fn spiky() -> Vec<Run> {
        let mut v: Vec<(f64, u64)> = (1..=99).map(|x| (x as f64, 150u64)).collect();
        v[39].1 += 13_500;
        v[49].1 += 3_000;
        runs_of(&v)
    }

    fn spikes(bins: &[Bin]) -> Vec<f64> {
        bins.iter()
            .filter(|b| !b.points.is_empty())
            .map(|b| b.points[0].value)
            .collect()
    }

    #[test]
    fn spikes_are_found_on_a_spiky_column_and_not_on_a_flat_one() {
        for seed in 0..10 {
            let (bins, codes) =
                private_bins("h", &spiky(), true, &[], (1.0, 99.0), 1, &opts(1.0, seed));
            assert_eq!(spikes(&bins), vec![40.0, 50.0], "seed {seed}");
            // 40 and 50 are coded to their own bins, the others to intervals holding them.
            for (r, &c) in spiky().iter().zip(&codes) {
                let b = &bins[c as usize];
                if r.value == 40.0 || r.value == 50.0 {
                    assert_eq!(b.points[0].value, r.value);
                } else {
                    assert!(b.points.is_empty() && b.lo <= r.value && r.value < b.hi);
                }
            }
            // A flat column of the same size has none.
            let flat = runs_of(&(1..=99).map(|x| (x as f64, 300u64)).collect::<Vec<_>>());
            let (bins, _) = private_bins("h", &flat, true, &[], (1.0, 99.0), 1, &opts(1.0, seed));
            assert!(spikes(&bins).is_empty(), "seed {seed}: {:?}", spikes(&bins));
        }
        // At a tiny budget the noise threshold (σ about 2,000) keeps out even a value held by
        // 1,200 of 1,351 rows.
        let small = runs_of(&[(5.0, 150), (6.0, 1), (90.0, 1_200)]);
        let (bins, _) = private_bins("h", &small, true, &[], (1.0, 99.0), 1, &opts(0.01, 1));
        assert!(spikes(&bins).is_empty(), "{:?}", spikes(&bins));
    }

    #[test]
    fn quantile_edges_split_the_rows_evenly() {
        // 40,000 rows, three quarters of them in [0, 100) of the range [0, 1000): with four
        // bins the first three edges fall near 33, 67 and 100 (no spike: no whole number
        // holds a bin's share).
        let mut v: Vec<(f64, u64)> = (0..100).map(|x| (x as f64, 300u64)).collect();
        v.extend((100..1000).map(|x| (x as f64, 11u64)));
        let runs = runs_of(&v);
        let o = FitOptions {
            bins: 4,
            ..opts(1.0, 7)
        };
        let (bins, codes) = private_bins("q", &runs, true, &[], (0.0, 999.0), 1, &o);
        assert_eq!(bins.len(), 4);
        assert!(spikes(&bins).is_empty());
        let expect = [0.0, 33.25, 66.5, 99.75, 1000.0];
        for (b, e) in bins.iter().zip(expect.windows(2)) {
            assert!((b.lo - e[0]).abs() <= 3.0, "{} vs {}", b.lo, e[0]);
            assert!((b.hi - e[1]).abs() <= 3.0, "{} vs {}", b.hi, e[1]);
        }
        // Each bin's rows: within 5 % of a quarter.
        let mut rows = [0u64; 4];
        for (r, &c) in runs.iter().zip(&codes) {
            rows[c as usize] += r.rows;
        }
        let n: u64 = rows.iter().sum();
        for r in rows {
            assert!((r as f64 / n as f64 - 0.25).abs() < 0.05, "{rows:?}");
        }
    }

    #[test]
    fn schema_bands_keep_the_public_equal_width_bins() {
        // The same rows as above with a band edge at 500: the bins are the public ones,
        // 0, 250, 500, 750, 1000, not the quantiles.
        let mut v: Vec<(f64, u64)> = (0..100).map(|x| (x as f64, 300u64)).collect();
        v.extend((100..1000).map(|x| (x as f64, 11u64)));
        let o = FitOptions {
            bins: 4,
            ..opts(1.0, 7)
        };
        let (bins, _) = private_bins("q", &runs_of(&v), true, &[500.0], (0.0, 999.0), 1, &o);
        let los: Vec<f64> = bins.iter().map(|b| b.lo).collect();
        assert_eq!(los, vec![0.0, 250.0, 500.0, 750.0]);
        assert_eq!(bins[3].hi, 1000.0);
    }

    #[test]
    fn shapes_follow_the_rows_within_a_bin() {
        // A float column on [0, 8): rows rise linearly; one bin. Its shape's shares rise too.
        let runs: Vec<Run> = (0..800)
            .map(|i| Run {
                value: i as f64 / 100.0,
                rows: 1 + i as u64 / 10,
            })
            .collect();
        let o = FitOptions {
            bins: 1,
            ..opts(1.0, 3)
        };
        let (bins, _) = private_bins("s", &runs, false, &[], (0.0, 8.0), 1, &o);
        assert_eq!(bins.len(), 1);
        let s = &bins[0].shape;
        assert_eq!(s.len(), SHAPE_PARTS);
        assert!((s.iter().sum::<f64>() - 1.0).abs() < 1e-9);
        assert!(s[SHAPE_PARTS - 1] > 3.0 * s[0], "{s:?}");
        // Pure noise (no rows) keeps the uniform shape.
        let (bins, _) = private_bins("s", &[], false, &[], (0.0, 8.0), 1, &o);
        assert!(bins.iter().all(|b| b.shape.is_empty()));
    }

    #[test]
    fn the_histogram_has_the_noise_of_its_budget() {
        // The discretisation's budget: SHARE_DISCRETISE of the whole, split over 3 columns.
        for mech in [DpMechanism::Gaussian, DpMechanism::Laplace] {
            let o = FitOptions {
                dp_mechanism: mech,
                ..opts(1.0, 0)
            };
            let (b, scale) = Budget::discretise(&o, 3);
            match b {
                Budget::Rho(r) => {
                    let whole = account::rho_for_epsilon(1.0, o.delta);
                    assert!((r - 0.1 * whole).abs() < 1e-15);
                    assert!((scale - (3.0 / (2.0 * r)).sqrt()).abs() < 1e-9);
                }
                Budget::Pure(e) => {
                    assert!((e - 0.1).abs() < 1e-15);
                    assert!((scale - 30.0).abs() < 1e-9);
                }
            }
        }
    }

    #[test]
    fn values_outside_the_bounds_are_clamped_into_the_outer_bins() {
        let runs = runs_of(&[(-5.0, 100), (0.0, 100), (9.0, 100), (50.0, 100)]);
        let o = FitOptions {
            bins: 5,
            ..opts(1.0, 0)
        };
        let (bins, codes) = private_bins("c", &runs, true, &[], (0.0, 9.0), 1, &o);
        // Ten whole numbers, five bins: edges on whole numbers within [0, 10] (0 and 9, held
        // by half the rows each after clamping, are spikes: bins [0, 0] and [9, 9]).
        let last = bins.len() - 1;
        assert_eq!(bins[0].lo, 0.0);
        assert!(bins[last].lo <= 9.0 && bins[last].hi >= 9.0 && bins[last].hi <= 10.0);
        assert!(bins
            .iter()
            .all(|b| b.lo.fract() == 0.0 && b.hi.fract() == 0.0));
        assert_eq!(
            (codes[0], codes[1], codes[2], codes[3]),
            (0, 0, last as u32, last as u32)
        );
    }

    #[test]
    fn the_same_seed_gives_the_same_bins() {
        let a = private_bins("h", &spiky(), true, &[], (1.0, 99.0), 2, &opts(0.3, 5));
        let b = private_bins("h", &spiky(), true, &[], (1.0, 99.0), 2, &opts(0.3, 5));
        assert_eq!(a, b);
        let c = private_bins("h", &spiky(), true, &[], (1.0, 99.0), 2, &opts(0.3, 6));
        assert_ne!(a.0, c.0);
    }
}
