//! The schema: the contract between a user and every fairsynth command.
//!
//! A schema file (YAML) declares the columns of a table (type, role, nullability, bands), how to
//! synthesise each one, the demographic targets, the fairness repair and the privacy policy. This
//! module owns the typed model ([`Schema`]), its decoding from YAML with every error reported at
//! once ([`Schema::from_file`], [`Diagnostics`]) and the cross-column checks.

mod decode;
mod diag;
mod dialect;
mod encryption;
mod formula;
mod place;
mod relational;

use std::path::Path;

use sha2::{Digest, Sha256};

pub use diag::{Diagnostic, Diagnostics, Pos};
pub use dialect::{
    encoding_name, parse_decimal, parse_delimiter, parse_encoding, parse_thousands,
    parse_timestamp_format, DateFormat, DateOrder, InputOptions, DATE_FORMATS,
};
pub use encryption::Encryption;
pub use formula::{Expr, FormulaError};
pub use place::{region_of, PlaceField, REGIONS, STATE_REGIONS};
pub use relational::{Children, Database, ForeignKey, Table};

/// The only schema format version this build understands.
pub const SCHEMA_VERSION: i64 = 1;

/// Errors from loading a schema.
#[derive(Debug, thiserror::Error)]
pub enum SchemaError {
    /// The file could not be read.
    #[error("cannot read schema `{path}`: {source}")]
    Io {
        /// The file as named by the user.
        path: String,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The file is not a schema: unsupported extension.
    #[error("`{path}` is not a schema file: expected a `.yaml` or `.yml` extension")]
    Extension {
        /// The file as named by the user.
        path: String,
    },
    /// The file is not valid YAML.
    #[error("{path}:{line}:{col}: invalid YAML: {message}")]
    Yaml {
        /// The file as named by the user.
        path: String,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        col: usize,
        /// The parser's message.
        message: String,
    },
    /// The YAML is well formed but breaks the schema's rules.
    #[error("{0}")]
    Invalid(Diagnostics),
}

/// A decoded, validated schema.
#[derive(Debug, Clone, PartialEq)]
pub struct Schema {
    /// Format version (always [`SCHEMA_VERSION`]).
    pub version: i64,
    /// Dataset name.
    pub name: String,
    /// Free text.
    pub description: Option<String>,
    /// Default seed for synthesis and resampling (overridden by `--seed`).
    pub seed: Option<u64>,
    /// Default row count for synthesis (overridden by `--rows`).
    pub rows: u64,
    /// Columns in output order.
    pub columns: Vec<Column>,
    /// Target marginal shares, in file order.
    pub targets: Vec<Target>,
    /// Label-independence requirement, if any.
    pub fairness: Option<Fairness>,
    /// Privacy policy (defaults when the key is absent).
    pub privacy: Privacy,
    /// Quality gates for `evaluate` (all unset when the key is absent).
    pub quality: Quality,
    /// How the input file is written (`input:`): what is not stated is detected.
    pub input: InputOptions,
    /// Column-level encryption of every Parquet output (`encryption:`), if any. For a linked
    /// table: its file's policy, the schema's top-level section merged with the table's own.
    pub encryption: Option<Encryption>,
    /// Where the schema came from.
    pub source: Source,
}

/// Where a schema came from: for provenance metadata and error messages.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Source {
    /// The file as the user named it (or `<string>`).
    pub file: String,
    /// Lower-case hex SHA-256 of the file's bytes.
    pub sha256: String,
}

/// One column of the table.
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    /// Column name, unique within the schema.
    pub name: String,
    /// Position of the column's entry in the schema file.
    pub pos: Pos,
    /// Value type.
    pub ty: ColumnType,
    /// What the column means for privacy and fairness: the primary role. Test roles with
    /// [`Column::has_role`], which also sees the quasi-identifier flag below.
    pub role: Role,
    /// Whether the column is (also) a quasi-identifier: `role: quasi_identifier`, or a list
    /// such as `role: [protected, quasi_identifier]`.
    pub quasi_identifier: bool,
    /// Free text.
    pub description: Option<String>,
    /// Whether nulls are allowed (true when `null_share` > 0).
    pub nullable: bool,
    /// Share of nulls to synthesise.
    pub null_share: f64,
    /// Known levels of a categorical column (from `levels`, `shares`, or `true`/`false` for bool).
    pub levels: Option<Vec<String>>,
    /// Numeric bands, usable wherever a categorical column is (targets, dependencies, fairness).
    pub bins: Option<Bins>,
    /// Declared lower bound of a numeric column (truncation for its distribution).
    pub min: Option<f64>,
    /// Declared upper bound of a numeric column (truncation for its distribution).
    pub max: Option<f64>,
    /// How to synthesise the column, if it can be.
    pub generator: Option<GenSpec>,
    /// What de-identification does with the column (`None`: the policy default for its role).
    pub action: Option<Action>,
    /// Generalisation levels for de-identification, least to most general.
    pub generalise: Vec<GenLevel>,
    /// Identifier kinds the detector may find in this column without stopping de-identification.
    pub acknowledge: Vec<String>,
    /// Rows are null unless these columns take these levels (`null_unless:`); where they do,
    /// `null_share` applies. Empty: no condition.
    pub null_unless: Vec<(String, Vec<String>)>,
}

/// Identifier kinds the detectors report, as written in `acknowledge:`.
pub const IDENTIFIER_KINDS: [&str; 14] = [
    "email",
    "phone",
    "iban",
    "payment_card",
    "ip_address",
    "date_of_birth",
    "date",
    "person_name",
    "us_ssn",
    "de_tax_id",
    "postcode",
    "record_id",
    "street_address",
    "unclassified_text",
];

/// One generalisation level of a quasi-identifier.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum GenLevel {
    /// Numbers: bands of `width` (e.g. 30-39), and/or top and bottom coding (`90+`, `<18`).
    Numeric {
        /// Band width.
        width: Option<f64>,
        /// Values below are coded together.
        bottom: Option<f64>,
        /// Values at or above are coded together.
        top: Option<f64>,
    },
    /// Numbers: explicit bands.
    Bands(Bins),
    /// Timestamps (and dates): the calendar day, time of day dropped.
    Day,
    /// Dates and timestamps: year and month.
    Month,
    /// Dates and timestamps: year.
    Year,
    /// Text: the first n characters, the rest masked with `*`.
    Prefix(usize),
    /// Any column: the value is replaced by `*`.
    Suppress,
}

impl Column {
    /// A plain feature column of type `ty` with nothing else declared (no generator, levels,
    /// bounds or policy), for columns made in code.
    pub fn blank(name: &str, ty: ColumnType) -> Column {
        Column {
            name: name.to_string(),
            pos: Pos { line: 1, col: 1 },
            ty,
            role: Role::Feature,
            quasi_identifier: false,
            description: None,
            nullable: false,
            null_share: 0.0,
            levels: None,
            bins: None,
            min: None,
            max: None,
            generator: None,
            action: None,
            generalise: vec![],
            acknowledge: vec![],
            null_unless: vec![],
        }
    }

    /// The categorical levels a column offers to targets, dependencies and fairness: its
    /// levels, or its band labels.
    pub fn categories(&self) -> Option<Vec<String>> {
        if let Some(b) = &self.bins {
            return Some(b.labels.clone());
        }
        self.levels.clone()
    }

    /// Whether the column has `role`: its primary role, or `quasi_identifier` when listed
    /// beside another (`role: [protected, quasi_identifier]`).
    pub fn has_role(&self, role: Role) -> bool {
        self.role == role || (role == Role::QuasiIdentifier && self.quasi_identifier)
    }

    /// Every role of the column, primary first, as the schema spells them.
    pub fn role_names(&self) -> Vec<&'static str> {
        let mut names = vec![self.role.name()];
        if self.quasi_identifier && self.role != Role::QuasiIdentifier {
            names.push(Role::QuasiIdentifier.name());
        }
        names
    }
}

/// Value types. Arrow types: see [`ColumnType::arrow_type`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnType {
    /// UTF-8 text (Arrow Utf8).
    String,
    /// Signed integer (Arrow Int64, or Int32 with `bits: 32`).
    Int {
        /// 32 or 64.
        bits: u8,
    },
    /// Float64.
    Float,
    /// Boolean.
    Bool,
    /// Calendar date (Arrow Date32).
    Date,
    /// Instant, microseconds, UTC (Arrow Timestamp(Microsecond, "UTC")).
    Timestamp,
    /// Categorical text (Arrow Dictionary(Int32, Utf8)).
    Category,
}

impl ColumnType {
    /// The type names accepted in a schema.
    pub const NAMES: [&'static str; 7] = [
        "string",
        "int",
        "float",
        "bool",
        "date",
        "timestamp",
        "category",
    ];

    /// The type's name as a schema writes it (`int` for both widths).
    pub fn name(self) -> &'static str {
        match self {
            ColumnType::String => "string",
            ColumnType::Int { .. } => "int",
            ColumnType::Float => "float",
            ColumnType::Bool => "bool",
            ColumnType::Date => "date",
            ColumnType::Timestamp => "timestamp",
            ColumnType::Category => "category",
        }
    }

    /// The Arrow type fairsynth writes for this column type.
    pub fn arrow_type(self) -> arrow_schema::DataType {
        use arrow_schema::{DataType, TimeUnit};
        match self {
            ColumnType::String => DataType::Utf8,
            ColumnType::Int { bits: 32 } => DataType::Int32,
            ColumnType::Int { .. } => DataType::Int64,
            ColumnType::Float => DataType::Float64,
            ColumnType::Bool => DataType::Boolean,
            ColumnType::Date => DataType::Date32,
            ColumnType::Timestamp => DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
            ColumnType::Category => {
                DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Utf8))
            }
        }
    }

    /// Whether values are numbers (and so may carry `bins`, `distribution`, `min`/`max`).
    pub fn is_numeric(self) -> bool {
        matches!(self, ColumnType::Int { .. } | ColumnType::Float)
    }
}

/// What a column means; drives privacy defaults and fairness metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Directly identifies a person (name, e-mail, customer id): dropped by default.
    Identifier,
    /// Identifies in combination (birth date, postcode): generalised, counted for k-anonymity.
    QuasiIdentifier,
    /// Protected attribute (sex, race, age band): targets and fairness metrics.
    Protected,
    /// The outcome a model learns.
    Label,
    /// Any other attribute.
    Feature,
    /// Survey or design weight: start weights for raking.
    Weight,
    /// Consent flag: rows without consent are excluded by de-identification.
    Consent,
}

impl Role {
    /// The role names accepted in a schema.
    pub const NAMES: [&'static str; 7] = [
        "identifier",
        "quasi_identifier",
        "protected",
        "label",
        "feature",
        "weight",
        "consent",
    ];

    /// The role a schema spelling names.
    pub fn from_name(name: &str) -> Option<Role> {
        [
            Role::Identifier,
            Role::QuasiIdentifier,
            Role::Protected,
            Role::Label,
            Role::Feature,
            Role::Weight,
            Role::Consent,
        ]
        .into_iter()
        .find(|r| r.name() == name)
    }

    /// The schema spelling.
    pub fn name(self) -> &'static str {
        match self {
            Role::Identifier => "identifier",
            Role::QuasiIdentifier => "quasi_identifier",
            Role::Protected => "protected",
            Role::Label => "label",
            Role::Feature => "feature",
            Role::Weight => "weight",
            Role::Consent => "consent",
        }
    }
}

/// Numeric bands: value `v` is in band `i` when `edges[i] <= v < edges[i+1]`; the last band
/// also includes its upper edge.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Bins {
    /// Strictly increasing edges, at least two.
    pub edges: Vec<f64>,
    /// One label per band (`edges.len() - 1`).
    pub labels: Vec<String>,
}

impl Bins {
    /// The band index of `v`, or `None` when it lies outside the edges (or is NaN).
    pub fn band(&self, v: f64) -> Option<usize> {
        let last = *self.edges.last()?;
        if !(v >= self.edges[0] && v <= last) {
            return None;
        }
        // Number of edges <= v, minus one; the top edge belongs to the last band.
        let i = self.edges.partition_point(|e| *e <= v);
        Some((i - 1).min(self.labels.len() - 1))
    }
}

/// A column's synthesis recipe: a base generator, optionally varied by earlier columns.
#[derive(Debug, Clone, PartialEq)]
pub struct GenSpec {
    /// Used for rows that match no case.
    pub base: Generator,
    /// Earlier columns whose values select a case (categorical, bool or binned numeric).
    pub depends_on: Vec<String>,
    /// First matching case wins.
    pub cases: Vec<Case>,
    /// A lower bound taken from another column (`after:`), held by construction.
    pub after: Option<After>,
}

/// A lower bound from another column: this column's value is at least `column + amount unit`.
#[derive(Debug, Clone, PartialEq)]
pub struct After {
    /// The column (of this table, or `table.column` of an ancestor).
    pub column: String,
    /// The offset added to it.
    pub amount: i64,
    /// Unit of the offset: days, months, ... for dates and timestamps; `None` for numbers.
    pub unit: Option<TimeUnit>,
}

/// Units of offsets and elapsed times.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeUnit {
    /// Seconds.
    Seconds,
    /// Minutes.
    Minutes,
    /// Hours.
    Hours,
    /// Days.
    Days,
    /// Calendar months (the day of month kept, clamped to the month's length).
    Months,
    /// Calendar years.
    Years,
}

impl TimeUnit {
    /// The unit names accepted in a schema.
    pub const NAMES: [&'static str; 6] = ["seconds", "minutes", "hours", "days", "months", "years"];

    /// The unit a schema spelling names.
    pub fn from_name(name: &str) -> Option<TimeUnit> {
        Some(match name {
            "seconds" => TimeUnit::Seconds,
            "minutes" => TimeUnit::Minutes,
            "hours" => TimeUnit::Hours,
            "days" => TimeUnit::Days,
            "months" => TimeUnit::Months,
            "years" => TimeUnit::Years,
            _ => return None,
        })
    }

    /// Microseconds in one unit, for the fixed-length units.
    pub fn micros(self) -> Option<i64> {
        Some(match self {
            TimeUnit::Seconds => 1_000_000,
            TimeUnit::Minutes => 60_000_000,
            TimeUnit::Hours => 3_600_000_000,
            TimeUnit::Days => 86_400_000_000,
            _ => return None,
        })
    }
}

/// Where an elapsed time ends: a column or a fixed date.
#[derive(Debug, Clone, PartialEq)]
pub enum Endpoint {
    /// Another column.
    Column(String),
    /// A fixed instant, microseconds since 1970-01-01T00:00:00Z.
    Instant(i64),
}

/// Aggregates of a child table's rows per parent row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Aggregate {
    /// Number of children.
    Count,
    /// Sum of a child column.
    Sum,
    /// Smallest child value.
    Min,
    /// Largest child value.
    Max,
}

/// A variant of a generator for rows whose earlier columns take given values.
#[derive(Debug, Clone, PartialEq)]
pub struct Case {
    /// Column -> accepted levels; a row matches when every listed column takes one of them.
    pub when: Vec<(String, Vec<String>)>,
    /// The generator for matching rows (the base with this case's overrides applied).
    pub generator: Generator,
    /// Position of the case in the file.
    pub pos: Pos,
}

/// How values are drawn.
#[derive(Debug, Clone, PartialEq)]
pub enum Generator {
    /// Levels with shares (category or string columns).
    Categorical(Vec<(String, f64)>),
    /// `true` with this probability (bool columns).
    Bernoulli(f64),
    /// A numeric distribution, truncated to `[min, max]` and rounded (int and float columns).
    Numeric {
        /// The distribution.
        dist: Dist,
        /// Lower truncation bound.
        min: Option<f64>,
        /// Upper truncation bound.
        max: Option<f64>,
        /// Decimal places for floats (ints always round to whole numbers).
        round: Option<u32>,
    },
    /// Uniform calendar dates in `[min, max]`, as days since 1970-01-01.
    Dates {
        /// First day.
        min: i32,
        /// Last day.
        max: i32,
    },
    /// Uniform instants in `[min, max]`, as microseconds since 1970-01-01T00:00:00Z.
    Timestamps {
        /// First instant.
        min: i64,
        /// Last instant.
        max: i64,
    },
    /// `start, start + step, ...` by row number (int columns), optionally with a text prefix
    /// (string columns).
    Sequence {
        /// First value.
        start: i64,
        /// Increment per row.
        step: i64,
        /// Text put before the number for string columns.
        prefix: String,
    },
    /// Random (version 4) UUIDs from the seeded stream.
    Uuid,
    /// Text from a pattern: `#` digit, `?` upper-case letter, `*` letter or digit, `\` escapes.
    Pattern(String),
    /// Synthetic person names from word lists.
    PersonName {
        /// Word-list locale.
        locale: Locale,
        /// Full name, first or last.
        part: NamePart,
        /// A categorical column whose levels choose female or male given names.
        sex_column: Option<String>,
    },
    /// Synthetic e-mail addresses on reserved domains (RFC 2606), from a name column if given.
    Email {
        /// Word-list locale for invented local parts.
        locale: Locale,
        /// An earlier string column to derive the local part from.
        from: Option<String>,
    },
    /// Synthetic phone numbers in the locale's format (fictional ranges where the locale has one).
    Phone {
        /// Number format.
        locale: Locale,
        /// A shared place draw (`en` only): the area code is one of that place's.
        place: Option<String>,
    },
    /// Synthetic street addresses.
    Address {
        /// Address format and word lists.
        locale: Locale,
        /// A shared place draw (`en` only): city, state and ZIP are that place's.
        place: Option<String>,
    },
    /// One field of a real US place, drawn once per row for every column naming the same
    /// `place`, so that city, state, ZIP, region and area code agree within a row.
    Place {
        /// The shared draw's name.
        place: String,
        /// Which field of the place.
        field: PlaceField,
    },
    /// A birth date consistent with an earlier age column: `reference - age years - U[0, 1 year)`.
    BirthDate {
        /// The int column holding ages in whole years.
        age_column: String,
        /// The date ages are counted to, as days since 1970-01-01.
        reference: i32,
    },
    /// Another column plus a drawn offset (`delivered_at = shipped_at + 1..5 days`): never
    /// before `from + min`, never after `from + max`.
    Offset {
        /// The column the offset is added to.
        from: String,
        /// Unit for dates and timestamps; `None` for numbers.
        unit: Option<TimeUnit>,
        /// The offset's distribution (uniform on `[min, max]` when not given).
        dist: Dist,
        /// Smallest offset.
        min: f64,
        /// Largest offset.
        max: f64,
    },
    /// Whole units elapsed between a date or timestamp column and an endpoint (`tenure_months`
    /// from `signed_up_at` to a reference date), never negative.
    Elapsed {
        /// The start.
        from: String,
        /// The end.
        to: Endpoint,
        /// Days, months, years, ...
        unit: TimeUnit,
    },
    /// Arithmetic on numeric columns (`quantity * unit_price`), rounded as declared.
    Formula {
        /// The parsed expression.
        expr: Expr,
        /// Decimal places for floats.
        round: Option<u32>,
    },
    /// An aggregate of a child table's rows per row of this table (`count(orders)`,
    /// `sum(order_lines.amount)`).
    Aggregate {
        /// The child table.
        table: String,
        /// The child's foreign key to this table (when it has several).
        key: Option<String>,
        /// What is computed.
        function: Aggregate,
        /// The child column summed (not for `count`).
        column: Option<String>,
    },
    /// Filled in by the linked-table generator: a foreign key, or another table's column that
    /// this table's generators read. Not written in schemas.
    External,
}

impl GenSpec {
    /// The other columns this recipe reads: `depends_on`, the columns of its cases, and the
    /// columns its generators take values from (`sex_column`, `from`, `age_column`).
    pub fn references(&self) -> Vec<&str> {
        let mut out: Vec<&str> = self.depends_on.iter().map(String::as_str).collect();
        for case in &self.cases {
            out.extend(case.when.iter().map(|(c, _)| c.as_str()));
        }
        for g in std::iter::once(&self.base).chain(self.cases.iter().map(|c| &c.generator)) {
            match g {
                Generator::PersonName {
                    sex_column: Some(c),
                    ..
                }
                | Generator::Email { from: Some(c), .. }
                | Generator::BirthDate { age_column: c, .. }
                | Generator::Offset { from: c, .. } => out.push(c),
                Generator::Elapsed { from, to, .. } => {
                    out.push(from);
                    if let Endpoint::Column(c) = to {
                        out.push(c);
                    }
                }
                Generator::Formula { expr, .. } => out.extend(expr.columns()),
                _ => {}
            }
        }
        if let Some(a) = &self.after {
            out.push(&a.column);
        }
        out.sort_unstable();
        out.dedup();
        out
    }
}

impl Generator {
    /// The generator kinds accepted under `generator: {kind: ...}`.
    pub const KINDS: [&'static str; 16] = [
        "sequence",
        "uuid",
        "pattern",
        "person_name",
        "email",
        "phone",
        "address",
        "birth_date",
        "offset",
        "elapsed",
        "formula",
        "count",
        "sum",
        "min",
        "max",
        "place",
    ];
}

/// Numeric distributions (parameters as in their usual textbook form).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Dist {
    /// Uniform on `[low, high)`.
    Uniform {
        /// Lower end.
        low: f64,
        /// Upper end.
        high: f64,
    },
    /// Normal with mean and standard deviation.
    Normal {
        /// Mean.
        mean: f64,
        /// Standard deviation (> 0).
        sd: f64,
    },
    /// `exp(Normal(mu, sigma))`.
    LogNormal {
        /// Mean of the log.
        mu: f64,
        /// Standard deviation of the log (> 0).
        sigma: f64,
    },
    /// Gamma with shape k and scale theta (mean k * theta).
    Gamma {
        /// Shape (> 0).
        shape: f64,
        /// Scale (> 0).
        scale: f64,
    },
    /// Beta on [0, 1], optionally stretched to `[low, high]`.
    Beta {
        /// First shape (> 0).
        alpha: f64,
        /// Second shape (> 0).
        beta: f64,
        /// Left end after stretching.
        low: f64,
        /// Right end after stretching.
        high: f64,
    },
    /// Poisson counts with mean lambda.
    Poisson {
        /// Mean (> 0).
        lambda: f64,
    },
    /// Exponential with rate (mean 1 / rate).
    Exponential {
        /// Rate (> 0).
        rate: f64,
    },
}

impl Dist {
    /// The distribution names accepted in a schema.
    pub const KINDS: [&'static str; 7] = [
        "uniform",
        "normal",
        "lognormal",
        "gamma",
        "beta",
        "poisson",
        "exponential",
    ];

    /// The untruncated mean.
    pub fn mean(&self) -> f64 {
        match *self {
            Dist::Uniform { low, high } => (low + high) / 2.0,
            Dist::Normal { mean, .. } => mean,
            Dist::LogNormal { mu, sigma } => (mu + sigma * sigma / 2.0).exp(),
            Dist::Gamma { shape, scale } => shape * scale,
            Dist::Beta {
                alpha,
                beta,
                low,
                high,
            } => low + (high - low) * alpha / (alpha + beta),
            Dist::Poisson { lambda } => lambda,
            Dist::Exponential { rate } => 1.0 / rate,
        }
    }
}

/// Word-list and format locale for identifier-like generators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Locale {
    /// English (US formats).
    En,
    /// German.
    De,
}

impl Locale {
    /// The locale names accepted in a schema.
    pub const NAMES: [&'static str; 2] = ["en", "de"];
}

/// Which part of a person name to generate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NamePart {
    /// "First Last".
    Full,
    /// Given name.
    First,
    /// Family name.
    Last,
}

/// A target marginal: the shares a column's levels (or bands) should have.
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    /// The column.
    pub column: String,
    /// Level -> share, normalised to sum to 1, in file order.
    pub shares: Vec<(String, f64)>,
    /// Position in the file.
    pub pos: Pos,
}

/// The label-independence requirement.
#[derive(Debug, Clone, PartialEq)]
pub struct Fairness {
    /// The label column.
    pub label: String,
    /// Protected columns the label must not depend on (jointly: intersectional groups).
    pub independent_of: Vec<String>,
    /// The favourable label level for parity metrics (default: see [`favourable_level`]).
    pub favourable: Option<String>,
    /// Position in the file.
    pub pos: Pos,
}

/// The favourable level of a label, the one rule `reweight`, `sample` and `evaluate` share:
/// `favourable` when the schema gives it; else `true` when the label has that level; else the
/// label's last declared level (`declared`: its levels or band labels); else the greatest level
/// seen (in text order, so the choice does not depend on row order). `None` when there is no
/// level at all.
pub fn favourable_level(
    favourable: Option<&str>,
    declared: Option<&[String]>,
    seen: &[&str],
) -> Option<String> {
    if let Some(f) = favourable {
        return Some(f.to_string());
    }
    let declared = declared.unwrap_or_default();
    if seen.contains(&"true") || declared.iter().any(|l| l == "true") {
        return Some("true".to_string());
    }
    if let Some(last) = declared.last() {
        return Some(last.clone());
    }
    seen.iter().max().map(|l| l.to_string())
}

/// What de-identification does with a column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Leave the column out.
    Drop,
    /// Replace values by keyed HMAC-SHA-256 tokens.
    Pseudonymise,
    /// Replace values by synthetic values of the same kind, consistent per input value.
    Fake,
    /// Replace identifiers found inside free text by placeholders like `[EMAIL]`.
    Redact,
    /// Keep as is (an explicit decision, recorded in reports).
    Keep,
}

impl Action {
    /// The action names accepted in a schema.
    pub const NAMES: [&'static str; 5] = ["drop", "pseudonymise", "fake", "redact", "keep"];
}

/// The privacy policy.
#[derive(Debug, Clone, PartialEq)]
pub struct Privacy {
    /// Default action for identifier-role columns.
    pub identifiers: Action,
    /// Environment variable holding the pseudonymisation key.
    pub key_env: String,
    /// Minimum equivalence-class size over the quasi-identifiers, if enforced.
    pub k_anonymity: Option<u64>,
    /// Sensitive column and the number of its distinct values each class must hold.
    pub l_diversity: Option<(String, u64)>,
    /// Share of a column's values detected as identifiers above which de-identification stops
    /// unless the column is an identifier or acknowledges the kind.
    pub detection_threshold: f64,
    /// Largest share of rows k-anonymity may suppress.
    pub max_suppression: f64,
    /// Largest share of de-identified rows that may be unique over `unique_over` (a gate:
    /// the run stops and writes nothing above it).
    pub max_unique_share: Option<f64>,
    /// The columns `max_unique_share` counts uniqueness over; empty means the
    /// quasi-identifiers.
    pub unique_over: Vec<String>,
}

impl Default for Privacy {
    fn default() -> Self {
        Privacy {
            identifiers: Action::Drop,
            key_env: "FAIRSYNTH_KEY".to_string(),
            k_anonymity: None,
            l_diversity: None,
            detection_threshold: 0.05,
            max_suppression: 0.05,
            max_unique_share: None,
            unique_over: Vec::new(),
        }
    }
}

/// Quality gates `evaluate` checks its figures against; an unset gate is not checked.
///
/// Shares and scores are in [0, 1]; `min_k` is a whole number of rows.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Quality {
    /// Lowest acceptable overall fidelity score.
    pub min_overall: Option<f64>,
    /// Lowest acceptable fidelity score of any single column.
    pub min_column: Option<f64>,
    /// Lowest acceptable fidelity score of any column pair.
    pub min_pair: Option<f64>,
    /// Lowest acceptable ratio of train-on-synthetic to train-on-real accuracy.
    pub min_tstr_ratio: Option<f64>,
    /// Largest acceptable share of synthetic rows that copy a real row exactly.
    pub max_exact_copies: Option<f64>,
    /// Largest acceptable share of synthetic rows that copy a real row no other real row
    /// equals (a profile unique in the real table).
    pub max_unique_copies: Option<f64>,
    /// Largest acceptable membership-inference AUC (real rows closer to the synthetic rows
    /// than holdout rows; 0.5 reveals nothing).
    pub max_membership_auc: Option<f64>,
    /// `evaluate` of linked tables: largest acceptable AUC of a classifier telling a table's
    /// real rows (with their descendants' aggregates) from its synthetic ones (0.5: it cannot).
    pub max_detection_auc: Option<f64>,
    /// Largest acceptable excess of the share of real singletons (rows no other real or
    /// holdout row equals) that a synthetic row copies over the share of holdout singletons.
    pub max_singleton_advantage: Option<f64>,
    /// Lowest acceptable ratio of median distance to closest record, synthetic over holdout.
    pub min_dcr_ratio: Option<f64>,
    /// Smallest acceptable equivalence class of the synthetic table over the quasi-identifiers.
    pub min_k: Option<f64>,
    /// Lowest acceptable disparate impact of the synthetic table.
    pub min_di: Option<f64>,
    /// Highest acceptable disparate impact of the synthetic table.
    pub max_di: Option<f64>,
    /// Largest acceptable absolute statistical parity difference of the synthetic table.
    pub max_spd: Option<f64>,
    /// `audit`: fewest rows a protected group may have.
    pub min_group_rows: Option<f64>,
    /// `audit`: strongest acceptable association (Cramér's V) of a column with a protected one.
    pub max_proxy_strength: Option<f64>,
    /// `audit`: most days from the newest date or timestamp value to the as-of date.
    pub max_age_days: Option<f64>,
    /// `audit`: largest acceptable change of any share, rate or strength since the baseline.
    pub max_drift: Option<f64>,
    /// `audit` of linked tables: largest acceptable share of a foreign key's non-null values
    /// that name no row of the parent table (checked at 0 when not set).
    pub max_dangling_keys: Option<f64>,
}

impl Quality {
    /// The keys accepted under `quality:` (and by `evaluate --threshold`).
    pub const KEYS: [&'static str; 19] = decode::QUALITY_KEYS;

    /// The gate called `key`, to read or set.
    pub fn slot(&mut self, key: &str) -> Option<&mut Option<f64>> {
        Some(match key {
            "min_overall" => &mut self.min_overall,
            "min_column" => &mut self.min_column,
            "min_pair" => &mut self.min_pair,
            "min_tstr_ratio" => &mut self.min_tstr_ratio,
            "max_exact_copies" => &mut self.max_exact_copies,
            "max_unique_copies" => &mut self.max_unique_copies,
            "max_membership_auc" => &mut self.max_membership_auc,
            "max_detection_auc" => &mut self.max_detection_auc,
            "max_singleton_advantage" => &mut self.max_singleton_advantage,
            "min_dcr_ratio" => &mut self.min_dcr_ratio,
            "min_k" => &mut self.min_k,
            "min_di" => &mut self.min_di,
            "max_di" => &mut self.max_di,
            "max_spd" => &mut self.max_spd,
            "min_group_rows" => &mut self.min_group_rows,
            "max_proxy_strength" => &mut self.max_proxy_strength,
            "max_age_days" => &mut self.max_age_days,
            "max_drift" => &mut self.max_drift,
            "max_dangling_keys" => &mut self.max_dangling_keys,
            _ => return None,
        })
    }

    /// Why `value` is out of range for `key`, if it is. Shares and scores lie in [0, 1];
    /// ratios are non-negative; `min_k` is a positive whole number.
    pub fn check_value(key: &str, value: f64) -> Option<String> {
        if !value.is_finite() {
            return Some(format!("expected a finite number, found {value}"));
        }
        match key {
            "min_k" | "min_group_rows" if value < 1.0 || value.fract() != 0.0 => {
                Some(format!("must be a positive whole number, found {value}"))
            }
            "max_age_days" if value < 0.0 => Some(format!("must not be negative, found {value}")),
            "min_tstr_ratio" | "min_dcr_ratio" | "min_di" | "max_di" if value < 0.0 => {
                Some(format!("must not be negative, found {value}"))
            }
            "min_overall"
            | "min_column"
            | "min_pair"
            | "max_exact_copies"
            | "max_unique_copies"
            | "max_membership_auc"
            | "max_detection_auc"
            | "max_singleton_advantage"
            | "max_spd"
            | "max_proxy_strength"
            | "max_drift"
            | "max_dangling_keys"
                if !(0.0..=1.0).contains(&value) =>
            {
                Some(format!("must be between 0 and 1, found {value}"))
            }
            _ => None,
        }
    }

    /// A near-miss suggestion for an unknown key, or the list of keys.
    pub fn key_hint(key: &str) -> String {
        diag::choices_hint(key, &Self::KEYS)
    }
}

impl Schema {
    /// The same schema with only the columns named in `names` (in schema order).
    pub fn with_columns(&self, names: &[String]) -> Schema {
        Schema {
            columns: self
                .columns
                .iter()
                .filter(|c| names.contains(&c.name))
                .cloned()
                .collect(),
            ..self.clone()
        }
    }

    /// The same schema without the columns in `names`, and without what refers to them:
    /// their targets, the fairness requirement when its label goes (else the protected columns
    /// that go), an `l_diversity` over one, and their place in `unique_over`. For a reader that
    /// cannot read some columns (encrypted, no key).
    pub fn without_columns(&self, names: &[String]) -> Schema {
        let gone = |c: &String| names.contains(c);
        let mut s = self.clone();
        s.columns.retain(|c| !gone(&c.name));
        s.targets.retain(|t| !gone(&t.column));
        s.fairness = self.fairness.clone().and_then(|mut f| {
            f.independent_of.retain(|c| !gone(c));
            (!gone(&f.label) && !f.independent_of.is_empty()).then_some(f)
        });
        if s.privacy.l_diversity.as_ref().is_some_and(|(c, _)| gone(c)) {
            s.privacy.l_diversity = None;
        }
        s.privacy.unique_over.retain(|c| !gone(c));
        s
    }

    /// Reads and validates a schema file; every problem is reported at once.
    pub fn from_file(path: &Path) -> Result<Schema, SchemaError> {
        let (text, shown) = read_schema_text(path)?;
        Schema::from_str_named(&text, &shown)
    }

    /// Parses and validates schema text; `file` names it in messages.
    pub fn from_str_named(text: &str, file: &str) -> Result<Schema, SchemaError> {
        let mut schema = decode::decode(text, file)?;
        schema.source = Source {
            file: file.to_string(),
            sha256: sha256_hex(text.as_bytes()),
        };
        Ok(schema)
    }

    /// Reads a targets file (`column: {level: share}`, optionally under a `targets:` key),
    /// checked against this schema's columns like the schema's own `targets`.
    pub fn targets_from_file(&self, path: &Path) -> Result<Vec<Target>, SchemaError> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| SchemaError::Io {
            path: shown.clone(),
            source,
        })?;
        self.targets_from_str(&text, &shown)
    }

    /// Parses targets text (the contents of a targets file); `file` names it in messages.
    pub fn targets_from_str(&self, text: &str, file: &str) -> Result<Vec<Target>, SchemaError> {
        decode::decode_targets_file(text, file, &self.columns)
    }

    /// The column called `name`.
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }

    /// Index of the column called `name`.
    pub fn column_index(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c.name == name)
    }

    /// Columns that cannot be synthesised (no generator), for `synth` to refuse up front.
    pub fn columns_without_generator(&self) -> Vec<&Column> {
        self.columns
            .iter()
            .filter(|c| c.generator.is_none())
            .collect()
    }

    /// The Arrow schema of the table this schema describes.
    pub fn arrow_schema(&self) -> arrow_schema::SchemaRef {
        let fields: Vec<arrow_schema::Field> = self
            .columns
            .iter()
            .map(|c| arrow_schema::Field::new(&c.name, c.ty.arrow_type(), c.nullable))
            .collect();
        std::sync::Arc::new(arrow_schema::Schema::new(fields))
    }
}

/// A schema file: one table, or linked tables.
#[derive(Debug, Clone, PartialEq)]
#[allow(clippy::large_enum_variant)] // one per run
pub enum Document {
    /// A one-table schema (`columns:` at the top level).
    Table(Schema),
    /// Linked tables (`tables:`).
    Database(Database),
}

impl Document {
    /// Reads and validates a schema file of either kind; every problem is reported at once.
    pub fn from_file(path: &Path) -> Result<Document, SchemaError> {
        let (text, shown) = read_schema_text(path)?;
        Document::from_str_named(&text, &shown)
    }

    /// Whether schema text declares linked tables (a top-level `tables:` key), without
    /// validating it.
    pub fn declares_tables(text: &str) -> bool {
        decode::declares_tables(text)
    }

    /// Parses and validates schema text of either kind; `file` names it in messages.
    pub fn from_str_named(text: &str, file: &str) -> Result<Document, SchemaError> {
        let source = Source {
            file: file.to_string(),
            sha256: sha256_hex(text.as_bytes()),
        };
        Ok(match decode::decode_document(text, file)? {
            decode::Decoded::Table(mut s) => {
                s.source = source;
                Document::Table(s)
            }
            decode::Decoded::Database(mut db) => {
                for t in &mut db.tables {
                    t.schema.source = source.clone();
                }
                db.source = source;
                Document::Database(db)
            }
        })
    }
}

/// A schema file's text and its name as the user gave it; the extension must be YAML's.
fn read_schema_text(path: &Path) -> Result<(String, String), SchemaError> {
    let shown = path.display().to_string();
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
    if !matches!(ext, "yaml" | "yml") {
        return Err(SchemaError::Extension { path: shown });
    }
    let bytes = std::fs::read(path).map_err(|source| SchemaError::Io {
        path: shown.clone(),
        source,
    })?;
    let text = String::from_utf8(bytes).map_err(|e| SchemaError::Yaml {
        path: shown.clone(),
        line: 1,
        col: 1,
        message: format!("the file is not UTF-8 ({e})"),
    })?;
    Ok((text, shown))
}

/// The smallest and largest values of `[min, max]` on the grid of steps `1 / scale` (whole
/// numbers for `scale` 1), each computed as a drawn value is rounded (`k / scale`), so that a
/// bound on the grid stays in; `None` when no value of the grid lies in the range.
pub fn grid_range(min: f64, max: f64, scale: f64) -> Option<(f64, f64)> {
    let (mut lo, mut hi) = ((min * scale).round(), (max * scale).round());
    if lo / scale < min {
        lo += 1.0;
    }
    if hi / scale > max {
        hi -= 1.0;
    }
    (lo <= hi).then(|| (lo / scale, hi / scale))
}

/// Lower-case hex SHA-256.
pub fn sha256_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Lower-case hex SHA-256 of a file, read in chunks (memory stays bounded for any size).
pub fn sha256_file(path: &Path) -> std::io::Result<String> {
    use std::io::Read;
    let mut file = std::fs::File::open(path)?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(h.finalize().iter().map(|b| format!("{b:02x}")).collect())
}

/// Parses `YYYY-MM-DD` to days since 1970-01-01.
pub fn parse_date(s: &str) -> Option<i32> {
    let d = chrono::NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok()?;
    let epoch = chrono::NaiveDate::from_ymd_opt(1970, 1, 1)?;
    i32::try_from((d - epoch).num_days()).ok()
}

/// Parses an RFC 3339 instant (`2024-05-01T12:00:00Z`, or with an offset) or a plain
/// `YYYY-MM-DD[ HH:MM:SS]` taken as UTC, to microseconds since the epoch.
pub fn parse_timestamp(s: &str) -> Option<i64> {
    let s = s.trim();
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(s) {
        return Some(t.timestamp_micros());
    }
    for fmt in ["%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S"] {
        if let Ok(t) = chrono::NaiveDateTime::parse_from_str(s, fmt) {
            return Some(t.and_utc().timestamp_micros());
        }
    }
    let d = chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()?;
    Some(d.and_hms_opt(0, 0, 0)?.and_utc().timestamp_micros())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn favourable_level_follows_one_rule() {
        let decl = vec!["low".to_string(), "high".to_string()];
        assert_eq!(
            favourable_level(Some("x"), Some(&decl), &["low"]).as_deref(),
            Some("x")
        );
        assert_eq!(
            favourable_level(None, None, &["false", "true"]).as_deref(),
            Some("true")
        );
        assert_eq!(
            favourable_level(None, Some(&decl), &["high", "low"]).as_deref(),
            Some("high")
        );
        // Undeclared: the greatest level in text order, whatever order the rows came in.
        assert_eq!(
            favourable_level(None, None, &["b", "c", "a"]).as_deref(),
            Some("c")
        );
        assert_eq!(favourable_level(None, None, &[]), None);
    }

    #[test]
    fn file_hash_equals_the_hash_of_its_bytes() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("x.bin");
        // More than one read chunk, with a partial last chunk.
        let bytes: Vec<u8> = (0..(3 << 20) + 12_345)
            .map(|i| (i * 7 % 251) as u8)
            .collect();
        std::fs::write(&path, &bytes).expect("write");
        assert_eq!(sha256_file(&path).expect("hash"), sha256_hex(&bytes));
        // FIPS 180-2 test vector: SHA-256("abc").
        std::fs::write(&path, b"abc").expect("write");
        assert_eq!(
            sha256_file(&path).expect("hash"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn bands_are_left_closed_and_the_top_edge_is_inside() {
        let b = Bins {
            edges: vec![18.0, 25.0, 35.0, 100.0],
            labels: vec!["a".into(), "b".into(), "c".into()],
        };
        assert_eq!(b.band(17.9), None);
        assert_eq!(b.band(18.0), Some(0));
        assert_eq!(b.band(24.99), Some(0));
        assert_eq!(b.band(25.0), Some(1));
        assert_eq!(b.band(100.0), Some(2));
        assert_eq!(b.band(100.1), None);
        assert_eq!(b.band(f64::NAN), None);
    }

    #[test]
    fn dates_and_timestamps_parse_to_epoch_units() {
        assert_eq!(parse_date("1970-01-02"), Some(1));
        assert_eq!(parse_date("1969-12-31"), Some(-1));
        assert_eq!(parse_date("2024-02-30"), None);
        assert_eq!(parse_timestamp("1970-01-01T00:00:01Z"), Some(1_000_000));
        assert_eq!(parse_timestamp("1970-01-01 00:00:01"), Some(1_000_000));
        assert_eq!(parse_timestamp("1970-01-01T01:00:00+01:00"), Some(0));
    }

    #[test]
    fn sha256_matches_the_fips_test_vector() {
        // FIPS 180-2, appendix B.1: SHA-256("abc").
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}

#[cfg(test)]
mod props {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Every value inside the edges falls in the band whose interval holds it.
        #[test]
        fn band_intervals_hold_their_values(
            mut edges in proptest::collection::vec(-1e6f64..1e6, 2..8),
            t in 0.0f64..=1.0,
        ) {
            edges.sort_by(f64::total_cmp);
            edges.dedup();
            prop_assume!(edges.len() >= 2);
            let labels = (1..edges.len()).map(|i| i.to_string()).collect();
            let bins = Bins { edges: edges.clone(), labels };
            let v = edges[0] + t * (edges[edges.len() - 1] - edges[0]);
            let b = bins.band(v).expect("inside the edges");
            prop_assert!(edges[b] <= v);
            prop_assert!(v < edges[b + 1] || (b == edges.len() - 2 && v == edges[b + 1]));
        }
    }
}
