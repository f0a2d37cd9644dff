//! Tables between Python and the library: files or Arrow C streams in (category text
//! dictionary-encoded once), pyarrow Tables out, buffers shared, not copied.

use std::path::PathBuf;
use std::sync::Arc;

use arrow_array::RecordBatch;
use arrow_pyarrow::{FromPyArrow, IntoPyArrow, Table};
use arrow_schema::SchemaRef;
use fairsynth::io::read::Format;
use fairsynth::io::{Input, Written};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyString;

use crate::errors::{raise, Failure, Kind};

/// A table given from Python: a file path (`str` or `os.PathLike`) or an object with
/// `__arrow_c_stream__`, whose batches are imported without copying their buffers (category
/// columns held as text are dictionary-encoded once, see [`dictionary_encode`]).
pub(crate) fn input(
    py: Python<'_>,
    data: &Bound<'_, PyAny>,
    name: &str,
    format: Option<&str>,
    schema: Option<&fairsynth::schema::Schema>,
    dialect: Option<&[(String, String)]>,
) -> PyResult<Input> {
    let os = py.import("os")?;
    let is_path =
        data.is_instance_of::<PyString>() || data.is_instance(&os.getattr("PathLike")?)?;
    if is_path {
        let path: PathBuf = data.extract()?;
        let format = match format {
            Some("csv") => Format::Csv,
            Some("parquet") => Format::Parquet,
            Some("xlsx") => Format::Xlsx,
            Some("xls") => Format::Xls,
            Some("ods") => Format::Ods,
            Some(other) => {
                return Err(PyValueError::new_err(format!(
                    "format={other:?}: expected \"csv\", \"parquet\", \"xlsx\", \"xls\" or \"ods\""
                )))
            }
            None => Format::detect(&path).map_err(|e| raise(py, e.into()))?,
        };
        let options = input_options(dialect.unwrap_or_default())?;
        return Ok(Input::file(path, format).with_options(options));
    }
    if !data.hasattr("__arrow_c_stream__")? {
        return Err(raise(
            py,
            Failure::text(
                Kind::Input,
                format!(
                    "`{name}`: a {} is not a table\n    hint: pass a pyarrow Table or RecordBatchReader, a polars or pandas (>= 2.2) DataFrame, a DuckDB result, or a path to a .csv or .parquet file",
                    data.get_type().name()?
                ),
            ),
        ));
    }
    let reader = arrow_array::ffi_stream::RecordBatchStreamReader::from_pyarrow_bound(data)?;
    let batches =
        fairsynth::io::Batches::from_reader(name, reader).map_err(|e| raise(py, e.into()))?;
    let batches = py.detach(|| dictionary_encode(batches, schema));
    Ok(Input::Memory(batches))
}

/// The keyword arguments that say how a file is written (`delimiter=";"`, `decimal=","`,
/// `thousands="."`, `date_format="dd.mm.yyyy"`, `timestamp_format=...`, `encoding=...`,
/// `sheet=...`), as the command line's flags; a bad value is a `ValueError` naming it.
pub(crate) fn input_options(
    pairs: &[(String, String)],
) -> PyResult<fairsynth::schema::InputOptions> {
    use fairsynth::schema as s;
    let mut o = s::InputOptions::default();
    for (key, value) in pairs {
        let bad = |e: String| PyValueError::new_err(format!("{key}={value:?}: {e}"));
        match key.as_str() {
            "delimiter" => o.delimiter = Some(s::parse_delimiter(value).map_err(bad)?),
            "decimal" => o.decimal = Some(s::parse_decimal(value).map_err(bad)?),
            "thousands" => o.thousands = Some(s::parse_thousands(value).map_err(bad)?),
            "date_format" => o.date_format = Some(s::DateFormat::parse(value).map_err(bad)?),
            "timestamp_format" => {
                o.timestamp_format = Some(s::parse_timestamp_format(value).map_err(bad)?)
            }
            "encoding" => o.encoding = Some(s::parse_encoding(value).map_err(bad)?),
            "sheet" => o.sheet = Some(value.clone()),
            _ => {
                return Err(PyValueError::new_err(format!(
                    "unknown reading option `{key}`"
                )))
            }
        }
    }
    o.check().map_err(PyValueError::new_err)?;
    Ok(o)
}

/// Appends one value (or a null) to a dictionary builder; `None` when the dictionary overflows
/// its Int32 keys.
pub(crate) fn append(
    b: &mut arrow_array::builder::StringDictionaryBuilder<arrow_array::types::Int32Type>,
    v: Option<&str>,
) -> Option<()> {
    match v {
        Some(v) => b.append(v).ok().map(|_| ()),
        None => {
            b.append_null();
            Some(())
        }
    }
}

/// `batches` with every column the schema declares as a category, held as text (pandas and
/// pyarrow strings, polars string views or categoricals), dictionary-encoded once, in parallel
/// across columns and batches. Commands read a category column level by level from a
/// `Dictionary(Int32, Utf8)` array; from plain text every pass would look up every value again
/// (reweight reads its input twice), which took 20 times longer on a 1M-row table than the
/// command's own work. A column that cannot be encoded is left as given, for the reader to
/// report in its words. Other columns, and their buffers, are untouched.
pub(crate) fn dictionary_encode(
    batches: fairsynth::io::Batches,
    schema: Option<&fairsynth::schema::Schema>,
) -> fairsynth::io::Batches {
    use arrow_schema::{DataType, Field};
    use rayon::prelude::*;
    let Some(schema) = schema else {
        return batches;
    };
    let target = DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Utf8));
    let in_schema = batches.schema();
    let columns: Vec<usize> = in_schema
        .fields()
        .iter()
        .enumerate()
        .filter(|(_, f)| {
            schema
                .column(f.name())
                .is_some_and(|c| c.ty == fairsynth::schema::ColumnType::Category)
                && *f.data_type() != target
                && matches!(
                    f.data_type(),
                    DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View
                )
        })
        .map(|(i, _)| i)
        .collect();
    if columns.is_empty() {
        return batches;
    }
    let cast = |a: &arrow_array::ArrayRef| -> Option<arrow_array::ArrayRef> {
        use arrow_array::builder::StringDictionaryBuilder;
        use arrow_array::cast::AsArray;
        use arrow_array::types::Int32Type;
        let mut b = StringDictionaryBuilder::<Int32Type>::with_capacity(a.len(), 256, 4096);
        let ok = match a.data_type() {
            DataType::Utf8 => a
                .as_string::<i32>()
                .iter()
                .try_for_each(|v| append(&mut b, v)),
            DataType::LargeUtf8 => a
                .as_string::<i64>()
                .iter()
                .try_for_each(|v| append(&mut b, v)),
            DataType::Utf8View => a
                .as_string_view()
                .iter()
                .try_for_each(|v| append(&mut b, v)),
            _ => None,
        };
        ok.map(|()| Arc::new(b.finish()) as arrow_array::ArrayRef)
    };
    let jobs: Vec<(usize, usize)> = (0..batches.batches().len())
        .flat_map(|b| columns.iter().map(move |&c| (b, c)))
        .collect();
    let encoded: Vec<Option<arrow_array::ArrayRef>> = jobs
        .par_iter()
        .map(|&(b, c)| cast(batches.batches()[b].column(c)))
        .collect();
    if encoded.iter().any(Option::is_none) {
        return batches;
    }
    let mut fields: Vec<Field> = in_schema
        .fields()
        .iter()
        .map(|f| f.as_ref().clone())
        .collect();
    for &c in &columns {
        fields[c] = fields[c].clone().with_data_type(target.clone());
    }
    let out_schema = Arc::new(arrow_schema::Schema::new_with_metadata(
        fields,
        in_schema.metadata().clone(),
    ));
    let mut encoded = encoded.into_iter();
    let mut out = Vec::with_capacity(batches.batches().len());
    for batch in batches.batches() {
        let mut cols = batch.columns().to_vec();
        for &c in &columns {
            if let Some(Some(a)) = encoded.next() {
                cols[c] = a;
            }
        }
        match RecordBatch::try_new(out_schema.clone(), cols) {
            Ok(b) => out.push(b),
            Err(_) => return batches,
        }
    }
    fairsynth::io::Batches::new(batches.name(), out_schema, out).unwrap_or(batches)
}

/// Batches as a pyarrow Table (exported through the C data interface; buffers are shared).
pub(crate) fn to_table<'py>(
    py: Python<'py>,
    schema: SchemaRef,
    batches: Vec<RecordBatch>,
) -> PyResult<Bound<'py, PyAny>> {
    let table =
        Table::try_new(batches, schema).map_err(|e| raise(py, Failure::new(Kind::Base, &e)))?;
    table.into_pyarrow(py)
}

/// A command's written batches as a pyarrow Table.
pub(crate) fn written_table<'py>(py: Python<'py>, w: Written) -> PyResult<Bound<'py, PyAny>> {
    to_table(py, w.schema, w.batches)
}
