//! Column-level encryption of Parquet files (Parquet modular encryption, AES-GCM) with the key
//! metadata of the Parquet key-management tools, so that pyarrow's `CryptoFactory` and Spark's
//! `PropertiesDrivenCryptoFactory` open fairsynth's files, and fairsynth theirs, given the
//! master keys.
//!
//! - Writing ([`write_properties`]): every file gets fresh random 128-bit data keys (one for
//!   the footer, one per encrypted column), each wrapped by its master key through a
//!   [`KmsClient`] and stored as PKMT1 key material ([`material`], single wrapping). Encrypted
//!   columns get no statistics, page index or bloom filter, so nothing of their values is left
//!   in plaintext whatever the footer mode.
//! - Reading ([`Retriever`]): key material (single or double wrapping) is unwrapped through the
//!   same client; a column whose key cannot be had is reported by [`locked_columns`] so that a
//!   reader can leave it out (projection) and say why.
//! - The [`Access`] of a command (its policy and key source) is installed for the command's
//!   duration with [`enter`]; the one Parquet writer and reader consult [`current`]. A command
//!   writing the files of linked tables installs one policy per table. Without an installed
//!   access, keys come from the environment (`FAIRSYNTH_KEY_<ID>`) and nothing is encrypted.
//!
//! No key reaches a message, a log, a report or a temporary file: errors name the master key
//! ID and where the key came from, never the key.

pub mod kms;
pub mod material;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard, RwLock};

use arrow_schema::SchemaRef;
use base64::Engine as _;
use parquet::encryption::decrypt::{FileDecryptionProperties, KeyRetriever};
use parquet::encryption::encrypt::FileEncryptionProperties;
use parquet::errors::ParquetError;
use parquet::file::column_crypto_metadata::ColumnCryptoMetaData;
use parquet::file::metadata::ParquetMetaData;
use parquet::file::properties::{EnabledStatistics, WriterProperties};
use parquet::schema::types::ColumnPath;
use ring::rand::{SecureRandom, SystemRandom};

pub use kms::{KmsClient, MasterKeys, Secret, ENV_PREFIX};
pub use material::KeyMaterial;

use crate::schema::Encryption;

/// Bytes of the data keys fairsynth generates (AES-128, the key tools' default).
pub const DATA_KEY_BYTES: usize = 16;

/// Key errors. None holds or prints a key.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// No key of this ID is known.
    #[error("no master key `{id}` was given{}\n    hint: put `{id}: <base64 key>` in the file passed with --keys{}", if *.env { format!(" (neither in a key file nor in {ENV_PREFIX}{id})") } else { String::new() }, if *.env { format!(", or set the environment variable {ENV_PREFIX}{id}") } else { String::new() })]
    Missing {
        /// The master key ID.
        id: String,
        /// Whether the environment was looked in.
        env: bool,
    },
    /// The key text is not base64.
    #[error("master key `{id}` ({from}) is not valid base64\n    hint: write the key as standard base64, e.g. the output of `head -c 16 /dev/urandom | base64`")]
    Base64 {
        /// The master key ID.
        id: String,
        /// Where it came from.
        from: String,
    },
    /// The key is not 16 or 32 bytes.
    #[error("master key `{id}` ({from}) is {bytes} bytes long; master keys are AES keys of 16 or 32 bytes (128 or 256 bits)\n    hint: make a key with `head -c 16 /dev/urandom | base64`{}", if *.bytes == 24 { " (192-bit keys are not supported)" } else { "" })]
    Length {
        /// The master key ID.
        id: String,
        /// Where it came from.
        from: String,
        /// Its length.
        bytes: usize,
    },
    /// The key does not open the wrapped key.
    #[error("master key `{id}` ({from}) does not open this file's data key: it is not the key the file was written with\n    hint: use the master key `{id}` the file's writer used (a key of the same ID but other bytes cannot open it)")]
    Wrong {
        /// The master key ID.
        id: String,
        /// Where it came from.
        from: String,
    },
    /// A key file line that is not `ID: BASE64`.
    #[error("{}: {problem}\n    hint: {hint}", key_file_place(.path, *.line))]
    KeyFile {
        /// The key file.
        path: PathBuf,
        /// 1-based line, or 0 for the whole file.
        line: usize,
        /// What is wrong (never the line's text).
        problem: String,
        /// How to fix it.
        hint: &'static str,
    },
    /// The key file cannot be read.
    #[error("cannot read the key file `{path}`: {source}\n    hint: pass a readable file of `ID: BASE64` lines with --keys")]
    KeyFileIo {
        /// The key file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// Key metadata that is not PKMT1 key material.
    #[error("unreadable key material: {problem}\n    hint: fairsynth reads files encrypted with the Parquet key-management tools (pyarrow's CryptoFactory, Spark's PropertiesDrivenCryptoFactory, fairsynth)")]
    Material {
        /// What is wrong.
        problem: String,
    },
    /// The data key unwrapped is not an AES key.
    #[error("the data key unwrapped with master key `{id}` is {bytes} bytes, not 16 or 32: the file's key material is damaged")]
    DataKey {
        /// The master key ID.
        id: String,
        /// Its length.
        bytes: usize,
    },
    /// The system's random number generator failed.
    #[error("the system's random number generator failed; no key was made")]
    Random,
    /// A KMS client given by a program failed.
    #[error("the KMS client failed for master key `{id}`: {message}")]
    Kms {
        /// The master key ID.
        id: String,
        /// The client's message.
        message: String,
    },
}

impl KeyError {
    /// The master key ID the error is about, if one.
    pub fn key_id(&self) -> Option<&str> {
        match self {
            KeyError::Missing { id, .. }
            | KeyError::Base64 { id, .. }
            | KeyError::Length { id, .. }
            | KeyError::Wrong { id, .. }
            | KeyError::DataKey { id, .. }
            | KeyError::Kms { id, .. } => Some(id),
            _ => None,
        }
    }
}

/// `path:line`, or the path for a whole-file problem.
fn key_file_place(path: &std::path::Path, line: usize) -> String {
    if line == 0 {
        format!("key file `{}`", path.display())
    } else {
        format!("{}:{line}", path.display())
    }
}

/// A command's access: the policy its Parquet outputs follow and where its keys come from.
pub struct Access {
    /// Wraps and unwraps data keys.
    pub kms: Arc<dyn KmsClient>,
    /// What to encrypt in written files; `None` writes plaintext.
    pub policy: Option<Encryption>,
    /// The policy of each table's file, by table name, for commands writing the files of
    /// linked tables ([`crate::io::Output::Table`]); a table not listed is written in
    /// plaintext.
    pub tables: Vec<(String, Encryption)>,
}

impl Access {
    /// The policy of a written file: of the linked table `table`, or of the command's one
    /// output (`None`).
    pub fn policy_of(&self, table: Option<&str>) -> Option<&Encryption> {
        match table {
            None => self.policy.as_ref(),
            Some(name) => self.tables.iter().find(|(t, _)| t == name).map(|(_, p)| p),
        }
    }
}

impl std::fmt::Debug for Access {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Access")
            .field("policy", &self.policy)
            .field("tables", &self.tables)
            .finish_non_exhaustive()
    }
}

static ACTIVE: RwLock<Option<Arc<Access>>> = RwLock::new(None);
static DEFAULT_KMS: RwLock<Option<Arc<dyn KmsClient>>> = RwLock::new(None);
static SERIAL: Mutex<()> = Mutex::new(());

/// Holds an [`Access`] installed; dropping it uninstalls it.
pub struct AccessGuard {
    _serial: MutexGuard<'static, ()>,
}

impl Drop for AccessGuard {
    fn drop(&mut self) {
        *ACTIVE.write().unwrap_or_else(|e| e.into_inner()) = None;
    }
}

/// Installs `access` for the commands run until the guard drops. Callers in other threads wait
/// for the guard to drop (one access at a time per process).
pub fn enter(access: Access) -> AccessGuard {
    let serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    *ACTIVE.write().unwrap_or_else(|e| e.into_inner()) = Some(Arc::new(access));
    AccessGuard { _serial: serial }
}

/// Sets the key source used when no [`Access`] is installed (the Python package's
/// `use_kms`); `None` goes back to the environment (`FAIRSYNTH_KEY_<ID>`).
pub fn set_default_kms(kms: Option<Arc<dyn KmsClient>>) {
    *DEFAULT_KMS.write().unwrap_or_else(|e| e.into_inner()) = kms;
}

/// The installed access, or else the default key source (see [`set_default_kms`], else the
/// environment) and no policy.
pub fn current() -> Arc<Access> {
    if let Some(a) = ACTIVE.read().unwrap_or_else(|e| e.into_inner()).as_ref() {
        return a.clone();
    }
    let kms = DEFAULT_KMS
        .read()
        .unwrap_or_else(|e| e.into_inner())
        .clone()
        .unwrap_or_else(|| Arc::new(MasterKeys::from_env()));
    Arc::new(Access {
        kms,
        policy: None,
        tables: Vec::new(),
    })
}

/// A fresh random data key.
fn data_key() -> Result<Secret, KeyError> {
    let mut k = vec![0u8; DATA_KEY_BYTES];
    SystemRandom::new()
        .fill(&mut k)
        .map_err(|_| KeyError::Random)?;
    Ok(Secret::new(k))
}

/// What a written file's encryption is, for provenance: column -> master key ID.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied {
    /// The footer's master key ID.
    pub footer_key: String,
    /// Whether the footer is plaintext (signed).
    pub plaintext_footer: bool,
    /// `(column, master key ID)` of the encrypted columns written.
    pub columns: Vec<(String, String)>,
}

impl Applied {
    /// The provenance JSON: key IDs, never keys.
    pub fn to_json(&self) -> serde_json::Value {
        let columns: serde_json::Map<String, serde_json::Value> = self
            .columns
            .iter()
            .map(|(c, k)| (c.clone(), k.clone().into()))
            .collect();
        serde_json::json!({
            "algorithm": "AES_GCM_V1",
            "key_material": "PKMT1, single wrapping, internal storage",
            "footer": if self.plaintext_footer { "plaintext, signed" } else { "encrypted" },
            "footer_key": self.footer_key,
            "columns": columns,
        })
    }
}

/// `props` with `policy` applied to a file of `schema`: fresh data keys wrapped by `kms`,
/// statistics, page index and bloom filters off for the encrypted columns. Columns the policy
/// names that the file does not have are skipped.
///
/// A file with none of the policy's columns has its footer encrypted, and then (Parquet's
/// uniform encryption) every column under the footer key; with a plaintext footer nothing of
/// it would be encrypted, so it is written in plaintext (`None`): uniform encryption would
/// lock every column a plaintext footer promises readers without the footer key.
pub fn write_properties(
    props: WriterProperties,
    schema: &SchemaRef,
    policy: &Encryption,
    kms: &dyn KmsClient,
) -> Result<(WriterProperties, Option<Applied>), KeyError> {
    if policy.plaintext_footer
        && !schema
            .fields()
            .iter()
            .any(|f| policy.key_of(f.name()).is_some())
    {
        return Ok((props, None));
    }
    let footer = data_key()?;
    let wrapped = kms.wrap_key(footer.expose(), &policy.footer_key)?;
    let mut enc = FileEncryptionProperties::builder(footer.expose().to_vec())
        .with_plaintext_footer(policy.plaintext_footer)
        .with_footer_key_metadata(
            KeyMaterial::single(true, &policy.footer_key, wrapped)
                .to_json()
                .into_bytes(),
        );
    let mut builder = props.into_builder();
    let mut columns = Vec::new();
    for field in schema.fields() {
        let Some(id) = policy.key_of(field.name()) else {
            continue;
        };
        let dek = data_key()?;
        let wrapped = kms.wrap_key(dek.expose(), id)?;
        let meta = KeyMaterial::single(false, id, wrapped)
            .to_json()
            .into_bytes();
        enc = enc.with_column_key_and_metadata(field.name(), dek.expose().to_vec(), meta);
        let path = ColumnPath::from(field.name().as_str());
        builder = builder
            .set_column_statistics_enabled(path.clone(), EnabledStatistics::None)
            .set_column_write_page_header_statistics(path.clone(), false)
            .set_column_bloom_filter_enabled(path, false);
        columns.push((field.name().clone(), id.to_string()));
    }
    let enc = enc.build().map_err(|e| KeyError::Material {
        problem: format!("the encryption properties were refused: {e}"),
    })?;
    Ok((
        builder.with_file_encryption_properties(enc).build(),
        Some(Applied {
            footer_key: policy.footer_key.clone(),
            plaintext_footer: policy.plaintext_footer,
            columns,
        }),
    ))
}

/// Unwraps data keys from key material through a [`KmsClient`], for the parquet reader.
/// Key-encryption keys of double wrapping are unwrapped once per file; the first failure is
/// kept so the reader can report it in full.
pub struct Retriever {
    kms: Arc<dyn KmsClient>,
    keks: Mutex<HashMap<String, Secret>>,
    failures: Mutex<Vec<KeyError>>,
}

impl Retriever {
    /// A retriever over `kms`.
    pub fn new(kms: Arc<dyn KmsClient>) -> Arc<Retriever> {
        Arc::new(Retriever {
            kms,
            keks: Mutex::new(HashMap::new()),
            failures: Mutex::new(Vec::new()),
        })
    }

    /// The data key the key metadata holds.
    pub fn data_key(&self, key_metadata: &[u8]) -> Result<Secret, KeyError> {
        let m = KeyMaterial::parse(key_metadata)?;
        let id = &m.master_key_id;
        let dek = match &m.double {
            None => Secret::new(self.kms.unwrap_key(&m.wrapped_dek, id)?),
            Some((kek_id, wrapped_kek)) => {
                let kek = {
                    let mut cache = self.keks.lock().unwrap_or_else(|e| e.into_inner());
                    match cache.get(kek_id) {
                        Some(k) => k.clone(),
                        None => {
                            let k = Secret::new(self.kms.unwrap_key(wrapped_kek, id)?);
                            cache.insert(kek_id.clone(), k.clone());
                            k
                        }
                    }
                };
                let local = kms::local_key(kek.expose()).ok_or(KeyError::DataKey {
                    id: id.clone(),
                    bytes: kek.expose().len(),
                })?;
                let aad = base64::engine::general_purpose::STANDARD
                    .decode(kek_id)
                    .map_err(|_| KeyError::Material {
                        problem: "`keyEncryptionKeyID` is not base64".into(),
                    })?;
                Secret::new(kms::unwrap_locally(&m.wrapped_dek, &local, &aad).ok_or_else(
                    || KeyError::Material {
                        problem: format!(
                            "the data key does not open with the key-encryption key unwrapped by master key `{id}`: the key material is damaged"
                        ),
                    },
                )?)
            }
        };
        match dek.expose().len() {
            16 | 32 => Ok(dek),
            n => Err(KeyError::DataKey {
                id: id.clone(),
                bytes: n,
            }),
        }
    }

    /// Takes the first failure recorded while the parquet reader asked for keys.
    pub fn take_failure(&self) -> Option<KeyError> {
        let mut f = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        if f.is_empty() {
            None
        } else {
            Some(f.remove(0))
        }
    }

    /// Decryption properties asking this retriever for keys; `verify_footer` off reads a
    /// plaintext footer whose key is not at hand (its signature is then not checked).
    pub fn decryption(
        self: &Arc<Self>,
        verify_footer: bool,
    ) -> Result<Arc<FileDecryptionProperties>, ParquetError> {
        let b = FileDecryptionProperties::with_key_retriever(self.clone());
        if verify_footer {
            b.build()
        } else {
            b.disable_footer_signature_verification().build()
        }
    }
}

impl KeyRetriever for Retriever {
    fn retrieve_key(&self, key_metadata: &[u8]) -> parquet::errors::Result<Vec<u8>> {
        self.data_key(key_metadata)
            .map(|k| k.expose().to_vec())
            .map_err(|e| {
                let text = e.to_string();
                self.failures
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .push(e);
                ParquetError::General(text)
            })
    }
}

/// A column the reader cannot decrypt, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Locked {
    /// The top-level column.
    pub column: String,
    /// The master key ID its key material names (when readable).
    pub key_id: Option<String>,
    /// Why its key cannot be had: a key error's message (names the master key ID, never a key).
    pub reason: String,
}

/// The top-level columns of `meta` encrypted with a column key that `retriever` cannot unwrap.
/// `footer_missing` is the reason the footer key is not at hand when the file (with a
/// plaintext footer) was opened without decryption: then no column can be decrypted.
pub fn locked_columns(
    meta: &ParquetMetaData,
    retriever: &Retriever,
    footer_missing: Option<String>,
) -> Vec<Locked> {
    let mut out: Vec<Locked> = Vec::new();
    let Some(rg) = meta.row_groups().first() else {
        return out;
    };
    for col in rg.columns() {
        let c = match col.crypto_metadata() {
            Some(ColumnCryptoMetaData::ENCRYPTION_WITH_COLUMN_KEY(c)) => c,
            // Encrypted with the footer key (a uniformly encrypted file), which is not at hand.
            Some(ColumnCryptoMetaData::ENCRYPTION_WITH_FOOTER_KEY) => {
                let Some(footer) = &footer_missing else {
                    continue;
                };
                let top = col
                    .column_path()
                    .parts()
                    .first()
                    .cloned()
                    .unwrap_or_default();
                if !out.iter().any(|l| l.column == top) {
                    out.push(Locked {
                        column: top,
                        key_id: None,
                        reason: format!("it is encrypted with the footer key, and {footer}"),
                    });
                }
                continue;
            }
            None => continue,
        };
        let top = c
            .path_in_schema
            .first()
            .cloned()
            .unwrap_or_else(|| col.column_path().string());
        if out.iter().any(|l| l.column == top) {
            continue;
        }
        let km = c.key_metadata.as_deref().unwrap_or_default();
        let key_id = KeyMaterial::parse(km).ok().map(|m| m.master_key_id);
        let reason = match (retriever.data_key(km), &footer_missing) {
            (Err(e), _) => e.to_string(),
            (Ok(_), Some(footer)) => format!("its own key is at hand, but {footer}"),
            (Ok(_), None) => continue,
        };
        out.push(Locked {
            column: top,
            key_id,
            reason,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_errors_name_the_key_id_and_hint() {
        let e = KeyError::Missing {
            id: "auditor".into(),
            env: true,
        }
        .to_string();
        assert!(
            e.contains("`auditor`") && e.contains("FAIRSYNTH_KEY_auditor"),
            "{e}"
        );
        assert!(e.contains("\n    hint: "), "{e}");
    }
}
