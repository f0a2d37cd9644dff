//! Families of child rows on real longitudinal data (the Mayo Clinic PBC trial: 312 patients
//! and their 1,945 visits, `tests/data/relational/pbc`): a patient's visits depend on each
//! other as the real ones do (a patient with high bilirubin keeps it), they come in order of
//! the visit day although the day is a whole number, not a date, and no visit falls after
//! the end of its patient's follow-up.

mod common;

use std::collections::HashMap;
use std::path::Path;

use arrow_array::cast::AsArray;
use arrow_array::types::{Float64Type, Int32Type, Int64Type};
use arrow_array::{Array, RecordBatch};
use arrow_schema::DataType;
use common::{fairsynth, read_parquet, root};

fn numbers(b: &RecordBatch, name: &str) -> Vec<Option<f64>> {
    let a = b
        .column_by_name(name)
        .unwrap_or_else(|| panic!("no column {name}"));
    let get = |i: usize| -> f64 {
        match a.data_type() {
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

fn sample(dir: &Path) -> (RecordBatch, RecordBatch) {
    let data = root().join("tests/data/relational/pbc");
    let schema = dir.join("pbc.yaml");
    fairsynth()
        .arg("inspect")
        .arg(&data)
        .arg("--draft-schema")
        .arg(&schema)
        .assert()
        .success();
    let model = dir.join("model.json");
    fairsynth()
        .arg("fit")
        .arg(&data)
        .arg("--schema")
        .arg(&schema)
        .arg("-o")
        .arg(&model)
        .arg("--quiet")
        .assert()
        .success();
    let out = dir.join("out");
    fairsynth()
        .arg("sample")
        .arg(&model)
        .arg("-o")
        .arg(&out)
        .args(["--seed", "3", "--quiet"])
        .assert()
        .success();
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
