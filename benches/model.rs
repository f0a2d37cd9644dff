//! `fit` and `sample` against baselines measured in the same run.
//!
//! - fit: loading the table alone (the read floor) against load + fit, on Adult (the path in
//!   `FAIRSYNTH_BENCH_ADULT`, default ../shared/data/adult.csv, else the committed sample).
//! - sample: the encode limit (arrow-rs's single `ArrowWriter` on pre-drawn batches of the same
//!   table, same properties and row groups) against drawing + parallel encoding, as `sample`
//!   runs it, at `FAIRSYNTH_BENCH_ROWS` rows (default 1,000,000).
//!
//! Run with `cargo bench --bench model` (or `benches/run.sh`). Results go to stdout and to
//! `bench-out/model.json`.

mod common;

use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};
use std::time::Instant;

use arrow_array::RecordBatch;
use fairsynth::io::read::{Format, Input};
use fairsynth::io::table::Table;
use fairsynth::io::{writer_properties, Compression};
use fairsynth::model::{fit_file, FitOptions, SampleOptions, Sampler};
use fairsynth::schema::Schema;
use fairsynth::synth::DEFAULT_ROW_GROUP_ROWS;
use fairsynth::synth::{write_parquet, BlockSource, WriteOptions, BLOCK_ROWS};
use parquet::arrow::ArrowWriter;
use rayon::prelude::*;

use common::{median, time};

const REPS: usize = 7;

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let rows: u64 = std::env::var("FAIRSYNTH_BENCH_ROWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let adult: PathBuf = std::env::var("FAIRSYNTH_BENCH_ADULT")
        .map(PathBuf::from)
        .unwrap_or_else(|_| root.join("../shared/data/adult.csv"));
    let adult = if adult.exists() {
        adult
    } else {
        root.join("tests/data/adult_sample.csv")
    };
    let schema_path = root.join("schemas/adult.yaml");
    let yaml = std::fs::read_to_string(&schema_path).expect("schema");
    let schema = Schema::from_file(&schema_path).expect("schema");
    let names: Vec<&str> = schema.columns.iter().map(|c| c.name.as_str()).collect();
    let out_dir = root.join("bench-out");
    std::fs::create_dir_all(&out_dir).expect("bench-out");
    let threads = rayon::current_num_threads();

    let load = time(REPS, || {
        Table::load(&Input::file(&adult, Format::Csv), &schema, &names).expect("load");
    });
    let opts = FitOptions {
        seed: 7,
        ..FitOptions::default()
    };
    let mut model = None;
    let fit = time(REPS, || {
        model = Some(fit_file(&adult, Format::Csv, &schema, &yaml, &opts).expect("fit"));
    });
    let model = model.expect("fitted");

    let sampler = Sampler::new(
        &model,
        &SampleOptions {
            seed: 7,
            targets: schema.targets.clone(),
            fairness: true,
        },
    )
    .expect("sampler");
    let t = Instant::now();
    let batches: Vec<RecordBatch> = (0..rows.div_ceil(BLOCK_ROWS as u64))
        .into_par_iter()
        .map(|b| sampler.block(b, rows).expect("block"))
        .collect();
    let draw_only = t.elapsed().as_secs_f64();
    let props = writer_properties(Compression::Zstd)
        .into_builder()
        .set_max_row_group_row_count(Some(DEFAULT_ROW_GROUP_ROWS as usize))
        .build();
    let limit_path = out_dir.join("model-limit.parquet");
    let limit = time(REPS, || {
        let file = BufWriter::with_capacity(1 << 20, File::create(&limit_path).expect("create"));
        let mut w =
            ArrowWriter::try_new(file, sampler.schema(), Some(props.clone())).expect("writer");
        for b in &batches {
            w.write(b).expect("write");
        }
        w.close().expect("close");
    });
    drop(batches);
    let out = out_dir.join("model-sample.parquet");
    let sample = time(REPS, || {
        write_parquet(
            &sampler,
            rows,
            &out,
            &WriteOptions::default(),
            &serde_json::json!({}),
            &|_| {},
        )
        .expect("sample");
    });

    let (load_m, fit_m, limit_m, sample_m) = (
        median(load.clone()),
        median(fit.clone()),
        median(limit.clone()),
        median(sample.clone()),
    );
    println!(
        "model benchmark: fit on {} ({} rows), sample {rows} rows, {threads} threads, median of {REPS}",
        adult.display(),
        model.rows
    );
    println!("  read floor: load the table            {load_m:>8.3} s");
    println!(
        "  fit (load + discretise + structure)   {fit_m:>8.3} s  {:.2}x the read floor",
        fit_m / load_m
    );
    println!("  draw only (all threads, in memory)    {draw_only:>8.3} s");
    println!(
        "  encode limit: single ArrowWriter      {limit_m:>8.3} s  {:>12.0} rows/s  1.00x",
        rows as f64 / limit_m
    );
    println!(
        "  sample: draw + parallel encode        {sample_m:>8.3} s  {:>12.0} rows/s  {:.2}x",
        rows as f64 / sample_m,
        limit_m / sample_m
    );
    let json = serde_json::json!({
        "adult": adult.display().to_string(), "adult_rows": model.rows, "rows": rows,
        "threads": threads, "reps": REPS,
        "load_s": load, "fit_s": fit, "draw_only_s": draw_only,
        "limit_s": limit, "sample_s": sample,
        "fit_vs_read_floor": fit_m / load_m,
        "sample_vs_encode_limit": limit_m / sample_m,
    });
    std::fs::write(
        out_dir.join("model.json"),
        serde_json::to_string_pretty(&json).expect("json"),
    )
    .expect("write results");
    let _ = std::fs::remove_file(limit_path);
    let _ = std::fs::remove_file(out);
}
