"""Give every final payment its outcome row, and move the retry state that was packed into
``Payment.review_reason`` (``signal_delivery_failed:<signal>:<receivers>``) into columns.

Outcomes that were delivered as signals are recorded as delivered (nothing is re-sent);
those whose delivery had failed become undelivered rows due now, so the relay delivers them
to the purposes' handlers. "Late" is read once from the audit trail (the last time it is).
"""

from __future__ import annotations

from typing import Any

from django.db import migrations
from django.utils import timezone

FAILED = ("DECLINED", "ERROR", "EXPIRED")
MARKER = "signal_delivery_failed:"
SIGNAL_KIND = {"payment_settled": "settled", "payment_failed": "failed"}


def _undelivered(reason: str) -> tuple[dict[str, str], str]:
    """{kind: receivers} of the failed deliveries in ``reason``, and the reason without them."""
    failed: dict[str, str] = {}
    rest: list[str] = []
    for part in (p.strip() for p in reason.split(";")):
        if not part:
            continue
        if part.startswith(MARKER):
            _, signal, receivers = (part.split(":", 2) + ["", ""])[:3]
            failed[SIGNAL_KIND.get(signal, "settled")] = receivers
        else:
            rest.append(part)
    return failed, "; ".join(rest)


def forwards(apps: Any, schema_editor: Any) -> None:
    Payment = apps.get_model("payments", "Payment")
    Outcome = apps.get_model("payments", "Outcome")
    LedgerEntry = apps.get_model("payments", "LedgerEntry")
    Refund = apps.get_model("payments", "Refund")
    AuditEvent = apps.get_model("platform_core", "AuditEvent")
    now = timezone.now()
    late = {
        target.removeprefix("payment:")
        for target in AuditEvent.objects.filter(
            action="payments.payment_flagged", details__reason="approved_after_expiry"
        ).values_list("target", flat=True)
    }
    charged = set(
        LedgerEntry.objects.filter(kind="charge", payment__isnull=False).values_list(
            "payment_id", flat=True
        )
    )
    refunded = {
        payment_id: amount
        for payment_id, amount in Refund.objects.filter(
            extra_transaction=False, status__in=("voided", "completed")
        ).values_list("payment_id", "amount_cents")
    }
    rows = []
    finals = Payment.objects.filter(status__in=(*FAILED, "APPROVED", "VOIDED")).exclude(kind="desk")
    for payment in finals.iterator(chunk_size=1000):
        failed_deliveries, rest = _undelivered(payment.review_reason or "")
        if failed_deliveries:
            Payment.objects.filter(pk=payment.pk).update(
                review_reason=rest, needs_review=bool(rest)
            )
        paid = payment.status == "APPROVED" or payment.pk in charged
        kinds = ["settled"] if paid else ["failed"]
        if payment.pk in refunded:
            kinds.append("refunded")
        for kind in kinds:
            receivers = failed_deliveries.get(kind)
            rows.append(
                Outcome(
                    payment_id=payment.pk,
                    kind=kind,
                    purpose=payment.purpose,
                    purpose_ref=payment.purpose_ref,
                    amount_cents=refunded[payment.pk] if kind == "refunded" else payment.amount_cents,
                    status="APPROVED" if kind == "settled" else payment.status,
                    late=kind == "settled" and payment.reference in late,
                    attempts=1,
                    next_try_at=now if receivers is not None else None,
                    delivered_at=None
                    if receivers is not None
                    else (payment.finalized_at or payment.updated_at),
                    last_error=f"signal receivers failed: {receivers}"[:255]
                    if receivers is not None
                    else "",
                )
            )
        if len(rows) >= 1000:
            Outcome.objects.bulk_create(rows)
            rows = []
    Outcome.objects.bulk_create(rows)


class Migration(migrations.Migration):
    dependencies = [
        ("payments", "0006_outcome_outbox"),
        ("platform_core", "0002_task_outbox"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
