"""The outcome outbox: how a payment's purpose learns that it was settled, failed or
refunded.

* ``record`` writes an ``Outcome`` row in the transaction that changed the payment (the
  settling one, with the payment row locked): a rolled-back settlement leaves no outcome,
  a committed one cannot lose it. It is delivered right after commit.
* ``deliver`` hands one row to the handler its purpose's plugin declares
  (``ModulePlugin.payment_handlers``), in one transaction that also marks the row
  delivered: the row is locked (``skip_locked``: a concurrent relay leaves it alone), the
  handler runs in a savepoint, and ``delivered_at`` commits with the handler's own writes.
  A delivered outcome has therefore been handled once; a handler that raises leaves
  nothing behind and the row gets ``attempts + 1``, ``last_error`` and ``next_try_at``.
* ``relay_due`` (beat, ``payments.relay_outcomes``, every minute) delivers rows whose retry
  is due, and rows whose after-commit delivery never ran (the process died after commit):
  at least once overall, so handlers stay idempotent. After ``MAX_ATTEMPTS`` the row stays
  undelivered with ``next_try_at`` empty, for staff (admin) and ``replay_wompi_event``.

A handler may do its own database work and register ``transaction.on_commit`` calls
(notifications, a refund's void at Wompi): they run after the delivery commits, never under
the outbox row's lock.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from modules.payments.dtos import PaymentFailed, PaymentOutcome, PaymentRefunded, PaymentSettled
from modules.payments.models import CHARGE_KINDS, Outcome, Payment, PaymentStatus
from platform_core import audit
from platform_core.plugins import payment_handlers

logger = logging.getLogger(__name__)

Kind = Outcome.Kind
# Seconds before delivering again after attempt 1, 2, 3, 4 failed: 5 attempts in ~2.5 h.
RETRY_DELAYS = (60, 300, 1800, 7200)
MAX_ATTEMPTS = 1 + len(RETRY_DELAYS)
# A fresh row is due for the relay this long after it was written: its after-commit
# delivery normally takes it well before.
RELAY_GRACE = timedelta(seconds=60)


def handler_for(purpose: str) -> Callable[[PaymentOutcome], None] | None:
    """The handler the owning plugin declares for ``purpose`` (None: nobody listens)."""
    return payment_handlers().get(purpose)


def record(
    payment: Payment,
    kind: str,
    *,
    late: bool = False,
    amount_cents: int | None = None,
) -> Outcome | None:
    """Write the outcome of ``payment`` (locked by the caller, in its transaction) and
    deliver it after commit. Once per payment and kind: a second call returns None."""
    if Outcome.objects.filter(payment=payment, kind=kind).exists():
        return None
    row = Outcome.objects.create(
        payment=payment,
        kind=kind,
        purpose=payment.purpose,
        purpose_ref=payment.purpose_ref,
        amount_cents=payment.amount_cents if amount_cents is None else amount_cents,
        status=payment.status,
        late=late,
        next_try_at=timezone.now() + RELAY_GRACE,
    )
    pk = row.pk
    # robust: the settling request's answer never depends on a purpose's handler.
    transaction.on_commit(lambda: deliver(pk), robust=True)
    return row


def typed(row: Outcome, payment: Payment) -> PaymentOutcome:
    """The frozen dataclass (payments.public) a handler receives for ``row``."""
    common = {
        "purpose": row.purpose,
        "ref": row.purpose_ref,
        "payment_reference": payment.reference,
    }
    if row.kind == Kind.SETTLED:
        return PaymentSettled(
            **common, amount_cents=row.amount_cents, user_id=payment.user_id, late=row.late
        )
    if row.kind == Kind.REFUNDED:
        return PaymentRefunded(**common, amount_cents=row.amount_cents)
    return PaymentFailed(**common, status=row.status)


def _label(handler: Any) -> str:
    return f"{getattr(handler, '__module__', '?')}.{getattr(handler, '__qualname__', '?')}"


def _waits_for_older(row: Outcome) -> bool:
    """Outcomes of one payment reach the purpose in the order they happened (a failure,
    then the later approval that settled the same reference): a newer one waits while an
    older one is still being retried. One given up (no next try) no longer holds it."""
    return Outcome.objects.filter(
        payment_id=row.payment_id,
        pk__lt=row.pk,
        delivered_at__isnull=True,
        next_try_at__isnull=False,
    ).exists()


def deliver(outcome_pk: int) -> bool:
    """Hand one undelivered outcome to its purpose's handler, then the payment's next
    outcomes that waited for it. True when it is delivered now; False when another worker
    holds it, it was delivered already, an older outcome of the payment goes first, or the
    handler failed (then its retry is scheduled). Never raises for a handler's failure."""
    with transaction.atomic():
        row = (
            Outcome.objects.select_for_update(skip_locked=True)
            .filter(pk=outcome_pk, delivered_at__isnull=True)
            .first()
        )
        if row is None or _waits_for_older(row):
            return False
        payment = Payment.objects.get(pk=row.payment_id)
        now = timezone.now()
        row.attempts += 1
        handler = handler_for(row.purpose)
        error = _run(handler, typed(row, payment)) if handler is not None else None
        if error is not None:
            _schedule_retry(row, payment, _label(handler), error, now)
            return False
        row.delivered_at, row.next_try_at = now, None
        row.save(update_fields=["attempts", "delivered_at", "next_try_at"])
    following = Outcome.objects.filter(
        payment_id=row.payment_id, pk__gt=row.pk, delivered_at__isnull=True
    ).order_by("pk")
    for pk in list(following.values_list("pk", flat=True)[:1]):
        deliver(pk)
    return True


def _run(handler: Callable[[PaymentOutcome], None], outcome: PaymentOutcome) -> Exception | None:
    try:
        with transaction.atomic():  # a savepoint: a failure leaves none of its writes
            handler(outcome)
    except Exception as exc:  # noqa: BLE001 - any failure of a handler is retried
        return exc
    return None


def _schedule_retry(row: Outcome, payment: Payment, label: str, exc: Exception, now: Any) -> None:
    row.last_error = f"{label}: {exc.__class__.__name__}: {exc}"[:255]
    exhausted = row.attempts >= MAX_ATTEMPTS
    row.next_try_at = None if exhausted else now + timedelta(seconds=RETRY_DELAYS[row.attempts - 1])
    row.save(update_fields=["attempts", "next_try_at", "last_error"])
    logger.error(
        "payments %s outcome of %s: handler %s failed (attempt %s)",
        row.kind,
        payment.reference,
        label,
        row.attempts,
        exc_info=exc,
    )
    audit.record(
        "payments.outcome_retries_exhausted" if exhausted else "payments.outcome_handler_failed",
        target=f"payment:{payment.reference}",
        details={"outcome": row.kind, "handler": label, "attempt": row.attempts},
    )


def due_ids(limit: int = 200) -> list[int]:
    now = timezone.now()
    return list(
        Outcome.objects.filter(delivered_at__isnull=True, next_try_at__lte=now)
        .order_by("created_at", "id")
        .values_list("pk", flat=True)[:limit]
    )


def relay_due(*, limit: int = 200) -> dict[str, int]:
    """Beat: deliver the outcomes whose retry is due or whose after-commit delivery never
    ran. Returns counts."""
    counts = {"delivered": 0, "pending": 0}
    for pk in due_ids(limit):
        counts["delivered" if deliver(pk) else "pending"] += 1
    return counts


def resend(payment: Payment) -> str:
    """Deliver again, after commit, the outcome a final payment stands for (an operator
    recovering a purpose after fixing its handler; handlers are idempotent). Returns the
    outcome's kind, or "" when there is none: not final, or voided after approval (the
    refund is its own outcome). Payments settled before the outbox existed get their row."""
    failed = (PaymentStatus.DECLINED, PaymentStatus.ERROR, PaymentStatus.EXPIRED)
    voided_unpaid = (
        payment.status == PaymentStatus.VOIDED
        and not payment.ledger_entries.filter(kind__in=CHARGE_KINDS).exists()
    )
    if payment.status == PaymentStatus.APPROVED:
        kind = Kind.SETTLED
    elif payment.status in failed or voided_unpaid:
        kind = Kind.FAILED
    else:
        return ""
    row = payment.outcomes.filter(kind=kind).first()
    if row is None:
        row = record(payment, kind)
        return kind if row is not None else ""
    Outcome.objects.filter(pk=row.pk).update(
        delivered_at=None, next_try_at=timezone.now() + RELAY_GRACE
    )
    pk = row.pk
    transaction.on_commit(lambda: deliver(pk), robust=True)
    return kind
