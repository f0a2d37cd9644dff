//! Business rules between columns, checked once every column is known: a lower bound
//! (`after`) or an elapsed time that the declared ranges make impossible, and aggregates of
//! child tables that other columns would read before they exist.

use super::*;

/// Microseconds in a day.
const DAY_MICROS: f64 = 86_400_000_000.0;

/// The largest value `column` can take, in its own units (numbers), or microseconds since the
/// epoch (dates and timestamps); `None` when the schema does not bound it.
pub(super) fn upper_bound(columns: &[Column], name: &str, depth: usize) -> Option<f64> {
    let c = columns.iter().find(|c| c.name == name)?;
    if depth > 16 {
        return None;
    }
    let g = c.generator.as_ref()?;
    let own = match &g.base {
        Generator::Numeric { max, .. } => *max,
        Generator::Dates { max, .. } => Some(f64::from(*max) * DAY_MICROS),
        Generator::Timestamps { max, .. } => Some(*max as f64),
        Generator::BirthDate {
            age_column,
            reference,
        } => {
            let youngest = columns
                .iter()
                .find(|a| &a.name == age_column)
                .and_then(|a| a.min)
                .unwrap_or(0.0);
            // reference - youngest years, to the day.
            let d = chrono::NaiveDate::from_ymd_opt(1970, 1, 1)?
                + chrono::Duration::days(i64::from(*reference));
            let back =
                d.checked_sub_months(chrono::Months::new((youngest.max(0.0) as u32) * 12))?;
            let days = (back - chrono::NaiveDate::from_ymd_opt(1970, 1, 1)?).num_days();
            Some(days as f64 * DAY_MICROS)
        }
        Generator::Offset {
            from, unit, max, ..
        } => {
            let base = upper_bound(columns, from, depth + 1)?;
            shifted(base, *max, *unit)
        }
        _ => None,
    }?;
    match &g.after {
        Some(a) => {
            let b = upper_bound(columns, &a.column, depth + 1)
                .and_then(|b| shifted(b, a.amount as f64, a.unit));
            Some(b.map_or(own, |b| own.max(b)))
        }
        None => Some(own),
    }
}

/// `value` (microseconds, or a number) moved by `amount` units: calendar months and years by
/// the calendar (a monotone shift, so the bound of the shifted values is the shifted bound),
/// fixed units by their length.
fn shifted(value: f64, amount: f64, unit: Option<TimeUnit>) -> Option<f64> {
    match unit {
        Some(u @ (TimeUnit::Months | TimeUnit::Years)) => {
            let months = amount.ceil() as i64 * if u == TimeUnit::Years { 12 } else { 1 };
            let t = chrono::DateTime::from_timestamp_micros(value as i64)?.naive_utc();
            let moved = if months >= 0 {
                t.checked_add_months(chrono::Months::new(u32::try_from(months).ok()?))?
            } else {
                t.checked_sub_months(chrono::Months::new(u32::try_from(-months).ok()?))?
            };
            Some(moved.and_utc().timestamp_micros() as f64)
        }
        _ => Some(value + amount * unit_span(unit, true)),
    }
}

/// One unit in microseconds (numbers: 1), the longest month or year when `long`.
fn unit_span(unit: Option<TimeUnit>, long: bool) -> f64 {
    match unit {
        None => 1.0,
        Some(TimeUnit::Months) => (if long { 31.0 } else { 28.0 }) * DAY_MICROS,
        Some(TimeUnit::Years) => (if long { 366.0 } else { 365.0 }) * DAY_MICROS,
        Some(u) => u.micros().map_or(1.0, |m| m as f64),
    }
}

/// Shows a bound for a message: a date or timestamp, or a number.
fn show(value: f64, temporal: bool) -> String {
    if !temporal {
        return format!("{value}");
    }
    let secs = (value / 1e6).floor() as i64;
    match chrono::DateTime::from_timestamp(secs, 0) {
        Some(t) => t.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        None => format!("{value} µs"),
    }
}

/// Checks the rules of `columns` (which may read `context` columns of other tables).
pub(super) fn check_rules(s: &mut Sink, context: &[Column], columns: &[Column]) {
    let all: Vec<Column> = context.iter().chain(columns).cloned().collect();
    let aggregates: Vec<&str> = context
        .iter()
        .chain(columns)
        .filter(|c| {
            matches!(
                c.generator.as_ref().map(|g| &g.base),
                Some(Generator::Aggregate { .. })
            )
        })
        .map(|c| c.name.as_str())
        .collect();
    for c in columns {
        let Some(g) = &c.generator else {
            continue;
        };
        let temporal = matches!(c.ty, ColumnType::Date | ColumnType::Timestamp);
        for r in g
            .references()
            .into_iter()
            .chain(c.null_unless.iter().map(|(n, _)| n.as_str()))
        {
            if aggregates.contains(&r) {
                s.hint(
                    c.pos,
                    &c.name,
                    format!("`{}` reads `{r}`, which is aggregated from a child table after this table's rows are drawn", c.name),
                    format!("compute `{}` from the columns `{r}` is aggregated from, or drop the dependence", c.name),
                );
            }
        }
        if let Some(a) = &g.after {
            let own_max = match &g.base {
                Generator::Numeric { max, .. } => *max,
                Generator::Dates { max, .. } => Some(f64::from(*max) * DAY_MICROS),
                Generator::Timestamps { max, .. } => Some(*max as f64),
                _ => None,
            };
            let bound =
                upper_bound(&all, &a.column, 0).and_then(|b| shifted(b, a.amount as f64, a.unit));
            if let (Some(own), Some(b)) = (own_max, bound) {
                // A date's bound is the start of its last day.
                let own = if c.ty == ColumnType::Date {
                    own + DAY_MICROS - 1.0
                } else {
                    own
                };
                if b > own {
                    s.hint(
                        c.pos,
                        &c.name,
                        format!(
                            "`{}` must come after `{}`{}, which can reach {}, but `{}` ends at {}",
                            c.name,
                            a.column,
                            if a.amount != 0 {
                                format!(" + {} {}", a.amount, unit_name(a.unit))
                            } else {
                                String::new()
                            },
                            show(b, temporal),
                            c.name,
                            show(own, temporal),
                        ),
                        format!(
                            "raise `{}`'s `max`, or lower the latest `{}`",
                            c.name, a.column
                        ),
                    );
                }
            }
        }
        if let Generator::Elapsed {
            from,
            to: Endpoint::Instant(end),
            ..
        } = &g.base
        {
            if let Some(b) = upper_bound(&all, from, 0) {
                if b > *end as f64 {
                    s.hint(
                        c.pos,
                        &c.name,
                        format!(
                            "`{}` counts time from `{from}` to {}, but `{from}` can be as late as {}",
                            c.name,
                            show(*end as f64, true),
                            show(b, true)
                        ),
                        format!("count to a later date, or end `{from}` by then"),
                    );
                }
            }
        }
    }
}

fn unit_name(unit: Option<TimeUnit>) -> &'static str {
    match unit {
        None => "",
        Some(TimeUnit::Seconds) => "seconds",
        Some(TimeUnit::Minutes) => "minutes",
        Some(TimeUnit::Hours) => "hours",
        Some(TimeUnit::Days) => "days",
        Some(TimeUnit::Months) => "months",
        Some(TimeUnit::Years) => "years",
    }
}
