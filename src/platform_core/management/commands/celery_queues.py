"""The queues a Celery worker must consume, comma-separated, for ``celery worker -Q``.

    python manage.py celery_queues      # celery,notifications,payments,appointments,bot

The union of the queues the enabled plugins declare (and route tasks to), plus Celery's
default queue: the settings' ``CELERY_TASK_QUEUES``. ``bin/worker`` (render.yaml's worker and
``make worker``) starts the worker with it, so a new module's queue is consumed without
editing either file.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Print the comma-separated Celery queues of the enabled plugins (for -Q)."
    requires_system_checks: list[str] = []

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(",".join(queue.name for queue in settings.CELERY_TASK_QUEUES))
