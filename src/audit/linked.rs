//! `fairsynth audit DIR --schema LINKED.yaml`: the audit of a database of linked tables.
//!
//! - **per table**: the single-table audit ([`super::audit`]) of every table under its own
//!   schema entry: representation at the person for the table of people (its protected
//!   columns against its `targets:`), parity of a label beside protected columns, proxies
//!   among its own columns, identifiers, singling out and data quality;
//! - **parity of a label anywhere**: a label in one table (a loan's default) by the protected
//!   columns of the rows it hangs from through driving keys (the client's sex), each label row
//!   carrying its ancestors' groups; the single-table rates, SPD and DI;
//! - **proxies in child aggregates**: each protected column of a table against every column of
//!   its profile ([`crate::profile`]: its own columns, its descendants' counts, means and
//!   modes), so an order category that gives the customer's sex away is found;
//! - **keys**: per foreign key, null and dangling keys (counted, with row numbers, never key
//!   values: keys are identifiers) and parents without children; per table, null and duplicate
//!   primary keys.
//!
//! Gates: each table's single-table gates under its `quality:`; `min_di` and `max_spd` on the
//! label table's parity across tables; `max_proxy_strength` on the profile proxies;
//! `max_dangling_keys` per foreign key (0 when not set).

use std::collections::HashMap;

use serde::Serialize;

use super::{
    figures, intersect, parity, proxies, worst_parity, AttributeParity, AuditError, Grouping,
    Options, Parity, Proxies, Report, PARITY_MIN_ROWS,
};
use crate::evaluate::{Check, Status};
use crate::io::read::Input;
use crate::io::table::Table;
use crate::profile::{self, Link};
use crate::schema::{Database, Quality, Role};

/// The report format name of a linked audit.
pub const FORMAT: &str = "fairsynth-audit-linked";
/// Its version.
pub const VERSION: u32 = 1;
/// Row numbers shown per finding (dangling keys, duplicate primary keys).
pub const EXAMPLE_ROWS: usize = 5;

/// How to audit linked tables.
#[derive(Debug, Clone, Default)]
pub struct LinkedOptions {
    /// The date ages are measured to, as days since 1970-01-01.
    pub as_of: i64,
    /// `KEY=VALUE` overrides of every table's `quality:` gates (`--threshold`).
    pub thresholds: Vec<String>,
}

/// One table's single-table audit.
#[derive(Debug, Clone, Serialize)]
pub struct TableAudit {
    /// The table.
    pub table: String,
    /// Its audit, as `fairsynth audit FILE` writes it for the table's schema entry, the key
    /// columns without another role counted as identifiers.
    pub audit: Report,
}

/// Parity of a label by the protected columns of its table and of its ancestors.
#[derive(Debug, Clone, Serialize)]
pub struct LinkedParity {
    /// The table holding the label.
    pub table: String,
    /// The driving keys from the label's table up to the furthest ancestor with protected
    /// columns, as `child.column → parent`.
    pub through: Vec<String>,
    /// Rates per group; an ancestor's column is named `table.column`.
    pub parity: Parity,
}

/// Proxies of one table's protected columns among its profile's columns.
#[derive(Debug, Clone, Serialize)]
pub struct ProfileProxies {
    /// The table.
    pub table: String,
    /// The descendant tables aggregated into the profile (`#d` counts, `d.column` means and
    /// modes).
    pub descendants: Vec<String>,
    /// The scan, strongest first.
    pub proxies: Proxies,
}

/// Data quality of one foreign key.
#[derive(Debug, Clone, Serialize)]
pub struct ForeignKeyQuality {
    /// The child table.
    pub child: String,
    /// Its foreign-key column.
    pub column: String,
    /// The parent table.
    pub parent: String,
    /// Whether the key drives the child (`children:`).
    pub driving: bool,
    /// Child rows.
    pub rows: usize,
    /// Child rows with a null key.
    pub null_keys: usize,
    /// Null keys over rows.
    pub null_share: f64,
    /// Child rows whose key is not null but names no parent row.
    pub dangling: usize,
    /// Dangling keys over the non-null keys (the figure `max_dangling_keys` checks).
    pub dangling_share: f64,
    /// The first dangling rows of the child file (1 = its first data row); key values are
    /// never shown, as keys identify people.
    pub dangling_rows: Vec<usize>,
    /// Parent rows.
    pub parents: usize,
    /// Parent rows no child row names.
    pub parents_without_children: usize,
    /// Those over the parent rows.
    pub parents_without_children_share: f64,
}

/// Data quality of one table's primary key.
#[derive(Debug, Clone, Serialize)]
pub struct PrimaryKeyQuality {
    /// The table.
    pub table: String,
    /// The key column.
    pub column: String,
    /// Rows.
    pub rows: usize,
    /// Rows with a null key.
    pub null_keys: usize,
    /// Rows whose key an earlier row already has.
    pub duplicate_keys: usize,
    /// The first such rows (1 = the first data row).
    pub duplicate_rows: Vec<usize>,
}

/// What a linked audit found.
#[derive(Debug, Clone, Serialize)]
pub struct LinkedAuditReport {
    /// Always [`FORMAT`].
    pub format: String,
    /// Always [`VERSION`].
    pub version: u32,
    /// fairsynth version.
    pub fairsynth: String,
    /// The schema: name, file, SHA-256.
    pub schema: (String, String, String),
    /// The as-of date (YYYY-MM-DD).
    pub as_of: String,
    /// Per table, in the schema's order.
    pub tables: Vec<TableAudit>,
    /// Per table with a label and protected columns up its driving keys.
    pub parity: Vec<LinkedParity>,
    /// Per table with protected columns and descendants.
    pub proxies: Vec<ProfileProxies>,
    /// Per foreign key, in the schema's order.
    pub foreign_keys: Vec<ForeignKeyQuality>,
    /// Per table.
    pub primary_keys: Vec<PrimaryKeyQuality>,
    /// Every gate: each table's own (detail prefixed by the table), then the cross-table ones.
    pub checks: Vec<Check>,
    /// No gate failed.
    pub passed: bool,
    /// What could not be computed and why.
    pub notes: Vec<String>,
}

/// Table `t`'s schema as its single-table audit reads it: its key columns that have no other
/// role count as identifiers (a key names a row, a person's or a product's, so it is neither
/// an attribute, a proxy nor an undeclared identifier), and a row number `inspect` added as
/// its key is left out (the data need not hold it).
fn audited_schema(db: &Database, t: &crate::schema::Table) -> crate::schema::Schema {
    let mut s = t.schema.clone();
    if db.added_key(t) {
        s.columns.retain(|c| c.name != t.primary_key);
    }
    for c in &mut s.columns {
        let key = c.name == t.primary_key || t.foreign_keys.iter().any(|f| f.column == c.name);
        if key && c.role == Role::Feature {
            c.role = Role::Identifier;
        }
    }
    s
}

/// Audits the tables of `db` (`inputs`: one per table, in its order).
pub fn audit_linked(
    db: &Database,
    inputs: &[Input],
    opts: &LinkedOptions,
) -> Result<LinkedAuditReport, AuditError> {
    if inputs.len() != db.tables.len() {
        return Err(AuditError::Input(format!(
            "{} inputs given for a schema of {} tables",
            inputs.len(),
            db.tables.len()
        )));
    }
    // Each table's gates: its `quality:` under the overrides.
    let quality: Vec<Quality> = db
        .tables
        .iter()
        .map(|t| crate::evaluate::apply_thresholds(t.schema.quality, &opts.thresholds))
        .collect::<Result<_, _>>()
        .map_err(|e| AuditError::Input(e.to_string()))?;
    let mut notes = Vec::new();
    let mut checks = Vec::new();
    let mut tables = Vec::with_capacity(db.tables.len());
    for (i, (t, input)) in db.tables.iter().zip(inputs).enumerate() {
        let o = Options {
            input: input.clone(),
            targets: t.schema.targets.clone(),
            quality: quality[i],
            as_of: opts.as_of,
            baseline: None,
        };
        let audit = super::audit(&audited_schema(db, t), &o).map_err(|e| match e {
            AuditError::Input(m) => AuditError::Input(format!("table `{}`: {m}", t.name())),
            e => e,
        })?;
        checks.extend(audit.checks.iter().map(|c| Check {
            detail: format!("table `{}`: {}", t.name(), c.detail),
            ..c.clone()
        }));
        tables.push(TableAudit {
            table: t.name().to_string(),
            audit,
        });
    }
    let loaded = profile::load_tables(db, inputs)?;
    let (links, unreadable) = links(db, &loaded);
    for (i, key) in &unreadable {
        let why = format!(
            "{key} is not checked: the key column or the parent's key is not readable (encrypted without its key)"
        );
        let limit = quality[*i].max_dangling_keys.unwrap_or(0.0);
        checks.push(Check::judge(
            "max_dangling_keys",
            limit,
            Err(why.clone()),
            true,
        ));
        notes.push(why);
    }

    let parity = label_parity(db, &loaded, &links, &quality, &mut notes);
    for p in &parity {
        let i = db.table_index(&p.table).unwrap_or(0);
        checks.extend(parity_checks(p, &quality[i]));
    }
    let proxies = profile_proxies(db, &loaded, &mut notes);
    for p in &proxies {
        let i = db.table_index(&p.table).unwrap_or(0);
        if let Some(limit) = quality[i].max_proxy_strength {
            checks.push(Check::judge(
                "max_proxy_strength",
                limit,
                p.proxies
                    .pairs
                    .first()
                    .map(|x| {
                        (
                            x.cramers_v,
                            format!(
                                "profile of `{}`: Cramér's V of `{}` with `{}`",
                                p.table, x.column, x.protected
                            ),
                        )
                    })
                    .ok_or_else(|| format!("profile of `{}`: no proxy figures", p.table)),
                true,
            ));
        }
    }
    let foreign_keys = foreign_keys(db, &loaded, &links);
    for k in &foreign_keys {
        let i = db.table_index(&k.child).unwrap_or(0);
        let limit = quality[i].max_dangling_keys.unwrap_or(0.0);
        checks.push(Check::judge(
            "max_dangling_keys",
            limit,
            Ok((
                k.dangling_share,
                format!(
                    "`{}.{}`: {} of {} non-null keys name no `{}` row{}",
                    k.child,
                    k.column,
                    k.dangling,
                    k.rows - k.null_keys,
                    k.parent,
                    if k.dangling_rows.is_empty() {
                        String::new()
                    } else {
                        format!(
                            " ({} {}{})",
                            if k.dangling == 1 { "row" } else { "rows" },
                            k.dangling_rows
                                .iter()
                                .map(usize::to_string)
                                .collect::<Vec<_>>()
                                .join(", "),
                            if k.dangling > k.dangling_rows.len() {
                                ", ..."
                            } else {
                                ""
                            }
                        )
                    }
                ),
            )),
            true,
        ));
    }
    let mut primary_keys = Vec::new();
    for (t, l) in db.tables.iter().zip(&loaded) {
        match primary_key(t.name(), &t.primary_key, l) {
            Some(k) => primary_keys.push(k),
            // A row number `inspect` added: each row is its own key.
            None if db.added_key(t) => {}
            None => notes.push(format!(
                "the primary key `{}.{}` is not checked: it is not readable (encrypted without its key)",
                t.name(),
                t.primary_key
            )),
        }
    }
    let passed = checks.iter().all(|c| c.status != Status::Failed);
    Ok(LinkedAuditReport {
        format: FORMAT.into(),
        version: VERSION,
        fairsynth: env!("CARGO_PKG_VERSION").into(),
        schema: (
            db.name.clone(),
            db.source.file.clone(),
            db.source.sha256.clone(),
        ),
        as_of: figures::day_text(opts.as_of).unwrap_or_default(),
        tables,
        parity,
        proxies,
        foreign_keys,
        primary_keys,
        checks,
        passed,
        notes,
    })
}

/// Every foreign key resolved: (child table, key column) to the link.
type Links = HashMap<(usize, String), Link>;

/// Every foreign key whose column and parent key are loaded, resolved; and the others, as
/// (child table, `child.column → parent`): a key that cannot be read (encrypted without its
/// key) is not checked, rather than counted as null.
fn links(db: &Database, loaded: &[Table]) -> (Links, Vec<(usize, String)>) {
    let mut out = HashMap::new();
    let mut unreadable = Vec::new();
    for (i, t) in db.tables.iter().enumerate() {
        for fk in &t.foreign_keys {
            let Some(p) = db.table_index(&fk.table) else {
                continue;
            };
            if loaded[i].column(&fk.column).is_none()
                || loaded[p].column(&db.tables[p].primary_key).is_none()
            {
                unreadable.push((i, format!("`{}.{}` → {}", t.name(), fk.column, fk.table)));
                continue;
            }
            let l = profile::link(
                &loaded[i],
                &fk.column,
                &loaded[p],
                &db.tables[p].primary_key,
            );
            out.insert((i, fk.column.clone()), l);
        }
    }
    (out, unreadable)
}

/// The ancestors of table `at` through driving keys, nearest first: the ancestor, the row of
/// it each row of `at` hangs from, and the key followed (`child.column → parent`).
fn ancestors(
    db: &Database,
    loaded: &[Table],
    links: &Links,
    at: usize,
) -> Vec<(usize, Vec<Option<usize>>, String)> {
    let mut out = Vec::new();
    let mut rows: Vec<Option<usize>> = (0..loaded[at].rows).map(Some).collect();
    let mut cur = at;
    // A schema's driving keys form a forest; the bound only guards against a cycle.
    for _ in 0..db.tables.len() {
        let Some(fk) = db.tables[cur].driving() else {
            break;
        };
        let (Some(p), Some(l)) = (
            db.table_index(&fk.table),
            links.get(&(cur, fk.column.clone())),
        ) else {
            break;
        };
        rows = rows.iter().map(|r| r.and_then(|r| l.rows[r])).collect();
        out.push((
            p,
            rows.clone(),
            format!("{}.{} → {}", db.tables[cur].name(), fk.column, fk.table),
        ));
        cur = p;
    }
    out
}

/// Parity of each table's label by its own protected columns and its ancestors', for the
/// tables whose ancestors have protected columns.
fn label_parity(
    db: &Database,
    loaded: &[Table],
    links: &Links,
    quality: &[Quality],
    notes: &mut Vec<String>,
) -> Vec<LinkedParity> {
    let mut out = Vec::new();
    for (i, t) in db.tables.iter().enumerate() {
        let Some(label) = crate::evaluate::fairness::label_name(&t.schema) else {
            continue;
        };
        if loaded[i].column(&label).is_none() {
            continue;
        }
        let up = ancestors(db, loaded, links, i);
        if !up
            .iter()
            .any(|(a, _, _)| !figures::protected(&db.tables[*a].schema).is_empty())
        {
            continue;
        }
        let mut groupings: Vec<(String, Grouping)> = Vec::new();
        for decl in figures::protected(&t.schema) {
            if let Some(g) = loaded[i]
                .column(&decl.name)
                .and_then(|c| figures::grouping(decl, c))
            {
                groupings.push((decl.name.clone(), g));
            }
        }
        let mut through = Vec::new();
        for (a, rows, key) in &up {
            through.push(key.clone());
            let at = &db.tables[*a];
            for decl in figures::protected(&at.schema) {
                let name = format!("{}.{}", at.name(), decl.name);
                let Some(col) = loaded[*a].column(&decl.name) else {
                    notes.push(format!(
                        "parity of `{}.{label}`: `{name}` is not in its file",
                        t.name()
                    ));
                    continue;
                };
                match figures::grouping(decl, &col.gather(rows, &name)) {
                    Some(g) => groupings.push((name, g)),
                    None => notes.push(format!(
                        "parity of `{}.{label}`: protected column `{name}` is numeric without `bins`, so it has no groups",
                        t.name()
                    )),
                }
            }
        }
        // The keys followed up to the furthest ancestor with protected columns.
        let last = up
            .iter()
            .rposition(|(a, _, _)| !figures::protected(&db.tables[*a].schema).is_empty())
            .map_or(0, |p| p + 1);
        through.truncate(last);
        let min_rows = quality[i]
            .min_group_rows
            .map_or(PARITY_MIN_ROWS, |x| x as u64);
        let both = intersect(&groupings);
        let mut own_notes = Vec::new();
        if let Some(p) = parity(
            &t.schema,
            &loaded[i],
            &groupings,
            both.as_ref(),
            min_rows,
            &mut own_notes,
        ) {
            out.push(LinkedParity {
                table: t.name().to_string(),
                through,
                parity: p,
            });
        }
        notes.extend(
            own_notes
                .into_iter()
                .map(|n| format!("table `{}`: {n}", t.name())),
        );
    }
    out
}

/// `min_di` and `max_spd` of one label's parity across tables.
fn parity_checks(p: &LinkedParity, q: &Quality) -> Vec<Check> {
    let attrs: Vec<&AttributeParity> = p.parity.attributes.iter().collect();
    [("min_di", q.min_di, false), ("max_spd", q.max_spd, true)]
        .into_iter()
        .filter_map(|(key, limit, is_max)| {
            let figure = worst_parity(key, &attrs)
                .map(|(x, a)| {
                    (
                        x,
                        format!(
                            "`{}.{}` by `{}`: {} vs {}",
                            p.table,
                            p.parity.label,
                            a.attribute,
                            a.lowest.as_deref().unwrap_or(""),
                            a.highest.as_deref().unwrap_or("")
                        ),
                    )
                })
                .ok_or_else(|| format!("`{}.{}`: no parity figures", p.table, p.parity.label));
            Some(Check::judge(key, limit?, figure, is_max))
        })
        .collect()
}

/// The proxy scan of each table with protected columns over its profile.
fn profile_proxies(
    db: &Database,
    loaded: &[Table],
    notes: &mut Vec<String>,
) -> Vec<ProfileProxies> {
    let mut out = Vec::new();
    for (i, t) in db.tables.iter().enumerate() {
        let protected = figures::protected(&t.schema);
        if protected.is_empty() {
            continue;
        }
        // The table's own columns; of its descendants, what describes their rows, less their
        // labels and protected columns (outcomes and attributes, not proxies).
        let columns = |d: usize| -> Vec<String> {
            let mut names = profile::own_columns(&db.tables[d], &loaded[d]);
            if d != i {
                let s = &db.tables[d].schema;
                let label = crate::evaluate::fairness::label_name(s);
                names.retain(|n| {
                    Some(n) != label.as_ref()
                        && s.column(n).is_some_and(|c| c.role != Role::Protected)
                });
            }
            names
        };
        let p = profile::profile(db, loaded, i, &columns);
        if p.descendants.is_empty() {
            continue;
        }
        let mut groupings = Vec::new();
        for decl in protected {
            if let Some(g) = p
                .table
                .column(&decl.name)
                .and_then(|c| figures::grouping(decl, c))
            {
                groupings.push((decl.name.clone(), g));
            }
        }
        if groupings.is_empty() {
            notes.push(format!(
                "table `{}`: no protected column with groups, so its profile is not scanned for proxies",
                t.name()
            ));
            continue;
        }
        out.push(ProfileProxies {
            table: t.name().to_string(),
            descendants: p.descendants.clone(),
            proxies: proxies(&p.schema, &p.table, &groupings),
        });
    }
    out
}

fn foreign_keys(db: &Database, loaded: &[Table], links: &Links) -> Vec<ForeignKeyQuality> {
    let mut out = Vec::new();
    for (i, t) in db.tables.iter().enumerate() {
        for fk in &t.foreign_keys {
            let (Some(p), Some(l)) = (
                db.table_index(&fk.table),
                links.get(&(i, fk.column.clone())),
            ) else {
                continue;
            };
            let rows = loaded[i].rows;
            let parents = loaded[p].rows;
            let mut named = vec![false; parents];
            for r in l.rows.iter().flatten() {
                named[*r] = true;
            }
            let without = named.iter().filter(|n| !**n).count();
            // A row whose key is present but resolves nothing dangles.
            let dangling_at: Vec<usize> = match loaded[i].column(&fk.column) {
                Some(c) => (0..rows)
                    .filter(|r| l.rows[*r].is_none() && c.key(*r).is_some())
                    .collect(),
                None => Vec::new(),
            };
            let null_keys = rows - l.present;
            out.push(ForeignKeyQuality {
                child: t.name().to_string(),
                column: fk.column.clone(),
                parent: fk.table.clone(),
                driving: fk.children.is_some(),
                rows,
                null_keys,
                null_share: share(null_keys, rows),
                dangling: l.present - l.resolved,
                dangling_share: share(l.present - l.resolved, l.present),
                dangling_rows: dangling_at
                    .iter()
                    .take(EXAMPLE_ROWS)
                    .map(|r| r + 1)
                    .collect(),
                parents,
                parents_without_children: without,
                parents_without_children_share: share(without, parents),
            });
        }
    }
    out
}

fn share(k: usize, n: usize) -> f64 {
    if n == 0 {
        0.0
    } else {
        k as f64 / n as f64
    }
}

/// Null and duplicate keys of a table's primary key (`None`: the column is not loaded).
fn primary_key(table: &str, column: &str, loaded: &Table) -> Option<PrimaryKeyQuality> {
    let c = loaded.column(column)?;
    let mut seen: std::collections::HashSet<String> = std::collections::HashSet::new();
    let mut nulls = 0;
    let mut dups = Vec::new();
    for r in 0..loaded.rows {
        match c.key(r) {
            None => nulls += 1,
            Some(k) => {
                if !seen.insert(k) {
                    dups.push(r + 1);
                }
            }
        }
    }
    Some(PrimaryKeyQuality {
        table: table.to_string(),
        column: column.to_string(),
        rows: loaded.rows,
        null_keys: nulls,
        duplicate_keys: dups.len(),
        duplicate_rows: dups.into_iter().take(EXAMPLE_ROWS).collect(),
    })
}

/// A readable summary for the terminal.
pub fn summary(r: &LinkedAuditReport) -> String {
    use std::fmt::Write;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "audited {} linked tables of `{}`: {}",
        r.tables.len(),
        r.schema.0,
        r.tables
            .iter()
            .map(|t| format!("{} ({} rows)", t.table, t.audit.input.rows))
            .collect::<Vec<_>>()
            .join(", ")
    );
    for t in &r.tables {
        for a in t
            .audit
            .representation
            .iter()
            .filter(|a| !a.attribute.contains(" & "))
        {
            let parts: Vec<String> = a
                .groups
                .iter()
                .map(|g| match g.target {
                    Some(x) => format!("{} {:.3} (target {x:.3})", g.group, g.share),
                    None => format!("{} {:.3}", g.group, g.share),
                })
                .collect();
            let _ = writeln!(
                s,
                "  share {}.{}: {}",
                t.table,
                a.attribute,
                parts.join(", ")
            );
        }
    }
    for p in &r.parity {
        for a in &p.parity.attributes {
            if let (Some(spd), Some(lo), Some(hi)) = (a.spd, &a.lowest, &a.highest) {
                let _ = writeln!(
                    s,
                    "  {}.{} = {} by {}: SPD {spd:+.4}, DI {} ({lo} vs {hi})",
                    p.table,
                    p.parity.label,
                    p.parity.favourable,
                    a.attribute,
                    a.di.map_or("n/a".into(), |d| format!("{d:.4}"))
                );
            }
        }
    }
    for p in &r.proxies {
        for x in p.proxies.pairs.iter().take(3) {
            let _ = writeln!(
                s,
                "  proxy in the profile of {}: {} for {}: Cramér's V {:.3}, MI {:.3} bits",
                p.table, x.column, x.protected, x.cramers_v, x.mutual_information_bits
            );
        }
    }
    for k in &r.foreign_keys {
        let _ = writeln!(
            s,
            "  key {}.{} → {}: {} null, {} dangling, {} of {} parents without children",
            k.child,
            k.column,
            k.parent,
            k.null_keys,
            k.dangling,
            k.parents_without_children,
            k.parents
        );
    }
    for k in r.primary_keys.iter().filter(|k| k.duplicate_keys > 0) {
        let _ = writeln!(
            s,
            "  primary key {}.{}: {} duplicate key{}",
            k.table,
            k.column,
            k.duplicate_keys,
            if k.duplicate_keys == 1 { "" } else { "s" }
        );
    }
    for n in &r.notes {
        let _ = writeln!(s, "  note: {n}");
    }
    let failed = r
        .checks
        .iter()
        .filter(|c| c.status == Status::Failed)
        .count();
    let _ = writeln!(
        s,
        "checks: {} passed, {failed} failed, {} skipped",
        r.checks
            .iter()
            .filter(|c| c.status == Status::Passed)
            .count(),
        r.checks
            .iter()
            .filter(|c| c.status == Status::Skipped)
            .count()
    );
    for c in r.checks.iter().filter(|c| c.status == Status::Failed) {
        let _ = writeln!(
            s,
            "  FAIL {}: {} against {} ({})",
            c.key,
            crate::report::num(c.value.unwrap_or(f64::NAN), 4),
            c.limit,
            c.detail
        );
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::fixtures::{cat, num};

    const SCHEMA: &str = r#"
version: 1
name: shop
tables:
  - name: people
    rows: 4
    primary_key: id
    columns:
      - {name: id, type: int, role: identifier}
      - {name: sex, type: category, role: protected, levels: [f, m]}
  - name: orders
    primary_key: oid
    columns:
      - {name: oid, type: int}
      - name: pid
        type: int
        references: people
        children: {shares: {"1": 1}}
  - name: items
    primary_key: iid
    columns:
      - {name: iid, type: int}
      - name: oid
        type: int
        references: orders
        children: {shares: {"1": 0.5, "2": 0.5}}
      - {name: returned, type: category, role: label, levels: ["yes", "no"]}
"#;

    fn database() -> (Database, Vec<Table>) {
        let crate::schema::Document::Database(db) =
            crate::schema::Document::from_str_named(SCHEMA, "shop.yaml").expect("schema")
        else {
            panic!("a schema of linked tables")
        };
        let tables = vec![
            Table {
                rows: 4,
                columns: vec![
                    num("id", &[1.0, 2.0, 3.0, 4.0]),
                    cat("sex", &["f", "f", "m", "m"]),
                ],
            },
            // Order 14 names person 99, who does not exist.
            Table {
                rows: 5,
                columns: vec![
                    num("oid", &[10.0, 11.0, 12.0, 13.0, 14.0]),
                    num("pid", &[1.0, 2.0, 3.0, 4.0, 99.0]),
                ],
            },
            Table {
                rows: 6,
                columns: vec![
                    num("iid", &[1.0, 2.0, 3.0, 4.0, 5.0, 1.0]),
                    num("oid", &[10.0, 10.0, 11.0, 12.0, 13.0, 14.0]),
                    cat("returned", &["no", "no", "yes", "yes", "no", "no"]),
                ],
            },
        ];
        (db, tables)
    }

    #[test]
    fn a_label_two_tables_down_is_rated_by_the_person_it_hangs_from() {
        let (db, tables) = database();
        let (links, _) = links(&db, &tables);
        let gates = Quality {
            min_group_rows: Some(1.0),
            ..Quality::default()
        };
        let mut notes = Vec::new();
        let p = label_parity(&db, &tables, &links, &[gates; 3], &mut notes);
        assert_eq!(p.len(), 1, "{notes:?}");
        assert_eq!(p[0].table, "items");
        assert_eq!(p[0].through, ["items.oid → orders", "orders.pid → people"]);
        let par = &p[0].parity;
        assert_eq!(par.favourable, "no");
        // Every labelled row counts overall, the item of the dangling order too.
        assert!((par.overall_rate - 4.0 / 6.0).abs() < 1e-12);
        let a = &par.attributes[0];
        assert_eq!(a.attribute, "people.sex");
        // Women: items 1-3 (no, no, yes); men: items 4-5 (yes, no); item 6 belongs to no one.
        assert_eq!((a.groups[0].rows, a.groups[1].rows), (3, 2));
        assert!((a.groups[0].rate - 2.0 / 3.0).abs() < 1e-12);
        assert!((a.groups[1].rate - 0.5).abs() < 1e-12);
        assert!((a.spd.expect("spd") - (0.5 - 2.0 / 3.0)).abs() < 1e-12);
    }

    #[test]
    fn keys_count_dangling_rows_parents_without_children_and_duplicates() {
        let (db, tables) = database();
        let (links, unreadable) = links(&db, &tables);
        assert!(unreadable.is_empty());
        let fks = foreign_keys(&db, &tables, &links);
        assert_eq!(fks.len(), 2);
        assert_eq!(
            (fks[0].child.as_str(), fks[0].column.as_str()),
            ("orders", "pid")
        );
        assert_eq!((fks[0].dangling, fks[0].null_keys), (1, 0));
        assert_eq!(fks[0].dangling_rows, [5]);
        assert!((fks[0].dangling_share - 0.2).abs() < 1e-12);
        assert_eq!(fks[0].parents_without_children, 0);
        assert_eq!((fks[1].dangling, fks[1].parents_without_children), (0, 0));
        let pk = primary_key("items", "iid", &tables[2]).expect("loaded");
        assert_eq!((pk.null_keys, pk.duplicate_keys), (0, 1));
        assert_eq!(pk.duplicate_rows, [6]);
    }

    #[test]
    fn key_columns_without_a_role_count_as_identifiers() {
        let (db, _) = database();
        let s = audited_schema(&db, &db.tables[2]);
        let role = |n: &str| s.column(n).expect(n).role;
        assert_eq!(role("iid"), Role::Identifier);
        assert_eq!(role("oid"), Role::Identifier);
        assert_eq!(role("returned"), Role::Label);
    }
}
