//! The native pieces of `fairsynth.spark`: each command split into what one partition computes,
//! what the driver merges and solves, and what one partition applies. The Spark adapter
//! (pure Python, `fairsynth/spark.py`) moves only these states between processes:
//! - synth and sample: whole blocks of the single-process output (block `b` is the same rows
//!   whichever process draws it, since its random streams are keyed by seed, column and block);
//! - reweight: per partition the raking state ([`fairsynth::reweight::CellSums`], serialised as
//!   JSON), merged and solved at the driver into [`fairsynth::reweight::Factors`], which every
//!   partition applies to its rows;
//! - deidentify: per partition the pass-1 counts ([`fairsynth::deid::steps::Counts`]), merged
//!   and judged at the driver into a plan (the generalisation and the key's fingerprint, never
//!   the key); per partition the transformed rows and the pass-2 state
//!   ([`fairsynth::deid::steps::Released`]), merged at the driver into the report and the
//!   gates' verdicts;
//! - fit: the three steps of [`fairsynth::model::FitPlan`]: per partition the
//!   [`fairsynth::model::FitSummary`], merged at the driver (the variables and the plan); per
//!   partition the [`fairsynth::model::CodeCounts`], merged and searched at the driver into a
//!   [`fairsynth::model::FitStructure`]; per partition the [`fairsynth::model::CopulaSums`],
//!   merged at the driver into the model.

use std::path::PathBuf;

use fairsynth::deid::pseudo::Key;
use fairsynth::deid::steps::{Counts, Judged, Plan, Released, Steps};
use fairsynth::io::read::{Input, Reader};
use fairsynth::model::{CodeCounts, CopulaSums, FitPlan, FitStructure, FitSummary};
use fairsynth::reweight::{CellSums, Factors};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyTuple};
use serde::Deserialize;

use super::{
    input, raise, run, to_table, written_table, Failure, Kind, PyModel, PySchema, ReweightArgs,
    SampleArgs,
};

/// Rows per block: the unit a partition owns.
pub(crate) const BLOCK_ROWS: u64 = fairsynth::synth::BLOCK_ROWS as u64;

/// One partition's state: `work` on the partition's rows (`data`, typed as `schema` says, as
/// one process reads them) in one thread with the GIL released, serialised as JSON; a failure
/// is raised as the `fairsynth` exception one process raises. `name` names the partition in
/// messages.
pub(crate) fn partition_state<'py, T: serde::Serialize + Send>(
    py: Python<'py>,
    data: &Bound<'py, PyAny>,
    schema: &PySchema,
    name: &str,
    work: impl FnOnce(&Input, &fairsynth::schema::Schema) -> Result<T, Failure> + Send,
) -> PyResult<Bound<'py, PyBytes>> {
    let s = &schema.schema;
    let input = input(py, data, name, None, Some(s), None)?;
    let bytes = run(py, Some(1), || Ok(serde_json::to_vec(&work(&input, s)?)?))?;
    Ok(PyBytes::new(py, &bytes))
}

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
fn sample_options(
    py: Python<'_>,
    model: &fairsynth::model::Model,
    args: &str,
) -> PyResult<fairsynth::model::SampleOptions> {
    let a: SampleArgs = serde_json::from_str(args).map_err(|e| raise(py, e.into()))?;
    a.options(py, model)
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
fn reweight_options(
    py: Python<'_>,
    schema: &fairsynth::schema::Schema,
    args: &str,
) -> PyResult<fairsynth::reweight::Options> {
    let a: ReweightArgs = serde_json::from_str(args).map_err(|e| raise(py, e.into()))?;
    a.options(py, schema)
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
    let opts = reweight_options(py, &schema.schema, options)?;
    partition_state(py, data, schema, name, |input, s| {
        let reader = Reader::open(input, s)?;
        let mut sums = CellSums::new(s, &opts, &reader.schema())?;
        for batch in reader {
            sums.add(&batch?)?;
        }
        Ok(sums)
    })
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
        report.dropped_identifiers = fairsynth::reweight::dropped_identifiers(s, &opts);
        report.rows_written = opts.resample.unwrap_or(merged.rows());
        let mut summary = fairsynth::reweight::summary(&report);
        if let Some(w) = fairsynth::reweight::not_reached_warning(&report) {
            summary.push_str(&w);
            summary.push('\n');
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
    let input = input(py, data, name, None, Some(s), None)?;
    let written = run(py, Some(1), || {
        let factors: Factors = serde_json::from_slice(factors)?;
        Ok(fairsynth::reweight::apply(&input, s, &opts, &factors)?)
    })?;
    written_table(py, written)
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
    let input = input(py, data, name, None, Some(s), None)?;
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
    let input = input(py, data, name, None, Some(s), None)?;
    let written = run(py, Some(1), || {
        let factors: Factors = serde_json::from_slice(factors)?;
        Ok(fairsynth::reweight::resample_chunk(
            &input, s, &opts, &factors, offset, point, step, count,
        )?)
    })?;
    written_table(py, written)
}

/// The de-identification key from bytes given in Python (trailing whitespace trimmed, as
/// `fairsynth.deidentify` does), else the key file, else the schema's environment variable
/// (in the process that calls this: the driver, or an executor); `None` when no column
/// needs one.
fn deid_key(
    steps: &Steps,
    schema: &fairsynth::schema::Schema,
    key: Option<Vec<u8>>,
    key_file: Option<&std::path::Path>,
) -> Result<Option<Key>, Failure> {
    if !steps.needs_key() {
        return Ok(None);
    }
    let key = match key {
        Some(mut bytes) => {
            let n = bytes
                .iter()
                .rposition(|b| !b.is_ascii_whitespace())
                .map_or(0, |i| i + 1);
            let k = Key::from_bytes(&bytes[..n]);
            bytes.iter_mut().for_each(|b| *b = 0);
            k?
        }
        None => Key::load(key_file, &schema.privacy.key_env)?,
    };
    Ok(Some(key))
}

/// The de-identification steps for `input`'s columns (as the schema types them).
fn deid_steps(input: &Input, s: &fairsynth::schema::Schema) -> Result<(Steps, Reader), Failure> {
    let reader = Reader::open(input, s)?;
    let steps = Steps::new(s, &reader.schema())?;
    Ok((steps, reader))
}

/// Pass 1 of `deidentify` on one partition: its counts (rows, consent, the safety-net scans,
/// the quasi-identifier classes), serialised.
#[pyfunction]
pub(crate) fn spark_deid_counts<'py>(
    py: Python<'py>,
    data: &Bound<'py, PyAny>,
    schema: &PySchema,
    name: &str,
) -> PyResult<Bound<'py, PyBytes>> {
    partition_state(py, data, schema, name, |input, s| {
        let (steps, reader) = deid_steps(input, s)?;
        let mut counts = steps.counts();
        for batch in reader {
            steps.count(&mut counts, &batch?)?;
        }
        Ok(counts)
    })
}

/// Merges partitions' serialised states in order.
fn merged<T: serde::de::DeserializeOwned, E>(
    states: &[Vec<u8>],
    mut merge: impl FnMut(&mut T, T) -> Result<(), E>,
) -> Result<Option<T>, Failure>
where
    Failure: From<E>,
{
    let mut out: Option<T> = None;
    for st in states {
        let part: T = serde_json::from_slice(st)?;
        match out.as_mut() {
            None => out = Some(part),
            Some(m) => merge(m, part)?,
        }
    }
    Ok(out)
}

/// At the driver, after pass 1: the steps of `columns` (an empty table of the input's
/// columns), the merged counts of the partitions (in partition order), judged, and the plan.
fn deid_judged(
    py: Python<'_>,
    columns: &Bound<'_, PyAny>,
    s: &fairsynth::schema::Schema,
    states: &[Vec<u8>],
    key: Option<Vec<u8>>,
    key_file: Option<&std::path::Path>,
    name: &str,
) -> PyResult<(Steps, Counts, Judged, Plan)> {
    let input = input(py, columns, name, None, Some(s), None)?;
    run(py, None, || {
        let (steps, _) = deid_steps(&input, s)?;
        // The key first, as one process loads it before reading the data.
        let key = deid_key(&steps, s, key, key_file)?;
        let counts = merged(states, Counts::merge)?.unwrap_or_else(|| steps.counts());
        let judged = steps.judge(&counts)?;
        let plan = steps.plan(&judged, key.as_ref())?;
        Ok((steps, counts, judged, plan))
    })
}

/// At the driver: the plan (serialised) from the partitions' pass-1 states, or the error one
/// process would raise (safety net, k unreachable, missing key). `columns`: an empty table of
/// the input's columns.
#[pyfunction]
#[pyo3(signature = (columns, schema, states, key, key_file, name))]
pub(crate) fn spark_deid_plan<'py>(
    py: Python<'py>,
    columns: &Bound<'py, PyAny>,
    schema: &PySchema,
    states: Vec<Vec<u8>>,
    key: Option<Vec<u8>>,
    key_file: Option<PathBuf>,
    name: &str,
) -> PyResult<Bound<'py, PyBytes>> {
    let s = &schema.schema;
    let (_, _, _, plan) = deid_judged(py, columns, s, &states, key, key_file.as_deref(), name)?;
    let bytes = serde_json::to_vec(&plan).map_err(|e| raise(py, e.into()))?;
    Ok(PyBytes::new(py, &bytes))
}

/// Pass 2 on one partition: its released rows as a pyarrow Table (with the output's columns,
/// empty when none is released) and its pass-2 state (serialised). The key comes from `key`
/// (bytes), else `key_file`, else the environment of this process, and must have the plan's
/// fingerprint.
#[pyfunction]
#[pyo3(signature = (data, schema, plan, key, key_file, name))]
pub(crate) fn spark_deid_transform<'py>(
    py: Python<'py>,
    data: &Bound<'py, PyAny>,
    schema: &PySchema,
    plan: &[u8],
    key: Option<Vec<u8>>,
    key_file: Option<PathBuf>,
    name: &str,
) -> PyResult<Bound<'py, PyTuple>> {
    let s = &schema.schema;
    let input = input(py, data, name, None, Some(s), None)?;
    let (arrow, batches, state) = run(py, Some(1), || {
        let plan: Plan = serde_json::from_slice(plan)?;
        let (steps, reader) = deid_steps(&input, s)?;
        let key = deid_key(&steps, s, key, key_file.as_deref())?;
        steps.check_key(&plan, key.as_ref())?;
        let mut released = steps.released();
        let mut out = Vec::new();
        for batch in reader {
            out.extend(steps.transform(&plan, key.as_ref(), &batch?, &mut released)?);
        }
        Ok((steps.output_schema(), out, serde_json::to_vec(&released)?))
    })?;
    let table = to_table(py, arrow, batches)?;
    (table, PyBytes::new(py, &state)).into_pyobject(py)
}

/// At the driver, after pass 2: the report (JSON), its HTML page and summary from the
/// partitions' pass-1 and pass-2 states, or the error one process raises (identifiers left
/// after redaction, `privacy.max_unique_share`).
#[pyfunction]
#[pyo3(signature = (columns, schema, states, released, key, key_file, name))]
#[allow(clippy::too_many_arguments)]
pub(crate) fn spark_deid_finish<'py>(
    py: Python<'py>,
    columns: &Bound<'py, PyAny>,
    schema: &PySchema,
    states: Vec<Vec<u8>>,
    released: Vec<Vec<u8>>,
    key: Option<Vec<u8>>,
    key_file: Option<PathBuf>,
    name: &str,
) -> PyResult<Bound<'py, PyTuple>> {
    let s = &schema.schema;
    let (steps, counts, judged, plan) =
        deid_judged(py, columns, s, &states, key, key_file.as_deref(), name)?;
    let (json, html, summary) = run(py, None, || {
        let report = steps.report(&counts, judged, &plan);
        let released = merged(&released, Released::merge)?.unwrap_or_else(|| steps.released());
        let report = steps.finish(report, released)?;
        // The key file's path is recorded, never a key.
        let mut line = vec![
            "fairsynth.spark.deidentify".to_string(),
            name.to_string(),
            "--schema".into(),
            s.source.file.clone(),
        ];
        if let Some(k) = &key_file {
            line.extend(["--key-file".into(), k.display().to_string()]);
        }
        let html =
            fairsynth::report::deidentify_page(&report, &fairsynth::report::Context::new(s, &line));
        let summary = fairsynth::deid::run::summary(&report);
        Ok((serde_json::to_string(&report)?, html, summary))
    })?;
    (json, html, summary).into_pyobject(py)
}

/// The fit options `fairsynth.spark.fit` passes, as JSON.
#[derive(Deserialize)]
struct FitArgs {
    seed: Option<u64>,
    epsilon: Option<f64>,
    #[serde(default)]
    delta: Option<f64>,
    #[serde(default)]
    dp_mechanism: Option<String>,
    #[serde(default)]
    max_cells: Option<usize>,
    min_count: u64,
    bins: usize,
    max_parents: usize,
}

/// The fit options from `options` (JSON) and the schema's seed; `name` names the input in the
/// model, as `fairsynth.fit` on in-memory data does.
fn fit_options(
    s: &fairsynth::schema::Schema,
    options: &str,
    name: &str,
) -> Result<fairsynth::model::FitOptions, Failure> {
    let a: FitArgs = serde_json::from_str(options)?;
    let privacy =
        crate::privacy_options(a.epsilon, a.delta, a.dp_mechanism.as_deref(), a.max_cells)?;
    Ok(fairsynth::model::FitOptions {
        seed: a.seed.or(s.seed).unwrap_or(0),
        epsilon: a.epsilon,
        min_count: a.min_count,
        bins: a.bins,
        max_parents: a.max_parents,
        input: name.to_string(),
        ..privacy
    })
}

/// The modelled columns of `input` as one table.
fn fit_table(
    input: &Input,
    s: &fairsynth::schema::Schema,
) -> Result<fairsynth::io::table::Table, Failure> {
    Ok(fairsynth::io::table::Table::load_only(
        input,
        s,
        FitSummary::new(s).columns(),
    )?)
}

/// The plan from the merged summary (serialised), or the error one process raises. On the
/// executors (`checked`: the driver made the plan from the same summary) without the safety
/// net's scan of every level.
fn fit_plan(
    s: &fairsynth::schema::Schema,
    text: &str,
    summary: &[u8],
    options: &str,
    name: &str,
    checked: bool,
) -> Result<FitPlan, Failure> {
    let summary: FitSummary = serde_json::from_slice(summary)?;
    let opts = fit_options(s, options, name)?;
    Ok(if checked {
        FitPlan::for_chunks(&summary, s, text, &opts)?
    } else {
        FitPlan::new(&summary, s, text, &opts)?
    })
}

/// Step 1 of `fit` on one partition: its [`FitSummary`], serialised.
#[pyfunction]
pub(crate) fn spark_fit_summary<'py>(
    py: Python<'py>,
    data: &Bound<'py, PyAny>,
    schema: &PySchema,
    name: &str,
) -> PyResult<Bound<'py, PyBytes>> {
    partition_state(py, data, schema, name, |input, s| {
        let mut summary = FitSummary::new(s);
        summary.add_table(&fit_table(input, s)?)?;
        Ok(summary)
    })
}

/// At the driver, after step 1: the partitions' summaries merged (serialised), once the plan
/// they make is checked (the error one process raises: no rows, undeclared identifiers, bad
/// options, a head too large).
#[pyfunction]
pub(crate) fn spark_fit_plan<'py>(
    py: Python<'py>,
    schema: &PySchema,
    states: Vec<Vec<u8>>,
    options: &str,
    name: &str,
) -> PyResult<Bound<'py, PyBytes>> {
    let s = &schema.schema;
    let bytes = run(py, None, || {
        let summary = merged(&states, FitSummary::merge)?.unwrap_or_else(|| FitSummary::new(s));
        let bytes = serde_json::to_vec(&summary)?;
        fit_plan(s, &schema.text, &bytes, options, name, false)?;
        Ok(bytes)
    })?;
    Ok(PyBytes::new(py, &bytes))
}

/// Step 2 on one partition: its [`CodeCounts`] under the plan of the merged `summary`.
#[pyfunction]
pub(crate) fn spark_fit_codes<'py>(
    py: Python<'py>,
    data: &Bound<'py, PyAny>,
    schema: &PySchema,
    summary: &[u8],
    options: &str,
    name: &str,
) -> PyResult<Bound<'py, PyBytes>> {
    partition_state(py, data, schema, name, |input, s| {
        let plan = fit_plan(s, &schema.text, summary, options, name, true)?;
        let mut counts = plan.code_counts();
        plan.count_codes_table(&mut counts, &fit_table(input, s)?)?;
        Ok(counts)
    })
}

/// At the driver, after step 2: the structure (the model without its copula, serialised) from
/// the partitions' code counts, and whether step 3 is needed (the model has a copula).
#[pyfunction]
pub(crate) fn spark_fit_structure<'py>(
    py: Python<'py>,
    schema: &PySchema,
    summary: &[u8],
    states: Vec<Vec<u8>>,
    options: &str,
    name: &str,
) -> PyResult<Bound<'py, PyTuple>> {
    let s = &schema.schema;
    let (bytes, copula) = run(py, None, || {
        let plan = fit_plan(s, &schema.text, summary, options, name, true)?;
        let counts = merged(&states, CodeCounts::merge)?.unwrap_or_else(|| plan.code_counts());
        let structure = plan.structure(&counts)?;
        Ok((
            serde_json::to_vec(&structure)?,
            structure.copula_sums().is_some(),
        ))
    })?;
    (PyBytes::new(py, &bytes), copula).into_pyobject(py)
}

/// Step 3 on one partition: its [`CopulaSums`] under the `structure`.
#[pyfunction]
#[pyo3(signature = (data, schema, summary, structure, options, name))]
pub(crate) fn spark_fit_copula<'py>(
    py: Python<'py>,
    data: &Bound<'py, PyAny>,
    schema: &PySchema,
    summary: &[u8],
    structure: &[u8],
    options: &str,
    name: &str,
) -> PyResult<Bound<'py, PyBytes>> {
    partition_state(py, data, schema, name, |input, s| {
        let plan = fit_plan(s, &schema.text, summary, options, name, true)?;
        let structure: FitStructure = serde_json::from_slice(structure)?;
        let mut sums = structure.copula_sums().ok_or_else(|| {
            Failure::from(fairsynth::model::ModelError::Invalid(
                "this structure has no copula to sum".into(),
            ))
        })?;
        plan.count_copula_table(&structure, &mut sums, &fit_table(input, s)?)?;
        Ok(sums)
    })
}

/// At the driver, after step 3: the model from the structure and the partitions' copula sums
/// (none when the structure has no copula).
#[pyfunction]
pub(crate) fn spark_fit_finish(
    py: Python<'_>,
    structure: &[u8],
    states: Vec<Vec<u8>>,
) -> PyResult<PyModel> {
    let model = run(py, None, || {
        let structure: FitStructure = serde_json::from_slice(structure)?;
        let sums = match structure.copula_sums() {
            None => None,
            Some(empty) => Some(merged(&states, CopulaSums::merge)?.unwrap_or(empty)),
        };
        Ok(structure.finish(sums)?)
    })?;
    Ok(PyModel { model })
}

/// The provenance JSON of a Spark command's output: [`fairsynth::io::provenance`] with
/// `fields` (a JSON object) and the call as a command line.
#[pyfunction]
pub(crate) fn spark_provenance(
    py: Python<'_>,
    schema: &PySchema,
    command: &str,
    fields: &str,
    command_line: Vec<String>,
) -> PyResult<String> {
    let fields: serde_json::Value =
        serde_json::from_str(fields).map_err(|e| raise(py, e.into()))?;
    let v = fairsynth::io::provenance(command, &schema.schema, fields, &command_line);
    serde_json::to_string(&v).map_err(|e| raise(py, e.into()))
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
    m.add_function(wrap_pyfunction!(spark_deid_counts, m)?)?;
    m.add_function(wrap_pyfunction!(spark_deid_plan, m)?)?;
    m.add_function(wrap_pyfunction!(spark_deid_transform, m)?)?;
    m.add_function(wrap_pyfunction!(spark_deid_finish, m)?)?;
    m.add_function(wrap_pyfunction!(spark_fit_summary, m)?)?;
    m.add_function(wrap_pyfunction!(spark_fit_plan, m)?)?;
    m.add_function(wrap_pyfunction!(spark_fit_codes, m)?)?;
    m.add_function(wrap_pyfunction!(spark_fit_structure, m)?)?;
    m.add_function(wrap_pyfunction!(spark_fit_copula, m)?)?;
    m.add_function(wrap_pyfunction!(spark_fit_finish, m)?)?;
    m.add_function(wrap_pyfunction!(spark_provenance, m)?)?;
    Ok(())
}
