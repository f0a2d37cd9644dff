//! A small gradient-boosted tree classifier for two classes, for the detection test: shallow
//! trees on binned features (a histogram method, as LightGBM and scikit-learn's
//! HistGradientBoostingClassifier), logistic loss, Newton leaf values. Unlike a logistic
//! regression it sees interactions: two columns whose combination changed while each
//! column's shape stayed the same.
//!
//! Features are small integers: a numeric column's quantile bin (from the training rows), a
//! categorical column's level, with one more bin for null. Each feature's bins are ordered by
//! their share of the positive class in the training rows, and a split cuts that order: for
//! two classes this finds the best grouping of the bins into two (Fisher's ordering), so a
//! split can set apart a number's middle bins or any set of levels.
//!
//! Deterministic: histograms are summed row by row in a fixed order per feature, and features
//! are searched in order; the thread count only changes which thread sums which feature.

use rayon::prelude::*;

/// Boosting rounds.
const ROUNDS: usize = 60;
/// Shrinkage of each tree's values.
const LEARNING_RATE: f64 = 0.15;
/// Depth of each tree.
const DEPTH: usize = 3;
/// L2 penalty on leaf values.
const LAMBDA: f64 = 1.0;
/// Fewest training rows in a leaf.
const MIN_LEAF: usize = 20;

/// Binned rows: per feature, one bin per row.
#[derive(Debug, Clone, Default)]
pub(crate) struct Binned {
    /// Per feature, the bin of every row.
    pub columns: Vec<Vec<u16>>,
    /// Per feature, the number of bins.
    pub bins: Vec<usize>,
}

impl Binned {
    fn rows(&self) -> usize {
        self.columns.first().map_or(0, Vec::len)
    }
}

/// A tree: a leaf's value, or a split of the rows by the bin of one feature.
#[derive(Debug, Clone)]
enum Tree {
    Leaf(f64),
    Split {
        feature: usize,
        /// Per bin of the feature, whether its rows go to `lo`.
        left: Vec<bool>,
        lo: Box<Tree>,
        hi: Box<Tree>,
    },
}

impl Tree {
    fn value(&self, x: &Binned, r: usize) -> f64 {
        match self {
            Tree::Leaf(v) => *v,
            Tree::Split {
                feature,
                left,
                lo,
                hi,
            } => {
                if left[x.columns[*feature][r] as usize] {
                    lo.value(x, r)
                } else {
                    hi.value(x, r)
                }
            }
        }
    }
}

/// A fitted model: the prior log-odds and the trees.
#[derive(Debug, Clone)]
pub(crate) struct Boosted {
    base: f64,
    trees: Vec<Tree>,
}

impl Boosted {
    /// The log-odds of class 1 for row `r` of `x`.
    pub fn score(&self, x: &Binned, r: usize) -> f64 {
        self.base + LEARNING_RATE * self.trees.iter().map(|t| t.value(x, r)).sum::<f64>()
    }
}

fn sigmoid(z: f64) -> f64 {
    1.0 / (1.0 + (-z).exp())
}

/// Fits the classifier to `x` with labels `y` (true: class 1).
pub(crate) fn fit(x: &Binned, y: &[bool]) -> Boosted {
    let n = x.rows();
    let pos = y.iter().filter(|v| **v).count() as f64;
    let p = ((pos + 0.5) / (n as f64 + 1.0)).clamp(1e-6, 1.0 - 1e-6);
    let base = (p / (1.0 - p)).ln();
    // Per feature, its bins by ascending share of class 1 (ties: by bin).
    let order: Vec<Vec<u16>> = (0..x.columns.len())
        .map(|f| {
            let mut share: Vec<(f64, u16)> = (0..x.bins[f]).map(|b| (0.0, b as u16)).collect();
            let mut count = vec![0.0; x.bins[f]];
            for (b, yes) in x.columns[f].iter().zip(y) {
                count[*b as usize] += 1.0;
                if *yes {
                    share[*b as usize].0 += 1.0;
                }
            }
            for (s, c) in share.iter_mut().zip(&count) {
                s.0 = (s.0 + 0.5) / (c + 1.0);
            }
            share.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
            share.into_iter().map(|(_, b)| b).collect()
        })
        .collect();
    let mut score = vec![base; n];
    let mut trees = Vec::with_capacity(ROUNDS);
    let all: Vec<usize> = (0..n).collect();
    for _ in 0..ROUNDS {
        let (g, h): (Vec<f64>, Vec<f64>) = score
            .iter()
            .zip(y)
            .map(|(s, yes)| {
                let p = sigmoid(*s);
                (p - f64::from(u8::from(*yes)), (p * (1.0 - p)).max(1e-12))
            })
            .unzip();
        let tree = grow(x, &order, &g, &h, &all, DEPTH);
        for (r, s) in score.iter_mut().enumerate() {
            *s += LEARNING_RATE * tree.value(x, r);
        }
        trees.push(tree);
    }
    Boosted { base, trees }
}

fn leaf(g: &[f64], h: &[f64], rows: &[usize]) -> Tree {
    let (sg, sh) = rows
        .iter()
        .fold((0.0, 0.0), |(a, b), &r| (a + g[r], b + h[r]));
    Tree::Leaf(-sg / (sh + LAMBDA))
}

/// The best split of `rows` or a leaf.
fn grow(
    x: &Binned,
    order: &[Vec<u16>],
    g: &[f64],
    h: &[f64],
    rows: &[usize],
    depth: usize,
) -> Tree {
    if depth == 0 || rows.len() < 2 * MIN_LEAF {
        return leaf(g, h, rows);
    }
    let (tg, th) = rows
        .iter()
        .fold((0.0, 0.0), |(a, b), &r| (a + g[r], b + h[r]));
    let parent = tg * tg / (th + LAMBDA);
    // Per feature: the best cut along its bin order (gain, feature, cut position).
    let best = (0..x.columns.len())
        .into_par_iter()
        .map(|f| {
            let bins = x.bins[f];
            let mut hg = vec![0.0; bins];
            let mut hh = vec![0.0; bins];
            let mut hn = vec![0usize; bins];
            let col = &x.columns[f];
            for &r in rows {
                let b = col[r] as usize;
                hg[b] += g[r];
                hh[b] += h[r];
                hn[b] += 1;
            }
            let (mut lg, mut lh, mut ln) = (0.0, 0.0, 0usize);
            let mut best: Option<(f64, usize)> = None;
            for (k, &b) in order[f].iter().enumerate().take(bins.saturating_sub(1)) {
                let b = b as usize;
                lg += hg[b];
                lh += hh[b];
                ln += hn[b];
                let rn = rows.len() - ln;
                if ln < MIN_LEAF || rn < MIN_LEAF {
                    continue;
                }
                let (rg, rh) = (tg - lg, th - lh);
                let gain = lg * lg / (lh + LAMBDA) + rg * rg / (rh + LAMBDA) - parent;
                if best.is_none_or(|(g0, _)| gain > g0) {
                    best = Some((gain, k));
                }
            }
            best.map(|(gain, k)| (gain, f, k))
        })
        .collect::<Vec<_>>()
        .into_iter()
        .flatten()
        .fold(None, |acc: Option<(f64, usize, usize)>, c| match acc {
            Some(a) if a.0 >= c.0 => Some(a),
            _ => Some(c),
        });
    // A split that gains nothing yet is still made: its children may (two columns that
    // matter only together, as in an XOR, show no gain at the first split).
    let Some((_, feature, k)) = best.filter(|b| b.0 >= -1e-12) else {
        return leaf(g, h, rows);
    };
    let mut left = vec![false; x.bins[feature]];
    for &b in &order[feature][..=k] {
        left[b as usize] = true;
    }
    let (lo, hi): (Vec<usize>, Vec<usize>) = rows
        .iter()
        .partition(|&&r| left[x.columns[feature][r] as usize]);
    Tree::Split {
        feature,
        lo: Box::new(grow(x, order, g, h, &lo, depth - 1)),
        hi: Box::new(grow(x, order, g, h, &hi, depth - 1)),
        left,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_interaction_a_linear_score_cannot_see_is_learnt() {
        // Two fair coins: class 0 has them equal, class 1 different (XOR). Each coin alone
        // says nothing.
        let mut a = Vec::new();
        let mut b = Vec::new();
        let mut y = Vec::new();
        for i in 0..2000u32 {
            let (p, q) = ((i % 2) as u16, ((i / 2) % 2) as u16);
            a.push(p);
            b.push(q);
            y.push(p != q);
        }
        let x = Binned {
            columns: vec![a, b],
            bins: vec![2, 2],
        };
        let m = fit(&x, &y);
        let right = (0..y.len())
            .filter(|&r| (m.score(&x, r) > 0.0) == y[r])
            .count();
        assert_eq!(right, y.len());
    }

    #[test]
    fn noise_gives_scores_near_the_prior() {
        let x = Binned {
            columns: vec![(0..1000).map(|i| (i % 7) as u16).collect()],
            bins: vec![7],
        };
        let y: Vec<bool> = (0..1000).map(|i| (i / 7) % 2 == 0).collect();
        let m = fit(&x, &y);
        for r in 0..7 {
            assert!(m.score(&x, r).abs() < 0.3, "{}", m.score(&x, r));
        }
    }
}
