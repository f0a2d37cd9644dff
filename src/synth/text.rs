//! Identifier-like text that looks real but is synthetic: names from shipped word lists,
//! e-mails on reserved domains, phone numbers, street addresses, UUIDs and patterns.

use std::sync::OnceLock;

use rand::{Rng, RngExt};

use super::places::{Place, Places};
use crate::schema::{Locale, NamePart};

/// A word list shipped in the crate, split into lines once.
struct Words {
    text: &'static str,
    cell: OnceLock<Vec<&'static str>>,
}

impl Words {
    const fn new(text: &'static str) -> Self {
        Words {
            text,
            cell: OnceLock::new(),
        }
    }

    fn all(&self) -> &[&'static str] {
        self.cell
            .get_or_init(|| self.text.lines().filter(|l| !l.is_empty()).collect())
    }

    fn pick<R: Rng + ?Sized>(&self, rng: &mut R) -> &'static str {
        let all = self.all();
        all[rng.random_range(0..all.len())]
    }
}

static EN_FEMALE: Words = Words::new(include_str!("words/en_first_female.txt"));
static EN_MALE: Words = Words::new(include_str!("words/en_first_male.txt"));
static EN_LAST: Words = Words::new(include_str!("words/en_last.txt"));
static EN_STREET: Words = Words::new(include_str!("words/en_street.txt"));
static EN_SUFFIX: Words = Words::new(include_str!("words/en_street_suffix.txt"));
static DE_FEMALE: Words = Words::new(include_str!("words/de_first_female.txt"));
static DE_MALE: Words = Words::new(include_str!("words/de_first_male.txt"));
static DE_LAST: Words = Words::new(include_str!("words/de_last.txt"));
static DE_STREET: Words = Words::new(include_str!("words/de_street.txt"));
static DE_CITY: Words = Words::new(include_str!("words/de_city.txt"));

/// Domains reserved for documentation (RFC 2606): an address on them can never reach anyone.
const DOMAINS: [&str; 3] = ["example.com", "example.org", "example.net"];

/// Which given-name list to draw from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sex {
    /// Female given names.
    Female,
    /// Male given names.
    Male,
    /// Either, with equal chance.
    Any,
}

impl Sex {
    /// Reads a sex/gender level name in English or German (`f`, `female`, `w`, `weiblich`, ...).
    pub fn from_level(level: &str) -> Sex {
        match level.trim().to_lowercase().as_str() {
            "f" | "female" | "woman" | "women" | "w" | "weiblich" | "frau" => Sex::Female,
            "m" | "male" | "man" | "men" | "männlich" | "maennlich" | "mann" => Sex::Male,
            _ => Sex::Any,
        }
    }
}

fn first_name<R: Rng + ?Sized>(rng: &mut R, locale: Locale, sex: Sex) -> &'static str {
    let female = match sex {
        Sex::Female => true,
        Sex::Male => false,
        Sex::Any => rng.random_bool(0.5),
    };
    match (locale, female) {
        (Locale::En, true) => EN_FEMALE.pick(rng),
        (Locale::En, false) => EN_MALE.pick(rng),
        (Locale::De, true) => DE_FEMALE.pick(rng),
        (Locale::De, false) => DE_MALE.pick(rng),
    }
}

fn last_name<R: Rng + ?Sized>(rng: &mut R, locale: Locale) -> &'static str {
    match locale {
        Locale::En => EN_LAST.pick(rng),
        Locale::De => DE_LAST.pick(rng),
    }
}

/// Appends a person name (or part of one) to `out`.
pub fn person_name<R: Rng + ?Sized>(
    rng: &mut R,
    locale: Locale,
    part: NamePart,
    sex: Sex,
    out: &mut String,
) {
    match part {
        NamePart::First => out.push_str(first_name(rng, locale, sex)),
        NamePart::Last => out.push_str(last_name(rng, locale)),
        NamePart::Full => {
            out.push_str(first_name(rng, locale, sex));
            out.push(' ');
            out.push_str(last_name(rng, locale));
        }
    }
}

/// Appends an e-mail address derived from `name` (or an invented name) on a reserved domain.
pub fn email<R: Rng + ?Sized>(rng: &mut R, locale: Locale, name: Option<&str>, out: &mut String) {
    let start = out.len();
    let mut invented = String::new();
    let name = match name {
        Some(n) if n.chars().any(|c| c.is_alphanumeric()) => n,
        _ => {
            person_name(rng, locale, NamePart::Full, Sex::Any, &mut invented);
            &invented
        }
    };
    let mut dot_pending = false;
    for c in name.chars() {
        if c.is_whitespace() || c == '-' || c == '.' || c == '_' {
            dot_pending = out.len() > start;
            continue;
        }
        let before = out.len();
        push_ascii_fold(c, out);
        if out.len() > before && dot_pending {
            out.insert(before, '.');
            dot_pending = false;
        }
    }
    if out.len() == start {
        out.push_str("user");
    }
    // Digits keep namesakes apart, as real address books show.
    if rng.random_bool(0.5) {
        let n: u32 = rng.random_range(1..100);
        out.push_str(itoa(n).as_str());
    }
    out.push('@');
    out.push_str(DOMAINS[rng.random_range(0..DOMAINS.len())]);
}

fn itoa(n: u32) -> String {
    n.to_string()
}

/// Lower-case ASCII transliteration for local parts: ä -> ae, ß -> ss, é -> e.
fn push_ascii_fold(c: char, out: &mut String) {
    let lower = c.to_lowercase().next().unwrap_or(c);
    let s = match lower {
        'ä' => "ae",
        'ö' => "oe",
        'ü' => "ue",
        'ß' => "ss",
        'à' | 'á' | 'â' | 'ã' | 'å' => "a",
        'è' | 'é' | 'ê' | 'ë' => "e",
        'ì' | 'í' | 'î' | 'ï' | 'ı' => "i",
        'ò' | 'ó' | 'ô' | 'õ' | 'ø' => "o",
        'ù' | 'ú' | 'û' => "u",
        'ç' | 'č' => "c",
        'ş' | 'š' => "s",
        'ñ' => "n",
        'ğ' => "g",
        c if c.is_ascii_alphanumeric() => {
            out.push(c);
            return;
        }
        _ => return,
    };
    out.push_str(s);
}

fn digits<R: Rng + ?Sized>(rng: &mut R, n: usize, out: &mut String) {
    for _ in 0..n {
        out.push(char::from(b'0' + rng.random_range(0..10u8)));
    }
}

/// Appends a phone number. `en`: North American format with a real area code (of a place
/// drawn from the US table) and a number in the 555-01XX block that NANPA keeps for fiction.
/// `de`: German mobile format (+49 15x/16x/17x), random subscriber digits.
pub fn phone<R: Rng + ?Sized>(rng: &mut R, locale: Locale, out: &mut String) {
    match locale {
        Locale::En => {
            let places = Places::us();
            let d = places.draw(rng);
            phone_at(rng, places.get(d).area_code(d.pick), out);
        }
        Locale::De => {
            const PREFIXES: [&str; 9] = [
                "151", "152", "157", "160", "162", "163", "170", "172", "176",
            ];
            out.push_str("+49 ");
            out.push_str(PREFIXES[rng.random_range(0..PREFIXES.len())]);
            out.push(' ');
            digits(rng, 7, out);
        }
    }
}

/// Appends a North American phone number with area code `area` in the fictional 555-01XX
/// block: `+1 AAA 555 01XX`.
pub fn phone_at<R: Rng + ?Sized>(rng: &mut R, area: &str, out: &mut String) {
    out.push_str("+1 ");
    out.push_str(area);
    out.push_str(" 555 01");
    digits(rng, 2, out);
}

/// Appends a US street address in `place`: an invented street and number, and the place's
/// real city, state and ZIP (`12 Oak Street, Bangor, ME 04401`).
pub fn address_at<R: Rng + ?Sized>(rng: &mut R, place: &Place, out: &mut String) {
    let n: u32 = rng.random_range(1..9999);
    out.push_str(&n.to_string());
    out.push(' ');
    out.push_str(EN_STREET.pick(rng));
    out.push(' ');
    out.push_str(EN_SUFFIX.pick(rng));
    out.push_str(", ");
    out.push_str(place.city);
    out.push_str(", ");
    out.push_str(place.state);
    out.push(' ');
    out.push_str(place.zip);
}

/// Appends a street address in the locale's usual one-line form (`en`: in a place drawn from
/// the US table, so city, state and ZIP agree).
pub fn address<R: Rng + ?Sized>(rng: &mut R, locale: Locale, out: &mut String) {
    match locale {
        Locale::En => {
            let places = Places::us();
            let d = places.draw(rng);
            address_at(rng, places.get(d), out);
        }
        Locale::De => {
            out.push_str(DE_STREET.pick(rng));
            out.push(' ');
            let n: u32 = rng.random_range(1..200);
            out.push_str(&n.to_string());
            let (city, plz) = DE_CITY
                .pick(rng)
                .split_once('\t')
                .unwrap_or(("Berlin", "10"));
            out.push_str(", ");
            out.push_str(plz);
            digits(rng, 3, out);
            out.push(' ');
            out.push_str(city);
        }
    }
}

/// Appends a random (version 4, RFC 9562) UUID.
pub fn uuid<R: Rng + ?Sized>(rng: &mut R, out: &mut String) {
    let mut b: [u8; 16] = rng.random();
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    const HEX: &[u8; 16] = b"0123456789abcdef";
    for (i, byte) in b.iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            out.push('-');
        }
        out.push(char::from(HEX[usize::from(byte >> 4)]));
        out.push(char::from(HEX[usize::from(byte & 0xf)]));
    }
}

/// Appends text from a pattern: `#` digit, `?` upper-case letter, `*` upper-case letter or
/// digit, `\` makes the next character literal.
pub fn pattern<R: Rng + ?Sized>(rng: &mut R, pat: &str, out: &mut String) {
    const ALNUM: &[u8; 36] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    let mut chars = pat.chars();
    while let Some(c) = chars.next() {
        match c {
            '#' => digits(rng, 1, out),
            '?' => out.push(char::from(b'A' + rng.random_range(0..26u8))),
            '*' => out.push(char::from(ALNUM[rng.random_range(0..ALNUM.len())])),
            '\\' => {
                if let Some(n) = chars.next() {
                    out.push(n);
                }
            }
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn word_lists_are_clean() {
        for w in [
            &EN_FEMALE, &EN_MALE, &EN_LAST, &EN_STREET, &EN_SUFFIX, &DE_FEMALE, &DE_MALE, &DE_LAST,
            &DE_STREET, &DE_CITY,
        ] {
            assert!(w.all().len() >= 10);
            assert!(w.all().iter().all(|l| l.trim() == *l && !l.is_empty()));
        }
        assert!(DE_CITY
            .all()
            .iter()
            .all(|l| l.split_once('\t').is_some_and(|(_, p)| p.len() == 2)));
    }

    #[test]
    fn emails_fold_names_onto_reserved_domains() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        for _ in 0..50 {
            let mut s = String::new();
            email(&mut rng, Locale::De, Some("Jürgen Groß-Weiß"), &mut s);
            let (local, domain) = s.split_once('@').expect("has @");
            assert!(local.starts_with("juergen.gross.weiss"), "{s}");
            assert!(DOMAINS.contains(&domain));
        }
    }

    #[test]
    fn uuids_are_version_4() {
        let mut rng = ChaCha8Rng::seed_from_u64(2);
        let mut s = String::new();
        uuid(&mut rng, &mut s);
        assert_eq!(s.len(), 36);
        assert_eq!(&s[14..15], "4");
        assert!(matches!(&s[19..20], "8" | "9" | "a" | "b"));
    }

    #[test]
    fn patterns_follow_their_placeholders() {
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let mut s = String::new();
        pattern(&mut rng, r"C-??-###-\#", &mut s);
        let b = s.as_bytes();
        assert_eq!(s.len(), 10);
        assert!(s.starts_with("C-") && s.ends_with("-#"));
        assert!(b[2].is_ascii_uppercase() && b[3].is_ascii_uppercase());
        assert!(b[5..8].iter().all(u8::is_ascii_digit));
    }

    #[test]
    fn phones_use_the_fictional_block_in_en() {
        let mut rng = ChaCha8Rng::seed_from_u64(4);
        let mut s = String::new();
        phone(&mut rng, Locale::En, &mut s);
        assert!(s.starts_with("+1 ") && s.contains(" 555 01"), "{s}");
        // The area code is a real one of the table.
        let area = &s[3..6];
        assert!(
            Places::us()
                .all()
                .iter()
                .any(|p| p.area_codes.contains(&area)),
            "{s}"
        );
    }

    #[test]
    fn en_addresses_name_a_real_city_state_and_zip_together() {
        let mut rng = ChaCha8Rng::seed_from_u64(5);
        for _ in 0..100 {
            let mut s = String::new();
            address(&mut rng, Locale::En, &mut s);
            let (rest, zip) = s.rsplit_once(' ').expect("zip at the end");
            let (rest, state) = rest.rsplit_once(", ").expect("state");
            let city = rest.rsplit_once(", ").expect("city").1;
            assert!(
                Places::us()
                    .all()
                    .iter()
                    .any(|p| p.zip == zip && p.state == state && p.city == city),
                "{s}"
            );
        }
    }

    #[test]
    fn sex_levels_are_read_in_both_languages() {
        assert_eq!(Sex::from_level("Female"), Sex::Female);
        assert_eq!(Sex::from_level("weiblich"), Sex::Female);
        assert_eq!(Sex::from_level("M"), Sex::Male);
        assert_eq!(Sex::from_level("diverse"), Sex::Any);
    }
}
