//! Quasi-identifiers: generalisation, k-anonymity and l-diversity.
//!
//! Pass 1 counts the distinct raw combinations of quasi-identifier values (with the sensitive
//! values each holds); every generalisation level vector is then evaluated on those
//! combinations, never on the rows again. The search starts with each column at its first
//! declared level (raw when none is declared), climbs one level at a time on the column whose
//! climb leaves the fewest rows in too-small classes, and suppresses what is left once that is
//! within the allowed share.
//!
//! [`Combos`], the pass-1 state, is computed per chunk of rows and merged ([`Combos::merge`]
//! matches values by their content, never by chunk-local ids), so the counting can run per
//! thread or per machine and the search once on the merged counts; it serialises with serde
//! (numbers as their bits, exact). The search's outcome does not depend on the order of the
//! merges.

use serde::{Deserialize, Serialize};

use crate::hash::{FastMap, FastSet};

use crate::schema::{ColumnType, GenLevel};

/// A raw quasi-identifier value, typed so numbers and dates generalise correctly.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Raw {
    /// Missing.
    Null,
    /// A number (ints and floats).
    Num(#[serde(with = "crate::exact::f64_hex")] f64),
    /// Days since 1970-01-01.
    Day(i32),
    /// Microseconds since the epoch.
    Micros(i64),
    /// Text.
    Text(String),
}

/// A borrowed raw value, interned without allocating.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum RawRef<'a> {
    /// Missing.
    Null,
    /// A number.
    Num(f64),
    /// Days since 1970-01-01.
    Day(i32),
    /// Microseconds since the epoch.
    Micros(i64),
    /// Text.
    Text(&'a str),
}

impl Raw {
    /// The borrowed form.
    pub fn as_ref(&self) -> RawRef<'_> {
        match self {
            Raw::Null => RawRef::Null,
            Raw::Num(x) => RawRef::Num(*x),
            Raw::Day(d) => RawRef::Day(*d),
            Raw::Micros(t) => RawRef::Micros(*t),
            Raw::Text(s) => RawRef::Text(s),
        }
    }
}

impl RawRef<'_> {
    fn to_owned(self) -> Raw {
        match self {
            RawRef::Null => Raw::Null,
            RawRef::Num(x) => Raw::Num(x),
            RawRef::Day(d) => Raw::Day(d),
            RawRef::Micros(t) => Raw::Micros(t),
            RawRef::Text(s) => Raw::Text(s.to_string()),
        }
    }
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
        (GenLevel::Day, _) => day.map_or_else(|| "*".into(), |d| d.to_string()),
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

/// Distinct values of one column, interned to small ids.
#[derive(Debug, Default, Clone)]
struct Interner {
    values: Vec<Raw>,
    /// (kind, bits) of numbers, days and instants.
    ints: FastMap<(u8, u64), u32>,
    texts: FastMap<String, u32>,
    null: Option<u32>,
}

impl Interner {
    fn get(&self, v: RawRef) -> Option<u32> {
        match v {
            RawRef::Null => self.null,
            RawRef::Num(x) => self.ints.get(&(1, x.to_bits())).copied(),
            RawRef::Day(d) => self.ints.get(&(2, i64::from(d) as u64)).copied(),
            RawRef::Micros(t) => self.ints.get(&(3, t as u64)).copied(),
            RawRef::Text(s) => self.texts.get(s).copied(),
        }
    }

    fn intern(&mut self, v: RawRef) -> u32 {
        if let Some(id) = self.get(v) {
            return id;
        }
        let id = self.values.len() as u32;
        self.values.push(v.to_owned());
        match v {
            RawRef::Null => self.null = Some(id),
            RawRef::Num(x) => {
                self.ints.insert((1, x.to_bits()), id);
            }
            RawRef::Day(d) => {
                self.ints.insert((2, i64::from(d) as u64), id);
            }
            RawRef::Micros(t) => {
                self.ints.insert((3, t as u64), id);
            }
            RawRef::Text(s) => {
                self.texts.insert(s.to_string(), id);
            }
        }
        id
    }
}

/// A combination of ids: packed into 128 bits for up to four columns (no allocation), boxed
/// beyond.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    Packed(u128),
    Wide(Box<[u32]>),
}

impl Key {
    fn of(ids: &[u32]) -> Key {
        if ids.len() <= 4 {
            Key::Packed(ids.iter().fold(0u128, |k, &i| (k << 32) | u128::from(i)))
        } else {
            Key::Wide(ids.into())
        }
    }
}

/// Distinct raw combinations of quasi-identifier values (as interned ids), with row counts and
/// the distinct sensitive values each holds: the pass-1 state of k-anonymity, mergeable
/// ([`Combos::merge`]) and serialisable. Memory is one entry per distinct combination.
#[derive(Debug, Default, Clone, Serialize, Deserialize)]
#[serde(try_from = "CombosData", into = "CombosData")]
pub struct Combos {
    columns: Vec<Interner>,
    map: FastMap<Key, (Vec<u32>, u64, Vec<u32>)>,
    sensitive: FastMap<String, u32>,
    rows: u64,
    buf: Vec<u32>,
}

impl Combos {
    /// The id of quasi-identifier `q`'s value `v`, interning it if new.
    pub fn intern(&mut self, q: usize, v: RawRef) -> u32 {
        if self.columns.len() <= q {
            self.columns.resize_with(q + 1, Interner::default);
        }
        self.columns[q].intern(v)
    }

    /// Counts one row given its interned ids.
    pub fn add_ids(&mut self, ids: &[u32], sensitive: Option<&str>) {
        let s = sensitive.map(|s| match self.sensitive.get(s) {
            Some(&id) => id,
            None => {
                let id = self.sensitive.len() as u32;
                self.sensitive.insert(s.to_string(), id);
                id
            }
        });
        let e = self
            .map
            .entry(Key::of(ids))
            .or_insert_with(|| (ids.to_vec(), 0, Vec::new()));
        e.1 += 1;
        if let Some(s) = s {
            if !e.2.contains(&s) {
                e.2.push(s);
            }
        }
        self.rows += 1;
    }

    /// Counts one row.
    pub fn add(&mut self, values: &[Raw], sensitive: Option<&str>) {
        let mut ids = std::mem::take(&mut self.buf);
        ids.clear();
        for (q, v) in values.iter().enumerate() {
            ids.push(self.intern(q, v.as_ref()));
        }
        self.add_ids(&ids, sensitive);
        self.buf = ids;
    }

    /// Rows counted.
    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// Distinct combinations counted.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// Whether no row was counted.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// Adds the rows counted in `other` (made for the same quasi-identifiers), matching values
    /// and sensitive values by content. Associative and commutative up to the numbering of
    /// values, which the search does not depend on.
    pub fn merge(&mut self, other: Combos) {
        let maps: Vec<Vec<u32>> = other
            .columns
            .iter()
            .enumerate()
            .map(|(q, c)| {
                c.values
                    .iter()
                    .map(|v| self.intern(q, v.as_ref()))
                    .collect()
            })
            .collect();
        let mut sens_text = vec![""; other.sensitive.len()];
        for (s, &id) in &other.sensitive {
            sens_text[id as usize] = s;
        }
        let sens_map: Vec<u32> = sens_text
            .iter()
            .map(|s| match self.sensitive.get(*s) {
                Some(&id) => id,
                None => {
                    let id = self.sensitive.len() as u32;
                    self.sensitive.insert(s.to_string(), id);
                    id
                }
            })
            .collect();
        for (ids, n, sens) in other.map.into_values() {
            let ids: Vec<u32> = ids
                .iter()
                .enumerate()
                .map(|(q, &i)| maps[q][i as usize])
                .collect();
            let e = self
                .map
                .entry(Key::of(&ids))
                .or_insert_with(|| (ids.clone(), 0, Vec::new()));
            e.1 += n;
            for s in sens {
                let s = sens_map[s as usize];
                if !e.2.contains(&s) {
                    e.2.push(s);
                }
            }
        }
        self.rows += other.rows;
    }

    /// The counts by content, sorted: (the values of a combination, its rows, its distinct
    /// sensitive values, sorted). Two states count the same rows exactly when these agree.
    pub fn entries(&self) -> Vec<(Vec<Raw>, u64, Vec<String>)> {
        let mut sens_text = vec![String::new(); self.sensitive.len()];
        for (s, &id) in &self.sensitive {
            sens_text[id as usize] = s.clone();
        }
        let mut out: Vec<(Vec<Raw>, u64, Vec<String>)> = self
            .map
            .values()
            .map(|(ids, n, sens)| {
                let mut s: Vec<String> = sens
                    .iter()
                    .map(|&i| sens_text[i as usize].clone())
                    .collect();
                s.sort();
                (
                    ids.iter()
                        .enumerate()
                        .map(|(q, &i)| self.columns[q].values[i as usize].clone())
                        .collect(),
                    *n,
                    s,
                )
            })
            .collect();
        out.sort_by(|a, b| format!("{:?}", a.0).cmp(&format!("{:?}", b.0)));
        out
    }
}

/// The serialised form of [`Combos`]: each column's distinct values, the sensitive values,
/// and per combination its value ids, rows and sensitive ids.
#[derive(Serialize, Deserialize)]
struct CombosData {
    columns: Vec<Vec<Raw>>,
    sensitive: Vec<String>,
    combos: Vec<(Vec<u32>, u64, Vec<u32>)>,
    rows: u64,
}

impl From<Combos> for CombosData {
    fn from(c: Combos) -> CombosData {
        let mut sensitive = vec![String::new(); c.sensitive.len()];
        for (s, id) in c.sensitive {
            sensitive[id as usize] = s;
        }
        let mut combos: Vec<(Vec<u32>, u64, Vec<u32>)> = c.map.into_values().collect();
        combos.sort();
        CombosData {
            columns: c.columns.into_iter().map(|i| i.values).collect(),
            sensitive,
            combos,
            rows: c.rows,
        }
    }
}

impl TryFrom<CombosData> for Combos {
    type Error = String;

    fn try_from(d: CombosData) -> Result<Combos, String> {
        let mut c = Combos::default();
        for (q, values) in d.columns.iter().enumerate() {
            for (i, v) in values.iter().enumerate() {
                if c.intern(q, v.as_ref()) != i as u32 {
                    return Err(format!("quasi-identifier {q} lists the value {v:?} twice"));
                }
            }
        }
        for (i, s) in d.sensitive.into_iter().enumerate() {
            if c.sensitive.insert(s, i as u32).is_some() {
                return Err("a sensitive value is listed twice".into());
            }
        }
        let counted: u64 = d.combos.iter().map(|x| x.1).sum();
        for (ids, n, sens) in d.combos {
            let fits = ids.len() == d.columns.len()
                && ids
                    .iter()
                    .zip(&d.columns)
                    .all(|(&i, v)| (i as usize) < v.len())
                && sens.iter().all(|&s| (s as usize) < c.sensitive.len());
            if !fits {
                return Err(format!(
                    "the combination {ids:?} does not match the values listed"
                ));
            }
            c.map.insert(Key::of(&ids), (ids, n, sens));
        }
        if counted != d.rows {
            return Err(format!(
                "the combinations hold {counted} rows, not {}",
                d.rows
            ));
        }
        c.rows = d.rows;
        Ok(c)
    }
}

/// For one column at one level: the label id of every interned raw value, and the labels.
#[derive(Debug, Clone, Default)]
struct LevelTable {
    label_of: Vec<u32>,
    labels: Vec<String>,
}

fn level_table(q: &Qi, level: usize, values: &[Raw]) -> LevelTable {
    let mut ids: FastMap<String, u32> = FastMap::default();
    let mut t = LevelTable::default();
    for v in values {
        let l = label(v, q.level(level), q.whole);
        let id = match ids.get(&l) {
            Some(&id) => id,
            None => {
                let id = t.labels.len() as u32;
                ids.insert(l.clone(), id);
                t.labels.push(l);
                id
            }
        };
        t.label_of.push(id);
    }
    t
}

type Classes = FastMap<Key, (Vec<u32>, u64, Vec<u32>)>;

/// The equivalence classes at one level vector: label ids -> (label ids, rows, distinct
/// sensitive ids).
fn classes(tables: &[&LevelTable], combos: &Combos) -> Classes {
    let mut out: Classes = FastMap::default();
    let mut key: Vec<u32> = Vec::with_capacity(tables.len());
    for (raw, n, sens) in combos.map.values() {
        key.clear();
        key.extend(raw.iter().zip(tables).map(|(r, t)| t.label_of[*r as usize]));
        let e = out
            .entry(Key::of(&key))
            .or_insert_with(|| (key.clone(), 0, Vec::new()));
        e.1 += n;
        for s in sens {
            if !e.2.contains(s) {
                e.2.push(*s);
            }
        }
    }
    out
}

fn breaks(n: u64, sens: &[u32], k: u64, l: Option<u64>) -> bool {
    n < k || l.is_some_and(|l| (sens.len() as u64) < l)
}

/// Rows in classes that break k (or l).
fn small_rows(cls: &Classes, k: u64, l: Option<u64>) -> u64 {
    cls.values()
        .filter(|(_, n, s)| breaks(*n, s, k, l))
        .map(|(_, n, _)| n)
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

/// How rows are generalised and which classes are suppressed, for the writing pass.
#[derive(Debug, Clone, Default)]
pub struct Generaliser {
    qis: Vec<Qi>,
    levels: Vec<usize>,
    columns: Vec<Interner>,
    tables: Vec<LevelTable>,
    suppressed: FastSet<Key>,
}

impl Generaliser {
    /// The id of quasi-identifier `q`'s value `v`, if pass 1 counted it.
    pub fn raw_id(&self, q: usize, v: RawRef) -> Option<u32> {
        self.columns.get(q)?.get(v)
    }

    /// The label id of quasi-identifier `q`'s raw id at the chosen level.
    pub fn label_id(&self, q: usize, raw: u32) -> u32 {
        self.tables[q].label_of[raw as usize]
    }

    /// The labels of quasi-identifier `q` at the chosen level, by label id.
    pub fn labels(&self, q: usize) -> &[String] {
        &self.tables[q].labels
    }

    /// Whether the class with these label ids is suppressed.
    pub fn is_suppressed(&self, label_ids: &[u32]) -> bool {
        self.suppressed.contains(&Key::of(label_ids))
    }

    /// The labels of one row at the chosen levels, or `None` when the row's class is
    /// suppressed (or its values were never counted, which only consenting rows are).
    pub fn row(&self, values: &[Raw]) -> Option<Vec<&str>> {
        let mut key = Vec::with_capacity(values.len());
        for ((c, t), v) in self.columns.iter().zip(&self.tables).zip(values) {
            key.push(t.label_of[c.get(v.as_ref())? as usize]);
        }
        if self.suppressed.contains(&Key::of(&key)) {
            return None;
        }
        Some(
            key.iter()
                .zip(&self.tables)
                .map(|(k, t)| t.labels[*k as usize].as_str())
                .collect(),
        )
    }

    /// The chosen level of quasi-identifier `q` (0 = raw).
    pub fn level(&self, q: usize) -> usize {
        self.levels[q]
    }

    /// Quasi-identifiers, in order.
    pub fn quasi_identifiers(&self) -> &[Qi] {
        &self.qis
    }
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
    /// What the writing pass needs (not serialised).
    #[serde(skip)]
    pub generaliser: Generaliser,
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
    let mut columns = combos.columns.clone();
    columns.resize_with(qis.len(), Interner::default);
    // Label tables for every column at every level, over the column's distinct values only.
    let tables: Vec<Vec<LevelTable>> = qis
        .iter()
        .zip(&columns)
        .map(|(q, c)| {
            (0..=q.levels.len())
                .map(|lv| level_table(q, lv, &c.values))
                .collect()
        })
        .collect();
    let at = |levels: &[usize]| -> Vec<&LevelTable> {
        levels
            .iter()
            .enumerate()
            .map(|(q, l)| &tables[q][*l])
            .collect()
    };
    let mut levels: Vec<usize> = qis
        .iter()
        .map(|q| usize::from(!q.levels.is_empty()))
        .collect();
    let need_k = k.unwrap_or(1);
    let need_l = l.as_ref().map(|x| x.1);
    let allowed = (max_suppression * rows as f64).floor() as u64;
    let mut cls = classes(&at(&levels), combos);
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
                    let c = classes(&at(&next), combos);
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
    let suppressed: FastSet<Key> = cls
        .iter()
        .filter(|(_, (_, n, s))| breaks(*n, s, need_k, need_l))
        .map(|(key, _)| key.clone())
        .collect();
    let kept: Vec<(u64, &Vec<u32>)> = cls
        .iter()
        .filter(|(key, _)| !suppressed.contains(*key))
        .map(|(_, (_, n, s))| (*n, s))
        .collect();
    let suppressed_rows: u64 = cls
        .iter()
        .filter(|(key, _)| suppressed.contains(*key))
        .map(|(_, (_, n, _))| n)
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
        let inside: Vec<&(u64, &Vec<u32>)> =
            kept.iter().filter(|v| v.0 >= *lo && v.0 <= *hi).collect();
        SizeBucket {
            sizes: name.to_string(),
            classes: inside.len() as u64,
            rows: inside.iter().map(|v| v.0).sum(),
        }
    })
    .collect();
    buckets.retain(|b| b.classes > 0);
    let generaliser = Generaliser {
        qis: qis.to_vec(),
        levels: levels.clone(),
        columns,
        tables: levels
            .iter()
            .enumerate()
            .map(|(q, l)| tables[q][*l].clone())
            .collect(),
        suppressed,
    };
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
        generaliser,
    })
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
        assert_eq!(
            label(&Raw::Day(d), Some(&GenLevel::Day), false),
            "1987-06-15"
        );
        assert_eq!(label(&Raw::Day(d), None, false), "1987-06-15");
        assert_eq!(
            label(&Raw::Text("x".into()), Some(&GenLevel::Suppress), false),
            "*"
        );
    }
}
