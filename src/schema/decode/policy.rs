//! The schema-wide blocks: `targets`, `fairness`, `privacy`, `quality`, and targets files.

use super::*;

pub(super) fn decode_targets(s: &mut Sink, n: &Node, columns: &[Column]) -> Vec<Target> {
    let Some(m) = mapping(s, n, "targets") else {
        return vec![];
    };
    let mut out = Vec::new();
    for (col, p, v) in &m.entries {
        let path = m.child(col);
        let Some((c, cats)) = column_levels(s, columns, col, *p, &path) else {
            continue;
        };
        if cats.is_none() && c.ty.is_numeric() {
            s.hint(*p, &path, format!("`{col}` is numeric and has no `bins`"), format!("give `{col}` bins (e.g. `bins: [18, 25, 35, 50, 65, 100]`) and target the band labels"));
            continue;
        }
        let Some(sh) = shares(s, v, &path) else {
            continue;
        };
        if let Some(cats) = &cats {
            let cs: Vec<&str> = cats.iter().map(String::as_str).collect();
            let cat_set: std::collections::HashSet<&String> = cats.iter().collect();
            let mut ok = true;
            for (l, _, lp) in &sh {
                if !cat_set.contains(l) {
                    s.hint(
                        *lp,
                        &join(&path, l),
                        format!("`{l}` is not a level of `{col}`"),
                        choices_hint(l, &cs),
                    );
                    ok = false;
                }
            }
            let given: std::collections::HashSet<&str> =
                sh.iter().map(|(x, ..)| x.as_str()).collect();
            let missing: Vec<&str> = cs.iter().copied().filter(|l| !given.contains(l)).collect();
            if !missing.is_empty() {
                s.hint(
                    *p,
                    &path,
                    format!(
                        "the target for `{col}` has no share for {}",
                        missing
                            .iter()
                            .map(|l| format!("`{l}`"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                    "give every level a share (0 is allowed)",
                );
                ok = false;
            }
            if !ok {
                continue;
            }
        }
        out.push(Target {
            column: col.clone(),
            shares: sh.into_iter().map(|(l, x, _)| (l, x)).collect(),
            pos: *p,
        });
    }
    out
}

/// Where a linked table sits, for its `fairness:`: a child table's label is made independent
/// of the person's protected columns, which live in the tables up its driving keys.
#[derive(Default)]
pub(super) struct Lineage {
    /// The table's name (empty for a one-table schema).
    pub(super) table: String,
    /// Whether the table hangs from a parent (a driving key with `children:`).
    pub(super) child: bool,
    /// The columns of the tables up the driving keys, named `table.column`, nearest first.
    pub(super) ancestors: Vec<Column>,
    /// The columns of the tables the table picks rows of through its other keys.
    pub(super) picked: Vec<Column>,
    /// Every table of the schema.
    pub(super) tables: Vec<String>,
}

/// A protected column named in a child table's `fairness.independent_of`: a column of an
/// ancestor (`client.sex`); the child's own columns and the tables it merely picks rows of
/// do not say who the person is.
fn ancestor_column<'a>(
    s: &mut Sink,
    columns: &[Column],
    lineage: &'a Lineage,
    name: &str,
    p: Pos,
    path: &str,
) -> Option<(&'a Column, Option<Vec<String>>)> {
    if let Some(c) = lineage.ancestors.iter().find(|c| c.name == name) {
        return Some((c, c.categories()));
    }
    let table = &lineage.table;
    if columns.iter().any(|c| c.name == name) {
        s.hint(
            p,
            path,
            format!(
                "`{name}` is a column of `{table}` itself; the label of a child table is made independent of the person's protected columns, up its driving keys"
            ),
            "name a protected column of an ancestor table as `table.column` (e.g. `client.sex`), or move the fairness requirement to a root table",
        );
        return None;
    }
    let owner = name.split_once('.').map(|(t, _)| t);
    if lineage.picked.iter().any(|c| c.name == name) {
        s.hint(
            p,
            path,
            format!(
                "`{name}` is in `{}`, which `{table}` picks rows of through a key without `children:`; fairness at the person follows the driving keys",
                owner.unwrap_or_default()
            ),
            "name a protected column of a table up the driving keys (the keys with `children:`)",
        );
        return None;
    }
    let names: Vec<&str> = lineage.ancestors.iter().map(|c| c.name.as_str()).collect();
    // The tables up the driving keys, nearest first.
    let mut up: Vec<&str> = Vec::new();
    for c in &names {
        if let Some((t, _)) = c.split_once('.') {
            if !up.contains(&t) {
                up.push(t);
            }
        }
    }
    let listed = if up.is_empty() {
        format!("`{table}` hangs from no table, so it has no person to be fair to")
    } else {
        format!(
            "the tables up the driving keys of `{table}`: {}",
            up.iter()
                .map(|t| format!("`{t}`"))
                .collect::<Vec<_>>()
                .join(", ")
        )
    };
    match owner.filter(|t| lineage.tables.iter().any(|x| x == t)) {
        Some(t) if !up.contains(&t) => s.hint(
            p,
            path,
            format!("`{t}` is not a table `{table}` hangs from through driving keys"),
            listed,
        ),
        _ => s.hint(
            p,
            path,
            format!("no column of a table up the driving keys of `{table}` is called `{name}`"),
            if names.is_empty() {
                listed
            } else {
                choices_hint(name, &names)
            },
        ),
    }
    None
}

pub(super) fn decode_fairness(
    s: &mut Sink,
    n: &Node,
    columns: &[Column],
    lineage: &Lineage,
) -> Option<Fairness> {
    let m = mapping(s, n, "fairness")?;
    m.only(s, &["label", "independent_of", "favourable"]);
    let label = match m.get("label") {
        Some(v) => {
            let l = text(s, v, "fairness.label")?;
            let (c, cats) = column_levels(s, columns, &l, pos(v), "fairness.label")?;
            if c.role != Role::Label {
                s.hint(
                    pos(v),
                    "fairness.label",
                    format!("`{l}` does not have `role: label`"),
                    format!("set `role: label` on `{l}`"),
                );
            }
            // An integer label without bins is read as classes (0/1, codes).
            if cats.is_none() && c.ty == ColumnType::Float {
                s.hint(
                    pos(v),
                    "fairness.label",
                    format!("`{l}` is numeric without `bins`"),
                    "use a bool, category or integer label, or give it bins",
                );
            }
            Some(l)
        }
        None => {
            s.hint(
                m.pos,
                "fairness.label",
                "missing `label`",
                "name the label column",
            );
            None
        }
    };
    let mut independent_of = Vec::new();
    match m.get("independent_of") {
        Some(v) => {
            let items = sequence(s, v, "fairness.independent_of")?;
            if items.is_empty() {
                s.err(
                    pos(v),
                    "fairness.independent_of",
                    "name at least one protected column",
                );
            }
            for (i, it) in items.iter().enumerate() {
                let p = format!("fairness.independent_of[{i}]");
                let Some(name) = text(s, it, &p) else {
                    continue;
                };
                let found = if lineage.child {
                    ancestor_column(s, columns, lineage, &name, pos(it), &p)
                } else {
                    column_levels(s, columns, &name, pos(it), &p)
                };
                let Some((c, cats)) = found else {
                    continue;
                };
                if !c.has_role(Role::Protected) {
                    s.hint(
                        pos(it),
                        &p,
                        format!("`{name}` does not have `role: protected`"),
                        match name.split_once('.').filter(|_| lineage.child) {
                            Some((t, c)) => {
                                format!("set `role: protected` on `{c}` in table `{t}`")
                            }
                            None => format!("set `role: protected` on `{name}`"),
                        },
                    );
                }
                if cats.is_none() && c.ty.is_numeric() {
                    s.hint(
                        pos(it),
                        &p,
                        format!("`{name}` is numeric without `bins`"),
                        format!("give `{name}` bins so it forms groups"),
                    );
                }
                if Some(&name) == label.as_ref() {
                    s.err(pos(it), &p, "the label cannot be independent of itself");
                }
                independent_of.push(name);
            }
        }
        None => s.hint(
            m.pos,
            "fairness.independent_of",
            "missing `independent_of`",
            "list the protected columns, e.g. `independent_of: [sex]`",
        ),
    }
    let favourable = match m.get("favourable") {
        Some(v) => {
            let f = level(s, v, "fairness.favourable")?;
            if let Some(cats) = label
                .as_ref()
                .and_then(|l| columns.iter().find(|c| &c.name == l))
                .and_then(|c| c.categories())
            {
                if !cats.contains(&f) {
                    let cs: Vec<&str> = cats.iter().map(String::as_str).collect();
                    s.hint(
                        pos(v),
                        "fairness.favourable",
                        format!("`{f}` is not a level of the label"),
                        choices_hint(&f, &cs),
                    );
                }
            }
            Some(f)
        }
        None => None,
    };
    Some(Fairness {
        label: label?,
        independent_of,
        favourable,
        pos: m.pos,
    })
}

pub(super) fn decode_privacy(s: &mut Sink, n: &Node) -> Privacy {
    let mut p = Privacy::default();
    let Some(m) = mapping(s, n, "privacy") else {
        return p;
    };
    m.only(s, &PRIVACY_KEYS);
    for (key, slot) in [
        ("detection_threshold", &mut p.detection_threshold),
        ("max_suppression", &mut p.max_suppression),
    ] {
        if let Some(v) = m.get(key) {
            if let Some(x) = probability(s, v, &m.child(key)) {
                *slot = x;
            }
        }
    }
    if let Some(v) = m.get("max_unique_share") {
        p.max_unique_share = probability(s, v, "privacy.max_unique_share");
    }
    if let Some(v) = m.get("unique_over") {
        if let Some(items) = sequence(s, v, "privacy.unique_over") {
            if items.is_empty() {
                s.hint(
                    pos(v),
                    "privacy.unique_over",
                    "an empty column list",
                    "leave `unique_over` out to count over the quasi-identifiers",
                );
            }
            for (i, item) in items.iter().enumerate() {
                let path = format!("privacy.unique_over[{i}]");
                if let Some(c) = text(s, item, &path) {
                    if p.unique_over.contains(&c) {
                        s.err(pos(item), &path, format!("`{c}` is listed twice"));
                    } else {
                        p.unique_over.push(c);
                    }
                }
            }
        }
    }
    if let Some(v) = m.get("l_diversity") {
        if let Some(lm) = mapping(s, v, "privacy.l_diversity") {
            lm.only(s, &["column", "l"]);
            let column = lm
                .get("column")
                .and_then(|c| text(s, c, "privacy.l_diversity.column"));
            let l = lm
                .get("l")
                .and_then(|c| non_negative(s, c, "privacy.l_diversity.l"));
            match (column, l) {
                (Some(c), Some(l)) if l >= 2 => p.l_diversity = Some((c, l)),
                (Some(_), Some(l)) => s.hint(
                    lm.key_pos("l"),
                    "privacy.l_diversity.l",
                    format!("l = {l} protects nothing"),
                    "use 2 or more",
                ),
                _ => s.hint(
                    lm.pos,
                    "privacy.l_diversity",
                    "`l_diversity` needs `column` and `l`",
                    "e.g. `l_diversity: {column: diagnosis, l: 2}`",
                ),
            }
        }
    }
    if let Some(v) = m.get("identifiers") {
        if let Some(a) = decode_action(s, v, "privacy.identifiers") {
            p.identifiers = a;
        }
    }
    if let Some(v) = m.get("key_env") {
        if let Some(k) = text(s, v, "privacy.key_env") {
            if k.is_empty() || !k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                s.hint(
                    pos(v),
                    "privacy.key_env",
                    format!("`{k}` is not an environment variable name"),
                    "use letters, digits and `_`, e.g. FAIRSYNTH_KEY",
                );
            }
            p.key_env = k;
        }
    }
    if let Some(v) = m.get("k_anonymity") {
        match non_negative(s, v, "privacy.k_anonymity") {
            Some(k) if k >= 2 => p.k_anonymity = Some(k),
            Some(k) => s.hint(
                pos(v),
                "privacy.k_anonymity",
                format!("k = {k} protects nothing"),
                "use 2 or more (5 is common)",
            ),
            None => {}
        }
    }
    p
}

pub(super) fn decode_quality(s: &mut Sink, n: &Node) -> Quality {
    let mut q = Quality::default();
    let Some(m) = mapping(s, n, "quality") else {
        return q;
    };
    m.only(s, &QUALITY_KEYS);
    for key in QUALITY_KEYS {
        let Some(v) = m.get(key) else {
            continue;
        };
        let path = m.child(key);
        let Some(x) = number(s, v, &path) else {
            continue;
        };
        match Quality::check_value(key, x) {
            Some(problem) => s.err(pos(v), &path, problem),
            None => {
                if let Some(slot) = q.slot(key) {
                    *slot = Some(x);
                }
            }
        }
    }
    if let (Some(lo), Some(hi)) = (q.min_di, q.max_di) {
        if lo > hi {
            s.hint(
                m.key_pos("min_di"),
                "quality.min_di",
                format!("min_di ({lo}) is above max_di ({hi}): no table can pass"),
                "swap them",
            );
        }
    }
    q
}

/// Decodes a targets file (`column: {level: share}`) against an already valid schema.
pub(crate) fn decode_targets_file(
    text: &str,
    file: &str,
    columns: &[Column],
) -> Result<Vec<Target>, SchemaError> {
    let docs = load(text, file)?;
    let mut s = Sink::default();
    let targets = match docs.as_slice() {
        [doc] => {
            // Accept both a bare mapping and one under a `targets:` key.
            let inner = match &untag(doc).data {
                YamlDataOwned::Mapping(m) if m.len() == 1 => {
                    let mut quiet = Sink::default();
                    mapping(&mut quiet, doc, "")
                        .and_then(|m| m.get("targets"))
                        .unwrap_or(doc)
                }
                _ => doc,
            };
            decode_targets(&mut s, inner, columns)
        }
        _ => {
            s.hint(
                Pos { line: 1, col: 1 },
                "(document)",
                "expected one YAML document of targets",
                "write `column: {level: share, ...}` lines",
            );
            vec![]
        }
    };
    finish(s, file)?;
    Ok(targets)
}
