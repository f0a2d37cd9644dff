//! Linked tables generated in runs of units (families of root rows) by separate callers, as
//! `fairsynth.spark.synth` does on executors: any cut of the units, each run given the rows of
//! every table before it, gives the folder's rows, keys and all.

use arrow_array::RecordBatch;
use fairsynth::schema::Document;
use fairsynth::synth::linked::{LinkedSynthesizer, PickedColumns};
use fairsynth::synth::SynthError;

/// The shop schema (driving, picked and self-referencing keys, aggregates over children), its
/// root tables cut to `scale`, in families of at most 100 root rows (many units).
fn shop(scale: f64) -> LinkedSynthesizer {
    let text = include_str!("../schemas/shop.yaml");
    let Ok(Document::Database(mut db)) = Document::from_str_named(text, "shop.yaml") else {
        panic!("shop.yaml declares linked tables");
    };
    for t in db.tables.iter_mut().filter(|t| t.is_root()) {
        t.schema.rows = ((t.schema.rows as f64 * scale).round() as u64).max(1);
    }
    match LinkedSynthesizer::new(&db, 7) {
        Ok(s) => s.with_family_rows_at_most(100),
        Err(e) => panic!("{e}"),
    }
}

fn whole(batches: &[RecordBatch], schema: &arrow_schema::SchemaRef) -> RecordBatch {
    arrow_select::concat::concat_batches(schema, batches).expect("batches of one schema")
}

#[test]
fn runs_of_units_cut_anywhere_give_the_folders_rows() -> Result<(), SynthError> {
    let s = shop(0.05);
    let tables = s.tables();
    let folder = s.to_batches()?;
    let units = s.unit_count();
    assert!(units > 5, "{units} units: too few to cut");
    let picked = s.picked_columns()?;
    for cuts in [vec![units], vec![1, 4, units], vec![2, 3, units - 1, units]] {
        let mut got: Vec<Vec<RecordBatch>> = vec![Vec::new(); folder.len()];
        let mut first = 0;
        for end in cuts {
            let offsets = s.unit_rows(0, first, &picked)?;
            for (t, bs) in s
                .units(first, end, &offsets, &picked)?
                .into_iter()
                .enumerate()
            {
                got[t].extend(bs);
            }
            first = end;
        }
        for (((name, want), got), (_, schema)) in folder.iter().zip(&got).zip(&tables) {
            assert!(!want.is_empty(), "table {name} has rows");
            assert_eq!(whole(want, schema), whole(got, schema), "table {name}");
        }
    }
    let total: Vec<u64> = folder
        .iter()
        .map(|(_, bs)| bs.iter().map(|b| b.num_rows() as u64).sum())
        .collect();
    assert_eq!(s.unit_rows(0, units, &picked)?, total);
    // Units past the end make nothing.
    assert_eq!(
        s.unit_rows(units, units + 3, &picked)?,
        vec![0; total.len()]
    );
    Ok(())
}

#[test]
fn offsets_for_another_number_of_tables_are_refused() {
    let s = shop(0.01);
    let picked = PickedColumns::default();
    let e = s.units(0, 1, &[0], &picked).map(|_| ()).unwrap_err();
    assert!(e.to_string().contains("1 row offsets given for"), "{e}");
}
