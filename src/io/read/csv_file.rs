//! The CSV side of the reader: the counting input (record size cap, CRLF line numbers), the
//! csv crate's errors as positioned messages, and the typed parsing of a batch of records.

use std::fs::File;
use std::path::Path;
use std::sync::Arc;

use arrow_array::builder::{StringBuilder, StringDictionaryBuilder};
use arrow_array::types::Int32Type;
use arrow_array::{
    ArrayRef, BooleanArray, Date32Array, Float64Array, Int32Array, Int64Array, StringArray,
    TimestampMicrosecondArray,
};

use super::{null_error, type_word, Plan, ReadError, MAX_CSV_RECORD_BYTES};
use crate::schema::{parse_date, parse_timestamp, ColumnType};

/// The CSV file as the csv crate reads it, counting what passes: bytes since the current
/// record began (to stop a record longer than [`MAX_CSV_RECORD_BYTES`]) and where `\r\n` line
/// ends are. csv reports a record after a `\r\n` as starting on the line before, because it
/// stops at the `\r` and reads the `\n` with the next record; knowing which `\n` bytes end
/// a `\r\n` corrects that.
pub(super) struct CsvInput {
    pub(super) file: File,
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
    pub(super) fn new(file: File) -> CsvInput {
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
pub(super) fn csv_error(path: &Path, e: &csv::Error, r: &mut csv::Reader<CsvInput>) -> ReadError {
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

pub fn parse_bool(s: &str) -> Option<bool> {
    match s.to_ascii_lowercase().as_str() {
        "true" | "t" | "yes" | "y" | "1" => Some(true),
        "false" | "f" | "no" | "n" | "0" => Some(false),
        _ => None,
    }
}

pub(super) fn parse_column(
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
}
