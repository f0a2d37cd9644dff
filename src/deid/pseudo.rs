//! Keyed pseudonyms: the secret key, HMAC-SHA-256 tokens, key fingerprints.
//!
//! A [`Key`] is loaded once, from a key file (`--key-file`) or an environment variable
//! (`FAIRSYNTH_KEY`, or the schema's `privacy.key_env`), and then turns values into
//! - **pseudonyms** ([`Key::pseudonym`]): `pn_` followed by 26 lower-case base32 characters
//!   (the first 128 bits of an HMAC-SHA-256). The same value and key give the same token in every
//!   run, file and fairsynth version, so joins on a pseudonymised column still work; without the
//!   key a token cannot be linked back to its value, nor recomputed from a guessed value;
//! - **consistent fakes** ([`fake`]): a synthetic value of the same kind (name, e-mail, phone,
//!   ...) drawn from a generator seeded by the key and the value, so one input value always gets
//!   the same fake under the same key;
//! - a **fingerprint** ([`Key::fingerprint`]) that reports and provenance metadata can carry to
//!   say which key was used without revealing it.
//!
//! Every HMAC input starts with its own domain string (`fairsynth/pseudonym/v1\0`,
//! `fairsynth/fake/v1\0`, `fairsynth key fingerprint v1`), so a value's pseudonym, its fake seed
//! and the key's fingerprint are independent of each other: publishing one reveals nothing about
//! the others, and the `v1` lets a future format change without silently colliding with old
//! tokens.
//!
//! The key is never written, logged or shown: [`Key`] has no accessor for its bytes, its
//! `Debug` output is the fingerprint, and the stored HMAC state is overwritten when it is
//! dropped.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{compiler_fence, Ordering};

use hmac::digest::Key as MacKey;
use hmac::{Hmac, KeyInit, Mac};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use sha2::{Digest, Sha256};

use crate::schema::{Locale, NamePart};
use crate::synth::text::{self, Sex};

type HmacSha256 = Hmac<Sha256>;

/// The fewest bytes of key material accepted (after trimming trailing whitespace): 128 bits.
pub const MIN_KEY_BYTES: usize = 16;

/// What every pseudonym starts with, so a token is never mistaken for an original value.
pub const PSEUDONYM_PREFIX: &str = "pn_";

/// The length of a pseudonym in bytes (and characters): the prefix and 26 base32 characters.
pub const PSEUDONYM_LEN: usize = PSEUDONYM_PREFIX.len() + 26;

/// What every [`FakeKind::Id`] fake starts with.
pub const FAKE_ID_PREFIX: &str = "id_";

/// Domain string of pseudonym inputs; the NUL ends it, so no value can extend it.
const PSEUDONYM_DOMAIN: &[u8] = b"fairsynth/pseudonym/v1\0";
/// Domain string of fake seeds; followed by the purpose, a NUL and the value.
const FAKE_DOMAIN: &[u8] = b"fairsynth/fake/v1\0";
/// The single message whose tag is the key's fingerprint.
const FINGERPRINT_MESSAGE: &[u8] = b"fairsynth key fingerprint v1";

/// SHA-256's block size: HMAC keys up to this length are zero-padded, longer ones hashed.
const SHA256_BLOCK: usize = 64;

/// RFC 4648 base32 alphabet, lower-cased.
const BASE32: &[u8; 32] = b"abcdefghijklmnopqrstuvwxyz234567";

/// Errors from loading the secret key. No message ever contains key material.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// No key file was given and the environment variable is unset.
    #[error(
        "no pseudonymisation key: the environment variable `{var}` is not set and no --key-file was given\n    hint: create a key once, keep it secret and reuse it (the same key gives the same pseudonyms): `export {var}=$(openssl rand -hex 32)`, or pass --key-file FILE"
    )]
    Missing {
        /// The environment variable that was consulted.
        var: String,
    },
    /// The environment variable is set, but empty or only whitespace.
    #[error(
        "no pseudonymisation key: the environment variable `{var}` is set but empty (trailing whitespace is trimmed, so a value of only spaces or newlines is empty too)\n    hint: give it the key (`export {var}=$(openssl rand -hex 32)`, kept and reused), unset it and pass --key-file FILE, or check the command that filled it"
    )]
    Empty {
        /// The environment variable that was consulted.
        var: String,
    },
    /// The key file could not be read.
    #[error("cannot read key file `{}`: {source}", .path.display())]
    File {
        /// The file as named by the user.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The key is shorter than [`MIN_KEY_BYTES`].
    #[error(
        "the key has {bytes} bytes (after trimming trailing whitespace); at least {} are needed\n    hint: generate a strong key with `openssl rand -hex 32`",
        MIN_KEY_BYTES
    )]
    TooShort {
        /// The length of the key material that was given.
        bytes: usize,
    },
}

/// The secret pseudonymisation key.
///
/// It holds the HMAC-SHA-256 state keyed with the key material (the inner and outer
/// midstates), not the material itself: the bytes given to the constructors are overwritten
/// as soon as the state is keyed, and the state is overwritten when the `Key` is dropped.
/// Keying once and cloning the prepared state per value halves the hashing work per value.
///
/// `Key` is `Send + Sync`; share one `&Key` across threads. `Debug` prints only the
/// [fingerprint](Key::fingerprint).
pub struct Key {
    /// HMAC keyed with the key material.
    mac: HmacSha256,
    /// `mac` with [`PSEUDONYM_DOMAIN`] already absorbed.
    pseudonym: HmacSha256,
}

impl Key {
    /// A key from raw key material, used as given (not trimmed, not hex-decoded).
    ///
    /// # Errors
    /// [`KeyError::TooShort`] for fewer than [`MIN_KEY_BYTES`] bytes.
    pub fn from_bytes(b: &[u8]) -> Result<Key, KeyError> {
        if b.len() < MIN_KEY_BYTES {
            return Err(KeyError::TooShort { bytes: b.len() });
        }
        let mac = keyed(b);
        let mut pseudonym = mac.clone();
        pseudonym.update(PSEUDONYM_DOMAIN);
        Ok(Key { mac, pseudonym })
    }

    /// A key from the environment variable `var`: its value's bytes with trailing whitespace
    /// trimmed (as [`Key::from_file`] does, so `export V=$(cat F)` and `--key-file F` give the
    /// same key). A text key such as `openssl rand -hex 32` output is used as its characters.
    ///
    /// # Errors
    /// [`KeyError::Missing`] if the variable is unset, [`KeyError::Empty`] if it is empty or
    /// only whitespace; [`KeyError::TooShort`].
    pub fn from_env(var: &str) -> Result<Key, KeyError> {
        Key::from_env_value(var, std::env::var_os(var))
    }

    /// [`Key::from_env`] on a value already read (tests need no environment changes).
    fn from_env_value(var: &str, value: Option<std::ffi::OsString>) -> Result<Key, KeyError> {
        let Some(value) = value else {
            return Err(KeyError::Missing {
                var: var.to_string(),
            });
        };
        let mut bytes = value.into_encoded_bytes();
        let material = trim_end(&bytes);
        let key = if material.is_empty() {
            Err(KeyError::Empty {
                var: var.to_string(),
            })
        } else {
            Key::from_bytes(material)
        };
        wipe(&mut bytes);
        key
    }

    /// A key from the file at `path`: its raw bytes with trailing whitespace (such as the
    /// newline an editor or `openssl rand -hex 32 > F` leaves) trimmed.
    ///
    /// # Errors
    /// [`KeyError::File`] if it cannot be read; [`KeyError::TooShort`].
    pub fn from_file(path: &Path) -> Result<Key, KeyError> {
        let mut bytes = std::fs::read(path).map_err(|source| KeyError::File {
            path: path.to_path_buf(),
            source,
        })?;
        let key = Key::from_bytes(trim_end(&bytes));
        wipe(&mut bytes);
        key
    }

    /// The key for a command: from `key_file` if one is given (it wins), else from the
    /// environment variable `env_var` (the schema's `privacy.key_env`, `FAIRSYNTH_KEY` by
    /// default).
    ///
    /// # Errors
    /// As [`Key::from_file`] or [`Key::from_env`]; [`KeyError::Missing`] when neither is set.
    pub fn load(key_file: Option<&Path>, env_var: &str) -> Result<Key, KeyError> {
        match key_file {
            Some(path) => Key::from_file(path),
            None => Key::from_env(env_var),
        }
    }

    /// `sha256:` and 16 hex characters (64 bits) of HMAC(key, `fairsynth key fingerprint v1`):
    /// names the key in reports and metadata without revealing it or any pseudonym.
    pub fn fingerprint(&self) -> String {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let tag = finish(self.mac.clone(), &[FINGERPRINT_MESSAGE]);
        let mut s = String::with_capacity(7 + 16);
        s.push_str("sha256:");
        for b in &tag[..8] {
            s.push(char::from(HEX[usize::from(b >> 4)]));
            s.push(char::from(HEX[usize::from(b & 0xf)]));
        }
        s
    }

    /// The pseudonym of `value`: `pn_` and the first 128 bits of
    /// HMAC-SHA-256(key, `fairsynth/pseudonym/v1\0` ‖ value) in 26 lower-case, unpadded
    /// RFC 4648 base32 characters. Values are taken byte for byte: normalise case or
    /// whitespace first if `Alice@X.com` and `alice@x.com` should share a token.
    pub fn pseudonym(&self, value: &str) -> String {
        let mut out = String::with_capacity(PSEUDONYM_LEN);
        self.pseudonym_into(value, &mut out);
        out
    }

    /// [`Key::pseudonym`] appended to `out`; allocates nothing when `out` has room for
    /// [`PSEUDONYM_LEN`] more bytes.
    pub fn pseudonym_into(&self, value: &str, out: &mut String) {
        let tag = finish(self.pseudonym.clone(), &[value.as_bytes()]);
        out.reserve(PSEUDONYM_LEN);
        out.push_str(PSEUDONYM_PREFIX);
        base32_into(&tag[..16], out);
    }

    /// A seed for the fake of `value` made for `purpose`: the first 8 bytes (little-endian) of
    /// HMAC-SHA-256(key, `fairsynth/fake/v1\0` ‖ purpose ‖ `\0` ‖ value). `purpose` (such as
    /// a [`FakeKind::name`]) must not contain NUL, so that (purpose, value) pairs stay
    /// distinct.
    pub fn seed_for(&self, purpose: &str, value: &str) -> u64 {
        debug_assert!(!purpose.contains('\0'), "a fake purpose cannot contain NUL");
        let tag = finish(
            self.mac.clone(),
            &[FAKE_DOMAIN, purpose.as_bytes(), b"\0", value.as_bytes()],
        );
        let mut b = [0u8; 8];
        b.copy_from_slice(&tag[..8]);
        u64::from_le_bytes(b)
    }
}

impl fmt::Debug for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Key({})", self.fingerprint())
    }
}

impl Drop for Key {
    fn drop(&mut self) {
        // Replace the keyed midstates with those of an all-zero key; volatile writes so the
        // stores are not removed as dead.
        let blank = MacKey::<HmacSha256>::default();
        for slot in [&mut self.mac, &mut self.pseudonym] {
            // SAFETY: `slot` is a valid, aligned, exclusive reference to an initialised
            // `HmacSha256`; the old value needs no drop (it owns no resources).
            unsafe { std::ptr::write_volatile(slot, HmacSha256::new(&blank)) };
        }
        compiler_fence(Ordering::SeqCst);
    }
}

/// An HMAC-SHA-256 state keyed with `key` as RFC 2104 prescribes: a key longer than the
/// 64-byte block is replaced by its SHA-256, then zero-padded to the block. Doing this here
/// makes keying infallible (the crate's slice constructor returns a `Result` it never fails).
fn keyed(key: &[u8]) -> HmacSha256 {
    let mut block = MacKey::<HmacSha256>::default();
    if key.len() <= SHA256_BLOCK {
        block[..key.len()].copy_from_slice(key);
    } else {
        let mut hash = Sha256::digest(key);
        block[..hash.len()].copy_from_slice(&hash);
        wipe(&mut hash);
    }
    let mac = HmacSha256::new(&block);
    wipe(&mut block);
    mac
}

/// Feeds `parts` in order to a keyed state and returns the 32-byte tag.
fn finish(mut mac: HmacSha256, parts: &[&[u8]]) -> [u8; 32] {
    for p in parts {
        mac.update(p);
    }
    mac.finalize().into_bytes().into()
}

/// HMAC-SHA-256 of `data` under `key`, through the same two steps [`Key`] uses ([`keyed`],
/// then [`finish`]); the RFC 4231 vectors are checked against it.
#[cfg(test)]
fn hmac_sha256(key: &[u8], data: &[u8]) -> [u8; 32] {
    finish(keyed(key), &[data])
}

/// Appends `bytes` in lower-case RFC 4648 base32 without padding (8 characters per 5 bytes;
/// a partial final group is padded with zero bits).
fn base32_into(bytes: &[u8], out: &mut String) {
    let mut acc: u32 = 0;
    let mut bits: u32 = 0;
    for &b in bytes {
        acc = (acc << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(char::from(BASE32[((acc >> bits) & 31) as usize]));
        }
        acc &= (1 << bits) - 1;
    }
    if bits > 0 {
        out.push(char::from(BASE32[((acc << (5 - bits)) & 31) as usize]));
    }
}

/// `b` without trailing ASCII whitespace.
fn trim_end(b: &[u8]) -> &[u8] {
    let end = b
        .iter()
        .rposition(|c| !c.is_ascii_whitespace())
        .map_or(0, |i| i + 1);
    &b[..end]
}

/// Overwrites `bytes` with zeros in a way the optimiser keeps.
fn wipe(bytes: &mut [u8]) {
    for b in bytes.iter_mut() {
        // SAFETY: `b` is a valid, aligned, exclusive reference to a `u8`.
        unsafe { std::ptr::write_volatile(b, 0) };
    }
    compiler_fence(Ordering::SeqCst);
}

/// The kinds of consistent fake [`fake`] can make.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FakeKind {
    /// "First Last" in the locale.
    PersonName,
    /// A given name.
    FirstName,
    /// A family name.
    LastName,
    /// An e-mail address on a reserved domain (example.com, .org, .net).
    Email,
    /// A phone number in the locale's format (the fictional 555-01XX block for `en`).
    Phone,
    /// A one-line street address.
    Address,
    /// `id_` and 12 base32 characters (60 bits) of the value's seed.
    Id,
}

impl FakeKind {
    /// Every kind, in declaration order.
    pub const ALL: [FakeKind; 7] = [
        FakeKind::PersonName,
        FakeKind::FirstName,
        FakeKind::LastName,
        FakeKind::Email,
        FakeKind::Phone,
        FakeKind::Address,
        FakeKind::Id,
    ];

    /// The kind's snake-case name, also its purpose string in [`Key::seed_for`] (so a value
    /// faked as two kinds gets unrelated draws).
    pub fn name(self) -> &'static str {
        match self {
            FakeKind::PersonName => "person_name",
            FakeKind::FirstName => "first_name",
            FakeKind::LastName => "last_name",
            FakeKind::Email => "email",
            FakeKind::Phone => "phone",
            FakeKind::Address => "address",
            FakeKind::Id => "id",
        }
    }
}

/// Appends to `out` a synthetic value of `kind` for `value`: a ChaCha8 generator seeded with
/// [`Key::seed_for`]`(kind.name(), value)` drives the project's synthetic generators, so the
/// same key, value, kind and locale always give the same fake (for a given fairsynth version:
/// the word lists may grow). Unlike pseudonyms, fakes are not unique: two values can share a
/// fake (there are only so many names), so join on pseudonyms, not on fakes.
pub fn fake(key: &Key, kind: FakeKind, locale: Locale, value: &str, out: &mut String) {
    let seed = key.seed_for(kind.name(), value);
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    match kind {
        FakeKind::PersonName => text::person_name(&mut rng, locale, NamePart::Full, Sex::Any, out),
        FakeKind::FirstName => text::person_name(&mut rng, locale, NamePart::First, Sex::Any, out),
        FakeKind::LastName => text::person_name(&mut rng, locale, NamePart::Last, Sex::Any, out),
        FakeKind::Email => text::email(&mut rng, locale, None, out),
        FakeKind::Phone => text::phone(&mut rng, locale, out),
        FakeKind::Address => text::address(&mut rng, locale, out),
        FakeKind::Id => {
            out.push_str(FAKE_ID_PREFIX);
            let start = out.len();
            base32_into(&seed.to_le_bytes(), out);
            out.truncate(start + 12);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    const TEST_KEY: &[u8] = b"fairsynth-test-key-0123456789abcdef";

    fn key(b: &[u8]) -> Key {
        Key::from_bytes(b).expect("test key is long enough")
    }

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
            .collect()
    }

    fn to_hex(b: &[u8]) -> String {
        b.iter().map(|x| format!("{x:02x}")).collect()
    }

    /// RFC 4231 section 4: (key, data, HMAC-SHA-256).
    fn rfc4231() -> Vec<(Vec<u8>, Vec<u8>, &'static str)> {
        let long_key = vec![0xaa; 131];
        vec![
            // Test case 1
            (
                vec![0x0b; 20],
                b"Hi There".to_vec(),
                "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
            ),
            // Test case 2: a key shorter than the output
            (
                b"Jefe".to_vec(),
                b"what do ya want for nothing?".to_vec(),
                "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
            ),
            // Test case 3: 50 bytes of data
            (
                vec![0xaa; 20],
                vec![0xdd; 50],
                "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe",
            ),
            // Test case 4: a 25-byte key
            (
                hex("0102030405060708090a0b0c0d0e0f10111213141516171819"),
                vec![0xcd; 50],
                "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b",
            ),
            // Test case 6: a key longer than the block (hashed first)
            (
                long_key.clone(),
                b"Test Using Larger Than Block-Size Key - Hash Key First".to_vec(),
                "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
            ),
            // Test case 7: long key and data longer than the block
            (
                long_key,
                b"This is a test using a larger than block-size key and a larger than \
                  block-size data. The key needs to be hashed before being used by the \
                  HMAC algorithm."
                    .to_vec(),
                "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2",
            ),
        ]
    }

    #[test]
    fn hmac_matches_rfc4231() {
        for (i, (k, data, want)) in rfc4231().into_iter().enumerate() {
            assert_eq!(to_hex(&hmac_sha256(&k, &data)), want, "vector {i}");
        }
        // Test case 5: the output truncated to 128 bits.
        let tag = hmac_sha256(&[0x0c; 20], b"Test With Truncation");
        assert_eq!(to_hex(&tag[..16]), "a3b6167473100ee06e0c796c2955552b");
    }

    #[test]
    fn key_state_matches_rfc4231() {
        // The prepared state inside `Key`, cloned per message, gives the same tags.
        for (k, data, want) in rfc4231() {
            if k.len() < MIN_KEY_BYTES {
                continue;
            }
            let key = key(&k);
            assert_eq!(to_hex(&finish(key.mac.clone(), &[&data])), want);
            // Split input is the same as one piece.
            let (a, b) = data.split_at(data.len() / 3);
            assert_eq!(to_hex(&finish(key.mac.clone(), &[a, b])), want);
        }
    }

    #[test]
    fn base32_matches_rfc4648() {
        let cases = [
            ("", ""),
            ("f", "my"),
            ("fo", "mzxq"),
            ("foo", "mzxw6"),
            ("foob", "mzxw6yq"),
            ("fooba", "mzxw6ytb"),
            ("foobar", "mzxw6ytboi"),
        ];
        for (input, want) in cases {
            let mut s = String::new();
            base32_into(input.as_bytes(), &mut s);
            assert_eq!(s, want, "{input:?}");
        }
        let mut s = String::new();
        base32_into(&[0xff; 16], &mut s);
        assert_eq!(s.len(), 26);
        assert!(
            s.ends_with('4'),
            "128 bits end in 3 bits and 2 zero pad bits: {s}"
        );
    }

    #[test]
    fn pseudonym_known_answer() {
        // Pinned with `openssl dgst -sha256 -mac HMAC` and coreutils `base32`: the token format
        // must never change, or joins with earlier outputs break.
        let k = key(TEST_KEY);
        assert_eq!(
            k.pseudonym("alice@example.com"),
            "pn_os45y5uqtzzxughek2b3o5ym6e"
        );
        assert_eq!(k.fingerprint(), "sha256:3a5296d1a23f7ef3");
        assert_eq!(
            k.seed_for("email", "alice@example.com"),
            0x7e2e_f019_1350_2e17
        );
    }

    #[test]
    fn pseudonyms_are_deterministic_prefixed_and_keyed() {
        let k = key(TEST_KEY);
        let p = k.pseudonym("alice@example.com");
        assert_eq!(p, k.pseudonym("alice@example.com"));
        assert!(p.starts_with(PSEUDONYM_PREFIX));
        assert_eq!(p.len(), PSEUDONYM_LEN);
        assert_eq!(PSEUDONYM_LEN, 3 + 26);
        assert!(p[3..].bytes().all(|c| BASE32.contains(&c)), "{p}");
        assert_ne!(p, k.pseudonym("bob@example.com"));
        assert_ne!(p, k.pseudonym("Alice@example.com"));
        assert_ne!(p, k.pseudonym(""));
        // Another key, another token; the same bytes loaded twice, the same token.
        assert_ne!(
            p,
            key(b"another-key-of-enough-length").pseudonym("alice@example.com")
        );
        assert_eq!(p, key(TEST_KEY).pseudonym("alice@example.com"));
        // pseudonym_into appends.
        let mut out = String::from("x,");
        k.pseudonym_into("alice@example.com", &mut out);
        assert_eq!(out, format!("x,{p}"));
    }

    #[test]
    fn pseudonyms_share_no_substring_with_their_input() {
        let k = key(TEST_KEY);
        let inputs = [
            "alice@example.com",
            "bob.smith@example.org",
            "jürgen.groß@example.de",
            "+1 212 555 0123",
            "DE89370400440532013000",
            "123-45-6789",
            "pn_os45y5uqtzzxughek2b3o5ym6e",
            "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
            "Maria Müller",
        ];
        for input in inputs {
            let token = k.pseudonym(input);
            let lower = input.to_lowercase();
            let chars: Vec<char> = lower.chars().collect();
            for w in chars.windows(4) {
                let sub: String = w.iter().collect();
                assert!(!token.contains(&sub), "{input:?} -> {token} shares {sub:?}");
            }
        }
        // Distinct inputs, distinct tokens (no collisions in a small set).
        let mut tokens: Vec<String> = (0..10_000).map(|i| k.pseudonym(&i.to_string())).collect();
        tokens.sort();
        tokens.dedup();
        assert_eq!(tokens.len(), 10_000);
    }

    #[test]
    fn missing_env_var_is_a_clear_error() {
        let var = "FAIRSYNTH_TEST_PSEUDO_KEY_THAT_IS_NEVER_SET_7f3a";
        let err = Key::from_env(var).expect_err("variable is unset");
        assert!(matches!(&err, KeyError::Missing { var: v } if v == var));
        let msg = err.to_string();
        assert!(msg.contains(var), "{msg}");
        assert!(msg.contains("--key-file"), "{msg}");
        assert!(msg.contains("openssl rand -hex 32"), "{msg}");
        // load without a file falls back to the variable.
        assert!(matches!(
            Key::load(None, var),
            Err(KeyError::Missing { .. })
        ));
        // An empty (or all-whitespace) value is told apart from an unset one.
        let err = Key::from_env_value(var, Some(" \n".into())).expect_err("empty");
        assert!(matches!(&err, KeyError::Empty { var: v } if v == var));
        assert!(err.to_string().contains("is set but empty"), "{err}");
        assert!(matches!(
            Key::from_env_value(var, Some("".into())),
            Err(KeyError::Empty { .. })
        ));
    }

    #[test]
    fn env_values_are_trimmed_at_the_end() {
        let var = "UNUSED";
        let from_env =
            Key::from_env_value(var, Some("0123456789abcdef0123\n".into())).expect("long enough");
        assert_eq!(
            from_env.pseudonym("v"),
            key(b"0123456789abcdef0123").pseudonym("v")
        );
        assert!(matches!(
            Key::from_env_value(var, Some("0123456789abcde\n".into())),
            Err(KeyError::TooShort { bytes: 15 })
        ));
    }

    #[test]
    fn key_files_are_trimmed_and_win_over_the_environment() {
        let mut f = tempfile::NamedTempFile::new().expect("temp file");
        f.write_all(b"0123456789abcdef-file-key\r\n  \n")
            .expect("write");
        f.flush().expect("flush");
        let from_file = Key::from_file(f.path()).expect("valid key file");
        let from_bytes = key(b"0123456789abcdef-file-key");
        assert_eq!(from_file.fingerprint(), from_bytes.fingerprint());
        assert_eq!(from_file.pseudonym("x"), from_bytes.pseudonym("x"));
        let loaded = Key::load(
            Some(f.path()),
            "FAIRSYNTH_TEST_PSEUDO_KEY_THAT_IS_NEVER_SET_7f3a",
        )
        .expect("file wins over the unset variable");
        assert_eq!(loaded.fingerprint(), from_bytes.fingerprint());

        let dir = tempfile::tempdir().expect("temp dir");
        let absent = dir.path().join("no-such.key");
        let err = Key::from_file(&absent).expect_err("absent file");
        assert!(matches!(&err, KeyError::File { path, .. } if path == &absent));
        assert!(err.to_string().contains("no-such.key"), "{err}");
    }

    #[test]
    fn short_keys_are_refused() {
        assert!(matches!(
            Key::from_bytes(&[7u8; 15]),
            Err(KeyError::TooShort { bytes: 15 })
        ));
        assert!(Key::from_bytes(&[7u8; 16]).is_ok());
        let mut f = tempfile::NamedTempFile::new().expect("temp file");
        f.write_all(b"short\n").expect("write");
        f.flush().expect("flush");
        let err = Key::from_file(f.path()).expect_err("too short");
        assert!(matches!(err, KeyError::TooShort { bytes: 5 }));
        assert!(!err.to_string().contains("short\n"));
    }

    #[test]
    fn debug_output_reveals_no_key_material() {
        let secret = b"super-secret-key-material-42";
        let k = key(secret);
        let shown = format!("{k:?} {k:#?}");
        let secret_str = std::str::from_utf8(secret).expect("ascii");
        assert!(!shown.contains(secret_str), "{shown}");
        assert!(!shown.contains("super-secret"), "{shown}");
        assert!(!shown.contains(&to_hex(secret)), "{shown}");
        assert!(!shown.contains(&to_hex(&secret[..8])), "{shown}");
        assert_eq!(format!("{k:?}"), format!("Key({})", k.fingerprint()));
        // Errors carry no key material either.
        let err = Key::from_bytes(&secret[..10]).expect_err("too short");
        assert!(!format!("{err} {err:?}").contains("super-sec"));
    }

    #[test]
    fn fingerprints_are_stable_and_distinguish_keys() {
        let a = key(TEST_KEY);
        let fp = a.fingerprint();
        assert_eq!(fp, key(TEST_KEY).fingerprint());
        assert_eq!(fp.len(), "sha256:".len() + 16);
        assert!(fp.starts_with("sha256:"));
        assert!(fp[7..]
            .bytes()
            .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()));
        assert_ne!(fp, key(b"another-key-of-enough-length").fingerprint());
        // The fingerprint is not the pseudonym of anything obvious.
        assert!(!a
            .pseudonym("fairsynth key fingerprint v1")
            .contains(&fp[7..]));
    }

    #[test]
    fn seeds_separate_purposes_and_values() {
        let k = key(TEST_KEY);
        let s = k.seed_for("email", "alice");
        assert_eq!(s, k.seed_for("email", "alice"));
        assert_ne!(s, k.seed_for("phone", "alice"));
        assert_ne!(s, k.seed_for("email", "alicf"));
        // The NUL separator keeps (purpose, value) boundaries apart.
        assert_ne!(k.seed_for("email", "x"), k.seed_for("emai", "lx"));
        assert_ne!(
            s,
            key(b"another-key-of-enough-length").seed_for("email", "alice")
        );
    }

    fn fake_of(k: &Key, kind: FakeKind, locale: Locale, value: &str) -> String {
        let mut s = String::new();
        fake(k, kind, locale, value, &mut s);
        s
    }

    #[test]
    fn fakes_are_consistent_per_value_and_key() {
        let a = key(TEST_KEY);
        let b = key(b"another-key-of-enough-length");
        let values: Vec<String> = (0..40).map(|i| format!("person-{i}@corp.test")).collect();
        for kind in FakeKind::ALL {
            for locale in [Locale::En, Locale::De] {
                let mut differs_by_key = 0;
                let mut distinct = std::collections::HashSet::new();
                for v in &values {
                    let f = fake_of(&a, kind, locale, v);
                    assert!(!f.is_empty());
                    assert_eq!(f, fake_of(&a, kind, locale, v), "{kind:?} {v}");
                    assert_eq!(f, fake_of(&key(TEST_KEY), kind, locale, v));
                    if f != fake_of(&b, kind, locale, v) {
                        differs_by_key += 1;
                    }
                    distinct.insert(f);
                }
                // Word lists are finite, so an occasional equal draw is fine; most differ.
                assert!(differs_by_key >= 30, "{kind:?}: {differs_by_key}/40");
                assert!(
                    distinct.len() >= 20,
                    "{kind:?}: {} distinct",
                    distinct.len()
                );
            }
        }
        // fake appends.
        let mut out = String::from("keep:");
        fake(&a, FakeKind::Phone, Locale::En, "x", &mut out);
        assert!(out.starts_with("keep:+1 "), "{out}");
    }

    #[test]
    fn fakes_have_the_right_shape() {
        let k = key(TEST_KEY);
        for i in 0..50 {
            let v = format!("value {i}");
            let email = fake_of(&k, FakeKind::Email, Locale::De, &v);
            let (local, domain) = email.split_once('@').expect("has @");
            assert!(!local.is_empty());
            assert!(
                ["example.com", "example.org", "example.net"].contains(&domain),
                "{email}"
            );
            let id = fake_of(&k, FakeKind::Id, Locale::En, &v);
            assert_eq!(id.len(), 3 + 12, "{id}");
            assert!(id.starts_with(FAKE_ID_PREFIX));
            assert!(id[3..].bytes().all(|c| BASE32.contains(&c)), "{id}");
            let name = fake_of(&k, FakeKind::PersonName, Locale::En, &v);
            assert_eq!(name.split(' ').count(), 2, "{name}");
            assert!(fake_of(&k, FakeKind::Phone, Locale::En, &v).contains(" 555 01"));
        }
    }

    #[test]
    fn keys_can_be_shared_across_threads() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<Key>();
        let k = key(TEST_KEY);
        let want = k.pseudonym("shared");
        std::thread::scope(|s| {
            let hs: Vec<_> = (0..2).map(|_| s.spawn(|| k.pseudonym("shared"))).collect();
            for h in hs {
                assert_eq!(h.join().expect("thread"), want);
            }
        });
    }

    /// Throughput of `pseudonym_into` against re-keying per value:
    /// `cargo test --release --lib deid::pseudo -- --ignored --nocapture`.
    #[test]
    #[ignore = "timing; run in release with --ignored --nocapture"]
    fn pseudonym_throughput() {
        use std::time::Instant;
        let k = key(TEST_KEY);
        let values: Vec<String> = (0..1_000_000)
            .map(|i| format!("customer.{i}@example.com"))
            .collect();
        let mut out = String::with_capacity(PSEUDONYM_LEN);
        let mut check = 0usize;
        for round in 0..3 {
            let t = Instant::now();
            for v in &values {
                out.clear();
                k.pseudonym_into(v, &mut out);
                check = check.wrapping_add(usize::from(out.as_bytes()[PSEUDONYM_LEN - 1]));
            }
            let prepared = values.len() as f64 / t.elapsed().as_secs_f64();

            let t = Instant::now();
            let mut msg = Vec::with_capacity(64);
            for v in &values {
                msg.clear();
                msg.extend_from_slice(PSEUDONYM_DOMAIN);
                msg.extend_from_slice(v.as_bytes());
                let tag = hmac_sha256(TEST_KEY, &msg);
                out.clear();
                out.push_str(PSEUDONYM_PREFIX);
                base32_into(&tag[..16], &mut out);
                check = check.wrapping_add(usize::from(out.as_bytes()[PSEUDONYM_LEN - 1]));
            }
            let rekeyed = values.len() as f64 / t.elapsed().as_secs_f64();
            println!(
                "round {round}: pseudonym_into {:.2} M/s, re-keyed per value {:.2} M/s ({:.2}x)",
                prepared / 1e6,
                rekeyed / 1e6,
                prepared / rekeyed
            );
        }
        std::hint::black_box(check);
    }
}
