//! Date rules that hold on every row: an order between two date or timestamp columns of one
//! table (`a <= b`), and a parent's date before its children's dates (`loan.date >=
//! account.date`), checked by joining each child row to its parent through a foreign key (or
//! to its grandparent through a parent without dates: `card.issued >= account.date` through
//! `disp`).

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

fn kind_of(fk: &ForeignKey) -> KeyKind {
    if fk.key_type == "int" {
        KeyKind::Int
    } else {
        KeyKind::Text
    }
}

fn read_error(t: &View, source: crate::io::read::ReadError) -> DiscoverError {
    DiscoverError::Read {
        table: t.name.to_string(),
        path: t.file.into(),
        source: Box::new(source),
    }
}

/// For each foreign key, and each path of two through a parent without time columns of its own
/// (`card` → `disp` → `account`): the pairs (child column, ancestor column) where the child's
/// value is never before its ancestor's.
pub(crate) fn parents(tables: &[View], fks: &[ForeignKey]) -> Result<Vec<Rule>, DiscoverError> {
    let table = |name: &str| tables.iter().find(|t| t.name == name);
    let mut rules = Vec::new();
    for fk in fks.iter().filter(|f| !f.self_reference()) {
        rules.extend(ancestor_rules(tables, &[fk])?);
        if table(&fk.parent).is_some_and(|p| p.scan.times.is_empty()) {
            for up in fks
                .iter()
                .filter(|g| g.child == fk.parent && !g.self_reference() && g.parent != fk.child)
            {
                rules.extend(ancestor_rules(tables, &[fk, up])?);
            }
        }
    }
    Ok(rules)
}

/// The rules between the child of `path[0]` and the parent of its last key.
fn ancestor_rules(tables: &[View], path: &[&ForeignKey]) -> Result<Vec<Rule>, DiscoverError> {
    let table = |name: &str| tables.iter().find(|t| t.name == name);
    let (Some(first), Some(last)) = (path.first(), path.last()) else {
        return Ok(vec![]);
    };
    let (Some(child), Some(anc)) = (table(&first.child), table(&last.parent)) else {
        return Ok(vec![]);
    };
    if child.scan.times.is_empty() || anc.scan.times.is_empty() {
        return Ok(vec![]);
    }
    let Some(anc_key) = anc.key else {
        return Ok(vec![]);
    };
    // The ancestor's times by its key.
    let mut by_key: FastMap<u64, Vec<Option<i64>>> = FastMap::default();
    for_rows(anc, anc_key, &anc.scan.times, kind_of(last), |k, times| {
        by_key.insert(k, times.to_vec());
    })
    .map_err(|e| read_error(anc, e))?;
    // Through a table between: its key → its parent's times.
    if path.len() == 2 {
        let Some(mid) = table(&first.parent) else {
            return Ok(vec![]);
        };
        let Some(mid_key) = mid.key else {
            return Ok(vec![]);
        };
        let mut by_mid: FastMap<u64, Vec<Option<i64>>> = FastMap::default();
        for_pairs(
            mid,
            (mid_key, kind_of(first)),
            (&last.column, kind_of(last)),
            |a, b| {
                if let Some(t) = by_key.get(&b) {
                    by_mid.insert(a, t.clone());
                }
            },
        )
        .map_err(|e| read_error(mid, e))?;
        by_key = by_mid;
    }
    // (child column, ancestor column) → (rows compared, rows where the child is earlier).
    let np = anc.scan.times.len();
    let mut tally = vec![(0u64, 0u64); child.scan.times.len() * np];
    for_rows(
        child,
        &first.column,
        &child.scan.times,
        kind_of(first),
        |k, times| {
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
        },
    )
    .map_err(|e| read_error(child, e))?;
    let via: Vec<String> = path
        .iter()
        .map(|f| format!("{}.{}", f.child, f.column))
        .collect();
    let mut rules = Vec::new();
    for (ci, c) in child.scan.times.iter().enumerate() {
        for (pi, p) in anc.scan.times.iter().enumerate() {
            let (n, earlier) = tally[ci * np + pi];
            if n > 0 && earlier == 0 {
                rules.push(Rule {
                    table: child.name.to_string(),
                    left: format!("{}.{}", child.name, c.name),
                    op: ">=".into(),
                    right: format!("{}.{}", anc.name, p.name),
                    via: Some(via.join(", then ")),
                    rows: n,
                });
            }
        }
    }
    Ok(rules)
}

/// Calls `f` with the two keys of every row of `t` where both have a value.
fn for_pairs(
    t: &View,
    a: (&str, KeyKind),
    b: (&str, KeyKind),
    mut f: impl FnMut(u64, u64),
) -> Result<(), crate::io::read::ReadError> {
    let empty = empty_schema();
    for batch in Reader::open_columns(t.input, &empty, &[a.0, b.0])? {
        let batch = batch?;
        let (Some(xs), Some(ys)) = (
            batch.column_by_name(a.0).map(texts),
            batch.column_by_name(b.0).map(texts),
        ) else {
            continue;
        };
        for (x, y) in xs.iter().zip(&ys) {
            let x = x.as_deref().and_then(|v| a.1.key(v, t.values));
            let y = y.as_deref().and_then(|v| b.1.key(v, t.values));
            if let (Some(x), Some(y)) = (x, y) {
                f(x, y);
            }
        }
    }
    Ok(())
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
