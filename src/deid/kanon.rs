//! Quasi-identifiers: generalisation, k-anonymity and l-diversity.
//!
//! Pass 1 counts the distinct raw combinations of quasi-identifier values (with the sensitive
//! values each holds); every generalisation level vector is then evaluated on those
//! combinations, never on the rows again. The search starts with each column at its first
//! declared level (raw when none is declared), climbs one level at a time on the column whose
//! climb leaves the fewest rows in too-small classes, and suppresses what is left once that is
//! within the allowed share.

use std::collections::{HashMap, HashSet};

use serde::Serialize;

use crate::schema::{ColumnType, GenLevel};

/// A raw quasi-identifier value, typed so numbers and dates generalise correctly.
#[derive(Debug, Clone, PartialEq)]
pub enum Raw {
    /// Missing.
    Null,
    /// A number (ints and floats).
    Num(f64),
    /// Days since 1970-01-01.
    Day(i32),
    /// Microseconds since the epoch.
    Micros(i64),
    /// Text.
    Text(String),
}

impl Raw {
    fn key(&self) -> RawKey {
        match self {
            Raw::Null => RawKey::Null,
            Raw::Num(x) => RawKey::Num(x.to_bits()),
            Raw::Day(d) => RawKey::Int(i64::from(*d)),
            Raw::Micros(t) => RawKey::Int(*t),
            Raw::Text(s) => RawKey::Text(s.clone()),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum RawKey {
    Null,
    Num(u64),
    Int(i64),
    Text(String),
}

fn fmt_num(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        format!("{}", x as i64)
    } else {
        format!("{x}")
    }
}

fn date_of(days: i32) -> Option<chrono::NaiveDate> {
    chrono::NaiveDate::from_ymd_opt(1970, 1, 1)?
        .checked_add_signed(chrono::Duration::days(i64::from(days)))
}

/// The label of `v` at `level` (`None`: the raw value). `whole` says the column holds whole
/// numbers, so bands read `30-39` rather than `[30, 40)`.
pub fn label(v: &Raw, level: Option<&GenLevel>, whole: bool) -> String {
    use chrono::Datelike;
    if matches!(v, Raw::Null) {
        return String::new();
    }
    let Some(level) = level else {
        return match v {
            Raw::Num(x) => fmt_num(*x),
            Raw::Day(d) => date_of(*d).map_or_else(|| d.to_string(), |d| d.to_string()),
            Raw::Micros(t) => chrono::DateTime::from_timestamp_micros(*t)
                .map_or_else(|| t.to_string(), |t| t.to_rfc3339()),
            Raw::Text(s) => s.clone(),
            Raw::Null => String::new(),
        };
    };
    let day = match v {
        Raw::Day(d) => date_of(*d),
        Raw::Micros(t) => chrono::DateTime::from_timestamp_micros(*t).map(|t| t.date_naive()),
        _ => None,
    };
    match (level, v) {
        (GenLevel::Suppress, _) => "*".into(),
        (GenLevel::Month, _) => day.map_or_else(
            || "*".into(),
            |d| format!("{:04}-{:02}", d.year(), d.month()),
        ),
        (GenLevel::Year, _) => day.map_or_else(|| "*".into(), |d| format!("{:04}", d.year())),
        (GenLevel::Prefix(n), Raw::Text(s)) => {
            let kept: String = s.chars().take(*n).collect();
            let masked = s.chars().count().saturating_sub(*n);
            format!("{kept}{}", "*".repeat(masked))
        }
        (GenLevel::Bands(b), Raw::Num(x)) => b
            .band(*x)
            .map_or_else(|| "<outside>".into(), |i| b.labels[i].clone()),
        (GenLevel::Numeric { width, bottom, top }, Raw::Num(x)) => {
            if let Some(b) = bottom.filter(|b| x < b) {
                return format!("<{}", fmt_num(b));
            }
            if let Some(t) = top.filter(|t| x >= t) {
                return format!("{}+", fmt_num(t));
            }
            match width {
                Some(w) => {
                    let lo = (x / w).floor() * w;
                    if whole && lo.fract() == 0.0 && w.fract() == 0.0 {
                        format!("{}-{}", fmt_num(lo), fmt_num(lo + w - 1.0))
                    } else {
                        format!("[{}, {})", fmt_num(lo), fmt_num(lo + w))
                    }
                }
                None => fmt_num(*x),
            }
        }
        _ => "*".into(),
    }
}

/// One quasi-identifier column.
#[derive(Debug, Clone)]
pub struct Qi {
    /// Column name.
    pub name: String,
    /// Declared levels.
    pub levels: Vec<GenLevel>,
    /// Whole numbers (int columns).
    pub whole: bool,
}

impl Qi {
    /// A quasi-identifier from a schema column.
    pub fn new(name: &str, ty: ColumnType, levels: &[GenLevel]) -> Qi {
        Qi {
            name: name.to_string(),
            levels: levels.to_vec(),
            whole: matches!(ty, ColumnType::Int { .. }),
        }
    }

    fn level(&self, l: usize) -> Option<&GenLevel> {
        l.checked_sub(1).and_then(|i| self.levels.get(i))
    }
}

/// Distinct raw combinations of quasi-identifier values, with row counts and sensitive values.
#[derive(Debug, Default)]
pub struct Combos {
    map: HashMap<Vec<RawKey>, (Vec<Raw>, u64, HashSet<String>)>,
    rows: u64,
}

impl Combos {
    /// Counts one row.
    pub fn add(&mut self, values: Vec<Raw>, sensitive: Option<&str>) {
        let key: Vec<RawKey> = values.iter().map(Raw::key).collect();
        let e = self
            .map
            .entry(key)
            .or_insert_with(|| (values, 0, HashSet::new()));
        e.1 += 1;
        if let Some(s) = sensitive {
            if !e.2.contains(s) {
                e.2.insert(s.to_string());
            }
        }
        self.rows += 1;
    }

    /// Rows counted.
    pub fn rows(&self) -> u64 {
        self.rows
    }
}

/// The equivalence classes at one level vector: label tuple -> (rows, distinct sensitive).
fn classes(
    qis: &[Qi],
    combos: &Combos,
    levels: &[usize],
) -> HashMap<Vec<String>, (u64, HashSet<String>)> {
    let mut out: HashMap<Vec<String>, (u64, HashSet<String>)> = HashMap::new();
    for (values, n, sens) in combos.map.values() {
        let key: Vec<String> = qis
            .iter()
            .zip(values)
            .zip(levels)
            .map(|((q, v), l)| label(v, q.level(*l), q.whole))
            .collect();
        let e = out.entry(key).or_default();
        e.0 += n;
        e.1.extend(sens.iter().cloned());
    }
    out
}

/// Rows in classes that break k (or l).
fn small_rows(cls: &HashMap<Vec<String>, (u64, HashSet<String>)>, k: u64, l: Option<u64>) -> u64 {
    cls.values()
        .filter(|(n, s)| *n < k || l.is_some_and(|l| (s.len() as u64) < l))
        .map(|(n, _)| n)
        .sum()
}

/// Class sizes bucketed for reports.
#[derive(Debug, Clone, Serialize)]
pub struct SizeBucket {
    /// e.g. `1`, `2-4`, `5-9`, `10-49`, `50+`.
    pub sizes: String,
    /// Classes of that size.
    pub classes: u64,
    /// Rows in them.
    pub rows: u64,
}

/// The outcome of the search.
#[derive(Debug, Clone, Serialize)]
pub struct Anonymity {
    /// Quasi-identifier columns.
    pub quasi_identifiers: Vec<String>,
    /// Chosen level per column (0 = raw, n = the n-th declared level).
    pub levels: Vec<usize>,
    /// Required k, if enforced.
    pub k_required: Option<u64>,
    /// Smallest class size in the output.
    pub k_achieved: u64,
    /// Required l and its sensitive column, if enforced.
    pub l_required: Option<(String, u64)>,
    /// Fewest distinct sensitive values in a class of the output.
    pub l_achieved: Option<u64>,
    /// Classes in the output.
    pub classes: u64,
    /// Class-size distribution of the output.
    pub class_sizes: Vec<SizeBucket>,
    /// Rows suppressed to reach k (and l).
    pub suppressed_rows: u64,
    /// Prosecutor re-identification risk: 1 / smallest class.
    pub prosecutor_risk_max: f64,
    /// Average over records of 1 / class size (= classes / rows).
    pub prosecutor_risk_avg: f64,
    /// Label tuples of suppressed classes (not serialised).
    #[serde(skip)]
    pub suppressed: HashSet<Vec<String>>,
}

/// Errors when k (or l) cannot be reached.
#[derive(Debug, thiserror::Error)]
#[error("k = {k}{l} needs suppressing {share:.1}% of the rows even with every declared generalisation level, more than `max_suppression` ({max:.1}%) allows\n    hint: declare coarser `generalise` levels for the quasi-identifiers ({qis}), or raise `privacy.max_suppression`")]
pub struct Unreachable {
    k: u64,
    l: String,
    share: f64,
    max: f64,
    qis: String,
}

/// Finds the least generalisation that reaches k (and l) with at most `max_suppression` of the
/// rows suppressed; without k, applies the first declared levels and measures.
pub fn search(
    qis: &[Qi],
    combos: &Combos,
    k: Option<u64>,
    l: Option<(String, u64)>,
    max_suppression: f64,
) -> Result<Anonymity, Unreachable> {
    let rows = combos.rows.max(1);
    let mut levels: Vec<usize> = qis
        .iter()
        .map(|q| usize::from(!q.levels.is_empty()))
        .collect();
    let need_k = k.unwrap_or(1);
    let need_l = l.as_ref().map(|x| x.1);
    let allowed = (max_suppression * rows as f64).floor() as u64;
    let mut cls = classes(qis, combos, &levels);
    if k.is_some() || l.is_some() {
        loop {
            let small = small_rows(&cls, need_k, need_l);
            if small <= allowed {
                break;
            }
            // Climb the column whose next level leaves the fewest rows in small classes; ties go
            // to the earlier column, so the search is deterministic.
            let best = (0..qis.len())
                .filter(|&i| levels[i] < qis[i].levels.len())
                .map(|i| {
                    let mut next = levels.clone();
                    next[i] += 1;
                    let c = classes(qis, combos, &next);
                    (small_rows(&c, need_k, need_l), i, c)
                })
                .min_by_key(|(s, i, _)| (*s, *i));
            match best {
                Some((_, i, c)) => {
                    levels[i] += 1;
                    cls = c;
                }
                None => {
                    return Err(Unreachable {
                        k: need_k,
                        l: l.as_ref()
                            .map_or(String::new(), |(c, l)| format!(" and l = {l} on `{c}`")),
                        share: 100.0 * small as f64 / rows as f64,
                        max: 100.0 * max_suppression,
                        qis: qis
                            .iter()
                            .map(|q| q.name.as_str())
                            .collect::<Vec<_>>()
                            .join(", "),
                    })
                }
            }
        }
    }
    let suppressed: HashSet<Vec<String>> = cls
        .iter()
        .filter(|(_, (n, s))| *n < need_k || need_l.is_some_and(|l| (s.len() as u64) < l))
        .map(|(key, _)| key.clone())
        .collect();
    let kept: Vec<&(u64, HashSet<String>)> = cls
        .iter()
        .filter(|(key, _)| !suppressed.contains(*key))
        .map(|(_, v)| v)
        .collect();
    let suppressed_rows: u64 = cls
        .iter()
        .filter(|(key, _)| suppressed.contains(*key))
        .map(|(_, v)| v.0)
        .sum();
    let kept_rows: u64 = kept.iter().map(|v| v.0).sum();
    let k_achieved = kept.iter().map(|v| v.0).min().unwrap_or(0);
    let mut buckets: Vec<SizeBucket> = [
        (1, 1, "1"),
        (2, 4, "2-4"),
        (5, 9, "5-9"),
        (10, 49, "10-49"),
        (50, u64::MAX, "50+"),
    ]
    .iter()
    .map(|(lo, hi, name)| {
        let inside: Vec<&&(u64, HashSet<String>)> =
            kept.iter().filter(|v| v.0 >= *lo && v.0 <= *hi).collect();
        SizeBucket {
            sizes: name.to_string(),
            classes: inside.len() as u64,
            rows: inside.iter().map(|v| v.0).sum(),
        }
    })
    .collect();
    buckets.retain(|b| b.classes > 0);
    Ok(Anonymity {
        quasi_identifiers: qis.iter().map(|q| q.name.clone()).collect(),
        levels,
        k_required: k,
        k_achieved,
        l_achieved: l
            .as_ref()
            .map(|_| kept.iter().map(|v| v.1.len() as u64).min().unwrap_or(0)),
        l_required: l,
        classes: kept.len() as u64,
        class_sizes: buckets,
        suppressed_rows,
        prosecutor_risk_max: if k_achieved > 0 {
            1.0 / k_achieved as f64
        } else {
            0.0
        },
        prosecutor_risk_avg: if kept_rows > 0 {
            kept.len() as f64 / kept_rows as f64
        } else {
            0.0
        },
        suppressed,
    })
}

/// The label tuple of one row at the chosen levels.
pub fn row_key(qis: &[Qi], levels: &[usize], values: &[Raw]) -> Vec<String> {
    qis.iter()
        .zip(values)
        .zip(levels)
        .map(|((q, v), l)| label(v, q.level(*l), q.whole))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_follow_their_levels() {
        let whole = true;
        let w10 = GenLevel::Numeric {
            width: Some(10.0),
            bottom: Some(18.0),
            top: Some(90.0),
        };
        assert_eq!(label(&Raw::Num(34.0), Some(&w10), whole), "30-39");
        assert_eq!(label(&Raw::Num(17.0), Some(&w10), whole), "<18");
        assert_eq!(label(&Raw::Num(93.0), Some(&w10), whole), "90+");
        assert_eq!(
            label(
                &Raw::Num(2.5),
                Some(&GenLevel::Numeric {
                    width: Some(0.5),
                    bottom: None,
                    top: None
                }),
                false
            ),
            "[2.5, 3)"
        );
        assert_eq!(
            label(
                &Raw::Text("10115".into()),
                Some(&GenLevel::Prefix(3)),
                false
            ),
            "101**"
        );
        let d = crate::schema::parse_date("1987-06-15").expect("date");
        assert_eq!(
            label(&Raw::Day(d), Some(&GenLevel::Month), false),
            "1987-06"
        );
        assert_eq!(label(&Raw::Day(d), Some(&GenLevel::Year), false), "1987");
        assert_eq!(label(&Raw::Day(d), None, false), "1987-06-15");
        assert_eq!(
            label(&Raw::Text("x".into()), Some(&GenLevel::Suppress), false),
            "*"
        );
    }
}
