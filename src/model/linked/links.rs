//! What the keys of linked tables link: the referenced row of every row per foreign key
//! ([`link_rows`]), each row's children through every key pointing at its table (the count
//! columns, [`count_columns`]) and the non-driving keys a table picks rows through
//! ([`picks_of`]).

use std::collections::HashMap;

use super::{count_var, CountColumn, Pick, Spec};
use crate::io::table::{Table, TableColumn, Values};
use crate::model::ModelError;
use crate::schema::{Column, ColumnType, Database};

/// Per row of table `t` (`rows` of them), its children through every key that points at it:
/// the count columns' specs and values are appended, their descriptions returned. With a
/// `cap` (differential privacy) the counts are capped at it and their public range is
/// `0..=cap`.
pub(super) fn count_columns(
    db: &Database,
    t: &crate::schema::Table,
    links: &HashMap<(usize, String), Vec<Option<usize>>>,
    rows: usize,
    cap: Option<usize>,
    specs: &mut Vec<Spec>,
    cols: &mut Vec<TableColumn>,
) -> Vec<CountColumn> {
    let mut counts = Vec::new();
    for (j, child) in db.tables.iter().enumerate() {
        for fk in child.foreign_keys.iter().filter(|fk| fk.table == t.name()) {
            let var = count_var(child.name(), &fk.column);
            let mut n: Vec<f64> = vec![0.0; rows];
            for p in links[&(j, fk.column.clone())].iter().flatten() {
                n[*p] += 1.0;
            }
            if let Some(cap) = cap {
                n.iter_mut().for_each(|x: &mut f64| *x = x.min(cap as f64));
            }
            // Modelled with a continuous tail (`FitOptions::tails`): the few parents with
            // very many children keep their range instead of collapsing onto the largest
            // count enough parents share.
            let mut column = Column::blank(&var, ColumnType::Int { bits: 64 });
            column.min = Some(0.0);
            specs.push(Spec {
                column,
                int: true,
                range: cap.map(|c| (0.0, c as f64)),
            });
            cols.push(TableColumn {
                name: var.clone(),
                ty: ColumnType::Int { bits: 64 },
                values: Values::Num(n),
            });
            counts.push(CountColumn {
                var,
                table: child.name().to_string(),
                column: fk.column.clone(),
            });
        }
    }
    counts
}

/// The non-driving foreign keys of table `i` with their share of empty references (0 under
/// differential privacy, `dp`: not measured).
pub(super) fn picks_of(
    t: &crate::schema::Table,
    i: usize,
    links: &HashMap<(usize, String), Vec<Option<usize>>>,
    dp: bool,
) -> Vec<Pick> {
    t.foreign_keys
        .iter()
        .filter(|fk| fk.children.is_none())
        .map(|fk| {
            let rows = &links[&(i, fk.column.clone())];
            let nulls = rows.iter().filter(|r| r.is_none()).count();
            Pick {
                column: fk.column.clone(),
                table: fk.table.clone(),
                null_share: if rows.is_empty() || dp {
                    0.0
                } else {
                    nulls as f64 / rows.len() as f64
                },
            }
        })
        .collect()
}

/// Per (table index, foreign-key column): the referenced table's row of each row.
pub(super) type Links = HashMap<(usize, String), Vec<Option<usize>>>;

/// The row of the referenced table per row of each table and foreign key. A key naming no
/// row is an error, unless `lenient` (after rows past the bound on children were dropped)
/// and the key is not driving: then it references nothing.
pub(super) fn link_rows(
    db: &Database,
    loaded: &[Table],
    lenient: bool,
) -> Result<Links, ModelError> {
    // Row of the referenced table per row and foreign key.
    let mut key_rows: HashMap<String, HashMap<String, usize>> = HashMap::new();
    for (t, data) in db.tables.iter().zip(loaded) {
        if !db.is_referenced(t.name()) {
            continue;
        }
        let pk = data.column(&t.primary_key).ok_or_else(|| {
            ModelError::Invalid(format!(
                "table `{}`: its key `{}` is referenced but not in its file",
                t.name(),
                t.primary_key
            ))
        })?;
        let mut map = HashMap::with_capacity(data.rows);
        for r in 0..data.rows {
            if let Some(k) = pk.key(r) {
                map.insert(k, r);
            }
        }
        key_rows.insert(t.name().to_string(), map);
    }
    let mut links: Links = HashMap::new();
    for (i, (t, data)) in db.tables.iter().zip(loaded).enumerate() {
        for fk in &t.foreign_keys {
            let col = data.column(&fk.column).ok_or_else(|| {
                ModelError::Invalid(format!("table `{}`: no column `{}`", t.name(), fk.column))
            })?;
            let map = &key_rows[&fk.table];
            let mut rows = Vec::with_capacity(data.rows);
            let mut dangling = 0usize;
            let mut example = None;
            for r in 0..data.rows {
                match col.key(r) {
                    None => rows.push(None),
                    Some(k) => match map.get(&k) {
                        Some(&p) => rows.push(Some(p)),
                        None => {
                            dangling += 1;
                            example.get_or_insert(k);
                            rows.push(None);
                        }
                    },
                }
            }
            if dangling > 0 && !(lenient && fk.children.is_none()) {
                return Err(ModelError::Invalid(format!(
                    "table `{}`: {dangling} rows of `{}` name no row of `{}` (e.g. `{}`)\n    hint: every foreign key must hold a key of the table it references; remove or repair those rows",
                    t.name(),
                    fk.column,
                    fk.table,
                    example.unwrap_or_default()
                )));
            }
            if fk.children.is_some() && rows.iter().any(Option::is_none) {
                return Err(ModelError::Invalid(format!(
                    "table `{}`: the driving key `{}` is empty in some rows\n    hint: a driving key (with `children:`) must name a parent in every row",
                    t.name(),
                    fk.column
                )));
            }
            links.insert((i, fk.column.clone()), rows);
        }
    }
    Ok(links)
}
