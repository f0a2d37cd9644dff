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

use super::*;

const ENCRYPTION_KEYS: [&str; 3] = ["footer_key", "plaintext_footer", "keys"];
const SELECTOR_KEYS: [&str; 2] = ["roles", "columns"];

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

pub(super) fn decode_encryption(s: &mut Sink, n: &Node, columns: &[Column]) -> Option<Encryption> {
    let m = mapping(s, n, "encryption")?;
    m.only(s, &ENCRYPTION_KEYS);
    let footer_key = match m.get("footer_key") {
        Some(v) => key_id(s, v, "encryption.footer_key"),
        None => {
            s.hint(
                m.pos,
                "encryption.footer_key",
                "missing `footer_key`",
                "add `footer_key: KEY_ID`, the master key that guards the file's footer",
            );
            None
        }
    };
    let plaintext_footer = m
        .get("plaintext_footer")
        .and_then(|v| boolean(s, v, "encryption.plaintext_footer"))
        .unwrap_or(false);
    let mut chosen: Vec<(String, String, Pos)> = Vec::new();
    match m.get("keys") {
        None => s.hint(
            m.pos,
            "encryption.keys",
            "missing `keys`",
            "add `keys:` mapping master key IDs to what they guard, e.g. `auditor: {roles: [protected]}`",
        ),
        Some(v) => {
            if let Some(keys) = mapping(s, v, "encryption.keys") {
                if keys.entries.is_empty() {
                    s.hint(
                        keys.pos,
                        "encryption.keys",
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
                    decode_selector(s, sel, &path, id, columns, &mut chosen);
                }
            }
        }
    }
    let mut out: Vec<(String, String)> = Vec::with_capacity(chosen.len());
    for (col, id, at) in &chosen {
        match out.iter().find(|(c, _)| c == col) {
            Some((_, first)) if first != id => s.hint(
                *at,
                "encryption.keys",
                format!("column `{col}` is selected for both master key `{first}` and `{id}`"),
                "a column is encrypted under one key: select it under one of them",
            ),
            Some(_) => {}
            None => out.push((col.clone(), id.clone())),
        }
    }
    out.sort_by_key(|(c, _)| columns.iter().position(|k| &k.name == c));
    Some(Encryption {
        footer_key: footer_key?,
        plaintext_footer,
        columns: out,
    })
}

/// One key's `{roles: [...], columns: [...]}`: the columns it selects go into `chosen`.
fn decode_selector(
    s: &mut Sink,
    n: &Node,
    path: &str,
    id: &str,
    columns: &[Column],
    chosen: &mut Vec<(String, String, Pos)>,
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
            let picked: Vec<&Column> = columns.iter().filter(|c| c.has_role(role)).collect();
            if picked.is_empty() && !columns.is_empty() {
                s.hint(
                    pos(r),
                    &rpath,
                    format!("no column has the role `{word}`, so master key `{id}` guards nothing through it"),
                    "give the columns to protect this role, or remove it here",
                );
            }
            for c in picked {
                chosen.push((c.name.clone(), id.to_string(), pos(r)));
            }
        }
    }
    if let Some(v) = m.get("columns") {
        let cpath = m.child("columns");
        let names: Vec<&str> = columns.iter().map(|c| c.name.as_str()).collect();
        for c in sequence(s, v, &cpath).unwrap_or_default() {
            let Some(word) = text(s, c, &cpath) else {
                continue;
            };
            if !columns.is_empty() && !names.contains(&word.as_str()) {
                s.hint(
                    pos(c),
                    &cpath,
                    format!("no column is called `{word}`"),
                    choices_hint(&word, &names),
                );
                continue;
            }
            chosen.push((word, id.to_string(), pos(c)));
        }
    }
}
