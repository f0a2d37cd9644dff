//! The native pieces of `fairsynth.spark` for linked tables: a schema of linked tables compiled
//! once per process ([`PySparkLinkedSynth`]), whose *units* (families of root rows with all
//! their descendants) any process generates. The driver cuts the units into one contiguous run
//! per partition; a first pass counts the rows each run makes of every table (so the driver
//! knows where each run's child keys start), the second generates each run's rows with its
//! child keys numbered from there. The columns of root tables that other tables read through
//! picked rows are the one global piece: made once per process, on first use.

use std::sync::{Arc, OnceLock};

use fairsynth::synth::linked::{LinkedSynthesizer, PickedColumns};
use pyo3::prelude::*;
use pyo3::types::PyList;

use crate::errors::{raise, run, Failure, Kind};
use crate::linked::database;
use crate::tables::to_table;

/// A schema of linked tables compiled for generation in runs of units.
#[pyclass(module = "fairsynth._fairsynth", name = "SparkLinkedSynth", frozen)]
pub(crate) struct PySparkLinkedSynth {
    synth: LinkedSynthesizer,
    picked: OnceLock<Arc<PickedColumns>>,
    seed: u64,
    scale: Option<f64>,
    name: String,
}

impl PySparkLinkedSynth {
    /// The picked columns, made on first use.
    fn picked(&self) -> Result<Arc<PickedColumns>, Failure> {
        if let Some(p) = self.picked.get() {
            return Ok(p.clone());
        }
        let p = Arc::new(self.synth.picked_columns()?);
        Ok(self.picked.get_or_init(|| p).clone())
    }
}

#[pymethods]
impl PySparkLinkedSynth {
    /// Compiles the schema of linked tables in `text` (named `name`) with `seed` (default
    /// the schema's, else 0), root tables' rows times `scale`, as `fairsynth synth` does.
    #[new]
    #[pyo3(signature = (text, name, seed = None, scale = None))]
    fn new(
        py: Python<'_>,
        text: &str,
        name: &str,
        seed: Option<u64>,
        scale: Option<f64>,
    ) -> PyResult<Self> {
        let mut db = database(py, text, name, "synth")?;
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
        let synth = run(py, Some(1), || Ok(LinkedSynthesizer::new(&db, seed)?))?;
        Ok(PySparkLinkedSynth {
            synth,
            picked: OnceLock::new(),
            seed,
            scale,
            name: name.to_string(),
        })
    }

    /// The seed used.
    #[getter]
    fn seed(&self) -> u64 {
        self.seed
    }

    /// Table names, in file order.
    fn names(&self) -> Vec<String> {
        self.synth.tables().into_iter().map(|(n, _)| n).collect()
    }

    /// Families of every root, in generation order: the units a partition owns runs of.
    fn unit_count(&self) -> u64 {
        self.synth.unit_count()
    }

    /// Rows of every table (file order) that units `first..end` make.
    fn unit_rows(&self, py: Python<'_>, first: u64, end: u64) -> PyResult<Vec<u64>> {
        run(py, Some(1), || {
            let picked = self.picked()?;
            Ok(self.synth.unit_rows(first, end, &picked)?)
        })
    }

    /// The rows of units `first..end` as a list of pyarrow Tables (file order), child keys
    /// numbered from `offsets` (rows of every table made by the units before `first`).
    fn units<'py>(
        &self,
        py: Python<'py>,
        first: u64,
        end: u64,
        offsets: Vec<u64>,
    ) -> PyResult<Bound<'py, PyList>> {
        let batches = run(py, Some(1), || {
            // An empty run needs no picked columns (the driver asks one for the schemas).
            let picked = if first < end {
                self.picked()?
            } else {
                Arc::new(PickedColumns::default())
            };
            Ok(self.synth.units(first, end, &offsets, &picked)?)
        })?;
        let out = PyList::empty(py);
        for ((_, schema), bs) in self.synth.tables().into_iter().zip(batches) {
            out.append(to_table(py, schema, bs)?)?;
        }
        Ok(out)
    }

    /// The provenance of table `i`, as JSON text: `fairsynth synth`'s for the same schema,
    /// seed and scale, with the Python call as its command line.
    fn provenance(&self, i: usize) -> String {
        let mut line: Vec<String> = vec![
            "fairsynth.spark.synth".into(),
            "--schema".into(),
            self.name.clone(),
            "--seed".into(),
            self.seed.to_string(),
        ];
        if let Some(f) = self.scale {
            line.extend(["--scale".to_string(), f.to_string()]);
        }
        self.synth
            .provenance(i, &line, serde_json::json!({}))
            .to_string()
    }
}

/// The primary key of every table of the schema of linked tables in `text` (named `name`), in
/// the schema's order: the order `fairsynth.spark` puts gathered tables in.
#[pyfunction]
pub(crate) fn spark_linked_keys(
    py: Python<'_>,
    text: &str,
    name: &str,
) -> PyResult<Vec<(String, String)>> {
    let db = database(py, text, name, "this command")?;
    Ok(db
        .tables
        .iter()
        .map(|t| (t.name().to_string(), t.primary_key.clone()))
        .collect())
}
