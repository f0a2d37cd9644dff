//! Fitting: which columns are modelled, discretisation, the head table, the greedy structure
//! search and the (optionally noisy) count tables.

use std::path::Path;

use super::discretise::Encoded;
use super::steps::FitPlan;
use super::{Dropped, FitSummary, Model, ModelError};
use crate::io::read::{Format, Input};
use crate::io::table::Table;
use crate::schema::{Role, Schema};

/// How to fit.
#[derive(Debug, Clone)]
pub struct FitOptions {
    /// Seed for the noise (structure search and tables are otherwise deterministic).
    pub seed: u64,
    /// Differential privacy budget; `None` fits exact counts.
    pub epsilon: Option<f64>,
    /// The delta of (epsilon, delta)-DP under the Gaussian mechanism.
    pub delta: f64,
    /// The noise mechanism under differential privacy.
    pub dp_mechanism: super::DpMechanism,
    /// Smallest count of a kept data-derived category and of an interval bin.
    pub min_count: u64,
    /// Target bins per numeric column.
    pub bins: usize,
    /// Most parents per node.
    pub max_parents: usize,
    /// Largest table (cells) a node or the head may have.
    pub max_cells: usize,
    /// The input's file name, for provenance.
    pub input: String,
    /// SHA-256 of the input, for provenance.
    pub input_sha256: String,
    /// Columns whose values the caller supplies when sampling (a child table's context: its
    /// parent's columns). They are placed before every other column, never drawn, and may be
    /// parents of any node.
    pub given: Vec<String>,
    /// `(column, parent)` pairs: the column's first parents, whatever the gain (a linked
    /// table's order column is drawn given the row's position among its siblings).
    pub forced_parents: Vec<(String, String)>,
    /// Numeric columns never made discrete: values held by fewer than `min_count` rows form
    /// continuous parts instead of counting at the nearest frequent value, so a long tail
    /// keeps its range (a linked table's children per parent).
    pub tails: Vec<String>,
    /// Under differential privacy, for linked tables: the most children of one parent kept
    /// per relationship (`--max-children`); later ones (by the order column) are dropped
    /// before fitting. Public: it is part of the guarantee's unit, never read off the data.
    pub max_children: usize,
    /// A table's part of a larger private fit (set by the fit of linked tables for each
    /// table): its budget and sensitivity. `None`: the whole budget, sensitivity 1.
    pub dp_share: Option<super::DpShare>,
    /// A column placed first among the nodes, its parents chosen among the given columns
    /// only (a linked child table's label made independent of the person: sampling reads
    /// its probabilities from the given values alone, then draws the rest of the row given
    /// it).
    pub first: Option<String>,
}

impl Default for FitOptions {
    fn default() -> Self {
        FitOptions {
            seed: 0,
            epsilon: None,
            delta: super::DEFAULT_DELTA,
            dp_mechanism: super::DpMechanism::Gaussian,
            min_count: 10,
            bins: 20,
            max_parents: 3,
            max_cells: 1 << 20,
            input: String::new(),
            input_sha256: String::new(),
            given: Vec::new(),
            forced_parents: Vec::new(),
            tails: Vec::new(),
            max_children: super::linked::DEFAULT_MAX_CHILDREN,
            dp_share: None,
            first: None,
        }
    }
}

/// Which schema columns are modelled, regenerated or dropped.
pub(super) struct Plan {
    pub(super) modelled: Vec<usize>,
    pub(super) regenerated: Vec<String>,
    pub(super) dropped: Vec<Dropped>,
}

pub(super) fn plan(schema: &Schema) -> Plan {
    let mut p = Plan {
        modelled: Vec::new(),
        regenerated: Vec::new(),
        dropped: Vec::new(),
    };
    let mut reasons: Vec<(usize, String)> = Vec::new();
    // Identifiers with a generator are regenerated when everything the generator reads is
    // regenerated too: a generator reading a modelled column (a name drawn by `sex`) would
    // need that column's synthetic values, so such identifiers are left out.
    let mut candidates: Vec<usize> = Vec::new();
    for (i, c) in schema.columns.iter().enumerate() {
        match c.role {
            Role::Identifier if c.generator.is_none() => {
                reasons.push((i, "identifier without a generator: never modelled".into()))
            }
            Role::Identifier => candidates.push(i),
            Role::Weight => reasons.push((i, "weight: describes the sample, not a person".into())),
            Role::Consent => {
                reasons.push((i, "consent flag: has no meaning for synthetic rows".into()))
            }
            _ => p.modelled.push(i),
        }
    }
    loop {
        let names: Vec<&str> = candidates
            .iter()
            .map(|&i| schema.columns[i].name.as_str())
            .collect();
        let blocked = candidates.iter().position(|&i| {
            schema.columns[i]
                .generator
                .as_ref()
                .is_some_and(|g| g.references().iter().any(|r| !names.contains(r)))
        });
        let Some(k) = blocked else { break };
        let i = candidates.remove(k);
        let refs = schema.columns[i]
            .generator
            .as_ref()
            .map(|g| g.references().join("`, `"))
            .unwrap_or_default();
        reasons.push((
            i,
            format!("identifier whose generator reads `{refs}`, which is modelled or left out: never modelled"),
        ));
    }
    p.regenerated = candidates
        .iter()
        .map(|&i| schema.columns[i].name.clone())
        .collect();
    reasons.sort_by_key(|r| r.0);
    p.dropped = reasons
        .into_iter()
        .map(|(i, reason)| Dropped {
            column: schema.columns[i].name.clone(),
            reason,
        })
        .collect();
    p
}

/// The indices of `schema`'s modelled columns, in schema order.
pub(super) fn modelled_columns(schema: &Schema) -> Vec<usize> {
    plan(schema).modelled
}

/// The identifier columns a model regenerates, as a schema of their own.
pub(super) fn identifier_schema(schema: &Schema, names: &[String]) -> Schema {
    Schema {
        targets: Vec::new(),
        fairness: None,
        ..schema.with_columns(names)
    }
}

/// Row-major joint counts of `vars` (last fastest) over rows (or tuples) of weight `w`.
pub(super) fn joint_counts(enc: &[Encoded], w: &[f64], vars: &[usize]) -> Vec<f64> {
    let cells: usize = vars.iter().map(|&v| enc[v].card()).product();
    let mut keys = vec![0usize; w.len()];
    for &v in vars {
        let card = enc[v].card();
        for (k, c) in keys.iter_mut().zip(&enc[v].codes) {
            *k = *k * card + *c as usize;
        }
    }
    let mut counts = vec![0.0; cells];
    for (k, x) in keys.iter().zip(w) {
        counts[*k] += x;
    }
    counts
}

/// Counts of `var` per configuration of its `parents` seen through `maps` (row-major, the
/// child fastest), over rows (or tuples) of weight `w`.
pub(super) fn node_counts(
    enc: &[Encoded],
    w: &[f64],
    var: usize,
    parents: &[usize],
    maps: &[Vec<u32>],
) -> Vec<f64> {
    let mut keys = vec![0usize; w.len()];
    let mut cells = 1usize;
    for (i, &p) in parents.iter().enumerate() {
        let map = maps.get(i).map_or(&[][..], Vec::as_slice);
        let card = super::structure::view_card(map, enc[p].card());
        for (k, c) in keys.iter_mut().zip(&enc[p].codes) {
            *k = *k * card + if map.is_empty() { *c } else { map[*c as usize] } as usize;
        }
        cells *= card;
    }
    let card = enc[var].card();
    let mut counts = vec![0.0; cells * card];
    for ((k, c), x) in keys.iter().zip(&enc[var].codes).zip(w) {
        counts[k * card + *c as usize] += x;
    }
    counts
}

/// Fits a model on `input`: a file (recorded in the model by name and SHA-256) or in-memory
/// batches (recorded by name). `schema_yaml` is the schema's text (embedded in the model so
/// that sampling knows the column types and generators).
pub fn fit_input(
    input: &Input,
    schema: &Schema,
    schema_yaml: &str,
    opts: &FitOptions,
) -> Result<Model, ModelError> {
    fit_input_counted(input, schema, schema_yaml, opts).map(|(model, _)| model)
}

/// [`fit_input`], also returning how many rows were read. Under differential privacy the
/// model's `rows` is the released, noisy total; the count read is for the data holder's eyes
/// (see [`super::summary_of_fit`]) and is not stored in the model.
pub fn fit_input_counted(
    input: &Input,
    schema: &Schema,
    schema_yaml: &str,
    opts: &FitOptions,
) -> Result<(Model, u64), ModelError> {
    let table = Table::load_only(input, schema, FitSummary::new(schema).columns())?;
    let mut opts = opts.clone();
    match input {
        Input::File { path, .. } => {
            opts.input_sha256 = crate::schema::sha256_file(path).map_err(|source| {
                crate::io::read::ReadError::Open {
                    path: path.to_path_buf(),
                    source,
                }
            })?;
            opts.input = path
                .file_name()
                .map_or_else(String::new, |f| f.to_string_lossy().into_owned());
        }
        Input::Memory(b) => {
            opts.input_sha256 = String::new();
            opts.input = b.name().to_string();
        }
    }
    fit(&table, schema, schema_yaml, &opts).map(|model| (model, table.rows as u64))
}

/// Fits a model on the file `path` (see [`fit_input`]).
pub fn fit_file(
    path: &Path,
    format: Format,
    schema: &Schema,
    schema_yaml: &str,
    opts: &FitOptions,
) -> Result<Model, ModelError> {
    fit_input(&Input::file(path, format), schema, schema_yaml, opts)
}

/// Fits a model on a loaded table holding (at least) the schema's modelled columns: the steps
/// of [`FitPlan`] on one table.
pub fn fit(
    table: &Table,
    schema: &Schema,
    schema_yaml: &str,
    opts: &FitOptions,
) -> Result<Model, ModelError> {
    // The options and schema text are checked before the rows are counted.
    super::steps::check(schema, schema_yaml, opts)?;
    let mut summary = FitSummary::new(schema);
    summary.add_table(table)?;
    let plan = FitPlan::new(&summary, schema, schema_yaml, opts)?;
    let enc = plan.encode(table)?;
    let mut codes = plan.code_counts();
    codes.add(&enc);
    let structure = plan.structure(&codes)?;
    let sums = match structure.copula_sums() {
        Some(mut s) => {
            plan.add_copula(&structure, &mut s, &enc)?;
            Some(s)
        }
        None => None,
    };
    structure.finish(sums)
}

#[cfg(test)]
mod tests {
    use super::super::discretise::encode_categorical;
    use super::super::structure::mutual_information;
    use super::super::{VarKind, OTHER};
    use super::*;

    fn opts() -> FitOptions {
        FitOptions {
            bins: 4,
            min_count: 2,
            ..FitOptions::default()
        }
    }

    #[test]
    fn dp_refuses_values_outside_the_schema_levels_and_merges_nothing_from_data() {
        let yaml = "version: 1\nname: t\ncolumns:\n  - {name: c, type: category, levels: [a, b]}\n";
        let schema = Schema::from_str_named(yaml, "t.yaml").expect("schema");
        let col = &schema.columns[0];
        let dp = FitOptions {
            epsilon: Some(1.0),
            ..opts()
        };
        let levels = vec!["a".to_string(), "b".to_string(), "zz".to_string()];
        let err = encode_categorical(col, &[0, 1, 2], &levels, &dp).expect_err("error");
        assert!(
            err.to_string()
                .contains("`zz`, which is not among its `levels:`"),
            "{err}"
        );
        // Within the levels: exactly the schema's levels, no `(other)`, no data-derived level.
        let e = encode_categorical(col, &[0, 1, 1], &levels[..2], &dp).expect("encode");
        assert_eq!(
            e.var.kind,
            VarKind::Categorical {
                levels: vec!["a".into(), "b".into()]
            }
        );
        // Without DP a frequent unlisted value is kept and a rare one merged.
        let mut codes = vec![2u32; 5];
        codes.push(0);
        let levels = vec![
            "a".to_string(),
            "b".to_string(),
            "often".to_string(),
            "once".to_string(),
        ];
        codes.push(3);
        let e = encode_categorical(col, &codes, &levels, &opts()).expect("encode");
        assert_eq!(
            e.var.kind,
            VarKind::Categorical {
                levels: vec!["a".into(), "b".into(), "often".into(), OTHER.into()]
            }
        );
        assert_eq!(e.codes, vec![2, 2, 2, 2, 2, 0, 3]);
    }

    #[test]
    fn mutual_information_of_independent_and_copied_columns() {
        // Independent 2x2: zero; a copy of a fair coin: ln 2.
        assert!(mutual_information(&[25.0, 25.0, 25.0, 25.0], 2, 2).abs() < 1e-12);
        assert!((mutual_information(&[50.0, 0.0, 0.0, 50.0], 2, 2) - 2f64.ln()).abs() < 1e-12);
    }
}
