//! The `evaluate` page.

use super::*;

/// The page for `evaluate`.
pub fn evaluate_page(r: &crate::evaluate::Report, ctx: &Context) -> String {
    let mut page = Page::new("fairsynth evaluate: how good is the synthetic table");
    page.section("summary", "What was measured and the verdict");
    page.p_class(
        "lead",
        &format!(
            "The synthetic table ({} rows) was compared with the real table ({} rows) it imitates, \
             over {} columns: how closely each column and each pair of columns follows the real \
             ones (fidelity), whether a model trained on it predicts real rows as well (utility), \
             whether it copies or sits too close to real people (privacy), and how the favourable \
             label is spread over protected groups (fairness).",
            r.synthetic.rows,
            r.real.rows,
            r.columns.len()
        ),
    );
    verdict(
        &mut page,
        &r.checks,
        "the synthetic table meets the schema's quality gates",
    );
    checks_table(&mut page, &r.checks);
    let mut facts: Vec<(&str, String)> = vec![
        (
            "real table",
            format!("{} ({} rows)", r.real.path, r.real.rows),
        ),
        (
            "synthetic table",
            format!("{} ({} rows)", r.synthetic.path, r.synthetic.rows),
        ),
        ("seed (splits and samples)", r.seed.to_string()),
    ];
    if let Some(h) = &r.holdout {
        facts.push(("holdout", format!("{} ({} rows)", h.path, h.rows)));
    }
    page.facts(&facts);
    if !r.skipped.is_empty() {
        page.h3("Columns not evaluated");
        let rows: Vec<Vec<Cell>> = r
            .skipped
            .iter()
            .map(|s| vec![Cell::Text(s.column.clone()), Cell::Text(s.reason.clone())])
            .collect();
        page.table("", &["column", "why"], &rows);
    }
    page.list(&r.notes);
    page.provenance(ctx);

    let f = &r.fidelity;
    page.section("fidelity", "Fidelity: columns and pairs");
    page.p(&format!(
        "Overall fidelity {} (mean column score {}, mean pair score {}); 1 means indistinguishable. \
         A categorical column scores 1 − total variation distance of its level shares, a numeric \
         one 1 − the Kolmogorov–Smirnov statistic. Worst columns first.",
        num(f.overall, 3),
        num(f.column_mean, 3),
        f.pair_mean.map_or("n/a".into(), |p| num(p, 3))
    ));
    let mut cols: Vec<&crate::evaluate::fidelity::ColumnScore> = f.columns.iter().collect();
    cols.sort_by(|a, b| a.score.total_cmp(&b.score).then(a.column.cmp(&b.column)));
    page.raw(&svg::bars(
        "column-scores",
        "Fidelity score per column, worst first",
        "One bar per evaluated column: its fidelity score from 0 to 1.",
        &cols.iter().map(|c| c.column.clone()).collect::<Vec<_>>(),
        &[Series::new(
            "score",
            cols.iter().map(|c| Some(c.score)).collect(),
        )],
        &Axis::new(1.0, 3),
        None,
    ));
    if !f.pairs.is_empty() {
        let names: Vec<String> = r
            .columns
            .iter()
            .filter(|c| f.columns.iter().any(|x| &x.column == *c))
            .cloned()
            .collect();
        let cells: Vec<(usize, usize, f64)> = f
            .pairs
            .iter()
            .filter_map(|p| {
                let i = names.iter().position(|n| *n == p.columns[0])?;
                let j = names.iter().position(|n| *n == p.columns[1])?;
                Some((i.max(j), i.min(j), p.score))
            })
            .collect();
        page.h3("Pair similarity");
        page.p("Each cell compares how two columns vary together in the real and the synthetic table: correlation similarity for two numeric columns, contingency similarity otherwise. Darker cells are worse.");
        page.raw(&svg::heatmap(
            "pair-heatmap",
            "Pair similarity heatmap",
            "Lower triangle: one cell per pair of evaluated columns with its similarity score from 0 to 1.",
            &names,
            &cells,
        ));
        let mut pairs: Vec<&crate::evaluate::fidelity::PairScore> = f.pairs.iter().collect();
        pairs.sort_by(|a, b| a.score.total_cmp(&b.score).then(a.columns.cmp(&b.columns)));
        let rows: Vec<Vec<Cell>> = pairs
            .iter()
            .take(10)
            .map(|p| {
                vec![
                    Cell::Text(format!("{} × {}", p.columns[0], p.columns[1])),
                    Cell::Text(p.metric.to_string()),
                    Cell::Num(p.score, 4),
                ]
            })
            .collect();
        page.table("The 10 worst pairs", &["pair", "measure", "score"], &rows);
    }
    if let Some(t) = &r.targets {
        targets_section(&mut page, r, t);
    }
    if !r.marginals.is_empty() {
        page.section("marginals", "Real and synthetic shares per column");
        page.p("For every column, worst first: the share of each level (numbers: 10 equal-width bins of the real range) in the real and the synthetic table.");
        let order: Vec<&crate::evaluate::fidelity::Marginal> = cols
            .iter()
            .filter_map(|c| r.marginals.iter().find(|m| m.column == c.column))
            .collect();
        for (i, m) in order.iter().enumerate() {
            page.h3(&m.column);
            let max = top(m.real.iter().chain(&m.synthetic).copied());
            page.raw(&svg::bars(
                &format!("marginal-{i}-{}", slug(&m.column)),
                &format!("Shares of {}: real and synthetic", m.column),
                "One pair of bars per level or bin: its share in the real table and in the synthetic table.",
                &m.labels,
                &[
                    Series::new("real", m.real.iter().map(|x| Some(*x)).collect()),
                    Series::new("synthetic", m.synthetic.iter().map(|x| Some(*x)).collect()),
                ],
                &Axis::new(max, 1).percent(),
                None,
            ));
        }
    }

    page.section("utility", "Utility");
    match &r.utility {
        Some(u) => {
            page.p(&format!(
                "A logistic regression predicting `{}` was trained on real rows (TRTR) and on synthetic rows (TSTR), and both were scored on the same {} real test rows ({}). A ratio near 1 means the synthetic table teaches what the real one does.",
                u.label, u.test_rows, u.test_set
            ));
            page.raw(&svg::bars(
                "utility",
                "Accuracy on real test rows",
                "Bars: accuracy of the model trained on real rows, on synthetic rows, and of always predicting the most common class.",
                &["trained on real (TRTR)".into(), "trained on synthetic (TSTR)".into(), "majority class".into()],
                &[Series::new("accuracy", vec![Some(u.trtr_accuracy), Some(u.tstr_accuracy), Some(u.majority_baseline)])],
                &Axis::new(1.0, 3),
                None,
            ));
            page.facts(&[("TSTR / TRTR", num(u.ratio, 3))]);
        }
        None => page.p("Not measured (see the notes above)."),
    }

    let p = &r.privacy;
    page.section("privacy", "Privacy");
    page.p(&format!(
        "{} of the synthetic rows ({} rows) equal some real row over every evaluated column. \
         The distance to the closest record (DCR, Gower distance from 0 to 1) of {} sampled synthetic rows: minimum {}, 5th percentile {}, median {}.",
        pct(p.exact_copies),
        p.exact_copy_rows,
        p.dcr_synthetic.rows,
        num(p.dcr_synthetic.min, 4),
        num(p.dcr_synthetic.p5, 4),
        num(p.dcr_synthetic.median, 4)
    ));
    page.p(&format!(
        "{} of the synthetic rows ({} rows) equal a real row that no other real row equals: a profile only one person in the real table has. Copies of common profiles say nothing about any one person; these are the ones to watch.",
        pct(p.unique_copies),
        p.unique_copy_rows
    ));
    if let Some(h) = &p.dcr_holdout {
        page.p(&format!(
            "Real holdout rows the synthesiser never saw have a median DCR of {}; the ratio synthetic / holdout is {} (about 1 when the synthesiser generalises, well below 1 when it memorised real rows). {} of the holdout rows equal a real row, and {} a unique one: what a fresh sample of the same population copies.",
            num(h.median, 4),
            p.dcr_ratio.map_or("n/a".into(), |x| num(x, 3)),
            p.holdout_exact_copies.map_or("n/a".into(), pct),
            p.holdout_unique_copies.map_or("n/a".into(), pct)
        ));
    }
    if let Some(m) = &p.membership {
        page.p(&format!(
            "Membership test: for {} real rows and {} holdout rows, the distance to the closest of {} synthetic rows. The chance that a real row lies closer than a holdout row (ties half) is {}: 0.5 when the synthetic table says nothing about who was in the real one, 1 when it gives every real row away. A synthetic row equals {} of all real rows and {} of all holdout rows (a difference of {} ± {} points, one standard error); of the rows whose combination no other real or holdout row holds ({} real, {} holdout), the ones that single someone out, it equals {} and {} ({} ± {} points). A synthesiser that learnt the population and not its training rows copies both groups alike.",
            m.members,
            m.non_members,
            m.synthetic_rows,
            num(m.auc, 3),
            pct(m.member_matches),
            pct(m.non_member_matches),
            num(100.0 * (m.member_matches - m.non_member_matches), 2),
            num(100.0 * m.matches_se, 2),
            m.singletons.members,
            m.singletons.non_members,
            pct(m.singletons.member_matches),
            pct(m.singletons.non_member_matches),
            num(100.0 * (m.singletons.member_matches - m.singletons.non_member_matches), 2),
            num(100.0 * m.singletons.matches_se, 2)
        ));
    }
    let bins: Vec<String> = (0..crate::evaluate::privacy::DCR_BINS)
        .map(|i| {
            let w = 1.0 / crate::evaluate::privacy::DCR_BINS as f64;
            format!("{}–{}", num(w * i as f64, 2), num(w * (i + 1) as f64, 2))
        })
        .collect();
    let share = |d: &crate::evaluate::privacy::Dcr| -> Vec<Option<f64>> {
        d.histogram
            .iter()
            .map(|n| Some(*n as f64 / d.rows.max(1) as f64))
            .collect()
    };
    let mut series = vec![Series::new("synthetic", share(&p.dcr_synthetic))];
    if let Some(h) = &p.dcr_holdout {
        series.push(Series::new("holdout", share(h)));
    }
    page.raw(&svg::histogram(
        "dcr-histogram",
        "Distance to the closest real record",
        "Share of the measured rows whose Gower distance to the closest real row falls in each interval; synthetic rows and, with a holdout, real rows the synthesiser never saw.",
        &bins,
        &series,
        2,
    ));
    if !p.dcr_left_out.is_empty() {
        page.p(&format!(
            "Left out of the distances (a single value in the real table): {}.",
            p.dcr_left_out.join(", ")
        ));
    }
    if let Some(k) = &p.k_anonymity {
        page.facts(&[
            ("quasi-identifiers", k.columns.join(", ")),
            ("equivalence classes", k.classes.to_string()),
            ("smallest class (k)", k.k.to_string()),
            (
                "rows in classes below the required k",
                k.share_below_k.map_or("n/a".into(), pct),
            ),
        ]);
    }

    if let Some(fr) = &r.fairness {
        page.section("fairness", "Favourable-label rate per group");
        page.p(&format!(
            "The share of rows with `{} = {}` per protected group in the real and the synthetic table. SPD is the lowest group rate minus the highest; DI the lowest over the highest (below 0.8 fails the four-fifths rule: the grey band runs from four-fifths of the highest synthetic rate to that rate).",
            fr.label, fr.favourable
        ));
        let rows: Vec<Vec<Cell>> = fr
            .attributes
            .iter()
            .map(|a| {
                vec![
                    Cell::Text(a.attribute.clone()),
                    Cell::Num(a.real.spd, 4),
                    Cell::Num(a.synthetic.spd, 4),
                    a.real
                        .di
                        .map_or(Cell::Text("n/a".into()), |d| Cell::Num(d, 4)),
                    a.synthetic
                        .di
                        .map_or(Cell::Text("n/a".into()), |d| Cell::Num(d, 4)),
                ]
            })
            .collect();
        page.table(
            "",
            &[
                "attribute",
                "SPD real",
                "SPD synthetic",
                "DI real",
                "DI synthetic",
            ],
            &rows,
        );
        for (i, a) in fr.attributes.iter().enumerate() {
            page.h3(&a.attribute);
            let mut cats: Vec<String> = a.real.groups.iter().map(|g| g.group.clone()).collect();
            for g in &a.synthetic.groups {
                if !cats.contains(&g.group) {
                    cats.push(g.group.clone());
                }
            }
            let of = |p: &crate::evaluate::fairness::Parity| -> Vec<Option<f64>> {
                cats.iter()
                    .map(|c| p.groups.iter().find(|g| &g.group == c).map(|g| g.rate))
                    .collect()
            };
            let highest = a
                .synthetic
                .groups
                .iter()
                .map(|g| g.rate)
                .fold(0.0, f64::max);
            let max = top(a
                .real
                .groups
                .iter()
                .chain(&a.synthetic.groups)
                .map(|g| g.rate));
            page.raw(&svg::bars(
                &format!("rate-{i}-{}", slug(&a.attribute)),
                &format!("Rate of {} = {} per {} group, real and synthetic", fr.label, fr.favourable, a.attribute),
                "One pair of bars per group: the favourable-label rate in the real and in the synthetic table.",
                &cats,
                &[Series::new("real", of(&a.real)), Series::new("synthetic", of(&a.synthetic))],
                &Axis::new(max, 1).percent(),
                Some(&four_fifths(highest)),
            ));
        }
    }
    page.finish()
}

/// Fidelity against the real table reweighted to the targets the sample was drawn to, beside
/// the plain figures, and the target columns' shares.
fn targets_section(
    page: &mut Page,
    r: &crate::evaluate::Report,
    t: &crate::evaluate::TargetsReport,
) {
    let (f, plain) = (&t.fidelity, &r.fidelity);
    page.section("targets", "Fidelity against the targets");
    page.p(&format!(
        "The synthetic table was drawn to target shares ({}). A requested shift would show up as \
         poor fidelity to the real table as it is, so the real table was also reweighted to the \
         same targets (raking, {} sweeps{}) and the synthetic table scored against it with the \
         same measures on weighted real rows. The fidelity gates judge these figures.",
        t.source,
        t.iterations,
        if t.converged { "" } else { ", not converged" }
    ));
    let mean = |x: Option<f64>| x.map_or("n/a".into(), |p| num(p, 3));
    page.facts(&[
        (
            "overall fidelity: real / reweighted real",
            format!("{} / {}", num(plain.overall, 3), num(f.overall, 3)),
        ),
        (
            "mean column score: real / reweighted real",
            format!("{} / {}", num(plain.column_mean, 3), num(f.column_mean, 3)),
        ),
        (
            "mean pair score: real / reweighted real",
            format!("{} / {}", mean(plain.pair_mean), mean(f.pair_mean)),
        ),
        (
            "effective real rows under the weights",
            format!("{} of {}", num(t.effective_rows, 0), r.real.rows),
        ),
        (
            "row weights (mean 1)",
            format!(
                "{} to {}; {} rows at 0",
                num(t.weight_range[0], 3),
                num(t.weight_range[1], 3),
                t.rows_dropped
            ),
        ),
    ]);
    let mut cols: Vec<&crate::evaluate::fidelity::ColumnScore> = f.columns.iter().collect();
    cols.sort_by(|a, b| a.score.total_cmp(&b.score).then(a.column.cmp(&b.column)));
    let rows: Vec<Vec<Cell>> = cols
        .iter()
        .map(|c| {
            let before = plain.columns.iter().find(|p| p.column == c.column);
            vec![
                Cell::Text(c.column.clone()),
                Cell::Text(c.metric.to_string()),
                before.map_or(Cell::Text("n/a".into()), |p| Cell::Num(p.score, 4)),
                Cell::Num(c.score, 4),
            ]
        })
        .collect();
    page.table(
        "Column scores, worst against the reweighted real table first",
        &[
            "column",
            "measure",
            "against real",
            "against reweighted real",
        ],
        &rows,
    );
    let mut pairs: Vec<&crate::evaluate::fidelity::PairScore> = f.pairs.iter().collect();
    pairs.sort_by(|a, b| a.score.total_cmp(&b.score).then(a.columns.cmp(&b.columns)));
    let rows: Vec<Vec<Cell>> = pairs
        .iter()
        .take(10)
        .map(|p| {
            let before = plain.pairs.iter().find(|x| x.columns == p.columns);
            vec![
                Cell::Text(format!("{} × {}", p.columns[0], p.columns[1])),
                Cell::Text(p.metric.to_string()),
                before.map_or(Cell::Text("n/a".into()), |x| Cell::Num(x.score, 4)),
                Cell::Num(p.score, 4),
            ]
        })
        .collect();
    if !rows.is_empty() {
        page.table(
            "The 10 worst pairs against the reweighted real table",
            &["pair", "measure", "against real", "against reweighted real"],
            &rows,
        );
    }
    for (i, c) in t.shares.iter().enumerate() {
        page.h3(&format!("Target shares of {}", c.column));
        let labels: Vec<String> = c.levels.iter().map(|l| l.level.clone()).collect();
        let series = |pick: fn(&crate::evaluate::targets::LevelShares) -> f64| {
            c.levels.iter().map(|l| Some(pick(l))).collect::<Vec<_>>()
        };
        let max = top(c
            .levels
            .iter()
            .flat_map(|l| [l.target, l.real, l.reweighted, l.synthetic]));
        page.raw(&svg::bars(
            &format!("target-{i}-{}", slug(&c.column)),
            &format!("Shares of {}: target, real, reweighted real and synthetic", c.column),
            "Four bars per level: the target share, the share in the real table, in the real table reweighted to the targets, and in the synthetic table.",
            &labels,
            &[
                Series::new("target", series(|l| l.target)),
                Series::new("real", series(|l| l.real)),
                Series::new("reweighted real", series(|l| l.reweighted)),
                Series::new("synthetic", series(|l| l.synthetic)),
            ],
            &Axis::new(max, 1).percent(),
            None,
        ));
    }
}
