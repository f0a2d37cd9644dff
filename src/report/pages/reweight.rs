//! The `reweight` page.

use super::*;

/// The page for `reweight`.
pub fn reweight_page(r: &crate::reweight::Report, ctx: &Context) -> String {
    use crate::reweight::StopReason;
    let mut page = Page::new("fairsynth reweight: what was done to the table");
    page.section("summary", "What was done and why");
    page.p_class(
        "lead",
        "Raking (iterative proportional fitting): every row keeps its values and gets a weight. \
         Rows are grouped by the levels of the columns that have targets; the weight of every row \
         in a group was multiplied by a factor, one margin after the other, until the weighted \
         share of every level matched its target. No row was invented or changed; a model trained \
         with these weights sees the table as if it had the target make-up.",
    );
    if let Some(f) = &r.fairness {
        if f.parity_applied {
            page.p(&format!(
                "Label parity: one more margin, each protected group × `{}`, was raked to the \
                 group's target share times the overall rate of `{}` = {}. Afterwards the favourable \
                 rate is the same in every protected group, while the demographic targets still hold \
                 (with no demographic targets this is Kamiran & Calders reweighing).",
                f.label, f.label, f.favourable
            ));
        } else {
            page.p(&format!(
                "Label parity was not applied (--no-parity or no `fairness` block); the favourable \
                 rates of `{}` are reported below as they are.",
                f.label
            ));
        }
    }
    if let Some((lo, hi)) = r.bounds {
        page.p(&format!(
            "Weights were kept between {lo} and {hi} times the mean weight inside the iteration \
             (each step solves for the factor that hits the target with the capped groups held \
             at their bounds)."
        ));
    }
    if let Some((n, seed)) = r.resample {
        page.p(&format!(
            "Instead of weights, {n} rows were drawn with probability proportional to weight \
             (systematic sampling, seed {seed}), so plain counts match the targets within \
             sampling error."
        ));
    }
    let converged = r.converged;
    page.verdict(
        converged,
        &match r.stop_reason {
            StopReason::Converged => format!(
                "Every share is within {:e} of its target after {} sweep{}.",
                r.tolerance,
                r.iterations,
                if r.iterations == 1 { "" } else { "s" }
            ),
            StopReason::MaxIterations => format!(
                "The targets were not all reached within {:e} after {} sweeps (the sweep limit); \
                 the residual error per margin is shown below. Weight bounds can make targets \
                 unreachable{}.",
                r.tolerance,
                r.iterations,
                if r.bounds.is_some() {
                    ": the weights are those of the sweep that came closest to the targets \
                     within the bounds"
                } else {
                    ""
                }
            ),
        },
    );
    let mut facts: Vec<(&str, String)> = vec![
        ("rows read", r.rows.to_string()),
        ("rows written", r.rows_written.to_string()),
        ("start weights", r.start_weights.clone()),
        ("total weight (kept)", num(r.total_weight, 4)),
        ("groups (cells) raked", r.cells.to_string()),
        ("sweeps", r.iterations.to_string()),
    ];
    facts.push((
        "left out of the output",
        if r.dropped_identifiers.is_empty() {
            "nothing".to_string()
        } else {
            format!(
                "{} (identifier columns: direct identifiers never reach the output unless --keep-identifiers)",
                r.dropped_identifiers.join(", ")
            )
        },
    ));
    page.facts(&facts);
    page.provenance(ctx);

    page.section("margins", "Targets, before and after");
    page.p(
        "Each chart is one margin: the target share of every level, its weighted share before \
            raking (start weights) and after. The margin that was furthest from its targets comes \
            first.",
    );
    let mut margins: Vec<&crate::reweight::MarginReport> = r.margins.iter().collect();
    margins.sort_by(|a, b| b.max_abs_error_before.total_cmp(&a.max_abs_error_before));
    for (i, m) in margins.iter().enumerate() {
        let name = m.columns.join(" × ");
        page.h3(&format!(
            "{name}: largest gap {} before, {} after",
            num(m.max_abs_error_before, 4),
            format_args!("{:.1e}", m.max_abs_error)
        ));
        let cats: Vec<String> = m.levels.iter().map(|l| l.level.clone()).collect();
        let series = vec![
            Series::new("target", m.levels.iter().map(|l| Some(l.target)).collect()),
            Series::new("before", m.levels.iter().map(|l| Some(l.before)).collect()),
            Series::new("after", m.levels.iter().map(|l| Some(l.after)).collect()),
        ];
        let max = top(m.levels.iter().flat_map(|l| [l.target, l.before, l.after]));
        page.raw(&svg::dots(
            &format!("margin-{i}-{}", slug(&name)),
            &format!("Shares of {name}: target, before and after"),
            "For every level a ring marks the target share, a square the share before raking and a diamond the share after; the three numbers are written at the right in that order.",
            &cats,
            &series,
            None,
            &Axis::new(max, 1).percent(),
            None,
        ));
    }

    page.section("weights", "The weights");
    let w = &r.weights;
    page.p(&format!(
        "Unequal weights cost precision. The design effect (Kish) is {}: estimates from the \
         weighted table are about as precise as from {} equally weighted rows (the effective \
         sample size), out of {}.",
        num(w.design_effect, 3),
        num(w.effective_sample_size, 0),
        r.rows
    ));
    page.facts(&[
        ("smallest weight", num(w.min, 4)),
        ("largest weight", num(w.max, 4)),
        ("mean weight", num(w.mean, 4)),
        ("largest / mean", num(w.max / w.mean, 3)),
        ("coefficient of variation", num(w.cv, 3)),
        ("design effect", num(w.design_effect, 3)),
        ("effective sample size", num(w.effective_sample_size, 0)),
    ]);
    if let Some(h) = &w.histogram {
        let bins: Vec<String> = h
            .edges
            .windows(2)
            .map(|e| format!("{}–{}", num(e[0], 3), num(e[1], 3)))
            .collect();
        page.raw(&svg::histogram(
            "weight-histogram",
            "Rows per weight interval",
            "Number of input rows whose final weight falls in each of 20 equal-width intervals from the smallest to the largest weight.",
            &bins,
            &[Series::new(
                "rows",
                h.rows.iter().map(|n| Some(*n as f64)).collect(),
            )],
            0,
        ));
    }

    if let Some(f) = &r.fairness {
        page.section("fairness", "Favourable-label rate per group");
        page.p(&format!(
            "The share of rows with `{} = {}` in each protected group, under the start weights \
             (before) and the final weights (after). Statistical parity difference (SPD) is the \
             lowest group rate minus the highest (0 is parity); disparate impact (DI) is the lowest \
             over the highest (1 is parity; below 0.8 fails the four-fifths rule, the grey band).",
            f.label, f.favourable
        ));
        let rows: Vec<Vec<Cell>> = f
            .attributes
            .iter()
            .map(|a| {
                vec![
                    Cell::Text(a.column.clone()),
                    Cell::Num(a.spd_before, 4),
                    Cell::Num(a.spd_after, 4),
                    Cell::Num(a.di_before, 4),
                    Cell::Num(a.di_after, 4),
                ]
            })
            .collect();
        page.table(
            "",
            &[
                "attribute",
                "SPD before",
                "SPD after",
                "DI before",
                "DI after",
            ],
            &rows,
        );
        for (i, a) in f.attributes.iter().enumerate() {
            page.h3(&a.column);
            let cats: Vec<String> = a.groups.iter().map(|g| g.group.clone()).collect();
            let highest = a.groups.iter().map(|g| g.rate_after).fold(0.0, f64::max);
            let max = top(a.groups.iter().flat_map(|g| [g.rate_before, g.rate_after]));
            page.raw(&svg::bars(
                &format!("rate-{i}-{}", slug(&a.column)),
                &format!("Rate of {} = {} per {} group, before and after", f.label, f.favourable, a.column),
                "One pair of bars per group: the favourable-label rate under the start weights and under the final weights. The grey band runs from four-fifths of the highest rate after reweighting to that rate.",
                &cats,
                &[
                    Series::new("before", a.groups.iter().map(|g| Some(g.rate_before)).collect()),
                    Series::new("after", a.groups.iter().map(|g| Some(g.rate_after)).collect()),
                ],
                &Axis::new(max, 1).percent(),
                Some(&four_fifths(highest)),
            ));
        }
    }
    page.finish()
}
