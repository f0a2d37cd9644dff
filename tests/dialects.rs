//! Files as people export them (`tests/data/dialects/`, made by its `make.py`): the reader's
//! detections and errors as golden files (`tests/golden/dialects/`; regenerate with
//! `BLESS=1 cargo test --test dialects` after an intended change and review the diff), typed
//! values read through the library, precedence of the command line over the schema's `input:`
//! section over detection, and commands run on every kind of file.

use std::fs;
use std::path::{Path, PathBuf};

use arrow_array::cast::AsArray;
use arrow_array::types::{Date32Type, Float64Type, Int64Type, TimestampMicrosecondType};
use arrow_array::RecordBatch;
use fairsynth::io::read::{Format, Input, Reader};
use fairsynth::schema::{InputOptions, Schema};

mod common;
use common::{fairsynth, root};

fn data(name: &str) -> PathBuf {
    root().join("tests/data/dialects").join(name)
}

/// Days since 1970 of a calendar date.
fn day(y: i32, m: u32, d: u32) -> i32 {
    let epoch = chrono::NaiveDate::from_ymd_opt(1970, 1, 1).expect("epoch");
    let date = chrono::NaiveDate::from_ymd_opt(y, m, d).expect("date");
    i32::try_from((date - epoch).num_days()).expect("fits")
}

fn schema(yaml: &str) -> Schema {
    Schema::from_str_named(yaml, "test.yaml").expect("valid schema")
}

/// Reads every batch of `path` typed by `schema`, with `options` stated.
fn read(path: &Path, options: InputOptions, schema: &Schema) -> Result<RecordBatch, String> {
    let format = Format::detect(path).map_err(|e| e.to_string())?;
    let input = Input::file(path, format).with_options(options);
    let reader = Reader::open(&input, schema).map_err(|e| e.to_string())?;
    let arrow = reader.schema();
    let batches: Vec<RecordBatch> = reader
        .collect::<Result<_, _>>()
        .map_err(|e| e.to_string())?;
    arrow_select::concat::concat_batches(&arrow, &batches).map_err(|e| e.to_string())
}

const CRM_SCHEMA: &str = "version: 1
name: crm
columns:
  - {name: kdnr, type: int}
  - {name: Vorname, type: string}
  - {name: geb_datum, type: date}
  - {name: umsatz_eur, type: float}
  - {name: letzter_kontakt, type: timestamp}
";

#[test]
fn a_german_crm_export_reads_typed() {
    let b = read(
        &data("crm_de.csv"),
        InputOptions::default(),
        &schema(CRM_SCHEMA),
    )
    .expect("reads");
    assert_eq!(b.num_rows(), 20);
    let col = |n: &str| b.column_by_name(n).expect(n).clone();
    assert_eq!(
        col("kdnr").as_primitive::<Int64Type>().value(3),
        10003,
        "row of 24.12.1980"
    );
    assert_eq!(
        col("geb_datum").as_primitive::<Date32Type>().value(3),
        day(1980, 12, 24)
    );
    assert_eq!(
        col("umsatz_eur").as_primitive::<Float64Type>().value(0),
        13.5
    );
    assert_eq!(
        col("umsatz_eur").as_primitive::<Float64Type>().value(1),
        1990.81
    );
    // Windows-1252 umlauts arrive as UTF-8.
    assert_eq!(col("Vorname").as_string::<i32>().value(0), "Jürgen");
    // 01.01.2024 08:00
    let t = col("letzter_kontakt")
        .as_primitive::<TimestampMicrosecondType>()
        .value(0);
    assert_eq!(
        t,
        i64::from(day(2024, 1, 1)) * 86_400_000_000 + 8 * 3_600_000_000
    );
}

#[test]
fn bom_gzip_and_tab_files_read_typed() {
    let bom = read(
        &data("bom_utf8.csv"),
        InputOptions::default(),
        &schema("version: 1\nname: t\ncolumns:\n  - {name: id, type: int}\n  - {name: birth_date, type: date}\n  - {name: spend, type: float}\n"),
    )
    .expect("BOM file reads; its first column is `id`, not `\\u{feff}id`");
    assert_eq!(bom.num_rows(), 12);
    assert_eq!(bom.schema().field(0).name(), "id");

    let gz = read(
        &data("umsatz.csv.gz"),
        InputOptions::default(),
        &schema("version: 1\nname: t\ncolumns:\n  - {name: umsatz_eur, type: float}\n"),
    )
    .expect("gzip reads");
    assert_eq!(gz.num_rows(), 15);
    let u = gz
        .column_by_name("umsatz_eur")
        .expect("umsatz")
        .as_primitive::<Float64Type>()
        .value(1);
    assert!(
        (u - 5972.43).abs() < 1e-9,
        "1990.81 * 3 written 5.972,43: {u}"
    );

    let tab = read(
        &data("us_tab.tsv"),
        InputOptions::default(),
        &schema("version: 1\nname: t\ncolumns:\n  - {name: signed_up, type: date}\n"),
    )
    .expect("tab reads");
    // people(12)[4]: 2024-05-13, written 05/13/2024.
    assert_eq!(
        tab.column_by_name("signed_up")
            .expect("signed_up")
            .as_primitive::<Date32Type>()
            .value(4),
        day(2024, 5, 13)
    );
}

#[test]
fn the_command_line_wins_over_the_schema_which_wins_over_detection() {
    let path = data("ambiguous_dates.csv");
    let declared = "version: 1\nname: t\ncolumns:\n  - {name: seen, type: date}\n";
    // Detection cannot tell: refused, naming the column and a value.
    let err = read(&path, InputOptions::default(), &schema(declared)).expect_err("ambiguous");
    assert!(
        err.contains("column `seen`: the dates are ambiguous"),
        "{err}"
    );
    let first = |b: RecordBatch| b.column(1).as_primitive::<Date32Type>().value(0);
    // The schema says month first: 01/02/2020 is 2 January.
    let s = schema(&format!("{declared}input: {{date_format: mm/dd/yyyy}}\n"));
    let b = read(&path, InputOptions::default(), &s).expect("schema decides");
    assert_eq!(first(b), day(2020, 1, 2));
    // The command line says day first, over the schema: 1 February.
    let cli = InputOptions {
        date_format: fairsynth::schema::DateFormat::parse("dd/mm/yyyy").ok(),
        ..Default::default()
    };
    let b = read(&path, cli, &s).expect("command line decides");
    assert_eq!(first(b), day(2020, 2, 1));
}

#[test]
fn workbooks_read_their_typed_cells() {
    let s = schema(
        "version: 1\nname: t\ncolumns:\n  - {name: kdnr, type: int}\n  - {name: geb_datum, type: date}\n  - {name: umsatz_eur, type: float}\n  - {name: letzter_kontakt, type: timestamp}\n",
    );
    let kunden = InputOptions {
        sheet: Some("Kunden".into()),
        ..Default::default()
    };
    for name in ["crm_de.xlsx", "crm_de.ods"] {
        let b = read(&data(name), kunden.clone(), &s).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(b.num_rows(), 20, "{name}");
        let col = |n: &str| b.column_by_name(n).expect(n).clone();
        assert_eq!(col("kdnr").as_primitive::<Int64Type>().value(3), 10003);
        assert_eq!(
            col("geb_datum").as_primitive::<Date32Type>().value(3),
            day(1980, 12, 24),
            "{name}"
        );
        assert_eq!(
            col("umsatz_eur").as_primitive::<Float64Type>().value(1),
            1990.81
        );
        let t = col("letzter_kontakt")
            .as_primitive::<TimestampMicrosecondType>()
            .value(0);
        assert_eq!(
            t,
            i64::from(day(2024, 1, 1)) * 86_400_000_000 + 8 * 3_600_000_000,
            "{name}"
        );
    }
    // The sheet by number; undeclared cells keep their types.
    let by_number = InputOptions {
        sheet: Some("2".into()),
        ..Default::default()
    };
    let b = read(
        &data("crm_de.xlsx"),
        by_number,
        &schema("version: 1\nname: t\ncolumns:\n  - {name: kdnr, type: int}\n"),
    )
    .expect("sheet 2");
    let types: Vec<String> = b
        .schema()
        .fields()
        .iter()
        .map(|f| format!("{}:{}", f.name(), f.data_type()))
        .collect();
    assert!(types.contains(&"geb_datum:Date32".to_string()), "{types:?}");
    assert!(
        types.contains(&"umsatz_eur:Float64".to_string()),
        "{types:?}"
    );
    // Text cells holding decimal commas read as numbers with the dialect's decimal mark.
    let notes =
        schema("version: 1\nname: t\ncolumns:\n  - {name: notiz, type: float, nullable: true}\n");
    let err = read(&data("crm_de.xlsx"), kunden.clone(), &notes).expect_err("decimal comma");
    assert!(err.contains("sheet `Kunden`, cell I2"), "{err}");
    assert!(err.contains("pass --decimal ','"), "{err}");
    let comma = InputOptions {
        decimal: Some(','),
        ..kunden
    };
    let b = read(&data("crm_de.xlsx"), comma, &notes).expect("with --decimal ,");
    assert_eq!(
        b.column_by_name("notiz")
            .expect("notiz")
            .as_primitive::<Float64Type>()
            .value(0),
        13.5
    );
}

/// One golden case: a command's stderr (or the lines of it that show what was detected), and
/// the `input:` section of the draft it wrote.
struct Case {
    name: &'static str,
    args: &'static [&'static str],
    /// Keep only the `read as:` line of a successful `inspect`, and the draft's `input:`.
    detection: bool,
}

const CASES: &[Case] = &[
    Case {
        name: "crm_de_csv",
        args: &["inspect", "tests/data/dialects/crm_de.csv"],
        detection: true,
    },
    Case {
        name: "bom_utf8_csv",
        args: &["inspect", "tests/data/dialects/bom_utf8.csv"],
        detection: true,
    },
    Case {
        name: "us_tab_tsv",
        args: &["inspect", "tests/data/dialects/us_tab.tsv"],
        detection: true,
    },
    Case {
        name: "umsatz_csv_gz",
        args: &["inspect", "tests/data/dialects/umsatz.csv.gz"],
        detection: true,
    },
    Case {
        name: "crm_de_xlsx",
        args: &[
            "inspect",
            "tests/data/dialects/crm_de.xlsx",
            "--sheet",
            "Kunden",
        ],
        detection: true,
    },
    Case {
        name: "crm_de_ods",
        args: &["inspect", "tests/data/dialects/crm_de.ods"],
        detection: true,
    },
    Case {
        name: "ambiguous_dates",
        args: &["inspect", "tests/data/dialects/ambiguous_dates.csv"],
        detection: false,
    },
    Case {
        name: "both_orders",
        args: &["inspect", "tests/data/dialects/both_orders.csv"],
        detection: false,
    },
    Case {
        name: "mixed_delimiters",
        args: &["inspect", "tests/data/dialects/mixed_delimiters.csv"],
        detection: false,
    },
    Case {
        name: "decimal_stated_wrong",
        args: &[
            "inspect",
            "tests/data/dialects/crm_de.csv",
            "--schema",
            "tests/data/dialects/crm_float.yaml",
            "--decimal",
            ".",
        ],
        detection: false,
    },
    Case {
        name: "dates_stated_wrong",
        args: &[
            "inspect",
            "tests/data/dialects/crm_de.csv",
            "--schema",
            "tests/data/dialects/crm_date.yaml",
            "--date-format",
            "yyyy-mm-dd",
        ],
        detection: false,
    },
    Case {
        name: "no_such_sheet",
        args: &[
            "inspect",
            "tests/data/dialects/crm_de.xlsx",
            "--sheet",
            "Kundn",
        ],
        detection: false,
    },
    Case {
        name: "bad_flag_value",
        args: &[
            "inspect",
            "tests/data/dialects/crm_de.csv",
            "--decimal",
            ";",
        ],
        detection: false,
    },
];

#[test]
fn detections_and_errors_match_their_goldens() {
    let dir = root().join("tests/golden/dialects");
    let bless = std::env::var_os("BLESS").is_some();
    let tmp = tempfile::tempdir().expect("tempdir");
    let mut failures = Vec::new();
    for case in CASES {
        let draft = tmp.path().join(format!("{}.yaml", case.name));
        let mut cmd = fairsynth();
        cmd.args(case.args);
        if case.detection {
            cmd.arg("--draft-schema").arg(&draft);
        }
        let out = cmd.output().expect("runs");
        let stderr = String::from_utf8(out.stderr).expect("UTF-8 stderr");
        assert!(!stderr.contains("panicked"), "{}: {stderr}", case.name);
        let got = if case.detection {
            assert_eq!(out.status.code(), Some(0), "{}: {stderr}", case.name);
            let read_as: Vec<&str> = stderr
                .lines()
                .filter(|l| l.trim_start().starts_with("read as:"))
                .collect();
            let yaml = fs::read_to_string(&draft).expect("draft written");
            // The draft reads back as a valid schema.
            Schema::from_str_named(&yaml, "draft.yaml")
                .unwrap_or_else(|e| panic!("{}: the draft is invalid: {e}\n{yaml}", case.name));
            let input: Vec<&str> = yaml
                .lines()
                .skip_while(|l| !l.starts_with("input:"))
                .take_while(|l| l.starts_with("input:") || l.starts_with("  "))
                .collect();
            format!("{}\n--- draft\n{}\n", read_as.join("\n"), input.join("\n"))
        } else {
            assert_eq!(out.status.code(), Some(2), "{}: {stderr}", case.name);
            stderr
        };
        let golden = dir.join(format!("{}.txt", case.name));
        if bless {
            fs::create_dir_all(&dir).expect("golden dir");
            fs::write(&golden, &got).expect("write golden");
            continue;
        }
        let want = fs::read_to_string(&golden)
            .unwrap_or_else(|_| panic!("missing {}; run with BLESS=1", golden.display()));
        if want != got {
            failures.push(format!("{}\n--- want\n{want}\n--- got\n{got}", case.name));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn deidentify_and_audit_read_the_export_as_detected() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tmp.path().join("out.parquet");
    fairsynth()
        .env("FAIRSYNTH_KEY", "0123456789abcdef0123456789abcdef")
        .args([
            "deidentify",
            "tests/data/dialects/crm_de.csv",
            "--schema",
            "tests/data/dialects/crm_deid.yaml",
            "--quiet",
            "-o",
        ])
        .arg(&out)
        .assert()
        .success();
    let file = fs::File::open(&out).expect("output");
    let reader = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file)
        .expect("parquet")
        .build()
        .expect("reader");
    let batches: Vec<RecordBatch> = reader.map(|b| b.expect("batch")).collect();
    let b = arrow_select::concat::concat_batches(&batches[0].schema(), &batches).expect("concat");
    assert_eq!(b.num_rows(), 20);
    let umsatz = b
        .column_by_name("umsatz_eur")
        .expect("umsatz_eur kept")
        .as_primitive::<Float64Type>();
    assert_eq!(umsatz.value(1), 1990.81);
    assert!(b.column_by_name("Vorname").is_none(), "names dropped");

    // The same file gzip-compressed and named oddly: the magic bytes say gzip.
    let gz = tmp.path().join("export.dat");
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(&mut enc, &fs::read(data("crm_de.csv")).expect("read"))
        .expect("gzip");
    fs::write(&gz, enc.finish().expect("gzip")).expect("write");
    fairsynth()
        .args([
            "audit",
            "--schema",
            "tests/data/dialects/crm_deid.yaml",
            "--quiet",
        ])
        .arg(&gz)
        .assert()
        .success();
}

#[test]
fn a_workbook_whose_first_sheet_has_no_rows_is_read_from_the_first_sheet_with_rows() {
    // crm_de.xlsx has a cover sheet `Info` (a title, no data rows), then `Kunden`.
    let s = schema(CRM_SCHEMA);
    let input = Input::file(data("crm_de.xlsx"), Format::Xlsx);
    let reader = Reader::open(&input, &s).expect("opens without --sheet");
    assert_eq!(reader.dialect().sheet.as_deref(), Some("Kunden"));
    let note = reader.dialect().sheet_note.clone().expect("a note");
    for part in [
        "`Info` has no data rows",
        "`Kunden` (20 rows)",
        "--sheet NAME",
    ] {
        assert!(note.contains(part), "{note}");
    }
    let b = read(&data("crm_de.xlsx"), InputOptions::default(), &s).expect("reads");
    assert_eq!(b.num_rows(), 20);
    // A sheet asked for is read as asked, without a note.
    let empty = fairsynth::deid::inspect::empty_schema();
    let info = InputOptions {
        sheet: Some("Info".into()),
        ..Default::default()
    };
    let input = Input::file(data("crm_de.xlsx"), Format::Xlsx).with_options(info);
    let reader = Reader::open(&input, &empty).expect("opens Info");
    assert_eq!(reader.dialect().sheet.as_deref(), Some("Info"));
    assert_eq!(reader.dialect().sheet_note, None);
    // Every command picks the same sheet: inspect says so, audit reads the 20 rows.
    let out = fairsynth()
        .args(["inspect", "tests/data/dialects/crm_de.xlsx"])
        .output()
        .expect("runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains(": 20 rows, 9 columns"), "{stderr}");
    assert!(stderr.contains("read as: xlsx, sheet `Kunden`"), "{stderr}");
    assert!(
        stderr.contains("note: the first sheet `Info` has no data rows"),
        "{stderr}"
    );
    let out = fairsynth()
        .args([
            "audit",
            "tests/data/dialects/crm_de.xlsx",
            "--schema",
            "tests/data/dialects/crm_deid.yaml",
            "--as-of",
            "2025-01-01",
        ])
        .output()
        .expect("runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("audited 20 rows"), "{stderr}");
    assert!(stderr.contains("note: the first sheet `Info`"), "{stderr}");
    let out = fairsynth()
        .args([
            "evaluate",
            "--real",
            "tests/data/dialects/crm_de.xlsx",
            "--synthetic",
            "tests/data/dialects/crm_de.xlsx",
            "--schema",
            "tests/data/dialects/crm_deid.yaml",
        ])
        .output()
        .expect("runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(
            "note: real table: the first sheet `Info` has no data rows, so sheet `Kunden` was read"
        ),
        "{stderr}"
    );
}
