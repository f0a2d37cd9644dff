"""`deidentify` against the CLI: the same released rows, keys from an argument or the
environment, and never a key in any output."""

from __future__ import annotations

import json

import pyarrow.parquet as pq
import pytest

import fairsynth
from conftest import KEY, KINDS, SCHEMAS, as_kind, cli, cli_error, provenance, strip_meta


@pytest.fixture(scope="module")
def cli_deid(customers_parquet, tmp_path_factory):
    d = tmp_path_factory.mktemp("deid")
    out, rep = d / "d.parquet", d / "r.json"
    cli("deidentify", customers_parquet, "--schema", "schemas/customers.yaml", "-q", "-o", out,
        "--report", rep, env={"FAIRSYNTH_KEY": KEY})
    return pq.read_table(out), json.loads(rep.read_text())


@pytest.mark.parametrize("kind", KINDS)
def test_output_equals_the_cli(customers_parquet, cli_deid, kind):
    expected, expected_report = cli_deid
    data = as_kind(pq.read_table(customers_parquet), kind)
    r = fairsynth.deidentify(data, SCHEMAS / "customers.yaml", key=KEY)
    assert r.table.column_names == expected.column_names
    assert strip_meta(r.table).equals(strip_meta(expected))
    assert r.report["key_fingerprint"] == expected_report["key_fingerprint"]
    assert dict(r.report) | {"input": None} == expected_report | {"input": None}
    assert "fairsynth deidentify" in r.report.html


def test_key_as_bytes_or_from_the_environment(customers_parquet, cli_deid, monkeypatch):
    expected, _ = cli_deid
    data = pq.read_table(customers_parquet)
    # Trailing whitespace is trimmed, as from a key file.
    a = fairsynth.deidentify(data, SCHEMAS / "customers.yaml", key=(KEY + "\n").encode())
    monkeypatch.setenv("FAIRSYNTH_KEY", KEY)
    b = fairsynth.deidentify(data, SCHEMAS / "customers.yaml")
    for r in (a, b):
        assert strip_meta(r.table).equals(strip_meta(expected))


def test_the_key_is_never_written(customers_parquet):
    r = fairsynth.deidentify(pq.read_table(customers_parquet), SCHEMAS / "customers.yaml", key=KEY)
    for text in [json.dumps(dict(r.report)), r.report.html, r.report.summary,
                 json.dumps(provenance(r.table)), repr(r)]:
        assert KEY not in text


def test_missing_and_short_keys(customers_parquet):
    code, message = cli_error("deidentify", customers_parquet, "--schema", "schemas/customers.yaml",
                              "-o", "/tmp/never-written.parquet")
    with pytest.raises(fairsynth.PseudonymKeyError) as e:
        fairsynth.deidentify(customers_parquet, SCHEMAS / "customers.yaml")
    assert str(e.value) == message and code == 2
    with pytest.raises(fairsynth.PseudonymKeyError, match="the key has 5 bytes"):
        fairsynth.deidentify(customers_parquet, SCHEMAS / "customers.yaml", key="short")
