//! `fit` on a folder of linked tables and `sample` of the linked model: every key resolves,
//! the rules the real rows obey hold in every sampled row, children per parent and the
//! dependence of children on their parents survive, siblings stay in order in time, the files
//! are the same at any thread count, and bad folders get clear errors.

mod common;

use std::collections::{HashMap, HashSet};
use std::path::Path;

use arrow_array::cast::AsArray;
use arrow_array::types::{Date32Type, Float64Type, Int64Type};
use arrow_array::{Array, RecordBatch};
use common::{fairsynth, read_parquet, root};

fn key_texts(b: &RecordBatch, name: &str) -> Vec<Option<String>> {
    let a = b
        .column_by_name(name)
        .unwrap_or_else(|| panic!("no column {name}"));
    arrow_cast_text(a.as_ref())
}

/// Any key column as text (ints as digits).
fn arrow_cast_text(a: &dyn Array) -> Vec<Option<String>> {
    match a.data_type() {
        arrow_schema::DataType::Int64 => {
            let p = a.as_primitive::<Int64Type>();
            (0..p.len())
                .map(|i| (!p.is_null(i)).then(|| p.value(i).to_string()))
                .collect()
        }
        arrow_schema::DataType::Utf8 => {
            let s = a.as_string::<i32>();
            (0..s.len())
                .map(|i| (!s.is_null(i)).then(|| s.value(i).to_string()))
                .collect()
        }
        other => panic!("key of type {other}"),
    }
}

/// Values by key, for the rows where both are present.
fn by_key<T>(keys: Vec<Option<String>>, values: Vec<Option<T>>) -> HashMap<String, T> {
    keys.into_iter()
        .zip(values)
        .filter_map(|(k, v)| Some((k?, v?)))
        .collect()
}

/// The entry of table `name` in a linked model file.
fn table_entry<'a>(model: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    model["tables"]
        .as_array()
        .expect("tables")
        .iter()
        .find(|t| t["name"] == name)
        .unwrap_or_else(|| panic!("no table {name}"))
}

/// A category column's values as text.
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

fn dates(b: &RecordBatch, name: &str) -> Vec<Option<i32>> {
    let a = b
        .column_by_name(name)
        .unwrap_or_else(|| panic!("no column {name}"))
        .as_primitive::<Date32Type>();
    (0..a.len())
        .map(|i| (!a.is_null(i)).then(|| a.value(i)))
        .collect()
}

fn floats(b: &RecordBatch, name: &str) -> Vec<f64> {
    let a = b
        .column_by_name(name)
        .unwrap_or_else(|| panic!("no column {name}"))
        .as_primitive::<Float64Type>();
    (0..a.len()).map(|i| a.value(i)).collect()
}

/// `fairsynth COMMAND DATA --schema SCHEMA --quiet -o OUT`, which must succeed.
fn on_folder(command: &str, data: &Path, schema: &Path, out: &Path) {
    fairsynth()
        .arg(command)
        .arg(data)
        .arg("--schema")
        .arg(schema)
        .args(["--quiet", "-o"])
        .arg(out)
        .assert()
        .success();
}

fn fit_and_sample(data: &Path, schema: &Path, dir: &Path, threads: &str) {
    let model = dir.join("model.json");
    fairsynth()
        .arg("fit")
        .arg(data)
        .arg("--schema")
        .arg(schema)
        .arg("-o")
        .arg(&model)
        .args(["--threads", threads, "--quiet"])
        .assert()
        .success();
    fairsynth()
        .arg("sample")
        .arg(&model)
        .arg("-o")
        .arg(dir.join("out"))
        .args(["--seed", "7", "--threads", threads, "--quiet"])
        .assert()
        .success();
}

/// Every value of `child.column` is a key of `parent` (nulls aside); returns the references.
fn resolves(out: &Path, child: &str, column: &str, parent: &str, key: &str) -> Vec<String> {
    let c = read_parquet(&out.join(format!("{child}.parquet")));
    let p = read_parquet(&out.join(format!("{parent}.parquet")));
    let keys: Vec<String> = key_texts(&p, key).into_iter().flatten().collect();
    let set: HashSet<&String> = keys.iter().collect();
    assert_eq!(set.len(), keys.len(), "{parent}.{key} is not unique");
    let refs: Vec<String> = key_texts(&c, column).into_iter().flatten().collect();
    for r in &refs {
        assert!(
            set.contains(r),
            "{child}.{column} = {r} names no {parent} row"
        );
    }
    refs
}

fn per_parent(refs: &[String]) -> HashMap<usize, usize> {
    let mut n: HashMap<&String, usize> = HashMap::new();
    for r in refs {
        *n.entry(r).or_default() += 1;
    }
    let mut shape = HashMap::new();
    for c in n.values() {
        *shape.entry(*c).or_default() += 1;
    }
    shape
}

#[test]
fn berka_sample_joins_keeps_cardinalities_and_the_date_rule() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let data = root().join("tests/data/relational/berka");
    fit_and_sample(
        &data,
        &root().join("tests/data/relational/berka_linked.yaml"),
        dir.path(),
        "2",
    );
    let out = dir.path().join("out");
    for (child, column, parent, key) in [
        ("client", "district_id", "district", "district_id"),
        ("account", "district_id", "district", "district_id"),
        ("disp", "client_id", "client", "client_id"),
        ("disp", "account_id", "account", "account_id"),
        ("card", "disp_id", "disp", "disp_id"),
        ("loan", "account_id", "account", "account_id"),
        ("order", "account_id", "account", "account_id"),
    ] {
        resolves(&out, child, column, parent, key);
    }
    // Every real client has one disposition; an account one or two (155 and 45 of 200).
    let disp = read_parquet(&out.join("disp.parquet"));
    let clients = per_parent(
        &key_texts(&disp, "client_id")
            .into_iter()
            .flatten()
            .collect::<Vec<_>>(),
    );
    assert_eq!(
        clients.keys().copied().collect::<Vec<_>>(),
        vec![1],
        "{clients:?}"
    );
    let accounts = per_parent(
        &key_texts(&disp, "account_id")
            .into_iter()
            .flatten()
            .collect::<Vec<_>>(),
    );
    assert!(accounts.keys().all(|k| *k == 1 || *k == 2), "{accounts:?}");
    let two = *accounts.get(&2).unwrap_or(&0) as f64 / accounts.values().sum::<usize>() as f64;
    assert!(
        (two - 45.0 / 200.0).abs() < 0.08,
        "share of accounts with two dispositions {two}"
    );
    // A loan is never granted before its account was opened (true of every real row).
    let account = read_parquet(&out.join("account.parquet"));
    let opened = by_key(key_texts(&account, "account_id"), dates(&account, "date"));
    let loan = read_parquet(&out.join("loan.parquet"));
    assert!(loan.num_rows() > 0);
    for (k, d) in key_texts(&loan, "account_id")
        .into_iter()
        .zip(dates(&loan, "date"))
    {
        let (k, d) = (k.expect("driving key"), d.expect("loan date"));
        assert!(
            d >= opened[&k],
            "loan of account {k} on day {d} before it opened"
        );
    }
    let model: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("model.json")).expect("model"))
            .expect("json");
    let loan_model = table_entry(&model, "loan");
    assert_eq!(
        loan_model["order"]["from"], "account.date",
        "{loan_model:?}"
    );
    // A card is never issued before the account of its disposition was opened (true of every
    // real row): the account is reached through `disp.account_id`, a key that picks, so the
    // rule is held as a floor.
    let card_model = table_entry(&model, "card");
    assert_eq!(
        card_model["order"]["floor"], "disp.account_id->account.date",
        "{card_model:?}"
    );
    let disp = read_parquet(&out.join("disp.parquet"));
    let account_of = by_key(key_texts(&disp, "disp_id"), key_texts(&disp, "account_id"));
    let card = read_parquet(&out.join("card.parquet"));
    assert!(card.num_rows() > 0);
    for (d, issued) in key_texts(&card, "disp_id")
        .into_iter()
        .zip(dates(&card, "issued"))
    {
        let (d, issued) = (d.expect("driving key"), issued.expect("issued"));
        let opened = opened[&account_of[&d]];
        assert!(
            issued >= opened,
            "card of disposition {d} on day {issued}, account opened {opened}"
        );
    }
}

/// A formula that holds on every real row (a Berka loan's amount is its duration times its
/// monthly payment) is found at fit, said, stored, and holds on every sampled row.
#[test]
fn a_formula_found_at_fit_holds_in_every_sampled_row() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let data = root().join("tests/data/relational/berka");
    let model = dir.path().join("model.json");
    fairsynth()
        .arg("fit")
        .arg(&data)
        .arg("--schema")
        .arg(root().join("tests/data/relational/berka_linked.yaml"))
        .arg("-o")
        .arg(&model)
        .assert()
        .success()
        .stderr(predicates::str::contains(
            "loan: amount = duration × payments on every row: computed when sampling",
        ));
    let text = std::fs::read_to_string(&model).expect("model");
    let json: serde_json::Value = serde_json::from_str(&text).expect("json");
    let loan = table_entry(&json, "loan");
    assert_eq!(
        loan["formulas"],
        serde_json::json!([{"column": "amount", "operation": "product", "left": "duration",
                            "right": "payments", "decimals": 0}])
    );
    // The derived column is not modelled.
    let vars = loan["model"]["variables"].as_array().expect("variables");
    assert!(vars.iter().all(|v| v["name"] != "amount"), "{vars:?}");
    for seed in ["1", "2"] {
        let out = dir.path().join(format!("out{seed}"));
        fairsynth()
            .arg("sample")
            .arg(&model)
            .args(["--seed", seed, "--quiet", "-o"])
            .arg(&out)
            .assert()
            .success();
        let loans = read_parquet(&out.join("loan.parquet"));
        assert!(loans.num_rows() > 0);
        let ints = |name: &str| -> Vec<i64> {
            let a = loans
                .column_by_name(name)
                .expect(name)
                .as_primitive::<Int64Type>();
            assert_eq!(a.null_count(), 0, "{name}");
            (0..a.len()).map(|i| a.value(i)).collect()
        };
        let (amount, duration, payments) = (ints("amount"), ints("duration"), ints("payments"));
        for r in 0..amount.len() {
            assert_eq!(amount[r], duration[r] * payments[r], "row {r}");
        }
    }
}

/// `evaluate DIR` finds the formulas of the real tables itself and fails a sample that
/// breaks one.
#[test]
fn evaluate_counts_the_rows_that_break_a_formula_of_the_real_rows() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let data = root().join("tests/data/relational/berka");
    let broken = dir.path().join("broken");
    std::fs::create_dir_all(&broken).expect("folder");
    for entry in std::fs::read_dir(&data).expect("berka") {
        let path = entry.expect("entry").path();
        let name = path.file_name().expect("name").to_owned();
        let mut text = std::fs::read_to_string(&path).expect("read");
        if name == "loan.csv" {
            // One loan's amount one crown off its duration times its payments.
            let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
            let mut fields: Vec<String> = lines[1].split(',').map(str::to_string).collect();
            let amount: i64 = fields[3].parse().expect("amount");
            fields[3] = (amount + 1).to_string();
            lines[1] = fields.join(",");
            text = lines.join("\n") + "\n";
        }
        std::fs::write(broken.join(name), text).expect("write");
    }
    let run = |synthetic: &Path| {
        let out = fairsynth()
            .args(["evaluate", "--real"])
            .arg(&data)
            .arg("--synthetic")
            .arg(synthetic)
            .arg("--schema")
            .arg(root().join("tests/data/relational/berka_linked.yaml"))
            .output()
            .expect("runs");
        String::from_utf8_lossy(&out.stderr).to_string()
    };
    let same = run(&data);
    assert!(
        same.contains(
            "formula loan: amount = duration × payments: broken in 0.00% of synthetic rows"
        ),
        "{same}"
    );
    assert!(same.contains("gate max_rule_violations: passed"), "{same}");
    let err = run(&broken);
    let loans = std::fs::read_to_string(data.join("loan.csv"))
        .expect("loans")
        .lines()
        .count()
        - 1;
    let share = format!("{:.2}%", 100.0 / loans as f64);
    assert!(
        err.contains(&format!(
            "formula loan: amount = duration × payments: broken in {share} of synthetic rows"
        )),
        "{err}"
    );
    assert!(
        err.contains("gate max_rule_violations: FAILED (0.0312)"),
        "{err}"
    );
}

#[test]
fn cdnow_families_keep_their_size_and_their_order_in_time() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let schema = dir.path().join("cdnow.yaml");
    fairsynth()
        .args(["inspect", "tests/data/relational/cdnow", "--draft-schema"])
        .arg(&schema)
        .assert()
        .success();
    fit_and_sample(
        &root().join("tests/data/relational/cdnow"),
        &schema,
        dir.path(),
        "2",
    );
    let out = dir.path().join("out");
    let refs = resolves(&out, "purchases", "users_id", "users", "id");
    let users = read_parquet(&out.join("users.parquet"));
    assert_eq!(users.num_rows(), 300);
    // Every real customer bought at least once; so does every synthetic one. The most active
    // customers keep their range (33 purchases at most, 17 at the 99th percentile): the count
    // keeps a continuous tail rather than stopping at the largest count ten customers share.
    let buyers: HashSet<&String> = refs.iter().collect();
    assert_eq!(buyers.len(), 300);
    let most = per_parent(&refs).keys().copied().max().unwrap_or(0);
    assert!(
        (15..=40).contains(&most),
        "most purchases of one customer: {most}"
    );
    // Purchases of a customer are written in order, and their dates never go back.
    let p = read_parquet(&out.join("purchases.parquet"));
    let d = dates(&p, "date");
    let mut last: HashMap<&String, i32> = HashMap::new();
    for (k, d) in refs.iter().zip(&d) {
        let d = d.expect("date");
        if let Some(before) = last.insert(k, d) {
            assert!(
                d >= before,
                "customer {k}: a purchase on day {d} after one on day {before}"
            );
        }
    }
    // Amounts keep the real amounts' cents: no value has fractions of a cent.
    for a in floats(&p, "amt") {
        assert!(((a * 100.0).round() - a * 100.0).abs() < 1e-6, "amount {a}");
    }
    // Dates stay in the real period (1997-01-01 to 1998-06-30); the model stores no real
    // extreme, so the lowest bin may start at a grid point a few days before the first date.
    let (lo, hi) = (9862 - 7, 10407);
    assert!(
        d.iter().flatten().all(|x| (lo..=hi).contains(x)),
        "dates outside the period"
    );
}

/// A small database where a customer's segment decides how many orders they place and how
/// much each order is worth: both must survive fit and sample.
#[test]
fn children_follow_their_parents_columns_in_count_and_value() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let data = dir.path().join("data");
    std::fs::create_dir(&data).expect("folder");
    let mut customers = String::from("id,segment\n");
    let mut orders = String::from("order_id,customer_id,amount\n");
    let mut next = 1;
    for c in 1..=400 {
        let gold = c % 4 == 0;
        customers.push_str(&format!("{c},{}\n", if gold { "gold" } else { "basic" }));
        let n = if gold { 5 + c % 3 } else { 1 + c % 2 };
        for k in 0..n {
            let amount = if gold {
                200.0 + ((c * 7 + k * 13) % 50) as f64
            } else {
                20.0 + ((c * 3 + k) % 10) as f64
            };
            orders.push_str(&format!("{next},{c},{amount}\n"));
            next += 1;
        }
    }
    std::fs::write(data.join("customers.csv"), customers).expect("write");
    std::fs::write(data.join("orders.csv"), orders).expect("write");
    let schema = dir.path().join("db.yaml");
    std::fs::write(
        &schema,
        "version: 1\nname: shop\ntables:\n  - name: customers\n    rows: 400\n    primary_key: id\n    columns:\n      - {name: id, type: int}\n      - {name: segment, type: category}\n  - name: orders\n    primary_key: order_id\n    columns:\n      - {name: order_id, type: int}\n      - {name: customer_id, type: int, references: customers, children: {shares: {\"1\": 1}}}\n      - {name: amount, type: float}\n",
    )
    .expect("write");
    fit_and_sample(&data, &schema, dir.path(), "2");
    let out = dir.path().join("out");
    let refs = resolves(&out, "orders", "customer_id", "customers", "id");
    let c = read_parquet(&out.join("customers.parquet"));
    let segment = by_key(
        key_texts(&c, "id"),
        categories(&c, "segment").into_iter().map(Some).collect(),
    );
    let amounts = floats(&read_parquet(&out.join("orders.parquet")), "amount");
    let mut count: HashMap<&str, usize> = HashMap::new();
    let mut parents: HashMap<&str, HashSet<&String>> = HashMap::new();
    for (k, a) in refs.iter().zip(&amounts) {
        let s = segment[k].as_str();
        *count.entry(s).or_default() += 1;
        parents.entry(s).or_default().insert(k);
        match s {
            "gold" => assert!(*a >= 150.0, "a gold customer's order of {a}"),
            _ => assert!(*a <= 60.0, "a basic customer's order of {a}"),
        }
    }
    let per = |s: &str| count[s] as f64 / segment.values().filter(|v| *v == s).count() as f64;
    assert!(
        per("gold") > 4.5 && per("gold") < 7.5,
        "gold orders per customer {}",
        per("gold")
    );
    assert!(
        per("basic") > 1.0 && per("basic") < 2.0,
        "basic orders per customer {}",
        per("basic")
    );
}

#[test]
fn the_same_seed_gives_the_same_model_and_files_at_any_thread_count() {
    let data = root().join("tests/data/relational/berka");
    let schema = root().join("tests/data/relational/berka_linked.yaml");
    let a = tempfile::tempdir().expect("temporary folder");
    let b = tempfile::tempdir().expect("temporary folder");
    fit_and_sample(&data, &schema, a.path(), "1");
    fit_and_sample(&data, &schema, b.path(), "2");
    let bytes = |d: &Path, f: &str| std::fs::read(d.join(f)).expect(f);
    assert!(bytes(a.path(), "model.json") == bytes(b.path(), "model.json"));
    for t in [
        "district", "client", "account", "disp", "card", "loan", "order",
    ] {
        let f = format!("out/{t}.parquet");
        assert!(bytes(a.path(), &f) == bytes(b.path(), &f), "{t} differs");
    }
}

#[test]
fn a_key_naming_no_parent_is_refused_with_the_table_and_value() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let data = dir.path().join("cdnow");
    std::fs::create_dir(&data).expect("folder");
    let src = root().join("tests/data/relational/cdnow");
    std::fs::copy(src.join("users.csv"), data.join("users.csv")).expect("copy");
    let mut p = std::fs::read_to_string(src.join("purchases.csv")).expect("read");
    p.push_str("999999,1997-03-01,1,9.99\n");
    std::fs::write(data.join("purchases.csv"), p).expect("write");
    let schema = dir.path().join("cdnow.yaml");
    fairsynth()
        .args(["inspect", "tests/data/relational/cdnow", "--draft-schema"])
        .arg(&schema)
        .assert()
        .success();
    let out = fairsynth()
        .arg("fit")
        .arg(&data)
        .arg("--schema")
        .arg(&schema)
        .arg("-o")
        .arg(dir.path().join("m.json"))
        .assert()
        .code(2);
    let err = String::from_utf8_lossy(&out.get_output().stderr).to_string();
    assert!(
        err.contains(
            "table `purchases`: 1 rows of `users_id` name no row of `users` (e.g. `999999`)"
        ),
        "{err}"
    );
    assert!(!dir.path().join("m.json").exists(), "no model is written");
}

#[test]
fn a_linked_model_refuses_one_table_options_and_a_file_output() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let model = dir.path().join("m.json");
    fairsynth()
        .args([
            "fit",
            "tests/data/relational/berka",
            "--schema",
            "tests/data/relational/berka_linked.yaml",
            "--quiet",
            "-o",
        ])
        .arg(&model)
        .assert()
        .success();
    let out = fairsynth()
        .arg("sample")
        .arg(&model)
        .args(["--rows", "10", "-o"])
        .arg(dir.path().join("o"))
        .assert()
        .code(2);
    let err = String::from_utf8_lossy(&out.get_output().stderr).to_string();
    assert!(err.contains("hint: use --scale"), "{err}");
    let file = dir.path().join("file.parquet");
    std::fs::write(&file, b"x").expect("write");
    let out = fairsynth()
        .arg("sample")
        .arg(&model)
        .arg("-o")
        .arg(&file)
        .assert()
        .code(2);
    let err = String::from_utf8_lossy(&out.get_output().stderr).to_string();
    assert!(err.contains("is not a folder"), "{err}");
    assert_eq!(std::fs::read(&file).expect("kept"), b"x");
    // --scale multiplies the root tables.
    fairsynth()
        .arg("sample")
        .arg(&model)
        .args(["--scale", "2", "--quiet", "-o"])
        .arg(dir.path().join("twice"))
        .assert()
        .success();
    let clients = read_parquet(&dir.path().join("twice/client.parquet"));
    assert_eq!(clients.num_rows(), 490);
}

/// `evaluate` of two folders: integrity, children per parent, trends and date rules, with
/// gates that fail on a dangling key.
#[test]
fn evaluate_judges_a_linked_sample_and_fails_a_dangling_key() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let data = root().join("tests/data/relational/berka");
    let schema = root().join("tests/data/relational/berka_linked.yaml");
    fit_and_sample(&data, &schema, dir.path(), "2");
    let out = dir.path().join("out");
    let report = dir.path().join("report.json");
    fairsynth()
        .args(["evaluate", "--quiet", "--real"])
        .arg(&data)
        .arg("--synthetic")
        .arg(&out)
        .arg("--schema")
        .arg(&schema)
        .arg("--report")
        .arg(&report)
        .assert()
        .success();
    let r: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&report).expect("report")).expect("json");
    let rels = r["relationships"].as_array().expect("relationships");
    assert_eq!(rels.len(), 7);
    assert!(rels.iter().all(|x| x["integrity"] == 1.0), "{rels:?}");
    let disp = rels
        .iter()
        .find(|x| x["child"] == "disp" && x["column"] == "account_id")
        .expect("disp.account_id");
    assert!(
        disp["cardinality_ks"].as_f64().expect("ks") < 0.05,
        "{disp}"
    );
    let rules = r["rules"].as_array().expect("rules");
    assert!(
        rules.iter().any(|x| x["child"] == "loan"
            && x["parent_column"] == "date"
            && x["synthetic_broken"] == 0.0),
        "{rules:?}"
    );
    // A synthetic loan whose account does not exist: the integrity gate fails (exit 1).
    let broken = dir.path().join("broken");
    std::fs::create_dir(&broken).expect("folder");
    for t in ["district", "client", "account", "disp", "card", "order"] {
        std::fs::copy(
            out.join(format!("{t}.parquet")),
            broken.join(format!("{t}.parquet")),
        )
        .expect("copy");
    }
    let mut loans = std::fs::read_to_string(data.join("loan.csv")).expect("loans");
    loans.push_str("99999,999999,1997-01-01,1000,12,90,A\n");
    std::fs::write(broken.join("loan.csv"), loans).expect("write");
    let out = fairsynth()
        .args(["evaluate", "--quiet", "--real"])
        .arg(&data)
        .arg("--synthetic")
        .arg(&broken)
        .arg("--schema")
        .arg(&schema)
        .assert()
        .code(1);
    let err = String::from_utf8_lossy(&out.get_output().stderr).to_string();
    assert!(err.contains("min_referential_integrity"), "{err}");
}

/// A database of 1,000 customers (70 % women; churn 20 % of women, 60 % of men) and their
/// orders (churners order once, the others three times), with targets and fairness on the
/// customers: the folder and the schema.
fn churn_db(dir: &Path) -> (std::path::PathBuf, std::path::PathBuf) {
    let data = dir.join("data");
    std::fs::create_dir(&data).expect("folder");
    let mut customers = String::from("id,sex,churn\n");
    let mut orders = String::from("order_id,customer_id,amount\n");
    let mut next = 1;
    for c in 1..=1000u32 {
        // 70 % women; churn 20 % of women, 60 % of men; churners order once, others 3 times.
        let woman = c % 10 < 7;
        let churn = if woman {
            (c / 10) % 5 == 0
        } else {
            (c / 10) % 5 < 3
        };
        customers.push_str(&format!(
            "{c},{},{}\n",
            if woman { "F" } else { "M" },
            if churn { "yes" } else { "no" }
        ));
        for k in 0..if churn { 1 } else { 3 } {
            orders.push_str(&format!("{next},{c},{}\n", 10 + (c + k) % 40));
            next += 1;
        }
    }
    std::fs::write(data.join("customers.csv"), customers).expect("write");
    std::fs::write(data.join("orders.csv"), orders).expect("write");
    let schema = dir.join("db.yaml");
    std::fs::write(
        &schema,
        "version: 1\nname: churn\ntables:\n  - name: customers\n    rows: 1000\n    primary_key: id\n    columns:\n      - {name: id, type: int}\n      - {name: sex, type: category, role: protected}\n      - {name: churn, type: category, role: label}\n    targets:\n      sex: {F: 0.5, M: 0.5}\n    fairness: {label: churn, independent_of: [sex], favourable: \"no\"}\n  - name: orders\n    primary_key: order_id\n    columns:\n      - {name: order_id, type: int}\n      - {name: customer_id, type: int, references: customers, children: {shares: {\"1\": 1}}}\n      - {name: amount, type: int}\n",
    )
    .expect("write");
    (data, schema)
}

/// Targets and fairness at the person: a root table's `targets:` and `fairness:` move its
/// people's shares and make its label independent of its protected column; each person's
/// children come along (the number of orders follows churn).
#[test]
fn targets_and_fairness_apply_to_the_root_tables_people_and_children_follow() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let (data, schema) = churn_db(dir.path());
    let model = dir.path().join("m.json");
    on_folder("fit", &data, &schema, &model);
    let sample = |name: &str, flags: &[&str]| {
        let out = dir.path().join(name);
        fairsynth()
            .arg("sample")
            .arg(&model)
            .args(flags)
            .args(["--seed", "3", "--quiet", "-o"])
            .arg(&out)
            .assert()
            .success();
        let c = read_parquet(&out.join("customers.parquet"));
        let (sex, churn) = (categories(&c, "sex"), categories(&c, "churn"));
        let ids = key_texts(&c, "id");
        let orders = read_parquet(&out.join("orders.parquet"));
        let per: HashMap<String, usize> = key_texts(&orders, "customer_id")
            .into_iter()
            .flatten()
            .fold(HashMap::new(), |mut m, k| {
                *m.entry(k).or_default() += 1;
                m
            });
        let rate = |s: &str| {
            let n = sex.iter().filter(|x| *x == s).count() as f64;
            let yes = sex
                .iter()
                .zip(&churn)
                .filter(|(x, c)| *x == s && *c == "yes")
                .count();
            yes as f64 / n
        };
        let women = sex.iter().filter(|x| *x == "F").count() as f64 / sex.len() as f64;
        // Orders per churner and per loyal customer.
        let mean_orders = |c: &str| {
            let rows: Vec<usize> = ids
                .iter()
                .zip(&churn)
                .filter(|(_, x)| *x == c)
                .map(|(k, _)| per.get(k.as_ref().expect("key")).copied().unwrap_or(0))
                .collect();
            rows.iter().sum::<usize>() as f64 / rows.len() as f64
        };
        (
            women,
            rate("F"),
            rate("M"),
            mean_orders("yes"),
            mean_orders("no"),
        )
    };
    let (women, f, m, yes, no) = sample("fair", &["--schema-targets"]);
    assert!((women - 0.5).abs() < 0.02, "share of women {women}");
    assert!((f - m).abs() < 0.03, "churn rates by sex {f} and {m}");
    assert!(yes < 1.3 && no > 2.7, "orders: churners {yes}, loyal {no}");
    let (women, f, m, _, _) = sample("as_fitted", &["--no-fairness"]);
    assert!((women - 0.7).abs() < 0.03, "share of women {women}");
    assert!(m - f > 0.3, "churn rates by sex {f} and {m}");
}

/// `reweight DIR`: the customers are reweighted to their targets and parity, and every order
/// carries its customer's weight, so weighted orders keep the customers' shares.
#[test]
fn reweight_of_a_folder_weights_the_people_and_their_children_alike() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let (data, schema) = churn_db(dir.path());
    let out = dir.path().join("weighted");
    on_folder("reweight", &data, &schema, &out);
    let c = read_parquet(&out.join("customers.parquet"));
    let o = read_parquet(&out.join("orders.parquet"));
    let w = |b: &RecordBatch| floats(b, "weight");
    let (cw, ow) = (w(&c), w(&o));
    let weight = by_key(key_texts(&c, "id"), cw.iter().copied().map(Some).collect());
    for (k, w) in key_texts(&o, "customer_id").into_iter().zip(&ow) {
        assert_eq!(
            weight[&k.expect("key")],
            *w,
            "an order's weight is its customer's"
        );
    }
    let sex = categories(&c, "sex");
    let total: f64 = cw.iter().sum();
    let women: f64 = sex
        .iter()
        .zip(&cw)
        .filter(|(s, _)| *s == "F")
        .map(|(_, w)| w)
        .sum();
    assert!(
        (women / total - 0.5).abs() < 1e-6,
        "weighted share of women {}",
        women / total
    );
    // A table under no reweighted root would carry weight 1; a schema without targets is refused.
    let plain = dir.path().join("plain.yaml");
    let text = std::fs::read_to_string(&schema).expect("schema");
    let cut = text.find("    targets:").expect("targets");
    let end = text.find("  - name: orders").expect("orders");
    std::fs::write(&plain, format!("{}{}", &text[..cut], &text[end..])).expect("write");
    let out = fairsynth()
        .arg("reweight")
        .arg(&data)
        .arg("--schema")
        .arg(&plain)
        .arg("-o")
        .arg(dir.path().join("none"))
        .assert()
        .code(2);
    let err = String::from_utf8_lossy(&out.get_output().stderr).to_string();
    assert!(err.contains("nothing to reweight the people to"), "{err}");
    assert!(!dir.path().join("none").exists());
}

/// Identifier columns the schema gives a generator (reading nothing modelled) are drawn
/// fresh in every table, as a one-table sample does; an identifier without one is not
/// written. No real value comes out, and the same seed gives the same values.
#[test]
fn identifiers_with_a_generator_are_regenerated_in_linked_tables() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let data = dir.path().join("data");
    std::fs::create_dir(&data).expect("folder");
    let mut customers = String::from("id,full_name,email,phone,segment\n");
    let mut orders = String::from("order_id,customer_id,reference,amount\n");
    let mut next = 1;
    for c in 1..=300u32 {
        customers.push_str(&format!(
            "{c},Real Person {c},real{c}@example.org,555-{c:04},{}\n",
            if c % 3 == 0 { "premium" } else { "basic" }
        ));
        for k in 0..(1 + c % 3) {
            orders.push_str(&format!("{next},{c},REF-{next:05},{}\n", 10 + (c + k) % 40));
            next += 1;
        }
    }
    std::fs::write(data.join("customers.csv"), customers).expect("write");
    std::fs::write(data.join("orders.csv"), orders).expect("write");
    let schema = dir.path().join("db.yaml");
    std::fs::write(
        &schema,
        r#"version: 1
name: crm
tables:
  - name: customers
    rows: 300
    primary_key: id
    columns:
      - {name: id, type: int}
      - {name: full_name, type: string, role: identifier, generator: {kind: person_name, locale: en}}
      - {name: email, type: string, role: identifier, generator: {kind: email, from: full_name}}
      - {name: phone, type: string, role: identifier}
      - {name: segment, type: category}
  - name: orders
    primary_key: order_id
    columns:
      - {name: order_id, type: int}
      - {name: customer_id, type: int, references: customers, children: {shares: {"1": 1}}}
      - {name: reference, type: string, role: identifier, generator: {kind: pattern, pattern: "ORD-#####"}}
      - {name: amount, type: int}
"#,
    )
    .expect("write");
    let sample = |seed: &str, name: &str| -> std::path::PathBuf {
        let model = dir.path().join("model.json");
        if !model.exists() {
            on_folder("fit", &data, &schema, &model);
        }
        let out = dir.path().join(name);
        fairsynth()
            .arg("sample")
            .arg(&model)
            .args(["--seed", seed, "--quiet", "-o"])
            .arg(&out)
            .assert()
            .success();
        out
    };
    let out = sample("5", "a");
    let customers = read_parquet(&out.join("customers.parquet"));
    let names = key_texts(&customers, "full_name");
    let emails = key_texts(&customers, "email");
    assert_eq!(names.len(), customers.num_rows());
    for (n, e) in names.iter().zip(&emails) {
        let (n, e) = (n.as_deref().expect("name"), e.as_deref().expect("email"));
        assert!(!n.starts_with("Real Person"), "a real name came out: {n}");
        assert!(!e.starts_with("real"), "a real e-mail came out: {e}");
        let first = n
            .split_whitespace()
            .next()
            .expect("given name")
            .to_lowercase();
        assert!(
            e.to_lowercase().contains(&first),
            "{e} is not drawn from {n}"
        );
    }
    assert!(
        customers.column_by_name("phone").is_none(),
        "an identifier without a generator is not written"
    );
    let orders = read_parquet(&out.join("orders.parquet"));
    for r in key_texts(&orders, "reference") {
        let r = r.expect("reference");
        assert!(r.starts_with("ORD-") && r.len() == 9, "{r}");
    }
    let again = sample("5", "b");
    assert_eq!(
        key_texts(&read_parquet(&again.join("customers.parquet")), "email"),
        emails,
        "same seed, same identifiers"
    );
}
