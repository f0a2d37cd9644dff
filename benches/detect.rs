//! Identifier-detection throughput per text column, against a baseline measured in the same
//! run.
//!
//! Columns of 1,000,000 values each (`FAIRSYNTH_BENCH_ROWS` overrides), made here from the
//! labelled fixture's kinds: single given names, full names with titles, e-mails, phones in
//! mixed forms, references (`C100000`), free-text notes with phones, names and e-mails, product
//! names, amounts. For each: the **baseline** (a 64-bit hash of every value, the least work
//! that reads each byte once), `ColumnScan::add` (what `inspect`, the `deidentify` net and
//! `fit`'s net run per value) and, for the notes, `redact` plus the re-scan that `deidentify`
//! runs on a redacted column. Prints rows/s and the ratio to the baseline; results also go to
//! `bench-out/detect.json`.

mod common;

use std::hash::Hasher;
use std::time::Instant;

use fairsynth::deid::detect::{redact_into, ColumnScan};

use common::median;

const REPS: usize = 3;

/// A deterministic stream (64-bit LCG, Knuth's MMIX constants).
struct Lcg(u64);
impl Lcg {
    fn next(&mut self, n: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 33) % n as u64) as usize
    }
    fn digits(&mut self, n: usize) -> String {
        (0..n)
            .map(|_| char::from(b'0' + self.next(10) as u8))
            .collect()
    }
}

fn columns(rows: usize) -> Vec<(&'static str, Vec<String>)> {
    let given = include_str!("../src/deid/names/given_us.txt")
        .lines()
        .take(2000)
        .map(|s| {
            let mut c = s.chars();
            c.next()
                .map(|f| f.to_uppercase().chain(c).collect::<String>())
                .unwrap_or_default()
        })
        .collect::<Vec<_>>();
    let family = include_str!("../src/deid/names/surnames_us.txt")
        .lines()
        .take(5000)
        .map(|s| {
            let mut c = s.chars();
            c.next()
                .map(|f| f.to_uppercase().chain(c).collect::<String>())
                .unwrap_or_default()
        })
        .collect::<Vec<_>>();
    let products = [
        "Organic Green Tea",
        "Widget Pro 3000",
        "USB-C Cable 2 m",
        "Wireless Mouse",
        "Grace Hand Cream",
        "Stainless Steel Bottle",
    ];
    let mut r = Lcg(7);
    let mut col = |f: &mut dyn FnMut(&mut Lcg) -> String| -> Vec<String> {
        (0..rows).map(|_| f(&mut r)).collect()
    };
    vec![
        (
            "given names",
            col(&mut |r| given[r.next(given.len())].clone()),
        ),
        (
            "full names with titles",
            col(&mut |r| {
                let t = ["Dr. ", "Mr. ", "", "Frau ", ""][r.next(5)];
                format!(
                    "{t}{} {}",
                    given[r.next(given.len())],
                    family[r.next(family.len())]
                )
            }),
        ),
        (
            "e-mails",
            col(&mut |r| format!("{}.{}@example.org", given[r.next(given.len())], r.digits(4))),
        ),
        (
            "phones, mixed forms",
            col(&mut |r| match r.next(4) {
                0 => format!("+49 30 {}", r.digits(8)),
                1 => format!("({}) 555-{}", 200 + r.next(700), r.digits(4)),
                2 => format!("{}-555-{} x{}", 200 + r.next(700), r.digits(4), r.digits(4)),
                _ => format!("0151{}", r.digits(7)),
            }),
        ),
        ("references", col(&mut |r| format!("C{}", r.digits(7)))),
        (
            "notes (free text)",
            col(&mut |r| match r.next(3) {
                0 => format!(
                    "Spoke with {} {} about the delivery; reach them at +1 415 555 {}.",
                    given[r.next(given.len())],
                    family[r.next(family.len())],
                    r.digits(4)
                ),
                1 => "Delivered on time, thanks! Order was damaged in transit.".to_string(),
                _ => format!("Prefers e-mail: {}@example.com", r.digits(6)),
            }),
        ),
        (
            "product names",
            col(&mut |r| products[r.next(products.len())].to_string()),
        ),
        (
            "amounts",
            col(&mut |r| format!("{}.{}", r.next(100_000), r.digits(2))),
        ),
    ]
}

fn main() {
    let rows: usize = std::env::var("FAIRSYNTH_BENCH_ROWS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1_000_000);
    let cols = columns(rows);
    // Load the dictionaries before timing.
    ColumnScan::new("x").add(Some("Anna Smith"));
    let mut results = Vec::new();
    println!("detection throughput, {rows} values per column, 1 thread, median of {REPS}:");
    println!(
        "  {:<24} {:>12} {:>14} {:>10}",
        "column", "baseline", "ColumnScan", "vs base"
    );
    for (name, values) in &cols {
        let base = median(
            (0..REPS)
                .map(|_| {
                    let t = Instant::now();
                    let mut acc = 0u64;
                    for v in values {
                        let mut h = std::collections::hash_map::DefaultHasher::new();
                        h.write(v.as_bytes());
                        acc ^= h.finish();
                    }
                    std::hint::black_box(acc);
                    t.elapsed().as_secs_f64()
                })
                .collect(),
        );
        let scan = median(
            (0..REPS)
                .map(|_| {
                    let t = Instant::now();
                    let mut s = ColumnScan::new("value");
                    for v in values {
                        s.add(Some(v));
                    }
                    std::hint::black_box(s.findings());
                    t.elapsed().as_secs_f64()
                })
                .collect(),
        );
        println!(
            "  {:<24} {:>9.1} M/s {:>11.2} M/s {:>9.2}x",
            name,
            rows as f64 / base / 1e6,
            rows as f64 / scan / 1e6,
            base / scan
        );
        results.push(serde_json::json!({
            "column": name, "rows": rows, "baseline_s": base, "scan_s": scan,
        }));
    }
    let notes = &cols
        .iter()
        .find(|(n, _)| *n == "notes (free text)")
        .expect("notes")
        .1;
    let redact = median(
        (0..REPS)
            .map(|_| {
                let t = Instant::now();
                let mut buf = String::new();
                let mut s = ColumnScan::new("");
                for v in notes {
                    buf.clear();
                    redact_into(v, |_| true, &mut buf);
                    s.add(Some(&buf));
                }
                std::hint::black_box(s.findings());
                t.elapsed().as_secs_f64()
            })
            .collect(),
    );
    println!(
        "  notes: redact + re-scan   {:>11.2} M/s",
        rows as f64 / redact / 1e6
    );
    results.push(
        serde_json::json!({"column": "notes: redact + re-scan", "rows": rows, "scan_s": redact}),
    );
    let _ = std::fs::create_dir_all("bench-out");
    let _ = std::fs::write(
        "bench-out/detect.json",
        serde_json::to_string_pretty(&results).unwrap_or_default(),
    );
}
