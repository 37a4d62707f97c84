import hashlib

from django.db import migrations


def _key(event_type: str, tx: dict, checksum: str) -> str:
    # Frozen copy of services.event_key at the time of this migration.
    transaction_id = str(tx.get("id") or "")[:64]
    if transaction_id:
        status = str(tx.get("status") or "").upper()
        basis = (
            f"{event_type}:tx:{transaction_id}:{status}:"
            f"{tx.get('amount_in_cents')}:{tx.get('currency')}"
        )
    else:
        basis = f"{event_type}:{checksum.strip().lower()}"
    return hashlib.sha256(basis.encode()).hexdigest()


def identify_events(apps, schema_editor):
    """Re-key stored events by meaning; re-signed copies of one event (same type,
    transaction and status) are dropped, keeping the first received (the one that was
    applied: later copies only ever answered "duplicate" or no-op)."""
    WebhookEvent = apps.get_model("payments", "WebhookEvent")
    Refund = apps.get_model("payments", "Refund")
    seen: set[str] = set()
    for event in WebhookEvent.objects.order_by("received_at", "id").iterator():
        payload = event.payload or {}
        checksum = str((payload.get("signature") or {}).get("checksum") or "")
        tx = dict((payload.get("data") or {}).get("transaction") or {})
        tx.setdefault("id", event.transaction_id)
        tx.setdefault("status", event.status)
        status = (event.status or "").upper()
        key = _key(event.event_type, tx, checksum)
        if key in seen:
            event.delete()
            continue
        seen.add(key)
        WebhookEvent.objects.filter(pk=event.pk).update(event_key=key, status=status)
    # Refunds recorded before transactions were named refund the payment's own one.
    for refund in Refund.objects.filter(transaction_id="").select_related("payment").iterator():
        Refund.objects.filter(pk=refund.pk).update(
            transaction_id=refund.payment.wompi_transaction_id
        )



class Migration(migrations.Migration):
    dependencies = [("payments", "0003_refund_transaction_fields")]

    operations = [
        migrations.RunPython(identify_events, migrations.RunPython.noop, elidable=False),
    ]
