"""The book's generated reference pages: the schema language from the JSON Schema
(``schemas/fairsynth.schema.json``, the one source of truth an editor also reads) and the Python
API from the package's docstrings. ``test_reference.py`` keeps the committed pages equal to what
this writes (``FAIRSYNTH_BLESS=1`` rewrites them) and fails when a key or a function says nothing.
"""

from __future__ import annotations

import inspect
import json
import re
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
JSON_SCHEMA = ROOT / "schemas" / "fairsynth.schema.json"


def _anchor(name: str) -> str:
    return re.sub(r"[^a-z0-9_-]", "", name.lower())


def _type(node: dict[str, Any]) -> str:
    """A short type description of a JSON Schema node."""
    if "$ref" in node:
        name = node["$ref"].rsplit("/", 1)[-1]
        return f"[{name}](#{_anchor(name)})"
    if "const" in node:
        return f"`{json.dumps(node['const'])}`"
    if "enum" in node:
        return "one of " + ", ".join(
            f"`{v}`" if isinstance(v, str) and v.strip() else f"`{json.dumps(v)}`"
            for v in node["enum"]
        )
    for key in ("anyOf", "oneOf"):
        if key in node and "type" not in node:
            return " or ".join(dict.fromkeys(_type(n) for n in node[key]))
    kind = node.get("type")
    if isinstance(kind, list):
        return " or ".join(kind)
    if kind == "array":
        items = node.get("items")
        return f"list of {_type(items)}" if isinstance(items, dict) else "list"
    if kind == "object" and "properties" not in node:
        extra = node.get("additionalProperties")
        if isinstance(extra, dict):
            return f"map of name to {_type(extra)}"
        return "mapping"
    return kind or "any"


def _one_line(text: str) -> str:
    """One line of Markdown-safe prose: `<` and `>` outside code spans as entities."""
    parts = " ".join(text.split()).split("`")
    return "`".join(
        p if i % 2 else p.replace("<", "&lt;").replace(">", "&gt;") for i, p in enumerate(parts)
    )


def _properties(node: dict[str, Any], path: str, depth: int, missing: list[str]) -> list[str]:
    lines = []
    required = set(node.get("required", []))
    for name, prop in node.get("properties", {}).items():
        where = f"{path}.{name}" if path else name
        description = prop.get("description")
        if not description:
            missing.append(where)
            description = ""
        facts = [_type(prop)]
        if name in required:
            facts.append("required")
        if "default" in prop:
            facts.append(f"default `{json.dumps(prop['default'])}`")
        for bound, word in (("minimum", "at least"), ("maximum", "at most"),
                            ("exclusiveMinimum", "above"), ("exclusiveMaximum", "below")):
            if bound in prop:
                facts.append(f"{word} {prop[bound]}")
        indent = "  " * depth
        lines.append(f"{indent}- **`{name}`** ({'; '.join(facts)}): {_one_line(description)}")
        if prop.get("type") == "object" and "properties" in prop:
            lines.extend(_properties(prop, where, depth + 1, missing))
        elif prop.get("type") == "array" and isinstance(prop.get("items"), dict) \
                and "properties" in prop["items"]:
            lines.extend(_properties(prop["items"], where + "[]", depth + 1, missing))
    return lines


def schema_reference() -> tuple[str, list[str]]:
    """The schema language page, and the keys whose description is missing."""
    doc = json.loads(JSON_SCHEMA.read_text(encoding="utf-8"))
    missing: list[str] = []
    out = [
        "# Schema language",
        "",
        "<!-- Generated from schemas/fairsynth.schema.json by docs/tests/reference.py; a test "
        "fails when this page differs. Regenerate with `FAIRSYNTH_BLESS=1 python -m pytest "
        "docs/tests/test_reference.py`. -->",
        "",
        _one_line(doc["description"]),
        "",
        "A schema is a YAML file. Editors that read JSON Schema (VS Code with the YAML extension, "
        "IntelliJ) complete and check it with `schemas/fairsynth.schema.json`: add "
        "`# yaml-language-server: $schema=../schemas/fairsynth.schema.json` as its first line. "
        "`fairsynth schema check FILE` is the full validator: it also checks what JSON Schema "
        "cannot say (shares that sum to one, references between columns, dates), and names the "
        "file, line, column and key of every error.",
        "",
        "The embedded default, `schemas/customers.yaml`, uses most of the language; "
        "`schemas/shop.yaml` is a schema of linked tables; `schemas/adult.yaml` describes a real "
        "table for `fit`, `reweight`, `evaluate` and `audit`.",
        "",
        "## Top level",
        "",
        *_properties(doc, "", 0, missing),
        "",
        "## Definitions",
        "",
        "The parts the keys above refer to.",
    ]
    for name, node in doc["$defs"].items():
        description = node.get("description")
        if not description:
            missing.append(f"$defs.{name}")
            description = ""
        out += ["", f"### {name}", "",
                _one_line(description), ""]
        shape = _type(node)
        if "properties" not in node or shape not in ("object", "mapping"):
            out += [f"Type: {shape}.", ""]
        lines = _properties(node, name, 0, missing)
        if lines:
            out += lines + [""]
    text = "\n".join(out).rstrip() + "\n"
    return re.sub(r"\n{3,}", "\n\n", text), missing


def python_reference() -> tuple[str, list[str]]:
    """The Python API page from the installed package's docstrings, and what has none."""
    import fairsynth

    missing: list[str] = []
    out = [
        "# Python API",
        "",
        "<!-- Generated from the fairsynth package's docstrings by docs/tests/reference.py; a "
        "test fails when this page differs. Regenerate with `FAIRSYNTH_BLESS=1 python -m pytest "
        "docs/tests/test_reference.py`. -->",
        "",
        "`pip install fairsynth` (or build it from `python/` with maturin). Every function takes "
        "and returns pyarrow, pandas or polars tables; errors are `fairsynth.Error` "
        "subclasses carrying the command line's messages. The [guide page](../guide/python.md) "
        "shows them at work.",
    ]
    modules = [("fairsynth", fairsynth)]
    try:
        from fairsynth import spark

        modules.append(("fairsynth.spark", spark))
    except ImportError:  # pragma: no cover - the package always ships it
        pass
    for module_name, module in modules:
        out += ["", f"## `{module_name}`", ""]
        doc = inspect.getdoc(module)
        if doc:
            out += [_md(doc), ""]
        names = getattr(module, "__all__", None) or [
            n for n in dir(module) if not n.startswith("_")
        ]
        for name in sorted(names):
            obj = getattr(module, name, None)
            if obj is None or inspect.ismodule(obj):
                continue
            if getattr(obj, "__module__", "").split(".")[0] not in ("fairsynth", "builtins"):
                continue
            out += _entry(f"{module_name}.{name}", name, obj, missing)
    text = "\n".join(out).rstrip() + "\n"
    return re.sub(r"\n{3,}", "\n\n", text), missing


def _md(doc: str) -> str:
    """A docstring as Markdown: reST literals and roles as code, examples in a code block."""
    doc = re.sub(r":[a-z]+:`~?([^`]+)`", r"`\1`", doc)
    doc = re.sub(r"``([^`]+)``", r"`\1`", doc)
    out: list[str] = []
    in_code = False
    for line in doc.splitlines():
        code = line.startswith((">>> ", "... ")) or line == ">>>"
        if code and not in_code:
            out.append("```python")
        elif not code and in_code:
            out.append("```")
        in_code = code
        out.append(line)
    if in_code:
        out.append("```")
    return "\n".join(out)


def _signature(obj: Any) -> str:
    try:
        return str(inspect.signature(obj))
    except (TypeError, ValueError):
        text = getattr(obj, "__text_signature__", None)
        return text.replace("$self, ", "").replace("$self", "") if text else "(...)"


def _entry(qualified: str, name: str, obj: Any, missing: list[str]) -> list[str]:
    doc = inspect.getdoc(obj)
    if not doc:
        missing.append(qualified)
        doc = ""
    if inspect.isclass(obj):
        out = ["", f"### class `{name}`", "", _md(doc), ""]
        if issubclass(obj, BaseException):
            return out
        for member_name, member in sorted(vars(obj).items()):
            if member_name.startswith("_"):
                continue
            if not (callable(member) or isinstance(member, (property, staticmethod, classmethod))
                    or type(member).__name__ in ("getset_descriptor", "method_descriptor",
                                                 "builtin_function_or_method",
                                                 "classmethod_descriptor")):
                continue
            target = getattr(obj, member_name, member)
            member_doc = inspect.getdoc(member) or inspect.getdoc(target)
            if not member_doc:
                missing.append(f"{qualified}.{member_name}")
                member_doc = ""
            sig = "" if type(member).__name__ == "getset_descriptor" or isinstance(member, property) \
                else _signature(target)
            out += [f"#### `{name}.{member_name}{sig}`", "", _md(member_doc), ""]
        return out
    return ["", f"### `{name}{_signature(obj)}`", "", _md(doc), ""]
