"""A receptionist settles no-show fees from the calendar's appointment panel, in a real
browser: waive one not charged yet, refund a charged one, a refusal shown in Spanish; a
therapist sees the fees without the buttons. Appointments are yesterday's, opened with
``?cita=``, so the scenario does not depend on the time of day."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

import pytest
from django.utils import timezone

from modules.booking import fees
from modules.booking.availability import local_tz
from modules.booking.models import (
    Appointment,
    AppointmentFee,
    AppointmentStatus,
    OpeningHours,
    Service,
    Therapist,
    WorkingHours,
)
from modules.payments.models import Refund
from platform_core.models import Notification
from tests.factories import UserFactory
from tests.modules.booking.with_payments.fee_helpers import DECLINED_CARD, save_card
from tests.modules.payments.conftest import _wompi_settings  # noqa: F401

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow, pytest.mark.postgres]
Status = AppointmentFee.Status


def _no_show_with_fee(
    therapist: Therapist, service: Service, start: datetime, name: str, card: str | None
) -> AppointmentFee:
    """A no-show of ``name`` whose fee was charged once to their card (declined or approved)
    or left unpaid (no card): payments' real path, Wompi's in-process sandbox."""
    first, last = name.split()
    client = UserFactory(first_name=first, last_name=last, roles=["client"], email="")
    if card:
        save_card(client, card)
    end = start + timedelta(minutes=service.duration_minutes)
    appt = Appointment.objects.create(
        client=client,
        service=service,
        therapist=therapist,
        start=start,
        end=end,
        blocked_start=start,
        blocked_end=end,
        status=AppointmentStatus.NO_SHOW,
        price_cents=service.price_cents,
        confirmed_at=start - timedelta(days=2),
    )
    fee = AppointmentFee.objects.create(
        appointment=appt,
        kind=AppointmentFee.Kind.NO_SHOW,
        amount_cents=service.price_cents // 2,
        next_try_at=timezone.now(),
    )
    fees.charge(fee.pk)
    fee.refresh_from_db()
    return fee


@pytest.fixture
def yesterdays_no_shows(db: Any) -> dict[str, Any]:
    day = timezone.now().astimezone(local_tz()).date() - timedelta(days=1)
    OpeningHours.objects.create(weekday=day.weekday(), opens=time(9), closes=time(19))
    user = UserFactory(roles=["therapist"], first_name="Ana", is_staff=True)
    ana = Therapist.objects.create(user=user, code="ana", display_name="Ana")
    WorkingHours.objects.create(therapist=ana, weekday=day.weekday(), start=time(9), end=time(19))
    facial = Service.objects.create(
        code="FACIAL-60", name="Limpieza facial", duration_minutes=60, price_cents=12_400_000
    )
    facial.therapists.add(ana)
    at = lambda hour: datetime.combine(day, time(hour), local_tz())  # noqa: E731
    declined = _no_show_with_fee(ana, facial, at(10), "Pedro Díaz", DECLINED_CARD)
    charged = _no_show_with_fee(ana, facial, at(12), "Lucía Pérez", "4242424242424242")
    assert (declined.status, charged.status) == (Status.DUE, Status.CHARGED)
    return {"ana": ana, "declined": declined, "charged": charged}


def _open(page: Any, live_url: str, fee: AppointmentFee) -> None:
    page.goto(f"{live_url}/admin/booking/calendar/?cita={fee.appointment.public_id}")
    page.wait_for_selector("#dlg-appt[open] #appt-fees:not([hidden])")


def _row(page: Any, fee: AppointmentFee) -> Any:
    return page.locator(f"#appt-fee-rows tr[data-fee='{fee.public_id}']")


def test_reception_waives_and_refunds_fees_from_the_calendar(
    login: Any, live_url: str, shot: Any, yesterdays_no_shows: dict
) -> None:
    spa = yesterdays_no_shows
    declined, charged = spa["declined"], spa["charged"]
    reception = UserFactory(roles=["reception"], first_name="Rosa", is_staff=True)
    page = login(reception)

    # Pedro's fee: declined once, due again later; $ 62.000 with "Condonar".
    _open(page, live_url, declined)
    row = _row(page, declined)
    assert "$ 62.000" in row.inner_text() and "Por cobrar" in row.inner_text()
    assert "Wompi no aprobó el cobro" in row.inner_text()
    assert row.locator("button").all_inner_texts() == ["Condonar"]
    shot(page, "11-cargo-por-cobrar")

    # The reason is required: asked for before any request.
    row.locator("button", has_text="Condonar").click()
    assert "Condonar el cargo de $ 62.000" in page.inner_text("#fee-form-title")
    page.click("#fee-submit")
    page.wait_for_selector("#appt-form .desk-error:not([hidden])")
    assert page.inner_text("#appt-form .desk-error") == "Escribe el motivo."

    # Meanwhile the beat opened a charge: the API refuses in Spanish, the panel catches up.
    AppointmentFee.objects.filter(pk=declined.pk).update(status=Status.CHARGING)
    page.fill("#appt-form input[name=fee_reason]", "Emergencia médica")
    page.keyboard.press("Enter")  # does not close the dialog
    assert page.locator("#dlg-appt[open]").count() == 1
    page.click("#fee-submit")
    page.wait_for_selector(
        f"#appt-fee-rows tr[data-fee='{declined.public_id}'] >> text=Cobro en curso"
    )
    assert "Hay un cobro en curso" in page.inner_text("#appt-form .desk-error")
    assert row.locator("button").count() == 0
    shot(page, "12-cargo-cobro-en-curso")

    # The charge was declined again: due once more, and now waived.
    AppointmentFee.objects.filter(pk=declined.pk).update(status=Status.DUE)
    page.locator("#dlg-appt button[value=cancel]").click()
    page.locator(".ec-event", has_text="Pedro Díaz").first.click()
    row.locator("button", has_text="Condonar").click()
    page.fill("#appt-form input[name=fee_reason]", "Emergencia médica")
    page.click("#fee-submit")
    page.wait_for_selector("#appt-form .desk-ok:has-text('Cargo condonado.')")
    assert "Condonado" in row.inner_text() and "Motivo: Emergencia médica" in row.inner_text()
    assert row.locator("button").count() == 0
    shot(page, "13-cargo-condonado")
    declined.refresh_from_db()
    assert (declined.status, declined.waived_by_id) == (Status.WAIVED, reception.pk)

    # Lucía's fee was charged: "Reembolsar" gives it back and she is told.
    page.locator("#dlg-appt button[value=cancel]").click()
    page.locator(".ec-event", has_text="Lucía Pérez").first.click()
    page.wait_for_selector(f"#appt-fee-rows tr[data-fee='{charged.public_id}']")
    row = _row(page, charged)
    assert "Cobrado" in row.inner_text() and "$ 62.000" in row.inner_text()
    row.locator("button", has_text="Reembolsar").click()
    page.fill("#appt-form input[name=fee_reason]", "Cobro en disputa")
    shot(page, "14-reembolsar-cargo")
    page.click("#fee-submit")
    page.wait_for_selector("#appt-form .desk-ok:has-text('Cargo reembolsado')")
    assert "Reembolsado" in row.inner_text() and row.locator("button").count() == 0
    charged.refresh_from_db()
    assert (charged.status, charged.refunded_by_id) == (Status.REFUNDED, reception.pk)
    assert Refund.objects.filter(payment__reference=charged.payment_reference).exists()
    assert Notification.objects.filter(template="booking_fee_refunded").count() == 1

    # The appointment's admin page lists both fees too (read-only: the calendar acts).
    page.goto(f"{live_url}/admin/booking/appointment/{charged.appointment.pk}/change/")
    fees_box = page.locator("#desk-panel #desk-fees")
    assert "$ 62.000" in fees_box.inner_text() and "Reembolsado" in fees_box.inner_text()
    assert "Motivo: Cobro en disputa" in fees_box.inner_text()
    assert fees_box.locator("button").count() == 0
    shot(page, "17-ficha-con-cargos")


def test_a_therapist_sees_the_fee_without_buttons(
    login: Any, live_url: str, shot: Any, yesterdays_no_shows: dict
) -> None:
    fee = yesterdays_no_shows["charged"]
    page = login(yesterdays_no_shows["ana"].user)
    _open(page, live_url, fee)
    row = _row(page, fee)
    assert "Cobrado" in row.inner_text() and "$ 62.000" in row.inner_text()
    assert row.locator("button").count() == 0
    shot(page, "15-cargo-vista-terapeuta")
