//! Reference tables (`reference: true`): `fit` stores public lookup data whole and `sample`
//! copies it, so a district keeps every figure instead of losing them to `--min-count`, the
//! clients dealt to each district follow its real count, and `--scale` changes the people,
//! not the lookup; `evaluate` gives it no detection or copy figures. The schema refuses a
//! reference table that hangs from a parent or describes people.

mod common;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use arrow_array::cast::AsArray;
use arrow_array::types::Int64Type;
use arrow_array::{Array, RecordBatch};
use common::{fairsynth, read_parquet, root};

/// The committed berka schema with `district` declared as reference data.
fn reference_schema(dir: &Path) -> PathBuf {
    let text = std::fs::read_to_string(root().join("tests/data/relational/berka_linked.yaml"))
        .expect("schema");
    let marked = text.replacen(
        "  - name: district\n    rows: 77\n",
        "  - name: district\n    rows: 77\n    reference: true\n",
        1,
    );
    assert_ne!(marked, text, "the district entry moved");
    let path = dir.join("berka_reference.yaml");
    std::fs::write(&path, marked).expect("write");
    path
}

/// A value as text, numbers in one form (`100.0` and `100` alike).
fn norm(v: &str) -> String {
    v.parse::<f64>()
        .map_or_else(|_| v.to_string(), |x| format!("{x}"))
}

/// Every value of column `name` of a sampled table (nulls as empty).
fn texts(b: &RecordBatch, name: &str) -> Vec<String> {
    use arrow_array::types::{Float64Type, Int32Type};
    use arrow_schema::DataType;
    let a = b
        .column_by_name(name)
        .unwrap_or_else(|| panic!("no column {name}"));
    (0..a.len())
        .map(|i| {
            if a.is_null(i) {
                return String::new();
            }
            norm(&match a.data_type() {
                DataType::Int64 => a.as_primitive::<Int64Type>().value(i).to_string(),
                DataType::Int32 => a.as_primitive::<Int32Type>().value(i).to_string(),
                DataType::Float64 => a.as_primitive::<Float64Type>().value(i).to_string(),
                DataType::Utf8 => a.as_string::<i32>().value(i).to_string(),
                DataType::Dictionary(_, _) => {
                    let d = a.as_dictionary::<Int32Type>();
                    let k = d.keys().value(i) as usize;
                    d.values().as_string::<i32>().value(k).to_string()
                }
                other => panic!("{name}: type {other}"),
            })
        })
        .collect()
}

/// Every value of column `name` of a committed CSV file (no quoting in these files).
fn csv_texts(path: &Path, name: &str) -> Vec<String> {
    let text = std::fs::read_to_string(path).expect("csv");
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().expect("header").split(',').collect();
    let at = header
        .iter()
        .position(|h| *h == name)
        .unwrap_or_else(|| panic!("no column {name}"));
    lines
        .map(|l| norm(l.split(',').nth(at).unwrap_or("")))
        .collect()
}

/// Clients per district key.
fn per_district(clients: &[String]) -> HashMap<String, usize> {
    let mut n = HashMap::new();
    for k in clients {
        *n.entry(k.clone()).or_insert(0) += 1;
    }
    n
}

fn fit_and_sample(schema: &Path, dir: &Path, scale: &str, min_count: &str) -> PathBuf {
    let model = dir.join("model.json");
    fairsynth()
        .arg("fit")
        .arg(root().join("tests/data/relational/berka"))
        .arg("--schema")
        .arg(schema)
        .args(["--min-count", min_count, "--quiet", "-o"])
        .arg(&model)
        .assert()
        .success();
    let out = dir.join(format!("out-{scale}-{min_count}"));
    fairsynth()
        .arg("sample")
        .arg(&model)
        .args(["--seed", "4", "--scale", scale, "--quiet", "-o"])
        .arg(&out)
        .assert()
        .success();
    out
}

#[test]
fn a_reference_table_is_copied_and_its_counts_deal_the_clients() {
    let dir = tempfile::tempdir().expect("tmp");
    let schema = reference_schema(dir.path());
    let out = fit_and_sample(&schema, dir.path(), "1", "1");
    let model: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("model.json")).expect("model"))
            .expect("json");
    let district = model["tables"]
        .as_array()
        .expect("tables")
        .iter()
        .find(|t| t["name"] == "district")
        .expect("district");
    assert!(
        district["model"].is_null(),
        "a reference table is not modelled"
    );
    assert_eq!(
        district["reference"][0]["name"], "A2",
        "stored whole, from its first own column"
    );

    // Every district row as read, in order (the keys are numbered 1..77 as in the file).
    let real = root().join("tests/data/relational/berka/district.csv");
    let got = read_parquet(&out.join("district.parquet"));
    assert_eq!(got.num_rows(), 77);
    for c in ["district_id", "A2", "A3", "A4", "A10", "A12", "A16"] {
        assert_eq!(texts(&got, c), csv_texts(&real, c), "district.{c}");
    }

    // Clients are dealt to districts by the real counts: at scale 1, exactly.
    let real_clients = root().join("tests/data/relational/berka/client.csv");
    let real = per_district(&csv_texts(&real_clients, "district_id"));
    let sampled = read_parquet(&out.join("client.parquet"));
    assert_eq!(per_district(&texts(&sampled, "district_id")), real);

    // With `--min-count 10` a count of fewer clients is a figure about too few people: those
    // districts share the mean of their counts, the others keep theirs.
    let out = fit_and_sample(&schema, dir.path(), "1", "10");
    let got = per_district(&texts(
        &read_parquet(&out.join("client.parquet")),
        "district_id",
    ));
    let small: Vec<usize> = real.values().copied().filter(|n| *n < 10).collect();
    let mean = small.iter().sum::<usize>() as f64 / small.len() as f64;
    for (k, n) in &real {
        let g = got.get(k).copied().unwrap_or(0);
        if *n >= 10 {
            assert_eq!(g, *n, "district {k}");
        } else {
            assert!(
                g == mean.floor() as usize || g == mean.ceil() as usize,
                "district {k}: {g} clients, pooled mean {mean}"
            );
        }
    }
}

#[test]
fn the_scale_changes_the_people_not_the_lookup() {
    let dir = tempfile::tempdir().expect("tmp");
    let schema = reference_schema(dir.path());
    let out = fit_and_sample(&schema, dir.path(), "2", "1");
    let districts = read_parquet(&out.join("district.parquet"));
    assert_eq!(districts.num_rows(), 77);
    let clients = read_parquet(&out.join("client.parquet"));
    assert_eq!(clients.num_rows(), 490);
    // Every client names a district of the copy; the busiest district keeps the most.
    let keys: Vec<i64> = districts
        .column_by_name("district_id")
        .expect("key")
        .as_primitive::<Int64Type>()
        .values()
        .to_vec();
    let n = per_district(&texts(&clients, "district_id"));
    assert!(n.keys().all(|k| keys.contains(&k.parse().expect("int"))));
    let real = per_district(&csv_texts(
        &root().join("tests/data/relational/berka/client.csv"),
        "district_id",
    ));
    let busiest = real.iter().max_by_key(|(k, v)| (**v, *k)).expect("some").0;
    assert_eq!(n[busiest], 2 * real[busiest]);
}

#[test]
fn evaluate_names_each_gates_table_and_gives_a_reference_table_no_copy_figures() {
    let dir = tempfile::tempdir().expect("tmp");
    let schema = reference_schema(dir.path());
    let out = fit_and_sample(&schema, dir.path(), "1", "1");
    let report = dir.path().join("r.json");
    let run = fairsynth()
        .arg("evaluate")
        .arg("--real")
        .arg(root().join("tests/data/relational/berka"))
        .arg("--synthetic")
        .arg(&out)
        .arg("--schema")
        .arg(&schema)
        .arg("--report")
        .arg(&report)
        .args(["--threshold", "max_detection_auc=0.9"])
        .output()
        .expect("runs");
    let err = String::from_utf8_lossy(&run.stderr).into_owned();
    // The copied lookup has no detection or copy figure (an AUC far from 0.5 and 100% copies
    // would only measure the copy), and says why.
    assert!(
        err.contains("district: 77 real rows, 77 synthetic")
            && err.contains("reference table, copied whole by design"),
        "{err}"
    );
    assert!(!err.contains("detection district:"), "{err}");
    assert!(!err.contains("privacy district:"), "{err}");
    assert!(err.contains("detection client:"), "{err}");
    // Each per-table gate line names its table.
    for line in err.lines().filter(|l| l.contains("gate max_detection_auc")) {
        assert!(line.contains(": table `"), "{line}");
    }
    assert!(
        err.contains("gate max_detection_auc: skipped (-): table `district`: a reference table"),
        "{err}"
    );
    let r: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&report).expect("report")).expect("json");
    assert!(r["detection"]
        .as_array()
        .expect("detection")
        .iter()
        .all(|d| d["table"] != "district"));
    assert!(r["privacy"]
        .as_array()
        .expect("privacy")
        .iter()
        .all(|d| d["table"] != "district"));
}

#[test]
fn a_reference_table_that_hangs_from_a_parent_or_describes_people_is_refused() {
    let dir = tempfile::tempdir().expect("tmp");
    let schema = dir.path().join("bad.yaml");
    std::fs::write(
        &schema,
        r#"version: 1
name: shop
tables:
  - name: customers
    rows: 10
    reference: true
    primary_key: id
    columns:
      - {name: id, type: int}
      - {name: sex, type: category, role: protected, levels: [f, m]}
  - name: orders
    reference: true
    primary_key: oid
    columns:
      - {name: oid, type: int}
      - name: id
        type: int
        references: customers
        children: {shares: {"1": 1}}
"#,
    )
    .expect("write");
    let out = fairsynth()
        .args(["schema", "check"])
        .arg(&schema)
        .assert()
        .code(2);
    let err = String::from_utf8_lossy(&out.get_output().stderr).to_string();
    assert!(
        err.contains(
            "table `customers` is `reference: true` but its column `sex` has role protected"
        ),
        "{err}"
    );
    assert!(
        err.contains("table `orders` is `reference: true` but hangs from a parent"),
        "{err}"
    );
}

/// The accounts of a district are people with their own opening dates, not a family in
/// time: under a reference table they get no order column (no gaps from the district's
/// previous account) and no columns from the account before; a real family (an account's
/// orders) keeps them.
#[test]
fn children_of_a_reference_table_are_not_a_sequence_in_time() {
    let dir = tempfile::tempdir().expect("tmp");
    let schema = reference_schema(dir.path());
    fit_and_sample(&schema, dir.path(), "1", "10");
    let text = std::fs::read_to_string(dir.path().join("model.json")).expect("model");
    let model: serde_json::Value = serde_json::from_str(&text).expect("json");
    let table = |name: &str| {
        model["tables"]
            .as_array()
            .expect("tables")
            .iter()
            .find(|t| t["name"] == name)
            .cloned()
            .unwrap_or_else(|| panic!("no table {name}"))
    };
    for name in ["account", "client"] {
        let t = table(name);
        assert!(t["order"].is_null(), "{name}: {}", t["order"]);
        assert!(t.get("lags").is_none(), "{name}: {:?}", t.get("lags"));
    }
    let order = table("order");
    assert!(
        order["lags"].as_array().is_some_and(|l| !l.is_empty()),
        "an account's orders are given the order before"
    );
}
