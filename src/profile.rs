//! Profiles of linked tables: each row of a table with the aggregates of the rows that hang
//! from it through driving keys (its children, their children, ...). A customer's profile is
//! the customer's own columns, how many accounts, orders and cards they have, the mean of each
//! numeric column of those rows and the most common level of each categorical one. `evaluate`
//! tells real profiles from synthetic ones and tests membership on them; `audit` looks for
//! proxies of protected attributes among the aggregates.
//!
//! Works on loaded tables ([`crate::io::table::Table`], one per table of the
//! [`crate::schema::Database`], in its order); keys are matched by their text, so an integer
//! key and the same key read as text join.

use std::collections::HashMap;

use crate::io::read::{Input, ReadError};
use crate::io::table::{Table, TableColumn, Values, NULL};
use crate::schema::{Column, ColumnType, Database, Role, Schema};

/// How the rows of a child table resolve to the rows of its parent.
#[derive(Debug, Clone, PartialEq)]
pub struct Link {
    /// Per child row, the parent row its key names (`None`: a null or dangling key).
    pub rows: Vec<Option<usize>>,
    /// Child rows whose key is not null.
    pub present: usize,
    /// Child rows whose key names a parent row.
    pub resolved: usize,
}

/// Resolves `child.column` against `parent.key` (a missing column resolves nothing).
pub fn link(child: &Table, column: &str, parent: &Table, key: &str) -> Link {
    let (Some(fk), Some(pk)) = (child.column(column), parent.column(key)) else {
        return Link {
            rows: vec![None; child.rows],
            present: 0,
            resolved: 0,
        };
    };
    let index: HashMap<String, usize> = (0..parent.rows)
        .filter_map(|r| Some((pk.key(r)?, r)))
        .collect();
    let mut present = 0;
    let mut resolved = 0;
    let rows = (0..child.rows)
        .map(|r| {
            let k = fk.key(r)?;
            present += 1;
            let p = index.get(&k).copied();
            resolved += usize::from(p.is_some());
            p
        })
        .collect();
    Link {
        rows,
        present,
        resolved,
    }
}

/// Every table of `db` from `inputs` (one per table, in its order): each declared column its
/// file holds (a column the file lacks is left out, not an error).
pub fn load_tables(db: &Database, inputs: &[Input]) -> Result<Vec<Table>, ReadError> {
    db.tables
        .iter()
        .zip(inputs)
        .map(|(t, input)| {
            let present = crate::io::read::column_names(input, &t.schema)?;
            let names: Vec<String> = t
                .schema
                .columns
                .iter()
                .filter(|c| present.contains(&c.name))
                .map(|c| c.name.clone())
                .collect();
            Table::load_only(input, &t.schema, &names)
        })
        .collect()
}

/// The columns of a table that describe its rows: not its keys, identifiers or weights, and
/// loaded in `loaded`.
pub fn own_columns(t: &crate::schema::Table, loaded: &Table) -> Vec<String> {
    let keys: Vec<&str> = std::iter::once(t.primary_key.as_str())
        .chain(t.foreign_keys.iter().map(|f| f.column.as_str()))
        .collect();
    t.schema
        .columns
        .iter()
        .filter(|c| !keys.contains(&c.name.as_str()))
        .filter(|c| !matches!(c.role, Role::Identifier | Role::Weight))
        .filter(|c| loaded.column(&c.name).is_some())
        .map(|c| c.name.clone())
        .collect()
}

/// A table's profile: its own columns, then per descendant table `d` the count `#d` and
/// `d.column` aggregates.
#[derive(Debug, Clone)]
pub struct Profile {
    /// The declarations of the profile's columns (own columns as the schema declares them;
    /// counts as integers, means as floats, modes as categories).
    pub schema: Schema,
    /// The profile, one row per row of the table.
    pub table: Table,
    /// The descendant tables aggregated, nearest first.
    pub descendants: Vec<String>,
}

/// The profile of table `at` of `db` from the loaded `tables` (one per table of `db`).
/// `columns(i)` names the columns of table `i` to aggregate (for `at` itself: to keep).
pub fn profile(
    db: &Database,
    tables: &[Table],
    at: usize,
    columns: &dyn Fn(usize) -> Vec<String>,
) -> Profile {
    let base = &db.tables[at];
    let rows = tables[at].rows;
    let mut schema = base.schema.clone();
    schema.columns.clear();
    let mut out = Vec::new();
    for name in columns(at) {
        let (Some(decl), Some(c)) = (base.schema.column(&name), tables[at].column(&name)) else {
            continue;
        };
        schema.columns.push(decl.clone());
        out.push(c.clone());
    }
    // Per table, the row of `at` each of its rows belongs to (through the driving keys).
    let mut owner: Vec<Option<Vec<Option<usize>>>> = vec![None; db.tables.len()];
    owner[at] = Some((0..rows).map(Some).collect());
    let mut order = Vec::new();
    loop {
        let mut grew = false;
        for (i, t) in db.tables.iter().enumerate() {
            if owner[i].is_some() {
                continue;
            }
            let Some(fk) = t.driving() else { continue };
            let Some(p) = db.table_index(&fk.table) else {
                continue;
            };
            let Some(up) = owner[p].as_ref() else {
                continue;
            };
            let l = link(
                &tables[i],
                &fk.column,
                &tables[p],
                &db.tables[p].primary_key,
            );
            let mine: Vec<Option<usize>> = l.rows.iter().map(|r| r.and_then(|r| up[r])).collect();
            owner[i] = Some(mine);
            order.push(i);
            grew = true;
        }
        if !grew {
            break;
        }
    }
    let mut descendants = Vec::new();
    for &d in &order {
        let Some(own) = owner[d].as_ref() else {
            continue;
        };
        let name = db.tables[d].name();
        descendants.push(name.to_string());
        let mut count = vec![0.0; rows];
        for r in own.iter().flatten() {
            count[*r] += 1.0;
        }
        let n = format!("#{name}");
        schema
            .columns
            .push(Column::blank(&n, ColumnType::Int { bits: 64 }));
        out.push(TableColumn {
            name: n,
            ty: ColumnType::Int { bits: 64 },
            values: Values::Num(count),
        });
        for c in columns(d) {
            let Some(col) = tables[d].column(&c) else {
                continue;
            };
            let n = format!("{name}.{c}");
            let (ty, values) = match &col.values {
                Values::Num(x) => (ColumnType::Float, Values::Num(mean(x, own, rows))),
                Values::Cat { codes, levels } => (
                    ColumnType::Category,
                    Values::Cat {
                        codes: mode(codes, levels, own, rows),
                        levels: levels.clone(),
                    },
                ),
            };
            schema.columns.push(Column::blank(&n, ty));
            out.push(TableColumn {
                name: n,
                ty,
                values,
            });
        }
    }
    Profile {
        schema,
        table: Table { rows, columns: out },
        descendants,
    }
}

/// Per owner row, the mean of the non-null values of its rows (NaN: none).
fn mean(x: &[f64], owner: &[Option<usize>], rows: usize) -> Vec<f64> {
    let mut sum = vec![0.0; rows];
    let mut n = vec![0u32; rows];
    for (v, o) in x.iter().zip(owner) {
        if let (Some(o), false) = (o, v.is_nan()) {
            sum[*o] += v;
            n[*o] += 1;
        }
    }
    sum.iter()
        .zip(&n)
        .map(|(s, n)| if *n == 0 { f64::NAN } else { s / f64::from(*n) })
        .collect()
}

/// Per owner row, the most common non-null code of its rows (ties: the level first in text
/// order, so both sides of a comparison break them alike); [`NULL`] when it has none.
fn mode(codes: &[u32], levels: &[String], owner: &[Option<usize>], rows: usize) -> Vec<u32> {
    let mut tally: Vec<Vec<(u32, u32)>> = vec![Vec::new(); rows];
    for (c, o) in codes.iter().zip(owner) {
        let (Some(o), false) = (o, *c == NULL) else {
            continue;
        };
        let t = &mut tally[*o];
        match t.iter_mut().find(|(code, _)| code == c) {
            Some((_, n)) => *n += 1,
            None => t.push((*c, 1)),
        }
    }
    tally
        .iter()
        .map(|t| {
            t.iter()
                .max_by(|a, b| {
                    a.1.cmp(&b.1)
                        .then_with(|| levels[b.0 as usize].cmp(&levels[a.0 as usize]))
                })
                .map_or(NULL, |(c, _)| *c)
        })
        .collect()
}

/// Columns built by hand, for the tests of the modules that work on loaded tables.
#[cfg(test)]
pub(crate) mod fixtures {
    use crate::io::table::{TableColumn, Values, NULL};
    use crate::schema::ColumnType;

    /// A categorical column; `""` is a null.
    pub(crate) fn cat(name: &str, v: &[&str]) -> TableColumn {
        let mut levels: Vec<String> = Vec::new();
        let codes = v
            .iter()
            .map(|s| {
                if s.is_empty() {
                    return NULL;
                }
                match levels.iter().position(|l| l == s) {
                    Some(i) => i as u32,
                    None => {
                        levels.push(s.to_string());
                        (levels.len() - 1) as u32
                    }
                }
            })
            .collect();
        TableColumn {
            name: name.into(),
            ty: ColumnType::Category,
            values: Values::Cat { codes, levels },
        }
    }

    /// A numeric column; NaN is a null.
    pub(crate) fn num(name: &str, v: &[f64]) -> TableColumn {
        TableColumn {
            name: name.into(),
            ty: ColumnType::Float,
            values: Values::Num(v.to_vec()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::fixtures::{cat, num};
    use super::*;

    const SCHEMA: &str = r#"
version: 1
name: shop
tables:
  - name: customer
    rows: 3
    primary_key: id
    columns:
      - {name: id, type: int}
      - {name: sex, type: category, levels: [f, m]}
  - name: order
    primary_key: oid
    columns:
      - {name: oid, type: int}
      - name: id
        type: int
        references: customer
        children: {shares: {"1": 0.5, "2": 0.5}}
      - {name: amount, type: float}
  - name: item
    primary_key: iid
    columns:
      - {name: iid, type: int}
      - name: oid
        type: int
        references: order
        children: {shares: {"1": 0.5, "2": 0.5}}
      - {name: kind, type: category, levels: [cd, dvd]}
"#;

    #[test]
    fn a_profile_counts_children_and_grandchildren_and_aggregates_their_columns() {
        let crate::schema::Document::Database(db) =
            crate::schema::Document::from_str_named(SCHEMA, "shop.yaml").expect("schema")
        else {
            panic!("a schema of linked tables")
        };
        let tables = vec![
            Table {
                rows: 3,
                columns: vec![num("id", &[1.0, 2.0, 3.0]), cat("sex", &["f", "m", "f"])],
            },
            Table {
                rows: 4,
                columns: vec![
                    num("oid", &[10.0, 11.0, 12.0, 13.0]),
                    num("id", &[1.0, 1.0, 3.0, 9.0]),
                    num("amount", &[2.0, 4.0, f64::NAN, 5.0]),
                ],
            },
            Table {
                rows: 4,
                columns: vec![
                    num("iid", &[1.0, 2.0, 3.0, 4.0]),
                    num("oid", &[10.0, 11.0, 11.0, 12.0]),
                    cat("kind", &["dvd", "cd", "dvd", ""]),
                ],
            },
        ];
        let cols = |i: usize| own_columns(&db.tables[i], &tables[i]);
        let p = profile(&db, &tables, 0, &cols);
        assert_eq!(p.descendants, ["order", "item"]);
        let names: Vec<&str> = p.table.columns.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(
            names,
            ["sex", "#order", "order.amount", "#item", "item.kind"]
        );
        let n = |name: &str| match &p.table.column(name).expect(name).values {
            Values::Num(x) => x.clone(),
            Values::Cat { .. } => panic!("{name} is numeric"),
        };
        // The order of customer 9 dangles: it belongs to no one.
        assert_eq!(n("#order"), [2.0, 0.0, 1.0]);
        assert_eq!(n("order.amount")[0], 3.0);
        assert!(n("order.amount")[1].is_nan() && n("order.amount")[2].is_nan());
        assert_eq!(n("#item"), [3.0, 0.0, 1.0]);
        let kind = p.table.column("item.kind").expect("kind");
        // Customer 1: dvd twice, cd once; customer 3: one item without a kind.
        assert_eq!(kind.key(0).as_deref(), Some("dvd"));
        assert_eq!(kind.key(1), None);
        assert_eq!(kind.key(2), None);
        assert_eq!(p.schema.columns.len(), 5);
    }

    #[test]
    fn ties_in_the_mode_go_to_the_first_level_in_text_order() {
        let owner = [Some(0), Some(0), Some(1), Some(1)];
        let levels = vec!["b".to_string(), "a".to_string()];
        assert_eq!(mode(&[0, 1, 0, 0], &levels, &owner, 2), [1, 0]);
    }
}
