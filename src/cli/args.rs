//! The command line's arguments: one clap struct per command, their value enums and
//! parsers. The commands that run them are in `main.rs`.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

use super::examples;

// No doc comment here: clap would make it the long help, over `about`.
#[derive(Parser)]
#[command(
    name = "fairsynth",
    version,
    about = "Reweight, synthesise and de-identify tabular training data; always writes Parquet.",
    after_help = examples::TOP
)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Subcommand)]
pub(crate) enum Command {
    /// Generate a synthetic table from a schema and write it as Parquet.
    #[command(after_help = examples::SYNTH)]
    Synth(SynthArgs),
    /// Reweight a real table to target marginals (raking), optionally repairing label bias.
    #[command(after_help = examples::REWEIGHT)]
    Reweight(ReweightArgs),
    /// Fit a model (Bayesian network) of a real table, optionally differentially private.
    #[command(after_help = examples::FIT)]
    Fit(FitArgs),
    /// Sample a synthetic table from a fitted model, with target shares and label parity.
    #[command(after_help = examples::SAMPLE)]
    Sample(SampleArgs),
    /// Drop or pseudonymise identifiers, apply consent, generalise quasi-identifiers to k-anonymity.
    #[command(after_help = examples::DEIDENTIFY)]
    Deidentify(DeidentifyArgs),
    /// Profile a table, detect identifiers, and draft a schema for review.
    #[command(after_help = examples::INSPECT)]
    Inspect(InspectArgs),
    /// Measure a synthetic table against the real one: fidelity, utility, privacy, fairness.
    #[command(after_help = examples::EVALUATE)]
    Evaluate(EvaluateArgs),
    /// Examine a real training table: representation, parity, proxies, identifiers, quality, drift.
    #[command(after_help = examples::AUDIT)]
    Audit(AuditArgs),
    /// Work with schema files.
    Schema {
        #[command(subcommand)]
        command: SchemaCommand,
    },
    /// Write shell completions for fairsynth to standard output.
    #[command(after_help = examples::COMPLETIONS)]
    Completions {
        /// The shell to complete in.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Write the manual pages (roff): one per command, into a folder.
    #[command(after_help = examples::MAN)]
    Man {
        /// The folder to write the pages into (made when missing; pages there are replaced).
        dir: PathBuf,
    },
}

#[derive(Subcommand)]
pub(crate) enum SchemaCommand {
    /// Validate schema files, reporting every error with file, line, column and key path.
    #[command(after_help = examples::SCHEMA_CHECK)]
    Check {
        /// Schema files (.yaml or .yml).
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
}

#[derive(Clone, Copy, ValueEnum)]
pub(crate) enum DpMechanismArg {
    /// Gaussian noise, zero-concentrated DP converted to (epsilon, delta).
    Gaussian,
    /// Laplace noise, pure epsilon-DP.
    Laplace,
}

#[derive(Clone, Copy, ValueEnum)]
pub(crate) enum FormatArg {
    /// Delimited text (also .tsv and gzip-compressed .csv.gz).
    Csv,
    /// Apache Parquet.
    Parquet,
    /// Excel workbook.
    Xlsx,
    /// Excel 97-2003 workbook.
    Xls,
    /// OpenDocument spreadsheet.
    Ods,
}

/// A thousands separator, or none (`--thousands none`).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Thousands(pub(crate) Option<char>);

fn thousands(s: &str) -> Result<Thousands, String> {
    fairsynth::schema::parse_thousands(s).map(Thousands)
}

fn encoding(s: &str) -> Result<&'static encoding_rs::Encoding, String> {
    fairsynth::schema::parse_encoding(s)
}

/// Master keys for encrypted Parquet, on every command that reads or writes Parquet.
#[derive(clap::Args, Clone, Default)]
#[command(next_help_heading = "Encrypted Parquet (master keys)")]
pub(crate) struct KeysArgs {
    /// Master keys for encrypted Parquet: a file of `ID: BASE64` lines (16- or 32-byte AES
    /// keys). Keys not in it are taken from the environment variables FAIRSYNTH_KEY_<ID>.
    #[arg(long = "keys", value_name = "FILE")]
    pub(crate) keys: Option<PathBuf>,
}

/// The access policy of a written Parquet file, over the schema's `encryption:` section.
#[derive(clap::Args, Clone, Default)]
#[command(
    next_help_heading = "Encrypted Parquet (access policy; default: the schema's `encryption:`)"
)]
pub(crate) struct EncryptArgs {
    /// Encrypt columns under a master key: KEY=SELECTOR[,SELECTOR...], a selector being a
    /// column name (for `reweight`, also the weight column it adds) or `role:NAME` (e.g.
    /// `--encrypt auditor=role:protected`). Repeatable;
    /// replaces the schema's `encryption.keys`. With linked tables the flags apply to every
    /// table, and `table.column` names one table's column.
    #[arg(long, value_name = "KEY=COLUMNS")]
    pub(crate) encrypt: Vec<String>,
    /// The master key ID guarding the footer (the file's metadata).
    #[arg(long, value_name = "KEY")]
    pub(crate) footer_key: Option<String>,
    /// Plaintext (signed) footer: readers without the footer key still read the columns not
    /// encrypted.
    #[arg(long)]
    pub(crate) plaintext_footer: bool,
}

/// How the input file is written, on every command that reads a table: each flag wins over the
/// schema's `input:` section, which wins over what is detected from the file.
#[derive(clap::Args, Clone, Default)]
#[command(next_help_heading = "How the input is written (default: detected)")]
pub(crate) struct DialectArgs {
    /// CSV field delimiter: `,` `;` `|` `tab` or another character.
    #[arg(long, value_name = "CHAR", value_parser = fairsynth::schema::parse_delimiter)]
    pub(crate) delimiter: Option<u8>,
    /// Decimal mark of numbers written as text: `.` or `,`.
    #[arg(long, value_name = "MARK", value_parser = fairsynth::schema::parse_decimal)]
    pub(crate) decimal: Option<char>,
    /// Thousands separator of numbers written as text: `.` `,` `space` `'` or `none`.
    #[arg(long, value_name = "SEP", value_parser = thousands)]
    pub(crate) thousands: Option<Thousands>,
    /// Date format, e.g. `dd.mm.yyyy`, `dd/mm/yyyy`, `mm/dd/yyyy` (ISO dates are always read).
    #[arg(long, value_name = "FORMAT", value_parser = fairsynth::schema::DateFormat::parse)]
    pub(crate) date_format: Option<fairsynth::schema::DateFormat>,
    /// Timestamp format, e.g. `dd.mm.yyyy hh:mm:ss` (default: the date format and a time).
    #[arg(long, value_name = "FORMAT", value_parser = fairsynth::schema::parse_timestamp_format)]
    pub(crate) timestamp_format: Option<fairsynth::schema::DateFormat>,
    /// Text encoding of a CSV file, e.g. `utf-8`, `windows-1252`, `latin-1`.
    #[arg(long, value_name = "NAME", value_parser = encoding)]
    pub(crate) encoding: Option<&'static encoding_rs::Encoding>,
    /// The sheet of a workbook to read: its name, or its number (1 is the first; default: the first sheet, or the first with data rows when the first has none).
    #[arg(long, value_name = "NAME|N")]
    pub(crate) sheet: Option<String>,
}

impl DialectArgs {
    /// The stated options.
    pub(crate) fn options(&self) -> fairsynth::schema::InputOptions {
        fairsynth::schema::InputOptions {
            delimiter: self.delimiter,
            decimal: self.decimal,
            thousands: self.thousands.map(|t| t.0),
            date_format: self.date_format,
            timestamp_format: self.timestamp_format,
            encoding: self.encoding,
            sheet: self.sheet.clone(),
        }
    }

    /// The flags as given, for the command line recorded in provenance.
    pub(crate) fn words(&self) -> Vec<String> {
        let mut w = Vec::new();
        let mut put = |flag: &str, v: Option<String>| {
            if let Some(v) = v {
                w.extend([flag.to_string(), v]);
            }
        };
        put(
            "--delimiter",
            self.delimiter.map(|d| {
                if d == b'\t' {
                    "tab".into()
                } else {
                    char::from(d).to_string()
                }
            }),
        );
        put("--decimal", self.decimal.map(String::from));
        put(
            "--thousands",
            self.thousands.map(|t| match t.0 {
                None => "none".into(),
                Some(' ') => "space".into(),
                Some(c) => c.to_string(),
            }),
        );
        put("--date-format", self.date_format.map(|f| f.name()));
        put(
            "--timestamp-format",
            self.timestamp_format
                .map(|f| format!("{} hh:mm:ss", f.name())),
        );
        put(
            "--encoding",
            self.encoding.map(fairsynth::schema::encoding_name),
        );
        put("--sheet", self.sheet.clone());
        w
    }
}

#[derive(clap::Args)]
pub(crate) struct ReweightArgs {
    /// Input table (.csv/.tsv/.csv.gz with a header, .parquet, .xlsx, .xls or .ods).
    pub(crate) input: PathBuf,
    /// Schema describing the input's columns (.yaml or .yml).
    #[arg(long, value_name = "FILE")]
    pub(crate) schema: PathBuf,
    /// Targets file (`column: {level: share}`); default: the schema's `targets`.
    #[arg(long, value_name = "FILE")]
    pub(crate) targets: Option<PathBuf>,
    /// Output Parquet file: the input rows plus a weight column (or a resample).
    #[arg(short, long, value_name = "FILE")]
    pub(crate) output: PathBuf,
    /// Input format, when the extension does not say.
    #[arg(long, value_enum)]
    pub(crate) format: Option<FormatArg>,
    /// Write N rows drawn with probability proportional to weight (systematic sampling); 0
    /// writes an empty table with the output's columns, like `--rows 0` of `synth`.
    #[arg(long, value_name = "N")]
    pub(crate) resample: Option<u64>,
    /// Seed for --resample (default: the schema's `seed`, else 0).
    #[arg(long, value_name = "N")]
    pub(crate) seed: Option<u64>,
    /// Upper weight bound, relative to the mean weight (e.g. 5).
    #[arg(long, value_name = "X")]
    pub(crate) max_weight: Option<f64>,
    /// Lower weight bound, relative to the mean weight (e.g. 0.2).
    #[arg(long, value_name = "X")]
    pub(crate) min_weight: Option<f64>,
    /// Stop when every share is within this of its target.
    #[arg(long, value_name = "X", default_value_t = 1e-10)]
    pub(crate) tolerance: f64,
    /// Stop after this many sweeps over the margins.
    #[arg(long, value_name = "N", default_value_t = 1000)]
    pub(crate) max_iterations: usize,
    /// Do not make the label independent of the protected columns (report parity only).
    #[arg(long)]
    pub(crate) no_parity: bool,
    /// Start every row at weight 1, ignoring the schema's `weight` column.
    #[arg(long)]
    pub(crate) no_start_weights: bool,
    /// Write identifier-role columns (left out by default).
    #[arg(long)]
    pub(crate) keep_identifiers: bool,
    /// Name of the weight column written.
    #[arg(long, value_name = "NAME", default_value = "weight")]
    pub(crate) weight_column: String,
    /// Write the full report as JSON here.
    #[arg(long, value_name = "FILE")]
    pub(crate) report: Option<PathBuf>,
    /// Write a readable report here: one self-contained HTML page with charts.
    #[arg(long, value_name = "FILE")]
    pub(crate) html: Option<PathBuf>,
    /// Parquet compression.
    #[arg(long, value_enum, default_value = "zstd")]
    pub(crate) compression: CompressionArg,
    /// Worker threads (default: all cores). The output is identical for any value.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    pub(crate) threads: Option<u16>,
    /// No summary on stderr.
    #[arg(short, long)]
    pub(crate) quiet: bool,
    #[command(flatten)]
    pub(crate) dialect: DialectArgs,
    #[command(flatten)]
    pub(crate) keys: KeysArgs,
    #[command(flatten)]
    pub(crate) encryption: EncryptArgs,
}

#[derive(clap::Args)]
pub(crate) struct FitArgs {
    /// Input table (.csv/.tsv/.csv.gz with a header, .parquet, .xlsx, .xls or .ods).
    pub(crate) input: PathBuf,
    /// Schema describing the input's columns (.yaml or .yml).
    #[arg(long, value_name = "FILE")]
    pub(crate) schema: PathBuf,
    /// Output model file (JSON).
    #[arg(short, long, value_name = "FILE")]
    pub(crate) output: PathBuf,
    /// Input format, when the extension does not say.
    #[arg(long, value_enum)]
    pub(crate) format: Option<FormatArg>,
    /// Differential privacy budget: (epsilon, delta)-DP from zero-concentrated DP with
    /// Gaussian noise on the label's tables and a private tree of three-way tables (or pure
    /// epsilon-DP with --dp-mechanism laplace). Categories and numeric bounds must then come
    /// from the schema.
    #[arg(long, value_name = "E")]
    pub(crate) epsilon: Option<f64>,
    /// The delta of (epsilon, delta)-DP under the Gaussian mechanism.
    #[arg(long, value_name = "D", default_value_t = fairsynth::model::DEFAULT_DELTA, requires = "epsilon")]
    pub(crate) delta: f64,
    /// The noise of a private fit: gaussian (zCDP, reported as epsilon and delta) or laplace
    /// (pure epsilon-DP, delta 0, noisier at the same epsilon).
    #[arg(long, value_enum, default_value = "gaussian", requires = "epsilon")]
    pub(crate) dp_mechanism: DpMechanismArg,
    /// Linked tables under --epsilon: children kept per parent per relationship (the first by
    /// date; later ones are dropped before fitting). Public, part of the privacy unit: one
    /// person is a root row with at most N children, N*N grandchildren, ...
    #[arg(long, value_name = "N", requires = "epsilon")]
    pub(crate) max_children: Option<usize>,
    /// Seed of the fit: it picks the rows held out to choose the network's structure, and the
    /// noise of a private fit (default: the schema's `seed`, else 0).
    #[arg(long, value_name = "N")]
    pub(crate) seed: Option<u64>,
    /// Categories seen in fewer rows are merged into `(other)`; intervals hold at least this
    /// many rows.
    #[arg(long, value_name = "N", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..))]
    pub(crate) min_count: u64,
    /// Bins per numeric column.
    #[arg(long, value_name = "N", default_value_t = 20, value_parser = clap::value_parser!(u64).range(1..=1000))]
    pub(crate) bins: u64,
    /// Most parents per column in the network.
    #[arg(long, value_name = "N", default_value_t = 3)]
    pub(crate) max_parents: usize,
    /// Largest table (cells) of the model's head or of any column: bounds the model's size and
    /// memory. Under --epsilon it also bounds the private tree's tables (at most 65,536).
    #[arg(long, value_name = "N", default_value_t = 1 << 20, value_parser = clap::value_parser!(u64).range(1..=1 << 32))]
    pub(crate) max_cells: u64,
    /// Worker threads (default: all cores). The model is identical for any value.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    pub(crate) threads: Option<u16>,
    /// No summary on stderr.
    #[arg(short, long)]
    pub(crate) quiet: bool,
    #[command(flatten)]
    pub(crate) dialect: DialectArgs,
    #[command(flatten)]
    pub(crate) keys: KeysArgs,
}

#[derive(clap::Args)]
pub(crate) struct SampleArgs {
    /// Model file written by `fairsynth fit`.
    pub(crate) model: PathBuf,
    /// Rows to sample (default: the fitted table's row count).
    #[arg(long, value_name = "N")]
    pub(crate) rows: Option<u64>,
    /// A model of linked tables: multiply every root table's fitted rows by F (children follow
    /// their parents).
    #[arg(long, value_name = "F")]
    pub(crate) scale: Option<f64>,
    /// Targets file (`column: {level: share}`) for protected, label or target columns.
    #[arg(long, value_name = "FILE", conflicts_with = "schema_targets")]
    pub(crate) targets: Option<PathBuf>,
    /// Use the targets in the model's schema.
    #[arg(long)]
    pub(crate) schema_targets: bool,
    /// Keep the label's dependence on the protected columns, ignoring the schema's `fairness`.
    #[arg(long)]
    pub(crate) no_fairness: bool,
    /// Seed (default: the schema's `seed`, else 0).
    #[arg(long, value_name = "N")]
    pub(crate) seed: Option<u64>,
    /// Worker threads (default: all cores). The output is identical for any value.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    pub(crate) threads: Option<u16>,
    /// Parquet compression.
    #[arg(long, value_enum, default_value = "zstd")]
    pub(crate) compression: CompressionArg,
    /// Output Parquet file (written to a temporary file and renamed when complete).
    #[arg(short, long, value_name = "FILE")]
    pub(crate) output: PathBuf,
    /// Write the sampling report (targets, parity) as JSON here.
    #[arg(long, value_name = "FILE")]
    pub(crate) report: Option<PathBuf>,
    /// Write a readable report here: one self-contained HTML page with charts.
    #[arg(long, value_name = "FILE")]
    pub(crate) html: Option<PathBuf>,
    /// No summary on stderr.
    #[arg(short, long)]
    pub(crate) quiet: bool,
    #[command(flatten)]
    pub(crate) keys: KeysArgs,
    #[command(flatten)]
    pub(crate) encryption: EncryptArgs,
}

#[derive(clap::Args)]
pub(crate) struct EvaluateArgs {
    /// The real table (.csv with a header, or .parquet).
    #[arg(long, value_name = "FILE")]
    pub(crate) real: PathBuf,
    /// The synthetic table (.csv or .parquet).
    #[arg(long, value_name = "FILE")]
    pub(crate) synthetic: PathBuf,
    /// Schema describing both tables' columns (.yaml or .yml).
    #[arg(long, value_name = "FILE")]
    pub(crate) schema: PathBuf,
    /// Real rows the synthesiser did not see (.csv or .parquet): the test set for utility and
    /// the baseline for distance to closest record.
    #[arg(long, value_name = "FILE")]
    pub(crate) holdout: Option<PathBuf>,
    /// Targets file (`column: {level: share}`) the synthetic table was drawn to: fidelity is
    /// also measured against the real table reweighted to them, and the fidelity gates judge
    /// those figures (default: the targets `sample` recorded in the synthetic Parquet file).
    #[arg(long, value_name = "FILE", conflicts_with = "no_targets")]
    pub(crate) targets: Option<PathBuf>,
    /// Ignore the targets recorded in the synthetic file: plain figures only.
    #[arg(long)]
    pub(crate) no_targets: bool,
    /// Write the full report as JSON here.
    #[arg(long, value_name = "FILE")]
    pub(crate) report: Option<PathBuf>,
    /// Write a readable report here: one self-contained HTML page with charts.
    #[arg(long, value_name = "FILE")]
    pub(crate) html: Option<PathBuf>,
    /// Override a quality gate of the schema, e.g. `max_exact_copies=0.05` (repeatable).
    #[arg(long, value_name = "KEY=VALUE")]
    pub(crate) threshold: Vec<String>,
    /// Seed for the train/test split and row samples (default: the schema's `seed`, else 0).
    #[arg(long, value_name = "N")]
    pub(crate) seed: Option<u64>,
    /// Worker threads (default: all cores). The figures are identical for any value.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    pub(crate) threads: Option<u16>,
    /// No summary on stderr.
    #[arg(short, long)]
    pub(crate) quiet: bool,
    #[command(flatten)]
    pub(crate) dialect: DialectArgs,
    #[command(flatten)]
    pub(crate) keys: KeysArgs,
}

#[derive(clap::Args)]
pub(crate) struct AuditArgs {
    /// The table to audit (.csv with a header, or .parquet), or a folder of linked tables (one
    /// file per table, named by its stem) under a schema of linked tables.
    pub(crate) input: PathBuf,
    /// Schema describing the table's columns, roles and gates (.yaml or .yml).
    #[arg(long, value_name = "FILE")]
    pub(crate) schema: PathBuf,
    /// Targets file (`column: {level: share}`); default: the schema's `targets`.
    #[arg(long, value_name = "FILE")]
    pub(crate) targets: Option<PathBuf>,
    /// An earlier audit's JSON report: report what changed, and check `max_drift`.
    #[arg(long, value_name = "FILE")]
    pub(crate) baseline: Option<PathBuf>,
    /// Date the staleness of date and timestamp columns is measured to (default: today, UTC).
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub(crate) as_of: Option<String>,
    /// Input format, when the extension does not say.
    #[arg(long, value_enum)]
    pub(crate) format: Option<FormatArg>,
    /// Write the full report as JSON here.
    #[arg(long, value_name = "FILE")]
    pub(crate) report: Option<PathBuf>,
    /// Write a readable report here: one self-contained HTML page with charts.
    #[arg(long, value_name = "FILE")]
    pub(crate) html: Option<PathBuf>,
    /// Override a gate of the schema's `quality:` block, e.g. `max_proxy_strength=0.5`.
    #[arg(long, value_name = "KEY=VALUE")]
    pub(crate) threshold: Vec<String>,
    /// Worker threads (default: all cores).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    pub(crate) threads: Option<u16>,
    /// No summary on stderr.
    #[arg(short, long)]
    pub(crate) quiet: bool,
    #[command(flatten)]
    pub(crate) dialect: DialectArgs,
    #[command(flatten)]
    pub(crate) keys: KeysArgs,
}

#[derive(clap::Args)]
pub(crate) struct InspectArgs {
    /// Input table (.csv/.tsv/.csv.gz with a header, .parquet, .xlsx, .xls or .ods), or a
    /// folder of tables (one file per table, named by its stem): then keys, foreign keys,
    /// children counts and date rules are found and a relational schema is drafted.
    pub(crate) input: PathBuf,
    /// Schema typing the declared columns (optional).
    #[arg(long, value_name = "FILE")]
    pub(crate) schema: Option<PathBuf>,
    /// Input format, when the extension does not say.
    #[arg(long, value_enum)]
    pub(crate) format: Option<FormatArg>,
    /// Write the full profile as JSON here.
    #[arg(long, value_name = "FILE")]
    pub(crate) report: Option<PathBuf>,
    /// Write a drafted schema with proposed roles here, for a person to review.
    #[arg(long, value_name = "FILE")]
    pub(crate) draft_schema: Option<PathBuf>,
    /// No summary on stderr.
    #[arg(short, long)]
    pub(crate) quiet: bool,
    #[command(flatten)]
    pub(crate) dialect: DialectArgs,
    #[command(flatten)]
    pub(crate) keys: KeysArgs,
}

#[derive(clap::Args)]
pub(crate) struct DeidentifyArgs {
    /// Input table (.csv/.tsv/.csv.gz with a header, .parquet, .xlsx, .xls or .ods).
    pub(crate) input: PathBuf,
    /// Schema declaring the columns to keep, their roles, actions and generalisation levels.
    #[arg(long, value_name = "FILE")]
    pub(crate) schema: PathBuf,
    /// Output Parquet file.
    #[arg(short, long, value_name = "FILE")]
    pub(crate) output: PathBuf,
    /// Input format, when the extension does not say.
    #[arg(long, value_enum)]
    pub(crate) format: Option<FormatArg>,
    /// File holding the pseudonymisation key (default: the environment variable named by
    /// `privacy.key_env`, FAIRSYNTH_KEY unless the schema says otherwise). The file wins over
    /// the variable (with a warning when both are set). From either, trailing whitespace
    /// (such as the newline of `openssl rand -hex 32 > FILE`) is trimmed and the remaining
    /// bytes are the key, at least 16 of them; an empty variable is an error.
    #[arg(long, value_name = "FILE")]
    pub(crate) key_file: Option<PathBuf>,
    /// Write the full report as JSON here.
    #[arg(long, value_name = "FILE")]
    pub(crate) report: Option<PathBuf>,
    /// Write a readable report here: one self-contained HTML page with charts.
    #[arg(long, value_name = "FILE")]
    pub(crate) html: Option<PathBuf>,
    /// Parquet compression.
    #[arg(long, value_enum, default_value = "zstd")]
    pub(crate) compression: CompressionArg,
    /// Worker threads (default: all cores). The output is identical for any value.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    pub(crate) threads: Option<u16>,
    /// No summary on stderr.
    #[arg(short, long)]
    pub(crate) quiet: bool,
    #[command(flatten)]
    pub(crate) dialect: DialectArgs,
    #[command(flatten)]
    pub(crate) keys: KeysArgs,
    #[command(flatten)]
    pub(crate) encryption: EncryptArgs,
}

#[derive(Clone, Copy, ValueEnum)]
pub(crate) enum CompressionArg {
    /// Zstandard: the smallest files, fast to read (the default).
    Zstd,
    /// Snappy: larger files, the fastest to write and read.
    Snappy,
    /// Uncompressed.
    None,
}

#[derive(clap::Args)]
pub(crate) struct SynthArgs {
    /// Schema file (.yaml or .yml).
    #[arg(long, value_name = "FILE")]
    pub(crate) schema: PathBuf,
    /// Rows to generate (default: the schema's `rows`). One-table schemas only.
    #[arg(long, value_name = "N")]
    pub(crate) rows: Option<u64>,
    /// Linked tables: multiply every root table's `rows` by this factor (child tables follow
    /// their parents).
    #[arg(long, value_name = "FACTOR", value_parser = parse_scale)]
    pub(crate) scale: Option<f64>,
    /// Seed (default: the schema's `seed`, else 0).
    #[arg(long, value_name = "N")]
    pub(crate) seed: Option<u64>,
    /// Worker threads (default: all cores). The output is identical for any value.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    pub(crate) threads: Option<u16>,
    /// Parquet compression.
    #[arg(long, value_enum, default_value = "zstd")]
    pub(crate) compression: CompressionArg,
    /// Rows per Parquet row group (a multiple of 65536).
    #[arg(long, value_name = "N", default_value_t = fairsynth::synth::DEFAULT_ROW_GROUP_ROWS, value_parser = parse_row_group_rows)]
    pub(crate) row_group_rows: u64,
    /// Output Parquet file; for linked tables, a folder that receives `<table>.parquet` per
    /// table (all written to temporary files and renamed together when complete).
    #[arg(short, long, value_name = "PATH")]
    pub(crate) output: PathBuf,
    /// No progress bar.
    #[arg(short, long)]
    pub(crate) quiet: bool,
    #[command(flatten)]
    pub(crate) keys: KeysArgs,
    #[command(flatten)]
    pub(crate) encryption: EncryptArgs,
}

/// `--scale`: a positive, finite factor.
pub(crate) fn parse_scale(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(x) if x.is_finite() && x > 0.0 => Ok(x),
        Ok(x) => Err(format!("{x} is not a positive factor")),
        Err(e) => Err(e.to_string()),
    }
}

/// `--row-group-rows`: a positive multiple of the generator's block size (the unit in which
/// rows are generated and written).
pub(crate) fn parse_row_group_rows(s: &str) -> Result<u64, String> {
    let block = fairsynth::synth::BLOCK_ROWS as u64;
    match s.parse::<u64>() {
        Ok(n) if n > 0 && n % block == 0 => Ok(n),
        Ok(n) => Err(format!(
            "{n} is not a positive multiple of {block} (the generator's block size)"
        )),
        Err(e) => Err(e.to_string()),
    }
}
