//! Identifier detection by column name and by content.
//!
//! Three entry points share one set of small byte-level scanners (no regular expressions):
//! - [`kind_from_column_name`]: what a column's *name* suggests it holds;
//! - [`classify`]: what one *whole* value is (`"anna@example.org"` is an e-mail);
//! - [`find_all`] / [`redact`]: identifiers *embedded* in free text, with byte ranges.
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

// ---------------------------------------------------------------------------------------------
// Check digits
// ---------------------------------------------------------------------------------------------

/// Luhn (mod 10) check over digit values `0..=9`, rightmost digit first undoubled.
fn luhn(digits: &[u8]) -> bool {
    let mut sum = 0u32;
    for (i, &d) in digits.iter().rev().enumerate() {
        let d = u32::from(d);
        sum += if i % 2 == 1 {
            let x = d * 2;
            if x > 9 {
                x - 9
            } else {
                x
            }
        } else {
            d
        };
    }
    sum % 10 == 0
}

/// Whether `digits` passes the Luhn (mod 10) check used by payment cards; spaces and dashes
/// are ignored, any other non-digit (or fewer than two digits) makes it invalid.
pub fn luhn_valid(digits: &str) -> bool {
    let mut buf = [0u8; 64];
    let mut n = 0;
    for c in digits.bytes() {
        match c {
            b'0'..=b'9' => {
                if n == buf.len() {
                    return false;
                }
                buf[n] = c - b'0';
                n += 1;
            }
            b' ' | b'-' => {}
            _ => return false,
        }
    }
    n >= 2 && luhn(&buf[..n])
}

/// IBAN lengths from the SWIFT IBAN registry for the countries most often seen in European
/// data; other country codes are accepted at any length from 15 to 34.
const IBAN_LENGTHS: [(&[u8; 2], usize); 34] = [
    (b"AT", 20),
    (b"BE", 16),
    (b"BG", 22),
    (b"CH", 21),
    (b"CY", 28),
    (b"CZ", 24),
    (b"DE", 22),
    (b"DK", 18),
    (b"EE", 20),
    (b"ES", 24),
    (b"FI", 18),
    (b"FR", 27),
    (b"GB", 22),
    (b"GR", 27),
    (b"HR", 21),
    (b"HU", 28),
    (b"IE", 22),
    (b"IS", 26),
    (b"IT", 27),
    (b"LI", 21),
    (b"LT", 20),
    (b"LU", 20),
    (b"LV", 21),
    (b"MC", 27),
    (b"MT", 31),
    (b"NL", 18),
    (b"NO", 15),
    (b"PL", 28),
    (b"PT", 25),
    (b"RO", 24),
    (b"SE", 24),
    (b"SI", 19),
    (b"SK", 24),
    (b"SM", 27),
];

fn iban_country_len(cc: [u8; 2]) -> Option<usize> {
    IBAN_LENGTHS
        .iter()
        .find(|(c, _)| **c == cc)
        .map(|&(_, n)| n)
}

/// Checks upper-case alphanumerics `chars` as an IBAN: country letters, check digits, length,
/// and the ISO 13616 MOD 97-10 remainder (the first four characters moved to the end, letters
/// as 10..35, the number mod 97 must be 1).
fn iban_chars_valid(chars: &[u8]) -> bool {
    if chars.len() < 15 || chars.len() > 34 {
        return false;
    }
    if !chars[0].is_ascii_uppercase()
        || !chars[1].is_ascii_uppercase()
        || !chars[2].is_ascii_digit()
        || !chars[3].is_ascii_digit()
    {
        return false;
    }
    if iban_country_len([chars[0], chars[1]]).is_some_and(|n| n != chars.len()) {
        return false;
    }
    let mut r = 0u32;
    for &c in chars[4..].iter().chain(&chars[..4]) {
        r = match c {
            b'0'..=b'9' => (r * 10 + u32::from(c - b'0')) % 97,
            b'A'..=b'Z' => (r * 100 + u32::from(c - b'A') + 10) % 97,
            _ => return false,
        };
    }
    r == 1
}

/// Whether `s` is a valid IBAN: spaces ignored, letters in either case, the registered length
/// for the country where known, and the ISO 13616 MOD 97-10 check.
pub fn iban_valid(s: &str) -> bool {
    let mut chars = [0u8; 34];
    let mut n = 0;
    for c in s.bytes() {
        if c == b' ' {
            continue;
        }
        if !c.is_ascii_alphanumeric() || n == chars.len() {
            return false;
        }
        chars[n] = c.to_ascii_uppercase();
        n += 1;
    }
    iban_chars_valid(&chars[..n])
}

/// German tax ID rules over 11 digit values: first digit not 0; in the first ten, exactly one
/// digit value occurs more than once, and it occurs two or three times; the eleventh is the
/// ISO 7064 MOD 11,10 check digit of the first ten.
fn de_tax_digits_valid(d: &[u8; 11]) -> bool {
    if d[0] == 0 {
        return false;
    }
    let mut counts = [0u8; 10];
    for &x in &d[..10] {
        counts[usize::from(x)] += 1;
    }
    let repeated = counts.iter().filter(|&&c| c > 1).count();
    if repeated != 1 || counts.iter().any(|&c| c > 3) {
        return false;
    }
    de_tax_check_digit(&d[..10]) == d[10]
}

/// ISO 7064 MOD 11,10 check digit of digit values `d`.
fn de_tax_check_digit(d: &[u8]) -> u8 {
    let mut product = 10u8;
    for &x in d {
        let mut sum = (x + product) % 10;
        if sum == 0 {
            sum = 10;
        }
        product = (sum * 2) % 11;
    }
    let check = 11 - product;
    if check == 10 {
        0
    } else {
        check
    }
}

/// Whether `s` is a valid German tax ID (Steuerliche Identifikationsnummer): 11 digits (spaces
/// ignored), first digit not 0, exactly one digit value repeated (twice or three times) in the
/// first ten, and the ISO 7064 MOD 11,10 check digit last.
pub fn de_tax_id_valid(s: &str) -> bool {
    let mut d = [0u8; 11];
    let mut n = 0;
    for c in s.bytes() {
        match c {
            b'0'..=b'9' => {
                if n == d.len() {
                    return false;
                }
                d[n] = c - b'0';
                n += 1;
            }
            b' ' => {}
            _ => return false,
        }
    }
    n == 11 && de_tax_digits_valid(&d)
}

/// SSA rules over area, group and serial numbers.
fn ssn_parts_valid(area: u32, group: u32, serial: u32) -> bool {
    area != 0 && area != 666 && area < 900 && group != 0 && serial != 0
}

/// Reads `n` ASCII digits of `b` starting at `i` as a number.
fn digits_value(b: &[u8], i: usize, n: usize) -> Option<u32> {
    if n > 9 {
        return None;
    }
    let s = b.get(i..i + n)?;
    s.iter().try_fold(0u32, |acc, &c| {
        c.is_ascii_digit().then(|| acc * 10 + u32::from(c - b'0'))
    })
}

/// Whether `s` is a syntactically valid US Social Security number: `AAA-GG-SSSS`,
/// `AAA GG SSSS` or nine digits, with area not 000, 666 or 900–999, group not 00 and serial not
/// 0000. (Whether the SSA issued the number cannot be told from its digits: 078-05-1120, the
/// Woolworth wallet number, passes.)
pub fn us_ssn_valid(s: &str) -> bool {
    let b = s.as_bytes();
    let (a, g, r) = match b.len() {
        11 if b[3] == b[6] && matches!(b[3], b'-' | b' ') => (
            digits_value(b, 0, 3),
            digits_value(b, 4, 2),
            digits_value(b, 7, 4),
        ),
        9 => (
            digits_value(b, 0, 3),
            digits_value(b, 3, 2),
            digits_value(b, 5, 4),
        ),
        _ => return false,
    };
    match (a, g, r) {
        (Some(a), Some(g), Some(r)) => ssn_parts_valid(a, g, r),
        _ => false,
    }
}

// ---------------------------------------------------------------------------------------------
// Byte-level scanners: each takes the text and a start offset, returns the end of a match
// ---------------------------------------------------------------------------------------------

/// A byte that belongs to a word: ASCII letters and digits and every byte of a non-ASCII
/// character (so matches never start or end inside a UTF-8 sequence).
fn is_word_byte(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c >= 0x80
}

fn is_digit_at(b: &[u8], i: usize) -> bool {
    b.get(i).is_some_and(u8::is_ascii_digit)
}

/// Whether a token may start at `i`: the previous byte is not part of a word.
fn word_start(b: &[u8], i: usize) -> bool {
    i == 0 || !is_word_byte(b[i - 1])
}

/// Numbers may additionally not continue another number (`12.4111…`, `3-0151…`).
fn num_start(b: &[u8], i: usize) -> bool {
    word_start(b, i)
        && !(i >= 2
            && matches!(b[i - 1], b'.' | b'-' | b'/' | b',' | b':' | b'+')
            && b[i - 2].is_ascii_digit())
}

/// Whether a number may end at `e`: no word byte follows, nor a separator and another digit.
fn num_end(b: &[u8], e: usize) -> bool {
    match b.get(e) {
        None => true,
        Some(&c) => {
            !is_word_byte(c)
                && (!matches!(c, b'.' | b'-' | b'/' | b',' | b':') || !is_digit_at(b, e + 1))
        }
    }
}

/// End of the run of ASCII digits starting at `i`.
fn digits_end(b: &[u8], mut i: usize) -> usize {
    while is_digit_at(b, i) {
        i += 1;
    }
    i
}

/// A byte of an e-mail local part: ASCII letters, digits and `. _ % + -`, and any byte of a
/// non-ASCII character (internationalised addresses, RFC 6531: `ģirts@example.lv`).
fn is_local_byte(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_' | b'%' | b'+' | b'-') || c >= 0x80
}

/// An e-mail address starting at `i`.
fn email_at(b: &[u8], i: usize) -> Option<usize> {
    let mut j = i;
    while j < b.len() && is_local_byte(b[j]) {
        j += 1;
    }
    let local = &b[i..j];
    if local.is_empty() || local.len() > 64 || b.get(j) != Some(&b'@') {
        return None;
    }
    if local[0] == b'.' || local[local.len() - 1] == b'.' || local.windows(2).any(|w| w == b"..") {
        return None;
    }
    domain_end(b, j + 1)
}

/// End of a domain name of at least two labels starting at `start`.
fn domain_end(b: &[u8], start: usize) -> Option<usize> {
    let mut j = start;
    let mut labels = 0;
    let mut last = start..start;
    loop {
        let ls = j;
        while j < b.len() && (b[j].is_ascii_alphanumeric() || b[j] == b'-') {
            j += 1;
        }
        if j == ls || j - ls > 63 || b[ls] == b'-' || b[j - 1] == b'-' {
            return None;
        }
        labels += 1;
        last = ls..j;
        if b.get(j) == Some(&b'.') && b.get(j + 1).is_some_and(u8::is_ascii_alphanumeric) {
            j += 1;
        } else {
            break;
        }
    }
    let tld = &b[last];
    if labels < 2 || j - start > 253 || tld.len() < 2 || !tld.iter().all(u8::is_ascii_alphabetic) {
        return None;
    }
    if b.get(j)
        .is_some_and(|&c| is_word_byte(c) || c == b'@' || c == b'_')
    {
        return None;
    }
    Some(j)
}

/// An IBAN starting at `i`, electronic (`DE89370400440532013000`) or printed in groups
/// (`DE89 3704 0044 0532 0130 00`).
fn iban_at(b: &[u8], i: usize) -> Option<usize> {
    let head = b.get(i..i + 4)?;
    if !head[0].is_ascii_alphabetic()
        || !head[1].is_ascii_alphabetic()
        || !head[2].is_ascii_digit()
        || !head[3].is_ascii_digit()
    {
        return None;
    }
    let mut chars = [0u8; 34];
    let mut ends = [0usize; 34];
    let mut n = 0;
    let mut j = i;
    while n < chars.len() {
        match b.get(j) {
            Some(&c) if c.is_ascii_alphanumeric() => {
                chars[n] = c.to_ascii_uppercase();
                j += 1;
                ends[n] = j;
                n += 1;
            }
            Some(b' ') if b.get(j + 1).is_some_and(u8::is_ascii_alphanumeric) => j += 1,
            _ => break,
        }
    }
    let ok_end = |e: usize| b.get(e).is_none_or(|&c| !is_word_byte(c));
    match iban_country_len([chars[0], chars[1]]) {
        Some(len) => (n >= len && ok_end(ends[len - 1]) && iban_chars_valid(&chars[..len]))
            .then(|| ends[len - 1]),
        None => (15..=n)
            .rev()
            .find(|&m| ok_end(ends[m - 1]) && iban_chars_valid(&chars[..m]))
            .map(|m| ends[m - 1]),
    }
}

/// A payment card number starting at `i`: 13–19 digits in groups separated consistently by
/// single spaces or dashes, first digit 2–6, Luhn-valid; the longest valid prefix ending at a
/// group boundary.
fn card_at(b: &[u8], i: usize) -> Option<usize> {
    if !matches!(b.get(i), Some(b'2'..=b'6')) || !num_start(b, i) {
        return None;
    }
    let mut digits = [0u8; 19];
    let mut n = 0;
    let mut group_ends = [(0usize, 0usize); 19];
    let mut groups = 0;
    let mut sep = None;
    let mut j = i;
    loop {
        let ge = digits_end(b, j);
        if n + (ge - j) > digits.len() {
            break;
        }
        for &c in &b[j..ge] {
            digits[n] = c - b'0';
            n += 1;
        }
        group_ends[groups] = (ge, n);
        groups += 1;
        j = ge;
        match b.get(j) {
            Some(&c @ (b' ' | b'-')) if sep.is_none_or(|s| s == c) && is_digit_at(b, j + 1) => {
                sep = Some(c);
                j += 1;
            }
            _ => break,
        }
    }
    group_ends[..groups]
        .iter()
        .rev()
        .find(|&&(e, nd)| (13..=19).contains(&nd) && num_end(b, e) && luhn(&digits[..nd]))
        .map(|&(e, _)| e)
}

/// A German tax ID starting at `i`: 11 digits or `DD DDD DDD DDD`.
fn tax_id_at(b: &[u8], i: usize) -> Option<usize> {
    if !matches!(b.get(i), Some(b'1'..=b'9')) || !num_start(b, i) {
        return None;
    }
    let mut d = [0u8; 11];
    let plain_end = i + 11;
    if digits_end(b, i) == plain_end {
        for (k, &c) in b[i..plain_end].iter().enumerate() {
            d[k] = c - b'0';
        }
        return (num_end(b, plain_end) && de_tax_digits_valid(&d)).then_some(plain_end);
    }
    // 2-3-3-3 with single spaces, as printed on BZSt letters.
    let s = b.get(i..i + 14)?;
    let mut k = 0;
    for (p, &c) in s.iter().enumerate() {
        if matches!(p, 2 | 6 | 10) {
            if c != b' ' {
                return None;
            }
        } else if c.is_ascii_digit() {
            d[k] = c - b'0';
            k += 1;
        } else {
            return None;
        }
    }
    (num_end(b, i + 14) && de_tax_digits_valid(&d)).then_some(i + 14)
}

/// A US SSN `AAA-GG-SSSS` starting at `i`.
fn ssn_at(b: &[u8], i: usize) -> Option<usize> {
    let s = b.get(i..i + 11)?;
    if s[3] != b'-' || s[6] != b'-' || !num_start(b, i) || !num_end(b, i + 11) {
        return None;
    }
    let (a, g, r) = (
        digits_value(s, 0, 3)?,
        digits_value(s, 4, 2)?,
        digits_value(s, 7, 4)?,
    );
    ssn_parts_valid(a, g, r).then_some(i + 11)
}

fn is_leap(y: u32) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn valid_ymd(y: u32, m: u32, d: u32) -> bool {
    let days = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(y) => 29,
        2 => 28,
        _ => return false,
    };
    (1800..=2199).contains(&y) && (1..=days).contains(&d)
}

/// A date starting at `i`: `YYYY-MM-DD`, `D.M.YYYY` / `DD.MM.YYYY`, `M/D/YYYY` (or `D/M/YYYY`).
fn date_at(b: &[u8], i: usize) -> Option<usize> {
    if !is_digit_at(b, i) || !num_start(b, i) {
        return None;
    }
    let e1 = digits_end(b, i);
    let n1 = e1 - i;
    let sep = *b.get(e1)?;
    let e2 = digits_end(b, e1 + 1);
    let n2 = e2 - (e1 + 1);
    if b.get(e2) != Some(&sep) {
        return None;
    }
    let e3 = digits_end(b, e2 + 1);
    let n3 = e3 - (e2 + 1);
    let v1 = digits_value(b, i, n1)?;
    let v2 = digits_value(b, e1 + 1, n2)?;
    let v3 = digits_value(b, e2 + 1, n3)?;
    let ok = match sep {
        b'-' if n1 == 4 && n2 == 2 && n3 == 2 => valid_ymd(v1, v2, v3),
        b'.' if (1..=2).contains(&n1) && (1..=2).contains(&n2) && n3 == 4 => valid_ymd(v3, v2, v1),
        b'/' if (1..=2).contains(&n1) && (1..=2).contains(&n2) && n3 == 4 => {
            valid_ymd(v3, v1, v2) || valid_ymd(v3, v2, v1)
        }
        _ => false,
    };
    // An ISO date may run on into a time (`2024-01-05T10:00`).
    let iso_time = sep == b'-' && b.get(e3) == Some(&b'T') && is_digit_at(b, e3 + 1);
    (ok && (num_end(b, e3) || iso_time)).then_some(e3)
}

/// An IPv4 address starting at `i` (also before `:port`).
fn ipv4_at(b: &[u8], i: usize) -> Option<usize> {
    if !is_digit_at(b, i) || !num_start(b, i) {
        return None;
    }
    let mut j = i;
    while j < b.len() && (b[j].is_ascii_digit() || b[j] == b'.') {
        j += 1;
        if j - i > 16 {
            return None;
        }
    }
    let mut e = j;
    if b[e - 1] == b'.' {
        e -= 1;
    }
    let s = std::str::from_utf8(&b[i..e]).ok()?;
    // `host:port` ends the address at the colon.
    let port = b.get(e) == Some(&b':') && num_end(b, digits_end(b, e + 1));
    (s.parse::<Ipv4Addr>().is_ok() && (num_end(b, e) || port)).then_some(e)
}

/// An IPv6 address starting at `i` (see the module table for the plausibility rule).
fn ipv6_at(b: &[u8], i: usize) -> Option<usize> {
    if !word_start(b, i) || (i > 0 && b[i - 1] == b':') {
        return None;
    }
    let mut j = i;
    while j < b.len() && (b[j].is_ascii_hexdigit() || b[j] == b':' || b[j] == b'.') {
        j += 1;
        if j - i > 45 {
            return None;
        }
    }
    let mut e = j;
    if e > i && b[e - 1] == b'.' {
        e -= 1;
    }
    if b.get(e).is_some_and(|&c| is_word_byte(c)) {
        return None;
    }
    let span = &b[i..e];
    let colons = span.iter().filter(|&&c| c == b':').count();
    if colons < 2 {
        return None;
    }
    let groups = span.split(|&c| c == b':').filter(|g| !g.is_empty());
    let (n_groups, longest) = groups.fold((0, 0), |(n, l), g| (n + 1, l.max(g.len())));
    if n_groups < 2 || (longest < 3 && colons < 7) {
        return None;
    }
    let s = std::str::from_utf8(span).ok()?;
    s.parse::<Ipv6Addr>().is_ok().then_some(e)
}

/// International number from the country code at `j` (after `+` or `00`): single separators,
/// an optional `(0)` or `(area)`, 8–15 digits.
fn intl_phone_from(b: &[u8], mut j: usize) -> Option<usize> {
    if !matches!(b.get(j), Some(b'1'..=b'9')) {
        return None;
    }
    let mut total = 0;
    let mut best = None;
    loop {
        if b.get(j) == Some(&b'(') {
            let ge = digits_end(b, j + 1);
            let n = ge - (j + 1);
            if n == 0 || n > 4 || b.get(ge) != Some(&b')') {
                break;
            }
            if !(n == 1 && b[j + 1] == b'0') {
                total += n;
            }
            j = ge + 1;
            if matches!(b.get(j), Some(b' ' | b'-')) && is_digit_at(b, j + 1) {
                j += 1;
            } else if !is_digit_at(b, j) {
                break;
            }
            continue;
        }
        let ge = digits_end(b, j);
        if ge == j {
            break;
        }
        total += ge - j;
        if total > 15 {
            break;
        }
        j = ge;
        if total >= 8 {
            best = phone_end(b, j).or(best);
        }
        match b.get(j) {
            Some(b' ' | b'-' | b'.' | b'/')
                if b.get(j + 1)
                    .is_some_and(|&c| c.is_ascii_digit() || c == b'(') =>
            {
                j += 1
            }
            Some(b'(') => {}
            _ => break,
        }
    }
    best
}

/// National number with trunk prefix 0 starting at `i`: area code (3–6 digits, or in
/// parentheses), then separated groups, 9–13 digits in all.
fn national_phone_at(b: &[u8], i: usize) -> Option<usize> {
    let (mut total, mut j) = if b[i] == b'(' {
        let ge = digits_end(b, i + 1);
        let n = ge - (i + 1);
        if !(3..=6).contains(&n) || b.get(ge) != Some(&b')') {
            return None;
        }
        let mut j = ge + 1;
        if b.get(j) == Some(&b' ') {
            j += 1;
        }
        if !is_digit_at(b, j) {
            return None;
        }
        (n, j)
    } else {
        let ge = digits_end(b, i);
        let n = ge - i;
        if !(3..=6).contains(&n) {
            return None;
        }
        match b.get(ge) {
            Some(b' ' | b'-' | b'/') if is_digit_at(b, ge + 1) => (n, ge + 1),
            _ => return None,
        }
    };
    let area = if b[i] == b'(' { i + 1 } else { i };
    if b[area] != b'0' || b[area + 1] == b'0' {
        return None;
    }
    let mut best = None;
    loop {
        let ge = digits_end(b, j);
        total += ge - j;
        if total > 13 {
            break;
        }
        j = ge;
        if total >= 9 {
            best = phone_end(b, j).or(best);
        }
        match b.get(j) {
            Some(b' ' | b'-' | b'/') if is_digit_at(b, j + 1) => j += 1,
            _ => break,
        }
    }
    best
}

/// North American number starting at `i`: `[1 ]NXX NXX XXXX` or `[1 ](NXX) NXX-XXXX`.
fn nanp_phone_at(b: &[u8], i: usize) -> Option<usize> {
    let is_sep = |c: Option<&u8>| matches!(c, Some(b' ' | b'-' | b'.'));
    let mut j = i;
    if b[j] == b'1' && is_sep(b.get(j + 1)) {
        j += 2;
    }
    if b.get(j) == Some(&b'(') {
        if digits_end(b, j + 1) != j + 4 || b.get(j + 4) != Some(&b')') {
            return None;
        }
        j += 1;
    } else if digits_end(b, j) != j + 3 {
        return None;
    }
    if !matches!(b[j], b'2'..=b'9') {
        return None;
    }
    j += 3;
    if b.get(j) == Some(&b')') {
        j += 1;
        if matches!(b.get(j), Some(b' ' | b'-')) {
            j += 1;
        }
    } else if is_sep(b.get(j)) {
        j += 1;
    } else {
        return None;
    }
    if digits_end(b, j) != j + 3 || !matches!(b[j], b'2'..=b'9') || !is_sep(b.get(j + 3)) {
        return None;
    }
    j += 4;
    if digits_end(b, j) != j + 4 {
        return None;
    }
    phone_end(b, j + 4)
}

/// Where a phone number whose digits end at `j` ends: after an extension (`x37915`,
/// ` x 12`, ` ext. 12`, `, ext 204`, ` extension 5`, ` Durchwahl 12`, `-DW 12`) of 1–6
/// digits, or at `j` when no word or digit follows.
fn phone_end(b: &[u8], j: usize) -> Option<usize> {
    extension_end(b, j).or_else(|| num_end(b, j).then_some(j))
}

fn extension_end(b: &[u8], j: usize) -> Option<usize> {
    let mut k = j;
    if matches!(b.get(k), Some(b',' | b'-')) {
        k += 1;
    }
    if b.get(k) == Some(&b' ') {
        k += 1;
    }
    let rest = b.get(k..)?;
    const WORDS: [&[u8]; 6] = [b"extension", b"ext", b"durchwahl", b"dw", b"x", b"#"];
    let w = WORDS
        .iter()
        .find(|w| rest.len() >= w.len() && rest[..w.len()].eq_ignore_ascii_case(w))?;
    k += w.len();
    if b.get(k) == Some(&b'.') {
        k += 1;
    }
    if matches!(b.get(k), Some(b' ' | b':')) {
        k += 1;
        if b.get(k) == Some(&b' ') {
            k += 1;
        }
    }
    let e = digits_end(b, k);
    (e > k && e - k <= 6 && num_end(b, e)).then_some(e)
}

/// A bare run of digits that is a plausible phone number: 10 digits in the North American
/// plan (`NXXNXXXXXX`, N 2–9), 11 digits `1NXXNXXXXXX`, or 10–12 digits after a trunk `0`
/// (`01512345678`); an extension may follow.
fn bare_phone_at(b: &[u8], i: usize) -> Option<usize> {
    let e = digits_end(b, i);
    let d = |k: usize| b[i + k];
    let nanp = |o: usize| matches!(d(o), b'2'..=b'9') && matches!(d(o + 3), b'2'..=b'9');
    let ok = match (e - i, d(0)) {
        (10, b'2'..=b'9') => nanp(0),
        (11, b'1') => nanp(1),
        (10..=12, b'0') => d(1) != b'0',
        _ => false,
    };
    if ok {
        phone_end(b, e)
    } else {
        None
    }
}

/// A telephone number starting at `i`.
fn phone_at(b: &[u8], i: usize) -> Option<usize> {
    if !num_start(b, i) {
        return None;
    }
    let sep_or_bare = match (b[i], b.get(i + 1)) {
        (b'+', _) => intl_phone_from(b, i + 1),
        // `00 49 30 …`: the international prefix may stand apart.
        (b'0', Some(b'0')) if b.get(i + 2) == Some(&b' ') => intl_phone_from(b, i + 3),
        (b'0', Some(b'0')) => intl_phone_from(b, i + 2),
        (b'0', _) | (b'(', Some(b'0')) => national_phone_at(b, i),
        (b'1'..=b'9' | b'(', _) => nanp_phone_at(b, i),
        _ => None,
    };
    sep_or_bare.or_else(|| bare_phone_at(b, i))
}

/// Cues before a date in free text that make it a date of birth.
const DOB_CUES: [&[u8]; 7] = [
    b"born", b"birth", b"dob", b"d.o.b", b"geb.", b"geboren", b"geburt",
];

fn dob_cue_before(b: &[u8], i: usize) -> bool {
    let w = &b[i.saturating_sub(24)..i];
    DOB_CUES
        .iter()
        .any(|c| w.windows(c.len()).any(|x| x.eq_ignore_ascii_case(c)))
}

/// Keeps the longest match; on equal length the earlier (higher-priority) one.
fn keep_longest(best: &mut Option<(usize, Kind)>, m: Option<usize>, k: Kind) {
    if let Some(e) = m {
        if best.is_none_or(|(be, _)| e > be) {
            *best = Some((e, k));
        }
    }
}

/// The identifier starting at byte `i` (a word start), if any, and its end. `names`: also look
/// for person names (free text only; whole values use [`is_full_name`]).
fn match_at(text: &str, b: &[u8], i: usize, names: bool) -> Option<(usize, Kind)> {
    let c = b[i];
    let mut best = None;
    if c.is_ascii_alphanumeric() || c >= 0xC0 {
        keep_longest(&mut best, email_at(b, i), Kind::Email);
        if best.is_some() {
            return best;
        }
    }
    if c.is_ascii_alphabetic() {
        keep_longest(&mut best, iban_at(b, i), Kind::Iban);
    }
    if c.is_ascii_digit() {
        keep_longest(&mut best, date_at(b, i), Kind::Date);
        keep_longest(&mut best, ssn_at(b, i), Kind::UsSsn);
        keep_longest(&mut best, ipv4_at(b, i), Kind::IpAddress);
        keep_longest(&mut best, card_at(b, i), Kind::PaymentCard);
        keep_longest(&mut best, tax_id_at(b, i), Kind::DeTaxId);
    }
    if c.is_ascii_digit() || c == b'+' || c == b'(' {
        keep_longest(&mut best, phone_at(b, i), Kind::Phone);
    }
    if c.is_ascii_hexdigit() || c == b':' {
        keep_longest(&mut best, ipv6_at(b, i), Kind::IpAddress);
    }
    if names && best.is_none() && (c.is_ascii_uppercase() || c >= 0xC0) {
        keep_longest(&mut best, names::name_at(text, i), Kind::PersonName);
    }
    best
}

/// Calls `f` for each identifier embedded in `text`, left to right, non-overlapping.
///
/// Ranges start and end on character boundaries: a match starts only after a non-word ASCII
/// byte (or at 0), and ends after an ASCII byte or at the end of a character.
fn scan(text: &str, mut f: impl FnMut(Range<usize>, Kind)) {
    let b = text.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        let candidate = c.is_ascii_alphanumeric() || matches!(c, b'+' | b'(' | b':') || c >= 0xC0;
        if candidate && word_start(b, i) {
            if let Some((end, kind)) = match_at(text, b, i, true) {
                let kind = if kind == Kind::Date && dob_cue_before(b, i) {
                    Kind::DateOfBirth
                } else {
                    kind
                };
                f(i..end, kind);
                i = end;
                continue;
            }
        }
        i += 1;
    }
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

// ---------------------------------------------------------------------------------------------
// Column scans
// ---------------------------------------------------------------------------------------------

/// One detection result for a column.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Finding {
    /// What was found.
    pub kind: Kind,
    /// Share of the column's non-null values matching (0 for a name-only finding).
    pub share: f64,
    /// Number of non-null values matching.
    pub count: u64,
    /// Found inside free text rather than as whole values.
    pub embedded: bool,
    /// The column name suggests this kind.
    pub by_name: bool,
    /// How sure the finding is that the column holds this kind, 0..=1: grows with the share
    /// (see [`ColumnScan::findings`]).
    pub confidence: f64,
    /// How surely the matched values are of this kind, whatever their share, 0..=1: the
    /// content strength (times the check-digit validity) combined with the name hint. The
    /// safety net judges a share against the threshold only where this is 0.5 or more.
    pub evidence: f64,
}

/// Streaming detector for one column: feed every value (or a sample) to [`ColumnScan::add`],
/// then read [`ColumnScan::findings`]. Scans of parts of a column can be combined with
/// [`ColumnScan::merge`].
#[derive(Debug, Clone)]
pub struct ColumnScan {
    hint: Option<Kind>,
    non_null: u64,
    /// Values that are, as a whole, an identifier of the kind.
    whole: [u64; N_KINDS],
    /// Values that contain at least one identifier of the kind (and are not one as a whole).
    embedded: [u64; N_KINDS],
    /// Values with the shape of a check-digit kind, valid or not.
    shaped: [u64; N_KINDS],
    /// Values supporting the name hint (strict or loose form).
    hinted: u64,
    /// What the column name says about person names (see [`name_header`]).
    name_header: NameHeader,
    /// Hashes of the distinct non-empty values, up to [`DISTINCT_CAP`].
    distinct: FastSet<u64>,
    /// More distinct values than [`DISTINCT_CAP`] were seen.
    distinct_capped: bool,
    /// Non-empty values.
    non_empty: u64,
    /// Values that are one capitalised word (optionally after a particle).
    single_words: u64,
    /// ... of which a listed given name or surname.
    single_known: u64,
    /// ... of which a listed place.
    single_places: u64,
    /// Values with the shape of a record code (see [`code_shape`]).
    codes: u64,
    /// ... of which UUIDs or hex hashes (identifiers even when repeated).
    strong_codes: u64,
    /// Shortest and longest all-digit code seen (constant width marks a code).
    digit_widths: (usize, usize),
    /// All-digit codes.
    digit_codes: u64,
    /// Digit-only codes with a leading zero (`00123`): never a measurement.
    zero_led: u64,
    /// Hashes of distinct whole-value full names, up to [`NAMES_DIVERSE`].
    whole_names: FastSet<u64>,
    /// Hashes of distinct names found inside text, up to [`NAMES_DIVERSE`].
    embedded_names: FastSet<u64>,
}

/// Distinct names at which name evidence is at full strength (see [`name_diversity`]).
const NAMES_DIVERSE: usize = 20;

/// Records a matched name's hash, up to [`NAMES_DIVERSE`] of them.
fn note_name(set: &mut FastSet<u64>, name: &str) {
    if set.len() < NAMES_DIVERSE {
        let mut h = FastHasher::default();
        h.write(name.as_bytes());
        set.insert(h.finish());
    }
}

/// How much `count` name matches with `distinct` different names are worth, 0..=1: a few
/// names that recur in many rows are a fixed vocabulary (`Earl Grey Tea`, `Victoria Sponge`),
/// not people; `min(1, max(distinct / 20, distinct / count))`, so a small column of all
/// different names keeps full strength.
fn name_diversity(distinct: usize, count: u64) -> f64 {
    if count == 0 {
        return 1.0;
    }
    (distinct as f64 / NAMES_DIVERSE as f64)
        .max(distinct as f64 / count as f64)
        .min(1.0)
}

/// Distinct values a [`ColumnScan`] tracks; a column with more is of high cardinality.
const DISTINCT_CAP: usize = 65_536;

/// What a column name says about person names in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum NameHeader {
    /// A word such as `first`, `given`, `surname`, `vorname`, `contact`, `person`, `name`.
    Person,
    /// A word naming something else: `city`, `product`, `category`, `diagnosis`, `charge` ...
    Other,
    /// Neither.
    Neutral,
}

/// Words in a column name that point at person names (with [`kind_from_column_name`]'s
/// stronger forms such as `first_name`).
const PERSON_HEADER: [&str; 22] = [
    "first",
    "given",
    "last",
    "surname",
    "family",
    "vorname",
    "nachname",
    "familienname",
    "contact",
    "person",
    "name",
    "names",
    "customer",
    "client",
    "patient",
    "employee",
    "owner",
    "holder",
    "applicant",
    "defendant",
    "author",
    "kontakt",
];

/// Words in a column name that say its capitalised words are not person names.
const OTHER_HEADER: [&str; 52] = [
    "city",
    "town",
    "ort",
    "stadt",
    "place",
    "location",
    "country",
    "land",
    "state",
    "region",
    "county",
    "street",
    "strasse",
    "address",
    "product",
    "item",
    "article",
    "artikel",
    "sku",
    "brand",
    "model",
    "category",
    "kategorie",
    "type",
    "typ",
    "class",
    "status",
    "diagnosis",
    "diagnose",
    "icd",
    "condition",
    "charge",
    "offence",
    "offense",
    "delikt",
    "crime",
    "label",
    "tag",
    "department",
    "abteilung",
    "company",
    "firma",
    "employer",
    "organisation",
    "organization",
    "team",
    "colour",
    "color",
    "farbe",
    "species",
    "drug",
    "medication",
];

fn name_header(column_name: &str) -> NameHeader {
    let tokens = name_tokens(column_name);
    let has = |ws: &[&str]| tokens.iter().any(|t| ws.contains(&t.as_str()));
    // `product_name`, `city_name`: the other word wins.
    if has(&OTHER_HEADER) || tokens.iter().any(|t| t == "username" || t == "filename") {
        NameHeader::Other
    } else if has(&PERSON_HEADER) || kind_from_column_name(column_name) == Some(Kind::PersonName) {
        NameHeader::Person
    } else {
        NameHeader::Neutral
    }
}

/// What kind of code a whole value is: `Some(true)` for a UUID or a 32-, 40- or 64-digit hex
/// hash, `Some(false)` for another code (3–64 ASCII letters, digits and `- _ / . : #`, at least
/// one digit, no space, not a number with a fractional part), `None` otherwise.
fn code_shape(b: &[u8]) -> Option<bool> {
    if !(3..=64).contains(&b.len()) {
        return None;
    }
    let (mut digits, mut hex, mut letters, mut dashes) = (0, 0, 0, 0);
    for &c in b {
        match c {
            b'0'..=b'9' => digits += 1,
            b'a'..=b'f' | b'A'..=b'F' => {
                hex += 1;
                letters += 1
            }
            b'g'..=b'z' | b'G'..=b'Z' => letters += 1,
            b'-' => dashes += 1,
            b'_' | b'/' | b'.' | b':' | b'#' => {}
            _ => return None,
        }
    }
    if digits == 0 {
        return None;
    }
    let uuid = b.len() == 36
        && dashes == 4
        && [8, 13, 18, 23].iter().all(|&i| b[i] == b'-')
        && digits + hex == 32;
    let hash = dashes == 0 && digits + hex == b.len() && matches!(b.len(), 32 | 40 | 64);
    if uuid || hash {
        return Some(true);
    }
    // Numbers with a fraction or sign are measurements: `12.5`, `-3`, `1,234.56`.
    if letters == 0
        && b.iter()
            .all(|c| c.is_ascii_digit() || matches!(c, b'.' | b'-'))
    {
        let dot = b.iter().filter(|&&c| c == b'.').count();
        if dot > 0 || b[0] == b'-' {
            return None;
        }
    }
    Some(false)
}

/// Content strength per kind: how surely a match is a real identifier of that kind.
fn strength(k: Kind) -> f64 {
    match k {
        Kind::Iban => 0.99,
        Kind::Email => 0.97,
        Kind::PaymentCard | Kind::DeTaxId => 0.95,
        Kind::IpAddress => 0.9,
        Kind::UsSsn => 0.85,
        Kind::Phone | Kind::DateOfBirth => 0.8,
        Kind::PersonName => 0.7,
        Kind::Postcode => 0.6,
        Kind::RecordId => 0.9,
        Kind::Date => 0.2,
    }
}

/// Share of values at which a kind's content evidence reaches full strength.
fn full_share(k: Kind) -> f64 {
    match k {
        Kind::Email
        | Kind::Iban
        | Kind::PaymentCard
        | Kind::DeTaxId
        | Kind::IpAddress
        | Kind::UsSsn => 0.05,
        _ => 0.5,
    }
}

/// Share of same-shaped random numbers that pass a check digit by chance (Luhn: 1 in 10; the
/// tax ID and IBAN checks are stricter, so this is conservative for them).
const CHANCE_PASS: f64 = 0.1;

/// Confidence from a column name alone.
const NAME_ONLY: f64 = 0.5;
/// Confidence from a column name whose values (20 or more) never support it.
const NAME_CONTRADICTED: f64 = 0.35;

impl ColumnScan {
    /// A scan for the column called `column_name` (the name gives the hint, see
    /// [`kind_from_column_name`]).
    pub fn new(column_name: &str) -> Self {
        ColumnScan {
            hint: kind_from_column_name(column_name),
            non_null: 0,
            whole: [0; N_KINDS],
            embedded: [0; N_KINDS],
            shaped: [0; N_KINDS],
            hinted: 0,
            name_header: name_header(column_name),
            distinct: FastSet::default(),
            distinct_capped: false,
            non_empty: 0,
            single_words: 0,
            single_known: 0,
            single_places: 0,
            codes: 0,
            strong_codes: 0,
            digit_widths: (usize::MAX, 0),
            digit_codes: 0,
            zero_led: 0,
            whole_names: FastSet::default(),
            embedded_names: FastSet::default(),
        }
    }

    /// The kind the column name suggests.
    pub fn hint(&self) -> Option<Kind> {
        self.hint
    }

    /// Number of non-null values added.
    pub fn non_null(&self) -> u64 {
        self.non_null
    }

    /// Adds one value (`None` for null). Whole values are classified first; a value that is not
    /// an identifier as a whole is scanned as free text. Allocates nothing, except to
    /// lower-case non-ASCII words for the name look-ups.
    pub fn add(&mut self, value: Option<&str>) {
        self.add_repeated(value, 1);
    }

    /// Adds `n` copies of one value: one classification for a value that repeats (a level of
    /// a categorical column and its count).
    pub fn add_repeated(&mut self, value: Option<&str>, n: u64) {
        let Some(v) = value else {
            return;
        };
        self.non_null += n;
        let v = v.trim();
        if v.is_empty() {
            return;
        }
        self.non_empty += n;
        if !self.distinct_capped {
            let mut h = FastHasher::default();
            h.write(v.as_bytes());
            self.distinct.insert(h.finish());
            if self.distinct.len() > DISTINCT_CAP {
                self.distinct_capped = true;
                self.distinct = FastSet::default();
            }
        }
        let dob_hint = self.hint == Some(Kind::DateOfBirth);
        let kind = match whole_kind(v) {
            Some(Kind::Date) if dob_hint => Some(Kind::DateOfBirth),
            k => k,
        };
        if kind.is_none() {
            self.add_shapes(v, n);
        }
        if let Some(k) = kind {
            self.whole[k.index()] += n;
            if k == Kind::PersonName {
                note_name(&mut self.whole_names, v);
            }
        }
        if kind.is_none_or(has_check_digit) {
            if let Some(s) = shape_kind(v.as_bytes()) {
                self.shaped[s.index()] += n;
            }
        }
        let mut supports_hint = false;
        if let Some(h) = self.hint {
            supports_hint = kind == Some(h) || (kind.is_none() && loose_match(h, v));
            if supports_hint {
                self.hinted += n;
            }
        }
        if kind.is_none() && !supports_hint {
            let mut seen = 0u32;
            let names = &mut self.embedded_names;
            scan(v, |r, k| {
                let k = if k == Kind::Date && dob_hint {
                    Kind::DateOfBirth
                } else {
                    k
                };
                if k == Kind::PersonName {
                    note_name(names, &v[r]);
                }
                seen |= 1 << k.index();
            });
            for k in Kind::ALL {
                if seen & (1 << k.index()) != 0 {
                    self.embedded[k.index()] += n;
                }
            }
        }
    }

    /// Counts the name and code shapes of a value that is no identifier as a whole.
    fn add_shapes(&mut self, v: &str, n: u64) {
        let b = v.as_bytes();
        if let Some(Shape::Single { given, surname }) = names::shape(v) {
            self.single_words += n;
            if given || surname {
                self.single_known += n;
            }
            if names::is_place(v) {
                self.single_places += n;
            }
            return;
        }
        if date_at(b, 0).is_some() {
            return;
        }
        if let Some(strong) = code_shape(b) {
            self.codes += n;
            if strong {
                self.strong_codes += n;
            }
            if b.iter().all(u8::is_ascii_digit) {
                self.digit_codes += n;
                self.digit_widths.0 = self.digit_widths.0.min(b.len());
                self.digit_widths.1 = self.digit_widths.1.max(b.len());
                if b[0] == b'0' && b.len() > 1 {
                    self.zero_led += n;
                }
            }
        }
    }

    /// Distinct non-empty values seen (a lower bound once past 65,536).
    pub fn distinct(&self) -> u64 {
        if self.distinct_capped {
            DISTINCT_CAP as u64 + 1
        } else {
            self.distinct.len() as u64
        }
    }

    /// Share of the non-empty values that are distinct (1 for a column past the cap).
    fn uniqueness(&self) -> f64 {
        if self.distinct_capped {
            1.0
        } else if self.non_empty == 0 {
            0.0
        } else {
            self.distinct.len() as f64 / self.non_empty as f64
        }
    }

    /// Values counted as record identifiers: UUIDs and hashes always; other codes when at
    /// least 90% of the values are codes, at least 90% of them distinct, at least 20 values,
    /// all-digit codes zero-led or of one width of 6 or more digits (so amounts, counts and
    /// five-digit postcodes are not codes), and no column-name hint of another kind that the
    /// values support (a `zip` column of ZIP codes holds postcodes, an `email` column of hex
    /// strings record identifiers).
    fn record_ids(&self) -> u64 {
        let digits_ok = self.digit_codes == 0
            || self.zero_led > 0
            || (self.digit_widths.0 == self.digit_widths.1 && self.digit_widths.0 >= 6);
        if self.hinted == 0
            && self.non_empty >= 20
            && self.codes as f64 >= 0.9 * self.non_empty as f64
            && self.uniqueness() >= 0.9
            && digits_ok
        {
            self.codes
        } else {
            self.strong_codes
        }
    }

    /// Values counted as single-word person names: every one-word value when the column as a
    /// whole reads as a given-name or surname column: at least 80% of its values are one
    /// capitalised word, at least 60% of those listed names (30% under a person-name header),
    /// at least 50 distinct values (5 under a person-name header), fewer than 40% listed places
    /// (towns are often surnames too: `Jackson`, `Berlin`), and no header word naming something
    /// else (`city`, `product`, `diagnosis` ...). Unlisted words then count too: a surname
    /// column keeps its rare names.
    fn single_names(&self) -> u64 {
        let person = self.name_header == NameHeader::Person;
        if self.name_header == NameHeader::Other
            || self.non_empty == 0
            || (self.single_words as f64) < 0.8 * self.non_empty as f64
        {
            return 0;
        }
        let known = self.single_known as f64 / self.single_words as f64;
        if self.single_places as f64 >= 0.4 * self.single_words as f64 {
            return 0;
        }
        let (min_known, min_distinct) = if person { (0.3, 5) } else { (0.6, 50) };
        if known >= min_known && self.distinct() >= min_distinct {
            self.single_words
        } else {
            0
        }
    }

    /// Adds the counts of another scan of the same column (e.g. from another thread).
    pub fn merge(&mut self, other: &ColumnScan) {
        self.non_null += other.non_null;
        self.hinted += other.hinted;
        self.non_empty += other.non_empty;
        self.single_words += other.single_words;
        self.single_known += other.single_known;
        self.single_places += other.single_places;
        self.codes += other.codes;
        self.strong_codes += other.strong_codes;
        self.digit_codes += other.digit_codes;
        self.zero_led += other.zero_led;
        for (mine, theirs) in [
            (&mut self.whole_names, &other.whole_names),
            (&mut self.embedded_names, &other.embedded_names),
        ] {
            for &h in theirs {
                if mine.len() < NAMES_DIVERSE {
                    mine.insert(h);
                }
            }
        }
        self.digit_widths.0 = self.digit_widths.0.min(other.digit_widths.0);
        self.digit_widths.1 = self.digit_widths.1.max(other.digit_widths.1);
        if !self.distinct_capped {
            if other.distinct_capped {
                self.distinct_capped = true;
                self.distinct = FastSet::default();
            } else {
                self.distinct.extend(other.distinct.iter().copied());
                if self.distinct.len() > DISTINCT_CAP {
                    self.distinct_capped = true;
                    self.distinct = FastSet::default();
                }
            }
        }
        for k in 0..N_KINDS {
            self.whole[k] += other.whole[k];
            self.embedded[k] += other.embedded[k];
            self.shaped[k] += other.shaped[k];
        }
    }

    /// The findings so far, most confident first: for each kind, one for whole-value matches
    /// and one for embedded matches where there are any, and one for the name hint even without
    /// content support.
    ///
    /// Confidence rule, with `share` the finding's share of non-null values:
    /// - content: `strength(kind) × min(1, share / full_share(kind)) × validity × diversity`.
    ///   Strength is 0.99 IBAN, 0.97 e-mail, 0.95 card and tax ID, 0.9 IP and record id, 0.85
    ///   SSN, 0.8 phone and date of birth, 0.7 person name, 0.6 postcode, 0.2 plain date. `full_share` is 5% for kinds
    ///   whose matches are unambiguous (e-mail, IBAN, card, tax ID, IP, SSN: a few of them
    ///   already prove the column holds them) and 50% for the others (phone, names, dates,
    ///   postcodes, where stray coincidences happen). `validity` (whole values of check-digit
    ///   kinds only) discounts chance passes: with `r` the share of same-shaped values that pass
    ///   the check, `validity = clamp((r − 0.1) / 0.9, 0, 1)`, so a column of random 16-digit
    ///   numbers (one in ten Luhn-valid) scores 0. `diversity` (person names only, 1 for the
    ///   others and for single-word name columns) is `min(1, max(d / 20, d / count))` with `d`
    ///   the distinct matched names;
    /// - name: 0.5 when the column name suggests the kind, lowered to 0.35 when 20 or more
    ///   values were seen and none supports it;
    /// - both combine as independent evidence: `1 − (1 − content) × (1 − name)`;
    /// - [`Finding::evidence`] is the same without the share factor.
    ///
    /// Person names also count, as whole values, the one-word values of a column that reads as
    /// a given-name or surname column, and record identifiers the codes of a column of
    /// near-unique codes (see the module table).
    ///
    /// Under a name hint, the hinted kind's share also counts looser forms: phone digits with
    /// no `+` or separators, nine-digit SSNs, Luhn-valid numbers of any leading digit, 5-digit
    /// or ZIP+4 postcodes, dates with a time part, a single capitalised word.
    ///
    /// So a name hint alone gives 0.5, an `email` column of e-mails about 0.98, a plain date
    /// column at most 0.2, a birth-date column of dates 0.9, and full names found by content
    /// alone reach 0.5 only when at least 36% of the values are full names.
    pub fn findings(&self) -> Vec<Finding> {
        let mut out = Vec::new();
        for k in Kind::ALL {
            let by_name = self.hint == Some(k);
            let whole = match k {
                _ if by_name => self.hinted,
                // A header naming something else vetoes whole-value names by content.
                Kind::PersonName if self.name_header == NameHeader::Other => 0,
                Kind::PersonName => self.whole[k.index()] + self.single_names(),
                Kind::RecordId => self.record_ids(),
                _ => self.whole[k.index()],
            };
            let embedded = self.embedded[k.index()];
            let name_conf = if !by_name {
                0.0
            } else if self.non_null >= 20 && whole == 0 && embedded == 0 {
                NAME_CONTRADICTED
            } else {
                NAME_ONLY
            };
            if whole > 0 || (by_name && embedded == 0) {
                out.push(self.finding(k, whole, false, by_name, name_conf));
            }
            if embedded > 0 {
                out.push(self.finding(k, embedded, true, by_name, name_conf));
            }
        }
        out.sort_by(|a, b| {
            b.confidence
                .total_cmp(&a.confidence)
                .then(a.kind.cmp(&b.kind))
        });
        out
    }

    fn finding(
        &self,
        k: Kind,
        count: u64,
        embedded: bool,
        by_name: bool,
        name_conf: f64,
    ) -> Finding {
        let share = if self.non_null == 0 {
            0.0
        } else {
            count as f64 / self.non_null as f64
        };
        let validity = if !embedded && has_check_digit(k) && self.shaped[k.index()] > 0 {
            let r = self.whole[k.index()] as f64 / self.shaped[k.index()] as f64;
            ((r - CHANCE_PASS) / (1.0 - CHANCE_PASS)).clamp(0.0, 1.0)
        } else {
            1.0
        };
        let diversity = match (k, embedded) {
            (Kind::PersonName, true) => name_diversity(self.embedded_names.len(), count),
            (Kind::PersonName, false) if by_name || self.single_names() > 0 => 1.0,
            (Kind::PersonName, false) => name_diversity(self.whole_names.len(), count),
            _ => 1.0,
        };
        let per_value = if count > 0 {
            strength(k) * validity * diversity
        } else {
            0.0
        };
        let content = per_value * (share / full_share(k)).min(1.0);
        Finding {
            kind: k,
            share,
            count,
            embedded,
            by_name,
            confidence: 1.0 - (1.0 - content) * (1.0 - name_conf),
            evidence: 1.0 - (1.0 - per_value) * (1.0 - name_conf),
        }
    }
}

#[cfg(test)]
mod tests {
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
