//! The editor schema `schemas/fairsynth.schema.json` must agree with the decoder in
//! `src/schema/decode/`: it is valid JSON Schema, accepts every shipped schema file, rejects
//! common mistakes, and names exactly the keys and words the decoder accepts.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use fairsynth::schema::{Action, ColumnType, Dist, Generator, Locale, Quality, Role, Schema};
use saphyr::{LoadableYamlNode, Scalar, Yaml};
use serde_json::{Map, Number, Value};

mod common;
use common::root;

/// The decoder's source, every file of `src/schema/decode/`, read as text.
const DECODE_RS: &str = concat!(
    include_str!("../src/schema/decode/mod.rs"),
    include_str!("../src/schema/decode/column.rs"),
    include_str!("../src/schema/decode/generator.rs"),
    include_str!("../src/schema/decode/cases.rs"),
    include_str!("../src/schema/decode/policy.rs"),
    include_str!("../src/schema/decode/input.rs"),
    include_str!("../src/schema/decode/encryption.rs"),
    include_str!("../src/schema/decode/tables.rs"),
);

fn json_schema() -> Value {
    let path = root().join("schemas/fairsynth.schema.json");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()))
}

fn validator() -> jsonschema::Validator {
    jsonschema::validator_for(&json_schema())
        .unwrap_or_else(|e| panic!("schemas/fairsynth.schema.json does not compile: {e}"))
}

// ------------------------------------------------------------------------------------------
// YAML -> JSON, read the way the decoder reads it.

/// Parses one YAML document into JSON. Mapping keys written as booleans or numbers become
/// their text (`true`, `1`, `2.5`), as in `scalar_text` (src/schema/decode/mod.rs).
fn yaml_to_json(text: &str) -> Result<Value, String> {
    let docs = Yaml::load_from_str(text).map_err(|e| format!("invalid YAML: {e}"))?;
    match docs.as_slice() {
        [doc] => to_json(doc),
        [] => Err("no YAML document".to_string()),
        _ => Err("more than one YAML document".to_string()),
    }
}

fn to_json(y: &Yaml) -> Result<Value, String> {
    Ok(match y {
        Yaml::Value(s) => scalar_to_json(s),
        Yaml::Representation(s, ..) => Value::String(s.to_string()),
        Yaml::Tagged(_, inner) => to_json(inner)?,
        Yaml::Sequence(items) => Value::Array(items.iter().map(to_json).collect::<Result<_, _>>()?),
        Yaml::Mapping(m) => {
            let mut out = Map::new();
            for (k, v) in m {
                let key = key_text(k).ok_or_else(|| format!("unsupported mapping key {k:?}"))?;
                if out.insert(key.clone(), to_json(v)?).is_some() {
                    return Err(format!("key `{key}` appears twice"));
                }
            }
            Value::Object(out)
        }
        Yaml::Alias(_) => return Err("YAML aliases are not supported".to_string()),
        Yaml::BadValue => return Err("a scalar does not match its tag".to_string()),
    })
}

fn scalar_to_json(s: &Scalar) -> Value {
    match s {
        Scalar::Null => Value::Null,
        Scalar::Boolean(b) => Value::Bool(*b),
        Scalar::Integer(i) => Value::Number((*i).into()),
        // JSON has no NaN or infinities; as text they fail every `number` check, as in the decoder.
        Scalar::FloatingPoint(f) => {
            Number::from_f64(f.0).map_or_else(|| Value::String(f.0.to_string()), Value::Number)
        }
        Scalar::String(t) => Value::String(t.to_string()),
    }
}

fn key_text(k: &Yaml) -> Option<String> {
    match k {
        Yaml::Tagged(_, inner) => key_text(inner),
        Yaml::Representation(s, ..) => Some(s.to_string()),
        Yaml::Value(Scalar::String(s)) => Some(s.to_string()),
        Yaml::Value(Scalar::Integer(i)) => Some(i.to_string()),
        Yaml::Value(Scalar::Boolean(b)) => Some(b.to_string()),
        Yaml::Value(Scalar::FloatingPoint(f)) => Some(f.0.to_string()),
        _ => None,
    }
}

#[test]
fn yaml_helper_reads_keys_and_scalars_like_the_decoder() {
    let v = yaml_to_json("a: {true: 1, 2: 2.5, 0.5: x, \"q\": null, b: [yes, false, 2026-01-01]}")
        .unwrap();
    let expected = serde_json::json!({
        "a": {"true": 1, "2": 2.5, "0.5": "x", "q": null, "b": ["yes", false, "2026-01-01"]}
    });
    assert_eq!(v, expected);
    assert!(yaml_to_json("a: 1\n---\nb: 2\n").is_err());
}

/// Every validation error, one per line, with its instance path.
fn errors(v: &jsonschema::Validator, instance: &Value) -> Vec<String> {
    v.iter_errors(instance)
        .map(|e| format!("at `{}`: {e}", e.instance_path()))
        .collect()
}

// ------------------------------------------------------------------------------------------
// The JSON Schema itself.

#[test]
fn json_schema_is_valid_against_its_metaschema() {
    let schema = json_schema();
    assert_eq!(
        schema["$schema"], "https://json-schema.org/draft/2020-12/schema",
        "the schema must declare draft 2020-12"
    );
    assert_eq!(schema["$id"], "https://fairsynth.dev/schema/v1.json");
    assert!(schema["title"].is_string() && schema["description"].is_string());

    let meta = jsonschema::meta::validator_for(&schema).expect("the metaschema is bundled");
    let problems: Vec<String> = meta
        .iter_errors(&schema)
        .map(|e| format!("at `{}`: {e}", e.instance_path()))
        .collect();
    assert!(
        problems.is_empty(),
        "schemas/fairsynth.schema.json breaks the 2020-12 metaschema:\n{}",
        problems.join("\n")
    );
    // And it compiles (regular expressions, references).
    validator();
}

/// Walks `properties` maps, skipping conditional subschemas (their entries only narrow keys
/// already described), and reports every property schema without a `description`.
fn undescribed(node: &Value, path: &str, out: &mut Vec<String>) {
    let Value::Object(obj) = node else {
        return;
    };
    for (key, child) in obj {
        let here = format!("{path}/{key}");
        match key.as_str() {
            "allOf" | "anyOf" | "oneOf" | "not" | "if" | "then" | "else" | "dependentSchemas" => {}
            "properties" => {
                for (name, prop) in child.as_object().into_iter().flatten() {
                    if !prop.get("description").is_some_and(Value::is_string) {
                        out.push(format!("{here}/{name}"));
                    }
                    undescribed(prop, &format!("{here}/{name}"), out);
                }
            }
            _ => undescribed(child, &here, out),
        }
    }
}

#[test]
fn every_property_has_a_description_for_hover_text() {
    let mut missing = Vec::new();
    undescribed(&json_schema(), "#", &mut missing);
    assert!(
        missing.is_empty(),
        "properties without `description`:\n{}",
        missing.join("\n")
    );
}

// ------------------------------------------------------------------------------------------
// Shipped schema files validate.

fn yaml_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let entries = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    for entry in entries {
        let path = entry.expect("directory entry").path();
        if path.is_dir() {
            yaml_files(&path, out);
        } else if matches!(
            path.extension().and_then(|e| e.to_str()),
            Some("yaml" | "yml")
        ) {
            out.push(path);
        }
    }
}

#[test]
fn shipped_schema_files_validate() {
    let v = validator();
    let mut files = Vec::new();
    yaml_files(&root().join("schemas"), &mut files);
    let fixtures = root().join("tests/data/schemas");
    if fixtures.is_dir() {
        yaml_files(&fixtures, &mut files);
    }
    files.sort();
    assert!(
        files.iter().any(|f| f.ends_with("schemas/customers.yaml")),
        "schemas/customers.yaml not found among {files:?}"
    );

    let mut failures = Vec::new();
    for file in &files {
        let shown = file.strip_prefix(root()).unwrap_or(file).display();
        let text = std::fs::read_to_string(file).unwrap_or_else(|e| panic!("{shown}: {e}"));
        match yaml_to_json(&text) {
            Ok(doc) => {
                for e in errors(&v, &doc) {
                    failures.push(format!("{shown}: {e}"));
                }
            }
            Err(e) => failures.push(format!("{shown}: {e}")),
        }
    }
    assert!(
        failures.is_empty(),
        "{} error(s) against schemas/fairsynth.schema.json:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

// ------------------------------------------------------------------------------------------
// Agreement with the decoder on inline snippets.

const BASE: &str = "version: 1
name: t
columns:
  - name: x
    type: float
    distribution: {kind: normal, mean: 0, sd: 1}
";

/// Asserts the decoder rejects `yaml` (so the snippet is really wrong) and the JSON Schema
/// does too, with an error at `path` whose message contains `fragment`.
fn assert_rejected(v: &jsonschema::Validator, what: &str, yaml: &str, path: &str, fragment: &str) {
    assert!(
        Schema::from_str_named(yaml, "snippet.yaml").is_err(),
        "{what}: the decoder accepts the snippet, so it is not a mistake:\n{yaml}"
    );
    let doc = yaml_to_json(yaml).unwrap_or_else(|e| panic!("{what}: {e}"));
    let errs: Vec<(String, String)> = v
        .iter_errors(&doc)
        .map(|e| (e.instance_path().to_string(), e.to_string()))
        .collect();
    assert!(
        errs.iter().any(|(p, m)| p == path && m.contains(fragment)),
        "{what}: expected an error at `{path}` mentioning `{fragment}`, got {errs:#?}\n{yaml}"
    );
}

#[test]
fn mistakes_are_rejected() {
    let v = validator();
    let with = |old: &str, new: &str| {
        assert!(BASE.contains(old), "`{old}` is not in the base snippet");
        BASE.replacen(old, new, 1)
    };
    assert!(Schema::from_str_named(BASE, "base.yaml").is_ok());
    assert!(v.is_valid(&yaml_to_json(BASE).unwrap()), "{BASE}");

    let cases: Vec<(&str, String, &str, &str)> = vec![
        // The mistakes the editor must catch.
        (
            "unknown top-level key",
            format!("{BASE}colour: blue\n"),
            "",
            "colour",
        ),
        (
            "unknown input key",
            format!("{BASE}input: {{delimeter: \";\"}}\n"),
            "/input",
            "delimeter",
        ),
        (
            "decimal mark that is not one",
            format!("{BASE}input: {{decimal: \";\"}}\n"),
            "/input/decimal",
            ";",
        ),
        (
            "two-digit years",
            format!("{BASE}input: {{date_format: dd.mm.yy}}\n"),
            "/input/date_format",
            "dd.mm.yy",
        ),
        (
            "unknown column key",
            with("distribution:", "distrib:"),
            "/columns/0",
            "distrib",
        ),
        (
            "unknown type",
            with("type: float", "type: flaot"),
            "/columns/0/type",
            "flaot",
        ),
        (
            "unknown distribution kind",
            with("kind: normal", "kind: normall"),
            "/columns/0/distribution/kind",
            "normall",
        ),
        (
            "version 2",
            with("version: 1", "version: 2"),
            "/version",
            "",
        ),
        (
            "k-anonymity 1",
            format!("{BASE}privacy: {{k_anonymity: 1}}\n"),
            "/privacy/k_anonymity",
            "",
        ),
        // More rules the schema mirrors.
        ("missing name", with("name: t\n", ""), "", "name"),
        (
            "parameter of another kind",
            with("sd: 1", "sd: 1, rate: 2"),
            "/columns/0/distribution",
            "rate",
        ),
        (
            "missing parameter",
            with(", sd: 1", ""),
            "/columns/0/distribution",
            "sd",
        ),
        (
            "non-positive sd",
            with("sd: 1", "sd: 0"),
            "/columns/0/distribution/sd",
            "",
        ),
        (
            "key for another type",
            with("type: float", "type: category"),
            "/columns/0/distribution",
            "",
        ),
        (
            "bits on a float",
            format!("{BASE}    bits: 32\n"),
            "/columns/0/bits",
            "",
        ),
        (
            "two ways to generate",
            format!("{BASE}    generator: uuid\n"),
            "/columns/0/generator",
            "",
        ),
        (
            "generator for another type",
            with(
                "type: float\n    distribution: {kind: normal, mean: 0, sd: 1}",
                "type: int\n    generator: uuid",
            ),
            "/columns/0/generator",
            "sequence",
        ),
        (
            "pattern without a pattern",
            with(
                "type: float\n    distribution: {kind: normal, mean: 0, sd: 1}",
                "type: string\n    generator: {kind: pattern}",
            ),
            "/columns/0/generator",
            "pattern",
        ),
        (
            "place field that does not exist",
            with(
                "type: float\n    distribution: {kind: normal, mean: 0, sd: 1}",
                "type: string\n    generator: {kind: place, place: home, field: zipcode}",
            ),
            "/columns/0/generator",
            "zipcode",
        ),
        (
            "place without a field",
            with(
                "type: float\n    distribution: {kind: normal, mean: 0, sd: 1}",
                "type: string\n    generator: {kind: place, place: home}",
            ),
            "/columns/0/generator",
            "\"place\"",
        ),
        (
            "category of cities",
            with(
                "type: float\n    distribution: {kind: normal, mean: 0, sd: 1}",
                "type: category\n    generator: {kind: place, place: home, field: city}",
            ),
            "/columns/0/generator/field",
            "city",
        ),
        (
            "German phone in a US place",
            with(
                "type: float\n    distribution: {kind: normal, mean: 0, sd: 1}",
                "type: string\n    generator: {kind: phone, locale: de, place: home}",
            ),
            "/columns/0/generator",
            "\"de\"",
        ),
        (
            "unknown action",
            format!("{BASE}    action: anonymise\n"),
            "/columns/0/action",
            "anonymise",
        ),
        (
            "null share of 1",
            format!("{BASE}    null_share: 1\n"),
            "/columns/0/null_share",
            "",
        ),
        (
            "case key of another generator",
            format!("{BASE}    cases:\n      - {{when: {{x: a}}, probability: 0.5}}\n"),
            "/columns/0/cases/0/probability",
            "",
        ),
        (
            "weight that is not a number",
            with(
                "type: float",
                "type: category\n    role: weight\n    levels: [a]",
            )
            .replace("    distribution: {kind: normal, mean: 0, sd: 1}\n", ""),
            "/columns/0/type",
            "",
        ),
        (
            "empty role list",
            format!("{BASE}    role: []\n"),
            "/columns/0/role",
            "",
        ),
        (
            "weight in a role list that is not a number",
            with(
                "type: float",
                "type: category\n    role: [weight]\n    levels: [a]",
            )
            .replace("    distribution: {kind: normal, mean: 0, sd: 1}\n", ""),
            "/columns/0/type",
            "",
        ),
        (
            "fairness without independent_of",
            format!("{BASE}fairness: {{label: x}}\n"),
            "/fairness",
            "independent_of",
        ),
        (
            "key_env that is no variable name",
            format!("{BASE}privacy: {{key_env: MY-KEY}}\n"),
            "/privacy/key_env",
            "",
        ),
        (
            "unknown quality key",
            format!("{BASE}quality: {{min_overal: 0.8}}\n"),
            "/quality",
            "min_overal",
        ),
        (
            "quality share above 1",
            format!("{BASE}quality: {{max_exact_copies: 5}}\n"),
            "/quality/max_exact_copies",
            "",
        ),
        (
            "quality min_k not whole",
            format!("{BASE}quality: {{min_k: 2.5}}\n"),
            "/quality/min_k",
            "",
        ),
        (
            "negative target share",
            format!("{BASE}targets: {{x: {{a: -0.5, b: 1.5}}}}\n"),
            "/targets/x/a",
            "",
        ),
    ];
    for (what, yaml, path, fragment) in &cases {
        assert_rejected(&v, what, yaml, path, fragment);
    }
}

/// Uses most of the language at once; the decoder and the JSON Schema must both accept it.
const RICH: &str = r#"version: 1
name: rich
rows: 10
columns:
  - name: id
    type: string
    role: identifier
    action: pseudonymize
    generator: {kind: sequence, start: 1, step: 2, prefix: "C-"}
  - name: token
    type: string
    role: identifier
    generator: uuid
  - name: code
    type: string
    generator: {kind: pattern, pattern: "AB-##\\#"}
  - name: street
    type: string
    role: identifier
    generator: {kind: address, locale: en, place: home}
  - name: state
    type: category
    generator: {kind: place, place: home, field: state}
  - name: zip
    type: string
    generator: {kind: place, place: home, field: zip}
  - name: member
    type: bool
    role: [protected, quasi_identifier]
    probability: 0.3
  - name: small
    type: int
    bits: 32
    distribution: {kind: poisson, lambda: 3}
    bins: [0, 2, 5, 100]
  - name: group
    type: category
    levels: [1, 2, true]
    shares: {1: 2, 2: 1, true: 1}
    depends_on: [member]
    cases:
      - when: {member: true}
        shares: {1: 0.5, 2: 0.25, "true": 0.25}
  - name: score
    type: float
    min: 0
    max: 1
    round: 3
    distribution: {kind: uniform}
    cases:
      - when: {group: [1, 2], member: false}
        distribution: {kind: beta, alpha: 2, beta: 5}
        max: 0.9
  - name: seen
    type: date
    min: 2020-01-01
    max: "2020-12-31"
  - name: at
    type: timestamp
    nullable: true
    null_share: 0.1
    min: 2020-01-01 00:00:00
    max: 2020-01-02T00:00:00+01:00
  - name: gave_consent
    type: bool
    role: consent
    probability: 0.9
  - name: weight
    type: float
    role: weight
  - name: outcome
    type: bool
    role: label
    probability: 0.5
targets:
  member: {true: 1, false: 1}
  small: {"0-1": 0.25, "2-4": 0.25, "5-100": 0.5}
fairness:
  label: outcome
  independent_of: [member]
  favourable: true
privacy:
  identifiers: fake
  key_env: MY_KEY_2
  k_anonymity: 2
quality:
  min_overall: 0.8
  min_column: 0.7
  min_pair: 0.6
  min_tstr_ratio: 0.9
  max_exact_copies: 0.05
  min_dcr_ratio: 0.8
  min_k: 2
  min_di: 0.8
  max_di: 1
  max_spd: 0.1
"#;

#[test]
fn rich_schema_is_accepted_by_both() {
    if let Err(e) = Schema::from_str_named(RICH, "rich.yaml") {
        panic!("the decoder rejects the rich snippet:\n{e}");
    }
    let errs = errors(&validator(), &yaml_to_json(RICH).unwrap());
    assert!(errs.is_empty(), "{}", errs.join("\n"));
}

// ------------------------------------------------------------------------------------------
// Key lists and names match the decoder.

/// The text of `src` from `start` up to the first `end` after it.
fn section<'a>(src: &'a str, start: &str, end: &str) -> &'a str {
    let from = src
        .find(start)
        .unwrap_or_else(|| panic!("`{start}` not found in src/schema/decode/; update this test"));
    let rest = &src[from + start.len()..];
    let to = rest.find(end).unwrap_or_else(|| {
        panic!("no `{end}` after `{start}` in src/schema/decode/; update this test")
    });
    &rest[..to]
}

/// The double-quoted strings in `text`, in order.
fn quoted(text: &str) -> Vec<String> {
    text.split('"')
        .skip(1)
        .step_by(2)
        .map(str::to_string)
        .collect()
}

fn set<I: IntoIterator<Item = S>, S: Into<String>>(items: I) -> BTreeSet<String> {
    items.into_iter().map(Into::into).collect()
}

fn property_names(node: &Value) -> BTreeSet<String> {
    node["properties"]
        .as_object()
        .unwrap_or_else(|| panic!("no `properties` in {node}"))
        .keys()
        .cloned()
        .collect()
}

fn enum_values(node: &Value) -> BTreeSet<String> {
    node["enum"]
        .as_array()
        .unwrap_or_else(|| panic!("no `enum` in {node}"))
        .iter()
        .map(|v| v.as_str().expect("enum values are text").to_string())
        .collect()
}

/// `if: {properties: {kind: {const: K}}}` branches of `node.allOf`: K -> the `then` branch.
fn kind_branches(node: &Value) -> Vec<(String, &Value)> {
    node["allOf"]
        .as_array()
        .unwrap_or_else(|| panic!("no `allOf` in {node}"))
        .iter()
        .map(|b| {
            let kind = b["if"]["properties"]["kind"]["const"]
                .as_str()
                .unwrap_or_else(|| panic!("not a kind branch: {b}"));
            (kind.to_string(), &b["then"])
        })
        .collect()
}

#[test]
fn top_level_and_column_keys_match_decode_rs() {
    let schema = json_schema();
    let top = set(quoted(section(DECODE_RS, "const TOP_KEYS", "];")));
    let column = set(quoted(section(DECODE_RS, "const COLUMN_KEYS", "];")));
    assert_eq!(top.len(), 13, "TOP_KEYS as parsed: {top:?}");
    assert_eq!(column.len(), 26, "COLUMN_KEYS as parsed: {column:?}");
    assert_eq!(property_names(&schema), top, "top-level keys");
    assert_eq!(
        property_names(&schema["$defs"]["column"]),
        column,
        "column keys"
    );
    assert_eq!(
        set(schema["required"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| k.as_str().unwrap())),
        set(["version", "name"])
    );
    // One table (`columns`) or linked tables (`tables`), never both.
    let one_of: Vec<BTreeSet<String>> = schema["oneOf"]
        .as_array()
        .expect("oneOf: columns or tables")
        .iter()
        .map(|b| {
            set(b["required"]
                .as_array()
                .unwrap()
                .iter()
                .map(|k| k.as_str().unwrap()))
        })
        .collect();
    assert_eq!(one_of, vec![set(["columns"]), set(["tables"])]);
    // With `tables`, the top-level keys not in DATABASE_KEYS are refused, and a table entry
    // has exactly TABLE_KEYS.
    let refused: BTreeSet<String> = schema["oneOf"][1]["not"]["anyOf"]
        .as_array()
        .expect("keys refused beside `tables`")
        .iter()
        .map(|b| b["required"][0].as_str().unwrap().to_string())
        .collect();
    let database = set(quoted(section(DECODE_RS, "const DATABASE_KEYS", "];")));
    assert_eq!(
        top.difference(&database).cloned().collect::<BTreeSet<_>>(),
        refused,
        "top-level keys refused beside `tables`"
    );
    assert_eq!(
        property_names(&schema["$defs"]["table"]),
        set(quoted(section(DECODE_RS, "const TABLE_KEYS", "];"))),
        "table keys"
    );
}

#[test]
fn nested_keys_match_decode_rs() {
    let schema = json_schema();
    let defs = &schema["$defs"];
    let only = |func: &str| {
        set(quoted(section(
            section(DECODE_RS, func, "\n}"),
            "m.only(s, &[",
            "]);",
        )))
    };
    assert_eq!(
        property_names(&schema["properties"]["fairness"]),
        only("fn decode_fairness("),
        "fairness keys"
    );
    assert_eq!(
        property_names(&schema["properties"]["privacy"]),
        set(quoted(section(DECODE_RS, "const PRIVACY_KEYS", "];"))),
        "privacy keys"
    );
    assert_eq!(
        property_names(&schema["properties"]["input"]),
        set(quoted(section(DECODE_RS, "const INPUT_KEYS", "];"))),
        "input keys"
    );
    // One definition for the top-level section and a linked table's own.
    for at in [
        &schema["properties"]["encryption"],
        &defs["table"]["properties"]["encryption"],
    ] {
        assert_eq!(at["$ref"], "#/$defs/encryption", "{at}");
    }
    assert_eq!(
        property_names(&defs["encryption"]),
        set(quoted(section(DECODE_RS, "const ENCRYPTION_KEYS", "];"))),
        "encryption keys"
    );
    assert_eq!(
        property_names(&defs["encryption"]["properties"]["keys"]["additionalProperties"]),
        set(quoted(section(DECODE_RS, "const SELECTOR_KEYS", "];"))),
        "encryption key selector keys"
    );
    let quality = set(quoted(section(DECODE_RS, "const QUALITY_KEYS", "];")));
    assert_eq!(quality.len(), 19, "QUALITY_KEYS as parsed: {quality:?}");
    assert_eq!(
        property_names(&schema["properties"]["quality"]),
        quality,
        "quality keys"
    );
    assert_eq!(set(Quality::KEYS), quality, "Quality::KEYS");
    assert_eq!(
        property_names(&defs["bins"]["anyOf"][1]),
        only("fn decode_bins("),
        "bins keys"
    );

    // Case keys: the union over the three generators that take cases.
    let case_keys = section(
        section(DECODE_RS, "fn decode_case(", "\n}"),
        "let allowed: &[&str] = match base {",
        "};",
    );
    assert_eq!(
        property_names(&defs["case"]),
        set(quoted(case_keys)),
        "case keys"
    );
}

#[test]
fn distribution_kinds_and_parameters_match_decode_rs() {
    let schema = json_schema();
    let defs = &schema["$defs"];
    assert_eq!(enum_values(&defs["distributionKind"]), set(Dist::KINDS));

    // `"normal" => (&["mean", "sd"], &[]),`; `_` is the kind left over.
    let body = section(DECODE_RS, "fn dist_params(", "\n}");
    let mut params: Vec<(String, BTreeSet<String>, BTreeSet<String>)> = Vec::new();
    for line in body.lines().filter(|l| l.contains("=>")) {
        let (lhs, rhs) = line.split_once("=>").unwrap();
        let lists: Vec<&str> = rhs.split("&[").skip(1).collect();
        assert_eq!(lists.len(), 2, "unexpected dist_params arm: {line}");
        let required = set(quoted(lists[0].split(']').next().unwrap()));
        let optional = set(quoted(lists[1].split(']').next().unwrap()));
        let kind = match quoted(lhs).as_slice() {
            [k] => k.clone(),
            [] if lhs.trim() == "_" => {
                let named: Vec<&String> = params.iter().map(|p| &p.0).collect();
                let rest: Vec<&str> = Dist::KINDS
                    .iter()
                    .copied()
                    .filter(|k| !named.iter().any(|n| n == k))
                    .collect();
                assert_eq!(rest.len(), 1, "the `_` arm covers {rest:?}");
                rest[0].to_string()
            }
            _ => panic!("unexpected dist_params arm: {line}"),
        };
        params.push((kind, required, optional));
    }
    assert_eq!(set(params.iter().map(|p| p.0.clone())), set(Dist::KINDS));

    let allowed = kind_branches(&defs["distributionFields"]);
    let required = kind_branches(&defs["distribution"]);
    assert_eq!(allowed.len(), Dist::KINDS.len());
    let mut all_params = BTreeSet::new();
    for (kind, req, opt) in &params {
        let (_, then) = allowed
            .iter()
            .find(|(k, _)| k == kind)
            .unwrap_or_else(|| panic!("no parameter list for `{kind}` in the JSON Schema"));
        let mut expected: BTreeSet<String> = req.union(opt).cloned().collect();
        all_params.extend(expected.iter().cloned());
        expected.insert("kind".to_string());
        assert_eq!(property_names(then), expected, "parameters of `{kind}`");
        assert_eq!(then["additionalProperties"], false, "`{kind}` is closed");

        let schema_req = required
            .iter()
            .find(|(k, _)| k == kind)
            .map(|(_, then)| {
                set(then["required"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|r| r.as_str().unwrap()))
            })
            .unwrap_or_default();
        assert_eq!(&schema_req, req, "required parameters of `{kind}`");
    }
    all_params.insert("kind".to_string());
    assert_eq!(property_names(&defs["distributionFields"]), all_params);
}

#[test]
fn generator_kinds_and_keys_match_decode_rs() {
    let schema = json_schema();
    let defs = &schema["$defs"];
    assert_eq!(enum_values(&defs["generatorKind"]), set(Generator::KINDS));
    let shorthand = enum_values(&defs["generator"]["anyOf"][0]);
    assert!(shorthand.is_subset(&set(Generator::KINDS)), "{shorthand:?}");
    assert_eq!(
        enum_values(&defs["generatorMapping"]["properties"]["locale"]),
        set(Locale::NAMES)
    );

    // `"phone" | "address" => &["kind", "locale"],`; `_` covers the kinds left over.
    let body = section(
        section(DECODE_RS, "fn decode_kind(", "\n}"),
        "let allowed: &[&str] = match kind.as_str() {",
        "};",
    );
    let mut keys: Vec<(String, BTreeSet<String>)> = Vec::new();
    let mut fallback = None;
    for line in body.lines().filter(|l| l.contains("=>")) {
        let (lhs, rhs) = line.split_once("=>").unwrap();
        let allowed = set(quoted(rhs));
        let kinds = quoted(lhs);
        if kinds.is_empty() {
            assert_eq!(lhs.trim(), "_", "unexpected decode_kind arm: {line}");
            fallback = Some(allowed);
        } else {
            keys.extend(kinds.into_iter().map(|k| (k, allowed.clone())));
        }
    }
    for kind in Generator::KINDS {
        if !keys.iter().any(|(k, _)| k == kind) {
            let f = fallback.clone().expect("a `_` arm for the remaining kinds");
            keys.push((kind.to_string(), f));
        }
    }

    let branches = kind_branches(&defs["generatorMapping"]);
    assert_eq!(branches.len(), Generator::KINDS.len());
    let mut all_keys = BTreeSet::new();
    for (kind, allowed) in &keys {
        let (_, then) = branches
            .iter()
            .find(|(k, _)| k == kind)
            .unwrap_or_else(|| panic!("no key list for generator `{kind}` in the JSON Schema"));
        assert_eq!(&property_names(then), allowed, "keys of generator `{kind}`");
        all_keys.extend(allowed.iter().cloned());
    }
    assert_eq!(property_names(&defs["generatorMapping"]), all_keys);
}

#[test]
fn type_role_and_action_names_match_the_model() {
    let schema = json_schema();
    let column = &schema["$defs"]["column"]["properties"];
    assert_eq!(enum_values(&column["type"]), set(ColumnType::NAMES));
    assert_eq!(enum_values(&schema["$defs"]["roleName"]), set(Role::NAMES));
    // `role` is one name or a list of them.
    let role = &column["role"]["anyOf"];
    assert_eq!(role[0]["$ref"], "#/$defs/roleName");
    assert_eq!(role[1]["items"]["$ref"], "#/$defs/roleName");
    // The decoder also takes the US spelling `pseudonymize`.
    let mut actions = set(Action::NAMES);
    actions.insert("pseudonymize".to_string());
    assert_eq!(enum_values(&schema["$defs"]["action"]), actions);

    // Every type has its if/then rule.
    let typed: BTreeSet<String> = schema["$defs"]["column"]["allOf"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|b| b["if"]["properties"]["type"]["const"].as_str())
        .map(str::to_string)
        .collect();
    assert_eq!(typed, set(ColumnType::NAMES));
}

/// The `encryption:` sections of linked tables: at the top and in a table (whose `footer_key`
/// may come from the top), accepted by both; a table section with an unknown key or a
/// top-level section without `footer_key` refused by both.
#[test]
fn linked_encryption_sections_agree_with_the_decoder() {
    use fairsynth::schema::Document;
    let v = validator();
    let base = "version: 1
name: shop
encryption:
  footer_key: footer
  keys:
    auditor: {roles: [protected], columns: [orders.total]}
tables:
  - name: customers
    rows: 10
    primary_key: customer_id
    columns:
      - {name: customer_id, type: int, generator: {kind: sequence}}
      - {name: sex, type: category, role: protected, shares: {f: 0.5, m: 0.5}}
  - name: orders
    primary_key: order_id
    columns:
      - {name: order_id, type: int, generator: {kind: sequence}}
      - name: customer_id
        type: int
        references: customers
        children: {distribution: {kind: poisson, lambda: 2}, max: 10}
      - {name: total, type: float, distribution: {kind: normal, mean: 5, sd: 1}}
    encryption:
      plaintext_footer: true
      keys:
        linkage: {columns: [customer_id]}
";
    let ok = |yaml: &str| {
        Document::from_str_named(yaml, "snippet.yaml").is_ok()
            && v.is_valid(&yaml_to_json(yaml).expect("json"))
    };
    let refused = |yaml: &str| {
        Document::from_str_named(yaml, "snippet.yaml").is_err()
            && !v.is_valid(&yaml_to_json(yaml).expect("json"))
    };
    assert!(ok(base), "{base}");
    let unknown = base.replace("plaintext_footer: true", "plaintext_footr: true");
    assert!(refused(&unknown), "{unknown}");
    let no_footer = base.replace("  footer_key: footer\n", "");
    assert!(refused(&no_footer), "{no_footer}");
}
