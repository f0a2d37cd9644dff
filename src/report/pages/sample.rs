//! The `sample` page.

use super::*;

/// The page for `sample`: the sampling report, with the model it came from (fit inputs,
/// columns left out, the privacy ledger).
pub fn sample_page(
    r: &crate::model::SampleReport,
    model: &crate::model::Model,
    ctx: &Context,
) -> String {
    let mut page = Page::new("fairsynth sample: how the synthetic table was drawn");
    page.section("summary", "What was done and why");
    page.p_class(
        "lead",
        "Every row of the output is synthetic: drawn from a model (a Bayesian network) that \
         fairsynth fitted on a real table. The model holds counts per combination of a few \
         columns and bin edges, never a real row. The protected columns, the label and the \
         target columns form one joint table (the head); every other column is drawn from its \
         table given at most a few parent columns.",
    );
    if !r.targets.is_empty() {
        page.p(&format!(
            "The head table was raked ({} sweep{}) to the target shares below, so group shares \
             changed while the relations inside each group were kept.",
            r.iterations,
            if r.iterations == 1 { "" } else { "s" }
        ));
    }
    match &r.parity {
        Some(p) => page.p(&format!(
            "Label parity: `{}` was drawn independent of {}, at the data's overall rate, so the \
             favourable rate of `{}` is expected to be equal in every group (disparate impact {} \
             in expectation, {} in the real data).",
            p.label,
            p.independent_of.join(", "),
            p.favourable,
            num(p.disparate_impact_expected, 3),
            num(p.disparate_impact_model, 3)
        )),
        None => page.p("No label parity was applied: the label keeps its dependence on the protected columns as in the real data."),
    }
    let mut facts: Vec<(&str, String)> = vec![
        ("model fitted on", format!("{} (sha256 {})", model.fit.input, model.fit.input_sha256)),
        ("rows in the real table", model.rows.to_string()),
        ("fit seed", model.fit.seed.to_string()),
        (
            "fit options",
            format!(
                "categories seen in fewer than {} rows merged into (other); {} bins per number; at most {} parents",
                model.fit.min_count, model.fit.bins, model.fit.max_parents
            ),
        ),
    ];
    if !model.regenerated.is_empty() {
        facts.push((
            "identifiers drawn again from their generator (not from data)",
            model.regenerated.join(", "),
        ));
    }
    page.facts(&facts);
    if !model.dropped.is_empty() {
        page.h3("Columns left out of the model");
        let rows: Vec<Vec<Cell>> = model
            .dropped
            .iter()
            .map(|d| vec![Cell::Text(d.column.clone()), Cell::Text(d.reason.clone())])
            .collect();
        page.table("", &["column", "why"], &rows);
    }
    page.h3("Privacy ledger");
    match &model.privacy {
        Some(l) => {
            page.p(&format!(
                "The model is differentially private: ({}, {})-DP in total ({}; {} neighbouring){}. Every count the model uses carries noise or is computed from noisy counts; the row count is the total of the noisy tables. Under zero-concentrated DP the entries' rho add up to the total rho, whose conversion gives the epsilon; under pure DP the entries' epsilon add up.",
                l.epsilon,
                l.delta_text(),
                l.mechanism,
                l.neighbouring,
                l.rho.map_or(String::new(), |r| format!(", rho {r:.6}"))
            ));
            let rows: Vec<Vec<Cell>> = l
                .entries
                .iter()
                .map(|e| {
                    let mut row = vec![
                        Cell::Text(e.purpose.clone()),
                        Cell::Text(e.mechanism.clone()),
                        Cell::Count(e.tables as u64),
                        Cell::Num(e.epsilon, 4),
                    ];
                    // Rho is the zCDP accounting of the Gaussian mechanism: none under pure DP.
                    if !l.is_pure() {
                        row.push(Cell::Num(e.rho, 6));
                    }
                    row.push(Cell::Num(e.scale, 4));
                    row
                })
                .collect();
            let headers: &[&str] = if l.is_pure() {
                &["purpose", "mechanism", "queries", "epsilon", "noise scale"]
            } else {
                &["purpose", "mechanism", "queries", "epsilon", "rho", "noise scale"]
            };
            page.table("", headers, &rows);
        }
        None => page.p("Not differentially private: the model holds the exact counts of the real table (no privacy budget was spent). Rare combinations can therefore be reproduced."),
    }
    page.provenance(ctx);

    if !r.targets.is_empty() {
        page.section("targets", "Target shares: real data and sample");
        page.p("For every target column: the target share of each level, its share in the real data (the model) and the share expected in the sample. The column furthest from its targets comes first.");
        let gaps: Vec<f64> = r
            .targets
            .iter()
            .map(|t| {
                t.levels
                    .iter()
                    .map(|l| (l.model - l.target).abs())
                    .fold(0.0, f64::max)
            })
            .collect();
        let mut order: Vec<usize> = (0..r.targets.len()).collect();
        order.sort_by(|a, b| gaps[*b].total_cmp(&gaps[*a]));
        for (i, t) in order.iter().map(|&k| &r.targets[k]).enumerate() {
            page.h3(&t.column);
            let cats: Vec<String> = t.levels.iter().map(|l| l.level.clone()).collect();
            let max = top(t
                .levels
                .iter()
                .flat_map(|l| [l.target, l.model, l.expected]));
            page.raw(&svg::dots(
                &format!("target-{i}-{}", slug(&t.column)),
                &format!("Shares of {}: target, real data, sample", t.column),
                "For every level a ring marks the target, a square the share in the real data and a diamond the share expected in the sample; the numbers are written at the right in that order.",
                &cats,
                &[
                    Series::new("target", t.levels.iter().map(|l| Some(l.target)).collect()),
                    Series::new("real data", t.levels.iter().map(|l| Some(l.model)).collect()),
                    Series::new("sample", t.levels.iter().map(|l| Some(l.expected)).collect()),
                ],
                None,
                &Axis::new(max, 1).percent(),
                None,
            ));
        }
    }
    if let Some(p) = &r.parity {
        page.section("fairness", "Favourable-label rate per group");
        let cats: Vec<String> = p.groups.iter().map(|g| g.group.clone()).collect();
        let highest = p.groups.iter().map(|g| g.expected).fold(0.0, f64::max);
        let max = top(p.groups.iter().flat_map(|g| [g.model, g.expected]));
        page.raw(&svg::bars(
            "parity",
            &format!("Rate of {} = {} per group, real data and sample", p.label, p.favourable),
            "One pair of bars per group: the favourable-label rate in the real data and expected in the sample. The grey band runs from four-fifths of the highest sample rate to that rate.",
            &cats,
            &[
                Series::new("real data", p.groups.iter().map(|g| Some(g.model)).collect()),
                Series::new("sample", p.groups.iter().map(|g| Some(g.expected)).collect()),
            ],
            &Axis::new(max, 1).percent(),
            Some(&four_fifths(highest)),
        ));
    }
    page.finish()
}
