//! Parquet I/O: the one writer every command uses.
//!
//! [`ParquetSink`] writes a file atomically (temporary file beside the target, renamed at the
//! end; nothing is left behind on error) and encodes row groups in parallel with arrow-rs
//! [`ArrowColumnWriter`]s, appending them in order, so the bytes equal a single-threaded
//! writer's whatever the thread count. Provenance goes into the file's key-value metadata under
//! the key `fairsynth`.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use arrow_array::RecordBatch;
use arrow_schema::SchemaRef;
use parquet::arrow::arrow_writer::{
    compute_leaves, ArrowColumnChunk, ArrowColumnWriter, ArrowRowGroupWriterFactory,
};
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression as PqCompression, ZstdLevel};
use parquet::errors::ParquetError;
use parquet::file::metadata::KeyValue;
use parquet::file::properties::WriterProperties;
use parquet::file::writer::SerializedFileWriter;
use rayon::prelude::*;

pub mod crypt;
pub mod input;
pub mod output;
pub mod read;
pub mod table;

pub use input::{Batches, Input};
pub use output::{check_output, TempOutput, Transaction};

/// The key-value metadata key holding fairsynth's provenance JSON.
pub const METADATA_KEY: &str = "fairsynth";

/// Errors from reading or writing files.
#[derive(Debug, thiserror::Error)]
pub enum IoError {
    /// A file-system operation failed.
    #[error("{what} `{path}`: {source}")]
    Fs {
        /// What was being done.
        what: &'static str,
        /// The path involved.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// The output would overwrite an input.
    #[error("refusing to overwrite the input `{0}`\n    hint: choose another output path")]
    WouldOverwriteInput(PathBuf),
    /// Two outputs of one command name the same file.
    #[error("two outputs, `{first}` and `{second}`, name the same file `{path}`\n    hint: give each output (-o, --report, ...) its own path")]
    SameOutput {
        /// The first output as given.
        first: String,
        /// The second output as given.
        second: String,
        /// The file.
        path: PathBuf,
    },
    /// The output exists and is not a regular file (or a link to one).
    #[error("cannot write `{path}`: it is {kind}; fairsynth writes only regular files (through a temporary file and a rename), so it never replaces a device, FIFO, socket or directory\n    hint: name a regular file; copy it where it has to go afterwards")]
    NotRegular {
        /// The output.
        path: PathBuf,
        /// What it is, e.g. `a character device`.
        kind: &'static str,
    },
    /// The output's directory does not exist (or is not a directory).
    #[error("cannot write `{path}`: the directory `{dir}` {problem}\n    hint: create the directory first, or choose another output path")]
    MissingDir {
        /// The output.
        path: PathBuf,
        /// Its directory.
        dir: PathBuf,
        /// `does not exist` or `is not a directory`.
        problem: &'static str,
    },
    /// A key needed to encrypt the output is missing or unusable.
    #[error("cannot encrypt `{path}`: {source}")]
    Key {
        /// The output path.
        path: PathBuf,
        /// What is wrong with the key.
        source: crypt::KeyError,
    },
    /// Parquet encoding failed.
    #[error("writing Parquet `{path}`: {source}")]
    Parquet {
        /// The output path.
        path: PathBuf,
        /// The parquet crate's error.
        source: ParquetError,
    },
    /// The producer of row groups failed; the output was not written.
    #[error("{0}")]
    Producer(String),
}

/// Parquet compression codecs offered on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Compression {
    /// zstd level 1: small files, fast.
    #[default]
    Zstd,
    /// Snappy: fastest, larger files.
    Snappy,
    /// No compression.
    None,
}

impl Compression {
    fn codec(self) -> PqCompression {
        match self {
            Compression::Zstd => PqCompression::ZSTD(ZstdLevel::try_new(1).unwrap_or_default()),
            Compression::Snappy => PqCompression::SNAPPY,
            Compression::None => PqCompression::UNCOMPRESSED,
        }
    }

    /// The name used on the command line and in provenance.
    pub fn name(self) -> &'static str {
        match self {
            Compression::Zstd => "zstd",
            Compression::Snappy => "snappy",
            Compression::None => "none",
        }
    }
}

/// Writer properties shared by the parallel sink and the single-writer baseline, so the two can
/// be compared byte for byte.
pub fn writer_properties(compression: Compression) -> WriterProperties {
    WriterProperties::builder()
        .set_compression(compression.codec())
        .set_created_by(format!("fairsynth {}", env!("CARGO_PKG_VERSION")))
        .build()
}

/// Fails when `output` names the same file as any of `inputs` (after resolving links).
pub fn ensure_not_input(output: &Path, inputs: &[&Path]) -> Result<(), IoError> {
    let Ok(out) = output.canonicalize() else {
        return Ok(()); // Output does not exist yet, so it cannot be an input.
    };
    for i in inputs {
        if i.canonicalize().is_ok_and(|p| p == out) {
            return Err(IoError::WouldOverwriteInput(output.to_path_buf()));
        }
    }
    Ok(())
}

/// An atomic, parallel Parquet writer.
pub struct ParquetSink {
    target: PathBuf,
    tmp: TempOutput,
    writer: SerializedFileWriter<BufWriter<File>>,
    factory: ArrowRowGroupWriterFactory,
    schema: SchemaRef,
    next_row_group: usize,
    rows: u64,
    /// The encryption applied, for provenance.
    encrypted: Option<crypt::Applied>,
}

impl ParquetSink {
    /// Opens a temporary file beside `target` for a file of `schema`, encrypted as the
    /// policy of the installed [`crypt::Access`] says (no policy: plaintext).
    pub fn create(
        target: &Path,
        schema: SchemaRef,
        props: WriterProperties,
    ) -> Result<Self, IoError> {
        Self::create_for(target, None, schema, props)
    }

    /// As [`Self::create`] for the file of the linked table `table` (`None`: the command's
    /// one output): encrypted as the installed access's policy for that table says.
    pub fn create_for(
        target: &Path,
        table: Option<&str>,
        schema: SchemaRef,
        props: WriterProperties,
    ) -> Result<Self, IoError> {
        let access = crypt::current();
        let (props, encrypted) = match access.policy_of(table) {
            None => (props, None),
            Some(policy) => {
                let (p, applied) =
                    crypt::write_properties(props, &schema, policy, access.kms.as_ref()).map_err(
                        |source| IoError::Key {
                            path: target.to_path_buf(),
                            source,
                        },
                    )?;
                (p, applied)
            }
        };
        let mut tmp = TempOutput::create(target)?;
        let file = tmp
            .take_file()
            .ok_or_else(|| IoError::Producer("no temporary file".into()))?;
        let pq = |source| IoError::Parquet {
            path: target.to_path_buf(),
            source,
        };
        let (writer, factory) = ArrowWriter::try_new(
            BufWriter::with_capacity(1 << 20, file),
            schema.clone(),
            Some(props),
        )
        .and_then(|w| w.into_serialized_writer())
        .map_err(pq)?;
        Ok(ParquetSink {
            target: target.to_path_buf(),
            tmp,
            writer,
            factory,
            schema,
            next_row_group: 0,
            rows: 0,
            encrypted,
        })
    }

    /// Encodes `jobs.len()` row groups in parallel and appends them in order. Job `k` is called
    /// with a function that encodes one batch into row group `k`; the job calls it once per
    /// batch. Memory is bounded by the encoded size of the row groups in one call.
    pub fn write_row_groups<J, E>(
        &mut self,
        jobs: &[J],
        produce: impl Fn(&J, &mut dyn FnMut(&RecordBatch) -> Result<(), IoError>) -> Result<(), E>
            + Sync,
    ) -> Result<(), E>
    where
        J: Sync,
        E: From<IoError> + Send,
    {
        let pq = |source| IoError::Parquet {
            path: self.target.clone(),
            source,
        };
        let mut writers = Vec::with_capacity(jobs.len());
        for k in 0..jobs.len() {
            writers.push(
                self.factory
                    .create_column_writers(self.next_row_group + k)
                    .map_err(pq)?,
            );
        }
        let schema = &self.schema;
        let target = &self.target;
        let encoded: Vec<Result<(Vec<ArrowColumnChunk>, u64), E>> = jobs
            .par_iter()
            .zip(writers)
            .map(|(job, mut cols)| {
                let mut rows = 0u64;
                produce(job, &mut |batch: &RecordBatch| {
                    encode_batch(schema, &mut cols, batch, target)
                        .map(|()| rows += batch.num_rows() as u64)
                })?;
                let chunks = cols
                    .into_iter()
                    .map(|c| c.close())
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(|source| IoError::Parquet {
                        path: target.clone(),
                        source,
                    })?;
                Ok((chunks, rows))
            })
            .collect();
        for result in encoded {
            let (chunks, rows) = result?;
            let mut rg = self.writer.next_row_group().map_err(pq)?;
            for chunk in chunks {
                chunk.append_to_row_group(&mut rg).map_err(pq)?;
            }
            rg.close().map_err(pq)?;
            self.next_row_group += 1;
            self.rows += rows;
        }
        Ok(())
    }

    /// Rows written so far.
    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// Adds a key-value pair to the file footer. The provenance (key [`METADATA_KEY`]) of an
    /// encrypted file gains an `encryption` entry naming the master key ID of each encrypted
    /// column (never a key).
    pub fn add_metadata(&mut self, key: &str, mut value: String) {
        if let (METADATA_KEY, Some(applied)) = (key, &self.encrypted) {
            if let Ok(serde_json::Value::Object(mut m)) = serde_json::from_str(&value) {
                m.insert("encryption".into(), applied.to_json());
                value = serde_json::Value::Object(m).to_string();
            }
        }
        self.writer
            .append_key_value_metadata(KeyValue::new(key.to_string(), value));
    }

    /// Finishes the file and renames it over the target. Dropping the sink without calling
    /// this deletes the temporary file.
    pub fn finish(self) -> Result<u64, IoError> {
        let target = self.target.clone();
        // `into_inner` writes the footer.
        let mut buf = self
            .writer
            .into_inner()
            .map_err(|source| IoError::Parquet {
                path: target.clone(),
                source,
            })?;
        let fs = |what, source| IoError::Fs {
            what,
            path: target.clone(),
            source,
        };
        buf.flush().map_err(|e| fs("cannot write", e))?;
        let file = buf
            .into_inner()
            .map_err(|e| fs("cannot write", e.into_error()))?;
        file.sync_all().map_err(|e| fs("cannot write", e))?;
        drop(file);
        self.tmp.finish()?;
        Ok(self.rows)
    }
}

/// Where a command's rows go: a Parquet file (the CLI) or record batches returned to the
/// caller (the Python package, a Spark partition).
#[derive(Debug, Clone, Copy)]
pub enum Output<'a> {
    /// A Parquet file, written atomically.
    Parquet(&'a Path),
    /// The Parquet file of one linked table (`path`, table name), written atomically and
    /// encrypted as the installed access's policy for that table says.
    Table(&'a Path, &'a str),
    /// Batches kept in memory and returned by [`Sink::finish`].
    Memory,
}

/// What a [`Sink`] wrote.
#[derive(Debug)]
pub struct Written {
    /// Rows written.
    pub rows: u64,
    /// The schema of the rows (with the metadata, for [`Output::Memory`]).
    pub schema: SchemaRef,
    /// The batches, for [`Output::Memory`] (empty for a file). Their schema carries the
    /// key-value metadata (provenance under [`METADATA_KEY`]).
    pub batches: Vec<RecordBatch>,
}

/// The one writer of every command's rows: a [`ParquetSink`] or an in-memory collector with the
/// same row-group interface, so a command's code is the same whatever its output.
pub struct Sink {
    kind: SinkKind,
}

enum SinkKind {
    Parquet(Box<ParquetSink>),
    Memory {
        schema: SchemaRef,
        batches: Vec<RecordBatch>,
        metadata: std::collections::HashMap<String, String>,
        rows: u64,
    },
}

impl Sink {
    /// A sink of `schema` rows to `output`; `props` apply to a Parquet file.
    pub fn create(
        output: Output<'_>,
        schema: SchemaRef,
        props: WriterProperties,
    ) -> Result<Sink, IoError> {
        Ok(Sink {
            kind: match output {
                Output::Parquet(path) => {
                    SinkKind::Parquet(Box::new(ParquetSink::create(path, schema, props)?))
                }
                Output::Table(path, table) => SinkKind::Parquet(Box::new(ParquetSink::create_for(
                    path,
                    Some(table),
                    schema,
                    props,
                )?)),
                Output::Memory => SinkKind::Memory {
                    schema,
                    batches: Vec::new(),
                    metadata: Default::default(),
                    rows: 0,
                },
            },
        })
    }

    /// As [`ParquetSink::write_row_groups`]: job `k` produces the batches of row group `k`,
    /// jobs run in parallel, and their batches are appended in job order.
    pub fn write_row_groups<J, E>(
        &mut self,
        jobs: &[J],
        produce: impl Fn(&J, &mut dyn FnMut(&RecordBatch) -> Result<(), IoError>) -> Result<(), E>
            + Sync,
    ) -> Result<(), E>
    where
        J: Sync,
        E: From<IoError> + Send,
    {
        match &mut self.kind {
            SinkKind::Parquet(p) => p.write_row_groups(jobs, produce),
            SinkKind::Memory { batches, rows, .. } => {
                let groups: Vec<Result<Vec<RecordBatch>, E>> = jobs
                    .par_iter()
                    .map(|job| {
                        let mut out = Vec::new();
                        produce(job, &mut |b: &RecordBatch| {
                            out.push(b.clone());
                            Ok(())
                        })?;
                        Ok(out)
                    })
                    .collect();
                for g in groups {
                    for b in g? {
                        *rows += b.num_rows() as u64;
                        batches.push(b);
                    }
                }
                Ok(())
            }
        }
    }

    /// Rows written so far.
    pub fn rows(&self) -> u64 {
        match &self.kind {
            SinkKind::Parquet(p) => p.rows(),
            SinkKind::Memory { rows, .. } => *rows,
        }
    }

    /// Adds a key-value pair to the file footer, or to the batches' schema metadata.
    pub fn add_metadata(&mut self, key: &str, value: String) {
        match &mut self.kind {
            SinkKind::Parquet(p) => p.add_metadata(key, value),
            SinkKind::Memory { metadata, .. } => {
                metadata.insert(key.to_string(), value);
            }
        }
    }

    /// Finishes: renames the Parquet file over its target, or returns the batches. Dropping
    /// the sink without calling this leaves no file behind.
    pub fn finish(self) -> Result<Written, IoError> {
        match self.kind {
            SinkKind::Parquet(p) => {
                let schema = p.schema.clone();
                Ok(Written {
                    rows: p.finish()?,
                    schema,
                    batches: Vec::new(),
                })
            }
            SinkKind::Memory {
                schema,
                batches,
                metadata,
                rows,
            } => {
                let schema = std::sync::Arc::new(schema.as_ref().clone().with_metadata(metadata));
                let batches = batches
                    .into_iter()
                    .map(|b| b.with_schema(schema.clone()))
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(|e| IoError::Producer(e.to_string()))?;
                Ok(Written {
                    rows,
                    schema,
                    batches,
                })
            }
        }
    }
}

fn encode_batch(
    schema: &SchemaRef,
    cols: &mut [ArrowColumnWriter],
    batch: &RecordBatch,
    target: &Path,
) -> Result<(), IoError> {
    let pq = |source| IoError::Parquet {
        path: target.to_path_buf(),
        source,
    };
    let mut writers = cols.iter_mut();
    for (field, array) in schema.fields().iter().zip(batch.columns()) {
        for leaf in compute_leaves(field, array).map_err(pq)? {
            let w = writers.next().ok_or_else(|| {
                IoError::Producer("batch has more columns than the schema".into())
            })?;
            w.write(&leaf).map_err(pq)?;
        }
    }
    Ok(())
}

/// Writes `bytes` to `target` through a temporary file beside it and a rename.
/// Follows the output policy of [`output`]: the same checks, temporary-file guard and
/// [`Transaction`] as Parquet outputs.
pub fn write_atomic(target: &Path, bytes: &[u8]) -> Result<(), IoError> {
    let fs = |what, source| IoError::Fs {
        what,
        path: target.to_path_buf(),
        source,
    };
    let mut tmp = TempOutput::create(target)?;
    let file = tmp
        .file()
        .ok_or_else(|| IoError::Producer("no temporary file".into()))?;
    file.write_all(bytes).map_err(|e| fs("cannot write", e))?;
    file.sync_all().map_err(|e| fs("cannot write", e))?;
    tmp.finish()
}

/// Provenance JSON for the `fairsynth` metadata key. Holds only what determines the content,
/// never a clock time or host name, so that equal inputs give equal bytes.
pub fn provenance(
    command: &str,
    schema: &crate::schema::Schema,
    fields: serde_json::Value,
    command_line: &[String],
) -> serde_json::Value {
    let mut v = serde_json::json!({
        "tool": "fairsynth",
        "version": env!("CARGO_PKG_VERSION"),
        "command": command,
        "schema": {
            "name": schema.name,
            "file": schema.source.file,
            "sha256": schema.source.sha256,
        },
        "command_line": command_line,
    });
    if let (Some(obj), serde_json::Value::Object(extra)) = (v.as_object_mut(), fields) {
        obj.extend(extra);
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    use arrow_array::{ArrayRef, Float64Array, Int64Array, StringArray};
    use arrow_schema::{DataType, Field, Schema};

    fn batches() -> (SchemaRef, Vec<RecordBatch>) {
        let schema = Arc::new(Schema::new(vec![
            Field::new("i", DataType::Int64, false),
            Field::new("f", DataType::Float64, true),
            Field::new("s", DataType::Utf8, false),
        ]));
        let batches = (0..6)
            .map(|b| {
                let n = 10_000;
                let i: ArrayRef = Arc::new(Int64Array::from_iter_values((0..n).map(|k| k * b)));
                let f: ArrayRef = Arc::new(Float64Array::from_iter(
                    (0..n).map(|k| (k % 7 != 0).then_some(k as f64 / 3.0)),
                ));
                let s: ArrayRef = Arc::new(StringArray::from_iter_values(
                    (0..n).map(|k| format!("v{}", (k * 31 + b) % 997)),
                ));
                RecordBatch::try_new(schema.clone(), vec![i, f, s]).expect("batch")
            })
            .collect();
        (schema, batches)
    }

    /// The parallel sink writes exactly the bytes of arrow-rs's single `ArrowWriter` given the
    /// same batches, row groups, properties and metadata.
    #[test]
    fn parallel_sink_equals_a_single_arrow_writer() {
        let (schema, batches) = batches();
        let dir = tempfile::tempdir().expect("tempdir");
        for compression in [Compression::Zstd, Compression::Snappy, Compression::None] {
            // Reference: one writer, a row group every two batches.
            let mut single = Vec::new();
            let props = writer_properties(compression);
            let mut w = ArrowWriter::try_new(&mut single, schema.clone(), Some(props.clone()))
                .expect("writer");
            for pair in batches.chunks(2) {
                for b in pair {
                    w.write(b).expect("write");
                }
                w.flush().expect("flush");
            }
            w.append_key_value_metadata(KeyValue::new(METADATA_KEY.into(), "{}".to_string()));
            w.close().expect("close");

            let out = dir.path().join(format!("{}.parquet", compression.name()));
            let mut sink = ParquetSink::create(&out, schema.clone(), props).expect("sink");
            let jobs: Vec<&[RecordBatch]> = batches.chunks(2).collect();
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(2)
                .build()
                .expect("pool");
            pool.install(|| {
                sink.write_row_groups(&jobs, |pair, encode| -> Result<(), IoError> {
                    pair.iter().try_for_each(&mut *encode)
                })
            })
            .expect("parallel write");
            sink.add_metadata(METADATA_KEY, "{}".to_string());
            assert_eq!(sink.finish().expect("finish"), 60_000);
            let parallel = std::fs::read(&out).expect("read");
            assert!(parallel == single, "{}: bytes differ", compression.name());
        }
    }

    #[test]
    fn dropping_an_unfinished_sink_leaves_nothing() {
        let (schema, batches) = batches();
        let dir = tempfile::tempdir().expect("tempdir");
        let out = dir.path().join("x.parquet");
        let mut sink =
            ParquetSink::create(&out, schema, writer_properties(Compression::Zstd)).expect("sink");
        sink.write_row_groups(&[&batches[0]], |b, encode| encode(b))
            .expect("write");
        drop(sink);
        assert_eq!(std::fs::read_dir(dir.path()).expect("dir").count(), 0);
    }
}
