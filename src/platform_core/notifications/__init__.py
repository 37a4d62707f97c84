"""Notifications that are never lost: an outbox written in the caller's transaction,
delivered on the ``notifications`` queue through Twilio (WhatsApp, SMS) or email.

Public surface (the contract other modules code against)::

    notify(to=Recipient.from_user(user), template="booking/confirmed", context={...},
           idempotency_key=f"booking-confirmed-{appt.public_id}")
        # channels=None (default): the user's notification_channel (whatsapp/sms/email),
        # else WhatsApp, then SMS, then email — whichever has an address. Pass
        # channels=("sms",) etc. to force channels (OTP, conversational replies).
        # A channel without its own template uses whatsapp.txt (email: subject.txt or
        # a generic subject).
    sent_messages() / clear_sent_messages()     # in-memory adapter (tests)
    set_opt_out(user_id=..., phone=..., channel="all", opted_out=True)
    record_inbound(phone)                       # the assistant's webhook: opens the 24 h window
    handle_inbound_keyword(phone, text) -> bool # STOP/BAJA, START/ALTA
    validate_twilio_request(request) -> bool    # X-Twilio-Signature on webhooks
"""

from __future__ import annotations

from typing import Any

from platform_core.notifications.adapters import clear_sent_messages, sent_messages
from platform_core.notifications.services import (
    Recipient,
    handle_inbound_keyword,
    is_opted_out,
    notify,
    record_inbound,
    set_opt_out,
)
from platform_core.notifications.webhooks import validate_twilio_request

__all__ = [
    "Notification",
    "Recipient",
    "clear_sent_messages",
    "handle_inbound_keyword",
    "is_opted_out",
    "notify",
    "record_inbound",
    "sent_messages",
    "set_opt_out",
    "validate_twilio_request",
]


def __getattr__(name: str) -> Any:
    # The model is loaded lazily: this package may be imported before apps are ready.
    if name == "Notification":
        from platform_core.models import Notification

        return Notification
    raise AttributeError(name)
