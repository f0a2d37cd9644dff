//! Fairness at the person for linked tables: a label in a child table (an account's
//! overdraft) or a grandchild (a loan's status) declared independent of the person's
//! protected column (`client.sex`) is drawn with the same favourable rate for every sex, while
//! its dependence on the rest of what it hangs from (the account's balance) stays; without
//! fairness the real gap is kept; the files are the same for a seed at any thread count.

mod common;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use arrow_array::cast::AsArray;
use arrow_array::types::{Float64Type, Int64Type};
use arrow_array::RecordBatch;
use common::{fairsynth, read_parquet};

/// Clients, their accounts (one each) and loans (0, 1 or 2 per account): the folder and the
/// schema. In the data, a loan is good for 45 % of women and 75 % of men, 20 points more
/// when the account's balance is high (half the accounts, for either sex); an account has
/// an overdraft for 30 % of women and 60 % of men (`overdraft: "no"` is favourable).
const CLIENTS: u64 = 6000;

/// A deterministic uniform in [0, 1) from a row number and a purpose.
fn unit(k: u64, salt: u64) -> f64 {
    let mut x = k
        .wrapping_mul(0x9E37_79B9_7F4A_7C15)
        .wrapping_add(salt.wrapping_mul(0xBF58_476D_1CE4_E5B9));
    x ^= x >> 31;
    x = x.wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^= x >> 29;
    (x >> 11) as f64 / (1u64 << 53) as f64
}

fn bank(dir: &Path) -> (PathBuf, PathBuf) {
    let data = dir.join("data");
    std::fs::create_dir(&data).expect("folder");
    let mut clients = String::from("client_id,sex\n");
    let mut accounts = String::from("account_id,client_id,balance,overdraft\n");
    let mut loans = String::from("loan_id,account_id,amount,status\n");
    let mut next = 1;
    for c in 1..=CLIENTS {
        let woman = unit(c, 1) < 0.5;
        clients.push_str(&format!("{c},{}\n", if woman { "F" } else { "M" }));
        let high = unit(c, 2) < 0.5;
        let balance = if high {
            5000.0 + 5000.0 * unit(c, 3)
        } else {
            200.0 + 800.0 * unit(c, 3)
        };
        let overdraft = unit(c, 4) < if woman { 0.3 } else { 0.6 };
        accounts.push_str(&format!(
            "{c},{c},{balance:.2},{}\n",
            if overdraft { "yes" } else { "no" }
        ));
        let n = (unit(c, 5) * 3.0) as u64;
        for k in 0..n {
            let good = (if woman { 0.45 } else { 0.75 }) + if high { 0.2 } else { 0.0 };
            let status = if unit(next, 6 + k) < good {
                "good"
            } else {
                "bad"
            };
            let amount = 1000 + (unit(next, 9) * 9000.0) as u64;
            loans.push_str(&format!("{next},{c},{amount},{status}\n"));
            next += 1;
        }
    }
    std::fs::write(data.join("client.csv"), clients).expect("write");
    std::fs::write(data.join("account.csv"), accounts).expect("write");
    std::fs::write(data.join("loan.csv"), loans).expect("write");
    let schema = dir.join("bank.yaml");
    std::fs::write(
        &schema,
        r#"version: 1
name: bank
tables:
  - name: client
    rows: 6000
    primary_key: client_id
    columns:
      - {name: client_id, type: int}
      - {name: sex, type: category, role: protected}
  - name: account
    primary_key: account_id
    columns:
      - {name: account_id, type: int}
      - {name: client_id, type: int, references: client, children: {shares: {"1": 1}}}
      - {name: balance, type: float}
      - {name: overdraft, type: category, role: label}
    fairness: {label: overdraft, independent_of: [client.sex], favourable: "no"}
  - name: loan
    primary_key: loan_id
    columns:
      - {name: loan_id, type: int}
      - {name: account_id, type: int, references: account, children: {shares: {"0": 0.34, "1": 0.33, "2": 0.33}}}
      - {name: amount, type: int}
      - {name: status, type: category, role: label}
    fairness: {label: status, independent_of: [client.sex], favourable: good}
"#,
    )
    .expect("write");
    (data, schema)
}

fn categories(b: &RecordBatch, name: &str) -> Vec<String> {
    let a = b
        .column_by_name(name)
        .unwrap_or_else(|| panic!("no column {name}"))
        .as_dictionary::<arrow_array::types::Int32Type>();
    let v = a.values().as_string::<i32>();
    (0..a.len())
        .map(|i| v.value(a.keys().value(i) as usize).to_string())
        .collect()
}

fn ints(b: &RecordBatch, name: &str) -> Vec<i64> {
    let a = b
        .column_by_name(name)
        .unwrap_or_else(|| panic!("no column {name}"))
        .as_primitive::<Int64Type>();
    a.values().to_vec()
}

fn floats(b: &RecordBatch, name: &str) -> Vec<f64> {
    let a = b
        .column_by_name(name)
        .unwrap_or_else(|| panic!("no column {name}"))
        .as_primitive::<Float64Type>();
    a.values().to_vec()
}

/// Per sampled row of a table: the client's sex, the account's balance and the label.
struct Rows {
    sex: Vec<String>,
    high: Vec<bool>,
    label: Vec<String>,
}

impl Rows {
    /// The favourable rate of the rows where `keep` holds.
    fn rate(&self, fav: &str, keep: impl Fn(usize) -> bool) -> (f64, usize) {
        let rows: Vec<usize> = (0..self.label.len()).filter(|&r| keep(r)).collect();
        let k = rows.iter().filter(|&&r| self.label[r] == fav).count();
        (k as f64 / rows.len().max(1) as f64, rows.len())
    }
}

/// The sampled accounts and loans with their person's sex and their account's balance.
fn joined(out: &Path) -> (Rows, Rows) {
    let c = read_parquet(&out.join("client.parquet"));
    let a = read_parquet(&out.join("account.parquet"));
    let l = read_parquet(&out.join("loan.parquet"));
    let sex: HashMap<i64, String> = ints(&c, "client_id")
        .into_iter()
        .zip(categories(&c, "sex"))
        .collect();
    let account_sex: Vec<String> = ints(&a, "client_id")
        .iter()
        .map(|k| sex[k].clone())
        .collect();
    let high: Vec<bool> = floats(&a, "balance").iter().map(|b| *b > 3000.0).collect();
    let ids = ints(&a, "account_id");
    let of: HashMap<i64, usize> = ids.iter().enumerate().map(|(r, k)| (*k, r)).collect();
    let loan_account: Vec<usize> = ints(&l, "account_id").iter().map(|k| of[k]).collect();
    let accounts = Rows {
        sex: account_sex.clone(),
        high: high.clone(),
        label: categories(&a, "overdraft"),
    };
    let loans = Rows {
        sex: loan_account
            .iter()
            .map(|&r| account_sex[r].clone())
            .collect(),
        high: loan_account.iter().map(|&r| high[r]).collect(),
        label: categories(&l, "status"),
    };
    (accounts, loans)
}

/// Fits the bank once per test process's folder and samples it with `flags`.
fn sample(dir: &Path, model: &Path, name: &str, flags: &[&str], threads: &str) -> PathBuf {
    let out = dir.join(name);
    fairsynth()
        .env("RAYON_NUM_THREADS", threads)
        .arg("sample")
        .arg(model)
        .args(flags)
        .args(["--seed", "11", "--scale", "3", "--quiet", "-o"])
        .arg(&out)
        .assert()
        .success();
    out
}

fn fit(dir: &Path) -> PathBuf {
    let (data, schema) = bank(dir);
    let model = dir.join("m.json");
    fairsynth()
        .arg("fit")
        .arg(&data)
        .arg("--schema")
        .arg(&schema)
        .args(["--quiet", "-o"])
        .arg(&model)
        .assert()
        .success();
    model
}

/// Four standard errors of the difference of two rates near `p` over `n1` and `n2` rows:
/// a bound a correct sampler exceeds about once in 16,000 runs.
fn tolerance(p: f64, n1: usize, n2: usize) -> f64 {
    4.0 * (p * (1.0 - p) * (1.0 / n1 as f64 + 1.0 / n2 as f64)).sqrt()
}

#[test]
fn a_child_and_a_grandchild_label_are_drawn_at_parity_by_the_persons_sex() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let model = fit(dir.path());
    let text = std::fs::read_to_string(&model).expect("model");
    assert!(
        text.contains("\"favourable\": \"good\""),
        "loan fairness stored"
    );

    let fair = sample(dir.path(), &model, "fair", &[], "2");
    let (accounts, loans) = joined(&fair);
    for (rows, fav, what) in [(&accounts, "no", "overdraft"), (&loans, "good", "status")] {
        let (f, nf) = rows.rate(fav, |r| rows.sex[r] == "F");
        let (m, nm) = rows.rate(fav, |r| rows.sex[r] == "M");
        let tol = tolerance(0.5 * (f + m), nf, nm);
        assert!(nf > 5000 && nm > 5000, "{what}: {nf} and {nm} rows");
        assert!(
            (f - m).abs() < tol,
            "{what}: rates {f:.4} and {m:.4} (tolerance {tol:.4})"
        );
    }
    // The loan still follows the account's balance, within each sex (20 points in the data).
    for s in ["F", "M"] {
        let (hi, n1) = loans.rate("good", |r| loans.sex[r] == s && loans.high[r]);
        let (lo, n2) = loans.rate("good", |r| loans.sex[r] == s && !loans.high[r]);
        assert!(
            hi - lo > 0.2 - tolerance(0.7, n1, n2) - 0.05,
            "{s}: good for high balances {hi:.4}, low {lo:.4}"
        );
    }
    // The overall rate is the data's (0.5 * 0.55 + 0.5 * 0.85 = 0.70 for loans).
    let (all, n) = loans.rate("good", |_| true);
    assert!((all - 0.70).abs() < 0.03, "loans good {all:.4} of {n}");

    // Without fairness, the real gaps stay: 30 points for both labels.
    let free = sample(dir.path(), &model, "free", &["--no-fairness"], "2");
    let (accounts, loans) = joined(&free);
    for (rows, fav, what) in [(&accounts, "no", "overdraft"), (&loans, "good", "status")] {
        let (f, nf) = rows.rate(fav, |r| rows.sex[r] == "F");
        let (m, nm) = rows.rate(fav, |r| rows.sex[r] == "M");
        let tol = tolerance(0.5 * (f + m), nf, nm);
        let gap = if what == "status" { m - f } else { f - m };
        assert!(
            (gap - 0.3).abs() < tol + 0.03,
            "{what}: rates {f:.4} and {m:.4}"
        );
    }
}

#[test]
fn the_fair_sample_is_the_same_at_any_thread_count_and_reports_its_parity() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let model = fit(dir.path());
    let a = sample(dir.path(), &model, "one", &[], "1");
    let b = sample(dir.path(), &model, "two", &[], "2");
    for t in ["client", "account", "loan"] {
        let f = format!("{t}.parquet");
        let bytes = |d: &Path| std::fs::read(d.join(&f)).expect("file");
        assert!(
            bytes(&a) == bytes(&b),
            "{t} differs between 1 and 2 threads"
        );
    }
    // The summary and the report give the parity of each label at the person.
    let report = dir.path().join("report.json");
    let out = fairsynth()
        .arg("sample")
        .arg(&model)
        .args(["--seed", "11", "--scale", "3", "-o"])
        .arg(dir.path().join("reported"))
        .arg("--report")
        .arg(&report)
        .output()
        .expect("runs");
    assert!(out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("status = good by client.sex: disparate impact"),
        "{stderr}"
    );
    let r: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&report).expect("report")).expect("JSON");
    let loan = r["tables"]
        .as_array()
        .expect("tables")
        .iter()
        .find(|t| t["table"] == "loan")
        .expect("loan's parity");
    let p = &loan["sampling"]["parity"];
    let model_spd = p["statistical_parity_difference_model"]
        .as_f64()
        .expect("spd");
    let expected = p["statistical_parity_difference_expected"]
        .as_f64()
        .expect("spd");
    let drawn = p["statistical_parity_difference_sampled"]
        .as_f64()
        .expect("spd");
    assert!(model_spd < -0.2, "model gap {model_spd}");
    assert!(expected.abs() < 1e-9, "expected gap {expected}");
    assert!(drawn.abs() < 0.05, "drawn gap {drawn}");
    assert_eq!(p["groups"].as_array().map(Vec::len), Some(2));

    // `evaluate DIR` rates each child label at the person, real and synthetic.
    let out = fairsynth()
        .arg("evaluate")
        .arg("--real")
        .arg(dir.path().join("data"))
        .arg("--synthetic")
        .arg(&a)
        .arg("--schema")
        .arg(dir.path().join("bank.yaml"))
        .output()
        .expect("runs");
    let text =
        String::from_utf8_lossy(&out.stderr).to_string() + &String::from_utf8_lossy(&out.stdout);
    let line = text
        .lines()
        .find(|l| l.contains("parity loan.status = good by client.sex: real SPD -0.2"))
        .unwrap_or_else(|| panic!("no parity of loans at the person:\n{text}"));
    let synthetic: f64 = line
        .split("synthetic SPD ")
        .nth(1)
        .and_then(|x| x.split(',').next())
        .and_then(|x| x.parse().ok())
        .expect("a synthetic SPD");
    assert!(synthetic.abs() < 0.05, "{line}");
}
