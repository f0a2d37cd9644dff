//! Where a command's rows come from: a CSV or Parquet file read at the edge (the CLI), or Arrow
//! record batches already in memory (a pyarrow, pandas or polars table handed over by the
//! Python package, a Spark partition).
//!
//! Every command reads through [`crate::io::read::Reader`], which takes an [`Input`]; commands
//! that read their input twice (reweight's second pass, de-identification's scan then write)
//! reopen it, so an in-memory input is held as shared batches ([`Batches`]) rather than a
//! one-shot stream. Holding them copies no buffer: the batches share the caller's memory.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow_array::{RecordBatch, RecordBatchReader};
use arrow_schema::SchemaRef;

use super::read::format::{Format, ReadError};
use crate::schema::InputOptions;

/// A command's input.
#[derive(Debug, Clone)]
pub enum Input {
    /// A file, read in streaming batches.
    File {
        /// The file.
        path: PathBuf,
        /// Its format.
        format: Format,
        /// How it is written, as stated (command line, Python keywords): these win over the
        /// schema's `input:` section, which wins over detection.
        options: InputOptions,
    },
    /// Arrow batches in memory.
    Memory(Batches),
}

impl Input {
    /// A file input.
    pub fn file(path: impl Into<PathBuf>, format: Format) -> Input {
        Input::File {
            path: path.into(),
            format,
            options: InputOptions::default(),
        }
    }

    /// The same input with `options` stated for how the file is written (no effect on an
    /// in-memory input).
    pub fn with_options(self, options: InputOptions) -> Input {
        match self {
            Input::File { path, format, .. } => Input::File {
                path,
                format,
                options,
            },
            m @ Input::Memory(_) => m,
        }
    }

    /// The stated options of a file input.
    pub fn options(&self) -> Option<&InputOptions> {
        match self {
            Input::File { options, .. } => Some(options),
            Input::Memory(_) => None,
        }
    }

    /// An in-memory input named `name` in messages, drained from any record-batch stream (a
    /// pyarrow `RecordBatchReader`, the Arrow C stream of a polars or pandas frame).
    pub fn from_reader(
        name: impl Into<String>,
        reader: impl RecordBatchReader,
    ) -> Result<Input, ReadError> {
        Ok(Input::Memory(Batches::from_reader(name, reader)?))
    }

    /// What messages call the input: the file's path, or the in-memory table's name.
    pub fn label(&self) -> &Path {
        match self {
            Input::File { path, .. } => path,
            Input::Memory(b) => Path::new(&b.name),
        }
    }

    /// The file, when the input is one.
    pub fn path(&self) -> Option<&Path> {
        match self {
            Input::File { path, .. } => Some(path),
            Input::Memory(_) => None,
        }
    }
}

/// Record batches of one schema held in memory, cheap to clone (the batches are shared).
#[derive(Debug, Clone)]
pub struct Batches {
    name: String,
    schema: SchemaRef,
    batches: Arc<Vec<RecordBatch>>,
}

impl Batches {
    /// Batches of `schema`, named `name` in messages. Every batch must have `schema`'s fields.
    pub fn new(
        name: impl Into<String>,
        schema: SchemaRef,
        batches: Vec<RecordBatch>,
    ) -> Result<Batches, ReadError> {
        let name = name.into();
        for (i, b) in batches.iter().enumerate() {
            if b.schema().fields() != schema.fields() {
                return Err(ReadError::Memory {
                    name,
                    message: format!(
                        "batch {} has the columns {:?}, but the table's schema has {:?}",
                        i + 1,
                        b.schema().fields(),
                        schema.fields()
                    ),
                });
            }
        }
        Ok(Batches {
            name,
            schema,
            batches: Arc::new(batches),
        })
    }

    /// Drains `reader` (buffers are shared, not copied).
    pub fn from_reader(
        name: impl Into<String>,
        reader: impl RecordBatchReader,
    ) -> Result<Batches, ReadError> {
        let name = name.into();
        let schema = reader.schema();
        let batches = reader
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| ReadError::Memory {
                name: name.clone(),
                message: e.to_string(),
            })?;
        Batches::new(name, schema, batches)
    }

    /// The name used in messages.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The Arrow schema.
    pub fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }

    /// The batches, as given.
    pub fn batches(&self) -> &[RecordBatch] {
        &self.batches
    }

    /// Total rows.
    pub fn rows(&self) -> usize {
        self.batches.iter().map(RecordBatch::num_rows).sum()
    }
}

/// The batches of a [`Batches`] cut and joined to `rows` rows each (the last may be shorter), so
/// that a command sees the same batch boundaries as when reading the file the table came from.
/// Slices share memory; only batches that straddle a boundary of small input batches are copied.
pub(crate) struct Rebatch {
    batches: Arc<Vec<RecordBatch>>,
    schema: SchemaRef,
    rows: usize,
    /// Next batch and the first row of it not yet returned.
    at: (usize, usize),
}

impl Rebatch {
    pub(crate) fn new(b: &Batches, rows: usize) -> Rebatch {
        Rebatch {
            batches: b.batches.clone(),
            schema: b.schema.clone(),
            rows: rows.max(1),
            at: (0, 0),
        }
    }
}

impl Iterator for Rebatch {
    type Item = Result<RecordBatch, arrow_schema::ArrowError>;

    fn next(&mut self) -> Option<Self::Item> {
        let mut parts: Vec<RecordBatch> = Vec::new();
        let mut have = 0usize;
        while have < self.rows {
            let Some(b) = self.batches.get(self.at.0) else {
                break;
            };
            let left = b.num_rows() - self.at.1;
            let take = left.min(self.rows - have);
            if take > 0 {
                parts.push(b.slice(self.at.1, take));
                have += take;
            }
            if take == left {
                self.at = (self.at.0 + 1, 0);
            } else {
                self.at.1 += take;
            }
        }
        match parts.len() {
            0 => None,
            1 => parts.pop().map(Ok),
            _ => Some(arrow_select::concat::concat_batches(&self.schema, &parts)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_array::{Int64Array, RecordBatchIterator};
    use arrow_schema::{DataType, Field, Schema};

    fn batch(schema: &SchemaRef, from: i64, n: i64) -> RecordBatch {
        RecordBatch::try_new(
            schema.clone(),
            vec![Arc::new(Int64Array::from_iter_values(from..from + n))],
        )
        .unwrap()
    }

    #[test]
    fn rebatch_cuts_and_joins_to_even_batches_in_order() {
        let schema: SchemaRef =
            Arc::new(Schema::new(vec![Field::new("x", DataType::Int64, false)]));
        let sizes = [3i64, 0, 7, 1, 1, 12];
        let mut from = 0;
        let mut parts = Vec::new();
        for n in sizes {
            parts.push(batch(&schema, from, n));
            from += n;
        }
        let b = Batches::new("t", schema.clone(), parts).unwrap();
        assert_eq!(b.rows(), 24);
        let out: Vec<RecordBatch> = Rebatch::new(&b, 5).map(Result::unwrap).collect();
        let lens: Vec<usize> = out.iter().map(RecordBatch::num_rows).collect();
        assert_eq!(lens, vec![5, 5, 5, 5, 4]);
        let values: Vec<i64> = out
            .iter()
            .flat_map(|b| {
                b.column(0)
                    .as_any()
                    .downcast_ref::<Int64Array>()
                    .unwrap()
                    .values()
                    .to_vec()
            })
            .collect();
        assert_eq!(values, (0..24).collect::<Vec<_>>());
    }

    #[test]
    fn a_batch_of_other_columns_is_refused_by_name() {
        let a: SchemaRef = Arc::new(Schema::new(vec![Field::new("x", DataType::Int64, false)]));
        let b: SchemaRef = Arc::new(Schema::new(vec![Field::new("y", DataType::Int64, false)]));
        let err = Batches::new("frame", a, vec![batch(&b, 0, 2)]).unwrap_err();
        assert!(err.to_string().starts_with("`frame`: batch 1"), "{err}");
    }

    #[test]
    fn from_reader_keeps_every_batch_and_the_schema() {
        let schema: SchemaRef =
            Arc::new(Schema::new(vec![Field::new("x", DataType::Int64, false)]));
        let it = RecordBatchIterator::new(
            vec![Ok(batch(&schema, 0, 2)), Ok(batch(&schema, 2, 3))],
            schema.clone(),
        );
        let input = Input::from_reader("df", it).unwrap();
        let Input::Memory(b) = &input else {
            panic!("memory input expected")
        };
        assert_eq!((b.rows(), b.batches().len()), (5, 2));
        assert_eq!(input.label(), Path::new("df"));
        assert!(input.path().is_none());
    }
}
