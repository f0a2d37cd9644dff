//! `evaluate --real DIR --synthetic DIR [--holdout DIR]` on databases built here with known
//! properties: the detection test on profiles (people with their orders' counts, means and
//! modes), the privacy of whole profiles and the membership test against held-out people,
//! their gates and `--threshold`, and the HTML page.

mod common;

use std::path::{Path, PathBuf};

use common::fairsynth;

const SCHEMA: &str = r#"
version: 1
name: shop
seed: 3
tables:
  - name: customers
    rows: 1000
    primary_key: id
    columns:
      - {name: id, type: int, role: identifier}
      - {name: segment, type: category, levels: [basic, premium]}
      - {name: age, type: int}
  - name: orders
    primary_key: order_id
    columns:
      - {name: order_id, type: int, role: identifier}
      - name: customer_id
        type: int
        references: customers
        children: {shares: {"1": 0.5, "2": 0.5}, max: 10}
      - {name: amount, type: float}
      - {name: channel, type: category, levels: [web, shop]}
"#;

/// A small deterministic generator (64-bit LCG, the top bits as a uniform draw).
struct Draw(u64);

impl Draw {
    fn next(&mut self) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// How the orders of a database are made.
#[derive(Clone, Copy, PartialEq)]
enum Orders {
    /// Premium customers order 3-7 times for about 120 each, basic ones 1-2 times for about 20.
    Real,
    /// Every customer orders exactly once, whatever the segment.
    One,
}

/// Writes `customers.csv` and `orders.csv` of `people` customers (ids from `first`) into `dir`.
fn database(dir: &Path, people: usize, first: usize, seed: u64, orders: Orders) -> PathBuf {
    std::fs::create_dir_all(dir).expect("folder");
    let mut d = Draw(seed);
    let mut customers = String::from("id,segment,age\n");
    let mut lines = String::from("order_id,customer_id,amount,channel\n");
    let mut order_id = first * 10;
    for id in first..first + people {
        let premium = d.next() < 0.3;
        let age = 20 + (d.next() * 50.0) as u32 + if premium { 10 } else { 0 };
        customers.push_str(&format!(
            "{id},{},{age}\n",
            if premium { "premium" } else { "basic" }
        ));
        let n = match (orders, premium) {
            (Orders::One, _) => 1,
            (Orders::Real, true) => 3 + (d.next() * 5.0) as usize,
            (Orders::Real, false) => 1 + (d.next() * 2.0) as usize,
        };
        for _ in 0..n {
            let base = if premium { 120.0 } else { 20.0 };
            let amount = base * (0.5 + d.next());
            let channel = if d.next() < 0.6 { "web" } else { "shop" };
            lines.push_str(&format!("{order_id},{id},{amount:.2},{channel}\n"));
            order_id += 1;
        }
    }
    std::fs::write(dir.join("customers.csv"), customers).expect("customers");
    std::fs::write(dir.join("orders.csv"), lines).expect("orders");
    dir.to_path_buf()
}

/// Runs `evaluate` and returns its exit code and JSON report.
fn evaluate(
    dir: &Path,
    real: &Path,
    synthetic: &Path,
    holdout: Option<&Path>,
    extra: &[&str],
) -> (i32, serde_json::Value, String) {
    let schema = dir.join("shop.yaml");
    std::fs::write(&schema, SCHEMA).expect("schema");
    let report = dir.join("report.json");
    let _ = std::fs::remove_file(&report);
    let mut cmd = fairsynth();
    cmd.args(["evaluate", "--real"])
        .arg(real)
        .arg("--synthetic")
        .arg(synthetic)
        .arg("--schema")
        .arg(&schema)
        .arg("--report")
        .arg(&report)
        .args(extra);
    if let Some(h) = holdout {
        cmd.arg("--holdout").arg(h);
    }
    let out = cmd.output().expect("runs");
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    let code = out.status.code().expect("exit code");
    let json = std::fs::read(&report)
        .map(|b| serde_json::from_slice(&b).expect("json"))
        .unwrap_or(serde_json::Value::Null);
    (code, json, stderr)
}

fn detection_auc(r: &serde_json::Value, table: &str) -> f64 {
    r["detection"]
        .as_array()
        .expect("detection")
        .iter()
        .find(|d| d["table"] == table)
        .unwrap_or_else(|| panic!("no detection of {table}: {r}"))["auc"]
        .as_f64()
        .expect("auc")
}

fn customers_privacy(r: &serde_json::Value) -> &serde_json::Value {
    r["privacy"]
        .as_array()
        .expect("privacy")
        .iter()
        .find(|p| p["table"] == "customers")
        .expect("customers' privacy")
}

#[test]
fn a_second_sample_of_the_people_passes_and_a_copy_fails_the_membership_gate() {
    let dir = tempfile::tempdir().expect("tmp");
    let real = database(&dir.path().join("real"), 3000, 0, 1, Orders::Real);
    let hold = database(&dir.path().join("hold"), 3000, 10_000, 2, Orders::Real);
    let other = database(&dir.path().join("other"), 3000, 20_000, 3, Orders::Real);
    let gates = [
        "--threshold",
        "max_membership_auc=0.56",
        "--threshold",
        "max_detection_auc=0.6",
    ];

    // Other people of the same population: nothing tells them apart, nothing is learnt
    // about who was in the real tables.
    let (code, r, err) = evaluate(dir.path(), &real, &other, Some(&hold), &gates);
    assert_eq!(code, 0, "{err}");
    for t in ["customers", "orders"] {
        let auc = detection_auc(&r, t);
        assert!((0.4..0.56).contains(&auc), "{t}: {auc}");
    }
    let customers = r["detection"]
        .as_array()
        .expect("detection")
        .iter()
        .find(|d| d["table"] == "customers")
        .expect("customers");
    assert_eq!(customers["descendants"], serde_json::json!(["orders"]));
    // segment, age, #orders, orders.amount, orders.channel.
    assert_eq!(customers["columns"], 5);
    let p = customers_privacy(&r);
    let m = &p["membership"];
    let auc = m["auc"].as_f64().expect("membership auc");
    assert!((0.44..0.56).contains(&auc), "{auc}");
    // Every table's profiles are judged: the customers and the orders.
    assert_eq!(r["privacy"].as_array().expect("privacy").len(), 2);
    assert_eq!(r["holdout"], true);
    assert!(err.contains("membership AUC"), "{err}");

    // The real tables themselves as the "synthetic" ones: every profile is a copy, and the
    // real people sit at distance 0 from it while the held-out ones do not.
    let (code, r, err) = evaluate(dir.path(), &real, &real, Some(&hold), &gates);
    assert_eq!(code, 1, "{err}");
    let p = customers_privacy(&r);
    assert_eq!(p["exact_copies"], 1.0);
    assert!(p["membership"]["auc"].as_f64().expect("auc") > 0.7, "{p}");
    let failed: Vec<&serde_json::Value> = r["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .filter(|c| c["status"] == "failed")
        .collect();
    assert!(
        failed.iter().any(|c| c["key"] == "max_membership_auc"
            && c["detail"].as_str().expect("detail").contains("customers")),
        "{failed:?}"
    );
    assert!(err.contains("max_membership_auc"), "{err}");
}

#[test]
fn children_counts_that_ignore_the_parent_give_the_profiles_away() {
    let dir = tempfile::tempdir().expect("tmp");
    let real = database(&dir.path().join("real"), 3000, 0, 1, Orders::Real);
    let one = database(&dir.path().join("one"), 3000, 20_000, 3, Orders::One);
    let (code, r, err) = evaluate(
        dir.path(),
        &real,
        &one,
        None,
        &["--threshold", "max_detection_auc=0.6"],
    );
    assert_eq!(code, 1, "{err}");
    // Customers with their order counts are told apart; the orders alone far less so.
    let customers = detection_auc(&r, "customers");
    assert!(customers > 0.8, "{customers}");
    assert!(detection_auc(&r, "orders") < customers, "{r}");
    // Without a holdout the membership gates are skipped, not passed.
    assert!(customers_privacy(&r)["membership"].is_null());
    assert_eq!(r["holdout"], false);
}

#[test]
fn the_membership_gate_without_a_holdout_is_skipped_and_one_table_gates_are_refused() {
    let dir = tempfile::tempdir().expect("tmp");
    let real = database(&dir.path().join("real"), 400, 0, 1, Orders::Real);
    let other = database(&dir.path().join("other"), 400, 20_000, 3, Orders::Real);
    let (code, r, err) = evaluate(
        dir.path(),
        &real,
        &other,
        None,
        &["--threshold", "max_membership_auc=0.55"],
    );
    assert_eq!(code, 0, "{err}");
    let check = r["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .find(|c| c["key"] == "max_membership_auc")
        .expect("the gate")
        .clone();
    assert_eq!(check["status"], "skipped", "{check}");
    assert!(
        check["detail"]
            .as_str()
            .expect("detail")
            .contains("needs --holdout"),
        "{check}"
    );
    let (code, _, err) = evaluate(
        dir.path(),
        &real,
        &other,
        None,
        &["--threshold", "min_tstr_ratio=0.9"],
    );
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("linked tables are not judged by it") && err.contains("max_detection_auc"),
        "{err}"
    );
    // A holdout that is a file, not a folder.
    let (code, _, err) = evaluate(
        dir.path(),
        &real,
        &other,
        Some(&real.join("customers.csv")),
        &[],
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("give a folder"), "{err}");
}

#[test]
fn the_page_shows_the_gates_detection_and_privacy_and_the_figures_repeat() {
    let dir = tempfile::tempdir().expect("tmp");
    let real = database(&dir.path().join("real"), 600, 0, 1, Orders::Real);
    let hold = database(&dir.path().join("hold"), 600, 10_000, 2, Orders::Real);
    let other = database(&dir.path().join("other"), 600, 20_000, 3, Orders::Real);
    let page = dir.path().join("page.html");
    let (code, first, err) = evaluate(
        dir.path(),
        &real,
        &other,
        Some(&hold),
        &["--html", page.to_str().expect("path"), "--threads", "1"],
    );
    assert_eq!(code, 0, "{err}");
    let html = std::fs::read_to_string(&page).expect("page");
    for part in [
        "Detection: can a classifier tell them apart?",
        "Privacy: whole profiles of people",
        "membership AUC",
        "orders.customer_id → customers",
        "customers.csv",
    ] {
        assert!(html.contains(part), "the page lacks {part}");
    }
    // The same figures on another thread count.
    std::fs::remove_file(&page).expect("remove");
    let (_, second, _) = evaluate(dir.path(), &real, &other, Some(&hold), &["--threads", "2"]);
    assert_eq!(first["detection"], second["detection"]);
    assert_eq!(first["privacy"], second["privacy"]);
}
