//! The `deidentify` pipeline: minimisation, consent, identifier actions, the detection safety
//! net, generalisation with k-anonymity, and the report.
//!
//! Pass 1 streams the input once: it counts consent exclusions, scans the columns that would
//! reach the output unchanged for identifiers, and counts the quasi-identifier combinations.
//! Nothing is written when the safety net trips or k cannot be reached. Pass 2 streams the
//! input again and writes the transformed rows, transforming and encoding row groups in
//! parallel; every value a `redact` column puts out is scanned again, and when anything
//! detectable is left the output is discarded (the temporary file is removed) and the run
//! fails, listing the residual findings per column.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use arrow_array::builder::StringBuilder;
use arrow_array::cast::AsArray;
use arrow_array::types::Int32Type;
use arrow_array::{Array, ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, SchemaRef};
use serde::Serialize;

use super::classes::ClassCounter;
use super::detect::{self, ColumnScan};
use super::kanon::{Anonymity, Combos, Qi, RawRef};
use super::pseudo::{fake, FakeKind, Key, KeyError};
use super::risk::{ShardedCounter, SinglingOut, SinglingOutCounter};
use crate::io::read::{numbers, texts, Input, ReadError, Reader};
use crate::io::{Compression, IoError, Output, Sink, Written};
use crate::schema::{Action, ColumnType, Generator, Locale, NamePart, Role, Schema};

/// Values scanned per column by the safety net (a share is what it judges, so a large sample
/// is enough and keeps the pass fast).
const SCAN_LIMIT: u64 = 200_000;

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
    let mut diags = Vec::new();
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
                diags.push(format!(
                    "column `{name}` is not an identifier, but {:.1}% of its values {} {} (threshold {:.1}%, evidence {:.2} per value)\n    hint: give `{name}` `role: identifier` (with an `action`), `action: redact` for free text, or `acknowledge: [{kind}]` if this is intended",
                    100.0 * f.share,
                    if f.embedded { "contain" } else { "look like" },
                    kind.replace('_', " "),
                    100.0 * schema.privacy.detection_threshold,
                    f.evidence
                ));
            }
            findings.push(FindingReport::new(name, &f, acknowledged));
        }
    }
    (findings, diags)
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
        Some(Generator::Phone { locale }) => (FakeKind::Phone, *locale),
        Some(Generator::Address { locale }) => (FakeKind::Address, *locale),
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

/// Applies `f` to every value of a quasi-identifier column as a borrowed raw value; dictionary
/// columns call `f` once per dictionary entry.
pub(super) fn map_raw(
    a: &ArrayRef,
    ty: ColumnType,
    f: &mut dyn FnMut(RawRef) -> Option<u32>,
) -> Vec<Option<u32>> {
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
                .map(|v| f(v.map_or(RawRef::Null, RawRef::Day)))
                .collect(),
            ColumnType::Timestamp => a
                .as_primitive::<arrow_array::types::TimestampMicrosecondType>()
                .iter()
                .map(|v| f(v.map_or(RawRef::Null, RawRef::Micros)))
                .collect(),
            _ => numbers(a.as_ref())
                .into_iter()
                .map(|v| f(v.map_or(RawRef::Null, RawRef::Num)))
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
    risk_quasi: Vec<String>,
    /// Released columns counted for singling out (quasi-identifiers included).
    risk_released: Vec<String>,
    /// Released columns not counted: keyed pseudonyms, fakes and redacted text.
    risk_not_counted: Vec<ColumnReport>,
    /// The columns of the `max_unique_share` gate, when the schema names them.
    risk_gate: Option<Vec<String>>,
    plans: Vec<Plan>,
    pub(super) qis: Vec<Qi>,
    pub(super) qi_cols: Vec<(usize, ColumnType)>,
    pub(super) sensitive: Option<usize>,
    pub(super) consent: Option<usize>,
    out_schema: SchemaRef,
    columns: Vec<ColumnReport>,
    undeclared: Vec<String>,
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
    }
}

/// De-identifies `input` as `schema` says, writing the rows to `output`: a Parquet file, or
/// batches returned in [`Written`].
pub fn deidentify(
    input: &Input,
    schema: &Schema,
    opts: &Options,
    output: Output<'_>,
    provenance: serde_json::Value,
) -> Result<(Report, Written), DeidError> {
    let in_schema = Reader::open(input, schema)?.schema();
    let st = setup(schema, &in_schema);
    let unreleased: Vec<String> = schema
        .privacy
        .unique_over
        .iter()
        .filter(|c| st.out_schema.index_of(c).is_err())
        .map(|c| {
            format!(
                "privacy.unique_over names `{c}`, which is not in the output (dropped, or not in the input)\n    hint: count uniqueness over released columns only"
            )
        })
        .collect();
    if !unreleased.is_empty() {
        return Err(DeidError::Diagnostics(unreleased));
    }
    let needs_key = st
        .plans
        .iter()
        .any(|p| matches!(p, Plan::Pseudonymise | Plan::Fake(..)));
    let key = match (needs_key, &opts.key) {
        (false, _) => None,
        (true, Some(k)) => Some(k.clone()),
        (true, None) => Some(Arc::new(Key::load(
            opts.key_file.as_deref(),
            &schema.privacy.key_env,
        )?)),
    };

    // Pass 1: consent, safety-net scan, quasi-identifier combinations.
    let scanned: Vec<usize> = (0..in_schema.fields().len())
        // Generalised quasi-identifiers never reach the output unchanged.
        .filter(|&i| match st.plans[i] {
            Plan::Keep => true,
            Plan::Qi(q) => st.qis[q].levels.is_empty(),
            _ => false,
        })
        .filter(|&i| {
            let c = schema.column(in_schema.field(i).name());
            c.is_some_and(|c| {
                matches!(
                    c.ty,
                    ColumnType::String | ColumnType::Category | ColumnType::Date
                )
            })
        })
        .collect();
    // Pass 1 reads only the columns it looks at.
    let mut needed: Vec<usize> = scanned.clone();
    needed.extend(st.qi_cols.iter().map(|(i, _)| *i));
    needed.extend(st.consent);
    needed.extend(st.sensitive);
    needed.sort_unstable();
    needed.dedup();
    let names: Vec<&str> = needed
        .iter()
        .map(|&i| in_schema.field(i).name().as_str())
        .collect();
    let mut reader = Reader::open_columns(input, schema, &names)?;
    let pos = |i: usize| needed.binary_search(&i).unwrap_or(0);
    let mut scans: Vec<ColumnScan> = scanned
        .iter()
        .map(|&i| ColumnScan::new(in_schema.field(i).name()))
        .collect();
    let classes = ClassCounter::new(schema, &in_schema);
    let mut combos = Combos::default();
    let (mut rows_in, mut excluded, mut scanned_rows) = (0u64, 0u64, 0u64);
    for batch in reader.by_ref() {
        let batch = batch?;
        let keep = consent_mask(&batch, st.consent.map(pos));
        rows_in += batch.num_rows() as u64;
        excluded += keep.iter().filter(|k| !**k).count() as u64;
        if scanned_rows < SCAN_LIMIT {
            for (scan, &i) in scans.iter_mut().zip(&scanned) {
                for (v, k) in texts(batch.column(pos(i))).iter().zip(&keep) {
                    if *k {
                        scan.add(v.as_deref());
                    }
                }
            }
            scanned_rows += batch.num_rows() as u64;
        }
        classes.add(&mut combos, &batch)?;
    }

    let named: Vec<(&str, &ColumnScan)> = scans
        .iter()
        .zip(&scanned)
        .map(|(scan, &i)| (in_schema.field(i).name().as_str(), scan))
        .collect();
    let (findings, mut diags) = safety_net(schema, &named);
    let anonymity = match classes.search(&combos) {
        None => None,
        Some(Ok(a)) => Some(a),
        Some(Err(e)) => {
            diags.push(e.to_string());
            None
        }
    };
    if !diags.is_empty() {
        return Err(DeidError::Diagnostics(diags));
    }

    let mut report = Report {
        rows_in,
        consent_excluded: excluded,
        consent_column: st.consent.map(|i| in_schema.field(i).name().clone()),
        suppressed_rows: anonymity.as_ref().map_or(0, |a| a.suppressed_rows),
        rows_out: 0,
        undeclared_columns_dropped: st.undeclared.clone(),
        columns: st.columns.clone(),
        findings,
        residual: Vec::new(),
        key_fingerprint: key.as_deref().map(Key::fingerprint),
        anonymity,
        singling_out: None,
    };
    if let Some(a) = &report.anonymity {
        for (q, l) in a.quasi_identifiers.iter().zip(&a.levels) {
            if let Some(c) = report.columns.iter_mut().find(|c| &c.column == q) {
                c.action = if *l == 0 {
                    "keep".into()
                } else {
                    format!("generalise (level {l})")
                };
            }
        }
    }
    let batches = Reader::open(input, schema)?;
    let (sink, counted, residual) = write(
        batches,
        schema,
        &st,
        key.as_deref(),
        report.anonymity.as_ref(),
        opts,
        output,
    )?;
    report.residual = residual;
    let figures = counted.finish();
    let gate = schema.privacy.max_unique_share.map(|max| {
        let set = figures
            .gate_set
            .as_ref()
            .unwrap_or(&figures.quasi_identifiers);
        UniqueGate {
            columns: set.columns.clone(),
            share: set.share,
            max,
            passed: set.share <= max,
        }
    });
    report.rows_out = figures.rows;
    if let Some(g) = gate.as_ref().filter(|g| !g.passed) {
        // `sink` is dropped unfinished: its temporary file goes, nothing is written.
        drop(sink);
        let over = if g.columns.is_empty() {
            "no columns".to_string()
        } else {
            g.columns.join(", ")
        };
        let worst: Vec<String> = figures
            .raises
            .iter()
            .take(3)
            .filter(|r| r.raise > 0.0)
            .map(|r| format!("`{}` (+{:.1}%)", r.column, 100.0 * r.raise))
            .collect();
        return Err(DeidError::Diagnostics(vec![format!(
            "{:.1}% of the de-identified rows are unique over {over}, above privacy.max_unique_share ({:.1}%); nothing was written\n    hint: declare coarser `generalise` levels, raise `privacy.k_anonymity`, or drop or generalise the columns that single people out{}",
            100.0 * g.share,
            100.0 * g.max,
            if worst.is_empty() {
                String::new()
            } else {
                format!(" (most: {})", worst.join(", "))
            }
        )]));
    }
    report.singling_out = Some(Singling {
        figures,
        not_counted: st.risk_not_counted.clone(),
        gate,
    });
    let mut prov = provenance;
    if let Some(obj) = prov.as_object_mut() {
        obj.insert(
            "deidentify".into(),
            serde_json::to_value(&report).unwrap_or_default(),
        );
    }
    let mut sink = sink;
    sink.add_metadata(crate::io::METADATA_KEY, prov.to_string());
    let written = sink.finish()?;
    Ok((report, written))
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

/// Transforms one input batch into an output batch.
fn transform(
    batch: &RecordBatch,
    st: &Setup,
    key: Option<&Key>,
    anon: Option<&Anonymity>,
    rescans: &[Mutex<ColumnScan>],
) -> Result<Option<RecordBatch>, IoError> {
    let mut keep = consent_mask(batch, st.consent);
    let levels: Vec<usize> = anon.map_or_else(|| vec![0; st.qis.len()], |a| a.levels.clone());
    // Label ids per quasi-identifier and row; a row whose class is suppressed is dropped.
    let mut label_ids: Vec<Vec<Option<u32>>> = Vec::with_capacity(st.qis.len());
    if let (false, Some(a)) = (st.qis.is_empty(), anon) {
        let g = &a.generaliser;
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
    if rows.is_empty() {
        return Ok(None);
    }
    let idx = arrow_array::UInt32Array::from(rows.clone());
    let take = |a: &ArrayRef| {
        arrow_select::take::take(a.as_ref(), &idx, None)
            .map_err(|e| IoError::Producer(e.to_string()))
    };
    let mut out: Vec<ArrayRef> = Vec::new();
    let mut buf = String::new();
    let mut redacted = 0;
    for (i, plan) in st.plans.iter().enumerate() {
        let col = batch.column(i);
        match plan {
            Plan::Omit => {}
            Plan::Keep => out.push(take(col)?),
            Plan::Qi(q) if levels[*q] == 0 => out.push(take(col)?),
            Plan::Qi(q) => {
                // Labels become a dictionary: keys are the label ids, values the labels.
                let g = &anon
                    .expect("levels above 0 come from the search")
                    .generaliser;
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
                                _ => detect::redact_into(v, |_| true, &mut buf),
                            }
                            if let Some(s) = rescan.as_mut() {
                                s.add(Some(&buf));
                            }
                            b.append_value(&buf);
                        }
                    }
                }
                if let Some(s) = rescan {
                    if let Ok(mut total) = rescans[redacted].lock() {
                        total.merge(&s);
                    }
                    redacted += 1;
                }
                out.push(Arc::new(b.finish()));
            }
        }
    }
    Ok(Some(
        RecordBatch::try_new(st.out_schema.clone(), out)
            .map_err(|e| IoError::Producer(e.to_string()))?,
    ))
}

/// Transforms and encodes every row group; returns the unfinished sink (the caller adds the
/// metadata and finishes it, or drops it to write nothing), the singling-out counts of the
/// rows written, and the residual findings of the redacted columns (an error, and nothing
/// written, when one is not acknowledged).
fn write(
    batches: Reader,
    schema: &Schema,
    st: &Setup,
    key: Option<&Key>,
    anon: Option<&Anonymity>,
    opts: &Options,
    output: Output<'_>,
) -> Result<(Sink, ShardedCounter, Vec<FindingReport>), DeidError> {
    let in_schema = batches.schema();
    let redacted: Vec<&str> = st
        .plans
        .iter()
        .zip(in_schema.fields())
        .filter(|(p, _)| matches!(p, Plan::Redact))
        .map(|(_, f)| f.name().as_str())
        .collect();
    // Scans named "" so that no column-name hint colours what is left.
    let rescans: Vec<Mutex<ColumnScan>> = redacted
        .iter()
        .map(|_| Mutex::new(ColumnScan::new("")))
        .collect();
    let mut sink = Sink::create(
        output,
        st.out_schema.clone(),
        crate::io::writer_properties(opts.compression),
    )?;
    let counter = ShardedCounter::new(&SinglingOutCounter::new(
        &st.risk_quasi,
        &st.risk_released,
        st.risk_gate.as_deref(),
    ));
    let group_rows = crate::synth::DEFAULT_ROW_GROUP_ROWS as usize;
    let window = 2 * rayon::current_num_threads().max(1);
    let mut pending: Vec<Vec<RecordBatch>> = Vec::new();
    let mut current: Vec<RecordBatch> = Vec::new();
    let mut current_rows = 0usize;
    let job = |batches: &Vec<RecordBatch>,
               encode: &mut dyn FnMut(&RecordBatch) -> Result<(), IoError>|
     -> Result<(), DeidError> {
        for b in batches {
            if let Some(out) = transform(b, st, key, anon, &rescans)? {
                let keys = counter
                    .row_keys(&out)
                    .map_err(|e| DeidError::Diagnostics(vec![e.to_string()]))?;
                counter.add_keys(&keys);
                encode(&out)?;
            }
        }
        Ok(())
    };
    for batch in batches {
        let batch = batch?;
        current_rows += batch.num_rows();
        current.push(batch);
        if current_rows >= group_rows {
            pending.push(std::mem::take(&mut current));
            current_rows = 0;
            if pending.len() >= window {
                sink.write_row_groups(&pending, job)?;
                pending.clear();
            }
        }
    }
    if !current.is_empty() {
        pending.push(current);
    }
    sink.write_row_groups(&pending, job)?;
    let scans: Vec<ColumnScan> = rescans
        .into_iter()
        .map(|m| m.into_inner().unwrap_or_else(|e| e.into_inner()))
        .collect();
    let named: Vec<(&str, &ColumnScan)> = redacted.iter().copied().zip(&scans).collect();
    let (residual, diags) = residual_findings(schema, &named);
    if !diags.is_empty() {
        // Dropping the unfinished sink removes its temporary file: nothing is written.
        return Err(DeidError::Diagnostics(diags));
    }
    Ok((sink, counter, residual))
}

/// A short human summary of a report, for stderr.
pub fn summary(r: &Report) -> String {
    use std::fmt::Write;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "de-identified {} rows: {} without consent excluded, {} suppressed for k-anonymity, {} written",
        r.rows_in, r.consent_excluded, r.suppressed_rows, r.rows_out
    );
    for c in &r.columns {
        if c.action != "keep" {
            let _ = writeln!(s, "  {:<24} {}", c.column, c.action);
        }
    }
    if !r.undeclared_columns_dropped.is_empty() {
        let _ = writeln!(
            s,
            "  undeclared, left out: {}",
            r.undeclared_columns_dropped.join(", ")
        );
    }
    if let Some(f) = &r.key_fingerprint {
        let _ = writeln!(s, "  key fingerprint: {f}");
    }
    if let Some(a) = &r.anonymity {
        let _ = writeln!(
            s,
            "  k-anonymity over {}: k = {} ({} classes), prosecutor risk max {:.3}, average {:.4}",
            a.quasi_identifiers.join(", "),
            a.k_achieved,
            a.classes,
            a.prosecutor_risk_max,
            a.prosecutor_risk_avg
        );
        if let (Some((col, _)), Some(l)) = (&a.l_required, a.l_achieved) {
            let _ = writeln!(s, "  l-diversity of `{col}`: l = {l}");
        }
    }
    if let Some(so) = &r.singling_out {
        let f = &so.figures;
        let q = &f.quasi_identifiers;
        let _ = writeln!(
            s,
            "  singling out: {:.1}% of the {} rows written are unique over the quasi-identifiers ({}); {:.1}% over everything released ({} columns)",
            100.0 * q.share,
            f.rows,
            if q.columns.is_empty() { "none declared".to_string() } else { q.columns.join(", ") },
            100.0 * f.released.share,
            f.released.columns.len()
        );
        if !f.exact {
            let _ = writeln!(
                s,
                "    (estimated: more than 262,144 distinct combinations in a set, counted by distinct sampling)"
            );
        }
        let worst: Vec<String> = f
            .raises
            .iter()
            .filter(|x| x.raise > 0.0)
            .take(5)
            .map(|x| format!("{} +{:.1}%", x.column, 100.0 * x.raise))
            .collect();
        if !worst.is_empty() {
            let _ = writeln!(
                s,
                "    columns that single people out most: {}",
                worst.join(", ")
            );
        }
        for c in &so.not_counted {
            let _ = writeln!(s, "    not counted: `{}` ({})", c.column, c.action);
        }
        if let Some(g) = &so.gate {
            let _ = writeln!(
                s,
                "    gate max_unique_share: {:.1}% unique over {} (limit {:.1}%): {}",
                100.0 * g.share,
                g.columns.join(", "),
                100.0 * g.max,
                if g.passed { "passed" } else { "failed" }
            );
        }
    }
    for f in r.findings.iter().filter(|f| f.acknowledged) {
        let _ = writeln!(
            s,
            "  acknowledged: `{}` holds {} ({:.1}%)",
            f.column,
            f.kind,
            100.0 * f.share
        );
    }
    for f in &r.residual {
        let _ = writeln!(
            s,
            "  acknowledged after redact: `{}` still holds {} ({:.1}%)",
            f.column,
            f.kind,
            100.0 * f.share
        );
    }
    s
}
