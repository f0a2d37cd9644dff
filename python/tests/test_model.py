"""`fit`, `Model.save`/`load` and `sample` against `fairsynth fit` and `fairsynth sample`."""

from __future__ import annotations

import json

import pyarrow.parquet as pq
import pytest

import fairsynth
from conftest import KINDS, SCHEMAS, as_kind, cli, provenance, strip_meta


def without_input(model_json: str) -> dict:
    m = json.loads(model_json)
    m["fit"]["input"] = m["fit"]["input_sha256"] = None
    return m


@pytest.fixture(scope="module")
def cli_model(adult_parquet, tmp_path_factory):
    p = tmp_path_factory.mktemp("model") / "adult.model.json"
    cli("fit", adult_parquet, "--schema", "schemas/adult.yaml", "-q", "-o", p, "--seed", 3)
    return p


@pytest.mark.parametrize("kind", KINDS)
def test_fit_equals_the_cli(adult, cli_model, kind):
    m = fairsynth.fit(as_kind(adult, kind), SCHEMAS / "adult.yaml", seed=3)
    cli_text = cli_model.read_text()
    assert without_input(m.to_json()) | {"schema": None} == without_input(cli_text) | {"schema": None}
    assert m.rows == adult.num_rows and str(m)


def test_sample_equals_the_cli_row_for_row(adult, cli_model, tmp_path):
    m = fairsynth.fit(adult, "schemas/adult.yaml", seed=3)
    saved = tmp_path / "m.json"
    m.save(saved)
    targets = tmp_path / "t.yaml"
    targets.write_text("sex: {Female: 0.5, Male: 0.5}\n")
    out = tmp_path / "s.parquet"
    cli("sample", saved, "--rows", 150_000, "--seed", 4, "--targets", targets, "-q", "-o", out)
    expected = pq.read_table(out)
    for model in [m, fairsynth.Model.load(saved)]:
        for t in [targets, {"sex": {"Female": 0.5, "Male": 0.5}}]:
            got = model.sample(150_000, targets=t, seed=4)
            assert strip_meta(got).equals(strip_meta(expected))
    r = m.sample_with_report(1000, seed=4)
    assert r.table.num_rows == 1000 and isinstance(r.report, dict) and r.report.html
    assert provenance(r.table)["command"] == "sample"
    # A model from the CLI samples the same from Python.
    out2 = tmp_path / "s2.parquet"
    cli("sample", cli_model, "--rows", 5000, "-q", "-o", out2)
    assert strip_meta(fairsynth.Model.load(cli_model).sample(5000)).equals(strip_meta(pq.read_table(out2)))


def test_epsilon_and_options(adult, tmp_path):
    out = tmp_path / "dp.json"
    cli("fit", "tests/data/adult_sample.csv", "--schema", "schemas/adult_dp.yaml", "-q", "-o", out,
        "--epsilon", 1.0, "--seed", 2, "--bins", 10, "--max-parents", 2)
    m = fairsynth.fit(SCHEMAS.parent / "tests/data/adult_sample.csv", SCHEMAS / "adult_dp.yaml",
                      seed=2, epsilon=1.0, bins=10, max_parents=2)
    assert without_input(m.to_json()) | {"schema": None} == without_input(out.read_text()) | {"schema": None}


def test_epsilon_delta_and_mechanism_with_their_ledger(tmp_path):
    data = SCHEMAS.parent / "tests/data/adult_sample.csv"
    schema = SCHEMAS / "adult_dp.yaml"
    # The same model as `fairsynth fit --epsilon 1 --delta 1e-6 --max-cells 4096`.
    out = tmp_path / "dp.json"
    cli("fit", data, "--schema", schema, "-q", "-o", out, "--epsilon", 1.0, "--delta", 1e-6,
        "--max-cells", 4096, "--seed", 5)
    m = fairsynth.fit(data, schema, seed=5, epsilon=1.0, delta=1e-6, max_cells=4096)
    assert without_input(m.to_json()) | {"schema": None} == without_input(out.read_text()) | {"schema": None}
    ledger = m.privacy
    assert ledger["delta"] == 1e-6 and ledger["epsilon"] <= 1.0 and 1.0 - ledger["epsilon"] < 1e-6
    # The total rho re-derived from the entries: sigma and count (Gaussian), epsilon per
    # choice (exponential); the discretisation's histograms are among them.
    rho = 0.0
    for e in ledger["entries"]:
        if e["mechanism"] == "gaussian":
            r = e["tables"] / (2 * e["scale"] ** 2)
        else:
            assert e["mechanism"] == "exponential"
            r = e["tables"] * e["scale"] ** 2 / 8
        assert abs(r - e["rho"]) <= 1e-12 * max(r, 1.0)
        rho += r
    assert abs(rho - ledger["rho"]) <= 1e-12
    assert any("histogram per numeric column" in e["purpose"] for e in ledger["entries"])
    # A sample carries the ledger in its provenance.
    assert provenance(m.sample(500, seed=1))["privacy"] == ledger
    # Pure epsilon-DP: delta 0, the entries' epsilons add up.
    lap = fairsynth.fit(data, schema, seed=5, epsilon=1.0, dp_mechanism="laplace").privacy
    assert lap["delta"] == 0 and "rho" not in lap
    assert abs(sum(e["epsilon"] for e in lap["entries"]) - 1.0) < 1e-12
    # Options of a private fit without epsilon, or an unknown mechanism: usage errors.
    with pytest.raises(fairsynth.UsageError, match="give epsilon too"):
        fairsynth.fit(data, schema, delta=1e-6)
    with pytest.raises(fairsynth.UsageError, match="is not a noise mechanism"):
        fairsynth.fit(data, schema, epsilon=1.0, dp_mechanism="cauchy")
    assert fairsynth.fit(data, SCHEMAS / "adult.yaml", seed=5).privacy is None


def test_bad_model_file(tmp_path):
    from conftest import cli_error

    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "something else"}')
    code, message = cli_error("sample", bad, "-o", tmp_path / "x.parquet")
    with pytest.raises(fairsynth.ModelError) as e:
        fairsynth.Model.load(bad)
    assert str(e.value) == message and code == 2
    code, message = cli_error("fit", "tests/data/adult_sample.csv", "--schema", "schemas/adult.yaml",
                              "--epsilon=-1", "-o", tmp_path / "m.json")
    with pytest.raises(fairsynth.UsageError) as e:
        fairsynth.fit(SCHEMAS.parent / "tests/data/adult_sample.csv", SCHEMAS / "adult.yaml", epsilon=-1)
    assert str(e.value) == message and code == 2
