//! `fit` in steps over chunks of a table, each with a mergeable state, so that a table split
//! across processes (Spark partitions) gives the same model as one process:
//!
//! 1. [`FitSummary`]: per column, rows per level or distinct value. Merged, it fixes the
//!    variables (levels and bins) and, through [`FitPlan::new`], the plan: the safety net
//!    for undeclared identifiers, the head and the encoders that code any chunk.
//! 2. [`CodeCounts`]: rows per distinct tuple of codes (every modelled variable). Everything
//!    discrete in the fit is a function of these counts: the deterministic relations, the
//!    held-out choice of the penalty (a fifth of the tuples, picked by a hash of the tuple
//!    and the seed), the structure search, the head and node tables and the pair terms. Its
//!    size is the number of distinct tuples: at most the rows, usually far fewer.
//!    [`FitPlan::structure`] turns the merged counts into [`FitStructure`]: the model without
//!    its copula.
//! 3. [`CopulaSums`]: per chunk, the sums of the normal scores of the copula's variables and
//!    of their products, in fixed point (2^-32) as integers, so that sums over chunks are
//!    exact whatever the order. [`FitStructure::finish`] turns them into the correlation
//!    matrix and the model.
//!
//! Each state serialises with serde (JSON; floats round-trip exactly) and merges by
//! addition, associative and commutative: `tests/state_merge.rs` checks that the model from
//! chunks merged in any grouping is the model of the whole table. [`super::fit()`] runs the
//! same steps on one table.

use std::collections::BTreeMap;

use arrow_array::RecordBatch;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::discretise::{Encoded, Encoder};
use super::fit::{joint_counts, node_counts, plan, FitOptions};
use super::structure::{mutual_information, search_structure};
use super::{
    Dropped, EmbeddedSchema, FitInfo, FitSummary, Head, Ledger, Model, ModelError, Node, Variable,
    FORMAT, VERSION,
};
use crate::deid::detect::ColumnScan;
use crate::hash::FastMap;
use crate::io::table::Table;
use crate::io::{Batches, Input};
use crate::schema::{ColumnType, Role, Schema};

/// What the merged [`FitSummary`] fixes: the variables, their encoders and the head.
#[derive(Debug)]
pub struct FitPlan {
    schema: Schema,
    yaml: String,
    opts: FitOptions,
    names: Vec<String>,
    vars: Vec<Variable>,
    encoders: Vec<Encoder>,
    head_vars: Vec<usize>,
    features: Vec<usize>,
    /// Variables supplied when sampling ([`FitOptions::given`]).
    given: Vec<usize>,
    rows: u64,
    regenerated: Vec<String>,
    dropped: Vec<Dropped>,
}

/// Checks the options and that `schema_yaml` is the schema's text.
pub(super) fn check(
    schema: &Schema,
    schema_yaml: &str,
    opts: &FitOptions,
) -> Result<(), ModelError> {
    if crate::schema::sha256_hex(schema_yaml.as_bytes()) != schema.source.sha256 {
        return Err(ModelError::Invalid(
            "the schema text given does not match the loaded schema".into(),
        ));
    }
    check_privacy(opts)?;
    if opts.bins == 0 || opts.min_count == 0 {
        return Err(ModelError::Invalid(
            "--bins and --min-count must be at least 1".into(),
        ));
    }
    Ok(())
}

/// Checks the privacy options: a positive, finite budget and (Gaussian) a delta in (0, 1).
pub(super) fn check_privacy(opts: &FitOptions) -> Result<(), ModelError> {
    if let Some(e) = opts.epsilon {
        if !(e.is_finite() && e > 0.0) {
            return Err(ModelError::Invalid(format!(
                "--epsilon {e}: the privacy budget must be a positive number\n    hint: 1.0 is a common choice; smaller is more private and noisier"
            )));
        }
    }
    if opts.epsilon.is_some()
        && opts.dp_mechanism == super::DpMechanism::Gaussian
        && !(opts.delta > 0.0 && opts.delta < 1.0)
    {
        return Err(ModelError::Invalid(format!(
            "--delta {}: delta must lie strictly between 0 and 1\n    hint: the default 1e-9 is far below one over any table's row count; use --dp-mechanism laplace for delta 0",
            opts.delta
        )));
    }
    Ok(())
}

/// The `columns` of `schema` loaded from one record batch.
pub(super) fn load_batch(
    schema: &Schema,
    columns: &[String],
    batch: &RecordBatch,
) -> Result<Table, ModelError> {
    let input = Input::Memory(Batches::new("batch", batch.schema(), vec![batch.clone()])?);
    Ok(Table::load_only(&input, schema, columns)?)
}

impl FitPlan {
    /// The plan from the summary of the whole table: checks the options, refuses an empty
    /// table and one whose text columns hold identifiers the schema does not declare (the
    /// de-identification safety net), chooses the variables and checks the head's size.
    /// `opts.input` names the input in errors.
    pub fn new(
        summary: &FitSummary,
        schema: &Schema,
        schema_yaml: &str,
        opts: &FitOptions,
    ) -> Result<FitPlan, ModelError> {
        FitPlan::build(summary, schema, schema_yaml, opts, true)
    }

    /// The plan [`FitPlan::new`] made from the same summary, for coding chunks in another
    /// process: the same plan, without the safety net's classification of every level (done
    /// once, where the summary was merged).
    pub fn for_chunks(
        summary: &FitSummary,
        schema: &Schema,
        schema_yaml: &str,
        opts: &FitOptions,
    ) -> Result<FitPlan, ModelError> {
        FitPlan::build(summary, schema, schema_yaml, opts, false)
    }

    fn build(
        summary: &FitSummary,
        schema: &Schema,
        schema_yaml: &str,
        opts: &FitOptions,
        scan: bool,
    ) -> Result<FitPlan, ModelError> {
        check(schema, schema_yaml, opts)?;
        let p = plan(schema);
        // A table's part of a private fit of linked tables may be empty: that it is must not
        // change what is measured.
        if summary.rows() == 0 && opts.dp_share.is_none() {
            return Err(ModelError::Invalid(format!(
                "{}: the input has no rows to fit",
                opts.input
            )));
        }
        // The safety net: a text column full of identifiers that the schema does not declare
        // stops the fit before anything is modelled. Each distinct value is classified once.
        let counted = if scan {
            summary.level_counts()
        } else {
            Vec::new()
        };
        let scans: Vec<(&str, ColumnScan)> = counted
            .into_par_iter()
            .filter(|(name, _, _)| {
                schema
                    .column(name)
                    .is_some_and(|c| matches!(c.ty, ColumnType::String | ColumnType::Category))
            })
            .map(|(name, levels, rows)| {
                let mut scan = ColumnScan::new(name);
                for (level, n) in levels.iter().zip(rows) {
                    scan.add_repeated(Some(level), *n);
                }
                (name, scan)
            })
            .collect();
        let named: Vec<(&str, &ColumnScan)> = scans.iter().map(|(n, s)| (*n, s)).collect();
        let (_, diags) = crate::deid::run::safety_net(schema, &named);
        if !diags.is_empty() {
            return Err(ModelError::Invalid(diags.join("\n")));
        }
        let (vars, encoders): (Vec<Variable>, Vec<Encoder>) =
            summary.encoders(schema, opts)?.into_iter().unzip();

        // Given columns: supplied when sampling, so neither head nor node.
        if let Some(g) = opts
            .given
            .iter()
            .find(|g| !vars.iter().any(|v| v.name == **g))
        {
            return Err(ModelError::Invalid(format!(
                "the given column `{g}` is not a modelled column of the schema"
            )));
        }
        let is_given: Vec<bool> = vars.iter().map(|v| opts.given.contains(&v.name)).collect();
        // The head: protected, label, fairness and target columns, in schema order.
        let in_head: Vec<bool> = p
            .modelled
            .iter()
            .enumerate()
            .map(|(v, &i)| {
                let c = &schema.columns[i];
                !is_given[v]
                    && (matches!(c.role, Role::Protected | Role::Label)
                        || schema.targets.iter().any(|t| t.column == c.name)
                        || schema.fairness.as_ref().is_some_and(|f| {
                            f.label == c.name || f.independent_of.contains(&c.name)
                        }))
            })
            .collect();
        let head_vars: Vec<usize> = (0..vars.len()).filter(|&v| in_head[v]).collect();
        let fits = head_vars
            .iter()
            .try_fold(1usize, |a, &v| a.checked_mul(vars[v].cardinality()))
            .is_some_and(|c| c <= opts.max_cells);
        if !fits {
            let sizes: Vec<String> = head_vars
                .iter()
                .map(|&v| format!("{} ({})", vars[v].name, vars[v].cardinality()))
                .collect();
            return Err(ModelError::Invalid(format!(
                "the joint table of the protected, label and target columns would exceed {} cells: {}\n    hint: give numeric protected columns coarser `bins:`, merge rare levels, or fit with fewer --bins",
                opts.max_cells,
                sizes.join(" x ")
            )));
        }
        let features: Vec<usize> = (0..vars.len())
            .filter(|&v| !in_head[v] && !is_given[v])
            .collect();
        let given: Vec<usize> = (0..vars.len()).filter(|&v| is_given[v]).collect();
        Ok(FitPlan {
            schema: schema.clone(),
            yaml: schema_yaml.to_string(),
            opts: opts.clone(),
            names: summary.columns().to_vec(),
            vars,
            encoders,
            head_vars,
            features,
            given,
            rows: summary.rows(),
            regenerated: p.regenerated,
            dropped: p.dropped,
        })
    }

    /// The modelled columns, in schema order: the columns a batch must hold.
    pub fn columns(&self) -> &[String] {
        &self.names
    }

    /// Codes every row of a loaded table (a chunk of the summarised table).
    pub(super) fn encode(&self, table: &Table) -> Result<Vec<Encoded>, ModelError> {
        self.vars
            .par_iter()
            .zip(&self.encoders)
            .map(|(var, e)| {
                let col = table.column(&var.name).ok_or_else(|| {
                    ModelError::Invalid(format!("column `{}` is not in the table", var.name))
                })?;
                let (codes, within) = e.encode(&var.name, &col.values)?;
                Ok(Encoded {
                    var: var.clone(),
                    codes,
                    within,
                })
            })
            .collect()
    }

    /// An empty [`CodeCounts`] of this plan's variables.
    pub fn code_counts(&self) -> CodeCounts {
        CodeCounts::new(self.vars.len())
    }

    /// Counts the code tuples of `batch` (a chunk of the summarised table, typed as the
    /// schema says) into `counts`.
    pub fn count_codes(
        &self,
        counts: &mut CodeCounts,
        batch: &RecordBatch,
    ) -> Result<(), ModelError> {
        self.count_codes_table(counts, &load_batch(&self.schema, &self.names, batch)?)
    }

    /// [`FitPlan::count_codes`] on a loaded table (holding the modelled columns).
    pub fn count_codes_table(
        &self,
        counts: &mut CodeCounts,
        table: &Table,
    ) -> Result<(), ModelError> {
        if counts.vars != self.vars.len() {
            return Err(ModelError::Invalid(
                "the code counts are not of this plan's variables".into(),
            ));
        }
        counts.add(&self.encode(table)?);
        Ok(())
    }

    /// The structure and tables from the merged code counts of the whole table: the model
    /// without its copula. Under differential privacy the noise is drawn here.
    pub fn structure(&self, counts: &CodeCounts) -> Result<FitStructure, ModelError> {
        if counts.vars != self.vars.len() || counts.rows() != self.rows {
            return Err(ModelError::Invalid(format!(
                "the code counts ({} rows of {} variables) are not of the summarised table ({} rows of {} variables)\n    hint: count the codes of every chunk of the table the summary counted, each once",
                counts.rows(),
                counts.vars,
                self.rows,
                self.vars.len()
            )));
        }
        let (codes, w) = counts.columns();
        if let Some((v, c)) = self.vars.iter().zip(&codes).find_map(|(v, c)| {
            c.iter()
                .find(|&&k| k as usize >= v.cardinality())
                .map(|k| (v, *k))
        }) {
            return Err(ModelError::Invalid(format!(
                "the code counts hold code {c} for `{}`, which has {} codes: they are not of this plan",
                v.name,
                v.cardinality()
            )));
        }
        let enc: Vec<Encoded> = self
            .vars
            .iter()
            .zip(codes)
            .map(|(v, codes)| Encoded {
                var: v.clone(),
                codes,
                within: None,
            })
            .collect();
        Ok(self.structure_of(&enc, &w))
    }

    /// [`FitPlan::structure`] on the distinct tuples `enc` with their rows `w`.
    fn structure_of(&self, enc: &[Encoded], w: &[f64]) -> FitStructure {
        let opts = &self.opts;
        let rows = self.rows as usize;
        if opts.epsilon.is_some() {
            return self.private_structure(enc, w);
        }
        // Given variables are placed before every node, like the head (but have no table).
        let placed: Vec<usize> = self.head_vars.iter().chain(&self.given).copied().collect();
        let (head_vars, features) = (&placed, &self.features);
        let in_head = |v: usize| head_vars.contains(&v);
        let pairs: Vec<(usize, usize)> = (0..enc.len())
            .flat_map(|a| (a + 1..enc.len()).map(move |b| (a, b)))
            .filter(|&(a, b)| !in_head(a) || !in_head(b))
            .collect();
        let structure_needed = !features.is_empty() && enc.len() > 1;

        // Pairwise mutual information, needed only to pick a root when there is no head.
        let mut mi = vec![vec![0.0; enc.len()]; enc.len()];
        if structure_needed && head_vars.is_empty() {
            let values: Vec<f64> = pairs
                .par_iter()
                .map(|&(a, b)| {
                    let t = joint_counts(enc, w, &[a, b]);
                    mutual_information(&t, enc[a].card(), enc[b].card())
                })
                .collect();
            for (&(a, b), v) in pairs.iter().zip(values) {
                mi[a][b] = v;
                mi[b][a] = v;
            }
        }
        // Deterministic relations (a level and its number): kept exactly by the structure.
        let relations = super::structure::relations(enc, rows);
        // The structure penalty, chosen on held-out tuples.
        let (penalty, penalty_scores) = super::structure::choose_penalty(
            enc, w, head_vars, features, &mi, &relations, rows, opts,
        );
        let structure = search_structure(
            enc, w, head_vars, features, &mi, &relations, rows, penalty, opts,
        );

        // Tables.
        let head_counts = joint_counts(enc, w, &self.head_vars);
        let mut nodes: Vec<Node> = structure
            .par_iter()
            .map(|(var, choice)| Node {
                var: *var,
                parents: choice.parents.clone(),
                groups: if choice.maps.iter().all(Vec::is_empty) {
                    Vec::new()
                } else {
                    choice.maps.clone()
                },
                counts: node_counts(enc, w, *var, &choice.parents, &choice.maps),
            })
            .collect();
        // Pair terms where a node's parents miss a two-way table.
        super::terms::add_pair_terms(
            enc, w, &mut nodes, &structure, head_vars, rows, penalty, opts,
        );
        // Nodes drawn from their determinant alone: outside the copula.
        let exact: Vec<usize> = relations
            .iter()
            .filter(|(a, b)| nodes.iter().any(|n| n.var == *b && n.parents == [*a]))
            .map(|r| r.1)
            .collect();
        let model = self.model(
            rows as u64,
            None,
            head_counts,
            nodes,
            penalty,
            penalty_scores
                .iter()
                .map(|&(factor, log_likelihood)| super::PenaltyScore {
                    factor,
                    log_likelihood,
                })
                .collect(),
        );
        FitStructure {
            model,
            exact: Some(exact),
        }
    }

    /// The differentially private structure and tables ([`super::private`]).
    fn private_structure(&self, enc: &[Encoded], w: &[f64]) -> FitStructure {
        let label_name = self
            .schema
            .fairness
            .as_ref()
            .map(|f| f.label.clone())
            .or_else(|| {
                self.schema
                    .columns
                    .iter()
                    .find(|c| c.role == Role::Label)
                    .map(|c| c.name.clone())
            });
        let label = label_name
            .and_then(|n| self.vars.iter().position(|v| v.name == n))
            .filter(|v| self.head_vars.contains(v));
        // Forced parents (a linked table's order column given its position), by index.
        let index = |n: &str| self.vars.iter().position(|v| v.name == n);
        let forced: Vec<(usize, usize)> = self
            .opts
            .forced_parents
            .iter()
            .filter_map(|(x, p)| Some((index(x)?, index(p)?)))
            .collect();
        let roles = super::private::Roles {
            head: &self.head_vars,
            features: &self.features,
            label,
            given: &self.given,
            forced: &forced,
        };
        let p = super::private::fit_private(enc, w, &roles, &self.opts);
        let model = self.model(
            p.rows,
            Some(p.ledger),
            p.head,
            p.nodes,
            super::structure::PENALTIES[0],
            Vec::new(),
        );
        FitStructure { model, exact: None }
    }

    /// The model (without its copula) from its tables.
    fn model(
        &self,
        rows: u64,
        privacy: Option<Ledger>,
        head_counts: Vec<f64>,
        nodes: Vec<Node>,
        penalty: f64,
        penalty_held_out: Vec<super::PenaltyScore>,
    ) -> Model {
        let opts = &self.opts;
        Model {
            format: FORMAT.into(),
            version: VERSION,
            fairsynth: env!("CARGO_PKG_VERSION").into(),
            schema: EmbeddedSchema {
                file: self.schema.source.file.clone(),
                sha256: self.schema.source.sha256.clone(),
                yaml: self.yaml.clone(),
            },
            fit: FitInfo {
                input: opts.input.clone(),
                input_sha256: opts.input_sha256.clone(),
                seed: opts.seed,
                min_count: opts.min_count,
                bins: opts.bins,
                max_parents: opts.max_parents,
                penalty,
                penalty_held_out,
            },
            rows,
            privacy,
            variables: self.vars.clone(),
            head: Head {
                vars: self.head_vars.clone(),
                counts: head_counts,
            },
            nodes,
            given: self.given.clone(),
            copula: None,
            regenerated: self.regenerated.clone(),
            dropped: self.dropped.clone(),
        }
    }

    /// Adds the copula scores of `batch` (a chunk of the summarised table) to `sums`.
    pub fn count_copula(
        &self,
        structure: &FitStructure,
        sums: &mut CopulaSums,
        batch: &RecordBatch,
    ) -> Result<(), ModelError> {
        self.count_copula_table(
            structure,
            sums,
            &load_batch(&self.schema, &self.names, batch)?,
        )
    }

    /// [`FitPlan::count_copula`] on a loaded table (holding the modelled columns).
    pub fn count_copula_table(
        &self,
        structure: &FitStructure,
        sums: &mut CopulaSums,
        table: &Table,
    ) -> Result<(), ModelError> {
        self.add_copula(structure, sums, &self.encode(table)?)
    }

    /// Adds the copula scores of the coded rows `enc` to `sums`.
    pub(super) fn add_copula(
        &self,
        structure: &FitStructure,
        sums: &mut CopulaSums,
        enc: &[Encoded],
    ) -> Result<(), ModelError> {
        let members = structure
            .exact
            .as_ref()
            .and_then(|e| super::copula::members(&structure.model, e));
        if enc.len() != self.vars.len()
            || structure.model.variables != self.vars
            || members.as_ref().map(|(v, g)| (v, *g)) != Some((&sums.vars, sums.given))
        {
            return Err(ModelError::Invalid(
                "the copula sums or the structure are not of this plan".into(),
            ));
        }
        super::copula::add_scores(&structure.model, enc, sums);
        Ok(())
    }
}

/// Rows per distinct tuple of codes (one code per modelled variable): the state of step 2.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(into = "FlatCodes", try_from = "FlatCodes")]
pub struct CodeCounts {
    vars: usize,
    tuples: FastMap<Box<[u32]>, u64>,
}

/// The serialised form of [`CodeCounts`]: tuples in order, row-major.
#[derive(Serialize, Deserialize)]
struct FlatCodes {
    vars: usize,
    codes: Vec<u32>,
    rows: Vec<u64>,
}

impl From<CodeCounts> for FlatCodes {
    fn from(c: CodeCounts) -> FlatCodes {
        let sorted: BTreeMap<Box<[u32]>, u64> = c.tuples.into_iter().collect();
        let mut codes = Vec::with_capacity(sorted.len() * c.vars);
        let mut rows = Vec::with_capacity(sorted.len());
        for (t, n) in sorted {
            codes.extend_from_slice(&t);
            rows.push(n);
        }
        FlatCodes {
            vars: c.vars,
            codes,
            rows,
        }
    }
}

impl TryFrom<FlatCodes> for CodeCounts {
    type Error = String;

    fn try_from(f: FlatCodes) -> Result<CodeCounts, String> {
        if f.vars == 0 && !f.rows.is_empty() || f.codes.len() != f.rows.len() * f.vars {
            return Err(format!(
                "code counts: {} codes for {} tuples of {} variables",
                f.codes.len(),
                f.rows.len(),
                f.vars
            ));
        }
        let mut tuples = FastMap::default();
        for (t, n) in f.codes.chunks(f.vars.max(1)).zip(f.rows) {
            *tuples.entry(Box::from(t)).or_default() += n;
        }
        Ok(CodeCounts {
            vars: f.vars,
            tuples,
        })
    }
}

impl CodeCounts {
    /// No rows of `vars` variables.
    pub fn new(vars: usize) -> CodeCounts {
        CodeCounts {
            vars,
            tuples: FastMap::default(),
        }
    }

    /// Rows counted.
    pub fn rows(&self) -> u64 {
        self.tuples.values().sum()
    }

    /// Distinct tuples counted.
    pub fn tuples(&self) -> usize {
        self.tuples.len()
    }

    /// Counts the rows of `enc` (one code column per variable).
    pub(super) fn add(&mut self, enc: &[Encoded]) {
        let rows = enc.first().map_or(0, |e| e.codes.len());
        let mut key = vec![0u32; enc.len()];
        for r in 0..rows {
            for (k, e) in key.iter_mut().zip(enc) {
                *k = e.codes[r];
            }
            match self.tuples.get_mut(key.as_slice()) {
                Some(n) => *n += 1,
                None => {
                    self.tuples.insert(Box::from(key.as_slice()), 1);
                }
            }
        }
    }

    /// Adds the counts of `other` (of the same variables).
    pub fn merge(&mut self, other: CodeCounts) -> Result<(), ModelError> {
        if self.vars != other.vars {
            return Err(ModelError::Invalid(format!(
                "cannot merge code counts of {} and {} variables",
                self.vars, other.vars
            )));
        }
        for (t, n) in other.tuples {
            *self.tuples.entry(t).or_default() += n;
        }
        Ok(())
    }

    /// The distinct tuples in order, as one code column per variable, and their rows.
    fn columns(&self) -> (Vec<Vec<u32>>, Vec<f64>) {
        let mut sorted: Vec<(&[u32], u64)> =
            self.tuples.iter().map(|(t, n)| (&t[..], *n)).collect();
        sorted.sort_unstable();
        let cols = (0..self.vars)
            .map(|v| sorted.iter().map(|(t, _)| t[v]).collect())
            .collect();
        (cols, sorted.iter().map(|(_, n)| *n as f64).collect())
    }
}

/// The model without its copula, and the nodes a deterministic relation draws (outside the
/// copula; `None` under differential privacy, where there is no copula): the state between
/// steps 2 and 3.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FitStructure {
    model: Model,
    exact: Option<Vec<usize>>,
}

impl FitStructure {
    /// Empty sums for the copula's variables, or `None` when the model has no copula (under
    /// differential privacy, or with fewer than two numeric variables).
    pub fn copula_sums(&self) -> Option<CopulaSums> {
        let exact = self.exact.as_ref()?;
        let (vars, given) = super::copula::members(&self.model, exact)?;
        Some(CopulaSums::new(vars, given))
    }

    /// The model, with the copula from the merged sums over the whole table.
    pub fn finish(self, sums: Option<CopulaSums>) -> Result<Model, ModelError> {
        let mut model = self.model;
        let want = self
            .exact
            .as_ref()
            .and_then(|e| super::copula::members(&model, e));
        match (want, sums) {
            (None, _) => {}
            (Some(_), None) => {
                return Err(ModelError::Invalid(
                    "the copula's sums are missing: count them over the table".into(),
                ))
            }
            (Some((vars, given)), Some(s)) => {
                if s.vars != vars || s.given != given || s.rows != model.rows || !s.well_formed() {
                    return Err(ModelError::Invalid(format!(
                        "the copula's sums ({} rows) are not of this structure ({} rows)",
                        s.rows, model.rows
                    )));
                }
                model.copula = super::copula::from_sums(&s, &model.nodes);
            }
        }
        Ok(model)
    }
}

/// Sums of the copula's normal scores and of their products over rows, in fixed point
/// (`2^-32`), exact and order-free: the state of step 3.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CopulaSums {
    /// The copula's variables: first `given` head variables, then nodes.
    pub(super) vars: Vec<usize>,
    /// How many of `vars` are head variables.
    pub(super) given: usize,
    /// Rows summed.
    pub(super) rows: u64,
    /// Per variable, the sum of its scores.
    #[serde(with = "wide")]
    pub(super) sum: Vec<i128>,
    /// Per pair `(i, j)` with `j <= i`, the sum of the products (lower triangle, row-major).
    #[serde(with = "wide")]
    pub(super) prod: Vec<i128>,
}

impl CopulaSums {
    fn new(vars: Vec<usize>, given: usize) -> CopulaSums {
        let k = vars.len();
        CopulaSums {
            vars,
            given,
            rows: 0,
            sum: vec![0; k],
            prod: vec![0; k * (k + 1) / 2],
        }
    }

    /// Whether the sums have one entry per variable and per pair of them.
    fn well_formed(&self) -> bool {
        let k = self.vars.len();
        self.given <= k && self.sum.len() == k && self.prod.len() == k * (k + 1) / 2
    }

    /// Adds the sums of `other` (of the same variables).
    pub fn merge(&mut self, other: CopulaSums) -> Result<(), ModelError> {
        if self.vars != other.vars
            || self.given != other.given
            || !self.well_formed()
            || !other.well_formed()
        {
            return Err(ModelError::Invalid(
                "cannot merge copula sums of other variables".into(),
            ));
        }
        self.rows += other.rows;
        for (a, b) in self.sum.iter_mut().zip(other.sum) {
            *a += b;
        }
        for (a, b) in self.prod.iter_mut().zip(other.prod) {
            *a += b;
        }
        Ok(())
    }
}

/// 128-bit integers as decimal strings (JSON numbers stop at 64 bits for many readers).
mod wide {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &[i128], s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(v.iter().map(ToString::to_string))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<i128>, D::Error> {
        let v: Vec<String> = Vec::deserialize(d)?;
        v.iter()
            .map(|x| x.parse().map_err(serde::de::Error::custom))
            .collect()
    }
}
