//! Fidelity against what was asked: when a synthetic table was drawn to target shares
//! (`sample --targets`), the real table is raked to the same targets and the synthetic table
//! is scored against that reweighted real table too, beside the plain figures.
//!
//! The targets come from a targets file or from the provenance `sample` records in the
//! synthetic Parquet file (its sampling report). The raking is the library's IPF
//! (`reweight::rake_cells`) on the cells of the target columns of the in-memory real
//! table; every row of a cell gets the cell's factor. The figures are the plain fidelity
//! figures with the real rows weighted ([`crate::metrics::weighted`]).

use rayon::prelude::*;
use serde::Serialize;

use super::data::{Aligned, Data};
use super::fidelity::{self, ColumnScore, Fidelity, PairScore};
use super::EvaluateError;
use crate::io::read::{Format, Input};
use crate::io::table::NULL;
use crate::metrics::weighted;
use crate::reweight::StopReason;
use crate::schema::{Pos, Schema, Target};

/// Which targets `evaluate` scores against, besides the real table as it is.
#[derive(Debug, Clone, Default)]
pub enum Targets {
    /// The targets recorded in the synthetic table's provenance (a Parquet file written by
    /// `sample --targets` or `--schema-targets`), if there are any.
    #[default]
    Recorded,
    /// These targets (a targets file); `source` names them in the report.
    Given {
        /// The targets.
        targets: Vec<Target>,
        /// Where they come from, e.g. the targets file's path.
        source: String,
    },
    /// None: the plain figures only.
    Off,
}

/// One level of a target column: what was asked, the real share before and after raking, and
/// the synthetic share.
#[derive(Debug, Clone, Serialize)]
pub struct LevelShares {
    /// The level (a band label for a binned number); `(not listed)` gathers the levels the
    /// targets do not name and nulls (target 0).
    pub level: String,
    /// The target share.
    pub target: f64,
    /// Share in the real table.
    pub real: f64,
    /// Share in the real table reweighted to the targets.
    pub reweighted: f64,
    /// Share in the synthetic table.
    pub synthetic: f64,
}

/// One target column.
#[derive(Debug, Clone, Serialize)]
pub struct ColumnShares {
    /// The column.
    pub column: String,
    /// Its levels, in the targets' order.
    pub levels: Vec<LevelShares>,
}

/// Fidelity against the real table reweighted to the targets.
#[derive(Debug, Clone, Serialize)]
pub struct TargetsReport {
    /// Where the targets come from: `--targets FILE`, or the synthetic table's provenance.
    pub source: String,
    /// Raking sweeps.
    pub iterations: usize,
    /// Whether every target share was reached within 1e-9.
    pub converged: bool,
    /// Kish's effective number of real rows under the weights, (sum w)^2 / sum w^2.
    pub effective_rows: f64,
    /// Smallest and largest row weight (mean 1) among rows kept (weight above 0).
    pub weight_range: [f64; 2],
    /// Real rows given weight 0 (levels whose target is 0).
    pub rows_dropped: usize,
    /// The shares per target column.
    pub shares: Vec<ColumnShares>,
    /// The fidelity figures against the reweighted real table (same layout as the plain
    /// ones): weighted TVD, KS, Pearson r and contingency tables of the real side.
    pub fidelity: Fidelity,
}

/// The targets recorded in the provenance of `sample` (the `fairsynth` metadata key of a
/// Parquet file, or of an in-memory table's schema): `Ok(None)` when the input has no
/// provenance, was not written by `sample`, or was sampled without targets.
pub fn recorded(input: &Input) -> Result<Option<Vec<Target>>, EvaluateError> {
    let text = match input {
        Input::File {
            path,
            format: Format::Parquet,
            ..
        } => {
            let builder = crate::io::read::open_parquet(path)
                .map_err(|e| EvaluateError::Input(e.to_string()))?
                .builder;
            builder
                .metadata()
                .file_metadata()
                .key_value_metadata()
                .and_then(|kv| {
                    kv.iter()
                        .find(|k| k.key == crate::io::METADATA_KEY)
                        .and_then(|k| k.value.clone())
                })
        }
        Input::File { .. } => None,
        Input::Memory(b) => b.schema().metadata().get(crate::io::METADATA_KEY).cloned(),
    };
    let Some(text) = text else {
        return Ok(None);
    };
    let bad = |why: &str| {
        EvaluateError::Input(format!(
            "`{}`: the recorded sampling targets cannot be read: {why}\n    hint: pass the targets the sample was drawn to with --targets FILE",
            input.label().display()
        ))
    };
    let v: serde_json::Value = serde_json::from_str(&text).map_err(|e| bad(&e.to_string()))?;
    if v.get("command").and_then(|c| c.as_str()) != Some("sample") {
        return Ok(None);
    }
    let Some(list) = v.pointer("/sampling/targets").and_then(|t| t.as_array()) else {
        return Ok(None);
    };
    let mut out = Vec::new();
    for t in list {
        let column = t
            .get("column")
            .and_then(|c| c.as_str())
            .ok_or_else(|| bad("a target without `column`"))?;
        let levels = t
            .get("levels")
            .and_then(|l| l.as_array())
            .ok_or_else(|| bad("a target without `levels`"))?;
        let shares = levels
            .iter()
            .map(|l| {
                let level = l.get("level").and_then(|x| x.as_str());
                let share = l.get("target").and_then(|x| x.as_f64());
                level
                    .zip(share)
                    .map(|(a, b)| (a.to_string(), b))
                    .ok_or_else(|| bad("a level without `level` or `target`"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        out.push(Target {
            column: column.to_string(),
            shares,
            pos: Pos::default(),
        });
    }
    Ok((!out.is_empty()).then_some(out))
}

/// The group (index into the target's shares; `shares.len()` for an unlisted level or null)
/// of every row of one side of a target column.
fn groups(t: &Target, data: &Data, bins: Option<&crate::schema::Bins>, real: bool) -> Vec<u32> {
    let n = t.shares.len() as u32;
    let index = |label: &str| -> u32 {
        t.shares
            .iter()
            .position(|(l, _)| l == label)
            .map_or(n, |i| i as u32)
    };
    match data {
        Data::Cat {
            levels,
            real: r,
            syn,
            ..
        } => {
            let map: Vec<u32> = levels.iter().map(|l| index(l)).collect();
            let codes = if real { r } else { syn };
            codes
                .iter()
                .map(|c| if *c == NULL { n } else { map[*c as usize] })
                .collect()
        }
        Data::Num { real: r, syn, .. } => {
            let Some(bins) = bins else {
                return vec![n; if real { r.len() } else { syn.len() }];
            };
            let map: Vec<u32> = bins.labels.iter().map(|l| index(l)).collect();
            let values = if real { r } else { syn };
            values
                .iter()
                .map(|v| bins.band(*v).map_or(n, |b| map[b]))
                .collect()
        }
    }
}

/// Rakes the real table to `targets` and scores the synthetic table against it. Errors name
/// a target column that is not evaluated, a number without bins, or a level the real table
/// never has but the targets give a share.
pub(crate) fn against(
    t: &Aligned,
    targets: &[Target],
    source: String,
    schema: &Schema,
) -> Result<TargetsReport, EvaluateError> {
    let bad = |m: String| EvaluateError::Input(format!("targets ({source}): {m}"));
    // Group codes of every target column, real and synthetic.
    let mut real_groups = Vec::new();
    let mut syn_groups = Vec::new();
    for tg in targets {
        let Some(c) = t.column(&tg.column) else {
            return Err(bad(format!(
                "column `{}` is not evaluated (not in both tables, or an identifier or weight)",
                tg.column
            )));
        };
        let bins = schema.column(&tg.column).and_then(|d| d.bins.as_ref());
        if matches!(c.data, Data::Num { .. }) && bins.is_none() {
            return Err(bad(format!(
                "column `{}` is numeric without `bins`, so its targets name no level\n    hint: give the column `bins` in the schema",
                tg.column
            )));
        }
        real_groups.push(groups(tg, &c.data, bins, true));
        syn_groups.push(groups(tg, &c.data, bins, false));
    }
    // Cells of the cross-classification (mixed radix over the group codes), in first-seen
    // order so the result does not depend on anything but the rows.
    let radix: Vec<u64> = targets.iter().map(|t| t.shares.len() as u64 + 1).collect();
    let mut cell_of_key = crate::hash::FastMap::default();
    let mut cell_keys: Vec<Vec<u32>> = Vec::new();
    let mut counts: Vec<f64> = Vec::new();
    let row_cell: Vec<usize> = (0..t.real_rows)
        .map(|r| {
            let key = real_groups
                .iter()
                .zip(&radix)
                .fold(0u128, |k, (g, m)| k * u128::from(*m) + u128::from(g[r]));
            let next = cell_keys.len();
            let cell = *cell_of_key.entry(key).or_insert(next);
            if cell == next {
                cell_keys.push(real_groups.iter().map(|g| g[r]).collect());
                counts.push(0.0);
            }
            counts[cell] += 1.0;
            cell
        })
        .collect();
    let mut margins = Vec::new();
    for (k, tg) in targets.iter().enumerate() {
        let n = tg.shares.len();
        for (g, (level, share)) in tg.shares.iter().enumerate() {
            if *share > 0.0 && !cell_keys.iter().any(|key| key[k] as usize == g) {
                return Err(bad(format!(
                    "level `{}: {level}` (share {share}) never occurs in the real table, so no reweighting reaches it",
                    tg.column
                )));
            }
        }
        let groups: Vec<usize> = cell_keys.iter().map(|key| key[k] as usize).collect();
        let mut target: Vec<f64> = tg.shares.iter().map(|s| s.1).collect();
        target.push(0.0);
        debug_assert_eq!(target.len(), n + 1);
        margins.push((groups, target));
    }
    let (raked, iterations, stop) = crate::reweight::rake_cells(&counts, &margins, 1e-9, 5000);
    // Row weight: the cell's factor, so the weights have mean 1 over the real rows.
    let factor: Vec<f64> = raked
        .iter()
        .zip(&counts)
        .map(|(w, c)| if *c > 0.0 { w / c } else { 0.0 })
        .collect();
    let weights: Vec<f64> = row_cell.iter().map(|c| factor[*c]).collect();
    let (sw, sw2) = weights
        .iter()
        .fold((0.0, 0.0), |(a, b), w| (a + w, b + w * w));
    let kept = weights.iter().filter(|w| **w > 0.0);
    let weight_range = kept.fold([f64::INFINITY, 0.0f64], |[lo, hi], w| {
        [lo.min(*w), hi.max(*w)]
    });
    let shares = targets
        .iter()
        .enumerate()
        .map(|(k, tg)| {
            let n = tg.shares.len();
            let share = |g: &[u32], w: Option<&[f64]>| -> Vec<f64> {
                let mut s = vec![0.0; n + 1];
                for (i, x) in g.iter().enumerate() {
                    s[*x as usize] += w.map_or(1.0, |w| w[i]);
                }
                let total: f64 = s.iter().sum();
                s.iter().map(|x| x / total.max(f64::MIN_POSITIVE)).collect()
            };
            let real = share(&real_groups[k], None);
            let rew = share(&real_groups[k], Some(&weights));
            let syn = share(&syn_groups[k], None);
            let mut levels: Vec<LevelShares> = tg
                .shares
                .iter()
                .enumerate()
                .map(|(g, (level, target))| LevelShares {
                    level: level.clone(),
                    target: *target,
                    real: real[g],
                    reweighted: rew[g],
                    synthetic: syn[g],
                })
                .collect();
            if real[n] > 0.0 || syn[n] > 0.0 {
                levels.push(LevelShares {
                    level: "(not listed)".into(),
                    target: 0.0,
                    real: real[n],
                    reweighted: rew[n],
                    synthetic: syn[n],
                });
            }
            ColumnShares {
                column: tg.column.clone(),
                levels,
            }
        })
        .collect();
    Ok(TargetsReport {
        source,
        iterations,
        converged: stop == StopReason::Converged,
        effective_rows: if sw2 > 0.0 { sw * sw / sw2 } else { 0.0 },
        weight_range: if weight_range[0].is_finite() {
            weight_range
        } else {
            [0.0, 0.0]
        },
        rows_dropped: weights.iter().filter(|w| **w <= 0.0).count(),
        shares,
        fidelity: weighted_fidelity(t, &weights),
    })
}

/// Weighted share of `is_null` rows.
fn null_share<T>(v: &[T], w: &[f64], is_null: impl Fn(&T) -> bool) -> f64 {
    let (mut a, mut b) = (0.0, 0.0);
    for (x, w) in v.iter().zip(w) {
        b += w;
        if is_null(x) {
            a += w;
        }
    }
    if b > 0.0 {
        a / b
    } else {
        0.0
    }
}

/// [`fidelity::fidelity`] with the real rows weighted: the same columns, pairs and metrics
/// (weighted TVD, KS, Pearson r and contingency tables on the real side). A figure the
/// weights leave undefined (no real mass) scores 0.
pub(crate) fn weighted_fidelity(t: &Aligned, w: &[f64]) -> Fidelity {
    let columns: Vec<ColumnScore> = t
        .columns
        .par_iter()
        .map(|c| match &c.data {
            Data::Num { real, syn, .. } => {
                let nr = null_share(real, w, |v| v.is_nan());
                let ns = null_share(syn, &vec![1.0; syn.len()], |v| v.is_nan());
                let score = match weighted::ks_statistic(real, w, syn) {
                    Some(ks) => 1.0 - ks,
                    None => f64::from(u8::from(nr == ns)),
                };
                ColumnScore {
                    column: c.decl.name.clone(),
                    metric: "ks",
                    score,
                    null_share_real: nr,
                    null_share_synthetic: ns,
                    new_levels: vec![],
                }
            }
            Data::Cat {
                levels, real, syn, ..
            } => {
                let d = fidelity::dense_codes(levels.len(), real, syn);
                let mut mass = vec![0.0; levels.len()];
                let mut seen_syn = vec![false; levels.len()];
                for (c, x) in real.iter().zip(w).filter(|(c, _)| **c != NULL) {
                    mass[*c as usize] += x;
                }
                for c in syn.iter().filter(|c| **c != NULL) {
                    seen_syn[*c as usize] = true;
                }
                ColumnScore {
                    column: c.decl.name.clone(),
                    metric: "tvd",
                    score: weighted::tvd_codes(&d.real, w, &d.syn, d.size).map_or(0.0, |t| 1.0 - t),
                    null_share_real: null_share(real, w, |c| *c == NULL),
                    null_share_synthetic: null_share(syn, &vec![1.0; syn.len()], |c| *c == NULL),
                    new_levels: levels
                        .iter()
                        .enumerate()
                        .filter(|(i, _)| seen_syn[*i] && mass[*i] <= 0.0)
                        .map(|(_, l)| l.clone())
                        .collect(),
                }
            }
        })
        .collect();
    let dense: Vec<fidelity::Dense> = t
        .columns
        .par_iter()
        .map(|c| match &c.data {
            Data::Num { real, syn, .. } => fidelity::bin(real, syn),
            Data::Cat {
                levels, real, syn, ..
            } => fidelity::dense_codes(levels.len(), real, syn),
        })
        .collect();
    let n = t.columns.len();
    let pairs_idx: Vec<(usize, usize)> = (0..n)
        .flat_map(|i| (i + 1..n).map(move |j| (i, j)))
        .collect();
    let pairs: Vec<PairScore> = pairs_idx
        .par_iter()
        .map(|&(i, j)| {
            let (a, b) = (&t.columns[i], &t.columns[j]);
            let names = [a.decl.name.clone(), b.decl.name.clone()];
            if let (
                Data::Num {
                    real: ra, syn: sa, ..
                },
                Data::Num {
                    real: rb, syn: sb, ..
                },
            ) = (&a.data, &b.data)
            {
                let mut x = Vec::new();
                let mut y = Vec::new();
                let mut ww = Vec::new();
                for ((p, q), v) in ra.iter().zip(rb).zip(w) {
                    if !p.is_nan() && !q.is_nan() {
                        x.push(*p);
                        y.push(*q);
                        ww.push(*v);
                    }
                }
                let (u, v) = fidelity::complete(sa, sb);
                let cr = weighted::pearson(&x, &y, &ww);
                let cs = crate::metrics::pearson(&u, &v);
                if let (Some(r), Some(s)) = (cr, cs) {
                    return PairScore {
                        columns: names,
                        metric: "correlation",
                        score: 1.0 - (r - s).abs() / 2.0,
                        correlation_real: cr,
                        correlation_synthetic: cs,
                    };
                }
            }
            let (da, db) = (&dense[i], &dense[j]);
            PairScore {
                columns: names,
                metric: "contingency",
                score: weighted::contingency_similarity_codes(
                    (&da.real, &db.real),
                    w,
                    (&da.syn, &db.syn),
                    (da.size, db.size),
                )
                .unwrap_or(0.0),
                correlation_real: None,
                correlation_synthetic: None,
            }
        })
        .collect();
    let column_mean = fidelity::mean(columns.iter().map(|c| c.score));
    let pair_mean = (!pairs.is_empty()).then(|| fidelity::mean(pairs.iter().map(|p| p.score)));
    Fidelity {
        overall: pair_mean.map_or(column_mean, |p| (column_mean + p) / 2.0),
        column_mean,
        pair_mean,
        columns,
        pairs,
    }
}

/// The summary lines of [`TargetsReport`]: the reweighted figures beside the plain ones are
/// printed by the caller.
pub(crate) fn summary(t: &TargetsReport) -> String {
    use std::fmt::Write;
    let mut s = String::new();
    let f = &t.fidelity;
    let _ = writeln!(
        s,
        "fidelity against the real table reweighted to the targets ({}): overall {:.3} (columns {:.3}, pairs {}); effective real rows {:.0}, weights {:.3}..{:.3}",
        t.source,
        f.overall,
        f.column_mean,
        f.pair_mean.map_or("-".to_string(), |p| format!("{p:.3}")),
        t.effective_rows,
        t.weight_range[0],
        t.weight_range[1]
    );
    let mut cols: Vec<&ColumnScore> = f.columns.iter().collect();
    cols.sort_by(|a, b| a.score.total_cmp(&b.score));
    let worst: Vec<String> = cols
        .iter()
        .take(3)
        .map(|c| format!("{} {:.3} ({})", c.column, c.score, c.metric))
        .collect();
    let _ = writeln!(s, "  worst columns: {}", worst.join(", "));
    let mut pairs: Vec<&PairScore> = f.pairs.iter().collect();
    pairs.sort_by(|a, b| a.score.total_cmp(&b.score));
    if !pairs.is_empty() {
        let worst: Vec<String> = pairs
            .iter()
            .take(3)
            .map(|p| {
                format!(
                    "{} x {} {:.3} ({})",
                    p.columns[0], p.columns[1], p.score, p.metric
                )
            })
            .collect();
        let _ = writeln!(s, "  worst pairs: {}", worst.join(", "));
    }
    for c in &t.shares {
        let levels: Vec<String> = c
            .levels
            .iter()
            .map(|l| {
                format!(
                    "{} {:.3}/{:.3}/{:.3}/{:.3}",
                    l.level, l.target, l.real, l.reweighted, l.synthetic
                )
            })
            .collect();
        let _ = writeln!(
            s,
            "  {} (target/real/reweighted/synthetic): {}",
            c.column,
            levels.join(", ")
        );
    }
    s
}
