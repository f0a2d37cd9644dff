//! Every command's `--help` ends with examples, and every example runs: in a scratch folder
//! where `schemas/` and `tests/` are the repository's, in the order the commands are listed
//! (so `sample` finds the model `fit` wrote), each must exit with 0.

use std::path::Path;
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_fairsynth");

fn help(words: &[&str]) -> String {
    let out = Command::new(BIN)
        .args(words)
        .arg("--help")
        .output()
        .expect("run fairsynth --help");
    assert!(out.status.success(), "{words:?} --help failed");
    String::from_utf8(out.stdout).expect("utf-8 help")
}

/// The `$ fairsynth ...` lines of a help text's examples, each with the exit status its
/// comment announces ("exits with 1"), else 0.
fn examples(text: &str) -> Vec<(String, i32)> {
    let start = text
        .find("\nExamples:\n")
        .unwrap_or_else(|| panic!("no examples in:\n{text}"));
    let mut comment = String::new();
    let mut out = Vec::new();
    for line in text[start..].lines().map(str::trim) {
        if let Some(c) = line.strip_prefix("# ") {
            comment.push_str(c);
            comment.push(' ');
        } else if let Some(cmd) = line.strip_prefix("$ ") {
            let status = if comment.contains("exits with 1") {
                1
            } else {
                0
            };
            out.push((cmd.to_string(), status));
            comment.clear();
        }
    }
    out
}

#[test]
fn every_example_in_help_runs() {
    let commands: &[&[&str]] = &[
        &[],
        &["synth"],
        &["reweight"],
        &["fit"],
        &["sample"],
        &["deidentify"],
        &["inspect"],
        &["evaluate"],
        &["audit"],
        &["schema", "check"],
        &["completions"],
        &["man"],
    ];
    let scratch = tempfile::tempdir().expect("scratch dir");
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for dir in ["schemas", "tests"] {
        std::os::unix::fs::symlink(root.join(dir), scratch.path().join(dir)).expect("symlink");
    }
    let mut ran = 0;
    for words in commands {
        let text = help(words);
        let found = examples(&text);
        assert!(
            !found.is_empty(),
            "`fairsynth {}` shows no example",
            words.join(" ")
        );
        for (example, status) in found {
            let (line, redirect) = match example.split_once(" > ") {
                Some((l, file)) => (l.to_string(), Some(file.trim().to_string())),
                None => (example.clone(), None),
            };
            let args: Vec<&str> = line.split_whitespace().collect();
            assert_eq!(args[0], "fairsynth", "{example}");
            let out = Command::new(BIN)
                .args(&args[1..])
                .current_dir(scratch.path())
                .output()
                .expect("run example");
            assert_eq!(
                out.status.code(),
                Some(status),
                "`{example}` did not exit with {status}:\n{}",
                String::from_utf8_lossy(&out.stderr)
            );
            if let Some(file) = redirect {
                assert!(!out.stdout.is_empty(), "`{example}` wrote nothing");
                std::fs::write(scratch.path().join(file), &out.stdout).expect("write");
            }
            ran += 1;
        }
    }
    assert!(ran >= 15, "only {ran} examples ran");
    assert!(scratch.path().join("man/fairsynth-synth.1").is_file());
    assert!(scratch.path().join("shop").is_dir());
}

#[test]
fn man_refuses_a_file_for_a_folder() {
    let scratch = tempfile::tempdir().expect("scratch dir");
    let file = scratch.path().join("pages");
    std::fs::write(&file, "keep me").expect("write");
    let out = Command::new(BIN)
        .arg("man")
        .arg(&file)
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("is not a folder"), "{err}");
    assert_eq!(std::fs::read_to_string(&file).expect("read"), "keep me");
}
