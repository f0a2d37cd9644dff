//! `evaluate` of linked tables on profiles ([`crate::profile`]): each table's rows joined with
//! their descendants' counts, means and most common levels. Per table, the detection test
//! ([`super::detection`]): can a classifier tell real profiles from synthetic ones? And per
//! table, privacy over whole profiles: copies of a real row's profile with everything that
//! hangs from it (a person with their accounts, an account with its loans), and, with a
//! holdout of people, the membership test of single tables ([`super::privacy`]) on those
//! profiles. Which table holds the people depends on the schema (a client under a district
//! is one level down), so every table is judged.

use serde::Serialize;

use super::data;
use super::detection::{detection, Detection};
use super::privacy::{privacy, Membership};
use crate::io::table::Table;
use crate::profile::{own_columns, profile};
use crate::schema::Database;

/// The detection test on one table's profiles.
#[derive(Debug, Clone, Serialize)]
pub struct TableDetection {
    /// The table.
    pub table: String,
    /// Columns of the profile (own columns, then per descendant its count and aggregates).
    pub columns: usize,
    /// The descendant tables aggregated into the profile.
    pub descendants: Vec<String>,
    /// The figures.
    #[serde(flatten)]
    pub detection: Detection,
}

/// Privacy of one table's whole profiles.
#[derive(Debug, Clone, Serialize)]
pub struct ProfilePrivacy {
    /// The table.
    pub table: String,
    /// Columns of the profile.
    pub columns: usize,
    /// Synthetic profiles.
    pub synthetic_rows: usize,
    /// Share of synthetic profiles equal to some real profile (the person and everything
    /// aggregated from their descendants).
    pub exact_copies: f64,
    /// Share of synthetic profiles equal to a real profile no other real profile equals.
    pub unique_copies: f64,
    /// The same share for holdout profiles against the real ones: how often a new real
    /// person repeats a profile (with a holdout).
    pub holdout_exact_copies: Option<f64>,
    /// Holdout profiles equal to a real profile no other real one equals (with a holdout).
    pub holdout_unique_copies: Option<f64>,
    /// The membership test against the holdout's people (with a holdout).
    pub membership: Option<Membership>,
}

/// The loaded tables of the real, synthetic and (optional) holdout databases.
pub(crate) struct Sides<'a> {
    pub real: &'a [Table],
    pub synthetic: &'a [Table],
    pub holdout: Option<&'a [Table]>,
}

/// Detection and privacy on every table with rows on both sides.
pub(crate) fn profiles(
    db: &Database,
    sides: &Sides<'_>,
    seed: u64,
) -> (Vec<TableDetection>, Vec<ProfilePrivacy>) {
    // The columns every side holds, so the three profiles line up.
    let columns = |j: usize| -> Vec<String> {
        let mut names = own_columns(&db.tables[j], &sides.real[j]);
        names.retain(|n| {
            sides.synthetic[j].column(n).is_some()
                && sides.holdout.is_none_or(|h| h[j].column(n).is_some())
        });
        names
    };
    let mut detections = Vec::new();
    let mut privacies = Vec::new();
    for (i, t) in db.tables.iter().enumerate() {
        // A reference table is copied whole by design: detection and copies would measure
        // only the copy.
        if t.reference || sides.real[i].rows == 0 || sides.synthetic[i].rows == 0 {
            continue;
        }
        let real = profile(db, sides.real, i, &columns);
        let syn = profile(db, sides.synthetic, i, &columns);
        let hold = sides.holdout.map(|h| profile(db, h, i, &columns));
        let names: Vec<String> = real.table.columns.iter().map(|c| c.name.clone()).collect();
        let (keep, _) = data::select(&real.schema, &names, &names);
        if keep.is_empty() {
            continue;
        }
        let aligned = data::align(
            &real.schema,
            &keep,
            data::pick(&real.table, &keep, Vec::new()),
            data::pick(&syn.table, &keep, Vec::new()),
            hold.as_ref()
                .map(|h| data::pick(&h.table, &keep, Vec::new())),
        );
        if let Some(d) = detection(&aligned, seed) {
            detections.push(TableDetection {
                table: t.name().to_string(),
                columns: keep.len(),
                descendants: real.descendants.clone(),
                detection: d,
            });
        }
        let p = privacy(&aligned, seed, None);
        privacies.push(ProfilePrivacy {
            table: t.name().to_string(),
            columns: keep.len(),
            synthetic_rows: aligned.syn_rows,
            exact_copies: p.exact_copies,
            unique_copies: p.unique_copies,
            holdout_exact_copies: p.holdout_exact_copies,
            holdout_unique_copies: p.holdout_unique_copies,
            membership: p.membership,
        });
    }
    (detections, privacies)
}
