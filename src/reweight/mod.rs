//! Reweighting a real table: raking (iterative proportional fitting) to target marginals,
//! label-parity repair, weight bounds inside the iteration, and systematic resampling.
//!
//! The input is streamed twice. Pass 1 codes every raking variable (category levels, bands of
//! binned numbers, booleans) and sums the start weights per cell of their cross-classification
//! into a [`CellSums`]; the iteration then runs on cells ([`CellSums::solve`]), so its cost
//! does not depend on the row count. Pass 2 streams the rows again and writes them with their
//! weight from the solved [`Factors`] (or a weighted resample).
//!
//! [`CellSums`] merges (per chunk, per thread, per machine) and both it and [`Factors`]
//! serialise, so the passes can run where the data lives: sum each partition, merge and solve
//! at one place, apply the factors to each partition. Resampling stays one ordered pass over
//! the whole input: systematic sampling walks the cumulative weight in row order from one
//! random start, so every drawn row depends on the weights of all rows before it.

mod bounded;
mod child;
mod ipf;
pub mod linked;
mod state;
mod tilting;

pub(crate) use ipf::rake_cells;
use state::CellAcc;
pub use state::{CellSums, Factors};

use arrow_array::{ArrayRef, Float64Array, RecordBatch, UInt32Array};
use arrow_schema::{DataType, Field, SchemaRef};
use rand::RngExt;
use serde::Serialize;

use crate::io::read::{Input, ReadError, Reader};
use crate::io::{Compression, IoError, Output, Sink, Written};
use crate::schema::{Role, Schema, Target};

pub use ipf::{Margin, StopReason};

/// Most cells (combinations of raking-variable levels) a table may have.
const MAX_CELLS: usize = 1 << 22;

/// Errors from reweighting.
#[derive(Debug, thiserror::Error)]
pub enum ReweightError {
    /// Reading the input failed.
    #[error(transparent)]
    Read(#[from] ReadError),
    /// Writing the output failed.
    #[error(transparent)]
    Io(#[from] IoError),
    /// The targets, data or options cannot work together; nothing was written.
    #[error("{}", .0.join("\nerror: "))]
    Diagnostics(Vec<String>),
}

impl ReweightError {
    /// Whether the user must fix an input (exit code 2) rather than a runtime failure (1).
    pub fn is_usage(&self) -> bool {
        matches!(self, ReweightError::Diagnostics(_) | ReweightError::Read(_))
    }
}

/// What to reweight to, and how.
#[derive(Debug, Clone)]
pub struct Options {
    /// Target marginals (from the schema or a targets file).
    pub targets: Vec<Target>,
    /// Make the label independent of the protected columns (needs the schema's `fairness`).
    pub parity: bool,
    /// Stop when every achieved share is within this of its target.
    pub tolerance: f64,
    /// Stop after this many sweeps over the margins.
    pub max_iterations: usize,
    /// Lower weight bound, relative to the mean weight.
    pub min_weight: Option<f64>,
    /// Upper weight bound, relative to the mean weight.
    pub max_weight: Option<f64>,
    /// Start from 1 even if the schema has a `weight` column.
    pub unit_start_weights: bool,
    /// Write this many rows drawn with probability proportional to weight instead of weights.
    pub resample: Option<u64>,
    /// Seed for resampling.
    pub seed: u64,
    /// Write identifier-role columns (dropped by default).
    pub keep_identifiers: bool,
    /// Name of the weight column written.
    pub weight_column: String,
    /// Parquet compression.
    pub compression: Compression,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            targets: Vec::new(),
            parity: true,
            tolerance: 1e-10,
            max_iterations: 1000,
            min_weight: None,
            max_weight: None,
            unit_start_weights: false,
            resample: None,
            seed: 0,
            keep_identifiers: false,
            weight_column: "weight".into(),
            compression: Compression::Zstd,
        }
    }
}

/// One achieved share.
#[derive(Debug, Clone, Serialize)]
pub struct LevelReport {
    /// The level (joint levels joined by ` & `).
    pub level: String,
    /// Target share.
    pub target: f64,
    /// Share under the start weights.
    pub before: f64,
    /// Share under the final weights.
    pub after: f64,
}

/// One margin's result.
#[derive(Debug, Clone, Serialize)]
pub struct MarginReport {
    /// Column names (several for the label-parity margin).
    pub columns: Vec<String>,
    /// Per level.
    pub levels: Vec<LevelReport>,
    /// Largest |before - target|.
    pub max_abs_error_before: f64,
    /// Largest |after - target|.
    pub max_abs_error: f64,
}

impl MarginReport {
    /// The report of a margin over `labels` with its target shares and the shares before
    /// and after, its largest errors computed.
    pub(crate) fn new(
        columns: Vec<String>,
        labels: &[String],
        target: &[f64],
        before: &[f64],
        after: &[f64],
    ) -> MarginReport {
        let levels: Vec<LevelReport> = labels
            .iter()
            .enumerate()
            .map(|(g, l)| LevelReport {
                level: l.clone(),
                target: target[g],
                before: before[g],
                after: after[g],
            })
            .collect();
        let err = |f: fn(&LevelReport) -> f64| {
            levels
                .iter()
                .map(|l| (f(l) - l.target).abs())
                .fold(0.0, f64::max)
        };
        MarginReport {
            columns,
            max_abs_error_before: err(|l| l.before),
            max_abs_error: err(|l| l.after),
            levels,
        }
    }
}

/// Weight summary.
#[derive(Debug, Clone, Serialize)]
pub struct WeightReport {
    /// Smallest weight.
    pub min: f64,
    /// Largest weight.
    pub max: f64,
    /// Mean weight.
    pub mean: f64,
    /// Coefficient of variation (population standard deviation / mean).
    pub cv: f64,
    /// Kish design effect n * sum(w^2) / sum(w)^2.
    pub design_effect: f64,
    /// Effective sample size sum(w)^2 / sum(w^2).
    pub effective_sample_size: f64,
    /// Rows per weight interval (filled while the rows are written; not in the output's
    /// metadata).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub histogram: Option<WeightHistogram>,
}

/// Bins of the final row weights for the report's chart.
#[derive(Debug, Clone, Serialize)]
pub struct WeightHistogram {
    /// [`WEIGHT_BINS`] + 1 equal-width edges from the smallest to the largest weight.
    pub edges: Vec<f64>,
    /// Input rows per bin (the top edge is in the last bin).
    pub rows: Vec<u64>,
}

/// Bins of [`WeightHistogram`].
pub const WEIGHT_BINS: usize = 20;

/// Counts row weights into equal-width bins from `lo` to `hi`, from any thread.
struct WeightBins {
    lo: f64,
    hi: f64,
    rows: Vec<std::sync::atomic::AtomicU64>,
}

impl WeightBins {
    fn new(lo: f64, hi: f64) -> WeightBins {
        WeightBins {
            lo,
            hi,
            rows: (0..WEIGHT_BINS)
                .map(|_| std::sync::atomic::AtomicU64::new(0))
                .collect(),
        }
    }

    fn add(&self, w: &[f64]) {
        let mut local = [0u64; WEIGHT_BINS];
        let span = self.hi - self.lo;
        for x in w {
            let b = if span > 0.0 {
                (((x - self.lo) / span * WEIGHT_BINS as f64).floor().max(0.0) as usize)
                    .min(WEIGHT_BINS - 1)
            } else {
                0
            };
            local[b] += 1;
        }
        for (a, n) in self.rows.iter().zip(local) {
            a.fetch_add(n, std::sync::atomic::Ordering::Relaxed);
        }
    }

    fn finish(self) -> WeightHistogram {
        let step = (self.hi - self.lo) / WEIGHT_BINS as f64;
        WeightHistogram {
            edges: (0..=WEIGHT_BINS)
                .map(|i| self.lo + step * i as f64)
                .collect(),
            rows: self.rows.into_iter().map(|a| a.into_inner()).collect(),
        }
    }
}

/// Label rate of one protected group.
#[derive(Debug, Clone, Serialize)]
pub struct GroupRate {
    /// The group's level.
    pub group: String,
    /// Favourable-label rate under the start weights.
    pub rate_before: f64,
    /// Favourable-label rate under the final weights.
    pub rate_after: f64,
}

/// Parity figures for one protected attribute (worst-off group against best-off group).
#[derive(Debug, Clone, Serialize)]
pub struct AttributeReport {
    /// The protected column.
    pub column: String,
    /// Per group.
    pub groups: Vec<GroupRate>,
    /// Statistical parity difference: lowest group rate minus highest, before.
    pub spd_before: f64,
    /// The same after.
    pub spd_after: f64,
    /// Disparate impact: lowest group rate over highest, before.
    pub di_before: f64,
    /// The same after.
    pub di_after: f64,
}

/// Fairness figures.
#[derive(Debug, Clone, Serialize)]
pub struct FairnessReport {
    /// The label column.
    pub label: String,
    /// The favourable level.
    pub favourable: String,
    /// Whether the label-parity margin was applied.
    pub parity_applied: bool,
    /// Per protected attribute, and for their intersection when there are several.
    pub attributes: Vec<AttributeReport>,
}

/// What `reweight` did.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// Input rows.
    pub rows: u64,
    /// Rows written (the resample size when resampling).
    pub rows_written: u64,
    /// `unit` or the weight column's name.
    pub start_weights: String,
    /// Sum of start weights (preserved by the final weights).
    pub total_weight: f64,
    /// Cells of the raking variables' cross-classification that hold rows.
    pub cells: usize,
    /// Sweeps over the margins.
    pub iterations: usize,
    /// Why the iteration stopped.
    pub stop_reason: StopReason,
    /// Whether every margin is within the tolerance.
    pub converged: bool,
    /// The tolerance.
    pub tolerance: f64,
    /// Bounds relative to the mean weight, if any.
    pub bounds: Option<(f64, f64)>,
    /// Per margin.
    pub margins: Vec<MarginReport>,
    /// The final weights.
    pub weights: WeightReport,
    /// Label rates and parity, when the schema names a label and protected columns.
    pub fairness: Option<FairnessReport>,
    /// Identifier columns left out of the output.
    pub dropped_identifiers: Vec<String>,
    /// Resample size and seed, when resampling.
    pub resample: Option<(u64, u64)>,
}

const NULL_LEVEL: &str = "<null>";
const OUTSIDE_LEVEL: &str = "<outside bins>";

/// Inputs whose batches take up to this many bytes are kept in memory between the passes
/// (one read instead of two); larger inputs are streamed twice, keeping memory bounded.
const CACHE_BYTES: usize = 160 << 20;

/// Reweights `input` to the targets in `opts`, writing the rows with their weight (or the
/// resample) to `output`: a Parquet file, or batches returned in [`Written`]. `provenance` is
/// extended with the report and stored in the output's metadata.
///
/// Pass 1 adds the batches to one [`CellSums`] in row order on the calling thread (it costs
/// little beside the reading): per-thread states merged would re-associate the sums of
/// non-integer start weights and could change the last bit of a weight with the thread count.
/// Pass 2 weights batches with the [`Factors`] in parallel row groups.
pub fn reweight(
    input: &Input,
    schema: &Schema,
    opts: &Options,
    output: Output<'_>,
    provenance: serde_json::Value,
) -> Result<(Report, Written), ReweightError> {
    let mut reader = Reader::open(input, schema)?;
    let in_schema = reader.schema();

    // Pass 1: the cell sums, keeping the batches when they are small.
    let mut sums = CellSums::new(schema, opts, &in_schema)?;
    let mut cache = Some(Vec::new());
    let mut cache_bytes = 0usize;
    for batch in reader.by_ref() {
        let batch = batch?;
        sums.add(&batch)?;
        cache_bytes += batch.get_array_memory_size();
        cache = match cache {
            Some(mut c) if cache_bytes <= CACHE_BYTES => {
                c.push(batch);
                Some(c)
            }
            _ => None,
        };
    }
    let (mut report, factors) = sums.solve(schema, opts, &input.label().display().to_string())?;

    let (dropped, keep, out_schema) = output_columns(schema, opts, &in_schema);
    report.dropped_identifiers = dropped;

    let batches: Box<dyn Iterator<Item = Result<RecordBatch, ReadError>>> = match cache {
        Some(c) => Box::new(c.into_iter().map(Ok)),
        None => Box::new(Reader::open(input, schema)?),
    };

    let mut prov = provenance;
    if let Some(obj) = prov.as_object_mut() {
        obj.insert(
            "reweight".into(),
            serde_json::to_value(&report).unwrap_or_default(),
        );
    }
    let bins = WeightBins::new(report.weights.min, report.weights.max);
    let written = write_output(
        batches,
        &factors,
        &keep,
        &out_schema,
        opts,
        resample_points(opts, report.total_weight).map(|(point, step)| Walk {
            cumulative: 0.0,
            point,
            step,
            remaining: opts.resample.unwrap_or(0),
        }),
        output,
        &prov,
        &bins,
    )?;
    report.rows_written = written.rows;
    report.weights.histogram = Some(bins.finish());
    Ok((report, written))
}

/// The identifier columns reweighting leaves out of its output (none with
/// `keep_identifiers`).
pub fn dropped_identifiers(schema: &Schema, opts: &Options) -> Vec<String> {
    schema
        .columns
        .iter()
        .filter(|c| c.role == Role::Identifier && !opts.keep_identifiers)
        .map(|c| c.name.clone())
        .collect()
}

/// The output columns of reweighting: the input's columns minus identifiers (unless
/// `keep_identifiers`), plus the weight column unless resampling. Returns the identifiers
/// dropped, the indices of the input columns kept and the output schema.
pub fn output_columns(
    schema: &Schema,
    opts: &Options,
    in_schema: &arrow_schema::Schema,
) -> (Vec<String>, Vec<usize>, SchemaRef) {
    let dropped = dropped_identifiers(schema, opts);
    let keep: Vec<usize> = (0..in_schema.fields().len())
        .filter(|&i| !dropped.contains(in_schema.field(i).name()))
        .collect();
    let mut fields: Vec<Field> = keep.iter().map(|&i| in_schema.field(i).clone()).collect();
    if opts.resample.is_none() {
        fields.push(Field::new(&opts.weight_column, DataType::Float64, false));
    }
    (
        dropped,
        keep,
        std::sync::Arc::new(arrow_schema::Schema::new(fields)),
    )
}

/// Pass 2 on one chunk of a table whose [`CellSums`] were merged and solved elsewhere (a
/// partition of a distributed table): the chunk's rows with their final weight, as
/// [`reweight`] writes them for the whole table. Weights only: a resample walks the whole
/// table's cumulative weight in row order, so it is not split into chunks.
pub fn apply(
    input: &Input,
    schema: &Schema,
    opts: &Options,
    factors: &Factors,
) -> Result<Written, ReweightError> {
    if opts.resample.is_some() {
        return Err(ReweightError::Diagnostics(vec![
            "a resample cannot be drawn chunk by chunk: it walks the whole table's cumulative weight in row order\n    hint: apply the weights, then sample the weighted rows".into(),
        ]));
    }
    let reader = Reader::open(input, schema)?;
    let in_schema = reader.schema();
    let (_, keep, out_schema) = output_columns(schema, opts, &in_schema);
    let bins = WeightBins::new(0.0, 1.0);
    write_output(
        Box::new(reader),
        factors,
        &keep,
        &out_schema,
        opts,
        None,
        Output::Memory,
        &serde_json::Value::Null,
        &bins,
    )
}

/// The systematic resample's sampling points: `n` points `first + k * step` (added up one
/// after the other, as the walk meets them) on the cumulative weight, `step` being the total
/// weight over `n` and `first` a seeded uniform draw in `[0, step)`. `None` without
/// `opts.resample`.
pub fn resample_points(opts: &Options, total_weight: f64) -> Option<(f64, f64)> {
    let n = opts.resample?;
    let step = total_weight / n as f64;
    let first = crate::synth::stream(opts.seed, "resample", 0, 0).random::<f64>() * step;
    Some((first, step))
}

/// A systematic sampling walk along the cumulative weight, in row order: points `point`,
/// `point + step`, ... (added up one after the other), `remaining` of them still to draw.
#[derive(Debug, Clone, Copy)]
struct Walk {
    cumulative: f64,
    point: f64,
    step: f64,
    remaining: u64,
}

impl Walk {
    /// The rows of the next `weights` that points fall on, in order (a row once per point).
    fn take(&mut self, weights: &[f64]) -> Vec<u32> {
        let mut take = Vec::new();
        for (i, w) in weights.iter().enumerate() {
            self.cumulative += w;
            while self.remaining > 0 && self.point < self.cumulative {
                take.push(i as u32);
                self.point += self.step;
                self.remaining -= 1;
            }
        }
        take
    }
}

/// The rows of one chunk and the sum of their final weights, added in row order: what the
/// driver needs to hand each chunk its share of a resample's points.
pub fn chunk_weight(
    input: &Input,
    schema: &Schema,
    factors: &Factors,
) -> Result<(u64, f64), ReweightError> {
    let (mut rows, mut total) = (0u64, 0.0f64);
    for batch in Reader::open(input, schema)? {
        let batch = batch?;
        rows += batch.num_rows() as u64;
        for w in factors.weights(&batch)? {
            total += w;
        }
    }
    Ok((rows, total))
}

/// One chunk's part of a systematic resample: the walk over its rows starting at `offset`
/// (the cumulative weight of the rows before the chunk), drawing the `count` points that
/// fall in it, the first at `point` and each next `step` further on. A point that rounding
/// leaves past the chunk's last cumulative weight is that last row's, as in [`reweight`].
/// With one chunk (`offset` 0 and every point) the rows are [`reweight`]'s resample.
#[allow(clippy::too_many_arguments)]
pub fn resample_chunk(
    input: &Input,
    schema: &Schema,
    opts: &Options,
    factors: &Factors,
    offset: f64,
    point: f64,
    step: f64,
    count: u64,
) -> Result<Written, ReweightError> {
    let reader = Reader::open(input, schema)?;
    let in_schema = reader.schema();
    let mut o = opts.clone();
    o.resample = Some(count);
    let (_, keep, out_schema) = output_columns(schema, &o, &in_schema);
    let walk = Walk {
        cumulative: offset,
        point,
        step,
        remaining: count,
    };
    write_output(
        Box::new(reader),
        factors,
        &keep,
        &out_schema,
        &o,
        Some(walk),
        Output::Memory,
        &serde_json::Value::Null,
        &WeightBins::new(0.0, 1.0),
    )
}

fn take_rows(
    batch: &RecordBatch,
    keep: &[usize],
    rows: Vec<u32>,
    schema: &SchemaRef,
) -> Result<RecordBatch, IoError> {
    let idx = UInt32Array::from(rows);
    let columns = keep
        .iter()
        .map(|&i| arrow_select::take::take(batch.column(i).as_ref(), &idx, None))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| IoError::Producer(e.to_string()))?;
    RecordBatch::try_new(schema.clone(), columns).map_err(|e| IoError::Producer(e.to_string()))
}

/// Pass 2: the rows with their weight, or a systematic resample, encoded in parallel row
/// groups. Weighting runs inside the parallel jobs; resampling walks the cumulative weight in
/// row order on the calling thread.
#[allow(clippy::too_many_arguments)]
fn write_output(
    batches: Box<dyn Iterator<Item = Result<RecordBatch, ReadError>>>,
    factors: &Factors,
    keep: &[usize],
    out_schema: &SchemaRef,
    opts: &Options,
    walk: Option<Walk>,
    output: Output<'_>,
    provenance: &serde_json::Value,
    bins: &WeightBins,
) -> Result<Written, ReweightError> {
    let mut sink = Sink::create(
        output,
        out_schema.clone(),
        crate::io::writer_properties(opts.compression),
    )?;
    let group_rows = crate::synth::DEFAULT_ROW_GROUP_ROWS as usize;
    let window = 2 * rayon::current_num_threads().max(1);
    // Input batches (weights) or already resampled batches (resample), per row group.
    let mut pending: Vec<Vec<RecordBatch>> = Vec::new();
    let mut current: Vec<RecordBatch> = Vec::new();
    let mut current_rows = 0usize;
    let resampling = walk.is_some();
    let weigh_and_encode = |job: &Vec<RecordBatch>,
                            encode: &mut dyn FnMut(&RecordBatch) -> Result<(), IoError>|
     -> Result<(), IoError> {
        for batch in job {
            if resampling {
                encode(batch)?;
                continue;
            }
            let w = factors
                .weights(batch)
                .map_err(|e| IoError::Producer(e.to_string()))?;
            bins.add(&w);
            let mut columns: Vec<ArrayRef> =
                keep.iter().map(|&i| batch.column(i).clone()).collect();
            columns.push(std::sync::Arc::new(Float64Array::from(w)));
            let out = RecordBatch::try_new(out_schema.clone(), columns)
                .map_err(|e| IoError::Producer(e.to_string()))?;
            encode(&out)?;
        }
        Ok(())
    };
    let mut walk = walk;
    let mut last: Option<RecordBatch> = None;
    for batch in batches {
        let batch = batch?;
        let batch = if let Some(walk) = walk.as_mut() {
            let w = factors.weights(&batch)?;
            bins.add(&w);
            let take = walk.take(&w);
            if batch.num_rows() > 0 {
                last = Some(batch.clone());
            }
            if take.is_empty() {
                continue;
            }
            take_rows(&batch, keep, take, out_schema)?
        } else {
            batch
        };
        current_rows += batch.num_rows();
        current.push(batch);
        if current_rows >= group_rows {
            pending.push(std::mem::take(&mut current));
            current_rows = 0;
            if pending.len() >= window {
                sink.write_row_groups(&pending, weigh_and_encode)?;
                pending.clear();
            }
        }
    }
    // Rounding can leave the last point just past the cumulative total: it is the last row's.
    if let (Some(walk), Some(last)) = (walk.filter(|w| w.remaining > 0), last) {
        let row = (last.num_rows() - 1) as u32;
        current.push(take_rows(
            &last,
            keep,
            vec![row; walk.remaining as usize],
            out_schema,
        )?);
    }
    if !current.is_empty() {
        pending.push(current);
    }
    sink.write_row_groups(&pending, weigh_and_encode)?;
    if !provenance.is_null() {
        sink.add_metadata(crate::io::METADATA_KEY, provenance.to_string());
    }
    Ok(sink.finish()?)
}

/// A short human summary of a report, for stderr.
pub fn summary(r: &Report) -> String {
    use std::fmt::Write;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "reweighted {} rows ({} cells, start weights: {}): {} after {} sweep{}",
        r.rows,
        r.cells,
        r.start_weights,
        r.stop_reason.describe(),
        r.iterations,
        if r.iterations == 1 { "" } else { "s" }
    );
    for m in &r.margins {
        let _ = writeln!(
            s,
            "  margin {:<28} max |share - target|: {:.2e} -> {:.2e}",
            m.columns.join(" x "),
            m.max_abs_error_before,
            m.max_abs_error
        );
    }
    let w = &r.weights;
    let _ = writeln!(
        s,
        "  weights: min {:.4}, max {:.4}, mean {:.4}, cv {:.3}, design effect {:.3}, effective n {:.0}",
        w.min, w.max, w.mean, w.cv, w.design_effect, w.effective_sample_size
    );
    // Rounding noise like -1e-17 should read as 0, not -0.0000.
    let z = |x: f64| if x.abs() < 5e-5 { 0.0 } else { x };
    if let Some(f) = &r.fairness {
        for a in &f.attributes {
            let _ = writeln!(
                s,
                "  {} = {} by {}: SPD {:+.4} -> {:+.4}, DI {:.4} -> {:.4}",
                f.label,
                f.favourable,
                a.column,
                z(a.spd_before),
                z(a.spd_after),
                a.di_before,
                a.di_after
            );
        }
    }
    if !r.dropped_identifiers.is_empty() {
        let _ = writeln!(
            s,
            "  left out identifiers: {}",
            r.dropped_identifiers.join(", ")
        );
    }
    let _ = writeln!(s, "  wrote {} rows", r.rows_written);
    s
}

/// The warning for a run that did not reach its targets (`None` when it did), in words.
pub fn not_reached_warning(r: &Report) -> Option<String> {
    (!r.converged).then(|| {
        format!(
            "warning: the targets were not reached within {:e} ({} after {} sweep{}{}); see the residual error per margin above",
            r.tolerance,
            r.stop_reason.describe(),
            r.iterations,
            if r.iterations == 1 { "" } else { "s" },
            if r.bounds.is_some() {
                ", the closest sweep within the weight bounds kept"
            } else {
                ""
            }
        )
    })
}
