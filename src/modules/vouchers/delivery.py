"""Scheduled work (beat, declared in the plugin): cards whose delivery date came, and
reminders before a card or a package expires. Each row is claimed under a row lock
(``skip_locked``: two workers never send the same one) and the message is only written to
the notifications outbox here; the worker sends it after commit."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from modules.vouchers import gift_cards, messages, selectors
from modules.vouchers.models import GiftCard, PackagePurchase

BATCH = 200


def deliver_due(now: datetime | None = None) -> int:
    now = now or timezone.now()
    sent = 0
    with transaction.atomic():
        due = (
            GiftCard.objects.select_for_update(skip_locked=True)
            .filter(status=GiftCard.Status.ACTIVE, delivered_at__isnull=True, deliver_at__lte=now)
            .exclude(code_pending_delivery="")
            .order_by("deliver_at")[:BATCH]
        )
        for card in due:
            gift_cards.deliver(card, now=now)
            sent += 1
    return sent


def remind_expiring(now: datetime | None = None) -> int:
    now = now or timezone.now()
    horizon = now + timedelta(days=selectors.policy().expiry_reminder_days)
    reminded = 0
    with transaction.atomic():
        cards = (
            GiftCard.objects.select_for_update(skip_locked=True)
            .filter(
                status=GiftCard.Status.ACTIVE,
                balance_cents__gt=0,
                expiry_reminded_at__isnull=True,
                expires_at__gt=now,
                expires_at__lte=horizon,
            )
            .order_by("expires_at")[:BATCH]
        )
        for card in cards:
            messages.card_expiring(card)
            card.expiry_reminded_at = now
            card.save(update_fields=["expiry_reminded_at"])
            reminded += 1
        purchases = (
            PackagePurchase.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("package")
            .filter(
                status=PackagePurchase.Status.ACTIVE,
                credits_left__gt=0,
                expiry_reminded_at__isnull=True,
                expires_at__gt=now,
                expires_at__lte=horizon,
            )
            .order_by("expires_at")[:BATCH]
        )
        for purchase in purchases:
            messages.package_expiring(purchase)
            purchase.expiry_reminded_at = now
            purchase.save(update_fields=["expiry_reminded_at"])
            reminded += 1
    return reminded
