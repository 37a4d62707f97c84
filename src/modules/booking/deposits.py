"""Deposits: the checkout of a held appointment, what payments' outcomes do to it (confirm,
take the slot back, refund), and the expiry of unpaid holds."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from modules.booking import freeing
from modules.booking.errors import (
    DepositBeingConfirmed,
    DepositNotDue,
    HoldExpired,
    PaymentOpen,
    SlotTaken,
)
from modules.booking.models import (
    Appointment,
)
from modules.booking.models import AppointmentStatus as S
from modules.booking.services import (
    PURPOSE,
    BookingOutcome,
    lock_and_place,
    notify_safely,
    open_deposit_checkout,
    record_event,
    set_status,
)
from modules.payments import public as payments

logger = logging.getLogger(__name__)


def _refund(
    appt: Appointment, reason: str, amount_cents: int, now: datetime, payment_reference: str
) -> None:
    # Exactly this attempt: a duplicate must never refund the payment that confirmed.
    payments.request_refund(
        purpose=PURPOSE,
        ref=str(appt.public_id),
        reason=reason,
        amount_cents=amount_cents,
        payment_reference=payment_reference,
    )
    appt.refund_requested_at = now
    appt.needs_attention = reason


def handle_deposit_settled(*, ref: str, payment_reference: str, amount_cents: int) -> str:
    """Receiver logic for payments' settlement of a deposit. Idempotent per payment.
    Returns what happened: confirmed / duplicate / refunded / ignored."""
    now = timezone.now()
    try:
        public_id = uuid.UUID(str(ref))
    except ValueError:
        logger.warning("deposit settled for malformed ref %r", ref)
        return "ignored"
    with transaction.atomic():
        # of=("self",): lock the appointment only. Locking the joined therapist row too
        # takes locks in the opposite order to a booking (therapist, then appointment)
        # and deadlocked concurrent settlements (seen in the memory benchmark).
        appt = (
            Appointment.objects.select_for_update(of=("self",))
            .select_related("service", "therapist", "client")
            .filter(public_id=public_id)
            .first()
        )
        if appt is None:
            logger.warning("deposit settled for unknown appointment %s", ref)
            return "ignored"
        if appt.payment_reference == payment_reference:
            return "duplicate"
        first_payment = not appt.payment_reference
        if first_payment:  # a duplicate never replaces the payment that holds the visit
            appt.payment_reference = payment_reference
        payable = first_payment and (
            appt.status == S.PENDING_PAYMENT
            or (appt.status == S.EXPIRED and appt.start > now and _take_slot_back(appt))
        )
        if payable:
            set_status(appt, S.CONFIRMED, None, "payment_settled", payment_reference)
            appt.deposit_paid_cents = amount_cents
            appt.confirmed_at, appt.hold_expires_at, appt.checkout = now, None, {}
            appt.save()
            notify_safely(appt, "booking_confirmed", "confirmed")  # save() bumped
            return "confirmed"
        # Slot gone, cancelled meanwhile, or a second payment: never double-book.
        if not first_payment:
            reason = "duplicate_payment"
        elif appt.status == S.EXPIRED:
            reason = "slot_unavailable_after_expiry"
        else:
            reason = "appointment_not_payable"
        _refund(appt, reason, amount_cents, now, payment_reference)
        record_event(appt, "refund_requested", None, note=f"{reason} {payment_reference}"[:300])
        appt.save()
    return "refunded"


def _take_slot_back(appt: Appointment) -> bool:
    """A late payment for an expired hold: the appointment becomes active again only
    if its slot is still free, checked under the same locks as a new booking and
    guarded by the exclusion constraints. On success the row is active (CONFIRMED
    is set by the caller, which records the transition)."""
    try:
        with transaction.atomic():
            _, room = lock_and_place(
                appt.service, appt.start, [appt.therapist], exclude_appointment_id=appt.pk
            )
            Appointment.objects.filter(pk=appt.pk).update(room=room, status=S.CONFIRMED)
    except (SlotTaken, IntegrityError):
        return False
    appt.room = room
    return True


def handle_deposit_failed(*, ref: str, payment_reference: str = "", status: str = "") -> None:
    """A declined (or errored, or expired) payment attempt never cancels nor expires the
    appointment: the hold stays until ``hold_expires_at`` and the client may open a new
    attempt within it (``deposit_checkout``). Nothing to do but record it."""
    try:
        appt = Appointment.objects.filter(public_id=uuid.UUID(str(ref))).first()
    except ValueError:
        return
    if appt is not None:
        record_event(
            appt, "payment_failed", None, note=f"{status} {payment_reference}".strip()[:300]
        )


def deposit_checkout(
    *, actor: Any, appointment: Appointment, tenders: Sequence[payments.TenderOffer] = ()
) -> BookingOutcome:
    """The deposit checkout of a PENDING_PAYMENT appointment whose hold is still valid:
    the open attempt while payments still has it PENDING, otherwise (the last attempt
    was DECLINED / ERROR, or there is none) a new attempt that expires with the hold,
    paid first by ``tenders`` when given (an open attempt cannot take them: 409).
    The appointment row is locked, so concurrent calls open at most one attempt and
    all return it. The outcome's checkout is a dict in the shape of ``CheckoutDTO``."""
    now = timezone.now()
    with transaction.atomic():
        appt = (
            Appointment.objects.select_for_update(of=("self",))
            .select_related("service", "client", "therapist", "room")
            .get(pk=appointment.pk)
        )
        if appt.status == S.EXPIRED:
            raise HoldExpired()
        if appt.status != S.PENDING_PAYMENT or appt.deposit_cents <= 0:
            raise DepositNotDue()
        if appt.hold_expires_at is None or appt.hold_expires_at <= now:
            raise HoldExpired()  # the beat has not expired it yet; it will
        latest = payments.payment_status(purpose=PURPOSE, ref=str(appt.public_id))
        if latest == "APPROVED":
            # Paid; the settlement signal is on its way (or failed and staff will see
            # the payment flagged). A new attempt would only charge the client twice.
            raise DepositBeingConfirmed()
        if latest == "PENDING" and appt.checkout:
            if tenders:
                # The client may be paying it at Wompi right now: never open a second.
                raise PaymentOpen()
            return BookingOutcome(appt, appt.checkout)
        checkout = open_deposit_checkout(appt, tenders)
        record_event(
            appt, "checkout_opened", actor, note=f"{latest or ''} {checkout.reference}"[:300]
        )
    if checkout.settled:
        appt.refresh_from_db()  # confirmed by the settlement's handler after commit
    return BookingOutcome(appt, appt.checkout)


def expire_holds(now: datetime | None = None, limit: int = 500) -> int:
    """Expire unpaid holds past their time and free their slots. Safe to run twice."""
    now = now or timezone.now()
    ids = list(
        Appointment.objects.filter(status=S.PENDING_PAYMENT, hold_expires_at__lte=now).values_list(
            "pk", flat=True
        )[:limit]
    )
    expired = 0
    for pk in ids:
        with transaction.atomic():
            appt = (
                Appointment.objects.select_for_update(skip_locked=True)
                .filter(pk=pk, status=S.PENDING_PAYMENT, hold_expires_at__lte=now)
                .first()
            )
            if appt is None:
                continue
            set_status(appt, S.EXPIRED, None, "hold_expired")
            appt.checkout = {}
            appt.save()
            freeing.slot_freed(appt.therapist_id, appt.start)  # save() bumped
            expired += 1
    return expired
