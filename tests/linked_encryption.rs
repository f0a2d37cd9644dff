//! Encrypted Parquet for linked tables: `synth LINKED.yaml -o DIR` and `deidentify DIR` write
//! every table's file under its table's policy (the schema's top-level `encryption:` for
//! every table, a table's own section, the flags with `table.column`), the folder readers
//! (`deidentify DIR`, `inspect DIR`) open encrypted tables given the keys, and a folder that
//! cannot be encrypted is not written at all.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow_array::RecordBatch;
use base64::Engine as _;
use fairsynth::io::crypt::{self, Access, MasterKeys};
use fairsynth::io::read::open_parquet;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use predicates::prelude::*;

use common::{fairsynth, root};

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;
const PSEUDONYM_KEY: &str = "linked-test-key-0123456789abcdef";
const SHOP_TABLES: [&str; 7] = [
    "customers",
    "products",
    "orders",
    "order_lines",
    "campaigns",
    "campaign_products",
    "contacts",
];

fn keys() -> Vec<(&'static str, Vec<u8>)> {
    vec![
        ("auditor", (0..16).collect()),
        ("linkage", (50..82).collect()),
        ("footer", (100..132).collect()),
    ]
}

fn key_file(dir: &Path, keys: &[(&str, Vec<u8>)]) -> PathBuf {
    let text: String = keys
        .iter()
        .map(|(id, k)| format!("{id}: {}\n", B64.encode(k)))
        .collect();
    let p = dir.join("keys.txt");
    std::fs::write(&p, text).expect("key file");
    p
}

fn access(keys: &[(&str, Vec<u8>)]) -> Access {
    Access {
        kms: Arc::new(
            keys.iter()
                .fold(MasterKeys::none(), |m, (id, k)| m.with_key(id, k.clone())),
        ),
        policy: None,
        tables: Vec::new(),
    }
}

/// `schemas/shop.yaml` with a top-level `encryption:` section appended, written into `dir`:
/// protected columns and `orders.total` under `auditor`, every table's `customer_id` under
/// `linkage`, plaintext footers.
fn shop_with_policy(dir: &Path) -> PathBuf {
    let text = std::fs::read_to_string(root().join("schemas/shop.yaml")).expect("shop.yaml");
    let text = format!(
        "{text}
encryption:
  footer_key: footer
  plaintext_footer: true
  keys:
    auditor: {{roles: [protected], columns: [orders.total, email]}}
    linkage: {{columns: [customer_id]}}
"
    );
    let p = dir.join("shop_encrypted.yaml");
    std::fs::write(&p, text).expect("schema");
    p
}

/// The encrypted columns `shop_with_policy` asks for, per table.
fn expected_locked() -> BTreeMap<&'static str, Vec<&'static str>> {
    [
        ("customers", vec!["customer_id", "sex", "email", "age"]),
        ("orders", vec!["customer_id", "total"]),
        ("contacts", vec!["customer_id"]),
    ]
    .into()
}

fn synth(schema: &Path, out: &Path, flags: &[&str]) -> assert_cmd::assert::Assert {
    fairsynth()
        .args(["synth", "--schema"])
        .arg(schema)
        .args([
            "--scale",
            "0.02",
            "--seed",
            "3",
            "--compression",
            "none",
            "-q",
            "-o",
        ])
        .arg(out)
        .args(flags)
        .assert()
}

/// Every batch of a Parquet file through the library's reader, with `keys` at hand.
fn read_with(path: &Path, keys: &[(&str, Vec<u8>)]) -> Vec<RecordBatch> {
    let _g = crypt::enter(access(keys));
    let opened = open_parquet(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert!(
        opened.locked.is_empty(),
        "{}: locked columns",
        path.display()
    );
    opened
        .builder
        .build()
        .expect("reader")
        .collect::<Result<_, _>>()
        .expect("batches")
}

/// Every batch of a Parquet file read with no decryption at all.
fn read_plain(path: &Path) -> Result<Vec<RecordBatch>, String> {
    let f = std::fs::File::open(path).map_err(|e| e.to_string())?;
    ParquetRecordBatchReaderBuilder::try_new(f)
        .and_then(|b| b.build())
        .map_err(|e| e.to_string())?
        .collect::<Result<_, _>>()
        .map_err(|e| e.to_string())
}

/// The columns of a file that cannot be decrypted without any key, and its provenance.
fn locked_without_keys(path: &Path) -> (Vec<String>, String) {
    let _g = crypt::enter(access(&[]));
    let opened = open_parquet(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let prov = opened
        .builder
        .metadata()
        .file_metadata()
        .key_value_metadata()
        .and_then(|kv| kv.iter().find(|k| k.key == "fairsynth"))
        .and_then(|k| k.value.clone())
        .expect("provenance");
    (opened.locked.into_iter().map(|l| l.column).collect(), prov)
}

#[test]
fn linked_synth_encrypts_every_tables_columns_under_the_schemas_policy() {
    let tmp = tempfile::tempdir().expect("tmp");
    let kf = key_file(tmp.path(), &keys());
    let schema = shop_with_policy(tmp.path());
    let plain = tmp.path().join("plain");
    let enc = tmp.path().join("enc");
    synth(&root().join("schemas/shop.yaml"), &plain, &[]).success();
    synth(&schema, &enc, &["--keys", kf.to_str().expect("utf-8")]).success();
    let want = expected_locked();
    for t in SHOP_TABLES {
        let p = enc.join(format!("{t}.parquet"));
        let (locked, prov) = locked_without_keys(&p);
        let expected: Vec<String> = want
            .get(t)
            .map(|c| c.iter().map(|s| s.to_string()).collect())
            .unwrap_or_default();
        assert_eq!(locked, expected, "{t}: columns unreadable without the keys");
        // Provenance names each encrypted column's key ID, never a key.
        for c in &expected {
            let key = if c == "customer_id" {
                "linkage"
            } else {
                "auditor"
            };
            assert!(prov.contains(&format!(r#""{c}":"{key}""#)), "{t}: {prov}");
        }
        for (_, k) in keys() {
            assert!(!prov.contains(&B64.encode(&k)), "{t}: a key in provenance");
        }
        // With the keys, every table equals the plaintext run's (same seed).
        let got = read_with(&p, &keys());
        let plain_rows = read_plain(&plain.join(format!("{t}.parquet"))).expect("plain");
        assert_eq!(got.len(), plain_rows.len(), "{t}: batches");
        for (g, w) in got.iter().zip(&plain_rows) {
            assert_eq!(g.columns(), w.columns(), "{t}: decrypted values differ");
        }
        // A table with nothing to encrypt under a plaintext footer is a plain Parquet file.
        if expected.is_empty() {
            assert!(read_plain(&p).is_ok(), "{t}: not readable as plain Parquet");
            assert!(!prov.contains(r#""encryption""#), "{t}: {prov}");
        } else {
            assert!(read_plain(&p).is_err(), "{t}: readable without decryption");
        }
    }
    // The e-mail addresses are in the plaintext file's bytes and not in the encrypted one's.
    let emails: Vec<String> = {
        let b = read_plain(&plain.join("customers.parquet")).expect("plain");
        let a = b[0]
            .column_by_name("email")
            .expect("email")
            .as_any()
            .downcast_ref::<arrow_array::StringArray>()
            .expect("strings")
            .clone();
        (0..20).map(|i| a.value(i).to_string()).collect()
    };
    let plain_bytes = std::fs::read(plain.join("customers.parquet")).expect("read");
    let enc_bytes = std::fs::read(enc.join("customers.parquet")).expect("read");
    let has = |bytes: &[u8], s: &str| memchr::memmem::find(bytes, s.as_bytes()).is_some();
    assert!(
        emails.iter().all(|e| has(&plain_bytes, e)),
        "control: plaintext e-mails"
    );
    for e in &emails {
        assert!(
            !has(&enc_bytes, e),
            "`{e}` is in the encrypted file's bytes"
        );
    }
}

#[test]
fn linked_flags_name_one_tables_column_and_apply_to_every_table() {
    let tmp = tempfile::tempdir().expect("tmp");
    let kf = key_file(tmp.path(), &keys());
    let kf = kf.to_str().expect("utf-8");
    let shop = root().join("schemas/shop.yaml");
    let out = tmp.path().join("out");
    synth(
        &shop,
        &out,
        &[
            "--keys",
            kf,
            "--encrypt",
            "auditor=orders.total,role:protected",
            "--footer-key",
            "footer",
        ],
    )
    .success();
    for t in SHOP_TABLES {
        let p = out.join(format!("{t}.parquet"));
        // Encrypted footers: every file, also those with no column of the policy.
        let bytes = std::fs::read(&p).expect("read");
        assert_eq!(&bytes[bytes.len() - 4..], b"PARE", "{t}: footer");
        read_with(&p, &keys());
    }
    // `inspect DIR` reads the folder through the same reader: with the keys it works, without
    // them it names the footer key.
    fairsynth()
        .args(["inspect", "-q", "--keys", kf])
        .arg(&out)
        .assert()
        .success();
    fairsynth()
        .env_remove("FAIRSYNTH_KEY_footer")
        .arg("inspect")
        .arg(&out)
        .assert()
        .failure()
        .stderr(predicate::str::contains("no master key `footer`"));

    // A qualified name with an unknown table or column is refused before anything is written.
    for (sel, message) in [
        ("auditor=order.total", "no table is called `order`"),
        (
            "auditor=orders.totl",
            "the table `orders` has no column `totl`",
        ),
        ("auditor=totl", "no table has a column `totl`"),
    ] {
        let none = tmp.path().join("none");
        synth(&shop, &none, &["--encrypt", sel, "--footer-key", "footer"])
            .code(2)
            .stderr(predicate::str::contains(message));
        assert!(!none.exists(), "{sel}: a folder was written");
    }
    // A key missing for one table: no table is written, and the folder made goes.
    let missing = tmp.path().join("missing");
    let only_footer = tmp.path().join("only_footer");
    std::fs::create_dir(&only_footer).expect("dir");
    let kf2 = key_file(&only_footer, &[keys()[2].clone()]);
    synth(
        &shop,
        &missing,
        &[
            "--keys",
            kf2.to_str().expect("utf-8"),
            "--encrypt",
            "auditor=orders.total",
            "--footer-key",
            "footer",
        ],
    )
    .code(1)
    .stderr(predicate::str::contains("no master key `auditor`"));
    assert!(!missing.exists(), "a partial folder was left");
}

#[test]
fn deidentify_dir_reads_encrypted_tables_and_writes_them_encrypted() {
    let tmp = tempfile::tempdir().expect("tmp");
    let kf = key_file(tmp.path(), &keys());
    let kf = kf.to_str().expect("utf-8");
    let shop = root().join("schemas/shop.yaml");
    let plain = tmp.path().join("plain");
    let enc = tmp.path().join("enc");
    synth(&shop, &plain, &[]).success();
    synth(
        &shop,
        &enc,
        &[
            "--keys",
            kf,
            "--encrypt",
            "auditor=role:protected,customers.customer_id",
            "--footer-key",
            "footer",
        ],
    )
    .success();
    let deid = |input: &Path, out: &Path, flags: &[&str]| {
        fairsynth()
            .env("FAIRSYNTH_KEY", PSEUDONYM_KEY)
            .arg("deidentify")
            .arg(input)
            .arg("--schema")
            .arg(&shop)
            .args(["-q", "-o"])
            .arg(out)
            .args(flags)
            .assert()
    };
    let plain_out = tmp.path().join("plain_out");
    let enc_out = tmp.path().join("enc_out");
    deid(&plain, &plain_out, &[]).success();
    // Without the keys the encrypted input is refused, naming the table and the key.
    let refused = tmp.path().join("refused");
    deid(&enc, &refused, &[]).failure().stderr(
        predicate::str::contains("table `customers`")
            .and(predicate::str::contains("no master key `footer`")),
    );
    assert!(!refused.exists(), "a folder was written");
    deid(
        &enc,
        &enc_out,
        &[
            "--keys",
            kf,
            "--encrypt",
            "linkage=customer_id,orders.total",
            "--footer-key",
            "footer",
            "--plaintext-footer",
        ],
    )
    .success();
    let want: BTreeMap<&str, Vec<&str>> = [
        ("customers", vec!["customer_id"]),
        ("orders", vec!["customer_id", "total"]),
        ("contacts", vec!["customer_id"]),
    ]
    .into();
    for t in SHOP_TABLES {
        let p = enc_out.join(format!("{t}.parquet"));
        let (locked, prov) = locked_without_keys(&p);
        let expected: Vec<String> = want
            .get(t)
            .map(|c| c.iter().map(|s| s.to_string()).collect())
            .unwrap_or_default();
        assert_eq!(locked, expected, "{t}: columns unreadable without the keys");
        for c in &expected {
            assert!(prov.contains(&format!(r#""{c}":"linkage""#)), "{t}: {prov}");
        }
        // The same rows as the de-identification of the plaintext folder.
        let got = read_with(&p, &keys());
        let plain_rows = read_plain(&plain_out.join(format!("{t}.parquet"))).expect("plain");
        let rows = |b: &[RecordBatch]| b.iter().map(|b| b.num_rows()).sum::<usize>();
        assert_eq!(rows(&got), rows(&plain_rows), "{t}: rows");
        let cat = |b: &[RecordBatch]| {
            arrow_select::concat::concat_batches(&b[0].schema(), b).expect("concat")
        };
        if rows(&got) > 0 {
            assert_eq!(
                cat(&got).columns(),
                cat(&plain_rows).columns(),
                "{t}: values differ"
            );
        }
    }
}

#[test]
fn a_linked_schemas_encryption_errors_stop_every_command_before_writing() {
    let tmp = tempfile::tempdir().expect("tmp");
    let schema = root().join("tests/schema_errors/linked_encryption.yaml");
    let out = tmp.path().join("out");
    fairsynth()
        .args(["synth", "--schema"])
        .arg(&schema)
        .arg("-o")
        .arg(&out)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no table is called `custmers`"));
    assert!(!out.exists());
}

#[test]
fn schema_check_lists_each_tables_policy() {
    let tmp = tempfile::tempdir().expect("tmp");
    let schema = shop_with_policy(tmp.path());
    fairsynth()
        .args(["schema", "check"])
        .arg(&schema)
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "encrypted: customers (customer_id under linkage, sex under auditor, email under auditor, age under auditor), products (footer only), orders (customer_id under linkage, total under auditor),",
        ));
}

/// `fit` reads a folder of encrypted tables given the keys, and `sample` of the linked model
/// writes every table under the flags' policy.
#[test]
fn fit_reads_encrypted_tables_and_a_linked_sample_is_written_encrypted() {
    let tmp = tempfile::tempdir().expect("tmp");
    let kf = key_file(tmp.path(), &keys());
    let kf = kf.to_str().expect("utf-8");
    let shop = root().join("schemas/shop.yaml");
    let data = tmp.path().join("data");
    synth(
        &shop,
        &data,
        &[
            "--keys",
            kf,
            "--encrypt",
            "auditor=orders.total",
            "--footer-key",
            "footer",
        ],
    )
    .success();
    let model = tmp.path().join("model.json");
    let fit = |keys: Option<&str>| {
        let mut c = fairsynth();
        c.env_remove("FAIRSYNTH_KEY_footer")
            .args(["fit", "--quiet", "--schema"])
            .arg(&shop)
            .arg(&data)
            .arg("-o")
            .arg(&model);
        if let Some(k) = keys {
            c.args(["--keys", k]);
        }
        c.assert()
    };
    fit(None)
        .failure()
        .stderr(predicate::str::contains("no master key `footer`"));
    assert!(!model.exists());
    fit(Some(kf)).success();
    let out = tmp.path().join("sample");
    fairsynth()
        .args([
            "sample",
            "--quiet",
            "--keys",
            kf,
            "--encrypt",
            "auditor=customers.email,orders.total",
        ])
        .args(["--footer-key", "footer", "--plaintext-footer", "-o"])
        .arg(&out)
        .arg(&model)
        .assert()
        .success();
    let (locked, prov) = locked_without_keys(&out.join("orders.parquet"));
    assert_eq!(locked, vec!["total".to_string()]);
    assert!(prov.contains("auditor"), "{prov}");
    let (locked, _) = locked_without_keys(&out.join("products.parquet"));
    assert!(locked.is_empty(), "{locked:?}");
    for t in SHOP_TABLES {
        assert!(
            !read_with(&out.join(format!("{t}.parquet")), &keys()).is_empty(),
            "{t}"
        );
    }
}

/// `audit DIR` of encrypted tables: a column whose key is not given is left out and said so;
/// a key column that cannot be read is not checked (rather than counted as null).
#[test]
fn linked_audit_leaves_out_what_it_cannot_read() {
    let tmp = tempfile::tempdir().expect("tmp");
    let all = key_file(tmp.path(), &keys());
    let schema = shop_with_policy(tmp.path());
    let db = tmp.path().join("db");
    synth(&schema, &db, &["--keys", all.to_str().expect("utf-8")]).success();
    let audit = |keys: &[(&str, Vec<u8>)]| -> serde_json::Value {
        let dir = tempfile::tempdir().expect("tmp");
        let kf = key_file(dir.path(), keys);
        let report = dir.path().join("r.json");
        fairsynth()
            .arg("audit")
            .arg(&db)
            .arg("--schema")
            .arg(&schema)
            .arg("--keys")
            .arg(&kf)
            .args(["--as-of", "2026-01-01", "-q", "--report"])
            .arg(&report)
            .assert()
            .code(0);
        serde_json::from_str(&std::fs::read_to_string(&report).expect("report")).expect("json")
    };
    let every = audit(&keys());
    assert_eq!(every["proxies"][0]["table"], "customers");
    assert_eq!(every["foreign_keys"].as_array().expect("keys").len(), 8);
    // Without the auditor's key, sex and age are not audited: no groups, no profile scan.
    let no_auditor: Vec<(&str, Vec<u8>)> = keys()
        .into_iter()
        .filter(|(k, _)| *k != "auditor")
        .collect();
    let r = audit(&no_auditor);
    assert_eq!(r["proxies"], serde_json::json!([]));
    let notes = r["tables"][0]["audit"]["notes"].to_string();
    assert!(
        notes.contains("column `sex` is encrypted under master key `auditor`"),
        "{notes}"
    );
    // The protected columns are declared, only unreadable: the note says so, with the key.
    assert!(!notes.contains("declares no protected column"), "{notes}");
    assert!(
        notes.contains("declares the protected column(s) `")
            && notes.contains("`sex`")
            && notes.contains("unreadable without master key `auditor`"),
        "{notes}"
    );
    // Without the linkage key, the keys to customers are not checked.
    let no_linkage: Vec<(&str, Vec<u8>)> = keys()
        .into_iter()
        .filter(|(k, _)| *k != "linkage")
        .collect();
    let r = audit(&no_linkage);
    let checked: Vec<&str> = r["foreign_keys"]
        .as_array()
        .expect("keys")
        .iter()
        .map(|k| k["child"].as_str().expect("child"))
        .collect();
    assert_eq!(
        checked,
        [
            "order_lines",
            "order_lines",
            "campaign_products",
            "campaign_products",
            "contacts"
        ]
    );
    let skipped = r["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .filter(|c| c["key"] == "max_dangling_keys" && c["status"] == "skipped")
        .count();
    assert_eq!(skipped, 3);
    assert!(r["notes"]
        .to_string()
        .contains("`orders.customer_id` → customers is not checked"));
}

/// `reweight DIR --encrypt KEY=weight`: the weight column reweight adds to every table is not
/// in the schema, yet the flag selects it in every table's file.
#[test]
fn linked_reweight_encrypts_the_weight_column_it_adds() {
    let tmp = tempfile::tempdir().expect("tmp");
    let kf = key_file(tmp.path(), &keys());
    let kf = kf.to_str().expect("utf-8");
    let shop = root().join("schemas/shop.yaml");
    let data = tmp.path().join("data");
    synth(&shop, &data, &[]).success();
    let out = tmp.path().join("weighted");
    fairsynth()
        .args([
            "reweight",
            "--quiet",
            "--keys",
            kf,
            "--encrypt",
            "auditor=weight",
        ])
        .args(["--footer-key", "footer", "--plaintext-footer", "--schema"])
        .arg(&shop)
        .arg(&data)
        .arg("-o")
        .arg(&out)
        .assert()
        .success();
    for t in SHOP_TABLES {
        let file = out.join(format!("{t}.parquet"));
        let (locked, _) = locked_without_keys(&file);
        assert_eq!(locked, vec!["weight".to_string()], "{t}");
        let batches = read_with(&file, &keys());
        assert!(
            batches.iter().all(|b| b.column_by_name("weight").is_some()),
            "{t}: the weight column reads with the key"
        );
    }
}
