"""Acceptance: retries, FAILED with the provider error, the shared breaker, redelivered
tasks, the 24-hour WhatsApp window — through the real Twilio SDK with a scripted HTTP layer."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core import mail
from django.db import connection
from django.utils import timezone

from platform_core.http import CircuitBreaker
from platform_core.models import Notification, NotificationStatus
from platform_core.notifications import (
    Recipient,
    notify,
    record_inbound,
    sent_messages,
    set_opt_out,
)
from platform_core.notifications.services import deliver, relay_pending, requeue_failed
from platform_core.tasks import deliver_notification, relay_pending_notifications
from platform_core.testing import twilio_error, twilio_message, use_scripted_twilio

pytestmark = pytest.mark.django_db

PHONE = "+573001112233"
START = datetime(2026, 11, 28, 15, 0, tzinfo=UTC)


def _notify(capture, *, key: str | None = None, channel: str = "whatsapp") -> Notification:
    with capture(execute=True):
        [row] = notify(
            to=Recipient(phone=PHONE),
            template="otp",
            context={"code": "482913"},
            channels=(channel,),
            idempotency_key=key,
        )
    row.refresh_from_db()
    return row


def _advance_past(traveller, row: Notification) -> None:
    row.refresh_from_db()
    traveller.move_to(row.next_attempt_at + timedelta(seconds=1))


def test_failing_provider_is_retried_then_succeeds_with_one_message(
    twilio_settings, django_capture_on_commit_callbacks
):
    with time_machine.travel(START, tick=False) as traveller:
        record_inbound(PHONE)  # inside the 24 h window: free-form WhatsApp text
        with use_scripted_twilio(
            twilio_error(500, 20500, "Internal Server Error"), twilio_message(sid="SM" + "a" * 32)
        ) as twilio:
            row = _notify(django_capture_on_commit_callbacks)
            assert row.status == NotificationStatus.PENDING
            assert (row.attempts, row.error_code) == (1, "20500")
            assert row.next_attempt_at > timezone.now()
            assert relay_pending() == 0  # not due yet

            _advance_past(traveller, row)
            assert relay_pending_notifications.apply().get() == 1

    row.refresh_from_db()
    assert row.status == NotificationStatus.SENT
    assert row.provider_sid == "SM" + "a" * 32
    assert row.attempts == 2
    assert len(twilio.requests) == 2
    assert len(twilio.created) == 1  # exactly one message sent
    sent = twilio.created[0]["data"]
    assert sent["To"] == f"whatsapp:{PHONE}"
    assert sent["From"] == "whatsapp:+14155238886"
    assert "482913" in sent["Body"]
    assert sent["StatusCallback"] == "https://api.studiozens.co/api/core/webhooks/twilio/status/"


def test_exhausted_retries_end_failed_with_provider_error(
    twilio_settings, django_capture_on_commit_callbacks
):
    twilio_settings.NOTIFICATION_MAX_ATTEMPTS = 3
    twilio_settings.TWILIO_CB_FAILURES = 100
    with (
        time_machine.travel(START, tick=False) as traveller,
        use_scripted_twilio(*[twilio_error(503, 20503, "Service Unavailable")] * 5) as twilio,
    ):
        row = _notify(django_capture_on_commit_callbacks, channel="sms")
        for _ in range(2):
            _advance_past(traveller, row)
            relay_pending()
    row.refresh_from_db()
    assert row.status == NotificationStatus.FAILED
    assert row.attempts == 3
    assert row.error_code == "20503"
    assert row.error_message == "Service Unavailable"
    assert row.next_attempt_at is None
    assert len(twilio.requests) == 3 and twilio.created == []


def test_permanent_provider_error_fails_at_once(
    twilio_settings, django_capture_on_commit_callbacks
):
    with use_scripted_twilio(twilio_error(400, 21211, "Invalid 'To' Phone Number")) as twilio:
        row = _notify(django_capture_on_commit_callbacks, channel="sms")
    assert (row.status, row.attempts, row.error_code) == (NotificationStatus.FAILED, 1, "21211")
    assert len(twilio.requests) == 1


def test_permanent_error_on_the_half_open_probe_closes_the_breaker(
    twilio_settings, django_capture_on_commit_callbacks
):
    breaker = CircuitBreaker("notifications:twilio", failures=5, reset_seconds=60)
    with (
        time_machine.travel(START, tick=False) as traveller,
        use_scripted_twilio(twilio_error(400, 21211, "Invalid 'To' Phone Number")) as twilio,
    ):
        for _ in range(5):
            breaker.record_failure()
        traveller.shift(61)
        assert breaker.state == "half-open"
        refused = _notify(django_capture_on_commit_callbacks, channel="sms")  # the probe
        assert refused.status == NotificationStatus.FAILED
        assert breaker.state == "closed"  # Twilio answered: others need not wait
        after = _notify(django_capture_on_commit_callbacks, channel="sms")
    assert after.status == NotificationStatus.SENT
    assert len(twilio.requests) == 2


def test_breaker_opens_after_five_failures_defers_and_resumes(
    twilio_settings, django_capture_on_commit_callbacks
):
    twilio_settings.NOTIFICATION_MAX_ATTEMPTS = 10
    with (
        time_machine.travel(START, tick=False) as traveller,
        use_scripted_twilio(*[twilio_error(500, 20500)] * 5) as twilio,
    ):
        failing = [_notify(django_capture_on_commit_callbacks, channel="sms") for _ in range(5)]
        assert all(r.status == NotificationStatus.PENDING and r.attempts == 1 for r in failing)
        breaker = CircuitBreaker("notifications:twilio", failures=5, reset_seconds=60)
        assert breaker.state == "open"

        # While open: deferred, not dropped, and the provider is not called.
        deferred = _notify(django_capture_on_commit_callbacks, channel="sms")
        assert deferred.status == NotificationStatus.PENDING
        assert deferred.attempts == 0
        assert deferred.next_attempt_at >= timezone.now() + timedelta(seconds=59)
        traveller.shift(45)  # some retries are due, the breaker is still open
        relay_pending()
        assert len(twilio.requests) == 5
        assert Notification.objects.filter(status=NotificationStatus.PENDING).count() == 6

        traveller.shift(60)  # past TWILIO_CB_TIMEOUT: half-open probe succeeds, all resume
        assert breaker.state == "half-open"
        assert relay_pending() == 6

    assert breaker.state == "closed"
    assert Notification.objects.filter(status=NotificationStatus.SENT).count() == 6
    assert len(twilio.created) == 6
    assert len(twilio.requests) == 11


def test_task_delivered_twice_sends_once(twilio_settings, django_capture_on_commit_callbacks):
    record_inbound(PHONE)
    with use_scripted_twilio() as twilio:
        row = _notify(django_capture_on_commit_callbacks)
        # The broker redelivers the same task (acks_late after a worker crash):
        assert deliver_notification.apply(args=(row.pk,)).get() == "done"
        assert deliver(row.pk) == "done"
    assert len(twilio.requests) == 1
    assert deliver(999_999) == "missing"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_duplicate_deliveries_send_once(twilio_settings):
    record_inbound(PHONE)
    row = Notification.objects.create(
        channel="whatsapp", template="otp", to=PHONE, body="Código 1", context={}
    )
    results: list[str] = []
    barrier = threading.Barrier(4)

    def worker() -> None:
        try:
            barrier.wait()
            results.append(deliver(row.pk))
        finally:
            connection.close()

    with use_scripted_twilio(delay=0.3) as twilio:
        threads = [threading.Thread(target=worker) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    # One sends; the others find the claim's lease while it is out ("not_due": the send runs
    # with no row lock, issue 16) or its SID once recorded ("done").
    assert sorted(results).count("sent") == 1
    assert set(results) - {"sent"} <= {"done", "not_due"} and len(results) == 4
    assert len(twilio.requests) == 1


def test_relay_publishes_rows_whose_on_commit_was_lost(django_capture_on_commit_callbacks):
    with time_machine.travel(START, tick=False) as traveller:
        with django_capture_on_commit_callbacks(execute=False):  # crash before publish
            [row] = notify(to=Recipient(phone=PHONE), template="otp", context={"code": "1"})
        assert relay_pending() == 0  # within the grace period the on-commit task may be in flight
        traveller.shift(61)
        assert relay_pending() == 1
    row.refresh_from_db()
    assert row.status == NotificationStatus.SENT
    assert len(sent_messages()) == 1


def test_outside_window_uses_content_template(twilio_settings, django_capture_on_commit_callbacks):
    twilio_settings.TWILIO_CONTENT_SIDS = {"otp": {"sid": "HX" + "1" * 32, "variables": ["code"]}}
    with use_scripted_twilio() as twilio:
        row = _notify(django_capture_on_commit_callbacks)
    data = twilio.created[0]["data"]
    assert data["ContentSid"] == "HX" + "1" * 32
    assert json.loads(data["ContentVariables"]) == {"1": "482913"}
    assert "Body" not in data
    assert row.sent_via == "whatsapp"


def test_outside_window_without_template_falls_back_to_sms(
    twilio_settings, django_capture_on_commit_callbacks
):
    twilio_settings.TWILIO_CONTENT_SIDS = {}
    with use_scripted_twilio() as twilio:
        row = _notify(django_capture_on_commit_callbacks)
    data = twilio.created[0]["data"]
    assert data["To"] == PHONE and data["From"] == "+15005550006"
    assert row.sent_via == "sms" and row.status == NotificationStatus.SENT


def test_sms_fallback_respects_an_sms_opt_out(twilio_settings, django_capture_on_commit_callbacks):
    # Outside the window, no Content template, and the client said STOP to SMS only:
    # nothing is sent (WhatsApp free text would be refused, SMS was refused by the client).
    twilio_settings.TWILIO_CONTENT_SIDS = {}
    set_opt_out(phone=PHONE, channel="sms")
    with use_scripted_twilio() as twilio:
        row = _notify(django_capture_on_commit_callbacks)
    assert twilio.requests == []
    assert (row.status, row.error_code, row.attempts) == (
        NotificationStatus.SKIPPED,
        "sms_opted_out",
        0,
    )
    assert row.provider_sid is None and row.next_attempt_at is None
    assert CircuitBreaker("notifications:twilio", failures=5, reset_seconds=60).state == "closed"
    assert requeue_failed() == 0  # SKIPPED is final, not a failure to retry


def test_sms_fallback_opt_out_by_user_and_transactional_exemption(
    twilio_settings, django_capture_on_commit_callbacks, user
):
    twilio_settings.TWILIO_CONTENT_SIDS = {}
    set_opt_out(user_id=user.pk, channel="sms")
    recipient = Recipient.from_user(user)
    with use_scripted_twilio() as twilio, django_capture_on_commit_callbacks(execute=True):
        [skipped] = notify(
            to=recipient, template="otp", context={"code": "1"}, channels=("whatsapp",)
        )
        [otp] = notify(
            to=recipient,
            template="otp",
            context={"code": "2"},
            channels=("whatsapp",),
            transactional=True,
        )
    skipped.refresh_from_db()
    otp.refresh_from_db()
    assert skipped.status == NotificationStatus.SKIPPED
    assert (otp.status, otp.sent_via) == (NotificationStatus.SENT, "sms")  # OTPs are exempt
    assert [r["data"]["To"] for r in twilio.requests] == [user.phone_number]


def test_sms_opt_out_does_not_block_whatsapp_inside_the_window(
    twilio_settings, django_capture_on_commit_callbacks
):
    set_opt_out(phone=PHONE, channel="sms")
    record_inbound(PHONE)
    with use_scripted_twilio() as twilio:
        row = _notify(django_capture_on_commit_callbacks)
    assert (row.status, row.sent_via) == (NotificationStatus.SENT, "whatsapp")
    assert twilio.created[0]["data"]["To"] == f"whatsapp:{PHONE}"


def test_skipped_fallback_does_not_take_the_half_open_probe(
    twilio_settings, django_capture_on_commit_callbacks
):
    twilio_settings.TWILIO_CONTENT_SIDS = {}
    set_opt_out(phone=PHONE, channel="sms")
    breaker = CircuitBreaker("notifications:twilio", failures=5, reset_seconds=60)
    with time_machine.travel(START, tick=False) as traveller, use_scripted_twilio() as twilio:
        for _ in range(5):
            breaker.record_failure()
        traveller.shift(61)
        assert breaker.state == "half-open"
        skipped = _notify(django_capture_on_commit_callbacks)  # preflight: before the breaker
        row = Notification.objects.create(
            channel="sms", template="otp", to="+573009998877", body="Código 1", context={}
        )
        assert deliver(row.pk) == "sent"  # the probe was still free
    assert skipped.status == NotificationStatus.SKIPPED
    assert breaker.state == "closed"
    assert len(twilio.requests) == 1


def test_skip_found_at_send_time_is_recorded_without_an_attempt(
    twilio_settings, django_capture_on_commit_callbacks, monkeypatch
):
    # The window can close between the preflight and the send: the adapter's own check
    # ends the row SKIPPED the same way.
    from platform_core.notifications.adapters import TwilioAdapter

    twilio_settings.TWILIO_CONTENT_SIDS = {}
    set_opt_out(phone=PHONE, channel="sms")
    monkeypatch.setattr(TwilioAdapter, "preflight", lambda self, notification: None)
    with use_scripted_twilio() as twilio:
        row = _notify(django_capture_on_commit_callbacks)
    assert (row.status, row.error_code, row.attempts) == (
        NotificationStatus.SKIPPED,
        "sms_opted_out",
        0,
    )
    assert twilio.requests == []


def test_window_expires_after_24_hours(twilio_settings, django_capture_on_commit_callbacks):
    twilio_settings.TWILIO_CONTENT_SIDS = {"otp": "HX" + "2" * 32}
    twilio_settings.TWILIO_MESSAGING_SERVICE_SID = "MG" + "3" * 32
    record_inbound(PHONE, at=timezone.now() - timedelta(hours=25))
    with use_scripted_twilio() as twilio:
        _notify(django_capture_on_commit_callbacks)
    data = twilio.created[0]["data"]
    assert data["ContentSid"] == "HX" + "2" * 32
    assert json.loads(data["ContentVariables"]) == {}


def test_network_error_is_retryable(twilio_settings, django_capture_on_commit_callbacks):
    import requests

    with use_scripted_twilio(requests.ConnectionError("boom")):
        row = _notify(django_capture_on_commit_callbacks, channel="sms")
    assert (row.status, row.error_code, row.attempts) == ("pending", "network", 1)


def test_email_goes_through_django_mail(settings, django_capture_on_commit_callbacks):
    settings.NOTIFICATIONS_BACKEND = "console"
    with django_capture_on_commit_callbacks(execute=True):
        [row] = notify(
            to=Recipient(email="ana@example.com"),
            template="otp",
            context={"code": "7"},
            channels=("email",),
        )
    row.refresh_from_db()
    assert row.status == NotificationStatus.SENT and row.provider_sid
    [message] = mail.outbox
    assert message.to == ["ana@example.com"] and "7" in message.body


def test_email_failure_is_retryable(settings, django_capture_on_commit_callbacks, monkeypatch):
    settings.NOTIFICATIONS_BACKEND = "twilio"

    def broken_send(self, fail_silently=False):
        raise ConnectionRefusedError("smtp down")

    monkeypatch.setattr("django.core.mail.EmailMessage.send", broken_send)
    with django_capture_on_commit_callbacks(execute=True):
        [row] = notify(
            to=Recipient(email="ana@example.com"), template="otp", context={}, channels=("email",)
        )
    row.refresh_from_db()
    assert row.status == "pending" and row.error_code == "smtp_error"


def test_console_backend_logs_phone_messages(settings, django_capture_on_commit_callbacks, caplog):
    settings.NOTIFICATIONS_BACKEND = "console"
    caplog.set_level("INFO", logger="studiozens.notifications")
    row = _notify(django_capture_on_commit_callbacks, channel="sms")
    assert row.status == NotificationStatus.SENT and row.provider_sid.startswith("CO")
    assert "482913" in caplog.text


def test_requeue_failed_command(twilio_settings, django_capture_on_commit_callbacks):
    from io import StringIO

    from django.core.management import call_command

    with use_scripted_twilio(twilio_error(400, 21211)):
        row = _notify(django_capture_on_commit_callbacks, channel="sms")
    assert row.status == NotificationStatus.FAILED
    out = StringIO()
    call_command("requeue_failed_notifications", "--dry-run", "--error-code", "21211", stdout=out)
    assert "1 notifications would be requeued" in out.getvalue()
    call_command("requeue_failed_notifications", "--channel", "whatsapp", stdout=StringIO())
    row.refresh_from_db()
    assert row.status == NotificationStatus.FAILED  # filtered out by channel
    with use_scripted_twilio() as twilio, django_capture_on_commit_callbacks(execute=True):
        call_command(
            "requeue_failed_notifications",
            "--since",
            "24",
            "--template",
            "otp",
            "--include-undelivered",
            stdout=StringIO(),
        )
    row.refresh_from_db()
    assert row.status == NotificationStatus.SENT and row.attempts == 1
    assert len(twilio.created) == 1
    assert requeue_failed() == 0


def test_real_sdk_client_uses_twilio_timeout(twilio_settings):
    from twilio.http.http_client import TwilioHttpClient

    from platform_core.notifications.adapters import twilio_client

    twilio_settings.TWILIO_TIMEOUT = 7
    client = twilio_client()
    assert isinstance(client.http_client, TwilioHttpClient)
    assert client.http_client.timeout == 7
    assert client.username == twilio_settings.TWILIO_ACCOUNT_SID


def test_retry_delay_grows_exponentially_with_bounded_jitter_and_a_cap(settings, monkeypatch):
    from platform_core.notifications import services

    settings.NOTIFICATION_RETRY_BASE_SECONDS = 30
    settings.NOTIFICATION_RETRY_MAX_SECONDS = 3600
    # base·2^(attempt-1): 30, 60, 120, … 1920, then capped at 3600.
    expected = {0: 30, 1: 30, 2: 60, 3: 120, 4: 240, 5: 480, 6: 960, 7: 1920, 8: 3600, 20: 3600}

    monkeypatch.setattr(services.random, "uniform", lambda low, high: high)  # jitter at its top
    assert {n: services.retry_delay(n) for n in expected} == expected
    monkeypatch.setattr(services.random, "uniform", lambda low, high: low)  # and at its bottom
    assert {n: services.retry_delay(n) for n in expected} == {n: d / 2 for n, d in expected.items()}
    monkeypatch.undo()

    for attempt, full in expected.items():
        samples = [services.retry_delay(attempt) for _ in range(200)]
        assert all(full / 2 <= s <= full for s in samples)  # between half and all of it
        assert max(samples) - min(samples) > full / 4  # really jittered, not constant
