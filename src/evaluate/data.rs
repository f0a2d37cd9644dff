//! Loading the real, synthetic and holdout tables onto one footing: the same evaluated columns,
//! and one dictionary per categorical column, so a code means the same level in every table.

use crate::hash::FastMap;
use crate::io::read::Input;
use crate::io::table::{Table, TableColumn, Values, NULL};
use crate::schema::{Column, Role, Schema};

use super::{EvaluateError, Skipped};

/// One evaluated column, its values in every table.
#[derive(Debug, Clone)]
pub(crate) struct EvalColumn {
    /// The schema's declaration.
    pub decl: Column,
    /// The values.
    pub data: Data,
}

/// The values of one column in the real, synthetic and (optional) holdout table.
#[derive(Debug, Clone)]
pub(crate) enum Data {
    /// Numbers, NaN for null.
    Num {
        /// Real table.
        real: Vec<f64>,
        /// Synthetic table.
        syn: Vec<f64>,
        /// Holdout table.
        hold: Option<Vec<f64>>,
    },
    /// Codes into `levels`, [`NULL`] for null.
    Cat {
        /// Real levels first (in first-seen order), then levels only the others have.
        levels: Vec<String>,
        /// Real table.
        real: Vec<u32>,
        /// Synthetic table.
        syn: Vec<u32>,
        /// Holdout table.
        hold: Option<Vec<u32>>,
    },
}

/// The three tables, aligned.
#[derive(Debug, Clone)]
pub(crate) struct Aligned {
    pub real_rows: usize,
    pub syn_rows: usize,
    pub hold_rows: Option<usize>,
    pub columns: Vec<EvalColumn>,
}

impl Aligned {
    /// The evaluated column called `name`.
    pub fn column(&self, name: &str) -> Option<&EvalColumn> {
        self.columns.iter().find(|c| c.decl.name == name)
    }
}

/// The column names of a file, read from its header (CSV) or metadata (Parquet) only, and
/// the reading's note on a workbook sheet it chose.
pub(crate) fn header(
    input: &Input,
    schema: &Schema,
) -> Result<(Vec<String>, Option<String>), EvaluateError> {
    Ok(crate::io::read::column_names_noted(input, schema)?)
}

/// The columns to evaluate and those skipped, with the reason.
pub(crate) fn select(
    schema: &Schema,
    real: &[String],
    syn: &[String],
) -> (Vec<String>, Vec<Skipped>) {
    let mut keep = Vec::new();
    let mut skipped = Vec::new();
    for c in &schema.columns {
        let reason = if matches!(c.role, Role::Identifier | Role::Weight) {
            Some(format!(
                "role {}: not part of the data's distribution",
                c.role.name()
            ))
        } else {
            match (real.contains(&c.name), syn.contains(&c.name)) {
                (true, true) => None,
                (false, true) => Some("not in the real table".to_string()),
                (true, false) => Some("not in the synthetic table".to_string()),
                (false, false) => Some("in neither table".to_string()),
            }
        };
        match reason {
            Some(reason) => skipped.push(Skipped {
                column: c.name.clone(),
                reason,
            }),
            None => keep.push(c.name.clone()),
        }
    }
    (keep, skipped)
}

/// Loads `names` from `path` through a schema holding only those columns, since the reader
/// wants every declared column to exist in the file.
pub(crate) fn load(
    input: &Input,
    schema: &Schema,
    names: &[String],
) -> Result<Table, EvaluateError> {
    let mut sub = schema.clone();
    sub.columns.retain(|c| names.contains(&c.name));
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    Ok(Table::load(input, &sub, &refs)?)
}

/// Puts the tables' columns side by side, re-coding categories by level text.
pub(crate) fn align(
    schema: &Schema,
    names: &[String],
    real: Table,
    syn: Table,
    hold: Option<Table>,
) -> Aligned {
    let (real_rows, syn_rows) = (real.rows, syn.rows);
    let hold_rows = hold.as_ref().map(|h| h.rows);
    let mut hold_cols = hold.map(|h| h.columns.into_iter());
    let columns = names
        .iter()
        .zip(real.columns)
        .zip(syn.columns)
        .filter_map(|((name, r), s)| {
            let h = hold_cols.as_mut().and_then(|it| it.next());
            let decl = schema.column(name)?.clone();
            let data = match (r.values, s.values) {
                (Values::Num(real), Values::Num(syn)) => Data::Num {
                    real,
                    syn,
                    hold: h.and_then(|h| match h.values {
                        Values::Num(v) => Some(v),
                        Values::Cat { .. } => None,
                    }),
                },
                (
                    Values::Cat {
                        codes: rc,
                        levels: rl,
                    },
                    Values::Cat {
                        codes: sc,
                        levels: sl,
                    },
                ) => {
                    let mut levels = rl;
                    let mut index: FastMap<String, u32> = levels
                        .iter()
                        .enumerate()
                        .map(|(i, l)| (l.clone(), i as u32))
                        .collect();
                    let syn = recode(sc, &sl, &mut levels, &mut index);
                    let hold = h.and_then(|h| match h.values {
                        Values::Cat { codes, levels: hl } => {
                            Some(recode(codes, &hl, &mut levels, &mut index))
                        }
                        Values::Num(_) => None,
                    });
                    Data::Cat {
                        levels,
                        real: rc,
                        syn,
                        hold,
                    }
                }
                // The same declared type loads the same way from every file.
                _ => return None,
            };
            Some(EvalColumn { decl, data })
        })
        .collect();
    Aligned {
        real_rows,
        syn_rows,
        hold_rows,
        columns,
    }
}

/// Replaces the numeric column `name` (with schema bins) by its bands: levels are the band
/// labels, a value outside the bands or null is null.
pub(crate) fn band_label(t: &mut Aligned, name: &str) {
    let Some(c) = t.columns.iter_mut().find(|c| c.decl.name == name) else {
        return;
    };
    let Some(bins) = c.decl.bins.clone() else {
        return;
    };
    let Data::Num { real, syn, hold } = &c.data else {
        return;
    };
    let code = |v: &[f64]| -> Vec<u32> {
        v.iter()
            .map(|x| bins.band(*x).map_or(NULL, |b| b as u32))
            .collect()
    };
    c.data = Data::Cat {
        levels: bins.labels.clone(),
        real: code(real),
        syn: code(syn),
        hold: hold.as_deref().map(code),
    };
}

/// Maps codes over `own` levels to codes over the shared `levels`, adding levels not seen yet.
fn recode(
    codes: Vec<u32>,
    own: &[String],
    levels: &mut Vec<String>,
    index: &mut FastMap<String, u32>,
) -> Vec<u32> {
    let map: Vec<u32> = own
        .iter()
        .map(|l| {
            *index.entry(l.clone()).or_insert_with(|| {
                levels.push(l.clone());
                (levels.len() - 1) as u32
            })
        })
        .collect();
    codes
        .into_iter()
        .map(|c| if c == NULL { NULL } else { map[c as usize] })
        .collect()
}

/// `table` restricted to `names` (in that order), plus `extra` columns.
pub(super) fn pick(table: &Table, names: &[String], extra: Vec<TableColumn>) -> Table {
    let mut columns: Vec<TableColumn> = names
        .iter()
        .filter_map(|n| table.column(n).cloned())
        .collect();
    columns.extend(extra);
    Table {
        rows: table.rows,
        columns,
    }
}
