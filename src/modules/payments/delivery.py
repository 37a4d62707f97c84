"""Durable delivery of ``payment_settled`` / ``payment_failed``.

Signals are sent after commit with ``send_robust``, so one failing receiver does not stop
the others. A failure is not only logged: the payment is flagged for review with a
reason naming the signal and the receiver, and a Celery task (queue ``payments``)
re-sends the signal after a backoff, a bounded number of times. Receivers are
idempotent by contract (``payments.public``), so re-sending to every receiver is safe.
A successful delivery removes the flag it set. When the retries are exhausted (or the
broker was down) the flag stays, and an operator re-sends with ``replay_wompi_event``.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction
from django.db.models import Q

from modules.payments.models import LedgerEntry, Payment, PaymentStatus
from modules.payments.signals import payment_failed, payment_settled
from platform_core import audit
from platform_core.plugins import payment_handlers

logger = logging.getLogger(__name__)

SIGNALS = {"payment_settled": payment_settled, "payment_failed": payment_failed}
# Seconds before re-sending after delivery 1, 2, 3, 4 failed: 5 deliveries in ~2.5 h.
RETRY_DELAYS = (60, 300, 1800, 7200)
MAX_DELIVERIES = 1 + len(RETRY_DELAYS)
FLAG_PREFIX = "signal_delivery_failed"


def signal_name(signal: Any) -> str:
    return next(name for name, known in SIGNALS.items() if known is signal)


def receiver_label(receiver: Any) -> str:
    target = receiver if hasattr(receiver, "__qualname__") else type(receiver)
    return f"{getattr(target, '__module__', '?')}.{getattr(target, '__qualname__', '?')}"


def settled_kwargs(payment: Payment, late: bool) -> dict[str, Any]:
    return {
        "purpose": payment.purpose,
        "ref": payment.purpose_ref,
        "payment_reference": payment.reference,
        "amount_cents": payment.amount_cents,
        "user_id": payment.user_id,
        "late": late,
    }


def failed_kwargs(payment: Payment) -> dict[str, Any]:
    return {
        "purpose": payment.purpose,
        "ref": payment.purpose_ref,
        "payment_reference": payment.reference,
        "status": payment.status,
    }


def outcome(name: str, kwargs: dict[str, Any]) -> Any:
    """The typed outcome (payments.public) for a signal's JSON-safe kwargs (which is what
    the retry task carries through the broker)."""
    from modules.payments.public import PaymentFailed, PaymentSettled

    if name == "payment_settled":
        return PaymentSettled(
            purpose=str(kwargs["purpose"]),
            ref=str(kwargs["ref"]),
            payment_reference=str(kwargs["payment_reference"]),
            amount_cents=int(kwargs["amount_cents"]),
            user_id=kwargs.get("user_id"),
            late=bool(kwargs.get("late")),
        )
    return PaymentFailed(
        purpose=str(kwargs["purpose"]),
        ref=str(kwargs["ref"]),
        payment_reference=str(kwargs["payment_reference"]),
        status=str(kwargs["status"]),
    )


def dispatch(signal: Any, kwargs: dict[str, Any], *, delivery: int = 1) -> list[str]:
    """Send ``signal`` (outside any transaction, after commit). Returns the labels of the
    receivers that failed; those are flagged on the payment and retried later."""
    name = signal_name(signal)
    reference = str(kwargs["payment_reference"])
    failed: list[str] = []
    typed = outcome(name, kwargs)
    results = list(signal.send_robust(sender=Payment, outcome=typed, **kwargs))
    handler = payment_handlers().get(typed.purpose)
    if handler is not None:  # the purpose's own handler, declared in its plugin
        try:
            results.append((handler, handler(typed)))
        except Exception as exc:  # noqa: BLE001 - like send_robust: recorded, retried
            results.append((handler, exc))
    for receiver, result in results:
        if isinstance(result, Exception):
            label = receiver_label(receiver)
            failed.append(label)
            logger.error(
                "payments %s receiver %s failed for %s (delivery %s)",
                name,
                label,
                reference,
                delivery,
                exc_info=result,
            )
    if failed:
        _flag(reference, name, failed, delivery)
        _schedule_retry(name, kwargs, delivery + 1)
    else:
        _unflag(reference, name, delivery)
    return failed


def _marker(name: str) -> str:
    return f"{FLAG_PREFIX}:{name}:"


def _without_marker(reason: str, name: str) -> str:
    parts = [p.strip() for p in reason.split(";") if p.strip()]
    return "; ".join(p for p in parts if not p.startswith(_marker(name)))


def _flag(reference: str, name: str, receivers: list[str], delivery: int) -> None:
    ours = f"{_marker(name)}{','.join(receivers)}"
    with transaction.atomic():
        payment = Payment.objects.select_for_update().filter(reference=reference).first()
        if payment is None:
            return
        # Keep a reason staff have not reviewed yet (e.g. approved_after_expiry).
        other = _without_marker(payment.review_reason, name) if payment.needs_review else ""
        payment.needs_review = True
        payment.review_reason = (f"{other}; {ours}" if other else ours)[:255]
        payment.save(update_fields=["needs_review", "review_reason", "updated_at"])
        audit.record(
            "payments.signal_receiver_failed",
            target=f"payment:{reference}",
            details={"signal": name, "receivers": receivers, "delivery": delivery},
        )


def _unflag(reference: str, name: str, delivery: int) -> None:
    """A delivery that reached every receiver clears the flag a failed one set."""
    if not Payment.objects.filter(
        reference=reference, needs_review=True, review_reason__contains=_marker(name)
    ).exists():
        return
    with transaction.atomic():
        payment = Payment.objects.select_for_update().get(reference=reference)
        rest = _without_marker(payment.review_reason, name)
        payment.review_reason = rest
        payment.needs_review = bool(rest)
        payment.save(update_fields=["needs_review", "review_reason", "updated_at"])
        audit.record(
            "payments.signal_redelivered",
            target=f"payment:{reference}",
            details={"signal": name, "delivery": delivery},
        )


def _schedule_retry(name: str, kwargs: dict[str, Any], delivery: int) -> None:
    reference = str(kwargs["payment_reference"])
    if delivery > MAX_DELIVERIES:
        logger.error("payments %s for %s: retries exhausted; left for review", name, reference)
        audit.record(
            "payments.signal_retries_exhausted",
            target=f"payment:{reference}",
            details={"signal": name, "deliveries": MAX_DELIVERIES},
        )
        return
    from modules.payments.tasks import redeliver_signal

    try:
        redeliver_signal.apply_async(
            args=(name, kwargs, delivery),
            queue="payments",
            countdown=RETRY_DELAYS[delivery - 2],
        )
    except Exception:  # the broker is down: the flag stays for an operator (replay)
        logger.exception("payments %s for %s: could not enqueue the retry", name, reference)


def redeliver(name: str, kwargs: dict[str, Any], delivery: int) -> list[str]:
    """Task body: re-send unless the payment has moved on since (then the newer status
    sent its own signal and this one is stale)."""
    reference = str(kwargs["payment_reference"])
    status = Payment.objects.filter(reference=reference).values_list("status", flat=True).first()
    expected = PaymentStatus.APPROVED if name == "payment_settled" else kwargs.get("status")
    if status != expected:
        logger.warning("payments %s for %s not re-sent: status is %s", name, reference, status)
        return []
    return dispatch(SIGNALS[name], kwargs, delivery=delivery)


def _settled_late(payment: Payment) -> bool:
    from platform_core.models import AuditEvent

    return AuditEvent.objects.filter(
        Q(action="payments.payment_flagged", target=f"payment:{payment.reference}")
        & Q(details__reason="approved_after_expiry")
    ).exists()


def resend_final(payment: Payment) -> str:
    """Re-send (on commit, durably) the signal a final payment stands for, so an operator
    can recover a receiver that failed. Returns the signal's name, or "" when there is
    none: not final, or voided after approval (its refund is already recorded)."""
    failed = (PaymentStatus.DECLINED, PaymentStatus.ERROR, PaymentStatus.EXPIRED)
    voided_unpaid = (
        payment.status == PaymentStatus.VOIDED
        and not payment.ledger_entries.filter(kind=LedgerEntry.Kind.CHARGE).exists()
    )
    if payment.status == PaymentStatus.APPROVED:
        kwargs, signal = settled_kwargs(payment, _settled_late(payment)), payment_settled
    elif payment.status in failed or voided_unpaid:
        kwargs, signal = failed_kwargs(payment), payment_failed
    else:
        return ""
    transaction.on_commit(lambda: dispatch(signal, kwargs))
    return signal_name(signal)
