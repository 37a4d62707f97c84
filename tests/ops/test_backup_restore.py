"""scripts/backup_db.sh -> scripts/restore_db.sh round trip on a real PostgreSQL."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest
from django.contrib.auth.models import Group
from django.db import connection

from tests.factories import UserFactory
from tests.ops.conftest import ROOT
from tests.ops.conftest import pg_url as _url

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not shutil.which("pg_dump"), reason="pg_dump/pg_restore not installed"),
]


def _run(cmd: list[str], **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        cmd, cwd=ROOT, env={**os.environ, **env}, capture_output=True, text=True, timeout=180
    )


def _row_counts(url: str) -> dict[str, int]:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        tables = [
            row[0]
            for row in conn.execute(
                "SELECT quote_ident(schemaname) || '.' || quote_ident(tablename) FROM pg_tables "
                "WHERE schemaname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1"
            )
        ]
        return {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in tables}


def _seed() -> None:
    admin = Group.objects.get_or_create(name="ops-test-group")[0]
    for _ in range(5):
        UserFactory().groups.add(admin)


def test_backup_restores_with_identical_row_counts(tmp_path: Path, fresh_database: str) -> None:
    _seed()
    source = _url(connection.settings_dict["NAME"])
    backup = _run(["bash", "scripts/backup_db.sh", source], BACKUP_DIR=str(tmp_path))
    assert backup.returncode == 0, backup.stderr
    dump = Path(backup.stdout.strip().splitlines()[-1])
    assert dump.parent == tmp_path and dump.suffix == ".dump" and dump.stat().st_size > 0
    assert not list(tmp_path.glob("*.partial"))

    restore = _run(["bash", "scripts/restore_db.sh", str(dump), fresh_database])
    assert restore.returncode == 0, restore.stderr

    expected = _row_counts(source)
    assert expected, "the source database has tables"
    assert sum(expected.values()) >= 6
    assert _row_counts(fresh_database) == expected

    # A second restore into the now non-empty database is refused without --clean...
    again = _run(["bash", "scripts/restore_db.sh", str(dump), fresh_database])
    assert again.returncode == 3 and "fresh database" in again.stderr
    # ...and replaces the data with it.
    clean = _run(["bash", "scripts/restore_db.sh", str(dump), fresh_database, "--clean"])
    assert clean.returncode == 0, clean.stderr
    assert _row_counts(fresh_database) == expected


def test_retention_by_count_and_age(tmp_path: Path) -> None:
    source = _url(connection.settings_dict["NAME"])
    ancient = tmp_path / "studiozens-20000101T000000Z.dump"
    ancient.write_bytes(b"old")
    old = time.time() - 40 * 86400
    os.utime(ancient, (old, old))
    unrelated = tmp_path / "notes.txt"
    unrelated.write_text("keep me")

    made = []
    for _ in range(3):
        proc = _run(
            ["bash", "scripts/backup_db.sh"],
            DATABASE_URL=source,
            BACKUP_DIR=str(tmp_path),
            BACKUP_KEEP="2",
            BACKUP_MAX_AGE_DAYS="30",
        )
        assert proc.returncode == 0, proc.stderr
        made.append(Path(proc.stdout.strip().splitlines()[-1]))
    remaining = sorted(tmp_path.glob("studiozens-*.dump"))
    assert not ancient.exists()
    assert len(remaining) == 2 and made[-1] in remaining
    assert unrelated.exists()


def test_scripts_refuse_bad_input(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    no_url = subprocess.run(
        ["bash", "scripts/backup_db.sh"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert no_url.returncode == 2 and "usage" in no_url.stderr
    junk = tmp_path / "junk.dump"
    junk.write_text("not a dump")
    bad = _run(["bash", "scripts/restore_db.sh", str(junk), _url("postgres")])
    assert bad.returncode == 2 and "not a pg_dump" in bad.stderr
