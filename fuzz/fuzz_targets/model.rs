//! The model-file decoder: any bytes give a model or an error, never a panic; a model that
//! decodes (and passes its consistency checks) sets up a sampler, with and without the
//! schema's fairness, and draws a few rows without panicking.
#![no_main]

use std::path::Path;

use fairsynth::model::{Model, SampleOptions, Sampler};
use fairsynth::synth::BlockSource;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(model) = Model::from_json(data, Path::new("fuzz.json")) else {
        return;
    };
    let _ = fairsynth::model::summary(&model);
    for fairness in [true, false] {
        let opts = SampleOptions {
            seed: 7,
            targets: Vec::new(),
            fairness,
        };
        if let Ok(sampler) = Sampler::new(&model, &opts) {
            let _ = sampler.block(0, 16);
        }
    }
});
