//! Formulas between numeric columns: a column that equals the product, sum, difference or
//! quotient of two others on every row (a loan's `amount = duration × payments`). `fit` of
//! linked tables finds them on the real rows and does not model the derived column: sampling
//! computes it from the two, so the rule holds exactly in every sampled row, as it does in
//! every real one. `evaluate` finds them on the real rows too and counts the synthetic rows
//! that break them.
//!
//! A formula is kept only when it holds on every row where any of its columns has a value
//! (the derived column empty exactly when an operand is), on at least `min_rows` rows, with
//! the derived column taking at least two values. A sum, difference or product must be exact
//! (its operands have no more decimal places than the result holds); a quotient must equal
//! the derived column once rounded to its decimal places (at most [`MAX_DECIMALS`]). A column
//! derived by one
//! formula is never an operand of another, so the order of computation is the order of the
//! formulas.

use serde::{Deserialize, Serialize};

/// The most decimal places a derived column may have.
pub const MAX_DECIMALS: u32 = 6;
/// The most numeric columns searched: the search visits every column and pair of others.
const MAX_COLUMNS: usize = 40;

/// How a derived column is computed from its two operands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Operation {
    /// `left × right`.
    Product,
    /// `left + right`.
    Sum,
    /// `left − right`.
    Difference,
    /// `left ÷ right`, rounded to the column's decimals.
    Quotient,
}

impl Operation {
    /// All, in the order a column is tried (a product before the quotients it implies).
    const ALL: [Operation; 4] = [
        Operation::Product,
        Operation::Sum,
        Operation::Difference,
        Operation::Quotient,
    ];

    fn apply(self, a: f64, b: f64) -> f64 {
        match self {
            Operation::Product => a * b,
            Operation::Sum => a + b,
            Operation::Difference => a - b,
            Operation::Quotient => a / b,
        }
    }

    /// Whether `left op right` is the same as `right op left`.
    fn commutes(self) -> bool {
        matches!(self, Operation::Product | Operation::Sum)
    }

    fn symbol(self) -> &'static str {
        match self {
            Operation::Product => "×",
            Operation::Sum => "+",
            Operation::Difference => "−",
            Operation::Quotient => "÷",
        }
    }
}

/// `column = left op right`, on every real row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Formula {
    /// The derived column.
    pub column: String,
    /// How it is computed.
    pub operation: Operation,
    /// The first operand (a modelled column of the same table).
    pub left: String,
    /// The second operand.
    pub right: String,
    /// Decimal places of the derived column's values.
    pub decimals: u32,
}

impl Formula {
    /// The value for operands `a` and `b` (NaN when either is missing or the result is not a
    /// finite number), rounded to the column's decimals.
    pub fn value(&self, a: f64, b: f64) -> f64 {
        let v = self.operation.apply(a, b);
        if !v.is_finite() {
            return f64::NAN;
        }
        round_to(v, self.decimals)
    }
}

impl std::fmt::Display for Formula {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} = {} {} {}",
            self.column,
            self.left,
            self.operation.symbol(),
            self.right
        )
    }
}

fn round_to(v: f64, decimals: u32) -> f64 {
    let scale = 10f64.powi(decimals as i32);
    (v * scale).round() / scale
}

/// The decimal places the values need (up to [`MAX_DECIMALS`]); `None` when some value needs
/// more (a measured quantity, not a computed one).
fn decimals(x: &[f64]) -> Option<u32> {
    let mut d = 0;
    for v in x.iter().filter(|v| !v.is_nan()) {
        while d <= MAX_DECIMALS && (round_to(*v, d) - v).abs() > 1e-9 * v.abs().max(1.0) {
            d += 1;
        }
        if d > MAX_DECIMALS {
            return None;
        }
    }
    Some(d)
}

/// Whether `c = a op b` on every row (and the rows agree on which values are missing). `d`
/// is `c`'s decimal places; a sum, difference or product must be exact at them (its operands
/// need no more places than it has), a quotient equal once rounded to them.
/// `places` are `a`'s and `b`'s decimal places.
fn holds(
    op: Operation,
    (c, a, b): (&[f64], &[f64], &[f64]),
    d: u32,
    places: (u32, u32),
    min_rows: usize,
) -> bool {
    let exact = match op {
        Operation::Sum | Operation::Difference => places.0.max(places.1) <= d,
        Operation::Product => places.0 + places.1 <= d,
        Operation::Quotient => true,
    };
    if !exact {
        return false;
    }
    let mut n = 0usize;
    for ((&c, &a), &b) in c.iter().zip(a).zip(b) {
        let missing = a.is_nan() || b.is_nan();
        if c.is_nan() || missing {
            if c.is_nan() != missing {
                return false;
            }
            continue;
        }
        let v = op.apply(a, b);
        if !v.is_finite() {
            return false;
        }
        let ok = if op == Operation::Quotient {
            round_to(v, d) == c
        } else {
            // A float's error, relative to the value.
            (v - c).abs() <= 1e-9 * c.abs().max(1.0)
        };
        if !ok {
            return false;
        }
        n += 1;
    }
    n >= min_rows
}

fn distinct_at_least_two(x: &[f64]) -> bool {
    let mut first = None;
    for v in x.iter().filter(|v| !v.is_nan()) {
        match first {
            None => first = Some(*v),
            Some(f) if f != *v => return true,
            Some(_) => {}
        }
    }
    false
}

/// The formulas among `columns` (name, values; in the table's order) that hold on every row.
/// `derivable` says which columns may be derived (not a protected or label column, say).
pub fn find(
    columns: &[(String, &[f64])],
    derivable: &dyn Fn(&str) -> bool,
    min_rows: usize,
) -> Vec<Formula> {
    let columns = &columns[..columns.len().min(MAX_COLUMNS)];
    let places: Vec<u32> = columns
        .iter()
        .map(|(_, x)| decimals(x).unwrap_or(MAX_DECIMALS + 1))
        .collect();
    let mut found: Vec<Formula> = Vec::new();
    let mut derived: Vec<&str> = Vec::new();
    let mut operands: Vec<&str> = Vec::new();
    for (ci, (name, c)) in columns.iter().enumerate() {
        if !derivable(name) || operands.contains(&name.as_str()) || !distinct_at_least_two(c) {
            continue;
        }
        let d = places[ci];
        if d > MAX_DECIMALS {
            continue;
        }
        'search: for op in Operation::ALL {
            for (ai, (left, a)) in columns.iter().enumerate() {
                if ai == ci || derived.contains(&left.as_str()) {
                    continue;
                }
                for (bi, (right, b)) in columns.iter().enumerate() {
                    if bi == ci || bi == ai || derived.contains(&right.as_str()) {
                        continue;
                    }
                    if op.commutes() && bi < ai {
                        continue;
                    }
                    if holds(op, (c, a, b), d, (places[ai], places[bi]), min_rows) {
                        found.push(Formula {
                            column: name.clone(),
                            operation: op,
                            left: left.clone(),
                            right: right.clone(),
                            decimals: d,
                        });
                        derived.push(name);
                        operands.push(left);
                        operands.push(right);
                        break 'search;
                    }
                }
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cols(v: &[(&str, Vec<f64>)]) -> Vec<(String, Vec<f64>)> {
        v.iter().map(|(n, x)| (n.to_string(), x.clone())).collect()
    }

    fn run(v: &[(String, Vec<f64>)], min_rows: usize) -> Vec<String> {
        let refs: Vec<(String, &[f64])> = v.iter().map(|(n, x)| (n.clone(), &x[..])).collect();
        find(&refs, &|_| true, min_rows)
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    #[test]
    fn a_product_is_found_and_its_quotients_are_not_added() {
        let duration = vec![12.0, 36.0, 60.0, 24.0];
        let payments = vec![8033.0, 4610.0, 2118.0, 3373.0];
        let amount: Vec<f64> = duration.iter().zip(&payments).map(|(a, b)| a * b).collect();
        let v = cols(&[
            ("amount", amount),
            ("duration", duration),
            ("payments", payments),
        ]);
        assert_eq!(run(&v, 2), ["amount = duration × payments"]);
    }

    #[test]
    fn one_row_off_and_too_few_rows_find_nothing() {
        let a = vec![1.0, 2.0, 3.0, 4.0];
        let b = vec![5.0, 6.0, 7.0, 8.0];
        let mut c: Vec<f64> = a.iter().zip(&b).map(|(a, b)| a + b).collect();
        let v = cols(&[("c", c.clone()), ("a", a.clone()), ("b", b.clone())]);
        assert_eq!(run(&v, 4), ["c = a + b"]);
        assert!(run(&v, 5).is_empty(), "fewer rows than min_rows");
        c[2] += 0.01;
        let v = cols(&[("c", c), ("a", a), ("b", b)]);
        assert!(run(&v, 1).is_empty());
    }

    #[test]
    fn a_rounded_quotient_and_missing_values_that_agree() {
        let nan = f64::NAN;
        let total = vec![10.0, 7.0, nan, 9.99];
        let qty = vec![3.0, 2.0, 4.0, 3.0];
        let unit = vec![3.33, 3.5, nan, 3.33];
        let v = cols(&[("unit", unit.clone()), ("total", total), ("qty", qty)]);
        assert_eq!(run(&v, 2), ["unit = total ÷ qty"]);
        // A value where an operand is missing breaks the rule.
        let mut unit2 = unit;
        unit2[2] = 1.0;
        let v = cols(&[
            ("unit", unit2),
            ("total", vec![10.0, 7.0, nan, 9.99]),
            ("qty", vec![3.0, 2.0, 4.0, 3.0]),
        ]);
        assert!(run(&v, 2).is_empty());
    }

    #[test]
    fn a_constant_or_measured_column_is_not_derived() {
        let a = vec![1.0, 2.0, 3.0];
        let zero = vec![0.0, 0.0, 0.0];
        let v = cols(&[("z", zero.clone()), ("a", a.clone()), ("b", zero)]);
        assert!(run(&v, 1).is_empty(), "z = a × b with z constant");
        let m = vec![0.1234567, 0.2345678, 0.3456789];
        assert_eq!(decimals(&m), None);
        assert_eq!(decimals(&[1.5, 2.25]), Some(2));
        let f = Formula {
            column: "x".into(),
            operation: Operation::Quotient,
            left: "a".into(),
            right: "b".into(),
            decimals: 2,
        };
        assert_eq!(f.value(10.0, 3.0), 3.33);
        assert!(f.value(1.0, 0.0).is_nan());
    }
}
