"""Spark local[2] against the command line, in the same run: synth, reweight and fit.

Not a test: a measurement for BENCHMARKS.md. Needs a Python with fairsynth (a release wheel:
`pip install ./python`), pyspark and a Java runtime, and the CLI built with
`cargo build --release`:

    python benches/spark.py --rows 10000000 --reps 3 [--fit-rows 1000000] [--only fit]

For each command it prints the median wall time of the CLI (writing Parquet) and of Spark
(`df.write.parquet`, the same work plus Spark's own costs), their ratio, and rows/s per core.
`fit` reads the first `--fit-rows` rows of the same table (one Parquet file) on both sides and
checks that Spark's model is the CLI's (but for the input's name).
"""

from __future__ import annotations

import argparse
import os
import pathlib
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]


def timed(f, reps: int) -> list[float]:
    out = []
    for _ in range(reps):
        t = time.perf_counter()
        f()
        out.append(time.perf_counter() - t)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--bin", default=str(ROOT / "target" / "release" / "fairsynth"))
    ap.add_argument("--fit-rows", type=int, default=1_000_000)
    ap.add_argument("--only", choices=["synth", "reweight", "fit"], action="append")
    args = ap.parse_args()

    os.environ["PYSPARK_PYTHON"] = sys.executable
    import fairsynth
    from fairsynth import spark as fs
    from pyspark.sql import SparkSession

    cores = 2
    spark = (
        SparkSession.builder.master(f"local[{cores}]")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.driver.memory", "8g")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    schema_path = ROOT / "schemas" / "customers.yaml"
    schema = fairsynth.Schema.from_file(schema_path)
    work = pathlib.Path(tempfile.mkdtemp(prefix="fairsynth-spark-bench-"))
    try:
        data = work / "customers.parquet"
        subprocess.run(
            [args.bin, "synth", "--schema", str(schema_path), "--rows", str(args.rows),
             "--seed", "1", "-o", str(data), "-q"],
            check=True,
        )
        rows = args.rows
        results = {}

        def cli_synth():
            subprocess.run(
                [args.bin, "synth", "--schema", str(schema_path), "--rows", str(rows),
                 "--seed", "2", "-o", str(work / "cli_synth.parquet"), "-q"],
                check=True,
            )

        def spark_synth():
            fs.synth(spark, schema, rows=rows, seed=2, partitions=2 * cores).write.mode(
                "overwrite"
            ).parquet(str(work / "spark_synth"))

        def cli_reweight():
            subprocess.run(
                [args.bin, "reweight", str(data), "--schema", str(schema_path),
                 "-o", str(work / "cli_rw.parquet"), "-q"],
                check=True,
            )

        def spark_reweight():
            df = spark.read.parquet(str(data))
            fs.reweight(df, schema).table.write.mode("overwrite").parquet(str(work / "spark_rw"))

        fit_rows = min(args.fit_rows, rows)
        fit_data = work / "fit.parquet"
        import pyarrow.parquet as pq

        pq.write_table(pq.read_table(data).slice(0, fit_rows), fit_data)
        fitted = {}

        def cli_fit():
            subprocess.run(
                [args.bin, "fit", str(fit_data), "--schema", str(schema_path),
                 "-o", str(work / "cli.model.json"), "-q"],
                check=True,
            )
            fitted["cli"] = (work / "cli.model.json").read_text()

        def spark_fit():
            df = spark.read.parquet(str(fit_data))
            fitted["spark"] = fs.fit(df, schema).to_json()

        cases = [
            ("synth", rows, cli_synth, spark_synth),
            ("reweight", rows, cli_reweight, spark_reweight),
            ("fit", fit_rows, cli_fit, spark_fit),
        ]
        for name, n, cli, sp in cases:
            if args.only and name not in args.only:
                continue
            c = statistics.median(timed(cli, args.reps))
            s = statistics.median(timed(sp, args.reps))
            results[name] = (c, s)
            print(
                f"{name:9s} {n:,} rows: CLI {c:7.2f} s ({n / c / cores:12,.0f} rows/s/core), "
                f"Spark local[{cores}] {s:7.2f} s ({n / s / cores:12,.0f} rows/s/core), "
                f"Spark/CLI {s / c:5.2f}x",
                flush=True,
            )
        if "cli" in fitted:
            import json

            a, b = json.loads(fitted["cli"]), json.loads(fitted["spark"])
            for m in (a, b):
                m["fit"].pop("input")
                m["fit"].pop("input_sha256")
            print(f"fit: Spark's model {'equals' if a == b else 'DIFFERS FROM'} the CLI's", flush=True)
    finally:
        spark.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
