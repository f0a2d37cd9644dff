"""The exceptions fairsynth raises.

Every error carries the message the command line prints after ``error:`` (file, line, column
or key, and a hint on how to fix it). ``exit_code`` is the CLI's exit code for the same
failure: 2 for anything the caller must fix, 1 for a runtime failure such as an unwritable
file.
"""

from __future__ import annotations

__all__ = [
    "Error",
    "SchemaError",
    "InputError",
    "UsageError",
    "PrivacyError",
    "PseudonymKeyError",
    "ModelError",
    "OutputError",
]


class Error(Exception):
    """Base class of every fairsynth error."""

    #: The exit code of the command line for the same failure.
    exit_code: int = 2


class SchemaError(Error, ValueError):
    """The schema is invalid: every problem, each with its line, column and key path."""


class InputError(Error, ValueError):
    """A table cannot be read as the schema says: a missing column, a value that does not
    parse (with file, line and column), a type that cannot be converted, an unknown format."""


class UsageError(Error, ValueError):
    """The options or targets cannot work on this data: targets naming levels without rows,
    unreachable bounds, a bad threshold, an invalid model option."""


class PrivacyError(UsageError):
    """De-identification refused to write: undeclared identifiers found by the safety net,
    identifiers left after redaction, k-anonymity or the singling-out gate unreachable."""


class PseudonymKeyError(UsageError):
    """The pseudonymisation key is missing, empty, unreadable or too short."""


class ModelError(InputError):
    """A model file cannot be read, or is not a valid fairsynth model."""


class OutputError(Error, OSError):
    """A file could not be written (a model, a report)."""

    exit_code = 1
