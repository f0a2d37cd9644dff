//! De-identification: finding direct identifiers in data, replacing them with keyed
//! pseudonyms or consistent fakes, and redacting them from free text.
//!
//! - [`detect`]: identifier detectors (by column name and by content) with check digits;
//! - [`pseudo`]: the secret key, HMAC-SHA-256 pseudonyms and key fingerprints;
//! - [`kanon`]: generalisation of quasi-identifiers, k-anonymity, l-diversity and risk;
//! - [`classes`]: counting the quasi-identifier classes of record batches (the mergeable
//!   state of k-anonymity);
//! - [`risk`]: singling-out figures: rows unique over the quasi-identifiers and over
//!   everything released;
//! - [`steps`]: `deidentify` in steps usable on any chunk (pass-1 counts, plan, pass-2
//!   transform and counts, finish), mergeable and serialisable across processes;
//! - [`run`]: the `deidentify` pipeline over them;
//! - [`linked`]: `deidentify` across the tables of a linked schema (key groups, consent
//!   propagation, per-person figures);
//! - [`inspect`]: profiling an unknown table and drafting a schema for review.

pub mod classes;
pub mod detect;
pub mod draft;
pub mod inspect;
pub mod kanon;
pub mod known;
pub mod linked;
pub mod names;
mod plan;
pub mod pseudo;
pub mod risk;
pub mod run;
pub mod slots;
pub mod steps;
