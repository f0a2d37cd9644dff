//! Keyed pseudonyms: the secret key, HMAC-SHA-256 tokens, key fingerprints.
