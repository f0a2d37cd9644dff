//! The targets decoder (`--targets FILE`), against a schema with category, bool, int (binned)
//! and label columns.
#![no_main]

use std::sync::OnceLock;

use fairsynth::schema::Schema;
use libfuzzer_sys::fuzz_target;

const SCHEMA: &str = include_str!("../seeds/targets_schema.yaml");

fuzz_target!(|data: &[u8]| {
    static S: OnceLock<Schema> = OnceLock::new();
    let schema = S.get_or_init(|| Schema::from_str_named(SCHEMA, "schema.yaml").expect("schema"));
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = schema.targets_from_str(text, "targets.yaml");
    }
});
