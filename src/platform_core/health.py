"""Readiness checks: the database, the cache/Redis, the Celery broker and each plugin's own."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import connection

from platform_core.plugins import get_plugins, resolve

logger = logging.getLogger(__name__)

CHECK_TIMEOUT_SECONDS = 2


def check_database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return "ok"


def check_cache() -> str:
    backend = settings.CACHES["default"]["BACKEND"]
    if backend.startswith("django_redis"):
        from django_redis import get_redis_connection

        # Ping directly: the cache itself ignores Redis errors so reads degrade.
        get_redis_connection("default").ping()
        return "ok"
    cache.set("health:probe", "1", 5)
    if cache.get("health:probe") != "1":
        raise RuntimeError("cache did not return the probe value")
    return "ok"


def check_broker() -> str:
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return "eager"
    from celery import current_app

    from platform_core.outbox import note_broker_failure, reset_breaker

    # Readiness always probes (it is the probe): a success also ends the publish backoff.
    try:
        with current_app.connection_for_write() as conn:
            # No pause between the two tries (kombu waits 2 s by default): readiness must
            # answer its 503 quickly during an outage.
            conn.ensure_connection(
                max_retries=1, interval_start=0, interval_step=0.2, timeout=CHECK_TIMEOUT_SECONDS
            )
    except Exception:
        note_broker_failure()
        raise
    reset_breaker()
    return "ok"


CORE_CHECKS: dict[str, Callable[[], str]] = {
    "database": check_database,
    "cache": check_cache,
    "broker": check_broker,
}


def run_checks() -> tuple[bool, dict[str, dict[str, Any]]]:
    checks: dict[str, Callable[[], Any]] = dict(CORE_CHECKS)
    for plugin in get_plugins():
        for name, path in plugin.health_checks.items():
            checks[f"{plugin.name}.{name}"] = resolve(path)
    results: dict[str, dict[str, Any]] = {}
    healthy = True
    for name, check in checks.items():
        started = time.perf_counter()
        try:
            status = check() or "ok"
            results[name] = {"status": str(status)}
        except Exception as exc:  # noqa: BLE001 - every failure is reported, none raised
            healthy = False
            logger.warning("health check %s failed: %s", name, exc.__class__.__name__)
            results[name] = {"status": "error", "error": exc.__class__.__name__}
        results[name]["ms"] = round((time.perf_counter() - started) * 1000, 1)
    return healthy, results
