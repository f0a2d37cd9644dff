//! One streaming pass over a table for discovery: the value counts of every column that may be
//! a key (whole numbers and texts, hashed to 64 bits), and the row-wise order of every pair of
//! date or timestamp columns. Nothing else of the rows is kept.

use std::hash::{Hash, Hasher};

use crate::deid::inspect::{empty_schema, Inspection};
use crate::hash::FastMap;
use crate::io::read::{texts, Input, ReadError, Reader, ValueDialect};

/// How a key column's values are compared across tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum KeyKind {
    /// Whole numbers, compared as numbers (`7` and `07` are one key).
    Int,
    /// Texts, compared exactly (hashed).
    Text,
}

impl KeyKind {
    /// The schema type of such a key.
    pub(crate) fn schema_type(self) -> &'static str {
        match self {
            KeyKind::Int => "int",
            KeyKind::Text => "string",
        }
    }

    /// The kind of a column drafted with schema type `ty`, if it may be a key. A `float`
    /// column may hold whole numbers only (a nullable id written by pandas as `12.0`): it is
    /// counted as whole numbers until a value with a fraction shows it is not a key.
    pub(crate) fn of(ty: &str) -> Option<KeyKind> {
        match ty {
            "int" | "float" => Some(KeyKind::Int),
            "string" | "category" => Some(KeyKind::Text),
            _ => None,
        }
    }

    /// The 64-bit key of a value written as `v`; `None` when it does not parse.
    pub(crate) fn key(self, v: &str, values: &ValueDialect) -> Option<u64> {
        match self {
            KeyKind::Int => values
                .parse_int(v)
                .or_else(|| {
                    values
                        .parse_float(v)
                        .filter(|x| x.fract() == 0.0 && x.abs() < 9.0e15)
                        .map(|x| x as i64)
                })
                .map(|i| i as u64),
            KeyKind::Text => {
                // SipHash with fixed keys: deterministic within a run, and spread well enough
                // that millions of distinct texts do not collide in 64 bits.
                let mut h = std::collections::hash_map::DefaultHasher::new();
                v.hash(&mut h);
                Some(h.finish())
            }
        }
    }
}

/// The counts of one column that may be a key.
#[derive(Debug)]
pub(crate) struct KeyColumn {
    /// Column name.
    pub(crate) name: String,
    /// Position among the table's columns.
    pub(crate) index: usize,
    /// How values compare.
    pub(crate) kind: KeyKind,
    /// Rows per distinct value.
    pub(crate) counts: FastMap<u64, u32>,
    /// Empty values.
    pub(crate) nulls: u64,
    /// Values that did not parse as the column's type (such a column is no key).
    pub(crate) unparsed: u64,
    /// Range of whole-number values.
    pub(crate) min: i64,
    /// Range of whole-number values.
    pub(crate) max: i64,
}

impl KeyColumn {
    /// Whether every row has a value of its own.
    pub(crate) fn unique_non_null(&self, rows: u64) -> bool {
        rows > 0
            && self.nulls == 0
            && self.unparsed == 0
            && self.counts.len() as u64 == rows
            && self.counts.values().all(|&n| n == 1)
    }
}

/// A date or timestamp column, as microseconds since the epoch.
#[derive(Debug, Clone)]
pub(crate) struct TimeColumn {
    /// Column name.
    pub(crate) name: String,
    /// Whether it holds timestamps (else dates).
    pub(crate) timestamp: bool,
}

impl TimeColumn {
    /// Microseconds since the epoch of a value written as `v`.
    pub(crate) fn time(&self, v: &str, values: &ValueDialect) -> Option<i64> {
        if self.timestamp {
            values.parse_timestamp(v)
        } else {
            values
                .parse_date(v.get(..10).unwrap_or(v))
                .map(|d| i64::from(d) * 86_400_000_000)
        }
    }
}

/// How two time columns of one table compare, over the rows where both have a value.
#[derive(Debug, Clone, Default)]
pub(crate) struct PairOrder {
    /// Index of the first column in [`TableScan::times`].
    pub(crate) a: usize,
    /// Index of the second column.
    pub(crate) b: usize,
    /// Rows with `a < b`.
    pub(crate) less: u64,
    /// Rows with `a == b`.
    pub(crate) equal: u64,
    /// Rows with `a > b`.
    pub(crate) greater: u64,
}

/// What one pass over a table found.
#[derive(Debug)]
pub(crate) struct TableScan {
    /// Rows.
    pub(crate) rows: u64,
    /// Columns that may be keys.
    pub(crate) keys: Vec<KeyColumn>,
    /// Date and timestamp columns.
    pub(crate) times: Vec<TimeColumn>,
    /// Every pair of time columns.
    pub(crate) orders: Vec<PairOrder>,
}

/// The schema type drafted for a profiled column (as the single-table draft writes it).
pub(crate) fn drafted_type(inferred: &str) -> &str {
    match inferred {
        t @ ("string" | "int" | "float" | "bool" | "date" | "timestamp" | "category") => t,
        t if t.starts_with("int") => "int",
        _ => "string",
    }
}

/// Scans `input`, whose columns `ins` profiled.
pub(crate) fn scan(
    input: &Input,
    ins: &Inspection,
    values: &ValueDialect,
) -> Result<TableScan, ReadError> {
    let mut keys: Vec<KeyColumn> = Vec::new();
    let mut times: Vec<TimeColumn> = Vec::new();
    let mut time_index: Vec<usize> = Vec::new();
    for (index, c) in ins.columns.iter().enumerate() {
        let ty = drafted_type(&c.inferred_type);
        if let Some(kind) = KeyKind::of(ty) {
            keys.push(KeyColumn {
                name: c.name.clone(),
                index,
                kind,
                counts: FastMap::default(),
                nulls: 0,
                unparsed: 0,
                min: i64::MAX,
                max: i64::MIN,
            });
        } else if ty == "date" || ty == "timestamp" {
            times.push(TimeColumn {
                name: c.name.clone(),
                timestamp: ty == "timestamp",
            });
            time_index.push(index);
        }
    }
    let mut orders: Vec<PairOrder> = Vec::new();
    for a in 0..times.len() {
        for b in a + 1..times.len() {
            orders.push(PairOrder {
                a,
                b,
                ..Default::default()
            });
        }
    }
    let mut rows = 0u64;
    let empty = empty_schema();
    for batch in Reader::open(input, &empty)? {
        let batch = batch?;
        rows += batch.num_rows() as u64;
        for k in &mut keys {
            // A value that is no key (a fraction, a text in a number column) rules the column
            // out: its counts are dropped and its values no longer read.
            if k.unparsed > 0 {
                continue;
            }
            let Some(col) = batch.columns().get(k.index) else {
                continue;
            };
            for v in texts(col) {
                let Some(v) = v else {
                    k.nulls += 1;
                    continue;
                };
                match k.kind.key(&v, values) {
                    Some(h) => {
                        if k.kind == KeyKind::Int {
                            k.min = k.min.min(h as i64);
                            k.max = k.max.max(h as i64);
                        }
                        let n = k.counts.entry(h).or_insert(0);
                        *n = n.saturating_add(1);
                    }
                    None => {
                        k.unparsed += 1;
                        k.counts = FastMap::default();
                        break;
                    }
                }
            }
        }
        if orders.is_empty() {
            continue;
        }
        let columns: Vec<Vec<Option<i64>>> = times
            .iter()
            .zip(&time_index)
            .map(|(t, &i)| {
                batch.columns().get(i).map_or_else(Vec::new, |col| {
                    texts(col)
                        .into_iter()
                        .map(|v| v.and_then(|v| t.time(&v, values)))
                        .collect()
                })
            })
            .collect();
        for o in &mut orders {
            for (x, y) in columns[o.a].iter().zip(&columns[o.b]) {
                if let (Some(x), Some(y)) = (x, y) {
                    match x.cmp(y) {
                        std::cmp::Ordering::Less => o.less += 1,
                        std::cmp::Ordering::Equal => o.equal += 1,
                        std::cmp::Ordering::Greater => o.greater += 1,
                    }
                }
            }
        }
    }
    Ok(TableScan {
        rows,
        keys,
        times,
        orders,
    })
}
