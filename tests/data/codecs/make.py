"""Writes the same small table with every codec pyarrow offers (tests/faults.rs reads them).

Run: python make.py   (pyarrow 26.0.1 made the committed files)
"""
import pyarrow as pa
import pyarrow.parquet as pq

table = pa.table(
    {
        "sex": pa.array(["female", "male", "female", None, "male"]).dictionary_encode(),
        "age": pa.array([34, 51, None, 29, 62], type=pa.int64()),
        "income": pa.array([41000.5, 38000.0, 52000.25, None, 61000.0]),
        "churned": pa.array([True, False, False, True, None]),
    }
)
for codec in ["gzip", "brotli", "lz4", "snappy", "zstd", "none"]:
    pq.write_table(table, f"{codec}.parquet", compression=codec)
