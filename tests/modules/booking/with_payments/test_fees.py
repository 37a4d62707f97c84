"""Card guarantees and fees through the real payments module and its Wompi sandbox: the
policy shown before booking, consent stored, no-show and late-cancellation fees charged
once after commit, declines retried on a bounded schedule then listed for staff, waive and
refund audited, fees in the ledger as their own kind."""

from __future__ import annotations

from typing import Any

import pytest

from modules.booking import fees, services
from modules.booking.models import Appointment, AppointmentFee, GuaranteeConsent
from modules.payments.models import LedgerEntry, Payment, Refund
from platform_core.errors import ValidationFailed
from platform_core.models import AuditEvent, Notification
from tests.factories import UserFactory
from tests.modules.booking.conftest import MONDAY, TUESDAY, at, iso
from tests.modules.booking.with_payments.fee_helpers import (
    DECLINED_CARD,
    card_service,
    client_with_card,
    fee_transactions,
    save_card,
)
from tests.modules.payments.conftest import _wompi_settings  # noqa: F401

pytestmark = pytest.mark.django_db
BOOK = "/api/booking/appointments"
Status = AppointmentFee.Status


@pytest.fixture
def guaranteed(spa: Any) -> Any:
    return card_service(spa)


def _book(api_as: Any, client: Any, start: Any = None, **extra: Any) -> Any:
    payload = {"service": "MASAJE-GARANTIA", "start": start or iso(MONDAY, 10), **extra}
    return api_as(client).post(BOOK, payload)


def _booked(api_as: Any, client: Any, start: Any = None) -> str:
    response = _book(api_as, client, start, accept_policy=True)
    assert response.status_code == 201, response.json()
    return str(response.json()["appointment"]["id"])


def _no_show(api_as: Any, appt_id: str, capture: Any) -> Any:
    with capture(execute=True):
        response = api_as(UserFactory(roles=["reception"])).post(
            f"/api/booking/desk/appointments/{appt_id}/no-show/"
        )
    assert response.status_code == 200, response.json()
    fee = AppointmentFee.objects.get(appointment__public_id=appt_id)
    # The desk sees the fee decided (its charge is still to come in this answer).
    assert [(f["id"], f["kind"]) for f in response.json()["fees"]] == [
        (str(fee.public_id), "no_show")
    ]
    return fee


def _no_show_without_card(api_as: Any, client: Any, clock: Any, capture: Any) -> Any:
    """Booked with a card, which the client deleted before not showing up."""
    from modules.payments import saved_cards

    appt_id = _booked(api_as, client)
    with capture(execute=True):
        saved_cards.delete_card(client)
    clock.move_to(at(MONDAY, 11))
    return _no_show(api_as, appt_id, capture)


# --- the policy before booking, and consent ------------------------------------------------------
def test_the_policy_is_shown_before_booking(api: Any, guaranteed: Any, spa: Any) -> None:
    body = api.get("/api/booking/services/MASAJE-GARANTIA/").json()["guarantee"]
    assert body["policy"] == "card" and body["requires_card"] is True
    assert body["no_show_fee_cents"] == 10_000_000 and body["no_show_fee_percent"] == 50
    assert body["late_cancel_fee_cents"] == 4_000_000 and body["late_cancel_hours"] == 24
    assert "$ 100.000 (el 50 % del precio)" in body["text"]
    assert "menos de 24 horas" in body["text"] and "$ 40.000" in body["text"]
    listed = {s["code"]: s["guarantee"] for s in api.get("/api/booking/services/").json()["items"]}
    assert (
        listed["MASAJE-DEP"]["policy"] == "deposit" and "$ 60.000" in listed["MASAJE-DEP"]["text"]
    )
    assert listed["MASAJE-60"]["policy"] == "none"


def test_booking_needs_a_saved_card_then_consent(api_as: Any, guaranteed: Any) -> None:
    client = UserFactory(roles=["client"])
    response = _book(api_as, client, accept_policy=True)
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "card_required" and "/api/finances/cards/mine/" in error["message"]
    save_card(client)
    response = _book(api_as, client)
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "policy_not_accepted" and "accept_policy" in error["message"]
    assert "$ 100.000" in error["details"]["policy"]
    assert not Appointment.objects.exists()  # nothing half-written

    response = _book(api_as, client, accept_policy=True)
    assert response.status_code == 201, response.json()
    consent = GuaranteeConsent.objects.get()
    assert consent.appointment.client_id == client.pk and consent.via == "api"
    assert (consent.no_show_fee_cents, consent.late_cancel_fee_cents) == (10_000_000, 4_000_000)
    assert consent.late_cancel_hours == 24 and consent.card_label.endswith("····4242")
    assert "$ 100.000" in consent.policy_text and consent.recorded_by_id is None
    assert response.json()["guarantee"]["card"] == consent.card_label
    detail = api_as(client).get(f"{BOOK}/{consent.appointment.public_id}/").json()
    assert detail["guarantee"]["policy_text"] == consent.policy_text and detail["fees"] == []


def test_a_vip_price_gives_the_percentage_of_that_price(
    api_as: Any, guaranteed: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    guaranteed.vip_price_cents = 16_000_000
    guaranteed.save()
    monkeypatch.setattr(services.identity, "is_vip", lambda user: True)
    _booked(api_as, client_with_card())
    assert GuaranteeConsent.objects.get().no_show_fee_cents == 8_000_000  # 50 % of VIP


# --- no-show --------------------------------------------------------------------------------------
def test_a_no_show_is_charged_once_with_a_receipt_and_a_ledger_entry(
    api_as: Any, guaranteed: Any, clock: Any, django_capture_on_commit_callbacks: Any
) -> None:
    client = client_with_card()
    appt_id = _booked(api_as, client)
    clock.move_to(at(MONDAY, 10, 30))
    fee = _no_show(api_as, appt_id, django_capture_on_commit_callbacks)
    assert (fee.kind, fee.status, fee.amount_cents, fee.attempts) == (
        "no_show",
        Status.CHARGED,
        10_000_000,
        1,
    )
    [tx] = fee_transactions()
    assert tx["status"] == "APPROVED" and tx["amount_in_cents"] == 10_000_000
    assert tx["reference"] == fee.payment_reference == fees.attempt_reference(fee)
    payment = Payment.objects.get(reference=fee.payment_reference)
    assert (payment.purpose, payment.purpose_ref, payment.charge_kind) == (
        "booking.fee",
        str(fee.public_id),
        "penalty",
    )
    kinds = set(payment.ledger_entries.values_list("kind", flat=True))
    assert LedgerEntry.Kind.PENALTY in kinds and LedgerEntry.Kind.CHARGE not in kinds
    receipt = Notification.objects.get(template="booking_fee_charged")
    assert "$ 100.000" in receipt.body and fee.payment_reference in receipt.body
    assert "inasistencia" in receipt.body and "····4242" in receipt.body

    # The beat afterwards, a second no-show request and a redelivered outcome: nothing more.
    with django_capture_on_commit_callbacks(execute=True):
        assert fees.run_due() == {"decided": 0, "charged": 0}
        fees.on_settled(ref=str(fee.public_id), payment_reference=fee.payment_reference)
    assert len(fee_transactions()) == 1 and AppointmentFee.objects.count() == 1
    assert Notification.objects.filter(template="booking_fee_charged").count() == 1
    detail = api_as(client).get(f"{BOOK}/{appt_id}/").json()
    assert [(f["kind"], f["status"]) for f in detail["fees"]] == [("no_show", "CHARGED")]


def test_the_beat_charges_a_no_show_that_has_no_fee_yet(
    api_as: Any, guaranteed: Any, clock: Any, django_capture_on_commit_callbacks: Any
) -> None:
    """A no-show set outside booking's services (e.g. by hand in the database)."""
    appt_id = _booked(api_as, client_with_card())
    clock.move_to(at(MONDAY, 11))
    Appointment.objects.filter(public_id=appt_id).update(status="NO_SHOW")
    with django_capture_on_commit_callbacks(execute=True):
        assert fees.run_due() == {"decided": 1, "charged": 1}
    assert AppointmentFee.objects.get().status == Status.CHARGED
    assert len(fee_transactions()) == 1


def test_a_deposit_service_keeps_the_deposit_and_charges_no_fee(
    api_as: Any, spa: Any, clock: Any, django_capture_on_commit_callbacks: Any
) -> None:
    appt = services.book_appointment(
        actor=UserFactory(roles=["reception"]),
        client=client_with_card(),
        service_code="MASAJE-DEP",
        start=at(MONDAY, 10),
    ).appointment
    Appointment.objects.filter(pk=appt.pk).update(status="CONFIRMED", deposit_paid_cents=6_000_000)
    clock.move_to(at(MONDAY, 11))
    with django_capture_on_commit_callbacks(execute=True):
        services.mark_no_show(actor=UserFactory(roles=["reception"]), appointment=appt)
    assert not AppointmentFee.objects.exists() and fee_transactions() == []


# --- late cancellation ----------------------------------------------------------------------------
def test_a_late_cancellation_is_charged_an_early_one_is_free(
    api_as: Any, guaranteed: Any, django_capture_on_commit_callbacks: Any
) -> None:
    client = client_with_card()
    early, late = _booked(api_as, client, iso(TUESDAY, 16)), _booked(api_as, client)
    with django_capture_on_commit_callbacks(execute=True):
        free = api_as(client).post(f"{BOOK}/{early}/cancel", {"reason": "viaje"}).json()
        charged = api_as(client).post(f"{BOOK}/{late}/cancel", {"reason": "viaje"}).json()
    assert free["fee_cents"] == 0 and charged["fee_cents"] == 4_000_000
    fee = AppointmentFee.objects.get()
    assert (fee.kind, fee.status, str(fee.appointment.public_id)) == (
        "late_cancel",
        "CHARGED",
        late,
    )
    assert [t["amount_in_cents"] for t in fee_transactions()] == [4_000_000]
    assert "cancelación tardía" in Notification.objects.get(template="booking_fee_charged").body


def test_the_spa_cancelling_late_charges_nothing(
    api_as: Any, guaranteed: Any, django_capture_on_commit_callbacks: Any
) -> None:
    appt_id = _booked(api_as, client_with_card())
    with django_capture_on_commit_callbacks(execute=True):
        body = (
            api_as(UserFactory(roles=["reception"]))
            .post(f"/api/booking/desk/appointments/{appt_id}/cancel/", {"by": "spa"})
            .json()
        )
    assert body["fee_cents"] == 0 and not AppointmentFee.objects.exists()


def test_the_desk_preview_states_the_fee(api_as: Any, guaranteed: Any) -> None:
    appt_id = _booked(api_as, client_with_card())
    desk = api_as(UserFactory(roles=["reception"]))
    body = desk.get(f"/api/booking/desk/appointments/{appt_id}/cancel/?by=client").json()
    assert body["fee_cents"] == 4_000_000 and "$ 40.000" in body["message"]
    assert (
        desk.get(f"/api/booking/desk/appointments/{appt_id}/cancel/?by=spa").json()["fee_cents"]
        == 0
    )


# --- declines, retries, staff ---------------------------------------------------------------------
def test_a_declined_fee_is_retried_on_schedule_then_listed_for_staff(
    api_as: Any, guaranteed: Any, clock: Any, django_capture_on_commit_callbacks: Any
) -> None:
    appt_id = _booked(api_as, client_with_card(DECLINED_CARD))
    clock.move_to(at(MONDAY, 11))
    fee = _no_show(api_as, appt_id, django_capture_on_commit_callbacks)
    assert (fee.status, fee.attempts) == (Status.DUE, 1) and "(rechazado)" in fee.last_error
    assert fee.next_try_at == at(MONDAY, 11) + fees.RETRY_DELAYS[0]
    with django_capture_on_commit_callbacks(execute=True):
        assert fees.run_due()["charged"] == 0  # not due yet
    for delay in fees.RETRY_DELAYS:
        clock.move_to(fee.next_try_at)
        with django_capture_on_commit_callbacks(execute=True):
            assert fees.run_due()["charged"] == 1
        fee.refresh_from_db()
        assert fee.attempts == fees.RETRY_DELAYS.index(delay) + 2
    assert (fee.status, fee.attempts, fee.next_try_at) == (Status.UNPAID, 4, None)
    references = [t["reference"] for t in fee_transactions()]
    assert len(references) == 4 == len(set(references))
    assert all(t["status"] == "DECLINED" for t in fee_transactions())
    clock.move_to(at(TUESDAY, 23))
    with django_capture_on_commit_callbacks(execute=True):
        assert fees.run_due()["charged"] == 0  # bounded: no fifth attempt
    listed = api_as(UserFactory(roles=["reception"])).get("/api/booking/desk/fees/").json()
    assert [(i["id"], i["status"], i["attempts"]) for i in listed["items"]] == [
        (str(fee.public_id), "UNPAID", 4)
    ]
    assert api_as(UserFactory(roles=["client"])).get("/api/booking/desk/fees/").status_code == 403


def test_no_card_on_file_leaves_the_fee_unpaid_for_staff(
    api_as: Any, guaranteed: Any, clock: Any, django_capture_on_commit_callbacks: Any
) -> None:
    fee = _no_show_without_card(
        api_as, client_with_card(), clock, django_capture_on_commit_callbacks
    )
    assert fee.status == Status.UNPAID and "tarjeta" in fee.last_error
    assert fee_transactions() == []


def test_staff_waive_an_unpaid_fee_with_a_reason(
    api_as: Any, guaranteed: Any, clock: Any, django_capture_on_commit_callbacks: Any
) -> None:
    appt_id = _booked(api_as, client_with_card(DECLINED_CARD))
    clock.move_to(at(MONDAY, 11))
    fee = _no_show(api_as, appt_id, django_capture_on_commit_callbacks)
    staff = UserFactory(roles=["reception"])
    desk = api_as(staff)
    url = f"/api/booking/desk/fees/{fee.public_id}/waive/"
    assert desk.post(url, {"reason": ""}).status_code == 422
    assert desk.post("/api/booking/desk/fees/not-a-uuid/waive/", {"reason": "x"}).status_code == 404
    response = desk.post(url, {"reason": "Emergencia médica"})
    assert response.status_code == 200 and response.json()["status"] == "WAIVED"
    fee.refresh_from_db()
    assert (fee.waived_by_id, fee.waive_reason) == (staff.pk, "Emergencia médica")
    event = AuditEvent.objects.get(action="booking.fee_waived")
    assert event.actor_id == staff.pk and event.details["reason"] == "Emergencia médica"
    assert desk.post(url, {"reason": "otra vez"}).json()["error"]["code"] == "fee_not_waivable"
    clock.move_to(at(TUESDAY, 12))
    with django_capture_on_commit_callbacks(execute=True):
        assert fees.run_due()["charged"] == 0  # a waived fee is never charged again


def test_staff_refund_a_charged_fee(
    api_as: Any, guaranteed: Any, clock: Any, django_capture_on_commit_callbacks: Any
) -> None:
    appt_id = _booked(api_as, client_with_card())
    clock.move_to(at(MONDAY, 11))
    fee = _no_show(api_as, appt_id, django_capture_on_commit_callbacks)
    staff = UserFactory(roles=["admin"])
    url = f"/api/booking/desk/fees/{fee.public_id}/"
    assert api_as(staff).post(url + "waive/", {"reason": "x"}).status_code == 409
    with django_capture_on_commit_callbacks(execute=True):
        response = api_as(staff).post(url + "refund/", {"reason": "Cobro en disputa"})
    assert response.status_code == 200, response.json()
    fee.refresh_from_db()
    assert (fee.status, fee.refunded_by_id, fee.refund_reason) == (
        Status.REFUNDED,
        staff.pk,
        "Cobro en disputa",
    )
    refund = Refund.objects.get(payment__reference=fee.payment_reference)
    assert refund.status == Refund.Status.VOIDED and refund.amount_cents == 10_000_000
    assert AuditEvent.objects.filter(action="booking.fee_refunded", actor_id=staff.pk).exists()
    assert (
        "reembolsamos $ 100.000" in Notification.objects.get(template="booking_fee_refunded").body
    )
    assert api_as(staff).post(url + "refund/", {"reason": "x"}).status_code == 409


def test_an_approval_the_fee_no_longer_owes_is_refunded(
    api_as: Any, guaranteed: Any, clock: Any, django_capture_on_commit_callbacks: Any
) -> None:
    """A late approval of an attempt after staff waived the fee goes back to the client."""
    appt_id = _booked(api_as, client_with_card())
    clock.move_to(at(MONDAY, 11))
    fee = _no_show(api_as, appt_id, django_capture_on_commit_callbacks)
    AppointmentFee.objects.filter(pk=fee.pk).update(status=Status.WAIVED)
    with django_capture_on_commit_callbacks(execute=True):
        assert fees.on_settled(ref=str(fee.public_id), payment_reference=fee.payment_reference) == (
            "refunded"
        )
    assert Refund.objects.filter(payment__reference=fee.payment_reference).exists()


def test_a_stale_failure_changes_nothing(guaranteed: Any) -> None:  # also a bad ref
    assert fees.on_failed(ref=str(guaranteed.pk), payment_reference="x", status="DECLINED") == (
        "ignored"
    )


def test_the_fee_charge_calls_wompi_with_no_transaction_open(
    api_as: Any,
    guaranteed: Any,
    clock: Any,
    provider_calls: list,
    django_capture_on_commit_callbacks: Any,
) -> None:
    appt_id = _booked(api_as, client_with_card())
    clock.move_to(at(MONDAY, 11))
    _no_show(api_as, appt_id, django_capture_on_commit_callbacks)
    charges = [d for p, op, d in provider_calls if p == "Wompi" and op == "POST /v1/transactions"]
    assert charges == [0]


def test_export_shows_the_consent_and_erasure_charges_no_fee(
    api_as: Any, guaranteed: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from modules.booking.personal_data import erase_user, export_user

    client = client_with_card()
    _booked(api_as, client)  # today 10:00: inside the late window
    exported = export_user(client)["appointments"][0]
    assert "$ 100.000" in exported["guarantee"]["policy_text"] and exported["fees"] == []
    with django_capture_on_commit_callbacks(execute=True):
        erase_user(client)
    assert Appointment.objects.get().status == "CANCELLED"
    assert not AppointmentFee.objects.exists() and fee_transactions() == []


def test_the_assistant_states_the_policy_and_books_with_the_consent(
    guaranteed: Any, clock: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from modules.booking.assistant_tools import get_tools
    from platform_core.plugins import ToolContext

    tools = {t.name: t for t in get_tools()}
    client = UserFactory(roles=["client"])
    args = {"service_code": "MASAJE-GARANTIA", "start": iso(TUESDAY, 10)}

    def ctx(confirmed: bool = False) -> Any:
        return ToolContext(user=client, conversation_id="c1", confirmed=confirmed)

    listed = {s["code"]: s for s in tools["list_services"].handler(ctx())["services"]}
    assert "Si no asistes" in listed["MASAJE-GARANTIA"]["guarantee"]
    # No card: the proposal says how to save one (there is nothing to consent to yet) and a
    # confirmed call is refused the same way.
    with pytest.raises(ValidationFailed) as no_card:
        tools["book_appointment"].propose(ctx(), **args)
    assert no_card.value.code == "card_required" and "tarjeta guardada" in no_card.value.message
    refused = tools["book_appointment"].handler(ctx(True), **args)
    assert refused["ok"] is False and refused["error"] == "card_required"
    save_card(client)
    proposal = tools["book_appointment"].propose(ctx(), **args)
    assert "$ 100.000 (el 50 % del precio)" in proposal and "aceptas esta política" in proposal
    assert tools["book_appointment"].handler(ctx(), **args)["error"] == "confirmation_required"
    booked = tools["book_appointment"].handler(ctx(True), **args)
    assert booked["ok"] and GuaranteeConsent.objects.get().via == "assistant"
    # Cancelling late: the proposal states the fee; the confirmed cancel charges it.
    clock.move_to(at(TUESDAY, 8))
    cancel = tools["cancel_appointment"]
    assert "$ 40.000" in cancel.propose(ctx(), appointment_id=booked["appointment_id"])
    with django_capture_on_commit_callbacks(execute=True):
        done = cancel.handler(ctx(True), appointment_id=booked["appointment_id"])
    assert done["fee_cents"] == 4_000_000
    assert AppointmentFee.objects.get().status == Status.CHARGED


def test_a_card_guarantee_waitlist_offer_needs_the_consent(
    api_as: Any, guaranteed: Any, spa: Any, django_capture_on_commit_callbacks: Any
) -> None:
    """Accepting a freed slot of a card-guarantee service: consent in the API
    (?accept_policy=true); a bare "sí" to the offer message gets the proposal stating the
    policy, not the booking."""
    from modules.booking.assistant_tools import offer_question
    from platform_core.plugins import ToolContext

    taken = _booked(api_as, client_with_card(), iso(TUESDAY, 10))
    waiter = client_with_card()
    api = api_as(waiter)
    joined = api.post(
        "/api/booking/waitlist/",
        {
            "service": "MASAJE-GARANTIA",
            "date_from": str(TUESDAY),
            "date_to": str(TUESDAY),
            "time_from": "10:00",
            "time_to": "10:30",
        },
    )
    assert joined.status_code == 201, joined.json()
    appt = Appointment.objects.get(public_id=taken)
    with django_capture_on_commit_callbacks(execute=True):
        services.cancel_appointment(actor=appt.client, appointment=appt, by_spa=True)
    offer_id = next(e["offer"]["id"] for e in api.get("/api/booking/waitlist/").json()["items"])
    question = offer_question(ToolContext(user=waiter, conversation_id="c", confirmed=False))
    assert question is not None and question.propose_yes  # "sí" gets the policy first
    url = f"/api/booking/waitlist/offers/{offer_id}/accept/"
    refused = api.post(url)
    assert refused.status_code == 422 and refused.json()["error"]["code"] == "policy_not_accepted"
    accepted = api.post(url + "?accept_policy=true")
    assert accepted.status_code == 201, accepted.json()
    assert accepted.json()["guarantee"]["via"] == "waitlist"


def test_a_charge_wompi_refuses_to_start_is_retried(
    api_as: Any, guaranteed: Any, clock: Any, django_capture_on_commit_callbacks: Any
) -> None:
    """Wompi refuses the request itself (a source voided at Wompi): the attempt ends at
    once (fail_attempt) and the fee waits for its next try."""
    from modules.payments.models import SavedCard
    from modules.payments.wompi.gateway import get_gateway

    client = client_with_card()
    appt_id = _booked(api_as, client)
    get_gateway().void_payment_source(SavedCard.objects.get(user=client).payment_source_id)
    clock.move_to(at(MONDAY, 11))
    fee = _no_show(api_as, appt_id, django_capture_on_commit_callbacks)
    assert (fee.status, fee.attempts) == (Status.DUE, 1) and fee.next_try_at is not None
    assert Payment.objects.get(reference=fee.payment_reference).status == "ERROR"


def test_staff_retry_an_unpaid_fee_from_the_admin(
    api_as: Any, guaranteed: Any, clock: Any, django_capture_on_commit_callbacks: Any
) -> None:
    """No card on file: UNPAID; the client saves one, staff retry from the admin: charged."""
    from django.test import Client

    admin_client = Client()
    admin_client.force_login(UserFactory(is_staff=True, is_superuser=True))
    client = client_with_card()
    fee = _no_show_without_card(api_as, client, clock, django_capture_on_commit_callbacks)
    assert fee.status == Status.UNPAID
    save_card(client)
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            "/admin/booking/appointmentfee/",
            {"action": "retry_now", "_selected_action": [fee.pk]},
        )
    assert response.status_code == 302
    fee.refresh_from_db()
    assert (fee.status, fee.attempts) == (Status.CHARGED, 1)
    assert AuditEvent.objects.filter(action="booking.fee_retry_requested").exists()
    with pytest.raises(fees.FeeNotFound):
        fees.retry_now(actor=client, fee_public_id="nope")
