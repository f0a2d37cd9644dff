//! One column entry: its type, roles, nullability, levels, bins, action, generalisation levels
//! and acknowledged identifier kinds.

use super::*;

pub(super) fn decode_column(
    s: &mut Sink,
    n: &Node,
    index: usize,
    name: Option<String>,
    refs: &mut Vec<Ref>,
    linked: bool,
) -> Option<Column> {
    let path = format!("columns[{index}]");
    let m = mapping(s, n, &path)?;
    m.only(s, &COLUMN_KEYS);
    let name = name?;
    let foreign_key = m.has("references");
    for key in ["references", "children", "unique"] {
        if m.has(key) && !linked {
            s.hint(
                m.key_pos(key),
                &m.child(key),
                format!("`{key}` links tables, but this schema has one table"),
                "declare the tables under `tables:`, each with its `columns:`",
            );
        }
    }
    for key in ["children", "unique"] {
        if linked && m.has(key) && !foreign_key {
            s.hint(
                m.key_pos(key),
                &m.child(key),
                format!("`{key}` belongs to a foreign key"),
                "add `references: <table>` to the column, or remove the key",
            );
        }
    }

    let ty = match m.get("type") {
        Some(v) => choice(s, v, &m.child("type"), "type", &ColumnType::NAMES),
        None => {
            s.hint(
                m.pos,
                &m.child("type"),
                format!("column `{name}` has no `type`"),
                format!("add `type:` with one of: {}", ColumnType::NAMES.join(", ")),
            );
            None
        }
    };
    let bits = m.get("bits").and_then(|v| integer(s, v, &m.child("bits")));
    let ty = match ty.as_deref() {
        Some("string") => Some(ColumnType::String),
        Some("int") => match bits {
            None | Some(64) => Some(ColumnType::Int { bits: 64 }),
            Some(32) => Some(ColumnType::Int { bits: 32 }),
            Some(b) => {
                s.err(
                    m.key_pos("bits"),
                    &m.child("bits"),
                    format!("`bits` must be 32 or 64, found {b}"),
                );
                None
            }
        },
        Some("float") => Some(ColumnType::Float),
        Some("bool") => Some(ColumnType::Bool),
        Some("date") => Some(ColumnType::Date),
        Some("timestamp") => Some(ColumnType::Timestamp),
        Some("category") => Some(ColumnType::Category),
        _ => None,
    };
    if bits.is_some() && !matches!(ty, Some(ColumnType::Int { .. }) | None) {
        s.err(
            m.key_pos("bits"),
            &m.child("bits"),
            "`bits` applies only to `type: int`",
        );
    }

    let (role, quasi_identifier) = match m.get("role") {
        Some(v) => decode_role(s, v, &m.child("role"))?,
        None => (Role::Feature, false),
    };
    let description = m
        .get("description")
        .and_then(|v| text(s, v, &m.child("description")));
    let null_share = m
        .get("null_share")
        .and_then(|v| {
            let p = probability(s, v, &m.child("null_share"))?;
            if p >= 1.0 {
                s.err(
                    pos(v),
                    &m.child("null_share"),
                    "must be less than 1 (a column of nulls only carries nothing)",
                );
                None
            } else {
                Some(p)
            }
        })
        .unwrap_or(0.0);
    let nullable = match m.get("nullable") {
        Some(v) => {
            let b = boolean(s, v, &m.child("nullable")).unwrap_or(true);
            if !b && null_share > 0.0 {
                s.hint(
                    pos(v),
                    &m.child("nullable"),
                    "`nullable: false` contradicts `null_share`",
                    "remove one of them",
                );
            }
            b
        }
        None => null_share > 0.0,
    };
    let ty = ty?;

    match role {
        Role::Weight if !ty.is_numeric() => s.hint(
            m.key_pos("role"),
            &m.child("role"),
            "a `weight` column must be numeric",
            "use `type: float` (or int)",
        ),
        Role::Consent if ty != ColumnType::Bool => s.hint(
            m.key_pos("role"),
            &m.child("role"),
            "a `consent` column must be `type: bool`",
            "store consent as true/false",
        ),
        _ => {}
    }

    // Keys that only make sense for some types.
    let applies: &[(&str, &[ColumnType], &str)] = &[
        (
            "bins",
            &[
                ColumnType::Int { bits: 64 },
                ColumnType::Int { bits: 32 },
                ColumnType::Float,
            ],
            "numbers",
        ),
        (
            "distribution",
            &[
                ColumnType::Int { bits: 64 },
                ColumnType::Int { bits: 32 },
                ColumnType::Float,
            ],
            "numbers",
        ),
        ("round", &[ColumnType::Float], "float columns"),
        ("probability", &[ColumnType::Bool], "bool columns"),
        (
            "shares",
            &[ColumnType::Category, ColumnType::String],
            "category and string columns",
        ),
        (
            "levels",
            &[ColumnType::Category, ColumnType::String],
            "category and string columns",
        ),
        (
            "min",
            &[
                ColumnType::Int { bits: 64 },
                ColumnType::Int { bits: 32 },
                ColumnType::Float,
                ColumnType::Date,
                ColumnType::Timestamp,
            ],
            "numbers, dates and timestamps",
        ),
        (
            "max",
            &[
                ColumnType::Int { bits: 64 },
                ColumnType::Int { bits: 32 },
                ColumnType::Float,
                ColumnType::Date,
                ColumnType::Timestamp,
            ],
            "numbers, dates and timestamps",
        ),
    ];
    let mut misplaced = false;
    for (key, types, what) in applies {
        if m.has(key) && !types.contains(&ty) {
            s.err(
                m.key_pos(key),
                &m.child(key),
                format!(
                    "`{key}` applies only to {what}, not to {} columns",
                    ty.name()
                ),
            );
            misplaced = true;
        }
    }

    let bins = m
        .get("bins")
        .and_then(|v| decode_bins(s, v, &m.child("bins"), ty));
    // Numeric bounds: truncation for a distribution, and declared bounds for real data.
    let (mut min, mut max) = (None, None);
    if ty.is_numeric() && !misplaced {
        min = m.get("min").and_then(|v| number(s, v, &m.child("min")));
        max = m.get("max").and_then(|v| number(s, v, &m.child("max")));
        if let (Some(lo), Some(hi)) = (min, max) {
            if lo > hi {
                s.hint(
                    m.key_pos("min"),
                    &m.child("min"),
                    format!("min ({lo}) is greater than max ({hi})"),
                    "swap them",
                );
                misplaced = true;
            }
        }
        if m.has("round") && !m.has("distribution") {
            s.hint(
                m.key_pos("round"),
                &m.child("round"),
                "`round` applies to values drawn from a `distribution`",
                "add a `distribution`, or remove `round`",
            );
        }
    }
    let action = m
        .get("action")
        .and_then(|v| decode_action(s, v, &m.child("action")));
    let generalise = m
        .get("generalise")
        .map(|v| decode_generalise(s, v, &m.child("generalise"), ty))
        .unwrap_or_default();
    let acknowledge = m
        .get("acknowledge")
        .map(|v| decode_acknowledge(s, v, &m.child("acknowledge")))
        .unwrap_or_default();

    // Levels: declared, or taken from shares.
    let mut levels: Option<Vec<String>> = if ty == ColumnType::Bool {
        Some(vec!["false".into(), "true".into()])
    } else {
        None
    };
    if let Some(v) = m.get("levels").filter(|_| !misplaced) {
        if let Some(items) = sequence(s, v, &m.child("levels")) {
            let mut ls: Vec<String> = Vec::new();
            // By hash: a column may declare millions of levels.
            let mut listed = std::collections::HashSet::new();
            for (i, it) in items.iter().enumerate() {
                let p = format!("{}[{i}]", m.child("levels"));
                if let Some(l) = level(s, it, &p) {
                    if !listed.insert(l.clone()) {
                        s.err(pos(it), &p, format!("level `{l}` is listed twice"));
                    } else {
                        ls.push(l);
                    }
                }
            }
            levels = Some(ls);
        }
    }

    let null_unless = match m.get("null_unless") {
        Some(v) => match mapping(s, v, &m.child("null_unless")) {
            Some(wm) if wm.entries.is_empty() => {
                s.err(
                    wm.pos,
                    &wm.path,
                    "`null_unless` needs at least one condition",
                );
                Vec::new()
            }
            Some(wm) => when_refs(s, &wm, index, refs),
            None => Vec::new(),
        },
        None => Vec::new(),
    };
    if !null_unless.is_empty() && !nullable && m.has("nullable") {
        s.hint(
            m.key_pos("nullable"),
            &m.child("nullable"),
            "`nullable: false` contradicts `null_unless`",
            "remove one of them",
        );
    }
    let nullable = nullable || !null_unless.is_empty();
    let generator = if foreign_key && linked {
        let given: Vec<&str> = GEN_KEYS
            .iter()
            .chain(&["cases", "depends_on", "after"])
            .copied()
            .filter(|k| m.has(k))
            .collect();
        if let Some(k) = given.first() {
            s.hint(
                m.key_pos(k),
                &m.child(k),
                format!("`{name}` is a foreign key: its values are the referenced table's keys"),
                format!("remove `{k}`"),
            );
        }
        if !matches!(ty, ColumnType::Int { .. } | ColumnType::String) {
            s.hint(
                m.key_pos("type"),
                &m.child("type"),
                format!(
                    "a foreign key is an int or string column, not {}",
                    ty.name()
                ),
                "use the type of the referenced primary key",
            );
        }
        Some(GenSpec {
            base: Generator::External,
            depends_on: vec![],
            cases: vec![],
            after: None,
        })
    } else if misplaced {
        None
    } else {
        let g = decode_generator(s, &m, index, &name, ty, (min, max), &mut levels, refs);
        if let (
            Some(GenSpec {
                base: Generator::Aggregate { table, .. },
                ..
            }),
            false,
        ) = (&g, linked)
        {
            s.hint(
                m.key_pos("generator"),
                &m.child("generator"),
                format!("`{name}` aggregates table `{table}`, but this schema has one table"),
                "declare the tables under `tables:`",
            );
        }
        if g.is_none() && !s.items.is_empty() {
            orphan_case_refs(s, &m, index, refs);
        }
        g
    };

    Some(Column {
        name,
        pos: m.pos,
        ty,
        role,
        quasi_identifier,
        description,
        nullable,
        null_share,
        levels,
        bins,
        min,
        max,
        generator,
        action,
        generalise,
        acknowledge,
        null_unless,
    })
}

/// `role: name` or `role: [name, ...]`: the primary role and whether the column is also a
/// quasi-identifier. Only `quasi_identifier` combines: a protected attribute or a label (or a
/// plain feature) can identify in combination too, while identifier, weight and consent columns
/// have one meaning each.
pub(super) fn decode_role(s: &mut Sink, n: &Node, path: &str) -> Option<(Role, bool)> {
    let one = |s: &mut Sink, n: &Node, path: &str| -> Option<Role> {
        Some(match choice(s, n, path, "role", &Role::NAMES)?.as_str() {
            "identifier" => Role::Identifier,
            "quasi_identifier" => Role::QuasiIdentifier,
            "protected" => Role::Protected,
            "label" => Role::Label,
            "weight" => Role::Weight,
            "consent" => Role::Consent,
            _ => Role::Feature,
        })
    };
    let items = match &untag(n).data {
        YamlDataOwned::Sequence(items) => items,
        _ => {
            let r = one(s, n, path)?;
            return Some((r, r == Role::QuasiIdentifier));
        }
    };
    if items.is_empty() {
        s.hint(
            pos(n),
            path,
            "an empty role list",
            "leave `role` out for a plain feature, or name at least one role",
        );
        return None;
    }
    let mut roles: Vec<(Role, Pos)> = Vec::new();
    let mut ok = true;
    for (i, item) in items.iter().enumerate() {
        let ipath = format!("{path}[{i}]");
        match one(s, item, &ipath) {
            Some(r) if roles.iter().any(|(x, _)| *x == r) => s.hint(
                pos(item),
                &ipath,
                format!("role `{}` is listed twice", r.name()),
                "list each role once",
            ),
            Some(r) => roles.push((r, pos(item))),
            None => ok = false,
        }
    }
    if !ok {
        return None;
    }
    let quasi = roles.iter().any(|(r, _)| *r == Role::QuasiIdentifier);
    let others: Vec<&(Role, Pos)> = roles
        .iter()
        .filter(|(r, _)| !matches!(r, Role::QuasiIdentifier | Role::Feature))
        .collect();
    match others.as_slice() {
        [] => Some((
            if quasi {
                Role::QuasiIdentifier
            } else {
                Role::Feature
            },
            quasi,
        )),
        [(r, p)] if !quasi || matches!(r, Role::Protected | Role::Label) => Some((*r, quasi)),
        [(r, p)] => {
            s.hint(
                *p,
                path,
                format!("role `{}` cannot be combined with `quasi_identifier`", r.name()),
                match r {
                    Role::Identifier => {
                        "an identifier is dropped or pseudonymised, never generalised: use one of the two roles"
                    }
                    _ => "a weight or consent column describes the record, not the person: use one role",
                },
            );
            None
        }
        [(a, _), (b, p), ..] => {
            s.hint(
                *p,
                path,
                format!("roles `{}` and `{}` cannot be combined", a.name(), b.name()),
                "only `quasi_identifier` combines with another role (e.g. `role: [protected, quasi_identifier]`)",
            );
            None
        }
    }
}

/// `generalise:` levels, least to most general.
pub(super) fn decode_generalise(
    s: &mut Sink,
    n: &Node,
    path: &str,
    ty: ColumnType,
) -> Vec<GenLevel> {
    let Some(items) = sequence(s, n, path) else {
        return vec![];
    };
    let mut out = Vec::new();
    for (i, it) in items.iter().enumerate() {
        let p = format!("{path}[{i}]");
        let level = match &untag(it).data {
            YamlDataOwned::Mapping(_) => {
                let Some(m) = mapping(s, it, &p) else {
                    continue;
                };
                m.only(s, &["width", "edges", "top", "bottom", "prefix"]);
                let num = |s: &mut Sink, k: &str| m.get(k).and_then(|v| number(s, v, &m.child(k)));
                if let Some(v) = m.get("prefix") {
                    match non_negative(s, v, &m.child("prefix")) {
                        Some(k) if k >= 1 => GenLevel::Prefix(k as usize),
                        Some(_) => {
                            s.hint(
                                pos(v),
                                &m.child("prefix"),
                                "a prefix keeps at least 1 character",
                                "use `suppress` to hide the value entirely",
                            );
                            continue;
                        }
                        None => continue,
                    }
                } else if let Some(v) = m.get("edges") {
                    let Some(b) = decode_bins(s, v, &m.child("edges"), ty) else {
                        continue;
                    };
                    GenLevel::Bands(b)
                } else {
                    let (top, bottom) = (num(s, "top"), num(s, "bottom"));
                    let width = match m.get("width") {
                        Some(v) => match number(s, v, &m.child("width")) {
                            Some(w) if w > 0.0 => Some(w),
                            Some(w) => {
                                s.err(
                                    pos(v),
                                    &m.child("width"),
                                    format!("`width` must be greater than 0, found {w}"),
                                );
                                continue;
                            }
                            None => continue,
                        },
                        None => None,
                    };
                    if width.is_none() && top.is_none() && bottom.is_none() {
                        s.hint(m.pos, &p, "a generalisation level needs `width`, `edges`, `top`/`bottom` or `prefix`", "e.g. `{width: 10}` or `{prefix: 3}`");
                        continue;
                    }
                    if let (Some(b), Some(t)) = (bottom, top) {
                        if b >= t {
                            s.hint(
                                m.pos,
                                &p,
                                format!("bottom ({b}) must be below top ({t})"),
                                "swap them",
                            );
                            continue;
                        }
                    }
                    GenLevel::Numeric { width, bottom, top }
                }
            }
            _ => match choice(
                s,
                it,
                &p,
                "generalisation",
                &["day", "month", "year", "suppress"],
            )
            .as_deref()
            {
                Some("day") => GenLevel::Day,
                Some("month") => GenLevel::Month,
                Some("year") => GenLevel::Year,
                Some(_) => GenLevel::Suppress,
                None => continue,
            },
        };
        let fits = match &level {
            GenLevel::Numeric { .. } | GenLevel::Bands(_) => ty.is_numeric(),
            GenLevel::Day | GenLevel::Month | GenLevel::Year => {
                matches!(ty, ColumnType::Date | ColumnType::Timestamp)
            }
            GenLevel::Prefix(_) => matches!(ty, ColumnType::String | ColumnType::Category),
            GenLevel::Suppress => true,
        };
        if !fits {
            s.hint(
                pos(it),
                &p,
                format!("this generalisation does not apply to a {} column", ty.name()),
                "numbers take `width`/`edges`/`top`/`bottom`, dates `day`/`month`/`year`, text `prefix`; any column `suppress`",
            );
            continue;
        }
        out.push(level);
    }
    out
}

pub(super) fn decode_acknowledge(s: &mut Sink, n: &Node, path: &str) -> Vec<String> {
    let Some(items) = sequence(s, n, path) else {
        return vec![];
    };
    items
        .iter()
        .enumerate()
        .filter_map(|(i, it)| {
            choice(
                s,
                it,
                &format!("{path}[{i}]"),
                "identifier kind",
                &IDENTIFIER_KINDS,
            )
            .map(|k| k.to_string())
        })
        .collect()
}

pub(super) fn decode_action(s: &mut Sink, n: &Node, path: &str) -> Option<Action> {
    let t = text(s, n, path)?;
    // Both spellings are common; accept the US one silently.
    match t.as_str() {
        "drop" => Some(Action::Drop),
        "pseudonymise" | "pseudonymize" => Some(Action::Pseudonymise),
        "fake" => Some(Action::Fake),
        "redact" => Some(Action::Redact),
        "keep" => Some(Action::Keep),
        _ => {
            s.hint(
                pos(n),
                path,
                format!("unknown action `{t}`"),
                choices_hint(&t, &Action::NAMES),
            );
            None
        }
    }
}

pub(super) fn decode_bins(s: &mut Sink, n: &Node, path: &str, ty: ColumnType) -> Option<Bins> {
    // `bins: [18, 25, 35]` or `bins: {edges: [...], labels: [...]}`.
    let (edges_node, labels_node, edges_path) = match &untag(n).data {
        YamlDataOwned::Sequence(_) => (n, None, path.to_string()),
        _ => {
            let m = mapping(s, n, path)?;
            m.only(s, &["edges", "labels"]);
            let Some(e) = m.get("edges") else {
                s.hint(
                    m.pos,
                    path,
                    "missing `edges`",
                    "add `edges: [0, 18, 65, 120]`",
                );
                return None;
            };
            (e, m.get("labels"), m.child("edges"))
        }
    };
    let items = sequence(s, edges_node, &edges_path)?;
    let mut edges = Vec::with_capacity(items.len());
    for (i, it) in items.iter().enumerate() {
        edges.push(number(s, it, &format!("{edges_path}[{i}]"))?);
    }
    if edges.len() < 2 {
        s.hint(
            pos(edges_node),
            &edges_path,
            "bins need at least two edges",
            "e.g. `[0, 18, 65, 120]` makes three bands",
        );
        return None;
    }
    if let Some(w) = edges.windows(2).position(|w| w[0] >= w[1]) {
        s.err(
            pos(&items[w + 1]),
            &format!("{edges_path}[{}]", w + 1),
            format!(
                "edges must increase: {} comes after {}",
                edges[w + 1],
                edges[w]
            ),
        );
        return None;
    }
    let labels = match labels_node {
        Some(ln) => {
            let lpath = join(path, "labels");
            let items = sequence(s, ln, &lpath)?;
            let mut labels = Vec::with_capacity(items.len());
            for (i, it) in items.iter().enumerate() {
                let l = level(s, it, &format!("{lpath}[{i}]"))?;
                if labels.contains(&l) {
                    s.err(
                        pos(it),
                        &format!("{lpath}[{i}]"),
                        format!("label `{l}` is used twice"),
                    );
                    return None;
                }
                labels.push(l);
            }
            if labels.len() != edges.len() - 1 {
                s.hint(
                    pos(ln),
                    &lpath,
                    format!("{} labels for {} bands", labels.len(), edges.len() - 1),
                    format!(
                        "{} edges make {} bands; give one label per band",
                        edges.len(),
                        edges.len() - 1
                    ),
                );
                return None;
            }
            labels
        }
        None => auto_labels(&edges, matches!(ty, ColumnType::Int { .. })),
    };
    Some(Bins { edges, labels })
}

/// `18-24` style labels for whole-number bands, `[18, 25)` for real ones.
pub(super) fn auto_labels(edges: &[f64], whole: bool) -> Vec<String> {
    let last = edges.len() - 2;
    edges
        .windows(2)
        .enumerate()
        .map(|(i, w)| {
            if whole && w[0].fract() == 0.0 && w[1].fract() == 0.0 {
                let hi = if i == last { w[1] } else { w[1] - 1.0 };
                format!("{}-{}", w[0], hi)
            } else if i == last {
                format!("[{}, {}]", w[0], w[1])
            } else {
                format!("[{}, {})", w[0], w[1])
            }
        })
        .collect()
}
