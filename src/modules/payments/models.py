"""Payments' private data: attempts, webhook events, the ledger, refunds, payouts.

Integrity that matters is enforced here by the database: unique references, one
stored row per webhook event, one charge/commission ledger entry per payment, one
payout allocation per ledger entry. Payments knows no purpose: VIP membership's rows
are membership's (modules/membership/models.py).
"""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q

from platform_core.crypto import EncryptedTextField


class PaymentStatus(models.TextChoices):
    PENDING = "PENDING", "Pendiente"
    APPROVED = "APPROVED", "Aprobado"
    DECLINED = "DECLINED", "Rechazado"
    VOIDED = "VOIDED", "Anulado"
    ERROR = "ERROR", "Error"
    EXPIRED = "EXPIRED", "Expirado"


FINAL_STATUSES = frozenset(
    {
        PaymentStatus.APPROVED,
        PaymentStatus.DECLINED,
        PaymentStatus.VOIDED,
        PaymentStatus.ERROR,
        PaymentStatus.EXPIRED,
    }
)


class PaymentKind(models.TextChoices):
    CHECKOUT = "checkout", "Web Checkout"
    PAYMENT_SOURCE = "payment_source", "Fuente de pago (cobro recurrente)"
    DESK = "desk", "Cobro en el spa"


TENDER_METHOD = "TENDER"  # Payment.method of an attempt the tenders covered entirely


class ChargeKind(models.TextChoices):
    """What an approved payment is in the ledger: an ordinary charge, or a penalty the
    purpose charges for a broken commitment (booking's no-show and late-cancellation fees),
    kept apart so the owner's numbers can tell them from sales."""

    CHARGE = "charge", "Cobro"
    PENALTY = "penalty", "Penalidad (inasistencia o cancelación tardía)"


class DeskMethod(models.TextChoices):
    """How a payment taken in person at the spa was made (Payment.method of a DESK)."""

    CASH = "cash", "Efectivo"
    CARD_TERMINAL = "card_terminal", "Datáfono"
    TRANSFER = "transfer", "Transferencia"


class Payment(models.Model):
    """One payment attempt. The reference is its public, unguessable identifier."""

    reference = models.CharField("referencia", max_length=64, unique=True, editable=False)
    purpose = models.CharField("propósito", max_length=64, db_index=True)
    purpose_ref = models.CharField("referencia del propósito", max_length=128, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="payments",
        verbose_name="cliente",
    )
    kind = models.CharField(
        max_length=20, choices=PaymentKind.choices, default=PaymentKind.CHECKOUT
    )
    amount_cents = models.BigIntegerField("monto (centavos)")
    # The part applied by tenders (gift cards, package credits: TenderApplication); Wompi
    # is asked for the rest (``gateway_cents``).
    tendered_cents = models.BigIntegerField("pagado con bonos (centavos)", default=0)
    currency = models.CharField("moneda", max_length=3, default="COP")
    # The ledger kind its settlement is recorded as (charge, or penalty).
    charge_kind = models.CharField(
        "tipo de cobro", max_length=10, choices=ChargeKind.choices, default=ChargeKind.CHARGE
    )
    description = models.CharField("descripción", max_length=255, blank=True)
    status = models.CharField(
        "estado",
        max_length=10,
        choices=PaymentStatus.choices,
        default=PaymentStatus.PENDING,
        db_index=True,
    )
    wompi_transaction_id = models.CharField(
        "id de transacción Wompi", max_length=64, blank=True, db_index=True
    )
    method = models.CharField("medio de pago", max_length=32, blank=True)
    status_message = models.CharField(max_length=255, blank=True)
    provider_payload = models.JSONField("respuesta del proveedor (redactada)", default=dict)
    customer_email = models.EmailField(blank=True)
    # Who took a payment at the desk (DESK kind); online payments have none.
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="registrado por",
    )
    needs_review = models.BooleanField("requiere revisión", default=False, db_index=True)
    review_reason = models.CharField("motivo de revisión", max_length=255, blank=True)
    refund_requested = models.BooleanField("reembolso solicitado", default=False)
    expires_at = models.DateTimeField("expira", null=True, blank=True)
    finalized_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "pago"
        verbose_name_plural = "pagos"
        ordering = ("-created_at", "-id")
        indexes = [models.Index(fields=["purpose", "purpose_ref", "-created_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount_cents__gt=0), name="payments_payment_amount_positive"
            ),
            models.CheckConstraint(
                condition=Q(tendered_cents__gte=0, tendered_cents__lte=models.F("amount_cents")),
                name="payments_payment_tendered_within_amount",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} ({self.status})"

    @property
    def is_final(self) -> bool:
        return self.status in FINAL_STATUSES

    @property
    def gateway_cents(self) -> int:
        """What Wompi charges for this attempt: the amount less the tenders applied."""
        return self.amount_cents - self.tendered_cents


class TenderApplication(models.Model):
    """A tender's hold on one payment: the provider (a plugin's ``TenderProvider``, by
    ``kind``) set ``amount_cents`` aside under ``hold_id``; payments captures it when the
    payment settles, releases it when the attempt fails, refunds value to it first."""

    class State(models.TextChoices):
        HELD = "held", "Retenido"
        CAPTURED = "captured", "Cobrado"
        RELEASED = "released", "Liberado"
        REFUNDED = "refunded", "Devuelto"  # refunded_cents == amount_cents

    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="tenders")
    position = models.PositiveSmallIntegerField("orden")
    kind = models.CharField("medio", max_length=32)
    hold_id = models.CharField("retención", max_length=64)
    amount_cents = models.BigIntegerField("monto (centavos)")
    refunded_cents = models.BigIntegerField("devuelto (centavos)", default=0)
    label = models.CharField("detalle", max_length=120)
    state = models.CharField("estado", max_length=10, choices=State.choices, default=State.HELD)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "medio de pago aplicado"
        verbose_name_plural = "medios de pago aplicados"
        ordering = ("payment", "position")
        constraints = [
            models.UniqueConstraint(fields=["kind", "hold_id"], name="payments_tender_one_hold"),
            models.UniqueConstraint(
                fields=["payment", "position"], name="payments_tender_position"
            ),
            models.CheckConstraint(
                condition=Q(amount_cents__gt=0), name="payments_tender_amount_positive"
            ),
            models.CheckConstraint(
                condition=Q(refunded_cents__gte=0, refunded_cents__lte=models.F("amount_cents")),
                name="payments_tender_refund_within_amount",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.label} ({self.state})"


class WebhookEvent(models.Model):
    """Every verified event we stored, once per meaning.

    ``event_key`` is unique (the database refuses a second row) and derived from what the
    event says (type, Wompi transaction id and status, plus the transaction's amount and
    currency), not from its signature or timestamp: Wompi re-signs a retried event with a
    new timestamp, and those copies are the same event (stored and applied once). See
    ``webhooks.event_key``.
    """

    class Outcome(models.TextChoices):
        RECEIVED = "received", "Recibido"
        APPLIED = "applied", "Aplicado"
        NOOP = "noop", "Sin cambios"
        FLAGGED = "flagged", "Marcado para revisión"
        IGNORED = "ignored", "Ignorado"
        UNKNOWN_REFERENCE = "unknown_reference", "Referencia desconocida"
        REFUNDED = "refunded", "Reembolsado (cobro adicional)"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    event_key = models.CharField(max_length=64, unique=True)
    event_type = models.CharField(max_length=64)
    environment = models.CharField(max_length=10, blank=True)
    transaction_id = models.CharField(max_length=64, blank=True, db_index=True)
    reference = models.CharField(max_length=64, blank=True, db_index=True)
    status = models.CharField(max_length=20, blank=True)
    payload = models.JSONField(default=dict)  # verified body, redacted of personal data
    outcome = models.CharField(max_length=20, choices=Outcome.choices, default=Outcome.RECEIVED)
    detail = models.CharField(max_length=255, blank=True)
    payment = models.ForeignKey(
        Payment, on_delete=models.SET_NULL, null=True, blank=True, related_name="events"
    )
    received_at = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "evento de Wompi"
        verbose_name_plural = "eventos de Wompi"
        ordering = ("-received_at", "-id")

    def __str__(self) -> str:
        return f"{self.event_type} {self.reference} {self.status}"


class LedgerEntry(models.Model):
    """Append-only money movements. Balances are sums; nothing is ever updated or deleted."""

    class Kind(models.TextChoices):
        CHARGE = "charge", "Cobro"
        PENALTY = "penalty", "Penalidad (inasistencia o cancelación tardía)"
        DESK_CHARGE = "desk_charge", "Cobro en el spa"
        REFUND = "refund", "Reembolso"
        FEE = "fee", "Comisión de pasarela"
        COMMISSION = "commission", "Comisión del desarrollador"
        COMMISSION_REVERSAL = "commission_reversal", "Reverso de comisión"
        # Value of a tender (gift card, package credit) applied to a payment, and given
        # back to it: not money received, so the takings and revenue leave them out.
        TENDER_REDEMPTION = "tender_redemption", "Pago con bono"
        TENDER_REFUND = "tender_refund", "Devolución a bono"
        PAYOUT = "payout", "Dispersión"
        PAYOUT_REVERSAL = "payout_reversal", "Reverso de dispersión"

    class Account(models.TextChoices):
        MERCHANT = "merchant", "Spa"
        DEVELOPER = "developer", "Desarrollador"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(max_length=24, choices=Kind.choices)
    account = models.CharField(max_length=12, choices=Account.choices)
    amount_cents = models.BigIntegerField()  # signed: credits positive, debits negative
    currency = models.CharField(max_length=3, default="COP")
    payment = models.ForeignKey(
        Payment, on_delete=models.PROTECT, null=True, blank=True, related_name="ledger_entries"
    )
    payout = models.ForeignKey(
        "Payout", on_delete=models.PROTECT, null=True, blank=True, related_name="ledger_entries"
    )
    purpose = models.CharField(max_length=64, blank=True, db_index=True)
    memo = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = "movimiento contable"
        verbose_name_plural = "libro contable"
        ordering = ("-created_at", "-id")
        constraints = [
            # A payment is charged (and accrues commission) exactly once.
            models.UniqueConstraint(
                fields=["payment", "kind", "account"],
                condition=Q(kind__in=["charge", "commission"]),
                name="payments_ledger_one_charge_per_payment",
            ),
            # ... and so is a penalty (its own constraint: the one above stays as it was).
            models.UniqueConstraint(
                fields=["payment", "account"],
                condition=Q(kind="penalty"),
                name="payments_ledger_one_penalty_per_payment",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.account} {self.amount_cents}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None and not kwargs.get("force_insert"):
            raise ValueError("Ledger entries are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise ValueError("Ledger entries are append-only")


# Ledger kinds of money a client paid online (a sale, or a penalty): reports sum both.
CHARGE_KINDS = (LedgerEntry.Kind.CHARGE, LedgerEntry.Kind.PENALTY)


class Outcome(models.Model):
    """The outcome outbox: what a payment's purpose must learn (settled, failed, refunded),
    written in the transaction that changed the payment and handed to the purpose's
    handler after commit (``modules.payments.outbox``). One per payment and kind.

    Delivery state is columns: ``attempts``, ``next_try_at`` (None once delivered or given
    up), ``delivered_at``, ``last_error``. The handler runs in the same transaction that
    sets ``delivered_at``, so a delivered outcome's effects happened exactly once."""

    class Kind(models.TextChoices):
        SETTLED = "settled", "Pago recibido"
        FAILED = "failed", "Pago fallido"
        REFUNDED = "refunded", "Pago reembolsado"

    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="outcomes")
    kind = models.CharField("resultado", max_length=10, choices=Kind.choices)
    purpose = models.CharField("propósito", max_length=64)
    purpose_ref = models.CharField("referencia del propósito", max_length=128)
    amount_cents = models.BigIntegerField(default=0)  # settled: charged; refunded: returned
    status = models.CharField(max_length=20, blank=True)  # the payment's status when written
    late = models.BooleanField("tardío", default=False)  # settled after the attempt expired
    attempts = models.PositiveIntegerField("intentos", default=0)
    next_try_at = models.DateTimeField("próximo intento", null=True, blank=True)
    delivered_at = models.DateTimeField("entregado", null=True, blank=True)
    last_error = models.CharField("último error", max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "resultado de pago"
        verbose_name_plural = "resultados de pago"
        ordering = ("created_at", "id")
        constraints = [
            models.UniqueConstraint(
                fields=["payment", "kind"], name="payments_one_outcome_per_kind"
            )
        ]
        indexes = [
            models.Index(
                fields=["next_try_at"],
                condition=Q(delivered_at__isnull=True),
                name="payments_outcome_due",
            )
        ]

    def __str__(self) -> str:
        state = "entregado" if self.delivered_at else f"pendiente ({self.attempts} intentos)"
        return f"{self.kind} {self.payment_id}: {state}"


class Refund(models.Model):
    class Status(models.TextChoices):
        REQUESTED = "requested", "Solicitado (anulando en Wompi)"
        VOIDED = "voided", "Anulado en Wompi"
        PENDING_MANUAL = "pending_manual", "Pendiente (reembolso manual)"
        COMPLETED = "completed", "Reembolsado manualmente"
        REJECTED = "rejected", "Rechazado"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="refunds")
    # What goes back through Wompi (or by staff); ``tender_cents`` went back to the
    # payment's tenders at once when the refund was requested.
    amount_cents = models.BigIntegerField()
    tender_cents = models.BigIntegerField("devuelto a bonos (centavos)", default=0)
    reason = models.CharField(max_length=255)
    status = models.CharField(max_length=20, choices=Status.choices)
    processed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    # The Wompi transaction refunded. Usually the payment's own; a second approved
    # transaction on the same reference (a double charge) is refunded as an "extra"
    # one: its money never entered the ledger, so its refund does not leave it either.
    transaction_id = models.CharField("transacción Wompi", max_length=64, blank=True)
    extra_transaction = models.BooleanField("cobro adicional de la referencia", default=False)
    note = models.CharField(max_length=255, blank=True)
    # When a worker last took this refund to Wompi (void): claimed in its own short
    # transaction so the call runs outside any lock and is not repeated concurrently.
    attempted_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "reembolso"
        verbose_name_plural = "reembolsos"
        ordering = ("-created_at",)
        constraints = [
            models.CheckConstraint(
                condition=Q(amount_cents__gte=0, tender_cents__gte=0)
                & (Q(amount_cents__gt=0) | Q(tender_cents__gt=0)),
                name="payments_refund_amount_positive",
            ),
            # A double charge is refunded once, however often Wompi reports it.
            models.UniqueConstraint(
                fields=["payment", "transaction_id"],
                condition=Q(extra_transaction=True),
                name="payments_refund_one_per_extra_transaction",
            ),
        ]

    def __str__(self) -> str:
        return f"Reembolso {self.payment.reference} ({self.status})"

    @property
    def total_cents(self) -> int:
        """Everything this refund returns: through Wompi or staff, and to tenders."""
        return self.amount_cents + self.tender_cents


class Payout(models.Model):
    class Status(models.TextChoices):
        CREATED = "CREATED", "Creada (por enviar)"
        PENDING_APPROVAL = "PENDING_APPROVAL", "Pendiente de aprobación"
        PENDING = "PENDING", "Pendiente"
        NOT_APPROVED = "NOT_APPROVED", "No aprobada"
        REJECTED = "REJECTED", "Rechazada"
        PARTIAL_PAYMENT = "PARTIAL_PAYMENT", "Pago parcial"
        TOTAL_PAYMENT = "TOTAL_PAYMENT", "Pagada"
        FAILED = "FAILED", "Fallida"

    FINAL = ("REJECTED", "NOT_APPROVED", "TOTAL_PAYMENT", "FAILED", "PARTIAL_PAYMENT")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    idempotency_key = models.CharField(max_length=64, unique=True)
    reference = models.CharField(max_length=64, unique=True)
    amount_cents = models.BigIntegerField()
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.CREATED)
    provider_id = models.CharField(max_length=64, blank=True)
    provider_payload = models.JSONField(default=dict)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "dispersión"
        verbose_name_plural = "dispersiones"
        ordering = ("-created_at",)
        constraints = [
            models.CheckConstraint(
                condition=Q(amount_cents__gt=0), name="payments_payout_amount_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} ({self.status})"


class PayoutAllocation(models.Model):
    """Which commission entries a payout disperses. One live allocation per entry."""

    payout = models.ForeignKey(Payout, on_delete=models.PROTECT, related_name="allocations")
    entry = models.OneToOneField(
        LedgerEntry, on_delete=models.PROTECT, related_name="payout_allocation"
    )

    class Meta:
        verbose_name = "asignación de dispersión"
        verbose_name_plural = "asignaciones de dispersión"

    def __str__(self) -> str:
        return f"{self.payout_id} <- {self.entry_id}"


class SavedCard(models.Model):
    """A client's card on file: the Wompi payment source (a reusable credential, encrypted
    at rest), its masked face, and the acceptance of Wompi's documents it was created
    with. One per user; replacing it voids the old source at Wompi."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="saved_card",
        verbose_name="cliente",
    )
    payment_source_id = EncryptedTextField("fuente de pago en Wompi")
    source_status = models.CharField("estado en Wompi", max_length=20, blank=True)
    brand = models.CharField("franquicia", max_length=20, blank=True)
    last_four = models.CharField("últimos cuatro", max_length=4, blank=True)
    customer_email = models.EmailField(blank=True)
    acceptance_token = models.TextField(blank=True)
    acceptance_permalink = models.URLField(max_length=500, blank=True)
    personal_data_token = models.TextField(blank=True)
    personal_data_permalink = models.URLField(max_length=500, blank=True)
    accepted_at = models.DateTimeField("términos aceptados")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "tarjeta guardada"
        verbose_name_plural = "tarjetas guardadas"

    def __str__(self) -> str:
        return f"{self.brand} •••• {self.last_four}"
