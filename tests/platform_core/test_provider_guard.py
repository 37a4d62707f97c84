"""Issue 16 (3): no provider call while the code holds row locks. The guard the local
stand-ins for Wompi, Twilio and Gemini run (platform_core.provider_guard), and the messaging
path: an outbox row is claimed under its lock, sent with no transaction open, and recorded
under the lock again."""

from __future__ import annotations

import contextlib
from typing import Any

import pytest
from django.db import transaction

from platform_core import provider_guard
from platform_core.models import Notification
from platform_core.notifications import Recipient, notify, sent_messages
from platform_core.notifications.services import deliver


def test_outside_any_transaction_the_call_is_allowed() -> None:
    assert provider_guard.open_atomic_blocks() == 0
    provider_guard.check("Wompi", "GET /v1/merchants")
    assert provider_guard.violations() == []


@pytest.mark.django_db
def test_the_test_frameworks_transaction_is_the_baseline_not_a_lock() -> None:
    """pytest-django's `db` fixture wraps the test in an atomic block (Django's TestCase
    marks it _from_testcase): a call here is outside the code's transactions."""
    from django.db import connection

    assert connection.in_atomic_block
    assert provider_guard.open_atomic_blocks() == 0
    provider_guard.check("Twilio", "Messages")
    with transaction.atomic():
        assert provider_guard.open_atomic_blocks() == 1
        with transaction.atomic():
            assert provider_guard.open_atomic_blocks() == 2
    assert provider_guard.open_atomic_blocks() == 0


@pytest.mark.django_db
def test_a_call_inside_the_codes_transaction_fails_and_is_remembered_even_if_caught() -> None:
    with transaction.atomic():
        Notification.objects.select_for_update().first()  # a row lock, as services take
        with pytest.raises(provider_guard.ProviderCallUnderLock, match="Gemini generate"):
            provider_guard.check("Gemini", "generate")
        # A caller that treats provider errors as an expected outcome swallows it.
        with contextlib.suppress(Exception):
            provider_guard.check("Wompi", "POST /v1/transactions")
    found = provider_guard.violations()
    assert len(found) == 2 and "Wompi POST /v1/transactions" in found[1]
    provider_guard.clear_violations()  # this test made them on purpose


@pytest.mark.django_db(transaction=True)
def test_real_commits_count_the_same() -> None:
    """Without a test transaction (TransactionTestCase) the baseline is zero blocks."""
    assert provider_guard.open_atomic_blocks() == 0
    with transaction.atomic():
        assert provider_guard.open_atomic_blocks() == 1


@pytest.mark.django_db
def test_the_memory_messaging_adapter_refuses_a_send_under_a_lock(settings: Any) -> None:
    from platform_core.notifications.adapters import MemoryAdapter

    settings.NOTIFICATIONS_BACKEND = "memory"
    row = notify(to=Recipient(phone="+573001234567"), template="otp", context={"code": "1"})[0]
    with transaction.atomic():
        locked = Notification.objects.select_for_update().get(pk=row.pk)
        with pytest.raises(provider_guard.ProviderCallUnderLock):
            MemoryAdapter().send(locked)
    assert sent_messages() == []
    provider_guard.clear_violations()


@pytest.mark.django_db
def test_a_notification_is_sent_with_no_transaction_open_and_recorded_after(
    settings: Any, provider_calls: list
) -> None:
    settings.NOTIFICATIONS_BACKEND = "memory"
    row = notify(
        to=Recipient(phone="+573001234567"),
        template="otp",
        context={"code": "123456", "minutes": 10},
        channels=("sms",),
        transactional=True,
    )[0]
    assert deliver(row.pk) == "sent"
    assert provider_calls == [("messaging (memory)", "sms", 0)]
    row.refresh_from_db()
    assert row.status == "sent" and row.provider_sid.startswith("MM") and row.attempts == 1
    assert deliver(row.pk) == "done"  # a redelivered task sends nothing
    assert len(sent_messages()) == 1


@pytest.mark.django_db
def test_a_duplicate_task_during_the_send_finds_the_lease(settings: Any, monkeypatch: Any) -> None:
    """While the provider is being called the row is not locked; a second task for it finds
    the claim (next_attempt_at pushed ahead) and sends nothing."""
    from platform_core.notifications import adapters

    settings.NOTIFICATIONS_BACKEND = "memory"
    row = notify(
        to=Recipient(phone="+573001234567"),
        template="otp",
        context={"code": "123456", "minutes": 10},
        channels=("sms",),
        transactional=True,
    )[0]
    inner: list[str] = []
    send = adapters.MemoryAdapter.send

    def send_and_race(self: Any, notification: Any) -> Any:
        inner.append(deliver(notification.pk))  # the duplicate, mid-send
        return send(self, notification)

    monkeypatch.setattr(adapters.MemoryAdapter, "send", send_and_race)
    assert deliver(row.pk) == "sent"
    assert inner == ["not_due"]
    assert len(sent_messages()) == 1
