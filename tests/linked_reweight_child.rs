//! `reweight DIR` with labels in child tables (issue 24): on the committed synthetic bank
//! (tests/data/relational/bank, a loan's status and an account's overdraft 30 points apart by
//! the client's sex), the people are weighted so that both labels' rates among the child
//! rows, each row weighted by its client's weight, are equal across the sexes, while the
//! client table's targets still hold; every child row carries its client's weight; the
//! output is the same at any thread count; and groups that cannot be reweighted, bounds and
//! `--no-parity` get clear errors.

mod common;

use std::collections::{BTreeMap, HashMap};
use std::fs;
use std::path::{Path, PathBuf};

use arrow_array::cast::AsArray;
use arrow_array::types::{Float64Type, Int32Type, Int64Type};
use arrow_array::RecordBatch;
use common::{fairsynth, read_parquet, root};

const TOLERANCE: f64 = 1e-6;

fn bank() -> (PathBuf, PathBuf) {
    (
        root().join("tests/data/relational/bank"),
        root().join("tests/data/relational/bank.yaml"),
    )
}

fn ints(b: &RecordBatch, name: &str) -> Vec<i64> {
    let a = b
        .column_by_name(name)
        .unwrap_or_else(|| panic!("no column {name}"))
        .as_primitive::<Int64Type>();
    (0..a.len()).map(|i| a.value(i)).collect()
}

fn floats(b: &RecordBatch, name: &str) -> Vec<f64> {
    let a = b
        .column_by_name(name)
        .unwrap_or_else(|| panic!("no column {name}"))
        .as_primitive::<Float64Type>();
    (0..a.len()).map(|i| a.value(i)).collect()
}

fn categories(b: &RecordBatch, name: &str) -> Vec<String> {
    let a = b
        .column_by_name(name)
        .unwrap_or_else(|| panic!("no column {name}"))
        .as_dictionary::<Int32Type>();
    let v = a.values().as_string::<i32>();
    (0..a.len())
        .map(|i| v.value(a.keys().value(i) as usize).to_string())
        .collect()
}

/// The weighted tables of an output folder.
struct Weighted {
    client: RecordBatch,
    account: RecordBatch,
    loan: RecordBatch,
}

impl Weighted {
    fn read(out: &Path) -> Weighted {
        Weighted {
            client: read_parquet(&out.join("client.parquet")),
            account: read_parquet(&out.join("account.parquet")),
            loan: read_parquet(&out.join("loan.parquet")),
        }
    }

    /// Per client id, the client's sex and weight.
    fn clients(&self) -> HashMap<i64, (String, f64)> {
        ints(&self.client, "client_id")
            .into_iter()
            .zip(
                categories(&self.client, "sex")
                    .into_iter()
                    .zip(floats(&self.client, "weight")),
            )
            .collect()
    }

    /// Per account id, its client id.
    fn owners(&self) -> HashMap<i64, i64> {
        ints(&self.account, "account_id")
            .into_iter()
            .zip(ints(&self.account, "client_id"))
            .collect()
    }

    /// Per row of `table` (account or loan), its client id.
    fn client_of(&self, table: &str) -> Vec<i64> {
        match table {
            "account" => ints(&self.account, "client_id"),
            _ => {
                let owners = self.owners();
                ints(&self.loan, "account_id")
                    .iter()
                    .map(|a| owners[a])
                    .collect()
            }
        }
    }

    fn table(&self, table: &str) -> &RecordBatch {
        match table {
            "account" => &self.account,
            _ => &self.loan,
        }
    }

    /// Per sex, the favourable rate of `label` among the rows of `table`, weighted by the
    /// rows' own weights and unweighted.
    fn rates(&self, table: &str, label: &str, favourable: &str) -> BTreeMap<String, (f64, f64)> {
        let clients = self.clients();
        let b = self.table(table);
        let mut sums: BTreeMap<String, [f64; 4]> = BTreeMap::new();
        for ((c, l), w) in self
            .client_of(table)
            .iter()
            .zip(categories(b, label))
            .zip(floats(b, "weight"))
        {
            let e = sums.entry(clients[c].0.clone()).or_default();
            let fav = f64::from(u8::from(l == favourable));
            e[0] += w * fav;
            e[1] += w;
            e[2] += fav;
            e[3] += 1.0;
        }
        sums.into_iter()
            .map(|(s, e)| (s, (e[0] / e[1], e[2] / e[3])))
            .collect()
    }

    /// Every row of `table` carries its client's weight.
    fn carries_the_clients_weight(&self, table: &str) {
        let clients = self.clients();
        for (c, w) in self
            .client_of(table)
            .iter()
            .zip(floats(self.table(table), "weight"))
        {
            assert_eq!(clients[c].1, w, "a {table} row's weight is its client's");
        }
    }
}

fn reweight(data: &Path, schema: &Path, out: &Path, report: &Path, threads: &str) {
    fairsynth()
        .arg("reweight")
        .arg(data)
        .arg("--schema")
        .arg(schema)
        .args(["--threads", threads, "--quiet", "--report"])
        .arg(report)
        .arg("-o")
        .arg(out)
        .assert()
        .success();
}

fn spd(rates: &BTreeMap<String, (f64, f64)>, weighted: bool) -> f64 {
    let r = |s: &str| {
        let (w, u) = rates[s];
        if weighted {
            w
        } else {
            u
        }
    };
    r("F") - r("M")
}

#[test]
fn the_bank_s_child_labels_reach_parity_by_the_client_s_sex() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let (data, schema) = bank();
    let (out, report) = (dir.path().join("one"), dir.path().join("one.json"));
    reweight(&data, &schema, &out, &report, "1");
    let w = Weighted::read(&out);
    w.carries_the_clients_weight("account");
    w.carries_the_clients_weight("loan");

    let loans = w.rates("loan", "status", "good");
    let accounts = w.rates("account", "overdraft", "no");
    // The built-in gaps (45 % against 75 % good loans, 70 % against 40 % not overdrawn).
    assert!(spd(&loans, false) < -0.2, "{loans:?}");
    assert!(spd(&accounts, false) > 0.2, "{accounts:?}");
    assert!(spd(&loans, true).abs() < TOLERANCE, "{loans:?}");
    assert!(spd(&accounts, true).abs() < TOLERANCE, "{accounts:?}");

    // The people keep their total and the share of women (no targets: the start's).
    let clients = w.clients();
    let total: f64 = clients.values().map(|c| c.1).sum();
    let women: f64 = clients.values().filter(|c| c.0 == "F").map(|c| c.1).sum();
    let women_start = clients.values().filter(|c| c.0 == "F").count() as f64;
    assert!((total - 1500.0).abs() < 1e-6, "total weight {total}");
    assert!(
        (women / total - women_start / 1500.0).abs() < TOLERANCE,
        "share of women {}",
        women / total
    );
    assert!(clients.values().all(|c| c.1 > 0.0 && c.1.is_finite()));

    // The report: before and after per label, as measured here.
    let r: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(&report).expect("report")).expect("json");
    let children = r["children"].as_array().expect("children");
    assert_eq!(children.len(), 2);
    for (c, rates) in children.iter().zip([&accounts, &loans]) {
        let a = &c["attributes"][0];
        assert_eq!(a["column"], "client.sex");
        let before = a["spd_before"].as_f64().expect("spd");
        // Lowest minus highest: the gap's size, negative.
        assert!((before + spd(rates, false).abs()).abs() < 1e-12, "{c}");
        assert!(a["spd_after"].as_f64().expect("spd").abs() < TOLERANCE);
        assert!(c["max_abs_error"].as_f64().expect("error") < TOLERANCE);
        assert_eq!(c["person"], "client");
    }
    assert_eq!(children[1]["table"], "loan");
    assert_eq!(children[1]["rows"], 1483);
    let overall = {
        let (mut fav, mut all) = (0.0, 0.0);
        for s in categories(&w.loan, "status") {
            fav += f64::from(u8::from(s == "good"));
            all += 1.0;
        }
        fav / all
    };
    assert!((children[1]["target_rate"].as_f64().expect("rate") - overall).abs() < 1e-12);
    assert_eq!(r["roots"][0][1]["converged"], true);

    // The same files at two threads.
    let (out2, report2) = (dir.path().join("two"), dir.path().join("two.json"));
    reweight(&data, &schema, &out2, &report2, "2");
    for t in ["client", "account", "loan"] {
        let name = format!("{t}.parquet");
        assert_eq!(
            fs::read(out.join(&name)).expect("file"),
            fs::read(out2.join(&name)).expect("file"),
            "{name} at 1 and 2 threads"
        );
    }
    assert_eq!(
        fs::read(&report).expect("report"),
        fs::read(&report2).expect("report")
    );
}

/// The client table's targets (a share of women and one of the birth years' bands) hold
/// with the parity of both child labels.
#[test]
fn the_people_s_targets_hold_with_parity_at_the_person() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let (data, schema) = bank();
    let text = fs::read_to_string(&schema).expect("schema");
    let text = text
        .replace(
            "      - {name: birth_year, type: int}\n",
            "      - {name: birth_year, type: int, bins: {edges: [1940, 1970, 2000], labels: [older, younger]}}\n    targets:\n      sex: {F: 0.6, M: 0.4}\n      birth_year: {older: 0.3, younger: 0.7}\n",
        );
    assert!(text.contains("targets:"));
    let targeted = dir.path().join("bank.yaml");
    fs::write(&targeted, text).expect("write");
    let (out, report) = (dir.path().join("out"), dir.path().join("r.json"));
    reweight(&data, &targeted, &out, &report, "2");
    let w = Weighted::read(&out);
    w.carries_the_clients_weight("loan");
    let weights = floats(&w.client, "weight");
    let total: f64 = weights.iter().sum();
    let share = |pick: &dyn Fn(usize) -> bool| {
        weights
            .iter()
            .enumerate()
            .filter(|(i, _)| pick(*i))
            .map(|(_, w)| w)
            .sum::<f64>()
            / total
    };
    let sex = categories(&w.client, "sex");
    let year = ints(&w.client, "birth_year");
    assert!((share(&|i| sex[i] == "F") - 0.6).abs() < TOLERANCE);
    assert!((share(&|i| year[i] < 1970) - 0.3).abs() < TOLERANCE);
    assert!(spd(&w.rates("loan", "status", "good"), true).abs() < TOLERANCE);
    assert!(spd(&w.rates("account", "overdraft", "no"), true).abs() < TOLERANCE);
    let r: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(&report).expect("report")).expect("json");
    let margins = r["roots"][0][1]["margins"].as_array().expect("margins");
    assert_eq!(margins.len(), 2, "the targets' margins, sex not repeated");
    assert!(margins
        .iter()
        .all(|m| m["max_abs_error"].as_f64().expect("error") < TOLERANCE));
}

fn golden(name: &str, stderr: &[u8], tmp: &Path) {
    let text = String::from_utf8_lossy(stderr).replace(&tmp.display().to_string(), "TMP");
    let path = root().join("tests/golden").join(name);
    if std::env::var_os("FAIRSYNTH_BLESS").is_some() {
        fs::write(&path, &text).expect("bless");
    }
    let want = fs::read_to_string(&path).expect("golden file");
    assert_eq!(text, want, "{name}");
}

/// A group whose loans are all bad cannot be weighted to the common rate: refused, naming
/// the table, label and group, with nothing written.
#[test]
fn a_group_without_a_good_loan_is_refused() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let data = dir.path().join("data");
    fs::create_dir(&data).expect("folder");
    let mut client = String::from("client_id,sex\n");
    let mut loan = String::from("loan_id,client_id,status\n");
    for c in 1..=8 {
        let woman = c % 2 == 0;
        client.push_str(&format!("{c},{}\n", if woman { "F" } else { "M" }));
        let good = !woman && c % 3 != 0;
        loan.push_str(&format!("{c},{c},{}\n", if good { "good" } else { "bad" }));
    }
    fs::write(data.join("client.csv"), client).expect("write");
    fs::write(data.join("loan.csv"), loan).expect("write");
    let schema = dir.path().join("s.yaml");
    fs::write(
        &schema,
        "version: 1\nname: s\ntables:\n  - name: client\n    primary_key: client_id\n    columns:\n      - {name: client_id, type: int, role: identifier}\n      - {name: sex, type: category, role: protected}\n  - name: loan\n    primary_key: loan_id\n    columns:\n      - {name: loan_id, type: int, role: identifier}\n      - {name: client_id, type: int, references: client, children: {shares: {\"1\": 1}}}\n      - {name: status, type: category, role: label}\n    fairness: {label: status, independent_of: [client.sex], favourable: good}\n",
    )
    .expect("write");
    let out = dir.path().join("out");
    let a = fairsynth()
        .arg("reweight")
        .arg(&data)
        .arg("--schema")
        .arg(&schema)
        .arg("-o")
        .arg(&out)
        .assert()
        .code(2);
    golden(
        "reweight_child_no_favourable.stderr",
        &a.get_output().stderr,
        dir.path(),
    );
    assert!(!out.exists());
}

/// Bounds are not combined with parity at the person yet; without parity the bank has
/// nothing to reweight its people to.
#[test]
fn bounds_and_no_parity_are_refused_with_a_child_label() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let (data, schema) = bank();
    for (flags, says) in [
        (
            vec!["--max-weight", "3"],
            "cannot be combined with the parity of a child table's label",
        ),
        (vec!["--no-parity"], "nothing to reweight the people to"),
    ] {
        let out = dir.path().join("out");
        let a = fairsynth()
            .arg("reweight")
            .arg(&data)
            .arg("--schema")
            .arg(&schema)
            .args(&flags)
            .arg("-o")
            .arg(&out)
            .assert()
            .code(2);
        let err = String::from_utf8_lossy(&a.get_output().stderr).to_string();
        assert!(err.contains(says), "{flags:?}: {err}");
        assert!(!out.exists());
    }
}

/// The printed summary names each child label's parity before and after.
#[test]
fn the_summary_gives_the_parity_at_the_person() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let (data, schema) = bank();
    let a = fairsynth()
        .arg("reweight")
        .arg(&data)
        .arg("--schema")
        .arg(&schema)
        .arg("-o")
        .arg(dir.path().join("out"))
        .assert()
        .success();
    let err = String::from_utf8_lossy(&a.get_output().stderr).to_string();
    assert!(
        err.contains("loan: parity at the person (client) of status = good over 1483 rows"),
        "{err}"
    );
    assert!(err.contains("by client.sex: SPD -0."), "{err}");
    assert!(err.contains("-> +0.0000, DI"), "{err}");
}

/// A protected column of a table between the person and the label (the account's balance
/// band, for loans): the loans' rates per band meet, with one weight per client.
#[test]
fn a_protected_column_of_a_middle_table_is_reached_up_the_driving_keys() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let (data, schema) = bank();
    let text = fs::read_to_string(&schema)
        .expect("schema")
        .replace(
            "      - {name: balance, type: float}\n",
            "      - {name: balance, type: float, role: protected, bins: {edges: [0, 3000, 100000], labels: [low, high]}}\n",
        )
        .replace(
            "    fairness: {label: overdraft, independent_of: [client.sex], favourable: \"no\"}\n",
            "",
        )
        .replace("independent_of: [client.sex], favourable: good", "independent_of: [account.balance], favourable: good");
    assert!(text.contains("[account.balance]"));
    let banded = dir.path().join("bank.yaml");
    fs::write(&banded, text).expect("write");
    let (out, report) = (dir.path().join("out"), dir.path().join("r.json"));
    reweight(&data, &banded, &out, &report, "1");
    let w = Weighted::read(&out);
    w.carries_the_clients_weight("loan");
    // Per band of the loan's account: weighted and unweighted rates of good loans.
    let balance: HashMap<i64, f64> = ints(&w.account, "account_id")
        .into_iter()
        .zip(floats(&w.account, "balance"))
        .collect();
    let mut sums: BTreeMap<bool, [f64; 4]> = BTreeMap::new();
    for ((a, s), wt) in ints(&w.loan, "account_id")
        .iter()
        .zip(categories(&w.loan, "status"))
        .zip(floats(&w.loan, "weight"))
    {
        let e = sums.entry(balance[a] >= 3000.0).or_default();
        let good = f64::from(u8::from(s == "good"));
        e[0] += wt * good;
        e[1] += wt;
        e[2] += good;
        e[3] += 1.0;
    }
    let rate = |high: bool, k: usize| sums[&high][k] / sums[&high][k + 1];
    assert!(rate(true, 2) - rate(false, 2) > 0.1, "{sums:?}");
    assert!(
        (rate(true, 0) - rate(false, 0)).abs() < TOLERANCE,
        "{sums:?}"
    );
    let r: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(&report).expect("report")).expect("json");
    assert_eq!(
        r["children"][0]["attributes"][0]["column"],
        "account.balance"
    );
    assert_eq!(
        r["roots"][0][1]["margins"].as_array().map(Vec::len),
        Some(0),
        "no share margin for a column that is not the person's own"
    );
}
