//! How a table file is written, as a person states it: the plain values of a schema's `input:`
//! section and of the command line's `--delimiter`, `--decimal`, `--thousands`, `--date-format`,
//! `--timestamp-format`, `--encoding` and `--sheet`. Nothing here reads a file: detection and
//! reading are in `io::read`, which fills what is not stated.
//!
//! The parsers of local dates (`24.12.1980`, `12/24/1980`) live here too, beside the ISO ones
//! ([`super::parse_date`]), so the schema and the reader share one definition.

use std::fmt;

/// The order of day, month and year in a date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DateOrder {
    /// Day, month, year (`24.12.1980`, `24/12/1980`).
    Dmy,
    /// Month, day, year (`12/24/1980`).
    Mdy,
    /// Year, month, day (`1980-12-24`, `1980/12/24`).
    Ymd,
}

/// A date format: the order of its parts and the one character between them. Days and months
/// may have one or two digits, years have four.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DateFormat {
    /// Order of the parts.
    pub order: DateOrder,
    /// Separator: `.`, `/` or `-`.
    pub sep: u8,
}

/// The date formats accepted by name, for messages.
pub const DATE_FORMATS: [&str; 8] = [
    "yyyy-mm-dd",
    "dd.mm.yyyy",
    "dd/mm/yyyy",
    "mm/dd/yyyy",
    "dd-mm-yyyy",
    "mm-dd-yyyy",
    "yyyy/mm/dd",
    "yyyy.mm.dd",
];

impl DateFormat {
    /// ISO 8601: `yyyy-mm-dd`.
    pub const ISO: DateFormat = DateFormat {
        order: DateOrder::Ymd,
        sep: b'-',
    };

    /// A format written like `dd.mm.yyyy`, `mm/dd/yyyy` or `yyyy-mm-dd` (case ignored; `iso`
    /// for `yyyy-mm-dd`).
    pub fn parse(text: &str) -> Result<DateFormat, String> {
        let t = text.trim().to_ascii_lowercase();
        if t == "iso" {
            return Ok(DateFormat::ISO);
        }
        let sep = t.bytes().find(|b| matches!(b, b'.' | b'/' | b'-'));
        let parts: Vec<&str> = match sep {
            Some(s) => t.split(char::from(s)).collect(),
            None => vec![],
        };
        let order = match parts.as_slice() {
            ["dd" | "d", "mm" | "m", "yyyy"] => Some(DateOrder::Dmy),
            ["mm" | "m", "dd" | "d", "yyyy"] => Some(DateOrder::Mdy),
            ["yyyy", "mm" | "m", "dd" | "d"] => Some(DateOrder::Ymd),
            _ => None,
        };
        match (order, sep) {
            (Some(order), Some(sep)) => Ok(DateFormat { order, sep }),
            _ => Err(format!(
                "unknown date format `{text}`; use one of {}",
                DATE_FORMATS.join(", ")
            )),
        }
    }

    /// The format as written, e.g. `dd.mm.yyyy`.
    pub fn name(&self) -> String {
        let s = char::from(self.sep);
        match self.order {
            DateOrder::Dmy => format!("dd{s}mm{s}yyyy"),
            DateOrder::Mdy => format!("mm{s}dd{s}yyyy"),
            DateOrder::Ymd => format!("yyyy{s}mm{s}dd"),
        }
    }

    /// Whether this is `yyyy-mm-dd`.
    pub fn is_iso(&self) -> bool {
        *self == DateFormat::ISO
    }

    /// The (year, month, day) of a date written in this format, unchecked for the calendar.
    fn parts(&self, s: &str) -> Option<(i32, u32, u32)> {
        let b = s.as_bytes();
        let mut fields = [0u32; 3];
        let mut lens = [0usize; 3];
        let mut k = 0;
        for &c in b {
            if c == self.sep {
                k += 1;
                if k == 3 {
                    return None;
                }
            } else if c.is_ascii_digit() {
                lens[k] += 1;
                if lens[k] > 4 {
                    return None;
                }
                fields[k] = fields[k] * 10 + u32::from(c - b'0');
            } else {
                return None;
            }
        }
        if k != 2 {
            return None;
        }
        let (y, m, d, ly, lm, ld) = match self.order {
            DateOrder::Dmy => (fields[2], fields[1], fields[0], lens[2], lens[1], lens[0]),
            DateOrder::Mdy => (fields[2], fields[0], fields[1], lens[2], lens[0], lens[1]),
            DateOrder::Ymd => (fields[0], fields[1], fields[2], lens[0], lens[1], lens[2]),
        };
        if ly != 4 || !(1..=2).contains(&lm) || !(1..=2).contains(&ld) {
            return None;
        }
        Some((i32::try_from(y).ok()?, m, d))
    }

    /// Parses a date in this format to days since 1970-01-01.
    pub fn parse_date(&self, s: &str) -> Option<i32> {
        let (y, m, d) = self.parts(s.trim())?;
        let date = chrono::NaiveDate::from_ymd_opt(y, m, d)?;
        let epoch = chrono::NaiveDate::from_ymd_opt(1970, 1, 1)?;
        i32::try_from((date - epoch).num_days()).ok()
    }

    /// Parses a date in this format followed by a time of day (`hh:mm`, `hh:mm:ss` or
    /// `hh:mm:ss.ffffff`, after a space or `T`), or a date alone (midnight), taken as UTC, to
    /// microseconds since the epoch.
    pub fn parse_timestamp(&self, s: &str) -> Option<i64> {
        let s = s.trim();
        let (date, time) = match s.find([' ', 'T']) {
            Some(i) => (&s[..i], Some(s[i + 1..].trim_start())),
            None => (s, None),
        };
        let (y, m, d) = self.parts(date)?;
        let day = chrono::NaiveDate::from_ymd_opt(y, m, d)?;
        let t = match time {
            None => chrono::NaiveTime::MIN,
            Some(t) => chrono::NaiveTime::parse_from_str(t, "%H:%M:%S%.f")
                .or_else(|_| chrono::NaiveTime::parse_from_str(t, "%H:%M"))
                .ok()?,
        };
        Some(day.and_time(t).and_utc().timestamp_micros())
    }
}

impl fmt::Display for DateFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name())
    }
}

/// A timestamp format is a date format with a time of day after it: `dd.mm.yyyy hh:mm[:ss]`.
/// Returns the date part; the time part may be `hh:mm`, `hh:mm:ss` or `hh:mm[:ss]` (seconds
/// are optional when reading in any case).
pub fn parse_timestamp_format(text: &str) -> Result<DateFormat, String> {
    let t = text.trim();
    let (date, time) = match t.find([' ', 'T']) {
        Some(i) => (&t[..i], t[i + 1..].trim().to_ascii_lowercase()),
        None => (t, String::new()),
    };
    if !matches!(
        time.as_str(),
        "" | "hh:mm" | "hh:mm:ss" | "hh:mm[:ss]" | "hh:mi:ss" | "hh:mi"
    ) {
        return Err(format!(
            "unknown timestamp format `{text}`; write a date format and `hh:mm[:ss]`, e.g. `dd.mm.yyyy hh:mm:ss`"
        ));
    }
    DateFormat::parse(date).map_err(|_| {
        format!(
            "unknown timestamp format `{text}`; write a date format ({}) and `hh:mm[:ss]`, e.g. `dd.mm.yyyy hh:mm:ss`",
            DATE_FORMATS.join(", ")
        )
    })
}

/// Parses a field delimiter: one ASCII punctuation character, or `tab`, `comma`, `semicolon`,
/// `pipe`, `\t`.
pub fn parse_delimiter(text: &str) -> Result<u8, String> {
    let d = match text {
        "\t" | "\\t" | "tab" | "TAB" => Some(b'\t'),
        "comma" => Some(b','),
        "semicolon" => Some(b';'),
        "pipe" => Some(b'|'),
        "space" => Some(b' '),
        t if t.len() == 1 => {
            let b = t.as_bytes()[0];
            (b.is_ascii_punctuation() && b != b'"' || b == b' ').then_some(b)
        }
        _ => None,
    };
    d.ok_or_else(|| {
        format!("unknown delimiter `{text}`; use one character such as `,` `;` `|`, or `tab`")
    })
}

/// Parses a decimal mark: `.` or `,`.
pub fn parse_decimal(text: &str) -> Result<char, String> {
    match text {
        "." | "point" | "dot" => Ok('.'),
        "," | "comma" => Ok(','),
        _ => Err(format!("unknown decimal mark `{text}`; use `.` or `,`")),
    }
}

/// Parses a thousands separator: `.`, `,`, ` ` (or `space`), `'`, or `none` for none.
pub fn parse_thousands(text: &str) -> Result<Option<char>, String> {
    match text {
        "none" | "" => Ok(None),
        "." => Ok(Some('.')),
        "," => Ok(Some(',')),
        " " | "space" => Ok(Some(' ')),
        "'" | "apostrophe" => Ok(Some('\'')),
        _ => Err(format!(
            "unknown thousands separator `{text}`; use `.`, `,`, `space`, `'` or `none`"
        )),
    }
}

/// Parses a text encoding by any of its usual labels (`utf-8`, `windows-1252`, `cp1252`,
/// `latin-1`, `iso-8859-15`, `utf-16le` ...; the WHATWG encoding labels). Latin-1 is read as
/// Windows-1252, its superset, as browsers do.
pub fn parse_encoding(text: &str) -> Result<&'static encoding_rs::Encoding, String> {
    let label = match text.trim().to_ascii_lowercase().as_str() {
        "cp1252" | "win1252" | "windows1252" | "ansi" => "windows-1252".to_string(),
        "latin-1" | "latin_1" => "latin1".to_string(),
        "utf8" | "utf-8-sig" => "utf-8".to_string(),
        other => other.to_string(),
    };
    match encoding_rs::Encoding::for_label(label.as_bytes()) {
        Some(e) if e != encoding_rs::REPLACEMENT => Ok(e),
        _ => Err(format!(
            "unknown encoding `{text}`; use `utf-8`, `windows-1252` (also for Latin-1) or another WHATWG encoding label"
        )),
    }
}

/// The lower-case name of an encoding, as written in messages and drafts (`windows-1252`).
pub fn encoding_name(e: &'static encoding_rs::Encoding) -> String {
    e.name().to_ascii_lowercase()
}

/// How the input file is written, as stated by a person (a schema's `input:` section, the
/// command line, or keyword arguments in Python). `None` means "detect it".
#[derive(Debug, Clone, Default, PartialEq)]
pub struct InputOptions {
    /// CSV field delimiter.
    pub delimiter: Option<u8>,
    /// Decimal mark of numbers: `.` or `,`.
    pub decimal: Option<char>,
    /// Thousands separator of numbers; `Some(None)`: none.
    pub thousands: Option<Option<char>>,
    /// Format of dates (ISO dates are read whatever is set).
    pub date_format: Option<DateFormat>,
    /// Format of timestamps' date part (RFC 3339 instants are read whatever is set).
    pub timestamp_format: Option<DateFormat>,
    /// Text encoding of a CSV file.
    pub encoding: Option<&'static encoding_rs::Encoding>,
    /// The sheet of a workbook: its name, or its 1-based number.
    pub sheet: Option<String>,
}

impl InputOptions {
    /// `self`'s values, with `fallback`'s where `self` states nothing (the command line over
    /// the schema).
    pub fn or(&self, fallback: &InputOptions) -> InputOptions {
        InputOptions {
            delimiter: self.delimiter.or(fallback.delimiter),
            decimal: self.decimal.or(fallback.decimal),
            thousands: self.thousands.or(fallback.thousands),
            date_format: self.date_format.or(fallback.date_format),
            timestamp_format: self.timestamp_format.or(fallback.timestamp_format),
            encoding: self.encoding.or(fallback.encoding),
            sheet: self.sheet.clone().or_else(|| fallback.sheet.clone()),
        }
    }

    /// Whether nothing is stated.
    pub fn is_empty(&self) -> bool {
        *self == InputOptions::default()
    }

    /// Checks that the stated values do not contradict each other (the decimal mark also the
    /// thousands separator or the delimiter).
    pub fn check(&self) -> Result<(), String> {
        if let (Some(d), Some(Some(t))) = (self.decimal, self.thousands) {
            if d == t {
                return Err(format!(
                    "the decimal mark and the thousands separator are both `{d}`"
                ));
            }
        }
        if let (Some(d), Some(sep)) = (self.decimal, self.delimiter) {
            if d == char::from(sep) {
                return Err(format!(
                    "the decimal mark and the delimiter are both `{d}`; a CSV file with decimal commas separates fields with `;` or a tab"
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn date_formats_parse_by_name_and_read_their_dates() {
        let de = DateFormat::parse("dd.mm.yyyy").expect("de");
        assert_eq!(de.name(), "dd.mm.yyyy");
        assert_eq!(de.parse_date("02.01.1970"), Some(1));
        assert_eq!(de.parse_date("2.1.1970"), Some(1));
        assert_eq!(de.parse_date("31.02.1970"), None);
        assert_eq!(de.parse_date("1970-01-02"), None);
        assert_eq!(de.parse_date("02.01.70"), None);
        let us = DateFormat::parse("MM/DD/YYYY").expect("us");
        assert_eq!(us.parse_date("01/02/1970"), Some(1));
        assert_eq!(us.parse_date("13/02/1970"), None);
        assert_eq!(DateFormat::parse("iso"), Ok(DateFormat::ISO));
        assert!(DateFormat::parse("dd.mm.yy").is_err());
        assert!(DateFormat::parse("yyyy.dd.mm").is_err());
        assert_eq!(
            de.parse_timestamp("01.01.1970 00:00:01"),
            Some(1_000_000),
            "seconds"
        );
        assert_eq!(de.parse_timestamp("01.01.1970 00:01"), Some(60_000_000));
        assert_eq!(de.parse_timestamp("02.01.1970"), Some(86_400_000_000));
        assert_eq!(de.parse_timestamp("01.01.1970 25:00"), None);
    }

    #[test]
    fn options_parse_and_the_command_line_wins() {
        assert_eq!(parse_delimiter("tab"), Ok(b'\t'));
        assert_eq!(parse_delimiter(";"), Ok(b';'));
        assert!(parse_delimiter("ab").is_err());
        assert!(parse_delimiter("\"").is_err());
        assert_eq!(parse_thousands("none"), Ok(None));
        assert_eq!(parse_decimal(","), Ok(','));
        assert_eq!(
            parse_encoding("latin-1").map(encoding_name),
            Ok("windows-1252".into())
        );
        assert_eq!(
            parse_encoding("cp1252").map(encoding_name),
            Ok("windows-1252".into())
        );
        assert!(parse_encoding("klingon").is_err());
        assert_eq!(
            parse_timestamp_format("dd.mm.yyyy hh:mm[:ss]").map(|f| f.name()),
            Ok("dd.mm.yyyy".into())
        );
        let cli = InputOptions {
            decimal: Some(','),
            ..Default::default()
        };
        let schema = InputOptions {
            decimal: Some('.'),
            delimiter: Some(b';'),
            ..Default::default()
        };
        let both = cli.or(&schema);
        assert_eq!((both.decimal, both.delimiter), (Some(','), Some(b';')));
        assert!(both.check().is_ok());
        let bad = InputOptions {
            decimal: Some(','),
            thousands: Some(Some(',')),
            ..Default::default()
        };
        assert!(bad.check().is_err());
    }
}
