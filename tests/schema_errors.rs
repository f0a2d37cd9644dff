//! Golden tests: every bad schema in `tests/schema_errors/` sits beside the exact message
//! `fairsynth schema check` must print for it. Regenerate with `BLESS=1 cargo test --test
//! schema_errors` after an intended change, and review the diff.

use std::path::Path;

use assert_cmd::Command;

#[test]
fn every_bad_schema_gives_its_golden_message() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = root.join("tests/schema_errors");
    let mut cases: Vec<_> = std::fs::read_dir(&dir)
        .expect("tests/schema_errors exists")
        .map(|e| e.expect("readable entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    cases.sort();
    assert!(cases.len() >= 15, "expected the full set of golden cases");
    let bless = std::env::var_os("BLESS").is_some();
    let mut failures = Vec::new();
    for case in &cases {
        let rel = case.strip_prefix(root).expect("inside the crate");
        let out = Command::cargo_bin("fairsynth")
            .expect("binary builds")
            .current_dir(root)
            .args(["schema", "check"])
            .arg(rel)
            .output()
            .expect("runs");
        assert_eq!(out.status.code(), Some(2), "{}: exit code", rel.display());
        let stderr = String::from_utf8(out.stderr).expect("UTF-8 stderr");
        assert!(
            !stderr.contains("panicked"),
            "{}: panic\n{stderr}",
            rel.display()
        );
        let golden = case.with_extension("stderr");
        if bless {
            std::fs::write(&golden, &stderr).expect("write golden");
            continue;
        }
        let want = std::fs::read_to_string(&golden)
            .unwrap_or_else(|_| panic!("missing {}; run with BLESS=1", golden.display()));
        if want != stderr {
            failures.push(format!(
                "{}\n--- want\n{want}\n--- got\n{stderr}",
                rel.display()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
