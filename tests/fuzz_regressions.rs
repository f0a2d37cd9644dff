//! The fuzz targets' code paths (see `fuzz/`) run in the ordinary test suite on the committed
//! seed corpora (`fuzz/corpus/TARGET/`) and on every input that once crashed a target
//! (`tests/data/fuzz/TARGET/`, each named for what it broke). Each input must give a value or
//! an error; a panic fails the test.

use std::fs;
use std::path::{Path, PathBuf};

use fairsynth::io::read::{Format, Input, Reader};
use fairsynth::schema::Schema;

mod common;
use common::root;

/// Inputs of one target: seeds and saved crashes.
fn inputs(target: &str) -> Vec<PathBuf> {
    let mut v = Vec::new();
    for dir in [
        root().join("fuzz/corpus").join(target),
        root().join("tests/data/fuzz").join(target),
    ] {
        if let Ok(entries) = fs::read_dir(&dir) {
            v.extend(entries.map(|e| e.expect("entry").path()));
        }
    }
    v.sort();
    v
}

fn reader_schema() -> Schema {
    let text = fs::read_to_string(root().join("fuzz/seeds/reader_schema.yaml")).expect("schema");
    Schema::from_str_named(&text, "reader_schema.yaml").expect("valid")
}

#[test]
fn schema_inputs() {
    let all = inputs("schema");
    assert!(all.len() >= 6, "seeds missing: {all:?}");
    for p in all {
        let Ok(text) = String::from_utf8(fs::read(&p).expect("read")) else {
            continue;
        };
        if let Ok(schema) = Schema::from_str_named(&text, "fuzz.yaml") {
            if schema.columns_without_generator().is_empty() {
                if let Ok(synth) = fairsynth::synth::Synthesizer::new(&schema, 7) {
                    let _ = synth.block(0, 16);
                }
            }
        }
    }
}

#[test]
fn targets_inputs() {
    let text = fs::read_to_string(root().join("fuzz/seeds/targets_schema.yaml")).expect("read");
    let schema = Schema::from_str_named(&text, "targets_schema.yaml").expect("valid");
    let all = inputs("targets");
    assert!(!all.is_empty());
    let mut accepted = 0;
    for p in all {
        if let Ok(text) = String::from_utf8(fs::read(&p).expect("read")) {
            accepted += usize::from(schema.targets_from_str(&text, "t.yaml").is_ok());
        }
    }
    assert!(accepted > 0, "no seed is a valid targets file");
}

fn read_all(path: &Path, format: Format, schema: &Schema) -> Result<usize, String> {
    let reader = Reader::open(&Input::file(path, format), schema).map_err(|e| e.to_string())?;
    let mut rows = 0;
    for b in reader {
        rows += b.map_err(|e| e.to_string())?.num_rows();
    }
    Ok(rows)
}

#[test]
fn csv_inputs() {
    let schema = reader_schema();
    let dir = tempfile::tempdir().expect("tempdir");
    let mut read = 0;
    for p in inputs("csv") {
        // The reader takes the format from the caller, not the name: copy to a .csv path.
        let input = dir.path().join("input.csv");
        fs::copy(&p, &input).expect("copy");
        read += usize::from(read_all(&input, Format::Csv, &schema).is_ok());
    }
    assert!(read > 0, "no CSV seed reads");
}

/// Reads `bytes` as `input.csv` in `dir` with `options` stated, through the reader (typed by
/// `schema`) and `inspect`, as the `dialect` fuzz target does: rows read, or the error.
fn read_dialect(
    dir: &Path,
    bytes: &[u8],
    options: fairsynth::schema::InputOptions,
    schema: &Schema,
) -> Result<usize, String> {
    let path = dir.join("input.csv");
    fs::write(&path, bytes).expect("write");
    let input = Input::file(&path, Format::Csv).with_options(options);
    let _ = fairsynth::deid::inspect::inspect(&input, None);
    let reader = Reader::open(&input, schema).map_err(|e| e.to_string())?;
    let _ = (reader.dialect().to_string(), reader.dialect().input_yaml());
    let mut rows = 0;
    for b in reader {
        rows += b.map_err(|e| e.to_string())?.num_rows();
    }
    Ok(rows)
}

#[test]
fn dialect_inputs() {
    use fairsynth::schema::{DateFormat, InputOptions};
    let schema = reader_schema();
    let dir = tempfile::tempdir().expect("tempdir");
    let all = inputs("dialect");
    assert!(all.len() >= 8, "seeds missing: {all:?}");
    // The target's stated options, chosen by the first byte.
    let stated = |b: u8| {
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
    };
    for p in all {
        let bytes = fs::read(&p).expect("read");
        let _ = read_dialect(dir.path(), &bytes, InputOptions::default(), &schema);
        if let Some((&first, rest)) = bytes.split_first() {
            let _ = read_dialect(dir.path(), rest, stated(first), &schema);
        }
    }
    // The German seed of the reader schema's columns reads whole by detection alone.
    let seed = fs::read(root().join("fuzz/corpus/dialect/typed_de.csv")).expect("seed");
    assert_eq!(
        read_dialect(dir.path(), &seed, InputOptions::default(), &schema),
        Ok(2)
    );
}

#[test]
fn parquet_inputs() {
    let schema = reader_schema();
    let all = inputs("parquet");
    for codec in ["gzip", "brotli", "lz4", "snappy", "zstd", "none"] {
        let p = root().join(format!("fuzz/corpus/parquet/{codec}.parquet"));
        assert_eq!(read_all(&p, Format::Parquet, &schema), Ok(3), "{codec}");
    }
    for p in all {
        let _ = read_all(&p, Format::Parquet, &schema);
    }
    // Found by the parquet target: seconds far from 1970 overflowed the conversion to
    // microseconds (a panic in debug builds, a wrapped instant in release).
    let p = root().join("tests/data/fuzz/parquet/timestamp-seconds-overflow.parquet");
    let err = read_all(&p, Format::Parquet, &schema).expect_err("out of range");
    assert!(
        err.contains("outside the range of microsecond timestamps"),
        "{err}"
    );
}

#[test]
fn model_inputs() {
    use fairsynth::model::{Model, SampleOptions, Sampler};
    use fairsynth::synth::BlockSource;
    let all = inputs("model");
    assert!(all.len() >= 3, "seeds missing: {all:?}");
    let mut sampled = 0;
    for p in all {
        let Ok(model) = Model::from_json(&fs::read(&p).expect("read"), Path::new("fuzz.json"))
        else {
            continue;
        };
        let _ = fairsynth::model::summary(&model);
        for fairness in [true, false] {
            let opts = SampleOptions {
                seed: 7,
                targets: Vec::new(),
                fairness,
            };
            if let Ok(sampler) = Sampler::new(&model, &opts) {
                sampled += usize::from(sampler.block(0, 16).is_ok());
            }
        }
    }
    // Every seed is a model `fit` wrote: each samples, with and without fairness.
    assert!(sampled >= 6, "{sampled} samples");
    // Found by the model target: a regenerated identifier (`phone`) that the embedded schema
    // does not have was looked up by its place in `regenerated`, past the end of the
    // identifiers' columns. The sample now has the schema's columns only.
    let p = root().join("tests/data/fuzz/model/regenerated-name-not-in-schema.json");
    let model =
        Model::from_json(&fs::read(p).expect("read"), Path::new("fuzz.json")).expect("loads");
    let opts = SampleOptions {
        seed: 7,
        targets: Vec::new(),
        fairness: true,
    };
    let batch = Sampler::new(&model, &opts)
        .expect("sampler")
        .block(0, 16)
        .expect("rows");
    let names: Vec<String> = batch
        .schema()
        .fields()
        .iter()
        .map(|f| f.name().clone())
        .collect();
    assert!(names.contains(&"customer_id".to_string()), "{names:?}");
    assert!(!names.iter().any(|n| n == "phone"), "{names:?}");
}

/// The `key_material` target: PKMT1 key material parses or errs, and unwrapping with the
/// target's master keys gives the seeds' expected outcome, never a panic.
#[test]
fn key_material_inputs() {
    use fairsynth::io::crypt::{KeyMaterial, MasterKeys, Retriever};
    let retriever = Retriever::new(std::sync::Arc::new(
        MasterKeys::none()
            .with_key("k1", vec![1; 16])
            .with_key("k2", vec![2; 32])
            .with_key("short", vec![3; 5]),
    ));
    let all = inputs("key_material");
    assert!(all.len() >= 10, "seeds missing: {all:?}");
    for p in all {
        let bytes = fs::read(&p).expect("read");
        let name = p.file_stem().and_then(|s| s.to_str()).unwrap_or_default();
        if let Ok(m) = KeyMaterial::parse(&bytes) {
            if m.double.is_none() {
                let again = KeyMaterial::parse(m.to_json().as_bytes()).expect("own output");
                assert_eq!(again.wrapped_dek, m.wrapped_dek, "{name}");
            }
        }
        let got = retriever.data_key(&bytes);
        match name {
            // The seeds made with the target's keys open to the data key 0, 1, ..., 15.
            "single" | "footer" | "double" | "string_booleans" => {
                let k = got.unwrap_or_else(|e| panic!("{name}: {e}"));
                assert_eq!(
                    k.expose(),
                    (0u8..16).collect::<Vec<_>>().as_slice(),
                    "{name}"
                );
            }
            "wrong_master_key" => {
                let e = got.expect_err(name).to_string();
                assert!(
                    e.contains("master key `k2`") && e.contains("does not open"),
                    "{e}"
                );
            }
            "short_master_key" => {
                let e = got.expect_err(name).to_string();
                assert!(e.contains("`short`") && e.contains("5 bytes"), "{e}");
            }
            "missing_master_key" => {
                let e = got.expect_err(name).to_string();
                assert!(e.contains("no master key `nobody`"), "{e}");
            }
            _ => {
                let _ = got.map_err(|e| e.to_string());
            }
        }
    }
}
