//! The page of each command, built from its report struct: explanation first, then the
//! charts, worst figures first. One file per page; the shared pieces (axes, the four-fifths
//! band, the table of gates, the singling-out figures) are here.

mod audit;
mod deidentify;
mod evaluate;
mod evaluate_linked;
mod linked_audit;
mod reweight;
mod sample;

pub use audit::audit_page;
pub use deidentify::deidentify_page;
pub use evaluate::evaluate_page;
pub use evaluate_linked::evaluate_linked_page;
pub use linked_audit::linked_audit_page;
pub use reweight::reweight_page;
pub use sample::sample_page;

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
    if !f.exact {
        page.p("More than a million distinct combinations in a set: those counts are estimates by distinct sampling (within a few percent), not exact.");
    }
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
