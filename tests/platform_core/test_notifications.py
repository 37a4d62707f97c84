"""Outbox semantics with the in-memory adapter (DJANGO_ENV=test)."""

from __future__ import annotations

import pytest
from django.db import transaction

from platform_core.models import Notification, NotificationStatus
from platform_core.notifications import (
    Recipient,
    clear_sent_messages,
    handle_inbound_keyword,
    notify,
    record_inbound,
    sent_messages,
    set_opt_out,
)

pytestmark = pytest.mark.django_db

PHONE = "+573001112233"


@pytest.fixture(autouse=True)
def _clean_memory():
    clear_sent_messages()
    yield
    clear_sent_messages()


def test_notify_writes_outbox_and_sends_on_commit(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        rows = notify(
            to=Recipient(phone="300 111 2233"),
            template="otp",
            context={"code": "123456"},
            channels=("whatsapp", "sms"),
            transactional=True,
        )
        assert sent_messages() == []  # nothing leaves before commit
    assert len(callbacks) == 2
    assert [r.channel for r in rows] == ["whatsapp", "sms"]
    messages = sent_messages()
    assert {m["channel"] for m in messages} == {"whatsapp", "sms"}
    assert all(m["to"] == PHONE and "123456" in m["body"] for m in messages)
    for row in rows:
        row.refresh_from_db()
        assert row.status == NotificationStatus.SENT
        assert row.provider_sid == next(m["sid"] for m in messages if m["channel"] == row.channel)


def test_email_channel_renders_subject_and_body(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        notify(
            to=Recipient(email="ana@example.com"),
            template="otp",
            context={"code": "999111"},
            channels=("email",),
        )
    [message] = sent_messages()
    assert message["subject"] == "Tu código de verificación de StudioZens"
    assert "999111" in message["body"]


def test_rolled_back_transaction_sends_nothing(django_capture_on_commit_callbacks):
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        notify(to=Recipient(phone=PHONE), template="otp", context={"code": "1"})
        raise RuntimeError("caller failed")
    assert sent_messages() == []
    assert not Notification.objects.exists()


def test_same_idempotency_key_never_sends_twice(django_capture_on_commit_callbacks):
    for _ in range(3):
        with django_capture_on_commit_callbacks(execute=True):
            rows = notify(
                to=Recipient(phone=PHONE),
                template="otp",
                context={"code": "1"},
                idempotency_key="otp-abc",
            )
    assert Notification.objects.count() == 1
    assert len(sent_messages()) == 1
    assert rows[0].idempotency_key == "otp-abc"


def test_a_message_is_one_insert_and_a_duplicate_key_leaves_the_transaction_usable(
    django_capture_on_commit_callbacks,
):
    """Issue 21: the row goes in with INSERT ... ON CONFLICT DO NOTHING (no savepoint, no
    look-up per explicit channel); a key already used on the channel returns that row
    without an error, and the caller's transaction carries on."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        CaptureQueriesContext(connection) as queries,
    ):
        [first] = notify(
            to=Recipient(phone=PHONE),
            template="otp",
            context={"code": "1"},
            channels=("whatsapp",),
            idempotency_key="otp-once",
            transactional=True,
        )
    sql = [q["sql"] for q in queries.captured_queries]
    assert not [s for s in sql if "SAVEPOINT" in s.upper()]
    assert len(sql) == 1 and sql[0].startswith("INSERT")
    assert first.pk is not None and len(callbacks) == 1
    with transaction.atomic():
        with django_capture_on_commit_callbacks(execute=True) as again:
            [same] = notify(
                to=Recipient(phone=PHONE),
                template="otp",
                context={"code": "2"},
                channels=("whatsapp",),
                idempotency_key="otp-once",
                transactional=True,
            )
        assert Notification.objects.count() == 1  # the transaction is still usable
    assert same.pk == first.pk and again == []
    assert len(sent_messages()) == 1


def test_opt_out_respected_but_transactional_exempt(django_capture_on_commit_callbacks, user):
    set_opt_out(user_id=user.pk, channel="whatsapp")
    recipient = Recipient.from_user(user)
    with django_capture_on_commit_callbacks(execute=True):
        [skipped] = notify(to=recipient, template="otp", context={"code": "1"})
        notify(to=recipient, template="otp", context={"code": "2"}, channels=("sms",))
        notify(to=recipient, template="otp", context={"code": "3"}, transactional=True)
    assert skipped.status == NotificationStatus.SKIPPED
    assert (
        sorted((m["channel"], m["body"][-60:].count("3")) for m in sent_messages())[0][0] == "sms"
    )
    assert [m["channel"] for m in sent_messages()] == ["sms", "whatsapp"]


def test_stop_keyword_opts_out_and_start_opts_back_in(django_capture_on_commit_callbacks):
    assert handle_inbound_keyword(PHONE, "  Baja ") is True
    assert handle_inbound_keyword(PHONE, "hola, quiero una cita") is False
    with django_capture_on_commit_callbacks(execute=True):
        [row] = notify(to=Recipient(phone=PHONE), template="otp", context={"code": "1"})
    assert row.status == NotificationStatus.SKIPPED
    assert handle_inbound_keyword(PHONE, "ALTA") is True
    with django_capture_on_commit_callbacks(execute=True):
        notify(to=Recipient(phone=PHONE), template="otp", context={"code": "1"})
    assert len(sent_messages()) == 1


def test_opt_out_after_enqueue_is_checked_at_delivery(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        [row] = notify(to=Recipient(phone=PHONE), template="otp", context={"code": "1"})
        set_opt_out(phone=PHONE, channel="all")
    row.refresh_from_db()
    assert row.status == NotificationStatus.SKIPPED
    assert sent_messages() == []


def test_missing_address_skips_channel_and_unknown_channel_raises():
    assert notify(to=Recipient(phone=PHONE), template="otp", context={}, channels=("email",)) == []
    with pytest.raises(ValueError):
        notify(to=Recipient(phone=PHONE), template="otp", context={}, channels=("fax",))


def test_record_inbound_upserts_contact():
    from platform_core.models import MessagingContact

    record_inbound("3001112233")
    record_inbound(PHONE)
    assert MessagingContact.objects.get().phone == PHONE
