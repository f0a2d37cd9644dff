//! Primary and foreign keys: which column identifies a table's rows, and which columns hold
//! another table's keys. A foreign key needs every non-null value of the child column among
//! the parent's key values, the same key type, and a reason beyond that inclusion: names
//! (`client_id` → `client`, `users_id` → `users.id`), or for a key-like name, inclusion too
//! unlikely to be chance. Small whole numbers (counts, codes 1..77) fall inside many key
//! ranges by accident; they are rejected, with the reason kept as evidence.

use crate::hash::FastMap;

/// The lowercase letters and digits of a name, other characters dropped: `Client-ID` →
/// `clientid`.
pub(crate) fn squash(name: &str) -> String {
    name.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// The words of a name (split at non-letters and lower-to-upper case changes), lowercase.
pub(crate) fn words(name: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut cur = String::new();
    let mut prev_lower = false;
    for ch in name.chars() {
        if !ch.is_ascii_alphanumeric() {
            if !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
            prev_lower = false;
            continue;
        }
        if ch.is_ascii_uppercase() && prev_lower && !cur.is_empty() {
            out.push(std::mem::take(&mut cur));
        }
        prev_lower = ch.is_ascii_lowercase() || ch.is_ascii_digit();
        cur.push(ch.to_ascii_lowercase());
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// Name words of a key.
const KEY_WORDS: &[&str] = &[
    "id", "key", "ref", "fk", "pk", "no", "nr", "num", "code", "uuid",
];

/// Name words of a measure: amounts, counts and scores are never keys.
const MEASURE_WORDS: &[&str] = &[
    "amount", "amt", "count", "cnt", "qty", "quantity", "total", "sum", "price", "balance",
    "score", "age", "duration", "payments", "size", "length", "weight", "rate",
];

/// Name words of a reference to a row of the same table.
const SELF_WORDS: &[&str] = &[
    "parent",
    "manager",
    "supervisor",
    "boss",
    "referred",
    "referrer",
    "reports",
    "predecessor",
    "successor",
    "previous",
    "prev",
    "next",
    "root",
    "spouse",
    "partner",
];

/// Whether a column's name says it holds keys (`…_id`, `…Key`, `…_no`, `id`).
pub(crate) fn key_like(name: &str) -> bool {
    let w = words(name);
    let s = squash(name);
    w.iter().any(|x| KEY_WORDS.contains(&x.as_str())) || s.ends_with("id")
}

/// Whether a column's name says it holds a measure.
pub(crate) fn measure_like(name: &str) -> bool {
    words(name)
        .iter()
        .any(|x| MEASURE_WORDS.contains(&x.as_str()))
}

/// The forms of a table name a column may use: `users` → `users`, `user`.
fn table_forms(table: &str) -> Vec<String> {
    let t = squash(table);
    let mut forms = vec![t.clone()];
    if let Some(s) = t.strip_suffix("ies") {
        forms.push(format!("{s}y"));
    } else if let Some(s) = t
        .strip_suffix("es")
        .filter(|s| s.ends_with('s') || s.ends_with('x'))
    {
        forms.push(s.to_string());
    } else if let Some(s) = t.strip_suffix('s').filter(|s| !s.is_empty()) {
        forms.push(s.to_string());
    }
    forms
}

/// Why the name of `column` (of table `child`) points at `parent`'s key `key`, if it does.
pub(crate) fn name_evidence(column: &str, child: &str, parent: &str, key: &str) -> Option<String> {
    let c = squash(column);
    let k = squash(key);
    for t in table_forms(parent) {
        for (form, with_key) in [
            (format!("{t}{k}"), true),
            (format!("{t}id"), false),
            (format!("{t}key"), false),
            (format!("{t}no"), false),
        ] {
            if c == form && !(child == parent && column == key) {
                let and_key = if with_key {
                    format!(" and its key `{key}`")
                } else {
                    String::new()
                };
                return Some(format!(
                    "the name `{column}` names the table `{parent}`{and_key}"
                ));
            }
        }
    }
    if k != "id" && k.len() >= 4 && !(child == parent && column == key) {
        if c == k {
            return Some(format!("the name `{column}` is the key's name"));
        }
        if c.ends_with(&k) {
            return Some(format!(
                "the name `{column}` ends with the key's name `{key}`"
            ));
        }
    }
    if child == parent
        && key_like(column)
        && words(column)
            .iter()
            .any(|w| SELF_WORDS.contains(&w.as_str()))
    {
        return Some(format!(
            "the name `{column}` points at another row of the same table"
        ));
    }
    None
}

/// Whether the name of `column` names the table `parent` (`client_id`, `users_id`,
/// `user_key`), as opposed to only repeating the name of its key.
pub(crate) fn names_table(column: &str, parent: &str, key: &str) -> bool {
    let c = squash(column);
    let k = squash(key);
    table_forms(parent).iter().any(|t| {
        [
            format!("{t}{k}"),
            format!("{t}id"),
            format!("{t}key"),
            format!("{t}no"),
        ]
        .contains(&c)
    })
}

/// How sure a key name is: 3 for `id` or the table's own id (`client_id` in `client`), 2 for
/// another key-like name, 0 otherwise.
pub(crate) fn primary_name_score(column: &str, table: &str) -> u8 {
    let c = squash(column);
    if c == "id" || table_forms(table).iter().any(|t| c == format!("{t}id")) {
        3
    } else if key_like(column) {
        2
    } else {
        0
    }
}

/// Whether every key counted in `child` is among `parent`'s keys.
pub(crate) fn included(child: &FastMap<u64, u32>, parent: &FastMap<u64, u32>) -> bool {
    child.len() <= parent.len() && child.keys().all(|k| parent.contains_key(k))
}

/// log10 of the chance that `distinct` values drawn at random from the range of a
/// whole-number key (`parent_keys` keys between `min` and `max`) all fall on keys: dense
/// ranges (ids 1..77) give 0, i.e. inclusion proves nothing.
pub(crate) fn chance_log10(distinct: usize, parent_keys: usize, min: i64, max: i64) -> f64 {
    let span = (max as f64 - min as f64 + 1.0).max(1.0);
    let density = (parent_keys as f64 / span).clamp(f64::MIN_POSITIVE, 1.0);
    distinct as f64 * density.log10()
}

/// The least distinct values a foreign key without name evidence must have.
pub(crate) const STRONG_MIN_DISTINCT: usize = 10;
/// The largest log10 chance of inclusion a foreign key without name evidence may have.
pub(crate) const STRONG_MAX_CHANCE_LOG10: f64 = -6.0;

#[cfg(test)]
mod tests {
    use super::*;

    fn map(keys: &[u64]) -> FastMap<u64, u32> {
        keys.iter().map(|&k| (k, 1)).collect()
    }

    #[test]
    fn names_point_at_tables() {
        assert!(name_evidence("client_id", "disp", "client", "client_id").is_some());
        assert!(name_evidence("users_id", "purchases", "users", "id").is_some());
        assert!(name_evidence("user_id", "purchases", "users", "id").is_some());
        assert!(name_evidence("account_id", "order", "account", "account_id").is_some());
        assert!(name_evidence("CategoryId", "products", "categories", "id").is_some());
        assert!(name_evidence("owner_client_id", "x", "client", "client_id").is_some());
        // A plain `id` names no table, and a table's own key points at nothing.
        assert!(name_evidence("id", "purchases", "users", "id").is_none());
        assert!(name_evidence("client_id", "client", "client", "client_id").is_none());
        assert!(name_evidence("duration", "loan", "district", "district_id").is_none());
        assert!(name_evidence("A5", "district", "district", "district_id").is_none());
        assert!(name_evidence("account_to", "order", "account", "account_id").is_none());
        // Self-references by name.
        assert!(name_evidence("manager_id", "staff", "staff", "staff_id").is_some());
        assert!(name_evidence("manager", "staff", "staff", "staff_id").is_none());
        assert!(names_table("client_id", "client", "client_id"));
        assert!(!names_table("client_id", "client_detail", "client_id"));
    }

    #[test]
    fn key_and_measure_names() {
        assert!(key_like("client_id") && key_like("ID") && key_like("orderNo"));
        assert!(!key_like("duration") && !key_like("A5") && !key_like("idea"));
        assert!(
            measure_like("amount") && measure_like("loan_amount") && !measure_like("client_id")
        );
        assert_eq!(primary_name_score("client_id", "client"), 3);
        assert_eq!(primary_name_score("id", "users"), 3);
        assert_eq!(primary_name_score("account_id", "disp"), 2);
        assert_eq!(primary_name_score("birth_number", "client"), 0);
        assert_eq!(words("CategoryId"), ["category", "id"]);
    }

    #[test]
    fn inclusion_needs_every_value() {
        let parent = map(&[1, 2, 3, 5, 8]);
        assert!(included(&map(&[1, 5]), &parent));
        assert!(included(&map(&[]), &parent));
        assert!(!included(&map(&[1, 4]), &parent));
        assert!(!included(&map(&[1, 2, 3, 4, 5, 8]), &parent));
    }

    #[test]
    fn chance_of_inclusion() {
        // Dense ids 1..77: any small numbers fall inside, so inclusion proves nothing.
        assert_eq!(chance_log10(5, 77, 1, 77), 0.0);
        // 4500 keys spread over 1..11382: 30 values are included by chance once in 1e12.
        let c = chance_log10(30, 4500, 1, 11_382);
        assert!(c < -12.0 && c > -13.0, "{c}");
        assert!(chance_log10(5, 4500, 1, 11_382) > STRONG_MAX_CHANCE_LOG10);
    }
}
