//! Encrypted Parquet: round trips through the CLI and the library reader, projection without a
//! column's key, plaintext footers, nothing of an encrypted column in plaintext (values,
//! statistics), and golden messages for every key error (`tests/golden/keys/`; regenerate
//! with `BLESS=1 cargo test --test encryption` and review the diff).

mod common;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow_array::{ArrayRef, Int64Array, RecordBatch, StringArray};
use arrow_schema::{DataType, Field};
use base64::Engine as _;
use fairsynth::io::crypt::{self, Access, MasterKeys};
use fairsynth::io::read::{open_parquet, Format, Reader};
use fairsynth::io::{Input, Output, Sink};
use fairsynth::schema::{Encryption, Schema};

use common::{fairsynth, root};

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

fn schema_path() -> PathBuf {
    root().join("schemas/customers.yaml")
}

fn customers() -> Schema {
    Schema::from_file(&schema_path()).expect("schema")
}

/// A key file with the given IDs and key lengths, in `dir`; returns its path and the keys.
fn key_file(dir: &Path, name: &str, keys: &[(&str, Vec<u8>)]) -> PathBuf {
    let text: String = keys
        .iter()
        .map(|(id, k)| format!("{id}: {}\n", B64.encode(k)))
        .collect();
    let p = dir.join(name);
    std::fs::write(&p, text).expect("key file");
    p
}

fn keys() -> Vec<(&'static str, Vec<u8>)> {
    vec![
        ("auditor", (0..16).collect()),
        ("footer", (100..132).collect()),
    ]
}

fn master(keys: &[(&str, Vec<u8>)]) -> MasterKeys {
    keys.iter()
        .fold(MasterKeys::none(), |m, (id, k)| m.with_key(id, k.clone()))
}

/// `synth` of the customers schema, 3000 rows, with extra flags.
fn synth(dir: &Path, out: &str, flags: &[&str]) {
    fairsynth()
        .args(["synth", "--schema"])
        .arg(schema_path())
        .args(["--rows", "3000", "--seed", "5", "-q", "-o"])
        .arg(dir.join(out))
        .args(flags)
        .assert()
        .success();
}

/// Every batch of `path` read with `schema` under `access`, concatenated per column.
fn read_all(path: &Path, schema: &Schema, access: Access) -> Result<Vec<RecordBatch>, String> {
    let _g = crypt::enter(access);
    let input = Input::file(path, Format::Parquet);
    let r = Reader::open(&input, schema).map_err(|e| e.to_string())?;
    r.collect::<Result<Vec<_>, _>>().map_err(|e| e.to_string())
}

fn no_policy(keys: &[(&str, Vec<u8>)]) -> Access {
    Access {
        kms: Arc::new(master(keys)),
        policy: None,
        tables: Vec::new(),
    }
}

#[test]
fn encrypted_files_read_back_equal_to_plaintext_ones() {
    let dir = tempfile::tempdir().expect("dir");
    let kf = key_file(dir.path(), "keys.txt", &keys());
    let kf = kf.to_str().expect("utf-8");
    synth(dir.path(), "plain.parquet", &[]);
    synth(
        dir.path(),
        "enc.parquet",
        &[
            "--keys",
            kf,
            "--encrypt",
            "auditor=role:protected",
            "--footer-key",
            "footer",
        ],
    );
    synth(
        dir.path(),
        "signed.parquet",
        &[
            "--keys",
            kf,
            "--encrypt",
            "auditor=role:protected,income",
            "--footer-key",
            "footer",
            "--plaintext-footer",
        ],
    );
    let s = customers();
    let plain = read_all(&dir.path().join("plain.parquet"), &s, no_policy(&[])).expect("plain");
    for f in ["enc.parquet", "signed.parquet"] {
        let got = read_all(&dir.path().join(f), &s, no_policy(&keys())).expect(f);
        assert_eq!(
            got, plain,
            "{f}: decrypted rows differ from the plaintext file's"
        );
    }
    // The encrypted footer ends with PARE, the signed plaintext one with PAR1.
    let enc = std::fs::read(dir.path().join("enc.parquet")).expect("read");
    assert_eq!(&enc[enc.len() - 4..], b"PARE");
    let signed = std::fs::read(dir.path().join("signed.parquet")).expect("read");
    assert_eq!(&signed[signed.len() - 4..], b"PAR1");
}

#[test]
fn without_a_columns_key_the_other_columns_read_and_that_one_fails_clearly() {
    let dir = tempfile::tempdir().expect("dir");
    let kf = key_file(dir.path(), "keys.txt", &keys());
    synth(
        dir.path(),
        "enc.parquet",
        &[
            "--keys",
            kf.to_str().expect("utf-8"),
            "--encrypt",
            "auditor=role:protected",
            "--footer-key",
            "footer",
        ],
    );
    let path = dir.path().join("enc.parquet");
    let only_footer = vec![keys()[1].clone()];
    let s = customers();
    // Declared and encrypted: a clear error naming the column and the key ID.
    let err = read_all(&path, &s, no_policy(&only_footer)).expect_err("no auditor key");
    assert!(
        err.contains("column `sex`") && err.contains("master key `auditor`"),
        "{err}"
    );
    // The columns the reader may read: every one but the protected ones.
    let protected: Vec<String> = s.encryption_columns_for_test();
    let readable = s.without_columns(&protected);
    let got = read_all(&path, &readable, no_policy(&only_footer)).expect("projection");
    assert_eq!(got.iter().map(|b| b.num_rows()).sum::<usize>(), 3000);
    assert!(got[0].schema().field_with_name("sex").is_err());
    assert!(got[0].schema().field_with_name("churned").is_ok());
    // The library says which columns are locked and why.
    let _g = crypt::enter(no_policy(&only_footer));
    let locked = open_parquet(&path).expect("open").locked;
    let names: Vec<&str> = locked.iter().map(|l| l.column.as_str()).collect();
    assert_eq!(
        names,
        protected.iter().map(String::as_str).collect::<Vec<_>>()
    );
    assert!(locked
        .iter()
        .all(|l| l.key_id.as_deref() == Some("auditor")));
}

/// Test-only helper: the schema's protected columns (what `--encrypt auditor=role:protected`
/// selects).
trait ProtectedColumns {
    fn encryption_columns_for_test(&self) -> Vec<String>;
}

impl ProtectedColumns for Schema {
    fn encryption_columns_for_test(&self) -> Vec<String> {
        self.columns
            .iter()
            .filter(|c| c.has_role(fairsynth::schema::Role::Protected))
            .map(|c| c.name.clone())
            .collect()
    }
}

#[test]
fn a_plaintext_footer_reads_without_any_key_for_the_unencrypted_columns() {
    let dir = tempfile::tempdir().expect("dir");
    let kf = key_file(dir.path(), "keys.txt", &keys());
    synth(
        dir.path(),
        "signed.parquet",
        &[
            "--keys",
            kf.to_str().expect("utf-8"),
            "--encrypt",
            "auditor=role:protected",
            "--footer-key",
            "footer",
            "--plaintext-footer",
        ],
    );
    let path = dir.path().join("signed.parquet");
    let s = customers();
    let readable = s.without_columns(&s.encryption_columns_for_test());
    let got = read_all(&path, &readable, no_policy(&[])).expect("no keys at all");
    assert_eq!(got.iter().map(|b| b.num_rows()).sum::<usize>(), 3000);
    let plain = {
        synth(dir.path(), "plain.parquet", &[]);
        read_all(&dir.path().join("plain.parquet"), &readable, no_policy(&[])).expect("plain")
    };
    assert_eq!(got.len(), plain.len());
    // The plaintext file passes the undeclared `sex` and `age` through; the encrypted one
    // leaves them out (no key). Every column read equals the plaintext file's.
    for (g, p) in got.iter().zip(&plain) {
        assert!(g.schema().field_with_name("sex").is_err());
        assert!(p.schema().field_with_name("sex").is_ok());
        for (i, f) in g.schema().fields().iter().enumerate() {
            let want = p.column_by_name(f.name()).expect("same column");
            assert_eq!(g.column(i), want, "column {}", f.name());
        }
    }
    // The same file with an encrypted footer needs the footer key.
    synth(
        dir.path(),
        "enc.parquet",
        &[
            "--keys",
            kf.to_str().expect("utf-8"),
            "--encrypt",
            "auditor=role:protected",
            "--footer-key",
            "footer",
        ],
    );
    let err = read_all(&dir.path().join("enc.parquet"), &readable, no_policy(&[]))
        .expect_err("encrypted footer");
    assert!(err.contains("no master key `footer`"), "{err}");
}

/// A file of two string columns written through the library's one sink under a policy that
/// encrypts `secret`: returns its bytes.
fn sentinel_file(dir: &Path, plaintext_footer: bool) -> PathBuf {
    let schema = Arc::new(arrow_schema::Schema::new(vec![
        Field::new("secret", DataType::Utf8, false),
        Field::new("open", DataType::Utf8, false),
        Field::new("n", DataType::Int64, false),
    ]));
    let secret: ArrayRef = Arc::new(StringArray::from_iter_values(
        (0..5000).map(|i| format!("SENTINEL-{:04}-zq", i % 7)),
    ));
    let open: ArrayRef = Arc::new(StringArray::from_iter_values(
        (0..5000).map(|i| format!("VISIBLE-{:04}-zq", i % 7)),
    ));
    let n: ArrayRef = Arc::new(Int64Array::from_iter_values(0..5000));
    let batch = RecordBatch::try_new(schema.clone(), vec![secret, open, n]).expect("batch");
    let path = dir.join(format!("sentinel-{plaintext_footer}.parquet"));
    let _g = crypt::enter(Access {
        kms: Arc::new(master(&keys())),
        policy: Some(Encryption {
            footer_key: "footer".into(),
            plaintext_footer,
            columns: vec![("secret".into(), "auditor".into())],
        }),
        tables: Vec::new(),
    });
    let mut sink = Sink::create(
        Output::Parquet(&path),
        schema,
        fairsynth::io::writer_properties(fairsynth::io::Compression::None),
    )
    .expect("sink");
    sink.write_row_groups(&[&batch], |b, encode| encode(b))
        .expect("write");
    sink.add_metadata(
        fairsynth::io::METADATA_KEY,
        r#"{"tool":"fairsynth"}"#.into(),
    );
    sink.finish().expect("finish");
    path
}

#[test]
fn no_value_or_statistic_of_an_encrypted_column_is_in_plaintext() {
    let dir = tempfile::tempdir().expect("dir");
    for plaintext_footer in [false, true] {
        let path = sentinel_file(dir.path(), plaintext_footer);
        let bytes = std::fs::read(&path).expect("read");
        let has = |s: &str| memchr::memmem::find(&bytes, s.as_bytes()).is_some();
        assert!(
            !has("SENTINEL-"),
            "an encrypted value is in the file's bytes"
        );
        if plaintext_footer {
            // The control: the unencrypted column's values are there, uncompressed.
            assert!(has("VISIBLE-"), "the unencrypted column should be readable");
        }
        // Read with the keys: no statistics, page index or bloom filter for `secret`.
        let _g = crypt::enter(no_policy(&keys()));
        let opened = open_parquet(&path).expect("open");
        let meta = opened.builder.metadata();
        for rg in meta.row_groups() {
            let secret = rg.column(0);
            assert!(secret.statistics().is_none(), "statistics of `secret`");
            assert!(secret.bloom_filter_offset().is_none());
            assert!(
                secret.column_index_offset().is_none(),
                "column index of `secret`"
            );
            assert!(
                rg.column(1).statistics().is_some(),
                "control: `open` has statistics"
            );
        }
        // The provenance names the key ID and never a key.
        let prov = meta
            .file_metadata()
            .key_value_metadata()
            .and_then(|kv| kv.iter().find(|k| k.key == "fairsynth"))
            .and_then(|k| k.value.clone())
            .expect("provenance");
        assert!(prov.contains(r#""secret":"auditor""#), "{prov}");
        for (_, k) in keys() {
            assert!(!prov.contains(&B64.encode(&k)));
        }
    }
    // Without any key, the plaintext footer's statistics of `secret` are absent too.
    let path = sentinel_file(dir.path(), true);
    let _g = crypt::enter(no_policy(&[]));
    let opened = open_parquet(&path).expect("open without keys");
    assert!(opened.footer_unverified);
    for rg in opened.builder.metadata().row_groups() {
        assert!(rg.column(0).statistics().is_none());
    }
}

#[test]
fn every_file_gets_fresh_data_keys() {
    let dir = tempfile::tempdir().expect("dir");
    let a = std::fs::read(sentinel_file(dir.path(), true)).expect("a");
    let b = std::fs::read(sentinel_file(dir.path(), true)).expect("b");
    assert_ne!(a, b, "two files with the same content and keys must differ");
}

/// The audit without the protected columns' key says so; with it, it computes parity.
#[test]
fn audit_without_the_auditor_key_names_what_it_left_out() {
    let dir = tempfile::tempdir().expect("dir");
    let all = key_file(dir.path(), "all.txt", &keys());
    let team = key_file(dir.path(), "team.txt", &keys()[1..]);
    synth(
        dir.path(),
        "t.parquet",
        &[
            "--keys",
            all.to_str().expect("utf-8"),
            "--encrypt",
            "auditor=role:protected",
            "--footer-key",
            "footer",
        ],
    );
    let run = |kf: &Path| {
        let out = fairsynth()
            .args(["audit", "--schema"])
            .arg(schema_path())
            .arg(dir.path().join("t.parquet"))
            .arg("--keys")
            .arg(kf)
            .output()
            .expect("runs");
        String::from_utf8(out.stderr).expect("utf-8")
    };
    let team = run(&team);
    assert!(
        team.contains(
            "column `sex` is encrypted under master key `auditor` and its key was not given"
        ),
        "{team}"
    );
    assert!(!team.contains("by sex: SPD"), "{team}");
    let auditor = run(&all);
    assert!(auditor.contains("churned = true by sex: SPD"), "{auditor}");
    assert!(!auditor.contains("is encrypted"), "{auditor}");
}

/// One key-error case: a command run in `dir` (relative paths, so messages are stable).
struct Case {
    name: &'static str,
    args: Vec<String>,
    env: Vec<(String, String)>,
}

#[test]
fn every_key_error_gives_its_golden_message() {
    let dir = tempfile::tempdir().expect("dir");
    let d = dir.path();
    std::fs::copy(schema_path(), d.join("customers.yaml")).expect("schema");
    let good = keys();
    key_file(d, "keys.txt", &good);
    key_file(d, "footer_only.txt", &good[1..]);
    key_file(
        d,
        "other.txt",
        &[("auditor", vec![9; 16]), ("footer", good[1].1.clone())],
    );
    key_file(d, "short.txt", &[("auditor", vec![1; 10])]);
    key_file(d, "k192.txt", &[("auditor", vec![1; 24])]);
    std::fs::write(d.join("base64.txt"), "auditor: not*base64!\n").expect("w");
    std::fs::write(d.join("nocolon.txt"), "# keys\nauditor AAAA\n").expect("w");
    std::fs::write(d.join("noid.txt"), ": AAAAAAAAAAAAAAAAAAAAAA==\n").expect("w");
    std::fs::write(
        d.join("twice.txt"),
        format!(
            "auditor: {}\n\nauditor: {}\n",
            B64.encode(&good[0].1),
            B64.encode(&good[0].1)
        ),
    )
    .expect("w");
    std::fs::write(d.join("latin1.txt"), b"auditor: \xe9\n").expect("w");
    std::fs::write(d.join("empty.txt"), "# no keys\n").expect("w");
    let synth_enc = |out: &str, kf: &str| -> Vec<String> {
        [
            "synth",
            "--schema",
            "customers.yaml",
            "--rows",
            "1000",
            "-q",
            "-o",
            out,
            "--keys",
            kf,
            "--encrypt",
            "auditor=role:protected",
            "--footer-key",
            "footer",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect()
    };
    // The files the read cases open.
    for (out, flags) in [
        ("enc.parquet", vec![]),
        ("signed.parquet", vec!["--plaintext-footer"]),
    ] {
        let mut c = fairsynth();
        c.current_dir(d)
            .args(synth_enc(out, "keys.txt"))
            .args(flags);
        c.assert().success();
    }
    explicit_key_file(&d.join("explicit.parquet"));
    let audit = |file: &str, kf: Option<&str>| -> Vec<String> {
        let mut v: Vec<String> = ["audit", "--schema", "customers.yaml", file]
            .iter()
            .map(|s| s.to_string())
            .collect();
        if let Some(k) = kf {
            v.extend(["--keys".into(), k.into()]);
        }
        v
    };
    let reweight = |file: &str, kf: &str| -> Vec<String> {
        [
            "reweight",
            "--schema",
            "customers.yaml",
            file,
            "-o",
            "w.parquet",
            "--keys",
            kf,
        ]
        .iter()
        .map(|s| s.to_string())
        .collect()
    };
    let strs = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let cases = vec![
        Case {
            name: "write_missing_master_key",
            args: synth_enc("x.parquet", "footer_only.txt"),
            env: vec![],
        },
        Case {
            name: "key_file_short_key",
            args: synth_enc("x.parquet", "short.txt"),
            env: vec![],
        },
        Case {
            name: "key_file_192_bit_key",
            args: synth_enc("x.parquet", "k192.txt"),
            env: vec![],
        },
        Case {
            name: "key_file_not_base64",
            args: synth_enc("x.parquet", "base64.txt"),
            env: vec![],
        },
        Case {
            name: "key_file_no_colon",
            args: synth_enc("x.parquet", "nocolon.txt"),
            env: vec![],
        },
        Case {
            name: "key_file_no_id",
            args: synth_enc("x.parquet", "noid.txt"),
            env: vec![],
        },
        Case {
            name: "key_file_twice",
            args: synth_enc("x.parquet", "twice.txt"),
            env: vec![],
        },
        Case {
            name: "key_file_not_utf8",
            args: synth_enc("x.parquet", "latin1.txt"),
            env: vec![],
        },
        Case {
            name: "key_file_missing",
            args: synth_enc("x.parquet", "nowhere.txt"),
            env: vec![],
        },
        Case {
            name: "env_key_not_base64",
            args: synth_enc("x.parquet", "footer_only.txt"),
            env: vec![("FAIRSYNTH_KEY_auditor".into(), "%%%".into())],
        },
        Case {
            name: "env_key_short",
            args: synth_enc("x.parquet", "footer_only.txt"),
            env: vec![("FAIRSYNTH_KEY_auditor".into(), "AAAA".into())],
        },
        Case {
            name: "read_encrypted_footer_no_key",
            args: audit("enc.parquet", None),
            env: vec![],
        },
        Case {
            name: "read_wrong_column_key",
            args: reweight("enc.parquet", "other.txt"),
            env: vec![],
        },
        Case {
            name: "read_missing_column_key",
            args: reweight("enc.parquet", "footer_only.txt"),
            env: vec![],
        },
        Case {
            name: "read_signed_footer_no_key",
            args: reweight("signed.parquet", "empty.txt"),
            env: vec![],
        },
        Case {
            name: "read_explicit_keys",
            args: audit("explicit.parquet", Some("keys.txt")),
            env: vec![],
        },
        Case {
            name: "flag_bad_key_id",
            args: strs(&[
                "synth",
                "--schema",
                "customers.yaml",
                "-o",
                "x.parquet",
                "--encrypt",
                "audit-team=sex",
                "--footer-key",
                "footer",
            ]),
            env: vec![],
        },
        Case {
            name: "flag_unknown_role",
            args: strs(&[
                "synth",
                "--schema",
                "customers.yaml",
                "-o",
                "x.parquet",
                "--encrypt",
                "auditor=role:protect",
                "--footer-key",
                "footer",
            ]),
            env: vec![],
        },
        Case {
            name: "flag_unknown_column",
            args: strs(&[
                "synth",
                "--schema",
                "customers.yaml",
                "-o",
                "x.parquet",
                "--encrypt",
                "auditor=gender",
                "--footer-key",
                "footer",
            ]),
            env: vec![],
        },
        Case {
            name: "flag_no_footer_key",
            args: strs(&[
                "synth",
                "--schema",
                "customers.yaml",
                "-o",
                "x.parquet",
                "--encrypt",
                "auditor=sex",
            ]),
            env: vec![],
        },
        Case {
            name: "flag_column_under_two_keys",
            args: strs(&[
                "synth",
                "--schema",
                "customers.yaml",
                "-o",
                "x.parquet",
                "--encrypt",
                "auditor=sex",
                "--encrypt",
                "other=role:protected",
                "--footer-key",
                "footer",
            ]),
            env: vec![],
        },
    ];
    let golden_dir = root().join("tests/golden/keys");
    std::fs::create_dir_all(&golden_dir).expect("golden dir");
    let bless = std::env::var_os("BLESS").is_some();
    let secrets: Vec<String> = good
        .iter()
        .map(|(_, k)| B64.encode(k))
        .chain([
            B64.encode([9u8; 16]),
            B64.encode([1u8; 10]),
            B64.encode([1u8; 24]),
        ])
        .collect();
    let mut failures = Vec::new();
    for c in &cases {
        let mut cmd = fairsynth();
        cmd.current_dir(d)
            .args(&c.args)
            .env_remove("FAIRSYNTH_KEY_auditor");
        for (k, v) in &c.env {
            cmd.env(k, v);
        }
        let out = cmd.output().expect("runs");
        let stderr = String::from_utf8(out.stderr).expect("utf-8");
        assert!(!out.status.success(), "{}: should fail\n{stderr}", c.name);
        assert!(!stderr.contains("panicked"), "{}: panic\n{stderr}", c.name);
        for s in &secrets {
            assert!(
                !stderr.contains(s.as_str()),
                "{}: a key is in the message",
                c.name
            );
        }
        assert!(
            !d.join("x.parquet").exists() && !d.join("w.parquet").exists(),
            "{}: partial output",
            c.name
        );
        let golden = golden_dir.join(format!("{}.stderr", c.name));
        if bless {
            std::fs::write(&golden, &stderr).expect("bless");
            continue;
        }
        let want = std::fs::read_to_string(&golden)
            .unwrap_or_else(|_| panic!("missing {}; run with BLESS=1", golden.display()));
        if want != stderr {
            failures.push(format!("{}\n--- want\n{want}\n--- got\n{stderr}", c.name));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// A file encrypted with explicit keys (no key-management tools): its key metadata is not
/// PKMT1 material.
fn explicit_key_file(path: &Path) {
    use parquet::arrow::ArrowWriter;
    use parquet::encryption::encrypt::FileEncryptionProperties;
    let schema = Arc::new(arrow_schema::Schema::new(vec![Field::new(
        "customer_id",
        DataType::Int64,
        false,
    )]));
    let enc = FileEncryptionProperties::builder(vec![3; 16])
        .with_footer_key_metadata(b"kf".to_vec())
        .build()
        .expect("props");
    let props = parquet::file::properties::WriterProperties::builder()
        .with_file_encryption_properties(enc)
        .build();
    let file = std::fs::File::create(path).expect("create");
    let mut w = ArrowWriter::try_new(file, schema.clone(), Some(props)).expect("writer");
    let col: ArrayRef = Arc::new(Int64Array::from(vec![1, 2, 3]));
    w.write(&RecordBatch::try_new(schema, vec![col]).expect("batch"))
        .expect("write");
    w.close().expect("close");
}

/// `reweight`, `deidentify` and `sample` apply the policy as `synth` does: an encrypted footer,
/// the protected columns under the auditor's key, the provenance naming the key IDs.
#[test]
fn every_command_that_writes_parquet_applies_the_policy() {
    let dir = tempfile::tempdir().expect("dir");
    let d = dir.path();
    let kf = key_file(d, "keys.txt", &keys());
    synth(d, "plain.parquet", &[]);
    let enc = |out: &str| -> Vec<String> {
        [
            "-o",
            d.join(out).to_str().expect("utf-8"),
            "--keys",
            kf.to_str().expect("utf-8"),
            "--encrypt",
            "auditor=role:protected",
            "--footer-key",
            "footer",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect()
    };
    let plain = d.join("plain.parquet");
    let schema = schema_path();
    fairsynth()
        .arg("reweight")
        .arg("--schema")
        .arg(&schema)
        .arg(&plain)
        .args(enc("reweighted.parquet"))
        .assert()
        .success();
    // k-anonymity needs more rows than the other commands.
    let big = d.join("big.parquet");
    fairsynth()
        .args(["synth", "--schema"])
        .arg(&schema)
        .args(["--rows", "30000", "-q", "-o"])
        .arg(&big)
        .assert()
        .success();
    fairsynth()
        .arg("deidentify")
        .arg("--schema")
        .arg(&schema)
        .arg(&big)
        .args(enc("deidentified.parquet"))
        .env(
            "FAIRSYNTH_KEY",
            "a pseudonymisation key for the encryption tests",
        )
        .assert()
        .success();
    fairsynth()
        .arg("fit")
        .arg("--schema")
        .arg(&schema)
        .arg(&plain)
        .arg("-o")
        .arg(d.join("model.json"))
        .assert()
        .success();
    fairsynth()
        .arg("sample")
        .arg(d.join("model.json"))
        .args(["--rows", "1000", "-q"])
        .args(enc("sampled.parquet"))
        .assert()
        .success();
    for f in [
        "reweighted.parquet",
        "deidentified.parquet",
        "sampled.parquet",
    ] {
        let path = d.join(f);
        let bytes = std::fs::read(&path).expect(f);
        assert_eq!(&bytes[bytes.len() - 4..], b"PARE", "{f}: encrypted footer");
        // Without keys: refused, naming the footer key.
        {
            let _g = crypt::enter(no_policy(&[]));
            let err = open_parquet(&path).err().expect("no keys").to_string();
            assert!(err.contains("master key `footer`"), "{f}: {err}");
        }
        let _g = crypt::enter(no_policy(&keys()));
        let opened = open_parquet(&path).expect(f);
        assert!(opened.locked.is_empty(), "{f}");
        let prov = opened
            .builder
            .metadata()
            .file_metadata()
            .key_value_metadata()
            .and_then(|kv| kv.iter().find(|k| k.key == "fairsynth"))
            .and_then(|k| k.value.clone())
            .expect("provenance");
        let v: serde_json::Value = serde_json::from_str(&prov).expect("json");
        assert_eq!(v["encryption"]["columns"]["sex"], "auditor", "{f}: {prov}");
        assert_eq!(v["encryption"]["footer_key"], "footer", "{f}");
    }
}

/// A policy that encrypts no column of a file under a plaintext footer writes the file in
/// plaintext (Parquet would otherwise encrypt every column under the footer key, locking the
/// columns a plaintext footer promises); a file encrypted that way by another writer reads
/// with its columns named as locked, not as a decoding error.
#[test]
fn a_plaintext_footer_with_no_column_to_encrypt_is_a_plain_file() {
    use fairsynth::io::crypt::{KeyMaterial, KmsClient};
    use parquet::arrow::ArrowWriter;
    use parquet::encryption::encrypt::FileEncryptionProperties;
    let dir = tempfile::tempdir().expect("dir");
    let kf = key_file(dir.path(), "keys.txt", &keys());
    synth(
        dir.path(),
        "footer_only.parquet",
        &[
            "--keys",
            kf.to_str().expect("utf-8"),
            "--footer-key",
            "footer",
            "--plaintext-footer",
        ],
    );
    let f = std::fs::File::open(dir.path().join("footer_only.parquet")).expect("open");
    let rows: usize = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(f)
        .and_then(|b| b.build())
        .expect("plain Parquet")
        .map(|b| b.expect("batch").num_rows())
        .sum();
    assert_eq!(rows, 3000);

    // Uniform encryption (no column key) under a plaintext footer, as pyarrow can write it.
    let schema = Arc::new(arrow_schema::Schema::new(vec![
        Field::new("a", DataType::Int64, false),
        Field::new("b", DataType::Utf8, false),
    ]));
    let batch = RecordBatch::try_new(
        schema.clone(),
        vec![
            Arc::new(Int64Array::from_iter_values(0..10)) as ArrayRef,
            Arc::new(StringArray::from_iter_values(
                (0..10).map(|i| format!("v{i}")),
            )),
        ],
    )
    .expect("batch");
    let footer_key: Vec<u8> = (200..216).collect();
    let wrapped = master(&keys())
        .wrap_key(&footer_key, "footer")
        .expect("wrap");
    let enc = FileEncryptionProperties::builder(footer_key)
        .with_plaintext_footer(true)
        .with_footer_key_metadata(
            KeyMaterial::single(true, "footer", wrapped)
                .to_json()
                .into_bytes(),
        )
        .build()
        .expect("properties");
    let props = parquet::file::properties::WriterProperties::builder()
        .with_file_encryption_properties(enc)
        .build();
    let path = dir.path().join("uniform.parquet");
    let mut w = ArrowWriter::try_new(
        std::fs::File::create(&path).expect("create"),
        schema,
        Some(props),
    )
    .expect("writer");
    w.write(&batch).expect("write");
    w.close().expect("close");
    {
        let _g = crypt::enter(no_policy(&[]));
        let opened = open_parquet(&path).expect("open without keys");
        let locked: Vec<&str> = opened.locked.iter().map(|l| l.column.as_str()).collect();
        assert_eq!(locked, ["a", "b"]);
        assert!(
            opened.locked[0].reason.contains("footer key")
                && opened.locked[0].reason.contains("no master key `footer`"),
            "{}",
            opened.locked[0].reason
        );
    }
    let _g = crypt::enter(no_policy(&keys()));
    assert!(open_parquet(&path)
        .expect("open with keys")
        .locked
        .is_empty());
}

/// `reweight --encrypt KEY=weight`: the weight column reweight adds (named by
/// `--weight-column`) can be encrypted like a declared column.
#[test]
fn reweight_encrypts_the_weight_column_it_adds() {
    let dir = tempfile::tempdir().expect("dir");
    let d = dir.path();
    let kf = key_file(d, "keys.txt", &keys());
    synth(d, "plain.parquet", &[]);
    for (column, flags) in [("weight", vec![]), ("w", vec!["--weight-column", "w"])] {
        let path = d.join(format!("{column}.parquet"));
        fairsynth()
            .arg("reweight")
            .arg("--schema")
            .arg(schema_path())
            .arg(d.join("plain.parquet"))
            .args(flags)
            .arg("-o")
            .arg(&path)
            .arg("--keys")
            .arg(&kf)
            .args(["--encrypt", &format!("auditor={column}")])
            .args(["--footer-key", "footer", "--plaintext-footer", "-q"])
            .assert()
            .success();
        // Without the auditor's key the weights are locked; every other column reads.
        let _g = crypt::enter(no_policy(&keys()[1..]));
        let locked: Vec<String> = open_parquet(&path)
            .expect("open")
            .locked
            .into_iter()
            .map(|l| l.column)
            .collect();
        assert_eq!(locked, vec![column.to_string()]);
    }
}
