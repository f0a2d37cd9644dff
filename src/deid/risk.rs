//! Singling-out risk of a released table: the share of rows that are unique over the
//! quasi-identifiers, over everything released, and how much each released column adds.
//!
//! k-anonymity over the declared quasi-identifiers says nothing about the other columns that
//! are released beside them: an exact timestamp or a free-form description can make nearly
//! every row unique again. [`SinglingOutCounter`] counts, over a stream of Arrow record
//! batches, the distinct value combinations of
//! - the quasi-identifiers (as released, i.e. after generalisation),
//! - every released column together,
//! - the quasi-identifiers plus each other released column in turn,
//! - an optional gate set (the schema's `privacy.unique_over`),
//!
//! and [`SinglingOutCounter::finish`] turns the counts into shares of unique rows. The counter
//! is mergeable (count chunks anywhere, [`SinglingOutCounter::merge`] them), so threads or
//! machines can share the work; the result does not depend on how the rows were split.
//!
//! Combinations are keyed by a 64-bit hash of the row's values (column by column, nulls equal
//! nulls, `-0.0` equal to `0.0`). Two distinct combinations share a key with probability about
//! n²/2⁶⁵ for n distinct combinations (under 3·10⁻⁶ at 10 million); a shared key can only
//! merge two classes, so the figures err by at most a row per collision. Memory grows with the
//! number of distinct combinations (about 20 bytes each per set), not with the rows.

use std::hash::{BuildHasher, BuildHasherDefault, Hasher};

use arrow_array::cast::AsArray;
use arrow_array::{Array, RecordBatch};
use arrow_schema::DataType;
use serde::{Deserialize, Serialize};

use crate::hash::{FastHasher, FastMap};

/// Errors from counting.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum RiskError {
    /// A counted column is missing from a batch.
    #[error("column `{0}` is not in the data")]
    MissingColumn(String),
    /// A column of a type that cannot be compared value by value.
    #[error("column `{column}` has type {ty}, which singling-out figures cannot compare")]
    Unsupported {
        /// The column.
        column: String,
        /// Its Arrow type.
        ty: String,
    },
    /// Two counters over different column sets cannot be merged.
    #[error("cannot merge singling-out counts over different columns")]
    Mismatch,
}

/// Rows unique over one set of columns.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Uniqueness {
    /// The columns, in release order.
    pub columns: Vec<String>,
    /// Rows whose value combination no other row shares.
    pub unique_rows: u64,
    /// `unique_rows` over all rows (0 for an empty table).
    pub share: f64,
}

/// How much one released column raises uniqueness when added to the quasi-identifiers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Raise {
    /// The column added.
    pub column: String,
    /// Share of rows unique over the quasi-identifiers plus this column.
    pub share: f64,
    /// `share` minus the share unique over the quasi-identifiers alone.
    pub raise: f64,
}

/// The singling-out figures of a released table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SinglingOut {
    /// Rows counted.
    pub rows: u64,
    /// Unique over the quasi-identifiers (an empty set leaves no row unique unless the table
    /// has one row).
    pub quasi_identifiers: Uniqueness,
    /// Unique over every released column counted.
    pub released: Uniqueness,
    /// Each released column that is not a quasi-identifier, largest raise first (ties in
    /// release order).
    pub raises: Vec<Raise>,
    /// Unique over the gate set, when one was given.
    pub gate_set: Option<Uniqueness>,
    /// Whether every figure is an exact count; false when a set held more distinct
    /// combinations than its cap and its unique rows were estimated by distinct sampling.
    pub exact: bool,
}

/// Counts distinct value combinations over a stream of record batches; see the module docs.
/// Mergeable ([`SinglingOutCounter::merge`]: per chunk, thread or machine) and serialisable
/// with serde, so chunks counted elsewhere can be merged here.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SinglingOutCounter {
    quasi: Vec<String>,
    others: Vec<String>,
    /// Every counted column in release order (for the report).
    order: Vec<String>,
    gate: Option<Vec<String>>,
    rows: u64,
    /// Per set, in the order: quasi-identifiers, everything, quasi + others[i] for each i,
    /// then the gate set.
    counts: Vec<SetCount>,
    /// Most keys a set holds before it samples (see [`SetCount`]).
    cap: usize,
}

/// Distinct keys kept per set before the set samples its key space: about 5 MiB a set.
pub const DEFAULT_KEY_CAP: usize = 1 << 18;

/// The keys of one set: key -> rows seen, saturating at 2 (only "one" or "more" matters).
///
/// Memory is bounded by distinct sampling (Gibbons 2001): once a set holds more than its cap
/// of keys it keeps only keys whose lowest `level` bits are zero, a 2^-level share of the
/// combinations chosen by hash, with every row of each kept combination. Unique rows are then
/// the unique kept combinations times 2^level: an unbiased estimate whose relative standard
/// error is about 1/sqrt(unique kept), about 0.2 % at the default cap when many rows are
/// unique. Below the cap (level 0) the count is exact.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct SetCount {
    level: u32,
    map: FastMap<u64, u8>,
}

impl SetCount {
    #[inline]
    fn kept(&self, k: u64) -> bool {
        self.level == 0 || k.trailing_zeros() >= self.level
    }

    #[inline]
    fn bump(&mut self, k: u64, by: u8) {
        if self.kept(k) {
            let c = self.map.entry(k).or_insert(0);
            *c = c.saturating_add(by).min(2);
        }
    }

    /// Raises the level until at most `cap` keys remain.
    fn bound(&mut self, cap: usize) {
        while self.map.len() > cap && self.level < 63 {
            self.level += 1;
            let level = self.level;
            self.map.retain(|k, _| k.trailing_zeros() >= level);
        }
    }

    /// Unique rows: exact at level 0, else the sampled estimate.
    fn unique(&self) -> u64 {
        (self.map.values().filter(|c| **c == 1).count() as u64) << self.level
    }
}

/// The combination keys of a batch's rows, one vector per counted set.
#[derive(Debug, Clone)]
pub struct RowKeys {
    rows: usize,
    sets: Vec<Vec<u64>>,
}

const NULL_HASH: u64 = 0x6e75_6c6c_6e75_6c6c;

fn hash_bytes(b: &[u8]) -> u64 {
    BuildHasherDefault::<FastHasher>::default().hash_one(b)
}

fn hash_u64(x: u64) -> u64 {
    BuildHasherDefault::<FastHasher>::default().hash_one(x)
}

/// One hash per row of `a`: equal values give equal hashes, nulls one fixed hash.
fn value_hashes(a: &dyn Array, column: &str) -> Result<Vec<u64>, RiskError> {
    let n = a.len();
    let with_nulls = |mut h: Vec<u64>| {
        if a.null_count() > 0 {
            for (i, x) in h.iter_mut().enumerate() {
                if a.is_null(i) {
                    *x = NULL_HASH;
                }
            }
        }
        h
    };
    let out = match a.data_type() {
        DataType::Utf8 => a
            .as_string::<i32>()
            .iter()
            .map(|v| v.map_or(NULL_HASH, |s| hash_bytes(s.as_bytes())))
            .collect(),
        DataType::LargeUtf8 => a
            .as_string::<i64>()
            .iter()
            .map(|v| v.map_or(NULL_HASH, |s| hash_bytes(s.as_bytes())))
            .collect(),
        DataType::Utf8View => a
            .as_string_view()
            .iter()
            .map(|v| v.map_or(NULL_HASH, |s| hash_bytes(s.as_bytes())))
            .collect(),
        DataType::Dictionary(..) => {
            // Batches may carry different dictionaries: hash the values, never the keys.
            let d = a.as_any_dictionary();
            let values = value_hashes(d.values().as_ref(), column)?;
            // Not `normalized_keys`, which panics on an entirely null column.
            crate::io::read::dictionary_keys(d)
                .iter()
                .enumerate()
                .map(|(i, k)| {
                    if a.is_null(i) {
                        NULL_HASH
                    } else {
                        values.get(*k).copied().unwrap_or(NULL_HASH)
                    }
                })
                .collect()
        }
        DataType::Boolean => with_nulls(
            (0..n)
                .map(|i| hash_u64(u64::from(a.as_boolean().value(i)) + 1))
                .collect(),
        ),
        DataType::Float64 => with_nulls(
            a.as_primitive::<arrow_array::types::Float64Type>()
                .values()
                .iter()
                .map(|x| hash_u64(canonical_f64(*x)))
                .collect(),
        ),
        DataType::Float32 => with_nulls(
            a.as_primitive::<arrow_array::types::Float32Type>()
                .values()
                .iter()
                .map(|x| hash_u64(canonical_f64(f64::from(*x))))
                .collect(),
        ),
        t if t.is_primitive() => {
            // Integers, dates, instants, decimals: the value's bytes.
            let width = t.primitive_width().unwrap_or(0);
            let data = a.to_data();
            let buf = data.buffers().first().map(|b| b.as_slice()).unwrap_or(&[]);
            let start = data.offset() * width;
            if width == 0 || buf.len() < start + n * width {
                return Err(RiskError::Unsupported {
                    column: column.to_string(),
                    ty: t.to_string(),
                });
            }
            with_nulls(
                buf[start..start + n * width]
                    .chunks_exact(width)
                    .map(hash_bytes)
                    .collect(),
            )
        }
        DataType::Null => vec![NULL_HASH; n],
        t => {
            return Err(RiskError::Unsupported {
                column: column.to_string(),
                ty: t.to_string(),
            })
        }
    };
    Ok(out)
}

/// Equal floats give equal bits: `-0.0` is `0.0`, every NaN one NaN.
fn canonical_f64(x: f64) -> u64 {
    if x == 0.0 {
        0
    } else if x.is_nan() {
        f64::NAN.to_bits()
    } else {
        x.to_bits()
    }
}

/// The key of a combination extended by one more column's value hash.
#[inline]
fn extend(key: u64, h: u64) -> u64 {
    let mut f = FastHasher::default();
    f.write_u64(key);
    f.write_u64(h);
    f.finish()
}

impl SinglingOutCounter {
    /// A counter over `quasi` (the quasi-identifiers as released) and `released` (every column
    /// released; the quasi-identifiers among them are not repeated). `gate`, when given, is
    /// one more set whose figure a gate checks.
    pub fn new(quasi: &[String], released: &[String], gate: Option<&[String]>) -> Self {
        let others: Vec<String> = released
            .iter()
            .filter(|c| !quasi.contains(c))
            .cloned()
            .collect();
        let sets = 2 + others.len() + usize::from(gate.is_some());
        let mut order: Vec<String> = quasi
            .iter()
            .filter(|c| !released.contains(c))
            .cloned()
            .collect();
        order.extend(released.iter().cloned());
        SinglingOutCounter {
            quasi: quasi.to_vec(),
            others,
            order,
            gate: gate.map(<[String]>::to_vec),
            rows: 0,
            counts: vec![SetCount::default(); sets],
            cap: DEFAULT_KEY_CAP,
        }
    }

    /// The same counter, holding at most `cap` distinct keys per set before it samples
    /// (at least 1,024).
    pub fn with_key_cap(mut self, cap: usize) -> Self {
        self.cap = cap.max(1024);
        self
    }

    /// Whether every figure so far is exact (no set has had to sample).
    pub fn is_exact(&self) -> bool {
        self.counts.iter().all(|c| c.level == 0)
    }

    /// Counts the rows of `batch`; its columns are found by name.
    pub fn add(&mut self, batch: &RecordBatch) -> Result<(), RiskError> {
        let keys = self.row_keys(batch)?;
        self.add_keys(&keys);
        Ok(())
    }

    /// The combination keys of every row of `batch`, per set: the costly half of
    /// [`SinglingOutCounter::add`], which needs no `&mut` and so runs on many threads at once.
    pub fn row_keys(&self, batch: &RecordBatch) -> Result<RowKeys, RiskError> {
        let n = batch.num_rows();
        let hashes = |name: &String| -> Result<Vec<u64>, RiskError> {
            let a = batch
                .column_by_name(name)
                .ok_or_else(|| RiskError::MissingColumn(name.clone()))?;
            value_hashes(a.as_ref(), name)
        };
        let quasi: Vec<Vec<u64>> = self.quasi.iter().map(hashes).collect::<Result<_, _>>()?;
        let others: Vec<Vec<u64>> = self.others.iter().map(hashes).collect::<Result<_, _>>()?;
        let fold = |cols: &[&Vec<u64>]| -> Vec<u64> {
            (0..n)
                .map(|r| cols.iter().fold(0u64, |k, c| extend(k, c[r])))
                .collect()
        };
        let quasi_refs: Vec<&Vec<u64>> = quasi.iter().collect();
        let base = fold(&quasi_refs);
        let mut all_refs = quasi_refs.clone();
        all_refs.extend(others.iter());
        let mut sets = Vec::with_capacity(self.counts.len());
        sets.push(fold(&all_refs));
        for o in &others {
            sets.push(base.iter().zip(o).map(|(b, h)| extend(*b, *h)).collect());
        }
        if let Some(g) = &self.gate {
            let cols: Vec<Vec<u64>> = g.iter().map(hashes).collect::<Result<_, _>>()?;
            let refs: Vec<&Vec<u64>> = cols.iter().collect();
            sets.push(fold(&refs));
        }
        sets.insert(0, base);
        Ok(RowKeys { rows: n, sets })
    }

    /// Counts rows whose keys [`SinglingOutCounter::row_keys`] computed (on this counter or
    /// one over the same columns).
    pub fn add_keys(&mut self, keys: &RowKeys) {
        for (set, ks) in self.counts.iter_mut().zip(&keys.sets) {
            for k in ks {
                set.bump(*k, 1);
            }
            set.bound(self.cap);
        }
        self.rows += keys.rows as u64;
    }

    /// Adds the counts of `other`, a counter over the same columns (e.g. of another chunk).
    pub fn merge(&mut self, other: SinglingOutCounter) -> Result<(), RiskError> {
        if self.quasi != other.quasi || self.others != other.others || self.gate != other.gate {
            return Err(RiskError::Mismatch);
        }
        self.rows += other.rows;
        for (mine, theirs) in self.counts.iter_mut().zip(other.counts) {
            // Both sides at the coarser level: keys kept at a level are kept at every lower one.
            if theirs.level > mine.level {
                mine.level = theirs.level;
                let level = mine.level;
                mine.map.retain(|k, _| k.trailing_zeros() >= level);
            }
            for (k, c) in theirs.map {
                mine.bump(k, c);
            }
            mine.bound(self.cap);
        }
        Ok(())
    }

    /// Rows counted so far.
    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// The figures.
    pub fn finish(&self) -> SinglingOut {
        self.figures(self.rows, &self.unique_counts(), self.is_exact())
    }

    /// Keys seen exactly once, per set.
    fn unique_counts(&self) -> Vec<u64> {
        self.counts.iter().map(SetCount::unique).collect()
    }

    /// The figures from `rows` and the unique rows per set.
    fn figures(&self, rows: u64, unique: &[u64], exact: bool) -> SinglingOut {
        // An estimate never claims more unique rows than there are.
        let unique: Vec<u64> = unique.iter().map(|u| (*u).min(rows)).collect();
        let share = |u: u64| {
            if rows == 0 {
                0.0
            } else {
                u as f64 / rows as f64
            }
        };
        let set = |columns: Vec<String>, i: usize| Uniqueness {
            columns,
            unique_rows: unique[i],
            share: share(unique[i]),
        };
        let quasi = set(self.quasi.clone(), 0);
        let released = set(self.order.clone(), 1);
        let mut raises: Vec<Raise> = self
            .others
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let s = share(unique[2 + i]);
                Raise {
                    column: c.clone(),
                    share: s,
                    raise: s - quasi.share,
                }
            })
            .collect();
        // Stable: ties keep release order.
        raises.sort_by(|a, b| b.raise.total_cmp(&a.raise));
        let gate_set = self
            .gate
            .as_ref()
            .map(|g| set(g.clone(), self.counts.len() - 1));
        SinglingOut {
            rows,
            quasi_identifiers: quasi,
            released,
            raises,
            gate_set,
            exact,
        }
    }
}

/// A [`SinglingOutCounter`] split by key into shards, each behind its own lock, so that many
/// threads count at once; a key always lands in the same shard, so the shards' unique counts
/// add up to the whole table's.
#[derive(Debug)]
pub struct ShardedCounter {
    template: SinglingOutCounter,
    shards: Vec<std::sync::Mutex<SinglingOutCounter>>,
    rows: std::sync::atomic::AtomicU64,
}

/// Shards of a [`ShardedCounter`] (a power of two: the key's top bits pick the shard).
const SHARD_BITS: u32 = 4;

impl ShardedCounter {
    /// An empty sharded counter over the columns of `counter` (which should be empty).
    pub fn new(counter: &SinglingOutCounter) -> Self {
        ShardedCounter {
            template: counter.clone(),
            // Each shard sees 1/16 of the keys: its cap is the same share of the total.
            shards: (0..1usize << SHARD_BITS)
                .map(|_| {
                    let c = counter.clone();
                    let cap = c.cap >> SHARD_BITS;
                    std::sync::Mutex::new(c.with_key_cap(cap))
                })
                .collect(),
            rows: std::sync::atomic::AtomicU64::new(0),
        }
    }

    /// The combination keys of `batch`'s rows (see [`SinglingOutCounter::row_keys`]).
    pub fn row_keys(&self, batch: &RecordBatch) -> Result<RowKeys, RiskError> {
        self.template.row_keys(batch)
    }

    /// Counts rows by their keys; callable from many threads.
    pub fn add_keys(&self, keys: &RowKeys) {
        let n = self.shards.len();
        let mut split: Vec<Vec<Vec<u64>>> = vec![vec![Vec::new(); keys.sets.len()]; n];
        for (set, ks) in keys.sets.iter().enumerate() {
            for k in ks {
                split[(k >> (64 - SHARD_BITS)) as usize][set].push(*k);
            }
        }
        for (shard, sets) in self.shards.iter().zip(split) {
            let part = RowKeys { rows: 0, sets };
            shard
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .add_keys(&part);
        }
        self.rows
            .fetch_add(keys.rows as u64, std::sync::atomic::Ordering::Relaxed);
    }

    /// The figures of every row counted.
    pub fn finish(self) -> SinglingOut {
        let mut unique = vec![0u64; self.template.counts.len()];
        let mut exact = true;
        for shard in self.shards {
            let shard = shard
                .into_inner()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            exact &= shard.is_exact();
            for (u, c) in unique.iter_mut().zip(shard.unique_counts()) {
                *u += c;
            }
        }
        self.template
            .figures(self.rows.into_inner(), &unique, exact)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_array::{ArrayRef, DictionaryArray, Float64Array, Int64Array, StringArray};
    use std::sync::Arc;

    fn names(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    fn batch(cols: Vec<(&str, ArrayRef)>) -> RecordBatch {
        RecordBatch::try_from_iter(cols).expect("batch")
    }

    fn table() -> RecordBatch {
        let sex: DictionaryArray<arrow_array::types::Int32Type> =
            vec!["f", "f", "m", "m", "m", "f"].into_iter().collect();
        batch(vec![
            ("sex", Arc::new(sex) as ArrayRef),
            (
                "age",
                Arc::new(Int64Array::from(vec![
                    Some(30),
                    Some(30),
                    Some(40),
                    Some(40),
                    None,
                    None,
                ])),
            ),
            (
                "t",
                Arc::new(Float64Array::from(vec![1.0, 2.0, 3.0, 3.0, -0.0, 0.0])),
            ),
            (
                "note",
                Arc::new(StringArray::from(vec![
                    Some("a"),
                    Some("a"),
                    None,
                    None,
                    Some("b"),
                    Some("c"),
                ])),
            ),
        ])
    }

    #[test]
    fn counts_unique_rows_per_set() {
        let mut c = SinglingOutCounter::new(
            &names(&["sex", "age"]),
            &names(&["sex", "age", "t", "note"]),
            Some(&names(&["note"])),
        );
        c.add(&table()).expect("counted");
        let s = c.finish();
        assert_eq!(s.rows, 6);
        // (f,30) x2, (m,40) x2, (m,null), (f,null): 2 unique.
        assert_eq!(s.quasi_identifiers.unique_rows, 2);
        // + t: rows 0 and 1 differ; rows 2, 3 equal; -0.0 equals 0.0 but sex differs.
        assert_eq!(s.released.unique_rows, 4);
        let t = s.raises.iter().find(|r| r.column == "t").expect("t");
        assert!((t.share - 4.0 / 6.0).abs() < 1e-12);
        assert!((t.raise - 2.0 / 6.0).abs() < 1e-12);
        let note = s.raises.iter().find(|r| r.column == "note").expect("note");
        assert_eq!(note.raise, 0.0);
        assert_eq!(s.raises[0].column, "t", "largest raise first");
        // note alone: a x2, null x2, b, c.
        assert_eq!(s.gate_set.expect("gate").unique_rows, 2);
    }

    #[test]
    fn merged_chunks_equal_the_whole() {
        let whole = table();
        let sets = (
            names(&["sex"]),
            names(&["sex", "age", "t", "note"]),
            names(&["age", "t"]),
        );
        let mut one = SinglingOutCounter::new(&sets.0, &sets.1, Some(&sets.2));
        one.add(&whole).expect("whole");
        for cut in 1..whole.num_rows() {
            let mut a = SinglingOutCounter::new(&sets.0, &sets.1, Some(&sets.2));
            let mut b = a.clone();
            a.add(&whole.slice(0, cut)).expect("head");
            b.add(&whole.slice(cut, whole.num_rows() - cut))
                .expect("tail");
            a.merge(b).expect("same columns");
            assert_eq!(a.finish(), one.finish(), "cut at {cut}");
        }
    }

    #[test]
    fn shards_add_up_to_the_whole() {
        let whole = table();
        let c = SinglingOutCounter::new(
            &names(&["sex"]),
            &names(&["sex", "age", "t", "note"]),
            Some(&names(&["note", "t"])),
        );
        let mut one = c.clone();
        one.add(&whole).expect("whole");
        let sharded = ShardedCounter::new(&c);
        for r in 0..whole.num_rows() {
            let keys = sharded.row_keys(&whole.slice(r, 1)).expect("keys");
            sharded.add_keys(&keys);
        }
        assert_eq!(sharded.finish(), one.finish());
    }

    #[test]
    fn sampling_bounds_memory_and_estimates_within_a_few_percent() {
        // 200,000 rows: a unique id per row, and a code shared by 1..=4 rows in turn.
        let n = 200_000i64;
        let ids: ArrayRef = Arc::new(Int64Array::from_iter_values(0..n));
        let mut codes = Vec::with_capacity(n as usize);
        let (mut code, mut left, mut size) = (0i64, 1i64, 1i64);
        for _ in 0..n {
            if left == 0 {
                code += 1;
                size = size % 4 + 1;
                left = size;
            }
            codes.push(code);
            left -= 1;
        }
        let codes: ArrayRef = Arc::new(Int64Array::from(codes));
        let b = batch(vec![("id", ids), ("code", codes)]);
        let full = SinglingOutCounter::new(&names(&["code"]), &names(&["code", "id"]), None);
        let mut exact = full.clone();
        exact.add(&b).expect("exact");
        assert!(exact.is_exact());
        let mut small = full.clone().with_key_cap(4096);
        for start in (0..n as usize).step_by(10_000) {
            small.add(&b.slice(start, 10_000)).expect("sampled");
        }
        assert!(!small.is_exact());
        assert!(small.counts.iter().all(|c| c.map.len() <= 4096));
        let (e, s) = (exact.finish(), small.finish());
        assert!(!s.exact && e.exact);
        assert_eq!(e.released.unique_rows, n as u64);
        for (want, got) in [
            (
                e.quasi_identifiers.unique_rows,
                s.quasi_identifiers.unique_rows,
            ),
            (e.released.unique_rows, s.released.unique_rows),
        ] {
            let rel = (got as f64 - want as f64).abs() / want as f64;
            assert!(rel < 0.06, "estimate {got} against {want}");
        }
        // Merging a sampled counter with an exact one keeps the coarser level.
        let mut a = full.clone().with_key_cap(4096);
        let mut c = full.clone().with_key_cap(4096);
        a.add(&b.slice(0, 100_000)).expect("a");
        c.add(&b.slice(100_000, 100_000)).expect("c");
        a.merge(c).expect("merge");
        let m = a.finish();
        let rel = (m.released.unique_rows as f64 - n as f64).abs() / n as f64;
        assert!(rel < 0.06, "merged estimate {}", m.released.unique_rows);
    }

    #[test]
    fn dictionaries_compare_by_value_across_batches() {
        let d1: DictionaryArray<arrow_array::types::Int32Type> =
            vec!["x", "y"].into_iter().collect();
        let d2: DictionaryArray<arrow_array::types::Int32Type> =
            vec!["y", "z"].into_iter().collect();
        let mut c = SinglingOutCounter::new(&names(&["k"]), &names(&["k"]), None);
        c.add(&batch(vec![("k", Arc::new(d1) as ArrayRef)]))
            .expect("first");
        c.add(&batch(vec![("k", Arc::new(d2) as ArrayRef)]))
            .expect("second");
        // x, y, y, z: x and z unique.
        assert_eq!(c.finish().quasi_identifiers.unique_rows, 2);
    }

    #[test]
    fn errors_name_the_column() {
        let mut c = SinglingOutCounter::new(&names(&["nope"]), &names(&[]), None);
        assert_eq!(
            c.add(&table()),
            Err(RiskError::MissingColumn("nope".into()))
        );
        let other = SinglingOutCounter::new(&names(&["sex"]), &names(&[]), None);
        assert_eq!(c.merge(other), Err(RiskError::Mismatch));
    }

    #[test]
    fn no_quasi_identifiers_is_one_class() {
        let mut c = SinglingOutCounter::new(&[], &names(&["note"]), None);
        c.add(&table()).expect("counted");
        let s = c.finish();
        assert_eq!(s.quasi_identifiers.unique_rows, 0);
        assert_eq!(s.released.unique_rows, 2);
        assert!((s.raises[0].raise - 2.0 / 6.0).abs() < 1e-12);
    }
}
