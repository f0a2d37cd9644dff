//! The metrics equal numpy/scipy's on committed fixtures (tests/data/reference/metrics.json;
//! how they were made: tests/data/README.md).

use fairsynth::metrics::{contingency_similarity, ks_statistic, pearson, tvd};

fn reference() -> serde_json::Value {
    serde_json::from_str(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/data/reference/metrics.json"
        ))
        .expect("reference"),
    )
    .expect("JSON")
}

fn floats(v: &serde_json::Value) -> Vec<f64> {
    v.as_array()
        .expect("list")
        .iter()
        .map(|x| x.as_f64().expect("number"))
        .collect()
}

fn strings(v: &serde_json::Value) -> Vec<String> {
    v.as_array()
        .expect("list")
        .iter()
        .map(|x| x.as_str().expect("text").to_string())
        .collect()
}

fn pairs(v: &serde_json::Value) -> Vec<(String, String)> {
    v.as_array()
        .expect("rows")
        .iter()
        .map(|r| {
            let r = strings(r);
            (r[0].clone(), r[1].clone())
        })
        .collect()
}

#[test]
fn ks_equals_scipy() {
    let r = reference();
    let cases = r["ks"].as_array().expect("cases");
    assert_eq!(cases.len(), 4);
    for c in cases {
        let got = ks_statistic(&floats(&c["a"]), &floats(&c["b"])).expect("non-empty");
        let want = c["statistic"].as_f64().expect("statistic");
        assert!(
            (got - want).abs() < 1e-12,
            "{}: {got} vs scipy {want}",
            c["name"]
        );
    }
}

#[test]
fn pearson_equals_numpy() {
    let r = reference();
    for c in r["pearson"].as_array().expect("cases") {
        let got = pearson(&floats(&c["x"]), &floats(&c["y"]));
        match c["r"].as_f64() {
            Some(want) => assert!(
                (got.expect("defined") - want).abs() < 1e-12,
                "{}",
                c["name"]
            ),
            None => assert_eq!(
                got, None,
                "{}: undefined for a constant variable",
                c["name"]
            ),
        }
    }
}

#[test]
fn tvd_and_contingency_similarity_equal_the_reference() {
    let r = reference();
    for c in r["tvd"].as_array().expect("cases") {
        let got = tvd(&strings(&c["a"]), &strings(&c["b"]));
        assert!(
            (got - c["value"].as_f64().expect("value")).abs() < 1e-12,
            "{}",
            c["name"]
        );
    }
    for c in r["contingency"].as_array().expect("cases") {
        let got = contingency_similarity(&pairs(&c["real"]), &pairs(&c["synthetic"]));
        assert!(
            (got - c["similarity"].as_f64().expect("value")).abs() < 1e-12,
            "{}",
            c["name"]
        );
    }
}

/// The weighted metrics of `evaluate --targets` equal numpy's weighted figures (np.cov with
/// aweights, weighted bincounts, weighted ECDFs), made by
/// tests/data/reference/make_weighted.py, which also checks whole-number weights against
/// scipy on repeated rows.
#[test]
fn weighted_metrics_equal_numpy() {
    use fairsynth::metrics::weighted;
    let r: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/data/reference/weighted.json"
        ))
        .expect("reference"),
    )
    .expect("JSON");
    let codes = |v: &serde_json::Value| -> Vec<u32> {
        v.as_array()
            .expect("list")
            .iter()
            .map(|x| x.as_u64().expect("code") as u32)
            .collect()
    };
    let (x, y) = (floats(&r["real"]["x"]), floats(&r["real"]["y"]));
    let (c1, c2) = (codes(&r["real"]["c1"]), codes(&r["real"]["c2"]));
    let xs = floats(&r["synthetic"]["x"]);
    let (d1, d2) = (codes(&r["synthetic"]["c1"]), codes(&r["synthetic"]["c2"]));
    let cases = r["cases"].as_array().expect("cases");
    assert_eq!(cases.len(), 2);
    for c in cases {
        let w = floats(&c["weights"]);
        let close = |got: Option<f64>, key: &str| {
            let want = c[key].as_f64().expect("value");
            let got = got.unwrap_or_else(|| panic!("{}: {key} undefined", c["name"]));
            assert!(
                (got - want).abs() < 1e-12,
                "{} {key}: {got} vs numpy {want}",
                c["name"]
            );
        };
        close(weighted::ks_statistic(&x, &w, &xs), "ks");
        close(weighted::pearson(&x, &y, &w), "pearson");
        close(weighted::tvd_codes(&c1, &w, &d1, 3), "tvd");
        close(
            weighted::contingency_similarity_codes((&c1, &c2), &w, (&d1, &d2), (3, 4)),
            "contingency",
        );
    }
}
