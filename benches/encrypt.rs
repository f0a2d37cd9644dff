//! The cost of column-level encryption on `synth`: the same table written plaintext and
//! encrypted, in the same run, alternating, so the two share the machine's state.
//!
//! Table: `benches/bench8.yaml` (8 columns), zstd, default row groups. Variants: plaintext;
//! the protected columns (`sex`, `age`) encrypted under one master key with an encrypted
//! footer (the README's recipe); every column encrypted (the worst case). Time is the median of
//! `REPS` runs of generate + encrypt + encode + write; size is the file's bytes. Run with
//! `cargo bench --bench encrypt`; `FAIRSYNTH_BENCH_ROWS` sets the rows (default 5,000,000).
//! Results go to stdout and to `bench-out/encrypt.json`.

mod common;

use std::path::Path;
use std::sync::Arc;

use fairsynth::io::crypt::{self, Access, MasterKeys};
use fairsynth::io::Compression;
use fairsynth::schema::{Encryption, Schema};
use fairsynth::synth::{write_parquet, Synthesizer, WriteOptions, DEFAULT_ROW_GROUP_ROWS};

use common::median;

const REPS: usize = 5;

fn main() {
    let rows: u64 = std::env::var("FAIRSYNTH_BENCH_ROWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5_000_000);
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let schema = Schema::from_file(&root.join("benches/bench8.yaml")).expect("bench schema");
    let synth = Synthesizer::new(&schema, 1).expect("synthesisable");
    let out_dir = root.join("bench-out");
    std::fs::create_dir_all(&out_dir).expect("bench-out");
    let threads = rayon::current_num_threads();
    let keys = MasterKeys::none()
        .with_key("auditor", (0..16).collect())
        .with_key("team", (16..32).collect())
        .with_key("footer", (32..64).collect());
    let protected = Encryption {
        footer_key: "footer".into(),
        plaintext_footer: false,
        columns: vec![
            ("sex".into(), "auditor".into()),
            ("age".into(), "auditor".into()),
        ],
    };
    let every = Encryption {
        footer_key: "footer".into(),
        plaintext_footer: false,
        columns: schema
            .columns
            .iter()
            .map(|c| {
                let key = if c.name == "sex" || c.name == "age" {
                    "auditor"
                } else {
                    "team"
                };
                (c.name.clone(), key.to_string())
            })
            .collect(),
    };
    let variants: [(&str, Option<Encryption>); 3] = [
        ("plaintext", None),
        (
            "protected columns encrypted (sex, age), encrypted footer",
            Some(protected),
        ),
        ("every column encrypted, encrypted footer", Some(every)),
    ];
    let options = WriteOptions {
        compression: Compression::Zstd,
        row_group_rows: DEFAULT_ROW_GROUP_ROWS,
    };
    let prov = serde_json::json!({});
    let mut times: Vec<Vec<f64>> = vec![Vec::new(); variants.len()];
    let mut sizes = vec![0u64; variants.len()];
    // Alternating runs: rep r of every variant before rep r + 1 of any.
    for _ in 0..REPS {
        for (i, (_, policy)) in variants.iter().enumerate() {
            let path = out_dir.join(format!("encrypt-{i}.parquet"));
            let guard = crypt::enter(Access {
                kms: Arc::new(keys.clone()),
                policy: policy.clone(),
                tables: Vec::new(),
            });
            let t = std::time::Instant::now();
            write_parquet(&synth, rows, &path, &options, &prov, &|_| {}).expect("write");
            times[i].push(t.elapsed().as_secs_f64());
            drop(guard);
            sizes[i] = std::fs::metadata(&path).expect("size").len();
            let _ = std::fs::remove_file(&path);
        }
    }
    let base_t = median(times[0].clone());
    let base_s = sizes[0] as f64;
    println!("encryption benchmark: synth of {rows} rows x 8 columns (benches/bench8.yaml), zstd, {threads} threads, median of {REPS}, alternating");
    let mut results = Vec::new();
    for (i, (name, _)) in variants.iter().enumerate() {
        let t = median(times[i].clone());
        println!(
            "  {name:<58} {t:>7.3} s  {:>+6.1} %   {:>11} bytes  {:>+6.2} %",
            (t / base_t - 1.0) * 100.0,
            sizes[i],
            (sizes[i] as f64 / base_s - 1.0) * 100.0
        );
        results.push(serde_json::json!({
            "variant": name, "median_s": t, "runs_s": times[i], "bytes": sizes[i],
            "time_vs_plaintext": t / base_t, "size_vs_plaintext": sizes[i] as f64 / base_s,
        }));
    }
    let json =
        serde_json::json!({ "rows": rows, "threads": threads, "reps": REPS, "results": results });
    std::fs::write(
        out_dir.join("encrypt.json"),
        serde_json::to_string_pretty(&json).expect("json"),
    )
    .expect("write results");
}
