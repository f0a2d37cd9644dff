//! The formats an input file may have (found by its extension or first bytes) and the errors
//! of reading one: below the readers and the input description, which both use them.

use std::fs::File;
use std::path::{Path, PathBuf};

/// The longest CSV record (line, or lines of one quoted field) read: memory for a record is
/// taken before it can be checked, so an endless field must stop somewhere.
pub const MAX_CSV_RECORD_BYTES: u64 = 256 << 20;

/// Input file formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Delimited text with a header line (`.csv`, `.tsv`, gzip-compressed `.csv.gz`).
    Csv,
    /// Apache Parquet.
    Parquet,
    /// Excel workbook (Office Open XML).
    Xlsx,
    /// Excel 97-2003 workbook.
    Xls,
    /// OpenDocument spreadsheet.
    Ods,
}

impl Format {
    /// The format named by `path`'s extension, or else by its first bytes (gzip, Parquet,
    /// Excel and OpenDocument magic).
    pub fn detect(path: &Path) -> Result<Format, ReadError> {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().to_ascii_lowercase())
            .unwrap_or_default();
        let ext = name.rsplit('.').next().filter(|_| name.contains('.'));
        match ext {
            Some("csv" | "tsv" | "tab" | "txt" | "gz") => return Ok(Format::Csv),
            Some("parquet" | "pq") => return Ok(Format::Parquet),
            Some("xlsx" | "xlsm") => return Ok(Format::Xlsx),
            Some("xls") => return Ok(Format::Xls),
            Some("ods") => return Ok(Format::Ods),
            _ => {}
        }
        Format::from_magic(path).ok_or_else(|| ReadError::UnknownFormat(path.to_path_buf()))
    }

    /// The format a file's first bytes say, if they say one.
    fn from_magic(path: &Path) -> Option<Format> {
        use std::io::Read;
        let mut head = [0u8; 128];
        let mut f = File::open(path).ok()?;
        let mut n = 0;
        while n < head.len() {
            match f.read(&mut head[n..]) {
                Ok(0) | Err(_) => break,
                Ok(k) => n += k,
            }
        }
        let head = &head[..n];
        if head.starts_with(&[0x1f, 0x8b]) {
            Some(Format::Csv)
        } else if head.starts_with(b"PAR1") || head.starts_with(b"PARE") {
            Some(Format::Parquet)
        } else if head.starts_with(&[0xd0, 0xcf, 0x11, 0xe0]) {
            Some(Format::Xls)
        } else if head.starts_with(b"PK\x03\x04") {
            // An OpenDocument file stores its `mimetype` first, uncompressed.
            let ods = memchr::memmem::find(head, b"opendocument.spreadsheet").is_some();
            Some(if ods { Format::Ods } else { Format::Xlsx })
        } else {
            None
        }
    }

    /// The name used on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Parquet => "parquet",
            Format::Xlsx => "xlsx",
            Format::Xls => "xls",
            Format::Ods => "ods",
        }
    }

    /// Whether the format is a spreadsheet workbook.
    pub fn is_workbook(self) -> bool {
        matches!(self, Format::Xlsx | Format::Xls | Format::Ods)
    }
}

/// Errors from reading input data.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// The extension does not say the format.
    #[error("cannot tell the format of `{0}` from its extension or its first bytes\n    hint: use a .csv, .tsv, .csv.gz, .parquet, .xlsx, .xls or .ods file, or pass --format csv|parquet|xlsx|xls|ods")]
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
    #[error("`{path}`: column `{column}` is stored as {found}, which cannot be read as a {want} column\n    hint: {hint}")]
    Type {
        /// The input.
        path: PathBuf,
        /// The column.
        column: String,
        /// The stored Arrow type.
        found: String,
        /// The schema type.
        want: String,
        /// How to fix it (for dates stored as text, how to store them as dates).
        hint: String,
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
    /// How the file is written cannot be told, or contradicts itself (mixed delimiters,
    /// ambiguous dates, a missing sheet).
    #[error("{path}: {message}\n    hint: {hint}")]
    Dialect {
        /// The input.
        path: PathBuf,
        /// What is wrong.
        message: String,
        /// How to fix it.
        hint: String,
    },
    /// A workbook that cannot be read.
    #[error("cannot read the workbook `{path}`: {message}\n    hint: {hint}")]
    Workbook {
        /// The input.
        path: PathBuf,
        /// The reader's message.
        message: String,
        /// How to fix it.
        hint: String,
    },
    /// An in-memory input that is not one table (batches of other columns, a failing stream).
    #[error("`{name}`: {message}")]
    Memory {
        /// The input's name.
        name: String,
        /// What is wrong.
        message: String,
    },
    /// A key needed to read the file (its footer) is missing or does not fit.
    #[error("cannot decrypt `{path}`: {source}")]
    Key {
        /// The input.
        path: PathBuf,
        /// What is wrong with the key.
        source: crate::io::crypt::KeyError,
    },
    /// A column the schema declares is encrypted and its key is not at hand.
    #[error("`{path}`: column `{column}` (schema line {line}) is encrypted and cannot be decrypted: {reason}")]
    Locked {
        /// The input.
        path: PathBuf,
        /// The column.
        column: String,
        /// Schema line of the column.
        line: usize,
        /// Why its key cannot be had (the key error's message: names the master key ID).
        reason: String,
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
