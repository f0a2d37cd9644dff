"""`reweight` on pyarrow, pandas and polars tables against the CLI on the same data as Parquet."""

from __future__ import annotations

import json

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import fairsynth
from conftest import KINDS, SCHEMAS, as_kind, cli, provenance, strip_meta


def cli_reweight(adult_parquet, tmp_path, *extra):
    out = tmp_path / "w.parquet"
    rep = tmp_path / "r.json"
    cli("reweight", adult_parquet, "--schema", "schemas/adult.yaml", "-q", "-o", out, "--report", rep, *extra)
    return pq.read_table(out), json.loads(rep.read_text())


@pytest.mark.parametrize("kind", KINDS)
def test_weights_equal_the_cli(adult, adult_parquet, tmp_path, kind):
    expected, expected_report = cli_reweight(adult_parquet, tmp_path)
    r = fairsynth.reweight(as_kind(adult, kind), SCHEMAS / "adult.yaml")
    assert isinstance(r.table, pa.Table) and isinstance(r.report, dict)
    assert r.table.column_names == expected.column_names
    w = r.table.column("weight").to_numpy()
    we = expected.column("weight").to_numpy()
    assert np.max(np.abs(w - we) / we) <= 1e-12
    for c in expected.column_names:
        if c != "weight":
            assert r.table.column(c).to_pylist() == expected.column(c).to_pylist(), c
    assert dict(r.report) == expected_report
    assert r.report["converged"] and "reweighted" in str(r.report)
    html = r.report._repr_html_()
    assert html.startswith("<iframe srcdoc=") and "fairsynth reweight" in r.report.html
    p = provenance(r.table)
    assert p["command"] == "reweight" and p["command_line"][2] == "data"


def test_options_targets_dict_and_resample(adult, adult_parquet, tmp_path):
    targets = {
        "sex": {"Female": 0.5, "Male": 0.5},
        "race": {"White": 0.7, "Black": 0.15, "Asian-Pac-Islander": 0.1, "Amer-Indian-Eskimo": 0.03, "Other": 0.02},
    }
    tfile = tmp_path / "t.yaml"
    tfile.write_text(json.dumps(targets))
    expected, rep = cli_reweight(
        adult_parquet, tmp_path, "--targets", tfile, "--resample", 700, "--seed", 9,
        "--max-weight", 6, "--no-start-weights", "--weight-column", "w",
    )
    for t in [targets, tfile]:
        r = fairsynth.reweight(
            adult, SCHEMAS / "adult.yaml", targets=t, resample=700, seed=9,
            max_weight=6, no_start_weights=True, weight_column="w",
        )
        assert strip_meta(r.table).equals(strip_meta(expected))
        assert r.report["margins"] == rep["margins"]
    table, report = fairsynth.reweight(adult, SCHEMAS / "adult.yaml", no_parity=True)
    assert report["fairness"] is not None and table.num_rows == adult.num_rows


def test_file_input_equals_memory_input(adult, adult_parquet):
    a = fairsynth.reweight(adult_parquet, SCHEMAS / "adult.yaml")
    b = fairsynth.reweight(adult, SCHEMAS / "adult.yaml")
    assert strip_meta(a.table).equals(strip_meta(b.table))
    assert provenance(a.table)["command_line"][2] == str(adult_parquet)


def test_a_reader_is_accepted(adult):
    reader = pa.RecordBatchReader.from_batches(adult.schema, adult.to_batches(max_chunksize=300))
    r = fairsynth.reweight(reader, SCHEMAS / "adult.yaml")
    assert r.table.column("weight").equals(fairsynth.reweight(adult, SCHEMAS / "adult.yaml").table.column("weight"))


def test_plain_pandas_and_duckdb_inputs(adult, adult_parquet, tmp_path):
    """A frame as `pd.read_csv` makes it (NumPy-backed) and a DuckDB relation give the CLI's
    weights too."""
    import pandas as pd

    from conftest import DATA

    expected, _ = cli_reweight(adult_parquet, tmp_path)
    we = expected.column("weight").to_numpy()
    frames = [pd.read_csv(DATA / "adult_sample.csv")]
    duckdb = pytest.importorskip("duckdb")
    con = duckdb.connect()
    frames.append(con.sql(f"select * from read_parquet('{adult_parquet}')"))
    for frame in frames:
        w = fairsynth.reweight(frame, SCHEMAS / "adult.yaml").table.column("weight").to_numpy()
        assert np.max(np.abs(w - we) / we) <= 1e-12, type(frame)
