"""Membership's private data: VIP plans, subscriptions, billing periods and their attempts.

Moved out of payments (issue 16) with their data: the tables were adopted, not copied
(``migrations/0001`` and ``0002``; docs/membership.md). The database keeps its guarantees:
one live subscription per member, one charge row per (subscription, period), one link per
payment attempt. Payments knows nothing of these rows; a charge knows its attempts by
their payment reference (``VipChargeAttempt``).
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q

from platform_core.crypto import EncryptedTextField


class VipPlan(models.Model):
    code = models.SlugField("código", max_length=40, unique=True)
    name = models.CharField("nombre", max_length=120)
    description = models.TextField("descripción", blank=True)
    price_cents = models.BigIntegerField("precio mensual (centavos)")
    currency = models.CharField(max_length=3, default="COP")
    is_active = models.BooleanField("activo", default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "plan VIP"
        verbose_name_plural = "planes VIP"
        ordering = ("price_cents",)
        constraints = [
            # Names kept from payments (where the tables were created): renaming a
            # constraint rebuilds its index for nothing.
            models.CheckConstraint(
                condition=Q(price_cents__gt=0), name="payments_vipplan_price_positive"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class VipSubscription(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Pendiente del primer cobro"
        ACTIVE = "active", "Activa"
        PAST_DUE = "past_due", "En mora (reintentando)"
        CANCELED = "canceled", "Cancelada"
        LAPSED = "lapsed", "Vencida por falta de pago"
        FAILED = "failed", "Primer cobro fallido"

    LIVE_STATUSES = ("pending", "active", "past_due")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="vip_subscriptions"
    )
    plan = models.ForeignKey(VipPlan, on_delete=models.PROTECT, related_name="subscriptions")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    # Wompi payment-source id: a reusable card credential, so it is encrypted at rest.
    vip_payment_token = EncryptedTextField(blank=True, default="")
    payment_source_status = models.CharField(max_length=20, blank=True)
    card_brand = models.CharField(max_length=20, blank=True)
    card_last_four = models.CharField(max_length=4, blank=True)
    customer_email = models.EmailField(blank=True)
    acceptance_token = models.TextField(blank=True)
    acceptance_permalink = models.URLField(max_length=500, blank=True)
    personal_data_token = models.TextField(blank=True)
    personal_data_permalink = models.URLField(max_length=500, blank=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    current_period_start = models.DateTimeField(null=True, blank=True)
    current_period_end = models.DateTimeField(null=True, blank=True)
    cancel_at_period_end = models.BooleanField(default=False)
    canceled_at = models.DateTimeField(null=True, blank=True)
    failed_attempts = models.PositiveSmallIntegerField(default=0)
    past_due_since = models.DateTimeField(null=True, blank=True)
    next_retry_at = models.DateTimeField(null=True, blank=True)
    lapsed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "suscripción VIP"
        verbose_name_plural = "suscripciones VIP"
        ordering = ("-created_at",)
        constraints = [
            models.UniqueConstraint(
                fields=["user"],
                condition=Q(status__in=["pending", "active", "past_due"]),
                name="payments_one_live_vip_subscription_per_user",
            ),
        ]

    def __str__(self) -> str:
        return f"VIP {self.public_id} ({self.status})"


class VipCharge(models.Model):
    """One billing period of a subscription; its attempts are payments (never two at once)."""

    subscription = models.ForeignKey(
        VipSubscription, on_delete=models.PROTECT, related_name="charges"
    )
    period_start = models.DateTimeField()
    period_end = models.DateTimeField()
    amount_cents = models.BigIntegerField()
    attempts = models.PositiveSmallIntegerField(default=0)
    paid = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "cobro VIP"
        verbose_name_plural = "cobros VIP"
        ordering = ("-period_start",)
        constraints = [
            models.UniqueConstraint(
                fields=["subscription", "period_start"], name="payments_one_vip_charge_per_period"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.subscription_id} {self.period_start:%Y-%m-%d}"


class VipChargeAttempt(models.Model):
    """One payment attempt of a charge, named by the payment's reference. Payments owns the
    attempt; this row is membership's side of the link that used to be the foreign key
    ``payments.Payment.vip_charge`` (money knows no purpose). ``outcome`` records what
    membership did with the attempt's outcome, so a redelivered outcome changes nothing."""

    class Outcome(models.TextChoices):
        OPEN = "", "En curso"
        PAID = "paid", "Pagó el periodo"
        REFUNDED = "refunded", "Reembolsado (no aplicable)"
        FAILED = "failed", "Fallido (cobranza)"
        ABANDONED = "abandoned", "No enviado a Wompi"

    charge = models.ForeignKey(VipCharge, on_delete=models.PROTECT, related_name="attempt_links")
    payment_reference = models.CharField("referencia del pago", max_length=64, unique=True)
    outcome = models.CharField(max_length=10, choices=Outcome.choices, default="", blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "intento de cobro VIP"
        verbose_name_plural = "intentos de cobro VIP"
        ordering = ("created_at", "id")

    def __str__(self) -> str:
        return self.payment_reference


class VipMonthPurchase(models.Model):
    """A VIP month bought through Web Checkout (no stored card), applied once per payment."""

    payment_reference = models.CharField("referencia del pago", max_length=64, unique=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="vip_month_purchases"
    )
    until = models.DateTimeField("VIP hasta", null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "mes VIP comprado"
        verbose_name_plural = "meses VIP comprados"
        ordering = ("-created_at",)

    def __str__(self) -> str:
        return self.payment_reference
