//! The schema decoder: any text gives a schema or an error, never a panic; a schema that
//! decodes sets up a synthesiser and generates a few rows without panicking (linked tables:
//! every table, with root tables cut to a few rows).
#![no_main]

use fairsynth::schema::{Document, Schema};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let schema: Schema = match Document::from_str_named(text, "fuzz.yaml") {
        Ok(Document::Table(s)) => s,
        Ok(Document::Database(mut db)) => {
            for t in &mut db.tables {
                t.schema.rows = t.schema.rows.min(16);
            }
            if let Ok(synth) = fairsynth::synth::linked::LinkedSynthesizer::new(&db, 7) {
                let _ = synth.to_batches();
            }
            return;
        }
        Err(_) => return,
    };
    if !schema.columns_without_generator().is_empty() {
        return;
    }
    if let Ok(synth) = fairsynth::synth::Synthesizer::new(&schema, 7) {
        let _ = synth.block(0, 16);
    }
});
