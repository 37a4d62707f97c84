"""Demo data: a WhatsApp conversation waiting for a person in the inbox (idempotent).

Messages are stored as the webhook and the assistant would have stored them; nothing is
sent (the outbox is not involved), and the handoff is dated a few minutes ago."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone

from modules.assistant.models import Conversation, Message
from modules.identity import public as identity
from platform_core.notifications import record_inbound

PHONE = "+573101000004"  # Felipe Castro, one of booking's demo clients
SCRIPT = [
    (Message.Direction.INBOUND, Message.Source.USER, "Hola, buenas tardes"),
    (
        Message.Direction.OUTBOUND,
        Message.Source.GEMINI,
        "¡Hola Felipe! Soy el asistente de StudioZens. ¿En qué te ayudo hoy?",
    ),
    (
        Message.Direction.INBOUND,
        Message.Source.USER,
        "Quiero regalarle a mi mamá un masaje con piedras y un facial el mismo día, "
        "¿se puede pagar una parte en efectivo?",
    ),
    (
        Message.Direction.OUTBOUND,
        Message.Source.GEMINI,
        "Puedo reservarte ambos servicios, pero los pagos combinados los maneja el equipo. "
        "Si quieres, te comunico con una persona.",
    ),
    (Message.Direction.INBOUND, Message.Source.USER, "Sí, con un asesor por favor"),
    (
        Message.Direction.OUTBOUND,
        Message.Source.SYSTEM,
        "Te comunico con una persona de nuestro equipo. Te responderemos por aquí mismo "
        "lo antes posible.",
    ),
    (Message.Direction.INBOUND, Message.Source.USER, "Gracias, quedo atento"),
]


def seed(stdout: Any) -> None:
    if not settings.SEED_DEMO_ACTIVITY:
        return
    user = identity.get_user_by_phone(PHONE)
    conversation = Conversation.objects.filter(phone=PHONE, archived_at__isnull=True).first()
    if conversation is None:
        conversation = Conversation.objects.create(phone=PHONE, user_id=user.id if user else None)
    if conversation.messages.exists():
        stdout.write("    assistant: demo conversation already there\n")
        return
    now = timezone.now()
    start = now - timedelta(minutes=2 * len(SCRIPT))
    for index, (direction, source, body) in enumerate(SCRIPT):
        Message.objects.create(
            conversation=conversation,
            direction=direction,
            source=source,
            body=body,
            processed_at=start + timedelta(minutes=2 * index),
            created_at=start + timedelta(minutes=2 * index),
        )
    conversation.state = Conversation.State.HANDED_OFF
    conversation.handed_off_at = start + timedelta(minutes=10)
    conversation.last_inbound_at = now - timedelta(minutes=2)
    conversation.save(update_fields=["state", "handed_off_at", "last_inbound_at", "updated_at"])
    record_inbound(PHONE, at=conversation.last_inbound_at)  # its 24-hour window is open
    stdout.write("    assistant: a WhatsApp conversation waits for a person in the inbox\n")
