//! The `audit` page.

use super::*;

/// The page for `audit`.
pub fn audit_page(r: &crate::audit::Report, ctx: &Context) -> String {
    let mut page = Page::new("fairsynth audit: is this training table fit to learn from");
    page.section("summary", "What was examined and the verdict");
    page.p_class(
        "lead",
        &format!(
            "This audit examined a real training table ({} rows, {} columns) for the things that \
             make a model unfair or a table unsafe to use: whether every protected group is \
             represented as intended, whether the favourable outcome is spread evenly over the \
             groups, which columns give a protected attribute away (proxies), whether identifiers \
             are present, and whether the data is complete, clean and current. With a baseline it \
             also shows what changed since the last audit.",
            r.input.rows, r.input.columns
        ),
    );
    verdict(&mut page, &r.checks, "the table meets the schema's gates");
    checks_table(&mut page, &r.checks);
    page.facts(&[
        (
            "table",
            format!("{} (sha256 {})", r.input.path, r.input.sha256),
        ),
        ("as-of date (for staleness)", r.quality.as_of.clone()),
    ]);
    page.list(&r.notes);
    page.provenance(ctx);

    page.section("representation", "Representation");
    representation(&mut page, &r.representation, &r.small_groups, "");
    if let Some(p) = &r.parity {
        page.section("parity", "Outcome parity");
        parity(&mut page, p, "");
    }
    page.section("proxies", "Proxies for protected attributes");
    proxies(&mut page, &r.proxies, "");
    page.section("identifiers", "Identifiers and singling out");
    identifiers(&mut page, r);
    page.section("quality", "Data quality");
    quality(&mut page, &r.quality, r.input.rows, "");
    if let Some(d) = &r.drift {
        page.section("drift", "Changes since the baseline");
        page.p(&format!(
            "Compared with the audit in {} (table sha256 {}): {} figures in both. Drift is the largest absolute change of any share, rate, proxy strength, null share, share outside the levels or bounds, or duplicate share: {}.",
            d.baseline,
            d.baseline_input_sha256,
            d.compared,
            num(d.max_change, 4)
        ));
        if !d.left_out_small_groups.is_empty() {
            page.p(&format!(
                "Left out: the favourable-label rates of {} group{} with fewer than {} labelled rows now or in the baseline (the groups parity does not compare either); their rates move by chance.",
                d.left_out_small_groups.len(),
                if d.left_out_small_groups.len() == 1 { "" } else { "s" },
                d.min_group_rows
            ));
        }
        let shown: Vec<&crate::audit::Change> = d.changes.iter().take(15).collect();
        if !shown.is_empty() {
            page.raw(&svg::bars(
                "drift",
                "Largest changes since the baseline",
                "One bar per figure, largest change first: before and now.",
                &shown.iter().map(|c| c.figure.clone()).collect::<Vec<_>>(),
                &[
                    Series::new("baseline", shown.iter().map(|c| Some(c.before)).collect()),
                    Series::new("now", shown.iter().map(|c| Some(c.after)).collect()),
                ],
                &Axis::new(top(shown.iter().flat_map(|c| [c.before, c.after])), 3),
                None,
            ));
        }
        let gone: Vec<String> = d
            .only_in_baseline
            .iter()
            .map(|f| format!("gone since the baseline: {f}"))
            .chain(
                d.only_now
                    .iter()
                    .map(|f| format!("new since the baseline: {f}")),
            )
            .take(30)
            .collect();
        page.list(&gone);
    }
    page.finish()
}

/// Each protected group's share with its interval and target; groups below `min_group_rows`.
/// `id` prefixes the charts' ids, to keep them unique on a page of several tables.
pub(super) fn representation(
    page: &mut Page,
    reps: &[crate::audit::Representation],
    small: &[crate::audit::SmallGroup],
    id: &str,
) {
    page.p("Each protected group's share of the rows (rows with no group left out), with its 95 % Wilson score interval (the line) and the target share where the targets name the column. A target outside the interval is a gap sampling noise does not explain.");
    for (i, a) in reps.iter().enumerate() {
        page.h3(&a.attribute);
        let cats: Vec<String> = a.groups.iter().map(|g| g.group.clone()).collect();
        let whiskers: Vec<Option<(f64, f64)>> = a.groups.iter().map(|g| Some(g.interval)).collect();
        let has_target = a.groups.iter().any(|g| g.target.is_some());
        let mut series = vec![Series::new(
            "data",
            a.groups.iter().map(|g| Some(g.share)).collect(),
        )];
        if has_target {
            series.push(Series::new(
                "target",
                a.groups.iter().map(|g| g.target).collect(),
            ));
        }
        let max = top(a
            .groups
            .iter()
            .flat_map(|g| [g.interval.1, g.target.unwrap_or(0.0)]));
        if a.groups.len() <= 80 {
            page.raw(&svg::dots(
                &format!("{id}share-{i}-{}", slug(&a.attribute)),
                &format!("Share of each {} group", a.attribute),
                "For every group a ring marks its share of the rows and the line its 95% Wilson interval; a square marks the target share where there is one. Numbers at the right: share, then target.",
                &cats,
                &series,
                Some(&whiskers),
                &Axis::new(max, 1).percent(),
                None,
            ));
        }
        let rows: Vec<Vec<Cell>> = a
            .groups
            .iter()
            .map(|g| {
                vec![
                    Cell::Text(g.group.clone()),
                    Cell::Count(g.rows),
                    Cell::Num(g.share, 4),
                    Cell::Text(format!("{}–{}", num(g.interval.0, 4), num(g.interval.1, 4))),
                    g.target.map_or(Cell::Text("".into()), |t| Cell::Num(t, 4)),
                    g.gap.map_or(Cell::Text("".into()), |t| Cell::Num(t, 4)),
                ]
            })
            .collect();
        page.table(
            &if a.rows_without_group > 0 {
                format!(
                    "{} rows have no group (null or outside the bins)",
                    a.rows_without_group
                )
            } else {
                String::new()
            },
            &["group", "rows", "share", "95% interval", "target", "gap"],
            &rows,
        );
    }
    if !small.is_empty() {
        page.h3("Groups too small to learn from");
        page.p(&format!(
            "{} group{} have fewer rows than quality.min_group_rows; a model sees too few of them to learn anything reliable about them.",
            small.len(),
            if small.len() == 1 { "" } else { "s" }
        ));
        let rows: Vec<Vec<Cell>> = small
            .iter()
            .take(50)
            .map(|g| {
                vec![
                    Cell::Text(g.attribute.clone()),
                    Cell::Text(g.group.clone()),
                    Cell::Count(g.rows),
                ]
            })
            .collect();
        page.table(
            &if small.len() > 50 {
                format!("the first 50 of {}", small.len())
            } else {
                String::new()
            },
            &["attribute", "group", "rows"],
            &rows,
        );
    }
}

/// The favourable rate per group, SPD and DI, one chart per attribute, lowest DI first.
pub(super) fn parity(page: &mut Page, p: &crate::audit::Parity, id: &str) {
    page.p(&format!(
        "The share of rows with `{} = {}` in each protected group (overall {}), with its 95 % Wilson interval in the table. SPD is the lowest group rate minus the highest (0 is parity); DI the lowest over the highest (below 0.8 fails the four-fifths rule; the grey band runs from four-fifths of the highest rate to it).{}",
        p.label,
        p.favourable,
        pct(p.overall_rate),
        if p.min_group_rows > 1 {
            format!(" Groups with fewer than {} rows are shown but not compared.", p.min_group_rows)
        } else {
            String::new()
        }
    ));
    let rows: Vec<Vec<Cell>> = p
        .attributes
        .iter()
        .map(|a| {
            vec![
                Cell::Text(a.attribute.clone()),
                a.spd.map_or(Cell::Text("n/a".into()), |x| Cell::Num(x, 4)),
                a.di.map_or(Cell::Text("n/a".into()), |x| Cell::Num(x, 4)),
                Cell::Text(a.lowest.clone().unwrap_or_default()),
                Cell::Text(a.highest.clone().unwrap_or_default()),
            ]
        })
        .collect();
    page.table(
        "",
        &[
            "attribute",
            "SPD",
            "DI",
            "lowest group",
            "highest group (reference)",
        ],
        &rows,
    );
    let mut attrs: Vec<&crate::audit::AttributeParity> = p.attributes.iter().collect();
    attrs.sort_by(|a, b| a.di.unwrap_or(1.0).total_cmp(&b.di.unwrap_or(1.0)));
    for (i, a) in attrs.iter().enumerate() {
        page.h3(&format!(
            "{}: DI {}",
            a.attribute,
            a.di.map_or("n/a".into(), |d| num(d, 3))
        ));
        let highest = a
            .groups
            .iter()
            .filter(|g| g.compared)
            .map(|g| g.rate)
            .fold(0.0, f64::max);
        let max = top(a.groups.iter().map(|g| g.rate));
        page.raw(&svg::bars(
            &format!("{id}rate-{i}-{}", slug(&a.attribute)),
            &format!(
                "Rate of {} = {} per {} group",
                p.label, p.favourable, a.attribute
            ),
            "One bar per group with rows: its favourable-label rate.",
            &a.groups.iter().map(|g| g.group.clone()).collect::<Vec<_>>(),
            &[Series::new(
                "rate",
                a.groups.iter().map(|g| Some(g.rate)).collect(),
            )],
            &Axis::new(max, 1).percent(),
            Some(&four_fifths(highest)),
        ));
    }
}

/// The proxy scan: the 20 strongest pairs, and the columns left out.
pub(super) fn proxies(page: &mut Page, px: &crate::audit::Proxies, id: &str) {
    page.p(&format!(
        "A column that predicts a protected attribute lets a model discriminate even when the attribute itself is left out. Measure: {}",
        px.measure
    ));
    let shown: Vec<&crate::audit::Proxy> = px.pairs.iter().take(20).collect();
    if !shown.is_empty() {
        page.raw(&svg::bars(
            &format!("{id}proxies"),
            "Strongest proxies: Cramér's V of a column with a protected column",
            "One bar per column and protected column, strongest first: Cramér's V from 0 (independent) to 1 (one determines the other).",
            &shown.iter().map(|p| format!("{} → {}", p.column, p.protected)).collect::<Vec<_>>(),
            &[Series::new("Cramér's V", shown.iter().map(|p| Some(p.cramers_v)).collect())],
            &Axis::new(top(shown.iter().map(|p| p.cramers_v)), 3),
            None,
        ));
        let rows: Vec<Vec<Cell>> = shown
            .iter()
            .map(|p| {
                vec![
                    Cell::Text(p.column.clone()),
                    Cell::Text(p.protected.clone()),
                    Cell::Num(p.cramers_v, 4),
                    Cell::Num(p.mutual_information_bits, 4),
                    Cell::Text(p.binning.clone()),
                ]
            })
            .collect();
        page.table(
            "",
            &[
                "column",
                "protected column",
                "Cramér's V",
                "mutual information (bits)",
                "binning",
            ],
            &rows,
        );
    }
    if !px.skipped.is_empty() {
        page.list(
            &px.skipped
                .iter()
                .map(|(c, why)| format!("`{c}` not scanned: {why}"))
                .collect::<Vec<_>>(),
        );
    }
}

/// Declared identifiers, the detectors' findings and singling out.
fn identifiers(page: &mut Page, r: &crate::audit::Report) {
    let id = &r.identifiers;
    page.p("Direct identifiers (names, e-mails, IDs) should not be in a training table. The de-identification detectors scanned every text column; a column that is not declared an identifier but holds identifiers fails the `identifiers` check.");
    if !id.declared.is_empty() {
        let rows: Vec<Vec<Cell>> = id
            .declared
            .iter()
            .map(|(c, u)| vec![Cell::Text(c.clone()), Cell::Num(*u, 4)])
            .collect();
        page.table(
            "Columns the schema declares identifiers",
            &["column", "distinct values / rows"],
            &rows,
        );
    }
    if id.findings.is_empty() {
        page.p("The detectors found no identifier in the text columns.");
    } else {
        let rows: Vec<Vec<Cell>> = id
            .findings
            .iter()
            .map(|f| {
                vec![
                    Cell::Text(f.column.clone()),
                    Cell::Text(f.kind.clone()),
                    Cell::Num(f.share, 4),
                    Cell::Num(f.confidence, 2),
                    Cell::Text(if f.acknowledged { "yes" } else { "no" }.into()),
                ]
            })
            .collect();
        page.table(
            "Detector findings",
            &[
                "column",
                "kind",
                "share of values",
                "confidence",
                "acknowledged",
            ],
            &rows,
        );
    }
    page.list(&id.undeclared);
    page.h3("Singling out");
    singling_out(page, &r.singling_out.figures, "rows");
    page.list(
        &r.singling_out
            .not_counted
            .iter()
            .map(|(c, why)| format!("`{c}` not counted: {why}"))
            .collect::<Vec<_>>(),
    );
}

/// Nulls, values outside the schema, duplicate rows and the age of dates.
pub(super) fn quality(page: &mut Page, q: &crate::audit::DataQuality, rows: usize, id: &str) {
    page.p(&format!(
        "{} of {} rows ({}) repeat an earlier row exactly. Below: nulls per column, values outside the schema's levels or bounds, and for every date and timestamp column its oldest and newest value and their age on {}.",
        q.duplicate_rows,
        rows,
        pct(q.duplicate_share),
        q.as_of
    ));
    let mut nulls: Vec<&crate::audit::ColumnQuality> =
        q.columns.iter().filter(|c| c.nulls > 0).collect();
    nulls.sort_by(|a, b| {
        b.null_share
            .total_cmp(&a.null_share)
            .then(a.column.cmp(&b.column))
    });
    if nulls.is_empty() {
        page.p("No column has nulls.");
    } else {
        page.raw(&svg::bars(
            &format!("{id}nulls"),
            "Share of nulls per column",
            "One bar per column with nulls, most first: nulls over rows.",
            &nulls.iter().map(|c| c.column.clone()).collect::<Vec<_>>(),
            &[Series::new(
                format!("{id}nulls"),
                nulls.iter().map(|c| Some(c.null_share)).collect(),
            )],
            &Axis::new(top(nulls.iter().map(|c| c.null_share)), 1).percent(),
            None,
        ));
    }
    let issues: Vec<Vec<Cell>> = q
        .columns
        .iter()
        .filter(|c| {
            (c.nulls > 0 && !c.nullable)
                || c.outside_levels.unwrap_or(0) > 0
                || c.outside_bounds.unwrap_or(0) > 0
        })
        .map(|c| {
            vec![
                Cell::Text(c.column.clone()),
                Cell::Text(if c.nulls > 0 && !c.nullable {
                    format!("{} nulls, not nullable", c.nulls)
                } else {
                    String::new()
                }),
                Cell::Text(
                    c.outside_levels
                        .filter(|n| *n > 0)
                        .map_or(String::new(), |n| {
                            format!("{n} (e.g. {})", c.outside_level_examples.join(", "))
                        }),
                ),
                Cell::Text(
                    c.outside_bounds
                        .filter(|n| *n > 0)
                        .map_or(String::new(), |n| n.to_string()),
                ),
            ]
        })
        .collect();
    if issues.is_empty() {
        page.p("Every value is within the schema's levels and bounds, and no column that forbids nulls has any.");
    } else {
        page.table(
            "Values the schema does not allow",
            &["column", "nulls", "outside the levels", "outside min/max"],
            &issues,
        );
    }
    if !q.dates.is_empty() {
        let rows: Vec<Vec<Cell>> = q
            .dates
            .iter()
            .map(|d| {
                vec![
                    Cell::Text(d.column.clone()),
                    Cell::Text(d.oldest.clone().unwrap_or_default()),
                    Cell::Text(d.newest.clone().unwrap_or_default()),
                    d.newest_age_days
                        .map_or(Cell::Text("".into()), |x| Cell::Num(x, 1)),
                    Cell::Count(d.after_as_of),
                ]
            })
            .collect();
        page.table(
            &format!("Dates against {}", q.as_of),
            &[
                "column",
                "oldest",
                "newest",
                "days since the newest",
                "values after the as-of date",
            ],
            &rows,
        );
    }
}
