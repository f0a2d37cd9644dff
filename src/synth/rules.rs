//! Values one column takes from others, by construction: reading numbers and instants out of
//! generated arrays, calendar arithmetic for offsets and `after` bounds, elapsed whole units,
//! and level codes of columns supplied from outside (another table's columns).

use arrow_array::cast::AsArray;
use arrow_array::types::{Date32Type, Float64Type, Int32Type, Int64Type, TimestampMicrosecondType};
use arrow_array::{Array, ArrayRef, BooleanArray, StringArray};
use arrow_schema::DataType;
use chrono::{DateTime, Datelike, Months, NaiveDateTime, Timelike};

use crate::schema::{Bins, TimeUnit};

/// Microseconds in a day.
pub(crate) const DAY: i64 = 86_400_000_000;

/// A number at row `i` of an int, float, date (days) or timestamp (microseconds) array.
pub(crate) fn number_at(a: &ArrayRef, i: usize) -> Option<f64> {
    if a.is_null(i) {
        return None;
    }
    Some(match a.data_type() {
        DataType::Int64 => a.as_primitive::<Int64Type>().value(i) as f64,
        DataType::Int32 => f64::from(a.as_primitive::<Int32Type>().value(i)),
        DataType::Float64 => a.as_primitive::<Float64Type>().value(i),
        DataType::Date32 => f64::from(a.as_primitive::<Date32Type>().value(i)),
        DataType::Timestamp(..) => a.as_primitive::<TimestampMicrosecondType>().value(i) as f64,
        _ => return None,
    })
}

/// An instant at row `i` of a date or timestamp array, in microseconds since the epoch.
pub(crate) fn micros_at(a: &ArrayRef, i: usize) -> Option<i64> {
    if a.is_null(i) {
        return None;
    }
    match a.data_type() {
        DataType::Date32 => Some(i64::from(a.as_primitive::<Date32Type>().value(i)) * DAY),
        DataType::Timestamp(..) => Some(a.as_primitive::<TimestampMicrosecondType>().value(i)),
        _ => None,
    }
}

fn to_datetime(micros: i64) -> Option<NaiveDateTime> {
    DateTime::from_timestamp_micros(micros).map(|d| d.naive_utc())
}

/// `micros` moved by `amount` units (calendar months and years keep the day of month,
/// clamped to the month's length); `None` outside the calendar.
pub(crate) fn shift(micros: i64, amount: i64, unit: TimeUnit) -> Option<i64> {
    match unit.micros() {
        Some(m) => micros.checked_add(amount.checked_mul(m)?),
        None => {
            let months = if unit == TimeUnit::Years {
                amount.checked_mul(12)?
            } else {
                amount
            };
            let t = to_datetime(micros)?;
            let moved = if months >= 0 {
                t.checked_add_months(Months::new(u32::try_from(months).ok()?))?
            } else {
                t.checked_sub_months(Months::new(u32::try_from(-months).ok()?))?
            };
            Some(moved.and_utc().timestamp_micros())
        }
    }
}

/// Whole `unit`s from `from` to `to` (0 when `to` is earlier).
pub(crate) fn elapsed(from: i64, to: i64, unit: TimeUnit) -> i64 {
    if to <= from {
        return 0;
    }
    match unit.micros() {
        Some(m) => (to - from) / m,
        None => {
            let (Some(a), Some(b)) = (to_datetime(from), to_datetime(to)) else {
                return 0;
            };
            let mut months =
                i64::from(b.year() - a.year()) * 12 + i64::from(b.month()) - i64::from(a.month());
            // A month is complete when the day and time of day have come round again.
            let a_rest = (a.day(), a.num_seconds_from_midnight(), a.nanosecond());
            let b_rest = (b.day(), b.num_seconds_from_midnight(), b.nanosecond());
            if b_rest < a_rest {
                months -= 1;
            }
            let months = months.max(0);
            if unit == TimeUnit::Years {
                months / 12
            } else {
                months
            }
        }
    }
}

/// Level codes (`u32::MAX` for null or unknown) of a column supplied from outside, for the
/// cases and conditions that read it: dictionary keys, `false`/`true`, numeric bands, or
/// text looked up among `levels`.
pub(crate) fn codes_of(a: &ArrayRef, levels: &[String], bins: Option<&Bins>) -> Vec<u32> {
    const NULL: u32 = u32::MAX;
    let n = a.len();
    match a.data_type() {
        DataType::Dictionary(..) => {
            let d = a.as_dictionary::<Int32Type>();
            let values = d.values();
            let names: Option<&StringArray> = values.as_any().downcast_ref::<StringArray>();
            // Map the dictionary's entries onto `levels` (normally the same order).
            let map: Vec<u32> = (0..values.len())
                .map(|k| {
                    names
                        .and_then(|s| levels.iter().position(|l| l == s.value(k)))
                        .map_or(NULL, |p| p as u32)
                })
                .collect();
            (0..n)
                .map(|i| {
                    if d.is_null(i) {
                        NULL
                    } else {
                        map.get(d.keys().value(i) as usize).copied().unwrap_or(NULL)
                    }
                })
                .collect()
        }
        DataType::Boolean => {
            let b: &BooleanArray = a.as_boolean();
            (0..n)
                .map(|i| {
                    if b.is_null(i) {
                        NULL
                    } else {
                        u32::from(b.value(i))
                    }
                })
                .collect()
        }
        DataType::Utf8 => {
            let s = a.as_string::<i32>();
            let index: std::collections::HashMap<&str, u32> = levels
                .iter()
                .enumerate()
                .map(|(k, l)| (l.as_str(), k as u32))
                .collect();
            (0..n)
                .map(|i| {
                    if s.is_null(i) {
                        NULL
                    } else {
                        index.get(s.value(i)).copied().unwrap_or(NULL)
                    }
                })
                .collect()
        }
        _ => (0..n)
            .map(|i| {
                number_at(a, i)
                    .and_then(|v| bins.and_then(|b| b.band(v)))
                    .map_or(NULL, |b| b as u32)
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> i64 {
        crate::schema::parse_timestamp(s).unwrap()
    }

    #[test]
    fn calendar_shifts_keep_the_day_and_clamp_month_ends() {
        let t = at("2024-01-31T10:00:00Z");
        assert_eq!(
            shift(t, 1, TimeUnit::Months),
            Some(at("2024-02-29T10:00:00Z"))
        );
        assert_eq!(
            shift(t, 18, TimeUnit::Years),
            Some(at("2042-01-31T10:00:00Z"))
        );
        assert_eq!(
            shift(t, -1, TimeUnit::Years),
            Some(at("2023-01-31T10:00:00Z"))
        );
        assert_eq!(
            shift(t, 2, TimeUnit::Days),
            Some(at("2024-02-02T10:00:00Z"))
        );
        assert_eq!(
            shift(t, 90, TimeUnit::Minutes),
            Some(at("2024-01-31T11:30:00Z"))
        );
    }

    #[test]
    fn elapsed_counts_complete_units() {
        let a = at("2020-03-15T12:00:00Z");
        assert_eq!(elapsed(a, at("2020-04-15T12:00:00Z"), TimeUnit::Months), 1);
        assert_eq!(elapsed(a, at("2020-04-15T11:59:59Z"), TimeUnit::Months), 0);
        assert_eq!(elapsed(a, at("2026-01-01T00:00:00Z"), TimeUnit::Months), 69);
        assert_eq!(elapsed(a, at("2026-01-01T00:00:00Z"), TimeUnit::Years), 5);
        assert_eq!(elapsed(a, at("2020-03-17T11:00:00Z"), TimeUnit::Days), 1);
        assert_eq!(elapsed(a, at("2019-01-01T00:00:00Z"), TimeUnit::Days), 0);
    }
}
