//! Reading real data: CSV or Parquet, typed by the schema, in streaming batches.
//!
//! Declared columns come out with the schema's Arrow types (see
//! [`crate::schema::ColumnType::arrow_type`]); undeclared columns pass through (as Utf8 from
//! CSV, as stored from Parquet) for the command to keep or drop. A value that does not parse
//! is an error naming the file, line (CSV) or row (Parquet), column and value.

use std::collections::HashMap;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow_array::builder::{StringBuilder, StringDictionaryBuilder};
use arrow_array::cast::AsArray;
use arrow_array::types::{Float64Type, Int32Type, Int64Type};
use arrow_array::{
    Array, ArrayRef, BooleanArray, Date32Array, Float64Array, Int32Array, Int64Array, RecordBatch,
    StringArray, TimestampMicrosecondArray,
};
use arrow_schema::{DataType, Field, SchemaRef, TimeUnit};
use parquet::arrow::arrow_reader::{ParquetRecordBatchReader, ParquetRecordBatchReaderBuilder};
use rayon::prelude::*;

pub use super::input::Input;
use crate::schema::{parse_date, parse_timestamp, ColumnType, Schema};

/// Rows per batch read.
pub const READ_BATCH_ROWS: usize = 65_536;

/// The longest CSV record (line, or lines of one quoted field) read: memory for a record is
/// taken before it can be checked, so an endless field must stop somewhere.
pub const MAX_CSV_RECORD_BYTES: u64 = 256 << 20;

/// A CSV batch ends early once its records hold this many bytes, so a file of long fields
/// still reads in bounded memory.
const MAX_CSV_BATCH_BYTES: usize = 256 << 20;

/// Records larger than this are not kept as the reusable read buffer, whose capacity would
/// otherwise stay at the largest record seen.
const KEEP_RECORD_BUFFER_BYTES: usize = 1 << 20;

/// Input file formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Comma-separated values with a header line.
    Csv,
    /// Apache Parquet.
    Parquet,
}

impl Format {
    /// The format named by `path`'s extension.
    pub fn detect(path: &Path) -> Result<Format, ReadError> {
        match path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            Some("csv") => Ok(Format::Csv),
            Some("parquet" | "pq") => Ok(Format::Parquet),
            _ => Err(ReadError::UnknownFormat(path.to_path_buf())),
        }
    }
}

/// Errors from reading input data.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// The extension does not say the format.
    #[error("cannot tell the format of `{0}` from its extension\n    hint: use a .csv or .parquet file, or pass --format csv|parquet")]
    UnknownFormat(PathBuf),
    /// The file cannot be opened.
    #[error("cannot open `{path}`: {source}")]
    Open {
        /// The input.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// A CSV structure problem (unequal field counts, bad quoting, not UTF-8).
    #[error("{path}:{line}: {message}")]
    Csv {
        /// The input.
        path: PathBuf,
        /// 1-based line.
        line: u64,
        /// What is wrong.
        message: String,
    },
    /// A value that does not fit its column's declared type.
    #[error("{place}: column `{column}`: {problem}\n    hint: {hint}")]
    Value {
        /// `file.csv:LINE` or `file.parquet: row N` (1-based).
        place: String,
        /// The column.
        column: String,
        /// What is wrong with the value.
        problem: String,
        /// How to fix it.
        hint: String,
    },
    /// A declared column is not in the input.
    #[error("`{path}` has no column `{column}`, which the schema declares (line {line})\n    hint: the input has: {available}")]
    MissingColumn {
        /// The input.
        path: PathBuf,
        /// The column.
        column: String,
        /// Schema line of the column.
        line: usize,
        /// Input columns, comma-separated.
        available: String,
    },
    /// A Parquet column whose type cannot become the declared type.
    #[error("`{path}`: column `{column}` is stored as {found}, which cannot be read as a {want} column\n    hint: change the column's `type` in the schema")]
    Type {
        /// The input.
        path: PathBuf,
        /// The column.
        column: String,
        /// The stored Arrow type.
        found: String,
        /// The schema type.
        want: String,
    },
    /// A column asked for is not declared in the schema.
    #[error(
        "column `{column}` is not declared in the schema\n    hint: declare it under `columns:`"
    )]
    Undeclared {
        /// The column.
        column: String,
    },
    /// The file is not a complete Parquet file.
    #[error("`{path}` {problem}\n    hint: {hint}")]
    NotParquet {
        /// The input.
        path: PathBuf,
        /// What is wrong, e.g. `looks truncated: ...`.
        problem: String,
        /// How to fix it.
        hint: &'static str,
    },
    /// A CSV record longer than [`MAX_CSV_RECORD_BYTES`].
    #[error("{path}: after line {line}: a record longer than {} MiB (a field without its closing quote, or not a CSV file?)\n    hint: check the quoting from this line on; fairsynth reads records of up to {} MiB", MAX_CSV_RECORD_BYTES >> 20, MAX_CSV_RECORD_BYTES >> 20)]
    RecordTooLong {
        /// The input.
        path: PathBuf,
        /// 1-based line of the last record read whole (1: the header).
        line: u64,
    },
    /// An in-memory input that is not one table (batches of other columns, a failing stream).
    #[error("`{name}`: {message}")]
    Memory {
        /// The input's name.
        name: String,
        /// What is wrong.
        message: String,
    },
    /// The Parquet file is unreadable.
    #[error("reading Parquet `{path}`: {source}")]
    Parquet {
        /// The input.
        path: PathBuf,
        /// The parquet crate's error.
        source: parquet::errors::ParquetError,
    },
}

/// What to do with one input column.
#[derive(Debug, Clone)]
struct Plan {
    /// Index in the input.
    input: usize,
    /// Declared type and nullability, or `None` to pass the column through.
    declared: Option<(ColumnType, bool)>,
    field: Arc<Field>,
}

/// A streaming reader of typed batches.
pub struct Reader {
    path: PathBuf,
    schema: SchemaRef,
    plans: Vec<Plan>,
    source: Source,
    /// Rows read so far (for Parquet row numbers).
    rows: u64,
}

enum Source {
    Csv(Box<csv::Reader<CsvInput>>),
    Parquet(ParquetRecordBatchReader),
    /// In-memory batches, cut to [`READ_BATCH_ROWS`] like a Parquet file's.
    Memory(super::input::Rebatch),
}

/// The CSV file as the csv crate reads it, counting what passes: bytes since the current
/// record began (to stop a record longer than [`MAX_CSV_RECORD_BYTES`]) and where `\r\n` line
/// ends are. csv reports a record after a `\r\n` as starting on the line before, because it
/// stops at the `\r` and reads the `\n` with the next record; knowing which `\n` bytes end
/// a `\r\n` corrects that.
struct CsvInput {
    file: File,
    /// Bytes read so far.
    offset: u64,
    /// Bytes read since the current record began.
    record_bytes: u64,
    /// The last byte read was `\r`.
    last_cr: bool,
    /// Offsets of `\n` bytes that follow a `\r`, at or after the current record's start
    /// (csv reads ahead at most its buffer, so this stays short).
    crlf: std::collections::VecDeque<u64>,
    /// The record limit was hit.
    too_long: bool,
    /// Line of the last record read whole.
    last_line: u64,
    /// The longest record read ([`MAX_CSV_RECORD_BYTES`] but in tests).
    limit: u64,
}

impl CsvInput {
    fn new(file: File) -> CsvInput {
        CsvInput {
            file,
            offset: 0,
            record_bytes: 0,
            last_cr: false,
            crlf: std::collections::VecDeque::new(),
            too_long: false,
            last_line: 1,
            limit: MAX_CSV_RECORD_BYTES,
        }
    }

    /// The 1-based line of a record csv says starts at `pos`, and forgets line ends before it.
    fn line_of(&mut self, pos: &csv::Position) -> u64 {
        while self.crlf.front().is_some_and(|&o| o < pos.byte()) {
            self.crlf.pop_front();
        }
        pos.line() + u64::from(self.crlf.front() == Some(&pos.byte()))
    }
}

impl std::io::Read for CsvInput {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.record_bytes > self.limit {
            self.too_long = true;
            return Err(std::io::Error::other("record too long"));
        }
        let n = self.file.read(buf)?;
        let chunk = &buf[..n];
        for i in memchr::memchr_iter(b'\n', chunk) {
            let after_cr = if i == 0 {
                self.last_cr
            } else {
                chunk[i - 1] == b'\r'
            };
            if after_cr {
                self.crlf.push_back(self.offset + i as u64);
            }
        }
        if n > 0 {
            self.last_cr = chunk[n - 1] == b'\r';
        }
        self.offset += n as u64;
        self.record_bytes += n as u64;
        Ok(n)
    }
}

/// Whether `path` ends like a Parquet file (`PAR1` after the footer); names what is wrong when
/// it does not, for an error clearer than the parquet crate's.
fn parquet_shape(path: &Path) -> Option<String> {
    use std::io::{Read, Seek, SeekFrom};
    let mut f = File::open(path).ok()?;
    let len = f.metadata().ok()?.len();
    let mut head = [0u8; 4];
    let starts = len >= 4 && f.read_exact(&mut head).is_ok() && &head == b"PAR1";
    let mut tail = [0u8; 4];
    let ends = len >= 12
        && f.seek(SeekFrom::End(-4)).is_ok()
        && f.read_exact(&mut tail).is_ok()
        && &tail == b"PAR1";
    match (starts, ends) {
        (_, true) => None,
        (true, false) => Some(format!(
            "looks truncated: it starts like a Parquet file but its {len} bytes do not end with the Parquet footer (`PAR1`)"
        )),
        (false, false) if len == 0 => Some("is empty, not a Parquet file".into()),
        (false, false) => Some(
            "is not a Parquet file: it neither starts nor ends with the Parquet magic `PAR1`"
                .into(),
        ),
    }
}

impl Reader {
    /// Opens `input`, to be read with the types `schema` declares.
    pub fn open(input: &Input, schema: &Schema) -> Result<Reader, ReadError> {
        Reader::open_inner(input, schema, None)
    }

    /// Like [`Reader::open`], reading only the named columns (in input order): Parquet decodes
    /// only those, CSV parses only those fields. Every declared column must still exist.
    pub fn open_columns(
        input: &Input,
        schema: &Schema,
        columns: &[&str],
    ) -> Result<Reader, ReadError> {
        Reader::open_inner(input, schema, Some(columns))
    }

    fn open_inner(
        input: &Input,
        schema: &Schema,
        only: Option<&[&str]>,
    ) -> Result<Reader, ReadError> {
        let path = input.label();
        let format = match input {
            Input::File { format, .. } => Some(*format),
            Input::Memory(_) => None,
        };
        let open_err = |source| ReadError::Open {
            path: path.to_path_buf(),
            source,
        };
        let (names, stored, source): (Vec<String>, Vec<Option<DataType>>, Source) = match format {
            None => {
                let Input::Memory(b) = input else {
                    unreachable!("only memory inputs have no format")
                };
                let arrow = b.schema();
                let names = arrow.fields().iter().map(|f| f.name().clone()).collect();
                let types = arrow
                    .fields()
                    .iter()
                    .map(|f| Some(f.data_type().clone()))
                    .collect();
                (
                    names,
                    types,
                    Source::Memory(super::input::Rebatch::new(b, READ_BATCH_ROWS)),
                )
            }
            Some(Format::Csv) => {
                let file = File::open(path).map_err(open_err)?;
                let mut r = csv::ReaderBuilder::new()
                    .has_headers(true)
                    .from_reader(CsvInput::new(file));
                let headers = match r.headers().cloned() {
                    Ok(h) => h,
                    Err(e) => return Err(csv_error(path, &e, &mut r)),
                };
                r.get_mut().record_bytes = 0;
                r.get_mut().last_line = 1;
                let names: Vec<String> = headers.iter().map(|h| h.trim().to_string()).collect();
                if names.iter().all(String::is_empty) {
                    return Err(ReadError::Csv {
                        path: path.to_path_buf(),
                        line: 1,
                        message: "the file has no header line (it is empty); a CSV input starts with a line naming its columns".into(),
                    });
                }
                let n = names.len();
                (names, vec![None; n], Source::Csv(Box::new(r)))
            }
            Some(Format::Parquet) => {
                let file = File::open(path).map_err(open_err)?;
                let pq = |source| ReadError::Parquet {
                    path: path.to_path_buf(),
                    source,
                };
                let b = ParquetRecordBatchReaderBuilder::try_new(file)
                    .map_err(|e| match parquet_shape(path) {
                        Some(problem) => ReadError::NotParquet {
                            path: path.to_path_buf(),
                            hint: if problem.starts_with("looks truncated") {
                                "copy or write the file again; it was probably cut short by an interrupted copy, download or write"
                            } else {
                                "pass a Parquet file, or --format csv if it is CSV"
                            },
                            problem,
                        },
                        None => pq(e),
                    })?
                    .with_batch_size(READ_BATCH_ROWS);
                let arrow = b.schema().clone();
                let names: Vec<String> = arrow.fields().iter().map(|f| f.name().clone()).collect();
                let types = arrow
                    .fields()
                    .iter()
                    .map(|f| Some(f.data_type().clone()))
                    .collect();
                let b = match only {
                    Some(cols) => {
                        let idx: Vec<usize> = (0..names.len())
                            .filter(|&i| cols.contains(&names[i].as_str()))
                            .collect();
                        let mask = parquet::arrow::ProjectionMask::roots(b.parquet_schema(), idx);
                        b.with_projection(mask)
                    }
                    None => b,
                };
                (names, types, Source::Parquet(b.build().map_err(pq)?))
            }
        };
        let mut seen = HashMap::new();
        for (i, n) in names.iter().enumerate() {
            if let Some(first) = seen.insert(n.as_str(), i) {
                return Err(ReadError::Csv {
                    path: path.to_path_buf(),
                    line: 1,
                    message: format!(
                        "the header names `{n}` twice (columns {} and {})",
                        first + 1,
                        i + 1
                    ),
                });
            }
        }
        for c in &schema.columns {
            if !seen.contains_key(c.name.as_str()) {
                return Err(ReadError::MissingColumn {
                    path: path.to_path_buf(),
                    column: c.name.clone(),
                    line: c.pos.line,
                    available: names.join(", "),
                });
            }
        }
        let mut plans = Vec::with_capacity(names.len());
        let mut projected = 0usize;
        for (i, n) in names.iter().enumerate() {
            if only.is_some_and(|cols| !cols.contains(&n.as_str())) {
                continue;
            }
            // Parquet batches hold only the projected columns; CSV records and in-memory
            // batches hold every field.
            let input = match format {
                Some(Format::Parquet) => projected,
                Some(Format::Csv) | None => i,
            };
            projected += 1;
            let declared = schema.column(n).map(|c| (c.ty, c.nullable));
            let field = match (declared, &stored[i]) {
                (Some((ty, nullable)), found) => {
                    if let Some(found) = found {
                        if !convertible(found, ty) {
                            return Err(ReadError::Type {
                                path: path.to_path_buf(),
                                column: n.clone(),
                                found: found.to_string(),
                                want: type_word(ty).into(),
                            });
                        }
                    }
                    Field::new(n, ty.arrow_type(), nullable)
                }
                (None, Some(found)) => Field::new(n, found.clone(), true),
                (None, None) => Field::new(n, DataType::Utf8, true),
            };
            plans.push(Plan {
                input,
                declared,
                field: Arc::new(field),
            });
        }
        let schema = Arc::new(arrow_schema::Schema::new(
            plans.iter().map(|p| p.field.clone()).collect::<Vec<_>>(),
        ));
        Ok(Reader {
            path: path.to_path_buf(),
            schema,
            plans,
            source,
            rows: 0,
        })
    }

    /// The Arrow schema of the batches: input columns in input order.
    pub fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }

    fn next_csv(&mut self) -> Option<Result<RecordBatch, ReadError>> {
        let Source::Csv(r) = &mut self.source else {
            return None;
        };
        let mut records = Vec::with_capacity(READ_BATCH_ROWS);
        let mut lines = Vec::with_capacity(READ_BATCH_ROWS);
        let mut rec = csv::ByteRecord::new();
        let mut batch_bytes = 0usize;
        while records.len() < READ_BATCH_ROWS && batch_bytes < MAX_CSV_BATCH_BYTES {
            match r.read_byte_record(&mut rec) {
                Ok(true) => {
                    let line = match rec.position() {
                        Some(p) => r.get_mut().line_of(p),
                        None => 0,
                    };
                    r.get_mut().record_bytes = 0;
                    r.get_mut().last_line = line;
                    lines.push(line);
                    // csv keeps the record's buffer at its largest size and `clone` copies all
                    // of it, so a copy sized to the fields is kept, and an oversized buffer is
                    // not reused.
                    let size = rec.as_slice().len();
                    let mut copy = csv::ByteRecord::with_capacity(size, rec.len());
                    for field in rec.iter() {
                        copy.push_field(field);
                    }
                    batch_bytes += size + 8 * rec.len();
                    records.push(copy);
                    if size > KEEP_RECORD_BUFFER_BYTES {
                        rec = csv::ByteRecord::new();
                    }
                }
                Ok(false) => break,
                Err(e) => return Some(Err(csv_error(&self.path, &e, r))),
            }
        }
        if records.is_empty() {
            return None;
        }
        let path = &self.path;
        let columns: Result<Vec<ArrayRef>, ReadError> = self
            .plans
            .par_iter()
            .map(|p| parse_column(path, p, &records, &lines))
            .collect();
        self.rows += records.len() as u64;
        Some(columns.and_then(|c| {
            // The row count keeps a batch of zero projected columns meaningful.
            let options =
                arrow_array::RecordBatchOptions::new().with_row_count(Some(records.len()));
            RecordBatch::try_new_with_options(self.schema.clone(), c, &options).map_err(|e| {
                ReadError::Csv {
                    path: path.clone(),
                    line: lines[0],
                    message: e.to_string(),
                }
            })
        }))
    }

    /// The next batch of a Parquet file or of in-memory batches, conformed to the schema.
    fn next_typed(&mut self) -> Option<Result<RecordBatch, ReadError>> {
        let next = match &mut self.source {
            Source::Parquet(r) => r.next()?.map_err(|e| ReadError::Parquet {
                path: self.path.clone(),
                source: e.into(),
            }),
            Source::Memory(r) => r.next()?.map_err(|e| ReadError::Memory {
                name: self.path.display().to_string(),
                message: e.to_string(),
            }),
            Source::Csv(_) => return None,
        };
        let batch = match next {
            Ok(b) => b,
            Err(e) => return Some(Err(e)),
        };
        let first_row = self.rows;
        self.rows += batch.num_rows() as u64;
        let columns: Result<Vec<ArrayRef>, ReadError> = self
            .plans
            .iter()
            .map(|p| {
                let a = batch.column(p.input);
                match p.declared {
                    None => Ok(a.clone()),
                    Some((ty, nullable)) => {
                        let out = conform(a, ty).map_err(|found| ReadError::Type {
                            path: self.path.clone(),
                            column: p.field.name().clone(),
                            found,
                            want: type_word(ty).into(),
                        })?;
                        if !nullable && out.null_count() > 0 {
                            let row = (0..out.len()).find(|&i| out.is_null(i)).unwrap_or(0);
                            return Err(null_error(
                                format!(
                                    "{}: row {}",
                                    self.path.display(),
                                    first_row + row as u64 + 1
                                ),
                                p.field.name(),
                            ));
                        }
                        Ok(out)
                    }
                }
            })
            .collect();
        Some(columns.and_then(|c| {
            let options =
                arrow_array::RecordBatchOptions::new().with_row_count(Some(batch.num_rows()));
            RecordBatch::try_new_with_options(self.schema.clone(), c, &options).map_err(|e| {
                match self.source {
                    Source::Memory(_) => ReadError::Memory {
                        name: self.path.display().to_string(),
                        message: e.to_string(),
                    },
                    _ => ReadError::Parquet {
                        path: self.path.clone(),
                        source: e.into(),
                    },
                }
            })
        }))
    }
}

impl Iterator for Reader {
    type Item = Result<RecordBatch, ReadError>;

    fn next(&mut self) -> Option<Self::Item> {
        match self.source {
            Source::Csv(_) => self.next_csv(),
            Source::Parquet(_) | Source::Memory(_) => self.next_typed(),
        }
    }
}

fn csv_error(path: &Path, e: &csv::Error, r: &mut csv::Reader<CsvInput>) -> ReadError {
    if r.get_ref().too_long {
        let line = r.get_ref().last_line;
        return ReadError::RecordTooLong {
            path: path.to_path_buf(),
            line,
        };
    }
    let line = e.position().map_or(0, |p| r.get_mut().line_of(p));
    let message = match e.kind() {
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => format!("{len} fields, but the header has {expected_len}"),
        csv::ErrorKind::Utf8 { .. } => "the line is not valid UTF-8".to_string(),
        _ => e.to_string(),
    };
    ReadError::Csv {
        path: path.to_path_buf(),
        line,
        message,
    }
}

fn type_word(ty: ColumnType) -> &'static str {
    match ty {
        ColumnType::String => "string",
        ColumnType::Int { .. } => "int",
        ColumnType::Float => "float",
        ColumnType::Bool => "bool",
        ColumnType::Date => "date",
        ColumnType::Timestamp => "timestamp",
        ColumnType::Category => "category",
    }
}

fn null_error(place: String, column: &str) -> ReadError {
    ReadError::Value {
        place,
        column: column.to_string(),
        problem: "empty value, but the column does not allow nulls".into(),
        hint: format!("add `nullable: true` to `{column}` in the schema, or fill the value"),
    }
}

/// Parses a bool the ways CSV files write them.
pub fn parse_bool(s: &str) -> Option<bool> {
    match s.to_ascii_lowercase().as_str() {
        "true" | "t" | "yes" | "y" | "1" => Some(true),
        "false" | "f" | "no" | "n" | "0" => Some(false),
        _ => None,
    }
}

fn parse_column(
    path: &Path,
    plan: &Plan,
    records: &[csv::ByteRecord],
    lines: &[u64],
) -> Result<ArrayRef, ReadError> {
    let n = records.len();
    let name = plan.field.name();
    let text = |i: usize| -> Result<Option<&str>, ReadError> {
        let raw = records[i].get(plan.input).unwrap_or(b"");
        let s = std::str::from_utf8(raw).map_err(|_| ReadError::Csv {
            path: path.to_path_buf(),
            line: lines[i],
            message: format!("column `{name}` is not valid UTF-8"),
        })?;
        let s = s.trim();
        Ok((!s.is_empty()).then_some(s))
    };
    let Some((ty, nullable)) = plan.declared else {
        let mut b = StringBuilder::with_capacity(n, n * 8);
        for i in 0..n {
            b.append_option(text(i)?);
        }
        return Ok(Arc::new(b.finish()));
    };
    let bad = |i: usize, v: &str, want: &str| ReadError::Value {
        place: format!("{}:{}", path.display(), lines[i]),
        column: name.clone(),
        problem: format!("`{v}` is not {want}"),
        hint: format!("fix the value, or change `{name}`'s `type` in the schema"),
    };
    let mut values: Vec<Option<&str>> = Vec::with_capacity(n);
    for (i, line) in lines.iter().enumerate() {
        let v = text(i)?;
        if v.is_none() && !nullable {
            return Err(null_error(format!("{}:{line}", path.display()), name));
        }
        values.push(v);
    }
    let parse_all = |f: &dyn Fn(&str) -> bool| -> Result<(), ReadError> {
        for (i, v) in values.iter().enumerate() {
            if let Some(v) = v {
                if !f(v) {
                    return Err(bad(i, v, &format!("a valid {}", type_word(ty))));
                }
            }
        }
        Ok(())
    };
    Ok(match ty {
        ColumnType::String => Arc::new(StringArray::from(values)),
        ColumnType::Category => {
            let mut b = StringDictionaryBuilder::<Int32Type>::new();
            for v in values {
                b.append_option(v);
            }
            Arc::new(b.finish())
        }
        ColumnType::Int { bits } => {
            parse_all(&|v| v.parse::<i64>().is_ok())?;
            let parsed: Vec<Option<i64>> = values
                .iter()
                .map(|v| v.and_then(|v| v.parse().ok()))
                .collect();
            if bits == 32 {
                let mut out = Vec::with_capacity(n);
                for (i, v) in parsed.iter().enumerate() {
                    out.push(match v {
                        Some(x) => Some(i32::try_from(*x).map_err(|_| {
                            bad(i, values[i].unwrap_or(""), "within the 32-bit range")
                        })?),
                        None => None,
                    });
                }
                Arc::new(Int32Array::from(out))
            } else {
                Arc::new(Int64Array::from(parsed))
            }
        }
        ColumnType::Float => {
            parse_all(&|v| v.parse::<f64>().is_ok())?;
            Arc::new(Float64Array::from(
                values
                    .iter()
                    .map(|v| v.and_then(|v| v.parse().ok()))
                    .collect::<Vec<Option<f64>>>(),
            ))
        }
        ColumnType::Bool => {
            parse_all(&|v| parse_bool(v).is_some())?;
            Arc::new(BooleanArray::from(
                values
                    .iter()
                    .map(|v| v.and_then(parse_bool))
                    .collect::<Vec<_>>(),
            ))
        }
        ColumnType::Date => {
            for (i, v) in values.iter().enumerate() {
                if let Some(v) = v {
                    if parse_date(v).is_none() {
                        return Err(bad(i, v, "a date (YYYY-MM-DD)"));
                    }
                }
            }
            Arc::new(Date32Array::from(
                values
                    .iter()
                    .map(|v| v.and_then(parse_date))
                    .collect::<Vec<_>>(),
            ))
        }
        ColumnType::Timestamp => {
            for (i, v) in values.iter().enumerate() {
                if let Some(v) = v {
                    if parse_timestamp(v).is_none() {
                        return Err(bad(
                            i,
                            v,
                            "a timestamp (RFC 3339, e.g. 2024-05-01T12:00:00Z)",
                        ));
                    }
                }
            }
            Arc::new(
                TimestampMicrosecondArray::from(
                    values
                        .iter()
                        .map(|v| v.and_then(parse_timestamp))
                        .collect::<Vec<_>>(),
                )
                .with_timezone("UTC"),
            )
        }
    })
}

/// Whether a stored Parquet/Arrow type can be read as a schema type.
fn convertible(found: &DataType, ty: ColumnType) -> bool {
    let texty = |d: &DataType| match d {
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => true,
        DataType::Dictionary(_, v) => matches!(
            **v,
            DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View
        ),
        _ => false,
    };
    match ty {
        // Integer-coded categories (Int8 codes in Parquet) read as their decimal text.
        ColumnType::String | ColumnType::Category => texty(found) || found.is_integer(),
        ColumnType::Int { .. } => {
            found.is_integer() || matches!(found, DataType::Float32 | DataType::Float64)
        }
        ColumnType::Float => found.is_integer() || found.is_floating(),
        ColumnType::Bool => *found == DataType::Boolean,
        ColumnType::Date => matches!(
            found,
            DataType::Date32 | DataType::Date64 | DataType::Timestamp(..)
        ),
        ColumnType::Timestamp => matches!(found, DataType::Timestamp(..)),
    }
}

/// Converts a stored array to the schema type; `Err` holds the stored type's name.
fn conform(a: &ArrayRef, ty: ColumnType) -> Result<ArrayRef, String> {
    let want = ty.arrow_type();
    if a.data_type() == &want {
        return Ok(a.clone());
    }
    let found = || a.data_type().to_string();
    let ints = || -> Result<Vec<Option<i64>>, String> {
        let n = a.len();
        let mut out = Vec::with_capacity(n);
        // A value that does not fit is an error naming it, never a silent null.
        macro_rules! ints {
            ($t:ty) => {
                for v in a.as_primitive::<$t>().iter() {
                    out.push(match v {
                        None => None,
                        Some(v) => Some(i64::try_from(v).map_err(|_| {
                            format!("{} holding {v}, outside the 64-bit integer range", found())
                        })?),
                    });
                }
            };
        }
        // Whole numbers stored as floats (pandas keeps an integer column with missing values
        // as float64) read as integers; any other float is an error naming the value.
        macro_rules! floats {
            ($t:ty) => {
                for v in a.as_primitive::<$t>().iter() {
                    out.push(match v.map(f64::from) {
                        None => None,
                        Some(x) if x.is_nan() => None,
                        Some(x) if x.fract() == 0.0 && x.abs() < 9.007_199_254_740_992e15 => {
                            Some(x as i64)
                        }
                        Some(x) => {
                            return Err(format!("{} holding {x}, not a whole number", found()))
                        }
                    });
                }
            };
        }
        use arrow_array::types::*;
        match a.data_type() {
            DataType::Int8 => ints!(Int8Type),
            DataType::Int16 => ints!(Int16Type),
            DataType::Int32 => ints!(Int32Type),
            DataType::Int64 => ints!(Int64Type),
            DataType::UInt8 => ints!(UInt8Type),
            DataType::UInt16 => ints!(UInt16Type),
            DataType::UInt32 => ints!(UInt32Type),
            DataType::UInt64 => ints!(UInt64Type),
            DataType::Float32 => floats!(Float32Type),
            DataType::Float64 => floats!(Float64Type),
            _ => return Err(found()),
        }
        Ok(out)
    };
    let strings = || -> Result<Vec<Option<String>>, String> {
        let n = a.len();
        let mut out = Vec::with_capacity(n);
        match a.data_type() {
            DataType::Utf8 => {
                out.extend(a.as_string::<i32>().iter().map(|v| v.map(str::to_string)))
            }
            DataType::LargeUtf8 => {
                out.extend(a.as_string::<i64>().iter().map(|v| v.map(str::to_string)))
            }
            DataType::Utf8View => {
                out.extend(a.as_string_view().iter().map(|v| v.map(str::to_string)))
            }
            DataType::Dictionary(..) => {
                let d = a.as_any_dictionary();
                let keys = dictionary_keys(d);
                let values = conform(d.values(), ColumnType::String)?;
                let values = values.as_string::<i32>();
                for (i, k) in keys.iter().enumerate() {
                    out.push(
                        (!a.is_null(i) && values.is_valid(*k))
                            .then(|| values.value(*k).to_string()),
                    );
                }
            }
            d if d.is_integer() => {
                out.extend(ints()?.into_iter().map(|v| v.map(|v| v.to_string())))
            }
            _ => return Err(found()),
        }
        Ok(out)
    };
    Ok(match ty {
        ColumnType::String => Arc::new(StringArray::from(strings()?)),
        ColumnType::Category => {
            let mut b = StringDictionaryBuilder::<Int32Type>::new();
            for v in strings()? {
                b.append_option(v);
            }
            Arc::new(b.finish())
        }
        ColumnType::Int { bits: 32 } => Arc::new(Int32Array::from(
            ints()?
                .into_iter()
                .map(|v| {
                    v.map(|v| {
                        i32::try_from(v).map_err(|_| {
                            format!("{} holding {v}, outside the 32-bit range", found())
                        })
                    })
                    .transpose()
                })
                .collect::<Result<Vec<_>, String>>()?,
        )),
        ColumnType::Int { .. } => Arc::new(Int64Array::from(ints()?)),
        ColumnType::Float => match a.data_type() {
            DataType::Float32 => Arc::new(Float64Array::from(
                a.as_primitive::<arrow_array::types::Float32Type>()
                    .iter()
                    .map(|v| v.map(f64::from))
                    .collect::<Vec<_>>(),
            )),
            DataType::Float16 => return Err(found()),
            _ => Arc::new(Float64Array::from(
                ints()?
                    .into_iter()
                    .map(|v| v.map(|v| v as f64))
                    .collect::<Vec<_>>(),
            )),
        },
        ColumnType::Date => match a.data_type() {
            DataType::Date64 => Arc::new(Date32Array::from(
                a.as_primitive::<arrow_array::types::Date64Type>()
                    .iter()
                    .map(|v| v.map(|ms| ms.div_euclid(86_400_000) as i32))
                    .collect::<Vec<_>>(),
            )),
            // pandas has no date type: dates arrive as timestamps at midnight.
            DataType::Timestamp(unit, _) => {
                let per_day: i64 = match unit {
                    TimeUnit::Second => 86_400,
                    TimeUnit::Millisecond => 86_400_000,
                    TimeUnit::Microsecond => 86_400_000_000,
                    TimeUnit::Nanosecond => 86_400_000_000_000,
                };
                let raw = timestamp_values(a);
                let mut days = Vec::with_capacity(raw.len());
                for v in raw {
                    days.push(match v {
                        None => None,
                        Some(t) if t.rem_euclid(per_day) == 0 => {
                            Some(i32::try_from(t.div_euclid(per_day)).map_err(|_| found())?)
                        }
                        Some(_) => {
                            return Err(format!(
                                "{} holding a time of day other than midnight",
                                found()
                            ))
                        }
                    });
                }
                Arc::new(Date32Array::from(days))
            }
            _ => return Err(found()),
        },
        ColumnType::Timestamp => {
            let per_us: (i64, i64) = match a.data_type() {
                DataType::Timestamp(TimeUnit::Second, _) => (1_000_000, 1),
                DataType::Timestamp(TimeUnit::Millisecond, _) => (1_000, 1),
                DataType::Timestamp(TimeUnit::Microsecond, _) => (1, 1),
                DataType::Timestamp(TimeUnit::Nanosecond, _) => (1, 1_000),
                _ => return Err(found()),
            };
            let raw = timestamp_values(a);
            // Seconds or milliseconds far from 1970 do not fit in microseconds: an error, not
            // a wrapped instant.
            let micros: Option<Vec<Option<i64>>> = raw
                .into_iter()
                .map(|v| match v {
                    None => Some(None),
                    Some(v) => v.checked_mul(per_us.0).map(|x| Some(x / per_us.1)),
                })
                .collect();
            let micros = micros.ok_or_else(|| {
                format!(
                    "{} with an instant outside the range of microsecond timestamps (about 290,000 years either side of 1970)",
                    a.data_type()
                )
            })?;
            Arc::new(TimestampMicrosecondArray::from(micros).with_timezone("UTC"))
        }
        ColumnType::Bool => return Err(found()),
    })
}

/// The raw values of a timestamp array of any unit.
fn timestamp_values(a: &ArrayRef) -> Vec<Option<i64>> {
    use arrow_array::types::*;
    match a.data_type() {
        DataType::Timestamp(TimeUnit::Second, _) => {
            a.as_primitive::<TimestampSecondType>().iter().collect()
        }
        DataType::Timestamp(TimeUnit::Millisecond, _) => a
            .as_primitive::<TimestampMillisecondType>()
            .iter()
            .collect(),
        DataType::Timestamp(TimeUnit::Microsecond, _) => a
            .as_primitive::<TimestampMicrosecondType>()
            .iter()
            .collect(),
        _ => a.as_primitive::<TimestampNanosecondType>().iter().collect(),
    }
}

/// The keys of a dictionary array as indices into its values. arrow's `normalized_keys`
/// asserts that the dictionary is not empty, which it is for a column that is entirely null;
/// then every row is null and the keys are never looked up.
pub fn dictionary_keys(d: &dyn arrow_array::AnyDictionaryArray) -> Vec<usize> {
    if d.values().is_empty() {
        vec![0; d.keys().len()]
    } else {
        d.normalized_keys()
    }
}

/// Numeric values of a declared int or float column, as f64 (nulls as `None`).
pub fn numbers(a: &dyn Array) -> Vec<Option<f64>> {
    if let Some(f) = a.as_primitive_opt::<Float64Type>() {
        f.iter().collect()
    } else if let Some(i) = a.as_primitive_opt::<Int64Type>() {
        i.iter().map(|v| v.map(|v| v as f64)).collect()
    } else if let Some(i) = a.as_primitive_opt::<Int32Type>() {
        i.iter().map(|v| v.map(f64::from)).collect()
    } else {
        vec![None; a.len()]
    }
}

/// Every value of a column as text (nulls as `None`): numbers as written (whole floats
/// without a fraction), dates as `YYYY-MM-DD`, instants as RFC 3339, categories by their label.
/// Types with no text form give `None`.
pub fn texts(a: &ArrayRef) -> Vec<Option<String>> {
    let epoch = chrono::NaiveDate::from_ymd_opt(1970, 1, 1);
    match a.data_type() {
        DataType::Utf8 => a
            .as_string::<i32>()
            .iter()
            .map(|v| v.map(str::to_string))
            .collect(),
        DataType::LargeUtf8 => a
            .as_string::<i64>()
            .iter()
            .map(|v| v.map(str::to_string))
            .collect(),
        DataType::Utf8View => a
            .as_string_view()
            .iter()
            .map(|v| v.map(str::to_string))
            .collect(),
        DataType::Dictionary(..) => {
            let d = a.as_any_dictionary();
            let keys = dictionary_keys(d);
            let values = texts(d.values());
            keys.iter()
                .enumerate()
                .map(|(i, k)| {
                    if a.is_null(i) {
                        None
                    } else {
                        values.get(*k).cloned().flatten()
                    }
                })
                .collect()
        }
        DataType::Boolean => a
            .as_boolean()
            .iter()
            .map(|v| v.map(|b| b.to_string()))
            .collect(),
        DataType::Date32 => a
            .as_primitive::<arrow_array::types::Date32Type>()
            .iter()
            .map(|v| {
                let d = epoch?.checked_add_signed(chrono::Duration::days(i64::from(v?)))?;
                Some(d.to_string())
            })
            .collect(),
        DataType::Timestamp(TimeUnit::Microsecond, _) => a
            .as_primitive::<arrow_array::types::TimestampMicrosecondType>()
            .iter()
            .map(|v| chrono::DateTime::from_timestamp_micros(v?).map(|t| t.to_rfc3339()))
            .collect(),
        d if d.is_numeric() => numbers(a.as_ref())
            .into_iter()
            .map(|v| {
                v.map(|x| {
                    if x.fract() == 0.0 && x.abs() < 1e15 {
                        (x as i64).to_string()
                    } else {
                        x.to_string()
                    }
                })
            })
            .collect(),
        _ => vec![None; a.len()],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reader(text: &str, limit: u64) -> (tempfile::NamedTempFile, csv::Reader<CsvInput>) {
        use std::io::Write;
        let mut f = tempfile::NamedTempFile::new().expect("temp file");
        f.write_all(text.as_bytes()).expect("write");
        let mut input = CsvInput::new(f.reopen().expect("reopen"));
        input.limit = limit;
        let r = csv::ReaderBuilder::new().from_reader(input);
        (f, r)
    }

    #[test]
    fn a_record_over_the_limit_is_an_error_naming_the_line_before() {
        let long = "x".repeat(100_000);
        let (_f, mut r) = reader(&format!("a,b\n1,2\n3,{long}\n"), 10_000);
        let mut rec = csv::ByteRecord::new();
        // The header is read along with the first record.
        assert!(r.read_byte_record(&mut rec).expect("row 1"));
        r.get_mut().record_bytes = 0;
        r.get_mut().last_line = 2;
        let e = r.read_byte_record(&mut rec).expect_err("too long");
        let err = csv_error(Path::new("x.csv"), &e, &mut r);
        assert!(
            matches!(err, ReadError::RecordTooLong { line: 2, .. }),
            "{err}"
        );
    }

    #[test]
    fn crlf_records_get_the_line_they_start_on() {
        let (_f, mut r) = reader("a,b\r\n1,2\r\n\"x\r\ny\",3\r\n4,5\r\n", u64::MAX);
        let mut rec = csv::ByteRecord::new();
        let mut lines = Vec::new();
        r.headers().expect("header");
        while r.read_byte_record(&mut rec).expect("record") {
            let p = rec.position().expect("position").clone();
            lines.push(r.get_mut().line_of(&p));
        }
        assert_eq!(lines, [2, 3, 5]);
    }

    /// Reads one in-memory column `x` typed as `ty` in a one-column schema.
    fn read_memory(ty: &str, array: ArrayRef) -> Result<ArrayRef, ReadError> {
        let yaml =
            format!("version: 1\nname: t\ncolumns:\n  - {{name: x, type: {ty}, nullable: true}}\n");
        let schema = Schema::from_str_named(&yaml, "t.yaml").expect("schema");
        let field = Field::new("x", array.data_type().clone(), true);
        let batch = RecordBatch::try_new(
            Arc::new(arrow_schema::Schema::new(vec![field])),
            vec![array],
        )
        .expect("batch");
        let input = Input::Memory(super::super::input::Batches::new(
            "df",
            batch.schema(),
            vec![batch],
        )?);
        let mut r = Reader::open(&input, &schema)?;
        Ok(r.next().expect("a batch")?.column(0).clone())
    }

    #[test]
    fn whole_floats_read_as_integers_and_other_floats_are_named() {
        let a: ArrayRef = Arc::new(Float64Array::from(vec![
            Some(3.0),
            None,
            Some(f64::NAN),
            Some(-7.0),
        ]));
        let out = read_memory("int", a).expect("whole numbers");
        let out = out.as_primitive::<Int64Type>();
        assert_eq!(
            out.iter().collect::<Vec<_>>(),
            vec![Some(3), None, None, Some(-7)]
        );
        let a: ArrayRef = Arc::new(Float64Array::from(vec![1.0, 2.5]));
        let err = read_memory("int", a).expect_err("2.5").to_string();
        assert!(
            err.contains("`df`: column `x` is stored as Float64 holding 2.5, not a whole number"),
            "{err}"
        );
    }

    #[test]
    fn integers_out_of_range_are_errors_not_nulls() {
        let a: ArrayRef = Arc::new(Int64Array::from(vec![1, 5_000_000_000]));
        let err = read_memory("int, bits: 32", a)
            .expect_err("too big")
            .to_string();
        assert!(
            err.contains("holding 5000000000, outside the 32-bit range"),
            "{err}"
        );
        let a: ArrayRef = Arc::new(arrow_array::UInt64Array::from(vec![u64::MAX]));
        let err = read_memory("int", a).expect_err("too big").to_string();
        assert!(err.contains("outside the 64-bit integer range"), "{err}");
    }

    #[test]
    fn midnight_timestamps_read_as_dates() {
        let day = 86_400_000_000_000i64;
        let a: ArrayRef = Arc::new(arrow_array::TimestampNanosecondArray::from(vec![
            Some(19_000 * day),
            None,
        ]));
        let out = read_memory("date", a).expect("dates");
        assert_eq!(
            out.as_primitive::<arrow_array::types::Date32Type>()
                .iter()
                .collect::<Vec<_>>(),
            vec![Some(19_000), None]
        );
        let a: ArrayRef = Arc::new(arrow_array::TimestampNanosecondArray::from(vec![day + 1]));
        let err = read_memory("date", a)
            .expect_err("not midnight")
            .to_string();
        assert!(err.contains("a time of day other than midnight"), "{err}");
    }
}
