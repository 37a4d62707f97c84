from ninja import Schema


class DayCountOut(Schema):
    day: str
    inbound: int
    outbound: int


class MetricsOut(Schema):
    days: int
    messages_per_day: list[DayCountOut]
    bookings_by_assistant: int
    handoffs: int
    waiting_for_staff: int
    turns: int
    fallback_turns: int
    fallback_rate: float


# Descriptions of this module's fields and parameters (platform_core.schemas.document_fields).
FIELD_DOCS: dict[str, str] = {
    "day": "The day (YYYY-MM-DD, Bogotá).",
    "inbound": "Messages received from clients that day.",
    "outbound": "Messages sent to clients that day.",
    "messages_per_day": "Message counts per day, oldest first.",
    "bookings_by_assistant": "Appointments booked through the assistant.",
    "handoffs": "Conversations handed to staff.",
    "waiting_for_staff": "Conversations waiting for a staff reply now.",
    "turns": "Assistant turns (answers) in the period.",
    "fallback_turns": "Turns answered by the fallback menu (the model unavailable).",
    "fallback_rate": "fallback_turns / turns (0 to 1).",
    "query.days": "Days counted back from today (1 to 90).",
}
