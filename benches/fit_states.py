"""Sizes of the states `fairsynth.spark.fit` moves between executors and the driver, on one
table in one partition (the upper bound: more partitions send more, smaller, states).

Usage (a venv with the fairsynth wheel and pyarrow):
    python benches/fit_states.py [TABLE.csv] [SCHEMA.yaml]
Defaults: ../shared/data/adult.csv and schemas/adult.yaml.
"""

from __future__ import annotations

import json
import sys

import pyarrow.csv as pcsv

from fairsynth import _fairsynth as native
from fairsynth import _schema


def main() -> None:
    table_path = sys.argv[1] if len(sys.argv) > 1 else "../shared/data/adult.csv"
    schema_path = sys.argv[2] if len(sys.argv) > 2 else "schemas/adult.yaml"
    table = pcsv.read_csv(table_path, convert_options=pcsv.ConvertOptions(strings_can_be_null=True))
    s = _schema(schema_path)
    opts = json.dumps({"seed": None, "epsilon": None, "min_count": 10, "bins": 20, "max_parents": 3})
    summary = native.spark_fit_summary(table, s, "table")
    merged = native.spark_fit_plan(s, [summary], opts, "table")
    codes = native.spark_fit_codes(table, s, merged, opts, "table")
    structure, has_copula = native.spark_fit_structure(s, merged, [codes], opts, "table")
    sums = native.spark_fit_copula(table, s, merged, structure, opts, "table") if has_copula else b""
    counted = json.loads(codes)
    print(f"rows {table.num_rows}, variables {counted['vars']}, distinct code tuples {len(counted['rows'])}")
    print(f"bytes: value counts {len(summary)}, code-tuple counts {len(codes)}, structure {len(structure)}, copula sums {len(sums)}")


if __name__ == "__main__":
    main()
