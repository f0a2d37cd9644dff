"""fairsynth.spark in Spark's local mode (local[2]) against the command line.

Marked ``spark``: a developer without Java or PySpark skips them with ``-m "not spark"``;
with ``FAIRSYNTH_REQUIRE_SPARK=1`` (CI) a missing PySpark or Java is a failure, not a skip.
"""

from __future__ import annotations

import os
import pathlib
import shutil
import subprocess
import sys

import pyarrow as pa
import pyarrow.csv as pcsv
import pyarrow.parquet as pq
import pytest

import fairsynth

pytestmark = pytest.mark.spark

ROOT = pathlib.Path(__file__).resolve().parents[2]
BIN = os.environ.get("FAIRSYNTH_BIN", str(ROOT / "target" / "debug" / "fairsynth"))
ADULT = ROOT / "tests" / "data" / "adult_sample.csv"
ADULT_SCHEMA = ROOT / "schemas" / "adult.yaml"
CUSTOMERS = ROOT / "schemas" / "customers.yaml"
REQUIRED = os.environ.get("FAIRSYNTH_REQUIRE_SPARK") == "1"


def _need(what: str, ok: bool) -> None:
    if not ok:
        if REQUIRED:
            pytest.fail(f"{what} is missing, and FAIRSYNTH_REQUIRE_SPARK=1")
        pytest.skip(f"{what} is not installed")


@pytest.fixture(scope="module")
def spark():
    try:
        import pyspark  # noqa: F401
    except ImportError:
        _need("pyspark", False)
    _need("a Java runtime (java on PATH)", shutil.which("java") is not None)
    from pyspark.sql import SparkSession

    # The executors' Python must be this one, with fairsynth installed.
    os.environ["PYSPARK_PYTHON"] = sys.executable
    session = (
        SparkSession.builder.master("local[2]")
        .appName("fairsynth-tests")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.shuffle.partitions", "4")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([BIN, *args, "-q"], capture_output=True, text=True, cwd=ROOT)


def plain(table: pa.Table) -> pa.Table:
    """A table as Spark gives it back: categories as strings, no metadata."""
    from fairsynth.spark import _plain

    return _plain(table)


@pytest.mark.parametrize("partitions", [1, 3, 8])
def test_synth_rows_equal_the_cli(spark, tmp_path, partitions):
    from fairsynth import spark as fs

    out = tmp_path / "s.parquet"
    r = cli("synth", "--schema", str(CUSTOMERS), "--rows", "150000", "--seed", "5", "-o", str(out))
    assert r.returncode == 0, r.stderr
    want = plain(pq.read_table(out))
    df = fs.synth(spark, fairsynth.Schema.from_file(CUSTOMERS), rows=150000, seed=5, partitions=partitions)
    assert df.rdd.getNumPartitions() == partitions
    got = df.toArrow()
    assert got.num_rows == 150000
    assert got.schema.equals(want.schema)
    assert got.equals(want)


@pytest.fixture(scope="module")
def model_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("model") / "adult.model.json"
    r = cli("fit", str(ADULT), "--schema", str(ADULT_SCHEMA), "--seed", "1", "-o", str(path))
    assert r.returncode == 0, r.stderr
    return path


@pytest.mark.parametrize("partitions", [1, 3, 8])
def test_sample_rows_equal_the_cli(spark, tmp_path, model_file, partitions):
    from fairsynth import spark as fs

    out = tmp_path / "s.parquet"
    r = cli(
        "sample", str(model_file), "--rows", "140000", "--seed", "3", "--schema-targets",
        "-o", str(out),
    )
    assert r.returncode == 0, r.stderr
    want = plain(pq.read_table(out))
    model = fairsynth.Model.load(model_file)
    result = fs.sample(spark, model, 140000, seed=3, partitions=partitions, schema_targets=True)
    got = result.table.toArrow()
    assert got.equals(want)
    # The report is the one `sample` records in the file's provenance.
    import json

    prov = json.loads(pq.read_metadata(out).metadata[b"fairsynth"])
    assert dict(result.report) == prov["sampling"]


@pytest.fixture(scope="module")
def adult_with_rows(tmp_path_factory):
    """The Adult sample with a `_row` column (passed through by reweight) to match rows."""
    # Empty fields are nulls, as the CLI reads them.
    table = pcsv.read_csv(ADULT, convert_options=pcsv.ConvertOptions(strings_can_be_null=True))
    table = table.append_column("_row", pa.array(range(table.num_rows), pa.int64()))
    path = tmp_path_factory.mktemp("adult") / "adult_rows.csv"
    pcsv.write_csv(table, path)
    return table, path


@pytest.mark.parametrize("partitions", [1, 4])
def test_reweight_weights_equal_the_cli(spark, tmp_path, adult_with_rows, partitions):
    from fairsynth import spark as fs

    table, path = adult_with_rows
    out, report = tmp_path / "w.parquet", tmp_path / "w.json"
    r = cli("reweight", str(path), "--schema", str(ADULT_SCHEMA), "-o", str(out), "--report", str(report))
    assert r.returncode == 0, r.stderr
    want = pq.read_table(out)
    want_w = dict(zip((int(x) for x in want.column("_row").to_pylist()), want.column("weight").to_pylist()))

    df = spark.createDataFrame(table.to_pandas()).repartition(partitions)
    assert df.rdd.getNumPartitions() == partitions
    result = fs.reweight(df, fairsynth.Schema.from_file(ADULT_SCHEMA))
    # repr (and print) of a Spark result: its columns, without a job counting the rows.
    text = repr(result)
    assert text.startswith(f"Result(table=Spark DataFrame of {len(want.column_names)} columns"), text
    assert str(result) == text
    got = result.table.toArrow()
    assert got.column_names == want.column_names
    got_w = dict(zip(got.column("_row").to_pylist(), got.column("weight").to_pylist()))
    assert got_w.keys() == want_w.keys()
    worst = max(abs(got_w[k] - want_w[k]) for k in want_w)
    assert worst <= 1e-9, worst

    import json

    cli_report = json.loads(report.read_text())
    # The weight histogram is made while writing the rows; on Spark the rows are written
    # later, by the user's job, so it is absent. Everything else is the CLI's.
    assert result.report["weights"].pop("histogram", None) is None
    cli_report["weights"].pop("histogram")
    assert_close(dict(result.report), cli_report)


@pytest.mark.parametrize("partitions", [1, 4])
def test_resample_draws_the_cli_rows(spark, tmp_path, adult_with_rows, partitions):
    from fairsynth import spark as fs

    table, path = adult_with_rows
    out = tmp_path / "r.parquet"
    r = cli(
        "reweight", str(path), "--schema", str(ADULT_SCHEMA), "--resample", "1000", "--seed", "3",
        "-o", str(out),
    )
    assert r.returncode == 0, r.stderr
    want = [int(x) for x in pq.read_table(out).column("_row").to_pylist()]
    # Partitions in the file's row order: the walk over the cumulative weight is the CLI's.
    df = (
        spark.createDataFrame(table.to_pandas())
        .repartitionByRange(partitions, "_row")
        .sortWithinPartitions("_row")
    )
    result = fs.reweight(df, fairsynth.Schema.from_file(ADULT_SCHEMA), resample=1000, seed=3)
    got = result.table.toArrow()
    assert "weight" not in got.column_names
    assert got.column("_row").to_pylist() == want
    assert result.report["rows_written"] == 1000


def assert_close(got, want, path="report"):
    """Equal, with floats to 1e-9 relative (sums over partitions add in another order)."""
    if isinstance(want, dict):
        assert isinstance(got, dict) and got.keys() == want.keys(), path
        for k in want:
            assert_close(got[k], want[k], f"{path}.{k}")
    elif isinstance(want, list):
        assert isinstance(got, list) and len(got) == len(want), path
        for i, (g, w) in enumerate(zip(got, want)):
            assert_close(g, w, f"{path}[{i}]")
    elif isinstance(want, float) and not isinstance(want, bool):
        assert got == pytest.approx(want, rel=1e-9, abs=1e-12), path
    else:
        assert got == want, path


def test_unreachable_targets_raise_the_cli_message(spark, adult_with_rows, tmp_path):
    import pyarrow.compute as pc

    from fairsynth import spark as fs

    table, _ = adult_with_rows
    # No row of race `Other`, but a target share for it: found only once the data is counted.
    table = table.filter(pc.not_equal(table.column("race"), "Other"))
    path = tmp_path / "no_other.csv"
    pcsv.write_csv(table, path)
    targets = tmp_path / "t.yaml"
    targets.write_text(
        "race: {White: 0.2, Black: 0.2, Asian-Pac-Islander: 0.2, Amer-Indian-Eskimo: 0.2, Other: 0.2}\n"
    )
    r = cli(
        "reweight", str(path), "--schema", str(ADULT_SCHEMA), "--targets", str(targets),
        "-o", str(tmp_path / "o.parquet"),
    )
    assert r.returncode == 2, r.stderr
    message = r.stderr.removeprefix("error: ").strip()
    assert "has no rows in the input" in message
    df = spark.createDataFrame(table.to_pandas()).repartition(2)
    with pytest.raises(fairsynth.UsageError) as e:
        fs.reweight(df, fairsynth.Schema.from_file(ADULT_SCHEMA), targets=str(targets))
    assert str(e.value).strip() == message


def test_bad_data_in_a_partition_raises_input_error_at_the_driver(spark, adult_with_rows):
    from fairsynth import spark as fs

    table, _ = adult_with_rows
    pdf = table.to_pandas()
    pdf["age"] = pdf["age"].astype(str)
    pdf.loc[1500, "age"] = "forty"
    df = spark.createDataFrame(pdf).repartition(3)
    with pytest.raises(fairsynth.InputError, match=r"column `age` is stored as"):
        fs.reweight(df, fairsynth.Schema.from_file(ADULT_SCHEMA))


def test_a_bad_schema_raises_schema_error_before_any_job(spark):
    from fairsynth import spark as fs

    with pytest.raises(fairsynth.SchemaError, match="unknown type"):
        fs.synth(spark, fairsynth.Schema("version: 1\nname: t\ncolumns:\n  - {name: x, type: nope}\n"))


@pytest.fixture(scope="module")
def evaluated(tmp_path_factory, model_file):
    """A CLI sample of the Adult model and the CLI's evaluate report of it."""
    import json

    d = tmp_path_factory.mktemp("evaluate")
    synthetic, report = d / "s.parquet", d / "ev.json"
    r = cli("sample", str(model_file), "--rows", "3000", "--seed", "2", "-o", str(synthetic))
    assert r.returncode == 0, r.stderr
    r = cli(
        "evaluate", "--real", str(ADULT), "--synthetic", str(synthetic), "--schema",
        str(ADULT_SCHEMA), "--seed", "4", "--report", str(report),
    )
    assert r.returncode in (0, 1), r.stderr
    return synthetic, json.loads(report.read_text())


def real_df(spark, partitions):
    table = pcsv.read_csv(ADULT, convert_options=pcsv.ConvertOptions(strings_can_be_null=True))
    df = spark.createDataFrame(table.to_pandas())
    # One partition keeps the file's row order; more shuffle it.
    return df.repartition(partitions) if partitions > 1 else df.coalesce(1)


@pytest.mark.parametrize("partitions", [1, 3])
def test_evaluate_equals_the_cli(spark, evaluated, partitions):
    from fairsynth import spark as fs

    synthetic, want = evaluated
    syn = spark.read.parquet(str(synthetic)).repartition(partitions)
    real = real_df(spark, 1)
    got = fs.evaluate(real, syn, fairsynth.Schema.from_file(ADULT_SCHEMA), seed=4)
    assert got.passed == want["passed"]
    got, want = dict(got), dict(want)
    # The inputs are named as given: DataFrames have no path.
    assert (got.pop("real")["rows"], got.pop("synthetic")["rows"]) == (want.pop("real")["rows"], want.pop("synthetic")["rows"])
    if partitions == 1:
        assert_close(got, want)
    else:
        # Repartitioning shuffles the synthetic rows: fidelity (from counts) is the same,
        # the figures of models trained on the rows in another order are not.
        assert_close(got["fidelity"], want["fidelity"])


def test_evaluate_on_a_sample_keeps_exact_fidelity_and_is_deterministic(spark, evaluated):
    from fairsynth import spark as fs

    synthetic, want = evaluated
    schema = fairsynth.Schema.from_file(ADULT_SCHEMA)
    reports = []
    for partitions in (1, 4):
        syn = spark.read.parquet(str(synthetic)).repartition(partitions)
        reports.append(fs.evaluate(real_df(spark, partitions), syn, schema, seed=4, sample_rows=800))
    a, b = reports
    # Fidelity is over every row, whatever the sample; the rest is on rows chosen by
    # content, so the same for any partitioning.
    assert_close(a["fidelity"], want["fidelity"])
    assert any("chosen by row content" in n for n in a["notes"])
    assert (a["real"]["rows"], a["synthetic"]["rows"]) == (2036, 3000)
    assert_close(dict(a), dict(b))


ADULT_DEID = ROOT / "tests" / "data" / "schemas" / "adult_deid.yaml"
KEY = "spark-test-key-0123456789abcdef"


def deid_schema(extra: str = "", privacy: str | None = None) -> str:
    """adult_deid.yaml with a pass-through `_row` (to match rows), a pseudonymised identifier
    and a redacted free-text column, plus `extra` columns; `privacy` replaces its privacy
    section."""
    text = ADULT_DEID.read_text()
    cols = (
        "  - {name: _row, type: int}\n"
        "  - {name: person_id, type: string, role: identifier, action: pseudonymise}\n"
        "  - {name: notes, type: string, nullable: true, action: redact}\n" + extra
    )
    text = text.replace("fairness:", cols + "fairness:", 1)
    if privacy is not None:
        text = text[: text.index("privacy:")] + privacy + text[text.index("quality:"):]
    return text


@pytest.fixture(scope="module")
def adult_deid_data(tmp_path_factory):
    """The Adult sample with `_row`, `person_id` (a person's id: 1 in 3 repeat, so
    pseudonyms must join) and `notes` (free text with e-mail addresses to redact). Empty
    CSV fields are nulls, as the command line reads them."""
    table = pcsv.read_csv(ADULT, convert_options=pcsv.ConvertOptions(strings_can_be_null=True))
    n = table.num_rows
    table = table.append_column("_row", pa.array(range(n), pa.int64()))
    table = table.append_column("person_id", pa.array([f"P{(i * 7) % (n - n // 3):05d}" for i in range(n)]))
    table = table.append_column(
        "notes",
        pa.array([None if i % 5 == 0 else f"visit {i}: wrote to p.miller{i}@example.org" for i in range(n)]),
    )
    path = tmp_path_factory.mktemp("adult_deid") / "adult_deid.csv"
    pcsv.write_csv(table, path)
    return table, path


def cli_deid(tmp_path, csv, schema_text, key_file=None):
    schema = tmp_path / "schema.yaml"
    schema.write_text(schema_text)
    out, report = tmp_path / "de.parquet", tmp_path / "de.json"
    env = {**os.environ, "FAIRSYNTH_KEY": KEY}
    args = [BIN, "deidentify", str(csv), "--schema", str(schema), "-o", str(out), "--report", str(report), "-q"]
    r = subprocess.run(args, capture_output=True, text=True, cwd=ROOT, env=env)
    return r, schema, out, report


def by_row(table: pa.Table) -> pa.Table:
    return table.sort_by("_row")


@pytest.mark.parametrize("partitions", [1, 4])
def test_deidentify_rows_and_report_equal_the_cli(spark, tmp_path, adult_deid_data, partitions):
    import json

    from fairsynth import spark as fs

    table, path = adult_deid_data
    r, schema, out, report = cli_deid(tmp_path, path, deid_schema())
    assert r.returncode == 0, r.stderr
    want = plain(pq.read_table(out))
    cli_report = json.loads(report.read_text())
    # The run exercised what it should: pseudonyms, redaction, generalisation, suppression.
    actions = {c["column"]: c["action"] for c in cli_report["columns"]}
    assert actions["person_id"] == "pseudonymise" and actions["notes"] == "redact"
    assert actions["age"].startswith("generalise")
    assert cli_report["suppressed_rows"] > 0

    df = spark.createDataFrame(table.to_pandas())
    df = df.coalesce(1) if partitions == 1 else df.repartition(partitions)
    assert df.rdd.getNumPartitions() == partitions
    result = fs.deidentify(df, fairsynth.Schema.from_file(schema), key=KEY)
    got = result.table.toArrow()
    assert got.schema.equals(want.schema), (got.schema, want.schema)
    if partitions == 1:
        # One partition in input order: the CLI's rows in the CLI's order.
        assert got.equals(want)
    assert by_row(got).equals(by_row(want))
    # Pseudonyms are keyed, not the values; a repeated person keeps one pseudonym.
    assert "P00000" not in got.column("person_id").to_pylist()
    assert not any("@" in (v or "") for v in got.column("notes").to_pylist())
    assert_close(dict(result.report), cli_report)
    assert result.report["key_fingerprint"].startswith("sha256:")
    assert KEY not in result.report.to_json() and KEY not in result.report.html and result.report.html.startswith("<!")


def test_deidentify_key_file_on_the_executors(spark, tmp_path, adult_deid_data):
    from fairsynth import spark as fs

    table, path = adult_deid_data
    r, schema, out, _ = cli_deid(tmp_path, path, deid_schema())
    assert r.returncode == 0, r.stderr
    key_file = tmp_path / "key"
    key_file.write_text(KEY + "\n")
    df = spark.createDataFrame(table.to_pandas()).repartition(3)
    result = fs.deidentify(df, fairsynth.Schema.from_file(schema), key_file=key_file)
    assert by_row(result.table.toArrow()).equals(by_row(plain(pq.read_table(out))))


def test_deidentify_another_key_gives_other_pseudonyms(spark, tmp_path, adult_deid_data):
    from fairsynth import spark as fs

    table, path = adult_deid_data
    r, schema, out, _ = cli_deid(tmp_path, path, deid_schema())
    df = spark.createDataFrame(table.to_pandas()).repartition(2)
    got = fs.deidentify(df, fairsynth.Schema.from_file(schema), key=KEY[::-1]).table.toArrow()
    want = by_row(plain(pq.read_table(out)))
    got = by_row(got)
    assert got.column("age").equals(want.column("age"))
    assert not got.column("person_id").equals(want.column("person_id"))


def cli_message(r: subprocess.CompletedProcess) -> str:
    assert r.returncode == 2, r.stderr
    return r.stderr.strip().removeprefix("error: ")


def test_deidentify_gate_failure_raises_privacy_error_with_the_cli_message(spark, tmp_path, adult_deid_data):
    from fairsynth import spark as fs

    table, path = adult_deid_data
    text = deid_schema(
        privacy="privacy:\n  k_anonymity: 5\n  max_unique_share: 0.05\n  unique_over: [age, sex, fnlwgt]\n"
    )
    r, schema, out, _ = cli_deid(tmp_path, path, text)
    message = cli_message(r)
    assert "above privacy.max_unique_share" in message
    assert not out.exists()
    df = spark.createDataFrame(table.to_pandas()).repartition(4)
    with pytest.raises(fairsynth.PrivacyError) as e:
        fs.deidentify(df, fairsynth.Schema.from_file(schema), key=KEY)
    assert str(e.value).strip() == message


def test_deidentify_safety_net_raises_privacy_error_with_the_cli_message(spark, tmp_path, adult_deid_data):
    from fairsynth import spark as fs

    table, path = adult_deid_data
    n = table.num_rows
    table = table.append_column("contact", pa.array([f"anna.smith{i}@example.com" for i in range(n)]))
    path = tmp_path / "with_contact.csv"
    pcsv.write_csv(table, path)
    r, schema, _, _ = cli_deid(tmp_path, path, deid_schema(extra="  - {name: contact, type: string}\n"))
    message = cli_message(r)
    assert "column `contact` is not an identifier" in message
    df = spark.createDataFrame(table.to_pandas()).repartition(4)
    with pytest.raises(fairsynth.PrivacyError) as e:
        fs.deidentify(df, fairsynth.Schema.from_file(schema), key=KEY)
    assert str(e.value).strip() == message


def test_deidentify_without_a_key_raises_pseudonym_key_error(spark, tmp_path, adult_deid_data, monkeypatch):
    from fairsynth import spark as fs

    table, _ = adult_deid_data
    monkeypatch.delenv("FAIRSYNTH_KEY", raising=False)
    df = spark.createDataFrame(table.to_pandas()).repartition(2)
    with pytest.raises(fairsynth.PseudonymKeyError, match="no pseudonymisation key"):
        fs.deidentify(df, fairsynth.Schema(deid_schema()))


# ---------------------------------------------------------------------------------------------
# fit


def _adult_table() -> pa.Table:
    return pcsv.read_csv(ADULT, convert_options=pcsv.ConvertOptions(strings_can_be_null=True))


def _without_input(model_json: str) -> dict:
    """A model as a dict without what names its input (the CLI names the file, Spark `df`)."""
    import json

    m = json.loads(model_json)
    m["fit"].pop("input")
    m["fit"].pop("input_sha256")
    return m


@pytest.mark.parametrize("partitions", [1, 4])
def test_fit_equals_the_cli_and_the_single_process_fit(spark, tmp_path, partitions):
    from fairsynth import spark as fs

    out = tmp_path / "m.json"
    r = cli("fit", str(ADULT), "--schema", str(ADULT_SCHEMA), "--seed", "5", "-o", str(out))
    assert r.returncode == 0, r.stderr
    table = _adult_table()
    # repartition shuffles: the rows reach the partitions in another order.
    df = spark.createDataFrame(table.to_pandas()).repartition(partitions)
    assert df.rdd.getNumPartitions() == partitions
    schema = fairsynth.Schema.from_file(ADULT_SCHEMA)
    model = fs.fit(df, schema, seed=5)
    # The held-out penalty choice, pair terms, relations and the copula are all at work.
    got = _without_input(model.to_json())
    assert got["fit"]["penalty_held_out"] and got["copula"] and got["nodes"]
    assert got == _without_input(out.read_text())
    # Byte for byte the single-process model of the same rows under the same name.
    assert model.to_json() == fairsynth.fit(table, schema, seed=5, name="df").to_json()


def test_fit_with_epsilon_equals_the_single_process_fit(spark):
    from fairsynth import spark as fs

    table = _adult_table()
    schema = fairsynth.Schema.from_file(ROOT / "schemas" / "adult_dp.yaml")
    df = spark.createDataFrame(table.to_pandas()).repartition(3)
    model = fs.fit(df, schema, seed=11, epsilon=1.0, bins=8)
    want = fairsynth.fit(table, schema, seed=11, epsilon=1.0, bins=8, name="df")
    assert model.to_json() == want.to_json()
    import json

    assert json.loads(model.to_json())["privacy"]["epsilon"] == 1.0


def test_fit_safety_net_and_empty_input_raise_the_single_process_errors(spark):
    from fairsynth import spark as fs

    table = _adult_table()
    n = table.num_rows
    with_contact = table.append_column("contact", pa.array([f"anna.smith{i}@example.com" for i in range(n)]))
    text = ADULT_SCHEMA.read_text().replace("columns:\n", "columns:\n  - {name: contact, type: string}\n", 1)
    schema = fairsynth.Schema(text)
    with pytest.raises(fairsynth.Error) as want:
        fairsynth.fit(with_contact, schema, name="df")
    assert "column `contact` is not an identifier" in str(want.value)
    df = spark.createDataFrame(with_contact.to_pandas()).repartition(3)
    with pytest.raises(fairsynth.Error) as got:
        fs.fit(df, schema)
    assert type(got.value) is type(want.value)
    assert str(got.value) == str(want.value)

    adult = fairsynth.Schema.from_file(ADULT_SCHEMA)
    with pytest.raises(fairsynth.Error) as want:
        fairsynth.fit(table.slice(0, 0), adult, name="df")
    empty = spark.createDataFrame(table.to_pandas()).limit(0)
    with pytest.raises(fairsynth.Error) as got:
        fs.fit(empty, adult)
    assert type(got.value) is type(want.value)
    assert str(got.value) == str(want.value) == "df: the input has no rows to fit"


# ---------------------------------------------------------------------------------------------
# writing with provenance


def test_write_parquet_puts_the_provenance_beside_the_parts(spark, tmp_path, model_file):
    import json

    from fairsynth import spark as fs

    schema = fairsynth.Schema.from_file(CUSTOMERS)
    df = fs.synth(spark, schema, rows=70000, seed=4, partitions=3)
    out = tmp_path / "synth"
    fs.write_parquet(df, str(out))
    # Readers skip the provenance file; the parts hold the CLI's rows.
    cli_out = tmp_path / "cli.parquet"
    r = cli("synth", "--schema", str(CUSTOMERS), "--rows", "70000", "--seed", "4", "-o", str(cli_out))
    assert r.returncode == 0, r.stderr
    # (Spark lists the parts by size, so the rows are compared in key order.)
    got = spark.read.parquet(str(out)).toArrow().sort_by("customer_id")
    assert got.equals(plain(pq.read_table(cli_out)).sort_by("customer_id"))
    prov = json.loads((out / fs.PROVENANCE_FILE).read_text())
    cli_prov = json.loads(pq.read_metadata(cli_out).metadata[b"fairsynth"])
    assert prov["command"] == "fairsynth.spark.synth"
    assert (prov["seed"], prov["rows"]) == (4, 70000)
    for key in ("tool", "version", "schema", "block_rows"):
        assert prov[key] == cli_prov[key], key

    # A sample's provenance holds the sampling report; an existing directory is refused and
    # its provenance left as it was.
    model = fairsynth.Model.load(model_file)
    result = fs.sample(spark, model, 5000, seed=3, partitions=2)
    sampled = tmp_path / "sample"
    fs.write_parquet(result, str(sampled))
    prov = json.loads((sampled / fs.PROVENANCE_FILE).read_text())
    assert prov["sampling"] == dict(result.report) and prov["seed"] == 3 and prov["rows"] == 5000
    before = (sampled / fs.PROVENANCE_FILE).read_bytes()
    with pytest.raises(Exception, match="already exists"):
        fs.write_parquet(fs.sample(spark, model, 10, seed=9), str(sampled))
    assert (sampled / fs.PROVENANCE_FILE).read_bytes() == before

    # A DataFrame transformed after fairsynth returned it carries no provenance.
    with pytest.raises(ValueError, match="carries no fairsynth provenance"):
        fs.write_parquet(df.limit(10), str(tmp_path / "other"))
    assert not (tmp_path / "other").exists()
