//! Every command on in-memory Arrow batches (`Input::Memory`, cut into uneven batch sizes)
//! gives what it gives on the file the batches came from: reweight weights, deidentify rows,
//! inspect's profile, the fitted model, evaluate's and audit's figures; synth and sample give
//! the same batches in memory as in their Parquet file.

mod common;

use std::fs::File;
use std::sync::Arc;

use arrow_array::RecordBatch;
use fairsynth::io::read::{Format, Reader};
use fairsynth::io::{Batches, Input, Output};
use fairsynth::schema::Schema;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::arrow::ArrowWriter;

/// Batch sizes the memory input is cut into (then the rest in one batch).
const SIZES: [usize; 6] = [1, 7, 300, 2, 999, 64];

struct Fixture {
    _dir: tempfile::TempDir,
    schema: Schema,
    /// The sample as Parquet (written from the typed batches).
    parquet: std::path::PathBuf,
    /// The same rows in uneven batches.
    memory: Input,
}

fn fixture(schema_path: &str) -> Fixture {
    let root = common::root();
    let schema = Schema::from_file(&root.join(schema_path)).expect("schema");
    let csv = root.join("tests/data/adult_sample.csv");
    let reader = Reader::open(&Input::file(&csv, Format::Csv), &schema).expect("open");
    let arrow = reader.schema();
    let typed: Vec<RecordBatch> = reader.map(|b| b.expect("batch")).collect();
    let whole = arrow_select::concat::concat_batches(&arrow, &typed).expect("concat");
    let dir = tempfile::tempdir().expect("tempdir");
    let parquet = dir.path().join("adult.parquet");
    let mut w = ArrowWriter::try_new(File::create(&parquet).expect("create"), arrow.clone(), None)
        .expect("writer");
    w.write(&whole).expect("write");
    w.close().expect("close");
    let mut cut = Vec::new();
    let mut at = 0;
    for n in SIZES.iter().copied().chain([usize::MAX]) {
        let n = n.min(whole.num_rows() - at);
        if n == 0 {
            break;
        }
        cut.push(whole.slice(at, n));
        at += n;
    }
    assert!(cut.len() > 5, "the sample is cut unevenly");
    Fixture {
        _dir: dir,
        schema,
        parquet: parquet.clone(),
        memory: Input::Memory(Batches::new("frame", arrow, cut).expect("batches")),
    }
}

fn file(f: &Fixture) -> Input {
    Input::file(&f.parquet, Format::Parquet)
}

/// One batch of everything written, without schema or field metadata (provenance names the
/// input).
fn rows_of(batches: &[RecordBatch]) -> RecordBatch {
    let fields: Vec<arrow_schema::Field> = batches[0]
        .schema()
        .fields()
        .iter()
        .map(|f| {
            f.as_ref()
                .clone()
                .with_metadata(std::collections::HashMap::new())
        })
        .collect();
    let schema = Arc::new(arrow_schema::Schema::new(fields));
    let plain: Vec<RecordBatch> = batches
        .iter()
        .map(|b| RecordBatch::try_new(schema.clone(), b.columns().to_vec()).expect("batch"))
        .collect();
    arrow_select::concat::concat_batches(&schema, &plain).expect("concat")
}

fn read_parquet(path: &std::path::Path) -> Vec<RecordBatch> {
    ParquetRecordBatchReaderBuilder::try_new(File::open(path).expect("open"))
        .expect("parquet")
        .build()
        .expect("reader")
        .map(|b| b.expect("batch"))
        .collect()
}

/// A report as JSON with the fields that name the input removed.
fn without_names(mut v: serde_json::Value, names: &[&str]) -> serde_json::Value {
    fn strip(v: &mut serde_json::Value, names: &[&str]) {
        match v {
            serde_json::Value::Object(m) => {
                for n in names {
                    m.remove(*n);
                }
                for x in m.values_mut() {
                    strip(x, names);
                }
            }
            serde_json::Value::Array(a) => a.iter_mut().for_each(|x| strip(x, names)),
            _ => {}
        }
    }
    strip(&mut v, names);
    v
}

#[test]
fn reweight_weights_equal_the_files() {
    let f = fixture("schemas/adult.yaml");
    let opts = fairsynth::reweight::Options {
        targets: f.schema.targets.clone(),
        ..Default::default()
    };
    let run = |input: &Input| {
        let (report, written) = fairsynth::reweight::reweight(
            input,
            &f.schema,
            &opts,
            Output::Memory,
            serde_json::json!({}),
        )
        .expect("reweight");
        (
            serde_json::to_value(&report).expect("json"),
            rows_of(&written.batches),
        )
    };
    let (a, rows_a) = run(&file(&f));
    let (b, rows_b) = run(&f.memory);
    assert_eq!(a, b);
    assert_eq!(rows_a, rows_b);
    assert_eq!(rows_a.num_rows(), 2036);
    // Resampling walks the rows in order: the same draw from uneven batches.
    let resample = fairsynth::reweight::Options {
        resample: Some(500),
        seed: 3,
        ..opts.clone()
    };
    let draw = |input: &Input| {
        let (_, w) = fairsynth::reweight::reweight(
            input,
            &f.schema,
            &resample,
            Output::Memory,
            serde_json::json!({}),
        )
        .expect("resample");
        rows_of(&w.batches)
    };
    assert_eq!(draw(&file(&f)), draw(&f.memory));
}

#[test]
fn deidentify_rows_equal_the_files() {
    let f = fixture("tests/data/schemas/adult_deid.yaml");
    let opts = fairsynth::deid::run::Options::default();
    let run = |input: &Input| {
        let (report, written) = fairsynth::deid::run::deidentify(
            input,
            &f.schema,
            &opts,
            Output::Memory,
            serde_json::json!({}),
        )
        .expect("deidentify");
        (
            serde_json::to_value(&report).expect("json"),
            rows_of(&written.batches),
        )
    };
    let (a, rows_a) = run(&file(&f));
    let (b, rows_b) = run(&f.memory);
    assert_eq!(a, b);
    assert_eq!(rows_a, rows_b);
    assert!(a["anonymity"]["k_achieved"].as_u64().expect("k") >= 5);
}

#[test]
fn inspect_profile_equals_the_files() {
    let f = fixture("schemas/adult.yaml");
    let a = fairsynth::deid::inspect::inspect(&file(&f), Some(&f.schema)).expect("file");
    let b = fairsynth::deid::inspect::inspect(&f.memory, Some(&f.schema)).expect("memory");
    let json = |i: &fairsynth::deid::inspect::Inspection| {
        without_names(
            serde_json::to_value(i).expect("json"),
            &["input", "read_as"],
        )
    };
    assert_eq!(json(&a), json(&b));
    // Only the file is read from a file.
    assert!(a.read_as.is_some() && b.read_as.is_none());
    assert_eq!(a.rows, 2036);
    assert_eq!(
        fairsynth::deid::inspect::category_levels(&file(&f), &a).expect("file"),
        fairsynth::deid::inspect::category_levels(&f.memory, &b).expect("memory")
    );
}

#[test]
fn fit_model_and_its_samples_equal_the_files() {
    let f = fixture("schemas/adult.yaml");
    let yaml = std::fs::read_to_string(common::root().join("schemas/adult.yaml")).expect("yaml");
    let opts = fairsynth::model::FitOptions::default();
    let mut a = fairsynth::model::fit_input(&file(&f), &f.schema, &yaml, &opts).expect("file");
    let b = fairsynth::model::fit_input(&f.memory, &f.schema, &yaml, &opts).expect("memory");
    assert_eq!(b.fit.input, "frame");
    // Only the provenance of the input differs.
    a.fit.input = b.fit.input.clone();
    a.fit.input_sha256 = b.fit.input_sha256.clone();
    assert_eq!(a, b);
    // The counts and bins from per-batch summaries, merged.
    let Input::Memory(batches) = &f.memory else {
        unreachable!()
    };
    let mut summary = fairsynth::model::FitSummary::new(&f.schema);
    for batch in batches.batches() {
        let mut s = fairsynth::model::FitSummary::new(&f.schema);
        s.add(&f.schema, batch).expect("summary");
        summary.merge(s).expect("merge");
    }
    assert_eq!(
        summary.variables(&f.schema, &opts).expect("variables"),
        b.variables
    );

    // Sampling to memory gives the batches of the Parquet file.
    let sampler = fairsynth::model::Sampler::new(
        &b,
        &fairsynth::model::SampleOptions {
            seed: 5,
            targets: Vec::new(),
            fairness: true,
        },
    )
    .expect("sampler");
    let options = fairsynth::synth::WriteOptions::default();
    let out = f._dir.path().join("sample.parquet");
    fairsynth::synth::write(
        &sampler,
        3000,
        Output::Parquet(&out),
        &options,
        &serde_json::json!({}),
        &|_| {},
    )
    .expect("sample file");
    let mem = fairsynth::synth::write(
        &sampler,
        3000,
        Output::Memory,
        &options,
        &serde_json::json!({}),
        &|_| {},
    )
    .expect("sample memory");
    assert_eq!(mem.rows, 3000);
    assert_eq!(rows_of(&mem.batches), rows_of(&read_parquet(&out)));
}

#[test]
fn synth_batches_equal_the_files() {
    let schema = Schema::from_file(&common::root().join("schemas/customers.yaml")).expect("schema");
    let synth = fairsynth::synth::Synthesizer::new(&schema, 11).expect("synth");
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("s.parquet");
    let options = fairsynth::synth::WriteOptions::default();
    let prov = serde_json::json!({"command": "synth"});
    fairsynth::synth::write(
        &synth,
        70_000,
        Output::Parquet(&out),
        &options,
        &prov,
        &|_| {},
    )
    .expect("file");
    let mem = fairsynth::synth::write(&synth, 70_000, Output::Memory, &options, &prov, &|_| {})
        .expect("memory");
    assert_eq!(rows_of(&mem.batches), rows_of(&read_parquet(&out)));
    // Provenance travels in the batches' schema metadata.
    assert!(mem
        .schema
        .metadata()
        .contains_key(fairsynth::io::METADATA_KEY));
}

#[test]
fn evaluate_and_audit_figures_equal_the_files() {
    let f = fixture("schemas/adult.yaml");
    // A "synthetic" table: the real rows in another order is enough to compare figures.
    let synthetic = {
        let Input::Memory(b) = &f.memory else {
            unreachable!()
        };
        let mut rev: Vec<RecordBatch> = b.batches().to_vec();
        rev.reverse();
        Input::Memory(Batches::new("synthetic", b.schema(), rev).expect("batches"))
    };
    let names = ["file", "path", "real", "synthetic", "holdout", "input"];
    let eval = |real: Input| {
        let opts = fairsynth::evaluate::Options {
            real,
            synthetic: synthetic.clone(),
            holdout: None,
            quality: f.schema.quality,
            seed: 1,
            targets: fairsynth::evaluate::Targets::Recorded,
        };
        let r = fairsynth::evaluate::evaluate(&f.schema, &opts).expect("evaluate");
        without_names(serde_json::to_value(&r).expect("json"), &names)
    };
    let a = eval(file(&f));
    assert_eq!(a, eval(f.memory.clone()));
    assert!(a["fidelity"]["overall"].as_f64().is_some(), "{a}");

    let audit = |input: Input| {
        let opts = fairsynth::audit::Options {
            input,
            targets: f.schema.targets.clone(),
            quality: f.schema.quality,
            as_of: 20_000,
            baseline: None,
        };
        let r = fairsynth::audit::audit(&f.schema, &opts).expect("audit");
        without_names(serde_json::to_value(&r).expect("json"), &names)
    };
    assert_eq!(audit(file(&f)), audit(f.memory.clone()));
}

#[test]
fn fidelity_from_per_batch_states_equals_evaluate() {
    use fairsynth::evaluate::state::{fidelity, ColumnCounts, FidelityPlan, PairCounts};
    let f = fixture("schemas/adult.yaml");
    let Input::Memory(real) = &f.memory else {
        unreachable!()
    };
    // The synthetic table: the real batches in reverse order.
    let mut rev: Vec<RecordBatch> = real.batches().to_vec();
    rev.reverse();
    let synthetic =
        Input::Memory(Batches::new("synthetic", real.schema(), rev.clone()).expect("b"));
    let report = fairsynth::evaluate::evaluate(
        &f.schema,
        &fairsynth::evaluate::Options {
            real: file(&f),
            synthetic,
            holdout: None,
            quality: f.schema.quality,
            seed: 1,
            targets: fairsynth::evaluate::Targets::Recorded,
        },
    )
    .expect("evaluate");
    let names = report.columns.clone();
    // Each batch its own state, merged one by one.
    let pass1 = |batches: &[RecordBatch]| {
        let mut all = ColumnCounts::new(&f.schema, &names);
        for b in batches {
            let mut c = ColumnCounts::new(&f.schema, &names);
            c.add(&f.schema, b).expect("count");
            all.merge(c).expect("merge");
        }
        all
    };
    let (cr, cs) = (pass1(real.batches()), pass1(&rev));
    let plan = FidelityPlan::new(&cr, &cs).expect("plan");
    let pass2 = |batches: &[RecordBatch]| {
        let mut all = PairCounts::new(&plan);
        for b in batches {
            let mut p = PairCounts::new(&plan);
            p.add(&plan, &f.schema, b).expect("pairs");
            all.merge(p).expect("merge");
        }
        all
    };
    let got = fidelity(&plan, &cr, &cs, &pass2(real.batches()), &pass2(&rev)).expect("fidelity");
    let want = &report.fidelity;
    assert_eq!(
        serde_json::to_value(&got.columns).expect("json"),
        serde_json::to_value(&want.columns).expect("json")
    );
    assert_eq!(got.pairs.len(), want.pairs.len());
    let mut correlations = 0;
    for (g, w) in got.pairs.iter().zip(&want.pairs) {
        assert_eq!((&g.columns, g.metric), (&w.columns, w.metric));
        if g.metric == "correlation" {
            correlations += 1;
            assert!((g.score - w.score).abs() < 1e-12, "{g:?} vs {w:?}");
        } else {
            assert_eq!(g.score.to_bits(), w.score.to_bits(), "{g:?} vs {w:?}");
        }
    }
    assert!(correlations > 0);
    assert!((got.overall - want.overall).abs() < 1e-12);
}

#[test]
fn class_counts_per_batch_merged_choose_deidentifys_generalisation() {
    use fairsynth::deid::classes::ClassCounter;
    use fairsynth::deid::kanon::Combos;
    let f = fixture("tests/data/schemas/adult_deid.yaml");
    let Input::Memory(b) = &f.memory else {
        unreachable!()
    };
    let counter = ClassCounter::new(&f.schema, &b.schema());
    assert_eq!(counter.quasi_identifiers().len(), 2);
    let mut merged = Combos::default();
    for batch in b.batches().iter().rev() {
        let mut c = Combos::default();
        counter.add(&mut c, batch).expect("count");
        // Each chunk's counts travel as JSON.
        let c: Combos = serde_json::from_str(&serde_json::to_string(&c).expect("json")).expect("c");
        merged.merge(c);
    }
    assert_eq!(merged.rows(), 2036);
    let chosen = counter
        .search(&merged)
        .expect("quasi-identifiers")
        .expect("k reachable");
    let (report, _) = fairsynth::deid::run::deidentify(
        &f.memory,
        &f.schema,
        &fairsynth::deid::run::Options::default(),
        Output::Memory,
        serde_json::json!({}),
    )
    .expect("deidentify");
    assert_eq!(
        serde_json::to_value(&chosen).expect("json"),
        serde_json::to_value(report.anonymity.as_ref().expect("anonymity")).expect("json")
    );
}

#[test]
fn fit_summary_chooses_the_differentially_private_models_variables() {
    let f = fixture("schemas/adult_dp.yaml");
    let yaml = std::fs::read_to_string(common::root().join("schemas/adult_dp.yaml")).expect("yaml");
    let opts = fairsynth::model::FitOptions {
        epsilon: Some(1.0),
        seed: 3,
        ..Default::default()
    };
    let model = fairsynth::model::fit_input(&f.memory, &f.schema, &yaml, &opts).expect("fit");
    let Input::Memory(batches) = &f.memory else {
        unreachable!()
    };
    let mut summary = fairsynth::model::FitSummary::new(&f.schema);
    for batch in batches.batches().iter().rev() {
        let mut s = fairsynth::model::FitSummary::new(&f.schema);
        s.add(&f.schema, batch).expect("summary");
        summary.merge(s).expect("merge");
    }
    assert_eq!(
        summary.variables(&f.schema, &opts).expect("variables"),
        model.variables
    );
}
