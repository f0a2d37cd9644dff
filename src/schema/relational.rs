//! Linked tables: a [`Database`] is several tables in one schema, each with a primary key and
//! foreign keys to other tables' primary keys. One foreign key of a child table *drives* it:
//! each parent row has a drawn number of children ([`Children`]); the other keys pick a parent
//! row. This module owns the typed model and the checks that need every table at once.

use super::{GenSpec, Pos, Schema, Source};

/// A decoded, validated schema of linked tables.
#[derive(Debug, Clone, PartialEq)]
pub struct Database {
    /// Format version.
    pub version: i64,
    /// Dataset name.
    pub name: String,
    /// Free text.
    pub description: Option<String>,
    /// Default seed (overridden by `--seed`).
    pub seed: Option<u64>,
    /// Tables in file order.
    pub tables: Vec<Table>,
    /// Where the schema came from.
    pub source: Source,
}

/// One table of a [`Database`].
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    /// The table as a one-table schema: its name, columns (foreign-key columns and the
    /// ancestors' columns it reads carry [`super::Generator::External`]), `rows` for a root
    /// table (0 for a child, whose rows come from its parents), policies.
    pub schema: Schema,
    /// The primary-key column.
    pub primary_key: String,
    /// Foreign keys in column order.
    pub foreign_keys: Vec<ForeignKey>,
    /// Columns of other tables this table's generators read, as `table.column`, in the order
    /// they are made available (ancestors' columns through the driving keys, then the
    /// columns of tables a non-driving key picks rows of).
    pub context: Vec<String>,
    /// `reference: true`: public lookup data (districts, products) that `fit` stores whole
    /// and `sample` copies, instead of modelling it (its identifier columns still go).
    pub reference: bool,
    /// Position of the table's entry.
    pub pos: Pos,
}

/// A foreign key: a column of the child holding the primary key of a row of `table`.
#[derive(Debug, Clone, PartialEq)]
pub struct ForeignKey {
    /// The child's column.
    pub column: String,
    /// The referenced (parent) table.
    pub table: String,
    /// How many children each parent row has, for the driving key.
    pub children: Option<Children>,
    /// Whether a non-driving key takes distinct values among the children of one driving
    /// parent (a bridge table's pairs are unique).
    pub unique: bool,
    /// Share of children with no parent (an optional key).
    pub null_share: f64,
    /// Position of the `references` key.
    pub pos: Pos,
}

/// The number of children of each parent row: a count generator (a distribution with bounds,
/// or shares over whole numbers) whose cases read the parent's columns.
#[derive(Debug, Clone, PartialEq)]
pub struct Children {
    /// The generator; its `when` conditions name the parent's columns.
    pub generator: GenSpec,
    /// Fewest children.
    pub min: u64,
    /// Most children.
    pub max: u64,
    /// Position of the `children` key.
    pub pos: Pos,
}

impl Database {
    /// The table called `name`.
    pub fn table(&self, name: &str) -> Option<&Table> {
        self.tables.iter().find(|t| t.schema.name == name)
    }

    /// Index of the table called `name`.
    pub fn table_index(&self, name: &str) -> Option<usize> {
        self.tables.iter().position(|t| t.schema.name == name)
    }

    /// Whether a foreign key of some table references the table called `name`.
    pub fn is_referenced(&self, name: &str) -> bool {
        self.tables
            .iter()
            .any(|t| t.foreign_keys.iter().any(|fk| fk.table == name))
    }

    /// Whether `t`'s primary key is a row number `inspect` added (a generated key no table
    /// references), which the data need not hold.
    pub fn added_key(&self, t: &Table) -> bool {
        t.schema
            .column(&t.primary_key)
            .is_some_and(|c| c.generator.is_some())
            && !self.is_referenced(t.name())
    }

    /// Tables in generation order: every table after the tables it references (the driving
    /// keys form a forest; non-driving keys point at root tables or earlier ones).
    pub fn order(&self) -> Vec<usize> {
        let n = self.tables.len();
        let mut done = vec![false; n];
        let mut out = Vec::with_capacity(n);
        while out.len() < n {
            let before = out.len();
            for (i, t) in self.tables.iter().enumerate() {
                if done[i] {
                    continue;
                }
                let ready = t.foreign_keys.iter().all(|fk| {
                    fk.table == t.schema.name || self.table_index(&fk.table).is_none_or(|j| done[j])
                });
                if ready {
                    done[i] = true;
                    out.push(i);
                }
            }
            if out.len() == before {
                // The decoder refuses cycles; keep the rest in file order.
                out.extend((0..n).filter(|&i| !done[i]));
                break;
            }
        }
        out
    }
}

impl Table {
    /// The name of the table.
    pub fn name(&self) -> &str {
        &self.schema.name
    }

    /// The driving foreign key, for a child table.
    pub fn driving(&self) -> Option<&ForeignKey> {
        self.foreign_keys.iter().find(|fk| fk.children.is_some())
    }

    /// Whether the table is a root (its rows are declared, not drawn per parent).
    pub fn is_root(&self) -> bool {
        self.driving().is_none()
    }
}

/// A foreign key by table index: `(child table, column)` referencing `(parent table, its
/// primary key)`.
pub(crate) type KeyLink = ((usize, String), (usize, String));

/// The foreign keys of `tables` by index (a table still missing, as while decoding, has none
/// and is referenced by none).
pub(crate) fn key_links(tables: &[Option<&Table>]) -> Vec<KeyLink> {
    let index = |name: &str| {
        tables
            .iter()
            .position(|t| t.is_some_and(|t| t.name() == name))
    };
    let mut out = Vec::new();
    for (ti, t) in tables.iter().enumerate() {
        let Some(t) = t else { continue };
        for fk in &t.foreign_keys {
            if let Some(pi) = index(&fk.table) {
                if let Some(p) = tables[pi] {
                    out.push(((ti, fk.column.clone()), (pi, p.primary_key.clone())));
                }
            }
        }
    }
    out
}

/// `columns` (`(table, column)`) with every foreign key referencing a primary key among them
/// added after it: a key and its references hold the same values, so they are treated alike.
pub(crate) fn with_references(
    columns: Vec<(usize, String)>,
    links: &[KeyLink],
) -> Vec<(usize, String)> {
    let mut out = columns.clone();
    for c in &columns {
        for (from, _) in links.iter().filter(|(_, to)| to == c) {
            if !out.contains(from) {
                out.push(from.clone());
            }
        }
    }
    out
}

impl Database {
    /// The foreign keys by table index (see [`key_links`]).
    pub(crate) fn key_links(&self) -> Vec<KeyLink> {
        let tables: Vec<Option<&Table>> = self.tables.iter().map(Some).collect();
        key_links(&tables)
    }
}
