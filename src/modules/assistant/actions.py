"""What the assistant's turns, its sweeps and staff all do to a conversation: reply on
WhatsApp, propose an action to confirm, hand the conversation to staff."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from modules.assistant import gemini, integrations, menu
from modules.assistant.formatting import split_message
from modules.assistant.models import Conversation, Message, Proposal
from modules.assistant.toolbox import available_tools
from platform_core.phones import mask_phone
from platform_core.plugins import ToolContext


def supersede_pending(conversation: Conversation, now: datetime) -> None:
    """The conversation's pending proposal (at most one) will never run."""
    Proposal.objects.filter(conversation=conversation, status=Proposal.Status.PENDING).update(
        status=Proposal.Status.SUPERSEDED, decided_at=now
    )


def propose(
    conversation: Conversation, action: gemini.PendingAction, *, via_menu: bool
) -> Proposal:
    """Store what would be done and ask for an explicit "sí" (nothing runs yet)."""
    now = timezone.now()
    supersede_pending(conversation, now)
    proposal = Proposal.objects.create(
        conversation=conversation,
        tool_name=action.tool.name,
        args=action.args,
        summary=action.summary,
        via_menu=via_menu,
        expires_at=now + timedelta(minutes=settings.ASSISTANT_CONFIRMATION_MINUTES),
    )
    conversation.state = Conversation.State.AWAITING_CONFIRMATION
    conversation.save(update_fields=["state", "updated_at"])
    reply(
        conversation,
        f"{action.summary}\n\n" + _("¿Confirmas? Responde *sí* o *no*."),
        source=Message.Source.MENU if via_menu else Message.Source.GEMINI,
    )
    return proposal


def reply(
    conversation: Conversation,
    text: str,
    *,
    source: str,
    author: Any = None,
    template: str = integrations.REPLY_TEMPLATE,
    public_id: uuid.UUID | None = None,
) -> list[Message]:
    """Store the outbound text and queue it on WhatsApp, split at WhatsApp's length limit.
    ``public_id`` names the (first) stored message, for replies stored once per cause."""
    messages = []
    for chunk in split_message(text):
        ids = {"public_id": public_id} if public_id is not None and not messages else {}
        message = Message.objects.create(
            **ids,
            conversation=conversation,
            direction=Message.Direction.OUTBOUND,
            source=source,
            body=chunk,
            author=author,
            processed_at=timezone.now(),
        )
        integrations.send_whatsapp(
            phone=conversation.phone,
            user_id=conversation.user_id,
            body=chunk,
            idempotency_key=f"assistant:{message.public_id}",
            template=template,
        )
        messages.append(message)
    return messages


def hand_off(conversation: Conversation, *, reason: str = "") -> None:
    """Put the conversation in the staff queue; the bot stays silent until released.
    ``reason`` (for staff, never sent to the client) is kept in the audit log. The staff
    on duty (``ASSISTANT_HANDOFF_ALERT_ROLES``) are alerted once per handoff."""
    already = conversation.state == Conversation.State.HANDED_OFF
    supersede_pending(conversation, timezone.now())
    conversation.state = Conversation.State.HANDED_OFF
    if not already or conversation.handed_off_at is None:
        conversation.handed_off_at = timezone.now()
    conversation.menu_state = {}
    conversation.save(update_fields=["state", "handed_off_at", "menu_state", "updated_at"])
    integrations.audit(
        "assistant.handoff",
        target=f"assistant.conversation:{conversation.public_id}",
        details={"reason": reason} if reason else None,
    )
    _alert_staff(conversation)
    tools = available_tools(has_user=conversation.user_id is not None)
    ctx = ToolContext(user=conversation.user, conversation_id=str(conversation.public_id))
    hours = menu.hours_text(tools, ctx)
    reply(
        conversation,
        _(
            "Te comunico con una persona de nuestro equipo. Te responderemos por aquí mismo "
            "lo antes posible. Nuestro horario:\n%(hours)s"
        )
        % {"hours": hours},
        source=Message.Source.SYSTEM,
    )


def _alert_staff(conversation: Conversation) -> None:
    """One alert per handoff and staff member (the key carries the handoff's time)."""
    stamp = conversation.handed_off_at.isoformat() if conversation.handed_off_at else ""
    client = conversation.user.get_full_name() if conversation.user_id else ""
    integrations.alert_staff(
        roles=tuple(settings.ASSISTANT_HANDOFF_ALERT_ROLES),
        context={
            "client": client or mask_phone(conversation.phone),
            "url": f"{settings.SITE_URL}/admin/assistant/handoffconversation/"
            f"{conversation.pk}/change/",
        },
        key=f"assistant:handoff-alert:{conversation.public_id}:{stamp}",
    )
