//! `fairsynth audit` on the Adult sample against figures computed independently with pandas,
//! scipy and statsmodels (tests/data/reference/audit.json, made by make_audit.py beside it);
//! staleness on a hand-made table; the exit code of every gate; drift against a baseline.

use std::path::{Path, PathBuf};

use serde_json::Value;

mod common;
use common::{fairsynth, root};

fn sample() -> PathBuf {
    root().join("tests/data/adult_sample.csv")
}

fn reference() -> Value {
    let text = std::fs::read_to_string(root().join("tests/data/reference/audit.json"))
        .expect("reference file");
    serde_json::from_str(&text).expect("reference JSON")
}

/// schemas/adult.yaml without its `quality:` block, so each test sets only the gates it checks.
fn adult_without_gates(dir: &Path) -> PathBuf {
    let text = std::fs::read_to_string(root().join("schemas/adult.yaml")).expect("schema");
    let cut = text
        .find("\nquality:")
        .expect("adult.yaml has a quality block");
    let path = dir.join("adult.yaml");
    std::fs::write(&path, &text[..cut + 1]).expect("write schema");
    path
}

/// Runs audit on `data` and returns (exit code, JSON report).
fn audit(data: &Path, schema: &Path, dir: &Path, extra: &[&str]) -> (i32, Value) {
    let report = dir.join("audit.json");
    let _ = std::fs::remove_file(&report);
    let out = fairsynth()
        .arg("audit")
        .arg(data)
        .arg("--schema")
        .arg(schema)
        .arg("--report")
        .arg(&report)
        .args(if extra.contains(&"--as-of") {
            &["-q"][..]
        } else {
            &["--as-of", "2026-12-01", "-q"]
        })
        .args(extra)
        .output()
        .expect("runs");
    let code = out.status.code().expect("exit code");
    let json = std::fs::read_to_string(&report)
        .map(|t| serde_json::from_str(&t).expect("report JSON"))
        .unwrap_or(Value::Null);
    (code, json)
}

fn close(a: f64, b: f64, what: &str) {
    assert!(
        (a - b).abs() < 1e-12,
        "{what}: fairsynth {a}, reference {b}"
    );
}

fn f(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
}

#[test]
fn adult_figures_equal_an_independent_computation() {
    let dir = tempfile::tempdir().expect("tempdir");
    let schema = adult_without_gates(dir.path());
    let (code, r) = audit(
        &sample(),
        &schema,
        dir.path(),
        &["--threshold", "min_group_rows=30"],
    );
    assert_eq!(code, 1, "race `Other` has fewer than 30 rows");
    let reference = reference();
    assert_eq!(r["input"]["rows"], reference["rows"]);

    // Representation: shares, counts and Wilson intervals of every group.
    let mut checked = 0;
    for a in r["representation"].as_array().expect("representation") {
        let attr = a["attribute"].as_str().expect("attribute");
        for g in a["groups"].as_array().expect("groups") {
            let group = g["group"].as_str().expect("group");
            let rows = g["rows"].as_u64().expect("rows");
            let expected = &reference["counts"][attr][group];
            if expected.is_null() {
                // A declared level (or intersection) with no rows: pandas lists none.
                assert_eq!(rows, 0, "{attr} = {group}");
                continue;
            }
            assert_eq!(rows, expected.as_u64().expect("count"), "{attr} = {group}");
            close(
                f(&g["share"]),
                f(&reference["shares"][attr][group]),
                "share",
            );
            let ci = &reference["wilson95"][attr][group];
            close(f(&g["interval"][0]), f(&ci[0]), "Wilson lower");
            close(f(&g["interval"][1]), f(&ci[1]), "Wilson upper");
            checked += 1;
        }
    }
    assert!(checked >= 2 + 5 + 6 + 40, "{checked} groups compared");
    // The schema's targets: sex 0.5/0.5, and the sample's women are a third.
    let sex = r["representation"]
        .as_array()
        .expect("representation")
        .iter()
        .find(|a| a["attribute"] == "sex")
        .expect("sex");
    close(f(&sex["groups"][0]["target"]), 0.5, "target");
    close(
        f(&sex["groups"][0]["gap"]),
        f(&reference["shares"]["sex"]["Female"]) - 0.5,
        "gap",
    );
    assert_eq!(sex["groups"][0]["target_in_interval"], false);

    // Parity: rates per group, SPD and DI over groups with at least 30 rows.
    for a in r["parity"]["attributes"].as_array().expect("parity") {
        let attr = a["attribute"].as_str().expect("attribute");
        for g in a["groups"].as_array().expect("groups") {
            let group = g["group"].as_str().expect("group");
            close(f(&g["rate"]), f(&reference["rates"][attr][group]), "rate");
        }
        let p = &reference["parity"][attr];
        close(f(&a["spd"]), f(&p["spd"]), &format!("SPD {attr}"));
        close(f(&a["di"]), f(&p["di"]), &format!("DI {attr}"));
        assert_eq!(a["lowest"], p["lowest"], "{attr}");
        assert_eq!(a["highest"], p["highest"], "{attr}");
    }

    // Proxies: every (column, protected) pair, and the ranking.
    let pairs = r["proxies"]["pairs"].as_array().expect("pairs");
    let expected = reference["proxies"].as_object().expect("proxies");
    assert_eq!(pairs.len(), expected.len() * 3);
    for p in pairs {
        let (c, pr) = (
            p["column"].as_str().expect("column"),
            p["protected"].as_str().expect("protected"),
        );
        let e = &reference["proxies"][c][pr];
        close(
            f(&p["cramers_v"]),
            f(&e["cramers_v"]),
            &format!("V {c}/{pr}"),
        );
        close(
            f(&p["mutual_information_bits"]),
            f(&e["mutual_information_bits"]),
            &format!("MI {c}/{pr}"),
        );
    }
    for (i, t) in reference["top_proxies"]
        .as_array()
        .expect("top")
        .iter()
        .enumerate()
    {
        assert_eq!(pairs[i]["column"], t[0]);
        assert_eq!(pairs[i]["protected"], t[1]);
    }
    assert_eq!(pairs[0]["column"], "relationship");
    assert_eq!(pairs[0]["protected"], "sex");

    // Quality: nulls per column and duplicates.
    for c in r["quality"]["columns"].as_array().expect("columns") {
        let name = c["column"].as_str().expect("name");
        assert_eq!(c["nulls"], reference["nulls"][name], "nulls of {name}");
    }
    assert_eq!(r["quality"]["duplicate_rows"], reference["duplicates"]);
    // No date column: no age, and the gate would be skipped.
    assert!(r["quality"]["data_age_days"].is_null());
}

/// The status of gate `key` in a report.
fn status(r: &Value, key: &str) -> String {
    r["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .find(|c| c["key"] == key)
        .map(|c| c["status"].as_str().expect("status").to_string())
        .unwrap_or_else(|| panic!("no check {key} in {}", r["checks"]))
}

#[test]
fn every_gate_passes_and_fails_with_the_right_exit_code() {
    let dir = tempfile::tempdir().expect("tempdir");
    let schema = adult_without_gates(dir.path());
    // Without gates only the identifiers check runs, and passes.
    let (code, r) = audit(&sample(), &schema, dir.path(), &[]);
    assert_eq!(code, 0);
    assert_eq!(status(&r, "identifiers"), "passed");
    // Sex DI 0.368 and SPD -0.197 (age and race are worse); relationship V 0.661 for sex; the
    // smallest single group is Amer-Indian-Eskimo (18 rows).
    for (gate, pass, fail) in [
        ("min_group_rows", "10", "30"),
        ("min_di", "0.0", "0.5"),
        ("max_spd", "0.99", "0.3"),
        ("max_proxy_strength", "0.7", "0.6"),
    ] {
        let (code, r) = audit(
            &sample(),
            &schema,
            dir.path(),
            &["--threshold", &format!("{gate}={pass}")],
        );
        assert_eq!((gate, code), (gate, 0), "{}", r["checks"]);
        assert_eq!(status(&r, gate), "passed");
        let (code, r) = audit(
            &sample(),
            &schema,
            dir.path(),
            &["--threshold", &format!("{gate}={fail}")],
        );
        assert_eq!((gate, code), (gate, 1));
        assert_eq!(status(&r, gate), "failed");
    }
    // Gates whose figure cannot be computed are skipped, not failed.
    let (code, r) = audit(
        &sample(),
        &schema,
        dir.path(),
        &[
            "--threshold",
            "max_age_days=30",
            "--threshold",
            "max_drift=0.01",
        ],
    );
    assert_eq!(code, 0);
    assert_eq!(status(&r, "max_age_days"), "skipped");
    assert_eq!(status(&r, "max_drift"), "skipped");
    // The schema's own gates (min_di 0.8, max_spd 0.1) fail on the real table.
    let (code, r) = audit(
        &sample(),
        &root().join("schemas/adult.yaml"),
        dir.path(),
        &[],
    );
    assert_eq!(code, 1);
    assert_eq!(status(&r, "min_di"), "failed");
    // Usage errors: exit 2.
    for extra in [
        &["--as-of", "yesterday"][..],
        &["--threshold", "max_proxy_strenght=0.5"],
        &["--threshold", "max_drift=2"],
        &["--baseline", "Cargo.toml"],
    ] {
        let (code, _) = audit(&sample(), &schema, dir.path(), extra);
        assert_eq!(code, 2, "{extra:?}");
    }
}

#[test]
fn drift_compares_every_figure_with_the_baseline() {
    let dir = tempfile::tempdir().expect("tempdir");
    let schema = adult_without_gates(dir.path());
    let (_, first) = audit(&sample(), &schema, dir.path(), &[]);
    let baseline = dir.path().join("baseline.json");
    std::fs::rename(dir.path().join("audit.json"), &baseline).expect("keep baseline");
    let b = baseline.to_str().expect("utf-8 path");

    // The same table: nothing changed.
    let (code, r) = audit(
        &sample(),
        &schema,
        dir.path(),
        &["--baseline", b, "--threshold", "max_drift=0"],
    );
    assert_eq!(code, 0);
    assert_eq!(f(&r["drift"]["max_change"]), 0.0);
    // Every figure is compared, except the rates of groups under 30 rows.
    let left_out = r["drift"]["left_out_small_groups"]
        .as_array()
        .expect("left out")
        .len();
    assert!(left_out > 0);
    assert_eq!(
        r["drift"]["compared"].as_u64().expect("compared") as usize + left_out,
        first["figures"].as_object().expect("figures").len()
    );

    // Only the women's rows of the test split dropped: the sex share moves most.
    let text = std::fs::read_to_string(sample()).expect("sample");
    let kept: Vec<&str> = text
        .lines()
        .filter(|l| !(l.ends_with(",test") && l.contains(",Female,")))
        .collect();
    let changed = dir.path().join("changed.csv");
    std::fs::write(&changed, kept.join("\n") + "\n").expect("write");
    let (code, r) = audit(
        &changed,
        &schema,
        dir.path(),
        &["--baseline", b, "--threshold", "max_drift=0.05"],
    );
    assert_eq!(code, 1, "{}", r["checks"]);
    let d = &r["drift"];
    let changes = d["changes"].as_array().expect("changes");
    close(
        f(&d["max_change"]),
        f(&changes[0]["change"]).abs(),
        "max change",
    );
    for c in changes {
        let name = c["figure"].as_str().expect("figure");
        close(f(&c["before"]), f(&first["figures"][name]), name);
        close(f(&c["after"]), f(&r["figures"][name]), name);
        assert!(f(&c["change"]).abs() <= f(&d["max_change"]));
    }
    let women = changes
        .iter()
        .find(|c| c["figure"] == "share/sex/Female")
        .expect("the share of women is compared");
    assert!(f(&women["change"]) < -0.05, "{women}");
    let (code, _) = audit(
        &changed,
        &schema,
        dir.path(),
        &["--baseline", b, "--threshold", "max_drift=0.5"],
    );
    assert_eq!(code, 0);
}

#[test]
fn staleness_and_quality_of_a_hand_made_table() {
    let dir = tempfile::tempdir().expect("tempdir");
    let schema = dir.path().join("t.yaml");
    std::fs::write(
        &schema,
        "version: 1\nname: t\ncolumns:\n\
         \x20 - {name: id, type: int, role: identifier}\n\
         \x20 - {name: sex, type: category, role: protected, levels: [f, m]}\n\
         \x20 - {name: score, type: int, min: 0, max: 10}\n\
         \x20 - {name: joined, type: date, nullable: true}\n\
         \x20 - {name: seen, type: timestamp}\n\
         \x20 - {name: contact, type: string}\n\
         \x20 - {name: ok, type: bool, role: label}\n",
    )
    .expect("schema");
    let data = dir.path().join("t.csv");
    std::fs::write(
        &data,
        "id,sex,score,joined,seen,contact,ok\n\
         1,f,5,2026-01-10,2026-02-01T00:00:00Z,x,true\n\
         2,m,11,2026-03-01,2026-02-28T12:00:00Z,y,false\n\
         3,x,5,,2026-01-01T00:00:00Z,z,true\n\
         3,x,5,,2026-01-01T00:00:00Z,z,true\n\
         5,f,-1,2026-04-02,2026-01-01T00:00:00Z,w,false\n",
    )
    .expect("data");
    let (code, r) = audit(
        &data,
        &schema,
        dir.path(),
        &["--as-of", "2026-03-31", "--threshold", "max_age_days=30"],
    );
    assert_eq!(code, 0, "{}", r["checks"]);
    let q = &r["quality"];
    assert_eq!(q["as_of"], "2026-03-31");
    assert_eq!(q["duplicate_rows"], 1);
    let col = |n: &str| {
        q["columns"]
            .as_array()
            .expect("columns")
            .iter()
            .find(|c| c["column"] == n)
            .expect("column")
            .clone()
    };
    assert_eq!(col("sex")["outside_levels"], 2);
    assert_eq!(col("sex")["outside_level_examples"][0], "x");
    assert_eq!(col("score")["outside_bounds"], 2);
    assert_eq!(col("joined")["nulls"], 2);
    let dates = q["dates"].as_array().expect("dates");
    assert_eq!(dates[0]["oldest"], "2026-01-10");
    assert_eq!(dates[0]["newest"], "2026-04-02");
    assert_eq!(dates[0]["after_as_of"], 1);
    assert_eq!(f(&dates[0]["newest_age_days"]), -2.0);
    assert_eq!(dates[1]["newest"], "2026-02-28T12:00:00Z");
    assert_eq!(f(&dates[1]["newest_age_days"]), 30.5);
    // The data's age is that of its newest value in any date column: 2026-04-02, -2 days.
    assert_eq!(f(&q["data_age_days"]), -2.0);
    // Without the future row, the newest date is 2026-03-01: 30 days old.
    let text = std::fs::read_to_string(&data).expect("data");
    std::fs::write(&data, text.replace("2026-04-02", "")).expect("data");
    let (code, r) = audit(
        &data,
        &schema,
        dir.path(),
        &["--as-of", "2026-03-31", "--threshold", "max_age_days=30"],
    );
    assert_eq!(code, 0);
    assert_eq!(f(&r["quality"]["data_age_days"]), 30.0);
    let (code, r) = audit(
        &data,
        &schema,
        dir.path(),
        &["--as-of", "2026-03-31", "--threshold", "max_age_days=29.5"],
    );
    assert_eq!(code, 1);
    assert_eq!(status(&r, "max_age_days"), "failed");
    // The declared identifier is listed, not scanned as a proxy.
    assert_eq!(r["identifiers"]["declared"][0][0], "id");
    assert!(r["proxies"]["skipped"]
        .as_array()
        .expect("skipped")
        .iter()
        .any(|s| s[0] == "id"));
}

#[test]
fn undeclared_identifiers_fail_the_identifiers_check() {
    let dir = tempfile::tempdir().expect("tempdir");
    let schema = dir.path().join("t.yaml");
    std::fs::write(
        &schema,
        "version: 1\nname: t\ncolumns:\n\
         \x20 - {name: sex, type: category, role: protected, levels: [f, m]}\n\
         \x20 - {name: contact, type: string}\n",
    )
    .expect("schema");
    let mut csv = String::from("sex,contact\n");
    for i in 0..40 {
        csv.push_str(&format!(
            "{},person{i}.name@example.org\n",
            if i % 2 == 0 { "f" } else { "m" }
        ));
    }
    let data = dir.path().join("t.csv");
    std::fs::write(&data, csv).expect("data");
    let (code, r) = audit(&data, &schema, dir.path(), &[]);
    assert_eq!(code, 1);
    assert_eq!(status(&r, "identifiers"), "failed");
    assert!(r["identifiers"]["undeclared"][0]
        .as_str()
        .is_some_and(|s| s.contains("`contact`")));
}

#[test]
fn singling_out_figures_equal_pandas_and_gate_the_table() {
    let dir = tempfile::tempdir().expect("tempdir");
    let deid = root().join("tests/data/schemas/adult_deid.yaml");
    let (code, r) = audit(&sample(), &deid, dir.path(), &[]);
    assert_eq!(code, 0, "{}", r["checks"]);
    let reference = reference();
    let e = &reference["singling_out_adult_deid"];
    let so = &r["singling_out"];
    assert_eq!(
        so["quasi_identifiers"]["columns"],
        serde_json::json!(["age", "sex"])
    );
    close(
        f(&so["quasi_identifiers"]["share"]),
        f(&e["quasi_identifiers"]),
        "unique over age, sex",
    );
    close(
        f(&so["released"]["share"]),
        f(&e["all_columns"]),
        "unique over all",
    );
    let raises = so["raises"].as_array().expect("raises");
    assert_eq!(
        raises.len(),
        e["plus_column"].as_object().expect("columns").len()
    );
    for x in raises {
        let c = x["column"].as_str().expect("column");
        close(f(&x["share"]), f(&e["plus_column"][c]), c);
    }
    assert_eq!(
        raises[0]["column"], "fnlwgt",
        "the survey weight singles out most"
    );
    // privacy.max_unique_share is checked on the table as it is: 0.54 % are unique.
    let text = std::fs::read_to_string(&deid).expect("schema");
    for (limit, want) in [("0.001", 1), ("0.01", 0)] {
        let schema = dir.path().join("gate.yaml");
        std::fs::write(
            &schema,
            text.replace(
                "  k_anonymity: 5\n",
                &format!("  k_anonymity: 5\n  max_unique_share: {limit}\n"),
            ),
        )
        .expect("schema");
        let (code, r) = audit(&sample(), &schema, dir.path(), &[]);
        assert_eq!(code, want, "{}", r["checks"]);
        assert_eq!(
            status(&r, "max_unique_share"),
            if want == 0 { "passed" } else { "failed" }
        );
    }
}

#[test]
fn without_min_group_rows_parity_compares_groups_of_30_rows() {
    let dir = tempfile::tempdir().expect("tempdir");
    let schema = adult_without_gates(dir.path());
    let (_, r) = audit(&sample(), &schema, dir.path(), &[]);
    let parity = &r["parity"];
    assert_eq!(parity["min_group_rows"], 30);
    let mut small = 0;
    for a in parity["attributes"].as_array().expect("attributes") {
        for g in a["groups"].as_array().expect("groups") {
            let rows = g["rows"].as_u64().expect("rows");
            assert_eq!(g["compared"].as_bool(), Some(rows >= 30), "{g}");
            small += usize::from(rows < 30);
        }
        // The lowest and highest groups named are compared ones.
        for end in ["lowest", "highest"] {
            if let Some(name) = a[end].as_str() {
                let g = a["groups"]
                    .as_array()
                    .expect("groups")
                    .iter()
                    .find(|g| g["group"] == name)
                    .expect("named group");
                assert_eq!(g["compared"], true, "{end} of {}", a["attribute"]);
            }
        }
    }
    assert!(small > 0, "the intersection has groups under 30 rows");
}

/// The sample with the column `drop` left out.
fn sample_without(dir: &Path, drop: &str) -> PathBuf {
    let text = std::fs::read_to_string(sample()).expect("sample");
    let header: Vec<&str> = text.lines().next().expect("header").split(',').collect();
    let k = header.iter().position(|h| *h == drop).expect("column");
    let lines: Vec<String> = text
        .lines()
        .map(|l| {
            l.split(',')
                .enumerate()
                .filter(|(i, _)| *i != k)
                .map(|(_, v)| v)
                .collect::<Vec<_>>()
                .join(",")
        })
        .collect();
    let path = dir.join(format!("without_{drop}.csv"));
    std::fs::write(&path, lines.join("\n") + "\n").expect("write");
    path
}

#[test]
fn a_table_without_the_declared_weight_column_is_audited_with_a_note() {
    // A synthetic sample carries no design weight: `fnlwgt` is declared (role weight) but
    // absent. Audit counts rows unweighted, so it leaves the column out and says so.
    let dir = tempfile::tempdir().expect("tempdir");
    let schema = adult_without_gates(dir.path());
    let data = sample_without(dir.path(), "fnlwgt");
    let (code, r) = audit(&data, &schema, dir.path(), &[]);
    assert_eq!(code, 0, "{r}");
    let notes = r["notes"].as_array().expect("notes");
    assert!(
        notes.iter().any(|n| n
            .as_str()
            .is_some_and(|n| n.contains("`fnlwgt` is not in the table"))),
        "{notes:?}"
    );
    assert_eq!(r["input"]["columns"], 15);
    // Every other figure is the full table's.
    let (_, full) = audit(&sample(), &schema, dir.path(), &[]);
    for key in [
        "share/sex/Female",
        "rate/sex/Female",
        "proxy/relationship/sex",
    ] {
        assert_eq!(r["figures"][key], full["figures"][key], "{key}");
    }
    // Another missing declared column is still an error.
    let data = sample_without(dir.path(), "education");
    let (code, _) = audit(&data, &schema, dir.path(), &[]);
    assert_eq!(code, 2);
}

#[test]
fn drift_leaves_out_the_rates_of_small_groups() {
    let dir = tempfile::tempdir().expect("tempdir");
    let schema = adult_without_gates(dir.path());
    let last_month: String = std::fs::read_to_string(sample())
        .expect("sample")
        .lines()
        .filter(|l| !l.ends_with(",test"))
        .map(|l| format!("{l}\n"))
        .collect();
    let last = dir.path().join("last_month.csv");
    std::fs::write(&last, last_month).expect("write");
    audit(&last, &schema, dir.path(), &[]);
    let baseline = dir.path().join("baseline.json");
    std::fs::rename(dir.path().join("audit.json"), &baseline).expect("keep baseline");
    let b = baseline.to_str().expect("utf-8 path");
    let rows = |r: &Value, name: &str| -> Option<u64> {
        r["parity"]["attributes"]
            .as_array()?
            .iter()
            .flat_map(|a| {
                a["groups"].as_array().into_iter().flatten().map(move |g| {
                    (
                        format!(
                            "rate/{}/{}",
                            a["attribute"].as_str().unwrap_or(""),
                            g["group"].as_str().unwrap_or("")
                        ),
                        g["rows"].as_u64(),
                    )
                })
            })
            .find(|(n, _)| n == name)
            .and_then(|(_, rows)| rows)
    };
    let before: Value =
        serde_json::from_str(&std::fs::read_to_string(&baseline).expect("baseline")).expect("JSON");
    for (min, extra) in [
        (30, vec![]),
        (100, vec!["--threshold", "min_group_rows=100"]),
    ] {
        let mut args = vec!["--baseline", b];
        args.extend(extra);
        let (_, r) = audit(&sample(), &schema, dir.path(), &args);
        let d = &r["drift"];
        assert_eq!(d["min_group_rows"], min);
        let left_out = d["left_out_small_groups"].as_array().expect("left out");
        assert!(!left_out.is_empty());
        // Exactly the rates of groups under `min` rows now or in the baseline are left out.
        for c in d["changes"].as_array().expect("changes") {
            let name = c["figure"].as_str().expect("figure");
            if name.starts_with("rate/") {
                assert!(rows(&r, name).expect("rows now") >= min, "{name}");
                assert!(rows(&before, name).expect("rows before") >= min, "{name}");
            }
        }
        for name in left_out {
            let name = name.as_str().expect("name");
            assert!(
                rows(&r, name).expect("rows now") < min
                    || rows(&before, name).expect("rows before") < min,
                "{name}"
            );
        }
        let both = r["figures"]
            .as_object()
            .expect("figures")
            .keys()
            .filter(|k| before["figures"].get(k.as_str()).is_some())
            .count();
        assert_eq!(
            d["compared"].as_u64().expect("compared") as usize + left_out.len(),
            both
        );
        // Without the rates of two-person groups, drift is small.
        assert!(f(&d["max_change"]) < 0.1, "{d}");
    }
}

#[test]
fn the_summary_writes_counts_as_whole_numbers_and_small_groups_only_against_a_gate() {
    let dir = tempfile::tempdir().expect("tempdir");
    let schema = adult_without_gates(dir.path());
    let run = |extra: &[&str]| -> (i32, String) {
        let out = fairsynth()
            .arg("audit")
            .arg(sample())
            .arg("--schema")
            .arg(&schema)
            .args(extra)
            .output()
            .expect("runs");
        (
            out.status.code().expect("exit code"),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (code, s) = run(&["--threshold", "min_group_rows=30"]);
    assert_eq!(code, 1, "{s}");
    assert!(s.contains("FAIL min_group_rows: 19 < 30 ("), "{s}");
    assert!(s.contains("pass identifiers: 0 <= 0 ("), "{s}");
    assert!(
        s.contains("min_group_rows = 19 against the limit 30"),
        "{s}"
    );
    assert!(s.contains("37 below min_group_rows"), "{s}");
    // Without the gate, small groups are not counted against it.
    let (_, s) = run(&[]);
    assert!(!s.contains("below min_group_rows"), "{s}");
    assert!(s.contains("groups age & race & sex: 49 with rows\n"), "{s}");
}
