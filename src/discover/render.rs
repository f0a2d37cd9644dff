//! The relational draft (issue 23's `tables:` format, evidence as comments) and the summary of
//! a [`Discovery`].

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::Path;

use super::{Discovery, ForeignKey, Table};
use crate::deid::draft::{render_column, DRAFT_K, DRAFT_MAX_UNIQUE};
use crate::deid::inspect::judgement_lines;

fn quote(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into())
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The name of the row-number key added to a table without a key of its own.
fn row_key(t: &Table) -> String {
    let mut name = format!("{}_row", t.name);
    while t.inspection.columns.iter().any(|c| c.name == name) {
        name.push('_');
    }
    name
}

/// The drafted relational schema.
pub fn render(d: &Discovery) -> String {
    let mut y = String::new();
    let _ = writeln!(
        y,
        "# Drafted by `fairsynth inspect` from the folder {} ({} tables): review every proposal before use.",
        d.folder,
        d.tables.len()
    );
    let _ = writeln!(y, "# The tool proposes; a person decides. Keys, references, children counts and rules follow the evidence noted beside them;");
    let _ = writeln!(
        y,
        "# each table's columns are drafted as `inspect` drafts a single table."
    );
    for s in &d.skipped {
        let _ = writeln!(y, "# skipped {}: {}", s.file, s.reason);
    }
    for w in &d.warnings {
        let _ = writeln!(y, "# warning: {}", one_line(w));
    }
    let _ = writeln!(y, "version: 1");
    let name = Path::new(&d.folder)
        .file_name()
        .map_or("data".into(), |s| s.to_string_lossy().into_owned());
    let _ = writeln!(y, "name: {}", quote(&name));
    let _ = writeln!(y, "tables:");
    let mut has_consent = false;
    for t in &d.tables {
        let (consent, qi) = render_table(&mut y, d, t);
        has_consent |= consent;
        // Each table carries its own privacy policy.
        let _ = writeln!(y, "    privacy:");
        let _ = writeln!(y, "      identifiers: drop");
        let _ = writeln!(y, "      key_env: FAIRSYNTH_KEY");
        if qi {
            let _ = writeln!(y, "      k_anonymity: {DRAFT_K}");
            let _ = writeln!(y, "      max_unique_share: {DRAFT_MAX_UNIQUE}");
        }
    }
    if !has_consent {
        let _ = writeln!(
            y,
            "# no consent column was found; add one with `role: consent` if consent applies"
        );
    }
    y
}

/// Rows of a child table per row of its parent from which the draft proposes the parent as
/// reference data (a lookup many rows point at).
const LOOKUP_FAN_OUT: f64 = 10.0;

fn render_table(y: &mut String, d: &Discovery, t: &Table) -> (bool, bool) {
    let _ = writeln!(y, "  - name: {}", quote(&t.name));
    let _ = writeln!(y, "    # file: {} ({} rows)", t.file, t.rows);
    if let Some(r) = &t.inspection.read_as {
        let _ = writeln!(y, "    # read as: {r}");
    }
    if t.root {
        let _ = writeln!(
            y,
            "    rows: {}            # a root (no driving foreign key): the row count as read",
            t.rows
        );
        // Lookup data: columns besides its key, nothing about a person, and at least
        // LOOKUP_FAN_OUT rows of another table per row pointing at it. `fit` could copy it
        // whole; proposed as a comment only, since copying rows is for a person to decide.
        let fan_out = d
            .foreign_keys
            .iter()
            .filter(|k| k.parent == t.name)
            .filter_map(|k| d.tables.iter().find(|c| c.name == k.child))
            .map(|c| c.rows as f64 / t.rows.max(1) as f64)
            .fold(0.0, f64::max);
        let described = t
            .inspection
            .columns
            .iter()
            .any(|c| Some(&c.name) != t.primary_key.as_ref());
        if !t.inspection.person_level && described && fan_out >= LOOKUP_FAN_OUT {
            let _ = writeln!(
                y,
                "    # reference: true            # proposed? no column is about a person and other tables point here: if the table is public lookup data, uncomment this and `fit` copies it whole instead of modelling it"
            );
        }
    }
    let added = t.primary_key.is_none().then(|| row_key(t));
    match (&t.primary_key, &added) {
        (Some(k), _) => {
            let _ = writeln!(
                y,
                "    primary_key: {}            # evidence: {}",
                quote(k),
                one_line(&t.key_evidence)
            );
        }
        (None, Some(k)) => {
            let _ = writeln!(
                y,
                "    primary_key: {}            # added: {}; a row number stands in as the key",
                quote(k),
                one_line(&t.key_evidence)
            );
        }
        (None, None) => {}
    }
    if let Some(j) = &t.inspection.judgement {
        for line in judgement_lines(j) {
            let _ = writeln!(y, "    # {}", one_line(&line));
        }
    }
    for r in d.rules.iter().filter(|r| r.table == t.name) {
        let _ = writeln!(y, "    # rule: {}", r.text());
    }
    let _ = writeln!(y, "    columns:");
    if let Some(k) = &added {
        let _ = writeln!(y, "      - name: {}", quote(k));
        let _ = writeln!(y, "        type: int");
        let _ = writeln!(
            y,
            "        generator: {{kind: sequence, start: 1}}            # added by inspect: not in the data"
        );
    }
    let empty: HashMap<String, Vec<String>> = HashMap::new();
    let (mut has_consent, mut has_qi) = (false, false);
    for c in &t.inspection.columns {
        let fk = d
            .foreign_keys
            .iter()
            .find(|f| f.child == t.name && f.column == c.name);
        let key_type = if let Some(f) = fk {
            Some(f.key_type.clone())
        } else if t.primary_key.as_deref() == Some(c.name.as_str()) {
            Some(
                super::scan::KeyKind::of(super::scan::drafted_type(&c.inferred_type))
                    .map_or("int", |k| k.schema_type())
                    .to_string(),
            )
        } else {
            None
        };
        let (consent, qi) = match key_type {
            // A key's type is the key's (a foreign key's equals its parent's), never a category.
            Some(ty) => {
                let mut c = c.clone();
                c.inferred_type = ty;
                render_column(y, &c, &empty, "      ")
            }
            None => render_column(y, c, &t.levels, "      "),
        };
        has_consent |= consent;
        has_qi |= qi;
        if let Some(f) = fk {
            render_reference(y, f);
        }
        for r in d
            .rejected
            .iter()
            .filter(|r| r.child == t.name && r.column == c.name)
            .take(3)
        {
            let _ = writeln!(
                y,
                "        # not a foreign key to {}.{}: {}",
                r.parent,
                r.parent_key,
                one_line(&r.reason)
            );
        }
    }
    (has_consent, has_qi)
}

fn render_reference(y: &mut String, f: &ForeignKey) {
    let _ = writeln!(
        y,
        "        references: {}            # evidence: {}",
        quote(&f.parent),
        one_line(&f.evidence)
    );
    if f.nulls > 0 && f.rows > 0 {
        let _ = writeln!(
            y,
            "        null_share: {}",
            super::counts::round4(f.nulls as f64 / f.rows as f64)
        );
    }
    if !f.driving && f.unique && !f.self_reference() {
        let _ = writeln!(
            y,
            "        unique: true            # each {} has at most one `{}` row here",
            f.parent, f.child
        );
    }
    if let Some(r) = &f.driving_reason {
        if !f.driving {
            let _ = writeln!(y, "        # {}", one_line(r));
        }
    }
    let Some(s) = f.children.as_ref() else {
        return;
    };
    if !f.driving {
        let _ = writeln!(
            y,
            "        # children per {} (not driving): {}",
            f.parent,
            s.observed()
        );
        return;
    }
    let why = f.driving_reason.as_deref().map_or_else(
        || format!("the only foreign key of `{}`", f.child),
        one_line,
    );
    let _ = writeln!(y, "        children:            # driving key: {why}");
    let _ = writeln!(y, "          distribution: {}", s.fit.yaml());
    let _ = writeln!(y, "          min: {}", s.min);
    let _ = writeln!(y, "          max: {}", s.max);
    let _ = writeln!(
        y,
        "          # observed per {} ({} parents): {}",
        f.parent,
        s.parents,
        s.observed()
    );
    let _ = writeln!(y, "          # fit: {}", one_line(&s.fit_reason));
}

/// A short human summary, for stderr (no value of the data is printed).
pub fn summary(d: &Discovery) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "{}: {} tables", d.folder, d.tables.len());
    for k in &d.skipped {
        let _ = writeln!(s, "  skipped {}: {}", k.file, k.reason);
    }
    for t in &d.tables {
        let _ = writeln!(
            s,
            "  {:<16} {:>9} rows  key {:<20} {}",
            t.name,
            t.rows,
            t.primary_key
                .as_deref()
                .unwrap_or("(none: a row number is added)"),
            if t.root { "root" } else { "" }
        );
        for f in d.foreign_keys.iter().filter(|f| f.child == t.name) {
            let counts = f.children.as_ref().map_or(String::new(), |c| {
                format!("; children per parent: {}", c.observed())
            });
            let _ = writeln!(
                s,
                "      {} -> {}.{}{}{counts}",
                f.column,
                f.parent,
                f.parent_key,
                if f.driving { " (driving)" } else { "" }
            );
        }
    }
    for r in &d.rules {
        let _ = writeln!(s, "  rule: {}", r.text());
    }
    let _ = writeln!(
        s,
        "  {} foreign key(s), {} rejected candidate(s) (see the draft or --report)",
        d.foreign_keys.len(),
        d.rejected.len()
    );
    for w in &d.warnings {
        let _ = writeln!(s, "  warning: {w}");
    }
    s
}
