"""deliver() records the provider's answer without reading or rewriting the encrypted body
and context of the row (no decrypt, no re-encrypt: only the outcome's columns change)."""

from __future__ import annotations

import pytest
from django.db import connection

from platform_core.models import Notification, NotificationStatus
from platform_core.notifications import Recipient, notify, sent_messages
from platform_core.notifications.services import deliver

pytestmark = pytest.mark.django_db


def _stored(row_id: int) -> tuple[str, str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT body, context FROM platform_core_notification WHERE id = %s", [row_id]
        )
        return cursor.fetchone()


def test_a_delivery_keeps_the_stored_ciphertexts(django_capture_on_commit_callbacks) -> None:
    with django_capture_on_commit_callbacks(execute=False):
        [row] = notify(
            to=Recipient(phone="+573001112299"),
            template="otp",
            context={"code": "482913"},
            channels=("sms",),
            idempotency_key="delivery-writes-1",
        )
    before = _stored(row.pk)
    assert deliver(row.pk) == "sent"
    row.refresh_from_db()
    assert row.status == NotificationStatus.SENT and row.provider_sid and row.sent_at
    assert str(row.body) and row.context == {"code": "482913"}
    assert _stored(row.pk) == before  # not re-encrypted
    assert any("482913" in m["body"] for m in sent_messages())
    assert Notification.objects.filter(pk=row.pk, attempts=1).exists()
