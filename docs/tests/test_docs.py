"""The book and the README cannot drift from the tool: every example is run and compared.

What this checks, on README.md and every page under docs/src:

* **console blocks** (```` ```console ````): each line starting with ``$ `` is a command (a line
  ending with ``\\`` continues on the next); the lines after it, up to the next command, are the
  output a user sees (stdout and stderr together). A command runs in bash, in a scratch
  directory of its own page (the page's blocks share it, in order) where ``schemas``, ``tests``
  and ``docs`` are the repository's folders, so a page's paths are those of a fresh clone's
  root. ``fairsynth`` is the binary under test (``FAIRSYNTH_BIN``), ``python`` the interpreter
  running this suite. Exported variables carry to the page's next commands.

  In the expected output, ``[..]`` stands for any text within a line and a line of ``...``
  for any number of lines (none included). A last line ``[exit N]`` says the command exits with
  status N; without one it must exit with 0.
* **pycon blocks** (```` ```pycon ````, ``>>>`` prompts) run with :mod:`doctest` (``ELLIPSIS`` on,
  so ``...`` stands for any text), in the same scratch directory and order as the console
  blocks, with the same ``fairsynth`` on the ``PATH``; a page's examples share their names.
* **links**: every relative link of a page points at a file that exists, and every ``#anchor``
  at a heading of its target; every page under docs/src is in SUMMARY.md.

Blocks in other languages (```` ```sh ````, ```` ```text ````, ```` ```yaml ````) are shown,
not run: use them only for what cannot run here (a cluster, a KMS), and say so beside them.

``FAIRSYNTH_DOCS_PAGE=guide/evaluate.md`` runs one page's examples alone.
"""

from __future__ import annotations

import doctest
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "docs" / "src"
TIMEOUT = 600


def _binary() -> Path:
    given = os.environ.get("FAIRSYNTH_BIN")
    path = Path(given) if given else ROOT / "target" / "debug" / "fairsynth"
    if not path.is_file():
        pytest.fail(f"no fairsynth binary at {path}: build it (cargo build) or set FAIRSYNTH_BIN")
    return path.resolve()


def pages() -> list[Path]:
    """README.md and every page of the book, in a stable order."""
    found = sorted(p for p in SRC.rglob("*.md"))
    return [ROOT / "README.md", *found]


def _name(page: Path) -> str:
    return "README.md" if page == ROOT / "README.md" else str(page.relative_to(SRC))


def _selected() -> list[Path]:
    only = os.environ.get("FAIRSYNTH_DOCS_PAGE")
    return [p for p in pages() if only is None or _name(p) == only]


# ---------------------------------------------------------------------------------------------
# Parsing


FENCE = re.compile(r"^(\s*)(`{3,}|~{3,})\s*([\w+-]*)")


def blocks(text: str) -> list[tuple[str, int, list[str]]]:
    """The fenced code blocks of a page: (language, line of the opening fence, body lines)."""
    out = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        indent, fence, lang = m.groups()
        start = i + 1
        body = []
        i += 1
        while i < len(lines) and not lines[i].strip().startswith(fence):
            line = lines[i]
            body.append(line[len(indent):] if line.startswith(indent) else line.lstrip())
            i += 1
        out.append((lang, start, body))
        i += 1
    return out


def commands(body: list[str], first_line: int) -> list[tuple[int, str, list[str]]]:
    """A console block's commands: (line number, command, expected output lines)."""
    out: list[tuple[int, str, list[str]]] = []
    i = 0
    while i < len(body):
        line = body[i]
        if not line.startswith("$ "):
            raise AssertionError(
                f"line {first_line + i + 1}: a console block must start with a `$ ` command, "
                f"found {line!r}"
            )
        number = first_line + i + 1
        command = line[2:]
        while command.endswith("\\") and i + 1 < len(body):
            i += 1
            command = command + "\n" + body[i]
        i += 1
        expected = []
        while i < len(body) and not body[i].startswith("$ "):
            expected.append(body[i])
            i += 1
        out.append((number, command, expected))
    return out


def _line_matches(pattern: str, line: str) -> bool:
    parts = [re.escape(p) for p in pattern.split("[..]")]
    return re.fullmatch(".*?".join(parts), line, flags=re.DOTALL) is not None


def matches(expected: list[str], actual: list[str]) -> bool:
    """Whether the output lines match the expected ones (``[..]`` and ``...`` wildcards)."""
    if not expected:
        return not actual
    head, rest = expected[0], expected[1:]
    if head == "...":
        return any(matches(rest, actual[k:]) for k in range(len(actual) + 1))
    return bool(actual) and _line_matches(head, actual[0]) and matches(rest, actual[1:])


# ---------------------------------------------------------------------------------------------
# Running


def scratch(tmp: Path) -> Path:
    """A page's working directory: the repository's folders a page refers to, and a bin dir."""
    work = tmp / "work"
    work.mkdir()
    for name in ("schemas", "tests", "docs", "benches"):
        (work / name).symlink_to(ROOT / name)
    bin_dir = tmp / "bin"
    bin_dir.mkdir()
    (bin_dir / "fairsynth").symlink_to(_binary())
    # A wrapper, not a symlink: a virtual environment's interpreter reached through a link in
    # another folder does not find its pyvenv.cfg, nor the packages installed in it.
    for name in ("python", "python3"):
        wrapper = bin_dir / name
        wrapper.write_text(f'#!/bin/sh\nexec "{sys.executable}" "$@"\n')
        wrapper.chmod(0o755)
    return work


def _console(page: Path, work: Path, env: dict[str, str], env_file: Path, start: int,
             body: list[str]) -> None:
    """Runs one console block's commands, comparing what each prints with the page."""
    for number, command, expected in commands(body, start):
        status = 0
        if expected and re.fullmatch(r"\[exit \d+\]", expected[-1].strip()):
            status = int(expected[-1].strip()[6:-1])
            expected = expected[:-1]
        script = (
            f"set -a; . {env_file}; set +a\n{command}\nrc=$?\n"
            f"export -p > {env_file}.next 2>/dev/null; exit $rc\n"
        )
        proc = subprocess.run(
            ["bash", "-c", script],
            cwd=work,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            timeout=TIMEOUT,
            check=False,
        )
        shutil.move(f"{env_file}.next", env_file)
        actual = [line.rstrip() for line in proc.stdout.decode("utf-8", "replace").splitlines()]
        want = [line.rstrip() for line in expected]
        where = f"{_name(page)}:{number}: `{command}`"
        if proc.returncode != status:
            raise AssertionError(
                f"{where} exited with {proc.returncode}, the page says {status}; "
                "it printed:\n" + "\n".join(actual)
            )
        if not matches(want, actual):
            raise AssertionError(
                f"{where} printed what the page does not show.\n--- the page\n"
                + "\n".join(want)
                + "\n--- the command\n"
                + "\n".join(actual)
            )


def run_page(page: Path, tmp: Path) -> None:
    """Runs a page's console and pycon blocks in the order the page shows them, in one
    scratch directory: a Python example reads what a command before it wrote, and the
    reverse. The Python examples of a page share their names, as in one session."""
    work = scratch(tmp)
    env_file = tmp / "env.sh"
    env_file.write_text("")
    env = {
        "PATH": f"{tmp / 'bin'}:{os.environ.get('PATH', '/usr/bin:/bin')}",
        "HOME": str(tmp),
        "LANG": "C.UTF-8",
        "TERM": "dumb",
        "NO_COLOR": "1",
        "COLUMNS": "100",
    }
    for key in ("JAVA_HOME", "SPARK_HOME", "PYSPARK_PYTHON"):
        if key in os.environ:
            env[key] = os.environ[key]
    globs: dict[str, object] = {"__name__": "__docs__"}
    parser = doctest.DocTestParser()
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    saved = {k: os.environ.get(k) for k in ("PATH", "FAIRSYNTH_BIN")}
    here = os.getcwd()
    try:
        for lang, start, body in blocks(page.read_text(encoding="utf-8")):
            if lang == "console":
                _console(page, work, env, env_file, start, body)
            elif lang == "pycon":
                # The same PATH (the `fairsynth` under test) and folder as the commands.
                os.environ["PATH"] = env["PATH"]
                os.environ["FAIRSYNTH_BIN"] = str(_binary())
                os.chdir(work)
                text = "\n".join(body) + "\n"
                test = parser.get_doctest(text, globs, f"{_name(page)}:{start}", str(page), start)
                out: list[str] = []
                result = runner.run(test, out=out.append, clear_globs=False)
                globs.update(test.globs)  # a DocTest runs on a copy of the names given
                os.chdir(here)
                if result.failed:
                    raise AssertionError(
                        f"{_name(page)}: the Python example at line {start + 1} failed:\n"
                        + "".join(out)
                    )
    finally:
        os.chdir(here)
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


@pytest.mark.parametrize("page", _selected(), ids=_name)
def test_examples(page: Path, tmp_path: Path) -> None:
    run_page(page, tmp_path)


# ---------------------------------------------------------------------------------------------
# Links and the table of contents

LINK = re.compile(r"(?<!!)\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")


def slug(heading: str) -> str:
    """mdBook's anchor of a heading: lower case, spaces to dashes, other punctuation dropped."""
    heading = re.sub(r"[`*]", "", heading)
    heading = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading)
    out = []
    for ch in heading.strip().lower():
        if ch.isalnum() or ch in "-_":
            out.append(ch)
        elif ch.isspace():
            out.append("-")
    return "".join(out)


def _unfenced(text: str) -> str:
    """The page without its fenced code blocks."""
    return re.sub(r"(?ms)^\s*(```|~~~).*?^\s*\1\s*$", "", text)


def _prose(text: str) -> str:
    """The page without its code blocks and inline code (links there are not links)."""
    return re.sub(r"`[^`\n]*`", "", _unfenced(text))


def _expanded(page: Path) -> str:
    """A page's text with mdBook's ``{{#include FILE}}`` directives replaced by the files."""
    text = page.read_text(encoding="utf-8")
    return re.sub(
        r"\{\{#include ([^}\s]+)\}\}",
        lambda m: (page.parent / m.group(1)).read_text(encoding="utf-8"),
        text,
    )


def anchors(page: Path) -> set[str]:
    return {
        slug(m.group(1)) for m in re.finditer(r"(?m)^#{1,6}\s+(.*?)\s*$", _unfenced(_expanded(page)))
    }


@pytest.mark.parametrize("page", pages(), ids=_name)
def test_links(page: Path) -> None:
    broken = []
    for m in LINK.finditer(_prose(page.read_text(encoding="utf-8"))):
        target = m.group(1)
        if re.match(r"^[a-z]+:", target):
            continue
        path, _, anchor = target.partition("#")
        file = (page.parent / path).resolve() if path else page
        if not file.exists():
            broken.append(f"{target}: no file {file}")
            continue
        if page != ROOT / "README.md" and SRC not in file.parents and file != SRC:
            broken.append(f"{target}: outside the book (docs/src); the built book has no such page")
        if anchor and file.suffix == ".md" and anchor not in anchors(file):
            broken.append(f"{target}: no heading #{anchor} in {file.name}")
    assert not broken, f"{_name(page)}: broken links:\n" + "\n".join(broken)


def test_every_page_is_in_the_summary() -> None:
    summary = (SRC / "SUMMARY.md").read_text(encoding="utf-8")
    listed = {Path(m.group(1)) for m in LINK.finditer(summary)}
    missing = [
        str(p.relative_to(SRC))
        for p in SRC.rglob("*.md")
        if p.name != "SUMMARY.md" and p.relative_to(SRC) not in listed
    ]
    assert not missing, f"pages not in docs/src/SUMMARY.md (unreachable in the book): {missing}"


def test_the_harness_matches_as_documented() -> None:
    assert matches(["a [..] c", "...", "z"], ["a b c", "x", "y", "z"])
    assert matches(["...", "z"], ["z"])
    assert not matches(["a [..] c"], ["a b d"])
    assert not matches(["a"], ["a", "b"])
    assert not matches([], ["a"])
    assert slug("The `fit` command: a *model*") == "the-fit-command-a-model"
    assert slug("k-anonymity, suppression") == "k-anonymity-suppression"
    assert [c[1] for c in commands(["$ a \\", "  b", "out", "$ c"], 0)] == ["a \\\n  b", "c"]


if __name__ == "__main__":  # pragma: no cover
    sys.exit(pytest.main([__file__, *sys.argv[1:]]))
