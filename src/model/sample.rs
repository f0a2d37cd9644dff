//! Sampling: the head table raked to targets and made label-independent of the protected
//! columns (see `head.rs`), then every block drawn column by column from per-(seed, column,
//! block) streams, so the output is the same for any thread count.

use std::sync::Arc;

use arrow_array::types::Int32Type;
use arrow_array::{
    ArrayRef, BooleanArray, Date32Array, DictionaryArray, Float64Array, Int32Array, Int64Array,
    RecordBatch, StringArray, TimestampMicrosecondArray,
};
use arrow_schema::{Field, SchemaRef};
use rand::RngExt;

use super::head::{RakedHead, SampleOptions, SampleReport};
use super::{Model, ModelError, VarKind, Variable, OTHER, SHAPE_PARTS};
use crate::io::table::{Values, NULL};
use crate::schema::{ColumnType, Generator, PlaceField, Schema};
use crate::synth::{stream, BlockSource, PlaceGiven, SynthError, Synthesizer, BLOCK_ROWS};

/// Per-node sampling tables.
#[derive(Debug, Clone)]
struct NodeTable {
    var: usize,
    /// Parent, its number of groups, its grouping (empty: its own codes).
    parents: Vec<(usize, u32, Vec<u32>)>,
    card: usize,
    cdf: Vec<f64>,
}

#[derive(Debug, Clone)]
enum Out {
    Var(usize, ColumnType),
    Id(usize),
}

/// A piece of a bin's value distribution: an exact value (`width` 0) or a sub-interval.
#[derive(Debug, Clone, Copy)]
struct Atom {
    start: f64,
    width: f64,
    weight: f64,
}

/// A bin's value distribution as atoms in value order: its exact values and the
/// sub-intervals of its continuous part (or the whole interval, or the point `lo`).
fn atoms(b: &super::Bin) -> Vec<Atom> {
    let mut out: Vec<Atom> = b
        .points
        .iter()
        .map(|p| Atom {
            start: p.value,
            width: 0.0,
            weight: p.count,
        })
        .collect();
    let spread = if b.points.is_empty() { 1.0 } else { b.spread };
    if spread > 0.0 && b.hi > b.lo {
        let w = b.hi - b.lo;
        if b.shape.is_empty() {
            out.push(Atom {
                start: b.lo,
                width: w,
                weight: spread,
            });
        } else {
            for (i, s) in b.shape.iter().enumerate() {
                out.push(Atom {
                    start: b.lo + w * i as f64 / SHAPE_PARTS as f64,
                    width: w / SHAPE_PARTS as f64,
                    weight: spread * s,
                });
            }
        }
    } else if out.is_empty() {
        out.push(Atom {
            start: b.lo,
            width: 0.0,
            weight: 1.0,
        });
    }
    out.sort_by(|a, c| {
        a.start
            .total_cmp(&c.start)
            .then(a.width.total_cmp(&c.width))
    });
    out
}

/// The value at fraction `f` of a bin's value distribution (`atoms`).
fn at_fraction(atoms: &[Atom], f: f64, integer: bool) -> f64 {
    let total: f64 = atoms.iter().map(|a| a.weight).sum();
    let mut acc = 0.0;
    let target = f.clamp(0.0, 1.0) * total;
    let mut pick = atoms.len() - 1;
    let mut inner = 0.5;
    for (i, a) in atoms.iter().enumerate() {
        if a.weight > 0.0 && target < acc + a.weight {
            pick = i;
            inner = (target - acc) / a.weight;
            break;
        }
        acc += a.weight;
    }
    let a = atoms[pick];
    if a.width == 0.0 {
        return a.start;
    }
    let x = a.start + inner * a.width;
    if integer {
        x.floor().clamp(
            a.start.ceil(),
            (a.start + a.width - 1.0).max(a.start.ceil()),
        )
    } else {
        x
    }
}

/// The copula compiled for sampling.
#[derive(Debug, Clone)]
struct CopulaPlan {
    /// Per node, its position among the copula's variables.
    at: Vec<Option<usize>>,
    /// Lower Cholesky factor of the correlation matrix.
    chol: Vec<f64>,
    /// Number of variables.
    k: usize,
    /// The head variables first in the copula, each with the sample's cumulative shares of
    /// its codes (before each code, and through it).
    given: Vec<(usize, Vec<f64>)>,
}

/// A model compiled for sampling; a [`BlockSource`] for [`crate::synth::write_parquet`].
#[derive(Debug, Clone)]
pub struct Sampler {
    vars: Vec<Variable>,
    head_vars: Vec<(usize, u32)>,
    head_cdf: Vec<f64>,
    nodes: Vec<NodeTable>,
    outputs: Vec<Out>,
    ids: Option<Synthesizer>,
    /// Shared places of the regenerated identifiers held to a modelled state (or region)
    /// column: (place name, variable), so a regenerated address lies in the sampled state.
    place_given: Vec<(String, usize)>,
    /// The copula, when the model has one.
    copula: Option<CopulaPlan>,
    /// Per variable, the schema's bounds (`-inf`/`inf` where it gives none).
    bounds: Vec<(f64, f64)>,
    arrow: SchemaRef,
    seed: u64,
    report: SampleReport,
    /// Variables whose codes the caller supplies ([`Sampler::block_given`]).
    given: Vec<usize>,
}

/// Cumulative distribution of `weights`, uniform when they are all zero; the last entry is 1.
fn cdf(weights: &[f64]) -> Vec<f64> {
    let total: f64 = weights.iter().sum();
    let n = weights.len();
    let mut acc = 0.0;
    let mut out: Vec<f64> = weights
        .iter()
        .map(|w| {
            acc += if total > 0.0 {
                w / total
            } else {
                1.0 / n as f64
            };
            acc
        })
        .collect();
    if let Some(last) = out.last_mut() {
        *last = 1.0;
    }
    out
}

#[inline]
fn draw(cdf: &[f64], u: f64) -> u32 {
    cdf.partition_point(|c| *c <= u).min(cdf.len() - 1) as u32
}

/// Cumulative tables per parent configuration. A configuration the data never shows draws
/// from the node's counts over the configurations that share its first parent's code (so a
/// relation with a forced first parent holds), else from the node's marginal.
fn node_table(model: &Model, n: &super::Node) -> NodeTable {
    let card = |v: usize| model.variables[v].cardinality();
    let c = card(n.var);
    let parents: Vec<(usize, u32, Vec<u32>)> = n
        .parents
        .iter()
        .enumerate()
        .map(|(i, &p)| {
            let map = n.groups.get(i).cloned().unwrap_or_default();
            let k = super::structure::view_card(&map, card(p));
            (p, k as u32, map)
        })
        .collect();
    let mut marginal = vec![0.0; c];
    for cfg in n.counts.chunks(c) {
        marginal.iter_mut().zip(cfg).for_each(|(m, x)| *m += x);
    }
    let fallback = cdf(&marginal);
    // Configurations per code of the first parent.
    let rest: usize = parents.iter().skip(1).map(|p| p.1 as usize).product();
    let first: Vec<Vec<f64>> = n
        .counts
        .chunks(c * rest.max(1))
        .map(|block| {
            let mut m = vec![0.0; c];
            for cfg in block.chunks(c) {
                m.iter_mut().zip(cfg).for_each(|(m, x)| *m += x);
            }
            m
        })
        .collect();
    let table = n
        .counts
        .chunks(c)
        .enumerate()
        .flat_map(|(k, cfg)| {
            if cfg.iter().sum::<f64>() > 0.0 {
                cdf(cfg)
            } else {
                match first.get(k / rest.max(1)) {
                    Some(m) if !parents.is_empty() && m.iter().sum::<f64>() > 0.0 => cdf(m),
                    _ => fallback.clone(),
                }
            }
        })
        .collect();
    NodeTable {
        var: n.var,
        parents,
        card: c,
        cdf: table,
    }
}

impl Sampler {
    /// Compiles `model` for sampling with `opts`.
    pub fn new(model: &Model, opts: &SampleOptions) -> Result<Sampler, ModelError> {
        let schema = model.schema()?;
        let vars = model.variables.clone();
        let head_vars: Vec<(usize, u32)> = model
            .head
            .vars
            .iter()
            .map(|&v| (v, vars[v].cardinality() as u32))
            .collect();
        let head = RakedHead::new(model, &schema, opts)?;
        let nodes = model.nodes.iter().map(|n| node_table(model, n)).collect();

        let ids = if model.regenerated.is_empty() {
            None
        } else {
            Some(Synthesizer::new(
                &super::fit::identifier_schema(&schema, &model.regenerated),
                opts.seed,
            )?)
        };
        // A modelled `state` column holds its place better than a `region` column: states first.
        let mut place_given: Vec<(String, usize, bool)> = Vec::new();
        if let Some(ids) = &ids {
            for c in &schema.columns {
                let Some(Generator::Place { place, field }) = c.generator.as_ref().map(|g| &g.base)
                else {
                    continue;
                };
                let state = *field == PlaceField::State;
                if !(state || *field == PlaceField::Region) || !ids.place_names().contains(place) {
                    continue;
                }
                if let Some(v) = model.variable(&c.name) {
                    place_given.push((place.clone(), v, state));
                }
            }
        }
        place_given.sort_by_key(|g| !g.2);
        let mut place_given: Vec<(String, usize)> =
            place_given.into_iter().map(|(p, v, _)| (p, v)).collect();
        let mut seen = std::collections::HashSet::new();
        place_given.retain(|(p, _)| seen.insert(p.clone()));
        let mut outputs = Vec::new();
        let mut fields = Vec::new();
        for c in &schema.columns {
            if model
                .variable(&c.name)
                .is_some_and(|v| model.given.contains(&v))
            {
                // Supplied by the caller (a parent's column): not an output of this table.
                continue;
            }
            if let Some(v) = model.variable(&c.name) {
                outputs.push(Out::Var(v, c.ty));
                // A merged `(other)` of an integer label has no number: it is written as null.
                let other = matches!(&vars[v].kind, VarKind::Categorical { levels } if c.ty.is_numeric() && levels.iter().any(|l| l == super::OTHER));
                fields.push(Field::new(
                    &c.name,
                    c.ty.arrow_type(),
                    c.nullable || vars[v].null || other,
                ));
            } else if let Some((k, ids)) = ids
                .as_ref()
                .and_then(|ids| Some((ids.schema().index_of(&c.name).ok()?, ids)))
            {
                // By name in the identifiers' own schema (its columns in schema order): a
                // model file's `regenerated` list may name them in any order, or name columns
                // the schema does not have.
                outputs.push(Out::Id(k));
                fields.push(ids.schema().field(k).clone());
            }
        }
        let bounds = vars
            .iter()
            .map(|v| {
                let (lo, hi) = schema
                    .column(&v.name)
                    .map_or((None, None), super::discretise::schema_bounds);
                (lo.unwrap_or(f64::NEG_INFINITY), hi.unwrap_or(f64::INFINITY))
            })
            .collect();
        let copula = match &model.copula {
            Some(c) => {
                let k = c.vars.len();
                let chol = super::copula::cholesky(&c.correlation, k).ok_or_else(|| {
                    ModelError::Invalid("the model's copula is not positive definite".into())
                })?;
                let at = model
                    .nodes
                    .iter()
                    .map(|n| c.vars.iter().position(|v| *v == n.var))
                    .collect();
                // Head variables' shares in the sample (after raking and parity).
                let given = c.vars[..c.given]
                    .iter()
                    .map(|&v| {
                        let j = model.head.vars.iter().position(|h| *h == v).unwrap_or(0);
                        let shares = head.shares(j);
                        let total: f64 = shares.iter().sum::<f64>().max(f64::MIN_POSITIVE);
                        let mut acc = 0.0;
                        let mut cum = vec![0.0];
                        for x in &shares {
                            acc += x / total;
                            cum.push(acc);
                        }
                        (v, cum)
                    })
                    .collect();
                Some(CopulaPlan { at, chol, k, given })
            }
            None => None,
        };
        Ok(Sampler {
            copula,
            bounds,
            head_cdf: if head_vars.is_empty() {
                Vec::new()
            } else {
                cdf(&head.weights)
            },
            vars,
            head_vars,
            nodes,
            outputs,
            ids,
            place_given,
            arrow: Arc::new(arrow_schema::Schema::new(fields)),
            seed: opts.seed,
            report: head.report,
            given: model.given.clone(),
        })
    }

    /// The variables whose codes [`Sampler::block_given`] needs, by name.
    pub fn given(&self) -> Vec<&str> {
        self.given
            .iter()
            .map(|&v| self.vars[v].name.as_str())
            .collect()
    }

    /// The codes of the given variable `name` for `values` (a parent's column as loaded): a
    /// level by its text (an unknown one as `(other)` when the variable has it), a number by
    /// the bin it falls in (below the first bin: the first; past the last: the last), a null as
    /// the null code (the first code when the variable has none).
    pub fn given_codes(&self, name: &str, values: &Values) -> Result<Vec<u32>, ModelError> {
        let v = self
            .given
            .iter()
            .copied()
            .find(|&v| self.vars[v].name == name)
            .ok_or_else(|| {
                ModelError::Invalid(format!("`{name}` is not a given column of this model"))
            })?;
        Ok(codes_of(&self.vars[v], values))
    }

    /// `len` rows whose given variables hold `given` (one code per row each, in the order of
    /// [`Sampler::given`]); the other columns are drawn as in [`BlockSource::block`], from
    /// streams of `block`.
    pub fn block_given(&self, block: u64, given: &[Vec<u32>]) -> Result<RecordBatch, SynthError> {
        self.check_given(given)?;
        let len = given.first().map_or(0, Vec::len);
        let pairs: Vec<(usize, &[u32])> = self
            .given
            .iter()
            .copied()
            .zip(given.iter().map(Vec::as_slice))
            .collect();
        self.draw_rows(block, len as u64, len, &pairs, &[])
    }

    /// The levels of the categorical node `name` and, per row, the probability of each of
    /// its codes (the levels', then the null code's when it has one) given the rows' `given` codes (in the order of [`Sampler::given`]). Every
    /// parent of the node must be a given variable (a node placed first, see
    /// [`super::FitOptions::first`]).
    pub fn given_distribution(
        &self,
        name: &str,
        given: &[Vec<u32>],
    ) -> Result<(Vec<String>, Vec<Vec<f64>>), ModelError> {
        let bad = |why: &str| ModelError::Invalid(format!("`{name}`: {why}"));
        let node = self
            .nodes
            .iter()
            .find(|n| self.vars[n.var].name == name)
            .ok_or_else(|| bad("not a drawn column of the model"))?;
        let VarKind::Categorical { levels } = &self.vars[node.var].kind else {
            return Err(bad("not a categorical column"));
        };
        let rows = given.first().map_or(0, Vec::len);
        let mut keys = vec![0u32; rows];
        for (p, card, map) in &node.parents {
            let g = self
                .given
                .iter()
                .position(|v| v == p)
                .and_then(|k| given.get(k))
                .ok_or_else(|| {
                    bad("drawn after a column that is not given; fit the model again")
                })?;
            for (k, c) in keys.iter_mut().zip(g) {
                *k = *k * card + if map.is_empty() { *c } else { map[*c as usize] };
            }
        }
        let probs = keys
            .iter()
            .map(|&k| {
                let cdf = &node.cdf[k as usize * node.card..(k as usize + 1) * node.card];
                let mut prev = 0.0;
                cdf.iter()
                    .map(|&c| {
                        let p = c - prev;
                        prev = c;
                        p
                    })
                    .collect()
            })
            .collect();
        // A nullable column's null code follows its levels.
        Ok((levels.clone(), probs))
    }

    /// [`Sampler::block_given`] with the codes of some drawn columns fixed (`fixed`: name and
    /// one code per row): they are not drawn, and the columns after them are drawn given them.
    pub fn block_given_fixed(
        &self,
        block: u64,
        given: &[Vec<u32>],
        fixed: &[(&str, &[u32])],
    ) -> Result<RecordBatch, SynthError> {
        let len = given.first().map_or(0, Vec::len);
        let fixed: Vec<(usize, &[u32])> = fixed
            .iter()
            .map(|(name, codes)| {
                let v = self
                    .nodes
                    .iter()
                    .map(|n| n.var)
                    .find(|&v| self.vars[v].name == *name)
                    .ok_or_else(|| SynthError::Linked(format!("`{name}` is not a drawn column")))?;
                if codes.len() != len {
                    return Err(SynthError::Linked(format!(
                        "{} codes of `{name}` for {len} rows",
                        codes.len()
                    )));
                }
                Ok((v, *codes))
            })
            .collect::<Result<_, _>>()?;
        self.check_given(given)?;
        let pairs: Vec<(usize, &[u32])> = self
            .given
            .iter()
            .copied()
            .zip(given.iter().map(Vec::as_slice))
            .collect();
        self.draw_rows(block, len as u64, len, &pairs, &fixed)
    }

    /// Checks that `given` holds one column of equal length per given variable.
    fn check_given(&self, given: &[Vec<u32>]) -> Result<(), SynthError> {
        if given.len() != self.given.len() {
            return Err(SynthError::Linked(format!(
                "{} given columns supplied for a model of {}",
                given.len(),
                self.given.len()
            )));
        }
        let len = given.first().map_or(0, Vec::len);
        if given.iter().any(|g| g.len() != len) {
            return Err(SynthError::Linked(
                "the given columns differ in length".into(),
            ));
        }
        Ok(())
    }

    /// What raking and parity do to the head distribution.
    pub fn report(&self) -> &SampleReport {
        &self.report
    }

    /// The values of variable `v` for `codes`; `fractions` (copula variables): where in its
    /// bin each row's value lies, by the bin's value distribution.
    fn values(
        &self,
        v: usize,
        ty: ColumnType,
        codes: &[u32],
        fractions: Option<&[f64]>,
        block: u64,
    ) -> ArrayRef {
        let var = &self.vars[v];
        let null_code = if var.null {
            var.cardinality() as u32 - 1
        } else {
            u32::MAX
        };
        match &var.kind {
            VarKind::Categorical { levels } => {
                let text = |c: &u32| (*c != null_code).then(|| levels[*c as usize].as_str());
                match ty {
                    ColumnType::Category => {
                        let keys: Int32Array = codes
                            .iter()
                            .map(|c| (*c != null_code).then_some(*c as i32))
                            .collect();
                        let values = Arc::new(StringArray::from_iter_values(levels));
                        Arc::new(DictionaryArray::<Int32Type>::new(keys, values))
                    }
                    ColumnType::Bool => Arc::new(
                        codes
                            .iter()
                            .map(|c| text(c).and_then(crate::io::read::parse_bool))
                            .collect::<BooleanArray>(),
                    ),
                    // An integer label read as classes: its levels are whole numbers.
                    ColumnType::Int { bits } => {
                        let n = |c: &u32| text(c).and_then(|t| t.parse::<i64>().ok());
                        if bits == 32 {
                            Arc::new(
                                codes
                                    .iter()
                                    .map(|c| n(c).and_then(|x| i32::try_from(x).ok()))
                                    .collect::<Int32Array>(),
                            )
                        } else {
                            Arc::new(codes.iter().map(n).collect::<Int64Array>())
                        }
                    }
                    _ => Arc::new(codes.iter().map(text).collect::<StringArray>()),
                }
            }
            VarKind::Numeric {
                integer,
                bins,
                decimals,
            } => {
                let scale = decimals.map(|d| 10f64.powi(d as i32));
                let round = |x: f64| match scale {
                    Some(k) => ((x * k).round() / k).clamp(self.bounds[v].0, self.bounds[v].1),
                    None => x,
                };
                let mut rng = stream(self.seed, &var.name, 1, block);
                let shapes: Vec<Vec<f64>> = bins
                    .iter()
                    .map(|b| {
                        if b.shape.is_empty() {
                            Vec::new()
                        } else {
                            cdf(&b.shape)
                        }
                    })
                    .collect();
                // Exact values first, then the continuous part (`spread`) as the last entry.
                let points: Vec<Vec<f64>> = bins
                    .iter()
                    .map(|b| {
                        if b.points.is_empty() {
                            Vec::new()
                        } else {
                            let mut w: Vec<f64> = b.points.iter().map(|p| p.count).collect();
                            w.push(b.spread);
                            cdf(&w)
                        }
                    })
                    .collect();
                let (min, max) = self.bounds[v];
                let atoms: Vec<Vec<Atom>> = if fractions.is_some() {
                    bins.iter().map(atoms).collect()
                } else {
                    Vec::new()
                };
                let xs: Vec<Option<f64>> = codes
                    .iter()
                    .enumerate()
                    .map(|(r, &c)| {
                        let mut u: f64 = rng.random();
                        if c == null_code {
                            return None;
                        }
                        let b = &bins[c as usize];
                        if let Some(f) = fractions {
                            let x = at_fraction(&atoms[c as usize], f[r], *integer);
                            return Some(round(x.clamp(min, max)));
                        }
                        if !b.points.is_empty() {
                            let k = draw(&points[c as usize], u) as usize;
                            if let Some(p) = b.points.get(k) {
                                return Some(p.value);
                            }
                            u = rng.random();
                        } else if b.is_point() {
                            return Some(b.lo);
                        }
                        let width = b.hi - b.lo;
                        let x = if shapes[c as usize].is_empty() {
                            b.lo + u * width
                        } else {
                            // The sub-interval by its share, then uniform inside it.
                            let part = draw(&shapes[c as usize], u);
                            let inner: f64 = rng.random();
                            b.lo + (part as f64 + inner) * width / SHAPE_PARTS as f64
                        };
                        let x = if *integer {
                            x.floor().clamp(b.lo, (b.hi - 1.0).max(b.lo))
                        } else {
                            x.clamp(b.lo, b.hi)
                        };
                        // The schema's bounds clamp; they never stretch the modelled range.
                        Some(round(x.clamp(min, max)))
                    })
                    .collect();
                match ty {
                    ColumnType::Int { bits: 32 } => Arc::new(
                        xs.iter()
                            .map(|x| x.map(|x| x as i32))
                            .collect::<Int32Array>(),
                    ),
                    ColumnType::Int { .. } => Arc::new(
                        xs.iter()
                            .map(|x| x.map(|x| x as i64))
                            .collect::<Int64Array>(),
                    ),
                    ColumnType::Date => Arc::new(
                        xs.iter()
                            .map(|x| x.map(|x| x as i32))
                            .collect::<Date32Array>(),
                    ),
                    ColumnType::Timestamp => Arc::new(
                        xs.iter()
                            .map(|x| x.map(|x| x as i64))
                            .collect::<TimestampMicrosecondArray>()
                            .with_timezone("UTC"),
                    ),
                    _ => Arc::new(xs.into_iter().collect::<Float64Array>()),
                }
            }
        }
    }
}

impl BlockSource for Sampler {
    fn schema(&self) -> SchemaRef {
        self.arrow.clone()
    }

    fn block(&self, block: u64, rows: u64) -> Result<RecordBatch, SynthError> {
        if !self.given.is_empty() {
            return Err(SynthError::Linked(
                "this model is of a child table: its rows are drawn for its parents' rows\n    hint: sample the linked model the table belongs to".into(),
            ));
        }
        let start = block * BLOCK_ROWS as u64;
        let len = rows.saturating_sub(start).min(BLOCK_ROWS as u64) as usize;
        self.draw_rows(block, rows, len, &[], &[])
    }
}

impl Sampler {
    /// `len` rows of `block` (of a sample of `rows` rows), the given variables holding `given`
    /// and the `fixed` nodes their codes (not drawn).
    fn draw_rows(
        &self,
        block: u64,
        rows: u64,
        len: usize,
        given: &[(usize, &[u32])],
        fixed: &[(usize, &[u32])],
    ) -> Result<RecordBatch, SynthError> {
        let mut codes: Vec<Vec<u32>> = vec![Vec::new(); self.vars.len()];
        for (v, c) in given {
            codes[*v] = c.to_vec();
        }
        if !self.head_vars.is_empty() {
            // Systematic sampling: every head cell gets its expected count in the block to
            // within one row, so targets and parity hold in every sample, not only on average;
            // a shuffle then puts the rows in random order.
            let mut rng = stream(self.seed, "\u{0}head", 0, block);
            let step = 1.0 / len.max(1) as f64;
            let start: f64 = rng.random::<f64>() * step;
            let mut cells: Vec<u32> = (0..len)
                .map(|k| draw(&self.head_cdf, start + k as f64 * step))
                .collect();
            for i in (1..len).rev() {
                cells.swap(i, rng.random_range(0..=i));
            }
            let mut stride = 1u32;
            for &(v, card) in self.head_vars.iter().rev() {
                codes[v] = cells.iter().map(|c| (c / stride) % card).collect();
                stride *= card;
            }
        }
        let mut fractions: Vec<Option<Vec<f64>>> = vec![None; self.vars.len()];
        let shared = self.copula.as_ref().map(|c| {
            let mut rng = stream(self.seed, "\u{0}copula", 0, block);
            // Normal scores of the head variables drawn: randomised within their code's step.
            let g = c.given.len();
            let mut scores = vec![0.0; len * g];
            for (i, (v, cum)) in c.given.iter().enumerate() {
                for (r, &code) in codes[*v].iter().enumerate() {
                    let (lo, hi) = (cum[code as usize], cum[code as usize + 1]);
                    let u: f64 = rng.random();
                    fractions[*v].get_or_insert_with(|| vec![0.5; len])[r] = u;
                    scores[r * g + i] =
                        super::copula::phi_inv((lo + u * (hi - lo)).clamp(1e-9, 1.0 - 1e-9));
                }
            }
            super::copula::uniforms(&c.chol, c.k, g, &scores, len, &mut rng)
        });
        for (ni, n) in self.nodes.iter().enumerate() {
            if let Some((_, c)) = fixed.iter().find(|(v, _)| *v == n.var) {
                // Its value is drawn in its bin without the copula (its code was not).
                codes[n.var] = c.to_vec();
                continue;
            }
            let mut rng = stream(self.seed, &self.vars[n.var].name, 0, block);
            let slot = self
                .copula
                .as_ref()
                .and_then(|c| c.at[ni].map(|j| (j, c.k)));
            let mut keys = vec![0u32; len];
            for (p, card, map) in &n.parents {
                for (k, c) in keys.iter_mut().zip(&codes[*p]) {
                    *k = *k * card + if map.is_empty() { *c } else { map[*c as usize] };
                }
            }
            let mut within = slot.map(|_| vec![0.5; len]);
            let drawn = keys
                .iter()
                .enumerate()
                .map(|(r, &k)| {
                    let at = k as usize * n.card;
                    let cdf = &n.cdf[at..at + n.card];
                    match (slot, &shared, within.as_mut()) {
                        (Some((j, k)), Some(us), Some(w)) => {
                            let u = us[r * k + j];
                            let c = draw(cdf, u);
                            // Where in the code's step u fell: the value's place in its bin.
                            let lo = if c == 0 { 0.0 } else { cdf[c as usize - 1] };
                            let step = cdf[c as usize] - lo;
                            w[r] = if step > 0.0 {
                                ((u - lo) / step).clamp(0.0, 1.0)
                            } else {
                                0.5
                            };
                            c
                        }
                        _ => draw(cdf, rng.random()),
                    }
                })
                .collect();
            if let Some(w) = within {
                fractions[n.var] = Some(w);
            }
            codes[n.var] = drawn;
        }
        let ids = match &self.ids {
            Some(s) => {
                let given: Vec<PlaceGiven> = self
                    .place_given
                    .iter()
                    .filter_map(|(place, v)| {
                        let VarKind::Categorical { levels } = &self.vars[*v].kind else {
                            return None;
                        };
                        Some(PlaceGiven {
                            place: place.clone(),
                            // A null (its code is past the levels) or a merged level names no
                            // place: that row's place is drawn freely.
                            values: codes[*v]
                                .iter()
                                .map(|&c| levels.get(c as usize).cloned())
                                .collect(),
                        })
                    })
                    .collect();
                Some(s.block_given(block, rows, &given)?)
            }
            None => None,
        };
        let arrays: Vec<ArrayRef> = self
            .outputs
            .iter()
            .map(|o| match o {
                Out::Var(v, ty) => {
                    self.values(*v, *ty, &codes[*v], fractions[*v].as_deref(), block)
                }
                Out::Id(k) => ids
                    .as_ref()
                    .map(|b| b.column(*k).clone())
                    .expect("identifier batches exist when identifiers are regenerated"),
            })
            .collect();
        Ok(RecordBatch::try_new(self.arrow.clone(), arrays)?)
    }
}

/// The codes of `var` for loaded `values` (see [`Sampler::given_codes`]).
fn codes_of(var: &Variable, values: &Values) -> Vec<u32> {
    let card = var.cardinality() as u32;
    let null = if var.null { card - 1 } else { 0 };
    match (&var.kind, values) {
        (VarKind::Categorical { levels }, _) => {
            let index: std::collections::HashMap<&str, u32> = levels
                .iter()
                .enumerate()
                .map(|(i, l)| (l.as_str(), i as u32))
                .collect();
            let other = index.get(OTHER).copied().unwrap_or(null);
            let of = |t: &str| index.get(t).copied().unwrap_or(other);
            match values {
                Values::Cat { codes, levels: own } => {
                    let map: Vec<u32> = own.iter().map(|l| of(l)).collect();
                    codes
                        .iter()
                        .map(|&c| if c == NULL { null } else { map[c as usize] })
                        .collect()
                }
                // An integer label's classes are whole numbers.
                Values::Num(xs) => xs
                    .iter()
                    .map(|x| {
                        if x.is_nan() {
                            null
                        } else {
                            of(&format!("{x}"))
                        }
                    })
                    .collect(),
            }
        }
        (VarKind::Numeric { bins, .. }, Values::Num(xs)) => xs
            .iter()
            .map(|&x| {
                if x.is_nan() {
                    return null;
                }
                let k = bins
                    .iter()
                    .position(|b| x < b.hi || (b.is_point() && x == b.lo))
                    .unwrap_or(bins.len().saturating_sub(1));
                k as u32
            })
            .collect(),
        // Text for a numeric variable: the type differs; every row is the null code.
        (VarKind::Numeric { .. }, Values::Cat { codes, .. }) => vec![null; codes.len()],
    }
}

impl Model {
    /// The embedded schema, parsed.
    pub fn schema(&self) -> Result<Schema, ModelError> {
        Ok(Schema::from_str_named(
            &self.schema.yaml,
            &self.schema.file,
        )?)
    }
}
