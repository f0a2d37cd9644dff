//! Person-name evidence: dictionaries of given names and surnames built from public name
//! statistics, and the structure of written names (titles, suffixes, degrees, initials,
//! particles, hyphens).
//!
//! The dictionaries (`src/deid/names/*.txt`, sources and licences in the README there) are
//! - `given_us.txt`: US Social Security given names of at least 200 births (public domain);
//! - `given_intl.txt`: Jörg Michael's `nam_dict.txt` first names of 55 countries (GFDL 1.2+);
//! - `surnames_us.txt`: US Census 2010 surnames of at least 100 people (public domain);
//! - `places.txt`: GeoNames cities of at least 15,000 people and country names (CC BY 4.0),
//!   the negative evidence that tells a column of towns from a column of surnames.
//!
//! About one name in ten of each source is held out (`tests/data/names_holdout/`) and never
//! shipped, so tests measure recall on names the detector has not seen. Look-ups fold case
//! and, for names with diacritics, also try the German transliteration (`ü` → `ue`) and the
//! letter without its mark (`é` → `e`), so `Müller` finds `mueller` in the US list.

use std::sync::OnceLock;

use crate::hash::FastSet;

const GIVEN_US: &str = include_str!("names/given_us.txt");
const GIVEN_INTL: &str = include_str!("names/given_intl.txt");
const SURNAMES_US: &str = include_str!("names/surnames_us.txt");
const PLACES: &str = include_str!("names/places.txt");

struct Dict {
    given: FastSet<&'static str>,
    surname: FastSet<&'static str>,
    place: FastSet<&'static str>,
}

fn dict() -> &'static Dict {
    static DICT: OnceLock<Dict> = OnceLock::new();
    DICT.get_or_init(|| {
        let lines = |s: &'static str| s.lines().filter(|l| !l.is_empty());
        Dict {
            given: lines(GIVEN_US).chain(lines(GIVEN_INTL)).collect(),
            surname: lines(SURNAMES_US).collect(),
            place: lines(PLACES).collect(),
        }
    })
}

/// Folds one character for the look-up: `german` writes umlauts and `ß` as two letters.
fn fold_char(c: char, german: bool, out: &mut String) {
    let s = match c {
        'ä' if german => "ae",
        'ö' if german => "oe",
        'ü' if german => "ue",
        'ß' => "ss",
        'à' | 'á' | 'â' | 'ã' | 'å' | 'ä' | 'ā' | 'ă' | 'ą' => "a",
        'ç' | 'ć' | 'č' => "c",
        'ď' | 'đ' => "d",
        'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ę' | 'ě' => "e",
        'ğ' => "g",
        'ì' | 'í' | 'î' | 'ï' | 'ı' | 'ī' => "i",
        'ł' => "l",
        'ñ' | 'ń' | 'ň' => "n",
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'ō' | 'ő' => "o",
        'ř' => "r",
        'ś' | 'š' | 'ş' | 'ș' => "s",
        'ţ' | 'ț' | 'ť' => "t",
        'ù' | 'ú' | 'û' | 'ü' | 'ū' | 'ů' | 'ű' => "u",
        'ý' | 'ÿ' => "y",
        'ź' | 'ż' | 'ž' => "z",
        _ => {
            out.push(c);
            return;
        }
    };
    out.push_str(s);
}

/// Whether `set` holds `word` (any case; diacritics also folded, see the module doc).
fn lookup(set: &FastSet<&'static str>, word: &str) -> bool {
    let mut buf = [0u8; 32];
    if word.is_ascii() {
        if word.len() > buf.len() {
            return false;
        }
        let b = &mut buf[..word.len()];
        b.copy_from_slice(word.as_bytes());
        b.make_ascii_lowercase();
        return std::str::from_utf8(b).is_ok_and(|w| set.contains(w));
    }
    let lower = word.to_lowercase();
    if set.contains(lower.as_str()) {
        return true;
    }
    for german in [true, false] {
        let mut f = String::with_capacity(lower.len() + 4);
        for c in lower.chars() {
            fold_char(c, german, &mut f);
        }
        if set.contains(f.as_str()) {
            return true;
        }
    }
    false
}

/// Whether `word` is a listed given name (any case). Hyphenated given names (`Hans-Peter`)
/// count when every part is one.
pub fn is_given(word: &str) -> bool {
    let d = dict();
    lookup(&d.given, word)
        || (word.contains('-')
            && word
                .split('-')
                .all(|p| !p.is_empty() && lookup(&d.given, p)))
}

/// Whether `word` is a listed surname (any case). Double-barrelled names (`Müller-Lüdenscheidt`)
/// count when a part is one; `al-`/`el-` prefixes are looked past.
pub fn is_surname(word: &str) -> bool {
    let d = dict();
    if lookup(&d.surname, word) {
        return true;
    }
    word.contains('-')
        && word
            .split('-')
            .any(|p| p.len() > 2 && lookup(&d.surname, p))
}

/// First words of place names (`New York`, `San Jose`, `Bad Homburg`) that are no given names.
const PLACE_PREFIXES: [&str; 22] = [
    "new", "san", "santa", "los", "las", "saint", "sankt", "bad", "fort", "port", "mount", "lake",
    "north", "south", "east", "west", "upper", "lower", "great", "little", "old", "el",
];

/// Whether `value` is a listed place: a city of at least 15,000 people or a country (any case).
pub fn is_place(value: &str) -> bool {
    lookup(&dict().place, value)
}

/// Normalises a short word for the marker lists into `buf`: ASCII lower-case with `.` and `-`
/// removed.
fn marker_key<'a>(tok: &str, buf: &'a mut [u8; 12]) -> Option<&'a str> {
    if tok.len() > buf.len() || !tok.is_ascii() {
        return None;
    }
    let mut n = 0;
    for c in tok.bytes().filter(|c| !matches!(c, b'.' | b'-')) {
        buf[n] = c.to_ascii_lowercase();
        n += 1;
    }
    std::str::from_utf8(&buf[..n]).ok()
}

/// Honorifics written before a name.
const TITLES: [&str; 41] = [
    // Italian, Spanish, Dutch and French forms of address and office
    "dott",
    "dottssa",
    "avv",
    "sig",
    "sigra",
    "sigg",
    "sr",
    "srta",
    "dna",
    "dhr",
    "mevr",
    "mw",
    "me",
    "maitre",
    "senor",
    "senora",
    "signor",
    "signora",
    "mevrouw",
    "dr",
    "prof",
    "mr",
    "mrs",
    "ms",
    "miss",
    "mx",
    "herr",
    "frau",
    "sir",
    "dame",
    "rev",
    "hon",
    "mme",
    "mlle",
    "fr",
    "hr",
    "madame",
    "monsieur",
    "doctor",
    "professor",
    "sra",
];
/// Academic and professional degrees, written before or after a name.
const DEGREES: [&str; 26] = [
    "bsc", "msc", "phd", "md", "mba", "ba", "ma", "bs", "dipling", "diplkfm", "diplinf", "dipl",
    "dring", "drmed", "med", "llm", "jd", "esq", "rn", "cpa", "dds", "mag", "ing", "mph", "beng",
    "meng",
];
/// Generational suffixes.
const SUFFIXES: [&str; 8] = ["jr", "sr", "ii", "iii", "iv", "jun", "sen", "junior"];
/// Particles inside names (`von`, `van der`, `de la`, `al`).
const PARTICLES: [&str; 27] = [
    "von", "van", "de", "der", "den", "del", "della", "di", "da", "du", "la", "le", "zu", "vom",
    "zur", "ten", "ter", "al", "el", "bin", "ibn", "ben", "dos", "das", "do", "y", "st",
];

/// What one space- or comma-separated token of a value is, as part of a name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Token {
    /// `Dr.`, `Mrs`, `Herr`, `Prof.`
    Title,
    /// `B.Sc.`, `PhD`, `Dipl.-Ing.`
    Degree,
    /// `Jr.`, `III`
    Suffix,
    /// `von`, `van`, `de`, `al`
    Particle,
    /// `J.` or `J`
    Initial,
    /// A capitalised alphabetic word (`Anna`, `O'Brien`, `Müller-Lüdenscheidt`, `al-Hassan`,
    /// `SMITH`), with what the dictionaries say about it.
    Word {
        /// A listed given name.
        given: bool,
        /// A listed surname.
        surname: bool,
    },
    /// Anything else: lower-case words, digits, punctuation.
    Other,
}

/// Whether `w` is a capitalised name-like word: a capital letter, then letters with inner `-`
/// or `'` (each followed by a letter), at most 40 bytes; or `al-`/`el-` and such a word.
fn is_cap_word(w: &str) -> bool {
    let w = ["al-", "el-", "d'", "O'"]
        .iter()
        .find_map(|p| w.strip_prefix(p))
        .unwrap_or(w);
    if w.len() > 40 {
        return false;
    }
    let mut cs = w.chars().peekable();
    let Some(first) = cs.next() else {
        return false;
    };
    if !first.is_uppercase() {
        return false;
    }
    let mut letters = 1;
    while let Some(c) = cs.next() {
        if c.is_alphabetic() {
            letters += 1;
        } else if matches!(c, '-' | '\'' | '’') {
            if !cs.peek().is_some_and(|n| n.is_alphabetic()) {
                return false;
            }
        } else {
            return false;
        }
    }
    letters >= 2
}

/// Classifies one token (see [`Token`]).
pub(crate) fn token(tok: &str) -> Token {
    let bare = tok.trim_end_matches('.');
    let mut buf = [0u8; 12];
    if let Some(k) = marker_key(tok, &mut buf) {
        // A marker needs its usual case: `Dr`, `DR` or `dr.`, but `Ma` alone is a name.
        let dotted = tok.contains('.');
        let lower = tok.chars().all(|c| !c.is_uppercase());
        if TITLES.contains(&k) && (dotted || !lower || k.len() > 2) {
            return Token::Title;
        }
        if SUFFIXES.contains(&k) && (dotted || k.starts_with('i') || k.len() > 2) {
            return Token::Suffix;
        }
        if DEGREES.contains(&k)
            && (dotted || tok.chars().filter(|c| c.is_uppercase()).count() >= 2 || k.len() > 3)
        {
            return Token::Degree;
        }
        // Capitalised, only the particles that keep their meaning (`Van`, `De`); `Le`, `Do`
        // or `Ben` are names.
        if PARTICLES.contains(&k)
            && !dotted
            && (lower
                || [
                    "van", "von", "de", "di", "da", "du", "del", "della", "der", "den", "al", "el",
                ]
                .contains(&k))
        {
            return Token::Particle;
        }
    }
    let mut cs = bare.chars();
    if let (Some(c), None) = (cs.next(), cs.next()) {
        if c.is_uppercase() && bare.len() + 1 >= tok.len() {
            return Token::Initial;
        }
    }
    if tok.ends_with('.') || !is_cap_word(tok) {
        return Token::Other;
    }
    Token::Word {
        given: is_given(tok),
        surname: is_surname(tok),
    }
}

/// What a value is, seen as a name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Shape {
    /// A full name by structure and dictionaries (see [`shape`]).
    Full,
    /// One capitalised word (with an optional particle), and what the dictionaries say.
    Single {
        /// A listed given name.
        given: bool,
        /// A listed surname.
        surname: bool,
    },
}

/// Reads a whole value as a name.
///
/// `Full` when every token is a word, initial, title, degree, suffix or particle, there are
/// 1–5 words, and
/// - a title, degree or suffix stands beside at least one word (`Dr. Qwerty`, `Herr Xy`,
///   `Xy Zw Jr.`); or
/// - given-name order: the first word is a listed given name, any middle words too, and the
///   last a listed surname, or an unlisted capitalised word when there are exactly two words
///   (`Anna Xyzowski`); or
/// - two words, the second a listed surname, the first (unlisted: `Xyzia Smith`) of 3 or more
///   letters and no listed place, the two together no listed place (`New York`); or
/// - `Surname, Given` with a comma, the given name or the surname listed; or
/// - a particle between words (`Xy van Zw`); or initials and words (`J. R. Xyz`).
///
/// `Single` for one capitalised word (optionally after particles: `von Xy`).
pub(crate) fn shape(v: &str) -> Option<Shape> {
    if v.len() > 100 || v.bytes().any(|c| c.is_ascii_digit() || c == b'@') {
        return None;
    }
    if !v.chars().any(char::is_uppercase) {
        return lower_case_full(v).then_some(Shape::Full);
    }
    let comma = v.find(',');
    let mut words = [Token::Other; 5];
    let mut n_words = 0;
    let (mut marker, mut initials, mut particles, mut tokens) = (false, 0, 0, 0);
    let mut first_word_before_comma = false;
    for (pos, tok) in split_tokens(v) {
        tokens += 1;
        match token(tok) {
            Token::Other => return None,
            Token::Title | Token::Degree | Token::Suffix => marker = true,
            Token::Particle => particles += 1,
            Token::Initial => initials += 1,
            w @ Token::Word { .. } => {
                if n_words == words.len() {
                    return None;
                }
                if n_words == 0 && comma.is_some_and(|c| pos < c) {
                    first_word_before_comma = true;
                }
                words[n_words] = w;
                n_words += 1;
            }
        }
    }
    if n_words == 0 || tokens > 8 {
        return None;
    }
    let given = |t: Token| matches!(t, Token::Word { given: true, .. });
    let surname = |t: Token| matches!(t, Token::Word { surname: true, .. });
    let unknown = |t: Token| {
        matches!(
            t,
            Token::Word {
                given: false,
                surname: false
            }
        )
    };
    if n_words == 1 && !marker && initials == 0 {
        return match words[0] {
            Token::Word { given, surname } if particles <= 2 => Some(Shape::Single {
                given: given && particles == 0,
                surname: surname || particles > 0,
            }),
            _ => None,
        };
    }
    let (first, last) = (words[0], words[n_words - 1]);
    // Middle words of a given-name-first name are middle names.
    let middle_ok = n_words < 3 || words[1..n_words - 1].iter().all(|&w| given(w));
    let first_text = split_tokens(v)
        .map(|(_, t)| t)
        .find(|t| matches!(token(t), Token::Word { .. }))
        .unwrap_or("");
    let full = marker
        || (n_words >= 2
            && !first_word_before_comma
            && given(first)
            && middle_ok
            && (surname(last) || (n_words == 2 && unknown(last))))
        || (n_words >= 2 && first_word_before_comma && (given(words[1]) || surname(first)))
        || (n_words >= 2 && particles > 0)
        || initials > 0
        || (n_words == 2
            && !first_word_before_comma
            && surname(last)
            && first_text.chars().count() >= 3
            && !is_place(first_text)
            && !PLACE_PREFIXES
                .iter()
                .any(|p| first_text.eq_ignore_ascii_case(p))
            && !is_place(v));
    full.then_some(Shape::Full)
}

/// An all-lower-case full name (`anna schmidt`): two or three words, the first a listed given
/// name, the last a listed surname, any middle one a listed given name.
fn lower_case_full(v: &str) -> bool {
    let words: Vec<&str> = v.split_whitespace().collect();
    let n = words.len();
    (2..=3).contains(&n)
        && words.iter().all(|w| w.chars().all(char::is_alphabetic))
        && is_given(words[0])
        && is_surname(words[n - 1])
        && words[1..n - 1].iter().all(|w| is_given(w))
}

/// Tokens of a value with their byte offsets: split on whitespace and commas.
fn split_tokens(v: &str) -> impl Iterator<Item = (usize, &str)> {
    let base = v.as_ptr() as usize;
    v.split(|c: char| c.is_whitespace() || c == ',')
        .filter(|t| !t.is_empty())
        .map(move |t| (t.as_ptr() as usize - base, t))
}

/// A name in free text starting at byte `i` (a word start), and its end:
/// - a title or degree before a name (`Dr.`, `Herr`, `Dipl.-Ing.`), then 1–3 capitalised words,
///   initials or particles (`Dr. Xy Zw`, `Frau Müller`, `Mr. J. van Dijk`);
/// - a listed given name, optionally a middle name or initial, then a listed surname, or an
///   unlisted capitalised word of 3 or more letters that is no listed place (`Anna Xyzowski`);
/// - initials with dots, then a capitalised word (`J. Lenahan`, `J. R. R. Tolkien`);
/// - a capitalised word, a particle and a capitalised word (`Leatrice van Smith`);
/// - either one followed by a suffix or degree (`, Jr.`, ` B.Sc.`, `, PhD`), which the span
///   takes in.
pub(crate) fn name_at(text: &str, i: usize) -> Option<usize> {
    let (arr, n) = text_words(text, i);
    let words = &arr[..n];
    let first = *words.first()?;
    let mut end;
    let mut k;
    match token(first.1) {
        Token::Title | Token::Degree => {
            // Titles chain: `Prof. Dr. Xy`.
            k = 1;
            while k < words.len() && matches!(token(words[k].1), Token::Title | Token::Degree) {
                k += 1;
            }
            let start = k;
            end = None;
            while k < words.len() && k - start < 4 {
                match token(words[k].1) {
                    Token::Word { .. } => end = Some(words[k].0 + words[k].1.len()),
                    Token::Initial | Token::Particle => {}
                    _ => break,
                }
                k += 1;
            }
            // At least one capitalised word after the title(s).
            end?;
        }
        Token::Initial if first.1.ends_with('.') => {
            let mut j = 1;
            while j < words.len() && matches!(token(words[j].1), Token::Initial | Token::Particle) {
                j += 1;
            }
            let w = words.get(j)?;
            if !matches!(token(w.1), Token::Word { .. }) {
                return None;
            }
            end = Some(w.0 + w.1.len());
            k = j + 1;
        }
        // A capitalised particle opening a name: `Van al-Boyer`, `De Jong`.
        Token::Particle
            if first.1.starts_with(char::is_uppercase)
                && matches!(words.get(1).map(|w| token(w.1)), Some(Token::Word { .. })) =>
        {
            end = Some(words[1].0 + words[1].1.len());
            k = 2;
        }
        Token::Word { .. } if comma_given(text, first).is_some() => {
            end = comma_given(text, first);
            k = words.len();
        }
        Token::Word { given: false, .. } => {
            let mut j = 1;
            while j < words.len() && matches!(token(words[j].1), Token::Particle) {
                j += 1;
            }
            let w = words.get(j)?;
            let second = token(w.1);
            if !matches!(second, Token::Word { .. }) {
                return None;
            }
            if j == 1 {
                // Two capitalised words, the first no listed given name: a name inside a
                // sentence (`handled by Xy Zw`) or with a suffix or degree after it
                // (`Xy Zw, PhD`), but not part of a longer run of capitalised words
                // (`Organic Hand Cream`) and not a place.
                let after = words.get(2).map(|w| token(w.1));
                let suffixed = matches!(after, Some(Token::Suffix | Token::Degree));
                let unlisted = matches!(
                    second,
                    Token::Word {
                        given: false,
                        surname: false
                    }
                );
                if matches!(after, Some(Token::Word { .. }))
                    || !(suffixed || mid_sentence(text, i))
                    || is_place(first.1)
                    || (unlisted && is_place(w.1))
                {
                    return None;
                }
            }
            end = Some(w.0 + w.1.len());
            k = j + 1;
        }
        Token::Word { given: true, .. } => {
            let mut j = 1;
            if j < words.len()
                && (matches!(token(words[j].1), Token::Initial)
                    || (j + 1 < words.len()
                        && matches!(token(words[j].1), Token::Word { given: true, .. })
                        && matches!(token(words[j + 1].1), Token::Word { surname: true, .. })))
            {
                j += 1;
            }
            let before = j;
            while j < words.len() && matches!(token(words[j].1), Token::Particle) {
                j += 1;
            }
            // A listed given name alone after a word that introduces a person (`escalated to
            // Rosia`, `geprüft durch Albern`): a member of staff named by first name.
            let alone = || {
                (person_cue_before(text, i) && first.1.chars().count() >= 3 && !is_place(first.1))
                    .then(|| first.0 + first.1.len())
            };
            let Some(w) = words.get(j) else {
                return alone();
            };
            let ok = match token(w.1) {
                Token::Word { surname: true, .. } => true,
                Token::Word { .. } => j > before || (w.1.chars().count() >= 3 && !is_place(w.1)),
                _ => false,
            };
            if !ok {
                return alone();
            }
            end = Some(w.0 + w.1.len());
            k = j + 1;
        }
        _ => return None,
    }
    // A trailing suffix or degree belongs to the name.
    while k < words.len() && matches!(token(words[k].1), Token::Suffix | Token::Degree) {
        end = Some(words[k].0 + words[k].1.len());
        k += 1;
    }
    end
}

/// Words after which a lone listed given name names a person (by, to, with, from, for in the
/// six languages).
const GIVEN_CUES: [&str; 27] = [
    "by", "to", "with", "from", "for", "durch", "an", "mit", "bei", "für", "par", "avec", "pour",
    "à", "por", "con", "para", "da", "per", "door", "met", "voor", "aan", "bij", "via", "cc",
    "attn",
];

/// Whether the word before byte `i` of `text` is one of [`GIVEN_CUES`].
fn person_cue_before(text: &str, i: usize) -> bool {
    let before = text[..i].trim_end();
    if before.len() == text[..i].len() {
        return false;
    }
    let word = before
        .rsplit(|c: char| !c.is_alphabetic())
        .next()
        .unwrap_or("")
        .to_lowercase();
    GIVEN_CUES.contains(&word.as_str())
}

/// Capitalised words that introduce a person in German text, where every noun is capitalised.
const PERSON_CUES: [&str; 16] = [
    "ansprechpartner",
    "ansprechpartnerin",
    "kontakt",
    "kunde",
    "kundin",
    "patient",
    "patientin",
    "mitarbeiter",
    "mitarbeiterin",
    "sachbearbeiter",
    "sachbearbeiterin",
    "zeuge",
    "zeugin",
    "angeklagte",
    "angeklagter",
    "beschuldigte",
];

/// Whether the word at byte `i` stands inside a sentence, so that its capital marks a proper
/// noun: after a space that follows a lower-case word, a number or a comma (not at the start
/// of the text or after `.`, `!`, `?`, `:` or `;`), or a German person cue
/// (`Ansprechpartner`); not after another capitalised word (`Organic Green Tea`).
fn mid_sentence(text: &str, i: usize) -> bool {
    let before = text[..i].trim_end_matches(' ');
    if before.len() == i {
        return false;
    }
    let start = before
        .char_indices()
        .rev()
        .take_while(|&(_, c)| c.is_alphabetic())
        .last()
        .map_or(before.len(), |(k, _)| k);
    let prev = &before[start..];
    match prev.chars().next() {
        Some(c) if c.is_lowercase() => true,
        Some(_) => PERSON_CUES.iter().any(|w| prev.eq_ignore_ascii_case(w)),
        None => before
            .chars()
            .next_back()
            .is_some_and(|c| c.is_ascii_digit() || c == ','),
    }
}

/// `Surname, Given` at the word `first`: a capitalised word that is no place, a comma and a
/// space, then a listed given name, or a capitalised word that is no place after a listed
/// surname. Returns the end.
fn comma_given(text: &str, first: (usize, &str)) -> Option<usize> {
    let e1 = first.0 + first.1.len();
    let rest = text.get(e1..)?.strip_prefix(", ")?;
    let len = rest
        .char_indices()
        .find(|&(_, c)| !(c.is_alphabetic() || c == '-'))
        .map_or(rest.len(), |(k, _)| k);
    let w2 = &rest[..len];
    if len == 0 || is_place(first.1) {
        return None;
    }
    let ok = match token(w2) {
        Token::Word { given: true, .. } => true,
        Token::Word { .. } => is_surname(first.1) && w2.chars().count() >= 3 && !is_place(w2),
        _ => false,
    };
    ok.then_some(e1 + 2 + len)
}

/// Up to [`TEXT_WORDS`] words from byte `i`: separated by one space (or `, ` before a suffix or
/// degree), each a run of letters, digits, `.`, `-`, `'`. Returns (start, word) pairs; a word
/// keeps a trailing `.` (`Dr.`), but a sentence end (`.` then space and a capital or the end)
/// after a name still counts, since `token` reads the word without it only for markers.
fn text_words(text: &str, i: usize) -> ([(usize, &str); TEXT_WORDS], usize) {
    let b = text.as_bytes();
    let mut out = [(0, ""); TEXT_WORDS];
    let mut n = 0;
    let mut j = i;
    while n < TEXT_WORDS && j < b.len() {
        let start = j;
        let rest = &text[j..];
        let len = rest
            .char_indices()
            .find(|&(_, c)| !(c.is_alphanumeric() || matches!(c, '.' | '-' | '\'' | '’')))
            .map_or(rest.len(), |(k, _)| k);
        if len == 0 {
            break;
        }
        let mut w = &rest[..len];
        // A possessive names the person (`Smith's`) and ends the name.
        let mut ends = false;
        if let Some(stem) = w.strip_suffix("'s").or_else(|| w.strip_suffix("’s")) {
            w = stem;
            ends = true;
        }
        // A sentence-ending dot after a word that is no marker or initial is not part of it,
        // and ends the name.
        if w.ends_with('.')
            && w.len() > 2
            && !matches!(
                token(w),
                Token::Title | Token::Degree | Token::Suffix | Token::Initial
            )
        {
            w = w.trim_end_matches('.');
            ends = true;
        }
        out[n] = (start, w);
        n += 1;
        j = start + len;
        if ends {
            break;
        }
        match (b.get(j), b.get(j + 1)) {
            (Some(b' '), _) => j += 1,
            (Some(b','), Some(b' ')) => {
                // Only a suffix or degree may follow a comma.
                let next = &text[j + 2..];
                let nlen = next
                    .char_indices()
                    .find(|&(_, c)| !(c.is_alphanumeric() || c == '.' || c == '-'))
                    .map_or(next.len(), |(k, _)| k);
                if matches!(token(&next[..nlen]), Token::Suffix | Token::Degree) {
                    j += 2;
                } else {
                    break;
                }
            }
            _ => break,
        }
    }
    (out, n)
}

/// Words [`name_at`] looks at: two titles, three name words and a suffix at most.
const TEXT_WORDS: usize = 6;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dictionaries_load_and_fold() {
        assert!(is_given("james") && is_given("JAMES") && is_given("James"));
        assert!(is_surname("Smith") && is_surname("SCHMIDT"));
        // Umlauts through the German transliteration.
        assert!(is_surname("Müller"), "mueller is in the US list");
        assert!(is_surname("Müller-Lüdenscheidt"));
        assert!(!is_given("zzqx") && !is_surname("zzqx"));
        assert!(!is_surname("") && !is_given(""));
    }

    #[test]
    fn held_out_names_are_not_shipped() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        for (file, shipped) in [
            ("given_us.txt", GIVEN_US),
            ("given_intl.txt", GIVEN_INTL),
            ("surnames_us.txt", SURNAMES_US),
            ("places.txt", PLACES),
        ] {
            let held = std::fs::read_to_string(root.join("tests/data/names_holdout").join(file))
                .expect("held-out list");
            let shipped: std::collections::HashSet<&str> = shipped.lines().collect();
            let n = held.lines().filter(|l| !l.is_empty()).count();
            assert!(n > 1000, "{file}: {n}");
            assert!(held.lines().all(|h| !shipped.contains(h)), "{file}");
        }
    }

    #[test]
    fn tokens_and_shapes() {
        assert_eq!(token("Dr."), Token::Title);
        assert_eq!(token("Herr"), Token::Title);
        assert_eq!(token("B.Sc."), Token::Degree);
        assert_eq!(token("PhD"), Token::Degree);
        assert_eq!(token("Dipl.-Ing."), Token::Degree);
        assert_eq!(token("Jr."), Token::Suffix);
        assert_eq!(token("III"), Token::Suffix);
        assert_eq!(token("von"), Token::Particle);
        assert_eq!(token("J."), Token::Initial);
        assert_eq!(token("tea"), Token::Other);
        assert_eq!(token("3000"), Token::Other);
        assert!(matches!(token("al-Hassan"), Token::Word { .. }));
        assert!(matches!(token("O'Brien"), Token::Word { .. }));
        for full in [
            "Dr. Qwertz Yxcvb B.Sc.",
            "Mr. John Smith Jr.",
            "Dipl.-Ing. Hans Müller",
            "Anna Xyzowski",
            "Smith, John",
            "J. R. Smith",
            "Ludwig van Beethoven",
            "Frau Schmidt",
            "Maria de la Cruz",
            "John SMITH",
        ] {
            assert_eq!(shape(full), Some(Shape::Full), "{full}");
        }
        for not in [
            "Widget Pro 3000",
            "USB-C cable",
            "the quick brown fox",
            "Order #4711",
            "Organic Green Tea Bags",
            "",
        ] {
            assert_ne!(shape(not), Some(Shape::Full), "{not}");
        }
        assert_eq!(
            shape("James"),
            Some(Shape::Single {
                given: true,
                surname: true
            })
        );
        assert!(matches!(
            shape("von Qwertz"),
            Some(Shape::Single { surname: true, .. })
        ));
    }

    #[test]
    fn names_in_text() {
        fn spans(t: &str) -> Option<&str> {
            (0..t.len())
                .filter(|&i| t.is_char_boundary(i) && (i == 0 || t.as_bytes()[i - 1] == b' '))
                .find_map(|i| name_at(t, i).map(|e| &t[i..e]))
        }
        // A lone given name after a word that introduces a person.
        assert_eq!(spans("Ausweis geprüft durch Margarete."), Some("Margarete"));
        assert_eq!(
            spans("Escalated to Jennifer - duplicate charge"),
            Some("Jennifer")
        );
        assert_eq!(spans("Flights to Paris were booked"), None);
        assert_eq!(spans("Jennifer called"), None);
        assert_eq!(
            spans("Call Dr. Qwertz Yxcvb today"),
            Some("Dr. Qwertz Yxcvb")
        );
        assert_eq!(spans("Termin mit Frau Müller."), Some("Frau Müller"));
        assert_eq!(
            spans("met John Smith, Jr. at noon"),
            Some("John Smith, Jr.")
        );
        assert_eq!(spans("met John Smith. He said"), Some("John Smith"));
        assert_eq!(
            spans("Prof. Dr. Anna Berg, PhD called"),
            Some("Prof. Dr. Anna Berg, PhD")
        );
        assert_eq!(spans("sent to Mr. J. van Dijk"), Some("Mr. J. van Dijk"));
        assert_eq!(spans("Spoke with J. Qwertz today"), Some("J. Qwertz"));
        assert_eq!(
            spans("Escalated to Qwertz van Smith."),
            Some("Qwertz van Smith")
        );
        assert_eq!(
            spans("Spoke with Anna Qwertzowski about it"),
            Some("Anna Qwertzowski")
        );
        assert_eq!(spans("Flight to Anna Berlin"), Some("Anna Berlin"));
        assert_eq!(spans("handled by Qwertz Smith."), Some("Qwertz Smith"));
        assert_eq!(
            spans("Ansprechpartner Qwertz Smith III."),
            Some("Qwertz Smith III.")
        );
        assert_eq!(
            spans("Spoke with Smith, Anna about it"),
            Some("Smith, Anna")
        );
        // A listed given name and surname are a name even inside a product's name: a known
        // false positive (a capitalised noun after a name is common in German text).
        assert_eq!(spans("Bought Grace Hand Cream today"), Some("Grace Hand"));
        assert_eq!(spans("Bought Organic Hand Cream today"), None);
        assert_eq!(
            spans("handled by Qwertz Zxcvb, PhD"),
            Some("Qwertz Zxcvb, PhD")
        );
        assert_eq!(spans("Organic Green Tea"), None);
        assert_eq!(
            spans("Escalated to Qwertz Zxcvb. Direct"),
            Some("Qwertz Zxcvb")
        );
        assert_eq!(
            spans("Spoke with Van al-Qwertz today"),
            Some("Van al-Qwertz")
        );
        assert_eq!(spans("the quick brown fox"), None);
        assert_eq!(spans("We met in Paris, France"), None);
        assert_eq!(spans("Delivered on time"), None);
    }
}
