"""Ops tests: templates, blueprint and scripts are checked against the settings' source."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))

import env_inventory  # noqa: E402


@pytest.fixture(scope="session")
def inventory() -> Any:
    return env_inventory


@pytest.fixture(scope="session")
def filled_env() -> dict[str, str]:
    """The production template filled as an operator would (secrets script + tokens)."""
    return env_inventory.filled_production_env()


@pytest.fixture(scope="session")
def production_probe(filled_env: dict[str, str]) -> dict[str, Any]:
    """Which variables production cannot start without (one subprocess per session)."""
    return env_inventory.probe(filled_env, env_inventory.settings_variables())


# --- A local S3-compatible server (moto's server mode) ---------------------------------------
S3_KEY, S3_SECRET = "AKIALOCALTESTING0001", "local-testing-secret-0123456789abcdefgh"


@pytest.fixture(scope="session")
def s3_endpoint() -> Any:
    """moto's S3 server on a free loopback port, for the session (a real HTTP S3 API)."""
    pytest.importorskip("moto.server", reason="moto[server] is a dev dependency")
    from scripts.contract.live_server import Proc, free_port, wait_http

    port = free_port()
    proc = Proc(
        "moto-s3",
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        {
            **__import__("os").environ,
            "AWS_ACCESS_KEY_ID": S3_KEY,
            "AWS_SECRET_ACCESS_KEY": S3_SECRET,
        },
    )
    try:
        wait_http(f"http://127.0.0.1:{port}/moto-api/", proc=proc, timeout=60)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.stop()


@pytest.fixture
def s3_bucket(s3_endpoint: str) -> Any:
    """A fresh bucket on the local S3 server: (endpoint, name, boto3 client)."""
    import uuid

    import boto3

    client = boto3.client(
        "s3",
        endpoint_url=s3_endpoint,
        region_name="us-east-1",
        aws_access_key_id=S3_KEY,
        aws_secret_access_key=S3_SECRET,
    )
    name = f"sz-test-{uuid.uuid4().hex[:12]}"
    client.create_bucket(Bucket=name)
    yield s3_endpoint, name, client
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=name):
        for item in page.get("Contents", []):
            client.delete_object(Bucket=name, Key=item["Key"])
    client.delete_bucket(Bucket=name)


# --- PostgreSQL scratch databases (backup/restore tests) -------------------------------------


def pg_url(name: str) -> str:
    """A URL for database ``name`` on the test database's server."""
    from urllib.parse import quote

    from django.db import connection

    s = connection.settings_dict
    auth = quote(s["USER"] or "postgres")
    if s.get("PASSWORD"):
        auth += ":" + quote(s["PASSWORD"])
    return f"postgresql://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{name}"


@pytest.fixture
def fresh_database() -> Any:
    """An empty database of our own, dropped afterwards."""
    import uuid

    import psycopg

    name = f"sz_restore_{uuid.uuid4().hex[:10]}"
    admin_url = pg_url("postgres")
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield pg_url(name)
    finally:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
