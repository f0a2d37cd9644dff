//! Reweighting throughput against the I/O floor, measured in the same run.
//!
//! Input: `bench-out/adult_1m.parquet`, the Adult table bootstrapped (rows drawn uniformly with
//! replacement, in random order, seed 1) to 1,000,000 rows; `cargo bench --bench reweight --
//! prepare ROWS OUT.parquet [ADULT.csv]` makes such a file (benches/run.sh does). Baseline: arrow-rs reading the file and writing it back with one
//! `ArrowWriter` and the same properties, the least any read-modify-write must do. fairsynth:
//! `reweight` raking to sex, race and age bands (schemas/adult.yaml), both passes and the write.
//! Results go to stdout and `bench-out/reweight.json`.

mod common;

use std::fs::File;
use std::io::BufWriter;
use std::path::Path;
use std::time::Instant;

use fairsynth::io::read::Format;
use fairsynth::io::{writer_properties, Compression, Input, Output};
use fairsynth::reweight::{reweight, Options};
use fairsynth::schema::Schema;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::arrow::ArrowWriter;

use common::median;

const REPS: usize = 5;

/// Writes `rows` rows drawn uniformly with replacement from the Adult CSV to `out`.
fn prepare(rows: u64, out: &Path, adult: &Path, schema: &Schema) {
    use arrow_array::{RecordBatch, UInt32Array};
    use rand::RngExt;
    let batches: Vec<RecordBatch> =
        fairsynth::io::read::Reader::open(&fairsynth::io::Input::file(adult, Format::Csv), schema)
            .expect("adult")
            .collect::<Result<_, _>>()
            .expect("rows");
    let table =
        arrow_select::concat::concat_batches(&batches[0].schema(), &batches).expect("concat");
    let n = table.num_rows() as u32;
    let file = BufWriter::new(File::create(out).expect("create"));
    let mut w = ArrowWriter::try_new(
        file,
        table.schema(),
        Some(writer_properties(Compression::Zstd)),
    )
    .expect("writer");
    let block = 65_536u64;
    for b in 0..rows.div_ceil(block) {
        let len = (rows - b * block).min(block);
        let mut rng = fairsynth::synth::stream(1, "bootstrap", 0, b);
        let idx = UInt32Array::from((0..len).map(|_| rng.random_range(0..n)).collect::<Vec<_>>());
        let cols = table
            .columns()
            .iter()
            .map(|c| arrow_select::take::take(c.as_ref(), &idx, None).expect("take"))
            .collect();
        w.write(&RecordBatch::try_new(table.schema(), cols).expect("batch"))
            .expect("write");
    }
    w.close().expect("close");
}

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "copy") {
        // The I/O floor for another command: read a Parquet file and write it back, timed.
        let (input, out) = (Path::new(&args[i + 1]), Path::new(&args[i + 2]));
        let t = Instant::now();
        let r = ParquetRecordBatchReaderBuilder::try_new(File::open(input).expect("input"))
            .expect("parquet")
            .with_batch_size(65_536)
            .build()
            .expect("reader");
        let mut w: Option<ArrowWriter<BufWriter<File>>> = None;
        for b in r {
            let b = b.expect("batch");
            w.get_or_insert_with(|| {
                ArrowWriter::try_new(
                    BufWriter::new(File::create(out).expect("create")),
                    b.schema(),
                    Some(writer_properties(Compression::Zstd)),
                )
                .expect("writer")
            })
            .write(&b)
            .expect("write");
        }
        w.expect("rows").close().expect("close");
        println!("{:.6}", t.elapsed().as_secs_f64());
        return;
    }
    if let Some(i) = args.iter().position(|a| a == "prepare") {
        let rows: u64 = args[i + 1].parse().expect("rows");
        let out = Path::new(&args[i + 2]);
        let adult = args
            .get(i + 3)
            .map_or(root.join("tests/data/adult_sample.csv"), |a| a.into());
        let schema = Schema::from_file(&root.join("schemas/adult.yaml")).expect("schema");
        prepare(rows, out, &adult, &schema);
        return;
    }
    let input = root.join("bench-out/adult_1m.parquet");
    if !input.exists() {
        eprintln!(
            "{} is missing: run benches/run.sh, which makes it",
            input.display()
        );
        std::process::exit(1);
    }
    let schema = Schema::from_file(&root.join("schemas/adult.yaml")).expect("schema");
    let copy = root.join("bench-out/copy.parquet");
    let out = root.join("bench-out/reweighted.parquet");
    let time = |f: &mut dyn FnMut()| -> Vec<f64> {
        (0..REPS)
            .map(|_| {
                let t = Instant::now();
                f();
                t.elapsed().as_secs_f64()
            })
            .collect()
    };
    let mut rows = 0usize;
    let baseline = time(&mut || {
        let r = ParquetRecordBatchReaderBuilder::try_new(File::open(&input).expect("input"))
            .expect("parquet")
            .with_batch_size(65_536)
            .build()
            .expect("reader");
        let mut w: Option<ArrowWriter<BufWriter<File>>> = None;
        rows = 0;
        for b in r {
            let b = b.expect("batch");
            rows += b.num_rows();
            let w = w.get_or_insert_with(|| {
                ArrowWriter::try_new(
                    BufWriter::new(File::create(&copy).expect("create")),
                    b.schema(),
                    Some(writer_properties(Compression::Zstd)),
                )
                .expect("writer")
            });
            w.write(&b).expect("write");
        }
        w.expect("rows").close().expect("close");
    });
    let opts = Options {
        targets: schema.targets.clone(),
        parity: false,
        ..Options::default()
    };
    let mut iterations = 0;
    let fairsynth = time(&mut || {
        let (r, _) = reweight(
            &Input::file(&input, Format::Parquet),
            &schema,
            &opts,
            Output::Parquet(&out),
            serde_json::json!({}),
        )
        .expect("reweight");
        iterations = r.iterations;
    });
    let parity_opts = Options {
        parity: true,
        ..opts.clone()
    };
    let parity = time(&mut || {
        reweight(
            &Input::file(&input, Format::Parquet),
            &schema,
            &parity_opts,
            Output::Parquet(&out),
            serde_json::json!({}),
        )
        .expect("reweight");
    });
    let (b, f, p) = (
        median(baseline.clone()),
        median(fairsynth.clone()),
        median(parity.clone()),
    );
    let threads = rayon::current_num_threads();
    println!("reweight benchmark: {rows} rows x 16 columns (Adult resampled), zstd, {threads} threads, median of {REPS}");
    println!("  baseline: arrow-rs read + single-writer write   {b:>7.3} s  1.00x");
    println!("  fairsynth reweight, 3 margins ({iterations} sweeps)       {f:>7.3} s  {:.2}x the baseline's time", f / b);
    println!(
        "  fairsynth reweight, 3 margins + label parity   {p:>7.3} s  {:.2}x the baseline's time",
        p / b
    );
    let json = serde_json::json!({
        "rows": rows, "threads": threads, "reps": REPS,
        "baseline_copy_s": baseline, "reweight_s": fairsynth, "reweight_parity_s": parity,
        "ratio_reweight_vs_baseline_time": f / b,
    });
    std::fs::write(
        root.join("bench-out/reweight.json"),
        serde_json::to_string_pretty(&json).expect("json"),
    )
    .expect("write");
    let _ = std::fs::remove_file(copy);
    let _ = std::fs::remove_file(out);
}
