//! Command-line tests: success and failure paths of `synth` and `schema check`, a missing input
//! of every command, determinism of the output bytes, and the Parquet round trip. A panic
//! anywhere fails the test.

use std::fs;
use std::path::{Path, PathBuf};

use arrow_array::cast::AsArray;
use arrow_array::types::Int64Type;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::file::reader::{FileReader, SerializedFileReader};
use predicates::prelude::*;

mod common;
use common::{fairsynth, root};

fn no_panic() -> impl Predicate<str> {
    predicate::str::contains("panicked").not()
}

/// Files left in `dir`, to prove that no temporary file survives.
fn entries(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = fs::read_dir(dir)
        .expect("dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

fn synth(out: &Path, extra: &[&str]) -> assert_cmd::assert::Assert {
    fairsynth()
        .args(["synth", "--schema", "schemas/customers.yaml", "-o"])
        .arg(out)
        .args(extra)
        .assert()
}

#[test]
fn synth_writes_declared_types_rows_and_provenance() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("customers.parquet");
    synth(&out, &["--rows", "5000", "--quiet"])
        .success()
        .stderr("");
    assert_eq!(entries(dir.path()), vec!["customers.parquet"]);

    let schema = fairsynth::schema::Schema::from_file(&root().join("schemas/customers.yaml"))
        .expect("valid schema");
    let file = fs::File::open(&out).expect("output exists");
    let builder = ParquetRecordBatchReaderBuilder::try_new(file).expect("valid Parquet");
    let read_schema = builder.schema().clone();
    let want = schema.arrow_schema();
    assert_eq!(read_schema.fields().len(), want.fields().len());
    for (got, want) in read_schema.fields().iter().zip(want.fields()) {
        assert_eq!(got.name(), want.name());
        assert_eq!(got.data_type(), want.data_type(), "type of {}", got.name());
        assert_eq!(
            got.is_nullable(),
            want.is_nullable(),
            "nullability of {}",
            got.name()
        );
    }
    let batches: Vec<_> = builder
        .build()
        .expect("reader")
        .collect::<Result<_, _>>()
        .expect("batches read");
    let rows: usize = batches.iter().map(|b| b.num_rows()).sum();
    assert_eq!(rows, 5000);
    // The id sequence starts where the schema says and runs in row order.
    let ids = batches[0].column(0).as_primitive::<Int64Type>();
    assert_eq!(ids.value(0), 100_001);
    assert_eq!(ids.value(9), 100_010);

    let reader = SerializedFileReader::new(fs::File::open(&out).expect("open")).expect("read");
    let kv = reader
        .metadata()
        .file_metadata()
        .key_value_metadata()
        .expect("key-value metadata")
        .iter()
        .find(|kv| kv.key == "fairsynth")
        .and_then(|kv| kv.value.clone())
        .expect("fairsynth provenance");
    let prov: serde_json::Value = serde_json::from_str(&kv).expect("provenance is JSON");
    let sha = fairsynth::schema::sha256_hex(
        &fs::read(root().join("schemas/customers.yaml")).expect("schema"),
    );
    assert_eq!(prov["schema"]["sha256"], sha.as_str());
    assert_eq!(prov["seed"], 42);
    assert_eq!(prov["rows"], 5000);
    assert_eq!(prov["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(prov["command_line"][1], "synth");
}

#[test]
fn output_bytes_do_not_depend_on_threads_and_follow_the_seed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = |n: &str| dir.path().join(n);
    // 300,000 rows in 65,536-row groups: 5 row groups, more than one parallel window.
    let common = ["--rows", "300000", "--row-group-rows", "65536", "--quiet"];
    let run = |out: &PathBuf, extra: &[&str]| {
        let mut args = common.to_vec();
        args.extend_from_slice(extra);
        synth(out, &args).success();
        fs::read(out).expect("output")
    };
    let one = run(&p("t1.parquet"), &["--threads", "1"]);
    let two = run(&p("t2.parquet"), &["--threads", "2"]);
    let again = run(&p("t2b.parquet"), &["--threads", "2"]);
    let other = run(&p("seed.parquet"), &["--threads", "2", "--seed", "7"]);
    assert!(one == two, "threads 1 and 2 must give identical bytes");
    assert!(two == again, "two runs must give identical bytes");
    assert!(one != other, "another seed must give another file");

    let reader =
        SerializedFileReader::new(fs::File::open(p("t1.parquet")).expect("open")).expect("read");
    assert_eq!(reader.metadata().num_row_groups(), 5);
    assert_eq!(reader.metadata().file_metadata().num_rows(), 300_000);
}

#[test]
fn zero_rows_give_an_empty_file_with_the_full_schema() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("empty.parquet");
    synth(&out, &["--rows", "0", "--quiet"]).success();
    let builder = ParquetRecordBatchReaderBuilder::try_new(fs::File::open(&out).expect("open"))
        .expect("valid Parquet");
    assert_eq!(builder.schema().fields().len(), 16);
    assert_eq!(builder.metadata().file_metadata().num_rows(), 0);
}

#[test]
fn every_compression_reads_back() {
    let dir = tempfile::tempdir().expect("tempdir");
    for c in ["zstd", "snappy", "none"] {
        let out = dir.path().join(format!("{c}.parquet"));
        synth(&out, &["--rows", "2000", "--compression", c, "-q"]).success();
        let n: usize =
            ParquetRecordBatchReaderBuilder::try_new(fs::File::open(&out).expect("open"))
                .expect("valid")
                .build()
                .expect("reader")
                .map(|b| b.expect("batch").num_rows())
                .sum();
        assert_eq!(n, 2000, "{c}");
    }
}

#[test]
fn a_missing_schema_file_is_a_usage_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    fairsynth()
        .args(["synth", "--schema", "schemas/nope.yaml", "-o"])
        .arg(dir.path().join("x.parquet"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "cannot read schema `schemas/nope.yaml`",
        ))
        .stderr(no_panic());
    assert!(entries(dir.path()).is_empty());
}

#[test]
fn bad_yaml_points_at_line_and_column() {
    let dir = tempfile::tempdir().expect("tempdir");
    fairsynth()
        .args([
            "synth",
            "--schema",
            "tests/schema_errors/invalid_yaml.yaml",
            "-o",
        ])
        .arg(dir.path().join("x.parquet"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "tests/schema_errors/invalid_yaml.yaml:6:4: invalid YAML",
        ))
        .stderr(no_panic());
    assert!(entries(dir.path()).is_empty());
}

#[test]
fn a_schema_file_without_yaml_extension_is_refused() {
    fairsynth()
        .args(["schema", "check", "Cargo.toml"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "expected a `.yaml` or `.yml` extension",
        ));
}

#[test]
fn unknown_flags_and_bad_values_are_usage_errors() {
    for args in [
        vec![
            "synth",
            "--schema",
            "schemas/customers.yaml",
            "-o",
            "x.parquet",
            "--bogus",
        ],
        vec![
            "synth",
            "--schema",
            "schemas/customers.yaml",
            "-o",
            "x.parquet",
            "--rows",
            "-5",
        ],
        vec![
            "synth",
            "--schema",
            "schemas/customers.yaml",
            "-o",
            "x.parquet",
            "--threads",
            "0",
        ],
        vec![
            "synth",
            "--schema",
            "schemas/customers.yaml",
            "-o",
            "x.parquet",
            "--compression",
            "lzma",
        ],
        vec!["synth", "--schema", "schemas/customers.yaml"],
        vec!["frobnicate"],
    ] {
        fairsynth()
            .args(&args)
            .assert()
            .code(2)
            .stderr(predicate::str::contains("error"))
            .stderr(no_panic());
    }
    assert!(!root().join("x.parquet").exists());
}

#[test]
fn an_unwritable_output_fails_cleanly() {
    let dir = tempfile::tempdir().expect("tempdir");
    // A directory that does not exist.
    let out = dir.path().join("missing/sub/out.parquet");
    synth(&out, &["--rows", "10"])
        .code(1)
        .stderr(predicate::str::contains("the directory"))
        .stderr(predicate::str::contains("does not exist"))
        .stderr(no_panic());
    // A directory where the file should go.
    synth(dir.path(), &["--rows", "10"])
        .code(1)
        .stderr(predicate::str::contains("it is a directory"))
        .stderr(no_panic());
    assert!(entries(dir.path()).is_empty());
}

#[test]
fn the_output_never_overwrites_an_input() {
    let dir = tempfile::tempdir().expect("tempdir");
    let schema = dir.path().join("s.yaml");
    fs::copy(root().join("schemas/customers.yaml"), &schema).expect("copy");
    let before = fs::read(&schema).expect("read");
    fairsynth()
        .args(["synth", "--schema"])
        .arg(&schema)
        .arg("-o")
        .arg(&schema)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("refusing to overwrite the input"));
    assert_eq!(fs::read(&schema).expect("read"), before);
}

#[test]
fn a_failure_midway_leaves_no_partial_file_and_keeps_the_old_one() {
    let dir = tempfile::tempdir().expect("tempdir");
    let schema = dir.path().join("overflow.yaml");
    fs::write(
        &schema,
        "version: 1\nname: overflow\ncolumns:\n  - name: id\n    type: int\n    bits: 32\n    generator: {kind: sequence, start: 2147333647}\n",
    )
    .expect("write");
    let out = dir.path().join("out.parquet");
    fs::write(&out, b"previous contents").expect("write");
    fairsynth()
        .args(["synth", "--schema"])
        .arg(&schema)
        // One thread, 65,536-row groups: two row groups are written before block 2 fails.
        .args([
            "--rows",
            "300000",
            "--threads",
            "1",
            "--row-group-rows",
            "65536",
            "-o",
        ])
        .arg(&out)
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "column `id`: the sequence leaves the range of its integer type at row 150001",
        ))
        .stderr(no_panic());
    assert_eq!(fs::read(&out).expect("kept"), b"previous contents");
    assert_eq!(entries(dir.path()), vec!["out.parquet", "overflow.yaml"]);
}

#[test]
fn synth_refuses_columns_without_a_generator() {
    let dir = tempfile::tempdir().expect("tempdir");
    let schema = dir.path().join("s.yaml");
    fs::write(
        &schema,
        "version: 1\nname: s\ncolumns:\n  - name: a\n    type: category\n    levels: [x, y]\n",
    )
    .expect("write");
    fairsynth()
        .args(["synth", "--schema"])
        .arg(&schema)
        .arg("-o")
        .arg(dir.path().join("o.parquet"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "cannot synthesise: column `a` (line 4) has no generator",
        ));
    fairsynth()
        .args(["schema", "check"])
        .arg(&schema)
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "not synthesisable: no generator for a",
        ));
}

#[test]
fn schema_check_accepts_the_shipped_schemas() {
    fairsynth()
        .args(["schema", "check", "schemas/customers.yaml"])
        .assert()
        .success()
        .stdout("schemas/customers.yaml: ok (16 columns, 2 targets; synthesisable)\n");
}

#[test]
fn schema_check_reports_each_file_and_fails_if_any_fails() {
    fairsynth()
        .args([
            "schema",
            "check",
            "schemas/customers.yaml",
            "tests/schema_errors/unknown_role.yaml",
        ])
        .assert()
        .code(2)
        .stdout(predicate::str::contains("schemas/customers.yaml: ok"))
        .stderr(predicate::str::contains("unknown role `protcted`"))
        .stderr(predicate::str::contains(
            "1 of 2 schema files failed the check",
        ));
}

#[test]
fn help_and_version_succeed() {
    fairsynth()
        .arg("--help")
        .assert()
        .success()
        .stdout(predicate::str::contains("synth"));
    fairsynth()
        .arg("--version")
        .assert()
        .success()
        .stdout(predicate::str::contains(env!("CARGO_PKG_VERSION")));
}

#[test]
fn a_missing_input_is_named_before_the_schema_is_read() {
    // `schemas/shop.yaml` declares linked tables: a mistyped folder must be reported as
    // missing, not blamed on the schema ("this command takes one table").
    let dir = tempfile::tempdir().expect("tempdir");
    let shop = dir.path().join("shop");
    let out = dir.path().join("out");
    let s = "schemas/shop.yaml";
    let runs: Vec<Vec<std::ffi::OsString>> = vec![
        vec![
            "audit".into(),
            shop.clone().into(),
            "--schema".into(),
            s.into(),
        ],
        vec!["inspect".into(), shop.clone().into()],
        vec![
            "fit".into(),
            shop.clone().into(),
            "--schema".into(),
            s.into(),
            "-o".into(),
            out.clone().into(),
        ],
        vec![
            "reweight".into(),
            shop.clone().into(),
            "--schema".into(),
            s.into(),
            "-o".into(),
            out.clone().into(),
        ],
        vec![
            "deidentify".into(),
            shop.clone().into(),
            "--schema".into(),
            s.into(),
            "-o".into(),
            out.clone().into(),
        ],
        vec![
            "evaluate".into(),
            "--real".into(),
            shop.clone().into(),
            "--synthetic".into(),
            shop.clone().into(),
            "--schema".into(),
            s.into(),
        ],
        vec![
            "sample".into(),
            shop.clone().into(),
            "-o".into(),
            out.clone().into(),
        ],
    ];
    for args in runs {
        let assert = fairsynth().args(&args).assert().code(2);
        let stderr = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
        assert!(
            stderr.contains("no such file or folder: `") && stderr.contains("shop`"),
            "{args:?}: {stderr}"
        );
        assert!(!stderr.contains("linked tables;"), "{args:?}: {stderr}");
        assert!(!out.exists(), "{args:?}");
    }
}
