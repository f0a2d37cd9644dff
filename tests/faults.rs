//! Fault tests: every bad input, fault and odd output path ends with a clear error (or a clean
//! success), the documented exit code, no panic, no partial output and no temporary file.
//! One test (or more) per defect of issue 10; the numbers below are the issue's.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use predicates::prelude::*;

mod common;
use common::{fairsynth, root};

/// The binary as a plain process, for tests that set its stdout or stderr.
fn raw() -> std::process::Command {
    let mut c = std::process::Command::new(assert_cmd::cargo::cargo_bin("fairsynth"));
    c.current_dir(root());
    c
}

fn no_panic() -> impl Predicate<str> {
    predicate::str::contains("panicked").not()
}

/// Files left in `dir` (hidden ones included), sorted.
fn entries(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = fs::read_dir(dir)
        .expect("dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

const TINY: &str = "\
version: 1
name: tiny
seed: 1
columns:
  - name: sex
    type: category
    role: protected
    shares: {female: 0.5, male: 0.5}
  - name: age
    type: int
    distribution: {kind: uniform, low: 18, high: 90}
  - name: churned
    type: bool
    role: label
    probability: 0.3
targets:
  sex: {female: 0.5, male: 0.5}
fairness:
  label: churned
  independent_of: [sex]
";

/// A tiny schema and 2,000 rows of data for it, in `dir`.
struct Tiny {
    schema: PathBuf,
    data: PathBuf,
}

fn tiny(dir: &Path) -> Tiny {
    let schema = dir.join("tiny.yaml");
    fs::write(&schema, TINY).expect("write schema");
    let data = dir.join("data.parquet");
    fairsynth()
        .args(["synth", "--rows", "2000", "-q", "--schema"])
        .arg(&schema)
        .arg("-o")
        .arg(&data)
        .assert()
        .success();
    Tiny { schema, data }
}

/// The fitted model of the tiny data.
fn model(dir: &Path, t: &Tiny) -> PathBuf {
    let m = dir.join("model.json");
    fairsynth()
        .arg("fit")
        .arg(&t.data)
        .arg("--schema")
        .arg(&t.schema)
        .args(["-q", "-o"])
        .arg(&m)
        .assert()
        .success();
    m
}

/// Every command that writes a data output, writing to `out` (plus `extra` arguments).
fn writers(dir: &Path, t: &Tiny, model: &Path) -> Vec<(&'static str, Vec<String>)> {
    let s = |p: &Path| p.display().to_string();
    let _ = dir;
    vec![
        (
            "synth",
            vec!["synth".into(), "--schema".into(), s(&t.schema), "-q".into()],
        ),
        (
            "reweight",
            vec![
                "reweight".into(),
                s(&t.data),
                "--schema".into(),
                s(&t.schema),
                "-q".into(),
            ],
        ),
        (
            "deidentify",
            vec![
                "deidentify".into(),
                s(&t.data),
                "--schema".into(),
                s(&t.schema),
                "-q".into(),
            ],
        ),
        (
            "fit",
            vec![
                "fit".into(),
                s(&t.data),
                "--schema".into(),
                s(&t.schema),
                "-q".into(),
            ],
        ),
        (
            "sample",
            vec![
                "sample".into(),
                s(model),
                "--rows".into(),
                "100".into(),
                "-q".into(),
            ],
        ),
    ]
}

// 1. An output that is a device, FIFO or symbolic link to one is refused, never replaced.

#[cfg(unix)]
#[test]
fn non_regular_outputs_are_refused_and_kept() {
    use std::os::unix::fs::FileTypeExt;
    let dir = tempfile::tempdir().expect("tempdir");
    let t = tiny(dir.path());
    let m = model(dir.path(), &t);
    let fifo = dir.path().join("p");
    assert!(std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo")
        .success());
    let dev = dir.path().join("n");
    let have_dev = std::process::Command::new("mknod")
        .arg(&dev)
        .args(["c", "1", "3"])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !have_dev {
        eprintln!("skipping the device node case: mknod is not permitted here");
    }
    let link = dir.path().join("s");
    std::os::unix::fs::symlink("/proc/self/fd/1", &link).expect("symlink");
    let dangling = dir.path().join("d");
    std::os::unix::fs::symlink(dir.path().join("nowhere/x"), &dangling).expect("symlink");
    let sub = dir.path().join("sub");
    fs::create_dir(&sub).expect("mkdir");

    let mut targets: Vec<(&Path, &str)> = vec![
        (&fifo, "a FIFO"),
        (&dangling, "a symbolic link to nothing"),
        (&sub, "a directory"),
    ];
    if have_dev {
        targets.push((&dev, "a character device"));
    }
    for (name, args) in writers(dir.path(), &t, &m) {
        for (target, kind) in &targets {
            fairsynth()
                .args(&args)
                .arg("-o")
                .arg(target)
                .timeout(Duration::from_secs(60))
                .assert()
                .code(1)
                .stderr(predicate::str::contains(format!("it is {kind}")))
                .stderr(predicate::str::contains(".tmp`").not())
                .stderr(no_panic());
            let _ = name;
        }
        // /proc/self/fd/1 is the command's stdout: a pipe here, a terminal for a user.
        let run = raw()
            .args(&args)
            .arg("-o")
            .arg(&link)
            .output()
            .expect("run");
        let stderr = String::from_utf8_lossy(&run.stderr);
        assert_eq!(run.status.code(), Some(1), "{name}: {stderr}");
        assert!(
            stderr.contains("it is a symbolic link into /proc"),
            "{stderr}"
        );
    }
    // Side outputs obey the same policy.
    fairsynth()
        .arg("inspect")
        .arg(&t.data)
        .arg("--report")
        .arg(&fifo)
        .assert()
        .code(1)
        .stderr(predicate::str::contains("it is a FIFO"));
    assert!(fs::symlink_metadata(&fifo)
        .expect("fifo")
        .file_type()
        .is_fifo());
    if have_dev {
        assert!(fs::symlink_metadata(&dev)
            .expect("dev")
            .file_type()
            .is_char_device());
    }
    assert!(fs::symlink_metadata(&link)
        .expect("link")
        .file_type()
        .is_symlink());
    assert!(sub.is_dir() && entries(&sub).is_empty());
}

#[cfg(unix)]
#[test]
fn a_link_to_a_regular_file_is_written_through_and_kept() {
    let dir = tempfile::tempdir().expect("tempdir");
    let t = tiny(dir.path());
    let real = dir.path().join("real.parquet");
    fs::write(&real, b"old").expect("write");
    let link = dir.path().join("link.parquet");
    std::os::unix::fs::symlink(&real, &link).expect("symlink");
    fairsynth()
        .args(["synth", "--rows", "10", "-q", "--schema"])
        .arg(&t.schema)
        .arg("-o")
        .arg(&link)
        .assert()
        .success();
    assert!(fs::symlink_metadata(&link)
        .expect("link")
        .file_type()
        .is_symlink());
    assert!(fs::read(&real).expect("read").starts_with(b"PAR1"));
}

// 2. A side output equal to the data output (or to an input) is refused before any work.

#[test]
fn side_outputs_equal_to_the_output_or_an_input_are_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let t = tiny(dir.path());
    let m = model(dir.path(), &t);
    let out = dir.path().join("out.parquet");
    for (name, args) in writers(dir.path(), &t, &m) {
        if matches!(name, "synth" | "fit") {
            continue; // no --report
        }
        // The same file, spelled differently.
        let same = dir.path().join(".").join("out.parquet");
        fairsynth()
            .args(&args)
            .arg("-o")
            .arg(&out)
            .arg("--report")
            .arg(&same)
            .assert()
            .code(2)
            .stderr(predicate::str::contains("name the same file"))
            .stderr(no_panic());
        assert!(!out.exists(), "{name} wrote its output");
    }
    fairsynth()
        .arg("inspect")
        .arg(&t.data)
        .arg("--report")
        .arg(dir.path().join("r.json"))
        .arg("--draft-schema")
        .arg(dir.path().join("r.json"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("name the same file"));
    fairsynth()
        .arg("reweight")
        .arg(&t.data)
        .arg("--schema")
        .arg(&t.schema)
        .arg("-o")
        .arg(&out)
        .arg("--report")
        .arg(&t.schema)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("refusing to overwrite the input"));
    assert!(!out.exists());
    assert_eq!(fs::read_to_string(&t.schema).expect("schema"), TINY);
}

// 3. A category column that is entirely null.

const NULL_CATEGORY: &str = "\
version: 1
name: nulls
columns:
  - name: a
    type: category
  - name: b
    type: category
    nullable: true
";

#[test]
fn an_entirely_null_category_column_is_read() {
    let dir = tempfile::tempdir().expect("tempdir");
    let schema = dir.path().join("s.yaml");
    fs::write(&schema, NULL_CATEGORY).expect("write");
    let csv = dir.path().join("n.csv");
    fs::write(&csv, "a,b\nx,\ny,\n").expect("write");
    // The same table as Parquet, with `b` a dictionary column of nulls only.
    let pq = dir.path().join("n.parquet");
    {
        use arrow_array::builder::StringDictionaryBuilder;
        use arrow_array::types::Int32Type;
        use std::sync::Arc;
        let mut a = StringDictionaryBuilder::<Int32Type>::new();
        a.append_value("x");
        a.append_value("y");
        let mut b = StringDictionaryBuilder::<Int32Type>::new();
        b.append_null();
        b.append_null();
        let batch = arrow_array::RecordBatch::try_from_iter([
            ("a", Arc::new(a.finish()) as arrow_array::ArrayRef),
            ("b", Arc::new(b.finish()) as arrow_array::ArrayRef),
        ])
        .expect("batch");
        let f = fs::File::create(&pq).expect("create");
        let mut w = parquet::arrow::ArrowWriter::try_new(f, batch.schema(), None).expect("w");
        w.write(&batch).expect("write");
        w.close().expect("close");
    }
    for input in [&csv, &pq] {
        fairsynth()
            .arg("inspect")
            .arg(input)
            .arg("--schema")
            .arg(&schema)
            .arg("-q")
            .assert()
            .success()
            .stderr(no_panic());
        let out = dir.path().join("out.parquet");
        fairsynth()
            .arg("deidentify")
            .arg(input)
            .arg("--schema")
            .arg(&schema)
            .args(["-q", "-o"])
            .arg(&out)
            .assert()
            .success()
            .stderr(no_panic());
        assert!(out.exists());
    }
}

// 4. Write errors on stdout and stderr end quietly, never with a panic.

#[test]
fn a_closed_stdout_ends_quietly_with_exit_code_1() {
    let files: Vec<&str> = std::iter::repeat_n("schemas/customers.yaml", 400).collect();
    let mut child = raw()
        .args(["schema", "check"])
        .args(&files)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    // The reader goes away at once, like `| head -0`.
    drop(child.stdout.take());
    let out = child.wait_with_output().expect("wait");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.is_empty(), "{stderr}");
}

#[cfg(target_os = "linux")]
#[test]
fn a_full_stdout_or_stderr_is_no_panic() {
    let full = || fs::File::create("/dev/full").expect("/dev/full");
    let run = raw()
        .args(["schema", "check", "schemas/customers.yaml"])
        .stdout(full())
        .output()
        .expect("run");
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("cannot write to standard output") && !stderr.contains("panicked"),
        "{stderr}"
    );
    // Nothing can be said on a full stderr; the exit code still tells.
    let run = raw()
        .args(["schema", "check", "Cargo.toml"])
        .stderr(full())
        .status()
        .expect("run");
    assert_eq!(run.code(), Some(2));
    let dir = tempfile::tempdir().expect("tempdir");
    let t = tiny(dir.path());
    let out = dir.path().join("out.parquet");
    let run = raw()
        .arg("reweight")
        .arg(&t.data)
        .arg("--schema")
        .arg(&t.schema)
        .arg("-o")
        .arg(&out)
        .stderr(full())
        .status()
        .expect("run");
    assert!(run.success());
    assert!(out.exists());
}

// 5. CSV memory stays bounded after a long field.

#[cfg(target_os = "linux")]
#[test]
fn a_long_csv_field_does_not_multiply_memory() {
    let dir = tempfile::tempdir().expect("tempdir");
    let csv = dir.path().join("long.csv");
    let mut text = String::from("a,b\n");
    text.push_str(&"x".repeat(8 << 20));
    text.push_str(",1\n");
    for i in 0..300 {
        text.push_str(&format!("y{i},{i}\n"));
    }
    fs::write(&csv, text).expect("write");
    // Each later row used to keep a copy of the 8 MiB buffer: 300 rows, 2.4 GB. Under a
    // 1.5 GB address-space limit that fails; bounded buffering needs a few tens of MB.
    let bin = assert_cmd::cargo::cargo_bin("fairsynth");
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg("ulimit -v 1500000 && exec \"$0\" inspect \"$1\" -q")
        .arg(&bin)
        .arg(&csv)
        .output()
        .expect("run");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
}

// 6. Signals remove the temporary file; stale temporary files of fairsynth are removed.

#[cfg(unix)]
fn interrupted_write(signal: &str, number: i32) {
    use std::os::unix::process::ExitStatusExt;
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("big.parquet");
    let mut child = raw()
        .args([
            "synth",
            "--schema",
            "schemas/customers.yaml",
            "--rows",
            "50000000",
        ])
        .args(["--threads", "1", "-q", "-o"])
        .arg(&out)
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let start = Instant::now();
    while !entries(dir.path()).iter().any(|e| e.ends_with(".tmp")) {
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "no temporary file appeared"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    // Let it write for a moment.
    std::thread::sleep(Duration::from_millis(300));
    // The shell's own `kill`, so no procps is needed.
    let killed = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!("kill -s {signal} {}", child.id()))
        .status()
        .expect("kill");
    assert!(killed.success());
    let status = child.wait().expect("wait");
    assert_eq!(status.signal(), Some(number), "{signal}: {status:?}");
    assert_eq!(entries(dir.path()), Vec::<String>::new(), "{signal}");
}

#[cfg(unix)]
#[test]
fn sigterm_during_a_write_leaves_nothing() {
    interrupted_write("TERM", 15);
}

#[cfg(unix)]
#[test]
fn sigint_during_a_write_leaves_nothing() {
    interrupted_write("INT", 2);
}

#[cfg(unix)]
#[test]
fn sighup_during_a_write_leaves_nothing() {
    interrupted_write("HUP", 1);
}

#[cfg(target_os = "linux")]
#[test]
fn stale_temporary_files_of_dead_processes_are_removed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let t = tiny(dir.path());
    let out = dir.path().join("out.parquet");
    // PID 4194305 is above Linux's largest (2^22), so never a running process.
    let stale = dir.path().join(".out.parquet.4194305.a1B2c3.tmp");
    let live = dir
        .path()
        .join(format!(".out.parquet.{}.a1B2c3.tmp", std::process::id()));
    let other = dir.path().join(".other.parquet.4194305.a1B2c3.tmp");
    for f in [&stale, &live, &other] {
        fs::write(f, b"partial").expect("write");
    }
    fairsynth()
        .args(["synth", "--rows", "10", "-q", "--schema"])
        .arg(&t.schema)
        .arg("-o")
        .arg(&out)
        .assert()
        .success();
    assert!(!stale.exists(), "the stale temporary file is still there");
    assert!(
        live.exists(),
        "a running process's temporary file was removed"
    );
    assert!(
        other.exists(),
        "another target's temporary file was removed"
    );
}

// 7. An output is kept only if every output of the command is written.

#[cfg(target_os = "linux")]
#[test]
fn a_report_that_cannot_be_written_leaves_no_output() {
    let dir = tempfile::tempdir().expect("tempdir");
    let t = tiny(dir.path());
    let m = model(dir.path(), &t);
    let out = dir.path().join("out.parquet");
    // /proc is a directory no file can be created in, even by root.
    for (name, args) in writers(dir.path(), &t, &m) {
        if matches!(name, "synth" | "fit") {
            continue;
        }
        fairsynth()
            .args(&args)
            .arg("-o")
            .arg(&out)
            .args(["--report", "/proc/fairsynth-report.json"])
            .assert()
            .code(1)
            .stderr(predicate::str::contains("/proc/fairsynth-report.json"))
            .stderr(no_panic());
        assert_eq!(
            entries(dir.path()),
            ["data.parquet", "model.json", "tiny.yaml"],
            "{name}"
        );
    }
}

#[test]
fn a_failed_quality_gate_keeps_its_report() {
    let dir = tempfile::tempdir().expect("tempdir");
    let t = tiny(dir.path());
    let report = dir.path().join("eval.json");
    // The real table as its own synthetic copy: every row an exact copy.
    fairsynth()
        .arg("evaluate")
        .arg("--real")
        .arg(&t.data)
        .arg("--synthetic")
        .arg(&t.data)
        .arg("--schema")
        .arg(&t.schema)
        .args(["--threshold", "max_exact_copies=0.01", "-q", "--report"])
        .arg(&report)
        .assert()
        .code(1)
        .stderr(predicate::str::contains("quality check"));
    assert!(report.exists(), "the report explaining the failure is gone");
}

#[cfg(target_os = "linux")]
#[test]
fn a_read_only_target_directory_is_a_clear_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let t = tiny(dir.path());
    fairsynth()
        .args(["synth", "--rows", "10", "-q", "--schema"])
        .arg(&t.schema)
        .args(["-o", "/proc/out.parquet"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "cannot create a temporary file beside `/proc/out.parquet`",
        ))
        .stderr(no_panic());
}

// Full disk: a real one where a small tmpfs can be mounted, and always a write error injected
// through a file-size limit (`ulimit -f`), which fails the sink's writes with EFBIG.

#[cfg(target_os = "linux")]
#[test]
fn a_write_error_mid_file_leaves_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("out.parquet");
    let bin = assert_cmd::cargo::cargo_bin("fairsynth");
    let run = std::process::Command::new("sh")
        .current_dir(root())
        .arg("-c")
        .arg("ulimit -f 256 && exec \"$0\" synth --schema schemas/customers.yaml --rows 300000 -q -o \"$1\"")
        .arg(&bin)
        .arg(&out)
        .output()
        .expect("run");
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("File too large"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(entries(dir.path()), Vec::<String>::new());
}

#[cfg(target_os = "linux")]
#[test]
fn a_full_disk_leaves_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mounted = std::process::Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=1m", "tmpfs"])
        .arg(dir.path())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !mounted {
        eprintln!("skipping: cannot mount a 1 MiB tmpfs here (needs root and mount permission); a_write_error_mid_file_leaves_nothing covers the write error");
        return;
    }
    let out = dir.path().join("out.parquet");
    let assert = fairsynth()
        .args([
            "synth",
            "--schema",
            "schemas/customers.yaml",
            "--rows",
            "300000",
            "-q",
        ])
        .arg("-o")
        .arg(&out)
        .assert();
    let left = entries(dir.path());
    let _ = std::process::Command::new("umount")
        .arg(dir.path())
        .status();
    assert
        .code(1)
        .stderr(predicate::str::contains("No space left on device"))
        .stderr(no_panic());
    assert_eq!(left, Vec::<String>::new());
}

// 8. Many category levels: set-up is linear (200,000 levels, quadratic before: minutes).

#[test]
fn two_hundred_thousand_levels_set_up_in_seconds() {
    let dir = tempfile::tempdir().expect("tempdir");
    let n = 200_000;
    let levels: Vec<String> = (0..n).map(|i| format!("l{i}")).collect();
    let shares: Vec<String> = (0..n).map(|i| format!("l{i}: 1")).collect();
    let schema = dir.path().join("levels.yaml");
    fs::write(
        &schema,
        format!(
            "version: 1\nname: levels\ncolumns:\n  - name: c\n    type: category\n    levels: [{}]\n    shares: {{{}}}\n",
            levels.join(", "),
            shares.join(", ")
        ),
    )
    .expect("write");
    // Not a benchmark: a bound that the quadratic set-up (minutes) cannot meet and the linear
    // one (about a second) meets with a wide margin on a busy machine.
    fairsynth()
        .args(["synth", "--rows", "1000", "-q", "--schema"])
        .arg(&schema)
        .arg("-o")
        .arg(dir.path().join("out.parquet"))
        .timeout(Duration::from_secs(90))
        .assert()
        .success();
}

// 9. Every codec pyarrow writes is read.

#[test]
fn parquet_in_every_codec_is_read() {
    for codec in ["gzip", "brotli", "lz4", "snappy", "zstd", "none"] {
        fairsynth()
            .arg("inspect")
            .arg(format!("tests/data/codecs/{codec}.parquet"))
            .arg("-q")
            .assert()
            .success()
            .stderr(predicate::str::contains("Disabled feature").not());
    }
}

// 10. Line numbers in CRLF files.

#[test]
fn crlf_line_numbers_are_right() {
    let dir = tempfile::tempdir().expect("tempdir");
    let schema = dir.path().join("s.yaml");
    fs::write(
        &schema,
        "version: 1\nname: t\ncolumns:\n  - name: a\n    type: int\n  - name: b\n    type: string\n",
    )
    .expect("write");
    for (name, text, line) in [
        ("lf.csv", "a,b\n1,x\n2,y\nz,w\n", 4),
        ("crlf.csv", "a,b\r\n1,x\r\n2,y\r\nz,w\r\n", 4),
        (
            "quoted.csv",
            "a,b\r\n1,\"two\r\nlines\"\r\n2,y\r\nz,w\r\n",
            5,
        ),
        ("cr_in_field.csv", "a,b\r\n1,\"x\r\"\r\n2,y\r\nz,w\r\n", 4),
    ] {
        let csv = dir.path().join(name);
        fs::write(&csv, text).expect("write");
        fairsynth()
            .arg("inspect")
            .arg(&csv)
            .arg("--schema")
            .arg(&schema)
            .arg("-q")
            .assert()
            .code(2)
            .stderr(predicate::str::contains(format!(
                "{name}:{line}: column `a`"
            )));
    }
    let short = dir.path().join("short.csv");
    fs::write(&short, "a,b\r\n1,x\r\n2\r\n").expect("write");
    fairsynth()
        .arg("inspect")
        .arg(&short)
        .arg("--schema")
        .arg(&schema)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("short.csv:3: 1 fields"));
}

// 11. Int generators that would saturate are caught by `schema check`.

#[test]
fn int_generators_beyond_the_int_range_are_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    for (dist, bits) in [
        ("{kind: normal, mean: 1e300, sd: 1}", ""),
        ("{kind: lognormal, mu: 60, sigma: 1}", ""),
        ("{kind: normal, mean: 0, sd: 1e18}", ""),
        ("{kind: uniform, low: 0, high: 1e10}", "\n    bits: 32"),
    ] {
        let schema = dir.path().join("s.yaml");
        fs::write(
            &schema,
            format!("version: 1\nname: t\ncolumns:\n  - name: n\n    type: int{bits}\n    distribution: {dist}\n"),
        )
        .expect("write");
        fairsynth()
            .args(["schema", "check"])
            .arg(&schema)
            .assert()
            .code(2)
            .stderr(predicate::str::contains("beyond the"))
            .stderr(predicate::str::contains("int range"));
    }
    // Bounded by min and max within the range, the same distribution is fine.
    fs::write(
        dir.path().join("ok.yaml"),
        "version: 1\nname: t\ncolumns:\n  - name: n\n    type: int\n    distribution: {kind: normal, mean: 0, sd: 1e18}\n    min: -1e18\n    max: 1e18\n",
    )
    .expect("write");
    fairsynth()
        .args(["schema", "check"])
        .arg(dir.path().join("ok.yaml"))
        .assert()
        .success();
}

// 12. Messages.

#[test]
fn error_chains_do_not_repeat() {
    let dir = tempfile::tempdir().expect("tempdir");
    let t = tiny(dir.path());
    let assert = fairsynth()
        .args(["synth", "--rows", "10", "-q", "--schema"])
        .arg(&t.schema)
        .arg("-o")
        .arg(dir.path())
        .assert()
        .code(1);
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
    assert_eq!(stderr.matches("it is a directory").count(), 1, "{stderr}");
    // A missing input file: said once.
    let assert = fairsynth()
        .arg("inspect")
        .arg(dir.path().join("missing.csv"))
        .assert()
        .code(2);
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
    assert_eq!(
        stderr.to_lowercase().matches("no such file").count(),
        1,
        "{stderr}"
    );
}

#[test]
fn a_truncated_parquet_file_says_so() {
    let dir = tempfile::tempdir().expect("tempdir");
    let t = tiny(dir.path());
    let bytes = fs::read(&t.data).expect("read");
    let cut = dir.path().join("cut.parquet");
    fs::write(&cut, &bytes[..bytes.len() / 2]).expect("write");
    let not = dir.path().join("not.parquet");
    fs::write(&not, "a,b\n1,2\n").expect("write");
    let assert = fairsynth().arg("inspect").arg(&cut).assert().code(2);
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
    assert!(stderr.contains("looks truncated"), "{stderr}");
    assert!(stderr.matches("Corrupt footer").count() <= 1, "{stderr}");
    fairsynth()
        .arg("inspect")
        .arg(&not)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("is not a Parquet file"));
}

#[test]
fn schema_messages_point_at_the_cause() {
    let dir = tempfile::tempdir().expect("tempdir");
    let nan = dir.path().join("nan.yaml");
    fs::write(
        &nan,
        "version: 1\nname: t\ncolumns:\n  - name: x\n    type: float\n    distribution: {kind: normal, mean: .nan, sd: 1}\n",
    )
    .expect("write");
    fairsynth()
        .args(["schema", "check"])
        .arg(&nan)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("not a finite number"))
        .stderr(predicate::str::contains("needs the parameter").not());
    let tab = dir.path().join("tab.yaml");
    fs::write(
        &tab,
        "version: 1\nname: t\ncolumns:\n  - name: x\n\ttype: float\n    distribution: {kind: normal, mean: 0, sd: 1}\n",
    )
    .expect("write");
    fairsynth()
        .args(["schema", "check"])
        .arg(&tab)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("tab.yaml:5:1:"))
        .stderr(predicate::str::contains("indent with spaces"));
}

#[test]
fn an_output_in_a_missing_directory_names_the_output() {
    let dir = tempfile::tempdir().expect("tempdir");
    let t = tiny(dir.path());
    let out = dir.path().join("missing/out.parquet");
    fairsynth()
        .args(["synth", "--rows", "10", "-q", "--schema"])
        .arg(&t.schema)
        .arg("-o")
        .arg(&out)
        .assert()
        .code(1)
        .stderr(predicate::str::contains(format!(
            "cannot write `{}`: the directory",
            out.display()
        )))
        .stderr(predicate::str::contains("does not exist"))
        .stderr(predicate::str::contains(".out.parquet.").not());
}

// 13. Exit codes as the README's table says.

#[test]
fn exit_codes_match_the_readme() {
    let dir = tempfile::tempdir().expect("tempdir");
    let t = tiny(dir.path());
    let m = model(dir.path(), &t);
    let bytes = fs::read(&t.data).expect("read");
    let corrupt = dir.path().join("corrupt.parquet");
    fs::write(&corrupt, &bytes[..bytes.len() - 20]).expect("write");
    let missing = dir.path().join("missing.parquet");
    let out = dir.path().join("out.parquet");
    // An input that cannot be read (missing, corrupt or truncated) is the user's to fix: 2.
    for input in [&corrupt, &missing] {
        for cmd in ["reweight", "deidentify", "fit"] {
            fairsynth()
                .arg(cmd)
                .arg(input)
                .arg("--schema")
                .arg(&t.schema)
                .arg("-o")
                .arg(&out)
                .assert()
                .code(2)
                .stderr(no_panic());
        }
        fairsynth().arg("inspect").arg(input).assert().code(2);
        fairsynth()
            .arg("evaluate")
            .arg("--real")
            .arg(&t.data)
            .arg("--synthetic")
            .arg(input)
            .arg("--schema")
            .arg(&t.schema)
            .assert()
            .code(2);
    }
    // A size of 0 is accepted alike by every command that takes one: an empty table with
    // the output's columns.
    let empty = |args: &mut assert_cmd::Command| {
        let _ = fs::remove_file(&out);
        args.arg("-q").arg("-o").arg(&out).assert().success();
        let f = fs::File::open(&out).expect("output");
        let r = parquet::file::reader::SerializedFileReader::new(f).expect("parquet");
        use parquet::file::reader::FileReader;
        assert_eq!(r.metadata().file_metadata().num_rows(), 0);
        assert!(r.metadata().file_metadata().schema_descr().num_columns() >= 3);
    };
    empty(
        fairsynth()
            .args(["synth", "--rows", "0", "--schema"])
            .arg(&t.schema),
    );
    empty(fairsynth().arg("sample").arg(&m).args(["--rows", "0"]));
    empty(
        fairsynth()
            .arg("reweight")
            .arg(&t.data)
            .arg("--schema")
            .arg(&t.schema)
            .args(["--resample", "0"]),
    );
}
