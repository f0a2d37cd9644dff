//! The two halves of raking as values: [`CellSums`], the pass-1 state (weighted sums per cell
//! of the raking variables' cross-classification, with each variable's level dictionary), and
//! [`Factors`], the solved factor per cell that turns any batch's start weights into final
//! weights (pass 2).
//!
//! [`CellSums`] is computed per chunk of rows and merged, so the same code serves one process,
//! many threads or many machines: sum each partition, merge at one place, [`CellSums::solve`]
//! there (the iteration runs on cells, never rows), send the [`Factors`] back to every
//! partition. Chunks code their levels independently; [`CellSums::merge`] matches levels by
//! their text, never by chunk-local codes. Both types serialise with serde (JSON is fine:
//! floats are written as their bits, so a round trip is exact).
//!
//! Merging is associative. Merging chunks in row order (`a.merge(b)` where `a`'s rows come
//! first) gives exactly the state of the whole input: the same level order, cells, counts and
//! sums (sums of non-integer start weights may differ in the last bit, since floating-point
//! addition is not associative; unit weights and other exactly representable sums agree bit
//! for bit). Merged in another order, the cells and sums are the same but levels that neither
//! the targets nor the schema name are numbered in the order met, which orders the report's
//! groups differently.

use std::collections::HashMap;

use arrow_array::cast::AsArray;
use arrow_array::types::Int32Type;
use arrow_array::{Array, ArrayRef, RecordBatch};
use arrow_schema::DataType;
use serde::{Deserialize, Serialize};

use super::ipf;
use super::{Options, Report, ReweightError, MAX_CELLS, NULL_LEVEL, OUTSIDE_LEVEL};
use crate::io::read::numbers;
use crate::schema::{Bins, ColumnType, Role, Schema};

/// Most raking variables that can be combined (their codes pack into 128 bits).
const MAX_VARS: usize = 8;

/// Most levels of one raking variable (16 bits of a packed cell key).
const MAX_LEVELS: usize = 0xffff;

/// How a raking variable's values become level codes.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(from = "VarData", into = "VarData")]
pub(super) struct Var {
    pub(super) name: String,
    bins: Option<Bins>,
    /// Levels in code order: target levels first, then levels met in the data.
    pub(super) levels: Vec<String>,
    codes: HashMap<String, u32>,
    /// Number of levels the targets name (codes at or above are not in the targets).
    pub(super) fixed: usize,
}

/// The serialised form of [`Var`] (the code index is rebuilt from the levels).
#[derive(Serialize, Deserialize)]
struct VarData {
    name: String,
    bin_edges: Option<Vec<String>>,
    bin_labels: Option<Vec<String>>,
    levels: Vec<String>,
    fixed: usize,
}

impl From<Var> for VarData {
    fn from(v: Var) -> VarData {
        VarData {
            name: v.name,
            bin_edges: v.bins.as_ref().map(|b| {
                b.edges
                    .iter()
                    .map(|e| format!("{:016x}", e.to_bits()))
                    .collect()
            }),
            bin_labels: v.bins.map(|b| b.labels),
            levels: v.levels,
            fixed: v.fixed,
        }
    }
}

impl From<VarData> for Var {
    fn from(d: VarData) -> Var {
        let bins = match (d.bin_edges, d.bin_labels) {
            (Some(e), Some(labels)) => Some(Bins {
                edges: e
                    .iter()
                    .map(|x| f64::from_bits(u64::from_str_radix(x, 16).unwrap_or(0)))
                    .collect(),
                labels,
            }),
            _ => None,
        };
        let codes = d
            .levels
            .iter()
            .enumerate()
            .map(|(i, l)| (l.clone(), i as u32))
            .collect();
        Var {
            name: d.name,
            bins,
            levels: d.levels,
            codes,
            fixed: d.fixed,
        }
    }
}

impl Var {
    fn code_of(&mut self, level: &str) -> u32 {
        if let Some(&c) = self.codes.get(level) {
            return c;
        }
        let c = self.levels.len() as u32;
        self.levels.push(level.to_string());
        self.codes.insert(level.to_string(), c);
        c
    }

    /// Level codes of one batch column, adding levels met for the first time (pass 1).
    fn code(&mut self, a: &ArrayRef) -> Vec<u32> {
        let bins = self.bins.clone();
        code_by(bins.as_ref(), a, &mut |l| self.code_of(l))
    }

    /// Level codes with the levels fixed (pass 2): a level never seen maps to `u32::MAX`,
    /// whose cell has no factor.
    fn code_fixed(&self, a: &ArrayRef) -> Vec<u32> {
        code_by(self.bins.as_ref(), a, &mut |l| {
            self.codes.get(l).copied().unwrap_or(u32::MAX)
        })
    }

    /// Whether two chunks code this variable the same way (levels aside).
    fn same_coding(&self, other: &Var) -> bool {
        self.name == other.name
            && self.fixed == other.fixed
            && self.levels.get(..self.fixed) == other.levels.get(..other.fixed)
            && self.bins.as_ref().map(|b| (&b.edges, &b.labels))
                == other.bins.as_ref().map(|b| (&b.edges, &b.labels))
    }
}

/// Level codes of a column: bands of binned numbers, dictionary values, booleans, text, or
/// distinct numbers; `level` maps a level name to its code.
fn code_by(bins: Option<&Bins>, a: &ArrayRef, level: &mut dyn FnMut(&str) -> u32) -> Vec<u32> {
    let n = a.len();
    if let Some(bins) = bins {
        let band_codes: Vec<u32> = bins.labels.iter().map(|l| level(l)).collect();
        return numbers(a.as_ref())
            .iter()
            .map(|v| match v {
                None => level(NULL_LEVEL),
                Some(x) => match bins.band(*x) {
                    Some(b) => band_codes[b],
                    None => level(OUTSIDE_LEVEL),
                },
            })
            .collect();
    }
    match a.data_type() {
        DataType::Dictionary(..) => {
            let d = a.as_dictionary::<Int32Type>();
            let values = d.values().as_string::<i32>();
            let map: Vec<u32> = (0..values.len()).map(|i| level(values.value(i))).collect();
            let null = if d.null_count() > 0 {
                level(NULL_LEVEL)
            } else {
                u32::MAX
            };
            d.keys()
                .iter()
                .map(|k| k.map_or(null, |k| map[k as usize]))
                .collect()
        }
        DataType::Boolean => {
            let b = a.as_boolean();
            let (f, t) = (level("false"), level("true"));
            (0..n)
                .map(|i| {
                    if b.is_null(i) {
                        level(NULL_LEVEL)
                    } else if b.value(i) {
                        t
                    } else {
                        f
                    }
                })
                .collect()
        }
        DataType::Utf8 => {
            let s = a.as_string::<i32>();
            (0..n)
                .map(|i| {
                    if s.is_null(i) {
                        level(NULL_LEVEL)
                    } else {
                        level(s.value(i))
                    }
                })
                .collect()
        }
        // Numbers without bins: each distinct value is a level.
        _ => numbers(a.as_ref())
            .iter()
            .map(|v| match v {
                None => level(NULL_LEVEL),
                Some(x) => level(&x.to_string()),
            })
            .collect(),
    }
}

/// Per-cell sums from pass 1.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub(super) struct CellAcc {
    pub(super) rows: u64,
    #[serde(with = "crate::exact::f64_hex")]
    pub(super) wsum: f64,
    #[serde(with = "crate::exact::f64_hex")]
    pub(super) wsq: f64,
    #[serde(with = "crate::exact::f64_hex")]
    pub(super) dmin: f64,
    #[serde(with = "crate::exact::f64_hex")]
    pub(super) dmax: f64,
}

impl CellAcc {
    const EMPTY: CellAcc = CellAcc {
        rows: 0,
        wsum: 0.0,
        wsq: 0.0,
        dmin: f64::INFINITY,
        dmax: 0.0,
    };

    fn add(&mut self, d: f64) {
        self.rows += 1;
        self.wsum += d;
        self.wsq += d * d;
        self.dmin = self.dmin.min(d);
        self.dmax = self.dmax.max(d);
    }

    fn merge(&mut self, o: &CellAcc) {
        self.rows += o.rows;
        self.wsum += o.wsum;
        self.wsq += o.wsq;
        self.dmin = self.dmin.min(o.dmin);
        self.dmax = self.dmax.max(o.dmax);
    }
}

type CellMap<V> = crate::hash::FastMap<u128, V>;

/// Packs level codes (16 bits each) into a cell key.
/// The packed cell of every row of `batch` over `vars` (codes fixed by the variables).
fn cell_keys(vars: &[Var], batch: &RecordBatch) -> Result<Vec<u128>, ReweightError> {
    let mut codes: Vec<Vec<u32>> = Vec::with_capacity(vars.len());
    for v in vars {
        codes.push(v.code_fixed(column(batch, &v.name)?));
    }
    let mut key = vec![0u32; vars.len()];
    Ok((0..batch.num_rows())
        .map(|i| {
            for (k, c) in codes.iter().enumerate() {
                key[k] = c[i];
            }
            pack(&key)
        })
        .collect())
}

fn pack(codes: &[u32]) -> u128 {
    codes
        .iter()
        .fold(0u128, |k, &c| (k << 16) | u128::from(c & 0xffff))
}

/// Rows whose start weight is zero, negative or missing: the first (1-based, within the
/// rows counted), how many, and the first one's value as written in messages.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct BadWeights {
    first: u64,
    count: u64,
    value: String,
}

/// The pass-1 state of raking: per cell of the raking variables' cross-classification, the
/// rows, the sum and sum of squares of their start weights and the smallest and largest
/// start weight; with each variable's levels (so chunks coded independently merge by level
/// text), the rows counted and the rows whose start weight cannot be raked.
///
/// Build one per chunk with [`CellSums::new`] and [`CellSums::add`] (or
/// [`CellSums::from_batches`]), [`CellSums::merge`] them, then [`CellSums::solve`]. Memory is
/// one entry per non-empty cell (at most 4,194,304), whatever the row count.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(try_from = "SumsData", into = "SumsData")]
pub struct CellSums {
    pub(super) vars: Vec<Var>,
    /// The start-weight column, if the schema has one and the options use it.
    weight: Option<String>,
    cells: CellMap<(Vec<u32>, CellAcc)>,
    pub(super) rows: u64,
    bad: Option<BadWeights>,
    /// The input already has a column named like the output weight column.
    weight_clash: bool,
}

/// The serialised form of [`CellSums`]: cells in code order.
#[derive(Serialize, Deserialize)]
struct SumsData {
    vars: Vec<Var>,
    weight: Option<String>,
    cells: Vec<(Vec<u32>, CellAcc)>,
    rows: u64,
    bad: Option<BadWeights>,
    weight_clash: bool,
}

impl From<CellSums> for SumsData {
    fn from(s: CellSums) -> SumsData {
        SumsData {
            cells: s.sorted_cells(),
            vars: s.vars,
            weight: s.weight,
            rows: s.rows,
            bad: s.bad,
            weight_clash: s.weight_clash,
        }
    }
}

impl TryFrom<SumsData> for CellSums {
    type Error = String;

    fn try_from(d: SumsData) -> Result<CellSums, String> {
        check_codes(&d.vars, d.cells.iter().map(|c| &c.0))?;
        Ok(CellSums {
            vars: d.vars,
            weight: d.weight,
            cells: d.cells.into_iter().map(|c| (pack(&c.0), c)).collect(),
            rows: d.rows,
            bad: d.bad,
            weight_clash: d.weight_clash,
        })
    }
}

/// Checks that every cell's codes name levels of the variables (a state or factors read
/// from elsewhere could be damaged).
fn check_codes<'a>(vars: &[Var], cells: impl Iterator<Item = &'a Vec<u32>>) -> Result<(), String> {
    if vars.iter().any(|v| v.fixed > v.levels.len()) || vars.len() > MAX_VARS {
        return Err("the raking variables are damaged".into());
    }
    for c in cells {
        if c.len() != vars.len()
            || c.iter()
                .zip(vars)
                .any(|(&k, v)| k as usize >= v.levels.len())
        {
            return Err(format!(
                "a cell's level codes {c:?} do not match the raking variables"
            ));
        }
    }
    Ok(())
}

impl PartialEq for CellSums {
    /// Equal variables (with level order), cells with equal sums, rows and problems.
    fn eq(&self, o: &CellSums) -> bool {
        let var = |v: &Var| (v.name.clone(), v.levels.clone(), v.fixed);
        self.vars.iter().map(var).eq(o.vars.iter().map(var))
            && self.weight == o.weight
            && self.rows == o.rows
            && self.bad == o.bad
            && self.weight_clash == o.weight_clash
            && self.sorted_cells() == o.sorted_cells()
    }
}

/// The start-weight column `opts` rakes from, if any.
pub(super) fn weight_column(schema: &Schema, opts: &Options) -> Option<String> {
    if opts.unit_start_weights {
        return None;
    }
    schema
        .columns
        .iter()
        .find(|c| c.role == Role::Weight)
        .map(|c| c.name.clone())
}

/// Start weights of one batch: the weight column's values (NaN for null), or 1.
pub(super) fn start_weights(batch: &RecordBatch, column: Option<&str>) -> Vec<f64> {
    match column.and_then(|c| batch.column_by_name(c)) {
        None => vec![1.0; batch.num_rows()],
        Some(a) => numbers(a.as_ref())
            .into_iter()
            .map(|v| v.unwrap_or(f64::NAN))
            .collect(),
    }
}

fn check_bounds(opts: &Options, diags: &mut Vec<String>) {
    if let Some(lo) = opts.min_weight {
        if !(lo > 0.0 && lo < 1.0) {
            diags.push(format!("--min-weight {lo} cannot be met: it is relative to the mean weight, so it must lie between 0 and 1"));
        }
    }
    if let Some(hi) = opts.max_weight {
        if !(hi > 1.0 && hi.is_finite()) {
            diags.push(format!("--max-weight {hi} cannot be met: it is relative to the mean weight, so it must be greater than 1"));
        }
    }
    if !(opts.tolerance > 0.0 && opts.tolerance.is_finite()) {
        diags.push(format!(
            "--tolerance {} must be a positive number",
            opts.tolerance
        ));
    }
    if opts.max_iterations == 0 {
        diags.push("--max-iterations must be at least 1".into());
    }
}

fn column<'a>(batch: &'a RecordBatch, name: &str) -> Result<&'a ArrayRef, ReweightError> {
    batch.column_by_name(name).ok_or_else(|| {
        ReweightError::Diagnostics(vec![format!(
            "a batch has no column `{name}`, which the raking needs\n    hint: pass every batch with the input's columns"
        )])
    })
}

impl CellSums {
    /// An empty state for raking rows of `input_columns` (the input's Arrow schema) to the
    /// targets (and parity) in `opts`. Fails, with every problem listed, when the options
    /// cannot work or name nothing to reweight to.
    pub fn new(
        schema: &Schema,
        opts: &Options,
        input_columns: &arrow_schema::Schema,
    ) -> Result<CellSums, ReweightError> {
        let mut diags: Vec<String> = Vec::new();
        check_bounds(opts, &mut diags);
        // Raking variables: target columns, then the fairness label and protected columns.
        let mut names: Vec<String> = opts.targets.iter().map(|t| t.column.clone()).collect();
        if let Some(f) = &schema.fairness {
            for c in f.independent_of.iter().chain([&f.label]) {
                if !names.contains(c) {
                    names.push(c.clone());
                }
            }
        }
        if names.is_empty() {
            diags.push("nothing to reweight to: the schema has no `targets` and no `fairness`, and no --targets file was given".into());
        }
        for n in &names {
            if schema.column(n).is_none() {
                diags.push(format!("`{n}` is not a column of the schema"));
            } else if input_columns.index_of(n).is_err() {
                diags.push(format!(
                    "the input has no column `{n}`, which the raking needs"
                ));
            }
        }
        if !diags.is_empty() {
            return Err(ReweightError::Diagnostics(diags));
        }
        if names.len() > MAX_VARS {
            return Err(ReweightError::Diagnostics(vec![format!(
                "{} raking variables; at most {MAX_VARS} can be combined",
                names.len()
            )]));
        }
        let vars = names
            .iter()
            .filter_map(|n| {
                let col = schema.column(n)?;
                let mut v = Var {
                    name: n.clone(),
                    bins: col.bins.clone().filter(|_| col.ty.is_numeric()),
                    levels: Vec::new(),
                    codes: HashMap::new(),
                    fixed: 0,
                };
                if let Some(t) = opts.targets.iter().find(|t| &t.column == n) {
                    for (l, _) in &t.shares {
                        v.code_of(l);
                    }
                    v.fixed = v.levels.len();
                } else if let Some(cats) = col.categories() {
                    // Declared levels keep a stable order for reports.
                    for l in &cats {
                        v.code_of(l);
                    }
                } else if col.ty == ColumnType::Bool {
                    v.code_of("false");
                    v.code_of("true");
                }
                Some(v)
            })
            .collect();
        Ok(CellSums {
            vars,
            weight: weight_column(schema, opts),
            cells: CellMap::default(),
            rows: 0,
            bad: None,
            weight_clash: input_columns.index_of(&opts.weight_column).is_ok()
                && opts.resample.is_none(),
        })
    }

    /// The state of `batches` (see [`CellSums::new`] and [`CellSums::add`]).
    pub fn from_batches<'a>(
        schema: &Schema,
        opts: &Options,
        input_columns: &arrow_schema::Schema,
        batches: impl IntoIterator<Item = &'a RecordBatch>,
    ) -> Result<CellSums, ReweightError> {
        let mut s = CellSums::new(schema, opts, input_columns)?;
        for b in batches {
            s.add(b)?;
        }
        Ok(s)
    }

    /// Counts the rows of `batch` (columns found by name).
    pub fn add(&mut self, batch: &RecordBatch) -> Result<(), ReweightError> {
        let n = batch.num_rows();
        let mut codes: Vec<Vec<u32>> = Vec::with_capacity(self.vars.len());
        for v in &mut self.vars {
            let a = column(batch, &v.name)?;
            codes.push(v.code(a));
        }
        self.check_levels()?;
        let w = start_weights(batch, self.weight.as_deref());
        let mut key_codes = vec![0u32; self.vars.len()];
        for i in 0..n {
            let d = w[i];
            if !(d.is_finite() && d > 0.0) {
                match &mut self.bad {
                    Some(b) => b.count += 1,
                    None => {
                        self.bad = Some(BadWeights {
                            first: self.rows + i as u64 + 1,
                            count: 1,
                            value: d.to_string(),
                        })
                    }
                }
                continue;
            }
            for (k, c) in codes.iter().enumerate() {
                key_codes[k] = c[i];
            }
            self.cells
                .entry(pack(&key_codes))
                .or_insert_with(|| (key_codes.clone(), CellAcc::EMPTY))
                .1
                .add(d);
        }
        self.rows += n as u64;
        self.check_cells()
    }

    fn check_levels(&self) -> Result<(), ReweightError> {
        if self.vars.iter().any(|v| v.levels.len() > MAX_LEVELS) {
            return Err(ReweightError::Diagnostics(vec![format!(
                "a raking variable has more than {MAX_LEVELS} levels; give numeric columns `bins`"
            )]));
        }
        Ok(())
    }

    fn check_cells(&self) -> Result<(), ReweightError> {
        if self.cells.len() > MAX_CELLS {
            return Err(ReweightError::Diagnostics(vec![format!(
                "the raking variables form more than {MAX_CELLS} cells; use fewer or coarser variables"
            )]));
        }
        Ok(())
    }

    /// Adds the rows counted in `other`, which come after this state's rows (for the row
    /// numbers in messages and the order of levels met). Levels are matched by text. Fails
    /// when the two were made for different raking variables, bins, targets or start weights.
    pub fn merge(&mut self, other: CellSums) -> Result<(), ReweightError> {
        let same = self.vars.len() == other.vars.len()
            && self
                .vars
                .iter()
                .zip(&other.vars)
                .all(|(a, b)| a.same_coding(b))
            && self.weight == other.weight;
        if !same {
            return Err(ReweightError::Diagnostics(vec![
                "cannot merge raking states made for different raking variables, bins, targets or start weights\n    hint: build every chunk's state with the same schema and options".into(),
            ]));
        }
        let maps: Vec<Vec<u32>> = self
            .vars
            .iter_mut()
            .zip(&other.vars)
            .map(|(v, o)| o.levels.iter().map(|l| v.code_of(l)).collect())
            .collect();
        self.check_levels()?;
        for (codes, acc) in other.sorted_cells() {
            let codes: Vec<u32> = codes
                .iter()
                .zip(&maps)
                .map(|(c, m)| m[*c as usize])
                .collect();
            self.cells
                .entry(pack(&codes))
                .or_insert_with(|| (codes, CellAcc::EMPTY))
                .1
                .merge(&acc);
        }
        self.bad = match (self.bad.take(), other.bad) {
            (Some(mut a), Some(b)) => {
                a.count += b.count;
                Some(a)
            }
            (None, Some(mut b)) => {
                b.first += self.rows;
                Some(b)
            }
            (a, None) => a,
        };
        self.rows += other.rows;
        self.weight_clash |= other.weight_clash;
        self.check_cells()
    }

    /// Rows counted (including rows whose start weight cannot be raked).
    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// Cells that hold rows.
    pub fn cells(&self) -> usize {
        self.cells.len()
    }

    /// The start-weight column the state sums (`None`: unit start weights).
    pub(super) fn start_weight_column(&self) -> &Option<String> {
        &self.weight
    }

    /// Per row of `batch`, its place among [`CellSums::sorted_cells`] (`None`: a row whose
    /// start weight cannot be raked, or whose cell holds no rows here).
    pub(super) fn row_cells(
        &self,
        batch: &RecordBatch,
    ) -> Result<Vec<Option<usize>>, ReweightError> {
        let index: HashMap<u128, usize> = self
            .sorted_cells()
            .iter()
            .enumerate()
            .map(|(i, (c, _))| (pack(c), i))
            .collect();
        let keys = cell_keys(&self.vars, batch)?;
        let d = start_weights(batch, self.weight.as_deref());
        Ok(keys
            .iter()
            .zip(&d)
            .map(|(key, d)| {
                (d.is_finite() && *d > 0.0)
                    .then(|| index.get(key).copied())
                    .flatten()
            })
            .collect())
    }

    /// The cells in code order: every later sum is then independent of hash order.
    pub(super) fn sorted_cells(&self) -> Vec<(Vec<u32>, CellAcc)> {
        let mut cells: Vec<(Vec<u32>, CellAcc)> = self.cells.values().cloned().collect();
        cells.sort_by(|a, b| a.0.cmp(&b.0));
        cells
    }

    /// The checks of [`CellSums::solve`] (the data against the targets, parity and bounds,
    /// the start weights, the rows) and the raking problem on the cells they pass.
    pub(super) fn problem(
        &self,
        schema: &Schema,
        opts: &Options,
        input: &str,
    ) -> Result<ipf::Problem, ReweightError> {
        let mut diags = Vec::new();
        let fairness = schema.fairness.as_ref();
        let label_declared = fairness
            .and_then(|f| schema.column(&f.label))
            .and_then(|c| c.categories());
        let cells = self.sorted_cells();
        let problem = ipf::Problem::build(self, &cells, opts, fairness, label_declared, &mut diags);
        if let Some(b) = &self.bad {
            diags.push(format!(
                "{input}: {count} row{s} with a zero, negative or missing start weight in `{w}` (first: row {first}, value {value})\n    hint: fix or drop those rows; raking needs positive start weights",
                count = b.count,
                s = if b.count == 1 { "" } else { "s" },
                w = self.weight.as_deref().unwrap_or("weight"),
                first = b.first,
                value = b.value,
            ));
        }
        if self.rows == 0 {
            diags.push(format!("{input}: the input has no rows"));
        }
        if self.weight_clash {
            diags.push(format!(
                "the input already has a column `{}`\n    hint: name the output weight column with --weight-column",
                opts.weight_column
            ));
        }
        match problem {
            Some(p) if diags.is_empty() => Ok(p),
            _ => Err(ReweightError::Diagnostics(diags)),
        }
    }

    /// Checks the data against the targets, parity and bounds and runs the iteration on the
    /// cells: the report (without the rows written and the weight histogram, which the
    /// writing pass adds) and the factors that weight any batch. `input` names the data in
    /// messages. Every problem is listed in one [`ReweightError::Diagnostics`].
    pub fn solve(
        &self,
        schema: &Schema,
        opts: &Options,
        input: &str,
    ) -> Result<(Report, Factors), ReweightError> {
        let problem = self.problem(schema, opts, input)?;
        let solution = problem.solve(opts);
        if let Some(message) = problem
            .degenerate(&solution, opts)
            .or_else(|| problem.worse_than_start(&solution, opts))
        {
            return Err(ReweightError::Diagnostics(vec![message]));
        }
        let report = problem.report(&solution, opts, self.rows, &self.weight);
        let factors = Factors::new(
            self.vars.clone(),
            self.weight.clone(),
            problem
                .cells
                .iter()
                .zip(&solution.factors)
                .map(|(c, g)| (c.codes.clone(), *g))
                .collect(),
        );
        Ok((report, factors))
    }
}

/// One cell's factor, serialised.
#[derive(Serialize, Deserialize)]
struct FactorCell {
    codes: Vec<u32>,
    #[serde(with = "crate::exact::f64_hex")]
    factor: f64,
}

/// The solved raking: final weight / start weight per cell, with the coding of the raking
/// variables, so that [`Factors::weights`] gives any batch of the input its final weights
/// (pass 2), in any process. A row whose cell held no rows in pass 1 gets weight 0.
/// Serialises with serde (floats as their bits, exact).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(try_from = "FactorsData", into = "FactorsData")]
pub struct Factors {
    vars: Vec<Var>,
    weight: Option<String>,
    cells: Vec<(Vec<u32>, f64)>,
    map: CellMap<f64>,
}

#[derive(Serialize, Deserialize)]
struct FactorsData {
    vars: Vec<Var>,
    weight: Option<String>,
    cells: Vec<FactorCell>,
}

impl From<Factors> for FactorsData {
    fn from(f: Factors) -> FactorsData {
        FactorsData {
            vars: f.vars,
            weight: f.weight,
            cells: f
                .cells
                .into_iter()
                .map(|(codes, factor)| FactorCell { codes, factor })
                .collect(),
        }
    }
}

impl TryFrom<FactorsData> for Factors {
    type Error = String;

    fn try_from(d: FactorsData) -> Result<Factors, String> {
        check_codes(&d.vars, d.cells.iter().map(|c| &c.codes))?;
        Ok(Factors::new(
            d.vars,
            d.weight,
            d.cells.into_iter().map(|c| (c.codes, c.factor)).collect(),
        ))
    }
}

impl PartialEq for Factors {
    /// The same coding and the same factor, bit for bit, per cell.
    fn eq(&self, o: &Factors) -> bool {
        let var = |v: &Var| (v.name.clone(), v.levels.clone(), v.fixed);
        self.vars.iter().map(var).eq(o.vars.iter().map(var))
            && self.weight == o.weight
            && self.cells.len() == o.cells.len()
            && self
                .cells
                .iter()
                .zip(&o.cells)
                .all(|(a, b)| a.0 == b.0 && a.1.to_bits() == b.1.to_bits())
    }
}

impl Factors {
    fn new(vars: Vec<Var>, weight: Option<String>, cells: Vec<(Vec<u32>, f64)>) -> Factors {
        let map = cells.iter().map(|(c, g)| (pack(c), *g)).collect();
        Factors {
            vars,
            weight,
            cells,
            map,
        }
    }

    /// The final weight of every row of `batch` (start weight times its cell's factor).
    pub fn weights(&self, batch: &RecordBatch) -> Result<Vec<f64>, ReweightError> {
        let keys = cell_keys(&self.vars, batch)?;
        let d = start_weights(batch, self.weight.as_deref());
        Ok(keys
            .iter()
            .zip(&d)
            .map(|(key, d)| d * self.map.get(key).copied().unwrap_or(0.0))
            .collect())
    }

    /// The start-weight column the factors multiply, if any (1 otherwise).
    pub fn start_weight_column(&self) -> Option<&str> {
        self.weight.as_deref()
    }
}
