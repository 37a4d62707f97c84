"""Version counters in the shared cache: one integer per kind of data, bumped on every write.

Readers read the counter BEFORE the data and key what they derive (a cached availability
search, a catalog ETag) by it; writers bump it at once and again when their transaction
commits. So a reader that saw the old data can only store or tag it under the old version,
and every reader after the commit sees a new one. A fresh cache (or a Redis outage: reads
degrade to misses) starts a new generation from the current time in milliseconds, never an
old number.

Each bump also records when it happened (``<key>:at``), which catalogs send as
``Last-Modified``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Any

from django.core.cache import cache
from django.db import transaction
from django.db.models import Model


class VersionCounter:
    def __init__(self, key: str) -> None:
        self.key = key
        self.at_key = f"{key}:at"

    def current(self) -> int:
        version = cache.get(self.key)
        if version is None:
            version = self._start()
        return int(version)

    def state(self) -> tuple[int, float]:
        """(version, when it last changed as a Unix time), in one cache round trip."""
        values = cache.get_many([self.key, self.at_key])
        version = values.get(self.key)
        if version is None:
            version = self._start()
        changed_at = values.get(self.at_key)
        if changed_at is None:
            changed_at = int(version) / 1000  # a generation starts at its own timestamp
        return int(version), float(changed_at)

    def bump(self) -> None:
        """Invalidate now and again once the current transaction (if any) commits: one bump
        at commit however many writes the transaction made (a savepoint rolled back takes
        its registration with it, and the next write registers again)."""
        self._bump_now()
        if not self.bumped_in_transaction():
            transaction.on_commit(self._bump_now)

    def bumped_in_transaction(self, using: str | None = None) -> bool:
        """True while the current transaction has bumped this counter and not committed: its
        own writes are not what other readers cache under the current version."""
        connection = transaction.get_connection(using)
        if not connection.in_atomic_block:
            return False
        return any(entry[1] == self._bump_now for entry in connection.run_on_commit)

    def _start(self) -> int:
        version = int(time.time() * 1000)
        cache.add(self.key, version, timeout=None)
        return int(cache.get(self.key, version))

    def _bump_now(self) -> None:
        try:
            cache.incr(self.key)
        except ValueError:
            cache.set(self.key, int(time.time() * 1000), timeout=None)
        cache.set(self.at_key, time.time(), timeout=None)


def connect_writes(
    receiver: Callable[..., Any],
    models: Iterable[type[Model]],
    *,
    through: Iterable[type[Model]] = (),
    uid: str,
) -> None:
    """Call ``receiver`` after every save and delete of ``models`` and every change of the
    many-to-many tables ``through`` (admin edits and imports included): how a module bumps
    its counters. Queryset ``update()``/``bulk_create`` send no signal: bump in the service."""
    from django.db.models.signals import m2m_changed, post_delete, post_save

    for model in models:
        name = f"{model._meta.app_label}.{model.__name__}"
        post_save.connect(receiver, sender=model, dispatch_uid=f"{uid}.save.{name}")
        post_delete.connect(receiver, sender=model, dispatch_uid=f"{uid}.delete.{name}")
    for table in through:
        m2m_changed.connect(receiver, sender=table, dispatch_uid=f"{uid}.m2m.{table.__name__}")
