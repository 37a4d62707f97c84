"""Off-site database backups: dump, encrypt, upload, prune, and prove the newest one restores.

    python scripts/offsite_backup.py run              # the Render cron job (render.yaml)
    python scripts/offsite_backup.py verify           # restore the newest backup into a scratch DB
    python scripts/offsite_backup.py list             # what the bucket holds, newest first
    python scripts/offsite_backup.py restore --target URL [--key KEY] [--clean]
    python scripts/offsite_backup.py keygen           # a new age key pair for BACKUP_AGE_*

`run` = scripts/backup_db.sh (pg_dump custom format, checked with pg_restore --list) ->
age encryption (X25519, pyrage) -> upload to S3-compatible storage (boto3) -> retention
(keep the newest BACKUP_KEEP, delete older than BACKUP_MAX_AGE_DAYS, never the newest) ->
`verify`: download the newest, check its SHA-256, decrypt, restore it with scripts/restore_db.sh
into a scratch database on the same server, check the restored tables against the dump's
table of contents, drop the scratch database. Any failure exits non-zero (Render's cron
failure notification is the alert). Runbook: docs/DEPLOYMENT_RUNBOOK.md, "Backups".

Environment:
  DATABASE_URL                  database to back up (and the server the scratch DB goes on)
  BACKUP_S3_BUCKET              bucket (required)
  BACKUP_S3_PREFIX              key prefix (default: db/)
  BACKUP_S3_ENDPOINT_URL        S3-compatible endpoint (R2, B2, MinIO...); empty = AWS
  BACKUP_S3_REGION              region (default: us-east-1)
  BACKUP_S3_ACCESS_KEY_ID       credentials (default: boto3's own, e.g. AWS_ACCESS_KEY_ID)
  BACKUP_S3_SECRET_ACCESS_KEY
  BACKUP_AGE_RECIPIENT          age public key(s) to encrypt to, comma-separated (age1...)
  BACKUP_AGE_IDENTITY           age secret key (AGE-SECRET-KEY-1...) for verify/restore; with
                                only this set, the recipient is derived from it
  BACKUP_KEEP                   newest backups kept (default: 30; 0 = no count limit)
  BACKUP_MAX_AGE_DAYS           older backups deleted (default: 35; 0 = no age limit)
  BACKUP_VERIFY_DATABASE        scratch database name (default: <database>_backup_verify);
                                dropped and re-created by verify
"""

from __future__ import annotations

import argparse
import hashlib
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[1]
# Every variable this script reads (scripts/env_inventory.py knows them from here; the backup
# cron in render.yaml declares them).
ENVIRONMENT = (
    "DATABASE_URL",
    "BACKUP_S3_BUCKET",
    "BACKUP_S3_PREFIX",
    "BACKUP_S3_ENDPOINT_URL",
    "BACKUP_S3_REGION",
    "BACKUP_S3_ACCESS_KEY_ID",
    "BACKUP_S3_SECRET_ACCESS_KEY",
    "BACKUP_AGE_RECIPIENT",
    "BACKUP_AGE_IDENTITY",
    "BACKUP_KEEP",
    "BACKUP_MAX_AGE_DAYS",
    "BACKUP_VERIFY_DATABASE",
)
KEY_PATTERN = re.compile(r"studiozens-(\d{8}T\d{6}Z)(?:-(\d+))?\.dump\.age")


class BackupError(Exception):
    """A step failed; the message says which and why."""


@dataclass(frozen=True)
class Config:
    database_url: str
    bucket: str
    prefix: str
    endpoint_url: str | None
    region: str
    access_key: str | None
    secret_key: str | None
    recipients: tuple[str, ...]
    identity: str | None
    keep: int
    max_age_days: int
    verify_database: str | None

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Config:
        env = os.environ if environ is None else environ

        def get(name: str, default: str = "") -> str:
            assert name in ENVIRONMENT, name
            return (env.get(name) or default).strip()

        def whole(name: str, default: str) -> int:
            raw = get(name, default)
            if not raw.isdigit():
                raise BackupError(f"{name} must be a whole number, got {raw!r}")
            return int(raw)

        prefix = get("BACKUP_S3_PREFIX", "db/")
        return cls(
            database_url=get("DATABASE_URL"),
            bucket=get("BACKUP_S3_BUCKET"),
            prefix=prefix if not prefix or prefix.endswith("/") else prefix + "/",
            endpoint_url=get("BACKUP_S3_ENDPOINT_URL") or None,
            region=get("BACKUP_S3_REGION", "us-east-1"),
            access_key=get("BACKUP_S3_ACCESS_KEY_ID") or None,
            secret_key=get("BACKUP_S3_SECRET_ACCESS_KEY") or None,
            recipients=tuple(
                r.strip() for r in get("BACKUP_AGE_RECIPIENT").split(",") if r.strip()
            ),
            identity=get("BACKUP_AGE_IDENTITY") or None,
            keep=whole("BACKUP_KEEP", "30"),
            max_age_days=whole("BACKUP_MAX_AGE_DAYS", "35"),
            verify_database=get("BACKUP_VERIFY_DATABASE") or None,
        )

    def require(self, *names: str) -> None:
        labels = {
            "database_url": "DATABASE_URL",
            "bucket": "BACKUP_S3_BUCKET",
            "identity": "BACKUP_AGE_IDENTITY",
        }
        missing = [labels[n] for n in names if n in labels and not getattr(self, n)]
        if "recipients" in names and not (self.recipients or self.identity):
            missing.append("BACKUP_AGE_RECIPIENT (or BACKUP_AGE_IDENTITY)")
        if missing:
            raise BackupError(f"not configured: {', '.join(missing)}")


# --- encryption (age, X25519) -------------------------------------------------------------------


def keygen() -> tuple[str, str]:
    """(identity, recipient): the secret key for BACKUP_AGE_IDENTITY and its public key."""
    from pyrage import x25519

    identity = x25519.Identity.generate()
    return str(identity), str(identity.to_public())


def _recipients(config: Config) -> list[Any]:
    import pyrage
    from pyrage import x25519

    try:
        found = [x25519.Recipient.from_str(r) for r in config.recipients]
        if config.identity:
            found.append(x25519.Identity.from_str(config.identity).to_public())
    except (pyrage.RecipientError, pyrage.IdentityError, ValueError) as exc:
        raise BackupError(f"BACKUP_AGE_RECIPIENT/IDENTITY is not a valid age key: {exc}") from None
    return found


def encrypt(plain: Path, target: Path, config: Config) -> None:
    import pyrage

    pyrage.encrypt_file(str(plain), str(target), _recipients(config))


def decrypt(encrypted: Path, target: Path, config: Config) -> None:
    import pyrage
    from pyrage import x25519

    config.require("identity")
    try:
        identity = x25519.Identity.from_str(config.identity or "")
        pyrage.decrypt_file(str(encrypted), str(target), [identity])
    except (pyrage.DecryptError, pyrage.IdentityError, OSError, ValueError) as exc:
        raise BackupError(f"cannot decrypt {encrypted.name}: {exc}") from None


# --- storage ------------------------------------------------------------------------------------


def s3_client(config: Config) -> Any:
    import boto3
    from botocore.config import Config as BotoConfig

    return boto3.client(
        "s3",
        endpoint_url=config.endpoint_url,
        region_name=config.region,
        aws_access_key_id=config.access_key,
        aws_secret_access_key=config.secret_key,
        config=BotoConfig(retries={"max_attempts": 5, "mode": "standard"}),
    )


@dataclass(frozen=True)
class Stored:
    key: str
    size: int
    modified: datetime


def list_backups(client: Any, config: Config) -> list[Stored]:
    """Our backups in the bucket, newest first (names sort by their UTC timestamp)."""
    found: list[Stored] = []
    paginator = client.get_paginator("list_objects_v2")
    for page in paginator.paginate(Bucket=config.bucket, Prefix=config.prefix):
        for item in page.get("Contents", []):
            if KEY_PATTERN.fullmatch(item["Key"][len(config.prefix) :]):
                found.append(Stored(item["Key"], int(item["Size"]), item["LastModified"]))
    return sorted(found, key=_order, reverse=True)


def _order(stored: Stored) -> tuple[str, int]:
    """(UTC timestamp, same-second counter) from the name backup_db.sh gave the dump."""
    match = KEY_PATTERN.fullmatch(stored.key.rsplit("/", 1)[-1])
    assert match is not None
    return match.group(1), int(match.group(2) or 0)


def prune(client: Any, config: Config, *, now: datetime | None = None) -> list[str]:
    """Apply the retention; returns the deleted keys. The newest backup is never deleted."""
    backups = list_backups(client, config)
    now = now or datetime.now(UTC)
    doomed: list[str] = []
    for index, backup in enumerate(backups):
        if index == 0:
            continue
        too_many = config.keep > 0 and index >= config.keep
        too_old = config.max_age_days > 0 and backup.modified < now - timedelta(
            days=config.max_age_days
        )
        if too_many or too_old:
            doomed.append(backup.key)
    for key in doomed:
        client.delete_object(Bucket=config.bucket, Key=key)
    return doomed


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


# --- PostgreSQL -------------------------------------------------------------------------------


def _run(argv: Sequence[str], **env: str) -> str:
    proc = subprocess.run(
        list(argv), cwd=ROOT, env={**os.environ, **env}, capture_output=True, text=True, check=False
    )
    if proc.returncode != 0:
        raise BackupError(
            f"{Path(argv[1] if argv[0] == 'bash' else argv[0]).name} failed "
            f"(exit {proc.returncode}): {proc.stderr.strip()[-2000:]}"
        )
    return proc.stdout


def dump(config: Config, workdir: Path) -> Path:
    out = _run(
        ["bash", str(ROOT / "scripts" / "backup_db.sh"), config.database_url],
        BACKUP_DIR=str(workdir),
        BACKUP_KEEP="0",
        BACKUP_MAX_AGE_DAYS="0",
    )
    return Path(out.strip().splitlines()[-1])


def dump_tables(dump_file: Path) -> int:
    """How many tables have data in the dump (its table of contents)."""
    listing = _run(["pg_restore", "--list", str(dump_file)])
    return sum(1 for line in listing.splitlines() if " TABLE DATA " in line)


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + name))


def _database_name(url: str) -> str:
    return urlsplit(url).path.lstrip("/") or "postgres"


def _admin(url: str, sql: str) -> str:
    return _run(["psql", url, "-XAtq", "-v", "ON_ERROR_STOP=1", "-c", sql])


def _quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def restore_into_scratch(decrypted: Path, config: Config) -> dict[str, int]:
    """Restore into a fresh scratch database on the source's server; table/row figures."""
    source = config.database_url
    scratch = config.verify_database or f"{_database_name(source)}_backup_verify"
    if scratch == _database_name(source):
        raise BackupError("BACKUP_VERIFY_DATABASE must differ from the backed-up database")
    target = _with_database(source, scratch)
    _admin(source, f"DROP DATABASE IF EXISTS {_quote_ident(scratch)} WITH (FORCE)")
    _admin(source, f"CREATE DATABASE {_quote_ident(scratch)}")
    try:
        _run(["bash", str(ROOT / "scripts" / "restore_db.sh"), str(decrypted), target])
        tables = int(
            _admin(
                target,
                "SELECT count(*) FROM pg_tables "
                "WHERE schemaname NOT IN ('pg_catalog','information_schema')",
            ).strip()
        )
        migrations = int(_admin(target, "SELECT count(*) FROM django_migrations").strip() or 0)
        rows = int(
            _admin(
                target,
                "SELECT coalesce(sum(n_live_tup), 0) FROM pg_stat_user_tables",
            ).strip()
            or 0
        )
    finally:
        _admin(source, f"DROP DATABASE IF EXISTS {_quote_ident(scratch)} WITH (FORCE)")
    return {"tables": tables, "migrations": migrations, "rows": rows}


# --- commands -----------------------------------------------------------------------------------


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def backup(config: Config, *, client: Any | None = None) -> str:
    """Dump, encrypt, upload; the new object's key."""
    config.require("database_url", "bucket", "recipients")
    client = client or s3_client(config)
    with tempfile.TemporaryDirectory(prefix="sz-backup-") as tmp:
        workdir = Path(tmp)
        plain = dump(config, workdir)
        tables = dump_tables(plain)
        encrypted = plain.with_name(plain.name + ".age")
        encrypt(plain, encrypted, config)
        plain.unlink()
        key = f"{config.prefix}{encrypted.name}"
        client.upload_file(
            str(encrypted),
            config.bucket,
            key,
            ExtraArgs={
                "Metadata": {"sha256": _sha256(encrypted), "tables": str(tables)},
                "ContentType": "application/octet-stream",
            },
        )
        _log(
            f"uploaded s3://{config.bucket}/{key} ({encrypted.stat().st_size} bytes, "
            f"{tables} tables)"
        )
    return key


def fetch(config: Config, key: str, target: Path, *, client: Any) -> dict[str, str]:
    """Download ``key`` to ``target`` and check it against the SHA-256 recorded at upload."""
    head = client.head_object(Bucket=config.bucket, Key=key)
    client.download_file(config.bucket, key, str(target))
    metadata = head.get("Metadata", {})
    expected = metadata.get("sha256")
    if expected and expected != _sha256(target):
        raise BackupError(f"{key}: checksum mismatch (corrupted or replaced object)")
    return metadata


def verify(config: Config, *, key: str | None = None, client: Any | None = None) -> dict[str, Any]:
    """Restore the newest (or the given) backup into a scratch database and check it."""
    config.require("database_url", "bucket", "identity")
    client = client or s3_client(config)
    if key is None:
        backups = list_backups(client, config)
        if not backups:
            raise BackupError(f"no backup under s3://{config.bucket}/{config.prefix}")
        key = backups[0].key
    with tempfile.TemporaryDirectory(prefix="sz-verify-") as tmp:
        encrypted = Path(tmp) / Path(key).name
        metadata = fetch(config, key, encrypted, client=client)
        plain = encrypted.with_suffix("")  # .dump
        decrypt(encrypted, plain, config)
        expected_tables = int(metadata.get("tables") or dump_tables(plain))
        figures = restore_into_scratch(plain, config)
    if figures["migrations"] == 0:
        raise BackupError(f"{key}: restored, but django_migrations is empty")
    if figures["tables"] < expected_tables:
        raise BackupError(
            f"{key}: restored {figures['tables']} tables, the dump lists {expected_tables}"
        )
    _log(
        f"verified {key}: {figures['tables']} tables, {figures['rows']} rows, "
        f"{figures['migrations']} migrations restored"
    )
    return {"key": key, **figures}


def restore(config: Config, *, target: str, key: str | None, clean: bool) -> str:
    """Download, decrypt and restore a backup into ``target`` with scripts/restore_db.sh."""
    config.require("bucket", "identity")
    client = s3_client(config)
    if key is None:
        backups = list_backups(client, config)
        if not backups:
            raise BackupError(f"no backup under s3://{config.bucket}/{config.prefix}")
        key = backups[0].key
    elif not key.startswith(config.prefix):
        key = config.prefix + key
    with tempfile.TemporaryDirectory(prefix="sz-restore-") as tmp:
        encrypted = Path(tmp) / Path(key).name
        fetch(config, key, encrypted, client=client)
        plain = encrypted.with_suffix("")
        decrypt(encrypted, plain, config)
        argv = ["bash", str(ROOT / "scripts" / "restore_db.sh"), str(plain), target]
        _run([*argv, "--clean"] if clean else argv)
    _log(f"restored {key} into {urlsplit(target).path.lstrip('/')}")
    return key


def run(config: Config) -> dict[str, Any]:
    """The scheduled job: backup, retention, then verify the newest backup."""
    client = s3_client(config)
    key = backup(config, client=client)
    deleted = prune(client, config)
    for old in deleted:
        _log(f"deleted (retention) {old}")
    result = verify(config, client=client)
    if result["key"] != key:
        raise BackupError(f"newest backup is {result['key']}, expected the one just made ({key})")
    return {"key": key, "deleted": deleted, **result}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Off-site, encrypted, verified PostgreSQL backups (see the module doc).",
        epilog="Environment: DATABASE_URL, BACKUP_S3_BUCKET, BACKUP_S3_PREFIX, "
        "BACKUP_S3_ENDPOINT_URL, BACKUP_S3_REGION, BACKUP_S3_ACCESS_KEY_ID, "
        "BACKUP_S3_SECRET_ACCESS_KEY, BACKUP_AGE_RECIPIENT, BACKUP_AGE_IDENTITY, BACKUP_KEEP, "
        "BACKUP_MAX_AGE_DAYS, BACKUP_VERIFY_DATABASE.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("run", help="backup + retention + verify the newest (the cron job)")
    verify_cmd = sub.add_parser("verify", help="restore the newest backup into a scratch DB")
    verify_cmd.add_argument("--key", help="a specific object key instead of the newest")
    sub.add_parser("list", help="backups in the bucket, newest first")
    restore_cmd = sub.add_parser("restore", help="restore a backup into a database")
    restore_cmd.add_argument("--target", required=True, help="target DATABASE_URL")
    restore_cmd.add_argument("--key", help="object key or file name (default: the newest)")
    restore_cmd.add_argument("--clean", action="store_true", help="drop existing objects first")
    sub.add_parser("keygen", help="print a new age identity (secret) and recipient (public)")
    args = parser.parse_args(argv)
    try:
        if args.command == "keygen":
            identity, recipient = keygen()
            print(f"BACKUP_AGE_IDENTITY={identity}\nBACKUP_AGE_RECIPIENT={recipient}")
            return 0
        config = Config.from_env()
        if args.command == "run":
            result = run(config)
            print(result["key"])
        elif args.command == "verify":
            print(verify(config, key=args.key)["key"])
        elif args.command == "list":
            config.require("bucket")
            for item in list_backups(s3_client(config), config):
                print(f"{item.modified:%Y-%m-%d %H:%M}  {item.size:>12}  {item.key}")
        else:
            print(restore(config, target=args.target, key=args.key, clean=args.clean))
    except BackupError as exc:
        _log(f"backup error: {exc}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
