//! The access policy of Parquet outputs (`encryption:`), resolved to column names, and its
//! command-line form (`--encrypt`, `--footer-key`, `--plaintext-footer`). Decoding the YAML
//! block is in `decode/encryption.rs`; applying the policy is `io::crypt`'s.

use super::{Role, Schema};

/// The access policy (`encryption:`): which columns of every Parquet output are encrypted under
/// which master key, and how the footer is protected. Roles are resolved to column names when
/// the schema is decoded; a column a command does not write is skipped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Encryption {
    /// The master key ID guarding the footer (the file's metadata: schema, row counts, and the
    /// statistics of the columns not encrypted).
    pub footer_key: String,
    /// Plaintext (signed) footer: readers without the footer key still read the unencrypted
    /// columns. Default: encrypted footer.
    pub plaintext_footer: bool,
    /// `(column, master key ID)` in schema column order.
    pub columns: Vec<(String, String)>,
}

impl Encryption {
    /// The master key ID a column is encrypted under, if it is.
    pub fn key_of(&self, column: &str) -> Option<&str> {
        self.columns
            .iter()
            .find(|(c, _)| c == column)
            .map(|(_, k)| k.as_str())
    }

    /// Whether `id` may name a master key: letters, digits and `_` (so that
    /// `FAIRSYNTH_KEY_<ID>` is an environment variable any shell can set), at most 64.
    pub fn valid_key_id(id: &str) -> bool {
        !id.is_empty()
            && id.len() <= 64
            && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
    }

    /// The policy given on the command line (`--encrypt KEY=SELECTOR,...`, `--footer-key`,
    /// `--plaintext-footer`) over the schema's `encryption:` section. A selector is a column
    /// name or `role:NAME`. Any `--encrypt` replaces the schema's column keys.
    pub fn with_flags(
        schema: &Schema,
        encrypt: &[String],
        footer_key: Option<&str>,
        plaintext_footer: bool,
    ) -> Result<Option<Encryption>, String> {
        let base = schema.encryption.clone();
        if encrypt.is_empty() && footer_key.is_none() && !plaintext_footer {
            return Ok(base);
        }
        let mut columns = match (&base, encrypt.is_empty()) {
            (Some(b), true) => b.columns.clone(),
            _ => Vec::new(),
        };
        for spec in encrypt {
            let Some((key, selectors)) = spec.split_once('=') else {
                return Err(format!("--encrypt `{spec}`: expected KEY=COLUMN[,COLUMN...], e.g. `--encrypt auditor=role:protected,income`"));
            };
            let key = key.trim();
            if !Encryption::valid_key_id(key) {
                return Err(format!("--encrypt `{spec}`: `{key}` is not a master key ID\n    hint: key IDs are letters, digits and `_` (up to 64), so that FAIRSYNTH_KEY_<ID> can hold the key"));
            }
            for sel in selectors
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
            {
                let picked: Vec<&str> = match sel.strip_prefix("role:") {
                    Some(role) => {
                        let Some(r) = Role::from_name(role) else {
                            return Err(format!("--encrypt `{spec}`: unknown role `{role}`\n    hint: expected one of: {}", Role::NAMES.join(", ")));
                        };
                        schema
                            .columns
                            .iter()
                            .filter(|c| c.has_role(r))
                            .map(|c| c.name.as_str())
                            .collect()
                    }
                    None => match schema.column(sel) {
                        Some(c) => vec![c.name.as_str()],
                        None => return Err(format!("--encrypt `{spec}`: the schema has no column `{sel}`\n    hint: name a declared column, or a role as `role:protected`")),
                    },
                };
                if picked.is_empty() {
                    return Err(format!(
                        "--encrypt `{spec}`: no column has the role in `{sel}`"
                    ));
                }
                for c in picked {
                    match columns.iter().find(|(n, _)| n == c) {
                        Some((_, k)) if k != key => {
                            return Err(format!("--encrypt: column `{c}` is selected for both master key `{k}` and `{key}`\n    hint: a column is encrypted under one key; select it once"));
                        }
                        Some(_) => {}
                        None => columns.push((c.to_string(), key.to_string())),
                    }
                }
            }
        }
        // Schema column order, so that the policy does not depend on the flags' order.
        columns.sort_by_key(|(c, _)| schema.column_index(c).unwrap_or(usize::MAX));
        let footer_key = match (footer_key, &base) {
            (Some(k), _) => k.trim().to_string(),
            (None, Some(b)) => b.footer_key.clone(),
            (None, None) => return Err("--encrypt needs the master key ID of the footer\n    hint: add --footer-key KEY, or `encryption: {footer_key: KEY}` to the schema".into()),
        };
        if !Encryption::valid_key_id(&footer_key) {
            return Err(format!("--footer-key `{footer_key}` is not a master key ID\n    hint: key IDs are letters, digits and `_` (up to 64)"));
        }
        Ok(Some(Encryption {
            footer_key,
            plaintext_footer: plaintext_footer || base.as_ref().is_some_and(|b| b.plaintext_footer),
            columns,
        }))
    }
}
