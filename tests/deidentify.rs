//! `deidentify`: identifiers never reach the output, keyed pseudonyms are stable, consent and
//! minimisation apply, the safety net stops undeclared identifiers, k-anonymity holds, and
//! figures match pycanon on committed fixtures.

use std::collections::HashSet;
use std::fs;
use std::path::{Path, PathBuf};

use arrow_array::cast::AsArray;
use arrow_array::types::Int32Type;
use arrow_array::{Array, RecordBatch};
use assert_cmd::Command;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use predicates::prelude::*;

mod common;

const KEY: &str = "test-key-0123456789abcdef-not-secret";

/// The binary without a key in the environment, so each test sets the one it means.
fn fairsynth() -> Command {
    let mut c = common::fairsynth();
    c.env_remove("FAIRSYNTH_KEY");
    c
}

fn read(path: &Path) -> Vec<RecordBatch> {
    ParquetRecordBatchReaderBuilder::try_new(fs::File::open(path).expect("file"))
        .expect("Parquet")
        .build()
        .expect("reader")
        .collect::<Result<_, _>>()
        .expect("batches")
}

/// Every value of every column, as text.
fn all_text(batches: &[RecordBatch], column: &str) -> Vec<Option<String>> {
    let mut out = Vec::new();
    for b in batches {
        let Some(a) = b.column_by_name(column) else {
            continue;
        };
        match a.data_type() {
            arrow_schema::DataType::Utf8 => {
                out.extend(a.as_string::<i32>().iter().map(|v| v.map(str::to_string)))
            }
            arrow_schema::DataType::Dictionary(..) => {
                let d = a.as_dictionary::<Int32Type>();
                let v = d.values().as_string::<i32>();
                out.extend(
                    d.keys()
                        .iter()
                        .map(|k| k.map(|k| v.value(k as usize).to_string())),
                );
            }
            arrow_schema::DataType::Int64 => out.extend(
                a.as_primitive::<arrow_array::types::Int64Type>()
                    .iter()
                    .map(|v| v.map(|v| v.to_string())),
            ),
            _ => out.extend((0..a.len()).map(|_| None)),
        }
    }
    out
}

/// 20,000 synthetic customers with names, e-mails, phones and addresses.
fn customers(dir: &Path) -> PathBuf {
    let data = dir.join("customers.parquet");
    fairsynth()
        .args([
            "synth",
            "--schema",
            "schemas/customers.yaml",
            "--rows",
            "20000",
            "-q",
            "--compression",
            "none",
            "-o",
        ])
        .arg(&data)
        .assert()
        .success();
    data
}

fn deid(data: &Path, out: &Path, key: Option<&str>, extra: &[&str]) -> assert_cmd::assert::Assert {
    let mut c = fairsynth();
    c.arg("deidentify")
        .arg(data)
        .args(["--schema", "schemas/customers.yaml", "-o"])
        .arg(out)
        .args(extra);
    if let Some(k) = key {
        c.env("FAIRSYNTH_KEY", k);
    }
    c.assert()
}

#[test]
fn no_identifier_value_reaches_the_output() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = customers(dir.path());
    let out = dir.path().join("deid.parquet");
    let report = dir.path().join("r.json");
    deid(
        &data,
        &out,
        Some(KEY),
        &[
            "--compression",
            "none",
            "--report",
            report.to_str().expect("path"),
            "-q",
        ],
    )
    .success();

    let input = read(&data);
    let output = read(&out);
    let fields: Vec<String> = output[0]
        .schema()
        .fields()
        .iter()
        .map(|f| f.name().clone())
        .collect();
    for dropped in ["full_name", "email", "phone", "street_address"] {
        assert!(
            !fields.contains(&dropped.to_string()),
            "{dropped} must be dropped"
        );
    }
    // Scan the whole uncompressed file for a sample of the original identifier values...
    let bytes = fs::read(&out).expect("output");
    let haystack = String::from_utf8_lossy(&bytes);
    let mut checked = 0;
    for column in ["full_name", "email", "phone", "street_address"] {
        for v in all_text(&input, column).into_iter().flatten().step_by(50) {
            assert!(
                !haystack.contains(&v),
                "`{v}` from {column} found in the output file"
            );
            checked += 1;
        }
    }
    assert!(checked > 1_000, "the scan covered {checked} values");
    // ...and check every one of them against every value the output holds.
    let mut output_values: HashSet<String> = HashSet::new();
    for b in &output {
        for f in b.schema().fields() {
            output_values.extend(all_text(&output, f.name()).into_iter().flatten());
        }
    }
    for column in [
        "full_name",
        "email",
        "phone",
        "street_address",
        "customer_id",
    ] {
        for v in all_text(&input, column).into_iter().flatten() {
            assert!(
                !output_values.contains(&v),
                "`{v}` from {column} is an output value"
            );
        }
    }
    // Pseudonymised ids: tokens, none equal to an input id.
    let ids: HashSet<String> = all_text(&input, "customer_id")
        .into_iter()
        .flatten()
        .collect();
    let tokens = all_text(&output, "customer_id");
    assert!(tokens
        .iter()
        .flatten()
        .all(|t| t.starts_with("pn_") && !ids.contains(t)));
    let r: serde_json::Value =
        serde_json::from_slice(&fs::read(&report).expect("report")).expect("JSON");
    let fp = r["key_fingerprint"].as_str().expect("fingerprint");
    assert!(fp.starts_with("sha256:") && !fp.contains(KEY));
    assert!(!String::from_utf8_lossy(&fs::read(&report).expect("report")).contains(KEY));
    assert!(!haystack.contains(KEY), "the key is never written");
}

#[test]
fn pseudonyms_are_stable_for_a_key_and_differ_across_keys() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = customers(dir.path());
    let (a, b, c) = (
        dir.path().join("a.parquet"),
        dir.path().join("b.parquet"),
        dir.path().join("c.parquet"),
    );
    deid(&data, &a, Some(KEY), &["-q"]).success();
    deid(&data, &b, Some(KEY), &["-q", "--threads", "1"]).success();
    deid(&data, &c, Some("another-key-0123456789abcdef"), &["-q"]).success();
    assert!(
        fs::read(&a).expect("a") == fs::read(&b).expect("b"),
        "same key and input, same bytes at any thread count"
    );
    let ta = all_text(&read(&a), "customer_id");
    let tc = all_text(&read(&c), "customer_id");
    assert_eq!(ta.len(), tc.len());
    assert!(ta.iter().zip(&tc).all(|(x, y)| x != y));
    // A key file gives the same tokens as the same key in the environment.
    let key_file = dir.path().join("key");
    fs::write(&key_file, format!("{KEY}\n")).expect("key file");
    let d = dir.path().join("d.parquet");
    deid(
        &data,
        &d,
        None,
        &["-q", "--key-file", key_file.to_str().expect("path")],
    )
    .success();
    assert_eq!(all_text(&read(&d), "customer_id"), ta);
}

#[test]
fn a_missing_key_is_a_clear_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = customers(dir.path());
    let out = dir.path().join("o.parquet");
    deid(&data, &out, None, &[])
        .code(2)
        .stderr(predicate::str::contains("FAIRSYNTH_KEY"))
        .stderr(predicate::str::contains("panicked").not());
    assert!(!out.exists());
}

#[test]
fn consent_and_k_anonymity_are_applied_and_reported() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = customers(dir.path());
    let out = dir.path().join("o.parquet");
    let report = dir.path().join("r.json");
    deid(
        &data,
        &out,
        Some(KEY),
        &["--report", report.to_str().expect("path"), "-q"],
    )
    .success();
    let r: serde_json::Value =
        serde_json::from_slice(&fs::read(&report).expect("report")).expect("JSON");
    let input = read(&data);
    let consenting: u64 = input
        .iter()
        .map(|b| {
            b.column_by_name("consent_marketing")
                .expect("consent")
                .as_boolean()
                .true_count() as u64
        })
        .sum();
    assert_eq!(r["rows_in"], 20_000);
    assert_eq!(
        r["consent_excluded"].as_u64().expect("n"),
        20_000 - consenting
    );
    let rows_out: usize = read(&out).iter().map(|b| b.num_rows()).sum();
    assert_eq!(
        rows_out as u64,
        consenting - r["suppressed_rows"].as_u64().expect("n")
    );
    let a = &r["anonymity"];
    assert_eq!(
        a["quasi_identifiers"],
        serde_json::json!(["state", "birth_date", "region"])
    );
    assert!(a["k_achieved"].as_u64().expect("k") >= 5);
    assert!(a["prosecutor_risk_max"].as_f64().expect("risk") <= 0.2);
    // Check k on the output itself: every (state, birth_date, region) class has 5 or more rows.
    let batches = read(&out);
    let st = all_text(&batches, "state");
    let bd = all_text(&batches, "birth_date");
    let rg = all_text(&batches, "region");
    let mut counts = std::collections::HashMap::new();
    for ((s, b), g) in st.iter().zip(&bd).zip(&rg) {
        *counts
            .entry((s.clone(), b.clone(), g.clone()))
            .or_insert(0u64) += 1;
    }
    assert!(
        counts.values().all(|n| *n >= 5),
        "smallest class {}",
        counts.values().min().expect("classes")
    );
    assert_eq!(counts.len() as u64, a["classes"].as_u64().expect("classes"));
    // Birth dates left the output only as generalised months or years.
    assert!(
        bd.iter().flatten().all(|d| d.len() == 7 || d.len() == 4),
        "{:?}",
        bd.first()
    );
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    fs::write(&p, text).expect("write");
    p
}

#[test]
fn the_safety_net_stops_undeclared_identifiers() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let mut csv = String::from("id,notes,extra\n");
    for i in 0..200 {
        csv.push_str(&format!(
            "{i},\"please call anna{i}@example.org about the order\",x\n"
        ));
    }
    let input = write(d, "in.csv", &csv);
    let base = "version: 1\nname: t\ncolumns:\n  - {name: id, type: int}\n";
    let plain = write(
        d,
        "plain.yaml",
        &format!("{base}  - {{name: notes, type: string}}\n"),
    );
    let out = d.join("o.parquet");
    fairsynth()
        .arg("deidentify")
        .arg(&input)
        .arg("--schema")
        .arg(&plain)
        .arg("-o")
        .arg(&out)
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "column `notes` is not an identifier, but 100.0% of its values contain email",
        ));
    assert!(!out.exists());

    let ack = write(
        d,
        "ack.yaml",
        &format!("{base}  - {{name: notes, type: string, acknowledge: [email]}}\n"),
    );
    fairsynth()
        .arg("deidentify")
        .arg(&input)
        .arg("--schema")
        .arg(&ack)
        .arg("-o")
        .arg(&out)
        .arg("-q")
        .assert()
        .success();
    let batches = read(&out);
    let fields: Vec<String> = batches[0]
        .schema()
        .fields()
        .iter()
        .map(|f| f.name().clone())
        .collect();
    assert_eq!(
        fields,
        vec!["id", "notes"],
        "the undeclared column is left out"
    );

    let redact = write(
        d,
        "redact.yaml",
        &format!("{base}  - {{name: notes, type: string, action: redact}}\n"),
    );
    fairsynth()
        .arg("deidentify")
        .arg(&input)
        .arg("--schema")
        .arg(&redact)
        .arg("-o")
        .arg(&out)
        .arg("-q")
        .assert()
        .success();
    let notes = all_text(&read(&out), "notes");
    assert_eq!(
        notes[3].as_deref(),
        Some("please call [EMAIL] about the order")
    );
    // Not one of the 200 addresses is left anywhere in the (uncompressed) file.
    fairsynth()
        .arg("deidentify")
        .arg(&input)
        .arg("--schema")
        .arg(&redact)
        .arg("-o")
        .arg(&out)
        .args(["-q", "--compression", "none"])
        .assert()
        .success();
    let haystack = String::from_utf8_lossy(&fs::read(&out).expect("out")).into_owned();
    for i in 0..200 {
        assert!(
            !haystack.contains(&format!("anna{i}@example.org")),
            "address {i} survived redaction"
        );
    }
    assert!(haystack.contains("[EMAIL]"));
}

#[test]
fn inspect_drafts_a_schema_that_deidentifies_an_unknown_csv() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    // An "unknown" CSV: the customers table with every column as text.
    let mut csv = String::from(
        "customer_id,name,mail,tel,street_address,birth_date,region,consent,churned\n",
    );
    for i in 0..3000 {
        let (first, last) = (
            ["Anna", "James", "Maria", "Thomas"][i % 4],
            ["Smith", "Miller", "Schmidt", "Weber"][i % 3],
        );
        csv.push_str(&format!(
            "{},{first} {last},{}.{}{i}@example.org,+1 415 555 01{:02},{} Oak Street,19{}-0{}-1{},{},{},{}\n",
            900_000 + i,
            first.to_lowercase(),
            last.to_lowercase(),
            i % 100,
            i + 1,
            50 + i % 40,
            1 + i % 9,
            i % 10,
            ["north", "south"][i % 2],
            i % 7 != 0,
            i % 5 == 0
        ));
    }
    let input = write(d, "unknown.csv", &csv);
    let draft = d.join("draft.yaml");
    fairsynth()
        .arg("inspect")
        .arg(&input)
        .arg("--draft-schema")
        .arg(&draft)
        .assert()
        .success()
        .stderr(predicate::str::contains("mail").and(predicate::str::contains("identifier")))
        // No identifier value is printed by the profile.
        .stderr(predicate::str::contains("@example.org").not())
        .stderr(predicate::str::contains("Anna Smith").not());
    fairsynth()
        .args(["schema", "check"])
        .arg(&draft)
        .assert()
        .success();
    let text = fs::read_to_string(&draft).expect("draft");
    for (column, role) in [
        ("customer_id", "identifier"),
        ("name", "identifier"),
        ("mail", "identifier"),
        ("tel", "identifier"),
        ("street_address", "identifier"),
        ("birth_date", "quasi_identifier"),
        ("consent", "consent"),
    ] {
        let block = text
            .split("  - name: ")
            .find(|b| b.starts_with(&format!("\"{column}\"")))
            .expect("column drafted");
        assert!(
            block.contains(&format!("role: {role}")),
            "{column}: {block}"
        );
    }
    let out = d.join("o.parquet");
    fairsynth()
        .arg("deidentify")
        .arg(&input)
        .arg("--schema")
        .arg(&draft)
        .arg("-o")
        .arg(&out)
        .args(["--compression", "none", "-q"])
        .env("FAIRSYNTH_KEY", KEY)
        .assert()
        .success();
    let haystack = String::from_utf8_lossy(&fs::read(&out).expect("out")).into_owned();
    for needle in [
        "@example.org",
        "Oak Street",
        "+1 415",
        "Anna Smith",
        "900017",
    ] {
        assert!(
            !haystack.contains(needle),
            "`{needle}` survived de-identification"
        );
    }
}

#[test]
fn inspect_judges_and_drafts_the_same_at_any_thread_count() {
    // Columns are profiled, pass 1 scanned and the dry run transformed in parallel: the draft
    // and the report must not depend on how many threads did it.
    let dir = tempfile::tempdir().expect("tempdir");
    let data = customers(dir.path());
    let run = |threads: &str, tag: &str| {
        let draft = dir.path().join(format!("draft-{tag}.yaml"));
        let report = dir.path().join(format!("report-{tag}.json"));
        fairsynth()
            .env("RAYON_NUM_THREADS", threads)
            .args(["inspect", "-q", "--draft-schema"])
            .arg(&draft)
            .arg("--report")
            .arg(&report)
            .arg(&data)
            .assert()
            .success();
        (
            fs::read_to_string(&draft).expect("draft"),
            fs::read_to_string(&report).expect("report"),
        )
    };
    let (d1, r1) = run("1", "one");
    let (d3, r3) = run("3", "three");
    assert!(d1.contains("Checked with deidentify's own checks"), "{d1}");
    assert_eq!(d1, d3, "the draft does not depend on the thread count");
    assert_eq!(r1, r3, "the report does not depend on the thread count");
}

#[test]
fn the_summary_counts_one_released_column_in_the_singular() {
    let dir = tempfile::tempdir().expect("tempdir");
    let schema = dir.path().join("notes.yaml");
    fs::write(
        &schema,
        "version: 1\nname: people\ncolumns:\n  - {name: ref, type: string, role: identifier}\n  - {name: segment, type: category}\n  - {name: notes, type: string, action: redact}\n",
    )
    .expect("schema");
    let out = dir.path().join("notes.parquet");
    let run = fairsynth()
        .args(["deidentify", "tests/data/detection/people.csv", "--schema"])
        .arg(&schema)
        .arg("-o")
        .arg(&out)
        .current_dir(common::root())
        .output()
        .expect("runs");
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("over everything released (1 column)"),
        "{stderr}"
    );
}
