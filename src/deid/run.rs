//! The `deidentify` pipeline: minimisation, consent, identifier actions, the detection safety
//! net, generalisation with k-anonymity, and the report.
//!
//! Pass 1 streams the input once: it counts consent exclusions, scans the columns that would
//! reach the output unchanged for identifiers, and counts the quasi-identifier combinations.
//! Nothing is written when the safety net trips or k cannot be reached. Pass 2 streams the
//! input again and writes the transformed rows, transforming and encoding row groups in
//! parallel; every value a `redact` column puts out is scanned again, and when anything
//! detectable is left the output is discarded (the temporary file is removed) and the run
//! fails, listing the residual findings per column.

use std::sync::{Arc, Mutex};

use arrow_array::RecordBatch;

use super::detect::ColumnScan;
use super::pseudo::Key;
use super::risk::ShardedCounter;
use super::steps::Steps;
use crate::io::read::{Input, Reader};
use crate::io::{IoError, Output, Sink, Written};
use crate::schema::Schema;

use super::plan::transform;
pub use super::plan::{
    net_stops, residual_findings, safety_net, stop_message, ColumnReport, DeidError, FindingReport,
    NetStop, Options, Report, Singling, UniqueGate, MOST_UNIQUE,
};

/// De-identifies `input` as `schema` says, writing the rows to `output`: a Parquet file, or
/// batches returned in [`Written`]. Runs the steps of [`super::steps`] over the whole input.
pub fn deidentify(
    input: &Input,
    schema: &Schema,
    opts: &Options,
    output: Output<'_>,
    provenance: serde_json::Value,
) -> Result<(Report, Written), DeidError> {
    let in_schema = Reader::open(input, schema)?.schema();
    let steps = Steps::new(schema, &in_schema)?;
    let key = match (steps.needs_key(), &opts.key) {
        (false, _) => None,
        (true, Some(k)) => Some(k.clone()),
        (true, None) => Some(Arc::new(Key::load(
            opts.key_file.as_deref(),
            &schema.privacy.key_env,
        )?)),
    };

    // Pass 1 (consent, safety-net scan, quasi-identifier combinations) reads only the
    // columns it looks at.
    let names = steps.pass1_columns();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    let mut counts = steps.counts();
    for batch in Reader::open_columns(input, schema, &names)? {
        steps.count(&mut counts, &batch?)?;
    }
    let judged = steps.judge(&counts)?;
    let plan = steps.plan(&judged, key.as_deref())?;
    let report = steps.report(&counts, judged, &plan);

    let batches = Reader::open(input, schema)?;
    let (sink, counted, rescans) = write(batches, &steps, &plan, key.as_deref(), opts, output)?;
    // On failure `sink` is dropped unfinished: its temporary file goes, nothing is written.
    let report = steps.finish_figures(report, counted.finish(), &rescans)?;
    let mut prov = provenance;
    if let Some(obj) = prov.as_object_mut() {
        obj.insert(
            "deidentify".into(),
            serde_json::to_value(&report).unwrap_or_default(),
        );
    }
    let mut sink = sink;
    sink.add_metadata(crate::io::METADATA_KEY, prov.to_string());
    let written = sink.finish()?;
    Ok((report, written))
}

/// Transforms and encodes every row group; returns the unfinished sink (the caller adds the
/// metadata and finishes it, or drops it to write nothing), the singling-out counts of the
/// rows written, and the re-scans of the redacted columns' output.
fn write(
    batches: Reader,
    steps: &Steps,
    plan: &super::steps::Plan,
    key: Option<&Key>,
    opts: &Options,
    output: Output<'_>,
) -> Result<(Sink, ShardedCounter, Vec<ColumnScan>), DeidError> {
    let st = &steps.st;
    let generaliser = plan.generaliser();
    // Scans named "" so that no column-name hint colours what is left.
    let rescans: Vec<Mutex<ColumnScan>> = st
        .redacted()
        .iter()
        .map(|_| Mutex::new(ColumnScan::new("")))
        .collect();
    let mut sink = Sink::create(
        output,
        st.out_schema.clone(),
        crate::io::writer_properties(opts.compression),
    )?;
    let counter = ShardedCounter::new(&steps.counter());
    let group_rows = crate::synth::DEFAULT_ROW_GROUP_ROWS as usize;
    let window = 2 * rayon::current_num_threads().max(1);
    let mut pending: Vec<Vec<RecordBatch>> = Vec::new();
    let mut current: Vec<RecordBatch> = Vec::new();
    let mut current_rows = 0usize;
    let job = |batches: &Vec<RecordBatch>,
               encode: &mut dyn FnMut(&RecordBatch) -> Result<(), IoError>|
     -> Result<(), DeidError> {
        for b in batches {
            let (out, scans) =
                transform(b, st, key, generaliser, plan.known(), plan.slots(), false)?;
            for (total, s) in rescans.iter().zip(&scans) {
                if let Ok(mut total) = total.lock() {
                    total.merge(s);
                }
            }
            if let Some(out) = out {
                let keys = counter
                    .row_keys(&out)
                    .map_err(|e| DeidError::Diagnostics(vec![e.to_string()]))?;
                counter.add_keys(&keys);
                encode(&out)?;
            }
        }
        Ok(())
    };
    for batch in batches {
        let batch = batch?;
        current_rows += batch.num_rows();
        current.push(batch);
        if current_rows >= group_rows {
            pending.push(std::mem::take(&mut current));
            current_rows = 0;
            if pending.len() >= window {
                sink.write_row_groups(&pending, job)?;
                pending.clear();
            }
        }
    }
    if !current.is_empty() {
        pending.push(current);
    }
    sink.write_row_groups(&pending, job)?;
    let scans: Vec<ColumnScan> = rescans
        .into_iter()
        .map(|m| m.into_inner().unwrap_or_else(|e| e.into_inner()))
        .collect();
    Ok((sink, counter, scans))
}

/// A short human summary of a report, for stderr.
pub fn summary(r: &Report) -> String {
    use std::fmt::Write;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "de-identified {} rows: {} without consent excluded, {} suppressed for k-anonymity, {} written",
        r.rows_in, r.consent_excluded, r.suppressed_rows, r.rows_out
    );
    for c in &r.columns {
        if c.action != "keep" {
            let _ = writeln!(s, "  {:<24} {}", c.column, c.action);
        }
    }
    if !r.undeclared_columns_dropped.is_empty() {
        let _ = writeln!(
            s,
            "  undeclared, left out: {}",
            r.undeclared_columns_dropped.join(", ")
        );
    }
    if !r.name_slots.is_empty() {
        let _ = writeln!(
            s,
            "  in the redacted notes, capitalised words were also replaced where the notes put names: after {}",
            r.name_slots
                .iter()
                .map(|x| format!("`{x}`"))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    if let Some(f) = &r.key_fingerprint {
        let _ = writeln!(s, "  key fingerprint: {f}");
    }
    if let Some(a) = &r.anonymity {
        let _ = writeln!(
            s,
            "  k-anonymity over {}: k = {} ({} classes), prosecutor risk max {:.3}, average {:.4}",
            a.quasi_identifiers.join(", "),
            a.k_achieved,
            a.classes,
            a.prosecutor_risk_max,
            a.prosecutor_risk_avg
        );
        if let (Some((col, _)), Some(l)) = (&a.l_required, a.l_achieved) {
            let _ = writeln!(s, "  l-diversity of `{col}`: l = {l}");
        }
    }
    if let Some(so) = &r.singling_out {
        let f = &so.figures;
        let q = &f.quasi_identifiers;
        let _ = writeln!(
            s,
            "  singling out: {:.1}% of the {} rows written are unique over the quasi-identifiers ({}); {:.1}% over everything released ({} column{})",
            100.0 * q.share,
            f.rows,
            if q.columns.is_empty() { "none declared".to_string() } else { q.columns.join(", ") },
            100.0 * f.released.share,
            f.released.columns.len(),
            if f.released.columns.len() == 1 { "" } else { "s" }
        );
        if !f.exact {
            let _ = writeln!(
                s,
                "    (estimated: more than 262,144 distinct combinations in a set, counted by distinct sampling)"
            );
        }
        let worst: Vec<String> = f
            .raises
            .iter()
            .filter(|x| x.raise > 0.0)
            .take(5)
            .map(|x| format!("{} +{:.1}%", x.column, 100.0 * x.raise))
            .collect();
        if !worst.is_empty() {
            let _ = writeln!(
                s,
                "    columns that single people out most: {}",
                worst.join(", ")
            );
        }
        for c in &so.not_counted {
            let _ = writeln!(s, "    not counted: `{}` ({})", c.column, c.action);
        }
        if let Some(g) = &so.gate {
            let _ = writeln!(
                s,
                "    gate max_unique_share: {:.1}% unique over {} (limit {:.1}%): {}",
                100.0 * g.share,
                g.columns.join(", "),
                100.0 * g.max,
                if g.passed { "passed" } else { "failed" }
            );
        }
        if let Some(w) = &so.warning {
            let _ = writeln!(s, "  warning: {w}");
        }
    }
    for f in r.findings.iter().filter(|f| f.acknowledged) {
        let _ = writeln!(
            s,
            "  acknowledged: `{}` holds {} ({:.1}%)",
            f.column,
            f.kind,
            100.0 * f.share
        );
    }
    for f in &r.residual {
        let _ = writeln!(
            s,
            "  acknowledged after redact: `{}` still holds {} ({:.1}%)",
            f.column,
            f.kind,
            100.0 * f.share
        );
    }
    s
}
