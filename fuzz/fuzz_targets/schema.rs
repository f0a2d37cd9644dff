//! The schema decoder: any text gives a schema or an error, never a panic; a schema that
//! decodes sets up a synthesiser and generates a few rows without panicking.
#![no_main]

use fairsynth::schema::Schema;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(schema) = Schema::from_str_named(text, "fuzz.yaml") else {
        return;
    };
    if !schema.columns_without_generator().is_empty() {
        return;
    }
    if let Ok(synth) = fairsynth::synth::Synthesizer::new(&schema, 7) {
        let _ = synth.block(0, 16);
    }
});
