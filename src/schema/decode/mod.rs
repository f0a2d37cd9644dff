//! YAML -> [`Schema`], collecting every problem with its position and key path.
//!
//! This file holds the YAML helpers, the key lists and the document and column-list level;
//! `column` decodes one column entry, `generator` its generator, `cases` dependence on
//! earlier columns, and `policy` the targets, fairness, privacy and quality blocks.

use std::collections::HashMap;

use saphyr::{LoadableYamlNode, MarkedYamlOwned, ScalarOwned, YamlDataOwned};

use super::diag::{choices_hint, did_you_mean, Pos, Sink};
use super::*;

mod cases;
mod column;
mod encryption;
mod generator;
mod input;
mod policy;
mod rules;
mod tables;

use cases::*;
use column::*;
use encryption::{apply_encryption, decode_encryption, decode_section, Scope, Section};
use generator::*;
use input::decode_input;
pub(crate) use policy::decode_targets_file;
use policy::*;
use rules::check_rules;

type Node = MarkedYamlOwned;

/// Share sums must be within this of 1 (or be whole-number counts, which are normalised).
pub(crate) const SHARE_TOLERANCE: f64 = 1e-9;

fn pos(n: &Node) -> Pos {
    Pos::from_marker(&n.span.start)
}

/// Strips tags so `!!str 1` is read like `"1"`.
fn untag(n: &Node) -> &Node {
    match &n.data {
        YamlDataOwned::Tagged(_, inner) => untag(inner),
        _ => n,
    }
}

fn describe(n: &Node) -> &'static str {
    match &untag(n).data {
        YamlDataOwned::Value(ScalarOwned::Null) => "nothing (null)",
        YamlDataOwned::Value(ScalarOwned::Boolean(_)) => "a boolean",
        YamlDataOwned::Value(ScalarOwned::Integer(_)) => "an integer",
        YamlDataOwned::Value(ScalarOwned::FloatingPoint(_)) => "a number",
        YamlDataOwned::Value(ScalarOwned::String(_)) | YamlDataOwned::Representation(..) => "text",
        YamlDataOwned::Sequence(_) => "a list",
        YamlDataOwned::Mapping(_) => "a mapping",
        _ => "an unsupported YAML value",
    }
}

/// Scalars as text (levels and keys may be written `true`, `1`, `2.5` in YAML).
fn scalar_text(n: &Node) -> Option<String> {
    match &untag(n).data {
        YamlDataOwned::Value(ScalarOwned::String(s)) => Some(s.clone()),
        YamlDataOwned::Representation(s, ..) => Some(s.clone()),
        YamlDataOwned::Value(ScalarOwned::Integer(i)) => Some(i.to_string()),
        YamlDataOwned::Value(ScalarOwned::Boolean(b)) => Some(b.to_string()),
        YamlDataOwned::Value(ScalarOwned::FloatingPoint(f)) => Some(f.to_string()),
        _ => None,
    }
}

fn scalar_f64(n: &Node) -> Option<f64> {
    match &untag(n).data {
        YamlDataOwned::Value(ScalarOwned::Integer(i)) => Some(*i as f64),
        YamlDataOwned::Value(ScalarOwned::FloatingPoint(f)) => Some(f.into_inner()),
        _ => None,
    }
}

/// A mapping node's entries, with the path it sits at.
struct Map<'a> {
    entries: Vec<(String, Pos, &'a Node)>,
    path: String,
    pos: Pos,
}

impl<'a> Map<'a> {
    fn get(&self, key: &str) -> Option<&'a Node> {
        self.entries
            .iter()
            .find(|(k, _, _)| k == key)
            .map(|(_, _, v)| *v)
    }

    fn key_pos(&self, key: &str) -> Pos {
        self.entries
            .iter()
            .find(|(k, _, _)| k == key)
            .map(|(_, p, _)| *p)
            .unwrap_or(self.pos)
    }

    fn has(&self, key: &str) -> bool {
        self.get(key).is_some()
    }

    fn child(&self, key: &str) -> String {
        join(&self.path, key)
    }

    /// Reports keys not in `allowed`, with the nearest allowed key as a hint.
    fn only(&self, s: &mut Sink, allowed: &[&str]) {
        for (k, p, _) in &self.entries {
            if !allowed.contains(&k.as_str()) {
                s.hint(
                    *p,
                    &self.child(k),
                    format!("unknown key `{k}`"),
                    choices_hint(k, allowed),
                );
            }
        }
    }
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

fn mapping<'a>(s: &mut Sink, n: &'a Node, path: &str) -> Option<Map<'a>> {
    match &untag(n).data {
        YamlDataOwned::Mapping(m) => {
            let mut entries = Vec::with_capacity(m.len());
            for (k, v) in m.iter() {
                match scalar_text(k) {
                    Some(key) => entries.push((key, pos(k), v)),
                    None => s.err(pos(k), path, "keys must be plain text"),
                }
            }
            Some(Map {
                entries,
                path: path.to_string(),
                pos: pos(n),
            })
        }
        _ => {
            s.err(
                pos(n),
                path,
                format!(
                    "expected a mapping of keys to values, found {}",
                    describe(n)
                ),
            );
            None
        }
    }
}

fn sequence<'a>(s: &mut Sink, n: &'a Node, path: &str) -> Option<&'a [Node]> {
    match &untag(n).data {
        YamlDataOwned::Sequence(v) => Some(v.as_slice()),
        _ => {
            s.err(
                pos(n),
                path,
                format!("expected a list, found {}", describe(n)),
            );
            None
        }
    }
}

fn text(s: &mut Sink, n: &Node, path: &str) -> Option<String> {
    match &untag(n).data {
        YamlDataOwned::Value(ScalarOwned::String(v)) => Some(v.clone()),
        YamlDataOwned::Representation(v, ..) => Some(v.clone()),
        _ => {
            s.err(
                pos(n),
                path,
                format!("expected text, found {}", describe(n)),
            );
            None
        }
    }
}

/// A level name: text, or a number/boolean written bare.
fn level(s: &mut Sink, n: &Node, path: &str) -> Option<String> {
    let t = scalar_text(n);
    if t.is_none() {
        s.err(
            pos(n),
            path,
            format!("expected a level name, found {}", describe(n)),
        );
    }
    t
}

fn number(s: &mut Sink, n: &Node, path: &str) -> Option<f64> {
    match scalar_f64(n) {
        Some(v) if v.is_finite() => Some(v),
        Some(v) => {
            s.err(
                pos(n),
                path,
                format!("expected a finite number, found {v} (not a finite number)"),
            );
            None
        }
        None => {
            s.err(
                pos(n),
                path,
                format!("expected a number, found {}", describe(n)),
            );
            None
        }
    }
}

fn integer(s: &mut Sink, n: &Node, path: &str) -> Option<i64> {
    match &untag(n).data {
        YamlDataOwned::Value(ScalarOwned::Integer(i)) => Some(*i),
        _ => {
            s.err(
                pos(n),
                path,
                format!("expected a whole number, found {}", describe(n)),
            );
            None
        }
    }
}

fn non_negative(s: &mut Sink, n: &Node, path: &str) -> Option<u64> {
    let i = integer(s, n, path)?;
    match u64::try_from(i) {
        Ok(v) => Some(v),
        Err(_) => {
            s.err(pos(n), path, format!("must not be negative, found {i}"));
            None
        }
    }
}

fn boolean(s: &mut Sink, n: &Node, path: &str) -> Option<bool> {
    match &untag(n).data {
        YamlDataOwned::Value(ScalarOwned::Boolean(b)) => Some(*b),
        _ => {
            s.err(
                pos(n),
                path,
                format!("expected true or false, found {}", describe(n)),
            );
            None
        }
    }
}

/// One of a fixed set of words, with a did-you-mean hint.
fn choice(s: &mut Sink, n: &Node, path: &str, what: &str, allowed: &[&str]) -> Option<String> {
    let t = text(s, n, path)?;
    if allowed.contains(&t.as_str()) {
        Some(t)
    } else {
        s.hint(
            pos(n),
            path,
            format!("unknown {what} `{t}`"),
            choices_hint(&t, allowed),
        );
        None
    }
}

fn probability(s: &mut Sink, n: &Node, path: &str) -> Option<f64> {
    let p = number(s, n, path)?;
    if (0.0..=1.0).contains(&p) {
        Some(p)
    } else {
        s.err(pos(n), path, format!("must be between 0 and 1, found {p}"));
        None
    }
}

/// `level: share` pairs. Shares must sum to 1 within [`SHARE_TOLERANCE`], or all be whole
/// numbers (counts), which are normalised.
fn shares(s: &mut Sink, n: &Node, path: &str) -> Option<Vec<(String, f64, Pos)>> {
    let m = mapping(s, n, path)?;
    if m.entries.is_empty() {
        s.err(m.pos, path, "needs at least one level");
        return None;
    }
    let mut out = Vec::with_capacity(m.entries.len());
    let mut ok = true;
    for (k, p, v) in &m.entries {
        let sub = m.child(k);
        match number(s, v, &sub) {
            Some(x) if x >= 0.0 => out.push((k.clone(), x, *p)),
            Some(x) => {
                s.err(
                    pos(v),
                    &sub,
                    format!("a share cannot be negative, found {x}"),
                );
                ok = false;
            }
            None => ok = false,
        }
    }
    if !ok {
        return None;
    }
    let sum: f64 = out.iter().map(|(_, x, _)| x).sum();
    let counts = out.iter().all(|(_, x, _)| x.fract() == 0.0) && sum > 1.0;
    if sum <= 0.0 {
        s.err(
            m.pos,
            path,
            "shares sum to 0; at least one must be positive",
        );
        return None;
    }
    if !counts && (sum - 1.0).abs() > SHARE_TOLERANCE {
        s.hint(
            m.pos,
            path,
            format!("shares sum to {}, not 1", round_for_display(sum)),
            "make the shares add up to 1, or give whole-number counts (they are normalised)",
        );
        return None;
    }
    for e in &mut out {
        e.1 /= sum;
    }
    Some(out)
}

/// Rounds to 12 significant digits so messages show 0.93, not 0.9300000000000002.
fn round_for_display(x: f64) -> f64 {
    format!("{x:.12}").parse().unwrap_or(x)
}

/// A distribution as written: kind and parameters, before defaults and checks.
#[derive(Clone, Default)]
struct DistSpec {
    kind: Option<(String, Pos, String)>,
    params: Vec<(String, f64, Pos, String)>,
    pos: Pos,
    path: String,
}

fn dist_spec(s: &mut Sink, n: &Node, path: &str, base: bool) -> Option<DistSpec> {
    let m = mapping(s, n, path)?;
    let mut spec = DistSpec {
        pos: m.pos,
        path: path.to_string(),
        ..Default::default()
    };
    for (k, p, v) in &m.entries {
        let sub = m.child(k);
        if k == "kind" {
            let kind = choice(s, v, &sub, "distribution", &Dist::KINDS)?;
            spec.kind = Some((kind, pos(v), sub));
        } else {
            // A value that is not a finite number is reported here; it is kept (as NaN) so
            // that the parameter does not also count as missing.
            let x = number(s, v, &sub).unwrap_or(f64::NAN);
            spec.params.push((k.clone(), x, *p, sub));
        }
    }
    if base && spec.kind.is_none() {
        s.hint(
            m.pos,
            path,
            "missing `kind`",
            format!("add `kind:` with one of: {}", Dist::KINDS.join(", ")),
        );
        return None;
    }
    Some(spec)
}

/// The parameter names of each distribution, required first then optional.
fn dist_params(kind: &str) -> (&'static [&'static str], &'static [&'static str]) {
    match kind {
        "uniform" => (&[], &["low", "high"]),
        "normal" => (&["mean", "sd"], &[]),
        "lognormal" => (&["mu", "sigma"], &[]),
        "gamma" => (&["shape", "scale"], &[]),
        "beta" => (&["alpha", "beta"], &["low", "high"]),
        "poisson" => (&["lambda"], &[]),
        _ => (&["rate"], &[]),
    }
}

/// Checks a (merged) distribution spec and builds the [`Dist`]. `min`/`max` are the column's
/// truncation bounds, used as the uniform range when `low`/`high` are not given.
fn resolve_dist(s: &mut Sink, spec: &DistSpec, min: Option<f64>, max: Option<f64>) -> Option<Dist> {
    let (kind, kind_pos, kind_path) = spec.kind.clone()?;
    let (required, optional) = dist_params(&kind);
    let mut ok = true;
    let mut vals: HashMap<&str, (f64, Pos, &str)> = HashMap::new();
    for (k, v, p, path) in &spec.params {
        if let Some(name) = required.iter().chain(optional).find(|n| **n == k.as_str()) {
            vals.insert(name, (*v, *p, path));
        } else {
            let allowed: Vec<&str> = required.iter().chain(optional).copied().collect();
            s.hint(
                *p,
                path,
                format!("`{kind}` has no parameter `{k}`"),
                format!(
                    "{} takes: {}{}",
                    kind,
                    allowed.join(", "),
                    did_you_mean(k, allowed.iter().copied())
                        .map(|c| format!(" (did you mean `{c}`?)"))
                        .unwrap_or_default()
                ),
            );
            ok = false;
        }
    }
    for r in required {
        if !vals.contains_key(r) {
            s.hint(
                kind_pos,
                &kind_path,
                format!("`{kind}` needs the parameter `{r}`"),
                format!("add `{r}:` next to `kind: {kind}`"),
            );
            ok = false;
        }
    }
    if !ok || vals.values().any(|v| !v.0.is_finite()) {
        return None;
    }
    let get = |k: &str| vals.get(k).map(|v| v.0);
    let mut positive = |k: &str| -> Option<f64> {
        let (v, p, path) = *vals.get(k)?;
        if v > 0.0 {
            Some(v)
        } else {
            s.err(p, path, format!("`{k}` must be greater than 0, found {v}"));
            None
        }
    };
    let dist = match kind.as_str() {
        "normal" => Dist::Normal {
            mean: get("mean")?,
            sd: positive("sd")?,
        },
        "lognormal" => Dist::LogNormal {
            mu: get("mu")?,
            sigma: positive("sigma")?,
        },
        "gamma" => {
            let shape = positive("shape");
            let scale = positive("scale");
            Dist::Gamma {
                shape: shape?,
                scale: scale?,
            }
        }
        "beta" => {
            let alpha = positive("alpha");
            let beta = positive("beta");
            let (low, high) = (get("low").unwrap_or(0.0), get("high").unwrap_or(1.0));
            if low >= high {
                s.err(
                    spec.pos,
                    &spec.path,
                    format!("`low` ({low}) must be less than `high` ({high})"),
                );
                return None;
            }
            Dist::Beta {
                alpha: alpha?,
                beta: beta?,
                low,
                high,
            }
        }
        "poisson" => Dist::Poisson {
            lambda: positive("lambda")?,
        },
        "exponential" => Dist::Exponential {
            rate: positive("rate")?,
        },
        _ => {
            let (low, high) = match (get("low").or(min), get("high").or(max)) {
                (Some(l), Some(h)) => (l, h),
                _ => {
                    s.hint(
                        kind_pos,
                        &kind_path,
                        "`uniform` needs `low` and `high`",
                        "add `low:` and `high:`, or give the column `min:` and `max:`",
                    );
                    return None;
                }
            };
            if low >= high {
                s.err(
                    spec.pos,
                    &spec.path,
                    format!("`low` ({low}) must be less than `high` ({high})"),
                );
                return None;
            }
            Dist::Uniform { low, high }
        }
    };
    Some(dist)
}

/// Overlays a case's partial distribution on the base: same kind -> parameters replaced one by
/// one; another kind -> the case's parameters alone.
fn merge_dist(base: &DistSpec, case: &DistSpec) -> DistSpec {
    let same_kind = match (&base.kind, &case.kind) {
        (_, None) => true,
        (Some(b), Some(c)) => b.0 == c.0,
        (None, Some(_)) => false,
    };
    let mut out = case.clone();
    if same_kind {
        out.kind = base.kind.clone();
        out.params = base
            .params
            .iter()
            .filter(|(k, ..)| !case.params.iter().any(|(ck, ..)| ck == k))
            .cloned()
            .chain(case.params.iter().cloned())
            .collect();
    }
    out
}

/// A reference from one column to another, resolved once all columns are known.
struct Ref {
    from: usize,
    to: String,
    pos: Pos,
    path: String,
    /// Levels of the referenced column named in `when`, with positions.
    levels: Vec<(String, Pos, String)>,
    need: Need,
}

#[derive(Clone, Copy, PartialEq)]
enum Need {
    /// Must be categorical (levels, bool or bins): `depends_on`, `when`, `sex`.
    Categories,
    /// Must be a string column: e-mail `from`.
    Text,
    /// Must be an int column: birth date `age`.
    Int,
    /// Must be numeric: formula inputs.
    Number,
    /// Must be a date or timestamp: elapsed-time starts.
    Temporal,
    /// Must be comparable with a column of this type: `after`, offset `from`.
    Same(ColumnType),
}

const TOP_KEYS: [&str; 13] = [
    "version",
    "name",
    "description",
    "seed",
    "rows",
    "columns",
    "targets",
    "fairness",
    "privacy",
    "quality",
    "input",
    "encryption",
    "tables",
];

const PRIVACY_KEYS: [&str; 8] = [
    "identifiers",
    "key_env",
    "k_anonymity",
    "l_diversity",
    "detection_threshold",
    "max_suppression",
    "max_unique_share",
    "unique_over",
];

pub(crate) const QUALITY_KEYS: [&str; 19] = [
    "min_overall",
    "min_column",
    "min_pair",
    "min_tstr_ratio",
    "max_exact_copies",
    "max_unique_copies",
    "max_membership_auc",
    "max_detection_auc",
    "max_singleton_advantage",
    "min_dcr_ratio",
    "min_k",
    "min_di",
    "max_di",
    "max_spd",
    "min_group_rows",
    "max_proxy_strength",
    "max_age_days",
    "max_drift",
    "max_dangling_keys",
];

const COLUMN_KEYS: [&str; 26] = [
    "name",
    "type",
    "role",
    "description",
    "nullable",
    "null_share",
    "bits",
    "levels",
    "bins",
    "shares",
    "probability",
    "distribution",
    "min",
    "max",
    "round",
    "generator",
    "depends_on",
    "cases",
    "action",
    "generalise",
    "acknowledge",
    "references",
    "children",
    "unique",
    "after",
    "null_unless",
];

/// Parses YAML text into documents with positions; syntax errors name line and column.
fn load(text: &str, file: &str) -> Result<Vec<Node>, SchemaError> {
    Node::load_from_str(text).map_err(|e| {
        // A tab in the indentation is the usual cause, but the parser reports where it gave
        // up, often a later line: point at the first indenting tab up to there instead.
        let tab = text
            .lines()
            .take(e.marker().line() + 1)
            .enumerate()
            .find_map(|(i, l)| {
                let indent = &l[..l.len() - l.trim_start().len()];
                indent.find('\t').map(|c| (i + 1, c + 1))
            });
        match tab {
            Some((line, col)) => SchemaError::Yaml {
                path: file.to_string(),
                line,
                col,
                message: "a tab in the indentation; YAML indents with spaces only\n    hint: indent with spaces instead of tabs".into(),
            },
            None => SchemaError::Yaml {
                path: file.to_string(),
                line: e.marker().line(),
                col: e.marker().col() + 1,
                message: e.info().to_string(),
            },
        }
    })
}

/// Turns collected diagnostics into one error, in file order and without repeats.
fn finish(s: Sink, file: &str) -> Result<(), SchemaError> {
    if s.items.is_empty() {
        return Ok(());
    }
    let mut items = s.items;
    items.sort_by_key(|d| d.pos);
    items.dedup();
    Err(SchemaError::Invalid(Diagnostics {
        file: file.to_string(),
        items,
    }))
}

/// A decoded schema file: one table, or linked tables.
#[allow(clippy::large_enum_variant)] // one per run
pub(crate) enum Decoded {
    /// `columns:` at the top level.
    Table(Schema),
    /// `tables:`.
    Database(Database),
}

pub(crate) fn decode(text: &str, file: &str) -> Result<Schema, SchemaError> {
    match decode_document(text, file)? {
        Decoded::Table(schema) => Ok(schema),
        Decoded::Database(db) => Err(SchemaError::Invalid(Diagnostics {
            file: file.to_string(),
            items: vec![Diagnostic {
                pos: db.tables.first().map_or(Pos { line: 1, col: 1 }, |t| t.pos),
                path: "tables".into(),
                message: format!(
                    "this schema declares {} linked tables; this command takes one table",
                    db.tables.len()
                ),
                hint: Some(
                    "`synth` and `schema check` take linked tables; for the other commands write a one-table schema (`columns:` at the top level)"
                        .into(),
                ),
            }],
        })),
    }
}

pub(crate) fn decode_document(text: &str, file: &str) -> Result<Decoded, SchemaError> {
    let docs = load(text, file)?;
    let mut s = Sink::default();
    let decoded = match docs.as_slice() {
        [] => {
            s.hint(
                Pos { line: 1, col: 1 },
                "(document)",
                "the file is empty",
                "start with `version: 1`, `name:` and `columns:`",
            );
            None
        }
        [doc] => {
            let mut quiet = Sink::default();
            let linked = mapping(&mut quiet, doc, "").is_some_and(|m| m.has("tables"));
            if linked {
                tables::decode_database(&mut s, doc).map(Decoded::Database)
            } else {
                decode_root(&mut s, doc).map(Decoded::Table)
            }
        }
        [_, second, ..] => {
            s.hint(
                pos(second),
                "(document)",
                "the file holds more than one YAML document",
                "keep one schema per file (remove the `---` separator)",
            );
            None
        }
    };
    finish(s, file)?;
    // A schema is missing only where a diagnostic says why.
    decoded.ok_or_else(|| {
        SchemaError::Invalid(Diagnostics {
            file: file.to_string(),
            items: vec![],
        })
    })
}

/// Whether the text is one YAML mapping with a `tables` key.
pub(crate) fn declares_tables(text: &str) -> bool {
    let Ok(docs) = load(text, "") else {
        return false;
    };
    let mut quiet = Sink::default();
    matches!(docs.as_slice(), [doc] if mapping(&mut quiet, doc, "").is_some_and(|m| m.has("tables")))
}

/// `version`, checked against [`SCHEMA_VERSION`].
fn decode_version(s: &mut Sink, m: &Map) -> Option<i64> {
    match m.get("version") {
        Some(v) => match integer(s, v, "version") {
            Some(SCHEMA_VERSION) => Some(SCHEMA_VERSION),
            Some(other) => {
                s.hint(
                    pos(v),
                    "version",
                    format!("unsupported schema version {other}"),
                    format!("this fairsynth reads `version: {SCHEMA_VERSION}`"),
                );
                None
            }
            None => None,
        },
        None => {
            s.hint(
                m.pos,
                "version",
                "missing `version`",
                format!("add `version: {SCHEMA_VERSION}` at the top"),
            );
            None
        }
    }
}

fn decode_root(s: &mut Sink, doc: &Node) -> Option<Schema> {
    let m = mapping(s, doc, "")?;
    m.only(s, &TOP_KEYS);
    let version = decode_version(s, &m);
    let seed = m.get("seed").and_then(|v| non_negative(s, v, "seed"));
    let schema = decode_body(s, &m, &[], false, &Lineage::default());
    Some(Schema {
        version: version?,
        seed,
        ..schema?
    })
}

/// The parts of a one-table schema below the header: name, rows, columns and policies. The
/// columns may read `context` columns (other tables' columns, named `table.column`); `linked`
/// allows foreign keys; `lineage` says where a linked table sits (what its `fairness:` may
/// name).
fn decode_body(
    s: &mut Sink,
    m: &Map,
    context: &[Column],
    linked: bool,
    lineage: &Lineage,
) -> Option<Schema> {
    let name = match m.get("name") {
        Some(v) => text(s, v, &m.child("name")),
        None => {
            s.hint(
                m.pos,
                &m.child("name"),
                "missing `name`",
                "add `name: my_dataset`",
            );
            None
        }
    };
    let description = m
        .get("description")
        .and_then(|v| text(s, v, &m.child("description")));
    let rows = match m.get("rows") {
        Some(v) => non_negative(s, v, &m.child("rows")),
        None => Some(1000),
    };

    let columns = match m.get("columns") {
        Some(v) => decode_columns(s, v, context, linked),
        None => {
            s.hint(
                m.pos,
                &m.child("columns"),
                "missing `columns`",
                "add `columns:` with a list of `- name: ...` entries",
            );
            None
        }
    }
    .unwrap_or_default();

    let targets = m
        .get("targets")
        .map(|v| decode_targets(s, v, &columns))
        .unwrap_or_default();
    let fairness = m
        .get("fairness")
        .and_then(|v| decode_fairness(s, v, &columns, lineage));
    let privacy = m
        .get("privacy")
        .map(|v| decode_privacy(s, v))
        .unwrap_or_default();
    let quality = m
        .get("quality")
        .map(|v| decode_quality(s, v))
        .unwrap_or_default();
    if let (Some((col, _)), Some(v)) = (&privacy.l_diversity, m.get("privacy")) {
        if !columns.is_empty() && !columns.iter().any(|c| &c.name == col) {
            let names: Vec<&str> = columns.iter().map(|c| c.name.as_str()).collect();
            // Point at the `column:` value itself.
            let mut quiet = Sink::default();
            let at = mapping(&mut quiet, v, "privacy")
                .and_then(|p| p.get("l_diversity"))
                .and_then(|l| mapping(&mut quiet, l, "privacy.l_diversity"))
                .and_then(|l| l.get("column"))
                .map_or(pos(v), pos);
            s.hint(
                at,
                "privacy.l_diversity.column",
                format!("no column is called `{col}`"),
                choices_hint(col, &names),
            );
        }
    }

    if let Some(v) = m.get("privacy") {
        check_unique_over(s, v, &privacy, &columns);
    }
    let input = m
        .get("input")
        .map(|v| decode_input(s, v))
        .unwrap_or_default();
    // A linked table's policy also depends on the top-level section (`apply_encryption`).
    let encryption = match m.get("encryption") {
        Some(v) if !linked => decode_encryption(s, v, &columns),
        _ => None,
    };

    Some(Schema {
        version: SCHEMA_VERSION,
        name: name?,
        description,
        seed: None,
        rows: rows?,
        columns,
        targets,
        fairness,
        privacy,
        quality,
        input,
        encryption,
        source: Source::default(),
    })
}

/// Every column `privacy.unique_over` names must be declared.
fn check_unique_over(s: &mut Sink, privacy_node: &Node, privacy: &Privacy, columns: &[Column]) {
    if columns.is_empty() {
        return;
    }
    let names: Vec<&str> = columns.iter().map(|c| c.name.as_str()).collect();
    let mut quiet = Sink::default();
    let items = mapping(&mut quiet, privacy_node, "privacy")
        .and_then(|p| p.get("unique_over"))
        .and_then(|l| sequence(&mut quiet, l, "privacy.unique_over"));
    for (i, item) in items.unwrap_or_default().iter().enumerate() {
        let Some(c) = scalar_text(item) else {
            continue;
        };
        if privacy.unique_over.contains(&c) && !names.contains(&c.as_str()) {
            s.hint(
                pos(item),
                &format!("privacy.unique_over[{i}]"),
                format!("no column is called `{c}`"),
                choices_hint(&c, &names),
            );
        }
    }
}

fn decode_columns(s: &mut Sink, n: &Node, context: &[Column], linked: bool) -> Option<Vec<Column>> {
    let items = sequence(s, n, "columns")?;
    if items.is_empty() {
        s.err(pos(n), "columns", "needs at least one column");
        return None;
    }
    // Names first, so references to later columns can say "used before it is defined".
    let mut names: Vec<Option<String>> = Vec::with_capacity(items.len());
    let mut seen: HashMap<String, Pos> = HashMap::new();
    for (i, item) in items.iter().enumerate() {
        let path = format!("columns[{i}]");
        let name = match &untag(item).data {
            YamlDataOwned::Mapping(_) => {
                let mut quiet = Sink::default();
                let m = mapping(&mut quiet, item, &path)?;
                match m.get("name") {
                    Some(v) => {
                        let name = text(s, v, &m.child("name"));
                        if let Some(nm) = &name {
                            if nm.trim().is_empty() {
                                s.err(pos(v), &m.child("name"), "a column name cannot be empty");
                            } else if let Some(first) = seen.get(nm) {
                                s.hint(
                                    pos(v),
                                    &m.child("name"),
                                    format!("column `{nm}` is defined twice"),
                                    format!(
                                        "the first definition is at line {}; rename one",
                                        first.line
                                    ),
                                );
                            } else {
                                seen.insert(nm.clone(), pos(v));
                            }
                        }
                        name
                    }
                    None => {
                        s.hint(m.pos, &path, "missing `name`", "add `name:` to the column");
                        None
                    }
                }
            }
            _ => None,
        };
        names.push(name);
    }

    let mut refs = Vec::new();
    let mut columns = Vec::with_capacity(items.len());
    let mut complete = true;
    for (i, item) in items.iter().enumerate() {
        match decode_column(s, item, i, names[i].clone(), &mut refs, linked) {
            Some(c) => columns.push(c),
            None => complete = false,
        }
    }
    if !complete {
        // Cross-column checks would only repeat noise about columns already reported.
        return None;
    }
    if context.is_empty() {
        check_refs(s, &columns, &refs);
    } else {
        // Other tables' columns come first, so every column of this table may read them.
        let all: Vec<Column> = context.iter().chain(&columns).cloned().collect();
        for r in &mut refs {
            r.from += context.len();
        }
        check_refs(s, &all, &refs);
    }
    check_rules(s, context, &columns);
    Some(columns)
}
