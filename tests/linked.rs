//! Linked tables from a schema alone (`synth` of a schema with `tables:`): every key resolves,
//! every declared rule holds on every row, children per parent follow the declared counts, the
//! files are the same for any thread count, and the folder is written all or nothing.

mod common;

use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::path::Path;

use arrow_array::cast::AsArray;
use arrow_array::types::{Date32Type, Float64Type, Int32Type, Int64Type, TimestampMicrosecondType};
use arrow_array::{Array, ArrayRef, RecordBatch};
use common::{fairsynth, root};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use proptest::prelude::*;

/// A table read back whole.
fn read(path: &Path) -> RecordBatch {
    common::read_parquet(path)
}

fn col<'a>(b: &'a RecordBatch, name: &str) -> &'a ArrayRef {
    b.column_by_name(name)
        .unwrap_or_else(|| panic!("no column {name}"))
}

fn ints(b: &RecordBatch, name: &str) -> Vec<Option<i64>> {
    let a = col(b, name).as_primitive::<Int64Type>();
    (0..a.len())
        .map(|i| (!a.is_null(i)).then(|| a.value(i)))
        .collect()
}

fn floats(b: &RecordBatch, name: &str) -> Vec<Option<f64>> {
    let a = col(b, name).as_primitive::<Float64Type>();
    (0..a.len())
        .map(|i| (!a.is_null(i)).then(|| a.value(i)))
        .collect()
}

fn stamps(b: &RecordBatch, name: &str) -> Vec<Option<i64>> {
    let a = col(b, name).as_primitive::<TimestampMicrosecondType>();
    (0..a.len())
        .map(|i| (!a.is_null(i)).then(|| a.value(i)))
        .collect()
}

fn texts(b: &RecordBatch, name: &str) -> Vec<Option<String>> {
    let a = col(b, name);
    match a.data_type() {
        arrow_schema::DataType::Dictionary(..) => {
            let d = a.as_dictionary::<Int32Type>();
            let v = d.values().as_string::<i32>();
            (0..d.len())
                .map(|i| (!d.is_null(i)).then(|| v.value(d.keys().value(i) as usize).to_string()))
                .collect()
        }
        _ => {
            let s = a.as_string::<i32>();
            (0..s.len())
                .map(|i| (!s.is_null(i)).then(|| s.value(i).to_string()))
                .collect()
        }
    }
}

const DAY: i64 = 86_400_000_000;

/// `synth` of the schema file `schema` into the folder `out`, which it returns.
fn synth_folder(schema: &Path, out: &Path) -> std::path::PathBuf {
    fairsynth()
        .args(["synth", "-q", "--schema"])
        .arg(schema)
        .arg("-o")
        .arg(out)
        .assert()
        .success();
    out.to_path_buf()
}

fn synth_shop(dir: &Path, threads: &str) {
    fairsynth()
        .args([
            "synth",
            "--schema",
            "schemas/shop.yaml",
            "--scale",
            "0.1",
            "-q",
        ])
        .args(["--threads", threads, "-o"])
        .arg(dir)
        .assert()
        .success();
}

#[test]
fn shop_tables_join_and_keep_every_rule() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("shop");
    synth_shop(&out, "2");
    let t = |name: &str| read(&out.join(format!("{name}.parquet")));
    let (customers, products, orders, lines) =
        (t("customers"), t("products"), t("orders"), t("order_lines"));
    let (campaigns, bridge, contacts) = (t("campaigns"), t("campaign_products"), t("contacts"));
    assert_eq!(customers.num_rows(), 2000, "--scale 0.1 of 20,000");
    assert_eq!(products.num_rows(), 80);
    assert_eq!(campaigns.num_rows(), 6);

    // Keys: unique primary keys, every foreign key resolves.
    let cust_ids: Vec<i64> = ints(&customers, "customer_id")
        .into_iter()
        .flatten()
        .collect();
    let cust: HashMap<i64, usize> = cust_ids.iter().enumerate().map(|(i, k)| (*k, i)).collect();
    assert_eq!(cust.len(), customers.num_rows());
    let order_ids: Vec<i64> = ints(&orders, "order_id").into_iter().flatten().collect();
    let order_at: HashMap<i64, usize> =
        order_ids.iter().enumerate().map(|(i, k)| (*k, i)).collect();
    assert_eq!(order_at.len(), orders.num_rows(), "order ids are unique");
    let prod: HashMap<String, usize> = texts(&products, "product_id")
        .into_iter()
        .enumerate()
        .map(|(i, k)| (k.expect("key"), i))
        .collect();
    let order_cust = ints(&orders, "customer_id");
    assert!(order_cust
        .iter()
        .all(|c| c.is_some_and(|c| cust.contains_key(&c))));
    let line_order = ints(&lines, "order_id");
    assert!(line_order
        .iter()
        .all(|o| o.is_some_and(|o| order_at.contains_key(&o))));
    let line_prod = texts(&lines, "product_id");
    assert!(line_prod
        .iter()
        .all(|p| p.as_ref().is_some_and(|p| prod.contains_key(p))));
    let referred = ints(&customers, "referred_by");
    let with_referrer = referred.iter().flatten().count();
    assert!(
        with_referrer > 150 && with_referrer < 450,
        "about 15 % referred: {with_referrer}"
    );
    for (i, r) in referred.iter().enumerate() {
        if let Some(r) = r {
            assert!(
                cust[r] < i,
                "a referrer signed up before the customer it referred"
            );
        }
    }
    let camp: HashSet<i64> = ints(&campaigns, "campaign_id")
        .into_iter()
        .flatten()
        .collect();
    assert!(ints(&contacts, "campaign_id")
        .iter()
        .all(|c| c.is_some_and(|c| camp.contains(&c))));
    assert!(ints(&bridge, "campaign_id")
        .iter()
        .all(|c| c.is_some_and(|c| camp.contains(&c))));

    // Aggregates: counts and sums.
    let mut n_orders = vec![0i64; customers.num_rows()];
    for c in order_cust.iter().flatten() {
        n_orders[cust[c]] += 1;
    }
    let placed: Vec<i64> = ints(&customers, "orders_placed")
        .into_iter()
        .flatten()
        .collect();
    assert_eq!(placed, n_orders, "orders_placed = count(orders)");
    let mut line_sum = vec![0.0f64; orders.num_rows()];
    let mut seen_pairs = HashSet::new();
    let q = ints(&lines, "quantity");
    let price = floats(&lines, "unit_price");
    let disc = floats(&lines, "discount");
    let total = floats(&lines, "line_total");
    let list = floats(&products, "list_price");
    for i in 0..lines.num_rows() {
        let o = order_at[&line_order[i].expect("key")];
        let p = line_prod[i].clone().expect("key");
        assert!(
            seen_pairs.insert((o, p.clone())),
            "a product once per order"
        );
        assert_eq!(
            price[i], list[prod[&p]],
            "unit price = the product's list price"
        );
        let (q, pr, d) = (
            q[i].expect("q") as f64,
            price[i].expect("p"),
            disc[i].expect("d"),
        );
        let want = ((q * pr * (1.0 - d) * 1e8).round() / 1e6).round() / 100.0;
        assert!(
            (total[i].expect("t") - want).abs() < 1e-9,
            "line {i}: {:?} vs {want}",
            total[i]
        );
        line_sum[o] += total[i].expect("t");
    }
    let order_total = floats(&orders, "total");
    for (o, s) in line_sum.iter().enumerate() {
        assert!(
            (order_total[o].expect("total") - s).abs() < 0.005,
            "order total = sum of lines"
        );
        assert!(*s > 0.0, "every order has a line");
    }

    // Dates and conditional nulls.
    let signed = stamps(&customers, "signed_up_at");
    let birth = col(&customers, "birth_date")
        .as_primitive::<Date32Type>()
        .clone();
    let ordered = stamps(&orders, "ordered_at");
    let shipped = stamps(&orders, "shipped_at");
    let delivered = stamps(&orders, "delivered_at");
    let cancelled = stamps(&orders, "cancelled_at");
    let status = texts(&orders, "status");
    for (i, s) in signed.iter().enumerate() {
        let adult = chrono::NaiveDate::from_num_days_from_ce_opt(birth.value(i) + 719_163)
            .and_then(|d| d.checked_add_months(chrono::Months::new(18 * 12)))
            .expect("date");
        let signed_day = chrono::DateTime::from_timestamp_micros(s.expect("s"))
            .expect("ts")
            .date_naive();
        assert!(signed_day >= adult, "nobody signs up as a minor");
    }
    for i in 0..orders.num_rows() {
        let c = cust[&order_cust[i].expect("key")];
        let at = ordered[i].expect("ordered");
        assert!(at >= signed[c].expect("s"), "ordered after signing up");
        let st = status[i].as_deref().expect("status");
        assert_eq!(
            shipped[i].is_some(),
            st != "cancelled",
            "shipped unless cancelled"
        );
        assert_eq!(cancelled[i].is_some(), st == "cancelled");
        assert_eq!(
            delivered[i].is_some(),
            st == "delivered" || st == "returned"
        );
        if let Some(s) = shipped[i] {
            assert!(s >= at + 2 * 3_600_000_000 && s <= at + 72 * 3_600_000_000);
        }
        if let (Some(s), Some(d)) = (shipped[i], delivered[i]) {
            assert!(
                d >= s + DAY && d <= s + 5 * DAY,
                "delivered 1 to 5 days after shipping"
            );
        }
    }
    // Consent at the person propagates: nobody without consent is contacted.
    let consent = col(&customers, "consent_marketing").as_boolean().clone();
    for c in ints(&contacts, "customer_id").iter().flatten() {
        assert!(consent.value(cust[c]), "contact without consent");
    }
    // The self-describing folder: provenance in the footer and the Arrow schema metadata.
    let file = File::open(out.join("order_lines.parquet")).expect("open");
    let builder = ParquetRecordBatchReaderBuilder::try_new(file).expect("parquet");
    let prov = builder
        .schema()
        .metadata()
        .get("fairsynth")
        .expect("provenance")
        .clone();
    let v: serde_json::Value = serde_json::from_str(&prov).expect("json");
    assert_eq!(v["table"], "order_lines");
    assert_eq!(v["primary_key"], "line_id");
    assert_eq!(v["foreign_keys"][0]["references"]["table"], "orders");
    assert_eq!(v["foreign_keys"][1]["references"]["column"], "product_id");
}

#[test]
fn linked_files_are_the_same_for_any_thread_count() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    synth_shop(&a, "1");
    synth_shop(&b, "3");
    let mut names: Vec<_> = std::fs::read_dir(&a)
        .expect("dir")
        .map(|e| e.expect("entry").file_name())
        .collect();
    names.sort();
    assert_eq!(names.len(), 7);
    for n in names {
        let (x, y) = (
            std::fs::read(a.join(&n)).expect("a"),
            std::fs::read(b.join(&n)).expect("b"),
        );
        assert!(x == y, "{n:?} differs between 1 and 3 threads");
    }
}

#[test]
fn the_folder_is_written_all_or_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("shop");
    std::fs::create_dir_all(out.join("orders.parquet")).expect("a folder where a file goes");
    std::fs::write(out.join("notes.txt"), "mine").expect("write");
    fairsynth()
        .args([
            "synth",
            "--schema",
            "schemas/shop.yaml",
            "--scale",
            "0.1",
            "-q",
            "-o",
        ])
        .arg(&out)
        .assert()
        .failure();
    let mut left: Vec<String> = std::fs::read_dir(&out)
        .expect("dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    left.sort();
    assert_eq!(
        left,
        ["notes.txt", "orders.parquet"],
        "nothing written, nothing removed"
    );
    // A file where the folder goes, and --rows on linked tables, are refused.
    let file = dir.path().join("plain.parquet");
    std::fs::write(&file, "x").expect("write");
    fairsynth()
        .args(["synth", "--schema", "schemas/shop.yaml", "-q", "-o"])
        .arg(&file)
        .assert()
        .code(2)
        .stderr(predicates::str::contains("is not a folder"));
    fairsynth()
        .args([
            "synth",
            "--schema",
            "schemas/shop.yaml",
            "--rows",
            "10",
            "-o",
        ])
        .arg(dir.path().join("x"))
        .assert()
        .code(2)
        .stderr(predicates::str::contains("use --scale"));
    assert!(!dir.path().join("x").exists());
    // Commands that take one table say so for linked tables (given a table that exists: a
    // missing one is named first).
    let table = dir.path().join("in.csv");
    std::fs::write(&table, "a,b\n1,2\n").expect("write");
    fairsynth()
        .arg("fit")
        .arg(&table)
        .args(["--schema", "schemas/shop.yaml", "-o"])
        .arg(dir.path().join("m.json"))
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "linked tables; this command takes one table",
        ));
}

/// At a scale where a parent has more children than there are distinct rows to pick, the
/// command says which key and table, instead of writing nulls into a key that has none.
#[test]
fn a_scale_too_small_for_distinct_picks_is_refused_clearly() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("shop");
    fairsynth()
        .args([
            "synth",
            "--schema",
            "schemas/shop.yaml",
            "--scale",
            "0.01",
            "-q",
            "-o",
        ])
        .arg(&out)
        .assert()
        .code(1)
        .stderr(predicates::str::contains(
            "cannot synthesise `campaign_products.product_id`: a parent row has more \
             `campaign_products` rows than `products` has rows (8)",
        ))
        .stderr(predicates::str::contains(
            "raise `rows` of `products` or --scale",
        ));
    assert!(!out.exists(), "nothing written");
}

#[test]
fn keys_the_generator_cannot_make_yet_are_refused_clearly() {
    let dir = tempfile::tempdir().expect("tempdir");
    let schema = dir.path().join("returns.yaml");
    std::fs::write(
        &schema,
        r#"version: 1
name: shop
tables:
  - name: customers
    rows: 10
    primary_key: id
    columns:
      - {name: id, type: int, generator: {kind: sequence}}
  - name: orders
    primary_key: id
    columns:
      - {name: id, type: int, generator: {kind: sequence}}
      - name: customer_id
        type: int
        references: customers
        children: {distribution: {kind: poisson, lambda: 2}, max: 10}
  - name: returns
    rows: 5
    primary_key: id
    columns:
      - {name: id, type: int, generator: {kind: sequence}}
      - {name: order_id, type: int, references: orders}
"#,
    )
    .expect("write");
    let check = fairsynth()
        .args(["schema", "check"])
        .arg(&schema)
        .output()
        .expect("runs");
    let text = String::from_utf8_lossy(&check.stdout);
    assert!(check.status.success());
    assert!(
        text.contains("not synthesisable: cannot synthesise `returns.order_id`"),
        "{text}"
    );
    fairsynth()
        .args(["synth", "-q", "--schema"])
        .arg(&schema)
        .arg("-o")
        .arg(dir.path().join("out"))
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "it picks a row of `orders`, whose rows are drawn per parent",
        ));
    assert!(!dir.path().join("out").exists(), "no folder left behind");
}

/// A picked row's column computed from another picked row (products priced by their supplier's
/// markup, order lines priced by their product) holds the values written to the files.
#[test]
fn picked_columns_read_through_two_picks_agree_with_the_files() {
    let dir = tempfile::tempdir().expect("tempdir");
    let schema = dir.path().join("chain.yaml");
    std::fs::write(
        &schema,
        r#"version: 1
name: chain
tables:
  - name: suppliers
    rows: 50
    primary_key: id
    columns:
      - {name: id, type: int, generator: {kind: sequence}}
      - {name: markup, type: float, distribution: {kind: uniform, low: 1, high: 2}, round: 2}
  - name: products
    rows: 300
    primary_key: id
    columns:
      - {name: id, type: int, generator: {kind: sequence}}
      - {name: supplier_id, type: int, references: suppliers}
      - {name: cost, type: float, distribution: {kind: uniform, low: 5, high: 50}, round: 2}
      - {name: price, type: float, generator: {kind: formula, expr: cost * suppliers.markup, round: 2}}
  - name: orders
    rows: 2000
    primary_key: id
    columns:
      - {name: id, type: int, generator: {kind: sequence}}
  - name: lines
    primary_key: id
    columns:
      - {name: id, type: int, generator: {kind: sequence}}
      - name: order_id
        type: int
        references: orders
        children: {shares: {"1": 0.5, "3": 0.5}}
      - {name: product_id, type: int, references: products}
      - {name: unit_price, type: float, generator: {kind: formula, expr: products.price}}
"#,
    )
    .expect("write");
    let out = synth_folder(&schema, &dir.path().join("out"));
    let products = read(&out.join("products.parquet"));
    let price: HashMap<i64, f64> = ints(&products, "id")
        .into_iter()
        .flatten()
        .zip(floats(&products, "price").into_iter().flatten())
        .collect();
    assert_eq!(price.len(), 300, "every product has a price");
    let lines = read(&out.join("lines.parquet"));
    let (pid, unit) = (ints(&lines, "product_id"), floats(&lines, "unit_price"));
    assert!(lines.num_rows() > 3000);
    for (p, u) in pid.iter().zip(&unit) {
        let p = p.expect("product");
        assert_eq!(*u, Some(price[&p]), "line priced as its product {p}");
    }
}

/// One-sample Kolmogorov-Smirnov statistic of integer counts against a declared CDF.
fn ks(counts: &[u64], cdf: &dyn Fn(u64) -> f64) -> f64 {
    let n = counts.len() as f64;
    let max = counts.iter().copied().max().unwrap_or(0);
    let mut hist = vec![0u64; max as usize + 1];
    for &c in counts {
        hist[c as usize] += 1;
    }
    let (mut acc, mut d) = (0u64, 0f64);
    for (k, h) in hist.iter().enumerate() {
        acc += h;
        d = d.max((acc as f64 / n - cdf(k as u64)).abs());
    }
    d
}

#[test]
fn children_per_parent_follow_the_declared_counts() {
    let dir = tempfile::tempdir().expect("tempdir");
    let schema = dir.path().join("counts.yaml");
    std::fs::write(
        &schema,
        r#"version: 1
name: counts
seed: 7
tables:
  - name: parents
    rows: 30000
    primary_key: id
    columns:
      - {name: id, type: int, generator: {kind: sequence}}
      - {name: tier, type: category, shares: {a: 0.7, b: 0.3}}
  - name: kids
    primary_key: id
    columns:
      - {name: id, type: int, generator: {kind: sequence}}
      - name: parent_id
        type: int
        references: parents
        children:
          shares: {"0": 0.1, "1": 0.2, "2": 0.4, "3": 0.2, "7": 0.1}
          cases:
            - when: {tier: b}
              shares: {"4": 0.5, "5": 0.5}
  - name: visits
    primary_key: id
    columns:
      - {name: id, type: int, generator: {kind: sequence}}
      - name: parent_id
        type: int
        references: parents
        children: {distribution: {kind: poisson, lambda: 3}, min: 0, max: 8}
"#,
    )
    .expect("write");
    let out = synth_folder(&schema, &dir.path().join("out"));
    let parents = read(&out.join("parents.parquet"));
    let tier = texts(&parents, "tier");
    let per_parent = |table: &str| -> Vec<u64> {
        let t = read(&out.join(format!("{table}.parquet")));
        let mut n = vec![0u64; parents.num_rows()];
        for p in ints(&t, "parent_id").iter().flatten() {
            n[*p as usize - 1] += 1;
        }
        n
    };
    let kids = per_parent("kids");
    let in_tier = |t: &str| -> Vec<u64> {
        kids.iter()
            .zip(&tier)
            .filter(|(_, x)| x.as_deref() == Some(t))
            .map(|(k, _)| *k)
            .collect()
    };
    let (a, b) = (in_tier("a"), in_tier("b"));
    let shares_a = [(0, 0.1), (1, 0.2), (2, 0.4), (3, 0.2), (7, 0.1)];
    let cdf_a = |k: u64| {
        shares_a
            .iter()
            .filter(|(v, _)| *v <= k)
            .map(|x| x.1)
            .sum::<f64>()
    };
    let cdf_b = |k: u64| {
        [(4, 0.5), (5, 0.5)]
            .iter()
            .filter(|(v, _)| *v <= k)
            .map(|x| x.1)
            .sum::<f64>()
    };
    // 1 % critical value of the KS statistic, 1.628 / sqrt(n).
    for (counts, cdf, what) in [
        (&a, &cdf_a as &dyn Fn(u64) -> f64, "tier a"),
        (
            &b,
            &cdf_b as &dyn Fn(u64) -> f64,
            "tier b (a case on the parent's column)",
        ),
    ] {
        let d = ks(counts, cdf);
        let crit = 1.628 / (counts.len() as f64).sqrt();
        assert!(d < crit, "{what}: KS {d} >= {crit}");
    }
    // Poisson(3) truncated to 0..=8.
    let pmf =
        |k: u64| (-3f64).exp() * 3f64.powi(k as i32) / (1..=k).map(|x| x as f64).product::<f64>();
    let mass: f64 = (0..=8).map(pmf).sum();
    let cdf_p = |k: u64| (0..=k.min(8)).map(pmf).sum::<f64>() / mass;
    let visits = per_parent("visits");
    let d = ks(&visits, &cdf_p);
    assert!(
        d < 1.628 / (visits.len() as f64).sqrt(),
        "poisson counts: KS {d}"
    );
    assert!(visits.iter().all(|&v| v <= 8));
}

#[test]
fn the_shipped_schema_is_checked_and_shown() {
    let out = fairsynth()
        .args(["schema", "check", "schemas/shop.yaml"])
        .output()
        .expect("runs");
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).expect("utf-8");
    assert!(text.contains("7 linked tables"), "{text}");
    assert!(root().join("schemas/shop.yaml").is_file());
}

/// A random chain of linked tables (depth 1 to 3) with a picked root, optional keys, unique
/// pairs and date rules.
fn random_schema(
    depth: usize,
    shares: Vec<u32>,
    null_share: f64,
    unique: bool,
    lag: (u32, u32),
) -> String {
    let total: u32 = shares.iter().sum::<u32>().max(1);
    let shares: Vec<String> = shares
        .iter()
        .enumerate()
        .filter(|(_, s)| **s > 0)
        .map(|(k, s)| format!("\"{k}\": {}", f64::from(*s) / f64::from(total)))
        .collect();
    let shares = if shares.is_empty() {
        "\"1\": 1".to_string()
    } else {
        shares.join(", ")
    };
    let mut y = format!(
        r#"version: 1
name: random
tables:
  - name: refs
    rows: 9
    primary_key: id
    columns:
      - {{name: id, type: string, generator: {{kind: sequence, prefix: "R"}}}}
      - {{name: kind, type: category, shares: {{x: 0.5, y: 0.5}}}}
  - name: t0
    rows: 300
    primary_key: id
    columns:
      - {{name: id, type: int, generator: {{kind: sequence, start: 10, step: 3}}}}
      - {{name: at, type: date, min: 2020-01-01, max: 2021-12-31}}
      - name: ref
        type: string
        references: refs
        null_share: {null_share}
"#
    );
    for d in 1..=depth {
        y.push_str(&format!(
            r#"  - name: t{d}
    primary_key: id
    columns:
      - {{name: id, type: int, generator: {{kind: sequence}}}}
      - name: up
        type: int
        references: t{p}
        children: {{shares: {{{shares}}}}}
      - name: at
        type: date
        generator: {{kind: offset, from: t{p}.at, unit: days, min: {lo}, max: {hi}}}
      - name: ref
        type: string
        references: refs
        unique: {unique}
      - name: gone
        type: date
        null_unless: {{refs.kind: x}}
        min: 2020-01-01
        max: 2030-12-31
        after: at
"#,
            p = d - 1,
            lo = lag.0,
            hi = lag.0 + lag.1,
        ));
    }
    y
}

fn write_with_threads(yaml: &str, dir: &Path, threads: usize) {
    let db = match fairsynth::schema::Document::from_str_named(yaml, "random.yaml").expect("valid")
    {
        fairsynth::schema::Document::Database(db) => db,
        _ => panic!("linked"),
    };
    // Families of 16 root rows: many families and windows, so that the thread count matters.
    let synth = fairsynth::synth::linked::LinkedSynthesizer::new(&db, 11)
        .expect("compiles")
        .with_family_rows_at_most(16);
    std::fs::create_dir_all(dir).expect("dir");
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .expect("pool");
    pool.install(|| {
        synth
            .write_folder(
                dir,
                &|| fairsynth::io::writer_properties(fairsynth::io::Compression::default()),
                &|_| serde_json::json!({}),
                &|_| {},
            )
            .expect("writes")
    });
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(10))]

    #[test]
    fn random_linked_schemas_keep_keys_and_rules(
        depth in 1usize..=3,
        shares in proptest::collection::vec(0u32..5, 1..5),
        null_share in prop_oneof![Just(0.0), 0.05f64..0.9],
        unique in any::<bool>(),
        lag in (0u32..30, 0u32..30),
    ) {
        // `unique` pairs need no more children than `refs` has rows.
        let shares = if unique { shares.into_iter().take(4).collect() } else { shares };
        let yaml = random_schema(depth, shares, null_share, unique, lag);
        let dir = tempfile::tempdir().expect("tempdir");
        let (a, b, c) = (dir.path().join("a"), dir.path().join("b"), dir.path().join("c"));
        write_with_threads(&yaml, &a, 1);
        write_with_threads(&yaml, &b, 2);
        write_with_threads(&yaml, &c, 8);
        let refs = read(&a.join("refs.parquet"));
        let ref_kind: HashMap<String, String> = texts(&refs, "id").into_iter().flatten()
            .zip(texts(&refs, "kind").into_iter().flatten()).collect();
        let mut parent_ids: HashMap<i64, i32> = HashMap::new();
        {
            let t0 = read(&a.join("t0.parquet"));
            let at = col(&t0, "at").as_primitive::<Date32Type>();
            for (i, id) in ints(&t0, "id").iter().enumerate() {
                prop_assert_eq!(*id, Some(10 + 3 * i as i64));
                parent_ids.insert(id.expect("id"), at.value(i));
            }
            let nulls = texts(&t0, "ref").iter().filter(|r| r.is_none()).count();
            if null_share == 0.0 { prop_assert_eq!(nulls, 0); }
        }
        for d in 1..=depth {
            let name = format!("t{d}.parquet");
            let bytes = std::fs::read(a.join(&name)).expect("a");
            prop_assert_eq!(&bytes, &std::fs::read(b.join(&name)).expect("b"), "1 vs 2 threads");
            prop_assert_eq!(&bytes, &std::fs::read(c.join(&name)).expect("c"), "1 vs 8 threads");
            let t = read(&a.join(&name));
            let ids = ints(&t, "id");
            let ups = ints(&t, "up");
            let at = col(&t, "at").as_primitive::<Date32Type>().clone();
            let gone = col(&t, "gone").as_primitive::<Date32Type>().clone();
            let refs_col = texts(&t, "ref");
            let mut pairs = HashSet::new();
            let mut next = HashMap::new();
            for i in 0..t.num_rows() {
                prop_assert_eq!(ids[i], Some(i as i64 + 1), "keys numbered in order");
                let up = ups[i].expect("driving key");
                let parent_at = *parent_ids.get(&up).expect("the driving key resolves");
                let lagged = at.value(i) - parent_at;
                prop_assert!(lagged >= lag.0 as i32 && lagged <= (lag.0 + lag.1) as i32, "offset {}", lagged);
                let r = refs_col[i].clone().expect("refs key");
                prop_assert!(ref_kind.contains_key(&r), "picked key resolves");
                if unique { prop_assert!(pairs.insert((up, r.clone())), "unique pair"); }
                prop_assert_eq!(!gone.is_null(i), ref_kind[&r] == "x", "null unless refs.kind = x");
                if !gone.is_null(i) { prop_assert!(gone.value(i) >= at.value(i), "after"); }
                next.insert(ids[i].expect("id"), at.value(i));
            }
            parent_ids = next;
        }
    }
}
