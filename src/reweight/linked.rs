//! Reweighting linked tables at the person: each root table with `targets:` or `fairness:` in
//! its schema entry is reweighted as one table (raking to its targets, its label made
//! independent of its protected columns), and every row of the tables hanging from it
//! through driving keys carries its root row's weight. Any join of the weighted tables along
//! the driving keys then keeps the people's targets: a person's orders count as often as the
//! person does. Tables under no reweighted root get weight 1.
//!
//! # Parity of a label in a child table
//! A child table's `fairness:` naming the person's protected columns up its driving keys
//! (`loan.status` independent of `client.sex`) is honoured too: the root's people are
//! weighted so that the label's favourable rate among the child rows, each row weighted by
//! its person's weight, is the same in every protected group of the person (the groups and
//! rows of `evaluate DIR`'s parity at the person, [`crate::person`]), while the root's
//! targets and own parity still hold. Each person gets the weight of least Kullback-Leibler
//! divergence from their start weight that meets together the root's margins, the share of
//! people per protected group (when those are the root's columns; kept where the targets or
//! the start weights put it), and per label and group the weighted favourable rate equal to
//! the rate over all counted rows under the start weights. It is found by cyclic
//! I-projections: proportional fitting for the margins, an exponential tilt
//! `w * exp(lambda * (a - rate * n))` per group for the rates (`a` and `n` a person's
//! favourable and labelled child rows in the group, so people with mixed labels count with
//! both), on classes of people alike in every constraint, in a fixed order (the same weights
//! at any thread count). A group whose rows are all favourable (or none is) cannot be
//! reweighted to the common rate and is refused, naming the table, label and group; weights
//! the constraints drive to zero are refused too; a run stopped at the sweep limit is
//! reported as not converged. Weight bounds are not yet combined with it. The report gives
//! each label's rates per group, SPD and disparate impact before and after
//! ([`ChildParityReport`]).

use std::collections::HashMap;
use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::types::{Int32Type, Int64Type};
use arrow_array::{Array, ArrayRef, Float64Array, RecordBatch};
use arrow_schema::{DataType, Field};

pub use super::child::ChildParityReport;
use super::{reweight, Options, Report, ReweightError};
use crate::io::read::{Input, Reader};
use crate::io::Output;
use crate::schema::{Database, Role};

/// What reweighting linked tables did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct LinkedReport {
    /// Per reweighted root table, its reweighting report.
    pub roots: Vec<(String, Report)>,
    /// Per table, the root whose weights it carries (`None`: weight 1).
    pub weighted_by: Vec<(String, Option<String>)>,
    /// Per child table's label made independent of the person's protected columns, its
    /// parity at the person before and after (absent when there is none).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub children: Vec<ChildParityReport>,
}

/// Keys of a column as text (numbers as written), for matching child rows to parents.
fn key_texts(a: &dyn Array) -> Vec<Option<String>> {
    let text = |i: usize, f: &dyn Fn(usize) -> String| (!a.is_null(i)).then(|| f(i));
    match a.data_type() {
        DataType::Int64 => {
            let p = a.as_primitive::<Int64Type>();
            (0..a.len())
                .map(|i| text(i, &|i| p.value(i).to_string()))
                .collect()
        }
        DataType::Int32 => {
            let p = a.as_primitive::<Int32Type>();
            (0..a.len())
                .map(|i| text(i, &|i| p.value(i).to_string()))
                .collect()
        }
        DataType::Utf8 => {
            let s = a.as_string::<i32>();
            (0..a.len())
                .map(|i| text(i, &|i| s.value(i).to_string()))
                .collect()
        }
        DataType::Dictionary(..) => match a.as_any_dictionary_opt() {
            Some(d) => {
                let values = key_texts(d.values().as_ref());
                let keys = d.normalized_keys();
                (0..a.len())
                    .map(|i| {
                        if a.is_null(i) {
                            None
                        } else {
                            values.get(keys[i]).cloned().flatten()
                        }
                    })
                    .collect()
            }
            None => vec![None; a.len()],
        },
        DataType::Float64 => {
            let p = a.as_primitive::<arrow_array::types::Float64Type>();
            (0..a.len())
                .map(|i| text(i, &|i| format!("{}", p.value(i))))
                .collect()
        }
        _ => vec![None; a.len()],
    }
}

fn concat(
    schema: arrow_schema::SchemaRef,
    batches: &[RecordBatch],
) -> Result<RecordBatch, ReweightError> {
    arrow_select::concat::concat_batches(&schema, batches)
        .map_err(|e| ReweightError::Diagnostics(vec![e.to_string()]))
}

/// Reweights the tables of `db` (`inputs`: one per table, in its order) at the person.
/// `opts` applies to every reweighted root table except its targets and parity, which come
/// from that table's schema entry (`parity` off turns them all off). Returns the report and
/// every table's rows with the weight column (identifiers other than keys dropped unless
/// `keep_identifiers`), in the schema's order.
pub fn reweight_linked(
    db: &Database,
    inputs: &[Input],
    opts: &Options,
) -> Result<(LinkedReport, Vec<(String, RecordBatch)>), ReweightError> {
    if inputs.len() != db.tables.len() {
        return Err(ReweightError::Diagnostics(vec![format!(
            "{} inputs given for a schema of {} tables",
            inputs.len(),
            db.tables.len()
        )]));
    }
    // Per root, the child tables whose label is made independent of its people's groups.
    let child_labels: Vec<Vec<usize>> = (0..db.tables.len())
        .map(|i| {
            if opts.parity && db.tables[i].is_root() {
                super::child::child_labels(db, i)
            } else {
                Vec::new()
            }
        })
        .collect();
    let roots: Vec<usize> = db
        .tables
        .iter()
        .enumerate()
        .filter(|(i, t)| {
            t.is_root()
                && (!t.schema.targets.is_empty()
                    || t.schema.fairness.is_some()
                    || !child_labels[*i].is_empty())
        })
        .map(|(i, _)| i)
        .collect();
    if roots.is_empty() {
        return Err(ReweightError::Diagnostics(vec![
            "no root table of the schema has `targets:` or `fairness:`, and no child table's `fairness:` is applied: there is nothing to reweight the people to\n    hint: add `targets:` (or `fairness:`) to the entry of the table of people, or a `fairness:` naming the person's protected columns to a child table's (without --no-parity)".into(),
        ]));
    }
    let keys_of = |i: usize| -> Vec<&str> {
        let t = &db.tables[i];
        std::iter::once(t.primary_key.as_str())
            .chain(t.foreign_keys.iter().map(|f| f.column.as_str()))
            .collect()
    };
    let mut batches: Vec<Option<RecordBatch>> = vec![None; db.tables.len()];
    let mut weights: Vec<Option<Vec<f64>>> = vec![None; db.tables.len()];
    let mut weighted_by: Vec<Option<String>> = vec![None; db.tables.len()];
    let mut reports = Vec::new();
    let mut children = Vec::new();
    for &i in &roots {
        let t = &db.tables[i];
        let o = Options {
            targets: t.schema.targets.clone(),
            parity: opts.parity && t.schema.fairness.is_some(),
            keep_identifiers: true,
            resample: None,
            ..opts.clone()
        };
        if !child_labels[i].is_empty() {
            let reader = Reader::open(&inputs[i], &t.schema)?;
            let schema = reader.schema();
            let all: Vec<RecordBatch> = reader.collect::<Result<_, _>>()?;
            let b = concat(schema, &all)?;
            let (report, w, kids) =
                super::child::reweight_root(db, inputs, i, &child_labels[i], &o, &b)?;
            batches[i] = Some(b);
            weights[i] = Some(w);
            weighted_by[i] = Some(t.name().to_string());
            reports.push((t.name().to_string(), report));
            children.extend(kids);
            continue;
        }
        let (report, written) = reweight(
            &inputs[i],
            &t.schema,
            &o,
            Output::Memory,
            serde_json::Value::Null,
        )?;
        let b = concat(written.schema.clone(), &written.batches)?;
        let w = b
            .column_by_name(&opts.weight_column)
            .and_then(|c| c.as_primitive_opt::<arrow_array::types::Float64Type>())
            .map(|c| c.values().to_vec())
            .unwrap_or_default();
        // The table without the weight column: it is added back with the others.
        let keep: Vec<usize> = (0..b.num_columns())
            .filter(|&k| b.schema().field(k).name() != &opts.weight_column)
            .collect();
        let b = b
            .project(&keep)
            .map_err(|e| ReweightError::Diagnostics(vec![e.to_string()]))?;
        let plain = Arc::new(b.schema().as_ref().clone().with_metadata(HashMap::new()));
        batches[i] = Some(
            b.with_schema(plain)
                .map_err(|e| ReweightError::Diagnostics(vec![e.to_string()]))?,
        );
        weights[i] = Some(w);
        weighted_by[i] = Some(t.name().to_string());
        reports.push((t.name().to_string(), report));
    }
    for i in db.order() {
        if batches[i].is_none() {
            let t = &db.tables[i];
            let reader = Reader::open(&inputs[i], &t.schema)?;
            let schema = reader.schema();
            let all: Vec<RecordBatch> = reader.collect::<Result<_, _>>()?;
            batches[i] = Some(concat(schema, &all)?);
        }
        if weights[i].is_some() {
            continue;
        }
        let t = &db.tables[i];
        let rows = batches[i].as_ref().map_or(0, RecordBatch::num_rows);
        let inherited = t.driving().and_then(|fk| {
            let p = db.table_index(&fk.table)?;
            let pw = weights[p].as_ref()?;
            let pb = batches[p].as_ref()?;
            let pk = key_texts(pb.column_by_name(&db.tables[p].primary_key)?.as_ref());
            let index: HashMap<&str, usize> = pk
                .iter()
                .enumerate()
                .filter_map(|(r, k)| Some((k.as_deref()?, r)))
                .collect();
            let fkv = key_texts(batches[i].as_ref()?.column_by_name(&fk.column)?.as_ref());
            let w: Vec<f64> = fkv
                .iter()
                .map(|k| {
                    k.as_deref()
                        .and_then(|k| index.get(k))
                        .map_or(0.0, |&r| pw[r])
                })
                .collect();
            Some((w, weighted_by[p].clone()))
        });
        match inherited {
            Some((w, by)) => {
                weights[i] = Some(w);
                weighted_by[i] = by;
            }
            None => weights[i] = Some(vec![1.0; rows]),
        }
    }
    let mut out = Vec::with_capacity(db.tables.len());
    for (i, t) in db.tables.iter().enumerate() {
        let (Some(b), Some(w)) = (batches[i].take(), weights[i].take()) else {
            continue;
        };
        let keys = keys_of(i);
        let mut fields: Vec<Field> = Vec::new();
        let mut columns: Vec<ArrayRef> = Vec::new();
        for (k, f) in b.schema().fields().iter().enumerate() {
            let identifier = t
                .schema
                .column(f.name())
                .is_some_and(|c| c.role == Role::Identifier);
            if identifier && !opts.keep_identifiers && !keys.contains(&f.name().as_str()) {
                continue;
            }
            fields.push(f.as_ref().clone());
            columns.push(b.column(k).clone());
        }
        fields.push(Field::new(&opts.weight_column, DataType::Float64, false));
        columns.push(Arc::new(Float64Array::from(w)));
        let batch = RecordBatch::try_new(Arc::new(arrow_schema::Schema::new(fields)), columns)
            .map_err(|e| ReweightError::Diagnostics(vec![format!("table `{}`: {e}", t.name())]))?;
        out.push((t.name().to_string(), batch));
    }
    Ok((
        LinkedReport {
            roots: reports,
            weighted_by: db
                .tables
                .iter()
                .zip(weighted_by)
                .map(|(t, b)| (t.name().to_string(), b))
                .collect(),
            children,
        },
        out,
    ))
}

/// A short human summary of a linked report, for stderr: each root's reweighting
/// ([`super::summary`]), then each child label's parity at the person.
pub fn summary(r: &LinkedReport) -> String {
    let mut s = String::new();
    for (n, root) in &r.roots {
        s.push_str(&format!("{n}: {}", super::summary(root)));
    }
    for c in &r.children {
        s.push_str(&super::child::summary(c));
    }
    s
}

/// The warnings of a linked report's roots that did not reach their targets (and parity),
/// one per root, in words.
pub fn not_reached_warnings(r: &LinkedReport) -> Vec<String> {
    r.roots
        .iter()
        .filter_map(|(n, root)| super::not_reached_warning(root).map(|w| format!("{n}: {w}")))
        .collect()
}
