//! `evaluate` of a sample drawn to targets: against the real table as it is, the requested
//! shift scores as poor fidelity; against the real table reweighted to the same targets (given
//! with `--targets`, or read from the sample's provenance), the shifted marginal is close to
//! perfect, and the fidelity gates judge those figures.

use std::path::{Path, PathBuf};

use serde_json::Value;

mod common;
use common::{fairsynth, root};

fn adult() -> PathBuf {
    root().join("tests/data/adult_sample.csv")
}

fn schema() -> PathBuf {
    root().join("schemas/adult.yaml")
}

/// Fits the Adult sample and draws 6,000 rows with women at 70 % and the 17-24 band at 40 %
/// (real: 33 % and 17 %), the data's own label dependence kept; returns the targets file,
/// that sample and one drawn without targets.
fn samples(dir: &Path) -> (PathBuf, PathBuf, PathBuf) {
    let model = dir.join("model.json");
    fairsynth()
        .arg("fit")
        .arg(adult())
        .arg("--schema")
        .arg(schema())
        .args(["-q", "--seed", "3", "-o"])
        .arg(&model)
        .assert()
        .success();
    let targets = dir.join("targets.yaml");
    std::fs::write(
        &targets,
        "sex: {Female: 0.7, Male: 0.3}\nage: {\"17-24\": 0.4, \"25-34\": 0.2, \"35-44\": 0.15, \"45-54\": 0.1, \"55-64\": 0.1, \"65-90\": 0.05}\n",
    )
    .expect("write targets");
    let shifted = dir.join("shifted.parquet");
    let plain = dir.join("plain.parquet");
    for (out, extra) in [(&shifted, vec!["--targets"]), (&plain, vec![])] {
        let mut c = fairsynth();
        c.arg("sample")
            .arg(&model)
            .args(["--rows", "6000", "--seed", "5", "--no-fairness", "-q", "-o"])
            .arg(out)
            .args(&extra);
        if !extra.is_empty() {
            c.arg(&targets);
        }
        c.assert().success();
    }
    (targets, shifted, plain)
}

/// Runs evaluate with `--report` and the fidelity gates at 0.9 (overall) and 0.8 (columns),
/// returning the exit code, stderr and the report.
fn evaluate(syn: &Path, extra: &[&str], dir: &Path, name: &str) -> (i32, String, Value) {
    let report = dir.join(format!("{name}.json"));
    let out = fairsynth()
        .arg("evaluate")
        .arg("--real")
        .arg(adult())
        .arg("--synthetic")
        .arg(syn)
        .arg("--schema")
        .arg(schema())
        .arg("--report")
        .arg(&report)
        .args([
            "--threshold",
            "min_overall=0.9",
            "--threshold",
            "min_column=0.8",
            // The samples keep the data's label dependence; parity is not tested here.
            "--threshold",
            "min_di=0",
            "--threshold",
            "max_spd=1",
        ])
        .args(extra)
        .output()
        .expect("runs");
    let stderr = String::from_utf8(out.stderr).expect("UTF-8");
    assert!(!stderr.contains("panicked"), "{stderr}");
    let text = std::fs::read_to_string(&report).unwrap_or_else(|e| panic!("{e}: {stderr}"));
    (
        out.status.code().expect("exit code"),
        stderr,
        serde_json::from_str(&text).expect("JSON"),
    )
}

fn column(fidelity: &Value, name: &str) -> f64 {
    fidelity["columns"]
        .as_array()
        .expect("columns")
        .iter()
        .find(|c| c["column"] == name)
        .unwrap_or_else(|| panic!("no column {name}"))["score"]
        .as_f64()
        .expect("score")
}

fn check<'a>(r: &'a Value, key: &str) -> &'a Value {
    r["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .find(|c| c["key"] == key)
        .unwrap_or_else(|| panic!("no check {key}"))
}

#[test]
fn a_sample_drawn_to_targets_is_judged_against_the_reweighted_real_table() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (targets, shifted, plain) = samples(dir.path());

    // Plain figures only: the requested shift is the worst column and fails the gate.
    let (code, stderr, r) = evaluate(&shifted, &["--no-targets"], dir.path(), "none");
    assert!(r["targets"].is_null(), "{stderr}");
    let sex_plain = column(&r["fidelity"], "sex");
    assert!(sex_plain < 0.7, "sex against the real shares: {sex_plain}");
    assert_eq!(
        code, 1,
        "the shifted sample fails min_column on plain shares: {stderr}"
    );
    assert_eq!(check(&r, "min_column")["status"], "failed");

    // The recorded targets: the same plain figures, and beside them the reweighted ones.
    let (code, stderr, rec) = evaluate(&shifted, &[], dir.path(), "recorded");
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        rec["fidelity"], r["fidelity"],
        "the plain figures do not change"
    );
    let t = &rec["targets"];
    assert!(
        t["source"].as_str().expect("source").contains("recorded"),
        "{t}"
    );
    assert_eq!(t["converged"], true);
    let sex = column(&t["fidelity"], "sex");
    assert!(sex > 0.99, "sex against the reweighted real shares: {sex}");
    let age_band = &t["shares"].as_array().expect("shares")[1];
    assert_eq!(age_band["column"], "age");
    for (level, want) in [("Female", 0.7), ("Male", 0.3)] {
        let l = t["shares"][0]["levels"]
            .as_array()
            .expect("levels")
            .iter()
            .find(|l| l["level"] == level)
            .expect("level");
        let (real, rew, syn) = (
            l["real"].as_f64().expect("real"),
            l["reweighted"].as_f64().expect("reweighted"),
            l["synthetic"].as_f64().expect("synthetic"),
        );
        assert!((rew - want).abs() < 1e-9, "{level}: reweighted {rew}");
        assert!((syn - want).abs() < 0.005, "{level}: synthetic {syn}");
        assert!((real - want).abs() > 0.3, "{level}: real {real}");
    }
    let overall = |v: &Value| v["overall"].as_f64().expect("overall");
    assert!(
        overall(&t["fidelity"]) > overall(&rec["fidelity"]) + 0.02,
        "reweighted {} vs plain {}",
        overall(&t["fidelity"]),
        overall(&rec["fidelity"])
    );
    // The gates judge the reweighted figures, and say so.
    let c = check(&rec, "min_column");
    assert_eq!(c["status"], "passed");
    assert!(
        c["detail"].as_str().expect("detail").contains("reweighted"),
        "{c}"
    );
    assert!(
        stderr.contains("fidelity against the real table reweighted to the targets"),
        "{stderr}"
    );
    assert!(
        stderr.contains("sex (target/real/reweighted/synthetic): Female 0.700/0.331/0.700/"),
        "{stderr}"
    );

    // The same targets from a file give the same figures.
    let tpath = targets.display().to_string();
    let (code, stderr, given) = evaluate(&shifted, &["--targets", &tpath], dir.path(), "given");
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(given["targets"]["fidelity"], t["fidelity"]);
    assert_eq!(given["targets"]["shares"], t["shares"]);
    assert!(given["targets"]["source"]
        .as_str()
        .expect("source")
        .contains("targets.yaml"));

    // A sample drawn without targets has none recorded; against the shifted targets it
    // scores worse on sex than against the real table.
    let (_, stderr, p) = evaluate(&plain, &[], dir.path(), "plain");
    assert!(p["targets"].is_null(), "{stderr}");
    let (_, stderr, pt) = evaluate(&plain, &["--targets", &tpath], dir.path(), "plain-t");
    assert!(
        column(&pt["targets"]["fidelity"], "sex") < column(&p["fidelity"], "sex") - 0.3,
        "{stderr}"
    );
}

#[test]
fn targets_that_no_reweighting_reaches_are_usage_errors() {
    let dir = tempfile::tempdir().expect("tempdir");
    let t = dir.path().join("t.yaml");
    // A synthetic table without `race`.
    let no_race = dir.path().join("no_race.csv");
    let mut r = csv::Reader::from_path(adult()).expect("sample");
    let header: Vec<String> = r
        .headers()
        .expect("header")
        .iter()
        .map(String::from)
        .collect();
    let drop = header.iter().position(|h| h == "race").expect("race");
    let mut w = csv::Writer::from_path(&no_race).expect("create");
    let keep = |rec: Vec<String>| -> Vec<String> {
        rec.into_iter()
            .enumerate()
            .filter(|(i, _)| *i != drop)
            .map(|(_, v)| v)
            .collect()
    };
    w.write_record(keep(header.clone())).expect("write");
    for rec in r.records() {
        let rec: Vec<String> = rec.expect("record").iter().map(String::from).collect();
        w.write_record(keep(rec)).expect("write");
    }
    w.flush().expect("flush");
    for (text, syn, want) in [
        (
            "native_country: {Atlantis: 1.0}\n",
            adult(),
            "`native_country: Atlantis` (share 1) never occurs in the real table",
        ),
        (
            "race: {White: 0.5, Black: 0.2, Asian-Pac-Islander: 0.1, Amer-Indian-Eskimo: 0.1, Other: 0.1}\n",
            no_race.clone(),
            "column `race` is not evaluated",
        ),
    ] {
        std::fs::write(&t, text).expect("write");
        let out = fairsynth()
            .arg("evaluate")
            .arg("--real")
            .arg(adult())
            .arg("--synthetic")
            .arg(&syn)
            .arg("--schema")
            .arg(schema())
            .arg("--targets")
            .arg(&t)
            .output()
            .expect("runs");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{text}: {stderr}");
        assert!(stderr.contains(want), "{text}: {stderr}");
    }
}
