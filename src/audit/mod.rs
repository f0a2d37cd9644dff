//! `fairsynth audit`: examines a real training table for bias, proxies, identifiers, data
//! quality and drift, and checks the figures against the schema's quality gates.
//!
//! The table is loaded into memory (as `evaluate` does). Figures:
//! - **representation**: each protected column's group shares (rows with a group, nulls and
//!   values outside the bins left out), with a 95 % Wilson score interval and the gap to the
//!   target share; the intersection of the protected columns; groups smaller than
//!   `quality.min_group_rows`;
//! - **outcome parity**: the favourable-label rate per group (the rule of
//!   [`crate::schema::favourable_level`]), SPD and DI over the groups with at least
//!   `min_group_rows` rows, per protected column and for their intersection;
//! - **proxies**: Cramér's V and mutual information (bits) between every other column and each
//!   protected column, on binned values (see [`figures::proxy_codes`]), strongest first;
//! - **identifiers**: declared identifier columns, and the de-identification safety net over
//!   every text column;
//! - **singling out**: the rows unique over the quasi-identifiers, over every column but the
//!   identifiers, and over the quasi-identifiers plus each other column
//!   ([`crate::deid::risk`]), with the gate `privacy.max_unique_share`;
//! - **data quality**: nulls, duplicate rows, values outside the declared levels and bounds,
//!   and the age of the newest and oldest date and timestamp values on the as-of date;
//! - **drift** against an earlier audit report: every figure that is a share, a rate or a
//!   strength (see [`Report::figures`]) compared, drift being the largest absolute change.
//!
//! A folder of linked tables is audited by [`linked::audit_linked`]: this audit per table, and
//! the figures across tables.

pub mod figures;
mod gates;
pub mod linked;

pub use gates::GATES;
use gates::{checks, drift, read_baseline, small_rates, worst_parity};

use std::collections::BTreeMap;

use serde::Serialize;

use crate::deid::detect::ColumnScan;
use crate::deid::risk::{SinglingOut, SinglingOutCounter};
use crate::deid::run::FindingReport;
use crate::evaluate::{Check, Status};
use crate::io::read::{Input, ReadError, Reader};
use crate::io::table::{Table, Values, NULL};
use crate::schema::{ColumnType, Quality, Role, Schema, Target};

pub use figures::{ColumnQuality, Staleness};

/// The report format name, checked when a report is read back as a baseline.
pub const FORMAT: &str = "fairsynth-audit";
/// The report format version.
pub const VERSION: u32 = 1;

/// Errors from auditing.
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    /// Reading the table failed.
    #[error(transparent)]
    Read(#[from] ReadError),
    /// The table or the options cannot be audited.
    #[error("{0}")]
    Input(String),
    /// The baseline report cannot be used.
    #[error("baseline `{path}`: {message}\n    hint: give a JSON report written by `fairsynth audit --report`")]
    Baseline {
        /// The file.
        path: String,
        /// What is wrong.
        message: String,
    },
}

/// What to audit, against what.
#[derive(Debug, Clone)]
pub struct Options {
    /// The table.
    pub input: Input,
    /// Target shares (from `--targets` or the schema).
    pub targets: Vec<Target>,
    /// The gates.
    pub quality: Quality,
    /// The date ages are measured to, as days since 1970-01-01.
    pub as_of: i64,
    /// An earlier audit report, for drift.
    pub baseline: Option<std::path::PathBuf>,
}

/// One group's share of the rows.
#[derive(Debug, Clone, Serialize)]
pub struct GroupShare {
    /// The group (levels joined by ` & ` for the intersection).
    pub group: String,
    /// Rows in the group.
    pub rows: u64,
    /// Rows over the rows with a group.
    pub share: f64,
    /// 95 % Wilson score interval of the share.
    pub interval: (f64, f64),
    /// The target share, when the targets name this column.
    pub target: Option<f64>,
    /// Share minus target.
    pub gap: Option<f64>,
    /// Whether the target lies inside the interval (the gap may be sampling noise).
    pub target_in_interval: Option<bool>,
}

/// The groups of one protected column (or the intersection).
#[derive(Debug, Clone, Serialize)]
pub struct Representation {
    /// The column, or the columns joined by ` & `.
    pub attribute: String,
    /// Per group: declared levels first (with 0 rows if absent), then others seen.
    pub groups: Vec<GroupShare>,
    /// Rows with no group (null, or outside the bins).
    pub rows_without_group: u64,
}

/// A group with fewer rows than `min_group_rows`.
#[derive(Debug, Clone, Serialize)]
pub struct SmallGroup {
    /// The attribute.
    pub attribute: String,
    /// The group.
    pub group: String,
    /// Its rows.
    pub rows: u64,
}

/// The favourable-label rate of one group.
#[derive(Debug, Clone, Serialize)]
pub struct GroupRate {
    /// The group.
    pub group: String,
    /// Rows with a label.
    pub rows: u64,
    /// Share of them with the favourable label.
    pub rate: f64,
    /// 95 % Wilson score interval of the rate.
    pub interval: (f64, f64),
    /// Whether the group has enough rows to enter SPD and DI.
    pub compared: bool,
}

/// Parity figures for one protected column (or the intersection).
#[derive(Debug, Clone, Serialize)]
pub struct AttributeParity {
    /// The column, or the columns joined by ` & `.
    pub attribute: String,
    /// Per group.
    pub groups: Vec<GroupRate>,
    /// The compared group with the lowest rate.
    pub lowest: Option<String>,
    /// The compared group with the highest rate (the reference).
    pub highest: Option<String>,
    /// Statistical parity difference: lowest rate minus highest.
    pub spd: Option<f64>,
    /// Disparate impact: lowest rate over highest.
    pub di: Option<f64>,
}

/// Outcome parity.
#[derive(Debug, Clone, Serialize)]
pub struct Parity {
    /// The label.
    pub label: String,
    /// Its favourable level.
    pub favourable: String,
    /// The favourable rate over all labelled rows.
    pub overall_rate: f64,
    /// Groups with fewer rows than this are shown but not compared.
    pub min_group_rows: u64,
    /// Per protected column, then their intersection.
    pub attributes: Vec<AttributeParity>,
}

/// How strongly one column predicts one protected column.
#[derive(Debug, Clone, Serialize)]
pub struct Proxy {
    /// The column.
    pub column: String,
    /// The protected column.
    pub protected: String,
    /// Cramér's V (no bias correction).
    pub cramers_v: f64,
    /// Mutual information, bits.
    pub mutual_information_bits: f64,
    /// How the column was binned: `levels`, `schema bins` or `10 equal-width bins`.
    pub binning: String,
    /// Rows with a protected group.
    pub rows: u64,
}

/// The proxy scan.
#[derive(Debug, Clone, Serialize)]
pub struct Proxies {
    /// The measure ranked by.
    pub measure: String,
    /// Every (column, protected column) pair, strongest first.
    pub pairs: Vec<Proxy>,
    /// Columns left out and why.
    pub skipped: Vec<(String, String)>,
}

/// Identifier findings.
#[derive(Debug, Clone, Serialize)]
pub struct Identifiers {
    /// Columns the schema declares identifiers, with their share of distinct values.
    pub declared: Vec<(String, f64)>,
    /// Detector findings over the text columns.
    pub findings: Vec<FindingReport>,
    /// Why a column that is not declared an identifier looks like one (the safety net's rule).
    pub undeclared: Vec<String>,
}

/// Singling-out figures of the table as it is (see [`crate::deid::risk`]).
#[derive(Debug, Clone, Serialize)]
pub struct Singling {
    /// Rows unique over the quasi-identifiers (raw values), over every counted column, and
    /// what each column adds to the quasi-identifiers.
    #[serde(flatten)]
    pub figures: SinglingOut,
    /// Declared columns left out of the figures, and why.
    pub not_counted: Vec<(String, String)>,
}

/// Data quality.
#[derive(Debug, Clone, Serialize)]
pub struct DataQuality {
    /// Per column.
    pub columns: Vec<ColumnQuality>,
    /// Rows equal to an earlier row over every declared column.
    pub duplicate_rows: u64,
    /// Duplicate rows over rows.
    pub duplicate_share: f64,
    /// The as-of date (YYYY-MM-DD).
    pub as_of: String,
    /// Per date or timestamp column.
    pub dates: Vec<Staleness>,
    /// Days from the newest value of any date or timestamp column to the as-of date.
    pub data_age_days: Option<f64>,
}

/// One figure's change since the baseline.
#[derive(Debug, Clone, Serialize)]
pub struct Change {
    /// The figure (see [`Report::figures`]).
    pub figure: String,
    /// Its value in the baseline.
    pub before: f64,
    /// Its value now.
    pub after: f64,
    /// after − before.
    pub change: f64,
}

/// What changed since an earlier audit.
#[derive(Debug, Clone, Serialize)]
pub struct Drift {
    /// The baseline file.
    pub baseline: String,
    /// SHA-256 of the baseline's input table.
    pub baseline_input_sha256: String,
    /// Figures in both reports that are compared.
    pub compared: usize,
    /// Rates of groups with fewer labelled rows than this (now or in the baseline) are left
    /// out: `quality.min_group_rows`, else [`PARITY_MIN_ROWS`], the rule parity applies.
    pub min_group_rows: u64,
    /// The rate figures in both reports left out for that reason.
    pub left_out_small_groups: Vec<String>,
    /// The largest absolute change (the figure `max_drift` checks).
    pub max_change: f64,
    /// Every change, largest first.
    pub changes: Vec<Change>,
    /// Figures only in the baseline (a group or column that disappeared).
    pub only_in_baseline: Vec<String>,
    /// Figures only now.
    pub only_now: Vec<String>,
}

/// The audited table.
#[derive(Debug, Clone, Serialize)]
pub struct InputInfo {
    /// The path as given.
    pub path: String,
    /// SHA-256 of its bytes (left out for an in-memory table).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub sha256: String,
    /// Rows.
    pub rows: usize,
    /// Declared columns read.
    pub columns: usize,
}

/// What `audit` found.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// Always [`FORMAT`].
    pub format: String,
    /// Always [`VERSION`].
    pub version: u32,
    /// fairsynth version.
    pub fairsynth: String,
    /// The schema: name, file, SHA-256.
    pub schema: (String, String, String),
    /// The table.
    pub input: InputInfo,
    /// Representation per protected column and their intersection.
    pub representation: Vec<Representation>,
    /// Groups below `min_group_rows` (single columns and the intersection).
    pub small_groups: Vec<SmallGroup>,
    /// Outcome parity, when the schema names a label.
    pub parity: Option<Parity>,
    /// Proxy strengths.
    pub proxies: Proxies,
    /// Identifier findings.
    pub identifiers: Identifiers,
    /// Singling-out figures.
    pub singling_out: Singling,
    /// Data quality.
    pub quality: DataQuality,
    /// Changes since the baseline.
    pub drift: Option<Drift>,
    /// Every figure drift compares, by name.
    pub figures: BTreeMap<String, f64>,
    /// The schema's `privacy.max_unique_share`, checked as `max_unique_share`.
    #[serde(skip)]
    pub singling_out_limit: Option<f64>,
    /// The gate `quality.min_group_rows`, when set (`small_groups` counts against it).
    #[serde(skip)]
    pub min_group_rows: Option<u64>,
    /// Gates.
    pub checks: Vec<Check>,
    /// No gate failed.
    pub passed: bool,
    /// What could not be computed and why.
    pub notes: Vec<String>,
}

impl Report {
    /// The figures drift compares, each in [0, 1]: `share/ATTRIBUTE/GROUP`,
    /// `rate/ATTRIBUTE/GROUP`, `proxy/COLUMN/PROTECTED` (Cramér's V), `nulls/COLUMN`,
    /// `outside/COLUMN` (values outside levels or bounds, over rows), `duplicates`, and the
    /// shares of rows unique over the quasi-identifiers and over all counted columns
    /// (`unique/quasi_identifiers`, `unique/all_columns`).
    pub fn compute_figures(&self) -> BTreeMap<String, f64> {
        let mut f = BTreeMap::new();
        for r in &self.representation {
            for g in &r.groups {
                f.insert(format!("share/{}/{}", r.attribute, g.group), g.share);
            }
        }
        if let Some(p) = &self.parity {
            for a in &p.attributes {
                for g in &a.groups {
                    f.insert(format!("rate/{}/{}", a.attribute, g.group), g.rate);
                }
            }
        }
        for p in &self.proxies.pairs {
            f.insert(format!("proxy/{}/{}", p.column, p.protected), p.cramers_v);
        }
        let rows = self.input.rows.max(1) as f64;
        for c in &self.quality.columns {
            f.insert(format!("nulls/{}", c.column), c.null_share);
            if let Some(n) = c.outside_levels.or(c.outside_bounds) {
                f.insert(format!("outside/{}", c.column), n as f64 / rows);
            }
        }
        f.insert("duplicates".into(), self.quality.duplicate_share);
        let so = &self.singling_out.figures;
        f.insert(
            "unique/quasi_identifiers".into(),
            so.quasi_identifiers.share,
        );
        f.insert("unique/all_columns".into(), so.released.share);
        f
    }
}

/// Today as days since 1970-01-01 (UTC), the default as-of date.
pub fn today() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| (d.as_secs() / 86_400) as i64)
}

/// Parses an as-of date `YYYY-MM-DD` into days since 1970-01-01.
pub fn parse_as_of(s: &str) -> Result<i64, AuditError> {
    crate::schema::parse_date(s)
        .map(i64::from)
        .ok_or_else(|| AuditError::Input(format!("--as-of `{s}`: expected a date YYYY-MM-DD")))
}

/// The as-of date `YYYY-MM-DD` when given, else today (UTC), as days since 1970-01-01.
pub fn as_of(given: Option<&str>) -> Result<i64, AuditError> {
    given.map_or_else(|| Ok(today()), parse_as_of)
}

/// The note for protected columns that are declared but all encrypted under keys not given.
fn unreadable_protected(locked: &[&crate::io::crypt::Locked]) -> String {
    let quoted = |v: Vec<&str>| {
        v.iter()
            .map(|c| format!("`{c}`"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let columns = quoted(locked.iter().map(|l| l.column.as_str()).collect());
    let mut keys: Vec<&str> = locked.iter().filter_map(|l| l.key_id.as_deref()).collect();
    keys.sort_unstable();
    keys.dedup();
    let key = match keys.len() {
        0 => "their key".to_string(),
        1 => format!("master key {}", quoted(keys)),
        _ => format!("master keys {}", quoted(keys)),
    };
    format!(
        "the schema declares the protected column(s) {columns}, but they are encrypted and unreadable without {key}, which was not given: representation, parity and proxies are empty; give the key (--keys FILE, or the environment variable FAIRSYNTH_KEY_<ID>) to audit by them"
    )
}

/// Audits the table in `opts` against `schema`.
pub fn audit(schema: &Schema, opts: &Options) -> Result<Report, AuditError> {
    // Encrypted columns whose key the auditor was not given are left out, and the report
    // says so (parity by a protected column needs that column's key).
    let locked: Vec<crate::io::crypt::Locked> = crate::io::read::locked_columns(&opts.input)?
        .into_iter()
        .filter(|l| schema.column(&l.column).is_some())
        .collect();
    // A declared weight column the table lacks (a synthetic sample carries no design weight)
    // is left out: audit counts rows, unweighted, so nothing depends on it.
    let (present, sheet_note) = crate::io::read::column_names_noted(&opts.input, schema)?;
    let absent_weights: Vec<String> = schema
        .columns
        .iter()
        .filter(|c| c.role == Role::Weight && !present.contains(&c.name))
        .map(|c| c.name.clone())
        .collect();
    // Protected columns the schema declares but the auditor cannot read: without them the
    // audit has no groups, and the report must not say that none is declared.
    let locked_protected: Vec<&crate::io::crypt::Locked> = locked
        .iter()
        .filter(|l| {
            schema
                .column(&l.column)
                .is_some_and(|c| c.role == crate::schema::Role::Protected)
        })
        .collect();
    let reduced;
    let schema = if locked.is_empty() && absent_weights.is_empty() {
        schema
    } else {
        let names: Vec<String> = locked
            .iter()
            .map(|l| l.column.clone())
            .chain(absent_weights.iter().cloned())
            .collect();
        reduced = schema.without_columns(&names);
        &reduced
    };
    let names: Vec<&str> = schema.columns.iter().map(|c| c.name.as_str()).collect();
    let table = Table::load(&opts.input, schema, &names)?;
    if table.rows == 0 {
        return Err(AuditError::Input(format!(
            "`{}` has no rows",
            opts.input.label().display()
        )));
    }
    // An in-memory table has no bytes to hash; its report says so by leaving the hash out.
    let sha256 = match opts.input.path() {
        Some(path) => crate::schema::sha256_file(path)
            .map_err(|e| AuditError::Input(format!("cannot read `{}`: {e}", path.display())))?,
        None => String::new(),
    };
    let baseline = opts.baseline.as_deref().map(read_baseline).transpose()?;
    let mut notes: Vec<String> = locked
        .iter()
        .map(|l| {
            format!(
                "column `{}` is encrypted{} and its key was not given, so it is not audited (no figures by it): {}",
                l.column,
                l.key_id
                    .as_deref()
                    .map(|k| format!(" under master key `{k}`"))
                    .unwrap_or_default(),
                l.reason.lines().next().unwrap_or_default()
            )
        })
        .collect();
    notes.extend(sheet_note);
    for w in &absent_weights {
        notes.push(format!(
            "the schema's weight column `{w}` is not in the table (a synthetic sample carries no design weight), so it is left out; every figure counts rows, unweighted, as always"
        ));
    }
    let min_rows = opts.quality.min_group_rows.map_or(0, |x| x as u64);

    let protected = figures::protected(schema);
    let mut groupings = Vec::new();
    for decl in &protected {
        let col = table
            .column(&decl.name)
            .expect("every declared column is loaded");
        match figures::grouping(decl, col) {
            Some(g) => groupings.push((decl.name.clone(), g)),
            None => notes.push(format!(
                "protected column `{}` is numeric without `bins`, so it has no groups",
                decl.name
            )),
        }
    }
    if protected.is_empty() && !locked_protected.is_empty() {
        notes.push(unreadable_protected(&locked_protected));
    } else if protected.is_empty() {
        notes.push(
            "the schema declares no protected column: representation, parity and proxies are empty"
                .into(),
        );
    }
    let intersection = intersect(&groupings);

    let (representation, small_groups) =
        representation(&groupings, intersection.as_ref(), &opts.targets, min_rows);
    // A rate from a handful of rows is noise: without `min_group_rows`, parity compares only
    // groups of at least PARITY_MIN_ROWS (they are still listed).
    let parity = parity(
        schema,
        &table,
        &groupings,
        intersection.as_ref(),
        opts.quality
            .min_group_rows
            .map_or(PARITY_MIN_ROWS, |x| x as u64),
        &mut notes,
    );
    let proxies = proxies(schema, &table, &groupings);
    let identifiers = identifiers(schema, &table);
    let singling_out = singling_out(schema, opts)?;

    let columns: Vec<ColumnQuality> = schema
        .columns
        .iter()
        .zip(&table.columns)
        .map(|(d, c)| figures::column_quality(d, c, table.rows))
        .collect();
    let duplicate_rows = figures::duplicate_rows(&table);
    let dates: Vec<Staleness> = schema
        .columns
        .iter()
        .zip(&table.columns)
        .filter(|(d, _)| matches!(d.ty, ColumnType::Date | ColumnType::Timestamp))
        .filter_map(|(d, c)| match &c.values {
            Values::Num(v) => Some(figures::staleness(d, v, opts.as_of)),
            Values::Cat { .. } => None,
        })
        .collect();
    let data_age_days = dates
        .iter()
        .filter_map(|s| s.newest_age_days)
        .reduce(f64::min);
    let quality = DataQuality {
        columns,
        duplicate_rows,
        duplicate_share: duplicate_rows as f64 / table.rows as f64,
        as_of: figures::day_text(opts.as_of).unwrap_or_default(),
        dates,
        data_age_days,
    };

    let mut report = Report {
        format: FORMAT.into(),
        version: VERSION,
        fairsynth: env!("CARGO_PKG_VERSION").into(),
        schema: (
            schema.name.clone(),
            schema.source.file.clone(),
            schema.source.sha256.clone(),
        ),
        input: InputInfo {
            path: opts.input.label().display().to_string(),
            sha256,
            rows: table.rows,
            columns: table.columns.len(),
        },
        representation,
        small_groups,
        parity,
        proxies,
        identifiers,
        singling_out,
        quality,
        drift: None,
        figures: BTreeMap::new(),
        singling_out_limit: schema.privacy.max_unique_share,
        min_group_rows: opts.quality.min_group_rows.map(|x| x as u64),
        checks: Vec::new(),
        passed: true,
        notes,
    };
    report.figures = report.compute_figures();
    report.drift = baseline.map(|b| {
        let min = report
            .parity
            .as_ref()
            .map_or(PARITY_MIN_ROWS, |p| p.min_group_rows)
            .max(1);
        let small = small_rates(&report, &b, min);
        drift(b, &report.figures, &small, min)
    });
    report.checks = checks(&report, &opts.quality);
    report.passed = report.checks.iter().all(|c| c.status != Status::Failed);
    Ok(report)
}

type Grouping = (Vec<Option<u32>>, Vec<String>);

/// The joint groups of several protected columns (`None` with fewer than two): a row's group
/// is present when it has a group in every column; names join the levels with ` & `.
fn intersect(groupings: &[(String, Grouping)]) -> Option<(String, Grouping)> {
    if groupings.len() < 2 {
        return None;
    }
    let rows = groupings[0].1 .0.len();
    let mut index: BTreeMap<Vec<u32>, u32> = BTreeMap::new();
    let keys: Vec<Option<Vec<u32>>> = (0..rows)
        .map(|r| {
            groupings
                .iter()
                .map(|(_, (g, _))| g[r])
                .collect::<Option<Vec<u32>>>()
        })
        .collect();
    for k in keys.iter().flatten() {
        index.entry(k.clone()).or_insert(0);
    }
    // Codes in the order of the level indices, so groups are listed in declared order.
    for (i, v) in index.values_mut().enumerate() {
        *v = i as u32;
    }
    let names: Vec<String> = index
        .keys()
        .map(|k| {
            k.iter()
                .zip(groupings)
                .map(|(c, (_, (_, n)))| n[*c as usize].clone())
                .collect::<Vec<_>>()
                .join(" & ")
        })
        .collect();
    let codes = keys.iter().map(|k| k.as_ref().map(|k| index[k])).collect();
    let name = groupings
        .iter()
        .map(|(n, _)| n.as_str())
        .collect::<Vec<_>>()
        .join(" & ");
    Some((name, (codes, names)))
}

fn representation(
    groupings: &[(String, Grouping)],
    intersection: Option<&(String, Grouping)>,
    targets: &[Target],
    min_rows: u64,
) -> (Vec<Representation>, Vec<SmallGroup>) {
    let mut out = Vec::new();
    let mut small = Vec::new();
    for (name, (codes, names)) in groupings.iter().chain(intersection) {
        let mut counts = vec![0u64; names.len()];
        let mut none = 0u64;
        for c in codes {
            match c {
                Some(c) => counts[*c as usize] += 1,
                None => none += 1,
            }
        }
        let n: u64 = counts.iter().sum();
        let target = targets.iter().find(|t| &t.column == name);
        let groups = names
            .iter()
            .zip(&counts)
            .map(|(g, k)| {
                let share = if n > 0 { *k as f64 / n as f64 } else { 0.0 };
                let interval = figures::wilson(*k as f64, n as f64);
                let t = target.map(|t| {
                    t.shares
                        .iter()
                        .find(|(l, _)| l == g)
                        .map_or(0.0, |(_, s)| *s)
                });
                if *k < min_rows {
                    small.push(SmallGroup {
                        attribute: name.clone(),
                        group: g.clone(),
                        rows: *k,
                    });
                }
                GroupShare {
                    group: g.clone(),
                    rows: *k,
                    share,
                    interval,
                    target: t,
                    gap: t.map(|t| share - t),
                    target_in_interval: t.map(|t| t >= interval.0 && t <= interval.1),
                }
            })
            .collect();
        out.push(Representation {
            attribute: name.clone(),
            groups,
            rows_without_group: none,
        });
    }
    (out, small)
}

/// Fewest rows a group needs for its favourable rate to be compared when the schema sets no
/// `quality.min_group_rows`: below about 30 rows a rate's 95 % interval is wider than ±0.15.
pub const PARITY_MIN_ROWS: u64 = 30;

fn parity(
    schema: &Schema,
    table: &Table,
    groupings: &[(String, Grouping)],
    intersection: Option<&(String, Grouping)>,
    min_rows: u64,
    notes: &mut Vec<String>,
) -> Option<Parity> {
    let Some(label) = crate::evaluate::fairness::label_name(schema) else {
        notes.push(
            "parity skipped: the schema names no label (fairness.label or a label-role column)"
                .into(),
        );
        return None;
    };
    let decl = schema.column(&label)?;
    let Values::Cat { codes, levels } = &table.column(&label)?.values else {
        notes.push(format!(
            "parity skipped: the label `{label}` is numeric, so it has no favourable level"
        ));
        return None;
    };
    let seen: Vec<&str> = levels.iter().map(String::as_str).collect();
    let fav = crate::schema::favourable_level(
        schema
            .fairness
            .as_ref()
            .and_then(|f| f.favourable.as_deref()),
        decl.categories().as_deref(),
        &seen,
    )?;
    let fav_code = levels.iter().position(|l| *l == fav).map(|i| i as u32);
    let is_fav = |c: u32| Some(c) == fav_code;
    let labelled = codes.iter().filter(|c| **c != NULL).count();
    let overall_rate = codes.iter().filter(|c| is_fav(**c)).count() as f64 / labelled.max(1) as f64;
    let attributes = groupings
        .iter()
        .chain(intersection)
        .map(|(name, (groups, names))| {
            let mut fav_n = vec![0u64; names.len()];
            let mut all = vec![0u64; names.len()];
            for (g, l) in groups.iter().zip(codes) {
                if let (Some(g), true) = (g, *l != NULL) {
                    all[*g as usize] += 1;
                    if is_fav(*l) {
                        fav_n[*g as usize] += 1;
                    }
                }
            }
            let groups: Vec<GroupRate> = names
                .iter()
                .enumerate()
                .filter(|(i, _)| all[*i] > 0)
                .map(|(i, g)| GroupRate {
                    group: g.clone(),
                    rows: all[i],
                    rate: fav_n[i] as f64 / all[i] as f64,
                    interval: figures::wilson(fav_n[i] as f64, all[i] as f64),
                    compared: all[i] >= min_rows.max(1),
                })
                .collect();
            // First lowest and first highest in group order, so ties name the same groups.
            let compared: Vec<&GroupRate> = groups.iter().filter(|g| g.compared).collect();
            let lo = compared
                .iter()
                .copied()
                .reduce(|a, b| if b.rate < a.rate { b } else { a });
            let hi = compared
                .iter()
                .copied()
                .reduce(|a, b| if b.rate > a.rate { b } else { a });
            let (spd, di) = match (lo, hi) {
                (Some(l), Some(h)) if compared.len() >= 2 => (
                    Some(l.rate - h.rate),
                    (h.rate > 0.0).then(|| l.rate / h.rate),
                ),
                _ => (None, None),
            };
            AttributeParity {
                attribute: name.clone(),
                lowest: lo.filter(|_| spd.is_some()).map(|g| g.group.clone()),
                highest: hi.filter(|_| spd.is_some()).map(|g| g.group.clone()),
                groups,
                spd,
                di,
            }
        })
        .collect();
    Some(Parity {
        label,
        favourable: fav,
        overall_rate,
        min_group_rows: min_rows,
        attributes,
    })
}

fn proxies(schema: &Schema, table: &Table, groupings: &[(String, Grouping)]) -> Proxies {
    let label = crate::evaluate::fairness::label_name(schema);
    let mut pairs = Vec::new();
    let mut skipped = Vec::new();
    for (decl, col) in schema.columns.iter().zip(&table.columns) {
        let why = match decl.role {
            Role::Identifier => Some("identifier: unique per person, not a proxy".to_string()),
            Role::Weight => Some("weight: not an attribute".to_string()),
            Role::Protected => continue,
            _ if Some(&decl.name) == label.as_ref() => continue,
            _ => None,
        };
        if let Some(why) = why {
            skipped.push((decl.name.clone(), why));
            continue;
        }
        let Some((codes, levels, binning)) = figures::proxy_codes(decl, col) else {
            skipped.push((
                decl.name.clone(),
                format!("more than {} distinct values", figures::PROXY_MAX_LEVELS),
            ));
            continue;
        };
        for (p, (groups, _)) in groupings {
            if let Some(a) = figures::association(groups, &codes, levels) {
                pairs.push(Proxy {
                    column: decl.name.clone(),
                    protected: p.clone(),
                    cramers_v: a.cramers_v,
                    mutual_information_bits: a.mutual_information,
                    binning: binning.clone(),
                    rows: a.rows,
                });
            }
        }
    }
    pairs.sort_by(|a, b| {
        b.cramers_v
            .total_cmp(&a.cramers_v)
            .then_with(|| a.column.cmp(&b.column))
            .then_with(|| a.protected.cmp(&b.protected))
    });
    Proxies {
        measure: format!(
            "Cramér's V (sqrt(chi2 / (n * (min(r, c) - 1))), no bias correction) between each column and each protected column, over rows with a protected group; nulls are a level; numbers without schema bins in {} equal-width bins of their range. Mutual information in bits beside it.",
            figures::PROXY_BINS
        ),
        pairs,
        skipped,
    }
}

fn identifiers(schema: &Schema, table: &Table) -> Identifiers {
    let mut declared = Vec::new();
    let mut scans: Vec<(&str, ColumnScan)> = Vec::new();
    for (decl, col) in schema.columns.iter().zip(&table.columns) {
        if decl.role == Role::Identifier {
            let distinct = figures::column_quality(decl, col, table.rows).distinct;
            declared.push((decl.name.clone(), distinct as f64 / table.rows as f64));
            continue;
        }
        if !matches!(decl.ty, ColumnType::String | ColumnType::Category) {
            continue;
        }
        let Values::Cat { codes, levels } = &col.values else {
            continue;
        };
        let mut counts = vec![0u64; levels.len()];
        for &k in codes.iter().filter(|k| **k != NULL) {
            counts[k as usize] += 1;
        }
        let mut scan = ColumnScan::new(&decl.name);
        for (level, n) in levels.iter().zip(counts) {
            scan.add_repeated(Some(level), n);
        }
        scans.push((decl.name.as_str(), scan));
    }
    let named: Vec<(&str, &ColumnScan)> = scans.iter().map(|(n, s)| (*n, s)).collect();
    let (findings, undeclared) = crate::deid::run::safety_net(schema, &named);
    Identifiers {
        declared,
        findings,
        undeclared,
    }
}

/// Counts the rows unique over the quasi-identifiers, over every declared column except
/// identifiers (they are unique by design and reported above), and over the quasi-identifiers
/// plus each other column; a second streaming pass over the input.
fn singling_out(schema: &Schema, opts: &Options) -> Result<Singling, AuditError> {
    let names = |keep: &dyn Fn(&crate::schema::Column) -> bool| -> Vec<String> {
        schema
            .columns
            .iter()
            .filter(|c| keep(c))
            .map(|c| c.name.clone())
            .collect()
    };
    let quasi = names(&|c| c.has_role(Role::QuasiIdentifier));
    let counted = names(&|c| c.role != Role::Identifier);
    let not_counted = names(&|c| c.role == Role::Identifier)
        .into_iter()
        .map(|c| {
            (
                c,
                "identifier: unique per person by design (see identifiers)".to_string(),
            )
        })
        .collect();
    let gate = (!schema.privacy.unique_over.is_empty()).then(|| schema.privacy.unique_over.clone());
    let mut counter = SinglingOutCounter::new(&quasi, &counted, gate.as_deref());
    for batch in Reader::open(&opts.input, schema)? {
        counter
            .add(&batch?)
            .map_err(|e| AuditError::Input(format!("singling-out figures: {e}")))?;
    }
    Ok(Singling {
        figures: counter.finish(),
        not_counted,
    })
}

/// The gates whose figure is a count (rows of the smallest group, undeclared identifier
/// columns), written as whole numbers.
const COUNT_GATES: [&str; 2] = ["min_group_rows", "identifiers"];

/// A gate's figure as the summary and the error write it: a whole number for a count, else
/// four decimals.
pub fn figure_text(key: &str, value: f64) -> String {
    if COUNT_GATES.contains(&key) && value.is_finite() && value.fract() == 0.0 {
        format!("{value:.0}")
    } else {
        crate::report::num(value, 4)
    }
}

/// A readable summary for the terminal.
pub fn summary(r: &Report) -> String {
    use std::fmt::Write;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "audited {} rows x {} columns of {}",
        r.input.rows, r.input.columns, r.input.path
    );
    for a in &r.representation {
        if a.attribute.contains(" & ") {
            let small = r
                .small_groups
                .iter()
                .filter(|g| g.attribute == a.attribute)
                .count();
            // Small groups are counted against `quality.min_group_rows` only when it is set.
            let below = match r.min_group_rows {
                Some(_) => format!(", {small} below min_group_rows"),
                None => String::new(),
            };
            let _ = writeln!(
                s,
                "  groups {}: {} with rows{below}",
                a.attribute,
                a.groups.len()
            );
            continue;
        }
        let parts: Vec<String> = a
            .groups
            .iter()
            .map(|g| match g.target {
                Some(t) => format!("{} {:.3} (target {:.3})", g.group, g.share, t),
                None => format!("{} {:.3}", g.group, g.share),
            })
            .collect();
        let _ = writeln!(s, "  share {}: {}", a.attribute, parts.join(", "));
    }
    if let Some(p) = &r.parity {
        for a in &p.attributes {
            if let (Some(spd), Some(lo), Some(hi)) = (a.spd, &a.lowest, &a.highest) {
                let _ = writeln!(
                    s,
                    "  {} = {} by {}: SPD {:+.4}, DI {} ({lo} vs {hi})",
                    p.label,
                    p.favourable,
                    a.attribute,
                    spd,
                    a.di.map_or("n/a".into(), |d| format!("{d:.4}"))
                );
            }
        }
    }
    for p in r.proxies.pairs.iter().take(5) {
        let _ = writeln!(
            s,
            "  proxy {} for {}: Cramér's V {:.3}, MI {:.3} bits",
            p.column, p.protected, p.cramers_v, p.mutual_information_bits
        );
    }
    for u in &r.identifiers.undeclared {
        let _ = writeln!(s, "  identifiers: {}", u.lines().next().unwrap_or(""));
    }
    let so = &r.singling_out.figures;
    let _ = writeln!(
        s,
        "  singling out: {:.1}% of rows unique over the quasi-identifiers ({}), {:.1}% over all {} counted columns",
        100.0 * so.quasi_identifiers.share,
        if so.quasi_identifiers.columns.is_empty() {
            "none declared".to_string()
        } else {
            so.quasi_identifiers.columns.join(", ")
        },
        100.0 * so.released.share,
        so.released.columns.len()
    );
    let _ = writeln!(
        s,
        "  quality: {}; {} with nulls",
        crate::report::count(r.quality.duplicate_rows as usize, "duplicate row"),
        crate::report::count(
            r.quality.columns.iter().filter(|c| c.nulls > 0).count(),
            "column"
        )
    );
    for d in &r.quality.dates {
        let _ = writeln!(
            s,
            "  dates {}: {} to {}",
            d.column,
            d.oldest.as_deref().unwrap_or("-"),
            d.newest.as_deref().unwrap_or("-")
        );
    }
    if let Some(d) = &r.drift {
        let left_out = match d.left_out_small_groups.len() {
            0 => String::new(),
            n => format!(
                "; {n} rate{} of groups under {} rows left out",
                if n == 1 { "" } else { "s" },
                d.min_group_rows
            ),
        };
        let _ = writeln!(
            s,
            "  drift since {}: largest change {:.4} ({} figures compared{left_out})",
            d.baseline, d.max_change, d.compared
        );
    }
    for n in &r.notes {
        let _ = writeln!(s, "  note: {n}");
    }
    let _ = writeln!(s, "checks:");
    for c in &r.checks {
        let is_max = c.key.starts_with("max_") || c.key == "identifiers";
        let _ = match c.status {
            Status::Passed | Status::Failed => writeln!(
                s,
                "  {} {}: {} {} {} ({})",
                if c.status == Status::Passed {
                    "pass"
                } else {
                    "FAIL"
                },
                c.key,
                figure_text(&c.key, c.value.unwrap_or(f64::NAN)),
                match (c.status == Status::Passed, is_max) {
                    (true, true) => "<=",
                    (true, false) => ">=",
                    (false, true) => ">",
                    (false, false) => "<",
                },
                c.limit,
                c.detail
            ),
            Status::Skipped => writeln!(s, "  skip {} (limit {}): {}", c.key, c.limit, c.detail),
        };
    }
    s
}
