//! Audit gates and drift: the checks of the schema's `quality:` gates (and the always-on
//! `identifiers` check) against the report's figures, and the comparison with a baseline report.

use std::collections::BTreeMap;
use std::path::Path;

use super::{AttributeParity, AuditError, Change, Drift, Report, Representation, FORMAT, VERSION};
use crate::evaluate::Check;
use crate::schema::Quality;

/// A baseline report, as drift needs it.
pub(super) struct Baseline {
    /// The path as given.
    pub(super) path: String,
    /// SHA-256 of its input.
    pub(super) input_sha256: String,
    /// Its figures.
    pub(super) figures: BTreeMap<String, f64>,
    /// The labelled rows behind each of its rate figures (`rate/ATTRIBUTE/GROUP`).
    pub(super) rate_rows: BTreeMap<String, u64>,
}

/// Reads a baseline report.
pub(super) fn read_baseline(path: &Path) -> Result<Baseline, AuditError> {
    let shown = path.display().to_string();
    let bad = |message: String| AuditError::Baseline {
        path: shown.clone(),
        message,
    };
    let text = std::fs::read_to_string(path).map_err(|e| bad(format!("cannot read it: {e}")))?;
    let v: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| bad(format!("not JSON: {e}")))?;
    if v.get("format").and_then(|f| f.as_str()) != Some(FORMAT) {
        return Err(bad(format!(
            "not an audit report (no \"format\": \"{FORMAT}\")"
        )));
    }
    if v.get("version").and_then(|f| f.as_u64()) != Some(u64::from(VERSION)) {
        return Err(bad(format!(
            "an audit report of another version (this is {VERSION})"
        )));
    }
    let figures: BTreeMap<String, f64> = v
        .get("figures")
        .and_then(|f| serde_json::from_value(f.clone()).ok())
        .ok_or_else(|| bad("no \"figures\" object of numbers".into()))?;
    let sha = v
        .pointer("/input/sha256")
        .and_then(|s| s.as_str())
        .unwrap_or_default()
        .to_string();
    let mut rate_rows = BTreeMap::new();
    let attributes = v
        .pointer("/parity/attributes")
        .and_then(|a| a.as_array())
        .map_or(&[][..], Vec::as_slice);
    for a in attributes {
        let attribute = a.get("attribute").and_then(|x| x.as_str()).unwrap_or("");
        let groups = a
            .get("groups")
            .and_then(|g| g.as_array())
            .map_or(&[][..], Vec::as_slice);
        for g in groups {
            if let (Some(group), Some(rows)) = (
                g.get("group").and_then(|x| x.as_str()),
                g.get("rows").and_then(|x| x.as_u64()),
            ) {
                rate_rows.insert(format!("rate/{attribute}/{group}"), rows);
            }
        }
    }
    Ok(Baseline {
        path: shown,
        input_sha256: sha,
        figures,
        rate_rows,
    })
}

/// The rate figures drift leaves out: those of groups with fewer than `min_rows` labelled
/// rows now or in the baseline (the rule parity applies), whose rates move by chance.
pub(super) fn small_rates(
    now: &Report,
    baseline: &Baseline,
    min_rows: u64,
) -> std::collections::BTreeSet<String> {
    let mut small = std::collections::BTreeSet::new();
    for a in now.parity.iter().flat_map(|p| &p.attributes) {
        for g in a.groups.iter().filter(|g| g.rows < min_rows) {
            small.insert(format!("rate/{}/{}", a.attribute, g.group));
        }
    }
    for (k, rows) in &baseline.rate_rows {
        if *rows < min_rows {
            small.insert(k.clone());
        }
    }
    small
}

/// The changes from `baseline` to the figures `now`, leaving out the rates in `small` (of
/// groups below `min_rows` rows, see [`small_rates`]).
pub(super) fn drift(
    baseline: Baseline,
    now: &BTreeMap<String, f64>,
    small: &std::collections::BTreeSet<String>,
    min_rows: u64,
) -> Drift {
    let before = &baseline.figures;
    let left_out_small_groups: Vec<String> = before
        .keys()
        .filter(|k| now.contains_key(*k) && small.contains(*k))
        .cloned()
        .collect();
    let mut changes: Vec<Change> = before
        .iter()
        .filter(|(k, _)| !small.contains(*k))
        .filter_map(|(k, b)| {
            now.get(k).map(|a| Change {
                figure: k.clone(),
                before: *b,
                after: *a,
                change: a - b,
            })
        })
        .collect();
    let compared = changes.len();
    changes.sort_by(|x, y| {
        y.change
            .abs()
            .total_cmp(&x.change.abs())
            .then_with(|| x.figure.cmp(&y.figure))
    });
    Drift {
        baseline: baseline.path,
        baseline_input_sha256: baseline.input_sha256,
        compared,
        min_group_rows: min_rows,
        left_out_small_groups,
        max_change: changes.first().map_or(0.0, |c| c.change.abs()),
        changes,
        only_in_baseline: before
            .keys()
            .filter(|k| !now.contains_key(*k))
            .cloned()
            .collect(),
        only_now: now
            .keys()
            .filter(|k| !before.contains_key(*k))
            .cloned()
            .collect(),
    }
}

/// The gates audit checks, in report order.
pub const GATES: [&str; 6] = [
    "min_group_rows",
    "min_di",
    "max_spd",
    "max_proxy_strength",
    "max_age_days",
    "max_drift",
];

/// The figure of a parity gate over `attrs`: the lowest DI for `min_di`, the largest |SPD|
/// for `max_spd` (first in order on ties), with its attribute.
pub(super) fn worst_parity<'a>(
    key: &str,
    attrs: &[&'a AttributeParity],
) -> Option<(f64, &'a AttributeParity)> {
    let figure = |a: &AttributeParity| match key {
        "min_di" => a.di,
        _ => a.spd.map(|s| -s.abs()),
    };
    attrs
        .iter()
        .filter_map(|a| figure(a).map(|f| (f, *a)))
        .reduce(|x, y| if y.0 < x.0 { y } else { x })
        .map(|(f, a)| (if key == "min_di" { f } else { -f }, a))
}

pub(super) fn checks(r: &Report, q: &Quality) -> Vec<Check> {
    let mut out = Vec::new();
    let mut q = *q;
    let mut push = |key: &str, limit: f64, figure: Result<(f64, String), String>, is_max: bool| {
        out.push(Check::judge(key, limit, figure, is_max))
    };
    let single: Vec<&Representation> = r
        .representation
        .iter()
        .filter(|x| !x.attribute.contains(" & "))
        .collect();
    let parity: Vec<&AttributeParity> = r.parity.iter().flat_map(|p| p.attributes.iter()).collect();
    for key in GATES {
        let Some(limit) = q.slot(key).and_then(|s| *s) else {
            continue;
        };
        let (figure, is_max): (Result<(f64, String), String>, bool) = match key {
            "min_group_rows" => (
                single
                    .iter()
                    .flat_map(|a| a.groups.iter().map(move |g| (a, g)))
                    .min_by_key(|(_, g)| g.rows)
                    .map(|(a, g)| {
                        (
                            g.rows as f64,
                            format!("smallest group `{}` = {}", a.attribute, g.group),
                        )
                    })
                    .ok_or_else(|| "no protected column with groups".to_string()),
                false,
            ),
            "min_di" => (
                worst_parity(key, &parity)
                    .map(|(d, a)| {
                        (
                            d,
                            format!(
                                "`{}`: {} vs {} (reference)",
                                a.attribute,
                                a.lowest.as_deref().unwrap_or(""),
                                a.highest.as_deref().unwrap_or("")
                            ),
                        )
                    })
                    .ok_or_else(|| "no parity figures (see notes)".to_string()),
                false,
            ),
            "max_spd" => (
                worst_parity(key, &parity)
                    .map(|(s, a)| {
                        (
                            s,
                            format!(
                                "`{}`: {} vs {}",
                                a.attribute,
                                a.lowest.as_deref().unwrap_or(""),
                                a.highest.as_deref().unwrap_or("")
                            ),
                        )
                    })
                    .ok_or_else(|| "no parity figures (see notes)".to_string()),
                true,
            ),
            "max_proxy_strength" => (
                r.proxies
                    .pairs
                    .first()
                    .map(|p| {
                        (
                            p.cramers_v,
                            format!("Cramér's V of `{}` with `{}`", p.column, p.protected),
                        )
                    })
                    .ok_or_else(|| "no proxy figures".to_string()),
                true,
            ),
            "max_age_days" => (
                r.quality
                    .data_age_days
                    .map(|d| {
                        (
                            d,
                            format!(
                                "days from the newest date or timestamp value to {}",
                                r.quality.as_of
                            ),
                        )
                    })
                    .ok_or_else(|| "no date or timestamp values".to_string()),
                true,
            ),
            "max_drift" => (
                match &r.drift {
                    None => Err("needs --baseline".to_string()),
                    Some(d) if d.compared == 0 => {
                        Err("no figure in common with the baseline".to_string())
                    }
                    Some(d) => Ok((
                        d.max_change,
                        format!(
                            "largest change since the baseline: {}{}",
                            d.changes.first().map_or("", |c| c.figure.as_str()),
                            match d.left_out_small_groups.len() {
                                0 => String::new(),
                                n => format!(
                                    "; {n} rate{} of groups under {} rows left out",
                                    if n == 1 { "" } else { "s" },
                                    d.min_group_rows
                                ),
                            }
                        ),
                    )),
                },
                true,
            ),
            _ => continue,
        };
        push(key, limit, figure, is_max);
    }
    // The de-identification gate `privacy.max_unique_share`, applied to the table as it is.
    if let Some(limit) = r.singling_out_limit {
        let f = &r.singling_out.figures;
        let set = f.gate_set.as_ref().unwrap_or(&f.quasi_identifiers);
        let figure = if set.columns.is_empty() {
            Err("no quasi-identifier column (and no privacy.unique_over)".to_string())
        } else {
            Ok((
                set.share,
                format!("rows unique over {}", set.columns.join(", ")),
            ))
        };
        push("max_unique_share", limit, figure, true);
    }
    // Always on: a column full of identifiers the schema does not declare.
    let n = r.identifiers.undeclared.len();
    push(
        "identifiers",
        0.0,
        Ok((
            n as f64,
            if n == 0 {
                "no undeclared identifiers".to_string()
            } else {
                format!(
                    "{n} column{} hold undeclared identifiers",
                    if n == 1 { "" } else { "s" }
                )
            },
        )),
        true,
    );
    out
}
