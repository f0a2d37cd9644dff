//! k-anonymity, l-diversity, class sizes and prosecutor risk equal pycanon's (1.3.6) on the
//! committed Adult sample; tests/data/reference/kanon.json holds its values and
//! tests/data/README.md how they were made. Missing values form their own group, as there.

use arrow_array::cast::AsArray;
use arrow_array::types::{Int32Type, Int64Type};
use arrow_array::Array;
use fairsynth::deid::kanon::{search, Combos, Qi, Raw};
use fairsynth::io::read::{Format, Input, Reader};
use fairsynth::schema::Schema;

mod common;
use common::root;

/// Raw values of an Adult column: ages as numbers, the rest as text ("" when missing, as in
/// the reference).
fn column(a: &dyn Array) -> Vec<Raw> {
    if let Some(i) = a.as_primitive_opt::<Int64Type>() {
        return i
            .iter()
            .map(|v| v.map_or(Raw::Null, |v| Raw::Num(v as f64)))
            .collect();
    }
    let d = a.as_dictionary::<Int32Type>();
    let values = d.values().as_string::<i32>();
    d.keys()
        .iter()
        .map(|k| Raw::Text(k.map_or(String::new(), |k| values.value(k as usize).to_string())))
        .collect()
}

fn combos(qi: &[String], sensitive: &str) -> Combos {
    let schema = Schema::from_file(&root().join("schemas/adult.yaml")).expect("schema");
    let reader = Reader::open(
        &Input::file(root().join("tests/data/adult_sample.csv"), Format::Csv),
        &schema,
    )
    .expect("sample");
    let mut c = Combos::default();
    for batch in reader {
        let batch = batch.expect("batch");
        let cols: Vec<Vec<Raw>> = qi
            .iter()
            .map(|q| column(batch.column_by_name(q).expect("qi").as_ref()))
            .collect();
        let sens = column(batch.column_by_name(sensitive).expect("sensitive").as_ref());
        for r in 0..batch.num_rows() {
            let s = match &sens[r] {
                Raw::Text(t) => t.clone(),
                Raw::Num(x) => x.to_string(),
                _ => String::new(),
            };
            c.add(
                &cols.iter().map(|col| col[r].clone()).collect::<Vec<_>>(),
                Some(&s),
            );
        }
    }
    c
}

fn names(v: &serde_json::Value) -> Vec<String> {
    v.as_array()
        .expect("list")
        .iter()
        .map(|x| x.as_str().expect("name").to_string())
        .collect()
}

#[test]
fn figures_equal_pycanon() {
    let reference: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("tests/data/reference/kanon.json"))
            .expect("reference"),
    )
    .expect("JSON");
    let configs = reference["configurations"]
        .as_array()
        .expect("configurations");
    assert_eq!(configs.len(), 5);
    for cfg in configs {
        let name = cfg["name"].as_str().expect("name");
        let qi = names(&cfg["quasi_identifiers"]);
        let qis: Vec<Qi> = qi
            .iter()
            .map(|q| Qi {
                name: q.clone(),
                levels: vec![],
                whole: true,
            })
            .collect();
        let sensitive = cfg["sensitive"].as_str().unwrap_or("income");
        let c = combos(&qi, sensitive);
        let a = match cfg["k_required"].as_u64() {
            // Suppression: k required, everything else raw.
            Some(k) => search(&qis, &c, Some(k), None, 1.0).expect("reachable by suppression"),
            None => search(&qis, &c, None, Some((sensitive.to_string(), 1)), 0.0).expect("measure"),
        };
        let close = |x: f64, key: &str| (x - cfg[key].as_f64().expect("number")).abs() < 1e-12;
        assert_eq!(a.k_achieved, cfg["k"].as_u64().expect("k"), "{name}: k");
        assert_eq!(
            a.classes,
            cfg["classes"].as_u64().expect("classes"),
            "{name}: classes"
        );
        assert!(
            close(a.prosecutor_risk_max, "prosecutor_risk_max"),
            "{name}: max risk {}",
            a.prosecutor_risk_max
        );
        assert!(
            close(a.prosecutor_risk_avg, "prosecutor_risk_avg"),
            "{name}: average risk {}",
            a.prosecutor_risk_avg
        );
        if let Some(s) = cfg["suppressed_rows"].as_u64() {
            assert_eq!(a.suppressed_rows, s, "{name}: suppressed rows");
        } else {
            assert_eq!(a.l_achieved, cfg["l"].as_u64(), "{name}: l");
            let sizes = serde_json::to_value(&a.class_sizes).expect("sizes");
            assert_eq!(sizes, cfg["class_sizes"], "{name}: class sizes");
        }
    }
}
