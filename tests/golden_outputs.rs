//! Byte-for-byte golden outputs of the command line: the SHA-256 of every file each command
//! writes for fixed inputs, seeds and options, recorded in `tests/golden/outputs.sha256`.
//!
//! The library's core moved from file paths to Arrow streams (issue 11) with the promise that
//! the CLI's output stays byte-identical; this test holds every later change to that promise.
//! A deliberate change of output (a better model, a new report field) is recorded by running
//! `FAIRSYNTH_BLESS=1 cargo test --test golden_outputs` and committing the new hashes, so the
//! change shows in review as a changed line per file.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use sha2::{Digest, Sha256};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

const GOLDEN: &str = "tests/golden/outputs.sha256";

/// The key used for pseudonyms: a test value, not a secret.
const KEY: &str = "golden-test-key-0123456789abcdef";

/// Runs `fairsynth` in `dir` with `args`; the exit code (0, or 1 for a failed quality gate of
/// `evaluate` or `audit`, whose report is still written) is part of what is recorded.
fn run(dir: &Path, args: &[&str]) -> i32 {
    let bin = std::env::var_os("FAIRSYNTH_GOLDEN_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| assert_cmd::cargo::cargo_bin("fairsynth"));
    let out = Command::new(bin)
        .current_dir(dir)
        .env("FAIRSYNTH_KEY", KEY)
        .args(args)
        .arg("-q")
        .output()
        .expect("run fairsynth");
    let code = out.status.code().unwrap_or(-1);
    assert!(
        code == 0 || code == 1,
        "fairsynth {args:?} exited {code}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    code
}

fn sha256(path: &Path) -> String {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    Sha256::digest(&bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Every command, with the files it writes, in a fresh directory of relative paths (reports
/// record paths as given).
fn outputs() -> BTreeMap<String, String> {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    for (from, to) in [
        ("schemas/customers.yaml", "customers.yaml"),
        ("schemas/adult.yaml", "adult.yaml"),
        ("tests/data/adult_sample.csv", "adult.csv"),
        ("tests/data/schemas/adult_deid.yaml", "adult_deid.yaml"),
    ] {
        std::fs::copy(root().join(from), d.join(to)).expect("copy input");
    }
    let mut codes = BTreeMap::new();
    let mut step = |name: &str, args: &[&str]| {
        codes.insert(format!("exit:{name}"), run(d, args).to_string());
    };
    step(
        "synth",
        &[
            "synth",
            "--schema",
            "customers.yaml",
            "--rows",
            "3000",
            "--seed",
            "7",
            "-o",
            "synth.parquet",
        ],
    );
    step(
        "reweight",
        &[
            "reweight",
            "adult.csv",
            "--schema",
            "adult.yaml",
            "-o",
            "rw.parquet",
            "--report",
            "rw.json",
            "--html",
            "rw.html",
        ],
    );
    step(
        "resample",
        &[
            "reweight",
            "adult.csv",
            "--schema",
            "adult.yaml",
            "--resample",
            "1000",
            "--seed",
            "3",
            "-o",
            "rs.parquet",
        ],
    );
    step(
        "deidentify",
        &[
            "deidentify",
            "adult.csv",
            "--schema",
            "adult_deid.yaml",
            "-o",
            "de.parquet",
            "--report",
            "de.json",
        ],
    );
    step(
        "fit",
        &[
            "fit",
            "adult.csv",
            "--schema",
            "adult.yaml",
            "--seed",
            "1",
            "-o",
            "model.json",
        ],
    );
    step(
        "sample",
        &[
            "sample",
            "model.json",
            "--rows",
            "2000",
            "--seed",
            "2",
            "-o",
            "sample.parquet",
            "--report",
            "sample.json",
        ],
    );
    step(
        "inspect",
        &[
            "inspect",
            "adult.csv",
            "--report",
            "inspect.json",
            "--draft-schema",
            "draft.yaml",
        ],
    );
    step(
        "evaluate",
        &[
            "evaluate",
            "--real",
            "adult.csv",
            "--synthetic",
            "sample.parquet",
            "--schema",
            "adult.yaml",
            "--seed",
            "4",
            "--report",
            "evaluate.json",
        ],
    );
    step(
        "audit",
        &[
            "audit",
            "adult.csv",
            "--schema",
            "adult.yaml",
            "--as-of",
            "2026-01-01",
            "--report",
            "audit.json",
        ],
    );
    let mut out = codes;
    let mut files: Vec<PathBuf> = std::fs::read_dir(d)
        .expect("read dir")
        .map(|e| e.expect("entry").path())
        .collect();
    files.sort();
    for f in files {
        let name = f.file_name().expect("name").to_string_lossy().into_owned();
        if ![
            "customers.yaml",
            "adult.yaml",
            "adult.csv",
            "adult_deid.yaml",
        ]
        .contains(&name.as_str())
        {
            out.insert(name, sha256(&f));
        }
    }
    out
}

#[test]
fn every_command_writes_the_recorded_bytes() {
    let got = outputs();
    let text: String = got.iter().map(|(k, v)| format!("{v}  {k}\n")).collect();
    let path = root().join(GOLDEN);
    if std::env::var_os("FAIRSYNTH_BLESS").is_some() {
        std::fs::write(&path, &text).expect("write golden hashes");
        return;
    }
    let want =
        std::fs::read_to_string(&path).expect("golden hashes (FAIRSYNTH_BLESS=1 records them)");
    let want: BTreeMap<String, String> = want
        .lines()
        .filter_map(|l| l.split_once("  "))
        .map(|(h, n)| (n.to_string(), h.to_string()))
        .collect();
    let changed: Vec<String> = want
        .keys()
        .chain(got.keys())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .filter(|k| want.get(*k) != got.get(*k))
        .map(|k| {
            format!(
                "{k}: recorded {}, now {}",
                want.get(k).map_or("(none)", String::as_str),
                got.get(k).map_or("(none)", String::as_str)
            )
        })
        .collect();
    assert!(
        changed.is_empty(),
        "outputs changed (record a deliberate change with FAIRSYNTH_BLESS=1):\n{}",
        changed.join("\n")
    );
}
