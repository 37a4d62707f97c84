"""Conversations with WhatsApp numbers, their messages and the actions awaiting a "sí"."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Conversation(models.Model):
    """One live conversation per WhatsApp number, linked to the identity user owning that
    phone, if any. When the number changes owner the conversation is archived with its
    owner (their transcript stays theirs) and the number starts a new one."""

    class State(models.TextChoices):
        BOT = "bot", _("Asistente")
        AWAITING_CONFIRMATION = "awaiting_confirmation", _("Esperando confirmación")
        HANDED_OFF = "handed_off", _("Con el equipo")
        CLOSED = "closed", _("Cerrada")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    phone = models.CharField(_("teléfono"), max_length=20)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assistant_conversations",
    )
    state = models.CharField(max_length=32, choices=State.choices, default=State.BOT)
    # Deterministic menu position ({"step": ..., "options": [...], "until": iso}) while it drives.
    menu_state = models.JSONField(default=dict, blank=True)
    # "awaiting_code" while an unknown number is confirming its sign-up OTP.
    signup_stage = models.CharField(max_length=20, blank=True, default="")
    handed_off_at = models.DateTimeField(null=True, blank=True)
    # Set when the number's owner changed (the client moved to another number, or the number
    # moved to another account): the conversation stays with its owner, read-only.
    archived_at = models.DateTimeField(_("archivada"), null=True, blank=True)
    last_inbound_at = models.DateTimeField(null=True, blank=True)
    # When a staff member last opened it in the inbox: later inbound messages are unread.
    staff_read_at = models.DateTimeField(_("leída por el equipo"), null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("conversación")
        verbose_name_plural = _("conversaciones")
        ordering = ("-updated_at",)
        indexes = [models.Index(fields=["state", "-updated_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["phone"],
                condition=models.Q(archived_at__isnull=True),
                name="assistant_one_live_conversation_per_phone",
            )
        ]

    def __str__(self) -> str:
        from platform_core.phones import mask_phone

        return mask_phone(self.phone)


class HandoffConversation(Conversation):
    """Admin view of the conversations waiting for a person (the handoff queue)."""

    class Meta:
        proxy = True
        verbose_name = _("conversación en espera de asesor")
        verbose_name_plural = _("cola de atención humana")


class Message(models.Model):
    class Direction(models.TextChoices):
        INBOUND = "in", _("Entrante")
        OUTBOUND = "out", _("Saliente")

    class Source(models.TextChoices):
        USER = "user", _("Cliente")
        GEMINI = "gemini", _("Asistente (IA)")
        MENU = "menu", _("Menú")
        SYSTEM = "system", _("Sistema")
        STAFF = "staff", _("Equipo")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="messages"
    )
    direction = models.CharField(max_length=3, choices=Direction.choices)
    source = models.CharField(max_length=10, choices=Source.choices)
    # Twilio's MessageSid for inbound messages: the unique constraint de-duplicates retries.
    provider_sid = models.CharField(max_length=64, null=True, blank=True, unique=True)
    body = models.TextField(blank=True, default="")
    num_media = models.PositiveSmallIntegerField(default=0)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    processed_at = models.DateTimeField(null=True, blank=True)
    # Processing attempts of an inbound message (bounded by ASSISTANT_MAX_ATTEMPTS), when the
    # sweep may try it again (exponential backoff), and why the last attempt failed.
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    failure = models.CharField(_("fallo"), max_length=200, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("mensaje")
        verbose_name_plural = _("mensajes")
        ordering = ("created_at", "id")

    def __str__(self) -> str:
        return f"{self.get_direction_display()} {self.created_at:%Y-%m-%d %H:%M}"


class Proposal(models.Model):
    """An action the assistant will run only after an explicit "sí" bound to this row."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pendiente")
        EXECUTED = "executed", _("Ejecutada")
        FAILED = "failed", _("Falló")
        REJECTED = "rejected", _("Rechazada")
        EXPIRED = "expired", _("Vencida")
        SUPERSEDED = "superseded", _("Reemplazada")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="proposals"
    )
    tool_name = models.CharField(max_length=64)
    args = models.JSONField(default=dict)
    summary = models.TextField()
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    via_menu = models.BooleanField(default=False)
    result = models.JSONField(default=dict, blank=True)
    expires_at = models.DateTimeField()
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("propuesta")
        verbose_name_plural = _("propuestas")
        ordering = ("-created_at",)
        constraints = [
            # At most one action waits for a "sí" in a conversation at any time.
            models.UniqueConstraint(
                fields=["conversation"],
                condition=models.Q(status="pending"),
                name="assistant_one_pending_proposal",
            )
        ]

    def __str__(self) -> str:
        return f"{self.tool_name} ({self.get_status_display()})"


class ModelTurn(models.Model):
    """One Gemini (or fallback) decision, for the fallback-rate metric."""

    class Engine(models.TextChoices):
        GEMINI = "gemini", "Gemini"
        MENU = "menu", _("Menú")

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="turns")
    engine = models.CharField(max_length=8, choices=Engine.choices)
    reason = models.CharField(max_length=32, blank=True, default="")  # why the menu answered
    intent = models.CharField(max_length=20, blank=True, default="")  # what the fallback read
    tool_calls = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("turno del asistente")
        verbose_name_plural = _("turnos del asistente")

    def __str__(self) -> str:
        return f"{self.engine} {self.created_at:%Y-%m-%d %H:%M}"


class ShortLink(models.Model):
    """A short redirect to a long payment URL (Wompi's checkout links carry a long query
    string): WhatsApp replies stay short and readable. Expires with the payment."""

    code = models.CharField(max_length=16, unique=True)
    target = models.URLField(max_length=2000)
    expires_at = models.DateTimeField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("enlace corto")
        verbose_name_plural = _("enlaces cortos")

    def __str__(self) -> str:
        return self.code
