//! Whole tables in memory, column by column, for the commands that need every row at once
//! (`fit`, `evaluate`): numbers as `f64` (NaN for null) and text-like values as dictionary
//! codes over the values seen.
//!
//! Dates load as days since 1970-01-01 and instants as microseconds, so every ordered type is a
//! number; strings, categories and booleans are categorical.
//!
//! A [`Table`] is also the mergeable state of `fit` (whose structure search needs every row):
//! load each chunk of rows on its own and [`Table::append`] them in row order; categories are
//! matched by level text, so the result equals the table of the whole input. Memory is 8 bytes
//! per numeric value and 4 per categorical value, plus the distinct levels.

use arrow_array::cast::AsArray;
use arrow_array::types::{Date32Type, Int32Type, TimestampMicrosecondType};
use arrow_array::{Array, ArrayRef};
use arrow_schema::DataType;

use super::read::{numbers, Input, ReadError, Reader};
use crate::hash::FastMap;
use crate::schema::{ColumnType, Schema};

/// The code of a null in [`Values::Cat`].
pub const NULL: u32 = u32::MAX;

/// Rows per level of category codes (`levels` levels), and the nulls.
pub fn level_counts(codes: &[u32], levels: usize) -> (Vec<u64>, u64) {
    let mut per = vec![0u64; levels];
    let mut nulls = 0u64;
    for &k in codes {
        if k == NULL {
            nulls += 1;
        } else {
            per[k as usize] += 1;
        }
    }
    (per, nulls)
}

/// Adds rows per level (`own` levels, `per` rows each) to `levels` and `rows`: a level met
/// before by text adds to its count, a new one is appended (first-seen order).
pub fn add_level_counts(
    levels: &mut Vec<String>,
    rows: &mut Vec<u64>,
    own: &[String],
    per: &[u64],
) {
    let index: FastMap<&str, usize> = levels
        .iter()
        .enumerate()
        .map(|(i, l)| (l.as_str(), i))
        .collect();
    let mut new: Vec<(String, u64)> = Vec::new();
    let mut add: Vec<(usize, u64)> = Vec::new();
    for (l, n) in own.iter().zip(per) {
        match index.get(l.as_str()) {
            Some(&i) => add.push((i, *n)),
            None => new.push((l.clone(), *n)),
        }
    }
    for (i, n) in add {
        rows[i] += n;
    }
    for (l, n) in new {
        levels.push(l);
        rows.push(n);
    }
}

/// The values of one column.
#[derive(Debug, Clone, PartialEq)]
pub enum Values {
    /// Ordered values (int, float, date as days, timestamp as microseconds); NaN is null.
    Num(Vec<f64>),
    /// Text-like values as codes into `levels` (first-seen order); [`NULL`] is null.
    Cat {
        /// One code per row.
        codes: Vec<u32>,
        /// The distinct values.
        levels: Vec<String>,
    },
}

/// One loaded column.
#[derive(Debug, Clone, PartialEq)]
pub struct TableColumn {
    /// Schema name.
    pub name: String,
    /// Declared type.
    pub ty: ColumnType,
    /// The values.
    pub values: Values,
}

impl TableColumn {
    /// Whether the column loads as numbers.
    pub fn is_numeric(&self) -> bool {
        matches!(self.values, Values::Num(_))
    }

    /// Row `r` as a key: its text, numbers as written (`130`, not `130.0`); `None` for a null.
    pub fn key(&self, r: usize) -> Option<String> {
        match &self.values {
            Values::Num(x) => (!x[r].is_nan()).then(|| format!("{}", x[r])),
            Values::Cat { codes, levels } => {
                (codes[r] != NULL).then(|| levels[codes[r] as usize].clone())
            }
        }
    }

    /// The column named `name` holding row `rows[i]` of this one as its row `i` (`None`:
    /// a null).
    pub fn gather(&self, rows: &[Option<usize>], name: &str) -> TableColumn {
        let values = match &self.values {
            Values::Num(x) => {
                Values::Num(rows.iter().map(|r| r.map_or(f64::NAN, |r| x[r])).collect())
            }
            Values::Cat { codes, levels } => Values::Cat {
                codes: rows.iter().map(|r| r.map_or(NULL, |r| codes[r])).collect(),
                levels: levels.clone(),
            },
        };
        TableColumn {
            name: name.to_string(),
            ty: self.ty,
            values,
        }
    }

    /// Count of nulls.
    pub fn nulls(&self) -> usize {
        match &self.values {
            Values::Num(v) => v.iter().filter(|x| x.is_nan()).count(),
            Values::Cat { codes, .. } => codes.iter().filter(|c| **c == NULL).count(),
        }
    }
}

/// A table held in memory.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    /// Row count.
    pub rows: usize,
    /// Columns in the order asked for.
    pub columns: Vec<TableColumn>,
}

/// Whether a column loads as categories although its type is a number: an integer label
/// without `bins` (a 0/1 label, a class code), whose values are classes, not quantities.
pub fn integer_label(c: &crate::schema::Column) -> bool {
    c.has_role(crate::schema::Role::Label)
        && c.bins.is_none()
        && matches!(c.ty, ColumnType::Int { .. })
}

/// Whether a declared type loads as numbers.
pub fn loads_as_number(ty: ColumnType) -> bool {
    matches!(
        ty,
        ColumnType::Int { .. } | ColumnType::Float | ColumnType::Date | ColumnType::Timestamp
    )
}

enum Acc {
    Num(Vec<f64>),
    Cat {
        codes: Vec<u32>,
        levels: Vec<String>,
        index: FastMap<String, u32>,
    },
}

impl Acc {
    fn intern(index: &mut FastMap<String, u32>, levels: &mut Vec<String>, s: &str) -> u32 {
        if let Some(c) = index.get(s) {
            return *c;
        }
        let c = levels.len() as u32;
        levels.push(s.to_string());
        index.insert(s.to_string(), c);
        c
    }

    fn push(&mut self, a: &ArrayRef) {
        match self {
            Acc::Num(v) => match a.data_type() {
                DataType::Date32 => v.extend(
                    a.as_primitive::<Date32Type>()
                        .iter()
                        .map(|x| x.map_or(f64::NAN, f64::from)),
                ),
                DataType::Timestamp(..) => v.extend(
                    a.as_primitive::<TimestampMicrosecondType>()
                        .iter()
                        .map(|x| x.map_or(f64::NAN, |x| x as f64)),
                ),
                _ => v.extend(
                    numbers(a.as_ref())
                        .into_iter()
                        .map(|x| x.unwrap_or(f64::NAN)),
                ),
            },
            Acc::Cat {
                codes,
                levels,
                index,
            } => match a.data_type() {
                DataType::Utf8 => {
                    for s in a.as_string::<i32>().iter() {
                        codes.push(s.map_or(NULL, |s| Acc::intern(index, levels, s)));
                    }
                }
                DataType::Dictionary(k, _) if **k == DataType::Int32 => {
                    let d = a.as_dictionary::<Int32Type>();
                    let values = super::read::texts(d.values());
                    let map: Vec<u32> = values
                        .iter()
                        .map(|v| v.as_deref().map_or(NULL, |s| Acc::intern(index, levels, s)))
                        .collect();
                    for (i, k) in d.keys().iter().enumerate() {
                        codes.push(match k {
                            Some(k) if d.is_valid(i) => map[k as usize],
                            _ => NULL,
                        });
                    }
                }
                DataType::Boolean => {
                    for b in a.as_boolean().iter() {
                        codes.push(b.map_or(NULL, |b| {
                            Acc::intern(index, levels, if b { "true" } else { "false" })
                        }));
                    }
                }
                _ => {
                    for s in super::read::texts(a) {
                        codes.push(s.map_or(NULL, |s| Acc::intern(index, levels, &s)));
                    }
                }
            },
        }
    }
}

impl Table {
    /// Loads the named schema columns of `input` (in the order given).
    pub fn load(input: &Input, schema: &Schema, columns: &[&str]) -> Result<Table, ReadError> {
        if let Some(name) = columns.iter().find(|n| schema.column(n).is_none()) {
            return Err(ReadError::Undeclared {
                column: name.to_string(),
            });
        }
        let mut reader = Reader::open_columns(input, schema, columns)?;
        let arrow = reader.schema();
        let mut accs: Vec<(usize, ColumnType, Acc)> = Vec::with_capacity(columns.len());
        for name in columns {
            let (Some(col), Ok(at)) = (schema.column(name), arrow.index_of(name)) else {
                return Err(ReadError::Undeclared {
                    column: name.to_string(),
                });
            };
            let acc = if loads_as_number(col.ty) && !integer_label(col) {
                Acc::Num(Vec::new())
            } else {
                Acc::Cat {
                    codes: Vec::new(),
                    levels: Vec::new(),
                    index: FastMap::default(),
                }
            };
            accs.push((at, col.ty, acc));
        }
        let mut rows = 0usize;
        for batch in reader.by_ref() {
            let batch = batch?;
            rows += batch.num_rows();
            for (at, _, acc) in &mut accs {
                acc.push(batch.column(*at));
            }
        }
        let columns = columns
            .iter()
            .zip(accs)
            .map(|(name, (_, ty, acc))| TableColumn {
                name: name.to_string(),
                ty,
                values: match acc {
                    Acc::Num(v) => Values::Num(v),
                    Acc::Cat { codes, levels, .. } => Values::Cat { codes, levels },
                },
            })
            .collect();
        Ok(Table { rows, columns })
    }

    /// Loads the schema columns `names` of `input` (in the order given) as `schema` types
    /// them; the schema's other columns need not be in the input.
    pub fn load_only(input: &Input, schema: &Schema, names: &[String]) -> Result<Table, ReadError> {
        let sub = schema.with_columns(names);
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        Table::load(input, &sub, &names)
    }

    /// The column named `name`.
    pub fn column(&self, name: &str) -> Option<&TableColumn> {
        self.columns.iter().find(|c| c.name == name)
    }

    /// Appends the rows of `other` (the same columns, loaded from the rows that follow this
    /// table's), re-coding its categories by level text; levels it adds come after this
    /// table's, in its order. Associative: appending chunks in row order, grouped in any way,
    /// gives the table of the whole input.
    pub fn append(&mut self, other: Table) -> Result<(), ReadError> {
        let mismatch = |message: String| ReadError::Memory {
            name: "table".into(),
            message,
        };
        let names = |t: &Table| t.columns.iter().map(|c| c.name.clone()).collect::<Vec<_>>();
        if names(self) != names(&other) {
            return Err(mismatch(format!(
                "cannot append a table of the columns {:?} to one of {:?}",
                names(&other),
                names(self)
            )));
        }
        for (mine, theirs) in self.columns.iter_mut().zip(other.columns) {
            match (&mut mine.values, theirs.values) {
                (Values::Num(a), Values::Num(b)) => a.extend(b),
                (
                    Values::Cat { codes, levels },
                    Values::Cat {
                        codes: b,
                        levels: bl,
                    },
                ) => {
                    let mut index: FastMap<String, u32> = levels
                        .iter()
                        .enumerate()
                        .map(|(i, l)| (l.clone(), i as u32))
                        .collect();
                    let map: Vec<u32> = bl
                        .into_iter()
                        .map(|l| Acc::intern(&mut index, levels, &l))
                        .collect();
                    codes.extend(
                        b.into_iter()
                            .map(|c| if c == NULL { NULL } else { map[c as usize] }),
                    );
                }
                _ => {
                    return Err(mismatch(format!(
                        "column `{}` is numeric in one table and categorical in the other",
                        mine.name
                    )))
                }
            }
        }
        self.rows += other.rows;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loads_numbers_and_codes_from_csv() {
        let dir = tempfile::tempdir().unwrap();
        let csv = dir.path().join("t.csv");
        std::fs::write(
            &csv,
            "a,b,c,d\n1,x,true,2020-01-02\n,y,,\n3,x,false,1970-01-01\n",
        )
        .unwrap();
        let schema = Schema::from_str_named(
            "version: 1\nname: t\ncolumns:\n  - {name: a, type: int, nullable: true}\n  - {name: b, type: category}\n  - {name: c, type: bool, nullable: true}\n  - {name: d, type: date, nullable: true}\n",
            "t.yaml",
        )
        .unwrap();
        let t = Table::load(
            &Input::file(&csv, crate::io::read::Format::Csv),
            &schema,
            &["d", "b", "a", "c"],
        )
        .unwrap();
        assert_eq!(t.rows, 3);
        let names: Vec<&str> = t.columns.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["d", "b", "a", "c"]);
        match &t.column("a").unwrap().values {
            Values::Num(v) => {
                assert_eq!(v[0], 1.0);
                assert!(v[1].is_nan());
                assert_eq!(v[2], 3.0);
            }
            other => panic!("{other:?}"),
        }
        match &t.column("d").unwrap().values {
            Values::Num(v) => assert_eq!((v[0], v[2]), (18263.0, 0.0)),
            other => panic!("{other:?}"),
        }
        assert_eq!(
            t.column("b").unwrap().values,
            Values::Cat {
                codes: vec![0, 1, 0],
                levels: vec!["x".into(), "y".into()]
            }
        );
        assert_eq!(
            t.column("c").unwrap().values,
            Values::Cat {
                codes: vec![0, NULL, 1],
                levels: vec!["true".into(), "false".into()]
            }
        );
        assert_eq!(t.column("c").unwrap().nulls(), 1);
        let err = Table::load(
            &Input::file(&csv, crate::io::read::Format::Csv),
            &schema,
            &["a", "zz"],
        )
        .unwrap_err();
        assert!(
            err.to_string().contains("column `zz` is not declared"),
            "{err}"
        );
    }
}
