//! Readable reports: one self-contained HTML page per command, built from the command's
//! report struct.
//!
//! A page starts with a plain-language explanation of what the command did and why, the
//! parameters, seed, tool version, schema and input hashes, what was dropped or changed, and
//! the privacy ledger where there is one; charts follow, worst figures first. Pages hold no
//! JavaScript, fetch nothing (no external URL, no web font; the only URL is the SVG namespace),
//! print readably, and are deterministic: the same report and [`Context`] give the same bytes.
//! The markup is well-formed XML, so it can be checked with any XML parser.
//!
//! The page functions ([`reweight_page`], [`sample_page`], [`evaluate_page`],
//! [`deidentify_page`], [`audit_page`], [`linked_audit_page`]) take only the report structs and a [`Context`], so a
//! language binding can render the same page from report objects it holds.

mod pages;
pub mod svg;

use std::fmt::Write;
use std::path::Path;

use serde::Serialize;

pub use pages::{
    audit_page, deidentify_page, evaluate_linked_page, evaluate_page, linked_audit_page,
    reweight_page, sample_page,
};

/// Escapes text for HTML/XML content and attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            // Control characters other than tab and newline, and the two non-characters, are
            // not allowed in XML 1.0.
            c if ((c as u32) < 0x20 && c != '\t' && c != '\n')
                || c == '\u{FFFE}'
                || c == '\u{FFFF}' =>
            {
                out.push('\u{FFFD}')
            }
            c => out.push(c),
        }
    }
    out
}

/// A number with `decimals` decimals; rounding noise such as -0.0000 reads as 0, and
/// non-finite values as `n/a`.
pub fn num(x: f64, decimals: usize) -> String {
    if !x.is_finite() {
        return "n/a".into();
    }
    let s = format!("{x:.decimals$}");
    if s.starts_with('-') && s[1..].chars().all(|c| c == '0' || c == '.') {
        s[1..].to_string()
    } else {
        s
    }
}

/// `n` and a noun made plural by `s` unless `n` is 1: `1 column`, `3 columns`.
pub fn count(n: usize, noun: &str) -> String {
    format!("{n} {noun}{}", if n == 1 { "" } else { "s" })
}

/// One input file, named as the user gave it, with its SHA-256.
#[derive(Debug, Clone, Serialize)]
pub struct InputFile {
    /// What the file is (`input`, `real`, `model`, `targets`, …).
    pub role: String,
    /// The path as given.
    pub path: String,
    /// Lower-case hex SHA-256 of its bytes.
    pub sha256: String,
}

/// Where a report came from: tool version, command line, schema and input hashes.
#[derive(Debug, Clone, Serialize)]
pub struct Context {
    /// `fairsynth` version.
    pub tool_version: String,
    /// The command's content-determining options (as recorded in the output's provenance).
    pub command_line: Vec<String>,
    /// Schema name.
    pub schema_name: String,
    /// Schema file as given.
    pub schema_file: String,
    /// SHA-256 of the schema file.
    pub schema_sha256: String,
    /// Input files with their hashes.
    pub inputs: Vec<InputFile>,
    /// The output file, if the command writes one.
    pub output: Option<String>,
}

impl Context {
    /// A context for a run with this schema and command line; add inputs with
    /// [`Context::input`].
    pub fn new(schema: &crate::schema::Schema, command_line: &[String]) -> Context {
        Context::named(&schema.name, &schema.source, command_line)
    }

    /// A context for a run with this schema of linked tables; add each table's file with
    /// [`Context::input`].
    pub fn for_database(db: &crate::schema::Database, command_line: &[String]) -> Context {
        Context::named(&db.name, &db.source, command_line)
    }

    fn named(name: &str, source: &crate::schema::Source, command_line: &[String]) -> Context {
        Context {
            tool_version: env!("CARGO_PKG_VERSION").to_string(),
            command_line: command_line.to_vec(),
            schema_name: name.to_string(),
            schema_file: source.file.clone(),
            schema_sha256: source.sha256.clone(),
            inputs: Vec::new(),
            output: None,
        }
    }

    /// Adds an input file, hashing its bytes.
    pub fn input(mut self, role: &str, path: &Path) -> std::io::Result<Context> {
        let sha256 = crate::schema::sha256_file(path)?;
        self.inputs.push(InputFile {
            role: role.to_string(),
            path: path.display().to_string(),
            sha256,
        });
        Ok(self)
    }

    /// Names the output file.
    pub fn output(mut self, path: &Path) -> Context {
        self.output = Some(path.display().to_string());
        self
    }
}

const CSS: &str = "\
body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,'Helvetica Neue',Arial,sans-serif;\
max-width:62rem;margin:1.5rem auto;padding:0 1rem;color:#111;line-height:1.45;background:#fff}\
h1{font-size:1.7rem;margin-bottom:.2rem}h2{font-size:1.3rem;margin-top:2rem;border-bottom:2px solid #0072B2;padding-bottom:.2rem}\
h3{font-size:1.05rem;margin-top:1.4rem}\
.lead{font-size:1.08rem}.muted{color:#555}\
table{border-collapse:collapse;margin:.6rem 0;font-size:.9rem}\
th,td{border:1px solid #bbb;padding:.2rem .5rem;text-align:left;vertical-align:top}\
td.n{text-align:right;font-variant-numeric:tabular-nums}th{background:#eef3f8}\
code{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.88em;word-break:break-all}\
.status{display:inline-block;padding:.05rem .45rem;border-radius:.3rem;font-weight:600}\
.pass{background:#d7efe6;color:#00583f}.fail{background:#f9dccb;color:#8a3300}.skip{background:#eee;color:#444}\
.verdict{font-size:1.1rem;padding:.5rem .8rem;border-left:6px solid #0072B2;background:#f3f7fb}\
.verdict.bad{border-left-color:#D55E00;background:#fdf1ea}\
svg.chart{max-width:100%;height:auto;display:block;margin:.5rem 0 1rem}\
svg text{font-family:system-ui,sans-serif;font-size:12px;fill:#111}\
svg .tick{font-size:10px;fill:#444}svg .value{font-size:11px;font-variant-numeric:tabular-nums}\
svg .value.small{font-size:8px}\
svg .grid{stroke:#ddd;stroke-width:1}svg .axis{stroke:#555}svg .row{stroke:#eee}\
svg .whisker{stroke:#333;stroke-width:2}\
nav ol{columns:2;font-size:.9rem}\
@media print{body{max-width:none;margin:0}h2{break-after:avoid}svg.chart,table{break-inside:avoid}nav{display:none}\
.verdict{border:1px solid #999}}";

/// An HTML page under construction.
#[derive(Debug, Clone, Default)]
pub struct Page {
    title: String,
    body: String,
    toc: Vec<(String, String)>,
    open: bool,
}

/// A table cell: text, or a right-aligned number.
#[derive(Debug, Clone)]
pub enum Cell {
    /// Text (escaped).
    Text(String),
    /// A number written with the given decimals, right-aligned.
    Num(f64, usize),
    /// A count, right-aligned.
    Count(u64),
    /// A status badge: `pass`, `FAIL` or `skip`.
    Status(Status),
    /// Trusted markup (already escaped).
    Html(String),
}

/// The outcome of a check, for badges.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// The figure meets its gate.
    Passed,
    /// The figure misses its gate.
    Failed,
    /// The figure could not be computed.
    Skipped,
}

impl From<crate::evaluate::Status> for Status {
    fn from(s: crate::evaluate::Status) -> Status {
        match s {
            crate::evaluate::Status::Passed => Status::Passed,
            crate::evaluate::Status::Failed => Status::Failed,
            crate::evaluate::Status::Skipped => Status::Skipped,
        }
    }
}

impl Page {
    /// A page with this title (also the `<h1>`).
    pub fn new(title: &str) -> Page {
        Page {
            title: title.to_string(),
            ..Page::default()
        }
    }

    /// Starts a section with an `<h2>`, closing the previous one; it is listed in the contents.
    pub fn section(&mut self, id: &str, heading: &str) {
        self.close();
        let _ = write!(
            self.body,
            "<section id=\"{}\"><h2>{}</h2>",
            esc(id),
            esc(heading)
        );
        self.toc.push((id.to_string(), heading.to_string()));
        self.open = true;
    }

    fn close(&mut self) {
        if self.open {
            self.body.push_str("</section>");
            self.open = false;
        }
    }

    /// A sub-heading.
    pub fn h3(&mut self, text: &str) {
        let _ = write!(self.body, "<h3>{}</h3>", esc(text));
    }

    /// A paragraph of plain text.
    pub fn p(&mut self, text: &str) {
        let _ = write!(self.body, "<p>{}</p>", esc(text));
    }

    /// A paragraph with a class (e.g. `lead`, `muted`).
    pub fn p_class(&mut self, class: &str, text: &str) {
        let _ = write!(self.body, "<p class=\"{}\">{}</p>", esc(class), esc(text));
    }

    /// A verdict box; `good` chooses its colour.
    pub fn verdict(&mut self, good: bool, text: &str) {
        let _ = write!(
            self.body,
            "<p class=\"verdict{}\">{}</p>",
            if good { "" } else { " bad" },
            esc(text)
        );
    }

    /// A bulleted list of plain-text items (nothing when empty).
    pub fn list<S: AsRef<str>>(&mut self, items: &[S]) {
        if items.is_empty() {
            return;
        }
        self.body.push_str("<ul>");
        for i in items {
            let _ = write!(self.body, "<li>{}</li>", esc(i.as_ref()));
        }
        self.body.push_str("</ul>");
    }

    /// A table with a caption (may be empty), header and rows.
    pub fn table(&mut self, caption: &str, header: &[&str], rows: &[Vec<Cell>]) {
        self.body.push_str("<table>");
        if !caption.is_empty() {
            let _ = write!(self.body, "<caption>{}</caption>", esc(caption));
        }
        self.body.push_str("<thead><tr>");
        for h in header {
            let _ = write!(self.body, "<th scope=\"col\">{}</th>", esc(h));
        }
        self.body.push_str("</tr></thead><tbody>");
        for r in rows {
            self.body.push_str("<tr>");
            for c in r {
                let _ = match c {
                    Cell::Text(t) => write!(self.body, "<td>{}</td>", esc(t)),
                    Cell::Num(x, d) => write!(self.body, "<td class=\"n\">{}</td>", num(*x, *d)),
                    Cell::Count(n) => write!(self.body, "<td class=\"n\">{n}</td>"),
                    Cell::Status(s) => write!(self.body, "<td>{}</td>", badge(*s)),
                    Cell::Html(h) => write!(self.body, "<td>{h}</td>"),
                };
            }
            self.body.push_str("</tr>");
        }
        self.body.push_str("</tbody></table>");
    }

    /// Key–value rows (a two-column table without header).
    pub fn facts(&mut self, rows: &[(&str, String)]) {
        self.body.push_str("<table class=\"facts\"><tbody>");
        for (k, v) in rows {
            let _ = write!(
                self.body,
                "<tr><th scope=\"row\">{}</th><td>{}</td></tr>",
                esc(k),
                esc(v)
            );
        }
        self.body.push_str("</tbody></table>");
    }

    /// Trusted markup: an SVG chart from [`svg`], or other markup built with [`esc`].
    pub fn raw(&mut self, html: &str) {
        self.body.push_str(html);
    }

    /// The provenance block: tool version, command line, schema and input hashes.
    pub fn provenance(&mut self, ctx: &Context) {
        self.h3("Provenance");
        let mut rows: Vec<(&str, String)> = vec![
            ("tool", format!("fairsynth {}", ctx.tool_version)),
            ("command", ctx.command_line.join(" ")),
            (
                "schema",
                format!(
                    "{} ({}), sha256 {}",
                    ctx.schema_name, ctx.schema_file, ctx.schema_sha256
                ),
            ),
        ];
        for i in &ctx.inputs {
            rows.push((i.role.as_str(), format!("{}, sha256 {}", i.path, i.sha256)));
        }
        if let Some(o) = &ctx.output {
            rows.push(("output", o.clone()));
        }
        self.facts(&rows);
    }

    /// The finished document.
    pub fn finish(mut self) -> String {
        self.close();
        let mut out = String::with_capacity(self.body.len() + 4096);
        let _ = write!(
            out,
            "<!DOCTYPE html>\n<html xmlns=\"http://www.w3.org/1999/xhtml\" lang=\"en\"><head><meta charset=\"utf-8\"/>\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\
             <meta name=\"generator\" content=\"fairsynth {v}\"/><title>{t}</title><style>{CSS}</style></head>\
             <body><header><h1>{t}</h1></header><nav aria-label=\"Contents\"><ol>",
            v = env!("CARGO_PKG_VERSION"),
            t = esc(&self.title),
        );
        for (id, h) in &self.toc {
            let _ = write!(out, "<li><a href=\"#{}\">{}</a></li>", esc(id), esc(h));
        }
        out.push_str("</ol></nav><main>");
        out.push_str(&self.body);
        out.push_str("</main></body></html>\n");
        out
    }
}

/// A status badge.
pub fn badge(s: Status) -> String {
    match s {
        Status::Passed => "<span class=\"status pass\">pass</span>".into(),
        Status::Failed => "<span class=\"status fail\">FAIL</span>".into(),
        Status::Skipped => "<span class=\"status skip\">skip</span>".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_and_numbers() {
        assert_eq!(esc("a<b>&\"'"), "a&lt;b&gt;&amp;&quot;&#39;");
        assert_eq!(esc("x\u{1}y"), "x\u{FFFD}y");
        assert_eq!(num(-0.00001, 4), "0.0000");
        assert_eq!(num(-0.5, 2), "-0.50");
        assert_eq!(num(f64::NAN, 2), "n/a");
    }

    #[test]
    fn a_page_is_closed_and_lists_its_sections() {
        let mut p = Page::new("T & U");
        p.section("a", "First");
        p.p("x < y");
        p.section("b", "Second");
        let html = p.finish();
        assert!(html.contains("<title>T &amp; U</title>"));
        assert_eq!(html.matches("<section").count(), 2);
        assert_eq!(html.matches("</section>").count(), 2);
        assert!(html.contains("href=\"#b\""));
    }
}
