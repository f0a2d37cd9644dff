//! Known identifier values: what the table's own identifier columns hold, looked for inside
//! redacted text.
//!
//! The detectors find identifiers by their shape; a customer number written into a note
//! (`Customer ID 3154360 flagged`), a lone given name (`Escalated to Rosia`) or a surname in
//! capitals has none. But the table says what its identifiers are: pass 1 of `deidentify`
//! collects the distinct values of the columns it drops, pseudonymises or fakes as identifiers
//! (up to [`KNOWN_CAP`]), and pass 2 replaces them wherever they stand in a redacted column,
//! after the detectors.
//!
//! Whole values match whatever their letter case (`chante richards`, `CHANTE RICHARDS`), on
//! token boundaries, over up to six tokens. The words of a name (two to four alphabetic words
//! of four letters or more) are known one by one too, and match only where the text writes
//! them capitalised, so a name such as `Will` or `Hope` does not eat the verb or the noun.
//! Values shorter than four characters, and numbers of fewer than five digits, are not
//! collected: they recur by chance (house numbers, ages, counts).

use serde::{Deserialize, Serialize};

use super::detect::Kind;
use crate::hash::FastMap;

/// Distinct known values kept; past this the set stops growing and says so.
pub const KNOWN_CAP: usize = 262_144;

/// Tokens a value may span.
const MAX_TOKENS: usize = 6;

/// The known identifier values of a table, with the placeholder each is replaced by.
/// Mergeable and serialisable, like the rest of pass 1.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct KnownValues {
    /// Lower-case value → (kind whose placeholder replaces it, matched only capitalised).
    values: FastMap<String, (Kind, bool)>,
    /// More distinct values than [`KNOWN_CAP`] were offered.
    capped: bool,
}

/// Whether a value is worth looking for: at least four characters, and not a number of fewer
/// than five digits.
fn telling(v: &str) -> bool {
    let digits = v.bytes().filter(u8::is_ascii_digit).count();
    v.chars().count() >= 4 && !(digits == v.len() && digits < 5)
}

/// A byte that belongs to a token: letters, digits, and the joiners of references, e-mails
/// and phone numbers (`KD-077172`, `a.b@c.de`, `06-86556188`, `O'Brien`).
fn token_byte(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c >= 0x80 || matches!(c, b'-' | b'_' | b'@' | b'\'' | b'/')
}

/// Token spans of `text`: runs of token bytes and inner dots (`j.doe@x.org`, `04.12.87`),
/// without a trailing dot.
fn tokens(text: &str) -> Vec<(usize, usize)> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if !token_byte(b[i]) {
            i += 1;
            continue;
        }
        let s = i;
        while i < b.len()
            && (token_byte(b[i]) || (b[i] == b'.' && b.get(i + 1).is_some_and(|&c| token_byte(c))))
        {
            i += 1;
        }
        out.push((s, i));
    }
    out
}

impl KnownValues {
    /// Adds one value of an identifier column whose kind is `kind`.
    pub fn add(&mut self, value: &str, kind: Kind) {
        let v = value.trim();
        if !telling(v) {
            return;
        }
        self.insert(v.to_lowercase(), kind, false);
        // The words of a name, one by one: `Chardon` of `Mathis Chardon`.
        let words: Vec<&str> = v.split([' ', ',']).filter(|w| !w.is_empty()).collect();
        if (2..=4).contains(&words.len())
            && words.iter().all(|w| {
                w.chars()
                    .all(|c| c.is_alphabetic() || matches!(c, '-' | '\''))
            })
        {
            for w in words.iter().filter(|w| w.chars().count() >= 4) {
                self.insert(w.to_lowercase(), Kind::PersonName, true);
            }
        }
    }

    /// Adds one row's own identifier value: the whole value and the words of a name (three
    /// letters or more), all matched in any letter case; for that row's text only.
    pub fn add_any_case(&mut self, value: &str, kind: Kind) {
        let v = value.trim();
        if telling(v) {
            self.insert(v.to_lowercase(), kind, false);
        }
        let words: Vec<&str> = v.split([' ', ',']).filter(|w| !w.is_empty()).collect();
        if (1..=4).contains(&words.len())
            && words.iter().all(|w| {
                w.chars()
                    .all(|c| c.is_alphabetic() || matches!(c, '-' | '\''))
            })
        {
            for w in words.iter().filter(|w| w.chars().count() >= 3) {
                self.insert(w.to_lowercase(), Kind::PersonName, false);
            }
        }
    }

    fn insert(&mut self, v: String, kind: Kind, capitalised: bool) {
        if let Some(e) = self.values.get_mut(&v) {
            // A whole value wins over a name word of the same spelling.
            e.1 &= capitalised;
            return;
        }
        if self.values.len() >= KNOWN_CAP {
            self.capped = true;
            return;
        }
        self.values.insert(v, (kind, capitalised));
    }

    /// Adds another chunk's values (up to the cap).
    pub fn merge(&mut self, other: KnownValues) {
        self.capped |= other.capped;
        // Sorted, so that which values a full set keeps does not depend on hash order.
        let mut vs: Vec<(String, (Kind, bool))> = other.values.into_iter().collect();
        vs.sort_by(|a, b| a.0.cmp(&b.0));
        for (v, (k, c)) in vs {
            self.insert(v, k, c);
        }
    }

    /// Distinct values known.
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// Whether no value is known.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// Whether values were left out at the cap.
    pub fn capped(&self) -> bool {
        self.capped
    }

    /// `text` with every known value replaced by its kind's placeholder, longest match first,
    /// appended to `out`.
    pub fn redact_into(&self, text: &str, out: &mut String) {
        if self.values.is_empty() {
            out.push_str(text);
            return;
        }
        let toks = tokens(text);
        let mut last = 0;
        let mut i = 0;
        let mut key = String::new();
        while i < toks.len() {
            let mut hit = None;
            for n in (1..=MAX_TOKENS.min(toks.len() - i)).rev() {
                let (s, e) = (toks[i].0, toks[i + n - 1].1);
                key.clear();
                key.extend(text[s..e].chars().flat_map(char::to_lowercase));
                if let Some(&(kind, capitalised)) = self.values.get(key.as_str()) {
                    if !capitalised || text[s..].starts_with(char::is_uppercase) {
                        hit = Some((n, kind));
                        break;
                    }
                }
            }
            match hit {
                Some((n, kind)) => {
                    let (s, e) = (toks[i].0, toks[i + n - 1].1);
                    out.push_str(&text[last..s]);
                    out.push_str(kind.placeholder());
                    last = e;
                    i += n;
                }
                None => i += 1,
            }
        }
        out.push_str(&text[last..]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn known() -> KnownValues {
        let mut k = KnownValues::default();
        k.add("Chante Richards", Kind::PersonName);
        k.add("3154360", Kind::RecordId);
        k.add("Rosia", Kind::PersonName);
        k.add("04 26 07 51 78", Kind::Phone);
        k.add("Will Hopewell", Kind::PersonName);
        k.add("12", Kind::RecordId);
        k
    }

    fn r(k: &KnownValues, t: &str) -> String {
        let mut out = String::new();
        k.redact_into(t, &mut out);
        out
    }

    #[test]
    fn known_values_are_replaced_inside_text() {
        let k = known();
        assert_eq!(
            r(&k, "CHANTE RICHARDS asked; Customer ID 3154360 flagged."),
            "[NAME] asked; Customer ID [ID] flagged."
        );
        assert_eq!(
            r(&k, "Escalated to Rosia - order 12."),
            "Escalated to [NAME] - order 12."
        );
        assert_eq!(
            r(&k, "Appeler au 04 26 07 51 78 svp"),
            "Appeler au [PHONE] svp"
        );
        // Name words match capitalised only.
        assert_eq!(
            r(&k, "Richards called; we will hope."),
            "[NAME] called; we will hope."
        );
        // Not inside longer tokens.
        assert_eq!(r(&k, "31543601 Rosias"), "31543601 Rosias");
    }

    #[test]
    fn a_rows_own_names_go_in_any_case() {
        let mut row = KnownValues::default();
        row.add_any_case("Ezio Roussy", Kind::PersonName);
        assert_eq!(
            r(&row, "rappelé ezio sur son portable"),
            "rappelé [NAME] sur son portable"
        );
    }

    #[test]
    fn merge_is_bounded_and_order_free() {
        let mut a = KnownValues::default();
        a.add("Anna Schmidt", Kind::PersonName);
        let mut b = KnownValues::default();
        b.add("KD-077172", Kind::RecordId);
        let mut ab = a.clone();
        ab.merge(b.clone());
        let mut ba = b;
        ba.merge(a);
        assert_eq!(ab.len(), ba.len());
        assert_eq!(r(&ab, "KD-077172 / Anna"), "[ID] / [NAME]");
    }
}
