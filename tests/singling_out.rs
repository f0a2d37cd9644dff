//! `deidentify`'s singling-out figures: rows unique over the quasi-identifiers, over
//! everything released and per added column, checked against an independent pandas
//! computation on the committed Adult sample; the `privacy.max_unique_share` gate stops the
//! run and writes nothing.

use std::fs;

use serde_json::Value;

mod common;
use common::fairsynth;

const SAMPLE: &str = "tests/data/adult_sample.csv";
const SCHEMA: &str = "tests/data/schemas/adult_deid.yaml";

fn report(dir: &std::path::Path, schema: &str) -> (Value, std::process::Output) {
    let out = dir.join("out.parquet");
    let rep = dir.join("report.json");
    let o = fairsynth()
        .args(["deidentify", SAMPLE, "--schema", schema, "-o"])
        .arg(&out)
        .arg("--report")
        .arg(&rep)
        .output()
        .expect("runs");
    let v = fs::read_to_string(&rep)
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or(Value::Null);
    (v, o)
}

/// Writes `csv` to a file in `dir`, runs `inspect --draft-schema` on it and returns the file
/// and the draft.
fn draft(dir: &std::path::Path, csv: &str) -> (std::path::PathBuf, String) {
    let data = dir.join("people.csv");
    fs::write(&data, csv).expect("csv");
    let out = dir.join("draft.yaml");
    fairsynth()
        .arg("inspect")
        .arg(&data)
        .args(["-q", "--draft-schema"])
        .arg(&out)
        .assert()
        .success();
    (data, fs::read_to_string(&out).expect("draft"))
}

/// The drafted entry of one column.
fn entry(draft: &str, col: &str) -> String {
    let at = draft
        .find(&format!("name: \"{col}\""))
        .unwrap_or_else(|| panic!("`{col}` drafted:\n{draft}"));
    draft[at..draft[at..].find("\n  - ").map_or(draft.len(), |e| at + e)].to_string()
}

#[test]
fn figures_equal_pandas_on_the_adult_sample() {
    let dir = tempfile::tempdir().expect("tmp");
    let (rep, o) = report(dir.path(), SCHEMA);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let want: Value = serde_json::from_str(
        &fs::read_to_string(common::root().join("tests/data/reference/singling_out.json"))
            .expect("reference"),
    )
    .expect("JSON");
    let so = &rep["singling_out"];
    let rows = want["rows"].as_u64().expect("rows");
    assert_eq!(so["rows"].as_u64(), Some(rows));
    assert_eq!(rep["rows_out"].as_u64(), Some(rows));
    for set in ["quasi_identifiers", "released"] {
        assert_eq!(so[set]["columns"], want[set]["columns"], "{set} columns");
        assert_eq!(
            so[set]["unique_rows"], want[set]["unique_rows"],
            "{set} unique rows"
        );
        let share = so[set]["share"].as_f64().expect("share");
        let u = want[set]["unique_rows"].as_f64().expect("count");
        assert!((share - u / rows as f64).abs() < 1e-12, "{set} share");
    }
    let base = want["quasi_identifiers"]["unique_rows"]
        .as_f64()
        .expect("base")
        / rows as f64;
    let with = want["with_column"].as_object().expect("per column");
    let raises = so["raises"].as_array().expect("raises");
    assert_eq!(raises.len(), with.len(), "one raise per non-quasi column");
    let mut last = f64::INFINITY;
    for r in raises {
        let c = r["column"].as_str().expect("column");
        let share = with[c].as_f64().expect("pandas figure") / rows as f64;
        assert!(
            (r["share"].as_f64().expect("share") - share).abs() < 1e-12,
            "{c}"
        );
        assert!(
            (r["raise"].as_f64().expect("raise") - (share - base)).abs() < 1e-12,
            "{c}"
        );
        let raise = r["raise"].as_f64().expect("raise");
        assert!(raise <= last, "largest raise first");
        last = raise;
    }
    // The survey weight is nearly unique per row: the figure that k = 5 alone hides.
    assert_eq!(raises[0]["column"], "fnlwgt");
    assert!(so["released"]["share"].as_f64().expect("share") > 0.9);
    assert!(so["quasi_identifiers"]["share"].as_f64().expect("share") < 0.01);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(
        stderr.contains("over everything released") && stderr.contains("fnlwgt +"),
        "{stderr}"
    );
}

#[test]
fn the_gate_stops_the_run_and_writes_nothing() {
    let dir = tempfile::tempdir().expect("tmp");
    let text = fs::read_to_string(common::root().join(SCHEMA)).expect("schema");
    let gated = dir.path().join("gated.yaml");
    fs::write(
        &gated,
        text.replace(
            "privacy:\n  k_anonymity: 5\n",
            "privacy:\n  k_anonymity: 5\n  max_unique_share: 0.05\n  unique_over: [age, sex, hours_per_week, capital_gain, fnlwgt]\n",
        ),
    )
    .expect("write");
    let (_, o) = report(dir.path(), gated.to_str().expect("utf-8"));
    assert_eq!(o.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(
        stderr.contains("above privacy.max_unique_share (5.0%)")
            && stderr.contains("nothing was written")
            && stderr.contains("`fnlwgt`"),
        "{stderr}"
    );
    let left: Vec<_> = fs::read_dir(dir.path())
        .expect("dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        left,
        vec!["gated.yaml".to_string()],
        "no output, report or temp file"
    );

    // Over the quasi-identifiers (the default set) the same limit passes.
    let over_qi = dir.path().join("qi.yaml");
    fs::write(
        &over_qi,
        text.replace(
            "privacy:\n  k_anonymity: 5\n",
            "privacy:\n  k_anonymity: 5\n  max_unique_share: 0.05\n",
        ),
    )
    .expect("write");
    let (rep, o) = report(dir.path(), over_qi.to_str().expect("utf-8"));
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let gate = &rep["singling_out"]["gate"];
    assert_eq!(gate["passed"], true);
    assert_eq!(gate["columns"], serde_json::json!(["age", "sex"]));
    assert_eq!(gate["max"], 0.05);
}

#[test]
fn a_gate_over_a_column_that_is_not_released_is_refused() {
    let dir = tempfile::tempdir().expect("tmp");
    let text = fs::read_to_string(common::root().join(SCHEMA)).expect("schema");
    let bad = dir.path().join("bad.yaml");
    fs::write(
        &bad,
        text.replace(
            "privacy:\n  k_anonymity: 5\n",
            "privacy:\n  k_anonymity: 5\n  max_unique_share: 0.05\n  unique_over: [age, fnlwgt]\n",
        )
        .replace(
            "{name: fnlwgt, type: float, role: weight}",
            "{name: fnlwgt, type: float, role: weight, action: drop}",
        ),
    )
    .expect("write");
    let (_, o) = report(dir.path(), bad.to_str().expect("utf-8"));
    assert_eq!(o.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("privacy.unique_over names `fnlwgt`"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(!dir.path().join("out.parquet").exists());
}

/// A table whose amounts, event times and birth dates single people out under neutral
/// names: the draft from `inspect` proposes them as quasi-identifiers with generalisation
/// levels, and `deidentify` with the draft unchanged leaves no row unique over what it
/// releases.
#[test]
fn the_inspect_draft_generalises_what_singles_people_out() {
    let dir = tempfile::tempdir().expect("tmp");
    let mut text = String::from("d1,seen,colour,amount\n");
    for i in 0..3000u64 {
        // A deterministic spread: 60 years of dates, a year of instants, amounts in cents.
        let h = i.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 20;
        let day = 1 + h % 28;
        let month = 1 + (h / 28) % 12;
        let year = 1940 + (h / 336) % 60;
        let secs = h % 31_000_000;
        let amount = 10.0 + (h % 8000) as f64 / 100.0;
        text.push_str(&format!(
            "{year}-{month:02}-{day:02},2023-{:02}-{:02}T{:02}:{:02}:{:02}Z,{},{amount:.2}\n",
            1 + (secs / 2_600_000) % 12,
            1 + (secs / 86_400) % 28,
            (secs / 3600) % 24,
            (secs / 60) % 60,
            secs % 60,
            ["red", "green", "blue"][(h % 3) as usize],
        ));
    }
    let (csv, d) = draft(dir.path(), &text);
    // Every one is a quasi-identifier: generalised, or (the judge's choice, when k = 5 would
    // suppress every value of it) dropped with the reason beside it.
    for col in ["d1", "seen", "amount"] {
        let entry = entry(&d, col);
        assert!(
            entry.contains("role: quasi_identifier")
                && (entry.contains("generalise: [")
                    || (entry.contains("action: drop") && entry.contains("suppressed"))),
            "{entry}"
        );
    }
    assert!(entry(&d, "seen").contains("generalise: ["), "{d}");
    assert!(d.contains("k_anonymity: 5"), "{d}");
    let rep = dir.path().join("r.json");
    fairsynth()
        .arg("deidentify")
        .arg(&csv)
        .arg("--schema")
        .arg(dir.path().join("draft.yaml"))
        .args(["-q", "-o"])
        .arg(dir.path().join("out.parquet"))
        .arg("--report")
        .arg(&rep)
        .assert()
        .success();
    let r: Value = serde_json::from_str(&fs::read_to_string(&rep).expect("report")).expect("JSON");
    assert!(r["anonymity"]["k_achieved"].as_u64().expect("k") >= 5);
    let released = r["singling_out"]["released"]["share"]
        .as_f64()
        .expect("share");
    assert!(
        released < 0.01,
        "still unique over everything released: {released}"
    );
}

/// Birth dates under a neutral name are drafted as quasi-identifiers by their content even when
/// each date is shared by many rows (so no rule on one-row values would catch them), while
/// event dates that run up to the present stay features.
#[test]
fn inspect_drafts_birth_dates_by_content() {
    let dir = tempfile::tempdir().expect("tmp");
    let mut text = String::from("d1,d2\n");
    for i in 0..3000u64 {
        let k = i % 300;
        // 300 days between 1945 and 2000 (ten rows each); 300 days of 2024.
        let year = 1945 + k * 55 / 300;
        let (month, day) = (1 + k % 12, 1 + k % 28);
        text.push_str(&format!(
            "{year}-{month:02}-{day:02},2024-{:02}-{:02}\n",
            1 + (k / 28) % 12,
            1 + k % 28
        ));
    }
    let (_, d) = draft(dir.path(), &text);
    let d1 = entry(&d, "d1");
    assert!(
        d1.contains("role: quasi_identifier") && d1.contains("like birth dates"),
        "{d1}"
    );
    let d2 = entry(&d, "d2");
    assert!(d2.contains("role: feature"), "{d2}");
}

/// Five-digit codes with leading zeros under a neutral name are read as text (the zeros kept)
/// and drafted as postcode-like quasi-identifiers; five-digit amounts are not.
#[test]
fn inspect_drafts_postcodes_by_content() {
    let dir = tempfile::tempdir().expect("tmp");
    let mut text = String::from("area,price\n");
    for i in 0..3000u64 {
        // 150 codes, one in ten below 10000; prices from 150 five-digit amounts.
        let k = (i * 7919) % 150;
        let code = if k % 10 == 0 {
            1000 + k * 37
        } else {
            10000 + k * 577
        };
        text.push_str(&format!("{code:05},{}\n", 20000 + k * 311));
    }
    let (_, d) = draft(dir.path(), &text);
    let area = entry(&d, "area");
    assert!(
        area.contains("type: string")
            && area.contains("role: quasi_identifier")
            && area.contains("like postcodes")
            && area.contains("prefix: 3"),
        "{area}"
    );
    let price = entry(&d, "price");
    assert!(
        price.contains("type: int") && !price.contains("postcode"),
        "{price}"
    );
}
