"""Celery queue depths and the oldest waiting task's age, for alerting and incidents.

    python manage.py queue_depths [--json] [--max-depth 100] [--max-age 300]

Prints one line per queue (every queue the settings declare) plus the unacknowledged count.
Exit status 1 when a queue is deeper than --max-depth or its oldest task older than
--max-age seconds (thresholds: docs/DEPLOYMENT_RUNBOOK.md, "Alerting"), so a cron job or a
monitor can alert on it.
"""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from platform_core.queues import queue_stats, unacked_count


class Command(BaseCommand):
    help = "Print Celery queue depths and oldest task age (exit 1 above the thresholds)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--json", action="store_true", help="one JSON object")
        parser.add_argument("--max-depth", type=int, default=0, help="alert above (0 = off)")
        parser.add_argument("--max-age", type=float, default=0, help="seconds (0 = off)")

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.CELERY_BROKER_URL:
            raise CommandError("no broker configured (CELERY_BROKER_URL / REDIS_URL): eager mode")
        from celery import current_app as app  # studiozens.celery, loaded with Django

        names = [queue.name for queue in settings.CELERY_TASK_QUEUES]
        try:
            with app.connection_for_read() as connection:
                channel = connection.default_channel
                stats = queue_stats(channel, names)
                unacked = unacked_count(channel)
        except Exception as exc:  # the broker is down: say so, non-zero
            raise CommandError(f"broker unreachable: {exc.__class__.__name__}: {exc}") from exc

        over = [
            s.name
            for s in stats
            if (options["max_depth"] and s.depth > options["max_depth"])
            or (options["max_age"] and (s.oldest_age_seconds or 0) > options["max_age"])
        ]
        if options["json"]:
            payload = {
                "queues": [
                    {"name": s.name, "depth": s.depth, "oldest_age_seconds": s.oldest_age_seconds}
                    for s in stats
                ],
                "unacked": unacked,
                "over_threshold": over,
            }
            self.stdout.write(json.dumps(payload))
        else:
            self.stdout.write(f"{'queue':<16}{'depth':>8}  oldest task")
            for s in stats:
                age = "-" if s.oldest_age_seconds is None else f"{s.oldest_age_seconds:.0f} s"
                self.stdout.write(f"{s.name:<16}{s.depth:>8}  {age}")
            self.stdout.write(f"{'(unacked)':<16}{unacked:>8}  taken by workers, not yet acked")
        if over:
            raise CommandError(f"over threshold: {', '.join(over)}")
