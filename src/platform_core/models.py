"""Platform models: audit log, notification outbox, opt-outs, WhatsApp sessions,
idempotency keys and the key-rotation checkpoints."""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q

from platform_core.crypto import EncryptedJSONField, EncryptedTextField
from platform_core.phones import mask_phone


class AppendOnlyError(RuntimeError):
    """Audit events are never changed nor deleted."""


class AuditEvent(models.Model):
    """An append-only record of a security or staff event."""

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    action = models.CharField(max_length=100, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_constraint=False,  # the trail survives account deletion untouched
    )
    actor_label = models.CharField(max_length=150, blank=True)
    target = models.CharField(max_length=255, blank=True, db_index=True)
    details = models.JSONField(default=dict, blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        ordering = ("-created_at", "-id")
        verbose_name = "evento de auditoría"
        verbose_name_plural = "eventos de auditoría"

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.action} {self.target}".strip()

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None and not kwargs.get("force_insert"):
            raise AppendOnlyError("audit events are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise AppendOnlyError("audit events are append-only")


class Channel(models.TextChoices):
    WHATSAPP = "whatsapp", "WhatsApp"
    SMS = "sms", "SMS"
    EMAIL = "email", "Correo"


class NotificationStatus(models.TextChoices):
    PENDING = "pending", "Pendiente"
    SENT = "sent", "Enviada"  # accepted by the provider (queued/sending/sent)
    DELIVERED = "delivered", "Entregada"
    READ = "read", "Leída"
    FAILED = "failed", "Fallida"
    UNDELIVERED = "undelivered", "No entregada"
    SKIPPED = "skipped", "Omitida (opt-out)"


class Notification(models.Model):
    """The outbox: one row per (message, channel), written in the caller's transaction."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    channel = models.CharField(max_length=10, choices=Channel.choices)
    template = models.CharField(max_length=100)
    user_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    to = models.CharField(max_length=254, db_index=True)
    language = models.CharField(max_length=10, default="es-co")
    subject = models.CharField(max_length=255, blank=True)
    body = EncryptedTextField(blank=True)  # may hold an OTP: encrypted at rest
    context = EncryptedJSONField(default=dict, blank=True)
    transactional = models.BooleanField(default=False)
    # NULL (not ""): rows without a key must not collide under the unique constraint.
    idempotency_key = models.CharField(max_length=255, null=True, blank=True)  # noqa: DJ001
    status = models.CharField(
        max_length=12,
        choices=NotificationStatus.choices,
        default=NotificationStatus.PENDING,
        db_index=True,
    )
    provider_status = models.CharField(max_length=30, blank=True)
    provider_sid = models.CharField(max_length=64, null=True, blank=True, unique=True)
    sent_via = models.CharField(max_length=10, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    error_code = models.CharField(max_length=30, blank=True)
    error_message = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-created_at", "-id")
        verbose_name = "notificación"
        verbose_name_plural = "notificaciones"
        constraints = [
            models.UniqueConstraint(
                fields=("channel", "idempotency_key"),
                condition=Q(idempotency_key__isnull=False),
                name="notification_unique_idempotency_key",
            )
        ]
        indexes = [models.Index(fields=("status", "next_attempt_at"), name="notification_due")]

    def __str__(self) -> str:
        return f"{self.template} → {self.masked_to} ({self.channel}, {self.status})"

    @property
    def masked_to(self) -> str:
        if self.channel == Channel.EMAIL:
            name, _, domain = self.to.partition("@")
            return f"{name[:1]}***@{domain}" if domain else "***"
        return mask_phone(self.to)


class NotificationOptOut(models.Model):
    """A user's or a phone's refusal of a channel ("all" = every channel).
    Transactional messages (OTP codes) ignore it."""

    CHANNELS = (*Channel.choices, ("all", "Todos"))

    user_id = models.BigIntegerField(null=True, blank=True)
    phone = models.CharField(max_length=20, blank=True)
    channel = models.CharField(max_length=10, choices=CHANNELS, default="all")
    opted_out = models.BooleanField(default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "preferencia de notificación"
        verbose_name_plural = "preferencias de notificación"
        constraints = [
            models.UniqueConstraint(
                fields=("user_id", "channel"),
                condition=Q(user_id__isnull=False),
                name="optout_unique_user_channel",
            ),
            models.UniqueConstraint(
                fields=("phone", "channel"),
                condition=~Q(phone=""),
                name="optout_unique_phone_channel",
            ),
        ]

    def __str__(self) -> str:
        who = mask_phone(self.phone) if self.phone else f"usuario {self.user_id}"
        return f"{who}: {self.channel} {'bloqueado' if self.opted_out else 'permitido'}"


class MessagingContact(models.Model):
    """Last inbound WhatsApp message per phone: opens WhatsApp's 24-hour session window."""

    phone = models.CharField(max_length=20, unique=True)
    last_inbound_at = models.DateTimeField()

    class Meta:
        verbose_name = "contacto de mensajería"
        verbose_name_plural = "contactos de mensajería"

    def __str__(self) -> str:
        return mask_phone(self.phone)


class IdempotencyKey(models.Model):
    """A stored response for an ``Idempotency-Key`` (per user and scope), kept 24 h."""

    user_id = models.BigIntegerField()
    scope = models.CharField(max_length=100)
    key = models.CharField(max_length=255)
    request_hash = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.BinaryField(null=True, blank=True)
    content_type = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(db_index=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "llave de idempotencia"
        verbose_name_plural = "llaves de idempotencia"
        constraints = [
            models.UniqueConstraint(
                fields=("user_id", "scope", "key"), name="idempotency_unique_user_scope_key"
            )
        ]

    def __str__(self) -> str:
        return f"{self.scope}:{self.key[:12]}"


class KeyRotationCheckpoint(models.Model):
    """Where ``rotate_encryption_keys`` stopped for one model (resumable batches)."""

    model_label = models.CharField(max_length=150)
    key_fingerprint = models.CharField(max_length=32)
    last_pk = models.CharField(max_length=64, blank=True)
    rotated = models.PositiveBigIntegerField(default=0)
    done = models.BooleanField(default=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "avance de rotación de llaves"
        verbose_name_plural = "avances de rotación de llaves"
        constraints = [
            models.UniqueConstraint(
                fields=("model_label", "key_fingerprint"), name="rotation_unique_model_key"
            )
        ]

    def __str__(self) -> str:
        return f"{self.model_label} ({'listo' if self.done else self.last_pk})"


class OutboxTask(models.Model):
    """The task outbox: a Celery task to publish, written in the caller's transaction.

    Publishing happens after commit (``platform_core.outbox.enqueue``); while the broker is
    down the row simply waits, and the periodic relay publishes it when the broker is back.
    A row is claimed (``claimed_until``) before each publish and marked ``published_at``
    after it, so a row is published once. Arguments may hold personal data (a phone
    number): they are encrypted at rest."""

    task = models.CharField(max_length=200)
    args = EncryptedJSONField(default=list, blank=True)
    kwargs = EncryptedJSONField(default=dict, blank=True)
    queue = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    available_at = models.DateTimeField(null=True, blank=True)
    claimed_until = models.DateTimeField(null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ("created_at", "id")
        verbose_name = "tarea pendiente de publicar"
        verbose_name_plural = "tareas pendientes de publicar"
        indexes = [
            models.Index(
                fields=("created_at",),
                condition=Q(published_at__isnull=True),
                name="outbox_task_unpublished",
            )
        ]

    def __str__(self) -> str:
        state = "published" if self.published_at else "pending"
        return f"{self.task} ({state}, {self.attempts} attempts)"
