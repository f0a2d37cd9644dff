//! Linked tables in Python: a dict of tables (pyarrow, pandas, polars) by name under a schema
//! of linked tables, for `fit` (a [`PyLinkedModel`] whose `sample` gives a dict of tables
//! equal to `fairsynth sample`'s folder), `evaluate`, `audit` and `deidentify`.

use std::path::PathBuf;

use fairsynth::io::Input;
use fairsynth::model::linked::{
    fit_linked as fit_tables, LinkedModel, LinkedSampleOptions, LinkedSampler,
};
use fairsynth::schema::{Database, Document};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyTuple};

use crate::errors::{raise, run, Failure, Kind};
use crate::tables::{input, to_table};

/// The schema of linked tables in `text` (named `name`), or an error saying it is one table's.
pub(crate) fn database(py: Python<'_>, text: &str, name: &str, what: &str) -> PyResult<Database> {
    match Document::from_str_named(text, name).map_err(|e| raise(py, e.into()))? {
        Document::Database(db) => Ok(db),
        Document::Table(_) => Err(raise(
            py,
            Failure::text(
                Kind::Schema,
                format!("`{name}` declares one table; {what} takes one table for it"),
            ),
        )),
    }
}

/// One input per table of `db` from the dict `tables` (every table of the schema, and no
/// other name).
pub(crate) fn inputs(
    py: Python<'_>,
    tables: &Bound<'_, PyDict>,
    db: &Database,
    name: &str,
) -> PyResult<Vec<Input>> {
    let mut out = Vec::with_capacity(db.tables.len());
    for t in &db.tables {
        let Some(data) = tables.get_item(t.name())? else {
            return Err(raise(
                py,
                Failure::text(
                    Kind::Base,
                    format!(
                        "the schema's table `{}` is not among the tables given\n    hint: pass a dict with one entry per table of the schema",
                        t.name()
                    ),
                ),
            ));
        };
        out.push(input(py, &data, t.name(), None, Some(&t.schema), None)?);
    }
    for k in tables.keys() {
        let k: String = k.extract()?;
        if db.table(&k).is_none() {
            return Err(raise(
                py,
                Failure::text(
                    Kind::Base,
                    format!(
                        "`{k}` is not a table of the schema `{name}`\n    hint: the schema's tables are {}",
                        db.tables.iter().map(|t| t.name()).collect::<Vec<_>>().join(", ")
                    ),
                ),
            ));
        }
    }
    Ok(out)
}

/// A fitted model of linked tables.
#[pyclass(module = "fairsynth._fairsynth", name = "NativeLinkedModel", frozen)]
pub(crate) struct PyLinkedModel {
    model: LinkedModel,
}

#[pymethods]
impl PyLinkedModel {
    /// Reads and checks a linked model file.
    #[staticmethod]
    fn load(py: Python<'_>, path: PathBuf) -> PyResult<PyLinkedModel> {
        let model = LinkedModel::load(&path).map_err(|e| raise(py, e.into()))?;
        Ok(PyLinkedModel { model })
    }

    /// Writes the model as JSON, atomically.
    fn save(&self, py: Python<'_>, path: PathBuf) -> PyResult<()> {
        let m = &self.model;
        run(py, None, || Ok(m.save(&path)?))
    }

    /// The model as JSON text.
    fn to_json(&self, py: Python<'_>) -> PyResult<String> {
        serde_json::to_string_pretty(&self.model).map_err(|e| raise(py, e.into()))
    }

    /// Table names in generation order, with their fitted rows.
    fn tables(&self) -> Vec<(String, u64)> {
        self.model
            .tables
            .iter()
            .map(|t| (t.name.clone(), t.rows))
            .collect()
    }

    /// Every table sampled: a dict of pyarrow Tables by name (`fairsynth sample`'s folder).
    #[pyo3(signature = (seed, scale, threads, schema_targets = false, no_fairness = false))]
    fn sample<'py>(
        &self,
        py: Python<'py>,
        seed: Option<u64>,
        scale: Option<f64>,
        threads: Option<usize>,
        schema_targets: bool,
        no_fairness: bool,
    ) -> PyResult<Bound<'py, PyDict>> {
        let m = &self.model;
        let opts = LinkedSampleOptions {
            seed: seed.unwrap_or(0),
            schema_targets,
            fairness: !no_fairness,
        };
        let sample = run(py, threads, || {
            let s = LinkedSampler::new(m, &opts)?;
            Ok(s.sample(scale.unwrap_or(1.0))?)
        })?;
        let out = PyDict::new(py);
        for (name, batch) in sample.tables {
            out.set_item(&name, to_table(py, batch.schema(), vec![batch])?)?;
        }
        Ok(out)
    }
}

/// `fit_linked(tables, text, name, ...)` -> NativeLinkedModel; with `epsilon`, the private
/// fit of `fairsynth fit DIR --epsilon` (`max_children` its `--max-children`).
#[pyfunction]
#[pyo3(signature = (tables, text, name, *, seed, min_count, bins, max_parents, threads,
    epsilon = None, delta = None, dp_mechanism = None, max_cells = None, max_children = None))]
#[allow(clippy::too_many_arguments)]
pub(crate) fn fit_linked(
    py: Python<'_>,
    tables: &Bound<'_, PyDict>,
    text: &str,
    name: &str,
    seed: Option<u64>,
    min_count: u64,
    bins: usize,
    max_parents: usize,
    threads: Option<usize>,
    epsilon: Option<f64>,
    delta: Option<f64>,
    dp_mechanism: Option<&str>,
    max_cells: Option<usize>,
    max_children: Option<usize>,
) -> PyResult<PyLinkedModel> {
    if epsilon.is_none() && max_children.is_some() {
        return Err(raise(
            py,
            Failure::text(
                Kind::Usage,
                "max_children applies to a private fit only\n    hint: give epsilon too, or drop it",
            ),
        ));
    }
    let privacy = crate::privacy_options(epsilon, delta, dp_mechanism, max_cells)
        .map_err(|e| raise(py, e))?;
    let db = database(py, text, name, "fit")?;
    let inputs = inputs(py, tables, &db, name)?;
    let opts = fairsynth::model::FitOptions {
        seed: seed.or(db.seed).unwrap_or(0),
        epsilon,
        min_count,
        bins,
        max_parents,
        max_children: max_children.unwrap_or(fairsynth::model::linked::DEFAULT_MAX_CHILDREN),
        ..privacy
    };
    let model = run(py, threads, || Ok(fit_tables(&db, text, &inputs, &opts)?))?;
    Ok(PyLinkedModel { model })
}

/// `audit_linked(tables, text, name, as_of, thresholds, threads)` -> (report JSON, HTML page,
/// summary, passed): `fairsynth audit DIR --schema LINKED.yaml` of a dict of tables.
#[pyfunction]
#[pyo3(signature = (tables, text, name, *, as_of, thresholds, threads))]
pub(crate) fn audit_linked<'py>(
    py: Python<'py>,
    tables: &Bound<'py, PyDict>,
    text: &str,
    name: &str,
    as_of: Option<&str>,
    thresholds: Vec<String>,
    threads: Option<usize>,
) -> PyResult<Bound<'py, PyTuple>> {
    use fairsynth::audit::linked::{audit_linked, summary, LinkedOptions};
    let db = database(py, text, name, "audit")?;
    let inputs = inputs(py, tables, &db, name)?;
    let as_of = fairsynth::audit::as_of(as_of).map_err(|e| raise(py, e.into()))?;
    let opts = LinkedOptions {
        as_of,
        thresholds: thresholds.clone(),
    };
    let out = run(py, threads, || {
        let r = audit_linked(&db, &inputs, &opts)?;
        let mut line = vec![
            "fairsynth".to_string(),
            "audit".into(),
            "--schema".into(),
            name.to_string(),
            "--as-of".into(),
            r.as_of.clone(),
        ];
        line.extend(
            thresholds
                .iter()
                .flat_map(|t| ["--threshold".to_string(), t.clone()]),
        );
        let mut ctx = fairsynth::report::Context::for_database(&db, &line);
        for p in inputs.iter().filter_map(Input::path) {
            ctx = ctx
                .input("table", p)
                .map_err(|e| Failure::text(Kind::Input, format!("`{}`: {e}", p.display())))?;
        }
        Ok((
            serde_json::to_string(&r)?,
            fairsynth::report::linked_audit_page(&r, &ctx),
            summary(&r),
            r.passed,
        ))
    })?;
    out.into_pyobject(py)
}

/// `evaluate_linked(real, synthetic, text, name, holdout, thresholds, seed, threads)` ->
/// (report JSON, HTML page, summary, passed).
#[pyfunction]
#[pyo3(signature = (real, synthetic, text, name, *, holdout, thresholds, seed, threads))]
#[allow(clippy::too_many_arguments)]
pub(crate) fn evaluate_linked<'py>(
    py: Python<'py>,
    real: &Bound<'py, PyDict>,
    synthetic: &Bound<'py, PyDict>,
    text: &str,
    name: &str,
    holdout: Option<&Bound<'py, PyDict>>,
    thresholds: Vec<String>,
    seed: Option<u64>,
    threads: Option<usize>,
) -> PyResult<Bound<'py, PyTuple>> {
    let db = database(py, text, name, "evaluate")?;
    let real = inputs(py, real, &db, name)?;
    let synthetic = inputs(py, synthetic, &db, name)?;
    let holdout = holdout.map(|h| inputs(py, h, &db, name)).transpose()?;
    let opts = fairsynth::evaluate::linked::LinkedOptions {
        holdout: holdout.as_deref(),
        seed: seed.or(db.seed).unwrap_or(0),
        thresholds,
    };
    let out = run(py, threads, || {
        let r = fairsynth::evaluate::linked::evaluate_linked(&db, &real, &synthetic, &opts)?;
        let mut line = vec![
            "fairsynth".to_string(),
            "evaluate".into(),
            "--schema".into(),
            name.to_string(),
        ];
        line.extend(
            opts.thresholds
                .iter()
                .flat_map(|t| ["--threshold".to_string(), t.clone()]),
        );
        line.extend(["--seed".into(), opts.seed.to_string()]);
        let mut ctx = fairsynth::report::Context::for_database(&db, &line);
        let sides = [
            ("real", Some(&real)),
            ("synthetic", Some(&synthetic)),
            ("holdout", holdout.as_ref()),
        ];
        for (role, inputs) in sides {
            for p in inputs.into_iter().flatten().filter_map(Input::path) {
                ctx = ctx
                    .input(role, p)
                    .map_err(|e| Failure::text(Kind::Input, format!("`{}`: {e}", p.display())))?;
            }
        }
        Ok((
            serde_json::to_string(&r)?,
            fairsynth::report::evaluate_linked_page(&r, &ctx),
            fairsynth::evaluate::linked::summary(&r),
            r.passed,
        ))
    })?;
    out.into_pyobject(py)
}

/// `reweight_linked(tables, text, name, ...)` -> (dict of tables with the weight column,
/// report JSON, summary): `fairsynth reweight DIR`'s folder as a dict.
#[pyfunction]
#[pyo3(signature = (tables, text, name, *, no_parity, tolerance, max_iterations, min_weight,
    max_weight, no_start_weights, keep_identifiers, weight_column, threads))]
#[allow(clippy::too_many_arguments)]
pub(crate) fn reweight_linked<'py>(
    py: Python<'py>,
    tables: &Bound<'py, PyDict>,
    text: &str,
    name: &str,
    no_parity: bool,
    tolerance: f64,
    max_iterations: usize,
    min_weight: Option<f64>,
    max_weight: Option<f64>,
    no_start_weights: bool,
    keep_identifiers: bool,
    weight_column: String,
    threads: Option<usize>,
) -> PyResult<Bound<'py, PyTuple>> {
    let db = database(py, text, name, "reweight")?;
    let inputs = inputs(py, tables, &db, name)?;
    let opts = fairsynth::reweight::Options {
        parity: !no_parity,
        tolerance,
        max_iterations,
        min_weight,
        max_weight,
        unit_start_weights: no_start_weights,
        keep_identifiers,
        weight_column,
        ..fairsynth::reweight::Options::default()
    };
    let (report, out, summary) = run(py, threads, || {
        let (report, out) = fairsynth::reweight::linked::reweight_linked(&db, &inputs, &opts)?;
        let mut summary = fairsynth::reweight::linked::summary(&report);
        for w in fairsynth::reweight::linked::not_reached_warnings(&report) {
            summary.push_str(&w);
            summary.push('\n');
        }
        Ok((serde_json::to_string(&report)?, out, summary))
    })?;
    let dict = PyDict::new(py);
    for (name, batch) in out {
        dict.set_item(&name, to_table(py, batch.schema(), vec![batch])?)?;
    }
    (dict, report, summary).into_pyobject(py)
}
