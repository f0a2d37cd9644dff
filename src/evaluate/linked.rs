//! `evaluate` of linked tables: a synthetic database against the real one, table by table and
//! across tables. Per table, the single-table fidelity of its own columns (keys left out); per
//! foreign key, referential integrity and how children spread over parents (the KS statistic
//! of children per parent, parents without children included); per driving key, the trends
//! between the parent's columns and the child's (the pair scores of the child joined with its
//! parent's columns); and the date rules every real row obeys (a child's date never before
//! its parent's), with the share of synthetic rows that break them. Gates: every synthetic
//! foreign key resolves, and no synthetic row breaks a rule that no real row breaks.

use serde::Serialize;

use super::data::{self, pick};
use super::fidelity::{fidelity, Fidelity};
use super::profiles::{ProfilePrivacy, TableDetection};
use super::{Check, EvaluateError, Status};
use crate::io::read::Input;
use crate::io::table::{Table, TableColumn, Values};
use crate::profile::{self, link};
use crate::schema::{ColumnType, Database, Schema};

/// One table's own figures.
#[derive(Debug, Clone, Serialize)]
pub struct TableScore {
    /// The table.
    pub table: String,
    /// Real rows.
    pub real_rows: usize,
    /// Synthetic rows.
    pub synthetic_rows: usize,
    /// Fidelity of its columns other than keys (`None`: it has none both files hold).
    pub fidelity: Option<Fidelity>,
    /// `reference: true`: public lookup data that `sample` copies whole by design, so it has
    /// no detection or copy figures (they would only measure the copy).
    pub reference: bool,
}

/// Children per parent: a few figures of the distribution.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Spread {
    /// Mean children per parent.
    pub mean: f64,
    /// Median.
    pub median: f64,
    /// 90th percentile.
    pub p90: f64,
    /// Most children of one parent.
    pub max: u64,
    /// Share of parents without a child.
    pub none: f64,
}

/// One foreign key's figures.
#[derive(Debug, Clone, Serialize)]
pub struct Relationship {
    /// The child table.
    pub child: String,
    /// Its foreign-key column.
    pub column: String,
    /// The parent table.
    pub parent: String,
    /// Whether the key drives the child (`children:`).
    pub driving: bool,
    /// Share of the synthetic keys (non-null) that name a synthetic parent row.
    pub integrity: f64,
    /// Share of null keys: real, synthetic.
    pub null_share: (f64, f64),
    /// KS statistic between the real and synthetic children-per-parent counts (0 = same).
    pub cardinality_ks: f64,
    /// Children per parent, real.
    pub real: Spread,
    /// Children per parent, synthetic.
    pub synthetic: Spread,
    /// Mean pair score between the parent's columns and the child's, on the child rows joined
    /// with their parent's columns (driving keys; `None` without columns on both sides).
    pub trends: Option<f64>,
}

/// A date rule of the real rows: `child.column >= parent.parent_column` on every row.
#[derive(Debug, Clone, Serialize)]
pub struct Rule {
    /// The child table.
    pub child: String,
    /// Its date column.
    pub column: String,
    /// The parent table.
    pub parent: String,
    /// The parent's date column.
    pub parent_column: String,
    /// Share of synthetic rows (with both dates) where the child's date comes first.
    pub synthetic_broken: f64,
}

/// A formula every real row of a table obeys (`amount = duration × payments`, see
/// [`crate::metrics::formulas`]), and how often the synthetic rows break it.
#[derive(Debug, Clone, Serialize)]
pub struct FormulaRule {
    /// The table.
    pub table: String,
    /// The formula, as text.
    pub formula: String,
    /// Share of synthetic rows (with every operand present) where it does not hold.
    pub synthetic_broken: f64,
}

/// The report of a linked evaluation.
#[derive(Debug, Clone, Serialize)]
pub struct LinkedReport {
    /// Per table, in the schema's order.
    pub tables: Vec<TableScore>,
    /// Per foreign key.
    pub relationships: Vec<Relationship>,
    /// Date rules no real row breaks.
    pub rules: Vec<Rule>,
    /// Formulas between numeric columns no real row breaks.
    pub formulas: Vec<FormulaRule>,
    /// Per table, the detection test on its rows with their descendants' aggregates.
    pub detection: Vec<TableDetection>,
    /// Per table, privacy of whole profiles (copies; the membership test with a holdout).
    pub privacy: Vec<ProfilePrivacy>,
    /// Whether a holdout of people was given.
    pub holdout: bool,
    /// Seed of the row samples and folds.
    pub seed: u64,
    /// Mean of the tables' overall fidelity.
    pub column_quality: f64,
    /// Mean of `1 - cardinality_ks` over the relationships.
    pub cardinality: f64,
    /// Mean of the relationships' `trends`.
    pub intertable_trends: Option<f64>,
    /// Parity at the person of each child label with a `fairness:` (real and synthetic).
    pub parity: Vec<super::person_parity::PersonParity>,
    /// The gates.
    pub checks: Vec<Check>,
    /// Whether every gate passed.
    pub passed: bool,
}

/// The tables of one side, loaded: every column of each table that its file holds.
struct Side {
    tables: Vec<Table>,
}

fn load_side(db: &Database, inputs: &[Input]) -> Result<Side, EvaluateError> {
    Ok(Side {
        tables: profile::load_tables(db, inputs)?,
    })
}

fn counts(rows: &[Option<usize>], parents: usize) -> Vec<u64> {
    let mut n = vec![0u64; parents];
    for p in rows.iter().flatten() {
        n[*p] += 1;
    }
    n
}

fn spread(n: &[u64]) -> Spread {
    let mut s = n.to_vec();
    s.sort_unstable();
    let at = |q: f64| {
        if s.is_empty() {
            0.0
        } else {
            s[((s.len() - 1) as f64 * q).round() as usize] as f64
        }
    };
    Spread {
        mean: if s.is_empty() {
            0.0
        } else {
            s.iter().sum::<u64>() as f64 / s.len() as f64
        },
        median: at(0.5),
        p90: at(0.9),
        max: s.last().copied().unwrap_or(0),
        none: if s.is_empty() {
            0.0
        } else {
            s.iter().filter(|x| **x == 0).count() as f64 / s.len() as f64
        },
    }
}

/// The two-sample KS statistic of two samples of whole numbers.
fn ks(a: &[u64], b: &[u64]) -> f64 {
    if a.is_empty() || b.is_empty() {
        return if a.len() == b.len() { 0.0 } else { 1.0 };
    }
    let (mut a, mut b) = (a.to_vec(), b.to_vec());
    a.sort_unstable();
    b.sort_unstable();
    let (mut i, mut j, mut d) = (0usize, 0usize, 0.0f64);
    while i < a.len() && j < b.len() {
        let x = a[i].min(b[j]);
        while i < a.len() && a[i] == x {
            i += 1;
        }
        while j < b.len() && b[j] == x {
            j += 1;
        }
        d = d.max((i as f64 / a.len() as f64 - j as f64 / b.len() as f64).abs());
    }
    d
}

/// The columns of `t` describing its rows (see [`profile::own_columns`]) that both sides hold.
fn own_columns(t: &crate::schema::Table, real: &Table, syn: &Table) -> Vec<String> {
    let mut names = profile::own_columns(t, real);
    names.retain(|n| syn.column(n).is_some());
    names
}

/// The fidelity of `names` (columns of `schema`) between two loaded tables.
fn score(schema: &Schema, names: &[String], real: Table, syn: Table) -> Option<Fidelity> {
    if names.is_empty() || real.rows == 0 || syn.rows == 0 {
        return None;
    }
    let (keep, _) = data::select(schema, names, names);
    if keep.is_empty() {
        return None;
    }
    let real = pick(&real, &keep, Vec::new());
    let syn = pick(&syn, &keep, Vec::new());
    let aligned = data::align(schema, &keep, real, syn, None);
    Some(fidelity(&aligned))
}

/// How to evaluate linked tables.
#[derive(Debug, Clone, Default)]
pub struct LinkedOptions<'a> {
    /// The tables of people the synthesiser did not see (one input per table, in the schema's
    /// order): the baseline of the membership test.
    pub holdout: Option<&'a [Input]>,
    /// Seed of the row samples and folds.
    pub seed: u64,
    /// `KEY=VALUE` overrides of every table's `quality:` gates.
    pub thresholds: Vec<String>,
}

/// The `quality:` keys that `evaluate` of linked tables judges (besides its fixed gates of
/// referential integrity and date rules).
pub const LINKED_GATES: [&str; 6] = [
    "min_overall",
    "max_detection_auc",
    "max_exact_copies",
    "max_unique_copies",
    "max_membership_auc",
    "max_singleton_advantage",
];

/// Evaluates the synthetic tables `synthetic` against the real tables `real` (one input per
/// table of `db`, in its order).
pub fn evaluate_linked(
    db: &Database,
    real: &[Input],
    synthetic: &[Input],
    opts: &LinkedOptions<'_>,
) -> Result<LinkedReport, EvaluateError> {
    let given = |n: usize| n == db.tables.len();
    if !given(real.len()) || !given(synthetic.len()) || !opts.holdout.is_none_or(|h| given(h.len()))
    {
        return Err(EvaluateError::Input(format!(
            "{} real, {} synthetic and {} holdout tables given for a schema of {} tables",
            real.len(),
            synthetic.len(),
            opts.holdout.map_or(0, <[Input]>::len),
            db.tables.len()
        )));
    }
    for spec in &opts.thresholds {
        let (key, _) = super::parse_threshold(spec)?;
        if !LINKED_GATES.contains(&key) {
            return Err(EvaluateError::Threshold(format!(
                "--threshold {key}: linked tables are not judged by it\n    hint: linked tables take {}",
                LINKED_GATES.join(", ")
            )));
        }
    }
    let quality: Vec<crate::schema::Quality> = db
        .tables
        .iter()
        .map(|t| super::apply_thresholds(t.schema.quality, &opts.thresholds))
        .collect::<Result<_, _>>()?;
    let (r, (s, h)) = rayon::join(
        || load_side(db, real),
        || {
            rayon::join(
                || load_side(db, synthetic),
                || opts.holdout.map(|h| load_side(db, h)).transpose(),
            )
        },
    );
    let (r, s, h) = (r?, s?, h?);
    let mut tables = Vec::new();
    for (i, t) in db.tables.iter().enumerate() {
        let names = own_columns(t, &r.tables[i], &s.tables[i]);
        tables.push(TableScore {
            table: t.name().to_string(),
            real_rows: r.tables[i].rows,
            synthetic_rows: s.tables[i].rows,
            fidelity: score(
                &t.schema,
                &names,
                pick(&r.tables[i], &names, Vec::new()),
                pick(&s.tables[i], &names, Vec::new()),
            ),
            reference: t.reference,
        });
    }
    let mut relationships = Vec::new();
    let mut rules = Vec::new();
    for (i, t) in db.tables.iter().enumerate() {
        for fk in &t.foreign_keys {
            let Some(p) = db.table_index(&fk.table) else {
                continue;
            };
            let pt = &db.tables[p];
            let real_link = link(&r.tables[i], &fk.column, &r.tables[p], &pt.primary_key);
            let syn_link = link(&s.tables[i], &fk.column, &s.tables[p], &pt.primary_key);
            let (rl, rpresent) = (&real_link.rows, real_link.present);
            let (sl, spresent, sresolved) = (&syn_link.rows, syn_link.present, syn_link.resolved);
            let rc = counts(rl, r.tables[p].rows);
            let sc = counts(sl, s.tables[p].rows);
            let share = |present: usize, rows: usize| {
                if rows == 0 {
                    0.0
                } else {
                    1.0 - present as f64 / rows as f64
                }
            };
            // Trends: the child's columns joined with the parent's, pairs across the two.
            let trends = if fk.children.is_some() {
                let own = own_columns(t, &r.tables[i], &s.tables[i]);
                let parents = own_columns(pt, &r.tables[p], &s.tables[p]);
                let mut joined = t.schema.clone();
                let mut names = own.clone();
                let mut extra_r = Vec::new();
                let mut extra_s = Vec::new();
                for n in &parents {
                    let (Some(c), Some(cs)) = (r.tables[p].column(n), s.tables[p].column(n)) else {
                        continue;
                    };
                    let name = format!("{}.{n}", fk.table);
                    if let Some(mut decl) = pt.schema.column(n).cloned() {
                        decl.name = name.clone();
                        joined.columns.push(decl);
                    }
                    extra_r.push(c.gather(rl, &name));
                    extra_s.push(cs.gather(sl, &name));
                    names.push(name);
                }
                let parent_names: Vec<&String> = names[own.len()..].iter().collect();
                score(
                    &joined,
                    &names,
                    pick(&r.tables[i], &own, extra_r),
                    pick(&s.tables[i], &own, extra_s),
                )
                .and_then(|f| {
                    let cross: Vec<f64> = f
                        .pairs
                        .iter()
                        .filter(|pr| {
                            parent_names.contains(&&pr.columns[0])
                                != parent_names.contains(&&pr.columns[1])
                        })
                        .map(|pr| pr.score)
                        .collect();
                    (!cross.is_empty()).then(|| cross.iter().sum::<f64>() / cross.len() as f64)
                })
            } else {
                None
            };
            relationships.push(Relationship {
                child: t.name().to_string(),
                column: fk.column.clone(),
                parent: fk.table.clone(),
                driving: fk.children.is_some(),
                integrity: if spresent == 0 {
                    1.0
                } else {
                    sresolved as f64 / spresent as f64
                },
                null_share: (
                    share(rpresent, r.tables[i].rows),
                    share(spresent, s.tables[i].rows),
                ),
                cardinality_ks: ks(&rc, &sc),
                real: spread(&rc),
                synthetic: spread(&sc),
                trends,
            });
            // Date rules the real rows obey.
            for c in t.schema.columns.iter().filter(|c| is_time(c.ty)) {
                for pc in pt.schema.columns.iter().filter(|x| x.ty == c.ty) {
                    let broken = |side: &Side, links: &[Option<usize>]| -> Option<f64> {
                        let x = num(side.tables[i].column(&c.name)?)?;
                        let y = num(side.tables[p].column(&pc.name)?)?;
                        let mut n = 0usize;
                        let mut bad = 0usize;
                        for (r, l) in links.iter().enumerate() {
                            let Some(l) = l else { continue };
                            if x[r].is_nan() || y[*l].is_nan() {
                                continue;
                            }
                            n += 1;
                            bad += usize::from(x[r] < y[*l]);
                        }
                        (n > 0).then(|| bad as f64 / n as f64)
                    };
                    if broken(&r, rl) == Some(0.0) {
                        rules.push(Rule {
                            child: t.name().to_string(),
                            column: c.name.clone(),
                            parent: fk.table.clone(),
                            parent_column: pc.name.clone(),
                            synthetic_broken: broken(&s, sl).unwrap_or(0.0),
                        });
                    }
                }
            }
        }
    }
    // Formulas every real row of a table obeys.
    let mut formulas = Vec::new();
    for (i, t) in db.tables.iter().enumerate() {
        let names = own_columns(t, &r.tables[i], &s.tables[i]);
        let numeric: Vec<(String, &[f64])> = names
            .iter()
            .filter(|n| {
                t.schema
                    .column(n)
                    .is_some_and(|c| matches!(c.ty, ColumnType::Int { .. } | ColumnType::Float))
            })
            .filter_map(|n| Some((n.clone(), num(r.tables[i].column(n)?)?)))
            .collect();
        for f in crate::metrics::formulas::find(&numeric, &|_| true, 10) {
            let values = |n: &str| s.tables[i].column(n).and_then(num);
            let (Some(c), Some(a), Some(b)) =
                (values(&f.column), values(&f.left), values(&f.right))
            else {
                continue;
            };
            let mut n = 0usize;
            let mut bad = 0usize;
            for ((c, a), b) in c.iter().zip(a).zip(b) {
                if a.is_nan() || b.is_nan() {
                    bad += usize::from(!c.is_nan());
                    n += usize::from(!c.is_nan());
                    continue;
                }
                n += 1;
                let want = f.value(*a, *b);
                bad += usize::from(c.is_nan() || (c - want).abs() > 1e-9 * want.abs().max(1.0));
            }
            formulas.push(FormulaRule {
                table: t.name().to_string(),
                formula: f.to_string(),
                synthetic_broken: if n == 0 { 0.0 } else { bad as f64 / n as f64 },
            });
        }
    }
    let (detection, privacy) = super::profiles::profiles(
        db,
        &super::profiles::Sides {
            real: &r.tables,
            synthetic: &s.tables,
            holdout: h.as_ref().map(|h| h.tables.as_slice()),
        },
        opts.seed,
    );
    let mean = |v: Vec<f64>| (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64);
    let column_quality = mean(
        tables
            .iter()
            .filter_map(|t| t.fidelity.as_ref().map(|f| f.overall))
            .collect(),
    )
    .unwrap_or(0.0);
    let cardinality = mean(
        relationships
            .iter()
            .map(|r| 1.0 - r.cardinality_ks)
            .collect(),
    )
    .unwrap_or(1.0);
    let intertable_trends = mean(relationships.iter().filter_map(|r| r.trends).collect());
    let worst_integrity = relationships
        .iter()
        .min_by(|a, b| a.integrity.total_cmp(&b.integrity))
        .map(|r| {
            (
                r.integrity,
                format!("{}.{} -> {}", r.child, r.column, r.parent),
            )
        });
    let worst_rule = rules
        .iter()
        .map(|r| {
            (
                r.synthetic_broken,
                format!(
                    "{}.{} >= {}.{}",
                    r.child, r.column, r.parent, r.parent_column
                ),
            )
        })
        .chain(
            formulas
                .iter()
                .map(|f| (f.synthetic_broken, format!("{}: {}", f.table, f.formula))),
        )
        // The first of the worst: a date rule before a formula when they tie.
        .fold(None, |worst: Option<(f64, String)>, x| match &worst {
            Some(w) if w.0 >= x.0 => worst,
            _ => Some(x),
        });
    let mut checks = vec![
        Check::judge(
            "min_referential_integrity",
            1.0,
            worst_integrity.ok_or_else(|| "no foreign key".to_string()),
            false,
        ),
        Check::judge(
            "max_rule_violations",
            0.0,
            worst_rule.ok_or_else(|| "no date rule or formula holds on every real row".to_string()),
            true,
        ),
    ];
    checks.extend(table_checks(
        db,
        &quality,
        &tables,
        &detection,
        &privacy,
        opts.holdout.is_some(),
    ));
    let passed = checks.iter().all(|c| c.status != Status::Failed);
    let parity = super::person_parity::person_parity(db, &r.tables, &s.tables);
    Ok(LinkedReport {
        tables,
        relationships,
        rules,
        formulas,
        detection,
        privacy,
        holdout: opts.holdout.is_some(),
        seed: opts.seed,
        column_quality,
        cardinality,
        intertable_trends,
        parity,
        checks,
        passed,
    })
}

/// The gates of each table's `quality:` (with the `--threshold` overrides) that linked tables
/// are judged by: fidelity, detection and privacy, per table.
fn table_checks(
    db: &Database,
    quality: &[crate::schema::Quality],
    tables: &[TableScore],
    detection: &[TableDetection],
    privacy: &[ProfilePrivacy],
    holdout: bool,
) -> Vec<Check> {
    let mut out = Vec::new();
    for (t, q) in db.tables.iter().zip(quality) {
        let name = t.name();
        let mut q = *q;
        for key in LINKED_GATES {
            let Some(limit) = q.slot(key).and_then(|s| *s) else {
                continue;
            };
            let own = |what: String| format!("table `{name}`: {what}");
            if t.reference && key != "min_overall" {
                out.push(Check::judge(
                    key,
                    limit,
                    Err(own(
                        "a reference table, copied whole by design: no detection or copy figure"
                            .to_string(),
                    )),
                    true,
                ));
                continue;
            }
            let fid = tables.iter().find(|x| x.table == name);
            let det = detection.iter().find(|x| x.table == name);
            let pri = privacy.iter().find(|x| x.table == name);
            let membership = || match (holdout, pri.and_then(|p| p.membership.as_ref())) {
                (false, _) => Err(own("needs --holdout".to_string())),
                (true, None) => Err(own("no real, holdout or synthetic profiles".to_string())),
                (true, Some(m)) => Ok(m),
            };
            let (figure, is_max): (Result<(f64, String), String>, bool) = match key {
                "min_overall" => (
                    fid.and_then(|f| f.fidelity.as_ref())
                        .map(|f| (f.overall, own("overall fidelity".to_string())))
                        .ok_or_else(|| own("no column both sides hold".to_string())),
                    false,
                ),
                "max_detection_auc" => (
                    det.map(|d| {
                        (
                            d.detection.auc,
                            own(format!(
                                "a classifier tells synthetic from real profiles ({} rows a side, {} columns)",
                                d.detection.rows, d.columns
                            )),
                        )
                    })
                    .ok_or_else(|| own("too few rows on a side".to_string())),
                    true,
                ),
                "max_exact_copies" => (
                    pri.map(|p| (p.exact_copies, own("synthetic profiles equal to a real one".to_string())))
                        .ok_or_else(|| own("no profiles".to_string())),
                    true,
                ),
                "max_unique_copies" => (
                    pri.map(|p| {
                        (
                            p.unique_copies,
                            own("synthetic profiles equal to a real one no other real one equals"
                                .to_string()),
                        )
                    })
                    .ok_or_else(|| own("no profiles".to_string())),
                    true,
                ),
                "max_membership_auc" => (
                    membership().map(|m| {
                        (
                            m.auc,
                            own(format!(
                                "membership AUC: real people closer to the synthetic ones than holdout people ({} vs {})",
                                m.members, m.non_members
                            )),
                        )
                    }),
                    true,
                ),
                _ => (
                    membership().map(|m| {
                        let s = &m.singletons;
                        (
                            s.member_matches - s.non_member_matches,
                            own(format!(
                                "singular profiles copied: {:.2}% of {} real against {:.2}% of {} holdout",
                                s.member_matches * 100.0,
                                s.members,
                                s.non_member_matches * 100.0,
                                s.non_members
                            )),
                        )
                    }),
                    true,
                ),
            };
            out.push(Check::judge(key, limit, figure, is_max));
        }
    }
    out
}

fn is_time(ty: ColumnType) -> bool {
    matches!(ty, ColumnType::Date | ColumnType::Timestamp)
}

fn num(c: &TableColumn) -> Option<&[f64]> {
    match &c.values {
        Values::Num(x) => Some(x),
        Values::Cat { .. } => None,
    }
}

/// The report as the lines printed on stderr.
pub fn summary(r: &LinkedReport) -> String {
    use std::fmt::Write as _;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "linked tables: column quality {:.3}, cardinality {:.3}, inter-table trends {}",
        r.column_quality,
        r.cardinality,
        r.intertable_trends
            .map_or_else(|| "-".to_string(), |t| format!("{t:.3}"))
    );
    for t in &r.tables {
        let _ = writeln!(
            s,
            "  {}: {} real rows, {} synthetic; fidelity {}{}",
            t.table,
            t.real_rows,
            t.synthetic_rows,
            t.fidelity
                .as_ref()
                .map_or_else(|| "-".to_string(), |f| format!("{:.3}", f.overall)),
            if t.reference {
                "; reference table, copied whole by design: no detection or copy figures"
            } else {
                ""
            }
        );
    }
    for x in &r.relationships {
        let _ = writeln!(
            s,
            "  {}.{} -> {}: integrity {:.4}, children per parent KS {:.3} (mean {:.2} vs {:.2}, max {} vs {}){}",
            x.child,
            x.column,
            x.parent,
            x.integrity,
            x.cardinality_ks,
            x.real.mean,
            x.synthetic.mean,
            x.real.max,
            x.synthetic.max,
            x.trends
                .map_or_else(String::new, |t| format!(", trends {t:.3}"))
        );
    }
    for x in &r.rules {
        let _ = writeln!(
            s,
            "  rule {}.{} >= {}.{}: broken in {:.2}% of synthetic rows",
            x.child,
            x.column,
            x.parent,
            x.parent_column,
            x.synthetic_broken * 100.0
        );
    }
    for f in &r.formulas {
        let _ = writeln!(
            s,
            "  formula {}: {}: broken in {:.2}% of synthetic rows",
            f.table,
            f.formula,
            f.synthetic_broken * 100.0
        );
    }
    for d in &r.detection {
        let _ = writeln!(
            s,
            "  detection {}: AUC {:.3} ({} rows a side, {} columns{})",
            d.table,
            d.detection.auc,
            d.detection.rows,
            d.columns,
            if d.descendants.is_empty() {
                String::new()
            } else {
                format!(" with {}", d.descendants.join(", "))
            }
        );
    }
    for p in &r.privacy {
        let _ = writeln!(
            s,
            "  privacy {}: {:.2}% of synthetic profiles copy a real one ({:.2}% a unique one){}",
            p.table,
            p.exact_copies * 100.0,
            p.unique_copies * 100.0,
            p.membership.as_ref().map_or_else(String::new, |m| format!(
                "; membership AUC {:.3}, holdout copies {:.2}%",
                m.auc,
                p.holdout_exact_copies.unwrap_or(0.0) * 100.0
            ))
        );
    }
    for p in &r.parity {
        let side = |x: &super::person_parity::SideParity| {
            format!(
                "SPD {:+.4}, DI {}",
                x.spd,
                x.di.map_or_else(|| "-".to_string(), |d| format!("{d:.4}"))
            )
        };
        let _ = writeln!(
            s,
            "  parity {}.{} = {} by {}: real {}; synthetic {}",
            p.table,
            p.label,
            p.favourable,
            p.independent_of.join(" & "),
            side(&p.real),
            side(&p.synthetic)
        );
    }
    for c in &r.checks {
        // A gate is judged once per table: the detail names the table (or the key or rule).
        let _ = writeln!(
            s,
            "  gate {}: {} ({}): {}",
            c.key,
            match c.status {
                Status::Passed => "passed",
                Status::Failed => "FAILED",
                Status::Skipped => "skipped",
            },
            c.value
                .map_or_else(|| "-".to_string(), |v| format!("{v:.4}")),
            c.detail
        );
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ks_of_counts_is_the_largest_gap_between_the_two_step_functions() {
        assert_eq!(ks(&[0, 1, 1, 2], &[0, 1, 1, 2]), 0.0);
        assert!((ks(&[0, 0, 1, 1], &[1, 1, 1, 1]) - 0.5).abs() < 1e-12);
        assert_eq!(ks(&[], &[]), 0.0);
    }

    #[test]
    fn the_spread_counts_parents_without_children() {
        let s = spread(&[0, 1, 1, 2, 6]);
        assert_eq!(s.max, 6);
        assert_eq!(s.median, 1.0);
        assert!((s.none - 0.2).abs() < 1e-12);
        assert!((s.mean - 2.0).abs() < 1e-12);
    }
}
