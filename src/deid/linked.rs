//! `deidentify` across linked tables: a folder with one file per table of a [`Database`],
//! de-identified table by table with the single-table pipeline ([`super::run::deidentify`]),
//! plus what only the whole database can decide. This module owns:
//!
//! - **key groups**: a primary key and every foreign key referencing it are treated alike. When
//!   any of them is an identifier (by role or action), all of them are pseudonymised (never
//!   dropped, so joins survive). The pseudonym of [`Key::pseudonym`] is keyed on the value
//!   alone (no column name is mixed in), so the same key value gets the same token in the
//!   primary key and in every foreign key, across tables and across runs with the same key.
//!   Values are compared as text ([`texts`]): a key and its references must have the same
//!   type (an `int` key and a `string` reference holding `"7"` agree, `7.0` would not).
//! - **propagation**: tables are processed parents first ([`Database::order`]). A row whose
//!   *driving* foreign key points at a parent row that was not released (no consent, suppressed
//!   for k-anonymity, or absent from the input) is removed, transitively down the tree; a
//!   non-driving foreign key pointing at such a row is set to null (the row itself belongs to
//!   its driving parent). A self-reference is settled by running the table again once its own
//!   released rows are known.
//! - **per-person figures** ([`PersonFigures`]): for each root table, the share of its released
//!   rows unique over their own quasi-identifiers, and over those plus, for every table below
//!   it through driving keys, the number of rows joined to the person and the multiset of
//!   those rows' released quasi-identifier values.
//!
//! Every table is held in memory (read once, de-identified in memory to learn which rows are
//! released, then written): the folder mode is for databases that fit in memory. Files are
//! written only after every table succeeded, each through the same temporary-file mechanism
//! as the single-table command, so an open [`crate::io::Transaction`] keeps the folder all or
//! nothing.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow_array::{ArrayRef, BooleanArray, RecordBatch};
use arrow_schema::SchemaRef;
use serde::Serialize;

use super::pseudo::Key;
use super::run::{deidentify, DeidError, Options, Report};
use crate::io::read::{texts, Format, Input, Reader};
use crate::io::Batches;
use crate::io::Output;
use crate::schema::{Action, Database, InputOptions, Role, Schema};

/// What happened to the keys of one primary key and the foreign keys referencing it.
#[derive(Debug, Clone, Serialize)]
pub struct KeyGroup {
    /// The referenced table.
    pub table: String,
    /// Its primary key.
    pub primary_key: String,
    /// The referencing columns, as `table.column`.
    pub references: Vec<String>,
    /// `pseudonymise` or `keep`.
    pub action: String,
    /// Why.
    pub reason: String,
}

/// Rows a table lost, or references it nulled, because of one foreign key.
#[derive(Debug, Clone, Serialize)]
pub struct Propagation {
    /// The foreign-key column.
    pub column: String,
    /// The referenced table.
    pub parent: String,
    /// Whether the key drives the table (rows are removed) or not (references are nulled).
    pub driving: bool,
    /// Rows whose parent row was in the input but not released (no consent, suppressed for
    /// k-anonymity, or itself removed because of its own parent).
    pub parent_not_released: u64,
    /// Rows whose key names no row of the parent's input file.
    pub parent_not_in_input: u64,
}

/// One table of the folder.
#[derive(Debug, Clone, Serialize)]
pub struct TableReport {
    /// The table.
    pub table: String,
    /// The file read.
    pub file: String,
    /// The file written.
    pub output: String,
    /// Rows in the file.
    pub rows_in: u64,
    /// Rows removed because their driving parent was not released (sum over `propagation`
    /// of the driving key).
    pub removed_with_parent: u64,
    /// Rows removed for the table's own missing consent.
    pub consent_excluded: u64,
    /// Rows suppressed for k-anonymity in the table itself.
    pub suppressed_rows: u64,
    /// Rows written.
    pub rows_out: u64,
    /// Per foreign key: rows removed or references nulled.
    pub propagation: Vec<Propagation>,
    /// The single-table report of the rows given to the pipeline (after propagation).
    pub deidentify: Report,
}

/// Singling-out figures per person of a root table over what all tables release about them.
#[derive(Debug, Clone, Serialize)]
pub struct PersonFigures {
    /// The root table.
    pub table: String,
    /// Its released rows.
    pub persons: u64,
    /// Its released quasi-identifiers (as generalised).
    pub quasi_identifiers: Vec<String>,
    /// Tables below it through driving keys, with the quasi-identifiers of theirs counted.
    pub linked: Vec<LinkedTable>,
    /// Persons unique over their own quasi-identifiers.
    pub unique_own: u64,
    /// `unique_own` over `persons` (0 for none).
    pub unique_own_share: f64,
    /// Persons unique over their own quasi-identifiers plus, for each linked table, the count
    /// of their rows and the multiset of those rows' quasi-identifier values.
    pub unique_linked: u64,
    /// `unique_linked` over `persons` (0 for none).
    pub unique_linked_share: f64,
    /// The smallest group of persons sharing the same own-plus-linked values (k); 0 for none.
    pub k_linked: u64,
    /// What is counted and what is not.
    pub note: String,
}

/// A table counted in [`PersonFigures`].
#[derive(Debug, Clone, Serialize)]
pub struct LinkedTable {
    /// The table.
    pub table: String,
    /// Its released quasi-identifiers.
    pub quasi_identifiers: Vec<String>,
}

/// What `deidentify` did to a folder.
#[derive(Debug, Clone, Serialize)]
pub struct FolderReport {
    /// The folder read.
    pub input: String,
    /// The folder written.
    pub output: String,
    /// Files of the folder that are no table of the schema (skipped).
    pub skipped_files: Vec<String>,
    /// Fingerprint of the key used for the key groups (never the key).
    pub key_fingerprint: Option<String>,
    /// The key groups.
    pub keys: Vec<KeyGroup>,
    /// Per table, in schema order.
    pub tables: Vec<TableReport>,
    /// Per root table.
    pub persons: Vec<PersonFigures>,
}

/// The table files of `dir`: table name (file name without its table extensions), path and
/// format; and the files that are not tables.
/// A table file: its table name, path and format.
type TableFile = (String, PathBuf, Format);

fn list(dir: &Path) -> Result<(Vec<TableFile>, Vec<String>), DeidError> {
    let (tables, other) = crate::io::read::folder::table_files(dir)
        .map_err(|e| DeidError::Diagnostics(vec![e.to_string()]))?;
    Ok((
        tables
            .into_iter()
            .map(|t| (t.name, t.path, t.format))
            .collect(),
        other.iter().map(|p| p.display().to_string()).collect(),
    ))
}

/// Whether a column is an identifier for the key groups: its role, or an action that does
/// not release its values as they are.
fn identifying(schema: &Schema, column: &str) -> bool {
    schema.column(column).is_some_and(|c| {
        c.role == Role::Identifier
            || matches!(
                c.action,
                Some(Action::Drop | Action::Pseudonymise | Action::Fake)
            )
    })
}

/// The key groups of `db`, and the table schemas with every member of a pseudonymised group
/// given `action: pseudonymise`.
fn key_groups(db: &Database) -> (Vec<KeyGroup>, Vec<Schema>) {
    let mut schemas: Vec<Schema> = db.tables.iter().map(|t| t.schema.clone()).collect();
    let mut groups = Vec::new();
    for p in &db.tables {
        let mut members = vec![(p.name().to_string(), p.primary_key.clone())];
        for t in &db.tables {
            for fk in t.foreign_keys.iter().filter(|fk| fk.table == p.name()) {
                members.push((t.name().to_string(), fk.column.clone()));
            }
        }
        if members.len() == 1 {
            continue;
        }
        let flagged: Vec<String> = members
            .iter()
            .filter(|(t, c)| db.table(t).is_some_and(|t| identifying(&t.schema, c)))
            .map(|(t, c)| format!("{t}.{c}"))
            .collect();
        let pseudonymise = !flagged.is_empty();
        if pseudonymise {
            for (t, c) in &members {
                if let Some(i) = db.table_index(t) {
                    if let Some(col) = schemas[i].columns.iter_mut().find(|x| &x.name == c) {
                        col.action = Some(Action::Pseudonymise);
                    }
                }
            }
        }
        groups.push(KeyGroup {
            table: p.name().to_string(),
            primary_key: p.primary_key.clone(),
            references: members[1..]
                .iter()
                .map(|(t, c)| format!("{t}.{c}"))
                .collect(),
            action: if pseudonymise { "pseudonymise" } else { "keep" }.into(),
            reason: if pseudonymise {
                format!(
                    "{} {} an identifier: the primary key and every reference to it are pseudonymised with the same key (never dropped, so that joins survive)",
                    flagged.join(", "),
                    if flagged.len() == 1 { "is" } else { "are" }
                )
            } else {
                "no column of the group is an identifier: kept as it is".into()
            },
        });
    }
    (groups, schemas)
}

/// The texts of column `name` over all batches (empty when the column is absent).
fn column_texts(batches: &[RecordBatch], name: &str) -> Vec<Option<String>> {
    let mut out = Vec::new();
    for b in batches {
        if let Ok(i) = b.schema().index_of(name) {
            out.extend(texts(b.column(i)));
        }
    }
    out
}

/// The key values of the rows released: raw input texts of `pk` whose output value (the
/// pseudonym when pseudonymised) appears in the output.
fn released_keys(
    input: &[RecordBatch],
    output: &[RecordBatch],
    pk: &str,
    key: Option<&Key>,
) -> HashSet<String> {
    let out: HashSet<String> = column_texts(output, pk).into_iter().flatten().collect();
    column_texts(input, pk)
        .into_iter()
        .flatten()
        .filter(|v| match key {
            Some(k) => out.contains(&k.pseudonym(v)),
            None => out.contains(v),
        })
        .collect()
}

/// Applies the foreign keys of one table to its rows: removes rows whose driving parent is not
/// released and nulls non-driving references to rows not released.
struct Filter<'a> {
    keys: Vec<FkCheck<'a>>,
}

/// One foreign key to check: column, parent table, driving, the parent keys released and
/// the parent keys present in its input.
type FkCheck<'a> = (
    &'a str,
    &'a str,
    bool,
    &'a HashSet<String>,
    &'a HashSet<String>,
);

fn apply(
    batches: &[RecordBatch],
    f: &Filter<'_>,
    props: &mut [Propagation],
) -> Result<Vec<RecordBatch>, DeidError> {
    let err = |e: arrow_schema::ArrowError| DeidError::Diagnostics(vec![e.to_string()]);
    let mut out = Vec::with_capacity(batches.len());
    for b in batches {
        let n = b.num_rows();
        let mut keep = vec![true; n];
        let mut cols: Vec<ArrayRef> = b.columns().to_vec();
        for (k, &(col, _, driving, released, present)) in f.keys.iter().enumerate() {
            let Ok(i) = b.schema().index_of(col) else {
                continue;
            };
            let vals = texts(b.column(i));
            let mut null = vec![false; n];
            for (r, v) in vals.iter().enumerate() {
                let Some(v) = v else { continue };
                if released.contains(v) || !keep[r] {
                    continue;
                }
                if present.contains(v) {
                    props[k].parent_not_released += 1;
                } else {
                    props[k].parent_not_in_input += 1;
                }
                if driving {
                    keep[r] = false;
                } else {
                    null[r] = true;
                }
            }
            if null.iter().any(|x| *x) {
                cols[i] = arrow_select::nullif::nullif(&cols[i], &BooleanArray::from(null))
                    .map_err(err)?;
            }
        }
        let b = RecordBatch::try_new(b.schema(), cols).map_err(err)?;
        if keep.iter().all(|k| *k) {
            out.push(b);
        } else {
            out.push(
                arrow_select::filter::filter_record_batch(&b, &BooleanArray::from(keep))
                    .map_err(err)?,
            );
        }
    }
    Ok(out)
}

/// One table's released rows: their Arrow schema and batches.
pub type TableOutput = (SchemaRef, Vec<RecordBatch>);

/// One table's rows for [`deidentify_tables`]: where they come from, and how reports name it.
#[derive(Debug, Clone)]
pub struct TableInput {
    /// The file's path, or the table's name for rows in memory.
    pub label: String,
    /// The rows.
    pub input: Input,
}

/// De-identifies every table of `db` from the files of `dir` into `out_dir/<table>.parquet`.
/// `provenance(i)` is the provenance of table `i`. The files skipped are listed in the report.
pub fn deidentify_folder(
    dir: &Path,
    db: &Database,
    read_options: &InputOptions,
    opts: &Options,
    out_dir: &Path,
    provenance: &dyn Fn(usize) -> serde_json::Value,
) -> Result<FolderReport, DeidError> {
    let (files, mut skipped) = list(dir)?;
    for (name, path, _) in &files {
        if db.table(name).is_none() {
            skipped.push(path.display().to_string());
        }
    }
    skipped.sort();
    let missing: Vec<String> = db
        .tables
        .iter()
        .filter(|t| !files.iter().any(|(n, _, _)| n == t.name()))
        .map(|t| {
            format!(
                "the schema's table `{}` has no file in the folder `{}`\n    hint: add `{}.csv` (or .parquet, .xlsx, ...) to the folder, or remove the table from the schema",
                t.name(),
                dir.display(),
                t.name()
            )
        })
        .collect();
    if !missing.is_empty() {
        return Err(DeidError::Diagnostics(missing));
    }
    let inputs: Vec<TableInput> = db
        .tables
        .iter()
        .filter_map(|t| files.iter().find(|(n, _, _)| n == t.name()))
        .map(|(_, path, format)| TableInput {
            label: path.display().to_string(),
            input: Input::file(path, *format).with_options(read_options.clone()),
        })
        .collect();
    let (mut report, _) = deidentify_tables(&inputs, db, opts, Some(out_dir), provenance)?;
    report.input = dir.display().to_string();
    report.skipped_files = skipped;
    Ok(report)
}

/// De-identifies every table of `db` from `inputs` (one per table, in the schema's order):
/// into `out_dir/<table>.parquet` when given (written only once every table succeeded), and
/// returned as batches per table either way.
pub fn deidentify_tables(
    sources: &[TableInput],
    db: &Database,
    opts: &Options,
    out_dir: Option<&Path>,
    provenance: &dyn Fn(usize) -> serde_json::Value,
) -> Result<(FolderReport, Vec<TableOutput>), DeidError> {
    let diag = |m: String| DeidError::Diagnostics(vec![m]);
    if sources.len() != db.tables.len() {
        return Err(diag(format!(
            "{} tables given for a schema of {} tables",
            sources.len(),
            db.tables.len()
        )));
    }
    let (groups, mut schemas) = key_groups(db);
    // A row number `inspect` added as the key of a table that has none is not in the data and
    // nothing references it: it is neither read nor written (as `fit` leaves it out).
    for (t, s) in db.tables.iter().zip(schemas.iter_mut()) {
        if db.added_key(t) {
            s.columns.retain(|c| c.name != t.primary_key);
        }
    }
    // One key for every key group (the first pseudonymised group's table names the variable).
    let key: Option<Arc<Key>> = match (&opts.key, groups.iter().find(|g| g.action != "keep")) {
        (Some(k), _) => Some(k.clone()),
        (None, Some(g)) => {
            let env = db
                .table(&g.table)
                .map_or("FAIRSYNTH_KEY", |t| t.schema.privacy.key_env.as_str());
            Some(Arc::new(Key::load(opts.key_file.as_deref(), env)?))
        }
        (None, None) => None,
    };
    let opts = Options {
        key: key.clone(),
        ..opts.clone()
    };

    // Read every table, checking its keys.
    let mut inputs: Vec<Vec<RecordBatch>> = Vec::with_capacity(db.tables.len());
    let mut arrow_schemas = Vec::with_capacity(db.tables.len());
    let mut paths = Vec::with_capacity(db.tables.len());
    for ((t, schema), given) in db.tables.iter().zip(&schemas).zip(sources) {
        let path = &given.label;
        // Read errors name the table as well as the file.
        let named = |e: crate::io::read::ReadError| diag(format!("table `{}`: {e}", t.name()));
        let reader = Reader::open(&given.input, schema).map_err(named)?;
        let s = reader.schema();
        let mut need: Vec<&str> = Vec::new();
        if !db.added_key(t) {
            need.push(t.primary_key.as_str());
        }
        need.extend(t.foreign_keys.iter().map(|fk| fk.column.as_str()));
        for c in need {
            if s.index_of(c).is_err() {
                return Err(diag(format!(
                    "the key column `{c}` of the table `{}` is missing from `{path}`\n    hint: the file must hold the primary key and every foreign key the schema declares",
                    t.name(),
                )));
            }
        }
        let batches: Vec<RecordBatch> = reader.collect::<Result<_, _>>().map_err(named)?;
        inputs.push(batches);
        arrow_schemas.push(s);
        paths.push(path.clone());
    }
    let present: Vec<HashSet<String>> = db
        .tables
        .iter()
        .zip(&inputs)
        .map(|(t, b)| {
            column_texts(b, &t.primary_key)
                .into_iter()
                .flatten()
                .collect()
        })
        .collect();
    let pk_key = |i: usize| -> Option<&Key> {
        let pseudo = groups
            .iter()
            .any(|g| g.table == db.tables[i].name() && g.action != "keep");
        pseudo.then_some(key.as_deref()).flatten()
    };

    let n = db.tables.len();
    let mut released: Vec<HashSet<String>> = vec![HashSet::new(); n];
    let mut given: Vec<Option<Input>> = vec![None; n];
    let mut outputs: Vec<Vec<RecordBatch>> = vec![Vec::new(); n];
    let mut out_schemas: Vec<Option<SchemaRef>> = vec![None; n];
    let mut reports: Vec<Option<TableReport>> = vec![None; n];
    for i in db.order() {
        let t = &db.tables[i];
        let schema = &schemas[i];
        let mut own_released: Option<HashSet<String>> = None;
        // A self-reference needs the table's own released rows: a second round settles it
        // (nulling a reference changes no quasi-identifier, so the rows released stay).
        for _round in 0..2 {
            let empty = HashSet::new();
            let own = own_released.as_ref().unwrap_or(&present[i]);
            let mut filter = Filter { keys: Vec::new() };
            let mut props = Vec::new();
            for fk in &t.foreign_keys {
                let Some(j) = db.table_index(&fk.table) else {
                    continue;
                };
                let rel = if j == i { own } else { &released[j] };
                let rel = if j != i && reports[j].is_none() {
                    &empty
                } else {
                    rel
                };
                filter.keys.push((
                    fk.column.as_str(),
                    fk.table.as_str(),
                    fk.children.is_some(),
                    rel,
                    &present[j],
                ));
                props.push(Propagation {
                    column: fk.column.clone(),
                    parent: fk.table.clone(),
                    driving: fk.children.is_some(),
                    parent_not_released: 0,
                    parent_not_in_input: 0,
                });
            }
            let rows = apply(&inputs[i], &filter, &mut props)?;
            let input = Input::Memory(Batches::new(
                paths[i].clone(),
                arrow_schemas[i].clone(),
                rows.clone(),
            )?);
            let (report, written) =
                deidentify(&input, schema, &opts, Output::Memory, provenance(i))?;
            let rel = released_keys(&rows, &written.batches, &t.primary_key, pk_key(i));
            let settled = !t.foreign_keys.iter().any(|fk| fk.table == t.name())
                || own_released.as_ref() == Some(&rel);
            let removed_with_parent = props
                .iter()
                .filter(|p| p.driving)
                .map(|p| p.parent_not_released + p.parent_not_in_input)
                .sum();
            reports[i] = Some(TableReport {
                table: t.name().to_string(),
                file: paths[i].clone(),
                output: out_dir.map_or_else(
                    || format!("(in memory: {})", t.name()),
                    |d| {
                        d.join(format!("{}.parquet", t.name()))
                            .display()
                            .to_string()
                    },
                ),
                rows_in: inputs[i].iter().map(|b| b.num_rows() as u64).sum(),
                removed_with_parent,
                consent_excluded: report.consent_excluded,
                suppressed_rows: report.suppressed_rows,
                rows_out: report.rows_out,
                propagation: props,
                deidentify: report,
            });
            out_schemas[i] = Some(written.schema.clone());
            outputs[i] = written.batches;
            given[i] = Some(input);
            released[i] = rel.clone();
            if settled {
                break;
            }
            own_released = Some(rel);
        }
    }
    let tables: Vec<TableReport> = reports.into_iter().flatten().collect();
    let persons = person_figures(db, &tables, &outputs);

    // Every table succeeded: write the files (held by an open transaction until it commits).
    if let Some(out_dir) = out_dir {
        for (i, t) in db.tables.iter().enumerate() {
            let Some(input) = &given[i] else { continue };
            let target = out_dir.join(format!("{}.parquet", t.name()));
            deidentify(
                input,
                &schemas[i],
                &opts,
                Output::Table(&target, t.name()),
                provenance(i),
            )?;
        }
    }
    let report = FolderReport {
        input: "(tables in memory)".to_string(),
        output: out_dir.map_or_else(|| "(in memory)".to_string(), |d| d.display().to_string()),
        skipped_files: Vec::new(),
        key_fingerprint: key.as_ref().map(|k| k.fingerprint()),
        keys: groups,
        tables,
        persons,
    };
    let tables_out = out_schemas
        .into_iter()
        .zip(outputs)
        .zip(&arrow_schemas)
        .map(|((s, b), read)| (s.unwrap_or_else(|| read.clone()), b))
        .collect();
    Ok((report, tables_out))
}

/// Released quasi-identifier columns of a table's report.
fn released_qis(r: &TableReport) -> Vec<String> {
    r.deidentify
        .singling_out
        .as_ref()
        .map(|s| s.figures.quasi_identifiers.columns.clone())
        .unwrap_or_default()
}

/// One text per row joining the values of `columns` (unit separator; null as NUL).
fn row_tuples(batches: &[RecordBatch], columns: &[String], rows: usize) -> Vec<String> {
    let mut out = vec![String::new(); rows];
    for c in columns {
        for (r, v) in column_texts(batches, c).into_iter().enumerate() {
            if let Some(s) = out.get_mut(r) {
                s.push_str(v.as_deref().unwrap_or("\0"));
                s.push('\u{1f}');
            }
        }
    }
    out
}

/// The per-person figures of every root table (see [`PersonFigures`]), on the output rows.
fn person_figures(
    db: &Database,
    tables: &[TableReport],
    outputs: &[Vec<RecordBatch>],
) -> Vec<PersonFigures> {
    let rows = |i: usize| outputs[i].iter().map(RecordBatch::num_rows).sum::<usize>();
    let report = |i: usize| tables.iter().find(|r| r.table == db.tables[i].name());
    let order = db.order();
    let mut out = Vec::new();
    for (root, t) in db.tables.iter().enumerate().filter(|(_, t)| t.is_root()) {
        let Some(rr) = report(root) else { continue };
        let persons = rows(root);
        let own_qis = released_qis(rr);
        let own = row_tuples(&outputs[root], &own_qis, persons);
        // The person of every row of the tables below the root, through the driving keys.
        let mut person_of: HashMap<usize, Vec<Option<usize>>> = HashMap::new();
        person_of.insert(root, (0..persons).map(Some).collect());
        let mut linked = Vec::new();
        let mut extra: Vec<Vec<String>> = vec![Vec::new(); persons];
        for &c in &order {
            let ct = &db.tables[c];
            let Some(fk) = ct.driving() else { continue };
            let Some(p) = db.table_index(&fk.table) else {
                continue;
            };
            let Some(parent_person) = person_of.get(&p) else {
                continue;
            };
            let parent_keys = column_texts(&outputs[p], &db.tables[p].primary_key);
            let index: HashMap<&str, Option<usize>> = parent_keys
                .iter()
                .zip(parent_person)
                .filter_map(|(k, per)| k.as_deref().map(|k| (k, *per)))
                .collect();
            let mapped: Vec<Option<usize>> = column_texts(&outputs[c], &fk.column)
                .iter()
                .map(|v| v.as_deref().and_then(|v| index.get(v).copied().flatten()))
                .collect();
            let Some(cr) = report(c) else { continue };
            let qis = released_qis(cr);
            let tuples = row_tuples(&outputs[c], &qis, mapped.len());
            let mut per: Vec<Vec<&str>> = vec![Vec::new(); persons];
            for (r, m) in mapped.iter().enumerate() {
                if let Some(m) = m {
                    per[*m].push(&tuples[r]);
                }
            }
            for (e, mut v) in extra.iter_mut().zip(per) {
                v.sort_unstable();
                e.push(format!("{}:{}", v.len(), v.join("\u{1e}")));
            }
            linked.push(LinkedTable {
                table: ct.name().to_string(),
                quasi_identifiers: qis,
            });
            person_of.insert(c, mapped);
        }
        let unique = |keys: &[String]| -> (u64, u64) {
            let mut counts: HashMap<&str, u64> = HashMap::new();
            for k in keys {
                *counts.entry(k).or_default() += 1;
            }
            let unique = keys.iter().filter(|k| counts[k.as_str()] == 1).count() as u64;
            (unique, counts.values().copied().min().unwrap_or(0))
        };
        let (unique_own, _) = unique(&own);
        let full: Vec<String> = own
            .iter()
            .zip(&extra)
            .map(|(o, e)| format!("{o}\u{1d}{}", e.join("\u{1d}")))
            .collect();
        let (unique_linked, k_linked) = unique(&full);
        let share = |u: u64| {
            if persons == 0 {
                0.0
            } else {
                u as f64 / persons as f64
            }
        };
        out.push(PersonFigures {
            table: t.name().to_string(),
            persons: persons as u64,
            quasi_identifiers: own_qis,
            linked,
            unique_own,
            unique_own_share: share(unique_own),
            unique_linked,
            unique_linked_share: share(unique_linked),
            k_linked,
            note: "counted: the released rows of the root table; their quasi-identifiers as released (generalised); for each table below through driving keys (transitively), how many released rows join to the person and the sorted list of those rows' released quasi-identifier values. Not counted: columns that are not quasi-identifiers (pseudonyms, features, dates not declared quasi-identifiers), rows joined through non-driving keys, and what other root tables release".into(),
        });
    }
    out
}

/// A short human summary of a folder report, for stderr.
pub fn summary(r: &FolderReport) -> String {
    use std::fmt::Write;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "de-identified {} tables from {} into {}",
        r.tables.len(),
        r.input,
        r.output
    );
    for t in &r.tables {
        let _ = writeln!(
            s,
            "  {:<20} {} rows in, {} removed with their parent, {} without consent, {} suppressed, {} written",
            t.table, t.rows_in, t.removed_with_parent, t.consent_excluded, t.suppressed_rows, t.rows_out
        );
    }
    for g in r.keys.iter().filter(|g| g.action != "keep") {
        let _ = writeln!(
            s,
            "  key {}.{} and {}: pseudonymised alike",
            g.table,
            g.primary_key,
            g.references.join(", ")
        );
    }
    for p in &r.persons {
        let _ = writeln!(
            s,
            "  per {} row: {:.1}% unique over its own quasi-identifiers, {:.1}% with what {} linked table(s) release (k = {})",
            p.table,
            100.0 * p.unique_own_share,
            100.0 * p.unique_linked_share,
            p.linked.len(),
            p.k_linked
        );
    }
    if let Some(f) = &r.key_fingerprint {
        let _ = writeln!(s, "  key fingerprint: {f}");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn db(yaml: &str) -> Database {
        match crate::schema::Document::from_str_named(yaml, "test.yaml") {
            Ok(crate::schema::Document::Database(d)) => d,
            other => panic!("not a database: {other:?}"),
        }
    }

    const SCHEMA: &str = "version: 1\nname: t\ntables:\n  - name: p\n    rows: 3\n    primary_key: id\n    columns:\n      - {name: id, type: int, role: identifier, action: drop}\n      - {name: x, type: int}\n  - name: c\n    primary_key: cid\n    columns:\n      - {name: cid, type: int}\n      - name: pid\n        type: int\n        references: p\n        children: {shares: {\"1\": 1}}\n";

    #[test]
    fn a_referenced_identifier_key_is_pseudonymised_with_its_references() {
        let d = db(SCHEMA);
        let (groups, schemas) = key_groups(&d);
        let g = groups.iter().find(|g| g.table == "p").expect("group of p");
        assert_eq!(g.action, "pseudonymise");
        assert_eq!(g.references, vec!["c.pid".to_string()]);
        let pid = schemas[1].column("pid").expect("pid");
        assert_eq!(pid.action, Some(Action::Pseudonymise));
        let id = schemas[0].column("id").expect("id");
        assert_eq!(
            id.action,
            Some(Action::Pseudonymise),
            "drop became pseudonymise"
        );
        // `cid` is referenced by nobody: no group.
        assert!(!groups.iter().any(|g| g.table == "c"));
    }
}
