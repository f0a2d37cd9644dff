//! Stored Arrow types to declared schema types: which stored types a column can be read as,
//! the conversion (naming the value that does not fit), and helpers that read any integer,
//! float, text or dictionary array as numbers or strings.

use std::sync::Arc;

use arrow_array::builder::StringDictionaryBuilder;
use arrow_array::cast::AsArray;
use arrow_array::types::{Float64Type, Int32Type, Int64Type};
use arrow_array::{
    Array, ArrayRef, Date32Array, Float64Array, Int32Array, Int64Array, StringArray,
    TimestampMicrosecondArray,
};
use arrow_schema::{DataType, TimeUnit};

use crate::schema::ColumnType;

/// Whether a stored type holds text (plain or dictionary-encoded).
fn texty(d: &DataType) -> bool {
    match d {
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => true,
        DataType::Dictionary(_, v) => matches!(
            **v,
            DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View
        ),
        _ => false,
    }
}

/// Whether a stored type can be read as `ty`. `text_dates`: text can be read as dates and
/// timestamps (in-memory tables, see [`parse_text_dates`]).
pub(super) fn convertible(found: &DataType, ty: ColumnType, text_dates: bool) -> bool {
    if text_dates && matches!(ty, ColumnType::Date | ColumnType::Timestamp) && texty(found) {
        return true;
    }
    match ty {
        // Integer-coded categories (Int8 codes in Parquet) read as their decimal text.
        ColumnType::String | ColumnType::Category => texty(found) || found.is_integer(),
        ColumnType::Int { .. } => {
            found.is_integer() || matches!(found, DataType::Float32 | DataType::Float64)
        }
        ColumnType::Float => found.is_integer() || found.is_floating(),
        ColumnType::Bool => *found == DataType::Boolean,
        ColumnType::Date => matches!(
            found,
            DataType::Date32 | DataType::Date64 | DataType::Timestamp(..)
        ),
        ColumnType::Timestamp => matches!(found, DataType::Timestamp(..)),
    }
}

/// Converts a stored array to the schema type; `Err` holds the stored type's name.
pub(super) fn conform(a: &ArrayRef, ty: ColumnType) -> Result<ArrayRef, String> {
    let want = ty.arrow_type();
    if a.data_type() == &want {
        return Ok(a.clone());
    }
    let found = || a.data_type().to_string();
    let ints = || -> Result<Vec<Option<i64>>, String> {
        let n = a.len();
        let mut out = Vec::with_capacity(n);
        // A value that does not fit is an error naming it, never a silent null.
        macro_rules! ints {
            ($t:ty) => {
                for v in a.as_primitive::<$t>().iter() {
                    out.push(match v {
                        None => None,
                        Some(v) => Some(i64::try_from(v).map_err(|_| {
                            format!("{} holding {v}, outside the 64-bit integer range", found())
                        })?),
                    });
                }
            };
        }
        // Whole numbers stored as floats (pandas keeps an integer column with missing values
        // as float64) read as integers; any other float is an error naming the value.
        macro_rules! floats {
            ($t:ty) => {
                for v in a.as_primitive::<$t>().iter() {
                    out.push(match v.map(f64::from) {
                        None => None,
                        Some(x) if x.is_nan() => None,
                        Some(x) if x.fract() == 0.0 && x.abs() < 9.007_199_254_740_992e15 => {
                            Some(x as i64)
                        }
                        Some(x) => {
                            return Err(format!("{} holding {x}, not a whole number", found()))
                        }
                    });
                }
            };
        }
        use arrow_array::types::*;
        match a.data_type() {
            DataType::Int8 => ints!(Int8Type),
            DataType::Int16 => ints!(Int16Type),
            DataType::Int32 => ints!(Int32Type),
            DataType::Int64 => ints!(Int64Type),
            DataType::UInt8 => ints!(UInt8Type),
            DataType::UInt16 => ints!(UInt16Type),
            DataType::UInt32 => ints!(UInt32Type),
            DataType::UInt64 => ints!(UInt64Type),
            DataType::Float32 => floats!(Float32Type),
            DataType::Float64 => floats!(Float64Type),
            _ => return Err(found()),
        }
        Ok(out)
    };
    let strings = || -> Result<Vec<Option<String>>, String> {
        let n = a.len();
        let mut out = Vec::with_capacity(n);
        match a.data_type() {
            DataType::Utf8 => {
                out.extend(a.as_string::<i32>().iter().map(|v| v.map(str::to_string)))
            }
            DataType::LargeUtf8 => {
                out.extend(a.as_string::<i64>().iter().map(|v| v.map(str::to_string)))
            }
            DataType::Utf8View => {
                out.extend(a.as_string_view().iter().map(|v| v.map(str::to_string)))
            }
            DataType::Dictionary(..) => {
                let d = a.as_any_dictionary();
                let keys = dictionary_keys(d);
                let values = conform(d.values(), ColumnType::String)?;
                let values = values.as_string::<i32>();
                for (i, k) in keys.iter().enumerate() {
                    out.push(
                        (!a.is_null(i) && values.is_valid(*k))
                            .then(|| values.value(*k).to_string()),
                    );
                }
            }
            d if d.is_integer() => {
                out.extend(ints()?.into_iter().map(|v| v.map(|v| v.to_string())))
            }
            _ => return Err(found()),
        }
        Ok(out)
    };
    Ok(match ty {
        ColumnType::String => Arc::new(StringArray::from(strings()?)),
        ColumnType::Category => {
            let mut b = StringDictionaryBuilder::<Int32Type>::new();
            for v in strings()? {
                b.append_option(v);
            }
            Arc::new(b.finish())
        }
        ColumnType::Int { bits: 32 } => Arc::new(Int32Array::from(
            ints()?
                .into_iter()
                .map(|v| {
                    v.map(|v| {
                        i32::try_from(v).map_err(|_| {
                            format!("{} holding {v}, outside the 32-bit range", found())
                        })
                    })
                    .transpose()
                })
                .collect::<Result<Vec<_>, String>>()?,
        )),
        ColumnType::Int { .. } => Arc::new(Int64Array::from(ints()?)),
        ColumnType::Float => match a.data_type() {
            DataType::Float32 => Arc::new(Float64Array::from(
                a.as_primitive::<arrow_array::types::Float32Type>()
                    .iter()
                    .map(|v| v.map(f64::from))
                    .collect::<Vec<_>>(),
            )),
            DataType::Float16 => return Err(found()),
            _ => Arc::new(Float64Array::from(
                ints()?
                    .into_iter()
                    .map(|v| v.map(|v| v as f64))
                    .collect::<Vec<_>>(),
            )),
        },
        ColumnType::Date => match a.data_type() {
            DataType::Date64 => Arc::new(Date32Array::from(
                a.as_primitive::<arrow_array::types::Date64Type>()
                    .iter()
                    .map(|v| v.map(|ms| ms.div_euclid(86_400_000) as i32))
                    .collect::<Vec<_>>(),
            )),
            // pandas has no date type: dates arrive as timestamps at midnight.
            DataType::Timestamp(unit, _) => {
                let per_day: i64 = match unit {
                    TimeUnit::Second => 86_400,
                    TimeUnit::Millisecond => 86_400_000,
                    TimeUnit::Microsecond => 86_400_000_000,
                    TimeUnit::Nanosecond => 86_400_000_000_000,
                };
                let raw = timestamp_values(a);
                let mut days = Vec::with_capacity(raw.len());
                for v in raw {
                    days.push(match v {
                        None => None,
                        Some(t) if t.rem_euclid(per_day) == 0 => {
                            Some(i32::try_from(t.div_euclid(per_day)).map_err(|_| found())?)
                        }
                        Some(_) => {
                            return Err(format!(
                                "{} holding a time of day other than midnight",
                                found()
                            ))
                        }
                    });
                }
                Arc::new(Date32Array::from(days))
            }
            _ => return Err(found()),
        },
        ColumnType::Timestamp => {
            let per_us: (i64, i64) = match a.data_type() {
                DataType::Timestamp(TimeUnit::Second, _) => (1_000_000, 1),
                DataType::Timestamp(TimeUnit::Millisecond, _) => (1_000, 1),
                DataType::Timestamp(TimeUnit::Microsecond, _) => (1, 1),
                DataType::Timestamp(TimeUnit::Nanosecond, _) => (1, 1_000),
                _ => return Err(found()),
            };
            let raw = timestamp_values(a);
            // Seconds or milliseconds far from 1970 do not fit in microseconds: an error, not
            // a wrapped instant.
            let micros: Option<Vec<Option<i64>>> = raw
                .into_iter()
                .map(|v| match v {
                    None => Some(None),
                    Some(v) => v.checked_mul(per_us.0).map(|x| Some(x / per_us.1)),
                })
                .collect();
            let micros = micros.ok_or_else(|| {
                format!(
                    "{} with an instant outside the range of microsecond timestamps (about 290,000 years either side of 1970)",
                    a.data_type()
                )
            })?;
            Arc::new(TimestampMicrosecondArray::from(micros).with_timezone("UTC"))
        }
        ColumnType::Bool => return Err(found()),
    })
}

/// Text dates or timestamps parsed as the CSV reader parses them (ISO, or the dialect's
/// format): an in-memory table's text column (pandas keeps dates read from a file as text)
/// declared `date` or `timestamp`. `None` when `a` is not text or `ty` not a date type; `Err`
/// holds the index and the value that does not parse.
pub(super) fn parse_text_dates(
    a: &ArrayRef,
    ty: ColumnType,
    dialect: &super::ValueDialect,
) -> Option<Result<ArrayRef, (usize, String)>> {
    if !texty(a.data_type()) {
        return None;
    }
    let parsed =
        |parse: &dyn Fn(&str) -> Option<i64>| -> Result<Vec<Option<i64>>, (usize, String)> {
            texts(a)
                .into_iter()
                .enumerate()
                .map(|(i, v)| match v.as_deref().map(str::trim) {
                    None | Some("") => Ok(None),
                    Some(t) => parse(t).map(Some).ok_or((i, t.to_string())),
                })
                .collect()
        };
    match ty {
        ColumnType::Date => Some(
            parsed(&|t| dialect.parse_date(t).map(i64::from)).map(|days| {
                Arc::new(Date32Array::from(
                    days.into_iter()
                        .map(|d| d.and_then(|d| i32::try_from(d).ok()))
                        .collect::<Vec<_>>(),
                )) as ArrayRef
            }),
        ),
        ColumnType::Timestamp => Some(parsed(&|t| dialect.parse_timestamp(t)).map(|micros| {
            Arc::new(TimestampMicrosecondArray::from(micros).with_timezone("UTC")) as ArrayRef
        })),
        _ => None,
    }
}

/// The raw values of a timestamp array of any unit.
fn timestamp_values(a: &ArrayRef) -> Vec<Option<i64>> {
    use arrow_array::types::*;
    match a.data_type() {
        DataType::Timestamp(TimeUnit::Second, _) => {
            a.as_primitive::<TimestampSecondType>().iter().collect()
        }
        DataType::Timestamp(TimeUnit::Millisecond, _) => a
            .as_primitive::<TimestampMillisecondType>()
            .iter()
            .collect(),
        DataType::Timestamp(TimeUnit::Microsecond, _) => a
            .as_primitive::<TimestampMicrosecondType>()
            .iter()
            .collect(),
        _ => a.as_primitive::<TimestampNanosecondType>().iter().collect(),
    }
}

/// The keys of a dictionary array as indices into its values. arrow's `normalized_keys`
/// asserts that the dictionary is not empty, which it is for a column that is entirely null;
/// then every row is null and the keys are never looked up.
pub fn dictionary_keys(d: &dyn arrow_array::AnyDictionaryArray) -> Vec<usize> {
    if d.values().is_empty() {
        vec![0; d.keys().len()]
    } else {
        d.normalized_keys()
    }
}

/// Numeric values of a declared int or float column, as f64 (nulls as `None`).
pub fn numbers(a: &dyn Array) -> Vec<Option<f64>> {
    if let Some(f) = a.as_primitive_opt::<Float64Type>() {
        f.iter().collect()
    } else if let Some(i) = a.as_primitive_opt::<Int64Type>() {
        i.iter().map(|v| v.map(|v| v as f64)).collect()
    } else if let Some(i) = a.as_primitive_opt::<Int32Type>() {
        i.iter().map(|v| v.map(f64::from)).collect()
    } else {
        vec![None; a.len()]
    }
}

/// Every value of a column as text (nulls as `None`): numbers as written (whole floats
/// without a fraction), dates as `YYYY-MM-DD`, instants as RFC 3339, categories by their label.
/// Types with no text form give `None`.
pub fn texts(a: &ArrayRef) -> Vec<Option<String>> {
    let epoch = chrono::NaiveDate::from_ymd_opt(1970, 1, 1);
    match a.data_type() {
        DataType::Utf8 => a
            .as_string::<i32>()
            .iter()
            .map(|v| v.map(str::to_string))
            .collect(),
        DataType::LargeUtf8 => a
            .as_string::<i64>()
            .iter()
            .map(|v| v.map(str::to_string))
            .collect(),
        DataType::Utf8View => a
            .as_string_view()
            .iter()
            .map(|v| v.map(str::to_string))
            .collect(),
        DataType::Dictionary(..) => {
            let d = a.as_any_dictionary();
            let keys = dictionary_keys(d);
            let values = texts(d.values());
            keys.iter()
                .enumerate()
                .map(|(i, k)| {
                    if a.is_null(i) {
                        None
                    } else {
                        values.get(*k).cloned().flatten()
                    }
                })
                .collect()
        }
        DataType::Boolean => a
            .as_boolean()
            .iter()
            .map(|v| v.map(|b| b.to_string()))
            .collect(),
        DataType::Date32 => a
            .as_primitive::<arrow_array::types::Date32Type>()
            .iter()
            .map(|v| {
                let d = epoch?.checked_add_signed(chrono::Duration::days(i64::from(v?)))?;
                Some(d.to_string())
            })
            .collect(),
        DataType::Timestamp(TimeUnit::Microsecond, _) => a
            .as_primitive::<arrow_array::types::TimestampMicrosecondType>()
            .iter()
            .map(|v| chrono::DateTime::from_timestamp_micros(v?).map(|t| t.to_rfc3339()))
            .collect(),
        d if d.is_numeric() => numbers(a.as_ref())
            .into_iter()
            .map(|v| {
                v.map(|x| {
                    if x.fract() == 0.0 && x.abs() < 1e15 {
                        (x as i64).to_string()
                    } else {
                        x.to_string()
                    }
                })
            })
            .collect(),
        _ => vec![None; a.len()],
    }
}
