//! `inspect`: profiles an unknown table, detects identifiers and drafts a schema for a person
//! to review (the tool proposes, the person decides).

use std::collections::HashMap;
use std::fmt::Write as _;

use arrow_array::{Array, ArrayRef};
use arrow_schema::DataType;
use rayon::prelude::*;
use serde::Serialize;

use super::detect::{ColumnScan, Kind};
use crate::hash::FastMap;
use crate::io::read::{
    numbers, parse_bool, texts, Dialect, Input, ReadError, Reader, ValueDialect,
};
use crate::schema::{Privacy, Schema, Source};

/// Distinct values counted exactly up to this many per column.
const DISTINCT_CAP: usize = 100_000;
/// Values scanned for identifiers per column.
const SCAN_LIMIT: u64 = 200_000;
/// Columns with at most this many distinct values are drafted as categories with levels.
const MAX_LEVELS: usize = 50;

/// One detection finding.
#[derive(Debug, Clone, Serialize)]
pub struct FindingProfile {
    /// Identifier kind.
    pub kind: String,
    /// Share of non-null values matching.
    pub share: f64,
    /// Found inside longer text.
    pub embedded: bool,
    /// Suggested by the column name.
    pub by_name: bool,
    /// 0 to 1.
    pub confidence: f64,
}

/// What is known about one column.
#[derive(Debug, Clone, Serialize)]
pub struct ColumnProfile {
    /// Column name.
    pub name: String,
    /// Schema type proposed from the values.
    pub inferred_type: String,
    /// Arrow type as read.
    pub arrow_type: String,
    /// Rows.
    pub rows: u64,
    /// Empty values.
    pub nulls: u64,
    /// Distinct non-null values (exact up to 100,000).
    pub distinct: u64,
    /// Whether `distinct` hit the cap.
    pub distinct_capped: bool,
    /// Most frequent values with counts; left out for columns that may identify people.
    pub top_values: Option<Vec<(String, u64)>>,
    /// Numeric range, for numeric columns.
    pub min: Option<f64>,
    /// Numeric range, for numeric columns.
    pub max: Option<f64>,
    /// Identifier findings.
    pub findings: Vec<FindingProfile>,
    /// Proposed role.
    pub proposed_role: String,
    /// Proposed de-identification action, for identifiers.
    pub proposed_action: Option<String>,
    /// Why.
    pub reason: String,
    /// Kinds the draft acknowledges for this column (the judge's choice, with its evidence in
    /// `notes`).
    pub acknowledge: Vec<String>,
    /// What the judge decided about the column and why (written beside it in the draft).
    pub notes: Vec<String>,
    /// What the proposal rests on.
    #[serde(skip)]
    pub(crate) basis: Basis,
    /// Most values have five or more words.
    #[serde(skip)]
    pub(crate) prose: bool,
    /// Values repeat (a vocabulary) or the name names a thing, not a person.
    #[serde(skip)]
    pub(crate) shared_vocabulary: bool,
    /// Every distinct value, sorted, when there are at most `MAX_LEVELS` of them (the
    /// levels of a category, known from the profile's own pass).
    #[serde(skip)]
    pub(crate) levels: Option<Vec<String>>,
}

/// The inspection of a table.
#[derive(Debug, Clone, Serialize)]
pub struct Inspection {
    /// The input.
    pub input: String,
    /// Rows.
    pub rows: u64,
    /// Per column.
    pub columns: Vec<ColumnProfile>,
    /// Whether any column is about a person (an identifier, birth date, postcode or protected attribute).
    pub person_level: bool,
    /// What running `deidentify`'s checks on the draft gave, once [`super::draft::draft`] ran.
    pub judgement: Option<Judgement>,
    /// How the file was read (format, delimiter, decimal mark, date format, encoding), for a
    /// file input.
    pub read_as: Option<String>,
    /// The same, for the draft's `input:` section.
    #[serde(skip)]
    pub dialect: Option<Dialect>,
    /// What the reading chose that the user did not ask for (a workbook's sheet).
    pub notes: Vec<String>,
}

/// Type evidence for text values.
#[derive(Debug, Clone, Copy, Default)]
struct TypeVotes {
    seen: u64,
    int: u64,
    float: u64,
    boolean: u64,
    date: u64,
    timestamp: u64,
    /// Digit strings with a leading zero (`01067`): codes, whose zeros a number would lose.
    zero_led: u64,
    /// How the file writes numbers and dates.
    values: ValueDialect,
}

impl TypeVotes {
    fn add(&mut self, v: &str) {
        self.seen += 1;
        if v.len() > 1 && v.starts_with('0') && v.bytes().all(|b| b.is_ascii_digit()) {
            self.zero_led += 1;
        }
        if self.values.parse_int(v).is_some() {
            self.int += 1;
        }
        if self.values.parse_float(v).is_some() {
            self.float += 1;
        }
        if parse_bool(v).is_some() && !matches!(v, "0" | "1") {
            self.boolean += 1;
        }
        if self.values.parse_date(v).is_some() {
            self.date += 1;
        }
        if self.values.parse_timestamp(v).is_some() {
            self.timestamp += 1;
        }
    }

    fn best(&self) -> Option<&'static str> {
        let all = |n: u64| self.seen > 0 && n == self.seen;
        if all(self.boolean) {
            Some("bool")
        } else if self.zero_led > 0 {
            // Postcodes, account codes: text, so `01067` stays `01067`.
            None
        } else if all(self.int) {
            Some("int")
        } else if all(self.float) {
            Some("float")
        } else if all(self.date) {
            Some("date")
        } else if all(self.timestamp) {
            Some("timestamp")
        } else {
            None
        }
    }
}

struct Acc {
    rows: u64,
    nulls: u64,
    distinct: FastMap<String, u64>,
    capped: bool,
    votes: TypeVotes,
    scan: ColumnScan,
    min: f64,
    max: f64,
}

impl Acc {
    /// Profiles one column of a batch.
    fn add(&mut self, col: &ArrayRef) {
        self.rows += col.len() as u64;
        self.nulls += col.null_count() as u64;
        if col.data_type().is_numeric() {
            for x in numbers(col.as_ref()).into_iter().flatten() {
                self.min = self.min.min(x);
                self.max = self.max.max(x);
            }
        }
        let is_text = matches!(col.data_type(), DataType::Utf8 | DataType::LargeUtf8);
        // Past the distinct cap and the scan limit, a typed column has nothing left to learn
        // from its values as text (its range comes from the numbers above).
        if !is_text && self.capped && self.scan.non_null() >= SCAN_LIMIT {
            return;
        }
        // Past the scan limit, a typed column's values are counted by their bits and written
        // as text once per distinct value and batch.
        if !is_text && self.scan.non_null() >= SCAN_LIMIT {
            if let Some(d) = arrow_array::cast::AsArray::as_any_dictionary_opt(col.as_ref()) {
                let values = texts(d.values());
                let mut counts = vec![0u64; values.len()];
                let mut order: Vec<usize> = Vec::new();
                for (i, k) in crate::io::read::dictionary_keys(d).into_iter().enumerate() {
                    if col.is_valid(i) && k < counts.len() {
                        if counts[k] == 0 {
                            order.push(k);
                        }
                        counts[k] += 1;
                    }
                }
                for k in order {
                    if let Some(v) = &values[k] {
                        self.count(v, counts[k]);
                    }
                }
                return;
            }
            if let Some(bits) = value_bits(col.as_ref()) {
                let mut seen: FastMap<u64, (u64, usize)> = FastMap::default();
                for (r, b) in bits.iter().enumerate() {
                    if let Some(b) = b {
                        seen.entry(*b).or_insert((0, r)).0 += 1;
                    }
                }
                let mut firsts: Vec<(usize, u64)> =
                    seen.into_values().map(|(n, r)| (r, n)).collect();
                // In the order the values first appear, as the row-by-row count would meet them.
                firsts.sort_unstable();
                for (r, n) in firsts {
                    if let Some(v) = texts(&col.slice(r, 1)).into_iter().next().flatten() {
                        self.count(&v, n);
                    }
                }
                return;
            }
        }
        let values = texts(col);
        if self.scan.non_null() < SCAN_LIMIT {
            // The first values up to the scan limit, each distinct one classified once with
            // its count, in the order they first appear (as one by one).
            let quota = (SCAN_LIMIT - self.scan.non_null()) as usize;
            let mut at: FastMap<&str, usize> = FastMap::default();
            let mut order: Vec<(&str, u64)> = Vec::new();
            for v in values.iter().flatten().take(quota) {
                match at.get(v.as_str()) {
                    Some(&i) => order[i].1 += 1,
                    None => {
                        at.insert(v, order.len());
                        order.push((v, 1));
                    }
                }
            }
            for (v, n) in order {
                self.scan.add_repeated(Some(v), n);
            }
        }
        for v in values {
            let Some(v) = v else { continue };
            if is_text {
                self.votes.add(&v);
                // The range of numbers written as text (weights, amounts, ages).
                if let Some(x) = self.votes.values.parse_float(&v).filter(|x| x.is_finite()) {
                    self.min = self.min.min(x);
                    self.max = self.max.max(x);
                }
            }
            self.count(&v, 1);
        }
    }

    /// Counts `n` more rows of the value `v`.
    fn count(&mut self, v: &str, n: u64) {
        // Once capped, the counts serve nothing (a capped column singles out by definition
        // and lists no top values).
        if self.capped {
            return;
        }
        if let Some(c) = self.distinct.get_mut(v) {
            *c += n;
        } else if self.distinct.len() < DISTINCT_CAP {
            self.distinct.insert(v.to_string(), n);
        } else {
            self.capped = true;
        }
    }
}

/// The values of a column of numbers, dates, instants or booleans as bits, equal exactly when
/// the values are (`None` for other types).
fn value_bits(a: &dyn Array) -> Option<Vec<Option<u64>>> {
    use arrow_array::cast::AsArray;
    use arrow_array::types::*;
    macro_rules! prim {
        ($t:ty, $f:expr) => {
            a.as_primitive::<$t>().iter().map(|v| v.map($f)).collect()
        };
    }
    Some(match a.data_type() {
        DataType::Int8 => prim!(Int8Type, |x| x as u64),
        DataType::Int16 => prim!(Int16Type, |x| x as u64),
        DataType::Int32 => prim!(Int32Type, |x| x as u64),
        DataType::Int64 => prim!(Int64Type, |x| x as u64),
        DataType::UInt8 => prim!(UInt8Type, u64::from),
        DataType::UInt16 => prim!(UInt16Type, u64::from),
        DataType::UInt32 => prim!(UInt32Type, u64::from),
        DataType::UInt64 => prim!(UInt64Type, |x| x),
        DataType::Float32 => prim!(Float32Type, |x: f32| u64::from(x.to_bits())),
        DataType::Float64 => prim!(Float64Type, f64::to_bits),
        DataType::Date32 => prim!(Date32Type, |x| x as u64),
        DataType::Date64 => prim!(Date64Type, |x| x as u64),
        DataType::Boolean => a.as_boolean().iter().map(|v| v.map(u64::from)).collect(),
        _ => return None,
    })
}

/// An empty schema: every input column passes through as read.
pub fn empty_schema() -> Schema {
    Schema {
        version: 1,
        name: "inspect".into(),
        description: None,
        seed: None,
        rows: 0,
        columns: vec![],
        targets: vec![],
        fairness: None,
        privacy: Privacy::default(),
        quality: Default::default(),
        input: Default::default(),
        encryption: None,
        source: Source::default(),
    }
}

/// Profiles `input` (typed by `schema` when given) and proposes roles.
pub fn inspect(input: &Input, schema: Option<&Schema>) -> Result<Inspection, ReadError> {
    let empty = empty_schema();
    let reader = Reader::open(input, schema.unwrap_or(&empty))?;
    reader.check_dates()?;
    let dialect = input.path().map(|_| reader.dialect().clone());
    let values = reader.dialect().values();
    let in_schema = reader.schema();
    let mut accs: Vec<Acc> = in_schema
        .fields()
        .iter()
        .map(|f| Acc {
            rows: 0,
            nulls: 0,
            distinct: FastMap::default(),
            capped: false,
            votes: TypeVotes {
                values,
                ..Default::default()
            },
            scan: ColumnScan::new(f.name()),
            min: f64::INFINITY,
            max: f64::NEG_INFINITY,
        })
        .collect();
    let mut rows = 0u64;
    for batch in reader {
        let batch = batch?;
        rows += batch.num_rows() as u64;
        // Columns are profiled independently, so in parallel.
        accs.par_iter_mut()
            .zip(batch.columns().par_iter())
            .for_each(|(acc, col)| acc.add(col));
    }
    let mut columns: Vec<ColumnProfile> = in_schema
        .fields()
        .iter()
        .zip(accs)
        .map(|(f, acc)| profile(f.name(), f.data_type(), acc, schema))
        .collect();
    let person_level = person_evidence(&columns);
    if !person_level {
        for c in columns
            .iter_mut()
            .filter(|c| matches!(c.basis, Basis::Singling | Basis::Unclassified))
        {
            c.reason = format!(
                "{}; but no column of the table is about a person (no identifier, birth date, postcode or protected attribute), so it is kept",
                c.reason
            );
            c.proposed_role = "feature".into();
            c.proposed_action = None;
        }
    }
    Ok(Inspection {
        input: input.label().display().to_string(),
        rows,
        columns,
        person_level,
        judgement: None,
        read_as: dialect.as_ref().map(Dialect::to_string),
        notes: dialect
            .as_ref()
            .and_then(|d| d.sheet_note.clone())
            .into_iter()
            .collect(),
        dialect,
    })
}

/// Kinds that identify a person directly.
fn direct(kind: Kind) -> bool {
    matches!(
        kind,
        Kind::Email
            | Kind::Phone
            | Kind::Iban
            | Kind::PaymentCard
            | Kind::IpAddress
            | Kind::UsSsn
            | Kind::DeTaxId
            | Kind::PersonName
            | Kind::RecordId
            | Kind::StreetAddress
    )
}

/// Share of the non-null values that occur exactly once (1 when the distinct count hit the
/// cap): how many people the column alone singles out.
fn unique_share(acc: &Acc) -> f64 {
    let non_null = acc.rows - acc.nulls;
    if acc.capped {
        return 1.0;
    }
    if non_null == 0 {
        return 0.0;
    }
    acc.distinct.values().filter(|&&n| n == 1).count() as f64 / non_null as f64
}

/// Whether a column looks like postcodes whatever its name: every value five digits (or
/// ZIP+4 `12345-6789`), some with a leading zero (so the column is codes, not numbers), at least
/// 20 distinct values, and most values shared by several rows (a near-unique code is a record
/// identifier instead). Returns the share of values with a leading zero. Five-digit numbers
/// without leading zeros are too common (amounts, counts) to call postcodes by content.
fn postcode_like(acc: &Acc) -> Option<f64> {
    let non_null = acc.rows.saturating_sub(acc.nulls);
    if acc.capped || acc.distinct.len() < 20 || non_null == 0 {
        return None;
    }
    let five = |v: &str| {
        let b = v.as_bytes();
        (b.len() == 5 && b.iter().all(u8::is_ascii_digit))
            || (b.len() == 10
                && b[5] == b'-'
                && b[..5].iter().chain(&b[6..]).all(u8::is_ascii_digit))
    };
    if !acc.distinct.keys().all(|v| five(v)) {
        return None;
    }
    let zero: u64 = acc
        .distinct
        .iter()
        .filter(|(v, _)| v.starts_with('0'))
        .map(|(_, n)| *n)
        .sum();
    let shared = acc.distinct.len() as f64 <= 0.5 * non_null as f64;
    (zero > 0 && shared).then(|| zero as f64 / non_null as f64)
}

/// Whether a date column looks like birth dates whatever its name: at least 100 distinct days,
/// every value from 1900 on, spanning at least 30 years, and the newest at least 14 years
/// before `today` (days since 1970). Event dates (orders, sign-ups, cases) run up to the
/// present; birth dates of adults stop well before it. Returns (span, years since the
/// newest), both in whole years.
fn birth_like(acc: &Acc, today: i64) -> Option<(i64, i64)> {
    let days: Vec<i64> = acc
        .distinct
        .keys()
        .filter_map(|v| acc.votes.values.parse_date(v.get(..10).unwrap_or(v)))
        .map(i64::from)
        .collect();
    if days.len() < 100 || days.len() < acc.distinct.len() * 95 / 100 {
        return None;
    }
    let (lo, hi) = (*days.iter().min()?, *days.iter().max()?);
    // 1900-01-01 is day -25,567.
    let year = 365.25;
    let span = ((hi - lo) as f64 / year) as i64;
    let ago = ((today - hi) as f64 / year) as i64;
    (lo >= -25_567 && span >= 30 && ago >= 14).then_some((span, ago))
}

/// Dates and timestamps with at least this share of values held by one row each are proposed
/// as quasi-identifiers (exact event times single people out).
const QI_UNIQUE_SHARE: f64 = 0.2;

/// What a proposal rests on; `inspect` revises proposals of some bases once it has seen the
/// whole table (a table with no column about a person gets no quasi-identifiers from
/// uniqueness alone, see [`person_evidence`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum Basis {
    /// The user's schema declares the column.
    Declared,
    /// Evidence that the column is about people (identifier content or name, birth dates,
    /// postcodes, protected attributes).
    Person,
    /// Unique values under an id-like name.
    IdName,
    /// Text that cannot be classified (identifying until declared otherwise).
    Unclassified,
    /// Values held by one row each (quasi-identifier by uniqueness).
    Singling,
    /// Anything else.
    #[default]
    Other,
}

/// Column-name words of protected attributes that also identify in combination, in English,
/// German, French, Spanish, Italian and Dutch (diacritics folded: `âge` → `age`).
const PROTECTED_QI_WORDS: &[&str] = &[
    "sex",
    "gender",
    "race",
    "ethnicity",
    "ethnic",
    "nationality",
    "citizenship",
    "age",
    "geschlecht",
    "alter",
    "staatsangehorigkeit",
    "staatsangehoerigkeit",
    "nationalitat",
    "herkunft",
    "abstammung",
    "sexe",
    "genre",
    "nationalite",
    "origine",
    "ethnie",
    "sexo",
    "genero",
    "edad",
    "nacionalidad",
    "origen",
    "etnia",
    "sesso",
    "eta",
    "nazionalita",
    "cittadinanza",
    "geslacht",
    "leeftijd",
    "nationaliteit",
    "afkomst",
    "etniciteit",
];

/// Column-name words of protected attributes (religion, disability, marital status).
const PROTECTED_WORDS: &[&str] = &[
    "religion",
    "disability",
    "marital",
    "religion",
    "konfession",
    "glaube",
    "behinderung",
    "familienstand",
    "religione",
    "religie",
    "confession",
    "handicap",
    "discapacidad",
    "disabilita",
    "civil",
    "civile",
    "familiale",
    "matrimonial",
    "burgerlijke",
];

/// Column-name words of a salutation: a proxy for sex.
const SALUTATION_WORDS: &[&str] = &[
    "salutation",
    "anrede",
    "civilite",
    "tratamiento",
    "titolo",
    "aanhef",
    "aanspreektitel",
    "honorific",
];

/// Column-name words of a quasi-identifier (place of residence, birth).
const QI_WORDS: &[&str] = &[
    "zip",
    "postcode",
    "plz",
    "birth",
    "dob",
    "region",
    "city",
    "county",
    "ort",
    "wohnort",
    "stadt",
    "ville",
    "commune",
    "ciudad",
    "localidad",
    "municipio",
    "citta",
    "comune",
    "stad",
    "plaats",
    "woonplaats",
    "gemeente",
    "land",
    "country",
    "pays",
    "pais",
    "paese",
    "state",
    "bundesland",
    "provincia",
    "provincie",
    "nascita",
    "naissance",
    "nacimiento",
    "geboorte",
    "geburtsort",
    "job",
    "occupation",
    "beruf",
    "profession",
    "puesto",
    "ocupacion",
    "professione",
    "beroep",
    "functie",
    "poste",
    "metier",
];

/// Column-name words of record numbers (with unique values: identifiers, pseudonymised).
const ID_WORDS: &[&str] = &[
    "id",
    "uuid",
    "guid",
    "key",
    "number",
    "no",
    "nr",
    "nummer",
    "numero",
    "num",
    "kdnr",
    "kundennr",
    "kundennummer",
    "ref",
    "referenz",
    "reference",
    "aktenzeichen",
    "az",
    "dossier",
    "expediente",
    "fascicolo",
    "pratica",
    "zaaknummer",
    "klantnummer",
    "ordernummer",
    "bestelnummer",
    "codice",
    "mrn",
    "bsn",
    "dni",
    "nie",
    "nif",
    "nir",
    "svnr",
    "secu",
    "passport",
    "reisepass",
    "passeport",
    "pasaporte",
    "passaporto",
    "paspoort",
    "ticket",
    "matricola",
    "matricule",
    "personalnummer",
    "rg",
];

/// Column-name words of a consent flag.
const CONSENT_WORDS: &[&str] = &[
    "consent",
    "opt",
    "optin",
    "einwilligung",
    "zustimmung",
    "consentement",
    "consentimiento",
    "consenso",
    "toestemming",
];

/// Column-name words of a house number (part of a street address).
const HOUSE_NUMBER_WORDS: &[&str] = &[
    "hausnummer",
    "huisnummer",
    "housenumber",
    "hausnr",
    "huisnr",
];

/// Whether a numeric column named like a weight is a sampling or design weight: positive
/// values spread over more than a factor of 20 (survey weights such as Adult's `fnlwgt` run
/// from about 12,000 to 1.5 million), or a name that says so (`sample_weight`, `fnlwgt`).
/// A body weight in kilograms (40–150) is a measurement, not a weight.
fn weight_evidence(w: &[String], min: Option<f64>, max: Option<f64>) -> Option<String> {
    let (lo, hi) = (min?, max?);
    if lo <= 0.0 {
        return None;
    }
    let named = w.iter().any(|x| {
        matches!(
            x.as_str(),
            "fnlwgt"
                | "wgt"
                | "pweight"
                | "perwt"
                | "sampling"
                | "sample"
                | "survey"
                | "design"
                | "gewichtung"
                | "hochrechnung"
                | "ponderation"
                | "ponderacion"
                | "peso_campionario"
        )
    });
    if hi / lo > 20.0 {
        Some(format!(
            "name of a weight, and positive values spread {:.0}-fold ({lo} to {hi}) as sampling weights are",
            hi / lo
        ))
    } else if named {
        Some("name of a sampling or design weight, and positive values".into())
    } else {
        None
    }
}

fn profile(name: &str, dt: &DataType, acc: Acc, schema: Option<&Schema>) -> ColumnProfile {
    let declared = schema.and_then(|s| s.column(name));
    let non_null = acc.rows - acc.nulls;
    let distinct = acc.distinct.len() as u64;
    let inferred = match dt {
        DataType::Boolean => "bool",
        DataType::Date32 | DataType::Date64 => "date",
        DataType::Timestamp(..) => "timestamp",
        DataType::Float16 | DataType::Float32 | DataType::Float64 => "float",
        d if d.is_integer() => "int",
        _ => acc.votes.best().unwrap_or(
            if distinct as usize <= MAX_LEVELS && (distinct as f64) < 0.5 * non_null as f64 {
                "category"
            } else {
                "string"
            },
        ),
    }
    .to_string();
    let scan_findings = acc.scan.findings();
    let findings: Vec<FindingProfile> = scan_findings
        .iter()
        .map(|f| FindingProfile {
            kind: f.kind.name().to_string(),
            share: f.share,
            embedded: f.embedded,
            by_name: f.by_name,
            confidence: f.confidence,
        })
        .collect();
    let strongest = scan_findings
        .iter()
        .filter(|f| f.kind != Kind::UnclassifiedText)
        .max_by(|a, b| a.confidence.total_cmp(&b.confidence))
        .copied();
    let w = crate::deid::detect::column_words(name);
    let has = |ws: &[&str]| w.iter().any(|x| ws.contains(&x.as_str()));
    let joined: String = w.concat();
    let unique = acc.capped || (non_null > 0 && distinct as f64 >= 0.95 * non_null as f64);
    let singles = unique_share(&acc);
    let is_text = matches!(inferred.as_str(), "string" | "category");
    let thing = acc.scan.names_a_thing();
    let hint = acc.scan.hint();
    let kind_words = |k: Kind| k.name().replace('_', " ");
    let proposal = |role: &str, action: Option<&str>, reason: String, basis: Basis| {
        (role.to_string(), action.map(str::to_string), reason, basis)
    };
    let (role, action, reason, basis) = if let Some(c) = declared {
        (
            match c.role_names().as_slice() {
                [one] => one.to_string(),
                many => format!("[{}]", many.join(", ")),
            },
            c.action.map(|a| format!("{a:?}").to_lowercase()),
            "declared in the schema".to_string(),
            Basis::Declared,
        )
    } else if let Some(f) = strongest.filter(|f| {
        direct(f.kind) && f.confidence >= 0.5 && !f.embedded && !(f.kind == Kind::RecordId && thing)
    }) {
        let action = match f.kind {
            Kind::PersonName | Kind::Email | Kind::Phone | Kind::StreetAddress => "drop",
            _ => "pseudonymise",
        };
        proposal(
            "identifier",
            Some(action),
            format!(
                "{} in {:.0}% of values (confidence {:.2})",
                kind_words(f.kind),
                100.0 * f.share,
                f.confidence
            ),
            Basis::Person,
        )
    } else if is_text && acc.scan.is_prose() {
        // Prose: the identifiers inside are replaced, the rest is kept. Redaction is for
        // prose only; structured values go whole (below).
        let inside: Vec<String> = scan_findings
            .iter()
            .filter(|f| f.embedded && f.evidence >= 0.5 && direct(f.kind))
            .map(|f| format!("{} in {:.0}%", kind_words(f.kind), 100.0 * f.share))
            .collect();
        proposal(
            "feature",
            Some("redact"),
            if inside.is_empty() {
                "prose (most values have five or more words): identifiers inside are redacted"
                    .to_string()
            } else {
                format!("prose holding identifiers ({})", inside.join(", "))
            },
            if inside.is_empty() {
                Basis::Other
            } else {
                Basis::Person
            },
        )
    } else if let Some(f) = strongest.filter(|f| direct(f.kind) && f.confidence >= 0.5 && !thing) {
        proposal(
            "identifier",
            Some("drop"),
            format!(
                "structured text containing {} in {:.0}% of values: removed whole (redaction is for prose)",
                kind_words(f.kind),
                100.0 * f.share
            ),
            Basis::Person,
        )
    } else if is_text
        && matches!(
            hint,
            Some(Kind::PersonName | Kind::StreetAddress | Kind::Email | Kind::Phone)
        )
    {
        // The name says it, and the values do not contradict it enough to say otherwise.
        proposal(
            "identifier",
            Some("drop"),
            format!(
                "name of a {} column",
                hint.map_or(String::new(), kind_words)
            ),
            Basis::Person,
        )
    } else if has(HOUSE_NUMBER_WORDS) {
        proposal(
            "identifier",
            Some("drop"),
            "name of a house number: part of a street address".into(),
            Basis::Person,
        )
    } else if (has(ID_WORDS) || ID_WORDS.iter().any(|x| x.len() > 4 && joined.ends_with(x)))
        && unique
        && !thing
    {
        proposal(
            "identifier",
            Some("pseudonymise"),
            "unique values under an id-like name".into(),
            Basis::IdName,
        )
    } else if let Some(f) = strongest
        .filter(|f| matches!(f.kind, Kind::DateOfBirth | Kind::Postcode) && f.confidence >= 0.5)
    {
        proposal(
            "quasi_identifier",
            None,
            format!("{} (confidence {:.2})", kind_words(f.kind), f.confidence),
            Basis::Person,
        )
    } else if let Some(share) = postcode_like(&acc) {
        proposal(
            "quasi_identifier",
            None,
            format!(
                "five-digit codes with leading zeros in {:.0}% of the values, shared by several rows each: like postcodes",
                100.0 * share
            ),
            Basis::Person,
        )
    } else if let Some((span, newest)) = (inferred == "date")
        .then(|| birth_like(&acc, crate::audit::today()))
        .flatten()
    {
        proposal(
            "quasi_identifier",
            None,
            format!("dates spanning {span} years, the newest {newest} years ago: like birth dates"),
            Basis::Person,
        )
    } else if has(SALUTATION_WORDS) {
        proposal(
            "[protected, quasi_identifier]",
            None,
            "name of a salutation: a proxy for sex".into(),
            Basis::Person,
        )
    } else if has(PROTECTED_QI_WORDS) {
        // Published with other columns, these single people out as well.
        proposal(
            "[protected, quasi_identifier]",
            None,
            "name of a protected attribute that also identifies in combination".into(),
            Basis::Person,
        )
    } else if has(PROTECTED_WORDS) {
        proposal(
            "protected",
            None,
            "name of a protected attribute".into(),
            Basis::Person,
        )
    } else if matches!(inferred.as_str(), "date" | "timestamp")
        && singles >= QI_UNIQUE_SHARE
        && non_null >= 20
    {
        proposal(
            "quasi_identifier",
            None,
            format!(
                "exact {}s: {:.0}% of the values belong to one row each",
                inferred,
                100.0 * singles
            ),
            Basis::Singling,
        )
    } else if has(QI_WORDS) && !has(&["weight"]) {
        proposal(
            "quasi_identifier",
            None,
            "name of a quasi-identifier".into(),
            Basis::Singling,
        )
    } else if let Some(why) = (has(&["weight", "wgt", "fnlwgt", "gewichtung"])
        && inferred != "string")
        .then(|| {
            weight_evidence(
                &w,
                acc.min.is_finite().then_some(acc.min),
                acc.max.is_finite().then_some(acc.max),
            )
        })
        .flatten()
    {
        proposal("weight", None, why, Basis::Other)
    } else if has(CONSENT_WORDS) && inferred == "bool" {
        proposal(
            "consent",
            None,
            "name of a consent flag".into(),
            Basis::Other,
        )
    } else if let Some(f) = scan_findings
        .iter()
        .find(|f| f.kind == Kind::UnclassifiedText && is_text)
    {
        let codes = scan_findings.iter().any(|f| f.kind == Kind::RecordId);
        proposal(
            "identifier",
            Some(if codes || unique { "pseudonymise" } else { "drop" }),
            format!(
                "unclassified high-cardinality text: {:.0}% of the values belong to one row each, neither a category nor prose",
                100.0 * f.share
            ),
            Basis::Unclassified,
        )
    } else if matches!(inferred.as_str(), "int" | "float" | "string" | "category")
        && singles >= QI_UNIQUE_SHARE
        && non_null >= 20
    {
        // Amounts, counts and descriptions held by one row each single people out once
        // released beside the other columns, as exact event times do.
        proposal(
            "quasi_identifier",
            None,
            format!(
                "{:.0}% of the values belong to one row each: they single people out",
                100.0 * singles
            ),
            Basis::Singling,
        )
    } else {
        proposal("feature", None, "no identifier found".into(), Basis::Other)
    };
    // Values of columns that may identify people are never printed.
    let safe = role != "identifier"
        && findings.iter().all(|f| f.confidence < 0.5)
        && distinct as usize <= 1000;
    let top_values = safe.then(|| {
        let mut v: Vec<(String, u64)> = acc.distinct.iter().map(|(k, n)| (k.clone(), *n)).collect();
        v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        v.truncate(5);
        v
    });
    let levels = (!acc.capped && acc.distinct.len() <= MAX_LEVELS).then(|| {
        let mut v: Vec<String> = acc.distinct.keys().cloned().collect();
        v.sort();
        v
    });
    ColumnProfile {
        name: name.to_string(),
        inferred_type: declared.map_or(inferred, |c| format!("{:?}", c.ty).to_lowercase()),
        arrow_type: dt.to_string(),
        rows: acc.rows,
        nulls: acc.nulls,
        distinct,
        distinct_capped: acc.capped,
        top_values,
        min: acc.min.is_finite().then_some(acc.min),
        max: acc.max.is_finite().then_some(acc.max),
        findings,
        proposed_role: role,
        proposed_action: action,
        reason,
        acknowledge: Vec::new(),
        notes: Vec::new(),
        basis,
        prose: acc.scan.is_prose(),
        shared_vocabulary: thing || singles < QI_UNIQUE_SHARE,
        levels,
    }
}

/// Whether any column of the table is about a person: identifier content or name, birth
/// dates, postcodes, protected attributes. A table with none (a product catalogue, sales by
/// city) describes no one: its unique values and exact dates are not proposed as
/// quasi-identifiers, and text that cannot be classified is kept.
fn person_evidence(columns: &[ColumnProfile]) -> bool {
    columns.iter().any(|c| c.basis == Basis::Person)
}

/// Category levels of the columns drafted as categories: from the profile when it saw every
/// distinct value, otherwise from a second look at the values (those columns only).
pub fn category_levels(
    input: &Input,
    ins: &Inspection,
) -> Result<HashMap<String, Vec<String>>, ReadError> {
    let mut out: HashMap<String, Vec<String>> = HashMap::new();
    let mut wanted: Vec<&str> = Vec::new();
    for c in ins.columns.iter().filter(|c| c.inferred_type == "category") {
        match &c.levels {
            Some(l) => {
                out.insert(c.name.clone(), l.clone());
            }
            None => wanted.push(c.name.as_str()),
        }
    }
    if wanted.is_empty() {
        return Ok(out);
    }
    let empty = empty_schema();
    let mut seen: HashMap<String, Vec<String>> = HashMap::new();
    for batch in Reader::open_columns(input, &empty, &wanted)? {
        let batch = batch?;
        for name in &wanted {
            if let Some(col) = batch.column_by_name(name) {
                let e = seen.entry(name.to_string()).or_default();
                for v in texts(col).into_iter().flatten() {
                    if !e.contains(&v) && e.len() <= MAX_LEVELS {
                        e.push(v);
                    }
                }
            }
        }
    }
    for (k, mut v) in seen {
        v.sort();
        out.insert(k, v);
    }
    Ok(out)
}

/// A short human summary, for stderr: no identifier value is ever printed.
pub fn summary(ins: &Inspection) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{}: {}, {}",
        ins.input,
        crate::report::count(ins.rows as usize, "row"),
        crate::report::count(ins.columns.len(), "column")
    );
    if let Some(r) = &ins.read_as {
        let _ = writeln!(s, "  read as: {r}");
    }
    for n in &ins.notes {
        let _ = writeln!(s, "  note: {n}");
    }
    for c in &ins.columns {
        let _ = writeln!(
            s,
            "  {:<24} {:<10} nulls {:>6.2}%  distinct {:>7}{}  -> {}{}  ({})",
            c.name,
            c.inferred_type,
            if c.rows > 0 {
                100.0 * c.nulls as f64 / c.rows as f64
            } else {
                0.0
            },
            c.distinct,
            if c.distinct_capped { "+" } else { "" },
            c.proposed_role,
            c.proposed_action
                .as_ref()
                .map_or(String::new(), |a| format!(", {a}")),
            c.reason
        );
        if let Some(top) = &c.top_values {
            let shown: Vec<String> = top.iter().map(|(v, n)| format!("{v} ({n})")).collect();
            let _ = writeln!(s, "      top: {}", shown.join(", "));
        }
        if !c.acknowledge.is_empty() {
            let _ = writeln!(s, "      acknowledged: {}", c.acknowledge.join(", "));
        }
    }
    if let Some(j) = &ins.judgement {
        for line in judgement_lines(j) {
            let _ = writeln!(s, "  {line}");
        }
    }
    s
}

/// What running `deidentify`'s checks on the final draft gave.
#[derive(Debug, Clone, Serialize)]
pub struct Judgement {
    /// Rounds of judging the draft took (1: the first proposals passed).
    pub rounds: usize,
    /// Rows read.
    pub rows_in: u64,
    /// Rows a `deidentify` with the draft writes.
    pub rows_out: u64,
    /// k required, when the draft has quasi-identifiers.
    pub k_required: Option<u64>,
    /// Smallest class written.
    pub k_achieved: Option<u64>,
    /// Rows suppressed to reach k.
    pub suppressed_rows: u64,
    /// The level each quasi-identifier needs (`raw` or the level as declared).
    pub levels: Vec<(String, String)>,
    /// Share of written rows unique over the quasi-identifiers as released.
    pub unique_over_quasi_identifiers: f64,
    /// Share of written rows unique over everything released (pseudonyms and text aside).
    pub unique_over_released: f64,
    /// The released columns that raise uniqueness most, with their raise.
    pub raises: Vec<(String, f64)>,
    /// What the judge changed in the first proposals, and why.
    pub changes: Vec<String>,
}

/// The judgement in words, one line each (for the draft's header and the summary).
pub fn judgement_lines(j: &Judgement) -> Vec<String> {
    let mut out = vec![format!(
        "Checked with deidentify's own checks on the same data ({} round{}): safety net, k-anonymity, redaction re-scan and gates pass; {} of {} rows written.",
        j.rounds,
        if j.rounds == 1 { "" } else { "s" },
        j.rows_out,
        j.rows_in
    )];
    if let (Some(k), Some(got)) = (j.k_required, j.k_achieved) {
        let levels: Vec<String> = j.levels.iter().map(|(c, l)| format!("{c} {l}")).collect();
        out.push(format!(
            "k = {k} reached (smallest class {got}) with {}; cost: {} rows suppressed ({:.1}%).",
            levels.join(", "),
            j.suppressed_rows,
            if j.rows_in > 0 {
                100.0 * j.suppressed_rows as f64 / j.rows_in as f64
            } else {
                0.0
            }
        ));
    }
    let raises: Vec<String> = j
        .raises
        .iter()
        .filter(|r| r.1 > 0.0)
        .take(3)
        .map(|(c, r)| format!("{c} +{:.1}%", 100.0 * r))
        .collect();
    out.push(format!(
        "Singling out: {:.1}% of the written rows are unique over the quasi-identifiers, {:.1}% over everything released{}.",
        100.0 * j.unique_over_quasi_identifiers,
        100.0 * j.unique_over_released,
        if raises.is_empty() {
            String::new()
        } else {
            format!(" (most: {})", raises.join(", "))
        }
    ));
    if j.unique_over_released >= 0.5 {
        out.push(
            "Warning: everything released together still singles out most people; generalise or drop the columns named above before sharing.".into(),
        );
    }
    for c in &j.changes {
        out.push(format!("Changed by the judge: {c}"));
    }
    out
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow_array::{DictionaryArray, Int64Array, StringArray};

    use super::*;

    fn acc(name: &str) -> Acc {
        Acc {
            rows: 0,
            nulls: 0,
            distinct: FastMap::default(),
            capped: false,
            votes: TypeVotes::default(),
            scan: ColumnScan::new(name),
            min: f64::INFINITY,
            max: f64::NEG_INFINITY,
        }
    }

    /// Past the scan limit, typed and dictionary columns are counted by bits or keys: the
    /// counts must be those of counting every value as text.
    #[test]
    fn typed_and_dictionary_columns_count_every_row_exactly() {
        let rows = 3 * SCAN_LIMIT as usize / 2;
        let batch = 50_000;
        let value = |i: usize| -> Option<i64> { (i % 11 != 0).then_some((i % 7) as i64 * 3) };
        let level = |i: usize| ["east", "west", "north"][i % 3];
        let mut ints = acc("n");
        let mut dict = acc("region");
        for start in (0..rows).step_by(batch) {
            let a: ArrayRef = Arc::new(Int64Array::from(
                (start..start + batch).map(value).collect::<Vec<_>>(),
            ));
            ints.add(&a);
            let d: DictionaryArray<arrow_array::types::Int32Type> =
                (start..start + batch).map(level).collect();
            let d: ArrayRef = Arc::new(d);
            dict.add(&d);
        }
        let mut want: FastMap<String, u64> = FastMap::default();
        for v in (0..rows).filter_map(value) {
            *want.entry(v.to_string()).or_default() += 1;
        }
        assert_eq!(ints.distinct, want);
        assert_eq!(ints.nulls, (0..rows).filter(|i| i % 11 == 0).count() as u64);
        assert_eq!(ints.scan.non_null(), SCAN_LIMIT);
        for l in ["east", "west", "north"] {
            assert_eq!(dict.distinct[l], (rows / 3) as u64, "{l}");
        }
        // Text columns still take every value as text.
        let mut text = acc("t");
        let t: ArrayRef = Arc::new(StringArray::from(vec!["a", "b", "a"]));
        text.add(&t);
        assert_eq!(text.distinct["a"], 2);
    }

    /// The scan classifies each distinct value once with its count: the same findings as
    /// one value at a time.
    #[test]
    fn the_scan_of_repeated_values_equals_one_by_one() {
        let values: Vec<Option<&str>> = (0..5_000)
            .map(|i| match i % 5 {
                0 => Some("anna.berg@example.org"),
                1 => Some("Müller"),
                2 => None,
                3 => Some("call +49 30 1234567 today"),
                _ => Some("12345"),
            })
            .collect();
        let mut batched = acc("contact");
        let a: ArrayRef = Arc::new(StringArray::from(values.clone()));
        batched.add(&a);
        let mut single = ColumnScan::new("contact");
        for v in &values {
            single.add(*v);
        }
        assert_eq!(
            format!("{:?}", batched.scan.findings()),
            format!("{:?}", single.findings())
        );
        assert_eq!(batched.scan.non_null(), single.non_null());
    }
}
