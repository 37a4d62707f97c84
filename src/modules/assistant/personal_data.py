"""The assistant's part of a user's data export and erasure."""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from modules.assistant.models import Conversation
from platform_core.renderers import api_time


def _conversations(user: Any) -> Any:
    """The user's conversations, archived ones included, plus the live conversation of their
    number while it is not linked to anyone else (written before they signed up). A live
    conversation still linked to the number's previous owner is that owner's."""
    query = Q(user=user)
    if getattr(user, "phone_number", ""):
        query |= Q(phone=user.phone_number, archived_at__isnull=True, user__isnull=True)
    return Conversation.objects.filter(query)


def export_user(user: Any) -> dict[str, Any]:
    return {
        "conversations": [
            {
                "id": str(conv.public_id),
                "phone": conv.phone,
                "state": conv.state,
                "created_at": api_time(conv.created_at),
                "messages": [
                    {
                        "direction": m.direction,
                        "source": m.source,
                        "body": m.body,
                        "created_at": api_time(m.created_at),
                    }
                    for m in conv.messages.all()
                ],
                "proposals": [
                    {
                        "tool": p.tool_name,
                        "summary": p.summary,
                        "status": p.status,
                        "created_at": api_time(p.created_at),
                    }
                    for p in conv.proposals.all()
                ],
            }
            for conv in _conversations(user).prefetch_related("messages", "proposals")
        ]
    }


def erase_user(user: Any) -> None:
    """Transcripts hold free text (names, addresses): delete them with the conversation."""
    _conversations(user).delete()
