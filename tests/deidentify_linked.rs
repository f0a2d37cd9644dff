//! `deidentify DIR --schema LINKED.yaml -o OUTDIR`: joins survive, no identifier survives,
//! consent and k-anonymity suppression propagate to child tables, keys get the same tokens
//! across tables and runs, and the per-table and per-person figures equal an independent
//! computation (here in Rust, and in `tests/data/relational/check_deid.py` with pandas when
//! pandas is installed).

use std::collections::{HashMap, HashSet};
use std::fs;
use std::path::{Path, PathBuf};

use arrow_array::cast::AsArray;
use arrow_array::types::{Date32Type, Float64Type, Int32Type, Int64Type, TimestampMicrosecondType};
use arrow_array::{Array, RecordBatch};
use assert_cmd::Command;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use predicates::prelude::*;

mod common;

const KEY: &str = "linked-test-key-0123456789abcdef";
const BERKA_SCHEMA: &str = "tests/data/relational/berka_linked.yaml";

fn fairsynth() -> Command {
    let mut c = common::fairsynth();
    c.env_remove("FAIRSYNTH_KEY");
    c
}

fn berka() -> PathBuf {
    common::root().join("tests/data/relational/berka")
}

fn read(path: &Path) -> Vec<RecordBatch> {
    ParquetRecordBatchReaderBuilder::try_new(fs::File::open(path).expect("file"))
        .expect("Parquet")
        .build()
        .expect("reader")
        .collect::<Result<_, _>>()
        .expect("batches")
}

/// Every value of a column as text (None when null); panics on an absent column.
fn col(batches: &[RecordBatch], column: &str) -> Vec<Option<String>> {
    let mut out = Vec::new();
    for b in batches {
        let a = b
            .column_by_name(column)
            .unwrap_or_else(|| panic!("no column `{column}`"));
        let v: Vec<Option<String>> = match a.data_type() {
            arrow_schema::DataType::Utf8 => a
                .as_string::<i32>()
                .iter()
                .map(|v| v.map(str::to_string))
                .collect(),
            arrow_schema::DataType::Dictionary(..) => {
                let d = a.as_dictionary::<Int32Type>();
                let vals = d.values().as_string::<i32>();
                d.keys()
                    .iter()
                    .map(|k| k.map(|k| vals.value(k as usize).to_string()))
                    .collect()
            }
            arrow_schema::DataType::Int64 => a
                .as_primitive::<Int64Type>()
                .iter()
                .map(|v| v.map(|v| v.to_string()))
                .collect(),
            arrow_schema::DataType::Int32 => a
                .as_primitive::<Int32Type>()
                .iter()
                .map(|v| v.map(|v| v.to_string()))
                .collect(),
            arrow_schema::DataType::Float64 => a
                .as_primitive::<Float64Type>()
                .iter()
                .map(|v| v.map(|v| v.to_string()))
                .collect(),
            arrow_schema::DataType::Date32 => a
                .as_primitive::<Date32Type>()
                .iter()
                .map(|v| v.map(|v| v.to_string()))
                .collect(),
            arrow_schema::DataType::Timestamp(..) => a
                .as_primitive::<TimestampMicrosecondType>()
                .iter()
                .map(|v| v.map(|v| v.to_string()))
                .collect(),
            arrow_schema::DataType::Boolean => a
                .as_boolean()
                .iter()
                .map(|v| v.map(|v| v.to_string()))
                .collect(),
            other => panic!("type {other:?} of `{column}` not handled"),
        };
        out.extend(v);
    }
    out
}

fn has_col(batches: &[RecordBatch], column: &str) -> bool {
    batches
        .first()
        .is_some_and(|b| b.column_by_name(column).is_some())
}

fn rows(batches: &[RecordBatch]) -> usize {
    batches.iter().map(RecordBatch::num_rows).sum()
}

/// A CSV file of the berka sample (no quoted fields in the columns read here): header → values.
fn csv(table: &str) -> HashMap<String, Vec<String>> {
    let text = fs::read_to_string(berka().join(format!("{table}.csv"))).expect("csv");
    let mut lines = text.lines();
    let header: Vec<String> = lines
        .next()
        .expect("header")
        .split(',')
        .map(str::to_string)
        .collect();
    let mut out: HashMap<String, Vec<String>> =
        header.iter().map(|h| (h.clone(), Vec::new())).collect();
    for l in lines.filter(|l| !l.is_empty()) {
        for (h, v) in header.iter().zip(l.split(',')) {
            out.get_mut(h).expect("column").push(v.to_string());
        }
    }
    out
}

fn run(input: &Path, schema: &Path, out: &Path, report: &Path) {
    fairsynth()
        .env("FAIRSYNTH_KEY", KEY)
        .arg("deidentify")
        .arg(input)
        .arg("--schema")
        .arg(schema)
        .arg("-o")
        .arg(out)
        .arg("--report")
        .arg(report)
        .assert()
        .success();
}

fn load(out: &Path, tables: &[&str]) -> HashMap<String, Vec<RecordBatch>> {
    tables
        .iter()
        .map(|t| (t.to_string(), read(&out.join(format!("{t}.parquet")))))
        .collect()
}

/// Every non-null foreign key of the output resolves to a primary key of the output.
fn assert_joins(out: &HashMap<String, Vec<RecordBatch>>, fks: &[(&str, &str, &str, &str)]) {
    for &(child, column, parent, pk) in fks {
        let keys: HashSet<String> = col(&out[parent], pk).into_iter().flatten().collect();
        let refs: Vec<String> = col(&out[child], column).into_iter().flatten().collect();
        let dangling = refs.iter().filter(|v| !keys.contains(*v)).count();
        assert_eq!(
            dangling, 0,
            "{child}.{column} → {parent}.{pk}: {dangling} dangling"
        );
    }
}

/// Rows unique over `columns` (as text tuples), counted independently of the library.
fn unique_rows(batches: &[RecordBatch], columns: &[String]) -> usize {
    let n = rows(batches);
    let mut tuples = vec![String::new(); n];
    for c in columns {
        for (t, v) in tuples.iter_mut().zip(col(batches, c)) {
            t.push_str(&format!("{v:?}|"));
        }
    }
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for t in &tuples {
        *counts.entry(t).or_default() += 1;
    }
    tuples.iter().filter(|t| counts[t.as_str()] == 1).count()
}

fn table_report<'a>(report: &'a serde_json::Value, table: &str) -> &'a serde_json::Value {
    report["tables"]
        .as_array()
        .expect("tables")
        .iter()
        .find(|t| t["table"] == table)
        .unwrap_or_else(|| panic!("no report for `{table}`"))
}

/// Per-table figures: the share of written rows unique over each table's released
/// quasi-identifiers equals the report's.
fn assert_table_figures(out: &HashMap<String, Vec<RecordBatch>>, report: &serde_json::Value) {
    for (t, batches) in out {
        let r = table_report(report, t);
        let so = &r["deidentify"]["singling_out"];
        let qis: Vec<String> = so["quasi_identifiers"]["columns"]
            .as_array()
            .expect("columns")
            .iter()
            .map(|v| v.as_str().expect("name").to_string())
            .collect();
        let n = rows(batches);
        assert_eq!(r["rows_out"].as_u64(), Some(n as u64), "{t}");
        let expected = if n == 0 {
            0.0
        } else {
            unique_rows(batches, &qis) as f64 / n as f64
        };
        let got = so["quasi_identifiers"]["share"].as_f64().expect("share");
        assert!((got - expected).abs() < 1e-12, "{t}: {got} vs {expected}");
    }
}

/// The person of each row of `child`, through its driving key `fk` to a table whose rows'
/// persons are `parent_person` (keyed by the parent's primary key).
fn persons_of(
    out: &HashMap<String, Vec<RecordBatch>>,
    child: &str,
    fk: &str,
    parent_person: &HashMap<String, usize>,
) -> Vec<Option<usize>> {
    col(&out[child], fk)
        .into_iter()
        .map(|v| v.and_then(|v| parent_person.get(&v).copied()))
        .collect()
}

/// Persons of the root unique over own quasi-identifiers plus, per linked table, the count
/// and sorted quasi-identifier tuples of their rows; computed here independently.
fn person_unique(
    own: &[String],
    linked: &[(Vec<Option<usize>>, Vec<String>)],
) -> (usize, usize, usize) {
    let n = own.len();
    let mut full: Vec<String> = own.to_vec();
    for (person, tuples) in linked {
        let mut per: Vec<Vec<&str>> = vec![Vec::new(); n];
        for (p, t) in person.iter().zip(tuples) {
            if let Some(p) = p {
                per[*p].push(t);
            }
        }
        for (f, mut v) in full.iter_mut().zip(per) {
            v.sort();
            f.push_str(&format!("#{}:{}", v.len(), v.join(";")));
        }
    }
    let count = |keys: &[String]| {
        let mut c: HashMap<&str, usize> = HashMap::new();
        for k in keys {
            *c.entry(k).or_default() += 1;
        }
        (
            keys.iter().filter(|k| c[k.as_str()] == 1).count(),
            c.values().copied().min().unwrap_or(0),
        )
    };
    let (u_own, _) = count(own);
    let (u_full, k) = count(&full);
    (u_own, u_full, k)
}

fn tuples(batches: &[RecordBatch], columns: &[&str]) -> Vec<String> {
    let mut out = vec![String::new(); rows(batches)];
    for c in columns {
        for (t, v) in out.iter_mut().zip(col(batches, c)) {
            t.push_str(&format!("{v:?}|"));
        }
    }
    out
}

/// Runs the pandas check. With `FAIRSYNTH_TEST_PYTHON` set (the README's test command sets it to
/// its virtual environment) the check must run; otherwise it runs when the project's venv or
/// `python3` imports pandas and pyarrow, and says it skipped when neither does.
fn python_check(args: &[&Path]) {
    let venv = common::root().join("target/py-venv/bin/python");
    let required = std::env::var("FAIRSYNTH_TEST_PYTHON").ok();
    let python = if let Some(p) = &required {
        p.clone()
    } else if venv.exists() {
        venv.display().to_string()
    } else {
        "python3".to_string()
    };
    let ok = std::process::Command::new(&python)
        .args(["-c", "import pandas, pyarrow"])
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        assert!(
            required.is_none(),
            "FAIRSYNTH_TEST_PYTHON={python} cannot import pandas and pyarrow"
        );
        eprintln!("skipped the pandas check (pandas and pyarrow are not importable by {python})");
        return;
    }
    let out = std::process::Command::new(&python)
        .arg(common::root().join("tests/data/relational/check_deid.py"))
        .args(args)
        .output()
        .expect("python runs");
    assert!(
        out.status.success(),
        "check_deid.py failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

const BERKA_TABLES: [&str; 7] = [
    "district", "client", "account", "disp", "card", "loan", "order",
];
const BERKA_FKS: [(&str, &str, &str, &str); 7] = [
    ("client", "district_id", "district", "district_id"),
    ("account", "district_id", "district", "district_id"),
    ("disp", "client_id", "client", "client_id"),
    ("disp", "account_id", "account", "account_id"),
    ("card", "disp_id", "disp", "disp_id"),
    ("loan", "account_id", "account", "account_id"),
    ("order", "account_id", "account", "account_id"),
];

#[test]
fn berka_folder_keeps_joins_propagates_suppression_and_counts_persons() {
    let tmp = tempfile::tempdir().expect("tmp");
    let out = tmp.path().join("out");
    let report_path = tmp.path().join("report.json");
    let schema = common::root().join(BERKA_SCHEMA);
    run(&berka(), &schema, &out, &report_path);
    let report: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(&report_path).expect("report")).expect("json");
    let o = load(&out, &BERKA_TABLES);
    assert_joins(&o, &BERKA_FKS);

    // No identifier survives: birth numbers are gone, keys are tokens holding no raw value.
    assert!(!has_col(&o["client"], "birth_number"));
    let raw_clients = csv("client");
    for (t, c) in [
        ("client", "client_id"),
        ("disp", "client_id"),
        ("disp", "disp_id"),
        ("card", "disp_id"),
        ("account", "account_id"),
        ("order", "account_id"),
        ("loan", "loan_id"),
    ] {
        for v in col(&o[t], c).into_iter().flatten() {
            assert!(v.starts_with("pn_") && v.len() == 29, "{t}.{c}: {v}");
        }
    }

    // Suppression propagates: k = 2 over client.district_id removes the clients alone in their
    // district, then their dispositions and those dispositions' cards.
    let mut per_district: HashMap<&str, usize> = HashMap::new();
    for d in &raw_clients["district_id"] {
        *per_district.entry(d).or_default() += 1;
    }
    let kept_clients: HashSet<&str> = raw_clients["client_id"]
        .iter()
        .zip(&raw_clients["district_id"])
        .filter(|(_, d)| per_district[d.as_str()] >= 2)
        .map(|(c, _)| c.as_str())
        .collect();
    assert!(
        kept_clients.len() < raw_clients["client_id"].len(),
        "none suppressed"
    );
    let disp = csv("disp");
    let kept_disps: HashSet<&str> = disp["disp_id"]
        .iter()
        .zip(&disp["client_id"])
        .filter(|(_, c)| kept_clients.contains(c.as_str()))
        .map(|(d, _)| d.as_str())
        .collect();
    let card = csv("card");
    let kept_cards = card["disp_id"]
        .iter()
        .filter(|d| kept_disps.contains(d.as_str()))
        .count();
    assert_eq!(rows(&o["client"]), kept_clients.len());
    assert_eq!(rows(&o["disp"]), kept_disps.len());
    assert_eq!(rows(&o["card"]), kept_cards);
    let rc = table_report(&report, "client");
    assert_eq!(
        rc["suppressed_rows"].as_u64(),
        Some((raw_clients["client_id"].len() - kept_clients.len()) as u64)
    );
    let rd = table_report(&report, "disp");
    assert_eq!(
        rd["removed_with_parent"].as_u64(),
        Some((disp["disp_id"].len() - kept_disps.len()) as u64)
    );
    assert_eq!(
        table_report(&report, "card")["removed_with_parent"].as_u64(),
        Some((card["card_id"].len() - kept_cards) as u64)
    );

    // The same value gets the same token in the primary key and the foreign key: map each kept
    // raw client id to its token by row order (rows keep their input order), then check the
    // dispositions.
    let raw_kept: Vec<&String> = raw_clients["client_id"]
        .iter()
        .filter(|c| kept_clients.contains(c.as_str()))
        .collect();
    let tokens: HashMap<&str, String> = raw_kept
        .iter()
        .zip(col(&o["client"], "client_id"))
        .map(|(r, t)| (r.as_str(), t.expect("token")))
        .collect();
    let disp_raw_kept: Vec<&String> = disp["client_id"]
        .iter()
        .filter(|c| kept_clients.contains(c.as_str()))
        .collect();
    for (r, t) in disp_raw_kept.iter().zip(col(&o["disp"], "client_id")) {
        assert_eq!(Some(&tokens[r.as_str()]), t.as_ref(), "client {r}");
    }
    assert!(report["keys"]
        .as_array()
        .expect("keys")
        .iter()
        .any(|g| g["table"] == "client" && g["action"] == "pseudonymise"));

    assert_table_figures(&o, &report);

    // Per person (client): own district, plus the dispositions' types and the cards' types.
    let client_keys = col(&o["client"], "client_id");
    let person: HashMap<String, usize> = client_keys
        .iter()
        .enumerate()
        .map(|(i, k)| (k.clone().expect("key"), i))
        .collect();
    let disp_person = persons_of(&o, "disp", "client_id", &person);
    let disp_index: HashMap<String, usize> = col(&o["disp"], "disp_id")
        .into_iter()
        .zip(&disp_person)
        .filter_map(|(k, p)| Some((k?, (*p)?)))
        .collect();
    let card_person = persons_of(&o, "card", "disp_id", &disp_index);
    let own = tuples(&o["client"], &["district_id"]);
    let (u_own, u_full, k) = person_unique(
        &own,
        &[
            (disp_person, tuples(&o["disp"], &["type"])),
            (card_person, tuples(&o["card"], &["type"])),
        ],
    );
    let p = report["persons"]
        .as_array()
        .expect("persons")
        .iter()
        .find(|p| p["table"] == "client")
        .expect("client persons");
    assert_eq!(p["persons"].as_u64(), Some(own.len() as u64));
    assert_eq!(p["unique_own"].as_u64(), Some(u_own as u64));
    assert_eq!(p["unique_linked"].as_u64(), Some(u_full as u64));
    assert_eq!(p["k_linked"].as_u64(), Some(k as u64));
    assert_eq!(u_own, 0, "k = 2 over the district leaves no client unique");
    assert!(u_full > 0, "the cards single some clients out again");

    // A second run, on one thread, gives the same tokens, indeed the same files.
    let out2 = tmp.path().join("out2");
    fairsynth()
        .env("FAIRSYNTH_KEY", KEY)
        .arg("deidentify")
        .arg(berka())
        .arg("--schema")
        .arg(&schema)
        .args(["--threads", "1", "-q", "-o"])
        .arg(&out2)
        .assert()
        .success();
    let o2 = load(&out2, &["client", "disp"]);
    assert_eq!(
        col(&o["client"], "client_id"),
        col(&o2["client"], "client_id")
    );
    assert_eq!(col(&o["disp"], "client_id"), col(&o2["disp"], "client_id"));
    for t in BERKA_TABLES {
        let f = format!("{t}.parquet");
        assert!(
            fs::read(out.join(&f)).expect("file") == fs::read(out2.join(&f)).expect("file"),
            "{f} differs between runs"
        );
    }

    python_check(&[&out, &report_path]);
}

const SHOP_TABLES: [&str; 7] = [
    "customers",
    "products",
    "orders",
    "order_lines",
    "campaigns",
    "campaign_products",
    "contacts",
];
const SHOP_FKS: [(&str, &str, &str, &str); 8] = [
    ("customers", "referred_by", "customers", "customer_id"),
    ("orders", "customer_id", "customers", "customer_id"),
    ("order_lines", "order_id", "orders", "order_id"),
    ("order_lines", "product_id", "products", "product_id"),
    (
        "campaign_products",
        "campaign_id",
        "campaigns",
        "campaign_id",
    ),
    ("campaign_products", "product_id", "products", "product_id"),
    ("contacts", "customer_id", "customers", "customer_id"),
    ("contacts", "campaign_id", "campaigns", "campaign_id"),
];

#[test]
fn shop_folder_propagates_consent_and_keeps_tokens_across_tables_and_runs() {
    let tmp = tempfile::tempdir().expect("tmp");
    let raw = tmp.path().join("raw");
    fairsynth()
        .args([
            "synth",
            "--schema",
            "schemas/shop.yaml",
            "--scale",
            "0.02",
            "-q",
            "-o",
        ])
        .arg(&raw)
        .assert()
        .success();
    let schema = common::root().join("schemas/shop.yaml");
    let out = tmp.path().join("out");
    let report_path = tmp.path().join("report.json");
    run(&raw, &schema, &out, &report_path);
    let report: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(&report_path).expect("report")).expect("json");
    let r = load(&raw, &SHOP_TABLES);
    let o = load(&out, &SHOP_TABLES);
    assert_joins(&o, &SHOP_FKS);

    // No identifier survives.
    for c in ["full_name", "email"] {
        assert!(!has_col(&o["customers"], c), "{c} survived");
    }
    let raw_ids: HashSet<String> = col(&r["customers"], "customer_id")
        .into_iter()
        .flatten()
        .collect();
    for (t, c) in [
        ("customers", "customer_id"),
        ("customers", "referred_by"),
        ("orders", "customer_id"),
        ("contacts", "customer_id"),
    ] {
        for v in col(&o[t], c).into_iter().flatten() {
            assert!(
                v.starts_with("pn_") && !raw_ids.contains(&v),
                "{t}.{c}: {v}"
            );
        }
    }

    // Consent propagates: every order, order line and contact of a customer without consent
    // is gone, and nothing else is.
    let consenting: HashSet<String> = col(&r["customers"], "customer_id")
        .into_iter()
        .zip(col(&r["customers"], "consent_marketing"))
        .filter(|(_, c)| c.as_deref() == Some("true"))
        .filter_map(|(id, _)| id)
        .collect();
    let all = rows(&r["customers"]);
    assert!(consenting.len() < all, "some customers refuse");
    assert_eq!(rows(&o["customers"]), consenting.len());
    let kept_orders: HashSet<String> = col(&r["orders"], "order_id")
        .into_iter()
        .zip(col(&r["orders"], "customer_id"))
        .filter(|(_, c)| c.as_ref().is_some_and(|c| consenting.contains(c)))
        .filter_map(|(id, _)| id)
        .collect();
    assert!(kept_orders.len() < rows(&r["orders"]), "some orders go");
    assert_eq!(rows(&o["orders"]), kept_orders.len());
    let kept_lines = col(&r["order_lines"], "order_id")
        .into_iter()
        .flatten()
        .filter(|o| kept_orders.contains(o))
        .count();
    assert_eq!(rows(&o["order_lines"]), kept_lines);
    // The order ids are kept as they are (no identifier in their group): the output's are the
    // consenting customers' orders exactly.
    let out_orders: HashSet<String> = col(&o["orders"], "order_id")
        .into_iter()
        .flatten()
        .collect();
    assert_eq!(out_orders, kept_orders);
    let kept_contacts = col(&r["contacts"], "customer_id")
        .into_iter()
        .flatten()
        .filter(|c| consenting.contains(c))
        .count();
    assert_eq!(rows(&o["contacts"]), kept_contacts);
    let rc = table_report(&report, "customers");
    assert_eq!(
        rc["consent_excluded"].as_u64(),
        Some((all - consenting.len()) as u64)
    );
    assert_eq!(
        table_report(&report, "orders")["removed_with_parent"].as_u64(),
        Some((rows(&r["orders"]) - kept_orders.len()) as u64)
    );
    assert_eq!(
        table_report(&report, "order_lines")["removed_with_parent"].as_u64(),
        Some((rows(&r["order_lines"]) - kept_lines) as u64)
    );
    // References to customers without consent are nulled, not left dangling.
    let refs_before = col(&r["customers"], "referred_by")
        .into_iter()
        .zip(col(&r["customers"], "customer_id"))
        .filter(|(by, id)| {
            id.as_ref().is_some_and(|i| consenting.contains(i))
                && by.as_ref().is_some_and(|b| consenting.contains(b))
        })
        .count();
    let refs_after = col(&o["customers"], "referred_by")
        .into_iter()
        .flatten()
        .count();
    assert_eq!(refs_after, refs_before);

    assert_table_figures(&o, &report);

    // Per customer: own birth date (as released) plus order, line and contact counts (no
    // quasi-identifiers in those tables).
    let person: HashMap<String, usize> = col(&o["customers"], "customer_id")
        .into_iter()
        .enumerate()
        .map(|(i, k)| (k.expect("key"), i))
        .collect();
    let order_person = persons_of(&o, "orders", "customer_id", &person);
    let order_index: HashMap<String, usize> = col(&o["orders"], "order_id")
        .into_iter()
        .zip(&order_person)
        .filter_map(|(k, p)| Some((k?, (*p)?)))
        .collect();
    let line_person = persons_of(&o, "order_lines", "order_id", &order_index);
    let contact_person = persons_of(&o, "contacts", "customer_id", &person);
    let own = tuples(&o["customers"], &["birth_date"]);
    let (u_own, u_full, k) = person_unique(
        &own,
        &[
            (order_person, tuples(&o["orders"], &[])),
            (line_person, tuples(&o["order_lines"], &[])),
            (contact_person, tuples(&o["contacts"], &[])),
        ],
    );
    let p = report["persons"]
        .as_array()
        .expect("persons")
        .iter()
        .find(|p| p["table"] == "customers")
        .expect("customers persons");
    assert_eq!(p["unique_own"].as_u64(), Some(u_own as u64));
    assert_eq!(p["unique_linked"].as_u64(), Some(u_full as u64));
    assert_eq!(p["k_linked"].as_u64(), Some(k as u64));
    assert!(u_full >= u_own);

    // Same key: same tokens in a second run; another key: other tokens.
    let out2 = tmp.path().join("out2");
    run(&raw, &schema, &out2, &tmp.path().join("r2.json"));
    let o2 = load(&out2, &["customers", "orders"]);
    assert_eq!(
        col(&o["customers"], "customer_id"),
        col(&o2["customers"], "customer_id")
    );
    assert_eq!(
        col(&o["orders"], "customer_id"),
        col(&o2["orders"], "customer_id")
    );
    let out3 = tmp.path().join("out3");
    fairsynth()
        .env("FAIRSYNTH_KEY", "another-key-0123456789abcdef-xyz")
        .arg("deidentify")
        .arg(&raw)
        .arg("--schema")
        .arg(&schema)
        .arg("-o")
        .arg(&out3)
        .arg("-q")
        .assert()
        .success();
    let o3 = load(&out3, &["customers"]);
    assert_ne!(
        col(&o["customers"], "customer_id"),
        col(&o3["customers"], "customer_id")
    );

    python_check(&[&out, &report_path]);
}

fn copy_berka(to: &Path, skip: &[&str]) {
    fs::create_dir_all(to).expect("dir");
    for t in BERKA_TABLES.iter().filter(|t| !skip.contains(t)) {
        fs::copy(
            berka().join(format!("{t}.csv")),
            to.join(format!("{t}.csv")),
        )
        .expect("copy");
    }
}

#[test]
fn a_table_missing_from_the_folder_is_named_and_nothing_is_written() {
    let tmp = tempfile::tempdir().expect("tmp");
    let input = tmp.path().join("in");
    copy_berka(&input, &["loan"]);
    let out = tmp.path().join("out");
    fairsynth()
        .env("FAIRSYNTH_KEY", KEY)
        .arg("deidentify")
        .arg(&input)
        .args(["--schema", BERKA_SCHEMA, "-o"])
        .arg(&out)
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "table `loan` has no file in the folder",
        ));
    assert!(!out.exists(), "nothing is left behind");
}

#[test]
fn a_file_not_in_the_schema_is_skipped_with_a_warning() {
    let tmp = tempfile::tempdir().expect("tmp");
    let input = tmp.path().join("in");
    copy_berka(&input, &[]);
    fs::write(input.join("notes.csv"), "a,b\n1,2\n").expect("write");
    let out = tmp.path().join("out");
    fairsynth()
        .env("FAIRSYNTH_KEY", KEY)
        .arg("deidentify")
        .arg(&input)
        .args(["--schema", BERKA_SCHEMA, "-q", "-o"])
        .arg(&out)
        .assert()
        .success()
        .stderr(predicate::str::contains("notes.csv").and(predicate::str::contains("skipped")));
    assert!(!out.join("notes.parquet").exists());
    assert!(out.join("loan.parquet").exists());
}

#[test]
fn a_missing_key_column_is_named_with_its_table_and_file() {
    let tmp = tempfile::tempdir().expect("tmp");
    let input = tmp.path().join("in");
    copy_berka(&input, &["card"]);
    // card.csv without its foreign key `disp_id`.
    let text = fs::read_to_string(berka().join("card.csv")).expect("card");
    let cut: String = text
        .lines()
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            format!("{},{},{}\n", f[0], f[2], f[3])
        })
        .collect();
    fs::write(input.join("card.csv"), cut).expect("write");
    let out = tmp.path().join("out");
    fairsynth()
        .env("FAIRSYNTH_KEY", KEY)
        .arg("deidentify")
        .arg(&input)
        .args(["--schema", BERKA_SCHEMA, "-o"])
        .arg(&out)
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains("table `card`")
                .and(predicate::str::contains("disp_id"))
                .and(predicate::str::contains("card.csv")),
        );
    assert!(!out.exists(), "nothing is left behind");
}

#[test]
fn the_input_folder_is_no_output_folder() {
    let tmp = tempfile::tempdir().expect("tmp");
    let input = tmp.path().join("in");
    copy_berka(&input, &[]);
    fairsynth()
        .env("FAIRSYNTH_KEY", KEY)
        .arg("deidentify")
        .arg(&input)
        .args(["--schema", BERKA_SCHEMA, "-o"])
        .arg(&input)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("is the input folder"));
    assert!(!input.join("client.parquet").exists());
}

#[test]
fn a_one_table_schema_with_a_folder_is_refused() {
    let tmp = tempfile::tempdir().expect("tmp");
    fairsynth()
        .env("FAIRSYNTH_KEY", KEY)
        .arg("deidentify")
        .arg(berka())
        .args(["--schema", "tests/data/schemas/adult_deid.yaml", "-o"])
        .arg(tmp.path().join("out"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("describes one table"));
    assert!(!tmp.path().join("out").exists());
}

/// The route a new user takes on a folder whose child table has no key of its own (CDNOW's
/// purchases): `inspect` drafts a row number as its key, and `deidentify` with the unchanged
/// draft neither asks the file for it nor writes it, and keeps every row and join.
#[test]
fn the_unchanged_draft_of_a_table_without_a_key_deidentifies() {
    let tmp = tempfile::tempdir().expect("tmp");
    let data = common::root().join("tests/data/relational/cdnow");
    let draft = tmp.path().join("cdnow.yaml");
    fairsynth()
        .args(["inspect", "-q"])
        .arg(&data)
        .arg("--draft-schema")
        .arg(&draft)
        .assert()
        .success();
    let text = std::fs::read_to_string(&draft).expect("draft");
    assert!(text.contains("primary_key: \"purchases_row\""), "{text}");
    let out = tmp.path().join("out");
    run(&data, &draft, &out, &tmp.path().join("report.json"));
    let tables = load(&out, &["users", "purchases"]);
    assert_eq!(rows(&tables["purchases"]), 881);
    assert_eq!(rows(&tables["users"]), 300);
    assert!(!has_col(&tables["purchases"], "purchases_row"));
    assert_joins(&tables, &[("purchases", "users_id", "users", "id")]);
}
