"""The desk's view of an appointment's fees says what the caller may do to each one now
(the calendar shows "Condonar"/"Reembolsar" from it): reception and admin may waive a fee
not charged yet or refund a charged one; a therapist sees the fee and no action."""

from __future__ import annotations

from typing import Any

import pytest

from modules.booking import fees
from modules.booking.models import AppointmentFee
from tests.factories import UserFactory
from tests.modules.booking.conftest import MONDAY, at
from tests.modules.booking.with_payments.fee_helpers import DECLINED_CARD, client_with_card
from tests.modules.booking.with_payments.test_fees import _booked, _no_show
from tests.modules.payments.conftest import _wompi_settings  # noqa: F401

pytestmark = pytest.mark.django_db
DESK = "/api/booking/desk"
Status = AppointmentFee.Status


@pytest.fixture
def guaranteed(spa: Any) -> Any:
    from tests.modules.booking.with_payments.fee_helpers import card_service

    return card_service(spa)


def _fee_actions(api: Any, appt_id: str) -> list[tuple[str, list[str]]]:
    response = api.get(f"{DESK}/appointments/{appt_id}/")
    assert response.status_code == 200, response.json()
    return [(f["status"], f["actions"]) for f in response.json()["fees"]]


@pytest.mark.parametrize(
    ("status", "actions"),
    [
        (Status.DUE, ["waive"]),
        (Status.UNPAID, ["waive"]),
        (Status.CHARGING, []),
        (Status.CHARGED, ["refund"]),
        (Status.WAIVED, []),
        (Status.REFUNDED, []),
    ],
)
def test_each_state_offers_what_the_api_accepts(status: str, actions: list[str]) -> None:
    assert fees.staff_actions(status) == actions


def test_reception_may_waive_a_therapist_only_sees_it(
    api_as: Any, spa: Any, guaranteed: Any, clock: Any, django_capture_on_commit_callbacks: Any
) -> None:
    appt_id = _booked(api_as, client_with_card(DECLINED_CARD))
    clock.move_to(at(MONDAY, 11))
    fee = _no_show(api_as, appt_id, django_capture_on_commit_callbacks)
    assert fee.status == Status.DUE  # declined once: retried later, waivable meanwhile
    reception = api_as(UserFactory(roles=["reception"]))
    assert _fee_actions(reception, appt_id) == [("DUE", ["waive"])]
    therapist = fee.appointment.therapist.user
    assert _fee_actions(api_as(therapist), appt_id) == [("DUE", [])]
    waived = reception.post(f"{DESK}/fees/{fee.public_id}/waive/", {"reason": "Emergencia"})
    assert waived.status_code == 200, waived.json()
    assert _fee_actions(reception, appt_id) == [("WAIVED", [])]


def test_a_charged_fee_offers_refund(
    api_as: Any, spa: Any, guaranteed: Any, clock: Any, django_capture_on_commit_callbacks: Any
) -> None:
    appt_id = _booked(api_as, client_with_card())
    clock.move_to(at(MONDAY, 11))
    _no_show(api_as, appt_id, django_capture_on_commit_callbacks)
    admin = api_as(UserFactory(roles=["admin"]))
    assert _fee_actions(admin, appt_id) == [("CHARGED", ["refund"])]


def test_an_empty_reason_is_refused_in_spanish(
    api_as: Any, spa: Any, guaranteed: Any, clock: Any, django_capture_on_commit_callbacks: Any
) -> None:
    appt_id = _booked(api_as, client_with_card())
    clock.move_to(at(MONDAY, 11))
    fee = _no_show(api_as, appt_id, django_capture_on_commit_callbacks)
    reception = api_as(UserFactory(roles=["reception"]))
    for reason, why in (("", "No puede estar vacío."), ("   ", "El formato no es válido.")):
        refused = reception.post(f"{DESK}/fees/{fee.public_id}/refund/", {"reason": reason})
        assert refused.status_code == 422
        error = refused.json()["error"]
        assert error["message"] == "Los datos enviados no son válidos."
        assert [(d["field"], d["message"]) for d in error["details"]] == [("reason", why)]


def test_the_staff_fee_list_offers_the_same_actions_as_the_panel(
    api_as: Any, spa: Any, guaranteed: Any, clock: Any, django_capture_on_commit_callbacks: Any
) -> None:
    appt_id = _booked(api_as, client_with_card())
    clock.move_to(at(MONDAY, 11))
    fee = _no_show(api_as, appt_id, django_capture_on_commit_callbacks)
    reception = api_as(UserFactory(roles=["reception"]))
    for status in (Status.CHARGED, Status.UNPAID, Status.CHARGING, Status.WAIVED):
        AppointmentFee.objects.filter(pk=fee.pk).update(status=status)
        listed = reception.get(f"{DESK}/fees/?status={status}")
        assert listed.status_code == 200, listed.json()
        rows = [(i["status"], i["actions"]) for i in listed.json()["items"]]
        assert rows == _fee_actions(reception, appt_id) == [(status, fees.staff_actions(status))]


def test_a_waived_fee_answers_with_no_action_left(
    api_as: Any, spa: Any, guaranteed: Any, clock: Any, django_capture_on_commit_callbacks: Any
) -> None:
    appt_id = _booked(api_as, client_with_card(DECLINED_CARD))
    clock.move_to(at(MONDAY, 11))
    fee = _no_show(api_as, appt_id, django_capture_on_commit_callbacks)
    reception = api_as(UserFactory(roles=["reception"]))
    waived = reception.post(f"{DESK}/fees/{fee.public_id}/waive/", {"reason": "Emergencia"})
    assert waived.status_code == 200, waived.json()
    assert (waived.json()["status"], waived.json()["actions"]) == ("WAIVED", [])


def test_the_appointment_admin_page_shows_its_fees_in_spanish(
    api_as: Any, spa: Any, guaranteed: Any, clock: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from django.test import Client

    from modules.booking.models import Appointment

    appt_id = _booked(api_as, client_with_card())
    clock.move_to(at(MONDAY, 11))
    fee = _no_show(api_as, appt_id, django_capture_on_commit_callbacks)
    appt = Appointment.objects.get(public_id=appt_id)
    browser = Client()
    browser.force_login(UserFactory(is_staff=True, is_superuser=True))
    page = browser.get(f"/admin/booking/appointment/{appt.pk}/change/").content.decode()
    panel = page.split('id="desk-fees"', 1)[1].split("</table>", 1)[0]
    assert "Inasistencia" in panel and "$ 100.000" in panel and "Cobrado" in panel
    assert "CHARGED" not in panel.replace("sz-fee-charged", "") and "10000000" not in panel
    assert "Condonar" not in panel  # read-only here: the calendar acts on fees
    inline = page.split('id="fees-group"', 1)[1]
    assert "$ 100.000" in inline and "10000000" not in inline
    assert str(fee.public_id) in page
