"""The renderer's datetime fast path writes exactly what Django's encoder wrote after
``timezone.localtime`` (the API's convention: Bogotá time with its offset, milliseconds)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from datetime import timezone as dt_timezone
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from platform_core.renderers import LocalTimeJSONEncoder, dumps

MOMENTS = [
    datetime(2030, 3, 5, 15, 0, 0, tzinfo=UTC),
    datetime(2030, 3, 5, 15, 0, 0, 123456, tzinfo=UTC),
    datetime(2030, 3, 5, 15, 0, 0, 999, tzinfo=UTC),  # under a millisecond: ".000"
    datetime(1900, 1, 1, 0, 0, tzinfo=dt_timezone(timedelta(hours=5, minutes=30))),
    datetime(2100, 12, 31, 23, 59, 59, tzinfo=ZoneInfo("Europe/Madrid")),
    datetime(2026, 12, 7, 3, 10, tzinfo=ZoneInfo("America/Bogota")),
    datetime(2030, 1, 15, 10, 0),  # naive: written as it is
    datetime(2030, 1, 15, 10, 0, 0, 5000),
]


def _before(value: datetime) -> str:
    """What the renderer wrote before the fast path."""
    if timezone.is_aware(value):
        value = timezone.localtime(value)
    return LocalTimeJSONEncoder().default(value)


@pytest.mark.parametrize("moment", MOMENTS, ids=str)
def test_datetimes_render_as_before(moment: datetime) -> None:
    assert json.loads(dumps({"at": moment}))["at"] == _before(moment)


def test_a_utc_default_zone_writes_z(settings) -> None:
    settings.TIME_ZONE = "UTC"
    moment = datetime(2030, 3, 5, 10, 0, tzinfo=ZoneInfo("America/Bogota"))
    assert dumps([moment]) == b'["2030-03-05T15:00:00Z"]'
    assert json.loads(dumps([moment]))[0] == _before(moment)
