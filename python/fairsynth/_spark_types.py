"""Arrow tables and schemas as Spark takes them: dictionary columns decoded, instants in
microseconds, no metadata. Shared by :mod:`fairsynth.spark` and its linked-tables half."""

from __future__ import annotations

from typing import Any


def _spark_schema(arrow_schema: Any) -> Any:
    """The Spark schema of a fairsynth Arrow schema (categories as strings)."""
    from pyspark.sql.pandas.types import from_arrow_schema

    return from_arrow_schema(_plain_schema(arrow_schema))


def _plain_schema(arrow_schema: Any) -> Any:
    import pyarrow as pa

    fields = []
    for f in arrow_schema:
        t = f.type
        if pa.types.is_dictionary(t):
            t = t.value_type
        if pa.types.is_timestamp(t):
            # Spark holds instants as microseconds; the zone is only how they are shown.
            t = pa.timestamp("us", tz="UTC")
        fields.append(pa.field(f.name, t, nullable=True))
    return pa.schema(fields)


def _plain(table: Any) -> Any:
    """``table`` with dictionary columns decoded and no metadata, as Spark takes batches."""
    return table.cast(_plain_schema(table.schema))
