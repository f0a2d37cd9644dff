"""fairsynth: representative, fair and de-identified training data, from Python.

Every command of the ``fairsynth`` command line is a function here. Tables go in as any
object with the Arrow PyCapsule interface (``__arrow_c_stream__``: a pyarrow ``Table`` or
``RecordBatchReader``, a polars or pandas >= 2.2 ``DataFrame``, a DuckDB result) or as a path
to a ``.csv`` or ``.parquet`` file, and come back as ``pyarrow.Table`` objects that share the
Rust library's buffers (``pl.from_arrow(t)`` and ``t.to_pandas()`` take them from there).
The work runs in Rust with the GIL released.

>>> import fairsynth
>>> schema = fairsynth.Schema.from_file("schemas/adult.yaml")
>>> result = fairsynth.reweight(df, schema)          # df: pandas, polars, pyarrow
>>> result.table                                      # the rows plus a `weight` column
>>> result.report["margins"]                          # the JSON report as a dict
>>> result.report                                     # in a notebook: the HTML report

Options are keyword arguments with the command line's names and defaults
(``--max-weight`` is ``max_weight=``). Errors are raised as :class:`fairsynth.Error`
subclasses carrying the command line's messages.
"""

from __future__ import annotations

import html as _html
import json as _json
import os as _os
import warnings as _warnings
from collections.abc import Mapping, Sequence
from typing import Any, Union

from . import _fairsynth
from ._errors import (
    Error,
    InputError,
    ModelError,
    OutputError,
    PrivacyError,
    PseudonymKeyError,
    SchemaError,
    UsageError,
)
from ._fairsynth import Schema

__version__: str = _fairsynth.__version__

__all__ = [
    "Schema",
    "Model",
    "LinkedModel",
    "Report",
    "Result",
    "Inspection",
    "synth",
    "reweight",
    "deidentify",
    "inspect",
    "fit",
    "evaluate",
    "audit",
    "use_kms",
    "Error",
    "SchemaError",
    "InputError",
    "UsageError",
    "PrivacyError",
    "PseudonymKeyError",
    "ModelError",
    "OutputError",
]

#: A table: an object with ``__arrow_c_stream__`` or a path to a .csv or .parquet file.
Data = Any
#: Targets: ``{column: {level: share}}`` or a path to a YAML targets file.
Targets = Union[Mapping[str, Mapping[Any, float]], str, "_os.PathLike[str]", None]
#: Quality gates: ``{key: value}`` or ``["key=value", ...]`` (the CLI's ``--threshold``).
Thresholds = Union[Mapping[str, float], Sequence[str], None]


def use_kms(client: Any) -> None:
    """Opens encrypted Parquet inputs with ``client``: any object with
    ``wrap_key(key_bytes, master_key_identifier)`` and
    ``unwrap_key(wrapped_key, master_key_identifier)``, such as the
    ``pyarrow.parquet.encryption.KmsClient`` a pyarrow user already has. ``None`` goes back to
    master keys from the environment (``FAIRSYNTH_KEY_<ID>``, base64). Columns whose key the
    client cannot unwrap are left out where a function can do without them (``audit`` says
    so in its notes) and named in the error where it cannot."""
    _fairsynth.use_kms(client)


def _schema(schema: Schema | str | _os.PathLike[str]) -> Schema:
    if isinstance(schema, Schema):
        return schema
    if isinstance(schema, (str, _os.PathLike)):
        return Schema.from_file(schema)
    raise TypeError(
        f"schema: expected a fairsynth.Schema or a path to a schema file, not {type(schema).__name__}"
    )


def _targets(targets: Targets) -> tuple[str | None, str | None]:
    """(path, JSON text) for the native layer."""
    if targets is None:
        return None, None
    if isinstance(targets, (str, _os.PathLike)):
        return _os.fspath(targets), None
    if isinstance(targets, Mapping):
        # JSON is YAML: the schema's own targets parser checks it, with its messages.
        return None, _json.dumps(
            {str(c): {str(k): v for k, v in dict(levels).items()} for c, levels in targets.items()}
        )
    raise TypeError(
        f"targets: expected a dict {{column: {{level: share}}}} or a path to a targets file, not {type(targets).__name__}"
    )



def _dialect(
    delimiter: str | None,
    decimal: str | None,
    thousands: str | None,
    date_format: str | None,
    timestamp_format: str | None,
    encoding: str | None,
    sheet: str | int | None,
) -> list[tuple[str, str]] | None:
    """How a file is written, as the command line's --delimiter ... --sheet: the keywords
    given (the rest is detected; they win over the schema's ``input:`` section)."""
    given = {
        "delimiter": delimiter,
        "decimal": decimal,
        "thousands": thousands,
        "date_format": date_format,
        "timestamp_format": timestamp_format,
        "encoding": encoding,
        "sheet": sheet,
    }
    pairs = [(k, str(v)) for k, v in given.items() if v is not None]
    return pairs or None

def _thresholds(thresholds: Thresholds) -> list[str]:
    if thresholds is None:
        return []
    if isinstance(thresholds, Mapping):
        return [f"{k}={v!r}" for k, v in thresholds.items()]
    if isinstance(thresholds, str):
        return [thresholds]
    return [str(t) for t in thresholds]


def _iframe(page: str, height: int = 640) -> str:
    # The page is a complete document with its own styles: an iframe keeps them from
    # restyling the notebook around it.
    return (
        f'<iframe srcdoc="{_html.escape(page, quote=True)}" '
        f'style="width:100%;height:{height}px;border:1px solid #ccc" '
        'sandbox="allow-same-origin"></iframe>'
    )


class Report(dict):
    """A command's JSON report as a ``dict``, with its readable HTML page.

    In a notebook it shows as the same self-contained page ``--html`` writes (charts
    included). ``str(report)`` is the summary the command line prints.
    """

    def __init__(
        self,
        data: Mapping[str, Any],
        html: str | None = None,
        summary: str = "",
        passed: bool | None = None,
    ) -> None:
        super().__init__(data)
        #: The self-contained HTML page (as ``--html`` writes it), when the command has one.
        self.html: str | None = html
        #: The summary the command line prints on stderr.
        self.summary: str = summary
        self._passed = passed

    @property
    def passed(self) -> bool:
        """Whether every quality gate passed (``evaluate`` and ``audit``; the command line
        exits 1 when one fails)."""
        if self._passed is None:
            raise AttributeError("this report has no quality gates")
        return self._passed

    @property
    def failed(self) -> list[dict[str, Any]]:
        """The failed gates (``key``, ``value``, ``limit``, ``detail``)."""
        return [c for c in self.get("checks", []) if c.get("status") == "failed"]

    def to_json(self, indent: int | None = 2) -> str:
        """The report as JSON text (what ``--report`` writes)."""
        return _json.dumps(self, indent=indent)

    def save_html(self, path: str | _os.PathLike[str]) -> None:
        """Writes the HTML page to ``path``."""
        if self.html is None:
            raise AttributeError("this report has no HTML page")
        with open(path, "w", encoding="utf-8") as f:
            f.write(self.html)

    def _repr_html_(self) -> str:
        if self.html is not None:
            return _iframe(self.html)
        return f"<pre>{_html.escape(self.summary or self.to_json())}</pre>"

    def __str__(self) -> str:
        return self.summary or self.to_json()

    def __repr__(self) -> str:
        return f"Report({dict.__repr__(self)})"


class Result:
    """A table and the report of the command that made it (``reweight``, ``deidentify``,
    ``Model.sample_with_report``). Unpacks as ``table, report = result``."""

    def __init__(self, table: Any, report: Report, provenance: dict | None = None) -> None:
        #: The output rows as a ``pyarrow.Table`` (provenance in ``table.schema.metadata``),
        #: or, from :mod:`fairsynth.spark`, a Spark DataFrame.
        self.table = table
        #: The report (a ``dict``; in a notebook, the HTML page).
        self.report = report
        #: From :mod:`fairsynth.spark`: the provenance that
        #: :func:`fairsynth.spark.write_parquet` writes beside the part files (a pyarrow
        #: Table carries its own, in its schema metadata).
        self.provenance = provenance

    def __iter__(self):  # noqa: D105
        yield self.table
        yield self.report

    def _repr_html_(self) -> str:
        return self.report._repr_html_()

    def __repr__(self) -> str:
        return f"Result(table={_describe_table(self.table)}, report={len(self.report)} keys)"


def _describe_table(table: Any) -> str:
    """A table's size for ``repr``: rows x columns of a pyarrow Table; a Spark DataFrame's
    columns only (its rows are not counted: that would run a Spark job); each of a dict of
    linked tables."""
    if isinstance(table, Mapping):
        # Linked tables: one table per name.
        return "{" + ", ".join(f"{k}: {_describe_table(t)}" for k, t in table.items()) + "}"
    if type(table).__module__.startswith("pyspark"):
        # Attribute lookup on a Spark DataFrame looks for a column of that name.
        return f"Spark DataFrame of {len(table.columns)} columns (rows not counted)"
    if hasattr(table, "num_rows") and hasattr(table, "num_columns"):
        return f"{table.num_rows} rows x {table.num_columns} columns"
    return type(table).__name__


class Inspection:
    """What ``inspect`` found: the profile (a ``dict``, what ``--report`` writes) and the
    drafted schema text (what ``--draft-schema`` writes), for a person to review."""

    def __init__(self, profile: Report, draft_schema: str) -> None:
        #: The profile: rows, and per column the inferred type, nulls, distinct values,
        #: identifier findings and the proposed role.
        self.profile = profile
        #: A drafted schema (YAML) with proposed roles; review it before use.
        self.draft_schema = draft_schema

    def _repr_html_(self) -> str:
        e = _html.escape
        rows = []
        for c in self.profile.get("columns", []):
            kinds = ", ".join(f["kind"] for f in c.get("findings", []))
            rows.append(
                "<tr>"
                f"<td><code>{e(c['name'])}</code></td><td>{e(c['inferred_type'])}</td>"
                f"<td>{c['nulls']}</td><td>{c['distinct']}{'+' if c.get('distinct_capped') else ''}</td>"
                f"<td>{e(kinds)}</td><td>{e(c['proposed_role'])}</td><td>{e(c.get('proposed_action') or '')}</td>"
                f"<td>{e(c.get('reason', ''))}</td></tr>"
            )
        return (
            f"<p><b>{e(str(self.profile.get('input', '')))}</b>: {self.profile.get('rows', 0)} rows</p>"
            "<table><thead><tr><th>column</th><th>type</th><th>nulls</th><th>distinct</th>"
            "<th>identifiers found</th><th>proposed role</th><th>action</th><th>why</th></tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table>"
            f"<details><summary>drafted schema</summary><pre>{e(self.draft_schema)}</pre></details>"
        )

    def __repr__(self) -> str:
        return f"Inspection(rows={self.profile.get('rows')}, columns={len(self.profile.get('columns', []))})"


def synth(
    schema: Schema | str | _os.PathLike[str],
    rows: int | None = None,
    seed: int | None = None,
    *,
    threads: int | None = None,
    scale: float | None = None,
) -> Any:
    """A synthetic table from the schema alone (``fairsynth synth``).

    ``rows`` and ``seed`` default to the schema's ``rows`` and ``seed`` (0 when it has none).
    The rows equal those of ``fairsynth synth`` with the same schema, rows and seed, for any
    ``threads``. Returns a ``pyarrow.Table`` (provenance in its schema metadata under
    ``fairsynth``).

    A schema file of linked tables (``tables:``) gives a dict of ``pyarrow.Table`` by table
    name, the rows ``fairsynth synth`` writes into its folder; ``scale`` multiplies every root
    table's rows (``rows`` is for one table).
    """
    if isinstance(schema, (str, _os.PathLike)):
        path = _os.fspath(schema)
        try:
            with open(path, encoding="utf-8") as f:
                text = f.read()
        except (OSError, UnicodeDecodeError):
            text = None  # Schema.from_file raises the CLI's message
        if text is not None and _fairsynth.declares_tables(text):
            if rows is not None:
                raise ValueError(
                    "rows sets the rows of one table, but this schema declares linked tables; "
                    "use scale to multiply every root table's rows"
                )
            return _fairsynth.synth_linked(text, path, scale, seed, threads)
    if scale is not None:
        raise ValueError("scale multiplies the rows of linked tables; this schema has one table: use rows")
    return _fairsynth.synth(_schema(schema), rows, seed, threads)


def reweight(
    data: Data,
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
    format: str | None = None,
    delimiter: str | None = None,
    decimal: str | None = None,
    thousands: str | None = None,
    date_format: str | None = None,
    timestamp_format: str | None = None,
    encoding: str | None = None,
    sheet: str | int | None = None,
    name: str = "data",
    threads: int | None = None,
) -> Result:
    """Rakes a real table to target marginals and makes the label independent of the
    protected columns (``fairsynth reweight``).

    ``targets``: ``{column: {level: share}}`` or a targets file; default the schema's.
    ``resample=N`` returns N rows drawn with probability proportional to weight (seeded by
    ``seed``, default the schema's) instead of the rows with a ``weight`` column. The other
    options are the command line's. ``name`` names an in-memory table in messages;
    ``format`` ("csv", "parquet", "xlsx", "xls" or "ods") reads a file whose extension does
    not say; ``delimiter`` ... ``sheet`` say how it is written (see :func:`inspect`).

    Returns a :class:`Result`: ``.table`` (the input rows in order plus the weight column,
    identifier columns left out unless ``keep_identifiers``) and ``.report`` (per margin
    target/before/after, weights, parity). Raises :class:`UsageError` for targets the data
    cannot meet (before any work, as the CLI's exit 2) and :class:`InputError` for data that
    does not match the schema.

    Linked tables: a dict of tables by name and the path of a schema with ``tables:`` give
    ``fairsynth reweight DIR``'s folder as a dict (``.table``): the people of each root table
    with ``targets:`` or ``fairness:`` reweighted, every row below them carrying its person's
    weight; ``.report`` holds each root's report and which weights each table carries. A
    child table's ``fairness:`` naming the person's protected columns (``client.sex``) is
    met too: the people are weighted so that the label's rate among the child rows is the
    same in every group of the person, and ``.report["children"]`` gives its parity before
    and after.
    """
    if isinstance(data, Mapping):
        if targets is not None or resample is not None:
            raise UsageError(
                "targets and resample apply to one table; linked tables are reweighted to each "
                "root table's `targets:` and `fairness:` (put the targets in the entry of the "
                "table of people)"
            )
        text, path = _linked_schema(schema, "reweight")
        tables, report, summary = _fairsynth.reweight_linked(
            dict(data),
            text,
            path,
            no_parity=no_parity,
            tolerance=tolerance,
            max_iterations=max_iterations,
            min_weight=min_weight,
            max_weight=max_weight,
            no_start_weights=no_start_weights,
            keep_identifiers=keep_identifiers,
            weight_column=weight_column,
            threads=threads,
        )
        return Result(tables, Report(_json.loads(report), None, summary))
    tp, tt = _targets(targets)
    table, report, page, summary = _fairsynth.reweight(
        data,
        _schema(schema),
        name=name,
        format=format,
        dialect=_dialect(
            delimiter, decimal, thousands, date_format, timestamp_format, encoding, sheet
        ),
        targets_path=tp,
        targets_text=tt,
        resample=resample,
        seed=seed,
        max_weight=max_weight,
        min_weight=min_weight,
        tolerance=tolerance,
        max_iterations=max_iterations,
        no_parity=no_parity,
        no_start_weights=no_start_weights,
        keep_identifiers=keep_identifiers,
        weight_column=weight_column,
        threads=threads,
    )
    r = Report(_json.loads(report), page, summary)
    if not r.get("converged", True):
        _warnings.warn(summary.strip().splitlines()[-1], RuntimeWarning, stacklevel=2)
    return Result(table, r)


def deidentify(
    data: Data,
    schema: Schema | str | _os.PathLike[str],
    key: bytes | str | None = None,
    *,
    key_file: str | _os.PathLike[str] | None = None,
    format: str | None = None,
    delimiter: str | None = None,
    decimal: str | None = None,
    thousands: str | None = None,
    date_format: str | None = None,
    timestamp_format: str | None = None,
    encoding: str | None = None,
    sheet: str | int | None = None,
    name: str = "data",
    threads: int | None = None,
) -> Result:
    """Minimisation, consent, keyed pseudonyms, redaction and k-anonymity
    (``fairsynth deidentify``).

    ``key``: the pseudonymisation key (``bytes``, or ``str`` taken as UTF-8; trailing
    whitespace is trimmed as from a key file; at least 16 bytes). Without it, ``key_file``,
    else the environment variable the schema's ``privacy.key_env`` names (``FAIRSYNTH_KEY``).
    The key is never logged, stored or returned; the report names it by fingerprint only.

    Returns a :class:`Result` with the released rows and the report (actions, findings,
    k-anonymity, the singling-out risk). Raises :class:`PrivacyError` when it refuses to
    release (undeclared identifiers, k unreachable) and :class:`PseudonymKeyError` for a
    missing or short key.

    Linked tables: ``data`` a dict of tables by name (pyarrow, pandas, polars) and ``schema``
    a schema file with ``tables:`` give a :class:`Result` whose ``table`` is a dict of
    ``pyarrow.Table`` by name, the rows ``fairsynth deidentify DIR`` writes: keys
    pseudonymised alike in every table, consent and suppression carried to children, and
    the per-person figures over all tables in the report.
    """
    if isinstance(key, str):
        key = key.encode("utf-8")
    elif key is not None and not isinstance(key, (bytes, bytearray, memoryview)):
        raise TypeError(f"key: expected bytes or str, not {type(key).__name__}")
    if isinstance(data, Mapping):
        if not isinstance(schema, (str, _os.PathLike)):
            raise TypeError("a dict of tables needs the path of a schema of linked tables")
        path = _os.fspath(schema)
        with open(path, encoding="utf-8") as f:
            text = f.read()
        tables, report, summary = _fairsynth.deidentify_linked(
            dict(data),
            text,
            path,
            key=bytes(key) if key is not None else None,
            key_file=_os.fspath(key_file) if key_file is not None else None,
            threads=threads,
        )
        return Result(tables, Report(_json.loads(report), None, summary))
    s = _schema(schema)
    if key_file is not None and key is None and _os.environ.get(s.key_env):
        _warnings.warn(
            f"both key_file and the environment variable `{s.key_env}` are set; the key file is used",
            stacklevel=2,
        )
    table, report, page, summary = _fairsynth.deidentify(
        data,
        s,
        name=name,
        format=format,
        dialect=_dialect(
            delimiter, decimal, thousands, date_format, timestamp_format, encoding, sheet
        ),
        key=bytes(key) if key is not None else None,
        key_file=_os.fspath(key_file) if key_file is not None else None,
        threads=threads,
    )
    return Result(table, Report(_json.loads(report), page, summary))


def inspect(
    data: Data,
    schema: Schema | str | _os.PathLike[str] | None = None,
    *,
    format: str | None = None,
    delimiter: str | None = None,
    decimal: str | None = None,
    thousands: str | None = None,
    date_format: str | None = None,
    timestamp_format: str | None = None,
    encoding: str | None = None,
    sheet: str | int | None = None,
    name: str = "data",
) -> Inspection:
    """Profiles an unknown table, detects identifiers by name and content, and drafts a
    schema for review (``fairsynth inspect``). ``schema`` types the columns it declares.

    A file (``.csv``, ``.tsv``, ``.csv.gz``, ``.parquet``, ``.xlsx``, ``.xls``, ``.ods``) is
    read as detected: delimiter, decimal comma, thousands separator, date format, encoding;
    ``delimiter``, ``decimal``, ``thousands``, ``date_format``, ``timestamp_format``,
    ``encoding`` and ``sheet`` (a workbook's sheet name, or its number, 1 the first) say it
    instead, as the command line's flags do, in every function that reads a table. What was
    detected is in ``report["read_as"]`` and in the draft's ``input:`` section."""
    s = _schema(schema) if schema is not None else None
    profile, draft, summary = _fairsynth.inspect(
        data,
        s,
        name=name,
        format=format,
        dialect=_dialect(
            delimiter, decimal, thousands, date_format, timestamp_format, encoding, sheet
        ),
    )
    return Inspection(Report(_json.loads(profile), None, summary), draft)


class Model:
    """A fitted model of a real table (``fairsynth fit``): a Bayesian network over its
    columns, optionally differentially private. Holds counts per combination of a few columns
    and bin edges, never a real row."""

    def __init__(self, native: Any) -> None:
        self._native = native

    @staticmethod
    def load(path: str | _os.PathLike[str]) -> Model:
        """Reads a model file written by :meth:`save` or ``fairsynth fit``."""
        return Model(_fairsynth.NativeModel.load(_os.fspath(path)))

    def save(self, path: str | _os.PathLike[str]) -> None:
        """Writes the model file ``fairsynth sample`` reads (atomically)."""
        self._native.save(_os.fspath(path))

    def to_json(self) -> str:
        """The model file's JSON text."""
        return self._native.to_json()

    @property
    def rows(self) -> int:
        """Rows of the fitted table: the default for :meth:`sample`."""
        return self._native.rows

    @property
    def privacy(self) -> dict | None:
        """The differential-privacy ledger of a model fitted with ``epsilon`` (total
        ``epsilon``, ``delta``, ``rho``, ``mechanism`` and per group of queries its
        ``purpose``, ``mechanism``, ``tables``, ``epsilon``, ``rho`` and noise ``scale``), else
        ``None``. Samples carry it in their provenance (``privacy``)."""
        return _json.loads(self._native.to_json()).get("privacy")

    @property
    def schema(self) -> Schema:
        """The schema the model was fitted with."""
        return Schema(self._native.schema_text, self._native.schema_file)

    def sample(
        self,
        rows: int | None = None,
        targets: Targets = None,
        seed: int | None = None,
        *,
        schema_targets: bool = False,
        no_fairness: bool = False,
        threads: int | None = None,
    ) -> Any:
        """A synthetic table drawn from the model (``fairsynth sample``), as a
        ``pyarrow.Table``.

        ``rows`` defaults to the fitted table's rows; ``targets`` (a dict or a targets file)
        sets shares of protected, label or target columns (``schema_targets=True`` takes the
        schema's); the label is drawn independent of the protected columns when the schema
        has ``fairness`` (``no_fairness=True`` keeps the fitted dependence). Equal row for row
        to ``fairsynth sample`` with the same model, rows, targets and seed. The sampling
        report is in the table's metadata (``fairsynth`` -> ``sampling``); see
        :meth:`sample_with_report` for it with its HTML page.
        """
        return self.sample_with_report(
            rows,
            targets,
            seed,
            schema_targets=schema_targets,
            no_fairness=no_fairness,
            threads=threads,
        ).table

    def sample_with_report(
        self,
        rows: int | None = None,
        targets: Targets = None,
        seed: int | None = None,
        *,
        schema_targets: bool = False,
        no_fairness: bool = False,
        threads: int | None = None,
    ) -> Result:
        """As :meth:`sample`, returning a :class:`Result` with the sampling report."""
        tp, tt = _targets(targets)
        table, report, page, summary = self._native.sample(
            rows,
            targets_path=tp,
            targets_text=tt,
            schema_targets=schema_targets,
            no_fairness=no_fairness,
            seed=seed,
            threads=threads,
        )
        return Result(table, Report(_json.loads(report), page, summary))

    def __str__(self) -> str:
        return self._native.summary()

    def __repr__(self) -> str:
        return f"Model(rows={self.rows}, schema={self._native.schema_file!r})"


class LinkedModel:
    """A fitted model of linked tables (``fairsynth fit DIR``): one model per table, each
    child's drawn given its parent's columns, children per parent modelled, siblings in time
    order and the date rules of the real rows held. Holds no real row."""

    def __init__(self, native: Any) -> None:
        self._native = native

    @staticmethod
    def load(path: str | _os.PathLike[str]) -> LinkedModel:
        """Reads a linked model file written by :meth:`save` or ``fairsynth fit DIR``."""
        return LinkedModel(_fairsynth.NativeLinkedModel.load(_os.fspath(path)))

    def save(self, path: str | _os.PathLike[str]) -> None:
        """Writes the model file ``fairsynth sample`` reads (atomically)."""
        self._native.save(_os.fspath(path))

    def to_json(self) -> str:
        """The model file's JSON text."""
        return self._native.to_json()

    @property
    def tables(self) -> dict[str, int]:
        """Fitted rows per table, in generation order."""
        return dict(self._native.tables())

    @property
    def privacy(self) -> dict[str, Any] | None:
        """The privacy ledger of a model fitted with ``epsilon`` (per table, per query, and
        the totals), else ``None``."""
        return _json.loads(self.to_json()).get("privacy")

    def sample(
        self,
        seed: int | None = None,
        *,
        scale: float | None = None,
        schema_targets: bool = False,
        no_fairness: bool = False,
        threads: int | None = None,
    ) -> dict[str, Any]:
        """Every table sampled, as a dict of ``pyarrow.Table`` by name: the files
        ``fairsynth sample`` writes into its folder with the same model and seed. ``scale``
        multiplies the root tables' fitted rows; children follow their parents.
        ``schema_targets=True`` draws each root table's people to its schema ``targets``; a
        root table's ``fairness`` applies unless ``no_fairness=True``."""
        return self._native.sample(seed, scale, threads, schema_targets, no_fairness)

    def __repr__(self) -> str:
        return f"LinkedModel(tables={self.tables!r})"


def _linked_schema(schema: Any, what: str) -> tuple[str, str]:
    if not isinstance(schema, (str, _os.PathLike)):
        raise TypeError(f"{what} of a dict of tables needs the path of a schema of linked tables")
    path = _os.fspath(schema)
    with open(path, encoding="utf-8") as f:
        return f.read(), path


def fit(
    data: Data,
    schema: Schema | str | _os.PathLike[str],
    seed: int | None = None,
    epsilon: float | None = None,
    *,
    delta: float | None = None,
    dp_mechanism: str | None = None,
    max_cells: int | None = None,
    max_children: int | None = None,
    min_count: int = 10,
    bins: int = 20,
    max_parents: int = 3,
    format: str | None = None,
    delimiter: str | None = None,
    decimal: str | None = None,
    thousands: str | None = None,
    date_format: str | None = None,
    timestamp_format: str | None = None,
    encoding: str | None = None,
    sheet: str | int | None = None,
    name: str = "data",
    threads: int | None = None,
) -> Model:
    """Fits a model of a real table (``fairsynth fit``).

    ``epsilon`` makes it differentially private ((epsilon, delta)-DP from zero-concentrated DP
    with Gaussian noise; categories and numeric bounds must then come from the schema);
    ``delta`` (default 1e-9) and ``dp_mechanism`` (``"gaussian"``, or ``"laplace"`` for pure
    epsilon-DP, delta 0) apply only with ``epsilon``; ``max_cells`` bounds the model's tables
    (default 1,048,576 cells). The ledger of a private model is in ``model.privacy`` and in the
    provenance of every sample. ``seed`` seeds the noise (default the schema's). The other
    options are the command line's.

    Linked tables: ``data`` a dict of tables by name (pyarrow, pandas, polars) and ``schema``
    the path of a schema with ``tables:`` give a :class:`LinkedModel` (``fairsynth fit DIR``).
    With ``epsilon`` the fit is private for each person of a root table with their children,
    at most ``max_children`` (default 10) per parent per relationship (``--max-children``);
    its ledger is in ``model.privacy``.
    """
    if isinstance(data, Mapping):
        text, path = _linked_schema(schema, "fit")
        return LinkedModel(
            _fairsynth.fit_linked(
                dict(data),
                text,
                path,
                seed=seed,
                min_count=min_count,
                bins=bins,
                max_parents=max_parents,
                threads=threads,
                epsilon=epsilon,
                delta=delta,
                dp_mechanism=dp_mechanism,
                max_cells=max_cells,
                max_children=max_children,
            )
        )
    if max_children is not None:
        raise ValueError(
            "max_children bounds the children of each parent in linked tables; give a dict of tables"
        )
    return Model(
        _fairsynth.fit(
            data,
            _schema(schema),
            name=name,
            format=format,
            dialect=_dialect(
                delimiter, decimal, thousands, date_format, timestamp_format, encoding, sheet
            ),
            seed=seed,
            epsilon=epsilon,
            min_count=min_count,
            bins=bins,
            max_parents=max_parents,
            threads=threads,
            delta=delta,
            dp_mechanism=dp_mechanism,
            max_cells=max_cells,
        )
    )


def evaluate(
    real: Data,
    synthetic: Data,
    schema: Schema | str | _os.PathLike[str],
    holdout: Data | None = None,
    thresholds: Thresholds = None,
    *,
    targets: Targets = None,
    no_targets: bool = False,
    seed: int | None = None,
    threads: int | None = None,
    delimiter: str | None = None,
    decimal: str | None = None,
    thousands: str | None = None,
    date_format: str | None = None,
    timestamp_format: str | None = None,
    encoding: str | None = None,
    sheet: str | int | None = None,
) -> Report:
    """Measures a synthetic table against the real one: fidelity, utility, privacy and
    fairness (``fairsynth evaluate``).

    ``holdout``: real rows the synthesiser did not see (the test set for utility, the
    baseline for distance to closest record). ``thresholds`` override the schema's quality
    gates (``{"max_exact_copies": 0.05}``). ``targets`` (a dict or a targets file) the
    synthetic table was drawn to: fidelity is then also measured against the real table
    reweighted to them (``report["targets"]``), and the fidelity gates judge those figures;
    by default the targets ``sample`` recorded in the synthetic table's metadata are used,
    ``no_targets=True`` uses none (``--targets``, ``--no-targets``). Returns a
    :class:`Report`; ``.passed`` is False when a gate fails (where the command line exits 1),
    ``.failed`` lists those gates.

    Linked tables: ``real`` and ``synthetic`` dicts of tables by name and ``schema`` the path
    of a schema with ``tables:`` give the report of ``fairsynth evaluate --real DIR
    --synthetic DIR``: per-table fidelity, integrity and children per parent of every key,
    parent-child trends, the date rules of the real rows, the detection test on each table's
    rows with their descendants' aggregates and the privacy of whole profiles of people (the
    membership test with a ``holdout`` dict of held-out people's tables), with their gates.
    """
    if isinstance(real, Mapping) or isinstance(synthetic, Mapping):
        if not (isinstance(real, Mapping) and isinstance(synthetic, Mapping)):
            raise TypeError("real and synthetic: give two dicts of tables, or two tables")
        if holdout is not None and not isinstance(holdout, Mapping):
            raise TypeError("holdout: give a dict of the held-out people's tables, as real is")
        text, path = _linked_schema(schema, "evaluate")
        report, page, summary, passed = _fairsynth.evaluate_linked(
            dict(real),
            dict(synthetic),
            text,
            path,
            holdout=None if holdout is None else dict(holdout),
            thresholds=_thresholds(thresholds),
            seed=seed,
            threads=threads,
        )
        return Report(_json.loads(report), page, summary, passed)
    tp, tt = _targets(targets)
    report, page, summary, passed = _fairsynth.evaluate(
        real,
        synthetic,
        _schema(schema),
        holdout=holdout,
        thresholds=_thresholds(thresholds),
        seed=seed,
        threads=threads,
        targets_path=tp,
        targets_text=tt,
        no_targets=no_targets,
        dialect=_dialect(
            delimiter, decimal, thousands, date_format, timestamp_format, encoding, sheet
        ),
    )
    return Report(_json.loads(report), page, summary, passed)


def audit(
    data: Data,
    schema: Schema | str | _os.PathLike[str],
    targets: Targets = None,
    *,
    baseline: str | _os.PathLike[str] | None = None,
    as_of: Any = None,
    thresholds: Thresholds = None,
    format: str | None = None,
    delimiter: str | None = None,
    decimal: str | None = None,
    thousands: str | None = None,
    date_format: str | None = None,
    timestamp_format: str | None = None,
    encoding: str | None = None,
    sheet: str | int | None = None,
    name: str = "data",
    threads: int | None = None,
) -> Report:
    """Examines a real training table: representation, outcome parity, proxies,
    identifiers, data quality and drift (``fairsynth audit``).

    ``baseline``: an earlier audit's JSON report file (``report.to_json()`` saved), for
    drift. ``as_of``: the date staleness is measured to (``"YYYY-MM-DD"`` or a
    ``datetime.date``; default today, UTC). Returns a :class:`Report` with ``.passed``.

    Linked tables: ``data`` a dict of tables by name and ``schema`` the path of a schema with
    ``tables:`` give the report of ``fairsynth audit DIR``: every table's audit, parity of a
    label by the protected columns of the rows it hangs from, proxies among the children's
    aggregates, and null, dangling and duplicate keys (targets come from the schema).
    """
    when = as_of.isoformat() if hasattr(as_of, "isoformat") else as_of
    if isinstance(data, Mapping):
        if targets is not None or baseline is not None:
            raise ValueError(
                "targets and baseline apply to one table; linked tables are audited against "
                "each table's `targets:` in the schema"
            )
        text, path = _linked_schema(schema, "audit")
        report, page, summary, passed = _fairsynth.audit_linked(
            dict(data),
            text,
            path,
            as_of=when,
            thresholds=_thresholds(thresholds),
            threads=threads,
        )
        return Report(_json.loads(report), page, summary, passed)
    tp, tt = _targets(targets)
    report, page, summary, passed = _fairsynth.audit(
        data,
        _schema(schema),
        name=name,
        format=format,
        dialect=_dialect(
            delimiter, decimal, thousands, date_format, timestamp_format, encoding, sheet
        ),
        targets_path=tp,
        targets_text=tt,
        baseline=_os.fspath(baseline) if baseline is not None else None,
        as_of=when,
        thresholds=_thresholds(thresholds),
        threads=threads,
    )
    return Report(_json.loads(report), page, summary, passed)
