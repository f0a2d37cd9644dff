"""Encrypted Parquet between fairsynth and pyarrow: pyarrow's CryptoFactory, with a KmsClient
that wraps keys the way parquet-java's in-memory KMS does (AES-GCM with the master key, the
master key ID as AAD, base64 of nonce + ciphertext + tag), opens the files fairsynth writes
(every column kind, encrypted and plaintext footers); fairsynth opens the files pyarrow
writes (single and double wrapping), from the CLI with a key file and from Python with
``fairsynth.use_kms`` and the same client object."""

from __future__ import annotations

import base64
import os

import pyarrow as pa
import pyarrow.parquet as pq
import pyarrow.parquet.encryption as pe
import pytest

import fairsynth
from conftest import SCHEMAS, cli, strip_meta

AESGCM = pytest.importorskip("cryptography.hazmat.primitives.ciphers.aead").AESGCM

CUSTOMERS = SCHEMAS / "customers.yaml"
KEYS = {
    "auditor": bytes(range(16)),
    "team": bytes(range(50, 66)),
    "footer": bytes(range(100, 132)),
}
# Every column of customers.yaml, by kind, under the team key; the protected ones (sex, age)
# under the auditor's.
TEAM_COLUMNS = [
    "customer_id",  # int
    "full_name",  # string
    "email",
    "phone",
    "street_address",
    "state",  # category (dictionary)
    "birth_date",  # date
    "region",  # category (dictionary)
    "education",
    "income",  # float, nullable
    "tenure_months",
    "signed_up_at",  # timestamp
    "consent_marketing",  # bool
    "churned",
]


class InMemoryKms(pe.KmsClient):
    """AES-GCM key wrapping with master keys held in memory."""

    def __init__(self, keys: dict[str, bytes]):
        pe.KmsClient.__init__(self)
        self.keys = keys

    def _key(self, master_key_identifier: str) -> AESGCM:
        if master_key_identifier not in self.keys:
            raise KeyError(f"no master key {master_key_identifier}")
        return AESGCM(self.keys[master_key_identifier])

    def wrap_key(self, key_bytes: bytes, master_key_identifier: str) -> str:
        nonce = os.urandom(12)
        sealed = self._key(master_key_identifier).encrypt(
            nonce, key_bytes, master_key_identifier.encode()
        )
        return base64.b64encode(nonce + sealed).decode()

    def unwrap_key(self, wrapped_key, master_key_identifier: str) -> bytes:
        raw = base64.b64decode(wrapped_key)
        return self._key(master_key_identifier).decrypt(
            raw[:12], raw[12:], master_key_identifier.encode()
        )


def factory(keys: dict[str, bytes]) -> pe.CryptoFactory:
    return pe.CryptoFactory(lambda _config: InMemoryKms(keys))


def decryption(keys: dict[str, bytes]) -> pe.FileDecryptionProperties:
    return factory(keys).file_decryption_properties(pe.KmsConnectionConfig())


def key_file(path, keys: dict[str, bytes]):
    path.write_text("".join(f"{k}: {base64.b64encode(v).decode()}\n" for k, v in keys.items()))
    return path


@pytest.fixture(scope="module")
def plain(tmp_path_factory):
    d = tmp_path_factory.mktemp("plain")
    out = d / "plain.parquet"
    cli("synth", "--schema", CUSTOMERS, "--rows", 4000, "--seed", 3, "-q", "-o", out)
    return pq.read_table(out)


def synth_encrypted(tmp_path, plaintext_footer: bool):
    keys = key_file(tmp_path / "keys.txt", KEYS)
    out = tmp_path / f"enc-{plaintext_footer}.parquet"
    flags = ["--plaintext-footer"] if plaintext_footer else []
    cli(
        "synth", "--schema", CUSTOMERS, "--rows", 4000, "--seed", 3, "-q", "-o", out,
        "--keys", keys, "--footer-key", "footer",
        "--encrypt", "auditor=role:protected",
        "--encrypt", "team=" + ",".join(TEAM_COLUMNS),
        *flags,
    )  # fmt: skip
    return out


@pytest.mark.parametrize("plaintext_footer", [False, True])
def test_pyarrow_reads_every_column_kind_fairsynth_encrypted(tmp_path, plain, plaintext_footer):
    out = synth_encrypted(tmp_path, plaintext_footer)
    meta = pq.ParquetFile(out, decryption_properties=decryption(KEYS)).metadata
    assert meta.num_columns == plain.num_columns
    got = pq.read_table(out, decryption_properties=decryption(KEYS))
    assert strip_meta(got).equals(strip_meta(plain))
    prov = meta.metadata[b"fairsynth"].decode()
    assert '"sex":"auditor"' in prov and '"income":"team"' in prov
    for k in KEYS.values():
        assert base64.b64encode(k).decode() not in prov
    # Without the auditor's key, pyarrow reads the other columns and not the protected ones.
    partial = {k: v for k, v in KEYS.items() if k != "auditor"}
    others = [c for c in plain.column_names if c not in ("sex", "age")]
    t = pq.read_table(out, columns=others, decryption_properties=decryption(partial))
    assert strip_meta(t).equals(strip_meta(plain.select(others)))
    with pytest.raises(Exception):
        pq.read_table(out, columns=["sex"], decryption_properties=decryption(partial))


def pyarrow_encrypted(tmp_path, plain, double_wrapping: bool, plaintext_footer: bool = False):
    out = tmp_path / f"pyarrow-{double_wrapping}-{plaintext_footer}.parquet"
    config = pe.EncryptionConfiguration(
        footer_key="footer",
        column_keys={"auditor": ["sex", "age"], "team": TEAM_COLUMNS},
        encryption_algorithm="AES_GCM_V1",
        double_wrapping=double_wrapping,
        plaintext_footer=plaintext_footer,
    )
    props = factory(KEYS).file_encryption_properties(pe.KmsConnectionConfig(), config)
    pq.write_table(plain, out, encryption_properties=props)
    return out


@pytest.mark.parametrize("double_wrapping", [False, True])
def test_fairsynth_cli_reads_pyarrow_encrypted(tmp_path, plain, double_wrapping):
    src = pyarrow_encrypted(tmp_path, plain, double_wrapping)
    keys = key_file(tmp_path / "keys.txt", KEYS)
    out = tmp_path / "weighted.parquet"
    cli("reweight", "--schema", CUSTOMERS, src, "-o", out, "--keys", keys, "--keep-identifiers")
    got = pq.read_table(out)
    cols = [c for c in plain.column_names if c in got.column_names]
    assert "sex" in cols and "income" in cols and "customer_id" in cols
    assert strip_meta(got.select(cols)).equals(strip_meta(plain.select(cols)))
    # Without the team key, the error names the column and the key ID.
    p = cli(
        "reweight", "--schema", CUSTOMERS, src, "-o", out,
        "--keys", key_file(tmp_path / "k2.txt", {"footer": KEYS["footer"], "auditor": KEYS["auditor"]}),
        ok=False,
    )  # fmt: skip
    assert p.returncode != 0
    assert "master key `team`" in p.stderr, p.stderr
    for k in KEYS.values():
        assert base64.b64encode(k).decode() not in p.stderr


def test_fairsynth_python_reads_with_a_pyarrow_kms_client(tmp_path, plain):
    src = pyarrow_encrypted(tmp_path, plain, double_wrapping=True, plaintext_footer=True)
    schema = fairsynth.Schema.from_file(CUSTOMERS)
    try:
        fairsynth.use_kms(InMemoryKms(KEYS))
        full = fairsynth.audit(src, schema)
        parity = full["parity"]
        assert parity is not None and any("sex" in a["attribute"] for a in parity["attributes"])
        # The training team's client: no auditor key. The audit says what it left out.
        fairsynth.use_kms(InMemoryKms({k: v for k, v in KEYS.items() if k != "auditor"}))
        team = fairsynth.audit(src, schema)
        notes = " ".join(team["notes"])
        assert "column `sex` is encrypted under master key `auditor`" in notes, notes
    finally:
        fairsynth.use_kms(None)
    with pytest.raises(TypeError):
        fairsynth.use_kms(object())


def test_fairsynth_file_pyarrow_reencrypts_and_fairsynth_reads_back(tmp_path, plain):
    """The round trip both ways: fairsynth writes, pyarrow reads and writes again with double
    wrapping, fairsynth reads that."""
    enc = synth_encrypted(tmp_path, plaintext_footer=False)
    t = pq.read_table(enc, decryption_properties=decryption(KEYS))
    t = t.replace_schema_metadata(None)
    again = pyarrow_encrypted(tmp_path, t, double_wrapping=True)
    keys = key_file(tmp_path / "keys.txt", KEYS)
    out = tmp_path / "w.parquet"
    cli("reweight", "--schema", CUSTOMERS, again, "-o", out, "--keys", keys, "--keep-identifiers")
    got = pq.read_table(out)
    cols = [c for c in plain.column_names if c in got.column_names]
    assert strip_meta(got.select(cols)).equals(strip_meta(plain.select(cols)))
    assert isinstance(got, pa.Table)
