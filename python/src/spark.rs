//! The native pieces of `fairsynth.spark`: each command split into what one partition computes,
//! what the driver merges and solves, and what one partition applies. The Spark adapter
//! (pure Python, `fairsynth/spark.py`) moves only these states between processes:
//! - synth and sample: whole blocks of the single-process output (block `b` is the same rows
//!   whichever process draws it, since its random streams are keyed by seed, column and block);
//! - reweight: per partition the raking state ([`fairsynth::reweight::CellSums`], serialised as
//!   JSON), merged and solved at the driver into [`fairsynth::reweight::Factors`], which every
//!   partition applies to its rows.

use std::path::PathBuf;

use arrow_pyarrow::IntoPyArrow;
use fairsynth::io::read::Reader;
use fairsynth::reweight::{CellSums, Factors};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyTuple};
use serde::Deserialize;

use super::{input, raise, run, targets, to_table, Failure, Kind, PyModel, PySchema};

/// Rows per block: the unit a partition owns.
pub(crate) const BLOCK_ROWS: u64 = fairsynth::synth::BLOCK_ROWS as u64;

/// Blocks `first..end` of the synthetic table of `rows` rows from `schema` and `seed`, as a
/// pyarrow Table (empty, with the table's schema, when the range is empty).
#[pyfunction]
pub(crate) fn spark_synth_blocks<'py>(
    py: Python<'py>,
    schema: &PySchema,
    seed: u64,
    rows: u64,
    first: u64,
    end: u64,
) -> PyResult<Bound<'py, PyAny>> {
    let s = &schema.schema;
    let (arrow, batches) = run(py, Some(1), || {
        let synth = fairsynth::synth::Synthesizer::new(s, seed)?;
        let end = end.min(rows.div_ceil(BLOCK_ROWS));
        let batches = (first..end)
            .map(|b| synth.block(b, rows))
            .collect::<Result<Vec<_>, _>>()?;
        Ok((synth.schema(), batches))
    })?;
    to_table(py, arrow, batches)
}

/// The sampling options `fairsynth.spark.sample` passes, as JSON.
#[derive(Deserialize)]
struct SampleArgs {
    seed: Option<u64>,
    targets_path: Option<PathBuf>,
    targets_text: Option<String>,
    schema_targets: bool,
    no_fairness: bool,
}

fn sample_options(
    py: Python<'_>,
    model: &fairsynth::model::Model,
    args: &str,
) -> PyResult<fairsynth::model::SampleOptions> {
    let a: SampleArgs = serde_json::from_str(args).map_err(|e| raise(py, e.into()))?;
    let schema = model.schema().map_err(|e| raise(py, e.into()))?;
    let given = targets(py, &schema, a.targets_path, a.targets_text.as_deref())?;
    let targets = match given {
        Some(t) => t,
        None if a.schema_targets => schema.targets.clone(),
        None => Vec::new(),
    };
    Ok(fairsynth::model::SampleOptions {
        seed: a.seed.or(schema.seed).unwrap_or(0),
        targets,
        fairness: !a.no_fairness,
    })
}

/// Blocks `first..end` of a sample of `rows` rows from `model` (options as JSON), as a pyarrow
/// Table.
#[pyfunction]
pub(crate) fn spark_sample_blocks<'py>(
    py: Python<'py>,
    model: &PyModel,
    options: &str,
    rows: u64,
    first: u64,
    end: u64,
) -> PyResult<Bound<'py, PyAny>> {
    let opts = sample_options(py, &model.model, options)?;
    let m = &model.model;
    let (arrow, batches) = run(py, Some(1), || {
        let sampler = fairsynth::model::Sampler::new(m, &opts)?;
        let end = end.min(rows.div_ceil(BLOCK_ROWS));
        let batches = (first..end)
            .map(|b| fairsynth::synth::BlockSource::block(&sampler, b, rows))
            .collect::<Result<Vec<_>, _>>()?;
        Ok((fairsynth::synth::BlockSource::schema(&sampler), batches))
    })?;
    to_table(py, arrow, batches)
}

/// The sampling report (JSON) of `model` with these options: what the targets and parity
/// did, as `sample` reports it.
#[pyfunction]
pub(crate) fn spark_sample_report(
    py: Python<'_>,
    model: &PyModel,
    options: &str,
) -> PyResult<String> {
    let opts = sample_options(py, &model.model, options)?;
    let m = &model.model;
    run(py, Some(1), || {
        let sampler = fairsynth::model::Sampler::new(m, &opts)?;
        Ok(serde_json::to_string(sampler.report())?)
    })
}

/// The reweighting options `fairsynth.spark.reweight` passes, as JSON (the CLI's names).
#[derive(Deserialize)]
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

fn reweight_options(
    py: Python<'_>,
    schema: &fairsynth::schema::Schema,
    args: &str,
) -> PyResult<fairsynth::reweight::Options> {
    let a: ReweightArgs = serde_json::from_str(args).map_err(|e| raise(py, e.into()))?;
    let given = targets(py, schema, a.targets_path, a.targets_text.as_deref())?;
    Ok(fairsynth::reweight::Options {
        targets: given.unwrap_or_else(|| schema.targets.clone()),
        parity: !a.no_parity && schema.fairness.is_some(),
        tolerance: a.tolerance,
        max_iterations: a.max_iterations,
        min_weight: a.min_weight,
        max_weight: a.max_weight,
        unit_start_weights: a.no_start_weights,
        resample: a.resample,
        seed: a.seed.or(schema.seed).unwrap_or(0),
        keep_identifiers: a.keep_identifiers,
        weight_column: a.weight_column,
        compression: Default::default(),
    })
}

/// Pass 1 on one partition: the raking state of its rows (typed by the schema, as the CLI
/// reads them), serialised. `name` names the partition in messages.
#[pyfunction]
pub(crate) fn spark_reweight_state<'py>(
    py: Python<'py>,
    data: &Bound<'py, PyAny>,
    schema: &PySchema,
    options: &str,
    name: &str,
) -> PyResult<Bound<'py, PyBytes>> {
    let s = &schema.schema;
    let opts = reweight_options(py, s, options)?;
    let input = input(py, data, name, None, Some(s))?;
    let bytes = run(py, Some(1), || {
        let reader = Reader::open(&input, s)?;
        let mut sums = CellSums::new(s, &opts, &reader.schema())?;
        for batch in reader {
            sums.add(&batch?)?;
        }
        Ok(serde_json::to_vec(&sums)?)
    })?;
    Ok(PyBytes::new(py, &bytes))
}

/// At the driver: merges the partitions' states (in partition order) and solves the raking.
/// Returns the report (JSON), the factors (serialised), the HTML page and the summary text.
#[pyfunction]
pub(crate) fn spark_reweight_solve<'py>(
    py: Python<'py>,
    states: Vec<Vec<u8>>,
    schema: &PySchema,
    options: &str,
    name: &str,
) -> PyResult<Bound<'py, PyTuple>> {
    let s = &schema.schema;
    let opts = reweight_options(py, s, options)?;
    let (json, factors, html, summary) = run(py, None, || {
        let mut merged: Option<CellSums> = None;
        for st in &states {
            let part: CellSums = serde_json::from_slice(st)?;
            match merged.as_mut() {
                None => merged = Some(part),
                Some(m) => m.merge(part)?,
            }
        }
        let Some(merged) = merged else {
            return Err(Failure::text(
                Kind::Usage,
                format!("{name}: the input has no rows"),
            ));
        };
        let (mut report, factors) = merged.solve(s, &opts, name)?;
        report.dropped_identifiers = s
            .columns
            .iter()
            .filter(|c| c.role == fairsynth::schema::Role::Identifier && !opts.keep_identifiers)
            .map(|c| c.name.clone())
            .collect();
        report.rows_written = opts.resample.unwrap_or(merged.rows());
        let mut summary = fairsynth::reweight::summary(&report);
        if !report.converged {
            summary.push_str(&format!(
                "warning: the targets were not reached within {:e} (stop: {:?}); see the residual error per margin above\n",
                report.tolerance, report.stop_reason
            ));
        }
        let line = vec![
            "fairsynth.spark.reweight".to_string(),
            name.to_string(),
            "--schema".into(),
            s.source.file.clone(),
        ];
        let html =
            fairsynth::report::reweight_page(&report, &fairsynth::report::Context::new(s, &line));
        Ok((
            serde_json::to_string(&report)?,
            serde_json::to_vec(&factors)?,
            html,
            summary,
        ))
    })?;
    (json, PyBytes::new(py, &factors), html, summary).into_pyobject(py)
}

/// Pass 2 on one partition: its rows (identifiers dropped unless kept) with their final
/// weight from the solved factors, as a pyarrow Table.
#[pyfunction]
pub(crate) fn spark_reweight_apply<'py>(
    py: Python<'py>,
    data: &Bound<'py, PyAny>,
    schema: &PySchema,
    options: &str,
    factors: &[u8],
    name: &str,
) -> PyResult<Bound<'py, PyAny>> {
    let s = &schema.schema;
    let opts = reweight_options(py, s, options)?;
    let input = input(py, data, name, None, Some(s))?;
    let written = run(py, Some(1), || {
        let factors: Factors = serde_json::from_slice(factors)?;
        Ok(fairsynth::reweight::apply(&input, s, &opts, &factors)?)
    })?;
    let table = arrow_pyarrow::Table::try_new(written.batches, written.schema)
        .map_err(|e| raise(py, Failure::new(Kind::Base, &e)))?;
    table.into_pyarrow(py)
}

/// A model from its JSON text (what `Model.to_json()` gives), as the driver ships it to the
/// executors.
#[pyfunction]
pub(crate) fn spark_model_from_json(py: Python<'_>, text: &str) -> PyResult<PyModel> {
    let model =
        fairsynth::model::Model::from_json(text.as_bytes(), std::path::Path::new("<model>"))
            .map_err(|e| raise(py, e.into()))?;
    Ok(PyModel { model })
}

/// Between the passes of a resample, on one partition: its rows and the sum of their final
/// weights in row order.
#[pyfunction]
pub(crate) fn spark_reweight_chunk_weight(
    py: Python<'_>,
    data: &Bound<'_, PyAny>,
    schema: &PySchema,
    factors: &[u8],
    name: &str,
) -> PyResult<(u64, f64)> {
    let s = &schema.schema;
    let input = input(py, data, name, None, Some(s))?;
    run(py, Some(1), || {
        let factors: Factors = serde_json::from_slice(factors)?;
        Ok(fairsynth::reweight::chunk_weight(&input, s, &factors)?)
    })
}

/// At the driver: the resample's first sampling point and step for the total weight.
#[pyfunction]
pub(crate) fn spark_resample_points(
    py: Python<'_>,
    schema: &PySchema,
    options: &str,
    total_weight: f64,
) -> PyResult<(f64, f64)> {
    let opts = reweight_options(py, &schema.schema, options)?;
    fairsynth::reweight::resample_points(&opts, total_weight).ok_or_else(|| {
        raise(
            py,
            Failure::text(Kind::Usage, "no resample size was given".to_string()),
        )
    })
}

/// One partition's part of the resample (see `fairsynth::reweight::resample_chunk`), as a
/// pyarrow Table.
#[pyfunction]
#[allow(clippy::too_many_arguments)]
pub(crate) fn spark_reweight_resample<'py>(
    py: Python<'py>,
    data: &Bound<'py, PyAny>,
    schema: &PySchema,
    options: &str,
    factors: &[u8],
    offset: f64,
    point: f64,
    step: f64,
    count: u64,
    name: &str,
) -> PyResult<Bound<'py, PyAny>> {
    let s = &schema.schema;
    let opts = reweight_options(py, s, options)?;
    let input = input(py, data, name, None, Some(s))?;
    let written = run(py, Some(1), || {
        let factors: Factors = serde_json::from_slice(factors)?;
        Ok(fairsynth::reweight::resample_chunk(
            &input, s, &opts, &factors, offset, point, step, count,
        )?)
    })?;
    let table = arrow_pyarrow::Table::try_new(written.batches, written.schema)
        .map_err(|e| raise(py, Failure::new(Kind::Base, &e)))?;
    table.into_pyarrow(py)
}

/// Registers the functions above in the native module.
pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("BLOCK_ROWS", BLOCK_ROWS)?;
    m.add_function(wrap_pyfunction!(spark_synth_blocks, m)?)?;
    m.add_function(wrap_pyfunction!(spark_sample_blocks, m)?)?;
    m.add_function(wrap_pyfunction!(spark_sample_report, m)?)?;
    m.add_function(wrap_pyfunction!(spark_model_from_json, m)?)?;
    m.add_function(wrap_pyfunction!(spark_reweight_state, m)?)?;
    m.add_function(wrap_pyfunction!(spark_reweight_solve, m)?)?;
    m.add_function(wrap_pyfunction!(spark_reweight_apply, m)?)?;
    m.add_function(wrap_pyfunction!(spark_reweight_chunk_weight, m)?)?;
    m.add_function(wrap_pyfunction!(spark_resample_points, m)?)?;
    m.add_function(wrap_pyfunction!(spark_reweight_resample, m)?)?;
    Ok(())
}
