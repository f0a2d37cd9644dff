//! The commands on a folder of linked tables: `fit DIR`, `sample` of a linked model,
//! `evaluate`, `reweight` and `audit` of folders; the command-line edges of the library's
//! linked modules (reading the folder, writing one Parquet file per table).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use fairsynth::io::read::folder::table_files;
use fairsynth::io::Input;
use fairsynth::model::linked::{fit_linked, LinkedModel, LinkedSampleOptions, LinkedSampler};
use fairsynth::schema::{Database, Document};

use crate::cli::args::{AuditArgs, EvaluateArgs, FitArgs, KeysArgs, ReweightArgs, SampleArgs};
use crate::{
    compression, failed_gates, guard_outputs, model_failure, thread_pool, usage, write_report,
    Failure,
};

/// The schema of linked tables at `path`, or a usage error naming what it is instead.
fn load_database(path: &Path, input: &Path) -> Result<Database, Failure> {
    match Document::from_file(path).map_err(|e| Failure {
        code: 2,
        error: e.into(),
    })? {
        Document::Database(db) => Ok(db),
        Document::Table(_) => Err(usage(anyhow::anyhow!(
            "`{}` is a folder, but `{}` describes one table\n    hint: give a schema of linked tables (`tables:`; `fairsynth inspect {}` drafts one), or one table file as input",
            input.display(),
            path.display(),
            input.display()
        ))),
    }
}

/// One input per table of `db` from the folder `dir` (a file named by each table).
fn folder_inputs(
    dir: &Path,
    db: &Database,
    schema: &Path,
    options: &fairsynth::schema::InputOptions,
) -> Result<(Vec<Input>, Vec<PathBuf>), Failure> {
    let (files, _) = table_files(dir).map_err(|e| Failure {
        code: 2,
        error: e.into(),
    })?;
    let mut inputs = Vec::with_capacity(db.tables.len());
    let mut missing = Vec::new();
    for t in &db.tables {
        match files.iter().find(|f| f.name == t.name()) {
            Some(f) => inputs.push(Input::file(&f.path, f.format).with_options(options.clone())),
            None => missing.push(t.name().to_string()),
        }
    }
    if !missing.is_empty() {
        return Err(usage(anyhow::anyhow!(
            "the folder `{}` has no file for the table(s) {} of `{}`\n    hint: add one file per table named by the table (`{}.csv`, .parquet, .xlsx, ...)",
            dir.display(),
            missing.iter().map(|m| format!("`{m}`")).collect::<Vec<_>>().join(", "),
            schema.display(),
            missing[0]
        )));
    }
    Ok((inputs, files.into_iter().map(|f| f.path).collect()))
}

/// Access for a command that only reads tables: encrypted input tables open with the master
/// keys of --keys and the environment.
fn read_access(keys: &KeysArgs) -> Result<fairsynth::io::crypt::AccessGuard, Failure> {
    Ok(fairsynth::io::crypt::enter(fairsynth::io::crypt::Access {
        kms: Arc::new(crate::master_keys(keys)?),
        policy: None,
        tables: Vec::new(),
    }))
}

/// `audit DIR --schema LINKED.yaml`: every table's audit, parity of labels by the protected
/// columns of the rows they hang from, proxies among the descendants' aggregates, and the
/// keys' data quality.
pub(crate) fn audit_folder(a: AuditArgs) -> Result<(), Failure> {
    use fairsynth::audit::linked::{audit_linked, summary, LinkedOptions};
    if a.targets.is_some() || a.baseline.is_some() || a.format.is_some() {
        return Err(usage(anyhow::anyhow!(
            "--targets, --baseline and --format apply to one table; linked tables are audited against each table's `targets:` in the schema, and each file's format is its extension\n    hint: put the targets in the entry of the table of people, or audit one table's file"
        )));
    }
    let db = load_database(&a.schema, &a.input)?;
    let _access = read_access(&a.keys)?;
    let (inputs, paths) = folder_inputs(&a.input, &db, &a.schema, &a.dialect.options())?;
    let mut protected: Vec<Option<&PathBuf>> = vec![Some(&a.schema), a.keys.keys.as_ref()];
    protected.extend(paths.iter().map(Some));
    guard_outputs(&[a.report.as_ref(), a.html.as_ref()], &protected)?;
    crate::distinct_outputs(&[a.report.as_ref(), a.html.as_ref()])?;
    let as_of = fairsynth::audit::as_of(a.as_of.as_deref()).map_err(usage)?;
    let opts = LinkedOptions {
        as_of,
        thresholds: a.threshold.clone(),
    };
    let pool = thread_pool(a.threads)?;
    let report = pool
        .install(|| audit_linked(&db, &inputs, &opts))
        .map_err(usage)?;
    write_report(a.report.as_deref(), &report)?;
    crate::write_html(a.html.as_deref(), || {
        let mut line = crate::command_line("audit", &a.input, &a.schema);
        line.extend(["--as-of".into(), report.as_of.clone()]);
        line.extend(
            a.threshold
                .iter()
                .flat_map(|t| ["--threshold".to_string(), t.clone()]),
        );
        let mut ctx = fairsynth::report::Context::for_database(&db, &line);
        for p in &paths {
            ctx = ctx.input("table", p)?;
        }
        Ok(fairsynth::report::linked_audit_page(&report, &ctx))
    })?;
    if !a.quiet {
        eprint!("{}", summary(&report));
    }
    failed_gates(&report.checks, "audit", fairsynth::audit::figure_text)
}

/// `evaluate --real DIR --synthetic DIR --schema LINKED.yaml`: a synthetic database against
/// the real one.
pub(crate) fn evaluate_folders(a: EvaluateArgs) -> Result<(), Failure> {
    if !(a.real.is_dir() && a.synthetic.is_dir()) {
        return Err(usage(anyhow::anyhow!(
            "--real `{}` and --synthetic `{}`: give two folders of linked tables, or two table files",
            a.real.display(),
            a.synthetic.display()
        )));
    }
    if a.targets.is_some() || a.no_targets {
        return Err(usage(anyhow::anyhow!(
            "--targets and --no-targets apply to one table; linked tables are drawn to each root table's `targets:`\n    hint: evaluate one table's files for figures against targets"
        )));
    }
    if let Some(h) = &a.holdout {
        if !h.is_dir() {
            return Err(usage(anyhow::anyhow!(
                "--holdout `{}`: give a folder of the held-out people's tables, as --real is",
                h.display()
            )));
        }
    }
    let db = load_database(&a.schema, &a.real)?;
    let _access = read_access(&a.keys)?;
    let options = a.dialect.options();
    let (real, real_files) = folder_inputs(&a.real, &db, &a.schema, &options)?;
    let (synthetic, syn_files) = folder_inputs(&a.synthetic, &db, &a.schema, &options)?;
    let (holdout, hold_files) = match &a.holdout {
        Some(h) => {
            let (i, f) = folder_inputs(h, &db, &a.schema, &options)?;
            (Some(i), f)
        }
        None => (None, Vec::new()),
    };
    let mut inputs: Vec<Option<&PathBuf>> = vec![Some(&a.schema), a.keys.keys.as_ref()];
    inputs.extend(
        real_files
            .iter()
            .chain(&syn_files)
            .chain(&hold_files)
            .map(Some),
    );
    guard_outputs(&[a.report.as_ref(), a.html.as_ref()], &inputs)?;
    crate::distinct_outputs(&[a.report.as_ref(), a.html.as_ref()])?;
    let seed = a.seed.or(db.seed).unwrap_or(0);
    let opts = fairsynth::evaluate::linked::LinkedOptions {
        holdout: holdout.as_deref(),
        seed,
        thresholds: a.threshold.clone(),
    };
    let pool = thread_pool(a.threads)?;
    let report = pool
        .install(|| fairsynth::evaluate::linked::evaluate_linked(&db, &real, &synthetic, &opts))
        .map_err(|e| Failure {
            code: if e.is_usage() { 2 } else { 1 },
            error: e.into(),
        })?;
    write_report(a.report.as_deref(), &report)?;
    crate::write_html(a.html.as_deref(), || {
        let mut line = vec!["fairsynth".into(), "evaluate".into()];
        for (flag, v) in [
            ("--real", Some(&a.real)),
            ("--synthetic", Some(&a.synthetic)),
            ("--schema", Some(&a.schema)),
            ("--holdout", a.holdout.as_ref()),
        ] {
            if let Some(v) = v {
                line.extend([flag.to_string(), v.display().to_string()]);
            }
        }
        line.extend(
            a.threshold
                .iter()
                .flat_map(|t| ["--threshold".to_string(), t.clone()]),
        );
        line.extend(["--seed".into(), seed.to_string()]);
        let mut ctx = fairsynth::report::Context::for_database(&db, &line);
        for (role, files) in [
            ("real", &real_files),
            ("synthetic", &syn_files),
            ("holdout", &hold_files),
        ] {
            for f in files {
                ctx = ctx.input(role, f)?;
            }
        }
        Ok(fairsynth::report::evaluate_linked_page(&report, &ctx))
    })?;
    if !a.quiet {
        eprint!("{}", fairsynth::evaluate::linked::summary(&report));
    }
    failed_gates(&report.checks, "quality", |_, v| format!("{v:.4}"))
}

/// `fit DIR --schema LINKED.yaml -o MODEL`: one model of every table of the folder.
pub(crate) fn fit_folder(a: FitArgs) -> Result<(), Failure> {
    let db = load_database(&a.schema, &a.input)?;
    let _access = read_access(&a.keys)?;
    let yaml = std::fs::read_to_string(&a.schema).map_err(usage)?;
    let (inputs, paths) = folder_inputs(&a.input, &db, &a.schema, &a.dialect.options())?;
    let mut protected: Vec<Option<&PathBuf>> = vec![Some(&a.schema), a.keys.keys.as_ref()];
    protected.extend(paths.iter().map(Some));
    guard_outputs(&[Some(&a.output)], &protected)?;
    let opts = crate::fit_options(&a, db.seed);
    let pool = thread_pool(a.threads)?;
    let model = pool
        .install(|| fit_linked(&db, &yaml, &inputs, &opts))
        .map_err(model_failure)?;
    model.save(&a.output).map_err(model_failure)?;
    if !a.quiet {
        eprintln!(
            "fitted {} linked tables from {}: {}",
            model.tables.len(),
            a.input.display(),
            model
                .tables
                .iter()
                .map(|t| format!("{} ({} rows)", t.name, t.rows))
                .collect::<Vec<_>>()
                .join(", ")
        );
        for t in &model.tables {
            for f in &t.formulas {
                eprintln!("  {}: {f} on every row: computed when sampling", t.name);
            }
        }
        if let Some(l) = &model.privacy {
            eprint!("{}", fairsynth::model::linked::privacy_summary(l));
        }
    }
    Ok(())
}

/// Whether the model file at `path` is a model of linked tables.
pub(crate) fn is_linked_model(path: &Path) -> bool {
    std::fs::read(path).is_ok_and(|b| LinkedModel::is_linked(&b))
}

/// `sample LINKED-MODEL -o DIR`: every table, one Parquet file each.
pub(crate) fn sample_linked(a: SampleArgs) -> Result<(), Failure> {
    let model = LinkedModel::load(&a.model).map_err(model_failure)?;
    if a.rows.is_some() || a.targets.is_some() || a.html.is_some() {
        return Err(usage(anyhow::anyhow!(
            "--rows, --targets and --html apply to a model of one table; `{}` models linked tables\n    hint: use --scale to multiply the root tables' rows, --schema-targets for each root table's targets",
            a.model.display()
        )));
    }
    let db = match Document::from_str_named(&model.schema.yaml, &model.schema.file) {
        Ok(Document::Database(db)) => db,
        _ => {
            return Err(usage(anyhow::anyhow!(
                "the model's schema is not of linked tables"
            )))
        }
    };
    // Each table's file follows its table's policy (the schema's and the flags').
    let _access = crate::access_linked(&a.keys, &a.encryption, &db)?;
    let scale = a.scale.unwrap_or(1.0);
    let seed = a.seed.unwrap_or(0);
    let dir = &a.output;
    if dir.exists() && !dir.is_dir() {
        return Err(usage(anyhow::anyhow!(
            "`{}` is not a folder; a model of linked tables writes one file per table\n    hint: name a folder (it is created when missing)",
            dir.display()
        )));
    }
    let opts = LinkedSampleOptions {
        seed,
        schema_targets: a.schema_targets,
        fairness: !a.no_fairness,
    };
    let sampler = LinkedSampler::new(&model, &opts).map_err(model_failure)?;
    let pool = thread_pool(a.threads)?;
    let sample = pool
        .install(|| sampler.sample(scale))
        .map_err(model_failure)?;
    // The root tables' raking and parity, then the child labels' parity at the person.
    let mut reports = sampler.reports();
    reports.extend(sample.reports.iter().cloned());
    let compression = compression(a.compression);
    let mut command_line: Vec<String> = vec![
        "fairsynth".into(),
        "sample".into(),
        // The model by file name: the bytes do not depend on where it lies.
        a.model
            .file_name()
            .map_or_else(String::new, |f| f.to_string_lossy().into_owned()),
        "--seed".into(),
        seed.to_string(),
        "--scale".into(),
        scale.to_string(),
        "--compression".into(),
        compression.name().into(),
    ];
    for (flag, on) in [
        ("--schema-targets", a.schema_targets),
        ("--no-fairness", a.no_fairness),
    ] {
        if on {
            command_line.push(flag.into());
        }
    }
    let provenance = |name: &str, t: &fairsynth::schema::Schema| {
        fairsynth::io::provenance(
            "sample",
            t,
            serde_json::json!({
                "table": name,
                "seed": seed,
                "scale": scale,
                "model": {
                    "file": a.model.file_name().map(|f| f.to_string_lossy().into_owned()),
                    "schema_sha256": model.schema.sha256,
                },
                "sampling": reports.iter().find(|(n, _)| n == name).map(|(_, r)| r),
            })
            .with_privacy(model.privacy.as_ref()),
            &command_line,
        )
    };
    let rows = write_tables(
        dir,
        &db,
        &sample.tables,
        &provenance,
        compression,
        &[a.report.as_ref()],
        &[Some(&a.model), a.keys.keys.as_ref()],
    )?;
    let by_table: Vec<serde_json::Value> = reports
        .iter()
        .map(|(n, r)| serde_json::json!({ "table": n, "sampling": r }))
        .collect();
    write_report(
        a.report.as_deref(),
        &serde_json::json!({ "tables": by_table }).with_privacy(model.privacy.as_ref()),
    )?;
    if !a.quiet {
        for ((n, batch), r) in sample.tables.iter().filter_map(|(n, b)| {
            reports
                .iter()
                .find(|(m, _)| m == n)
                .map(|(_, r)| ((n, b), r))
        }) {
            eprint!(
                "{}",
                fairsynth::model::sample_summary(
                    r,
                    batch.num_rows() as u64,
                    &dir.join(format!("{n}.parquet"))
                )
            );
        }
        let shown: Vec<String> = sample
            .tables
            .iter()
            .zip(&rows)
            .map(|((n, _), r)| format!("{n} {r}"))
            .collect();
        eprintln!(
            "wrote {} tables to {}: {} rows",
            rows.len(),
            dir.display(),
            shown.join(", ")
        );
    }
    Ok(())
}

use arrow_array::RecordBatch;

/// Adds a model's privacy ledger, when it has one, to a JSON object (provenance, report):
/// the output of a model fitted without `--epsilon` is unchanged.
trait WithPrivacy {
    fn with_privacy(self, ledger: Option<&fairsynth::model::linked::LinkedLedger>) -> Self;
}

impl WithPrivacy for serde_json::Value {
    fn with_privacy(mut self, ledger: Option<&fairsynth::model::linked::LinkedLedger>) -> Self {
        if let (Some(l), Some(map)) = (ledger, self.as_object_mut()) {
            map.insert(
                "privacy".into(),
                serde_json::to_value(l).unwrap_or(serde_json::Value::Null),
            );
        }
        self
    }
}

/// Rows per row group of a sampled table's file.
const ROW_GROUP_ROWS: usize = 1 << 17;

/// Writes `tables` (name, rows) into `dir`, one Parquet file per table under its table's
/// encryption policy, all or nothing: the folder is created when missing (and removed again
/// on failure), and no file is replaced that is an input (`inputs`) or not a regular file.
/// `extra` outputs (a report) are checked alongside. Returns the rows written per table.
#[allow(clippy::too_many_arguments)]
fn write_tables(
    dir: &Path,
    db: &Database,
    tables: &[(String, RecordBatch)],
    provenance: &dyn Fn(&str, &fairsynth::schema::Schema) -> serde_json::Value,
    compression: fairsynth::io::Compression,
    extra: &[Option<&PathBuf>],
    inputs: &[Option<&PathBuf>],
) -> Result<Vec<u64>, Failure> {
    if dir.exists() && !dir.is_dir() {
        return Err(usage(anyhow::anyhow!(
            "`{}` is not a folder; linked tables are written as one file per table\n    hint: name a folder (it is created when missing)",
            dir.display()
        )));
    }
    let created = !dir.exists();
    if created {
        std::fs::create_dir_all(dir)
            .map_err(|e| anyhow::anyhow!("cannot create the folder `{}`: {e}", dir.display()))?;
    }
    let result = (|| -> Result<Vec<u64>, Failure> {
        let targets: Vec<PathBuf> = tables
            .iter()
            .map(|(n, _)| dir.join(format!("{n}.parquet")))
            .collect();
        let mut outs: Vec<Option<&PathBuf>> = targets.iter().map(Some).collect();
        outs.extend(extra.iter().copied());
        guard_outputs(&outs, inputs)?;
        let mut rows = Vec::new();
        for ((name, batch), target) in tables.iter().zip(&targets) {
            let Some(t) = db.table(name) else { continue };
            let prov = provenance(name, &t.schema).to_string();
            let metadata: std::collections::HashMap<String, String> =
                [(fairsynth::io::METADATA_KEY.to_string(), prov.clone())].into();
            let schema = Arc::new(batch.schema().as_ref().clone().with_metadata(metadata));
            let batch = batch.clone().with_schema(schema.clone()).map_err(usage)?;
            let mut sink = fairsynth::io::ParquetSink::create_for(
                target,
                Some(name),
                schema,
                fairsynth::io::writer_properties(compression),
            )
            .map_err(usage)?;
            sink.add_metadata(fairsynth::io::METADATA_KEY, prov);
            let groups: Vec<RecordBatch> = (0..batch.num_rows())
                .step_by(ROW_GROUP_ROWS)
                .map(|at| batch.slice(at, ROW_GROUP_ROWS.min(batch.num_rows() - at)))
                .collect();
            sink.write_row_groups(&groups, |b, encode| encode(b))
                .map_err(usage)?;
            rows.push(sink.finish().map_err(usage)?);
        }
        Ok(rows)
    })();
    if result.is_err() && created {
        // Only an empty folder this run made goes; the transaction removes its files.
        let _ = std::fs::remove_dir(dir);
    }
    result
}

/// `reweight DIR --schema LINKED.yaml -o OUTDIR`: weights at the person, carried to every
/// table hanging from the people's table.
pub(crate) fn reweight_folder(a: ReweightArgs) -> Result<(), Failure> {
    use fairsynth::reweight::Options;
    if a.targets.is_some() || a.resample.is_some() || a.html.is_some() {
        return Err(usage(anyhow::anyhow!(
            "--targets, --resample and --html apply to one table; linked tables are reweighted to each root table's `targets:` and `fairness:`\n    hint: put the targets in the entry of the table of people"
        )));
    }
    let db = load_database(&a.schema, &a.input)?;
    // The weight column reweight adds to every table is not in the schema, but
    // `--encrypt KEY=weight` may select it: the policy is resolved over the schema plus it.
    let mut written = db.clone();
    for t in &mut written.tables {
        if t.schema.column(&a.weight_column).is_none() {
            t.schema.columns.push(fairsynth::schema::Column::blank(
                &a.weight_column,
                fairsynth::schema::ColumnType::Float,
            ));
        }
    }
    let _access = crate::access_linked(&a.keys, &a.encryption, &written)?;
    let (inputs, paths) = folder_inputs(&a.input, &db, &a.schema, &a.dialect.options())?;
    let opts = Options {
        parity: !a.no_parity,
        tolerance: a.tolerance,
        max_iterations: a.max_iterations,
        min_weight: a.min_weight,
        max_weight: a.max_weight,
        unit_start_weights: a.no_start_weights,
        keep_identifiers: a.keep_identifiers,
        weight_column: a.weight_column.clone(),
        compression: compression(a.compression),
        ..Options::default()
    };
    let pool = thread_pool(a.threads)?;
    let (report, tables) = pool
        .install(|| fairsynth::reweight::linked::reweight_linked(&db, &inputs, &opts))
        .map_err(|e| Failure {
            code: if e.is_usage() { 2 } else { 1 },
            error: e.into(),
        })?;
    let mut command_line = vec![
        "fairsynth".to_string(),
        "reweight".into(),
        a.input.display().to_string(),
        "--schema".into(),
        a.schema.display().to_string(),
        "--weight-column".into(),
        a.weight_column.clone(),
    ];
    if a.no_parity {
        command_line.push("--no-parity".into());
    }
    let provenance = |name: &str, t: &fairsynth::schema::Schema| {
        let mut extra = serde_json::json!({
            "table": name,
            "weighted_by": report.weighted_by.iter().find(|(n, _)| n == name).and_then(|(_, b)| b.clone()),
            "reweight": report.roots.iter().find(|(n, _)| n == name).map(|(_, r)| r),
        });
        let parity: Vec<_> = report.children.iter().filter(|c| c.table == name).collect();
        if let (false, Some(obj)) = (parity.is_empty(), extra.as_object_mut()) {
            obj.insert(
                "person_parity".into(),
                serde_json::to_value(parity).unwrap_or_default(),
            );
        }
        fairsynth::io::provenance("reweight", t, extra, &command_line)
    };
    let mut inputs_guarded: Vec<Option<&PathBuf>> = vec![Some(&a.schema), a.keys.keys.as_ref()];
    inputs_guarded.extend(paths.iter().map(Some));
    let rows = write_tables(
        &a.output,
        &db,
        &tables,
        &provenance,
        opts.compression,
        &[a.report.as_ref()],
        &inputs_guarded,
    )?;
    write_report(a.report.as_deref(), &report)?;
    if !a.quiet {
        eprint!("{}", fairsynth::reweight::linked::summary(&report));
        let shown: Vec<String> = report
            .weighted_by
            .iter()
            .zip(&rows)
            .map(|((n, b), r)| match b {
                Some(b) if b != n => format!("{n} {r} (weights of {b})"),
                _ => format!("{n} {r}"),
            })
            .collect();
        eprintln!(
            "wrote {} tables to {}: {}",
            rows.len(),
            a.output.display(),
            shown.join(", ")
        );
    }
    for w in fairsynth::reweight::linked::not_reached_warnings(&report) {
        eprintln!("{w}");
    }
    Ok(())
}
