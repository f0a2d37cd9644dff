"""Linked tables on Apache Spark: the half of :mod:`fairsynth.spark` that takes a schema of
linked tables (``tables:``) and gives or takes a dict of DataFrames by table name.

- ``synth`` is split for real: the schema's root tables are cut into *families* (a block of
  root rows with all their descendants), each generated in any process from the seed alone.
  Every partition owns a contiguous run of families; a first pass counts the rows each run
  makes of every table (so the driver knows where each run's child keys start: keys of child
  tables are numbered in file order), the second generates the rows. The columns of root
  tables that a key without ``children`` reads through its picked row are the one global
  piece: each executor process makes them once, on first use.
- ``sample`` draws the linked model at the driver and hands each table to Spark in
  ``partitions`` slices: a linked model's child tables are drawn table by table from their
  parents' whole drawn columns (blocks of children are numbered over the whole table,
  reference tables are copied whole and keys are dealt over the whole referenced table), so
  there is no family a partition could draw alone.
- ``fit``, ``evaluate``, ``reweight``, ``audit`` and ``deidentify`` gather the tables to the
  driver (at most ``max_rows`` rows over all tables, checked before anything is collected),
  put each table's rows in the order of its primary key (then of its other columns), so the
  result does not depend on the partitioning, and run the single-process command on them;
  results that are tables come back as DataFrames in ``partitions`` slices. The figures,
  models and rows are those of the Python package and of the command line on the tables in
  key order (the order of every folder fairsynth writes).
"""

from __future__ import annotations

import json as _json
import os as _os
from collections.abc import Mapping
from typing import Any

from . import LinkedModel, Report, Result, UsageError, _fairsynth

#: Rows over all tables gathered to the driver by default (fit, evaluate, reweight, audit,
#: deidentify of linked tables).
MAX_DRIVER_ROWS = 5_000_000

#: Families a partition generates at once (the rows of one Parquet row group of the CLI).
_FAMILIES_AT_ONCE = 4

# Per executor process: compiled schemas of linked tables, by (text, name, seed, scale).
_COMPILED: dict[tuple, Any] = {}


def linked_text(schema: Any) -> tuple[str, str] | None:
    """The text and path of ``schema`` when it is the path of a schema of linked tables."""
    if not isinstance(schema, (str, _os.PathLike)):
        return None
    path = _os.fspath(schema)
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except (OSError, UnicodeDecodeError):
        return None  # the one-table path raises the CLI's message
    return (text, path) if _fairsynth.declares_tables(text) else None


def _schema_path(schema: Any, what: str) -> tuple[str, str]:
    if not isinstance(schema, (str, _os.PathLike)):
        raise TypeError(f"{what} of a dict of DataFrames needs the path of a schema of linked tables")
    found = linked_text(schema)
    if found is None:
        raise TypeError(
            f"{what} of a dict of DataFrames needs a schema of linked tables (`tables:`); "
            f"`{_os.fspath(schema)}` declares one table\n    hint: pass one DataFrame for it"
        )
    return found


def _compiled(text: str, name: str, seed: int | None, scale: float | None) -> Any:
    key = (text, name, seed, scale)
    s = _COMPILED.get(key)
    if s is None:
        _COMPILED.clear()  # one schema at a time per process: its picked columns can be large
        s = _COMPILED[key] = _fairsynth.SparkLinkedSynth(text, name, seed, scale)
    return s


def _runs(units: int, partitions: int) -> list[tuple[int, int]]:
    """Contiguous runs of units, one per partition (some empty when units are few)."""
    return [(p * units // partitions, (p + 1) * units // partitions) for p in range(partitions)]


def synth(spark: Any, text: str, name: str, seed: int | None, scale: float | None, partitions: int) -> dict:
    """Linked tables from the schema alone, as DataFrames (see :func:`fairsynth.spark.synth`)."""
    import pyarrow as pa

    from ._spark_types import _plain, _spark_schema

    native = _fairsynth.SparkLinkedSynth(text, name, seed, scale)
    seed = native.seed
    names = native.names()
    empty = native.units(0, 0, [0] * len(names))
    runs = _runs(native.unit_count(), partitions)
    ids = spark.range(0, partitions, numPartitions=partitions)

    def count(batches):  # pass 1, on the executors: rows per table of each run
        from fairsynth import _spark_linked as here

        s = here._compiled(text, name, seed, scale)
        for b in batches:
            for p in b.column(0).to_pylist():
                lo, hi = runs[p]
                rows = s.unit_rows(lo, hi) if hi > lo else [0] * len(names)
                yield pa.RecordBatch.from_pydict(
                    {"partition": [p], "rows": [rows]},
                    schema=pa.schema([("partition", pa.int64()), ("rows", pa.list_(pa.int64()))]),
                )

    counted = sorted(ids.mapInArrow(count, "partition long, rows array<long>").collect())
    offsets, at = [], [0] * len(names)
    for r in counted:
        offsets.append(list(at))
        at = [a + n for a, n in zip(at, r["rows"])]

    def produce(batches):  # pass 2, on the executors: every table's rows of each run
        from fairsynth import _spark_linked as here

        s = here._compiled(text, name, seed, scale)
        for b in batches:
            for p in b.column(0).to_pylist():
                lo, hi = runs[p]
                off = list(offsets[p])
                for first in range(lo, hi, _FAMILIES_AT_ONCE):
                    tables = s.units(first, min(first + _FAMILIES_AT_ONCE, hi), off)
                    for i, t in enumerate(tables):
                        off[i] += t.num_rows
                        if t.num_rows:
                            sink = pa.BufferOutputStream()
                            plain = _plain(t)
                            with pa.ipc.new_stream(sink, plain.schema) as w:
                                w.write_table(plain)
                            yield pa.RecordBatch.from_pydict(
                                {"table": [i], "rows": [sink.getvalue().to_pybytes()]},
                                schema=pa.schema([("table", pa.int32()), ("rows", pa.binary())]),
                            )

    # One generation of every family, whichever tables are computed: the runs are persisted.
    made = ids.mapInArrow(produce, "table int, rows binary").persist()
    out = {}
    for i, table in enumerate(names):
        df = made.where(made["table"] == i).mapInArrow(_decode, _spark_schema(empty[i].schema))
        df._fairsynth_provenance = _json.loads(native.provenance(i))
        out[table] = df
    return out


def _decode(batches):  # on the executors: IPC streams back to batches
    import pyarrow as pa

    for b in batches:
        for data in b.column(1).to_pylist():
            yield from pa.ipc.open_stream(data).read_all().to_batches()


def frames(spark: Any, tables: Mapping[str, Any], partitions: int) -> dict:
    """pyarrow Tables made at the driver as DataFrames, each in ``partitions`` slices in
    order (slice ``p`` travels to its partition's executor alone, as a broadcast)."""
    import pyarrow as pa

    from ._spark_types import _plain, _spark_schema

    sc = spark.sparkContext
    out = {}
    for name, table in tables.items():
        plain = _plain(table)
        n = plain.num_rows
        pieces = []
        for p in range(partitions):
            lo, hi = p * n // partitions, (p + 1) * n // partitions
            sink = pa.BufferOutputStream()
            with pa.ipc.new_stream(sink, plain.schema) as w:
                w.write_table(plain.slice(lo, hi - lo))
            pieces.append(sc.broadcast(sink.getvalue().to_pybytes()))

        def produce(batches, pieces=pieces):  # on the executors
            import pyarrow as pa

            for b in batches:
                for p in b.column(0).to_pylist():
                    yield from pa.ipc.open_stream(pieces[p].value).read_all().to_batches()

        ids = spark.range(0, partitions, numPartitions=partitions)
        out[name] = ids.mapInArrow(produce, _spark_schema(plain.schema))
    return out


def gather(tables: Any, text: str, name: str, what: str, max_rows: int, role: str = "tables") -> dict:
    """The DataFrames of ``tables`` (a dict by name) at the driver as pyarrow Tables, after
    checking that they hold at most ``max_rows`` rows together; each table's rows in the
    order of its primary key, then of its other columns (see :func:`in_key_order`)."""
    if not isinstance(tables, Mapping):
        raise TypeError(f"{role}: give a dict of DataFrames by table name")
    counts = {}
    for table, df in tables.items():
        if not hasattr(df, "sparkSession"):
            raise TypeError(f"{role}[{table!r}]: expected a Spark DataFrame, not {type(df).__name__}")
        counts[table] = df.count()
    total = sum(counts.values())
    if total > max_rows:
        shown = ", ".join(f"{n} {c}" for n, c in counts.items())
        raise UsageError(
            f"{what} of linked tables gathers them to the driver, and they hold {total} rows "
            f"({shown}), more than max_rows={max_rows}\n    hint: raise max_rows if the driver "
            f"has the memory, or run `fairsynth {what}` on the tables written as Parquet"
        )
    keys = dict(_fairsynth.spark_linked_keys(text, name))
    return {table: in_key_order(_to_arrow(df), keys.get(table)) for table, df in tables.items()}


def in_key_order(table: Any, key: str | None) -> Any:
    """``table``'s rows ordered by ``key`` (its primary key), then by every other column,
    nulls last: the one order of the rows whatever the partitioning (the linked fit, the
    detection test and the released rows follow the order of the rows). A table without the
    key column is left as it is (the command names what is missing)."""
    import pyarrow.compute as pc

    if key is None or key not in table.column_names or table.num_rows < 2:
        return table
    sortable = [
        c for c, f in zip(table.column_names, table.schema)
        if c != key and _sortable(f.type)
    ]
    order = [(key, "ascending")] + [(c, "ascending") for c in sortable]
    return table.take(pc.sort_indices(table, sort_keys=order))  # nulls last (the default)


def _sortable(t: Any) -> bool:
    import pyarrow as pa

    return not (pa.types.is_nested(t) or pa.types.is_dictionary(t) or pa.types.is_null(t))


def _to_arrow(df: Any) -> Any:
    """A DataFrame's rows at the driver as a pyarrow Table, in partition order."""
    if hasattr(df, "toArrow"):  # PySpark 4
        return df.toArrow()
    import pyarrow as pa
    from pyspark.sql.pandas.types import to_arrow_schema

    zone = df.sparkSession.conf.get("spark.sql.session.timeZone")
    batches = df._collect_as_arrow()
    return pa.Table.from_batches(batches, schema=to_arrow_schema(df.schema, timezone=zone))


def partitions_of(tables: Mapping[str, Any], partitions: int | None) -> int:
    if partitions is not None:
        if partitions < 1:
            raise ValueError(f"partitions={partitions}: must be at least 1")
        return partitions
    parts = [df.rdd.getNumPartitions() for df in tables.values()]
    return max(1, max(parts, default=1))


def sample(
    spark: Any,
    model: LinkedModel,
    seed: int | None,
    scale: float | None,
    partitions: int,
    schema_targets: bool,
    no_fairness: bool,
) -> dict:
    tables = model.sample(seed, scale=scale, schema_targets=schema_targets, no_fairness=no_fairness)
    out = frames(spark, tables, partitions)
    m = _json.loads(model.to_json())
    schema = {k: m["schema"].get(k) for k in ("file", "sha256")}
    for name, df in out.items():
        # What write_parquet records beside the parts: the model's schema, seed and scale.
        df._fairsynth_provenance = {
            "tool": "fairsynth",
            "version": m.get("fairsynth"),
            "command": "fairsynth.spark.sample",
            "table": name,
            "tables": list(tables),
            "schema": schema,
            "seed": 0 if seed is None else seed,
            "scale": 1.0 if scale is None else scale,
            "rows": tables[name].num_rows,
            "schema_targets": schema_targets,
            "no_fairness": no_fairness,
        }
    return out


def fit(tables: Any, schema: Any, max_rows: int, **options: Any) -> LinkedModel:
    from . import fit as fit_one

    text, path = _schema_path(schema, "fit")
    return fit_one(gather(tables, text, path, "fit", max_rows), path, **options)


def evaluate(real: Any, synthetic: Any, schema: Any, holdout: Any, max_rows: int, **options: Any) -> Report:
    from . import evaluate as evaluate_one

    if not (isinstance(real, Mapping) and isinstance(synthetic, Mapping)):
        raise TypeError("real and synthetic: give two dicts of DataFrames, or two DataFrames")
    if holdout is not None and not isinstance(holdout, Mapping):
        raise TypeError("holdout: give a dict of the held-out people's DataFrames, as real is")
    text, path = _schema_path(schema, "evaluate")
    r = gather(real, text, path, "evaluate", max_rows, "real")
    s = gather(synthetic, text, path, "evaluate", max_rows, "synthetic")
    h = None if holdout is None else gather(holdout, text, path, "evaluate", max_rows, "holdout")
    return evaluate_one(r, s, path, holdout=h, **options)


def audit(tables: Any, schema: Any, max_rows: int, **options: Any) -> Report:
    from . import audit as audit_one

    text, path = _schema_path(schema, "audit")
    return audit_one(gather(tables, text, path, "audit", max_rows), path, **options)


def _as_frames(tables: Mapping[str, Any], result: Result, partitions: int | None) -> Result:
    """``result`` (a dict of pyarrow Tables and a report) with its tables as DataFrames of
    the Spark session of ``tables``."""
    spark = next(iter(tables.values())).sparkSession
    return Result(frames(spark, result.table, partitions_of(tables, partitions)), result.report)


def reweight(tables: Any, schema: Any, max_rows: int, partitions: int | None, **options: Any) -> Result:
    from . import reweight as reweight_one

    text, path = _schema_path(schema, "reweight")
    result = reweight_one(gather(tables, text, path, "reweight", max_rows), path, **options)
    return _as_frames(tables, result, partitions)


def deidentify(tables: Any, schema: Any, key: Any, key_file: Any, max_rows: int, partitions: int | None) -> Result:
    from . import deidentify as deidentify_one

    text, path = _schema_path(schema, "deidentify")
    result = deidentify_one(
        gather(tables, text, path, "deidentify", max_rows), path, key=key, key_file=key_file
    )
    return _as_frames(tables, result, partitions)

