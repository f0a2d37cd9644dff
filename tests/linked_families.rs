//! Families of child rows on real longitudinal data (the Mayo Clinic PBC trial: 312 patients
//! and their 1,945 visits, `tests/data/relational/pbc`): a patient's visits depend on each
//! other as the real ones do (a patient with high bilirubin keeps it), they come in order of
//! the visit day although the day is a whole number, not a date, and no visit falls after
//! the end of its patient's follow-up. And dates that only some rows have (a cancellation
//! date only on cancelled orders) stay empty on the others.

mod common;

use std::collections::HashMap;
use std::path::Path;

use arrow_array::cast::AsArray;
use arrow_array::types::{Date32Type, Float64Type, Int32Type, Int64Type};
use arrow_array::{Array, RecordBatch};
use arrow_schema::DataType;
use common::{fairsynth, read_parquet, root};

fn numbers(b: &RecordBatch, name: &str) -> Vec<Option<f64>> {
    let a = b
        .column_by_name(name)
        .unwrap_or_else(|| panic!("no column {name}"));
    let get = |i: usize| -> f64 {
        match a.data_type() {
            DataType::Date32 => f64::from(a.as_primitive::<Date32Type>().value(i)),
            DataType::Int32 => f64::from(a.as_primitive::<Int32Type>().value(i)),
            DataType::Int64 => a.as_primitive::<Int64Type>().value(i) as f64,
            DataType::Float64 => a.as_primitive::<Float64Type>().value(i),
            other => panic!("{name} of type {other}"),
        }
    };
    (0..a.len())
        .map(|i| (!a.is_null(i)).then(|| get(i)))
        .collect()
}

fn ints(b: &RecordBatch, name: &str) -> Vec<i64> {
    numbers(b, name)
        .into_iter()
        .map(|v| v.unwrap_or_else(|| panic!("a null {name}")) as i64)
        .collect()
}

/// Per patient (in order of first appearance), the values of `column` of their visits.
fn families(patient: &[i64], values: &[Option<f64>]) -> Vec<Vec<f64>> {
    let mut index: HashMap<i64, usize> = HashMap::new();
    let mut out: Vec<Vec<f64>> = Vec::new();
    for (p, v) in patient.iter().zip(values) {
        let i = *index.entry(*p).or_insert_with(|| {
            out.push(Vec::new());
            out.len() - 1
        });
        if let Some(v) = v {
            out[i].push(*v);
        }
    }
    out
}

fn mean(x: &[f64]) -> f64 {
    x.iter().sum::<f64>() / x.len().max(1) as f64
}

fn sd(x: &[f64]) -> f64 {
    let m = mean(x);
    (x.iter().map(|v| (v - m).powi(2)).sum::<f64>() / (x.len().max(2) - 1) as f64).sqrt()
}

/// The spread of the patients' mean values, and the mean spread within a patient, of
/// `column` (patients with two visits or more).
fn between_and_within(patient: &[i64], values: &[Option<f64>]) -> (f64, f64) {
    let f: Vec<Vec<f64>> = families(patient, values)
        .into_iter()
        .filter(|v| v.len() >= 2)
        .collect();
    let means: Vec<f64> = f.iter().map(|v| mean(v)).collect();
    let within: Vec<f64> = f.iter().map(|v| sd(v)).collect();
    (sd(&means), mean(&within))
}

/// `inspect` drafts a schema for the folder `data`, `fit` learns it unchanged, `sample`
/// draws with `seed`: the sampled folder (the model is `dir/model.json`).
fn draft_fit_sample(data: &Path, dir: &Path, seed: &str) -> std::path::PathBuf {
    let schema = dir.join("draft.yaml");
    let model = dir.join("model.json");
    let out = dir.join("out");
    fairsynth()
        .arg("inspect")
        .arg(data)
        .arg("--draft-schema")
        .arg(&schema)
        .assert()
        .success();
    fairsynth()
        .arg("fit")
        .arg(data)
        .arg("--schema")
        .arg(&schema)
        .arg("-o")
        .arg(&model)
        .arg("--quiet")
        .assert()
        .success();
    fairsynth()
        .arg("sample")
        .arg(&model)
        .arg("-o")
        .arg(&out)
        .args(["--seed", seed, "--quiet"])
        .assert()
        .success();
    out
}

fn sample(dir: &Path) -> (RecordBatch, RecordBatch) {
    let out = draft_fit_sample(&root().join("tests/data/relational/pbc"), dir, "3");
    (
        read_parquet(&out.join("patients.parquet")),
        read_parquet(&out.join("visits.parquet")),
    )
}

/// The real visits' columns by name (the CSV holds plain numbers; empty is null).
fn real_visits() -> HashMap<String, Vec<Option<f64>>> {
    let text = std::fs::read_to_string(root().join("tests/data/relational/pbc/visits.csv"))
        .expect("visits.csv");
    let mut lines = text.lines();
    let names: Vec<String> = lines
        .next()
        .expect("header")
        .split(',')
        .map(|n| n.trim_matches('"').to_string())
        .collect();
    let mut out: HashMap<String, Vec<Option<f64>>> =
        names.iter().map(|n| (n.clone(), Vec::new())).collect();
    for line in lines {
        for (n, v) in names.iter().zip(line.split(',')) {
            let v = (!v.is_empty()).then(|| v.parse::<f64>().expect("a number"));
            out.get_mut(n).expect("column").push(v);
        }
    }
    out
}

#[test]
fn a_patients_visits_hold_together_come_in_order_and_end_with_the_follow_up() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let (patients, visits) = sample(dir.path());
    let real = real_visits();

    // In order: within every patient, visit days rise (the file lists a family in order) and
    // the first visit is at enrolment, as in every real family.
    let patient = ints(&visits, "patient_id");
    let day = numbers(&visits, "day");
    let by_patient = families(&patient, &day);
    assert!(
        by_patient.len() > 250,
        "{} patients with visits",
        by_patient.len()
    );
    for (k, f) in by_patient.iter().enumerate() {
        assert!(
            f.windows(2).all(|w| w[0] < w[1]),
            "patient {k}: visit days {f:?} do not rise"
        );
        assert_eq!(
            f.first().copied(),
            Some(0.0),
            "patient {k}: first visit {f:?}"
        );
    }

    // No visit after the end of follow-up (the real rows never have one).
    let futime: HashMap<i64, f64> = ints(&patients, "id")
        .into_iter()
        .zip(
            numbers(&patients, "futime")
                .into_iter()
                .map(|v| v.expect("futime")),
        )
        .collect();
    for (p, d) in patient.iter().zip(&day) {
        let d = d.expect("day");
        assert!(
            d <= futime[p],
            "patient {p}: a visit on day {d} after follow-up {}",
            futime[p]
        );
    }

    // Visits of one patient depend on each other: the patients' mean bilirubin and albumin
    // spread as much as the real ones (drawn independently given the patient, they would
    // spread about half as much: 4.2 against 5.1 for bilirubin), and a patient's own values
    // vary as little as a real patient's (3.9 against 2.3 when independent).
    let real_patient: Vec<i64> = real["patient_id"]
        .iter()
        .map(|v| v.expect("patient") as i64)
        .collect();
    for (column, slack) in [("bili", 0.25), ("albumin", 0.25)] {
        let (rb, rw) = between_and_within(&real_patient, &real[column]);
        let (sb, sw) = between_and_within(&patient, &numbers(&visits, column));
        assert!(
            (sb / rb - 1.0).abs() < slack,
            "{column}: spread of patients' means {sb:.3} against {rb:.3} in the real visits"
        );
        assert!(
            (sw / rw - 1.0).abs() < slack,
            "{column}: spread within a patient {sw:.3} against {rw:.3} in the real visits"
        );
    }
}

#[test]
fn the_model_names_the_order_its_end_and_the_columns_given_from_the_visit_before() {
    let dir = tempfile::tempdir().expect("temporary folder");
    sample(dir.path());
    let text = std::fs::read_to_string(dir.path().join("model.json")).expect("model");
    let model: serde_json::Value = serde_json::from_str(&text).expect("json");
    let visits = model["tables"]
        .as_array()
        .expect("tables")
        .iter()
        .find(|t| t["name"] == "visits")
        .expect("visits");
    assert_eq!(visits["order"]["column"], "day");
    assert_eq!(visits["order"]["ceiling"], "patients.futime");
    let lags: Vec<&str> = visits["lags"]
        .as_array()
        .expect("lags")
        .iter()
        .filter_map(|v| v.as_str())
        .collect();
    assert!(
        lags.contains(&"bili") && lags.contains(&"day@gap"),
        "{lags:?}"
    );
    assert!(
        !lags.contains(&"day"),
        "the first visit's day is null on later rows"
    );
}

/// A shop's orders whose dates exist only for some statuses (`cancelled_at` only when
/// cancelled, `shipped_at` only when shipped), written as CSV by a fixed pseudo-random
/// sequence.
fn shop(dir: &Path) -> std::path::PathBuf {
    let data = dir.join("shop");
    std::fs::create_dir_all(&data).expect("folder");
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = |n: u64| {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (state >> 33) % n
    };
    let day = |d: u64| {
        // Days after 2020-01-01 as text (28-day months are enough for a test).
        let (y, rest) = (2020 + d / 336, d % 336);
        format!("{y}-{:02}-{:02}", rest / 28 + 1, rest % 28 + 1)
    };
    let mut customers = String::from("id,segment,signed_up\n");
    let mut orders =
        String::from("order_id,customer_id,status,ordered_at,cancelled_at,shipped_at\n");
    let mut order = 1;
    for id in 1..=800u64 {
        let signed = next(700);
        customers += &format!(
            "{id},{},{}\n",
            ["a", "b", "c"][next(3) as usize],
            day(signed)
        );
        for _ in 0..next(4) {
            let at = signed + next(200);
            let (status, cancelled, shipped) = match next(10) {
                0..=1 => ("cancelled", day(at + 1 + next(8)), String::new()),
                2..=3 => ("open", String::new(), String::new()),
                _ => ("shipped", String::new(), day(at + 1 + next(4))),
            };
            orders += &format!("{order},{id},{status},{},{cancelled},{shipped}\n", day(at));
            order += 1;
        }
    }
    std::fs::write(data.join("customers.csv"), customers).expect("customers");
    std::fs::write(data.join("orders.csv"), orders).expect("orders");
    data
}

#[test]
fn a_date_that_only_some_statuses_have_stays_empty_for_the_others() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let data = shop(dir.path());
    let out = draft_fit_sample(&data, dir.path(), "5");
    let orders = read_parquet(&out.join("orders.parquet"));
    let status = {
        let a = orders
            .column_by_name("status")
            .expect("status")
            .as_dictionary::<arrow_array::types::Int32Type>();
        let v = a.values().as_string::<i32>();
        (0..a.len())
            .map(|i| v.value(a.keys().value(i) as usize).to_string())
            .collect::<Vec<_>>()
    };
    let ordered = numbers(&orders, "ordered_at");
    let cancelled = numbers(&orders, "cancelled_at");
    let shipped = numbers(&orders, "shipped_at");
    assert!(orders.num_rows() > 500, "{} orders", orders.num_rows());
    let mut seen = HashMap::new();
    for r in 0..orders.num_rows() {
        let s = status[r].as_str();
        *seen.entry(s).or_insert(0) += 1;
        assert_eq!(
            cancelled[r].is_some(),
            s == "cancelled",
            "row {r}: {s}, cancelled_at {:?}",
            cancelled[r]
        );
        assert_eq!(
            shipped[r].is_some(),
            s == "shipped",
            "row {r}: {s}, shipped_at {:?}",
            shipped[r]
        );
        let o = ordered[r].expect("ordered_at");
        for d in [cancelled[r], shipped[r]].into_iter().flatten() {
            assert!(d >= o, "row {r}: a date {d} before the order {o}");
        }
    }
    assert_eq!(seen.len(), 3, "{seen:?}");
}
