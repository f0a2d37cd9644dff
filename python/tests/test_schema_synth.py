"""Schema loading and checking, and `synth` against the CLI's Parquet."""

from __future__ import annotations

import json
import threading
import time

import pyarrow.parquet as pq
import pytest

import fairsynth
from conftest import ROOT, SCHEMAS, cli, cli_error, provenance, strip_meta


def test_schema_from_file_and_text_agree():
    a = fairsynth.Schema.from_file(SCHEMAS / "customers.yaml")
    b = fairsynth.Schema((SCHEMAS / "customers.yaml").read_text(), "schemas/customers.yaml")
    assert a.sha256 == b.sha256
    assert a.columns == b.columns and len(a.columns) == 16
    assert a.name == "customers" and a.key_env == "FAIRSYNTH_KEY"


def test_check_prints_the_cli_line(monkeypatch):
    monkeypatch.chdir(ROOT)
    for path in ["schemas/customers.yaml", "schemas/adult.yaml"]:
        expected = cli("schema", "check", path).stdout.strip()
        assert fairsynth.Schema.from_file(path).check() == expected


def test_schema_errors_carry_the_cli_message(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "version: 1\nname: x\ncolumns:\n  - name: a\n    type: integer\n  - name: a\n    type: int\n"
    )
    code, message = cli_error("synth", "--schema", bad, "-o", tmp_path / "o.parquet")
    with pytest.raises(fairsynth.SchemaError) as e:
        fairsynth.Schema.from_file(bad)
    assert str(e.value) == message
    assert e.value.exit_code == code == 2
    assert isinstance(e.value, ValueError) and isinstance(e.value, fairsynth.Error)
    with pytest.raises(fairsynth.SchemaError) as e:
        fairsynth.Schema(bad.read_text(), str(bad))
    assert str(e.value) == message


@pytest.mark.parametrize("rows,seed", [(200_000, 5), (0, 1), (65_537, None)])
def test_synth_equals_the_cli_row_for_row(tmp_path, rows, seed):
    out = tmp_path / "c.parquet"
    args = ["synth", "--schema", "schemas/customers.yaml", "--rows", rows, "-q", "-o", out]
    if seed is not None:
        args += ["--seed", seed]
    cli(*args)
    expected = pq.read_table(out)
    got = fairsynth.synth(SCHEMAS / "customers.yaml", rows=rows, seed=seed)
    assert got.num_rows == rows
    assert got.schema.remove_metadata() == expected.schema.remove_metadata()
    assert strip_meta(got).equals(strip_meta(expected))
    p = provenance(got)
    assert p["command"] == "synth" and p["rows"] == rows
    cli_prov = json.loads(pq.read_metadata(out).metadata[b"fairsynth"])
    assert p["seed"] == cli_prov["seed"] and p["rows"] == cli_prov["rows"]


def test_synth_defaults_and_threads():
    s = fairsynth.Schema.from_file(SCHEMAS / "customers.yaml")
    a = fairsynth.synth(s, rows=70_000, threads=1)
    b = fairsynth.synth(s, rows=70_000)
    assert a.equals(b)
    assert fairsynth.synth(s).num_rows == s.rows


def test_synth_releases_the_gil():
    """Python code runs on another thread while Rust generates rows."""
    s = fairsynth.Schema.from_file(SCHEMAS / "customers.yaml")
    span = {}

    def work():
        span["start"] = time.perf_counter()
        fairsynth.synth(s, rows=600_000, threads=1)
        span["end"] = time.perf_counter()

    t = threading.Thread(target=work)
    ticks = []
    t.start()
    while t.is_alive():
        ticks.append(time.perf_counter())
    t.join()
    inside = [x for x in ticks if span["start"] + 0.02 < x < span["end"] - 0.02]
    assert span["end"] - span["start"] > 0.1
    assert len(inside) > 100, f"{len(inside)} ticks while synth ran"
