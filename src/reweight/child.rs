//! `reweight DIR` for a root table of people with labels in their child tables: a child
//! table's `fairness: {label: status, independent_of: [client.sex]}` asks that the label's
//! favourable rate among the child rows, each row weighted by its person's weight, be the
//! same in every protected group of the person. The weights stay per person (every row below
//! a person carries the person's weight), so any join of the weighted tables keeps both the
//! root's `targets:` and the parity.
//!
//! # Estimator
//! Every person gets the weight `start * exp(...)` of least Kullback-Leibler divergence from
//! their start weight that meets, at once (cyclic I-projections, [`super::tilting`]):
//! - the root table's target margins and its own label-parity margin, exactly as one-table
//!   `reweight` builds them on the root's cells;
//! - the share of the people in each protected group of the person, when those columns are
//!   the root's own (kept where the targets, or the start weights without targets, put it,
//!   as one-table parity keeps the groups' shares);
//! - per child label and protected group, the group's weighted favourable rate equal to the
//!   rate over all counted child rows under the start weights (so the overall rate stays).
//!
//! The groups and rows are those of `evaluate DIR`'s parity at the person
//! ([`crate::person`]): a child row counts when it has a label and its person (up the driving
//! keys) has a level in every protected column; the rest are left out of the rates (and
//! still carry their person's weight). People are gathered into classes alike in every
//! constraint (root cell, share group, counts of favourable and labelled child rows per label
//! and group), so the iteration's cost depends on the classes, not the people.
//!
//! A group whose counted rows are all favourable, or none is, or whose people all sit on
//! one side of the target rate, cannot be brought to it by weighting people: that is an
//! error naming the table, label and group, before any iteration. Weights that the
//! constraints together drive to zero are an error too; a run that stops at the sweep limit
//! is reported as not converged, as in one-table `reweight`. Weight bounds
//! (`--min-weight`, `--max-weight`) are refused with parity at the person.

use std::collections::HashMap;

use arrow_array::RecordBatch;
use serde::Serialize;

use super::ipf::{self, Solution};
use super::state::{start_weights, weight_column, CellSums};
use super::tilting::{self, Shares, Tilt};
use super::{
    AttributeReport, GroupRate, MarginReport, Options, Report, ReweightError, StopReason,
    WeightBins, WeightReport, NULL_LEVEL,
};
use crate::io::read::Input;
use crate::io::table::{Table, Values, NULL};
use crate::person::{group, level, protected_levels, rows_up};
use crate::schema::{Database, Schema};

/// The parity of one child table's label at the person, before and after reweighting.
#[derive(Debug, Clone, Serialize)]
pub struct ChildParityReport {
    /// The child table.
    pub table: String,
    /// Its label column.
    pub label: String,
    /// The favourable level.
    pub favourable: String,
    /// The person's protected columns (`table.column` up the driving keys).
    pub independent_of: Vec<String>,
    /// The root table of the people whose weights the rows carry.
    pub person: String,
    /// Rows counted: with a label and a person who has a level in every protected column.
    pub rows: u64,
    /// Rows left out of the rates: no label, no person (a null or dangling key up the driving
    /// keys), or a person without a level.
    pub rows_left_out: u64,
    /// The favourable rate every group is brought to: the rate over all rows counted, under
    /// the start weights.
    pub target_rate: f64,
    /// Largest |group rate - target rate| over the groups of all protected columns together,
    /// after.
    pub max_abs_error: f64,
    /// Per protected column, and for their intersection when there are several; groups by
    /// name.
    pub attributes: Vec<AttributeReport>,
    /// The weights of the rows counted (each row its person's).
    pub weights: WeightReport,
}

/// The child tables whose `fairness:` is at the person of root table `root`: their driving
/// keys lead up to it.
pub(super) fn child_labels(db: &Database, root: usize) -> Vec<usize> {
    (0..db.tables.len())
        .filter(|&i| {
            let t = &db.tables[i];
            !t.is_root() && t.schema.fairness.is_some() && root_of(db, i) == Some(root)
        })
        .collect()
}

/// The root table table `i` hangs from through driving keys (itself for a root).
fn root_of(db: &Database, i: usize) -> Option<usize> {
    let mut at = i;
    for _ in 0..=db.tables.len() {
        match db.tables[at].driving() {
            None => return Some(at),
            Some(fk) => at = db.table_index(&fk.table)?,
        }
    }
    None
}

/// The columns each table must load for the labels of `labels`: the label, the keys up to
/// the root, the protected columns.
fn load(db: &Database, inputs: &[Input], labels: &[usize]) -> Result<Vec<Table>, ReweightError> {
    let mut need: Vec<Vec<String>> = vec![Vec::new(); db.tables.len()];
    let mut add = |i: usize, c: &str| {
        if db.tables[i].schema.column(c).is_some() && !need[i].iter().any(|x| x == c) {
            need[i].push(c.to_string());
        }
    };
    for &i in labels {
        let Some(f) = db.tables[i].schema.fairness.as_ref() else {
            continue;
        };
        add(i, &f.label);
        let mut at = i;
        for _ in 0..db.tables.len() {
            let Some(fk) = db.tables[at].driving() else {
                break;
            };
            let Some(p) = db.table_index(&fk.table) else {
                break;
            };
            add(at, &fk.column);
            add(p, &db.tables[p].primary_key);
            at = p;
        }
        for q in &f.independent_of {
            if let Some((tb, c)) = q.split_once('.') {
                if let Some(k) = db.table_index(tb) {
                    add(k, c);
                }
            }
        }
    }
    need.iter()
        .enumerate()
        .map(|(i, names)| {
            if names.is_empty() {
                Ok(Table {
                    rows: 0,
                    columns: Vec::new(),
                })
            } else {
                Ok(Table::load_only(&inputs[i], &db.tables[i].schema, names)?)
            }
        })
        .collect()
}

/// One child label's counted rows.
struct Label {
    table: usize,
    label: String,
    favourable: String,
    of: Vec<String>,
    /// Per counted row: its person (root row), joint group, and whether it is favourable.
    rows: Vec<(usize, usize, bool)>,
    /// The joint groups by name.
    groups: Vec<String>,
    /// Per protected column (and the joint group when there are several): its name, group
    /// names and the group of every counted row.
    attributes: Vec<(String, Vec<String>, Vec<usize>)>,
    left_out: u64,
}

/// Names sorted, and each value's place among them.
fn ids(values: &[String]) -> (Vec<String>, Vec<usize>) {
    let mut names: Vec<String> = values.to_vec();
    names.sort();
    names.dedup();
    let index: HashMap<&str, usize> = names
        .iter()
        .enumerate()
        .map(|(k, n)| (n.as_str(), k))
        .collect();
    let at = values.iter().map(|v| index[v.as_str()]).collect();
    (names, at)
}

/// The counted rows of the label of table `i`, their people rows of root table `root`.
fn gather(db: &Database, tables: &[Table], i: usize, root: usize) -> Result<Label, String> {
    let t = &db.tables[i];
    let f = t
        .schema
        .fairness
        .as_ref()
        .ok_or_else(|| "no fairness".to_string())?;
    let col = tables[i]
        .column(&f.label)
        .ok_or_else(|| format!("the label `{}` is not in the table", f.label))?;
    let Values::Cat { codes, levels } = &col.values else {
        return Err(format!(
            "the label `{}` is numeric; parity at the person needs a bool, category or integer label of classes\n    hint: use a bool or category label, or an integer label without bins",
            f.label
        ));
    };
    let seen: Vec<&str> = levels.iter().map(String::as_str).collect();
    let declared = t.schema.column(&f.label).and_then(|c| c.categories());
    let favourable =
        crate::schema::favourable_level(f.favourable.as_deref(), declared.as_deref(), &seen)
            .filter(|l| levels.contains(l))
            .ok_or_else(|| {
                format!(
                    "the favourable level `{}` of `{}` never occurs in the data\n    hint: check `favourable:` against the label's levels ({})",
                    f.favourable.clone().unwrap_or_default(),
                    f.label,
                    seen.join(", ")
                )
            })?;
    let fav_code = levels.iter().position(|l| *l == favourable).unwrap_or(0) as u32;
    let up = |e: String| {
        format!("{e}\n    hint: name each protected column of the person as `table.column` of a table up the driving keys (`fairsynth schema check` shows them)")
    };
    let (_, person) = rows_up(db, tables, i, db.tables[root].name()).map_err(up)?;
    let columns = protected_levels(db, tables, i, &f.independent_of).map_err(up)?;
    let mut rows = Vec::new();
    let mut joint = Vec::new();
    let mut kept = Vec::new();
    for r in 0..tables[i].rows {
        let (Some(p), Some(g)) = (person[r], group(&columns, r)) else {
            continue;
        };
        if codes[r] == NULL {
            continue;
        }
        rows.push((p, 0, codes[r] == fav_code));
        joint.push(g);
        kept.push(r);
    }
    let left_out = (tables[i].rows - rows.len()) as u64;
    if rows.is_empty() {
        return Err(format!(
            "no row has a `{}` and a person with a level of {}\n    hint: check that the keys up the driving keys match and the protected columns have values",
            f.label,
            f.independent_of.join(", ")
        ));
    }
    let (groups, at) = ids(&joint);
    for (row, g) in rows.iter_mut().zip(&at) {
        row.1 = *g;
    }
    let mut attributes = Vec::new();
    for (k, q) in f.independent_of.iter().enumerate() {
        let values: Vec<String> = kept
            .iter()
            .map(|&r| columns[k][r].clone().unwrap_or_default())
            .collect();
        let (names, at) = ids(&values);
        attributes.push((q.clone(), names, at));
    }
    if f.independent_of.len() > 1 {
        attributes.push((f.independent_of.join(" & "), groups.clone(), at));
    }
    Ok(Label {
        table: i,
        label: f.label.clone(),
        favourable,
        of: f.independent_of.clone(),
        rows,
        groups,
        attributes,
        left_out,
    })
}

/// The weight summary of `w` (with the histogram of the report's chart if `histogram`).
fn weight_report(w: &[f64], histogram: bool) -> WeightReport {
    let n = w.len() as f64;
    let sum: f64 = w.iter().sum();
    let sq: f64 = w.iter().map(|x| x * x).sum();
    let min = w.iter().copied().fold(f64::INFINITY, f64::min);
    let max = w.iter().copied().fold(0.0, f64::max);
    let deff = if sum > 0.0 { n * sq / (sum * sum) } else { 1.0 };
    WeightReport {
        min: if w.is_empty() { 0.0 } else { min },
        max,
        mean: if w.is_empty() { 0.0 } else { sum / n },
        cv: (deff - 1.0).max(0.0).sqrt(),
        design_effect: deff,
        effective_sample_size: if sq > 0.0 { sum * sum / sq } else { 0.0 },
        histogram: histogram.then(|| {
            let bins = WeightBins::new(min, max);
            bins.add(w);
            bins.finish()
        }),
    }
}

/// Favourable rate per group under person weights `w` (0 for a group without weight).
fn rates(label: &Label, at: &[usize], groups: usize, w: &[f64]) -> Vec<f64> {
    let mut fav = vec![0.0; groups];
    let mut all = vec![0.0; groups];
    for (&(p, _, f), &g) in label.rows.iter().zip(at) {
        all[g] += w[p];
        if f {
            fav[g] += w[p];
        }
    }
    fav.iter()
        .zip(&all)
        .map(|(f, a)| if *a > 0.0 { f / a } else { 0.0 })
        .collect()
}

/// Lowest rate minus highest, and lowest over highest (1 when the highest is 0): one-table
/// `reweight`'s figures.
fn spread(r: &[f64]) -> (f64, f64) {
    let lo = r.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = r.iter().copied().fold(0.0, f64::max);
    (lo - hi, if hi > 0.0 { lo / hi } else { 1.0 })
}

/// The root's start: its raking problem on its cells (when it has targets or a label of its
/// own), each row's cell, the start-weight column and the start weights.
struct Start {
    problem: Option<ipf::Problem>,
    cell_of: Vec<Option<usize>>,
    weight: Option<String>,
    d: Vec<f64>,
}

/// The root's [`Start`], checked as one-table `reweight` checks its input (positive start
/// weights, rows, no column named like the weight column written).
fn start(
    schema: &Schema,
    opts: &Options,
    batch: &RecordBatch,
    input: &str,
) -> Result<Start, ReweightError> {
    // The root's own raking variables, when it has targets or a label of its own.
    let own = !opts.targets.is_empty() || schema.fairness.is_some();
    let (problem, cell_of, weight) = if own {
        let sums = CellSums::from_batches(schema, opts, &batch.schema(), [batch])?;
        let problem = sums.problem(schema, opts, input)?;
        let cells = sums.row_cells(batch)?;
        let weight = sums.start_weight_column().clone();
        (Some(problem), cells, weight)
    } else {
        let weight = weight_column(schema, opts);
        let d = start_weights(batch, weight.as_deref());
        let mut diags = Vec::new();
        if let Some(r) = d.iter().position(|d| !(d.is_finite() && *d > 0.0)) {
            let count = d.iter().filter(|d| !(d.is_finite() && **d > 0.0)).count();
            diags.push(format!(
                "{input}: {count} row{s} with a zero, negative or missing start weight in `{w}` (first: row {first}, value {value})\n    hint: fix or drop those rows; raking needs positive start weights",
                s = if count == 1 { "" } else { "s" },
                w = weight.as_deref().unwrap_or("weight"),
                first = r + 1,
                value = d[r],
            ));
        }
        if batch.num_rows() == 0 {
            diags.push(format!("{input}: the input has no rows"));
        }
        if batch.schema().index_of(&opts.weight_column).is_ok() {
            diags.push(format!(
                "the input already has a column `{}`\n    hint: name the output weight column with --weight-column",
                opts.weight_column
            ));
        }
        if !diags.is_empty() {
            return Err(ReweightError::Diagnostics(diags));
        }
        (None, vec![Some(0); batch.num_rows()], weight)
    };
    let d = start_weights(batch, weight.as_deref());
    Ok(Start {
        problem,
        cell_of,
        weight,
        d,
    })
}

/// Per group of every label that no positive weights bring to its label's target rate
/// `rho`, the error naming the table, label and group.
fn unreachable_groups(
    db: &Database,
    gathered: &[Label],
    tilts: &[Tilt],
    offsets: &[usize],
    rho: &[f64],
) -> Vec<String> {
    let mut diags = Vec::new();
    for (k, l) in gathered.iter().enumerate() {
        for (g, name) in l.groups.iter().enumerate() {
            let Some(above) = tilting::infeasible(&tilts[offsets[k] + g]) else {
                continue;
            };
            let (n, a) = l
                .rows
                .iter()
                .filter(|r| r.1 == g)
                .fold((0u64, 0u64), |(n, a), r| (n + 1, a + u64::from(r.2)));
            let why = if a == 0 {
                format!("none of its {n} `{}` rows is `{}`", l.label, l.favourable)
            } else if a == n {
                format!("all of its {n} `{}` rows are `{}`", l.label, l.favourable)
            } else {
                format!(
                    "every person in it has a share of `{}` rows {} the target",
                    l.favourable,
                    if above { "at or above" } else { "at or below" }
                )
            };
            diags.push(format!(
                "table `{}`: fairness: the group {} = {name} cannot be brought to the rate of `{}` = `{}` over all rows ({:.4}) by weighting people: {why}\n    hint: merge small groups, drop the group's rows, or reweight without parity (--no-parity)",
                db.tables[l.table].name(),
                l.of.join(" & "),
                l.label,
                l.favourable,
                rho[k]
            ));
        }
    }
    diags
}

/// The parity report of one label: rates per group under the start weights `d` and the
/// final weights `w` of the people (of root table `person`), `rho` the target rate.
fn label_report(
    db: &Database,
    person: &str,
    l: &Label,
    rho: f64,
    d: &[f64],
    w: &[f64],
) -> ChildParityReport {
    let attributes: Vec<AttributeReport> = l
        .attributes
        .iter()
        .map(|(column, names, at)| {
            let before = rates(l, at, names.len(), d);
            let after = rates(l, at, names.len(), w);
            let (spd_before, di_before) = spread(&before);
            let (spd_after, di_after) = spread(&after);
            AttributeReport {
                column: column.clone(),
                groups: names
                    .iter()
                    .zip(before.iter().zip(&after))
                    .map(|(g, (b, a))| GroupRate {
                        group: g.clone(),
                        rate_before: *b,
                        rate_after: *a,
                    })
                    .collect(),
                spd_before,
                spd_after,
                di_before,
                di_after,
            }
        })
        .collect();
    let joint: Vec<usize> = l.rows.iter().map(|r| r.1).collect();
    let max_abs_error = rates(l, &joint, l.groups.len(), w)
        .iter()
        .map(|r| (r - rho).abs())
        .fold(0.0, f64::max);
    let row_weights: Vec<f64> = l.rows.iter().map(|r| w[r.0]).collect();
    ChildParityReport {
        table: db.tables[l.table].name().to_string(),
        label: l.label.clone(),
        favourable: l.favourable.clone(),
        independent_of: l.of.clone(),
        person: person.to_string(),
        rows: l.rows.len() as u64,
        rows_left_out: l.left_out,
        target_rate: rho,
        max_abs_error,
        attributes,
        weights: weight_report(&row_weights, false),
    }
}

/// A person's counts in one tilt: (tilt, favourable rows, labelled rows).
type Count = (u32, u32, u32);

/// Reweights the people of root table `root` (`batch`: its rows, in order) to the root's
/// targets and parity (`opts`, as one-table `reweight` takes them) and to the parity at the
/// person of the labels of the child tables `labels`. Returns the root's report, every root
/// row's weight and each label's parity report.
pub(super) fn reweight_root(
    db: &Database,
    inputs: &[Input],
    root: usize,
    labels: &[usize],
    opts: &Options,
    batch: &RecordBatch,
) -> Result<(Report, Vec<f64>, Vec<ChildParityReport>), ReweightError> {
    let t = &db.tables[root];
    let schema = &t.schema;
    let first = labels.first().map_or("", |&i| db.tables[i].name());
    if opts.min_weight.is_some() || opts.max_weight.is_some() {
        return Err(ReweightError::Diagnostics(vec![format!(
            "--min-weight and --max-weight cannot be combined with the parity of a child table's label at the person (table `{first}`) yet\n    hint: reweight without bounds, or without parity (--no-parity)"
        )]));
    }
    let input = inputs[root].label().display().to_string();
    let Start {
        problem,
        cell_of,
        weight,
        d,
    } = start(schema, opts, batch, &input)?;
    let persons = batch.num_rows();

    // The child labels' counted rows.
    let tables = load(db, inputs, labels)?;
    let mut diags = Vec::new();
    let mut gathered = Vec::new();
    for &i in labels {
        match gather(db, &tables, i, root) {
            Ok(l) => gathered.push(l),
            Err(e) => diags.push(format!("table `{}`: fairness: {e}", db.tables[i].name())),
        }
    }
    if !diags.is_empty() {
        return Err(ReweightError::Diagnostics(diags));
    }

    // The target rate of every label, and every person's counts per tilt (label x group).
    let mut offsets = Vec::with_capacity(gathered.len());
    let mut rho = Vec::with_capacity(gathered.len());
    let mut tilts_n = 0usize;
    let mut counts: Vec<Vec<Count>> = vec![Vec::new(); persons];
    for l in &gathered {
        offsets.push(tilts_n);
        let (mut fav, mut all) = (0.0, 0.0);
        for &(p, g, f) in &l.rows {
            all += d[p];
            if f {
                fav += d[p];
            }
            let tilt = (tilts_n + g) as u32;
            let c = &mut counts[p];
            match c.iter_mut().find(|c| c.0 == tilt) {
                Some(c) => {
                    c.1 += u32::from(f);
                    c.2 += 1;
                }
                None => c.push((tilt, u32::from(f), 1)),
            }
        }
        rho.push(if all > 0.0 { fav / all } else { 0.0 });
        tilts_n += l.groups.len();
    }
    counts.iter_mut().for_each(|c| c.sort_unstable());

    // Share margins of the person's groups, when the protected columns are the root's own.
    let mut share_sets: Vec<Vec<String>> = Vec::new();
    for l in &gathered {
        let own_columns: Option<Vec<String>> =
            l.of.iter()
                .map(|q| {
                    q.split_once('.')
                        .filter(|(tb, _)| *tb == t.name())
                        .map(|(_, c)| c.to_string())
                })
                .collect();
        let Some(cols) = own_columns else {
            continue;
        };
        // A margin over these columns (a target, the root's parity margin) already keeps
        // their shares.
        let covered = problem.as_ref().is_some_and(|p| {
            p.margins()
                .iter()
                .any(|m| cols.iter().all(|c| m.columns.contains(c)))
        });
        if !covered && !share_sets.contains(&cols) {
            share_sets.push(cols);
        }
    }
    let mut share_groups: Vec<(Vec<String>, Vec<usize>)> = Vec::new();
    for cols in &share_sets {
        // Per column, each person's level (numbers by their bands; none: `<null>`).
        let levels: Vec<Vec<String>> = cols
            .iter()
            .map(|c| {
                let values = tables[root].column(c).map(|c| &c.values);
                let bins = schema.column(c).and_then(|c| c.bins.clone());
                let band = |x: f64| {
                    let b = bins.as_ref()?;
                    b.band(x).map(|k| b.labels[k].clone())
                };
                (0..persons)
                    .map(|r| {
                        values
                            .and_then(|v| level(v, r, &band))
                            .unwrap_or_else(|| NULL_LEVEL.to_string())
                    })
                    .collect()
            })
            .collect();
        let names: Vec<String> = (0..persons)
            .map(|r| {
                levels
                    .iter()
                    .map(|l| l[r].as_str())
                    .collect::<Vec<_>>()
                    .join(" & ")
            })
            .collect();
        share_groups.push(ids(&names));
    }

    // Classes of people alike in every constraint, numbered as first met in row order.
    let mut class_of = vec![0usize; persons];
    let mut index: HashMap<(usize, Vec<usize>, &[Count]), usize> = HashMap::new();
    let mut start: Vec<f64> = Vec::new();
    let mut dmin: Vec<f64> = Vec::new();
    let mut first_person: Vec<usize> = Vec::new();
    for p in 0..persons {
        let Some(cell) = cell_of[p] else {
            return Err(ReweightError::Diagnostics(vec![format!(
                "{input}: row {} has no cell of the raking variables",
                p + 1
            )]));
        };
        let shares: Vec<usize> = share_groups.iter().map(|(_, at)| at[p]).collect();
        let next = start.len();
        let c = *index
            .entry((cell, shares, counts[p].as_slice()))
            .or_insert(next);
        if c == next {
            start.push(0.0);
            dmin.push(f64::INFINITY);
            first_person.push(p);
        }
        start[c] += d[p];
        dmin[c] = dmin[c].min(d[p]);
        class_of[p] = c;
    }
    let classes = start.len();

    // The tilts, checked: each group needs people on both sides of the target rate.
    let mut tilts: Vec<Tilt> = vec![
        Tilt {
            members: Vec::new()
        };
        tilts_n
    ];
    for (c, &p) in first_person.iter().enumerate() {
        for &(tilt, a, n) in &counts[p] {
            let l = offsets
                .iter()
                .rposition(|&o| o <= tilt as usize)
                .unwrap_or(0);
            tilts[tilt as usize].members.push((
                c,
                f64::from(a) - rho[l] * f64::from(n),
                f64::from(n),
            ));
        }
    }
    diags.extend(unreachable_groups(db, &gathered, &tilts, &offsets, &rho));
    if !diags.is_empty() {
        return Err(ReweightError::Diagnostics(diags));
    }

    // The margins on classes: the root's (through its cells), then the share margins.
    let cell_class: Vec<usize> = first_person
        .iter()
        .map(|&p| cell_of[p].unwrap_or(0))
        .collect();
    let mut margins: Vec<Shares> = Vec::new();
    let mut target_margins = 0;
    if let Some(pr) = &problem {
        for m in pr.margins() {
            margins.push(Shares {
                group: cell_class.iter().map(|&c| m.cell_group[c]).collect(),
                target: m.target.clone(),
            });
        }
        target_margins = opts.targets.len().min(margins.len());
    }
    let demographic = if target_margins > 0 {
        tilting::fit(
            &start,
            &margins[..target_margins],
            &[],
            opts.tolerance,
            opts.max_iterations,
        )
        .weights
    } else {
        start.clone()
    };
    let total: f64 = start.iter().sum();
    let mut share_margins = Vec::new();
    for (names, at) in &share_groups {
        let group: Vec<usize> = first_person.iter().map(|&p| at[p]).collect();
        let mut m = Shares {
            group,
            target: vec![0.0; names.len()],
        };
        m.target = tilting::shares(&m, &demographic, total);
        share_margins.push(m);
    }
    margins.extend(share_margins.iter().cloned());

    let fit = tilting::fit(
        &start,
        &margins,
        &tilts,
        opts.tolerance,
        opts.max_iterations,
    );
    let factor: Vec<f64> = fit.weights.iter().zip(&start).map(|(w, s)| w / s).collect();
    // Weights driven to zero: the constraints contradict each other for these people.
    let floor = 1e-9 * total / persons.max(1) as f64;
    let zero: Vec<usize> = (0..classes)
        .filter(|&c| !(factor[c].is_finite() && factor[c] * dmin[c] > floor))
        .collect();
    if let Some(&c) = zero.first() {
        let people = class_of.iter().filter(|c| zero.contains(c)).count();
        return Err(ReweightError::Diagnostics(vec![format!(
            "the targets and the parity at the person cannot all be met with this data: reweighting drives the weights of {people} {} of `{}` to zero (first: row {})\n    hint: the constraints contradict each other for these people; check the targets against the data, or reweight without parity (--no-parity)",
            if people == 1 { "person" } else { "people" },
            t.name(),
            first_person[c] + 1
        )]));
    }
    let w: Vec<f64> = (0..persons).map(|p| d[p] * factor[class_of[p]]).collect();

    // The root's report.
    let converged = fit.worst <= opts.tolerance;
    let share_reports: Vec<MarginReport> = share_sets
        .iter()
        .zip(&share_groups)
        .zip(&share_margins)
        .map(|((cols, (names, _)), m)| {
            let b = tilting::shares(m, &start, total);
            let a = tilting::shares(m, &fit.weights, total);
            MarginReport::new(cols.clone(), names, &m.target, &b, &a)
        })
        .collect();
    let mut report = match &problem {
        Some(pr) => {
            let mut after = vec![0.0; pr.cells.len()];
            for (c, &cell) in cell_class.iter().enumerate() {
                after[cell] += fit.weights[c];
            }
            let factors = pr
                .cells
                .iter()
                .zip(&after)
                .map(|(c, a)| a / c.acc.wsum)
                .collect();
            pr.report(
                &Solution::new(factors, fit.iterations, fit.stop),
                opts,
                persons as u64,
                &weight,
            )
        }
        None => Report {
            rows: persons as u64,
            rows_written: 0,
            start_weights: weight.clone().unwrap_or_else(|| "unit".into()),
            total_weight: total,
            cells: classes,
            iterations: fit.iterations,
            stop_reason: fit.stop,
            converged,
            tolerance: opts.tolerance,
            bounds: None,
            margins: Vec::new(),
            weights: weight_report(&[], false),
            fairness: None,
            dropped_identifiers: Vec::new(),
            resample: None,
        },
    };
    report.margins.extend(share_reports);
    report.converged = converged;
    report.stop_reason = if converged {
        StopReason::Converged
    } else {
        fit.stop
    };
    report.rows_written = persons as u64;
    report.weights = weight_report(&w, true);

    // The labels' reports.
    let children = gathered
        .iter()
        .zip(&rho)
        .map(|(l, &rho)| label_report(db, t.name(), l, rho, &d, &w))
        .collect();
    Ok((report, w, children))
}

/// The summary lines of one child label's parity, for stderr.
pub(super) fn summary(c: &ChildParityReport) -> String {
    use std::fmt::Write;
    // Rounding noise like -1e-17 should read as 0, not -0.0000.
    let z = |x: f64| if x.abs() < 5e-5 { 0.0 } else { x };
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{}: parity at the person ({}) of {} = {} over {} rows ({} left out), every group brought to {:.4}:",
        c.table, c.person, c.label, c.favourable, c.rows, c.rows_left_out, c.target_rate
    );
    for a in &c.attributes {
        let _ = writeln!(
            s,
            "  by {}: SPD {:+.4} -> {:+.4}, DI {:.4} -> {:.4}",
            a.column,
            z(a.spd_before),
            z(a.spd_after),
            a.di_before,
            a.di_after
        );
    }
    let w = &c.weights;
    let _ = writeln!(
        s,
        "  row weights: min {:.4}, max {:.4}, mean {:.4}, design effect {:.3}, effective n {:.0}",
        w.min, w.max, w.mean, w.design_effect, w.effective_sample_size
    );
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_sort_names_and_place_values() {
        let (names, at) = ids(&["M".into(), "F".into(), "M".into()]);
        assert_eq!(names, ["F", "M"]);
        assert_eq!(at, [1, 0, 1]);
    }

    #[test]
    fn spread_is_lowest_minus_highest() {
        let (spd, di) = spread(&[0.45, 0.75]);
        assert!((spd + 0.3).abs() < 1e-12);
        assert!((di - 0.6).abs() < 1e-12);
        assert_eq!(spread(&[0.0, 0.0]), (0.0, 1.0));
    }

    #[test]
    fn the_root_of_a_table_follows_the_driving_keys() {
        let yaml = "version: 1\nname: b\ntables:\n  - name: client\n    rows: 3\n    primary_key: id\n    columns:\n      - {name: id, type: int, role: identifier}\n      - {name: sex, type: category, role: protected}\n  - name: loan\n    primary_key: lid\n    columns:\n      - {name: lid, type: int, role: identifier}\n      - {name: id, type: int, references: client, children: {shares: {\"1\": 1}}}\n      - {name: ok, type: bool, role: label}\n    fairness: {label: ok, independent_of: [client.sex]}\n";
        let crate::schema::Document::Database(db) =
            crate::schema::Document::from_str_named(yaml, "b.yaml").expect("schema")
        else {
            panic!("a database schema");
        };
        assert_eq!(root_of(&db, 1), Some(0));
        assert_eq!(child_labels(&db, 0), [1]);
        assert!(child_labels(&db, 1).is_empty());
    }
}
