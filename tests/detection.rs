//! Detection precision and recall on a labelled fixture made with `synth`
//! (tests/data/schemas/detection.yaml): identifier columns carry neutral names, so only their
//! content can give them away. The figures printed here are the ones stated in the README.

use arrow_array::cast::AsArray;
use arrow_array::Array;
use fairsynth::deid::detect::{classify, Kind};
use fairsynth::deid::inspect::inspect;
use fairsynth::io::read::Format;
use fairsynth::schema::Schema;
use fairsynth::synth::{write_parquet, Synthesizer, WriteOptions};

mod common;
use common::root;

#[test]
fn precision_and_recall_on_the_labelled_fixture() {
    let schema =
        Schema::from_file(&root().join("tests/data/schemas/detection.yaml")).expect("schema");
    let truth: Vec<(String, Option<Kind>)> = schema
        .columns
        .iter()
        .map(|c| {
            let d = c.description.as_deref().expect("label");
            (
                c.name.clone(),
                d.strip_prefix("identifier: ").and_then(Kind::from_name),
            )
        })
        .collect();
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("d.parquet");
    let synth = Synthesizer::new(&schema, 11).expect("synth");
    write_parquet(
        &synth,
        5000,
        &data,
        &WriteOptions::default(),
        &serde_json::json!({}),
        &|_| {},
    )
    .expect("write");

    // Column level: inspect proposes `identifier` exactly for the identifier columns.
    let ins = inspect(&data, Format::Parquet, None).expect("inspect");
    let (mut tp, mut fp, mut fn_) = (0, 0, 0);
    for (c, (name, kind)) in ins.columns.iter().zip(&truth) {
        assert_eq!(&c.name, name);
        let flagged = c.proposed_role == "identifier";
        match (flagged, kind.is_some()) {
            (true, true) => tp += 1,
            (true, false) => fp += 1,
            (false, true) => fn_ += 1,
            _ => {}
        }
    }
    let precision = f64::from(tp) / f64::from(tp + fp);
    let recall = f64::from(tp) / f64::from(tp + fn_);
    println!("column level: precision {precision:.3}, recall {recall:.3} ({tp} of 7 identifier columns, {fp} false alarms)");
    assert_eq!((precision, recall), (1.0, 1.0));

    // Value level: each value classified on its own.
    let batches: Vec<_> = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(
        std::fs::File::open(&data).expect("data"),
    )
    .expect("pq")
    .build()
    .expect("reader")
    .collect::<Result<_, _>>()
    .expect("batches");
    let (mut hits, mut positives, mut false_alarms, mut negatives) = (0u64, 0u64, 0u64, 0u64);
    for (name, kind) in &truth {
        let (mut col_hits, mut col_n) = (0u64, 0u64);
        for b in &batches {
            let a = b.column_by_name(name).expect("column");
            let Some(s) = a.as_string_opt::<i32>() else {
                negatives += (a.len() - a.null_count()) as u64;
                continue;
            };
            for v in s.iter().flatten() {
                col_n += 1;
                let got = classify(v);
                match kind {
                    Some(k) => col_hits += u64::from(got == Some(*k)),
                    None => false_alarms += u64::from(got.is_some()),
                }
            }
        }
        if kind.is_some() {
            let r = col_hits as f64 / col_n as f64;
            println!("  {name} ({:?}): value recall {r:.4}", kind.map(Kind::name));
            assert!(r >= 0.95, "{name}: value recall {r}");
            hits += col_hits;
            positives += col_n;
        } else {
            negatives += col_n;
        }
    }
    let value_recall = hits as f64 / positives as f64;
    let value_precision = hits as f64 / (hits + false_alarms) as f64;
    println!("value level: precision {value_precision:.4}, recall {value_recall:.4} ({positives} identifier values, {negatives} others, {false_alarms} false alarms)");
    assert!(value_precision >= 0.99 && value_recall >= 0.95);
}
