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
