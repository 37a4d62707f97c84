"""The staff inbox: staff answer a handed-off conversation, give it back to the assistant
(or close it), mark it read; unanswered handoffs return to the assistant on their own."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from modules.assistant import integrations
from modules.assistant.actions import reply
from modules.assistant.models import Conversation, Message
from platform_core.errors import ValidationFailed


def staff_reply(conversation: Conversation, *, author: Any, text: str) -> list[Message]:
    """A staff member answers from the admin; the conversation stays with staff."""
    text = (text or "").strip()
    if not text:
        raise ValidationFailed(_("Escribe un mensaje."))
    with transaction.atomic():
        conv = Conversation.objects.select_for_update().get(pk=conversation.pk)
        if conv.archived_at is not None:
            raise ValidationFailed(
                _(
                    "Esta conversación está archivada: el número ya no es de este cliente. "
                    "Escríbele en su conversación actual."
                )
            )
        if conv.state != Conversation.State.HANDED_OFF:
            conv.state = Conversation.State.HANDED_OFF
            conv.handed_off_at = conv.handed_off_at or timezone.now()
            conv.save(update_fields=["state", "handed_off_at", "updated_at"])
        integrations.audit(
            "assistant.staff_reply", actor=author, target=f"assistant.conversation:{conv.public_id}"
        )
        conv.staff_read_at = timezone.now()  # answering is reading
        conv.save(update_fields=["staff_read_at", "updated_at"])
        return reply(
            conv,
            text,
            source=Message.Source.STAFF,
            author=author,
            template=integrations.STAFF_REPLY_TEMPLATE,
        )


def release_to_bot(conversation: Conversation, *, closed: bool = False) -> None:
    """Staff is done: the bot answers again (or the conversation is closed)."""
    Conversation.objects.filter(pk=conversation.pk, archived_at__isnull=True).update(
        state=Conversation.State.CLOSED if closed else Conversation.State.BOT,
        menu_state={},
        updated_at=timezone.now(),
    )


def mark_read(conversation: Conversation) -> None:
    """A staff member opened the conversation: its inbound messages so far are read."""
    Conversation.objects.filter(pk=conversation.pk).update(staff_read_at=timezone.now())


def return_to_assistant(conversation: Conversation, *, author: Any = None) -> bool:
    """Staff hands the conversation back ("Devolver al asistente") and the client is told.
    False when it was no longer with staff (released meanwhile, or archived)."""
    with transaction.atomic():
        conv = (
            Conversation.objects.select_for_update()
            .filter(pk=conversation.pk, archived_at__isnull=True)
            .first()
        )
        if conv is None or conv.state != Conversation.State.HANDED_OFF:
            return False
        _back_to_bot(conv, "assistant.handoff_returned", author)
        reply(
            conv,
            _(
                "Te dejo de nuevo con nuestro asistente virtual. Si necesitas a una persona, "
                "escribe *asesor*."
            ),
            source=Message.Source.SYSTEM,
        )
    return True


def release_stale_handoffs(*, minutes: int | None = None, limit: int = 100) -> int:
    """Beat task body: a handoff no staff member answered within ``minutes``
    (``ASSISTANT_HANDOFF_TIMEOUT_MINUTES``) returns to the assistant, and the client is
    told. Rows are locked one by one (SKIP LOCKED: a reply being written wins)."""
    minutes = settings.ASSISTANT_HANDOFF_TIMEOUT_MINUTES if minutes is None else minutes
    cutoff = timezone.now() - timedelta(minutes=minutes)
    stale = Conversation.objects.filter(
        state=Conversation.State.HANDED_OFF,
        archived_at__isnull=True,
        handed_off_at__lte=cutoff,
    )
    released = 0
    for pk in list(stale.values_list("pk", flat=True)[:limit]):
        with transaction.atomic():
            conv = stale.select_for_update(skip_locked=True).filter(pk=pk).first()
            if conv is None:
                continue
            answered = conv.messages.filter(
                source=Message.Source.STAFF, created_at__gte=conv.handed_off_at
            ).exists()
            if answered:
                continue
            _back_to_bot(conv, "assistant.handoff_timed_out", None)
            reply(
                conv,
                _(
                    "Disculpa la espera: nuestro equipo no alcanzó a responderte. "
                    "Te sigo atendiendo yo, el asistente virtual. Si quieres intentar de nuevo "
                    "con una persona, escribe *asesor*."
                ),
                source=Message.Source.SYSTEM,
            )
            released += 1
    return released


def _back_to_bot(conv: Conversation, action: str, author: Any) -> None:
    conv.state = Conversation.State.BOT
    conv.menu_state = {}
    conv.save(update_fields=["state", "menu_state", "updated_at"])
    integrations.audit(action, actor=author, target=f"assistant.conversation:{conv.public_id}")
