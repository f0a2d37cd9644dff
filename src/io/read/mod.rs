//! Reading real data: CSV (any delimiter, decimal mark, date format and encoding, plain or
//! gzip), Parquet, and Excel or OpenDocument workbooks, typed by the schema, in streaming batches
//! (a workbook is loaded whole). How a CSV file is written is detected from a sample of it where
//! the command line or the schema's `input:` section does not say ([`Dialect`]).
//!
//! Declared columns come out with the schema's Arrow types (see
//! [`crate::schema::ColumnType::arrow_type`]); undeclared columns pass through (as Utf8 from
//! CSV, as stored from Parquet) for the command to keep or drop. A value that does not parse
//! is an error naming the file, line (CSV) or row (Parquet), column and value.

mod conform;
mod csv_file;
mod dialect;
mod excel;
pub mod folder;
pub(crate) mod format;
pub use self::format::{Format, ReadError, MAX_CSV_RECORD_BYTES};

use std::collections::HashMap;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow_array::{Array, ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, SchemaRef};
use parquet::arrow::arrow_reader::{ParquetRecordBatchReader, ParquetRecordBatchReaderBuilder};
use rayon::prelude::*;

use self::conform::{conform, convertible};
pub use self::conform::{dictionary_keys, numbers, texts};
pub use self::csv_file::parse_bool;
use self::csv_file::{csv_error, parse_column, CsvInput};
pub use self::dialect::{
    parse_number, sniff_csv, Compression, DateProblem, Dialect, ValueDialect, SAMPLE_BYTES,
};
pub use super::input::Input;
use crate::schema::{ColumnType, Schema};

/// Rows per batch read.
pub const READ_BATCH_ROWS: usize = 65_536;

/// A CSV batch ends early once its records hold this many bytes, so a file of long fields
/// still reads in bounded memory.
const MAX_CSV_BATCH_BYTES: usize = 256 << 20;

/// Records larger than this are not kept as the reusable read buffer, whose capacity would
/// otherwise stay at the largest record seen.
const KEEP_RECORD_BUFFER_BYTES: usize = 1 << 20;

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
    /// How the file is read.
    dialect: Dialect,
    /// Encrypted columns left out for want of their key.
    locked: Vec<String>,
}

enum Source {
    Csv(Box<csv::Reader<CsvInput>>),
    Parquet(ParquetRecordBatchReader),
    /// In-memory batches, cut to [`READ_BATCH_ROWS`] like a Parquet file's.
    Memory(super::input::Rebatch),
}

/// Whether `path` ends like a Parquet file (`PAR1` after the footer); names what is wrong when
/// it does not, for an error clearer than the parquet crate's.
fn parquet_shape(path: &Path) -> Option<String> {
    use std::io::{Read, Seek, SeekFrom};
    let mut f = File::open(path).ok()?;
    let len = f.metadata().ok()?.len();
    let mut head = [0u8; 4];
    let starts =
        len >= 4 && f.read_exact(&mut head).is_ok() && (&head == b"PAR1" || &head == b"PARE");
    let mut tail = [0u8; 4];
    let ends = len >= 12
        && f.seek(SeekFrom::End(-4)).is_ok()
        && f.read_exact(&mut tail).is_ok()
        && (&tail == b"PAR1" || &tail == b"PARE");
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

/// A Parquet file opened for reading, with the keys of the installed [`crate::io::crypt::Access`]
/// (or of the environment).
pub struct OpenedParquet {
    /// The reader builder (metadata read, footer decrypted or verified).
    pub builder: ParquetRecordBatchReaderBuilder<File>,
    /// Encrypted columns whose key is not at hand.
    pub locked: Vec<crate::io::crypt::Locked>,
    /// Whether a plaintext footer was read without its key, so its signature was not checked.
    pub footer_unverified: bool,
}

/// Opens a Parquet file, encrypted or not. A plaintext (signed) footer whose key is not at hand
/// is read unverified, so the unencrypted columns stay readable; an encrypted footer needs its
/// key. Errors name the file and, for keys, the master key ID.
pub fn open_parquet(path: &Path) -> Result<OpenedParquet, ReadError> {
    use crate::io::crypt::{self, Retriever};
    use parquet::arrow::arrow_reader::ArrowReaderOptions;
    let access = crypt::current();
    let retriever = Retriever::new(access.kms.clone());
    let pq = |source| ReadError::Parquet {
        path: path.to_path_buf(),
        source,
    };
    let shape = |e: parquet::errors::ParquetError| match parquet_shape(path) {
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
    };
    // `keys` off: no decryption at all (a plaintext footer read without its key).
    let open = |keys: bool| -> Result<ParquetRecordBatchReaderBuilder<File>, ReadError> {
        let file = File::open(path).map_err(|source| ReadError::Open {
            path: path.to_path_buf(),
            source,
        })?;
        let mut options = ArrowReaderOptions::new();
        if keys {
            options =
                options.with_file_decryption_properties(retriever.decryption(true).map_err(pq)?);
        }
        ParquetRecordBatchReaderBuilder::try_new_with_options(file, options).map_err(shape)
    };
    let (builder, footer_unverified) = match open(true) {
        Ok(b) => (b, None),
        Err(e) => match retriever.take_failure() {
            None => return Err(e),
            Some(source) if plaintext_footer(path) => {
                while retriever.take_failure().is_some() {}
                (open(false)?, Some(source))
            }
            Some(source) => {
                return Err(ReadError::Key {
                    path: path.to_path_buf(),
                    source,
                })
            }
        },
    };
    let locked = crypt::locked_columns(
        builder.metadata(),
        &retriever,
        footer_unverified.as_ref().map(|e| e.to_string()),
    );
    let footer_unverified = footer_unverified.is_some();
    Ok(OpenedParquet {
        builder,
        locked,
        footer_unverified,
    })
}

/// The column names of `input`, read from its header (CSV) or metadata (Parquet) only.
pub fn column_names(input: &Input, schema: &Schema) -> Result<Vec<String>, ReadError> {
    Ok(column_names_noted(input, schema)?.0)
}

/// The column names of `input`, as [`column_names`], and what the reading chose that was not
/// asked for (a workbook's sheet, see [`Dialect::sheet_note`]), for the command's notes.
pub fn column_names_noted(
    input: &Input,
    schema: &Schema,
) -> Result<(Vec<String>, Option<String>), ReadError> {
    let mut none = schema.clone();
    none.columns.clear();
    let reader = Reader::open(input, &none)?;
    let names = reader
        .schema()
        .fields()
        .iter()
        .map(|f| f.name().clone())
        .collect();
    Ok((names, reader.dialect().sheet_note.clone()))
}

/// The encrypted columns of a Parquet input whose key is not at hand (none for other inputs),
/// so that a command can leave them out and say so. A footer that cannot be decrypted is an
/// error.
pub fn locked_columns(input: &Input) -> Result<Vec<crate::io::crypt::Locked>, ReadError> {
    match input {
        Input::File {
            path,
            format: Format::Parquet,
            ..
        } => Ok(open_parquet(path)?.locked),
        _ => Ok(Vec::new()),
    }
}

/// Whether the file ends with the plaintext-footer magic `PAR1` (an encrypted footer ends with
/// `PARE`).
fn plaintext_footer(path: &Path) -> bool {
    use std::io::{Read, Seek, SeekFrom};
    let Ok(mut f) = File::open(path) else {
        return false;
    };
    let mut tail = [0u8; 4];
    f.seek(SeekFrom::End(-4)).is_ok() && f.read_exact(&mut tail).is_ok() && &tail == b"PAR1"
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
        // The command line (or Python keywords) over the schema's `input:` section; detection
        // fills the rest.
        let stated = input
            .options()
            .map_or_else(|| schema.input.clone(), |o| o.or(&schema.input));
        stated.check().map_err(|message| ReadError::Dialect {
            path: path.to_path_buf(),
            message,
            hint: "state each of --decimal, --thousands and --delimiter once, all different".into(),
        })?;
        let mut dialect = match format {
            Some(Format::Csv) => sniff_csv(path, &stated)?,
            Some(f) => Dialect::stated(f, &stated),
            // In-memory tables may hold dates as text (pandas has no date type): they are
            // read in the stated date format, as a CSV file's.
            None => {
                let mut d = Dialect::plain(Format::Parquet);
                d.date_format = stated.date_format.unwrap_or(d.date_format);
                d.timestamp_format = stated.timestamp_format.unwrap_or(d.date_format);
                d
            }
        };
        if let Some(problem) = &dialect.date_problem {
            let needed = schema
                .column(problem.column())
                .is_some_and(|c| matches!(c.ty, ColumnType::Date | ColumnType::Timestamp));
            if needed {
                return Err(problem.to_error(path));
            }
        }
        let open_err = |source| ReadError::Open {
            path: path.to_path_buf(),
            source,
        };
        // Encrypted Parquet columns whose key is not at hand (left out of the batches).
        let mut locked: Vec<String> = Vec::new();
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
                let stream = csv_file::open_stream(path, &dialect).map_err(open_err)?;
                let mut r = csv::ReaderBuilder::new()
                    .has_headers(true)
                    .delimiter(dialect.delimiter)
                    .from_reader(CsvInput::new(stream));
                let headers = match r.headers().cloned() {
                    Ok(h) => h,
                    Err(e) => return Err(csv_error(path, &e, &mut r, &dialect)),
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
            Some(f @ (Format::Xlsx | Format::Xls | Format::Ods)) => {
                let batch = excel::read_workbook(path, f, schema, &mut dialect)?;
                let arrow = batch.schema();
                let names = arrow.fields().iter().map(|f| f.name().clone()).collect();
                let types = arrow
                    .fields()
                    .iter()
                    .map(|f| Some(f.data_type().clone()))
                    .collect();
                let b = super::input::Batches::new(path.display().to_string(), arrow, vec![batch])?;
                (
                    names,
                    types,
                    Source::Memory(super::input::Rebatch::new(&b, READ_BATCH_ROWS)),
                )
            }
            Some(Format::Parquet) => {
                let opened = open_parquet(path)?;
                let b = opened.builder.with_batch_size(READ_BATCH_ROWS);
                for l in opened.locked {
                    let wanted = only.is_none_or(|cols| cols.contains(&l.column.as_str()));
                    match schema.column(&l.column) {
                        Some(c) if wanted => {
                            return Err(ReadError::Locked {
                                path: path.to_path_buf(),
                                column: l.column,
                                line: c.pos.line,
                                reason: l.reason,
                            })
                        }
                        _ => locked.push(l.column),
                    }
                }
                let pq = |source| ReadError::Parquet {
                    path: path.to_path_buf(),
                    source,
                };
                let arrow = b.schema().clone();
                let names: Vec<String> = arrow.fields().iter().map(|f| f.name().clone()).collect();
                let types: Vec<Option<DataType>> = arrow
                    .fields()
                    .iter()
                    .map(|f| Some(f.data_type().clone()))
                    .collect();
                // Columns whose key is not at hand are left out, as if the file had none.
                let readable = |i: usize| !locked.contains(&names[i]);
                let b = if only.is_some() || !locked.is_empty() {
                    let idx: Vec<usize> = (0..names.len())
                        .filter(|&i| {
                            readable(i) && only.is_none_or(|c| c.contains(&names[i].as_str()))
                        })
                        .collect();
                    let mask = parquet::arrow::ProjectionMask::roots(b.parquet_schema(), idx);
                    b.with_projection(mask)
                } else {
                    b
                };
                let (names, types): (Vec<String>, Vec<Option<DataType>>) = names
                    .into_iter()
                    .zip(types)
                    .filter(|(n, _)| !locked.contains(n))
                    .unzip();
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
            if !seen.contains_key(c.name.as_str()) && !locked.contains(&c.name) {
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
                _ => i,
            };
            projected += 1;
            let declared = schema.column(n).map(|c| (c.ty, c.nullable));
            let field = match (declared, &stored[i]) {
                (Some((ty, nullable)), found) => {
                    if let Some(found) = found {
                        if !convertible(found, ty, format.is_none()) {
                            return Err(ReadError::Type {
                                path: path.to_path_buf(),
                                column: n.clone(),
                                found: found.to_string(),
                                want: ty.name().into(),
                                hint: type_hint(found, ty),
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
            dialect,
            locked,
        })
    }

    /// Encrypted columns of the file left out because their key is not at hand.
    pub fn locked(&self) -> &[String] {
        &self.locked
    }

    /// How the input is read: what was stated and what was detected.
    pub fn dialect(&self) -> &Dialect {
        &self.dialect
    }

    /// Fails when the dates of a column could not be decided (ambiguous day and month order,
    /// or both orders in one column): for a caller that reads every column's text as possible
    /// dates, as `inspect` does.
    pub fn check_dates(&self) -> Result<(), ReadError> {
        match &self.dialect.date_problem {
            Some(p) => Err(p.to_error(&self.path)),
            None => Ok(()),
        }
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
                Err(e) => return Some(Err(csv_error(&self.path, &e, r, &self.dialect))),
            }
        }
        if records.is_empty() {
            return None;
        }
        let path = &self.path;
        let dialect = &self.dialect;
        let columns: Result<Vec<ArrayRef>, ReadError> = self
            .plans
            .par_iter()
            .map(|p| parse_column(path, p, &records, &lines, dialect))
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
                        let text_dates = match self.source {
                            Source::Memory(_) => {
                                conform::parse_text_dates(a, ty, &self.dialect.values())
                            }
                            _ => None,
                        };
                        let out = match text_dates {
                            Some(parsed) => parsed.map_err(|(row, v)| ReadError::Value {
                                place: format!(
                                    "{}: row {}",
                                    self.path.display(),
                                    first_row + row as u64 + 1
                                ),
                                column: p.field.name().clone(),
                                problem: format!(
                                    "`{v}` is not {}",
                                    match ty {
                                        ColumnType::Date => csv_file::date_want(&self.dialect),
                                        _ => csv_file::timestamp_want(&self.dialect),
                                    }
                                ),
                                hint: csv_file::value_hint(&self.dialect, ty, p.field.name(), &v),
                            })?,
                            None => conform(a, ty).map_err(|found| ReadError::Type {
                                path: self.path.clone(),
                                column: p.field.name().clone(),
                                hint: type_hint(a.data_type(), ty),
                                found,
                                want: ty.name().into(),
                            })?,
                        };
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

/// The hint of a stored type that cannot be read as `ty`: dates stored as text (a Parquet file
/// written from pandas text columns) are to be written as dates; otherwise the schema's type.
fn type_hint(found: &DataType, ty: ColumnType) -> String {
    let text = matches!(
        found,
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View
    );
    if text && matches!(ty, ColumnType::Date | ColumnType::Timestamp) {
        format!("the {}s are stored as text: store them as {}s (in pandas, `pd.to_datetime` before writing the file), pass the CSV file they were read from, or change the column's `type` in the schema", ty.name(), ty.name())
    } else {
        "change the column's `type` in the schema".into()
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
#[cfg(test)]
mod tests {
    use super::*;
    use arrow_array::cast::AsArray;
    use arrow_array::types::Int64Type;
    use arrow_array::{Float64Array, Int64Array, StringArray};

    /// Reads one in-memory column `x` typed as `ty` in a one-column schema.
    fn read_memory(ty: &str, array: ArrayRef) -> Result<ArrayRef, ReadError> {
        read_memory_with(ty, "", array)
    }

    /// [`read_memory`] with more top-level schema text (`input:`).
    fn read_memory_with(ty: &str, extra: &str, array: ArrayRef) -> Result<ArrayRef, ReadError> {
        let yaml = format!(
            "version: 1\nname: t\n{extra}columns:\n  - {{name: x, type: {ty}, nullable: true}}\n"
        );
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

    #[test]
    fn text_dates_in_memory_read_as_a_csv_files_do() {
        // pandas keeps dates read from a file as text (object dtype, LargeUtf8 in Arrow).
        let a: ArrayRef = Arc::new(arrow_array::LargeStringArray::from(vec![
            Some("2022-01-02"),
            None,
            Some(""),
        ]));
        let out = read_memory("date", a).expect("ISO dates");
        assert_eq!(
            out.as_primitive::<arrow_array::types::Date32Type>()
                .iter()
                .collect::<Vec<_>>(),
            vec![Some(18_994), None, None]
        );
        // The schema's `input.date_format`, as for a CSV file.
        let a: ArrayRef = Arc::new(StringArray::from(vec!["02/01/2022", "2022-01-03"]));
        let out = read_memory_with("date", "input: {date_format: dd/mm/yyyy}\n", a)
            .expect("stated format");
        assert_eq!(
            out.as_primitive::<arrow_array::types::Date32Type>()
                .iter()
                .collect::<Vec<_>>(),
            vec![Some(18_994), Some(18_995)]
        );
        let a: ArrayRef = Arc::new(StringArray::from(vec!["2022-01-02T10:00:00Z"]));
        let out = read_memory("timestamp", a).expect("RFC 3339");
        assert_eq!(
            out.as_primitive::<arrow_array::types::TimestampMicrosecondType>()
                .value(0),
            (18_994 * 86_400 + 36_000) * 1_000_000
        );
        // A value that is no date is named with its row, not blamed on the stored type.
        let a: ArrayRef = Arc::new(StringArray::from(vec!["2022-01-02", "soon"]));
        let err = read_memory("date", a).expect_err("not a date").to_string();
        assert!(
            err.contains("df: row 2: column `x`: `soon` is not a date (YYYY-MM-DD)"),
            "{err}"
        );
    }

    #[test]
    fn text_dates_in_a_parquet_file_are_named_as_text_dates() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("t.parquet");
        let a: ArrayRef = Arc::new(StringArray::from(vec!["2022-01-02"]));
        let batch = RecordBatch::try_from_iter([("x", a)]).expect("batch");
        let f = File::create(&path).expect("file");
        let mut w = parquet::arrow::ArrowWriter::try_new(f, batch.schema(), None).expect("writer");
        w.write(&batch).expect("write");
        w.close().expect("close");
        let yaml = "version: 1\nname: t\ncolumns:\n  - {name: x, type: date}\n";
        let schema = Schema::from_str_named(yaml, "t.yaml").expect("schema");
        let err = Reader::open(&Input::file(&path, Format::Parquet), &schema)
            .err()
            .expect("text is no date")
            .to_string();
        assert!(
            err.contains("is stored as Utf8, which cannot be read as a date column")
                && err.contains("the dates are stored as text")
                && err.contains("pd.to_datetime"),
            "{err}"
        );
    }
}
