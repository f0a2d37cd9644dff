//! Statistical tests: what `synth` generates matches what the schema declares. Every tolerance
//! is five standard errors for the sample size at hand (a fixed seed makes each test
//! deterministic; five sigma keeps a correct generator from failing by bad luck).

use arrow_array::cast::AsArray;
use arrow_array::types::{Date32Type, Float64Type, Int32Type, Int64Type};
use arrow_array::{Array, RecordBatch};
use fairsynth::schema::Schema;
use fairsynth::synth::Synthesizer;

const N: u64 = 200_000;

const SCHEMA: &str = r#"
version: 1
name: stats
columns:
  - name: sex
    type: category
    role: protected
    shares: {female: 0.6, male: 0.4}
  - name: age
    type: int
    role: protected
    distribution: {kind: uniform, low: 18, high: 80}
    min: 18
    max: 79
    bins: [18, 30, 50, 80]
  - name: churned
    type: bool
    role: label
    probability: 0.1
    cases:
      - when: {sex: female, age: "18-29"}
        probability: 0.5
      - when: {sex: female}
        probability: 0.3
  - name: education
    type: category
    shares: {low: 0.5, mid: 0.3, high: 0.2}
    cases:
      - when: {sex: male}
        shares: {low: 0.2, mid: 0.3, high: 0.5}
  - name: income
    type: float
    distribution: {kind: normal, mean: 50000, sd: 8000}
    cases:
      - when: {education: high, sex: male}
        distribution: {mean: 70000}
      - when: {education: high}
        distribution: {mean: 65000, sd: 4000}
  - name: score
    type: float
    null_share: 0.1
    distribution: {kind: lognormal, mu: 1.0, sigma: 0.5}
  - name: wait
    type: float
    distribution: {kind: gamma, shape: 2.5, scale: 4.0}
  - name: visits
    type: int
    bits: 32
    distribution: {kind: poisson, lambda: 3.5}
  - name: gap
    type: float
    distribution: {kind: exponential, rate: 0.25}
  - name: ratio
    type: float
    round: 3
    distribution: {kind: beta, alpha: 2, beta: 5}
  - name: height
    type: float
    distribution: {kind: normal, mean: 170, sd: 20}
    min: 160
    max: 175
  - name: joined
    type: date
    min: 2020-01-01
    max: 2020-12-31
  - name: birth
    type: date
    generator: {kind: birth_date, age: age, reference: 2026-03-01}
  - name: id
    type: string
    generator: {kind: sequence, start: 10, step: 5, prefix: "C-"}
"#;

struct Table {
    batches: Vec<RecordBatch>,
}

impl Table {
    fn generate(yaml: &str, seed: u64, rows: u64) -> Table {
        let schema = Schema::from_str_named(yaml, "stats.yaml").expect("valid schema");
        let s = Synthesizer::new(&schema, seed).expect("synthesisable");
        let batches = (0..Synthesizer::blocks(rows))
            .map(|b| s.block(b, rows).expect("block"))
            .collect();
        Table { batches }
    }

    fn col(&self, name: &str) -> Vec<&dyn Array> {
        self.batches
            .iter()
            .map(|b| b.column_by_name(name).expect("column").as_ref())
            .collect()
    }

    fn strings(&self, name: &str) -> Vec<Option<String>> {
        let mut out = Vec::new();
        for a in self.col(name) {
            if let Some(d) = a.as_dictionary_opt::<Int32Type>() {
                let values = d.values().as_string::<i32>();
                for k in d.keys().iter() {
                    out.push(k.map(|k| values.value(k as usize).to_string()));
                }
            } else {
                out.extend(a.as_string::<i32>().iter().map(|v| v.map(str::to_string)));
            }
        }
        out
    }

    fn floats(&self, name: &str) -> Vec<Option<f64>> {
        let mut out = Vec::new();
        for a in self.col(name) {
            if let Some(f) = a.as_primitive_opt::<Float64Type>() {
                out.extend(f.iter());
            } else if let Some(i) = a.as_primitive_opt::<Int64Type>() {
                out.extend(i.iter().map(|v| v.map(|v| v as f64)));
            } else {
                out.extend(
                    a.as_primitive::<Int32Type>()
                        .iter()
                        .map(|v| v.map(f64::from)),
                );
            }
        }
        out
    }

    fn bools(&self, name: &str) -> Vec<bool> {
        self.col(name)
            .iter()
            .flat_map(|a| a.as_boolean().iter().map(|v| v.expect("no nulls")))
            .collect()
    }
}

fn assert_share(what: &str, hits: usize, n: usize, p: f64) {
    let got = hits as f64 / n as f64;
    let tol = 5.0 * (p * (1.0 - p) / n as f64).sqrt();
    assert!(
        (got - p).abs() <= tol,
        "{what}: share {got:.5}, want {p} +- {tol:.5} (n = {n})"
    );
}

fn mean_sd(v: &[f64]) -> (f64, f64) {
    let n = v.len() as f64;
    let m = v.iter().sum::<f64>() / n;
    let var = v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1.0);
    (m, var.sqrt())
}

/// Checks the sample mean against `mean` within five standard errors of the true `sd`.
fn assert_mean(what: &str, v: &[f64], mean: f64, sd: f64) {
    let (m, _) = mean_sd(v);
    let tol = 5.0 * sd / (v.len() as f64).sqrt();
    assert!(
        (m - mean).abs() <= tol,
        "{what}: mean {m:.4}, want {mean:.4} +- {tol:.4} (n = {})",
        v.len()
    );
}

fn age_band(age: f64) -> &'static str {
    match age {
        a if a < 30.0 => "18-29",
        a if a < 50.0 => "30-49",
        _ => "50-80",
    }
}

#[test]
fn category_shares_match_the_schema() {
    let t = Table::generate(SCHEMA, 1, N);
    let sex = t.strings("sex");
    assert_eq!(sex.len(), N as usize);
    let female = sex
        .iter()
        .filter(|s| s.as_deref() == Some("female"))
        .count();
    assert_share("female", female, sex.len(), 0.6);
}

#[test]
fn conditional_probabilities_follow_the_cases() {
    let t = Table::generate(SCHEMA, 2, N);
    let sex = t.strings("sex");
    let age = t.floats("age");
    let churned = t.bools("churned");
    for (group_sex, band, p) in [
        ("female", "18-29", 0.5),
        ("female", "30-49", 0.3),
        ("female", "50-80", 0.3),
        ("male", "18-29", 0.1),
        ("male", "30-49", 0.1),
        ("male", "50-80", 0.1),
    ] {
        let rows: Vec<usize> = (0..sex.len())
            .filter(|&i| {
                sex[i].as_deref() == Some(group_sex) && age_band(age[i].expect("age")) == band
            })
            .collect();
        let hits = rows.iter().filter(|&&i| churned[i]).count();
        assert_share(&format!("churn | {group_sex}, {band}"), hits, rows.len(), p);
    }
}

#[test]
fn conditional_shares_and_means_follow_the_cases() {
    let t = Table::generate(SCHEMA, 3, N);
    let sex = t.strings("sex");
    let edu = t.strings("education");
    let income = t.floats("income");
    for (s, shares) in [("female", [0.5, 0.3, 0.2]), ("male", [0.2, 0.3, 0.5])] {
        let rows: Vec<usize> = (0..sex.len())
            .filter(|&i| sex[i].as_deref() == Some(s))
            .collect();
        for (level, p) in ["low", "mid", "high"].iter().zip(shares) {
            let hits = rows
                .iter()
                .filter(|&&i| edu[i].as_deref() == Some(*level))
                .count();
            assert_share(&format!("education {level} | {s}"), hits, rows.len(), p);
        }
    }
    let pick = |s: &str, high: bool| -> Vec<f64> {
        (0..sex.len())
            .filter(|&i| {
                sex[i].as_deref() == Some(s) && (edu[i].as_deref() == Some("high")) == high
            })
            .map(|i| income[i].expect("income"))
            .collect()
    };
    assert_mean(
        "income | male, high",
        &pick("male", true),
        70_000.0,
        8_000.0,
    );
    assert_mean(
        "income | female, high",
        &pick("female", true),
        65_000.0,
        4_000.0,
    );
    let (_, sd) = mean_sd(&pick("female", true));
    assert!(
        (sd - 4_000.0).abs() < 5.0 * 4_000.0 / (2.0 * pick("female", true).len() as f64).sqrt()
    );
    assert_mean(
        "income | female, not high",
        &pick("female", false),
        50_000.0,
        8_000.0,
    );
    assert_mean(
        "income | male, not high",
        &pick("male", false),
        50_000.0,
        8_000.0,
    );
}

#[test]
fn distributions_have_their_textbook_means() {
    let t = Table::generate(SCHEMA, 4, N);
    let all = |name: &str| -> Vec<f64> { t.floats(name).into_iter().flatten().collect() };
    let (mu, sigma): (f64, f64) = (1.0, 0.5);
    let ln_mean = (mu + sigma * sigma / 2.0).exp();
    let ln_sd = (((sigma * sigma).exp() - 1.0) * (2.0 * mu + sigma * sigma).exp()).sqrt();
    assert_mean("lognormal", &all("score"), ln_mean, ln_sd);
    assert_mean("gamma", &all("wait"), 2.5 * 4.0, (2.5f64).sqrt() * 4.0);
    assert_mean("poisson", &all("visits"), 3.5, 3.5f64.sqrt());
    assert_mean("exponential", &all("gap"), 4.0, 4.0);
    // Beta(2, 5): mean 2/7, variance ab / ((a+b)^2 (a+b+1)) = 10/392; rounding to 3 decimals
    // shifts the mean by far less than the tolerance.
    assert_mean("beta", &all("ratio"), 2.0 / 7.0, (10.0f64 / 392.0).sqrt());
    // Uniform on [18, 80), rounded, truncated to <= 79: 18 gets half a unit of width
    // ([18, 18.5)), 19..=79 a full unit each, and draws rounding to 80 are redrawn. Mean =
    // (0.5 * 18 + sum(19..=79)) / 61.5 = (9 + 2989) / 61.5.
    assert_mean(
        "uniform int",
        &all("age"),
        2998.0 / 61.5,
        62.0 / 12f64.sqrt(),
    );
}

#[test]
fn nulls_follow_null_share() {
    let t = Table::generate(SCHEMA, 5, N);
    let score = t.floats("score");
    let nulls = score.iter().filter(|v| v.is_none()).count();
    assert_share("null share", nulls, score.len(), 0.1);
    // Columns without null_share have none.
    assert!(t.floats("income").iter().all(Option::is_some));
}

#[test]
fn truncation_rounding_and_ranges_hold() {
    let t = Table::generate(SCHEMA, 6, N);
    let height: Vec<f64> = t.floats("height").into_iter().flatten().collect();
    assert!(height.iter().all(|h| (160.0..=175.0).contains(h)));
    // Truncated normal mean: mean + sd * (phi(a) - phi(b)) / (Phi(b) - Phi(a)), with
    // a = -0.5, b = 0.25: phi(-0.5) = 0.3520653, phi(0.25) = 0.3866681,
    // Phi(0.25) - Phi(-0.5) = 0.5987063 - 0.3085375 = 0.2901688 (standard normal tables).
    let want = 170.0 + 20.0 * (0.352_065_3 - 0.386_668_1) / 0.290_168_8;
    assert_mean("truncated normal", &height, want, 4.4);
    let age: Vec<f64> = t.floats("age").into_iter().flatten().collect();
    assert!(age
        .iter()
        .all(|a| a.fract() == 0.0 && (18.0..=79.0).contains(a)));
    let ratio: Vec<f64> = t.floats("ratio").into_iter().flatten().collect();
    assert!(ratio
        .iter()
        .all(|r| ((r * 1000.0).round() / 1000.0 - r).abs() < 1e-12));
    let visits: Vec<f64> = t.floats("visits").into_iter().flatten().collect();
    assert!(visits.iter().all(|v| v.fract() == 0.0 && *v >= 0.0));
}

#[test]
fn dates_are_uniform_in_range_and_birth_dates_match_ages() {
    let t = Table::generate(SCHEMA, 7, N);
    let days = |name: &str| -> Vec<i32> {
        t.col(name)
            .iter()
            .flat_map(|a| {
                a.as_primitive::<Date32Type>()
                    .iter()
                    .map(|v| v.expect("no nulls"))
            })
            .collect()
    };
    let joined = days("joined");
    let (lo, hi) = (18262, 18627); // 2020-01-01 and 2020-12-31
    assert!(joined.iter().all(|d| (lo..=hi).contains(d)));
    let v: Vec<f64> = joined.iter().map(|&d| f64::from(d)).collect();
    assert_mean("dates", &v, f64::from(lo + hi) / 2.0, 366.0 / 12f64.sqrt());

    let epoch = chrono::NaiveDate::from_ymd_opt(1970, 1, 1).expect("date");
    let reference = chrono::NaiveDate::from_ymd_opt(2026, 3, 1).expect("date");
    let ages = t.floats("age");
    for (d, a) in days("birth").iter().zip(&ages) {
        let born = epoch + chrono::Duration::days(i64::from(*d));
        let age = reference.years_since(born).expect("born before reference");
        assert_eq!(f64::from(age), a.expect("age"), "born {born}");
    }
}

#[test]
fn string_sequences_count_by_row() {
    let t = Table::generate(SCHEMA, 8, 70_000);
    let ids = t.strings("id");
    assert_eq!(ids[0].as_deref(), Some("C-10"));
    assert_eq!(
        ids[69_999].as_deref(),
        Some(format!("C-{}", 10 + 5 * 69_999).as_str())
    );
}

#[test]
fn the_customers_schema_carries_its_declared_bias() {
    let yaml = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/schemas/customers.yaml"
    ))
    .expect("schema");
    let t = Table::generate(&yaml, 42, N);
    let sex = t.strings("sex");
    let age = t.floats("age");
    let churned = t.bools("churned");
    let young = |a: f64| a < 35.0;
    for (s, is_young, p) in [
        ("female", true, 0.32),
        ("female", false, 0.24),
        ("male", true, 0.2),
        ("male", false, 0.15),
    ] {
        let rows: Vec<usize> = (0..sex.len())
            .filter(|&i| sex[i].as_deref() == Some(s) && young(age[i].expect("age")) == is_young)
            .collect();
        let hits = rows.iter().filter(|&&i| churned[i]).count();
        assert_share(
            &format!("churn | {s}, young {is_young}"),
            hits,
            rows.len(),
            p,
        );
    }
    // E-mails are derived from the names and stay on reserved domains.
    let names = t.strings("full_name");
    let emails = t.strings("email");
    for (n, e) in names.iter().zip(&emails).take(1000) {
        let (n, e) = (n.as_deref().expect("name"), e.as_deref().expect("email"));
        let first = n.split(' ').next().expect("first name").to_lowercase();
        assert!(e.starts_with(&first), "{e} from {n}");
        assert!(
            e.ends_with("@example.com")
                || e.ends_with("@example.org")
                || e.ends_with("@example.net"),
            "{e}"
        );
    }
}
