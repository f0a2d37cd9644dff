//! `fairsynth._fairsynth`: the native half of the Python package.
//!
//! Each function takes a table as an Arrow C stream (any object with `__arrow_c_stream__`:
//! pyarrow, polars, pandas >= 2.2, DuckDB) or a file path, runs the library command of the same
//! name with the GIL released, and returns pyarrow Tables (the Rust batches exported through
//! the Arrow C data interface, not copied), reports as JSON text and the report's HTML page.
//! The pure-Python package `fairsynth` wraps these in documented functions and classes; errors
//! are raised as its exception classes (`fairsynth._errors`) with the CLI's messages.

mod errors;
mod linked;
mod spark;
mod spark_evaluate;
mod spark_linked;
mod tables;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use fairsynth::io::{Input, Output};
use pyo3::prelude::*;
use pyo3::types::PyTuple;

use errors::{raise, run, Failure, Kind};
use tables::{input, to_table, written_table};

/// The report context of the HTML pages: the input file with its hash when the input is a
/// file; an in-memory table has none.
fn context(
    schema: &fairsynth::schema::Schema,
    line: &[String],
    inputs: &[(&str, &Input)],
) -> Result<fairsynth::report::Context, Failure> {
    let mut ctx = fairsynth::report::Context::new(schema, line);
    for (role, input) in inputs {
        if let Some(p) = input.path() {
            ctx = ctx
                .input(role, p)
                .map_err(|e| Failure::text(Kind::Input, format!("`{}`: {e}", p.display())))?;
        }
    }
    Ok(ctx)
}

/// What a provenance record and a report call the input: its path, or the table's name.
fn label(input: &Input) -> String {
    input.label().display().to_string()
}

/// A schema: the contract between the user and every command.
///
/// `Schema(text, name="<string>")` parses YAML text; `Schema.from_file(path)` reads a `.yaml`
/// or `.yml` file. Both raise `fairsynth.SchemaError` with every problem at once, each with
/// its line, column and key path, exactly as `fairsynth schema check` prints them.
#[pyclass(module = "fairsynth", name = "Schema", frozen)]
struct PySchema {
    schema: fairsynth::schema::Schema,
    text: String,
}

#[pymethods]
impl PySchema {
    #[new]
    #[pyo3(signature = (text, name = "<string>"))]
    fn new(py: Python<'_>, text: &str, name: &str) -> PyResult<PySchema> {
        let schema = fairsynth::schema::Schema::from_str_named(text, name)
            .map_err(|e| raise(py, e.into()))?;
        Ok(PySchema {
            schema,
            text: text.to_string(),
        })
    }

    /// Reads and validates the schema file at `path`.
    #[staticmethod]
    fn from_file(py: Python<'_>, path: PathBuf) -> PyResult<PySchema> {
        let schema =
            fairsynth::schema::Schema::from_file(&path).map_err(|e| raise(py, e.into()))?;
        let text = std::fs::read_to_string(&path).map_err(|e| {
            raise(
                py,
                Failure::text(
                    Kind::Schema,
                    format!("cannot read schema `{}`: {e}", path.display()),
                ),
            )
        })?;
        Ok(PySchema { schema, text })
    }

    /// The line `fairsynth schema check` prints for a valid schema: its file, column and
    /// target counts, and whether every column can be synthesised (and which cannot).
    fn check(&self) -> String {
        let s = &self.schema;
        let missing = s.columns_without_generator();
        let synth = if missing.is_empty() {
            "synthesisable".to_string()
        } else {
            let names: Vec<&str> = missing.iter().map(|c| c.name.as_str()).collect();
            format!("not synthesisable: no generator for {}", names.join(", "))
        };
        format!(
            "{}: ok ({} columns, {} targets; {synth})",
            s.source.file,
            s.columns.len(),
            s.targets.len()
        )
    }

    /// The schema's `name`.
    #[getter]
    fn name(&self) -> &str {
        &self.schema.name
    }

    /// The file the schema was read from (or the name given with the text).
    #[getter]
    fn file(&self) -> &str {
        &self.schema.source.file
    }

    /// Lower-case hex SHA-256 of the schema's text.
    #[getter]
    fn sha256(&self) -> &str {
        &self.schema.source.sha256
    }

    /// The YAML text.
    #[getter]
    fn text(&self) -> &str {
        &self.text
    }

    /// The column names, in order.
    #[getter]
    fn columns(&self) -> Vec<String> {
        self.schema.columns.iter().map(|c| c.name.clone()).collect()
    }

    /// The schema's default seed (`None` when it has none).
    #[getter]
    fn seed(&self) -> Option<u64> {
        self.schema.seed
    }

    /// The environment variable holding the pseudonymisation key (`privacy.key_env`).
    #[getter]
    fn key_env(&self) -> &str {
        &self.schema.privacy.key_env
    }

    /// The schema's default row count for `synth`.
    #[getter]
    fn rows(&self) -> u64 {
        self.schema.rows
    }

    fn __repr__(&self) -> String {
        format!(
            "Schema(name={:?}, file={:?}, columns={})",
            self.schema.name,
            self.schema.source.file,
            self.schema.columns.len()
        )
    }
}

/// Targets given by the wrapper: a file path, or JSON text made from a dict.
fn targets(
    py: Python<'_>,
    schema: &fairsynth::schema::Schema,
    path: Option<PathBuf>,
    text: Option<&str>,
) -> PyResult<Option<Vec<fairsynth::schema::Target>>> {
    let t = match (path, text) {
        (Some(p), _) => schema.targets_from_file(&p),
        (None, Some(t)) => schema.targets_from_str(t, GIVEN_TARGETS),
        (None, None) => return Ok(None),
    };
    t.map(Some).map_err(|e| {
        // The CLI reports a bad targets file as a usage error (exit 2) with the schema's text.
        raise(py, Failure::new(Kind::Usage, &e))
    })
}

/// The name of targets given as a dict, in errors, provenance and reports.
const GIVEN_TARGETS: &str = "<targets>";

/// How the CLI's provenance and reports name given targets: the targets file, or
/// [`GIVEN_TARGETS`] for targets given as a dict.
fn targets_name(path: Option<&std::path::Path>) -> String {
    path.map_or_else(|| GIVEN_TARGETS.to_string(), |p| p.display().to_string())
}

/// The sampling options of `Model.sample` and `fairsynth.spark.sample` (JSON from the Spark
/// adapter), resolved as the CLI resolves them.
#[derive(serde::Deserialize)]
struct SampleArgs {
    seed: Option<u64>,
    targets_path: Option<PathBuf>,
    targets_text: Option<String>,
    schema_targets: bool,
    no_fairness: bool,
}

impl SampleArgs {
    /// The options for `model`: given targets, else the schema's with `schema_targets`; the
    /// seed given, else the schema's, else 0.
    fn options(
        self,
        py: Python<'_>,
        model: &fairsynth::model::Model,
    ) -> PyResult<fairsynth::model::SampleOptions> {
        let schema = model.schema().map_err(|e| raise(py, e.into()))?;
        let given = targets(py, &schema, self.targets_path, self.targets_text.as_deref())?;
        let targets = match given {
            Some(t) => t,
            None if self.schema_targets => schema.targets.clone(),
            None => Vec::new(),
        };
        Ok(fairsynth::model::SampleOptions {
            seed: self.seed.or(schema.seed).unwrap_or(0),
            targets,
            fairness: !self.no_fairness,
        })
    }
}

/// The reweighting options of `fairsynth.reweight` and `fairsynth.spark.reweight` (JSON
/// from the Spark adapter; the CLI's names), resolved as the CLI resolves them.
#[derive(serde::Deserialize)]
struct ReweightArgs {
    resample: Option<u64>,
    targets_path: Option<PathBuf>,
    targets_text: Option<String>,
    seed: Option<u64>,
    max_weight: Option<f64>,
    min_weight: Option<f64>,
    tolerance: f64,
    max_iterations: usize,
    no_parity: bool,
    no_start_weights: bool,
    keep_identifiers: bool,
    weight_column: String,
}

impl ReweightArgs {
    /// The options for `schema`: given targets, else the schema's; parity when the schema
    /// asks for it and `no_parity` is off; the seed given, else the schema's, else 0.
    fn options(
        self,
        py: Python<'_>,
        schema: &fairsynth::schema::Schema,
    ) -> PyResult<fairsynth::reweight::Options> {
        let given = targets(py, schema, self.targets_path, self.targets_text.as_deref())?;
        Ok(fairsynth::reweight::Options {
            targets: given.unwrap_or_else(|| schema.targets.clone()),
            parity: !self.no_parity && schema.fairness.is_some(),
            tolerance: self.tolerance,
            max_iterations: self.max_iterations,
            min_weight: self.min_weight,
            max_weight: self.max_weight,
            unit_start_weights: self.no_start_weights,
            resample: self.resample,
            seed: self.seed.or(schema.seed).unwrap_or(0),
            keep_identifiers: self.keep_identifiers,
            weight_column: self.weight_column,
            compression: Default::default(),
        })
    }
}

/// `synth(schema, rows, seed, threads)` -> (pyarrow.Table).
#[pyfunction]
#[pyo3(signature = (schema, rows = None, seed = None, threads = None))]
fn synth<'py>(
    py: Python<'py>,
    schema: &PySchema,
    rows: Option<u64>,
    seed: Option<u64>,
    threads: Option<usize>,
) -> PyResult<Bound<'py, PyAny>> {
    let s = &schema.schema;
    let rows = rows.unwrap_or(s.rows);
    let seed = seed.or(s.seed).unwrap_or(0);
    let written = run(py, threads, || {
        let synth = fairsynth::synth::Synthesizer::new(s, seed)?;
        let line: Vec<String> = [
            "fairsynth",
            "synth",
            "--schema",
            &s.source.file,
            "--rows",
            &rows.to_string(),
            "--seed",
            &seed.to_string(),
        ]
        .iter()
        .map(|x| x.to_string())
        .collect();
        let prov = fairsynth::io::provenance(
            "synth",
            s,
            serde_json::json!({ "seed": seed, "rows": rows, "rng": "ChaCha8 streams keyed by SHA-256(seed, column, block)", "block_rows": fairsynth::synth::BLOCK_ROWS }),
            &line,
        );
        Ok(fairsynth::synth::write(
            &synth,
            rows,
            Output::Memory,
            &fairsynth::synth::WriteOptions::default(),
            &prov,
            &|_| {},
        )?)
    })?;
    written_table(py, written)
}

/// Whether schema text declares linked tables (`tables:`).
#[pyfunction]
fn declares_tables(text: &str) -> bool {
    fairsynth::schema::Document::declares_tables(text)
}

/// `synth_linked(text, name, scale, seed, threads)` -> {table name: pyarrow.Table}: every table
/// of a schema of linked tables, the rows `fairsynth synth` writes into its folder.
#[pyfunction]
#[pyo3(signature = (text, name, scale = None, seed = None, threads = None))]
fn synth_linked<'py>(
    py: Python<'py>,
    text: &str,
    name: &str,
    scale: Option<f64>,
    seed: Option<u64>,
    threads: Option<usize>,
) -> PyResult<Bound<'py, pyo3::types::PyDict>> {
    let doc =
        fairsynth::schema::Document::from_str_named(text, name).map_err(|e| raise(py, e.into()))?;
    let fairsynth::schema::Document::Database(mut db) = doc else {
        return Err(raise(
            py,
            Failure::text(
                Kind::Schema,
                format!("`{name}` declares one table; synth returns one table for it"),
            ),
        ));
    };
    if let Some(f) = scale {
        if !(f.is_finite() && f > 0.0) {
            return Err(raise(
                py,
                Failure::text(Kind::Base, format!("scale: {f} is not a positive factor")),
            ));
        }
        for t in db.tables.iter_mut().filter(|t| t.is_root()) {
            t.schema.rows = ((t.schema.rows as f64 * f).round() as u64).max(1);
        }
    }
    let seed = seed.or(db.seed).unwrap_or(0);
    let (synth, tables) = run(py, threads, || {
        let synth = fairsynth::synth::linked::LinkedSynthesizer::new(&db, seed)?;
        let tables = synth.to_batches()?;
        Ok((synth, tables))
    })?;
    let mut line: Vec<String> = ["fairsynth", "synth", "--schema", name, "--seed"]
        .iter()
        .map(|x| x.to_string())
        .collect();
    line.push(seed.to_string());
    if let Some(f) = scale {
        line.extend(["--scale".to_string(), f.to_string()]);
    }
    let out = pyo3::types::PyDict::new(py);
    for (i, ((table, batches), (_, schema))) in tables.into_iter().zip(synth.tables()).enumerate() {
        let prov = synth.provenance(i, &line, serde_json::json!({}));
        let metadata: std::collections::HashMap<String, String> =
            [(fairsynth::io::METADATA_KEY.to_string(), prov.to_string())].into();
        let schema = Arc::new(schema.as_ref().clone().with_metadata(metadata));
        let batches = batches
            .into_iter()
            .map(|b| b.with_schema(schema.clone()))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| raise(py, Failure::new(Kind::Base, &e)))?;
        out.set_item(table, to_table(py, schema, batches)?)?;
    }
    Ok(out)
}

/// `reweight(...)` -> (pyarrow.Table, report JSON, HTML page, summary).
#[pyfunction]
#[pyo3(signature = (data, schema, *, name, format, targets_path, targets_text, resample, seed,
    max_weight, min_weight, tolerance, max_iterations, no_parity, no_start_weights,
    keep_identifiers, weight_column, threads, dialect = None))]
#[allow(clippy::too_many_arguments)]
fn reweight<'py>(
    py: Python<'py>,
    data: &Bound<'py, PyAny>,
    schema: &PySchema,
    name: &str,
    format: Option<&str>,
    targets_path: Option<PathBuf>,
    targets_text: Option<&str>,
    resample: Option<u64>,
    seed: Option<u64>,
    max_weight: Option<f64>,
    min_weight: Option<f64>,
    tolerance: f64,
    max_iterations: usize,
    no_parity: bool,
    no_start_weights: bool,
    keep_identifiers: bool,
    weight_column: String,
    threads: Option<usize>,
    dialect: Option<Vec<(String, String)>>,
) -> PyResult<Bound<'py, PyTuple>> {
    let s = &schema.schema;
    let opts = ReweightArgs {
        resample,
        targets_path: targets_path.clone(),
        targets_text: targets_text.map(str::to_string),
        seed,
        max_weight,
        min_weight,
        tolerance,
        max_iterations,
        no_parity,
        no_start_weights,
        keep_identifiers,
        weight_column: weight_column.clone(),
    }
    .options(py, s)?;
    let input = input(py, data, name, format, Some(s), dialect.as_deref())?;
    let seed = opts.seed;
    // The CLI's content-determining options, as its provenance records them.
    let mut line: Vec<String> = vec![
        "fairsynth".into(),
        "reweight".into(),
        label(&input),
        "--schema".into(),
        s.source.file.clone(),
    ];
    if targets_path.is_some() || targets_text.is_some() {
        line.extend(["--targets".into(), targets_name(targets_path.as_deref())]);
    }
    for (flag, value) in [
        ("--resample", resample.map(|v| v.to_string())),
        ("--seed", resample.map(|_| seed.to_string())),
        ("--max-weight", max_weight.map(|v| v.to_string())),
        ("--min-weight", min_weight.map(|v| v.to_string())),
        ("--tolerance", Some(tolerance.to_string())),
        ("--max-iterations", Some(max_iterations.to_string())),
        ("--weight-column", Some(weight_column)),
    ] {
        if let Some(v) = value {
            line.extend([flag.to_string(), v]);
        }
    }
    for (flag, on) in [
        ("--no-parity", no_parity),
        ("--no-start-weights", no_start_weights),
        ("--keep-identifiers", keep_identifiers),
    ] {
        if on {
            line.push(flag.into());
        }
    }
    let (written, json, html, summary) = run(py, threads, || {
        let prov = fairsynth::io::provenance("reweight", s, serde_json::json!({}), &line);
        let (report, written) =
            fairsynth::reweight::reweight(&input, s, &opts, Output::Memory, prov)?;
        let ctx = context(s, &line, &[("input", &input)])?;
        let html = fairsynth::report::reweight_page(&report, &ctx);
        let mut summary = fairsynth::reweight::summary(&report);
        if let Some(w) = fairsynth::reweight::not_reached_warning(&report) {
            summary.push_str(&w);
            summary.push('\n');
        }
        Ok((written, serde_json::to_string(&report)?, html, summary))
    })?;
    let table = written_table(py, written)?;
    (table, json, html, summary).into_pyobject(py)
}

/// The pseudonymisation key given as bytes: trailing whitespace trimmed, as from a key file or
/// the environment, so the same key text gives the same pseudonyms from Python and from the
/// CLI; the caller's copy is zeroed.
fn pseudonym_key(
    py: Python<'_>,
    key: Option<Vec<u8>>,
) -> PyResult<Option<Arc<fairsynth::deid::pseudo::Key>>> {
    let Some(mut bytes) = key else {
        return Ok(None);
    };
    let n = bytes
        .iter()
        .rposition(|b| !b.is_ascii_whitespace())
        .map_or(0, |i| i + 1);
    let k = fairsynth::deid::pseudo::Key::from_bytes(&bytes[..n]);
    bytes.iter_mut().for_each(|b| *b = 0);
    Ok(Some(Arc::new(k.map_err(|e| raise(py, e.into()))?)))
}

/// `deidentify(...)` -> (pyarrow.Table, report JSON, HTML page, summary).
#[pyfunction]
#[pyo3(signature = (data, schema, *, name, format, key, key_file, threads, dialect = None))]
#[allow(clippy::too_many_arguments)]
fn deidentify<'py>(
    py: Python<'py>,
    data: &Bound<'py, PyAny>,
    schema: &PySchema,
    name: &str,
    format: Option<&str>,
    key: Option<Vec<u8>>,
    key_file: Option<PathBuf>,
    threads: Option<usize>,
    dialect: Option<Vec<(String, String)>>,
) -> PyResult<Bound<'py, PyTuple>> {
    let s = &schema.schema;
    let input = input(py, data, name, format, Some(s), dialect.as_deref())?;
    let key = pseudonym_key(py, key)?;
    let opts = fairsynth::deid::run::Options {
        key_file: key_file.clone(),
        key,
        compression: Default::default(),
    };
    // The key file's path is recorded, never a key.
    let mut line: Vec<String> = vec![
        "fairsynth".into(),
        "deidentify".into(),
        label(&input),
        "--schema".into(),
        s.source.file.clone(),
    ];
    if let Some(k) = &key_file {
        line.extend(["--key-file".into(), k.display().to_string()]);
    }
    let (written, json, html, summary) = run(py, threads, || {
        let prov = fairsynth::io::provenance("deidentify", s, serde_json::json!({}), &line);
        let (report, written) =
            fairsynth::deid::run::deidentify(&input, s, &opts, Output::Memory, prov)?;
        let ctx = context(s, &line, &[("input", &input)])?;
        let html = fairsynth::report::deidentify_page(&report, &ctx);
        let summary = fairsynth::deid::run::summary(&report);
        Ok((written, serde_json::to_string(&report)?, html, summary))
    })?;
    let table = written_table(py, written)?;
    (table, json, html, summary).into_pyobject(py)
}

/// `deidentify_linked(tables, text, name, key, key_file, threads)` -> ({table: pyarrow.Table},
/// report JSON, summary): every table of a schema of linked tables, the rows `fairsynth
/// deidentify DIR` writes into its folder.
#[pyfunction]
#[pyo3(signature = (tables, text, name, *, key, key_file, threads))]
fn deidentify_linked<'py>(
    py: Python<'py>,
    tables: &Bound<'py, pyo3::types::PyDict>,
    text: &str,
    name: &str,
    key: Option<Vec<u8>>,
    key_file: Option<PathBuf>,
    threads: Option<usize>,
) -> PyResult<Bound<'py, PyTuple>> {
    let db = linked::database(py, text, name, "deidentify")?;
    let sources: Vec<fairsynth::deid::linked::TableInput> = linked::inputs(py, tables, &db, name)?
        .into_iter()
        .zip(&db.tables)
        .map(|(input, t)| fairsynth::deid::linked::TableInput {
            label: t.name().to_string(),
            input,
        })
        .collect();
    let key = pseudonym_key(py, key)?;
    let opts = fairsynth::deid::run::Options {
        key_file: key_file.clone(),
        key,
        compression: Default::default(),
    };
    let mut line: Vec<String> = vec![
        "fairsynth".into(),
        "deidentify".into(),
        "(tables in memory)".into(),
        "--schema".into(),
        name.to_string(),
    ];
    if let Some(k) = &key_file {
        line.extend(["--key-file".into(), k.display().to_string()]);
    }
    let (report, outputs, summary) = run(py, threads, || {
        let prov = |i: usize| {
            fairsynth::io::provenance(
                "deidentify",
                &db.tables[i].schema,
                serde_json::json!({ "table": db.tables[i].name() }),
                &line,
            )
        };
        let (report, outputs) =
            fairsynth::deid::linked::deidentify_tables(&sources, &db, &opts, None, &prov)?;
        let summary = fairsynth::deid::linked::summary(&report);
        Ok((serde_json::to_string(&report)?, outputs, summary))
    })?;
    let out = pyo3::types::PyDict::new(py);
    for (t, (schema, batches)) in db.tables.iter().zip(outputs) {
        out.set_item(t.name(), to_table(py, schema, batches)?)?;
    }
    (out, report, summary).into_pyobject(py)
}

/// `inspect(...)` -> (profile JSON, drafted schema YAML, summary).
#[pyfunction]
#[pyo3(signature = (data, schema, *, name, format, dialect = None))]
fn inspect<'py>(
    py: Python<'py>,
    data: &Bound<'py, PyAny>,
    schema: Option<&PySchema>,
    name: &str,
    format: Option<&str>,
    dialect: Option<Vec<(String, String)>>,
) -> PyResult<Bound<'py, PyTuple>> {
    // The profile reports the types as given: no encoding.
    let input = input(py, data, name, format, None, dialect.as_deref())?;
    let schema = schema.map(|s| &s.schema);
    let out = run(py, None, || {
        let mut ins = fairsynth::deid::inspect::inspect(&input, schema)?;
        let levels = fairsynth::deid::inspect::category_levels(&input, &ins)?;
        let draft = fairsynth::deid::draft::draft(&input, &mut ins, &levels)?;
        let summary = fairsynth::deid::inspect::summary(&ins);
        Ok((serde_json::to_string(&ins)?, draft, summary))
    })?;
    out.into_pyobject(py)
}

/// A fitted model (a Bayesian network of the real table, optionally differentially private).
#[pyclass(module = "fairsynth._fairsynth", name = "NativeModel", frozen)]
struct PyModel {
    model: fairsynth::model::Model,
}

#[pymethods]
impl PyModel {
    /// Reads and checks a model file written by `save` or `fairsynth fit`.
    #[staticmethod]
    fn load(py: Python<'_>, path: PathBuf) -> PyResult<PyModel> {
        let model = fairsynth::model::Model::load(&path).map_err(|e| raise(py, e.into()))?;
        Ok(PyModel { model })
    }

    /// Writes the model as JSON (atomically: a temporary file beside it, then a rename).
    fn save(&self, py: Python<'_>, path: PathBuf) -> PyResult<()> {
        let m = &self.model;
        run(py, None, || Ok(m.save(&path)?))
    }

    /// The model as JSON text (the bytes `save` writes, without the final newline).
    fn to_json(&self, py: Python<'_>) -> PyResult<String> {
        serde_json::to_string_pretty(&self.model).map_err(|e| raise(py, e.into()))
    }

    /// The summary `fairsynth fit` prints.
    fn summary(&self) -> String {
        fairsynth::model::summary(&self.model)
    }

    /// Rows of the fitted table (the default for `sample`).
    #[getter]
    fn rows(&self) -> u64 {
        self.model.rows
    }

    /// The YAML text of the schema the model was fitted with.
    #[getter]
    fn schema_text(&self) -> &str {
        &self.model.schema.yaml
    }

    /// The schema file the model was fitted with, as it was named then.
    #[getter]
    fn schema_file(&self) -> &str {
        &self.model.schema.file
    }

    /// `sample(...)` -> (pyarrow.Table, report JSON, HTML page, summary).
    #[pyo3(signature = (rows, *, targets_path, targets_text, schema_targets, no_fairness, seed, threads))]
    #[allow(clippy::too_many_arguments)]
    fn sample<'py>(
        &self,
        py: Python<'py>,
        rows: Option<u64>,
        targets_path: Option<PathBuf>,
        targets_text: Option<&str>,
        schema_targets: bool,
        no_fairness: bool,
        seed: Option<u64>,
        threads: Option<usize>,
    ) -> PyResult<Bound<'py, PyTuple>> {
        let model = &self.model;
        let schema = model.schema().map_err(|e| raise(py, e.into()))?;
        let opts = SampleArgs {
            seed,
            targets_path: targets_path.clone(),
            targets_text: targets_text.map(str::to_string),
            schema_targets,
            no_fairness,
        }
        .options(py, model)?;
        let seed = opts.seed;
        let rows = rows.unwrap_or(model.rows);
        let mut line: Vec<String> = vec![
            "fairsynth".into(),
            "sample".into(),
            "<model>".into(),
            "--rows".into(),
            rows.to_string(),
            "--seed".into(),
            seed.to_string(),
        ];
        if targets_path.is_some() || targets_text.is_some() {
            line.extend(["--targets".into(), targets_name(targets_path.as_deref())]);
        }
        for (flag, on) in [
            ("--schema-targets", schema_targets),
            ("--no-fairness", no_fairness),
        ] {
            if on {
                line.push(flag.into());
            }
        }
        let (written, json, html, summary) = run(py, threads, || {
            let sampler = fairsynth::model::Sampler::new(model, &opts)?;
            let prov = fairsynth::io::provenance(
                "sample",
                &schema,
                serde_json::json!({
                    "seed": seed,
                    "rows": rows,
                    "model": {
                        "fitted_on": model.fit.input,
                        "input_sha256": model.fit.input_sha256,
                    },
                    "privacy": model.privacy,
                    "sampling": sampler.report(),
                }),
                &line,
            );
            let written = fairsynth::synth::write(
                &sampler,
                rows,
                Output::Memory,
                &fairsynth::synth::WriteOptions::default(),
                &prov,
                &|_| {},
            )?;
            let ctx = fairsynth::report::Context::new(&schema, &line);
            let html = fairsynth::report::sample_page(sampler.report(), model, &ctx);
            let summary = fairsynth::model::sample_summary(
                sampler.report(),
                written.rows,
                Path::new("a pyarrow Table"),
            );
            Ok((
                written,
                serde_json::to_string(sampler.report())?,
                html,
                summary,
            ))
        })?;
        let table = written_table(py, written)?;
        (table, json, html, summary).into_pyobject(py)
    }
}

/// `fit(...)` -> NativeModel.
#[pyfunction]
#[pyo3(signature = (data, schema, *, name, format, seed, epsilon, min_count, bins, max_parents, threads, dialect = None, delta = None, dp_mechanism = None, max_cells = None))]
#[allow(clippy::too_many_arguments)]
fn fit(
    py: Python<'_>,
    data: &Bound<'_, PyAny>,
    schema: &PySchema,
    name: &str,
    format: Option<&str>,
    seed: Option<u64>,
    epsilon: Option<f64>,
    min_count: u64,
    bins: usize,
    max_parents: usize,
    threads: Option<usize>,
    dialect: Option<Vec<(String, String)>>,
    delta: Option<f64>,
    dp_mechanism: Option<&str>,
    max_cells: Option<usize>,
) -> PyResult<PyModel> {
    let s = &schema.schema;
    let text = &schema.text;
    let privacy = privacy_options(epsilon, delta, dp_mechanism, max_cells)
        .map_err(|f| errors::raise(py, f))?;
    let input = input(py, data, name, format, Some(s), dialect.as_deref())?;
    let opts = fairsynth::model::FitOptions {
        seed: seed.or(s.seed).unwrap_or(0),
        epsilon,
        min_count,
        bins,
        max_parents,
        ..privacy
    };
    let model = run(py, threads, || {
        Ok(fairsynth::model::fit_input(&input, s, text, &opts)?)
    })?;
    Ok(PyModel { model })
}

/// The fit options of differential privacy and the model's size (`delta`, `dp_mechanism`,
/// `max_cells`) as the command line checks them: `delta` and `dp_mechanism` only with
/// `epsilon`; the rest of the options at their defaults.
pub(crate) fn privacy_options(
    epsilon: Option<f64>,
    delta: Option<f64>,
    dp_mechanism: Option<&str>,
    max_cells: Option<usize>,
) -> Result<fairsynth::model::FitOptions, Failure> {
    if epsilon.is_none() && (delta.is_some() || dp_mechanism.is_some()) {
        return Err(Failure::text(
            Kind::Usage,
            "delta and dp_mechanism apply to a private fit only\n    hint: give epsilon too, or drop them",
        ));
    }
    let dp_mechanism = match dp_mechanism {
        None | Some("gaussian") => fairsynth::model::DpMechanism::Gaussian,
        Some("laplace") => fairsynth::model::DpMechanism::Laplace,
        Some(other) => {
            return Err(Failure::text(
                Kind::Usage,
                format!("dp_mechanism `{other}` is not a noise mechanism\n    hint: use \"gaussian\" (the default) or \"laplace\""),
            ))
        }
    };
    if max_cells == Some(0) {
        return Err(Failure::text(
            Kind::Usage,
            "max_cells 0: the model needs tables of at least one cell\n    hint: give a positive number (the default is 1,048,576)",
        ));
    }
    let d = fairsynth::model::FitOptions::default();
    Ok(fairsynth::model::FitOptions {
        delta: delta.unwrap_or(d.delta),
        dp_mechanism,
        max_cells: max_cells.unwrap_or(d.max_cells),
        ..d
    })
}

/// `evaluate(...)` -> (report JSON, HTML page, summary, passed).
#[pyfunction]
#[pyo3(signature = (real, synthetic, schema, *, holdout, thresholds, seed, threads,
    targets_path = None, targets_text = None, no_targets = false, dialect = None))]
#[allow(clippy::too_many_arguments)]
fn evaluate<'py>(
    py: Python<'py>,
    real: &Bound<'py, PyAny>,
    synthetic: &Bound<'py, PyAny>,
    schema: &PySchema,
    holdout: Option<&Bound<'py, PyAny>>,
    thresholds: Vec<String>,
    seed: Option<u64>,
    threads: Option<usize>,
    targets_path: Option<PathBuf>,
    targets_text: Option<&str>,
    no_targets: bool,
    dialect: Option<Vec<(String, String)>>,
) -> PyResult<Bound<'py, PyTuple>> {
    let s = &schema.schema;
    // As the CLI: given targets (a file or a dict), none (`no_targets`), or else the targets
    // `sample` recorded in the synthetic table's metadata, if any.
    let given = targets(py, s, targets_path.clone(), targets_text)?;
    let targets = match given {
        Some(t) => fairsynth::evaluate::Targets::Given {
            targets: t,
            source: targets_name(targets_path.as_deref()),
        },
        None if no_targets => fairsynth::evaluate::Targets::Off,
        None => fairsynth::evaluate::Targets::Recorded,
    };
    let quality = fairsynth::evaluate::apply_thresholds(s.quality, &thresholds)
        .map_err(|e| raise(py, e.into()))?;
    let opts = fairsynth::evaluate::Options {
        real: input(py, real, "real", None, Some(s), dialect.as_deref())?,
        synthetic: input(
            py,
            synthetic,
            "synthetic",
            None,
            Some(s),
            dialect.as_deref(),
        )?,
        holdout: holdout
            .map(|h| input(py, h, "holdout", None, Some(s), dialect.as_deref()))
            .transpose()?,
        quality,
        seed: seed.or(s.seed).unwrap_or(0),
        targets,
    };
    let out = run(py, threads, || {
        let report = fairsynth::evaluate::evaluate(s, &opts)?;
        let mut line = vec!["fairsynth".to_string(), "evaluate".to_string()];
        for (flag, i) in [
            ("--real", Some(&opts.real)),
            ("--synthetic", Some(&opts.synthetic)),
        ] {
            if let Some(i) = i {
                line.extend([flag.to_string(), label(i)]);
            }
        }
        line.extend(["--schema".into(), s.source.file.clone()]);
        if let Some(h) = &opts.holdout {
            line.extend(["--holdout".into(), label(h)]);
        }
        line.extend(
            thresholds
                .iter()
                .flat_map(|t| ["--threshold".to_string(), t.clone()]),
        );
        line.extend(["--seed".into(), opts.seed.to_string()]);
        let mut inputs = vec![("real", &opts.real), ("synthetic", &opts.synthetic)];
        if let Some(h) = &opts.holdout {
            inputs.push(("holdout", h));
        }
        let ctx = context(s, &line, &inputs)?;
        let html = fairsynth::report::evaluate_page(&report, &ctx);
        let passed = passed(&report.checks);
        Ok((
            serde_json::to_string(&report)?,
            html,
            fairsynth::evaluate::summary(&report),
            passed,
        ))
    })?;
    out.into_pyobject(py)
}

fn passed(checks: &[fairsynth::evaluate::Check]) -> bool {
    checks
        .iter()
        .all(|c| c.status != fairsynth::evaluate::Status::Failed)
}

/// `audit(...)` -> (report JSON, HTML page, summary, passed).
#[pyfunction]
#[pyo3(signature = (data, schema, *, name, format, targets_path, targets_text, baseline, as_of, thresholds, threads, dialect = None))]
#[allow(clippy::too_many_arguments)]
fn audit<'py>(
    py: Python<'py>,
    data: &Bound<'py, PyAny>,
    schema: &PySchema,
    name: &str,
    format: Option<&str>,
    targets_path: Option<PathBuf>,
    targets_text: Option<&str>,
    baseline: Option<PathBuf>,
    as_of: Option<&str>,
    thresholds: Vec<String>,
    threads: Option<usize>,
    dialect: Option<Vec<(String, String)>>,
) -> PyResult<Bound<'py, PyTuple>> {
    let s = &schema.schema;
    let quality = fairsynth::evaluate::apply_thresholds(s.quality, &thresholds)
        .map_err(|e| raise(py, e.into()))?;
    let given = targets(py, s, targets_path.clone(), targets_text)?;
    let as_of_days = fairsynth::audit::as_of(as_of).map_err(|e| raise(py, e.into()))?;
    let opts = fairsynth::audit::Options {
        input: input(py, data, name, format, Some(s), dialect.as_deref())?,
        targets: given.unwrap_or_else(|| s.targets.clone()),
        quality,
        as_of: as_of_days,
        baseline: baseline.clone(),
    };
    let out = run(py, threads, || {
        let report = fairsynth::audit::audit(s, &opts)?;
        let mut line = vec![
            "fairsynth".to_string(),
            "audit".to_string(),
            label(&opts.input),
            "--schema".into(),
            s.source.file.clone(),
        ];
        if targets_path.is_some() || targets_text.is_some() {
            line.extend(["--targets".into(), targets_name(targets_path.as_deref())]);
        }
        if let Some(b) = &baseline {
            line.extend(["--baseline".into(), b.display().to_string()]);
        }
        line.extend(["--as-of".into(), report.quality.as_of.clone()]);
        line.extend(
            thresholds
                .iter()
                .flat_map(|t| ["--threshold".to_string(), t.clone()]),
        );
        let ctx = context(s, &line, &[("input", &opts.input)])?;
        let html = fairsynth::report::audit_page(&report, &ctx);
        let passed = passed(&report.checks);
        Ok((
            serde_json::to_string(&report)?,
            html,
            fairsynth::audit::summary(&report),
            passed,
        ))
    })?;
    out.into_pyobject(py)
}

/// The native module.
/// A KMS client given from Python: any object with `wrap_key(key_bytes, master_key_id)` and
/// `unwrap_key(wrapped_key, master_key_id)`, as a `pyarrow.parquet.encryption.KmsClient` has.
struct PyKms(Py<PyAny>);

impl PyKms {
    fn call(
        &self,
        method: &str,
        id: &str,
        arg: impl for<'py> FnOnce(Python<'py>) -> PyResult<Bound<'py, PyAny>>,
    ) -> Result<Vec<u8>, fairsynth::io::crypt::KeyError> {
        let failed = |message: String| fairsynth::io::crypt::KeyError::Kms {
            id: id.to_string(),
            message,
        };
        Python::attach(|py| {
            let a = arg(py).map_err(|e| failed(e.to_string()))?;
            let r = self
                .0
                .call_method1(py, method, (a, id))
                .map_err(|e| failed(format!("{method} raised {e}")))?;
            let r = r.bind(py);
            if let Ok(s) = r.extract::<String>() {
                return Ok(s.into_bytes());
            }
            r.extract::<Vec<u8>>()
                .map_err(|_| failed(format!("{method} returned neither bytes nor str")))
        })
    }
}

impl fairsynth::io::crypt::KmsClient for PyKms {
    fn wrap_key(
        &self,
        key: &[u8],
        master_key_id: &str,
    ) -> Result<String, fairsynth::io::crypt::KeyError> {
        let out = self.call("wrap_key", master_key_id, |py| {
            Ok(pyo3::types::PyBytes::new(py, key).into_any())
        })?;
        String::from_utf8(out).map_err(|_| fairsynth::io::crypt::KeyError::Kms {
            id: master_key_id.to_string(),
            message: "wrap_key returned bytes that are not text (base64 expected)".into(),
        })
    }

    fn unwrap_key(
        &self,
        wrapped: &str,
        master_key_id: &str,
    ) -> Result<Vec<u8>, fairsynth::io::crypt::KeyError> {
        self.call("unwrap_key", master_key_id, |py| {
            Ok(pyo3::types::PyString::new(py, wrapped).into_any())
        })
    }
}

/// `use_kms(client)`: the KMS client that opens encrypted Parquet inputs (any object with
/// `wrap_key` and `unwrap_key`, e.g. a `pyarrow.parquet.encryption.KmsClient`); `None` goes
/// back to master keys from the environment (`FAIRSYNTH_KEY_<ID>`).
#[pyfunction]
#[pyo3(signature = (client))]
fn use_kms(client: Option<Bound<'_, PyAny>>) -> PyResult<()> {
    let kms: Option<Arc<dyn fairsynth::io::crypt::KmsClient>> = match client {
        None => None,
        Some(c) => {
            for m in ["wrap_key", "unwrap_key"] {
                if !c.hasattr(m)? {
                    return Err(pyo3::exceptions::PyTypeError::new_err(format!(
                        "use_kms: a {} has no `{m}` method; pass an object with wrap_key(key_bytes, master_key_id) and unwrap_key(wrapped_key, master_key_id), such as a pyarrow KmsClient",
                        c.get_type().name()?
                    )));
                }
            }
            Some(Arc::new(PyKms(c.unbind())))
        }
    };
    fairsynth::io::crypt::set_default_kms(kms);
    Ok(())
}

#[pymodule]
fn _fairsynth(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_class::<PySchema>()?;
    m.add_class::<PyModel>()?;
    m.add_class::<linked::PyLinkedModel>()?;
    m.add_class::<spark_linked::PySparkLinkedSynth>()?;
    m.add_function(wrap_pyfunction!(spark_linked::spark_linked_keys, m)?)?;
    m.add_function(wrap_pyfunction!(linked::fit_linked, m)?)?;
    m.add_function(wrap_pyfunction!(linked::evaluate_linked, m)?)?;
    m.add_function(wrap_pyfunction!(linked::reweight_linked, m)?)?;
    m.add_function(wrap_pyfunction!(linked::audit_linked, m)?)?;
    m.add_function(wrap_pyfunction!(synth, m)?)?;
    m.add_function(wrap_pyfunction!(synth_linked, m)?)?;
    m.add_function(wrap_pyfunction!(deidentify_linked, m)?)?;
    m.add_function(wrap_pyfunction!(declares_tables, m)?)?;
    m.add_function(wrap_pyfunction!(reweight, m)?)?;
    m.add_function(wrap_pyfunction!(deidentify, m)?)?;
    m.add_function(wrap_pyfunction!(inspect, m)?)?;
    m.add_function(wrap_pyfunction!(fit, m)?)?;
    m.add_function(wrap_pyfunction!(evaluate, m)?)?;
    m.add_function(wrap_pyfunction!(audit, m)?)?;
    m.add_function(wrap_pyfunction!(use_kms, m)?)?;
    spark::register(m)?;
    spark_evaluate::register(m)?;
    Ok(())
}
