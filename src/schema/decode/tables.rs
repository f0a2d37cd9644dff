//! Linked tables (`tables:`): each table's keys, the foreign keys between tables, the number
//! of children per parent, the other tables' columns a table reads, and the checks that need
//! every table at once (unknown tables, key types, cycles, row counts), and each table's
//! access policy (the top-level `encryption:` merged with the table's own).

use super::*;

const DATABASE_KEYS: [&str; 6] = [
    "version",
    "name",
    "description",
    "seed",
    "tables",
    "encryption",
];

const TABLE_KEYS: [&str; 11] = [
    "name",
    "description",
    "rows",
    "reference",
    "primary_key",
    "columns",
    "targets",
    "fairness",
    "privacy",
    "quality",
    "encryption",
];

const CHILDREN_KEYS: [&str; 6] = [
    "distribution",
    "shares",
    "min",
    "max",
    "cases",
    "depends_on",
];

/// What pass 1 learns about one foreign key before any table is decoded.
struct RawKey<'a> {
    column: String,
    table: String,
    pos: Pos,
    children: Option<&'a Node>,
    unique: bool,
    null_share: f64,
    col_map: Map<'a>,
}

/// What pass 1 learns about one table.
struct RawTable<'a> {
    name: String,
    map: Map<'a>,
    keys: Vec<RawKey<'a>>,
}

pub(super) fn decode_database(s: &mut Sink, doc: &Node) -> Option<Database> {
    let m = mapping(s, doc, "")?;
    for (k, p, _) in &m.entries {
        if TOP_KEYS.contains(&k.as_str()) && !DATABASE_KEYS.contains(&k.as_str()) {
            s.hint(
                *p,
                k,
                format!("`{k}` belongs to a table when the schema has `tables:`"),
                format!("move `{k}` into the table it describes"),
            );
        }
    }
    let unknown: Vec<&str> = TOP_KEYS.to_vec();
    m.only(s, &unknown);
    let version = decode_version(s, &m);
    let name = match m.get("name") {
        Some(v) => text(s, v, "name"),
        None => {
            s.hint(m.pos, "name", "missing `name`", "add `name: my_dataset`");
            None
        }
    };
    let description = m.get("description").and_then(|v| text(s, v, "description"));
    let seed = m.get("seed").and_then(|v| non_negative(s, v, "seed"));
    let tables_node = m.get("tables")?;
    let items = sequence(s, tables_node, "tables")?;
    if items.is_empty() {
        s.err(pos(tables_node), "tables", "needs at least one table");
        return None;
    }

    // Pass 1: names, keys and links.
    let mut raw: Vec<RawTable> = Vec::new();
    let mut seen: HashMap<String, Pos> = HashMap::new();
    for (i, item) in items.iter().enumerate() {
        let path = format!("tables[{i}]");
        let tm = mapping(s, item, &path)?;
        tm.only(s, &TABLE_KEYS);
        let Some(name) = (match tm.get("name") {
            Some(v) => text(s, v, &tm.child("name")),
            None => {
                s.hint(tm.pos, &path, "missing `name`", "add `name:` to the table");
                None
            }
        }) else {
            continue;
        };
        if let Some(first) = seen.get(&name) {
            s.hint(
                tm.key_pos("name"),
                &tm.child("name"),
                format!("table `{name}` is defined twice"),
                format!("the first definition is at line {}; rename one", first.line),
            );
            continue;
        }
        seen.insert(name.clone(), tm.key_pos("name"));
        let mut keys = Vec::new();
        let mut quiet = Sink::default();
        let cols = tm
            .get("columns")
            .and_then(|v| sequence(&mut quiet, v, ""))
            .unwrap_or_default();
        for (j, c) in cols.iter().enumerate() {
            let Some(cm) = mapping(&mut quiet, c, &format!("{}.columns[{j}]", path)) else {
                continue;
            };
            let (Some(col), Some(r)) = (cm.get("name").and_then(scalar_text), cm.get("references"))
            else {
                continue;
            };
            let Some(target) = text(s, r, &cm.child("references")) else {
                continue;
            };
            let null_share = cm.get("null_share").and_then(scalar_f64).unwrap_or(0.0);
            let unique = match cm.get("unique") {
                Some(v) => boolean(s, v, &cm.child("unique")).unwrap_or(false),
                None => false,
            };
            keys.push(RawKey {
                column: col,
                table: target,
                pos: pos(r),
                children: cm.get("children"),
                unique,
                null_share,
                col_map: cm,
            });
        }
        raw.push(RawTable {
            name,
            map: tm,
            keys,
        });
    }
    let names: Vec<&str> = raw.iter().map(|t| t.name.as_str()).collect();
    let index = |n: &str| raw.iter().position(|t| t.name == n);

    // Links: known tables, one driving key, roots with rows.
    let mut driving: Vec<Option<usize>> = vec![None; raw.len()];
    let mut links_ok = true;
    for (ti, t) in raw.iter().enumerate() {
        let mut drivers: Vec<&RawKey> = Vec::new();
        for k in &t.keys {
            if index(&k.table).is_none() {
                s.hint(
                    k.pos,
                    &k.col_map.child("references"),
                    format!("no table is called `{}`", k.table),
                    choices_hint(&k.table, &names),
                );
                links_ok = false;
                continue;
            }
            if k.children.is_some() {
                drivers.push(k);
            }
        }
        if drivers.len() > 1 {
            s.hint(
                drivers[1].col_map.key_pos("children"),
                &drivers[1].col_map.child("children"),
                format!(
                    "table `{}` has two keys with `children` (`{}` and `{}`); one key drives a table's rows",
                    t.name, drivers[0].column, drivers[1].column
                ),
                format!(
                    "keep `children` on one key; `{}` then picks a row of `{}` at random",
                    drivers[1].column, drivers[1].table
                ),
            );
            links_ok = false;
        }
        if let Some(d) = drivers.first() {
            if d.table == t.name {
                s.hint(
                    d.pos,
                    &d.col_map.child("references"),
                    format!(
                        "`{}.{}` references its own table and drives it: its rows would have to exist before themselves",
                        t.name, d.column
                    ),
                    "remove `children` (the key then picks an earlier row of the same table)",
                );
                links_ok = false;
            } else {
                driving[ti] = index(&d.table);
            }
            if t.map.has("rows") {
                s.hint(
                    t.map.key_pos("rows"),
                    &t.map.child("rows"),
                    format!(
                        "the rows of `{}` come from `children` of `{}`",
                        t.name, d.column
                    ),
                    "remove `rows` (or remove `children` to make the table a root)",
                );
            }
        }
    }
    // Driving keys form a forest.
    let mut reported: Vec<Vec<usize>> = Vec::new();
    for start in 0..raw.len() {
        let mut path = vec![start];
        let mut at = start;
        while let Some(p) = driving[at] {
            if p == start {
                let mut key = path.clone();
                key.sort_unstable();
                links_ok = false;
                if reported.contains(&key) {
                    break;
                }
                reported.push(key);
                let cycle: Vec<&str> = path.iter().map(|&i| raw[i].name.as_str()).collect();
                let k = raw[start].keys.iter().find(|k| k.children.is_some());
                if let Some(k) = k {
                    s.hint(
                        k.col_map.key_pos("children"),
                        &k.col_map.child("children"),
                        format!(
                            "the tables' rows depend on each other in a cycle: {} -> {}",
                            cycle.join(" -> "),
                            raw[start].name
                        ),
                        "one table of the cycle must be a root: remove `children` from one of its keys",
                    );
                }
                links_ok = false;
                break;
            }
            if path.contains(&p) {
                break;
            }
            path.push(p);
            at = p;
        }
    }
    // Required keys may not form a cycle (no first row could be written).
    let mut reported: Vec<Vec<usize>> = Vec::new();
    for (ti, t) in raw.iter().enumerate() {
        for k in &t.keys {
            if k.null_share > 0.0 || k.children.is_some() {
                continue;
            }
            if k.table == t.name {
                s.hint(
                    k.pos,
                    &k.col_map.child("references"),
                    format!(
                        "`{}.{}` is required and references its own table: the first row has no row to reference",
                        t.name, k.column
                    ),
                    "give the key a `null_share` (an optional key)",
                );
                links_ok = false;
                continue;
            }
            if let Some(j) = index(&k.table) {
                if let Some(cycle) = required_cycle(&raw, j, ti) {
                    let mut key = cycle.clone();
                    key.sort_unstable();
                    links_ok = false;
                    if reported.contains(&key) {
                        continue;
                    }
                    reported.push(key);
                    let shown: Vec<&str> = cycle.iter().map(|&i| raw[i].name.as_str()).collect();
                    s.hint(
                        k.pos,
                        &k.col_map.child("references"),
                        format!(
                            "a cycle through required keys: {} -> {}",
                            t.name,
                            shown.join(" -> ")
                        ),
                        "make one key of the cycle optional with `null_share`",
                    );
                    links_ok = false;
                }
            }
        }
    }
    // Pass 2 runs even after link errors, so that every error is reported at once.

    // Pass 2: decode tables parents first, each with the columns it may read.
    let order = generation_order(&raw, &driving);
    let mut decoded: Vec<Option<Table>> = vec![None; raw.len()];
    let mut sections: Vec<Option<Section>> = (0..raw.len()).map(|_| None).collect();
    for &ti in &order {
        let t = &raw[ti];
        let mut context: Vec<Column> = Vec::new();
        let mut ctx_tables: Vec<usize> = Vec::new();
        let mut at = driving[ti];
        while let Some(p) = at {
            // A driving cycle (reported above) must not loop here.
            if p == ti || ctx_tables.contains(&p) {
                break;
            }
            ctx_tables.push(p);
            at = driving[p];
        }
        let up = ctx_tables.len();
        let mut lineage = Lineage {
            table: t.name.clone(),
            child: driving[ti].is_some(),
            ancestors: Vec::new(),
            picked: Vec::new(),
            tables: raw.iter().map(|r| r.name.clone()).collect(),
        };
        for k in t.keys.iter().filter(|k| k.children.is_none()) {
            if let Some(j) = index(&k.table) {
                let twice = t.keys.iter().filter(|o| o.table == k.table).count() > 1;
                if j != ti && !ctx_tables.contains(&j) && !twice {
                    ctx_tables.push(j);
                }
            }
        }
        for (k, &p) in ctx_tables.iter().enumerate() {
            if let Some(pt) = &decoded[p] {
                // The generators stay, so that the rules can bound values; the linked-table
                // generator supplies these columns instead of drawing them.
                for c in &pt.schema.columns {
                    let mut c = c.clone();
                    c.name = format!("{}.{}", pt.schema.name, c.name);
                    if k < up {
                        lineage.ancestors.push(c.clone());
                    } else {
                        lineage.picked.push(c.clone());
                    }
                    context.push(c);
                }
            }
        }
        let Some(mut schema) = decode_body(s, &t.map, &context, true, &lineage) else {
            continue;
        };
        if let Some(v) = t.map.get("encryption") {
            let scope = Scope {
                tables: vec![(t.name.as_str(), schema.columns.as_slice())],
                qualified: false,
                links: Vec::new(),
            };
            sections[ti] = decode_section(s, v, &t.map.child("encryption"), &scope);
        }
        schema.seed = seed;
        let own_rows = schema.rows;
        if driving[ti].is_some() {
            schema.rows = 0;
        } else if !t.map.has("rows") {
            schema.rows = own_rows;
        }
        // Primary key.
        let primary_key = match t.map.get("primary_key") {
            Some(v) => {
                let pk = text(s, v, &t.map.child("primary_key"));
                match pk {
                    Some(pk) if schema.column(&pk).is_none() => {
                        let cs: Vec<&str> =
                            schema.columns.iter().map(|c| c.name.as_str()).collect();
                        s.hint(
                            pos(v),
                            &t.map.child("primary_key"),
                            format!("table `{}` has no column `{pk}`", t.name),
                            choices_hint(&pk, &cs),
                        );
                        None
                    }
                    Some(pk) => {
                        let c = schema.column(&pk).cloned();
                        if let Some(c) = c {
                            check_primary_key(s, &t.map, &t.name, &c);
                        }
                        Some(pk)
                    }
                    None => None,
                }
            }
            None => {
                s.hint(
                    t.map.pos,
                    &t.map.child("primary_key"),
                    format!("table `{}` has no `primary_key`", t.name),
                    "name the column that identifies a row, e.g. `primary_key: order_id`",
                );
                None
            }
        };
        let Some(primary_key) = primary_key else {
            continue;
        };
        let reference = match t.map.get("reference") {
            Some(v) => {
                let path = t.map.child("reference");
                let yes = boolean(s, v, &path).unwrap_or(false);
                if yes {
                    check_reference(s, &t.map, &t.name, &schema, driving[ti].is_some());
                }
                yes
            }
            None => false,
        };
        // Foreign keys: types and children.
        let mut foreign_keys = Vec::new();
        for k in &t.keys {
            let Some(j) = index(&k.table) else { continue };
            let own = schema.column(&k.column).cloned();
            let parent = if j == ti {
                Some(Table {
                    schema: schema.clone(),
                    primary_key: primary_key.clone(),
                    foreign_keys: vec![],
                    context: vec![],
                    reference,
                    pos: t.map.pos,
                })
            } else {
                decoded[j].clone()
            };
            let (Some(own), Some(parent)) = (own, parent) else {
                continue;
            };
            if let Some(pk) = parent.schema.column(&parent.primary_key) {
                if pk.ty != own.ty {
                    s.hint(
                        k.pos,
                        &k.col_map.child("references"),
                        format!(
                            "`{}.{}` is {} but references `{}.{}`, which is {}",
                            t.name,
                            k.column,
                            own.ty.name(),
                            k.table,
                            parent.primary_key,
                            pk.ty.name()
                        ),
                        format!("declare `{}` as `type: {}`", k.column, pk.ty.name()),
                    );
                }
                if j != ti || k.children.is_none() {
                    check_referenced_key(s, k, &parent, pk, driving[j].is_some());
                }
            }
            let children = match k.children {
                Some(n) => decode_children(s, n, &k.col_map, &t.name, &k.column, &parent.schema),
                None => None,
            };
            if k.unique {
                check_unique_key(s, k, &t.keys, &parent, driving[ti].is_some());
            }
            foreign_keys.push(ForeignKey {
                column: k.column.clone(),
                table: k.table.clone(),
                children,
                unique: k.unique,
                null_share: k.null_share,
                pos: k.pos,
            });
        }
        // The other tables' columns the table reads, in context order.
        let used: std::collections::HashSet<String> = schema
            .columns
            .iter()
            .flat_map(|c| {
                let mut r: Vec<String> = c
                    .generator
                    .as_ref()
                    .map(|g| g.references().into_iter().map(str::to_string).collect())
                    .unwrap_or_default();
                r.extend(c.null_unless.iter().map(|(n, _)| n.clone()));
                r
            })
            .collect();
        let context_names: Vec<String> = context
            .iter()
            .map(|c| c.name.clone())
            .filter(|n| used.contains(n))
            .collect();
        decoded[ti] = Some(Table {
            schema,
            primary_key,
            foreign_keys,
            context: context_names,
            reference,
            pos: t.map.pos,
        });
    }
    // Aggregates name a child table that references this one.
    for (ti, t) in decoded.iter().enumerate() {
        let Some(t) = t else { continue };
        for c in &t.schema.columns {
            if let Some(GenSpec {
                base:
                    Generator::Aggregate {
                        table,
                        key,
                        function,
                        column,
                    },
                ..
            }) = &c.generator
            {
                check_aggregate(
                    s,
                    &decoded,
                    ti,
                    c,
                    table,
                    key.as_deref(),
                    *function,
                    column.as_deref(),
                );
            }
        }
    }
    let names: Vec<&str> = raw.iter().map(|t| t.name.as_str()).collect();
    apply_encryption(s, m.get("encryption"), &names, &mut decoded, &sections);
    if !links_ok {
        return None;
    }
    let tables: Vec<Table> = decoded.into_iter().collect::<Option<Vec<_>>>()?;
    Some(Database {
        version: version?,
        name: name?,
        description,
        seed,
        tables,
        source: Source::default(),
    })
}

/// A path of required, non-driving keys from `from` back to `to`, if any.
fn required_cycle(raw: &[RawTable], from: usize, to: usize) -> Option<Vec<usize>> {
    let mut stack = vec![(from, vec![from])];
    let mut seen = vec![from];
    while let Some((at, path)) = stack.pop() {
        if at == to {
            return Some(path);
        }
        for k in &raw[at].keys {
            if k.null_share > 0.0 {
                continue;
            }
            if let Some(j) = raw.iter().position(|t| t.name == k.table) {
                if !seen.contains(&j) {
                    seen.push(j);
                    let mut p = path.clone();
                    p.push(j);
                    stack.push((j, p));
                }
            }
        }
    }
    None
}

/// Tables parents first: a table after its driving parent and the tables its other keys read.
fn generation_order(raw: &[RawTable], driving: &[Option<usize>]) -> Vec<usize> {
    let n = raw.len();
    let mut done = vec![false; n];
    let mut out = Vec::with_capacity(n);
    while out.len() < n {
        let before = out.len();
        for i in 0..n {
            if done[i] {
                continue;
            }
            let deps_done = raw[i].keys.iter().all(|k| {
                raw.iter()
                    .position(|t| t.name == k.table)
                    .is_none_or(|j| j == i || done[j])
            }) && driving[i].is_none_or(|p| done[p]);
            if deps_done {
                done[i] = true;
                out.push(i);
            }
        }
        if out.len() == before {
            out.extend((0..n).filter(|&i| !done[i]));
            break;
        }
    }
    out
}

/// A primary key is an int or string column with a generator that never repeats.
/// A reference table (`reference: true`) is copied whole by `fit`: it must be a root (no
/// driving key) and must not describe people (no protected, label or quasi-identifier column).
fn check_reference(s: &mut Sink, m: &Map, table: &str, schema: &Schema, child: bool) {
    let at = m.key_pos("reference");
    let path = m.child("reference");
    if child {
        s.hint(
            at,
            &path,
            format!("table `{table}` is `reference: true` but hangs from a parent (`children:`)"),
            "a reference table (a lookup of districts, products, ...) is copied whole; give it `rows:` and no driving key, or drop `reference`",
        );
    }
    for c in &schema.columns {
        let personal = [Role::Protected, Role::Label, Role::QuasiIdentifier]
            .into_iter()
            .find(|r| c.has_role(*r));
        if let Some(role) = personal {
            s.hint(
                at,
                &path,
                format!(
                    "table `{table}` is `reference: true` but its column `{}` has role {}",
                    c.name,
                    role.name()
                ),
                "a reference table is copied whole into every sample, so it must not describe people; drop `reference` to model the table instead",
            );
        }
    }
}

fn check_primary_key(s: &mut Sink, m: &Map, table: &str, c: &Column) {
    // A key of real data has no generator (the table is then read, not synthesised).
    let unique = matches!(
        c.generator.as_ref().map(|g| &g.base),
        None | Some(Generator::Sequence { .. } | Generator::Uuid)
    );
    if !unique {
        s.hint(
            m.key_pos("primary_key"),
            &m.child("primary_key"),
            format!(
                "the primary key `{table}.{}` must be unique, but its generator can repeat values",
                c.name
            ),
            "generate it with `generator: {kind: sequence}` (or `uuid`)",
        );
    }
    if c.null_share > 0.0 {
        s.hint(
            m.key_pos("primary_key"),
            &m.child("primary_key"),
            format!("the primary key `{table}.{}` has a `null_share`", c.name),
            "a key is never null: remove `null_share`",
        );
    }
}

/// A key that picks a parent row at random computes the parent's key from the row number, so
/// the parent's key must be a sequence.
fn check_referenced_key(s: &mut Sink, k: &RawKey, parent: &Table, pk: &Column, child_parent: bool) {
    if k.children.is_some() || child_parent {
        return;
    }
    if !matches!(
        pk.generator.as_ref().map(|g| &g.base),
        None | Some(Generator::Sequence { .. })
    ) {
        s.hint(
            k.pos,
            &k.col_map.child("references"),
            format!(
                "`{}` picks a row of `{}` at random, which needs `{}.{}` to be a sequence",
                k.column, parent.schema.name, parent.schema.name, parent.primary_key
            ),
            format!(
                "generate `{}` with `generator: {{kind: sequence}}`",
                parent.primary_key
            ),
        );
    }
}

/// `unique: true` makes a bridge table's pairs distinct: the key is not the driving one, and
/// the driving parent cannot have more children than the referenced table has rows.
fn check_unique_key(s: &mut Sink, k: &RawKey, keys: &[RawKey], parent: &Table, is_child: bool) {
    if k.children.is_some() || !is_child {
        s.hint(
            k.col_map.key_pos("unique"),
            &k.col_map.child("unique"),
            format!(
                "`unique` makes `{}` distinct among the children of one parent, which needs another key with `children`",
                k.column
            ),
            "put `unique: true` on the key without `children` in a table driven by another key",
        );
        return;
    }
    let Some(driver) = keys.iter().find(|o| o.children.is_some()) else {
        return;
    };
    let mut quiet = Sink::default();
    let max = driver
        .children
        .and_then(|n| mapping(&mut quiet, n, ""))
        .and_then(|m| m.get("max").and_then(scalar_f64));
    if let Some(max) = max {
        if max > parent.schema.rows as f64 {
            s.hint(
                k.col_map.key_pos("unique"),
                &k.col_map.child("unique"),
                format!(
                    "one `{}` may have up to {max} children, each with a distinct `{}`, but `{}` has {} rows",
                    driver.table, k.column, parent.schema.name, parent.schema.rows
                ),
                format!(
                    "lower `children.max` of `{}` to at most {}",
                    driver.column, parent.schema.rows
                ),
            );
        }
    }
}

/// `children:` of a driving key: a count per parent row (a distribution with `min` and `max`,
/// or shares over whole numbers) whose cases read the parent's columns.
fn decode_children(
    s: &mut Sink,
    n: &Node,
    col: &Map,
    table: &str,
    column: &str,
    parent: &Schema,
) -> Option<Children> {
    let path = col.child("children");
    let m = mapping(s, n, &path)?;
    m.only(s, &CHILDREN_KEYS);
    let min = match m.get("min") {
        Some(v) => non_negative(s, v, &m.child("min"))?,
        None => 0,
    };
    let max = match m.get("max") {
        Some(v) => non_negative(s, v, &m.child("max"))?,
        None if m.has("shares") => u64::MAX,
        None => {
            s.hint(
                m.pos,
                &path,
                "missing `max`",
                format!(
                    "say how many `{table}` rows one `{}` row may have at most, e.g. `max: 50`",
                    parent.name
                ),
            );
            return None;
        }
    };
    if min > max {
        s.hint(
            m.key_pos("min"),
            &m.child("min"),
            format!("min ({min}) is greater than max ({max})"),
            "swap them",
        );
        return None;
    }
    let index = parent.columns.len();
    let mut refs = Vec::new();
    // Counts given as shares: every count any case names is a level (cases may give counts
    // the base does not).
    let mut levels = m.has("shares").then(|| count_levels(&m));
    let bounds = (Some(min as f64), (max != u64::MAX).then_some(max as f64));
    let name = format!("{table}.{column} children");
    let g = decode_generator(
        s,
        &m,
        index,
        &name,
        ColumnType::Int { bits: 64 },
        bounds,
        &mut levels,
        &mut refs,
    );
    let Some(g) = g else {
        if !m.has("distribution") && !m.has("shares") {
            s.hint(
                m.pos,
                &path,
                "`children` needs a `distribution` or `shares`",
                "e.g. `distribution: {kind: poisson, lambda: 3}` with `min: 0` and `max: 40`",
            );
        }
        return None;
    };
    if !matches!(
        g.base,
        Generator::Numeric { .. } | Generator::Categorical(_)
    ) {
        s.hint(
            m.pos,
            &path,
            "`children` counts come from a `distribution` or `shares`",
            "e.g. `distribution: {kind: poisson, lambda: 3}`",
        );
        return None;
    }
    // Counts given as shares are whole numbers within min..max.
    let (mut lo, mut hi) = (u64::MAX, 0u64);
    let mut ok = true;
    if let Generator::Categorical(sh) = &g.base {
        let shares_at = m.key_pos("shares");
        for case_shares in
            std::iter::once(sh).chain(g.cases.iter().filter_map(|c| match &c.generator {
                Generator::Categorical(x) => Some(x),
                _ => None,
            }))
        {
            for (l, x) in case_shares {
                match l.parse::<u64>() {
                    Ok(v) if v >= min && v <= max => {
                        if *x > 0.0 {
                            lo = lo.min(v);
                            hi = hi.max(v);
                        }
                    }
                    Ok(v) => {
                        s.hint(
                            shares_at,
                            &m.child("shares"),
                            format!("{v} children lies outside `min`..`max` ({min}..{max})"),
                            "widen the range, or drop the level",
                        );
                        ok = false;
                    }
                    Err(_) => {
                        s.hint(
                            shares_at,
                            &m.child("shares"),
                            format!("`{l}` is not a number of children"),
                            "write counts as whole numbers: `shares: {\"0\": 0.2, \"1\": 0.5, \"2\": 0.3}`",
                        );
                        ok = false;
                    }
                }
            }
        }
    } else {
        lo = min;
        hi = max;
    }
    if !ok {
        return None;
    }
    // Cases read the parent's columns.
    let mut all: Vec<Column> = parent.columns.clone();
    let mut me = parent
        .columns
        .first()
        .cloned()
        .unwrap_or_else(|| Column::blank(&name, ColumnType::Int { bits: 64 }));
    me.name = name;
    me.ty = ColumnType::Int { bits: 64 };
    me.pos = m.pos;
    all.push(me);
    check_refs(s, &all, &refs);
    Some(Children {
        generator: g,
        min: lo,
        max: hi,
        pos: m.pos,
    })
}

/// The whole numbers named in `shares` of `children` and of its cases, ascending (text that is
/// not a number is kept, for the check to report).
fn count_levels(m: &Map) -> Vec<String> {
    let mut quiet = Sink::default();
    let mut names: Vec<String> = Vec::new();
    let mut add = |n: Option<&Node>| {
        if let Some(sm) = n.and_then(|n| mapping(&mut quiet_sink(), n, "")) {
            for (k, ..) in &sm.entries {
                if !names.contains(k) {
                    names.push(k.clone());
                }
            }
        }
    };
    add(m.get("shares"));
    if let Some(items) = m.get("cases").and_then(|c| sequence(&mut quiet, c, "")) {
        for it in items {
            if let Some(cm) = mapping(&mut quiet_sink(), it, "") {
                add(cm.get("shares"));
            }
        }
    }
    names.sort_by_key(|n| (n.parse::<u64>().unwrap_or(u64::MAX), n.clone()));
    names
}

fn quiet_sink() -> Sink {
    Sink::default()
}

/// An aggregate names a table with a key to this one, and a column of the right kind.
#[allow(clippy::too_many_arguments)]
fn check_aggregate(
    s: &mut Sink,
    decoded: &[Option<Table>],
    ti: usize,
    c: &Column,
    table: &str,
    key: Option<&str>,
    function: Aggregate,
    column: Option<&str>,
) {
    let Some(me) = &decoded[ti] else { return };
    let names: Vec<&str> = decoded
        .iter()
        .flatten()
        .map(|t| t.schema.name.as_str())
        .collect();
    let Some(child) = decoded.iter().flatten().find(|t| t.schema.name == table) else {
        s.hint(
            c.pos,
            &c.name,
            format!(
                "`{}` aggregates `{table}`, but no table is called `{table}`",
                c.name
            ),
            choices_hint(table, &names),
        );
        return;
    };
    let keys: Vec<&ForeignKey> = child
        .foreign_keys
        .iter()
        .filter(|k| k.table == me.schema.name && key.is_none_or(|n| n == k.column))
        .collect();
    match keys.as_slice() {
        [] => {
            s.hint(
                c.pos,
                &c.name,
                format!(
                    "`{}` aggregates `{table}`, which has no key{} referencing `{}`",
                    c.name,
                    key.map(|k| format!(" `{k}`")).unwrap_or_default(),
                    me.schema.name
                ),
                format!("aggregate a table with `references: {}`", me.schema.name),
            );
            return;
        }
        [k] if k.children.is_none() => {
            s.hint(
                c.pos,
                &c.name,
                format!(
                    "`{}` aggregates `{table}` over `{}`, which picks its `{}` row at random",
                    c.name, k.column, me.schema.name
                ),
                "aggregate over the driving key (the one with `children`)",
            );
            return;
        }
        [_] => {}
        _ => {
            s.hint(
                c.pos,
                &c.name,
                format!(
                    "`{table}` references `{}` through several keys",
                    me.schema.name
                ),
                "name the one to aggregate over with `key:`",
            );
            return;
        }
    }
    if let Some(col) = column {
        match child.schema.column(col) {
            None => {
                let cs: Vec<&str> = child
                    .schema
                    .columns
                    .iter()
                    .map(|c| c.name.as_str())
                    .collect();
                s.hint(
                    c.pos,
                    &c.name,
                    format!("`{table}` has no column `{col}`"),
                    choices_hint(col, &cs),
                );
            }
            Some(cc) => {
                let fits = match function {
                    Aggregate::Sum => cc.ty.is_numeric(),
                    _ => same_kind(c.ty, cc.ty),
                };
                if !fits {
                    s.hint(
                        c.pos,
                        &c.name,
                        format!(
                            "`{}` ({}) cannot hold an aggregate of `{table}.{col}` ({})",
                            c.name,
                            c.ty.name(),
                            cc.ty.name()
                        ),
                        "aggregate a numeric column into a number, a date into a date",
                    );
                }
            }
        }
    }
}
