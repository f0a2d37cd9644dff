//! Judging a whole column: [`ColumnScan`] streams its values and turns the counts, the value
//! shapes and the column name into [`Finding`]s with a confidence.

use super::*;

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
/// [`ColumnScan::merge`], and serialised (serde) to move between processes.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
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
    /// Hashes of the distinct non-empty values with their counts, up to [`DISTINCT_CAP`].
    distinct: FastMap<u64, u64>,
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
    /// Values of five or more words, three of them words of letters: prose.
    #[serde(default)]
    prose: u64,
    /// Values that are numbers (`213,71`, `1.234`, `-5 %`) or dates.
    #[serde(default)]
    numeric: u64,
}

/// Distinct names at which name evidence is at full strength (see [`name_diversity`]).
pub(super) const NAMES_DIVERSE: usize = 20;

/// Records a matched name's hash, up to [`NAMES_DIVERSE`] of them.
pub(super) fn note_name(set: &mut FastSet<u64>, name: &str) {
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
pub(super) fn name_diversity(distinct: usize, count: u64) -> f64 {
    if count == 0 {
        return 1.0;
    }
    (distinct as f64 / NAMES_DIVERSE as f64)
        .max(distinct as f64 / count as f64)
        .min(1.0)
}

/// Distinct values a [`ColumnScan`] tracks; a column with more is of high cardinality.
pub(super) const DISTINCT_CAP: usize = 65_536;

/// What a column name says about person names in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(super) enum NameHeader {
    /// A word such as `first`, `given`, `surname`, `vorname`, `contact`, `person`, `name`.
    Person,
    /// A word naming something else: `city`, `product`, `category`, `diagnosis`, `charge` ...
    Other,
    /// Neither.
    Neutral,
}

/// Words in a column name that point at person names (with [`kind_from_column_name`]'s
/// stronger forms such as `first_name`).
pub(super) const PERSON_HEADER: [&str; 22] = [
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
pub(super) const OTHER_HEADER: &[&str] = &[
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
    // the same in German, French, Spanish, Italian and Dutch (diacritics folded)
    "wohnort",
    "ville",
    "commune",
    "ciudad",
    "localidad",
    "municipio",
    "poblacion",
    "citta",
    "comune",
    "localita",
    "stad",
    "plaats",
    "woonplaats",
    "gemeente",
    "pays",
    "pais",
    "paese",
    "provinz",
    "bundesland",
    "provincia",
    "provincie",
    "produkt",
    "produit",
    "producto",
    "prodotto",
    "articolo",
    "articulo",
    "bezeichnung",
    "marke",
    "marque",
    "marca",
    "merk",
    "categorie",
    "categoria",
    "diagnostic",
    "diagnostico",
    "diagnosi",
    "befund",
    "krankheit",
    "maladie",
    "enfermedad",
    "malattia",
    "ziekte",
    "straftat",
    "tatbestand",
    "vorwurf",
    "infraction",
    "delit",
    "delito",
    "reato",
    "misdrijf",
    "delict",
    "job",
    "occupation",
    "profession",
    "position",
    "beruf",
    "metier",
    "poste",
    "puesto",
    "ocupacion",
    "professione",
    "mansione",
    "functie",
    "beroep",
    "service",
    "departement",
    "departamento",
    "reparto",
    "afdeling",
    "unternehmen",
    "entreprise",
    "societe",
    "empresa",
    "azienda",
    "societa",
    "bedrijf",
    "medikament",
    "medicament",
    "medicamento",
    "farmaco",
    "geneesmiddel",
    "kanal",
    "channel",
    "canal",
    "canale",
    "kanaal",
];

pub(super) fn name_header(column_name: &str) -> NameHeader {
    let tokens = name_tokens(column_name);
    let has = |ws: &[&str]| tokens.iter().any(|t| ws.contains(&t.as_str()));
    // `product_name`, `city_name`: the other word wins.
    if has(OTHER_HEADER) || tokens.iter().any(|t| t == "username" || t == "filename") {
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
pub(super) fn code_shape(b: &[u8]) -> Option<bool> {
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

/// `v` with every word capitalised, when it has no capital letter and reads as up to five
/// words of letters (with inner `-`, `'` or `.`): lower-case names (`miguel hernandez`, as
/// court and CRM exports store them) are judged as names. `None` otherwise (nothing to do).
pub(super) fn title_case(v: &str) -> Option<String> {
    if v.len() > 100
        || v.chars().any(char::is_uppercase)
        || !v.chars().any(char::is_alphabetic)
        || !v
            .chars()
            .all(|c| c.is_alphabetic() || matches!(c, ' ' | '-' | '\'' | '.' | ','))
        || v.split_whitespace().nth(5).is_some()
    {
        return None;
    }
    let mut out = String::with_capacity(v.len() + 2);
    let mut start = true;
    for c in v.chars() {
        if start && c.is_alphabetic() {
            out.extend(c.to_uppercase());
        } else {
            out.push(c);
        }
        start = matches!(c, ' ' | '-' | '\'' | ',');
    }
    Some(out)
}

/// Whether `v` is a number as people write them: digits with `.`, `,`, `'` or single spaces
/// between, an optional sign, currency or percent sign (`213,71`, `1.234,56 €`, `-5 %`).
pub(super) fn number_like(v: &str) -> bool {
    let v = v
        .trim_start_matches(['+', '-', '€', '$', '£'])
        .trim_end_matches(['%', '€', '$', '£'])
        .trim();
    let v = v
        .strip_suffix("EUR")
        .or_else(|| v.strip_suffix("USD"))
        .unwrap_or(v)
        .trim();
    let b = v.as_bytes();
    !b.is_empty()
        && b[0].is_ascii_digit()
        && b[b.len() - 1].is_ascii_digit()
        && b.iter()
            .all(|c| c.is_ascii_digit() || matches!(c, b'.' | b',' | b'\'' | b' '))
}

/// Content strength per kind: how surely a match is a real identifier of that kind.
pub(super) fn strength(k: Kind) -> f64 {
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
        Kind::StreetAddress => 0.8,
        Kind::UnclassifiedText => UNCLASSIFIED_EVIDENCE,
        Kind::Date => 0.2,
    }
}

/// Share of values at which a kind's content evidence reaches full strength.
pub(super) fn full_share(k: Kind) -> f64 {
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
pub(super) const CHANCE_PASS: f64 = 0.1;

/// Per-value evidence of [`Kind::UnclassifiedText`]: above the 0.5 at which the safety net
/// judges a share, so text that cannot be classified stops a run as identifiers do.
pub const UNCLASSIFIED_EVIDENCE: f64 = 0.6;

/// Share of a text column's values held by one row each from which text that is no category,
/// no prose and no known kind counts as [`Kind::UnclassifiedText`] (the share at which
/// `inspect` calls a column's values singling out).
pub const UNCLASSIFIED_SINGLETONS: f64 = 0.2;

/// Confidence from a column name alone.
pub(super) const NAME_ONLY: f64 = 0.5;
/// Confidence from a column name whose values (20 or more) never support it.
pub(super) const NAME_CONTRADICTED: f64 = 0.35;

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
            distinct: FastMap::default(),
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
            prose: 0,
            numeric: 0,
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
            *self.distinct.entry(h.finish()).or_insert(0) += n;
            if self.distinct.len() > DISTINCT_CAP {
                self.distinct_capped = true;
                self.distinct = FastMap::default();
            }
        }
        if v.split_whitespace().nth(4).is_some()
            && v.split_whitespace()
                .filter(|w| w.chars().filter(|c| c.is_alphabetic()).count() >= 2)
                .nth(2)
                .is_some()
        {
            self.prose += n;
        } else if number_like(v) || date_at(v.as_bytes(), 0).is_some() {
            self.numeric += n;
        }
        // Names are names in any letter case: `miguel hernandez` is read as `Miguel Hernandez`.
        let titled = title_case(v);
        let as_name = titled.as_deref().unwrap_or(v);
        let dob_hint = self.hint == Some(Kind::DateOfBirth);
        let kind = match whole_kind(v) {
            Some(Kind::Date) if dob_hint => Some(Kind::DateOfBirth),
            None if titled.is_some() && names::shape(as_name) == Some(Shape::Full) => {
                Some(Kind::PersonName)
            }
            k => k,
        };
        if kind.is_none() {
            self.add_shapes(as_name, n);
        }
        if let Some(k) = kind {
            self.whole[k.index()] += n;
            if k == Kind::PersonName {
                note_name(&mut self.whole_names, as_name);
            }
        }
        if kind.is_none_or(has_check_digit) {
            if let Some(s) = shape_kind(v.as_bytes()) {
                self.shaped[s.index()] += n;
            }
        }
        let mut supports_hint = false;
        if let Some(h) = self.hint {
            supports_hint = kind == Some(h)
                || (kind.is_none() && (loose_match(h, v) || loose_match(h, as_name)));
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
    pub(super) fn add_shapes(&mut self, v: &str, n: u64) {
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
    pub(super) fn uniqueness(&self) -> f64 {
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
    pub(super) fn record_ids(&self) -> u64 {
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
    pub(super) fn single_names(&self) -> u64 {
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

    /// Non-empty values held by one row each (every value once past the distinct cap).
    pub fn singleton_values(&self) -> u64 {
        if self.distinct_capped {
            self.non_empty
        } else {
            self.distinct.values().filter(|&&n| n == 1).count() as u64
        }
    }

    /// Whether the column is prose: at least half of its values have five or more words.
    pub fn is_prose(&self) -> bool {
        self.non_empty > 0 && 2 * self.prose >= self.non_empty
    }

    /// Whether most values are numbers or dates (written as text).
    pub fn is_numeric(&self) -> bool {
        self.non_empty > 0 && 2 * self.numeric >= self.non_empty
    }

    /// Whether the column name names a thing rather than a person (`city`, `product`,
    /// `diagnosis`, `charge`, `department`, ...).
    pub fn names_a_thing(&self) -> bool {
        self.name_header == NameHeader::Other && self.hint != Some(Kind::StreetAddress)
    }

    /// Share of listed places among the non-empty values.
    pub fn place_share(&self) -> f64 {
        if self.non_empty == 0 {
            0.0
        } else {
            self.single_places as f64 / self.non_empty as f64
        }
    }

    /// The values that count as [`Kind::UnclassifiedText`]: the one-row values of a column of
    /// at least 20 values and 20 distinct ones that is not prose, not numbers or dates, not
    /// places (under 40% listed), not named for a thing (`product`, `city`, `diagnosis`) or
    /// for a quasi-identifier kind (postcode, birth date), whose one-row values are at least
    /// [`UNCLASSIFIED_SINGLETONS`] of its values, and that no finding of another kind already
    /// covers (whole values of it in half the column, per-value evidence 0.5 or more).
    fn unclassified(&self, others: &[Finding]) -> u64 {
        let singles = self.singleton_values();
        let covered = others
            .iter()
            .any(|f| !f.embedded && f.evidence >= 0.5 && f.share >= 0.5);
        if self.non_empty < 20
            || self.distinct() < 20
            || covered
            || self.is_prose()
            || self.is_numeric()
            || self.place_share() >= 0.4
            || self.names_a_thing()
            || matches!(
                self.hint,
                Some(Kind::Postcode | Kind::DateOfBirth | Kind::Date)
            )
            || (singles as f64) < UNCLASSIFIED_SINGLETONS * self.non_null as f64
        {
            0
        } else {
            singles
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
        self.prose += other.prose;
        self.numeric += other.numeric;
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
                self.distinct = FastMap::default();
            } else {
                for (&h, &n) in &other.distinct {
                    *self.distinct.entry(h).or_insert(0) += n;
                }
                if self.distinct.len() > DISTINCT_CAP {
                    self.distinct_capped = true;
                    self.distinct = FastMap::default();
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
            if k == Kind::UnclassifiedText {
                continue;
            }
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
        let unclassified = self.unclassified(&out);
        if unclassified > 0 {
            out.push(self.finding(Kind::UnclassifiedText, unclassified, false, false, 0.0));
        }
        out.sort_by(|a, b| {
            b.confidence
                .total_cmp(&a.confidence)
                .then(a.kind.cmp(&b.kind))
        });
        out
    }

    pub(super) fn finding(
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
