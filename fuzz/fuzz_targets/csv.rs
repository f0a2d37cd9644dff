//! The CSV reader: any bytes, read as a CSV input typed by a schema with every column type,
//! give batches or an error, never a panic.
#![no_main]

use std::io::Write;
use std::sync::OnceLock;

use fairsynth::io::read::{Format, Input, Reader};
use fairsynth::schema::Schema;
use libfuzzer_sys::fuzz_target;

const SCHEMA: &str = include_str!("../seeds/reader_schema.yaml");

fuzz_target!(|data: &[u8]| {
    static S: OnceLock<(Schema, tempfile::TempDir)> = OnceLock::new();
    let (schema, dir) = S.get_or_init(|| {
        (
            Schema::from_str_named(SCHEMA, "schema.yaml").expect("schema"),
            tempfile::tempdir().expect("tempdir"),
        )
    });
    let path = dir.path().join("input.csv");
    let mut f = std::fs::File::create(&path).expect("create");
    f.write_all(data).expect("write");
    drop(f);
    if let Ok(reader) = Reader::open(&Input::file(&path, Format::Csv), schema) {
        for batch in reader {
            if batch.is_err() {
                break;
            }
        }
    }
});
