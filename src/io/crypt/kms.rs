//! Master keys and the wrapping of data keys.
//!
//! [`KmsClient`] is what a key-management service does for Parquet encryption: wrap a data key
//! with a master key named by ID, and unwrap it again. [`MasterKeys`] is the implementation for
//! master keys a person holds: lines `ID: BASE64` in a key file, and environment variables
//! `FAIRSYNTH_KEY_<ID>` holding the base64 key. It wraps the way parquet-java's in-memory KMS
//! (`InMemoryKMS`, the one Spark tests and examples use) and its Arrow C++ counterpart do: AES-GCM
//! with the master key, a random 12-byte nonce, the master key ID's UTF-8 bytes as additional
//! authenticated data, stored as base64 of nonce, ciphertext and 16-byte tag. So the same master
//! keys open the file in Spark with a KMS client that wraps like that.
//!
//! Keys are held in [`Secret`], which never prints and is overwritten when dropped; no message
//! quotes a key or a line of a key file.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_128_GCM, AES_256_GCM, NONCE_LEN};
use ring::rand::{SecureRandom, SystemRandom};

use super::KeyError;

/// The prefix of the environment variables holding master keys.
pub const ENV_PREFIX: &str = "FAIRSYNTH_KEY_";

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// Wraps and unwraps data keys with master keys named by ID.
pub trait KmsClient: Send + Sync {
    /// The data key `key` wrapped by master key `master_key_id`, as text for the key material.
    fn wrap_key(&self, key: &[u8], master_key_id: &str) -> Result<String, KeyError>;
    /// The data key `wrapped` holds, unwrapped with master key `master_key_id`.
    fn unwrap_key(&self, wrapped: &str, master_key_id: &str) -> Result<Vec<u8>, KeyError>;
}

/// Key bytes that never print and are overwritten when dropped.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(Vec<u8>);

impl Secret {
    /// Takes the bytes.
    pub fn new(bytes: Vec<u8>) -> Secret {
        Secret(bytes)
    }

    /// The bytes.
    pub fn expose(&self) -> &[u8] {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Secret({} bytes)", self.0.len())
    }
}

impl Drop for Secret {
    fn drop(&mut self) {
        for b in self.0.iter_mut() {
            // SAFETY: `b` is a valid, aligned, exclusive reference; the volatile write keeps
            // the compiler from eliding the wipe of memory about to be freed.
            unsafe { std::ptr::write_volatile(b, 0) };
        }
    }
}

/// Where a master key came from, for messages (never the key).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeySource {
    /// A key file line.
    File {
        /// The key file.
        path: PathBuf,
        /// 1-based line.
        line: usize,
    },
    /// An environment variable.
    Env(String),
    /// A key given by a program (the Python package, a test).
    Given,
}

impl std::fmt::Display for KeySource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            KeySource::File { path, line } => write!(f, "{}:{line}", path.display()),
            KeySource::Env(name) => write!(f, "environment variable {name}"),
            KeySource::Given => f.write_str("the keys given"),
        }
    }
}

/// A 128- or 256-bit AES key, or an error naming the key ID and its source.
fn aes_key(id: &str, bytes: &[u8], from: &KeySource) -> Result<LessSafeKey, KeyError> {
    let alg = match bytes.len() {
        16 => &AES_128_GCM,
        32 => &AES_256_GCM,
        n => {
            return Err(KeyError::Length {
                id: id.to_string(),
                from: from.to_string(),
                bytes: n,
            })
        }
    };
    let key = UnboundKey::new(alg, bytes).map_err(|_| KeyError::Length {
        id: id.to_string(),
        from: from.to_string(),
        bytes: bytes.len(),
    })?;
    Ok(LessSafeKey::new(key))
}

/// AES-GCM: base64 of nonce, ciphertext and tag (the key tools' local wrapping).
pub fn wrap_locally(
    key: &[u8],
    wrapping_key: &LessSafeKey,
    aad: &[u8],
) -> Result<String, KeyError> {
    let mut nonce = [0u8; NONCE_LEN];
    SystemRandom::new()
        .fill(&mut nonce)
        .map_err(|_| KeyError::Random)?;
    let mut buf = key.to_vec();
    let tag = wrapping_key
        .seal_in_place_separate_tag(
            Nonce::assume_unique_for_key(nonce),
            Aad::from(aad),
            &mut buf,
        )
        .map_err(|_| KeyError::Random)?;
    let mut out = Vec::with_capacity(NONCE_LEN + buf.len() + tag.as_ref().len());
    out.extend_from_slice(&nonce);
    out.extend_from_slice(&buf);
    out.extend_from_slice(tag.as_ref());
    buf.iter_mut().for_each(|b| *b = 0);
    Ok(B64.encode(out))
}

/// The inverse of [`wrap_locally`]; `None` when the wrapping key or AAD is not the one used
/// (or the text is damaged).
pub fn unwrap_locally(wrapped: &str, wrapping_key: &LessSafeKey, aad: &[u8]) -> Option<Vec<u8>> {
    let mut bytes = B64.decode(wrapped.trim()).ok()?;
    if bytes.len() < NONCE_LEN + 16 {
        return None;
    }
    let nonce = Nonce::try_assume_unique_for_key(&bytes[..NONCE_LEN]).ok()?;
    let plain = wrapping_key
        .open_in_place(nonce, Aad::from(aad), &mut bytes[NONCE_LEN..])
        .ok()?;
    Some(plain.to_vec())
}

/// The AES key of a data or key-encryption key (16 or 32 bytes).
pub fn local_key(bytes: &[u8]) -> Option<LessSafeKey> {
    let alg = match bytes.len() {
        16 => &AES_128_GCM,
        32 => &AES_256_GCM,
        _ => return None,
    };
    UnboundKey::new(alg, bytes).ok().map(LessSafeKey::new)
}

/// Master keys from a key file, the environment, or given by a program.
#[derive(Debug, Default, Clone)]
pub struct MasterKeys {
    keys: BTreeMap<String, (Secret, KeySource)>,
    /// Whether `FAIRSYNTH_KEY_<ID>` is looked up for IDs not otherwise given.
    env: bool,
}

impl MasterKeys {
    /// No keys; the environment is not consulted.
    pub fn none() -> MasterKeys {
        MasterKeys::default()
    }

    /// Keys looked up in the environment (`FAIRSYNTH_KEY_<ID>`) when asked for.
    pub fn from_env() -> MasterKeys {
        MasterKeys {
            keys: BTreeMap::new(),
            env: true,
        }
    }

    /// Adds a key given by a program (validated when first used).
    pub fn with_key(mut self, id: &str, key: Vec<u8>) -> MasterKeys {
        self.keys
            .insert(id.to_string(), (Secret::new(key), KeySource::Given));
        self
    }

    /// Adds the keys of a key file: one `ID: BASE64` a line; blank lines and lines starting
    /// with `#` are skipped. Every key is checked (base64, 16 or 32 bytes) now, so a bad line
    /// is named before anything is read or written. A key file's keys win over the
    /// environment.
    pub fn with_key_file(mut self, path: &Path) -> Result<MasterKeys, KeyError> {
        let text = std::fs::read(path).map_err(|source| KeyError::KeyFileIo {
            path: path.to_path_buf(),
            source,
        })?;
        let text = String::from_utf8(text).map_err(|_| KeyError::KeyFile {
            path: path.to_path_buf(),
            line: 0,
            problem: "is not UTF-8 text".into(),
            hint: "write one `ID: BASE64` a line",
        })?;
        let text = Secret::new(text.into_bytes());
        let text = std::str::from_utf8(text.expose()).unwrap_or_default();
        for (i, raw) in text.lines().enumerate() {
            let line = i + 1;
            let l = raw.trim();
            if l.is_empty() || l.starts_with('#') {
                continue;
            }
            let bad = |problem: String, hint: &'static str| KeyError::KeyFile {
                path: path.to_path_buf(),
                line,
                problem,
                hint,
            };
            let Some((id, b64)) = l.split_once(':') else {
                return Err(bad(
                    "is not `ID: BASE64` (no `:`)".into(),
                    "write each key as `ID: BASE64`, e.g. `auditor: <base64 of 16 or 32 random bytes>`",
                ));
            };
            let id = id.trim();
            if id.is_empty() || id.chars().any(char::is_whitespace) {
                return Err(bad(
                    "has no key ID before the `:`".into(),
                    "write each key as `ID: BASE64`",
                ));
            }
            let from = KeySource::File {
                path: path.to_path_buf(),
                line,
            };
            let key = decode_key(id, b64, &from)?;
            if let Some((_, first)) = self.keys.get(id) {
                return Err(bad(
                    format!("gives master key `{id}` again (first at {first})"),
                    "keep one line per key ID",
                ));
            }
            self.keys.insert(id.to_string(), (key, from));
        }
        Ok(self)
    }

    /// The master key `id`, from what was given, else the environment.
    fn key(&self, id: &str) -> Result<(Secret, KeySource), KeyError> {
        if let Some((k, from)) = self.keys.get(id) {
            return Ok((k.clone(), from.clone()));
        }
        if self.env && crate::schema::Encryption::valid_key_id(id) {
            let name = format!("{ENV_PREFIX}{id}");
            if let Some(v) = std::env::var_os(&name) {
                let from = KeySource::Env(name);
                let Some(v) = v.to_str() else {
                    return Err(KeyError::Base64 {
                        id: id.to_string(),
                        from: from.to_string(),
                    });
                };
                let v = Secret::new(v.as_bytes().to_vec());
                let text = std::str::from_utf8(v.expose()).unwrap_or_default();
                return Ok((decode_key(id, text, &from)?, from));
            }
        }
        // An ID no environment variable can be named after (from another tool's file) is
        // looked up in the key file only, and the message says so.
        Err(KeyError::Missing {
            id: id.to_string(),
            env: self.env && crate::schema::Encryption::valid_key_id(id),
        })
    }

    /// The IDs of the keys given (not those of the environment).
    pub fn ids(&self) -> Vec<&str> {
        self.keys.keys().map(String::as_str).collect()
    }
}

/// A base64 key of 16 or 32 bytes.
fn decode_key(id: &str, b64: &str, from: &KeySource) -> Result<Secret, KeyError> {
    let bytes = B64.decode(b64.trim()).map_err(|_| KeyError::Base64 {
        id: id.to_string(),
        from: from.to_string(),
    })?;
    let bytes = Secret::new(bytes);
    aes_key(id, bytes.expose(), from)?;
    Ok(bytes)
}

impl KmsClient for MasterKeys {
    fn wrap_key(&self, key: &[u8], master_key_id: &str) -> Result<String, KeyError> {
        let (master, from) = self.key(master_key_id)?;
        let aes = aes_key(master_key_id, master.expose(), &from)?;
        wrap_locally(key, &aes, master_key_id.as_bytes())
    }

    fn unwrap_key(&self, wrapped: &str, master_key_id: &str) -> Result<Vec<u8>, KeyError> {
        let (master, from) = self.key(master_key_id)?;
        let aes = aes_key(master_key_id, master.expose(), &from)?;
        unwrap_locally(wrapped, &aes, master_key_id.as_bytes()).ok_or_else(|| KeyError::Wrong {
            id: master_key_id.to_string(),
            from: from.to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrapping_round_trips_and_binds_the_key_id() {
        let keys = MasterKeys::none()
            .with_key("a", vec![7; 16])
            .with_key("b", vec![9; 32]);
        let dek = [1u8; 16];
        for id in ["a", "b"] {
            let w = keys.wrap_key(&dek, id).expect("wrap");
            assert_eq!(keys.unwrap_key(&w, id).expect("unwrap"), dek);
        }
        // The same key bytes under another ID do not open it (the ID is the AAD).
        let other = MasterKeys::none().with_key("c", vec![7; 16]);
        let w = keys.wrap_key(&dek, "a").expect("wrap");
        let renamed = MasterKeys::none().with_key("a", vec![8; 16]);
        assert!(matches!(
            renamed.unwrap_key(&w, "a"),
            Err(KeyError::Wrong { .. })
        ));
        assert!(matches!(
            other.unwrap_key(&w, "a"),
            Err(KeyError::Missing { .. })
        ));
    }

    #[test]
    fn debug_never_shows_a_key() {
        let keys = MasterKeys::none().with_key("a", vec![0x41; 16]);
        let text = format!("{keys:?}");
        assert!(!text.contains("65") && !text.contains("AAAA"), "{text}");
        assert!(text.contains("16 bytes"), "{text}");
    }
}
