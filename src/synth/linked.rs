//! Linked tables from a schema alone: every root table is cut into *families* (a block of root
//! rows with all their descendants through the driving keys), generated in parallel and written
//! in order, one Parquet file per table.
//!
//! A child table's rows are drawn per parent row (the hidden count column of the parent's
//! generator), its driving key copies the parent's key, other keys pick a row of a root table
//! uniformly (distinct per parent with `unique`), and its generators may read its ancestors'
//! columns and the picked rows' columns. Every random draw comes from a stream keyed by
//! (seed, table/column, purpose, family), so the output does not depend on the thread count.
//! Keys of child tables are numbered in a sequential pass over each window of families, so no
//! global pass over the counts is needed and memory stays bounded by the window.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow_array::builder::StringBuilder;
use arrow_array::cast::AsArray;
use arrow_array::types::Int32Type;
use arrow_array::{Array, ArrayRef, Int32Array, Int64Array, RecordBatch, UInt32Array};
use arrow_schema::{DataType, SchemaRef};
use rand::RngExt;
use rayon::prelude::*;

use super::{stream, Layout, SynthError, Synthesizer, BLOCK_ROWS};
use crate::schema::{Aggregate, Column, ColumnType, Database, GenSpec, Generator};

/// Families per row group.
const GROUP_FAMILIES: u64 = 4;

/// Fewest root rows per family.
const MIN_FAMILY_ROWS: usize = 64;

/// How a context column (another table's column) is fetched for a row.
#[derive(Debug, Clone)]
enum CtxSource {
    /// An ancestor `up` driving steps above, its written column `col`.
    Ancestor { up: usize, col: usize },
    /// The row picked by the non-driving key at written column `key` of table `table`.
    Picked {
        key: usize,
        table: usize,
        col: usize,
    },
}

/// A sequence primary key: its values are computed from row numbers.
#[derive(Debug, Clone)]
struct Seq {
    start: i64,
    step: i64,
    prefix: String,
    ty: ColumnType,
}

impl Seq {
    fn array(
        &self,
        rows: impl Iterator<Item = u64>,
        table: &str,
        column: &str,
    ) -> Result<ArrayRef, SynthError> {
        let value = |r: u64| -> Result<i64, SynthError> {
            i64::try_from(r)
                .ok()
                .and_then(|r| r.checked_mul(self.step))
                .and_then(|x| x.checked_add(self.start))
                .ok_or_else(|| SynthError::Overflow {
                    column: format!("{table}.{column}"),
                    row: r,
                })
        };
        Ok(match self.ty {
            ColumnType::String => {
                let mut b = StringBuilder::new();
                for r in rows {
                    b.append_value(format!("{}{}", self.prefix, value(r)?));
                }
                Arc::new(b.finish())
            }
            ColumnType::Int { bits: 32 } => Arc::new(Int32Array::from(
                rows.map(|r| {
                    value(r).and_then(|v| {
                        i32::try_from(v).map_err(|_| SynthError::Overflow {
                            column: format!("{table}.{column}"),
                            row: r,
                        })
                    })
                })
                .collect::<Result<Vec<i32>, _>>()?,
            )),
            _ => Arc::new(Int64Array::from(
                rows.map(value).collect::<Result<Vec<i64>, _>>()?,
            )),
        })
    }
}

/// A non-driving foreign key.
#[derive(Debug, Clone)]
struct Pick {
    /// Written column of the key.
    col: usize,
    /// Referenced table (a root) and its key sequence.
    table: usize,
    seq: Seq,
    null_share: f64,
    unique: bool,
    /// A self-reference: picks an earlier row.
    own: bool,
    stream: String,
    /// The key column's name, for errors.
    name: String,
}

/// An aggregate column of a parent over a child table.
#[derive(Debug, Clone)]
struct Agg {
    /// Written column in the parent.
    col: usize,
    child: usize,
    function: Aggregate,
    /// Written column of the child aggregated.
    child_col: Option<usize>,
    ty: ColumnType,
    /// Decimal places of the child column, when it is rounded.
    round: Option<u32>,
}

/// One table, compiled.
#[derive(Debug)]
struct Plan {
    name: String,
    synth: Synthesizer,
    /// Context columns in layout order.
    context: Vec<CtxSource>,
    /// Written column of the primary key, and its sequence when numbered.
    pk: usize,
    pk_seq: Option<Seq>,
    /// Driving parent: (table, written column of the driving key, hidden slot in the parent).
    driving: Option<(usize, usize, usize)>,
    /// Count levels of hidden slot k (the k-th child table), for counts given as shares.
    count_levels: Vec<Option<Vec<u64>>>,
    picks: Vec<Pick>,
    aggs: Vec<Agg>,
    /// Written columns holding aggregates (filled after the children).
    rows: u64,
}

/// A linked-table schema compiled for generation.
#[derive(Debug)]
pub struct LinkedSynthesizer {
    db: Database,
    seed: u64,
    plans: Vec<Plan>,
    /// Tables in generation order.
    order: Vec<usize>,
    /// Root rows per family, per table (roots only).
    family_rows: Vec<usize>,
}

/// Columns of root tables read through picked rows: table -> written column -> whole array.
type Materialised = HashMap<usize, HashMap<usize, ArrayRef>>;

/// The columns of root tables that other tables read through picked rows, made once per
/// process by [`LinkedSynthesizer::picked_columns`] for [`LinkedSynthesizer::units`].
#[derive(Debug, Clone, Default)]
pub struct PickedColumns(Materialised);

/// One table's rows of one family.
#[derive(Debug, Default, Clone)]
struct Part {
    cols: Vec<ArrayRef>,
    hidden: Vec<ArrayRef>,
    /// Row -> parent row in the parent's part (child tables).
    parent: Vec<u32>,
    len: usize,
}

impl LinkedSynthesizer {
    /// Compiles `db` for generation with `seed`.
    pub fn new(db: &Database, seed: u64) -> Result<Self, SynthError> {
        let n = db.tables.len();
        let index = |name: &str| db.table_index(name);
        let order = db.order();
        let mut plans: Vec<Option<Plan>> = (0..n).map(|_| None).collect();
        // Children of each table through driving keys, in generation order.
        let mut children: Vec<Vec<usize>> = vec![Vec::new(); n];
        for &i in &order {
            if let Some(fk) = db.tables[i].driving() {
                if let Some(p) = index(&fk.table) {
                    children[p].push(i);
                }
            }
        }
        for &i in &order {
            let t = &db.tables[i];
            let s = &t.schema;
            // Context columns: as the decoder named them.
            let mut context_cols: Vec<Column> = Vec::new();
            let mut context = Vec::new();
            for name in &t.context {
                let (tname, cname) = name.split_once('.').unwrap_or(("", name));
                let Some(j) = index(tname) else {
                    return Err(SynthError::Reference {
                        column: format!("{}.{}", s.name, name),
                        reference: name.clone(),
                    });
                };
                let source = &db.tables[j].schema;
                let Some(col) = source.column_index(cname) else {
                    return Err(SynthError::Reference {
                        column: s.name.clone(),
                        reference: name.clone(),
                    });
                };
                let mut c = source.columns[col].clone();
                c.name = name.clone();
                c.generator = Some(external());
                context_cols.push(c);
                // An ancestor through the driving keys, else the table a key picks.
                let mut up = 0;
                let mut at = i;
                let mut found = None;
                while let Some(fk) = db.tables[at].driving() {
                    let Some(p) = index(&fk.table) else { break };
                    up += 1;
                    if p == j {
                        found = Some(CtxSource::Ancestor { up, col });
                        break;
                    }
                    at = p;
                }
                let src = match found {
                    Some(f) => f,
                    None => {
                        let key = t
                            .foreign_keys
                            .iter()
                            .find(|k| k.children.is_none() && k.table == tname)
                            .and_then(|k| s.column_index(&k.column));
                        match key {
                            Some(key) => CtxSource::Picked { key, table: j, col },
                            None => {
                                return Err(SynthError::Reference {
                                    column: s.name.clone(),
                                    reference: name.clone(),
                                })
                            }
                        }
                    }
                };
                context.push(src);
            }
            // Hidden children counts.
            let mut hidden_cols: Vec<Column> = Vec::new();
            let mut count_levels = Vec::new();
            for &c in &children[i] {
                let ct = &db.tables[c];
                let Some(fk) = ct.driving() else { continue };
                let Some(ch) = &fk.children else { continue };
                let mut col = Column::blank(
                    &format!("{}.{} children", ct.name(), fk.column),
                    ColumnType::Int { bits: 64 },
                );
                col.generator = Some(ch.generator.clone());
                match &ch.generator.base {
                    Generator::Categorical(_) => {
                        col.ty = ColumnType::Category;
                        // Every count the base or a case names.
                        let mut levels: Vec<String> = Vec::new();
                        let gens = std::iter::once(&ch.generator.base)
                            .chain(ch.generator.cases.iter().map(|c| &c.generator));
                        for g in gens {
                            if let Generator::Categorical(sh) = g {
                                for (l, _) in sh {
                                    if !levels.contains(l) {
                                        levels.push(l.clone());
                                    }
                                }
                            }
                        }
                        count_levels.push(Some(
                            levels
                                .iter()
                                .map(|l| l.parse::<u64>().unwrap_or(0))
                                .collect(),
                        ));
                        col.levels = Some(levels);
                    }
                    _ => {
                        col.min = Some(ch.min as f64);
                        col.max = Some(ch.max as f64);
                        count_levels.push(None);
                    }
                }
                hidden_cols.push(col);
            }
            let mut aug = s.clone();
            aug.columns = context_cols
                .iter()
                .cloned()
                .chain(s.columns.iter().cloned())
                .chain(hidden_cols.iter().cloned())
                .collect();
            let layout = Layout {
                prefix: format!("{}/", s.name),
                context: context_cols.len(),
                hidden: hidden_cols.len(),
            };
            let synth = Synthesizer::with_layout(&aug, seed, layout)?;
            let pk = s.column_index(&t.primary_key).unwrap_or(0);
            let pk_seq = seq_of(&s.columns[pk]);
            let driving = match t.driving() {
                Some(fk) => {
                    let p = index(&fk.table).unwrap_or(0);
                    let slot = children[p].iter().position(|&c| c == i).unwrap_or(0);
                    Some((p, s.column_index(&fk.column).unwrap_or(0), slot))
                }
                None => None,
            };
            let mut picks = Vec::new();
            for fk in t.foreign_keys.iter().filter(|k| k.children.is_none()) {
                let Some(j) = index(&fk.table) else { continue };
                let target = &db.tables[j];
                if !target.is_root() {
                    let what = if j == i {
                        "references its own table, whose rows are drawn per parent".to_string()
                    } else {
                        format!(
                            "picks a row of `{}`, whose rows are drawn per parent",
                            fk.table
                        )
                    };
                    return Err(SynthError::Linked(format!(
                        "cannot synthesise `{}.{}`: it {what}\n    hint: a key without `children` can pick only rows of a table with `rows:`; make `{}` the driving key, or `{}` a root",
                        s.name, fk.column, fk.column, fk.table
                    )));
                }
                let Some(seq) = target.schema.column(&target.primary_key).and_then(seq_of) else {
                    return Err(SynthError::Linked(format!(
                        "cannot synthesise `{}.{}`: it picks rows of `{}` by number, which needs `{}.{}` to be a sequence\n    hint: generate `{}` with `generator: {{kind: sequence}}`",
                        s.name, fk.column, fk.table, fk.table, target.primary_key, target.primary_key
                    )));
                };
                picks.push(Pick {
                    col: s.column_index(&fk.column).unwrap_or(0),
                    table: j,
                    seq,
                    null_share: fk.null_share,
                    unique: fk.unique,
                    own: j == i,
                    stream: format!("{}/{}", s.name, fk.column),
                    name: fk.column.clone(),
                });
            }
            plans[i] = Some(Plan {
                name: s.name.clone(),
                synth,
                context,
                pk,
                pk_seq,
                driving,
                count_levels,
                picks,
                aggs: Vec::new(),
                rows: s.rows,
            });
        }
        let mut plans: Vec<Plan> = plans
            .into_iter()
            .map(|p| p.expect("every table planned"))
            .collect();
        // Aggregates.
        for (i, t) in db.tables.iter().enumerate() {
            for (k, c) in t.schema.columns.iter().enumerate() {
                if let Some(GenSpec {
                    base:
                        Generator::Aggregate {
                            table,
                            function,
                            column,
                            ..
                        },
                    ..
                }) = &c.generator
                {
                    let Some(child) = index(table) else { continue };
                    let child_col = column
                        .as_ref()
                        .and_then(|cc| db.tables[child].schema.column_index(cc));
                    let round = child_col.and_then(|cc| {
                        match db.tables[child].schema.columns[cc]
                            .generator
                            .as_ref()
                            .map(|g| &g.base)
                        {
                            Some(Generator::Numeric { round, .. })
                            | Some(Generator::Formula { round, .. }) => *round,
                            _ => None,
                        }
                    });
                    plans[i].aggs.push(Agg {
                        col: k,
                        child,
                        function: *function,
                        child_col,
                        ty: c.ty,
                        round,
                    });
                }
            }
        }
        // Family sizes: about one block of rows per family.
        let mut expected = vec![1.0f64; n];
        for &i in order.iter().rev() {
            let mut e = 1.0;
            for &c in &children[i] {
                e += mean_children(&db.tables[c]) * expected[c];
            }
            expected[i] = e;
        }
        let family_rows = (0..n)
            .map(|i| {
                let per = (BLOCK_ROWS as f64 / expected[i].max(1.0)).floor() as usize;
                let mut f = BLOCK_ROWS;
                while f > per && f > MIN_FAMILY_ROWS {
                    f /= 2;
                }
                f
            })
            .collect();
        Ok(LinkedSynthesizer {
            db: db.clone(),
            seed,
            plans,
            order,
            family_rows,
        })
    }

    /// Caps the root rows per family at `rows` (at least 1). The output depends on the family
    /// size (streams are keyed by family), so a schema gives the same rows for any thread count
    /// only at the same cap; tests use small families to exercise many windows.
    pub fn with_family_rows_at_most(mut self, rows: usize) -> Self {
        for f in &mut self.family_rows {
            *f = (*f).min(rows.max(1));
        }
        self
    }

    /// The tables, in file order, with their Arrow schemas.
    pub fn tables(&self) -> Vec<(String, SchemaRef)> {
        self.plans
            .iter()
            .map(|p| (p.name.clone(), p.synth.schema()))
            .collect()
    }

    /// The schema this was compiled from.
    pub fn database(&self) -> &Database {
        &self.db
    }

    /// The provenance of table `i`'s file: the common record of [`crate::io::provenance`]
    /// plus the table, its primary key and foreign keys (table and column), the tables of the
    /// folder, and the root rows; `extra` fields are added (compression, say).
    pub fn provenance(
        &self,
        i: usize,
        command_line: &[String],
        extra: serde_json::Value,
    ) -> serde_json::Value {
        let db = &self.db;
        let t = &db.tables[i];
        let keys: Vec<serde_json::Value> = t
            .foreign_keys
            .iter()
            .map(|k| {
                let pk = db
                    .table(&k.table)
                    .map(|p| p.primary_key.clone())
                    .unwrap_or_default();
                serde_json::json!({
                    "column": k.column,
                    "references": {"table": k.table, "column": pk},
                    "drives_rows": k.children.is_some(),
                })
            })
            .collect();
        let mut fields = serde_json::json!({
            "seed": self.seed,
            "table": t.name(),
            "tables": db.tables.iter().map(|t| t.name()).collect::<Vec<_>>(),
            "database": db.name,
            "rows": t.is_root().then_some(t.schema.rows),
            "primary_key": t.primary_key,
            "foreign_keys": keys,
            "rng": "ChaCha8 streams keyed by SHA-256(seed, table/column, family)",
        });
        if let (Some(f), serde_json::Value::Object(e)) = (fields.as_object_mut(), extra) {
            f.extend(e);
        }
        crate::io::provenance("synth", &t.schema, fields, command_line)
    }

    /// Root tables in generation order.
    fn roots(&self) -> Vec<usize> {
        self.order
            .iter()
            .copied()
            .filter(|&i| self.plans[i].driving.is_none())
            .collect()
    }

    /// Tables whose rows are generated with root `r`'s families: `r` and its descendants.
    fn family_tables(&self, r: usize) -> Vec<usize> {
        let mut out = vec![r];
        for &i in &self.order {
            if let Some((p, ..)) = self.plans[i].driving {
                if out.contains(&p) {
                    out.push(i);
                }
            }
        }
        out
    }

    /// Number of families of root `r`.
    fn families(&self, r: usize) -> u64 {
        self.plans[r].rows.div_ceil(self.family_rows[r] as u64)
    }

    /// The columns of root tables that other tables read through picked rows, whole (only
    /// those columns are kept: table -> written column -> array).
    fn materialise(&self) -> Result<Materialised, SynthError> {
        let mut need: Vec<(usize, usize)> = Vec::new();
        for p in &self.plans {
            for c in &p.context {
                if let CtxSource::Picked { table, col, .. } = c {
                    if !need.contains(&(*table, *col)) {
                        need.push((*table, *col));
                    }
                }
            }
        }
        need.sort_unstable();
        let mut out: Materialised = HashMap::new();
        // In generation order, so that a table whose own columns read a picked row of another
        // materialised table is made with that table's columns at hand.
        let tables: Vec<usize> = self
            .order
            .iter()
            .copied()
            .filter(|t| need.iter().any(|n| n.0 == *t))
            .collect();
        for t in tables {
            let cols: Vec<usize> = need.iter().filter(|n| n.0 == t).map(|n| n.1).collect();
            let fams = self.families(t);
            let made = &out;
            let parts: Vec<Vec<ArrayRef>> = (0..fams)
                .into_par_iter()
                .map(|j| {
                    self.root_part(t, j, Some(made))
                        .map(|p| cols.iter().map(|&c| p.cols[c].clone()).collect())
                })
                .collect::<Result<_, _>>()?;
            let mut kept = HashMap::new();
            for (k, &c) in cols.iter().enumerate() {
                let pieces: Vec<&dyn Array> = parts.iter().map(|p| p[k].as_ref()).collect();
                kept.insert(c, arrow_select::concat::concat(&pieces)?);
            }
            out.insert(t, kept);
        }
        Ok(out)
    }

    /// Rows of root `r`'s family `j` (root rows `j * F ..`).
    fn root_part(&self, r: usize, j: u64, mat: Option<&Materialised>) -> Result<Part, SynthError> {
        let f = self.family_rows[r] as u64;
        let start = j * f;
        let len = self.plans[r].rows.saturating_sub(start).min(f) as usize;
        let plan = &self.plans[r];
        let rows: Vec<u64> = (start..start + len as u64).collect();
        let picked = self.picks(plan, j, &rows, None)?;
        self.part(r, j, start, len, Vec::new(), picked, &[], mat)
    }

    /// Draws the rows each non-driving key of `plan` picks (`groups`: children of one parent
    /// share distinct picks under `unique`).
    fn picks(
        &self,
        plan: &Plan,
        family: u64,
        rows: &[u64],
        groups: Option<&[u32]>,
    ) -> Result<Vec<Vec<Option<u64>>>, SynthError> {
        let mut out = Vec::with_capacity(plan.picks.len());
        for pk in &plan.picks {
            let mut rng = stream(self.seed, &pk.stream, 2, family);
            let mut nrng = stream(self.seed, &pk.stream, 1, family);
            let size = self.plans[pk.table].rows;
            let mut v: Vec<Option<u64>> = Vec::with_capacity(rows.len());
            let mut taken: HashSet<u64> = HashSet::new();
            let mut group = u32::MAX;
            for (k, &row) in rows.iter().enumerate() {
                let null = pk.null_share > 0.0 && nrng.random::<f64>() < pk.null_share;
                let bound = if pk.own { row } else { size };
                if let Some(g) = groups {
                    if g[k] != group {
                        group = g[k];
                        taken.clear();
                    }
                }
                let exhausted = pk.unique && taken.len() as u64 >= bound;
                if exhausted && !null && pk.null_share == 0.0 && groups.is_some() {
                    let target = &self.plans[pk.table].name;
                    return Err(SynthError::Linked(format!(
                        "cannot synthesise `{}.{}`: a parent row has more `{}` rows than `{target}` has rows ({bound}), and `unique: true` asks each of them to pick a different one\n    hint: raise `rows` of `{target}` or --scale (`{target}` has {bound} {} now), or lower the most children a parent may have",
                        plan.name, pk.name, plan.name, if bound == 1 { "row" } else { "rows" }
                    )));
                }
                if bound == 0 && !null && pk.null_share == 0.0 && !pk.own {
                    let target = &self.plans[pk.table].name;
                    return Err(SynthError::Linked(format!(
                        "cannot synthesise `{}.{}`: it must name a `{target}` row, and `{target}` has no rows\n    hint: raise `rows` of `{target}` (or --scale), or allow nulls with `null_share`",
                        plan.name, pk.name
                    )));
                }
                if null || bound == 0 || exhausted {
                    v.push(None);
                    continue;
                }
                let mut x = rng.random_range(0..bound);
                if pk.unique && groups.is_some() {
                    // Distinct within the parent: the next free row, wrapping.
                    while taken.contains(&x) {
                        x = (x + 1) % bound;
                    }
                    taken.insert(x);
                }
                v.push(Some(x));
            }
            out.push(v);
        }
        Ok(out)
    }

    /// Generates table `t`'s rows of a family given the parent rows (`parent`) and picks, with
    /// the parts of its ancestors generated so far (`done`, by table).
    #[allow(clippy::too_many_arguments)]
    fn part(
        &self,
        t: usize,
        family: u64,
        start: u64,
        len: usize,
        parent: Vec<u32>,
        picked: Vec<Vec<Option<u64>>>,
        done: &[(usize, Part)],
        mat: Option<&Materialised>,
    ) -> Result<Part, SynthError> {
        let plan = &self.plans[t];
        let nctx = plan.context.len();
        let mut inputs: HashMap<usize, ArrayRef> = HashMap::new();
        // Context columns.
        for (k, src) in plan.context.iter().enumerate() {
            let array = match src {
                CtxSource::Ancestor { up, col } => {
                    // Walk `up` steps: row -> parent row -> ...
                    let mut idx: Vec<u32> = parent.clone();
                    let mut at = plan.driving.map(|d| d.0);
                    for _ in 1..*up {
                        let Some(a) = at else { break };
                        let Some((_, ap)) = done.iter().find(|(i, _)| *i == a) else {
                            break;
                        };
                        idx = idx.iter().map(|&r| ap.parent[r as usize]).collect();
                        at = self.plans[a].driving.map(|d| d.0);
                    }
                    let Some(src_part) = at.and_then(|a| done.iter().find(|(i, _)| *i == a)) else {
                        continue;
                    };
                    let ix = UInt32Array::from(idx);
                    arrow_select::take::take(src_part.1.cols[*col].as_ref(), &ix, None)?
                }
                CtxSource::Picked { key, table, col } => {
                    let Some(m) = mat.and_then(|m| m.get(table)) else {
                        continue;
                    };
                    let which = plan.picks.iter().position(|p| p.col == *key).unwrap_or(0);
                    let ix: UInt32Array =
                        picked[which].iter().map(|r| r.map(|r| r as u32)).collect();
                    let Some(values) = m.get(col) else {
                        continue;
                    };
                    arrow_select::take::take(values.as_ref(), &ix, None)?
                }
            };
            inputs.insert(k, array);
        }
        // Non-driving keys.
        for (which, pk) in plan.picks.iter().enumerate() {
            let rows = &picked[which];
            let present: Vec<u64> = rows.iter().map(|r| r.unwrap_or(0)).collect();
            let keys = pk.seq.array(present.into_iter(), &plan.name, "key")?;
            let nulls: Vec<bool> = rows.iter().map(Option::is_some).collect();
            let keys = with_nulls(keys, &nulls)?;
            inputs.insert(nctx + pk.col, keys);
        }
        let mut cols = plan
            .synth
            .generate(family, start, len, &mut |k| inputs.remove(&k), &[])?;
        let hidden = cols.split_off(plan.synth.written());
        Ok(Part {
            cols,
            hidden,
            parent,
            len,
        })
    }

    /// Every table's rows of root `r`'s family `j`, keys of child tables numbered from 0.
    fn family(
        &self,
        r: usize,
        j: u64,
        mat: &Materialised,
    ) -> Result<Vec<(usize, Part)>, SynthError> {
        let mut done: Vec<(usize, Part)> = Vec::new();
        let root = self.root_part(r, j, Some(mat))?;
        done.push((r, root));
        for t in self.family_tables(r).into_iter().skip(1) {
            let plan = &self.plans[t];
            let Some((p, _, slot)) = plan.driving else {
                continue;
            };
            let Some(pp) = done.iter().find(|(i, _)| *i == p).map(|x| &x.1) else {
                continue;
            };
            let counts = counts_of(
                &pp.hidden[slot],
                self.plans[p].count_levels[slot].as_deref(),
            );
            let total: usize = counts.iter().map(|&c| c as usize).sum();
            let mut parent = Vec::with_capacity(total);
            for (row, &c) in counts.iter().enumerate() {
                parent.extend(std::iter::repeat_n(row as u32, c as usize));
            }
            let rows: Vec<u64> = (0..total as u64).collect();
            let picked = self.picks(plan, j, &rows, Some(&parent))?;
            let part = self.part(t, j, 0, total, parent, picked, &done, Some(mat))?;
            done.push((t, part));
        }
        // Aggregates, children before parents.
        for k in (0..done.len()).rev() {
            let t = done[k].0;
            for agg in &self.plans[t].aggs {
                let Some(child) = done
                    .iter()
                    .find(|(i, _)| *i == agg.child)
                    .map(|x| x.1.clone())
                else {
                    continue;
                };
                let n = done[k].1.len;
                let values = child.cols.get(agg.child_col.unwrap_or(0)).cloned();
                done[k].1.cols[agg.col] = aggregate(agg, n, &child.parent, values.as_ref())?;
            }
        }
        Ok(done)
    }

    /// Generates every table, handing each window of families to `emit` as batches per
    /// table (in file order), in order. Returns rows per table.
    pub fn run(
        &self,
        emit: &mut dyn FnMut(Vec<Vec<RecordBatch>>) -> Result<(), SynthError>,
    ) -> Result<Vec<u64>, SynthError> {
        let mat = self.materialise()?;
        let n = self.plans.len();
        // A row group holds the rows of GROUP_FAMILIES families, whatever the thread count (so
        // the files' bytes do not depend on it); a window of whole groups is generated in
        // parallel, about two families per thread.
        let groups_per_window =
            (2 * rayon::current_num_threads()).div_ceil(GROUP_FAMILIES as usize);
        let window = GROUP_FAMILIES * groups_per_window.max(1) as u64;
        let mut offsets = vec![0u64; n];
        for r in self.roots() {
            let fams = self.families(r);
            let mut first = 0;
            while first < fams {
                let last = fams.min(first + window);
                let parts: Vec<Vec<(usize, Part)>> = (first..last)
                    .into_par_iter()
                    .map(|j| self.family(r, j, &mat))
                    .collect::<Result<_, _>>()?;
                // Number child keys in order, then copy them into the children's keys; hand on
                // the rows group by group.
                let mut parts = parts.into_iter().peekable();
                while parts.peek().is_some() {
                    let chunk: Vec<Vec<(usize, Part)>> =
                        parts.by_ref().take(GROUP_FAMILIES as usize).collect();
                    let mut batches: Vec<Vec<RecordBatch>> = vec![Vec::new(); n];
                    for fam in chunk {
                        self.number_and_push(fam, &mut offsets, &mut batches)?;
                    }
                    emit(batches)?;
                }
                first = last;
            }
        }
        Ok(offsets)
    }

    /// Numbers the keys of the child tables of one family from `offsets` (rows of each table
    /// before this family, advanced here), copies them into the children's driving keys, and
    /// appends the family's rows to `batches` (per table, file order).
    fn number_and_push(
        &self,
        mut fam: Vec<(usize, Part)>,
        offsets: &mut [u64],
        batches: &mut [Vec<RecordBatch>],
    ) -> Result<(), SynthError> {
        for k in 0..fam.len() {
            let t = fam[k].0;
            let plan = &self.plans[t];
            if plan.driving.is_some() {
                if let Some(seq) = &plan.pk_seq {
                    let off = offsets[t];
                    let len = fam[k].1.len as u64;
                    fam[k].1.cols[plan.pk] = seq.array(off..off + len, &plan.name, "key")?;
                }
            }
            if let Some((p, key, _)) = plan.driving {
                let Some(pp) = fam.iter().find(|(i, _)| *i == p) else {
                    continue;
                };
                let ix = UInt32Array::from(fam[k].1.parent.clone());
                let keys =
                    arrow_select::take::take(pp.1.cols[self.plans[p].pk].as_ref(), &ix, None)?;
                fam[k].1.cols[key] = keys;
            }
            offsets[t] += fam[k].1.len as u64;
        }
        for (t, part) in fam {
            if part.len > 0 {
                batches[t].push(RecordBatch::try_new(
                    self.plans[t].synth.schema(),
                    part.cols,
                )?);
            }
        }
        Ok(())
    }

    /// The families of every root, in generation order, as one sequence of *units*: unit `u`
    /// is family `j` of root `r` where the roots' families are counted one root after the
    /// other. A run of units can be generated in any process with [`Self::units`], given the
    /// rows of each table before it ([`Self::unit_rows`] of the earlier units): the folder of
    /// [`Self::run`] is the units' rows in unit order.
    pub fn unit_count(&self) -> u64 {
        self.roots().into_iter().map(|r| self.families(r)).sum()
    }

    /// Root and family of unit `u` (see [`Self::unit_count`]).
    fn unit(&self, u: u64) -> Option<(usize, u64)> {
        let mut first = 0;
        for r in self.roots() {
            let n = self.families(r);
            if u < first + n {
                return Some((r, u - first));
            }
            first += n;
        }
        None
    }

    /// The columns of root tables that other tables read through picked rows (the one global
    /// pass of a linked schema: computed once per process and reused for every run of units).
    pub fn picked_columns(&self) -> Result<PickedColumns, SynthError> {
        Ok(PickedColumns(self.materialise()?))
    }

    /// Rows of every table (file order) made by units `first..end`, summed.
    pub fn unit_rows(
        &self,
        first: u64,
        end: u64,
        picked: &PickedColumns,
    ) -> Result<Vec<u64>, SynthError> {
        let end = end.min(self.unit_count());
        let counts: Vec<Vec<u64>> = (first..end)
            .into_par_iter()
            .map(|u| -> Result<Vec<u64>, SynthError> {
                let mut rows = vec![0u64; self.plans.len()];
                if let Some((r, j)) = self.unit(u) {
                    for (t, part) in self.family(r, j, &picked.0)? {
                        rows[t] += part.len as u64;
                    }
                }
                Ok(rows)
            })
            .collect::<Result<_, _>>()?;
        let mut total = vec![0u64; self.plans.len()];
        for c in counts {
            for (t, n) in c.into_iter().enumerate() {
                total[t] += n;
            }
        }
        Ok(total)
    }

    /// The rows of units `first..end`, as batches per table in file order: the rows
    /// [`Self::run`] writes for those units, when `offsets` holds the rows of each table
    /// made by the units before `first` (keys of child tables are numbered from them).
    pub fn units(
        &self,
        first: u64,
        end: u64,
        offsets: &[u64],
        picked: &PickedColumns,
    ) -> Result<Vec<Vec<RecordBatch>>, SynthError> {
        let n = self.plans.len();
        if offsets.len() != n {
            return Err(SynthError::Linked(format!(
                "{} row offsets given for {n} tables",
                offsets.len()
            )));
        }
        let end = end.min(self.unit_count());
        let fams: Vec<Vec<(usize, Part)>> = (first..end)
            .into_par_iter()
            .map(|u| match self.unit(u) {
                Some((r, j)) => self.family(r, j, &picked.0),
                None => Ok(Vec::new()),
            })
            .collect::<Result<_, _>>()?;
        let mut offsets = offsets.to_vec();
        let mut batches: Vec<Vec<RecordBatch>> = vec![Vec::new(); n];
        for fam in fams {
            self.number_and_push(fam, &mut offsets, &mut batches)?;
        }
        Ok(batches)
    }

    /// Every table in memory, as batches per table in file order (for the Python package and
    /// tests; the command line streams with [`Self::write_folder`]).
    pub fn to_batches(&self) -> Result<Vec<(String, Vec<RecordBatch>)>, SynthError> {
        let mut out: Vec<(String, Vec<RecordBatch>)> = self
            .plans
            .iter()
            .map(|p| (p.name.clone(), Vec::new()))
            .collect();
        self.run(&mut |window| {
            for (slot, bs) in out.iter_mut().zip(window) {
                slot.1.extend(bs);
            }
            Ok(())
        })?;
        Ok(out)
    }

    /// Writes every table into `dir` (one `<table>.parquet` each), all or nothing, with
    /// `provenance(table)` in each file's footer and Arrow schema metadata, each file
    /// encrypted as the installed access's policy for its table says. Row groups of the
    /// tables are encoded in parallel. Returns rows per table, in file order.
    pub fn write_folder(
        &self,
        dir: &Path,
        props: &dyn Fn() -> parquet::file::properties::WriterProperties,
        provenance: &dyn Fn(usize) -> serde_json::Value,
        progress: &(dyn Fn(u64) + Sync),
    ) -> Result<Vec<u64>, SynthError> {
        let mut sinks = Vec::with_capacity(self.plans.len());
        for (i, p) in self.plans.iter().enumerate() {
            let target: PathBuf = dir.join(format!("{}.parquet", p.name));
            let prov = provenance(i).to_string();
            let metadata: HashMap<String, String> =
                [(crate::io::METADATA_KEY.to_string(), prov.clone())].into();
            let schema = Arc::new(p.synth.schema().as_ref().clone().with_metadata(metadata));
            let mut sink =
                crate::io::ParquetSink::create_for(&target, Some(&p.name), schema, props())?;
            sink.add_metadata(crate::io::METADATA_KEY, prov);
            sinks.push(sink);
        }
        let mut written = 0u64;
        self.run(&mut |batches| {
            written += batches
                .iter()
                .flatten()
                .map(|b| b.num_rows() as u64)
                .sum::<u64>();
            sinks.par_iter_mut().zip(batches).try_for_each(
                |(sink, bs)| -> Result<(), SynthError> {
                    if bs.is_empty() {
                        return Ok(());
                    }
                    sink.write_row_groups(&[bs], |bs, encode| -> Result<(), SynthError> {
                        for b in bs {
                            encode(b)?;
                        }
                        Ok(())
                    })
                },
            )?;
            progress(written);
            Ok(())
        })?;
        let mut rows = Vec::with_capacity(sinks.len());
        for sink in sinks {
            rows.push(sink.finish()?);
        }
        Ok(rows)
    }
}

fn external() -> GenSpec {
    GenSpec {
        base: Generator::External,
        depends_on: vec![],
        cases: vec![],
        after: None,
    }
}

fn seq_of(c: &Column) -> Option<Seq> {
    match c.generator.as_ref().map(|g| &g.base) {
        Some(Generator::Sequence {
            start,
            step,
            prefix,
        }) => Some(Seq {
            start: *start,
            step: *step,
            prefix: prefix.clone(),
            ty: c.ty,
        }),
        _ => None,
    }
}

/// The expected number of children per parent row of a child table (for family sizes).
fn mean_children(t: &crate::schema::Table) -> f64 {
    let Some(ch) = t.driving().and_then(|fk| fk.children.as_ref()) else {
        return 0.0;
    };
    let m = match &ch.generator.base {
        Generator::Numeric { dist, .. } => dist.mean(),
        Generator::Categorical(sh) => sh
            .iter()
            .map(|(l, x)| l.parse::<f64>().unwrap_or(0.0) * x)
            .sum(),
        _ => 1.0,
    };
    m.clamp(ch.min as f64, ch.max as f64)
}

/// Counts per parent row from the hidden count column.
fn counts_of(a: &ArrayRef, levels: Option<&[u64]>) -> Vec<u64> {
    match (a.data_type(), levels) {
        (DataType::Dictionary(..), Some(levels)) => {
            let d = a.as_dictionary::<Int32Type>();
            (0..a.len())
                .map(|i| {
                    if d.is_null(i) {
                        0
                    } else {
                        levels.get(d.keys().value(i) as usize).copied().unwrap_or(0)
                    }
                })
                .collect()
        }
        _ => (0..a.len())
            .map(|i| super::rules::number_at(a, i).map_or(0, |v| v.max(0.0) as u64))
            .collect(),
    }
}

/// `array` with nulls where `valid` is false.
fn with_nulls(array: ArrayRef, valid: &[bool]) -> Result<ArrayRef, SynthError> {
    if valid.iter().all(|v| *v) {
        return Ok(array);
    }
    let mask = arrow_array::BooleanArray::from(valid.iter().map(|v| !v).collect::<Vec<_>>());
    Ok(arrow_select::nullif::nullif(array.as_ref(), &mask)?)
}

/// An aggregate of a child's rows per parent row.
fn aggregate(
    agg: &Agg,
    n: usize,
    parent: &[u32],
    values: Option<&ArrayRef>,
) -> Result<ArrayRef, SynthError> {
    let mut acc: Vec<Option<f64>> = vec![None; n];
    let mut count = vec![0u64; n];
    for (row, &p) in parent.iter().enumerate() {
        let p = p as usize;
        count[p] += 1;
        let v = match agg.function {
            Aggregate::Count => continue,
            _ => values.and_then(|a| super::rules::number_at(a, row)),
        };
        let Some(v) = v else { continue };
        acc[p] = Some(match (acc[p], agg.function) {
            (None, _) => v,
            (Some(a), Aggregate::Sum) => a + v,
            (Some(a), Aggregate::Min) => a.min(v),
            (Some(a), _) => a.max(v),
        });
    }
    let vals: Vec<Option<f64>> = match agg.function {
        Aggregate::Count => count.iter().map(|&c| Some(c as f64)).collect(),
        // A parent without children sums to 0, and has no smallest or largest child.
        Aggregate::Sum => acc.iter().map(|a| Some(a.unwrap_or(0.0))).collect(),
        _ => acc,
    };
    // A sum of values rounded to d places is exact at d places; floating-point addition
    // leaves noise below that, which is rounded away.
    let vals: Vec<Option<f64>> = match agg.round {
        Some(d) => {
            let s = 10f64.powi(d as i32);
            vals.iter()
                .map(|v| v.map(|x| super::round_decimal(x, s)))
                .collect()
        }
        None => vals,
    };
    Ok(super::derived_array(agg.ty, &vals, None))
}
