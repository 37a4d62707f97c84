from __future__ import annotations

from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from modules.booking import reminders, services, tasks
from modules.booking.models import Appointment
from platform_core.models import Notification
from tests.factories import UserFactory
from tests.modules.booking.conftest import TUESDAY, at


def _confirmed(spa: Any, hour: int, *, created_days_before: int = 3) -> Appointment:
    appt = services.book_appointment(
        actor=UserFactory(roles=["reception"]),
        client=UserFactory(),
        service_code="MASAJE-DEP" if hour % 2 else "MASAJE-60",
        start=at(TUESDAY, hour),
    ).appointment
    Appointment.objects.filter(pk=appt.pk).update(
        status="CONFIRMED", created_at=appt.start - timedelta(days=created_days_before)
    )
    return appt


def _reminders(hours: int | None = None) -> list[Notification]:
    rows = Notification.objects.filter(template="booking_reminder")
    if hours is not None:
        rows = rows.filter(idempotency_key__contains=f":reminder:{hours}:")
    return list(rows)


def test_each_reminder_once(spa: Any, clock: Any, checkout_stub: list) -> None:
    appt = _confirmed(spa, 10)
    assert tasks.send_reminders.delay().get() == 0  # Monday 08:00: 26 h ahead
    clock.move_to(at(TUESDAY, 10) - timedelta(hours=24))
    assert reminders.send_due_reminders() == 1
    assert reminders.send_due_reminders() == 0
    body = _reminders(24)[0].body
    assert "Masaje relajante 60 min" in body and "martes 5 de marzo a las 10:00" in body
    clock.move_to(at(TUESDAY, 10) - timedelta(hours=1, minutes=55))
    assert reminders.send_due_reminders() == 1
    assert reminders.send_due_reminders() == 0
    assert {n.idempotency_key for n in _reminders()} == {
        f"appt:{appt.public_id}:reminder:24:{int(appt.start.timestamp())}",
        f"appt:{appt.public_id}:reminder:2:{int(appt.start.timestamp())}",
    }


def test_skips_cancelled_and_late_bookings(spa: Any, clock: Any, checkout_stub: list) -> None:
    cancelled = _confirmed(spa, 10)
    services.cancel_appointment(actor=None, appointment=cancelled, by_spa=True)
    fresh = _confirmed(spa, 15, created_days_before=0)
    Appointment.objects.filter(pk=fresh.pk).update(created_at=at(TUESDAY, 15) - timedelta(hours=5))
    clock.move_to(at(TUESDAY, 9) - timedelta(hours=20))
    assert reminders.send_due_reminders() == 0  # 24 h reminder came before the booking
    clock.move_to(at(TUESDAY, 13, 5))
    assert reminders.send_due_reminders() == 1  # ... but the 2 h one is sent
    assert [n.idempotency_key for n in _reminders()] == [
        f"appt:{fresh.public_id}:reminder:2:{int(fresh.start.timestamp())}"
    ]
    assert reminders.send_reminder(cancelled.pk, 2) is False


def test_missed_beats_send_only_the_nearest(spa: Any, clock: Any, settings: Any) -> None:
    _confirmed(spa, 10)
    clock.move_to(at(TUESDAY, 9))
    assert reminders.send_due_reminders() == 1
    assert len(_reminders(2)) == 1 and not _reminders(24)
    settings.BOOKING_REMINDER_HOURS = []
    assert reminders.send_due_reminders() == 0


def test_management_command_is_safe_anytime(spa: Any, clock: Any) -> None:
    appt = _confirmed(spa, 10)
    out = StringIO()
    call_command("send_appointment_reminder", stdout=out)
    assert "reminders sent: 0" in out.getvalue()
    clock.move_to(at(TUESDAY, 9))
    call_command("send_appointment_reminder", stdout=out)
    call_command(
        "send_appointment_reminder",
        "--appointment",
        str(appt.public_id),
        "--hours",
        "2",
        stdout=out,
    )
    assert out.getvalue().count("reminders sent: 1") == 1
    assert len(_reminders()) == 1
    with pytest.raises(CommandError):
        call_command("send_appointment_reminder", "--appointment", "nope")


def test_reschedule_rearms_reminders(
    spa: Any, clock: Any, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    """The reminder for the new time is a new outbox row, and it is delivered."""
    from platform_core.models import NotificationStatus
    from platform_core.notifications import clear_sent_messages, sent_messages

    settings.NOTIFICATIONS_BACKEND = "memory"
    clear_sent_messages()
    appt = _confirmed(spa, 10)
    clock.move_to(at(TUESDAY, 8, 5))
    with django_capture_on_commit_callbacks(execute=True):
        assert reminders.send_due_reminders() == 1
    services.reschedule_appointment(
        actor=UserFactory(roles=["reception"]), appointment=appt, start=at(TUESDAY, 11, 15)
    )
    clock.move_to(at(TUESDAY, 9, 20))
    with django_capture_on_commit_callbacks(execute=True):
        assert reminders.send_due_reminders() == 1
    rows = sorted(_reminders(2), key=lambda n: n.pk)
    assert [n.idempotency_key for n in rows] == [
        f"appt:{appt.public_id}:reminder:2:{int(at(TUESDAY, 10).timestamp())}",
        f"appt:{appt.public_id}:reminder:2:{int(at(TUESDAY, 11, 15).timestamp())}",
    ]
    assert "a las 10:00" in rows[0].body and "a las 11:15" in rows[1].body
    for row in rows:
        row.refresh_from_db()
        assert row.status == NotificationStatus.SENT, (row.status, row.error_code)
    bodies = [m["body"] for m in sent_messages() if m["template"] == "booking_reminder"]
    assert len(bodies) == 2 and "a las 11:15" in bodies[1]
    clear_sent_messages()
