//! The page of each command, built from its report struct: explanation first, then the
//! charts, worst figures first.

use super::svg::{self, Axis, Band, Series};
use super::{num, Cell, Context, Page, Status};
use crate::evaluate::Check;

/// An id fragment safe for XML ids and URLs: letters, digits and `-`.
fn slug(s: &str) -> String {
    let mut out: String = s
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    out.truncate(40);
    out
}

/// An axis top a little above the largest value, so that its quarter ticks are round
/// numbers (shares stop at 1).
fn top(values: impl Iterator<Item = f64>) -> f64 {
    let m = values.filter(|v| v.is_finite()).fold(0.0f64, f64::max);
    if m <= 0.0 {
        return 1.0;
    }
    let want = m * 1.05 / 4.0;
    let mut scale = 10f64.powi(want.log10().floor() as i32 - 1);
    loop {
        for q in [1.0, 2.0, 2.5, 5.0] {
            if q * scale >= want {
                let t = 4.0 * q * scale;
                return if m <= 1.0 { t.min(1.0) } else { t };
            }
        }
        scale *= 10.0;
    }
}

fn pct(x: f64) -> String {
    format!("{}%", num(100.0 * x, 1))
}

/// The four-fifths band: from 0.8 × the highest rate to the highest rate.
fn four_fifths(highest: f64) -> Band {
    Band {
        lo: 0.8 * highest,
        hi: highest,
        label: "within four-fifths of the highest rate".into(),
    }
}

fn checks_table(page: &mut Page, checks: &[Check]) {
    if checks.is_empty() {
        page.p("No gate is set in the schema's `quality:` block, so nothing was checked.");
        return;
    }
    let rows: Vec<Vec<Cell>> = checks
        .iter()
        .map(|c| {
            vec![
                Cell::Status(c.status.into()),
                Cell::Text(c.key.clone()),
                c.value
                    .map_or(Cell::Text("n/a".into()), |v| Cell::Num(v, 4)),
                Cell::Num(c.limit, 4),
                Cell::Text(c.detail.clone()),
            ]
        })
        .collect();
    page.table("", &["status", "gate", "value", "limit", "figure"], &rows);
}

fn verdict(page: &mut Page, checks: &[Check], what: &str) {
    let failed: Vec<&str> = checks
        .iter()
        .filter(|c| Status::from(c.status) == Status::Failed)
        .map(|c| c.key.as_str())
        .collect();
    if failed.is_empty() {
        page.verdict(
            true,
            &format!(
                "Every gate passed ({} checked, {} skipped): {what}.",
                checks
                    .iter()
                    .filter(|c| Status::from(c.status) == Status::Passed)
                    .count(),
                checks
                    .iter()
                    .filter(|c| Status::from(c.status) == Status::Skipped)
                    .count()
            ),
        );
    } else {
        page.verdict(
            false,
            &format!(
                "{} gate{} failed: {}. The command exited with code 1.",
                failed.len(),
                if failed.len() == 1 { "" } else { "s" },
                failed.join(", ")
            ),
        );
    }
}

/// The singling-out figures (see [`crate::deid::risk`]): the shares in words and a chart of
/// what each column adds to the quasi-identifiers, largest first.
fn singling_out(page: &mut Page, f: &crate::deid::risk::SinglingOut, what: &str) {
    let q = &f.quasi_identifiers;
    page.p(&format!(
        "{} of the {} {what} ({} rows) are unique over the quasi-identifiers ({}): each can be singled out by someone who knows those values. Over all {} counted columns together, {} are unique ({} rows).",
        pct(q.share),
        f.rows,
        q.unique_rows,
        if q.columns.is_empty() { "none declared".to_string() } else { q.columns.join(", ") },
        f.released.columns.len(),
        pct(f.released.share),
        f.released.unique_rows
    ));
    if let Some(g) = &f.gate_set {
        page.p(&format!(
            "Over the schema's privacy.unique_over ({}): {} unique ({} rows).",
            g.columns.join(", "),
            pct(g.share),
            g.unique_rows
        ));
    }
    let raises: Vec<&crate::deid::risk::Raise> = f.raises.iter().take(20).collect();
    if !raises.is_empty() {
        page.raw(&svg::bars(
            "singling-out",
            "Rows unique over the quasi-identifiers plus one column",
            "One bar per column, the column that singles out most first: the share of rows unique over the quasi-identifiers together with that column.",
            &raises.iter().map(|r| r.column.clone()).collect::<Vec<_>>(),
            &[Series::new("unique rows", raises.iter().map(|r| Some(r.share)).collect())],
            &Axis::new(top(raises.iter().map(|r| r.share)), 1).percent(),
            None,
        ));
    }
}

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
                 unreachable.",
                r.tolerance, r.iterations
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
                "The model is differentially private: epsilon {} in total ({} mechanism, {} neighbouring). Every count the model uses carries noise; the entries below add up to the total.",
                l.epsilon, l.mechanism, l.neighbouring
            ));
            let rows: Vec<Vec<Cell>> = l
                .entries
                .iter()
                .map(|e| {
                    vec![
                        Cell::Text(e.purpose.clone()),
                        Cell::Count(e.tables as u64),
                        Cell::Num(e.epsilon, 4),
                        Cell::Num(e.scale, 4),
                    ]
                })
                .collect();
            page.table("", &["purpose", "count tables", "epsilon", "noise scale"], &rows);
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
    if let Some(h) = &p.dcr_holdout {
        page.p(&format!(
            "Real holdout rows the synthesiser never saw have a median DCR of {}; the ratio synthetic / holdout is {} (about 1 when the synthesiser generalises, well below 1 when it memorised real rows). {} of the holdout rows equal a real row: what a fresh sample of the same population copies.",
            num(h.median, 4),
            p.dcr_ratio.map_or("n/a".into(), |x| num(x, 3)),
            p.holdout_exact_copies.map_or("n/a".into(), pct)
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
    page.p("Each protected group's share of the rows (rows with no group left out), with its 95 % Wilson score interval (the line) and the target share where the targets name the column. A target outside the interval is a gap sampling noise does not explain.");
    for (i, a) in r.representation.iter().enumerate() {
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
                &format!("share-{i}-{}", slug(&a.attribute)),
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
    if !r.small_groups.is_empty() {
        page.h3("Groups too small to learn from");
        page.p(&format!(
            "{} group{} have fewer rows than quality.min_group_rows; a model sees too few of them to learn anything reliable about them.",
            r.small_groups.len(),
            if r.small_groups.len() == 1 { "" } else { "s" }
        ));
        let rows: Vec<Vec<Cell>> = r
            .small_groups
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
            &if r.small_groups.len() > 50 {
                format!("the first 50 of {}", r.small_groups.len())
            } else {
                String::new()
            },
            &["attribute", "group", "rows"],
            &rows,
        );
    }

    if let Some(p) = &r.parity {
        page.section("parity", "Outcome parity");
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
                &format!("rate-{i}-{}", slug(&a.attribute)),
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

    page.section("proxies", "Proxies for protected attributes");
    page.p(&format!(
        "A column that predicts a protected attribute lets a model discriminate even when the attribute itself is left out. Measure: {}",
        r.proxies.measure
    ));
    let shown: Vec<&crate::audit::Proxy> = r.proxies.pairs.iter().take(20).collect();
    if !shown.is_empty() {
        page.raw(&svg::bars(
            "proxies",
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
    if !r.proxies.skipped.is_empty() {
        page.list(
            &r.proxies
                .skipped
                .iter()
                .map(|(c, why)| format!("`{c}` not scanned: {why}"))
                .collect::<Vec<_>>(),
        );
    }

    let id = &r.identifiers;
    page.section("identifiers", "Identifiers and singling out");
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
    singling_out(&mut page, &r.singling_out.figures, "rows");
    page.list(
        &r.singling_out
            .not_counted
            .iter()
            .map(|(c, why)| format!("`{c}` not counted: {why}"))
            .collect::<Vec<_>>(),
    );

    let q = &r.quality;
    page.section("quality", "Data quality");
    page.p(&format!(
        "{} of {} rows ({}) repeat an earlier row exactly. Below: nulls per column, values outside the schema's levels or bounds, and for every date and timestamp column its oldest and newest value and their age on {}.",
        q.duplicate_rows,
        r.input.rows,
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
            "nulls",
            "Share of nulls per column",
            "One bar per column with nulls, most first: nulls over rows.",
            &nulls.iter().map(|c| c.column.clone()).collect::<Vec<_>>(),
            &[Series::new(
                "nulls",
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

    if let Some(d) = &r.drift {
        page.section("drift", "Changes since the baseline");
        page.p(&format!(
            "Compared with the audit in {} (table sha256 {}): {} figures in both. Drift is the largest absolute change of any share, rate, proxy strength, null share, share outside the levels or bounds, or duplicate share: {}.",
            d.baseline,
            d.baseline_input_sha256,
            d.compared,
            num(d.max_change, 4)
        ));
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axis_tops_have_round_quarters() {
        assert_eq!(top([0.331].into_iter()), 0.4);
        assert_eq!(top([0.669, 0.5].into_iter()), 0.8);
        assert_eq!(top([0.98].into_iter()), 1.0);
        assert_eq!(top([0.0123].into_iter()), 0.02);
        assert_eq!(top([37.0].into_iter()), 40.0);
        assert_eq!(top(std::iter::empty()), 1.0);
        assert_eq!(slug("age & race"), "age---race");
    }
}
