"""Celery queue depth and the age of the oldest waiting task, read from the Redis broker.

kombu's Redis transport keeps each queue as a Redis list (one list per priority step; new
messages pushed on the left, consumed from the right), and tasks a worker has taken but not
acknowledged (acks_late) in the ``unacked`` hash. Celery messages carry no publish time, so
``stamp_published_at`` (connected to ``before_task_publish``) adds one in a header.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

PUBLISHED_AT_HEADER = "sz_published_at"


def stamp_published_at(headers: dict[str, Any] | None = None, **_kwargs: Any) -> None:
    """before_task_publish receiver: the time the task entered the broker."""
    if headers is not None:
        headers.setdefault(PUBLISHED_AT_HEADER, time.time())


@dataclass(frozen=True)
class QueueStat:
    name: str
    depth: int
    oldest_age_seconds: float | None  # None: empty, or messages from before the stamp


def _published_at(raw: bytes | str | None) -> float | None:
    if not raw:
        return None
    try:
        message = json.loads(raw)
        value = (message.get("headers") or {}).get(PUBLISHED_AT_HEADER)
        return float(value) if value is not None else None
    except (ValueError, TypeError, AttributeError):
        return None


def queue_stats(channel: Any, names: list[str], *, now: float | None = None) -> list[QueueStat]:
    """Depth and oldest age of each queue, through a kombu Redis channel."""
    client = channel.client
    now = time.time() if now is None else now
    stats = []
    for name in names:
        keys = [channel._q_for_pri(name, pri) for pri in channel.priority_steps]
        depth = sum(int(client.llen(key)) for key in keys)
        stamps = [_published_at(client.lindex(key, -1)) for key in keys]
        known = [s for s in stamps if s is not None]
        oldest = max(0.0, now - min(known)) if known else None
        stats.append(QueueStat(name, depth, oldest))
    return stats


def unacked_count(channel: Any) -> int:
    """Tasks taken by a worker and not yet acknowledged (running, or lost with a worker)."""
    return int(channel.client.hlen(channel.unacked_key))
