//! Helpers shared by the integration tests.
// Each test crate uses its own subset of these.
#![allow(dead_code)]

use std::fs::File;
use std::path::Path;

use arrow_array::RecordBatch;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

use assert_cmd::Command;

/// The crate root, where `schemas/` and `tests/data/` live.
pub fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The `fairsynth` binary, run from the crate root.
pub fn fairsynth() -> Command {
    let mut c = Command::cargo_bin("fairsynth").expect("binary builds");
    c.current_dir(root());
    c
}

/// A Parquet file read back whole, as one batch.
pub fn read_parquet(path: &Path) -> RecordBatch {
    let file = File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let builder = ParquetRecordBatchReaderBuilder::try_new(file).expect("parquet");
    let schema = builder.schema().clone();
    let batches: Vec<RecordBatch> = builder
        .build()
        .expect("reader")
        .map(|b| b.expect("batch"))
        .collect();
    arrow_select::concat::concat_batches(&schema, &batches).expect("concat")
}
