//! Golden tests for the errors and warnings of the detection safety net, the re-scan after
//! `redact`, and key handling: the exact stderr is compared with `tests/golden/*.stderr`.
//! Set `FAIRSYNTH_BLESS=1` to rewrite the golden files after an intended change.

use std::fs;
use std::path::{Path, PathBuf};

mod common;
use common::{fairsynth, root};

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    fs::write(&p, text).expect("write");
    p
}

/// Compares `stderr` with the golden file `name`, with the temporary folder written `TMP`.
fn golden(name: &str, stderr: &[u8], tmp: &Path) {
    let text = String::from_utf8_lossy(stderr).replace(&tmp.display().to_string(), "TMP");
    let path = root().join("tests/golden").join(name);
    if std::env::var_os("FAIRSYNTH_BLESS").is_some() {
        fs::write(&path, &text).expect("bless");
    }
    let want = fs::read_to_string(&path).expect("golden file");
    assert_eq!(text, want, "{name}");
}

/// 200 notes, 18 of them (9%) naming a different person.
fn notes_with_names(d: &Path) -> PathBuf {
    let given = ["Anna", "James", "Maria", "Thomas", "Laura", "Peter"];
    let family = ["Smith", "Miller", "Schmidt"];
    let mut csv = String::from("id,notes\n");
    for i in 0..200 {
        if i % 11 == 0 && i / 11 < 18 {
            let k = i / 11;
            csv.push_str(&format!(
                "{i},Spoke with {} {} about the order\n",
                given[k % 6],
                family[k / 6]
            ));
        } else {
            csv.push_str(&format!("{i},Delivered on time\n"));
        }
    }
    write(d, "in.csv", &csv)
}

#[test]
fn names_in_nine_percent_of_a_column_stop_the_run() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let input = notes_with_names(d);
    let base = "version: 1\nname: t\ncolumns:\n  - {name: id, type: int}\n";
    let plain = write(
        d,
        "plain.yaml",
        &format!("{base}  - {{name: notes, type: string}}\n"),
    );
    let out = d.join("o.parquet");
    let a = fairsynth()
        .arg("deidentify")
        .arg(&input)
        .arg("--schema")
        .arg(&plain)
        .arg("-o")
        .arg(&out)
        .assert()
        .code(2);
    golden("safety_net_names.stderr", &a.get_output().stderr, d);
    assert!(!out.exists());
    // The same net guards `fit`.
    let model = d.join("m.json");
    fairsynth()
        .arg("fit")
        .arg(&input)
        .arg("--schema")
        .arg(&plain)
        .arg("-o")
        .arg(&model)
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "column `notes` is not an identifier, but 9.0% of its values contain person name",
        ));
    assert!(!model.exists());
    // Acknowledged, or redacted, it passes.
    for col in [
        "{name: notes, type: string, acknowledge: [person_name]}",
        "{name: notes, type: string, action: redact}",
    ] {
        let s = write(d, "ok.yaml", &format!("{base}  - {col}\n"));
        fairsynth()
            .arg("deidentify")
            .arg(&input)
            .arg("--schema")
            .arg(&s)
            .arg("-o")
            .arg(&out)
            .arg("-q")
            .assert()
            .success();
        fs::remove_file(&out).expect("written");
    }
}

#[test]
fn identifiers_left_after_redact_fail_the_run_and_nothing_is_written() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    // A column of references too short to be found inside text (no run of five digits):
    // redaction finds nothing inside them, the re-scan finds them as record identifiers.
    let mut csv = String::from("id,memo\n");
    for i in 0..100 {
        csv.push_str(&format!("{i},REF-{i:03}-{:03}\n", (7919 * i + 13) % 1000));
    }
    let input = write(d, "in.csv", &csv);
    let schema = write(
        d,
        "s.yaml",
        "version: 1\nname: t\ncolumns:\n  - {name: id, type: int}\n  - {name: memo, type: string, action: redact}\n",
    );
    let out = d.join("o.parquet");
    let a = fairsynth()
        .arg("deidentify")
        .arg(&input)
        .arg("--schema")
        .arg(&schema)
        .arg("-o")
        .arg(&out)
        .assert()
        .code(2);
    golden("residual_after_redact.stderr", &a.get_output().stderr, d);
    assert!(!out.exists());
    let left: Vec<_> = fs::read_dir(d)
        .expect("dir")
        .map(|e| e.expect("entry").file_name())
        .collect();
    assert_eq!(left.len(), 2, "no temporary file is left: {left:?}");
    // Acknowledged, the residual kind passes and is listed in the report.
    let ack = write(
        d,
        "ack.yaml",
        "version: 1\nname: t\ncolumns:\n  - {name: id, type: int}\n  - {name: memo, type: string, action: redact, acknowledge: [record_id]}\n",
    );
    let report = d.join("r.json");
    fairsynth()
        .arg("deidentify")
        .arg(&input)
        .arg("--schema")
        .arg(&ack)
        .arg("-o")
        .arg(&out)
        .arg("--report")
        .arg(&report)
        .assert()
        .success()
        .stderr(predicates::str::contains(
            "acknowledged after redact: `memo` still holds record_id (100.0%)",
        ));
    let r: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(&report).expect("report")).expect("json");
    assert_eq!(r["residual"][0]["column"], "memo");
    assert_eq!(r["residual"][0]["kind"], "record_id");
}

#[test]
fn key_errors_and_warnings() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let input = write(d, "in.csv", "id,email\n1,a@example.org\n2,b@example.org\n");
    let schema = write(
        d,
        "s.yaml",
        "version: 1\nname: t\ncolumns:\n  - {name: id, type: int}\n  - {name: email, type: string, role: identifier, action: pseudonymise}\n",
    );
    let out = d.join("o.parquet");
    let run = |env: Option<&str>, key_file: Option<&Path>| {
        let mut c = fairsynth();
        c.arg("deidentify")
            .arg(&input)
            .arg("--schema")
            .arg(&schema)
            .arg("-o")
            .arg(&out)
            .arg("-q")
            .env_remove("FAIRSYNTH_KEY");
        if let Some(v) = env {
            c.env("FAIRSYNTH_KEY", v);
        }
        if let Some(f) = key_file {
            c.arg("--key-file").arg(f);
        }
        c.assert()
    };
    let a = run(Some(""), None).code(2);
    golden("key_set_but_empty.stderr", &a.get_output().stderr, d);
    let a = run(Some(" \n"), None).code(2);
    golden("key_set_but_empty.stderr", &a.get_output().stderr, d);
    let a = run(None, None).code(2);
    golden("key_not_set.stderr", &a.get_output().stderr, d);
    assert!(!out.exists());
    let key = write(d, "key", "0123456789abcdef0123456789abcdef\n");
    let a = run(Some("another key, 32 bytes long......"), Some(&key)).success();
    golden("key_both_given.stderr", &a.get_output().stderr, d);
    // The file wins: the same pseudonyms as with the file's key (trimmed) in the variable.
    let with_file = fs::read(&out).expect("output");
    fs::remove_file(&out).expect("written");
    run(Some("0123456789abcdef0123456789abcdef"), None).success();
    let read = |p: &Path| {
        let r = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(
            fs::File::open(p).expect("file"),
        )
        .expect("pq")
        .build()
        .expect("reader");
        r.flat_map(|b| fairsynth::io::read::texts(b.expect("batch").column(1)))
            .collect::<Vec<_>>()
    };
    let p2 = d.join("o2.parquet");
    fs::write(&p2, with_file).expect("copy");
    assert_eq!(read(&out), read(&p2));
}
