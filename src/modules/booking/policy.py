"""Guarantee policies (docs/booking.md "Guarantee policies"): what a service asks to hold a
slot — nothing, a deposit, or a card on file charged a fee on a no-show or a late
cancellation — the Spanish text a client reads before booking, and the consent a
card-guarantee booking stores with its appointment."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from modules.booking.models import Appointment, Guarantee, GuaranteeConsent, Service
from modules.payments import public as payments
from platform_core.errors import ValidationFailed
from platform_core.money import format_cop


@dataclass(frozen=True)
class PolicyTerms:
    """A service's policy applied to one price (the list price, or the client's VIP price)."""

    policy: str  # none | deposit | card
    requires_card: bool
    deposit_cents: int
    no_show_fee_cents: int
    no_show_fee_percent: int  # 0 when the fee is fixed
    late_cancel_fee_cents: int
    late_cancel_fee_percent: int
    late_cancel_hours: int
    text: str


def percent_of(price_cents: int, percent: int) -> int:
    """Integer percentage, rounded half up (no floats where money flows)."""
    return (price_cents * percent + 50) // 100


def late_cancel_hours(service: Service) -> int:
    """Hours before the start from which cancelling costs the deposit or the fee."""
    return service.late_cancel_hours or settings.CANCELLATION_WINDOW_HOURS


def _fee(price_cents: int, fixed: int, percent: int) -> int:
    return fixed if fixed else percent_of(price_cents, percent)


def _amount(cents: int, percent: int) -> str:
    if percent:
        return _("%(amount)s (el %(p)s %% del precio)") % {
            "amount": format_cop(cents),
            "p": percent,
        }
    return format_cop(cents)


def terms(service: Service, price_cents: int | None = None) -> PolicyTerms:
    """The policy of ``service`` for a booking at ``price_cents`` (default: list price)."""
    price = service.price_cents if price_cents is None else price_cents
    hours = late_cancel_hours(service)
    deposit = percent_of(price, service.deposit_percent)
    no_show = _fee(price, service.no_show_fee_cents, service.no_show_fee_percent)
    late = _fee(price, service.late_cancel_fee_cents, service.late_cancel_fee_percent)
    if service.guarantee == Guarantee.CARD:
        parts = [
            _(
                "Para reservar necesitas una tarjeta guardada como garantía; al reservar no "
                "se cobra nada."
            )
        ]
        if no_show:
            parts.append(
                _("Si no asistes, se cobrarán %(fee)s a tu tarjeta.")
                % {"fee": _amount(no_show, service.no_show_fee_percent)}
            )
        if late:
            parts.append(
                _(
                    "Si cancelas con menos de %(h)s horas de anticipación, se cobrarán "
                    "%(fee)s a tu tarjeta; antes no tiene costo."
                )
                % {"h": hours, "fee": _amount(late, service.late_cancel_fee_percent)}
            )
        else:
            parts.append(_("Cancelar no tiene costo."))
        text = " ".join(parts)
    elif service.guarantee == Guarantee.DEPOSIT:
        text = _(
            "Para apartar la cita se paga un anticipo de %(amount)s. Si cancelas con al "
            "menos %(h)s horas de anticipación te lo devolvemos; si cancelas después o no "
            "asistes, el spa lo conserva."
        ) % {"amount": _amount(deposit, service.deposit_percent), "h": hours}
        no_show = late = 0
    else:
        text = _("Este servicio no pide anticipo ni tarjeta en garantía.")
        no_show = late = 0
    card = service.guarantee == Guarantee.CARD
    return PolicyTerms(
        policy=service.guarantee,
        requires_card=card,
        deposit_cents=deposit,
        no_show_fee_cents=no_show,
        no_show_fee_percent=service.no_show_fee_percent if card else 0,
        late_cancel_fee_cents=late,
        late_cancel_fee_percent=service.late_cancel_fee_percent if card else 0,
        late_cancel_hours=hours,
        text=text,
    )


# --- consent at booking ------------------------------------------------------------------------
def card_required_error() -> ValidationFailed:
    return ValidationFailed(
        _(
            "Este servicio necesita una tarjeta guardada como garantía. Guárdala primero "
            "(en la app: Perfil › Tarjeta guardada; API: PUT /api/finances/cards/mine/) y "
            "vuelve a reservar."
        ),
        code="card_required",
    )


def require_consent(
    service: Service, *, client_id: int, price_cents: int, accepted: bool
) -> tuple[PolicyTerms, payments.SavedCardDTO] | None:
    """Before booking a card-guarantee service (no lock held): the client has a card on
    file and accepted the policy, else a 422 saying what to do. None for other policies."""
    if service.guarantee != Guarantee.CARD:
        return None
    card = payments.saved_card_of(user_id=client_id)
    if card is None:
        raise card_required_error()
    policy = terms(service, price_cents)
    if not accepted:
        raise ValidationFailed(
            _(
                "Para reservar este servicio debes aceptar su política de garantía "
                "(accept_policy: true): %(text)s"
            )
            % {"text": policy.text},
            code="policy_not_accepted",
            details={"policy": policy.text},
        )
    return policy, card


def record_consent(
    appointment: Appointment,
    policy: PolicyTerms,
    card: payments.SavedCardDTO,
    *,
    via: str,
    recorded_by: Any = None,
) -> GuaranteeConsent:
    """Store what the client accepted with the appointment (in the booking transaction)."""
    consent = GuaranteeConsent.objects.create(
        appointment=appointment,
        policy_text=policy.text,
        no_show_fee_cents=policy.no_show_fee_cents,
        late_cancel_fee_cents=policy.late_cancel_fee_cents,
        late_cancel_hours=policy.late_cancel_hours,
        card_id=card.id,
        card_label=f"{card.brand} ····{card.last_four}"[:40],
        via=via,
        recorded_by_id=getattr(recorded_by, "id", None),
        accepted_at=timezone.now(),
    )
    _CONSENT.set_cached_value(appointment, consent)  # consent_of needs no query after
    return consent


# The appointment's side of the one-to-one: a value cached on an appointment by
# select_related("guarantee"), record_consent or no_consent (None: it has none).
_CONSENT = Appointment.guarantee.related


def no_consent(appointment: Appointment) -> None:
    """A booking just made without a card guarantee: it has no consent (so
    ``consent_of`` answers without a query)."""
    _CONSENT.set_cached_value(appointment, None)


def consent_of(appointment: Appointment) -> GuaranteeConsent | None:
    if _CONSENT.is_cached(appointment):
        return _CONSENT.get_cached_value(appointment)
    return GuaranteeConsent.objects.filter(appointment_id=appointment.pk).first()


def consent_out(consent: GuaranteeConsent | None) -> dict[str, Any] | None:
    if consent is None:
        return None
    return {
        "policy_text": consent.policy_text,
        "no_show_fee_cents": consent.no_show_fee_cents,
        "late_cancel_fee_cents": consent.late_cancel_fee_cents,
        "late_cancel_hours": consent.late_cancel_hours,
        "card": consent.card_label,
        "via": consent.via,
        "accepted_at": consent.accepted_at,
    }


def window_hours(appointment: Appointment, consent: GuaranteeConsent | None) -> int:
    """The late window of a booked appointment: the one the client accepted, else the
    service's."""
    return consent.late_cancel_hours if consent else late_cancel_hours(appointment.service)
