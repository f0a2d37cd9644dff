//! How a table file is written, and how to tell: the [`Dialect`] a file is read with, detected
//! from a sample of its first bytes ([`SAMPLE_BYTES`]) where the command line or the schema's
//! `input:` section does not state it, and the dialect-aware value parsers the CSV and Excel
//! readers and `inspect`'s type votes share.
//!
//! Detection, in order: gzip (magic bytes), the text encoding (a byte-order mark, else UTF-8
//! when the sample is valid UTF-8, else Windows-1252), the delimiter (of `,` `;` tab `|`, the one
//! that splits every sample line into the header's number of fields, respecting quotes), the
//! decimal mark and thousands separator (from the shapes of the numbers: `1.234,56`, `213,71`,
//! `1,234.56`, `1 234,56`), and the date format (`dd.mm.yyyy`; `dd/mm/yyyy` or `mm/dd/yyyy` by a
//! day above 12 in the first or second place; ISO is always read).

use std::fs::File;
use std::io::Read;
use std::path::Path;

use encoding_rs::Encoding;

use super::{Format, ReadError};
use crate::schema::{encoding_name, ColumnType, DateFormat, DateOrder, InputOptions};

/// Bytes (after decompression) read to detect a CSV file's dialect.
pub const SAMPLE_BYTES: usize = 1 << 20;

/// Sample records looked at for the delimiter and value shapes.
const SAMPLE_RECORDS: usize = 5_000;

/// Compression of a CSV file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    /// Plain.
    None,
    /// gzip (`.csv.gz`, or the gzip magic bytes).
    Gzip,
}

/// Why the dates of a column cannot be read without a stated format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DateProblem {
    /// Every date could be day-first or month-first (`01/02/2020`).
    Ambiguous {
        /// The column.
        column: String,
        /// Line of an example.
        line: u64,
        /// The example.
        value: String,
        /// The separator.
        sep: char,
    },
    /// One column has dates that are only day-first and others that are only month-first.
    BothOrders {
        /// The column.
        column: String,
        /// A day-first date and its line.
        day_first: (u64, String),
        /// A month-first date and its line.
        month_first: (u64, String),
    },
}

impl DateProblem {
    /// The column the problem is in.
    pub fn column(&self) -> &str {
        match self {
            DateProblem::Ambiguous { column, .. } | DateProblem::BothOrders { column, .. } => {
                column
            }
        }
    }

    /// The problem as a read error.
    pub fn to_error(&self, path: &Path) -> ReadError {
        match self {
            DateProblem::Ambiguous {
                column,
                line,
                value,
                sep,
            } => ReadError::Dialect {
                path: path.to_path_buf(),
                message: format!(
                    "column `{column}`: the dates are ambiguous: every one, such as `{value}` (line {line}), could be day-first or month-first, and no day above 12 decides it"
                ),
                hint: format!(
                    "pass --date-format dd{sep}mm{sep}yyyy or --date-format mm{sep}dd{sep}yyyy (or `input: {{date_format: ...}}` in the schema)"
                ),
            },
            DateProblem::BothOrders {
                column,
                day_first,
                month_first,
            } => ReadError::Dialect {
                path: path.to_path_buf(),
                message: format!(
                    "column `{column}` mixes date orders: `{}` (line {}) is day-first but `{}` (line {}) is month-first",
                    day_first.1, day_first.0, month_first.1, month_first.0
                ),
                hint: "fix the column so every date is written one way, or declare it `type: string`, or pass --date-format to read one order and see the others as errors".into(),
            },
        }
    }
}

/// How a file is read: what was stated, and detected where nothing was.
#[derive(Debug, Clone, PartialEq)]
pub struct Dialect {
    /// The file format.
    pub format: Format,
    /// Compression (CSV).
    pub compression: Compression,
    /// Text encoding (CSV).
    pub encoding: &'static Encoding,
    /// Whether the file starts with a byte-order mark (CSV).
    pub bom: bool,
    /// Field delimiter (CSV).
    pub delimiter: u8,
    /// Decimal mark of numbers written as text.
    pub decimal: char,
    /// Thousands separator of numbers written as text, if any.
    pub thousands: Option<char>,
    /// Format of dates written as text (ISO dates are read too).
    pub date_format: DateFormat,
    /// Date part of timestamps written as text (RFC 3339 is read too).
    pub timestamp_format: DateFormat,
    /// The sheet read (workbooks).
    pub sheet: Option<String>,
    /// Why `sheet` is not the first sheet when no sheet was asked for (the first has no data
    /// rows), naming the sheets that have rows.
    pub sheet_note: Option<String>,
    /// Dates that could not be decided; an error when a date column needs them.
    pub date_problem: Option<DateProblem>,
}

impl Dialect {
    /// The plain dialect of `format`: UTF-8, `,`, `.`, ISO dates.
    pub fn plain(format: Format) -> Dialect {
        Dialect {
            format,
            compression: Compression::None,
            encoding: encoding_rs::UTF_8,
            bom: false,
            delimiter: b',',
            decimal: '.',
            thousands: None,
            date_format: DateFormat::ISO,
            timestamp_format: DateFormat::ISO,
            sheet: None,
            sheet_note: None,
            date_problem: None,
        }
    }

    /// The stated values over the plain dialect, nothing detected.
    pub fn stated(format: Format, o: &InputOptions) -> Dialect {
        let mut d = Dialect::plain(format);
        if format == Format::Csv {
            d.delimiter = o.delimiter.unwrap_or(b',');
            d.encoding = o.encoding.unwrap_or(encoding_rs::UTF_8);
        }
        d.decimal = o.decimal.unwrap_or('.');
        d.thousands = o.thousands.flatten();
        d.date_format = o.date_format.unwrap_or(DateFormat::ISO);
        d.timestamp_format = o.timestamp_format.unwrap_or(d.date_format);
        d.sheet = o.sheet.clone();
        d
    }

    /// How this dialect writes numbers and dates in text.
    pub fn values(&self) -> ValueDialect {
        ValueDialect {
            decimal: self.decimal,
            thousands: self.thousands,
            date_format: self.date_format,
            timestamp_format: self.timestamp_format,
        }
    }

    /// Parses an integer written with this dialect's thousands separator (or none).
    pub fn parse_int(&self, s: &str) -> Option<i64> {
        self.values().parse_int(s)
    }

    /// Parses a number written with this dialect's decimal mark and thousands separator.
    pub fn parse_float(&self, s: &str) -> Option<f64> {
        self.values().parse_float(s)
    }

    /// Parses a date: ISO, or in this dialect's date format.
    pub fn parse_date(&self, s: &str) -> Option<i32> {
        self.values().parse_date(s)
    }

    /// Parses a timestamp: RFC 3339 or ISO, or in this dialect's timestamp format.
    pub fn parse_timestamp(&self, s: &str) -> Option<i64> {
        self.values().parse_timestamp(s)
    }

    /// How another dialect would read `value` as a `ty` column, when this one does not: the
    /// flag (and schema key) to pass, for the hint of a value error.
    pub fn suggestion(&self, ty: ColumnType, value: &str) -> Option<String> {
        let v = value.trim();
        let flag = |flag: &str, key: &str, arg: &str| {
            Some(format!(
                "pass {flag} '{arg}' (or `input: {{{key}: \"{arg}\"}}` in the schema) if the file is written that way"
            ))
        };
        match ty {
            ColumnType::Float | ColumnType::Int { .. } => {
                for (dec, th) in [
                    (',', None),
                    ('.', None),
                    (',', Some('.')),
                    ('.', Some(',')),
                    (',', Some(' ')),
                    ('.', Some(' ')),
                    ('.', Some('\'')),
                ] {
                    if parse_number(v, dec, th).is_none() {
                        continue;
                    }
                    if dec != self.decimal && v.contains(dec) {
                        return flag("--decimal", "decimal", &dec.to_string());
                    }
                    if let Some(t) = th {
                        if Some(t) != self.thousands {
                            let arg = if t == ' ' {
                                "space".to_string()
                            } else {
                                t.to_string()
                            };
                            return flag("--thousands", "thousands", &arg);
                        }
                    }
                }
                None
            }
            ColumnType::Date | ColumnType::Timestamp => {
                let date = v.split([' ', 'T']).next().unwrap_or(v);
                let current = match ty {
                    ColumnType::Date => self.date_format,
                    _ => self.timestamp_format,
                };
                crate::schema::DATE_FORMATS
                    .iter()
                    .filter_map(|f| DateFormat::parse(f).ok())
                    .find(|f| *f != current && !f.is_iso() && f.parse_date(date).is_some())
                    .and_then(|f| match ty {
                        ColumnType::Date => flag("--date-format", "date_format", &f.name()),
                        _ => flag(
                            "--timestamp-format",
                            "timestamp_format",
                            &format!("{} hh:mm:ss", f.name()),
                        ),
                    })
            }
            _ => None,
        }
    }

    /// The stated values that read the file this way again (what `inspect` drafts as the
    /// schema's `input:` section): only those that differ from the plain dialect.
    pub fn options(&self) -> InputOptions {
        let plain = Dialect::plain(self.format);
        let mut o = InputOptions::default();
        if self.delimiter != plain.delimiter && self.format == Format::Csv {
            o.delimiter = Some(self.delimiter);
        }
        if self.decimal != plain.decimal {
            o.decimal = Some(self.decimal);
        }
        if self.thousands.is_some() {
            o.thousands = Some(self.thousands);
        }
        if !self.date_format.is_iso() {
            o.date_format = Some(self.date_format);
        }
        if self.timestamp_format != self.date_format {
            o.timestamp_format = Some(self.timestamp_format);
        }
        if self.encoding != encoding_rs::UTF_8 && self.format == Format::Csv && !self.bom {
            o.encoding = Some(self.encoding);
        }
        o.sheet = self.sheet.clone();
        o
    }

    /// The schema's `input:` section reading the file this way (empty when the plain dialect
    /// does), as YAML lines.
    pub fn input_yaml(&self) -> String {
        let o = self.options();
        let mut y = String::new();
        if o.is_empty() {
            return y;
        }
        let q = |s: &str| serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into());
        y.push_str("input:\n");
        if let Some(d) = o.delimiter {
            let d = if d == b'\t' {
                "tab".to_string()
            } else {
                char::from(d).to_string()
            };
            y.push_str(&format!("  delimiter: {}\n", q(&d)));
        }
        if let Some(d) = o.decimal {
            y.push_str(&format!("  decimal: {}\n", q(&d.to_string())));
        }
        if let Some(t) = o.thousands {
            let t = match t {
                None => "none".to_string(),
                Some(' ') => "space".to_string(),
                Some(c) => c.to_string(),
            };
            y.push_str(&format!("  thousands: {}\n", q(&t)));
        }
        if let Some(f) = o.date_format {
            y.push_str(&format!("  date_format: {}\n", q(&f.name())));
        }
        if let Some(f) = o.timestamp_format {
            y.push_str(&format!(
                "  timestamp_format: {}\n",
                q(&format!("{} hh:mm:ss", f.name()))
            ));
        }
        if let Some(e) = o.encoding {
            y.push_str(&format!("  encoding: {}\n", encoding_name(e)));
        }
        if let Some(s) = &o.sheet {
            y.push_str(&format!("  sheet: {}\n", q(s)));
        }
        y
    }
}

impl std::fmt::Display for Dialect {
    /// `csv, delimiter ';', decimal ',', dates dd.mm.yyyy, encoding windows-1252`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut parts: Vec<String> = vec![self.format.name().into()];
        if self.compression == Compression::Gzip {
            parts[0].push_str(" (gzip)");
        }
        if let Some(s) = &self.sheet {
            parts.push(format!("sheet `{s}`"));
        }
        if self.format == Format::Csv {
            let d = match self.delimiter {
                b'\t' => "tab".to_string(),
                d => format!("'{}'", char::from(d)),
            };
            parts.push(format!("delimiter {d}"));
        }
        if matches!(self.format, Format::Csv) || self.decimal != '.' {
            parts.push(format!("decimal '{}'", self.decimal));
        }
        if let Some(t) = self.thousands {
            parts.push(format!("thousands '{t}'"));
        }
        if matches!(self.format, Format::Csv) || !self.date_format.is_iso() {
            parts.push(format!("dates {}", self.date_format));
        }
        if self.timestamp_format != self.date_format {
            parts.push(format!("timestamps {} hh:mm:ss", self.timestamp_format));
        }
        if self.format == Format::Csv {
            let bom = if self.bom { " with BOM" } else { "" };
            parts.push(format!("encoding {}{bom}", encoding_name(self.encoding)));
        }
        f.write_str(&parts.join(", "))
    }
}

/// How numbers and dates are written in text: the part of a [`Dialect`] that value parsing
/// needs, small and `Copy` (for `inspect`'s type votes). The default is the plain dialect.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ValueDialect {
    /// Decimal mark.
    pub decimal: char,
    /// Thousands separator, if any.
    pub thousands: Option<char>,
    /// Date format (ISO dates are read too).
    pub date_format: DateFormat,
    /// Date part of timestamps (RFC 3339 is read too).
    pub timestamp_format: DateFormat,
}

impl Default for ValueDialect {
    fn default() -> ValueDialect {
        Dialect::plain(Format::Csv).values()
    }
}

impl ValueDialect {
    /// Parses an integer written with this dialect's thousands separator (or none).
    pub fn parse_int(&self, s: &str) -> Option<i64> {
        if let Ok(v) = s.parse::<i64>() {
            return Some(v);
        }
        let t = self.thousands?;
        let mut digits = NumberText::new();
        ungroup_into(s, t, &mut digits)?;
        digits.as_str().parse().ok()
    }

    /// Parses a number written with this dialect's decimal mark and thousands separator.
    pub fn parse_float(&self, s: &str) -> Option<f64> {
        parse_number(s, self.decimal, self.thousands)
    }

    /// Parses a date: ISO, or in this dialect's date format.
    pub fn parse_date(&self, s: &str) -> Option<i32> {
        if !self.date_format.is_iso() {
            if let Some(d) = self.date_format.parse_date(s) {
                return Some(d);
            }
        }
        crate::schema::parse_date(s)
    }

    /// Parses a timestamp: RFC 3339 or ISO, or in this dialect's timestamp format.
    pub fn parse_timestamp(&self, s: &str) -> Option<i64> {
        if !self.timestamp_format.is_iso() {
            if let Some(t) = self.timestamp_format.parse_timestamp(s) {
                return Some(t);
            }
        }
        crate::schema::parse_timestamp(s)
    }
}

/// A number's text rebuilt on the stack (no allocation per value).
struct NumberText {
    buf: [u8; 96],
    len: usize,
}

impl NumberText {
    fn new() -> NumberText {
        NumberText {
            buf: [0; 96],
            len: 0,
        }
    }

    fn push(&mut self, b: u8) -> Option<()> {
        *self.buf.get_mut(self.len)? = b;
        self.len += 1;
        Some(())
    }

    fn push_str(&mut self, s: &str) -> Option<()> {
        s.bytes().try_for_each(|b| self.push(b))
    }

    fn as_str(&self) -> &str {
        std::str::from_utf8(&self.buf[..self.len]).unwrap_or("")
    }
}

/// Appends the digits of `s` to `out` with its thousands separators `t` removed, when they
/// group by three (`1.234.567`; a sign may lead). Spaces group also as no-break and narrow
/// no-break spaces.
fn ungroup_into(s: &str, t: char, out: &mut NumberText) -> Option<()> {
    let s = s.trim();
    let (sign, body) = match s.strip_prefix(['-', '+']) {
        Some(rest) => (&s[..1], rest),
        None => ("", s),
    };
    let is_sep = |c: char| c == t || (t == ' ' && matches!(c, '\u{a0}' | '\u{202f}'));
    out.push_str(sign)?;
    let mut groups = 0usize;
    let mut len = 0usize;
    for c in body.chars() {
        if c.is_ascii_digit() {
            len += 1;
            out.push(c as u8)?;
        } else if is_sep(c) {
            // The first group has 1 to 3 digits, every later one exactly 3.
            if len == 0 || len > 3 || (groups > 0 && len != 3) {
                return None;
            }
            groups += 1;
            len = 0;
        } else {
            return None;
        }
    }
    if len == 0 || (groups > 0 && len != 3) {
        return None;
    }
    Some(())
}

/// Whether `s` is digits grouped by three with separator `t`.
fn grouped(t: char, s: &str) -> bool {
    ungroup_into(s, t, &mut NumberText::new()).is_some()
}

/// Parses a number with decimal mark `decimal` and optional thousands separator: `213,71`,
/// `1.234,56`, `1 234,56`, `1,234.56`, and whatever Rust's float parser reads when neither mark
/// appears (`1e5`, `NaN`).
pub fn parse_number(s: &str, decimal: char, thousands: Option<char>) -> Option<f64> {
    let s = s.trim();
    let special = |c: char| {
        c == ',' || c == '.' || Some(c) == thousands || matches!(c, '\u{a0}' | '\u{202f}')
    };
    if decimal == '.' && thousands.is_none() {
        return s.parse().ok();
    }
    if !s.contains(special) {
        return s.parse().ok();
    }
    let (int, frac) = match s.rfind(decimal) {
        Some(i) => (&s[..i], Some(&s[i + decimal.len_utf8()..])),
        None => (s, None),
    };
    let mut text = NumberText::new();
    match thousands {
        Some(t) if int.contains(t) || (t == ' ' && int.contains(['\u{a0}', '\u{202f}'])) => {
            ungroup_into(int, t, &mut text)?
        }
        _ => {
            let body = int.strip_prefix(['-', '+']).unwrap_or(int);
            if body.is_empty() && frac.is_none() || !body.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            text.push_str(int)?
        }
    }
    if let Some(f) = frac {
        // Digits, then an optional exponent.
        let digits = f.bytes().take_while(u8::is_ascii_digit).count();
        let rest = &f[digits..];
        let exp_ok = rest.is_empty()
            || (rest.len() > 1
                && matches!(rest.as_bytes()[0], b'e' | b'E')
                && rest[1..]
                    .strip_prefix(['-', '+'])
                    .unwrap_or(&rest[1..])
                    .bytes()
                    .all(|b| b.is_ascii_digit()));
        if (digits == 0 && text.as_str().trim_start_matches(['-', '+']).is_empty()) || !exp_ok {
            return None;
        }
        text.push(b'.')?;
        text.push_str(f)?;
    }
    text.as_str().parse().ok()
}

/// What a number's shape says about the decimal mark and thousands separator.
#[derive(Debug, Default)]
struct NumberVotes {
    decimal_comma: u64,
    decimal_point: u64,
    /// Strong thousands evidence, by separator: `.`, `,`, space, `'`.
    thousands: [u64; 4],
    /// One `,` or `.` followed by exactly three digits (`1,234`): either mark.
    three_after_comma: u64,
    three_after_point: u64,
}

const THOUSANDS: [char; 4] = ['.', ',', ' ', '\''];

impl NumberVotes {
    fn add(&mut self, v: &str) {
        let body = v.strip_prefix(['-', '+']).unwrap_or(v);
        let first = body.chars().next();
        let last = body.chars().last();
        if !first.is_some_and(|c| c.is_ascii_digit()) || !last.is_some_and(|c| c.is_ascii_digit()) {
            return;
        }
        if !body.chars().all(|c| {
            c.is_ascii_digit() || matches!(c, '.' | ',' | ' ' | '\'' | '\u{a0}' | '\u{202f}')
        }) {
            return;
        }
        let commas = body.matches(',').count();
        let points = body.matches('.').count();
        match (commas, points) {
            (0, 0) => {
                for (i, t) in THOUSANDS.iter().enumerate().skip(2) {
                    if body.contains(*t) && grouped(*t, body) {
                        self.thousands[i] += 1;
                    }
                }
            }
            (1, 0) | (0, 1) => {
                let mark = if commas == 1 { ',' } else { '.' };
                let (int, frac) = body.split_once(mark).unwrap_or((body, ""));
                let int_ok = int.bytes().all(|b| b.is_ascii_digit())
                    || [' ', '\''].iter().any(|t| grouped(*t, int));
                if !int_ok || frac.is_empty() || !frac.bytes().all(|b| b.is_ascii_digit()) {
                    return;
                }
                for (i, t) in THOUSANDS.iter().enumerate().skip(2) {
                    if int.contains(*t) {
                        self.thousands[i] += 1;
                    }
                }
                if frac.len() == 3 && int.len() <= 3 && int.bytes().all(|b| b.is_ascii_digit()) {
                    if mark == ',' {
                        self.three_after_comma += 1;
                    } else {
                        self.three_after_point += 1;
                    }
                } else if mark == ',' {
                    self.decimal_comma += 1;
                } else {
                    self.decimal_point += 1;
                }
            }
            (c, p) if c > 1 && p == 0 && grouped(',', body) => self.thousands[1] += 1,
            (c, p) if p > 1 && c == 0 && grouped('.', body) => self.thousands[0] += 1,
            _ => {
                // Both marks: the last is the decimal mark, the other groups thousands.
                let (Some(lc), Some(lp)) = (body.rfind(','), body.rfind('.')) else {
                    return;
                };
                let (dec, th, at) = if lc > lp {
                    (',', '.', lc)
                } else {
                    ('.', ',', lp)
                };
                let (int, frac) = (&body[..at], &body[at + 1..]);
                if frac.bytes().all(|b| b.is_ascii_digit()) && grouped(th, int) {
                    if dec == ',' {
                        self.decimal_comma += 1;
                        self.thousands[0] += 1;
                    } else {
                        self.decimal_point += 1;
                        self.thousands[1] += 1;
                    }
                }
            }
        }
    }

    /// (decimal mark, thousands separator).
    fn decide(&self) -> (char, Option<char>) {
        let decimal = if self.decimal_comma != self.decimal_point {
            if self.decimal_comma > self.decimal_point {
                ','
            } else {
                '.'
            }
        } else if self.thousands[0] > self.thousands[1] {
            ','
        } else {
            // `1.234` or `1,234` alone decides nothing: the point, which reads plain numbers.
            '.'
        };
        let mut counts = self.thousands;
        if decimal == ',' {
            counts[0] += self.three_after_point;
            counts[1] = 0;
        } else {
            counts[1] += self.three_after_comma;
            counts[0] = 0;
        }
        let best = (0..4).max_by_key(|&i| (counts[i], std::cmp::Reverse(i)));
        let thousands = best.filter(|&i| counts[i] > 0).map(|i| THOUSANDS[i]);
        (decimal, thousands)
    }
}

/// A date's shape: separator, the two leading fields (day and month in some order) when the
/// year is last, and whether a time follows.
#[derive(Debug, Clone, Copy, PartialEq)]
enum DateShape {
    /// Year first: `1980-12-24`, `1980/12/24`.
    YearFirst(u8),
    /// Year last: separator, first field, second field.
    YearLast(u8, u32, u32),
}

fn date_shape(v: &str) -> Option<(DateShape, bool)> {
    let (date, time) = match v.find([' ', 'T']) {
        Some(i) => (&v[..i], Some(v[i + 1..].trim())),
        None => (v, None),
    };
    if let Some(t) = time {
        let ok = t.len() >= 4
            && t.bytes()
                .all(|b| b.is_ascii_digit() || b == b':' || b == b'.')
            && t.contains(':');
        if !ok {
            return None;
        }
    }
    let sep = date.bytes().find(|b| matches!(b, b'.' | b'/' | b'-'))?;
    let parts: Vec<&str> = date.split(char::from(sep)).collect();
    if parts.len() != 3
        || parts
            .iter()
            .any(|p| p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()))
    {
        return None;
    }
    let lens = [parts[0].len(), parts[1].len(), parts[2].len()];
    let num = |p: &str| p.parse::<u32>().ok();
    let shape = match lens {
        [4, 1..=2, 1..=2] => DateShape::YearFirst(sep),
        [1..=2, 1..=2, 4] => {
            let (a, b) = (num(parts[0])?, num(parts[1])?);
            if a == 0 || b == 0 || a > 31 || b > 31 || (a > 12 && b > 12) {
                return None;
            }
            DateShape::YearLast(sep, a, b)
        }
        _ => return None,
    };
    Some((shape, time.is_some()))
}

/// Date evidence of one column of the sample.
#[derive(Debug, Default, Clone)]
struct DateVotes {
    values: u64,
    dates: u64,
    /// Separator of the year-last dates (the first seen).
    sep: Option<u8>,
    year_first_sep: Option<u8>,
    day_first: Option<(u64, String)>,
    month_first: Option<(u64, String)>,
    undecided: Option<(u64, String)>,
    times: u64,
}

impl DateVotes {
    fn add(&mut self, v: &str, line: u64) {
        self.values += 1;
        let Some((shape, time)) = date_shape(v) else {
            return;
        };
        self.dates += 1;
        self.times += u64::from(time);
        match shape {
            DateShape::YearFirst(sep) => {
                self.year_first_sep.get_or_insert(sep);
            }
            DateShape::YearLast(sep, a, b) => {
                if self.sep.is_some_and(|s| s != sep) {
                    self.dates -= 1;
                    return;
                }
                self.sep = Some(sep);
                let slot = if a > 12 {
                    &mut self.day_first
                } else if b > 12 {
                    &mut self.month_first
                } else {
                    &mut self.undecided
                };
                if slot.is_none() {
                    *slot = Some((line, v.to_string()));
                }
            }
        }
    }

    /// Whether every value of the column is a date.
    fn is_dates(&self) -> bool {
        self.values > 0 && self.dates == self.values
    }
}

/// The sample of a file: its first bytes after decompression, and whether that is all of it.
pub(super) struct Sample {
    pub(super) bytes: Vec<u8>,
    pub(super) complete: bool,
    pub(super) gzip: bool,
}

/// Opens `path` as a byte stream, gunzipping when it starts with the gzip magic bytes.
pub(super) fn open_bytes(path: &Path) -> std::io::Result<(Box<dyn Read + Send>, bool)> {
    let mut f = File::open(path)?;
    let mut magic = [0u8; 2];
    let mut got = 0;
    while got < 2 {
        let n = f.read(&mut magic[got..])?;
        if n == 0 {
            break;
        }
        got += n;
    }
    use std::io::Seek;
    f.seek(std::io::SeekFrom::Start(0))?;
    if got == 2 && magic == [0x1f, 0x8b] {
        Ok((
            Box::new(flate2::read::MultiGzDecoder::new(std::io::BufReader::new(
                f,
            ))),
            true,
        ))
    } else {
        Ok((Box::new(f), false))
    }
}

pub(super) fn read_sample(path: &Path) -> Result<Sample, ReadError> {
    let (mut r, gzip) = open_bytes(path).map_err(|source| ReadError::Open {
        path: path.to_path_buf(),
        source,
    })?;
    let mut bytes = vec![0u8; SAMPLE_BYTES + 1];
    let mut n = 0;
    while n < bytes.len() {
        match r.read(&mut bytes[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => {
                return Err(ReadError::Csv {
                    path: path.to_path_buf(),
                    line: 1,
                    message: if gzip {
                        format!("the gzip stream cannot be read: {e}")
                    } else {
                        e.to_string()
                    },
                })
            }
        }
    }
    let complete = n <= SAMPLE_BYTES;
    bytes.truncate(n.min(SAMPLE_BYTES));
    Ok(Sample {
        bytes,
        complete,
        gzip,
    })
}

/// The encoding of a sample and whether it starts with a byte-order mark.
pub(super) fn detect_encoding(sample: &Sample) -> (&'static Encoding, bool) {
    if let Some((e, _)) = Encoding::for_bom(&sample.bytes) {
        return (e, true);
    }
    match std::str::from_utf8(&sample.bytes) {
        Ok(_) => (encoding_rs::UTF_8, false),
        // A character cut by the end of the sample.
        Err(e) if e.error_len().is_none() && !sample.complete => (encoding_rs::UTF_8, false),
        Err(_) => (encoding_rs::WINDOWS_1252, false),
    }
}

/// Field counts of the sample's records split at `delimiter`: (line, count), header first.
fn field_counts(text: &str, delimiter: u8, complete: bool) -> Vec<(u64, usize)> {
    let mut r = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(text.as_bytes());
    let mut out = Vec::new();
    let mut rec = csv::ByteRecord::new();
    while out.len() <= SAMPLE_RECORDS {
        match r.read_byte_record(&mut rec) {
            Ok(true) => out.push((rec.position().map_or(0, csv::Position::line), rec.len())),
            _ => break,
        }
    }
    if !complete && out.len() > 1 {
        out.pop();
    }
    out
}

/// The delimiter of the sample: of `,` `;` tab `|`, the one that splits every line into the
/// header's number of fields (more than one); a file whose lines agree only under different
/// delimiters is refused naming the lines.
fn detect_delimiter(path: &Path, text: &str, complete: bool) -> Result<u8, ReadError> {
    const CANDIDATES: [u8; 4] = [b',', b';', b'\t', b'|'];
    let counts: Vec<Vec<(u64, usize)>> = CANDIDATES
        .iter()
        .map(|&d| field_counts(text, d, complete))
        .collect();
    let header = |i: usize| counts[i].first().map_or(0, |c| c.1);
    let matching = |i: usize| counts[i].iter().filter(|c| c.1 == header(i)).count();
    let consistent: Vec<usize> = (0..CANDIDATES.len())
        .filter(|&i| header(i) > 1 && matching(i) == counts[i].len())
        .collect();
    if let Some(&best) = consistent
        .iter()
        .max_by_key(|&&i| (header(i), std::cmp::Reverse(i)))
    {
        return Ok(CANDIDATES[best]);
    }
    // No delimiter fits every line: the one fitting most lines, unless the lines it does not
    // fit are split by another delimiter (mixed delimiters).
    let Some(best) = (0..CANDIDATES.len())
        .filter(|&i| header(i) > 1)
        .max_by_key(|&i| (matching(i), header(i), std::cmp::Reverse(i)))
    else {
        // One column (or an empty file).
        return Ok(b',');
    };
    let name = |d: u8| match d {
        b'\t' => "tab".to_string(),
        d => format!("`{}`", char::from(d)),
    };
    for (k, &(line, n)) in counts[best].iter().enumerate() {
        if n == header(best) || n != 1 {
            continue;
        }
        for (j, other) in CANDIDATES.iter().enumerate() {
            if j == best {
                continue;
            }
            if let Some(&(_, m)) = counts[j].get(k) {
                if m > 1 && counts[j].get(k).map(|c| c.0) == Some(line) {
                    return Err(ReadError::Dialect {
                        path: path.to_path_buf(),
                        message: format!(
                            "the lines use different delimiters: line {} has {} fields split at {}, but line {line} has no {} and {m} fields split at {}",
                            counts[best][0].0.max(1),
                            header(best),
                            name(CANDIDATES[best]),
                            name(CANDIDATES[best]),
                            name(*other)
                        ),
                        hint: format!(
                            "save the file again with one delimiter, or pass --delimiter to read it with one (e.g. --delimiter '{}')",
                            if CANDIDATES[best] == b'\t' { "tab".to_string() } else { char::from(CANDIDATES[best]).to_string() }
                        ),
                    });
                }
            }
        }
    }
    // Ragged lines under the likeliest delimiter: the reader names the first one.
    Ok(CANDIDATES[best])
}

/// Detects what `stated` leaves open of a CSV file's dialect from a sample of it.
pub fn sniff_csv(path: &Path, stated: &InputOptions) -> Result<Dialect, ReadError> {
    let sample = read_sample(path)?;
    let mut d = Dialect::stated(Format::Csv, stated);
    d.compression = if sample.gzip {
        Compression::Gzip
    } else {
        Compression::None
    };
    let (encoding, bom) = detect_encoding(&sample);
    d.bom = bom;
    d.encoding = match stated.encoding {
        // A byte-order mark says the encoding whatever is stated.
        Some(_) if bom => encoding,
        Some(e) => e,
        None => encoding,
    };
    let (text, _) = d.encoding.decode_with_bom_removal(&sample.bytes);
    let text = text.into_owned();
    d.delimiter = match stated.delimiter {
        Some(x) => x,
        None => detect_delimiter(path, &text, sample.complete)?,
    };
    if stated.decimal.is_some()
        && stated.thousands.is_some()
        && stated.date_format.is_some()
        && stated.timestamp_format.is_some()
    {
        return Ok(d);
    }
    // Value shapes, per column.
    let mut r = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .delimiter(d.delimiter)
        .from_reader(text.as_bytes());
    let names: Vec<String> = match r.headers() {
        Ok(h) => h.iter().map(|s| s.trim().to_string()).collect(),
        Err(_) => return Ok(d),
    };
    let mut numbers = NumberVotes::default();
    let mut dates = vec![DateVotes::default(); names.len()];
    let mut rows: Vec<(u64, csv::StringRecord)> = Vec::new();
    let mut rec = csv::StringRecord::new();
    while rows.len() < SAMPLE_RECORDS {
        match r.read_record(&mut rec) {
            Ok(true) => rows.push((rec.position().map_or(0, csv::Position::line), rec.clone())),
            _ => break,
        }
    }
    if !sample.complete {
        rows.pop();
    }
    for (line, rec) in &rows {
        for (i, v) in rec.iter().enumerate() {
            let v = v.trim();
            if v.is_empty() {
                continue;
            }
            numbers.add(v);
            if let Some(dv) = dates.get_mut(i) {
                dv.add(v, *line);
            }
        }
    }
    if stated.decimal.is_none() || stated.thousands.is_none() {
        let (decimal, thousands) = numbers.decide();
        if stated.decimal.is_none() {
            d.decimal = decimal;
        }
        if stated.thousands.is_none() && thousands != Some(d.decimal) {
            d.thousands = thousands;
        }
        if d.thousands == Some(d.decimal) {
            d.thousands = None;
        }
    }
    if stated.date_format.is_none() || stated.timestamp_format.is_none() {
        let (date, problem) = decide_dates(&names, &dates);
        if stated.date_format.is_none() {
            if let Some(f) = date {
                d.date_format = f;
            }
            d.date_problem = problem;
        }
        if stated.timestamp_format.is_none() {
            d.timestamp_format = stated.date_format.unwrap_or(d.date_format);
        }
    }
    Ok(d)
}

/// The local date format of the columns whose every value is a date, and the first column
/// whose order cannot be decided.
fn decide_dates(
    names: &[String],
    votes: &[DateVotes],
) -> (Option<DateFormat>, Option<DateProblem>) {
    let mut format: Option<DateFormat> = None;
    let mut problem = None;
    let mut undecided: Option<(usize, u8)> = None;
    for (i, v) in votes.iter().enumerate() {
        if !v.is_dates() {
            continue;
        }
        let column = names.get(i).cloned().unwrap_or_default();
        match (&v.day_first, &v.month_first) {
            (Some(a), Some(b)) => {
                problem.get_or_insert(DateProblem::BothOrders {
                    column,
                    day_first: a.clone(),
                    month_first: b.clone(),
                });
            }
            (Some(_), None) => {
                format.get_or_insert(DateFormat {
                    order: DateOrder::Dmy,
                    sep: v.sep.unwrap_or(b'.'),
                });
            }
            (None, Some(_)) => {
                format.get_or_insert(DateFormat {
                    order: DateOrder::Mdy,
                    sep: v.sep.unwrap_or(b'/'),
                });
            }
            (None, None) => match v.sep {
                // `dd.mm.yyyy` is the only order written with dots.
                Some(b'.') => {
                    format.get_or_insert(DateFormat {
                        order: DateOrder::Dmy,
                        sep: b'.',
                    });
                }
                Some(sep) => {
                    undecided.get_or_insert((i, sep));
                }
                None => {
                    if let Some(sep) = v.year_first_sep.filter(|&s| s != b'-') {
                        format.get_or_insert(DateFormat {
                            order: DateOrder::Ymd,
                            sep,
                        });
                    }
                }
            },
        }
    }
    if let Some((i, sep)) = undecided {
        // Another column with the same separator may decide the order for the file.
        let decided = format.is_some_and(|f| f.sep == sep && f.order != DateOrder::Ymd);
        if !decided {
            let (line, value) = votes[i].undecided.clone().unwrap_or_default();
            problem.get_or_insert(DateProblem::Ambiguous {
                column: names.get(i).cloned().unwrap_or_default(),
                line,
                value,
                sep: char::from(sep),
            });
        }
    }
    (format, problem)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_with_their_marks() {
        assert_eq!(parse_number("213,71", ',', None), Some(213.71));
        assert_eq!(parse_number("1.234,56", ',', Some('.')), Some(1234.56));
        assert_eq!(
            parse_number("-1.234.567", ',', Some('.')),
            Some(-1_234_567.0)
        );
        assert_eq!(parse_number("1,234.56", '.', Some(',')), Some(1234.56));
        assert_eq!(parse_number("1 234,56", ',', Some(' ')), Some(1234.56));
        assert_eq!(parse_number("1\u{a0}234,56", ',', Some(' ')), Some(1234.56));
        assert_eq!(parse_number("3.5", ',', Some('.')), None, "bad grouping");
        assert_eq!(parse_number("1,5", '.', None), None);
        assert_eq!(parse_number("12,5e3", ',', None), Some(12_500.0));
        assert_eq!(parse_number("1e5", ',', None), Some(100_000.0));
        assert_eq!(parse_number(",", ',', None), None);
        assert_eq!(parse_number("-,5", ',', None), Some(-0.5));
        assert_eq!(parse_number("12,", ',', None), Some(12.0));
        let mut d = Dialect::plain(Format::Csv);
        d.thousands = Some('.');
        assert_eq!(d.parse_int("1.234"), Some(1234));
        assert_eq!(d.parse_int("1.23"), None);
    }

    #[test]
    fn number_shapes_decide_the_marks() {
        let decide = |values: &[&str], _delim: u8| {
            let mut v = NumberVotes::default();
            for x in values {
                v.add(x);
            }
            v.decide()
        };
        assert_eq!(decide(&["213,71", "12,5", "7"], b';'), (',', None));
        assert_eq!(decide(&["1.234,56", "12,5"], b';'), (',', Some('.')));
        assert_eq!(decide(&["1,234.56", "3.25"], b','), ('.', Some(',')));
        assert_eq!(decide(&["1 234,56"], b';'), (',', Some(' ')));
        assert_eq!(decide(&["3.14", "2.5", "24.12.1980"], b','), ('.', None));
        assert_eq!(decide(&["01067", "abc", "12:30"], b','), ('.', None));
        assert_eq!(decide(&["1.234", "213,71"], b';'), (',', Some('.')));
    }

    #[test]
    fn dates_are_decided_by_a_day_above_twelve() {
        let run = |values: &[&str]| {
            let mut v = DateVotes::default();
            for (i, x) in values.iter().enumerate() {
                v.add(x, i as u64 + 2);
            }
            decide_dates(&["d".into()], &[v])
        };
        let de = run(&["24.12.1980", "01.02.1990"]).0.expect("de");
        assert_eq!(de.name(), "dd.mm.yyyy");
        assert_eq!(
            run(&["01.02.1990"]).0.map(|f| f.name()).as_deref(),
            Some("dd.mm.yyyy")
        );
        let us = run(&["12/24/1980", "01/02/1990"]).0.expect("us");
        assert_eq!(us.name(), "mm/dd/yyyy");
        let uk = run(&["24/12/1980 10:00", "01/02/1990 11:30:00"])
            .0
            .expect("uk");
        assert_eq!(uk.name(), "dd/mm/yyyy");
        let (f, p) = run(&["01/02/1990", "03/04/1990"]);
        assert_eq!(f, None);
        assert!(
            matches!(p, Some(DateProblem::Ambiguous { line: 2, .. })),
            "{p:?}"
        );
        let (_, p) = run(&["24/12/1980", "12/24/1980"]);
        assert!(matches!(p, Some(DateProblem::BothOrders { .. })), "{p:?}");
        // A column that is not all dates says nothing.
        assert_eq!(run(&["01/02/1990", "n/a"]), (None, None));
        assert_eq!(run(&["1990-02-01"]), (None, None));
    }
}
