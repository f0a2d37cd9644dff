//! Property tests of the mergeable states (issue 11): for random tables cut into k = 1..8
//! chunks of random sizes, the state merged from the chunks equals the state of the whole
//! input, whatever the grouping of the merges (associativity), and what is computed from it
//! (weights, the chosen generalisation, the model, the fidelity figures) is the same. States
//! also survive a JSON round trip unchanged.

use std::sync::Arc;

use arrow_array::{ArrayRef, Float64Array, RecordBatch, StringArray};
use arrow_schema::{DataType, Field, Schema as ArrowSchema, SchemaRef};
use fairsynth::io::{Input, Output};
use fairsynth::reweight::{reweight, CellSums, Factors, Options};
use fairsynth::schema::Schema;
use proptest::prelude::*;

/// Cuts `0..n` at `cuts` (sorted, deduplicated, inside) into consecutive ranges.
fn ranges(n: usize, cuts: &[usize]) -> Vec<(usize, usize)> {
    let mut at: Vec<usize> = cuts.iter().map(|c| c % (n + 1)).collect();
    at.sort_unstable();
    at.dedup();
    let mut out = Vec::new();
    let mut from = 0;
    for c in at.into_iter().chain([n]) {
        if c >= from {
            out.push((from, c));
            from = c;
        }
    }
    out
}

/// Merges `states` (in row order) by a random binary tree: `splits` picks the split point of
/// each node, so every grouping of the merges is reachable.
fn merge_tree<T: Clone>(
    states: &[T],
    splits: &mut impl Iterator<Item = usize>,
    merge: &impl Fn(&mut T, T),
) -> T {
    if states.len() == 1 {
        return states[0].clone();
    }
    let at = 1 + splits.next().unwrap_or(0) % (states.len() - 1);
    let mut left = merge_tree(&states[..at], splits, merge);
    let right = merge_tree(&states[at..], splits, merge);
    merge(&mut left, right);
    left
}

// ---------------------------------------------------------------------------------------------
// reweight

const RAKE_SCHEMA: &str = "version: 1\nname: p\ncolumns:\n  - {name: a, type: category, role: protected}\n  - {name: y, type: string, role: label}\n  - {name: w, type: float, role: weight}\nfairness: {label: y, favourable: yes, independent_of: [a]}\ntargets:\n  a: {a0: 0.5, a1: 0.3, a2: 0.2}\n";

fn rake_batch(rows: &[(usize, usize, u32)]) -> RecordBatch {
    let schema: SchemaRef = Arc::new(ArrowSchema::new(vec![
        Field::new("a", DataType::Utf8, false),
        Field::new("y", DataType::Utf8, false),
        Field::new("w", DataType::Float64, false),
    ]));
    let a: ArrayRef = Arc::new(StringArray::from_iter_values(
        rows.iter().map(|r| format!("a{}", r.0)),
    ));
    // Label levels met in the data (no declared levels): chunks number them independently.
    let y: ArrayRef = Arc::new(StringArray::from_iter_values(
        rows.iter().map(|r| ["yes", "no", "maybe"][r.1].to_string()),
    ));
    // Start weights in quarters: every sum is exact, so merged sums equal whole sums bitwise.
    let w: ArrayRef = Arc::new(Float64Array::from_iter_values(
        rows.iter().map(|r| f64::from(r.2) / 4.0),
    ));
    RecordBatch::try_new(schema, vec![a, y, w]).expect("batch")
}

fn weights_of(batches: &[RecordBatch]) -> Vec<f64> {
    batches
        .iter()
        .flat_map(|b| {
            b.column_by_name("weight")
                .expect("weight column")
                .as_any()
                .downcast_ref::<Float64Array>()
                .expect("f64")
                .values()
                .to_vec()
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn reweight_merged_cell_sums_equal_the_whole(
        rows in proptest::collection::vec((0usize..3, 0usize..3, 1u32..20), 30..160),
        cuts in proptest::collection::vec(any::<usize>(), 0..7),
        splits in proptest::collection::vec(any::<usize>(), 8),
        order in any::<u64>(),
    ) {
        // Parity needs every group to hold every label.
        prop_assume!((0..3).all(|a| (0..3).all(|y| rows.iter().any(|r| r.0 == a && r.1 == y))));
        let schema = Schema::from_str_named(RAKE_SCHEMA, "p.yaml").expect("schema");
        let opts = Options { targets: schema.targets.clone(), ..Options::default() };
        let whole_batch = rake_batch(&rows);
        let cols = whole_batch.schema();
        let whole = CellSums::from_batches(&schema, &opts, &cols, [&whole_batch]).expect("whole");

        let parts = ranges(rows.len(), &cuts);
        prop_assert!((1..=8).contains(&parts.len()));
        let states: Vec<CellSums> = parts
            .iter()
            .map(|&(a, b)| CellSums::from_batches(&schema, &opts, &cols, [&rake_batch(&rows[a..b])]).expect("chunk"))
            .collect();
        let merged = merge_tree(&states, &mut splits.iter().copied(), &|a: &mut CellSums, b| a.merge(b).expect("merge"));
        prop_assert_eq!(&merged, &whole);
        prop_assert_eq!(merged.rows(), rows.len() as u64);

        // The state and the factors travel as JSON unchanged.
        let json = serde_json::to_string(&merged).expect("to json");
        let back: CellSums = serde_json::from_str(&json).expect("from json");
        prop_assert_eq!(&back, &whole);

        // Solved at one place, applied per chunk: the weights of the command itself.
        let (report, factors) = back.solve(&schema, &opts, "p").expect("solve");
        let factors: Factors = serde_json::from_str(&serde_json::to_string(&factors).expect("json")).expect("factors");
        let per_chunk: Vec<f64> = parts
            .iter()
            .flat_map(|&(a, b)| factors.weights(&rake_batch(&rows[a..b])).expect("weights"))
            .collect();
        let input = Input::Memory(
            fairsynth::io::Batches::new("p", cols.clone(), vec![whole_batch.clone()]).expect("batches"),
        );
        let (command_report, written) = reweight(&input, &schema, &opts, Output::Memory, serde_json::json!({})).expect("reweight");
        let command = weights_of(&written.batches);
        prop_assert_eq!(per_chunk.len(), command.len());
        for (x, y) in per_chunk.iter().zip(&command) {
            prop_assert_eq!(x.to_bits(), y.to_bits());
        }
        prop_assert_eq!(report.iterations, command_report.iterations);
        prop_assert_eq!(report.cells, command_report.cells);

        // Merged in any order: the same cells and sums (levels met in the data are numbered
        // in the order merged), so the same weights up to rounding.
        let mut shuffled: Vec<usize> = (0..states.len()).collect();
        let mut r = order;
        for i in (1..shuffled.len()).rev() {
            r = r.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            shuffled.swap(i, (r >> 33) as usize % (i + 1));
        }
        let mut any_order = states[shuffled[0]].clone();
        for &i in &shuffled[1..] {
            any_order.merge(states[i].clone()).expect("merge");
        }
        prop_assert_eq!(any_order.cells(), whole.cells());
        let (_, f2) = any_order.solve(&schema, &opts, "p").expect("solve");
        let w2 = f2.weights(&whole_batch).expect("weights");
        for (x, y) in w2.iter().zip(&command) {
            prop_assert!((x - y).abs() <= 1e-12 * y.abs(), "{x} vs {y}");
        }
    }
}

#[test]
fn reweight_states_of_other_options_do_not_merge() {
    let schema = Schema::from_str_named(RAKE_SCHEMA, "p.yaml").expect("schema");
    let opts = Options {
        targets: schema.targets.clone(),
        ..Options::default()
    };
    let batch = rake_batch(&[(0, 0, 4), (1, 1, 4), (2, 2, 4)]);
    let mut a = CellSums::from_batches(&schema, &opts, &batch.schema(), [&batch]).expect("a");
    let unit = Options {
        unit_start_weights: true,
        ..opts.clone()
    };
    let b = CellSums::from_batches(&schema, &unit, &batch.schema(), [&batch]).expect("b");
    let err = a.merge(b).expect_err("different start weights");
    assert!(
        err.to_string().contains("cannot merge raking states"),
        "{err}"
    );
    // A damaged state is refused when read, not when used.
    let mut json: serde_json::Value = serde_json::to_value(&a).expect("json");
    json["cells"][0][0][0] = serde_json::json!(99);
    let err = serde_json::from_value::<CellSums>(json).expect_err("damaged");
    assert!(err.to_string().contains("do not match"), "{err}");
}

#[test]
fn bad_start_weights_are_numbered_across_chunks() {
    let schema = Schema::from_str_named(RAKE_SCHEMA, "p.yaml").expect("schema");
    let opts = Options {
        targets: schema.targets.clone(),
        ..Options::default()
    };
    let first = rake_batch(&[(0, 0, 4), (1, 1, 4), (2, 2, 4)]);
    let second = rake_batch(&[(0, 0, 4), (1, 1, 0), (2, 2, 0)]);
    let cols = first.schema();
    let whole = CellSums::from_batches(&schema, &opts, &cols, [&first, &second]).expect("w");
    let mut merged = CellSums::from_batches(&schema, &opts, &cols, [&first]).expect("a");
    merged
        .merge(CellSums::from_batches(&schema, &opts, &cols, [&second]).expect("b"))
        .expect("merge");
    assert_eq!(merged, whole);
    let err = merged
        .solve(&schema, &opts, "in")
        .expect_err("zero weights");
    assert!(
        err.to_string()
            .contains("in: 2 rows with a zero, negative or missing start weight in `w` (first: row 5, value 0)"),
        "{err}"
    );
}

// ---------------------------------------------------------------------------------------------
// k-anonymity

mod kanon_state {
    use super::*;
    use fairsynth::deid::kanon::{search, Combos, Qi, Raw};
    use fairsynth::schema::{ColumnType, GenLevel};

    fn qis() -> Vec<Qi> {
        vec![
            Qi::new(
                "age",
                ColumnType::Int { bits: 64 },
                &[
                    GenLevel::Numeric {
                        width: Some(10.0),
                        bottom: Some(20.0),
                        top: Some(80.0),
                    },
                    GenLevel::Numeric {
                        width: Some(30.0),
                        bottom: None,
                        top: None,
                    },
                ],
            ),
            Qi::new(
                "zip",
                ColumnType::String,
                &[GenLevel::Prefix(3), GenLevel::Prefix(1), GenLevel::Suppress],
            ),
            Qi::new("sex", ColumnType::Category, &[]),
        ]
    }

    fn row(r: &(u8, u8, u8, u8)) -> (Vec<Raw>, Option<String>) {
        let zip = ["10115", "10117", "10245", "20095", "20097", "80331"][usize::from(r.1 % 6)];
        let sex = match r.2 % 3 {
            0 => Raw::Text("f".into()),
            1 => Raw::Text("m".into()),
            _ => Raw::Null,
        };
        (
            vec![
                Raw::Num(f64::from(15 + r.0 % 75)),
                Raw::Text(zip.into()),
                sex,
            ],
            Some(format!("d{}", r.3 % 4)),
        )
    }

    fn count(rows: &[(u8, u8, u8, u8)]) -> Combos {
        let mut c = Combos::default();
        for r in rows {
            let (values, sens) = row(r);
            c.add(&values, sens.as_deref());
        }
        c
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(32))]

        #[test]
        fn merged_class_counts_equal_the_whole_and_choose_the_same_generalisation(
            rows in proptest::collection::vec(any::<(u8, u8, u8, u8)>(), 1..200),
            cuts in proptest::collection::vec(any::<usize>(), 0..7),
            splits in proptest::collection::vec(any::<usize>(), 8),
            reversed in any::<bool>(),
            k in 2u64..6,
            l in proptest::option::of(1u64..3),
        ) {
            let whole = count(&rows);
            let parts = ranges(rows.len(), &cuts);
            let mut states: Vec<Combos> = parts.iter().map(|&(a, b)| count(&rows[a..b])).collect();
            if reversed {
                // Merging is commutative: the counts do not depend on the order.
                states.reverse();
            }
            let merged = merge_tree(&states, &mut splits.iter().copied(), &|a: &mut Combos, b| a.merge(b));
            prop_assert_eq!(merged.rows(), whole.rows());
            prop_assert_eq!(merged.entries(), whole.entries());
            let back: Combos = serde_json::from_str(&serde_json::to_string(&merged).expect("json")).expect("back");
            prop_assert_eq!(back.entries(), whole.entries());

            let q = qis();
            let l = l.map(|l| ("disease".to_string(), l));
            let figures = |c: &Combos| match search(&q, c, Some(k), l.clone(), 0.05) {
                Ok(a) => serde_json::to_string(&a).expect("json"),
                Err(e) => e.to_string(),
            };
            let want = figures(&whole);
            prop_assert_eq!(figures(&merged), want.clone());
            prop_assert_eq!(figures(&back), want);
            // The generaliser labels every row of the input the same way.
            if let (Ok(a), Ok(b)) = (search(&q, &whole, Some(k), l.clone(), 0.05), search(&q, &back, Some(k), l.clone(), 0.05)) {
                for r in &rows {
                    let (values, _) = row(r);
                    prop_assert_eq!(a.generaliser.row(&values), b.generaliser.row(&values));
                }
            }
        }
    }

    #[test]
    fn damaged_class_counts_are_refused() {
        let c = count(&[(1, 1, 1, 1), (2, 2, 2, 2)]);
        let mut json = serde_json::to_value(&c).expect("json");
        json["rows"] = serde_json::json!(5);
        let err = serde_json::from_value::<Combos>(json).expect_err("rows");
        assert!(err.to_string().contains("hold 2 rows, not 5"), "{err}");
    }
}

// ---------------------------------------------------------------------------------------------
// fit

mod fit_state {
    use super::*;
    use fairsynth::io::read::Format;
    use fairsynth::io::table::Table;
    use fairsynth::model::{
        fit, CodeCounts, CopulaSums, FitOptions, FitPlan, FitStructure, FitSummary, Model,
    };

    const FIT_SCHEMA: &str = "version: 1\nname: f\ncolumns:\n  - {name: sex, type: category, role: protected, levels: [f, m]}\n  - {name: job, type: string, nullable: true}\n  - {name: age, type: int, min: 18, max: 90}\n  - {name: income, type: float, nullable: true}\n  - {name: y, type: int, role: label}\nfairness: {label: y, favourable: 1, independent_of: [sex]}\n";
    const COLUMNS: [&str; 5] = ["sex", "job", "age", "income", "y"];

    fn csv(rows: &[(bool, u8, u8, u16, bool)]) -> String {
        let mut s = String::from("sex,job,age,income,y\n");
        for (f, job, age, income, y) in rows {
            let job = ["clerk", "nurse", "", "driver", "teacher", "cook"][usize::from(job % 6)];
            let income = if income % 11 == 0 {
                String::new()
            } else {
                format!("{}.{}", 1000 + income % 4000, income % 10)
            };
            s.push_str(&format!(
                "{},{job},{},{income},{}\n",
                if *f { "f" } else { "m" },
                18 + age % 60,
                u8::from(*y)
            ));
        }
        s
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(10))]

        #[test]
        fn appended_chunks_equal_the_whole_table_and_fit_the_same_model(
            rows in proptest::collection::vec(any::<(bool, u8, u8, u16, bool)>(), 40..160),
            cuts in proptest::collection::vec(any::<usize>(), 0..7),
            splits in proptest::collection::vec(any::<usize>(), 8),
        ) {
            let dir = tempfile::tempdir().expect("tempdir");
            let schema = Schema::from_str_named(FIT_SCHEMA, "f.yaml").expect("schema");
            let load = |name: &str, rows: &[(bool, u8, u8, u16, bool)]| {
                let path = dir.path().join(name);
                std::fs::write(&path, csv(rows)).expect("write");
                Table::load(&Input::file(&path, Format::Csv), &schema, &COLUMNS).expect("load")
            };
            let whole = load("whole.csv", &rows);
            let parts = ranges(rows.len(), &cuts);
            let tables: Vec<Table> = parts
                .iter()
                .enumerate()
                .map(|(i, &(a, b))| load(&format!("part{i}.csv"), &rows[a..b]))
                .collect();
            let merged = merge_tree(&tables, &mut splits.iter().copied(), &|a: &mut Table, b| a.append(b).expect("append"));
            // Debug text, since NaN (null) is not equal to itself.
            prop_assert_eq!(format!("{merged:?}"), format!("{whole:?}"));
            let opts = FitOptions { min_count: 3, bins: 6, ..FitOptions::default() };
            let a = fit(&whole, &schema, FIT_SCHEMA, &opts);
            let b = fit(&merged, &schema, FIT_SCHEMA, &opts);
            let (a, b) = (a.expect("fit whole"), b.expect("fit merged"));
            prop_assert!(!a.nodes.is_empty());
            prop_assert_eq!(&a, &b);

            // The counts behind the levels and bins: merged in any order (here reversed,
            // through JSON), they choose the model's variables.
            let mut summaries: Vec<FitSummary> = tables
                .iter()
                .map(|t| {
                    let mut s = FitSummary::new(&schema);
                    s.add_table(t).expect("summary");
                    s
                })
                .collect();
            summaries.reverse();
            let merged = merge_tree(&summaries, &mut splits.iter().copied(), &|a: &mut FitSummary, b| a.merge(b).expect("merge"));
            let merged: FitSummary = serde_json::from_str(&serde_json::to_string(&merged).expect("json")).expect("back");
            prop_assert_eq!(merged.rows(), rows.len() as u64);
            prop_assert_eq!(merged.variables(&schema, &opts).expect("variables"), a.variables.clone());

            // The rest of the fit in steps: code counts and copula sums per chunk, merged in
            // any grouping (through JSON), give the model of the whole table.
            prop_assert_eq!(fit_in_steps(&schema, &opts, &tables, &splits), a);
        }
    }

    /// `fit` in the steps of `fairsynth::model::FitPlan` over `tables` (chunks of one table):
    /// every state per chunk, through JSON, merged by the tree `splits` picks.
    fn fit_in_steps(
        schema: &Schema,
        opts: &FitOptions,
        tables: &[Table],
        splits: &[usize],
    ) -> Model {
        fn json<T: serde::Serialize + serde::de::DeserializeOwned>(x: &T) -> T {
            serde_json::from_str(&serde_json::to_string(x).expect("json")).expect("back")
        }
        let summaries: Vec<FitSummary> = tables
            .iter()
            .map(|t| {
                let mut s = FitSummary::new(schema);
                s.add_table(t).expect("summary");
                json(&s)
            })
            .collect();
        let summary = merge_tree(
            &summaries,
            &mut splits.iter().copied(),
            &|a: &mut FitSummary, b| a.merge(b).expect("merge"),
        );
        let yaml = schema_text(schema);
        let plan = FitPlan::new(&summary, schema, &yaml, opts).expect("plan");
        // Other processes code their chunks with the plan made again from the same summary.
        let chunk_plan = FitPlan::for_chunks(&summary, schema, &yaml, opts).expect("plan");
        let codes: Vec<CodeCounts> = tables
            .iter()
            .map(|t| {
                let mut c = plan.code_counts();
                chunk_plan.count_codes_table(&mut c, t).expect("codes");
                json(&c)
            })
            .collect();
        let codes = merge_tree(
            &codes,
            &mut splits.iter().rev().copied(),
            &|a: &mut CodeCounts, b| a.merge(b).expect("merge"),
        );
        let structure: FitStructure = json(&plan.structure(&codes).expect("structure"));
        let sums = structure.copula_sums().map(|empty| {
            let parts: Vec<CopulaSums> = tables
                .iter()
                .map(|t| {
                    let mut s = empty.clone();
                    chunk_plan
                        .count_copula_table(&structure, &mut s, t)
                        .expect("copula");
                    json(&s)
                })
                .collect();
            merge_tree(
                &parts,
                &mut splits.iter().copied(),
                &|a: &mut CopulaSums, b| a.merge(b).expect("merge"),
            )
        });
        structure.finish(sums).expect("finish")
    }

    fn schema_text(schema: &Schema) -> String {
        if schema.source.file == "f.yaml" {
            FIT_SCHEMA.to_string()
        } else {
            std::fs::read_to_string(&schema.source.file).expect("schema text")
        }
    }

    /// On a real table (the Adult sample: the held-out penalty choice, pair terms, relations
    /// and the copula all at work), the fit in steps over 1 to 7 chunks is the fit of the whole.
    #[test]
    fn the_fit_in_steps_over_chunks_of_adult_is_the_whole_fit() {
        let yaml = std::fs::read_to_string("schemas/adult.yaml").expect("schema");
        let schema = Schema::from_str_named(&yaml, "schemas/adult.yaml").expect("schema");
        let text = std::fs::read_to_string("tests/data/adult_sample.csv").expect("csv");
        let (header, body) = text.split_once('\n').expect("header");
        let lines: Vec<&str> = body.lines().collect();
        let columns = FitSummary::new(&schema).columns().to_vec();
        let names: Vec<&str> = columns.iter().map(String::as_str).collect();
        let dir = tempfile::tempdir().expect("tempdir");
        let load = |name: &str, lines: &[&str]| {
            let path = dir.path().join(name);
            std::fs::write(&path, format!("{header}\n{}\n", lines.join("\n"))).expect("write");
            Table::load(&Input::file(&path, Format::Csv), &schema, &names).expect("load")
        };
        let whole = load("whole.csv", &lines);
        assert!(whole.rows >= 1000, "the held-out choice needs 1,000 rows");
        let opts = FitOptions::default();
        let a = fit(&whole, &schema, &yaml, &opts).expect("fit");
        assert!(a.copula.is_some() && !a.fit.penalty_held_out.is_empty());
        for k in [1usize, 3, 7] {
            let cuts: Vec<usize> = (1..k).map(|i| i * whole.rows / k + i * 37).collect();
            let tables: Vec<Table> = ranges(whole.rows, &cuts)
                .into_iter()
                .enumerate()
                .map(|(i, (from, to))| load(&format!("{k}-{i}.csv"), &lines[from..to]))
                .collect();
            assert_eq!(
                fit_in_steps(&schema, &opts, &tables, &[5, 1, 4, 2, 6, 3]),
                a,
                "{k} chunks"
            );
        }
    }

    #[test]
    fn states_of_another_table_are_refused() {
        let schema = Schema::from_str_named(FIT_SCHEMA, "f.yaml").expect("schema");
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("t.csv");
        let rows: Vec<(bool, u8, u8, u16, bool)> = (0..60u8)
            .map(|i| (i % 2 == 0, i, i, u16::from(i) * 7, i % 3 == 0))
            .collect();
        std::fs::write(&path, csv(&rows)).expect("write");
        let t = Table::load(&Input::file(&path, Format::Csv), &schema, &COLUMNS).expect("load");
        let half_path = dir.path().join("half.csv");
        std::fs::write(&half_path, csv(&rows[..30])).expect("write");
        let half =
            Table::load(&Input::file(&half_path, Format::Csv), &schema, &COLUMNS).expect("load");
        let mut s = FitSummary::new(&schema);
        s.add_table(&t).expect("summary");
        let opts = FitOptions {
            min_count: 3,
            bins: 6,
            ..FitOptions::default()
        };
        let plan = FitPlan::new(&s, &schema, FIT_SCHEMA, &opts).expect("plan");
        // Counts of half the rows are not of the summarised table.
        let mut c = plan.code_counts();
        plan.count_codes_table(&mut c, &half).expect("codes");
        let err = plan.structure(&c).expect_err("half the rows");
        assert!(
            err.to_string().contains("not of the summarised table"),
            "{err}"
        );
        // A value the summary never counted.
        let mut other = rows.clone();
        other[0].3 = 4001;
        std::fs::write(&path, csv(&other)).expect("write");
        let t2 = Table::load(&Input::file(&path, Format::Csv), &schema, &COLUMNS).expect("load");
        let err = plan
            .count_codes_table(&mut plan.code_counts(), &t2)
            .expect_err("unseen value");
        assert!(
            err.to_string().contains("was not among the values counted"),
            "{err}"
        );
        // Damaged counts: a code past its variable's codes.
        let mut full = plan.code_counts();
        plan.count_codes_table(&mut full, &t).expect("codes");
        assert!(plan.structure(&full).is_ok());
        let mut flat: serde_json::Value = serde_json::to_value(&full).expect("json");
        flat["codes"][0] = serde_json::json!(999);
        let damaged: CodeCounts = serde_json::from_value(flat).expect("back");
        let err = plan.structure(&damaged).expect_err("damaged");
        assert!(err.to_string().contains("which has"), "{err}");
        // Code counts of another plan do not merge.
        let err = plan
            .code_counts()
            .merge(CodeCounts::new(2))
            .expect_err("other variables");
        assert!(
            err.to_string().contains("cannot merge code counts"),
            "{err}"
        );
    }

    #[test]
    fn tables_of_other_columns_do_not_append() {
        let dir = tempfile::tempdir().expect("tempdir");
        let schema = Schema::from_str_named(FIT_SCHEMA, "f.yaml").expect("schema");
        let path = dir.path().join("t.csv");
        std::fs::write(&path, csv(&[(true, 1, 2, 3, false)])).expect("write");
        let input = Input::file(&path, Format::Csv);
        let mut a = Table::load(&input, &schema, &COLUMNS).expect("a");
        let b = Table::load(&input, &schema, &["sex", "age"]).expect("b");
        let err = a.append(b).expect_err("other columns");
        assert!(err.to_string().contains("cannot append"), "{err}");
    }
}

// ---------------------------------------------------------------------------------------------
// singling out

mod singling_out_state {
    use super::*;
    use arrow_array::Int64Array;
    use fairsynth::deid::risk::SinglingOutCounter;

    fn batch(rows: &[(u16, u16, u8)]) -> RecordBatch {
        let schema: SchemaRef = Arc::new(ArrowSchema::new(vec![
            Field::new("a", DataType::Int64, false),
            Field::new("b", DataType::Utf8, true),
            Field::new("c", DataType::Utf8, false),
        ]));
        let a: ArrayRef = Arc::new(Int64Array::from_iter_values(
            rows.iter().map(|r| i64::from(r.0)),
        ));
        let b: ArrayRef = Arc::new(StringArray::from_iter(
            rows.iter()
                .map(|r| (r.1 % 5 != 0).then(|| format!("b{}", r.1 % 40))),
        ));
        let c: ArrayRef = Arc::new(StringArray::from_iter_values(
            rows.iter().map(|r| format!("c{}", r.2 % 3)),
        ));
        RecordBatch::try_new(schema, vec![a, b, c]).expect("batch")
    }

    fn counter() -> SinglingOutCounter {
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        // A small key cap, so that long inputs sample and the merge of sampled sets is tested.
        SinglingOutCounter::new(&s(&["c"]), &s(&["a", "b", "c"]), Some(&s(&["b", "c"])))
            .with_key_cap(1024)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(16))]

        #[test]
        fn merged_counters_equal_the_whole(
            rows in proptest::collection::vec((0u16..4000, any::<u16>(), any::<u8>()), 1..2500),
            cuts in proptest::collection::vec(any::<usize>(), 0..7),
            splits in proptest::collection::vec(any::<usize>(), 8),
            reversed in any::<bool>(),
        ) {
            let mut whole = counter();
            whole.add(&batch(&rows)).expect("whole");
            let mut states: Vec<SinglingOutCounter> = ranges(rows.len(), &cuts)
                .iter()
                .map(|&(a, b)| {
                    let mut c = counter();
                    c.add(&batch(&rows[a..b])).expect("chunk");
                    c
                })
                .collect();
            if reversed {
                states.reverse();
            }
            let merged = merge_tree(&states, &mut splits.iter().copied(), &|a: &mut SinglingOutCounter, b| a.merge(b).expect("merge"));
            let back: SinglingOutCounter = serde_json::from_str(&serde_json::to_string(&merged).expect("json")).expect("back");
            prop_assert_eq!(back.rows(), rows.len() as u64);
            prop_assert_eq!(back.is_exact(), whole.is_exact());
            prop_assert_eq!(back.finish(), whole.finish());
        }
    }

    #[test]
    fn sampled_counters_merge_to_the_whole() {
        let rows: Vec<(u16, u16, u8)> = (0..3000u16).map(|i| (i, i, (i % 7) as u8)).collect();
        let mut whole = counter();
        whole.add(&batch(&rows)).expect("whole");
        assert!(
            !whole.is_exact(),
            "3,000 distinct keys over a cap of 1,024 sample"
        );
        let mut merged = counter();
        for part in rows.chunks(431) {
            let mut c = counter();
            c.add(&batch(part)).expect("chunk");
            merged.merge(c).expect("merge");
        }
        assert_eq!(merged.finish(), whole.finish());
    }
}
