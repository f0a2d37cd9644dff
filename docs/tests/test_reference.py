"""The generated reference pages equal their sources, and every key and function is documented.

``docs/src/reference/schema.md`` comes from ``schemas/fairsynth.schema.json``,
``docs/src/reference/python.md`` from the installed package's docstrings (both by
``reference.py``); ``docs/src/reference/cli.md`` from the clap definitions (a unit test of the
binary, ``src/cli/manual.rs``). ``FAIRSYNTH_BLESS=1`` rewrites the pages here.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import reference  # noqa: E402

PAGES = reference.ROOT / "docs" / "src" / "reference"


def _check(page: Path, text: str) -> None:
    if os.environ.get("FAIRSYNTH_BLESS"):
        page.write_text(text, encoding="utf-8")
        return
    committed = page.read_text(encoding="utf-8") if page.exists() else ""
    assert committed == text, (
        f"{page.relative_to(reference.ROOT)} differs from its source: regenerate it with "
        "`FAIRSYNTH_BLESS=1 python -m pytest docs/tests/test_reference.py`"
    )


def test_schema_reference_is_generated_from_the_json_schema() -> None:
    text, missing = reference.schema_reference()
    assert not missing, f"keys of schemas/fairsynth.schema.json without a description: {missing}"
    _check(PAGES / "schema.md", text)


def test_python_reference_is_generated_from_the_docstrings() -> None:
    text, missing = reference.python_reference()
    assert not missing, f"public Python names without a docstring: {missing}"
    _check(PAGES / "python.md", text)


def test_every_top_level_key_is_on_the_schema_page() -> None:
    import json

    doc = json.loads(reference.JSON_SCHEMA.read_text(encoding="utf-8"))
    page = (PAGES / "schema.md").read_text(encoding="utf-8")
    for key in doc["properties"]:
        assert f"**`{key}`**" in page, key
    for name in doc["$defs"]:
        assert f"### {name}\n" in page, name
