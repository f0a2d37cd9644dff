//! Differential privacy for linked tables (`fit DIR --epsilon`): the privacy unit, the bound
//! on children, each table's sensitivity, the split of the budget and the one ledger of the
//! whole model.
//!
//! # The unit
//! Neighbouring databases differ by one *person*: a row of a root table (not a reference
//! table) with every row that hangs from it through driving keys, its children, their
//! children and so on. Each parent keeps at most `N` children per relationship
//! (`--max-children N`, default [`DEFAULT_MAX_CHILDREN`], a public number, never read off the
//! data): the first `N` by the child table's order column (input order among equal dates,
//! and without an order column), the rest, with everything hanging from them, are dropped
//! before fitting. One person then holds at most 1 root row, `N` rows of each child table,
//! `N²` of each grandchild table, and so on.
//!
//! # Sensitivity
//! A table's count tables are measured on its augmented rows (its own columns, its
//! children's counts, its parent's columns). One person *adds or removes* `m` of them (the
//! product of the bounds along the table's path from the person's root: 1, `N`, `N²`, ...)
//! and *changes* `c` others: a row whose children through a non-driving key (a disposition's
//! account) include the person's rows has its count changed, one row per such child row, and
//! a row whose parent is changed carries the parent's changed columns (at most `N` per
//! changed parent). A count table then changes by at most `m + 2c` in L1 and in L2 (a changed
//! row leaves one cell and enters another): the sensitivity `Δ`, the largest over the roots a
//! person may be a row of. Each table's private fit scales every noise (and the selection's
//! score sensitivity) by its `Δ`. A reference table's own columns are public (stored whole,
//! no budget); each of its children's count columns is measured with noise at the most
//! children one person adds to it.
//!
//! # Budget
//! Under the Gaussian mechanism the budget is ρ-zCDP (from ε and δ by the tight conversion),
//! split over the tables in proportion to the columns each measures (a modelled table: the
//! variables of its model, its parent's columns and its position included; a reference
//! table: its children's count columns); zCDP composes by adding the ρ. Under the Laplace
//! mechanism ε is split the same way and adds up.
//!
//! # What the data may not decide
//! Formulas between columns and rules between dates hold "on every real row": a rule learned
//! from every row is not private, so under `--epsilon` neither is looked for. Every date is
//! modelled as itself over the schema's public range (`min:`/`max:`), a child's order column
//! is its first date column the schema declares non-nullable (first sibling: the date; later
//! siblings: the gap, over `0` to the range's width; the period ends at the schema's `max`),
//! counts are whole numbers from 0 to `N` (non-driving counts capped at `N`), and every
//! non-driving key references a row (its share of empty references is not measured).

use serde::{Deserialize, Serialize};

use super::{in_table, is_time, Fitted, LinkedModel, TableModel};
use crate::io::table::{Table, TableColumn, Values};
use crate::model::private::account;
use crate::model::{DpMechanism, FitOptions, LedgerEntry, ModelError};
use crate::schema::{ColumnType, Database, Role};

/// Children kept per parent per relationship when `--max-children` is not given.
pub const DEFAULT_MAX_CHILDREN: usize = 10;

/// The privacy ledger of a model of linked tables: every table's queries and the totals.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LinkedLedger {
    /// The total ε: the total ρ converted at `delta` (Gaussian), or the tables' ε added up
    /// (Laplace).
    pub epsilon: f64,
    /// The total δ (0 under pure ε-DP).
    pub delta: f64,
    /// The total ρ: the entries' ρ added up (Gaussian mechanism only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rho: Option<f64>,
    /// The noise mechanism and the accounting.
    pub mechanism: String,
    /// The neighbouring relation the guarantee is for.
    pub neighbouring: String,
    /// Children kept per parent per relationship.
    pub max_children: usize,
    /// How the budget was split over the tables.
    pub split: String,
    /// Per table, in generation order.
    pub tables: Vec<TableLedger>,
}

/// One table's part of a [`LinkedLedger`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TableLedger {
    /// The table.
    pub table: String,
    /// Its share of the budget (0 to 1).
    pub share: f64,
    /// Its budget: ρ under the Gaussian mechanism, else 0.
    pub rho: f64,
    /// Its budget as ε alone: ρ converted at the ledger's δ, or its pure ε.
    pub epsilon: f64,
    /// Rows of the table one person adds or removes (`m`).
    pub rows_per_person: f64,
    /// Other rows of the table one person's rows change (`c`).
    pub changed_per_person: f64,
    /// The sensitivity of its count tables, `m + 2c`.
    pub sensitivity: f64,
    /// What is measured, or why nothing is.
    pub note: String,
    /// Its queries.
    pub entries: Vec<LedgerEntry>,
}

impl LinkedLedger {
    /// Whether the guarantee is pure ε-DP.
    pub fn is_pure(&self) -> bool {
        self.rho.is_none()
    }
}

/// Checks the options of a private fit of linked tables.
pub(super) fn check_options(opts: &FitOptions) -> Result<(), ModelError> {
    crate::model::steps::check_privacy(opts)?;
    if opts.max_children == 0 {
        return Err(ModelError::Invalid(
            "--max-children 0: every parent must be allowed at least one child\n    hint: the bound is public and part of the guarantee: choose it from what is known about the data (e.g. 10 orders per customer), not from the data".into(),
        ));
    }
    Ok(())
}

/// The columns of `t` a private fit models (not keys, identifiers, weights or consent flags)
/// that its file holds.
fn own_modelled<'a>(
    t: &'a crate::schema::Table,
    data: &'a Table,
) -> impl Iterator<Item = &'a crate::schema::Column> {
    let fks: Vec<&str> = t.foreign_keys.iter().map(|f| f.column.as_str()).collect();
    t.schema
        .columns
        .iter()
        .filter(move |c| c.name != t.primary_key && !fks.contains(&c.name.as_str()))
        .filter(|c| !matches!(c.role, Role::Identifier | Role::Weight | Role::Consent))
        .filter(|c| data.column(&c.name).is_some())
}

/// Every column lacking its public domain (levels, or `min:` and `max:`), every child of a
/// reference table: all at once, naming the table, column and schema line.
pub(super) fn check_schema(db: &Database, loaded: &[Table]) -> Result<(), ModelError> {
    let mut problems: Vec<String> = Vec::new();
    for (t, data) in db.tables.iter().zip(loaded) {
        if let Some(fk) = t.driving() {
            if db.table(&fk.table).is_some_and(|p| p.reference) {
                problems.push(format!(
                    "table `{}` hangs from the reference table `{}`: with --epsilon the person is a row of a root table with its children, and a reference table's rows are public\n    hint: make `{}` a root (drop `children:` from `{}`) or `{}` not a reference table",
                    t.name(), fk.table, t.name(), fk.column, fk.table
                ));
            }
        }
        if t.reference {
            continue;
        }
        for c in own_modelled(t, data) {
            let line = c.pos.line;
            if is_time(c.ty) || c.ty.is_numeric() {
                let (lo, hi) = crate::model::discretise::schema_bounds(c);
                if lo.is_none() || hi.is_none() {
                    problems.push(format!(
                        "table `{}`, column `{}` (schema line {line}): with --epsilon its range must come from the schema, not the data\n    hint: declare public bounds `min:` and `max:` (dates as YYYY-MM-DD), taken from public knowledge, not from the private data",
                        t.name(), c.name
                    ));
                }
            } else if c.levels.is_none() && c.ty != ColumnType::Bool {
                problems.push(format!(
                    "table `{}`, column `{}` (schema line {line}): with --epsilon its categories must come from the schema, not the data\n    hint: declare its public categories under `levels:`, taken from public knowledge (a code book, a standard), not from the private data",
                    t.name(), c.name
                ));
            }
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(ModelError::Invalid(problems.join("\n")))
    }
}

/// A child table's order column under differential privacy: its first date or timestamp
/// column the schema declares non-nullable (a public choice, not the data's).
pub(super) fn order_column(t: &crate::schema::Table, data: &Table) -> Option<String> {
    t.driving()?;
    own_modelled(t, data)
        .find(|c| is_time(c.ty) && !c.nullable)
        .map(|c| c.name.clone())
}

/// The rows each table keeps when every parent keeps at most `n` children per driving key:
/// the first by the order column (input order among equal values), and only rows whose
/// parent is kept. `links` are the rows' parents per (table, key).
pub(super) fn keep_rows(
    db: &Database,
    loaded: &[Table],
    links: &std::collections::HashMap<(usize, String), Vec<Option<usize>>>,
    n: usize,
) -> Vec<Vec<bool>> {
    let mut keep: Vec<Vec<bool>> = loaded.iter().map(|d| vec![true; d.rows]).collect();
    for i in db.order() {
        let t = &db.tables[i];
        let Some(fk) = t.driving() else { continue };
        let Some(p) = db.table_index(&fk.table) else {
            continue;
        };
        let Some(parents) = links.get(&(i, fk.column.clone())) else {
            continue;
        };
        let data = &loaded[i];
        let key: Vec<f64> = order_column(t, data)
            .and_then(|c| match &data.column(&c)?.values {
                Values::Num(x) => Some(x.clone()),
                Values::Cat { .. } => None,
            })
            .unwrap_or_else(|| vec![0.0; data.rows]);
        let mut idx: Vec<usize> = (0..data.rows).collect();
        idx.sort_by(|&a, &b| {
            parents[a]
                .cmp(&parents[b])
                .then(key[a].total_cmp(&key[b]))
                .then(a.cmp(&b))
        });
        let mut run = 0usize;
        for w in 0..idx.len() {
            let r = idx[w];
            run = if w > 0 && parents[idx[w - 1]] == parents[r] {
                run + 1
            } else {
                0
            };
            let parent_kept = parents[r].is_some_and(|q| keep[p][q]);
            keep[i][r] = parent_kept && run < n;
        }
    }
    keep
}

/// The rows of `t` where `keep` holds.
pub(super) fn filter_rows(t: &Table, keep: &[bool]) -> Table {
    let rows: Vec<Option<usize>> = (0..t.rows).filter(|&r| keep[r]).map(Some).collect();
    Table {
        rows: rows.len(),
        columns: t
            .columns
            .iter()
            .map(|c: &TableColumn| c.gather(&rows, &c.name))
            .collect(),
    }
}

/// Per table of `db`: the most rows one person adds or removes (`m`), the most other rows
/// the person changes (`c`), each the largest over the root tables the person may be a row
/// of, and the sensitivity, the largest `m + 2c` over them. Reference tables are not roots.
pub(super) fn unit_bounds(db: &Database, n: usize) -> Vec<(f64, f64, f64)> {
    let k = db.tables.len();
    let n = n as f64;
    let order = db.order();
    let mut out = vec![(0.0f64, 0.0f64, 0.0f64); k];
    for root in (0..k).filter(|&r| db.tables[r].is_root() && !db.tables[r].reference) {
        let mut m = vec![0.0f64; k];
        for &i in &order {
            m[i] = if i == root {
                1.0
            } else {
                match db.tables[i]
                    .driving()
                    .and_then(|fk| db.table_index(&fk.table))
                {
                    Some(p) => m[p] * n,
                    None => 0.0,
                }
            };
        }
        let mut c = vec![0.0f64; k];
        for &i in &order {
            let name = db.tables[i].name();
            // Rows whose count through a non-driving key changes: one per child row added.
            let mut changed: f64 = db
                .tables
                .iter()
                .enumerate()
                .flat_map(|(j, child)| {
                    child
                        .foreign_keys
                        .iter()
                        .filter(move |fk| fk.table == name && fk.children.is_none())
                        .map(move |_| j)
                })
                .map(|j| m[j])
                .sum();
            // Rows whose parent changed carry its changed columns.
            if let Some(p) = db.tables[i]
                .driving()
                .and_then(|fk| db.table_index(&fk.table))
            {
                changed += c[p] * n;
            }
            c[i] = changed;
        }
        for i in 0..k {
            out[i].0 = out[i].0.max(m[i]);
            out[i].1 = out[i].1.max(c[i]);
            out[i].2 = out[i].2.max(m[i] + 2.0 * c[i]);
        }
    }
    out
}

/// The sensitivity of a reference table's count column of children in `child`: the most
/// rows of `child` one person adds.
pub(super) fn count_sensitivity(db: &Database, child: usize, n: usize) -> f64 {
    let bounds = unit_bounds(db, n);
    bounds[child].0.max(1.0)
}

/// The whole budget: ρ (Gaussian) or ε (Laplace).
pub(super) fn whole_budget(opts: &FitOptions) -> f64 {
    let epsilon = opts.epsilon.unwrap_or(1.0);
    match opts.dp_mechanism {
        DpMechanism::Gaussian => account::rho_for_epsilon(epsilon, opts.delta),
        DpMechanism::Laplace => epsilon,
    }
}

/// `weights` split `whole` in proportion (zeros get nothing).
pub(super) fn split(whole: f64, weights: &[usize]) -> Vec<f64> {
    let sum: usize = weights.iter().sum();
    weights
        .iter()
        .map(|&w| {
            if sum == 0 {
                0.0
            } else {
                whole * w as f64 / sum as f64
            }
        })
        .collect()
}

/// The rule of [`split`], for the ledger.
pub(super) const SPLIT_RULE: &str = "each table's share is proportional to the columns it measures: a modelled table, the variables of its model (its own columns, its children's counts, its parent's columns and its position); a reference table, its children's count columns (its own columns are public, stored whole, free); a table that measures nothing gets none";

/// The noisy count columns of a reference table: each column (children per row through one
/// key, `sens` the most one person adds) gets Gaussian (or Laplace) noise of the column's
/// share of `budget`, then is rounded and kept non-negative. Returns the ledger entries.
pub(super) fn noisy_counts(
    cols: &mut [(&mut TableColumn, f64)],
    budget: f64,
    opts: &FitOptions,
    table: &str,
) -> Vec<LedgerEntry> {
    let q = cols.len().max(1);
    let mut entries = Vec::new();
    for (col, sens) in cols.iter_mut() {
        let (scale, rho, eps) = match opts.dp_mechanism {
            DpMechanism::Gaussian => {
                let r = budget / q as f64;
                (
                    *sens * account::gaussian_sigma(budget, q),
                    r,
                    account::epsilon_of_rho(r, opts.delta),
                )
            }
            DpMechanism::Laplace => {
                let e = budget / q as f64;
                (*sens / e, 0.0, e)
            }
        };
        let mut rng = crate::synth::stream(
            opts.seed,
            &format!("\u{0}fit/linked/reference/{table}/{}", col.name),
            0,
            0,
        );
        if let Values::Num(x) = &mut col.values {
            for v in x.iter_mut() {
                let noise = match opts.dp_mechanism {
                    DpMechanism::Gaussian => scale * account::standard_normal(&mut rng),
                    DpMechanism::Laplace => account::laplace(&mut rng, scale),
                };
                *v = (*v + noise).round().max(0.0);
            }
        }
        entries.push(LedgerEntry {
            purpose: format!(
                "children per row of the reference table `{table}` ({})",
                col.name
            ),
            mechanism: match opts.dp_mechanism {
                DpMechanism::Gaussian => "gaussian",
                DpMechanism::Laplace => "laplace",
            }
            .into(),
            tables: 1,
            epsilon: eps,
            rho,
            scale,
            sensitivity: *sens,
        });
    }
    entries
}

/// The ledger's totals from its tables' entries: ρ added up and converted (reported as the
/// budget asked for when within 1e-6 of it), or ε added up.
pub(super) fn totals(opts: &FitOptions, tables: Vec<TableLedger>) -> LinkedLedger {
    let n = opts.max_children;
    let entries = tables.iter().flat_map(|t| &t.entries);
    let (epsilon, delta, rho) = match opts.dp_mechanism {
        DpMechanism::Gaussian => {
            let spent: f64 = entries.map(|e| e.rho).sum();
            let eps = account::epsilon_of_rho(spent, opts.delta);
            let asked = opts.epsilon.unwrap_or(eps);
            (
                if (asked - eps).abs() < 1e-6 {
                    asked
                } else {
                    eps
                },
                opts.delta,
                Some(spent),
            )
        }
        DpMechanism::Laplace => (entries.map(|e| e.epsilon).sum(), 0.0, None),
    };
    LinkedLedger {
        epsilon,
        delta,
        rho,
        mechanism: match opts.dp_mechanism {
            DpMechanism::Gaussian => "gaussian (rho-zCDP, converted to (epsilon, delta))".into(),
            DpMechanism::Laplace => "laplace (pure epsilon)".into(),
        },
        neighbouring: format!(
            "add or remove one person: a row of a root table with every row hanging from it through driving keys (at most {n} children per parent per relationship; later ones dropped before fitting)"
        ),
        max_children: n,
        split: SPLIT_RULE.into(),
        tables,
    }
}

/// A readable account of the ledger, as `fit` prints it.
pub fn summary(l: &LinkedLedger) -> String {
    use std::fmt::Write;
    let mut s = String::new();
    let delta = if l.delta == 0.0 {
        "0".to_string()
    } else {
        format!("{:e}", l.delta)
    };
    let _ = writeln!(
        s,
        "  differential privacy: epsilon {} delta {delta} ({}; {})",
        l.epsilon, l.mechanism, l.neighbouring
    );
    match l.rho {
        Some(r) => {
            let _ = writeln!(s, "    rho {r:.6} in total, the tables' rho added up");
        }
        None => {
            let _ = writeln!(s, "    pure epsilon-DP: the entries' epsilon add up");
        }
    }
    let _ = writeln!(s, "    split: {}", l.split);
    for t in &l.tables {
        let _ = writeln!(
            s,
            "    {}: share {:.4}, sensitivity {} ({} rows per person, {} changed): {}",
            t.table, t.share, t.sensitivity, t.rows_per_person, t.changed_per_person, t.note
        );
        for e in &t.entries {
            let rho = if l.is_pure() {
                String::new()
            } else {
                format!(", rho {:.6}", e.rho)
            };
            let _ = writeln!(
                s,
                "      {} x {}: {} (epsilon {:.4}{rho}, scale {:.4})",
                e.tables, e.mechanism, e.purpose, e.epsilon, e.scale
            );
        }
    }
    s
}

/// A table waiting for its share of the budget: its index in the model's tables and in the
/// schema, its augmented schema and text, and its fit options.
pub(super) type Pending = (usize, usize, crate::schema::Schema, String, FitOptions);

/// Fits the `pending` tables with their shares of the budget and sensitivities, adds the
/// noise to the reference tables' counts (`refs`: index in the model's tables and in the
/// schema), and returns the ledger. Tables that measure nothing release no row count.
pub(super) fn fit_pending(
    db: &Database,
    opts: &FitOptions,
    tables: &mut [TableModel],
    fitted: &mut [Option<Fitted>],
    pending: Vec<Pending>,
    refs: &[(usize, usize)],
) -> Result<LinkedLedger, ModelError> {
    let n = opts.max_children;
    let bounds = unit_bounds(db, n);
    let mut weights = vec![0usize; tables.len()];
    for (k, _, schema, _, _) in &pending {
        weights[*k] = crate::model::fit::modelled_columns(schema).len();
    }
    for &(k, _) in refs {
        weights[k] = tables[k].counts.len();
    }
    let whole = whole_budget(opts);
    let shares = split(whole, &weights);
    let mut ledgers: Vec<TableLedger> = tables
        .iter()
        .zip(&shares)
        .map(|(t, &share)| {
            let (m, c, s) = db
                .table_index(&t.name)
                .map_or((0.0, 0.0, 0.0), |i| bounds[i]);
            let (rho, epsilon) = match opts.dp_mechanism {
                DpMechanism::Gaussian => (share, account::epsilon_of_rho(share, opts.delta)),
                DpMechanism::Laplace => (0.0, share),
            };
            TableLedger {
                table: t.name.clone(),
                share: share / whole,
                rho,
                epsilon,
                rows_per_person: m,
                changed_per_person: c,
                sensitivity: s,
                note: "measures nothing: no modelled column, no row count released".into(),
                entries: Vec::new(),
            }
        })
        .collect();
    for (k, i, schema, yaml, mut o) in pending {
        let (_, _, sens) = bounds[i];
        o.dp_share = Some(crate::model::DpShare {
            budget: shares[k],
            sensitivity: sens.max(1.0),
        });
        let aug = &fitted[i]
            .as_ref()
            .ok_or_else(|| ModelError::Invalid(format!("table `{}` was not read", tables[k].name)))?
            .aug;
        let model =
            crate::model::fit(aug, &schema, &yaml, &o).map_err(|e| in_table(&tables[k].name, e))?;
        ledgers[k].entries = model
            .privacy
            .as_ref()
            .map(|l| l.entries.clone())
            .unwrap_or_default();
        ledgers[k].note = "its model's private fit on its augmented rows (own columns, children's counts, parent's columns, position)".into();
        tables[k].rows = model.rows;
        tables[k].model = Some(model);
    }
    for &(k, i) in refs {
        let f = fitted[i].as_mut().ok_or_else(|| {
            ModelError::Invalid(format!("table `{}` was not read", tables[k].name))
        })?;
        let sens: Vec<f64> = f
            .aug
            .columns
            .iter()
            .filter(|c| c.name.starts_with('#'))
            .map(|c| {
                tables[k]
                    .counts
                    .iter()
                    .find(|x| x.var == c.name)
                    .and_then(|x| db.table_index(&x.table))
                    .map_or(1.0, |j| count_sensitivity(db, j, n))
            })
            .collect();
        let mut cols: Vec<(&mut TableColumn, f64)> = f
            .aug
            .columns
            .iter_mut()
            .filter(|c| c.name.starts_with('#'))
            .zip(sens)
            .collect();
        let mut o = opts.clone();
        o.seed = rand::Rng::next_u64(&mut crate::synth::stream(
            opts.seed,
            &format!("\u{0}fit/linked/{}", tables[k].name),
            0,
            0,
        ));
        ledgers[k].entries = noisy_counts(&mut cols, shares[k], &o, &tables[k].name);
        // Each count column is its own query, of the most children one person adds to it.
        ledgers[k].sensitivity = ledgers[k]
            .entries
            .iter()
            .map(|e| e.sensitivity)
            .fold(0.0, f64::max);
        for (c, _) in cols {
            if let Values::Num(x) = &mut c.values {
                super::reference::pool_small_counts(x, opts.min_count as f64);
            }
        }
        ledgers[k].note = if ledgers[k].entries.is_empty() {
            "reference table: public, stored whole, no budget".into()
        } else {
            "reference table: its own columns public, stored whole, no budget; its children's counts per row measured with noise".into()
        };
        tables[k].reference = Some(super::reference::store(&f.aug.columns));
    }
    // A table without a model or stored rows releases no row count.
    for t in tables.iter_mut() {
        if t.model.is_none() && t.reference.is_none() {
            t.rows = 0;
        }
    }
    Ok(totals(opts, ledgers))
}

impl LinkedModel {
    /// The privacy ledger, when fitted with `--epsilon`.
    pub fn ledger(&self) -> Option<&LinkedLedger> {
        self.privacy.as_ref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn db(yaml: &str) -> Database {
        match crate::schema::Document::from_str_named(yaml, "db.yaml").expect("schema") {
            crate::schema::Document::Database(db) => db,
            crate::schema::Document::Table(_) => panic!("not linked"),
        }
    }

    /// Berka's shape: clients and accounts are roots, dispositions hang from clients and
    /// pick an account, cards hang from dispositions, orders from accounts; districts are
    /// reference data.
    const BANK: &str = "version: 1\nname: bank\ntables:\n  - name: district\n    primary_key: id\n    reference: true\n    columns:\n      - {name: id, type: int}\n  - name: client\n    primary_key: id\n    columns:\n      - {name: id, type: int}\n      - {name: district_id, type: int, references: district}\n  - name: account\n    primary_key: id\n    columns:\n      - {name: id, type: int}\n  - name: disp\n    primary_key: id\n    columns:\n      - {name: id, type: int}\n      - {name: client_id, type: int, references: client, children: {shares: {\"1\": 1}}}\n      - {name: account_id, type: int, references: account}\n  - name: card\n    primary_key: id\n    columns:\n      - {name: id, type: int}\n      - {name: disp_id, type: int, references: disp, children: {shares: {\"0\": 1}}}\n  - name: order\n    primary_key: id\n    columns:\n      - {name: id, type: int}\n      - {name: account_id, type: int, references: account, children: {shares: {\"0\": 1}}}\n";

    #[test]
    fn the_sensitivity_is_the_product_of_the_bounds_along_the_path_plus_twice_the_changed_rows() {
        let d = db(BANK);
        let n = 3;
        let b = unit_bounds(&d, n);
        let at = |name: &str| b[d.table_index(name).expect("table")];
        // A client: 1 row, 3 dispositions, 9 cards; each disposition changes its account's
        // count (3 accounts) and so every order of those accounts (3 each: 9).
        assert_eq!(at("client"), (1.0, 0.0, 1.0));
        assert_eq!(at("disp"), (3.0, 0.0, 3.0));
        assert_eq!(at("card"), (9.0, 0.0, 9.0));
        // An account: 1 row; a client changes 3 of them: 2 * 3 = 6 > 1.
        assert_eq!(at("account"), (1.0, 3.0, 6.0));
        // Orders: an account adds 3; a client changes 9: 18 > 3.
        assert_eq!(at("order"), (3.0, 9.0, 18.0));
        assert_eq!(
            count_sensitivity(&d, d.table_index("order").expect("o"), n),
            3.0
        );
        // The reference table is nobody's: its counts change by one per client.
        assert_eq!(at("district"), (0.0, 1.0, 2.0));
        assert_eq!(
            count_sensitivity(&d, d.table_index("client").expect("c"), n),
            1.0
        );
        // With one child per parent, a grandchild table's sensitivity is 1.
        let b1 = unit_bounds(&d, 1);
        assert_eq!(b1[d.table_index("card").expect("card")].2, 1.0);
    }

    #[test]
    fn the_budget_is_split_in_proportion_and_adds_up() {
        let s = split(0.6, &[1, 2, 0, 3]);
        assert_eq!(s.len(), 4);
        assert!((s[0] - 0.1).abs() < 1e-15 && (s[1] - 0.2).abs() < 1e-15);
        assert_eq!(s[2], 0.0);
        assert!((s.iter().sum::<f64>() - 0.6).abs() < 1e-15);
        assert_eq!(split(1.0, &[0, 0]), vec![0.0, 0.0]);
    }

    #[test]
    fn every_parent_keeps_its_first_children_by_the_order_column() {
        let d = db("version: 1\nname: shop\ntables:\n  - name: users\n    primary_key: id\n    columns:\n      - {name: id, type: int}\n  - name: buys\n    primary_key: id\n    columns:\n      - {name: id, type: int}\n      - {name: user, type: int, references: users, children: {shares: {\"1\": 1}}}\n      - {name: day, type: int}\n  - name: notes\n    primary_key: id\n    columns:\n      - {name: id, type: int}\n      - {name: buy, type: int, references: buys, children: {shares: {\"1\": 1}}}\n");
        let num = |name: &str, x: Vec<f64>| TableColumn {
            name: name.into(),
            ty: ColumnType::Int { bits: 64 },
            values: Values::Num(x),
        };
        let loaded = vec![
            Table {
                rows: 2,
                columns: vec![num("id", vec![1.0, 2.0])],
            },
            Table {
                rows: 4,
                columns: vec![num("id", vec![1.0, 2.0, 3.0, 4.0])],
            },
            Table {
                rows: 3,
                columns: vec![num("id", vec![1.0, 2.0, 3.0])],
            },
        ];
        let mut links = std::collections::HashMap::new();
        // Three buys of user 0, one of user 1; notes on buys 0, 2 and 3.
        links.insert(
            (1, "user".to_string()),
            vec![Some(0), Some(0), Some(1), Some(0)],
        );
        links.insert((2, "buy".to_string()), vec![Some(0), Some(2), Some(3)]);
        let keep = keep_rows(&d, &loaded, &links, 2);
        assert_eq!(keep[0], vec![true, true]);
        // No order column (an int, not a date): input order: buys 0 and 1 of user 0 kept.
        assert_eq!(keep[1], vec![true, true, true, false]);
        // The note on the dropped buy 3 goes with it.
        assert_eq!(keep[2], vec![true, true, false]);
        let f = filter_rows(&loaded[1], &keep[1]);
        assert_eq!(f.rows, 3);
    }
}
