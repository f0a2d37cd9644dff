//! Parity at the person in `evaluate DIR`: for every child table whose `fairness:` names the
//! person's protected columns up its driving keys (`loan.status` independent of
//! `client.sex`), the favourable rate of its label per protected group, in the real and the
//! synthetic tables: each label row carries its ancestors' levels through the driving keys
//! ([`crate::person`], the definitions `reweight DIR` repairs the parity with).

use serde::Serialize;

use crate::io::table::{Table, Values, NULL};
use crate::schema::Database;

/// A group's favourable rate on one side.
#[derive(Debug, Clone, Serialize)]
pub struct SideRate {
    /// The group (levels joined by ` & `).
    pub group: String,
    /// Rows with a group and a label.
    pub rows: usize,
    /// Share of them with the favourable level.
    pub rate: f64,
}

/// One side's parity figures.
#[derive(Debug, Clone, Serialize)]
pub struct SideParity {
    /// Rates per group, by group name.
    pub groups: Vec<SideRate>,
    /// Lowest rate minus highest.
    pub spd: f64,
    /// Lowest rate over highest (`None` when the highest is 0).
    pub di: Option<f64>,
}

/// The parity of one child label at the person, real and synthetic.
#[derive(Debug, Clone, Serialize)]
pub struct PersonParity {
    /// The label's table.
    pub table: String,
    /// The label.
    pub label: String,
    /// Its favourable level.
    pub favourable: String,
    /// The person's protected columns (`table.column`).
    pub independent_of: Vec<String>,
    /// In the real tables.
    pub real: SideParity,
    /// In the synthetic tables.
    pub synthetic: SideParity,
}

/// One side's figures for the label of table `i` (`tables`: the side's tables, schema order).
fn side(
    db: &Database,
    tables: &[Table],
    i: usize,
    label: &str,
    favourable: &str,
    of: &[String],
) -> Option<SideParity> {
    let Values::Cat { codes, levels } = &tables[i].column(label)?.values else {
        return None;
    };
    // Per protected column, the ancestor's level of every label row.
    let columns = crate::person::protected_levels(db, tables, i, of).ok()?;
    let mut cells: std::collections::BTreeMap<String, (usize, usize)> = Default::default();
    for (r, &c) in codes.iter().enumerate() {
        if c == NULL {
            continue;
        }
        let Some(group) = crate::person::group(&columns, r) else {
            continue;
        };
        let e = cells.entry(group).or_default();
        e.0 += 1;
        e.1 += usize::from(levels[c as usize] == favourable);
    }
    let groups: Vec<SideRate> = cells
        .into_iter()
        .map(|(group, (n, k))| SideRate {
            group,
            rows: n,
            rate: k as f64 / n as f64,
        })
        .collect();
    let max = groups
        .iter()
        .map(|g| g.rate)
        .fold(f64::NEG_INFINITY, f64::max);
    let min = groups.iter().map(|g| g.rate).fold(f64::INFINITY, f64::min);
    (!groups.is_empty()).then(|| SideParity {
        groups,
        spd: min - max,
        di: (max > 0.0).then(|| min / max),
    })
}

/// The parity at the person of every child table's label with a `fairness:` naming its
/// ancestors' protected columns, real (`real`) and synthetic (`synthetic`).
pub(super) fn person_parity(
    db: &Database,
    real: &[Table],
    synthetic: &[Table],
) -> Vec<PersonParity> {
    let mut out = Vec::new();
    for (i, t) in db.tables.iter().enumerate() {
        let Some(f) = t.schema.fairness.as_ref().filter(|_| !t.is_root()) else {
            continue;
        };
        let seen: Vec<String> = match real[i].column(&f.label).map(|c| &c.values) {
            Some(Values::Cat { levels, .. }) => levels.clone(),
            _ => continue,
        };
        let seen: Vec<&str> = seen.iter().map(String::as_str).collect();
        let declared = t.schema.column(&f.label).and_then(|c| c.categories());
        let Some(fav) =
            crate::schema::favourable_level(f.favourable.as_deref(), declared.as_deref(), &seen)
        else {
            continue;
        };
        let sides = (
            side(db, real, i, &f.label, &fav, &f.independent_of),
            side(db, synthetic, i, &f.label, &fav, &f.independent_of),
        );
        if let (Some(real), Some(synthetic)) = sides {
            out.push(PersonParity {
                table: t.name().to_string(),
                label: f.label.clone(),
                favourable: fav,
                independent_of: f.independent_of.clone(),
                real,
                synthetic,
            });
        }
    }
    out
}
