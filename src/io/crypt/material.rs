//! Key material of the Parquet key-management tools ("PKMT1"): the flat JSON object stored in a
//! column's or the footer's `key_metadata` that tells a reader which master key wraps the data
//! key, and the wrapped key itself.
//!
//! Fields (as parquet-java, Arrow C++ / pyarrow and Spark write them): `keyMaterialType`
//! (`"PKMT1"`), `internalStorage` (the material is in the file), `isFooterKey`,
//! `kmsInstanceID` and `kmsInstanceURL` (footer only), `masterKeyID`, `wrappedDEK` (base64),
//! `doubleWrapping`, and in double wrapping `keyEncryptionKeyID` (base64 of the KEK's ID) and
//! `wrappedKEK`. Booleans are read as JSON booleans or as the strings `"true"`/`"false"`
//! (older parquet-java writes strings). Material kept outside the file
//! (`internalStorage: false`, a `keyReference`) is refused with a clear error.

use serde_json::{Map, Value};

use super::KeyError;

/// The only key material type defined.
pub const PKMT1: &str = "PKMT1";

/// Parsed key material.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyMaterial {
    /// Whether it is the footer key's.
    pub is_footer_key: bool,
    /// The master key wrapping the data key (single) or the key-encryption key (double).
    pub master_key_id: String,
    /// The wrapped data key, base64 as stored.
    pub wrapped_dek: String,
    /// In double wrapping: the KEK's ID (base64) and the KEK wrapped by the master key.
    pub double: Option<(String, String)>,
}

impl KeyMaterial {
    /// Single-wrapped material written by fairsynth.
    pub fn single(is_footer_key: bool, master_key_id: &str, wrapped_dek: String) -> KeyMaterial {
        KeyMaterial {
            is_footer_key,
            master_key_id: master_key_id.to_string(),
            wrapped_dek,
            double: None,
        }
    }

    /// The JSON stored as a column's or the footer's key metadata (internal storage).
    pub fn to_json(&self) -> String {
        let mut m = Map::new();
        m.insert("keyMaterialType".into(), PKMT1.into());
        m.insert("internalStorage".into(), true.into());
        m.insert("isFooterKey".into(), self.is_footer_key.into());
        if self.is_footer_key {
            m.insert("kmsInstanceID".into(), "DEFAULT".into());
            m.insert("kmsInstanceURL".into(), "DEFAULT".into());
        }
        m.insert("masterKeyID".into(), self.master_key_id.clone().into());
        m.insert("wrappedDEK".into(), self.wrapped_dek.clone().into());
        m.insert("doubleWrapping".into(), self.double.is_some().into());
        if let Some((kek_id, wrapped_kek)) = &self.double {
            m.insert("keyEncryptionKeyID".into(), kek_id.clone().into());
            m.insert("wrappedKEK".into(), wrapped_kek.clone().into());
        }
        Value::Object(m).to_string()
    }

    /// Parses key metadata bytes. Errors say what is wrong with the material, never quoting
    /// the wrapped keys.
    pub fn parse(bytes: &[u8]) -> Result<KeyMaterial, KeyError> {
        let bad = |problem: String| KeyError::Material { problem };
        if bytes.is_empty() {
            return Err(bad("the key metadata is empty (the file was encrypted with explicit keys, not with the Parquet key-management tools)".into()));
        }
        let text = std::str::from_utf8(bytes)
            .map_err(|_| bad("the key metadata is not UTF-8 text, so not PKMT1 key material (the file was encrypted with explicit keys, not with the Parquet key-management tools)".into()))?;
        let value: Value = serde_json::from_str(text).map_err(|e| {
            bad(format!(
                "the key metadata is not JSON ({}), so not PKMT1 key material",
                e.classify_word()
            ))
        })?;
        let Value::Object(m) = value else {
            return Err(bad("the key metadata is JSON but not an object".into()));
        };
        match m.get("keyMaterialType") {
            Some(Value::String(t)) if t == PKMT1 => {}
            Some(Value::String(t)) => {
                return Err(bad(format!(
                    "unknown key material type `{}` (fairsynth reads {PKMT1})",
                    printable(t)
                )))
            }
            _ => return Err(bad("`keyMaterialType` is missing".into())),
        }
        let internal = flag(&m, "internalStorage")?.unwrap_or(true);
        if !internal || m.contains_key("keyReference") {
            return Err(bad("the key material is stored outside the file (`internalStorage: false`); fairsynth reads key material kept in the file, the default of pyarrow and Spark".into()));
        }
        let is_footer_key = flag(&m, "isFooterKey")?.unwrap_or(false);
        let master_key_id = string(&m, "masterKeyID")?;
        let wrapped_dek = string(&m, "wrappedDEK")?;
        let double = if flag(&m, "doubleWrapping")?.unwrap_or(false) {
            Some((string(&m, "keyEncryptionKeyID")?, string(&m, "wrappedKEK")?))
        } else {
            None
        };
        Ok(KeyMaterial {
            is_footer_key,
            master_key_id,
            wrapped_dek,
            double,
        })
    }
}

/// A boolean field: a JSON boolean, or the text `true`/`false`.
fn flag(m: &Map<String, Value>, key: &str) -> Result<Option<bool>, KeyError> {
    match m.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(Value::String(t)) if t.eq_ignore_ascii_case("true") => Ok(Some(true)),
        Some(Value::String(t)) if t.eq_ignore_ascii_case("false") => Ok(Some(false)),
        Some(_) => Err(KeyError::Material {
            problem: format!("`{key}` is not true or false"),
        }),
    }
}

/// A required text field.
fn string(m: &Map<String, Value>, key: &str) -> Result<String, KeyError> {
    match m.get(key) {
        Some(Value::String(t)) if !t.is_empty() => Ok(t.clone()),
        Some(Value::String(_)) => Err(KeyError::Material {
            problem: format!("`{key}` is empty"),
        }),
        Some(_) => Err(KeyError::Material {
            problem: format!("`{key}` is not text"),
        }),
        None => Err(KeyError::Material {
            problem: format!("`{key}` is missing"),
        }),
    }
}

/// Text from a file, cut short and with control characters escaped, for a message.
pub(crate) fn printable(t: &str) -> String {
    let mut out: String = t.chars().take(64).flat_map(char::escape_debug).collect();
    if t.chars().count() > 64 {
        out.push('…');
    }
    out
}

trait ClassifyWord {
    fn classify_word(&self) -> &'static str;
}

impl ClassifyWord for serde_json::Error {
    fn classify_word(&self) -> &'static str {
        match self.classify() {
            serde_json::error::Category::Io => "unreadable",
            serde_json::error::Category::Syntax => "a syntax error",
            serde_json::error::Category::Data => "unexpected data",
            serde_json::error::Category::Eof => "it ends early",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_material_round_trips() {
        let m = KeyMaterial::single(true, "footer", "AAAA".into());
        let json = m.to_json();
        assert!(json.contains("\"keyMaterialType\":\"PKMT1\""), "{json}");
        assert!(json.contains("\"kmsInstanceID\":\"DEFAULT\""), "{json}");
        assert_eq!(KeyMaterial::parse(json.as_bytes()).expect("parse"), m);
        let col = KeyMaterial::single(false, "auditor", "BBBB".into());
        let json = col.to_json();
        assert!(!json.contains("kmsInstanceID"), "{json}");
        assert_eq!(KeyMaterial::parse(json.as_bytes()).expect("parse"), col);
    }

    #[test]
    fn double_wrapping_and_string_booleans_are_read() {
        let json = r#"{"keyMaterialType":"PKMT1","internalStorage":"true","isFooterKey":"false","masterKeyID":"k1","wrappedDEK":"d","doubleWrapping":"true","keyEncryptionKeyID":"id","wrappedKEK":"w"}"#;
        let m = KeyMaterial::parse(json.as_bytes()).expect("parse");
        assert_eq!(m.double, Some(("id".into(), "w".into())));
        assert_eq!(m.master_key_id, "k1");
        assert!(!m.is_footer_key);
    }

    #[test]
    fn bad_material_is_named() {
        for (bytes, want) in [
            (&b""[..], "is empty"),
            (b"\xff\xfe", "not UTF-8"),
            (b"{", "not JSON"),
            (b"[1]", "not an object"),
            (br#"{"keyMaterialType":"PKMT9"}"#, "unknown key material type `PKMT9`"),
            (br#"{"keyMaterialType":"PKMT1","internalStorage":false,"keyReference":"r"}"#, "outside the file"),
            (br#"{"keyMaterialType":"PKMT1","wrappedDEK":"x"}"#, "`masterKeyID` is missing"),
            (br#"{"keyMaterialType":"PKMT1","masterKeyID":"k","wrappedDEK":"x","doubleWrapping":true}"#, "`keyEncryptionKeyID` is missing"),
            (br#"{"keyMaterialType":"PKMT1","masterKeyID":"k","wrappedDEK":"x","doubleWrapping":3}"#, "`doubleWrapping` is not true or false"),
        ] {
            let e = KeyMaterial::parse(bytes).expect_err("bad").to_string();
            assert!(e.contains(want), "{e}");
        }
    }
}
