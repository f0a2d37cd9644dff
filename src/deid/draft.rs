//! The draft schema of `inspect`, judged by `deidentify`'s own checks: one judge.
//!
//! [`draft`] renders the proposals of an [`Inspection`] as a schema, then runs on the same data
//! exactly the steps `deidentify` runs ([`Steps`]: the detection safety net, the k-anonymity
//! search with the drafted levels and `max_suppression`, a dry run of the writing pass with
//! the re-scan of redacted text and the `max_unique_share` gate). Where a check would stop
//! the run, the draft takes the treatment that satisfies it and says why beside the column:
//!
//! - a column the net stops on: prose gets `action: redact`; values of a shared vocabulary (or
//!   named for a thing, or in a table about no one) get an explicit `acknowledge:` with the
//!   evidence as a comment; anything else becomes an identifier, removed whole;
//! - redacted text that still holds identifiers is removed whole;
//! - every quasi-identifier's levels end with `suppress`, so k is always reachable; one the
//!   search must suppress whole is dropped instead, with the reason;
//! - the cost is stated: rows suppressed, the level each quasi-identifier needs, and how many
//!   rows stay unique over everything released.
//!
//! The loop ends when the rendered text passes every check unchanged; that text is the draft.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::Path;
use std::sync::Arc;

use super::detect::Kind;
use super::inspect::{judgement_lines, Basis, ColumnProfile, Inspection, Judgement};
use super::pseudo::Key;
use super::run::DeidError;
use super::steps::Steps;
use crate::io::read::{Input, Reader};
use crate::schema::Schema;

/// k proposed by a draft with quasi-identifiers.
pub const DRAFT_K: u64 = 5;
/// `max_unique_share` proposed by a draft with quasi-identifiers.
pub const DRAFT_MAX_UNIQUE: f64 = 0.05;
/// Rounds of judging and treating before the drafting gives up.
const MAX_ROUNDS: usize = 12;

/// The generalisation levels drafted for a quasi-identifier, as schema items, ending with
/// `suppress` so that k is always reachable; `None` for a protected category (counted as it
/// is: masking sex or race would defeat the fairness checks).
fn generalise_levels(c: &ColumnProfile, ty: &str) -> Option<Vec<String>> {
    let levels: Vec<String> = match ty {
        "timestamp" => vec!["day".into(), "month".into(), "year".into()],
        "date" => vec!["month".into(), "year".into()],
        "int" | "float" => numeric_levels(c.min, c.max, ty == "int"),
        "string" | "category" if !c.proposed_role.contains("protected") => {
            vec!["{prefix: 3}".into(), "{prefix: 2}".into()]
        }
        _ => return None,
    };
    Some(levels.into_iter().chain(["suppress".to_string()]).collect())
}

/// The bands drafted for a number between `lo` and `hi` (`int`: whole numbers).
fn numeric_levels(lo: Option<f64>, hi: Option<f64>, int: bool) -> Vec<String> {
    match (lo, hi) {
        // An age or a range like it: 5, 10, 25 and 50 wide.
        (Some(lo), Some(hi)) if (20.0..=100.0).contains(&(hi - lo)) => vec![
            "{width: 5}".into(),
            "{width: 10}".into(),
            "{width: 25}".into(),
            "{width: 50}".into(),
        ],
        // Bands of about a twentieth of the range (whole numbers at least 1 wide), then
        // five and 25 times wider: an amount in thousands or a score between 0 and 1
        // alike keeps about 20, 4 and 1 bands.
        (Some(lo), Some(hi)) if hi > lo => {
            let w = nice_width((hi - lo) / 20.0);
            let w = if int { w.max(1.0) } else { w };
            [1.0, 5.0, 25.0]
                .into_iter()
                .map(|m| format!("{{width: {}}}", nice_width(w * m)))
                .collect()
        }
        // A constant or an unknown range.
        _ => vec!["{width: 5}".into(), "{width: 50}".into()],
    }
}

/// The schema type drafted for a column.
fn draft_type(c: &ColumnProfile) -> &str {
    match c.inferred_type.as_str() {
        t @ ("string" | "int" | "float" | "bool" | "date" | "timestamp" | "category") => t,
        t if t.starts_with("int") => "int",
        _ => "string",
    }
}

/// The width among 1, 2 and 5 times a power of ten nearest above `x` (a band width people read
/// easily).
pub(crate) fn nice_width(x: f64) -> f64 {
    if !(x.is_finite() && x > 0.0) {
        return 1.0;
    }
    // m times 10^e, with negative powers as a division by an exact power of ten so that the
    // width prints as people write it (0.05, not 0.049999999999999996).
    let e = x.log10().floor() as i32;
    let at = |m: f64, e: i32| {
        if e >= 0 {
            m * 10f64.powi(e)
        } else {
            m / 10f64.powi(-e)
        }
    };
    [1.0, 2.0, 5.0]
        .into_iter()
        .map(|m| at(m, e))
        .find(|w| *w >= x)
        .unwrap_or_else(|| at(1.0, e + 1))
}

fn quote(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into())
}

/// The draft's text for the proposals of `ins` as they stand.
pub fn render(ins: &Inspection, levels: &HashMap<String, Vec<String>>) -> String {
    let mut y = String::new();
    let _ = writeln!(
        y,
        "# Drafted by `fairsynth inspect` from {}: review every proposal before use.",
        ins.input
    );
    let _ = writeln!(y, "# The tool proposes; a person decides. Roles and actions follow the findings noted beside them.");
    if let Some(j) = &ins.judgement {
        for line in judgement_lines(j) {
            let _ = writeln!(y, "# {line}");
        }
    }
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
        // Read the file the next time as it was read now.
        y.push_str(&d.input_yaml());
    }
    let _ = writeln!(y, "columns:");
    let mut has_consent = false;
    let mut has_qi = false;
    for c in &ins.columns {
        let (consent, qi) = render_column(&mut y, c, levels, "  ");
        has_consent |= consent;
        has_qi |= qi;
    }
    let _ = writeln!(y, "privacy:");
    let _ = writeln!(y, "  identifiers: drop");
    let _ = writeln!(y, "  key_env: FAIRSYNTH_KEY");
    if has_qi {
        let _ = writeln!(y, "  k_anonymity: {DRAFT_K}");
        let _ = writeln!(
            y,
            "  # at most this share of the written rows may be unique over the quasi-identifiers;"
        );
        let _ = writeln!(
            y,
            "  # list more released columns under `unique_over` to gate on them as well"
        );
        let _ = writeln!(y, "  max_unique_share: {DRAFT_MAX_UNIQUE}");
    }
    if !has_consent {
        let _ = writeln!(
            y,
            "# no consent column was found; add one with `role: consent` if consent applies"
        );
    }
    y
}

/// Renders one column of a draft as a list item at `indent` (the spaces before its `- `);
/// returns whether it is a consent column and whether it is a released quasi-identifier.
pub(crate) fn render_column(
    y: &mut String,
    c: &ColumnProfile,
    levels: &HashMap<String, Vec<String>>,
    indent: &str,
) -> (bool, bool) {
    let mut consent = false;
    let mut qi = false;
    let ty = draft_type(c);
    let _ = writeln!(y, "{indent}- name: {}", quote(&c.name));
    let _ = writeln!(y, "{indent}  type: {ty}");
    let _ = writeln!(
        y,
        "{indent}  role: {}            # proposed: {}",
        c.proposed_role,
        c.reason.replace('\n', " ")
    );
    for note in &c.notes {
        let _ = writeln!(y, "{indent}  # {}", note.replace('\n', " "));
    }
    if c.proposed_role == "consent" {
        consent = true;
    }
    if c.nulls > 0 {
        let _ = writeln!(y, "{indent}  nullable: true");
    }
    if let Some(a) = &c.proposed_action {
        let _ = writeln!(y, "{indent}  action: {a}");
    }
    if !c.acknowledge.is_empty() {
        let _ = writeln!(y, "{indent}  acknowledge: [{}]", c.acknowledge.join(", "));
    }
    if ty == "category" && c.proposed_role != "identifier" {
        if let Some(ls) = levels.get(&c.name) {
            let _ = writeln!(
                y,
                "{indent}  levels: [{}]",
                ls.iter().map(|l| quote(l)).collect::<Vec<_>>().join(", ")
            );
        }
    }
    let released = c.proposed_action.as_deref() != Some("drop");
    if c.proposed_role.contains("quasi_identifier") && released {
        qi = true;
        if let Some(ls) = generalise_levels(c, ty) {
            let _ = writeln!(y, "{indent}  generalise: [{}]", ls.join(", "));
        }
    }
    let detected: Vec<String> = c
        .findings
        .iter()
        .filter(|f| {
            f.confidence >= 0.5
                && c.proposed_role != "identifier"
                && c.proposed_action.as_deref() != Some("redact")
                && !c.acknowledge.contains(&f.kind)
        })
        .map(|f| f.kind.clone())
        .collect();
    if !detected.is_empty() && !c.proposed_role.contains("quasi_identifier") {
        let _ = writeln!(
            y,
            "{indent}  # review: the detector also found {}; acknowledge it only if that is intended",
            detected.join(", ")
        );
    }
    (consent, qi)
}

/// A stand-in key for the dry run's keyed pseudonyms: they are never written, and uniqueness
/// is not counted over them.
fn dry_run_key() -> Result<Arc<Key>, DeidError> {
    Ok(Arc::new(Key::from_bytes(
        b"fairsynth inspect dry run: not a secret, never used for output",
    )?))
}

/// Drafts a schema that `deidentify` accepts unchanged on `input`: renders the proposals of
/// `ins`, judges them with `deidentify`'s steps and treats what would stop the run (see the
/// module docs), until the text passes. Updates the proposals, notes and judgement of `ins`;
/// returns the draft's text. Fails only when columns the user's schema declares stop the run
/// (the draft cannot change them) or the judge does not settle.
pub fn draft(
    input: &Input,
    ins: &mut Inspection,
    levels: &HashMap<String, Vec<String>>,
) -> Result<String, DeidError> {
    let key = dry_run_key()?;
    let mut changes: Vec<String> = Vec::new();
    for round in 1..=MAX_ROUNDS {
        ins.judgement = None;
        let text = render(ins, levels);
        let schema = Schema::from_str_named(&text, "the draft").map_err(|e| {
            DeidError::Diagnostics(vec![format!(
                "inspect drafted a schema it cannot read: {e}"
            )])
        })?;
        let in_schema = Reader::open(input, &schema)?.schema();
        let steps = Steps::new(&schema, &in_schema)?;
        let names = steps.pass1_columns();
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        let mut counts = steps.counts();
        for batch in Reader::open_columns(input, &schema, &names)? {
            steps.count(&mut counts, &batch?)?;
        }
        let exam = steps.examine(&counts)?;
        let mut changed = false;
        let mut fixed: Vec<String> = Vec::new();
        for stop in &exam.stops {
            let person_level = ins.person_level;
            let Some(c) = ins.columns.iter_mut().find(|c| c.name == stop.column) else {
                continue;
            };
            if c.basis == Basis::Declared {
                fixed.push(format!(
                    "column `{}` (declared in the given schema): {:.1}% of its values hold {}",
                    c.name,
                    100.0 * stop.share,
                    stop.kind.name().replace('_', " ")
                ));
                continue;
            }
            let what = format!(
                "{} in {:.1}% of the values (evidence {:.2} per value)",
                stop.kind.name().replace('_', " "),
                100.0 * stop.share,
                stop.evidence
            );
            let change = if matches!(stop.kind, Kind::DateOfBirth | Kind::Postcode)
                && !c.proposed_role.contains("quasi_identifier")
            {
                c.proposed_role = if c.proposed_role.contains("protected") {
                    "[protected, quasi_identifier]".into()
                } else {
                    "quasi_identifier".into()
                };
                c.proposed_action = None;
                format!("the safety net finds {what}: generalised as a quasi-identifier")
            } else if c.prose && c.proposed_action.as_deref() != Some("redact") {
                c.proposed_action = Some("redact".into());
                format!(
                    "the safety net finds {what}: prose, so the identifiers inside are redacted"
                )
            } else if c.shared_vocabulary || !person_level {
                c.acknowledge.push(stop.kind.name().to_string());
                format!(
                    "acknowledged: the safety net finds {what}, but {}; review this choice",
                    if !person_level {
                        "no column of the table is about a person"
                    } else {
                        "the values are a vocabulary shared by many rows (or the name names a thing), not people"
                    }
                )
            } else {
                c.proposed_role = "identifier".into();
                c.proposed_action = Some(
                    if matches!(stop.kind, Kind::RecordId) {
                        "pseudonymise"
                    } else {
                        "drop"
                    }
                    .into(),
                );
                format!("the safety net finds {what}: an identifier, removed whole")
            };
            changes.push(format!("`{}`: {change}", c.name));
            c.notes.push(change);
            changed = true;
        }
        if !fixed.is_empty() {
            return Err(DeidError::Diagnostics(
                fixed
                    .into_iter()
                    .map(|f| format!("{f}; the draft cannot change a declared column\n    hint: declare it as an identifier, redact it, or acknowledge the kind"))
                    .collect(),
            ));
        }
        let mut anonymity = None;
        match &exam.anonymity {
            Some(Err(e)) => {
                // Every level ends with `suppress`, so only protected categories (which keep
                // their values) can make k unreachable: count the largest one as protected
                // only, released as it is.
                let worst = ins
                    .columns
                    .iter_mut()
                    .filter(|c| {
                        c.proposed_role.contains("quasi_identifier")
                            && c.basis != Basis::Declared
                            && c.proposed_action.as_deref() != Some("drop")
                    })
                    .max_by_key(|c| c.distinct);
                let Some(c) = worst else {
                    return Err(DeidError::Diagnostics(vec![e.clone()]));
                };
                let change = if c.basis == Basis::Singling {
                    c.proposed_role = "feature".into();
                    format!(
                        "k = {DRAFT_K} cannot be reached while `{}` is counted: released as a feature instead (its one-row values single people out: see the singling-out line)",
                        c.name
                    )
                } else if c.proposed_role.contains("protected") {
                    c.proposed_role = "protected".into();
                    format!(
                        "k = {DRAFT_K} cannot be reached while `{}` is counted: kept as a protected attribute for the fairness checks, no longer counted as a quasi-identifier (drop it if it must not be released)",
                        c.name
                    )
                } else {
                    c.proposed_action = Some("drop".into());
                    format!(
                        "k = {DRAFT_K} cannot be reached while `{}` ({} values) is counted: dropped",
                        c.name, c.distinct
                    )
                };
                changes.push(format!("`{}`: {change}", c.name));
                c.notes.push(change);
                changed = true;
            }
            Some(Ok(a)) => {
                // One quasi-identifier that k would suppress whole is treated per round (the
                // others may then keep a generalised level): non-protected ones first, the one
                // with most distinct values first.
                let whole: Vec<(usize, &String)> = a
                    .quasi_identifiers
                    .iter()
                    .zip(&a.levels)
                    .filter_map(|(q, l)| {
                        let i = ins.columns.iter().position(|c| &c.name == q)?;
                        let c = &ins.columns[i];
                        let ls = generalise_levels(c, draft_type(c))?;
                        (*l == ls.len() && c.basis != Basis::Declared).then_some((i, q))
                    })
                    .collect();
                if let Some(&(i, q)) = whole.iter().min_by_key(|(i, _)| {
                    let c = &ins.columns[*i];
                    (
                        c.proposed_role.contains("protected"),
                        std::cmp::Reverse(c.distinct),
                    )
                }) {
                    let q = q.clone();
                    let c = &mut ins.columns[i];
                    let change = if c.basis == Basis::Singling {
                        c.proposed_role = "feature".into();
                        format!(
                            "k = {DRAFT_K} would need every value of `{q}` suppressed: released as a feature instead, counted in the singling-out line (drop or generalise it if others may know it)"
                        )
                    } else if c.proposed_role.contains("protected") {
                        c.proposed_role = "protected".into();
                        format!(
                            "k = {DRAFT_K} would need every value of `{q}` suppressed: kept as a protected attribute for the fairness checks, no longer counted as a quasi-identifier (drop it if it must not be released)"
                        )
                    } else {
                        c.proposed_action = Some("drop".into());
                        format!(
                            "k = {DRAFT_K} needs every value of `{q}` suppressed: dropped instead (a quasi-identifier left out of the release)"
                        )
                    };
                    changes.push(format!("`{q}`: {change}"));
                    c.notes.push(change);
                    changed = true;
                }
                anonymity = Some(a.clone());
            }
            None => {}
        }
        if changed {
            continue;
        }
        // The writing pass, dry: redaction re-scan, singling out and the gate.
        // The search already ran in `examine`: judged from it, not run again.
        let judged = steps.judge_examined(exam, &counts)?;
        let plan = steps.plan(&judged, Some(&key))?;
        let report = steps.report(&counts, judged, &plan);
        let released = steps.transform_all(&plan, Some(&key), Reader::open(input, &schema)?)?;
        let residual = steps.residual_columns(&released);
        if !residual.is_empty() {
            for (name, kinds) in residual {
                let Some(c) = ins.columns.iter_mut().find(|c| c.name == name) else {
                    continue;
                };
                let change = format!(
                    "redaction leaves {} in the text: an identifier, removed whole",
                    kinds.join(", ").replace('_', " ")
                );
                c.proposed_role = "identifier".into();
                c.proposed_action = Some("drop".into());
                changes.push(format!("`{name}`: {change}"));
                c.notes.push(change);
            }
            continue;
        }
        let report = steps.finish(report, released)?;
        for (q, l) in anonymity
            .iter()
            .flat_map(|a| a.quasi_identifiers.iter().zip(&a.levels))
        {
            if let Some(c) = ins.columns.iter_mut().find(|c| &c.name == q) {
                let ty = draft_type(c).to_string();
                if let Some(ls) = generalise_levels(c, &ty) {
                    let level = if *l == 0 {
                        "raw".to_string()
                    } else {
                        ls[*l - 1].clone()
                    };
                    c.notes.push(format!(
                        "k = {DRAFT_K} needs level {l} of {}: {level}",
                        ls.len()
                    ));
                }
            }
        }
        let singling = report.singling_out.as_ref();
        let judgement = Judgement {
            rounds: round,
            rows_in: report.rows_in,
            rows_out: report.rows_out,
            k_required: anonymity.as_ref().and_then(|a| a.k_required),
            k_achieved: anonymity.as_ref().map(|a| a.k_achieved),
            suppressed_rows: report.suppressed_rows,
            levels: anonymity
                .as_ref()
                .map(|a| {
                    a.quasi_identifiers
                        .iter()
                        .zip(&a.levels)
                        .map(|(q, l)| {
                            let c = ins.columns.iter().find(|c| &c.name == q);
                            let level = c
                                .and_then(|c| generalise_levels(c, draft_type(c)))
                                .and_then(|ls| l.checked_sub(1).and_then(|i| ls.get(i).cloned()))
                                .unwrap_or_else(|| "raw".into());
                            (q.clone(), level)
                        })
                        .collect()
                })
                .unwrap_or_default(),
            unique_over_quasi_identifiers: singling
                .map_or(0.0, |s| s.figures.quasi_identifiers.share),
            unique_over_released: singling.map_or(0.0, |s| s.figures.released.share),
            raises: singling.map_or_else(Vec::new, |s| {
                s.figures
                    .raises
                    .iter()
                    .map(|r| (r.column.clone(), r.raise))
                    .collect()
            }),
            changes: changes.clone(),
        };
        ins.judgement = Some(judgement);
        return Ok(render(ins, levels));
    }
    Err(DeidError::Diagnostics(vec![format!(
        "inspect could not settle on a draft that deidentify accepts in {MAX_ROUNDS} rounds; changes tried: {}",
        changes.join("; ")
    )]))
}

#[cfg(test)]
mod tests {
    #[test]
    fn band_widths_are_round() {
        assert_eq!(super::nice_width(3.7), 5.0);
        assert_eq!(super::nice_width(120.0), 200.0);
        assert_eq!(super::nice_width(1000.0), 1000.0);
        assert_eq!(super::nice_width(0.0), 1.0);
        assert_eq!(format!("{}", super::nice_width(0.047)), "0.05");
        assert_eq!(format!("{}", super::nice_width(0.0031)), "0.005");
        assert_eq!(format!("{}", super::nice_width(0.7)), "1");
    }

    #[test]
    fn bands_follow_the_range() {
        let l =
            |lo: f64, hi: f64, int: bool| super::numeric_levels(Some(lo), Some(hi), int).join(" ");
        assert_eq!(l(0.0, 1.0, false), "{width: 0.05} {width: 0.5} {width: 2}");
        assert_eq!(
            l(18.0, 90.0, true),
            "{width: 5} {width: 10} {width: 25} {width: 50}"
        );
        assert_eq!(
            l(0.0, 400000.0, false),
            "{width: 20000} {width: 100000} {width: 500000}"
        );
        assert_eq!(l(0.0, 6.0, true), "{width: 1} {width: 5} {width: 50}");
    }
}
