"""Celery queues and routes derived from the plugins (the plugins are the only source of
queue names: see ``platform_core.plugins.worker_queues`` and ``manage.py celery_queues``)."""

from __future__ import annotations

from collections.abc import Iterable

from kombu import Queue

from platform_core.plugins import ModulePlugin, worker_queues


def celery_queues_and_routes(
    plugins: Iterable[ModulePlugin],
) -> tuple[list[Queue], dict[str, dict[str, str]]]:
    plugins = list(plugins)
    routes: dict[str, dict[str, str]] = {}
    for plugin in plugins:
        for pattern, queue in plugin.task_routes.items():
            routes[pattern] = {"queue": queue}
    return [Queue(name) for name in worker_queues(plugins)], routes
