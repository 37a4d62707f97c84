"""Worker liveness: a real round trip through the broker to a worker and back.

    python manage.py celery_ping [--timeout 30] [--queue celery]

Exit status 0 when a worker answered "pong" in time, 1 otherwise (CommandError), so it
can drive a cron job, a monitor or `bin/worker-healthcheck`.
"""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from platform_core.tasks import ping


class Command(BaseCommand):
    help = "Send platform_core.ping through the broker and wait for a worker's 'pong'."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--timeout", type=float, default=30.0, help="seconds to wait")
        parser.add_argument("--queue", default="celery", help="queue to send the ping to")

    def handle(self, *args: Any, **options: Any) -> None:
        timeout: float = options["timeout"]
        if settings.CELERY_TASK_ALWAYS_EAGER:
            # Eager mode (demo/tests): no broker and no worker to check.
            raise CommandError("Celery runs eagerly (no broker): there is no worker to ping")
        started = time.monotonic()
        try:
            result = ping.apply_async(queue=options["queue"], expires=timeout)
            answer = result.get(timeout=timeout, propagate=True)
        except Exception as exc:
            raise CommandError(
                f"no pong from a worker on queue {options['queue']!r} within {timeout:g}s: "
                f"{exc.__class__.__name__}: {exc}"
            ) from exc
        if answer != "pong":
            raise CommandError(f"unexpected answer {answer!r}")
        elapsed = (time.monotonic() - started) * 1000
        self.stdout.write(self.style.SUCCESS(f"pong in {elapsed:.0f} ms"))
