//! The counts and bins of `fit` as a mergeable state: [`FitSummary`] holds, per modelled
//! column, exact counts — categories as level -> rows (first-seen order) and numbers as
//! distinct value -> rows — and nulls, from which [`FitSummary::variables`] chooses the same
//! levels and bins as [`super::fit`] does on the whole table. Memory: one entry per distinct
//! value or level (about 40 bytes for a number), whatever the row count.
//!
//! The summary merges per chunk ([`FitSummary::merge`], matching levels by text; associative
//! and commutative up to the order of levels met, which the chosen variables do not depend
//! on) and serialises with serde (numbers as their bits). It is the first of the fit's steps
//! (see [`super::FitPlan`]): its values also fix each row's code and its mid-rank within its
//! bin, so any chunk is coded alike.

use std::collections::BTreeMap;

use arrow_array::RecordBatch;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::discretise::{categorical_variable, run_bins, schema_bounds, Encoder, Run};
use super::fit::{modelled_columns, FitOptions};
use super::private::private_bins;
use super::{ModelError, VarKind, Variable};
use crate::exact::{from_order_key, order_key};
use crate::io::table::{add_level_counts, level_counts, Table, Values};
use crate::schema::{ColumnType, Schema};

/// The counts of one modelled column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum ColumnCounts {
    /// Numbers: distinct value (as its order key) -> rows.
    Num {
        #[serde(with = "crate::exact::ordered_counts")]
        values: BTreeMap<u64, u64>,
        nulls: u64,
    },
    /// Categories: levels in first-seen order, their rows.
    Cat {
        levels: Vec<String>,
        rows: Vec<u64>,
        nulls: u64,
    },
}

/// Per modelled column of a schema, the exact counts `fit` chooses levels and bins from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FitSummary {
    names: Vec<String>,
    columns: Vec<ColumnCounts>,
    rows: u64,
}

impl FitSummary {
    /// An empty summary of `schema`'s modelled columns (identifiers, weights and consent
    /// flags are never modelled).
    pub fn new(schema: &Schema) -> FitSummary {
        let modelled = modelled_columns(schema);
        let columns = modelled
            .iter()
            .map(|&i| {
                let c = &schema.columns[i];
                if crate::io::table::loads_as_number(c.ty) && !crate::io::table::integer_label(c) {
                    ColumnCounts::Num {
                        values: BTreeMap::new(),
                        nulls: 0,
                    }
                } else {
                    ColumnCounts::Cat {
                        levels: Vec::new(),
                        rows: Vec::new(),
                        nulls: 0,
                    }
                }
            })
            .collect();
        FitSummary {
            names: modelled
                .iter()
                .map(|&i| schema.columns[i].name.clone())
                .collect(),
            columns,
            rows: 0,
        }
    }

    /// The modelled columns, in schema order: the columns a batch must hold.
    pub fn columns(&self) -> &[String] {
        &self.names
    }

    /// Rows counted.
    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// Counts the rows of `batch` (typed as the schema says, as an input batch).
    pub fn add(&mut self, schema: &Schema, batch: &RecordBatch) -> Result<(), ModelError> {
        let t = super::steps::load_batch(schema, &self.names, batch)?;
        self.add_table(&t)
    }

    /// Counts the rows of a loaded table holding the modelled columns (the columns in
    /// parallel).
    pub fn add_table(&mut self, t: &Table) -> Result<(), ModelError> {
        self.names
            .par_iter()
            .zip(self.columns.par_iter_mut())
            .map(|(name, c)| {
                let col = t.column(name).ok_or_else(|| {
                    ModelError::Invalid(format!("column `{name}` is not in the table"))
                })?;
                match (c, &col.values) {
                    (ColumnCounts::Num { values, nulls }, Values::Num(x)) => {
                        // Sorted keys, counted in runs: far cheaper than a map insert per row.
                        let mut keys: Vec<u64> = Vec::with_capacity(x.len());
                        for v in x {
                            if v.is_nan() {
                                *nulls += 1;
                            } else {
                                keys.push(order_key(*v));
                            }
                        }
                        keys.sort_unstable();
                        for run in keys.chunk_by(|a, b| a == b) {
                            *values.entry(run[0]).or_default() += run.len() as u64;
                        }
                        Ok(())
                    }
                    (
                        ColumnCounts::Cat {
                            levels,
                            rows,
                            nulls,
                        },
                        Values::Cat { codes, levels: own },
                    ) => {
                        let (per, n) = level_counts(codes, own.len());
                        *nulls += n;
                        add_level_counts(levels, rows, own, &per);
                        Ok(())
                    }
                    _ => Err(ModelError::Invalid(format!(
                        "column `{name}` is loaded with another type than the summary's"
                    ))),
                }
            })
            // The first column's error in schema order, whatever thread finished first.
            .collect::<Vec<Result<(), ModelError>>>()
            .into_iter()
            .collect::<Result<Vec<()>, ModelError>>()?;
        self.rows += t.rows as u64;
        Ok(())
    }

    /// Adds the counts of `other` (a summary of the same schema's columns).
    pub fn merge(&mut self, other: FitSummary) -> Result<(), ModelError> {
        if self.names != other.names {
            return Err(ModelError::Invalid(format!(
                "cannot merge fit summaries of the columns {:?} and {:?}",
                self.names, other.names
            )));
        }
        for ((name, c), o) in self.names.iter().zip(&mut self.columns).zip(other.columns) {
            match (c, o) {
                (ColumnCounts::Num { values, nulls }, ColumnCounts::Num { values: v, nulls: n }) => {
                    for (k, c) in v {
                        *values.entry(k).or_default() += c;
                    }
                    *nulls += n;
                }
                (
                    ColumnCounts::Cat { levels, rows, nulls },
                    ColumnCounts::Cat {
                        levels: l,
                        rows: r,
                        nulls: n,
                    },
                ) => {
                    add_level_counts(levels, rows, &l, &r);
                    *nulls += n;
                }
                _ => {
                    return Err(ModelError::Invalid(format!(
                        "cannot merge fit summaries: `{name}` is numeric in one and categorical in the other"
                    )))
                }
            }
        }
        self.rows += other.rows;
        Ok(())
    }

    /// The modelled columns as `fit` discretises them with `opts` (levels kept, bins and
    /// their exact values, whether null is a code): the model's `variables`.
    pub fn variables(
        &self,
        schema: &Schema,
        opts: &FitOptions,
    ) -> Result<Vec<Variable>, ModelError> {
        Ok(self
            .encoders(schema, opts)?
            .into_iter()
            .map(|(v, _)| v)
            .collect())
    }

    /// Each categorical column's levels (first-seen order) and their rows, for the
    /// de-identification safety net.
    pub(super) fn level_counts(&self) -> Vec<(&str, &[String], &[u64])> {
        self.names
            .iter()
            .zip(&self.columns)
            .filter_map(|(n, c)| match c {
                ColumnCounts::Cat { levels, rows, .. } => {
                    Some((n.as_str(), levels.as_slice(), rows.as_slice()))
                }
                ColumnCounts::Num { .. } => None,
            })
            .collect()
    }

    /// The variables (see [`FitSummary::variables`]) with the encoders that code chunks of
    /// the counted table; every column's problem at once, in schema order.
    pub(super) fn encoders(
        &self,
        schema: &Schema,
        opts: &FitOptions,
    ) -> Result<Vec<(Variable, Encoder)>, ModelError> {
        // Under differential privacy the numeric columns share the discretisation's budget.
        let numeric = self
            .columns
            .iter()
            .filter(|c| matches!(c, ColumnCounts::Num { .. }))
            .count();
        let chosen: Vec<Result<(Variable, Encoder), ModelError>> = self
            .names
            .par_iter()
            .zip(&self.columns)
            .map(|(name, counts)| {
            let c = schema.column(name).ok_or_else(|| {
                ModelError::Invalid(format!("column `{name}` is not in the schema"))
            })?;
            match counts {
                ColumnCounts::Cat {
                    levels,
                    rows,
                    nulls,
                } => categorical_variable(c, levels, rows, *nulls, opts).map(|(v, map)| {
                    let e = Encoder::categorical(&v, levels, &map);
                    (v, e)
                }),
                ColumnCounts::Num { values, nulls } => {
                    let integer = c.ty != ColumnType::Float;
                    let edges: Vec<f64> =
                        c.bins.as_ref().map(|b| b.edges.clone()).unwrap_or_default();
                    let runs: Vec<Run> = values
                        .iter()
                        .map(|(k, n)| Run {
                            value: from_order_key(*k),
                            rows: *n,
                        })
                        .collect();
                    let binned = match opts.epsilon {
                        Some(_) => match schema_bounds(c) {
                            (Some(lo), Some(hi)) => {
                                Ok((
                                    private_bins(name, &runs, integer, &edges, (lo, hi), numeric, opts),
                                    c.nullable,
                                ))
                            }
                            _ => Err(ModelError::Invalid(format!(
                                "column `{}` (schema line {}): with --epsilon its range must come from the schema, not the data\n    hint: declare public bounds `min:` and `max:`, taken from public knowledge (a code book, the law), not from the private data, as schemas/adult_dp.yaml does (values outside are clamped); bounds read off the data would leak it. Or drop --epsilon",
                                c.name, c.pos.line
                            ))),
                        },
                        None => Ok((
                            run_bins(&runs, integer, &edges, opts, opts.tails.contains(name)),
                            *nulls > 0,
                        )),
                    };
                    binned.map(|((bins, codes), null)| {
                        let e = Encoder::numeric(&runs, &bins, &codes);
                        let v = Variable {
                            name: c.name.clone(),
                            kind: VarKind::Numeric {
                                integer,
                                bins,
                                // Under differential privacy nothing more is read off the data.
                                decimals: if integer || opts.epsilon.is_some() {
                                    None
                                } else {
                                    decimals(&runs)
                                },
                            },
                            null,
                        };
                        (v, e)
                    })
                }
            }
            })
            .collect();
        // Every column's problem at once, in schema order.
        let mut out = Vec::with_capacity(chosen.len());
        let mut problems = Vec::new();
        for var in chosen {
            match var {
                Ok(v) => out.push(v),
                Err(e) => problems.push(e.to_string()),
            }
        }
        if !problems.is_empty() {
            return Err(ModelError::Invalid(problems.join("\n")));
        }
        Ok(out)
    }
}

/// The decimal places every value of `runs` needs (at most 6), or `None` when one needs more.
fn decimals(runs: &[Run]) -> Option<u32> {
    let places = |v: f64| {
        (0..=6u32).find(|&d| {
            let x = v * 10f64.powi(d as i32);
            (x - x.round()).abs() <= 1e-9 * x.abs().max(1.0)
        })
    };
    runs.iter()
        .filter(|r| r.value.is_finite())
        .try_fold(0u32, |m, r| places(r.value).map(|d| m.max(d)))
}

#[cfg(test)]
mod decimals_tests {
    use super::*;

    #[test]
    fn decimals_are_those_the_most_precise_value_needs() {
        let runs =
            |v: &[f64]| -> Vec<Run> { v.iter().map(|&value| Run { value, rows: 1 }).collect() };
        assert_eq!(decimals(&runs(&[14.37, 5.99, 3.0])), Some(2));
        assert_eq!(decimals(&runs(&[1.0, 250.0])), Some(0));
        assert_eq!(decimals(&runs(&[0.1, 2.5])), Some(1));
        assert_eq!(decimals(&runs(&[std::f64::consts::PI])), None);
    }
}
