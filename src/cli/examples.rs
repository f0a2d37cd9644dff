//! The examples each command's `--help` ends with. They run from a clone's root against the
//! committed files (`tests/cli_help.rs` runs every one, in this order, so none can rot), and
//! the book's guide pages show the same tasks with their output.

/// `fairsynth --help`.
pub(crate) const TOP: &str = "\
Examples:
  # 1,000 synthetic customers from the embedded default schema
  $ fairsynth synth --schema schemas/customers.yaml --rows 1000 -o customers.parquet
  # Profile a real table, find its identifiers and draft a schema to review
  $ fairsynth inspect tests/data/detection/people.csv --draft-schema people.yaml

The guide (docs/, an mdBook) has a page per task; `fairsynth man` and `fairsynth completions`
write manual pages and shell completions.";

/// `fairsynth synth --help`.
pub(crate) const SYNTH: &str = "\
Examples:
  # 1,000 rows of the embedded default schema, seed 7
  $ fairsynth synth --schema schemas/customers.yaml --rows 1000 --seed 7 -o customers.parquet
  # A shop's seven linked tables at a tenth of the schema's size, one file per table
  $ fairsynth synth --schema schemas/shop.yaml --scale 0.1 -o shop";

/// `fairsynth reweight --help`.
pub(crate) const REWEIGHT: &str = "\
Examples:
  # Weights that meet the schema's targets, with income independent of sex
  $ fairsynth reweight tests/data/adult_sample.csv --schema schemas/adult.yaml -o adult_weighted.parquet --report reweight.json";

/// `fairsynth fit --help`.
pub(crate) const FIT: &str = "\
Examples:
  # A model of the Adult sample
  $ fairsynth fit tests/data/adult_sample.csv --schema schemas/adult.yaml --seed 7 -o adult.model.json
  # The same, differentially private at epsilon = 1
  $ fairsynth fit tests/data/adult_sample.csv --schema schemas/adult_dp.yaml --epsilon 1 --seed 7 -o adult_dp.model.json";

/// `fairsynth sample --help`.
pub(crate) const SAMPLE: &str = "\
Examples:
  # 5,000 synthetic rows to the schema's target shares, income independent of sex
  $ fairsynth sample adult.model.json --rows 5000 --schema-targets --seed 7 -o adult_synthetic.parquet --report sample.json";

/// `fairsynth deidentify --help`.
pub(crate) const DEIDENTIFY: &str = "\
Examples:
  # Generalise age and sex to 5-anonymity, drop what the schema drops; the risk report beside it
  $ fairsynth deidentify tests/data/adult_sample.csv --schema tests/data/schemas/adult_deid.yaml -o adult_deid.parquet --report deid.json
  # Keyed pseudonyms take their key from FAIRSYNTH_KEY or --key-file FILE";

/// `fairsynth inspect --help`.
pub(crate) const INSPECT: &str = "\
Examples:
  # Profile a table, find its identifiers and draft a schema to review
  $ fairsynth inspect tests/data/detection/people.csv --draft-schema people.yaml
  # A German CRM export: semicolons, decimal commas, dd.mm.yyyy dates (detected)
  $ fairsynth inspect tests/data/dialects/crm_de.csv --draft-schema crm.yaml
  # A folder of linked tables: keys, foreign keys and date rules in a relational draft
  $ fairsynth inspect tests/data/relational/cdnow --draft-schema cdnow.yaml";

/// `fairsynth evaluate --help`.
pub(crate) const EVALUATE: &str = "\
Examples:
  # Fidelity, utility, privacy and fairness of a sample, as JSON and as a page
  $ fairsynth evaluate --real tests/data/adult_sample.csv --synthetic adult_synthetic.parquet --schema schemas/adult.yaml --report evaluate.json --html evaluate.html";

/// `fairsynth audit --help`.
pub(crate) const AUDIT: &str = "\
Examples:
  # Representation, parity, proxies, identifiers and quality of a training table; exits with 1
  # when a check fails, as Adult's income by age, race and sex does (the reports are written)
  $ fairsynth audit tests/data/adult_sample.csv --schema schemas/adult.yaml --report audit.json --html audit.html";

/// `fairsynth schema check --help`.
pub(crate) const SCHEMA_CHECK: &str = "\
Examples:
  $ fairsynth schema check schemas/customers.yaml schemas/adult.yaml";

/// `fairsynth completions --help`.
pub(crate) const COMPLETIONS: &str = "\
Examples:
  $ fairsynth completions bash > fairsynth.bash
  # then: source fairsynth.bash, or copy it to /etc/bash_completion.d/";

/// `fairsynth man --help`.
pub(crate) const MAN: &str = "\
Examples:
  # One page per command (fairsynth.1, fairsynth-synth.1, ...) in man/
  $ fairsynth man man
  # then: man -l man/fairsynth-synth.1";
