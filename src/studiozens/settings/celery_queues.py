"""Celery queues and routes derived from the plugins."""

from __future__ import annotations

from collections.abc import Iterable

from kombu import Queue

from platform_core.plugins import ModulePlugin

DEFAULT_QUEUES = ("celery", "payments", "appointments", "notifications", "bot")


def celery_queues_and_routes(
    plugins: Iterable[ModulePlugin],
) -> tuple[list[Queue], dict[str, dict[str, str]]]:
    names: list[str] = list(DEFAULT_QUEUES)
    routes: dict[str, dict[str, str]] = {}
    for plugin in plugins:
        for queue in (*plugin.queues, *plugin.task_routes.values()):
            if queue not in names:
                names.append(queue)
        for pattern, queue in plugin.task_routes.items():
            routes[pattern] = {"queue": queue}
    return [Queue(name) for name in names], routes
