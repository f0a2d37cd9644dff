//! The route a new user takes, on the evaluation corpus `tests/data/deid_corpus/` (17 tables
//! the detection rules were not written from: 16 generated with mimesis in six locales and
//! export dialects, one real; a third held out of rule-writing, see its README):
//! `inspect` → the draft unchanged → `deidentify` must exit 0 on every table, leave no
//! identifier value in the output (as a whole cell or inside text), and remove no column of a
//! table without identifiers. Column-level precision and recall per kind are printed for the
//! dev and the holdout tables separately (`cargo test --test deid_corpus -- --nocapture`) and
//! held to floors here.

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use fairsynth::io::read::{texts, Format, Input, Reader};
use serde_json::Value;

use common::{fairsynth, root};

fn corpus() -> &'static Path {
    Box::leak(root().join("tests/data/deid_corpus").into_boxed_path())
}

fn format_of(file: &str) -> Format {
    Format::detect(Path::new(file)).unwrap_or_else(|e| panic!("{file}: {e}"))
}

/// Every column of a table (or Parquet output) as strings, by name.
fn read_all(path: &Path) -> BTreeMap<String, Vec<Option<String>>> {
    let input = Input::file(path, format_of(&path.to_string_lossy()));
    let schema = fairsynth::deid::inspect::empty_schema();
    let reader =
        Reader::open(&input, &schema).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let fields: Vec<String> = reader
        .schema()
        .fields()
        .iter()
        .map(|f| f.name().clone())
        .collect();
    let mut out: BTreeMap<String, Vec<Option<String>>> = BTreeMap::new();
    for batch in reader {
        let batch = batch.unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        for (name, col) in fields.iter().zip(batch.columns()) {
            out.entry(name.clone()).or_default().extend(texts(col));
        }
    }
    out
}

/// Whether `needle` occurs in `hay` on word boundaries (not inside a longer word or number).
fn contains_word(hay: &str, needle: &str) -> bool {
    let mut from = 0;
    while let Some(p) = hay[from..].find(needle) {
        let s = from + p;
        let e = s + needle.len();
        let before = hay[..s].chars().next_back();
        let after = hay[e..].chars().next();
        let boundary = |c: Option<char>| c.is_none_or(|c| !c.is_alphanumeric());
        if boundary(before) && boundary(after) {
            return true;
        }
        from = s + needle.chars().next().map_or(1, char::len_utf8);
    }
    false
}

/// A value worth looking for: at least four characters, and not a short number (house
/// numbers, ages and counts recur everywhere by chance).
fn telling(v: &str) -> bool {
    let v = v.trim();
    v.chars().count() >= 4 && !(v.chars().all(|c| c.is_ascii_digit()) && v.len() < 6)
}

/// Failures known today, each a (table file, start of the message after the file) pair.
/// Kept exact: a failure not listed fails the test, and so does a listed one that no longer
/// happens (then delete its line).
const KNOWN_GAPS: &[(&str, &str)] = &[
    // A staff member's given name alone, not in the name lists and in no column
    // (`geprüft durch Albern`).
    (
        "dev/de_crm.csv",
        "an identifier (given_name) inside `bemerkung`",
    ),
    // A third person's surname alone, in parentheses, in no column of the table.
    (
        "dev/nl_webshop_bestellingen.csv.gz",
        "an identifier (surname) inside `opmerking_klantenservice`",
    ),
    // Held out of rule-writing, recorded and not tuned to: a friend's given name alone in a
    // note; in the Spanish clinic's notes, a husband's given name alone. (Its phone in groups
    // of three digits, `687 389 795`, and its address without a street word, `Picavia, 7, 7º
    // D, 50004 Zaragoza`, are found since the plans without a trunk 0 and streets told by
    // their postcode and town were added: seen here first, so no longer held-out evidence.)
    (
        "holdout/nl_sportschool_leden.csv",
        "an identifier (given_name) inside `notitie_trainer`",
    ),
    (
        "holdout/es_clinica_citas.csv",
        "an identifier (given_name) inside `observaciones`",
    ),
];

#[derive(Default)]
struct Tally {
    /// Per label kind: (identifying columns, of which drafted as identifying).
    recall: BTreeMap<String, (u32, u32)>,
    /// Columns drafted as identifying, and of those labelled identifying.
    drafted: u32,
    drafted_right: u32,
    /// Columns labelled not identifying, and of those removed.
    negatives: u32,
    negatives_removed: u32,
    /// Dev tables only: the columns behind the shortfalls, for the developer to read.
    notes: Vec<String>,
}

#[test]
fn inspect_draft_deidentify_route_over_the_corpus() {
    let labels: Value = serde_json::from_str(
        &std::fs::read_to_string(corpus().join("labels.json")).expect("labels.json"),
    )
    .expect("labels parse");
    let embedded: Value = serde_json::from_str(
        &std::fs::read_to_string(corpus().join("embedded.json")).expect("embedded.json"),
    )
    .expect("embedded parse");
    let dir = tempfile::tempdir().expect("tempdir");
    let mut tallies: BTreeMap<String, Tally> = BTreeMap::new();
    let mut failures = Vec::new();
    let tables = labels["tables"].as_array().expect("tables");
    assert!(tables.len() >= 12, "the corpus has {} tables", tables.len());
    for (t, table) in tables.iter().enumerate() {
        let file = table["file"].as_str().expect("file");
        let split = table["split"].as_str().expect("split").to_string();
        let path = corpus().join(file);
        let draft = dir.path().join(format!("{t}.yaml"));
        let report = dir.path().join(format!("{t}.json"));
        let out = dir.path().join(format!("{t}.parquet"));
        let run = fairsynth()
            .args(["inspect", &path.to_string_lossy(), "--quiet"])
            .arg("--draft-schema")
            .arg(&draft)
            .arg("--report")
            .arg(&report)
            .output()
            .expect("runs");
        if !run.status.success() {
            failures.push(format!(
                "{file}: inspect failed: {}",
                String::from_utf8_lossy(&run.stderr)
            ));
            continue;
        }
        let run = fairsynth()
            .args(["deidentify", &path.to_string_lossy(), "--quiet"])
            .arg("--schema")
            .arg(&draft)
            .arg("-o")
            .arg(&out)
            .env("FAIRSYNTH_KEY", "corpus-test-key-0123456789abcdef")
            .output()
            .expect("runs");
        if !run.status.success() {
            failures.push(format!(
                "{file}: deidentify with the unchanged draft failed: {}",
                String::from_utf8_lossy(&run.stderr)
            ));
            continue;
        }
        let profile: Value =
            serde_json::from_str(&std::fs::read_to_string(&report).expect("report"))
                .expect("report parses");
        let input = read_all(&path);
        let output = read_all(&out);
        let out_cells: Vec<(&str, &str)> = output
            .iter()
            .flat_map(|(c, v)| v.iter().flatten().map(move |x| (c.as_str(), x.as_str())))
            .collect();
        // Free-text columns of the output (labelled so): identifiers are looked for inside
        // them; elsewhere only whole cells count (a company `Bayer e.K.` is not the customer
        // surnamed Bayer of another row).
        let text_columns: Vec<&str> = table["columns"]
            .as_object()
            .map(|cs| {
                cs.iter()
                    .filter(|(_, l)| {
                        matches!(
                            l["class"].as_str(),
                            Some("free_text" | "free_text_identifiers")
                        )
                    })
                    .map(|(n, _)| n.as_str())
                    .collect()
            })
            .unwrap_or_default();
        let found_in = |v: &str| {
            out_cells
                .iter()
                .find(|(col, c)| {
                    // A one-word name as a whole cell elsewhere is a coincidence (`Roma` the
                    // given name and the city); inside text it is a leak.
                    let one_word = v.chars().all(char::is_alphabetic);
                    (c.trim() == v && !one_word)
                        || (text_columns.contains(col) && contains_word(c, v))
                })
                .map(|(col, cell)| format!("`{v}` in output column `{col}`: `{cell}`"))
        };
        let columns = table["columns"].as_object().expect("columns");
        let any_identifier = columns.values().any(|c| {
            matches!(
                c["class"].as_str(),
                Some("identifier" | "free_text_identifiers")
            )
        });
        let tally = tallies.entry(split).or_default();
        for (name, label) in columns {
            let class = label["class"].as_str().unwrap_or("");
            let kind = label["kind"].as_str().unwrap_or("").to_string();
            let drafted = profile["columns"]
                .as_array()
                .and_then(|cs| cs.iter().find(|c| c["name"] == name.as_str()))
                .unwrap_or_else(|| panic!("{file}: no profile of `{name}`"));
            let role = drafted["proposed_role"].as_str().unwrap_or("");
            let action = drafted["proposed_action"].as_str().unwrap_or("");
            let identifying = role == "identifier" || action == "redact";
            let is_identifying = matches!(class, "identifier" | "free_text_identifiers");
            if is_identifying {
                let e = tally.recall.entry(kind.clone()).or_default();
                e.0 += 1;
                e.1 += u32::from(identifying);
            } else {
                tally.negatives += 1;
                let removed = !output.contains_key(name);
                tally.negatives_removed += u32::from(removed);
                if removed && table["split"] == "dev" {
                    tally
                        .notes
                        .push(format!("removed {class} {file}:{name} ({role}, {action})"));
                }
            }
            if identifying {
                tally.drafted += 1;
                tally.drafted_right += u32::from(is_identifying);
                if !is_identifying && table["split"] == "dev" {
                    tally.notes.push(format!(
                        "drafted identifying: {class} {file}:{name} ({kind})"
                    ));
                }
            }
            if class == "identifier" {
                let values = input.get(name).map_or(&[][..], Vec::as_slice);
                for v in values.iter().flatten().filter(|v| telling(v)) {
                    let v = v.trim();
                    if let Some(at) = found_in(v) {
                        failures.push(format!(
                            "{file}: a value of identifier column `{name}` ({kind}) reaches the output: {at}"
                        ));
                        break;
                    }
                }
            }
        }
        if let Some(cols) = embedded[file].as_object() {
            for (name, spans) in cols {
                // Every kind that leaks is reported (its first value and how many values of
                // it leak), so that one gap cannot hide another in the same column.
                let mut leaks: Vec<(String, String, usize)> = Vec::new();
                for span in spans.as_array().into_iter().flatten() {
                    let s = span[1].as_str().unwrap_or("");
                    if let Some(at) = telling(s).then(|| found_in(s)).flatten() {
                        let kind = span[2].as_str().unwrap_or("?").to_string();
                        match leaks.iter_mut().find(|l| l.0 == kind) {
                            Some(l) => l.2 += 1,
                            None => leaks.push((kind, at, 1)),
                        }
                    }
                }
                for (kind, at, n) in leaks {
                    failures.push(format!(
                        "{file}: an identifier ({kind}) inside `{name}` reaches the output: {at} ({n} value{} of this kind)",
                        if n == 1 { "" } else { "s" }
                    ));
                }
            }
        }
        if !any_identifier {
            let removed: Vec<&String> = input.keys().filter(|c| !output.contains_key(*c)).collect();
            if !removed.is_empty() {
                failures.push(format!(
                    "{file}: a table without identifiers lost columns {removed:?}"
                ));
            }
        }
    }
    for (split, t) in &tallies {
        println!(
            "split {split}: per-kind recall of identifying columns (drafted identifier or redact)"
        );
        for (kind, (n, found)) in &t.recall {
            println!("  {kind:<24} {found}/{n}");
        }
        let found: u32 = t.recall.values().map(|v| v.1).sum();
        let all: u32 = t.recall.values().map(|v| v.0).sum();
        println!(
            "  column recall {found}/{all} = {:.3}; precision {}/{} = {:.3}; non-identifying columns removed {}/{}",
            f64::from(found) / f64::from(all.max(1)),
            t.drafted_right,
            t.drafted,
            f64::from(t.drafted_right) / f64::from(t.drafted.max(1)),
            t.negatives_removed,
            t.negatives
        );
        for n in &t.notes {
            println!("  {n}");
        }
    }
    let known = |f: &str| {
        KNOWN_GAPS
            .iter()
            .any(|(file, what)| f.starts_with(&format!("{file}: {what}")))
    };
    for f in failures.iter().filter(|f| known(f)) {
        println!("known gap: {}", f.lines().next().unwrap_or(""));
    }
    let new: Vec<&String> = failures.iter().filter(|f| !known(f)).collect();
    let gone: Vec<String> = KNOWN_GAPS
        .iter()
        .filter(|(file, what)| {
            !failures
                .iter()
                .any(|f| f.starts_with(&format!("{file}: {what}")))
        })
        .map(|(file, what)| format!("{file}: {what}"))
        .collect();
    assert!(
        new.is_empty(),
        "failures beyond the known gaps:\n{}",
        new.iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    );
    assert!(
        gone.is_empty(),
        "known gaps that no longer happen (delete them from KNOWN_GAPS):\n{}",
        gone.join("\n")
    );
    for (split, t) in &tallies {
        let found: u32 = t.recall.values().map(|v| v.1).sum();
        let all: u32 = t.recall.values().map(|v| v.0).sum();
        let recall = f64::from(found) / f64::from(all.max(1));
        let precision = f64::from(t.drafted_right) / f64::from(t.drafted.max(1));
        assert!(recall >= 0.95, "{split}: column recall {recall:.3}");
        assert!(
            precision >= 0.85,
            "{split}: column precision {precision:.3}"
        );
    }
}
