"""manage.py queue_depths: depth and oldest task age per queue, read from the Redis broker."""

from __future__ import annotations

import json
import time
import uuid
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from kombu import Queue

from platform_core.queues import PUBLISHED_AT_HEADER, queue_stats, stamp_published_at


def test_publish_time_is_stamped_once() -> None:
    headers: dict[str, Any] = {}
    stamp_published_at(headers=headers)
    first = headers[PUBLISHED_AT_HEADER]
    assert abs(first - time.time()) < 5
    stamp_published_at(headers=headers)  # a retry keeps the original time
    assert headers[PUBLISHED_AT_HEADER] == first


@pytest.fixture
def queue(settings: Any) -> Any:
    from studiozens.celery import app

    name = f"sz-test-{uuid.uuid4().hex[:8]}"
    settings.CELERY_TASK_QUEUES = [Queue(name)]
    yield name
    with app.connection_for_write() as connection:
        channel = connection.default_channel
        for pri in channel.priority_steps:
            channel.client.delete(channel._q_for_pri(name, pri))


@pytest.mark.redis
@pytest.mark.filterwarnings("ignore:task_always_eager has no effect on send_task")
def test_depth_and_oldest_age(queue: str) -> None:
    from studiozens.celery import app

    for _ in range(3):
        app.send_task("platform_core.ping", queue=queue)
    with app.connection_for_read() as connection:
        (stat,) = queue_stats(connection.default_channel, [queue], now=time.time() + 600)
    assert stat.depth == 3
    assert stat.oldest_age_seconds is not None and 595 < stat.oldest_age_seconds < 700

    out = StringIO()
    call_command("queue_depths", "--json", stdout=out)
    report = json.loads(out.getvalue())
    assert report["queues"][0]["name"] == queue and report["queues"][0]["depth"] == 3
    assert report["over_threshold"] == []
    text = StringIO()
    with pytest.raises(CommandError, match=f"over threshold: {queue}"):
        call_command("queue_depths", "--max-depth", "2", stdout=text)
    assert f"{queue}" in text.getvalue() and "3" in text.getvalue()


@pytest.mark.redis
def test_empty_queue(queue: str) -> None:
    out = StringIO()
    call_command("queue_depths", "--max-depth", "1", "--max-age", "60", stdout=out)
    assert f"{queue}" in out.getvalue() and " -" in out.getvalue()
