//! Fairness at the person for a child table's label: a `fairness:` block in a child table
//! whose `independent_of` names protected columns of the tables up its driving keys
//! (`loan.status` independent of `client.sex`).
//!
//! # Fitting
//! The person's protected columns are *given* columns of the child's model (a parent's are
//! given already; a grandparent's are carried down the driving keys), and the label is the
//! first column the model draws, its parents chosen among the given columns only
//! ([`crate::model::FitOptions::first`]). So the model knows how the label depends on the
//! person (the gap to repair) and on the rest of what the row hangs from (the parent's
//! balance: legitimate information, kept).
//!
//! # Sampling
//! Once the rows' given values are known, each row's probability `p` of the favourable level
//! comes from the label's table. The log-odds of the rows of each protected group (the
//! person's levels, numeric columns by their bands) are shifted by one constant per group,
//! found by bisection over the group's rows, so that every group's mean probability equals
//! the mean over all rows: the favourable rate is the same in every group in expectation,
//! the overall rate is unchanged, and within a group the label still follows the other given
//! columns as the data has it. The label is drawn from the shifted probabilities (an
//! unfavourable row's level from its unshifted odds among the other levels), from streams
//! keyed by block, then the rest of the row is drawn given it. The shifts depend on the
//! sampled rows only, summed in a fixed order, so the sample is the same at any thread count.

use std::collections::HashMap;

use rand::RngExt;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::io::table::{TableColumn, Values, NULL};
use crate::model::{GroupRate, Model, ModelError, Parity, SampleReport, VarKind};
use crate::schema::{Database, Role};
use crate::synth::{stream, BLOCK_ROWS};

/// A child table's label drawn independent of the person's protected columns.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChildFairness {
    /// The label column of the table.
    pub label: String,
    /// Its favourable level.
    pub favourable: String,
    /// The person's protected columns: `table.column` of tables up the driving keys.
    pub independent_of: Vec<String>,
}

/// The person's protected column `name` (`table.column` of a table up the driving keys of
/// the child whose parent is table `parent`, `rows` the parent row of each child row) as a
/// given column of the child: its spec and values. An error names what is missing.
pub(super) fn carried(
    db: &Database,
    links: &HashMap<(usize, String), Vec<Option<usize>>>,
    fitted: &[Option<super::Fitted>],
    parent: usize,
    rows: &[Option<usize>],
    name: &str,
) -> Result<(super::Spec, TableColumn), String> {
    let (table, column) = name
        .split_once('.')
        .ok_or_else(|| format!("fairness: `{name}` does not name a table's column"))?;
    let mut at = parent;
    let mut rows: Vec<Option<usize>> = rows.to_vec();
    while db.tables[at].name() != table {
        let fk = db.tables[at]
            .driving()
            .ok_or_else(|| format!("fairness: `{table}` is not up the driving keys"))?;
        let up = &links[&(at, fk.column.clone())];
        rows = rows.iter().map(|r| r.and_then(|r| up[r])).collect();
        at = db
            .table_index(&fk.table)
            .ok_or_else(|| format!("fairness: no table `{}`", fk.table))?;
    }
    let pf = fitted[at]
        .as_ref()
        .ok_or_else(|| format!("fairness: `{table}` is fitted after its child"))?;
    let k = pf.aug.columns[..pf.own]
        .iter()
        .position(|c| c.name == column && pf.modelled.contains(&c.name))
        .ok_or_else(|| {
            format!("fairness: `{name}` is not modelled\n    hint: the person's protected columns must be modelled columns of their table (not identifiers or weights)")
        })?;
    let mut spec = super::Spec {
        column: pf.specs[k].column.clone(),
        int: pf.specs[k].int,
        range: pf.specs[k].range,
    };
    spec.column.name = name.to_string();
    spec.column.role = Role::Feature;
    spec.column.quasi_identifier = false;
    Ok((spec, pf.aug.columns[k].gather(&rows, name)))
}

/// The stored fairness of child table `t` fitted as `model`: its label categorical, drawn
/// first from given columns alone, and its favourable level one the model has.
pub(super) fn resolve(
    t: &crate::schema::Table,
    f: &crate::schema::Fairness,
    model: &Model,
) -> Result<ChildFairness, ModelError> {
    let bad = |why: String| ModelError::Invalid(format!("table `{}`: fairness: {why}", t.name()));
    let v = model
        .variable(&f.label)
        .ok_or_else(|| bad(format!("the label `{}` is not modelled", f.label)))?;
    let VarKind::Categorical { levels } = &model.variables[v].kind else {
        return Err(bad(format!(
            "the label `{}` is numeric; a child table's label must be a bool, category or integer of classes",
            f.label
        )));
    };
    let node = model
        .nodes
        .iter()
        .find(|n| n.var == v)
        .ok_or_else(|| bad(format!("the label `{}` is not drawn", f.label)))?;
    if node.parents.iter().any(|p| !model.given.contains(p)) {
        return Err(bad(format!(
            "the label `{}` depends on a column drawn before it",
            f.label
        )));
    }
    let seen: Vec<&str> = levels
        .iter()
        .map(String::as_str)
        .filter(|l| *l != crate::model::OTHER)
        .collect();
    let declared = t.schema.column(&f.label).and_then(|c| c.categories());
    let favourable =
        crate::schema::favourable_level(f.favourable.as_deref(), declared.as_deref(), &seen)
            .filter(|l| levels.contains(l))
            .ok_or_else(|| {
                bad(format!(
                    "the favourable level of `{}` never occurs in the data",
                    f.label
                ))
            })?;
    Ok(ChildFairness {
        label: f.label.clone(),
        favourable,
        independent_of: f.independent_of.clone(),
    })
}

/// Where the bisection for a group's shift searches (log-odds).
const SHIFT_RANGE: f64 = 40.0;
/// Halvings of the bisection: the shift to below 1e-15.
const HALVINGS: usize = 70;

/// `p` with its log-odds shifted by `d` (0 and 1 stay).
fn shifted(p: f64, d: f64) -> f64 {
    if p <= 0.0 || p >= 1.0 {
        return p.clamp(0.0, 1.0);
    }
    let e = d.exp();
    p * e / (p * e + 1.0 - p)
}

/// One shift of log-odds per group (`group[r]` of row `r`, `groups` of them) that makes each
/// group's mean of `p` the mean over all rows; the rows' mean is returned too. A group whose
/// rows are all certain (0 or 1) keeps its rate (shift 0); one whose target lies beyond
/// reach gets the shift at the end of the range.
pub(super) fn shifts(p: &[f64], group: &[usize], groups: usize) -> (Vec<f64>, f64) {
    let n = p.len().max(1) as f64;
    let target = p.iter().sum::<f64>() / n;
    // Rows of a group by their probability: the tables have few distinct ones.
    let mut cells: Vec<std::collections::BTreeMap<u64, f64>> = vec![Default::default(); groups];
    for (&x, &g) in p.iter().zip(group) {
        *cells[g].entry(x.to_bits()).or_default() += 1.0;
    }
    let d = cells
        .iter()
        .map(|c| {
            let rows: f64 = c.values().sum();
            if rows == 0.0
                || c.keys()
                    .all(|&b| !(f64::from_bits(b) > 0.0 && f64::from_bits(b) < 1.0))
            {
                return 0.0;
            }
            let mean = |d: f64| {
                c.iter()
                    .map(|(&b, &k)| k * shifted(f64::from_bits(b), d))
                    .sum::<f64>()
                    / rows
            };
            let (mut lo, mut hi) = (-SHIFT_RANGE, SHIFT_RANGE);
            for _ in 0..HALVINGS {
                let mid = 0.5 * (lo + hi);
                if mean(mid) < target {
                    lo = mid;
                } else {
                    hi = mid;
                }
            }
            0.5 * (lo + hi)
        })
        .collect();
    (d, target)
}

/// The groups of the person's protected values: per row its group, and the group names
/// (the columns' levels joined by ` & `, in name order).
pub(super) fn groups(columns: &[Vec<String>], rows: usize) -> (Vec<usize>, Vec<String>) {
    let keys: Vec<String> = (0..rows)
        .map(|r| {
            columns
                .iter()
                .map(|c| c[r].as_str())
                .collect::<Vec<_>>()
                .join(" & ")
        })
        .collect();
    let mut names: Vec<String> = keys.clone();
    names.sort();
    names.dedup();
    let of = keys
        .iter()
        .map(|k| names.binary_search(k).unwrap_or(0))
        .collect();
    (of, names)
}

/// The level of every row of a person's protected column as loaded: a level's text, a
/// number's band label (`band`), `(null)` for a null.
pub(super) fn group_levels(
    values: &Values,
    band: &dyn Fn(f64) -> Option<String>,
    rows: &[usize],
) -> Vec<String> {
    let null = || "(null)".to_string();
    match values {
        Values::Cat { codes, levels } => rows
            .iter()
            .map(|&r| match codes[r] {
                NULL => null(),
                c => levels[c as usize].clone(),
            })
            .collect(),
        Values::Num(x) => rows
            .iter()
            .map(|&r| {
                if x[r].is_nan() {
                    null()
                } else {
                    band(x[r]).unwrap_or_else(null)
                }
            })
            .collect(),
    }
}

/// The label's codes for every row: favourable (`fav`) with the row's probability shifted by
/// its group's shift, else another code by the row's odds among the others. Streams keyed by
/// (`seed`, label, block).
pub(super) fn draw_labels(
    seed: u64,
    label: &str,
    probs: &[Vec<f64>],
    fav: usize,
    group: &[usize],
    shift: &[f64],
) -> Vec<u32> {
    let name = format!("\u{0}parity\u{0}{label}");
    let blocks = probs.len().div_ceil(BLOCK_ROWS);
    (0..blocks)
        .into_par_iter()
        .flat_map_iter(|b| {
            let mut rng = stream(seed, &name, 0, b as u64);
            let lo = b * BLOCK_ROWS;
            let hi = (lo + BLOCK_ROWS).min(probs.len());
            (lo..hi)
                .map(|r| {
                    let (u, v): (f64, f64) = (rng.random(), rng.random());
                    let p = &probs[r];
                    if u < shifted(p[fav], shift[group[r]]) {
                        return fav as u32;
                    }
                    let rest: f64 = p
                        .iter()
                        .enumerate()
                        .filter(|(c, _)| *c != fav)
                        .map(|(_, x)| x)
                        .sum();
                    let mut acc = 0.0;
                    let mut last = fav;
                    for (c, x) in p.iter().enumerate().filter(|(c, _)| *c != fav) {
                        if *x <= 0.0 {
                            continue;
                        }
                        last = c;
                        acc += x / rest;
                        if v < acc {
                            return c as u32;
                        }
                    }
                    last as u32
                })
                .collect::<Vec<u32>>()
        })
        .collect()
}

/// The report of a child label's parity: per group the model's rate at the sampled rows
/// (what sampling without fairness gives in expectation), the expected rate after the shift
/// and the rate drawn; disparate impact and statistical parity difference (lowest rate minus
/// highest) of each.
#[allow(clippy::too_many_arguments)]
pub(super) fn report(
    f: &super::ChildFairness,
    names: &[String],
    group: &[usize],
    probs: &[Vec<f64>],
    fav: usize,
    shift: &[f64],
    codes: &[u32],
) -> SampleReport {
    let k = names.len();
    let (mut n, mut before, mut after, mut drawn) = (
        vec![0.0f64; k],
        vec![0.0f64; k],
        vec![0.0f64; k],
        vec![0.0f64; k],
    );
    for (r, &g) in group.iter().enumerate() {
        n[g] += 1.0;
        before[g] += probs[r][fav];
        after[g] += shifted(probs[r][fav], shift[g]);
        if codes[r] as usize == fav {
            drawn[g] += 1.0;
        }
    }
    let rate = |x: &[f64]| -> Vec<f64> { x.iter().zip(&n).map(|(a, n)| a / n.max(1.0)).collect() };
    let (before, after, drawn) = (rate(&before), rate(&after), rate(&drawn));
    let span = |r: &[f64]| {
        let max = r.iter().copied().fold(0.0, f64::max);
        let min = r.iter().copied().fold(f64::INFINITY, f64::min);
        let di = if max > 0.0 { min / max } else { 1.0 };
        (di, if r.is_empty() { 0.0 } else { min - max })
    };
    let (di_m, spd_m) = span(&before);
    let (di_e, spd_e) = span(&after);
    // The shifts meet the overall rate to about 1e-16: shown as the 0 it is.
    let (di_e, spd_e) = if spd_e.abs() < 1e-9 {
        (1.0, 0.0)
    } else {
        (di_e, spd_e)
    };
    let (di_s, spd_s) = span(&drawn);
    SampleReport {
        targets: Vec::new(),
        parity: Some(Parity {
            label: f.label.clone(),
            favourable: f.favourable.clone(),
            independent_of: f.independent_of.clone(),
            groups: names
                .iter()
                .enumerate()
                .map(|(g, name)| GroupRate {
                    group: name.clone(),
                    model: before[g],
                    expected: after[g],
                    sampled: Some(drawn[g]),
                    rows: Some(n[g] as u64),
                })
                .collect(),
            disparate_impact_model: di_m,
            disparate_impact_expected: di_e,
            disparate_impact_sampled: Some(di_s),
            statistical_parity_difference_model: Some(spd_m),
            statistical_parity_difference_expected: Some(spd_e),
            statistical_parity_difference_sampled: Some(spd_s),
        }),
        iterations: 0,
    }
}

/// The code of the favourable level among the label's `levels`.
pub(super) fn favourable_code(
    table: &str,
    f: &super::ChildFairness,
    levels: &[String],
) -> Result<usize, ModelError> {
    levels
        .iter()
        .position(|l| *l == f.favourable)
        .ok_or_else(|| {
            ModelError::Invalid(format!(
                "table `{table}`: the favourable level `{}` of `{}` is not in the model",
                f.favourable, f.label
            ))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shifts_give_every_group_the_overall_rate_and_keep_the_order_within() {
        // Group 0: rows at 0.2 and 0.6; group 1: rows at 0.7 and 0.9, and one certain row.
        let p = [0.2, 0.6, 0.7, 0.9, 1.0];
        let g = [0, 0, 1, 1, 1];
        let (d, target) = shifts(&p, &g, 2);
        assert!((target - 0.68).abs() < 1e-12);
        for (k, &dk) in d.iter().enumerate() {
            let rows: Vec<f64> = (0..5)
                .filter(|&r| g[r] == k)
                .map(|r| shifted(p[r], dk))
                .collect();
            let mean = rows.iter().sum::<f64>() / rows.len() as f64;
            assert!((mean - target).abs() < 1e-9, "group {k}: {mean}");
            // Within a group, a row more likely before stays more likely.
            assert!(rows.windows(2).all(|w| w[0] <= w[1]), "{rows:?}");
        }
        assert!(d[0] > 0.0 && d[1] < 0.0);
        assert_eq!(shifted(1.0, d[1]), 1.0);
    }

    #[test]
    fn a_group_of_certain_rows_keeps_its_rate() {
        let (d, _) = shifts(&[0.0, 0.0, 0.5, 0.7], &[0, 0, 1, 1], 2);
        assert_eq!(d[0], 0.0);
    }

    #[test]
    fn labels_follow_the_shifted_odds_and_the_same_seed_draws_the_same() {
        let probs: Vec<Vec<f64>> = (0..20_000)
            .map(|r| {
                if r % 2 == 0 {
                    vec![0.2, 0.8]
                } else {
                    vec![0.6, 0.4]
                }
            })
            .collect();
        let group: Vec<usize> = (0..20_000).map(|r| r % 2).collect();
        let p: Vec<f64> = probs.iter().map(|x| x[0]).collect();
        let (d, target) = shifts(&p, &group, 2);
        let a = draw_labels(5, "y", &probs, 0, &group, &d);
        assert_eq!(a, draw_labels(5, "y", &probs, 0, &group, &d));
        for k in 0..2 {
            let n = group.iter().filter(|&&g| g == k).count() as f64;
            let fav = (0..a.len()).filter(|&r| group[r] == k && a[r] == 0).count() as f64;
            // 4 standard errors of a rate near 0.4 over 10,000 rows: 0.02.
            assert!((fav / n - target).abs() < 0.02, "group {k}: {}", fav / n);
        }
    }

    #[test]
    fn a_table_without_a_child_label_keeps_its_file_form_and_older_files_read() {
        let t = super::super::TableModel {
            name: "loan".into(),
            primary_key: "loan_id".into(),
            rows: 3,
            parent: None,
            counts: Vec::new(),
            picks: Vec::new(),
            order: None,
            offsets: Vec::new(),
            model: None,
            reference: None,
            formulas: Vec::new(),
            lags: Vec::new(),
            fairness: None,
        };
        let json = serde_json::to_value(&t).expect("encodes");
        assert!(json.get("fairness").is_none(), "{json}");
        let back: super::super::TableModel = serde_json::from_value(json).expect("decodes");
        assert_eq!(back, t);
        let with = super::super::TableModel {
            fairness: Some(ChildFairness {
                label: "status".into(),
                favourable: "good".into(),
                independent_of: vec!["client.sex".into()],
            }),
            ..t
        };
        let json = serde_json::to_value(&with).expect("encodes");
        assert_eq!(json["fairness"]["independent_of"][0], "client.sex");
    }

    #[test]
    fn groups_are_named_by_levels_in_name_order() {
        let (of, names) = groups(&[vec!["M".into(), "F".into(), "M".into()]], 3);
        assert_eq!(names, vec!["F", "M"]);
        assert_eq!(of, vec![1, 0, 1]);
        let v = Values::Num(vec![30.0, f64::NAN]);
        let band = |x: f64| Some(if x < 40.0 { "young" } else { "old" }.to_string());
        assert_eq!(group_levels(&v, &band, &[0, 1]), vec!["young", "(null)"]);
    }
}
