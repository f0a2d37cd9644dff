"""Encrypted Parquet between fairsynth and Spark (local mode): Spark's
``PropertiesDrivenCryptoFactory`` with a small KMS client class (spark_kms/, compiled here
with javac against the Parquet jars PySpark ships) reads a file fairsynth encrypted, and
fairsynth reads what Spark encrypted (AES_GCM_V1, double wrapping, Spark's default).

Spark runs in a child Python process so that its JVM starts with the KMS class on the class
path, whatever session the other Spark tests left. Marked ``spark``; with
``FAIRSYNTH_REQUIRE_SPARK=1`` (CI) a missing PySpark, java or javac is a failure, not a skip.
"""

from __future__ import annotations

import base64
import json
import os
import pathlib
import shutil
import subprocess
import sys
import textwrap

import pyarrow.parquet as pq
import pytest

from conftest import SCHEMAS, cli, strip_meta

pytestmark = pytest.mark.spark

HERE = pathlib.Path(__file__).resolve().parent
CUSTOMERS = SCHEMAS / "customers.yaml"
REQUIRED = os.environ.get("FAIRSYNTH_REQUIRE_SPARK") == "1"
KEYS = {"auditor": bytes(range(16)), "footer": bytes(range(100, 132))}


def _need(what: str, ok: bool) -> None:
    if not ok:
        if REQUIRED:
            pytest.fail(f"{what} is missing, and FAIRSYNTH_REQUIRE_SPARK=1")
        pytest.skip(f"{what} is not installed")


@pytest.fixture(scope="module")
def kms_classes(tmp_path_factory):
    try:
        import pyspark
    except ImportError:
        _need("pyspark", False)
    _need("a Java runtime (java on PATH)", shutil.which("java") is not None)
    _need("a Java compiler (javac on PATH)", shutil.which("javac") is not None)
    jars = pathlib.Path(pyspark.__file__).parent / "jars"
    out = tmp_path_factory.mktemp("kms")
    subprocess.run(
        ["javac", "-cp", str(jars / "*"), "-d", str(out), str(HERE / "spark_kms" / "FairsynthTestKms.java")],
        check=True,
        capture_output=True,
    )
    return out


SPARK_SCRIPT = textwrap.dedent(
    """
    import json, sys
    from pyspark.sql import SparkSession
    args = json.loads(sys.argv[1])
    spark = (
        SparkSession.builder.master("local[2]")
        .appName("fairsynth-encryption-tests")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.driver.extraClassPath", args["classes"])
        .config("spark.hadoop.parquet.crypto.factory.class",
                "org.apache.parquet.crypto.keytools.PropertiesDrivenCryptoFactory")
        .config("spark.hadoop.parquet.encryption.kms.client.class", "FairsynthTestKms")
        .config("spark.hadoop.fairsynth.test.keys", args["keys"])
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    df = spark.read.parquet(args["read"])
    rows = df.count()
    by_sex = {r["sex"]: r["count"] for r in df.groupBy("sex").count().collect()}
    churn = df.where("churned").count()
    (df.coalesce(1).write.mode("overwrite")
        .option("parquet.encryption.column.keys", "auditor:sex,age")
        .option("parquet.encryption.footer.key", "footer")
        .parquet(args["write"]))
    print(json.dumps({"rows": rows, "by_sex": by_sex, "churned": churn}))
    spark.stop()
    """
)


def test_spark_reads_fairsynth_and_fairsynth_reads_spark(tmp_path, kms_classes):
    keys = tmp_path / "keys.txt"
    keys.write_text("".join(f"{k}: {base64.b64encode(v).decode()}\n" for k, v in KEYS.items()))
    enc = tmp_path / "enc.parquet"
    cli(
        "synth", "--schema", CUSTOMERS, "--rows", 3000, "--seed", 9, "-q", "-o", enc,
        "--keys", keys, "--encrypt", "auditor=role:protected", "--footer-key", "footer",
    )  # fmt: skip
    plain = tmp_path / "plain.parquet"
    cli("synth", "--schema", CUSTOMERS, "--rows", 3000, "--seed", 9, "-q", "-o", plain)
    want = pq.read_table(plain)

    spark_out = tmp_path / "spark_out"
    args = {
        "classes": str(kms_classes),
        "keys": ",".join(f"{k}:{base64.b64encode(v).decode()}" for k, v in KEYS.items()),
        "read": str(enc),
        "write": str(spark_out),
    }
    env = dict(os.environ, PYSPARK_PYTHON=sys.executable)
    p = subprocess.run(
        [sys.executable, "-c", SPARK_SCRIPT, json.dumps(args)],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    assert p.returncode == 0, p.stderr[-4000:]
    seen = json.loads(p.stdout.strip().splitlines()[-1])
    # Spark decrypted fairsynth's file: the protected column's counts are the real ones.
    assert seen["rows"] == 3000
    sexes = want.column("sex").to_pylist()
    assert seen["by_sex"] == {s: sexes.count(s) for s in set(sexes)}
    assert seen["churned"] == sum(want.column("churned").to_pylist())

    # fairsynth reads Spark's encrypted output with the same master keys.
    part = next(spark_out.glob("part-*.parquet"))
    assert part.read_bytes()[-4:] == b"PARE"  # an encrypted footer
    out = tmp_path / "w.parquet"
    cli("reweight", "--schema", CUSTOMERS, part, "-o", out, "--keys", keys, "--keep-identifiers")
    got = pq.read_table(out)
    cols = ["sex", "age", "customer_id", "churned", "income"]
    assert strip_meta(got.select(cols)).equals(strip_meta(want.select(cols)))
    # Without the auditor's key: the audit of Spark's file says what it left out.
    team = tmp_path / "team.txt"
    team.write_text(f"footer: {base64.b64encode(KEYS['footer']).decode()}\n")
    a = cli("audit", "--schema", CUSTOMERS, part, "--keys", team, ok=False)
    assert "column `sex` is encrypted under master key `auditor`" in a.stderr, a.stderr
