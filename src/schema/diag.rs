//! Diagnostics: one schema problem each, with the file, line, column and key path at fault.

use std::fmt;

/// A position in a schema file: 1-based line and column, as editors show them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, PartialOrd, Ord)]
pub struct Pos {
    /// 1-based line number.
    pub line: usize,
    /// 1-based column number.
    pub col: usize,
}

impl Pos {
    /// Converts saphyr's marker (1-based line, 0-based column).
    pub(crate) fn from_marker(m: &saphyr::Marker) -> Self {
        Pos {
            line: m.line(),
            col: m.col() + 1,
        }
    }
}

/// One problem found in a schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// Where in the file; the key at fault, or the value when the value is wrong.
    pub pos: Pos,
    /// Key path, e.g. `columns[3].distribution.kind` (columns are 0-based, as in YAML tooling).
    pub path: String,
    /// What is wrong.
    pub message: String,
    /// How to fix it, when there is something useful to say.
    pub hint: Option<String>,
}

/// Every problem found in one schema file, in file order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostics {
    /// The file as the user named it.
    pub file: String,
    /// The problems, sorted by position.
    pub items: Vec<Diagnostic>,
}

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for d in &self.items {
            writeln!(
                f,
                "{}:{}:{}: {}: {}",
                self.file, d.pos.line, d.pos.col, d.path, d.message
            )?;
            if let Some(h) = &d.hint {
                writeln!(f, "    hint: {h}")?;
            }
        }
        let n = self.items.len();
        write!(
            f,
            "{}: {} error{}",
            self.file,
            n,
            if n == 1 { "" } else { "s" }
        )
    }
}

/// Collects diagnostics while a schema is decoded, so that every problem is reported at once.
#[derive(Debug, Default)]
pub(crate) struct Sink {
    pub(crate) items: Vec<Diagnostic>,
}

impl Sink {
    pub(crate) fn err(&mut self, pos: Pos, path: &str, message: impl Into<String>) {
        self.items.push(Diagnostic {
            pos,
            path: path.to_string(),
            message: message.into(),
            hint: None,
        });
    }

    pub(crate) fn hint(
        &mut self,
        pos: Pos,
        path: &str,
        message: impl Into<String>,
        hint: impl Into<String>,
    ) {
        self.items.push(Diagnostic {
            pos,
            path: path.to_string(),
            message: message.into(),
            hint: Some(hint.into()),
        });
    }
}

/// The closest candidate to `word` by Jaro-Winkler similarity, if it is close enough to be a
/// plausible typo (`normall` -> `normal`).
pub(crate) fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| (strsim::jaro_winkler(word, c), c))
        .filter(|(s, _)| *s >= 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}

/// A hint listing what is allowed, led by the nearest match when there is one.
pub(crate) fn choices_hint(word: &str, candidates: &[&str]) -> String {
    match did_you_mean(word, candidates.iter().copied()) {
        Some(c) => format!("did you mean `{c}`?"),
        None => format!("expected one of: {}", candidates.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_near_misses_only() {
        assert_eq!(
            did_you_mean("normall", ["normal", "lognormal", "gamma"]),
            Some("normal")
        );
        assert_eq!(did_you_mean("zebra", ["normal", "gamma"]), None);
    }
}
