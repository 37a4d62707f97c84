"""Fail fast, with a message saying what to do, when PostgreSQL or Redis is missing.

    python scripts/require_services.py [--postgres] [--redis] [--for "make e2e"]

Used by `make e2e` and `make load`: both need a real PostgreSQL (DATABASE_URL) and Redis
(REDIS_URL); without them the e2e suite would only report "skipped" and the load test would
measure SQLite. Exit status 0 when every requested service answers, 2 otherwise.
"""

from __future__ import annotations

import argparse
import os
import socket
import sys
from urllib.parse import urlsplit

HINT = (
    "Start them (.ci/run shows how CI does) and export, for example:\n"
    "  export DATABASE_URL=postgres://postgres@127.0.0.1:5432/studiozens\n"
    "  export REDIS_URL=redis://127.0.0.1:6379/0"
)


def _reachable(url: str, default_port: int) -> str | None:
    """None when something accepts TCP connections at the URL's host:port, else the error."""
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or default_port
    try:
        with socket.create_connection((host, port), timeout=3):
            return None
    except OSError as exc:
        return f"{host}:{port} does not answer ({exc.strerror or exc})"


def check_postgres(environ: dict[str, str]) -> str | None:
    url = environ.get("DATABASE_URL", "").strip()
    if not url:
        return "DATABASE_URL is not set (SQLite would be used)"
    if urlsplit(url).scheme not in {"postgres", "postgresql", "pgsql", "postgis"}:
        return f"DATABASE_URL is not PostgreSQL ({urlsplit(url).scheme}://...)"
    problem = _reachable(url, 5432)
    return f"PostgreSQL at DATABASE_URL: {problem}" if problem else None


def check_redis(environ: dict[str, str]) -> str | None:
    url = environ.get("REDIS_URL", "").strip()
    if not url:
        return "REDIS_URL is not set (local-memory cache and eager Celery would be used)"
    if urlsplit(url).scheme not in {"redis", "rediss"}:
        return f"REDIS_URL is not a redis:// URL ({urlsplit(url).scheme}://...)"
    problem = _reachable(url, 6379)
    return f"Redis at REDIS_URL: {problem}" if problem else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Exit 2 with a clear message unless PostgreSQL and/or Redis answer "
        "at DATABASE_URL / REDIS_URL."
    )
    parser.add_argument("--postgres", action="store_true", help="require PostgreSQL")
    parser.add_argument("--redis", action="store_true", help="require Redis")
    parser.add_argument("--for", dest="purpose", default="this command", help="shown in errors")
    args = parser.parse_args(argv)
    environ = dict(os.environ)
    checks = []
    if args.postgres or not args.redis:
        checks.append(check_postgres)
    if args.redis or not args.postgres:
        checks.append(check_redis)
    problems = [p for p in (check(environ) for check in checks) if p]
    if problems:
        print(f"{args.purpose} needs PostgreSQL and Redis:", file=sys.stderr)
        for problem in problems:
            print(f"  - {problem}", file=sys.stderr)
        print(HINT, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
