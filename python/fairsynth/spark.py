"""fairsynth on Apache Spark: the same rows and figures as one process, for DataFrames.

Pure Python over the wheel: install ``fairsynth`` on the driver and on every executor (e.g.
``spark.archives``, a cluster library, or ``pip install`` in the image). Each command is split
into what a partition computes, what the driver merges, and what a partition applies; only
small states cross the network:

- :func:`synth` and :func:`sample` draw whole blocks of 65,536 rows. Block ``b`` is the same
  rows in any process (its random streams are keyed by seed, column and block), and each
  partition of ``spark.range(blocks)`` owns a contiguous run of blocks, so the DataFrame holds
  the single-process table row for row, whatever the partition count. No shuffle.
- :func:`reweight` makes two passes: every partition computes the raking state of its rows
  (one entry per cell of the raking variables: rows and start-weight sums), the driver
  merges the states in partition order and runs the raking (IPF) on the small cell table,
  then every partition weights its rows with the solved factors (broadcast in the closure).
  The bytes that cross the network are the cell tables, never rows.
- :func:`deidentify` makes two passes and checks twice at the driver. Pass 1: every
  partition counts its rows, consent exclusions, the safety-net scans of the columns that
  would be released unchanged, and its quasi-identifier classes; the driver merges them, runs
  the safety net and the k (and l) search, and makes the plan (the generalisation and the
  suppressed classes, and the key's fingerprint — never the key). Pass 2: every partition
  transforms its rows (minimisation, consent, keyed pseudonyms, redaction, generalisation)
  and counts what it releases (singling-out counts, re-scans of redacted text); the driver
  merges the counts into the report and enforces the gates before anything is returned.
- :func:`fit` makes three passes, each a mergeable state per partition: the rows per level
  or distinct value of every modelled column (merged at the driver, they fix the levels,
  bins and the plan, and the safety net runs on them); the rows per distinct tuple of codes
  (merged, the driver searches the structure and counts the tables on them, so the held-out
  choice of the penalty, the relations and the pair terms see the whole table); and the
  sums of the copula's normal scores in exact fixed point. The model is the single-process
  model of the same rows, byte for byte, whatever the partitioning or row order.

Linked tables (a schema with ``tables:``, a dict of DataFrames by table name) are in
``fairsynth._spark_linked``: :func:`synth` generates runs of root families on the executors
(a counting pass, then the rows); :func:`sample` draws a linked model at the driver; ``fit``,
``evaluate``, :func:`audit`, ``reweight`` and ``deidentify`` gather the tables to the driver
(``max_rows``) in primary-key order.

Results are lazy DataFrames. :func:`write_parquet` writes one with Spark's own writer and
puts the provenance (tool version, command, schema name, file and SHA-256, seed, rows and the
command's report) beside the part files as ``_fairsynth.json``, which Spark and pyarrow
readers skip as they skip ``_SUCCESS``; Spark's part files carry no fairsynth metadata.
"""

from __future__ import annotations

import json as _json
import os as _os
from collections.abc import Mapping as _Mapping
from typing import Any

from . import (
    LinkedModel,
    Model,
    Report,
    Result,
    Schema,
    Targets,
    Thresholds,
    _fairsynth,
    _schema,
    _targets,
    _thresholds,
)
from . import _spark_linked as _linked
from ._spark_types import _plain, _spark_schema

__all__ = ["synth", "sample", "reweight", "evaluate", "deidentify", "fit", "audit", "write_parquet"]

#: The file :func:`write_parquet` writes beside the part files.
PROVENANCE_FILE = "_fairsynth.json"


def _provenance(s: Schema, command: str, fields: dict, call: list[str]) -> dict:
    """The provenance of a Spark command's output: the CLI's layout (tool, version, command,
    schema, command line) with ``fields``; ``call`` is the Python call, as a command line."""
    text = _fairsynth.spark_provenance(s, f"fairsynth.spark.{command}", _json.dumps(fields), call)
    return _json.loads(text)


def write_parquet(data: Any, path: str, *, mode: str = "errorifexists", provenance: dict | None = None) -> None:
    """Writes a :mod:`fairsynth.spark` result (a :class:`fairsynth.Result`, or the DataFrame
    :func:`synth` returns) with ``df.write.mode(mode).parquet(path)``, then its provenance as
    ``_fairsynth.json`` in the same directory (through Hadoop's file system, so any path Spark
    writes to works). The provenance is written only after the parts: a failed write leaves
    none. A DataFrame transformed after fairsynth returned it has no provenance: pass
    ``provenance=`` (a dict) to record one, or write it with Spark directly.
    """
    df = data.table if isinstance(data, Result) else data
    prov = provenance
    if prov is None:
        prov = data.provenance if isinstance(data, Result) else getattr(df, "_fairsynth_provenance", None)
    if prov is None:
        raise ValueError(
            "this DataFrame carries no fairsynth provenance (it was not returned by fairsynth.spark, "
            "or was transformed since)\n    hint: pass provenance={...}, or write it with df.write.parquet"
        )
    body = (_json.dumps(prov, indent=2, sort_keys=True) + "\n").encode()
    df.write.mode(mode).parquet(path)
    spark = df.sparkSession
    jvm = spark.sparkContext._jvm
    target = jvm.org.apache.hadoop.fs.Path(path.rstrip("/") + "/" + PROVENANCE_FILE)
    fs = target.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration())
    out = fs.create(target, True)
    try:
        out.write(bytearray(body))
    finally:
        out.close()


#: Rows per block: the unit of work a partition owns in :func:`synth` and :func:`sample`.
BLOCK_ROWS: int = _fairsynth.BLOCK_ROWS


_STATE_SPARK = "partition long, state binary, error array<string>"


def _state_schema() -> Any:
    import pyarrow as pa

    return pa.schema(
        [("partition", pa.int64()), ("state", pa.binary()), ("error", pa.list_(pa.string()))]
    )


def _raise_first(parts: list) -> None:
    """Raises, at the driver, the first error a partition carried back (by partition), as
    the ``fairsynth`` exception it was, with its message."""
    from . import _errors

    for r in parts:
        if r["error"]:
            cls, message = r["error"]
            raise getattr(_errors, cls, _errors.Error)(message)


def _blocks(rows: int) -> int:
    return -(-rows // BLOCK_ROWS)


def _partitions(spark: Any, partitions: int | None) -> int:
    if partitions is None:
        return max(1, spark.sparkContext.defaultParallelism)
    if partitions < 1:
        raise ValueError(f"partitions={partitions}: must be at least 1")
    return partitions


def synth(
    spark: Any,
    schema: Schema | str | _os.PathLike[str],
    rows: int | None = None,
    seed: int | None = None,
    partitions: int | None = None,
    *,
    scale: float | None = None,
) -> Any:
    """A synthetic DataFrame from the schema alone: the rows of ``fairsynth.synth`` (and of
    ``fairsynth synth``) with the same schema, rows and seed, in the same order, whatever
    ``partitions`` (default: the cluster's default parallelism).

    Linked tables: the path of a schema with ``tables:`` gives a dict of DataFrames by table
    name, the rows ``fairsynth synth SCHEMA -o DIR --seed S`` writes into its folder (keys
    and all, in file order) for any ``partitions``; ``scale`` multiplies every root table's
    rows (``--scale``; ``rows`` is for one table). Each partition generates a contiguous run
    of *families* (a block of root rows with all their descendants); a first pass counts the
    rows each run makes of every table, so that each run numbers its child tables' keys
    from where the runs before it stopped. The generated runs are persisted
    (``MEMORY_AND_DISK``) and every table's DataFrame is cut from them, so each family is
    generated once for the counts and once for the rows, whichever tables you compute;
    ``spark.catalog.clearCache()`` releases them. The columns of a root table that another
    table reads through a picked key are made once per executor process. Each DataFrame
    carries the provenance :func:`write_parquet` writes.
    """
    linked = _linked.linked_text(schema)
    if linked is not None:
        if rows is not None:
            raise ValueError(
                "rows sets the rows of one table, but this schema declares linked tables; "
                "use scale to multiply every root table's rows"
            )
        return _linked.synth(spark, *linked, seed, scale, _partitions(spark, partitions))
    if scale is not None:
        raise ValueError("scale multiplies the rows of linked tables; this schema has one table: use rows")
    s = _schema(schema)
    rows = s.rows if rows is None else rows
    seed = (s.seed or 0) if seed is None else seed
    text, name = s.text, s.file
    out = _spark_schema(_fairsynth.spark_synth_blocks(s, seed, rows, 0, 0).schema)

    def produce(batches):  # runs on the executors
        from fairsynth import _fairsynth as native

        sch = native.Schema(text, name)
        for b in batches:
            for block in b.column(0).to_pylist():
                table = native.spark_synth_blocks(sch, seed, rows, block, block + 1)
                yield from _plain(table).to_batches()

    ids = spark.range(0, _blocks(rows), numPartitions=_partitions(spark, partitions))
    df = ids.mapInArrow(produce, out)
    # The provenance rides on this DataFrame object only: a transformed one has none.
    df._fairsynth_provenance = _provenance(
        s,
        "synth",
        {"seed": seed, "rows": rows, "block_rows": BLOCK_ROWS},
        ["fairsynth.spark.synth", "--schema", s.file, "--rows", str(rows), "--seed", str(seed)],
    )
    return df


def sample(
    spark: Any,
    model: Model | LinkedModel,
    rows: int | None = None,
    seed: int | None = None,
    targets: Targets = None,
    partitions: int | None = None,
    *,
    schema_targets: bool = False,
    no_fairness: bool = False,
    scale: float | None = None,
) -> Any:
    """A sample of ``model`` as a DataFrame: the rows of ``model.sample`` (and of
    ``fairsynth sample``) with the same rows, targets and seed, in the same order, whatever
    ``partitions``. Returns a :class:`fairsynth.Result`: ``.table`` the DataFrame,
    ``.report`` the sampling report.

    A :class:`fairsynth.LinkedModel` gives a dict of DataFrames by table name: the files
    ``fairsynth sample MODEL -o DIR --seed S`` writes, row for row, for any ``partitions``;
    ``scale`` multiplies the root tables' fitted rows (``rows`` and ``targets`` are for one
    table; ``schema_targets`` and ``no_fairness`` are the linked model's). The linked sample
    is drawn at the driver and handed to Spark in ``partitions`` slices: a linked model
    draws each child table from its parents' whole drawn columns (children numbered over
    the whole table, reference tables copied whole, keys dealt over the whole referenced
    table), so no partition can draw a family alone. The driver must hold the sample.
    """
    if isinstance(model, LinkedModel):
        if rows is not None or targets is not None:
            raise ValueError(
                "rows and targets apply to one table; a linked model is sampled with scale "
                "(and schema_targets for each root table's targets)"
            )
        return _linked.sample(
            spark, model, seed, scale, _partitions(spark, partitions), schema_targets, no_fairness
        )
    if scale is not None:
        raise ValueError("scale multiplies the rows of a linked model; this model has one table: use rows")
    rows = model.rows if rows is None else rows
    tp, tt = _targets(targets)
    options = _json.dumps(
        {
            "seed": seed,
            "targets_path": tp,
            "targets_text": tt,
            "schema_targets": schema_targets,
            "no_fairness": no_fairness,
        }
    )
    native_model = model._native
    report = Report(_json.loads(_fairsynth.spark_sample_report(native_model, options)))
    out = _spark_schema(
        _fairsynth.spark_sample_blocks(native_model, options, rows, 0, 0).schema
    )
    text = native_model.to_json()

    def produce(batches):  # runs on the executors
        from fairsynth import _fairsynth as native

        m = native.spark_model_from_json(text)
        for b in batches:
            for block in b.column(0).to_pylist():
                table = native.spark_sample_blocks(m, options, rows, block, block + 1)
                yield from _plain(table).to_batches()

    ids = spark.range(0, _blocks(rows), numPartitions=_partitions(spark, partitions))
    model_json = _json.loads(text)
    prov = _provenance(
        model.schema,
        "sample",
        {
            "seed": seed if seed is not None else (model.schema.seed or 0),
            "rows": rows,
            "model": {"fitted_on": model_json["fit"]["input"], "input_sha256": model_json["fit"]["input_sha256"]},
            "privacy": model_json.get("privacy"),
            "sampling": dict(report),
        },
        ["fairsynth.spark.sample", "--rows", str(rows), "--options", options],
    )
    return Result(ids.mapInArrow(produce, out), report, prov)


def reweight(
    df: Any,
    schema: Schema | str | _os.PathLike[str],
    targets: Targets = None,
    resample: int | None = None,
    seed: int | None = None,
    *,
    max_weight: float | None = None,
    min_weight: float | None = None,
    tolerance: float = 1e-10,
    max_iterations: int = 1000,
    no_parity: bool = False,
    no_start_weights: bool = False,
    keep_identifiers: bool = False,
    weight_column: str = "weight",
    name: str = "df",
    max_rows: int = _linked.MAX_DRIVER_ROWS,
    partitions: int | None = None,
) -> Result:
    """Rakes a DataFrame to target marginals with the label made independent of the
    protected columns, as ``fairsynth.reweight``: two passes over ``df`` (cell sums per
    partition, then the weights), the raking at the driver.

    Returns a :class:`fairsynth.Result`: ``.table`` a DataFrame of ``df``'s rows (identifier
    columns left out unless ``keep_identifiers``) with the weight column, each row weighted
    as the single-process run weights it; ``.report`` the report. Raises
    :class:`fairsynth.UsageError` before returning when the targets cannot be met, and
    :class:`fairsynth.InputError` for data that does not match the schema (both at the
    driver, from the first pass).

    Linked tables: a dict of DataFrames by table name and the path of a schema with
    ``tables:`` are gathered to the driver (at most ``max_rows`` rows over all tables,
    counted before anything is collected; :class:`fairsynth.UsageError` above it), each
    table's rows put in the order of its primary key (then of its other columns), and run
    as the Python package runs that dict of tables: the same on any partitioning, and equal
    to ``fairsynth reweight DIR`` on a folder in key order. ``.table`` is a dict of
    DataFrames (``partitions`` slices each, default the most partitions of the inputs), the
    people of each root table with ``targets:`` or ``fairness:`` reweighted and every row
    below them carrying its person's weight; ``.report`` the report. ``targets`` and
    ``resample`` are for one table.
    """
    import pyarrow as pa
    from pyspark.sql.pandas.types import to_arrow_schema

    if isinstance(df, _Mapping):
        if targets is not None or resample is not None:
            from . import UsageError

            raise UsageError(
                "targets and resample apply to one table; linked tables are reweighted to each "
                "root table's `targets:` and `fairness:` (put the targets in the entry of the "
                "table of people)"
            )
        return _linked.reweight(
            df, schema, max_rows, partitions,
            max_weight=max_weight, min_weight=min_weight, tolerance=tolerance,
            max_iterations=max_iterations, no_parity=no_parity,
            no_start_weights=no_start_weights, keep_identifiers=keep_identifiers,
            weight_column=weight_column,
        )
    s = _schema(schema)
    tp, tt = _targets(targets)
    options = _json.dumps(
        {
            "resample": resample,
            "targets_path": tp,
            "targets_text": tt,
            "seed": seed,
            "max_weight": max_weight,
            "min_weight": min_weight,
            "tolerance": tolerance,
            "max_iterations": max_iterations,
            "no_parity": no_parity,
            "no_start_weights": no_start_weights,
            "keep_identifiers": keep_identifiers,
            "weight_column": weight_column,
        }
    )
    text, file = s.text, s.file

    def cell_sums(batches):  # pass 1, on the executors
        from pyspark import TaskContext

        from fairsynth import _fairsynth as native

        from fairsynth import Error

        batches = list(batches)
        if not batches:
            return
        part = TaskContext.get().partitionId()
        state, error = None, None
        try:
            state = native.spark_reweight_state(
                pa.Table.from_batches(batches),
                native.Schema(text, file),
                options,
                f"{name} (partition {part})",
            )
        except Error as e:
            # Carried to the driver as data, to be raised there as the same exception.
            error = [type(e).__name__, str(e)]
        yield pa.RecordBatch.from_pydict(
            {"partition": [part], "state": [state], "error": [error]},
            schema=_state_schema(),
        )

    parts = df.mapInArrow(cell_sums, _STATE_SPARK).collect()
    parts = sorted(parts, key=lambda r: r["partition"])
    _raise_first(parts)
    states = [bytes(r["state"]) for r in parts]
    report, factors, page, summary = _fairsynth.spark_reweight_solve(states, s, options, name)

    report = Report(_json.loads(report), page, summary)
    zone = df.sparkSession.conf.get("spark.sql.session.timeZone")
    empty = to_arrow_schema(df.schema, timezone=zone).empty_table()
    if resample is not None:
        prov = _provenance(s, "reweight", {"report": dict(report)}, ["fairsynth.spark.reweight", name, "--options", options])
        return Result(_resample(df, s, options, factors, report, empty, name), report, prov)

    # The output columns: what pass 2 makes of an empty table of df's columns.
    out = _spark_schema(_fairsynth.spark_reweight_apply(empty, s, options, factors, name).schema)

    def weigh(batches):  # pass 2, on the executors
        from fairsynth import _fairsynth as native

        batches = list(batches)
        if not batches:
            return
        table = native.spark_reweight_apply(
            pa.Table.from_batches(batches), native.Schema(text, file), options, factors, name
        )
        yield from _plain(table).to_batches()

    prov = _provenance(s, "reweight", {"report": dict(report)}, ["fairsynth.spark.reweight", name, "--options", options])
    return Result(df.mapInArrow(weigh, out), report, prov)


def _resample(df: Any, s: Schema, options: str, factors: bytes, report: Report, empty: Any, name: str) -> Any:
    """A systematic resample in two more passes over a checkpoint of ``df``: every
    partition's weight total (summed in row order), then each partition draws the sampling
    points that fall on its stretch of the cumulative weight, handed to it by the driver (the
    points added up one after the other, as a single walk adds them). The rows are drawn in
    the DataFrame's order (partitions in order, rows in order within them): the CLI's rows
    when that is the file's order."""
    import struct

    text, file = s.text, s.file
    n = _json.loads(options)["resample"]
    # The two passes must see the same rows in the same partitions in the same order, which a
    # recomputed DataFrame need not give (a range repartition samples its bounds anew): the
    # rows are checkpointed once (in the executors' storage) and both passes read that.
    df = df.localCheckpoint(eager=True)

    def total(table, part):
        from fairsynth import _fairsynth as native

        rows, w = native.spark_reweight_chunk_weight(
            table, native.Schema(text, file), factors, f"{name} (partition {part})"
        )
        return struct.pack("<Qd", rows, w)

    totals = {}
    parts = _partition_states(df, total)
    for part, state in parts:
        totals[part] = struct.unpack("<Qd", state)
    point, step = _fairsynth.spark_resample_points(s, options, report["total_weight"])
    plan, offset, remaining = {}, 0.0, n
    order = sorted(totals)
    for i, part in enumerate(order):
        rows, w = totals[part]
        end = offset + w
        first, count = point, 0
        if i == len(order) - 1:
            count = remaining
        else:
            while count < remaining and point < end:
                point += step
                count += 1
        plan[part] = (offset, first, count)
        remaining -= count
        offset = end
    out = _spark_schema(
        _fairsynth.spark_reweight_resample(empty, s, options, factors, 0.0, 0.0, step, 0, name).schema
    )

    def draw(batches):  # on the executors
        import pyarrow as pa
        from pyspark import TaskContext

        from fairsynth import _fairsynth as native

        batches = list(batches)
        part = TaskContext.get().partitionId()
        if not batches or part not in plan:
            return
        off, first, count = plan[part]
        table = native.spark_reweight_resample(
            pa.Table.from_batches(batches), native.Schema(text, file), options, factors,
            off, first, step, count, f"{name} (partition {part})",
        )
        yield from _plain(table).to_batches()

    return df.mapInArrow(draw, out)


def _partition_states(df: Any, work) -> list[tuple[int, bytes]]:
    """Runs ``work(table, partition)`` on every non-empty partition of ``df`` and returns the bytes
    each made, in partition order; an error in a partition is raised here, at the driver, as
    the same ``fairsynth`` exception."""
    import pyarrow as pa

    def per_partition(batches):  # on the executors
        from pyspark import TaskContext

        from fairsynth import Error

        batches = list(batches)
        if not batches:
            return
        part = TaskContext.get().partitionId()
        state, error = None, None
        try:
            state = work(pa.Table.from_batches(batches), part)
        except Error as e:
            error = [type(e).__name__, str(e)]
        yield pa.RecordBatch.from_pydict(
            {"partition": [part], "state": [state], "error": [error]}, schema=_state_schema()
        )

    parts = sorted(df.mapInArrow(per_partition, _STATE_SPARK).collect(), key=lambda r: r["partition"])
    _raise_first(parts)
    return [(r["partition"], bytes(r["state"])) for r in parts]


def _states(df: Any, work) -> list[bytes]:
    """The bytes :func:`_partition_states` collects, without the partition numbers."""
    return [state for _, state in _partition_states(df, work)]


def _collect(df: Any, cap: int, seed: int) -> tuple[Any, bool]:
    """The rows of ``df`` at the driver as a pyarrow Table: all of them, in the DataFrame's
    order, when there are at most ``cap``; else about ``cap`` rows chosen by a hash of their
    content (so the same rows whatever the partitioning), in hash order."""
    from pyspark.sql import functions as F

    rows = df.count()
    if rows <= cap:
        return df.toArrow(), False
    cols = [F.col(f"`{c}`") for c in df.columns]
    h = F.xxhash64(F.lit(seed), *cols)
    # Keep a row when the low 31 bits of its hash fall below the wanted share of 2^31.
    limit = int(cap / rows * (1 << 31))
    picked = (
        df.withColumn("__fairsynth_h", h)
        .where((F.col("__fairsynth_h").bitwiseAND(F.lit(0x7FFFFFFF))) < F.lit(limit))
        .orderBy("__fairsynth_h", *cols)
        .drop("__fairsynth_h")
    )
    return picked.toArrow(), True


def evaluate(
    real: Any,
    synthetic: Any,
    schema: Schema | str | _os.PathLike[str],
    holdout: Any = None,
    thresholds: Thresholds = None,
    seed: int | None = None,
    *,
    sample_rows: int = 50_000,
    real_name: str = "real",
    synthetic_name: str = "synthetic",
    holdout_name: str = "holdout",
    max_rows: int = _linked.MAX_DRIVER_ROWS,
) -> Report:
    """Fidelity, utility, privacy and fairness of a synthetic DataFrame against the real one,
    as ``fairsynth.evaluate``, with the gates of the schema (``thresholds`` override them).

    Fidelity (every column's shape and every pair's dependence) comes from counts merged
    over every row of both DataFrames: two passes over each. Utility (a model trained on
    synthetic rows, tested on real ones), privacy (distances to the closest real record) and
    fairness are computed at the driver on the rows of each table, or, for a table of more
    than ``sample_rows`` rows, on about ``sample_rows`` of them chosen by a hash of the row
    (the same rows whatever the partitioning); the report says which. With tables of at most
    ``sample_rows`` rows the report equals ``fairsynth evaluate``'s (Pearson-based figures to
    about 1e-12: sums over partitions add in another order). Returns a :class:`Report`
    (``.passed``).

    Linked tables: a dict of DataFrames by table name and the path of a schema with
    ``tables:`` are gathered to the driver (at most ``max_rows`` rows over all tables,
    counted before anything is collected; :class:`fairsynth.UsageError` above it), each
    table's rows put in the order of its primary key (then of its other columns), and run
    as the Python package runs that dict of tables: the same on any partitioning, and equal
    to ``fairsynth evaluate --real DIR --synthetic DIR`` on a folder in key order. ``real``, ``synthetic``
    (and ``holdout``) dicts of DataFrames give the linked report; ``max_rows`` bounds each
    dict.
    """
    if isinstance(real, _Mapping) or isinstance(synthetic, _Mapping):
        return _linked.evaluate(
            real, synthetic, schema, holdout, max_rows,
            thresholds=thresholds, seed=seed,
        )
    s = _schema(schema)
    text, file = s.text, s.file
    names, skipped = _fairsynth.spark_evaluate_columns(
        s, list(real.columns), list(synthetic.columns), real_name, synthetic_name
    )
    seed_used = (s.seed or 0) if seed is None else seed

    def counts(table, part, label):
        from fairsynth import _fairsynth as native

        return native.spark_column_counts(
            table, native.Schema(text, file), names, f"{label} (partition {part})"
        )

    real_states = _states(real, lambda t, p: counts(t, p, real_name))
    syn_states = _states(synthetic, lambda t, p: counts(t, p, synthetic_name))
    plan, real_counts, syn_counts = _fairsynth.spark_fidelity_plan(s, names, real_states, syn_states)

    def pairs(table, part, label):
        from fairsynth import _fairsynth as native

        return native.spark_pair_counts(
            table, native.Schema(text, file), plan, names, f"{label} (partition {part})"
        )

    real_pairs = _states(real, lambda t, p: pairs(t, p, real_name))
    syn_pairs = _states(synthetic, lambda t, p: pairs(t, p, synthetic_name))

    real_rows, real_sampled = _collect(real, sample_rows, seed_used)
    syn_rows, syn_sampled = _collect(synthetic, sample_rows, seed_used)
    hold_rows = None
    if holdout is not None:
        hold_rows, _ = _collect(holdout, sample_rows, seed_used)
    options = _json.dumps(
        {
            "seed": seed,
            "thresholds": _thresholds(thresholds),
            "real_name": real_name,
            "synthetic_name": synthetic_name,
            "holdout_name": holdout_name if holdout is not None else None,
            "sampled": [real_rows.num_rows, syn_rows.num_rows]
            if (real_sampled or syn_sampled)
            else None,
        }
    )
    report, page, summary, passed = _fairsynth.spark_evaluate_finish(
        real_rows, syn_rows, hold_rows, s, options, plan, real_counts, syn_counts,
        real_pairs, syn_pairs,
    )
    return Report(_json.loads(report), page, summary, passed)


def _key_bytes(key: bytes | str | None) -> bytes | None:
    if key is None:
        return None
    if isinstance(key, str):
        return key.encode("utf-8")
    if isinstance(key, (bytes, bytearray, memoryview)):
        return bytes(key)
    raise TypeError(f"key: expected bytes or str, not {type(key).__name__}")


def deidentify(
    df: Any,
    schema: Schema | str | _os.PathLike[str],
    key: bytes | str | None = None,
    *,
    key_file: str | _os.PathLike[str] | None = None,
    name: str = "df",
    max_rows: int = _linked.MAX_DRIVER_ROWS,
    partitions: int | None = None,
) -> Result:
    """Minimisation, consent, keyed pseudonyms, redaction and k-anonymity on a DataFrame, as
    ``fairsynth.deidentify`` (and ``fairsynth deidentify``) on the same rows.

    Two passes over ``df``: pass 1 counts per partition and the driver judges the merged
    counts (safety net, k/l search); pass 2 transforms per partition and the driver merges
    what was released into the report. Raises, at the driver and before returning, the
    exception one process raises, with its message: :class:`fairsynth.PrivacyError`
    (undeclared identifiers, k unreachable, identifiers left after redaction,
    ``privacy.max_unique_share``), :class:`fairsynth.PseudonymKeyError` (no or a short key),
    :class:`fairsynth.InputError` (data that does not match the schema).

    The key, needed when a column is pseudonymised or faked:

    - ``key`` (bytes, or str as UTF-8): travels to the executors inside the task closure
      (serialised with the tasks; never logged, never in the plan or the report, which name
      it by fingerprint only). Use it where the cluster's task traffic is trusted;
    - ``key_file``: a path read by the driver and by every executor (ship it with
      ``spark-submit --files`` or mount a secret at the same path): the key never travels;
    - neither: the environment variable the schema's ``privacy.key_env`` names
      (``FAIRSYNTH_KEY``), read by the driver and by every executor (set it there with
      ``spark.executorEnv.FAIRSYNTH_KEY`` or the cluster's secret store): the key never
      travels in the closure.

    Every executor checks that its key has the driver's fingerprint.

    Returns a :class:`fairsynth.Result`: ``.table`` a DataFrame of the released rows (those
    of the single-process run; in ``df``'s partition order), ``.report`` the report with its
    HTML page. The DataFrame is lazy: writing it runs pass 2 again, which is deterministic
    (the same rows as the pass whose counts made the report); cache it (``.cache()``) to
    transform once if you use it more than once.

    Linked tables: a dict of DataFrames by table name and the path of a schema with
    ``tables:`` are gathered to the driver (at most ``max_rows`` rows over all tables,
    counted before anything is collected; :class:`fairsynth.UsageError` above it), each
    table's rows put in the order of its primary key (then of its other columns), and run
    as the Python package runs that dict of tables: the same on any partitioning, and equal
    to ``fairsynth deidentify DIR`` on a folder in key order. ``.table`` is a dict of
    DataFrames (``partitions`` slices each, default the most partitions of the inputs) with
    every key pseudonymised alike in every table, consent and suppression carried to
    children; ``.report`` the linked report. The key is used at the driver only.
    """
    import pyarrow as pa
    from pyspark.sql.pandas.types import to_arrow_schema

    if isinstance(df, _Mapping):
        return _linked.deidentify(df, schema, key, key_file, max_rows, partitions)
    s = _schema(schema)
    key = _key_bytes(key)
    key_file = _os.fspath(key_file) if key_file is not None else None
    text, file = s.text, s.file
    zone = df.sparkSession.conf.get("spark.sql.session.timeZone")
    empty = to_arrow_schema(df.schema, timezone=zone).empty_table()

    # Pass 1: counts per partition; at the driver, the plan (or the refusal).
    def count(table, part):  # pass 1, on the executors
        from fairsynth import _fairsynth as native

        return native.spark_deid_counts(table, native.Schema(text, file), f"{name} (partition {part})")

    counts = _states(df, count)
    plan = _fairsynth.spark_deid_plan(empty, s, counts, key, key_file, name)

    # Pass 2: what every partition releases, counted; at the driver, the report and gates.
    def release(table, part):  # pass 2 for the counts, on the executors
        from fairsynth import _fairsynth as native

        where = f"{name} (partition {part})"
        return native.spark_deid_transform(table, native.Schema(text, file), plan, key, key_file, where)[1]

    released = _states(df, release)
    report, page, summary = _fairsynth.spark_deid_finish(
        empty, s, counts, released, key, key_file, name
    )
    table, _ = _fairsynth.spark_deid_transform(empty, s, plan, key, key_file, name)
    out = _spark_schema(table.schema)

    def rows(batches):  # pass 2 again, when the DataFrame is computed
        from fairsynth import _fairsynth as native

        batches = list(batches)
        if not batches:
            return
        table, _ = native.spark_deid_transform(
            pa.Table.from_batches(batches), native.Schema(text, file), plan, key, key_file, name
        )
        yield from _plain(table).to_batches()

    report = Report(_json.loads(report), page, summary)
    prov = _provenance(s, "deidentify", {"report": dict(report)}, ["fairsynth.spark.deidentify", name])
    return Result(df.mapInArrow(rows, out), report, prov)


def fit(
    df: Any,
    schema: Schema | str | _os.PathLike[str],
    seed: int | None = None,
    epsilon: float | None = None,
    *,
    delta: float | None = None,
    dp_mechanism: str | None = None,
    max_cells: int | None = None,
    min_count: int = 10,
    bins: int = 20,
    max_parents: int = 3,
    name: str = "df",
    max_rows: int = _linked.MAX_DRIVER_ROWS,
) -> Model | LinkedModel:
    """Fits a model of a DataFrame, as ``fairsynth.fit`` (and ``fairsynth fit``) on the same
    rows: the same model, exactly (the model names its input ``name``; the CLI's names the
    file and records its SHA-256).

    Three passes over ``df`` (cache it, or read it from files, to avoid computing it three
    times), each collecting one small state per partition; the driver merges them and
    broadcasts what the next pass needs:

    1. rows per level or distinct value of every modelled column (exact counts: their size
       is the number of distinct values, as the single-process fit holds);
    2. rows per distinct tuple of codes (at most one entry per row, usually far fewer): the
       structure search, the tables, the held-out penalty choice and the pair terms run at
       the driver on the merged counts;
    3. the sums of the copula's normal scores and their products, in exact fixed point.

    ``epsilon`` makes the fit differentially private (noise drawn once, at the driver);
    ``delta``, ``dp_mechanism`` and ``max_cells`` are ``fairsynth.fit``'s.
    Raises at the driver the exception one process raises, with its message:
    :class:`fairsynth.UsageError` (no rows, undeclared identifiers, a head too large, bad
    options), :class:`fairsynth.InputError` (data that does not match the schema).

    Linked tables: a dict of DataFrames by table name and the path of a schema with
    ``tables:`` are gathered to the driver (at most ``max_rows`` rows over all tables,
    counted before anything is collected; :class:`fairsynth.UsageError` above it), each
    table's rows put in the order of its primary key (then of its other columns), and run
    as the Python package runs that dict of tables: the same on any partitioning, and equal
    to ``fairsynth fit DIR`` on a folder in key order. Returns a
    :class:`fairsynth.LinkedModel` (``epsilon`` is not available for linked tables). The
    linked fit augments every child table with its parent's columns and every parent with
    its children's counts over whole tables; that is not split into partition states yet.
    """
    if isinstance(df, _Mapping):
        if epsilon is not None:
            raise ValueError("epsilon is not available for linked tables yet")
        return _linked.fit(
            df, schema, max_rows, seed=seed, min_count=min_count, bins=bins, max_parents=max_parents
        )
    s = _schema(schema)
    text, file = s.text, s.file
    options = _json.dumps(
        {
            "seed": seed,
            "epsilon": epsilon,
            "delta": delta,
            "dp_mechanism": dp_mechanism,
            "max_cells": max_cells,
            "min_count": min_count,
            "bins": bins,
            "max_parents": max_parents,
        }
    )
    sc = df.sparkSession.sparkContext

    def summarise(table, part):  # pass 1, on the executors
        from fairsynth import _fairsynth as native

        return native.spark_fit_summary(table, native.Schema(text, file), f"{name} (partition {part})")

    summary = sc.broadcast(_fairsynth.spark_fit_plan(s, _states(df, summarise), options, name))

    def codes(table, part):  # pass 2, on the executors
        from fairsynth import _fairsynth as native

        where = f"{name} (partition {part})"
        return native.spark_fit_codes(table, native.Schema(text, file), summary.value, options, where)

    structure, has_copula = _fairsynth.spark_fit_structure(s, summary.value, _states(df, codes), options, name)
    sums: list[bytes] = []
    if has_copula:
        shared = sc.broadcast(structure)

        def copula(table, part):  # pass 3, on the executors
            from fairsynth import _fairsynth as native

            where = f"{name} (partition {part})"
            return native.spark_fit_copula(
                table, native.Schema(text, file), summary.value, shared.value, options, where
            )

        sums = _states(df, copula)
        shared.unpersist()
    summary.unpersist()
    return Model(_fairsynth.spark_fit_finish(structure, sums))


def audit(
    data: Any,
    schema: Schema | str | _os.PathLike[str],
    *,
    as_of: Any = None,
    thresholds: Thresholds = None,
    max_rows: int = _linked.MAX_DRIVER_ROWS,
) -> Report:
    """Examines real linked tables, as ``fairsynth.audit`` of a dict of tables (and
    ``fairsynth audit DIR --schema LINKED.yaml``): every table's audit, parity of a label by
    the protected columns of the rows it hangs from, proxies among the children's
    aggregates, and null, dangling and duplicate keys. ``data``: a dict of DataFrames by
    table name; ``schema``: the path of a schema with ``tables:``; ``as_of`` and
    ``thresholds`` are ``fairsynth.audit``'s.

    The tables are gathered to the driver (at most ``max_rows`` rows over all tables, counted
    before anything is collected; :class:`fairsynth.UsageError` above it), each table's rows
    in the order of its primary key. Returns a :class:`fairsynth.Report` with ``.passed``,
    equal to the command line's on a folder in key order.
    """
    return _linked.audit(data, schema, max_rows, as_of=as_of, thresholds=thresholds)
