//! Synthesis: turns a [`Schema`] into record batches, block by block.
//!
//! Rows are cut into blocks of [`BLOCK_ROWS`]. Every (column, block) pair draws from its own
//! ChaCha8 stream keyed by SHA-256 of (seed, column name, purpose, block index), so a block's
//! values never depend on which thread made it, on how many threads there are, or on the other
//! columns' generators. Columns are generated in schema order; a column with `cases` picks a
//! variant per row from the levels (or bands) of earlier columns in the same block. Columns
//! naming the same `place` read one drawn place per row, from a stream keyed by (seed, place
//! name, block), so their city, state, ZIP, region and area code agree.

mod columns;
mod draw;
pub mod linked;
pub mod places;
mod rules;
pub mod text;

use std::collections::HashMap;
use std::sync::Arc;

use arrow_array::{ArrayRef, RecordBatch, StringArray};
use arrow_schema::{ArrowError, SchemaRef};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use sha2::{Digest, Sha256};

use crate::schema::{
    Bins, ColumnType, Endpoint, Expr, GenSpec, Generator, Locale, NamePart, PlaceField, Schema,
    TimeUnit,
};
use places::{Drawn, Places};
use text::Sex;

use draw::{case_table, NumSampler, Variant};
pub(crate) use draw::{derived_array, round_decimal};

/// Rows per random-stream block (and per record batch).
pub const BLOCK_ROWS: usize = 65_536;

/// Level code for a null or out-of-band value.
pub(crate) const NULL_CODE: u32 = u32::MAX;

/// Most combinations of `depends_on` levels a column may have.
const MAX_COMBINATIONS: usize = 1 << 20;

/// Draws before a truncated distribution gives up and clamps to the bound.
pub(crate) const MAX_REJECTIONS: usize = 1000;

/// Errors from planning or running synthesis.
#[derive(Debug, thiserror::Error)]
pub enum SynthError {
    /// Some columns have no generator.
    #[error("cannot synthesise: {}\n    hint: give each column `shares`, `probability`, `distribution`, `min`/`max` (dates) or `generator`", .0.join("; "))]
    NoGenerator(Vec<String>),
    /// Too many combinations of parent levels.
    #[error("column `{column}`: its `depends_on` columns have {combinations} level combinations (at most {MAX_COMBINATIONS})\n    hint: depend on fewer columns, or on coarser bands")]
    TooManyCombinations {
        /// The column.
        column: String,
        /// The product of the parents' level counts.
        combinations: usize,
    },
    /// A sequence ran past the 64-bit (or 32-bit) range.
    #[error("column `{column}`: the sequence leaves the range of its integer type at row {row}\n    hint: lower `start`/`step`, or use `bits: 64`")]
    Overflow {
        /// The column.
        column: String,
        /// 0-based row.
        row: u64,
    },
    /// A rand_distr parameter was rejected (the schema checks should prevent this).
    #[error("column `{column}`: invalid distribution parameters: {message}")]
    Distribution {
        /// The column.
        column: String,
        /// The library's message.
        message: String,
    },
    /// No value rounded as the column says lies between its `min` and `max` (the schema
    /// checks should prevent this).
    #[error("column `{column}`: no value with {decimals} decimal places lies in [{min}, {max}]\n    hint: widen `min`..`max`, or round to more places")]
    EmptyRange {
        /// The column.
        column: String,
        /// Decimal places (0 for an int column).
        decimals: u32,
        /// The schema's `min`.
        min: f64,
        /// The schema's `max`.
        max: f64,
    },
    /// A generator reads a column the schema does not have.
    #[error(
        "column `{column}`: its generator reads column `{reference}`, which is not in the schema"
    )]
    Reference {
        /// The column.
        column: String,
        /// The missing column.
        reference: String,
    },
    /// Linked tables this generator cannot make yet (the schema describes them correctly).
    #[error("{0}")]
    Linked(String),
    /// Building Arrow arrays failed.
    #[error("arrow: {0}")]
    Arrow(#[from] ArrowError),
    /// The row-group size is not a whole number of blocks.
    #[error("row groups of {0} rows: the size must be a positive multiple of {BLOCK_ROWS}")]
    RowGroupRows(u64),
    /// Writing the output failed.
    #[error(transparent)]
    Io(#[from] crate::io::IoError),
}

/// Default rows per Parquet row group: 4 blocks, 262,144 rows.
pub const DEFAULT_ROW_GROUP_ROWS: u64 = 4 * BLOCK_ROWS as u64;

/// How a synthetic table is written.
#[derive(Debug, Clone, Copy)]
pub struct WriteOptions {
    /// Parquet compression.
    pub compression: crate::io::Compression,
    /// Rows per row group: a positive multiple of [`BLOCK_ROWS`].
    pub row_group_rows: u64,
}

impl Default for WriteOptions {
    fn default() -> Self {
        WriteOptions {
            compression: crate::io::Compression::default(),
            row_group_rows: DEFAULT_ROW_GROUP_ROWS,
        }
    }
}

/// Anything that produces the blocks of a synthetic table deterministically on any thread:
/// the schema [`Synthesizer`] and the fitted-model sampler ([`crate::model::Sampler`]).
pub trait BlockSource: Sync {
    /// The Arrow schema of the blocks.
    fn schema(&self) -> SchemaRef;
    /// Block `block` of a table of `rows` rows: rows `block * BLOCK_ROWS ..`.
    fn block(&self, block: u64, rows: u64) -> Result<RecordBatch, SynthError>;
}

impl BlockSource for Synthesizer {
    fn schema(&self) -> SchemaRef {
        Synthesizer::schema(self)
    }

    fn block(&self, block: u64, rows: u64) -> Result<RecordBatch, SynthError> {
        Synthesizer::block(self, block, rows)
    }
}

/// Writes `rows` synthetic rows to `target` as Parquet, encoding row groups in parallel on the
/// current rayon pool. `provenance` is stored under the `fairsynth` metadata key; `progress` is
/// called with the rows written so far. Returns the row count.
pub fn write_parquet(
    synth: &dyn BlockSource,
    rows: u64,
    target: &std::path::Path,
    options: &WriteOptions,
    provenance: &serde_json::Value,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<u64, SynthError> {
    let out = crate::io::Output::Parquet(target);
    Ok(write(synth, rows, out, options, provenance, progress)?.rows)
}

/// Produces `rows` synthetic rows into `output` (a Parquet file, or batches returned in
/// [`crate::io::Written`]), blocks in parallel on the current rayon pool, in block order.
/// `provenance` is stored under the `fairsynth` metadata key; `progress` is called with the
/// rows written so far.
pub fn write(
    synth: &dyn BlockSource,
    rows: u64,
    output: crate::io::Output<'_>,
    options: &WriteOptions,
    provenance: &serde_json::Value,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<crate::io::Written, SynthError> {
    let group_blocks = options.row_group_rows / BLOCK_ROWS as u64;
    if group_blocks == 0 || options.row_group_rows % BLOCK_ROWS as u64 != 0 {
        return Err(SynthError::RowGroupRows(options.row_group_rows));
    }
    // The provenance also travels in the Arrow schema's metadata, where pyarrow, polars and
    // Spark readers show it (`read_table(f).schema.metadata`).
    let metadata: HashMap<String, String> =
        [(crate::io::METADATA_KEY.to_string(), provenance.to_string())].into();
    let schema = Arc::new(synth.schema().as_ref().clone().with_metadata(metadata));
    let mut sink = crate::io::Sink::create(
        output,
        schema,
        crate::io::writer_properties(options.compression),
    )?;
    let blocks = rows.div_ceil(BLOCK_ROWS as u64);
    let groups = blocks.div_ceil(group_blocks);
    // Two row groups per thread in flight keeps both cores busy while bounding memory.
    let window = (2 * rayon::current_num_threads()).max(1) as u64;
    let mut first = 0;
    while first < groups {
        let jobs: Vec<u64> = (first..groups.min(first + window)).collect();
        sink.write_row_groups(&jobs, |&g, encode| -> Result<(), SynthError> {
            for b in g * group_blocks..((g + 1) * group_blocks).min(blocks) {
                encode(&synth.block(b, rows)?)?;
            }
            Ok(())
        })?;
        first += jobs.len() as u64;
        progress(sink.rows());
    }
    sink.add_metadata(crate::io::METADATA_KEY, provenance.to_string());
    Ok(sink.finish()?)
}

/// The random stream for one (seed, column, purpose, block): portable and independent of
/// scheduling. `purpose` separates streams of one column (0 values, 1 nulls); purpose
/// [`PLACE_PURPOSE`] with a place name in place of the column gives a shared place draw.
pub fn stream(seed: u64, column: &str, purpose: u8, block: u64) -> ChaCha8Rng {
    let mut h = Sha256::new();
    h.update(b"fairsynth/stream/v1\0");
    h.update(seed.to_le_bytes());
    h.update((column.len() as u64).to_le_bytes());
    h.update(column.as_bytes());
    h.update([purpose]);
    h.update(block.to_le_bytes());
    ChaCha8Rng::from_seed(h.finalize().into())
}

/// The `purpose` of the stream drawing a shared place (keyed by the place's name).
pub const PLACE_PURPOSE: u8 = 2;

#[derive(Debug, Clone)]
enum Kind {
    Variants(Vec<Variant>),
    Dates(i32, i32),
    Timestamps(i64, i64),
    Sequence {
        start: i64,
        step: i64,
        prefix: String,
    },
    Uuid,
    Pattern(String),
    Name {
        locale: Locale,
        part: NamePart,
        sex: Option<(usize, Vec<Sex>)>,
    },
    Email {
        locale: Locale,
        from: Option<usize>,
    },
    /// Locale, and the shared place's slot if any.
    Phone(Locale, Option<usize>),
    Address(Locale, Option<usize>),
    /// A field of the shared place in `slot`; for a category column, the level code of each
    /// place of the table.
    Place {
        slot: usize,
        field: PlaceField,
        codes: Option<Vec<u32>>,
    },
    BirthDate {
        age: usize,
        reference: chrono::NaiveDate,
    },
    /// Supplied by the caller (a foreign key, another table's column, an aggregate).
    External,
    Offset {
        from: usize,
        unit: Option<TimeUnit>,
        sampler: NumSampler,
    },
    Elapsed {
        from: usize,
        to: EndPlan,
        unit: TimeUnit,
    },
    Formula {
        expr: Expr,
        cols: Vec<(String, usize)>,
        round: Option<u32>,
    },
}

#[derive(Debug, Clone)]
enum EndPlan {
    Column(usize),
    Instant(i64),
}

/// A lower bound from another column: `column + amount unit`.
#[derive(Debug, Clone)]
struct AfterPlan {
    column: usize,
    amount: i64,
    unit: Option<TimeUnit>,
}

#[derive(Debug, Clone)]
struct ColPlan {
    name: String,
    /// The name keying the column's random streams (the table's prefix and the name).
    stream: String,
    /// `null_unless`: (column, accepted level codes); a row may be non-null only where every
    /// condition holds.
    cond: Vec<(usize, Vec<bool>)>,
    after: Option<AfterPlan>,
    ty: ColumnType,
    null_share: f64,
    levels: Vec<String>,
    dictionary: Option<ArrayRef>,
    bins: Option<Bins>,
    /// Whether a later column reads this column's level codes.
    need_codes: bool,
    /// Parent columns (index, level count) selecting the variant.
    parents: Vec<(usize, usize)>,
    /// Variant per combination of parent codes (mixed radix, first parent most significant).
    table: Vec<u16>,
    kind: Kind,
}

/// A column generated for one block: the Arrow array plus level codes when a later column
/// needs them.
struct Generated {
    array: ArrayRef,
    codes: Option<Vec<u32>>,
}

/// How a table's columns are laid out for the linked-table generator: other tables' columns
/// it reads come first (supplied by the caller), the counts of children last (not written).
#[derive(Debug, Clone, Default)]
pub struct Layout {
    /// Put before every column name that keys a random stream (`orders/`), so that columns of
    /// the same name in two tables draw independently. Empty for a one-table schema.
    pub prefix: String,
    /// Leading columns supplied by the caller and not written.
    pub context: usize,
    /// Trailing columns generated but not written.
    pub hidden: usize,
}

/// A state (USPS code) or Census region per row of a block, that the shared place named
/// `place` must lie in (`None`: drawn freely).
#[derive(Debug, Clone, PartialEq)]
pub struct PlaceGiven {
    /// The shared draw's name.
    pub place: String,
    /// One value per row of the block.
    pub values: Vec<Option<String>>,
}

/// A compiled schema, ready to produce blocks on any thread.
#[derive(Debug, Clone)]
pub struct Synthesizer {
    cols: Vec<ColPlan>,
    schema: SchemaRef,
    seed: u64,
    layout: Layout,
    /// Names of the shared place draws, in order of first use.
    places: Vec<String>,
}

impl Synthesizer {
    /// Compiles `schema` for synthesis with `seed`.
    pub fn new(schema: &Schema, seed: u64) -> Result<Self, SynthError> {
        Synthesizer::with_layout(schema, seed, Layout::default())
    }

    /// Compiles `schema` laid out as `layout` says (see [`Layout`]).
    pub fn with_layout(schema: &Schema, seed: u64, layout: Layout) -> Result<Self, SynthError> {
        let missing: Vec<String> = schema
            .columns_without_generator()
            .iter()
            .map(|c| format!("column `{}` (line {}) has no generator", c.name, c.pos.line))
            .collect();
        if !missing.is_empty() {
            return Err(SynthError::NoGenerator(missing));
        }
        // A decoded schema resolves every reference; a schema cut down in code may not.
        for c in &schema.columns {
            let refs = c.generator.as_ref().map(GenSpec::references);
            if let Some(r) = refs.iter().flatten().find(|r| schema.column(r).is_none()) {
                return Err(SynthError::Reference {
                    column: c.name.clone(),
                    reference: r.to_string(),
                });
            }
        }
        let idx = |name: &str| {
            schema
                .column_index(name)
                .expect("the schema checks resolve every reference")
        };
        let mut need_codes = vec![false; schema.columns.len()];
        let mut cols = Vec::with_capacity(schema.columns.len());
        let mut place_names: Vec<String> = Vec::new();
        let mut slot = |name: &Option<String>| -> Option<usize> {
            let name = name.as_ref()?;
            Some(match place_names.iter().position(|p| p == name) {
                Some(i) => i,
                None => {
                    place_names.push(name.clone());
                    place_names.len() - 1
                }
            })
        };
        for c in &schema.columns {
            let g = c.generator.as_ref().expect("checked above");
            let levels = c.categories().unwrap_or_default();
            let own_levels = match c.ty {
                ColumnType::Bool => vec!["false".to_string(), "true".to_string()],
                _ => c.levels.clone().unwrap_or_default(),
            };
            let mut parents = Vec::new();
            for p in &g.depends_on {
                let j = idx(p);
                need_codes[j] = true;
                let n = schema.columns[j].categories().map_or(0, |l| l.len());
                parents.push((j, n));
            }
            let combinations = parents
                .iter()
                .map(|p| p.1.max(1))
                .try_fold(1usize, |a, n| a.checked_mul(n))
                .unwrap_or(usize::MAX);
            if combinations > MAX_COMBINATIONS {
                return Err(SynthError::TooManyCombinations {
                    column: c.name.clone(),
                    combinations,
                });
            }
            let table = if g.cases.is_empty() {
                Vec::new()
            } else {
                case_table(schema, &g.depends_on, &parents, &g.cases, combinations)
            };
            let kind = match &g.base {
                Generator::Categorical(_) | Generator::Bernoulli(_) | Generator::Numeric { .. } => {
                    let mut vs = vec![Variant::new(&c.name, &g.base, &own_levels, c.ty)?];
                    for case in &g.cases {
                        vs.push(Variant::new(&c.name, &case.generator, &own_levels, c.ty)?);
                    }
                    Kind::Variants(vs)
                }
                Generator::Dates { min, max } => Kind::Dates(*min, *max),
                Generator::Timestamps { min, max } => Kind::Timestamps(*min, *max),
                Generator::Sequence {
                    start,
                    step,
                    prefix,
                } => Kind::Sequence {
                    start: *start,
                    step: *step,
                    prefix: prefix.clone(),
                },
                Generator::Uuid => Kind::Uuid,
                Generator::Pattern(p) => Kind::Pattern(p.clone()),
                Generator::PersonName {
                    locale,
                    part,
                    sex_column,
                } => {
                    let sex = sex_column.as_ref().map(|s| {
                        let j = idx(s);
                        need_codes[j] = true;
                        let sexes = schema.columns[j]
                            .categories()
                            .unwrap_or_default()
                            .iter()
                            .map(|l| Sex::from_level(l))
                            .collect();
                        (j, sexes)
                    });
                    Kind::Name {
                        locale: *locale,
                        part: *part,
                        sex,
                    }
                }
                Generator::Email { locale, from } => Kind::Email {
                    locale: *locale,
                    from: from.as_deref().map(idx),
                },
                Generator::Phone { locale, place } => Kind::Phone(*locale, slot(place)),
                Generator::Address { locale, place } => Kind::Address(*locale, slot(place)),
                Generator::Place { place, field } => {
                    let codes = (c.ty == ColumnType::Category).then(|| {
                        let by_level: HashMap<&str, u32> = own_levels
                            .iter()
                            .enumerate()
                            .map(|(i, l)| (l.as_str(), i as u32))
                            .collect();
                        Places::us()
                            .all()
                            .iter()
                            .map(|p| {
                                by_level
                                    .get(p.field(*field, 0))
                                    .copied()
                                    .unwrap_or(NULL_CODE)
                            })
                            .collect()
                    });
                    Kind::Place {
                        slot: slot(&Some(place.clone())).unwrap_or(0),
                        field: *field,
                        codes,
                    }
                }
                Generator::BirthDate {
                    age_column,
                    reference,
                } => Kind::BirthDate {
                    age: idx(age_column),
                    reference: chrono::NaiveDate::from_ymd_opt(1970, 1, 1).expect("valid")
                        + chrono::Duration::days(i64::from(*reference)),
                },
                Generator::External | Generator::Aggregate { .. } => Kind::External,
                Generator::Offset {
                    from,
                    unit,
                    dist,
                    min,
                    max,
                } => {
                    // Whole offsets for whole-number results: dates, calendar units, ints.
                    let whole = matches!(c.ty, ColumnType::Int { .. } | ColumnType::Date)
                        || matches!(unit, Some(TimeUnit::Months | TimeUnit::Years));
                    Kind::Offset {
                        from: idx(from),
                        unit: *unit,
                        sampler: NumSampler::new(
                            &c.name,
                            dist,
                            Some(*min),
                            Some(*max),
                            None,
                            whole,
                        )?,
                    }
                }
                Generator::Elapsed { from, to, unit } => Kind::Elapsed {
                    from: idx(from),
                    to: match to {
                        Endpoint::Column(t) => EndPlan::Column(idx(t)),
                        Endpoint::Instant(t) => EndPlan::Instant(*t),
                    },
                    unit: *unit,
                },
                Generator::Formula { expr, round } => Kind::Formula {
                    cols: expr
                        .columns()
                        .into_iter()
                        .map(|n| (n.to_string(), idx(n)))
                        .collect(),
                    expr: expr.clone(),
                    round: *round,
                },
            };
            let cond = c
                .null_unless
                .iter()
                .map(|(col, levels)| {
                    let j = idx(col);
                    need_codes[j] = true;
                    let cats = schema.columns[j].categories().unwrap_or_default();
                    (j, cats.iter().map(|l| levels.contains(l)).collect())
                })
                .collect();
            let after = g.after.as_ref().map(|a| AfterPlan {
                column: idx(&a.column),
                amount: a.amount,
                unit: a.unit,
            });
            let dictionary = (c.ty == ColumnType::Category)
                .then(|| Arc::new(StringArray::from(own_levels.clone())) as ArrayRef);
            cols.push(ColPlan {
                name: c.name.clone(),
                stream: format!("{}{}", layout.prefix, c.name),
                cond,
                after,
                ty: c.ty,
                null_share: c.null_share,
                levels,
                dictionary,
                bins: c.bins.clone(),
                need_codes: false,
                parents,
                table,
                kind,
            });
        }
        for (c, n) in cols.iter_mut().zip(need_codes) {
            c.need_codes = n;
        }
        let fields: Vec<arrow_schema::Field> = schema.arrow_schema().fields()
            [layout.context..schema.columns.len().saturating_sub(layout.hidden)]
            .iter()
            .map(|f| f.as_ref().clone())
            .collect();
        Ok(Synthesizer {
            cols,
            schema: Arc::new(arrow_schema::Schema::new(fields)),
            seed,
            layout,
            places: place_names,
        })
    }

    /// The Arrow schema of the batches.
    pub fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }

    /// The seed in use.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// Number of blocks for `rows` rows.
    pub fn blocks(rows: u64) -> u64 {
        rows.div_ceil(BLOCK_ROWS as u64)
    }

    /// Generates block `block` of a table of `rows` rows: rows `block * BLOCK_ROWS ..`.
    pub fn block(&self, block: u64, rows: u64) -> Result<RecordBatch, SynthError> {
        self.block_given(block, rows, &[])
    }

    /// The names of the shared place draws the columns use.
    pub fn place_names(&self) -> &[String] {
        &self.places
    }

    /// Like [`Synthesizer::block`], with the shared places of `given` held, row by row, to a
    /// state or region given from outside (a fitted model's sampled `state` column), so that
    /// regenerated addresses and phones agree with it. A row whose value names no place of
    /// the table is drawn freely.
    pub fn block_given(
        &self,
        block: u64,
        rows: u64,
        given: &[PlaceGiven],
    ) -> Result<RecordBatch, SynthError> {
        let start = block * BLOCK_ROWS as u64;
        let len = rows.saturating_sub(start).min(BLOCK_ROWS as u64) as usize;
        let arrays = self.generate(block, start, len, &mut |_| None, given)?;
        Ok(RecordBatch::try_new(self.schema.clone(), arrays)?)
    }

    /// Every column of `len` rows numbered from `start`, drawn from the streams of `block`,
    /// with the caller's columns (context, foreign keys, aggregates) from `input` by column
    /// index (`None`: nulls) and shared places held to `given`. Returns the written columns,
    /// then the hidden ones.
    pub(crate) fn generate(
        &self,
        block: u64,
        start: u64,
        len: usize,
        input: &mut dyn FnMut(usize) -> Option<ArrayRef>,
        given: &[PlaceGiven],
    ) -> Result<Vec<ArrayRef>, SynthError> {
        let table = Places::us();
        let drawn: Vec<Vec<Drawn>> = self
            .places
            .iter()
            .map(|p| {
                let mut rng = stream(
                    self.seed,
                    &format!("{}{p}", self.layout.prefix),
                    PLACE_PURPOSE,
                    block,
                );
                let held = given.iter().find(|g| &g.place == p);
                (0..len)
                    .map(|i| {
                        held.and_then(|g| g.values.get(i)?.as_deref())
                            .and_then(|v| table.draw_within(&mut rng, v))
                            .unwrap_or_else(|| table.draw(&mut rng))
                    })
                    .collect()
            })
            .collect();
        let mut done: Vec<Generated> = Vec::with_capacity(self.cols.len());
        for (k, col) in self.cols.iter().enumerate() {
            let g = if matches!(col.kind, Kind::External) {
                let array = input(k)
                    .unwrap_or_else(|| arrow_array::new_null_array(&col.ty.arrow_type(), len));
                let codes = col
                    .need_codes
                    .then(|| rules::codes_of(&array, &col.levels, col.bins.as_ref()));
                Generated { array, codes }
            } else {
                self.column(col, block, start, len, &done, &drawn)?
            };
            done.push(g);
        }
        Ok(done
            .into_iter()
            .skip(self.layout.context)
            .map(|g| g.array)
            .collect())
    }

    /// Columns written (after the context, before the hidden ones).
    pub(crate) fn written(&self) -> usize {
        self.cols.len() - self.layout.context - self.layout.hidden
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::{grid_range, Dist};
    use arrow_array::types::Int32Type;
    use arrow_array::{Array, DictionaryArray};
    use proptest::prelude::*;

    fn schema(yaml: &str) -> Schema {
        Schema::from_str_named(yaml, "t.yaml").expect("valid")
    }

    /// The grid's ends inside a range, computed as draws are rounded (0.3 stays in at one
    /// place although 0.3 · 10 is 3.0000000000000004).
    #[test]
    fn grid_range_keeps_bounds_on_the_grid() {
        assert_eq!(grid_range(0.3, 0.3, 10.0), Some((0.3, 0.3)));
        assert_eq!(grid_range(0.25, 1.75, 2.0), Some((0.5, 1.5)));
        assert_eq!(grid_range(0.2, 0.8, 1.0), None);
        assert_eq!(grid_range(-0.298, -0.248, 1.0), None);
        assert_eq!(
            grid_range(f64::NEG_INFINITY, 3.7, 1.0),
            Some((f64::NEG_INFINITY, 3.0))
        );
        let err = NumSampler::new(
            "x",
            &Dist::Uniform {
                low: 0.1,
                high: 0.9,
            },
            Some(0.1),
            Some(0.9),
            None,
            true,
        )
        .err()
        .map(|e| e.to_string());
        assert_eq!(
            err.as_deref(),
            Some("column `x`: no value with 0 decimal places lies in [0.1, 0.9]\n    hint: widen `min`..`max`, or round to more places")
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]

        /// Truncated, rounded draws always land inside `[min, max]` and on the rounding grid.
        #[test]
        fn truncated_draws_stay_in_bounds(
            mean in -1e3f64..1e3, sd in 0.1f64..500.0, lo_z in -3.0f64..2.0, width_z in 0.5f64..4.0,
            decimals in 0u32..4, seed in any::<u64>(),
        ) {
            let (min, max) = (mean + lo_z * sd, mean + (lo_z + width_z) * sd);
            let scale = 10f64.powi(decimals as i32);
            let made = NumSampler::new("x", &Dist::Normal { mean, sd }, Some(min), Some(max), Some(decimals), false);
            // A range with no value on the grid (0.5 sd of 0.1 at 0 decimals) is refused.
            let on_grid = (min * scale).ceil() <= (max * scale).floor();
            prop_assert_eq!(made.is_ok(), on_grid, "[{}, {}] at {} decimals", min, max, decimals);
            let Ok(s) = made else { return Ok(()) };
            let mut rng = stream(seed, "x", 0, 0);
            for _ in 0..200 {
                let v = s.sample(&mut rng);
                prop_assert!(v >= min && v <= max, "{v} outside [{min}, {max}]");
                prop_assert!(((v * scale).round() - v * scale).abs() < 1e-6 * scale.max(1.0) * v.abs().max(1.0));
            }
        }

        /// A table's first rows do not depend on how many rows are asked for, and a block is
        /// the same whenever it is made.
        #[test]
        fn blocks_are_pure_functions_of_seed_and_index(seed in any::<u64>(), extra in 1u64..100_000) {
            let s = schema("version: 1\nname: p\ncolumns:\n  - name: a\n    type: category\n    shares: {x: 0.3, y: 0.7}\n  - name: b\n    type: float\n    null_share: 0.2\n    distribution: {kind: gamma, shape: 2, scale: 3}\n    cases:\n      - when: {a: x}\n        distribution: {scale: 5}\n  - name: c\n    type: string\n    generator: uuid\n");
            let synth = Synthesizer::new(&s, seed).expect("synthesisable");
            let rows = BLOCK_ROWS as u64 + 10;
            let first = synth.block(1, rows).expect("block");
            let longer = synth.block(1, rows + extra).expect("block");
            prop_assert_eq!(first.num_rows(), 10);
            prop_assert_eq!(&longer.slice(0, 10), &first);
            prop_assert_eq!(synth.block(1, rows).expect("block"), first);
        }

        /// Shares given as counts are normalised; shares given as fractions must sum to 1.
        #[test]
        fn counts_normalise_to_shares(counts in proptest::collection::vec(1u32..1000, 1..6)) {
            let levels: Vec<String> = counts.iter().enumerate().map(|(i, c)| format!("l{i}: {c}")).collect();
            let yaml = format!("version: 1\nname: p\ncolumns:\n  - name: a\n    type: category\n    shares: {{{}}}\n", levels.join(", "));
            let total: u32 = counts.iter().sum();
            match Schema::from_str_named(&yaml, "t.yaml") {
                Ok(s) => {
                    let Some(crate::schema::GenSpec { base: Generator::Categorical(sh), .. }) = &s.columns[0].generator else {
                        panic!("categorical generator");
                    };
                    let sum: f64 = sh.iter().map(|(_, x)| x).sum();
                    prop_assert!((sum - 1.0).abs() < 1e-12);
                    for ((_, x), c) in sh.iter().zip(&counts) {
                        prop_assert!((x - f64::from(*c) / f64::from(total)).abs() < 1e-12);
                    }
                }
                // A single count of 1 is a share of exactly 1, accepted above; any other
                // failure is a bug.
                Err(e) => prop_assert!(false, "{e}"),
            }
        }
    }

    #[test]
    fn streams_differ_by_seed_column_purpose_and_block() {
        use rand::Rng;
        let a = stream(1, "x", 0, 0).next_u64();
        assert_ne!(a, stream(2, "x", 0, 0).next_u64());
        assert_ne!(a, stream(1, "y", 0, 0).next_u64());
        assert_ne!(a, stream(1, "x", 1, 0).next_u64());
        assert_ne!(a, stream(1, "x", 0, 1).next_u64());
        assert_eq!(a, stream(1, "x", 0, 0).next_u64());
    }

    #[test]
    fn a_cut_down_schema_with_a_missing_reference_is_an_error_not_a_panic() {
        let mut s = schema("version: 1\nname: p\ncolumns:\n  - {name: n, type: string, generator: {kind: person_name}}\n  - {name: e, type: string, generator: {kind: email, from: n}}\n");
        s.columns.remove(0);
        let err = Synthesizer::new(&s, 1).expect_err("missing reference");
        assert_eq!(
            err.to_string(),
            "column `e`: its generator reads column `n`, which is not in the schema"
        );
    }

    /// Columns naming one place agree in every row; the draw depends on the seed, the place
    /// name and the block only, not on the other columns.
    #[test]
    fn columns_of_one_place_agree_and_the_draw_ignores_other_columns() {
        let yaml = "version: 1\nname: p\ncolumns:\n  - {name: tel, type: string, null_share: 0.1, generator: {kind: phone, place: home}}\n  - {name: addr, type: string, generator: {kind: address, place: home}}\n  - {name: state, type: category, generator: {kind: place, place: home, field: state}}\n  - {name: region, type: category, generator: {kind: place, place: home, field: region}}\n  - {name: zip, type: string, generator: {kind: place, place: home, field: zip}}\n  - {name: city, type: string, generator: {kind: place, place: home, field: city}}\n  - {name: area, type: string, generator: {kind: place, place: home, field: area_code}}\n  - {name: work, type: string, generator: {kind: place, place: work, field: zip}}\n";
        let synth = Synthesizer::new(&schema(yaml), 9).expect("synthesisable");
        let b = synth.block(0, 2000).expect("block");
        let text = |n: &str| -> Vec<Option<String>> {
            let a = b.column_by_name(n).expect("column");
            if let Some(d) = a.as_any().downcast_ref::<DictionaryArray<Int32Type>>() {
                let v = d
                    .values()
                    .as_any()
                    .downcast_ref::<StringArray>()
                    .expect("strings");
                return (0..d.len())
                    .map(|i| {
                        (!d.is_null(i)).then(|| v.value(d.keys().value(i) as usize).to_string())
                    })
                    .collect();
            }
            let a = a.as_any().downcast_ref::<StringArray>().expect("strings");
            (0..a.len())
                .map(|i| (!a.is_null(i)).then(|| a.value(i).to_string()))
                .collect()
        };
        let (tel, addr, state, region) = (text("tel"), text("addr"), text("state"), text("region"));
        let (zip, city, area, work) = (text("zip"), text("city"), text("area"), text("work"));
        let mut nulls = 0;
        for i in 0..2000 {
            let (st, z, c) = (
                state[i].as_deref().expect("state"),
                zip[i].as_deref().expect("zip"),
                city[i].as_deref().expect("city"),
            );
            assert_eq!(
                addr[i]
                    .as_deref()
                    .expect("address")
                    .split_once(", ")
                    .map(|x| x.1),
                Some(format!("{c}, {st} {z}").as_str())
            );
            assert_eq!(region[i].as_deref(), crate::schema::region_of(st));
            let a = area[i].as_deref().expect("area code");
            assert!(Places::us()
                .all()
                .iter()
                .any(|p| p.zip == z && p.state == st && p.area_codes.contains(&a)));
            match tel[i].as_deref() {
                Some(t) => assert_eq!(&t[3..6], a, "the phone dials the place's area code"),
                None => nulls += 1,
            }
        }
        assert!((100..300).contains(&nulls), "{nulls} null phones");
        // Another place is another draw.
        assert!(zip.iter().zip(&work).filter(|(a, b)| a == b).count() < 100);
        // Without the other columns, the same place gives the same ZIPs.
        let alone = "version: 1\nname: p\ncolumns:\n  - {name: other, type: string, generator: {kind: place, place: home, field: zip}}\n";
        let synth = Synthesizer::new(&schema(alone), 9).expect("synthesisable");
        let b2 = synth.block(0, 2000).expect("block");
        let other = b2.column_by_name("other").expect("column");
        let other = other
            .as_any()
            .downcast_ref::<StringArray>()
            .expect("strings");
        assert!((0..2000).all(|i| Some(other.value(i)) == zip[i].as_deref()));
    }

    #[test]
    fn case_table_takes_the_first_matching_case() {
        let s = schema("version: 1\nname: p\ncolumns:\n  - name: a\n    type: category\n    shares: {x: 0.5, y: 0.5}\n  - name: b\n    type: bool\n    probability: 0.5\n  - name: c\n    type: bool\n    probability: 0.1\n    cases:\n      - when: {a: x, b: true}\n        probability: 0.2\n      - when: {a: x}\n        probability: 0.3\n      - when: {b: true}\n        probability: 0.4\n");
        let g = s.columns[2].generator.as_ref().expect("generator");
        let parents = vec![(0, 2), (1, 2)];
        // Combinations in order (a, b): (x, false), (x, true), (y, false), (y, true).
        assert_eq!(
            case_table(&s, &g.depends_on, &parents, &g.cases, 4),
            vec![2, 1, 0, 3]
        );
    }
}
