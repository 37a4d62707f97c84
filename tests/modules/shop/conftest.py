"""Shop test fixtures.

Payments and notifications are replaced at the shop's one seam (``modules.shop.ports``)
by recorders, so these tests check what the shop asks of them. The real-path tests in
test_integration.py go through the real payments and notifications modules.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import pytest

from modules.shop import ports


@dataclass
class Boundary:
    checkouts: list[dict[str, Any]] = field(default_factory=list)
    refunds: list[dict[str, Any]] = field(default_factory=list)
    messages: list[dict[str, Any]] = field(default_factory=list)
    audits: list[dict[str, Any]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def templates(self, template: str) -> list[dict[str, Any]]:
        return [m for m in self.messages if m["template"] == template]


@pytest.fixture(autouse=True)
def _fast_passwords(settings: Any) -> None:
    # Users are created by the dozen here (concurrency tests); hashing strength is not tested.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def boundary(monkeypatch: pytest.MonkeyPatch) -> Boundary:
    rec = Boundary()

    def create_checkout(**kwargs: Any) -> Any:
        with rec.lock:
            rec.checkouts.append(kwargs)
        ref = kwargs["order_public_id"]
        return SimpleNamespace(
            reference=f"SZ-{ref[:8]}",
            amount_in_cents=kwargs["amount_cents"],
            currency="COP",
            checkout_url=f"https://checkout.example.test/p/?reference=SZ-{ref[:8]}",
            expiration_time=kwargs["expires_at"].isoformat(),
            total_cents=kwargs["amount_cents"],
            tendered_cents=0,
            tenders=(),
            settled=False,
        )

    def request_refund(**kwargs: Any) -> None:
        rec.refunds.append(kwargs)

    def notify_user(user: Any, *, template: str, context: dict[str, Any], key: str) -> None:
        with rec.lock:
            rec.messages.append(
                {"user": user, "template": template, "context": context, "key": key}
            )

    def audit(action: str, **kwargs: Any) -> None:
        rec.audits.append({"action": action, **kwargs})

    monkeypatch.setattr(ports, "create_checkout", create_checkout)
    monkeypatch.setattr(ports, "request_refund", request_refund)
    monkeypatch.setattr(ports, "notify_user", notify_user)
    monkeypatch.setattr(ports, "audit", audit)
    return rec


@pytest.fixture
def _own_cache(settings: Any) -> None:
    """A private local-memory cache for tests that pin what the kept catalog relations save:
    another xdist worker's cache.clear() (a Redis FLUSHDB of every worker's keys) would
    otherwise start a new catalog state between a warm-up and a measurement."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "shop-kept-relations-tests",
        }
    }
    from django.core.cache import cache

    cache.clear()
