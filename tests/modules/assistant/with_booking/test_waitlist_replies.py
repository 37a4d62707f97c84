"""A waitlist offer sent by WhatsApp is the question the client's next "sí"/"no" answers
(booking's plugin declares it; the assistant routes the reply before the proposal, the
menu and Gemini). docs/booking.md "Answering by WhatsApp"."""

from __future__ import annotations

from datetime import time, timedelta
from typing import Any

import pytest

from modules.assistant.models import Conversation, Proposal
from modules.booking import services, waitlist
from modules.booking.models import Appointment, AppointmentStatus, WaitlistEntry, WaitlistOffer
from platform_core.models import Notification
from platform_core.plugins import assistant_tools
from tests.factories import UserFactory
from tests.modules.booking.conftest import NOW, TUESDAY, at, build_spa, staff_book

pytestmark = pytest.mark.django_db


@pytest.fixture
def spa(monkeypatch: pytest.MonkeyPatch, clock: Any) -> Any:
    # The real booking tools (the assistant's tests default to a fake registry).
    monkeypatch.setattr("modules.assistant.toolbox.assistant_tools", assistant_tools)
    return build_spa()


@pytest.fixture
def clock() -> Any:
    import time_machine

    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def _waiting(n: int, service: str = "MASAJE-60", therapist: Any = None) -> list[Any]:
    """``n`` clients waiting for Tuesday 10:00 (only the freed slot fits), in order."""
    users = [UserFactory(roles=["client"]) for _ in range(n)]
    for user in users:
        waitlist.join(
            client=user,
            service_code=service,
            therapist_public_id=therapist.public_id if therapist is not None else None,
            date_from=TUESDAY,
            date_to=TUESDAY,
            time_from=time(10),
            time_to=time(10, 10),
        )
    return users


def _free_tuesday_10(capture: Any, service: str = "MASAJE-60") -> WaitlistOffer:
    with capture(execute=True):
        taken = staff_book(at(TUESDAY, 10), service_code=service)
        services.cancel_appointment(actor=taken.client, appointment=taken)
    return WaitlistOffer.objects.get(status="OPEN")


def _told(user: Any) -> int:
    return Notification.objects.filter(template="booking_waitlist_offer", user_id=user.pk).count()


def _appointments(user: Any) -> list[Any]:
    return list(
        Appointment.objects.filter(client=user).exclude(
            status__in=[AppointmentStatus.OFFERED, AppointmentStatus.CANCELLED]
        )
    )


@pytest.mark.parametrize("yes", ["sí", "Sí, lo quiero", "dale", "listo", "lo quiero", "Acepto"])
def test_a_yes_to_the_offer_books_it_without_the_model(
    spa: Any, whatsapp: Any, no_gemini: Any, django_capture_on_commit_callbacks: Any, yes: str
) -> None:
    [client] = _waiting(1)
    offer = _free_tuesday_10(django_capture_on_commit_callbacks)
    told = Notification.objects.get(template="booking_waitlist_offer").body
    assert "Responde *sí*" in told and "anticipo" not in told  # no deposit: nothing to add
    replies = whatsapp.send(client.phone_number, yes)
    assert replies == [
        f"¡Listo! Quedó agendado para el martes 5 de marzo a las 10:00 con {offer.therapist}."
    ], replies
    [appointment] = _appointments(client)
    assert appointment.status == AppointmentStatus.CONFIRMED
    assert appointment.start == at(TUESDAY, 10)
    assert WaitlistEntry.objects.get(client=client).status == "BOOKED"
    offer.refresh_from_db()
    assert offer.status == "ACCEPTED" and offer.appointment == appointment
    # Answered: the next "sí" is not about the offer any more (no second booking).
    whatsapp.send(client.phone_number, "sí")
    assert len(_appointments(client)) == 1


def test_a_no_passes_the_offer_to_the_next_client_who_takes_it(
    spa: Any, whatsapp: Any, no_gemini: Any, django_capture_on_commit_callbacks: Any
) -> None:
    first, second = _waiting(2)
    offer = _free_tuesday_10(django_capture_on_commit_callbacks)
    assert (_told(first), _told(second)) == (1, 0)
    replies = whatsapp.send(first.phone_number, "No, gracias")
    assert replies == [
        "Listo, dejamos pasar ese cupo. Sigues en la lista de espera: te avisaremos si se "
        "libera otro."
    ]
    assert _told(second) == 1  # at once, not when the first one's time runs out
    assert WaitlistEntry.objects.get(client=first).status == "WAITING"
    replies = whatsapp.send(second.phone_number, "si, lo tomo")
    assert replies[0].startswith("¡Listo! Quedó agendado"), replies
    assert [a.start for a in _appointments(second)] == [offer.start]
    assert _appointments(first) == []


def test_a_yes_after_someone_else_took_it_or_it_closed_is_told_so(
    spa: Any,
    whatsapp: Any,
    no_gemini: Any,
    clock: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    first, second = _waiting(2)
    _free_tuesday_10(django_capture_on_commit_callbacks)
    clock.move_to(NOW + timedelta(minutes=16))
    with django_capture_on_commit_callbacks(execute=True):
        assert waitlist.cascade()["cascaded"] == 1
    assert whatsapp.send(second.phone_number, "sí")[0].startswith("¡Listo!")
    taken = whatsapp.send(first.phone_number, "sí")
    assert taken == [
        "Otra persona de la lista de espera ya tomó este horario. Seguirás en la lista y te "
        "avisaremos si se libera otro."
    ]
    assert _appointments(first) == []
    # Another slot nobody takes in time: it closes, and a late "dale" hears that.
    [late] = _waiting(1)
    with django_capture_on_commit_callbacks(execute=True):
        other = staff_book(at(TUESDAY, 15))
        WaitlistEntry.objects.filter(client=late).update(time_from=time(15), time_to=time(15, 10))
        services.cancel_appointment(actor=other.client, appointment=other)
    assert _told(late) == 1
    clock.move_to(NOW + timedelta(minutes=40))
    assert waitlist.cascade()["closed"] >= 1
    assert whatsapp.send(late.phone_number, "dale") == [
        "Esta oferta ya no está disponible: se venció el tiempo para aceptarla."
    ]


def test_the_deposit_rules_apply_and_the_reply_carries_the_payment_link(
    spa: Any,
    whatsapp: Any,
    no_gemini: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    [client] = _waiting(1, service="MASAJE-DEP")
    _free_tuesday_10(django_capture_on_commit_callbacks, service="MASAJE-DEP")
    # The message the "sí" answers says what taking it asks (informed consent).
    told = Notification.objects.get(template="booking_waitlist_offer").body
    assert "Para apartarlo se paga un anticipo del 30%: te enviaremos el enlace de pago." in told
    replies = whatsapp.send(client.phone_number, "sí")
    [appointment] = _appointments(client)
    assert appointment.status == AppointmentStatus.PENDING_PAYMENT
    assert appointment.deposit_cents == 6_000_000 and appointment.checkout  # a Wompi checkout
    text = "\n".join(replies)
    assert "paga el anticipo de $ 60.000 aquí: http://testserver/api/assistant/l/" in text, text
    assert "Te guardamos el espacio hasta las" in text


def test_a_proposal_made_after_the_offer_is_what_si_confirms(
    spa: Any, whatsapp: Any, no_gemini: Any, clock: Any, django_capture_on_commit_callbacks: Any
) -> None:
    [client] = _waiting(1)
    offer = _free_tuesday_10(django_capture_on_commit_callbacks)
    clock.move_to(NOW + timedelta(minutes=1))
    whatsapp.send(client.phone_number, "hola")
    conversation = Conversation.objects.get(phone=client.phone_number)
    Proposal.objects.create(  # e.g. "¿Confirmas que cancelas tu cita…?" asked just now
        conversation=conversation,
        tool_name="my_appointments",
        args={},
        summary="¿Confirmas?",
        expires_at=NOW + timedelta(minutes=10),
    )
    conversation.state = Conversation.State.AWAITING_CONFIRMATION
    conversation.save()
    whatsapp.send(client.phone_number, "sí")
    assert _appointments(client) == []  # the "sí" went to the newer proposal
    assert Proposal.objects.get().status != Proposal.Status.PENDING
    # An older proposal is superseded by the offer, which the next "sí" answers.
    Proposal.objects.filter(pk=Proposal.objects.get().pk).update(
        status=Proposal.Status.PENDING, created_at=offer.created_at - timedelta(minutes=1)
    )
    whatsapp.send(client.phone_number, "sí")
    assert len(_appointments(client)) == 1
    assert Proposal.objects.get().status == Proposal.Status.SUPERSEDED


def test_with_gemini_on_the_answer_never_reaches_the_model(
    spa: Any, whatsapp: Any, fake_gemini: Any, django_capture_on_commit_callbacks: Any
) -> None:
    [client] = _waiting(1)
    _free_tuesday_10(django_capture_on_commit_callbacks)
    assert whatsapp.send(client.phone_number, "sí")[0].startswith("¡Listo!")
    assert fake_gemini.requests == []
    assert len(_appointments(client)) == 1


def _card_guarantee_service(spa: Any) -> str:
    from modules.booking.models import Guarantee, Service

    service = Service.objects.create(
        code="MASAJE-GARANTIA",
        name="Masaje con tarjeta en garantía",
        category=spa.category,
        duration_minutes=60,
        price_cents=20_000_000,
        guarantee=Guarantee.CARD,
        no_show_fee_percent=50,
        late_cancel_fee_cents=4_000_000,
        late_cancel_hours=24,
    )
    service.therapists.add(spa.ana, spa.beto)
    return service.code


def test_a_card_guarantee_offer_states_its_policy_before_the_si_that_takes_it(
    spa: Any,
    whatsapp: Any,
    no_gemini: Any,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Any,
) -> None:
    """The offer message does not state the fees, so a bare "sí" is not consent: it gets
    the proposal that states them (or why it cannot be: no saved card), nothing booked."""
    from modules.payments import public as payments

    code = _card_guarantee_service(spa)
    without_card, with_card = _waiting(2, service=code, therapist=spa.ana)
    # Any time freed that day makes offers (a massage's cancellation frees 10:00).
    offer = _free_tuesday_10(django_capture_on_commit_callbacks)
    assert offer.service.code == code
    [refused] = whatsapp.send(without_card.phone_number, "sí")
    assert refused.startswith("Este servicio necesita una tarjeta guardada"), refused
    assert not Proposal.objects.exists() and _appointments(without_card) == []
    # "no" needs no terms: it declines at once and the offer goes to the next client.
    whatsapp.send(without_card.phone_number, "no gracias")
    assert _told(with_card) == 1
    monkeypatch.setattr(payments, "saved_card_of", lambda *, user_id: object())
    [proposal] = whatsapp.send(with_card.phone_number, "Sí, lo quiero")
    assert proposal.startswith("¿Confirmas que tomas el cupo del martes 5 de marzo a las 10:00")
    assert "Si no asistes, se cobrarán" in proposal and "Al confirmar aceptas" in proposal
    assert "¿Confirmas? Responde *sí* o *no*." in proposal
    pending = Proposal.objects.get(status=Proposal.Status.PENDING)
    assert (pending.tool_name, pending.args) == (
        "accept_waitlist_offer",
        {"offer_id": str(offer.public_id)},
    )
    assert _appointments(with_card) == []  # the next "sí" confirms it (fees' tests book it)


def test_without_an_offer_si_and_no_keep_their_usual_meaning(
    spa: Any, whatsapp: Any, no_gemini: Any
) -> None:
    client = UserFactory(roles=["client"])
    replies = whatsapp.send(client.phone_number, "sí")
    assert replies and not replies[0].startswith("¡Listo!")
    assert _appointments(client) == []


# --- PostgreSQL: real threads ---------------------------------------------------------------
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_clients_say_si_to_the_same_slot_at_once(
    monkeypatch: pytest.MonkeyPatch, clock: Any, settings: Any
) -> None:
    """Both were told about the slot (the first, then the second after the cascade); their
    "sí" messages are processed at the same moment by two workers: one appointment, and
    the other client is told, in Spanish, that someone else took it."""
    from modules.assistant import inbound, processing
    from tests.modules.assistant.conftest import twilio_params
    from tests.modules.booking.test_concurrency import _race

    settings.GEMINI_API_KEY = ""  # keyword mode: the answer never needs the model
    monkeypatch.setattr("modules.assistant.toolbox.assistant_tools", assistant_tools)
    build_spa()
    first, second = _waiting(2)
    taken = staff_book(at(TUESDAY, 10))
    services.cancel_appointment(actor=taken.client, appointment=taken)  # commits: offer
    offer = WaitlistOffer.objects.get(status="OPEN")
    clock.move_to(NOW + timedelta(minutes=16))
    assert waitlist.cascade()["cascaded"] == 1  # both invited now
    # Stored as the webhook stores them; processed below by two "workers" at once.
    monkeypatch.setattr(inbound, "_enqueue", lambda message_id: None)
    messages = [
        inbound.receive_inbound(twilio_params(u.phone_number, "sí", sid=f"SMrace{i:028d}"))
        for i, u in enumerate((first, second))
    ]
    _race(2, lambda i: processing.process_message(str(messages[i].public_id)))

    booked = [u for u in (first, second) if _appointments(u)]
    assert len(booked) == 1, [_appointments(u) for u in (first, second)]
    [winner] = booked
    loser = second if winner == first else first
    offer.refresh_from_db()
    assert offer.status == "ACCEPTED" and offer.appointment.client == winner
    holders = Appointment.objects.filter(start=at(TUESDAY, 10)).exclude(
        status=AppointmentStatus.CANCELLED
    )
    assert [a.client for a in holders] == [winner]

    def last_reply(user: Any) -> str:
        from modules.assistant.models import Message

        return (
            Message.objects.filter(
                conversation__phone=user.phone_number, direction=Message.Direction.OUTBOUND
            )
            .latest("created_at", "id")
            .body
        )

    assert last_reply(winner).startswith("¡Listo! Quedó agendado")
    assert last_reply(loser).startswith("Otra persona de la lista de espera ya tomó este horario")
