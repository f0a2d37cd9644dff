"""`synth` of a schema of linked tables: a dict of pyarrow Tables equal to the CLI's folder."""

from __future__ import annotations

import json

import pyarrow.parquet as pq
import pytest

import fairsynth
from conftest import DATA, SCHEMAS, cli, strip_meta


def test_linked_synth_equals_the_cli_folder(tmp_path):
    out = tmp_path / "shop"
    cli("synth", "--schema", "schemas/shop.yaml", "--scale", "0.05", "--seed", "3", "-q", "-o", out)
    got = fairsynth.synth(SCHEMAS / "shop.yaml", seed=3, scale=0.05, threads=2)
    assert sorted(got) == sorted(p.stem for p in out.glob("*.parquet"))
    assert len(got) == 7
    for name, table in got.items():
        expected = pq.read_table(out / f"{name}.parquet")
        assert table.schema.remove_metadata() == expected.schema.remove_metadata(), name
        assert strip_meta(table).equals(strip_meta(expected)), name
        prov = json.loads(table.schema.metadata[b"fairsynth"])
        assert prov["table"] == name
        cli_prov = json.loads(expected.schema.metadata[b"fairsynth"])
        assert prov["foreign_keys"] == cli_prov["foreign_keys"]
        assert prov["primary_key"] == cli_prov["primary_key"]
    # Keys resolve across the dict.
    orders, customers = got["orders"], got["customers"]
    assert set(orders["customer_id"].to_pylist()) <= set(customers["customer_id"].to_pylist())
    # The same rows for any thread count.
    again = fairsynth.synth(SCHEMAS / "shop.yaml", seed=3, scale=0.05, threads=1)
    assert all(strip_meta(again[n]).equals(strip_meta(got[n])) for n in got)


def test_linked_synth_refuses_rows_and_one_table_refuses_scale():
    with pytest.raises(ValueError, match="use scale"):
        fairsynth.synth(SCHEMAS / "shop.yaml", rows=10)
    with pytest.raises(ValueError, match="use rows"):
        fairsynth.synth(SCHEMAS / "customers.yaml", scale=0.5)
    with pytest.raises(fairsynth.Error, match="not a positive factor"):
        fairsynth.synth(SCHEMAS / "shop.yaml", scale=-1)


def test_linked_schema_errors_carry_the_cli_message(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "version: 1\nname: x\ntables:\n  - name: a\n    primary_key: id\n    columns:\n"
        "      - {name: id, type: int, generator: {kind: sequence}}\n"
        "      - {name: b_id, type: int, references: b}\n"
    )
    with pytest.raises(fairsynth.SchemaError, match="no table is called `b`"):
        fairsynth.synth(bad)


def test_linked_deidentify_of_a_dict_equals_the_cli_folder(tmp_path):
    key = "python-tests-0123456789abcdef-key"
    data = tmp_path / "shop"
    cli("synth", "--schema", "schemas/shop.yaml", "--scale", "0.02", "-q", "-o", data)
    out = tmp_path / "out"
    cli(
        "deidentify", data, "--schema", "schemas/shop.yaml", "-o", out,
        env={"FAIRSYNTH_KEY": key},
    )
    tables = {p.stem: pq.read_table(p) for p in data.glob("*.parquet")}
    # pandas and polars inputs are accepted beside pyarrow.
    tables["products"] = tables["products"].to_pandas()
    result = fairsynth.deidentify(tables, SCHEMAS / "shop.yaml", key=key, threads=2)
    got = result.table
    assert sorted(got) == sorted(tables)
    for name, table in got.items():
        expected = pq.read_table(out / f"{name}.parquet")
        assert strip_meta(table).equals(strip_meta(expected)), name
    # Joins survive and no identifier is left.
    assert "full_name" not in got["customers"].column_names
    ids = set(got["customers"]["customer_id"].to_pylist())
    assert set(got["orders"]["customer_id"].to_pylist()) <= ids
    assert result.report["tables"][0]["table"] == "customers"
    assert "persons" in result.report
    # repr of linked tables: each table's size by name.
    rows = got["customers"].num_rows
    assert f"customers: {rows} rows x {got['customers'].num_columns} columns" in repr(result)
    with pytest.raises(fairsynth.Error, match="not among the tables given"):
        fairsynth.deidentify({"customers": tables["customers"]}, SCHEMAS / "shop.yaml", key=key)


BERKA = DATA / "relational"
BERKA_TABLES = ["district", "client", "account", "disp", "card", "loan", "order"]


def test_linked_fit_sample_and_evaluate_of_a_dict_equal_the_cli(tmp_path):
    tables = {t: str(BERKA / "berka" / f"{t}.csv") for t in BERKA_TABLES}
    schema = BERKA / "berka_linked.yaml"
    model = fairsynth.fit(tables, schema, threads=2)
    assert isinstance(model, fairsynth.LinkedModel)
    assert model.tables["account"] == 200
    cli("fit", BERKA / "berka", "--schema", schema, "-q", "-o", tmp_path / "m.json")
    assert json.loads(model.to_json()) == json.loads((tmp_path / "m.json").read_text())
    model.save(tmp_path / "py.json")
    cli("sample", tmp_path / "py.json", "--seed", "5", "-q", "-o", tmp_path / "out")
    got = model.sample(seed=5, threads=1)
    assert sorted(got) == sorted(BERKA_TABLES)
    for name, table in got.items():
        expected = pq.read_table(tmp_path / "out" / f"{name}.parquet")
        assert strip_meta(table).equals(strip_meta(expected)), name
    # Keys resolve: every disposition's account and client exists.
    accounts = set(got["account"]["account_id"].to_pylist())
    assert set(got["disp"]["account_id"].to_pylist()) <= accounts
    assert len(fairsynth.LinkedModel.load(tmp_path / "py.json").sample(seed=5)["client"]) == 245
    report = fairsynth.evaluate(tables, got, schema)
    assert report.passed
    assert all(r["integrity"] == 1.0 for r in report["relationships"])
    # Detection and the membership test against a holdout of people equal the CLI's report.
    report = fairsynth.evaluate(
        tables, got, schema, holdout=tables, thresholds={"max_membership_auc": 0.9}, seed=3
    )
    cli(
        "evaluate", "--real", BERKA / "berka", "--synthetic", tmp_path / "out",
        "--holdout", BERKA / "berka", "--schema", schema, "--threshold",
        "max_membership_auc=0.9", "--seed", "3", "-q", "--report", tmp_path / "r.json",
    )
    assert dict(report) == json.loads((tmp_path / "r.json").read_text())
    assert {d["table"] for d in report["detection"]} == set(BERKA_TABLES)
    assert all(p["membership"] is not None for p in report["privacy"])
    assert any(c["key"] == "max_membership_auc" for c in report["checks"])
    report.save_html(tmp_path / "page.html")
    page = (tmp_path / "page.html").read_text()
    assert "Detection: can a classifier tell them apart?" in page
    assert "Privacy: whole profiles of people" in page
    with pytest.raises(TypeError, match="holdout"):
        fairsynth.evaluate(tables, got, schema, holdout=tables["client"])
    # A private fit needs the schema's public domains: every column lacking one is named.
    with pytest.raises(fairsynth.Error, match=r"table `account`, column `frequency` \(schema"):
        fairsynth.fit(tables, schema, epsilon=1.0)
    with pytest.raises(fairsynth.Error, match="not among the tables given"):
        fairsynth.fit({"client": tables["client"]}, schema)


def test_linked_private_fit_of_a_dict_equals_the_cli_and_carries_the_ledger(tmp_path):
    """`fit(dict, schema, epsilon=...)` is `fairsynth fit DIR --epsilon`: the same model, its
    ledger in `model.privacy` (the entries' rho add up to the total), children within the
    bound, and the CLI's errors."""
    folder = DATA / "relational" / "cdnow"
    tables = {t: str(folder / f"{t}.csv") for t in ("users", "purchases")}
    schema = DATA / "relational" / "cdnow_dp.yaml"
    model = fairsynth.fit(tables, schema, epsilon=1.0, max_children=5, seed=3, threads=2)
    cli(
        "fit", folder, "--schema", schema, "--epsilon", "1", "--max-children", "5",
        "--seed", "3", "-q", "-o", tmp_path / "m.json",
    )
    assert json.loads(model.to_json()) == json.loads((tmp_path / "m.json").read_text())
    ledger = model.privacy
    assert ledger["epsilon"] == 1.0 and ledger["delta"] == 1e-9
    assert ledger["max_children"] == 5
    rho = sum(e["rho"] for t in ledger["tables"] for e in t["entries"])
    assert abs(rho - ledger["rho"]) <= 1e-12 * ledger["rho"]
    sens = {t["table"]: t["sensitivity"] for t in ledger["tables"]}
    assert sens == {"users": 1.0, "purchases": 5.0}
    got = model.sample(seed=5, threads=1)
    users = got["purchases"]["users_id"].to_pylist()
    assert set(users) <= set(got["users"]["id"].to_pylist())
    assert max(users.count(u) for u in set(users)) <= 5
    # Without epsilon: no ledger, and the bound is refused.
    plain = fairsynth.fit(tables, schema, threads=1)
    assert plain.privacy is None
    with pytest.raises(fairsynth.UsageError, match="max_children applies to a private fit"):
        fairsynth.fit(tables, schema, max_children=3)
    with pytest.raises(fairsynth.Error, match="--max-children 0: every parent"):
        fairsynth.fit(tables, schema, epsilon=1.0, max_children=0)
    with pytest.raises(fairsynth.Error, match="--epsilon -1: the privacy budget"):
        fairsynth.fit(tables, schema, epsilon=-1.0)


def test_linked_fit_of_pandas_frames_with_text_dates_equals_the_fit_of_the_files():
    """pandas reads dates as text (object or str dtype): they are parsed as the CSV reader parses
    them, so the frames fit the same model as the files."""
    pd = pytest.importorskip("pandas")
    paths = {t: str(BERKA / "berka" / f"{t}.csv") for t in BERKA_TABLES}
    # A blank field (`order.k_symbol`) is null to the CSV reader; pandas keeps " ".
    frames = {t: pd.read_csv(p, na_values=[" "]) for t, p in paths.items()}
    assert not pd.api.types.is_datetime64_any_dtype(frames["loan"]["date"])  # text
    schema = BERKA / "berka_linked.yaml"
    from_frames = fairsynth.fit(frames, schema, threads=1)
    from_files = fairsynth.fit(paths, schema, threads=1)
    assert from_frames.tables == from_files.tables
    a, b = from_frames.sample(seed=5, threads=1), from_files.sample(seed=5, threads=1)
    assert sorted(a) == sorted(b)
    for name in a:
        assert strip_meta(a[name]).equals(strip_meta(b[name])), name
    # A text value that is no date names the table's column, the row and the value.
    frames["loan"].loc[1, "date"] = "soon"
    with pytest.raises(fairsynth.Error, match=r"row 2: column `date`: `soon` is not a date"):
        fairsynth.fit(frames, schema, threads=1)


def test_linked_audit_of_a_dict_equals_the_cli_report(tmp_path):
    tables = {t: str(BERKA / "berka" / f"{t}.csv") for t in BERKA_TABLES}
    schema = tmp_path / "berka.yaml"
    schema.write_text(
        (BERKA / "berka_linked.yaml")
        .read_text()
        .replace("{name: frequency, type: category}", "{name: frequency, type: category, role: protected}")
        .replace("{name: status, type: category}", "{name: status, type: category, role: label}")
    )
    report = fairsynth.audit(
        tables, schema, as_of="1999-01-01", thresholds={"min_group_rows": 1}, threads=2
    )
    cli(
        "audit", BERKA / "berka", "--schema", schema, "--as-of", "1999-01-01",
        "--threshold", "min_group_rows=1", "-q", "--report", tmp_path / "cli.json",
    )
    expected = json.loads((tmp_path / "cli.json").read_text())
    assert report.passed and expected["passed"]
    # The same figures; only the files' paths differ as given.
    for t in expected["tables"]:
        t["audit"]["input"]["path"] = None
    got = json.loads(report.to_json())
    for t in got["tables"]:
        t["audit"]["input"]["path"] = None
    assert got == expected
    assert got["parity"][0]["parity"]["attributes"][0]["attribute"] == "account.frequency"
    assert "Keys: orphans, dangling and duplicate keys" in report.html
    with pytest.raises(ValueError, match="targets and baseline apply to one table"):
        fairsynth.audit(tables, schema, targets={"frequency": {"x": 1.0}})


def test_linked_reweight_of_a_dict_equals_the_cli_folder(tmp_path):
    data = tmp_path / "shop"
    cli("synth", "--schema", "schemas/shop.yaml", "--scale", "0.05", "--seed", "3", "-q", "-o", data)
    tables = {p.stem: str(p) for p in data.glob("*.parquet")}
    cli("reweight", data, "--schema", SCHEMAS / "shop.yaml", "-q", "-o", tmp_path / "weighted",
        "--report", tmp_path / "r.json")
    got, report = fairsynth.reweight(tables, SCHEMAS / "shop.yaml")
    assert sorted(got) == sorted(tables)
    for name, table in got.items():
        expected = pq.read_table(tmp_path / "weighted" / f"{name}.parquet")
        assert strip_meta(table).equals(strip_meta(expected)), name
    assert dict(report) == json.loads((tmp_path / "r.json").read_text())
    # Every order carries its customer's weight.
    weight = dict(zip(got["customers"]["customer_id"].to_pylist(), got["customers"]["weight"].to_pylist()))
    orders = got["orders"]
    for c, w in zip(orders["customer_id"].to_pylist(), orders["weight"].to_pylist()):
        assert w == weight[c]
    with pytest.raises(fairsynth.UsageError, match="apply to one table"):
        fairsynth.reweight(tables, SCHEMAS / "shop.yaml", resample=10)


def test_linked_reweight_brings_a_child_label_to_parity_at_the_person(tmp_path):
    """The bank's loan status and overdraft (30 points apart by the client's sex): a dict
    reweighted equals the CLI's folder, every loan carries its client's weight, the weighted
    rates of good loans by sex meet, and the report and summary give the parity before and
    after."""
    bank = DATA / "relational" / "bank"
    tables = {t: str(bank / f"{t}.csv") for t in ["client", "account", "loan"]}
    schema = DATA / "relational" / "bank.yaml"
    cli("reweight", bank, "--schema", schema, "-q", "-o", tmp_path / "weighted",
        "--report", tmp_path / "r.json")
    got, report = fairsynth.reweight(tables, schema, threads=2)
    for name, table in got.items():
        expected = pq.read_table(tmp_path / "weighted" / f"{name}.parquet")
        assert strip_meta(table).equals(strip_meta(expected)), name
    assert dict(report) == json.loads((tmp_path / "r.json").read_text())
    client = got["client"].to_pandas()
    account = got["account"].to_pandas()
    loan = got["loan"].to_pandas()
    x = loan.merge(account[["account_id", "client_id"]], on="account_id").merge(
        client[["client_id", "sex", "weight"]], on="client_id", suffixes=("", "_client")
    )
    assert (x["weight"] == x["weight_client"]).all()
    good = (x["status"] == "good").astype(float)
    plain = good.groupby(x["sex"]).mean()
    weighted = (good * x["weight"]).groupby(x["sex"]).sum() / x["weight"].groupby(x["sex"]).sum()
    assert plain["F"] - plain["M"] < -0.2
    assert abs(weighted["F"] - weighted["M"]) < 1e-6
    loans = [c for c in report["children"] if c["table"] == "loan"][0]
    assert loans["attributes"][0]["spd_before"] == pytest.approx(plain["F"] - plain["M"], abs=1e-12)
    assert abs(loans["attributes"][0]["spd_after"]) < 1e-6
    assert "loan: parity at the person (client) of status = good" in report.summary


def test_linked_child_labels_are_drawn_at_parity_by_the_persons_sex(tmp_path):
    """A loan's status and an account's overdraft (tests/data/relational/bank, 30 points apart
    by the client's sex) declared independent of `client.sex`: the sample of a dict equals the
    CLI's folder, the favourable rates by sex meet, and `no_fairness` keeps the gap."""
    bank = DATA / "relational" / "bank"
    tables = {t: str(bank / f"{t}.csv") for t in ["client", "account", "loan"]}
    schema = DATA / "relational" / "bank.yaml"
    model = fairsynth.fit(tables, schema, threads=2)
    model.save(tmp_path / "m.json")
    cli("sample", tmp_path / "m.json", "--seed", "4", "--scale", "4", "-q", "-o", tmp_path / "out")

    def gap(got):
        sex = dict(zip(got["client"]["client_id"].to_pylist(), got["client"]["sex"].to_pylist()))
        owner = dict(zip(got["account"]["account_id"].to_pylist(), got["account"]["client_id"].to_pylist()))
        rates = {}
        for s in ["F", "M"]:
            status = [
                st
                for a, st in zip(got["loan"]["account_id"].to_pylist(), got["loan"]["status"].to_pylist())
                if sex[owner[a]] == s
            ]
            rates[s] = sum(st == "good" for st in status) / len(status)
        return rates["F"] - rates["M"], len(got["loan"])

    fair = model.sample(seed=4, scale=4, threads=2)
    for name, table in fair.items():
        assert strip_meta(table).equals(strip_meta(pq.read_table(tmp_path / "out" / f"{name}.parquet"))), name
    spd, n = gap(fair)
    # Four standard errors of a difference of two rates near 0.7 over n / 2 rows each.
    assert abs(spd) < 4 * (0.21 * 4 / n) ** 0.5, spd
    spd, _ = gap(model.sample(seed=4, scale=4, threads=2, no_fairness=True))
    assert spd < -0.2, spd
