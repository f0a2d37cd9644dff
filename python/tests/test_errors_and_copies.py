"""Errors raised as fairsynth exceptions with the CLI's messages; input buffers not copied."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.parquet as pq
import polars as pl
import pytest

import fairsynth
from conftest import DATA, SCHEMAS, cli_error


def test_targets_the_data_cannot_meet(adult_parquet, tmp_path):
    t = tmp_path / "t.yaml"
    t.write_text("sex: {Female: 0.4, Male: 0.4, Other: 0.2}\n")
    code, message = cli_error("reweight", adult_parquet, "--schema", "schemas/adult.yaml",
                              "--targets", t, "-o", tmp_path / "o.parquet")
    with pytest.raises(fairsynth.UsageError) as e:
        fairsynth.reweight(str(adult_parquet), SCHEMAS / "adult.yaml", targets=t)
    assert code == 2
    # The schema path differs (absolute here), the message about the data does not.
    assert str(e.value) == message


def test_a_value_that_does_not_parse(tmp_path):
    bad = tmp_path / "bad.csv"
    lines = (DATA / "adult_sample.csv").read_text().splitlines()
    lines[5] = lines[5].replace(lines[5].split(",")[0], "forty", 1)
    bad.write_text("\n".join(lines) + "\n")
    code, message = cli_error("reweight", bad, "--schema", "schemas/adult.yaml", "-o", tmp_path / "o.parquet")
    with pytest.raises(fairsynth.InputError) as e:
        fairsynth.reweight(bad, SCHEMAS / "adult.yaml")
    assert str(e.value) == message and code == 2
    assert ":6" in message or "line 6" in message


def test_memory_inputs_are_named_in_messages(adult, tmp_path):
    with pytest.raises(fairsynth.InputError, match="`frame` has no column `age`"):
        fairsynth.reweight(adult.drop_columns(["age"]), SCHEMAS / "adult.yaml", name="frame")
    with pytest.raises(fairsynth.InputError, match="a list is not a table"):
        fairsynth.reweight([1, 2], SCHEMAS / "adult.yaml")
    # An unknown extension and no magic bytes (`.txt` now reads as CSV).
    unknown = tmp_path / "data.bin"
    unknown.write_bytes(b"\x01\x02 not a table")
    with pytest.raises(fairsynth.InputError, match="cannot tell the format"):
        fairsynth.reweight(str(unknown), SCHEMAS / "adult.yaml")
    with pytest.raises(fairsynth.UsageError, match="unknown threshold|threshold"):
        fairsynth.evaluate(adult, adult, SCHEMAS / "adult.yaml", thresholds={"no_such_gate": 1})
    with pytest.raises(TypeError):
        fairsynth.reweight(adult, SCHEMAS / "adult.yaml", targets=3)


def test_output_errors_are_os_errors(adult, tmp_path):
    m = fairsynth.fit(adult, SCHEMAS / "adult.yaml")
    with pytest.raises(fairsynth.OutputError) as e:
        m.save(tmp_path / "missing-dir" / "m.json")
    assert isinstance(e.value, OSError) and e.value.exit_code == 1
    assert "does not exist" in str(e.value)


def _addresses(col: pa.ChunkedArray) -> list[tuple[int, int]]:
    out = []
    for chunk in col.chunks:
        buf = chunk.buffers()[1]
        out.append((buf.address, buf.address + buf.size))
    return out


@pytest.mark.parametrize("kind", ["pyarrow", "polars"])
def test_pass_through_columns_share_the_input_buffers(adult, kind):
    """An undeclared column passes through reweight: its values in the result are the input's
    own buffer, not a copy (the Arrow C stream in, the C data interface out)."""
    extra = pa.array([float(i) for i in range(adult.num_rows)], pa.float64())
    t = adult.append_column("extra", extra)
    data = t if kind == "pyarrow" else pl.from_arrow(t)
    if kind == "polars":
        # polars' own copy of the column is what it hands over.
        source = data.to_arrow().column("extra")
    else:
        source = t.column("extra")
    before = pa.total_allocated_bytes()
    r = fairsynth.reweight(data, SCHEMAS / "adult.yaml")
    out = r.table.column("extra")
    assert out.to_pylist() == extra.to_pylist()
    (lo, hi), = _addresses(source)
    for a, b in _addresses(out):
        assert lo <= a and b <= hi, "the result's buffer is not the input's"
    # pyarrow's allocator made no copy of the table either.
    assert pa.total_allocated_bytes() - before < t.nbytes // 10


def test_synth_tables_are_not_copied_on_the_way_out():
    t = fairsynth.synth(SCHEMAS / "customers.yaml", rows=100_000)
    # Rust allocated the buffers: pyarrow's pool holds none of them.
    assert pa.total_allocated_bytes() < t.nbytes // 10
    assert len(t.column("age").chunks) == 2  # one per generated block of 65,536 rows
