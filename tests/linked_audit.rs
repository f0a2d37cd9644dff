//! `audit DIR --schema LINKED.yaml`: the audit of linked tables. A hand-made database where
//! every figure is known (a dangling and a null key, a duplicate primary key, a proxy of sex
//! planted among the children's categories, a label in a child table of the protected
//! column's table), the committed berka sample (figures recomputed here from its CSV files), a
//! shop synthesised from `schemas/shop.yaml`, the gates' exit codes and the errors.

mod common;

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};

use common::{fairsynth, root};
use serde_json::Value;

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    fs::write(&p, text).expect("write");
    p
}

/// Compares `stderr` with the golden file `tests/golden/linked_audit/NAME`, the temporary
/// folder written `TMP`. `FAIRSYNTH_BLESS=1` rewrites it.
fn golden(name: &str, stderr: &[u8], tmp: &Path) {
    let text = String::from_utf8_lossy(stderr).replace(&tmp.display().to_string(), "TMP");
    let path = root().join("tests/golden/linked_audit").join(name);
    if std::env::var_os("FAIRSYNTH_BLESS").is_some() {
        fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        fs::write(&path, &text).expect("bless");
    }
    let want = fs::read_to_string(&path).expect("golden file");
    assert_eq!(text, want, "{name}");
}

const SCHEMA: &str = r#"version: 1
name: tiny
tables:
  - name: people
    rows: 9
    primary_key: id
    columns:
      - {name: id, type: int, role: identifier}
      - {name: sex, type: category, role: protected, levels: [f, m]}
    targets:
      sex: {f: 0.5, m: 0.5}
  - name: orders
    primary_key: oid
    columns:
      - {name: oid, type: int}
      - name: pid
        type: int
        nullable: true
        references: people
        children: {shares: {"2": 1}}
      - {name: colour, type: category}
      - {name: amount, type: float}
  - name: loans
    primary_key: lid
    columns:
      - {name: lid, type: int}
      - name: pid
        type: int
        references: people
        children: {shares: {"1": 1}}
      - {name: repaid, type: category, role: label, levels: ["no", "yes"]}
    quality:
      min_group_rows: 1
"#;

/// People 101-109: 101-104 and 109 women, 105-108 men; 109 has no order and no loan.
/// Orders: two per person 101-108, `pink` for women and `blue` for men (a planted proxy of
/// sex), amounts that do not depend on sex; row 17 names person 4242 (dangling), row 18 has no
/// person and repeats order 5's key. Loans: one per person 101-108; 3 of 4 women and 1 of 4
/// men repaid.
fn tiny(dir: &Path) -> (PathBuf, PathBuf) {
    let db = dir.join("db");
    fs::create_dir_all(&db).expect("mkdir");
    let mut people = String::from("id,sex\n");
    for (i, s) in ["f", "f", "f", "f", "m", "m", "m", "m", "f"]
        .iter()
        .enumerate()
    {
        people.push_str(&format!("{},{s}\n", 101 + i));
    }
    write(&db, "people.csv", &people);
    let mut orders = String::from("oid,pid,colour,amount\n");
    for p in 0..8 {
        let colour = if p < 4 { "pink" } else { "blue" };
        for k in 0..2 {
            let amount = 10.0 * ((p % 4) + 1) as f64 + k as f64;
            orders.push_str(&format!(
                "{},{},{colour},{amount}\n",
                2 * p + k + 1,
                101 + p
            ));
        }
    }
    orders.push_str("17,4242,pink,12\n5,,blue,13\n");
    write(&db, "orders.csv", &orders);
    let mut loans = String::from("lid,pid,repaid\n");
    for (p, r) in ["yes", "yes", "yes", "no", "yes", "no", "no", "no"]
        .iter()
        .enumerate()
    {
        loans.push_str(&format!("{},{},{r}\n", p + 1, 101 + p));
    }
    write(&db, "loans.csv", &loans);
    (db, write(dir, "tiny.yaml", SCHEMA))
}

fn run(dir: &Path, schema: &Path, extra: &[&str]) -> (Option<i32>, Value, String, Vec<u8>) {
    let report = dir.join("report.json");
    let _ = fs::remove_file(&report);
    let out = fairsynth()
        .arg("audit")
        .arg(dir.join("db"))
        .arg("--schema")
        .arg(schema)
        .arg("--report")
        .arg(&report)
        .args(["--as-of", "2026-01-01"])
        .args(extra)
        .output()
        .expect("runs");
    let text = fs::read_to_string(&report).unwrap_or_default();
    let v = serde_json::from_str(&text).unwrap_or(Value::Null);
    (out.status.code(), v, text, out.stderr)
}

fn close(a: &Value, b: f64) {
    let a = a.as_f64().unwrap_or_else(|| panic!("{a} is not a number"));
    assert!((a - b).abs() < 1e-12, "{a} != {b}");
}

fn check<'a>(r: &'a Value, key: &str) -> Vec<&'a Value> {
    r["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .filter(|c| c["key"] == key)
        .collect()
}

#[test]
fn a_hand_made_database_gives_its_known_figures() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (_, schema) = tiny(dir.path());
    let (code, r, text, stderr) = run(
        dir.path(),
        &schema,
        &["--threshold", "max_dangling_keys=0.1"],
    );
    assert_eq!(code, Some(0), "{}", String::from_utf8_lossy(&stderr));
    assert_eq!(r["format"], "fairsynth-audit-linked");

    // Representation at the person: 5 women of 9 against a target of one half.
    let people = &r["tables"][0];
    assert_eq!(people["table"], "people");
    let sex = &people["audit"]["representation"][0];
    assert_eq!(sex["attribute"], "sex");
    assert_eq!(sex["groups"][0]["group"], "f");
    assert_eq!(sex["groups"][0]["rows"], 5);
    close(&sex["groups"][0]["share"], 5.0 / 9.0);
    close(&sex["groups"][0]["gap"], 5.0 / 9.0 - 0.5);
    let (lo, hi) = fairsynth::audit::figures::wilson(5.0, 9.0);
    close(&sex["groups"][0]["interval"][0], lo);
    close(&sex["groups"][0]["interval"][1], hi);

    // Parity of the loans' label by the sex of the person each loan hangs from.
    let parity = r["parity"].as_array().expect("parity");
    assert_eq!(parity.len(), 1);
    assert_eq!(parity[0]["table"], "loans");
    assert_eq!(parity[0]["through"][0], "loans.pid → people");
    let p = &parity[0]["parity"];
    assert_eq!(p["label"], "repaid");
    assert_eq!(p["favourable"], "yes");
    close(&p["overall_rate"], 0.5);
    let a = &p["attributes"][0];
    assert_eq!(a["attribute"], "people.sex");
    assert_eq!(a["groups"][0]["group"], "f");
    assert_eq!(a["groups"][0]["rows"], 4);
    close(&a["groups"][0]["rate"], 0.75);
    close(&a["groups"][1]["rate"], 0.25);
    assert_eq!(a["lowest"], "m");
    assert_eq!(a["highest"], "f");
    close(&a["spd"], -0.5);
    close(&a["di"], 1.0 / 3.0);

    // The planted proxy: the most common colour of a person's orders gives the sex away.
    let proxies = r["proxies"].as_array().expect("proxies");
    assert_eq!(proxies.len(), 1);
    assert_eq!(proxies[0]["table"], "people");
    assert_eq!(
        proxies[0]["descendants"],
        serde_json::json!(["orders", "loans"])
    );
    let pairs = proxies[0]["proxies"]["pairs"].as_array().expect("pairs");
    assert_eq!(pairs[0]["column"], "orders.colour");
    assert_eq!(pairs[0]["protected"], "sex");
    close(&pairs[0]["cramers_v"], 1.0);
    assert!(
        pairs[1]["cramers_v"].as_f64().expect("v") < 0.5,
        "{}",
        pairs[1]
    );
    // The loans' label is an outcome, not a proxy.
    assert!(pairs.iter().all(|p| p["column"] != "loans.repaid"));

    // Keys: one dangling and one null person key among the orders, one duplicate order key.
    let fk = &r["foreign_keys"][0];
    assert_eq!(fk["child"], "orders");
    assert_eq!(fk["rows"], 18);
    assert_eq!(fk["null_keys"], 1);
    assert_eq!(fk["dangling"], 1);
    close(&fk["dangling_share"], 1.0 / 17.0);
    assert_eq!(fk["dangling_rows"], serde_json::json!([17]));
    assert_eq!(fk["parents_without_children"], 1);
    let loans_fk = &r["foreign_keys"][1];
    assert_eq!(loans_fk["dangling"], 0);
    assert_eq!(loans_fk["parents_without_children"], 1);
    let pk = &r["primary_keys"][1];
    assert_eq!(pk["table"], "orders");
    assert_eq!(pk["duplicate_keys"], 1);
    assert_eq!(pk["duplicate_rows"], serde_json::json!([18]));
    let gate = check(&r, "max_dangling_keys");
    assert_eq!(gate.len(), 2);
    assert_eq!(gate[0]["status"], "passed");
    // The orders table's own audit counts the null key.
    let orders = &r["tables"][1]["audit"]["quality"]["columns"];
    let pid = orders
        .as_array()
        .expect("columns")
        .iter()
        .find(|c| c["column"] == "pid")
        .expect("pid");
    assert_eq!(pid["nulls"], 1);
    // Key values never appear (the dangling key is 4242); people are rows, not ids.
    assert!(!text.contains("4242"), "a key value in the report");
}

#[test]
fn failed_gates_exit_one_and_say_which() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (_, schema) = tiny(dir.path());
    // max_dangling_keys is 0 unless set.
    let (code, r, _, stderr) = run(dir.path(), &schema, &[]);
    assert_eq!(code, Some(1));
    assert_eq!(r["passed"], false);
    assert_eq!(check(&r, "max_dangling_keys")[0]["status"], "failed");
    golden("dangling.stderr", &stderr, dir.path());
    // Parity across tables and the profile's proxies against their gates.
    let (code, r, _, _) = run(
        dir.path(),
        &schema,
        &[
            "--threshold",
            "max_dangling_keys=0.1",
            "--threshold",
            "min_di=0.8",
            "--threshold",
            "max_proxy_strength=0.9",
            "-q",
        ],
    );
    assert_eq!(code, Some(1));
    let di = check(&r, "min_di");
    let across: Vec<&&Value> = di
        .iter()
        .filter(|c| {
            c["detail"]
                .as_str()
                .is_some_and(|d| d.contains("people.sex"))
        })
        .collect();
    assert_eq!(across.len(), 1);
    assert_eq!(across[0]["status"], "failed");
    close(&across[0]["value"], 1.0 / 3.0);
    let proxy = check(&r, "max_proxy_strength");
    assert!(proxy
        .iter()
        .any(|c| c["status"] == "failed"
            && c["detail"].as_str().unwrap_or("").contains("orders.colour")));
}

#[test]
fn the_html_page_is_self_contained_and_well_formed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (db, schema) = tiny(dir.path());
    let html = dir.path().join("audit.html");
    fairsynth()
        .arg("audit")
        .arg(&db)
        .arg("--schema")
        .arg(&schema)
        .arg("--html")
        .arg(&html)
        .args(["--threshold", "max_dangling_keys=0.5", "-q"])
        .assert()
        .code(0);
    let page = fs::read_to_string(&html).expect("page");
    for want in [
        "Keys: orphans, dangling and duplicate keys",
        "Outcome parity across tables",
        "Proxies in child aggregates",
        "orders.colour",
        "Table loans",
    ] {
        assert!(page.contains(want), "no `{want}`");
    }
    assert!(!page.contains("4242"));
    assert!(!page.contains("<script"));
    let urls: Vec<&str> = page
        .match_indices("http")
        .map(|(i, _)| &page[i..i + 30])
        .collect();
    assert!(
        urls.iter().all(|u| u.starts_with("http://www.w3.org/")),
        "{urls:?}"
    );
    // Well-formed XML, and every id unique across the tables' sections.
    let doc = roxmltree::Document::parse_with_options(
        &page,
        roxmltree::ParsingOptions {
            allow_dtd: true,
            ..Default::default()
        },
    )
    .unwrap_or_else(|e| panic!("not well-formed XML: {e}"));
    let ids: Vec<&str> = doc
        .descendants()
        .filter_map(|n| n.attribute("id"))
        .collect();
    let unique: std::collections::BTreeSet<&str> = ids.iter().copied().collect();
    assert_eq!(ids.len(), unique.len(), "repeated ids");
    // The profile's proxy chart puts the planted proxy first.
    let bars: Vec<&str> = doc
        .descendants()
        .filter(|n| n.has_tag_name("text"))
        .filter_map(|n| n.text())
        .filter(|t| t.contains(" → sex"))
        .collect();
    assert_eq!(bars.first(), Some(&"orders.colour → sex"), "{bars:?}");
}

/// Column `name` of a committed berka CSV file (no field of these files holds a comma).
fn csv_column(table: &str, name: &str) -> Vec<String> {
    let text = fs::read_to_string(root().join(format!("tests/data/relational/berka/{table}.csv")))
        .expect("csv");
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().expect("header").split(',').collect();
    let at = header.iter().position(|h| *h == name).expect("column");
    lines
        .map(|l| l.split(',').nth(at).unwrap_or("").to_string())
        .collect()
}

#[test]
fn berka_keys_hold_and_parents_without_children_match_the_files() {
    let dir = tempfile::tempdir().expect("tempdir");
    let report = dir.path().join("r.json");
    fairsynth()
        .args([
            "audit",
            "tests/data/relational/berka",
            "--schema",
            "tests/data/relational/berka_linked.yaml",
            "--as-of",
            "1999-01-01",
            "-q",
            "--report",
        ])
        .arg(&report)
        .assert()
        .code(0);
    let r: Value =
        serde_json::from_str(&fs::read_to_string(&report).expect("report")).expect("json");
    assert_eq!(r["tables"].as_array().expect("tables").len(), 7);
    let fks = r["foreign_keys"].as_array().expect("keys");
    assert_eq!(fks.len(), 7);
    for fk in fks {
        assert_eq!(fk["dangling"], 0, "{fk}");
        assert_eq!(fk["null_keys"], 0, "{fk}");
        let child = fk["child"].as_str().expect("child");
        let parent = fk["parent"].as_str().expect("parent");
        let column = fk["column"].as_str().expect("column");
        let named: std::collections::HashSet<String> =
            csv_column(child, column).into_iter().collect();
        let pk = format!("{parent}_id");
        let without = csv_column(parent, &pk)
            .iter()
            .filter(|k| !named.contains(*k))
            .count();
        assert_eq!(fk["parents_without_children"], without, "{fk}");
    }
    // No protected column in this schema: nothing to compare, and it says so.
    assert_eq!(r["parity"], serde_json::json!([]));
    assert_eq!(r["proxies"], serde_json::json!([]));
    assert!(r["primary_keys"]
        .as_array()
        .expect("pks")
        .iter()
        .all(|k| k["duplicate_keys"] == 0));
}

#[test]
fn berka_loan_status_by_the_accounts_frequency_matches_a_recount() {
    let dir = tempfile::tempdir().expect("tempdir");
    let yaml = fs::read_to_string(root().join("tests/data/relational/berka_linked.yaml"))
        .expect("schema")
        .replace(
            "{name: frequency, type: category}",
            "{name: frequency, type: category, role: protected}",
        )
        .replace(
            "{name: status, type: category}",
            "{name: status, type: category, role: label, levels: [B, D, C, A]}",
        );
    let schema = write(dir.path(), "berka.yaml", &yaml);
    let report = dir.path().join("r.json");
    fairsynth()
        .args(["audit", "tests/data/relational/berka", "--schema"])
        .arg(&schema)
        .args(["--threshold", "min_group_rows=1", "-q", "--report"])
        .arg(&report)
        .assert()
        .code(0);
    let r: Value =
        serde_json::from_str(&fs::read_to_string(&report).expect("report")).expect("json");
    // The recount: each loan's account's frequency, and the share of status A per frequency.
    let freq: HashMap<String, String> = csv_column("account", "account_id")
        .into_iter()
        .zip(csv_column("account", "frequency"))
        .collect();
    let mut tally: HashMap<String, (u64, u64)> = HashMap::new();
    for (acc, status) in csv_column("loan", "account_id")
        .iter()
        .zip(csv_column("loan", "status"))
    {
        let e = tally.entry(freq[acc].clone()).or_default();
        e.0 += 1;
        e.1 += u64::from(status == "A");
    }
    let parity = &r["parity"][0];
    assert_eq!(parity["table"], "loan");
    assert_eq!(parity["through"][0], "loan.account_id → account");
    assert_eq!(parity["parity"]["favourable"], "A");
    let a = &parity["parity"]["attributes"][0];
    assert_eq!(a["attribute"], "account.frequency");
    let groups = a["groups"].as_array().expect("groups");
    assert_eq!(groups.len(), tally.len());
    for g in groups {
        let (n, k) = tally[g["group"].as_str().expect("group")];
        assert_eq!(g["rows"], n);
        close(&g["rate"], k as f64 / n as f64);
    }
    let rates: Vec<f64> = tally.values().map(|(n, k)| *k as f64 / *n as f64).collect();
    let (lo, hi) = rates
        .iter()
        .fold((f64::INFINITY, 0.0f64), |(l, h), x| (l.min(*x), h.max(*x)));
    close(&a["spd"], lo - hi);
    // The account's profile: its loans' and orders' aggregates against the frequency.
    let pairs = r["proxies"][0]["proxies"]["pairs"]
        .as_array()
        .expect("pairs");
    assert_eq!(r["proxies"][0]["table"], "account");
    assert!(pairs.iter().any(|p| p["column"] == "#order"));
    assert!(pairs.iter().all(|p| p["column"] != "loan.status"));
}

#[test]
fn a_synthesised_shop_gets_its_person_level_figures() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("db");
    fairsynth()
        .args([
            "synth",
            "--schema",
            "schemas/shop.yaml",
            "--scale",
            "0.05",
            "-q",
            "-o",
        ])
        .arg(&db)
        .assert()
        .success();
    let (code, r, _, stderr) = run(dir.path(), &root().join("schemas/shop.yaml"), &[]);
    assert_eq!(code, Some(0), "{}", String::from_utf8_lossy(&stderr));
    let customers = &r["tables"][0]["audit"];
    assert_eq!(customers["input"]["rows"], 1000);
    let sex = &customers["representation"][0];
    assert_eq!(sex["attribute"], "sex");
    close(&sex["groups"][0]["target"], 0.5);
    // Churn by sex and age is the customers' own parity; no label hangs below them.
    assert_eq!(customers["parity"]["label"], "churned");
    assert_eq!(r["parity"], serde_json::json!([]));
    // The order channel depends on the customer's age band in the schema: the strongest
    // aggregate of the orders for age.
    let pairs = r["proxies"][0]["proxies"]["pairs"]
        .as_array()
        .expect("pairs");
    let first_orders = pairs
        .iter()
        .find(|p| {
            p["protected"] == "age"
                && p["column"]
                    .as_str()
                    .is_some_and(|c| c.starts_with("orders."))
        })
        .expect("an orders aggregate");
    assert_eq!(first_orders["column"], "orders.channel");
    assert!(r["foreign_keys"]
        .as_array()
        .expect("keys")
        .iter()
        .all(|k| k["dangling"] == 0));
    // Identifiers never appear among the proxies or the profile.
    assert!(pairs
        .iter()
        .all(|p| !["customer_id", "full_name", "email"]
            .contains(&p["column"].as_str().unwrap_or(""))));
}

#[test]
fn bad_invocations_get_clear_errors() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (db, schema) = tiny(dir.path());
    let out = fairsynth()
        .arg("audit")
        .arg(&db)
        .arg("--schema")
        .arg(&schema)
        .args(["--targets", "t.yaml"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    golden("one_table_flags.stderr", &out.stderr, dir.path());
    let out = fairsynth()
        .arg("audit")
        .arg(&db)
        .args(["--schema", "schemas/customers.yaml"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    golden("one_table_schema.stderr", &out.stderr, dir.path());
    fs::remove_file(db.join("loans.csv")).expect("rm");
    let out = fairsynth()
        .arg("audit")
        .arg(&db)
        .arg("--schema")
        .arg(&schema)
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    golden("missing_table.stderr", &out.stderr, dir.path());
}

#[test]
fn cdnow_every_purchase_has_its_customer_and_every_customer_bought() {
    let dir = tempfile::tempdir().expect("tempdir");
    let schema = dir.path().join("cdnow.yaml");
    fairsynth()
        .args([
            "inspect",
            "tests/data/relational/cdnow",
            "-q",
            "--draft-schema",
        ])
        .arg(&schema)
        .assert()
        .success();
    let report = dir.path().join("r.json");
    fairsynth()
        .args(["audit", "tests/data/relational/cdnow", "--schema"])
        .arg(&schema)
        .args(["--as-of", "1999-01-01", "-q", "--report"])
        .arg(&report)
        .assert()
        .code(0);
    let r: Value =
        serde_json::from_str(&fs::read_to_string(&report).expect("report")).expect("json");
    let fk = &r["foreign_keys"][0];
    assert_eq!(
        (fk["child"].as_str(), fk["parent"].as_str()),
        (Some("purchases"), Some("users"))
    );
    assert_eq!(fk["rows"], 881);
    assert_eq!(fk["dangling"], 0);
    assert_eq!(fk["parents"], 300);
    assert_eq!(fk["parents_without_children"], 0);
    assert_eq!(r["foreign_keys"].as_array().expect("keys").len(), 1);
}
