"""No-show and late-cancellation fees charged to the client's card on file (docs/booking.md
"Fees").

Exactly once: a fee is decided under the appointment's row lock (the staff's no-show, the
client's late cancellation, or the beat's sweep of no-shows without one) as an
``AppointmentFee`` row whose unique (appointment, kind) constraint is the idempotency key.
Charging opens one card-on-file attempt under the *fee's* row lock — with a reference
derived from the fee's id and the attempt number, so opening it twice gives the same
payment — and only whoever opened it asks Wompi, after commit, with no lock held. The
outcome comes back through payments' outbox (purpose ``booking.fee``): approved → CHARGED
and a receipt to the client; declined → retried after ``RETRY_DELAYS``, then UNPAID,
listed for staff, who may also waive a fee or refund a charged one (audited).
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from modules.booking.messaging import notify_safely
from modules.booking.models import Appointment, AppointmentFee, GuaranteeConsent
from modules.booking.models import AppointmentStatus as S
from modules.payments import public as payments
from platform_core import audit
from platform_core.errors import Conflict, NotFound, ValidationFailed
from platform_core.money import format_cop
from platform_core.outbox import task_named

logger = logging.getLogger(__name__)

PURPOSE_FEE = "booking.fee"
Kind, Status = AppointmentFee.Kind, AppointmentFee.Status
# After a declined (or failed) attempt, the next one waits this long; after the last,
# the fee is UNPAID and listed for staff: 4 attempts over about 4 days.
RETRY_DELAYS = (timedelta(hours=6), timedelta(hours=24), timedelta(hours=72))
# The beat looks this far back for no-shows that have no fee row yet.
SWEEP_DAYS = 14
REASONS = {Kind.NO_SHOW: "la inasistencia a", Kind.LATE_CANCEL: "la cancelación tardía de"}
# What staff may do to a fee in each state (``waive``/``refund`` below enforce the same sets;
# the desk shows a button only where its action applies).
WAIVABLE = (Status.DUE, Status.UNPAID)
REFUNDABLE = (Status.CHARGED,)
# A failed attempt's final state at Wompi, as staff read it in the fee's last error.
FAILED_STATES = {
    "DECLINED": gettext_lazy("rechazado"),
    "VOIDED": gettext_lazy("anulado"),
    "ERROR": gettext_lazy("error del medio de pago"),
    "EXPIRED": gettext_lazy("vencido"),
}


class FeeNotFound(NotFound):
    code = "fee_not_found"
    default_message = _("No encontramos ese cargo.")


# --- deciding (under the appointment's lock) -----------------------------------------------------
def decide(
    appointment: Appointment,
    kind: str,
    *,
    consent: GuaranteeConsent | None,
    now: datetime,
    charge_after_commit: bool = True,
) -> AppointmentFee | None:
    """Inside the caller's transaction, with the appointment locked: the fee of ``kind``
    the client accepted, decided once (None when the booking carries no such fee). The
    charge is queued after commit; the beat charges it anyway if that never runs."""
    if consent is None:
        return None
    amount = consent.no_show_fee_cents if kind == Kind.NO_SHOW else consent.late_cancel_fee_cents
    if amount <= 0:
        return None
    try:
        with transaction.atomic():
            fee = AppointmentFee.objects.create(
                appointment=appointment,
                kind=kind,
                amount_cents=amount,
                currency=appointment.currency,
                next_try_at=now,
            )
    except IntegrityError:  # decided before: the constraint is the idempotency key
        return AppointmentFee.objects.get(appointment=appointment, kind=kind)
    audit.record(
        "booking.fee_decided",
        target=f"appointment:{appointment.public_id}",
        details={"fee": str(fee.public_id), "kind": kind, "amount_cents": amount},
    )
    if charge_after_commit:
        fee_id = fee.pk
        transaction.on_commit(lambda: _queue_charge(fee_id))
    return fee


def _queue_charge(fee_id: int) -> None:
    try:
        task_named("booking.charge_fee").apply_async(args=[fee_id])
    except Exception:  # noqa: BLE001 - broker down: the beat charges due fees anyway
        logger.warning("could not queue the charge of fee %s; the beat will", fee_id)


# --- charging (the fee's lock, then Wompi with no lock) -------------------------------------------
def attempt_reference(fee: AppointmentFee) -> str:
    """The payment reference of the fee's current attempt: derived from the fee's random
    id and the attempt number, so reopening an attempt finds the same payment."""
    return f"SZF-{fee.public_id.hex[:24].upper()}-{fee.attempts}"


def charge(fee_id: int, *, now: datetime | None = None) -> str:
    """Charge a due fee: open its next attempt under the fee's row lock (a second caller
    finds it CHARGING and stops), then, after commit, ask Wompi. Returns what happened:
    skipped, no_card, sent or failed (the failure comes back as a PaymentFailed)."""
    now = now or timezone.now()
    with transaction.atomic():
        fee = (
            AppointmentFee.objects.select_for_update(of=("self",))
            .select_related("appointment__client", "appointment__service")
            .filter(pk=fee_id)
            .first()
        )
        if fee is None or fee.status != Status.DUE or (fee.next_try_at or now) > now:
            return "skipped"
        appt = fee.appointment
        source = payments.saved_card_source(user_id=appt.client_id)
        if not source:
            _unpaid(fee, _("El cliente no tiene una tarjeta guardada."))
            fee.save()
            return "no_card"
        fee.attempts += 1
        reference = attempt_reference(fee)
        payments.open_source_charge(
            purpose=PURPOSE_FEE,
            ref=str(fee.public_id),
            amount_cents=fee.amount_cents,
            currency=fee.currency,
            user_id=appt.client_id,
            customer_email=payments.payer_email(
                public_id=appt.client.public_id, email=appt.client.email
            ),
            description=f"{fee.get_kind_display()}: {appt.service.name}"[:255],
            reference=reference,
            penalty=True,
        )
        fee.status, fee.payment_reference, fee.next_try_at = Status.CHARGING, reference, None
        fee.save()
    result = payments.send_source_charge(reference=reference, payment_source_id=source)
    if result.sent or (result.retryable and result.maybe_sent):
        # Sent, or the outcome is unknown (a timeout, a 5xx): it arrives by webhook, or
        # reconciliation finds the transaction by reference or expires the attempt.
        return "sent"
    # A definite refusal (4xx), or a request that never left: nothing was charged.
    payments.fail_attempt(payment_reference=reference, message=result.message or "no enviado")
    return "failed"


def _unpaid(fee: AppointmentFee, why: str) -> None:
    fee.status, fee.next_try_at, fee.last_error = Status.UNPAID, None, why[:255]
    audit.record(
        "booking.fee_unpaid",
        target=f"appointment:{fee.appointment.public_id}",
        details={"fee": str(fee.public_id), "attempts": fee.attempts, "why": why[:200]},
    )


def run_due(*, now: datetime | None = None, limit: int = 200) -> dict[str, int]:
    """Beat body: give recent no-shows their fee when they have none yet, then charge
    every fee due (first attempts and retries). Safe beside a staff action or another
    run: the constraint and the fee's lock decide who charges."""
    now = now or timezone.now()
    done = {"decided": 0, "charged": 0}
    missing = (
        Appointment.objects.filter(
            status=S.NO_SHOW,
            start__gte=now - timedelta(days=SWEEP_DAYS),
            guarantee__no_show_fee_cents__gt=0,
        )
        .exclude(fees__kind=Kind.NO_SHOW)
        .values_list("pk", flat=True)
    )
    for pk in list(missing[:limit]):
        with transaction.atomic():
            appt = Appointment.objects.select_for_update().get(pk=pk)
            if appt.status != S.NO_SHOW:
                continue
            consent = GuaranteeConsent.objects.filter(appointment=appt).first()
            if decide(appt, Kind.NO_SHOW, consent=consent, now=now, charge_after_commit=False):
                done["decided"] += 1
    due = AppointmentFee.objects.filter(status=Status.DUE, next_try_at__lte=now).order_by(
        "next_try_at", "pk"
    )
    for pk in list(due.values_list("pk", flat=True)[:limit]):
        if charge(pk, now=now) in ("sent", "failed"):
            done["charged"] += 1
    return done


# --- outcomes (payments' outbox, purpose booking.fee) -------------------------------------------
def _locked(ref: Any) -> AppointmentFee | None:
    try:
        fee_uuid = uuid.UUID(str(ref))
    except ValueError:
        return None
    return (
        AppointmentFee.objects.select_for_update(of=("self",))
        .select_related("appointment__client", "appointment__service", "appointment__therapist")
        .filter(public_id=fee_uuid)
        .first()
    )


def _message(fee: AppointmentFee, template: str, suffix: str) -> None:
    card = payments.saved_card_of(user_id=fee.appointment.client_id)
    notify_safely(
        fee.appointment,
        template,
        f"fee:{fee.public_id}:{suffix}",
        amount=format_cop(fee.amount_cents),
        reason=REASONS.get(fee.kind, ""),
        receipt=fee.payment_reference,
        card=f"{card.brand} ····{card.last_four}" if card else "",
        charged_at=timezone.localtime(fee.charged_at).strftime("%d/%m/%Y %H:%M")
        if fee.charged_at
        else "",
    )


def on_settled(*, ref: str, payment_reference: str) -> str:
    """An attempt was approved: the fee is CHARGED and the client gets the receipt. Money
    the fee no longer owes (already charged by another attempt, waived, refunded) goes
    back. Idempotent."""
    with transaction.atomic():
        fee = _locked(ref)
        if fee is None:
            logger.warning("settled fee payment %s for unknown fee %s", payment_reference, ref)
            return "unknown"
        if fee.status == Status.CHARGED and fee.payment_reference == payment_reference:
            return "already"
        if fee.status in (Status.DUE, Status.CHARGING, Status.UNPAID):
            fee.status, fee.payment_reference = Status.CHARGED, payment_reference
            fee.charged_at, fee.next_try_at, fee.last_error = timezone.now(), None, ""
            fee.save()
            audit.record(
                "booking.fee_charged",
                target=f"appointment:{fee.appointment.public_id}",
                details={"fee": str(fee.public_id), "payment": payment_reference},
            )
            _message(fee, "booking_fee_charged", "charged")
            return "charged"
        payments.request_refund(
            purpose=PURPOSE_FEE,
            ref=ref,
            reason=f"fee_not_owed:{fee.status}",
            payment_reference=payment_reference,
        )
        audit.record(
            "booking.fee_payment_refunded",
            target=f"appointment:{fee.appointment.public_id}",
            details={"fee": str(fee.public_id), "payment": payment_reference, "status": fee.status},
        )
        return "refunded"


def on_failed(*, ref: str, payment_reference: str, status: str) -> str:
    """An attempt ended without money: retry after the next delay, or, after the last,
    UNPAID for staff. A stale attempt's failure changes nothing."""
    with transaction.atomic():
        fee = _locked(ref)
        if (
            fee is None
            or fee.status != Status.CHARGING
            or fee.payment_reference != payment_reference
        ):
            return "ignored"
        why = _("Wompi no aprobó el cobro (%(status)s).") % {
            "status": FAILED_STATES.get(status, status)
        }
        if fee.attempts <= len(RETRY_DELAYS):
            fee.status, fee.last_error = Status.DUE, why[:255]
            fee.next_try_at = timezone.now() + RETRY_DELAYS[fee.attempts - 1]
            fee.save()
            return "retry"
        _unpaid(fee, why)
        fee.save()
        return "unpaid"


# --- staff ------------------------------------------------------------------------------------
def _get_locked(public_id: Any) -> AppointmentFee:
    fee = _locked(public_id)
    if fee is None:
        raise FeeNotFound()
    return fee


def _reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(_("Escribe el motivo."), code="reason_required")
    return reason[:300]


def waive(*, actor: Any, fee_public_id: Any, reason: str) -> AppointmentFee:
    """Staff forgive a fee not charged yet (due or unpaid). Audited with who and why."""
    reason = _reason(reason)
    with transaction.atomic():
        fee = _get_locked(fee_public_id)
        if fee.status == Status.CHARGING:
            raise Conflict(
                _("Hay un cobro en curso para este cargo; espera su resultado."),
                code="fee_being_charged",
            )
        if fee.status not in WAIVABLE:
            raise Conflict(
                _("Solo se condona un cargo sin cobrar; uno cobrado se reembolsa."),
                code="fee_not_waivable",
            )
        fee.status, fee.next_try_at = Status.WAIVED, None
        fee.waived_by_id, fee.waived_at, fee.waive_reason = actor.id, timezone.now(), reason
        fee.save()
        audit.record(
            "booking.fee_waived",
            actor=actor,
            target=f"appointment:{fee.appointment.public_id}",
            details={"fee": str(fee.public_id), "reason": reason},
        )
    return fee


def refund(*, actor: Any, fee_public_id: Any, reason: str) -> AppointmentFee:
    """Staff give a charged fee back: payments refunds that attempt (void at Wompi after
    commit, or a manual refund for staff). Audited; the client is told."""
    reason = _reason(reason)
    with transaction.atomic():
        fee = _get_locked(fee_public_id)
        if fee.status not in REFUNDABLE:
            raise Conflict(_("Solo se reembolsa un cargo cobrado."), code="fee_not_refundable")
        payments.request_refund(
            purpose=PURPOSE_FEE,
            ref=str(fee.public_id),
            reason=f"fee_refund: {reason}"[:255],
            payment_reference=fee.payment_reference,
        )
        fee.status = Status.REFUNDED
        fee.refunded_by_id, fee.refunded_at, fee.refund_reason = actor.id, timezone.now(), reason
        fee.save()
        audit.record(
            "booking.fee_refunded",
            actor=actor,
            target=f"appointment:{fee.appointment.public_id}",
            details={"fee": str(fee.public_id), "reason": reason, "payment": fee.payment_reference},
        )
        _message(fee, "booking_fee_refunded", "refunded")
    return fee


def retry_now(*, actor: Any, fee_public_id: Any) -> AppointmentFee:
    """Staff try an unpaid fee once more now (e.g. the client saved a new card)."""
    with transaction.atomic():
        fee = _get_locked(fee_public_id)
        if fee.status != Status.UNPAID:
            raise Conflict(_("Solo se reintenta un cargo sin cobrar."), code="fee_not_unpaid")
        fee.status, fee.next_try_at = Status.DUE, timezone.now()
        fee.save()
        audit.record(
            "booking.fee_retry_requested",
            actor=actor,
            target=f"appointment:{fee.appointment.public_id}",
            details={"fee": str(fee.public_id)},
        )
        fee_id = fee.pk
        transaction.on_commit(lambda: _queue_charge(fee_id))
    return fee


def for_staff(*, status: str = "") -> QuerySet[AppointmentFee]:
    """Fees as staff list them; by default those that need them (UNPAID)."""
    qs = AppointmentFee.objects.select_related(
        "appointment__client", "appointment__service", "appointment__therapist"
    ).order_by("-created_at", "-pk")
    return qs.filter(status=status or Status.UNPAID)


def fee_out(fee: AppointmentFee) -> dict[str, Any]:
    appt = fee.appointment
    return {
        "id": fee.public_id,
        "appointment": appt.public_id,
        "kind": fee.kind,
        "kind_label": fee.get_kind_display(),
        "status": fee.status,
        "status_label": fee.get_status_display(),
        "amount_cents": fee.amount_cents,
        "amount": format_cop(fee.amount_cents),
        "attempts": fee.attempts,
        "next_try_at": fee.next_try_at,
        "last_error": fee.last_error,
        "payment_reference": fee.payment_reference,
        "charged_at": fee.charged_at,
        "client": appt.client.get_full_name() or appt.client.phone_number,
        "service_name": appt.service.name,
        "start": appt.start,
        "waived_at": fee.waived_at,
        "waive_reason": fee.waive_reason,
        "refunded_at": fee.refunded_at,
        "refund_reason": fee.refund_reason,
    }


def staff_actions(status: str) -> list[str]:
    """What staff may do now to a fee in ``status``: ``waive``, ``refund`` or nothing (a
    charge in flight, or already settled either way)."""
    if status in WAIVABLE:
        return ["waive"]
    if status in REFUNDABLE:
        return ["refund"]
    return []


def staff_fee_out(fee: AppointmentFee, *, may_act: bool = True) -> dict[str, Any]:
    """A fee as the desk sees it: ``fee_out`` plus ``actions``, what staff may do to it now
    (``may_act`` False for a therapist: the fee without buttons). The calendar's panel and
    the staff fee list both answer through this one function."""
    return {**fee_out(fee), "actions": staff_actions(fee.status) if may_act else []}


def _fees(appointment: Appointment) -> QuerySet[AppointmentFee]:
    return appointment.fees.select_related("appointment__client", "appointment__service")


def fees_of(appointment: Appointment) -> list[dict[str, Any]]:
    return [fee_out(f) for f in _fees(appointment)]


def staff_fees_of(appointment: Appointment, *, may_act: bool) -> list[dict[str, Any]]:
    return [staff_fee_out(f, may_act=may_act) for f in _fees(appointment)]
