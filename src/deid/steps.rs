//! `deidentify` in explicit steps, each usable on any chunk of the input, so that threads,
//! processes or machines (Spark partitions) can share the work and still release the rows and
//! the report of one process:
//!
//! 1. pass 1, per chunk: [`Steps::count`] into a [`Counts`] (rows in, consent exclusions, the
//!    safety-net [`ColumnScan`]s, the quasi-identifier class counts); chunks' counts merge
//!    ([`Counts::merge`]) and serialise (serde);
//! 2. at one place: [`Steps::judge`] the merged counts (the safety net, the k/l search) into a
//!    [`Judged`], whose [`Plan`] (the chosen generalisation and suppressed classes, and the key's
//!    fingerprint — never the key) serialises for the chunks;
//! 3. pass 2, per chunk: [`Steps::transform`] (minimisation, consent, keyed pseudonyms and
//!    fakes, redaction, generalisation) gives the output batch and adds to a [`Released`] (the
//!    singling-out counts and the re-scans of the redacted columns), which merges and
//!    serialises too;
//! 4. at one place: [`Steps::finish`] the merged [`Released`] into the report, failing as the
//!    single-process run fails (identifiers left after redaction, `privacy.max_unique_share`).
//!
//! [`super::run::deidentify`] runs on these steps. The pass-1 safety net scans at most
//! 200,000 rows per [`Counts`] (the first rows of each chunk): on chunks of more rows in all it
//! judges a larger sample than one process does, with the same threshold.

use arrow_array::RecordBatch;
use arrow_schema::SchemaRef;
use serde::{Deserialize, Serialize};

use super::classes::ClassCounter;
use super::detect::ColumnScan;
use super::kanon::{Anonymity, Combos, Generaliser};
use super::known::KnownValues;
use super::plan::{
    consent_mask, net_stops, residual_findings, setup, singling_warning, stop_message, transform,
    DeidError, FindingReport, NetStop, Report, Setup, Singling, UniqueGate,
};
use super::pseudo::{Key, KeyError};
use super::risk::{SinglingOut, SinglingOutCounter};
use super::slots::NameSlots;
use crate::io::read::texts;
use crate::schema::{ColumnType, Schema};
use rayon::prelude::*;

/// Values scanned per column by the safety net in one [`Counts`] (a share is what it judges,
/// so a large sample is enough and keeps the pass fast).
pub const SCAN_LIMIT: u64 = 200_000;

/// The pass-1 state of one chunk (or of merged chunks).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Counts {
    /// Rows read.
    pub rows_in: u64,
    /// Rows without consent.
    pub consent_excluded: u64,
    /// Rows the safety-net scans looked at.
    scanned_rows: u64,
    /// One scan per column that reaches the output unchanged, in input order.
    scans: Vec<ColumnScan>,
    /// The quasi-identifier classes of the consenting rows.
    combos: Combos,
    /// The values of the identifier columns, looked for inside redacted text.
    #[serde(default)]
    known: KnownValues,
    /// Where the redacted columns' notes put names.
    #[serde(default)]
    slots: NameSlots,
}

impl Counts {
    /// Adds another chunk's counts (chunks merged in input order intern the
    /// quasi-identifier values as one pass does).
    pub fn merge(&mut self, other: Counts) -> Result<(), DeidError> {
        if !self.scans.is_empty()
            && !other.scans.is_empty()
            && self.scans.len() != other.scans.len()
        {
            return Err(DeidError::Diagnostics(vec![format!(
                "pass-1 states of different inputs: {} and {} scanned columns",
                self.scans.len(),
                other.scans.len()
            )]));
        }
        self.rows_in += other.rows_in;
        self.consent_excluded += other.consent_excluded;
        self.scanned_rows += other.scanned_rows;
        if self.scans.is_empty() {
            self.scans = other.scans;
        } else {
            for (mine, theirs) in self.scans.iter_mut().zip(&other.scans) {
                mine.merge(theirs);
            }
        }
        self.combos.merge(other.combos);
        self.known.merge(other.known);
        self.slots.merge(other.slots);
        Ok(())
    }
}

/// The judgement of the merged pass-1 counts.
#[derive(Debug, Clone)]
pub struct Judged {
    /// Safety-net findings on the columns that reach the output unchanged.
    pub findings: Vec<FindingReport>,
    /// The k-anonymity outcome, when the schema has quasi-identifiers.
    pub anonymity: Option<Anonymity>,
    /// The identifier values looked for inside redacted text.
    pub known: KnownValues,
    /// Where the redacted columns' notes put names.
    pub slots: NameSlots,
}

/// The judge's view of merged pass-1 counts (see [`Steps::examine`]).
#[derive(Debug, Clone)]
pub struct Examination {
    /// Safety-net findings on the columns that reach the output unchanged.
    pub findings: Vec<FindingReport>,
    /// The findings that stop the run.
    pub stops: Vec<NetStop>,
    /// The k-anonymity outcome, when the schema has quasi-identifiers: the message when k
    /// cannot be reached.
    pub anonymity: Option<Result<Anonymity, String>>,
}

/// What every chunk needs for pass 2: the generalisation (levels, labels, suppressed classes)
/// and the fingerprint of the key the run uses (never the key: a chunk checks that its key
/// has this fingerprint). Serialisable.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Plan {
    /// The generalisation, when the schema has quasi-identifiers.
    generaliser: Option<Generaliser>,
    /// The chosen level per quasi-identifier.
    levels: Vec<usize>,
    /// The fingerprint of the key, when a column needs one.
    pub key_fingerprint: Option<String>,
    /// The identifier values replaced inside redacted text.
    #[serde(default)]
    known: KnownValues,
    /// Where the redacted columns' notes put names.
    #[serde(default)]
    slots: NameSlots,
}

/// The pass-2 state of one chunk (or of merged chunks): the singling-out counts of the rows
/// put out and the re-scans of the redacted columns' output. Mergeable and serialisable.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Released {
    counter: SinglingOutCounter,
    rescans: Vec<ColumnScan>,
}

impl Released {
    /// Adds another chunk's state.
    pub fn merge(&mut self, other: Released) -> Result<(), DeidError> {
        if self.rescans.len() != other.rescans.len() {
            return Err(DeidError::Diagnostics(vec![format!(
                "pass-2 states of different inputs: {} and {} redacted columns",
                self.rescans.len(),
                other.rescans.len()
            )]));
        }
        self.counter
            .merge(other.counter)
            .map_err(|e| DeidError::Diagnostics(vec![e.to_string()]))?;
        for (mine, theirs) in self.rescans.iter_mut().zip(&other.rescans) {
            mine.merge(theirs);
        }
        Ok(())
    }

    /// Rows put out so far.
    pub fn rows(&self) -> u64 {
        self.counter.rows()
    }
}

/// `deidentify` for inputs with one set of columns: what each step needs of the schema and
/// the input's columns (typed as [`crate::io::read::Reader`] conforms them).
pub struct Steps {
    schema: Schema,
    in_schema: SchemaRef,
    pub(super) st: Setup,
    classes: ClassCounter,
    /// Columns the safety net scans (they reach the output unchanged), in input order.
    scanned: Vec<String>,
}

impl Steps {
    /// The steps for an input with the columns `in_schema`. Fails when
    /// `privacy.unique_over` names a column that is not released.
    pub fn new(schema: &Schema, in_schema: &SchemaRef) -> Result<Steps, DeidError> {
        let st = setup(schema, in_schema);
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
        let scanned = (0..in_schema.fields().len())
            // Generalised quasi-identifiers never reach the output unchanged.
            .filter(|&i| st.reaches_output_unchanged(i))
            .map(|i| in_schema.field(i).name().clone())
            .filter(|name| {
                schema.column(name).is_some_and(|c| {
                    matches!(
                        c.ty,
                        ColumnType::String | ColumnType::Category | ColumnType::Date
                    )
                })
            })
            .collect();
        Ok(Steps {
            schema: schema.clone(),
            in_schema: in_schema.clone(),
            classes: ClassCounter::new(schema, in_schema),
            st,
            scanned,
        })
    }

    /// Whether a column needs the pseudonymisation key (`pseudonymise` or `fake`).
    pub fn needs_key(&self) -> bool {
        self.st.needs_key()
    }

    /// The columns of the output batches.
    pub fn output_schema(&self) -> SchemaRef {
        self.st.out_schema.clone()
    }

    /// The input columns pass 1 looks at (a batch given to [`Steps::count`] needs only
    /// these), in input order.
    pub fn pass1_columns(&self) -> Vec<String> {
        let mut names: Vec<String> = self.scanned.clone();
        names.extend(self.classes.needed_columns());
        names.extend(
            self.st
                .redacted()
                .into_iter()
                .map(|i| self.in_schema.field(i).name().clone()),
        );
        names.extend(
            self.st
                .known_cols
                .iter()
                .map(|(i, _)| self.in_schema.field(*i).name().clone()),
        );
        self.in_schema
            .fields()
            .iter()
            .map(|f| f.name().clone())
            .filter(|n| names.contains(n))
            .collect()
    }

    /// An empty pass-1 state.
    pub fn counts(&self) -> Counts {
        Counts {
            scans: self.scanned.iter().map(|n| ColumnScan::new(n)).collect(),
            ..Counts::default()
        }
    }

    /// Pass 1 on one batch (holding at least [`Steps::pass1_columns`], found by name).
    pub fn count(&self, counts: &mut Counts, batch: &RecordBatch) -> Result<(), DeidError> {
        let missing =
            |name: &str| DeidError::Diagnostics(vec![format!("a batch has no column `{name}`")]);
        let consent = match &self.st.consent {
            Some(i) => {
                let name = self.in_schema.field(*i).name();
                Some(batch.schema().index_of(name).map_err(|_| missing(name))?)
            }
            None => None,
        };
        let keep = consent_mask(batch, consent);
        counts.rows_in += batch.num_rows() as u64;
        counts.consent_excluded += keep.iter().filter(|k| !**k).count() as u64;
        // The safety-net scans (one per column), the identifier values and the
        // quasi-identifier classes are independent: counted in parallel.
        let scanning = counts.scanned_rows < SCAN_LIMIT;
        let scan = |scan: &mut ColumnScan, name: &String| -> Result<(), DeidError> {
            let col = batch.column_by_name(name).ok_or_else(|| missing(name))?;
            for (v, k) in texts(col).iter().zip(&keep) {
                if *k {
                    scan.add(v.as_deref());
                }
            }
            Ok(())
        };
        let known = |known: &mut KnownValues| -> Result<(), DeidError> {
            for (i, kind) in &self.st.known_cols {
                let name = self.in_schema.field(*i).name();
                let col = batch.column_by_name(name).ok_or_else(|| missing(name))?;
                // Every row's: a person without consent is not written, but may be named in
                // another person's notes.
                for v in texts(col).iter().flatten() {
                    known.add(v, *kind);
                }
            }
            Ok(())
        };
        // The redacted columns as the detectors leave them: where their notes put names.
        let learn = |slots: &mut NameSlots| -> Result<(), DeidError> {
            if !scanning {
                return Ok(());
            }
            let mut buf = String::new();
            for i in self.st.redacted() {
                let name = self.in_schema.field(i).name();
                let col = batch.column_by_name(name).ok_or_else(|| missing(name))?;
                for (v, k) in texts(col).iter().zip(&keep) {
                    if let (Some(v), true) = (v, *k) {
                        buf.clear();
                        super::detect::redact_into(v, |_| true, &mut buf);
                        slots.learn(&buf);
                    }
                }
            }
            Ok(())
        };
        let Counts {
            scans,
            known: known_values,
            combos,
            slots,
            ..
        } = counts;
        let ((scanned, learned), (found, classes)) = rayon::join(
            || {
                rayon::join(
                    || {
                        if !scanning {
                            return Ok(());
                        }
                        scans
                            .par_iter_mut()
                            .zip(self.scanned.par_iter())
                            .try_for_each(|(s, name)| scan(s, name))
                    },
                    || learn(slots),
                )
            },
            || rayon::join(|| known(known_values), || self.classes.add(combos, batch)),
        );
        scanned?;
        learned?;
        found?;
        classes?;
        if scanning {
            counts.scanned_rows += batch.num_rows() as u64;
        }
        Ok(())
    }

    /// What the judge sees in merged pass-1 counts, without failing: the safety net's findings
    /// and the ones that stop the run, and the k (and l) search's outcome (its message when k
    /// cannot be reached). [`Steps::judge`] fails on exactly these; `inspect` drafts from them.
    pub fn examine(&self, counts: &Counts) -> Result<Examination, DeidError> {
        if counts.scans.len() != self.scanned.len() {
            return Err(DeidError::Diagnostics(vec![format!(
                "a pass-1 state of another input: {} scanned columns, not {}",
                counts.scans.len(),
                self.scanned.len()
            )]));
        }
        let named: Vec<(&str, &ColumnScan)> = self
            .scanned
            .iter()
            .map(String::as_str)
            .zip(&counts.scans)
            .collect();
        let (findings, stops) = net_stops(&self.schema, &named);
        let anonymity = self
            .classes
            .search(&counts.combos)
            .map(|r| r.map_err(|e| e.to_string()));
        Ok(Examination {
            findings,
            stops,
            anonymity,
        })
    }

    /// The redacted columns whose output still holds an unacknowledged identifier (the
    /// columns [`Steps::finish`] fails on), with the kinds left.
    pub fn residual_columns(&self, released: &Released) -> Vec<(String, Vec<String>)> {
        let redacted = self.st.redacted();
        let mut out = Vec::new();
        for (&i, scan) in redacted.iter().zip(&released.rescans) {
            let name = self.in_schema.field(i).name();
            let (_, diags) = residual_findings(&self.schema, &[(name.as_str(), scan)]);
            if !diags.is_empty() {
                let acknowledged = self
                    .schema
                    .column(name)
                    .map_or(&[][..], |c| c.acknowledge.as_slice());
                let kinds = scan
                    .findings()
                    .iter()
                    .filter(|f| f.count > 0 && f.evidence >= 0.5)
                    .map(|f| f.kind.name().to_string())
                    .filter(|k| !acknowledged.contains(k))
                    .collect();
                out.push((name.clone(), kinds));
            }
        }
        out
    }

    /// Judges merged pass-1 counts: the safety net on undeclared identifiers and the k (and
    /// l) search; every diagnostic at once when the run cannot go on.
    pub fn judge(&self, counts: &Counts) -> Result<Judged, DeidError> {
        self.judge_examined(self.examine(counts)?, counts)
    }

    /// [`Steps::judge`] from an [`Steps::examine`] of the same counts (the search is not run
    /// again).
    pub fn judge_examined(&self, exam: Examination, counts: &Counts) -> Result<Judged, DeidError> {
        let mut diags: Vec<String> = exam
            .stops
            .iter()
            .map(|s| stop_message(&self.schema, s))
            .collect();
        let anonymity = match exam.anonymity {
            None => None,
            Some(Ok(a)) => Some(a),
            Some(Err(e)) => {
                diags.push(e);
                None
            }
        };
        if !diags.is_empty() {
            return Err(DeidError::Diagnostics(diags));
        }
        Ok(Judged {
            findings: exam.findings,
            anonymity,
            known: counts.known.clone(),
            slots: counts.slots.clone(),
        })
    }

    /// The plan pass 2 needs, with the fingerprint of `key` (required when
    /// [`Steps::needs_key`]).
    pub fn plan(&self, judged: &Judged, key: Option<&Key>) -> Result<Plan, DeidError> {
        if self.needs_key() && key.is_none() {
            return Err(DeidError::Key(KeyError::Missing {
                var: self.schema.privacy.key_env.clone(),
            }));
        }
        Ok(Plan {
            generaliser: judged.anonymity.as_ref().map(|a| a.generaliser.clone()),
            levels: judged
                .anonymity
                .as_ref()
                .map_or_else(Vec::new, |a| a.levels.clone()),
            key_fingerprint: key.filter(|_| self.needs_key()).map(Key::fingerprint),
            known: judged.known.clone(),
            slots: judged.slots.clone(),
        })
    }

    /// The report of pass 1 (pass-2 figures still empty), with the key's fingerprint.
    pub fn report(&self, counts: &Counts, judged: Judged, plan: &Plan) -> Report {
        let st = &self.st;
        let mut report = Report {
            rows_in: counts.rows_in,
            consent_excluded: counts.consent_excluded,
            consent_column: st.consent.map(|i| self.in_schema.field(i).name().clone()),
            suppressed_rows: judged.anonymity.as_ref().map_or(0, |a| a.suppressed_rows),
            rows_out: 0,
            undeclared_columns_dropped: st.undeclared.clone(),
            columns: st.columns.clone(),
            findings: judged.findings,
            residual: Vec::new(),
            key_fingerprint: plan.key_fingerprint.clone(),
            anonymity: judged.anonymity,
            singling_out: None,
            known_values: judged.known.len() as u64,
            known_values_capped: judged.known.capped(),
            name_slots: judged.slots.slots(),
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
        report
    }

    /// An empty pass-2 state.
    pub fn released(&self) -> Released {
        Released {
            counter: self.counter(),
            rescans: (0..self.st.redacted().len())
                .map(|_| ColumnScan::new(""))
                .collect(),
        }
    }

    pub(super) fn counter(&self) -> SinglingOutCounter {
        SinglingOutCounter::new(
            &self.st.risk_quasi,
            &self.st.risk_released,
            self.st.risk_gate.as_deref(),
        )
    }

    /// Checks that `key` is the one the plan was made with (a chunk elsewhere must use the
    /// driver's key, or its pseudonyms would not join).
    pub fn check_key(&self, plan: &Plan, key: Option<&Key>) -> Result<(), DeidError> {
        if !self.needs_key() {
            return Ok(());
        }
        let Some(key) = key else {
            return Err(DeidError::Key(KeyError::Missing {
                var: self.schema.privacy.key_env.clone(),
            }));
        };
        if plan.key_fingerprint.as_deref() != Some(key.fingerprint().as_str()) {
            return Err(DeidError::Diagnostics(vec![format!(
                "the key here has fingerprint {}, but the plan was made with {}\n    hint: give every process the same key",
                key.fingerprint(),
                plan.key_fingerprint.as_deref().unwrap_or("none")
            )]));
        }
        Ok(())
    }

    /// Pass 2 on one batch of the input (all its columns, in input order): the output batch
    /// (`None` when no row is released), counted into `released`. `key` must be the plan's
    /// ([`Steps::check_key`]).
    pub fn transform(
        &self,
        plan: &Plan,
        key: Option<&Key>,
        batch: &RecordBatch,
        released: &mut Released,
    ) -> Result<Option<RecordBatch>, DeidError> {
        self.transform_inner(plan, key, batch, released, false)
    }

    /// [`Steps::transform`]; a `dry` run leaves the pseudonymised and faked columns out of
    /// the batch (nothing counts them).
    fn transform_inner(
        &self,
        plan: &Plan,
        key: Option<&Key>,
        batch: &RecordBatch,
        released: &mut Released,
        dry: bool,
    ) -> Result<Option<RecordBatch>, DeidError> {
        let (out, scans) = transform(
            batch,
            &self.st,
            key,
            plan.generaliser(),
            &plan.known,
            &plan.slots,
            dry,
        )?;
        for (mine, s) in released.rescans.iter_mut().zip(&scans) {
            mine.merge(s);
        }
        if let Some(out) = &out {
            released
                .counter
                .add(out)
                .map_err(|e| DeidError::Diagnostics(vec![e.to_string()]))?;
        }
        Ok(out)
    }

    /// Pass 2 on every batch of `batches` without keeping the rows: the batches are read in
    /// order, transformed a window at a time in parallel (each into its own state) and the
    /// states merged in input order, so the result is the one of a single sequential pass
    /// whatever the number of threads.
    pub fn transform_all<E>(
        &self,
        plan: &Plan,
        key: Option<&Key>,
        batches: impl Iterator<Item = Result<RecordBatch, E>>,
    ) -> Result<Released, DeidError>
    where
        DeidError: From<E>,
    {
        let window = 2 * rayon::current_num_threads().max(1);
        let mut total = self.released();
        let mut pending: Vec<RecordBatch> = Vec::with_capacity(window);
        let mut batches = batches.peekable();
        while batches.peek().is_some() {
            pending.clear();
            for b in batches.by_ref().take(window) {
                pending.push(b?);
            }
            let states: Vec<Result<Released, DeidError>> = pending
                .par_iter()
                .map(|b| {
                    let mut r = self.released();
                    self.transform_inner(plan, key, b, &mut r, true)?;
                    Ok(r)
                })
                .collect();
            for r in states {
                total.merge(r?)?;
            }
        }
        Ok(total)
    }

    /// The report from pass 1's ([`Steps::report`]) and the merged pass-2 state: fails, as
    /// one process does and with its messages, when a redacted column still holds identifiers
    /// or more rows are unique than `privacy.max_unique_share` allows.
    pub fn finish(&self, report: Report, released: Released) -> Result<Report, DeidError> {
        let figures = released.counter.finish();
        self.finish_figures(report, figures, &released.rescans)
    }

    pub(super) fn finish_figures(
        &self,
        mut report: Report,
        figures: SinglingOut,
        rescans: &[ColumnScan],
    ) -> Result<Report, DeidError> {
        let redacted = self.st.redacted();
        let named: Vec<(&str, &ColumnScan)> = redacted
            .iter()
            .map(|&i| self.in_schema.field(i).name().as_str())
            .zip(rescans)
            .collect();
        let (residual, diags) = residual_findings(&self.schema, &named);
        if !diags.is_empty() {
            return Err(DeidError::Diagnostics(diags));
        }
        report.residual = residual;
        let gate = self.schema.privacy.max_unique_share.map(|max| {
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
            warning: singling_warning(&figures),
            figures,
            not_counted: self.st.risk_not_counted.clone(),
            gate,
        });
        Ok(report)
    }
}

impl Plan {
    /// The identifier values replaced inside redacted text.
    pub(super) fn known(&self) -> &KnownValues {
        &self.known
    }

    pub(super) fn slots(&self) -> &NameSlots {
        &self.slots
    }

    /// The generalisation and its levels, when there are quasi-identifiers.
    pub(super) fn generaliser(&self) -> Option<(&Generaliser, &[usize])> {
        self.generaliser
            .as_ref()
            .map(|g| (g, self.levels.as_slice()))
    }
}
