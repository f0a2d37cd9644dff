"""Shared fixtures: the CLI binary the results are compared with, the committed test data, and
the three kinds of in-memory table every function is run on (pyarrow, pandas, polars)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pandas as pd
import polars as pl
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

ROOT = Path(__file__).resolve().parents[2]
SCHEMAS = ROOT / "schemas"
DATA = ROOT / "tests" / "data"
KEY = "python-tests-0123456789abcdef-key"


def binary() -> Path:
    b = Path(os.environ.get("FAIRSYNTH_BIN", ROOT / "target" / "debug" / "fairsynth"))
    if not b.is_file():
        pytest.fail(f"the CLI binary {b} is missing: run `cargo build` (or set FAIRSYNTH_BIN)")
    return b


def cli(*args, env=None, ok=True) -> subprocess.CompletedProcess:
    """Runs the fairsynth CLI from the repository root; `ok` asserts exit 0."""
    e = dict(os.environ)
    e.pop("FAIRSYNTH_KEY", None)
    e.update(env or {})
    p = subprocess.run(
        [str(binary()), *map(str, args)], cwd=ROOT, env=e, capture_output=True, text=True
    )
    if ok:
        assert p.returncode == 0, p.stderr
    return p


def cli_error(*args, env=None) -> tuple[int, str]:
    """The exit code and the message after `error: ` of a failing CLI run."""
    p = cli(*args, env=env, ok=False)
    assert p.returncode != 0
    err = p.stderr
    assert err.startswith("error: "), err
    return p.returncode, err[len("error: ") :].rstrip("\n")


def strip_meta(t: pa.Table) -> pa.Table:
    """`t` without schema metadata (provenance) and with dictionary columns decoded: a Parquet
    round trip keeps the values and the type but may re-encode a dictionary, so tables are
    compared by value."""
    t = t.replace_schema_metadata(None)
    for i, f in enumerate(t.schema):
        if pa.types.is_dictionary(f.type):
            t = t.set_column(i, f.name, t.column(i).cast(f.type.value_type))
    return t


def provenance(t: pa.Table) -> dict:
    return json.loads(t.schema.metadata[b"fairsynth"])


def as_kind(t: pa.Table, kind: str):
    """`t` as a pyarrow Table, a pandas DataFrame (Arrow-backed dtypes, as pandas >= 2 reads
    Parquet with `dtype_backend="pyarrow"`) or a polars DataFrame."""
    if kind == "pyarrow":
        return t
    if kind == "pandas":
        return t.to_pandas(types_mapper=pd.ArrowDtype)
    if kind == "polars":
        return pl.from_arrow(t)
    raise ValueError(kind)


KINDS = ["pyarrow", "pandas", "polars"]


@pytest.fixture(scope="session")
def adult() -> pa.Table:
    """The committed Adult sample (2,036 rows) as read by pyarrow."""
    return pacsv.read_csv(DATA / "adult_sample.csv")


@pytest.fixture(scope="session")
def adult_parquet(adult, tmp_path_factory) -> Path:
    """The same table as Parquet, for the CLI: both sides see equal data."""
    p = tmp_path_factory.mktemp("adult") / "adult.parquet"
    pq.write_table(adult, p)
    return p


@pytest.fixture(scope="session")
def customers_parquet(tmp_path_factory) -> Path:
    """5,000 synthetic customers with names, e-mails, phones and addresses (from the CLI)."""
    p = tmp_path_factory.mktemp("customers") / "customers.parquet"
    cli("synth", "--schema", "schemas/customers.yaml", "--rows", 5000, "--seed", 11, "-q", "-o", p)
    return p
