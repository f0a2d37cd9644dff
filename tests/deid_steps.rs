//! `deidentify` in steps (`fairsynth::deid::steps`): the Adult sample (with a pseudonymised
//! identifier and a redacted free-text column) cut into random chunks, each chunk's pass-1
//! counts and pass-2 state serialised (JSON) and merged by a random tree, gives the rows and
//! the report of one `deidentify` over the whole input; failures are the same errors.

mod common;

use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::types::Int32Type;
use arrow_array::{Array, RecordBatch};
use arrow_schema::DataType;
use fairsynth::deid::pseudo::Key;
use fairsynth::deid::run::{deidentify, DeidError, Options};
use fairsynth::deid::steps::{Counts, Plan, Released, Steps};
use fairsynth::io::read::{Format, Reader};
use fairsynth::io::{Input, Output};
use fairsynth::schema::Schema;
use proptest::prelude::*;

const KEY: &[u8] = b"steps-test-key-0123456789abcdef";

/// adult_deid.yaml plus `person_id` (pseudonymised) and `notes` (redacted); `privacy`
/// replaces its privacy section.
fn schema(privacy: Option<&str>) -> Schema {
    let root = common::root();
    let mut text =
        std::fs::read_to_string(root.join("tests/data/schemas/adult_deid.yaml")).expect("yaml");
    text = text.replacen(
        "fairness:",
        "  - {name: person_id, type: string, role: identifier, action: pseudonymise}\n  - {name: notes, type: string, nullable: true, action: redact}\nfairness:",
        1,
    );
    if let Some(p) = privacy {
        let (a, b) = (
            text.find("privacy:").expect("privacy"),
            text.find("quality:").expect("quality"),
        );
        text = format!("{}{p}{}", &text[..a], &text[b..]);
    }
    Schema::from_str_named(&text, "steps.yaml").expect("schema")
}

/// The sample with the two extra columns, typed as the schema reads it, in one batch.
fn data(schema: &Schema) -> RecordBatch {
    let root = common::root();
    let csv = std::fs::read_to_string(root.join("tests/data/adult_sample.csv")).expect("csv");
    let mut out = String::new();
    for (i, line) in csv.lines().enumerate() {
        if i == 0 {
            out.push_str(&format!("{line},person_id,notes\n"));
        } else {
            let note = if i % 5 == 0 {
                String::new()
            } else {
                format!("visit {i}: wrote to p.miller{i}@example.org")
            };
            out.push_str(&format!("{line},P{:05},{note}\n", (i * 7) % 1400));
        }
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("adult.csv");
    std::fs::write(&path, out).expect("write");
    let reader = Reader::open(&Input::file(&path, Format::Csv), schema).expect("open");
    let arrow = reader.schema();
    let batches: Vec<RecordBatch> = reader.map(|b| b.expect("batch")).collect();
    arrow_select::concat::concat_batches(&arrow, &batches).expect("concat")
}

fn key() -> Arc<Key> {
    Arc::new(Key::from_bytes(KEY).expect("key"))
}

/// One batch of the rows, dictionary columns decoded (label ids are an encoding detail).
fn decoded(batches: &[RecordBatch], schema: &arrow_schema::SchemaRef) -> RecordBatch {
    let fields: Vec<arrow_schema::Field> = schema
        .fields()
        .iter()
        .map(|f| match f.data_type() {
            DataType::Dictionary(_, v) => arrow_schema::Field::new(f.name(), (**v).clone(), true),
            _ => arrow_schema::Field::new(f.name(), f.data_type().clone(), true),
        })
        .collect();
    let plain = Arc::new(arrow_schema::Schema::new(fields));
    let cast: Vec<RecordBatch> = batches
        .iter()
        .map(|b| {
            let cols = b
                .columns()
                .iter()
                .zip(plain.fields())
                .map(|(c, _)| match c.data_type() {
                    DataType::Dictionary(..) => {
                        let d = c.as_dictionary::<Int32Type>();
                        arrow_select::take::take(d.values().as_ref(), d.keys(), None)
                            .expect("decode")
                    }
                    _ => c.clone(),
                })
                .collect();
            RecordBatch::try_new(plain.clone(), cols).expect("batch")
        })
        .collect();
    arrow_select::concat::concat_batches(&plain, &cast).expect("concat")
}

/// `deidentify` over the whole input: the report (JSON) and the rows.
fn whole(schema: &Schema, batch: &RecordBatch) -> Result<(serde_json::Value, RecordBatch), String> {
    let input = Input::Memory(
        fairsynth::io::Batches::new("adult", batch.schema(), vec![batch.clone()]).expect("batches"),
    );
    let opts = Options {
        key: Some(key()),
        ..Options::default()
    };
    let (report, written) =
        deidentify(&input, schema, &opts, Output::Memory, serde_json::json!({}))
            .map_err(|e| e.to_string())?;
    let rows = decoded(&written.batches, &written.schema);
    Ok((serde_json::to_value(&report).expect("json"), rows))
}

fn json_round<T: serde::Serialize + serde::de::DeserializeOwned>(t: &T) -> T {
    serde_json::from_slice(&serde_json::to_vec(t).expect("to json")).expect("from json")
}

/// Merges `states` (in row order) by a random binary tree.
fn merge_tree<T: Clone>(
    states: &[T],
    splits: &mut impl Iterator<Item = usize>,
    merge: &impl Fn(&mut T, T) -> Result<(), DeidError>,
) -> T {
    if states.len() == 1 {
        return states[0].clone();
    }
    let at = 1 + splits.next().unwrap_or(0) % (states.len() - 1);
    let mut left = merge_tree(&states[..at], splits, merge);
    let right = merge_tree(&states[at..], splits, merge);
    merge(&mut left, right).expect("merge");
    left
}

/// The steps on chunks `cuts` of `batch`, each chunk on its own `Steps` (as in another
/// process), states through JSON: the report (JSON) and the rows.
fn chunked(
    schema: &Schema,
    batch: &RecordBatch,
    cuts: &[usize],
    splits: &[usize],
) -> Result<(serde_json::Value, RecordBatch), String> {
    let n = batch.num_rows();
    let mut at: Vec<usize> = cuts.iter().map(|c| c % (n + 1)).collect();
    at.extend([0, n]);
    at.sort_unstable();
    at.dedup();
    let chunks: Vec<RecordBatch> = at
        .windows(2)
        .map(|w| batch.slice(w[0], w[1] - w[0]))
        .collect();
    let arrow = batch.schema();
    let e = |e: DeidError| e.to_string();
    let counts: Vec<Counts> = chunks
        .iter()
        .map(|c| {
            let steps = Steps::new(schema, &arrow).expect("steps");
            let mut counts = steps.counts();
            steps.count(&mut counts, c).expect("count");
            json_round(&counts)
        })
        .collect();
    let merged = merge_tree(&counts, &mut splits.iter().copied(), &Counts::merge);
    let driver = Steps::new(schema, &arrow).map_err(e)?;
    let judged = driver.judge(&merged).map_err(e)?;
    let k = key();
    let plan = driver.plan(&judged, Some(&k)).map_err(e)?;
    let plan_json = serde_json::to_string(&plan).expect("plan");
    assert!(plan_json.contains(&k.fingerprint()));
    let plan: Plan = serde_json::from_str(&plan_json).expect("plan back");
    let mut out = Vec::new();
    let mut states = Vec::new();
    for c in &chunks {
        let steps = Steps::new(schema, &arrow).expect("steps");
        steps.check_key(&plan, Some(&k)).expect("same key");
        let mut released = steps.released();
        out.extend(
            steps
                .transform(&plan, Some(&k), c, &mut released)
                .expect("transform"),
        );
        states.push(json_round(&released));
    }
    let released = merge_tree(&states, &mut splits.iter().rev().copied(), &Released::merge);
    let report = driver.report(&merged, judged, &plan);
    let report = driver.finish(report, released).map_err(e)?;
    let rows = decoded(&out, &driver.output_schema());
    Ok((serde_json::to_value(&report).expect("json"), rows))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    #[test]
    fn chunked_and_merged_steps_equal_one_run(
        cuts in prop::collection::vec(0usize..2100, 0..8),
        splits in prop::collection::vec(0usize..64, 0..16),
    ) {
        let s = schema(None);
        let batch = data(&s);
        let (want_report, want_rows) = whole(&s, &batch).expect("whole");
        let (got_report, got_rows) = chunked(&s, &batch, &cuts, &splits).expect("chunked");
        prop_assert_eq!(&got_report, &want_report);
        prop_assert_eq!(&got_rows, &want_rows);
        // The run did the work it should: generalised, suppressed, pseudonymised, redacted.
        prop_assert!(want_report["suppressed_rows"].as_u64().expect("suppressed") > 0);
        prop_assert!(want_rows.num_rows() > 1900);
        let notes = want_rows.column_by_name("notes").expect("notes");
        prop_assert!(notes.null_count() > 0);
    }
}

#[test]
fn gate_failures_and_unreachable_k_are_the_same_errors_in_steps() {
    let gate = schema(Some(
        "privacy:\n  k_anonymity: 5\n  max_unique_share: 0.05\n  unique_over: [age, sex, fnlwgt]\n",
    ));
    let batch = data(&gate);
    let want = whole(&gate, &batch).expect_err("the gate fails");
    assert!(want.contains("above privacy.max_unique_share"), "{want}");
    let got = chunked(&gate, &batch, &[100, 900, 1500], &[1, 2]).expect_err("fails too");
    assert_eq!(got, want);

    // k that cannot be reached: refused at the judgement, as one process refuses.
    let strict = schema(Some(
        "privacy:\n  k_anonymity: 500\n  max_suppression: 0.01\n",
    ));
    let batch = data(&strict);
    let want = whole(&strict, &batch).expect_err("k unreachable");
    assert!(want.contains("max_suppression"), "{want}");
    let got = chunked(&strict, &batch, &[700], &[]).expect_err("fails too");
    assert_eq!(got, want);
}

#[test]
fn a_chunk_with_another_key_is_refused() {
    let s = schema(None);
    let batch = data(&s);
    let steps = Steps::new(&s, &batch.schema()).expect("steps");
    let mut counts = steps.counts();
    steps.count(&mut counts, &batch).expect("count");
    let judged = steps.judge(&counts).expect("judge");
    let plan = steps.plan(&judged, Some(&key())).expect("plan");
    let other = Key::from_bytes(b"another-key-0123456789abcdef").expect("key");
    let e = steps.check_key(&plan, Some(&other)).expect_err("refused");
    assert!(
        e.to_string().contains("give every process the same key"),
        "{e}"
    );
    assert!(matches!(steps.plan(&judged, None), Err(DeidError::Key(_))));
}
