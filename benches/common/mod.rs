//! Timing helpers shared by the benchmarks.

use std::time::Instant;

/// The median of the timings.
pub fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Wall seconds of `reps` runs of `f`.
#[allow(dead_code)] // not every benchmark times closures
pub fn time(reps: usize, mut f: impl FnMut()) -> Vec<f64> {
    (0..reps)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed().as_secs_f64()
        })
        .collect()
}
