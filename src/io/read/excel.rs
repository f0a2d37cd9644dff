//! Workbooks (`.xlsx`, `.xls`, `.ods`) through the calamine crate: one sheet (the one the
//! dialect names, else the first, or the first with data rows when the first has none), its
//! first row the header, loaded whole (calamine reads a sheet at
//! once) and typed into one record batch. Cells keep their types: numbers are numbers, date
//! cells dates or timestamps; text cells in a declared numeric or date column are parsed with
//! the dialect (`213,71`, `24.12.1980`), like CSV fields.

use std::path::Path;
use std::sync::Arc;

use arrow_array::builder::StringDictionaryBuilder;
use arrow_array::types::Int32Type;
use arrow_array::{
    ArrayRef, BooleanArray, Date32Array, Float64Array, Int32Array, Int64Array, RecordBatch,
    StringArray, TimestampMicrosecondArray,
};
use arrow_schema::{Field, Schema as ArrowSchema};
use calamine::{Data, Reader as _};

use super::csv_file::{date_want, timestamp_want, value_hint};
use super::dialect::Dialect;
use super::{null_error, parse_bool, Format, ReadError};
use crate::schema::{ColumnType, Schema};

/// A cell as the reader sees it.
#[derive(Debug, Clone, Copy)]
enum Cell<'a> {
    Null,
    Number(f64),
    Bool(bool),
    Text(&'a str),
    /// A date or time cell: days since 1970 and microseconds since 1970.
    When {
        day: i32,
        micros: i64,
        midnight: bool,
    },
}

fn cell(d: &Data) -> Cell<'_> {
    match d {
        Data::Empty | Data::Error(_) => Cell::Null,
        Data::Int(i) => Cell::Number(*i as f64),
        Data::Float(f) => Cell::Number(*f),
        Data::Bool(b) => Cell::Bool(*b),
        Data::String(s) => {
            let s = s.trim();
            if s.is_empty() {
                Cell::Null
            } else {
                Cell::Text(s)
            }
        }
        Data::DateTimeIso(s) | Data::DurationIso(s) => Cell::Text(s.trim()),
        Data::DateTime(t) if t.is_duration() => Cell::Number(t.as_f64()),
        Data::DateTime(t) => {
            let (y, mo, da, h, mi, s, ms) = t.to_ymd_hms_milli();
            let when = chrono::NaiveDate::from_ymd_opt(i32::from(y), u32::from(mo), u32::from(da))
                .and_then(|d| {
                    d.and_hms_milli_opt(u32::from(h), u32::from(mi), u32::from(s), u32::from(ms))
                });
            match when {
                Some(w) => {
                    let epoch = chrono::NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default();
                    Cell::When {
                        day: i32::try_from((w.date() - epoch).num_days()).unwrap_or(i32::MAX),
                        micros: w.and_utc().timestamp_micros(),
                        midnight: (h, mi, s, ms) == (0, 0, 0, 0),
                    }
                }
                None => Cell::Number(t.as_f64()),
            }
        }
    }
}

/// A number as text: whole numbers without a fraction.
fn number_text(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        (x as i64).to_string()
    } else {
        x.to_string()
    }
}

/// A cell as text (for text columns and headers).
fn text(c: Cell<'_>) -> Option<String> {
    match c {
        Cell::Null => None,
        Cell::Number(x) => Some(number_text(x)),
        Cell::Bool(b) => Some(b.to_string()),
        Cell::Text(s) => Some(s.to_string()),
        Cell::When {
            micros, midnight, ..
        } => chrono::DateTime::from_timestamp_micros(micros).map(|t| {
            if midnight {
                t.format("%Y-%m-%d").to_string()
            } else {
                t.format("%Y-%m-%d %H:%M:%S").to_string()
            }
        }),
    }
}

/// Spreadsheet column letters of a 0-based index: 0 is `A`, 26 is `AA`.
fn column_letters(mut i: u32) -> String {
    let mut out = Vec::new();
    loop {
        out.push(b'A' + (i % 26) as u8);
        if i < 26 {
            break;
        }
        i = i / 26 - 1;
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}

/// Reads the dialect's sheet of the workbook at `path` (and records which one it read in
/// `dialect.sheet`), typed by `schema`'s declared columns; undeclared columns get the type
/// their cells share (numbers, booleans, dates, timestamps), else text.
pub(super) fn read_workbook(
    path: &Path,
    format: Format,
    schema: &Schema,
    dialect: &mut Dialect,
) -> Result<RecordBatch, ReadError> {
    let unreadable = |message: String| {
        ReadError::Workbook {
        path: path.to_path_buf(),
        message,
        hint: format!(
            "check that the file is a {} workbook (pass --format xlsx, xls or ods for another), or save the sheet as CSV",
            format.name()
        ),
    }
    };
    let opened: Result<calamine::Sheets<_>, calamine::Error> = match format {
        Format::Xls => calamine::open_workbook(path)
            .map(calamine::Sheets::Xls)
            .map_err(calamine::Error::Xls),
        Format::Ods => calamine::open_workbook(path)
            .map(calamine::Sheets::Ods)
            .map_err(calamine::Error::Ods),
        _ => calamine::open_workbook(path)
            .map(calamine::Sheets::Xlsx)
            .map_err(calamine::Error::Xlsx),
    };
    let mut wb = opened.map_err(|e| unreadable(e.to_string()))?;
    let names = wb.sheet_names();
    let listed = || {
        names
            .iter()
            .map(|n| format!("`{n}`"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let sheet = match &dialect.sheet {
        None => names.first().cloned(),
        Some(want) => names
            .iter()
            .find(|n| *n == want)
            .or_else(|| names.iter().find(|n| n.eq_ignore_ascii_case(want)))
            .or_else(|| {
                want.trim()
                    .parse::<usize>()
                    .ok()
                    .and_then(|k| k.checked_sub(1))
                    .and_then(|k| names.get(k))
            })
            .cloned(),
    };
    let Some(sheet) = sheet else {
        return Err(ReadError::Dialect {
            path: path.to_path_buf(),
            message: match &dialect.sheet {
                Some(want) => format!("the workbook has no sheet `{want}`; it has {}", listed()),
                None => "the workbook has no sheet".into(),
            },
            hint: "pass --sheet with a sheet's name, or its number (1 is the first)".into(),
        });
    };
    let mut sheet = sheet;
    let mut range = wb
        .worksheet_range(&sheet)
        .map_err(|e| unreadable(format!("sheet `{sheet}`: {e}")))?;
    // No sheet asked for and the first has no data rows (a cover sheet, a title): the first
    // sheet that has rows is read instead, and the reading says so. Every command reads
    // workbooks here, so every command picks the same sheet.
    if dialect.sheet.is_none() && data_rows(&range) == 0 {
        let mut with_rows: Vec<(String, usize)> = Vec::new();
        for other in names.iter().filter(|n| **n != sheet) {
            if let Ok(r) = wb.worksheet_range(other) {
                let n = data_rows(&r);
                if n > 0 {
                    with_rows.push((other.clone(), n));
                }
            }
        }
        if let Some((first, _)) = with_rows.first().cloned() {
            let listed: Vec<String> = with_rows
                .iter()
                .map(|(n, rows)| format!("`{n}` ({rows} row{})", if *rows == 1 { "" } else { "s" }))
                .collect();
            dialect.sheet_note = Some(format!(
                "the first sheet `{sheet}` has no data rows, so sheet `{first}` was read; sheets with rows: {}\n    hint: pass --sheet NAME to read another sheet",
                listed.join(", ")
            ));
            range = wb
                .worksheet_range(&first)
                .map_err(|e| unreadable(format!("sheet `{first}`: {e}")))?;
            sheet = first;
        }
    }
    dialect.sheet = Some(sheet.clone());
    let (row0, col0) = range.start().unwrap_or((0, 0));
    let mut rows = range.rows();
    let Some(header) = rows.next() else {
        return Err(ReadError::Dialect {
            path: path.to_path_buf(),
            message: format!("the sheet `{sheet}` is empty"),
            hint: format!(
                "pass --sheet with the sheet that holds the table; the workbook has {}",
                listed()
            ),
        });
    };
    let names: Vec<String> = header
        .iter()
        .map(|c| text(cell(c)).unwrap_or_default().trim().to_string())
        .collect();
    // Data rows (wholly empty rows skipped), with their sheet row numbers.
    let mut data: Vec<(u32, &[Data])> = Vec::new();
    for (i, r) in rows.enumerate() {
        if r.iter().all(|c| matches!(cell(c), Cell::Null)) {
            continue;
        }
        data.push((row0 + i as u32 + 2, r));
    }
    let mut fields = Vec::with_capacity(names.len());
    let mut columns: Vec<ArrayRef> = Vec::with_capacity(names.len());
    for (j, name) in names.iter().enumerate() {
        let cells: Vec<Cell<'_>> = data
            .iter()
            .map(|(_, r)| r.get(j).map_or(Cell::Null, cell))
            .collect();
        let place = |i: usize| {
            format!(
                "{}: sheet `{sheet}`, cell {}{}",
                path.display(),
                column_letters(col0 + j as u32),
                data[i].0
            )
        };
        let declared = schema.column(name).map(|c| (c.ty, c.nullable));
        let array = match declared {
            Some((ty, nullable)) => {
                if !nullable {
                    if let Some(i) = cells.iter().position(|c| matches!(c, Cell::Null)) {
                        return Err(null_error(place(i), name));
                    }
                }
                typed(&cells, ty, dialect, name, &place)?
            }
            None => inferred(&cells),
        };
        let nullable = declared.is_none_or(|d| d.1);
        fields.push(Field::new(name, array.data_type().clone(), nullable));
        columns.push(array);
    }
    let options = arrow_array::RecordBatchOptions::new().with_row_count(Some(data.len()));
    RecordBatch::try_new_with_options(Arc::new(ArrowSchema::new(fields)), columns, &options)
        .map_err(|e| unreadable(e.to_string()))
}

/// Rows below the header row of `range` with at least one non-empty cell.
fn data_rows(range: &calamine::Range<Data>) -> usize {
    range
        .rows()
        .skip(1)
        .filter(|r| r.iter().any(|c| !matches!(cell(c), Cell::Null)))
        .count()
}

/// An undeclared column: the type all its cells share, else text.
fn inferred(cells: &[Cell<'_>]) -> ArrayRef {
    let present = || cells.iter().filter(|c| !matches!(c, Cell::Null));
    let any = present().next().is_some();
    if any && present().all(|c| matches!(c, Cell::Number(_))) {
        let nums: Vec<Option<f64>> = cells
            .iter()
            .map(|c| match c {
                Cell::Number(x) => Some(*x),
                _ => None,
            })
            .collect();
        if nums
            .iter()
            .flatten()
            .all(|x| x.fract() == 0.0 && x.abs() < 9.007_199_254_740_992e15)
        {
            return Arc::new(Int64Array::from(
                nums.iter().map(|v| v.map(|x| x as i64)).collect::<Vec<_>>(),
            ));
        }
        return Arc::new(Float64Array::from(nums));
    }
    if any && present().all(|c| matches!(c, Cell::Bool(_))) {
        return Arc::new(BooleanArray::from(
            cells
                .iter()
                .map(|c| match c {
                    Cell::Bool(b) => Some(*b),
                    _ => None,
                })
                .collect::<Vec<_>>(),
        ));
    }
    if any && present().all(|c| matches!(c, Cell::When { .. })) {
        if present().all(|c| matches!(c, Cell::When { midnight: true, .. })) {
            return Arc::new(Date32Array::from(
                cells
                    .iter()
                    .map(|c| match c {
                        Cell::When { day, .. } => Some(*day),
                        _ => None,
                    })
                    .collect::<Vec<_>>(),
            ));
        }
        return Arc::new(
            TimestampMicrosecondArray::from(
                cells
                    .iter()
                    .map(|c| match c {
                        Cell::When { micros, .. } => Some(*micros),
                        _ => None,
                    })
                    .collect::<Vec<_>>(),
            )
            .with_timezone("UTC"),
        );
    }
    Arc::new(StringArray::from(
        cells.iter().map(|c| text(*c)).collect::<Vec<_>>(),
    ))
}

/// A declared column: every cell converted to `ty`, the first that does not fit an error
/// naming its cell.
fn typed(
    cells: &[Cell<'_>],
    ty: ColumnType,
    dialect: &Dialect,
    name: &str,
    place: &dyn Fn(usize) -> String,
) -> Result<ArrayRef, ReadError> {
    let bad = |i: usize, want: &str| {
        let shown = text(cells[i]).unwrap_or_default();
        ReadError::Value {
            place: place(i),
            column: name.to_string(),
            problem: format!("`{shown}` is not {want}"),
            hint: value_hint(dialect, ty, name, &shown),
        }
    };
    let valid = format!("a valid {}", ty.name());
    Ok(match ty {
        ColumnType::String => Arc::new(StringArray::from(
            cells.iter().map(|c| text(*c)).collect::<Vec<_>>(),
        )),
        ColumnType::Category => {
            let mut b = StringDictionaryBuilder::<Int32Type>::new();
            for c in cells {
                b.append_option(text(*c));
            }
            Arc::new(b.finish())
        }
        ColumnType::Int { bits } => {
            let mut out = Vec::with_capacity(cells.len());
            for (i, c) in cells.iter().enumerate() {
                out.push(match c {
                    Cell::Null => None,
                    Cell::Number(x) if x.fract() == 0.0 && x.abs() < 9.007_199_254_740_992e15 => {
                        Some(*x as i64)
                    }
                    Cell::Text(s) => Some(dialect.parse_int(s).ok_or_else(|| bad(i, &valid))?),
                    _ => return Err(bad(i, "a whole number")),
                });
            }
            if bits == 32 {
                let mut narrow = Vec::with_capacity(out.len());
                for (i, v) in out.iter().enumerate() {
                    narrow.push(match v {
                        Some(x) => {
                            Some(i32::try_from(*x).map_err(|_| bad(i, "within the 32-bit range"))?)
                        }
                        None => None,
                    });
                }
                Arc::new(Int32Array::from(narrow))
            } else {
                Arc::new(Int64Array::from(out))
            }
        }
        ColumnType::Float => {
            let mut out = Vec::with_capacity(cells.len());
            for (i, c) in cells.iter().enumerate() {
                out.push(match c {
                    Cell::Null => None,
                    Cell::Number(x) => Some(*x),
                    Cell::Text(s) => Some(dialect.parse_float(s).ok_or_else(|| bad(i, &valid))?),
                    _ => return Err(bad(i, &valid)),
                });
            }
            Arc::new(Float64Array::from(out))
        }
        ColumnType::Bool => {
            let mut out = Vec::with_capacity(cells.len());
            for (i, c) in cells.iter().enumerate() {
                out.push(match c {
                    Cell::Null => None,
                    Cell::Bool(b) => Some(*b),
                    Cell::Number(x) if *x == 0.0 || *x == 1.0 => Some(*x == 1.0),
                    Cell::Text(s) => Some(parse_bool(s).ok_or_else(|| bad(i, &valid))?),
                    _ => return Err(bad(i, &valid)),
                });
            }
            Arc::new(BooleanArray::from(out))
        }
        ColumnType::Date => {
            let want = date_want(dialect);
            let mut out = Vec::with_capacity(cells.len());
            for (i, c) in cells.iter().enumerate() {
                out.push(match c {
                    Cell::Null => None,
                    Cell::When {
                        day,
                        midnight: true,
                        ..
                    } => Some(*day),
                    Cell::When { .. } => {
                        return Err(bad(i, "a date (it has a time of day other than midnight)"))
                    }
                    Cell::Text(s) => Some(dialect.parse_date(s).ok_or_else(|| bad(i, &want))?),
                    _ => return Err(bad(i, &want)),
                });
            }
            Arc::new(Date32Array::from(out))
        }
        ColumnType::Timestamp => {
            let want = timestamp_want(dialect);
            let mut out = Vec::with_capacity(cells.len());
            for (i, c) in cells.iter().enumerate() {
                out.push(match c {
                    Cell::Null => None,
                    Cell::When { micros, .. } => Some(*micros),
                    Cell::Text(s) => Some(dialect.parse_timestamp(s).ok_or_else(|| bad(i, &want))?),
                    _ => return Err(bad(i, &want)),
                });
            }
            Arc::new(TimestampMicrosecondArray::from(out).with_timezone("UTC"))
        }
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn column_letters_count_like_a_spreadsheet() {
        assert_eq!(super::column_letters(0), "A");
        assert_eq!(super::column_letters(25), "Z");
        assert_eq!(super::column_letters(26), "AA");
        assert_eq!(super::column_letters(27), "AB");
        assert_eq!(super::column_letters(701), "ZZ");
        assert_eq!(super::column_letters(702), "AAA");
    }
}
