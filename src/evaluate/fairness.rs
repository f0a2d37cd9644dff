//! Fairness: the favourable-label rate per protected group in the real and the synthetic
//! table, statistical parity difference and disparate impact.

use serde::Serialize;

use super::data::{Aligned, Data, EvalColumn};
use crate::hash::FastMap;
use crate::io::table::NULL;
use crate::schema::{Role, Schema};

/// The favourable-label rate of one group.
#[derive(Debug, Clone, Serialize)]
pub struct GroupRate {
    /// The group: a level, a band label, or levels joined by ` & ` for intersections.
    pub group: String,
    /// Rows of the group with a label.
    pub rows: usize,
    /// Share of them with the favourable label.
    pub rate: f64,
}

/// Parity figures of one table for one protected attribute (or their intersection).
#[derive(Debug, Clone, Serialize)]
pub struct Parity {
    /// Per group, in level order.
    pub groups: Vec<GroupRate>,
    /// The group with the lowest rate.
    pub lowest: String,
    /// The group with the highest rate (the reference).
    pub highest: String,
    /// Statistical parity difference: lowest rate minus highest (0 is parity, never positive).
    pub spd: f64,
    /// Disparate impact: lowest rate over highest (1 is parity; `None` when no group has any
    /// favourable label).
    pub di: Option<f64>,
    /// Rows left out: no label, or no group (null, or outside the bins).
    pub rows_without_group_or_label: usize,
}

/// One protected attribute (or the intersection of several) in both tables.
#[derive(Debug, Clone, Serialize)]
pub struct AttributeFairness {
    /// The protected column, or the columns joined by ` & `.
    pub attribute: String,
    /// In the real table.
    pub real: Parity,
    /// In the synthetic table.
    pub synthetic: Parity,
}

/// Fairness figures.
#[derive(Debug, Clone, Serialize)]
pub struct FairnessReport {
    /// The label column.
    pub label: String,
    /// The favourable level.
    pub favourable: String,
    /// Per protected attribute, then jointly when there are several.
    pub attributes: Vec<AttributeFairness>,
}

/// Per row, the group index (`None`: no group); and the group names.
type Grouping = (Vec<Option<u32>>, Vec<String>);

/// Group index per row of one protected column in one table (`None`: no group), and the
/// group names.
fn groups(c: &EvalColumn, synthetic: bool) -> Option<Grouping> {
    match &c.data {
        Data::Cat {
            levels, real, syn, ..
        } => {
            let codes = if synthetic { syn } else { real };
            // Groups in the schema's level order, then levels it does not declare.
            let declared = c.decl.categories().unwrap_or_default();
            let mut order: Vec<usize> = declared
                .iter()
                .filter_map(|d| levels.iter().position(|l| l == d))
                .collect();
            let rest: Vec<usize> = (0..levels.len()).filter(|i| !order.contains(i)).collect();
            order.extend(rest);
            let mut rank = vec![0u32; levels.len()];
            for (r, &i) in order.iter().enumerate() {
                rank[i] = r as u32;
            }
            Some((
                codes
                    .iter()
                    .map(|c| (*c != NULL).then(|| rank[*c as usize]))
                    .collect(),
                order.iter().map(|&i| levels[i].clone()).collect(),
            ))
        }
        Data::Num { real, syn, .. } => {
            let bins = c.decl.bins.as_ref()?;
            let v = if synthetic { syn } else { real };
            Some((
                v.iter().map(|x| bins.band(*x).map(|b| b as u32)).collect(),
                bins.labels.clone(),
            ))
        }
    }
}

/// Rates per group and the parity figures, for rows with a group and a label.
fn parity(
    group: &[Option<Vec<u32>>],
    names: &dyn Fn(&[u32]) -> String,
    label: &[u32],
    fav: Option<u32>,
) -> Parity {
    // (favourable, labelled) per group, groups kept in order of their level indices.
    let mut cells: FastMap<Vec<u32>, (usize, usize)> = FastMap::default();
    let mut left_out = 0;
    for (g, l) in group.iter().zip(label) {
        match g {
            Some(g) if *l != NULL => {
                let e = cells.entry(g.clone()).or_default();
                e.1 += 1;
                if Some(*l) == fav {
                    e.0 += 1;
                }
            }
            _ => left_out += 1,
        }
    }
    let mut keys: Vec<(Vec<u32>, (usize, usize))> = cells.into_iter().collect();
    keys.sort();
    let groups: Vec<GroupRate> = keys
        .iter()
        .map(|(k, (f, n))| GroupRate {
            group: names(k),
            rows: *n,
            rate: *f as f64 / *n as f64,
        })
        .collect();
    // First lowest and first highest in level order, so ties name the same groups each run.
    let lo = groups
        .iter()
        .enumerate()
        .fold(None::<usize>, |b, (i, g)| match b {
            Some(b) if groups[b].rate <= g.rate => Some(b),
            _ => Some(i),
        });
    let hi = groups
        .iter()
        .enumerate()
        .fold(None::<usize>, |b, (i, g)| match b {
            Some(b) if groups[b].rate >= g.rate => Some(b),
            _ => Some(i),
        });
    let (lowest, highest, spd, di) = match (lo, hi) {
        (Some(l), Some(h)) => {
            let (a, b) = (groups[l].rate, groups[h].rate);
            (
                groups[l].group.clone(),
                groups[h].group.clone(),
                a - b,
                (b > 0.0).then(|| a / b),
            )
        }
        _ => (String::new(), String::new(), 0.0, None),
    };
    Parity {
        groups,
        lowest,
        highest,
        spd,
        di,
        rows_without_group_or_label: left_out,
    }
}

/// The label column: the schema's `fairness.label`, else the first `label`-role column.
pub(crate) fn label_name(schema: &Schema) -> Option<String> {
    schema
        .fairness
        .as_ref()
        .map(|f| f.label.clone())
        .or_else(|| {
            schema
                .columns
                .iter()
                .find(|c| c.role == Role::Label)
                .map(|c| c.name.clone())
        })
}

/// Fairness of both tables; `Err` says why it cannot be computed (a note for the report),
/// and `notes` collects protected columns left out.
pub(crate) fn fairness(
    schema: &Schema,
    t: &Aligned,
    notes: &mut Vec<String>,
) -> Result<FairnessReport, String> {
    let label = label_name(schema)
        .ok_or("the schema names no label (fairness.label or a label-role column)")?;
    let lc = t
        .column(&label)
        .ok_or_else(|| format!("the label `{label}` is not evaluated"))?;
    let Data::Cat {
        levels,
        real: lreal,
        syn: lsyn,
        ..
    } = &lc.data
    else {
        return Err(format!(
            "the label `{label}` is numeric, so it has no favourable level"
        ));
    };
    let seen: Vec<&str> = levels.iter().map(String::as_str).collect();
    let fav_name = crate::schema::favourable_level(
        schema
            .fairness
            .as_ref()
            .and_then(|f| f.favourable.as_deref()),
        lc.decl.categories().as_deref(),
        &seen,
    )
    .ok_or_else(|| format!("the label `{label}` has no values"))?;
    let fav = levels.iter().position(|l| *l == fav_name).map(|i| i as u32);
    if fav.is_none() {
        notes.push(format!(
            "the favourable level `{fav_name}` of `{label}` occurs in neither table: every rate is 0"
        ));
    }
    let wanted: Vec<String> = match &schema.fairness {
        Some(f) => f.independent_of.clone(),
        None => schema
            .columns
            .iter()
            .filter(|c| c.has_role(Role::Protected))
            .map(|c| c.name.clone())
            .collect(),
    };
    let mut attrs: Vec<(&EvalColumn, [Grouping; 2])> = Vec::new();
    for name in &wanted {
        let Some(c) = t.column(name) else {
            notes.push(format!(
                "fairness: protected column `{name}` is not evaluated"
            ));
            continue;
        };
        match (groups(c, false), groups(c, true)) {
            (Some(r), Some(s)) => attrs.push((c, [r, s])),
            _ => notes.push(format!(
                "fairness: protected column `{name}` is numeric without `bins`, so it has no groups"
            )),
        }
    }
    if attrs.is_empty() {
        return Err("no protected column to group by".to_string());
    }
    let one = |side: usize, sets: &[usize]| -> Parity {
        let rows = if side == 0 { lreal.len() } else { lsyn.len() };
        let keys: Vec<Option<Vec<u32>>> = (0..rows)
            .map(|r| {
                sets.iter()
                    .map(|&a| attrs[a].1[side].0[r])
                    .collect::<Option<Vec<u32>>>()
            })
            .collect();
        let names = |k: &[u32]| -> String {
            k.iter()
                .zip(sets)
                .map(|(g, &a)| attrs[a].1[side].1[*g as usize].clone())
                .collect::<Vec<_>>()
                .join(" & ")
        };
        parity(&keys, &names, if side == 0 { lreal } else { lsyn }, fav)
    };
    let mut sets: Vec<Vec<usize>> = (0..attrs.len()).map(|a| vec![a]).collect();
    if attrs.len() > 1 {
        sets.push((0..attrs.len()).collect());
    }
    let attributes = sets
        .iter()
        .map(|s| AttributeFairness {
            attribute: s
                .iter()
                .map(|&a| attrs[a].0.decl.name.clone())
                .collect::<Vec<_>>()
                .join(" & "),
            real: one(0, s),
            synthetic: one(1, s),
        })
        .collect();
    Ok(FairnessReport {
        label,
        favourable: fav_name,
        attributes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parity_names_the_lowest_and_the_reference_group() {
        // Group 0: 1 of 4 favourable; group 1: 3 of 4; one row without a label.
        let g: Vec<Option<Vec<u32>>> = [0, 0, 0, 0, 1, 1, 1, 1, 1]
            .iter()
            .map(|x| Some(vec![*x]))
            .collect();
        let label = [1, 0, 0, 0, 1, 1, 1, 0, NULL];
        let names = |k: &[u32]| ["F", "M"][k[0] as usize].to_string();
        let p = parity(&g, &names, &label, Some(1));
        assert_eq!((p.lowest.as_str(), p.highest.as_str()), ("F", "M"));
        assert!((p.spd + 0.5).abs() < 1e-12);
        assert!((p.di.expect("a favourable row") - 1.0 / 3.0).abs() < 1e-12);
        assert_eq!(p.rows_without_group_or_label, 1);
        assert_eq!(p.groups[1].rows, 4);
    }
}
