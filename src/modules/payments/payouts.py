"""Developer commission payouts through Wompi's payouts API ("pagos a terceros").

A payout claims the unpaid commission ledger entries it disperses (one allocation row
per entry, unique), debits the developer's balance in the same transaction, and is
sent with an idempotency key stored on the payout row: a concurrent run finds nothing
left to claim. Before any send the batch is looked up at Wompi by reference, so a retry
after a timeout adopts the batch Wompi already stored instead of creating another.
"""

from __future__ import annotations

import logging
import secrets
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from modules.payments import destination as destination_module
from modules.payments.models import LedgerEntry, Payout, PayoutAllocation
from modules.payments.wompi.gateway import WompiError, get_gateway
from platform_core import audit

logger = logging.getLogger(__name__)
Kind, Account = LedgerEntry.Kind, LedgerEntry.Account
_ELIGIBLE = (Kind.COMMISSION, Kind.COMMISSION_REVERSAL)
_FAILED = ("REJECTED", "NOT_APPROVED", "FAILED")


def destination() -> dict[str, str]:
    """WOMPI_DEVELOPER_DESTINATION: a JSON object or ``key=value;key=value`` with
    legalIdType, legalId, bankId, accountType, accountNumber, name, email."""
    return destination_module.parse(settings.WOMPI_DEVELOPER_DESTINATION or "")


def developer_balance() -> int:
    return (
        LedgerEntry.objects.filter(account=Account.DEVELOPER).aggregate(t=Sum("amount_cents"))["t"]
        or 0
    )


def claim_payout() -> Payout | None:
    """Allocate every unpaid commission entry to a new payout if the sum reaches the
    threshold. Safe to run concurrently: only one run can claim a given entry."""
    with transaction.atomic():
        unpaid = LedgerEntry.objects.filter(
            account=Account.DEVELOPER, kind__in=_ELIGIBLE, payout_allocation__isnull=True
        )
        # Lock the candidates, then re-read in a fresh statement: after waiting on a
        # concurrent claim, READ COMMITTED shows its committed allocations.
        locked = list(unpaid.select_for_update(of=("self",)).values_list("pk", flat=True))
        entries = list(unpaid.filter(pk__in=locked))
        total = sum(e.amount_cents for e in entries)
        if not entries or total <= 0 or total < settings.DEVELOPER_PAYOUT_THRESHOLD_CENTS:
            return None
        token = secrets.token_hex(12)
        payout = Payout.objects.create(
            idempotency_key=f"szp-{token}", reference=f"SZP-{token.upper()}", amount_cents=total
        )
        PayoutAllocation.objects.bulk_create(
            [PayoutAllocation(payout=payout, entry=e) for e in entries]
        )
        LedgerEntry.objects.create(
            kind=Kind.PAYOUT,
            account=Account.DEVELOPER,
            amount_cents=-total,
            payout=payout,
            memo=f"Dispersión {payout.reference}",
        )
        audit.record(
            "payments.payout_created",
            target=f"payout:{payout.reference}",
            details={"amount_cents": total, "entries": len(entries)},
        )
    return payout


def _body(payout: Payout) -> dict[str, Any]:
    dest = destination()
    return {
        "reference": payout.reference,
        "accountId": settings.WOMPI_PAYOUT_ACCOUNT_ID,
        "paymentType": "OTHER",
        "transactions": [
            {
                "legalIdType": dest.get("legalIdType", ""),
                "legalId": dest.get("legalId", ""),
                "bankId": dest.get("bankId", ""),
                "accountType": dest.get("accountType", ""),
                "accountNumber": dest.get("accountNumber", ""),
                "name": dest.get("name", ""),
                "email": dest.get("email", ""),
                "amount": payout.amount_cents,
                "reference": payout.reference,
            }
        ],
    }


def _fail_payout(payout: Payout, reason: str) -> None:
    """Final failure: give the entries back (reversal entry + free allocations)."""
    payout.status = (
        Payout.Status.FAILED if payout.status == Payout.Status.CREATED else payout.status
    )
    payout.last_error = reason[:255]
    payout.save()
    payout.allocations.all().delete()
    LedgerEntry.objects.create(
        kind=Kind.PAYOUT_REVERSAL,
        account=Account.DEVELOPER,
        amount_cents=payout.amount_cents,
        payout=payout,
        memo=f"Reverso {payout.reference}: {reason}"[:255],
    )
    audit.record(
        "payments.payout_failed", target=f"payout:{payout.reference}", details={"reason": reason}
    )


def send_payout(payout_pk: int) -> Payout | None:
    """Send a CREATED payout once. Before every send the batch is looked up at Wompi by its
    reference: a previous attempt may have reached Wompi (timeout after it stored the batch,
    or a crash before we recorded it), and Wompi's idempotency key only lasts 24 h. Found →
    adopt it, never send again; look-up failed → do not send now (retried later).

    No Wompi call under the payout's row lock (issue 16): the payout is read (skipping one
    being recorded), Wompi is called with no transaction open, and its answer is recorded
    under the row's lock, only while the payout is still CREATED. Two senders racing send
    the same idempotency key, which Wompi answers with the one batch; the second record
    finds the payout settled."""
    payout = Payout.objects.filter(pk=payout_pk, status=Payout.Status.CREATED).first()
    if payout is None:
        return None
    reference, body, key = payout.reference, _body(payout), payout.idempotency_key

    gateway = get_gateway()
    try:
        found = gateway.find_payouts(reference)
    except WompiError as exc:
        return _record_send(payout_pk, error=f"consulta por referencia: {exc}"[:255])
    if found:
        return _record_send(payout_pk, found=found[0])
    try:
        data = gateway.create_payout(body, idempotency_key=key)
    except WompiError as exc:
        return _record_send(payout_pk, refused=exc)
    return _record_send(payout_pk, sent=data)


def _record_send(
    payout_pk: int,
    *,
    error: str = "",
    found: dict[str, Any] | None = None,
    refused: WompiError | None = None,
    sent: dict[str, Any] | None = None,
) -> Payout | None:
    """The second short transaction of ``send_payout``: what Wompi answered."""
    with transaction.atomic():
        payout = Payout.objects.select_for_update().get(pk=payout_pk)
        if payout.status != Payout.Status.CREATED:
            return payout  # recorded by a concurrent sender
        if refused is not None or sent is not None:
            payout.attempts += 1  # create_payout was called
        if error:
            payout.last_error = error
        elif found is not None:
            logger.warning("payout %s already at Wompi; not sent again", payout.reference)
            _apply_status(payout, found)
            if payout.status == Payout.Status.CREATED:  # an unknown status: keep polling
                payout.status = Payout.Status.PENDING
            payout.sent_at = payout.sent_at or timezone.now()
            audit.record(
                "payments.payout_found_at_wompi",
                target=f"payout:{payout.reference}",
                details={"provider_id": payout.provider_id, "status": payout.status},
            )
        elif refused is not None:
            if refused.retryable:
                payout.last_error = str(refused)[:255]
            else:
                _fail_payout(payout, f"rechazada por Wompi: {refused.status}")
                return payout
        elif sent is not None:
            _apply_status(payout, sent)
            payout.sent_at = timezone.now()
        payout.save()
    return payout


def _apply_status(payout: Payout, data: dict[str, Any]) -> None:
    payout.provider_id = str(data.get("id", payout.provider_id))[:64]
    payout.provider_payload = {k: data[k] for k in ("id", "status", "reference") if k in data}
    status = str(data.get("status") or Payout.Status.PENDING)
    if status in _FAILED:
        payout.status = status
        _fail_payout(payout, status)
    elif status in Payout.Status.values:
        payout.status = status


def refresh_payouts() -> int:
    """Poll payouts Wompi has not finished (PENDING_APPROVAL / PENDING)."""
    updated = 0
    open_ids = Payout.objects.filter(
        status__in=(Payout.Status.PENDING_APPROVAL, Payout.Status.PENDING)
    )
    for pk, provider_id, reference in list(open_ids.values_list("pk", "provider_id", "reference")):
        # Asked with no transaction open; recorded under the row's lock (issue 16).
        try:
            data = get_gateway().get_payout(provider_id)
        except WompiError as exc:
            logger.warning("payout %s poll failed: %s", reference, exc)
            continue
        with transaction.atomic():
            payout = Payout.objects.select_for_update().get(pk=pk)
            if payout.status not in (Payout.Status.PENDING_APPROVAL, Payout.Status.PENDING):
                continue  # settled meanwhile
            before = payout.status
            _apply_status(payout, data)
            payout.save()
            updated += before != payout.status
    return updated


def _configured() -> bool:
    if not destination() or not settings.WOMPI_PAYOUT_ACCOUNT_ID:
        logger.info("developer payouts not configured; skipping")
        return False
    return True


def send_unsent() -> dict[str, int]:
    """Send (after a look-up by reference) every CREATED payout and poll open ones.
    Runs from the daily dispersal and every few minutes on its own (beat
    ``payments.retry_payouts``), so a payout left CREATED by a network error is retried
    well inside Wompi's 24 h idempotency window."""
    sent = 0
    for pk in list(
        Payout.objects.filter(status=Payout.Status.CREATED).values_list("pk", flat=True)
    ):
        sent += send_payout(pk) is not None
    return {"sent": sent, "refreshed": refresh_payouts()}


def retry_unsent() -> dict[str, int]:
    """Beat task body (every 10 min): retry unsent payouts, never claim new ones."""
    if not _configured():
        return {"sent": 0, "refreshed": 0}
    return send_unsent()


def disperse() -> dict[str, int]:
    """Beat task body: claim a payout if due, send everything unsent, poll open ones."""
    if not _configured():
        return {"sent": 0, "refreshed": 0}
    claim_payout()
    return send_unsent()
