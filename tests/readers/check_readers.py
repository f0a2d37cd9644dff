#!/usr/bin/env python3
"""Checks that pyarrow, polars and DuckDB read a fairsynth file with the declared types.

Usage: check_readers.py FILE.parquet ROWS
Run by .ci/run in a throwaway virtual environment after `fairsynth synth` on
schemas/customers.yaml. Exits non-zero with a message on the first mismatch.
"""
import json
import sys

import duckdb
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

path, rows = sys.argv[1], int(sys.argv[2])

ARROW = {
    "customer_id": pa.int64(),
    "sex": pa.dictionary(pa.int32(), pa.string()),
    "full_name": pa.string(),
    "email": pa.string(),
    "phone": pa.string(),
    "street_address": pa.string(),
    "state": pa.dictionary(pa.int32(), pa.string()),
    "age": pa.int64(),
    "birth_date": pa.date32(),
    "region": pa.dictionary(pa.int32(), pa.string()),
    "education": pa.dictionary(pa.int32(), pa.string()),
    "income": pa.float64(),
    "tenure_months": pa.int64(),
    "signed_up_at": pa.timestamp("us", tz="UTC"),
    "consent_marketing": pa.bool_(),
    "churned": pa.bool_(),
}
POLARS = {
    "customer_id": pl.Int64, "sex": pl.Categorical, "full_name": pl.String,
    "email": pl.String, "phone": pl.String, "street_address": pl.String, "state": pl.Categorical,
    "age": pl.Int64,
    "birth_date": pl.Date, "region": pl.Categorical, "education": pl.Categorical,
    "income": pl.Float64, "tenure_months": pl.Int64,
    "signed_up_at": pl.Datetime("us", "UTC"), "consent_marketing": pl.Boolean,
    "churned": pl.Boolean,
}
DUCKDB = {
    "customer_id": "BIGINT", "sex": "VARCHAR", "full_name": "VARCHAR", "email": "VARCHAR",
    "phone": "VARCHAR", "street_address": "VARCHAR", "state": "VARCHAR", "age": "BIGINT", "birth_date": "DATE",
    "region": "VARCHAR", "education": "VARCHAR", "income": "DOUBLE",
    "tenure_months": "BIGINT", "signed_up_at": "TIMESTAMP WITH TIME ZONE",
    "consent_marketing": "BOOLEAN", "churned": "BOOLEAN",
}


def fail(msg):
    sys.exit(f"check_readers: {msg}")


table = pq.read_table(path)
if table.num_rows != rows:
    fail(f"pyarrow read {table.num_rows} rows, expected {rows}")
got = {f.name: f.type for f in table.schema}
if got != ARROW:
    fail(f"pyarrow types differ:\n got {got}\nwant {ARROW}")
prov = json.loads(pq.ParquetFile(path).metadata.metadata[b"fairsynth"])
if prov.get("command") != "synth" or prov.get("rows") != rows:
    fail(f"unexpected provenance {prov}")
# The same provenance travels in the Arrow schema's metadata, where pyarrow shows it.
if json.loads((table.schema.metadata or {}).get(b"fairsynth", b"{}")) != prov:
    fail("pyarrow's schema metadata does not carry the provenance")

df = pl.read_parquet(path)
if dict(df.schema) != POLARS:
    fail(f"polars types differ:\n got {dict(df.schema)}\nwant {POLARS}")
if df.height != rows:
    fail(f"polars read {df.height} rows")

con = duckdb.connect()
desc = {r[0]: r[1] for r in con.execute(f"DESCRIBE SELECT * FROM '{path}'").fetchall()}
if desc != DUCKDB:
    fail(f"DuckDB types differ:\n got {desc}\nwant {DUCKDB}")
n = con.execute(f"SELECT count(*) FROM '{path}'").fetchone()[0]
if n != rows:
    fail(f"DuckDB counted {n} rows")
print(f"pyarrow {pa.__version__}, polars {pl.__version__}, duckdb {duckdb.__version__}: "
      f"{rows} rows, all {len(ARROW)} column types as declared")
