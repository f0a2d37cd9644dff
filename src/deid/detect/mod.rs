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
use crate::hash::{FastHasher, FastMap, FastSet};

mod address;
mod checks;
mod column;
mod scanners;

use checks::*;
pub use checks::{de_tax_id_valid, iban_valid, luhn_valid, us_ssn_valid};
pub use column::{ColumnScan, Finding};
use scanners::*;

/// The kinds of direct identifiers (and plain dates) the detectors recognise.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
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
    /// A street address: a house number beside a street word or street-name ending
    /// (`12 rue de la Paix`, `Luisa-Löchel-Straße 3/4`, `Via Roma 10`, `221B Baker Street`).
    StreetAddress,
    /// Unclassified high-cardinality text: a column-level finding for short structured
    /// strings that are neither a category (values shared by several rows) nor prose, nor any
    /// kind above (see [`ColumnScan::findings`]). What cannot be classified is treated as
    /// identifying.
    UnclassifiedText,
}

/// Number of [`Kind`] variants.
const N_KINDS: usize = 14;

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
        Kind::StreetAddress,
        Kind::UnclassifiedText,
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
            Kind::StreetAddress => "street_address",
            Kind::UnclassifiedText => "unclassified_text",
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
            Kind::StreetAddress => "[ADDRESS]",
            Kind::UnclassifiedText => "[TEXT]",
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
/// boundaries (`EmailAddress` → `email`, `address`; `IPAddress` → `ip`, `address`). Letters
/// with diacritics are folded to their base letter (`âge` → `age`, `Staatsangehörigkeit` →
/// `staatsangehorigkeit`, `Straße` → `strasse`), so the word lists below are written in ASCII.
fn name_tokens(name: &str) -> Vec<String> {
    let chars: Vec<char> = name.chars().collect();
    let mut tokens = Vec::new();
    let mut cur = String::new();
    for (i, &c) in chars.iter().enumerate() {
        if matches!(
            c,
            '_' | '-' | '.' | '/' | ':' | '(' | ')' | '#' | '\'' | '°'
        ) || c.is_whitespace()
        {
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
        for l in c.to_lowercase() {
            fold_letter(l, &mut cur);
        }
    }
    if !cur.is_empty() {
        tokens.push(cur);
    }
    tokens
}

/// Appends the lower-case letter `c` without its diacritics (`é` → `e`, `ß` → `ss`).
fn fold_letter(c: char, out: &mut String) {
    let base = match c {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ā' => 'a',
        'ç' | 'ć' | 'č' => 'c',
        'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ě' => 'e',
        'ì' | 'í' | 'î' | 'ï' => 'i',
        'ñ' | 'ń' | 'ň' => 'n',
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' => 'o',
        'ù' | 'ú' | 'û' | 'ü' | 'ů' => 'u',
        'ý' | 'ÿ' => 'y',
        'š' | 'ś' => 's',
        'ž' | 'ź' | 'ż' => 'z',
        'ř' => 'r',
        'ß' => {
            out.push_str("ss");
            return;
        }
        'æ' => {
            out.push_str("ae");
            return;
        }
        'œ' => {
            out.push_str("oe");
            return;
        }
        c => c,
    };
    out.push(base);
}

/// The words of a column name as the detectors and `inspect` read it: lower case, diacritics
/// folded, split on separators and camelCase (see [`kind_from_column_name`]).
pub fn column_words(name: &str) -> Vec<String> {
    name_tokens(name)
}

/// Words that make a column *about* an identifier rather than holding one
/// (`email_consent`, `phone_verified`, `ip_country`, `email_hash`).
const NAME_NEGATIVE: [&str; 20] = [
    "is", "has", "consent", "opt", "optin", "optout", "flag", "verified", "valid", "count", "cnt",
    "type", "status", "domain", "hash", "hashed", "country", "length", "len", "format",
];

/// Words next to `name` that make it a person's name (`customer_name`, `name_first`).
const PERSON_QUALIFIERS: [&str; 52] = [
    "kunde",
    "kunden",
    "klant",
    "cliente",
    "paciente",
    "paziente",
    "mitarbeiter",
    "employe",
    "empleado",
    "dipendente",
    "medewerker",
    "werknemer",
    "contacto",
    "contatto",
    "contactpersoon",
    "angeklagter",
    "beschuldigter",
    "prevenu",
    "acusado",
    "imputato",
    "verdachte",
    "defendant",
    "titular",
    "inhaber",
    "houder",
    "user",
    "student",
    "guest",
    "passenger",
    "beneficiary",
    "spouse",
    "partner",
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

/// Words for the people who handle a case (agents, judges, lawyers, physicians) in the six
/// languages: a column named so holds their names.
const PERSON_ROLES: [&str; 40] = [
    "agent",
    "judge",
    "richter",
    "richterin",
    "juge",
    "juez",
    "giudice",
    "rechter",
    "lawyer",
    "attorney",
    "counsel",
    "anwalt",
    "verteidiger",
    "avocat",
    "abogado",
    "avvocato",
    "difensore",
    "advocaat",
    "physician",
    "doctor",
    "attending",
    "arzt",
    "arztin",
    "medecin",
    "medico",
    "huisarts",
    "nurse",
    "sachbearbeiter",
    "bearbeiter",
    "berater",
    "conseiller",
    "asesor",
    "consulente",
    "adviseur",
    "advisor",
    "caseworker",
    "recruiter",
    "manager",
    "supervisor",
    "vorgesetzter",
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

    // Places and years of birth are not dates of birth: a word of the name, or the end of a
    // compound (`geburtsort`, `geburtsjahr`), but not inside a word (`geboortedatum`).
    let not_birth_date = [
        "place", "city", "country", "ort", "land", "name", "jahr", "year", "stadt", "lieu",
        "luogo", "lugar", "plaats", "pays", "paese", "pais", "anno", "ano", "annee", "jaar",
    ]
    .iter()
    .any(|w| has(w) || joined.ends_with(w));
    if has("dob")
        || contains_any(&[
            "dateofbirth",
            "birthdate",
            "birthday",
            "birthdt",
            "dtofbirth",
        ])
        || ((joined.contains("geburt")
            || joined.contains("naissance")
            || joined.contains("nacimiento")
            || joined.contains("nascita")
            || joined.contains("geboorte"))
            && !not_birth_date)
        || (has("gebdat") || has("gebdatum") || has("gebtag"))
        || (has("geb") && (has("datum") || has("dat") || has("tag")))
        || has("ddn")
        || ((has("birth") || has("born")) && !not_birth_date)
    {
        return Some(Kind::DateOfBirth);
    }
    if joined.contains("email")
        || has("mail")
        || has("courriel")
        || joined.contains("correo")
        || joined.contains("postaelettronica")
    {
        return Some(Kind::Email);
    }
    if contains_any(&[
        "phone",
        "telefon",
        "telefoon",
        "mobilnummer",
        "handynummer",
        "faxnummer",
        "rufnummer",
        "cellulare",
    ]) || [
        "tel", "mobile", "mobil", "handy", "fax", "msisdn", "portable", "movil", "mobiel", "gsm",
        "natel", "celular", "cel", "tlf", "telf",
    ]
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
        || has("cp")
        || has("npa")
        || (has("cap") && tokens.len() == 1)
        || (has("postal") && !has("address"))
        || contains_any(&[
            "zipcode",
            "postcode",
            "postalcode",
            "postleitzahl",
            "codepostal",
            "codigopostal",
            "codicepostale",
        ])
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
        "geburtsname",
        "prenom",
        "nomdefamille",
        "nomcomplet",
        "apellido",
        "nombrecompleto",
        "cognome",
        "nomecompleto",
        "voornaam",
        "achternaam",
        "roepnaam",
        "volledigenaam",
        "tussenvoegsel",
    ]) {
        return Some(Kind::PersonName);
    }
    if (has("name") || has("names") || has("nom") || has("nome") || has("naam") || has("nombre"))
        && (tokens.len() == 1
            || tokens
                .iter()
                .any(|t| PERSON_QUALIFIERS.contains(&t.as_str())))
    {
        return Some(Kind::PersonName);
    }
    if tokens.iter().any(|t| PERSON_ROLES.contains(&t.as_str())) {
        return Some(Kind::PersonName);
    }
    if contains_any(&[
        "address",
        "adresse",
        "anschrift",
        "strasse",
        "street",
        "hausnummer",
        "direccion",
        "domicilio",
        "indirizzo",
        "straat",
        "huisnummer",
        "wohnsitz",
    ]) || has("adres")
        || has("addr")
        || has("str")
        || has("rue")
        || has("calle")
    {
        return Some(Kind::StreetAddress);
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
    if names::shape(v) == Some(Shape::Full) {
        return Some(Kind::PersonName);
    }
    address::is_street_address(v).then_some(Kind::StreetAddress)
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
                || postal_code_form(b)
        }
        Kind::DateOfBirth => date_at(b, 0).is_some_and(|e| {
            e == b.len()
                || (matches!(b[e], b'T' | b' ')
                    && b[e + 1..].iter().all(|c| {
                        c.is_ascii_digit() || matches!(c, b':' | b'.' | b'+' | b'-' | b'Z')
                    }))
        }),
        Kind::PersonName => matches!(names::shape(v), Some(Shape::Full | Shape::Single { .. })),
        Kind::StreetAddress => address::loose_address(v),
        Kind::Email | Kind::IpAddress | Kind::Date | Kind::RecordId | Kind::UnclassifiedText => {
            false
        }
    }
}

/// A postal code of another country's form under a postcode column name: 3–10 letters and
/// digits with at most one space or dash, at least two digits (`1234 AB`, `SW1A 1AA`,
/// `K1A 0B1`, `1000-001`, `00-950`, `8001`).
fn postal_code_form(b: &[u8]) -> bool {
    let seps = b.iter().filter(|c| matches!(c, b' ' | b'-')).count();
    (3..=10).contains(&b.len())
        && seps <= 1
        && b.iter().filter(|c| c.is_ascii_digit()).count() >= 2
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b' ' | b'-'))
        && b[0].is_ascii_alphanumeric()
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
mod tests;
