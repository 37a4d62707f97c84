"""Off-site backups (issue 20, part 5), end to end: scripts/offsite_backup.py against the local
PostgreSQL and a real S3 HTTP API (moto's server): dump -> age encryption -> upload ->
retention -> restore of the newest into a scratch database; then the runbook's restore."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from tests.ops.conftest import ROOT, S3_KEY, S3_SECRET
from tests.ops.conftest import pg_url as _url
from tests.ops.test_backup_restore import _row_counts, _seed

sys.path.insert(0, str(ROOT / "scripts"))
import offsite_backup

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not shutil.which("pg_dump"), reason="pg_dump/pg_restore not installed"),
]


@pytest.fixture
def keys() -> tuple[str, str]:
    return offsite_backup.keygen()


@pytest.fixture
def backup_env(s3_bucket: Any, keys: tuple[str, str]) -> dict[str, str]:
    endpoint, bucket, _client = s3_bucket
    identity, recipient = keys
    return {
        "DATABASE_URL": _url(connection.settings_dict["NAME"]),
        "BACKUP_S3_BUCKET": bucket,
        "BACKUP_S3_PREFIX": "db/",
        "BACKUP_S3_ENDPOINT_URL": endpoint,
        "BACKUP_S3_REGION": "us-east-1",
        "BACKUP_S3_ACCESS_KEY_ID": S3_KEY,
        "BACKUP_S3_SECRET_ACCESS_KEY": S3_SECRET,
        "BACKUP_AGE_RECIPIENT": recipient,
        "BACKUP_AGE_IDENTITY": identity,
        "BACKUP_KEEP": "2",
        "BACKUP_MAX_AGE_DAYS": "35",
        "BACKUP_VERIFY_DATABASE": f"sz_ops_bkv_{uuid.uuid4().hex[:8]}",
    }


def _script(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("BACKUP_", "AWS_"))}
    return subprocess.run(
        [sys.executable, "scripts/offsite_backup.py", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=300,
    )


def _database_exists(name: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        return cursor.fetchone() is not None


def test_scheduled_run_uploads_encrypted_prunes_and_verifies(
    s3_bucket: Any, backup_env: dict[str, str]
) -> None:
    _endpoint, bucket, client = s3_bucket
    _seed()
    # Older backups and an unrelated object already in the bucket.
    for stamp in ("20260101T000000Z", "20260201T000000Z", "20260301T000000Z"):
        client.put_object(Bucket=bucket, Key=f"db/studiozens-{stamp}.dump.age", Body=b"old")
    client.put_object(Bucket=bucket, Key="db/README.txt", Body=b"keep me")

    result = _script("run", env=backup_env)
    assert result.returncode == 0, result.stderr
    key = result.stdout.strip()
    assert key.startswith("db/studiozens-") and key.endswith(".dump.age")
    assert "verified" in result.stderr and "migrations restored" in result.stderr

    keys = sorted(o["Key"] for o in client.list_objects_v2(Bucket=bucket)["Contents"])
    # BACKUP_KEEP=2: the new one and the newest old one; README untouched.
    assert keys == sorted([key, "db/studiozens-20260301T000000Z.dump.age", "db/README.txt"])
    body = client.get_object(Bucket=bucket, Key=key)["Body"].read()
    assert body.startswith(b"age-encryption.org/v1") and b"PGDMP" not in body[:4096]
    head = client.head_object(Bucket=bucket, Key=key)
    assert len(head["Metadata"]["sha256"]) == 64 and int(head["Metadata"]["tables"]) > 10
    assert not _database_exists(backup_env["BACKUP_VERIFY_DATABASE"]), "scratch DB dropped"


def test_runbook_restore_reproduces_the_database(
    s3_bucket: Any, backup_env: dict[str, str], fresh_database: str
) -> None:
    _seed()
    assert _script("run", env=backup_env).returncode == 0
    listing = _script("list", env=backup_env)
    assert listing.returncode == 0 and ".dump.age" in listing.stdout
    restored = _script("restore", "--target", fresh_database, env=backup_env)
    assert restored.returncode == 0, restored.stderr
    source = backup_env["DATABASE_URL"]
    assert _row_counts(fresh_database) == _row_counts(source)


def test_verify_refuses_a_tampered_or_undecryptable_backup(
    s3_bucket: Any, backup_env: dict[str, str]
) -> None:
    _endpoint, bucket, client = s3_bucket
    made = _script("run", env=backup_env)
    assert made.returncode == 0, made.stderr
    key = made.stdout.strip()

    wrong_key = {**backup_env, "BACKUP_AGE_IDENTITY": offsite_backup.keygen()[0]}
    failed = _script("verify", env=wrong_key)
    assert failed.returncode == 1 and "cannot decrypt" in failed.stderr

    head = client.head_object(Bucket=bucket, Key=key)
    body = bytearray(client.get_object(Bucket=bucket, Key=key)["Body"].read())
    body[-10] ^= 0xFF
    client.put_object(Bucket=bucket, Key=key, Body=bytes(body), Metadata=head["Metadata"])
    tampered = _script("verify", env=backup_env)
    assert tampered.returncode == 1 and "checksum mismatch" in tampered.stderr


def test_missing_configuration_is_named(backup_env: dict[str, str]) -> None:
    env = {
        k: v
        for k, v in backup_env.items()
        if k not in {"BACKUP_S3_BUCKET", "BACKUP_AGE_RECIPIENT", "BACKUP_AGE_IDENTITY"}
    }
    result = _script("run", env=env)
    assert result.returncode == 1
    assert "BACKUP_S3_BUCKET" in result.stderr and "BACKUP_AGE_RECIPIENT" in result.stderr


def test_retention_by_age_never_deletes_the_newest(
    s3_bucket: Any, backup_env: dict[str, str]
) -> None:
    _endpoint, bucket, client = s3_bucket
    for stamp in ("20260101T000000Z", "20260101T000000Z-1", "20260102T000000Z"):
        client.put_object(Bucket=bucket, Key=f"db/studiozens-{stamp}.dump.age", Body=b"x")
    config = offsite_backup.Config.from_env(
        {**backup_env, "BACKUP_KEEP": "0", "BACKUP_MAX_AGE_DAYS": "1"}
    )
    s3 = offsite_backup.s3_client(config)
    assert [b.key for b in offsite_backup.list_backups(s3, config)] == [
        "db/studiozens-20260102T000000Z.dump.age",
        "db/studiozens-20260101T000000Z-1.dump.age",
        "db/studiozens-20260101T000000Z.dump.age",
    ]
    assert offsite_backup.prune(s3, config, now=datetime.now(UTC) + timedelta(hours=1)) == []
    deleted = offsite_backup.prune(s3, config, now=datetime.now(UTC) + timedelta(days=3))
    assert len(deleted) == 2
    remaining = [o["Key"] for o in client.list_objects_v2(Bucket=bucket)["Contents"]]
    assert remaining == ["db/studiozens-20260102T000000Z.dump.age"]


def test_backup_image_pins_the_locked_versions() -> None:
    uv = shutil.which("uv") or str(Path.home() / ".local/bin/uv")
    if not Path(uv).exists():
        pytest.skip("uv not installed")
    exported = subprocess.run(
        [uv, "export", "--frozen", "--only-group", "backup", "--no-emit-project", "--no-header"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    assert (ROOT / "deploy/backup/requirements.txt").read_text() == exported, (
        "regenerate: uv export --frozen --only-group backup --no-emit-project --no-header "
        "> deploy/backup/requirements.txt"
    )
    dockerfile = (ROOT / "deploy/backup/Dockerfile").read_text()
    assert "FROM postgres:16" in dockerfile and "--require-hashes" in dockerfile
