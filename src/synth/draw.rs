//! Drawing values: numbers from truncated, rounded distributions, levels from shares, the
//! variant of a column each row's earlier columns select, and arrays of computed values.

use std::collections::HashMap;
use std::sync::Arc;

use arrow_array::{
    ArrayRef, Date32Array, Float64Array, Int32Array, Int64Array, TimestampMicrosecondArray,
};
use arrow_buffer::NullBuffer;
use rand::distr::Distribution;
use rand::RngExt;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Beta, Exp, Gamma, LogNormal, Normal, Poisson};

use super::{SynthError, MAX_REJECTIONS};
use crate::schema::grid_range;
use crate::schema::{ColumnType, Dist, Generator, Schema};

/// A sampler for numbers, with truncation and rounding.
#[derive(Debug, Clone)]
pub(super) struct NumSampler {
    dist: DistS,
    min: f64,
    max: f64,
    /// 10^decimals for floats with `round`.
    scale: Option<f64>,
    int: bool,
}

#[derive(Debug, Clone)]
pub(super) enum DistS {
    Uniform(f64, f64),
    Normal(Normal<f64>),
    LogNormal(LogNormal<f64>),
    Gamma(Gamma<f64>),
    Beta(Beta<f64>, f64, f64),
    Poisson(Poisson<f64>),
    Exp(Exp<f64>),
}

impl NumSampler {
    pub(super) fn new(
        column: &str,
        dist: &Dist,
        min: Option<f64>,
        max: Option<f64>,
        round: Option<u32>,
        int: bool,
    ) -> Result<Self, SynthError> {
        let bad = |e: &dyn std::fmt::Display| SynthError::Distribution {
            column: column.to_string(),
            message: e.to_string(),
        };
        let d = match *dist {
            Dist::Uniform { low, high } => DistS::Uniform(low, high),
            Dist::Normal { mean, sd } => DistS::Normal(Normal::new(mean, sd).map_err(|e| bad(&e))?),
            Dist::LogNormal { mu, sigma } => {
                DistS::LogNormal(LogNormal::new(mu, sigma).map_err(|e| bad(&e))?)
            }
            Dist::Gamma { shape, scale } => {
                DistS::Gamma(Gamma::new(shape, scale).map_err(|e| bad(&e))?)
            }
            Dist::Beta {
                alpha,
                beta,
                low,
                high,
            } => DistS::Beta(Beta::new(alpha, beta).map_err(|e| bad(&e))?, low, high),
            Dist::Poisson { lambda } => DistS::Poisson(Poisson::new(lambda).map_err(|e| bad(&e))?),
            Dist::Exponential { rate } => DistS::Exp(Exp::new(rate).map_err(|e| bad(&e))?),
        };
        let scale = round.filter(|_| !int).map(|r| 10f64.powi(r as i32));
        let (lo, hi) = (
            min.unwrap_or(f64::NEG_INFINITY),
            max.unwrap_or(f64::INFINITY),
        );
        // Bounds on the rounding grid, so that the clamp after too many rejections keeps a
        // drawn value on it.
        let (lo, hi) = match (int, scale) {
            (false, None) => (lo, hi),
            (_, s) => grid_range(lo, hi, s.unwrap_or(1.0)).ok_or(SynthError::EmptyRange {
                column: column.to_string(),
                decimals: if int { 0 } else { round.unwrap_or(0) },
                min: lo,
                max: hi,
            })?,
        };
        Ok(NumSampler {
            dist: d,
            min: lo,
            max: hi,
            scale,
            int,
        })
    }

    fn raw(&self, rng: &mut ChaCha8Rng) -> f64 {
        match &self.dist {
            DistS::Uniform(lo, hi) => lo + (hi - lo) * rng.random::<f64>(),
            DistS::Normal(d) => d.sample(rng),
            DistS::LogNormal(d) => d.sample(rng),
            DistS::Gamma(d) => d.sample(rng),
            DistS::Beta(d, lo, hi) => lo + (hi - lo) * d.sample(rng),
            DistS::Poisson(d) => d.sample(rng),
            DistS::Exp(d) => d.sample(rng),
        }
    }

    fn finish(&self, x: f64) -> f64 {
        if self.int {
            x.round()
        } else if let Some(s) = self.scale {
            (x * s).round() / s
        } else {
            x
        }
    }

    /// A draw truncated to `[max(min, lower), max]`; `lower` itself (moved onto the grid)
    /// when it lies above `max`, so that the lower bound always holds.
    pub(super) fn sample_at_least(&self, rng: &mut ChaCha8Rng, lower: f64) -> f64 {
        let lo = self.min.max(lower);
        let up = |x: f64| match (self.int, self.scale) {
            (true, _) => x.ceil(),
            (false, Some(s)) => (x * s).ceil() / s,
            (false, None) => x,
        };
        if lo > self.max {
            return up(lo);
        }
        for _ in 0..MAX_REJECTIONS {
            let x = self.finish(self.raw(rng));
            if x >= lo && x <= self.max {
                return x;
            }
        }
        up(lo).min(self.max).max(up(lo))
    }

    /// A draw from the distribution truncated to `[min, max]` (by rejection), then rounded.
    pub(super) fn sample(&self, rng: &mut ChaCha8Rng) -> f64 {
        for _ in 0..MAX_REJECTIONS {
            let x = self.finish(self.raw(rng));
            if x >= self.min && x <= self.max {
                return x;
            }
        }
        // The schema check refuses ranges holding < 0.1% of the mass, so this is rare.
        self.finish(self.raw(rng)).clamp(self.min, self.max)
    }
}

/// One variant of a column with cases.
#[derive(Debug, Clone)]
pub(super) enum Variant {
    /// Cumulative shares over the column's levels.
    Cat(Vec<f64>),
    Bern(f64),
    Num(NumSampler),
}

impl Variant {
    pub(super) fn new(
        column: &str,
        g: &Generator,
        levels: &[String],
        ty: ColumnType,
    ) -> Result<Self, SynthError> {
        Ok(match g {
            Generator::Categorical(shares) => {
                // Shares by hash: a column may have millions of levels.
                let by_level: HashMap<&str, f64> =
                    shares.iter().map(|(s, x)| (s.as_str(), *x)).collect();
                let mut acc = 0.0;
                let cum = levels
                    .iter()
                    .map(|l| {
                        acc += by_level.get(l.as_str()).copied().unwrap_or(0.0);
                        acc
                    })
                    .collect();
                Variant::Cat(cum)
            }
            Generator::Bernoulli(p) => Variant::Bern(*p),
            Generator::Numeric {
                dist,
                min,
                max,
                round,
            } => Variant::Num(NumSampler::new(
                column,
                dist,
                *min,
                *max,
                *round,
                matches!(ty, ColumnType::Int { .. }),
            )?),
            _ => unreachable!("only shares, probability and distribution have variants"),
        })
    }
}

/// Draws a level index from cumulative shares.
pub(super) fn draw_level(cum: &[f64], rng: &mut ChaCha8Rng) -> u32 {
    let total = cum.last().copied().unwrap_or(1.0);
    let u = rng.random::<f64>() * total;
    let i = cum.partition_point(|c| *c <= u);
    i.min(cum.len() - 1) as u32
}

/// `v` rounded to the grid `1 / scale`, half away from zero as written in decimal: noise of
/// binary arithmetic below a millionth of a step is removed first, so `34.75 * 0.98` (34.055,
/// held as 34.05499999...) rounds to 34.06 as a decimal calculation would.
pub(crate) fn round_decimal(v: f64, scale: f64) -> f64 {
    (((v * scale) * 1e6).round() / 1e6).round() / scale
}

/// An array of `ty` from computed values (`None`: null), nulls also where `nulls` says:
/// dates from days, timestamps from microseconds, ints rounded.
pub(crate) fn derived_array(
    ty: ColumnType,
    vals: &[Option<f64>],
    nulls: Option<&NullBuffer>,
) -> ArrayRef {
    let valid: Vec<bool> = vals
        .iter()
        .enumerate()
        .map(|(i, v)| v.is_some() && nulls.is_none_or(|n| n.is_valid(i)))
        .collect();
    let nb = Some(NullBuffer::from(valid)).filter(|n| n.null_count() > 0);
    let x = |v: &Option<f64>| v.unwrap_or(0.0);
    match ty {
        ColumnType::Date => Arc::new(Date32Array::new(
            vals.iter().map(|v| x(v) as i32).collect(),
            nb,
        )),
        ColumnType::Timestamp => Arc::new(
            TimestampMicrosecondArray::new(vals.iter().map(|v| x(v) as i64).collect(), nb)
                .with_timezone("UTC"),
        ),
        ColumnType::Int { bits: 32 } => Arc::new(Int32Array::new(
            vals.iter().map(|v| x(v).round() as i32).collect(),
            nb,
        )),
        ColumnType::Int { .. } => Arc::new(Int64Array::new(
            vals.iter().map(|v| x(v).round() as i64).collect(),
            nb,
        )),
        _ => Arc::new(Float64Array::new(vals.iter().map(x).collect(), nb)),
    }
}

/// The variant (0 = base, k = case k-1) for every combination of parent levels.
pub(super) fn case_table(
    schema: &Schema,
    depends_on: &[String],
    parents: &[(usize, usize)],
    cases: &[crate::schema::Case],
    combinations: usize,
) -> Vec<u16> {
    let parent_levels: Vec<Vec<String>> = parents
        .iter()
        .map(|(j, _)| schema.columns[*j].categories().unwrap_or_default())
        .collect();
    let mut table = vec![0u16; combinations];
    let mut digits = vec![0usize; parents.len()];
    for slot in table.iter_mut() {
        *slot = cases
            .iter()
            .position(|case| {
                case.when.iter().all(|(col, levels)| {
                    let k = depends_on
                        .iter()
                        .position(|d| d == col)
                        .expect("when columns are in depends_on");
                    levels.contains(&parent_levels[k][digits[k]])
                })
            })
            .map_or(0, |p| (p + 1) as u16);
        // Next combination, last parent fastest.
        for k in (0..digits.len()).rev() {
            digits[k] += 1;
            if digits[k] < parents[k].1 {
                break;
            }
            digits[k] = 0;
        }
    }
    table
}
