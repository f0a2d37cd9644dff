//! The `fairsynth` command line: a thin layer over the library.
//!
//! Exit codes: 0 success; 1 runtime failure (an output cannot be written, encoding), a closed
//! standard output, or for `evaluate` and `audit` a failed gate; 2 usage, schema or input
//! error, or two outputs naming one file; 128 + N when ended by signal N (SIGINT, SIGTERM,
//! SIGHUP), after removing the unfinished output.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Parser;
use cli::args::{
    AuditArgs, Cli, Command, CompressionArg, DeidentifyArgs, EncryptArgs, EvaluateArgs, FitArgs,
    FormatArg, InspectArgs, KeysArgs, ReweightArgs, SampleArgs, SchemaCommand, SynthArgs,
};
use fairsynth::io::{Input, Output};
use fairsynth::schema::{Schema, SchemaError};

mod cli;

// stderr is the channel of last resort: when writing to it fails (closed, or a full disk) there
// is nowhere to report that, so these replace the standard macros, which would panic.
macro_rules! eprint {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        let _ = write!(std::io::stderr(), $($t)*);
    }};
}
macro_rules! eprintln {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($t)*);
    }};
}

/// A failure with its exit code.
struct Failure {
    code: u8,
    error: anyhow::Error,
}

impl<E: Into<anyhow::Error>> From<E> for Failure {
    fn from(e: E) -> Self {
        let error = e.into();
        // Schema problems are the user's to fix: exit 2, like usage errors.
        let code = if error.downcast_ref::<SchemaError>().is_some() {
            2
        } else {
            1
        };
        Failure { code, error }
    }
}

/// Standard output was closed (a reader such as `head` stopped reading): the command ends
/// quietly with exit code 1.
#[derive(Debug, thiserror::Error)]
#[error("standard output is closed")]
struct ClosedStdout;

/// Quality gates (`evaluate`) or audit checks failed: exit code 1, but the reports explaining
/// it are kept.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct GatesFailed(String);

/// `fairsynth man DIR`: one manual page per command.
fn man(dir: &Path) -> Result<(), Failure> {
    let written = cli::manual::write_man_pages(dir)?;
    eprintln!("wrote {} manual pages to {}", written.len(), dir.display());
    Ok(())
}

/// Writes bytes to standard output; a closed pipe ends the command quietly, another write
/// error (e.g. a full disk) is reported.
fn out_bytes(bytes: &[u8]) -> Result<(), Failure> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    match out.write_all(bytes).and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Err(Failure {
            code: 1,
            error: ClosedStdout.into(),
        }),
        Err(e) => Err(Failure {
            code: 1,
            error: anyhow::Error::new(e).context("cannot write to standard output"),
        }),
    }
}

/// Writes a line to standard output, as [`out_bytes`] writes bytes.
fn out_line(line: &str) -> Result<(), Failure> {
    out_bytes(format!("{line}\n").as_bytes())
}

/// An error and its causes on one line (hints after it), each cause once: most messages
/// already include their cause's text, which a plain `{:#}` would repeat.
fn render(error: &anyhow::Error) -> String {
    let mut text = String::new();
    for cause in error.chain() {
        let c = cause.to_string();
        if c.is_empty() || text.contains(&c) {
            continue;
        }
        if text.is_empty() {
            text = c;
        } else {
            // The cause goes at the end of the first line, before any hint lines.
            let at = text.find('\n').unwrap_or(text.len());
            text.insert_str(at, &format!(": {c}"));
        }
    }
    text
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Err(e) = fairsynth::io::output::install_signal_cleanup() {
        eprintln!("warning: cannot watch for signals ({e}); an interrupted run may leave a hidden temporary file beside its output");
    }
    // Every file a command writes is held back until the command succeeds, then renamed
    // together, so a failure (a report that cannot be written) leaves no output at all.
    let outputs = fairsynth::io::Transaction::begin();
    let mut result = match cli.command {
        Command::Synth(args) => synth(args),
        Command::Reweight(args) => reweight(args),
        Command::Fit(args) => fit(args),
        Command::Sample(args) => sample(args),
        Command::Deidentify(args) => deidentify(args),
        Command::Inspect(args) => inspect(args),
        Command::Evaluate(args) => evaluate(args),
        Command::Audit(args) => audit(args),
        Command::Schema {
            command: SchemaCommand::Check { files },
        } => check(&files),
        Command::Completions { shell } => out_bytes(&cli::manual::completions(shell)),
        Command::Man { dir } => man(&dir),
    };
    let keep = match &result {
        Ok(()) => true,
        Err(f) => f.error.downcast_ref::<GatesFailed>().is_some(),
    };
    if keep {
        if let Err(e) = outputs.commit() {
            result = Err(e.into());
        }
    } else {
        drop(outputs);
    }
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(f) if f.error.downcast_ref::<ClosedStdout>().is_some() => ExitCode::from(f.code),
        Err(f) => {
            eprintln!("error: {}", render(&f.error));
            ExitCode::from(f.code)
        }
    }
}

fn check(files: &[PathBuf]) -> Result<(), Failure> {
    let mut failed = 0;
    for f in files {
        match fairsynth::schema::Document::from_file(f) {
            Ok(fairsynth::schema::Document::Database(db)) => {
                let shown: Vec<String> = db
                    .tables
                    .iter()
                    .map(|t| match t.driving() {
                        Some(fk) => format!(
                            "{} (per {}: {})",
                            t.name(),
                            fk.table,
                            t.schema.columns.len()
                        ),
                        None => format!(
                            "{} ({} rows: {})",
                            t.name(),
                            t.schema.rows,
                            t.schema.columns.len()
                        ),
                    })
                    .collect();
                let synth = match fairsynth::synth::linked::LinkedSynthesizer::new(&db, 0) {
                    Ok(_) => "synthesisable".to_string(),
                    Err(e) => format!(
                        "not synthesisable: {}",
                        e.to_string().lines().next().unwrap_or_default()
                    ),
                };
                let encrypted: Vec<String> = db
                    .tables
                    .iter()
                    .filter_map(|t| {
                        let p = t.schema.encryption.as_ref()?;
                        let cols: Vec<String> = p
                            .columns
                            .iter()
                            .map(|(c, k)| format!("{c} under {k}"))
                            .collect();
                        Some(if cols.is_empty() {
                            format!("{} (footer only)", t.name())
                        } else {
                            format!("{} ({})", t.name(), cols.join(", "))
                        })
                    })
                    .collect();
                let encrypted = if encrypted.is_empty() {
                    String::new()
                } else {
                    format!("; encrypted: {}", encrypted.join(", "))
                };
                out_line(&format!(
                    "{}: ok ({} linked tables; table (rows: columns): {}{encrypted}; {synth})",
                    f.display(),
                    db.tables.len(),
                    shown.join(", ")
                ))?;
            }
            Ok(fairsynth::schema::Document::Table(s)) => {
                let missing = s.columns_without_generator();
                let synth = if missing.is_empty() {
                    "synthesisable".to_string()
                } else {
                    let names: Vec<&str> = missing.iter().map(|c| c.name.as_str()).collect();
                    format!("not synthesisable: no generator for {}", names.join(", "))
                };
                out_line(&format!(
                    "{}: ok ({} columns, {} targets; {synth})",
                    f.display(),
                    s.columns.len(),
                    s.targets.len()
                ))?;
            }
            Err(e) => {
                failed += 1;
                eprintln!("{e}");
            }
        }
    }
    if failed > 0 {
        return Err(Failure {
            code: 2,
            error: anyhow::anyhow!(
                "{failed} of {} schema file{} failed the check",
                files.len(),
                if files.len() == 1 { "" } else { "s" }
            ),
        });
    }
    Ok(())
}

/// Refuses, before any work, an output that names an input or another output of the command
/// (exit 2), or that cannot be written safely (exit 1): not a regular file (a directory,
/// device, FIFO, socket) or in a missing directory. See `fairsynth::io::output`.
fn guard_outputs(outputs: &[Option<&PathBuf>], inputs: &[Option<&PathBuf>]) -> Result<(), Failure> {
    let inputs: Vec<&Path> = inputs.iter().flatten().map(|p| p.as_path()).collect();
    let mut seen: Vec<(PathBuf, &Path)> = Vec::new();
    for out in outputs.iter().flatten() {
        fairsynth::io::ensure_not_input(out, &inputs).map_err(usage)?;
        // An output that cannot be written is a runtime failure (1), like a full disk.
        fairsynth::io::check_output(out)?;
        let id = fairsynth::io::output::identity(out);
        if let Some((_, first)) = seen.iter().find(|(i, _)| *i == id) {
            return Err(usage(fairsynth::io::IoError::SameOutput {
                first: first.display().to_string(),
                second: out.display().to_string(),
                path: id,
            }));
        }
        seen.push((id, out));
    }
    Ok(())
}

/// The start of the command line recorded in provenance: `fairsynth CMD INPUT --schema S`.
fn command_line(command: &str, input: &Path, schema: &Path) -> Vec<String> {
    vec![
        "fairsynth".into(),
        command.into(),
        input.display().to_string(),
        "--schema".into(),
        schema.display().to_string(),
    ]
}

/// The worker pool for `--threads` (all cores when absent).
fn thread_pool(threads: Option<u16>) -> Result<rayon::ThreadPool, Failure> {
    Ok(rayon::ThreadPoolBuilder::new()
        .num_threads(threads.map_or(0, usize::from))
        .build()?)
}

/// Writes a JSON report atomically, when `--report` names a file.
fn write_report(path: Option<&Path>, report: &impl serde::Serialize) -> Result<(), Failure> {
    if let Some(path) = path {
        let json = serde_json::to_string_pretty(report)?;
        fairsynth::io::write_atomic(path, json.as_bytes())?;
    }
    Ok(())
}

/// Writes the HTML page built by `page` atomically, when `--html` names a file.
pub(crate) fn write_html(
    path: Option<&Path>,
    page: impl FnOnce() -> Result<String, Failure>,
) -> Result<(), Failure> {
    if let Some(path) = path {
        fairsynth::io::write_atomic(path, page()?.as_bytes())?;
    }
    Ok(())
}

/// Refuses (exit 2) two outputs that name the same file, e.g. `--html` equal to `-o`.
pub(crate) fn distinct_outputs(outputs: &[Option<&PathBuf>]) -> Result<(), Failure> {
    // Compared by absolute directory (links resolved) and file name: outputs need not exist.
    let key = |p: &Path| {
        let dir = match p.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        (
            dir.canonicalize().unwrap_or(dir),
            p.file_name().map(|f| f.to_owned()),
        )
    };
    let outs: Vec<&PathBuf> = outputs.iter().flatten().copied().collect();
    for (i, a) in outs.iter().enumerate() {
        if let Some(b) = outs[..i].iter().find(|b| key(b) == key(a)) {
            return Err(usage(anyhow::anyhow!(
                "`{}` and `{}` name the same file; give each output its own path",
                b.display(),
                a.display()
            )));
        }
    }
    Ok(())
}

fn compression(c: CompressionArg) -> fairsynth::io::Compression {
    match c {
        CompressionArg::Zstd => fairsynth::io::Compression::Zstd,
        CompressionArg::Snappy => fairsynth::io::Compression::Snappy,
        CompressionArg::None => fairsynth::io::Compression::None,
    }
}

fn usage(e: impl Into<anyhow::Error>) -> Failure {
    Failure {
        code: 2,
        error: e.into(),
    }
}

/// What a table input may be, for the hint of a missing one.
const TABLE_OR_FOLDER: &str =
    "give a table's file (.csv, .tsv, .csv.gz, .parquet, .xlsx, .xls, .ods) or a folder holding one file per linked table";

/// Stops on an input path that does not exist before anything else is read: otherwise a
/// schema of linked tables given with a mistyped folder is blamed on the schema.
fn input_exists(path: &Path, what: &str) -> Result<(), Failure> {
    if path.exists() {
        return Ok(());
    }
    Err(usage(anyhow::anyhow!(
        "no such file or folder: `{}`\n    hint: check the path; {what}",
        path.display()
    )))
}

fn reweight(a: ReweightArgs) -> Result<(), Failure> {
    use fairsynth::reweight::{Options, ReweightError};
    input_exists(&a.input, TABLE_OR_FOLDER)?;
    if a.input.is_dir() {
        return cli::linked::reweight_folder(a);
    }
    let schema = load_schema(&a.schema)?;
    // The weight column reweight adds is not in the schema, but `--encrypt KEY=weight` may
    // select it: the policy is resolved over the schema plus that column.
    let mut written = schema.clone();
    if written.column(&a.weight_column).is_none() {
        written.columns.push(fairsynth::schema::Column::blank(
            &a.weight_column,
            fairsynth::schema::ColumnType::Float,
        ));
    }
    let _access = access(&a.keys, Some(&a.encryption), &written)?;
    let targets = match &a.targets {
        Some(t) => schema.targets_from_file(t).map_err(usage)?,
        None => schema.targets.clone(),
    };
    let format = input_format(&a.input, a.format)?;
    guard_outputs(
        &[Some(&a.output), a.report.as_ref(), a.html.as_ref()],
        &[
            Some(&a.input),
            Some(&a.schema),
            a.targets.as_ref(),
            a.keys.keys.as_ref(),
        ],
    )?;
    distinct_outputs(&[Some(&a.output), a.report.as_ref(), a.html.as_ref()])?;
    let seed = a.seed.or(schema.seed).unwrap_or(0);
    let opts = Options {
        targets,
        parity: !a.no_parity && schema.fairness.is_some(),
        tolerance: a.tolerance,
        max_iterations: a.max_iterations,
        min_weight: a.min_weight,
        max_weight: a.max_weight,
        unit_start_weights: a.no_start_weights,
        resample: a.resample,
        seed,
        keep_identifiers: a.keep_identifiers,
        weight_column: a.weight_column.clone(),
        compression: compression(a.compression),
    };
    let mut command_line = command_line("reweight", &a.input, &a.schema);
    command_line.extend(a.dialect.words());
    if let Some(t) = &a.targets {
        command_line.extend(["--targets".into(), t.display().to_string()]);
    }
    for (flag, value) in [
        ("--resample", a.resample.map(|v| v.to_string())),
        ("--seed", a.resample.map(|_| seed.to_string())),
        ("--max-weight", a.max_weight.map(|v| v.to_string())),
        ("--min-weight", a.min_weight.map(|v| v.to_string())),
        ("--tolerance", Some(a.tolerance.to_string())),
        ("--max-iterations", Some(a.max_iterations.to_string())),
        ("--weight-column", Some(a.weight_column.clone())),
        ("--compression", Some(opts.compression.name().to_string())),
    ] {
        if let Some(v) = value {
            command_line.extend([flag.to_string(), v]);
        }
    }
    for (flag, on) in [
        ("--no-parity", a.no_parity),
        ("--no-start-weights", a.no_start_weights),
        ("--keep-identifiers", a.keep_identifiers),
    ] {
        if on {
            command_line.push(flag.into());
        }
    }
    let prov = fairsynth::io::provenance("reweight", &schema, serde_json::json!({}), &command_line);
    let pool = thread_pool(a.threads)?;
    let report = pool
        .install(|| {
            fairsynth::reweight::reweight(
                &Input::file(&a.input, format).with_options(a.dialect.options()),
                &schema,
                &opts,
                Output::Parquet(&a.output),
                prov,
            )
            .map(|(report, _)| report)
        })
        .map_err(|e: ReweightError| Failure {
            code: if e.is_usage() { 2 } else { 1 },
            error: e.into(),
        })?;
    write_report(a.report.as_deref(), &report)?;
    write_html(a.html.as_deref(), || {
        let ctx =
            fairsynth::report::Context::new(&schema, &command_line).input("input", &a.input)?;
        Ok(fairsynth::report::reweight_page(
            &report,
            &ctx.output(&a.output),
        ))
    })?;
    if !a.quiet {
        eprint!("{}", fairsynth::reweight::summary(&report));
    }
    if let Some(w) = fairsynth::reweight::not_reached_warning(&report) {
        eprintln!("{w}");
    }
    Ok(())
}

/// Exit code of a model error: 1 for I/O failures, 2 for everything the user can fix.
fn model_failure(e: fairsynth::model::ModelError) -> Failure {
    use fairsynth::model::ModelError;
    let code = match &e {
        ModelError::Io(_) | ModelError::Synth(fairsynth::synth::SynthError::Io(_)) => 1,
        _ => 2,
    };
    Failure {
        code,
        error: e.into(),
    }
}

fn fit(a: FitArgs) -> Result<(), Failure> {
    input_exists(&a.input, TABLE_OR_FOLDER)?;
    if a.input.is_dir() {
        return cli::linked::fit_folder(a);
    }
    if a.max_children.is_some() {
        return Err(usage(anyhow::anyhow!(
            "--max-children bounds the children of each parent in linked tables; `{}` is one table (each row is a person)\n    hint: drop --max-children, or fit a folder of linked tables",
            a.input.display()
        )));
    }
    let schema = load_schema(&a.schema)?;
    let _access = access(&a.keys, None, &schema)?;
    let yaml = std::fs::read_to_string(&a.schema).map_err(usage)?;
    let format = input_format(&a.input, a.format)?;
    guard_outputs(
        &[Some(&a.output)],
        &[Some(&a.input), Some(&a.schema), a.keys.keys.as_ref()],
    )?;
    let opts = fit_options(&a, schema.seed);
    let pool = thread_pool(a.threads)?;
    let (model, rows_read) = pool
        .install(|| {
            let input = Input::file(&a.input, format).with_options(a.dialect.options());
            fairsynth::model::fit_input_counted(&input, &schema, &yaml, &opts)
        })
        .map_err(model_failure)?;
    model.save(&a.output).map_err(model_failure)?;
    if !a.quiet {
        eprint!(
            "{}",
            fairsynth::model::summary_of_fit(&model, Some(rows_read))
        );
    }
    Ok(())
}

/// The fit options of the command line; the seed defaults to the schema's.
fn fit_options(a: &FitArgs, schema_seed: Option<u64>) -> fairsynth::model::FitOptions {
    fairsynth::model::FitOptions {
        seed: a.seed.or(schema_seed).unwrap_or(0),
        epsilon: a.epsilon,
        delta: a.delta,
        dp_mechanism: match a.dp_mechanism {
            cli::args::DpMechanismArg::Gaussian => fairsynth::model::DpMechanism::Gaussian,
            cli::args::DpMechanismArg::Laplace => fairsynth::model::DpMechanism::Laplace,
        },
        min_count: a.min_count,
        bins: a.bins as usize,
        max_parents: a.max_parents,
        max_cells: usize::try_from(a.max_cells).unwrap_or(usize::MAX),
        max_children: a
            .max_children
            .unwrap_or(fairsynth::model::linked::DEFAULT_MAX_CHILDREN),
        ..Default::default()
    }
}

fn sample(a: SampleArgs) -> Result<(), Failure> {
    use fairsynth::model::{Model, SampleOptions, Sampler};
    input_exists(&a.model, "give the model file that `fairsynth fit` wrote")?;
    if cli::linked::is_linked_model(&a.model) {
        return cli::linked::sample_linked(a);
    }
    if a.scale.is_some() {
        return Err(usage(anyhow::anyhow!(
            "--scale multiplies the root tables of a model of linked tables; `{}` models one table\n    hint: use --rows",
            a.model.display()
        )));
    }
    let model = Model::load(&a.model).map_err(model_failure)?;
    let schema = model.schema().map_err(model_failure)?;
    let _access = access(&a.keys, Some(&a.encryption), &schema)?;
    guard_outputs(
        &[Some(&a.output), a.report.as_ref(), a.html.as_ref()],
        &[Some(&a.model), a.targets.as_ref(), a.keys.keys.as_ref()],
    )?;
    distinct_outputs(&[Some(&a.output), a.report.as_ref(), a.html.as_ref()])?;
    let targets = match &a.targets {
        Some(t) => schema.targets_from_file(t).map_err(usage)?,
        None if a.schema_targets => schema.targets.clone(),
        None => Vec::new(),
    };
    let seed = a.seed.or(schema.seed).unwrap_or(0);
    let rows = a.rows.unwrap_or(model.rows);
    let opts = SampleOptions {
        seed,
        targets,
        fairness: !a.no_fairness,
    };
    let sampler = Sampler::new(&model, &opts).map_err(model_failure)?;
    let compression = compression(a.compression);
    // Only what changes the content is recorded, so the bytes do not depend on the output
    // path or the thread count.
    let mut command_line: Vec<String> = vec![
        "fairsynth".into(),
        "sample".into(),
        a.model.display().to_string(),
        "--rows".into(),
        rows.to_string(),
        "--seed".into(),
        seed.to_string(),
        "--compression".into(),
        compression.name().into(),
    ];
    if let Some(t) = &a.targets {
        command_line.extend(["--targets".into(), t.display().to_string()]);
    }
    for (flag, on) in [
        ("--schema-targets", a.schema_targets),
        ("--no-fairness", a.no_fairness),
    ] {
        if on {
            command_line.push(flag.into());
        }
    }
    let prov = fairsynth::io::provenance(
        "sample",
        &schema,
        serde_json::json!({
            "seed": seed,
            "rows": rows,
            "model": {
                "file": a.model.file_name().map(|f| f.to_string_lossy().into_owned()),
                "fitted_on": model.fit.input,
                "input_sha256": model.fit.input_sha256,
            },
            "privacy": model.privacy,
            "sampling": sampler.report(),
        }),
        &command_line,
    );
    let bar = progress_bar(rows, a.quiet);
    let pool = thread_pool(a.threads)?;
    let written = pool.install(|| {
        let options = fairsynth::synth::WriteOptions {
            compression,
            row_group_rows: fairsynth::synth::DEFAULT_ROW_GROUP_ROWS,
        };
        fairsynth::synth::write_parquet(&sampler, rows, &a.output, &options, &prov, &|done| {
            bar.set_position(done)
        })
    })?;
    bar.finish_and_clear();
    write_report(a.report.as_deref(), sampler.report())?;
    write_html(a.html.as_deref(), || {
        let ctx =
            fairsynth::report::Context::new(&schema, &command_line).input("model", &a.model)?;
        Ok(fairsynth::report::sample_page(
            sampler.report(),
            &model,
            &ctx.output(&a.output),
        ))
    })?;
    if !a.quiet {
        eprint!(
            "{}",
            fairsynth::model::sample_summary(sampler.report(), written, &a.output)
        );
    }
    Ok(())
}

fn input_format(
    input: &Path,
    format: Option<FormatArg>,
) -> Result<fairsynth::io::read::Format, Failure> {
    use fairsynth::io::read::Format;
    match format {
        Some(FormatArg::Csv) => Ok(Format::Csv),
        Some(FormatArg::Parquet) => Ok(Format::Parquet),
        Some(FormatArg::Xlsx) => Ok(Format::Xlsx),
        Some(FormatArg::Xls) => Ok(Format::Xls),
        Some(FormatArg::Ods) => Ok(Format::Ods),
        None => Format::detect(input).map_err(usage),
    }
}

fn inspect(a: InspectArgs) -> Result<(), Failure> {
    input_exists(&a.input, TABLE_OR_FOLDER)?;
    if a.input.is_dir() {
        return inspect_folder(a);
    }
    let schema = a.schema.as_deref().map(load_schema).transpose()?;
    let _access = access(
        &a.keys,
        None,
        schema
            .as_ref()
            .unwrap_or(&fairsynth::deid::inspect::empty_schema()),
    )?;
    let format = input_format(&a.input, a.format)?;
    guard_outputs(
        &[a.report.as_ref(), a.draft_schema.as_ref()],
        &[Some(&a.input), a.schema.as_ref(), a.keys.keys.as_ref()],
    )?;
    let input = Input::file(&a.input, format).with_options(a.dialect.options());
    let mut ins = fairsynth::deid::inspect::inspect(&input, schema.as_ref()).map_err(usage)?;
    // The proposals are judged by deidentify's own checks on the same data, draft or not.
    let levels = fairsynth::deid::inspect::category_levels(&input, &ins).map_err(usage)?;
    let yaml = fairsynth::deid::draft::draft(&input, &mut ins, &levels).map_err(|e| Failure {
        code: if e.is_usage() { 2 } else { 1 },
        error: e.into(),
    })?;
    write_report(a.report.as_deref(), &ins)?;
    if let Some(path) = &a.draft_schema {
        fairsynth::io::write_atomic(path, yaml.as_bytes())?;
    }
    if !a.quiet {
        eprint!("{}", fairsynth::deid::inspect::summary(&ins));
    }
    Ok(())
}

/// `inspect DIR`: keys, foreign keys, children counts and rules across a folder of tables.
fn inspect_folder(a: InspectArgs) -> Result<(), Failure> {
    if a.schema.is_some() || a.format.is_some() {
        return Err(usage(anyhow::anyhow!(
            "--schema and --format describe one table; `{}` is a folder of tables\n    hint: leave them out (each file's extension gives its format), or inspect one file",
            a.input.display()
        )));
    }
    let _access = access(&a.keys, None, &fairsynth::deid::inspect::empty_schema())?;
    guard_outputs(
        &[a.report.as_ref(), a.draft_schema.as_ref()],
        &[Some(&a.input), a.keys.keys.as_ref()],
    )?;
    let found =
        fairsynth::discover::discover(&a.input, &a.dialect.options()).map_err(|e| Failure {
            code: if e.is_usage() { 2 } else { 1 },
            error: e.into(),
        })?;
    write_report(a.report.as_deref(), &found)?;
    if let Some(path) = &a.draft_schema {
        fairsynth::io::write_atomic(path, fairsynth::discover::render(&found).as_bytes())?;
    }
    if !a.quiet {
        eprint!("{}", fairsynth::discover::summary(&found));
    }
    Ok(())
}

fn deidentify(a: DeidentifyArgs) -> Result<(), Failure> {
    use fairsynth::deid::run::{DeidError, Options};
    input_exists(&a.input, TABLE_OR_FOLDER)?;
    if a.input.is_dir() {
        return deidentify_folder(a);
    }
    let schema = load_schema(&a.schema)?;
    let _access = access(&a.keys, Some(&a.encryption), &schema)?;
    let format = input_format(&a.input, a.format)?;
    guard_outputs(
        &[Some(&a.output), a.report.as_ref(), a.html.as_ref()],
        &[
            Some(&a.input),
            Some(&a.schema),
            a.key_file.as_ref(),
            a.keys.keys.as_ref(),
        ],
    )?;
    distinct_outputs(&[Some(&a.output), a.report.as_ref(), a.html.as_ref()])?;
    let opts = Options {
        key_file: a.key_file.clone(),
        key: None,
        compression: compression(a.compression),
    };
    // The key file's path is recorded, never its contents.
    let mut command_line = command_line("deidentify", &a.input, &a.schema);
    command_line.extend(a.dialect.words());
    command_line.extend(["--compression".into(), opts.compression.name().into()]);
    if let Some(k) = &a.key_file {
        command_line.extend(["--key-file".into(), k.display().to_string()]);
    }
    let prov =
        fairsynth::io::provenance("deidentify", &schema, serde_json::json!({}), &command_line);
    if a.key_file.is_some() && std::env::var_os(&schema.privacy.key_env).is_some() {
        eprintln!(
            "warning: both --key-file and the environment variable `{}` are set; the key file is used",
            schema.privacy.key_env
        );
    }
    let pool = thread_pool(a.threads)?;
    let report = pool
        .install(|| {
            fairsynth::deid::run::deidentify(
                &Input::file(&a.input, format).with_options(a.dialect.options()),
                &schema,
                &opts,
                Output::Parquet(&a.output),
                prov,
            )
            .map(|(report, _)| report)
        })
        .map_err(|e: DeidError| Failure {
            code: if e.is_usage() { 2 } else { 1 },
            error: e.into(),
        })?;
    write_report(a.report.as_deref(), &report)?;
    write_html(a.html.as_deref(), || {
        let ctx =
            fairsynth::report::Context::new(&schema, &command_line).input("input", &a.input)?;
        Ok(fairsynth::report::deidentify_page(
            &report,
            &ctx.output(&a.output),
        ))
    })?;
    if !a.quiet {
        eprint!("{}", fairsynth::deid::run::summary(&report));
    }
    Ok(())
}

/// `deidentify DIR --schema LINKED.yaml -o OUTDIR`: every table of a linked schema, one file
/// per table (the logic is in `fairsynth::deid::linked`).
fn deidentify_folder(a: DeidentifyArgs) -> Result<(), Failure> {
    use fairsynth::deid::run::{DeidError, Options};
    let db = match fairsynth::schema::Document::from_file(&a.schema).map_err(|e| Failure {
        code: 2,
        error: e.into(),
    })? {
        fairsynth::schema::Document::Database(db) => db,
        fairsynth::schema::Document::Table(_) => {
            return Err(usage(anyhow::anyhow!(
                "`{}` is a folder, but `{}` describes one table\n    hint: give a schema of linked tables (`tables:`), or one table file as input",
                a.input.display(),
                a.schema.display()
            )))
        }
    };
    if a.html.is_some() || a.format.is_some() {
        return Err(usage(anyhow::anyhow!(
            "--html and --format are not supported yet when de-identifying a folder\n    hint: use --report for the JSON report; each file's format comes from its extension"
        )));
    }
    let _access = access_linked(&a.keys, &a.encryption, &db)?;
    let dir = &a.output;
    if dir.exists() && !dir.is_dir() {
        return Err(usage(anyhow::anyhow!(
            "`{}` is not a folder; a folder of linked tables is written as one file per table\n    hint: name a folder (it is created when missing)",
            dir.display()
        )));
    }
    let same = |x: &Path, y: &Path| matches!((x.canonicalize(), y.canonicalize()), (Ok(x), Ok(y)) if x == y);
    if same(dir, &a.input) {
        return Err(usage(anyhow::anyhow!(
            "the output folder `{}` is the input folder\n    hint: write the de-identified tables to another folder",
            dir.display()
        )));
    }
    let targets: Vec<PathBuf> = db
        .tables
        .iter()
        .map(|t| dir.join(format!("{}.parquet", t.name())))
        .collect();
    let created = !dir.exists();
    if created {
        std::fs::create_dir_all(dir)
            .map_err(|e| anyhow::anyhow!("cannot create the folder `{}`: {e}", dir.display()))?;
    }
    let result = (|| -> Result<fairsynth::deid::linked::FolderReport, Failure> {
        let mut outs: Vec<Option<&PathBuf>> = targets.iter().map(Some).collect();
        outs.push(a.report.as_ref());
        guard_outputs(
            &outs,
            &[Some(&a.schema), a.key_file.as_ref(), a.keys.keys.as_ref()],
        )?;
        let opts = Options {
            key_file: a.key_file.clone(),
            key: None,
            compression: compression(a.compression),
        };
        let mut command_line = command_line("deidentify", &a.input, &a.schema);
        command_line.extend(a.dialect.words());
        command_line.extend(["--compression".into(), opts.compression.name().into()]);
        if let Some(k) = &a.key_file {
            command_line.extend(["--key-file".into(), k.display().to_string()]);
        }
        let provenance = |i: usize| {
            fairsynth::io::provenance(
                "deidentify",
                &db.tables[i].schema,
                serde_json::json!({ "table": db.tables[i].name() }),
                &command_line,
            )
        };
        let pool = thread_pool(a.threads)?;
        pool.install(|| {
            fairsynth::deid::linked::deidentify_folder(
                &a.input,
                &db,
                &a.dialect.options(),
                &opts,
                dir,
                &provenance,
            )
        })
        .map_err(|e: DeidError| Failure {
            code: if e.is_usage() { 2 } else { 1 },
            error: e.into(),
        })
    })();
    let report = match result {
        Ok(r) => r,
        Err(e) => {
            if created {
                // Only the empty folder this run made goes (files wait for the transaction).
                let _ = std::fs::remove_dir(dir);
            }
            return Err(e);
        }
    };
    for f in &report.skipped_files {
        eprintln!("warning: `{f}` is not a table of the schema; skipped");
    }
    write_report(a.report.as_deref(), &report)?;
    if !a.quiet {
        eprint!("{}", fairsynth::deid::linked::summary(&report));
    }
    Ok(())
}

fn evaluate(a: EvaluateArgs) -> Result<(), Failure> {
    use fairsynth::evaluate::{EvaluateError, Options};
    input_exists(&a.real, TABLE_OR_FOLDER)?;
    input_exists(&a.synthetic, TABLE_OR_FOLDER)?;
    if let Some(h) = &a.holdout {
        input_exists(h, TABLE_OR_FOLDER)?;
    }
    if a.real.is_dir() || a.synthetic.is_dir() {
        return cli::linked::evaluate_folders(a);
    }
    let schema = load_schema(&a.schema)?;
    let _access = access(&a.keys, None, &schema)?;
    let quality =
        fairsynth::evaluate::apply_thresholds(schema.quality, &a.threshold).map_err(usage)?;
    let real_format = input_format(&a.real, None)?;
    let synthetic_format = input_format(&a.synthetic, None)?;
    let holdout = match &a.holdout {
        Some(h) => Some(Input::file(h, input_format(h, None)?).with_options(a.dialect.options())),
        None => None,
    };
    guard_outputs(
        &[a.report.as_ref(), a.html.as_ref()],
        &[
            Some(&a.real),
            Some(&a.synthetic),
            Some(&a.schema),
            a.holdout.as_ref(),
            a.targets.as_ref(),
            a.keys.keys.as_ref(),
        ],
    )?;
    let targets = match &a.targets {
        Some(t) => fairsynth::evaluate::Targets::Given {
            targets: schema.targets_from_file(t).map_err(usage)?,
            source: t.display().to_string(),
        },
        None if a.no_targets => fairsynth::evaluate::Targets::Off,
        None => fairsynth::evaluate::Targets::Recorded,
    };
    let opts = Options {
        real: Input::file(&a.real, real_format).with_options(a.dialect.options()),
        synthetic: Input::file(&a.synthetic, synthetic_format).with_options(a.dialect.options()),
        holdout,
        quality,
        seed: a.seed.or(schema.seed).unwrap_or(0),
        targets,
    };
    let pool = thread_pool(a.threads)?;
    let report = pool
        .install(|| fairsynth::evaluate::evaluate(&schema, &opts))
        .map_err(|e: EvaluateError| Failure {
            code: if e.is_usage() { 2 } else { 1 },
            error: e.into(),
        })?;
    write_report(a.report.as_deref(), &report)?;
    write_html(a.html.as_deref(), || {
        let mut line = vec!["fairsynth".into(), "evaluate".into()];
        for (flag, v) in [
            ("--real", Some(&a.real)),
            ("--synthetic", Some(&a.synthetic)),
            ("--schema", Some(&a.schema)),
            ("--holdout", a.holdout.as_ref()),
            ("--targets", a.targets.as_ref()),
        ] {
            if let Some(v) = v {
                line.extend([flag.to_string(), v.display().to_string()]);
            }
        }
        if a.no_targets {
            line.push("--no-targets".into());
        }
        line.extend(
            a.threshold
                .iter()
                .flat_map(|t| ["--threshold".to_string(), t.clone()]),
        );
        line.extend(["--seed".into(), opts.seed.to_string()]);
        let mut ctx = fairsynth::report::Context::new(&schema, &line)
            .input("real", &a.real)?
            .input("synthetic", &a.synthetic)?;
        if let Some(h) = &a.holdout {
            ctx = ctx.input("holdout", h)?;
        }
        if let Some(t) = &a.targets {
            ctx = ctx.input("targets", t)?;
        }
        Ok(fairsynth::report::evaluate_page(&report, &ctx))
    })?;
    if !a.quiet {
        eprint!("{}", fairsynth::evaluate::summary(&report));
    }
    failed_gates(&report.checks, "quality", |_, v| format!("{v:.4}"))
}

fn audit(a: AuditArgs) -> Result<(), Failure> {
    use fairsynth::audit::{AuditError, Options};
    input_exists(&a.input, TABLE_OR_FOLDER)?;
    if a.input.is_dir() {
        return cli::linked::audit_folder(a);
    }
    let schema = load_schema(&a.schema)?;
    let _access = access(&a.keys, None, &schema)?;
    let quality =
        fairsynth::evaluate::apply_thresholds(schema.quality, &a.threshold).map_err(usage)?;
    let targets = match &a.targets {
        Some(t) => schema.targets_from_file(t).map_err(usage)?,
        None => schema.targets.clone(),
    };
    let format = input_format(&a.input, a.format)?;
    guard_outputs(
        &[a.report.as_ref(), a.html.as_ref()],
        &[
            Some(&a.input),
            Some(&a.schema),
            a.targets.as_ref(),
            a.baseline.as_ref(),
            a.keys.keys.as_ref(),
        ],
    )?;
    distinct_outputs(&[a.report.as_ref(), a.html.as_ref()])?;
    let as_of = fairsynth::audit::as_of(a.as_of.as_deref()).map_err(usage)?;
    let opts = Options {
        input: Input::file(&a.input, format).with_options(a.dialect.options()),
        targets,
        quality,
        as_of,
        baseline: a.baseline.clone(),
    };
    let pool = thread_pool(a.threads)?;
    let report = pool
        .install(|| fairsynth::audit::audit(&schema, &opts))
        .map_err(|e: AuditError| usage(e))?;
    write_report(a.report.as_deref(), &report)?;
    write_html(a.html.as_deref(), || {
        let mut line = command_line("audit", &a.input, &a.schema);
        for (flag, v) in [
            ("--targets", a.targets.as_ref()),
            ("--baseline", a.baseline.as_ref()),
        ] {
            if let Some(v) = v {
                line.extend([flag.to_string(), v.display().to_string()]);
            }
        }
        line.extend(["--as-of".into(), report.quality.as_of.clone()]);
        line.extend(
            a.threshold
                .iter()
                .flat_map(|t| ["--threshold".to_string(), t.clone()]),
        );
        let mut ctx = fairsynth::report::Context::new(&schema, &line).input("input", &a.input)?;
        if let Some(t) = &a.targets {
            ctx = ctx.input("targets", t)?;
        }
        if let Some(b) = &a.baseline {
            ctx = ctx.input("baseline", b)?;
        }
        Ok(fairsynth::report::audit_page(&report, &ctx))
    })?;
    if !a.quiet {
        eprint!("{}", fairsynth::audit::summary(&report));
    }
    failed_gates(&report.checks, "audit", fairsynth::audit::figure_text)
}

/// Exit 1 naming every failed gate (`what`: `quality` for evaluate, `audit` for audit), each
/// figure written by `fmt`.
fn failed_gates(
    checks: &[fairsynth::evaluate::Check],
    what: &str,
    fmt: impl Fn(&str, f64) -> String,
) -> Result<(), Failure> {
    let failed: Vec<String> = checks
        .iter()
        .filter(|c| c.status == fairsynth::evaluate::Status::Failed)
        .map(|c| {
            format!(
                "{} = {} against the limit {} ({})",
                c.key,
                fmt(&c.key, c.value.unwrap_or(f64::NAN)),
                c.limit,
                c.detail
            )
        })
        .collect();
    if failed.is_empty() {
        return Ok(());
    }
    Err(Failure {
        code: 1,
        error: GatesFailed(format!(
            "{} {what} check{} failed: {}",
            failed.len(),
            if failed.len() == 1 { "" } else { "s" },
            failed.join("; ")
        ))
        .into(),
    })
}

/// Installs the command's access to encrypted Parquet: master keys from `--keys` and the
/// environment, and the policy of the files it writes (the schema's `encryption:` under the
/// flags). Held until the command ends.
fn access(
    keys: &KeysArgs,
    encryption: Option<&EncryptArgs>,
    schema: &Schema,
) -> Result<fairsynth::io::crypt::AccessGuard, Failure> {
    use fairsynth::io::crypt;
    let master = master_keys(keys)?;
    let policy = match encryption {
        Some(e) => fairsynth::schema::Encryption::with_flags(
            schema,
            &e.encrypt,
            e.footer_key.as_deref(),
            e.plaintext_footer,
        )
        .map_err(|m| usage(anyhow::anyhow!(m)))?,
        None => None,
    };
    Ok(crypt::enter(crypt::Access {
        kms: std::sync::Arc::new(master),
        policy,
        tables: Vec::new(),
    }))
}

/// The master keys of `--keys`, then of the environment.
fn master_keys(keys: &KeysArgs) -> Result<fairsynth::io::crypt::MasterKeys, Failure> {
    let master = fairsynth::io::crypt::MasterKeys::from_env();
    match &keys.keys {
        Some(path) => master.with_key_file(path).map_err(usage),
        None => Ok(master),
    }
}

/// As [`access`] for a command writing the files of linked tables: each table's file follows
/// its table's policy (the schema's `encryption:` sections under the flags, which apply to
/// every table and may name `table.column`).
fn access_linked(
    keys: &KeysArgs,
    encryption: &EncryptArgs,
    db: &fairsynth::schema::Database,
) -> Result<fairsynth::io::crypt::AccessGuard, Failure> {
    use fairsynth::io::crypt;
    let master = master_keys(keys)?;
    let policies = fairsynth::schema::Encryption::with_flags_linked(
        db,
        &encryption.encrypt,
        encryption.footer_key.as_deref(),
        encryption.plaintext_footer,
    )
    .map_err(|m| usage(anyhow::anyhow!(m)))?;
    let tables = db
        .tables
        .iter()
        .zip(policies)
        .filter_map(|(t, p)| Some((t.name().to_string(), p?)))
        .collect();
    Ok(crypt::enter(crypt::Access {
        kms: std::sync::Arc::new(master),
        policy: None,
        tables,
    }))
}

fn load_schema(path: &Path) -> Result<Schema, Failure> {
    Schema::from_file(path).map_err(|e| Failure {
        code: 2,
        error: e.into(),
    })
}

fn synth(a: SynthArgs) -> Result<(), Failure> {
    let doc = fairsynth::schema::Document::from_file(&a.schema).map_err(|e| Failure {
        code: 2,
        error: e.into(),
    })?;
    let schema = match doc {
        fairsynth::schema::Document::Table(s) => s,
        fairsynth::schema::Document::Database(db) => return synth_linked(a, db),
    };
    if a.scale.is_some() {
        return Err(usage(anyhow::anyhow!(
            "--scale multiplies the rows of linked tables; this schema has one table\n    hint: use --rows"
        )));
    }
    let _access = access(&a.keys, Some(&a.encryption), &schema)?;
    let rows = a.rows.unwrap_or(schema.rows);
    let seed = a.seed.or(schema.seed).unwrap_or(0);
    let compression = compression(a.compression);
    guard_outputs(&[Some(&a.output)], &[Some(&a.schema), a.keys.keys.as_ref()])?;
    let synth = fairsynth::synth::Synthesizer::new(&schema, seed).map_err(|e| Failure {
        code: 2,
        error: e.into(),
    })?;
    // Only options that change the content are recorded, so the bytes do not depend on the
    // output path or the thread count.
    let command_line: Vec<String> = [
        "fairsynth",
        "synth",
        "--schema",
        &a.schema.display().to_string(),
        "--rows",
        &rows.to_string(),
        "--seed",
        &seed.to_string(),
        "--compression",
        compression.name(),
        "--row-group-rows",
        &a.row_group_rows.to_string(),
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let prov = fairsynth::io::provenance(
        "synth",
        &schema,
        serde_json::json!({ "seed": seed, "rows": rows, "compression": compression.name(), "row_group_rows": a.row_group_rows, "rng": "ChaCha8 streams keyed by SHA-256(seed, column, block)", "block_rows": fairsynth::synth::BLOCK_ROWS }),
        &command_line,
    );
    let bar = progress_bar(rows, a.quiet);
    let pool = thread_pool(a.threads)?;
    let written = pool.install(|| {
        let options = fairsynth::synth::WriteOptions {
            compression,
            row_group_rows: a.row_group_rows,
        };
        fairsynth::synth::write_parquet(&synth, rows, &a.output, &options, &prov, &|done| {
            bar.set_position(done)
        })
    })?;
    bar.finish_and_clear();
    if !a.quiet {
        eprintln!(
            "wrote {written} rows x {} columns to {}",
            schema.columns.len(),
            a.output.display()
        );
    }
    Ok(())
}

/// `synth` of linked tables: one Parquet file per table in the output folder.
fn synth_linked(a: SynthArgs, mut db: fairsynth::schema::Database) -> Result<(), Failure> {
    if a.rows.is_some() {
        return Err(usage(anyhow::anyhow!(
            "--rows sets the rows of one table, but `{}` declares linked tables\n    hint: use --scale to multiply every root table's rows",
            a.schema.display()
        )));
    }
    let _access = access_linked(&a.keys, &a.encryption, &db)?;
    if let Some(f) = a.scale {
        for t in db.tables.iter_mut().filter(|t| t.is_root()) {
            t.schema.rows = ((t.schema.rows as f64 * f).round() as u64).max(1);
        }
    }
    let seed = a.seed.or(db.seed).unwrap_or(0);
    let compression = compression(a.compression);
    let dir = &a.output;
    if dir.exists() && !dir.is_dir() {
        return Err(usage(anyhow::anyhow!(
            "`{}` is not a folder; a schema of linked tables writes one file per table\n    hint: name a folder (it is created when missing)",
            dir.display()
        )));
    }
    let created = !dir.exists();
    let targets: Vec<PathBuf> = db
        .tables
        .iter()
        .map(|t| dir.join(format!("{}.parquet", t.name())))
        .collect();
    let synth =
        fairsynth::synth::linked::LinkedSynthesizer::new(&db, seed).map_err(|e| Failure {
            code: 2,
            error: e.into(),
        })?;
    if created {
        std::fs::create_dir_all(dir)
            .map_err(|e| anyhow::anyhow!("cannot create the folder `{}`: {e}", dir.display()))?;
    }
    let result = (|| -> Result<Vec<u64>, Failure> {
        let outs: Vec<Option<&PathBuf>> = targets.iter().map(Some).collect();
        guard_outputs(&outs, &[Some(&a.schema), a.keys.keys.as_ref()])?;
        let mut command_line: Vec<String> = vec![
            "fairsynth".into(),
            "synth".into(),
            "--schema".into(),
            a.schema.display().to_string(),
            "--seed".into(),
            seed.to_string(),
            "--compression".into(),
            compression.name().into(),
        ];
        if let Some(f) = a.scale {
            command_line.extend(["--scale".into(), f.to_string()]);
        }
        let provenance = |i: usize| {
            synth.provenance(
                i,
                &command_line,
                serde_json::json!({ "compression": compression.name() }),
            )
        };
        let bar = progress_bar(0, a.quiet);
        let pool = thread_pool(a.threads)?;
        let rows = pool.install(|| {
            synth.write_folder(
                dir,
                &|| fairsynth::io::writer_properties(compression),
                &provenance,
                &|done| bar.set_position(done),
            )
        })?;
        bar.finish_and_clear();
        Ok(rows)
    })();
    let rows = match result {
        Ok(r) => r,
        Err(e) => {
            if created {
                // Only an empty folder this run made goes; a temporary file still inside
                // (removed when the transaction drops) keeps it, and the next run reuses it.
                let _ = std::fs::remove_dir(dir);
            }
            return Err(e);
        }
    };
    if !a.quiet {
        let shown: Vec<String> = db
            .tables
            .iter()
            .zip(&rows)
            .map(|(t, r)| format!("{} {r}", t.name()))
            .collect();
        eprintln!(
            "wrote {} tables to {}: {} rows",
            db.tables.len(),
            dir.display(),
            shown.join(", ")
        );
    }
    Ok(())
}

/// A progress bar on stderr when it is a terminal; hidden otherwise or with `--quiet`.
fn progress_bar(total: u64, quiet: bool) -> indicatif::ProgressBar {
    if quiet || !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(total);
    if let Ok(style) =
        indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} rows  {per_sec}  eta {eta}")
    {
        bar.set_style(style);
    }
    bar
}
