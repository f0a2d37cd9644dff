//! YAML -> [`Schema`], collecting every problem with its position and key path.

use std::collections::HashMap;

use saphyr::{LoadableYamlNode, MarkedYamlOwned, ScalarOwned, YamlDataOwned};

use super::diag::{choices_hint, did_you_mean, Pos, Sink};
use super::*;

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
}

const TOP_KEYS: [&str; 10] = [
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

pub(crate) const QUALITY_KEYS: [&str; 14] = [
    "min_overall",
    "min_column",
    "min_pair",
    "min_tstr_ratio",
    "max_exact_copies",
    "min_dcr_ratio",
    "min_k",
    "min_di",
    "max_di",
    "max_spd",
    "min_group_rows",
    "max_proxy_strength",
    "max_age_days",
    "max_drift",
];

const COLUMN_KEYS: [&str; 21] = [
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

pub(crate) fn decode(text: &str, file: &str) -> Result<Schema, SchemaError> {
    let docs = load(text, file)?;
    let mut s = Sink::default();
    let schema = match docs.as_slice() {
        [] => {
            s.hint(
                Pos { line: 1, col: 1 },
                "(document)",
                "the file is empty",
                "start with `version: 1`, `name:` and `columns:`",
            );
            None
        }
        [doc] => decode_root(&mut s, doc),
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
    schema.ok_or_else(|| {
        SchemaError::Invalid(Diagnostics {
            file: file.to_string(),
            items: vec![],
        })
    })
}

fn decode_root(s: &mut Sink, doc: &Node) -> Option<Schema> {
    let m = mapping(s, doc, "")?;
    m.only(s, &TOP_KEYS);

    let version = match m.get("version") {
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
    };
    let name = match m.get("name") {
        Some(v) => text(s, v, "name"),
        None => {
            s.hint(m.pos, "name", "missing `name`", "add `name: my_dataset`");
            None
        }
    };
    let description = m.get("description").and_then(|v| text(s, v, "description"));
    let seed = m.get("seed").and_then(|v| non_negative(s, v, "seed"));
    let rows = match m.get("rows") {
        Some(v) => non_negative(s, v, "rows"),
        None => Some(1000),
    };

    let columns = match m.get("columns") {
        Some(v) => decode_columns(s, v),
        None => {
            s.hint(
                m.pos,
                "columns",
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
        .and_then(|v| decode_fairness(s, v, &columns));
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

    Some(Schema {
        version: version?,
        name: name?,
        description,
        seed,
        rows: rows?,
        columns,
        targets,
        fairness,
        privacy,
        quality,
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

fn decode_columns(s: &mut Sink, n: &Node) -> Option<Vec<Column>> {
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
        match decode_column(s, item, i, names[i].clone(), &mut refs) {
            Some(c) => columns.push(c),
            None => complete = false,
        }
    }
    if !complete {
        // Cross-column checks would only repeat noise about columns already reported.
        return None;
    }
    check_refs(s, &columns, &refs);
    Some(columns)
}

fn decode_column(
    s: &mut Sink,
    n: &Node,
    index: usize,
    name: Option<String>,
    refs: &mut Vec<Ref>,
) -> Option<Column> {
    let path = format!("columns[{index}]");
    let m = mapping(s, n, &path)?;
    m.only(s, &COLUMN_KEYS);
    let name = name?;

    let ty = match m.get("type") {
        Some(v) => choice(s, v, &m.child("type"), "type", &ColumnType::NAMES),
        None => {
            s.hint(
                m.pos,
                &m.child("type"),
                format!("column `{name}` has no `type`"),
                format!("add `type:` with one of: {}", ColumnType::NAMES.join(", ")),
            );
            None
        }
    };
    let bits = m.get("bits").and_then(|v| integer(s, v, &m.child("bits")));
    let ty = match ty.as_deref() {
        Some("string") => Some(ColumnType::String),
        Some("int") => match bits {
            None | Some(64) => Some(ColumnType::Int { bits: 64 }),
            Some(32) => Some(ColumnType::Int { bits: 32 }),
            Some(b) => {
                s.err(
                    m.key_pos("bits"),
                    &m.child("bits"),
                    format!("`bits` must be 32 or 64, found {b}"),
                );
                None
            }
        },
        Some("float") => Some(ColumnType::Float),
        Some("bool") => Some(ColumnType::Bool),
        Some("date") => Some(ColumnType::Date),
        Some("timestamp") => Some(ColumnType::Timestamp),
        Some("category") => Some(ColumnType::Category),
        _ => None,
    };
    if bits.is_some() && !matches!(ty, Some(ColumnType::Int { .. }) | None) {
        s.err(
            m.key_pos("bits"),
            &m.child("bits"),
            "`bits` applies only to `type: int`",
        );
    }

    let (role, quasi_identifier) = match m.get("role") {
        Some(v) => decode_role(s, v, &m.child("role"))?,
        None => (Role::Feature, false),
    };
    let description = m
        .get("description")
        .and_then(|v| text(s, v, &m.child("description")));
    let null_share = m
        .get("null_share")
        .and_then(|v| {
            let p = probability(s, v, &m.child("null_share"))?;
            if p >= 1.0 {
                s.err(
                    pos(v),
                    &m.child("null_share"),
                    "must be less than 1 (a column of nulls only carries nothing)",
                );
                None
            } else {
                Some(p)
            }
        })
        .unwrap_or(0.0);
    let nullable = match m.get("nullable") {
        Some(v) => {
            let b = boolean(s, v, &m.child("nullable")).unwrap_or(true);
            if !b && null_share > 0.0 {
                s.hint(
                    pos(v),
                    &m.child("nullable"),
                    "`nullable: false` contradicts `null_share`",
                    "remove one of them",
                );
            }
            b
        }
        None => null_share > 0.0,
    };
    let ty = ty?;

    match role {
        Role::Weight if !ty.is_numeric() => s.hint(
            m.key_pos("role"),
            &m.child("role"),
            "a `weight` column must be numeric",
            "use `type: float` (or int)",
        ),
        Role::Consent if ty != ColumnType::Bool => s.hint(
            m.key_pos("role"),
            &m.child("role"),
            "a `consent` column must be `type: bool`",
            "store consent as true/false",
        ),
        _ => {}
    }

    // Keys that only make sense for some types.
    let applies: &[(&str, &[ColumnType], &str)] = &[
        (
            "bins",
            &[
                ColumnType::Int { bits: 64 },
                ColumnType::Int { bits: 32 },
                ColumnType::Float,
            ],
            "numbers",
        ),
        (
            "distribution",
            &[
                ColumnType::Int { bits: 64 },
                ColumnType::Int { bits: 32 },
                ColumnType::Float,
            ],
            "numbers",
        ),
        ("round", &[ColumnType::Float], "float columns"),
        ("probability", &[ColumnType::Bool], "bool columns"),
        (
            "shares",
            &[ColumnType::Category, ColumnType::String],
            "category and string columns",
        ),
        (
            "levels",
            &[ColumnType::Category, ColumnType::String],
            "category and string columns",
        ),
        (
            "min",
            &[
                ColumnType::Int { bits: 64 },
                ColumnType::Int { bits: 32 },
                ColumnType::Float,
                ColumnType::Date,
                ColumnType::Timestamp,
            ],
            "numbers, dates and timestamps",
        ),
        (
            "max",
            &[
                ColumnType::Int { bits: 64 },
                ColumnType::Int { bits: 32 },
                ColumnType::Float,
                ColumnType::Date,
                ColumnType::Timestamp,
            ],
            "numbers, dates and timestamps",
        ),
    ];
    let mut misplaced = false;
    for (key, types, what) in applies {
        if m.has(key) && !types.contains(&ty) {
            s.err(
                m.key_pos(key),
                &m.child(key),
                format!(
                    "`{key}` applies only to {what}, not to {} columns",
                    type_name(ty)
                ),
            );
            misplaced = true;
        }
    }

    let bins = m
        .get("bins")
        .and_then(|v| decode_bins(s, v, &m.child("bins"), ty));
    // Numeric bounds: truncation for a distribution, and declared bounds for real data.
    let (mut min, mut max) = (None, None);
    if ty.is_numeric() && !misplaced {
        min = m.get("min").and_then(|v| number(s, v, &m.child("min")));
        max = m.get("max").and_then(|v| number(s, v, &m.child("max")));
        if let (Some(lo), Some(hi)) = (min, max) {
            if lo > hi {
                s.hint(
                    m.key_pos("min"),
                    &m.child("min"),
                    format!("min ({lo}) is greater than max ({hi})"),
                    "swap them",
                );
                misplaced = true;
            }
        }
        if m.has("round") && !m.has("distribution") {
            s.hint(
                m.key_pos("round"),
                &m.child("round"),
                "`round` applies to values drawn from a `distribution`",
                "add a `distribution`, or remove `round`",
            );
        }
    }
    let action = m
        .get("action")
        .and_then(|v| decode_action(s, v, &m.child("action")));
    let generalise = m
        .get("generalise")
        .map(|v| decode_generalise(s, v, &m.child("generalise"), ty))
        .unwrap_or_default();
    let acknowledge = m
        .get("acknowledge")
        .map(|v| decode_acknowledge(s, v, &m.child("acknowledge")))
        .unwrap_or_default();

    // Levels: declared, or taken from shares.
    let mut levels: Option<Vec<String>> = if ty == ColumnType::Bool {
        Some(vec!["false".into(), "true".into()])
    } else {
        None
    };
    if let Some(v) = m.get("levels").filter(|_| !misplaced) {
        if let Some(items) = sequence(s, v, &m.child("levels")) {
            let mut ls: Vec<String> = Vec::new();
            // By hash: a column may declare millions of levels.
            let mut listed = std::collections::HashSet::new();
            for (i, it) in items.iter().enumerate() {
                let p = format!("{}[{i}]", m.child("levels"));
                if let Some(l) = level(s, it, &p) {
                    if !listed.insert(l.clone()) {
                        s.err(pos(it), &p, format!("level `{l}` is listed twice"));
                    } else {
                        ls.push(l);
                    }
                }
            }
            levels = Some(ls);
        }
    }

    let generator = if misplaced {
        None
    } else {
        let g = decode_generator(s, &m, index, &name, ty, (min, max), &mut levels, refs);
        if g.is_none() && !s.items.is_empty() {
            orphan_case_refs(s, &m, index, refs);
        }
        g
    };

    Some(Column {
        name,
        pos: m.pos,
        ty,
        role,
        quasi_identifier,
        description,
        nullable,
        null_share,
        levels,
        bins,
        min,
        max,
        generator,
        action,
        generalise,
        acknowledge,
    })
}

/// `role: name` or `role: [name, ...]`: the primary role and whether the column is also a
/// quasi-identifier. Only `quasi_identifier` combines: a protected attribute or a label (or a
/// plain feature) can identify in combination too, while identifier, weight and consent columns
/// have one meaning each.
fn decode_role(s: &mut Sink, n: &Node, path: &str) -> Option<(Role, bool)> {
    let one = |s: &mut Sink, n: &Node, path: &str| -> Option<Role> {
        Some(match choice(s, n, path, "role", &Role::NAMES)?.as_str() {
            "identifier" => Role::Identifier,
            "quasi_identifier" => Role::QuasiIdentifier,
            "protected" => Role::Protected,
            "label" => Role::Label,
            "weight" => Role::Weight,
            "consent" => Role::Consent,
            _ => Role::Feature,
        })
    };
    let items = match &untag(n).data {
        YamlDataOwned::Sequence(items) => items,
        _ => {
            let r = one(s, n, path)?;
            return Some((r, r == Role::QuasiIdentifier));
        }
    };
    if items.is_empty() {
        s.hint(
            pos(n),
            path,
            "an empty role list",
            "leave `role` out for a plain feature, or name at least one role",
        );
        return None;
    }
    let mut roles: Vec<(Role, Pos)> = Vec::new();
    let mut ok = true;
    for (i, item) in items.iter().enumerate() {
        let ipath = format!("{path}[{i}]");
        match one(s, item, &ipath) {
            Some(r) if roles.iter().any(|(x, _)| *x == r) => s.hint(
                pos(item),
                &ipath,
                format!("role `{}` is listed twice", r.name()),
                "list each role once",
            ),
            Some(r) => roles.push((r, pos(item))),
            None => ok = false,
        }
    }
    if !ok {
        return None;
    }
    let quasi = roles.iter().any(|(r, _)| *r == Role::QuasiIdentifier);
    let others: Vec<&(Role, Pos)> = roles
        .iter()
        .filter(|(r, _)| !matches!(r, Role::QuasiIdentifier | Role::Feature))
        .collect();
    match others.as_slice() {
        [] => Some((
            if quasi {
                Role::QuasiIdentifier
            } else {
                Role::Feature
            },
            quasi,
        )),
        [(r, p)] if !quasi || matches!(r, Role::Protected | Role::Label) => Some((*r, quasi)),
        [(r, p)] => {
            s.hint(
                *p,
                path,
                format!("role `{}` cannot be combined with `quasi_identifier`", r.name()),
                match r {
                    Role::Identifier => {
                        "an identifier is dropped or pseudonymised, never generalised: use one of the two roles"
                    }
                    _ => "a weight or consent column describes the record, not the person: use one role",
                },
            );
            None
        }
        [(a, _), (b, p), ..] => {
            s.hint(
                *p,
                path,
                format!("roles `{}` and `{}` cannot be combined", a.name(), b.name()),
                "only `quasi_identifier` combines with another role (e.g. `role: [protected, quasi_identifier]`)",
            );
            None
        }
    }
}

/// `generalise:` levels, least to most general.
fn decode_generalise(s: &mut Sink, n: &Node, path: &str, ty: ColumnType) -> Vec<GenLevel> {
    let Some(items) = sequence(s, n, path) else {
        return vec![];
    };
    let mut out = Vec::new();
    for (i, it) in items.iter().enumerate() {
        let p = format!("{path}[{i}]");
        let level = match &untag(it).data {
            YamlDataOwned::Mapping(_) => {
                let Some(m) = mapping(s, it, &p) else {
                    continue;
                };
                m.only(s, &["width", "edges", "top", "bottom", "prefix"]);
                let num = |s: &mut Sink, k: &str| m.get(k).and_then(|v| number(s, v, &m.child(k)));
                if let Some(v) = m.get("prefix") {
                    match non_negative(s, v, &m.child("prefix")) {
                        Some(k) if k >= 1 => GenLevel::Prefix(k as usize),
                        Some(_) => {
                            s.hint(
                                pos(v),
                                &m.child("prefix"),
                                "a prefix keeps at least 1 character",
                                "use `suppress` to hide the value entirely",
                            );
                            continue;
                        }
                        None => continue,
                    }
                } else if let Some(v) = m.get("edges") {
                    let Some(b) = decode_bins(s, v, &m.child("edges"), ty) else {
                        continue;
                    };
                    GenLevel::Bands(b)
                } else {
                    let (top, bottom) = (num(s, "top"), num(s, "bottom"));
                    let width = match m.get("width") {
                        Some(v) => match number(s, v, &m.child("width")) {
                            Some(w) if w > 0.0 => Some(w),
                            Some(w) => {
                                s.err(
                                    pos(v),
                                    &m.child("width"),
                                    format!("`width` must be greater than 0, found {w}"),
                                );
                                continue;
                            }
                            None => continue,
                        },
                        None => None,
                    };
                    if width.is_none() && top.is_none() && bottom.is_none() {
                        s.hint(m.pos, &p, "a generalisation level needs `width`, `edges`, `top`/`bottom` or `prefix`", "e.g. `{width: 10}` or `{prefix: 3}`");
                        continue;
                    }
                    if let (Some(b), Some(t)) = (bottom, top) {
                        if b >= t {
                            s.hint(
                                m.pos,
                                &p,
                                format!("bottom ({b}) must be below top ({t})"),
                                "swap them",
                            );
                            continue;
                        }
                    }
                    GenLevel::Numeric { width, bottom, top }
                }
            }
            _ => match choice(
                s,
                it,
                &p,
                "generalisation",
                &["day", "month", "year", "suppress"],
            )
            .as_deref()
            {
                Some("day") => GenLevel::Day,
                Some("month") => GenLevel::Month,
                Some("year") => GenLevel::Year,
                Some(_) => GenLevel::Suppress,
                None => continue,
            },
        };
        let fits = match &level {
            GenLevel::Numeric { .. } | GenLevel::Bands(_) => ty.is_numeric(),
            GenLevel::Day | GenLevel::Month | GenLevel::Year => {
                matches!(ty, ColumnType::Date | ColumnType::Timestamp)
            }
            GenLevel::Prefix(_) => matches!(ty, ColumnType::String | ColumnType::Category),
            GenLevel::Suppress => true,
        };
        if !fits {
            s.hint(
                pos(it),
                &p,
                format!("this generalisation does not apply to a {} column", type_name(ty)),
                "numbers take `width`/`edges`/`top`/`bottom`, dates `day`/`month`/`year`, text `prefix`; any column `suppress`",
            );
            continue;
        }
        out.push(level);
    }
    out
}

fn decode_acknowledge(s: &mut Sink, n: &Node, path: &str) -> Vec<String> {
    let Some(items) = sequence(s, n, path) else {
        return vec![];
    };
    items
        .iter()
        .enumerate()
        .filter_map(|(i, it)| {
            choice(
                s,
                it,
                &format!("{path}[{i}]"),
                "identifier kind",
                &IDENTIFIER_KINDS,
            )
            .map(|k| k.to_string())
        })
        .collect()
}

fn type_name(ty: ColumnType) -> &'static str {
    match ty {
        ColumnType::String => "string",
        ColumnType::Int { .. } => "int",
        ColumnType::Float => "float",
        ColumnType::Bool => "bool",
        ColumnType::Date => "date",
        ColumnType::Timestamp => "timestamp",
        ColumnType::Category => "category",
    }
}

fn decode_action(s: &mut Sink, n: &Node, path: &str) -> Option<Action> {
    let t = text(s, n, path)?;
    // Both spellings are common; accept the US one silently.
    match t.as_str() {
        "drop" => Some(Action::Drop),
        "pseudonymise" | "pseudonymize" => Some(Action::Pseudonymise),
        "fake" => Some(Action::Fake),
        "redact" => Some(Action::Redact),
        "keep" => Some(Action::Keep),
        _ => {
            s.hint(
                pos(n),
                path,
                format!("unknown action `{t}`"),
                choices_hint(&t, &Action::NAMES),
            );
            None
        }
    }
}

fn decode_bins(s: &mut Sink, n: &Node, path: &str, ty: ColumnType) -> Option<Bins> {
    // `bins: [18, 25, 35]` or `bins: {edges: [...], labels: [...]}`.
    let (edges_node, labels_node, edges_path) = match &untag(n).data {
        YamlDataOwned::Sequence(_) => (n, None, path.to_string()),
        _ => {
            let m = mapping(s, n, path)?;
            m.only(s, &["edges", "labels"]);
            let Some(e) = m.get("edges") else {
                s.hint(
                    m.pos,
                    path,
                    "missing `edges`",
                    "add `edges: [0, 18, 65, 120]`",
                );
                return None;
            };
            (e, m.get("labels"), m.child("edges"))
        }
    };
    let items = sequence(s, edges_node, &edges_path)?;
    let mut edges = Vec::with_capacity(items.len());
    for (i, it) in items.iter().enumerate() {
        edges.push(number(s, it, &format!("{edges_path}[{i}]"))?);
    }
    if edges.len() < 2 {
        s.hint(
            pos(edges_node),
            &edges_path,
            "bins need at least two edges",
            "e.g. `[0, 18, 65, 120]` makes three bands",
        );
        return None;
    }
    if let Some(w) = edges.windows(2).position(|w| w[0] >= w[1]) {
        s.err(
            pos(&items[w + 1]),
            &format!("{edges_path}[{}]", w + 1),
            format!(
                "edges must increase: {} comes after {}",
                edges[w + 1],
                edges[w]
            ),
        );
        return None;
    }
    let labels = match labels_node {
        Some(ln) => {
            let lpath = join(path, "labels");
            let items = sequence(s, ln, &lpath)?;
            let mut labels = Vec::with_capacity(items.len());
            for (i, it) in items.iter().enumerate() {
                let l = level(s, it, &format!("{lpath}[{i}]"))?;
                if labels.contains(&l) {
                    s.err(
                        pos(it),
                        &format!("{lpath}[{i}]"),
                        format!("label `{l}` is used twice"),
                    );
                    return None;
                }
                labels.push(l);
            }
            if labels.len() != edges.len() - 1 {
                s.hint(
                    pos(ln),
                    &lpath,
                    format!("{} labels for {} bands", labels.len(), edges.len() - 1),
                    format!(
                        "{} edges make {} bands; give one label per band",
                        edges.len(),
                        edges.len() - 1
                    ),
                );
                return None;
            }
            labels
        }
        None => auto_labels(&edges, matches!(ty, ColumnType::Int { .. })),
    };
    Some(Bins { edges, labels })
}

/// `18-24` style labels for whole-number bands, `[18, 25)` for real ones.
fn auto_labels(edges: &[f64], whole: bool) -> Vec<String> {
    let last = edges.len() - 2;
    edges
        .windows(2)
        .enumerate()
        .map(|(i, w)| {
            if whole && w[0].fract() == 0.0 && w[1].fract() == 0.0 {
                let hi = if i == last { w[1] } else { w[1] - 1.0 };
                format!("{}-{}", w[0], hi)
            } else if i == last {
                format!("[{}, {}]", w[0], w[1])
            } else {
                format!("[{}, {})", w[0], w[1])
            }
        })
        .collect()
}

/// Keys that choose a generator, for "give only one of" checks.
const GEN_KEYS: [&str; 4] = ["shares", "probability", "distribution", "generator"];

#[allow(clippy::too_many_arguments)]
fn decode_generator(
    s: &mut Sink,
    m: &Map,
    index: usize,
    name: &str,
    ty: ColumnType,
    (min, max): (Option<f64>, Option<f64>),
    levels: &mut Option<Vec<String>>,
    refs: &mut Vec<Ref>,
) -> Option<GenSpec> {
    let given: Vec<&str> = GEN_KEYS.iter().copied().filter(|k| m.has(k)).collect();
    if given.len() > 1 {
        s.hint(
            m.key_pos(given[1]),
            &m.child(given[1]),
            format!(
                "`{}` and `{}` both say how to generate `{name}`",
                given[0], given[1]
            ),
            "keep one of them",
        );
        return None;
    }
    let base = match (given.first().copied(), ty) {
        (Some("shares"), _) => {
            let sh = shares(s, m.get("shares")?, &m.child("shares"))?;
            match levels {
                Some(ls) => {
                    let listed: std::collections::HashSet<&String> = ls.iter().collect();
                    for (l, _, p) in &sh {
                        if !listed.contains(l) {
                            s.hint(
                                *p,
                                &m.child("shares"),
                                format!("level `{l}` is not in `levels`"),
                                format!("add it to `levels`, or use one of: {}", ls.join(", ")),
                            );
                        }
                    }
                }
                None => *levels = Some(sh.iter().map(|(l, ..)| l.clone()).collect()),
            }
            Generator::Categorical(sh.into_iter().map(|(l, x, _)| (l, x)).collect())
        }
        (Some("probability"), _) => Generator::Bernoulli(probability(
            s,
            m.get("probability")?,
            &m.child("probability"),
        )?),
        (Some("distribution"), _) => {
            let round = match m.get("round") {
                Some(v) => match non_negative(s, v, &m.child("round")) {
                    Some(r) if r <= 15 => Some(r as u32),
                    Some(r) => {
                        s.err(
                            pos(v),
                            &m.child("round"),
                            format!("`round` is a number of decimal places (0 to 15), found {r}"),
                        );
                        return None;
                    }
                    None => return None,
                },
                None => None,
            };
            let spec = dist_spec(s, m.get("distribution")?, &m.child("distribution"), true)?;
            let dist = resolve_dist(s, &spec, min, max)?;
            if let (Some(lo), Some(hi)) = (min, max) {
                check_truncation(s, m, &dist, lo, hi);
            }
            if let ColumnType::Int { bits } = ty {
                check_int_range(s, m, &dist, (min, max), bits);
            }
            Generator::Numeric {
                dist,
                min,
                max,
                round,
            }
        }
        (Some(_), _) => decode_kind(s, m, index, ty, refs)?,
        (None, ColumnType::Date) if m.has("min") || m.has("max") => {
            let (lo, hi) = date_range(s, m, parse_date_i64, "YYYY-MM-DD")?;
            Generator::Dates {
                min: i32::try_from(lo).ok()?,
                max: i32::try_from(hi).ok()?,
            }
        }
        (None, ColumnType::Timestamp) if m.has("min") || m.has("max") => {
            let (lo, hi) =
                date_range(s, m, crate::schema::parse_timestamp, "YYYY-MM-DDTHH:MM:SSZ")?;
            Generator::Timestamps { min: lo, max: hi }
        }
        (None, _) => {
            if m.has("cases") || m.has("depends_on") {
                s.hint(
                    m.pos,
                    &m.path,
                    format!("`cases` need a base generator for `{name}`"),
                    "add `shares`, `probability` or `distribution` next to `cases`",
                );
            }
            // No generator: the column can be read and reweighted, but not synthesised.
            return None;
        }
    };

    let supports_cases = matches!(
        base,
        Generator::Categorical(_) | Generator::Bernoulli(_) | Generator::Numeric { .. }
    );
    let mut depends_on: Vec<String> = Vec::new();
    if let Some(v) = m.get("depends_on") {
        let p = m.child("depends_on");
        if let Some(items) = sequence(s, v, &p) {
            for (i, it) in items.iter().enumerate() {
                let ip = format!("{p}[{i}]");
                if let Some(col) = text(s, it, &ip) {
                    refs.push(Ref {
                        from: index,
                        to: col.clone(),
                        pos: pos(it),
                        path: ip,
                        levels: vec![],
                        need: Need::Categories,
                    });
                    depends_on.push(col);
                }
            }
        }
    }
    let mut cases = Vec::new();
    if let Some(v) = m.get("cases") {
        let p = m.child("cases");
        if !supports_cases {
            s.hint(
                m.key_pos("cases"),
                &p,
                "`cases` apply only to `shares`, `probability` and `distribution`",
                "remove `cases`",
            );
            return None;
        }
        let items = sequence(s, v, &p)?;
        let explicit_deps = m.has("depends_on");
        for (i, it) in items.iter().enumerate() {
            let cp = format!("{p}[{i}]");
            if let Some(c) = decode_case(s, it, &cp, m, index, &base, levels.as_deref(), refs) {
                for (col, _) in &c.when {
                    if !depends_on.contains(col) {
                        if explicit_deps {
                            s.hint(
                                c.pos,
                                &cp,
                                format!("`when` names `{col}`, which is not in `depends_on`"),
                                format!("add `{col}` to `depends_on`"),
                            );
                        } else {
                            depends_on.push(col.clone());
                        }
                    }
                }
                cases.push(c);
            }
        }
    } else if m.has("depends_on") {
        s.hint(
            m.key_pos("depends_on"),
            &m.child("depends_on"),
            "`depends_on` without `cases` changes nothing",
            "add `cases:` with `when:` conditions, or remove `depends_on`",
        );
    }
    Some(GenSpec {
        base,
        depends_on,
        cases,
    })
}

/// Warns when truncation leaves almost none of a distribution's mass (rejection would stall).
fn check_truncation(s: &mut Sink, m: &Map, dist: &Dist, lo: f64, hi: f64) {
    let inside = match *dist {
        Dist::Uniform { low, high } => (hi.min(high) - lo.max(low)).max(0.0) / (high - low),
        Dist::Normal { mean, sd } => normal_cdf((hi - mean) / sd) - normal_cdf((lo - mean) / sd),
        Dist::LogNormal { mu, sigma } if hi > 0.0 => {
            let l = if lo > 0.0 {
                normal_cdf((lo.ln() - mu) / sigma)
            } else {
                0.0
            };
            normal_cdf((hi.ln() - mu) / sigma) - l
        }
        Dist::LogNormal { .. } => 0.0,
        _ => 1.0,
    };
    if inside < 1e-3 {
        s.hint(
            m.key_pos("min"),
            &m.child("min"),
            format!(
                "`min`..`max` ({lo}..{hi}) keeps less than 0.1% of the distribution (mean {})",
                dist.mean()
            ),
            "widen the range or move the distribution into it",
        );
    }
}

/// An int column's generated values are rounded into 64 (or 32) bits; values beyond that range
/// would saturate silently at the largest int, so such a distribution is refused.
fn check_int_range(
    s: &mut Sink,
    m: &Map,
    dist: &Dist,
    bounds: (Option<f64>, Option<f64>),
    bits: u8,
) {
    let limit = if bits == 32 {
        f64::from(i32::MAX)
    } else {
        i64::MAX as f64
    };
    // Where practically every value falls (beyond 10 standard deviations, or the equivalent
    // tail, nothing is drawn in any realistic number of rows).
    let (lo, hi) = match *dist {
        Dist::Uniform { low, high } | Dist::Beta { low, high, .. } => (low, high),
        Dist::Normal { mean, sd } => (mean - 10.0 * sd, mean + 10.0 * sd),
        Dist::LogNormal { mu, sigma } => (0.0, (mu + 10.0 * sigma).exp()),
        Dist::Gamma { shape, scale } => (0.0, scale * (shape + 10.0 * shape.sqrt() + 40.0)),
        Dist::Poisson { lambda } => (0.0, lambda + 10.0 * lambda.sqrt() + 10.0),
        Dist::Exponential { rate } => (0.0, 40.0 / rate),
    };
    let lo = bounds.0.map_or(lo, |b| lo.max(b));
    let hi = bounds.1.map_or(hi, |b| hi.min(b));
    if lo < -limit || hi > limit || !lo.is_finite() || !hi.is_finite() {
        s.hint(
            m.key_pos("distribution"),
            &m.child("distribution"),
            format!(
                "this distribution gives values up to about {:e} in size, beyond the {bits}-bit int range (±{limit:e}); they would all be clipped to the largest int",
                lo.abs().max(hi.abs())
            ),
            "change the parameters, give the column `min` and `max` within the range, or use `type: float`",
        );
    }
}

/// Standard normal CDF (Abramowitz & Stegun 7.1.26 erf approximation, |error| < 1.5e-7).
fn normal_cdf(z: f64) -> f64 {
    let x = z.abs() / std::f64::consts::SQRT_2;
    let t = 1.0 / (1.0 + 0.327_591_1 * x);
    let poly = t
        * (0.254_829_592
            + t * (-0.284_496_736
                + t * (1.421_413_741 + t * (-1.453_152_027 + t * 1.061_405_429))));
    let erf = 1.0 - poly * (-x * x).exp();
    if z >= 0.0 {
        0.5 * (1.0 + erf)
    } else {
        0.5 * (1.0 - erf)
    }
}

fn date_range(
    s: &mut Sink,
    m: &Map,
    parse: fn(&str) -> Option<i64>,
    format: &str,
) -> Option<(i64, i64)> {
    let mut get = |key: &str| -> Option<i64> {
        let Some(v) = m.get(key) else {
            s.hint(
                m.pos,
                &m.child(key),
                format!("missing `{key}`"),
                format!("dates are drawn uniformly between `min` and `max` ({format})"),
            );
            return None;
        };
        let t = date_text(s, v, &m.child(key), format)?;
        let parsed = parse(&t);
        if parsed.is_none() {
            s.hint(
                pos(v),
                &m.child(key),
                format!("`{t}` is not a valid date"),
                format!("write it as {format}"),
            );
        }
        parsed
    };
    let lo = get("min");
    let hi = get("max");
    let (lo, hi) = (lo?, hi?);
    if lo > hi {
        s.hint(
            m.key_pos("min"),
            &m.child("min"),
            "min is after max",
            "swap them",
        );
        return None;
    }
    Some((lo, hi))
}

/// A date or timestamp written as a plain scalar.
fn date_text(s: &mut Sink, n: &Node, path: &str, format: &str) -> Option<String> {
    let t = scalar_text(n);
    if t.is_none() {
        s.hint(
            pos(n),
            path,
            format!("expected a date, found {}", describe(n)),
            format!("write it as {format}"),
        );
    }
    t
}

fn parse_date_i64(t: &str) -> Option<i64> {
    crate::schema::parse_date(t).map(i64::from)
}

/// `generator: {kind: ...}` and its shorthand `generator: uuid`.
fn decode_kind(
    s: &mut Sink,
    m: &Map,
    index: usize,
    ty: ColumnType,
    refs: &mut Vec<Ref>,
) -> Option<Generator> {
    let n = m.get("generator")?;
    let path = m.child("generator");
    let (kind, g) = match &untag(n).data {
        YamlDataOwned::Mapping(_) => {
            let g = mapping(s, n, &path)?;
            let Some(k) = g.get("kind") else {
                s.hint(
                    g.pos,
                    &path,
                    "missing `kind`",
                    format!("add `kind:` with one of: {}", Generator::KINDS.join(", ")),
                );
                return None;
            };
            (
                choice(s, k, &g.child("kind"), "generator", &Generator::KINDS)?,
                Some(g),
            )
        }
        _ => (choice(s, n, &path, "generator", &Generator::KINDS)?, None),
    };
    let allowed: &[&str] = match kind.as_str() {
        "sequence" => &["kind", "start", "step", "prefix"],
        "pattern" => &["kind", "pattern"],
        "person_name" => &["kind", "locale", "part", "sex"],
        "email" => &["kind", "locale", "from"],
        "phone" | "address" => &["kind", "locale"],
        "birth_date" => &["kind", "age", "reference"],
        _ => &["kind"],
    };
    if let Some(g) = &g {
        g.only(s, allowed);
    }
    let field = |key: &str| g.as_ref().and_then(|g| g.get(key));
    let fpath = |key: &str| join(&path, key);
    let string_only = [
        "uuid",
        "pattern",
        "person_name",
        "email",
        "phone",
        "address",
    ];
    let ok_type = match kind.as_str() {
        "sequence" => matches!(ty, ColumnType::Int { .. } | ColumnType::String),
        "birth_date" => ty == ColumnType::Date,
        k if string_only.contains(&k) => ty == ColumnType::String,
        _ => false,
    };
    if !ok_type {
        let want = match kind.as_str() {
            "sequence" => "int or string",
            "birth_date" => "date",
            _ => "string",
        };
        s.hint(
            pos(n),
            &path,
            format!(
                "the `{kind}` generator makes {want} values, but the column is `{}`",
                type_name(ty)
            ),
            format!("set `type: {}`", want.split(' ').next().unwrap_or(want)),
        );
        return None;
    }
    let locale = |s: &mut Sink| -> Option<Locale> {
        match field("locale") {
            None => Some(Locale::En),
            Some(v) => match choice(s, v, &fpath("locale"), "locale", &Locale::NAMES)?.as_str() {
                "de" => Some(Locale::De),
                _ => Some(Locale::En),
            },
        }
    };
    let mut col_ref = |s: &mut Sink, key: &str, need: Need| -> Option<Option<String>> {
        match field(key) {
            None => Some(None),
            Some(v) => {
                let c = text(s, v, &fpath(key))?;
                refs.push(Ref {
                    from: index,
                    to: c.clone(),
                    pos: pos(v),
                    path: fpath(key),
                    levels: vec![],
                    need,
                });
                Some(Some(c))
            }
        }
    };
    Some(match kind.as_str() {
        "sequence" => {
            let start = field("start")
                .map(|v| integer(s, v, &fpath("start")))
                .unwrap_or(Some(1))?;
            let step = field("step")
                .map(|v| integer(s, v, &fpath("step")))
                .unwrap_or(Some(1))?;
            if step == 0 {
                s.err(
                    pos(field("step")?),
                    &fpath("step"),
                    "`step` cannot be 0 (values would repeat)",
                );
                return None;
            }
            let prefix = match field("prefix") {
                Some(v) if matches!(ty, ColumnType::Int { .. }) => {
                    s.hint(
                        pos(v),
                        &fpath("prefix"),
                        "`prefix` needs a string column",
                        "set `type: string`",
                    );
                    return None;
                }
                Some(v) => text(s, v, &fpath("prefix"))?,
                None => String::new(),
            };
            Generator::Sequence {
                start,
                step,
                prefix,
            }
        }
        "uuid" => Generator::Uuid,
        "pattern" => {
            let Some(v) = field("pattern") else {
                s.hint(
                    pos(n),
                    &path,
                    "missing `pattern`",
                    "e.g. `pattern: \"CUST-??-#####\"` (# digit, ? letter, * either)",
                );
                return None;
            };
            let p = text(s, v, &fpath("pattern"))?;
            if p.is_empty() || p.chars().rev().take_while(|c| *c == '\\').count() % 2 == 1 {
                s.hint(
                    pos(v),
                    &fpath("pattern"),
                    "the pattern is empty or ends in a lone `\\`",
                    "escape a literal backslash as `\\\\`",
                );
                return None;
            }
            Generator::Pattern(p)
        }
        "person_name" => {
            let locale = locale(s)?;
            let part = match field("part") {
                None => NamePart::Full,
                Some(v) => match choice(
                    s,
                    v,
                    &fpath("part"),
                    "name part",
                    &["full", "first", "last"],
                )?
                .as_str()
                {
                    "first" => NamePart::First,
                    "last" => NamePart::Last,
                    _ => NamePart::Full,
                },
            };
            let sex_column = col_ref(s, "sex", Need::Categories)?;
            Generator::PersonName {
                locale,
                part,
                sex_column,
            }
        }
        "email" => Generator::Email {
            locale: locale(s)?,
            from: col_ref(s, "from", Need::Text)?,
        },
        "phone" => Generator::Phone { locale: locale(s)? },
        "address" => Generator::Address { locale: locale(s)? },
        _ => {
            let Some(age) = col_ref(s, "age", Need::Int)? else {
                s.hint(
                    pos(n),
                    &path,
                    "missing `age`",
                    "name the int column holding ages, e.g. `age: age`",
                );
                return None;
            };
            let reference = match field("reference") {
                None => {
                    s.hint(pos(n), &path, "missing `reference`", "the date ages are counted to, e.g. `reference: 2026-01-01` (fixed, so output is reproducible)");
                    return None;
                }
                Some(v) => {
                    let t = date_text(s, v, &fpath("reference"), "YYYY-MM-DD")?;
                    match parse_date_i64(&t) {
                        Some(d) => d as i32,
                        None => {
                            s.hint(
                                pos(v),
                                &fpath("reference"),
                                format!("`{t}` is not a valid date"),
                                "write it as YYYY-MM-DD",
                            );
                            return None;
                        }
                    }
                }
            };
            Generator::BirthDate {
                age_column: age,
                reference,
            }
        }
    })
}

/// The conditions of a `when:` mapping, recording each referenced column for the checks.
fn when_refs(
    s: &mut Sink,
    wm: &Map,
    index: usize,
    refs: &mut Vec<Ref>,
) -> Vec<(String, Vec<String>)> {
    let mut when = Vec::new();
    for (c, p, v) in &wm.entries {
        let cp = wm.child(c);
        let mut lv: Vec<(String, Pos, String)> = Vec::new();
        match &untag(v).data {
            YamlDataOwned::Sequence(items) => {
                for (i, it) in items.iter().enumerate() {
                    let ip = format!("{cp}[{i}]");
                    if let Some(l) = level(s, it, &ip) {
                        lv.push((l, pos(it), ip));
                    }
                }
            }
            _ => {
                if let Some(l) = level(s, v, &cp) {
                    lv.push((l, pos(v), cp.clone()));
                }
            }
        }
        when.push((c.clone(), lv.iter().map(|l| l.0.clone()).collect()));
        refs.push(Ref {
            from: index,
            to: c.clone(),
            pos: *p,
            path: cp,
            levels: lv,
            need: Need::Categories,
        });
    }
    when
}

/// When a column's base generator is invalid, its cases cannot be decoded, but their `when`
/// references can still be checked, so that every error is reported at once.
fn orphan_case_refs(s: &mut Sink, m: &Map, index: usize, refs: &mut Vec<Ref>) {
    let mut quiet = Sink::default();
    let Some(items) = m.get("cases").and_then(|v| sequence(&mut quiet, v, "")) else {
        return;
    };
    for (i, it) in items.iter().enumerate() {
        let cp = format!("{}[{i}]", m.child("cases"));
        let Some(w) = mapping(&mut quiet, it, &cp).and_then(|cm| cm.get("when")) else {
            continue;
        };
        if let Some(wm) = mapping(&mut quiet, w, &format!("{cp}.when")) {
            when_refs(s, &wm, index, refs);
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn decode_case(
    s: &mut Sink,
    n: &Node,
    path: &str,
    col: &Map,
    index: usize,
    base: &Generator,
    levels: Option<&[String]>,
    refs: &mut Vec<Ref>,
) -> Option<Case> {
    let m = mapping(s, n, path)?;
    let allowed: &[&str] = match base {
        Generator::Categorical(_) => &["when", "shares"],
        Generator::Bernoulli(_) => &["when", "probability"],
        _ => &["when", "distribution", "min", "max"],
    };
    m.only(s, allowed);
    let Some(w) = m.get("when") else {
        s.hint(
            m.pos,
            path,
            "missing `when`",
            "add `when: {column: level}` to say which rows the case is for",
        );
        return None;
    };
    let wm = mapping(s, w, &m.child("when"))?;
    if wm.entries.is_empty() {
        s.err(wm.pos, &wm.path, "`when` needs at least one condition");
        return None;
    }
    let when = when_refs(s, &wm, index, refs);
    let generator = match base {
        Generator::Categorical(base_shares) => {
            let Some(v) = m.get("shares") else {
                s.hint(
                    m.pos,
                    path,
                    "missing `shares`",
                    "give the shares for rows matching `when`",
                );
                return None;
            };
            let sh = shares(s, v, &m.child("shares"))?;
            let known: Vec<String> = levels
                .map(|l| l.to_vec())
                .unwrap_or_else(|| base_shares.iter().map(|(l, _)| l.clone()).collect());
            let known_set: std::collections::HashSet<&String> = known.iter().collect();
            let mut ok = true;
            for (l, _, p) in &sh {
                if !known_set.contains(l) {
                    s.hint(
                        *p,
                        &m.child("shares"),
                        format!("level `{l}` is not a level of this column"),
                        choices_hint(l, &known.iter().map(String::as_str).collect::<Vec<_>>()),
                    );
                    ok = false;
                }
            }
            if !ok {
                return None;
            }
            Generator::Categorical(sh.into_iter().map(|(l, x, _)| (l, x)).collect())
        }
        Generator::Bernoulli(_) => {
            let Some(v) = m.get("probability") else {
                s.hint(
                    m.pos,
                    path,
                    "missing `probability`",
                    "give the probability of true for rows matching `when`",
                );
                return None;
            };
            Generator::Bernoulli(probability(s, v, &m.child("probability"))?)
        }
        Generator::Numeric {
            min, max, round, ..
        } => {
            let mut quiet = Sink::default();
            let base_spec = dist_spec(
                &mut quiet,
                col.get("distribution")?,
                &col.child("distribution"),
                true,
            )?;
            let case_spec = match m.get("distribution") {
                Some(v) => dist_spec(s, v, &m.child("distribution"), false)?,
                None => DistSpec::default(),
            };
            let cmin = match m.get("min") {
                Some(v) => Some(number(s, v, &m.child("min"))?),
                None => *min,
            };
            let cmax = match m.get("max") {
                Some(v) => Some(number(s, v, &m.child("max"))?),
                None => *max,
            };
            if let (Some(lo), Some(hi)) = (cmin, cmax) {
                if lo > hi {
                    s.hint(
                        m.pos,
                        path,
                        format!("min ({lo}) is greater than max ({hi})"),
                        "swap them",
                    );
                    return None;
                }
            }
            let merged = merge_dist(&base_spec, &case_spec);
            let dist = resolve_dist(s, &merged, cmin, cmax)?;
            Generator::Numeric {
                dist,
                min: cmin,
                max: cmax,
                round: *round,
            }
        }
        _ => return None,
    };
    Some(Case {
        when,
        generator,
        pos: m.pos,
    })
}

/// Resolves references between columns: existence, order, cycles, kinds and levels.
fn check_refs(s: &mut Sink, columns: &[Column], refs: &[Ref]) {
    let index: HashMap<&str, usize> = columns
        .iter()
        .enumerate()
        .map(|(i, c)| (c.name.as_str(), i))
        .collect();
    // Edges of the reference graph, for cycle reports.
    let mut edges: HashMap<usize, Vec<usize>> = HashMap::new();
    for r in refs {
        if let Some(&j) = index.get(r.to.as_str()) {
            edges.entry(r.from).or_default().push(j);
        }
    }
    let mut reported_cycles: Vec<Vec<usize>> = Vec::new();
    for r in refs {
        let from = &columns[r.from];
        let Some(&j) = index.get(r.to.as_str()) else {
            let names: Vec<&str> = columns.iter().map(|c| c.name.as_str()).collect();
            s.hint(
                r.pos,
                &r.path,
                format!("no column is called `{}`", r.to),
                choices_hint(&r.to, &names),
            );
            continue;
        };
        if j >= r.from {
            match find_cycle(&edges, r.from, j) {
                Some(mut cycle) => {
                    let mut key = cycle.clone();
                    key.sort_unstable();
                    key.dedup();
                    if reported_cycles.contains(&key) {
                        continue;
                    }
                    reported_cycles.push(key);
                    cycle.insert(0, r.from);
                    let names: Vec<&str> =
                        cycle.iter().map(|&k| columns[k].name.as_str()).collect();
                    s.hint(
                        r.pos,
                        &r.path,
                        format!("dependency cycle: {}", names.join(" -> ")),
                        "a column can depend only on columns above it; break the cycle",
                    );
                }
                None => s.hint(
                    r.pos,
                    &r.path,
                    format!("column `{}` is used before it is defined", r.to),
                    format!(
                        "move `{}` (line {}) above `{}` (line {}): columns are generated in order",
                        r.to, columns[j].pos.line, from.name, from.pos.line
                    ),
                ),
            }
            continue;
        }
        let target = &columns[j];
        match r.need {
            Need::Text if target.ty != ColumnType::String => {
                s.hint(
                    r.pos,
                    &r.path,
                    format!(
                        "`{}` is a {} column; e-mail local parts come from text",
                        r.to,
                        type_name(target.ty)
                    ),
                    "name a string column, such as a person_name column",
                );
                continue;
            }
            Need::Int if !matches!(target.ty, ColumnType::Int { .. }) => {
                s.hint(
                    r.pos,
                    &r.path,
                    format!(
                        "`{}` is a {} column; ages must be whole years",
                        r.to,
                        type_name(target.ty)
                    ),
                    "name an int column",
                );
                continue;
            }
            Need::Categories => {
                let Some(cats) = target.categories() else {
                    s.hint(
                        r.pos,
                        &r.path,
                        format!("`{}` has no levels to depend on", r.to),
                        "depend on a category or bool column, or give the numeric column `bins`",
                    );
                    continue;
                };
                for (l, p, path) in &r.levels {
                    if !cats.contains(l) {
                        let cs: Vec<&str> = cats.iter().map(String::as_str).collect();
                        s.hint(
                            *p,
                            path,
                            format!("`{l}` is not a level of `{}`", r.to),
                            choices_hint(l, &cs),
                        );
                    }
                }
            }
            _ => {}
        }
    }
}

/// A path `to -> ... -> from` in the reference graph, if `to` leads back to `from`.
fn find_cycle(edges: &HashMap<usize, Vec<usize>>, from: usize, to: usize) -> Option<Vec<usize>> {
    let mut stack = vec![(to, vec![to])];
    let mut seen = vec![to];
    while let Some((node, path)) = stack.pop() {
        if node == from {
            return Some(path);
        }
        for &next in edges.get(&node).map(Vec::as_slice).unwrap_or(&[]) {
            if !seen.contains(&next) {
                seen.push(next);
                let mut p = path.clone();
                p.push(next);
                stack.push((next, p));
            }
        }
    }
    None
}

fn column_levels<'a>(
    s: &mut Sink,
    columns: &'a [Column],
    name: &str,
    p: Pos,
    path: &str,
) -> Option<(&'a Column, Option<Vec<String>>)> {
    match columns.iter().find(|c| c.name == name) {
        Some(c) => Some((c, c.categories())),
        None => {
            let names: Vec<&str> = columns.iter().map(|c| c.name.as_str()).collect();
            s.hint(
                p,
                path,
                format!("no column is called `{name}`"),
                choices_hint(name, &names),
            );
            None
        }
    }
}

fn decode_targets(s: &mut Sink, n: &Node, columns: &[Column]) -> Vec<Target> {
    let Some(m) = mapping(s, n, "targets") else {
        return vec![];
    };
    let mut out = Vec::new();
    for (col, p, v) in &m.entries {
        let path = m.child(col);
        let Some((c, cats)) = column_levels(s, columns, col, *p, &path) else {
            continue;
        };
        if cats.is_none() && c.ty.is_numeric() {
            s.hint(*p, &path, format!("`{col}` is numeric and has no `bins`"), format!("give `{col}` bins (e.g. `bins: [18, 25, 35, 50, 65, 100]`) and target the band labels"));
            continue;
        }
        let Some(sh) = shares(s, v, &path) else {
            continue;
        };
        if let Some(cats) = &cats {
            let cs: Vec<&str> = cats.iter().map(String::as_str).collect();
            let cat_set: std::collections::HashSet<&String> = cats.iter().collect();
            let mut ok = true;
            for (l, _, lp) in &sh {
                if !cat_set.contains(l) {
                    s.hint(
                        *lp,
                        &join(&path, l),
                        format!("`{l}` is not a level of `{col}`"),
                        choices_hint(l, &cs),
                    );
                    ok = false;
                }
            }
            let given: std::collections::HashSet<&str> =
                sh.iter().map(|(x, ..)| x.as_str()).collect();
            let missing: Vec<&str> = cs.iter().copied().filter(|l| !given.contains(l)).collect();
            if !missing.is_empty() {
                s.hint(
                    *p,
                    &path,
                    format!(
                        "the target for `{col}` has no share for {}",
                        missing
                            .iter()
                            .map(|l| format!("`{l}`"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                    "give every level a share (0 is allowed)",
                );
                ok = false;
            }
            if !ok {
                continue;
            }
        }
        out.push(Target {
            column: col.clone(),
            shares: sh.into_iter().map(|(l, x, _)| (l, x)).collect(),
            pos: *p,
        });
    }
    out
}

fn decode_fairness(s: &mut Sink, n: &Node, columns: &[Column]) -> Option<Fairness> {
    let m = mapping(s, n, "fairness")?;
    m.only(s, &["label", "independent_of", "favourable"]);
    let label = match m.get("label") {
        Some(v) => {
            let l = text(s, v, "fairness.label")?;
            let (c, cats) = column_levels(s, columns, &l, pos(v), "fairness.label")?;
            if c.role != Role::Label {
                s.hint(
                    pos(v),
                    "fairness.label",
                    format!("`{l}` does not have `role: label`"),
                    format!("set `role: label` on `{l}`"),
                );
            }
            // An integer label without bins is read as classes (0/1, codes).
            if cats.is_none() && c.ty == ColumnType::Float {
                s.hint(
                    pos(v),
                    "fairness.label",
                    format!("`{l}` is numeric without `bins`"),
                    "use a bool, category or integer label, or give it bins",
                );
            }
            Some(l)
        }
        None => {
            s.hint(
                m.pos,
                "fairness.label",
                "missing `label`",
                "name the label column",
            );
            None
        }
    };
    let mut independent_of = Vec::new();
    match m.get("independent_of") {
        Some(v) => {
            let items = sequence(s, v, "fairness.independent_of")?;
            if items.is_empty() {
                s.err(
                    pos(v),
                    "fairness.independent_of",
                    "name at least one protected column",
                );
            }
            for (i, it) in items.iter().enumerate() {
                let p = format!("fairness.independent_of[{i}]");
                let Some(name) = text(s, it, &p) else {
                    continue;
                };
                let Some((c, cats)) = column_levels(s, columns, &name, pos(it), &p) else {
                    continue;
                };
                if !c.has_role(Role::Protected) {
                    s.hint(
                        pos(it),
                        &p,
                        format!("`{name}` does not have `role: protected`"),
                        format!("set `role: protected` on `{name}`"),
                    );
                }
                if cats.is_none() && c.ty.is_numeric() {
                    s.hint(
                        pos(it),
                        &p,
                        format!("`{name}` is numeric without `bins`"),
                        format!("give `{name}` bins so it forms groups"),
                    );
                }
                if Some(&name) == label.as_ref() {
                    s.err(pos(it), &p, "the label cannot be independent of itself");
                }
                independent_of.push(name);
            }
        }
        None => s.hint(
            m.pos,
            "fairness.independent_of",
            "missing `independent_of`",
            "list the protected columns, e.g. `independent_of: [sex]`",
        ),
    }
    let favourable = match m.get("favourable") {
        Some(v) => {
            let f = level(s, v, "fairness.favourable")?;
            if let Some(cats) = label
                .as_ref()
                .and_then(|l| columns.iter().find(|c| &c.name == l))
                .and_then(|c| c.categories())
            {
                if !cats.contains(&f) {
                    let cs: Vec<&str> = cats.iter().map(String::as_str).collect();
                    s.hint(
                        pos(v),
                        "fairness.favourable",
                        format!("`{f}` is not a level of the label"),
                        choices_hint(&f, &cs),
                    );
                }
            }
            Some(f)
        }
        None => None,
    };
    Some(Fairness {
        label: label?,
        independent_of,
        favourable,
        pos: m.pos,
    })
}

fn decode_privacy(s: &mut Sink, n: &Node) -> Privacy {
    let mut p = Privacy::default();
    let Some(m) = mapping(s, n, "privacy") else {
        return p;
    };
    m.only(s, &PRIVACY_KEYS);
    for (key, slot) in [
        ("detection_threshold", &mut p.detection_threshold),
        ("max_suppression", &mut p.max_suppression),
    ] {
        if let Some(v) = m.get(key) {
            if let Some(x) = probability(s, v, &m.child(key)) {
                *slot = x;
            }
        }
    }
    if let Some(v) = m.get("max_unique_share") {
        p.max_unique_share = probability(s, v, "privacy.max_unique_share");
    }
    if let Some(v) = m.get("unique_over") {
        if let Some(items) = sequence(s, v, "privacy.unique_over") {
            if items.is_empty() {
                s.hint(
                    pos(v),
                    "privacy.unique_over",
                    "an empty column list",
                    "leave `unique_over` out to count over the quasi-identifiers",
                );
            }
            for (i, item) in items.iter().enumerate() {
                let path = format!("privacy.unique_over[{i}]");
                if let Some(c) = text(s, item, &path) {
                    if p.unique_over.contains(&c) {
                        s.err(pos(item), &path, format!("`{c}` is listed twice"));
                    } else {
                        p.unique_over.push(c);
                    }
                }
            }
        }
    }
    if let Some(v) = m.get("l_diversity") {
        if let Some(lm) = mapping(s, v, "privacy.l_diversity") {
            lm.only(s, &["column", "l"]);
            let column = lm
                .get("column")
                .and_then(|c| text(s, c, "privacy.l_diversity.column"));
            let l = lm
                .get("l")
                .and_then(|c| non_negative(s, c, "privacy.l_diversity.l"));
            match (column, l) {
                (Some(c), Some(l)) if l >= 2 => p.l_diversity = Some((c, l)),
                (Some(_), Some(l)) => s.hint(
                    lm.key_pos("l"),
                    "privacy.l_diversity.l",
                    format!("l = {l} protects nothing"),
                    "use 2 or more",
                ),
                _ => s.hint(
                    lm.pos,
                    "privacy.l_diversity",
                    "`l_diversity` needs `column` and `l`",
                    "e.g. `l_diversity: {column: diagnosis, l: 2}`",
                ),
            }
        }
    }
    if let Some(v) = m.get("identifiers") {
        if let Some(a) = decode_action(s, v, "privacy.identifiers") {
            p.identifiers = a;
        }
    }
    if let Some(v) = m.get("key_env") {
        if let Some(k) = text(s, v, "privacy.key_env") {
            if k.is_empty() || !k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                s.hint(
                    pos(v),
                    "privacy.key_env",
                    format!("`{k}` is not an environment variable name"),
                    "use letters, digits and `_`, e.g. FAIRSYNTH_KEY",
                );
            }
            p.key_env = k;
        }
    }
    if let Some(v) = m.get("k_anonymity") {
        match non_negative(s, v, "privacy.k_anonymity") {
            Some(k) if k >= 2 => p.k_anonymity = Some(k),
            Some(k) => s.hint(
                pos(v),
                "privacy.k_anonymity",
                format!("k = {k} protects nothing"),
                "use 2 or more (5 is common)",
            ),
            None => {}
        }
    }
    p
}

fn decode_quality(s: &mut Sink, n: &Node) -> Quality {
    let mut q = Quality::default();
    let Some(m) = mapping(s, n, "quality") else {
        return q;
    };
    m.only(s, &QUALITY_KEYS);
    for key in QUALITY_KEYS {
        let Some(v) = m.get(key) else {
            continue;
        };
        let path = m.child(key);
        let Some(x) = number(s, v, &path) else {
            continue;
        };
        match Quality::check_value(key, x) {
            Some(problem) => s.err(pos(v), &path, problem),
            None => {
                if let Some(slot) = q.slot(key) {
                    *slot = Some(x);
                }
            }
        }
    }
    if let (Some(lo), Some(hi)) = (q.min_di, q.max_di) {
        if lo > hi {
            s.hint(
                m.key_pos("min_di"),
                "quality.min_di",
                format!("min_di ({lo}) is above max_di ({hi}): no table can pass"),
                "swap them",
            );
        }
    }
    q
}

/// Decodes a targets file (`column: {level: share}`) against an already valid schema.
pub(crate) fn decode_targets_file(
    text: &str,
    file: &str,
    columns: &[Column],
) -> Result<Vec<Target>, SchemaError> {
    let docs = load(text, file)?;
    let mut s = Sink::default();
    let targets = match docs.as_slice() {
        [doc] => {
            // Accept both a bare mapping and one under a `targets:` key.
            let inner = match &untag(doc).data {
                YamlDataOwned::Mapping(m) if m.len() == 1 => {
                    let mut quiet = Sink::default();
                    mapping(&mut quiet, doc, "")
                        .and_then(|m| m.get("targets"))
                        .unwrap_or(doc)
                }
                _ => doc,
            };
            decode_targets(&mut s, inner, columns)
        }
        _ => {
            s.hint(
                Pos { line: 1, col: 1 },
                "(document)",
                "expected one YAML document of targets",
                "write `column: {level: share, ...}` lines",
            );
            vec![]
        }
    };
    finish(s, file)?;
    Ok(targets)
}
