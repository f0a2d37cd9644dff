//! Models of linked tables: `fit` on a folder of tables under a schema of linked tables
//! ([`fit_linked`]) and sampling every table from the fitted [`LinkedModel`]
//! ([`LinkedSampler`]).
//!
//! # How a database is modelled
//! Each table gets one model of the single-table kind (see the parent module), fitted on the
//! table's rows *augmented* with what links it to the others:
//! - **counts**: a parent table carries, per row, the number of its children through each
//!   foreign key that points at it (`#orders.customer_id`), as a modelled column. Its own
//!   columns may depend on the counts and the counts on them, so "customers with more orders
//!   spend more per order" is in the model, and sampling draws how many children each
//!   synthetic parent has from it;
//! - **context**: a child table (the one whose driving key, `children:` in the schema, hangs it
//!   from a parent) carries its parent's modelled columns and counts as *given* columns
//!   (`customers.segment`): placed before every other column, parents of any of them, never
//!   drawn; when sampling they hold the synthetic parent's values. The child's position among
//!   its siblings (`@position`: 1, 2, 3+) is given too;
//! - **time**: a child's first date (or timestamp) column that is never empty is its *order*:
//!   siblings are sorted by it, the first sibling's value is modelled as the offset from the
//!   parent's date when the data shows it never precedes it (else as itself), and each later
//!   sibling's as the gap to the one before. Sampling adds them up, so every family is in
//!   order in time, with the real gaps, and the rule against the parent holds in every row;
//! - **rules**: every other date column that never precedes a parent's date column, or an
//!   earlier date column of its own row, on every real row is modelled as the offset from it
//!   (the smallest such offset on average): the rule holds in every sampled row by
//!   construction.
//!
//! Keys are not modelled: sampled primary keys are numbered, a driving key holds its synthetic
//! parent's key, and another foreign key (a disposition's account, a referral) is dealt from
//! the referenced table's modelled counts for it, so both relationships of a row with two
//! parents keep their cardinalities.
//!
//! # Differential privacy
//! With `--epsilon` the fit is private for each *person* (a root row with everything hanging
//! from it), at most `--max-children` children per parent per relationship: see the module
//! `private` for the bound, each table's sensitivity, the split of the budget and what the
//! data may no longer decide (formulas, date rules, the order column, empty references).
//!
//! # The file (format `fairsynth-linked-model`, version 1)
//! JSON: `format`, `version`, `fairsynth`, `schema` (the linked schema's name, SHA-256 and
//! text), `tables` in generation order, each with its key, links, counts, time and offset
//! columns and its `model` (a single-table model whose embedded schema is the augmented table's,
//! generated; it holds no row, see the parent module), and, for a private fit, `privacy`: the
//! ledger of the whole model ([`LinkedLedger`]).

use std::fmt::Write as _;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::{fit, EmbeddedSchema, FitOptions, Model, ModelError};
use crate::io::read::Input;
use crate::io::table::{Table, TableColumn, Values};
use crate::schema::{Column, ColumnType, Database, Role};

mod links;
mod parity;
mod private;
mod reference;
mod sample;

use links::{count_columns, link_rows, picks_of};

use crate::metrics::formulas as rules;
pub use crate::metrics::formulas::{Formula, Operation};
pub use parity::ChildFairness;
pub use private::{summary as privacy_summary, LinkedLedger, TableLedger, DEFAULT_MAX_CHILDREN};
pub use reference::ReferenceColumn;

pub use sample::{LinkedSample, LinkedSampleOptions, LinkedSampler};

/// The `format` member of every linked model file.
pub const LINKED_FORMAT: &str = "fairsynth-linked-model";
/// The linked model file version this build writes and reads.
pub const LINKED_VERSION: u32 = 1;
/// The given column holding a child's position among its siblings.
pub const POSITION: &str = "@position";
/// Positions told apart; later ones share the last level.
const POSITIONS: [&str; 3] = ["1", "2", "3+"];

/// A fitted model of linked tables.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LinkedModel {
    /// Always [`LINKED_FORMAT`].
    pub format: String,
    /// [`LINKED_VERSION`].
    pub version: u32,
    /// The fairsynth version that fitted it.
    pub fairsynth: String,
    /// The schema of linked tables.
    pub schema: EmbeddedSchema,
    /// The tables in generation order (every table after the tables it references).
    pub tables: Vec<TableModel>,
    /// The differential-privacy ledger of the whole model, when fitted with `--epsilon`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub privacy: Option<LinkedLedger>,
}

/// One table of a [`LinkedModel`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TableModel {
    /// The table.
    pub name: String,
    /// The primary-key column.
    pub primary_key: String,
    /// Rows of the fitted table (a root table's default sample size).
    pub rows: u64,
    /// The driving key, for a child table.
    pub parent: Option<ParentLink>,
    /// Count columns of this table's model: children per row through each key pointing here.
    pub counts: Vec<CountColumn>,
    /// Non-driving foreign keys.
    pub picks: Vec<Pick>,
    /// The order column of a child table (siblings sorted by it, modelled as gaps).
    pub order: Option<Offset>,
    /// Columns modelled as offsets from another date.
    pub offsets: Vec<Offset>,
    /// The model of the augmented table; `None` when it has nothing to draw (a table of keys,
    /// a reference table).
    pub model: Option<Model>,
    /// A reference table's rows, stored whole (`reference: true` in the schema): its own
    /// columns and its children's counts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<Vec<ReferenceColumn>>,
    /// Columns computed from two others by a formula that held on every real row; not
    /// modelled, computed when sampling.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub formulas: Vec<Formula>,
    /// Columns whose value on the sibling before is a given column of the model (named
    /// [`LAG`] + the column): a child table's rows are drawn family position by position.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub lags: Vec<String>,
    /// A child table's label drawn independent of the person's protected columns (its
    /// schema's `fairness:`); see [`parity`](ChildFairness).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fairness: Option<ChildFairness>,
}

/// How a child table hangs from its parent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ParentLink {
    /// The parent table.
    pub table: String,
    /// The driving key column.
    pub column: String,
    /// The parent's count column giving each parent row its number of children here.
    pub count: String,
}

/// A count column: rows of `table` whose `column` holds this row's key.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CountColumn {
    /// The column's name in the model (`#table.column`).
    pub var: String,
    /// The referencing table.
    pub table: String,
    /// Its foreign-key column.
    pub column: String,
}

/// A non-driving foreign key.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Pick {
    /// The column.
    pub column: String,
    /// The referenced table.
    pub table: String,
    /// Share of rows with no reference.
    pub null_share: f64,
}

/// A date column modelled as an offset (`column = from + offset`, offset at least 0).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Offset {
    /// The column.
    pub column: String,
    /// What it is measured from: `parent.column` (the parent's value) or an earlier column of
    /// the row; `None` for a column modelled as itself (an order column's first sibling, or a
    /// column with a `floor` only).
    pub from: Option<String>,
    /// For an order column: the end of the period (the `min_count`-th largest real value);
    /// a family that would run past it has its gaps shrunk in proportion.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end: Option<f64>,
    /// A date of another table the column never precedes on the real rows but that is drawn
    /// apart from it (`parent.key->table.column`, the row the parent picks): sampled values
    /// before it are raised to it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub floor: Option<String>,
    /// For an order column: a column of the parent (`parent.column`) it never exceeds on
    /// the real rows; a family that would run past its parent's value has its gaps shrunk.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ceiling: Option<String>,
}

/// The prefix of a given column holding the sibling before's value.
pub const LAG: &str = "@prev.";

/// The given column holding the time from the family's first row to the sibling before,
/// in the order column's unit (a child table with an order column and lags).
pub const ELAPSED: &str = "@elapsed";

/// The given column holding `column`'s value on the sibling before.
pub(crate) fn lag_var(column: &str) -> String {
    format!("{LAG}{column}")
}

/// Whether `x` rises strictly within every family (rows with the same parent in `rows`,
/// in file order), with at least `families` families of two rows or more: the evidence that
/// a whole-number column orders a child's rows in time.
fn rises_in_families(x: &[f64], rows: &[Option<usize>], families: usize) -> bool {
    let mut last: std::collections::HashMap<usize, f64> = std::collections::HashMap::new();
    let mut long: std::collections::HashSet<usize> = std::collections::HashSet::new();
    for (v, p) in x.iter().zip(rows) {
        let Some(p) = p else { continue };
        if let Some(before) = last.insert(*p, *v) {
            if *v <= before {
                return false;
            }
            long.insert(*p);
        }
    }
    long.len() >= families
}

/// The name of the gap column of an order column.
pub(crate) fn gap_var(column: &str) -> String {
    format!("{column}@gap")
}

impl LinkedModel {
    /// Reads and checks a linked model file.
    pub fn load(path: &Path) -> Result<LinkedModel, ModelError> {
        let text = std::fs::read(path).map_err(|source| ModelError::Open {
            path: path.to_path_buf(),
            source,
        })?;
        LinkedModel::from_json(&text, path)
    }

    /// Whether `text` (a model file's bytes) is a linked model.
    pub fn is_linked(text: &[u8]) -> bool {
        serde_json::from_slice::<serde_json::Value>(text)
            .ok()
            .and_then(|v| v.get("format").and_then(|f| f.as_str()).map(str::to_owned))
            .is_some_and(|f| f == LINKED_FORMAT)
    }

    /// Parses and checks a linked model's JSON text; `path` names it in messages.
    pub fn from_json(text: &[u8], path: &Path) -> Result<LinkedModel, ModelError> {
        let format_err = |message: String| ModelError::Format {
            path: path.to_path_buf(),
            message,
            hint: "fit the model again with this fairsynth; do not edit model files by hand"
                .to_string(),
        };
        let value: serde_json::Value = serde_json::from_slice(text).map_err(|e| {
            format_err(format!(
                "not JSON (line {}, column {}): {e}",
                e.line(),
                e.column()
            ))
        })?;
        if value.get("format").and_then(|f| f.as_str()) != Some(LINKED_FORMAT) {
            return Err(format_err(format!(
                "not a model of linked tables (no `\"format\": \"{LINKED_FORMAT}\"`)"
            )));
        }
        let version = value.get("version").and_then(|v| v.as_u64());
        if version != Some(u64::from(LINKED_VERSION)) {
            return Err(format_err(format!(
                "linked model format version {}; this fairsynth reads version {LINKED_VERSION}",
                version.map_or("(missing)".to_string(), |v| v.to_string())
            )));
        }
        let m: LinkedModel = serde_json::from_value(value)
            .map_err(|e| format_err(format!("malformed linked model: {e}")))?;
        // Each table's model passes the single-table checks (checked in place, not re-parsed).
        for t in &m.tables {
            if let Some(model) = &t.model {
                if model.format != super::FORMAT || model.version != super::VERSION {
                    return Err(format_err(format!(
                        "table `{}`: not a model of this fairsynth's version {}",
                        t.name,
                        super::VERSION
                    )));
                }
                model.check().map_err(|e| {
                    format_err(format!("table `{}`: inconsistent model: {e}", t.name))
                })?;
            }
        }
        m.check().map_err(format_err)?;
        Ok(m)
    }

    /// Writes the model as JSON, atomically.
    pub fn save(&self, path: &Path) -> Result<(), ModelError> {
        let mut bytes = serde_json::to_vec_pretty(self)
            .map_err(|e| ModelError::Invalid(format!("cannot encode the model: {e}")))?;
        bytes.push(b'\n');
        crate::io::write_atomic(path, &bytes)?;
        Ok(())
    }

    /// The table called `name`.
    pub fn table(&self, name: &str) -> Option<&TableModel> {
        self.tables.iter().find(|t| t.name == name)
    }

    /// Links name tables before them (or themselves, for picks) and count columns exist.
    fn check(&self) -> Result<(), String> {
        for (i, t) in self.tables.iter().enumerate() {
            let earlier = |name: &str| self.tables[..i].iter().any(|p| p.name == name);
            if let Some(p) = &t.parent {
                let parent = self.tables[..i]
                    .iter()
                    .find(|x| x.name == p.table)
                    .ok_or_else(|| format!("table `{}`: parent `{}` unknown", t.name, p.table))?;
                if !parent.counts.iter().any(|c| c.var == p.count) {
                    return Err(format!("table `{}`: count `{}` unknown", t.name, p.count));
                }
            }
            for k in &t.picks {
                if !(earlier(&k.table) || k.table == t.name) {
                    return Err(format!(
                        "table `{}`: picked table `{}` unknown",
                        t.name, k.table
                    ));
                }
            }
        }
        Ok(())
    }
}

/// The name of the count column of children in `table` through `column`.
fn count_var(table: &str, column: &str) -> String {
    format!("#{table}.{column}")
}

fn is_time(ty: ColumnType) -> bool {
    matches!(ty, ColumnType::Date | ColumnType::Timestamp)
}

fn num(c: &TableColumn) -> Option<&[f64]> {
    match &c.values {
        Values::Num(x) => Some(x),
        Values::Cat { .. } => None,
    }
}

/// The mean of `a - b` over rows where both are present, when `a >= b` on each of them
/// (and there is at least one); `None` otherwise.
fn never_before(a: &[f64], b: &[f64]) -> Option<f64> {
    let mut n = 0usize;
    let mut sum = 0.0;
    for (x, y) in a.iter().zip(b) {
        if x.is_nan() || y.is_nan() {
            continue;
        }
        if x < y {
            return None;
        }
        n += 1;
        sum += x - y;
    }
    (n > 0).then(|| sum / n as f64)
}

/// One column of a generated augmented schema.
struct Spec {
    column: Column,
    /// Forces the type to `int` (offsets and counts).
    int: bool,
    /// The public bounds of an `int` column (under differential privacy: dates as days,
    /// counts from 0 to the bound on children).
    range: Option<(f64, f64)>,
}

fn quote(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into())
}

/// The YAML text of the one-table schema `name` with `specs`: type, role, nullability, levels,
/// bands, numeric bounds and acknowledged identifier kinds (what fitting reads).
fn render(name: &str, specs: &[Spec], root: Option<&crate::schema::Schema>) -> String {
    let mut y = format!("version: 1\nname: {}\nrows: 1\ncolumns:\n", quote(name));
    for s in specs {
        let c = &s.column;
        let ty = if s.int { "int" } else { c.ty.name() };
        let _ = write!(y, "  - name: {}\n    type: {ty}\n", quote(&c.name));
        if !s.int && c.ty == (ColumnType::Int { bits: 32 }) {
            let _ = writeln!(y, "    bits: 32");
        }
        let mut roles: Vec<&str> = Vec::new();
        if c.role != Role::Feature {
            roles.push(c.role.name());
        }
        if c.quasi_identifier && c.role != Role::QuasiIdentifier {
            roles.push("quasi_identifier");
        }
        match roles.len() {
            0 => {}
            1 => {
                let _ = writeln!(y, "    role: {}", roles[0]);
            }
            _ => {
                let _ = writeln!(y, "    role: [{}]", roles.join(", "));
            }
        }
        if c.nullable {
            let _ = writeln!(y, "    nullable: true");
        }
        if !s.int {
            if let (Some(levels), ColumnType::Category) = (&c.levels, c.ty) {
                let ls: Vec<String> = levels.iter().map(|l| quote(l)).collect();
                let _ = writeln!(y, "    levels: [{}]", ls.join(", "));
            }
            if c.ty.is_numeric() {
                if let Some(b) = &c.bins {
                    let edges: Vec<String> = b.edges.iter().map(|e| format!("{e}")).collect();
                    let labels: Vec<String> = b.labels.iter().map(|l| quote(l)).collect();
                    let _ = writeln!(
                        y,
                        "    bins: {{edges: [{}], labels: [{}]}}",
                        edges.join(", "),
                        labels.join(", ")
                    );
                }
                if let Some(m) = c.min {
                    let _ = writeln!(y, "    min: {m}");
                }
                if let Some(m) = c.max {
                    let _ = writeln!(y, "    max: {m}");
                }
            }
        } else if let Some((lo, hi)) = s.range {
            let _ = writeln!(y, "    min: {lo}\n    max: {hi}");
        } else if c.min == Some(0.0) {
            let _ = writeln!(y, "    min: 0");
        }
        if !c.acknowledge.is_empty() {
            let _ = writeln!(y, "    acknowledge: [{}]", c.acknowledge.join(", "));
        }
    }
    // A root table's targets and fairness apply to its people (their children follow).
    if let Some(root) = root {
        let modelled = |n: &str| specs.iter().any(|s| s.column.name == n);
        let targets: Vec<&crate::schema::Target> = root
            .targets
            .iter()
            .filter(|t| modelled(&t.column))
            .collect();
        if !targets.is_empty() {
            y.push_str("targets:\n");
            for t in targets {
                let shares: Vec<String> = t
                    .shares
                    .iter()
                    .map(|(l, v)| format!("{}: {v}", quote(l)))
                    .collect();
                let _ = writeln!(y, "  {}: {{{}}}", quote(&t.column), shares.join(", "));
            }
        }
        if let Some(f) = root
            .fairness
            .as_ref()
            .filter(|f| modelled(&f.label) && f.independent_of.iter().all(|c| modelled(c)))
        {
            let of: Vec<String> = f.independent_of.iter().map(|c| quote(c)).collect();
            let _ = write!(
                y,
                "fairness:\n  label: {}\n  independent_of: [{}]\n",
                quote(&f.label),
                of.join(", ")
            );
            if let Some(fav) = &f.favourable {
                let _ = writeln!(y, "  favourable: {}", quote(fav));
            }
        }
    }
    y
}

/// A table while fitting: the augmented rows and their column specs.
struct Fitted {
    aug: Table,
    specs: Vec<Spec>,
    /// How many of `aug`'s columns (the first ones) are its own and counts (not given).
    own: usize,
    /// The columns its model draws.
    modelled: Vec<String>,
}

/// Fits a model of every table of `db` from `inputs` (one per table, in the schema's order).
/// `schema_yaml` is the schema's text (embedded in the model). `opts.min_count`, `bins`,
/// `max_parents` and `max_cells` apply to every table. With `opts.epsilon` the fit is
/// differentially private for each person of a root table with their children, at most
/// `opts.max_children` per parent per relationship (see the module `private`).
pub fn fit_linked(
    db: &Database,
    schema_yaml: &str,
    inputs: &[Input],
    opts: &FitOptions,
) -> Result<LinkedModel, ModelError> {
    let dp = opts.epsilon.is_some();
    if dp {
        private::check_options(opts)?;
    }
    if crate::schema::sha256_hex(schema_yaml.as_bytes()) != db.source.sha256 {
        return Err(ModelError::Invalid(
            "the schema text given does not match the loaded schema".into(),
        ));
    }
    if inputs.len() != db.tables.len() {
        return Err(ModelError::Invalid(format!(
            "{} inputs given for a schema of {} tables",
            inputs.len(),
            db.tables.len()
        )));
    }
    // Load every table: keys that are referenced, foreign keys and the other columns.
    let mut loaded: Vec<Table> = Vec::with_capacity(db.tables.len());
    for (t, input) in db.tables.iter().zip(inputs) {
        let names: Vec<String> = t
            .schema
            .columns
            .iter()
            // A key added by `inspect` (a row number, not in the data) is left out.
            .filter(|c| !(c.name == t.primary_key && db.added_key(t)))
            .map(|c| c.name.clone())
            .collect();
        loaded.push(Table::load_only(input, &t.schema, &names)?);
    }
    if dp {
        private::check_schema(db, &loaded)?;
    }
    let mut links = link_rows(db, &loaded, false)?;
    if dp {
        // Every parent keeps at most `max_children` children per relationship.
        let keep = private::keep_rows(db, &loaded, &links, opts.max_children);
        loaded = loaded
            .iter()
            .zip(&keep)
            .map(|(t, k)| private::filter_rows(t, k))
            .collect();
        links = link_rows(db, &loaded, true)?;
    }
    let order = db.order();
    let mut fitted: Vec<Option<Fitted>> = (0..db.tables.len()).map(|_| None).collect();
    let mut tables: Vec<TableModel> = Vec::with_capacity(order.len());
    // Under differential privacy the tables are fitted once every table's share of the
    // budget is known: (index in `tables`, index in `db`, augmented schema, its text,
    // options) of each, and the reference tables whose counts get noise.
    let mut pending: Vec<(usize, usize, crate::schema::Schema, String, FitOptions)> = Vec::new();
    let mut pending_refs: Vec<(usize, usize)> = Vec::new();
    for &i in &order {
        let t = &db.tables[i];
        let data = &loaded[i];
        let fks: Vec<&str> = t.foreign_keys.iter().map(|f| f.column.as_str()).collect();
        let own: Vec<&Column> = t
            .schema
            .columns
            .iter()
            .filter(|c| c.name != t.primary_key && !fks.contains(&c.name.as_str()))
            .filter(|c| data.column(&c.name).is_some())
            .collect();
        if t.reference {
            // Public lookup data, stored whole: its own columns as read (identifiers and
            // weights left out) and its children's counts.
            let mut specs: Vec<Spec> = Vec::new();
            let mut cols: Vec<TableColumn> = Vec::new();
            for c in own
                .iter()
                .filter(|c| !matches!(c.role, Role::Identifier | Role::Weight))
            {
                if let Some(col) = data.column(&c.name) {
                    specs.push(Spec {
                        column: (*c).clone(),
                        int: false,
                        range: None,
                    });
                    cols.push(col.clone());
                }
            }
            let counts = count_columns(db, t, &links, data.rows, None, &mut specs, &mut cols);
            // Under differential privacy the counts get their noise once the budget is split
            // (below), then are pooled.
            if dp {
                pending_refs.push((tables.len(), i));
            } else {
                for c in cols.iter_mut().filter(|c| c.name.starts_with('#')) {
                    if let Values::Num(n) = &mut c.values {
                        reference::pool_small_counts(n, opts.min_count as f64);
                    }
                }
            }
            let modelled: Vec<String> = cols.iter().map(|c| c.name.clone()).collect();
            tables.push(TableModel {
                name: t.name().to_string(),
                primary_key: t.primary_key.clone(),
                rows: data.rows as u64,
                parent: None,
                counts,
                picks: picks_of(t, i, &links, dp),
                order: None,
                offsets: Vec::new(),
                model: None,
                reference: Some(reference::store(&cols)),
                formulas: Vec::new(),
                lags: Vec::new(),
                fairness: None,
            });
            fitted[i] = Some(Fitted {
                own: cols.len(),
                aug: Table {
                    rows: data.rows,
                    columns: cols,
                },
                specs,
                modelled,
            });
            continue;
        }
        // Formulas between numeric columns that hold on every row: the derived columns are
        // computed when sampling, not modelled.
        let numeric: Vec<(String, &[f64])> = own
            .iter()
            .filter(|c| matches!(c.ty, ColumnType::Int { .. } | ColumnType::Float))
            .filter(|c| !matches!(c.role, Role::Identifier | Role::Weight))
            .filter_map(|c| Some((c.name.clone(), data.column(&c.name).and_then(num)?)))
            .collect();
        let derivable = |name: &str| {
            own.iter().any(|c| {
                c.name == name
                    && !c.quasi_identifier
                    && matches!(c.role, Role::Feature)
                    && c.generator.is_none()
            })
        };
        // Under differential privacy a rule of every real row is not looked for.
        let formulas = if dp {
            Vec::new()
        } else {
            rules::find(&numeric, &derivable, opts.min_count.max(1) as usize)
        };
        let own: Vec<&Column> = own
            .into_iter()
            .filter(|c| !formulas.iter().any(|f| f.column == c.name))
            .collect();
        let driving = t.driving();
        // A child's label independent of the person (`fairness:` naming an ancestor's columns).
        let child_fairness = t.schema.fairness.as_ref().filter(|_| driving.is_some());
        let driving_label = child_fairness.map(|f| f.label.clone());
        let parent = driving.map(|fk| {
            let p = db.table_index(&fk.table).unwrap_or(i);
            (fk, p, &links[&(i, fk.column.clone())])
        });
        let mut specs: Vec<Spec> = Vec::new();
        let mut cols: Vec<TableColumn> = Vec::new();
        let mut order_col: Option<Offset> = None;
        let mut offsets: Vec<Offset> = Vec::new();
        // Siblings: position of each row among its parent's children, by the order column.
        let mut position: Vec<usize> = vec![0; data.rows];
        let mut prev: Vec<Option<usize>> = vec![None; data.rows];
        // Rows in family order (by parent, then the order column).
        let mut family_order: Vec<usize> = Vec::new();
        let never_empty = |c: &Column| {
            data.column(&c.name)
                .and_then(num)
                .is_some_and(|x| x.iter().all(|v| !v.is_nan()))
        };
        // Children of a reference table (the accounts of a district) are not a family in
        // time: their dates are calendar dates of their own, not a sequence of gaps, and the
        // row before in the district says nothing about the next.
        let in_family = parent.is_some_and(|(_, p, _)| !db.tables[p].reference);
        let order_name = if dp {
            private::order_column(t, data)
        } else {
            parent.filter(|_| in_family).and_then(|(_, _, rows)| {
                own.iter()
                    .find(|c| is_time(c.ty) && never_empty(c))
                    // Without a date: a whole number that rises within every family as the
                    // file lists it (days since enrolment, a visit number).
                    .or_else(|| {
                        own.iter().find(|c| {
                            matches!(c.ty, ColumnType::Int { .. })
                                && matches!(c.role, Role::Feature)
                                && never_empty(c)
                                && data.column(&c.name).and_then(num).is_some_and(|x| {
                                    rises_in_families(x, rows, opts.min_count.max(1) as usize)
                                })
                        })
                    })
                    .map(|c| c.name.clone())
            })
        };
        if let Some((_, _, rows)) = parent {
            let key: Vec<f64> = order_name
                .as_ref()
                .and_then(|n| data.column(n).and_then(num))
                .map_or_else(|| vec![0.0; data.rows], <[f64]>::to_vec);
            let mut idx: Vec<usize> = (0..data.rows).collect();
            idx.sort_by(|&a, &b| {
                rows[a]
                    .cmp(&rows[b])
                    .then(key[a].total_cmp(&key[b]))
                    .then(a.cmp(&b))
            });
            for w in 0..idx.len() {
                let r = idx[w];
                if w > 0 && rows[idx[w - 1]] == rows[r] {
                    position[r] = position[idx[w - 1]] + 1;
                    prev[r] = Some(idx[w - 1]);
                }
            }
            family_order = idx;
        }
        // The parent's raw date columns, per row of this table.
        let parent_dates: Vec<(String, Vec<f64>)> = match parent {
            Some((fk, p, rows)) => db.tables[p]
                .schema
                .columns
                .iter()
                .filter(|c| is_time(c.ty))
                .filter_map(|c| {
                    let x = loaded[p].column(&c.name).and_then(num)?;
                    Some((
                        format!("{}.{}", fk.table, c.name),
                        rows.iter().map(|r| r.map_or(f64::NAN, |r| x[r])).collect(),
                    ))
                })
                .collect(),
            None => Vec::new(),
        };
        // The parent's columns a child's order column may never exceed: its dates, and its
        // whole numbers drawn as they are (not derived by a formula).
        let parent_bounds: Vec<(String, ColumnType, Vec<f64>)> = match parent {
            Some((fk, p, rows)) => db.tables[p]
                .schema
                .columns
                .iter()
                .filter(|c| {
                    is_time(c.ty)
                        || (matches!(c.ty, ColumnType::Int { .. })
                            && fitted[p]
                                .as_ref()
                                .is_some_and(|f| f.modelled.contains(&c.name)))
                })
                .filter_map(|c| {
                    let x = loaded[p].column(&c.name).and_then(num)?;
                    Some((
                        format!("{}.{}", fk.table, c.name),
                        c.ty,
                        rows.iter().map(|r| r.map_or(f64::NAN, |r| x[r])).collect(),
                    ))
                })
                .collect(),
            None => Vec::new(),
        };
        // The dates of the rows the parent picks through its other keys (a card's account,
        // through its disposition): `disp.account_id->account.date`. They are drawn apart from
        // this table (not given), so a rule against one is held as a floor, not an offset.
        let mut picked_dates: Vec<(String, Vec<f64>)> = Vec::new();
        if let Some((fk, p, rows)) = parent {
            for pick in db.tables[p]
                .foreign_keys
                .iter()
                .filter(|k| k.children.is_none())
            {
                let (Some(r), Some(picked)) = (
                    db.table_index(&pick.table),
                    links.get(&(p, pick.column.clone())),
                ) else {
                    continue;
                };
                for c in db.tables[r].schema.columns.iter().filter(|c| is_time(c.ty)) {
                    let Some(x) = loaded[r].column(&c.name).and_then(num) else {
                        continue;
                    };
                    picked_dates.push((
                        format!("{}.{}->{}.{}", fk.table, pick.column, pick.table, c.name),
                        rows.iter()
                            .map(|q| q.and_then(|q| picked[q]).map_or(f64::NAN, |q| x[q]))
                            .collect(),
                    ));
                }
            }
        }
        let floor_of = |x: &[f64]| {
            picked_dates
                .iter()
                .filter_map(|(n, d)| never_before(x, d).map(|m| (m, n)))
                .min_by(|a, b| a.0.total_cmp(&b.0))
                .map(|(_, n)| n.clone())
        };
        let mut gap_col: Option<(Spec, TableColumn)> = None;
        let mut elapsed: Option<(Spec, TableColumn)> = None;
        for c in &own {
            let Some(col) = data.column(&c.name) else {
                continue;
            };
            let mut spec = Spec {
                column: (*c).clone(),
                int: false,
                range: None,
            };
            // Roles that build the head apply at the root; a child's are plain columns for now.
            if parent.is_some() && matches!(c.role, Role::Protected | Role::Label) {
                spec.column.role = Role::Feature;
            }
            let mut values = col.values.clone();
            let is_order = order_name.as_deref() == Some(c.name.as_str());
            let modelled_role = !matches!(c.role, Role::Identifier | Role::Weight | Role::Consent);
            if dp && is_time(c.ty) {
                // Under differential privacy a date is itself (days, or microseconds) over the
                // schema's public range; the order column's later siblings are gaps.
                if let (Some(x), true) = (num(col), modelled_role) {
                    let (Some(lo), Some(hi)) = crate::model::discretise::schema_bounds(c) else {
                        return Err(ModelError::Invalid(format!(
                            "table `{}`, column `{}`: with --epsilon its range must come from the schema",
                            t.name(),
                            c.name
                        )));
                    };
                    spec.int = true;
                    spec.range = Some((lo, hi));
                    if order_name.as_deref() == Some(c.name.as_str()) {
                        values = Values::Num(
                            (0..data.rows)
                                .map(|r| if prev[r].is_some() { f64::NAN } else { x[r] })
                                .collect(),
                        );
                        spec.column.nullable = true;
                        let gap_name = gap_var(&c.name);
                        let mut column = Column::blank(&gap_name, ColumnType::Int { bits: 64 });
                        column.nullable = true;
                        gap_col = Some((
                            Spec {
                                column,
                                int: true,
                                range: Some((0.0, hi - lo)),
                            },
                            TableColumn {
                                name: gap_name,
                                ty: ColumnType::Int { bits: 64 },
                                values: Values::Num(
                                    (0..data.rows)
                                        .map(|r| prev[r].map_or(f64::NAN, |q| x[r] - x[q]))
                                        .collect(),
                                ),
                            },
                        ));
                        order_col = Some(Offset {
                            column: c.name.clone(),
                            from: None,
                            end: Some(hi),
                            floor: None,
                            ceiling: None,
                        });
                    } else {
                        offsets.push(Offset {
                            column: c.name.clone(),
                            from: None,
                            end: None,
                            floor: None,
                            ceiling: None,
                        });
                    }
                }
            } else if let (true, Some(x)) = (is_time(c.ty) || is_order, num(col)) {
                let x = x.to_vec();
                if is_order {
                    // First sibling: from the parent's date the data never precedes (the
                    // nearest on average), else as itself; later siblings: the gap.
                    let from = parent_dates
                        .iter()
                        .filter(|_| is_time(c.ty))
                        .filter_map(|(n, d)| never_before(&x, d).map(|m| (m, n, d)))
                        .min_by(|a, b| a.0.total_cmp(&b.0));
                    // A value of the parent's the column never exceeds (a visit before the
                    // end of follow-up): the nearest on average.
                    let ceiling = parent_bounds
                        .iter()
                        .filter(|(_, ty, _)| *ty == c.ty)
                        .filter_map(|(n, _, d)| never_before(d, &x).map(|m| (m, n)))
                        .min_by(|a, b| a.0.total_cmp(&b.0))
                        .map(|(_, n)| n.clone());
                    // Two columns, each drawn given the position: the first sibling's value
                    // (null for the others) and the gap to the sibling before (null for the
                    // first).
                    let first: Vec<f64> = (0..data.rows)
                        .map(|r| match prev[r] {
                            Some(_) => f64::NAN,
                            None => from.map_or(x[r], |(_, _, d)| x[r] - d[r]),
                        })
                        .collect();
                    let gap: Vec<f64> = (0..data.rows)
                        .map(|r| prev[r].map_or(f64::NAN, |q| x[r] - x[q]))
                        .collect();
                    // Time from the family's first row to the sibling before (null for the
                    // first): what a later row's values may depend on (a patient's labs
                    // worsen with the years since enrolment).
                    let mut start = vec![f64::NAN; data.rows];
                    let mut since = vec![f64::NAN; data.rows];
                    for &r in &family_order {
                        start[r] = prev[r].map_or(x[r], |q| start[q]);
                        if let Some(q) = prev[r] {
                            since[r] = x[q] - start[q];
                        }
                    }
                    let mut column = Column::blank(ELAPSED, ColumnType::Int { bits: 64 });
                    column.min = Some(0.0);
                    column.nullable = true;
                    elapsed = Some((
                        Spec {
                            column,
                            int: true,
                            range: None,
                        },
                        TableColumn {
                            name: ELAPSED.into(),
                            ty: ColumnType::Int { bits: 64 },
                            values: Values::Num(since),
                        },
                    ));
                    values = Values::Num(first);
                    spec.int = true;
                    spec.column.min = None;
                    spec.column.nullable = true;
                    let gap_name = gap_var(&c.name);
                    let mut column = Column::blank(&gap_name, ColumnType::Int { bits: 64 });
                    column.min = Some(0.0);
                    column.nullable = true;
                    gap_col = Some((
                        Spec {
                            column,
                            int: true,
                            range: None,
                        },
                        TableColumn {
                            name: gap_name,
                            ty: ColumnType::Int { bits: 64 },
                            values: Values::Num(gap),
                        },
                    ));
                    // The end of the period: a value at least `min_count` rows reach.
                    let mut sorted: Vec<f64> = x.clone();
                    sorted.sort_by(|a, b| b.total_cmp(a));
                    let k = (opts.min_count as usize).clamp(1, sorted.len());
                    order_col = Some(Offset {
                        column: c.name.clone(),
                        from: from.map(|(_, n, _)| n.clone()),
                        end: (sorted.len() >= opts.min_count as usize).then(|| sorted[k - 1]),
                        floor: floor_of(&x),
                        ceiling,
                    });
                } else {
                    // Other dates: from the nearest date (the parent's, or an earlier one of
                    // the row) that they never precede.
                    let earlier: Vec<(String, Vec<f64>)> = own
                        .iter()
                        .take_while(|o| o.name != c.name)
                        .filter(|o| is_time(o.ty) && o.ty == c.ty)
                        .filter_map(|o| {
                            Some((o.name.clone(), data.column(&o.name).and_then(num)?.to_vec()))
                        })
                        .collect();
                    let from = parent_dates
                        .iter()
                        .chain(&earlier)
                        .filter_map(|(n, d)| never_before(&x, d).map(|m| (m, n, d)))
                        .min_by(|a, b| a.0.total_cmp(&b.0));
                    let floor = floor_of(&x);
                    if let Some((_, _, d)) = from {
                        values = Values::Num(x.iter().zip(d).map(|(a, b)| a - b).collect());
                        spec.int = true;
                        spec.column.min = Some(0.0);
                    }
                    if from.is_some() || floor.is_some() {
                        offsets.push(Offset {
                            column: c.name.clone(),
                            from: from.map(|(_, n, _)| n.clone()),
                            end: None,
                            floor,
                            ceiling: None,
                        });
                    }
                }
            }
            cols.push(TableColumn {
                name: c.name.clone(),
                ty: if spec.int {
                    ColumnType::Int { bits: 64 }
                } else {
                    c.ty
                },
                values,
            });
            specs.push(spec);
            if let Some((spec, col)) = gap_col.take() {
                specs.push(spec);
                cols.push(col);
            }
        }
        let counts = count_columns(
            db,
            t,
            &links,
            data.rows,
            dp.then_some(opts.max_children),
            &mut specs,
            &mut cols,
        );
        let own_len = cols.len();
        // Given: the parent's own columns and counts, the position among siblings and the
        // sibling before.
        let mut given: Vec<String> = Vec::new();
        let mut lags: Vec<String> = Vec::new();
        if let Some((fk, p, rows)) = parent {
            let pf = fitted[p].as_ref().ok_or_else(|| {
                ModelError::Invalid(format!(
                    "table `{}` is fitted before its parent `{}`",
                    t.name(),
                    fk.table
                ))
            })?;
            for (k, pc) in pf.aug.columns[..pf.own].iter().enumerate() {
                // Only what the parent's model draws (not its dropped identifiers or weights).
                if !pf.modelled.contains(&pc.name) {
                    continue;
                }
                let name = format!("{}.{}", fk.table, pc.name);
                cols.push(pc.gather(rows, &name));
                let mut column = pf.specs[k].column.clone();
                column.name = name.clone();
                column.role = Role::Feature;
                column.quasi_identifier = false;
                specs.push(Spec {
                    column,
                    int: pf.specs[k].int,
                    range: pf.specs[k].range,
                });
                given.push(name);
            }
            let levels: Vec<String> = POSITIONS.iter().map(|s| s.to_string()).collect();
            cols.push(TableColumn {
                name: POSITION.into(),
                ty: ColumnType::Category,
                values: Values::Cat {
                    codes: position
                        .iter()
                        .map(|&k| k.min(POSITIONS.len() - 1) as u32)
                        .collect(),
                    levels: levels.clone(),
                },
            });
            let mut column = Column::blank(POSITION, ColumnType::Category);
            column.levels = Some(levels);
            specs.push(Spec {
                column,
                int: false,
                range: None,
            });
            given.push(POSITION.into());
            // The sibling before: each own column's value on the previous row of the family
            // (null for the first), so a family's rows depend on each other as the real ones
            // do (a patient's visits, a customer's purchases), not only through the parent.
            // The order column's first-sibling value is null on every later row: left out.
            for k in (0..own_len).filter(|_| in_family && !dp && child_fairness.is_none()) {
                let own = &cols[k].name;
                // Only what the model draws: never an identifier, a weight or consent.
                if order_col.as_ref().is_some_and(|o| &o.column == own)
                    || matches!(
                        specs[k].column.role,
                        Role::Identifier | Role::Weight | Role::Consent
                    )
                {
                    continue;
                }
                let name = lag_var(own);
                let col = cols[k].gather(&prev, &name);
                let mut column = specs[k].column.clone();
                column.name = name.clone();
                column.role = Role::Feature;
                column.quasi_identifier = false;
                column.nullable = true;
                let (int, range) = (specs[k].int, specs[k].range);
                lags.push(own.clone());
                cols.push(col);
                specs.push(Spec { column, int, range });
                given.push(name);
            }
            if let Some((spec, col)) = elapsed.take() {
                cols.push(col);
                specs.push(spec);
                given.push(ELAPSED.into());
            }
            // The person's protected columns further up the driving keys, carried down.
            if let Some(f) = &child_fairness {
                for q in &f.independent_of {
                    if given.contains(q) {
                        continue;
                    }
                    let (spec, col) = parity::carried(db, &links, &fitted, p, rows, q)
                        .map_err(|m| ModelError::Invalid(format!("table `{}`: {m}", t.name())))?;
                    specs.push(spec);
                    cols.push(col);
                    given.push(q.clone());
                }
                if let Some(q) = f.independent_of.iter().find(|q| !given.contains(q)) {
                    return Err(ModelError::Invalid(format!(
                        "table `{}`: fairness: `{q}` is not modelled\n    hint: the person's protected columns must be modelled columns of their table (not identifiers or weights)",
                        t.name()
                    )));
                }
            }
        }
        let aug = Table {
            rows: data.rows,
            columns: cols,
        };
        // Under differential privacy an empty table is fitted too: whether it is empty is the
        // data's, and must not change the split of the budget.
        let model = if own_len == 0 || (data.rows == 0 && !dp) {
            None
        } else {
            let file = format!("{}#{}", db.source.file, t.name());
            let yaml = render(t.name(), &specs, parent.is_none().then_some(&t.schema));
            let schema = crate::schema::Schema::from_str_named(&yaml, &file)?;
            let mut o = opts.clone();
            // Counts keep their tails, the table's own and its parent's (given).
            o.tails = specs
                .iter()
                .map(|s| s.column.name.clone())
                .filter(|n| n.starts_with('#') || n.contains(".#"))
                .collect();
            o.given = given;
            o.first = driving_label.clone();
            if let Some(order) = &order_col {
                o.forced_parents = vec![
                    (order.column.clone(), POSITION.to_string()),
                    (gap_var(&order.column), POSITION.to_string()),
                ];
            }
            o.input = t.name().to_string();
            o.input_sha256 = String::new();
            if dp {
                // Fitted below, with the table's share of the budget and its own noise.
                o.seed = rand::Rng::next_u64(&mut crate::synth::stream(
                    opts.seed,
                    &format!("\u{0}fit/linked/{}", t.name()),
                    0,
                    0,
                ));
                pending.push((tables.len(), i, schema, yaml, o));
                None
            } else {
                Some(fit(&aug, &schema, &yaml, &o).map_err(|e| in_table(t.name(), e))?)
            }
        };
        // Under differential privacy the columns the model draws follow from its schema.
        let planned: Option<Vec<String>> =
            pending
                .last()
                .filter(|p| p.1 == i)
                .map(|(_, _, schema, _, o)| {
                    super::fit::modelled_columns(schema)
                        .into_iter()
                        .map(|k| schema.columns[k].name.clone())
                        .filter(|n| !o.given.contains(n))
                        .collect()
                });
        let picks = picks_of(t, i, &links, dp);
        let fairness = match (child_fairness, &model) {
            (Some(_), _) if dp => {
                return Err(ModelError::Invalid(format!(
                    "table `{}`: a child table's `fairness:` is not available with --epsilon yet\n    hint: fit without --epsilon, or leave the child's fairness out of the schema",
                    t.name()
                )))
            }
            (Some(f), Some(m)) => Some(parity::resolve(t, f, m)?),
            (Some(f), None) => {
                return Err(ModelError::Invalid(format!(
                    "table `{}`: fairness: the label `{}` is not modelled (the table has no rows or nothing to draw)",
                    t.name(),
                    f.label
                )))
            }
            _ => None,
        };
        tables.push(TableModel {
            name: t.name().to_string(),
            primary_key: t.primary_key.clone(),
            rows: data.rows as u64,
            parent: driving.map(|fk| ParentLink {
                table: fk.table.clone(),
                column: fk.column.clone(),
                count: count_var(t.name(), &fk.column),
            }),
            counts,
            picks,
            order: order_col,
            offsets,
            model,
            reference: None,
            formulas,
            lags,
            fairness,
        });
        let modelled = planned.unwrap_or_else(|| {
            tables
                .last()
                .and_then(|t: &TableModel| t.model.as_ref())
                .map(|m| {
                    m.variables
                        .iter()
                        .enumerate()
                        .filter(|(v, _)| !m.given.contains(v))
                        .map(|(_, v)| v.name.clone())
                        .collect()
                })
                .unwrap_or_default()
        });
        fitted[i] = Some(Fitted {
            aug,
            specs,
            own: own_len,
            modelled,
        });
    }
    let privacy = if dp {
        Some(private::fit_pending(
            db,
            opts,
            &mut tables,
            &mut fitted,
            pending,
            &pending_refs,
        )?)
    } else {
        None
    };
    Ok(LinkedModel {
        format: LINKED_FORMAT.into(),
        version: LINKED_VERSION,
        fairsynth: env!("CARGO_PKG_VERSION").into(),
        schema: EmbeddedSchema {
            file: db.source.file.clone(),
            sha256: db.source.sha256.clone(),
            yaml: schema_yaml.to_string(),
        },
        tables,
        privacy,
    })
}

/// A fit's error, naming the table.
fn in_table(table: &str, e: ModelError) -> ModelError {
    match e {
        ModelError::Invalid(m) => ModelError::Invalid(format!("table `{table}`: {m}")),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_date_never_before_another_gives_the_mean_gap_and_one_exception_none() {
        let nan = f64::NAN;
        assert_eq!(never_before(&[5.0, 7.0, nan], &[1.0, 7.0, 3.0]), Some(2.0));
        assert_eq!(never_before(&[5.0, 6.0], &[1.0, 7.0]), None);
        assert_eq!(never_before(&[nan], &[1.0]), None);
    }

    #[test]
    fn the_augmented_schema_reads_back_with_its_types_roles_and_bounds() {
        let mut a = Column::blank("amount", ColumnType::Int { bits: 32 });
        a.role = Role::Label;
        a.min = Some(0.0);
        let mut c = Column::blank("#orders.customer_id", ColumnType::Int { bits: 64 });
        c.min = Some(0.0);
        let mut p = Column::blank(POSITION, ColumnType::Category);
        p.levels = Some(POSITIONS.iter().map(|s| s.to_string()).collect());
        let text = render(
            "t",
            &[
                Spec {
                    column: a,
                    int: false,
                    range: None,
                },
                Spec {
                    column: c,
                    int: true,
                    range: None,
                },
                Spec {
                    column: p,
                    int: false,
                    range: None,
                },
            ],
            None,
        );
        let s = crate::schema::Schema::from_str_named(&text, "t.yaml").expect(&text);
        assert_eq!(s.columns[0].ty, ColumnType::Int { bits: 32 });
        assert_eq!(s.columns[0].role, Role::Label);
        assert_eq!(s.columns[1].min, Some(0.0));
        assert_eq!(s.columns[2].levels.as_ref().map(Vec::len), Some(3));
    }
}
