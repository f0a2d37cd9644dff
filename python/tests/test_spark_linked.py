"""fairsynth.spark on linked tables (a dict of DataFrames by table name) against the command line,
on 1 and 4 partitions: synth of schemas/shop.yaml, and fit, sample, evaluate, audit, reweight
and deidentify of the committed berka sample (tests/data/relational) and of a shop folder.

Tables go to Spark partitioned by the key of their root table, so a person and their children
meet in one partition (and the rows arrive in another order than the files'). Marked ``spark``
as test_spark.py is.
"""

from __future__ import annotations

import json
import pathlib

import pyarrow as pa
import pyarrow.csv as pcsv
import pyarrow.parquet as pq
import pytest

import fairsynth
from test_spark import cli, plain, spark  # noqa: F401  (the module's Spark session fixture)

pytestmark = pytest.mark.spark

ROOT = pathlib.Path(__file__).resolve().parents[2]
SHOP = ROOT / "schemas" / "shop.yaml"
BERKA = ROOT / "tests" / "data" / "relational" / "berka"
BERKA_SCHEMA = ROOT / "tests" / "data" / "relational" / "berka_linked.yaml"
BERKA_TABLES = ["district", "client", "account", "disp", "card", "loan", "order"]
KEY = "spark-linked-tests-0123456789abcdef"
PARTITIONS = [1, 4]


def run_cli(*args) -> None:
    r = cli(*map(str, args))
    assert r.returncode == 0, r.stderr


def frames(spark, tables: dict, partitions: int, keys: dict) -> dict:  # noqa: F811
    """pyarrow Tables as DataFrames in ``partitions`` partitions, each hashed by the column
    that names its root row (``keys``), so a family meets in one partition."""
    out = {}
    for name, t in tables.items():
        df = spark.createDataFrame(t.to_pandas(), schema=_spark_schema(t))
        key = keys.get(name)
        out[name] = df.repartition(partitions, key) if key else df.repartition(partitions)
    return out


def _spark_schema(t: pa.Table):
    from fairsynth.spark import _spark_schema as s

    return s(t.schema)


def differences(a, b, at="") -> list[str]:
    """Where two JSON documents differ (paths), for readable failures."""
    if isinstance(a, dict) and isinstance(b, dict):
        out = []
        for k in sorted(set(a) | set(b)):
            if k not in a or k not in b:
                out.append(f"{at}/{k} (on one side only)")
            else:
                out += differences(a[k], b[k], f"{at}/{k}")
        return out
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        return [d for i, (x, y) in enumerate(zip(a, b)) for d in differences(x, y, f"{at}[{i}]")]
    return [] if a == b else [f"{at}: {str(a)[:80]} != {str(b)[:80]}"]


def ordered(t: pa.Table) -> pa.Table:
    """``t``'s rows in the order of all its columns (a gathered table's rows come in the
    order Spark's partitions hold them)."""
    return t.sort_by([(c, "ascending") for c in t.column_names])


@pytest.fixture(scope="module")
def shop_folder(tmp_path_factory):
    out = tmp_path_factory.mktemp("shop") / "shop"
    run_cli("synth", "--schema", SHOP, "--scale", "0.05", "--seed", "3", "-o", out)
    return out


@pytest.fixture(scope="module")
def shop_whole(tmp_path_factory):
    """The shop at its declared size: 20,000 customers in 5 families, 7 units in all."""
    out = tmp_path_factory.mktemp("shop") / "whole"
    run_cli("synth", "--schema", SHOP, "--seed", "3", "-o", out)
    return out


@pytest.mark.parametrize("partitions", [1, 3, 4])
def test_linked_synth_rows_equal_the_cli_folder(spark, shop_whole, partitions):  # noqa: F811
    from fairsynth import _fairsynth
    from fairsynth import spark as fs

    # Runs of families cut inside the customers' families, not only between root tables.
    assert _fairsynth.SparkLinkedSynth(SHOP.read_text(), str(SHOP), 3, None).unit_count() == 7
    got = fs.synth(spark, SHOP, seed=3, partitions=partitions)
    shop_folder = shop_whole
    files = sorted(p.stem for p in shop_folder.glob("*.parquet"))
    assert sorted(got) == files and len(files) == 7
    for name, df in got.items():
        want = plain(pq.read_table(shop_folder / f"{name}.parquet"))
        table = df.toArrow()
        assert table.num_rows > 0, name
        assert table.schema.equals(want.schema), name
        assert table.equals(want), name
        prov = df._fairsynth_provenance
        assert prov["table"] == name and prov["seed"] == 3
    # A table written with Spark's writer, its provenance (the CLI file's) beside the parts.
    out = shop_whole.parent / f"orders-{partitions}"
    fs.write_parquet(got["orders"], str(out))
    want = json.loads(pq.read_metadata(shop_folder / "orders.parquet").metadata[b"fairsynth"])
    prov = json.loads((out / "_fairsynth.json").read_text())
    assert prov["foreign_keys"] == want["foreign_keys"] and prov["table"] == "orders"
    assert pq.read_table(out).num_rows == got["orders"].count()
    spark.catalog.clearCache()


def test_linked_synth_on_more_partitions_than_families(spark, tmp_path):  # noqa: F811
    """16 partitions for 3 families (one per root table): most runs are empty."""
    from fairsynth import spark as fs

    out = tmp_path / "s"
    run_cli("synth", "--schema", SHOP, "--scale", "0.01", "--seed", "9", "-o", out)
    got = fs.synth(spark, SHOP, seed=9, scale=0.01, partitions=16)
    for name, df in got.items():
        assert df.toArrow().equals(plain(pq.read_table(out / f"{name}.parquet"))), name
    spark.catalog.clearCache()


def test_linked_synth_refuses_rows_and_one_table_refuses_scale(spark):  # noqa: F811
    from fairsynth import spark as fs

    with pytest.raises(ValueError, match="use scale"):
        fs.synth(spark, SHOP, rows=10)
    with pytest.raises(ValueError, match="use rows"):
        fs.synth(spark, ROOT / "schemas" / "customers.yaml", scale=0.5)
    with pytest.raises(fairsynth.Error, match="not a positive factor"):
        fs.synth(spark, SHOP, scale=-1.0)


def berka_arrow() -> dict:
    """The berka sample as the CLI reads it (a blank field is null), each table in the order
    of its primary key: the order fairsynth.spark gathers linked tables in."""
    from fairsynth import _fairsynth
    from fairsynth._spark_linked import in_key_order

    keys = dict(_fairsynth.spark_linked_keys(BERKA_SCHEMA.read_text(), str(BERKA_SCHEMA)))
    blank = pcsv.ConvertOptions(null_values=["", " "], strings_can_be_null=True)
    return {
        t: in_key_order(pcsv.read_csv(BERKA / f"{t}.csv", convert_options=blank), keys[t])
        for t in BERKA_TABLES
    }


@pytest.fixture(scope="module")
def berka_sorted(tmp_path_factory):
    """The berka sample written as Parquet files in key order, for the CLI."""
    out = tmp_path_factory.mktemp("berka") / "berka"
    out.mkdir()
    for t, table in berka_arrow().items():
        pq.write_table(table, out / f"{t}.parquet")
    return out


# The column naming each berka row's root row (accounts, clients and districts are roots).
BERKA_KEYS = {
    "district": "district_id",
    "client": "client_id",
    "account": "account_id",
    "disp": "client_id",
    "card": "disp_id",
    "loan": "account_id",
    "order": "account_id",
}


@pytest.fixture(scope="module")
def berka_model(tmp_path_factory, berka_sorted):
    path = tmp_path_factory.mktemp("berka") / "m.json"
    run_cli("fit", berka_sorted, "--schema", BERKA_SCHEMA, "-o", path)
    return path


def _without_inputs(model: dict) -> dict:
    """A linked model without what names its input files (the CLI's model records the files'
    paths and hashes; a model fitted on DataFrames names the tables)."""
    text = json.dumps(model, sort_keys=True)
    m = json.loads(text)
    for t in m.get("tables", []):
        inner = t.get("model")
        if isinstance(inner, dict) and "fit" in inner:
            inner["fit"].pop("input", None)
            inner["fit"].pop("input_sha256", None)
    m.get("fit", {}).pop("inputs", None)
    return m


@pytest.mark.parametrize("partitions", PARTITIONS)
def test_linked_fit_equals_the_cli_model(spark, berka_model, partitions):  # noqa: F811
    from fairsynth import spark as fs

    dfs = frames(spark, berka_arrow(), partitions, BERKA_KEYS)
    model = fs.fit(dfs, BERKA_SCHEMA)
    assert isinstance(model, fairsynth.LinkedModel)
    want = json.loads(berka_model.read_text())
    got = json.loads(model.to_json())
    assert _without_inputs(got) == _without_inputs(want)
    assert model.tables["account"] == 200
    # The same model as the Python package's of the same tables in one process, whatever the
    # partitioning and the order Spark holds the rows in.
    one = fairsynth.fit(berka_arrow(), BERKA_SCHEMA)
    assert model.to_json() == one.to_json()
    shuffled = {t: df.orderBy(df.columns[-1]) for t, df in dfs.items()}
    assert fs.fit(shuffled, BERKA_SCHEMA).to_json() == one.to_json()


@pytest.mark.parametrize("partitions", PARTITIONS)
def test_linked_sample_equals_the_cli_folder(spark, tmp_path, berka_model, partitions):  # noqa: F811
    from fairsynth import spark as fs

    run_cli("sample", berka_model, "--seed", "5", "--scale", "2", "-o", tmp_path / "out")
    model = fairsynth.LinkedModel.load(berka_model)
    got = fs.sample(spark, model, seed=5, scale=2.0, partitions=partitions)
    assert sorted(got) == sorted(BERKA_TABLES)
    for name, df in got.items():
        assert df.rdd.getNumPartitions() == partitions
        want = plain(pq.read_table(tmp_path / "out" / f"{name}.parquet"))
        assert df.toArrow().equals(want), name
    with pytest.raises(ValueError, match="scale"):
        fs.sample(spark, model, rows=10)
    # Each table is written with its provenance beside the parts.
    fs.write_parquet(got["loan"], str(tmp_path / "loan"))
    prov = json.loads((tmp_path / "loan" / "_fairsynth.json").read_text())
    assert prov["table"] == "loan" and prov["seed"] == 5 and prov["scale"] == 2.0
    assert pq.read_table(tmp_path / "loan").num_rows == got["loan"].count()


@pytest.mark.parametrize("partitions", PARTITIONS)
def test_linked_evaluate_equals_the_cli_report(spark, tmp_path, berka_sorted, berka_model, partitions):  # noqa: F811
    from fairsynth import spark as fs

    run_cli("sample", berka_model, "--seed", "5", "-o", tmp_path / "syn")
    run_cli(
        "evaluate", "--real", berka_sorted, "--synthetic", tmp_path / "syn", "--schema", BERKA_SCHEMA,
        "--seed", "3", "--report", tmp_path / "r.json",
    )
    real = frames(spark, berka_arrow(), partitions, BERKA_KEYS)
    syn_tables = {t: pq.read_table(tmp_path / "syn" / f"{t}.parquet") for t in BERKA_TABLES}
    syn = frames(spark, {t: plain(x) for t, x in syn_tables.items()}, partitions, {})
    report = fs.evaluate(real, syn, BERKA_SCHEMA, seed=3)
    assert dict(report) == json.loads((tmp_path / "r.json").read_text())
    assert report.passed


@pytest.mark.parametrize("partitions", PARTITIONS)
def test_linked_audit_equals_the_cli_report(spark, tmp_path, berka_sorted, partitions):  # noqa: F811
    from fairsynth import spark as fs

    schema = tmp_path / "berka.yaml"
    schema.write_text(
        BERKA_SCHEMA.read_text()
        .replace("{name: frequency, type: category}", "{name: frequency, type: category, role: protected}")
        .replace("{name: status, type: category}", "{name: status, type: category, role: label}")
    )
    run_cli(
        "audit", berka_sorted, "--schema", schema, "--as-of", "1999-01-01", "--threshold",
        "min_group_rows=1", "--report", tmp_path / "cli.json",
    )
    dfs = frames(spark, berka_arrow(), partitions, BERKA_KEYS)
    report = fs.audit(dfs, schema, as_of="1999-01-01", thresholds={"min_group_rows": 1})
    want = json.loads((tmp_path / "cli.json").read_text())
    got = json.loads(report.to_json())
    # The same figures; only what names the input files differs (tables in memory have none).
    for r in (want, got):
        for t in r["tables"]:
            t["audit"]["input"] = {k: v for k, v in t["audit"]["input"].items() if k not in ("path", "sha256")}
    assert differences(got, want) == []


SHOP_KEYS = {"customers": "customer_id", "orders": "customer_id"}


def shop_arrow(folder: pathlib.Path) -> dict:
    return {p.stem: plain(pq.read_table(p)) for p in folder.glob("*.parquet")}


@pytest.mark.parametrize("partitions", PARTITIONS)
def test_linked_reweight_equals_the_cli_folder(spark, tmp_path, shop_folder, partitions):  # noqa: F811
    from fairsynth import spark as fs

    run_cli(
        "reweight", shop_folder, "--schema", SHOP, "-o", tmp_path / "w", "--report", tmp_path / "r.json"
    )
    dfs = frames(spark, shop_arrow(shop_folder), partitions, SHOP_KEYS)
    result = fs.reweight(dfs, SHOP)
    got = {n: df.toArrow() for n, df in result.table.items()}
    assert sorted(got) == sorted(dfs)
    for name, table in got.items():
        want = plain(pq.read_table(tmp_path / "w" / f"{name}.parquet"))
        assert ordered(table).equals(ordered(want)), name
    assert dict(result.report) == json.loads((tmp_path / "r.json").read_text())
    # Every order carries its customer's weight.
    c = got["customers"]
    weight = dict(zip(c["customer_id"].to_pylist(), c["weight"].to_pylist()))
    o = got["orders"]
    assert all(w == weight[k] for k, w in zip(o["customer_id"].to_pylist(), o["weight"].to_pylist()))
    with pytest.raises(fairsynth.UsageError, match="apply to one table"):
        fs.reweight(dfs, SHOP, resample=10)


@pytest.fixture(scope="module")
def shop_deid(tmp_path_factory):
    """A small shop folder (the schema's seed) that de-identifies without a refusal."""
    out = tmp_path_factory.mktemp("shop") / "deid"
    run_cli("synth", "--schema", SHOP, "--scale", "0.02", "-o", out)
    return out


@pytest.mark.parametrize("partitions", PARTITIONS)
def test_linked_deidentify_equals_the_cli_folder(spark, tmp_path, shop_deid, partitions):  # noqa: F811
    from fairsynth import spark as fs

    import os
    import subprocess

    from test_spark import BIN

    env = dict(os.environ, FAIRSYNTH_KEY=KEY)
    r = subprocess.run(
        [BIN, "deidentify", str(shop_deid), "--schema", str(SHOP), "-o", str(tmp_path / "d"),
         "--report", str(tmp_path / "r.json"), "-q"],
        capture_output=True, text=True, cwd=ROOT, env=env,
    )
    assert r.returncode == 0, r.stderr
    dfs = frames(spark, shop_arrow(shop_deid), partitions, SHOP_KEYS)
    result = fs.deidentify(dfs, SHOP, key=KEY)
    got = {n: df.toArrow() for n, df in result.table.items()}
    for name, table in got.items():
        want = plain(pq.read_table(tmp_path / "d" / f"{name}.parquet"))
        assert table.schema.equals(want.schema), name
        assert ordered(table).equals(ordered(want)), name
    # Keys pseudonymised alike: every order's customer is a released customer.
    ids = set(got["customers"]["customer_id"].to_pylist())
    assert set(got["orders"]["customer_id"].to_pylist()) <= ids
    want_report = json.loads((tmp_path / "r.json").read_text())
    # The same report but for the names of the inputs and outputs (files for the CLI).
    got_report = json.loads(result.report.to_json())
    for r in (got_report, want_report):
        r.pop("input", None)
        r.pop("output", None)
        for t in r["tables"]:
            t.pop("file", None)
            t.pop("output", None)
    assert differences(got_report, want_report) == []


def test_linked_errors_are_the_python_packages(spark, shop_folder):  # noqa: F811
    from fairsynth import spark as fs

    dfs = frames(spark, shop_arrow(shop_folder), 2, {})
    some = {"customers": dfs["customers"]}
    with pytest.raises(fairsynth.Error, match="not among the tables given"):
        fs.reweight(some, SHOP)
    with pytest.raises(fairsynth.Error, match="`nope` is not a table of the schema"):
        fs.reweight({**dfs, "nope": dfs["customers"]}, SHOP)
    # A DataFrame whose columns do not match the schema: the package's message.
    bad = {**dfs, "orders": dfs["orders"].drop("customer_id")}
    with pytest.raises(fairsynth.Error) as spark_error:
        fs.reweight(bad, SHOP)
    tables = shop_arrow(shop_folder)
    tables["orders"] = tables["orders"].drop_columns(["customer_id"])
    with pytest.raises(fairsynth.Error) as package_error:
        fairsynth.reweight(tables, SHOP)
    assert str(spark_error.value) == str(package_error.value)
    assert type(spark_error.value) is type(package_error.value)
    # Too many rows for the driver: refused before anything is collected.
    with pytest.raises(fairsynth.UsageError, match="more than max_rows=10"):
        fs.audit(dfs, SHOP, max_rows=10)
    with pytest.raises(TypeError, match="schema of linked tables"):
        fs.fit(dfs, ROOT / "schemas" / "customers.yaml")
