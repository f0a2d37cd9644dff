//! The page of `audit DIR`: the audit of linked tables, built from the single-table page's
//! pieces (representation, parity, proxies, data quality) plus the keys' findings.

use super::audit::{parity, proxies, quality, representation};
use super::*;
use crate::audit::linked::LinkedAuditReport;

/// The page for `audit DIR --schema LINKED.yaml`.
pub fn linked_audit_page(r: &LinkedAuditReport, ctx: &Context) -> String {
    let mut page = Page::new("fairsynth audit: is this database fit to learn from");
    page.section("summary", "What was examined and the verdict");
    page.p_class(
        "lead",
        &format!(
            "This audit examined {} linked tables of the database `{}` ({}). At the person: \
             whether every protected group is represented as intended; for a label in any table, \
             whether the favourable outcome is spread evenly over the groups of the people it \
             belongs to; which columns, including the counts, means and most common values of \
             each person's child rows, give a protected attribute away. Across tables: keys that \
             are missing, name no row of their parent (dangling) or repeat, and parents without \
             children. Each table also gets the single-table audit: identifiers, nulls, values \
             outside the schema and the age of dates.",
            r.tables.len(),
            r.schema.0,
            r.tables
                .iter()
                .map(|t| format!("{} {} rows", t.table, t.audit.input.rows))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    );
    verdict(
        &mut page,
        &r.checks,
        "the database meets the schema's gates",
    );
    checks_table(&mut page, &r.checks);
    page.facts(&[
        (
            "schema",
            format!("{} ({}, sha256 {})", r.schema.0, r.schema.1, r.schema.2),
        ),
        ("as-of date (for staleness)", r.as_of.clone()),
    ]);
    page.list(&r.notes);
    page.provenance(ctx);

    page.section("keys", "Keys: orphans, dangling and duplicate keys");
    page.p(&format!(
        "Per foreign key: child rows whose key is null, rows whose key names no row of the parent table (dangling: the row belongs to no one, and any join drops it), and parent rows no child names. Keys identify people, so rows are named by their number in the file (1 = the first data row, at most {} shown), never by their key.",
        crate::audit::linked::EXAMPLE_ROWS
    ));
    let rows: Vec<Vec<Cell>> = r
        .foreign_keys
        .iter()
        .map(|k| {
            vec![
                Cell::Text(format!("{}.{} → {}", k.child, k.column, k.parent)),
                Cell::Text(if k.driving { "yes" } else { "no" }.into()),
                Cell::Count(k.rows as u64),
                Cell::Count(k.null_keys as u64),
                Cell::Count(k.dangling as u64),
                Cell::Num(k.dangling_share, 4),
                Cell::Text(
                    k.dangling_rows
                        .iter()
                        .map(usize::to_string)
                        .collect::<Vec<_>>()
                        .join(", "),
                ),
                Cell::Text(format!(
                    "{} of {} ({})",
                    k.parents_without_children,
                    k.parents,
                    pct(k.parents_without_children_share)
                )),
            ]
        })
        .collect();
    page.table(
        "Foreign keys",
        &[
            "key",
            "driving",
            "child rows",
            "null keys",
            "dangling",
            "dangling share",
            "dangling rows",
            "parents without children",
        ],
        &rows,
    );
    let rows: Vec<Vec<Cell>> = r
        .primary_keys
        .iter()
        .map(|k| {
            vec![
                Cell::Text(format!("{}.{}", k.table, k.column)),
                Cell::Count(k.rows as u64),
                Cell::Count(k.null_keys as u64),
                Cell::Count(k.duplicate_keys as u64),
                Cell::Text(
                    k.duplicate_rows
                        .iter()
                        .map(usize::to_string)
                        .collect::<Vec<_>>()
                        .join(", "),
                ),
            ]
        })
        .collect();
    page.table(
        "Primary keys",
        &["key", "rows", "null keys", "duplicates", "duplicate rows"],
        &rows,
    );

    if !r.parity.is_empty() {
        page.section("parity", "Outcome parity across tables");
        page.p("Each row of a label's table carries the protected groups of the rows it hangs from through the driving keys (a loan, the sex of its account's client); the rates are over the label's rows.");
        for (i, p) in r.parity.iter().enumerate() {
            page.h3(&format!(
                "{}.{} through {}",
                p.table,
                p.parity.label,
                p.through.join(", ")
            ));
            parity(&mut page, &p.parity, &format!("x{i}-"));
        }
    }
    if !r.proxies.is_empty() {
        page.section("proxies", "Proxies in child aggregates");
        page.p("Each protected column of a table against every column of its profile: its own columns, and per descendant table the number of rows (`#table`), the mean of each number and the most common level of each category (`table.column`) of the rows that hang from it. A strong aggregate gives the attribute away even when the child tables hold no protected column.");
        for (i, p) in r.proxies.iter().enumerate() {
            page.h3(&format!(
                "Profile of {} (with {})",
                p.table,
                p.descendants.join(", ")
            ));
            proxies(&mut page, &p.proxies, &format!("p{i}-"));
        }
    }
    for (i, t) in r.tables.iter().enumerate() {
        let a = &t.audit;
        page.section(
            &format!("table-{}", slug(&t.table)),
            &format!("Table {}", t.table),
        );
        page.facts(&[
            (
                "file",
                format!("{} (sha256 {})", a.input.path, a.input.sha256),
            ),
            (
                "rows and columns",
                format!("{} × {}", a.input.rows, a.input.columns),
            ),
        ]);
        if !a.representation.is_empty() {
            page.h3("Representation");
            representation(
                &mut page,
                &a.representation,
                &a.small_groups,
                &format!("t{i}-"),
            );
        }
        if let Some(p) = a.parity.as_ref().filter(|p| !p.attributes.is_empty()) {
            page.h3("Outcome parity");
            parity(&mut page, p, &format!("t{i}-"));
        }
        if !a.proxies.pairs.is_empty() {
            page.h3("Proxies among its own columns");
            proxies(&mut page, &a.proxies, &format!("t{i}-"));
        }
        page.list(&a.identifiers.undeclared);
        page.h3("Data quality");
        quality(&mut page, &a.quality, a.input.rows, &format!("t{i}-"));
    }
    page.finish()
}
