"""Read queries for the admin and the staff API: metrics and transcripts."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.db.models import Count, Q
from django.db.models.functions import TruncDate
from django.utils import timezone

from modules.assistant.models import Conversation, Message, ModelTurn, Proposal
from platform_core.models import MessagingContact

BOOKING_TOOL = "book_appointment"


def metrics(*, days: int = 14) -> dict[str, Any]:
    """Messages per day, bookings made through the assistant, handoffs and the fallback rate."""
    since = timezone.now() - timedelta(days=days)
    per_day: dict[date, dict[str, int]] = {}
    rows = (
        Message.objects.filter(created_at__gte=since)
        .annotate(day=TruncDate("created_at"))
        .values("day")
        .annotate(
            inbound=Count("id", filter=Q(direction=Message.Direction.INBOUND)),
            outbound=Count("id", filter=Q(direction=Message.Direction.OUTBOUND)),
        )
        .order_by("day")
    )
    for row in rows:
        per_day[row["day"]] = {"inbound": row["inbound"], "outbound": row["outbound"]}
    turns = ModelTurn.objects.filter(created_at__gte=since).aggregate(
        total=Count("id"),
        fallback=Count("id", filter=Q(engine=ModelTurn.Engine.MENU) & ~Q(reason="menu")),
        menu=Count("id", filter=Q(engine=ModelTurn.Engine.MENU)),
    )
    total = turns["total"] or 0
    return {
        "days": days,
        "messages_per_day": [
            {"day": day.isoformat(), **counts} for day, counts in sorted(per_day.items())
        ],
        "bookings_by_assistant": Proposal.objects.filter(
            tool_name=BOOKING_TOOL, status=Proposal.Status.EXECUTED, decided_at__gte=since
        ).count(),
        "handoffs": Conversation.objects.filter(handed_off_at__gte=since).count(),
        "waiting_for_staff": Conversation.objects.filter(
            state=Conversation.State.HANDED_OFF
        ).count(),
        "turns": total,
        "fallback_turns": turns["fallback"],
        "fallback_rate": round(turns["fallback"] / total, 4) if total else 0.0,
    }


# --- The staff inbox -----------------------------------------------------------------------------
def inbox() -> Any:
    """Conversations waiting for a person, newest client message first, each with its
    unread count (inbound messages after a staff member last opened it), its last
    message and when the client last wrote. One query, whatever the number of rows."""
    from django.db.models import DateTimeField, F, Max, OuterRef, Subquery, Value
    from django.db.models.functions import Coalesce

    last = Message.objects.filter(conversation=OuterRef("pk")).order_by("-created_at", "-id")
    epoch = Value(timezone.make_aware(timezone.datetime(2000, 1, 1)), DateTimeField())
    return (
        Conversation.objects.filter(state=Conversation.State.HANDED_OFF, archived_at__isnull=True)
        .select_related("user")
        .annotate(
            last_in=Max("messages__created_at", filter=Q(messages__direction="in")),
            unread=Count(
                "messages",
                filter=Q(messages__direction="in")
                & Q(messages__created_at__gt=Coalesce(F("staff_read_at"), epoch)),
            ),
            last_body=Subquery(last.values("body")[:1]),
            last_source=Subquery(last.values("source")[:1]),
            # WhatsApp's 24-hour window: when the number last wrote (platform_core's record).
            window_from=Subquery(
                MessagingContact.objects.filter(phone=OuterRef("phone")).values("last_inbound_at")[
                    :1
                ]
            ),
        )
        .order_by(F("last_in").desc(nulls_last=True), "-handed_off_at")
    )


def inbox_counts() -> dict[str, int]:
    """For the admin index: conversations waiting, and how many have unread messages."""
    rows = inbox().order_by().values("unread")
    waiting = len(rows)
    return {"waiting": waiting, "with_unread": sum(1 for r in rows if r["unread"])}
