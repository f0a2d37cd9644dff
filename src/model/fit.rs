//! Fitting: which columns are modelled, discretisation, the head table, the greedy structure
//! search and the (optionally noisy) count tables.

use std::path::Path;

use rand::RngExt;
use rayon::prelude::*;

use super::discretise::{encode_categorical, encode_numeric, Encoded};
use super::structure::{mutual_information, search_structure};
use super::{
    Dropped, EmbeddedSchema, FitInfo, Head, Ledger, LedgerEntry, Model, ModelError, Node, FORMAT,
    VERSION,
};
use crate::deid::detect::ColumnScan;
use crate::io::read::{Format, Input};
use crate::io::table::{Table, Values, NULL};
use crate::schema::{ColumnType, Role, Schema};

/// How to fit.
#[derive(Debug, Clone)]
pub struct FitOptions {
    /// Seed for the noise (structure search and tables are otherwise deterministic).
    pub seed: u64,
    /// Differential privacy budget; `None` fits exact counts.
    pub epsilon: Option<f64>,
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
}

impl Default for FitOptions {
    fn default() -> Self {
        FitOptions {
            seed: 0,
            epsilon: None,
            min_count: 10,
            bins: 20,
            max_parents: 3,
            max_cells: 1 << 20,
            input: String::new(),
            input_sha256: String::new(),
        }
    }
}

/// Which schema columns are modelled, regenerated or dropped.
struct Plan {
    modelled: Vec<usize>,
    regenerated: Vec<String>,
    dropped: Vec<Dropped>,
}

fn plan(schema: &Schema) -> Plan {
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
        columns: schema
            .columns
            .iter()
            .filter(|c| names.contains(&c.name))
            .cloned()
            .collect(),
        targets: Vec::new(),
        fairness: None,
        ..schema.clone()
    }
}

/// Row-major joint counts of `vars` (last fastest).
fn joint_counts(enc: &[Encoded], vars: &[usize], rows: usize) -> Vec<f64> {
    let cells: usize = vars.iter().map(|&v| enc[v].card()).product();
    let keys = config_keys(enc, vars, rows);
    let mut counts = vec![0.0; cells];
    for k in keys {
        counts[k as usize] += 1.0;
    }
    counts
}

/// Counts of `var` per configuration of its `parents` seen through `maps` (row-major, the
/// child fastest).
fn node_counts(
    enc: &[Encoded],
    var: usize,
    parents: &[usize],
    maps: &[Vec<u32>],
    rows: usize,
) -> Vec<f64> {
    let mut keys = vec![0u32; rows];
    let mut cells = 1usize;
    for (i, &p) in parents.iter().enumerate() {
        let map = maps.get(i).map_or(&[][..], Vec::as_slice);
        let card = super::structure::view_card(map, enc[p].card());
        for (k, c) in keys.iter_mut().zip(&enc[p].codes) {
            *k = *k * card as u32 + if map.is_empty() { *c } else { map[*c as usize] };
        }
        cells *= card;
    }
    let card = enc[var].card();
    let mut counts = vec![0.0; cells * card];
    for (k, c) in keys.iter().zip(&enc[var].codes) {
        counts[*k as usize * card + *c as usize] += 1.0;
    }
    counts
}

/// Each row's configuration index over `vars` (row-major).
fn config_keys(enc: &[Encoded], vars: &[usize], rows: usize) -> Vec<u32> {
    let mut keys = vec![0u32; rows];
    for &v in vars {
        let card = enc[v].card() as u32;
        for (k, c) in keys.iter_mut().zip(&enc[v].codes) {
            *k = *k * card + c;
        }
    }
    keys
}

/// Laplace noise of scale `b` by inversion.
fn laplace(rng: &mut impl rand::Rng, b: f64) -> f64 {
    loop {
        let u: f64 = rng.random::<f64>() - 0.5;
        if u.abs() < 0.5 {
            return -b * u.signum() * (1.0 - 2.0 * u.abs()).ln();
        }
    }
}

/// Noisy counts below this many noise scales are set to zero. Post-processing, so free under
/// differential privacy: clamping alone at zero would leave every empty cell of a large table
/// with b/2 of spurious mass on average, which on Adult at epsilon 1 outweighs the rare real
/// cells (SDMetrics quality 0.874 with the clamp alone, 0.90-0.91 with this floor).
const NOISE_FLOOR: f64 = 2.0;

/// Adds Laplace noise of scale `b` to every count, then zeroes counts below
/// [`NOISE_FLOOR`] scales; table `index` of `purpose` has its own stream.
fn add_noise(counts: &mut [f64], b: f64, seed: u64, purpose: u8, index: u64) {
    let mut rng = crate::synth::stream(seed, "\u{0}fit/laplace", purpose, index);
    let floor = NOISE_FLOOR * b;
    for c in counts {
        let x = *c + laplace(&mut rng, b);
        *c = if x < floor { 0.0 } else { x.max(0.0) };
    }
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
    let p = plan(schema);
    let sub = Schema {
        columns: p
            .modelled
            .iter()
            .map(|&i| schema.columns[i].clone())
            .collect(),
        ..schema.clone()
    };
    let names: Vec<&str> = sub.columns.iter().map(|c| c.name.as_str()).collect();
    let table = Table::load(input, &sub, &names)?;
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
    fit(&table, schema, schema_yaml, &opts)
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

/// Fits a model on a loaded table holding (at least) the schema's modelled columns.
pub fn fit(
    table: &Table,
    schema: &Schema,
    schema_yaml: &str,
    opts: &FitOptions,
) -> Result<Model, ModelError> {
    if crate::schema::sha256_hex(schema_yaml.as_bytes()) != schema.source.sha256 {
        return Err(ModelError::Invalid(
            "the schema text given does not match the loaded schema".into(),
        ));
    }
    if let Some(e) = opts.epsilon {
        if !(e.is_finite() && e > 0.0) {
            return Err(ModelError::Invalid(format!(
                "--epsilon {e}: the privacy budget must be a positive number\n    hint: 1.0 is a common choice; smaller is more private and noisier"
            )));
        }
    }
    if opts.bins == 0 || opts.min_count == 0 {
        return Err(ModelError::Invalid(
            "--bins and --min-count must be at least 1".into(),
        ));
    }
    let p = plan(schema);
    let rows = table.rows;
    if rows == 0 {
        return Err(ModelError::Invalid(format!(
            "{}: the input has no rows to fit",
            opts.input
        )));
    }
    // The de-identification safety net: a text column full of identifiers that the schema
    // does not declare stops the fit before anything is modelled.
    let scans: Vec<(&str, ColumnScan)> = p
        .modelled
        .par_iter()
        .filter_map(|&i| {
            let c = &schema.columns[i];
            if !matches!(c.ty, ColumnType::String | ColumnType::Category) {
                return None;
            }
            let Values::Cat { codes, levels } = &table.column(&c.name)?.values else {
                return None;
            };
            // Each distinct value is classified once, with its count.
            let mut counts = vec![0u64; levels.len()];
            for &k in codes.iter().filter(|k| **k != NULL) {
                counts[k as usize] += 1;
            }
            let mut scan = ColumnScan::new(&c.name);
            for (level, n) in levels.iter().zip(counts) {
                scan.add_repeated(Some(level), n);
            }
            Some((c.name.as_str(), scan))
        })
        .collect();
    let named: Vec<(&str, &ColumnScan)> = scans.iter().map(|(n, s)| (*n, s)).collect();
    let (_, diags) = crate::deid::run::safety_net(schema, &named);
    if !diags.is_empty() {
        return Err(ModelError::Invalid(diags.join("\n")));
    }
    let encoded: Vec<Result<Encoded, ModelError>> = p
        .modelled
        .par_iter()
        .map(|&i| {
            let c = &schema.columns[i];
            let col = table.column(&c.name).ok_or_else(|| {
                ModelError::Invalid(format!("column `{}` is not in the table", c.name))
            })?;
            match &col.values {
                Values::Num(v) => encode_numeric(c, v, opts),
                Values::Cat { codes, levels } => encode_categorical(c, codes, levels, opts),
            }
        })
        .collect();
    // Every column's problem at once, in schema order.
    let problems: Vec<String> = encoded
        .iter()
        .filter_map(|e| e.as_ref().err().map(ToString::to_string))
        .collect();
    if !problems.is_empty() {
        return Err(ModelError::Invalid(problems.join("\n")));
    }
    let enc: Vec<Encoded> = encoded.into_iter().flatten().collect();

    // The head: protected, label, fairness and target columns, in schema order.
    let mut in_head = vec![false; enc.len()];
    for (k, &i) in p.modelled.iter().enumerate() {
        let c = &schema.columns[i];
        in_head[k] = matches!(c.role, Role::Protected | Role::Label)
            || schema.targets.iter().any(|t| t.column == c.name)
            || schema
                .fairness
                .as_ref()
                .is_some_and(|f| f.label == c.name || f.independent_of.contains(&c.name));
    }
    let head_vars: Vec<usize> = (0..enc.len()).filter(|&v| in_head[v]).collect();
    let head_cells = head_vars
        .iter()
        .try_fold(1usize, |a, &v| a.checked_mul(enc[v].card()))
        .filter(|c| *c <= opts.max_cells);
    let Some(_) = head_cells else {
        let sizes: Vec<String> = head_vars
            .iter()
            .map(|&v| format!("{} ({})", enc[v].var.name, enc[v].card()))
            .collect();
        return Err(ModelError::Invalid(format!(
            "the joint table of the protected, label and target columns would exceed {} cells: {}\n    hint: give numeric protected columns coarser `bins:`, merge rare levels, or fit with fewer --bins",
            opts.max_cells,
            sizes.join(" x ")
        )));
    };
    let features: Vec<usize> = (0..enc.len()).filter(|&v| !in_head[v]).collect();

    // Differential privacy: the budget split between pairwise tables (structure) and the
    // model's own tables.
    let dp = opts.epsilon;
    let pairs: Vec<(usize, usize)> = (0..enc.len())
        .flat_map(|a| (a + 1..enc.len()).map(move |b| (a, b)))
        .filter(|&(a, b)| !in_head[a] || !in_head[b])
        .collect();
    let structure_needed = !features.is_empty() && enc.len() > 1;
    let n_tables = usize::from(!head_vars.is_empty()) + features.len();
    let (eps_structure, eps_tables) = match dp {
        Some(e) if structure_needed && !pairs.is_empty() => (0.3 * e, 0.7 * e),
        Some(e) => (0.0, e),
        None => (0.0, 0.0),
    };
    let mut ledger = dp.map(|e| Ledger {
        epsilon: e,
        mechanism: "laplace".into(),
        neighbouring: "add or remove one row".into(),
        entries: Vec::new(),
    });

    // Pairwise mutual information: from noisy tables under differential privacy, where the
    // structure search uses it; exact otherwise, needed only to pick a root when there is no
    // head.
    let mut mi = vec![vec![0.0; enc.len()]; enc.len()];
    if structure_needed && (dp.is_some() || head_vars.is_empty()) {
        let scale = pairs.len() as f64 / eps_structure.max(f64::MIN_POSITIVE);
        let values: Vec<f64> = pairs
            .par_iter()
            .enumerate()
            .map(|(k, &(a, b))| {
                let mut t = joint_counts(&enc, &[a, b], rows);
                if dp.is_some() {
                    add_noise(&mut t, scale, opts.seed, 1, k as u64);
                }
                mutual_information(&t, enc[a].card(), enc[b].card())
            })
            .collect();
        for (&(a, b), v) in pairs.iter().zip(values) {
            mi[a][b] = v;
            mi[b][a] = v;
        }
        if let Some(l) = ledger.as_mut() {
            l.entries.push(LedgerEntry {
                purpose: "pairwise tables for the structure search".into(),
                tables: pairs.len(),
                epsilon: eps_structure,
                scale,
            });
        }
    }
    // Deterministic relations (a level and its number): kept exactly by the structure.
    let relations = if dp.is_some() {
        Vec::new()
    } else {
        super::structure::relations(&enc, rows)
    };
    // The structure penalty, chosen on held-out rows (BIC under differential privacy, where
    // the search uses noisy pairwise tables and no penalty factor).
    let (penalty, penalty_scores) = match dp {
        Some(_) => (super::structure::PENALTIES[0], Vec::new()),
        None => super::structure::choose_penalty(
            &enc, &head_vars, &features, &mi, &relations, rows, opts,
        ),
    };
    let structure = search_structure(
        &enc,
        &head_vars,
        &features,
        &mi,
        &relations,
        rows,
        dp.is_some(),
        penalty,
        opts,
    );

    // Tables.
    let table_scale = n_tables as f64 / eps_tables.max(f64::MIN_POSITIVE);
    let mut head_counts = joint_counts(&enc, &head_vars, rows);
    if dp.is_some() && !head_vars.is_empty() {
        add_noise(&mut head_counts, table_scale, opts.seed, 2, 0);
    }
    let mut nodes: Vec<Node> = structure
        .par_iter()
        .enumerate()
        .map(|(k, (var, choice))| {
            let mut counts = node_counts(&enc, *var, &choice.parents, &choice.maps, rows);
            if dp.is_some() {
                add_noise(&mut counts, table_scale, opts.seed, 2, k as u64 + 1);
            }
            Node {
                var: *var,
                parents: choice.parents.clone(),
                groups: if choice.maps.iter().all(Vec::is_empty) {
                    Vec::new()
                } else {
                    choice.maps.clone()
                },
                counts,
            }
        })
        .collect();
    // Pair terms where a node's parents miss a two-way table (exact counts only).
    if dp.is_none() {
        super::terms::add_pair_terms(
            &enc, &mut nodes, &structure, &head_vars, rows, penalty, opts,
        );
    }
    // The copula over numeric nodes (exact counts only: under differential privacy it would
    // need budget of its own).
    let copula = match dp {
        Some(_) => None,
        None => {
            let exact: Vec<usize> = relations
                .iter()
                .filter(|(a, b)| nodes.iter().any(|n| n.var == *b && n.parents == [*a]))
                .map(|r| r.1)
                .collect();
            super::copula::fit(&enc, &head_vars, &nodes, &exact, rows, opts.seed)
        }
    };
    if let Some(l) = ledger.as_mut() {
        l.entries.push(LedgerEntry {
            purpose: "the head table and one table per node".into(),
            tables: n_tables,
            epsilon: eps_tables,
            scale: table_scale,
        });
    }
    let model_rows = match dp {
        None => rows as u64,
        // Post-processing of noisy counts: the head's, or the first node's, total.
        Some(_) => {
            let total: f64 = if head_vars.is_empty() {
                nodes.first().map_or(0.0, |n| n.counts.iter().sum())
            } else {
                head_counts.iter().sum()
            };
            total.round().max(1.0) as u64
        }
    };
    Ok(Model {
        format: FORMAT.into(),
        version: VERSION,
        fairsynth: env!("CARGO_PKG_VERSION").into(),
        schema: EmbeddedSchema {
            file: schema.source.file.clone(),
            sha256: schema.source.sha256.clone(),
            yaml: schema_yaml.to_string(),
        },
        fit: FitInfo {
            input: opts.input.clone(),
            input_sha256: opts.input_sha256.clone(),
            seed: opts.seed,
            min_count: opts.min_count,
            bins: opts.bins,
            max_parents: opts.max_parents,
            penalty,
            penalty_held_out: penalty_scores
                .iter()
                .map(|&(factor, log_likelihood)| super::PenaltyScore {
                    factor,
                    log_likelihood,
                })
                .collect(),
        },
        rows: model_rows,
        privacy: ledger,
        variables: enc.into_iter().map(|e| e.var).collect(),
        head: Head {
            vars: head_vars,
            counts: head_counts,
        },
        nodes,
        copula,
        regenerated: p.regenerated,
        dropped: p.dropped,
    })
}

#[cfg(test)]
mod tests {
    use super::super::discretise::fixed_bins;
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
    fn fixed_bins_use_bounds_only_and_clamp() {
        let (bins, codes) = fixed_bins(&[-5.0, 0.0, 9.0, 50.0], true, &[], (0.0, 9.0), 5);
        assert_eq!(bins.len(), 5);
        assert_eq!((bins[0].lo, bins[4].hi), (0.0, 10.0));
        assert_eq!(codes, vec![0, 0, 4, 4]);
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
    fn laplace_noise_has_the_stated_scale() {
        let mut rng = crate::synth::stream(1, "t", 0, 0);
        let b = 3.0;
        let n = 200_000;
        let xs: Vec<f64> = (0..n).map(|_| laplace(&mut rng, b)).collect();
        let mean = xs.iter().sum::<f64>() / n as f64;
        let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n as f64;
        let mad = xs.iter().map(|x| x.abs()).sum::<f64>() / n as f64;
        // Laplace(b): mean 0, variance 2b², E|X| = b.
        assert!(mean.abs() < 0.05, "{mean}");
        assert!((var / (2.0 * b * b) - 1.0).abs() < 0.03, "{var}");
        assert!((mad / b - 1.0).abs() < 0.02, "{mad}");
    }

    #[test]
    fn noise_floor_zeroes_empty_cells_and_keeps_large_ones() {
        let b = 5.0;
        let mut empty = vec![0.0; 100_000];
        add_noise(&mut empty, b, 1, 2, 0);
        // An empty cell survives only when its noise reaches 2b: P = exp(-2) / 2 = 6.8 %.
        let kept = empty.iter().filter(|c| **c > 0.0).count() as f64 / 1e5;
        assert!((kept - (-2f64).exp() / 2.0).abs() < 0.005, "{kept}");
        assert!(empty.iter().all(|c| *c == 0.0 || *c >= 2.0 * b));
        let mut large = vec![1000.0; 1000];
        add_noise(&mut large, b, 1, 2, 1);
        assert!(large.iter().all(|c| (c - 1000.0).abs() < 100.0));
    }

    #[test]
    fn mutual_information_of_independent_and_copied_columns() {
        // Independent 2x2: zero; a copy of a fair coin: ln 2.
        assert!(mutual_information(&[25.0, 25.0, 25.0, 25.0], 2, 2).abs() < 1e-12);
        assert!((mutual_information(&[50.0, 0.0, 0.0, 50.0], 2, 2) - 2f64.ln()).abs() < 1e-12);
    }
}
