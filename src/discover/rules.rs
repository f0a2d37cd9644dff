//! Date rules that hold on every row: an order between two date or timestamp columns of one
//! table (`a <= b`), and a parent's date before its children's dates (`loan.date >=
//! account.date`), checked by joining each child row to its parent through a foreign key.

use super::scan::{KeyKind, TimeColumn};
use super::{DiscoverError, ForeignKey, Rule, View};
use crate::deid::inspect::empty_schema;
use crate::hash::FastMap;
use crate::io::read::{texts, Reader};

/// The orders between the time columns of each table that hold on every row where both have a
/// value.
pub(crate) fn within(tables: &[View]) -> Vec<Rule> {
    let mut rules = Vec::new();
    for t in tables {
        for o in &t.scan.orders {
            let (a, b) = (&t.scan.times[o.a].name, &t.scan.times[o.b].name);
            let rows = o.less + o.equal + o.greater;
            if rows == 0 {
                continue;
            }
            let side = |c: &str| format!("{}.{c}", t.name);
            let rule = |left: &str, op: &str, right: &str| Rule {
                table: t.name.to_string(),
                left: side(left),
                op: op.into(),
                right: side(right),
                via: None,
                rows,
            };
            if o.less == 0 && o.greater == 0 {
                rules.push(rule(a, "==", b));
            } else if o.greater == 0 {
                rules.push(rule(b, ">=", a));
            } else if o.less == 0 {
                rules.push(rule(a, ">=", b));
            }
        }
    }
    rules
}

/// For each foreign key whose parent and child both have time columns: the pairs (child column,
/// parent column) where the child's value is never before its parent's.
pub(crate) fn parents(tables: &[View], fks: &[ForeignKey]) -> Result<Vec<Rule>, DiscoverError> {
    let mut rules = Vec::new();
    for fk in fks.iter().filter(|f| !f.self_reference()) {
        let (Some(child), Some(parent)) = (
            tables.iter().find(|t| t.name == fk.child),
            tables.iter().find(|t| t.name == fk.parent),
        ) else {
            continue;
        };
        if child.scan.times.is_empty() || parent.scan.times.is_empty() {
            continue;
        }
        let kind = if fk.key_type == "int" {
            KeyKind::Int
        } else {
            KeyKind::Text
        };
        let Some(pk) = parent.key else { continue };
        let read = |t: &View, source| DiscoverError::Read {
            table: t.name.to_string(),
            path: t.file.into(),
            source: Box::new(source),
        };
        // The parent's times by key.
        let mut by_key: FastMap<u64, Vec<Option<i64>>> = FastMap::default();
        for_rows(parent, pk, &parent.scan.times, kind, |k, times| {
            by_key.insert(k, times.to_vec());
        })
        .map_err(|e| read(parent, e))?;
        // (child column, parent column) → (rows compared, rows where the child is earlier).
        let np = parent.scan.times.len();
        let mut tally = vec![(0u64, 0u64); child.scan.times.len() * np];
        for_rows(child, &fk.column, &child.scan.times, kind, |k, times| {
            let Some(pt) = by_key.get(&k) else { return };
            for (ci, c) in times.iter().enumerate() {
                for (pi, p) in pt.iter().enumerate() {
                    if let (Some(c), Some(p)) = (c, p) {
                        let t = &mut tally[ci * np + pi];
                        t.0 += 1;
                        if c < p {
                            t.1 += 1;
                        }
                    }
                }
            }
        })
        .map_err(|e| read(child, e))?;
        for (ci, c) in child.scan.times.iter().enumerate() {
            for (pi, p) in parent.scan.times.iter().enumerate() {
                let (n, earlier) = tally[ci * np + pi];
                if n > 0 && earlier == 0 {
                    rules.push(Rule {
                        table: child.name.to_string(),
                        left: format!("{}.{}", child.name, c.name),
                        op: ">=".into(),
                        right: format!("{}.{}", parent.name, p.name),
                        via: Some(format!("{}.{}", child.name, fk.column)),
                        rows: n,
                    });
                }
            }
        }
    }
    Ok(rules)
}

/// Calls `f` with the key and the times of every row of `t` whose `key` column has a value.
fn for_rows(
    t: &View,
    key: &str,
    times: &[TimeColumn],
    kind: KeyKind,
    mut f: impl FnMut(u64, &[Option<i64>]),
) -> Result<(), crate::io::read::ReadError> {
    let empty = empty_schema();
    let mut names: Vec<&str> = vec![key];
    names.extend(times.iter().map(|c| c.name.as_str()));
    let mut row: Vec<Option<i64>> = vec![None; times.len()];
    for batch in Reader::open_columns(t.input, &empty, &names)? {
        let batch = batch?;
        let Some(keys) = batch.column_by_name(key).map(texts) else {
            continue;
        };
        let cols: Vec<Vec<Option<i64>>> = times
            .iter()
            .map(|c| {
                batch.column_by_name(&c.name).map_or_else(
                    || vec![None; keys.len()],
                    |col| {
                        texts(col)
                            .into_iter()
                            .map(|v| v.and_then(|v| c.time(&v, t.values)))
                            .collect()
                    },
                )
            })
            .collect();
        for (r, k) in keys.iter().enumerate() {
            let Some(k) = k.as_deref().and_then(|v| kind.key(v, t.values)) else {
                continue;
            };
            for (slot, col) in row.iter_mut().zip(&cols) {
                *slot = col.get(r).copied().flatten();
            }
            f(k, &row);
        }
    }
    Ok(())
}
