//! Formulas of a `formula` generator: `+ - * /`, parentheses, numbers and column names
//! (`quantity * unit_price`, `orders.total - discount`), parsed once into an [`Expr`] and
//! evaluated per row. A null input or a division by zero gives a null.

use std::fmt;

/// A parsed arithmetic expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// A number.
    Number(f64),
    /// A column (`name` or `table.name`).
    Column(String),
    /// `-x`.
    Neg(Box<Expr>),
    /// A binary operation.
    Binary(Op, Box<Expr>, Box<Expr>),
}

/// Binary operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// `+`.
    Add,
    /// `-`.
    Sub,
    /// `*`.
    Mul,
    /// `/`.
    Div,
}

/// Why a formula could not be parsed: a message and the 1-based character it points at.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message} at character {at}")]
pub struct FormulaError {
    /// What is wrong.
    pub message: String,
    /// 1-based character position in the formula.
    pub at: usize,
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Num(f64),
    Name(String),
    Sym(char),
}

/// Formulas nest at most this deep (a guard against stack exhaustion on hostile input).
const MAX_DEPTH: usize = 64;

fn tokens(text: &str) -> Result<Vec<(Tok, usize)>, FormulaError> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let at = i + 1;
        if c.is_whitespace() {
            i += 1;
        } else if c.is_ascii_digit()
            || (c == '.' && chars.get(i + 1).is_some_and(|d| d.is_ascii_digit()))
        {
            let start = i;
            while i < chars.len() && (chars[i].is_ascii_digit() || chars[i] == '.') {
                i += 1;
            }
            if i < chars.len() && (chars[i] == 'e' || chars[i] == 'E') {
                let mut j = i + 1;
                if j < chars.len() && (chars[j] == '+' || chars[j] == '-') {
                    j += 1;
                }
                if j < chars.len() && chars[j].is_ascii_digit() {
                    i = j;
                    while i < chars.len() && chars[i].is_ascii_digit() {
                        i += 1;
                    }
                }
            }
            let s: String = chars[start..i].iter().collect();
            let v = s.parse::<f64>().map_err(|_| FormulaError {
                message: format!("`{s}` is not a number"),
                at,
            })?;
            out.push((Tok::Num(v), at));
        } else if c.is_alphabetic() || c == '_' {
            let start = i;
            while i < chars.len()
                && (chars[i].is_alphanumeric() || chars[i] == '_' || chars[i] == '.')
            {
                i += 1;
            }
            let s: String = chars[start..i].iter().collect();
            if s.ends_with('.') || s.contains("..") {
                return Err(FormulaError {
                    message: format!("`{s}` is not a column name"),
                    at,
                });
            }
            out.push((Tok::Name(s), at));
        } else if "+-*/()".contains(c) {
            out.push((Tok::Sym(c), at));
            i += 1;
        } else {
            return Err(FormulaError {
                message: format!("unexpected `{c}` (formulas use + - * / and parentheses)"),
                at,
            });
        }
    }
    Ok(out)
}

struct Parser {
    toks: Vec<(Tok, usize)>,
    i: usize,
    end: usize,
}

impl Parser {
    fn at(&self) -> usize {
        self.toks.get(self.i).map_or(self.end, |t| t.1)
    }

    fn peek_sym(&self) -> Option<char> {
        match self.toks.get(self.i) {
            Some((Tok::Sym(c), _)) => Some(*c),
            _ => None,
        }
    }

    fn expr(&mut self, depth: usize) -> Result<Expr, FormulaError> {
        let mut left = self.term(depth)?;
        while let Some(c @ ('+' | '-')) = self.peek_sym() {
            self.i += 1;
            let right = self.term(depth)?;
            let op = if c == '+' { Op::Add } else { Op::Sub };
            left = Expr::Binary(op, Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn term(&mut self, depth: usize) -> Result<Expr, FormulaError> {
        let mut left = self.factor(depth)?;
        while let Some(c @ ('*' | '/')) = self.peek_sym() {
            self.i += 1;
            let right = self.factor(depth)?;
            let op = if c == '*' { Op::Mul } else { Op::Div };
            left = Expr::Binary(op, Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn factor(&mut self, depth: usize) -> Result<Expr, FormulaError> {
        if depth > MAX_DEPTH {
            return Err(FormulaError {
                message: format!("the formula nests more than {MAX_DEPTH} levels deep"),
                at: self.at(),
            });
        }
        let at = self.at();
        match self.toks.get(self.i).cloned() {
            Some((Tok::Num(v), _)) => {
                self.i += 1;
                Ok(Expr::Number(v))
            }
            Some((Tok::Name(n), _)) => {
                self.i += 1;
                Ok(Expr::Column(n))
            }
            Some((Tok::Sym('-'), _)) => {
                self.i += 1;
                Ok(Expr::Neg(Box::new(self.factor(depth + 1)?)))
            }
            Some((Tok::Sym('('), _)) => {
                self.i += 1;
                let e = self.expr(depth + 1)?;
                if self.peek_sym() != Some(')') {
                    return Err(FormulaError {
                        message: "missing `)`".into(),
                        at: self.at(),
                    });
                }
                self.i += 1;
                Ok(e)
            }
            Some((Tok::Sym(c), _)) => Err(FormulaError {
                message: format!("expected a number, a column or `(`, found `{c}`"),
                at,
            }),
            None => Err(FormulaError {
                message: "the formula ends where a number or a column is expected".into(),
                at,
            }),
        }
    }
}

impl Expr {
    /// Parses a formula.
    pub fn parse(text: &str) -> Result<Expr, FormulaError> {
        let toks = tokens(text)?;
        let end = text.chars().count() + 1;
        if toks.is_empty() {
            return Err(FormulaError {
                message: "the formula is empty".into(),
                at: 1,
            });
        }
        let mut p = Parser { toks, i: 0, end };
        let e = p.expr(0)?;
        if p.i < p.toks.len() {
            return Err(FormulaError {
                message: "unexpected text after the formula (an operator missing?)".into(),
                at: p.at(),
            });
        }
        Ok(e)
    }

    /// The columns the formula reads, in order of appearance, without repeats.
    pub fn columns(&self) -> Vec<&str> {
        let mut out = Vec::new();
        self.collect(&mut out);
        let mut seen = std::collections::HashSet::new();
        out.retain(|c| seen.insert(*c));
        out
    }

    fn collect<'a>(&'a self, out: &mut Vec<&'a str>) {
        match self {
            Expr::Number(_) => {}
            Expr::Column(c) => out.push(c),
            Expr::Neg(e) => e.collect(out),
            Expr::Binary(_, a, b) => {
                a.collect(out);
                b.collect(out);
            }
        }
    }

    /// Evaluates the formula, looking columns up with `value` (`None`: null). Null in, or a
    /// result that is not finite (division by zero): null out.
    pub fn eval(&self, value: &dyn Fn(&str) -> Option<f64>) -> Option<f64> {
        let v = match self {
            Expr::Number(x) => *x,
            Expr::Column(c) => value(c)?,
            Expr::Neg(e) => -e.eval(value)?,
            Expr::Binary(op, a, b) => {
                let (x, y) = (a.eval(value)?, b.eval(value)?);
                match op {
                    Op::Add => x + y,
                    Op::Sub => x - y,
                    Op::Mul => x * y,
                    Op::Div => x / y,
                }
            }
        };
        v.is_finite().then_some(v)
    }
}

impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expr::Number(x) => write!(f, "{x}"),
            Expr::Column(c) => write!(f, "{c}"),
            Expr::Neg(e) => write!(f, "-({e})"),
            Expr::Binary(op, a, b) => {
                let o = match op {
                    Op::Add => '+',
                    Op::Sub => '-',
                    Op::Mul => '*',
                    Op::Div => '/',
                };
                write!(f, "({a} {o} {b})")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eval(text: &str, cols: &[(&str, f64)]) -> Option<f64> {
        let e = Expr::parse(text).unwrap();
        e.eval(&|c| cols.iter().find(|(n, _)| *n == c).map(|(_, v)| *v))
    }

    #[test]
    fn precedence_and_parentheses() {
        assert_eq!(eval("1 + 2 * 3", &[]), Some(7.0));
        assert_eq!(eval("(1 + 2) * 3", &[]), Some(9.0));
        assert_eq!(eval("10 - 4 - 3", &[]), Some(3.0));
        assert_eq!(eval("-2 * -3", &[]), Some(6.0));
        assert_eq!(eval("1.5e2 / 3", &[]), Some(50.0));
    }

    #[test]
    fn columns_and_nulls() {
        let cols = [
            ("quantity", 3.0),
            ("unit_price", 2.5),
            ("orders.discount", 0.5),
        ];
        assert_eq!(
            eval("quantity * unit_price - orders.discount", &cols),
            Some(7.0)
        );
        assert_eq!(eval("quantity * missing", &cols), None);
        assert_eq!(eval("quantity / 0", &cols), None);
        let e = Expr::parse("a * b + a").unwrap();
        assert_eq!(e.columns(), vec!["a", "b"]);
    }

    #[test]
    fn errors_point_at_the_character() {
        let e = Expr::parse("a * (b + 1").unwrap_err();
        assert_eq!(e.at, 11);
        assert!(e.message.contains("missing `)`"));
        assert_eq!(Expr::parse("a $ b").unwrap_err().at, 3);
        assert_eq!(Expr::parse("a b").unwrap_err().at, 3);
        assert_eq!(Expr::parse("a *").unwrap_err().at, 4);
        assert_eq!(Expr::parse("").unwrap_err().at, 1);
        assert!(Expr::parse(&"(".repeat(100)).is_err());
        assert!(Expr::parse("orders.").is_err());
    }

    proptest::proptest! {
        #[test]
        fn parsing_never_panics(text in "[a-z0-9 .+*/()eE-]{0,40}") {
            let _ = Expr::parse(&text);
        }
    }
}
