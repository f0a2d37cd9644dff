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

def synth(
    schema: Schema, rows: int | None = None, seed: int | None = None, threads: int | None = None
) -> pyarrow.Table: ...
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
) -> tuple[pyarrow.Table, str, str, str]: ...
def inspect(
    data: Any, schema: Schema | None, *, name: str, format: str | None
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
) -> tuple[str, str, str, bool]: ...
