//! `evaluate`: how good a synthetic table is, measured against the real table it imitates.
//!
//! This module owns the figures and the quality gates: fidelity (column and column-pair
//! similarity, [`fidelity`]), utility (train on synthetic, test on real, [`learn`]), privacy
//! (exact copies, distance to closest record, k-anonymity, [`privacy`]) and fairness (label
//! rates per protected group, [`fairness`]), the checks of those figures against the schema's
//! `quality:` gates, and the report and its summary. Tables are loaded whole and columnar
//! ([`crate::io::table`]); the work runs on the current rayon pool and the figures do not
//! depend on its size. The tables behind fidelity are also mergeable per-chunk states
//! ([`state`]: `ColumnCounts`, `FidelityPlan`, `PairCounts`) for tables split across
//! processes.

mod boost;
mod data;
pub mod detection;
pub mod fairness;
pub mod fidelity;
pub mod learn;
pub mod linked;
pub mod person_parity;
pub mod privacy;
pub mod profiles;
pub mod state;
pub mod targets;

use rand::seq::SliceRandom;
use serde::Serialize;

use crate::io::read::{Input, ReadError};
use crate::schema::{Quality, Schema};

pub use fairness::FairnessReport;
pub use fidelity::Fidelity;
pub use learn::Utility;
pub use privacy::PrivacyReport;
pub use targets::{Targets, TargetsReport};

/// Errors from evaluating.
#[derive(Debug, thiserror::Error)]
pub enum EvaluateError {
    /// Reading an input failed (missing file, missing column, bad value).
    #[error(transparent)]
    Read(#[from] ReadError),
    /// The inputs cannot be evaluated together.
    #[error("{0}")]
    Input(String),
    /// A `--threshold` is not `KEY=VALUE` with a known key and a value in range.
    #[error("{0}")]
    Threshold(String),
}

impl EvaluateError {
    /// Whether the user must fix an input (exit code 2) rather than a runtime failure (1).
    pub fn is_usage(&self) -> bool {
        matches!(
            self,
            EvaluateError::Read(_) | EvaluateError::Input(_) | EvaluateError::Threshold(_)
        )
    }
}

/// What to evaluate.
#[derive(Debug, Clone)]
pub struct Options {
    /// The real table.
    pub real: Input,
    /// The synthetic table.
    pub synthetic: Input,
    /// Real rows the synthesiser did not see.
    pub holdout: Option<Input>,
    /// The gates (the schema's `quality`, with `--threshold` overrides).
    pub quality: Quality,
    /// Seed for the train/test split and the row samples.
    pub seed: u64,
    /// Targets the synthetic table was drawn to: fidelity is then also measured against the
    /// real table reweighted to them, and the fidelity gates judge those figures.
    pub targets: Targets,
}

/// A column left out, and why.
#[derive(Debug, Clone, Serialize)]
pub struct Skipped {
    /// The schema column.
    pub column: String,
    /// Why.
    pub reason: String,
}

/// One input table.
#[derive(Debug, Clone, Serialize)]
pub struct TableInfo {
    /// The file.
    pub path: String,
    /// Its rows.
    pub rows: usize,
}

/// Outcome of one gate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// The figure meets the gate.
    Passed,
    /// The figure misses the gate.
    Failed,
    /// The figure cannot be computed; neither passed nor failed.
    Skipped,
}

/// One gate checked against its figure.
#[derive(Debug, Clone, Serialize)]
pub struct Check {
    /// The `quality` key.
    pub key: String,
    /// The gate's value.
    pub limit: f64,
    /// The figure (`None` when skipped).
    pub value: Option<f64>,
    /// Outcome.
    pub status: Status,
    /// What the figure is (which column, pair or group), or why it was skipped.
    pub detail: String,
}

impl Check {
    /// Judges a gate: `figure` is the value with what it is, or why it cannot be computed
    /// (skipped); a `max` gate passes when the value is at most `limit`, a `min` gate when it is
    /// at least `limit`.
    pub fn judge(
        key: &str,
        limit: f64,
        figure: Result<(f64, String), String>,
        is_max: bool,
    ) -> Check {
        match figure {
            Ok((value, detail)) => {
                let ok = if is_max {
                    value <= limit
                } else {
                    value >= limit
                };
                Check {
                    key: key.to_string(),
                    limit,
                    value: Some(value),
                    status: if ok { Status::Passed } else { Status::Failed },
                    detail,
                }
            }
            Err(why) => Check {
                key: key.to_string(),
                limit,
                value: None,
                status: Status::Skipped,
                detail: why,
            },
        }
    }
}

/// Everything `evaluate` measured.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// The real table.
    pub real: TableInfo,
    /// The synthetic table.
    pub synthetic: TableInfo,
    /// The holdout table, if given.
    pub holdout: Option<TableInfo>,
    /// The seed used for splits and samples.
    pub seed: u64,
    /// Columns evaluated, in schema order.
    pub columns: Vec<String>,
    /// Schema columns left out, with the reason.
    pub skipped: Vec<Skipped>,
    /// Fidelity against the real table as it is.
    pub fidelity: Fidelity,
    /// Fidelity against the real table reweighted to the targets the synthetic table was drawn
    /// to (`None` without targets); when present, the fidelity gates judge these figures.
    pub targets: Option<TargetsReport>,
    /// Utility (`None` when there is no usable label; see `notes`).
    pub utility: Option<Utility>,
    /// Privacy.
    pub privacy: PrivacyReport,
    /// Fairness (`None` without a label or protected columns; see `notes`).
    pub fairness: Option<FairnessReport>,
    /// Every gate set, in key order.
    pub checks: Vec<Check>,
    /// Whether no check failed (skipped checks do not fail).
    pub passed: bool,
    /// Figures that could not be computed, and why.
    pub notes: Vec<String>,
    /// Real and synthetic shares per level or bin of every column, for charts.
    pub marginals: Vec<fidelity::Marginal>,
}

impl Report {
    /// Judges the figures against `quality` again, after a caller replaced one (the exact
    /// fidelity of a table evaluated in pieces, e.g. on Spark): the checks and `passed`.
    pub fn judge(&mut self, quality: &Quality) {
        self.checks = checks(self, quality);
        self.passed = self.checks.iter().all(|c| c.status != Status::Failed);
    }
}

/// The columns `evaluate` compares, given the real and the synthetic table's column names:
/// the schema's columns in both, identifiers and weights left out; and those skipped, with
/// the reason.
pub fn evaluated_columns(
    schema: &Schema,
    real: &[String],
    synthetic: &[String],
) -> (Vec<String>, Vec<Skipped>) {
    data::select(schema, real, synthetic)
}

/// `count` distinct row indices below `n` (all of them, shuffled, when `count >= n`), drawn
/// from a stream keyed by the seed and `purpose`, so each use gets its own sample.
pub(crate) fn sample_rows(n: usize, count: usize, seed: u64, purpose: &str) -> Vec<usize> {
    let mut rng = crate::synth::stream(seed, purpose, 0, 0);
    let mut rows: Vec<usize> = (0..n).collect();
    let (chosen, _) = rows.partial_shuffle(&mut rng, count.min(n));
    chosen.to_vec()
}

/// Parses one `--threshold KEY=VALUE`.
pub fn parse_threshold(spec: &str) -> Result<(&'static str, f64), EvaluateError> {
    let bad = EvaluateError::Threshold;
    let (key, value) = spec.split_once('=').ok_or_else(|| {
        bad(format!(
            "--threshold `{spec}`: expected KEY=VALUE, e.g. min_overall=0.8"
        ))
    })?;
    let key = key.trim();
    let Some(&known) = Quality::KEYS.iter().find(|k| **k == key) else {
        return Err(bad(format!(
            "--threshold: unknown key `{key}`\n    hint: {}",
            Quality::key_hint(key)
        )));
    };
    let value: f64 = value.trim().parse().map_err(|_| {
        bad(format!(
            "--threshold {known}: `{}` is not a number",
            value.trim()
        ))
    })?;
    if let Some(problem) = Quality::check_value(known, value) {
        return Err(bad(format!("--threshold {known}: {problem}")));
    }
    Ok((known, value))
}

/// The schema's gates with `--threshold` overrides applied.
pub fn apply_thresholds(base: Quality, specs: &[String]) -> Result<Quality, EvaluateError> {
    let mut q = base;
    for s in specs {
        let (key, value) = parse_threshold(s)?;
        if let Some(slot) = q.slot(key) {
            *slot = Some(value);
        }
    }
    if let (Some(lo), Some(hi)) = (q.min_di, q.max_di) {
        if lo > hi {
            return Err(EvaluateError::Threshold(format!(
                "min_di ({lo}) is above max_di ({hi}): no table can pass"
            )));
        }
    }
    Ok(q)
}

/// Measures the synthetic table against the real one (and the holdout, if given).
pub fn evaluate(schema: &Schema, opts: &Options) -> Result<Report, EvaluateError> {
    let (real_cols, real_note) = data::header(&opts.real, schema)?;
    let (syn_cols, syn_note) = data::header(&opts.synthetic, schema)?;
    let (names, skipped) = data::select(schema, &real_cols, &syn_cols);
    if names.is_empty() {
        return Err(EvaluateError::Input(format!(
            "no schema column is in both `{}` and `{}` (identifier and weight columns are never evaluated)",
            opts.real.label().display(),
            opts.synthetic.label().display()
        )));
    }
    let ((real, syn), hold) = rayon::join(
        || {
            rayon::join(
                || data::load(&opts.real, schema, &names),
                || data::load(&opts.synthetic, schema, &names),
            )
        },
        || {
            opts.holdout
                .as_ref()
                .map(|h| data::load(h, schema, &names))
                .transpose()
        },
    );
    let (real, syn, hold) = (real?, syn?, hold?);
    for (what, t, path) in [
        ("real", &real, &opts.real),
        ("synthetic", &syn, &opts.synthetic),
    ] {
        if t.rows == 0 {
            return Err(EvaluateError::Input(format!(
                "the {what} table `{}` has no rows",
                path.label().display()
            )));
        }
    }
    let mut t = data::align(schema, &names, real, syn, hold);
    let mut notes: Vec<String> = [("real", real_note), ("synthetic", syn_note)]
        .into_iter()
        .filter_map(|(what, n)| n.map(|n| format!("{what} table: {n}")))
        .collect();
    let targets = match &opts.targets {
        Targets::Off => None,
        Targets::Given { targets, source } => Some(targets::against(
            &t,
            targets,
            format!("--targets {source}"),
            schema,
        )?),
        // Recorded targets that do not fit this real table are noted, not an error: the
        // plain figures still stand, and --targets can name the right ones.
        Targets::Recorded => match targets::recorded(&opts.synthetic) {
            Ok(Some(list)) => targets::against(
                &t,
                &list,
                "recorded by `sample` in the synthetic table".into(),
                schema,
            )
            .map_err(|e| notes.push(format!("fidelity against the targets skipped: {e}")))
            .ok(),
            Ok(None) => None,
            Err(e) => {
                notes.push(format!("fidelity against the targets skipped: {e}"));
                None
            }
        },
    };
    if let Some(tr) = &targets {
        if !tr.converged {
            notes.push(format!(
                "the real table could not be raked to the targets exactly ({} sweeps): the targets contradict each other on the real table's cells",
                tr.iterations
            ));
        }
    }

    let label = fairness::label_name(schema);
    // A numeric label with bins is judged by its bands (the schema's classes) for utility and
    // fairness, after fidelity and privacy have seen its numbers.
    let banded = label.as_deref().is_some_and(|l| {
        t.column(l)
            .is_some_and(|c| c.decl.bins.is_some() && matches!(c.data, data::Data::Num { .. }))
    });
    let utility_of = |t: &data::Aligned| match &label {
        Some(l) => learn::utility(t, l, opts.seed),
        None => Err("the schema names no label (fairness.label or a label-role column)".into()),
    };
    let privacy_of = |t: &data::Aligned| {
        let k_required = schema
            .privacy
            .k_anonymity
            .or(opts.quality.min_k.map(|k| k as u64));
        privacy::privacy(t, opts.seed, k_required)
    };
    let ((fid, util), priv_report) = if banded {
        let (fid, priv_report) = rayon::join(|| fidelity::fidelity(&t), || privacy_of(&t));
        if let Some(l) = &label {
            data::band_label(&mut t, l);
        }
        ((fid, utility_of(&t)), priv_report)
    } else {
        rayon::join(
            || rayon::join(|| fidelity::fidelity(&t), || utility_of(&t)),
            || privacy_of(&t),
        )
    };
    let utility = util
        .map_err(|why| notes.push(format!("utility skipped: {why}")))
        .ok();
    let fair = fairness::fairness(schema, &t, &mut notes)
        .map_err(|why| notes.push(format!("fairness skipped: {why}")))
        .ok();
    if priv_report.k_anonymity.is_none() {
        notes.push("k-anonymity skipped: no quasi-identifier column is evaluated".into());
    }

    let mut report = Report {
        real: TableInfo {
            path: opts.real.label().display().to_string(),
            rows: t.real_rows,
        },
        synthetic: TableInfo {
            path: opts.synthetic.label().display().to_string(),
            rows: t.syn_rows,
        },
        holdout: opts
            .holdout
            .as_ref()
            .zip(t.hold_rows)
            .map(|(p, rows)| TableInfo {
                path: p.label().display().to_string(),
                rows,
            }),
        seed: opts.seed,
        columns: names,
        skipped,
        fidelity: fid,
        targets,
        utility,
        privacy: priv_report,
        fairness: fair,
        checks: vec![],
        passed: true,
        notes,
        marginals: fidelity::marginals(&t),
    };
    report.checks = checks(&report, &opts.quality);
    report.passed = report.checks.iter().all(|c| c.status != Status::Failed);
    Ok(report)
}

/// A figure for a gate: its value and what it is, or why there is none.
type Figure = Result<(f64, String), String>;

/// Checks every gate set in `q` against the report's figures.
fn checks(r: &Report, q: &Quality) -> Vec<Check> {
    let mut q = *q;
    // Drawn to targets, the synthetic table is judged against what was asked.
    let (f, against) = match &r.targets {
        Some(t) => (&t.fidelity, " against the reweighted real table"),
        None => (&r.fidelity, ""),
    };
    let worst_column: Figure = f
        .columns
        .iter()
        .min_by(|a, b| a.score.total_cmp(&b.score))
        .map(|c| (c.score, format!("worst column `{}`{against}", c.column)))
        .ok_or_else(|| "no columns".to_string());
    let worst_pair: Figure = f
        .pairs
        .iter()
        .min_by(|a, b| a.score.total_cmp(&b.score))
        .map(|p| {
            (
                p.score,
                format!(
                    "worst pair `{}` x `{}`{against}",
                    p.columns[0], p.columns[1]
                ),
            )
        })
        .ok_or_else(|| "fewer than two columns, so no pairs".to_string());
    let parity: Vec<(&str, &fairness::Parity)> = r
        .fairness
        .iter()
        .flat_map(|fr| {
            fr.attributes
                .iter()
                .map(|a| (a.attribute.as_str(), &a.synthetic))
        })
        .collect();
    let no_fairness = "no fairness figures (see notes)".to_string();
    let di_of = |pick_max: bool| -> Figure {
        let best = parity
            .iter()
            .filter_map(|(a, p)| p.di.map(|d| (d, *a, *p)))
            .reduce(|x, y| {
                if (y.0 > x.0) == pick_max && y.0 != x.0 {
                    y
                } else {
                    x
                }
            });
        match best {
            Some((d, a, p)) => Ok((
                d,
                format!(
                    "synthetic, `{a}`: {} vs {} (reference)",
                    p.lowest, p.highest
                ),
            )),
            None if parity.is_empty() => Err(no_fairness.clone()),
            None => Err("no group has the favourable label".to_string()),
        }
    };
    let mut out = Vec::new();
    for key in Quality::KEYS {
        let Some(limit) = q.slot(key).and_then(|s| *s) else {
            continue;
        };
        let (figure, is_max): (Figure, bool) = match key {
            "min_overall" => (Ok((f.overall, format!("overall fidelity{against}"))), false),
            "min_column" => (worst_column.clone(), false),
            "min_pair" => (worst_pair.clone(), false),
            "min_tstr_ratio" => (
                r.utility
                    .as_ref()
                    .map(|u| (u.ratio, format!("TSTR/TRTR accuracy on `{}`", u.label)))
                    .ok_or_else(|| "no utility figures (see notes)".to_string()),
                false,
            ),
            "max_exact_copies" => (
                Ok((
                    r.privacy.exact_copies,
                    format!(
                        "{} of {} synthetic rows copy a real row",
                        r.privacy.exact_copy_rows, r.synthetic.rows
                    ),
                )),
                true,
            ),
            "max_unique_copies" => (
                Ok((
                    r.privacy.unique_copies,
                    format!(
                        "{} of {} synthetic rows copy a real row no other real row equals",
                        r.privacy.unique_copy_rows, r.synthetic.rows
                    ),
                )),
                true,
            ),
            "max_membership_auc" => (
                match (&r.holdout, &r.privacy.membership) {
                    (None, _) => Err("needs --holdout".to_string()),
                    (Some(_), None) => Err("no real, holdout or synthetic rows".to_string()),
                    (Some(_), Some(m)) => Ok((
                        m.auc,
                        format!(
                            "membership AUC: real rows closer to the synthetic rows than holdout rows ({} vs {})",
                            m.members, m.non_members
                        ),
                    )),
                },
                true,
            ),
            "max_singleton_advantage" => (
                match (&r.holdout, &r.privacy.membership) {
                    (None, _) => Err("needs --holdout".to_string()),
                    (Some(_), None) => Err("no real, holdout or synthetic rows".to_string()),
                    (Some(_), Some(m)) => {
                        let s = &m.singletons;
                        Ok((
                            s.member_matches - s.non_member_matches,
                            format!(
                                "singletons copied: {} of {} real against {} of {} holdout (standard error {:.4})",
                                pct(s.member_matches),
                                s.members,
                                pct(s.non_member_matches),
                                s.non_members,
                                s.matches_se
                            ),
                        ))
                    }
                },
                true,
            ),
            "min_dcr_ratio" => (
                match (&r.holdout, r.privacy.dcr_ratio) {
                    (None, _) => Err("needs --holdout".to_string()),
                    (Some(_), None) => {
                        Err("the holdout's median DCR is 0, so the ratio is undefined".to_string())
                    }
                    (Some(_), Some(x)) => Ok((x, "median DCR synthetic / holdout".to_string())),
                },
                false,
            ),
            "min_k" => (
                r.privacy
                    .k_anonymity
                    .as_ref()
                    .map(|k| {
                        (
                            k.k as f64,
                            format!("smallest class over {}", k.columns.join(", ")),
                        )
                    })
                    .ok_or_else(|| "no quasi-identifier column".to_string()),
                false,
            ),
            "min_di" => (di_of(false), false),
            "max_di" => (di_of(true), true),
            "max_spd" => (
                parity
                    .iter()
                    .max_by(|x, y| x.1.spd.abs().total_cmp(&y.1.spd.abs()))
                    .map(|(a, p)| {
                        (
                            p.spd.abs(),
                            format!("synthetic, `{a}`: {} vs {}", p.lowest, p.highest),
                        )
                    })
                    .ok_or_else(|| no_fairness.clone()),
                true,
            ),
            _ => continue,
        };
        out.push(Check::judge(key, limit, figure, is_max));
    }
    out
}

fn pct(x: f64) -> String {
    format!("{:.1}%", x * 100.0)
}

/// A readable page of the report's main figures, for the terminal.
pub fn summary(r: &Report) -> String {
    use std::fmt::Write;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "evaluated {} synthetic rows against {} real rows{}: {} columns",
        r.synthetic.rows,
        r.real.rows,
        r.holdout
            .as_ref()
            .map_or(String::new(), |h| format!(" and {} holdout rows", h.rows)),
        r.columns.len()
    );
    for k in &r.skipped {
        let _ = writeln!(s, "  skipped `{}`: {}", k.column, k.reason);
    }
    let f = &r.fidelity;
    let _ = writeln!(
        s,
        "fidelity: overall {:.3} (columns {:.3}, pairs {})",
        f.overall,
        f.column_mean,
        f.pair_mean.map_or("-".to_string(), |p| format!("{p:.3}"))
    );
    let mut cols: Vec<&fidelity::ColumnScore> = f.columns.iter().collect();
    cols.sort_by(|a, b| a.score.total_cmp(&b.score));
    let worst: Vec<String> = cols
        .iter()
        .take(3)
        .map(|c| format!("{} {:.3} ({})", c.column, c.score, c.metric))
        .collect();
    let _ = writeln!(s, "  worst columns: {}", worst.join(", "));
    let mut pairs: Vec<&fidelity::PairScore> = f.pairs.iter().collect();
    pairs.sort_by(|a, b| a.score.total_cmp(&b.score));
    if !pairs.is_empty() {
        let worst: Vec<String> = pairs
            .iter()
            .take(3)
            .map(|p| {
                format!(
                    "{} x {} {:.3} ({})",
                    p.columns[0], p.columns[1], p.score, p.metric
                )
            })
            .collect();
        let _ = writeln!(s, "  worst pairs: {}", worst.join(", "));
    }
    for c in f.columns.iter().filter(|c| !c.new_levels.is_empty()) {
        let _ = writeln!(
            s,
            "  `{}` has levels the real table lacks: {}",
            c.column,
            c.new_levels.join(", ")
        );
    }
    if let Some(t) = &r.targets {
        s.push_str(&targets::summary(t));
    }
    match &r.utility {
        Some(u) => {
            let _ = writeln!(
                s,
                "utility ({}, test: {} rows of {}): TSTR {:.3}, TRTR {:.3}, ratio {:.3}; majority baseline {:.3}",
                u.label, u.test_rows, u.test_set, u.tstr_accuracy, u.trtr_accuracy, u.ratio, u.majority_baseline
            );
        }
        None => {
            let _ = writeln!(s, "utility: skipped");
        }
    }
    let p = &r.privacy;
    let _ = writeln!(
        s,
        "privacy: exact copies {} ({} rows); DCR of {} synthetic rows: min {:.4}, p5 {:.4}, median {:.4}",
        pct(p.exact_copies),
        p.exact_copy_rows,
        p.dcr_synthetic.rows,
        p.dcr_synthetic.min,
        p.dcr_synthetic.p5,
        p.dcr_synthetic.median
    );
    let _ = writeln!(
        s,
        "  copies of a real row no other real row equals (a unique profile): {} ({} rows)",
        pct(p.unique_copies),
        p.unique_copy_rows
    );
    if let (Some(h), Some(u)) = (p.holdout_exact_copies, p.holdout_unique_copies) {
        let _ = writeln!(
            s,
            "  holdout rows equal to a real row: {}, to a unique one: {} (the shares a fresh sample shows)",
            pct(h),
            pct(u)
        );
    }
    if !p.dcr_left_out.is_empty() {
        let _ = writeln!(
            s,
            "  left out of DCR (one value in the real table): {}",
            p.dcr_left_out.join(", ")
        );
    }
    if let Some(h) = &p.dcr_holdout {
        let _ = writeln!(
            s,
            "  holdout DCR of {} rows: min {:.4}, p5 {:.4}, median {:.4}; ratio {}",
            h.rows,
            h.min,
            h.p5,
            h.median,
            p.dcr_ratio.map_or("-".to_string(), |x| format!("{x:.3}"))
        );
    }
    if let Some(m) = &p.membership {
        let _ = writeln!(
            s,
            "  membership test ({} real vs {} holdout rows, distance to the closest of {} synthetic rows): AUC {:.3} (0.5: no sign of who was in the real table); a synthetic copy of {} of all real rows, {} of all holdout rows ({:+.2} ± {:.2} points); of the rows no other real or holdout row equals, {} of {} real, {} of {} holdout ({:+.2} ± {:.2} points)",
            m.members,
            m.non_members,
            m.synthetic_rows,
            m.auc,
            pct(m.member_matches),
            pct(m.non_member_matches),
            100.0 * (m.member_matches - m.non_member_matches),
            100.0 * m.matches_se,
            pct(m.singletons.member_matches),
            m.singletons.members,
            pct(m.singletons.non_member_matches),
            m.singletons.non_members,
            100.0 * (m.singletons.member_matches - m.singletons.non_member_matches),
            100.0 * m.singletons.matches_se
        );
    }
    if let Some(k) = &p.k_anonymity {
        let _ = writeln!(
            s,
            "  k-anonymity over {}: k = {} ({} classes){}",
            k.columns.join(", "),
            k.k,
            k.classes,
            match (k.k_required, k.share_below_k) {
                (Some(need), Some(share)) =>
                    format!("; {} of rows in classes smaller than {need}", pct(share)),
                _ => String::new(),
            }
        );
    }
    if let Some(fr) = &r.fairness {
        let _ = writeln!(s, "fairness ({} = {}):", fr.label, fr.favourable);
        for a in &fr.attributes {
            for (which, p) in [("real", &a.real), ("synthetic", &a.synthetic)] {
                let rates: Vec<String> = p
                    .groups
                    .iter()
                    .map(|g| format!("{} {:.3}", g.group, g.rate))
                    .collect();
                let _ = writeln!(
                    s,
                    "  {:<9} {}: {}; SPD {:+.3}, DI {} ({} vs {})",
                    which,
                    a.attribute,
                    rates.join(", "),
                    p.spd,
                    p.di.map_or("-".to_string(), |d| format!("{d:.3}")),
                    p.lowest,
                    p.highest
                );
            }
        }
    }
    for n in &r.notes {
        let _ = writeln!(s, "note: {n}");
    }
    if r.checks.is_empty() {
        let _ = writeln!(
            s,
            "checks: none set (quality: in the schema, or --threshold)"
        );
    } else {
        let _ = writeln!(s, "checks:");
        for c in &r.checks {
            let (word, rel) = match c.status {
                Status::Passed => ("pass", if c.key.starts_with("max") { "<=" } else { ">=" }),
                Status::Failed => ("FAIL", if c.key.starts_with("max") { ">" } else { "<" }),
                Status::Skipped => ("skip", ""),
            };
            let _ = match c.value {
                Some(v) => writeln!(
                    s,
                    "  {word} {}: {v:.4} {rel} {} ({})",
                    c.key, c.limit, c.detail
                ),
                None => writeln!(s, "  {word} {} (limit {}): {}", c.key, c.limit, c.detail),
            };
        }
        let failed = r
            .checks
            .iter()
            .filter(|c| c.status == Status::Failed)
            .count();
        let skipped = r
            .checks
            .iter()
            .filter(|c| c.status == Status::Skipped)
            .count();
        let _ = writeln!(
            s,
            "{}: {} of {} checks failed{}",
            if failed == 0 { "passed" } else { "FAILED" },
            failed,
            r.checks.len(),
            if skipped > 0 {
                format!(", {skipped} skipped (neither passed nor failed)")
            } else {
                String::new()
            }
        );
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thresholds_parse_and_override() {
        assert_eq!(
            parse_threshold("max_exact_copies=0.05").expect("valid"),
            ("max_exact_copies", 0.05)
        );
        assert_eq!(
            parse_threshold(" min_k = 5 ").expect("valid"),
            ("min_k", 5.0)
        );
        let e = parse_threshold("max_exact_copy=0.05").expect_err("unknown key");
        assert!(
            e.to_string().contains("did you mean `max_exact_copies`?"),
            "{e}"
        );
        assert!(e.is_usage());
        for bad in [
            "min_overall",
            "min_overall=high",
            "min_overall=1.5",
            "min_k=2.5",
            "min_di=-1",
        ] {
            assert!(parse_threshold(bad).is_err(), "{bad} was accepted");
        }
        let base = Quality {
            min_overall: Some(0.8),
            max_exact_copies: Some(0.1),
            ..Quality::default()
        };
        let q = apply_thresholds(base, &["max_exact_copies=0.01".into(), "min_di=0.7".into()])
            .expect("valid");
        assert_eq!(
            (q.min_overall, q.max_exact_copies, q.min_di),
            (Some(0.8), Some(0.01), Some(0.7))
        );
        assert!(apply_thresholds(base, &["min_di=0.9".into(), "max_di=0.8".into()]).is_err());
    }

    #[test]
    fn samples_are_distinct_seeded_and_capped() {
        let a = sample_rows(100, 10, 7, "x");
        assert_eq!(a.len(), 10);
        assert_eq!(a, sample_rows(100, 10, 7, "x"));
        assert_ne!(a, sample_rows(100, 10, 8, "x"));
        let mut all = sample_rows(5, 10, 7, "x");
        all.sort_unstable();
        assert_eq!(all, vec![0, 1, 2, 3, 4]);
    }
}
