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

use std::sync::Arc;

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

/// Distinct values of one column, interned to small ids. A number, day or instant of a column
/// with declared levels is interned by its labels at those levels (the search never looks
/// below the first declared level), so that the first value with those labels stands for all
/// the others: the state grows with the generalised values, not with the rows.
#[derive(Debug, Default, Clone)]
struct Interner {
    values: Vec<Raw>,
    /// (kind, bits) of numbers, days and instants.
    ints: FastMap<(u8, u64), u32>,
    texts: FastMap<String, u32>,
    null: Option<u32>,
    /// The labels at the declared levels -> the id of the first value with them.
    by_labels: FastMap<Vec<LabelKey>, u32>,
    buf: Vec<LabelKey>,
}

thread_local! {
    static LABELS: std::cell::RefCell<Vec<LabelKey>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Whether `v` is interned by its labels at `levels`.
fn labelled(v: RawRef, levels: &[GenLevel]) -> bool {
    !levels.is_empty() && matches!(v, RawRef::Num(_) | RawRef::Day(_) | RawRef::Micros(_))
}

fn labels_into(v: RawRef, levels: &[GenLevel], out: &mut Vec<LabelKey>) {
    out.clear();
    out.extend(levels.iter().map(|l| label_key(v, l)));
}

impl Interner {
    /// The id of `v` in a column with the declared `levels`.
    fn get_at(&self, v: RawRef, levels: &[GenLevel]) -> Option<u32> {
        if !labelled(v, levels) {
            return self.get(v);
        }
        LABELS.with(|b| {
            let mut b = b.borrow_mut();
            labels_into(v, levels, &mut b);
            self.by_labels.get(&b[..]).copied()
        })
    }

    /// The id of `v` in a column with the declared `levels`, interning it if new.
    fn intern_at(&mut self, v: RawRef, levels: &[GenLevel]) -> u32 {
        if !labelled(v, levels) {
            return self.intern(v);
        }
        let mut b = std::mem::take(&mut self.buf);
        labels_into(v, levels, &mut b);
        let id = match self.by_labels.get(&b[..]) {
            Some(&id) => id,
            None => {
                let id = self.intern(v);
                self.by_labels.insert(b.clone(), id);
                id
            }
        };
        self.buf = b;
        id
    }

    /// Indexes the values by their labels at `levels` (the first value with given labels
    /// stands for them).
    fn index(&mut self, levels: &[GenLevel]) {
        self.by_labels.clear();
        let mut b = Vec::new();
        for (i, v) in self.values.iter().enumerate() {
            if labelled(v.as_ref(), levels) {
                labels_into(v.as_ref(), levels, &mut b);
                self.by_labels.entry(b.clone()).or_insert(i as u32);
            }
        }
    }

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

/// A combination of ids: packed into 128 bits when every id fits its share of them (32 bits
/// each for up to four columns, `128 / n` bits for n columns beyond), boxed otherwise. The
/// same ids always give the same key, so packed and boxed keys never stand for one
/// combination.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    Packed(u128),
    Wide(Box<[u32]>),
}

impl Key {
    /// Bits per id in a packed key of `n` ids (0: never packed).
    fn width(n: usize) -> u32 {
        match n {
            0..=4 => 32,
            5..=128 => (128 / n) as u32,
            _ => 0,
        }
    }

    fn of(ids: &[u32]) -> Key {
        let w = Key::width(ids.len());
        if w == 32 || (w > 0 && ids.iter().all(|&i| u64::from(i) >> w == 0)) {
            Key::Packed(ids.iter().fold(0u128, |k, &i| (k << w) | u128::from(i)))
        } else {
            Key::Wide(ids.into())
        }
    }

    /// The `n` ids the key was made of, into `out`.
    fn ids_into(&self, n: usize, out: &mut Vec<u32>) {
        out.clear();
        match self {
            Key::Packed(p) => {
                let w = Key::width(n);
                let mask = (1u128 << w) - 1;
                out.extend((0..n).map(|i| ((p >> (w as usize * (n - 1 - i))) & mask) as u32));
            }
            Key::Wide(ids) => out.extend_from_slice(ids),
        }
    }

    fn ids(&self, n: usize) -> Vec<u32> {
        let mut out = Vec::with_capacity(n);
        self.ids_into(n, &mut out);
        out
    }
}

/// Distinct raw combinations of quasi-identifier values (as interned ids), with row counts and
/// the distinct sensitive values each holds: the pass-1 state of k-anonymity, mergeable
/// ([`Combos::merge`]) and serialisable. Memory is one entry per distinct combination.
#[derive(Debug, Default, Clone, Serialize, Deserialize)]
#[serde(try_from = "CombosData", into = "CombosData")]
pub struct Combos {
    columns: Vec<Interner>,
    /// Raw value ids (the key) -> rows and distinct sensitive ids.
    map: FastMap<Key, (u64, Vec<u32>)>,
    /// Ids per key (the number of quasi-identifiers).
    width: usize,
    /// The declared levels per quasi-identifier, when known (see [`Combos::set_levels`]).
    levels: Vec<Vec<GenLevel>>,
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
        let levels = self.levels.get(q).map_or(&[][..], Vec::as_slice);
        self.columns[q].intern_at(v, levels)
    }

    /// Declares each quasi-identifier's generalisation levels: numbers and dates of a column
    /// with levels are then counted by their labels at those levels (the first value with
    /// given labels standing for the others), so that the state is bounded by the
    /// generalised values rather than by the distinct raw values.
    pub fn set_levels(&mut self, levels: &[Vec<GenLevel>]) {
        if self.levels == levels {
            return;
        }
        self.levels = levels.to_vec();
        if self.columns.len() < levels.len() {
            self.columns.resize_with(levels.len(), Interner::default);
        }
        for (c, l) in self.columns.iter_mut().zip(levels) {
            c.index(l);
        }
    }

    fn sensitive_id(&mut self, s: &str) -> u32 {
        match self.sensitive.get(s) {
            Some(&id) => id,
            None => {
                let id = self.sensitive.len() as u32;
                self.sensitive.insert(s.to_string(), id);
                id
            }
        }
    }

    /// Counts `n` rows of the combination `ids` holding the sensitive ids `sens`.
    fn count(&mut self, ids: &[u32], n: u64, sens: impl IntoIterator<Item = u32>) {
        self.width = ids.len();
        let e = self
            .map
            .entry(Key::of(ids))
            .or_insert_with(|| (0, Vec::new()));
        e.0 += n;
        for s in sens {
            if !e.1.contains(&s) {
                e.1.push(s);
            }
        }
        self.rows += n;
    }

    /// Counts one row given its interned ids.
    pub fn add_ids(&mut self, ids: &[u32], sensitive: Option<&str>) {
        let s = sensitive.map(|s| self.sensitive_id(s));
        self.count(ids, 1, s);
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
        if self.levels.is_empty() && !other.levels.is_empty() {
            self.set_levels(&other.levels);
        }
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
        let sens_map: Vec<u32> = sens_text.iter().map(|s| self.sensitive_id(s)).collect();
        let mut ids = Vec::with_capacity(other.width);
        for (key, (n, sens)) in other.map {
            key.ids_into(other.width, &mut ids);
            for (q, i) in ids.iter_mut().enumerate() {
                *i = maps[q][*i as usize];
            }
            self.count(&ids, n, sens.iter().map(|&s| sens_map[s as usize]));
        }
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
            .iter()
            .map(|(key, (n, sens))| {
                let mut s: Vec<String> = sens
                    .iter()
                    .map(|&i| sens_text[i as usize].clone())
                    .collect();
                s.sort();
                (
                    key.ids(self.width)
                        .iter()
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
        let width = c.width;
        let mut combos: Vec<(Vec<u32>, u64, Vec<u32>)> = c
            .map
            .into_iter()
            .map(|(key, (n, sens))| (key.ids(width), n, sens))
            .collect();
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
            if c.map.insert(Key::of(&ids), (n, sens)).is_some() {
                return Err(format!("the combination {ids:?} is listed twice"));
            }
            c.width = ids.len();
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

/// For one column at its chosen level: the label id of every interned raw value, and the
/// labels.
#[derive(Debug, Clone, Default)]
struct LevelTable {
    label_of: Vec<u32>,
    labels: Vec<String>,
}

/// What decides a value's label at a declared level, computed without formatting the label:
/// values with equal keys get equal labels (the search groups by keys; labels are written
/// only for the levels it chooses).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum LabelKey {
    /// `*`: suppressed, or a level that does not apply to the value.
    Star,
    /// A kind of label (null, day, month, year, band, outside, bottom, top, width band, raw
    /// number) and its number.
    Tagged(u8, i64),
    /// A text label (prefixes).
    Text(String),
}

/// The key of `v`'s label at `level` (mirrors [`label`]).
fn label_key(v: RawRef, level: &GenLevel) -> LabelKey {
    use chrono::Datelike;
    // -0.0 and 0.0 read the same.
    let bits = |x: f64| (x + 0.0).to_bits() as i64;
    let day = || match v {
        RawRef::Day(d) => date_of(d),
        RawRef::Micros(t) => chrono::DateTime::from_timestamp_micros(t).map(|t| t.date_naive()),
        _ => None,
    };
    match (level, v) {
        (_, RawRef::Null) => LabelKey::Tagged(0, 0),
        (GenLevel::Suppress, _) => LabelKey::Star,
        (GenLevel::Day, _) => day().map_or(LabelKey::Star, |d| {
            LabelKey::Tagged(1, i64::from(d.num_days_from_ce()))
        }),
        (GenLevel::Month, _) => day().map_or(LabelKey::Star, |d| {
            LabelKey::Tagged(2, i64::from(d.year()) * 12 + i64::from(d.month0()))
        }),
        (GenLevel::Year, _) => {
            day().map_or(LabelKey::Star, |d| LabelKey::Tagged(3, i64::from(d.year())))
        }
        (GenLevel::Prefix(n), RawRef::Text(s)) => {
            let kept: String = s.chars().take(*n).collect();
            let masked = s.chars().count().saturating_sub(*n);
            LabelKey::Text(format!("{kept}{}", "*".repeat(masked)))
        }
        (GenLevel::Bands(b), RawRef::Num(x)) => match b.band(x) {
            Some(i) => LabelKey::Tagged(4, i as i64),
            None => LabelKey::Tagged(5, 0),
        },
        (GenLevel::Numeric { width, bottom, top }, RawRef::Num(x)) => {
            if bottom.is_some_and(|b| x < b) {
                LabelKey::Tagged(6, 0)
            } else if top.is_some_and(|t| x >= t) {
                LabelKey::Tagged(7, 0)
            } else {
                match width {
                    Some(w) => LabelKey::Tagged(8, bits((x / w).floor() * w)),
                    None => LabelKey::Tagged(9, bits(x)),
                }
            }
        }
        _ => LabelKey::Star,
    }
}

/// For one column at one level: the label id of every interned raw value, and for every label
/// id the first value that has it. The raw level keeps every distinct value apart.
#[derive(Debug, Clone)]
struct Grouping {
    label_of: Vec<u32>,
    rep: Vec<u32>,
}

fn grouping(q: &Qi, level: usize, values: &[Raw]) -> Grouping {
    let Some(lv) = q.level(level) else {
        let n = values.len() as u32;
        return Grouping {
            label_of: (0..n).collect(),
            rep: (0..n).collect(),
        };
    };
    let mut ids: FastMap<LabelKey, u32> = FastMap::default();
    let mut g = Grouping {
        label_of: Vec::with_capacity(values.len()),
        rep: Vec::new(),
    };
    for (i, v) in values.iter().enumerate() {
        let next = g.rep.len() as u32;
        let id = *ids.entry(label_key(v.as_ref(), lv)).or_insert(next);
        if id == next {
            g.rep.push(i as u32);
        }
        g.label_of.push(id);
    }
    g
}

impl Grouping {
    /// The table with its labels written.
    fn table(&self, q: &Qi, level: usize, values: &[Raw]) -> LevelTable {
        LevelTable {
            label_of: self.label_of.clone(),
            labels: self
                .rep
                .iter()
                .map(|&r| label(&values[r as usize], q.level(level), q.whole))
                .collect(),
        }
    }
}

/// Label ids -> rows and distinct sensitive ids.
type Classes = FastMap<Key, (u64, Vec<u32>)>;

/// The equivalence classes at one level vector, given each column's label ids.
fn classes(label_of: &[&[u32]], combos: &Combos) -> Classes {
    let mut out: Classes = FastMap::default();
    let mut raw: Vec<u32> = Vec::with_capacity(label_of.len());
    let mut key: Vec<u32> = Vec::with_capacity(label_of.len());
    for (k, (n, sens)) in &combos.map {
        k.ids_into(combos.width, &mut raw);
        key.clear();
        key.extend(raw.iter().zip(label_of).map(|(r, t)| t[*r as usize]));
        let e = out.entry(Key::of(&key)).or_insert_with(|| (0, Vec::new()));
        e.0 += n;
        for s in sens {
            if !e.1.contains(s) {
                e.1.push(*s);
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
        .filter(|(n, s)| breaks(*n, s, k, l))
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

/// How rows are generalised and which classes are suppressed, for the writing pass.
/// Serialisable (the quasi-identifiers' declarations are not: a deserialised generaliser
/// lists none in [`Generaliser::quasi_identifiers`]), so a driver can ship it to the
/// processes that write the rows.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(try_from = "GeneraliserData", into = "GeneraliserData")]
pub struct Generaliser {
    qis: Vec<Qi>,
    levels: Vec<usize>,
    /// Shared: a generaliser is never changed once made, and its tables hold every distinct
    /// value, so clones (the plan, the report) share them.
    columns: Arc<Vec<Interner>>,
    tables: Arc<Vec<LevelTable>>,
    suppressed: Arc<FastSet<Key>>,
    /// The declared levels per quasi-identifier (how values are looked up).
    defs: Vec<Vec<GenLevel>>,
}

/// The serialised form of [`Generaliser`]: per quasi-identifier its chosen level, distinct
/// raw values (in id order), each value's label id and the labels; the suppressed classes as
/// label ids.
#[derive(Serialize, Deserialize)]
struct GeneraliserData {
    levels: Vec<usize>,
    #[serde(default)]
    defs: Vec<Vec<GenLevel>>,
    columns: Vec<Vec<Raw>>,
    tables: Vec<(Vec<u32>, Vec<String>)>,
    suppressed: Vec<Vec<u32>>,
}

impl From<Generaliser> for GeneraliserData {
    fn from(g: Generaliser) -> GeneraliserData {
        let n = g.levels.len();
        let mut suppressed: Vec<Vec<u32>> = g.suppressed.iter().map(|k| k.ids(n)).collect();
        suppressed.sort();
        GeneraliserData {
            levels: g.levels,
            defs: g.defs,
            columns: Arc::unwrap_or_clone(g.columns)
                .into_iter()
                .map(|c| c.values)
                .collect(),
            tables: Arc::unwrap_or_clone(g.tables)
                .into_iter()
                .map(|t| (t.label_of, t.labels))
                .collect(),
            suppressed,
        }
    }
}

impl TryFrom<GeneraliserData> for Generaliser {
    type Error = String;

    fn try_from(d: GeneraliserData) -> Result<Generaliser, String> {
        let n = d.levels.len();
        if d.columns.len() != n || d.tables.len() != n {
            return Err(format!(
                "{n} levels, {} value lists and {} label tables",
                d.columns.len(),
                d.tables.len()
            ));
        }
        if !d.defs.is_empty() && d.defs.len() != n {
            return Err(format!(
                "{n} levels but {} level declarations",
                d.defs.len()
            ));
        }
        for b in d.defs.iter().flatten().filter_map(|l| match l {
            GenLevel::Bands(b) => Some(b),
            _ => None,
        }) {
            let increasing = b.edges.windows(2).all(|w| w[0] < w[1]);
            if b.edges.len() < 2 || !increasing || b.labels.len() + 1 != b.edges.len() {
                return Err("a declared band level has invalid edges or labels".into());
            }
        }
        let mut columns = Vec::with_capacity(n);
        for (q, values) in d.columns.into_iter().enumerate() {
            let mut c = Interner::default();
            for (i, v) in values.iter().enumerate() {
                if c.intern(v.as_ref()) != i as u32 {
                    return Err(format!("quasi-identifier {q} lists the value {v:?} twice"));
                }
            }
            if let Some(l) = d.defs.get(q) {
                c.index(l);
            }
            columns.push(c);
        }
        let mut tables = Vec::with_capacity(n);
        for (q, (label_of, labels)) in d.tables.into_iter().enumerate() {
            if label_of.len() != columns[q].values.len()
                || label_of.iter().any(|&l| l as usize >= labels.len())
            {
                return Err(format!(
                    "quasi-identifier {q}'s label table does not match its values"
                ));
            }
            tables.push(LevelTable { label_of, labels });
        }
        let mut suppressed = FastSet::default();
        for ids in d.suppressed {
            if ids.len() != n {
                return Err(format!("a suppressed class has {} ids, not {n}", ids.len()));
            }
            suppressed.insert(Key::of(&ids));
        }
        Ok(Generaliser {
            qis: Vec::new(),
            defs: d.defs,
            levels: d.levels,
            columns: Arc::new(columns),
            tables: Arc::new(tables),
            suppressed: Arc::new(suppressed),
        })
    }
}

impl Generaliser {
    /// The id of quasi-identifier `q`'s value `v`, if pass 1 counted it.
    pub fn raw_id(&self, q: usize, v: RawRef) -> Option<u32> {
        let levels = self.defs.get(q).map_or(&[][..], Vec::as_slice);
        self.columns.get(q)?.get_at(v, levels)
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
        for (q, v) in values.iter().enumerate() {
            key.push(self.tables.get(q)?.label_of[self.raw_id(q, v.as_ref())? as usize]);
        }
        if self.suppressed.contains(&Key::of(&key)) {
            return None;
        }
        Some(
            key.iter()
                .zip(self.tables.iter())
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
    use rayon::prelude::*;
    let rows = combos.rows.max(1);
    let mut columns = combos.columns.clone();
    columns.resize_with(qis.len(), Interner::default);
    for (c, q) in columns.iter_mut().zip(qis) {
        c.index(&q.levels);
    }
    // Label ids per column and level, made when the search first needs them (a raw level of a
    // column where nearly every value is distinct is usually never visited).
    let mut groups: Vec<Vec<Option<Grouping>>> =
        qis.iter().map(|q| vec![None; q.levels.len() + 1]).collect();
    let ensure = |groups: &mut Vec<Vec<Option<Grouping>>>, q: usize, l: usize| {
        if groups[q][l].is_none() {
            groups[q][l] = Some(grouping(&qis[q], l, &columns[q].values));
        }
    };
    fn at<'a>(groups: &'a [Vec<Option<Grouping>>], levels: &[usize]) -> Vec<&'a [u32]> {
        levels
            .iter()
            .enumerate()
            .map(|(q, l)| groups[q][*l].as_ref().map_or(&[][..], |g| &g.label_of[..]))
            .collect()
    }
    let mut levels: Vec<usize> = qis
        .iter()
        .map(|q| usize::from(!q.levels.is_empty()))
        .collect();
    for (q, &l) in levels.iter().enumerate() {
        ensure(&mut groups, q, l);
    }
    let need_k = k.unwrap_or(1);
    let need_l = l.as_ref().map(|x| x.1);
    let allowed = (max_suppression * rows as f64).floor() as u64;
    let mut cls = classes(&at(&groups, &levels), combos);
    if k.is_some() || l.is_some() {
        loop {
            let small = small_rows(&cls, need_k, need_l);
            if small <= allowed {
                break;
            }
            // Climb the column whose next level leaves the fewest rows in small classes; ties go
            // to the earlier column, so the search is deterministic. The candidates are
            // evaluated in parallel.
            let candidates: Vec<usize> = (0..qis.len())
                .filter(|&i| levels[i] < qis[i].levels.len())
                .collect();
            for &i in &candidates {
                ensure(&mut groups, i, levels[i] + 1);
            }
            let best = candidates
                .par_iter()
                .map(|&i| {
                    let mut next = levels.clone();
                    next[i] += 1;
                    let c = classes(&at(&groups, &next), combos);
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
        .filter(|(_, (n, s))| breaks(*n, s, need_k, need_l))
        .map(|(key, _)| key.clone())
        .collect();
    let kept: Vec<(u64, &Vec<u32>)> = cls
        .iter()
        .filter(|(key, _)| !suppressed.contains(*key))
        .map(|(_, (n, s))| (*n, s))
        .collect();
    let suppressed_rows: u64 = cls
        .iter()
        .filter(|(key, _)| suppressed.contains(*key))
        .map(|(_, (n, _))| n)
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
    let tables: Vec<LevelTable> = levels
        .iter()
        .enumerate()
        .map(|(q, &l)| {
            let values = &columns[q].values;
            match &groups[q][l] {
                Some(g) => g.table(&qis[q], l, values),
                None => grouping(&qis[q], l, values).table(&qis[q], l, values),
            }
        })
        .collect();
    let generaliser = Generaliser {
        qis: qis.to_vec(),
        defs: qis.iter().map(|q| q.levels.clone()).collect(),
        levels: levels.clone(),
        columns: Arc::new(columns),
        tables: Arc::new(tables),
        suppressed: Arc::new(suppressed),
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

    #[test]
    fn keys_pack_and_unpack_the_same_ids() {
        for n in 1..=9usize {
            let w = Key::width(n);
            let top = if w == 32 { u32::MAX } else { (1u32 << w) - 1 };
            let ids: Vec<u32> = (0..n as u32).map(|i| top - i).collect();
            let key = Key::of(&ids);
            assert!(
                matches!(key, Key::Packed(_)),
                "{n} ids at the top of {w} bits pack"
            );
            assert_eq!(key.ids(n), ids);
            if w < 32 {
                // One id too wide for its share: boxed, and still a different key.
                let mut wide = ids.clone();
                wide[n - 1] = top + 1;
                let k2 = Key::of(&wide);
                assert!(matches!(k2, Key::Wide(_)));
                assert_eq!(k2.ids(n), wide);
                assert_ne!(k2, key);
            }
        }
    }

    #[test]
    fn values_with_one_label_key_have_one_label() {
        let d = |s: &str| Raw::Day(crate::schema::parse_date(s).expect("date"));
        let values = vec![
            Raw::Null,
            Raw::Num(0.0),
            Raw::Num(4.99),
            Raw::Num(5.0),
            Raw::Num(17.0),
            Raw::Num(34.0),
            Raw::Num(39.5),
            Raw::Num(93.0),
            Raw::Num(-3.25),
            Raw::Num(123456.78),
            d("1987-06-15"),
            d("1987-06-30"),
            d("1987-07-01"),
            d("1999-01-01"),
            Raw::Micros(1_700_000_000_000_000),
            Raw::Micros(1_700_000_000_000_001),
            Raw::Text("10115".into()),
            Raw::Text("10117".into()),
            Raw::Text("1011".into()),
            Raw::Text("west".into()),
            Raw::Text("*".into()),
        ];
        let levels = vec![
            GenLevel::Numeric {
                width: Some(10.0),
                bottom: Some(18.0),
                top: Some(90.0),
            },
            GenLevel::Numeric {
                width: Some(0.5),
                bottom: None,
                top: None,
            },
            GenLevel::Numeric {
                width: None,
                bottom: None,
                top: Some(30.0),
            },
            GenLevel::Day,
            GenLevel::Month,
            GenLevel::Year,
            GenLevel::Prefix(3),
            GenLevel::Suppress,
        ];
        for level in &levels {
            for whole in [false, true] {
                for a in &values {
                    for b in &values {
                        let same_key = label_key(a.as_ref(), level) == label_key(b.as_ref(), level);
                        let (la, lb) = (label(a, Some(level), whole), label(b, Some(level), whole));
                        if same_key {
                            assert_eq!(la, lb, "{a:?} and {b:?} at {level:?}");
                        }
                        // Different keys with one label only where the kinds differ (a number
                        // and a date both `*`, or a null and an empty prefix).
                        if !same_key && la == lb {
                            assert!(
                                std::mem::discriminant(a) != std::mem::discriminant(b) || la == "*",
                                "{a:?} and {b:?} at {level:?} share `{la}` but not a key"
                            );
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn the_search_with_many_columns_counts_every_row() {
        // Six quasi-identifiers (keys packed at 21 bits each), one of them nearly unique.
        let qis: Vec<Qi> = (0..6)
            .map(|i| Qi {
                name: format!("q{i}"),
                levels: vec![
                    GenLevel::Numeric {
                        width: Some(100.0),
                        bottom: None,
                        top: None,
                    },
                    GenLevel::Suppress,
                ],
                whole: true,
            })
            .collect();
        let mut combos = Combos::default();
        for r in 0..2000u32 {
            let row: Vec<Raw> = (0..6u32)
                .map(|i| Raw::Num(f64::from(if i == 0 { r } else { (r * (i + 1)) % 7 })))
                .collect();
            combos.add(&row, None);
        }
        let a = search(&qis, &combos, Some(5), None, 0.0).expect("reachable");
        assert_eq!(a.suppressed_rows, 0);
        assert!(a.k_achieved >= 5);
        let kept: u64 = a.class_sizes.iter().map(|b| b.rows).sum();
        assert_eq!(kept, 2000);
        // The serialised state counts the same rows.
        let back: Combos =
            serde_json::from_str(&serde_json::to_string(&combos).expect("json")).expect("back");
        assert_eq!(back.entries(), combos.entries());
    }

    #[test]
    fn numbers_with_levels_are_counted_by_their_labels() {
        // 10,000 distinct incomes in bands of 1,000: the state holds one value per band, and
        // every income still finds its label, also through a serialised generaliser.
        let q = Qi {
            name: "income".into(),
            levels: vec![
                GenLevel::Numeric {
                    width: Some(1000.0),
                    bottom: None,
                    top: None,
                },
                GenLevel::Suppress,
            ],
            whole: false,
        };
        let mut combos = Combos::default();
        combos.set_levels(std::slice::from_ref(&q.levels));
        let incomes: Vec<f64> = (0..10_000)
            .map(|i| 20_000.0 + f64::from(i) * 1.37)
            .collect();
        for x in &incomes {
            combos.add(&[Raw::Num(*x)], None);
        }
        assert_eq!(
            combos.columns[0].values.len(),
            14,
            "one value per band of 1,000"
        );
        let a = search(std::slice::from_ref(&q), &combos, Some(5), None, 0.0).expect("k");
        let g = &a.generaliser;
        let back: Generaliser =
            serde_json::from_str(&serde_json::to_string(g).expect("json")).expect("back");
        for x in &incomes {
            let want = label(&Raw::Num(*x), q.levels.first(), false);
            for g in [g, &back] {
                let id = g.raw_id(0, RawRef::Num(*x)).expect("counted");
                assert_eq!(g.labels(0)[g.label_id(0, id) as usize], want);
            }
        }
        // Merged chunks count the same.
        let mut a1 = Combos::default();
        a1.set_levels(std::slice::from_ref(&q.levels));
        let mut a2 = a1.clone();
        for x in &incomes[..5000] {
            a1.add(&[Raw::Num(*x)], None);
        }
        for x in &incomes[5000..] {
            a2.add(&[Raw::Num(*x)], None);
        }
        a1.merge(a2);
        assert_eq!(a1.entries(), combos.entries());
    }
}
