//! Discovery across a folder of tables (`inspect DIR`): finds each table's primary key, the
//! foreign keys between tables, how many children each parent has (as a count distribution),
//! and the date rules that hold on every row, then drafts a relational schema in the format of
//! issue 23 with the evidence beside each proposal.
//!
//! Each table's columns are profiled and drafted by the single-table `inspect` (see
//! [`crate::deid::inspect`] and [`crate::deid::draft`]); this module adds what only the whole
//! folder shows. Tables are streamed: per column that may be a key, only its distinct values
//! (hashed to 64 bits) and their row counts are kept.

mod counts;
mod keys;
mod render;
mod rules;
mod scan;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde::Serialize;

pub use counts::{ChildrenStats, Fit};
pub use render::{render, summary};

use crate::deid::inspect::Inspection;
use crate::deid::run::DeidError;
use crate::io::read::{Dialect, Format, Input, ReadError};
use crate::schema::InputOptions;
use scan::{KeyKind, TableScan};

/// Why discovery failed.
#[derive(Debug, thiserror::Error)]
pub enum DiscoverError {
    /// The folder cannot be listed.
    #[error("cannot list the folder `{path}`: {source}")]
    Folder {
        /// The folder.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// No file of the folder is a table.
    #[error("no table in the folder `{0}`{1}\n    hint: put one file per table in the folder (.csv, .tsv, .csv.gz, .parquet, .xlsx, .xls or .ods), named after the table")]
    Empty(PathBuf, String),
    /// Two files give one table name.
    #[error("two files name the table `{table}`: `{first}` and `{second}`\n    hint: keep one file per table")]
    SameTable {
        /// The table name (the file stem).
        table: String,
        /// One file.
        first: PathBuf,
        /// The other.
        second: PathBuf,
    },
    /// A table cannot be read.
    #[error("cannot read the table `{table}` from `{path}`: {source}")]
    Read {
        /// The table.
        table: String,
        /// Its file.
        path: PathBuf,
        /// The cause.
        source: Box<ReadError>,
    },
    /// A table's columns cannot be drafted.
    #[error("cannot draft the columns of the table `{table}` (`{path}`): {source}")]
    Draft {
        /// The table.
        table: String,
        /// Its file.
        path: PathBuf,
        /// The cause.
        source: Box<DeidError>,
    },
}

impl DiscoverError {
    /// Whether the user can fix it (bad input), as opposed to a failure of the machine.
    pub fn is_usage(&self) -> bool {
        match self {
            DiscoverError::Draft { source, .. } => source.is_usage(),
            _ => true,
        }
    }
}

/// A file of the folder that is not read as a table.
#[derive(Debug, Clone, Serialize)]
pub struct Skipped {
    /// The file.
    pub file: String,
    /// Why.
    pub reason: String,
}

/// One table and its key.
#[derive(Debug, Clone, Serialize)]
pub struct Table {
    /// Name (the file's stem).
    pub name: String,
    /// The file.
    pub file: String,
    /// Rows.
    pub rows: u64,
    /// The primary key found, if one is sure.
    pub primary_key: Option<String>,
    /// Why that key, or why none.
    pub key_evidence: String,
    /// A root: no driving foreign key, so a fixed row count.
    pub root: bool,
    /// The single-table profile and draft judgement of its columns.
    pub inspection: Inspection,
    /// Category levels of its columns, for the draft.
    #[serde(skip)]
    pub(crate) levels: HashMap<String, Vec<String>>,
    /// Depth below the roots (0 for a root).
    #[serde(skip)]
    pub(crate) level: usize,
}

/// A foreign key found.
#[derive(Debug, Clone, Serialize)]
pub struct ForeignKey {
    /// Child table.
    pub child: String,
    /// Child column.
    pub column: String,
    /// Parent table.
    pub parent: String,
    /// The parent's primary key.
    pub parent_key: String,
    /// `int` or `string`.
    pub key_type: String,
    /// Distinct non-null values in the child column.
    pub distinct: u64,
    /// Empty values in the child column.
    pub nulls: u64,
    /// Child rows.
    pub rows: u64,
    /// Parents with at least one child.
    pub parents_covered: u64,
    /// Each parent has at most one child (the child column's values are unique).
    pub unique: bool,
    /// Why this is a foreign key.
    pub evidence: String,
    /// The driving key of its table (its parent's rows generate the child's).
    pub driving: bool,
    /// Why it drives (or why not), for keys of tables with several parents.
    pub driving_reason: Option<String>,
    /// Children per parent (not for self-references).
    pub children: Option<ChildrenStats>,
}

impl ForeignKey {
    /// Whether it points at its own table.
    pub fn self_reference(&self) -> bool {
        self.child == self.parent
    }
}

/// A column whose values are all among a table's keys, not taken as a foreign key.
#[derive(Debug, Clone, Serialize)]
pub struct Rejected {
    /// Child table.
    pub child: String,
    /// Child column.
    pub column: String,
    /// Table whose key holds every value.
    pub parent: String,
    /// That key.
    pub parent_key: String,
    /// Distinct values.
    pub distinct: u64,
    /// Why it is not taken.
    pub reason: String,
}

/// An order between two dates that holds on every row.
#[derive(Debug, Clone, Serialize)]
pub struct Rule {
    /// The table the rule constrains.
    pub table: String,
    /// Left side, `table.column`.
    pub left: String,
    /// `>=` or `==`.
    pub op: String,
    /// Right side, `table.column` (the parent's column for a parent rule).
    pub right: String,
    /// The foreign key joining the parent, for a parent rule.
    pub via: Option<String>,
    /// Rows checked (both sides with a value).
    pub rows: u64,
}

impl Rule {
    /// The rule as a sentence.
    pub fn text(&self) -> String {
        let via = self
            .via
            .as_ref()
            .map_or(String::new(), |v| format!(" (joined by {v})"));
        format!(
            "{} {} {} holds on all {} rows{via}",
            self.left, self.op, self.right, self.rows
        )
    }
}

/// What `inspect DIR` found.
#[derive(Debug, Clone, Serialize)]
pub struct Discovery {
    /// The folder.
    pub folder: String,
    /// Tables, parents before children.
    pub tables: Vec<Table>,
    /// Files not read as tables.
    pub skipped: Vec<Skipped>,
    /// Foreign keys found.
    pub foreign_keys: Vec<ForeignKey>,
    /// Candidates rejected.
    pub rejected: Vec<Rejected>,
    /// Rules that hold on every row.
    pub rules: Vec<Rule>,
    /// What the draft cannot express or the reviewer must decide.
    pub warnings: Vec<String>,
}

/// The table files of `dir`, sorted by name, and the files skipped.
/// A table file: its table name, path and format.
type TableFile = (String, PathBuf, Format);

fn list(dir: &Path) -> Result<(Vec<TableFile>, Vec<Skipped>), DiscoverError> {
    use crate::io::read::folder::{table_files, FolderError};
    let (tables, other) = table_files(dir).map_err(|e| match e {
        FolderError::List { path, source } => DiscoverError::Folder { path, source },
        FolderError::SameTable {
            table,
            first,
            second,
        } => DiscoverError::SameTable {
            table,
            first,
            second,
        },
    })?;
    let skipped = other
        .into_iter()
        .map(|path| Skipped {
            file: path.display().to_string(),
            reason: "not a table format (.csv, .tsv, .csv.gz, .parquet, .xlsx, .xls or .ods)"
                .into(),
        })
        .collect();
    Ok((
        tables
            .into_iter()
            .map(|t| (t.name, t.path, t.format))
            .collect(),
        skipped,
    ))
}

/// A table while discovery runs.
struct Work {
    table: Table,
    input: Input,
    values: crate::io::read::ValueDialect,
    scan: TableScan,
    /// Index of the primary key in `scan.keys`.
    pk: Option<usize>,
}

/// Profiles every table of `dir` (read with `options`), finds keys, foreign keys, children
/// counts and rules.
pub fn discover(dir: &Path, options: &InputOptions) -> Result<Discovery, DiscoverError> {
    let (files, skipped) = list(dir)?;
    if files.is_empty() {
        let note = if skipped.is_empty() {
            String::new()
        } else {
            format!(
                " ({} file(s) skipped: {})",
                skipped.len(),
                skipped
                    .iter()
                    .map(|s| s.file.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        };
        return Err(DiscoverError::Empty(dir.to_path_buf(), note));
    }
    let mut work: Vec<Work> = Vec::new();
    let mut judge_failures: Vec<String> = Vec::new();
    for (name, path, format) in files {
        let read = |source| DiscoverError::Read {
            table: name.clone(),
            path: path.clone(),
            source: Box::new(source),
        };
        let input = Input::file(&path, format).with_options(options.clone());
        let mut ins = crate::deid::inspect::inspect(&input, None).map_err(read)?;
        let levels = crate::deid::inspect::category_levels(&input, &ins).map_err(read)?;
        // The single-table judge may refuse a table; its columns are then drafted from the
        // profile alone, and the draft says so (an I/O failure still stops discovery).
        let profiled = ins.clone();
        if let Err(source) = crate::deid::draft::draft(&input, &mut ins, &levels) {
            if !source.is_usage() {
                return Err(DiscoverError::Draft {
                    table: name.clone(),
                    path: path.clone(),
                    source: Box::new(source),
                });
            }
            ins = profiled;
            judge_failures.push(format!(
                "`{name}`: the single-table draft failed ({}); its columns are drafted from the profile alone, without deidentify's judgement: review them",
                source.to_string().split_whitespace().collect::<Vec<_>>().join(" ")
            ));
        }
        let values = ins
            .dialect
            .clone()
            .unwrap_or_else(|| Dialect::plain(format))
            .values();
        let scan = scan::scan(&input, &ins, &values).map_err(read)?;
        let (pk, key_evidence) = primary_key(&name, &scan);
        work.push(Work {
            table: Table {
                file: path.display().to_string(),
                rows: scan.rows,
                primary_key: pk.map(|i| scan.keys[i].name.clone()),
                key_evidence,
                root: true,
                inspection: ins,
                levels,
                level: 0,
                name,
            },
            input,
            values,
            scan,
            pk,
        });
    }
    let (mut foreign_keys, rejected) = foreign_keys(&work);
    let mut warnings = judge_failures;
    warnings.extend(choose_driving(&mut work, &mut foreign_keys));
    let mut rules = rules::within(&work_views(&work));
    rules.extend(rules::parents(&work_views(&work), &foreign_keys)?);
    let mut tables: Vec<Table> = work.into_iter().map(|w| w.table).collect();
    tables.sort_by(|a, b| a.level.cmp(&b.level).then_with(|| a.name.cmp(&b.name)));
    Ok(Discovery {
        folder: dir.display().to_string(),
        tables,
        skipped,
        foreign_keys,
        rejected,
        rules,
        warnings,
    })
}

/// What the rules need of a table.
pub(crate) struct View<'a> {
    pub(crate) name: &'a str,
    pub(crate) file: &'a str,
    pub(crate) input: &'a Input,
    pub(crate) values: &'a crate::io::read::ValueDialect,
    pub(crate) scan: &'a TableScan,
    pub(crate) key: Option<&'a str>,
}

fn work_views(work: &[Work]) -> Vec<View<'_>> {
    work.iter()
        .map(|w| View {
            name: &w.table.name,
            file: &w.table.file,
            input: &w.input,
            values: &w.values,
            scan: &w.scan,
            key: w.table.primary_key.as_deref(),
        })
        .collect()
}

/// The primary key of a table: a column unique and non-null, of a key type, under a key-like
/// name (the table's own id first, whole numbers first). Returns its index in `scan.keys` and
/// the evidence.
fn primary_key(table: &str, scan: &TableScan) -> (Option<usize>, String) {
    let unique: Vec<usize> = (0..scan.keys.len())
        .filter(|&i| scan.keys[i].unique_non_null(scan.rows))
        .collect();
    let best = unique
        .iter()
        .copied()
        .filter(|&i| keys::primary_name_score(&scan.keys[i].name, table) > 0)
        .max_by_key(|&i| {
            let k = &scan.keys[i];
            (
                keys::primary_name_score(&k.name, table),
                k.kind == KeyKind::Int,
                std::cmp::Reverse(k.index),
            )
        });
    let not_sure: Vec<String> = unique
        .iter()
        .filter(|&&i| Some(i) != best)
        .map(|&i| format!("`{}`", scan.keys[i].name))
        .collect();
    let also = if not_sure.is_empty() {
        String::new()
    } else {
        format!("; also unique and non-null: {}", not_sure.join(", "))
    };
    match best {
        Some(i) => (
            Some(i),
            format!(
                "`{}`: {} distinct values in {} rows, none empty, a key-like name{also}",
                scan.keys[i].name, scan.rows, scan.rows
            ),
        ),
        None if scan.rows == 0 => (None, "no rows: no key can be found".into()),
        None if unique.is_empty() => (
            None,
            "no column is unique and non-null: the table has no key of its own".into(),
        ),
        None => (
            None,
            format!(
                "not sure of a key: unique and non-null, but not named like a key: {}",
                not_sure.join(", ")
            ),
        ),
    }
}

/// The foreign keys between the tables, and the candidates rejected.
fn foreign_keys(work: &[Work]) -> (Vec<ForeignKey>, Vec<Rejected>) {
    let mut found = Vec::new();
    let mut rejected = Vec::new();
    for child in work {
        for (ci, col) in child.scan.keys.iter().enumerate() {
            if col.unparsed > 0 || col.counts.is_empty() {
                continue;
            }
            let is_own_key = child.pk == Some(ci);
            // (name evidence, log10 chance, parent index, evidence text)
            let mut accepted: Vec<(bool, f64, usize, String)> = Vec::new();
            let mut refused: Vec<Rejected> = Vec::new();
            for (pi, parent) in work.iter().enumerate() {
                let Some(pk) = parent.pk.map(|i| &parent.scan.keys[i]) else {
                    continue;
                };
                if std::ptr::eq(child, parent) && is_own_key {
                    continue;
                }
                if pk.kind != col.kind || !keys::included(&col.counts, &pk.counts) {
                    continue;
                }
                let d = col.counts.len();
                let chance = match col.kind {
                    KeyKind::Int => keys::chance_log10(d, pk.counts.len(), pk.min, pk.max),
                    KeyKind::Text => f64::NEG_INFINITY,
                };
                let covered = format!(
                    "all {d} distinct values are `{}.{}` keys ({} of {} keys covered)",
                    parent.table.name,
                    pk.name,
                    d,
                    pk.counts.len()
                );
                let reject = |reason: String| Rejected {
                    child: child.table.name.clone(),
                    column: col.name.clone(),
                    parent: parent.table.name.clone(),
                    parent_key: pk.name.clone(),
                    distinct: d as u64,
                    reason,
                };
                let evidence =
                    keys::name_evidence(&col.name, &child.table.name, &parent.table.name, &pk.name)
                        // A table's own key points at another table only by naming it (so of
                        // two tables keyed by `client_id`, `client_detail` points at `client`,
                        // not the other way round).
                        .filter(|_| {
                            !is_own_key
                                || keys::names_table(&col.name, &parent.table.name, &pk.name)
                        });
                if let Some(why) = evidence {
                    accepted.push((true, chance, pi, format!("{covered}; {why}")));
                } else if is_own_key {
                    refused.push(reject(format!(
                        "{covered}, but it is the table's own key and its name does not name `{}`",
                        parent.table.name
                    )));
                } else if keys::measure_like(&col.name) {
                    refused.push(reject(format!("{covered}, but the name says a measure")));
                } else if !keys::key_like(&col.name) {
                    refused.push(reject(format!(
                        "{covered}, but the name is not a key's and names no table"
                    )));
                } else if d < keys::STRONG_MIN_DISTINCT {
                    refused.push(reject(format!(
                        "{covered}, but {d} values are too few to tell without a name naming the table"
                    )));
                } else if chance > keys::STRONG_MAX_CHANCE_LOG10 {
                    refused.push(reject(format!(
                        "{covered}, but the keys are dense (chance inclusion 1e{chance:.1}): inclusion proves nothing without a name naming the table"
                    )));
                } else {
                    accepted.push((
                        false,
                        chance,
                        pi,
                        format!("{covered}; a key-like name, and inclusion by chance has probability 1e{chance:.0}"),
                    ));
                }
            }
            // One parent per column: name evidence first, then the least likely by chance.
            accepted.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.total_cmp(&b.1)).then(a.2.cmp(&b.2)));
            let mut accepted = accepted.into_iter();
            if let Some((_, _, pi, evidence)) = accepted.next() {
                let parent = &work[pi];
                let pk = parent.pk.map(|i| &parent.scan.keys[i]);
                let Some(pk) = pk else { continue };
                let covered = pk
                    .counts
                    .keys()
                    .filter(|k| col.counts.contains_key(k))
                    .count();
                let self_ref = std::ptr::eq(child, parent);
                found.push(ForeignKey {
                    child: child.table.name.clone(),
                    column: col.name.clone(),
                    parent: parent.table.name.clone(),
                    parent_key: pk.name.clone(),
                    key_type: col.kind.schema_type().into(),
                    distinct: col.counts.len() as u64,
                    nulls: col.nulls,
                    rows: child.scan.rows,
                    parents_covered: covered as u64,
                    unique: col.counts.values().all(|&n| n == 1),
                    evidence,
                    driving: false,
                    driving_reason: None,
                    children: (!self_ref)
                        .then(|| counts::stats(&counts::children_counts(&col.counts, &pk.counts)))
                        .flatten(),
                });
                for (_, _, pj, _) in accepted {
                    let other = &work[pj];
                    if let Some(opk) = other.pk.map(|i| &other.scan.keys[i]) {
                        refused.push(Rejected {
                            child: child.table.name.clone(),
                            column: col.name.clone(),
                            parent: other.table.name.clone(),
                            parent_key: opk.name.clone(),
                            distinct: col.counts.len() as u64,
                            reason: format!(
                                "also included, but `{}.{}` fits better",
                                parent.table.name, pk.name
                            ),
                        });
                    }
                }
            }
            rejected.extend(refused);
        }
    }
    (found, rejected)
}

/// Depth of every table below the roots along foreign keys (self-references and cycles
/// ignored).
fn levels(names: &[&str], fks: &[ForeignKey]) -> Vec<usize> {
    fn depth(
        i: usize,
        names: &[&str],
        fks: &[ForeignKey],
        memo: &mut [Option<usize>],
        on_path: &mut Vec<usize>,
    ) -> usize {
        if let Some(d) = memo[i] {
            return d;
        }
        on_path.push(i);
        let mut d = 0;
        for fk in fks
            .iter()
            .filter(|f| f.child == names[i] && !f.self_reference())
        {
            if let Some(p) = names.iter().position(|n| *n == fk.parent) {
                if !on_path.contains(&p) {
                    d = d.max(depth(p, names, fks, memo, on_path) + 1);
                }
            }
        }
        on_path.pop();
        memo[i] = Some(d);
        d
    }
    let mut memo = vec![None; names.len()];
    (0..names.len())
        .map(|i| depth(i, names, fks, &mut memo, &mut Vec::new()))
        .collect()
}

/// Chooses the driving foreign key of each table with parents (see [`driving_order`]) and
/// marks the roots; returns warnings on what the lead's format cannot express.
fn choose_driving(work: &mut [Work], fks: &mut [ForeignKey]) -> Vec<String> {
    let table_names: Vec<String> = work.iter().map(|w| w.table.name.clone()).collect();
    let names: Vec<&str> = table_names.iter().map(String::as_str).collect();
    let depth = levels(&names, fks);
    let has_parent =
        |t: &str, fks: &[ForeignKey]| fks.iter().any(|f| f.child == t && !f.self_reference());
    let roots: Vec<bool> = names.iter().map(|n| !has_parent(n, fks)).collect();
    let root_of = |t: &str| names.iter().position(|n| *n == t).is_some_and(|i| roots[i]);
    let depth_of = |t: &str| names.iter().position(|n| *n == t).map_or(0, |i| depth[i]);
    let mut driving_parent: HashMap<String, String> = HashMap::new();
    let mut warnings = Vec::new();
    for t in &table_names {
        let mine: Vec<usize> = (0..fks.len())
            .filter(|&i| fks[i].child == *t && !fks[i].self_reference())
            .collect();
        if mine.is_empty() {
            continue;
        }
        // Sort key, best first: the other references all point at roots (fixed row counts,
        // as non-driving references need); the deepest parent (the most specific lineage);
        // the most parents covered; counts that vary (a constant count says less).
        let key = |i: usize| {
            let f = &fks[i];
            let others_fixed = mine
                .iter()
                .filter(|&&j| j != i)
                .all(|&j| root_of(&fks[j].parent));
            let varies = f.children.as_ref().is_some_and(|c| c.min != c.max);
            (
                std::cmp::Reverse(others_fixed),
                std::cmp::Reverse(depth_of(&f.parent)),
                std::cmp::Reverse(f.parents_covered),
                std::cmp::Reverse(varies),
            )
        };
        let mut order = mine.clone();
        order.sort_by_key(|&i| key(i));
        let cycles = |p: &str, driving_parent: &HashMap<String, String>| {
            let mut at = p.to_string();
            for _ in 0..=table_names.len() {
                if at == *t {
                    return true;
                }
                match driving_parent.get(&at) {
                    Some(next) => at = next.clone(),
                    None => return false,
                }
            }
            true
        };
        let Some(&chosen) = order
            .iter()
            .find(|&&i| !cycles(&fks[i].parent, &driving_parent))
        else {
            warnings.push(format!(
                "`{t}`: every foreign key would close a cycle of driving keys: drafted as a root with a fixed row count"
            ));
            continue;
        };
        let mut reasons: Vec<(usize, String)> = Vec::new();
        if mine.len() > 1 {
            let c = &fks[chosen];
            let alternatives: Vec<String> = mine
                .iter()
                .filter(|&&j| j != chosen)
                .map(|&j| {
                    let f = &fks[j];
                    format!(
                        "`{}` → {} ({} of {} parents covered, {}depth {})",
                        f.column,
                        f.parent,
                        f.parents_covered,
                        f.children.as_ref().map_or(0, |s| s.parents),
                        if root_of(&f.parent) { "a root, " } else { "" },
                        depth_of(&f.parent)
                    )
                })
                .collect();
            let runner_up = order
                .iter()
                .copied()
                .find(|&j| j != chosen)
                .unwrap_or(chosen);
            let (a, b) = (key(chosen), key(runner_up));
            let why = if a.0 != b.0 {
                "the other references then all point at roots, whose row counts are fixed"
            } else if a.1 != b.1 {
                "its parent lies deepest in the lineage"
            } else if a.2 != b.2 {
                "it covers the most parents"
            } else if a.3 != b.3 {
                "its counts vary (a constant count is better read as a reference)"
            } else {
                "the first column among equals"
            };
            reasons.push((
                chosen,
                format!(
                    "drives `{t}` ({} of {} {} parents covered): {why}; other foreign keys: {}",
                    c.parents_covered,
                    c.children.as_ref().map_or(0, |s| s.parents),
                    c.parent,
                    alternatives.join("; ")
                ),
            ));
            for &j in mine.iter().filter(|&&j| j != chosen) {
                let f = &fks[j];
                if !root_of(&f.parent) {
                    warnings.push(format!(
                        "`{t}.{}` references `{}`, whose row count is not fixed (it has parents of its own); the schema describes it, but `synth` cannot yet generate it: a key without `children` picks only rows of a table with `rows:`",
                        f.column, f.parent
                    ));
                }
                reasons.push((
                    j,
                    format!("not driving: `{}` → {} drives `{t}`", c.column, c.parent),
                ));
            }
        }
        for (i, r) in reasons {
            fks[i].driving_reason = Some(r);
        }
        driving_parent.insert(t.clone(), fks[chosen].parent.clone());
        fks[chosen].driving = true;
        if let Some(w) = work.iter_mut().find(|w| w.table.name == *t) {
            w.table.root = false;
        }
    }
    for w in work.iter_mut() {
        if let Some(i) = names.iter().position(|n| *n == w.table.name) {
            w.table.level = depth[i];
        }
    }
    warnings
}
