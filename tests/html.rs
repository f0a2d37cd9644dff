//! The `--html` pages of reweight, sample, evaluate, deidentify and audit: well-formed XML, no
//! script and nothing fetched from the network, the expected charts with one mark per level and
//! the report's numbers in their labels, byte-identical across runs; and rendered by a real
//! headless Chromium into a page that is not blank.
//!
//! The browser test is skipped (with the reason printed) when `chromium` is not installed,
//! unless FAIRSYNTH_REQUIRE_BROWSER=1 (as `.ci/run` sets), which makes it mandatory.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

mod common;
use common::{fairsynth, root};

/// One command's page, its JSON report, and a second page from an identical run.
struct Page {
    name: &'static str,
    html: PathBuf,
    again: PathBuf,
    report: Value,
}

fn run(args: &[&str], dir: &Path, name: &'static str, ok: bool) -> Page {
    let html = dir.join(format!("{name}.html"));
    let again = dir.join(format!("{name}.again.html"));
    let report = dir.join(format!("{name}.json"));
    // The second run uses one thread: the page must not depend on the thread count.
    for (h, threads) in [(&html, "2"), (&again, "1")] {
        let out = fairsynth()
            .args(args)
            .args(["--threads", threads])
            .arg("--report")
            .arg(&report)
            .arg("--html")
            .arg(h)
            .env("FAIRSYNTH_KEY", "html-test-key-0123456789abcdef")
            .output()
            .expect("runs");
        assert_eq!(
            out.status.success(),
            ok,
            "{name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let text = std::fs::read_to_string(&report).expect("report");
    Page {
        name,
        html,
        again,
        report: serde_json::from_str(&text).expect("report JSON"),
    }
}

/// Every page, written into `dir`.
fn pages(dir: &Path) -> Vec<Page> {
    let d = |f: &str| dir.join(f).display().to_string();
    let adult = root()
        .join("tests/data/adult_sample.csv")
        .display()
        .to_string();
    let adult_schema = root().join("schemas/adult.yaml").display().to_string();
    let customers_schema = root().join("schemas/customers.yaml").display().to_string();
    let mut out = vec![run(
        &[
            "reweight",
            &adult,
            "--schema",
            &adult_schema,
            "-q",
            "-o",
            &d("rw.parquet"),
        ],
        dir,
        "reweight",
        true,
    )];
    fairsynth()
        .args([
            "fit",
            &adult,
            "--schema",
            &adult_schema,
            "-q",
            "-o",
            &d("model.json"),
        ])
        .assert()
        .success();
    out.push(run(
        &[
            "sample",
            &d("model.json"),
            "--schema-targets",
            "-q",
            "-o",
            &d("syn.parquet"),
        ],
        dir,
        "sample",
        true,
    ));
    out.push(run(
        &[
            "evaluate",
            "--real",
            &adult,
            "--synthetic",
            &d("syn.parquet"),
            "--schema",
            &adult_schema,
            "--threshold",
            "min_di=0",
            "--threshold",
            "max_spd=1",
            "--threshold",
            "min_overall=0",
            "--threshold",
            "min_column=0",
            "--threshold",
            "min_pair=0",
            "--threshold",
            "max_exact_copies=1",
            "--threshold",
            "min_tstr_ratio=0",
            "-q",
        ],
        dir,
        "evaluate",
        true,
    ));
    fairsynth()
        .args([
            "synth",
            "--schema",
            &customers_schema,
            "--rows",
            "5000",
            "-q",
            "-o",
            &d("customers.parquet"),
        ])
        .assert()
        .success();
    out.push(run(
        &[
            "deidentify",
            &d("customers.parquet"),
            "--schema",
            &customers_schema,
            "-q",
            "-o",
            &d("deid.parquet"),
        ],
        dir,
        "deidentify",
        true,
    ));
    out.push(run(
        &[
            "audit",
            &adult,
            "--schema",
            &adult_schema,
            "--as-of",
            "2026-12-01",
            "-q",
        ],
        dir,
        "audit",
        false,
    ));
    out
}

fn parse(text: &str) -> roxmltree::Document<'_> {
    let opts = roxmltree::ParsingOptions {
        allow_dtd: true,
        ..Default::default()
    };
    roxmltree::Document::parse_with_options(text, opts)
        .unwrap_or_else(|e| panic!("not well-formed XML: {e}"))
}

/// The chart (an `<svg>`) whose `<title>` is `title`.
fn chart<'a>(doc: &'a roxmltree::Document, title: &str) -> roxmltree::Node<'a, 'a> {
    doc.descendants()
        .find(|n| {
            n.has_tag_name("svg")
                && n.children()
                    .any(|c| c.has_tag_name("title") && c.text() == Some(title))
        })
        .unwrap_or_else(|| panic!("no chart titled `{title}`"))
}

/// (label, series, value) of the marks of `class` in a chart.
fn marks(svg: roxmltree::Node, class: &str) -> Vec<(String, String, f64)> {
    svg.descendants()
        .filter(|n| n.attribute("class") == Some(class))
        .map(|n| {
            (
                n.attribute("data-label").unwrap_or_default().to_string(),
                n.attribute("data-series").unwrap_or_default().to_string(),
                n.attribute("data-value")
                    .and_then(|v| v.parse().ok())
                    .expect("data-value"),
            )
        })
        .collect()
}

/// The number written beside each bar, in order.
fn bar_texts(svg: roxmltree::Node) -> Vec<String> {
    svg.descendants()
        .filter(|n| n.attribute("class") == Some("bar"))
        .map(|n| {
            n.next_sibling_element()
                .filter(|t| t.attribute("class").is_some_and(|c| c.starts_with("value")))
                .and_then(|t| t.text())
                .expect("a number beside the bar")
                .to_string()
        })
        .collect()
}

fn f(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
}

#[test]
fn pages_are_self_contained_deterministic_and_show_the_reports_figures() {
    let dir = tempfile::tempdir().expect("tempdir");
    for page in pages(dir.path()) {
        let text = std::fs::read_to_string(&page.html).expect("page");
        let again = std::fs::read(&page.again).expect("page");
        assert!(
            text.as_bytes() == again.as_slice(),
            "{}: bytes differ between runs",
            page.name
        );
        let doc = parse(&text);
        // No script, no event handler, nothing fetched.
        for n in doc.descendants().filter(|n| n.is_element()) {
            let tag = n.tag_name().name();
            assert!(
                !matches!(
                    tag,
                    "script" | "link" | "img" | "iframe" | "object" | "embed"
                ),
                "{}: <{tag}>",
                page.name
            );
            for a in n.attributes() {
                assert!(!a.name().starts_with("on"), "{}: {}", page.name, a.name());
                if matches!(a.name(), "href" | "src") {
                    assert!(a.value().starts_with('#'), "{}: {}", page.name, a.value());
                }
            }
        }
        let stripped = text
            .replace("xmlns=\"http://www.w3.org/2000/svg\"", "")
            .replace("xmlns=\"http://www.w3.org/1999/xhtml\"", "");
        for bad in [
            "http://",
            "https://",
            "url(",
            "@import",
            "@font-face",
            "<script",
        ] {
            assert!(!stripped.contains(bad), "{}: `{bad}`", page.name);
        }
        // Every chart has a title and a description.
        let svgs: Vec<_> = doc
            .descendants()
            .filter(|n| n.has_tag_name("svg"))
            .collect();
        assert!(!svgs.is_empty(), "{}: no chart", page.name);
        for s in &svgs {
            assert!(s.children().any(|c| c.has_tag_name("title")));
            assert!(s.children().any(|c| c.has_tag_name("desc")));
        }
        // The page starts with the explanation and the provenance.
        assert!(text.contains("Provenance") && text.contains("fairsynth 0."));
        let r = &page.report;
        match page.name {
            "reweight" => {
                let sex = chart(&doc, "Shares of sex: target, before and after");
                let dots = marks(sex, "dot");
                assert_eq!(dots.len(), 2 * 3, "2 levels x (target, before, after)");
                let margin = r["margins"]
                    .as_array()
                    .expect("margins")
                    .iter()
                    .find(|m| {
                        m["columns"][0] == "sex" && m["columns"].as_array().map(Vec::len) == Some(1)
                    })
                    .expect("sex margin");
                for (label, series, value) in &dots {
                    let level = margin["levels"]
                        .as_array()
                        .expect("levels")
                        .iter()
                        .find(|l| l["level"] == label.as_str())
                        .expect("level");
                    assert_eq!(*value, f(&level[series.as_str()]), "{label} {series}");
                }
                let h = chart(&doc, "Rows per weight interval");
                let bars = marks(h, "bar");
                assert_eq!(bars.len(), 20);
                assert_eq!(bars.iter().map(|b| b.2).sum::<f64>(), f(&r["rows"]));
                let rates = chart(
                    &doc,
                    "Rate of income = >50K per sex group, before and after",
                );
                let bars = marks(rates, "bar");
                assert_eq!(bars.len(), 2 * 2);
                let texts = bar_texts(rates);
                let groups = r["fairness"]["attributes"][0]["groups"]
                    .as_array()
                    .expect("groups");
                for (i, g) in groups.iter().enumerate() {
                    assert_eq!(
                        texts[2 * i],
                        format!("{:.1}%", 100.0 * f(&g["rate_before"]))
                    );
                    assert_eq!(
                        texts[2 * i + 1],
                        format!("{:.1}%", 100.0 * f(&g["rate_after"]))
                    );
                }
            }
            "sample" => {
                let sex = chart(&doc, "Shares of sex: target, real data, sample");
                assert_eq!(marks(sex, "dot").len(), 2 * 3);
                let parity = chart(
                    &doc,
                    "Rate of income = >50K per group, real data and sample",
                );
                let bars = marks(parity, "bar");
                let groups = r["parity"]["groups"].as_array().expect("groups");
                assert_eq!(bars.len(), 2 * groups.len());
                for (i, g) in groups.iter().enumerate() {
                    assert_eq!(bars[2 * i].2, f(&g["model"]));
                    assert_eq!(bars[2 * i + 1].2, f(&g["expected"]));
                }
            }
            "evaluate" => {
                let cols = chart(&doc, "Fidelity score per column, worst first");
                let bars = marks(cols, "bar");
                let scores = r["fidelity"]["columns"].as_array().expect("columns");
                assert_eq!(bars.len(), scores.len());
                let texts = bar_texts(cols);
                let worst = scores
                    .iter()
                    .map(|c| f(&c["score"]))
                    .fold(f64::INFINITY, f64::min);
                assert_eq!(bars[0].2, worst, "worst column first");
                for ((label, _, v), t) in bars.iter().zip(&texts) {
                    let c = scores
                        .iter()
                        .find(|c| c["column"] == label.as_str())
                        .expect("column");
                    assert_eq!(*v, f(&c["score"]));
                    assert_eq!(*t, format!("{:.3}", f(&c["score"])));
                }
                let heat = chart(&doc, "Pair similarity heatmap");
                assert_eq!(
                    marks(heat, "cell").len(),
                    r["fidelity"]["pairs"].as_array().expect("pairs").len()
                );
                let sex = chart(&doc, "Shares of sex: real and synthetic");
                assert_eq!(
                    marks(sex, "bar").len(),
                    2 * 2,
                    "Female, Male in both tables"
                );
                // The sample was drawn to the schema's targets: the reweighted real shares sit
                // beside the target, real and synthetic ones.
                let t = chart(
                    &doc,
                    "Shares of sex: target, real, reweighted real and synthetic",
                );
                let bars = marks(t, "bar");
                let levels = r["targets"]["shares"][0]["levels"]
                    .as_array()
                    .expect("levels");
                assert_eq!(bars.len(), 4 * levels.len());
                for (i, l) in levels.iter().enumerate() {
                    for (k, key) in ["target", "real", "reweighted", "synthetic"]
                        .iter()
                        .enumerate()
                    {
                        assert_eq!(bars[4 * i + k].2, f(&l[*key]), "{key}");
                    }
                }
                let dcr = chart(&doc, "Distance to the closest real record");
                let bars = marks(dcr, "bar");
                assert_eq!(bars.len(), 20);
                let total: f64 = bars.iter().map(|b| b.2).sum();
                assert!((total - 1.0).abs() < 1e-9, "{total}");
            }
            "deidentify" => {
                let sizes = chart(&doc, "Rows by the size of their equivalence class");
                let buckets = r["anonymity"]["class_sizes"]
                    .as_array()
                    .expect("class sizes");
                assert_eq!(marks(sizes, "bar").len(), buckets.len());
                let so = chart(
                    &doc,
                    "Rows unique over the quasi-identifiers plus one column",
                );
                let bars = marks(so, "bar");
                let raises = r["singling_out"]["raises"].as_array().expect("raises");
                assert_eq!(bars.len(), raises.len().min(20));
                for (b, x) in bars.iter().zip(raises) {
                    assert_eq!(b.0, x["column"].as_str().expect("column"));
                    assert_eq!(b.2, f(&x["share"]));
                }
                // Identifiers were dropped, and the page says so.
                assert!(text.contains("email") && text.contains("drop"));
            }
            "audit" => {
                let sex = chart(&doc, "Rate of income = >50K per sex group");
                let bars = marks(sex, "bar");
                assert_eq!(bars.len(), 2, "one bar per level of sex");
                let parity = r["parity"]["attributes"]
                    .as_array()
                    .expect("parity")
                    .iter()
                    .find(|a| a["attribute"] == "sex")
                    .expect("sex");
                let texts = bar_texts(sex);
                for (i, g) in parity["groups"]
                    .as_array()
                    .expect("groups")
                    .iter()
                    .enumerate()
                {
                    assert_eq!(bars[i].0, g["group"].as_str().expect("group"));
                    assert_eq!(bars[i].2, f(&g["rate"]));
                    assert_eq!(texts[i], format!("{:.1}%", 100.0 * f(&g["rate"])));
                }
                let race = chart(&doc, "Share of each race group");
                assert_eq!(marks(race, "dot").len(), 5 * 2, "5 levels x (data, target)");
                let whiskers = race
                    .descendants()
                    .filter(|n| n.attribute("class") == Some("whisker"))
                    .count();
                assert_eq!(whiskers, 5);
                let proxies = chart(
                    &doc,
                    "Strongest proxies: Cramér's V of a column with a protected column",
                );
                let bars = marks(proxies, "bar");
                assert_eq!(bars[0].0, "relationship → sex");
                assert_eq!(bars[0].2, f(&r["proxies"]["pairs"][0]["cramers_v"]));
                assert_eq!(bar_texts(proxies)[0], "0.661");
                assert!(text.contains("FAIL"));
                let so = chart(
                    &doc,
                    "Rows unique over the quasi-identifiers plus one column",
                );
                let bars = marks(so, "bar");
                assert_eq!(
                    bars[0].0,
                    r["singling_out"]["raises"][0]["column"]
                        .as_str()
                        .expect("column")
                );
            }
            other => panic!("unexpected page {other}"),
        }
    }
}

/// The Chromium binary, or why the browser test cannot run.
fn chromium() -> Result<PathBuf, String> {
    for name in ["chromium", "chromium-browser"] {
        for dir in std::env::var("PATH").unwrap_or_default().split(':') {
            let p = Path::new(dir).join(name);
            if p.is_file() {
                return Ok(p);
            }
        }
    }
    Err("no `chromium` on PATH (apt-get install chromium)".into())
}

/// (distinct colours, share of non-white pixels, pixels of the chart blue #0072B2).
fn picture(png_path: &Path) -> (usize, f64, usize) {
    let file = std::fs::File::open(png_path).expect("screenshot");
    let mut decoder = png::Decoder::new(std::io::BufReader::new(file));
    decoder.set_transformations(png::Transformations::EXPAND | png::Transformations::STRIP_16);
    let mut reader = decoder.read_info().expect("a PNG");
    let mut buf = vec![0; reader.output_buffer_size().expect("size")];
    let info = reader.next_frame(&mut buf).expect("a frame");
    let channels = info.color_type.samples();
    let pixels = &buf[..info.buffer_size()];
    let mut colours = std::collections::HashSet::new();
    let (mut ink, mut blue, mut n) = (0usize, 0usize, 0usize);
    for p in pixels.chunks(channels) {
        let rgb = (p[0], p[1], p[2.min(channels - 1)]);
        colours.insert(rgb);
        n += 1;
        if rgb != (255, 255, 255) {
            ink += 1;
        }
        if (i32::from(rgb.0)).abs() < 12
            && (i32::from(rgb.1) - 114).abs() < 12
            && (i32::from(rgb.2) - 178).abs() < 12
        {
            blue += 1;
        }
    }
    (colours.len(), ink as f64 / n.max(1) as f64, blue)
}

#[test]
fn pages_render_in_a_headless_browser() {
    let required = std::env::var("FAIRSYNTH_REQUIRE_BROWSER").is_ok_and(|v| v == "1");
    let chromium = match chromium() {
        Ok(c) => c,
        Err(why) if !required => {
            eprintln!(
                "skipped: {why}; set FAIRSYNTH_REQUIRE_BROWSER=1 to make this test mandatory"
            );
            return;
        }
        Err(why) => panic!("FAIRSYNTH_REQUIRE_BROWSER=1 but {why}"),
    };
    let dir = tempfile::tempdir().expect("tempdir");
    for page in pages(dir.path()) {
        let shot = dir.path().join(format!("{}.png", page.name));
        let profile = tempfile::tempdir().expect("profile dir");
        let out = Command::new(&chromium)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--no-first-run",
                "--disable-component-update",
                "--disable-sync",
                "--window-size=1200,2000",
            ])
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .arg(format!("--screenshot={}", shot.display()))
            .arg(format!("file://{}", page.html.display()))
            .output()
            .expect("chromium runs");
        assert!(
            shot.is_file(),
            "{}: no screenshot; chromium said: {}",
            page.name,
            String::from_utf8_lossy(&out.stderr)
        );
        let (colours, ink, blue) = picture(&shot);
        assert!(
            colours > 16,
            "{}: {colours} colours: a blank page",
            page.name
        );
        assert!(
            ink > 0.03,
            "{}: {:.3} of the pixels are not white",
            page.name,
            ink
        );
        assert!(
            blue > 200,
            "{}: {blue} pixels of the chart blue: no chart drawn",
            page.name
        );
    }
}

#[test]
fn the_page_never_replaces_an_input_or_another_output() {
    let dir = tempfile::tempdir().expect("tempdir");
    let adult = root().join("tests/data/adult_sample.csv");
    let out = dir.path().join("out.parquet");
    for html in [out.clone(), adult.clone()] {
        fairsynth()
            .arg("reweight")
            .arg(&adult)
            .args(["--schema", "schemas/adult.yaml", "-q", "-o"])
            .arg(&out)
            .arg("--html")
            .arg(&html)
            .assert()
            .code(2);
    }
    assert!(!out.exists(), "nothing written");
    let report = dir.path().join("r.json");
    fairsynth()
        .arg("audit")
        .arg(&adult)
        .args(["--schema", "schemas/adult.yaml", "-q", "--report"])
        .arg(&report)
        .arg("--html")
        .arg(&report)
        .assert()
        .code(2);
    assert!(!report.exists());
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]

    /// Any label and number in a chart gives well-formed XML whose data attributes read back.
    #[test]
    fn charts_are_well_formed_for_any_text(
        labels in proptest::collection::vec("\\PC{0,40}", 1..6),
        values in proptest::collection::vec(0.0f64..1.0, 6),
        title in "\\PC{0,60}",
    ) {
        use fairsynth::report::svg::{self, Axis, Series};
        let series = vec![Series::new(title.clone(), values[..labels.len()].iter().map(|v| Some(*v)).collect())];
        for chart in [
            svg::bars("c", &title, &title, &labels, &series, &Axis::new(1.0, 2), None),
            svg::dots("c", &title, &title, &labels, &series, None, &Axis::new(1.0, 2), None),
            svg::histogram("c", &title, &title, &labels, &series, 2),
        ] {
            let doc = roxmltree::Document::parse(&chart).map_err(|e| proptest::test_runner::TestCaseError::fail(format!("{e}: {chart}")))?;
            let marks: Vec<_> = doc.descendants().filter(|n| n.attribute("data-label").is_some() && n.attribute("class") != Some("whisker")).collect();
            proptest::prop_assert_eq!(marks.len(), labels.len());
            for (m, (l, v)) in marks.iter().zip(labels.iter().zip(&values)) {
                // XML normalises line breaks and tabs in attribute values to spaces.
                let expected: String = l.chars().map(|c| match c { '\t' | '\n' | '\r' => ' ', c if (c as u32) < 0x20 => '\u{FFFD}', c => c }).collect();
                proptest::prop_assert_eq!(m.attribute("data-label"), Some(expected.as_str()));
                proptest::prop_assert_eq!(m.attribute("data-value").and_then(|x| x.parse::<f64>().ok()), Some(*v));
            }
        }
    }
}
