//! Dialect detection and reading: any bytes, sniffed (encoding, gzip, delimiter, decimal mark,
//! thousands separator, date format) and read as a CSV input typed by a schema with every
//! column type, under stated options chosen by the first byte, and profiled by `inspect`
//! (whose type votes parse with the dialect), give batches or an error, never a panic.
#![no_main]

use std::io::Write;
use std::sync::OnceLock;

use fairsynth::io::read::{Format, Input, Reader};
use fairsynth::schema::{DateFormat, InputOptions, Schema};
use libfuzzer_sys::fuzz_target;

const SCHEMA: &str = include_str!("../seeds/reader_schema.yaml");

/// Stated options, by the first byte of the input.
fn options(b: u8) -> InputOptions {
    let mut o = InputOptions::default();
    match b % 6 {
        1 => o.decimal = Some(','),
        2 => {
            o.delimiter = Some(b';');
            o.thousands = Some(Some('.'));
        }
        3 => o.date_format = DateFormat::parse("dd/mm/yyyy").ok(),
        4 => o.encoding = Some(encoding_rs::WINDOWS_1252),
        5 => o.delimiter = Some(b'\t'),
        _ => {}
    }
    o
}

fuzz_target!(|data: &[u8]| {
    static S: OnceLock<(Schema, tempfile::TempDir)> = OnceLock::new();
    let (schema, dir) = S.get_or_init(|| {
        (
            Schema::from_str_named(SCHEMA, "schema.yaml").expect("schema"),
            tempfile::tempdir().expect("tempdir"),
        )
    });
    let Some((&first, rest)) = data.split_first() else {
        return;
    };
    let path = dir.path().join("input.csv");
    let mut f = std::fs::File::create(&path).expect("create");
    f.write_all(rest).expect("write");
    drop(f);
    let input = Input::file(&path, Format::Csv).with_options(options(first));
    if let Ok(reader) = Reader::open(&input, schema) {
        let _ = reader.dialect().to_string();
        let _ = reader.dialect().input_yaml();
        for batch in reader {
            if batch.is_err() {
                break;
            }
        }
    }
    let _ = fairsynth::deid::inspect::inspect(&input, None);
});
