"""Signal receivers: booking's own model writes bump the availability and catalog versions."""

from __future__ import annotations

from typing import Any

from modules.booking.availability import bump_version
from modules.booking.versions import CATALOG


def schedule_changed(sender: Any = None, **kwargs: Any) -> None:
    bump_version()


def catalog_changed(sender: Any = None, **kwargs: Any) -> None:
    CATALOG.bump()
