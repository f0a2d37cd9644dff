//! What one de-identification does, column by column, below the driver: its errors and
//! report, the detection safety net's findings and stops, the plan of every column (`Setup`:
//! drop, keep, pseudonymise, fake, redact or generalise), the mapping of quasi-identifier
//! values to ids, and the pass-2 transform of one batch. [`super::steps`] composes these into
//! mergeable steps and [`super::run`] drives them over a file.

use std::path::PathBuf;
use std::sync::Arc;

use arrow_array::builder::StringBuilder;
use arrow_array::cast::AsArray;
use arrow_array::types::Int32Type;
use arrow_array::{Array, ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, SchemaRef};
use serde::Serialize;

use super::detect::{self, ColumnScan};
use super::kanon::{Anonymity, Generaliser, Qi, RawRef};
use super::known::KnownValues;
use super::pseudo::{fake, FakeKind, Key, KeyError};
use super::risk::SinglingOut;
use super::slots::NameSlots;
use crate::io::read::{numbers, texts, ReadError};
use crate::io::{Compression, IoError};
use crate::schema::{Action, ColumnType, Generator, Locale, NamePart, Role, Schema};

/// Errors from de-identification.
#[derive(Debug, thiserror::Error)]
pub enum DeidError {
    /// Reading the input failed.
    #[error(transparent)]
    Read(#[from] ReadError),
    /// Writing the output failed.
    #[error(transparent)]
    Io(#[from] IoError),
    /// The pseudonymisation key is missing or unusable.
    #[error(transparent)]
    Key(#[from] KeyError),
    /// The data or schema stop the run (safety net, k unreachable); nothing was written.
    #[error("{}", .0.join("\nerror: "))]
    Diagnostics(Vec<String>),
}

impl DeidError {
    /// Whether the user must fix an input (exit code 2) rather than a runtime failure (1).
    pub fn is_usage(&self) -> bool {
        !matches!(self, DeidError::Io(_))
    }
}

/// Options of `deidentify`.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Key file (wins over the environment variable named by `privacy.key_env`).
    pub key_file: Option<PathBuf>,
    /// The key itself (wins over `key_file` and the environment): for callers that hold the
    /// key in memory, such as the Python package. Never logged or written; reports carry only
    /// its fingerprint.
    pub key: Option<Arc<Key>>,
    /// Parquet compression.
    pub compression: Compression,
}

/// What happened to one column.
#[derive(Debug, Clone, Serialize)]
pub struct ColumnReport {
    /// The column.
    pub column: String,
    /// `drop`, `pseudonymise`, `fake`, `redact`, `keep`, or `generalise` with its level.
    pub action: String,
}

/// One detection finding.
#[derive(Debug, Clone, Serialize)]
pub struct FindingReport {
    /// The column.
    pub column: String,
    /// Identifier kind.
    pub kind: String,
    /// Share of scanned non-null values matching.
    pub share: f64,
    /// Found inside free text rather than as whole values.
    pub embedded: bool,
    /// Confidence, 0 to 1.
    pub confidence: f64,
    /// Whether the schema acknowledges this kind for the column.
    pub acknowledged: bool,
}

impl FindingReport {
    fn new(column: &str, f: &detect::Finding, acknowledged: bool) -> Self {
        FindingReport {
            column: column.to_string(),
            kind: f.kind.name().to_string(),
            share: f.share,
            embedded: f.embedded,
            confidence: f.confidence,
            acknowledged,
        }
    }
}

/// The detection safety net: findings for the scanned columns, and a diagnostic for every
/// column that is not declared an identifier yet holds identifiers of a kind in at least
/// `privacy.detection_threshold` of its values, unless the schema acknowledges the kind.
/// Shared by `deidentify` and `fit`.
///
/// The share is judged against the threshold for every finding whose per-value evidence
/// ([`detect::Finding::evidence`]) is 0.5 or more: the kind's content strength, so plain
/// dates (0.2) never stop a run, while person names (0.7), phones (0.8) and the check-digit
/// kinds do. (The column-level `confidence` is not used here: it grows with the share, so
/// gating on it as well would let a column of 9% names through a 5% threshold.)
pub fn safety_net(
    schema: &Schema,
    scans: &[(&str, &ColumnScan)],
) -> (Vec<FindingReport>, Vec<String>) {
    let (findings, stops) = net_stops(schema, scans);
    let diags = stops.iter().map(|s| stop_message(schema, s)).collect();
    (findings, diags)
}

/// The diagnostic of a [`NetStop`]: what was found, against which threshold, and how to fix it.
pub fn stop_message(schema: &Schema, s: &NetStop) -> String {
    let (name, kind) = (&s.column, s.kind.name());
    let unclassified = s.kind == detect::Kind::UnclassifiedText;
    format!(
        "column `{name}` is not an identifier, but {:.1}% of its values {} {} (threshold {:.1}%, evidence {:.2} per value)\n    hint: give `{name}` `role: identifier` (with an `action`), `action: redact` for free text, or `acknowledge: [{kind}]` if this is intended",
        100.0 * s.share,
        if unclassified {
            "are"
        } else if s.embedded {
            "contain"
        } else {
            "look like"
        },
        if unclassified {
            "unclassified text held by one row each (neither a category nor prose)".to_string()
        } else {
            kind.replace('_', " ")
        },
        100.0 * schema.privacy.detection_threshold,
        s.evidence
    )
}

/// A finding that stops a run: an unacknowledged kind with per-value evidence 0.5 or more in
/// at least `privacy.detection_threshold` of a column's values (see [`safety_net`]).
#[derive(Debug, Clone)]
pub struct NetStop {
    /// The column.
    pub column: String,
    /// What was found.
    pub kind: detect::Kind,
    /// Share of the scanned values.
    pub share: f64,
    /// Per-value evidence.
    pub evidence: f64,
    /// Found inside text rather than as whole values.
    pub embedded: bool,
}

/// The safety net's findings and the ones that stop the run, structured (the judge
/// [`safety_net`] words as diagnostics and `inspect` turns into a treatment).
pub fn net_stops(
    schema: &Schema,
    scans: &[(&str, &ColumnScan)],
) -> (Vec<FindingReport>, Vec<NetStop>) {
    let mut stops = Vec::new();
    let mut findings = Vec::new();
    for &(name, scan) in scans {
        let col = schema.column(name);
        for f in scan.findings() {
            let kind = f.kind.name().to_string();
            // Declaring a quasi-identifier acknowledges the kinds quasi-identifiers are made of.
            let acknowledged = col.is_some_and(|c| {
                c.acknowledge.contains(&kind)
                    || (c.has_role(Role::QuasiIdentifier)
                        && matches!(
                            f.kind,
                            detect::Kind::DateOfBirth | detect::Kind::Date | detect::Kind::Postcode
                        ))
            });
            if !acknowledged
                && f.count > 0
                && f.share >= schema.privacy.detection_threshold
                && f.evidence >= 0.5
            {
                stops.push(NetStop {
                    column: name.to_string(),
                    kind: f.kind,
                    share: f.share,
                    evidence: f.evidence,
                    embedded: f.embedded,
                });
            }
            findings.push(FindingReport::new(name, &f, acknowledged));
        }
    }
    (findings, stops)
}

/// What `deidentify` did.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// Rows read.
    pub rows_in: u64,
    /// Rows excluded for missing consent.
    pub consent_excluded: u64,
    /// The consent column, if any.
    pub consent_column: Option<String>,
    /// Rows suppressed for k-anonymity (or l-diversity).
    pub suppressed_rows: u64,
    /// Rows written.
    pub rows_out: u64,
    /// Input columns the schema does not declare (left out: data minimisation).
    pub undeclared_columns_dropped: Vec<String>,
    /// Per declared column.
    pub columns: Vec<ColumnReport>,
    /// Detection findings on the columns that reach the output unchanged.
    pub findings: Vec<FindingReport>,
    /// Findings of the re-scan of every `redact` column's output (acknowledged ones only: any
    /// other fails the run).
    pub residual: Vec<FindingReport>,
    /// Fingerprint of the key used (never the key).
    pub key_fingerprint: Option<String>,
    /// Quasi-identifier figures, when the schema has quasi-identifiers.
    pub anonymity: Option<Anonymity>,
    /// How many written rows are unique over what is released (always computed).
    pub singling_out: Option<Singling>,
    /// Distinct values of the identifier columns looked for inside redacted text.
    pub known_values: u64,
    /// Whether more identifier values were seen than are kept for that (see
    /// [`super::known::KNOWN_CAP`]).
    pub known_values_capped: bool,
    /// The name slots of the redacted notes (the two words before the place where the notes
    /// put a name, see [`super::slots`]): capitalised words there were replaced as names.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub name_slots: Vec<String>,
}

/// Singling-out figures of the written rows: unique over the quasi-identifiers (as
/// generalised), over every released column, and what each column adds.
#[derive(Debug, Clone, Serialize)]
pub struct Singling {
    /// The figures.
    #[serde(flatten)]
    pub figures: SinglingOut,
    /// Released columns left out of the figures, and why.
    pub not_counted: Vec<ColumnReport>,
    /// The `privacy.max_unique_share` gate, when set.
    pub gate: Option<UniqueGate>,
    /// Set when most written rows are unique over everything released although every gate
    /// passed: the release still singles most people out (see [`MOST_UNIQUE`]).
    pub warning: Option<String>,
}

/// Share of written rows unique over everything released from which the report warns that
/// the release singles out most people, whatever the gates say.
pub const MOST_UNIQUE: f64 = 0.5;

/// The warning for a release that singles out most people although the gates pass.
pub(super) fn singling_warning(f: &SinglingOut) -> Option<String> {
    (f.rows > 0 && f.released.share >= MOST_UNIQUE).then(|| {
        let worst: Vec<String> = f
            .raises
            .iter()
            .filter(|x| x.raise > 0.0)
            .take(3)
            .map(|x| format!("`{}`", x.column))
            .collect();
        format!(
            "{:.1}% of the rows written are unique over everything released, although every gate passed: whoever knows these values singles most people out{}; drop or generalise them, or gate on them with `privacy.unique_over`",
            100.0 * f.released.share,
            if worst.is_empty() {
                String::new()
            } else {
                format!(" (most: {})", worst.join(", "))
            }
        )
    })
}

/// The `privacy.max_unique_share` gate.
#[derive(Debug, Clone, Serialize)]
pub struct UniqueGate {
    /// Columns uniqueness is counted over.
    pub columns: Vec<String>,
    /// Share of written rows unique over them.
    pub share: f64,
    /// The largest share allowed.
    pub max: f64,
    /// Whether `share <= max`.
    pub passed: bool,
}

/// What to do with one input column.
#[derive(Debug, Clone)]
enum Plan {
    Omit,
    Keep,
    Pseudonymise,
    Fake(FakeKind, Locale),
    Redact,
    /// Quasi-identifier number `i`, generalised when its level is above 0.
    Qi(usize),
}

fn fake_kind(schema_col: &crate::schema::Column) -> (FakeKind, Locale) {
    match schema_col.generator.as_ref().map(|g| &g.base) {
        Some(Generator::PersonName { locale, part, .. }) => (
            match part {
                NamePart::Full => FakeKind::PersonName,
                NamePart::First => FakeKind::FirstName,
                NamePart::Last => FakeKind::LastName,
            },
            *locale,
        ),
        Some(Generator::Email { locale, .. }) => (FakeKind::Email, *locale),
        Some(Generator::Phone { locale, .. }) => (FakeKind::Phone, *locale),
        Some(Generator::Address { locale, .. }) => (FakeKind::Address, *locale),
        _ => (
            match detect::kind_from_column_name(&schema_col.name) {
                Some(detect::Kind::Email) => FakeKind::Email,
                Some(detect::Kind::Phone) => FakeKind::Phone,
                Some(detect::Kind::PersonName) => FakeKind::PersonName,
                _ => FakeKind::Id,
            },
            Locale::En,
        ),
    }
}

/// Distinct numbers, days or instants of one call of [`map_raw`] whose answers are remembered:
/// enough for ages, years and codes; a column of nearly unique values (amounts, scores) stops
/// adding once full.
const MEMO_MAX: usize = 4096;

/// Applies `f` to every value of a quasi-identifier column as a borrowed raw value; dictionary
/// columns call `f` once per dictionary entry. `f` must give the same answer for the same value
/// (interning does): a number, day or instant seen before in the call is answered from memory.
pub(super) fn map_raw(
    a: &ArrayRef,
    ty: ColumnType,
    f: &mut dyn FnMut(RawRef) -> Option<u32>,
) -> Vec<Option<u32>> {
    let mut memo: crate::hash::FastMap<u64, Option<u32>> = crate::hash::FastMap::default();
    let mut remembered = |bits: u64, v: RawRef, f: &mut dyn FnMut(RawRef) -> Option<u32>| {
        if let Some(&id) = memo.get(&bits) {
            return id;
        }
        let id = f(v);
        if memo.len() < MEMO_MAX {
            memo.insert(bits, id);
        }
        id
    };
    match a.data_type() {
        DataType::Dictionary(..) => {
            let d = a.as_dictionary::<Int32Type>();
            let values = d.values().as_string::<i32>();
            let ids: Vec<Option<u32>> = (0..values.len())
                .map(|i| f(RawRef::Text(values.value(i))))
                .collect();
            let null = if d.null_count() > 0 {
                f(RawRef::Null)
            } else {
                None
            };
            d.keys()
                .iter()
                .map(|k| k.map_or(null, |k| ids[k as usize]))
                .collect()
        }
        DataType::Utf8 => a
            .as_string::<i32>()
            .iter()
            .map(|v| f(v.map_or(RawRef::Null, RawRef::Text)))
            .collect(),
        _ => match ty {
            ColumnType::Date => a
                .as_primitive::<arrow_array::types::Date32Type>()
                .iter()
                .map(|v| match v {
                    None => f(RawRef::Null),
                    Some(d) => remembered(u64::from(d as u32), RawRef::Day(d), f),
                })
                .collect(),
            ColumnType::Timestamp => a
                .as_primitive::<arrow_array::types::TimestampMicrosecondType>()
                .iter()
                .map(|v| match v {
                    None => f(RawRef::Null),
                    Some(t) => remembered(t as u64, RawRef::Micros(t), f),
                })
                .collect(),
            _ => numbers(a.as_ref())
                .into_iter()
                .map(|v| match v {
                    None => f(RawRef::Null),
                    Some(x) => remembered(x.to_bits(), RawRef::Num(x), f),
                })
                .collect(),
        },
    }
}

pub(super) fn consent_mask(batch: &RecordBatch, consent: Option<usize>) -> Vec<bool> {
    match consent {
        None => vec![true; batch.num_rows()],
        Some(i) => {
            let b = batch.column(i).as_boolean();
            (0..b.len()).map(|r| b.is_valid(r) && b.value(r)).collect()
        }
    }
}

pub(super) struct Setup {
    /// Quasi-identifiers released (as generalised), in output order.
    pub(super) risk_quasi: Vec<String>,
    /// Released columns counted for singling out (quasi-identifiers included).
    pub(super) risk_released: Vec<String>,
    /// Released columns not counted: keyed pseudonyms, fakes and redacted text.
    pub(super) risk_not_counted: Vec<ColumnReport>,
    /// The columns of the `max_unique_share` gate, when the schema names them.
    pub(super) risk_gate: Option<Vec<String>>,
    plans: Vec<Plan>,
    pub(super) qis: Vec<Qi>,
    pub(super) qi_cols: Vec<(usize, ColumnType)>,
    pub(super) sensitive: Option<usize>,
    pub(super) consent: Option<usize>,
    pub(super) out_schema: SchemaRef,
    pub(super) columns: Vec<ColumnReport>,
    pub(super) undeclared: Vec<String>,
    /// Identifier columns (dropped, pseudonymised or faked) whose values are looked for inside
    /// redacted text, with the kind whose placeholder replaces them; empty without a
    /// redacted column.
    pub(super) known_cols: Vec<(usize, detect::Kind)>,
}

impl Setup {
    /// Whether input column `i` reaches the output unchanged (kept, or a quasi-identifier
    /// without generalisation levels).
    pub(super) fn reaches_output_unchanged(&self, i: usize) -> bool {
        match self.plans[i] {
            Plan::Keep => true,
            Plan::Qi(q) => self.qis[q].levels.is_empty(),
            _ => false,
        }
    }

    /// Whether a column needs the pseudonymisation key.
    pub(super) fn needs_key(&self) -> bool {
        self.plans
            .iter()
            .any(|p| matches!(p, Plan::Pseudonymise | Plan::Fake(..)))
    }

    /// The input columns redacted, in input order.
    pub(super) fn redacted(&self) -> Vec<usize> {
        (0..self.plans.len())
            .filter(|&i| matches!(self.plans[i], Plan::Redact))
            .collect()
    }
}

pub(super) fn setup(schema: &Schema, in_schema: &SchemaRef) -> Setup {
    let mut plans = Vec::new();
    let mut qis = Vec::new();
    let mut qi_cols = Vec::new();
    let mut fields = Vec::new();
    let mut columns = Vec::new();
    let mut undeclared = Vec::new();
    for (i, f) in in_schema.fields().iter().enumerate() {
        let Some(c) = schema.column(f.name()) else {
            undeclared.push(f.name().clone());
            plans.push(Plan::Omit);
            continue;
        };
        let action = c.action.unwrap_or(if c.role == Role::Identifier {
            schema.privacy.identifiers
        } else {
            Action::Keep
        });
        let plan = match action {
            Action::Drop => Plan::Omit,
            Action::Pseudonymise => Plan::Pseudonymise,
            Action::Fake => {
                let (k, l) = fake_kind(c);
                Plan::Fake(k, l)
            }
            Action::Redact => Plan::Redact,
            Action::Keep if c.has_role(Role::QuasiIdentifier) => {
                qis.push(Qi::new(&c.name, c.ty, &c.generalise));
                qi_cols.push((i, c.ty));
                Plan::Qi(qis.len() - 1)
            }
            Action::Keep => Plan::Keep,
        };
        let name = match &plan {
            Plan::Omit => "drop",
            Plan::Keep => "keep",
            Plan::Pseudonymise => "pseudonymise",
            Plan::Fake(..) => "fake",
            Plan::Redact => "redact",
            Plan::Qi(_) => "generalise",
        };
        columns.push(ColumnReport {
            column: c.name.clone(),
            action: name.to_string(),
        });
        match &plan {
            Plan::Omit => {}
            Plan::Keep => fields.push(f.as_ref().clone()),
            Plan::Qi(_) if c.generalise.is_empty() => fields.push(f.as_ref().clone()),
            Plan::Qi(_) => fields.push(Field::new(
                f.name(),
                ColumnType::Category.arrow_type(),
                true,
            )),
            _ => fields.push(Field::new(f.name(), DataType::Utf8, true)),
        }
        plans.push(plan);
    }
    let known_cols = if plans.iter().any(|p| matches!(p, Plan::Redact)) {
        in_schema
            .fields()
            .iter()
            .enumerate()
            .filter(|(i, f)| {
                schema
                    .column(f.name())
                    .is_some_and(|c| c.role == Role::Identifier)
                    && matches!(plans[*i], Plan::Omit | Plan::Pseudonymise | Plan::Fake(..))
            })
            .map(|(i, f)| {
                let kind = match detect::kind_from_column_name(f.name()) {
                    Some(
                        k @ (detect::Kind::PersonName
                        | detect::Kind::Email
                        | detect::Kind::Phone
                        | detect::Kind::StreetAddress
                        | detect::Kind::Iban
                        | detect::Kind::IpAddress),
                    ) => k,
                    _ => detect::Kind::RecordId,
                };
                (i, kind)
            })
            .collect()
    } else {
        Vec::new()
    };
    let sensitive = schema
        .privacy
        .l_diversity
        .as_ref()
        .and_then(|(c, _)| in_schema.index_of(c).ok());
    let consent = schema
        .columns
        .iter()
        .find(|c| c.role == Role::Consent)
        .and_then(|c| in_schema.index_of(&c.name).ok());
    let mut risk_quasi = Vec::new();
    let mut risk_released = Vec::new();
    let mut risk_not_counted = Vec::new();
    for (f, plan) in in_schema.fields().iter().zip(&plans) {
        let name = f.name().clone();
        let why = match plan {
            Plan::Omit => continue,
            Plan::Qi(_) => {
                risk_quasi.push(name.clone());
                risk_released.push(name);
                continue;
            }
            Plan::Keep => {
                risk_released.push(name);
                continue;
            }
            Plan::Pseudonymise => {
                "pseudonymised: a per-person key by design, unique for every person"
            }
            Plan::Fake(..) => "faked: a per-person stand-in by design",
            Plan::Redact => "redacted free text: nearly every text is unique",
        };
        risk_not_counted.push(ColumnReport {
            column: name,
            action: why.to_string(),
        });
    }
    Setup {
        risk_gate: (!schema.privacy.unique_over.is_empty())
            .then(|| schema.privacy.unique_over.clone()),
        risk_quasi,
        risk_released,
        risk_not_counted,
        plans,
        qis,
        qi_cols,
        sensitive,
        consent,
        out_schema: Arc::new(arrow_schema::Schema::new(fields)),
        columns,
        undeclared,
        known_cols,
    }
}

/// Judges the re-scans of the redacted columns: every finding of a kind with per-value
/// evidence 0.5 or more in any value (whatever its share) is residual; the schema's
/// `acknowledge:` list of the column lets a kind stay. Returns the findings and a diagnostic
/// per column with unacknowledged ones.
pub fn residual_findings(
    schema: &Schema,
    scans: &[(&str, &ColumnScan)],
) -> (Vec<FindingReport>, Vec<String>) {
    let mut findings = Vec::new();
    let mut diags = Vec::new();
    for &(name, scan) in scans {
        let col = schema.column(name);
        let mut left = Vec::new();
        for f in scan.findings() {
            if f.count == 0 || f.evidence < 0.5 {
                continue;
            }
            let kind = f.kind.name().to_string();
            let acknowledged = col.is_some_and(|c| c.acknowledge.contains(&kind));
            if !acknowledged {
                left.push(format!(
                    "{} in {} value{}{}",
                    kind.replace('_', " "),
                    f.count,
                    if f.count == 1 { "" } else { "s" },
                    if f.embedded { "" } else { " (whole values)" }
                ));
            }
            findings.push(FindingReport::new(name, &f, acknowledged));
        }
        if !left.is_empty() {
            diags.push(format!(
                "column `{name}` still holds identifiers after `redact`: {}; nothing was written\n    hint: redaction replaces what the detectors find inside text; give `{name}` `role: identifier` with `action: drop` or `pseudonymise` if its values are identifiers as a whole, or `acknowledge:` the kind if this is intended",
                left.join(", ")
            ));
        }
    }
    (findings, diags)
}

/// Transforms one input batch into an output batch (`None` when no row is released), with
/// the re-scans of its redacted columns' output (one per redacted column, in input order).
/// `generaliser`: the chosen generalisation and its levels, when there are quasi-identifiers.
#[allow(clippy::type_complexity)]
pub(super) fn transform(
    batch: &RecordBatch,
    st: &Setup,
    key: Option<&Key>,
    generaliser: Option<(&Generaliser, &[usize])>,
    known: &KnownValues,
    slots: &NameSlots,
    dry: bool,
) -> Result<(Option<RecordBatch>, Vec<ColumnScan>), DeidError> {
    let mut keep = consent_mask(batch, st.consent);
    let levels: Vec<usize> = generaliser.map_or_else(|| vec![0; st.qis.len()], |g| g.1.to_vec());
    // Label ids per quasi-identifier and row; a row whose class is suppressed is dropped.
    let mut label_ids: Vec<Vec<Option<u32>>> = Vec::with_capacity(st.qis.len());
    if let (false, Some((g, _))) = (st.qis.is_empty(), generaliser) {
        for (q, (i, ty)) in st.qi_cols.iter().enumerate() {
            label_ids.push(map_raw(batch.column(*i), *ty, &mut |v| {
                g.raw_id(q, v).map(|r| g.label_id(q, r))
            }));
        }
        let mut key: Vec<u32> = Vec::with_capacity(st.qis.len());
        for (r, k) in keep.iter_mut().enumerate() {
            if !*k {
                continue;
            }
            key.clear();
            for ids in &label_ids {
                match ids[r] {
                    Some(id) => key.push(id),
                    // Never counted in pass 1: suppressed, to be safe.
                    None => *k = false,
                }
            }
            if *k && g.is_suppressed(&key) {
                *k = false;
            }
        }
    }
    let rows: Vec<u32> = keep
        .iter()
        .enumerate()
        .filter(|(_, k)| **k)
        .map(|(i, _)| i as u32)
        .collect();
    let mut rescans: Vec<ColumnScan> = Vec::new();
    if rows.is_empty() {
        rescans.resize_with(st.redacted().len(), || ColumnScan::new(""));
        return Ok((None, rescans));
    }
    let idx = arrow_array::UInt32Array::from(rows.clone());
    let take = |a: &ArrayRef| {
        arrow_select::take::take(a.as_ref(), &idx, None)
            .map_err(|e| IoError::Producer(e.to_string()))
    };
    let mut out: Vec<ArrayRef> = Vec::new();
    // A dry run (the draft's check) leaves out the pseudonyms and stand-ins: nothing counts or
    // scans them, and the keyed hashing is most of the pass's cost on a table with an id.
    let skipped = |p: &Plan| dry && matches!(p, Plan::Pseudonymise | Plan::Fake(..));
    let mut buf = String::new();
    for (i, plan) in st.plans.iter().enumerate() {
        let col = batch.column(i);
        match plan {
            Plan::Omit => {}
            p if skipped(p) => {}
            Plan::Keep => out.push(take(col)?),
            Plan::Qi(q) if levels[*q] == 0 => out.push(take(col)?),
            Plan::Qi(q) => {
                // Labels become a dictionary: keys are the label ids, values the labels.
                let Some((g, _)) = generaliser else {
                    unreachable!("levels above 0 come from the search")
                };
                let nulls = col.nulls();
                let keys: arrow_array::Int32Array = rows
                    .iter()
                    .map(|&r| {
                        let r = r as usize;
                        if nulls.is_some_and(|n| n.is_null(r)) {
                            None
                        } else {
                            label_ids[*q][r].map(|id| id as i32)
                        }
                    })
                    .collect();
                let values: ArrayRef =
                    Arc::new(arrow_array::StringArray::from_iter_values(g.labels(*q)));
                out.push(Arc::new(
                    arrow_array::DictionaryArray::<Int32Type>::try_new(keys, values)
                        .map_err(|e| IoError::Producer(e.to_string()))?,
                ));
            }
            Plan::Pseudonymise | Plan::Fake(..) | Plan::Redact => {
                let values = texts(col);
                // The row's own identifiers, for its redacted text (in any letter case).
                let own: Vec<(Vec<Option<String>>, detect::Kind)> = if matches!(plan, Plan::Redact)
                {
                    st.known_cols
                        .iter()
                        .map(|(i, k)| (texts(batch.column(*i)), *k))
                        .collect()
                } else {
                    Vec::new()
                };
                let mut b = StringBuilder::with_capacity(rows.len(), rows.len() * 24);
                // The redacted output is scanned again, in a scan local to this batch.
                let mut rescan = matches!(plan, Plan::Redact).then(|| ColumnScan::new(""));
                for &r in &rows {
                    match &values[r as usize] {
                        None => b.append_null(),
                        Some(v) => {
                            buf.clear();
                            match (plan, key) {
                                (Plan::Pseudonymise, Some(k)) => k.pseudonym_into(v, &mut buf),
                                (Plan::Fake(kind, locale), Some(k)) => {
                                    fake(k, *kind, *locale, v, &mut buf)
                                }
                                _ if known.is_empty() && slots.is_empty() => {
                                    detect::redact_into(v, |_| true, &mut buf)
                                }
                                _ => {
                                    // The detectors first, then the table's own identifiers,
                                    // then the row's own in any letter case (`rappelé ezio`),
                                    // then the words in the slots where the notes put names.
                                    let mut first = String::with_capacity(v.len());
                                    detect::redact_into(v, |_| true, &mut first);
                                    let mut second = String::with_capacity(first.len());
                                    known.redact_into(&first, &mut second);
                                    let mut row = KnownValues::default();
                                    for (vals, kind) in &own {
                                        if let Some(x) = &vals[r as usize] {
                                            row.add_any_case(x, *kind);
                                        }
                                    }
                                    first.clear();
                                    row.redact_into(&second, &mut first);
                                    slots.redact_into(&first, &mut buf);
                                }
                            }
                            if let Some(s) = rescan.as_mut() {
                                s.add(Some(&buf));
                            }
                            b.append_value(&buf);
                        }
                    }
                }
                rescans.extend(rescan);
                out.push(Arc::new(b.finish()));
            }
        }
    }
    let schema = if st.plans.iter().any(skipped) {
        let fields: Vec<_> = st
            .plans
            .iter()
            .filter(|p| !matches!(p, Plan::Omit))
            .zip(st.out_schema.fields())
            .filter(|(p, _)| !skipped(p))
            .map(|(_, f)| f.clone())
            .collect();
        Arc::new(arrow_schema::Schema::new(fields))
    } else {
        st.out_schema.clone()
    };
    // A dry batch may keep no column at all: its rows still count.
    let options = arrow_array::RecordBatchOptions::new().with_row_count(Some(rows.len()));
    let out = RecordBatch::try_new_with_options(schema, out, &options)
        .map_err(|e| IoError::Producer(e.to_string()))?;
    Ok((Some(out), rescans))
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow_array::{Date32Array, Float64Array};

    use super::*;

    /// Values seen before in a call are answered from memory: the same ids as asking every
    /// time, with one question per distinct value (up to the memory's size).
    #[test]
    fn map_raw_asks_once_per_distinct_value() {
        let xs: Vec<Option<f64>> = (0..10_000)
            .map(|i| (i % 13 != 0).then_some(f64::from(i % 40)))
            .collect();
        let a: ArrayRef = Arc::new(Float64Array::from(xs.clone()));
        let id = |v: RawRef| match v {
            RawRef::Num(x) => Some(x as u32 + 1),
            RawRef::Day(d) => Some(d as u32),
            _ => None,
        };
        let mut asked = 0;
        let got = map_raw(&a, ColumnType::Float, &mut |v| {
            asked += 1;
            id(v)
        });
        let want: Vec<Option<u32>> = xs
            .iter()
            .map(|x| x.map_or(None, |x| id(RawRef::Num(x))))
            .collect();
        assert_eq!(got, want);
        let nulls = xs.iter().filter(|x| x.is_none()).count();
        assert_eq!(asked, 40 + nulls);
        // Past the memory's size every new value is still answered, and answered right.
        let days: ArrayRef = Arc::new(Date32Array::from(
            (0..3 * MEMO_MAX as i32).chain(0..10).collect::<Vec<_>>(),
        ));
        let got = map_raw(&days, ColumnType::Date, &mut |v| id(v));
        let want: Vec<Option<u32>> = (0..3 * MEMO_MAX as u32).chain(0..10).map(Some).collect();
        assert_eq!(got, want);
    }
}
