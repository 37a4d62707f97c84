"""Vouchers' private data: the spa's policy, gift cards with their ledger, packages (service
bundles) with the credits people bought, and the holds checkouts place on both.

The guarantees live in the database: a card's balance and a package's credits can never go
below zero (check constraints on the running figures and on every ledger entry's "after"
column), one code digest per card, one hold row per tender hold id. docs/vouchers.md.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from platform_core.crypto import EncryptedTextField

# The SIC's Circular Única (Título II, cap. 2, num. 2.18): a gift card is valid for at least
# one year from its issue. The policy cannot be set below it.
MIN_GIFT_CARD_MONTHS = 12


class VoucherPolicy(models.Model):
    """The spa's rules for vouchers: one row (pk=1), edited in the admin."""

    denominations_cents = models.JSONField(
        "valores sugeridos (centavos)",
        default=list,
        blank=True,
        help_text="Lista de valores en centavos, p. ej. [5000000, 10000000] = $ 50.000 y $ 100.000",
    )
    allow_custom_amount = models.BooleanField("permitir valor libre", default=True)
    min_amount_cents = models.BigIntegerField(
        "valor mínimo (centavos)", default=2_000_000, validators=[MinValueValidator(100)]
    )
    max_amount_cents = models.BigIntegerField(
        "valor máximo (centavos)", default=200_000_000, validators=[MinValueValidator(100)]
    )
    gift_card_validity_months = models.PositiveSmallIntegerField(
        "vigencia de tarjetas (meses)",
        default=12,
        validators=[MinValueValidator(MIN_GIFT_CARD_MONTHS), MaxValueValidator(120)],
        help_text="Mínimo 12 meses desde la expedición (Circular Única de la SIC, 2.18).",
    )
    expiry_reminder_days = models.PositiveSmallIntegerField(
        "aviso de vencimiento (días antes)", default=30, validators=[MaxValueValidator(180)]
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "política de bonos"
        verbose_name_plural = "política de bonos"
        constraints = [
            models.CheckConstraint(condition=Q(pk=1), name="vouchers_policy_singleton"),
            models.CheckConstraint(
                condition=Q(gift_card_validity_months__gte=MIN_GIFT_CARD_MONTHS),
                name="vouchers_policy_min_validity",
            ),
            models.CheckConstraint(
                condition=Q(
                    min_amount_cents__gt=0, max_amount_cents__gte=models.F("min_amount_cents")
                ),
                name="vouchers_policy_amount_range",
            ),
        ]

    def __str__(self) -> str:
        return "Política de bonos"


class Channel(models.TextChoices):
    WHATSAPP = "whatsapp", "WhatsApp"
    EMAIL = "email", "Correo electrónico"


class GiftCard(models.Model):
    class Status(models.TextChoices):
        PENDING_PAYMENT = "pending_payment", "Pendiente de pago"
        ACTIVE = "active", "Activa"
        CANCELLED = "cancelled", "Compra no pagada"
        VOIDED = "voided", "Anulada"

    class Source(models.TextChoices):
        ONLINE = "online", "Compra en línea"
        STAFF = "staff", "Emitida por el spa"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    code_digest = models.CharField(max_length=64, unique=True, editable=False)
    code_hint = models.CharField("últimos 4", max_length=4, editable=False)
    # The full code, encrypted, only until it is delivered to the recipient (then blanked):
    # after that nobody can read it again, only match it.
    code_pending_delivery = EncryptedTextField(blank=True, default="", editable=False)
    status = models.CharField(
        "estado", max_length=16, choices=Status.choices, default=Status.PENDING_PAYMENT
    )
    source = models.CharField("origen", max_length=8, choices=Source.choices)
    amount_cents = models.BigIntegerField("valor inicial (centavos)")
    balance_cents = models.BigIntegerField("saldo (centavos)", default=0)
    currency = models.CharField(max_length=3, default="COP")
    purchaser = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="comprador",
    )
    purchaser_erased_at = models.DateTimeField(null=True, blank=True, editable=False)
    recipient_name = models.CharField("para", max_length=120, blank=True)
    recipient_phone = models.CharField("WhatsApp del destinatario", max_length=20, blank=True)
    recipient_email = models.EmailField("correo del destinatario", blank=True)
    message = models.CharField("mensaje", max_length=300, blank=True)
    channel = models.CharField(
        "entregar por", max_length=8, choices=Channel.choices, blank=True, default=""
    )
    deliver_at = models.DateTimeField("entregar el", null=True, blank=True)
    delivered_at = models.DateTimeField("entregada el", null=True, blank=True)
    payment_reference = models.CharField(max_length=64, blank=True, db_index=True)
    issued_at = models.DateTimeField("expedida el", null=True, blank=True)
    expires_at = models.DateTimeField("vence el", null=True, blank=True)
    expiry_reminded_at = models.DateTimeField(null=True, blank=True, editable=False)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="emitida por",
    )
    voided_at = models.DateTimeField("anulada el", null=True, blank=True)
    void_reason = models.CharField("motivo de anulación", max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "tarjeta de regalo"
        verbose_name_plural = "tarjetas de regalo"
        ordering = ("-created_at",)
        permissions = [("void_giftcard", "Puede anular tarjetas de regalo")]
        constraints = [
            models.CheckConstraint(
                condition=Q(balance_cents__gte=0), name="vouchers_giftcard_balance_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(amount_cents__gt=0), name="vouchers_giftcard_amount_positive"
            ),
        ]
        indexes = [models.Index(fields=("status", "deliver_at"), name="vouchers_gc_delivery")]

    def __str__(self) -> str:
        return f"Tarjeta ····{self.code_hint}"

    @property
    def label(self) -> str:
        return f"Tarjeta de regalo ····{self.code_hint}"


class GiftCardEntry(models.Model):
    """One change of a card's balance (signed), with the balance it left."""

    class Kind(models.TextChoices):
        ISSUE = "issue", "Expedición"
        HOLD = "hold", "Reserva en un pago"
        RELEASE = "release", "Reserva liberada"
        REFUND = "refund", "Devolución de un pago"
        VOID = "void", "Anulación"

    card = models.ForeignKey(GiftCard, on_delete=models.PROTECT, related_name="entries")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    amount_cents = models.BigIntegerField("valor (centavos)")
    balance_after_cents = models.BigIntegerField("saldo después (centavos)")
    hold = models.ForeignKey(
        "TenderHold", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    note = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "movimiento de tarjeta"
        verbose_name_plural = "movimientos de tarjetas"
        ordering = ("id",)
        constraints = [
            models.CheckConstraint(
                condition=Q(balance_after_cents__gte=0),
                name="vouchers_gcentry_balance_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount_cents}"


class Package(models.Model):
    """A staff-defined bundle: ``sessions`` credits for any of its services, at ``price``."""

    code = models.SlugField("código", max_length=60, unique=True)
    name = models.CharField("nombre", max_length=160)
    description = models.TextField("descripción", blank=True)
    sessions = models.PositiveSmallIntegerField(
        "sesiones", validators=[MinValueValidator(1), MaxValueValidator(100)]
    )
    price_cents = models.BigIntegerField("precio (centavos)", validators=[MinValueValidator(100)])
    currency = models.CharField(max_length=3, default="COP")
    validity_days = models.PositiveSmallIntegerField(
        "vigencia (días)",
        default=365,
        validators=[MinValueValidator(30), MaxValueValidator(1095)],
        help_text="Desde la compra. La SIC recomienda al menos un año para bonos de servicios.",
    )
    active = models.BooleanField("a la venta", default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "paquete"
        verbose_name_plural = "paquetes"
        ordering = ("price_cents",)
        constraints = [
            models.CheckConstraint(condition=Q(sessions__gt=0), name="vouchers_package_sessions"),
            models.CheckConstraint(condition=Q(price_cents__gt=0), name="vouchers_package_price"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def service_codes(self) -> list[str]:
        return [s.service_code for s in self.services.all()]


class PackageService(models.Model):
    """A service (booking's code) a package's credits pay for."""

    package = models.ForeignKey(Package, on_delete=models.CASCADE, related_name="services")
    service_code = models.SlugField("servicio (código)", max_length=60)

    class Meta:
        verbose_name = "servicio incluido"
        verbose_name_plural = "servicios incluidos"
        constraints = [
            models.UniqueConstraint(fields=("package", "service_code"), name="vouchers_pkgsvc_once")
        ]

    def __str__(self) -> str:
        return self.service_code


class PackagePurchase(models.Model):
    """A package someone bought: its credits belong to the buyer."""

    class Status(models.TextChoices):
        PENDING_PAYMENT = "pending_payment", "Pendiente de pago"
        ACTIVE = "active", "Activo"
        CANCELLED = "cancelled", "Compra no pagada"
        REFUNDED = "refunded", "Reembolsado"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    package = models.ForeignKey(Package, on_delete=models.PROTECT, related_name="purchases")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="cliente",
    )
    status = models.CharField(
        "estado", max_length=16, choices=Status.choices, default=Status.PENDING_PAYMENT
    )
    sessions = models.PositiveSmallIntegerField("sesiones compradas")
    credits_left = models.IntegerField("sesiones disponibles", default=0)
    price_cents = models.BigIntegerField("precio pagado (centavos)")
    payment_reference = models.CharField(max_length=64, blank=True, db_index=True)
    activated_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField("vence el", null=True, blank=True)
    expiry_reminded_at = models.DateTimeField(null=True, blank=True, editable=False)
    refunded_cents = models.BigIntegerField("reembolsado (centavos)", default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "paquete comprado"
        verbose_name_plural = "paquetes comprados"
        ordering = ("-created_at",)
        permissions = [("refund_packagepurchase", "Puede reembolsar sesiones no usadas")]
        constraints = [
            models.CheckConstraint(
                condition=Q(credits_left__gte=0), name="vouchers_purchase_credits_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(credits_left__lte=models.F("sessions")),
                name="vouchers_purchase_credits_within_sessions",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.package.name} ({self.credits_left}/{self.sessions})"

    @property
    def unit_value_cents(self) -> int:
        """What one session is worth, for pro-rata refunds."""
        return self.price_cents // self.sessions


class CreditEntry(models.Model):
    """One change of a purchase's credits (signed), with the credits it left."""

    class Kind(models.TextChoices):
        ISSUE = "issue", "Compra"
        HOLD = "hold", "Reserva en una cita"
        RELEASE = "release", "Reserva liberada"
        REFUND = "refund", "Devuelta (cancelación a tiempo)"
        CASH_OUT = "cash_out", "Reembolso de sesiones no usadas"

    purchase = models.ForeignKey(PackagePurchase, on_delete=models.PROTECT, related_name="entries")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    credits = models.IntegerField("sesiones")
    credits_after = models.IntegerField("disponibles después")
    hold = models.ForeignKey(
        "TenderHold", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    note = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "movimiento de sesiones"
        verbose_name_plural = "movimientos de sesiones"
        ordering = ("id",)
        constraints = [
            models.CheckConstraint(
                condition=Q(credits_after__gte=0), name="vouchers_credit_after_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.credits}"


class TenderHold(models.Model):
    """Value a checkout holds on a card or a package purchase (payments' TenderHold)."""

    class State(models.TextChoices):
        HELD = "held", "Reservado"
        CAPTURED = "captured", "Cobrado"
        RELEASED = "released", "Liberado"
        REFUNDED = "refunded", "Devuelto"

    hold_id = models.CharField(max_length=40, unique=True)
    card = models.ForeignKey(
        GiftCard, on_delete=models.PROTECT, null=True, blank=True, related_name="holds"
    )
    purchase = models.ForeignKey(
        PackagePurchase, on_delete=models.PROTECT, null=True, blank=True, related_name="holds"
    )
    state = models.CharField(max_length=8, choices=State.choices, default=State.HELD)
    amount_cents = models.BigIntegerField()
    refunded_cents = models.BigIntegerField(default=0)
    service_code = models.CharField(max_length=60, blank=True)
    purpose = models.CharField(max_length=64)
    ref = models.CharField(max_length=128)
    payment_reference = models.CharField(max_length=64, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "reserva de saldo"
        verbose_name_plural = "reservas de saldo"
        constraints = [
            models.CheckConstraint(
                condition=Q(card__isnull=False, purchase__isnull=True)
                | Q(card__isnull=True, purchase__isnull=False),
                name="vouchers_hold_one_source",
            ),
            models.CheckConstraint(
                condition=Q(amount_cents__gt=0, refunded_cents__gte=0)
                & Q(refunded_cents__lte=models.F("amount_cents")),
                name="vouchers_hold_amounts",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.hold_id} ({self.get_state_display()})"
