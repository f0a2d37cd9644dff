//! The native pieces of `fairsynth.spark.evaluate`: fidelity from mergeable counts of whole
//! DataFrames ([`fairsynth::evaluate::state`]: column counts, then pair counts under a plan
//! both tables share), and the rest of the report (utility, privacy, fairness, the gates) from
//! the single-process `evaluate` on rows collected to the driver: the whole tables when they
//! are small enough, else a sample chosen by row content.

use fairsynth::evaluate::state::{fidelity, ColumnCounts, FidelityPlan, PairCounts};
use fairsynth::io::read::Reader;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyTuple};
use serde::Deserialize;

use super::spark::partition_state;
use super::{input, raise, run, Failure, Kind, PySchema};

/// The columns both tables hold that `evaluate` compares, and the skipped ones (JSON).
/// Raises `InputError` when there is none, with the CLI's message.
#[pyfunction]
pub(crate) fn spark_evaluate_columns(
    py: Python<'_>,
    schema: &PySchema,
    real: Vec<String>,
    synthetic: Vec<String>,
    real_name: &str,
    synthetic_name: &str,
) -> PyResult<(Vec<String>, String)> {
    let (names, skipped) =
        fairsynth::evaluate::evaluated_columns(&schema.schema, &real, &synthetic);
    if names.is_empty() {
        return Err(raise(
            py,
            Failure::text(
                Kind::Input,
                format!("no schema column is in both `{real_name}` and `{synthetic_name}` (identifier and weight columns are never evaluated)"),
            ),
        ));
    }
    let skipped = serde_json::to_string(&skipped).map_err(|e| raise(py, e.into()))?;
    Ok((names, skipped))
}

/// Pass 1 on one partition: the counts of the evaluated columns, serialised.
#[pyfunction]
pub(crate) fn spark_column_counts<'py>(
    py: Python<'py>,
    data: &Bound<'py, PyAny>,
    schema: &PySchema,
    names: Vec<String>,
    name: &str,
) -> PyResult<Bound<'py, PyBytes>> {
    partition_state(py, data, schema, name, |input, s| {
        let mut counts = ColumnCounts::new(s, &names);
        for batch in batches(input, s, &names)? {
            counts.add(s, &batch)?;
        }
        Ok(counts)
    })
}

/// The partition's rows of the evaluated columns, read as the schema types them.
fn batches(
    input: &fairsynth::io::Input,
    schema: &fairsynth::schema::Schema,
    names: &[String],
) -> Result<Vec<arrow_array::RecordBatch>, Failure> {
    let mut sub = schema.clone();
    sub.columns.retain(|c| names.contains(&c.name));
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let reader = Reader::open_columns(input, &sub, &refs)?;
    Ok(reader.collect::<Result<Vec<_>, _>>()?)
}

fn merged<T: serde::de::DeserializeOwned>(
    states: &[Vec<u8>],
    merge: impl Fn(&mut T, T) -> Result<(), fairsynth::evaluate::EvaluateError>,
) -> Result<Option<T>, Failure> {
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

/// At the driver: merges each table's pass-1 counts (in partition order) and makes the plan
/// of pass 2. Returns the plan and the two merged counts, serialised.
#[pyfunction]
pub(crate) fn spark_fidelity_plan<'py>(
    py: Python<'py>,
    schema: &PySchema,
    names: Vec<String>,
    real: Vec<Vec<u8>>,
    synthetic: Vec<Vec<u8>>,
) -> PyResult<Bound<'py, PyTuple>> {
    let s = &schema.schema;
    let (plan, r, y) = run(py, None, || {
        let r = merged(&real, ColumnCounts::merge)?.unwrap_or_else(|| ColumnCounts::new(s, &names));
        let y = merged(&synthetic, ColumnCounts::merge)?
            .unwrap_or_else(|| ColumnCounts::new(s, &names));
        let plan = FidelityPlan::new(&r, &y)?;
        Ok((
            serde_json::to_vec(&plan)?,
            serde_json::to_vec(&r)?,
            serde_json::to_vec(&y)?,
        ))
    })?;
    (
        PyBytes::new(py, &plan),
        PyBytes::new(py, &r),
        PyBytes::new(py, &y),
    )
        .into_pyobject(py)
}

/// Pass 2 on one partition: its pair counts under the plan, serialised.
#[pyfunction]
pub(crate) fn spark_pair_counts<'py>(
    py: Python<'py>,
    data: &Bound<'py, PyAny>,
    schema: &PySchema,
    plan: &[u8],
    names: Vec<String>,
    name: &str,
) -> PyResult<Bound<'py, PyBytes>> {
    partition_state(py, data, schema, name, |input, s| {
        let plan: FidelityPlan = serde_json::from_slice(plan)?;
        let mut pairs = PairCounts::new(&plan);
        for batch in batches(input, s, &names)? {
            pairs.add(&plan, s, &batch)?;
        }
        Ok(pairs)
    })
}

/// What `fairsynth.spark.evaluate` passes about the evaluation, as JSON.
#[derive(Deserialize)]
struct EvaluateArgs {
    seed: Option<u64>,
    thresholds: Vec<String>,
    real_name: String,
    synthetic_name: String,
    holdout_name: Option<String>,
    /// Rows collected per table when a sample was taken (None: the whole tables).
    sampled: Option<[u64; 2]>,
}

/// At the driver: the single-process `evaluate` on the collected rows, with its fidelity
/// replaced by the one from the merged counts of the whole tables (and the table sizes by
/// theirs), judged against the gates again. Returns (report JSON, HTML page, summary, passed).
#[pyfunction]
#[allow(clippy::too_many_arguments)]
pub(crate) fn spark_evaluate_finish<'py>(
    py: Python<'py>,
    real: &Bound<'py, PyAny>,
    synthetic: &Bound<'py, PyAny>,
    holdout: Option<&Bound<'py, PyAny>>,
    schema: &PySchema,
    options: &str,
    plan: &[u8],
    real_counts: &[u8],
    synthetic_counts: &[u8],
    real_pairs: Vec<Vec<u8>>,
    synthetic_pairs: Vec<Vec<u8>>,
) -> PyResult<Bound<'py, PyTuple>> {
    let s = &schema.schema;
    let a: EvaluateArgs = serde_json::from_str(options).map_err(|e| raise(py, e.into()))?;
    let real = input(py, real, &a.real_name, None, Some(s), None)?;
    let synthetic = input(py, synthetic, &a.synthetic_name, None, Some(s), None)?;
    let holdout = match holdout {
        Some(h) => Some(input(
            py,
            h,
            a.holdout_name.as_deref().unwrap_or("holdout"),
            None,
            Some(s),
            None,
        )?),
        None => None,
    };
    let quality = fairsynth::evaluate::apply_thresholds(s.quality, &a.thresholds)
        .map_err(|e| raise(py, Failure::new(Kind::Usage, &e)))?;
    let out = run(py, None, || {
        let plan: FidelityPlan = serde_json::from_slice(plan)?;
        let rc: ColumnCounts = serde_json::from_slice(real_counts)?;
        let yc: ColumnCounts = serde_json::from_slice(synthetic_counts)?;
        let shape = || PairCounts::new(&plan);
        let rp = merged(&real_pairs, PairCounts::merge)?.unwrap_or_else(shape);
        let yp = merged(&synthetic_pairs, PairCounts::merge)?.unwrap_or_else(shape);
        let exact = fidelity(&plan, &rc, &yc, &rp, &yp)?;
        let opts = fairsynth::evaluate::Options {
            real,
            synthetic,
            holdout,
            quality,
            seed: a.seed.or(s.seed).unwrap_or(0),
            // The fidelity below is replaced by the merged states' figures; fidelity against
            // targets is not computed from states yet.
            targets: fairsynth::evaluate::Targets::Off,
        };
        let mut report = fairsynth::evaluate::evaluate(s, &opts)?;
        report.fidelity = exact;
        report.real.rows = rc.rows() as usize;
        report.synthetic.rows = yc.rows() as usize;
        if let Some([r, y]) = a.sampled {
            report.notes.push(format!(
                "fidelity over every row; utility, privacy, fairness and the charts on {r} real and {y} synthetic rows chosen by row content (fairsynth.spark.evaluate sample_rows)"
            ));
        }
        report.judge(&opts.quality);
        let line = vec![
            "fairsynth.spark.evaluate".to_string(),
            "--real".into(),
            a.real_name.clone(),
            "--synthetic".into(),
            a.synthetic_name.clone(),
            "--schema".into(),
            s.source.file.clone(),
        ];
        let ctx = fairsynth::report::Context::new(s, &line);
        let html = fairsynth::report::evaluate_page(&report, &ctx);
        let summary = fairsynth::evaluate::summary(&report);
        Ok((
            serde_json::to_string(&report)?,
            html,
            summary,
            report.passed,
        ))
    })?;
    out.into_pyobject(py)
}

/// Registers the functions above in the native module.
pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(spark_evaluate_columns, m)?)?;
    m.add_function(wrap_pyfunction!(spark_column_counts, m)?)?;
    m.add_function(wrap_pyfunction!(spark_fidelity_plan, m)?)?;
    m.add_function(wrap_pyfunction!(spark_pair_counts, m)?)?;
    m.add_function(wrap_pyfunction!(spark_evaluate_finish, m)?)?;
    Ok(())
}
