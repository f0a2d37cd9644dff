//! Sampling a [`LinkedModel`]: root tables block by block, each child table's rows drawn for
//! its synthetic parents (as many as the parent's count column says, each given its parent's
//! columns and its position), then keys numbered, picked keys dealt from the referenced
//! table's counts, and dates rebuilt from their offsets. Every draw comes from a stream keyed
//! by (seed, table, column, block), so the output does not depend on the thread count.

use std::sync::Arc;

use arrow_array::{
    Array, ArrayRef, Date32Array, Float64Array, Int32Array, Int64Array, RecordBatch,
    RecordBatchOptions, StringArray, TimestampMicrosecondArray,
};
use arrow_schema::{Field, Schema as ArrowSchema};
use rand::RngExt;
use rayon::prelude::*;

use super::{parity, LinkedModel, TableModel, ELAPSED, LAG, POSITION, POSITIONS};
use crate::io::read::Input;
use crate::io::table::{Table, Values};
use crate::io::Batches;
use crate::model::{ModelError, SampleOptions, Sampler};
use crate::schema::{ColumnType, Database, Document, Schema};
use crate::synth::{stream, BlockSource, BLOCK_ROWS};

/// A linked model compiled for sampling.
#[derive(Debug)]
pub struct LinkedSampler {
    model: LinkedModel,
    db: Database,
    /// Per table (model order): its sampler and augmented schema, when it has a model.
    samplers: Vec<Option<(Sampler, Schema)>>,
    seed: u64,
    /// Draw child tables' labels independent of the person ([`super::ChildFairness`]).
    fairness: bool,
}

/// How to sample a linked model.
#[derive(Debug, Clone, Default)]
pub struct LinkedSampleOptions {
    /// Seed of every random stream.
    pub seed: u64,
    /// Draw each root table to its schema's `targets:` (shares of its people).
    pub schema_targets: bool,
    /// Apply each root table's `fairness:` (its label independent of its protected columns)
    /// and each child table's (its label independent of the person's protected columns).
    pub fairness: bool,
}

/// The sampled tables, in the schema's order.
#[derive(Debug, Clone)]
pub struct LinkedSample {
    /// Table name and rows.
    pub tables: Vec<(String, RecordBatch)>,
    /// Per child table whose label was drawn independent of the person: the parity report
    /// (in the schema's order).
    pub reports: Vec<(String, crate::model::SampleReport)>,
}

/// One table while sampling.
struct Drawn {
    /// The augmented columns drawn (own columns, offsets, counts), loaded.
    aug: Table,
    /// The output rows.
    out: RecordBatch,
    /// Rebuilt numeric values of the output's time columns, by name (for offsets).
    times: Vec<(String, Vec<f64>)>,
    /// Per non-driving key, the referenced table's row of each row.
    picked: Vec<(String, Vec<Option<usize>>)>,
    /// A child's parent row of each row (empty for a root).
    parent_row: Vec<usize>,
    /// The parity of a child label drawn independent of the person.
    report: Option<crate::model::SampleReport>,
}

fn err(table: &str, e: impl std::fmt::Display) -> ModelError {
    ModelError::Invalid(format!("table `{table}`: {e}"))
}

/// A 64-bit seed of its own for `table` from `seed`.
fn table_seed(seed: u64, table: &str) -> u64 {
    let h = crate::schema::sha256_hex(format!("{seed}\u{0}{table}").as_bytes());
    u64::from_str_radix(&h[..16], 16).unwrap_or(seed)
}

impl LinkedSampler {
    /// Compiles `model` for sampling with `opts`.
    pub fn new(
        model: &LinkedModel,
        opts: &LinkedSampleOptions,
    ) -> Result<LinkedSampler, ModelError> {
        let seed = opts.seed;
        let db = match Document::from_str_named(&model.schema.yaml, &model.schema.file)? {
            Document::Database(db) => db,
            Document::Table(_) => {
                return Err(ModelError::Invalid(
                    "the linked model's schema describes one table".into(),
                ))
            }
        };
        let mut samplers = Vec::with_capacity(model.tables.len());
        for t in &model.tables {
            if db.table(&t.name).is_none() {
                return Err(err(&t.name, "not in the model's schema"));
            }
            samplers.push(match &t.model {
                Some(m) => {
                    // Targets and fairness are those of a root table's people.
                    let schema = m.schema()?;
                    let root = t.parent.is_none();
                    let o = SampleOptions {
                        seed: table_seed(seed, &t.name),
                        targets: if root && opts.schema_targets {
                            schema.targets.clone()
                        } else {
                            Vec::new()
                        },
                        fairness: root && opts.fairness,
                    };
                    Some((Sampler::new(m, &o)?, schema))
                }
                None => None,
            });
        }
        Ok(LinkedSampler {
            model: model.clone(),
            db,
            samplers,
            seed,
            fairness: opts.fairness,
        })
    }

    /// What raking and parity did to each root table's people (tables with a head only); a
    /// child table's parity is in its [`LinkedSample::reports`].
    pub fn reports(&self) -> Vec<(String, crate::model::SampleReport)> {
        self.model
            .tables
            .iter()
            .zip(&self.samplers)
            .filter(|(t, _)| t.parent.is_none())
            .filter_map(|(t, s)| {
                let (s, _) = s.as_ref()?;
                let r = s.report();
                (!r.targets.is_empty() || r.parity.is_some()).then(|| (t.name.clone(), r.clone()))
            })
            .collect()
    }

    /// Samples every table; root tables get their fitted rows times `scale`.
    pub fn sample(&self, scale: f64) -> Result<LinkedSample, ModelError> {
        if !(scale.is_finite() && scale > 0.0) {
            return Err(ModelError::Invalid(format!(
                "--scale {scale}: the scale must be a positive number"
            )));
        }
        let mut drawn: Vec<Drawn> = Vec::with_capacity(self.model.tables.len());
        for (i, t) in self.model.tables.iter().enumerate() {
            let d = self.draw_table(i, t, &drawn, scale)?;
            drawn.push(d);
        }
        let mut tables = Vec::new();
        let mut reports = Vec::new();
        for s in &self.db.tables {
            let Some(i) = self.model.tables.iter().position(|t| t.name == s.name()) else {
                continue;
            };
            tables.push((s.name().to_string(), drawn[i].out.clone()));
            if let Some(r) = drawn[i].report.take() {
                reports.push((s.name().to_string(), r));
            }
        }
        Ok(LinkedSample { tables, reports })
    }

    /// Index (model order) of the table called `name`.
    fn index(&self, name: &str) -> Result<usize, ModelError> {
        self.model
            .tables
            .iter()
            .position(|t| t.name == name)
            .ok_or_else(|| err(name, "not in the model"))
    }

    fn draw_table(
        &self,
        i: usize,
        t: &TableModel,
        drawn: &[Drawn],
        scale: f64,
    ) -> Result<Drawn, ModelError> {
        if let Some(stored) = &t.reference {
            // A reference table is copied whole; only its children's counts follow the scale.
            let schema = &self
                .db
                .table(&t.name)
                .ok_or_else(|| err(&t.name, "not in the schema"))?
                .schema;
            let mut rng = stream(table_seed(self.seed, &t.name), "reference/counts", 0, 0);
            let (aug, batch) = super::reference::restore(&t.name, stored, schema, scale, &mut rng)?;
            return self.assemble(t, drawn, aug, Some(&batch), None, Vec::new(), &[]);
        }
        let sampler = self.samplers[i].as_ref();
        // Rows: a root's from its fitted size, a child's from its parents' counts.
        let (rows, parent_row, position) = match &t.parent {
            None => {
                let n = (t.rows as f64 * scale).round() as usize;
                (n, Vec::new(), Vec::new())
            }
            Some(p) => {
                let pd = &drawn[self.index(&p.table)?];
                let counts = match pd.aug.column(&p.count).map(|c| &c.values) {
                    Some(Values::Num(x)) => x.clone(),
                    _ => return Err(err(&t.name, format!("no count column `{}`", p.count))),
                };
                let mut parent_row = Vec::new();
                let mut position = Vec::new();
                for (r, c) in counts.iter().enumerate() {
                    let c = if c.is_nan() {
                        0
                    } else {
                        c.max(0.0).round() as usize
                    };
                    for k in 0..c {
                        parent_row.push(r);
                        position.push(k);
                    }
                }
                (parent_row.len(), parent_row, position)
            }
        };
        // The augmented columns.
        let mut report = None;
        let aug_batch: Option<RecordBatch> = match sampler {
            None => None,
            Some((s, aschema)) => {
                let blocks = rows.div_ceil(BLOCK_ROWS);
                let batches: Vec<RecordBatch> = if t.parent.is_none() {
                    (0..blocks as u64)
                        .into_par_iter()
                        .map(|b| s.block(b, rows as u64))
                        .collect::<Result<_, _>>()
                        .map_err(|e| err(&t.name, e))?
                } else if !t.lags.is_empty() {
                    let given = self.given_codes(t, s, drawn, &parent_row, &position)?;
                    vec![draw_by_position(t, s, aschema, &given, &position)?]
                } else {
                    let given = self.given_codes(t, s, drawn, &parent_row, &position)?;
                    // A label independent of the person: drawn first, then the rest given it.
                    let label = match t.fairness.as_ref().filter(|_| self.fairness) {
                        Some(f) => {
                            let (codes, r) =
                                self.fair_label(t, f, s, drawn, &parent_row, &given)?;
                            report = Some(r);
                            Some((f.label.as_str(), codes))
                        }
                        None => None,
                    };
                    (0..blocks)
                        .into_par_iter()
                        .map(|b| {
                            let lo = b * BLOCK_ROWS;
                            let hi = (lo + BLOCK_ROWS).min(rows);
                            let part: Vec<Vec<u32>> =
                                given.iter().map(|g| g[lo..hi].to_vec()).collect();
                            match &label {
                                Some((name, codes)) => {
                                    s.block_given_fixed(b as u64, &part, &[(name, &codes[lo..hi])])
                                }
                                None => s.block_given(b as u64, &part),
                            }
                        })
                        .collect::<Result<_, _>>()
                        .map_err(|e| err(&t.name, e))?
                };
                let schema = BlockSource::schema(s);
                Some(
                    arrow_select::concat::concat_batches(&schema, &batches)
                        .map_err(|e| err(&t.name, e))?,
                )
            }
        };
        let aug = match (&aug_batch, sampler) {
            (Some(b), Some((_, schema))) => {
                let names: Vec<String> = b
                    .schema()
                    .fields()
                    .iter()
                    .map(|f| f.name().clone())
                    .collect();
                let input = Input::Memory(Batches::new(&t.name, b.schema(), vec![b.clone()])?);
                Table::load_only(&input, schema, &names)?
            }
            _ => Table {
                rows,
                columns: Vec::new(),
            },
        };
        let ids = self.identifiers(t, rows)?;
        let mut d = self.assemble(
            t,
            drawn,
            aug,
            aug_batch.as_ref(),
            ids.as_ref(),
            parent_row,
            &position,
        )?;
        d.report = report;
        Ok(d)
    }

    /// Fresh values of `t`'s identifier columns that the schema gives a generator reading
    /// nothing modelled (a `uuid`, a `pattern`, an e-mail drawn from a regenerated name), as
    /// a one-table model regenerates them; keys are left to [`Self::assemble`]. `None` when
    /// there are none.
    fn identifiers(&self, t: &TableModel, rows: usize) -> Result<Option<RecordBatch>, ModelError> {
        let Some(table) = self.db.table(&t.name) else {
            return Ok(None);
        };
        let keys: Vec<&str> = std::iter::once(table.primary_key.as_str())
            .chain(table.foreign_keys.iter().map(|f| f.column.as_str()))
            .collect();
        let names: Vec<String> = crate::model::fit::plan(&table.schema)
            .regenerated
            .into_iter()
            .filter(|n| !keys.contains(&n.as_str()))
            .collect();
        if names.is_empty() {
            return Ok(None);
        }
        let schema = crate::model::fit::identifier_schema(&table.schema, &names);
        let ids = crate::synth::Synthesizer::new(
            &schema,
            table_seed(self.seed, &format!("{}/identifiers", t.name)),
        )
        .map_err(|e| err(&t.name, e))?;
        let blocks = rows.div_ceil(BLOCK_ROWS) as u64;
        let batches: Vec<RecordBatch> = (0..blocks)
            .into_par_iter()
            .map(|b| ids.block(b, rows as u64))
            .collect::<Result<_, _>>()
            .map_err(|e| err(&t.name, e))?;
        let Some(first) = batches.first() else {
            return Ok(None);
        };
        arrow_select::concat::concat_batches(&first.schema(), &batches)
            .map(Some)
            .map_err(|e| err(&t.name, e))
    }

    /// The codes of every given column of `t`'s model, per row.
    fn given_codes(
        &self,
        t: &TableModel,
        s: &Sampler,
        drawn: &[Drawn],
        parent_row: &[usize],
        position: &[usize],
    ) -> Result<Vec<Vec<u32>>, ModelError> {
        if t.parent.is_none() {
            return Ok(Vec::new());
        }
        let ancestors = self.ancestors(t, drawn, parent_row)?;
        s.given()
            .into_iter()
            .map(|name| {
                if name == POSITION {
                    let values = Values::Cat {
                        codes: position
                            .iter()
                            .map(|&k| k.min(POSITIONS.len() - 1) as u32)
                            .collect(),
                        levels: POSITIONS.iter().map(|s| s.to_string()).collect(),
                    };
                    return s.given_codes(name, &values);
                }
                if name.starts_with(LAG) || name == ELAPSED {
                    // Filled family position by position (`draw_by_position`).
                    return Ok(Vec::new());
                }
                // A parent's column, or one further up the driving keys (the person's).
                let (at, own, rows) = ancestors
                    .iter()
                    .find_map(|(a, rows)| {
                        let own = name.strip_prefix(&format!("{}.", self.model.tables[*a].name))?;
                        drawn[*a]
                            .aug
                            .column(own)
                            .is_some()
                            .then_some((*a, own, rows))
                    })
                    .ok_or_else(|| {
                        err(
                            &t.name,
                            format!("no table up the driving keys has `{name}`"),
                        )
                    })?;
                let col = drawn[at]
                    .aug
                    .column(own)
                    .ok_or_else(|| err(&t.name, format!("no column `{name}`")))?;
                let rows: Vec<Option<usize>> = rows.iter().map(|&r| Some(r)).collect();
                let g = col.gather(&rows, name);
                s.given_codes(name, &g.values)
            })
            .collect()
    }

    /// The tables up the driving keys of `t` (model order), nearest first, each with its row
    /// for every row of `t` (`parent_row`: the parent's).
    fn ancestors(
        &self,
        t: &TableModel,
        drawn: &[Drawn],
        parent_row: &[usize],
    ) -> Result<Vec<(usize, Vec<usize>)>, ModelError> {
        let mut out: Vec<(usize, Vec<usize>)> = Vec::new();
        let mut link = t.parent.as_ref();
        let mut rows = parent_row.to_vec();
        while let Some(p) = link {
            let a = self.index(&p.table)?;
            if out.iter().any(|(b, _)| *b == a) {
                break;
            }
            out.push((a, rows.clone()));
            link = self.model.tables[a].parent.as_ref();
            if link.is_some() {
                let up = &drawn[a].parent_row;
                rows = rows.iter().map(|&r| up[r]).collect();
            }
        }
        Ok(out)
    }

    /// The codes of `t`'s label drawn independent of the person's protected columns (see
    /// [`super::parity`]) for rows with `given` codes, and the parity report.
    fn fair_label(
        &self,
        t: &TableModel,
        f: &super::ChildFairness,
        s: &Sampler,
        drawn: &[Drawn],
        parent_row: &[usize],
        given: &[Vec<u32>],
    ) -> Result<(Vec<u32>, crate::model::SampleReport), ModelError> {
        let (levels, probs) = s
            .given_distribution(&f.label, given)
            .map_err(|e| err(&t.name, e))?;
        let fav = parity::favourable_code(&t.name, f, &levels)?;
        let ancestors = self.ancestors(t, drawn, parent_row)?;
        let mut columns: Vec<Vec<String>> = Vec::new();
        for q in &f.independent_of {
            let found = ancestors.iter().find_map(|(a, rows)| {
                let name = &self.model.tables[*a].name;
                let col = q.strip_prefix(&format!("{name}."))?;
                Some((name, col, drawn[*a].aug.column(col)?, rows))
            });
            let Some((table, col, values, rows)) = found else {
                return Err(err(&t.name, format!("fairness: `{q}` was not sampled")));
            };
            let bins = self
                .db
                .table(table)
                .and_then(|x| x.schema.column(col))
                .and_then(|c| c.bins.clone());
            let band = |x: f64| {
                let b = bins.as_ref()?;
                b.band(x).map(|i| b.labels[i].clone())
            };
            columns.push(parity::group_levels(&values.values, &band, rows));
        }
        let (group, names) = parity::groups(&columns, probs.len());
        let p: Vec<f64> = probs.iter().map(|x| x[fav]).collect();
        let (shift, _) = parity::shifts(&p, &group, names.len());
        let codes = parity::draw_labels(
            table_seed(self.seed, &t.name),
            &f.label,
            &probs,
            fav,
            &group,
            &shift,
        );
        let report = parity::report(f, &names, &group, &probs, fav, &shift, &codes);
        Ok((codes, report))
    }

    /// The output rows of `t`: keys, picked keys, own columns with dates rebuilt.
    #[allow(clippy::too_many_arguments)]
    fn assemble(
        &self,
        t: &TableModel,
        drawn: &[Drawn],
        aug: Table,
        aug_batch: Option<&RecordBatch>,
        ids: Option<&RecordBatch>,
        parent_row: Vec<usize>,
        position: &[usize],
    ) -> Result<Drawn, ModelError> {
        let schema = &self
            .db
            .table(&t.name)
            .ok_or_else(|| err(&t.name, "not in the schema"))?
            .schema;
        let rows = aug.rows;
        let parent = match &t.parent {
            Some(p) => Some((p, &drawn[self.index(&p.table)?])),
            None => None,
        };
        let mut fields = Vec::new();
        let mut arrays: Vec<ArrayRef> = Vec::new();
        let mut times: Vec<(String, Vec<f64>)> = Vec::new();
        let mut own_pk: Option<ArrayRef> = None;
        let mut picks_made: Vec<(String, Vec<Option<usize>>)> = Vec::new();
        for c in &schema.columns {
            let array: ArrayRef = if c.name == t.primary_key {
                let a = key_array(c.ty, rows);
                own_pk = Some(a.clone());
                a
            } else if let Some((p, pd)) = parent.filter(|(p, _)| p.column == c.name) {
                let pk = pk_of(&pd.out, &self.model.tables[self.index(&p.table)?])?;
                let idx = arrow_array::UInt32Array::from_iter_values(
                    parent_row.iter().map(|&r| r as u32),
                );
                arrow_select::take::take(pk.as_ref(), &idx, None).map_err(|e| err(&t.name, e))?
            } else if let Some(k) = t.picks.iter().find(|k| k.column == c.name) {
                let (pk, counts) = if k.table == t.name {
                    let pk = own_pk
                        .clone()
                        .ok_or_else(|| err(&t.name, "its key comes after a self-reference"))?;
                    (
                        pk,
                        count_values(&aug, &super::count_var(&t.name, &k.column)),
                    )
                } else {
                    let j = self.index(&k.table)?;
                    (
                        pk_of(&drawn[j].out, &self.model.tables[j])?,
                        count_values(&drawn[j].aug, &super::count_var(&t.name, &k.column)),
                    )
                };
                let picked = deal(
                    self.seed,
                    t,
                    &k.column,
                    k.null_share,
                    rows,
                    &counts,
                    pk.len(),
                );
                let idx: arrow_array::UInt32Array =
                    picked.iter().map(|r| r.map(|r| r as u32)).collect();
                picks_made.push((k.column.clone(), picked));
                arrow_select::take::take(pk.as_ref(), &idx, None).map_err(|e| err(&t.name, e))?
            } else if let Some(o) = t.order.as_ref().filter(|o| o.column == c.name) {
                let v = aug_num(&aug, &c.name)?;
                let from = match (&o.from, parent) {
                    (Some(f), Some((p, _))) => Some(parent_time(
                        drawn,
                        &|n| self.index(n),
                        &self.model.tables[self.index(&p.table)?],
                        f,
                        &parent_row,
                    )?),
                    _ => None,
                };
                let gap = aug_num(&aug, &super::gap_var(&c.name))?;
                let floor = match (&o.floor, parent) {
                    (Some(f), Some((p, _))) => Some(parent_time(
                        drawn,
                        &|n| self.index(n),
                        &self.model.tables[self.index(&p.table)?],
                        f,
                        &parent_row,
                    )?),
                    _ => None,
                };
                let mut x = vec![0.0; rows];
                for r in 0..rows {
                    let first = |v: f64| if v.is_nan() { 0.0 } else { v.max(0.0) };
                    x[r] = if position[r] == 0 {
                        let x = first(v[r]) + from.as_ref().map_or(0.0, |f| f[r]);
                        // Raised to the floor the real rows never precede (NaN: no floor).
                        floor.as_ref().map_or(x, |f| x.max(f[r]))
                    } else {
                        x[r - 1]
                            + if gap[r].is_nan() {
                                0.0
                            } else {
                                gap[r].max(0.0)
                            }
                    };
                }
                // Each family's end: the period's, or its parent's value it never exceeds.
                let ceiling = match (&o.ceiling, parent) {
                    (Some(f), Some((p, pd))) => {
                        let own = f.strip_prefix(&format!("{}.", p.table)).unwrap_or(f);
                        Some(match pd.times.iter().find(|(n, _)| n == own) {
                            Some((_, x)) => parent_row.iter().map(|&r| x[r]).collect(),
                            None => {
                                let x = aug_num(&pd.aug, own)?;
                                parent_row.iter().map(|&r| x[r]).collect::<Vec<f64>>()
                            }
                        })
                    }
                    _ => None,
                };
                if o.end.is_some() || ceiling.is_some() {
                    let end = o.end.unwrap_or(f64::INFINITY);
                    let ends: Vec<f64> = match &ceiling {
                        Some(c) => c
                            .iter()
                            .map(|c| if c.is_nan() { end } else { end.min(*c) })
                            .collect(),
                        None => vec![end; rows],
                    };
                    let mut rng = stream(
                        table_seed(self.seed, &t.name),
                        &format!("{}/window", c.name),
                        0,
                        0,
                    );
                    fit_in_window(&mut x, position, &ends, &mut rng);
                }
                let a = time_array(c.ty, &x);
                times.push((c.name.clone(), x));
                a
            } else if let Some(o) = t.offsets.iter().find(|o| o.column == c.name) {
                let v = aug_num(&aug, &c.name)?;
                let f = o.from.as_deref().unwrap_or_default();
                let base: Vec<f64> = match parent {
                    _ if f.is_empty() => vec![0.0; rows],
                    Some((p, _)) if f.starts_with(&format!("{}.", p.table)) => parent_time(
                        drawn,
                        &|n| self.index(n),
                        &self.model.tables[self.index(&p.table)?],
                        f,
                        &parent_row,
                    )?,
                    _ => times
                        .iter()
                        .find(|(n, _)| n == f)
                        .map(|(_, x)| x.clone())
                        .ok_or_else(|| err(&t.name, format!("`{}` before `{f}`", c.name)))?,
                };
                let mut x: Vec<f64> = if f.is_empty() {
                    v.clone()
                } else {
                    // A null offset (the row has no such date) stays null.
                    v.iter()
                        .zip(&base)
                        .map(|(a, b)| if a.is_nan() { f64::NAN } else { b + a.max(0.0) })
                        .collect()
                };
                if let (Some(fl), Some((p, _))) = (&o.floor, parent) {
                    let floor = parent_time(
                        drawn,
                        &|n| self.index(n),
                        &self.model.tables[self.index(&p.table)?],
                        fl,
                        &parent_row,
                    )?;
                    for (x, f) in x.iter_mut().zip(floor) {
                        // NaN (no picked row, or no date) leaves the value as drawn; a null
                        // stays null.
                        if !x.is_nan() {
                            *x = x.max(f);
                        }
                    }
                }
                let a = time_array(c.ty, &x);
                times.push((c.name.clone(), x));
                a
            } else if let Some(f) = t.formulas.iter().find(|f| f.column == c.name) {
                let a = aug_num(&aug, &f.left)?;
                let b = aug_num(&aug, &f.right)?;
                let x: Vec<f64> = a.iter().zip(&b).map(|(a, b)| f.value(*a, *b)).collect();
                number_array(&t.name, f, c.ty, &x)?
            } else if let Some(a) = ids.and_then(|b| b.column_by_name(&c.name).cloned()) {
                a
            } else if let Some(a) = aug_batch.and_then(|b| b.column_by_name(&c.name).cloned()) {
                if matches!(c.ty, ColumnType::Date | ColumnType::Timestamp) {
                    times.push((c.name.clone(), aug_num(&aug, &c.name)?));
                }
                a
            } else {
                // Not modelled nor regenerated (an identifier without a generator, or one
                // whose generator reads a modelled column; a weight): not written.
                continue;
            };
            fields.push(Field::new(
                &c.name,
                array.data_type().clone(),
                array.null_count() > 0 || c.nullable,
            ));
            arrays.push(array);
        }
        let out = RecordBatch::try_new_with_options(
            Arc::new(ArrowSchema::new(fields)),
            arrays,
            &RecordBatchOptions::new().with_row_count(Some(rows)),
        )
        .map_err(|e| err(&t.name, e))?;
        Ok(Drawn {
            aug,
            out,
            times,
            picked: picks_made,
            parent_row,
            report: None,
        })
    }
}

/// The augmented rows of child table `t` whose model is given the sibling before's values
/// ([`TableModel::lags`]): drawn in rounds, the first row of every family, then the second
/// given the first, and so on. `given` holds every given column's codes per row (empty for
/// the lag columns, filled here); rows are in family order (a family's rows consecutive, by
/// `position`), so a row's sibling before is the row before it. Blocks are numbered across
/// the rounds, so the rows do not depend on the thread count.
fn draw_by_position(
    t: &TableModel,
    s: &Sampler,
    schema: &Schema,
    given: &[Vec<u32>],
    position: &[usize],
) -> Result<RecordBatch, ModelError> {
    let names: Vec<String> = s.given().into_iter().map(str::to_string).collect();
    let rows = position.len();
    let rounds = position.iter().max().map_or(0, |m| m + 1);
    let mut members: Vec<Vec<usize>> = vec![Vec::new(); rounds];
    for (r, &k) in position.iter().enumerate() {
        if k > 0 && position.get(r.wrapping_sub(1)) != Some(&(k - 1)) {
            return Err(err(&t.name, "the rows are not in family order"));
        }
        members[k].push(r);
    }
    // Row r is row `at[r]` of its round's table.
    let mut at: Vec<usize> = vec![0; rows];
    let mut block = 0u64;
    let mut batches: Vec<RecordBatch> = Vec::with_capacity(rounds);
    let mut before: Option<Table> = None;
    // Per row: time from its family's first row, summed from the drawn gaps.
    let gap = t.order.as_ref().map(|o| super::gap_var(&o.column));
    let mut since = vec![0.0f64; rows];
    for idx in &members {
        for (r_at, &r) in idx.iter().enumerate() {
            at[r] = r_at;
        }
        let mut part: Vec<Vec<u32>> = Vec::with_capacity(names.len());
        for (j, name) in names.iter().enumerate() {
            if name == ELAPSED {
                let values = match &before {
                    Some(_) => Values::Num(idx.iter().map(|&r| since[r - 1]).collect()),
                    None => Values::Num(vec![f64::NAN; idx.len()]),
                };
                part.push(s.given_codes(name, &values)?);
                continue;
            }
            let Some(own) = name.strip_prefix(LAG) else {
                part.push(idx.iter().map(|&r| given[j][r]).collect());
                continue;
            };
            let values = match &before {
                Some(table) => {
                    let col = table
                        .column(own)
                        .ok_or_else(|| err(&t.name, format!("no column `{own}` drawn")))?;
                    let rows: Vec<Option<usize>> = idx.iter().map(|&r| Some(at[r - 1])).collect();
                    col.gather(&rows, name).values
                }
                None => null_values(schema, name, idx.len()),
            };
            part.push(s.given_codes(name, &values)?);
        }
        let blocks = idx.len().div_ceil(BLOCK_ROWS);
        let drawn: Vec<RecordBatch> = (0..blocks)
            .into_par_iter()
            .map(|b| {
                let lo = b * BLOCK_ROWS;
                let hi = (lo + BLOCK_ROWS).min(idx.len());
                let g: Vec<Vec<u32>> = part.iter().map(|g| g[lo..hi].to_vec()).collect();
                s.block_given(block + b as u64, &g)
            })
            .collect::<Result<_, _>>()
            .map_err(|e| err(&t.name, e))?;
        block += blocks as u64;
        let out_schema = BlockSource::schema(s);
        let batch = arrow_select::concat::concat_batches(&out_schema, &drawn)
            .map_err(|e| err(&t.name, e))?;
        let fields: Vec<String> = batch
            .schema()
            .fields()
            .iter()
            .map(|f| f.name().clone())
            .collect();
        let input = Input::Memory(Batches::new(&t.name, batch.schema(), vec![batch.clone()])?);
        let table = Table::load_only(&input, schema, &fields)?;
        if let Some(g) = gap.as_deref().and_then(|g| table.column(g)) {
            if let Values::Num(x) = &g.values {
                for (k, &r) in idx.iter().enumerate() {
                    if position[r] > 0 {
                        let step = if x[k].is_nan() { 0.0 } else { x[k].max(0.0) };
                        since[r] = since[r - 1] + step;
                    }
                }
            }
        }
        before = Some(table);
        batches.push(batch);
    }
    // Back to family order.
    let out_schema = BlockSource::schema(s);
    let all =
        arrow_select::concat::concat_batches(&out_schema, &batches).map_err(|e| err(&t.name, e))?;
    let mut start = vec![0usize; rounds];
    for k in 1..rounds {
        start[k] = start[k - 1] + members[k - 1].len();
    }
    let order = arrow_array::UInt32Array::from_iter_values(
        (0..rows).map(|r| (start[position[r]] + at[r]) as u32),
    );
    arrow_select::take::take_record_batch(&all, &order).map_err(|e| err(&t.name, e))
}

/// `len` nulls of the given column `name` of the augmented `schema`.
fn null_values(schema: &Schema, name: &str, len: usize) -> Values {
    match schema.column(name).map(|c| c.ty) {
        Some(
            ColumnType::Int { .. } | ColumnType::Float | ColumnType::Date | ColumnType::Timestamp,
        ) => Values::Num(vec![f64::NAN; len]),
        _ => Values::Cat {
            codes: vec![crate::io::table::NULL; len],
            levels: Vec::new(),
        },
    }
}

/// Rows of the referenced table for the `rows` rows of `t`'s non-driving key `column`:
/// each referenced row is dealt as often as its count says (in rounds, see below); rows
/// past the counts are dealt round again (uniformly when no row has a count); a `null_share`
/// of rows reference nothing.
fn deal(
    seed: u64,
    t: &TableModel,
    column: &str,
    null_share: f64,
    rows: usize,
    counts: &[f64],
    referenced: usize,
) -> Vec<Option<usize>> {
    let name = format!("{}\u{0}pick\u{0}{column}", t.name);
    let mut rng = stream(seed, &name, 0, 0);
    // Round k deals the (k+1)-th reference of every row whose count reaches it, in an
    // order shuffled per round: when there are fewer referencing rows than the counts
    // add up to, rows lose their last references first, so a row with references keeps
    // at least one as long as there are enough to go round.
    let counts: Vec<usize> = counts
        .iter()
        .map(|c| {
            if c.is_nan() {
                0
            } else {
                c.max(0.0).round() as usize
            }
        })
        .collect();
    let rounds = counts.iter().copied().max().unwrap_or(0);
    let mut slots: Vec<usize> = Vec::with_capacity(counts.iter().sum());
    for k in 0..rounds {
        let start = slots.len();
        slots.extend((0..counts.len()).filter(|&r| counts[r] > k));
        let round = &mut slots[start..];
        for i in (1..round.len()).rev() {
            round.swap(i, rng.random_range(0..=i));
        }
    }
    let mut next = 0usize;
    (0..rows)
        .map(|_| {
            if referenced == 0 || rng.random::<f64>() < null_share {
                return None;
            }
            // Past the counts, the deal goes round again in the same order, so the extra
            // references spread evenly instead of piling up by chance.
            let r = if slots.is_empty() {
                rng.random_range(0..referenced)
            } else {
                slots[next % slots.len()]
            };
            next += 1;
            Some(r)
        })
        .collect()
}

/// Numbered keys 1, 2, ... of type `ty` (text keys as their digits).
fn key_array(ty: ColumnType, rows: usize) -> ArrayRef {
    let n = 1..=rows as i64;
    match ty {
        ColumnType::Int { bits: 32 } => Arc::new(Int32Array::from_iter_values(n.map(|k| k as i32))),
        ColumnType::Int { .. } => Arc::new(Int64Array::from_iter_values(n)),
        ColumnType::Float => Arc::new(Float64Array::from_iter_values(n.map(|k| k as f64))),
        _ => Arc::new(StringArray::from_iter_values(n.map(|k| k.to_string()))),
    }
}

/// The primary-key column of a sampled table.
fn pk_of(out: &RecordBatch, t: &TableModel) -> Result<ArrayRef, ModelError> {
    out.column_by_name(&t.primary_key)
        .cloned()
        .ok_or_else(|| err(&t.name, format!("no key column `{}`", t.primary_key)))
}

fn count_values(aug: &Table, var: &str) -> Vec<f64> {
    match aug.column(var).map(|c| &c.values) {
        Some(Values::Num(x)) => x.clone(),
        _ => Vec::new(),
    }
}

fn aug_num(aug: &Table, name: &str) -> Result<Vec<f64>, ModelError> {
    match aug.column(name).map(|c| &c.values) {
        Some(Values::Num(x)) => Ok(x.clone()),
        _ => Err(ModelError::Invalid(format!(
            "the sampled column `{name}` is not numeric"
        ))),
    }
}

/// The time column `from` per child row: the parent's rebuilt `parent.column`, or
/// `parent.key->table.column`, the column of the row the parent picked through `key`
/// (`drawn`: the tables sampled so far; `pt`: the parent's model).
fn parent_time(
    drawn: &[Drawn],
    index: &dyn Fn(&str) -> Result<usize, ModelError>,
    pt: &TableModel,
    from: &str,
    parent_row: &[usize],
) -> Result<Vec<f64>, ModelError> {
    let missing = |what: &str| ModelError::Invalid(format!("`{what}` was not sampled"));
    let pd = &drawn[index(&pt.name)?];
    let times = |d: &Drawn, col: &str| -> Option<Vec<f64>> {
        d.times
            .iter()
            .find(|(n, _)| n == col)
            .map(|(_, x)| x.clone())
    };
    let rest = from
        .strip_prefix(&format!("{}.", pt.name))
        .ok_or_else(|| missing(from))?;
    match rest.split_once("->") {
        None => {
            let x = times(pd, rest).ok_or_else(|| missing(from))?;
            Ok(parent_row.iter().map(|&r| x[r]).collect())
        }
        Some((key, target)) => {
            let pick = pt
                .picks
                .iter()
                .find(|k| k.column == key)
                .ok_or_else(|| missing(from))?;
            let col = target
                .strip_prefix(&format!("{}.", pick.table))
                .ok_or_else(|| missing(from))?;
            let x = times(&drawn[index(&pick.table)?], col).ok_or_else(|| missing(from))?;
            let picked = &pd
                .picked
                .iter()
                .find(|(c, _)| c == key)
                .ok_or_else(|| missing(from))?
                .1;
            Ok(parent_row
                .iter()
                .map(|&r| picked[r].map_or(f64::NAN, |q| x[q]))
                .collect())
        }
    }
}

/// The values of a column a formula derives, in its declared type; NaN is null. An integer
/// outside the type's range is an error, not a wrapped value.
fn number_array(
    table: &str,
    f: &super::Formula,
    ty: ColumnType,
    x: &[f64],
) -> Result<ArrayRef, ModelError> {
    let v = |x: &f64| (!x.is_nan()).then_some(*x);
    let range = |lo: f64, hi: f64| match x.iter().find(|x| !x.is_nan() && (**x < lo || **x > hi)) {
        Some(bad) => Err(err(
            table,
            format!(
                "`{f}` gives {bad}, outside the range of `{}`'s integer type",
                f.column
            ),
        )),
        None => Ok(()),
    };
    Ok(match ty {
        ColumnType::Int { bits: 32 } => {
            range(f64::from(i32::MIN), f64::from(i32::MAX))?;
            Arc::new(
                x.iter()
                    .map(|x| v(x).map(|x| x as i32))
                    .collect::<arrow_array::Int32Array>(),
            )
        }
        ColumnType::Int { .. } => {
            range(-9.0e18, 9.0e18)?;
            Arc::new(
                x.iter()
                    .map(|x| v(x).map(|x| x as i64))
                    .collect::<arrow_array::Int64Array>(),
            )
        }
        _ => Arc::new(x.iter().map(v).collect::<arrow_array::Float64Array>()),
    })
}

/// A date (days) or timestamp (microseconds) column from numbers; NaN is null.
pub(super) fn time_array(ty: ColumnType, x: &[f64]) -> ArrayRef {
    let v = |x: &f64| (!x.is_nan()).then_some(*x);
    match ty {
        // A whole-number order column (days since enrolment).
        ColumnType::Int { bits } if bits <= 32 => Arc::new(
            x.iter()
                .map(|x| v(x).map(|x| x.round() as i32))
                .collect::<arrow_array::Int32Array>(),
        ),
        ColumnType::Int { .. } => Arc::new(
            x.iter()
                .map(|x| v(x).map(|x| x.round() as i64))
                .collect::<arrow_array::Int64Array>(),
        ),
        ColumnType::Timestamp => Arc::new(
            x.iter()
                .map(|x| v(x).map(|x| x.round() as i64))
                .collect::<TimestampMicrosecondArray>()
                .with_timezone("UTC"),
        ),
        _ => Arc::new(
            x.iter()
                .map(|x| v(x).map(|x| x.round() as i32))
                .collect::<Date32Array>(),
        ),
    }
}

/// Keeps every family (rows of one parent, `position` 0, 1, ...) inside the period that ends
/// at `end` (see [`super::Offset::end`]): a family whose running sum of gaps overshoots has
/// its gaps shrunk in proportion, so its order and relative spacing stay. Its last date lands
/// where the latest of `n` dates drawn uniformly between its first date and the end would
/// (`n` its gaps: `room · U^(1/n)`), not on the end itself, which would pile every such
/// family's last row onto the period's last day.
fn fit_in_window(x: &mut [f64], position: &[usize], ends: &[f64], rng: &mut impl rand::Rng) {
    let mut start = 0;
    while start < x.len() {
        let mut stop = start + 1;
        while stop < x.len() && position[stop] != 0 {
            stop += 1;
        }
        let end = ends[start];
        // A family that starts past the end (its first date follows a rule, such as the
        // parent's date) is left as drawn: the rule comes first.
        let first = x[start];
        let last = x[stop - 1];
        if last > end && first <= end {
            let span = last - x[start];
            let gaps = (stop - start - 1).max(1) as f64;
            let u: f64 = rng.random();
            let room = (end - first) * u.powf(1.0 / gaps);
            for r in start..stop {
                let f = if span > 0.0 {
                    (x[r] - x[start]) / span
                } else {
                    0.0
                };
                x[r] = (first + f * room).floor();
            }
        }
        start = stop;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_family_past_the_end_is_shrunk_in_proportion_and_keeps_its_order() {
        // Two families: [100, 110, 130] (inside an end of 120 after shrinking) and [50].
        let mut rng = stream(1, "window", 0, 0);
        let mut x = vec![100.0, 110.0, 130.0, 50.0];
        fit_in_window(&mut x, &[0, 1, 2, 0], &[120.0; 4], &mut rng);
        assert_eq!(x[0], 100.0);
        assert!(x[1] <= x[2] && x[2] <= 120.0, "{x:?}");
        // Relative spacing: the middle row a third of the way along, as before.
        let third = 100.0 + (x[2] - 100.0) / 3.0;
        assert!((x[1] - third).abs() <= 1.0, "{x:?}");
        assert_eq!(x[3], 50.0);
        // A family starting past the end is left alone (its first date follows a rule).
        let mut y = vec![130.0, 140.0];
        fit_in_window(&mut y, &[0, 1], &[120.0; 2], &mut rng);
        assert_eq!(y, vec![130.0, 140.0]);
    }

    #[test]
    fn families_past_the_end_do_not_pile_up_on_the_last_day() {
        // 1,000 two-row families from day 0, each overshooting an end of 100.
        let mut rng = stream(7, "window", 0, 0);
        let mut x = Vec::new();
        let mut position = Vec::new();
        for _ in 0..1000 {
            x.extend([0.0, 150.0]);
            position.extend([0, 1]);
        }
        fit_in_window(&mut x, &position, &[100.0; 2000], &mut rng);
        let lasts: Vec<f64> = x.iter().skip(1).step_by(2).copied().collect();
        assert!(lasts.iter().all(|&d| (0.0..=100.0).contains(&d)));
        let on_end = lasts.iter().filter(|&&d| d >= 100.0).count();
        assert!(on_end <= 30, "{on_end} of 1000 on the last day");
        // One gap: the last date uniform over the window (mean about 50).
        let mean = lasts.iter().sum::<f64>() / lasts.len() as f64;
        assert!((mean - 49.5).abs() < 4.0, "mean {mean}");
    }

    #[test]
    fn every_row_with_a_count_is_dealt_once_before_any_is_dealt_twice() {
        let t = TableModel {
            name: "disp".into(),
            primary_key: "disp_id".into(),
            rows: 0,
            parent: None,
            counts: Vec::new(),
            picks: Vec::new(),
            order: None,
            offsets: Vec::new(),
            model: None,
            reference: None,
            formulas: Vec::new(),
            lags: Vec::new(),
            fairness: None,
        };
        // Five rows want 2, 1, 2, 0, 1 references (6 in all), but only 4 are needed.
        let picked = deal(9, &t, "account_id", 0.0, 4, &[2.0, 1.0, 2.0, 0.0, 1.0], 5);
        let mut got: Vec<usize> = picked.into_iter().flatten().collect();
        got.sort_unstable();
        assert_eq!(got, vec![0, 1, 2, 4]);
    }

    #[test]
    fn keys_are_numbered_in_the_declared_type() {
        let a = key_array(ColumnType::Int { bits: 32 }, 3);
        assert_eq!(a.data_type(), &arrow_schema::DataType::Int32);
        let s = key_array(ColumnType::String, 2);
        assert_eq!(
            s.as_any()
                .downcast_ref::<StringArray>()
                .map(|s| s.value(1).to_string()),
            Some("2".to_string())
        );
    }
}
