//! The audit's figures, each from the table in memory: representation with Wilson intervals,
//! proxy strength (Cramér's V and mutual information on binned values), data quality and
//! staleness.

use serde::Serialize;

use crate::hash::FastMap;
use crate::io::table::{Table, TableColumn, Values, NULL};
use crate::schema::{Column, ColumnType, Schema};

/// z for a two-sided 95 % interval.
const Z95: f64 = 1.959_963_984_540_054;

/// Bins for a numeric column that has no schema `bins`: equal-width over its range.
pub const PROXY_BINS: usize = 10;

/// Categorical columns with more distinct values than this are left out of the proxy scan:
/// their association with anything is inflated by sparse cells.
pub const PROXY_MAX_LEVELS: usize = 100;

/// The Wilson score interval (95 %) of `k` successes in `n` trials.
pub fn wilson(k: f64, n: f64) -> (f64, f64) {
    if n <= 0.0 {
        return (0.0, 1.0);
    }
    let p = k / n;
    let z2 = Z95 * Z95;
    let denom = 1.0 + z2 / n;
    let centre = (p + z2 / (2.0 * n)) / denom;
    let half = Z95 / denom * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt();
    ((centre - half).max(0.0), (centre + half).min(1.0))
}

/// Group codes per row of a protected column (`None`: null or outside the bins) and the
/// group names: declared levels (or bin labels) first, then levels seen that are not declared.
pub fn grouping(decl: &Column, col: &TableColumn) -> Option<(Vec<Option<u32>>, Vec<String>)> {
    match &col.values {
        Values::Cat { codes, levels } => {
            let mut names: Vec<String> = decl.categories().unwrap_or_default();
            let mut map = vec![0u32; levels.len()];
            for (i, l) in levels.iter().enumerate() {
                map[i] = match names.iter().position(|n| n == l) {
                    Some(p) => p as u32,
                    None => {
                        names.push(l.clone());
                        (names.len() - 1) as u32
                    }
                };
            }
            Some((
                codes
                    .iter()
                    .map(|c| (*c != NULL).then(|| map[*c as usize]))
                    .collect(),
                names,
            ))
        }
        Values::Num(v) => {
            let bins = decl.bins.as_ref()?;
            Some((
                v.iter().map(|x| bins.band(*x).map(|b| b as u32)).collect(),
                bins.labels.clone(),
            ))
        }
    }
}

/// Level codes of any column for the proxy scan, nulls a level of their own: categories as
/// they are; numbers by their schema `bins` (values outside them one more level), else in
/// [`PROXY_BINS`] equal-width bins of their range. `None` for a column with too many levels.
pub fn proxy_codes(decl: &Column, col: &TableColumn) -> Option<(Vec<u32>, usize, String)> {
    match &col.values {
        Values::Cat { codes, levels } => {
            if levels.len() > PROXY_MAX_LEVELS {
                return None;
            }
            let null = levels.len() as u32;
            Some((
                codes
                    .iter()
                    .map(|c| if *c == NULL { null } else { *c })
                    .collect(),
                levels.len() + 1,
                "levels".into(),
            ))
        }
        Values::Num(v) => {
            if let Some(bins) = decl.bins.as_ref() {
                let k = bins.labels.len() as u32;
                return Some((
                    v.iter()
                        .map(|x| {
                            if x.is_nan() {
                                k + 1
                            } else {
                                bins.band(*x).map_or(k, |b| b as u32)
                            }
                        })
                        .collect(),
                    bins.labels.len() + 2,
                    "schema bins".into(),
                ));
            }
            let (lo, hi) = v
                .iter()
                .filter(|x| !x.is_nan())
                .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), x| {
                    (a.min(*x), b.max(*x))
                });
            let k = PROXY_BINS as u32;
            Some((
                v.iter()
                    .map(|x| {
                        if x.is_nan() {
                            k
                        } else {
                            equal_width_bin(*x, lo, hi, PROXY_BINS) as u32
                        }
                    })
                    .collect(),
                PROXY_BINS + 1,
                format!("{PROXY_BINS} equal-width bins"),
            ))
        }
    }
}

/// The bin of `x` among `k` equal-width bins over [lo, hi]; the top edge is in the last bin.
pub fn equal_width_bin(x: f64, lo: f64, hi: f64, k: usize) -> usize {
    if hi <= lo {
        return 0;
    }
    (((x - lo) / (hi - lo) * k as f64).floor().max(0.0) as usize).min(k - 1)
}

/// Association between two coded variables over the rows where `a` is present.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Association {
    /// Cramér's V (no bias correction), 0 (independent) to 1 (one determines the other).
    pub cramers_v: f64,
    /// Mutual information in bits.
    pub mutual_information: f64,
    /// Rows counted.
    pub rows: u64,
}

/// Cramér's V = sqrt(χ² / (n · (min(r, c) − 1))) and the mutual information of the
/// contingency table of `a` (rows with `None` left out) against `b`; `None` when either side
/// has a single level.
pub fn association(a: &[Option<u32>], b: &[u32], b_levels: usize) -> Option<Association> {
    let a_levels = a.iter().flatten().max().map_or(0, |m| *m as usize + 1);
    let mut table = vec![0u64; a_levels * b_levels];
    let mut n = 0u64;
    for (x, y) in a.iter().zip(b) {
        if let Some(x) = x {
            table[*x as usize * b_levels + *y as usize] += 1;
            n += 1;
        }
    }
    let row: Vec<u64> = (0..a_levels)
        .map(|i| table[i * b_levels..(i + 1) * b_levels].iter().sum())
        .collect();
    let col: Vec<u64> = (0..b_levels)
        .map(|j| (0..a_levels).map(|i| table[i * b_levels + j]).sum())
        .collect();
    let r = row.iter().filter(|x| **x > 0).count();
    let c = col.iter().filter(|x| **x > 0).count();
    if r < 2 || c < 2 || n == 0 {
        return None;
    }
    let nf = n as f64;
    let (mut chi2, mut mi) = (0.0, 0.0);
    for i in 0..a_levels {
        for j in 0..b_levels {
            if row[i] == 0 || col[j] == 0 {
                continue;
            }
            let o = table[i * b_levels + j] as f64;
            let e = row[i] as f64 * col[j] as f64 / nf;
            chi2 += (o - e) * (o - e) / e;
            if o > 0.0 {
                mi += o / nf * (o / e).log2();
            }
        }
    }
    Some(Association {
        cramers_v: (chi2 / (nf * (r.min(c) - 1) as f64)).sqrt().min(1.0),
        mutual_information: mi.max(0.0),
        rows: n,
    })
}

/// Data quality of one column.
#[derive(Debug, Clone, Serialize)]
pub struct ColumnQuality {
    /// The column.
    pub column: String,
    /// Null values.
    pub nulls: u64,
    /// Nulls over rows.
    pub null_share: f64,
    /// Whether the schema allows nulls in this column.
    pub nullable: bool,
    /// Values not among the schema's `levels` (columns with declared levels only).
    pub outside_levels: Option<u64>,
    /// Up to 5 such values, most frequent first.
    pub outside_level_examples: Vec<String>,
    /// Numbers below the schema's `min` or above its `max` (columns with bounds only).
    pub outside_bounds: Option<u64>,
    /// Distinct non-null values.
    pub distinct: u64,
}

/// Nulls, values outside the declared levels and bounds, and distinct counts of a column.
pub fn column_quality(decl: &Column, col: &TableColumn, rows: usize) -> ColumnQuality {
    let nulls = col.nulls() as u64;
    let (outside_levels, examples, outside_bounds, distinct) = match &col.values {
        Values::Cat { codes, levels } => {
            let mut counts = vec![0u64; levels.len()];
            for c in codes.iter().filter(|c| **c != NULL) {
                counts[*c as usize] += 1;
            }
            let declared = match decl.ty {
                ColumnType::Category | ColumnType::String => decl.levels.clone(),
                _ => None,
            };
            let (outside, examples) = match declared {
                Some(d) => {
                    let mut bad: Vec<(u64, &String)> = levels
                        .iter()
                        .zip(&counts)
                        .filter(|(l, n)| **n > 0 && !d.contains(l))
                        .map(|(l, n)| (*n, l))
                        .collect();
                    bad.sort_by(|x, y| y.0.cmp(&x.0).then(x.1.cmp(y.1)));
                    (
                        Some(bad.iter().map(|b| b.0).sum()),
                        bad.iter().take(5).map(|b| b.1.clone()).collect(),
                    )
                }
                None => (None, Vec::new()),
            };
            let distinct = counts.iter().filter(|n| **n > 0).count() as u64;
            (outside, examples, None, distinct)
        }
        Values::Num(v) => {
            let bounds = (decl.min.is_some() || decl.max.is_some()).then(|| {
                v.iter()
                    .filter(|x| {
                        !x.is_nan()
                            && (decl.min.is_some_and(|m| **x < m)
                                || decl.max.is_some_and(|m| **x > m))
                    })
                    .count() as u64
            });
            let mut d: Vec<u64> = v
                .iter()
                .filter(|x| !x.is_nan())
                .map(|x| (x + 0.0).to_bits())
                .collect();
            d.sort_unstable();
            d.dedup();
            (None, Vec::new(), bounds, d.len() as u64)
        }
    };
    ColumnQuality {
        column: decl.name.clone(),
        nulls,
        null_share: if rows > 0 {
            nulls as f64 / rows as f64
        } else {
            0.0
        },
        nullable: decl.nullable,
        outside_levels,
        outside_level_examples: examples,
        outside_bounds,
        distinct,
    }
}

/// Rows equal to an earlier row over every column of the table (nulls equal nulls). Rows are
/// compared by a 128-bit hash of their values (two SipHash passes with different prefixes), so
/// memory is 16 bytes per distinct row; a collision needs about 2^64 rows.
pub fn duplicate_rows(t: &Table) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut seen: crate::hash::FastMap<u128, ()> = FastMap::default();
    let mut dup = 0;
    for r in 0..t.rows {
        let mut a = std::collections::hash_map::DefaultHasher::new();
        let mut b = std::collections::hash_map::DefaultHasher::new();
        0xa5u8.hash(&mut b);
        for c in &t.columns {
            let k: u64 = match &c.values {
                // -0.0 and 0.0 are one value; every NaN (null) is one value.
                Values::Num(v) if v[r].is_nan() => u64::MAX,
                Values::Num(v) => (v[r] + 0.0).to_bits(),
                Values::Cat { codes, .. } => u64::from(codes[r]),
            };
            k.hash(&mut a);
            k.hash(&mut b);
        }
        let key = (u128::from(a.finish()) << 64) | u128::from(b.finish());
        if seen.insert(key, ()).is_some() {
            dup += 1;
        }
    }
    dup
}

/// The oldest and newest value of a date or timestamp column and their age on the as-of date.
#[derive(Debug, Clone, Serialize)]
pub struct Staleness {
    /// The column.
    pub column: String,
    /// Oldest value (ISO 8601), if any.
    pub oldest: Option<String>,
    /// Newest value (ISO 8601), if any.
    pub newest: Option<String>,
    /// Days from the newest value to 00:00 UTC of the as-of date (negative: after it).
    pub newest_age_days: Option<f64>,
    /// Days from the oldest value to the as-of date.
    pub oldest_age_days: Option<f64>,
    /// Values later than the end of the as-of date.
    pub after_as_of: u64,
}

const DAY_MICROS: f64 = 86_400_000_000.0;

/// Staleness of a date (days since 1970) or timestamp (µs since 1970) column against the
/// as-of date (days since 1970).
pub fn staleness(decl: &Column, v: &[f64], as_of: i64) -> Staleness {
    let (lo, hi) = v
        .iter()
        .filter(|x| !x.is_nan())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), x| {
            (a.min(*x), b.max(*x))
        });
    let timestamp = decl.ty == ColumnType::Timestamp;
    // Everything in days since 1970.
    let days = |x: f64| if timestamp { x / DAY_MICROS } else { x };
    let text = |x: f64| {
        if timestamp {
            chrono::DateTime::from_timestamp_micros(x as i64)
                .map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string())
        } else {
            day_text(x as i64)
        }
    };
    let as_of_f = as_of as f64;
    let after = v
        .iter()
        .filter(|x| !x.is_nan() && days(**x) >= as_of_f + 1.0)
        .count() as u64;
    let any = lo.is_finite();
    Staleness {
        column: decl.name.clone(),
        oldest: any.then(|| text(lo)).flatten(),
        newest: any.then(|| text(hi)).flatten(),
        newest_age_days: any.then(|| as_of_f - days(hi)),
        oldest_age_days: any.then(|| as_of_f - days(lo)),
        after_as_of: after,
    }
}

/// `YYYY-MM-DD` of a day count since 1970-01-01.
pub fn day_text(days: i64) -> Option<String> {
    let epoch = chrono::NaiveDate::from_ymd_opt(1970, 1, 1)?;
    epoch
        .checked_add_signed(chrono::TimeDelta::try_days(days)?)
        .map(|d| d.format("%Y-%m-%d").to_string())
}

/// The protected columns of a schema, in schema order.
pub fn protected(schema: &Schema) -> Vec<&Column> {
    schema
        .columns
        .iter()
        .filter(|c| c.role == crate::schema::Role::Protected)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wilson_matches_a_hand_computation() {
        // 10 of 100: statsmodels proportion_confint(10, 100, method="wilson").
        let (lo, hi) = wilson(10.0, 100.0);
        assert!((lo - 0.055_229_3).abs() < 1e-6, "{lo}");
        assert!((hi - 0.174_366_0).abs() < 1e-6, "{hi}");
    }

    #[test]
    fn association_of_a_copy_is_one_and_of_independence_zero() {
        let a: Vec<Option<u32>> = [0, 0, 1, 1].iter().map(|x| Some(*x)).collect();
        let v = association(&a, &[0, 0, 1, 1], 2).expect("two levels each");
        assert!((v.cramers_v - 1.0).abs() < 1e-12);
        assert!((v.mutual_information - 1.0).abs() < 1e-12);
        let v = association(&a, &[0, 1, 0, 1], 2).expect("two levels each");
        assert!(v.cramers_v.abs() < 1e-12 && v.mutual_information.abs() < 1e-12);
        assert!(association(&a, &[0, 0, 0, 0], 1).is_none());
    }

    #[test]
    fn equal_width_bins_include_the_top_edge() {
        assert_eq!(equal_width_bin(0.0, 0.0, 10.0, 10), 0);
        assert_eq!(equal_width_bin(9.99, 0.0, 10.0, 10), 9);
        assert_eq!(equal_width_bin(10.0, 0.0, 10.0, 10), 9);
        assert_eq!(equal_width_bin(5.0, 5.0, 5.0, 10), 0);
    }
}
