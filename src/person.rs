//! The person behind a row of linked tables: the row of an ancestor table each row hangs
//! from up the driving keys, and the person's protected levels that a child table's
//! `fairness:` names (`loan.status` independent of `client.sex`). `evaluate DIR` measures the
//! parity of a child label at the person with these definitions and `reweight DIR` repairs
//! it, so both group the same rows the same way: a row's group is its ancestors' levels
//! joined by ` & `, a number by its band; a row whose key is null or dangling on the way up,
//! or whose ancestor has no level, has no group.
//!
//! Works on loaded tables ([`crate::io::table::Table`], one per table of the
//! [`crate::schema::Database`], in its order); keys are matched by their text
//! ([`crate::profile::link`]).

use crate::io::table::{Table, Values, NULL};
use crate::profile::link;
use crate::schema::Database;

/// Per row of table `i`, the row of table `to` it hangs from up the driving keys (`None`: a
/// null or dangling key on the way), with the index of `to`. `to` may be `i` itself. An
/// error says why `to` is not up the driving keys of `i`.
pub fn rows_up(
    db: &Database,
    tables: &[Table],
    i: usize,
    to: &str,
) -> Result<(usize, Vec<Option<usize>>), String> {
    let mut at = i;
    let mut rows: Vec<Option<usize>> = (0..tables[i].rows).map(Some).collect();
    let mut hops = 0;
    while db.tables[at].name() != to {
        let fk = db.tables[at].driving().ok_or_else(|| {
            format!(
                "`{to}` is not up the driving keys of `{}`",
                db.tables[i].name()
            )
        })?;
        let p = db
            .table_index(&fk.table)
            .ok_or_else(|| format!("no table `{}`", fk.table))?;
        hops += 1;
        if hops > db.tables.len() {
            return Err(format!(
                "the driving keys above `{}` form a cycle",
                db.tables[i].name()
            ));
        }
        let up = link(
            &tables[at],
            &fk.column,
            &tables[p],
            &db.tables[p].primary_key,
        )
        .rows;
        rows = rows.iter().map(|r| r.and_then(|r| up[r])).collect();
        at = p;
    }
    Ok((at, rows))
}

/// The level of row `r` of a loaded column as a group names it: a category's text, a number's
/// band (`band`); `None` for a null or a number outside the bands.
pub fn level(values: &Values, r: usize, band: &dyn Fn(f64) -> Option<String>) -> Option<String> {
    match values {
        Values::Cat { codes, levels } => {
            (codes[r] != NULL).then(|| levels[codes[r] as usize].clone())
        }
        Values::Num(x) => (!x[r].is_nan()).then(|| band(x[r])).flatten(),
    }
}

/// Per protected column `table.column` of `of`, the level of each row of table `i` at its
/// ancestor up the driving keys (see [`level`]; numbers by the bins the schema gives them).
/// An error names a column that is not a `table.column` up the driving keys, or not loaded.
pub fn protected_levels(
    db: &Database,
    tables: &[Table],
    i: usize,
    of: &[String],
) -> Result<Vec<Vec<Option<String>>>, String> {
    let mut columns = Vec::with_capacity(of.len());
    for q in of {
        let (table, column) = q
            .split_once('.')
            .ok_or_else(|| format!("`{q}` does not name a table's column as `table.column`"))?;
        let (at, rows) = rows_up(db, tables, i, table)?;
        let values = &tables[at]
            .column(column)
            .ok_or_else(|| format!("table `{table}` has no column `{column}`"))?
            .values;
        let bins = db.tables[at]
            .schema
            .column(column)
            .and_then(|c| c.bins.clone());
        let band = |x: f64| {
            let b = bins.as_ref()?;
            b.band(x).map(|k| b.labels[k].clone())
        };
        columns.push(
            rows.iter()
                .map(|r| r.and_then(|r| level(values, r, &band)))
                .collect(),
        );
    }
    Ok(columns)
}

/// The group of row `r` over `columns` (from [`protected_levels`]): the levels joined by
/// ` & `, `None` when one is missing.
pub fn group(columns: &[Vec<Option<String>>], r: usize) -> Option<String> {
    columns
        .iter()
        .map(|col| col[r].clone())
        .collect::<Option<Vec<String>>>()
        .map(|g| g.join(" & "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_group_joins_levels_and_needs_all_of_them() {
        let columns = vec![
            vec![Some("F".to_string()), Some("M".to_string()), None],
            vec![
                Some("old".to_string()),
                Some("young".to_string()),
                Some("old".to_string()),
            ],
        ];
        assert_eq!(group(&columns, 0).as_deref(), Some("F & old"));
        assert_eq!(group(&columns, 1).as_deref(), Some("M & young"));
        assert_eq!(group(&columns, 2), None);
    }

    #[test]
    fn a_number_is_named_by_its_band() {
        let values = Values::Num(vec![1.0, f64::NAN, 7.0]);
        let band = |x: f64| (x < 5.0).then(|| "low".to_string());
        assert_eq!(level(&values, 0, &band).as_deref(), Some("low"));
        assert_eq!(level(&values, 1, &band), None);
        assert_eq!(level(&values, 2, &band), None);
    }
}
