//! The `deidentify` page.

use super::*;

/// The page for `deidentify`.
pub fn deidentify_page(r: &crate::deid::run::Report, ctx: &Context) -> String {
    let mut page = Page::new("fairsynth deidentify: what was removed or changed");
    page.section("summary", "What was done and why");
    page.p_class(
        "lead",
        "De-identification keeps only what the schema declares (data minimisation), leaves out \
         rows without consent, removes or replaces direct identifiers (names, e-mails, IDs) as \
         each column's action says, and generalises quasi-identifiers (age, postcode, dates) \
         until every combination of them is shared by enough people that nobody stands out \
         (k-anonymity).",
    );
    let mut facts: Vec<(&str, String)> = vec![
        ("rows read", r.rows_in.to_string()),
        (
            "rows left out: no consent",
            match &r.consent_column {
                Some(c) => format!("{} (column `{c}` false or empty)", r.consent_excluded),
                None => "0 (no consent column)".into(),
            },
        ),
        (
            "rows suppressed for k-anonymity",
            r.suppressed_rows.to_string(),
        ),
        ("rows written", r.rows_out.to_string()),
        (
            "columns left out: not declared (data minimisation)",
            if r.undeclared_columns_dropped.is_empty() {
                "none".into()
            } else {
                r.undeclared_columns_dropped.join(", ")
            },
        ),
        (
            "pseudonymisation key",
            r.key_fingerprint.clone().map_or("none used".into(), |f| {
                format!("fingerprint {f} (the key itself is never written)")
            }),
        ),
    ];
    if let Some(a) = &r.anonymity {
        facts.push(("quasi-identifiers", a.quasi_identifiers.join(", ")));
    }
    page.facts(&facts);
    page.provenance(ctx);

    page.section("columns", "What happened to each column");
    page.p("drop: not written; pseudonymise: replaced by a keyed HMAC-SHA-256 code (the same value gives the same code, so joins still work, but the value cannot be read back without the key); fake: replaced by a synthetic value of the same kind; redact: identifiers inside free text replaced by placeholders such as [EMAIL]; generalise: coarsened to the level shown; keep: unchanged.");
    let rows: Vec<Vec<Cell>> = r
        .columns
        .iter()
        .map(|c| vec![Cell::Text(c.column.clone()), Cell::Text(c.action.clone())])
        .collect();
    page.table("", &["column", "action"], &rows);
    let mut counts: Vec<(String, u64)> = Vec::new();
    for c in &r.columns {
        let kind = c
            .action
            .split([' ', ':', '('])
            .next()
            .unwrap_or("")
            .to_string();
        match counts.iter_mut().find(|(k, _)| *k == kind) {
            Some(e) => e.1 += 1,
            None => counts.push((kind, 1)),
        }
    }
    page.raw(&svg::bars(
        "actions",
        "Columns per action",
        "One bar per action: how many declared columns it was applied to.",
        &counts.iter().map(|c| c.0.clone()).collect::<Vec<_>>(),
        &[Series::new(
            "columns",
            counts.iter().map(|c| Some(c.1 as f64)).collect(),
        )],
        &Axis::new(top(counts.iter().map(|c| c.1 as f64)), 0),
        None,
    ));

    page.section("detection", "Identifier detection (safety net)");
    page.p("Every column that would reach the output unchanged was scanned for e-mails, phone numbers, IBANs, card numbers, names and other identifiers. A finding above the schema's detection threshold that the schema does not acknowledge stops the run, so the findings below were acknowledged or under the threshold.");
    if r.findings.is_empty() {
        page.p("No identifier was found in the scanned columns.");
    } else {
        let rows: Vec<Vec<Cell>> = r
            .findings
            .iter()
            .map(|f| {
                vec![
                    Cell::Text(f.column.clone()),
                    Cell::Text(f.kind.clone()),
                    Cell::Num(f.share, 4),
                    Cell::Text(
                        if f.embedded {
                            "inside text"
                        } else {
                            "whole values"
                        }
                        .into(),
                    ),
                    Cell::Num(f.confidence, 2),
                    Cell::Text(if f.acknowledged { "yes" } else { "no" }.into()),
                ]
            })
            .collect();
        page.table(
            "",
            &[
                "column",
                "kind",
                "share of values",
                "where",
                "confidence",
                "acknowledged",
            ],
            &rows,
        );
    }

    if let Some(a) = &r.anonymity {
        page.section("anonymity", "Equivalence classes and singling out");
        page.p(&format!(
            "Rows that share every quasi-identifier value form an equivalence class. The smallest class has {} row{} (k = {}{}); {} classes in all. A person in a class of size s can be singled out with probability at most 1/s: the largest such risk is {}, the average over rows {}.",
            a.k_achieved,
            if a.k_achieved == 1 { "" } else { "s" },
            a.k_achieved,
            a.k_required.map_or(String::new(), |k| format!(", required {k}")),
            a.classes,
            num(a.prosecutor_risk_max, 4),
            num(a.prosecutor_risk_avg, 4)
        ));
        let mut facts: Vec<(&str, String)> = vec![
            (
                "generalisation level per quasi-identifier (0 = raw)",
                a.quasi_identifiers
                    .iter()
                    .zip(&a.levels)
                    .map(|(q, l)| format!("{q}: {l}"))
                    .collect::<Vec<_>>()
                    .join(", "),
            ),
            ("rows suppressed", a.suppressed_rows.to_string()),
        ];
        if let Some((col, l)) = &a.l_required {
            facts.push((
                "l-diversity",
                format!(
                    "required {l} distinct `{col}` values per class, achieved {}",
                    a.l_achieved.map_or("n/a".into(), |x| x.to_string())
                ),
            ));
        }
        page.facts(&facts);
        let total: u64 = a.class_sizes.iter().map(|b| b.rows).sum();
        page.raw(&svg::bars(
            "class-sizes",
            "Rows by the size of their equivalence class",
            "One bar per class-size range: the share of output rows in classes of that size; the number of classes is in each label.",
            &a.class_sizes
                .iter()
                .map(|b| format!("size {} ({} classes)", b.sizes, b.classes))
                .collect::<Vec<_>>(),
            &[Series::new(
                "rows",
                a.class_sizes
                    .iter()
                    .map(|b| Some(b.rows as f64 / total.max(1) as f64))
                    .collect(),
            )],
            &Axis::new(1.0, 1).percent(),
            None,
        ));
    }
    if let Some(so) = &r.singling_out {
        page.section("singling-out", "Singling out over everything released");
        page.p("k-anonymity covers the declared quasi-identifiers only; the other released columns can make rows unique again. These figures count the written rows unique over the quasi-identifiers (as generalised), over every released column, and over the quasi-identifiers plus each other column.");
        singling_out(&mut page, &so.figures, "rows written");
        if let Some(g) = &so.gate {
            page.p(&format!(
                "Gate privacy.max_unique_share: at most {} of the rows may be unique over {}; {} are.",
                pct(g.max),
                g.columns.join(", "),
                pct(g.share)
            ));
        }
        if let Some(w) = &so.warning {
            page.p(&format!("Warning: {w}."));
        }
        let rows: Vec<Vec<Cell>> = so
            .not_counted
            .iter()
            .map(|c| vec![Cell::Text(c.column.clone()), Cell::Text(c.action.clone())])
            .collect();
        if !rows.is_empty() {
            page.table("Released columns not counted", &["column", "why"], &rows);
        }
    }
    page.finish()
}
