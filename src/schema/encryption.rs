//! The access policy of Parquet outputs (`encryption:`), resolved to column names, and its
//! command-line form (`--encrypt`, `--footer-key`, `--plaintext-footer`). Decoding the YAML
//! block is in `decode/encryption.rs`; applying the policy is `io::crypt`'s.

use super::relational::{with_references, KeyLink};
use super::{Database, Role, Schema};

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
        let flags = Flags {
            encrypt,
            footer_key,
            plaintext_footer,
        };
        Ok(flags.apply(&[schema], None)?.pop().flatten())
    }

    /// As [`Self::with_flags`] for every table of linked tables, over each table's policy
    /// (`schema.encryption`): a selector names a column in every table that has it, a role
    /// every table's columns with it (and the foreign keys referencing a primary key it
    /// selects), and `table.column` one table's column. Returns each
    /// table's policy, in the tables' order.
    pub fn with_flags_linked(
        db: &Database,
        encrypt: &[String],
        footer_key: Option<&str>,
        plaintext_footer: bool,
    ) -> Result<Vec<Option<Encryption>>, String> {
        let tables: Vec<&Schema> = db.tables.iter().map(|t| &t.schema).collect();
        let flags = Flags {
            encrypt,
            footer_key,
            plaintext_footer,
        };
        flags.apply(&tables, Some(&db.key_links()))
    }
}

/// The policy flags of a command.
struct Flags<'a> {
    encrypt: &'a [String],
    footer_key: Option<&'a str>,
    plaintext_footer: bool,
}

impl Flags<'_> {
    /// Each table's policy under the flags; `links`, for linked tables: the foreign keys
    /// between them (table names then qualify columns, errors name the table, and a role
    /// selecting a primary key selects the keys referencing it).
    fn apply(
        &self,
        tables: &[&Schema],
        links: Option<&[KeyLink]>,
    ) -> Result<Vec<Option<Encryption>>, String> {
        let qualified = links.is_some();
        let bases: Vec<Option<Encryption>> = tables.iter().map(|t| t.encryption.clone()).collect();
        if self.encrypt.is_empty() && self.footer_key.is_none() && !self.plaintext_footer {
            return Ok(bases);
        }
        let mut columns: Vec<Vec<(String, String)>> = bases
            .iter()
            .map(|b| match (b, self.encrypt.is_empty()) {
                (Some(b), true) => b.columns.clone(),
                _ => Vec::new(),
            })
            .collect();
        for spec in self.encrypt {
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
                let picked = pick(spec, sel, tables, links)?;
                if picked.is_empty() {
                    return Err(format!(
                        "--encrypt `{spec}`: no column has the role in `{sel}`"
                    ));
                }
                for (t, c) in picked {
                    let c = c.as_str();
                    match columns[t].iter().find(|(n, _)| n == c) {
                        Some((_, k)) if k != key => {
                            let shown = if qualified {
                                format!("{}.{c}", tables[t].name)
                            } else {
                                c.to_string()
                            };
                            return Err(format!("--encrypt: column `{shown}` is selected for both master key `{k}` and `{key}`\n    hint: a column is encrypted under one key; select it once"));
                        }
                        Some(_) => {}
                        None => columns[t].push((c.to_string(), key.to_string())),
                    }
                }
            }
        }
        let mut out = Vec::with_capacity(tables.len());
        for ((schema, base), mut columns) in tables.iter().zip(bases).zip(columns) {
            // Schema column order, so that the policy does not depend on the flags' order.
            columns.sort_by_key(|(c, _)| schema.column_index(c).unwrap_or(usize::MAX));
            let footer_key = match (self.footer_key, &base) {
                (Some(k), _) => k.trim().to_string(),
                (None, Some(b)) => b.footer_key.clone(),
                (None, None) if qualified => return Err(format!("--encrypt needs the master key ID of the footer of the table `{}`\n    hint: add --footer-key KEY (every table), or `encryption: {{footer_key: KEY, ...}}` to the schema or to the table", schema.name)),
                (None, None) => return Err("--encrypt needs the master key ID of the footer\n    hint: add --footer-key KEY, or `encryption: {footer_key: KEY}` to the schema".into()),
            };
            if !Encryption::valid_key_id(&footer_key) {
                return Err(format!("--footer-key `{footer_key}` is not a master key ID\n    hint: key IDs are letters, digits and `_` (up to 64)"));
            }
            out.push(Some(Encryption {
                footer_key,
                plaintext_footer: self.plaintext_footer
                    || base.as_ref().is_some_and(|b| b.plaintext_footer),
                columns,
            }));
        }
        Ok(out)
    }
}

/// The `(table, column)`s one selector of `--encrypt spec` picks: `role:NAME` (possibly none;
/// with linked tables, a primary key picked brings the keys referencing it), a column name
/// (every table that has it), or, for linked tables (`links`), `table.column`.
fn pick(
    spec: &str,
    sel: &str,
    tables: &[&Schema],
    links: Option<&[KeyLink]>,
) -> Result<Vec<(usize, String)>, String> {
    if let Some(role) = sel.strip_prefix("role:") {
        let Some(r) = Role::from_name(role) else {
            return Err(format!(
                "--encrypt `{spec}`: unknown role `{role}`\n    hint: expected one of: {}",
                Role::NAMES.join(", ")
            ));
        };
        let picked: Vec<(usize, String)> = tables
            .iter()
            .enumerate()
            .flat_map(|(t, s)| {
                s.columns
                    .iter()
                    .filter(move |c| c.has_role(r))
                    .map(move |c| (t, c.name.clone()))
            })
            .collect();
        return Ok(with_references(picked, links.unwrap_or_default()));
    }
    let exact: Vec<(usize, String)> = tables
        .iter()
        .enumerate()
        .filter_map(|(t, s)| s.column(sel).map(|c| (t, c.name.clone())))
        .collect();
    if !exact.is_empty() {
        return Ok(exact);
    }
    if links.is_none() {
        return Err(format!("--encrypt `{spec}`: the schema has no column `{sel}`\n    hint: name a declared column, or a role as `role:protected`"));
    }
    let Some((table, column)) = sel.split_once('.') else {
        return Err(format!("--encrypt `{spec}`: no table has a column `{sel}`\n    hint: name a declared column (as `table.column` for one table's), or a role as `role:protected`"));
    };
    let Some(t) = tables.iter().position(|s| s.name == table) else {
        let names: Vec<&str> = tables.iter().map(|s| s.name.as_str()).collect();
        return Err(format!(
            "--encrypt `{spec}`: no table is called `{table}`\n    hint: the tables are: {}",
            names.join(", ")
        ));
    };
    match tables[t].column(column) {
        Some(c) => Ok(vec![(t, c.name.clone())]),
        None => Err(format!("--encrypt `{spec}`: the table `{table}` has no column `{column}`\n    hint: name a column the schema declares for `{table}`")),
    }
}
