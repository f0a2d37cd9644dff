//! `fit` and `sample` on real data (tests/data/adult_sample.csv, 2,036 rows of UCI Adult):
//! fidelity against the real table and against independent columns, no raw records in the
//! model, targets and label parity in the sample, determinism, differential-privacy noise, and
//! the errors users meet.

use std::fs;
use std::path::Path;

use fairsynth::io::read::{Format, Input};
use fairsynth::io::table::{Table, Values, NULL};
use fairsynth::metrics;
use fairsynth::model::{fit, FitOptions, Model, SampleOptions, Sampler, OTHER};
use fairsynth::schema::Schema;
use fairsynth::synth::{write_parquet, BlockSource, WriteOptions};
use predicates::prelude::*;

mod common;
use common::{fairsynth, root};

const SAMPLE: &str = "tests/data/adult_sample.csv";
const ADULT: &str = "schemas/adult.yaml";

/// Adult columns the model keeps (`fnlwgt` is the survey weight).
const MODELLED: [&str; 15] = [
    "age",
    "workclass",
    "education",
    "education_num",
    "marital_status",
    "occupation",
    "relationship",
    "race",
    "sex",
    "capital_gain",
    "capital_loss",
    "hours_per_week",
    "native_country",
    "income",
    "split",
];

fn adult_schema() -> (Schema, String) {
    let yaml = fs::read_to_string(root().join(ADULT)).expect("schema");
    (
        Schema::from_str_named(&yaml, ADULT).expect("valid schema"),
        yaml,
    )
}

/// The schema restricted to the modelled columns, for reading real and synthetic tables alike.
fn modelled_schema(schema: &Schema) -> Schema {
    Schema {
        columns: schema
            .columns
            .iter()
            .filter(|c| MODELLED.contains(&c.name.as_str()))
            .cloned()
            .collect(),
        ..schema.clone()
    }
}

fn load(path: &Path, schema: &Schema) -> Table {
    let format = Format::detect(path).expect("format");
    Table::load(
        &Input::file(path, format),
        &modelled_schema(schema),
        &MODELLED,
    )
    .expect("load")
}

fn fit_adult(opts: &FitOptions) -> Model {
    let (schema, yaml) = adult_schema();
    fairsynth::model::fit_file(&root().join(SAMPLE), Format::Csv, &schema, &yaml, opts)
        .expect("fit")
}

fn sample_to(model: &Model, opts: &SampleOptions, rows: u64, out: &Path) {
    let sampler = Sampler::new(model, opts).expect("sampler");
    write_parquet(
        &sampler,
        rows,
        out,
        &WriteOptions::default(),
        &serde_json::json!({}),
        &|_| {},
    )
    .expect("write");
}

/// Text values of a column (nulls as `None`).
fn texts(t: &Table, name: &str) -> Vec<Option<String>> {
    match &t.column(name).expect("column").values {
        Values::Cat { codes, levels } => codes
            .iter()
            .map(|&c| (c != NULL).then(|| levels[c as usize].clone()))
            .collect(),
        Values::Num(v) => v
            .iter()
            .map(|x| (!x.is_nan()).then(|| x.to_string()))
            .collect(),
    }
}

fn numbers(t: &Table, name: &str) -> Vec<f64> {
    match &t.column(name).expect("column").values {
        Values::Num(v) => v.iter().copied().filter(|x| !x.is_nan()).collect(),
        _ => panic!("{name} is not numeric"),
    }
}

fn label(v: &Option<String>) -> String {
    v.clone().unwrap_or_else(|| "(null)".into())
}

/// Column score as SDMetrics defines it: 1 - TVD (categorical) or 1 - KS (numeric).
fn column_score(real: &Table, syn: &Table, name: &str) -> f64 {
    if real.column(name).expect("column").is_numeric() {
        1.0 - metrics::ks_statistic(&numbers(real, name), &numbers(syn, name)).expect("KS")
    } else {
        let a: Vec<String> = texts(real, name).iter().map(label).collect();
        let b: Vec<String> = texts(syn, name).iter().map(label).collect();
        1.0 - metrics::tvd(&a, &b)
    }
}

/// Contingency similarity of two categorical columns.
fn pair_score(real: &Table, syn: &Table, x: &str, y: &str) -> f64 {
    let pairs = |t: &Table| -> Vec<(String, String)> {
        texts(t, x)
            .iter()
            .zip(texts(t, y).iter())
            .map(|(a, b)| (label(a), label(b)))
            .collect()
    };
    metrics::contingency_similarity(&pairs(real), &pairs(syn))
}

const CATEGORICAL: [&str; 10] = [
    "workclass",
    "education",
    "marital_status",
    "occupation",
    "relationship",
    "race",
    "sex",
    "native_country",
    "income",
    "split",
];

/// Rate of `income == ">50K"` per sex.
fn income_rates(t: &Table) -> (f64, f64) {
    let sex = texts(t, "sex");
    let income = texts(t, "income");
    let mut n = [0.0f64; 2];
    let mut k = [0.0f64; 2];
    for (s, y) in sex.iter().zip(&income) {
        let g = usize::from(s.as_deref() == Some("Male"));
        n[g] += 1.0;
        if y.as_deref() == Some(">50K") {
            k[g] += 1.0;
        }
    }
    (k[0] / n[0], k[1] / n[1])
}

#[test]
fn fidelity_beats_independent_columns_and_meets_bounds() {
    let (schema, _) = adult_schema();
    let dir = tempfile::tempdir().expect("tempdir");
    let model = fit_adult(&FitOptions::default());
    let out = dir.path().join("s.parquet");
    // The real label dependence is kept here (no fairness) to measure fidelity alone.
    sample_to(
        &model,
        &SampleOptions {
            seed: 3,
            ..Default::default()
        },
        20_000,
        &out,
    );
    let real = load(&root().join(SAMPLE), &schema);
    let syn = load(&out, &schema);
    assert_eq!(syn.rows, 20_000);

    let scores: Vec<(&str, f64)> = MODELLED
        .iter()
        .map(|c| (*c, column_score(&real, &syn, c)))
        .collect();
    let mean = scores.iter().map(|s| s.1).sum::<f64>() / scores.len() as f64;
    for (c, s) in &scores {
        assert!(*s >= 0.85, "column {c}: score {s:.3}");
    }
    assert!(mean >= 0.93, "mean column score {mean:.3}: {scores:?}");

    // Pairs: the model keeps relations that independent columns lose.
    let mut model_pairs = 0.0;
    let mut indep_pairs = 0.0;
    let mut n = 0.0;
    // Independent columns: each column of the real table shuffled on its own.
    let shuffled = shuffle_columns(&real);
    for (i, x) in CATEGORICAL.iter().enumerate() {
        for y in &CATEGORICAL[i + 1..] {
            model_pairs += pair_score(&real, &syn, x, y);
            indep_pairs += pair_score(&real, &shuffled, x, y);
            n += 1.0;
        }
    }
    let (model_pairs, indep_pairs) = (model_pairs / n, indep_pairs / n);
    assert!(model_pairs >= 0.85, "pair score {model_pairs:.3}");
    assert!(
        model_pairs > indep_pairs + 0.03,
        "model {model_pairs:.3} vs independent columns {indep_pairs:.3}"
    );
    // A strong relation in Adult: relationship (Husband/Wife) and sex.
    let rs = pair_score(&real, &syn, "relationship", "sex");
    let rs_indep = pair_score(&real, &shuffled, "relationship", "sex");
    assert!(rs > 0.9 && rs_indep < 0.8, "{rs:.3} vs {rs_indep:.3}");
}

/// Each column permuted by its own rotation: marginals kept, relations broken.
fn shuffle_columns(t: &Table) -> Table {
    let mut out = t.clone();
    for (k, c) in out.columns.iter_mut().enumerate() {
        let shift = (k * 7919 + 1013) % t.rows.max(1);
        match &mut c.values {
            Values::Num(v) => v.rotate_left(shift),
            Values::Cat { codes, .. } => codes.rotate_left(shift),
        }
    }
    out
}

#[test]
fn the_model_holds_no_rare_category_and_no_identifier() {
    let model = fit_adult(&FitOptions::default());
    let (schema, _) = adult_schema();
    let real = load(&root().join(SAMPLE), &schema);
    for v in &model.variables {
        if let fairsynth::model::VarKind::Categorical { levels } = &v.kind {
            let declared = schema
                .column(&v.name)
                .and_then(|c| c.levels.clone())
                .unwrap_or_default();
            let values = texts(&real, &v.name);
            for l in levels {
                if l == OTHER || declared.contains(l) {
                    continue;
                }
                let n = values.iter().filter(|x| x.as_deref() == Some(l)).count();
                assert!(n >= 10, "{}: level {l} seen in {n} rows", v.name);
            }
        }
    }
    // native_country has rare levels in the sample: they are merged.
    let nc = model.variable("native_country").expect("modelled");
    match &model.variables[nc].kind {
        fairsynth::model::VarKind::Categorical { levels } => {
            assert!(levels.contains(&OTHER.to_string()));
            assert!(!levels.iter().any(|l| l == "Holand-Netherlands"));
        }
        k => panic!("{k:?}"),
    }
    // The weight column is not modelled.
    assert!(model.variable("fnlwgt").is_none());
    assert!(model.dropped.iter().any(|d| d.column == "fnlwgt"));
    // The schema's bounds (age: 17..90) clamp; the bins cover the data's own range.
    let age = model.variable("age").expect("age");
    match &model.variables[age].kind {
        fairsynth::model::VarKind::Numeric { bins, integer, .. } => {
            assert!(*integer);
            assert_eq!(bins.first().map(|b| b.lo), Some(17.0));
            assert!(bins.last().is_some_and(|b| b.hi <= 91.0));
            // No bin straddles a schema edge, so targets on age bands stay exact.
            for e in [25.0, 35.0, 45.0, 55.0, 65.0] {
                for b in bins {
                    let top = b.points.iter().map(|p| p.value).fold(b.hi, f64::max);
                    let top = if b.spread > 0.0 { b.hi - 1.0 } else { top };
                    assert!(top < e || b.lo >= e, "edge {e}: {b:?}");
                }
            }
        }
        k => panic!("{k:?}"),
    }
}

#[test]
fn identifiers_are_regenerated_or_dropped_never_modelled() {
    let dir = tempfile::tempdir().expect("tempdir");
    let yaml = "version: 1\nname: people\ncolumns:\n  - {name: id, type: string, role: identifier, generator: {kind: uuid}}\n  - {name: email, type: string, role: identifier}\n  - {name: group, type: category, role: protected, levels: [a, b]}\n  - {name: score, type: float}\n";
    let schema = Schema::from_str_named(yaml, "people.yaml").expect("schema");
    let csv = dir.path().join("people.csv");
    let mut text = String::from("id,email,group,score\n");
    for i in 0..500 {
        text.push_str(&format!(
            "cust-{i:05},person{i}@example.org,{},{}\n",
            if i % 3 == 0 { "a" } else { "b" },
            f64::from(i) * 0.37
        ));
    }
    fs::write(&csv, text).expect("csv");
    let model =
        fairsynth::model::fit_file(&csv, Format::Csv, &schema, yaml, &FitOptions::default())
            .expect("fit");
    assert_eq!(model.regenerated, vec!["id".to_string()]);
    assert!(model.dropped.iter().any(|d| d.column == "email"));
    let json = serde_json::to_string(&model).expect("json");
    assert!(!json.contains("cust-0") && !json.contains("@example.org"));

    let sampler = Sampler::new(&model, &SampleOptions::default()).expect("sampler");
    let batch = sampler.block(0, 100).expect("block");
    let names: Vec<String> = batch
        .schema()
        .fields()
        .iter()
        .map(|f| f.name().clone())
        .collect();
    assert_eq!(names, ["id", "group", "score"]);
    let ids = fairsynth::io::read::texts(batch.column(0));
    assert!(ids
        .iter()
        .flatten()
        .all(|s| s.len() == 36 && !s.starts_with("cust-")));
}

#[test]
fn targets_are_hit_within_sampling_error_and_the_label_is_fair() {
    let (schema, _) = adult_schema();
    let dir = tempfile::tempdir().expect("tempdir");
    let model = fit_adult(&FitOptions::default());
    let n = 100_000u64;
    let out = dir.path().join("fair.parquet");
    sample_to(
        &model,
        &SampleOptions {
            seed: 11,
            targets: schema.targets.clone(),
            fairness: true,
        },
        n,
        &out,
    );
    let syn = load(&out, &schema);
    for t in &schema.targets {
        let values: Vec<String> = if t.column == "age" {
            let bins = schema
                .column("age")
                .and_then(|c| c.bins.clone())
                .expect("bins");
            numbers(&syn, "age")
                .iter()
                .map(|a| bins.labels[bins.band(*a).expect("in range")].clone())
                .collect()
        } else {
            texts(&syn, &t.column).iter().map(label).collect()
        };
        for (level, share) in &t.shares {
            let got = values.iter().filter(|v| *v == level).count() as f64 / n as f64;
            let sd = (share * (1.0 - share) / n as f64).sqrt();
            // Systematic sampling of the head keeps shares far inside sampling error.
            assert!((got - share).abs() <= 1e-3, "{}={level}: {got}", t.column);
            assert!(
                (got - share).abs() <= 4.0 * sd + 1e-9,
                "{}={level}: {got:.4} vs target {share} (4 sd = {:.4})",
                t.column,
                4.0 * sd
            );
        }
    }
    let (female, male) = income_rates(&syn);
    let di = female / male;
    assert!(
        (0.95..=1.05).contains(&di),
        "DI {di:.3} ({female:.3} / {male:.3})"
    );
    // The overall label rate is the data's.
    let real = load(&root().join(SAMPLE), &schema);
    let rate = |t: &Table| {
        let v = texts(t, "income");
        v.iter().filter(|y| y.as_deref() == Some(">50K")).count() as f64 / v.len() as f64
    };
    assert!(
        (rate(&syn) - rate(&real)).abs() < 0.02,
        "{} vs {}",
        rate(&syn),
        rate(&real)
    );

    // Without fairness the data's bias survives: the repair above is the sampler's doing.
    let biased = dir.path().join("biased.parquet");
    sample_to(
        &model,
        &SampleOptions {
            seed: 11,
            targets: Vec::new(),
            fairness: false,
        },
        n,
        &biased,
    );
    let (f, m) = income_rates(&load(&biased, &schema));
    assert!(f / m < 0.6, "DI without repair {:.3}", f / m);
    // Features keep their relation to the label in both: hours per week differ by income.
    for path in [&out, &biased] {
        let t = load(path, &schema);
        let hours = numbers(&t, "hours_per_week");
        let income = texts(&t, "income");
        let mean = |want: &str| {
            let v: Vec<f64> = hours
                .iter()
                .zip(&income)
                .filter(|(_, y)| y.as_deref() == Some(want))
                .map(|(h, _)| *h)
                .collect();
            v.iter().sum::<f64>() / v.len() as f64
        };
        assert!(mean(">50K") > mean("<=50K") + 3.0, "{}", path.display());
    }
}

#[test]
fn fit_and_sample_are_deterministic_at_any_thread_count() {
    let dir = tempfile::tempdir().expect("tempdir");
    let model = dir.path().join("m.json");
    let mut models = Vec::new();
    for threads in ["1", "2"] {
        let path = dir.path().join(format!("m{threads}.json"));
        fairsynth()
            .args([
                "fit",
                SAMPLE,
                "--schema",
                ADULT,
                "--seed",
                "5",
                "--threads",
                threads,
            ])
            .arg("-o")
            .arg(&path)
            .assert()
            .success();
        models.push(fs::read(&path).expect("model"));
    }
    assert!(models[0] == models[1], "models differ by thread count");
    fs::write(&model, &models[0]).expect("copy");
    let mut outs = Vec::new();
    for threads in ["1", "2"] {
        let out = dir.path().join(format!("s{threads}.parquet"));
        // 300,000 rows: two row groups, five blocks, so parallel encoding is exercised.
        fairsynth()
            .arg("sample")
            .arg(&model)
            .args([
                "--rows",
                "300000",
                "--seed",
                "9",
                "--threads",
                threads,
                "--quiet",
            ])
            .arg("--schema-targets")
            .arg("-o")
            .arg(&out)
            .assert()
            .success();
        outs.push(fs::read(&out).expect("output"));
    }
    assert!(outs[0] == outs[1], "samples differ by thread count");
    // Another seed gives another table.
    let other = dir.path().join("other.parquet");
    fairsynth()
        .arg("sample")
        .arg(&model)
        .args(["--rows", "1000", "--seed", "10", "-q", "-o"])
        .arg(&other)
        .assert()
        .success();
    let first = dir.path().join("first.parquet");
    fairsynth()
        .arg("sample")
        .arg(&model)
        .args(["--rows", "1000", "--seed", "9", "-q", "-o"])
        .arg(&first)
        .assert()
        .success();
    assert!(fs::read(&other).expect("o") != fs::read(&first).expect("f"));
}

#[test]
fn a_large_domain_table_yields_no_exact_copies() {
    // A synthetic "real" table with continuous columns: any copied row would show.
    let dir = tempfile::tempdir().expect("tempdir");
    let yaml = "version: 1\nname: wide\ncolumns:\n  - {name: group, type: category, role: protected, shares: {a: 0.3, b: 0.7}}\n  - {name: income, type: float, distribution: {kind: lognormal, mu: 10, sigma: 0.5}}\n  - {name: balance, type: float, distribution: {kind: normal, mean: 1000, sd: 300}}\n  - {name: visits, type: int, distribution: {kind: poisson, lambda: 12}}\n  - {name: churned, type: bool, role: label, probability: 0.2}\n";
    let schema = Schema::from_str_named(yaml, "wide.yaml").expect("schema");
    let real_path = dir.path().join("real.parquet");
    let synth = fairsynth::synth::Synthesizer::new(&schema, 1).expect("synth");
    write_parquet(
        &synth,
        5000,
        &real_path,
        &WriteOptions::default(),
        &serde_json::json!({}),
        &|_| {},
    )
    .expect("real");
    let model = fairsynth::model::fit_file(
        &real_path,
        Format::Parquet,
        &schema,
        yaml,
        &FitOptions::default(),
    )
    .expect("fit");
    let out = dir.path().join("syn.parquet");
    sample_to(&model, &SampleOptions::default(), 20_000, &out);
    let cols = ["group", "income", "balance", "visits", "churned"];
    let real =
        Table::load(&Input::file(&real_path, Format::Parquet), &schema, &cols).expect("real");
    let syn = Table::load(&Input::file(&out, Format::Parquet), &schema, &cols).expect("syn");
    let row = |t: &Table, i: usize| -> String {
        t.columns
            .iter()
            .map(|c| match &c.values {
                Values::Num(v) => v[i].to_bits().to_string(),
                Values::Cat { codes, levels } => levels[codes[i] as usize].clone(),
            })
            .collect::<Vec<_>>()
            .join("|")
    };
    let seen: std::collections::HashSet<String> = (0..real.rows).map(|i| row(&real, i)).collect();
    let copies = (0..syn.rows)
        .filter(|i| seen.contains(&row(&syn, *i)))
        .count();
    assert_eq!(copies, 0);
    // The model's numeric values are not the data's: fewer than 1% of synthetic incomes equal
    // a real income.
    let real_income: std::collections::HashSet<u64> = match &real.columns[1].values {
        Values::Num(v) => v.iter().map(|x| x.to_bits()).collect(),
        _ => panic!("numeric"),
    };
    let same = match &syn.columns[1].values {
        Values::Num(v) => v
            .iter()
            .filter(|x| real_income.contains(&x.to_bits()))
            .count(),
        _ => panic!("numeric"),
    };
    assert!(same < 200, "{same} synthetic incomes equal a real one");
}

/// A table of two protected columns and a label, built in memory, with large cells.
fn dp_table() -> (Table, Schema, String) {
    let yaml = "version: 1\nname: dp\ncolumns:\n  - {name: sex, type: category, role: protected, levels: [f, m]}\n  - {name: y, type: category, role: label, levels: [no, yes]}\n  - {name: age, type: int, min: 18, max: 80}\n  - {name: region, type: category, levels: [n, s, e, w]}\n";
    let schema = Schema::from_str_named(yaml, "dp.yaml").expect("schema");
    let rows = 20_000usize;
    let cat = |levels: &[&str], f: &dyn Fn(usize) -> u32| Values::Cat {
        codes: (0..rows).map(f).collect(),
        levels: levels.iter().map(|s| s.to_string()).collect(),
    };
    let table = Table {
        rows,
        columns: vec![
            fairsynth::io::table::TableColumn {
                name: "sex".into(),
                ty: schema.columns[0].ty,
                values: cat(&["f", "m"], &|i| (i % 2) as u32),
            },
            fairsynth::io::table::TableColumn {
                name: "y".into(),
                ty: schema.columns[1].ty,
                values: cat(&["no", "yes"], &|i| u32::from(i % 5 < 2)),
            },
            fairsynth::io::table::TableColumn {
                name: "age".into(),
                ty: schema.columns[2].ty,
                values: Values::Num((0..rows).map(|i| 18.0 + (i * 7 % 63) as f64).collect()),
            },
            fairsynth::io::table::TableColumn {
                name: "region".into(),
                ty: schema.columns[3].ty,
                values: cat(&["n", "s", "e", "w"], &|i| (i / 3 % 4) as u32),
            },
        ],
    };
    (table, schema, yaml.to_string())
}

#[test]
fn dp_ledger_accounts_for_the_whole_budget() {
    use fairsynth::model::private::account;
    use fairsynth::model::DpMechanism;
    let (table, schema, yaml) = dp_table();
    for (epsilon, delta) in [(0.5, 1e-9), (2.0, 1e-6)] {
        for seed in 0..5 {
            let m = fit(
                &table,
                &schema,
                &yaml,
                &FitOptions {
                    seed,
                    epsilon: Some(epsilon),
                    delta,
                    ..FitOptions::default()
                },
            )
            .expect("dp fit");
            let l = m.privacy.as_ref().expect("ledger");
            assert_eq!(l.delta, delta);
            // The total rho re-derived from the entries, each from its noise and count.
            let mut rho = 0.0;
            for e in &l.entries {
                let r = match e.mechanism.as_str() {
                    "gaussian" => account::gaussian_rho(e.scale, e.tables),
                    "exponential" => account::exponential_rho(e.scale, e.tables),
                    other => panic!("mechanism {other}"),
                };
                assert!((r - e.rho).abs() <= 1e-12 * r.max(1.0), "{e:?}");
                assert!((e.epsilon - account::epsilon_of_rho(e.rho, delta)).abs() < 1e-9);
                rho += r;
            }
            let total = l.rho.expect("rho");
            assert!((rho - total).abs() <= 1e-12, "{rho} vs {total}");
            // The discretisation's histogram of `age` (the one numeric column) is a query of
            // the ledger, with its share of the budget.
            let h = l
                .entries
                .iter()
                .find(|e| e.purpose.contains("histogram per numeric column"))
                .expect("histogram entry");
            assert_eq!((h.tables, h.mechanism.as_str()), (1, "gaussian"));
            assert!(
                (h.rho / total - fairsynth::model::private::SHARE_DISCRETISE).abs() < 1e-9,
                "{h:?}"
            );
            // The (epsilon, delta) of the whole is the conversion of the total rho, and
            // spends the budget asked for (to the bisection's precision), never more.
            let eps = account::epsilon_of_rho(total, delta);
            assert!((eps - l.epsilon).abs() < 1e-9);
            assert!(
                l.epsilon <= epsilon && epsilon - l.epsilon < 1e-6,
                "{}",
                l.epsilon
            );
            // The released row count is the total of the model's (noisy) head.
            let head: f64 = m.head.counts.iter().sum();
            assert!((head - m.rows as f64).abs() <= 1.0, "{head} {}", m.rows);
        }
    }
    // Pure epsilon-DP: delta 0 and the entries' epsilons add up to the total.
    let m = fit(
        &table,
        &schema,
        &yaml,
        &FitOptions {
            epsilon: Some(1.0),
            dp_mechanism: DpMechanism::Laplace,
            ..FitOptions::default()
        },
    )
    .expect("laplace fit");
    let l = m.privacy.expect("ledger");
    assert_eq!((l.delta, l.rho), (0.0, None));
    let spent: f64 = l.entries.iter().map(|e| e.epsilon).sum();
    assert!((spent - 1.0).abs() < 1e-12, "{spent}");
    for e in l.entries.iter().filter(|e| e.mechanism == "laplace") {
        // Each of the entry's tables has L1 sensitivity 1 and a share epsilon / tables.
        assert!(
            (e.scale - e.tables as f64 / e.epsilon).abs() < 1e-9,
            "{e:?}"
        );
    }
}

#[test]
fn dp_model_stores_only_values_of_the_public_domain() {
    // The private model's variables hold the schema's levels and, for `age` (int, 18..=80),
    // bin edges and exact values (spikes) that are whole numbers of the public range, chosen
    // from a noisy histogram: two different tables give different bins, but never a value
    // outside the domain, and the stored counts are noisy, not the tables' counts.
    let (table, schema, yaml) = dp_table();
    let opts = FitOptions {
        epsilon: Some(1.0),
        seed: 3,
        ..FitOptions::default()
    };
    let a = fit(&table, &schema, &yaml, &opts).expect("fit a");
    let mut other = table.clone();
    for c in &mut other.columns {
        match &mut c.values {
            Values::Num(v) => v.iter_mut().for_each(|x| *x = 18.0 + (*x * 5.0) % 40.0),
            Values::Cat { codes, .. } => codes.iter_mut().for_each(|k| *k = (*k + 1) % 2),
        }
    }
    let b = fit(&other, &schema, &yaml, &opts).expect("fit b");
    for m in [&a, &b] {
        for v in &m.variables {
            if let fairsynth::model::VarKind::Numeric { bins, .. } = &v.kind {
                let whole = |x: f64| x.fract() == 0.0 && (18.0..=81.0).contains(&x);
                assert!(bins.iter().all(|b| {
                    whole(b.lo)
                        && whole(b.hi)
                        && b.points.iter().all(|p| {
                            whole(p.value)
                                && p.value < 81.0
                                && (p.count == 0.0 || p.count.fract() != 0.0)
                        })
                }));
                assert!(bins.windows(2).all(|w| w[0].hi <= w[1].lo));
            }
        }
    }
    assert_eq!(a.variables[0], b.variables[0]);
    let exact = fit(&table, &schema, &yaml, &FitOptions::default()).expect("exact");
    assert_ne!(a.head.counts, exact.head.counts);
    let integral = a
        .nodes
        .iter()
        .flat_map(|n| n.counts.iter())
        .chain(&a.head.counts)
        .filter(|c| **c > 0.0 && c.fract() == 0.0)
        .count();
    assert_eq!(
        integral, 0,
        "a positive count of the private model is a whole number"
    );
}

#[test]
fn dp_needs_categories_and_bounds_from_the_schema() {
    let dir = tempfile::tempdir().expect("tempdir");
    fairsynth()
        .args(["fit", SAMPLE, "--schema", ADULT, "--epsilon", "1"])
        .arg("-o")
        .arg(dir.path().join("m.json"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "with --epsilon its categories must come from the schema",
        ))
        .stderr(predicate::str::contains("levels:"))
        // The hint asks for public levels and bounds, never for a draft read off the data.
        .stderr(predicate::str::contains("drafts them").not())
        .stderr(predicate::str::contains(
            "declare the column's public categories under `levels:`, taken from public knowledge",
        ))
        .stderr(predicate::str::contains(
            "declare public bounds `min:` and `max:`, taken from public knowledge",
        ))
        .stderr(predicate::str::contains("schemas/adult_dp.yaml"))
        .stderr(predicate::str::contains(
            "column `capital_gain` (schema line 37): with --epsilon its range must come from the schema",
        ));
    assert!(!dir.path().join("m.json").exists());
    fairsynth()
        .args(["fit", SAMPLE, "--schema", ADULT, "--epsilon=-1"])
        .arg("-o")
        .arg(dir.path().join("m.json"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("must be a positive number"));
}

#[test]
fn dp_model_records_its_ledger_in_the_output_metadata() {
    let (table, schema, yaml) = dp_table();
    let dir = tempfile::tempdir().expect("tempdir");
    let model = fit(
        &table,
        &schema,
        &yaml,
        &FitOptions {
            epsilon: Some(1.0),
            ..FitOptions::default()
        },
    )
    .expect("fit");
    let path = dir.path().join("dp.model.json");
    model.save(&path).expect("save");
    let out = dir.path().join("dp.parquet");
    fairsynth()
        .arg("sample")
        .arg(&path)
        .args(["--rows", "1000", "-q", "-o"])
        .arg(&out)
        .assert()
        .success();
    let file = fs::File::open(&out).expect("out");
    let reader = parquet::file::serialized_reader::SerializedFileReader::new(file).expect("pq");
    use parquet::file::reader::FileReader;
    let kv = reader
        .metadata()
        .file_metadata()
        .key_value_metadata()
        .cloned()
        .unwrap_or_default();
    let prov = kv
        .iter()
        .find(|k| k.key == "fairsynth")
        .and_then(|k| k.value.clone())
        .expect("provenance");
    let v: serde_json::Value = serde_json::from_str(&prov).expect("json");
    assert_eq!(v["command"], "sample");
    assert_eq!(v["privacy"]["epsilon"], 1.0);
    assert!(v["privacy"]["mechanism"]
        .as_str()
        .is_some_and(|m| m.starts_with("gaussian")));
    assert_eq!(v["privacy"]["delta"], 1e-9);
}

#[test]
fn sample_errors_are_clear_and_leave_nothing_behind() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("s.parquet");
    // Not a model.
    let bogus = dir.path().join("bogus.json");
    fs::write(&bogus, "{\"hello\": 1}").expect("write");
    fairsynth()
        .arg("sample")
        .arg(&bogus)
        .arg("-o")
        .arg(&out)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("not a fairsynth model"));
    // A future version.
    let model = dir.path().join("m.json");
    fairsynth()
        .args(["fit", SAMPLE, "--schema", ADULT, "-q", "-o"])
        .arg(&model)
        .assert()
        .success();
    let text = fs::read_to_string(&model).expect("model");
    let future = dir.path().join("future.json");
    fs::write(
        &future,
        text.replacen("\"version\": 2", "\"version\": 99", 1),
    )
    .expect("write");
    fairsynth()
        .arg("sample")
        .arg(&future)
        .arg("-o")
        .arg(&out)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("model format version 99"))
        .stderr(predicate::str::contains("fit the model again"));
    // A version 1 model (bins of raw quantile edges) is refused with the same clear error.
    fs::write(
        &future,
        text.replacen("\"version\": 2", "\"version\": 1", 1),
    )
    .expect("write");
    fairsynth()
        .arg("sample")
        .arg(&future)
        .arg("-o")
        .arg(&out)
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "model format version 1; this fairsynth reads version 2",
        ))
        .stderr(predicate::str::contains("fit the model again"));
    // A target on a column the model does not keep at the head.
    let targets = dir.path().join("t.yaml");
    fs::write(
        &targets,
        "workclass: {Private: 0.5, Self-emp-not-inc: 0.5}\n",
    )
    .expect("write");
    fairsynth()
        .arg("sample")
        .arg(&model)
        .arg("--targets")
        .arg(&targets)
        .arg("-o")
        .arg(&out)
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "`workclass` is not a protected, label or target column",
        ));
    // The model itself is never overwritten.
    fairsynth()
        .arg("sample")
        .arg(&model)
        .arg("-o")
        .arg(&model)
        .assert()
        .code(2);
    assert_eq!(fs::read_to_string(&model).expect("model"), text);
    assert!(!out.exists());
}

#[test]
fn fit_stops_on_undeclared_identifiers_like_deidentify() {
    let dir = tempfile::tempdir().expect("tempdir");
    let csv = dir.path().join("people.csv");
    let mut text = String::from("contact,group\n");
    for i in 0..300 {
        text.push_str(&format!(
            "person{i}@example.org,{}\n",
            if i % 2 == 0 { "a" } else { "b" }
        ));
    }
    fs::write(&csv, text).expect("csv");
    let yaml = "version: 1\nname: people\ncolumns:\n  - {name: contact, type: string}\n  - {name: group, type: category, role: protected}\n";
    let schema = Schema::from_str_named(yaml, "people.yaml").expect("schema");
    let err = fairsynth::model::fit_file(&csv, Format::Csv, &schema, yaml, &FitOptions::default())
        .expect_err("the safety net stops the fit");
    let msg = err.to_string();
    assert!(
        msg.contains(
            "column `contact` is not an identifier, but 100.0% of its values look like email"
        ),
        "{msg}"
    );
    // Acknowledged, the column is modelled, and its rare values are merged: no e-mail is kept.
    let yaml = yaml.replace("type: string}", "type: string, acknowledge: [email]}");
    let schema = Schema::from_str_named(&yaml, "people.yaml").expect("schema");
    let model =
        fairsynth::model::fit_file(&csv, Format::Csv, &schema, &yaml, &FitOptions::default())
            .expect("fit");
    let json = serde_json::to_string(&model).expect("json");
    assert!(!json.contains("@example.org"));
}

/// The customers schema end to end: synth -> fit -> sample -> evaluate, with identifiers
/// regenerated or left out, dates and instants typed, and the gates met.
#[test]
fn customers_round_trip_through_fit_sample_and_evaluate() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (real, model, syn) = (
        dir.path().join("real.parquet"),
        dir.path().join("m.json"),
        dir.path().join("syn.parquet"),
    );
    let schema = "schemas/customers.yaml";
    fairsynth()
        .args(["synth", "--schema", schema, "--rows", "8000", "-q", "-o"])
        .arg(&real)
        .assert()
        .success();
    fairsynth()
        .arg("fit")
        .arg(&real)
        .args(["--schema", schema, "-o"])
        .arg(&model)
        .assert()
        .success()
        .stderr(predicate::str::contains(
            "regenerated from the schema: customer_id, phone, street_address",
        ))
        .stderr(predicate::str::contains(
            "left out full_name: identifier whose generator reads `sex`",
        ));
    fairsynth()
        .arg("sample")
        .arg(&model)
        .args(["--rows", "8000", "--seed", "3", "-o"])
        .arg(&syn)
        .assert()
        .success()
        .stderr(predicate::str::contains("disparate impact 0.39"));
    let file = fs::File::open(&syn).expect("output");
    let arrow = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file)
        .expect("parquet")
        .schema()
        .clone();
    let field = |n: &str| arrow.field_with_name(n).map(|f| f.data_type().to_string());
    assert!(field("full_name").is_err() && field("email").is_err());
    assert!(field("consent_marketing").is_err());
    assert_eq!(field("birth_date").expect("birth_date"), "Date32");
    assert!(field("signed_up_at")
        .expect("instant")
        .starts_with("Timestamp(µs"));
    assert_eq!(field("customer_id").expect("id"), "Int64"); // a sequence
                                                            // Regenerated addresses and phones lie in the sampled state (a shared place held to it),
                                                            // (the sampled region follows the state only as far as the model learnt it).
    let names = [
        "street_address".to_string(),
        "state".into(),
        "region".into(),
    ];
    let schema_s = Schema::from_file(&root().join(schema))
        .expect("schema")
        .with_columns(&names);
    let t = Table::load(
        &Input::file(&syn, Format::Parquet),
        &schema_s,
        &["street_address", "state", "region"],
    )
    .expect("load");
    let text = |n: &str| -> Vec<Option<String>> {
        match &t.column(n).expect("column").values {
            Values::Cat { codes, levels } => codes
                .iter()
                .map(|&c| (c != NULL).then(|| levels[c as usize].clone()))
                .collect(),
            Values::Num(_) => panic!("{n} is text"),
        }
    };
    let (addr, state) = (text("street_address"), text("state"));
    let mut held = 0;
    for (a, s) in addr.iter().zip(&state) {
        let (Some(a), Some(s)) = (a, s) else { continue };
        if s == OTHER {
            continue;
        }
        held += 1;
        let (rest, _zip) = a.rsplit_once(' ').expect("zip");
        assert_eq!(rest.rsplit_once(", ").map(|x| x.1), Some(s.as_str()), "{a}");
    }
    assert!(held > 7000, "{held} rows with a named state");
    fairsynth()
        .arg("evaluate")
        .arg("--real")
        .arg(&real)
        .arg("--synthetic")
        .arg(&syn)
        .args(["--schema", schema, "-q"])
        .args([
            "--threshold",
            "min_overall=0.9",
            "--threshold",
            "max_exact_copies=0",
        ])
        .args([
            "--threshold",
            "min_di=0.95",
            "--threshold",
            "min_tstr_ratio=0.95",
        ])
        .assert()
        .success();
}

#[test]
fn dp_fit_on_adult_with_its_public_domain() {
    let dir = tempfile::tempdir().expect("tempdir");
    let model = dir.path().join("dp.json");
    fairsynth()
        .args([
            "fit",
            SAMPLE,
            "--schema",
            "schemas/adult_dp.yaml",
            "--epsilon",
            "2",
            "-o",
        ])
        .arg(&model)
        .assert()
        .success()
        .stderr(predicate::str::contains("differential privacy: epsilon 2"))
        // The rows read (2,036) and the released noisy total, each called what it is.
        .stderr(predicate::str::contains(
            "fitted 15 columns on 2036 rows of adult_sample.csv; the model's released row total is ",
        ))
        .stderr(predicate::str::contains("(noisy, differentially private"));
    let m = Model::load(&model).expect("model");
    let ledger = m.privacy.as_ref().expect("ledger");
    let rho: f64 = ledger.entries.iter().map(|e| e.rho).sum();
    let eps = fairsynth::model::private::account::epsilon_of_rho(rho, ledger.delta);
    assert!(eps <= 2.0 && 2.0 - eps < 1e-6, "{eps}");
    // Nothing from the data but through the ledger's queries: no merged level; numeric bins
    // ordered, their exact values (spikes) whole numbers, their shapes shares.
    for v in &m.variables {
        match &v.kind {
            fairsynth::model::VarKind::Categorical { levels } => {
                assert!(!levels.iter().any(|l| l == OTHER), "{}", v.name)
            }
            fairsynth::model::VarKind::Numeric { bins, .. } => {
                assert!(bins.windows(2).all(|w| w[0].hi <= w[1].lo), "{}", v.name);
                assert!(bins.iter().all(|b| b
                    .points
                    .iter()
                    .all(|p| p.value.fract() == 0.0 && b.lo == p.value && b.hi == p.value)));
                assert!(bins.iter().all(
                    |b| b.shape.is_empty() || (b.shape.iter().sum::<f64>() - 1.0).abs() < 1e-9
                ));
            }
        }
    }
    // hours_per_week = 40 (about half the rows) is kept as an exact value.
    let hours = m.variable("hours_per_week").expect("hours");
    match &m.variables[hours].kind {
        fairsynth::model::VarKind::Numeric { bins, .. } => assert!(
            bins.iter()
                .any(|b| b.points.iter().any(|p| p.value == 40.0)),
            "{bins:?}"
        ),
        _ => panic!("numeric"),
    }
    let histograms = ledger
        .entries
        .iter()
        .find(|e| e.purpose.contains("histogram per numeric column"))
        .expect("the discretisation's entry");
    let numeric = m
        .variables
        .iter()
        .filter(|v| matches!(v.kind, fairsynth::model::VarKind::Numeric { .. }))
        .count();
    assert_eq!(histograms.tables, numeric);
    let out = dir.path().join("dp.parquet");
    fairsynth()
        .arg("sample")
        .arg(&model)
        .args(["--rows", "5000", "-q", "-o"])
        .arg(&out)
        .assert()
        .success();
}

#[test]
fn laplace_fit_summary_shows_delta_0_and_no_rho() {
    // Pure epsilon-DP has no delta and no zCDP rho: the ledger says so instead of printing
    // `delta 0e0` and `rho 0.000000` on every line.
    let dir = tempfile::tempdir().expect("tempdir");
    let out = fairsynth()
        .args([
            "fit",
            SAMPLE,
            "--schema",
            "schemas/adult_dp.yaml",
            "--epsilon",
            "1",
            "--dp-mechanism",
            "laplace",
            "-o",
        ])
        .arg(dir.path().join("m.json"))
        .output()
        .expect("run");
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stderr);
    assert!(
        text.contains("differential privacy: epsilon 1 delta 0 (laplace"),
        "{text}"
    );
    assert!(text.contains("pure epsilon-DP"), "{text}");
    assert!(!text.contains("rho") && !text.contains("0e0"), "{text}");
    assert!(text.contains("x laplace: "), "{text}");
}

#[test]
fn dp_model_size_is_bounded_by_max_cells() {
    let dir = tempfile::tempdir().expect("tempdir");
    let model = dir.path().join("dp.json");
    fairsynth()
        .args([
            "fit",
            SAMPLE,
            "--schema",
            "schemas/adult_dp.yaml",
            "--epsilon",
            "1",
            "--bins",
            "10",
            "--max-cells",
            "400",
            "-q",
            "-o",
        ])
        .arg(&model)
        .assert()
        .success();
    let m = Model::load(&model).expect("model");
    assert!(m.head.counts.len() <= 400);
    for n in &m.nodes {
        assert!(
            n.counts.len() <= 300,
            "node {} has {}",
            n.var,
            n.counts.len()
        );
    }
    // A bound below the head's size is refused with the sizes.
    fairsynth()
        .args([
            "fit",
            SAMPLE,
            "--schema",
            "schemas/adult_dp.yaml",
            "--epsilon",
            "1",
            "--max-cells",
            "50",
            "-o",
        ])
        .arg(dir.path().join("no.json"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("would exceed 50 cells"));
    assert!(!dir.path().join("no.json").exists());
}
