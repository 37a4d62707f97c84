from __future__ import annotations

from typing import Any

import pytest

from platform_core.plugins import get_plugins, resolve


class _Quiet:
    def write(self, _: str) -> None: ...


@pytest.fixture
def demo_spa(db: Any, settings: Any) -> None:
    """Every module's demo data (catalog, therapists, hours, demo clients, VIP plan)."""
    from platform_core.ratelimit import reset_local

    reset_local()
    settings.GEMINI_API_KEY = ""
    for plugin in sorted(get_plugins(), key=lambda p: p.order):
        if plugin.seed_demo:
            resolve(plugin.seed_demo)(_Quiet())
