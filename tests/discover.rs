//! `inspect DIR`: keys, foreign keys, children counts and rules across a folder of tables, on
//! the committed samples of berka and cdnow (tests/data/relational, see its README), on small
//! folders built here (self-references, two keys to one parent), and bad input. The drafted
//! YAML is compared with `tests/golden/discover/*.yaml`; `BLESS=1 cargo test --test discover`
//! rewrites them after an intended change.

use std::collections::BTreeSet;
use std::fs;
use std::path::Path;

mod common;
use common::{fairsynth, root};

/// Runs `inspect DIR` (a path relative to the crate root) and returns the draft, the JSON
/// report and stderr.
fn inspect(dir: &str, out: &Path) -> (String, serde_json::Value, String) {
    let draft = out.join("draft.yaml");
    let report = out.join("report.json");
    let o = fairsynth()
        .args(["inspect", dir, "--draft-schema"])
        .arg(&draft)
        .arg("--report")
        .arg(&report)
        .output()
        .expect("runs");
    let stderr = String::from_utf8_lossy(&o.stderr).into_owned();
    assert!(o.status.success(), "{stderr}");
    let json: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(&report).expect("report")).expect("json");
    (fs::read_to_string(&draft).expect("draft"), json, stderr)
}

fn keys(report: &serde_json::Value) -> BTreeSet<String> {
    report["tables"]
        .as_array()
        .expect("tables")
        .iter()
        .map(|t| {
            format!(
                "{}.{}",
                t["name"].as_str().unwrap_or("?"),
                t["primary_key"].as_str().unwrap_or("-")
            )
        })
        .collect()
}

fn foreign_keys(report: &serde_json::Value) -> BTreeSet<String> {
    report["foreign_keys"]
        .as_array()
        .expect("foreign keys")
        .iter()
        .map(|f| {
            format!(
                "{}.{} -> {}.{}",
                f["child"].as_str().unwrap_or("?"),
                f["column"].as_str().unwrap_or("?"),
                f["parent"].as_str().unwrap_or("?"),
                f["parent_key"].as_str().unwrap_or("?")
            )
        })
        .collect()
}

fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| s.to_string()).collect()
}

/// The draft must equal the golden file.
fn golden(name: &str, text: &str) {
    let path = root().join("tests/golden/discover").join(name);
    if std::env::var_os("BLESS").is_some() {
        fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        fs::write(&path, text).expect("bless");
    }
    let want = fs::read_to_string(&path)
        .unwrap_or_else(|_| panic!("missing {}; run with BLESS=1", path.display()));
    assert_eq!(text, want, "{name} differs from the golden file");
}

/// Structure the relational format requires of a draft: each table has `primary_key`, a root
/// `rows:`, a child exactly one `children:`.
fn check_format(draft: &str, report: &serde_json::Value) {
    let tables: Vec<&str> = draft.split("\n  - name: ").skip(1).collect();
    assert_eq!(
        tables.len(),
        report["tables"].as_array().map_or(0, Vec::len)
    );
    for (t, j) in tables
        .iter()
        .zip(report["tables"].as_array().into_iter().flatten())
    {
        assert!(t.contains("\n    primary_key: "), "{t}");
        let children = t.matches("\n        children:").count();
        if j["root"].as_bool() == Some(true) {
            assert!(t.contains("\n    rows: "), "{t}");
            assert_eq!(children, 0, "{t}");
        } else {
            assert!(!t.contains("\n    rows: "), "{t}");
            assert_eq!(children, 1, "{t}");
        }
    }
}

#[test]
fn berka_keys_foreign_keys_counts_and_rules() {
    let tmp = tempfile::tempdir().expect("tmp");
    let (draft, report, stderr) = inspect("tests/data/relational/berka", tmp.path());
    assert_eq!(
        keys(&report),
        set(&[
            "account.account_id",
            "card.card_id",
            "client.client_id",
            "disp.disp_id",
            "district.district_id",
            "loan.loan_id",
            "order.order_id",
        ])
    );
    // Exactly the DDL's foreign keys: none missing, none false (district's small counts A5..A9
    // and loan.duration fall inside district_id's range 1..77 and are rejected).
    assert_eq!(
        foreign_keys(&report),
        set(&[
            "account.district_id -> district.district_id",
            "card.disp_id -> disp.disp_id",
            "client.district_id -> district.district_id",
            "disp.account_id -> account.account_id",
            "disp.client_id -> client.client_id",
            "loan.account_id -> account.account_id",
            "order.account_id -> account.account_id",
        ])
    );
    let rejected: BTreeSet<String> = report["rejected"]
        .as_array()
        .expect("rejected")
        .iter()
        .map(|r| {
            format!(
                "{}.{}",
                r["child"].as_str().unwrap_or("?"),
                r["column"].as_str().unwrap_or("?")
            )
        })
        .collect();
    assert!(rejected.contains("loan.duration"), "{rejected:?}");
    assert!(rejected.contains("district.A9"), "{rejected:?}");
    // One driving key per child table: disp has two parents and picks one, with the reason.
    let fks = report["foreign_keys"].as_array().expect("fks");
    let driving: Vec<&serde_json::Value> = fks.iter().filter(|f| f["driving"] == true).collect();
    assert_eq!(driving.len(), 6);
    let disp: Vec<&serde_json::Value> = fks.iter().filter(|f| f["child"] == "disp").collect();
    assert_eq!(disp.iter().filter(|f| f["driving"] == true).count(), 1);
    assert!(disp.iter().all(|f| f["driving_reason"].is_string()));
    // Children counts: every sampled account has one or two dispositions.
    let per_account = disp
        .iter()
        .find(|f| f["parent"] == "account")
        .map(|f| &f["children"])
        .expect("disp per account");
    assert_eq!(
        (per_account["min"].as_u64(), per_account["max"].as_u64()),
        (Some(1), Some(2))
    );
    let loans = fks.iter().find(|f| f["child"] == "loan").expect("loan");
    assert_eq!(loans["children"]["max"].as_u64(), Some(1));
    assert!((loans["children"]["zero_share"].as_f64().unwrap_or(0.0) - 0.84).abs() < 1e-9);
    // The parent's date comes first.
    assert!(draft.contains("# rule: loan.date >= account.date holds on all 32 rows"));
    // And through a parent without dates: a card is issued after its account is opened.
    assert!(draft.contains(
        "# rule: card.issued >= account.date holds on all 37 rows (joined by card.disp_id, then disp.account_id)"
    ));
    assert!(
        stderr.contains("rule: loan.date >= account.date"),
        "{stderr}"
    );
    check_format(&draft, &report);
    golden("berka.yaml", &draft);
}

#[test]
fn cdnow_users_and_purchases() {
    let tmp = tempfile::tempdir().expect("tmp");
    let (draft, report, _) = inspect("tests/data/relational/cdnow", tmp.path());
    assert_eq!(keys(&report), set(&["purchases.-", "users.id"]));
    assert_eq!(
        foreign_keys(&report),
        set(&["purchases.users_id -> users.id"])
    );
    // No column of purchases is unique: the draft adds a row number and says so.
    assert!(draft.contains("primary_key: \"purchases_row\""));
    assert!(draft.contains("generator: {kind: sequence, start: 1}"));
    let users = &report["foreign_keys"][0]["children"];
    assert_eq!(users["parents"].as_u64(), Some(300));
    assert_eq!(users["min"].as_u64(), Some(1));
    check_format(&draft, &report);
    golden("cdnow.yaml", &draft);
}

fn write(dir: &Path, name: &str, text: &str) {
    fs::write(dir.join(name), text).expect("write");
}

#[test]
fn self_reference_and_two_keys_to_one_parent() {
    let tmp = tempfile::tempdir().expect("tmp");
    let d = tmp.path().join("bank");
    fs::create_dir(&d).expect("mkdir");
    // 40 staff, each but the first managed by an earlier one; ids spread out (step 7).
    let mut staff = String::from("staff_id,manager_id,hired\n");
    for i in 0..40u32 {
        let manager = if i == 0 {
            String::new()
        } else {
            (1000 + 7 * (i / 3)).to_string()
        };
        staff.push_str(&format!(
            "{},{manager},2020-01-{:02}\n",
            1000 + 7 * i,
            1 + i % 28
        ));
    }
    write(&d, "staff.csv", &staff);
    let mut accounts = String::from("account_id,opened,closed\n");
    for i in 0..30u32 {
        accounts.push_str(&format!(
            "{},2019-03-{:02},2024-05-01\n",
            500 + 11 * i,
            1 + i % 28
        ));
    }
    write(&d, "accounts.csv", &accounts);
    let mut transfers = String::from("transfer_id,from_account_id,to_account_id,amount\n");
    for i in 0..90u32 {
        transfers.push_str(&format!(
            "{},{},{},{}\n",
            i + 1,
            500 + 11 * (i % 30),
            500 + 11 * ((i * 7 + 3) % 30),
            10 + i
        ));
    }
    write(&d, "transfers.csv", &transfers);
    write(&d, "notes.sql", "select 1;\n");
    let found = fairsynth::discover::discover(&d, &Default::default()).expect("discovers");
    let fks: BTreeSet<String> = found
        .foreign_keys
        .iter()
        .map(|f| format!("{}.{} -> {}", f.child, f.column, f.parent))
        .collect();
    assert_eq!(
        fks,
        set(&[
            "staff.manager_id -> staff",
            "transfers.from_account_id -> accounts",
            "transfers.to_account_id -> accounts",
        ])
    );
    let own = found
        .foreign_keys
        .iter()
        .find(|f| f.self_reference())
        .expect("self-reference");
    assert!(!own.driving && own.children.is_none() && own.nulls == 1);
    // transfers: one of its two keys to accounts drives, the other picks at random.
    let driving: Vec<&str> = found
        .foreign_keys
        .iter()
        .filter(|f| f.child == "transfers" && f.driving)
        .map(|f| f.column.as_str())
        .collect();
    assert_eq!(driving.len(), 1);
    assert_eq!(found.skipped.len(), 1);
    assert!(found.skipped[0].file.ends_with("notes.sql"));
    // Two dates of one table in order on every row.
    let rules: Vec<String> = found.rules.iter().map(|r| r.text()).collect();
    assert!(
        rules.contains(&"accounts.closed >= accounts.opened holds on all 30 rows".to_string()),
        "{rules:?}"
    );
    let draft = fairsynth::discover::render(&found);
    assert!(draft.contains("references: \"staff\""));
    assert!(draft.contains("null_share: 0.025"));
    assert!(fairsynth::discover::summary(&found).contains("skipped"));
}

#[test]
fn an_empty_folder_is_an_error() {
    let tmp = tempfile::tempdir().expect("tmp");
    write(tmp.path(), "README.md", "no tables here\n");
    fairsynth()
        .arg("inspect")
        .arg(tmp.path())
        .assert()
        .code(2)
        .stderr(predicates::str::contains("no table in the folder"))
        .stderr(predicates::str::contains("README.md"));
}

#[test]
fn an_unreadable_table_is_named() {
    let tmp = tempfile::tempdir().expect("tmp");
    write(tmp.path(), "users.csv", "id\n1\n2\n");
    write(tmp.path(), "orders.parquet", "this is not parquet");
    fairsynth()
        .arg("inspect")
        .arg(tmp.path())
        .assert()
        .code(2)
        .stderr(predicates::str::contains("cannot read the table `orders`"))
        .stderr(predicates::str::contains("orders.parquet"));
}

#[test]
fn two_files_of_one_table_are_an_error() {
    let tmp = tempfile::tempdir().expect("tmp");
    write(tmp.path(), "users.csv", "id\n1\n2\n");
    write(tmp.path(), "users.tsv", "id\n1\n2\n");
    fairsynth()
        .arg("inspect")
        .arg(tmp.path())
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "two files name the table `users`",
        ));
}

#[test]
fn a_schema_does_not_apply_to_a_folder() {
    fairsynth()
        .args([
            "inspect",
            "tests/data/relational/cdnow",
            "--schema",
            "tests/data/relational/README.md",
        ])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("is a folder of tables"));
}

#[test]
fn parquet_and_csv_tables_join() {
    use std::sync::Arc;
    let tmp = tempfile::tempdir().expect("tmp");
    // customers as Parquet (64-bit integers and dates), orders as CSV.
    let ids: Vec<i64> = (0..50).map(|i| 100 + 3 * i).collect();
    let since: Vec<i32> = (0..50).map(|i| 18_000 + i).collect();
    let batch = arrow_array::RecordBatch::try_from_iter([
        (
            "customer_id",
            Arc::new(arrow_array::Int64Array::from(ids.clone())) as arrow_array::ArrayRef,
        ),
        (
            "since",
            Arc::new(arrow_array::Date32Array::from(since)) as arrow_array::ArrayRef,
        ),
    ])
    .expect("batch");
    let f = fs::File::create(tmp.path().join("customers.parquet")).expect("create");
    let mut w = parquet::arrow::ArrowWriter::try_new(f, batch.schema(), None).expect("writer");
    w.write(&batch).expect("write");
    w.close().expect("close");
    let mut orders = String::from("order_id,customer_id,ordered\n");
    for i in 0..120i64 {
        // Customer k (k < 40) orders from 2019-06-15 on, after every `since` (up to 2019-06-02).
        let k = (i * 7) % 40;
        let day = chrono::NaiveDate::from_ymd_opt(2019, 6, 15).expect("date")
            + chrono::Days::new(i as u64);
        orders.push_str(&format!("{},{},{}\n", i + 1, ids[k as usize], day));
    }
    write(tmp.path(), "orders.csv", &orders);
    let found = fairsynth::discover::discover(tmp.path(), &Default::default()).expect("discovers");
    let fk = &found.foreign_keys;
    assert_eq!(fk.len(), 1, "{fk:?}");
    assert_eq!(
        (
            fk[0].child.as_str(),
            fk[0].parent.as_str(),
            fk[0].key_type.as_str()
        ),
        ("orders", "customers", "int")
    );
    let counts = fk[0].children.as_ref().expect("counts");
    assert_eq!((counts.parents, counts.min), (50, 0));
    assert!((counts.zero_share - 0.2).abs() < 1e-9);
    let rules: Vec<String> = found.rules.iter().map(|r| r.text()).collect();
    assert!(
        rules
            .iter()
            .any(|r| r.starts_with("orders.ordered >= customers.since")),
        "{rules:?}"
    );
}

#[test]
fn a_nullable_key_written_as_float_is_found() {
    // pandas writes a nullable id column as `12.0` with blanks; amounts with fractions are no key.
    let tmp = tempfile::tempdir().expect("tmp");
    let mut shops = String::from("shop_id,name\n");
    for i in 0..20 {
        shops.push_str(&format!("{},shop {i}\n", 10 + 5 * i));
    }
    write(tmp.path(), "shops.csv", &shops);
    let mut visits = String::from("visit_id,shop_id,spent\n");
    for i in 0..100 {
        let shop = if i % 10 == 0 {
            String::new()
        } else {
            format!("{}.0", 10 + 5 * (i % 20))
        };
        visits.push_str(&format!("{},{shop},{}.5\n", i + 1, i));
    }
    write(tmp.path(), "visits.csv", &visits);
    let found = fairsynth::discover::discover(tmp.path(), &Default::default()).expect("discovers");
    assert_eq!(found.foreign_keys.len(), 1, "{:?}", found.foreign_keys);
    let fk = &found.foreign_keys[0];
    assert_eq!(
        (fk.column.as_str(), fk.parent.as_str()),
        ("shop_id", "shops")
    );
    assert_eq!((fk.key_type.as_str(), fk.nulls), ("int", 10));
    let draft = fairsynth::discover::render(&found);
    let column = draft
        .split("- name: \"shop_id\"")
        .nth(2)
        .expect("the visits column");
    assert!(column.starts_with("\n        type: int\n"), "{column}");
    assert!(draft.contains("null_share: 0.1"), "{draft}");
}

#[test]
fn a_one_to_one_extension_points_at_the_table_it_names() {
    // Both tables are keyed by the same `client_id` values, each included in the other: only
    // `client_detail` → `client` (the name names it), not back.
    let tmp = tempfile::tempdir().expect("tmp");
    let mut client = String::from("client_id,segment\n");
    let mut detail = String::from("client_id,score\n");
    for i in 0..30 {
        client.push_str(&format!("{},{}\n", 7 + 13 * i, ["a", "b"][i % 2]));
        detail.push_str(&format!("{},{}\n", 7 + 13 * i, i % 7));
    }
    write(tmp.path(), "client.csv", &client);
    write(tmp.path(), "client_detail.csv", &detail);
    let found = fairsynth::discover::discover(tmp.path(), &Default::default()).expect("discovers");
    let fks: Vec<String> = found
        .foreign_keys
        .iter()
        .map(|f| format!("{}.{} -> {}", f.child, f.column, f.parent))
        .collect();
    assert_eq!(fks, ["client_detail.client_id -> client"]);
    let counts = found.foreign_keys[0].children.as_ref().expect("counts");
    assert_eq!((counts.min, counts.max), (1, 1));
    assert!(found
        .rejected
        .iter()
        .any(|r| r.child == "client" && r.parent == "client_detail"));
}

/// The drafts of linked folders are schemas `schema check` accepts (the route inspect -> draft
/// -> deidentify/synth starts from a valid schema).
#[test]
fn drafted_linked_schemas_decode() {
    for name in ["berka", "cdnow"] {
        let path = format!("tests/golden/discover/{name}.yaml");
        let out = fairsynth()
            .args(["schema", "check", &path])
            .output()
            .expect("runs");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{path}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(stdout.contains("linked tables"), "{stdout}");
    }
}

/// A lookup table many rows point at, with nothing about a person, is proposed as reference
/// data in a comment (copying rows is for a person to decide); uncommented, `fit` copies it and
/// `sample` writes it as read. The table of people is not proposed.
#[test]
fn a_lookup_table_is_proposed_as_reference_data_and_fit_copies_it_when_accepted() {
    let tmp = tempfile::tempdir().expect("tmp");
    let d = tmp.path().join("shop");
    fs::create_dir(&d).expect("mkdir");
    write(
        &d,
        "region.csv",
        "region_id,region_name,population\n1,North,120000\n2,South,98000\n3,East,45500\n4,West,61000\n",
    );
    let mut customers = String::from("customer_id,region_id,segment,spend\n");
    for i in 0..200u32 {
        customers.push_str(&format!(
            "{},{},{},{}.{:02}\n",
            1000 + i,
            1 + (i * 7) % 4,
            ["basic", "plus"][(i % 3 == 0) as usize],
            20 + (i * 37) % 180,
            (i * 13) % 100
        ));
    }
    write(&d, "customer.csv", &customers);
    let (draft, _, _) = inspect(d.to_str().expect("path"), tmp.path());
    let proposal = "    # reference: true            # proposed?";
    assert_eq!(draft.matches(proposal).count(), 1, "{draft}");
    // It sits in the entry of `region`: after its name, before the next table's.
    let start = draft.find("  - name: \"region\"").expect("region");
    let end = draft[start + 1..]
        .find("  - name: ")
        .map_or(draft.len(), |e| start + 1 + e);
    assert!(
        draft[start..end].contains(proposal),
        "the proposal belongs to region:\n{draft}"
    );
    let accepted = draft.replacen("    # reference: true", "    reference: true", 1);
    let schema = tmp.path().join("accepted.yaml");
    fs::write(&schema, accepted).expect("write");
    let model = tmp.path().join("model.json");
    fairsynth()
        .arg("fit")
        .arg(&d)
        .arg("--schema")
        .arg(&schema)
        .args(["--quiet", "-o"])
        .arg(&model)
        .assert()
        .success();
    let out = tmp.path().join("out");
    fairsynth()
        .arg("sample")
        .arg(&model)
        .args(["--seed", "1", "--quiet", "-o"])
        .arg(&out)
        .assert()
        .success();
    let regions = common::read_parquet(&out.join("region.parquet"));
    assert_eq!(regions.num_rows(), 4);
    let names = regions.column_by_name("region_name").expect("names");
    let names = arrow_cast_strings(names.as_ref());
    assert_eq!(names, ["North", "South", "East", "West"]);
}

/// Text values of a Utf8 or dictionary column.
fn arrow_cast_strings(a: &dyn arrow_array::Array) -> Vec<String> {
    use arrow_array::cast::AsArray;
    use arrow_array::types::Int32Type;
    use arrow_array::Array;
    match a.data_type() {
        arrow_schema::DataType::Dictionary(_, _) => {
            let d = a.as_dictionary::<Int32Type>();
            let v = d.values().as_string::<i32>();
            d.keys()
                .values()
                .iter()
                .map(|k| v.value(*k as usize).to_string())
                .collect()
        }
        _ => {
            let s = a.as_string::<i32>();
            (0..s.len()).map(|i| s.value(i).to_string()).collect()
        }
    }
}
