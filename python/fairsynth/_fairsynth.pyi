"""Type stubs of the native module `fairsynth._fairsynth` (see `fairsynth` for the documented API)."""

from os import PathLike
from typing import Any

import pyarrow

__version__: str

class Schema:
    """A schema: the contract between the user and every command."""

    def __init__(self, text: str, name: str = "<string>") -> None: ...
    @staticmethod
    def from_file(path: str | PathLike[str]) -> Schema: ...
    def check(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def file(self) -> str: ...
    @property
    def sha256(self) -> str: ...
    @property
    def text(self) -> str: ...
    @property
    def columns(self) -> list[str]: ...
    @property
    def seed(self) -> int | None: ...
    @property
    def rows(self) -> int: ...
    @property
    def key_env(self) -> str: ...

class NativeModel:
    @staticmethod
    def load(path: str | PathLike[str]) -> NativeModel: ...
    def save(self, path: str | PathLike[str]) -> None: ...
    def to_json(self) -> str: ...
    def summary(self) -> str: ...
    @property
    def rows(self) -> int: ...
    @property
    def schema_text(self) -> str: ...
    @property
    def schema_file(self) -> str: ...
    def sample(
        self,
        rows: int | None,
        *,
        targets_path: str | None,
        targets_text: str | None,
        schema_targets: bool,
        no_fairness: bool,
        seed: int | None,
        threads: int | None,
    ) -> tuple[pyarrow.Table, str, str, str]: ...

class NativeLinkedModel:
    @staticmethod
    def load(path: str | PathLike[str]) -> NativeLinkedModel: ...
    def save(self, path: str | PathLike[str]) -> None: ...
    def to_json(self) -> str: ...
    def tables(self) -> list[tuple[str, int]]: ...
    def sample(
        self,
        seed: int | None,
        scale: float | None,
        threads: int | None,
        schema_targets: bool = False,
        no_fairness: bool = False,
    ) -> dict[str, pyarrow.Table]: ...

def fit_linked(
    tables: dict[str, Any],
    text: str,
    name: str,
    *,
    seed: int | None,
    min_count: int,
    bins: int,
    max_parents: int,
    threads: int | None,
) -> NativeLinkedModel: ...
def evaluate_linked(
    real: dict[str, Any],
    synthetic: dict[str, Any],
    text: str,
    name: str,
    *,
    holdout: dict[str, Any] | None,
    thresholds: list[str],
    seed: int | None,
    threads: int | None,
) -> tuple[str, str, str, bool]: ...
def audit_linked(
    tables: dict[str, Any],
    text: str,
    name: str,
    *,
    as_of: str | None,
    thresholds: list[str],
    threads: int | None,
) -> tuple[str, str, str, bool]: ...
def reweight_linked(
    tables: dict[str, Any],
    text: str,
    name: str,
    *,
    no_parity: bool,
    tolerance: float,
    max_iterations: int,
    min_weight: float | None,
    max_weight: float | None,
    no_start_weights: bool,
    keep_identifiers: bool,
    weight_column: str,
    threads: int | None,
) -> tuple[dict[str, pyarrow.Table], str, str]: ...
def synth(
    schema: Schema, rows: int | None = None, seed: int | None = None, threads: int | None = None
) -> pyarrow.Table: ...
def synth_linked(
    text: str,
    name: str,
    scale: float | None = None,
    seed: int | None = None,
    threads: int | None = None,
) -> dict[str, pyarrow.Table]: ...
def declares_tables(text: str) -> bool: ...
def deidentify_linked(
    tables: dict[str, Any],
    text: str,
    name: str,
    *,
    key: bytes | None,
    key_file: str | None,
    threads: int | None,
) -> tuple[dict[str, pyarrow.Table], str, str]: ...
def reweight(
    data: Any,
    schema: Schema,
    *,
    name: str,
    format: str | None,
    targets_path: str | None,
    targets_text: str | None,
    resample: int | None,
    seed: int | None,
    max_weight: float | None,
    min_weight: float | None,
    tolerance: float,
    max_iterations: int,
    no_parity: bool,
    no_start_weights: bool,
    keep_identifiers: bool,
    weight_column: str,
    threads: int | None,
    dialect: list[tuple[str, str]] | None = None,
) -> tuple[pyarrow.Table, str, str, str]: ...
def deidentify(
    data: Any,
    schema: Schema,
    *,
    name: str,
    format: str | None,
    key: bytes | None,
    key_file: str | None,
    threads: int | None,
    dialect: list[tuple[str, str]] | None = None,
) -> tuple[pyarrow.Table, str, str, str]: ...
def inspect(
    data: Any,
    schema: Schema | None,
    *,
    name: str,
    format: str | None,
    dialect: list[tuple[str, str]] | None = None,
) -> tuple[str, str, str]: ...
def fit(
    data: Any,
    schema: Schema,
    *,
    name: str,
    format: str | None,
    seed: int | None,
    epsilon: float | None,
    min_count: int,
    bins: int,
    max_parents: int,
    threads: int | None,
    dialect: list[tuple[str, str]] | None = None,
    delta: float | None = None,
    dp_mechanism: str | None = None,
    max_cells: int | None = None,
) -> NativeModel: ...
def evaluate(
    real: Any,
    synthetic: Any,
    schema: Schema,
    *,
    holdout: Any | None,
    thresholds: list[str],
    seed: int | None,
    threads: int | None,
    targets_path: str | None = None,
    targets_text: str | None = None,
    no_targets: bool = False,
    dialect: list[tuple[str, str]] | None = None,
) -> tuple[str, str, str, bool]: ...
def audit(
    data: Any,
    schema: Schema,
    *,
    name: str,
    format: str | None,
    targets_path: str | None,
    targets_text: str | None,
    baseline: str | None,
    as_of: str | None,
    thresholds: list[str],
    threads: int | None,
    dialect: list[tuple[str, str]] | None = None,
) -> tuple[str, str, str, bool]: ...

# The pieces fairsynth.spark runs per partition and at the driver (python/src/spark*.rs).
BLOCK_ROWS: int
def use_kms(client: Any) -> None: ...
def spark_synth_blocks(schema: Schema, seed: int, rows: int, first: int, end: int) -> Any: ...
def spark_sample_blocks(model: NativeModel, options: str, rows: int, first: int, end: int) -> Any: ...
def spark_sample_report(model: NativeModel, options: str) -> str: ...
def spark_model_from_json(text: str) -> NativeModel: ...
def spark_reweight_state(data: Any, schema: Schema, options: str, name: str) -> bytes: ...
def spark_reweight_solve(
    states: list[bytes], schema: Schema, options: str, name: str
) -> tuple[str, bytes, str, str]: ...
def spark_reweight_apply(data: Any, schema: Schema, options: str, factors: bytes, name: str) -> Any: ...
def spark_reweight_chunk_weight(data: Any, schema: Schema, factors: bytes, name: str) -> tuple[int, float]: ...
def spark_resample_points(schema: Schema, options: str, total_weight: float) -> tuple[float, float]: ...
def spark_reweight_resample(
    data: Any, schema: Schema, options: str, factors: bytes, offset: float, point: float,
    step: float, count: int, name: str,
) -> Any: ...
def spark_deid_counts(data: Any, schema: Schema, name: str) -> bytes: ...
def spark_deid_plan(
    columns: Any, schema: Schema, states: list[bytes], key: bytes | None, key_file: str | None, name: str
) -> bytes: ...
def spark_deid_transform(
    data: Any, schema: Schema, plan: bytes, key: bytes | None, key_file: str | None, name: str
) -> tuple[Any, bytes]: ...
def spark_deid_finish(
    columns: Any,
    schema: Schema,
    states: list[bytes],
    released: list[bytes],
    key: bytes | None,
    key_file: str | None,
    name: str,
) -> tuple[str, str, str]: ...
def spark_fit_summary(data: Any, schema: Schema, name: str) -> bytes: ...
def spark_fit_plan(schema: Schema, states: list[bytes], options: str, name: str) -> bytes: ...
def spark_fit_codes(data: Any, schema: Schema, summary: bytes, options: str, name: str) -> bytes: ...
def spark_fit_structure(
    schema: Schema, summary: bytes, states: list[bytes], options: str, name: str
) -> tuple[bytes, bool]: ...
def spark_fit_copula(
    data: Any, schema: Schema, summary: bytes, structure: bytes, options: str, name: str
) -> bytes: ...
def spark_fit_finish(structure: bytes, states: list[bytes]) -> NativeModel: ...
def spark_provenance(schema: Schema, command: str, fields: str, command_line: list[str]) -> str: ...
def spark_evaluate_columns(
    schema: Schema, real: list[str], synthetic: list[str], real_name: str, synthetic_name: str
) -> tuple[list[str], str]: ...
def spark_column_counts(data: Any, schema: Schema, names: list[str], name: str) -> bytes: ...
def spark_fidelity_plan(
    schema: Schema, names: list[str], real: list[bytes], synthetic: list[bytes]
) -> tuple[bytes, bytes, bytes]: ...
def spark_pair_counts(data: Any, schema: Schema, plan: bytes, names: list[str], name: str) -> bytes: ...
def spark_evaluate_finish(
    real: Any, synthetic: Any, holdout: Any | None, schema: Schema, options: str, plan: bytes,
    real_counts: bytes, synthetic_counts: bytes, real_pairs: list[bytes], synthetic_pairs: list[bytes],
) -> tuple[str, str, str, bool]: ...

class SparkLinkedSynth:
    def __init__(
        self, text: str, name: str, seed: int | None = None, scale: float | None = None
    ) -> None: ...
    @property
    def seed(self) -> int: ...
    def names(self) -> list[str]: ...
    def unit_count(self) -> int: ...
    def unit_rows(self, first: int, end: int) -> list[int]: ...
    def units(self, first: int, end: int, offsets: list[int]) -> list[Any]: ...
    def provenance(self, i: int) -> str: ...

def spark_linked_keys(text: str, name: str) -> list[tuple[str, str]]: ...
