//! `reweight` against independent references (R's survey::rake, the Kamiran & Calders
//! formula), its diagnostics, resampling, identifiers and determinism.
//!
//! Reference weights in tests/data/reference/ were computed once with R 4.2.2 and survey 4.1.1
//! on tests/data/adult_sample.csv (see tests/data/README.md); R is not needed here.

use std::fs;
use std::path::{Path, PathBuf};

use arrow_array::cast::AsArray;
use arrow_array::types::Float64Type;
use arrow_array::RecordBatch;
use fairsynth::io::read::Format;
use fairsynth::io::{Input, Output};
use fairsynth::reweight::{reweight, Options};
use fairsynth::schema::Schema;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use predicates::prelude::*;

mod common;
use common::{fairsynth, root};

const SAMPLE: &str = "tests/data/adult_sample.csv";
const ADULT: &str = "schemas/adult.yaml";

fn read(path: &Path) -> Vec<RecordBatch> {
    ParquetRecordBatchReaderBuilder::try_new(fs::File::open(path).expect("output"))
        .expect("Parquet")
        .build()
        .expect("reader")
        .collect::<Result<_, _>>()
        .expect("batches")
}

fn weights(path: &Path) -> Vec<f64> {
    read(path)
        .iter()
        .flat_map(|b| {
            b.column_by_name("weight")
                .expect("weight column")
                .as_primitive::<Float64Type>()
                .values()
                .to_vec()
        })
        .collect()
}

fn reference(name: &str) -> Vec<f64> {
    fs::read_to_string(root().join("tests/data/reference").join(name))
        .expect("reference")
        .lines()
        .skip(1)
        .map(|l| l.parse().expect("number"))
        .collect()
}

fn strings(path: &Path, column: &str) -> Vec<String> {
    let mut out = Vec::new();
    for b in read(path) {
        let a = b.column_by_name(column).expect("column");
        let d = a.as_dictionary::<arrow_array::types::Int32Type>();
        let v = d.values().as_string::<i32>();
        out.extend(
            d.keys()
                .iter()
                .map(|k| v.value(k.expect("no nulls") as usize).to_string()),
        );
    }
    out
}

fn assert_close(got: &[f64], want: &[f64], rel: f64, what: &str) {
    assert_eq!(got.len(), want.len(), "{what}: row count");
    let worst = got
        .iter()
        .zip(want)
        .map(|(g, w)| ((g - w) / w).abs())
        .fold(0.0, f64::max);
    assert!(
        worst <= rel,
        "{what}: max relative difference {worst:e} > {rel:e}"
    );
}

fn run_reweight(out: &Path, extra: &[&str]) -> assert_cmd::assert::Assert {
    fairsynth()
        .args([
            "reweight",
            SAMPLE,
            "--schema",
            ADULT,
            "--tolerance",
            "1e-14",
            "-q",
            "-o",
        ])
        .arg(out)
        .args(extra)
        .assert()
}

#[test]
fn raking_matches_r_survey_with_unit_start_weights() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("w.parquet");
    run_reweight(&out, &["--no-start-weights", "--no-parity"]).success();
    assert_close(
        &weights(&out),
        &reference("rake_unit.csv"),
        1e-9,
        "rake_unit",
    );
}

#[test]
fn raking_matches_r_survey_with_survey_start_weights() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("w.parquet");
    run_reweight(&out, &["--no-parity"]).success();
    assert_close(
        &weights(&out),
        &reference("rake_fnlwgt.csv"),
        1e-9,
        "rake_fnlwgt",
    );
}

#[test]
fn label_parity_margin_matches_r_survey_and_equalises_rates() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("w.parquet");
    let report = dir.path().join("r.json");
    run_reweight(
        &out,
        &[
            "--no-start-weights",
            "--report",
            report.to_str().expect("path"),
        ],
    )
    .success();
    assert_close(
        &weights(&out),
        &reference("rake_parity.csv"),
        1e-9,
        "rake_parity",
    );
    let r: serde_json::Value =
        serde_json::from_slice(&fs::read(&report).expect("report")).expect("JSON");
    let sex = &r["fairness"]["attributes"][0];
    assert_eq!(sex["column"], "sex");
    assert!(
        sex["spd_after"].as_f64().expect("spd").abs() < 1e-12,
        "{sex}"
    );
    assert!((sex["di_after"].as_f64().expect("di") - 1.0).abs() < 1e-12);
    assert!(
        sex["spd_before"].as_f64().expect("spd") < -0.15,
        "the sample is biased"
    );
    assert_eq!(r["converged"], true);
    assert_eq!(r["stop_reason"], "converged");
    for m in r["margins"].as_array().expect("margins") {
        assert!(m["max_abs_error"].as_f64().expect("error") <= 1e-14, "{m}");
    }
}

#[test]
fn parity_alone_is_kamiran_calders_reweighing_exactly() {
    let schema = Schema::from_file(&root().join(ADULT)).expect("schema");
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("kc.parquet");
    let opts = Options {
        targets: vec![],
        unit_start_weights: true,
        ..Options::default()
    };
    let (report, _) = reweight(
        &Input::file(root().join(SAMPLE), Format::Csv),
        &schema,
        &opts,
        Output::Parquet(&out),
        serde_json::json!({}),
    )
    .expect("reweights");
    assert_eq!(report.iterations, 1, "one joint margin: one exact step");
    // w(s, y) = n_s * n_y / (n * n_sy), with the counts of the sample.
    let (n, n_f, n_m, n_lo, n_hi) = (2036.0, 673.0, 1363.0, 1535.0, 501.0);
    let want = |sex: &str, inc: &str| -> f64 {
        let (ns, ny, nsy) = match (sex, inc) {
            ("Female", "<=50K") => (n_f, n_lo, 596.0),
            ("Female", _) => (n_f, n_hi, 77.0),
            ("Male", "<=50K") => (n_m, n_lo, 939.0),
            _ => (n_m, n_hi, 424.0),
        };
        ns * ny / (n * nsy)
    };
    let w = weights(&out);
    let sexes = strings(&out, "sex");
    let incomes = strings(&out, "income");
    for i in 0..w.len() {
        let f = want(&sexes[i], &incomes[i]);
        assert!((w[i] - f).abs() <= 1e-12 * f, "row {i}: {} vs {f}", w[i]);
    }
    // And the factors R printed (AIF360's formula) agree.
    assert_close(&w, &reference("reweighing.csv"), 1e-12, "reweighing");
    let sex = &report.fairness.expect("fairness").attributes[0];
    assert!(
        sex.spd_after.abs() <= 1e-12,
        "weighted SPD {}",
        sex.spd_after
    );
}

#[test]
fn the_total_start_weight_is_preserved_and_reported() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("w.parquet");
    let report = dir.path().join("r.json");
    run_reweight(&out, &["--report", report.to_str().expect("path")]).success();
    let r: serde_json::Value =
        serde_json::from_slice(&fs::read(&report).expect("report")).expect("JSON");
    let total: f64 = weights(&out).iter().sum();
    let start = r["total_weight"].as_f64().expect("total");
    assert!((total - start).abs() <= 1e-9 * start);
    assert!(
        (start - 383_121_162.0).abs() < 1e-3,
        "sum of fnlwgt in the sample"
    );
    assert_eq!(r["start_weights"], "fnlwgt");
    let w = &r["weights"];
    let deff = w["design_effect"].as_f64().expect("deff");
    let ess = w["effective_sample_size"].as_f64().expect("ess");
    assert!((ess * deff - 2036.0).abs() < 1e-6, "n = deff * ess");
    // The output's metadata carries the same report.
    let file = fs::File::open(&out).expect("out");
    let meta = ParquetRecordBatchReaderBuilder::try_new(file).expect("pq");
    let kv = meta
        .metadata()
        .file_metadata()
        .key_value_metadata()
        .expect("kv");
    let prov: serde_json::Value = serde_json::from_str(
        kv.iter()
            .find(|k| k.key == "fairsynth")
            .and_then(|k| k.value.as_deref())
            .expect("provenance"),
    )
    .expect("JSON");
    assert_eq!(prov["command"], "reweight");
    assert_eq!(prov["reweight"]["iterations"], r["iterations"]);
}

#[test]
fn bounds_hold_inside_the_iteration() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("w.parquet");
    let report = dir.path().join("r.json");
    run_reweight(
        &out,
        &[
            "--no-start-weights",
            "--no-parity",
            "--max-weight",
            "8",
            "--min-weight",
            "0.5",
            "--report",
            report.to_str().expect("path"),
        ],
    )
    .success();
    // Bounds are relative to the mean weight, sum(start weights) / n = 1 here.
    let w = weights(&out);
    let mean = w.iter().sum::<f64>() / w.len() as f64;
    assert!((mean - 1.0).abs() < 1e-12, "the total weight is kept");
    assert!(w
        .iter()
        .all(|x| *x <= 8.0 * (1.0 + 1e-12) && *x >= 0.5 * (1.0 - 1e-12)));
    let r: serde_json::Value =
        serde_json::from_slice(&fs::read(&report).expect("report")).expect("JSON");
    assert_eq!(
        r["converged"], true,
        "these bounds leave room to hit the targets"
    );
    // Unbounded, the largest weight is about 12.4 times the mean.
    run_reweight(&out, &["--no-start-weights", "--no-parity"]).success();
    assert!(weights(&out).iter().cloned().fold(0.0, f64::max) > 12.0);
}

#[test]
fn unreachable_targets_under_bounds_are_reported_with_residuals() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("w.parquet");
    let report = dir.path().join("r.json");
    run_reweight(
        &out,
        &[
            "--no-start-weights",
            "--no-parity",
            "--max-weight",
            "1.5",
            "--max-iterations",
            "200",
            "--report",
            report.to_str().expect("path"),
        ],
    )
    .success()
    .stderr(predicate::str::contains(
        "warning: the targets were not reached",
    ));
    let r: serde_json::Value =
        serde_json::from_slice(&fs::read(&report).expect("report")).expect("JSON");
    assert_eq!(r["converged"], false);
    assert_eq!(r["stop_reason"], "max_iterations");
    assert!(r["margins"]
        .as_array()
        .expect("margins")
        .iter()
        .any(|m| m["max_abs_error"].as_f64().expect("e") > 1e-3));
    let w = weights(&out);
    let mean = w.iter().sum::<f64>() / w.len() as f64;
    assert!(
        (mean - 1.0).abs() < 1e-12,
        "the total weight is kept: {mean}"
    );
    assert!(
        w.iter().all(|x| *x <= 1.5 * mean * (1.0 + 1e-12)),
        "bounds hold even when targets do not"
    );
    let e = margin_errors(&r);
    let worst = |f: fn(&(String, f64, f64)) -> f64| e.iter().map(f).fold(0.0, f64::max);
    assert!(worst(|m| m.2) <= worst(|m| m.1), "{e:?}");
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    fs::write(&p, text).expect("write");
    p
}

/// Runs reweight expecting a diagnostic (exit 2) containing `message`, and no output file.
fn diagnostic(input: &Path, schema: &Path, extra: &[&str], message: &str) {
    let out = input.with_file_name("never.parquet");
    fairsynth()
        .arg("reweight")
        .arg(input)
        .arg("--schema")
        .arg(schema)
        .arg("-o")
        .arg(&out)
        .args(extra)
        .assert()
        .code(2)
        .stderr(predicate::str::contains(message))
        .stderr(predicate::str::contains("panicked").not());
    assert!(!out.exists(), "no output after a diagnostic");
}

const SMALL_SCHEMA: &str = "version: 1\nname: small\ncolumns:\n  - {name: id, type: int, role: identifier}\n  - {name: sex, type: category, role: protected, nullable: true}\n  - {name: y, type: bool, role: label}\n  - {name: w, type: float, role: weight}\ntargets:\n  sex: {f: 0.5, m: 0.5}\nfairness:\n  label: y\n  independent_of: [sex]\n";

#[test]
fn diagnostics_name_the_column_and_level() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let schema = write(d, "s.yaml", SMALL_SCHEMA);
    let ok = "id,sex,y,w\n1,f,true,1\n2,f,false,1\n3,m,true,2\n4,m,false,1\n";

    // A target level with no rows.
    let only_f = write(d, "only_f.csv", "id,sex,y,w\n1,f,true,1\n2,f,false,1\n");
    diagnostic(
        &only_f,
        &schema,
        &[],
        "target level `sex: m` (share 0.5) has no rows in the input",
    );
    // A data level the targets do not mention.
    let extra = write(d, "extra.csv", &format!("{ok}5,x,true,1\n"));
    diagnostic(
        &extra,
        &schema,
        &[],
        "`sex` has 1 row with `x`, which the targets do not mention",
    );
    // Nulls in a raking column.
    let nulls = write(d, "nulls.csv", &format!("{ok}5,,true,1\n"));
    diagnostic(
        &nulls,
        &schema,
        &[],
        "`sex` has 1 row with no value, which the targets do not mention",
    );
    // An empty value in a column that does not allow nulls.
    let empty_y = write(d, "empty.csv", &format!("{ok}5,m,,1\n"));
    diagnostic(
        &empty_y,
        &schema,
        &[],
        "empty.csv:6: column `y`: empty value, but the column does not allow nulls",
    );
    // Targets whose shares do not sum to 1.
    let bad_targets = write(d, "t.yaml", "sex: {f: 0.5, m: 0.6}\n");
    let input = write(d, "ok.csv", ok);
    diagnostic(
        &input,
        &schema,
        &["--targets", bad_targets.to_str().expect("path")],
        "shares sum to 1.1, not 1",
    );
    // Targets naming a level the schema does not know are checked against the data.
    let zero = write(d, "z.yaml", "sex: {f: 1, m: 0}\n");
    diagnostic(
        &input,
        &schema,
        &["--targets", zero.to_str().expect("path")],
        "the target gives `sex: m` a share of 0, but 2 rows have it",
    );
    // Parity impossible: a group without one of the labels (margins that contradict).
    let no_label = write(
        d,
        "nolabel.csv",
        "id,sex,y,w\n1,f,true,1\n2,f,true,1\n3,m,true,2\n4,m,false,1\n",
    );
    diagnostic(&no_label, &schema, &[], "label parity needs every protected group to have every label, but no rows have `sex=f & y=false`");
    // Bounds that cannot be met.
    diagnostic(
        &input,
        &schema,
        &["--min-weight", "1.5"],
        "--min-weight 1.5 cannot be met",
    );
    diagnostic(
        &input,
        &schema,
        &["--max-weight", "0.9"],
        "--max-weight 0.9 cannot be met",
    );
    let spread = write(
        d,
        "spread.csv",
        "id,sex,y,w\n1,f,true,1\n2,f,true,3\n3,f,false,1\n4,m,true,1\n5,m,false,1\n",
    );
    diagnostic(
        &spread,
        &schema,
        &["--max-weight", "1.5", "--min-weight", "0.9"],
        "bounds cannot be met: start weights in one cell range from 1 to 3 (ratio 3.000)",
    );
    // Zero or negative start weights.
    let zero_w = write(
        d,
        "zw.csv",
        "id,sex,y,w\n1,f,true,1\n2,f,false,0\n3,m,true,-2\n4,m,false,1\n",
    );
    diagnostic(
        &zero_w,
        &schema,
        &[],
        "2 rows with a zero, negative or missing start weight in `w` (first: row 2, value 0)",
    );
    // A value that does not parse names the line and column.
    let bad_value = write(d, "bad.csv", "id,sex,y,w\n1,f,true,1\n2,f,maybe,1\n");
    diagnostic(
        &bad_value,
        &schema,
        &[],
        "bad.csv:3: column `y`: `maybe` is not a valid bool",
    );
    // A declared column missing from the input.
    let missing = write(d, "missing.csv", "id,sex,y\n1,f,true\n");
    diagnostic(
        &missing,
        &schema,
        &[],
        "has no column `w`, which the schema declares (line 7)",
    );
    // An empty file.
    let empty = write(d, "empty.csv", "");
    diagnostic(
        &empty,
        &schema,
        &[],
        "empty.csv:1: the file has no header line (it is empty)",
    );
    // Ragged CSV.
    let ragged = write(d, "ragged.csv", "id,sex,y,w\n1,f,true\n");
    diagnostic(
        &ragged,
        &schema,
        &[],
        "ragged.csv:2: 3 fields, but the header has 4",
    );
    // Unknown format (.txt reads as CSV; an unknown extension and no magic bytes do not).
    let txt = write(d, "data.bin", ok);
    diagnostic(&txt, &schema, &[], "cannot tell the format of");
    // The input itself as output.
    fairsynth()
        .arg("reweight")
        .arg(&input)
        .arg("--schema")
        .arg(&schema)
        .arg("-o")
        .arg(&input)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("refusing to overwrite the input"));
    assert_eq!(fs::read_to_string(&input).expect("input"), ok);
}

#[test]
fn resampling_matches_targets_within_sampling_error_and_is_deterministic() {
    let dir = tempfile::tempdir().expect("tempdir");
    let a = dir.path().join("a.parquet");
    let b = dir.path().join("b.parquet");
    let c = dir.path().join("c.parquet");
    let n = 20_000usize;
    for (out, seed) in [(&a, "3"), (&b, "3"), (&c, "4")] {
        run_reweight(out, &["--resample", &n.to_string(), "--seed", seed]).success();
    }
    assert!(
        fs::read(&a).expect("a") == fs::read(&b).expect("b"),
        "same seed, same bytes"
    );
    assert!(
        fs::read(&a).expect("a") != fs::read(&c).expect("c"),
        "another seed differs"
    );
    let batches = read(&a);
    assert!(
        batches[0].column_by_name("weight").is_none(),
        "a resample carries no weights"
    );
    let rows: usize = batches.iter().map(|b| b.num_rows()).sum();
    assert_eq!(rows, n);
    // Systematic sampling is at least as precise as independent draws: 5 binomial sigmas.
    let sex = strings(&a, "sex");
    let female = sex.iter().filter(|s| *s == "Female").count() as f64 / n as f64;
    assert!(
        (female - 0.5).abs() < 5.0 * (0.25f64 / n as f64).sqrt(),
        "female share {female}"
    );
    let race = strings(&a, "race");
    let white = race.iter().filter(|s| *s == "White").count() as f64 / n as f64;
    assert!(
        (white - 0.76).abs() < 5.0 * (0.76f64 * 0.24 / n as f64).sqrt(),
        "white share {white}"
    );
}

#[test]
fn identifiers_are_left_out_unless_kept() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("customers.parquet");
    fairsynth()
        .args([
            "synth",
            "--schema",
            "schemas/customers.yaml",
            "--rows",
            "20000",
            "-q",
            "-o",
        ])
        .arg(&data)
        .assert()
        .success();
    let out = dir.path().join("w.parquet");
    let report = dir.path().join("r.json");
    fairsynth()
        .arg("reweight")
        .arg(&data)
        .args([
            "--schema",
            "schemas/customers.yaml",
            "-q",
            "--report",
            report.to_str().expect("path"),
        ])
        .arg("-o")
        .arg(&out)
        .assert()
        .success();
    let fields: Vec<String> = read(&out)[0]
        .schema()
        .fields()
        .iter()
        .map(|f| f.name().clone())
        .collect();
    for id in [
        "customer_id",
        "full_name",
        "email",
        "phone",
        "street_address",
    ] {
        assert!(!fields.contains(&id.to_string()), "{id} must be left out");
    }
    assert!(fields.contains(&"weight".to_string()));
    // Intersectional parity: the churn rate is equal across sex, age bands and both jointly.
    let r: serde_json::Value =
        serde_json::from_slice(&fs::read(&report).expect("report")).expect("JSON");
    let attrs = r["fairness"]["attributes"].as_array().expect("attributes");
    assert_eq!(attrs.len(), 3, "sex, age and sex & age");
    for a in attrs {
        assert!(
            a["spd_before"].as_f64().expect("spd") < -0.05,
            "the fixture is biased: {a}"
        );
        assert!(a["spd_after"].as_f64().expect("spd").abs() < 1e-9, "{a}");
    }
    let kept = dir.path().join("k.parquet");
    fairsynth()
        .arg("reweight")
        .arg(&data)
        .args([
            "--schema",
            "schemas/customers.yaml",
            "-q",
            "--keep-identifiers",
            "-o",
        ])
        .arg(&kept)
        .assert()
        .success();
    let fields: Vec<String> = read(&kept)[0]
        .schema()
        .fields()
        .iter()
        .map(|f| f.name().clone())
        .collect();
    assert!(fields.contains(&"email".to_string()));
}

#[test]
fn output_bytes_do_not_depend_on_threads() {
    let dir = tempfile::tempdir().expect("tempdir");
    let a = dir.path().join("a.parquet");
    let b = dir.path().join("b.parquet");
    run_reweight(&a, &["--threads", "1"]).success();
    run_reweight(&b, &["--threads", "2"]).success();
    assert!(fs::read(&a).expect("a") == fs::read(&b).expect("b"));
}

#[test]
fn parquet_input_gives_the_same_weights_as_csv() {
    let dir = tempfile::tempdir().expect("tempdir");
    let first = dir.path().join("first.parquet");
    run_reweight(
        &first,
        &["--no-parity", "--keep-identifiers", "--weight-column", "w1"],
    )
    .success();
    let second = dir.path().join("second.parquet");
    fairsynth()
        .arg("reweight")
        .arg(&first)
        .args([
            "--schema",
            ADULT,
            "--no-parity",
            "--tolerance",
            "1e-14",
            "-q",
            "-o",
        ])
        .arg(&second)
        .assert()
        .success();
    assert_close(
        &weights(&second),
        &reference("rake_fnlwgt.csv"),
        1e-9,
        "from Parquet",
    );
}

#[test]
fn contradicting_margins_are_an_error_not_zero_weights() {
    // `b1` occurs only with `a1`, but b1's target (0.5) exceeds a1's (0.2): no positive
    // weights can meet both margins.
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let schema = write(d, "s.yaml", "version: 1\nname: c\ncolumns:\n  - {name: a, type: category}\n  - {name: b, type: category}\ntargets:\n  a: {a0: 0.6, a1: 0.2, a2: 0.2}\n  b: {b0: 0.5, b1: 0.5}\n");
    let input = write(
        d,
        "in.csv",
        "a,b\na0,b0\na0,b0\na1,b0\na1,b1\na2,b0\na0,b0\n",
    );
    diagnostic(
        &input,
        &schema,
        &[],
        "the targets cannot all be met with this data: raking drives the weights of",
    );
    // With a lower bound the closest reachable shares are written, with a warning.
    let out = d.join("bounded.parquet");
    fairsynth()
        .arg("reweight")
        .arg(&input)
        .arg("--schema")
        .arg(&schema)
        .args(["--min-weight", "0.1", "--max-iterations", "300", "-o"])
        .arg(&out)
        .assert()
        .success()
        .stderr(predicate::str::contains(
            "warning: the targets were not reached",
        ));
    assert!(weights(&out).iter().all(|w| *w > 0.0));
}

#[test]
fn parity_holds_for_every_level_of_a_multi_class_label() {
    // Three label levels and a skew by group: after reweighting, each level has the same
    // weighted rate in every group, and that rate is the start-weighted overall rate.
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let schema = write(d, "s.yaml", "version: 1\nname: m\ncolumns:\n  - {name: g, type: category, role: protected}\n  - {name: y, type: category, role: label, levels: [lo, mid, hi]}\nfairness:\n  label: y\n  independent_of: [g]\n  favourable: hi\n");
    let mut csv = String::from("g,y\n");
    for (g, counts) in [("a", [50, 30, 20]), ("b", [20, 30, 50]), ("c", [10, 10, 5])] {
        for (level, n) in ["lo", "mid", "hi"].iter().zip(counts) {
            for _ in 0..n {
                csv.push_str(&format!("{g},{level}\n"));
            }
        }
    }
    let input = write(d, "in.csv", &csv);
    let out = d.join("o.parquet");
    fairsynth()
        .arg("reweight")
        .arg(&input)
        .arg("--schema")
        .arg(&schema)
        .args(["-q", "-o"])
        .arg(&out)
        .assert()
        .success();
    let w = weights(&out);
    let g = strings(&out, "g");
    let y = strings(&out, "y");
    let n = w.len() as f64;
    for level in ["lo", "mid", "hi"] {
        let overall = y.iter().filter(|v| *v == level).count() as f64 / n;
        for group in ["a", "b", "c"] {
            let (mut hit, mut all) = (0.0, 0.0);
            for i in 0..w.len() {
                if g[i] == group {
                    all += w[i];
                    if y[i] == level {
                        hit += w[i];
                    }
                }
            }
            assert!(
                (hit / all - overall).abs() < 1e-12,
                "{level} in {group}: {} vs {overall}",
                hit / all
            );
        }
    }
}

/// The largest `max_abs_error` (after) and `max_abs_error_before` of each margin of a report.
fn margin_errors(r: &serde_json::Value) -> Vec<(String, f64, f64)> {
    r["margins"]
        .as_array()
        .expect("margins")
        .iter()
        .map(|m| {
            (
                m["columns"].to_string(),
                m["max_abs_error_before"].as_f64().expect("before"),
                m["max_abs_error"].as_f64().expect("after"),
            )
        })
        .collect()
}

#[test]
fn bounded_raking_keeps_the_mean_and_the_bounds_and_ends_no_worse_than_it_started() {
    // Survey start weights (fnlwgt) and label parity, capped at 5 times the mean weight: the
    // targets are out of reach (the old are too few), so the iteration stops at the sweep limit.
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("w.parquet");
    let report = dir.path().join("r.json");
    let run = fairsynth()
        .args([
            "reweight",
            SAMPLE,
            "--schema",
            ADULT,
            "--max-weight",
            "5",
            "-o",
        ])
        .arg(&out)
        .arg("--report")
        .arg(&report)
        .output()
        .expect("runs");
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(0), "{stderr}");
    let r: serde_json::Value =
        serde_json::from_slice(&fs::read(&report).expect("report")).expect("JSON");
    assert_eq!(r["converged"], false);
    // The warning says what happened in words, not the name of an enum variant.
    assert!(!stderr.contains("MaxIterations"), "{stderr}");
    assert!(
        stderr.contains("warning: the targets were not reached within 1e-10 (stopped at the sweep limit after 1000 sweeps"),
        "{stderr}"
    );
    // The total (so the mean) weight is kept, and the bounds hold against the final mean.
    let w = weights(&out);
    let n = w.len() as f64;
    let mean = w.iter().sum::<f64>() / n;
    let start_mean = r["total_weight"].as_f64().expect("total") / n;
    assert!(
        (mean / start_mean - 1.0).abs() < 1e-12,
        "{mean} {start_mean}"
    );
    let max = w.iter().cloned().fold(0.0, f64::max);
    assert!(
        max <= 5.0 * mean * (1.0 + 1e-12),
        "max/mean = {}",
        max / mean
    );
    assert!(
        max >= 5.0 * mean * (1.0 - 1e-9),
        "the cap binds: {}",
        max / mean
    );
    // No margin ends further from its targets than it started (here; the guarantee is on the
    // largest error over all margins).
    for (m, before, after) in margin_errors(&r) {
        assert!(after <= before, "{m}: {before} -> {after}");
    }
}

#[test]
fn bounds_that_cannot_keep_the_mean_or_the_start_are_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("w.parquet");
    // fnlwgt varies within cells and a cell's factor is capped by its largest start weight:
    // at 2 times the mean every row at its cap holds 71 % of the total weight.
    run_reweight(&out, &["--max-weight", "2"])
        .code(2)
        .stderr(predicate::str::contains(
            "bounds cannot be met: with --max-weight 2 the weights cannot keep their total",
        ))
        .stderr(predicate::str::contains(
            "raise --max-weight to more than 2.809",
        ));
    assert!(!out.exists(), "nothing is written");
    run_reweight(&out, &["--min-weight", "0.3"])
        .code(2)
        .stderr(predicate::str::contains(
            "bounds cannot be met: with --min-weight 0.3 the weights cannot keep their total",
        ));
    // Start weights that meet the target but not the cap: within the bounds the closest
    // sweep ends further from the target than the start, so nothing is written.
    let d = dir.path();
    let schema = write(d, "s.yaml", "version: 1\nname: c\ncolumns:\n  - {name: a, type: category}\n  - {name: w, type: float, role: weight}\ntargets:\n  a: {a0: 0.4, a1: 0.6}\n");
    let input = write(
        d,
        "in.csv",
        "a,w\na0,4\na1,1\na1,1\na1,1\na1,1\na1,1\na1,1\n",
    );
    fairsynth()
        .arg("reweight")
        .arg(&input)
        .arg("--schema")
        .arg(&schema)
        .args(["--max-weight", "2", "-o"])
        .arg(&out)
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "bounds cannot be met: with --max-weight 2 even the closest sweep of the bounded raking is further from the targets than the start weights (largest |share - target| over every margin 0.114, against 0.000 at the start; per margin: a 0.000 -> 0.114)",
        ));
    // A cap alone that leaves the targets out of reach squeezes other rows to zero.
    run_reweight(&out, &["--max-weight", "3"])
        .code(2)
        .stderr(predicate::str::contains(
            "bounds cannot be met: with --max-weight 3 the targets are out of reach",
        ));
    assert!(!out.exists(), "nothing is written");
}
