//! Iterative proportional fitting on the cells of the raking variables.

use serde::Serialize;

use super::bounded;
use super::{
    AttributeReport, CellAcc, CellSums, FairnessReport, GroupRate, MarginReport, Options, Report,
    WeightReport, NULL_LEVEL,
};
use crate::schema::Fairness;

/// Why the iteration stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StopReason {
    /// Every achieved share is within the tolerance of its target.
    Converged,
    /// The sweep limit was reached first.
    MaxIterations,
}

impl StopReason {
    /// How the iteration ended, in words: `converged`, `stopped at the sweep limit`.
    pub fn describe(self) -> &'static str {
        match self {
            StopReason::Converged => "converged",
            StopReason::MaxIterations => "stopped at the sweep limit",
        }
    }
}

/// A margin: groups of cells whose weighted shares must reach targets.
#[derive(Debug, Clone)]
pub struct Margin {
    /// Column names.
    pub columns: Vec<String>,
    /// Group labels.
    pub labels: Vec<String>,
    /// Target share per group.
    pub target: Vec<f64>,
    /// Group of each cell.
    pub(super) cell_group: Vec<usize>,
    /// Cells of each group.
    members: Vec<Vec<usize>>,
}

impl Margin {
    fn new(
        columns: Vec<String>,
        labels: Vec<String>,
        target: Vec<f64>,
        cell_group: Vec<usize>,
    ) -> Margin {
        let mut members = vec![Vec::new(); labels.len()];
        for (c, g) in cell_group.iter().enumerate() {
            members[*g].push(c);
        }
        Margin {
            columns,
            labels,
            target,
            cell_group,
            members,
        }
    }
}

/// One cell of the cross-classification.
#[derive(Debug, Clone)]
pub(super) struct Cell {
    pub(super) codes: Vec<u32>,
    pub(super) acc: CellAcc,
}

/// The label and protected variables, for parity figures.
#[derive(Debug, Clone)]
struct FairVars {
    label: usize,
    protected: Vec<usize>,
    favourable: u32,
    favourable_name: String,
    parity_applied: bool,
}

/// A raking problem on cells.
pub(super) struct Problem {
    var_names: Vec<String>,
    var_levels: Vec<Vec<String>>,
    pub(super) cells: Vec<Cell>,
    margins: Vec<Margin>,
    total: f64,
    rows: u64,
    fair: Option<FairVars>,
}

/// The fitted cell factors.
pub(super) struct Solution {
    /// Final weight / start weight, per cell.
    pub(super) factors: Vec<f64>,
    iterations: usize,
    stop: StopReason,
}

impl Solution {
    /// Cell factors found elsewhere (raking at the person sums its people's weights per
    /// cell), for [`Problem::report`].
    pub(super) fn new(factors: Vec<f64>, iterations: usize, stop: StopReason) -> Solution {
        Solution {
            factors,
            iterations,
            stop,
        }
    }
}

fn plural(n: u64) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

impl Problem {
    /// Builds margins and checks the data against targets, parity and bounds; `None` (with
    /// diagnostics) when they cannot work.
    pub(super) fn build(
        p1: &CellSums,
        sorted_cells: &[(Vec<u32>, CellAcc)],
        opts: &Options,
        fairness: Option<&Fairness>,
        label_declared: Option<Vec<String>>,
        diags: &mut Vec<String>,
    ) -> Option<Problem> {
        let cells: Vec<Cell> = sorted_cells
            .iter()
            .map(|(codes, acc)| Cell {
                codes: codes.clone(),
                acc: *acc,
            })
            .collect();
        let var_names: Vec<String> = p1.vars.iter().map(|v| v.name.clone()).collect();
        let var_levels: Vec<Vec<String>> = p1.vars.iter().map(|v| v.levels.clone()).collect();
        let total: f64 = cells.iter().map(|c| c.acc.wsum).sum();
        let var_index = |name: &str| var_names.iter().position(|n| n == name);
        let rows_with = |k: usize, code: u32| -> u64 {
            cells
                .iter()
                .filter(|c| c.codes[k] == code)
                .map(|c| c.acc.rows)
                .sum()
        };

        let mut margins = Vec::new();
        let before = diags.len();
        for t in &opts.targets {
            let k = var_index(&t.column).expect("target columns are raking variables");
            let var = &p1.vars[k];
            for (code, (level, share)) in t.shares.iter().enumerate() {
                let n = rows_with(k, code as u32);
                if *share > 0.0 && n == 0 {
                    diags.push(format!(
                        "target level `{}: {level}` (share {share}) has no rows in the input\n    hint: remove the level from the targets, or check the spelling against the data",
                        t.column
                    ));
                } else if *share == 0.0 && n > 0 {
                    diags.push(format!(
                        "the target gives `{}: {level}` a share of 0, but {n} row{} have it\n    hint: drop those rows before reweighting (weights stay positive), or give the level a share",
                        t.column,
                        plural(n)
                    ));
                }
            }
            for code in var.fixed..var.levels.len() {
                let n = rows_with(k, code as u32);
                if n > 0 {
                    let level = &var.levels[code];
                    let what = match level.as_str() {
                        NULL_LEVEL => "no value".to_string(),
                        super::OUTSIDE_LEVEL => "a value outside its bins".to_string(),
                        l => format!("`{l}`"),
                    };
                    diags.push(format!(
                        "`{}` has {n} row{} with {what}, which the targets do not mention\n    hint: add a share for it to the targets for `{}`",
                        t.column,
                        plural(n),
                        t.column
                    ));
                }
            }
            if diags.len() > before {
                // Cells outside the target levels would index past the groups.
                continue;
            }
            margins.push(Margin::new(
                vec![t.column.clone()],
                t.shares.iter().map(|(l, _)| l.clone()).collect(),
                t.shares.iter().map(|(_, s)| *s).collect(),
                cells.iter().map(|c| c.codes[k] as usize).collect(),
            ));
        }
        if diags.len() > before {
            return None;
        }

        let mut fair = None;
        if let Some(f) = fairness {
            let label = var_index(&f.label).expect("the label is a raking variable");
            let protected: Vec<usize> = f
                .independent_of
                .iter()
                .map(|p| var_index(p).expect("protected columns are raking variables"))
                .collect();
            let levels = &var_levels[label];
            let seen: Vec<&str> = levels
                .iter()
                .filter(|l| *l != NULL_LEVEL)
                .map(String::as_str)
                .collect();
            let favourable = crate::schema::favourable_level(
                f.favourable.as_deref(),
                label_declared.as_deref(),
                &seen,
            )
            .and_then(|name| levels.iter().position(|l| *l == name));
            for &k in protected.iter().chain([&label]) {
                if let Some(null) = var_levels[k].iter().position(|l| l == NULL_LEVEL) {
                    let n = rows_with(k, null as u32);
                    if n > 0 {
                        diags.push(format!(
                            "`{}` has {n} row{} with no value; fairness needs every row to have a group and a label\n    hint: drop or fill those rows",
                            var_names[k],
                            plural(n)
                        ));
                    }
                }
            }
            let Some(favourable) = favourable else {
                diags.push(format!(
                    "the favourable label level `{}` does not occur in `{}`",
                    f.favourable.clone().unwrap_or_default(),
                    f.label
                ));
                return None;
            };
            fair = Some(FairVars {
                label,
                protected,
                favourable: favourable as u32,
                favourable_name: levels[favourable].clone(),
                parity_applied: opts.parity,
            });
        }
        if diags.len() > before {
            return None;
        }
        let mut problem = Problem {
            var_names,
            var_levels,
            cells,
            margins,
            total,
            rows: p1.rows,
            fair,
        };
        if let Some(f) = problem.fair.clone().filter(|f| f.parity_applied) {
            problem.add_parity_margin(&f, opts, diags)?;
        }
        problem.check_bounds(opts, diags);
        (diags.len() == before).then_some(problem)
    }

    /// The joint margin protected x label with targets T(s) * P(y): T from the demographic
    /// targets (their raked joint shares) or the start weights, P from the label's target or
    /// the start-weighted label rate.
    fn add_parity_margin(
        &mut self,
        f: &FairVars,
        opts: &Options,
        diags: &mut Vec<String>,
    ) -> Option<()> {
        let demographic = if self.margins.is_empty() {
            self.cells.iter().map(|c| c.acc.wsum).collect()
        } else {
            let start: Vec<f64> = self.cells.iter().map(|c| c.acc.wsum).collect();
            let (w, ..) = fit(
                &start,
                &self.margins,
                self.total,
                None,
                &self.cells,
                self.rows,
                opts.tolerance,
                opts.max_iterations,
            );
            w
        };
        let s_key = |c: &Cell| -> Vec<u32> { f.protected.iter().map(|&k| c.codes[k]).collect() };
        let mut groups_s: Vec<Vec<u32>> = self.cells.iter().map(s_key).collect();
        groups_s.sort();
        groups_s.dedup();
        let mut ys: Vec<u32> = self.cells.iter().map(|c| c.codes[f.label]).collect();
        ys.sort_unstable();
        ys.dedup();
        let t_s: Vec<f64> = groups_s
            .iter()
            .map(|s| {
                self.cells
                    .iter()
                    .zip(&demographic)
                    .filter(|(c, _)| &s_key(c) == s)
                    .map(|(_, w)| w)
                    .sum::<f64>()
                    / self.total
            })
            .collect();
        let label_target = self
            .margins
            .iter()
            .find(|m| m.columns == [self.var_names[f.label].clone()]);
        let p_y: Vec<f64> = ys
            .iter()
            .map(|&y| match label_target {
                Some(m) => m.target[y as usize],
                None => {
                    self.cells
                        .iter()
                        .filter(|c| c.codes[f.label] == y)
                        .map(|c| c.acc.wsum)
                        .sum::<f64>()
                        / self.total
                }
            })
            .collect();
        let mut labels = Vec::new();
        let mut target = Vec::new();
        let mut missing = Vec::new();
        for (si, s) in groups_s.iter().enumerate() {
            for (yi, &y) in ys.iter().enumerate() {
                let name = self.joint_label(&f.protected, s, f.label, y);
                let present = self
                    .cells
                    .iter()
                    .any(|c| &s_key(c) == s && c.codes[f.label] == y);
                if !present && t_s[si] > 0.0 && p_y[yi] > 0.0 {
                    missing.push(name.clone());
                }
                labels.push(name);
                target.push(t_s[si] * p_y[yi]);
            }
        }
        if !missing.is_empty() {
            diags.push(format!(
                "label parity needs every protected group to have every label, but no rows have {}\n    hint: merge small groups, or reweight without parity (--no-parity)",
                missing.iter().map(|m| format!("`{m}`")).collect::<Vec<_>>().join(", ")
            ));
            return None;
        }
        let cell_group = self
            .cells
            .iter()
            .map(|c| {
                let si = groups_s.binary_search(&s_key(c)).expect("group of a cell");
                let yi = ys
                    .binary_search(&c.codes[f.label])
                    .expect("label of a cell");
                si * ys.len() + yi
            })
            .collect();
        let mut columns: Vec<String> = f
            .protected
            .iter()
            .map(|&k| self.var_names[k].clone())
            .collect();
        columns.push(self.var_names[f.label].clone());
        self.margins
            .push(Margin::new(columns, labels, target, cell_group));
        Some(())
    }

    /// The margins: the targets' (in their order), then the label-parity margin if applied.
    pub(super) fn margins(&self) -> &[Margin] {
        &self.margins
    }

    fn joint_label(&self, protected: &[usize], s: &[u32], label: usize, y: u32) -> String {
        let mut parts: Vec<String> = protected
            .iter()
            .zip(s)
            .map(|(&k, &c)| format!("{}={}", self.var_names[k], self.var_levels[k][c as usize]))
            .collect();
        parts.push(format!(
            "{}={}",
            self.var_names[label], self.var_levels[label][y as usize]
        ));
        parts.join(" & ")
    }

    fn check_bounds(&self, opts: &Options, diags: &mut Vec<String>) {
        let (lo, hi) = (
            opts.min_weight.unwrap_or(0.0),
            opts.max_weight.unwrap_or(f64::INFINITY),
        );
        if opts.min_weight.is_none() && opts.max_weight.is_none() {
            return;
        }
        // Bounds apply to every row: d * g within [lo, hi] * mean for all d of a cell.
        if let Some(c) = self
            .cells
            .iter()
            .find(|c| c.acc.dmax / c.acc.dmin > hi / lo)
        {
            diags.push(format!(
                "bounds cannot be met: start weights in one cell range from {} to {} (ratio {:.3}), more than --max-weight / --min-weight = {:.3} allows\n    hint: widen the bounds, or rake with --no-start-weights",
                c.acc.dmin,
                c.acc.dmax,
                c.acc.dmax / c.acc.dmin,
                hi / lo
            ));
            return;
        }
        // The weights keep their total (so the mean the bounds are relative to stays put): the
        // cells' limits must leave room for it. A cell's factor is capped by its largest start
        // weight, so start weights that vary within cells can make the total unreachable.
        let limits = cell_limits(&self.cells, (lo, hi), self.total, self.rows);
        let n = self.rows as f64;
        let (sum_lo, sum_hi) = limits
            .iter()
            .fold((0.0, 0.0), |(a, b), (lo, hi)| (a + lo, b + hi));
        let slack = 1e-12 * self.total;
        if sum_hi < self.total - slack {
            // The smallest --max-weight whose limits reach the total.
            let need = n / self
                .cells
                .iter()
                .map(|c| c.acc.wsum / c.acc.dmax)
                .sum::<f64>();
            diags.push(format!(
                "bounds cannot be met: with --max-weight {hi} the weights cannot keep their total (and so their mean): every row of a cell shares one factor, which the cell's largest start weight caps, and with these start weights all rows at their cap reach only {:.1} % of the total\n    hint: raise --max-weight to more than {need:.3} (the least that keeps the total; reaching the targets needs more), or rake with --no-start-weights",
                100.0 * sum_hi / self.total
            ));
        }
        if sum_lo > self.total + slack {
            let need = n / self
                .cells
                .iter()
                .map(|c| c.acc.wsum / c.acc.dmin)
                .sum::<f64>();
            diags.push(format!(
                "bounds cannot be met: with --min-weight {lo} the weights cannot keep their total (and so their mean): every row of a cell shares one factor, which the cell's smallest start weight holds up, and with these start weights all rows at their floor already exceed the total by {:.1} %\n    hint: lower --min-weight to less than {need:.3}, or rake with --no-start-weights",
                100.0 * (sum_lo / self.total - 1.0)
            ));
        }
    }

    /// With bounds, raking that cannot reach the targets returns its closest sweep (the
    /// smallest largest |share - target| over every margin); when even that is further from the
    /// targets than the start weights, the bounds cost more than raking gains, and that is
    /// reported rather than written.
    pub(super) fn worse_than_start(&self, sol: &Solution, opts: &Options) -> Option<String> {
        if (opts.min_weight.is_none() && opts.max_weight.is_none())
            || sol.stop == StopReason::Converged
        {
            return None;
        }
        let start: Vec<f64> = self.cells.iter().map(|c| c.acc.wsum).collect();
        let after: Vec<f64> = start.iter().zip(&sol.factors).map(|(w, g)| w * g).collect();
        let b = margin_errors(&self.margins, &start, self.total);
        let a = margin_errors(&self.margins, &after, self.total);
        let worst = |e: &[f64]| e.iter().copied().fold(0.0, f64::max);
        if worst(&a) <= worst(&b) {
            return None;
        }
        let margins: Vec<String> = self
            .margins
            .iter()
            .zip(b.iter().zip(&a))
            .map(|(m, (b, a))| format!("{} {b:.3} -> {a:.3}", m.columns.join(" x ")))
            .collect();
        let bound = |flag: &str, v: Option<f64>| v.map(|v| format!("{flag} {v}"));
        let given: Vec<String> = [
            bound("--min-weight", opts.min_weight),
            bound("--max-weight", opts.max_weight),
        ]
        .into_iter()
        .flatten()
        .collect();
        Some(format!(
            "bounds cannot be met: with {} even the closest sweep of the bounded raking is further from the targets than the start weights (largest |share - target| over every margin {:.3}, against {:.3} at the start; per margin: {})\n    hint: widen the bounds, or reweight without them",
            given.join(" and "),
            worst(&a),
            worst(&b),
            margins.join(", ")
        ))
    }

    /// Runs the iteration.
    pub(super) fn solve(&self, opts: &Options) -> Solution {
        let start: Vec<f64> = self.cells.iter().map(|c| c.acc.wsum).collect();
        let bounds = (opts.min_weight.is_some() || opts.max_weight.is_some()).then(|| {
            (
                opts.min_weight.unwrap_or(0.0),
                opts.max_weight.unwrap_or(f64::INFINITY),
            )
        });
        let (w, iterations, stop) = fit(
            &start,
            &self.margins,
            self.total,
            bounds,
            &self.cells,
            self.rows,
            opts.tolerance,
            opts.max_iterations,
        );
        let factors = w.iter().zip(&start).map(|(w, s)| w / s).collect();
        Solution {
            factors,
            iterations,
            stop,
        }
    }

    /// When the margins contradict each other for this data (a level reachable only through
    /// cells that another margin must empty), raking drives some cells to zero weight. That is
    /// reported rather than written: weights must stay positive.
    pub(super) fn degenerate(&self, sol: &Solution, opts: &Options) -> Option<String> {
        // A row weight below 1e-9 of the mean is a weight the iteration is driving to zero.
        let floor = 1e-9 * self.total / self.rows as f64;
        let zero: Vec<usize> = (0..self.cells.len())
            .filter(|&c| {
                let g = sol.factors[c];
                !(g.is_finite() && g * self.cells[c].acc.dmax > floor)
            })
            .collect();
        let first = *zero.first()?;
        let rows: u64 = zero.iter().map(|&c| self.cells[c].acc.rows).sum();
        let cell: Vec<String> = self
            .var_names
            .iter()
            .zip(&self.cells[first].codes)
            .enumerate()
            .map(|(k, (n, &code))| format!("{n}={}", self.var_levels[k][code as usize]))
            .collect();
        let s = if rows == 1 { "" } else { "s" };
        // An upper bound alone can leave the targets out of reach so that raking squeezes
        // other rows towards zero to make room: that is the bounds' doing, not the margins'.
        if let Some(hi) = opts.max_weight.filter(|_| opts.min_weight.is_none()) {
            return Some(format!(
                "bounds cannot be met: with --max-weight {hi} the targets are out of reach, and raking drives the weights of {rows} row{s} to zero to make room (first: {})\n    hint: give the weights a floor with --min-weight (0.01, say) to get the closest shares within the bounds, or raise --max-weight",
                cell.join(" & ")
            ));
        }
        Some(format!(
            "the targets cannot all be met with this data: raking drives the weights of {rows} row{s} to zero (first: {})\n    hint: the margins contradict each other for these rows' combinations of levels; check the targets against the data, or bound the weights with --min-weight to get the closest reachable shares",
            cell.join(" & ")
        ))
    }

    /// The report figures, all from the cells.
    pub(super) fn report(
        &self,
        sol: &Solution,
        opts: &Options,
        rows: u64,
        weight: &Option<String>,
    ) -> Report {
        let after: Vec<f64> = self
            .cells
            .iter()
            .zip(&sol.factors)
            .map(|(c, g)| c.acc.wsum * g)
            .collect();
        let before: Vec<f64> = self.cells.iter().map(|c| c.acc.wsum).collect();
        let margins: Vec<MarginReport> = self
            .margins
            .iter()
            .map(|m| {
                let b = group_shares(m, &before, self.total);
                let a = group_shares(m, &after, self.total);
                MarginReport::new(m.columns.clone(), &m.labels, &m.target, &b, &a)
            })
            .collect();
        let n = rows as f64;
        let sum_w: f64 = after.iter().sum();
        let sum_w2: f64 = self
            .cells
            .iter()
            .zip(&sol.factors)
            .map(|(c, g)| g * g * c.acc.wsq)
            .sum();
        let deff = n * sum_w2 / (sum_w * sum_w);
        let weights = WeightReport {
            min: self
                .cells
                .iter()
                .zip(&sol.factors)
                .map(|(c, g)| g * c.acc.dmin)
                .fold(f64::INFINITY, f64::min),
            max: self
                .cells
                .iter()
                .zip(&sol.factors)
                .map(|(c, g)| g * c.acc.dmax)
                .fold(0.0, f64::max),
            mean: sum_w / n,
            cv: (deff - 1.0).max(0.0).sqrt(),
            design_effect: deff,
            effective_sample_size: sum_w * sum_w / sum_w2,
            histogram: None,
        };
        let fairness = self
            .fair
            .as_ref()
            .map(|f| self.fairness_report(f, &before, &after));
        let converged = margins.iter().all(|m| m.max_abs_error <= opts.tolerance);
        Report {
            rows,
            rows_written: 0,
            start_weights: weight.clone().unwrap_or_else(|| "unit".into()),
            total_weight: self.total,
            cells: self.cells.len(),
            iterations: sol.iterations,
            stop_reason: sol.stop,
            converged,
            tolerance: opts.tolerance,
            bounds: (opts.min_weight.is_some() || opts.max_weight.is_some()).then(|| {
                (
                    opts.min_weight.unwrap_or(0.0),
                    opts.max_weight.unwrap_or(f64::INFINITY),
                )
            }),
            margins,
            weights,
            fairness,
            dropped_identifiers: Vec::new(),
            resample: opts.resample.map(|n| (n, opts.seed)),
        }
    }

    fn fairness_report(&self, f: &FairVars, before: &[f64], after: &[f64]) -> FairnessReport {
        let mut sets: Vec<Vec<usize>> = f.protected.iter().map(|&k| vec![k]).collect();
        if f.protected.len() > 1 {
            sets.push(f.protected.clone());
        }
        let attributes = sets
            .iter()
            .map(|set| {
                let key = |c: &Cell| -> Vec<u32> { set.iter().map(|&k| c.codes[k]).collect() };
                let mut groups: Vec<Vec<u32>> = self.cells.iter().map(key).collect();
                groups.sort();
                groups.dedup();
                let rate = |w: &[f64], g: &Vec<u32>| -> f64 {
                    let (mut fav, mut all) = (0.0, 0.0);
                    for (c, w) in self.cells.iter().zip(w) {
                        if &key(c) == g {
                            all += w;
                            if c.codes[f.label] == f.favourable {
                                fav += w;
                            }
                        }
                    }
                    if all > 0.0 {
                        fav / all
                    } else {
                        0.0
                    }
                };
                let rates: Vec<GroupRate> = groups
                    .iter()
                    .map(|g| GroupRate {
                        group: set
                            .iter()
                            .zip(g)
                            .map(|(&k, &c)| self.var_levels[k][c as usize].clone())
                            .collect::<Vec<_>>()
                            .join(" & "),
                        rate_before: rate(before, g),
                        rate_after: rate(after, g),
                    })
                    .collect();
                let spread = |f: fn(&GroupRate) -> f64| {
                    let lo = rates.iter().map(f).fold(f64::INFINITY, f64::min);
                    let hi = rates.iter().map(f).fold(0.0, f64::max);
                    (lo - hi, if hi > 0.0 { lo / hi } else { 1.0 })
                };
                let (spd_before, di_before) = spread(|r| r.rate_before);
                let (spd_after, di_after) = spread(|r| r.rate_after);
                AttributeReport {
                    column: set
                        .iter()
                        .map(|&k| self.var_names[k].clone())
                        .collect::<Vec<_>>()
                        .join(" & "),
                    groups: rates,
                    spd_before,
                    spd_after,
                    di_before,
                    di_after,
                }
            })
            .collect();
        FairnessReport {
            label: self.var_names[f.label].clone(),
            favourable: f.favourable_name.clone(),
            parity_applied: f.parity_applied,
            attributes,
        }
    }
}

fn group_shares(m: &Margin, w: &[f64], total: f64) -> Vec<f64> {
    let mut s = vec![0.0; m.labels.len()];
    for (g, w) in m.cell_group.iter().zip(w) {
        s[*g] += w;
    }
    s.iter_mut().for_each(|x| *x /= total);
    s
}

/// Raking of plain cell weights without bounds, for callers outside `reweight` (the model
/// sampler rakes its joint table of protected cells to targets). Each margin is the group of
/// every cell and the target share of every group. Returns the raked weights (same total),
/// the sweeps used and why raking stopped.
pub(crate) fn rake_cells(
    start: &[f64],
    margins: &[(Vec<usize>, Vec<f64>)],
    tolerance: f64,
    max_iterations: usize,
) -> (Vec<f64>, usize, StopReason) {
    let margins: Vec<Margin> = margins
        .iter()
        .map(|(groups, target)| {
            Margin::new(
                Vec::new(),
                vec![String::new(); target.len()],
                target.clone(),
                groups.clone(),
            )
        })
        .collect();
    let total: f64 = start.iter().sum();
    fit(
        start,
        &margins,
        total,
        None,
        &[],
        1,
        tolerance,
        max_iterations,
    )
}

/// Raking: scales cell weights margin by margin until every group share is within
/// `tolerance` of its target. With `bounds` (relative to the mean weight) every step is a
/// bounded step ([`bounded::margin_step`]): each cell stays within the limits the bounds give
/// its rows, and the weights keep their total, so the mean weight the bounds are relative to
/// does not move. When the bounds make the targets unreachable the iteration cycles without
/// converging; it then returns the sweep that came closest (the smallest largest error), not
/// merely the last. Returns the cell weights, sweeps and stop reason.
#[allow(clippy::too_many_arguments)]
fn fit(
    start: &[f64],
    margins: &[Margin],
    total: f64,
    bounds: Option<(f64, f64)>,
    cells: &[Cell],
    rows: u64,
    tolerance: f64,
    max_iterations: usize,
) -> (Vec<f64>, usize, StopReason) {
    let mut w = start.to_vec();
    let limits: Vec<(f64, f64)> = match bounds {
        Some(b) => cell_limits(cells, b, total, rows),
        None => Vec::new(),
    };
    let groups: Vec<Vec<(f64, f64)>> = margins
        .iter()
        .map(|m| {
            if limits.is_empty() {
                Vec::new()
            } else {
                bounded::group_limits(&m.members, &limits)
            }
        })
        .collect();
    let mut totals: Vec<Vec<f64>> = margins.iter().map(|m| vec![0.0; m.labels.len()]).collect();
    // With bounds, the sweep kept is the closest: the smallest largest error.
    let mut best: Option<(f64, Vec<f64>)> = None;
    for iteration in 1..=max_iterations {
        for ((m, tot), g) in margins.iter().zip(totals.iter_mut()).zip(&groups) {
            if limits.is_empty() {
                tot.iter_mut().for_each(|x| *x = 0.0);
                for (g, wc) in m.cell_group.iter().zip(&w) {
                    tot[*g] += wc;
                }
                let factor: Vec<f64> = tot
                    .iter()
                    .zip(&m.target)
                    .map(|(t, target)| if *t > 0.0 { target * total / t } else { 1.0 })
                    .collect();
                for (g, wc) in m.cell_group.iter().zip(w.iter_mut()) {
                    *wc *= factor[*g];
                }
            } else {
                bounded::margin_step(&mut w, &m.members, &m.target, g, &limits, total);
            }
        }
        let errors = margin_errors(margins, &w, total);
        let worst = errors.iter().copied().fold(0.0, f64::max);
        if worst <= tolerance {
            return (w, iteration, StopReason::Converged);
        }
        if !limits.is_empty() && best.as_ref().is_none_or(|(b, _)| worst < *b) {
            best = Some((worst, w.clone()));
        }
    }
    let w = best.map_or(w, |(_, w)| w);
    (w, max_iterations, StopReason::MaxIterations)
}

/// Per margin, the largest |share - target| over its groups.
fn margin_errors(margins: &[Margin], w: &[f64], total: f64) -> Vec<f64> {
    margins
        .iter()
        .map(|m| {
            group_shares(m, w, total)
                .iter()
                .zip(&m.target)
                .map(|(a, t)| (a - t).abs())
                .fold(0.0, f64::max)
        })
        .collect()
}

/// The range of each cell's total weight under the bounds `(lo, hi)` relative to the mean
/// weight `total / rows`: every row of a cell shares its factor g, so `lo * mean <= g * d <=
/// hi * mean` for all its start weights d bounds g by the cell's smallest and largest d.
fn cell_limits(cells: &[Cell], (lo, hi): (f64, f64), total: f64, rows: u64) -> Vec<(f64, f64)> {
    let mean = total / rows as f64;
    cells
        .iter()
        .map(|c| {
            (
                lo * mean / c.acc.dmin * c.acc.wsum,
                hi * mean / c.acc.dmax * c.acc.wsum,
            )
        })
        .collect()
}
