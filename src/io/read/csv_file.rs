//! The CSV side of the reader: the counting input (record size cap, CRLF line numbers), the
//! csv crate's errors as positioned messages, and the typed parsing of a batch of records.

use std::io::Read;
use std::path::Path;
use std::sync::Arc;

use arrow_array::builder::{StringBuilder, StringDictionaryBuilder};
use arrow_array::types::Int32Type;
use arrow_array::{
    ArrayRef, BooleanArray, Date32Array, Float64Array, Int32Array, Int64Array, StringArray,
    TimestampMicrosecondArray,
};

use super::dialect::{open_bytes, Dialect};
use super::{null_error, Plan, ReadError, MAX_CSV_RECORD_BYTES};
use crate::schema::ColumnType;

/// The file as UTF-8 bytes: gunzipped when it is gzip, transcoded when it is not UTF-8, its
/// byte-order mark skipped; streamed, never read whole.
pub(super) fn open_stream(path: &Path, dialect: &Dialect) -> std::io::Result<Box<dyn Read + Send>> {
    let (mut raw, _) = open_bytes(path)?;
    if dialect.encoding == encoding_rs::UTF_8 {
        if dialect.bom {
            let mut bom = [0u8; 3];
            raw.read_exact(&mut bom)?;
        }
        return Ok(raw);
    }
    Ok(Box::new(
        encoding_rs_io::DecodeReaderBytesBuilder::new()
            .encoding(Some(dialect.encoding))
            .bom_override(true)
            .strip_bom(true)
            .build(raw),
    ))
}

/// The CSV file as the csv crate reads it, counting what passes: bytes since the current
/// record began (to stop a record longer than [`MAX_CSV_RECORD_BYTES`]) and where `\r\n` line
/// ends are. csv reports a record after a `\r\n` as starting on the line before, because it
/// stops at the `\r` and reads the `\n` with the next record; knowing which `\n` bytes end
/// a `\r\n` corrects that.
pub(super) struct CsvInput {
    pub(super) file: Box<dyn Read + Send>,
    /// Bytes read so far.
    pub(super) offset: u64,
    /// Bytes read since the current record began.
    pub(super) record_bytes: u64,
    /// The last byte read was `\r`.
    pub(super) last_cr: bool,
    /// Offsets of `\n` bytes that follow a `\r`, at or after the current record's start
    /// (csv reads ahead at most its buffer, so this stays short).
    pub(super) crlf: std::collections::VecDeque<u64>,
    /// The record limit was hit.
    pub(super) too_long: bool,
    /// Line of the last record read whole.
    pub(super) last_line: u64,
    /// The longest record read ([`MAX_CSV_RECORD_BYTES`] but in tests).
    pub(super) limit: u64,
}

impl CsvInput {
    pub(super) fn new(file: Box<dyn Read + Send>) -> CsvInput {
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
    pub(super) fn line_of(&mut self, pos: &csv::Position) -> u64 {
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

/// A csv crate error as a positioned message (the line it happened on).
pub(super) fn csv_error(
    path: &Path,
    e: &csv::Error,
    r: &mut csv::Reader<CsvInput>,
    dialect: &Dialect,
) -> ReadError {
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
        } => format!(
            "{len} fields, but the header has {expected_len} (fields split at {}; pass --delimiter if that is not the file's delimiter)",
            delimiter_name(dialect.delimiter)
        ),
        csv::ErrorKind::Utf8 { .. } => utf8_message("the line"),
        _ => e.to_string(),
    };
    ReadError::Csv {
        path: path.to_path_buf(),
        line,
        message,
    }
}

/// `tab`, or the delimiter in quotes.
pub(super) fn delimiter_name(d: u8) -> String {
    match d {
        b'\t' => "tab".into(),
        d => format!("`{}`", char::from(d)),
    }
}

/// The message for bytes that are not UTF-8 in a file read as UTF-8 (detection saw only the
/// first MiB).
fn utf8_message(what: &str) -> String {
    format!("{what} is not valid UTF-8 (the start of the file was; pass --encoding windows-1252, or the file's encoding, to read it)")
}

/// Parses a bool the ways CSV files write them.
pub fn parse_bool(s: &str) -> Option<bool> {
    match s.to_lowercase().as_str() {
        "true" | "t" | "yes" | "y" | "1" => Some(true),
        "false" | "f" | "no" | "n" | "0" => Some(false),
        // German, French, Spanish, Italian and Dutch exports write yes and no in words.
        "ja" | "j" | "wahr" | "oui" | "vrai" | "sí" | "sì" | "si" | "verdadero" | "vero" => {
            Some(true)
        }
        "nein" | "falsch" | "non" | "faux" | "falso" | "nee" => Some(false),
        _ => None,
    }
}

pub(super) fn parse_column(
    path: &Path,
    plan: &Plan,
    records: &[csv::ByteRecord],
    lines: &[u64],
    dialect: &Dialect,
) -> Result<ArrayRef, ReadError> {
    let n = records.len();
    let name = plan.field.name();
    let text = |i: usize| -> Result<Option<&str>, ReadError> {
        let raw = records[i].get(plan.input).unwrap_or(b"");
        let s = std::str::from_utf8(raw).map_err(|_| ReadError::Csv {
            path: path.to_path_buf(),
            line: lines[i],
            message: utf8_message(&format!("column `{name}`")),
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
        hint: value_hint(dialect, ty, name, v),
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
                    return Err(bad(i, v, &format!("a valid {}", ty.name())));
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
            parse_all(&|v| dialect.parse_int(v).is_some())?;
            let parsed: Vec<Option<i64>> = values
                .iter()
                .map(|v| v.and_then(|v| dialect.parse_int(v)))
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
            parse_all(&|v| dialect.parse_float(v).is_some())?;
            Arc::new(Float64Array::from(
                values
                    .iter()
                    .map(|v| v.and_then(|v| dialect.parse_float(v)))
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
                    if dialect.parse_date(v).is_none() {
                        return Err(bad(i, v, &date_want(dialect)));
                    }
                }
            }
            Arc::new(Date32Array::from(
                values
                    .iter()
                    .map(|v| v.and_then(|v| dialect.parse_date(v)))
                    .collect::<Vec<_>>(),
            ))
        }
        ColumnType::Timestamp => {
            for (i, v) in values.iter().enumerate() {
                if let Some(v) = v {
                    if dialect.parse_timestamp(v).is_none() {
                        return Err(bad(i, v, &timestamp_want(dialect)));
                    }
                }
            }
            Arc::new(
                TimestampMicrosecondArray::from(
                    values
                        .iter()
                        .map(|v| v.and_then(|v| dialect.parse_timestamp(v)))
                        .collect::<Vec<_>>(),
                )
                .with_timezone("UTC"),
            )
        }
    })
}

/// What a date must look like under `dialect`, for messages.
pub(super) fn date_want(dialect: &Dialect) -> String {
    if dialect.date_format.is_iso() {
        "a date (YYYY-MM-DD)".into()
    } else {
        format!("a date ({} or YYYY-MM-DD)", dialect.date_format)
    }
}

/// What a timestamp must look like under `dialect`, for messages.
pub(super) fn timestamp_want(dialect: &Dialect) -> String {
    if dialect.timestamp_format.is_iso() {
        "a timestamp (RFC 3339, e.g. 2024-05-01T12:00:00Z)".into()
    } else {
        format!(
            "a timestamp ({} hh:mm[:ss], or RFC 3339)",
            dialect.timestamp_format
        )
    }
}

/// The hint of a value that does not parse: the dialect setting that would read it, when one
/// would, else fixing the value or the type.
pub(super) fn value_hint(dialect: &Dialect, ty: ColumnType, name: &str, v: &str) -> String {
    match dialect.suggestion(ty, v) {
        Some(s) => format!("{s}; else fix the value, or change `{name}`'s `type` in the schema"),
        None => format!("fix the value, or change `{name}`'s `type` in the schema"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reader(text: &str, limit: u64) -> (tempfile::NamedTempFile, csv::Reader<CsvInput>) {
        use std::io::Write;
        let mut f = tempfile::NamedTempFile::new().expect("temp file");
        f.write_all(text.as_bytes()).expect("write");
        let mut input = CsvInput::new(Box::new(f.reopen().expect("reopen")));
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
        let dialect = Dialect::plain(super::super::Format::Csv);
        let err = csv_error(Path::new("x.csv"), &e, &mut r, &dialect);
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
}
