//! Dependence on earlier columns: `cases`/`when`, the columns they refer to, and cycles.

use super::*;

/// The conditions of a `when:` mapping, recording each referenced column for the checks.
pub(super) fn when_refs(
    s: &mut Sink,
    wm: &Map,
    index: usize,
    refs: &mut Vec<Ref>,
) -> Vec<(String, Vec<String>)> {
    let mut when = Vec::new();
    for (c, p, v) in &wm.entries {
        let cp = wm.child(c);
        let mut lv: Vec<(String, Pos, String)> = Vec::new();
        match &untag(v).data {
            YamlDataOwned::Sequence(items) => {
                for (i, it) in items.iter().enumerate() {
                    let ip = format!("{cp}[{i}]");
                    if let Some(l) = level(s, it, &ip) {
                        lv.push((l, pos(it), ip));
                    }
                }
            }
            _ => {
                if let Some(l) = level(s, v, &cp) {
                    lv.push((l, pos(v), cp.clone()));
                }
            }
        }
        when.push((c.clone(), lv.iter().map(|l| l.0.clone()).collect()));
        refs.push(Ref {
            from: index,
            to: c.clone(),
            pos: *p,
            path: cp,
            levels: lv,
            need: Need::Categories,
        });
    }
    when
}

/// When a column's base generator is invalid, its cases cannot be decoded, but their `when`
/// references can still be checked, so that every error is reported at once.
pub(super) fn orphan_case_refs(s: &mut Sink, m: &Map, index: usize, refs: &mut Vec<Ref>) {
    let mut quiet = Sink::default();
    let Some(items) = m.get("cases").and_then(|v| sequence(&mut quiet, v, "")) else {
        return;
    };
    for (i, it) in items.iter().enumerate() {
        let cp = format!("{}[{i}]", m.child("cases"));
        let Some(w) = mapping(&mut quiet, it, &cp).and_then(|cm| cm.get("when")) else {
            continue;
        };
        if let Some(wm) = mapping(&mut quiet, w, &format!("{cp}.when")) {
            when_refs(s, &wm, index, refs);
        }
    }
}

#[allow(clippy::too_many_arguments)]
pub(super) fn decode_case(
    s: &mut Sink,
    n: &Node,
    path: &str,
    col: &Map,
    index: usize,
    base: &Generator,
    levels: Option<&[String]>,
    refs: &mut Vec<Ref>,
) -> Option<Case> {
    let m = mapping(s, n, path)?;
    let allowed: &[&str] = match base {
        Generator::Categorical(_) => &["when", "shares"],
        Generator::Bernoulli(_) => &["when", "probability"],
        _ => &["when", "distribution", "min", "max"],
    };
    m.only(s, allowed);
    let Some(w) = m.get("when") else {
        s.hint(
            m.pos,
            path,
            "missing `when`",
            "add `when: {column: level}` to say which rows the case is for",
        );
        return None;
    };
    let wm = mapping(s, w, &m.child("when"))?;
    if wm.entries.is_empty() {
        s.err(wm.pos, &wm.path, "`when` needs at least one condition");
        return None;
    }
    let when = when_refs(s, &wm, index, refs);
    let generator = match base {
        Generator::Categorical(base_shares) => {
            let Some(v) = m.get("shares") else {
                s.hint(
                    m.pos,
                    path,
                    "missing `shares`",
                    "give the shares for rows matching `when`",
                );
                return None;
            };
            let sh = shares(s, v, &m.child("shares"))?;
            let known: Vec<String> = levels
                .map(|l| l.to_vec())
                .unwrap_or_else(|| base_shares.iter().map(|(l, _)| l.clone()).collect());
            let known_set: std::collections::HashSet<&String> = known.iter().collect();
            let mut ok = true;
            for (l, _, p) in &sh {
                if !known_set.contains(l) {
                    s.hint(
                        *p,
                        &m.child("shares"),
                        format!("level `{l}` is not a level of this column"),
                        choices_hint(l, &known.iter().map(String::as_str).collect::<Vec<_>>()),
                    );
                    ok = false;
                }
            }
            if !ok {
                return None;
            }
            Generator::Categorical(sh.into_iter().map(|(l, x, _)| (l, x)).collect())
        }
        Generator::Bernoulli(_) => {
            let Some(v) = m.get("probability") else {
                s.hint(
                    m.pos,
                    path,
                    "missing `probability`",
                    "give the probability of true for rows matching `when`",
                );
                return None;
            };
            Generator::Bernoulli(probability(s, v, &m.child("probability"))?)
        }
        Generator::Numeric {
            min, max, round, ..
        } => {
            let mut quiet = Sink::default();
            let base_spec = dist_spec(
                &mut quiet,
                col.get("distribution")?,
                &col.child("distribution"),
                true,
            )?;
            let case_spec = match m.get("distribution") {
                Some(v) => dist_spec(s, v, &m.child("distribution"), false)?,
                None => DistSpec::default(),
            };
            let cmin = match m.get("min") {
                Some(v) => Some(number(s, v, &m.child("min"))?),
                None => *min,
            };
            let cmax = match m.get("max") {
                Some(v) => Some(number(s, v, &m.child("max"))?),
                None => *max,
            };
            if let (Some(lo), Some(hi)) = (cmin, cmax) {
                if lo > hi {
                    s.hint(
                        m.pos,
                        path,
                        format!("min ({lo}) is greater than max ({hi})"),
                        "swap them",
                    );
                    return None;
                }
            }
            let merged = merge_dist(&base_spec, &case_spec);
            let dist = resolve_dist(s, &merged, cmin, cmax)?;
            Generator::Numeric {
                dist,
                min: cmin,
                max: cmax,
                round: *round,
            }
        }
        _ => return None,
    };
    Some(Case {
        when,
        generator,
        pos: m.pos,
    })
}

/// Resolves references between columns: existence, order, cycles, kinds and levels.
pub(super) fn check_refs(s: &mut Sink, columns: &[Column], refs: &[Ref]) {
    let index: HashMap<&str, usize> = columns
        .iter()
        .enumerate()
        .map(|(i, c)| (c.name.as_str(), i))
        .collect();
    // Edges of the reference graph, for cycle reports.
    let mut edges: HashMap<usize, Vec<usize>> = HashMap::new();
    for r in refs {
        if let Some(&j) = index.get(r.to.as_str()) {
            edges.entry(r.from).or_default().push(j);
        }
    }
    let mut reported_cycles: Vec<Vec<usize>> = Vec::new();
    for r in refs {
        let from = &columns[r.from];
        let Some(&j) = index.get(r.to.as_str()) else {
            let names: Vec<&str> = columns.iter().map(|c| c.name.as_str()).collect();
            s.hint(
                r.pos,
                &r.path,
                format!("no column is called `{}`", r.to),
                choices_hint(&r.to, &names),
            );
            continue;
        };
        if j >= r.from {
            match find_cycle(&edges, r.from, j) {
                Some(mut cycle) => {
                    let mut key = cycle.clone();
                    key.sort_unstable();
                    key.dedup();
                    if reported_cycles.contains(&key) {
                        continue;
                    }
                    reported_cycles.push(key);
                    cycle.insert(0, r.from);
                    let names: Vec<&str> =
                        cycle.iter().map(|&k| columns[k].name.as_str()).collect();
                    s.hint(
                        r.pos,
                        &r.path,
                        format!("dependency cycle: {}", names.join(" -> ")),
                        "a column can depend only on columns above it; break the cycle",
                    );
                }
                None => s.hint(
                    r.pos,
                    &r.path,
                    format!("column `{}` is used before it is defined", r.to),
                    format!(
                        "move `{}` (line {}) above `{}` (line {}): columns are generated in order",
                        r.to, columns[j].pos.line, from.name, from.pos.line
                    ),
                ),
            }
            continue;
        }
        let target = &columns[j];
        match r.need {
            Need::Text if target.ty != ColumnType::String => {
                s.hint(
                    r.pos,
                    &r.path,
                    format!(
                        "`{}` is a {} column; e-mail local parts come from text",
                        r.to,
                        target.ty.name()
                    ),
                    "name a string column, such as a person_name column",
                );
                continue;
            }
            Need::Number if !target.ty.is_numeric() => {
                s.hint(
                    r.pos,
                    &r.path,
                    format!(
                        "`{}` is a {} column; a formula computes with numbers",
                        r.to,
                        target.ty.name()
                    ),
                    "name an int or float column",
                );
                continue;
            }
            Need::Same(ty) if !same_kind(ty, target.ty) => {
                s.hint(
                    r.pos,
                    &r.path,
                    format!(
                        "`{}` is a {} column, but this column is {}",
                        r.to,
                        target.ty.name(),
                        ty.name()
                    ),
                    "compare a date with a date, a timestamp with a date or timestamp, a number with a number",
                );
                continue;
            }
            Need::Temporal if !matches!(target.ty, ColumnType::Date | ColumnType::Timestamp) => {
                s.hint(
                    r.pos,
                    &r.path,
                    format!(
                        "`{}` is a {} column; elapsed time is counted from a date or timestamp",
                        r.to,
                        target.ty.name()
                    ),
                    "name a date or timestamp column",
                );
                continue;
            }
            Need::Int if !matches!(target.ty, ColumnType::Int { .. }) => {
                s.hint(
                    r.pos,
                    &r.path,
                    format!(
                        "`{}` is a {} column; ages must be whole years",
                        r.to,
                        target.ty.name()
                    ),
                    "name an int column",
                );
                continue;
            }
            Need::Categories => {
                let Some(cats) = target.categories() else {
                    s.hint(
                        r.pos,
                        &r.path,
                        format!("`{}` has no levels to depend on", r.to),
                        "depend on a category or bool column, or give the numeric column `bins`",
                    );
                    continue;
                };
                for (l, p, path) in &r.levels {
                    if !cats.contains(l) {
                        let cs: Vec<&str> = cats.iter().map(String::as_str).collect();
                        s.hint(
                            *p,
                            path,
                            format!("`{l}` is not a level of `{}`", r.to),
                            choices_hint(l, &cs),
                        );
                    }
                }
            }
            _ => {}
        }
    }
}

/// Whether a bound or offset from a `from` column suits a `to` column: numbers with numbers,
/// dates and timestamps with either.
pub(super) fn same_kind(to: ColumnType, from: ColumnType) -> bool {
    let temporal = |t: ColumnType| matches!(t, ColumnType::Date | ColumnType::Timestamp);
    (to.is_numeric() && from.is_numeric()) || (temporal(to) && temporal(from))
}

/// A path `to -> ... -> from` in the reference graph, if `to` leads back to `from`.
pub(super) fn find_cycle(
    edges: &HashMap<usize, Vec<usize>>,
    from: usize,
    to: usize,
) -> Option<Vec<usize>> {
    let mut stack = vec![(to, vec![to])];
    let mut seen = vec![to];
    while let Some((node, path)) = stack.pop() {
        if node == from {
            return Some(path);
        }
        for &next in edges.get(&node).map(Vec::as_slice).unwrap_or(&[]) {
            if !seen.contains(&next) {
                seen.push(next);
                let mut p = path.clone();
                p.push(next);
                stack.push((next, p));
            }
        }
    }
    None
}

pub(super) fn column_levels<'a>(
    s: &mut Sink,
    columns: &'a [Column],
    name: &str,
    p: Pos,
    path: &str,
) -> Option<(&'a Column, Option<Vec<String>>)> {
    match columns.iter().find(|c| c.name == name) {
        Some(c) => Some((c, c.categories())),
        None => {
            let names: Vec<&str> = columns.iter().map(|c| c.name.as_str()).collect();
            s.hint(
                p,
                path,
                format!("no column is called `{name}`"),
                choices_hint(name, &names),
            );
            None
        }
    }
}
