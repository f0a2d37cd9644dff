//! The page of `evaluate` on linked tables: the verdict and gates, each table's fidelity,
//! each relationship's integrity and children per parent, the date rules, the detection test
//! on profiles and the privacy of whole profiles.

use super::*;
use crate::evaluate::linked::LinkedReport;

/// The page for `evaluate --real DIR --synthetic DIR`.
pub fn evaluate_linked_page(r: &LinkedReport, ctx: &Context) -> String {
    let mut page = Page::new("fairsynth evaluate: how good is the synthetic database");
    page.section("summary", "What was measured and the verdict");
    page.p_class(
        "lead",
        &format!(
            "The synthetic database ({} tables) was compared with the real one it imitates: each \
             table's columns and pairs of columns (fidelity), whether every key names a row of \
             its parent and how children spread over parents (cardinality), how the parents' \
             columns relate to their children's (trends), the date rules every real row obeys, \
             whether a classifier can tell each table's rows with their descendants from the \
             real ones (detection), and whether the synthetic people copy real people's whole \
             profiles (privacy).",
            r.tables.len()
        ),
    );
    verdict(
        &mut page,
        &r.checks,
        "the synthetic database meets the gates",
    );
    checks_table(&mut page, &r.checks);
    page.facts(&[
        (
            "column quality (mean fidelity of the tables)",
            num(r.column_quality, 3),
        ),
        (
            "cardinality (mean of 1 − KS of children per parent)",
            num(r.cardinality, 3),
        ),
        (
            "inter-table trends (mean pair score across a parent and its children)",
            r.intertable_trends.map_or("n/a".into(), |t| num(t, 3)),
        ),
        ("seed (samples and folds)", r.seed.to_string()),
        (
            "holdout of people",
            if r.holdout {
                "given"
            } else {
                "not given: no membership test"
            }
            .to_string(),
        ),
    ]);
    page.provenance(ctx);

    page.section("tables", "Tables: fidelity of their own columns");
    page.p(
        "Each table's columns other than keys, scored as a single table is: 1 − total variation \
         distance for categories, 1 − the Kolmogorov–Smirnov statistic for numbers, and the \
         pairs' association; 1 means indistinguishable.",
    );
    let rows: Vec<Vec<Cell>> = r
        .tables
        .iter()
        .map(|t| {
            vec![
                Cell::Text(t.table.clone()),
                Cell::Count(t.real_rows as u64),
                Cell::Count(t.synthetic_rows as u64),
                t.fidelity
                    .as_ref()
                    .map_or(Cell::Text("n/a".into()), |f| Cell::Num(f.overall, 3)),
            ]
        })
        .collect();
    page.table(
        "",
        &["table", "real rows", "synthetic rows", "fidelity"],
        &rows,
    );

    page.section(
        "relationships",
        "Relationships: integrity and children per parent",
    );
    page.p(
        "Per foreign key: the share of synthetic keys that name a synthetic parent row \
         (integrity), the KS statistic between the real and synthetic numbers of children per \
         parent (parents without children included; 0 is the same spread), and for the key \
         that makes a child's rows, the mean pair score between the parent's columns and the \
         child's (trends).",
    );
    let rows: Vec<Vec<Cell>> = r
        .relationships
        .iter()
        .map(|x| {
            vec![
                Cell::Text(format!("{}.{} → {}", x.child, x.column, x.parent)),
                Cell::Num(x.integrity, 4),
                Cell::Num(x.cardinality_ks, 3),
                Cell::Text(format!(
                    "{} / {} / {}",
                    num(x.real.mean, 2),
                    num(x.real.median, 0),
                    x.real.max
                )),
                Cell::Text(format!(
                    "{} / {} / {}",
                    num(x.synthetic.mean, 2),
                    num(x.synthetic.median, 0),
                    x.synthetic.max
                )),
                x.trends.map_or(Cell::Text("–".into()), |t| Cell::Num(t, 3)),
            ]
        })
        .collect();
    page.table(
        "",
        &[
            "key",
            "integrity",
            "KS",
            "real mean / median / max",
            "synthetic mean / median / max",
            "trends",
        ],
        &rows,
    );
    if !r.rules.is_empty() {
        page.h3("Date rules of the real rows");
        let rows: Vec<Vec<Cell>> = r
            .rules
            .iter()
            .map(|x| {
                vec![
                    Cell::Text(format!(
                        "{}.{} ≥ {}.{}",
                        x.child, x.column, x.parent, x.parent_column
                    )),
                    Cell::Num(x.synthetic_broken * 100.0, 2),
                ]
            })
            .collect();
        page.table(
            "No real row breaks these rules.",
            &["rule", "synthetic rows breaking it (%)"],
            &rows,
        );
    }
    if !r.formulas.is_empty() {
        page.h3("Formulas of the real rows");
        let rows: Vec<Vec<Cell>> = r
            .formulas
            .iter()
            .map(|x| {
                vec![
                    Cell::Text(format!("{}: {}", x.table, x.formula)),
                    Cell::Num(x.synthetic_broken * 100.0, 2),
                ]
            })
            .collect();
        page.table(
            "Every real row of the table obeys these formulas between its numeric columns.",
            &["formula", "synthetic rows breaking it (%)"],
            &rows,
        );
    }

    page.section("detection", "Detection: can a classifier tell them apart?");
    page.p(
        "For each table, its rows joined with their descendants' aggregates (how many children, \
         grandchildren, …, the mean of each numeric column and the most common level of each \
         categorical one): gradient-boosted trees on binned columns, trained on equal numbers \
         of real and synthetic rows and scored by their ROC AUC on rows they did not see (three \
         folds). They see each column's shape and how columns combine. 0.5 means they cannot \
         tell them apart; 1 means every synthetic row gives itself away. On a table of a few \
         hundred rows the figure is noisy.",
    );
    if !r.detection.is_empty() {
        let names: Vec<String> = r.detection.iter().map(|d| d.table.clone()).collect();
        page.raw(&svg::bars(
            "detection-auc",
            "Detection AUC per table",
            "One bar per table: the AUC of a classifier telling synthetic from real profiles.",
            &names,
            &[Series::new(
                "AUC",
                r.detection.iter().map(|d| Some(d.detection.auc)).collect(),
            )],
            &Axis::new(1.0, 3),
            None,
        ));
        let rows: Vec<Vec<Cell>> = r
            .detection
            .iter()
            .map(|d| {
                vec![
                    Cell::Text(d.table.clone()),
                    Cell::Num(d.detection.auc, 3),
                    Cell::Count(d.detection.rows as u64),
                    Cell::Count(d.columns as u64),
                    Cell::Text(if d.descendants.is_empty() {
                        "–".into()
                    } else {
                        d.descendants.join(", ")
                    }),
                ]
            })
            .collect();
        page.table(
            "",
            &[
                "table",
                "AUC",
                "rows a side",
                "columns",
                "descendants aggregated",
            ],
            &rows,
        );
    }

    page.section("privacy", "Privacy: whole profiles of people");
    page.p(
        "For each table, the synthetic profiles (a row with everything aggregated from its \
         descendants: a person with their accounts, an account with its loans) that equal a \
         real one, and those that equal a real profile no other real row has. A sample close to the population copies common \
         profiles, so copies are judged against a holdout of people the synthesiser never saw: \
         the membership test asks whether real people lie closer to the synthetic ones than \
         holdout people do (AUC 0.5: the sample says nothing about who was in the real data).",
    );
    let rows: Vec<Vec<Cell>> = r
        .privacy
        .iter()
        .map(|p| {
            let m = p.membership.as_ref();
            vec![
                Cell::Text(p.table.clone()),
                Cell::Num(p.exact_copies * 100.0, 2),
                Cell::Num(p.unique_copies * 100.0, 2),
                p.holdout_exact_copies
                    .map_or(Cell::Text("–".into()), |x| Cell::Num(x * 100.0, 2)),
                m.map_or(Cell::Text("–".into()), |m| Cell::Num(m.auc, 3)),
                m.map_or(Cell::Text("–".into()), |m| {
                    Cell::Text(format!(
                        "{:.2}% vs {:.2}%",
                        m.singletons.member_matches * 100.0,
                        m.singletons.non_member_matches * 100.0
                    ))
                }),
            ]
        })
        .collect();
    page.table(
        "",
        &[
            "table",
            "copies (%)",
            "copies of a unique profile (%)",
            "holdout copies (%)",
            "membership AUC",
            "singular profiles copied: real vs holdout",
        ],
        &rows,
    );
    page.finish()
}
