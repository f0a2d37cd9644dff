//! Fitted models of real tables: the versioned model file ([`Model`]), fitting it
//! ([`fit()`], a Bayesian network on discretised columns, optionally differentially private),
//! and sampling synthetic tables from it ([`Sampler`]) with target shares and label parity.
//!
//! # The model
//! Every modelled column is a discrete *variable*: a categorical column keeps its levels (rare
//! ones merged into [`OTHER`]; an integer label without bins is categorical too); a numeric,
//! date or timestamp column is cut into bins (see [`Bin`]). A null is one more code.
//! - A value held by at least `min_count` rows is *frequent*. A numeric column whose frequent
//!   values hold all but 1 % of its rows, or that holds whole numbers with at most 128 distinct
//!   values, is *discrete*: it is modelled as its frequent values only (each rarer value is
//!   counted at the nearest frequent value of its schema band), so every sampled value is one
//!   the real column has. With at most `2 · bins` frequent values each is a bin of its own (a
//!   code and its label, a level and its number map one to one); otherwise a value of a whole
//!   bin's share of the rows (`rows / bins`) is a bin of its own and consecutive other values
//!   share the bins left, in equal shares of the rows left.
//! - Other numeric columns are *continuous*: their frequent values are exact points inside
//!   their bins, and the rarer rows form each bin's continuous part between edges snapped to a
//!   decimal grid (the coarsest grid point between two neighbouring values), with a shape of
//!   [`SHAPE_PARTS`] sub-intervals when at least `min_count` rows give it.
//! - Schema band edges (`bins.edges`) always split bins; schema `min`/`max` only clamp sampled
//!   values (and bound the domain under differential privacy): they never stretch the range.
//!
//! The joint distribution factorises as
//! `P(head) · Π P(node | parents)`, with a Gaussian copula on top:
//! - the *head* is the full joint table of the protected columns, the target columns and the
//!   label, so that sampling can move their shares to targets (raking) and make the label
//!   independent of the protected columns without losing how the rest depend on them;
//! - every other column is a *node* whose parents (at most `max_parents`) are earlier head
//!   columns or nodes, chosen greedily by penalised likelihood gain (under differential
//!   privacy: see [`private`]). A parent may enter through a coarse view, its
//!   codes merged into 2, 4 or 8 groups: a numeric parent's neighbouring bins (by rows, or
//!   where they say most alike about the child), a categorical parent's levels where they say
//!   most alike about the child. The penalty per free parameter is a factor
//!   of `ln N` (0.5 is BIC) chosen among 0.5, 0.35 and 0.25 by the log-likelihood of a
//!   held-out fifth of the rows (a fifth of the distinct rows, picked by a hash of their codes
//!   and the seed, so the choice does not depend on row order or chunking);
//! - deterministic relations of the data (each code of one column occurs with a single code of
//!   another: `education` and `education_num`) are kept exactly: a determined column is drawn
//!   from its determinant alone, and a column that determines one drawn before it has that
//!   column as its first parent;
//! - pair terms (up to three per node) add the two-way tables of the node with earlier columns
//!   (their codes, or a coarse view of them for this node) that its parents miss, `P(c | parents, a) ∝ q(parents, c) · r(a, c)`, at a cost that
//!   grows with the sum of the tables, not their product; the refined table is stored as the
//!   node's table with the extra columns as its last parents;
//! - the copula ([`Copula`]) correlates the uniforms with which numeric nodes are drawn from
//!   their tables (and the place of the value inside its bin), conditional on the head's numeric
//!   and two-level columns, so numeric dependence that the parent sets miss is kept (the
//!   correlation of latent normals, corrected for the ties of discrete columns).
//!
//! # The file (format `fairsynth-model`, version 2)
//! JSON with these members: `format`, `version`, `fairsynth` (tool version), `schema` (the
//! schema's file name, SHA-256 and YAML text, so that sampling knows types and generators),
//! `fit` (input name and SHA-256, seed, `min_count`, `bins`, `max_parents`, the chosen
//! `penalty` and `penalty_held_out`: each factor's held-out log-likelihood per row), `rows`
//! (default sample size), `privacy` (the epsilon ledger, or null), `variables` (name, `kind`:
//! `categorical` with `levels`, or `numeric` with `integer` and `bins`: `lo`, `hi`, `shape`,
//! `points` (`value`, `count`) and `spread`; `null`: whether the last code is null), `head`
//! (`vars`, `counts`: row-major joint counts, last variable fastest), `nodes` (`var`,
//! `parents`, `groups`: per parent its code -> group map when seen through a coarse view,
//! `counts`: per parent configuration (row-major over the parents) the counts of each code),
//! `copula` (`vars`, `given`: how many of them are head variables, `correlation`: the
//! row-major correlation matrix of their normal scores, rounded to 4 decimals), `regenerated`
//! (identifier columns drawn again from their schema generator) and `dropped` (columns not in
//! the model, with the reason). Version 1 files (bins of raw quantile edges) are refused with
//! a hint to fit again.
//!
//! The file holds no row and no individual's value: every number it stores as a value of a
//! column (a bin's `lo`, `hi`, a point's `value`) and every level is either held by at least
//! `min_count` input rows, or comes from the schema (levels, band edges), or is a grid point
//! that no input row holds (`tests/realism.rs` checks this on two real tables). Besides those
//! it holds counts (of rows per table cell, per point and per bin's continuous part), shape
//! shares, group maps of code indices and the copula's correlations: aggregates, never a value.
//! Counts of small cells are exact without differential privacy: fit with `--epsilon` for a
//! formal guarantee (then bins, levels and bounds come from the schema alone, the structure
//! and tables come from the marginal mechanism of [`private`], and the relations, pair
//! terms, the held-out penalty choice and the copula are left out).
//!
//! # In pieces
//! `fit` runs in three steps over chunks of the table, each with a mergeable, serialisable
//! state ([`steps`](FitPlan)): [`FitSummary`] (rows per level or value: the variables and
//! the [`FitPlan`]), [`CodeCounts`] (rows per distinct tuple of codes: the structure, the
//! tables and the held-out choice of the penalty, giving a [`FitStructure`]) and
//! [`CopulaSums`] (exact fixed-point sums of the copula's scores). Chunks merged in any
//! order give the model of the whole table; [`fit()`] is the same steps on one table, and
//! `fairsynth.spark.fit` runs them over a DataFrame's partitions.
//!
//! ```
//! use fairsynth::io::read::Format;
//! use fairsynth::model::{fit_file, FitOptions, SampleOptions, Sampler};
//! use fairsynth::schema::Schema;
//! use fairsynth::synth::BlockSource;
//!
//! let yaml = std::fs::read_to_string("schemas/adult.yaml")?;
//! let schema = Schema::from_str_named(&yaml, "schemas/adult.yaml")?;
//! let sample = std::path::Path::new("tests/data/adult_sample.csv");
//! let model = fit_file(sample, Format::Csv, &schema, &yaml, &FitOptions::default())?;
//! let opts = SampleOptions { seed: 7, targets: schema.targets.clone(), fairness: true };
//! let sampler = Sampler::new(&model, &opts)?;
//! let batch = sampler.block(0, 1000)?; // the first 1000 synthetic rows
//! assert_eq!(batch.num_rows(), 1000);
//! assert!(batch.schema().field_with_name("fnlwgt").is_err()); // a weight: not modelled
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::io::read::ReadError;
use crate::io::IoError;
use crate::schema::SchemaError;
use crate::synth::SynthError;

mod copula;
mod discretise;
mod fit;
mod head;
pub mod linked;
pub mod private;
mod sample;
mod steps;
mod structure;
mod summary;
mod terms;

pub use fit::{fit, fit_file, fit_input, fit_input_counted, FitOptions};
pub use head::SampleOptions;
pub use head::{GroupRate, Parity, SampleReport};
pub use private::{DpMechanism, DpShare, DEFAULT_DELTA};
pub use sample::Sampler;
pub use steps::{CodeCounts, CopulaSums, FitPlan, FitStructure};
pub use summary::FitSummary;

/// The `format` member of every model file.
pub const FORMAT: &str = "fairsynth-model";
/// The model file version this build writes and reads.
pub const VERSION: u32 = 2;
/// The level that rare categories are merged into.
pub const OTHER: &str = "(other)";
/// Sub-intervals of an interval bin's shape.
pub const SHAPE_PARTS: usize = 8;

/// Errors from fitting, reading or sampling a model.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    /// The input could not be read.
    #[error(transparent)]
    Read(#[from] ReadError),
    /// The embedded schema or a targets file is invalid.
    #[error(transparent)]
    Schema(#[from] SchemaError),
    /// The model file could not be opened.
    #[error("{path}: cannot read the model: {source}")]
    Open {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// The file is not a model this version reads.
    #[error("{path}: {message}\n    hint: {hint}")]
    Format {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
        /// How to fix it.
        hint: String,
    },
    /// The request cannot be met (the message names the column or option and the fix).
    #[error("{0}")]
    Invalid(String),
    /// Generating identifier columns or building arrays failed.
    #[error(transparent)]
    Synth(#[from] SynthError),
    /// Writing failed.
    #[error(transparent)]
    Io(#[from] IoError),
}

/// A fitted model (see the module documentation for the file format).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Model {
    /// Always [`FORMAT`].
    pub format: String,
    /// The file version ([`VERSION`]).
    pub version: u32,
    /// The fairsynth version that fitted it.
    pub fairsynth: String,
    /// The schema the model was fitted with.
    pub schema: EmbeddedSchema,
    /// How it was fitted.
    pub fit: FitInfo,
    /// Default rows to sample: the input's row count (noisy under differential privacy).
    pub rows: u64,
    /// The differential-privacy ledger, when fitted with `--epsilon`.
    pub privacy: Option<Ledger>,
    /// The modelled columns, in schema order.
    pub variables: Vec<Variable>,
    /// The joint table of the protected, target and label columns.
    pub head: Head,
    /// Every other modelled column, in sampling order (parents before children).
    pub nodes: Vec<Node>,
    /// Variables whose codes the caller supplies when sampling (a child table's context, see
    /// [`Sampler::block_given`]): neither head nor node.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub given: Vec<usize>,
    /// The Gaussian copula over numeric nodes (none under differential privacy).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub copula: Option<Copula>,
    /// Identifier columns regenerated from their schema generator when sampling.
    pub regenerated: Vec<String>,
    /// Columns left out of the model and the output.
    pub dropped: Vec<Dropped>,
}

/// The schema text a model was fitted with.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EmbeddedSchema {
    /// The file as named when fitting.
    pub file: String,
    /// SHA-256 of the file.
    pub sha256: String,
    /// The YAML text.
    pub yaml: String,
}

/// Fit options and input, recorded for provenance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FitInfo {
    /// The input file's name (no directory).
    pub input: String,
    /// SHA-256 of the input file.
    pub input_sha256: String,
    /// The seed (structure search and noise).
    pub seed: u64,
    /// Smallest count of a kept category and of an interval bin.
    pub min_count: u64,
    /// Target bins per numeric column.
    pub bins: usize,
    /// Most parents per node.
    pub max_parents: usize,
    /// The structure search's penalty per free parameter, as a factor of `ln N` (0.5: BIC),
    /// chosen by held-out likelihood.
    pub penalty: f64,
    /// Each penalty factor tried and the held-out log-likelihood per row it gave (empty when
    /// not chosen on held-out rows).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub penalty_held_out: Vec<PenaltyScore>,
}

/// A penalty factor and the held-out log-likelihood per row of the structure it gave.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PenaltyScore {
    /// The factor of `ln N`.
    pub factor: f64,
    /// Mean log-likelihood (nats) of a held-out row under the nodes.
    pub log_likelihood: f64,
}

/// One modelled column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Variable {
    /// The column.
    pub name: String,
    /// Levels or bins.
    #[serde(flatten)]
    pub kind: VarKind,
    /// Whether the last code stands for null.
    pub null: bool,
}

/// How a variable's codes map to values.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum VarKind {
    /// Code `i` is `levels[i]`.
    Categorical {
        /// The levels, schema levels first.
        levels: Vec<String>,
    },
    /// Code `i` is a value drawn from `bins[i]`.
    Numeric {
        /// Whether values are whole numbers (ints, days, microseconds).
        integer: bool,
        /// Ordered, non-overlapping bins.
        bins: Vec<Bin>,
        /// Decimal places of every real value of a float column (at most 6), to which sampled
        /// values are rounded (amounts in cents stay in cents); `None`: not rounded.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        decimals: Option<u32>,
    },
}

/// A numeric bin. Without `points`: the point `lo` when `lo == hi`, else the interval
/// `[lo, hi)` drawn by `shape`. With `points`: one of them by its count, or (with weight
/// `spread`) the continuous part in `[lo, hi)`; a bin of points alone spans `lo..=hi`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Bin {
    /// Lower end (inclusive).
    pub lo: f64,
    /// Upper end (exclusive; equal to `lo` for a point).
    pub hi: f64,
    /// Shares of [`SHAPE_PARTS`] equal sub-intervals of the continuous part (empty: uniform).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub shape: Vec<f64>,
    /// Exact values of the bin, each held by at least `min_count` input rows, with their row
    /// counts. Empty: the bin is the interval `[lo, hi)` (or the point `lo`) alone.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub points: Vec<Point>,
    /// Rows of the bin at none of its `points`, drawn from `[lo, hi)` by `shape` (only when
    /// `points` is not empty).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub spread: f64,
}

fn is_zero(x: &f64) -> bool {
    *x == 0.0
}

/// An exact value inside a numeric bin.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Point {
    /// The value (held by at least `min_count` input rows).
    pub value: f64,
    /// Its row count.
    pub count: f64,
}

impl Bin {
    /// Whether the bin is a single value.
    pub fn is_point(&self) -> bool {
        self.lo == self.hi
    }
}

impl Variable {
    /// Number of codes, the null code included.
    pub fn cardinality(&self) -> usize {
        let n = match &self.kind {
            VarKind::Categorical { levels } => levels.len(),
            VarKind::Numeric { bins, .. } => bins.len(),
        };
        n + usize::from(self.null)
    }
}

/// The joint table of the head variables.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Head {
    /// Variable indices.
    pub vars: Vec<usize>,
    /// Counts, row-major (last variable fastest).
    pub counts: Vec<f64>,
}

/// A variable drawn given its parents.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Node {
    /// The variable.
    pub var: usize,
    /// Parent variables (head variables or earlier nodes).
    pub parents: Vec<usize>,
    /// Per parent, how its codes group (code -> group: consecutive bins of a numeric parent
    /// merged); an empty list is the parent's own codes, and no lists at all means every parent
    /// by its own codes. Bin indices only, never values.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<Vec<u32>>,
    /// Counts per parent configuration (row-major over `parents`), then per code.
    pub counts: Vec<f64>,
}

/// Residual dependence of numeric nodes: their codes are drawn at correlated uniforms.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Copula {
    /// The variables, in this order: first `given` head variables, then nodes.
    pub vars: Vec<usize>,
    /// How many of `vars` are head variables (drawn before the nodes).
    #[serde(default)]
    pub given: usize,
    /// Correlation matrix of their normal scores, row-major (positive definite).
    pub correlation: Vec<f64>,
}

/// A column the model leaves out.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Dropped {
    /// The column.
    pub column: String,
    /// Why.
    pub reason: String,
}

/// Where the privacy budget went.
///
/// Under the Gaussian mechanism the guarantee is ρ-zCDP: the entries' `rho` add up to `rho`,
/// and `epsilon` is that ρ converted to (ε, δ)-DP at `delta` (Canonne, Kamath & Steinke
/// 2020); an entry's own `epsilon` is its ρ converted alone (these do not add up). Under the
/// Laplace mechanism the guarantee is pure ε-DP: `delta` is 0 and the entries' `epsilon` add
/// up to `epsilon`. The released row count (the model's `rows`) is the total of the noisy
/// tables, post-processing: it costs nothing more.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Ledger {
    /// The total epsilon.
    pub epsilon: f64,
    /// The total delta (0 for pure epsilon-DP).
    #[serde(default)]
    pub delta: f64,
    /// The total rho of zero-concentrated DP (Gaussian mechanism only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rho: Option<f64>,
    /// The noise mechanism and the accounting.
    pub mechanism: String,
    /// The neighbouring relation the guarantee is for.
    pub neighbouring: String,
    /// One entry per group of queries.
    pub entries: Vec<LedgerEntry>,
}

/// One use of the privacy budget: a group of queries of sensitivity 1 with the same noise.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LedgerEntry {
    /// What the queries were for.
    pub purpose: String,
    /// `gaussian`, `laplace` (noisy count tables) or `exponential` (private choices).
    #[serde(default)]
    pub mechanism: String,
    /// How many queries (count tables, or choices).
    pub tables: usize,
    /// Epsilon of the group alone (see [`Ledger`] for how they compose).
    pub epsilon: f64,
    /// Rho (zCDP) of the group: `tables · sensitivity² / (2 scale²)` for the Gaussian mechanism,
    /// `tables · scale² / 8` for the exponential one; 0 under pure epsilon-DP.
    #[serde(default)]
    pub rho: f64,
    /// The noise: Gaussian σ or Laplace scale of every count; for the exponential mechanism
    /// the epsilon of each choice.
    pub scale: f64,
    /// The sensitivity of each query (of a count table: the most rows one person adds,
    /// removes or changes, a changed row counting twice; of the selection: of its scores).
    /// 1, and not written, for a fit of one table, where a person is a row.
    #[serde(default = "one", skip_serializing_if = "is_one")]
    pub sensitivity: f64,
}

fn one() -> f64 {
    1.0
}

#[allow(clippy::trivially_copy_pass_by_ref)]
fn is_one(x: &f64) -> bool {
    *x == 1.0
}

impl Ledger {
    /// Whether the guarantee is pure epsilon-DP (the Laplace mechanism): delta 0, no rho.
    pub fn is_pure(&self) -> bool {
        self.rho.is_none()
    }

    /// The delta for people: `0` under pure DP, else in scientific notation (`1e-9`).
    pub fn delta_text(&self) -> String {
        if self.delta == 0.0 {
            "0".to_string()
        } else {
            format!("{:e}", self.delta)
        }
    }
}

impl Model {
    /// Reads and checks a model file.
    pub fn load(path: &Path) -> Result<Model, ModelError> {
        let text = std::fs::read(path).map_err(|source| ModelError::Open {
            path: path.to_path_buf(),
            source,
        })?;
        Model::from_json(&text, path)
    }

    /// Parses and checks a model's JSON text (what [`Model::save`] writes), with the checks of
    /// [`Model::load`]; `path` names it in messages.
    pub fn from_json(text: &[u8], path: &Path) -> Result<Model, ModelError> {
        let format_err = |message: String, hint: &str| ModelError::Format {
            path: path.to_path_buf(),
            message,
            hint: hint.to_string(),
        };
        let value: serde_json::Value = serde_json::from_slice(text).map_err(|e| {
            format_err(
                format!("not JSON (line {}, column {}): {e}", e.line(), e.column()),
                "give a model written by `fairsynth fit`",
            )
        })?;
        if value.get("format").and_then(|f| f.as_str()) != Some(FORMAT) {
            return Err(format_err(
                format!("not a fairsynth model (no `\"format\": \"{FORMAT}\"`)"),
                "give a model written by `fairsynth fit`",
            ));
        }
        let version = value.get("version").and_then(|v| v.as_u64());
        if version != Some(u64::from(VERSION)) {
            return Err(format_err(
                format!(
                    "model format version {}; this fairsynth reads version {VERSION}",
                    version.map_or("(missing)".to_string(), |v| v.to_string())
                ),
                "fit the model again with this fairsynth",
            ));
        }
        let model: Model = serde_json::from_value(value).map_err(|e| {
            format_err(
                format!("malformed model: {e}"),
                "fit the model again; do not edit model files by hand",
            )
        })?;
        model.check().map_err(|m| {
            format_err(
                format!("inconsistent model: {m}"),
                "fit the model again; do not edit model files by hand",
            )
        })?;
        Ok(model)
    }

    /// Writes the model as JSON, atomically.
    pub fn save(&self, path: &Path) -> Result<(), ModelError> {
        let mut bytes = serde_json::to_vec_pretty(self)
            .map_err(|e| ModelError::Invalid(format!("cannot encode the model: {e}")))?;
        bytes.push(b'\n');
        crate::io::write_atomic(path, &bytes)?;
        Ok(())
    }

    /// Checks that tables and indices agree, so that sampling cannot index out of bounds.
    pub(super) fn check(&self) -> Result<(), String> {
        let nv = self.variables.len();
        let card = |v: usize| self.variables[v].cardinality();
        let table_len = |vars: &[usize]| -> Option<usize> {
            vars.iter()
                .try_fold(1usize, |acc, &v| acc.checked_mul(card(v)))
        };
        let mut seen = vec![false; nv];
        for &v in &self.head.vars {
            if v >= nv || seen[v] {
                return Err(format!("head variable {v} is unknown or repeated"));
            }
            seen[v] = true;
        }
        for &v in &self.given {
            if v >= nv || seen[v] {
                return Err(format!("given variable {v} is unknown or repeated"));
            }
            seen[v] = true;
        }
        if table_len(&self.head.vars) != Some(self.head.counts.len()) {
            return Err("the head table has the wrong size".into());
        }
        for n in &self.nodes {
            if n.var >= nv || seen[n.var] {
                return Err(format!("node variable {} is unknown or repeated", n.var));
            }
            if let Some(p) = n.parents.iter().find(|&&p| p >= nv || !seen[p]) {
                return Err(format!(
                    "node {} has parent {p}, which is not drawn before it",
                    n.var
                ));
            }
            if !(n.groups.is_empty() || n.groups.len() == n.parents.len()) {
                return Err(format!("node {} has the wrong number of groupings", n.var));
            }
            let mut cards = Vec::with_capacity(n.parents.len() + 1);
            for (i, &p) in n.parents.iter().enumerate() {
                match n.groups.get(i).filter(|g| !g.is_empty()) {
                    None => cards.push(card(p)),
                    Some(g) => {
                        let groups = g.iter().max().map_or(0, |m| *m as usize + 1);
                        if g.len() != card(p) || groups > card(p) {
                            return Err(format!("node {} has an invalid grouping", n.var));
                        }
                        cards.push(groups);
                    }
                }
            }
            cards.push(card(n.var));
            let size = cards.iter().try_fold(1usize, |acc, &c| acc.checked_mul(c));
            if size != Some(n.counts.len()) {
                return Err(format!("the table of node {} has the wrong size", n.var));
            }
            seen[n.var] = true;
        }
        if let Some(c) = &self.copula {
            let k = c.vars.len();
            let nodes: Vec<usize> = self.nodes.iter().map(|n| n.var).collect();
            let mut dup = c.vars.clone();
            dup.sort_unstable();
            dup.dedup();
            if dup.len() != k
                || c.given > k
                || c.vars[..c.given]
                    .iter()
                    .any(|v| !self.head.vars.contains(v))
                || c.vars[c.given..].iter().any(|v| !nodes.contains(v))
                || c.correlation.len() != k * k
                || c.correlation.iter().any(|x| !x.is_finite())
                || copula::cholesky(&c.correlation, k).is_none()
            {
                return Err("the copula is invalid".into());
            }
        }
        if let Some(v) = seen.iter().position(|s| !s) {
            return Err(format!("variable {v} is never drawn"));
        }
        let counts = self
            .nodes
            .iter()
            .flat_map(|n| n.counts.iter())
            .chain(&self.head.counts);
        if counts.clone().any(|c| !c.is_finite() || *c < 0.0) {
            return Err("a count is negative or not finite".into());
        }
        for var in &self.variables {
            if let VarKind::Numeric { bins, .. } = &var.kind {
                let bad = bins.iter().any(|b| {
                    !(b.lo.is_finite() && b.hi.is_finite() && b.lo <= b.hi)
                        || !(b.shape.is_empty() || b.shape.len() == SHAPE_PARTS)
                        || b.shape.iter().any(|s| !s.is_finite() || *s < 0.0)
                        || !(b.spread.is_finite() && b.spread >= 0.0)
                        || b.points.iter().any(|p| {
                            !(p.value.is_finite() && p.count.is_finite() && p.count >= 0.0)
                        })
                });
                if bad || bins.is_empty() && !var.null {
                    return Err(format!("variable `{}` has an invalid bin", var.name));
                }
            }
        }
        Ok(())
    }

    /// Index of the variable called `name`.
    pub fn variable(&self, name: &str) -> Option<usize> {
        self.variables.iter().position(|v| v.name == name)
    }
}

/// A readable account of a fitted model: columns, structure, dropped columns, privacy.
pub fn summary(m: &Model) -> String {
    summary_of_fit(m, None)
}

/// [`summary`] right after fitting, when `rows_read` (the rows of the input) is known. Under
/// differential privacy the model's row count is the released, noisy total, not the rows read:
/// the first line says both (or only the released total when the rows read are unknown).
pub fn summary_of_fit(m: &Model, rows_read: Option<u64>) -> String {
    use std::fmt::Write;
    let mut s = String::new();
    let name = |v: usize| m.variables[v].name.as_str();
    let cols = m.variables.len();
    let _ = match (&m.privacy, rows_read) {
        (None, _) => writeln!(
            s,
            "fitted {cols} columns on {} rows of {}",
            m.rows, m.fit.input
        ),
        (Some(_), Some(read)) => writeln!(
            s,
            "fitted {cols} columns on {read} rows of {}; the model's released row total is {} (noisy, differentially private; sample's default row count)",
            m.fit.input, m.rows
        ),
        (Some(_), None) => writeln!(
            s,
            "fitted {cols} columns of {}; the model's released row total is {} (noisy, differentially private; sample's default row count)",
            m.fit.input, m.rows
        ),
    };
    if !m.head.vars.is_empty() {
        let vars: Vec<&str> = m.head.vars.iter().map(|&v| name(v)).collect();
        let _ = writeln!(
            s,
            "  joint table: {} ({} cells)",
            vars.join(" x "),
            m.head.counts.len()
        );
    }
    for n in &m.nodes {
        let parents: Vec<&str> = n.parents.iter().map(|&p| name(p)).collect();
        let _ = writeln!(
            s,
            "  {:<24} <- {}",
            name(n.var),
            if parents.is_empty() {
                "(none)".to_string()
            } else {
                parents.join(", ")
            }
        );
    }
    for v in &m.variables {
        if let VarKind::Categorical { levels } = &v.kind {
            if levels.iter().any(|l| l == OTHER) {
                let _ = writeln!(s, "  {}: rare categories merged into {OTHER}", v.name);
            }
        }
    }
    if !m.regenerated.is_empty() {
        let _ = writeln!(
            s,
            "  regenerated from the schema: {}",
            m.regenerated.join(", ")
        );
    }
    for d in &m.dropped {
        let _ = writeln!(s, "  left out {}: {}", d.column, d.reason);
    }
    match &m.privacy {
        Some(l) => {
            let _ = writeln!(
                s,
                "  differential privacy: epsilon {} delta {} ({}; {})",
                l.epsilon,
                l.delta_text(),
                l.mechanism,
                l.neighbouring
            );
            match l.rho {
                Some(r) if !l.is_pure() => {
                    let _ = writeln!(s, "    rho {r:.6} in total");
                }
                _ => {
                    let _ = writeln!(s, "    pure epsilon-DP: the entries' epsilon add up");
                }
            }
            for e in &l.entries {
                // Rho is the zCDP accounting of the Gaussian mechanism: no figure under pure DP.
                let rho = if l.is_pure() {
                    String::new()
                } else {
                    format!(", rho {:.6}", e.rho)
                };
                let _ = writeln!(
                    s,
                    "    {} x {}: {} (epsilon {:.4}{rho}, scale {:.4})",
                    e.tables, e.mechanism, e.purpose, e.epsilon, e.scale
                );
            }
        }
        None => {
            let _ = writeln!(s, "  no differential privacy (exact counts)");
        }
    }
    s
}

/// A readable account of a sample: rows, target shares reached, label parity.
pub fn sample_summary(r: &SampleReport, rows: u64, output: &Path) -> String {
    use std::fmt::Write;
    let mut s = String::new();
    let _ = writeln!(s, "wrote {rows} rows to {}", output.display());
    for t in &r.targets {
        let _ = writeln!(s, "  {}: target / data / expected", t.column);
        for l in &t.levels {
            let _ = writeln!(
                s,
                "    {:<20} {:.4} / {:.4} / {:.4}",
                l.level, l.target, l.model, l.expected
            );
        }
    }
    if let Some(p) = &r.parity {
        if let (Some(di), Some(m), Some(e), Some(d)) = (
            p.disparate_impact_sampled,
            p.statistical_parity_difference_model,
            p.statistical_parity_difference_expected,
            p.statistical_parity_difference_sampled,
        ) {
            // A linked child table's label, at the person.
            let _ = writeln!(
                s,
                "  {} = {} by {}: disparate impact {:.4} without fairness -> {:.4} expected, {di:.4} drawn; parity difference {m:+.4} -> {e:+.4}, {d:+.4} drawn",
                p.label,
                p.favourable,
                p.independent_of.join(" & "),
                p.disparate_impact_model,
                p.disparate_impact_expected,
            );
            for g in &p.groups {
                let _ = writeln!(
                    s,
                    "    {:<20} {:.4} -> {:.4} expected, {:.4} drawn ({} rows)",
                    g.group,
                    g.model,
                    g.expected,
                    g.sampled.unwrap_or(f64::NAN),
                    g.rows.unwrap_or(0)
                );
            }
        } else {
            let _ = writeln!(
                s,
                "  {} = {} by {}: disparate impact {:.4} in the data -> {:.4} expected",
                p.label,
                p.favourable,
                p.independent_of.join(" & "),
                p.disparate_impact_model,
                p.disparate_impact_expected
            );
        }
    }
    s
}
