"""The Celery app. Queues, routes and limits are settings (CELERY_*), which derive the
queues and routes from the plugins; beat entries are synced by sync_periodic_tasks."""

from __future__ import annotations

import os

from celery import Celery
from celery.signals import worker_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "studiozens.settings")

# Publishing fails fast while the broker is down (platform_core.outbox, docs/architecture.md).
app = Celery("studiozens", task_cls="platform_core.outbox:OutageAwareTask")
app.config_from_object("django.conf:settings", namespace="CELERY")


def _plugin_packages() -> list[str]:
    from platform_core.plugins import get_plugins

    return [p.app.split(".apps.")[0] for p in get_plugins()]


app.autodiscover_tasks(_plugin_packages)


@worker_init.connect
def _freeze_startup_heap(**_kwargs: object) -> None:
    """In the pre-forking parent, once the tasks are imported: the children share the frozen
    start-up heap instead of un-sharing it on their first collection (platform_core.heap)."""
    from platform_core.heap import freeze_startup_heap

    freeze_startup_heap(load_urls=False)
