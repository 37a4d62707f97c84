"""Tools the WhatsApp assistant may call. They act only for ctx.user."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from modules.booking import policy, selectors, services, waitlist
from modules.booking.errors import OfferNotFound
from modules.booking.messaging import spanish_datetime
from modules.booking.models import ACTIVE_STATUSES, AppointmentStatus, Guarantee
from modules.payments import public as payments
from platform_core.errors import DomainError
from platform_core.money import format_cop
from platform_core.plugins import AssistantQuestion, AssistantTool, ToolContext

PARTS_OF_DAY = {"morning": (0, 12), "afternoon": (12, 17), "evening": (17, 24)}
MAX_SLOTS = 20


def _error(exc: DomainError) -> dict[str, Any]:
    return {"ok": False, "error": exc.code, "message": exc.message}


def list_services(ctx: ToolContext) -> dict[str, Any]:
    qs = selectors.services().prefetch_related("therapists")[:50]
    return {
        "ok": True,
        "services": [
            {
                "code": s.code,
                "name": s.name,
                "duration_minutes": s.duration_minutes,
                # Processing time: the client stays in the room while the product acts.
                "phases": [{"kind": k, "minutes": m} for k, m in s.phases()],
                "price_cents": s.price_cents,
                "vip_price_cents": s.vip_price_cents,
                "deposit_percent": s.deposit_percent,
                # What holding the slot costs (deposit, or a card guarantee's fees), in
                # Spanish: said before the client confirms.
                "guarantee": policy.terms(s).text,
                "category": s.category.name if s.category else "",
                # Who performs it: lets the assistant recognise "con Tatiana".
                "therapists": [
                    {"id": str(t.public_id), "name": t.display_name}
                    for t in s.therapists.all()
                    if t.is_active
                ],
            }
            for s in qs
        ],
    }


def find_slots(
    ctx: ToolContext,
    service_code: str,
    date_from: str,
    date_to: str,
    part_of_day: str | None = None,
    therapist_id: str | None = None,
) -> dict[str, Any]:
    try:
        start_day, end_day = date.fromisoformat(date_from), date.fromisoformat(date_to)
        result = selectors.availability_for(
            service_code=service_code,
            date_from=start_day,
            date_to=end_day,
            therapist=therapist_id or None,
        )
    except ValueError:
        return {"ok": False, "error": "invalid_date", "message": _("Fecha no válida.")}
    except DomainError as exc:
        return _error(exc)
    hours = PARTS_OF_DAY.get(part_of_day or "", (0, 24))
    names = {t["id"]: t["name"] for t in result["therapists"]}
    # Free starts per day and part of the day over the whole range (the slot list below is
    # capped): lets a client narrow by day, then part of the day, then time.
    days: dict[str, dict[str, int]] = {}
    for slot in result["slots"]:
        start = slot["start"]
        part = next(p for p, (lo, hi) in PARTS_OF_DAY.items() if lo <= start.hour < hi)
        counts = days.setdefault(start.date().isoformat(), dict.fromkeys(PARTS_OF_DAY, 0))
        counts[part] += 1
    slots = [
        {
            "start": slot["start"].isoformat(),
            "label": spanish_datetime(slot["start"]),
            "therapists": [{"id": t, "name": names[t]} for t in slot["therapists"]],
        }
        for slot in result["slots"]
        if hours[0] <= slot["start"].hour < hours[1]
    ]
    return {
        "ok": True,
        "service": result["service"],
        "slots": slots[:MAX_SLOTS],
        "total": len(slots),
        "days": [{"date": day, **counts} for day, counts in sorted(days.items())],
    }


def _parse_start(start: str) -> datetime:
    moment = datetime.fromisoformat(start)
    if moment.tzinfo is None:
        raise ValueError("start needs an offset")
    return moment


def _tender_offers(tenders: Any) -> list[payments.TenderOffer]:
    """The model's ``tenders`` argument as offers; ValueError unless a list of at most 3
    {kind, code} string pairs."""
    if tenders is None:
        return []
    if not isinstance(tenders, list) or len(tenders) > 3:
        raise ValueError("tenders")
    offers = []
    for item in tenders:
        if not isinstance(item, dict) or not all(
            isinstance(item.get(key), str) and item.get(key) for key in ("kind", "code")
        ):
            raise ValueError("tenders")
        offers.append(payments.TenderOffer(kind=item["kind"], code=item["code"]))
    return offers


def propose_booking(
    ctx: ToolContext,
    service_code: str,
    start: str,
    therapist_id: str | None = None,
    tenders: Any = None,
) -> str:
    try:
        service = services.get_active_service(service_code)
        when = spanish_datetime(_parse_start(start))
    except (DomainError, ValueError):
        return _("No pude entender la reserva. ¿Me confirmas el servicio y la hora?")
    price = format_cop(service.price_cents)
    text = _("¿Confirmas tu cita de %(service)s el %(when)s (valor %(price)s)?") % {
        "service": service.name,
        "when": when,
        "price": price,
    }
    if service.has_processing:
        text += " " + _(
            "Dura %(total)s minutos, con %(rest)s de reposo mientras el producto actúa."
        ) % {"total": service.duration_minutes, "rest": service.processing_minutes}
    try:
        offers = _tender_offers(tenders)
    except ValueError:
        return _("No pude entender con qué bono o crédito pagas. ¿Me lo repites?")
    if offers:
        text += " " + _(
            "Pagarás primero con tu bono o crédito; si no alcanza, te enviamos el enlace "
            "de pago por el resto."
        )
    elif service.deposit_percent:
        text += " " + _("Para apartarla se paga un anticipo del %(p)s%%.") % {
            "p": service.deposit_percent
        }
    return text + _card_policy(ctx, service)


def _card_policy(ctx: ToolContext, service: Any) -> str:
    """What a proposal for a card-guarantee service ends with: its policy (the client's
    "sí" to it is the consent stored with the appointment). Without a saved card there is
    nothing to consent to yet: raises ``card_required`` (how to save one) instead."""
    if service.guarantee != Guarantee.CARD:
        return ""
    if ctx.user is None or payments.saved_card_of(user_id=ctx.user.id) is None:
        raise policy.card_required_error()
    return f" {policy.terms(service).text} " + _("Al confirmar aceptas esta política.")


def book_appointment(
    ctx: ToolContext,
    service_code: str,
    start: str,
    therapist_id: str | None = None,
    tenders: Any = None,
) -> dict[str, Any]:
    if not ctx.confirmed or ctx.user is None:
        return {"ok": False, "error": "confirmation_required"}
    try:
        offers = _tender_offers(tenders)
    except ValueError:
        return {
            "ok": False,
            "error": "invalid_tenders",
            "message": _("No pude entender con qué bono o crédito pagas."),
        }
    try:
        outcome = services.book_appointment(
            actor=ctx.user,
            client=ctx.user,
            service_code=service_code,
            start=_parse_start(start),
            therapist_public_id=therapist_id or None,
            # Confirmed with "sí" to propose_booking's text, which states the policy.
            accept_policy=True,
            consent_via="assistant",
            tenders=offers,
        )
    except ValueError:
        return {"ok": False, "error": "invalid_start", "message": _("Hora no válida.")}
    except DomainError as exc:
        return _error(exc)
    return _booked(outcome)


def _free_change(appt: Any) -> bool:
    """Still outside the cancellation window: cancelling refunds, moving is allowed."""
    window = timedelta(hours=settings.CANCELLATION_WINDOW_HOURS)
    return appt.start - window >= timezone.now()


def my_appointments(ctx: ToolContext) -> dict[str, Any]:
    if ctx.user is None:
        return {"ok": False, "error": "not_authenticated"}
    qs = selectors.my_appointments(ctx.user, upcoming=True)
    items = []
    for a in qs[:20]:
        item = {
            "id": str(a.public_id),
            "service": a.service.name,
            "service_code": a.service.code,
            "start": timezone.localtime(a.start).isoformat(),
            "when": spanish_datetime(a.start),
            "status": a.status,
            "status_display": a.get_status_display(),
            "therapist": a.therapist.display_name,
            "active": a.status in ACTIVE_STATUSES,
            "free_change": _free_change(a),
            "deposit_paid_cents": a.deposit_paid_cents,
        }
        if a.status == AppointmentStatus.PENDING_PAYMENT and (a.checkout or {}).get("checkout_url"):
            item["payment_url"] = a.checkout["checkout_url"]
        items.append(item)
    return {"ok": True, "appointments": items}


def _own(ctx: ToolContext, appointment_id: str) -> Any:
    appt = selectors.appointment_for(ctx.user, appointment_id)
    if appt.client_id != ctx.user.id:
        raise selectors.AppointmentNotFound()
    return appt


def propose_cancel(ctx: ToolContext, appointment_id: str) -> str:
    try:
        appt = _own(ctx, appointment_id)
    except DomainError:
        return _("No encontré esa cita.")
    text = _("¿Confirmas que quieres cancelar tu cita de %(service)s del %(when)s?") % {
        "service": appt.service.name,
        "when": spanish_datetime(appt.start),
    }
    consent = policy.consent_of(appt)
    hours = policy.window_hours(appt, consent)
    paid = format_cop(appt.deposit_paid_cents)
    # The policy's consequence, stated before the client says "sí".
    late = appt.start - timedelta(hours=hours) < timezone.now()
    if late and consent is not None and consent.late_cancel_fee_cents:
        text += " " + _(
            "Faltan menos de %(h)s horas: según la política que aceptaste, se cobrarán "
            "%(fee)s a tu tarjeta %(card)s."
        ) % {
            "h": hours,
            "fee": format_cop(consent.late_cancel_fee_cents),
            "card": consent.card_label,
        }
    elif _free_change(appt):
        text += " " + (
            _("Cancelas con más de %(h)s horas de anticipación: no tiene costo") % {"h": hours}
            + (
                _(" y te devolvemos el anticipo de %(paid)s.") % {"paid": paid}
                if appt.deposit_paid_cents
                else "."
            )
        )
    elif appt.deposit_paid_cents:
        text += " " + _(
            "Faltan menos de %(h)s horas, así que el anticipo de %(paid)s no se reembolsa."
        ) % {"h": hours, "paid": paid}
    else:
        text += " " + _("Faltan menos de %(h)s horas para la cita.") % {"h": hours}
    return text


def cancel_appointment(ctx: ToolContext, appointment_id: str) -> dict[str, Any]:
    if not ctx.confirmed or ctx.user is None:
        return {"ok": False, "error": "confirmation_required"}
    try:
        outcome = services.cancel_appointment(
            actor=ctx.user, appointment=_own(ctx, appointment_id), reason="assistant"
        )
    except DomainError as exc:
        return _error(exc)
    return {
        "ok": True,
        "status": outcome.appointment.status,
        "refund_requested": outcome.refund_requested,
        "deposit_kept_cents": outcome.deposit_kept_cents,
        "fee_cents": outcome.fee_cents,
    }


def propose_reschedule(
    ctx: ToolContext, appointment_id: str, start: str, therapist_id: str | None = None
) -> str:
    try:
        appt = _own(ctx, appointment_id)
        when = spanish_datetime(_parse_start(start))
    except (DomainError, ValueError):
        return _("No encontré esa cita.")
    text = _("¿Confirmas que movemos tu cita de %(service)s del %(old)s al %(new)s?") % {
        "service": appt.service.name,
        "old": spanish_datetime(appt.start),
        "new": when,
    }
    if _free_change(appt):
        text += " " + _("El cambio no tiene costo y tu anticipo se conserva.")
    else:
        text += " " + _("Faltan menos de %(h)s horas: ya no se puede reprogramar por aquí.") % {
            "h": settings.CANCELLATION_WINDOW_HOURS
        }
    return text


def reschedule_appointment(
    ctx: ToolContext, appointment_id: str, start: str, therapist_id: str | None = None
) -> dict[str, Any]:
    if not ctx.confirmed or ctx.user is None:
        return {"ok": False, "error": "confirmation_required"}
    try:
        appt = services.reschedule_appointment(
            actor=ctx.user,
            appointment=_own(ctx, appointment_id),
            start=_parse_start(start),
            therapist_public_id=therapist_id or None,
        )
    except ValueError:
        return {"ok": False, "error": "invalid_start", "message": _("Hora no válida.")}
    except DomainError as exc:
        return _error(exc)
    return {
        "ok": True,
        "appointment_id": str(appt.public_id),
        "when": spanish_datetime(appt.start),
        "message": _("¡Listo! Tu cita quedó para el %(when)s con %(who)s.")
        % {"when": spanish_datetime(appt.start), "who": appt.therapist.display_name},
    }


def opening_hours(ctx: ToolContext) -> dict[str, Any]:
    """The spa's real hours: a weekday counts only if it opens and someone works then."""
    return {"ok": True, **selectors.bookable_week()}


# --- the waitlist -------------------------------------------------------------------------------
def join_waitlist(
    ctx: ToolContext,
    service_code: str,
    date_from: str,
    date_to: str,
    therapist_id: str | None = None,
    part_of_day: str | None = None,
) -> dict[str, Any]:
    """When nothing is free: wait for a slot; the spa offers it by WhatsApp when it frees."""
    if ctx.user is None:
        return {"ok": False, "error": "not_authenticated"}
    hours = PARTS_OF_DAY.get(part_of_day or "")
    try:
        entry = waitlist.join(
            client=ctx.user,
            service_code=service_code,
            date_from=date.fromisoformat(date_from),
            date_to=date.fromisoformat(date_to),
            therapist_public_id=therapist_id or None,
            time_from=time(hours[0]) if hours else None,
            time_to=time(min(hours[1], 23), 59 if hours[1] >= 24 else 0) if hours else None,
        )
    except ValueError:
        return {"ok": False, "error": "invalid_date", "message": _("Fecha no válida.")}
    except DomainError as exc:
        return _error(exc)
    return {"ok": True, "waitlist_id": str(entry.public_id), "service": entry.service.name}


def my_waitlist(ctx: ToolContext) -> dict[str, Any]:
    """The user's waitlist entries and the open offer each holds (accept it with
    accept_waitlist_offer)."""
    if ctx.user is None:
        return {"ok": False, "error": "not_authenticated"}
    entries = list(waitlist.entries_of(ctx.user).filter(status="WAITING")[:10])
    offers = waitlist.open_offers_for(entries)
    return {
        "ok": True,
        "entries": [
            {
                "id": str(e.public_id),
                "service": e.service.name,
                "from": e.date_from.isoformat(),
                "to": e.date_to.isoformat(),
                "offer": (
                    {
                        "offer_id": offers[e.pk].id,
                        "when": spanish_datetime(offers[e.pk].start),
                        "therapist": offers[e.pk].therapist,
                    }
                    if e.pk in offers
                    else None
                ),
            }
            for e in entries
        ],
    }


def propose_accept_offer(ctx: ToolContext, offer_id: str) -> str:
    """Raises what accepting would (taken, expired, no saved card for a card guarantee),
    so no proposal is made that could only fail."""
    if ctx.user is None:
        raise OfferNotFound()
    offer = waitlist.acceptable(client=ctx.user, offer_public_id=offer_id)
    text = _("¿Confirmas que tomas el cupo del %(when)s con %(therapist)s?") % {
        "when": spanish_datetime(offer.start),
        "therapist": offer.therapist.display_name,
    }
    return text + _card_policy(ctx, offer.service)


def _booked(outcome: Any) -> dict[str, Any]:
    """What the assistant says about an appointment just booked (directly or from a
    waitlist offer): when, with whom, and the deposit link while one is due."""
    appt = outcome.appointment
    data: dict[str, Any] = {
        "ok": True,
        "appointment_id": str(appt.public_id),
        "status": appt.status,
        "when": spanish_datetime(appt.start),
        "therapist": appt.therapist.display_name,
    }
    if outcome.checkout is not None and outcome.checkout.tendered_cents:
        data["paid_with_tenders_cents"] = outcome.checkout.tendered_cents
    if outcome.checkout is not None and not outcome.checkout.settled:
        data["payment_url"] = outcome.checkout.checkout_url
        data["deposit_cents"] = appt.deposit_cents
        if appt.hold_expires_at is not None:
            data["hold_expires_at"] = appt.hold_expires_at.isoformat()
    return data


def accept_waitlist_offer(ctx: ToolContext, offer_id: str) -> dict[str, Any]:
    if not ctx.confirmed or ctx.user is None:
        return {"ok": False, "error": "confirmation_required"}
    try:
        # Confirmed with "sí" to propose_accept_offer's text, which states the policy.
        outcome = waitlist.accept(client=ctx.user, offer_public_id=offer_id, accept_policy=True)
    except DomainError as exc:
        return _error(exc)
    return _booked(outcome)


def propose_decline_offer(ctx: ToolContext, offer_id: str) -> str:
    return _("¿Confirmas que dejas pasar el cupo que te ofrecimos? Seguirás en la lista de espera.")


def decline_waitlist_offer(ctx: ToolContext, offer_id: str) -> dict[str, Any]:
    if not ctx.confirmed or ctx.user is None:
        return {"ok": False, "error": "confirmation_required"}
    try:
        waitlist.decline(client=ctx.user, offer_public_id=offer_id)
    except DomainError as exc:
        return _error(exc)
    return {
        "ok": True,
        "message": _(
            "Listo, dejamos pasar ese cupo. Sigues en la lista de espera: te avisaremos si "
            "se libera otro."
        ),
    }


def offer_question(ctx: ToolContext) -> AssistantQuestion | None:
    """The waitlist offer the writer's next "sí"/"no" answers (booking's plugin declares
    it as its assistant question): accepted or declined through the two tools below."""
    if ctx.user is None:
        return None
    question = waitlist.open_question(ctx.user)
    if question is None:
        return None
    service = waitlist.offer_service(question.offer_id)
    return AssistantQuestion(
        key=f"booking.waitlist_offer:{question.offer_id}",
        asked_at=question.asked_at,
        yes_tool="accept_waitlist_offer",
        no_tool="decline_waitlist_offer",
        args={"offer_id": question.offer_id},
        # The offer message does not state a card guarantee's fees, so a bare "sí" to it
        # cannot be the client's consent: it gets accept_waitlist_offer's proposal (which
        # states the policy) and a second "sí" takes the slot. "no" still declines at once.
        propose_yes=service is not None and service.guarantee == Guarantee.CARD,
    )


def get_tools() -> list[AssistantTool]:
    date_str = {"type": "string", "description": "Fecha AAAA-MM-DD"}
    slot = {  # a start time and (optionally) who: booking and rescheduling take the same
        "start": {"type": "string", "description": "ISO-8601 con zona horaria"},
        "therapist_id": {"type": "string"},
    }
    return [
        AssistantTool(
            name="list_services",
            description="Lista los servicios del spa con duración y precio (centavos COP).",
            parameters={"type": "object", "properties": {}},
            handler=list_services,
            requires_user=False,
        ),
        AssistantTool(
            name="find_slots",
            description="Busca horas disponibles para un servicio entre dos fechas (máx. 31 días).",
            parameters={
                "type": "object",
                "properties": {
                    "service_code": {"type": "string"},
                    "date_from": date_str,
                    "date_to": date_str,
                    "part_of_day": {"type": "string", "enum": list(PARTS_OF_DAY)},
                    "therapist_id": {"type": "string"},
                },
                "required": ["service_code", "date_from", "date_to"],
            },
            handler=find_slots,
            requires_user=False,
        ),
        AssistantTool(
            name="book_appointment",
            description="Reserva una cita para el usuario (requiere confirmación explícita).",
            parameters={
                "type": "object",
                "properties": {
                    "service_code": {"type": "string"},
                    **slot,
                    "tenders": {
                        "type": "array",
                        "maxItems": 3,
                        "description": (
                            "Bonos o créditos con que el usuario paga (p. ej. un crédito de "
                            "my_packages: kind y code tal como los da esa herramienta)."
                        ),
                        "items": {
                            "type": "object",
                            "properties": {"kind": {"type": "string"}, "code": {"type": "string"}},
                            "required": ["kind", "code"],
                        },
                    },
                },
                "required": ["service_code", "start"],
            },
            handler=book_appointment,
            needs_confirmation=True,
            propose=propose_booking,
        ),
        AssistantTool(
            name="my_appointments",
            description="Lista las próximas citas del usuario.",
            parameters={"type": "object", "properties": {}},
            handler=my_appointments,
        ),
        AssistantTool(
            name="cancel_appointment",
            description="Cancela una cita del usuario (requiere confirmación explícita).",
            parameters={
                "type": "object",
                "properties": {"appointment_id": {"type": "string"}},
                "required": ["appointment_id"],
            },
            handler=cancel_appointment,
            needs_confirmation=True,
            propose=propose_cancel,
        ),
        AssistantTool(
            name="reschedule_appointment",
            description=(
                "Mueve una cita del usuario a otra hora libre (usa find_slots primero; requiere "
                "confirmación explícita)."
            ),
            parameters={
                "type": "object",
                "properties": {"appointment_id": {"type": "string"}, **slot},
                "required": ["appointment_id", "start"],
            },
            handler=reschedule_appointment,
            needs_confirmation=True,
            propose=propose_reschedule,
        ),
        AssistantTool(
            name="join_waitlist",
            description=(
                "Anota al usuario en la lista de espera de un servicio entre dos fechas (máx. "
                "31 días) cuando no hay horas libres; se le ofrecerá por WhatsApp un cupo que "
                "se libere."
            ),
            parameters={
                "type": "object",
                "properties": {
                    "service_code": {"type": "string"},
                    "date_from": date_str,
                    "date_to": date_str,
                    "therapist_id": {"type": "string"},
                    "part_of_day": {"type": "string", "enum": list(PARTS_OF_DAY)},
                },
                "required": ["service_code", "date_from", "date_to"],
            },
            handler=join_waitlist,
        ),
        AssistantTool(
            name="my_waitlist",
            description=(
                "Lista las inscripciones del usuario en la lista de espera y el cupo que se le "
                "ofrece ahora (si lo hay)."
            ),
            parameters={"type": "object", "properties": {}},
            handler=my_waitlist,
        ),
        AssistantTool(
            name="accept_waitlist_offer",
            description=(
                "Toma el cupo ofrecido al usuario desde la lista de espera (usa my_waitlist "
                "para el offer_id; requiere confirmación explícita)."
            ),
            parameters={
                "type": "object",
                "properties": {"offer_id": {"type": "string"}},
                "required": ["offer_id"],
            },
            handler=accept_waitlist_offer,
            needs_confirmation=True,
            propose=propose_accept_offer,
        ),
        AssistantTool(
            name="decline_waitlist_offer",
            description=(
                "Deja pasar el cupo ofrecido al usuario desde la lista de espera (sigue en la "
                "lista; requiere confirmación explícita)."
            ),
            parameters={
                "type": "object",
                "properties": {"offer_id": {"type": "string"}},
                "required": ["offer_id"],
            },
            handler=decline_waitlist_offer,
            needs_confirmation=True,
            propose=propose_decline_offer,
        ),
        AssistantTool(
            name="opening_hours",
            description="Horario real del spa por día de la semana y los próximos días cerrados.",
            parameters={"type": "object", "properties": {}},
            handler=opening_hours,
            requires_user=False,
        ),
    ]
