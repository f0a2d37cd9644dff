//! The differentially private fit (`fit --epsilon`): a marginal-based mechanism of the class
//! of MST and AIM (McKenna et al. 2021, 2022), shaped for what fairsynth samples.
//!
//! # The mechanism
//! Let `C` be the label (the schema's fairness label, else its `role: label` column; none
//! when the schema has neither), `H` the head (the protected, target and label columns, whose
//! full joint table sampling rakes to targets and repairs for parity) and `F` every other
//! modelled column (the features). Three measurement rounds, each of sensitivity 1 under the
//! add-or-remove-one-row relation:
//!
//! 1. **Base tables** (share [`SHARE_BASE`] of the budget): the head's joint table and, per
//!    feature `X`, the two-way table `(C, X)` (the one-way table of `X` without a label), all
//!    with the same noise.
//! 2. **Selection** (share [`SHARE_SELECT`]): a spanning tree over the features and the head,
//!    grown as in Kruskal's algorithm, each edge picked by the exponential mechanism. A
//!    candidate edge `(X, Z)` (`Z` a feature or a head column other than `C`) scores the L1
//!    distance between the true table `(C, Z, X)` and what the noisy base tables predict for
//!    it (`X` and `Z` independent given `C`), less the expected L1 error of measuring that
//!    table in round 3 (`√(2/π) σ · cells`, as AIM penalises large tables); the score has
//!    sensitivity 1, the prediction being public once round 1 is out. A feature may join the
//!    head with `C` alone as its parent (score 0). Tables above the size limit
//!    (`max_cells`) are not candidates: that bounds the model's size.
//! 3. **Tree tables** (the rest): for each tree edge, the three-way table `(C, parent, X)`
//!    (the two-way `(parent, X)` without a label), equal noise each.
//!
//! Every table thus contains the label: the label's dependence on every feature is measured
//! directly, and each feature also keeps its strongest other dependence.
//!
//! # One consistent model
//! The noisy measurements are reconciled into one model that sampling draws from
//! (module `estimate`): the label's one-way counts and then every `(C, V)` table are the
//! inverse-variance weighted combination of all measurements that determine them, made
//! non-negative with the label's margins; the head and each tree table are then fitted to
//! those margins by iterative proportional fitting. The model is the junction tree `P(head) ·
//! Π P(X | C, parent)`, non-negative, its tables agreeing on every separator, its total (the
//! released row count) a post-processing of the noisy tables: no extra budget.
//!
//! Before the rounds, the discretisation (module `bins`, round 0; share
//! [`SHARE_DISCRETISE`], only when the model has numeric columns) measures one noisy
//! histogram per numeric column over its public range, for the bins' edges (private
//! quantiles), spikes (exact values) and the shapes within bins.
//!
//! # Budget
//! Default split: 10 % discretisation (when there is a numeric column), then of the rest 50 %
//! base tables, 10 % selection, 40 % tree tables.
//! Under the default Gaussian mechanism the budget is ρ-zCDP, from `--epsilon` and `--delta`
//! by the tight conversion of [`account`]; the ledger lists ρ per round and the (ε, δ) of the
//! whole. With `--dp-mechanism laplace` the same rounds run under pure ε-DP (Laplace noise,
//! ε split by the same shares, the exponential mechanism at its ε): δ = 0, at the price of
//! more noise at the same ε.

pub mod account;
mod bins;
mod estimate;

pub(in crate::model) use bins::private_bins;

use rand::SeedableRng;

use super::discretise::Encoded;
use super::fit::{joint_counts, FitOptions};
use super::{Ledger, LedgerEntry, Node, VarKind};

/// Share of the budget for the discretisation of the numeric columns (one noisy histogram
/// per numeric column over its public range, see the module `bins`), spent only when the
/// model has a numeric column; the rounds share the rest.
pub const SHARE_DISCRETISE: f64 = 0.1;
/// Share of the budget for the base tables (round 1).
pub const SHARE_BASE: f64 = 0.5;
/// Share of the budget for the selection of the tree (round 2).
pub const SHARE_SELECT: f64 = 0.1;

/// The noise mechanism of a private fit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DpMechanism {
    /// Gaussian noise under ρ-zCDP, reported as (ε, δ)-DP.
    #[default]
    Gaussian,
    /// Laplace noise under pure ε-DP (δ = 0).
    Laplace,
}

/// The default δ of a Gaussian fit.
pub const DEFAULT_DELTA: f64 = 1e-9;

/// One table's part of a larger private fit (a table of linked tables, see
/// [`crate::model::linked`]): its share of the budget and the sensitivity of its count
/// tables. Without it a fit spends the whole budget at sensitivity 1 (one row per person).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DpShare {
    /// The table's budget: ρ (zCDP) under the Gaussian mechanism, ε under the Laplace one.
    pub budget: f64,
    /// The most rows of the table's (augmented) rows that one person adds, removes or changes,
    /// a row changed counting twice: the L1 and L2 sensitivity of every count table, and of
    /// the selection's scores. At least 1.
    pub sensitivity: f64,
}

/// What the private fit gives the model.
pub(in crate::model) struct PrivateFit {
    pub(in crate::model) head: Vec<f64>,
    pub(in crate::model) nodes: Vec<Node>,
    pub(in crate::model) ledger: Ledger,
    pub(in crate::model) rows: u64,
}

/// How the budget is spent: ρ (zCDP) or ε (pure).
#[derive(Clone, Copy)]
pub(in crate::model) enum Budget {
    Rho(f64),
    Pure(f64),
}

impl Budget {
    /// The whole budget of a private fit and its δ.
    pub(in crate::model) fn total(opts: &FitOptions) -> (Budget, f64) {
        let epsilon = opts.epsilon.unwrap_or(1.0);
        if let Some(share) = opts.dp_share {
            return match opts.dp_mechanism {
                DpMechanism::Gaussian => (Budget::Rho(share.budget), opts.delta),
                DpMechanism::Laplace => (Budget::Pure(share.budget), 0.0),
            };
        }
        match opts.dp_mechanism {
            DpMechanism::Gaussian => (
                Budget::Rho(account::rho_for_epsilon(epsilon, opts.delta)),
                opts.delta,
            ),
            DpMechanism::Laplace => (Budget::Pure(epsilon), 0.0),
        }
    }

    /// The budget of the discretisation's histograms (`numeric` of them) and the noise
    /// scale of each count.
    pub(in crate::model) fn discretise(opts: &FitOptions, numeric: usize) -> (Budget, f64) {
        let b = Budget::total(opts).0.share(SHARE_DISCRETISE);
        (b, scaled(opts, b.noise(numeric.max(1)).0))
    }

    fn share(self, s: f64) -> Budget {
        match self {
            Budget::Rho(r) => Budget::Rho(r * s),
            Budget::Pure(e) => Budget::Pure(e * s),
        }
    }

    /// The noise scale (σ or b) of `queries` count tables sharing this budget, and the
    /// variance of one noisy count.
    pub(in crate::model) fn noise(self, queries: usize) -> (f64, f64) {
        match self {
            Budget::Rho(r) => {
                let s = account::gaussian_sigma(r, queries);
                (s, s * s)
            }
            Budget::Pure(e) => {
                let b = queries as f64 / e;
                (b, 2.0 * b * b)
            }
        }
    }

    /// The exponential mechanism's ε for each of `k` selections.
    fn selection_epsilon(self, k: usize) -> f64 {
        match self {
            Budget::Rho(r) => account::exponential_epsilon(r, k),
            Budget::Pure(e) => e / k.max(1) as f64,
        }
    }
}

/// The noise scale `scale` (for sensitivity 1) times the sensitivity of a table's part of a
/// larger fit ([`DpShare`]); unchanged without one.
fn scaled(opts: &FitOptions, scale: f64) -> f64 {
    match opts.dp_share {
        Some(s) => scale * s.sensitivity,
        None => scale,
    }
}

/// A noisy table and the variance of each of its cells.
pub(super) struct Measured {
    pub(super) vars: Vec<usize>,
    pub(super) values: Vec<f64>,
    pub(super) variance: f64,
}

fn noisy(
    enc: &[Encoded],
    w: &[f64],
    vars: &[usize],
    scale: f64,
    budget: Budget,
    seed: u64,
    (round, index): (u8, u64),
) -> Measured {
    let mut values = joint_counts(enc, w, vars);
    let mut rng = crate::synth::stream(seed, "\u{0}fit/private", round, index);
    for v in &mut values {
        *v += match budget {
            Budget::Rho(_) => scale * account::standard_normal(&mut rng),
            Budget::Pure(_) => account::laplace(&mut rng, scale),
        };
    }
    let variance = match budget {
        Budget::Rho(_) => scale * scale,
        Budget::Pure(_) => 2.0 * scale * scale,
    };
    Measured {
        vars: vars.to_vec(),
        values,
        variance,
    }
}

/// A candidate edge of the tree: `child` joins through `parent` (a feature or head column),
/// or through the label alone (`parent: None`).
#[derive(Clone, Copy, Debug)]
struct Edge {
    a: usize,
    b: Option<usize>,
}

/// The variables of a private fit besides its code tuples.
pub(in crate::model) struct Roles<'a> {
    /// The head's variables.
    pub(in crate::model) head: &'a [usize],
    /// The features (every other drawn variable).
    pub(in crate::model) features: &'a [usize],
    /// The label, a member of the head.
    pub(in crate::model) label: Option<usize>,
    /// Variables supplied when sampling ([`FitOptions::given`]): measured with the label (or
    /// alone), candidate parents of every feature, never drawn.
    pub(in crate::model) given: &'a [usize],
    /// `(feature, parent)`: features whose parent is fixed by the caller (public, not
    /// chosen), outside the selection.
    pub(in crate::model) forced: &'a [(usize, usize)],
}

/// Fits the private model on the distinct code tuples `enc` with their rows `w`.
pub(in crate::model) fn fit_private(
    enc: &[Encoded],
    w: &[f64],
    roles: &Roles<'_>,
    opts: &FitOptions,
) -> PrivateFit {
    let (head_vars, features, label, given) =
        (roles.head, roles.features, roles.label, roles.given);
    let forced: Vec<(usize, usize)> = roles
        .forced
        .iter()
        .copied()
        .filter(|(x, p)| features.contains(x) && (given.contains(p) || head_vars.contains(p)))
        .collect();
    let is_forced = |x: usize| forced.iter().any(|f| f.0 == x);
    // The features whose parent the selection chooses.
    let selectable: Vec<usize> = features
        .iter()
        .copied()
        .filter(|&x| !is_forced(x))
        .collect();
    let epsilon = opts.epsilon.unwrap_or(1.0);
    let sensitivity = opts.dp_share.map_or(1.0, |s| s.sensitivity);
    let (whole, delta) = Budget::total(opts);
    let card = |v: usize| enc[v].card();
    let with_label =
        |vars: &[usize]| -> Vec<usize> { label.into_iter().chain(vars.iter().copied()).collect() };
    let mut entries: Vec<LedgerEntry> = Vec::new();
    let entry = |purpose: &str, mechanism: &str, tables: usize, budget: Budget, scale: f64| {
        let (rho, eps) = match budget {
            Budget::Rho(r) => (r, account::epsilon_of_rho(r, delta)),
            Budget::Pure(e) => (0.0, e),
        };
        LedgerEntry {
            purpose: purpose.into(),
            mechanism: mechanism.into(),
            tables,
            epsilon: eps,
            rho,
            scale,
            sensitivity,
        }
    };
    let gauss_or_laplace = match whole {
        Budget::Rho(_) => "gaussian",
        Budget::Pure(_) => "laplace",
    };

    // Round 0, already spent by the discretisation (`private_bins`): one histogram per
    // numeric column.
    let numeric = enc
        .iter()
        .filter(|e| matches!(e.var.kind, VarKind::Numeric { .. }))
        .count();
    let total = if numeric > 0 {
        let (disc, scale) = Budget::discretise(opts, numeric);
        entries.push(entry(
            "a histogram per numeric column over its public range (bin edges at private quantiles, spikes, shapes within bins)",
            gauss_or_laplace,
            numeric,
            disc,
            scale,
        ));
        whole.share(1.0 - SHARE_DISCRETISE)
    } else {
        whole
    };

    let head_others: Vec<usize> = head_vars
        .iter()
        .copied()
        .filter(|&h| Some(h) != label)
        .collect();
    let lab_card = label.map_or(1, card);
    let fits = |a: usize, b: usize| {
        lab_card
            .checked_mul(card(a))
            .and_then(|c| c.checked_mul(card(b)))
            .is_some_and(|c| c <= opts.max_cells.min(MAX_TREE_CELLS))
    };
    // The candidate parents of the selectable feature `selectable[i]`: later selectable
    // features, the head's other columns, the given columns and the forced features.
    let forced_x: Vec<usize> = forced.iter().map(|f| f.0).collect();
    let others = |i: usize| {
        selectable[i + 1..]
            .iter()
            .chain(&head_others)
            .chain(given)
            .chain(&forced_x)
            .copied()
    };
    let (structure, base, select, tree) = if opts.dp_share.is_none() {
        // A fit of one table (no given column, no forced parent).
        let structure = !features.is_empty();
        if structure {
            (
                structure,
                total.share(SHARE_BASE),
                total.share(SHARE_SELECT),
                total.share(1.0 - SHARE_BASE - SHARE_SELECT),
            )
        } else {
            (structure, total, total.share(0.0), total.share(0.0))
        }
    } else {
        // A table of linked tables: the selection runs when some feature has a candidate
        // parent, the tree tables when an edge may be chosen or is forced; the shares of the
        // rounds that cannot run go to the others in proportion.
        let structure = (0..selectable.len()).any(|i| others(i).any(|b| fits(selectable[i], b)));
        let (b, s, t) = (
            SHARE_BASE,
            if structure { SHARE_SELECT } else { 0.0 },
            if structure || !forced.is_empty() {
                1.0 - SHARE_BASE - SHARE_SELECT
            } else {
                0.0
            },
        );
        let sum = b + s + t;
        (
            structure,
            total.share(b / sum),
            total.share(s / sum),
            total.share(t / sum),
        )
    };

    // Round 1: the head and the (C, X) tables.
    // Every column but the label gets a table with the label (the head's members too: their
    // one-way counts would otherwise come from sums of many noisy head cells).
    let base_vars: Vec<usize> = features
        .iter()
        .copied()
        .chain(head_vars.iter().copied().filter(|&h| Some(h) != label))
        .chain(given.iter().copied())
        .collect();
    let n_base = usize::from(!head_vars.is_empty()) + base_vars.len();
    let base_scale = scaled(opts, base.noise(n_base.max(1)).0);
    let head_m = (!head_vars.is_empty())
        .then(|| noisy(enc, w, head_vars, base_scale, base, opts.seed, (1, 0)));
    let base_m: Vec<Measured> = base_vars
        .iter()
        .enumerate()
        .map(|(k, &x)| {
            noisy(
                enc,
                w,
                &with_label(&[x]),
                base_scale,
                base,
                opts.seed,
                (1, k as u64 + 1),
            )
        })
        .collect();
    entries.push(entry(
        &if label.is_some() {
            "the head table and a two-way table of each other column with the label".to_string()
        } else {
            "the head table and a one-way table of each other column".to_string()
        },
        gauss_or_laplace,
        n_base,
        base,
        base_scale,
    ));

    // Round 2: the tree.
    let mut parent: Vec<Option<Option<usize>>> = vec![None; enc.len()];
    for &(x, p) in &forced {
        parent[x] = Some(Some(p));
    }
    let tree_n = selectable.len() + forced.len();
    let tree_scale_planned = scaled(opts, tree.noise(tree_n.max(1)).0);
    if structure {
        let pred = estimate::Predictor::new(enc, &base_m);
        let eps_sel = select.selection_epsilon(selectable.len());
        let mut candidates: Vec<(Edge, f64)> = Vec::new();
        let penalty = (2.0 / std::f64::consts::PI).sqrt() * tree_scale_planned;
        for (i, &a) in selectable.iter().enumerate() {
            for b in others(i) {
                if fits(a, b) {
                    let truth = joint_counts(enc, w, &with_label(&[b, a]));
                    let guess = pred.predict(b, a);
                    let l1: f64 = truth.iter().zip(&guess).map(|(t, g)| (t - g).abs()).sum();
                    candidates.push((Edge { a, b: Some(b) }, l1 - penalty * truth.len() as f64));
                }
            }
            candidates.push((Edge { a, b: None }, 0.0));
        }
        // Kruskal: component ids; the head (and the label-only joins) is component `ROOT`.
        const ROOT: usize = usize::MAX;
        let mut comp: Vec<usize> = (0..enc.len()).collect();
        for &h in head_vars.iter().chain(given).chain(&forced_x) {
            comp[h] = ROOT;
        }
        let comp_of = |comp: &[usize], e: &Edge| (comp[e.a], e.b.map_or(ROOT, |b| comp[b]));
        let mut rng = rand_chacha::ChaCha8Rng::from_rng(&mut crate::synth::stream(
            opts.seed,
            "\u{0}fit/private/select",
            2,
            0,
        ));
        let mut chosen: Vec<Edge> = Vec::new();
        for _ in 0..selectable.len() {
            let live: Vec<&(Edge, f64)> = candidates
                .iter()
                .filter(|c| {
                    let (x, y) = comp_of(&comp, &c.0);
                    x != y
                })
                .collect();
            let scores: Vec<f64> = live.iter().map(|c| c.1).collect();
            let Some(k) = account::exponential(&mut rng, &scores, eps_sel, sensitivity) else {
                break;
            };
            let e = live[k].0;
            let (x, y) = comp_of(&comp, &e);
            let (from, to) = if y == ROOT { (x, y) } else { (y, x) };
            for c in comp.iter_mut() {
                if *c == from {
                    *c = to;
                }
            }
            chosen.push(e);
        }
        entries.push(entry(
            "the tree: each feature's parent, by the exponential mechanism (scale: its epsilon per choice)",
            "exponential",
            selectable.len(),
            select,
            eps_sel,
        ));
        // Orient the tree away from the head (and the given columns and forced features).
        let mut reached: Vec<bool> = (0..enc.len())
            .map(|v| head_vars.contains(&v) || given.contains(&v) || forced_x.contains(&v))
            .collect();
        let mut left = chosen;
        loop {
            let before = left.len();
            left.retain(|e| match e.b {
                None => {
                    parent[e.a] = Some(None);
                    reached[e.a] = true;
                    false
                }
                Some(b) if reached[b] && !reached[e.a] => {
                    parent[e.a] = Some(Some(b));
                    reached[e.a] = true;
                    false
                }
                Some(b) if reached[e.a] && !reached[b] => {
                    parent[b] = Some(Some(e.a));
                    reached[b] = true;
                    false
                }
                _ => true,
            });
            if left.len() == before {
                break;
            }
        }
        for &x in features {
            if parent[x].is_none() {
                parent[x] = Some(None);
            }
        }
    }

    // Round 3: the tree tables.
    let with_parent: Vec<(usize, usize)> = features
        .iter()
        .filter_map(|&x| parent[x].flatten().map(|p| (x, p)))
        .collect();
    let mut tree_m: Vec<(usize, Measured)> = Vec::new();
    if !with_parent.is_empty() {
        let scale = scaled(opts, tree.noise(with_parent.len()).0);
        tree_m = with_parent
            .iter()
            .enumerate()
            .map(|(k, &(x, p))| {
                (
                    x,
                    noisy(
                        enc,
                        w,
                        &with_label(&[p, x]),
                        scale,
                        tree,
                        opts.seed,
                        (3, k as u64),
                    ),
                )
            })
            .collect();
        entries.push(entry(
            &if label.is_some() {
                "a three-way table (label, parent, feature) per tree edge".to_string()
            } else {
                "a two-way table (parent, feature) per tree edge".to_string()
            },
            gauss_or_laplace,
            with_parent.len(),
            tree,
            scale,
        ));
    }
    // With no edge to measure, round 3's share is not spent: the ledger has no entry for it
    // and its total is what was spent.

    let est = estimate::estimate(
        enc.iter().map(Encoded::card).collect(),
        head_vars,
        label,
        features,
        given,
        head_m,
        base_m,
        tree_m,
    );

    // Nodes in an order where every parent comes first.
    let mut nodes: Vec<Node> = Vec::new();
    let mut done: Vec<bool> = (0..enc.len())
        .map(|v| head_vars.contains(&v) || given.contains(&v))
        .collect();
    while nodes.len() < features.len() {
        let before = nodes.len();
        for &x in features {
            if done[x] {
                continue;
            }
            let p = parent[x].flatten();
            if p.is_some_and(|p| !done[p]) {
                continue;
            }
            let parents: Vec<usize> = label.into_iter().chain(p).collect();
            nodes.push(Node {
                var: x,
                parents,
                groups: Vec::new(),
                counts: est.node_table(x),
            });
            done[x] = true;
        }
        if nodes.len() == before {
            break;
        }
    }

    let (rho_total, eps_total) = match whole {
        Budget::Rho(r) => {
            let spent: f64 = entries.iter().map(|e| e.rho).sum();
            debug_assert!(spent <= r * (1.0 + 1e-12));
            // The ρ was chosen as the largest whose ε is at most the budget (to a relative
            // 1e-12): the budget is the guarantee, unless less was spent.
            let eps = account::epsilon_of_rho(spent, delta);
            // A table's part of a larger fit reports its own ε (the whole fit's is the
            // conversion of the tables' ρ added up).
            (
                Some(spent),
                if opts.dp_share.is_none() && epsilon - eps < 1e-6 {
                    epsilon
                } else {
                    eps
                },
            )
        }
        Budget::Pure(_) => (None, entries.iter().map(|e| e.epsilon).sum()),
    };
    let ledger = Ledger {
        epsilon: eps_total,
        delta,
        rho: rho_total,
        mechanism: match whole {
            Budget::Rho(_) => "gaussian (rho-zCDP, converted to (epsilon, delta))".into(),
            Budget::Pure(_) => "laplace (pure epsilon)".into(),
        },
        neighbouring: "add or remove one row".into(),
        entries,
    };
    PrivateFit {
        head: est.head.clone(),
        rows: est.total.round().max(1.0) as u64,
        nodes,
        ledger,
    }
}

/// Largest tree table (cells) whatever `max_cells` allows: larger tables drown in noise.
pub const MAX_TREE_CELLS: usize = 1 << 16;

#[cfg(test)]
mod tests {
    use super::super::{VarKind, Variable};
    use super::*;

    fn var(name: &str, levels: usize) -> Variable {
        Variable {
            name: name.into(),
            kind: VarKind::Categorical {
                levels: (0..levels).map(|l| l.to_string()).collect(),
            },
            null: false,
        }
    }

    #[test]
    fn measured_tables_carry_noise_of_the_stated_scale() {
        // One variable of 1,000 codes, 50 rows each: the noisy table less the true one is
        // 1,000 draws of the noise per seed.
        let enc = vec![Encoded {
            var: var("x", 1000),
            codes: (0..1000u32).collect(),
            within: None,
        }];
        let w = vec![50.0; 1000];
        let rho = 0.02;
        let (sigma, variance) = Budget::Rho(rho).noise(4);
        assert!((sigma - (4.0f64 / (2.0 * rho)).sqrt()).abs() < 1e-12);
        let mut dev = Vec::new();
        for seed in 0..20 {
            let m = noisy(&enc, &w, &[0], sigma, Budget::Rho(rho), seed, (1, 0));
            assert_eq!(m.variance, variance);
            dev.extend(m.values.iter().map(|v| v - 50.0));
        }
        let n = dev.len() as f64;
        let var = dev.iter().map(|d| d * d).sum::<f64>() / n;
        // The sample variance of n normal draws has relative standard error √(2/n).
        assert!(
            (var / variance - 1.0).abs() < 5.0 * (2.0 / n).sqrt(),
            "{var} vs {variance}"
        );
        // Laplace: variance 2b².
        let (b, variance) = Budget::Pure(0.5).noise(2);
        assert_eq!(b, 4.0);
        let mut dev = Vec::new();
        for seed in 0..20 {
            let m = noisy(&enc, &w, &[0], b, Budget::Pure(0.5), seed, (1, 0));
            dev.extend(m.values.iter().map(|v| v - 50.0));
        }
        let var = dev.iter().map(|d| d * d).sum::<f64>() / n;
        // Laplace's sample variance: relative standard error √((kurtosis − 1) / n) = √(5/n).
        assert!(
            (var / variance - 1.0).abs() < 5.0 * (5.0 / n).sqrt(),
            "{var} vs {variance}"
        );
    }

    #[test]
    fn the_model_is_consistent_and_keeps_the_label_dependence() {
        // Label c, head member h, features x (copy of c mostly) and z (copy of x mostly).
        let rows = 4000usize;
        let c: Vec<u32> = (0..rows).map(|i| u32::from(i % 4 == 0)).collect();
        let h: Vec<u32> = (0..rows).map(|i| (i % 3) as u32).collect();
        let x: Vec<u32> = (0..rows)
            .map(|i| if i % 10 == 0 { 1 - c[i] } else { c[i] })
            .collect();
        let z: Vec<u32> = (0..rows)
            .map(|i| if i % 7 == 0 { 2 } else { x[i] })
            .collect();
        let enc: Vec<Encoded> = [("c", 2, c), ("h", 3, h), ("x", 2, x), ("z", 3, z)]
            .into_iter()
            .map(|(n, k, codes)| Encoded {
                var: var(n, k),
                codes,
                within: None,
            })
            .collect();
        let w = vec![1.0; rows];
        let opts = FitOptions {
            epsilon: Some(5.0),
            ..FitOptions::default()
        };
        let roles = Roles {
            head: &[0, 1],
            features: &[2, 3],
            label: Some(0),
            given: &[],
            forced: &[],
        };
        let p = fit_private(&enc, &w, &roles, &opts);
        assert_eq!(p.nodes.len(), 2);
        let total: f64 = p.head.iter().sum();
        assert!((total - rows as f64).abs() < 200.0, "{total}");
        for n in &p.nodes {
            assert_eq!(n.parents[0], 0, "every node is drawn given the label");
            assert!(n.counts.iter().all(|v| v.is_finite() && *v >= 0.0));
            // Totals agree with the head's.
            let s: f64 = n.counts.iter().sum();
            assert!((s - total).abs() < 1e-3 * total, "{s} vs {total}");
        }
        // x given c: P(x = c) about 0.9.
        let nx = p.nodes.iter().find(|n| n.var == 2).expect("x");
        let card_rest: usize = nx.counts.len() / 4;
        let same: f64 = (0..nx.counts.len())
            .filter(|k| {
                let cv = k / (card_rest * 2);
                k % 2 == cv
            })
            .map(|k| nx.counts[k])
            .sum();
        let share = same / nx.counts.iter().sum::<f64>();
        assert!((share - 0.9).abs() < 0.05, "{share}");
    }
}
