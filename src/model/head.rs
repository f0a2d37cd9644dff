//! The head table at sampling time: its joint distribution raked to target shares and made
//! label-independent of the protected columns (parity), and the report of both. The sampler
//! draws each row's head cell from the result.

use serde::Serialize;

use super::{Model, ModelError, VarKind, Variable};
use crate::reweight::StopReason;
use crate::schema::{Fairness, Schema, Target};

/// How to sample.
#[derive(Debug, Clone, Default)]
pub struct SampleOptions {
    /// Seed of every random stream.
    pub seed: u64,
    /// Target shares for head columns (protected, label or schema target columns).
    pub targets: Vec<Target>,
    /// Apply the schema's `fairness:` (label independent of the protected columns).
    pub fairness: bool,
}

/// A level's share before and after raking.
#[derive(Debug, Clone, Serialize)]
pub struct LevelShare {
    /// The level (or bin label).
    pub level: String,
    /// The target share.
    pub target: f64,
    /// Share in the model (the real data).
    pub model: f64,
    /// Expected share in the sample.
    pub expected: f64,
}

/// One target column.
#[derive(Debug, Clone, Serialize)]
pub struct TargetShares {
    /// The column.
    pub column: String,
    /// Its levels.
    pub levels: Vec<LevelShare>,
}

/// A protected group's favourable-label rate.
#[derive(Debug, Clone, Serialize)]
pub struct GroupRate {
    /// The group (levels joined by ` & `).
    pub group: String,
    /// Rate in the model.
    pub model: f64,
    /// Expected rate in the sample.
    pub expected: f64,
    /// Rate drawn (a linked child table's label, whose shifts apply to the sampled rows).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sampled: Option<f64>,
    /// Rows of the group in the sample (a linked child table's label).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rows: Option<u64>,
}

/// Label parity.
#[derive(Debug, Clone, Serialize)]
pub struct Parity {
    /// The label column.
    pub label: String,
    /// The favourable level.
    pub favourable: String,
    /// The protected columns.
    pub independent_of: Vec<String>,
    /// Rates per group.
    pub groups: Vec<GroupRate>,
    /// Smallest over largest group rate in the model.
    pub disparate_impact_model: f64,
    /// The same, expected in the sample.
    pub disparate_impact_expected: f64,
    /// The same, drawn (a linked child table's label).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub disparate_impact_sampled: Option<f64>,
    /// Lowest group rate minus highest, in the model (a linked child table's label: at the
    /// sampled rows, as sampling without fairness would draw them).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub statistical_parity_difference_model: Option<f64>,
    /// The same, expected in the sample.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub statistical_parity_difference_expected: Option<f64>,
    /// The same, drawn.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub statistical_parity_difference_sampled: Option<f64>,
}

/// What sampling will do to the head distribution.
#[derive(Debug, Clone, Serialize)]
pub struct SampleReport {
    /// Target shares reached (in expectation).
    pub targets: Vec<TargetShares>,
    /// Label parity, when applied.
    pub parity: Option<Parity>,
    /// Raking sweeps.
    pub iterations: usize,
}

/// The head's cell weights after raking and parity, with the layout of its cells and the
/// report of what was done.
pub(super) struct RakedHead {
    /// Weight of every head cell (row-major, last head variable fastest).
    pub(super) weights: Vec<f64>,
    layout: Layout,
    /// Targets reached, parity and raking sweeps.
    pub(super) report: SampleReport,
}

impl RakedHead {
    /// Rakes `model`'s head table to `opts.targets`, then (with `opts.fairness`) to the
    /// schema's label parity.
    pub(super) fn new(
        model: &Model,
        schema: &Schema,
        opts: &SampleOptions,
    ) -> Result<RakedHead, ModelError> {
        let view = HeadView {
            model,
            schema,
            layout: Layout::new(
                model
                    .head
                    .vars
                    .iter()
                    .map(|&v| model.variables[v].cardinality())
                    .collect(),
                model.head.counts.len(),
            ),
        };
        let start = &model.head.counts;
        let mut iterations = 0;
        let (margins, named) = view.target_margins(&opts.targets)?;
        let mut weights = rake(start, &margins, &mut iterations)?;
        let mut parity = None;
        if let Some(f) = schema.fairness.as_ref().filter(|_| opts.fairness) {
            let labelled = opts.targets.iter().any(|t| t.column == f.label);
            let (fair, p) = view.parity(f, &weights, &margins, labelled, &mut iterations)?;
            weights = fair;
            parity = Some(p);
        }
        let targets = target_report(&named, &margins, start, &weights);
        Ok(RakedHead {
            weights,
            layout: view.layout,
            report: SampleReport {
                targets,
                parity,
                iterations,
            },
        })
    }

    /// The weight of each code of head variable `j` (its position among the head's).
    pub(super) fn shares(&self, j: usize) -> Vec<f64> {
        let mut shares = vec![0.0; self.layout.cards[j]];
        for (cell, w) in self.weights.iter().enumerate() {
            shares[self.layout.code(cell, j)] += w;
        }
        shares
    }
}

/// The label of every code of a head variable as the targets name levels (bin labels for
/// numeric columns); `None` for null.
fn target_labels(var: &Variable, schema: &Schema) -> Vec<Option<String>> {
    let mut out: Vec<Option<String>> = match &var.kind {
        VarKind::Categorical { levels } => levels.iter().cloned().map(Some).collect(),
        VarKind::Numeric { bins, .. } => {
            let bands = schema.column(&var.name).and_then(|c| c.bins.as_ref());
            bins.iter()
                .map(|b| bands.and_then(|s| s.band(b.lo).map(|i| s.labels[i].clone())))
                .collect()
        }
    };
    if var.null {
        out.push(None);
    }
    out
}

/// Where each head variable's code sits in a cell index of the head table (row-major, last
/// variable fastest).
struct Layout {
    cards: Vec<usize>,
    strides: Vec<usize>,
    cells: usize,
}

impl Layout {
    fn new(cards: Vec<usize>, cells: usize) -> Layout {
        let strides = (0..cards.len())
            .map(|j| cards[j + 1..].iter().product())
            .collect();
        Layout {
            cards,
            strides,
            cells,
        }
    }

    /// The code of head variable `j` in cell `c`.
    fn code(&self, c: usize, j: usize) -> usize {
        (c / self.strides[j]) % self.cards[j]
    }

    /// The configuration index of cell `c` over the head variables `js` (row-major).
    fn key(&self, c: usize, js: &[usize]) -> usize {
        js.iter()
            .fold(0, |k, &j| k * self.cards[j] + self.code(c, j))
    }

    /// The number of configurations over `js`.
    fn size(&self, js: &[usize]) -> usize {
        js.iter().map(|&j| self.cards[j]).product()
    }
}

/// A raking margin: the group of every cell and the target share of every group.
type CellMargin = (Vec<usize>, Vec<f64>);

/// A target column and the names of its levels, for the report.
type NamedLevels = (String, Vec<String>);

/// Rakes `w` to `margins`, adding the sweeps to `iterations`; non-convergence is an error.
fn rake(w: &[f64], margins: &[CellMargin], iterations: &mut usize) -> Result<Vec<f64>, ModelError> {
    if margins.is_empty() || w.is_empty() {
        return Ok(w.to_vec());
    }
    let (out, it, stop) = crate::reweight::rake_cells(w, margins, 1e-9, 5000);
    *iterations += it;
    if stop != StopReason::Converged {
        return Err(ModelError::Invalid(
            "targets: raking did not converge: the target shares contradict each other given the model's joint table of the protected columns\n    hint: check that the targets of each column add up and fit the population".into(),
        ));
    }
    Ok(out)
}

/// The head-table view shared by the steps of [`RakedHead::new`].
struct HeadView<'a> {
    model: &'a Model,
    schema: &'a Schema,
    layout: Layout,
}

impl HeadView<'_> {
    /// Position of the column `name` among the head variables.
    fn position(&self, name: &str) -> Option<usize> {
        self.model
            .head
            .vars
            .iter()
            .position(|&v| self.model.variables[v].name == name)
    }

    /// The target labels of head variable `j` (see [`target_labels`]).
    fn labels(&self, j: usize) -> Vec<Option<String>> {
        target_labels(&self.model.variables[self.model.head.vars[j]], self.schema)
    }

    /// One margin per target, with the names of its levels.
    fn target_margins(
        &self,
        targets: &[Target],
    ) -> Result<(Vec<CellMargin>, Vec<NamedLevels>), ModelError> {
        let mut margins = Vec::new();
        let mut named = Vec::new();
        for t in targets {
            let Some(j) = self.position(&t.column) else {
                return Err(ModelError::Invalid(format!(
                    "targets: column `{}` is not a protected, label or target column of the model, so its shares cannot move without breaking its relations\n    hint: mark it `role: protected` or list it under the schema's `targets:`, and fit again",
                    t.column
                )));
            };
            let labels = self.labels(j);
            // Levels the targets do not list form one more group, with target 0.
            let n = t.shares.len();
            let groups: Vec<usize> = (0..self.layout.cells)
                .map(|c| {
                    labels[self.layout.code(c, j)]
                        .as_ref()
                        .and_then(|l| t.shares.iter().position(|(lv, _)| lv == l))
                        .unwrap_or(n)
                })
                .collect();
            for (g, (level, share)) in t.shares.iter().enumerate() {
                let mass: f64 = (0..self.layout.cells)
                    .filter(|&c| groups[c] == g)
                    .map(|c| self.model.head.counts[c])
                    .sum();
                if *share > 0.0 && mass <= 0.0 {
                    return Err(ModelError::Invalid(format!(
                        "targets: level `{}: {level}` (share {share}) never occurs in the model's data\n    hint: remove the level from the targets, or check its spelling",
                        t.column
                    )));
                }
            }
            let mut target: Vec<f64> = t.shares.iter().map(|s| s.1).collect();
            target.push(0.0);
            margins.push((groups, target));
            named.push((
                t.column.clone(),
                t.shares.iter().map(|s| s.0.clone()).collect(),
            ));
        }
        Ok((margins, named))
    }

    /// Label parity: `P*(s, r, y) = Q(s) P(y) Q(r | s, y)` from the raked weights, then raked
    /// again with the parity margin added so that the targets still hold. `P(y)` is the label's
    /// target when it has one, else the data's overall rate.
    fn parity(
        &self,
        f: &Fairness,
        weights: &[f64],
        margins: &[CellMargin],
        label_targeted: bool,
        iterations: &mut usize,
    ) -> Result<(Vec<f64>, Parity), ModelError> {
        let (Some(jy), Some(js)) = (
            self.position(&f.label),
            f.independent_of
                .iter()
                .map(|s| self.position(s))
                .collect::<Option<Vec<usize>>>(),
        ) else {
            return Err(ModelError::Invalid(format!(
                "fairness: `{}` or one of {:?} is not in the model",
                f.label, f.independent_of
            )));
        };
        let lay = &self.layout;
        let start = &self.model.head.counts;
        let rest: Vec<usize> = (0..lay.cards.len())
            .filter(|j| *j != jy && !js.contains(j))
            .collect();
        let (ns, ly, nr) = (lay.size(&js), lay.cards[jy], lay.size(&rest));
        let total: f64 = weights.iter().sum();
        let start_total: f64 = start.iter().sum();
        let mut q_s = vec![0.0; ns];
        let mut w_sy = vec![0.0; ns * ly];
        let mut w_sr = vec![0.0; ns * nr];
        let mut p_y = vec![0.0; ly];
        for c in 0..lay.cells {
            let (s, y, r) = (lay.key(c, &js), lay.code(c, jy), lay.key(c, &rest));
            q_s[s] += weights[c] / total;
            w_sy[s * ly + y] += weights[c];
            w_sr[s * nr + r] += weights[c];
            p_y[y] += if label_targeted {
                weights[c] / total
            } else {
                start[c] / start_total
            };
        }
        let fair: Vec<f64> = (0..lay.cells)
            .map(|c| {
                let (s, y, r) = (lay.key(c, &js), lay.code(c, jy), lay.key(c, &rest));
                // Q(r | s, y), or Q(r | s) for an (s, y) the data never shows.
                let cond = if w_sy[s * ly + y] > 0.0 {
                    weights[c] / w_sy[s * ly + y]
                } else if q_s[s] > 0.0 {
                    w_sr[s * nr + r] / (q_s[s] * total)
                } else {
                    0.0
                };
                q_s[s] * p_y[y] * cond * total
            })
            .collect();
        let groups: Vec<usize> = (0..lay.cells)
            .map(|c| lay.key(c, &js) * ly + lay.code(c, jy))
            .collect();
        let target: Vec<f64> = (0..ns * ly).map(|g| q_s[g / ly] * p_y[g % ly]).collect();
        let mut all = margins.to_vec();
        all.push((groups, target));
        let raked = rake(&fair, &all, iterations)?;

        let levels = self.labels(jy);
        // A merged `(other)` is never the favourable outcome.
        let seen: Vec<&str> = levels
            .iter()
            .flatten()
            .map(String::as_str)
            .filter(|l| *l != super::OTHER)
            .collect();
        let declared = self.schema.column(&f.label).and_then(|c| c.categories());
        let fav_name =
            crate::schema::favourable_level(f.favourable.as_deref(), declared.as_deref(), &seen)
                .filter(|name| levels.iter().any(|l| l.as_deref() == Some(name.as_str())));
        // Every code of the favourable level: a binned numeric label's model bins that lie in
        // the favourable band of the schema.
        let is_fav: Vec<bool> = levels
            .iter()
            .map(|l| l.is_some() && l.as_deref() == fav_name.as_deref())
            .collect();
        let Some(fav_name) = fav_name else {
            return Err(ModelError::Invalid(format!(
                "fairness: the favourable level of `{}` does not occur in the model",
                f.label
            )));
        };
        // Groups as the schema names them: numeric protected columns by their bands, so the
        // model's finer bins of one band form one group.
        let group_labels: Vec<Vec<Option<String>>> = js.iter().map(|&j| self.labels(j)).collect();
        let mut names: Vec<String> = Vec::new();
        let group_of: Vec<usize> = (0..lay.cells)
            .map(|c| {
                let name = js
                    .iter()
                    .zip(&group_labels)
                    .map(|(&j, l)| l[lay.code(c, j)].clone().unwrap_or_else(|| "(null)".into()))
                    .collect::<Vec<_>>()
                    .join(" & ");
                names.iter().position(|n| *n == name).unwrap_or_else(|| {
                    names.push(name);
                    names.len() - 1
                })
            })
            .collect();
        let rates = |w: &[f64]| -> Vec<Option<f64>> {
            let mut n = vec![0.0; names.len()];
            let mut k = vec![0.0; names.len()];
            for (c, x) in w.iter().enumerate() {
                n[group_of[c]] += x;
                if is_fav[lay.code(c, jy)] {
                    k[group_of[c]] += x;
                }
            }
            n.iter()
                .zip(&k)
                .map(|(n, k)| (*n > 0.0).then(|| k / n))
                .collect()
        };
        let (before, after) = (rates(start), rates(&raked));
        let di = |r: &[Option<f64>]| {
            let v: Vec<f64> = r.iter().flatten().copied().collect();
            let max = v.iter().copied().fold(0.0, f64::max);
            let min = v.iter().copied().fold(f64::INFINITY, f64::min);
            if max > 0.0 {
                min / max
            } else {
                1.0
            }
        };
        let parity = Parity {
            label: f.label.clone(),
            favourable: fav_name,
            independent_of: f.independent_of.clone(),
            groups: names
                .iter()
                .enumerate()
                .filter_map(|(g, name)| {
                    Some(GroupRate {
                        group: name.clone(),
                        model: before[g]?,
                        expected: after[g]?,
                        sampled: None,
                        rows: None,
                    })
                })
                .collect(),
            disparate_impact_model: di(&before),
            disparate_impact_expected: di(&after),
            disparate_impact_sampled: None,
            statistical_parity_difference_model: None,
            statistical_parity_difference_expected: None,
            statistical_parity_difference_sampled: None,
        };
        Ok((raked, parity))
    }
}

/// Target shares in the model and expected in the sample.
fn target_report(
    named: &[NamedLevels],
    margins: &[CellMargin],
    start: &[f64],
    weights: &[f64],
) -> Vec<TargetShares> {
    let shares = |w: &[f64], g: &[usize], n: usize| {
        let total: f64 = w.iter().sum();
        let mut s = vec![0.0; n + 1];
        for (x, g) in w.iter().zip(g) {
            s[*g] += x / total.max(f64::MIN_POSITIVE);
        }
        s
    };
    named
        .iter()
        .zip(margins)
        .map(|((column, levels), (groups, target))| {
            let before = shares(start, groups, levels.len());
            let after = shares(weights, groups, levels.len());
            TargetShares {
                column: column.clone(),
                levels: levels
                    .iter()
                    .enumerate()
                    .map(|(g, l)| LevelShare {
                        level: l.clone(),
                        target: target[g],
                        model: before[g],
                        expected: after[g],
                    })
                    .collect(),
            }
        })
        .collect()
}
