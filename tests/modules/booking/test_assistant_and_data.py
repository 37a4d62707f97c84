from __future__ import annotations

from datetime import timedelta
from io import StringIO
from typing import Any

from modules.booking import public
from modules.booking.assistant_tools import get_tools
from modules.booking.demo import THERAPISTS, seed
from modules.booking.models import Appointment, Service, Therapist
from modules.booking.personal_data import erase_user, export_user
from platform_core.plugins import ToolContext, assistant_tools, personal_data_exporters
from tests.factories import UserFactory
from tests.modules.booking.conftest import TUESDAY, iso


def _ctx(user: Any, confirmed: bool = False) -> ToolContext:
    return ToolContext(user=user, conversation_id="c1", confirmed=confirmed)


def test_tools_are_registered_through_the_plugin(db: Any) -> None:
    tools = assistant_tools()
    for name in (
        "list_services",
        "find_slots",
        "book_appointment",
        "my_appointments",
        "cancel_appointment",
    ):
        assert name in tools
    assert (
        tools["book_appointment"].needs_confirmation
        and tools["cancel_appointment"].needs_confirmation
    )
    assert "booking" in personal_data_exporters()


def test_assistant_books_only_after_confirmation(spa: Any, client_user: Any) -> None:
    tools = {t.name: t for t in get_tools()}
    listed = tools["list_services"].handler(_ctx(None))
    assert {s["code"] for s in listed["services"]} == {"MASAJE-60", "MASAJE-DEP"}
    found = tools["find_slots"].handler(
        _ctx(None),
        service_code="MASAJE-60",
        date_from=str(TUESDAY),
        date_to=str(TUESDAY),
        part_of_day="afternoon",
    )
    assert found["ok"] and found["slots"][0]["start"].startswith(f"{TUESDAY}T12:00")
    assert found["slots"][0]["label"] == "martes 5 de marzo a las 12:00"
    assert (
        tools["find_slots"].handler(
            _ctx(None), service_code="X", date_from=str(TUESDAY), date_to=str(TUESDAY)
        )["error"]
        == "service_not_found"
    )
    assert (
        tools["find_slots"].handler(_ctx(None), service_code="X", date_from="ayer", date_to="hoy")[
            "error"
        ]
        == "invalid_date"
    )

    args = {"service_code": "MASAJE-DEP", "start": iso(TUESDAY, 10)}
    proposal = tools["book_appointment"].propose(_ctx(client_user), **args)
    assert (
        "Masaje con anticipo" in proposal
        and "martes 5 de marzo a las 10:00" in proposal
        and "30%" in proposal
    )
    assert "No pude" in tools["book_appointment"].propose(
        _ctx(client_user), service_code="X", start="x"
    )
    assert tools["book_appointment"].handler(_ctx(client_user), **args) == {
        "ok": False,
        "error": "confirmation_required",
    }
    assert not Appointment.objects.exists()
    booked = tools["book_appointment"].handler(_ctx(client_user, True), **args)
    assert booked["ok"] and booked["status"] == "PENDING_PAYMENT" and booked["payment_url"]
    assert Appointment.objects.get().client == client_user
    assert tools["book_appointment"].handler(_ctx(client_user, True), **args)["ok"]  # Beto
    assert (
        tools["book_appointment"].handler(_ctx(client_user, True), **args)["error"] == "slot_taken"
    )
    assert (
        tools["book_appointment"].handler(
            _ctx(client_user, True), service_code="MASAJE-60", start="2030-03-05T10:00"
        )["error"]
        == "invalid_start"
    )

    mine = tools["my_appointments"].handler(_ctx(client_user))
    assert booked["appointment_id"] in [a["id"] for a in mine["appointments"]]
    assert tools["my_appointments"].handler(_ctx(None))["ok"] is False

    other = UserFactory()
    cancel = tools["cancel_appointment"]
    assert (
        cancel.propose(_ctx(other), appointment_id=booked["appointment_id"])
        == "No encontré esa cita."
    )
    assert (
        cancel.handler(_ctx(other, True), appointment_id=booked["appointment_id"])["error"]
        == "appointment_not_found"
    )
    assert "cancelar" in cancel.propose(_ctx(client_user), appointment_id=booked["appointment_id"])
    assert (
        cancel.handler(_ctx(client_user), appointment_id=booked["appointment_id"])["error"]
        == "confirmation_required"
    )
    done = cancel.handler(_ctx(client_user, True), appointment_id=booked["appointment_id"])
    assert done == {
        "ok": True,
        "status": "CANCELLED",
        "refund_requested": False,
        "fee_cents": 0,
        "deposit_kept_cents": 0,
    }


def test_late_cancel_proposal_warns_about_deposit(spa: Any, client_user: Any, clock: Any) -> None:
    tools = {t.name: t for t in get_tools()}
    booked = tools["book_appointment"].handler(
        _ctx(client_user, True), service_code="MASAJE-DEP", start=iso(TUESDAY, 10)
    )
    Appointment.objects.filter(public_id=booked["appointment_id"]).update(
        status="CONFIRMED", deposit_paid_cents=6_000_000
    )
    clock.shift(timedelta(hours=20))
    assert "no se reembolsa" in tools["cancel_appointment"].propose(
        _ctx(client_user), appointment_id=booked["appointment_id"]
    )


def test_export_and_erase(spa: Any, client_user: Any, clock: Any) -> None:
    tools = {t.name: t for t in get_tools()}
    tools["book_appointment"].handler(
        _ctx(client_user, True), service_code="MASAJE-60", start=iso(TUESDAY, 10)
    )
    Appointment.objects.update(
        notes="alergia a la lavanda", checkout={"checkout_url": "https://p/?customer-data:email=a"}
    )
    assert [a.service_code for a in public.upcoming_appointments(client_user)] == ["MASAJE-60"]
    data = export_user(client_user)
    assert data["appointments"][0]["notes"] == "alergia a la lavanda"
    assert data["appointments"][0]["history"][0]["kind"] == "created"
    assert export_user(spa.ana.user)["therapist_profile"]["code"] == "ana"
    erase_user(client_user)
    appt = Appointment.objects.get()
    assert appt.notes == "" and appt.status == "CANCELLED" and appt.checkout == {}
    erase_user(spa.ana.user)
    assert not Therapist.objects.get(pk=spa.ana.pk).is_active


def test_demo_seed_is_idempotent(db: Any) -> None:
    out = StringIO()
    seed(out)
    counts = (Therapist.objects.count(), Appointment.objects.count())
    seed(out)
    service = Service.objects.get(code="MASAJE-RELAX-60")
    assert service.deposit_percent > 0 and service.therapists.count() == len(THERAPISTS)
    assert Service.objects.filter(name="Facial hidratante").exists()
    assert (Therapist.objects.count(), Appointment.objects.count()) == counts
    assert counts[0] == len(THERAPISTS)
