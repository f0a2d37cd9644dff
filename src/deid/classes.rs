//! Pass 1 of k-anonymity over record batches: [`ClassCounter`] counts the quasi-identifier
//! combinations of any batch of the input into a [`Combos`] (the mergeable state), so chunks
//! counted in other threads or processes merge ([`Combos::merge`]) before one
//! generalisation search ([`ClassCounter::search`]) on the merged counts. `deidentify` counts
//! its input through it.

use arrow_array::RecordBatch;
use arrow_schema::SchemaRef;

use super::kanon::{self, Anonymity, Combos, Qi, Unreachable};
use super::plan::{consent_mask, map_raw, setup, DeidError};
use crate::io::read::texts;
use crate::schema::{ColumnType, Schema};

/// Counts the quasi-identifier classes of batches, finding columns by name: every
/// consenting row (all rows without a consent column), with its sensitive value when the
/// schema asks for l-diversity.
#[derive(Debug, Clone)]
pub struct ClassCounter {
    qis: Vec<Qi>,
    columns: Vec<(String, ColumnType)>,
    consent: Option<String>,
    sensitive: Option<String>,
    k: Option<u64>,
    l: Option<(String, u64)>,
    max_suppression: f64,
}

impl ClassCounter {
    /// The counter of `schema`'s quasi-identifiers kept in the output of an input with the
    /// columns `input_columns` (as `deidentify` plans them).
    pub fn new(schema: &Schema, input_columns: &SchemaRef) -> ClassCounter {
        let st = setup(schema, input_columns);
        let name = |i: usize| input_columns.field(i).name().clone();
        ClassCounter {
            columns: st.qi_cols.iter().map(|(i, ty)| (name(*i), *ty)).collect(),
            qis: st.qis,
            consent: st.consent.map(name),
            sensitive: st.sensitive.map(name),
            k: schema.privacy.k_anonymity,
            l: schema.privacy.l_diversity.clone(),
            max_suppression: schema.privacy.max_suppression,
        }
    }

    /// The quasi-identifiers counted (none: nothing to generalise).
    pub fn quasi_identifiers(&self) -> &[Qi] {
        &self.qis
    }

    /// The columns a batch must hold for [`ClassCounter::add`].
    pub fn needed_columns(&self) -> Vec<String> {
        let mut v: Vec<String> = self.columns.iter().map(|c| c.0.clone()).collect();
        v.extend(self.consent.iter().cloned());
        v.extend(self.sensitive.iter().cloned());
        v
    }

    /// Counts the consenting rows of `batch` into `combos`.
    pub fn add(&self, combos: &mut Combos, batch: &RecordBatch) -> Result<(), DeidError> {
        if self.qis.is_empty() {
            return Ok(());
        }
        let column = |name: &str| {
            batch.column_by_name(name).ok_or_else(|| {
                DeidError::Diagnostics(vec![format!(
                    "a batch has no column `{name}`, which the k-anonymity counts need"
                )])
            })
        };
        let keep = match &self.consent {
            Some(c) => {
                let at = batch.schema().index_of(c).map_err(|_| {
                    DeidError::Diagnostics(vec![format!("a batch has no consent column `{c}`")])
                })?;
                consent_mask(batch, Some(at))
            }
            None => consent_mask(batch, None),
        };
        let levels: Vec<Vec<crate::schema::GenLevel>> =
            self.qis.iter().map(|q| q.levels.clone()).collect();
        combos.set_levels(&levels);
        let mut ids: Vec<Vec<Option<u32>>> = Vec::with_capacity(self.columns.len());
        for (q, (name, ty)) in self.columns.iter().enumerate() {
            ids.push(map_raw(column(name)?, *ty, &mut |v| {
                Some(combos.intern(q, v))
            }));
        }
        let sens = match &self.sensitive {
            Some(s) => Some(texts(column(s)?)),
            None => None,
        };
        let mut row: Vec<u32> = Vec::with_capacity(ids.len());
        for r in 0..batch.num_rows() {
            if keep[r] {
                row.clear();
                row.extend(ids.iter().map(|c| c[r].unwrap_or(0)));
                combos.add_ids(&row, sens.as_ref().and_then(|s| s[r].as_deref()));
            }
        }
        Ok(())
    }

    /// The generalisation search on (merged) counts, with the schema's k, l and
    /// `max_suppression`; `None` without quasi-identifiers.
    pub fn search(&self, combos: &Combos) -> Option<Result<Anonymity, Unreachable>> {
        (!self.qis.is_empty()).then(|| {
            kanon::search(
                &self.qis,
                combos,
                self.k,
                self.l.clone(),
                self.max_suppression,
            )
        })
    }
}
