//! `inspect`: profiles an unknown table, detects identifiers and drafts a schema for a person
//! to review (the tool proposes, the person decides).

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::Path;

use arrow_array::Array;
use arrow_schema::DataType;
use serde::Serialize;

use super::detect::{ColumnScan, Kind};
use crate::io::read::{
    numbers, parse_bool, texts, Dialect, Input, ReadError, Reader, ValueDialect,
};
use crate::schema::{Privacy, Schema, Source};

/// Distinct values counted exactly up to this many per column.
const DISTINCT_CAP: usize = 100_000;
/// Values scanned for identifiers per column.
const SCAN_LIMIT: u64 = 200_000;
/// Columns with at most this many distinct values are drafted as categories with levels.
const MAX_LEVELS: usize = 50;

/// One detection finding.
#[derive(Debug, Clone, Serialize)]
pub struct FindingProfile {
    /// Identifier kind.
    pub kind: String,
    /// Share of non-null values matching.
    pub share: f64,
    /// Found inside longer text.
    pub embedded: bool,
    /// Suggested by the column name.
    pub by_name: bool,
    /// 0 to 1.
    pub confidence: f64,
}

/// What is known about one column.
#[derive(Debug, Clone, Serialize)]
pub struct ColumnProfile {
    /// Column name.
    pub name: String,
    /// Schema type proposed from the values.
    pub inferred_type: String,
    /// Arrow type as read.
    pub arrow_type: String,
    /// Rows.
    pub rows: u64,
    /// Empty values.
    pub nulls: u64,
    /// Distinct non-null values (exact up to 100,000).
    pub distinct: u64,
    /// Whether `distinct` hit the cap.
    pub distinct_capped: bool,
    /// Most frequent values with counts; left out for columns that may identify people.
    pub top_values: Option<Vec<(String, u64)>>,
    /// Numeric range, for numeric columns.
    pub min: Option<f64>,
    /// Numeric range, for numeric columns.
    pub max: Option<f64>,
    /// Identifier findings.
    pub findings: Vec<FindingProfile>,
    /// Proposed role.
    pub proposed_role: String,
    /// Proposed de-identification action, for identifiers.
    pub proposed_action: Option<String>,
    /// Why.
    pub reason: String,
}

/// The inspection of a table.
#[derive(Debug, Clone, Serialize)]
pub struct Inspection {
    /// The input.
    pub input: String,
    /// Rows.
    pub rows: u64,
    /// Per column.
    pub columns: Vec<ColumnProfile>,
    /// How the file was read (format, delimiter, decimal mark, date format, encoding), for a
    /// file input.
    pub read_as: Option<String>,
    /// The same, for the draft's `input:` section.
    #[serde(skip)]
    pub dialect: Option<Dialect>,
}

/// Type evidence for text values.
#[derive(Debug, Clone, Copy, Default)]
struct TypeVotes {
    seen: u64,
    int: u64,
    float: u64,
    boolean: u64,
    date: u64,
    timestamp: u64,
    /// Digit strings with a leading zero (`01067`): codes, whose zeros a number would lose.
    zero_led: u64,
    /// How the file writes numbers and dates.
    values: ValueDialect,
}

impl TypeVotes {
    fn add(&mut self, v: &str) {
        self.seen += 1;
        if v.len() > 1 && v.starts_with('0') && v.bytes().all(|b| b.is_ascii_digit()) {
            self.zero_led += 1;
        }
        if self.values.parse_int(v).is_some() {
            self.int += 1;
        }
        if self.values.parse_float(v).is_some() {
            self.float += 1;
        }
        if parse_bool(v).is_some() && !matches!(v, "0" | "1") {
            self.boolean += 1;
        }
        if self.values.parse_date(v).is_some() {
            self.date += 1;
        }
        if self.values.parse_timestamp(v).is_some() {
            self.timestamp += 1;
        }
    }

    fn best(&self) -> Option<&'static str> {
        let all = |n: u64| self.seen > 0 && n == self.seen;
        if all(self.boolean) {
            Some("bool")
        } else if self.zero_led > 0 {
            // Postcodes, account codes: text, so `01067` stays `01067`.
            None
        } else if all(self.int) {
            Some("int")
        } else if all(self.float) {
            Some("float")
        } else if all(self.date) {
            Some("date")
        } else if all(self.timestamp) {
            Some("timestamp")
        } else {
            None
        }
    }
}

struct Acc {
    rows: u64,
    nulls: u64,
    distinct: HashMap<String, u64>,
    capped: bool,
    votes: TypeVotes,
    scan: ColumnScan,
    min: f64,
    max: f64,
}

/// An empty schema: every input column passes through as read.
fn empty_schema() -> Schema {
    Schema {
        version: 1,
        name: "inspect".into(),
        description: None,
        seed: None,
        rows: 0,
        columns: vec![],
        targets: vec![],
        fairness: None,
        privacy: Privacy::default(),
        quality: Default::default(),
        input: Default::default(),
        source: Source::default(),
    }
}

/// Profiles `input` (typed by `schema` when given) and proposes roles.
pub fn inspect(input: &Input, schema: Option<&Schema>) -> Result<Inspection, ReadError> {
    let empty = empty_schema();
    let reader = Reader::open(input, schema.unwrap_or(&empty))?;
    reader.check_dates()?;
    let dialect = input.path().map(|_| reader.dialect().clone());
    let values = reader.dialect().values();
    let in_schema = reader.schema();
    let mut accs: Vec<Acc> = in_schema
        .fields()
        .iter()
        .map(|f| Acc {
            rows: 0,
            nulls: 0,
            distinct: HashMap::new(),
            capped: false,
            votes: TypeVotes {
                values,
                ..Default::default()
            },
            scan: ColumnScan::new(f.name()),
            min: f64::INFINITY,
            max: f64::NEG_INFINITY,
        })
        .collect();
    let mut rows = 0u64;
    for batch in reader {
        let batch = batch?;
        rows += batch.num_rows() as u64;
        for (acc, col) in accs.iter_mut().zip(batch.columns()) {
            acc.rows += col.len() as u64;
            acc.nulls += col.null_count() as u64;
            if col.data_type().is_numeric() {
                for x in numbers(col.as_ref()).into_iter().flatten() {
                    acc.min = acc.min.min(x);
                    acc.max = acc.max.max(x);
                }
            }
            let is_text = matches!(col.data_type(), DataType::Utf8 | DataType::LargeUtf8);
            for v in texts(col) {
                if acc.scan.non_null() < SCAN_LIMIT {
                    acc.scan.add(v.as_deref());
                }
                let Some(v) = v else { continue };
                if is_text {
                    acc.votes.add(&v);
                }
                if let Some(n) = acc.distinct.get_mut(&v) {
                    *n += 1;
                } else if acc.distinct.len() < DISTINCT_CAP {
                    acc.distinct.insert(v, 1);
                } else {
                    acc.capped = true;
                }
            }
        }
    }
    let columns = in_schema
        .fields()
        .iter()
        .zip(accs)
        .map(|(f, acc)| profile(f.name(), f.data_type(), acc, schema))
        .collect();
    Ok(Inspection {
        input: input.label().display().to_string(),
        rows,
        columns,
        read_as: dialect.as_ref().map(Dialect::to_string),
        dialect,
    })
}

/// Kinds that identify a person directly.
fn direct(kind: Kind) -> bool {
    matches!(
        kind,
        Kind::Email
            | Kind::Phone
            | Kind::Iban
            | Kind::PaymentCard
            | Kind::IpAddress
            | Kind::UsSsn
            | Kind::DeTaxId
            | Kind::PersonName
            | Kind::RecordId
    )
}

/// Share of the non-null values that occur exactly once (1 when the distinct count hit the
/// cap): how many people the column alone singles out.
fn unique_share(acc: &Acc) -> f64 {
    let non_null = acc.rows - acc.nulls;
    if acc.capped {
        return 1.0;
    }
    if non_null == 0 {
        return 0.0;
    }
    acc.distinct.values().filter(|&&n| n == 1).count() as f64 / non_null as f64
}

/// Whether a column looks like postcodes whatever its name: every value five digits (or
/// ZIP+4 `12345-6789`), some with a leading zero (so the column is codes, not numbers), at least
/// 20 distinct values, and most values shared by several rows (a near-unique code is a record
/// identifier instead). Returns the share of values with a leading zero. Five-digit numbers
/// without leading zeros are too common (amounts, counts) to call postcodes by content.
fn postcode_like(acc: &Acc) -> Option<f64> {
    let non_null = acc.rows.saturating_sub(acc.nulls);
    if acc.capped || acc.distinct.len() < 20 || non_null == 0 {
        return None;
    }
    let five = |v: &str| {
        let b = v.as_bytes();
        (b.len() == 5 && b.iter().all(u8::is_ascii_digit))
            || (b.len() == 10
                && b[5] == b'-'
                && b[..5].iter().chain(&b[6..]).all(u8::is_ascii_digit))
    };
    if !acc.distinct.keys().all(|v| five(v)) {
        return None;
    }
    let zero: u64 = acc
        .distinct
        .iter()
        .filter(|(v, _)| v.starts_with('0'))
        .map(|(_, n)| *n)
        .sum();
    let shared = acc.distinct.len() as f64 <= 0.5 * non_null as f64;
    (zero > 0 && shared).then(|| zero as f64 / non_null as f64)
}

/// Whether a date column looks like birth dates whatever its name: at least 100 distinct days,
/// every value from 1900 on, spanning at least 30 years, and the newest at least 14 years
/// before `today` (days since 1970). Event dates (orders, sign-ups, cases) run up to the
/// present; birth dates of adults stop well before it. Returns (span, years since the
/// newest), both in whole years.
fn birth_like(acc: &Acc, today: i64) -> Option<(i64, i64)> {
    let days: Vec<i64> = acc
        .distinct
        .keys()
        .filter_map(|v| acc.votes.values.parse_date(v.get(..10).unwrap_or(v)))
        .map(i64::from)
        .collect();
    if days.len() < 100 || days.len() < acc.distinct.len() * 95 / 100 {
        return None;
    }
    let (lo, hi) = (*days.iter().min()?, *days.iter().max()?);
    // 1900-01-01 is day -25,567.
    let year = 365.25;
    let span = ((hi - lo) as f64 / year) as i64;
    let ago = ((today - hi) as f64 / year) as i64;
    (lo >= -25_567 && span >= 30 && ago >= 14).then_some((span, ago))
}

/// Dates and timestamps with at least this share of values held by one row each are proposed
/// as quasi-identifiers (exact event times single people out).
const QI_UNIQUE_SHARE: f64 = 0.2;

fn words(name: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    for c in name.chars() {
        if c.is_uppercase() && !cur.is_empty() && !cur.ends_with(|p: char| p.is_uppercase()) {
            out.push(std::mem::take(&mut cur));
        }
        if c.is_alphanumeric() {
            cur.extend(c.to_lowercase());
        } else if !cur.is_empty() {
            out.push(std::mem::take(&mut cur));
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

fn profile(name: &str, dt: &DataType, acc: Acc, schema: Option<&Schema>) -> ColumnProfile {
    let declared = schema.and_then(|s| s.column(name));
    let non_null = acc.rows - acc.nulls;
    let distinct = acc.distinct.len() as u64;
    let inferred = match dt {
        DataType::Boolean => "bool",
        DataType::Date32 | DataType::Date64 => "date",
        DataType::Timestamp(..) => "timestamp",
        DataType::Float16 | DataType::Float32 | DataType::Float64 => "float",
        d if d.is_integer() => "int",
        _ => acc.votes.best().unwrap_or(
            if distinct as usize <= MAX_LEVELS && (distinct as f64) < 0.5 * non_null as f64 {
                "category"
            } else {
                "string"
            },
        ),
    }
    .to_string();
    let findings: Vec<FindingProfile> = acc
        .scan
        .findings()
        .iter()
        .map(|f| FindingProfile {
            kind: f.kind.name().to_string(),
            share: f.share,
            embedded: f.embedded,
            by_name: f.by_name,
            confidence: f.confidence,
        })
        .collect();
    let strongest = acc
        .scan
        .findings()
        .into_iter()
        .max_by(|a, b| a.confidence.total_cmp(&b.confidence));
    let w = words(name);
    let has = |ws: &[&str]| w.iter().any(|x| ws.contains(&x.as_str()));
    let unique = acc.capped || (non_null > 0 && distinct as f64 >= 0.95 * non_null as f64);
    let singles = unique_share(&acc);
    let (role, action, reason) = if let Some(c) = declared {
        (
            match c.role_names().as_slice() {
                [one] => one.to_string(),
                many => format!("[{}]", many.join(", ")),
            },
            c.action.map(|a| format!("{a:?}").to_lowercase()),
            "declared in the schema".to_string(),
        )
    } else if let Some(f) = strongest
        .as_ref()
        .filter(|f| direct(f.kind) && f.confidence >= 0.5 && !f.embedded)
    {
        let action = if f.kind == Kind::PersonName || f.kind == Kind::Email || f.kind == Kind::Phone
        {
            "drop"
        } else {
            "pseudonymise"
        };
        (
            "identifier".into(),
            Some(action.into()),
            format!(
                "{} in {:.0}% of values (confidence {:.2})",
                f.kind.name().replace('_', " "),
                100.0 * f.share,
                f.confidence
            ),
        )
    } else if let Some(f) = strongest
        .as_ref()
        .filter(|f| direct(f.kind) && f.confidence >= 0.5)
    {
        (
            "feature".into(),
            Some("redact".into()),
            format!(
                "free text containing {} in {:.0}% of values",
                f.kind.name().replace('_', " "),
                100.0 * f.share
            ),
        )
    } else if has(&[
        "address",
        "addr",
        "street",
        "strasse",
        "straße",
        "anschrift",
    ]) && inferred == "string"
    {
        // The detectors have no street-address kind; the name is the evidence.
        (
            "identifier".into(),
            Some("drop".into()),
            "name of a street address".into(),
        )
    } else if has(&["id", "uuid", "guid", "key", "number", "no"]) && unique {
        (
            "identifier".into(),
            Some("pseudonymise".into()),
            "unique values under an id-like name".into(),
        )
    } else if let Some(f) = strongest
        .as_ref()
        .filter(|f| matches!(f.kind, Kind::DateOfBirth | Kind::Postcode) && f.confidence >= 0.5)
    {
        (
            "quasi_identifier".into(),
            None,
            format!(
                "{} (confidence {:.2})",
                f.kind.name().replace('_', " "),
                f.confidence
            ),
        )
    } else if let Some(share) = postcode_like(&acc) {
        (
            "quasi_identifier".into(),
            None,
            format!(
                "five-digit codes with leading zeros in {:.0}% of the values, shared by several rows each: like postcodes",
                100.0 * share
            ),
        )
    } else if let Some((span, newest)) = (inferred == "date")
        .then(|| birth_like(&acc, crate::audit::today()))
        .flatten()
    {
        (
            "quasi_identifier".into(),
            None,
            format!("dates spanning {span} years, the newest {newest} years ago: like birth dates"),
        )
    } else if matches!(inferred.as_str(), "date" | "timestamp")
        && singles >= QI_UNIQUE_SHARE
        && non_null >= 20
    {
        (
            "quasi_identifier".into(),
            None,
            format!(
                "exact {}s: {:.0}% of the values belong to one row each",
                inferred,
                100.0 * singles
            ),
        )
    } else if has(&[
        "sex",
        "gender",
        "race",
        "ethnicity",
        "ethnic",
        "nationality",
        "age",
    ]) {
        // Published with other columns, these single people out as well.
        (
            "[protected, quasi_identifier]".into(),
            None,
            "name of a protected attribute that also identifies in combination".into(),
        )
    } else if has(&["religion", "disability"]) {
        (
            "protected".into(),
            None,
            "name of a protected attribute".into(),
        )
    } else if has(&[
        "zip", "postcode", "plz", "birth", "dob", "region", "city", "county",
    ]) {
        (
            "quasi_identifier".into(),
            None,
            "name of a quasi-identifier".into(),
        )
    } else if has(&["weight", "wgt", "fnlwgt"]) && inferred != "string" {
        ("weight".into(), None, "name of a weight".into())
    } else if has(&["consent", "opt", "optin"]) && inferred == "bool" {
        ("consent".into(), None, "name of a consent flag".into())
    } else if matches!(inferred.as_str(), "int" | "float" | "string" | "category")
        && singles >= QI_UNIQUE_SHARE
        && non_null >= 20
    {
        // Amounts, counts and descriptions held by one row each single people out once
        // released beside the other columns, as exact event times do.
        (
            "quasi_identifier".into(),
            None,
            format!(
                "{:.0}% of the values belong to one row each: they single people out",
                100.0 * singles
            ),
        )
    } else {
        ("feature".into(), None, "no identifier found".into())
    };
    // Values of columns that may identify people are never printed.
    let safe = role != "identifier"
        && findings.iter().all(|f| f.confidence < 0.5)
        && distinct as usize <= 1000;
    let top_values = safe.then(|| {
        let mut v: Vec<(String, u64)> = acc.distinct.into_iter().collect();
        v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        v.truncate(5);
        v
    });
    ColumnProfile {
        name: name.to_string(),
        inferred_type: declared.map_or(inferred, |c| format!("{:?}", c.ty).to_lowercase()),
        arrow_type: dt.to_string(),
        rows: acc.rows,
        nulls: acc.nulls,
        distinct,
        distinct_capped: acc.capped,
        top_values,
        min: acc.min.is_finite().then_some(acc.min),
        max: acc.max.is_finite().then_some(acc.max),
        findings,
        proposed_role: role,
        proposed_action: action,
        reason,
    }
}

/// The width among 1, 2 and 5 times a power of ten nearest above `x` (a band width people read
/// easily).
fn nice_width(x: f64) -> f64 {
    if !(x.is_finite() && x > 0.0) {
        return 1.0;
    }
    let p = 10f64.powf(x.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * p)
        .find(|w| *w >= x)
        .unwrap_or(10.0 * p)
}

fn quote(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into())
}

/// A schema drafted from an inspection, with the reason for every proposal as a comment.
/// Category levels are listed only for columns that are not identifiers.
pub fn draft_schema(ins: &Inspection, levels: &HashMap<String, Vec<String>>) -> String {
    let mut y = String::new();
    let _ = writeln!(
        y,
        "# Drafted by `fairsynth inspect` from {}: review every proposal before use.",
        ins.input
    );
    let _ = writeln!(y, "# The tool proposes; a person decides. Roles and actions follow the findings noted beside them.");
    let _ = writeln!(y, "version: 1");
    let _ = writeln!(
        y,
        "name: {}",
        quote(
            Path::new(&ins.input)
                .file_stem()
                .map_or("data".into(), |s| s.to_string_lossy().into_owned())
                .as_str()
        )
    );
    if let Some(d) = &ins.dialect {
        y.push_str(&d.input_yaml());
    }
    let _ = writeln!(y, "columns:");
    let mut has_consent = false;
    for c in &ins.columns {
        let ty = match c.inferred_type.as_str() {
            t @ ("string" | "int" | "float" | "bool" | "date" | "timestamp" | "category") => t,
            t if t.starts_with("int") => "int",
            _ => "string",
        };
        let _ = writeln!(y, "  - name: {}", quote(&c.name));
        let _ = writeln!(y, "    type: {ty}");
        let _ = writeln!(
            y,
            "    role: {}            # proposed: {}",
            c.proposed_role, c.reason
        );
        if c.proposed_role == "consent" {
            has_consent = true;
        }
        if c.nulls > 0 {
            let _ = writeln!(y, "    nullable: true");
        }
        if let Some(a) = &c.proposed_action {
            let _ = writeln!(y, "    action: {a}");
        }
        if ty == "category" && c.proposed_role != "identifier" {
            if let Some(ls) = levels.get(&c.name) {
                let _ = writeln!(
                    y,
                    "    levels: [{}]",
                    ls.iter().map(|l| quote(l)).collect::<Vec<_>>().join(", ")
                );
            }
        }
        if c.proposed_role.contains("quasi_identifier") {
            match ty {
                "timestamp" => {
                    let _ = writeln!(y, "    generalise: [day, month, year]");
                }
                "date" => {
                    let _ = writeln!(y, "    generalise: [month, year]");
                }
                "int" | "float" => {
                    // Bands of about a twentieth of the range, then five and 25 times wider
                    // (the last holds every value); 5 and 10 for an age or a range that small.
                    let w = match (c.min, c.max) {
                        (Some(lo), Some(hi)) if hi - lo > 100.0 => nice_width((hi - lo) / 20.0),
                        _ => 5.0,
                    };
                    let _ = writeln!(
                        y,
                        "    generalise: [{{width: {}}}, {{width: {}}}, {{width: {}}}]",
                        w,
                        w * 5.0,
                        w * 25.0
                    );
                }
                // A protected category (sex, race) is counted as it is, not masked.
                "string" | "category" if !c.proposed_role.contains("protected") => {
                    let _ = writeln!(
                        y,
                        "    generalise: [{{prefix: 3}}, {{prefix: 2}}, suppress]"
                    );
                }
                _ => {}
            }
        }
        let detected: Vec<String> = c
            .findings
            .iter()
            .filter(|f| {
                f.confidence >= 0.5
                    && c.proposed_role != "identifier"
                    && c.proposed_action.as_deref() != Some("redact")
            })
            .map(|f| f.kind.clone())
            .collect();
        if !detected.is_empty() && !c.proposed_role.contains("quasi_identifier") {
            let _ = writeln!(
                y,
                "    # review: the detector also found {}; acknowledge it only if that is intended",
                detected.join(", ")
            );
        }
    }
    let _ = writeln!(y, "privacy:");
    let _ = writeln!(y, "  identifiers: drop");
    let _ = writeln!(y, "  key_env: FAIRSYNTH_KEY");
    if ins
        .columns
        .iter()
        .any(|c| c.proposed_role.contains("quasi_identifier"))
    {
        let _ = writeln!(y, "  k_anonymity: 5");
    }
    if !has_consent {
        let _ = writeln!(
            y,
            "# no consent column was found; add one with `role: consent` if consent applies"
        );
    }
    y
}

/// Category levels of the columns drafted as categories (from a second look at the values).
pub fn category_levels(
    input: &Input,
    ins: &Inspection,
) -> Result<HashMap<String, Vec<String>>, ReadError> {
    let wanted: Vec<&str> = ins
        .columns
        .iter()
        .filter(|c| c.inferred_type == "category")
        .map(|c| c.name.as_str())
        .collect();
    let mut out: HashMap<String, Vec<String>> = HashMap::new();
    if wanted.is_empty() {
        return Ok(out);
    }
    let empty = empty_schema();
    for batch in Reader::open(input, &empty)? {
        let batch = batch?;
        for name in &wanted {
            if let Some(col) = batch.column_by_name(name) {
                let e = out.entry(name.to_string()).or_default();
                for v in texts(col).into_iter().flatten() {
                    if !e.contains(&v) && e.len() <= MAX_LEVELS {
                        e.push(v);
                    }
                }
            }
        }
    }
    for v in out.values_mut() {
        v.sort();
    }
    Ok(out)
}

/// A short human summary, for stderr: no identifier value is ever printed.
pub fn summary(ins: &Inspection) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{}: {} rows, {} columns",
        ins.input,
        ins.rows,
        ins.columns.len()
    );
    if let Some(r) = &ins.read_as {
        let _ = writeln!(s, "  read as: {r}");
    }
    for c in &ins.columns {
        let _ = writeln!(
            s,
            "  {:<24} {:<10} nulls {:>6.2}%  distinct {:>7}{}  -> {}{}  ({})",
            c.name,
            c.inferred_type,
            if c.rows > 0 {
                100.0 * c.nulls as f64 / c.rows as f64
            } else {
                0.0
            },
            c.distinct,
            if c.distinct_capped { "+" } else { "" },
            c.proposed_role,
            c.proposed_action
                .as_ref()
                .map_or(String::new(), |a| format!(", {a}")),
            c.reason
        );
        if let Some(top) = &c.top_values {
            let shown: Vec<String> = top.iter().map(|(v, n)| format!("{v} ({n})")).collect();
            let _ = writeln!(s, "      top: {}", shown.join(", "));
        }
    }
    s
}

#[cfg(test)]
mod tests {
    #[test]
    fn band_widths_are_round() {
        assert_eq!(super::nice_width(3.7), 5.0);
        assert_eq!(super::nice_width(120.0), 200.0);
        assert_eq!(super::nice_width(1000.0), 1000.0);
        assert_eq!(super::nice_width(0.0), 1.0);
    }
}
