//! Property test of `fit` and `sample` on random linked tables: databases of random depth,
//! family sizes, date lags and optional dates are synthesised from a random schema, drafted
//! by `inspect`, fitted and sampled; in every sample every key resolves, every date rule the
//! real rows obey holds on every row, an optional date stays empty where its status says so,
//! and the model and the files are the same at one and two threads.

mod common;

use std::collections::HashMap;
use std::path::Path;

use arrow_array::cast::AsArray;
use arrow_array::types::{Date32Type, Int64Type};
use arrow_array::{Array, RecordBatch};
use common::{fairsynth, read_parquet};
use proptest::prelude::*;

fn ints(b: &RecordBatch, name: &str) -> Vec<Option<i64>> {
    let a = b
        .column_by_name(name)
        .unwrap_or_else(|| panic!("no column {name}"))
        .as_primitive::<Int64Type>();
    (0..a.len())
        .map(|i| (!a.is_null(i)).then(|| a.value(i)))
        .collect()
}

fn dates(b: &RecordBatch, name: &str) -> Vec<Option<i32>> {
    let a = b
        .column_by_name(name)
        .unwrap_or_else(|| panic!("no column {name}"))
        .as_primitive::<Date32Type>();
    (0..a.len())
        .map(|i| (!a.is_null(i)).then(|| a.value(i)))
        .collect()
}

fn texts(b: &RecordBatch, name: &str) -> Vec<String> {
    let a = b
        .column_by_name(name)
        .unwrap_or_else(|| panic!("no column {name}"));
    let a = a.as_dictionary::<arrow_array::types::Int32Type>();
    let v = a.values().as_string::<i32>();
    (0..a.len())
        .map(|i| v.value(a.keys().value(i) as usize).to_string())
        .collect()
}

/// A chain `t0 <- t1 <- ... <- t{depth}`: each child has a date at least `lag` days after
/// its parent's, a status, and a `closed` date only when the status is `closed`, never
/// before its own date.
fn schema(depth: usize, shares: &[u32], lag: (u32, u32), closed_share: f64) -> String {
    // Children per parent: `shares[k]` parts for k children, and one more for two, so that
    // every table has rows and families.
    let mut shares = shares.to_vec();
    shares.resize(shares.len().max(3), 0);
    shares[2] += 1;
    let total: u32 = shares.iter().sum::<u32>().max(1);
    let shares: Vec<String> = shares
        .iter()
        .enumerate()
        .filter(|(_, s)| **s > 0)
        .map(|(k, s)| format!("\"{k}\": {}", f64::from(*s) / f64::from(total)))
        .collect();
    let shares = shares.join(", ");
    let mut y = String::from(
        r#"version: 1
name: random
tables:
  - name: t0
    rows: 400
    primary_key: id
    columns:
      - {name: id, type: int, generator: {kind: sequence}}
      - {name: at, type: date, min: 2020-01-01, max: 2021-12-31}
      - {name: tier, type: category, shares: {gold: 0.3, basic: 0.7}}
"#,
    );
    for d in 1..=depth {
        y.push_str(&format!(
            r#"  - name: t{d}
    primary_key: id
    columns:
      - {{name: id, type: int, generator: {{kind: sequence}}}}
      - name: t{p}_id
        type: int
        references: t{p}
        children: {{shares: {{{shares}}}}}
      - name: at
        type: date
        generator: {{kind: offset, from: t{p}.at, unit: days, min: {lo}, max: {hi}}}
      - {{name: status, type: category, shares: {{closed: {closed_share}, open: {open}}}}}
      - name: closed
        type: date
        null_unless: {{status: closed}}
        min: 2020-01-01
        max: 2030-12-31
        after: at
"#,
            p = d - 1,
            lo = lag.0,
            hi = lag.0 + lag.1,
            open = 1.0 - closed_share,
        ));
    }
    y
}

fn run(args: &[&std::ffi::OsStr]) {
    fairsynth().args(args).assert().success();
}

/// fit → sample at `threads` under `draft`; returns the model's text.
fn fit_and_sample(dir: &Path, data: &Path, draft: &Path, threads: &str) -> String {
    let model = dir.join("model.json");
    let out = dir.join("out");
    run(&[
        "fit".as_ref(),
        data.as_os_str(),
        "--schema".as_ref(),
        draft.as_os_str(),
        "-o".as_ref(),
        model.as_os_str(),
        "--threads".as_ref(),
        threads.as_ref(),
        "--quiet".as_ref(),
    ]);
    run(&[
        "sample".as_ref(),
        model.as_os_str(),
        "-o".as_ref(),
        out.as_os_str(),
        "--seed".as_ref(),
        "4".as_ref(),
        "--threads".as_ref(),
        threads.as_ref(),
        "--quiet".as_ref(),
    ]);
    std::fs::read_to_string(model).expect("model")
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4))]

    #[test]
    fn random_linked_tables_fit_and_sample_with_keys_rules_and_nulls_held(
        depth in 1usize..=2,
        shares in proptest::collection::vec(0u32..5, 1..5),
        lag in (0u32..20, 0u32..40),
        closed_share in 0.1f64..0.6,
    ) {
        let dir = tempfile::tempdir().expect("tempdir");
        let yaml = dir.path().join("random.yaml");
        std::fs::write(&yaml, schema(depth, &shares, lag, closed_share)).expect("schema");
        let data = dir.path().join("data");
        run(&["synth".as_ref(), "--schema".as_ref(), yaml.as_os_str(), "-o".as_ref(), data.as_os_str(),
              "--seed".as_ref(), "9".as_ref(), "--quiet".as_ref()]);
        let (one, two) = (dir.path().join("one"), dir.path().join("two"));
        std::fs::create_dir_all(&one).expect("one");
        std::fs::create_dir_all(&two).expect("two");
        let draft = dir.path().join("draft.yaml");
        run(&["inspect".as_ref(), data.as_os_str(), "--draft-schema".as_ref(), draft.as_os_str(),
              "--quiet".as_ref()]);
        let text = std::fs::read_to_string(&draft).expect("draft");
        for d in 1..=depth {
            prop_assert!(text.contains(&format!("references: \"t{}\"", d - 1)),
                "inspect found no key from t{} to t{}:\n{}", d, d - 1, text);
        }
        let model_one = fit_and_sample(&one, &data, &draft, "1");
        let model_two = fit_and_sample(&two, &data, &draft, "2");
        prop_assert_eq!(&model_one, &model_two, "the model differs between 1 and 2 threads");
        let out = one.join("out");
        let mut parent_at: HashMap<i64, i32> = {
            let t0 = read_parquet(&out.join("t0.parquet"));
            ints(&t0, "id").into_iter().flatten().zip(dates(&t0, "at").into_iter().flatten()).collect()
        };
        prop_assert!(!parent_at.is_empty());
        for d in 1..=depth {
            let name = format!("t{d}.parquet");
            prop_assert_eq!(
                std::fs::read(out.join(&name)).expect("one"),
                std::fs::read(two.join("out").join(&name)).expect("two"),
                "{} differs between 1 and 2 threads", name
            );
            let t = read_parquet(&out.join(&name));
            let ids = ints(&t, "id");
            let ups = ints(&t, &format!("t{}_id", d - 1));
            let at = dates(&t, "at");
            let closed = dates(&t, "closed");
            let status = texts(&t, "status");
            let mut next = HashMap::new();
            for i in 0..t.num_rows() {
                let up = ups[i].expect("driving key");
                let p = *parent_at.get(&up).unwrap_or_else(|| panic!("t{d}: parent {up} does not exist"));
                let a = at[i].expect("at");
                // The real rows are at least `lag.0` days after their parent; the rule found
                // at fit is `at >= parent.at`, held on every row.
                prop_assert!(a >= p, "t{} row {}: at {} before its parent's {}", d, i, a, p);
                prop_assert_eq!(closed[i].is_some(), status[i] == "closed",
                    "t{} row {}: status {} with closed {:?}", d, i, &status[i], closed[i]);
                if let Some(c) = closed[i] {
                    prop_assert!(c >= a, "t{} row {}: closed {} before at {}", d, i, c, a);
                }
                next.insert(ids[i].expect("id"), a);
            }
            parent_at = next;
        }
    }
}
