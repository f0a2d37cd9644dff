"""`evaluate`, `audit` and `inspect` against the CLI's JSON reports."""

from __future__ import annotations

import json

import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

import fairsynth
from conftest import DATA, KINDS, SCHEMAS, as_kind, cli


@pytest.fixture(scope="module")
def split(adult, tmp_path_factory):
    """Train and holdout halves of the Adult sample, a synthetic table sampled from a model of
    the train half; each as a table and as Parquet for the CLI."""
    d = tmp_path_factory.mktemp("eval")
    train = adult.filter(pc.equal(adult["split"], "train"))
    hold = adult.filter(pc.equal(adult["split"], "test"))
    paths = {}
    for name, t in [("real", train), ("holdout", hold)]:
        paths[name] = d / f"{name}.parquet"
        pq.write_table(t, paths[name])
    model = d / "m.json"
    cli("fit", paths["real"], "--schema", "schemas/adult.yaml", "-q", "-o", model)
    paths["synthetic"] = d / "synthetic.parquet"
    cli("sample", model, "--rows", 3000, "-q", "-o", paths["synthetic"])
    tables = {k: pq.read_table(v) for k, v in paths.items()}
    return tables, paths, d


def without_paths(report: dict) -> dict:
    r = json.loads(json.dumps(report))
    for k in ("real", "synthetic", "holdout"):
        if isinstance(r.get(k), dict):
            r[k].pop("path", None)
    r.pop("input", None)
    return r


@pytest.mark.parametrize("kind", KINDS)
def test_evaluate_figures_equal_the_cli(split, kind):
    tables, paths, d = split
    rep = d / f"e-{kind}.json"
    p = cli("evaluate", "--real", paths["real"], "--synthetic", paths["synthetic"], "--holdout",
            paths["holdout"], "--schema", "schemas/adult.yaml", "--threshold", "max_exact_copies=0.5",
            "-q", "--report", rep, ok=False)
    assert p.returncode in (0, 1), p.stderr
    expected = json.loads(rep.read_text())
    r = fairsynth.evaluate(as_kind(tables["real"], kind), as_kind(tables["synthetic"], kind),
                           SCHEMAS / "adult.yaml", holdout=as_kind(tables["holdout"], kind),
                           thresholds={"max_exact_copies": 0.5})
    assert without_paths(r) == without_paths(expected)
    assert r.passed == (p.returncode == 0) == expected["passed"]
    assert r["real"]["path"] == "real" and "fairsynth evaluate" in r.html
    # A failing gate: passed is False and the gate is listed, as the CLI exits 1.
    strict = fairsynth.evaluate(paths["real"], paths["synthetic"], SCHEMAS / "adult.yaml",
                                thresholds=["min_overall=0.9999"])
    assert strict.passed is False and [c["key"] for c in strict.failed] == ["min_overall"]
    assert cli("evaluate", "--real", paths["real"], "--synthetic", paths["synthetic"], "--schema",
               "schemas/adult.yaml", "--threshold", "min_overall=0.9999", ok=False).returncode == 1


def test_evaluate_against_targets_equals_the_cli(split):
    """Fidelity against the real table reweighted to the targets a sample was drawn to: a
    dict or a targets file gives the CLI's `--targets` figures; `no_targets` none."""
    tables, paths, d = split
    targets = d / "t.yaml"
    targets.write_text("sex: {Female: 0.7, Male: 0.3}\n")
    model, shifted = d / "m.json", d / "shifted.parquet"
    cli("sample", model, "--rows", 3000, "--targets", targets, "-q", "-o", shifted)
    rep = d / "e-targets.json"
    p = cli("evaluate", "--real", paths["real"], "--synthetic", shifted, "--schema",
            "schemas/adult.yaml", "--targets", targets, "-q", "--report", rep, ok=False)
    assert p.returncode in (0, 1), p.stderr
    expected = json.loads(rep.read_text())
    assert expected["targets"]["fidelity"]["overall"] > expected["fidelity"]["overall"]
    by_file = fairsynth.evaluate(tables["real"], pq.read_table(shifted), SCHEMAS / "adult.yaml",
                                 targets=targets)
    assert without_paths(by_file) == without_paths(expected)
    by_dict = fairsynth.evaluate(tables["real"], pq.read_table(shifted), SCHEMAS / "adult.yaml",
                                 targets={"sex": {"Female": 0.7, "Male": 0.3}})
    assert by_dict["targets"]["fidelity"] == expected["targets"]["fidelity"]
    # The sample recorded its targets in the file's metadata: used unless no_targets.
    recorded = fairsynth.evaluate(paths["real"], shifted, SCHEMAS / "adult.yaml")
    assert recorded["targets"]["fidelity"] == expected["targets"]["fidelity"]
    plain = fairsynth.evaluate(paths["real"], shifted, SCHEMAS / "adult.yaml", no_targets=True)
    assert plain.get("targets") is None


@pytest.mark.parametrize("kind", KINDS)
def test_audit_equals_the_cli(split, kind):
    tables, paths, d = split
    rep = d / f"a-{kind}.json"
    p = cli("audit", paths["real"], "--schema", "schemas/adult.yaml", "--as-of", "2026-01-01",
            "-q", "--report", rep, ok=False)
    assert p.returncode in (0, 1), p.stderr
    expected = json.loads(rep.read_text())
    r = fairsynth.audit(as_kind(tables["real"], kind), SCHEMAS / "adult.yaml", as_of="2026-01-01")
    assert without_paths(r) | {"schema": None} == without_paths(expected) | {"schema": None}
    assert r.passed == (p.returncode == 0)
    # Drift against a baseline saved from Python.
    base = d / f"base-{kind}.json"
    base.write_text(r.to_json())
    again = fairsynth.audit(tables["real"], SCHEMAS / "adult.yaml", as_of="2026-01-01", baseline=base)
    assert again["drift"] is not None


@pytest.mark.parametrize("kind", KINDS)
def test_inspect_equals_the_cli(adult_parquet, adult, tmp_path, kind):
    rep, draft = tmp_path / "i.json", tmp_path / "d.yaml"
    cli("inspect", adult_parquet, "-q", "--report", rep, "--draft-schema", draft)
    expected = json.loads(rep.read_text())
    # Named as the file is, so that the drafted schema's name (the file's stem) agrees.
    ins = fairsynth.inspect(as_kind(adult, kind), name="adult")
    got = dict(ins.profile)
    assert got["input"] == "adult"
    got["input"] = expected["input"]
    # How the file was read; an in-memory table is not read from a file.
    assert (expected.pop("read_as"), got.pop("read_as")) == ("parquet", None)
    if kind != "pyarrow":
        # pandas and polars hand over strings as large or view types: compare what was found.
        for c in got["columns"] + expected["columns"]:
            c.pop("arrow_type")
    assert got == expected
    body = lambda t: t.split("\n", 1)[1]
    assert body(ins.draft_schema) == body(draft.read_text())
    assert "<table>" in ins._repr_html_()
    # The draft is a valid schema.
    assert fairsynth.Schema(ins.draft_schema).columns == adult.column_names
