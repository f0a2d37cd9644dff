//! The `input:` block: how the input file is written (delimiter, decimal mark, thousands
//! separator, date and timestamp formats, encoding, sheet), each value checked here so a typo
//! is named with its line before any file is read.

use super::*;

const INPUT_KEYS: [&str; 7] = [
    "delimiter",
    "decimal",
    "thousands",
    "date_format",
    "timestamp_format",
    "encoding",
    "sheet",
];

/// One value of the block through its parser; a refusal is reported at the value.
fn parsed<T>(
    s: &mut Sink,
    n: &Node,
    path: &str,
    parse: impl Fn(&str) -> Result<T, String>,
) -> Option<T> {
    let t = text(s, n, path)?;
    match parse(&t) {
        Ok(v) => Some(v),
        Err(message) => {
            // The parsers' messages end with the choices: split them into the hint.
            match message.split_once("; ") {
                Some((what, hint)) => s.hint(pos(n), path, what.to_string(), hint.to_string()),
                None => s.err(pos(n), path, message),
            }
            None
        }
    }
}

pub(super) fn decode_input(s: &mut Sink, n: &Node) -> InputOptions {
    let Some(m) = mapping(s, n, "input") else {
        return InputOptions::default();
    };
    m.only(s, &INPUT_KEYS);
    let mut o = InputOptions::default();
    if let Some(v) = m.get("delimiter") {
        o.delimiter = parsed(s, v, &m.child("delimiter"), parse_delimiter);
    }
    if let Some(v) = m.get("decimal") {
        o.decimal = parsed(s, v, &m.child("decimal"), parse_decimal);
    }
    if let Some(v) = m.get("thousands") {
        o.thousands = match &untag(v).data {
            // `thousands: none` or an empty value: no separator.
            YamlDataOwned::Value(ScalarOwned::Null) => Some(None),
            _ => parsed(s, v, &m.child("thousands"), parse_thousands),
        };
    }
    if let Some(v) = m.get("date_format") {
        o.date_format = parsed(s, v, &m.child("date_format"), DateFormat::parse);
    }
    if let Some(v) = m.get("timestamp_format") {
        o.timestamp_format = parsed(s, v, &m.child("timestamp_format"), parse_timestamp_format);
    }
    if let Some(v) = m.get("encoding") {
        o.encoding = parsed(s, v, &m.child("encoding"), parse_encoding);
    }
    if let Some(v) = m.get("sheet") {
        let path = m.child("sheet");
        o.sheet = match scalar_text(v) {
            Some(t) if !t.trim().is_empty() => Some(t),
            _ => {
                s.hint(
                    pos(v),
                    &path,
                    format!("expected a sheet name or number, found {}", describe(v)),
                    "write the sheet's name as shown on its tab, or its number (1 is the first)",
                );
                None
            }
        };
    }
    if let Err(e) = o.check() {
        s.err(m.pos, "input", e);
    }
    o
}
