//! The `encryption:` block: the access policy of every Parquet output. Master key IDs, roles
//! and column names are checked here, so a typo is named with its line before any key is
//! looked up or any file written.
//!
//! ```yaml
//! encryption:
//!   footer_key: footer          # master key ID guarding the footer
//!   plaintext_footer: true      # readers without the footer key still see the other columns
//!   keys:                       # master key ID -> the columns it guards
//!     auditor: {roles: [protected]}
//!     linkage: {columns: [customer_id]}
//! ```
//!
//! A schema of linked tables may carry the block at the top (it applies to every table; a
//! column may be named `table.column` to mean one table's; a role that selects a primary key
//! selects the foreign keys referencing it too) and inside a table entry (that table only); [`apply_encryption`] merges the two into each table's policy.

use super::*;
use crate::schema::relational::{key_links, with_references, KeyLink};

const ENCRYPTION_KEYS: [&str; 3] = ["footer_key", "plaintext_footer", "keys"];
const SELECTOR_KEYS: [&str; 2] = ["roles", "columns"];

/// The tables whose columns a section selects: `(table name, columns)`. One entry for a
/// one-table schema or a linked table's own section; every table for the top-level section
/// of linked tables (`qualified`), where `table.column` names one table's column. A table
/// whose columns failed to decode has no columns, and names in it are not checked.
pub(super) struct Scope<'a> {
    pub(super) tables: Vec<(&'a str, &'a [Column])>,
    pub(super) qualified: bool,
    /// The foreign keys between the tables: a role that selects a primary key selects the
    /// keys referencing it too.
    pub(super) links: Vec<KeyLink>,
}

/// One decoded `encryption:` section, before it becomes a policy.
pub(super) struct Section {
    /// `footer_key`, when given and valid.
    pub(super) footer_key: Option<String>,
    /// Whether `footer_key` is written at all (valid or not).
    pub(super) footer_given: bool,
    /// `plaintext_footer`, when given.
    pub(super) plaintext_footer: Option<bool>,
    /// Per table of the scope: `(column, master key ID)` in the table's column order.
    pub(super) columns: Vec<Vec<(String, String)>>,
    /// Where the section starts, and its key path.
    pub(super) pos: Pos,
    pub(super) path: String,
    /// Whether it is a linked table's own section.
    pub(super) in_table: bool,
}

impl Section {
    /// The section as the policy of table `t` of its scope, with `footer_key` and
    /// `plaintext_footer` falling back to `outer`'s (the top-level section of linked tables).
    /// A missing footer key is reported at the section.
    pub(super) fn policy(
        &self,
        s: &mut Sink,
        t: usize,
        outer: Option<&Encryption>,
    ) -> Option<Encryption> {
        let footer_key = match (&self.footer_key, outer) {
            (Some(k), _) => k.clone(),
            (None, _) if self.footer_given => return None,
            (None, Some(o)) => o.footer_key.clone(),
            (None, None) => {
                let hint = if self.in_table {
                    "add `footer_key: KEY_ID`, the master key that guards the file's footer, here or to a top-level `encryption:` section (every table)"
                } else {
                    "add `footer_key: KEY_ID`, the master key that guards the file's footer"
                };
                s.hint(
                    self.pos,
                    &join(&self.path, "footer_key"),
                    "missing `footer_key`",
                    hint,
                );
                return None;
            }
        };
        Some(Encryption {
            footer_key,
            plaintext_footer: self
                .plaintext_footer
                .or(outer.map(|o| o.plaintext_footer))
                .unwrap_or(false),
            columns: self.columns.get(t).cloned().unwrap_or_default(),
        })
    }
}

/// A master key ID at `n`, or a diagnostic saying what one looks like.
fn key_id(s: &mut Sink, n: &Node, path: &str) -> Option<String> {
    let id = text(s, n, path)?;
    if Encryption::valid_key_id(&id) {
        Some(id)
    } else {
        s.hint(
            pos(n),
            path,
            format!("`{id}` is not a master key ID"),
            "use letters, digits and `_` (up to 64 characters), so that the environment variable FAIRSYNTH_KEY_<ID> can hold the key",
        );
        None
    }
}

/// The `encryption:` section of a one-table schema.
pub(super) fn decode_encryption(s: &mut Sink, n: &Node, columns: &[Column]) -> Option<Encryption> {
    let scope = Scope {
        tables: vec![("", columns)],
        qualified: false,
        links: Vec::new(),
    };
    decode_section(s, n, "encryption", &scope)?.policy(s, 0, None)
}

/// An `encryption:` section at `path` selecting columns of `scope`. `footer_key` may be
/// missing (the caller decides whether another section supplies it).
pub(super) fn decode_section(s: &mut Sink, n: &Node, path: &str, scope: &Scope) -> Option<Section> {
    let m = mapping(s, n, path)?;
    m.only(s, &ENCRYPTION_KEYS);
    let footer_key = m
        .get("footer_key")
        .and_then(|v| key_id(s, v, &m.child("footer_key")));
    let plaintext_footer = m
        .get("plaintext_footer")
        .and_then(|v| boolean(s, v, &m.child("plaintext_footer")));
    // (table, column, key ID, position of the selector)
    let mut chosen: Vec<(usize, String, String, Pos)> = Vec::new();
    let keys_path = m.child("keys");
    match m.get("keys") {
        None => s.hint(
            m.pos,
            &keys_path,
            "missing `keys`",
            "add `keys:` mapping master key IDs to what they guard, e.g. `auditor: {roles: [protected]}`",
        ),
        Some(v) => {
            if let Some(keys) = mapping(s, v, &keys_path) {
                if keys.entries.is_empty() {
                    s.hint(
                        keys.pos,
                        &keys_path,
                        "no master key is listed",
                        "add `KEY_ID: {roles: [protected]}` or `KEY_ID: {columns: [a, b]}`",
                    );
                }
                for (id, id_pos, sel) in &keys.entries {
                    let path = keys.child(id);
                    if !Encryption::valid_key_id(id) {
                        s.hint(
                            *id_pos,
                            &path,
                            format!("`{id}` is not a master key ID"),
                            "use letters, digits and `_` (up to 64 characters), so that the environment variable FAIRSYNTH_KEY_<ID> can hold the key",
                        );
                        continue;
                    }
                    decode_selector(s, sel, &path, id, scope, &mut chosen);
                }
            }
        }
    }
    let mut columns: Vec<Vec<(String, String)>> = vec![Vec::new(); scope.tables.len()];
    for (t, col, id, at) in &chosen {
        let out = &mut columns[*t];
        match out.iter().find(|(c, _)| c == col) {
            Some((_, first)) if first != id => {
                let shown = if scope.qualified {
                    format!("{}.{col}", scope.tables[*t].0)
                } else {
                    col.clone()
                };
                s.hint(
                    *at,
                    &keys_path,
                    format!(
                        "column `{shown}` is selected for both master key `{first}` and `{id}`"
                    ),
                    "a column is encrypted under one key: select it under one of them",
                )
            }
            Some(_) => {}
            None => out.push((col.clone(), id.clone())),
        }
    }
    for (out, (_, cols)) in columns.iter_mut().zip(&scope.tables) {
        out.sort_by_key(|(c, _)| cols.iter().position(|k| &k.name == c));
    }
    Some(Section {
        footer_given: m.has("footer_key"),
        footer_key,
        plaintext_footer,
        columns,
        pos: m.pos,
        path: path.to_string(),
        in_table: !scope.qualified && scope.tables.iter().any(|(n, _)| !n.is_empty()),
    })
}

/// One key's `{roles: [...], columns: [...]}`: the columns it selects go into `chosen`.
fn decode_selector(
    s: &mut Sink,
    n: &Node,
    path: &str,
    id: &str,
    scope: &Scope,
    chosen: &mut Vec<(usize, String, String, Pos)>,
) {
    let Some(m) = mapping(s, n, path) else {
        return;
    };
    m.only(s, &SELECTOR_KEYS);
    if !m.has("roles") && !m.has("columns") {
        s.hint(
            m.pos,
            path,
            format!("master key `{id}` selects no column"),
            "add `roles: [protected]` and/or `columns: [name, ...]`",
        );
        return;
    }
    // Names are checked only when every table of the scope has its columns.
    let known = scope.tables.iter().all(|(_, cols)| !cols.is_empty());
    if let Some(v) = m.get("roles") {
        let rpath = m.child("roles");
        for r in sequence(s, v, &rpath).unwrap_or_default() {
            let Some(word) = text(s, r, &rpath) else {
                continue;
            };
            let Some(role) = Role::from_name(&word) else {
                s.hint(
                    pos(r),
                    &rpath,
                    format!("unknown role `{word}`"),
                    choices_hint(&word, &Role::NAMES),
                );
                continue;
            };
            let picked: Vec<(usize, String)> = scope
                .tables
                .iter()
                .enumerate()
                .flat_map(|(t, (_, cols))| {
                    cols.iter()
                        .filter(|c| c.has_role(role))
                        .map(move |c| (t, c.name.clone()))
                })
                .collect();
            let picked = with_references(picked, &scope.links);
            let none = picked.is_empty();
            for (t, c) in picked {
                chosen.push((t, c, id.to_string(), pos(r)));
            }
            if none && known {
                s.hint(
                    pos(r),
                    &rpath,
                    format!("no column has the role `{word}`, so master key `{id}` guards nothing through it"),
                    "give the columns to protect this role, or remove it here",
                );
            }
        }
    }
    if let Some(v) = m.get("columns") {
        let cpath = m.child("columns");
        for c in sequence(s, v, &cpath).unwrap_or_default() {
            let Some(word) = text(s, c, &cpath) else {
                continue;
            };
            let at = pos(c);
            match pick(scope, &word) {
                Ok(picked) => {
                    for (t, name) in picked {
                        chosen.push((t, name, id.to_string(), at));
                    }
                }
                Err(_) if !known => {}
                Err((message, hint)) => s.hint(at, &cpath, message, hint),
            }
        }
    }
}

/// The columns `word` names in `scope`: a column name (in every table that has it), or, in a
/// qualified scope, `table.column`. Otherwise what is wrong and how to fix it.
fn pick(scope: &Scope, word: &str) -> Result<Vec<(usize, String)>, (String, String)> {
    let exact: Vec<(usize, String)> = scope
        .tables
        .iter()
        .enumerate()
        .filter(|(_, (_, cols))| cols.iter().any(|c| c.name == word))
        .map(|(t, _)| (t, word.to_string()))
        .collect();
    if !exact.is_empty() {
        return Ok(exact);
    }
    if !scope.qualified {
        let names: Vec<&str> = scope
            .tables
            .iter()
            .flat_map(|(_, cols)| cols.iter().map(|c| c.name.as_str()))
            .collect();
        let message = match scope.tables.as_slice() {
            // A linked table's own section.
            [(table, _)] if !table.is_empty() => format!("table `{table}` has no column `{word}`"),
            _ => format!("no column is called `{word}`"),
        };
        return Err((message, choices_hint(word, &names)));
    }
    let tables: Vec<&str> = scope.tables.iter().map(|(n, _)| *n).collect();
    let Some((table, column)) = word.split_once('.') else {
        let mut names: Vec<&str> = Vec::new();
        for (_, cols) in &scope.tables {
            for c in cols.iter() {
                if !names.contains(&c.name.as_str()) {
                    names.push(c.name.as_str());
                }
            }
        }
        let hint = match did_you_mean(word, names.iter().copied()) {
            Some(c) => format!("did you mean `{c}`?"),
            None => "name a column some table has, or one table's column as `table.column`".into(),
        };
        return Err((format!("no table has a column called `{word}`"), hint));
    };
    let Some(t) = tables.iter().position(|n| *n == table) else {
        return Err((
            format!("no table is called `{table}` (in `{word}`)"),
            choices_hint(table, &tables),
        ));
    };
    let cols = scope.tables[t].1;
    if cols.iter().any(|c| c.name == column) {
        return Ok(vec![(t, column.to_string())]);
    }
    let names: Vec<&str> = cols.iter().map(|c| c.name.as_str()).collect();
    Err((
        format!("table `{table}` has no column `{column}`"),
        choices_hint(column, &names),
    ))
}

/// Each table's policy: the top-level `encryption:` (every table; `table.column` names one
/// table's column) under the table's own section, whose `footer_key` and `plaintext_footer`
/// win for that table and whose keys win for the columns it selects.
pub(super) fn apply_encryption(
    s: &mut Sink,
    top: Option<&Node>,
    names: &[&str],
    decoded: &mut [Option<Table>],
    sections: &[Option<Section>],
) {
    let top = top.and_then(|n| {
        let scope = Scope {
            tables: names
                .iter()
                .zip(decoded.iter())
                .map(|(n, d)| {
                    let cols = d.as_ref().map_or(&[][..], |t| t.schema.columns.as_slice());
                    (*n, cols)
                })
                .collect(),
            qualified: true,
            links: key_links(&decoded.iter().map(Option::as_ref).collect::<Vec<_>>()),
        };
        decode_section(s, n, "encryption", &scope)
    });
    // A missing top-level footer key is reported once, not once per table.
    let top_ok = top.as_ref().map(|t| t.policy(s, 0, None).is_some());
    for (ti, slot) in decoded.iter_mut().enumerate() {
        let Some(table) = slot else { continue };
        let outer = match (&top, top_ok) {
            (Some(t), Some(true)) => t.policy(s, ti, None),
            _ => None,
        };
        table.schema.encryption = match (&sections[ti], top_ok) {
            // The top-level section's error is reported already.
            (Some(_), Some(false)) => None,
            (Some(own), _) => own.policy(s, 0, outer.as_ref()).map(|mut p| {
                let mut columns = outer.map(|o| o.columns).unwrap_or_default();
                for (c, k) in p.columns.drain(..) {
                    match columns.iter_mut().find(|(n, _)| *n == c) {
                        Some(slot) => slot.1 = k,
                        None => columns.push((c, k)),
                    }
                }
                let cols = &table.schema.columns;
                columns.sort_by_key(|(c, _)| cols.iter().position(|k| &k.name == c));
                Encryption { columns, ..p }
            }),
            (None, _) => outer,
        };
    }
}

#[cfg(test)]
mod tests {
    use crate::schema::{Database, Document, Encryption};

    fn db(yaml: &str) -> Database {
        match Document::from_str_named(yaml, "t.yaml") {
            Ok(Document::Database(db)) => db,
            Ok(Document::Table(_)) => panic!("one table"),
            Err(e) => panic!("{e}"),
        }
    }

    const SHOP: &str = "version: 1
name: shop
encryption:
  footer_key: footer
  keys:
    auditor: {roles: [protected], columns: [orders.total, customer_id]}
tables:
  - name: customers
    rows: 10
    primary_key: customer_id
    columns:
      - {name: customer_id, type: int, generator: {kind: sequence}}
      - {name: sex, type: category, role: protected, shares: {f: 0.5, m: 0.5}}
  - name: orders
    primary_key: order_id
    columns:
      - {name: order_id, type: int, generator: {kind: sequence}}
      - name: customer_id
        type: int
        references: customers
        children: {distribution: {kind: poisson, lambda: 2}, max: 10}
      - {name: total, type: float, distribution: {kind: normal, mean: 5, sd: 1}}
    encryption:
      plaintext_footer: true
      keys:
        linkage: {columns: [customer_id]}
  - name: notes
    primary_key: note_id
    columns:
      - {name: note_id, type: int, generator: {kind: sequence}}
      - name: order_id
        type: int
        references: orders
        children: {distribution: {kind: poisson, lambda: 1}, max: 3}
";

    fn policy(footer: &str, plaintext: bool, cols: &[(&str, &str)]) -> Option<Encryption> {
        Some(Encryption {
            footer_key: footer.into(),
            plaintext_footer: plaintext,
            columns: cols
                .iter()
                .map(|(c, k)| (c.to_string(), k.to_string()))
                .collect(),
        })
    }

    #[test]
    fn the_top_level_section_applies_to_every_table_under_each_tables_own() {
        let d = db(SHOP);
        let got: Vec<Option<Encryption>> = d
            .tables
            .iter()
            .map(|t| t.schema.encryption.clone())
            .collect();
        assert_eq!(
            got,
            vec![
                // A bare name means the column in every table that has it; roles likewise.
                policy(
                    "footer",
                    false,
                    &[("customer_id", "auditor"), ("sex", "auditor")]
                ),
                // The table's own key wins for its column; its footer mode for its file; the
                // footer key comes from the top.
                policy(
                    "footer",
                    true,
                    &[("customer_id", "linkage"), ("total", "auditor")]
                ),
                // No column selected: the footer is still encrypted.
                policy("footer", false, &[]),
            ]
        );
    }

    #[test]
    fn a_role_selecting_a_primary_key_selects_the_keys_referencing_it() {
        let yaml = SHOP
            .replace(
                "{name: customer_id, type: int, generator: {kind: sequence}}",
                "{name: customer_id, type: int, role: identifier, generator: {kind: sequence}}",
            )
            .replace(
                "auditor: {roles: [protected], columns: [orders.total, customer_id]}",
                "auditor: {roles: [identifier]}",
            )
            .replace(
                "linkage: {columns: [customer_id]}",
                "linkage: {columns: [total]}",
            );
        let d = db(&yaml);
        let got: Vec<Option<Encryption>> = d
            .tables
            .iter()
            .map(|t| t.schema.encryption.clone())
            .collect();
        assert_eq!(
            got,
            vec![
                policy("footer", false, &[("customer_id", "auditor")]),
                policy(
                    "footer",
                    true,
                    &[("customer_id", "auditor"), ("total", "linkage")]
                ),
                policy("footer", false, &[]),
            ]
        );
        // The flags alike; a name qualified with its table stays that table's column.
        let flags = |sel: &str| {
            Encryption::with_flags_linked(&d, &[sel.to_string()], Some("f"), false)
                .expect("flags")
                .into_iter()
                .map(|p| p.map(|p| p.columns).unwrap_or_default())
                .collect::<Vec<_>>()
        };
        let k = |c: &str| vec![(c.to_string(), "k".to_string())];
        assert_eq!(
            flags("k=role:identifier"),
            [k("customer_id"), k("customer_id"), vec![]]
        );
        assert_eq!(
            flags("k=customers.customer_id"),
            [k("customer_id"), vec![], vec![]]
        );
    }

    #[test]
    fn flags_apply_to_every_table_and_name_one_tables_column_when_qualified() {
        let d = db(SHOP);
        let got = Encryption::with_flags_linked(
            &d,
            &["k=orders.order_id,role:protected".to_string()],
            Some("f2"),
            false,
        )
        .expect("flags");
        assert_eq!(
            got,
            vec![
                policy("f2", false, &[("sex", "k")]),
                policy("f2", true, &[("order_id", "k")]),
                policy("f2", false, &[]),
            ]
        );
        let err = Encryption::with_flags_linked(&d, &["k=order.total".to_string()], None, false)
            .expect_err("unknown table");
        assert!(err.contains("no table is called `order`"), "{err}");
        let err = Encryption::with_flags_linked(&d, &["k=orders.sex".to_string()], None, false)
            .expect_err("unknown column");
        assert!(
            err.contains("the table `orders` has no column `sex`"),
            "{err}"
        );
    }
}
