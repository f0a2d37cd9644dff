//! fairsynth: reweight, synthesise and de-identify tabular training data, always to Parquet.
//!
//! The library does the work; the `fairsynth` binary is a thin command line over it.
//! - [`schema`]: the YAML contract (column types, roles, generators, targets, privacy policy);
//! - [`synth`]: the deterministic, parallel, block-wise generator;
//! - [`io`]: Parquet output (parallel encoding, atomic rename, provenance metadata) and typed
//!   CSV/Parquet input;
//! - [`reweight`]: raking to target marginals, label-parity repair, bounded weights,
//!   resampling;
//! - [`deid`]: identifier detection, keyed pseudonyms, k-anonymity, and the `deidentify`
//!   and `inspect` pipelines;
//! - [`discover`]: keys, foreign keys, children counts and date rules across a folder of
//!   tables (`inspect DIR`), drafted as a relational schema;
//! - [`hash`]: the fast hasher of the in-memory tables;
//! - [`person`]: the person behind a row of linked tables (the ancestor up the driving keys
//!   and the protected levels a child table's `fairness:` names);
//! - [`model`]: fitting a Bayesian network of a real table (optionally differentially
//!   private), the versioned model file, and sampling from it to targets with label parity;
//! - [`metrics`]: distances, correlations and similarities for reports and evaluation;
//! - [`evaluate`]: fidelity, utility, privacy and fairness of a synthetic table against the
//!   real one, checked against the schema's quality gates;
//! - [`audit`]: representation, outcome parity, proxies, identifiers, data quality and drift
//!   of a real training table, checked against the schema's quality gates;
//! - [`report`]: one self-contained HTML page (inline SVG charts) per command's report.
//!
//! ```
//! use fairsynth::schema::Schema;
//! use fairsynth::synth::Synthesizer;
//!
//! let yaml = "version: 1\nname: t\ncolumns:\n  - {name: churned, type: bool, probability: 0.2}\n";
//! let schema = Schema::from_str_named(yaml, "t.yaml")?;
//! let batch = Synthesizer::new(&schema, 42)?.block(0, 1000)?; // the first 1000 rows
//! assert_eq!(batch.num_rows(), 1000);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod audit;
pub mod deid;
pub mod discover;
pub mod evaluate;
pub(crate) mod exact;
pub mod hash;
pub mod io;
pub mod metrics;
pub mod model;
pub mod person;
pub mod profile;
pub mod report;
pub mod reweight;
pub mod schema;
pub mod synth;
