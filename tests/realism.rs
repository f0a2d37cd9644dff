//! What a domain expert would check in a sample (issue 14), on two real tables: the committed
//! Adult sample (2,036 rows) and the CPS 1988 wage sample (6,000 rows, `schemas/cps1988.yaml`).
//! Deterministic relations of the real table hold in every synthetic row; discrete columns
//! draw only values of the real column; the most frequent exact values keep their shares; and
//! no number or level a model file stores is a value held by fewer than `--min-count` rows.
//! The shipped customer schema holds together too (issue 23): address, state, ZIP, phone and
//! region are parts of one real place; education and income follow age.

use std::collections::{HashMap, HashSet};
use std::fs;
use std::path::{Path, PathBuf};

use assert_cmd::Command;

use fairsynth::io::read::{Format, Input};
use fairsynth::io::table::{Table, Values, NULL};
use fairsynth::model::{fit_file, FitOptions, Model, SampleOptions, Sampler, VarKind, OTHER};
use fairsynth::schema::{region_of, Schema};
use fairsynth::synth::places::Places;
use fairsynth::synth::{write_parquet, WriteOptions, BLOCK_ROWS};

mod common;
use common::root;

struct Case {
    schema: &'static str,
    data: &'static str,
}

const ADULT: Case = Case {
    schema: "schemas/adult.yaml",
    data: "tests/data/adult_sample.csv",
};
const CPS: Case = Case {
    schema: "schemas/cps1988.yaml",
    data: "tests/data/cps1988_sample.csv",
};

fn schema(case: &Case) -> (Schema, String) {
    let yaml = fs::read_to_string(root().join(case.schema)).expect("schema");
    (
        Schema::from_str_named(&yaml, case.schema).expect("schema"),
        yaml,
    )
}

fn fit_case(case: &Case, opts: &FitOptions) -> Model {
    let (s, yaml) = schema(case);
    fit_file(&root().join(case.data), Format::Csv, &s, &yaml, opts).expect("fit")
}

/// The table at `path`, the model's columns only.
fn load(path: &Path, case: &Case, model: &Model) -> Table {
    let (s, _) = schema(case);
    let names: Vec<&str> = model.variables.iter().map(|v| v.name.as_str()).collect();
    let sub = Schema {
        columns: s
            .columns
            .iter()
            .filter(|c| names.contains(&c.name.as_str()))
            .cloned()
            .collect(),
        ..s.clone()
    };
    Table::load(
        &Input::file(path, Format::detect(path).expect("format")),
        &sub,
        &names,
    )
    .expect("load")
}

fn sample(model: &Model, rows: u64, dir: &Path, case: &Case) -> Table {
    let out = dir.join("s.parquet");
    let opts = SampleOptions {
        seed: 11,
        targets: Vec::new(),
        fairness: false,
    };
    let sampler = Sampler::new(model, &opts).expect("sampler");
    write_parquet(
        &sampler,
        rows,
        &out,
        &WriteOptions::default(),
        &serde_json::json!({}),
        &|_| {},
    )
    .expect("write");
    load(&out, case, model)
}

/// Every value as text (numbers as their decimal form), nulls as `None`.
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

fn counts(v: &[Option<String>]) -> HashMap<Option<String>, usize> {
    let mut m = HashMap::new();
    for x in v {
        *m.entry(x.clone()).or_insert(0) += 1;
    }
    m
}

/// `a -> b` and the value of `b` for each value of `a`.
type Relation = (String, String, HashMap<Option<String>, Option<String>>);

/// Deterministic relations of the real table, found independently of the library: `a -> b`
/// when each value of `a` (2 to 1,000 distinct) occurs with one value of `b` (at least 2).
fn real_relations(real: &Table) -> Vec<Relation> {
    let cols: Vec<(&str, Vec<Option<String>>)> = real
        .columns
        .iter()
        .map(|c| (c.name.as_str(), texts(real, &c.name)))
        .collect();
    let mut out = Vec::new();
    for (a, va) in &cols {
        let na = counts(va).len();
        if !(2..=1000).contains(&na) {
            continue;
        }
        for (b, vb) in &cols {
            if a == b || counts(vb).len() < 2 {
                continue;
            }
            let mut map: HashMap<Option<String>, Option<String>> = HashMap::new();
            if va
                .iter()
                .zip(vb)
                .all(|(x, y)| map.entry(x.clone()).or_insert_with(|| y.clone()) == y)
            {
                out.push((a.to_string(), b.to_string(), map));
            }
        }
    }
    out
}

fn pearson(x: &[f64], y: &[f64]) -> f64 {
    let n = x.len() as f64;
    let (mx, my) = (x.iter().sum::<f64>() / n, y.iter().sum::<f64>() / n);
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (a, b) in x.iter().zip(y) {
        sxy += (a - mx) * (b - my);
        sxx += (a - mx).powi(2);
        syy += (b - my).powi(2);
    }
    sxy / (sxx * syy).sqrt()
}

/// Runs the checks on one table. `max_r_diff`: the largest |r_real - r_synthetic| allowed over
/// numeric pairs with |r_real| >= 0.1. The goal is 0.03. CPS meets it (measured
/// |diff| at most 0.028 over its three pairs); Adult does not: education_num x capital_gain,
/// whose Pearson r rests on the few 99999 values, differs by 0.055-0.075 depending on the seed,
/// so its bound is a regression bound.
fn expert_checks(case: &Case, relations_expected: &[(&str, &str)], max_r_diff: f64) {
    let model = fit_case(case, &FitOptions::default());
    let dir = tempfile::tempdir().expect("tempdir");
    let real = load(&root().join(case.data), case, &model);
    let syn = sample(&model, 200_000, dir.path(), case);

    // Relations: every one the real table has holds in every synthetic row, except rows with
    // the merged level (other) on either side: it stands for the rare levels, which the model
    // may not name (on the Adult sample, `Preschool` is one: education_num 1 is then counted
    // at 2, its nearest frequent value).
    let rels = real_relations(&real);
    for (a, b) in relations_expected {
        assert!(
            rels.iter().any(|r| r.0 == *a && r.1 == *b),
            "{a} -> {b} not found in the real table"
        );
    }
    for (a, b, map) in &rels {
        let (sa, sb) = (texts(&syn, a), texts(&syn, b));
        let broken = sa
            .iter()
            .zip(&sb)
            .filter(|(x, y)| {
                let other = Some(OTHER.to_string());
                **x != other && **y != other && map.get(*x).is_some_and(|m| m != *y)
            })
            .count();
        assert_eq!(broken, 0, "{a} -> {b}: {broken} synthetic rows break it");
    }

    let numeric: Vec<&str> = model
        .variables
        .iter()
        .filter(|v| matches!(v.kind, VarKind::Numeric { .. }))
        .map(|v| v.name.as_str())
        .collect();
    for name in &numeric {
        let (r, s) = (texts(&real, name), texts(&syn, name));
        let (rc, sc) = (counts(&r), counts(&s));
        let nr = r.iter().flatten().count() as f64;
        let ns = s.iter().flatten().count() as f64;
        // Discrete: integer-valued with at most 100 distinct values in the real column.
        let distinct = rc.keys().flatten().count();
        if distinct <= 100 {
            let outside = s
                .iter()
                .flatten()
                .filter(|x| !rc.contains_key(&Some((*x).clone())))
                .count() as f64;
            assert!(
                outside / ns < 0.001,
                "{name}: {:.3} % of synthetic values are no real value",
                100.0 * outside / ns
            );
        }
        // The five most frequent exact values keep their share within 20 %, plus the share of
        // rows whose value is held by fewer than --min-count rows: the model may not store
        // those values, so a discrete column counts them at the nearest frequent value.
        let rare = rc
            .iter()
            .filter(|(k, n)| k.is_some() && (**n as u64) < FitOptions::default().min_count)
            .map(|(_, n)| *n)
            .sum::<usize>() as f64
            / nr;
        let mut top: Vec<(&Option<String>, &usize)> =
            rc.iter().filter(|(k, _)| k.is_some()).collect();
        top.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        for (v, n) in top.into_iter().take(5) {
            let p = *n as f64 / nr;
            let q = *sc.get(v).unwrap_or(&0) as f64 / ns;
            assert!(
                (q - p).abs() <= 0.2 * p + rare,
                "{name} = {v:?}: real share {p:.4}, synthetic {q:.4} (rare values {rare:.4})"
            );
        }
    }

    // Correlations of numeric pairs.
    let num = |t: &Table, n: &str| match &t.column(n).expect("column").values {
        Values::Num(v) => v.clone(),
        _ => panic!("{n}"),
    };
    for (i, a) in numeric.iter().enumerate() {
        for b in &numeric[i + 1..] {
            let pairs = |t: &Table| -> (Vec<f64>, Vec<f64>) {
                num(t, a)
                    .into_iter()
                    .zip(num(t, b))
                    .filter(|(x, y)| !x.is_nan() && !y.is_nan())
                    .unzip()
            };
            let (rx, ry) = pairs(&real);
            let (sx, sy) = pairs(&syn);
            let (rr, rs) = (pearson(&rx, &ry), pearson(&sx, &sy));
            if rr.abs() >= 0.1 {
                assert!(
                    (rr - rs).abs() <= max_r_diff,
                    "r({a}, {b}): real {rr:.3}, synthetic {rs:.3}"
                );
            }
        }
    }
}

#[test]
fn adult_sample_keeps_relations_exact_values_and_spikes() {
    expert_checks(
        &ADULT,
        &[
            ("education", "education_num"),
            ("education_num", "education"),
        ],
        0.1,
    );
}

#[test]
fn cps1988_sample_keeps_exact_values_and_spikes() {
    expert_checks(&CPS, &[], 0.03);
}

/// Every number and level of a model file, with where it is.
fn stored(model: &Model) -> Vec<(String, Option<f64>, Option<String>)> {
    let mut out = Vec::new();
    for v in &model.variables {
        match &v.kind {
            VarKind::Categorical { levels } => {
                out.extend(
                    levels
                        .iter()
                        .map(|l| (v.name.clone(), None, Some(l.clone()))),
                );
            }
            VarKind::Numeric { bins, .. } => {
                for b in bins {
                    out.push((v.name.clone(), Some(b.lo), None));
                    out.push((v.name.clone(), Some(b.hi), None));
                    out.extend(
                        b.points
                            .iter()
                            .map(|p| (v.name.clone(), Some(p.value), None)),
                    );
                }
            }
        }
    }
    out
}

#[test]
fn model_files_hold_no_value_of_fewer_than_min_count_rows() {
    for case in [&ADULT, &CPS] {
        for min_count in [5u64, 10, 40] {
            let opts = FitOptions {
                min_count,
                ..FitOptions::default()
            };
            let model = fit_case(case, &opts);
            let (s, _) = schema(case);
            let real = load(&root().join(case.data), case, &model);
            for (col, number, level) in stored(&model) {
                let decl = s.column(&col).expect("column");
                // Values the schema gives are public: levels, band edges, bounds.
                if let Some(l) = &level {
                    if l == OTHER || decl.categories().is_some_and(|c| c.contains(l)) {
                        continue;
                    }
                }
                if let Some(x) = number {
                    let edges = decl
                        .bins
                        .as_ref()
                        .map(|b| b.edges.clone())
                        .unwrap_or_default();
                    if edges.contains(&x) {
                        continue;
                    }
                }
                let held = match (&real.column(&col).expect("column").values, number, &level) {
                    (Values::Num(v), Some(x), _) => v.iter().filter(|y| **y == x).count(),
                    (Values::Cat { codes, levels }, _, Some(l)) => {
                        let k = levels.iter().position(|m| m == l);
                        codes.iter().filter(|c| Some(**c as usize) == k).count()
                    }
                    _ => panic!("{col}: {number:?} {level:?}"),
                };
                assert!(
                    held == 0 || held as u64 >= min_count,
                    "{}: {col} stores {number:?}{level:?}, held by {held} rows (min count {min_count})",
                    case.data
                );
            }
            // The file as written holds the same: nothing but these numbers, counts and
            // groupings (serialised and read back without loss).
            let dir = tempfile::tempdir().expect("tempdir");
            let path = dir.path().join("m.json");
            model.save(&path).expect("save");
            assert_eq!(Model::load(&path).expect("load"), model);
        }
    }
}

// ------------------------------------------------------------------------------------------
// The shipped customer schema (`fairsynth synth`, the README's first command).

/// Synthesises `rows` rows of `schemas/customers.yaml` with the CLI on `threads` threads.
fn synth_customers(dir: &Path, file: &str, rows: u64, threads: &str) -> PathBuf {
    let out = dir.join(file);
    Command::cargo_bin("fairsynth")
        .expect("binary")
        .current_dir(root())
        .env("RAYON_NUM_THREADS", threads)
        .args([
            "synth",
            "--schema",
            "schemas/customers.yaml",
            "-q",
            "--rows",
        ])
        .arg(rows.to_string())
        .arg("-o")
        .arg(&out)
        .assert()
        .success();
    out
}

#[test]
fn customers_hold_together_under_a_domain_experts_eye() {
    let dir = tempfile::tempdir().expect("tempdir");
    // Three blocks, the last one partial: rows of every block are checked.
    let rows = 2 * BLOCK_ROWS as u64 + 8_000;
    let one = synth_customers(dir.path(), "t1.parquet", rows, "1");
    let three = synth_customers(dir.path(), "t3.parquet", rows, "3");
    assert!(
        fs::read(&one).expect("read") == fs::read(&three).expect("read"),
        "the output differs between 1 and 3 threads"
    );

    let (s, _) = schema(&Case {
        schema: "schemas/customers.yaml",
        data: "",
    });
    let names = [
        "street_address",
        "state",
        "phone",
        "region",
        "age",
        "education",
        "income",
    ];
    let t = Table::load(&Input::file(&one, Format::Parquet), &s, &names).expect("load");
    let col = |n: &str| texts(&t, n);
    let (address, state, phone, region) = (
        col("street_address"),
        col("state"),
        col("phone"),
        col("region"),
    );
    let (age, education, income) = (col("age"), col("education"), col("income"));
    assert_eq!(address.len(), rows as usize);

    // What the embedded table says a state's ZIPs and area codes are.
    let mut zips: HashMap<&str, HashSet<&str>> = HashMap::new();
    let mut areas: HashMap<&str, HashSet<&str>> = HashMap::new();
    for p in Places::us().all() {
        zips.entry(p.state).or_default().insert(p.zip);
        areas
            .entry(p.state)
            .or_default()
            .extend(p.area_codes.iter().copied());
    }
    let mut states_seen = HashSet::new();
    let mut phones = 0;
    for i in 0..address.len() {
        let a = address[i].as_deref().expect("addresses are never null");
        let st = state[i].as_deref().expect("states are never null");
        states_seen.insert(st.to_string());
        // `12 Oak Street, Bangor, ME 04401`: the state and ZIP at the end.
        let (rest, zip) = a.rsplit_once(' ').expect("a ZIP ends the address");
        let addr_state = rest.rsplit_once(", ").expect("a state before the ZIP").1;
        assert_eq!(addr_state, st, "row {i}: address `{a}`, state column {st}");
        assert!(
            zips.get(st).is_some_and(|z| z.contains(zip)),
            "row {i}: ZIP {zip} is not one of {st}'s: `{a}`"
        );
        assert_eq!(
            region[i].as_deref(),
            region_of(st),
            "row {i}: region of {st}"
        );
        if let Some(ph) = phone[i].as_deref() {
            phones += 1;
            // `+1 AAA 555 01XX`
            let area = ph
                .strip_prefix("+1 ")
                .and_then(|r| r.get(..3))
                .expect("+1 AAA");
            assert!(
                areas.get(st).is_some_and(|a| a.contains(area)),
                "row {i}: area code {area} is not one of {st}'s: {ph}"
            );
            assert!(
                ph.contains(" 555 01"),
                "row {i}: {ph} leaves the fictional block"
            );
        }
        let years: f64 = age[i].as_deref().expect("age").parse().expect("number");
        let edu = education[i].as_deref().expect("education");
        if years < 22.0 {
            assert!(
                !matches!(edu, "master" | "doctorate"),
                "row {i}: {edu} at {years}"
            );
        }
        if years < 21.0 {
            assert_ne!(edu, "bachelor", "row {i}: bachelor at {years}");
        }
    }
    // The places are spread over the country, and phones are mostly there (8% null).
    assert!(states_seen.len() >= 45, "{} states", states_seen.len());
    assert!(phones as f64 > 0.85 * rows as f64, "{phones} phones");
    let regions: HashSet<&str> = region.iter().flatten().map(String::as_str).collect();
    assert_eq!(regions.len(), 4, "{regions:?}");

    // Income rises with age into the fifties: the mean of the 50-64 band well above 18-24's.
    let mean_income = |lo: f64, hi: f64| {
        let v: Vec<f64> = age
            .iter()
            .zip(&income)
            .filter_map(|(a, x)| {
                let a: f64 = a.as_deref()?.parse().ok()?;
                let x: f64 = x.as_deref()?.parse().ok()?;
                (lo..=hi).contains(&a).then_some(x)
            })
            .collect();
        assert!(v.len() > 1000, "{} incomes at {lo}-{hi}", v.len());
        v.iter().sum::<f64>() / v.len() as f64
    };
    let (young, fifties) = (mean_income(18.0, 24.0), mean_income(50.0, 64.0));
    assert!(
        fifties > 1.5 * young,
        "mean income 18-24 {young:.0}, 50-64 {fifties:.0}"
    );
}

/// Sign-up and tenure in `customers.yaml` are declared rules, held on every row: nobody signs
/// up before turning 18, and tenure is the whole months from sign-up to the reference date.
#[test]
fn customers_sign_up_as_adults_and_tenure_follows_sign_up() {
    use arrow_array::cast::AsArray;
    use arrow_array::types::{Date32Type, Int64Type, TimestampMicrosecondType};
    use chrono::{Datelike, Months, NaiveDate, Timelike};
    let dir = tempfile::tempdir().expect("tempdir");
    let out = synth_customers(dir.path(), "c.parquet", 70_000, "2");
    let file = fs::File::open(&out).expect("open");
    let reader = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file)
        .expect("parquet")
        .build()
        .expect("reader");
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).expect("date");
    let reference = NaiveDate::from_ymd_opt(2026, 1, 1)
        .expect("date")
        .and_hms_opt(0, 0, 0)
        .expect("time");
    let (mut rows, mut young_tenure, mut young) = (0usize, 0i64, 0usize);
    for batch in reader {
        let b = batch.expect("batch");
        let birth = b
            .column_by_name("birth_date")
            .expect("col")
            .as_primitive::<Date32Type>()
            .clone();
        let signed = b
            .column_by_name("signed_up_at")
            .expect("col")
            .as_primitive::<TimestampMicrosecondType>()
            .clone();
        let tenure = b
            .column_by_name("tenure_months")
            .expect("col")
            .as_primitive::<Int64Type>()
            .clone();
        let age = b
            .column_by_name("age")
            .expect("col")
            .as_primitive::<Int64Type>()
            .clone();
        for i in 0..b.num_rows() {
            rows += 1;
            let born = epoch + chrono::Duration::days(i64::from(birth.value(i)));
            let adult = born.checked_add_months(Months::new(18 * 12)).expect("date");
            let s = chrono::DateTime::from_timestamp_micros(signed.value(i))
                .expect("ts")
                .naive_utc();
            assert!(
                s.date() >= adult,
                "row {rows}: signed up {s} before turning 18 ({born})"
            );
            let mut months = i64::from(reference.year() - s.year()) * 12
                + i64::from(reference.month())
                - i64::from(s.month());
            if (s.day(), s.num_seconds_from_midnight()) > (1, 0) {
                months -= 1;
            }
            assert_eq!(
                tenure.value(i),
                months.max(0),
                "row {rows}: tenure from {s}"
            );
            if age.value(i) < 21 {
                young += 1;
                young_tenure += tenure.value(i);
            }
        }
    }
    // The young cannot have been customers long: at most since their 18th birthday.
    assert!(young > 500, "{young} customers under 21");
    assert!(
        (young_tenure as f64 / young as f64) < 24.0,
        "mean tenure under 21"
    );
}
