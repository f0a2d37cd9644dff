//! Identifier detection by column name and by content.
//!
//! Three entry points share one set of small byte-level scanners (no regular expressions):
//! - [`kind_from_column_name`]: what a column's *name* suggests it holds;
//! - [`classify`]: what one *whole* value is (`"anna@example.org"` is an e-mail);
//! - [`find_all`] / [`redact`]: identifiers *embedded* in free text, with byte ranges.
//!
//! The code is split by concern: `checks` holds the check digits, `scanners` the byte-level
//! scanners and the longest-match rule, `column` the column judgement ([`ColumnScan`]); this
//! file the kinds, the column-name hints and the three entry points.
//!
//! [`ColumnScan`] streams a column's values through [`classify`] and, for values that are not
//! an identifier as a whole, through the free-text scanner, and turns the counts plus the name
//! hint into [`Finding`]s with a documented confidence (see [`ColumnScan::findings`]).
//!
//! # Detector rules
//!
//! | kind | content rule |
//! |---|---|
//! | [`Kind::Email`] | `local@domain`: local part 1–64 of `A-Z a-z 0-9 . _ % + -`, no leading, trailing or double dot; domain of at least two labels (`A-Z a-z 0-9 -`, 1–63 each, no leading or trailing hyphen, at most 253 in all), the last label alphabetic and at least 2 long |
//! | [`Kind::Phone`] | international: `+` (or `00`, also `00 `), a country code not starting with 0, groups separated by single spaces, `-`, `.` or `/`, an optional `(0)` or `(area)`, 8–15 digits (E.164's maximum); national with trunk 0: an area code of 3–6 digits (`030`, `0151`, optionally `(030)`), then at least one separated group, 9–13 digits; North American: `[1 ]NXX NXX XXXX` with `-`, `.` or space, or `(NXX) NXX-XXXX`, where N is 2–9; bare digit runs: 10 digits `NXXNXXXXXX`, 11 digits `1NXXNXXXXXX`, 10–12 digits after a trunk `0`; any of them with an extension of 1–6 digits (`x37915`, ` ext. 12`, `, Durchwahl 12`) |
//! | [`Kind::Iban`] | two letters, two check digits, alphanumerics (single spaces allowed), the registered length for the country where known (15–34 otherwise), ISO 13616 MOD 97-10 remainder 1 |
//! | [`Kind::PaymentCard`] | 13–19 digits, groups separated consistently by single spaces or dashes, first digit 2–6 (ISO/IEC 7812 major industry identifiers of banking and financial cards), Luhn-valid |
//! | [`Kind::IpAddress`] | IPv4 dotted quad parsed by [`std::net::Ipv4Addr`] (no leading zeros); IPv6 parsed by [`std::net::Ipv6Addr`] with at least two non-empty groups, one of them 3+ hex digits long (or all eight groups), so `12:30:45` and `a::b` are not addresses |
//! | [`Kind::Date`] | `YYYY-MM-DD`, `DD.MM.YYYY`, `MM/DD/YYYY` (also `DD/MM/YYYY`), a real calendar day in 1800–2199 |
//! | [`Kind::DateOfBirth`] | a date in a column whose name suggests birth (`dob`, `birth_date`, `geburtsdatum`), or a date in free text within 24 bytes after a cue (`born`, `birth`, `DOB`, `geb.`, `geboren`) |
//! | [`Kind::PersonName`] | dictionaries and structure (see [`super::names`]): whole values by [`super::names`]'s shape rules (titles, degrees, suffixes, initials, particles, given-name order, `Surname, Given`); single-word columns as columns (see [`ColumnScan::findings`]); in free text: a title then capitalised words, a listed given name then a surname, initials then a word, two capitalised words inside a sentence, `Surname, Given` |
//! | [`Kind::UsSsn`] | `AAA-GG-SSSS` with the SSA rules: area not 000, 666 or 900–999, group not 00, serial not 0000 |
//! | [`Kind::DeTaxId`] | 11 digits (or `DD DDD DDD DDD`), first digit not 0, in the first ten exactly one digit value repeated (twice or three times), check digit by ISO 7064 MOD 11,10 |
//! | [`Kind::Postcode`] | only with a name hint (`zip`, `postcode`, `plz`): 5 digits or ZIP+4 `DDDDD-DDDD`; five-digit numbers are too common to flag by content |
//! | [`Kind::RecordId`] | UUIDs and 32/40/64-digit hex hashes; or, for a column, codes (3–64 ASCII letters, digits and `- _ / . : #`, at least one digit, not a signed or fractional number) in at least 90% of at least 20 values, at least 90% distinct, all-digit codes zero-led or of one width of 6+ digits, and no supported name hint of another kind |
//!
//! A number is matched only at a word boundary: not inside a longer number (`12.4111…`), a
//! word (`ID0301234567`) or followed by more digits. Where several detectors match at the same
//! place, the longest match wins, ties in the order e-mail, IBAN, date, SSN, IP address,
//! payment card, tax ID, phone, person name.

use std::fmt;
use std::hash::Hasher;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::ops::Range;

use super::names::{self, Shape};
use crate::hash::{FastHasher, FastSet};

mod checks;
mod column;
mod scanners;

use checks::*;
pub use checks::{de_tax_id_valid, iban_valid, luhn_valid, us_ssn_valid};
pub use column::{ColumnScan, Finding};
use scanners::*;

/// The kinds of direct identifiers (and plain dates) the detectors recognise.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    /// An e-mail address.
    Email,
    /// A telephone number, international (E.164-like) or national.
    Phone,
    /// An International Bank Account Number with a valid MOD 97-10 check.
    Iban,
    /// A payment card number (13–19 digits, Luhn-valid).
    PaymentCard,
    /// An IPv4 or IPv6 address.
    IpAddress,
    /// A date of birth: a date where the column name or the text says so.
    DateOfBirth,
    /// A calendar date with no sign that it is a birth date (low-confidence finding).
    Date,
    /// A person's name.
    PersonName,
    /// A US Social Security number.
    UsSsn,
    /// A German tax identification number (Steuerliche Identifikationsnummer).
    DeTaxId,
    /// A postal code (US ZIP or German PLZ); detected only together with a column name hint.
    Postcode,
    /// A record identifier: a UUID or hash, or a code of a column whose values are (nearly)
    /// all distinct codes (`C100000`, `REF-2024-0042`), whatever the column is called.
    RecordId,
}

/// Number of [`Kind`] variants.
const N_KINDS: usize = 12;

impl Kind {
    /// Every kind, in declaration order.
    pub const ALL: [Kind; N_KINDS] = [
        Kind::Email,
        Kind::Phone,
        Kind::Iban,
        Kind::PaymentCard,
        Kind::IpAddress,
        Kind::DateOfBirth,
        Kind::Date,
        Kind::PersonName,
        Kind::UsSsn,
        Kind::DeTaxId,
        Kind::Postcode,
        Kind::RecordId,
    ];

    /// Stable snake_case name, as used in reports and `acknowledge:` lists (`"email"`, ...).
    pub fn name(self) -> &'static str {
        match self {
            Kind::Email => "email",
            Kind::Phone => "phone",
            Kind::Iban => "iban",
            Kind::PaymentCard => "payment_card",
            Kind::IpAddress => "ip_address",
            Kind::DateOfBirth => "date_of_birth",
            Kind::Date => "date",
            Kind::PersonName => "person_name",
            Kind::UsSsn => "us_ssn",
            Kind::DeTaxId => "de_tax_id",
            Kind::Postcode => "postcode",
            Kind::RecordId => "record_id",
        }
    }

    /// The text [`redact`] puts in place of a match (`"[EMAIL]"`, ...).
    pub fn placeholder(self) -> &'static str {
        match self {
            Kind::Email => "[EMAIL]",
            Kind::Phone => "[PHONE]",
            Kind::Iban => "[IBAN]",
            Kind::PaymentCard => "[CARD]",
            Kind::IpAddress => "[IP]",
            Kind::DateOfBirth => "[DOB]",
            Kind::Date => "[DATE]",
            Kind::PersonName => "[NAME]",
            Kind::UsSsn => "[SSN]",
            Kind::DeTaxId => "[TAX_ID]",
            Kind::Postcode => "[POSTCODE]",
            Kind::RecordId => "[ID]",
        }
    }

    /// The kind whose [`Kind::name`] is `name`.
    pub fn from_name(name: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.name() == name)
    }

    fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

// ---------------------------------------------------------------------------------------------
// Column names
// ---------------------------------------------------------------------------------------------

/// Splits a column name into lower-case words: on `_ - . / :` and spaces, and at camelCase
/// boundaries (`EmailAddress` → `email`, `address`; `IPAddress` → `ip`, `address`).
fn name_tokens(name: &str) -> Vec<String> {
    let chars: Vec<char> = name.chars().collect();
    let mut tokens = Vec::new();
    let mut cur = String::new();
    for (i, &c) in chars.iter().enumerate() {
        if matches!(c, '_' | '-' | '.' | '/' | ':') || c.is_whitespace() {
            if !cur.is_empty() {
                tokens.push(std::mem::take(&mut cur));
            }
            continue;
        }
        if c.is_uppercase() && !cur.is_empty() {
            let prev = chars[i - 1];
            let next_lower = chars.get(i + 1).is_some_and(|n| n.is_lowercase());
            if prev.is_lowercase() || prev.is_ascii_digit() || (prev.is_uppercase() && next_lower) {
                tokens.push(std::mem::take(&mut cur));
            }
        }
        cur.extend(c.to_lowercase());
    }
    if !cur.is_empty() {
        tokens.push(cur);
    }
    tokens
}

/// Words that make a column *about* an identifier rather than holding one
/// (`email_consent`, `phone_verified`, `ip_country`, `email_hash`).
const NAME_NEGATIVE: [&str; 20] = [
    "is", "has", "consent", "opt", "optin", "optout", "flag", "verified", "valid", "count", "cnt",
    "type", "status", "domain", "hash", "hashed", "country", "length", "len", "format",
];

/// Words next to `name` that make it a person's name (`customer_name`, `name_first`).
const PERSON_QUALIFIERS: [&str; 20] = [
    "first",
    "last",
    "full",
    "given",
    "family",
    "middle",
    "maiden",
    "sur",
    "fore",
    "person",
    "customer",
    "contact",
    "patient",
    "client",
    "employee",
    "member",
    "holder",
    "owner",
    "applicant",
    "display",
];

/// The identifier kind a column name suggests, if any.
///
/// The name is split into lower-case words (on `_ - . / :`, spaces and camelCase) and matched
/// both word by word and with the words joined (`e_mail` → `email`, `date_of_birth` →
/// `dateofbirth`). Names such as `email_consent`, `phone_verified` or `ip_country` (a word from
/// a short negative list) give `None`. `name` alone, or next to a qualifier such as `first`,
/// `last`, `full`, `customer`, is a person name; `product_name` is not. Birth places and years
/// (`birth_place`, `geburtsort`) are not dates of birth.
pub fn kind_from_column_name(name: &str) -> Option<Kind> {
    let tokens = name_tokens(name);
    if tokens.is_empty() || tokens.iter().any(|t| NAME_NEGATIVE.contains(&t.as_str())) {
        return None;
    }
    let joined: String = tokens.concat();
    let has = |w: &str| tokens.iter().any(|t| t == w);
    let contains_any = |ws: &[&str]| ws.iter().any(|w| joined.contains(w));
    let numberish = || has("number") || has("no") || has("nr") || has("num");

    let not_birth_date = contains_any(&[
        "place", "city", "country", "ort", "land", "name", "jahr", "year", "stadt",
    ]);
    if has("dob")
        || contains_any(&[
            "dateofbirth",
            "birthdate",
            "birthday",
            "birthdt",
            "dtofbirth",
        ])
        || (joined.contains("geburt") && !not_birth_date)
        || (has("gebdat") || has("gebdatum"))
        || ((has("birth") || has("born")) && !not_birth_date)
    {
        return Some(Kind::DateOfBirth);
    }
    if joined.contains("email") || has("mail") {
        return Some(Kind::Email);
    }
    if contains_any(&[
        "phone",
        "telefon",
        "mobilnummer",
        "handynummer",
        "faxnummer",
    ]) || ["tel", "mobile", "mobil", "handy", "fax", "msisdn"]
        .iter()
        .any(|w| has(w))
        || (has("cell") && (tokens.len() == 1 || numberish()))
    {
        return Some(Kind::Phone);
    }
    if joined.contains("iban") {
        return Some(Kind::Iban);
    }
    if contains_any(&[
        "creditcard",
        "debitcard",
        "paymentcard",
        "cardnumber",
        "cardnum",
        "cardno",
        "kreditkarte",
        "kartennummer",
    ]) || has("pan")
        || (has("cc") && numberish())
    {
        return Some(Kind::PaymentCard);
    }
    if has("ssn") || joined.contains("socialsecurity") {
        return Some(Kind::UsSsn);
    }
    if contains_any(&["steuerid", "taxid", "identifikationsnummer"]) || has("tin") || has("idnr") {
        return Some(Kind::DeTaxId);
    }
    if has("ip")
        || has("ipv4")
        || has("ipv6")
        || contains_any(&["ipaddress", "ipaddr", "ipadresse"])
    {
        return Some(Kind::IpAddress);
    }
    if has("zip")
        || has("plz")
        || (has("postal") && !has("address"))
        || contains_any(&["zipcode", "postcode", "postalcode", "postleitzahl"])
    {
        return Some(Kind::Postcode);
    }
    if contains_any(&[
        "firstname",
        "lastname",
        "surname",
        "fullname",
        "givenname",
        "familyname",
        "forename",
        "middlename",
        "maidenname",
        "vorname",
        "nachname",
        "familienname",
    ]) {
        return Some(Kind::PersonName);
    }
    if (has("name") || has("names"))
        && (tokens.len() == 1
            || tokens
                .iter()
                .any(|t| PERSON_QUALIFIERS.contains(&t.as_str())))
    {
        return Some(Kind::PersonName);
    }
    None
}

/// Longest value [`classify`] looks at; longer values are free text.
const MAX_WHOLE: usize = 256;

/// The kind of identifier the whole (trimmed) `value` is, if it is one.
///
/// Dates come out as [`Kind::Date`] (whether one is a birth date depends on the column, see
/// [`ColumnScan`]); postcodes are never reported here (see [`Kind::Postcode`]). A value that
/// merely *contains* an identifier gives `None`; use [`find_all`] for those.
pub fn classify(value: &str) -> Option<Kind> {
    whole_kind(value.trim())
}

fn whole_kind(v: &str) -> Option<Kind> {
    let b = v.as_bytes();
    if b.is_empty() || b.len() > MAX_WHOLE {
        return None;
    }
    if let Some((end, kind)) = match_at(v, b, 0, false) {
        if end == b.len() {
            return Some(kind);
        }
    }
    (names::shape(v) == Some(Shape::Full)).then_some(Kind::PersonName)
}

/// Identifiers embedded in free text: byte ranges into `text` with their kinds, in order and
/// non-overlapping. Dates are [`Kind::Date`], or [`Kind::DateOfBirth`] right after a cue such
/// as "born" or "geb."; person names need a capitalised given name and surname.
pub fn find_all(text: &str) -> Vec<(Range<usize>, Kind)> {
    let mut out = Vec::new();
    scan(text, |r, k| out.push((r, k)));
    out
}

/// `text` with every [`find_all`] match replaced by its kind's [`Kind::placeholder`]
/// (dates included, as `[DATE]`).
pub fn redact(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    redact_into(text, |_| true, &mut out);
    out
}

/// Appends `text` to `out` with the [`find_all`] matches whose kind `pred` accepts replaced by
/// their placeholders (e.g. `|k| k != Kind::Date` keeps plain dates).
pub fn redact_into(text: &str, mut pred: impl FnMut(Kind) -> bool, out: &mut String) {
    let mut last = 0;
    scan(text, |r, k| {
        if pred(k) {
            // `scan` ranges lie on character boundaries (see there).
            out.push_str(&text[last..r.start]);
            out.push_str(k.placeholder());
            last = r.end;
        }
    });
    out.push_str(&text[last..]);
}

// ---------------------------------------------------------------------------------------------
// Looser forms accepted when the column name already says the kind
// ---------------------------------------------------------------------------------------------

/// Whether `v` has a looser form of `kind` that counts as content support when the column name
/// suggests `kind`: phone digits without separators or `+` (7–15 digits), a nine-digit SSN, a
/// card number with any leading digit (12–19 digits, Luhn), a 5-digit or ZIP+4 postcode, a
/// birth date with a time part, a single given name or surname.
fn loose_match(kind: Kind, v: &str) -> bool {
    let b = v.as_bytes();
    match kind {
        Kind::Phone => {
            let body = v.strip_prefix('+').unwrap_or(v);
            let digits = body.bytes().filter(u8::is_ascii_digit).count();
            (7..=15).contains(&digits)
                && body.bytes().all(|c| {
                    c.is_ascii_digit() || matches!(c, b' ' | b'-' | b'.' | b'/' | b'(' | b')')
                })
        }
        Kind::UsSsn => us_ssn_valid(v),
        Kind::DeTaxId => de_tax_id_valid(v),
        Kind::Iban => iban_valid(v),
        Kind::PaymentCard => {
            let digits = b.iter().filter(|c| c.is_ascii_digit()).count();
            (12..=19).contains(&digits) && luhn_valid(v)
        }
        Kind::Postcode => {
            (b.len() == 5 && b.iter().all(u8::is_ascii_digit))
                || (b.len() == 10
                    && b[5] == b'-'
                    && b[..5].iter().chain(&b[6..]).all(u8::is_ascii_digit))
        }
        Kind::DateOfBirth => date_at(b, 0).is_some_and(|e| {
            e == b.len()
                || (matches!(b[e], b'T' | b' ')
                    && b[e + 1..].iter().all(|c| {
                        c.is_ascii_digit() || matches!(c, b':' | b'.' | b'+' | b'-' | b'Z')
                    }))
        }),
        Kind::PersonName => matches!(names::shape(v), Some(Shape::Full | Shape::Single { .. })),
        Kind::Email | Kind::IpAddress | Kind::Date | Kind::RecordId => false,
    }
}

/// Kinds validated by a check digit: [`Kind::Iban`], [`Kind::PaymentCard`], [`Kind::DeTaxId`].
fn has_check_digit(k: Kind) -> bool {
    matches!(k, Kind::Iban | Kind::PaymentCard | Kind::DeTaxId)
}

/// The check-digit kind a whole value has the *shape* of, valid or not: IBAN (two letters, two
/// digits, 15–34 alphanumerics), card (13–19 digits, first 2–6), tax ID (11 digits, first not 0).
fn shape_kind(b: &[u8]) -> Option<Kind> {
    let (mut digits, mut letters) = (0usize, 0usize);
    for &c in b {
        match c {
            b'0'..=b'9' => digits += 1,
            b'A'..=b'Z' | b'a'..=b'z' => letters += 1,
            b' ' | b'-' => {}
            _ => return None,
        }
    }
    let first = *b.first()?;
    if letters == 0 {
        if digits == 11 && first != b'0' && !b.contains(&b'-') {
            return Some(Kind::DeTaxId);
        }
        if (13..=19).contains(&digits) && matches!(first, b'2'..=b'6') {
            return Some(Kind::PaymentCard);
        }
        return None;
    }
    let head_ok = b.len() >= 4
        && b[0].is_ascii_alphabetic()
        && b[1].is_ascii_alphabetic()
        && b[2].is_ascii_digit()
        && b[3].is_ascii_digit();
    (head_ok && (15..=34).contains(&(digits + letters)) && !b.contains(&b'-')).then_some(Kind::Iban)
}

#[cfg(test)]
mod tests {
    use super::column::*;
    use super::*;

    /// `prefix` followed by its Luhn check digit.
    fn with_luhn(prefix: &str) -> String {
        (0..10u8)
            .map(|d| format!("{prefix}{d}"))
            .find(|s| luhn_valid(s))
            .expect("one check digit fits")
    }

    /// A deterministic stream of pseudo-random digits (64-bit LCG, Knuth's MMIX constants).
    struct Digits(u64);
    impl Digits {
        fn next(&mut self) -> u8 {
            self.0 = self
                .0
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((self.0 >> 33) % 10) as u8
        }
        fn string(&mut self, n: usize) -> String {
            (0..n).map(|_| char::from(b'0' + self.next())).collect()
        }
    }

    #[test]
    fn luhn_accepts_the_published_test_numbers_only() {
        for ok in [
            "4111 1111 1111 1111",
            "5500 0000 0000 0004",
            "3400 0000 0000 009",
            "79927398713",
        ] {
            assert!(luhn_valid(ok), "{ok}");
        }
        for bad in [
            "79927398710",
            "4111111111111112",
            "4111-1111-1111-111x",
            "",
            "0",
        ] {
            assert!(!luhn_valid(bad), "{bad}");
        }
        // As whole values, the 16- and 15-digit ones are cards; the 11-digit one is too short.
        assert_eq!(classify("4111 1111 1111 1111"), Some(Kind::PaymentCard));
        assert_eq!(classify("5500-0000-0000-0004"), Some(Kind::PaymentCard));
        assert_eq!(classify("340000000000009"), Some(Kind::PaymentCard));
        assert_eq!(classify("4111111111111112"), None);
        assert_eq!(classify("79927398713"), None);
        // Mixed separators are not one number.
        assert_eq!(classify("4111 1111-1111 1111"), None);
    }

    #[test]
    fn iban_accepts_the_published_examples_and_rejects_one_digit_changes() {
        for ok in [
            "GB82 WEST 1234 5698 7654 32",
            "DE89 3704 0044 0532 0130 00",
            "FR14 2004 1010 0505 0001 3M02 606",
            "DE89370400440532013000",
            "de89370400440532013000",
        ] {
            assert!(iban_valid(ok), "{ok}");
            assert_eq!(classify(ok), Some(Kind::Iban), "{ok}");
        }
        for bad in [
            "GB82 WEST 1234 5698 7654 33",
            "DE89 3704 0044 0532 0130 01",
            "FR14 2004 1010 0505 0001 3M02 607",
            "DE88 3704 0044 0532 0130 00",
            // Right check, wrong length for Germany (a digit dropped changes the check anyway).
            "DE89 3704 0044 0532 0130 0",
            "DE89-3704-0044-0532-0130-00",
        ] {
            assert!(!iban_valid(bad), "{bad}");
            assert_eq!(classify(bad), None, "{bad}");
        }
    }

    #[test]
    fn german_tax_id_check_digit_agrees_with_published_samples() {
        // The widely published BZSt sample and an independent worked example.
        assert_eq!(de_tax_check_digit(&[8, 6, 0, 9, 5, 7, 4, 2, 7, 1]), 9);
        assert!(de_tax_id_valid("86095742719"));
        assert!(de_tax_id_valid("12345678995"));
        assert!(de_tax_id_valid("86 095 742 719"));
        // One computed here: 1 repeated, check digit from the implementation.
        let base = [1, 2, 3, 4, 5, 6, 7, 8, 9, 1];
        let check = de_tax_check_digit(&base);
        let id: String = base
            .iter()
            .chain([check].iter())
            .map(|d| char::from(b'0' + d))
            .collect();
        assert!(de_tax_id_valid(&id), "{id}");
        assert_eq!(classify(&id), Some(Kind::DeTaxId));
        assert_eq!(classify("86095742719"), Some(Kind::DeTaxId));
        assert_eq!(classify("86 095 742 719"), Some(Kind::DeTaxId));

        for bad in [
            "86095742718", // check digit off by one
            "86095742791", // last two swapped
            "06095742719", // leading zero
            "8609574271",  // ten digits
        ] {
            assert!(!de_tax_id_valid(bad), "{bad}");
        }
        // A correct check digit does not rescue a number breaking the repetition rule.
        for base in [
            [1, 2, 3, 4, 5, 6, 7, 8, 9, 0],
            [1, 1, 1, 1, 2, 3, 4, 5, 6, 7],
            [1, 1, 2, 2, 3, 4, 5, 6, 7, 8],
        ] {
            let check = de_tax_check_digit(&base);
            let id: String = base
                .iter()
                .chain([check].iter())
                .map(|d| char::from(b'0' + d))
                .collect();
            assert!(!de_tax_id_valid(&id), "{id}");
        }
    }

    #[test]
    fn ssn_follows_the_ssa_rules() {
        assert!(us_ssn_valid("078-05-1120"));
        assert!(us_ssn_valid("078051120"));
        assert_eq!(classify("078-05-1120"), Some(Kind::UsSsn));
        for bad in [
            "000-12-3456",
            "666-12-3456",
            "900-12-3456",
            "999-12-3456",
            "123-00-4567",
            "123-45-0000",
            "123-45-678",
            "12-345-6789",
        ] {
            assert!(!us_ssn_valid(bad), "{bad}");
            assert_ne!(classify(bad), Some(Kind::UsSsn), "{bad}");
        }
    }

    #[test]
    fn emails_valid_and_near_misses() {
        for ok in [
            "anna.schmidt@example.org",
            "a@b.co",
            "first+tag@mail.example.com",
            "x_y-z%1@sub-domain.example.de",
        ] {
            assert_eq!(classify(ok), Some(Kind::Email), "{ok}");
        }
        for bad in [
            "a@b",
            "user@@example.com",
            "user@example",
            "user@.com",
            ".user@example.com",
            "user.@example.com",
            "us..er@example.com",
            "user@example.c",
            "user@-example.com",
            "user@example.123",
            "@example.com",
            "user example.com",
        ] {
            assert_eq!(classify(bad), None, "{bad}");
        }
    }

    #[test]
    fn phones_valid_and_near_misses() {
        for ok in [
            "+4915112345678",
            "+1 415 555 0123",
            "+49 151 23456789",
            "+49 (0)30 1234567",
            "0049 30 1234567",
            "030 1234567",
            "0151-12345678",
            "(030) 1234567",
            "(415) 555-0123",
            "415-555-0123",
            "415.555.0123",
            "1-415-555-0123",
            // Extensions, 00/001 prefixes, dots, bare digit runs of a plausible length.
            "415-555-0123 x37915",
            "415-555-0123x37915",
            "(415) 555-0123 ext. 12",
            "+1 415 555 0123 ext 204",
            "+1-415-555-0123x6781",
            "001-415-555-0123",
            "00 49 30 1234567",
            "+49.30.1234567",
            "4155550123",
            "14155550123",
            "01511234567",
            "030 1234567, Durchwahl 12",
        ] {
            assert_eq!(classify(ok), Some(Kind::Phone), "{ok}");
            assert_eq!(
                redact(&format!("call {ok} now")),
                "call [PHONE] now",
                "{ok}"
            );
        }
        for bad in [
            "12345",
            "+12",
            "+0 151 2345678", // no country code starts with 0
            "0151",
            "1234567890", // bare: area code cannot start with 1
            "4151550123", // nor the exchange
            "1920x1080",
            "123-456-7890", // area code cannot start with 1
            "415-155-0123", // nor the exchange
            "030 12",       // too short
            "1,234.56",
            "555-0123",
        ] {
            assert_ne!(classify(bad), Some(Kind::Phone), "{bad}");
        }
    }

    #[test]
    fn ip_addresses_valid_and_near_misses() {
        for ok in [
            "192.168.0.1",
            "8.8.8.8",
            "2001:db8::1",
            "fe80::1ff:fe23:4567:890a",
            "::ffff:192.0.2.1",
            "2001:0db8:0000:0000:0000:ff00:0042:8329",
        ] {
            assert_eq!(classify(ok), Some(Kind::IpAddress), "{ok}");
        }
        for bad in [
            "1.2.3.256",
            "1.2.3",
            "1.2.3.4.5",
            "01.02.03.04",
            "12:30:45",
            "10:30",
            "2001:db8::g",
            "a::b",
            "00:1A:2B:3C:4D:5E",
        ] {
            assert_eq!(classify(bad), None, "{bad}");
        }
    }

    #[test]
    fn dates_are_real_calendar_days() {
        for ok in [
            "1985-03-12",
            "12.03.1985",
            "1.3.1985",
            "03/12/1985",
            "31/12/1985",
            "2024-02-29",
        ] {
            assert_eq!(classify(ok), Some(Kind::Date), "{ok}");
        }
        for bad in [
            "1985-02-30",
            "2023-02-29",
            "13/13/1985",
            "1985-3-12",
            "32.01.1985",
            "12.03.85",
            "2024",
        ] {
            assert_eq!(classify(bad), None, "{bad}");
        }
    }

    #[test]
    fn person_names_need_a_given_name_and_a_surname() {
        for ok in [
            "Anna Schmidt",
            "anna schmidt",
            "Schmidt, Anna",
            "Dr. Anna Schmidt",
            "James R. Smith",
            "Maria Müller-Lüdenscheidt",
        ] {
            assert_eq!(classify(ok), Some(Kind::PersonName), "{ok}");
        }
        for bad in [
            "Anna",
            "Schmidt",
            "Anna banana",
            "Green tea",
            "Organic Green Tea Bags",
            "Anna Schmidt 2",
            "Anna Schmidt GmbH & Co",
        ] {
            assert_eq!(classify(bad), None, "{bad}");
        }
        let text = "Yesterday Anna Maria Schmidt met James Smith's dog, not anna schmidt.";
        let found: Vec<&str> = find_all(text).into_iter().map(|(r, _)| &text[r]).collect();
        // A possessive still names the person; lower-case words do not count.
        assert_eq!(found, ["Anna Maria Schmidt", "James Smith"]);
    }

    #[test]
    fn redacts_the_example_sentence_exactly() {
        let text =
            "Call +49 151 23456789 or mail anna.schmidt@example.org, IBAN DE89370400440532013000.";
        assert_eq!(redact(text), "Call [PHONE] or mail [EMAIL], IBAN [IBAN].");
        let found = find_all(text);
        let kinds: Vec<Kind> = found.iter().map(|(_, k)| *k).collect();
        assert_eq!(kinds, [Kind::Phone, Kind::Email, Kind::Iban]);
        assert_eq!(&text[found[0].0.clone()], "+49 151 23456789");
        assert_eq!(&text[found[1].0.clone()], "anna.schmidt@example.org");
        assert_eq!(&text[found[2].0.clone()], "DE89370400440532013000");
    }

    #[test]
    fn finds_every_kind_in_free_text() {
        let text =
            "Kundin Jürgen Weber (geb. 12.03.1985), SSN 078-05-1120, Steuer-ID 86 095 742 719, \
                    Karte 4111-1111-1111-1111 von 10.0.0.1 oder 2001:db8::42, Termin 2024-05-01, \
                    IBAN GB82 WEST 1234 5698 7654 32; Büro: (030) 1234567.";
        let found: Vec<(&str, Kind)> = find_all(text)
            .into_iter()
            .map(|(r, k)| (&text[r], k))
            .collect();
        assert_eq!(
            found,
            [
                ("Jürgen Weber", Kind::PersonName),
                ("12.03.1985", Kind::DateOfBirth),
                ("078-05-1120", Kind::UsSsn),
                ("86 095 742 719", Kind::DeTaxId),
                ("4111-1111-1111-1111", Kind::PaymentCard),
                ("10.0.0.1", Kind::IpAddress),
                ("2001:db8::42", Kind::IpAddress),
                ("2024-05-01", Kind::Date),
                ("GB82 WEST 1234 5698 7654 32", Kind::Iban),
                ("(030) 1234567", Kind::Phone),
            ]
        );
        assert_eq!(
            redact_into_string(text, |k| k != Kind::Date),
            "Kundin [NAME] (geb. [DOB]), SSN [SSN], Steuer-ID [TAX_ID], \
             Karte [CARD] von [IP] oder [IP], Termin 2024-05-01, \
             IBAN [IBAN]; Büro: [PHONE]."
        );
        assert_eq!(
            redact("from 192.168.1.20:8443 and [2001:db8::7]:443"),
            "from [IP]:8443 and [[IP]]:443"
        );
        // Numbers inside longer numbers or words are left alone.
        assert!(find_all("ID4111111111111111 x12.4111111111111111 41111111111111110").is_empty());
        assert!(find_all("").is_empty());
        assert_eq!(
            redact("ümlaut ß 😀 +49 151 23456789 😀"),
            "ümlaut ß 😀 [PHONE] 😀"
        );
    }

    fn redact_into_string(text: &str, pred: impl FnMut(Kind) -> bool) -> String {
        let mut s = String::new();
        redact_into(text, pred, &mut s);
        s
    }

    #[test]
    fn column_names_map_to_kinds() {
        let cases = [
            ("e_mail", Some(Kind::Email)),
            ("EmailAddress", Some(Kind::Email)),
            ("customer_email", Some(Kind::Email)),
            ("phone_number", Some(Kind::Phone)),
            ("tel", Some(Kind::Phone)),
            ("mobile", Some(Kind::Phone)),
            ("Telefonnummer", Some(Kind::Phone)),
            ("iban", Some(Kind::Iban)),
            ("card_number", Some(Kind::PaymentCard)),
            ("creditCardNumber", Some(Kind::PaymentCard)),
            ("ip", Some(Kind::IpAddress)),
            ("ip_address", Some(Kind::IpAddress)),
            ("clientIPAddress", Some(Kind::IpAddress)),
            ("dob", Some(Kind::DateOfBirth)),
            ("date_of_birth", Some(Kind::DateOfBirth)),
            ("birth_date", Some(Kind::DateOfBirth)),
            ("dateOfBirth", Some(Kind::DateOfBirth)),
            ("geburtsdatum", Some(Kind::DateOfBirth)),
            ("ssn", Some(Kind::UsSsn)),
            ("social_security_number", Some(Kind::UsSsn)),
            ("steuer_id", Some(Kind::DeTaxId)),
            ("tax_id", Some(Kind::DeTaxId)),
            ("zip", Some(Kind::Postcode)),
            ("postcode", Some(Kind::Postcode)),
            ("postal_code", Some(Kind::Postcode)),
            ("plz", Some(Kind::Postcode)),
            ("first_name", Some(Kind::PersonName)),
            ("last_name", Some(Kind::PersonName)),
            ("surname", Some(Kind::PersonName)),
            ("full_name", Some(Kind::PersonName)),
            ("name", Some(Kind::PersonName)),
            ("customer_name", Some(Kind::PersonName)),
            ("Vorname", Some(Kind::PersonName)),
            // Not identifiers, or about one rather than holding one.
            ("product_name", None),
            ("username", None),
            ("filename", None),
            ("email_consent", None),
            ("phone_verified", None),
            ("ip_country", None),
            ("birth_place", None),
            ("geburtsort", None),
            ("birth_year", None),
            ("description", None),
            ("tip", None),
            ("telemetry", None),
            ("company", None),
            ("taxonomy_id", None),
            ("income", None),
            ("", None),
        ];
        for (name, want) in cases {
            assert_eq!(kind_from_column_name(name), want, "{name}");
        }
    }

    #[test]
    fn repeated_values_count_like_single_adds() {
        let values = [
            ("a@example.org", 3u64),
            ("+49 30 1234567", 2),
            ("call me at a@example.org", 4),
            ("plain", 5),
        ];
        let (mut one, mut rep) = (ColumnScan::new("contact"), ColumnScan::new("contact"));
        for (v, n) in values {
            for _ in 0..n {
                one.add(Some(v));
            }
            rep.add_repeated(Some(v), n);
        }
        assert_eq!(one.non_null(), rep.non_null());
        assert_eq!(
            format!("{:?}", one.findings()),
            format!("{:?}", rep.findings())
        );
        assert!(!one.findings().is_empty());
    }

    #[test]
    fn column_scan_shares_over_generated_values() {
        let mut all = ColumnScan::new("contact");
        let mut half = ColumnScan::new("contact");
        for i in 0..1000 {
            let email = format!("user{i}.name@example.com");
            all.add(Some(&email));
            if i % 2 == 0 {
                half.add(Some(&email));
            } else {
                half.add(Some(&format!("word{i}")));
            }
            half.add(None);
        }
        let f = all.findings();
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(
            (
                f[0].kind,
                f[0].share,
                f[0].count,
                f[0].embedded,
                f[0].by_name
            ),
            (Kind::Email, 1.0, 1000, false, false)
        );
        assert!(f[0].confidence > 0.95, "{f:?}");

        let f = half.findings();
        assert_eq!(half.non_null(), 1000);
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(
            (f[0].kind, f[0].share, f[0].embedded),
            (Kind::Email, 0.5, false)
        );

        // The same values under an e-mail column name: name and content agree.
        let mut named = ColumnScan::new("email");
        let mut parts = [ColumnScan::new("email"), ColumnScan::new("email")];
        for i in 0..1000 {
            let v = format!("user{i}.name@example.com");
            named.add(Some(&v));
            parts[i % 2].add(Some(&v));
        }
        let [mut a, b] = parts;
        a.merge(&b);
        let f = named.findings();
        assert_eq!(f, a.findings());
        assert!(
            f[0].by_name && f[0].share == 1.0 && f[0].confidence > 0.98,
            "{f:?}"
        );
    }

    #[test]
    fn embedded_identifiers_are_counted_per_value() {
        let mut s = ColumnScan::new("notes");
        for i in 0..200 {
            if i % 2 == 0 {
                s.add(Some(&format!(
                    "Please call +49 151 2345{i:04} tomorrow, ticket {i}"
                )));
            } else {
                s.add(Some("No contact wanted."));
            }
        }
        let f = s.findings();
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(
            (f[0].kind, f[0].share, f[0].embedded),
            (Kind::Phone, 0.5, true)
        );
        assert!(f[0].confidence >= 0.75, "{f:?}");
    }

    #[test]
    fn name_hints_and_content_combine() {
        // A name alone: moderate; contradicted by many values: lower.
        let empty = ColumnScan::new("email");
        let f = empty.findings();
        assert_eq!(
            (f.len(), f[0].kind, f[0].share, f[0].confidence),
            (1, Kind::Email, 0.0, NAME_ONLY)
        );
        let mut hashed = ColumnScan::new("email");
        for i in 0..50 {
            hashed.add(Some(&format!("{:016x}", i * 7919)));
        }
        let f = hashed.findings();
        let email = f
            .iter()
            .find(|f| f.kind == Kind::Email)
            .expect("name finding");
        assert_eq!(email.confidence, NAME_CONTRADICTED);
        // Unique hex codes are record identifiers, whatever the column is called.
        assert_eq!(f[0].kind, Kind::RecordId, "{f:?}");

        // Dates: birth dates under a birth column, plain low-confidence dates elsewhere.
        let dates: Vec<String> = (0..100)
            .map(|i| format!("19{:02}-{:02}-{:02}", 50 + i % 40, 1 + i % 12, 1 + i % 28))
            .collect();
        let mut dob = ColumnScan::new("date_of_birth");
        let mut plain = ColumnScan::new("order_date");
        for d in &dates {
            dob.add(Some(d));
            plain.add(Some(d));
        }
        let f = dob.findings();
        assert_eq!(
            (f.len(), f[0].kind, f[0].share, f[0].by_name),
            (1, Kind::DateOfBirth, 1.0, true)
        );
        assert!(f[0].confidence >= 0.9, "{f:?}");
        let f = plain.findings();
        assert_eq!((f.len(), f[0].kind, f[0].share), (1, Kind::Date, 1.0));
        assert!(f[0].confidence <= 0.2, "{f:?}");

        // Postcodes only by name.
        let mut zip = ColumnScan::new("zip");
        let mut qty = ColumnScan::new("quantity");
        for i in 0..100 {
            let v = format!("{}", 10000 + i * 811);
            zip.add(Some(&v));
            qty.add(Some(&v));
        }
        let f = zip.findings();
        assert_eq!((f.len(), f[0].kind, f[0].share), (1, Kind::Postcode, 1.0));
        assert!(f[0].confidence > 0.75, "{f:?}");
        assert!(qty.findings().is_empty(), "{:?}", qty.findings());

        // Looser forms count under a matching name: nine-digit SSNs, single given names.
        let mut ssn = ColumnScan::new("ssn");
        ssn.add(Some("078051120"));
        ssn.add(Some("078-05-1120"));
        ssn.add(Some("000000000"));
        assert_eq!(ssn.findings()[0].count, 2);
        let mut first = ColumnScan::new("first_name");
        // An unlisted capitalised word under a given-name header is a name all the same.
        for n in ["Anna", "James", "Zyxw", "n/a", "12"] {
            first.add(Some(n));
        }
        let f = first.findings();
        assert_eq!((f[0].kind, f[0].count), (Kind::PersonName, 3));
    }

    #[test]
    fn chance_luhn_passes_are_discounted() {
        let mut rng = Digits(7);
        let mut random = ColumnScan::new("reference");
        let mut cards = ColumnScan::new("reference");
        for _ in 0..1000 {
            random.add(Some(&format!("4{}", rng.string(15))));
            cards.add(Some(&with_luhn(&format!("4{}", rng.string(14)))));
        }
        let f = random.findings();
        // About one in ten passes Luhn by chance, and then it is worth nothing; the column is
        // one of unique references (record identifiers) all the same.
        assert_eq!(f.len(), 2, "{f:?}");
        assert_eq!(f[0].kind, Kind::RecordId, "{f:?}");
        let card = f[1];
        assert_eq!(card.kind, Kind::PaymentCard, "{f:?}");
        assert!(card.share > 0.05 && card.share < 0.15, "{f:?}");
        assert!(card.confidence < 0.05 && card.evidence < 0.05, "{f:?}");
        let f = cards.findings();
        assert_eq!((f[0].kind, f[0].share), (Kind::PaymentCard, 1.0));
        assert!(f[0].confidence > 0.9, "{f:?}");
    }

    #[test]
    fn ordinary_values_give_no_identifier_findings() {
        let values = [
            "Widget Pro 3000",
            "Organic Green Tea",
            "USB-C cable, 2 m",
            "1,234.56",
            "1.234,56",
            "-17.5",
            "3.14159",
            "42",
            "2024",
            "12345",
            "A1",
            "B-12",
            "SKU-88213-XL",
            "2023-Q4",
            "v2.10.4",
            "1.2.3",
            "10:30",
            "12:30:45",
            "100%",
            "€ 99,90",
            "N/A",
            "yes",
            "Berlin",
            "New York",
            "ACME Corp.",
            "Order #4711 shipped",
            "ISBN 978-3-16-148410-0",
            "The quick brown fox jumps over the lazy dog.",
            "Delivered on time, thanks!",
            "Room 101, second floor",
            "2024-01-15",
            "15.01.2024",
        ];
        let mut scan = ColumnScan::new("comment");
        for v in values {
            let c = classify(v);
            assert!(c.is_none() || c == Some(Kind::Date), "{v}: {c:?}");
            assert!(
                find_all(v).iter().all(|(_, k)| *k == Kind::Date),
                "{v}: {:?}",
                find_all(v)
            );
            scan.add(Some(v));
        }
        let f = scan.findings();
        assert!(
            f.iter()
                .all(|f| f.kind == Kind::Date && f.confidence <= 0.2),
            "{f:?}"
        );
        assert_eq!(f.len(), 1, "{f:?}");
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(512))]

        /// Any text, including separators, digits and multi-byte characters next to each other:
        /// no panic, matches in order, non-overlapping, on character boundaries, and `redact`
        /// is the text with exactly those ranges replaced.
        #[test]
        fn scanning_arbitrary_text_is_safe(
            text in "([0-9]{1,6}|[A-Za-z]{1,5}|[ .@:+()/,'_-]|ä|ß|Ü|😀|\\+49 151 23456789|anna@example.org|DE89370400440532013000|Anna Schmidt){0,24}"
        ) {
            let found = find_all(&text);
            let mut last = 0;
            let mut want = String::new();
            for (r, k) in &found {
                proptest::prop_assert!(r.start >= last && r.start < r.end, "{text:?}: {found:?}");
                proptest::prop_assert!(text.is_char_boundary(r.start) && text.is_char_boundary(r.end));
                want.push_str(&text[last..r.start]);
                want.push_str(k.placeholder());
                last = r.end;
            }
            want.push_str(&text[last..]);
            proptest::prop_assert_eq!(redact(&text), want);
            let _ = classify(&text);
            let mut scan = ColumnScan::new("free text");
            scan.add(Some(&text));
            proptest::prop_assert!(scan.findings().iter().all(|f| (0.0..=1.0).contains(&f.confidence)));
        }
    }

    #[test]
    fn kind_names_and_placeholders_round_trip() {
        for k in Kind::ALL {
            assert_eq!(Kind::from_name(k.name()), Some(k));
            assert_eq!(
                k.index(),
                Kind::ALL.iter().position(|x| *x == k).expect("listed")
            );
            assert!(k.placeholder().starts_with('[') && k.placeholder().ends_with(']'));
        }
        assert_eq!(Kind::Email.to_string(), "email");
    }

    /// Throughput of [`ColumnScan::add`] and [`redact`]:
    /// `cargo test --release --lib deid::detect -- --ignored --nocapture`.
    #[test]
    #[ignore = "timing; run in release with --ignored --nocapture"]
    fn scan_throughput() {
        use std::time::Instant;
        let mut rng = Digits(1);
        let sets: [(&str, Vec<String>); 4] = [
            (
                "e-mails",
                (0..1_000_000)
                    .map(|i| format!("customer.{i}@example.com"))
                    .collect(),
            ),
            (
                "phones",
                (0..1_000_000)
                    .map(|_| format!("+49 151 {}", rng.string(8)))
                    .collect(),
            ),
            (
                "words",
                (0..1_000_000)
                    .map(|i| format!("Product {i} blue"))
                    .collect(),
            ),
            (
                "amounts",
                (0..1_000_000)
                    .map(|i| format!("{}.{:02}", i * 37, i % 100))
                    .collect(),
            ),
        ];
        for (what, values) in &sets {
            let t = Instant::now();
            let mut s = ColumnScan::new("value");
            for v in values {
                s.add(Some(v));
            }
            let rate = values.len() as f64 / t.elapsed().as_secs_f64();
            println!("ColumnScan::add, {what}: {:.2} M values/s", rate / 1e6);
            std::hint::black_box(s.findings());
        }
        let text =
            "Call +49 151 23456789 or mail anna.schmidt@example.org, IBAN DE89370400440532013000. \
                    The quick brown fox jumps over the lazy dog on 2024-01-05 at 10:30. ";
        let big = text.repeat(10_000);
        let t = Instant::now();
        let out = redact(&big);
        let rate = big.len() as f64 / t.elapsed().as_secs_f64();
        println!("redact: {:.1} MB/s", rate / 1e6);
        std::hint::black_box(out);
    }
}
