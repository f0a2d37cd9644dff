//! Name slots: the places in a table's notes where its writers put people's names.
//!
//! Notes follow templates (`Ausweis geprüft durch Alma.`, `lt. Alma: Kundin wünscht …`). The
//! detectors find a name they know in such a slot; the same slot holds a name in the notes
//! where the word is in no list (`geprüft durch Albern`). Pass 1 of `deidentify` reads the
//! redacted columns as the detectors leave them and counts, for every capitalised word and
//! every `[NAME]`, the two tokens before it (its context). A context after which at least
//! [`MIN_NAMES`] words were names, and names at least half of the time, is a name slot; pass 2
//! replaces a capitalised word in a name slot by `[NAME]`, after the detectors and the
//! table's known values.
//!
//! A context needs a word of its own (not only punctuation or the start of the text), so the
//! first word of every note or sentence is never taken for a name because names often open
//! notes. Counts merge by addition, so chunks give the counts of one pass.

use serde::{Deserialize, Serialize};

use crate::hash::FastMap;

/// Names seen in a context before it is a slot.
pub const MIN_NAMES: u32 = 3;
/// Contexts counted at most (a column of free prose has many; templates have few).
pub const MAX_CONTEXTS: usize = 65_536;

const NAME: &str = "[NAME]";

/// Per context (the two tokens before a word, lower case, joined by a tab, which no token
/// holds): (names, capitalised words or names). Mergeable and serialisable, like the rest of
/// pass 1.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct NameSlots {
    counts: FastMap<String, (u32, u32)>,
}

/// One token of redacted text.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Tok<'a> {
    /// A word of letters (inner `-` and `'` allowed).
    Word(&'a str),
    /// A placeholder the redaction wrote (`[NAME]`, `[PHONE]`).
    Placeholder(&'a str),
    /// A number.
    Number,
    /// One punctuation character.
    Punct(&'a str),
}

/// The tokens of `text` with their byte ranges.
fn tokens(text: &str) -> Vec<(Tok<'_>, usize, usize)> {
    let mut out = Vec::new();
    let mut it = text.char_indices().peekable();
    while let Some((s, c)) = it.next() {
        if c.is_whitespace() {
            continue;
        }
        if c == '[' {
            // A placeholder: `[` upper-case letters and `_` `]`.
            let rest = &text[s + 1..];
            let len = rest
                .bytes()
                .take_while(|b| b.is_ascii_uppercase() || *b == b'_')
                .count();
            if len > 0 && rest.as_bytes().get(len) == Some(&b']') {
                let e = s + len + 2;
                out.push((Tok::Placeholder(&text[s..e]), s, e));
                while it.peek().is_some_and(|(i, _)| *i < e) {
                    it.next();
                }
                continue;
            }
        }
        if c.is_alphabetic() {
            let mut e = s + c.len_utf8();
            while let Some(&(i, d)) = it.peek() {
                let joiner = matches!(d, '-' | '\'' | '’')
                    && text[i + d.len_utf8()..]
                        .chars()
                        .next()
                        .is_some_and(char::is_alphabetic);
                if d.is_alphabetic() || joiner {
                    e = i + d.len_utf8();
                    it.next();
                } else {
                    break;
                }
            }
            out.push((Tok::Word(&text[s..e]), s, e));
        } else if c.is_ascii_digit() {
            let mut e = s + 1;
            while let Some(&(i, d)) = it.peek() {
                if d.is_ascii_digit() {
                    e = i + 1;
                    it.next();
                } else {
                    break;
                }
            }
            out.push((Tok::Number, s, e));
        } else {
            let e = s + c.len_utf8();
            out.push((Tok::Punct(&text[s..e]), s, e));
        }
    }
    out
}

/// A word written as a name: a capital and at least one more letter.
fn capitalised(w: &str) -> bool {
    let mut cs = w.chars();
    cs.next().is_some_and(char::is_uppercase) && cs.next().is_some_and(char::is_alphabetic)
}

fn context_of(toks: &[(Tok<'_>, usize, usize)], i: usize) -> String {
    let t = |j: Option<usize>| match j.map(|j| toks[j].0) {
        None => String::new(),
        Some(Tok::Word(w)) => w.to_lowercase(),
        Some(Tok::Placeholder(p) | Tok::Punct(p)) => p.to_string(),
        Some(Tok::Number) => "0".to_string(),
    };
    format!("{}\t{}", t(i.checked_sub(2)), t(i.checked_sub(1)))
}

/// Whether a context has a word of its own.
fn worded(ctx: &str) -> bool {
    ctx.split('\t')
        .any(|t| t.chars().next().is_some_and(char::is_alphabetic))
}

impl NameSlots {
    /// Counts the contexts of one value as the detectors redacted it.
    pub fn learn(&mut self, redacted: &str) {
        let toks = tokens(redacted);
        for (i, (t, _, _)) in toks.iter().enumerate() {
            let name = match t {
                Tok::Placeholder(p) => *p == NAME,
                Tok::Word(w) => {
                    if !capitalised(w) {
                        continue;
                    }
                    false
                }
                _ => continue,
            };
            let ctx = context_of(&toks, i);
            if !worded(&ctx) {
                continue;
            }
            let full = self.counts.len() >= MAX_CONTEXTS;
            match self.counts.get_mut(&ctx) {
                Some(e) => {
                    e.0 += u32::from(name);
                    e.1 += 1;
                }
                None if !full => {
                    self.counts.insert(ctx, (u32::from(name), 1));
                }
                None => {}
            }
        }
    }

    /// Adds another chunk's counts.
    pub fn merge(&mut self, other: NameSlots) {
        // Sorted, so that which contexts a full map keeps does not depend on hash order.
        let mut cs: Vec<(String, (u32, u32))> = other.counts.into_iter().collect();
        cs.sort();
        for (ctx, (n, w)) in cs {
            let full = self.counts.len() >= MAX_CONTEXTS;
            match self.counts.get_mut(&ctx) {
                Some(e) => {
                    e.0 += n;
                    e.1 += w;
                }
                None if !full => {
                    self.counts.insert(ctx, (n, w));
                }
                None => {}
            }
        }
    }

    fn is_slot(&self, ctx: &str) -> bool {
        self.counts
            .get(ctx)
            .is_some_and(|&(n, w)| n >= MIN_NAMES && 2 * n >= w)
    }

    /// The name slots found, as their two context tokens (`geprüft durch`), sorted.
    pub fn slots(&self) -> Vec<String> {
        let mut out: Vec<String> = self
            .counts
            .keys()
            .filter(|c| self.is_slot(c))
            .map(|c| c.replace('\t', " ").trim().to_string())
            .collect();
        out.sort();
        out
    }

    /// Whether no context is a name slot.
    pub fn is_empty(&self) -> bool {
        !self.counts.keys().any(|c| self.is_slot(c))
    }

    /// `text` with every capitalised word in a name slot replaced by `[NAME]`, appended to
    /// `out`.
    pub fn redact_into(&self, text: &str, out: &mut String) {
        let mut toks = tokens(text);
        let mut last = 0;
        for i in 0..toks.len() {
            let (t, s, e) = toks[i];
            let Tok::Word(w) = t else { continue };
            if !capitalised(w) || !self.is_slot(&context_of(&toks, i)) {
                continue;
            }
            out.push_str(&text[last..s]);
            out.push_str(NAME);
            last = e;
            // The next words see a name here, as pass 1 did.
            toks[i].0 = Tok::Placeholder(NAME);
        }
        out.push_str(&text[last..]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn learned(notes: &[&str]) -> NameSlots {
        let mut s = NameSlots::default();
        for n in notes {
            s.learn(n);
        }
        s
    }

    fn redact(s: &NameSlots, text: &str) -> String {
        let mut out = String::new();
        s.redact_into(text, &mut out);
        out
    }

    #[test]
    fn a_template_slot_takes_the_names_no_list_knows() {
        let s = learned(&[
            "Ausweis geprüft durch [NAME].",
            "Ausweis geprüft durch [NAME].",
            "Ausweis geprüft durch [NAME].",
            "Ausweis geprüft durch Albern.",
            "lt. [NAME]: Kunde wünscht Ratenzahlung.",
            "lt. [NAME]: Kundin wünscht Ratenzahlung.",
            "lt. [NAME]: Kundin wünscht Ratenzahlung, Rückmeldung bis Montag.",
        ]);
        assert_eq!(s.slots(), vec!["geprüft durch", "lt ."]);
        assert_eq!(
            redact(&s, "Ausweis geprüft durch Albern."),
            "Ausweis geprüft durch [NAME]."
        );
        assert_eq!(
            redact(&s, "lt. Albern: Kunde wünscht Ratenzahlung."),
            "lt. [NAME]: Kunde wünscht Ratenzahlung."
        );
        // The words around stay; a lower-case word in the slot is not a name.
        assert_eq!(
            redact(&s, "Ausweis geprüft durch uns."),
            "Ausweis geprüft durch uns."
        );
    }

    #[test]
    fn contexts_where_names_are_rare_are_not_slots() {
        let s = learned(&[
            "called by [NAME] about Invoice",
            "called by [NAME] about Delivery",
            "called by [NAME] about Payment",
            "Called about Invoice",
            "Called about Delivery",
            "Called about Refund",
            "Called about Payment",
            "[NAME] phoned",
            "[NAME] phoned",
            "[NAME] phoned",
        ]);
        // `called by` is a slot (3 of 3); `about` is not (0 of 7); the start of a note is no
        // context at all.
        assert_eq!(s.slots(), vec!["called by"]);
        assert_eq!(redact(&s, "Called about Invoice"), "Called about Invoice");
        assert_eq!(redact(&s, "Maria phoned"), "Maria phoned");
        assert_eq!(
            redact(&s, "called by Rosia about Invoice"),
            "called by [NAME] about Invoice"
        );
    }

    #[test]
    fn two_names_in_a_row() {
        let s = learned(&[
            "bij de buren ([NAME])",
            "bij de buren ([NAME])",
            "bij de buren ([NAME])",
        ]);
        assert_eq!(s.slots(), vec!["buren ("]);
        assert_eq!(
            redact(&s, "pakket ligt bij de buren (Rouwers)."),
            "pakket ligt bij de buren ([NAME])."
        );
    }

    #[test]
    fn chunks_merge_to_one_pass() {
        let notes = [
            "geprüft durch [NAME]",
            "geprüft durch Albern",
            "geprüft durch [NAME]",
            "geprüft durch [NAME]",
        ];
        let whole = learned(&notes);
        let mut a = learned(&notes[..2]);
        a.merge(learned(&notes[2..]));
        assert_eq!(a.slots(), whole.slots());
        assert_eq!(
            serde_json::to_string(&a.counts.get("geprüft\tdurch")).unwrap_or_default(),
            "[3,4]"
        );
    }
}
