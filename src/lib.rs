//! fairsynth: reweight, synthesise and de-identify tabular training data, always to Parquet.
//!
//! The library does the work; the `fairsynth` binary is a thin command line over it.
//! - [`schema`]: the YAML contract (column types, roles, generators, targets, privacy policy);
//! - [`synth`]: the deterministic, parallel, block-wise generator;
//! - [`io`]: Parquet output (parallel encoding, atomic rename, provenance metadata).

pub mod deid;
pub mod io;
pub mod reweight;
pub mod schema;
pub mod synth;
