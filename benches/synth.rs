//! Synthesis throughput against the Parquet encode limit, measured in the same run.
//!
//! The limit: arrow-rs's single `ArrowWriter` encoding pre-generated batches of the same table
//! with the same properties and row groups. fairsynth: generation plus parallel encoding, as
//! `synth` runs it. Run with `cargo bench --bench synth` (or `benches/run.sh` for the whole
//! set); `FAIRSYNTH_BENCH_ROWS` sets the row count (default 10,000,000). Results go to stdout
//! and to `bench-out/synth.json`.

mod common;

use std::fs::File;
use std::io::BufWriter;
use std::path::Path;
use std::time::Instant;

use arrow_array::RecordBatch;
use fairsynth::io::{writer_properties, Compression};
use fairsynth::schema::Schema;
use fairsynth::synth::{write_parquet, Synthesizer, WriteOptions, DEFAULT_ROW_GROUP_ROWS};
use parquet::arrow::ArrowWriter;
use parquet::file::properties::WriterProperties;
use rayon::prelude::*;

use common::{median, time};

const REPS: usize = 5;

fn main() {
    let rows: u64 = std::env::var("FAIRSYNTH_BENCH_ROWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000_000);
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let schema = Schema::from_file(&root.join("benches/bench8.yaml")).expect("bench schema");
    let synth = Synthesizer::new(&schema, 1).expect("synthesisable");
    let out_dir = root.join("bench-out");
    std::fs::create_dir_all(&out_dir).expect("bench-out");
    let threads = rayon::current_num_threads();

    let t = Instant::now();
    let batches: Vec<RecordBatch> = (0..Synthesizer::blocks(rows))
        .into_par_iter()
        .map(|b| synth.block(b, rows).expect("block"))
        .collect();
    let generate_only = t.elapsed().as_secs_f64();

    let compression = Compression::Zstd;
    let props: WriterProperties = writer_properties(compression)
        .into_builder()
        .set_max_row_group_row_count(Some(DEFAULT_ROW_GROUP_ROWS as usize))
        .build();
    let limit_path = out_dir.join("limit.parquet");
    let limit = time(REPS, || {
        let file = BufWriter::with_capacity(1 << 20, File::create(&limit_path).expect("create"));
        let mut w =
            ArrowWriter::try_new(file, synth.schema(), Some(props.clone())).expect("writer");
        for b in &batches {
            w.write(b).expect("write");
        }
        w.close().expect("close");
    });
    drop(batches);

    let options = WriteOptions {
        compression,
        row_group_rows: DEFAULT_ROW_GROUP_ROWS,
    };
    let fs_path = out_dir.join("fairsynth.parquet");
    let prov = serde_json::json!({});
    let run = || {
        write_parquet(&synth, rows, &fs_path, &options, &prov, &|_| {}).expect("write");
    };
    let all = time(REPS, run);
    let one_pool = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .expect("pool");
    let one = time(REPS, || one_pool.install(run));

    let (limit_m, all_m, one_m) = (
        median(limit.clone()),
        median(all.clone()),
        median(one.clone()),
    );
    let rate = |s: f64| rows as f64 / s;
    println!("synthesis benchmark: {rows} rows x 8 columns (benches/bench8.yaml), zstd, {threads} threads, median of {REPS}");
    println!("  generate only (all threads, in memory)      {generate_only:>8.3} s");
    println!(
        "  encode limit: single ArrowWriter, pre-made  {limit_m:>8.3} s  {:>12.0} rows/s  1.00x",
        rate(limit_m)
    );
    println!(
        "  fairsynth generate + encode, {threads} threads     {all_m:>8.3} s  {:>12.0} rows/s  {:.2}x",
        rate(all_m),
        limit_m / all_m
    );
    println!(
        "  fairsynth generate + encode, 1 thread      {one_m:>8.3} s  {:>12.0} rows/s  {:.2}x",
        rate(one_m),
        limit_m / one_m
    );
    let json = serde_json::json!({
        "rows": rows, "threads": threads, "reps": REPS,
        "generate_only_s": generate_only,
        "limit_s": limit, "fairsynth_all_threads_s": all, "fairsynth_one_thread_s": one,
        "ratio_all_threads_vs_limit": limit_m / all_m,
        "ratio_one_thread_vs_limit": limit_m / one_m,
    });
    std::fs::write(
        out_dir.join("synth.json"),
        serde_json::to_string_pretty(&json).expect("json"),
    )
    .expect("write results");
    let _ = std::fs::remove_file(limit_path);
    let _ = std::fs::remove_file(fs_path);
}
