//! Property tests for raking: on random tables, weights are positive, bounds hold, and when
//! the iteration converges every margin is on target and the total start weight is kept.

use std::fs;

use arrow_array::cast::AsArray;
use arrow_array::types::Float64Type;
use fairsynth::io::read::Format;
use fairsynth::io::{Input, Output};
use fairsynth::reweight::{reweight, Options};
use fairsynth::schema::Schema;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use proptest::prelude::*;

const SCHEMA: &str = "version: 1\nname: p\ncolumns:\n  - {name: a, type: category, role: protected}\n  - {name: b, type: category}\n  - {name: w, type: float, role: weight}\n";

fn shares(raw: &[u32]) -> Vec<f64> {
    let total: u32 = raw.iter().sum();
    raw.iter()
        .map(|x| f64::from(*x) / f64::from(total))
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(40))]

    #[test]
    fn raking_invariants(
        rows in proptest::collection::vec((0usize..3, 0usize..2, 0.5f64..5.0), 12..200),
        ta in proptest::collection::vec(5u32..100, 3),
        tb in proptest::collection::vec(5u32..100, 2),
        bounded in any::<bool>(),
    ) {
        // Every level must occur for its target to be reachable.
        prop_assume!((0..3).all(|l| rows.iter().any(|r| r.0 == l)));
        prop_assume!((0..2).all(|l| rows.iter().any(|r| r.1 == l)));
        let dir = tempfile::tempdir().expect("tempdir");
        let mut csv = String::from("a,b,w\n");
        for (a, b, w) in &rows {
            csv.push_str(&format!("a{a},b{b},{w}\n"));
        }
        let input = dir.path().join("in.csv");
        fs::write(&input, csv).expect("write");
        let (sa, sb) = (shares(&ta), shares(&tb));
        let targets = format!(
            "a: {{a0: {}, a1: {}, a2: {}}}\nb: {{b0: {}, b1: {}}}\n",
            sa[0], sa[1], sa[2], sb[0], sb[1]
        );
        let schema = Schema::from_str_named(&format!("{SCHEMA}targets:\n{}", targets.lines().map(|l| format!("  {l}\n")).collect::<String>()), "p.yaml")
            .expect("schema");
        let d_max = rows.iter().map(|r| r.2).fold(0.0, f64::max);
        let d_min = rows.iter().map(|r| r.2).fold(f64::INFINITY, f64::min);
        // Bounds wide enough for the start weights' spread within any cell.
        let (lo, hi) = (0.1, 10.0f64.max(2.0 * d_max / d_min * 0.1 * 1.01));
        let opts = Options {
            targets: schema.targets.clone(),
            tolerance: 1e-10,
            max_iterations: 2000,
            min_weight: bounded.then_some(lo),
            max_weight: bounded.then_some(hi),
            ..Options::default()
        };
        let out = dir.path().join("out.parquet");
        let report = match reweight(&Input::file(&input, Format::Csv), &schema, &opts, Output::Parquet(&out), serde_json::json!({})).map(|(r, _)| r) {
            Ok(r) => r,
            // Bounds can be impossible for a cell's start-weight spread: a diagnostic, never a panic.
            Err(e) => {
                let m = e.to_string();
                prop_assert!(
                    (bounded && m.contains("bounds cannot be met")) || m.contains("the targets cannot all be met"),
                    "{m}"
                );
                return Ok(());
            }
        };
        let w: Vec<f64> = ParquetRecordBatchReaderBuilder::try_new(fs::File::open(&out).expect("out"))
            .expect("pq").build().expect("reader")
            .flat_map(|b| b.expect("batch").column_by_name("weight").expect("w").as_primitive::<Float64Type>().values().to_vec())
            .collect();
        prop_assert_eq!(w.len(), rows.len());
        prop_assert!(w.iter().all(|x| *x > 0.0 && x.is_finite()));
        let start_total: f64 = rows.iter().map(|r| r.2).sum();
        let mean0 = start_total / rows.len() as f64;
        if bounded {
            prop_assert!(w.iter().all(|x| *x >= lo * mean0 * (1.0 - 1e-9) && *x <= hi * mean0 * (1.0 + 1e-9)));
        }
        if report.converged {
            let total: f64 = w.iter().sum();
            prop_assert!((total - start_total).abs() <= 1e-9 * start_total);
            for (level, target) in sa.iter().enumerate() {
                let got: f64 = rows.iter().zip(&w).filter(|(r, _)| r.0 == level).map(|(_, x)| x).sum::<f64>() / total;
                prop_assert!((got - target).abs() <= 1e-9, "a{}: {} vs {}", level, got, target);
            }
            for (level, target) in sb.iter().enumerate() {
                let got: f64 = rows.iter().zip(&w).filter(|(r, _)| r.1 == level).map(|(_, x)| x).sum::<f64>() / total;
                prop_assert!((got - target).abs() <= 1e-9, "b{}: {} vs {}", level, got, target);
            }
        }
    }
}
