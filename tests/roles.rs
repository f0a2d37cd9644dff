//! Combined roles: a column that is both protected and a quasi-identifier
//! (`role: [protected, quasi_identifier]`) is generalised and counted for k-anonymity by
//! `deidentify` and `evaluate`, and is a protected attribute for `reweight`, `fit`/`sample`
//! and `evaluate`'s fairness figures.

use std::fs;

use serde_json::Value;

mod common;
use common::fairsynth;

const SAMPLE: &str = "tests/data/adult_sample.csv";
const SCHEMA: &str = "tests/data/schemas/adult_deid.yaml";

fn json(path: &std::path::Path) -> Value {
    serde_json::from_str(&fs::read_to_string(path).expect("report")).expect("JSON")
}

#[test]
fn schema_check_accepts_role_lists() {
    fairsynth()
        .args(["schema", "check", SCHEMA])
        .assert()
        .success();
}

#[test]
fn deidentify_generalises_a_protected_quasi_identifier() {
    let dir = tempfile::tempdir().expect("tmp");
    let rep = dir.path().join("r.json");
    fairsynth()
        .args(["deidentify", SAMPLE, "--schema", SCHEMA, "-q", "-o"])
        .arg(dir.path().join("o.parquet"))
        .arg("--report")
        .arg(&rep)
        .assert()
        .success();
    let r = json(&rep);
    assert_eq!(
        r["anonymity"]["quasi_identifiers"],
        serde_json::json!(["age", "sex"])
    );
    assert!(r["anonymity"]["k_achieved"].as_u64().expect("k") >= 5);
    let age = r["columns"]
        .as_array()
        .expect("columns")
        .iter()
        .find(|c| c["column"] == "age")
        .expect("age");
    assert!(
        age["action"]
            .as_str()
            .expect("action")
            .starts_with("generalise"),
        "{age}"
    );
}

#[test]
fn evaluate_counts_it_for_k_and_for_fairness() {
    let dir = tempfile::tempdir().expect("tmp");
    let rep = dir.path().join("e.json");
    // The sample against itself: k over raw (age, sex) is 1, below `quality.min_k: 5`.
    fairsynth()
        .args(["evaluate", "--real", SAMPLE, "--synthetic", SAMPLE])
        .args(["--schema", SCHEMA, "-q", "--report"])
        .arg(&rep)
        .assert()
        .code(1);
    let r = json(&rep);
    let k = &r["privacy"]["k_anonymity"];
    assert_eq!(k["columns"], serde_json::json!(["age", "sex"]));
    assert_eq!(k["k"], 1);
    let attrs = r["fairness"]["attributes"].as_array().expect("attributes");
    assert!(
        attrs.iter().any(|a| a.to_string().contains("\"sex\"")),
        "{attrs:?}"
    );
}

#[test]
fn reweight_and_sample_repair_parity_on_it() {
    let dir = tempfile::tempdir().expect("tmp");
    let rep = dir.path().join("rw.json");
    fairsynth()
        .args(["reweight", SAMPLE, "--schema", SCHEMA, "-q", "-o"])
        .arg(dir.path().join("w.parquet"))
        .arg("--report")
        .arg(&rep)
        .assert()
        .success();
    let attrs = &json(&rep)["fairness"]["attributes"];
    assert_eq!(attrs[0]["column"], "sex");
    assert!((attrs[0]["di_after"].as_f64().expect("DI") - 1.0).abs() < 1e-9);

    let model = dir.path().join("m.json");
    fairsynth()
        .args(["fit", SAMPLE, "--schema", SCHEMA, "-q", "-o"])
        .arg(&model)
        .assert()
        .success();
    let srep = dir.path().join("s.json");
    fairsynth()
        .arg("sample")
        .arg(&model)
        .args(["--rows", "5000", "-q", "-o"])
        .arg(dir.path().join("s.parquet"))
        .arg("--report")
        .arg(&srep)
        .assert()
        .success();
    let parity = &json(&srep)["parity"];
    assert_eq!(parity["independent_of"], serde_json::json!(["sex"]));
    assert!((parity["disparate_impact_expected"].as_f64().expect("DI") - 1.0).abs() < 1e-9);
}
