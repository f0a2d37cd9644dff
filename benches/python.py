#!/usr/bin/env python3
"""The Python package against the CLI, in the same run (issue 11).

1. reweight: `fairsynth.reweight` on a 1M-row in-memory pyarrow Table (Adult rows repeated)
   against `fairsynth reweight` on the same rows as a Parquet file (whole process: read,
   rake, write). Goal: the Python call no slower than the CLI.
2. synth: `fairsynth.synth` of 10M rows of `benches/bench8.yaml` to a pyarrow Table against
   `fairsynth synth` writing the same rows as Parquet, in rows/s. Goal: within 10 % of the
   CLI's rows/s.

Both sides are release builds: the CLI `target/release/fairsynth` (`cargo build --release`)
and the package installed with `pip install ./python` (maturin's release profile). Runs
alternate between the two sides; medians of RUNS runs (default 5) are reported with min and
max, and written as JSON to bench-out/python.json.

    RUNS=5 target/bench-venv/bin/python benches/python.py
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

import fairsynth

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(os.environ.get("FAIRSYNTH_BIN", ROOT / "target" / "release" / "fairsynth"))
RUNS = int(os.environ.get("RUNS", "5"))
ROWS_REWEIGHT = int(os.environ.get("ROWS_REWEIGHT", "1000000"))
ROWS_SYNTH = int(os.environ.get("ROWS_SYNTH", "10000000"))


def adult() -> pa.Table:
    # As benches/run.sh: ../shared/data/adult.csv (or FAIRSYNTH_BENCH_ADULT), else the sample.
    full = Path(os.environ.get("FAIRSYNTH_BENCH_ADULT", ROOT.parent / "shared" / "data" / "adult.csv"))
    src = full if full.is_file() else ROOT / "tests" / "data" / "adult_sample.csv"
    t = pacsv.read_csv(src)
    reps = -(-ROWS_REWEIGHT // t.num_rows)
    return pa.concat_tables([t] * reps).slice(0, ROWS_REWEIGHT).combine_chunks(), src


def timed(f) -> float:
    t0 = time.perf_counter()
    f()
    return time.perf_counter() - t0


def cli(*args) -> None:
    subprocess.run([str(BIN), *map(str, args)], cwd=ROOT, check=True, capture_output=True)


def stats(xs: list[float]) -> dict:
    return {"min": min(xs), "median": statistics.median(xs), "max": max(xs), "runs": xs}


def main() -> None:
    if not BIN.is_file():
        sys.exit(f"{BIN} is missing: run `cargo build --release` (or set FAIRSYNTH_BIN)")
    out: dict = {"runs": RUNS, "cpus": os.cpu_count(), "fairsynth": fairsynth.__version__}
    with tempfile.TemporaryDirectory(dir=ROOT / "target") as d:
        d = Path(d)
        table, src = adult()
        schema = fairsynth.Schema.from_file(ROOT / "schemas" / "adult.yaml")
        data = d / "adult1m.parquet"
        pq.write_table(table, data)
        # The CLI's best case: the same rows with the text columns stored as dictionaries (as
        # fairsynth and pandas categoricals write them), which the reader takes level by level.
        dict_data = d / "adult1m_dict.parquet"
        pq.write_table(
            pa.table({f.name: (table.column(f.name).dictionary_encode() if pa.types.is_string(f.type) else table.column(f.name)) for f in table.schema}),
            dict_data,
        )
        py, sh, shd = [], [], []
        for _ in range(RUNS):
            sh.append(timed(lambda: cli("reweight", data, "--schema", "schemas/adult.yaml", "-q", "-o", d / "w.parquet")))
            shd.append(timed(lambda: cli("reweight", dict_data, "--schema", "schemas/adult.yaml", "-q", "-o", d / "wd.parquet")))
            py.append(timed(lambda: fairsynth.reweight(table, schema)))
        # Same weights both ways.
        w_cli = pq.read_table(d / "w.parquet").column("weight")
        w_py = fairsynth.reweight(table, schema).table.column("weight")
        assert w_cli.equals(w_py), "the weights differ"
        assert pq.read_table(d / "wd.parquet").column("weight").equals(w_py), "the weights differ"
        out["reweight"] = {
            "rows": table.num_rows,
            "source": str(src),
            "cli_parquet_whole_process_s": stats(sh),
            "cli_parquet_dictionary_columns_whole_process_s": stats(shd),
            "python_in_memory_s": stats(py),
            "python_over_cli_time": statistics.median(py) / statistics.median(sh),
            "python_over_cli_dictionary_time": statistics.median(py) / statistics.median(shd),
        }

        s8 = fairsynth.Schema.from_file(ROOT / "benches" / "bench8.yaml")
        py, sh = [], []
        for _ in range(RUNS):
            sh.append(timed(lambda: cli("synth", "--schema", "benches/bench8.yaml", "--rows", ROWS_SYNTH, "-q", "-o", d / "s.parquet")))
            t = None

            def run():
                nonlocal t
                t = fairsynth.synth(s8, rows=ROWS_SYNTH)

            py.append(timed(run))
            assert t.num_rows == ROWS_SYNTH
            del t
        cli_rate = ROWS_SYNTH / statistics.median(sh)
        py_rate = ROWS_SYNTH / statistics.median(py)
        out["synth"] = {
            "rows": ROWS_SYNTH,
            "cli_parquet_whole_process_s": stats(sh),
            "python_to_pyarrow_table_s": stats(py),
            "cli_rows_per_s": cli_rate,
            "python_rows_per_s": py_rate,
            "python_over_cli_rate": py_rate / cli_rate,
        }
    (ROOT / "bench-out").mkdir(exist_ok=True)
    (ROOT / "bench-out" / "python.json").write_text(json.dumps(out, indent=2))
    r, s = out["reweight"], out["synth"]
    fmt = lambda x: f"{x['min']:.3f} / {x['median']:.3f} / {x['max']:.3f} s"
    print(f"reweight {r['rows']:,} rows ({r['source']}):")
    print(f"  CLI, Parquet in and out (whole process): {fmt(r['cli_parquet_whole_process_s'])}")
    print(f"  CLI, Parquet with dictionary text columns (whole process): {fmt(r['cli_parquet_dictionary_columns_whole_process_s'])}")
    print(f"  fairsynth.reweight, pyarrow Table in and out: {fmt(r['python_in_memory_s'])}")
    print(f"  Python time / CLI time (medians): {r['python_over_cli_time']:.2f}; / CLI on dictionary columns: {r['python_over_cli_dictionary_time']:.2f}")
    print(f"synth {s['rows']:,} rows of bench8:")
    print(f"  CLI to Parquet (whole process): {fmt(s['cli_parquet_whole_process_s'])}, {s['cli_rows_per_s'] / 1e6:.2f} M rows/s")
    print(f"  fairsynth.synth to a pyarrow Table: {fmt(s['python_to_pyarrow_table_s'])}, {s['python_rows_per_s'] / 1e6:.2f} M rows/s")
    print(f"  Python rows/s / CLI rows/s: {s['python_over_cli_rate']:.2f}")


if __name__ == "__main__":
    main()
