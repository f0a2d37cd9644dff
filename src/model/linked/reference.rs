//! Reference tables (`reference: true`): public lookup data (districts, a product catalogue)
//! that `fit` stores whole instead of modelling, and `sample` copies. Stored per column: the
//! numbers (dates as days, timestamps as microseconds) or the levels and one code per row,
//! `null` for an empty cell. The children's count columns are stored the same way; `sample`
//! scales them with `--scale` (rounded at random, so their sum follows the scale). A count is
//! a figure about the people it counts, so the counts of fewer than `--min-count` children
//! are pooled: each such row stores their mean, and no stored count describes fewer people.

use std::sync::Arc;

use arrow_array::{
    ArrayRef, BooleanArray, DictionaryArray, Float64Array, Int32Array, Int64Array, RecordBatch,
    RecordBatchOptions, StringArray,
};
use arrow_schema::{Field, Schema as ArrowSchema};
use rand::RngExt;
use serde::{Deserialize, Serialize};

use crate::io::table::{Table, TableColumn, Values, NULL};
use crate::model::ModelError;
use crate::schema::{ColumnType, Schema};

/// One stored column of a reference table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReferenceColumn {
    /// The column (or count column, `#table.column`).
    pub name: String,
    /// The values of a numeric, date or timestamp column (`null`: empty).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub numbers: Option<Vec<Option<f64>>>,
    /// The levels of a text-like column.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub levels: Option<Vec<String>>,
    /// One code into `levels` per row (`null`: empty).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub codes: Option<Vec<Option<u32>>>,
}

/// Replaces the counts between 1 and `min_count` (exclusive) by their mean, when there are
/// any: the total stays, and the stored figure describes all of them together. Rows without
/// children keep 0.
pub(crate) fn pool_small_counts(n: &mut [f64], min_count: f64) {
    let small: Vec<usize> = (0..n.len())
        .filter(|&i| n[i] > 0.0 && n[i] < min_count)
        .collect();
    if small.is_empty() {
        return;
    }
    let mean = small.iter().map(|&i| n[i]).sum::<f64>() / small.len() as f64;
    for i in small {
        n[i] = mean;
    }
}

/// The stored form of `cols`.
pub(crate) fn store(cols: &[TableColumn]) -> Vec<ReferenceColumn> {
    cols.iter()
        .map(|c| match &c.values {
            Values::Num(x) => ReferenceColumn {
                name: c.name.clone(),
                numbers: Some(x.iter().map(|v| (!v.is_nan()).then_some(*v)).collect()),
                levels: None,
                codes: None,
            },
            Values::Cat { codes, levels } => ReferenceColumn {
                name: c.name.clone(),
                numbers: None,
                levels: Some(levels.clone()),
                codes: Some(codes.iter().map(|k| (*k != NULL).then_some(*k)).collect()),
            },
        })
        .collect()
}

/// The stored rows of the reference table `name` as loaded columns (types from `schema`;
/// count columns are 64-bit integers), with its children's counts times `scale`, rounded at
/// random from `rng`; and the rows as an Arrow batch of the table's own columns.
pub(crate) fn restore(
    name: &str,
    stored: &[ReferenceColumn],
    schema: &Schema,
    scale: f64,
    rng: &mut impl rand::Rng,
) -> Result<(Table, RecordBatch), ModelError> {
    let bad = |m: String| ModelError::Invalid(format!("reference table `{name}`: {m}"));
    let mut rows = None;
    let mut columns = Vec::with_capacity(stored.len());
    let mut fields = Vec::new();
    let mut arrays: Vec<ArrayRef> = Vec::new();
    for c in stored {
        let count = c.name.starts_with('#');
        let ty = if count {
            ColumnType::Int { bits: 64 }
        } else {
            schema
                .column(&c.name)
                .map(|d| d.ty)
                .ok_or_else(|| bad(format!("the schema has no column `{}`", c.name)))?
        };
        let values = match (&c.numbers, &c.levels, &c.codes) {
            (Some(x), None, None) => {
                let mut x: Vec<f64> = x.iter().map(|v| v.unwrap_or(f64::NAN)).collect();
                // Scaled, and pooled means made whole, at random: the total is kept in
                // expectation.
                if count {
                    for v in x.iter_mut().filter(|v| !v.is_nan()) {
                        let s = *v * scale;
                        *v = s.floor() + f64::from(u8::from(rng.random::<f64>() < s.fract()));
                    }
                }
                Values::Num(x)
            }
            (None, Some(levels), Some(codes)) => {
                if let Some(k) = codes
                    .iter()
                    .flatten()
                    .find(|k| **k as usize >= levels.len())
                {
                    return Err(bad(format!(
                        "`{}`: code {k} beyond its {} levels",
                        c.name,
                        levels.len()
                    )));
                }
                Values::Cat {
                    codes: codes.iter().map(|k| k.unwrap_or(NULL)).collect(),
                    levels: levels.clone(),
                }
            }
            _ => {
                return Err(bad(format!(
                    "`{}`: give either `numbers` or `levels` with `codes`",
                    c.name
                )))
            }
        };
        let n = match &values {
            Values::Num(x) => x.len(),
            Values::Cat { codes, .. } => codes.len(),
        };
        let first = *rows.get_or_insert(n);
        if first != n {
            return Err(bad(format!(
                "`{}` has {n} rows where the columns before it have {first}",
                c.name
            )));
        }
        let col = TableColumn {
            name: c.name.clone(),
            ty,
            values,
        };
        if !count {
            let a = array(&col);
            fields.push(Field::new(&c.name, a.data_type().clone(), true));
            arrays.push(a);
        }
        columns.push(col);
    }
    let rows = rows.unwrap_or(0);
    let batch = RecordBatch::try_new_with_options(
        Arc::new(ArrowSchema::new(fields)),
        arrays,
        &RecordBatchOptions::new().with_row_count(Some(rows)),
    )
    .map_err(|e| bad(e.to_string()))?;
    Ok((Table { rows, columns }, batch))
}

/// A loaded column as the Arrow array fairsynth writes for its type.
fn array(c: &TableColumn) -> ArrayRef {
    match &c.values {
        Values::Num(x) => {
            let v = |x: &f64| (!x.is_nan()).then_some(*x);
            match c.ty {
                ColumnType::Int { bits: 32 } => Arc::new(
                    x.iter()
                        .map(|x| v(x).map(|x| x.round() as i32))
                        .collect::<Int32Array>(),
                ),
                ColumnType::Int { .. } => Arc::new(
                    x.iter()
                        .map(|x| v(x).map(|x| x.round() as i64))
                        .collect::<Int64Array>(),
                ),
                ColumnType::Date | ColumnType::Timestamp => super::sample::time_array(c.ty, x),
                _ => Arc::new(x.iter().map(v).collect::<Float64Array>()),
            }
        }
        Values::Cat { codes, levels } => {
            let text = |k: &u32| (*k != NULL).then(|| levels[*k as usize].as_str());
            match c.ty {
                ColumnType::Category => {
                    let keys: Int32Array = codes
                        .iter()
                        .map(|k| (*k != NULL).then_some(*k as i32))
                        .collect();
                    let values = Arc::new(StringArray::from_iter_values(levels));
                    Arc::new(DictionaryArray::<arrow_array::types::Int32Type>::new(
                        keys, values,
                    ))
                }
                ColumnType::Bool => Arc::new(
                    codes
                        .iter()
                        .map(|k| text(k).and_then(crate::io::read::parse_bool))
                        .collect::<BooleanArray>(),
                ),
                _ => Arc::new(codes.iter().map(text).collect::<StringArray>()),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schema() -> Schema {
        Schema::from_str_named(
            "version: 1\nname: d\nrows: 2\ncolumns:\n  - {name: region, type: category}\n  - {name: people, type: int}\n",
            "d.yaml",
        )
        .expect("schema")
    }

    #[test]
    fn stored_rows_come_back_as_read_and_counts_follow_the_scale() {
        let cols = vec![
            TableColumn {
                name: "region".into(),
                ty: ColumnType::Category,
                values: Values::Cat {
                    codes: vec![1, NULL, 0],
                    levels: vec!["north".into(), "south".into()],
                },
            },
            TableColumn {
                name: "people".into(),
                ty: ColumnType::Int { bits: 64 },
                values: Values::Num(vec![10.0, 20.0, 30.0]),
            },
            TableColumn {
                name: "#client.district_id".into(),
                ty: ColumnType::Int { bits: 64 },
                values: Values::Num(vec![1000.0, 0.0, 10.0]),
            },
        ];
        let stored = store(&cols);
        let json = serde_json::to_string(&stored).expect("json");
        let back: Vec<ReferenceColumn> = serde_json::from_str(&json).expect("parse");
        let mut rng = crate::synth::stream(1, "t", 0, 0);
        let (t, batch) = restore("d", &back, &schema(), 1.0, &mut rng).expect("restore");
        assert_eq!(t.columns, cols);
        assert_eq!(batch.num_columns(), 2, "count columns are not written");
        assert_eq!(batch.column(0).null_count(), 1, "the empty region");
        let (t, _) = restore("d", &back, &schema(), 0.5, &mut rng).expect("restore");
        let Values::Num(n) = &t.columns[2].values else {
            panic!("numbers")
        };
        assert_eq!(n[0], 500.0);
        assert_eq!(n[1], 0.0);
        assert!(n[2] == 5.0, "{n:?}");
    }

    #[test]
    fn counts_of_fewer_children_than_min_count_are_pooled_to_their_mean() {
        let mut n = vec![0.0, 1.0, 3.0, 20.0, 2.0];
        pool_small_counts(&mut n, 10.0);
        assert_eq!(n, [0.0, 2.0, 2.0, 20.0, 2.0]);
        let mut big = vec![12.0, 30.0];
        pool_small_counts(&mut big, 10.0);
        assert_eq!(big, [12.0, 30.0]);
    }

    #[test]
    fn a_damaged_stored_column_is_refused() {
        let mut stored = store(&[TableColumn {
            name: "region".into(),
            ty: ColumnType::Category,
            values: Values::Cat {
                codes: vec![0],
                levels: vec!["north".into()],
            },
        }]);
        stored[0].codes = Some(vec![Some(3)]);
        let mut rng = crate::synth::stream(1, "t", 0, 0);
        let e = restore("d", &stored, &schema(), 1.0, &mut rng).expect_err("refused");
        assert!(e.to_string().contains("beyond its 1 levels"), "{e}");
        stored[0].codes = Some(vec![Some(0)]);
        stored.push(ReferenceColumn {
            name: "people".into(),
            numbers: Some(vec![Some(1.0), Some(2.0)]),
            levels: None,
            codes: None,
        });
        let e = restore("d", &stored, &schema(), 1.0, &mut rng).expect_err("refused");
        assert!(
            e.to_string()
                .contains("`people` has 2 rows where the columns before it have 1"),
            "{e}"
        );
    }
}
