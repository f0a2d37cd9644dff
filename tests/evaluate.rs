//! `fairsynth evaluate` on the Adult sample: the table against itself, against a copy whose
//! columns are shuffled independently, and its train rows against its test rows, compared with
//! figures computed independently with pandas/numpy/scipy (tests/data/reference/evaluate.json).

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use predicates::prelude::*;
use serde_json::Value;

mod common;
use common::root;

/// `fairsynth evaluate` of the Adult sample against itself, with the Adult schema.
fn evaluate_sample() -> Command {
    let mut c = common::fairsynth();
    c.arg("evaluate")
        .arg("--real")
        .arg(sample())
        .arg("--synthetic")
        .arg(sample())
        .arg("--schema")
        .arg(schema());
    c
}

fn sample() -> PathBuf {
    root().join("tests/data/adult_sample.csv")
}

fn schema() -> PathBuf {
    root().join("schemas/adult.yaml")
}

fn reference() -> Value {
    let text = std::fs::read_to_string(root().join("tests/data/reference/evaluate.json"))
        .expect("reference file");
    serde_json::from_str(&text).expect("reference JSON")
}

/// The adult schema without its `quality:` gates, so only `--threshold` sets any.
fn schema_without_gates(dir: &Path) -> PathBuf {
    let text = std::fs::read_to_string(schema()).expect("schema");
    let cut = text.find("\nquality:").map_or(text.len(), |i| i + 1);
    let path = dir.join("adult.yaml");
    std::fs::write(&path, &text[..cut]).expect("write schema");
    path
}

fn read_sample() -> (Vec<String>, Vec<Vec<String>>) {
    let mut r = csv::Reader::from_path(sample()).expect("sample");
    let header = r
        .headers()
        .expect("header")
        .iter()
        .map(String::from)
        .collect();
    let rows = r
        .records()
        .map(|rec| rec.expect("record").iter().map(String::from).collect())
        .collect();
    (header, rows)
}

/// The sample's header and its `train` and `test` rows (by its `split` column, kept).
fn sample_parts() -> (Vec<String>, Vec<Vec<String>>, Vec<Vec<String>>) {
    let (header, rows) = read_sample();
    let split = header.iter().position(|h| h == "split").expect("split");
    let (train, test) = rows.into_iter().partition(|r| r[split] == "train");
    (header, train, test)
}

fn write_csv(path: &Path, header: &[String], rows: &[Vec<String>]) {
    let mut w = csv::Writer::from_path(path).expect("create csv");
    w.write_record(header).expect("write");
    for r in rows {
        w.write_record(r).expect("write");
    }
    w.flush().expect("flush");
}

/// Runs evaluate with `--report`, returning the exit code, stderr and the parsed report.
fn run(real: &Path, syn: &Path, schema: &Path, extra: &[&str], dir: &Path) -> (i32, String, Value) {
    let report = dir.join(format!("report-{}.json", extra.len()));
    let out = Command::cargo_bin("fairsynth")
        .expect("binary")
        .arg("evaluate")
        .arg("--real")
        .arg(real)
        .arg("--synthetic")
        .arg(syn)
        .arg("--schema")
        .arg(schema)
        .arg("--report")
        .arg(&report)
        .args(extra)
        .output()
        .expect("runs");
    let stderr = String::from_utf8(out.stderr).expect("UTF-8");
    assert!(!stderr.contains("panicked"), "{stderr}");
    let json =
        std::fs::read_to_string(&report).unwrap_or_else(|e| panic!("no report ({e}):\n{stderr}"));
    let v: Value = serde_json::from_str(&json).expect("report is JSON");
    (out.status.code().expect("exit code"), stderr, v)
}

fn f(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
}

#[test]
fn the_sample_against_itself_is_a_perfect_copy() {
    let dir = tempfile::tempdir().expect("tempdir");
    let plain = schema_without_gates(dir.path());
    let (code, stderr, r) = run(&sample(), &sample(), &plain, &[], dir.path());
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(f(&r["fidelity"]["overall"]), 1.0);
    assert_eq!(f(&r["privacy"]["exact_copies"]), 1.0);
    assert_eq!(f(&r["privacy"]["dcr_synthetic"]["median"]), 0.0);
    assert_eq!(r["skipped"][0]["column"], "fnlwgt");
    assert_eq!(r["columns"].as_array().expect("columns").len(), 15);
    // The documented fields.
    for path in [
        "/fidelity/column_mean",
        "/fidelity/pair_mean",
        "/fidelity/columns/0/score",
        "/fidelity/pairs/0/score",
        "/utility/tstr_accuracy",
        "/utility/trtr_accuracy",
        "/utility/ratio",
        "/utility/majority_baseline",
        "/privacy/dcr_synthetic/p5",
        "/fairness/attributes/0/real/spd",
        "/fairness/attributes/0/synthetic/di",
    ] {
        assert!(
            r.pointer(path).is_some_and(Value::is_number),
            "{path} in {r:#}"
        );
    }
    assert_eq!(r["passed"], true);
    assert!(stderr.contains("fidelity: overall 1.000"), "{stderr}");

    // Fairness of the sample, against pandas.
    let want = &reference()["fairness"]["sample"];
    let a = &r["fairness"]["attributes"][0];
    assert_eq!(a["attribute"], "sex");
    for p in [&a["real"], &a["synthetic"]] {
        for g in p["groups"].as_array().expect("groups") {
            let name = g["group"].as_str().expect("name");
            assert!(
                (f(&g["rate"]) - f(&want["rates"][name])).abs() < 1e-12,
                "{name}"
            );
        }
        assert_eq!(p["lowest"], "Female");
        assert_eq!(p["highest"], "Male");
        assert!((f(&p["spd"]) - f(&want["spd"])).abs() < 1e-12);
        assert!((f(&p["di"]) - f(&want["di"])).abs() < 1e-12);
    }

    // A gate on exact copies fails the run, naming the figure and the limit.
    let (code, stderr, r) = run(
        &sample(),
        &sample(),
        &plain,
        &["--threshold", "max_exact_copies=0.05"],
        dir.path(),
    );
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("max_exact_copies = 1.0000 against the limit 0.05"),
        "{stderr}"
    );
    assert_eq!(r["checks"][0]["status"], "failed");
    assert_eq!(r["passed"], false);

    // The table against itself: every row a copy; a unique-profile copy wherever the row's
    // 15 evaluated values occur once in the table, counted here by hand.
    let mut seen = std::collections::HashMap::new();
    for row in read_sample().1 {
        // Without fnlwgt (a weight, left out of the evaluation).
        let key: Vec<String> = row
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != 2)
            .map(|(_, v)| v.clone())
            .collect();
        *seen.entry(key).or_insert(0usize) += 1;
    }
    let unique: usize = seen.values().filter(|n| **n == 1).count();
    assert_eq!(r["privacy"]["unique_copy_rows"], unique);
    let (code, stderr, r) = run(
        &sample(),
        &sample(),
        &plain,
        &["--threshold", "max_unique_copies=0.5"],
        dir.path(),
    );
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("max_unique_copies = 0.9"), "{stderr}");
    assert_eq!(r["checks"][0]["key"], "max_unique_copies");
}

#[test]
fn shuffled_columns_keep_the_marginals_and_lose_the_pairs() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (header, rows) = read_sample();
    let n = rows.len();
    let mut shuffled = rows.clone();
    for c in 0..header.len() {
        // A different full-cycle permutation per column: i -> (a*i + b) mod n, a coprime to n.
        let a = [
            7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59, 61, 67,
        ][c % 16];
        assert_eq!(gcd(a, n), 1);
        for (i, row) in shuffled.iter_mut().enumerate() {
            row[c] = rows[(a * i + 3 * c + 1) % n][c].clone();
        }
    }
    let syn = dir.path().join("shuffled.csv");
    write_csv(&syn, &header, &shuffled);
    let plain = schema_without_gates(dir.path());
    let (code, stderr, r) = run(
        &sample(),
        &syn,
        &plain,
        &[
            "--threshold",
            "min_column=0.99",
            "--threshold",
            "min_pair=0.9",
        ],
        dir.path(),
    );
    let fid = &r["fidelity"];
    // Every column holds the same values, so each column score is exactly 1.
    assert_eq!(f(&fid["column_mean"]), 1.0, "{stderr}");
    // The relationships are gone: the pairs score clearly lower.
    let pair = f(&fid["pair_mean"]);
    assert!(pair < 0.93, "pair mean {pair}");
    let score = |a: &str, b: &str| {
        fid["pairs"]
            .as_array()
            .expect("pairs")
            .iter()
            .find(|p| p["columns"][0] == a && p["columns"][1] == b)
            .map(|p| f(&p["score"]))
            .unwrap_or_else(|| panic!("no pair {a} x {b}"))
    };
    // relationship (husband/wife) and sex are tied in the real table.
    assert!(
        score("relationship", "sex") < 0.8,
        "{}",
        score("relationship", "sex")
    );
    assert!(score("education", "education_num") < 0.5);
    // No row survives the shuffle, and the TSTR model is hardly better than the baseline.
    assert!(f(&r["privacy"]["exact_copies"]) < 0.01);
    let u = &r["utility"];
    assert!(
        f(&u["tstr_accuracy"]) < f(&u["trtr_accuracy"]) - 0.03,
        "{u}"
    );
    // min_column passes, min_pair fails: exit 1.
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(r["checks"][0]["key"], "min_column");
    assert_eq!(r["checks"][0]["status"], "passed");
    assert_eq!(r["checks"][1]["status"], "failed");
    assert!(stderr.contains("min_pair ="), "{stderr}");
}

fn gcd(a: usize, b: usize) -> usize {
    if b == 0 {
        a
    } else {
        gcd(b, a % b)
    }
}

#[test]
fn train_rows_against_test_rows_match_the_python_reference() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (header, rows) = read_sample();
    let split = header.iter().position(|h| h == "split").expect("split");
    let keep: Vec<String> = header
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != split)
        .map(|(_, h)| h.clone())
        .collect();
    let part = |which: &str| -> Vec<Vec<String>> {
        rows.iter()
            .filter(|r| r[split] == which)
            .map(|r| {
                r.iter()
                    .enumerate()
                    .filter(|(i, _)| *i != split)
                    .map(|(_, v)| v.clone())
                    .collect()
            })
            .collect()
    };
    let (real, syn) = (dir.path().join("train.csv"), dir.path().join("test.csv"));
    write_csv(&real, &keep, &part("train"));
    write_csv(&syn, &keep, &part("test"));
    let plain = schema_without_gates(dir.path());
    let (code, stderr, r) = run(
        &real,
        &syn,
        &plain,
        &["--threshold", "min_dcr_ratio=0.5"],
        dir.path(),
    );
    assert_eq!(code, 0, "{stderr}");
    let want = reference();
    let close = |got: f64, want: f64, what: &str| {
        assert!((got - want).abs() < 1e-9, "{what}: {got} vs {want}");
    };
    assert_eq!(r["real"]["rows"], want["real_rows"]);
    assert_eq!(r["synthetic"]["rows"], want["synthetic_rows"]);
    assert!(r["skipped"]
        .as_array()
        .expect("skipped")
        .iter()
        .any(|s| s["column"] == "split" && s["reason"] == "in neither table"));
    let fid = &r["fidelity"];
    for c in fid["columns"].as_array().expect("columns") {
        let name = c["column"].as_str().expect("name");
        close(f(&c["score"]), f(&want["columns"][name]), name);
    }
    let pairs = fid["pairs"].as_array().expect("pairs");
    assert_eq!(pairs.len(), want["pairs"].as_object().expect("pairs").len());
    for p in pairs {
        let name = format!(
            "{} x {}",
            p["columns"][0].as_str().expect("a"),
            p["columns"][1].as_str().expect("b")
        );
        assert_eq!(p["metric"], want["pairs"][&name]["metric"], "{name}");
        close(f(&p["score"]), f(&want["pairs"][&name]["score"]), &name);
    }
    close(f(&fid["overall"]), f(&want["overall"]), "overall");
    assert_eq!(r["privacy"]["exact_copy_rows"], want["exact_copy_rows"]);
    assert_eq!(r["privacy"]["unique_copy_rows"], want["unique_copy_rows"]);
    for k in ["min", "p5", "median"] {
        close(
            f(&r["privacy"]["dcr_synthetic"][k]),
            f(&want["dcr"][k]),
            &format!("dcr {k}"),
        );
    }
    let a = &r["fairness"]["attributes"][0];
    for (side, key) in [("real", "real"), ("synthetic", "synthetic")] {
        close(f(&a[side]["spd"]), f(&want["fairness"][key]["spd"]), "spd");
        close(f(&a[side]["di"]), f(&want["fairness"][key]["di"]), "di");
    }
    // Without --holdout the DCR ratio gate is skipped, neither passed nor failed.
    assert_eq!(r["checks"][0]["key"], "min_dcr_ratio");
    assert_eq!(r["checks"][0]["status"], "skipped");
    assert!(stderr.contains("skip min_dcr_ratio"), "{stderr}");
}

#[test]
fn holdout_gives_a_dcr_ratio_and_the_test_set() {
    let dir = tempfile::tempdir().expect("tempdir");
    let plain = schema_without_gates(dir.path());
    // The sample as its own holdout: synthetic and holdout rows are both copies.
    let (code, stderr, r) = run(
        &sample(),
        &sample(),
        &plain,
        &[
            "--holdout",
            sample().to_str().expect("path"),
            "--threshold",
            "min_dcr_ratio=0.5",
        ],
        dir.path(),
    );
    assert_eq!(r["utility"]["test_set"], "holdout");
    assert_eq!(r["utility"]["test_rows"], 2036);
    assert_eq!(f(&r["privacy"]["dcr_holdout"]["median"]), 0.0);
    // A zero holdout median leaves the ratio undefined: the gate is skipped, exit 0.
    assert_eq!(r["checks"][0]["status"], "skipped", "{stderr}");
    assert_eq!(code, 0, "{stderr}");
}

#[test]
fn input_and_usage_errors_exit_2() {
    let dir = tempfile::tempdir().expect("tempdir");
    let missing = dir.path().join("nope.csv");
    Command::cargo_bin("fairsynth")
        .expect("binary")
        .arg("evaluate")
        .arg("--real")
        .arg(sample())
        .arg("--synthetic")
        .arg(&missing)
        .arg("--schema")
        .arg(schema())
        .assert()
        .code(2)
        .stderr(predicate::str::contains("nope.csv"));
    evaluate_sample()
        .args(["--threshold", "min_overal=0.9"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("unknown key `min_overal`"))
        .stderr(predicate::str::contains("did you mean `min_overall`?"));
    evaluate_sample()
        .args(["--threshold", "max_exact_copies=2"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("must be between 0 and 1"));
    // The report may not overwrite an input.
    evaluate_sample()
        .arg("--report")
        .arg(sample())
        .assert()
        .code(2);
}

/// A table as `sample` writes it: no weight column, rare levels merged into `(other)`. The
/// figures do not depend on the thread count.
#[test]
fn sampled_tables_without_weights_and_with_merged_levels() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (header, rows) = read_sample();
    let weight = header.iter().position(|h| h == "fnlwgt").expect("fnlwgt");
    let country = header
        .iter()
        .position(|h| h == "native_country")
        .expect("native_country");
    let keep: Vec<String> = header
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != weight)
        .map(|(_, h)| h.clone())
        .collect();
    let merged: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            r.iter()
                .enumerate()
                .filter(|(i, _)| *i != weight)
                .map(|(i, v)| {
                    let common = ["United-States", "Mexico", ""].contains(&v.as_str());
                    if i == country && !common {
                        "(other)".to_string()
                    } else {
                        v.clone()
                    }
                })
                .collect()
        })
        .collect();
    let syn = dir.path().join("sampled.csv");
    write_csv(&syn, &keep, &merged);
    let plain = schema_without_gates(dir.path());
    let on = |threads: &str| {
        let (code, stderr, r) = run(&sample(), &syn, &plain, &["--threads", threads], dir.path());
        assert_eq!(code, 0, "{stderr}");
        (stderr, r)
    };
    let (stderr, one) = on("1");
    let (_, three) = on("3");
    assert_eq!(one, three, "the figures depend on the thread count");
    assert_eq!(one["skipped"][0]["column"], "fnlwgt");
    let c = one["fidelity"]["columns"]
        .as_array()
        .expect("columns")
        .iter()
        .find(|c| c["column"] == "native_country")
        .expect("native_country");
    assert_eq!(c["new_levels"], serde_json::json!(["(other)"]));
    // Only the merged column differs: its score drops by the merged share, the others stay 1.
    let merged_share = merged
        .iter()
        .filter(|r| r[country - 1] == "(other)")
        .count() as f64
        / merged.len() as f64;
    assert!((f(&c["score"]) - (1.0 - merged_share)).abs() < 1e-12);
    assert!(
        stderr.contains("`native_country` has levels the real table lacks: (other)"),
        "{stderr}"
    );
}

/// Real = the train rows with their `split` column (constant `train`), holdout = the test rows
/// (`test`): `split` says only which table a row came from, so it is left out of the distances
/// and of the holdout's copy share, which then equal the reference computed without the column.
#[test]
fn a_column_constant_in_the_real_table_is_left_out_of_distances() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (header, train, test) = sample_parts();
    let (real, hold) = (dir.path().join("train.csv"), dir.path().join("test.csv"));
    write_csv(&real, &header, &train);
    write_csv(&hold, &header, &test);
    let plain = schema_without_gates(dir.path());
    let (code, stderr, r) = run(
        &real,
        &real,
        &plain,
        &["--holdout", hold.to_str().expect("path")],
        dir.path(),
    );
    assert_eq!(code, 0, "{stderr}");
    let want = reference();
    let p = &r["privacy"];
    assert_eq!(p["dcr_left_out"], serde_json::json!(["split"]));
    assert!(stderr.contains("left out of DCR (one value in the real table): split"));
    let test_rows = f(&r["utility"]["test_rows"]);
    let copies = f(&p["holdout_exact_copies"]) * test_rows;
    assert!(
        (copies - f(&want["exact_copy_rows"])).abs() < 1e-6,
        "{copies}"
    );
    let unique = f(&p["holdout_unique_copies"]) * test_rows;
    assert!(
        (unique - f(&want["unique_copy_rows"])).abs() < 1e-6,
        "{unique}"
    );
    for k in ["min", "p5", "median"] {
        let (got, exp) = (f(&p["dcr_holdout"][k]), f(&want["dcr"][k]));
        assert!((got - exp).abs() < 1e-9, "holdout dcr {k}: {got} vs {exp}");
    }
}

/// The membership test against the reference: real = the train rows (members), holdout = the
/// test rows, synthetic = every other train row and every third test row; the AUC of "real
/// rows lie closer to the synthetic rows" and the shares each group has copied, as scipy's
/// Mann-Whitney U gives them.
#[test]
fn the_membership_test_matches_the_python_reference() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (header, train, test) = sample_parts();
    let synthetic: Vec<Vec<String>> = train
        .iter()
        .step_by(2)
        .chain(test.iter().step_by(3))
        .cloned()
        .collect();
    let real = dir.path().join("train.csv");
    let hold = dir.path().join("test.csv");
    let syn = dir.path().join("syn.csv");
    write_csv(&real, &header, &train);
    write_csv(&hold, &header, &test);
    write_csv(&syn, &header, &synthetic);
    let plain = schema_without_gates(dir.path());
    let (code, stderr, r) = run(
        &real,
        &syn,
        &plain,
        &["--holdout", hold.to_str().expect("path")],
        dir.path(),
    );
    assert_eq!(code, 0, "{stderr}");
    let want = &reference()["membership"];
    let m = &r["privacy"]["membership"];
    assert_eq!(m["members"], serde_json::json!(train.len()));
    assert_eq!(m["non_members"], serde_json::json!(test.len()));
    assert_eq!(m["synthetic_rows"], want["synthetic_rows"]);
    for k in ["auc", "member_matches", "non_member_matches", "matches_se"] {
        let (got, exp) = (f(&m[k]), f(&want[k]));
        assert!((got - exp).abs() < 1e-9, "membership {k}: {got} vs {exp}");
    }
    let (got, exp) = (&m["singletons"], &want["singletons"]);
    assert_eq!(got["members"], exp["members"], "{got}");
    assert_eq!(got["non_members"], exp["non_members"], "{got}");
    for k in ["member_matches", "non_member_matches", "matches_se"] {
        let (g, e) = (f(&got[k]), f(&exp[k]));
        assert!((g - e).abs() < 1e-9, "singletons {k}: {g} vs {e}");
    }
    // Members were copied more than unseen rows, so the test sees them.
    assert!(f(&m["auc"]) > 0.55, "{m}");
    assert!(stderr.contains("membership test ("), "{stderr}");
    // The summary gives both copied shares with the singletons' counts.
    assert!(
        stderr.contains("of the rows no other real or holdout row equals, 49.7% of 1327 real, 33.4% of 674 holdout (+16.35 ± 2.28 points)"),
        "{stderr}"
    );
    // The gates: AUC 0.586 fails at 0.55 (exit 1) and passes at 0.6; real singletons copied
    // 49.7 %, holdout ones 33.4 %, a difference of 0.164 that fails at 0.15 and passes at 0.2.
    let single = &want["singletons"];
    let gap = f(&single["member_matches"]) - f(&single["non_member_matches"]);
    assert!((gap - 0.1635).abs() < 1e-3, "{gap}");
    let auc = f(&want["auc"]);
    for (key, limit, value, code_want, status) in [
        ("max_membership_auc", "0.55", auc, 1, "failed"),
        ("max_membership_auc", "0.6", auc, 0, "passed"),
        ("max_singleton_advantage", "0.15", gap, 1, "failed"),
        ("max_singleton_advantage", "0.2", gap, 0, "passed"),
    ] {
        let gate = format!("{key}={limit}");
        let (code, stderr, r) = run(
            &real,
            &syn,
            &plain,
            &[
                "--holdout",
                hold.to_str().expect("path"),
                "--threshold",
                &gate,
            ],
            dir.path(),
        );
        assert_eq!(code, code_want, "{gate}: {stderr}");
        let check = &r["checks"][0];
        assert_eq!(check["key"], key);
        assert_eq!(check["status"], status, "{check}");
        assert!((f(&check["value"]) - value).abs() < 1e-9, "{check}");
        if key == "max_singleton_advantage" {
            // It names the groups it compares.
            assert!(
                stderr.contains(
                    "(singletons copied: 49.7% of 1327 real against 33.4% of 674 holdout"
                ),
                "{stderr}"
            );
        }
    }
}

/// Without a holdout there is nothing to tell members from, and no membership figure.
#[test]
fn no_membership_test_without_a_holdout() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (header, rows) = read_sample();
    let real = dir.path().join("real.csv");
    write_csv(&real, &header, &rows);
    let plain = schema_without_gates(dir.path());
    let (code, stderr, r) = run(
        &real,
        &real,
        &plain,
        &[
            "--threshold",
            "max_membership_auc=0.6",
            "--threshold",
            "max_singleton_advantage=0.01",
        ],
        dir.path(),
    );
    assert_eq!(code, 0, "{stderr}");
    assert!(r["privacy"]["membership"].is_null(), "{}", r["privacy"]);
    assert_eq!(r["checks"][0]["status"], "skipped");
    assert_eq!(r["checks"][1]["status"], "skipped");
    assert!(stderr.contains("skip max_membership_auc"), "{stderr}");
    assert!(stderr.contains("skip max_singleton_advantage"), "{stderr}");
}
