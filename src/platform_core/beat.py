"""Seeds django-celery-beat from the plugins' periodic tasks (idempotent)."""

from __future__ import annotations

import json
import logging
from typing import Any

from platform_core.plugins import ModulePlugin, PeriodicTask, get_plugins

logger = logging.getLogger(__name__)
MANAGED_DESCRIPTION = "Managed by sync_periodic_tasks (plugin: {plugin})"


def _schedule_kwargs(task: PeriodicTask) -> dict[str, Any]:
    from django_celery_beat.models import CrontabSchedule, IntervalSchedule

    if task.every_seconds is not None:
        interval, _ = IntervalSchedule.objects.get_or_create(
            every=task.every_seconds, period=IntervalSchedule.SECONDS
        )
        return {"interval": interval, "crontab": None}
    spec = {
        "minute": "*",
        "hour": "*",
        "day_of_week": "*",
        "day_of_month": "*",
        "month_of_year": "*",
    }
    spec.update(task.crontab or {})
    crontab, _ = CrontabSchedule.objects.get_or_create(timezone="America/Bogota", **spec)
    return {"interval": None, "crontab": crontab}


def sync_periodic_tasks(plugins: list[ModulePlugin] | None = None) -> dict[str, int]:
    """Create or update one beat entry per plugin periodic task; disable managed
    entries whose plugin no longer declares them. Returns counts."""
    from django.db import transaction
    from django_celery_beat.models import PeriodicTask as BeatTask

    plugins = get_plugins() if plugins is None else plugins
    counts = {"created": 0, "updated": 0, "disabled": 0}
    declared: set[str] = set()
    with transaction.atomic():
        for plugin in plugins:
            for task in plugin.periodic_tasks:
                declared.add(task.name)
                fields = {
                    "task": task.task,
                    "kwargs": json.dumps(dict(task.kwargs), sort_keys=True),
                    "queue": task.queue,
                    "enabled": task.enabled,
                    "description": MANAGED_DESCRIPTION.format(plugin=plugin.name),
                    **_schedule_kwargs(task),
                }
                _, created = BeatTask.objects.update_or_create(name=task.name, defaults=fields)
                counts["created" if created else "updated"] += 1
        stale = BeatTask.objects.filter(
            description__startswith="Managed by sync_periodic_tasks", enabled=True
        )
        counts["disabled"] = stale.exclude(name__in=declared).update(enabled=False)
    return counts


def sync_after_migrate(**kwargs: Any) -> None:
    """post_migrate hook: keep beat entries in step with the code after every migrate."""
    try:
        counts = sync_periodic_tasks()
    except Exception:
        logger.warning("periodic tasks not synced after migrate", exc_info=True)
        return
    logger.info("periodic tasks synced: %s", counts)
