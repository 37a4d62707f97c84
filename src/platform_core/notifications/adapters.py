"""Channel adapters: Twilio (WhatsApp, SMS), Django email, console and in-memory.

An adapter's ``send(notification)`` returns a ``SendResult`` or raises ``DeliveryError``
(``retryable`` says whether another attempt may succeed); ``preflight(notification)``,
called before the circuit breaker, raises ``DeliverySkipped`` when the message must not
go out at all (e.g. the SMS fallback of an SMS opt-out). Which adapter serves a channel
is chosen by ``settings.NOTIFICATIONS_BACKEND`` ("twilio" | "console" | "memory").
"""

from __future__ import annotations

import json
import logging
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone

from platform_core import provider_guard
from platform_core.http import CircuitBreaker

logger = logging.getLogger("studiozens.notifications")

WHATSAPP_WINDOW = timedelta(hours=24)


@dataclass(frozen=True)
class SendResult:
    sid: str
    status: str = "sent"  # the provider's initial status (queued, accepted, sent...)
    sent_via: str = ""  # the channel actually used (whatsapp may fall back to sms)


class DeliveryError(Exception):
    def __init__(self, code: str, message: str, *, retryable: bool) -> None:
        self.code = str(code)
        self.message = message
        self.retryable = retryable
        super().__init__(f"{code}: {message}")


class DeliverySkipped(Exception):
    """The message must not be sent (the row ends SKIPPED with ``code``/``message``)."""

    def __init__(self, code: str, message: str) -> None:
        self.code = str(code)
        self.message = message
        super().__init__(f"{code}: {message}")


class Adapter:
    provider = ""

    def preflight(self, notification: Any) -> None:
        """Raise ``DeliverySkipped`` if the message must not be sent; no provider call."""

    def send(self, notification: Any) -> SendResult:  # pragma: no cover - interface
        raise NotImplementedError


def breaker_for(provider: str) -> CircuitBreaker:
    return CircuitBreaker(
        f"notifications:{provider}",
        failures=settings.TWILIO_CB_FAILURES,
        reset_seconds=settings.TWILIO_CB_TIMEOUT,
    )


# --- In-memory (tests) ----------------------------------------------------------------------
_sent: list[dict[str, Any]] = []
_sent_lock = threading.Lock()


def sent_messages() -> list[dict[str, Any]]:
    with _sent_lock:
        return [dict(m) for m in _sent]


def clear_sent_messages() -> None:
    with _sent_lock:
        _sent.clear()


class MemoryAdapter(Adapter):
    provider = "memory"

    def send(self, notification: Any) -> SendResult:
        provider_guard.check("messaging (memory)", notification.channel)
        sid = f"MM{uuid.uuid4().hex}"
        with _sent_lock:
            _sent.append(
                {
                    "channel": notification.channel,
                    "to": notification.to,
                    "body": str(notification.body),
                    "subject": notification.subject,
                    "template": notification.template,
                    "sid": sid,
                }
            )
        return SendResult(sid=sid, status="sent", sent_via=notification.channel)


class ConsoleAdapter(Adapter):
    """Development: the message goes to the log (and the DEBUG outbox shows it)."""

    provider = "console"

    def send(self, notification: Any) -> SendResult:
        provider_guard.check("messaging (console)", notification.channel)
        sid = f"CO{uuid.uuid4().hex}"
        logger.info(
            "[%s → %s] %s%s",
            notification.channel,
            notification.masked_to,
            f"{notification.subject}\n" if notification.subject else "",
            notification.body,
        )
        return SendResult(sid=sid, status="sent", sent_via=notification.channel)


class EmailAdapter(Adapter):
    """Django's email backend (SMTP/SendGrid through EMAIL_*)."""

    provider = "email"

    def send(self, notification: Any) -> SendResult:
        from email.utils import make_msgid

        from django.core.mail import EmailMessage

        message_id = make_msgid(domain="studiozens.co")
        message = EmailMessage(
            subject=notification.subject,
            body=str(notification.body),
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[notification.to],
            headers={"Message-ID": message_id},
        )
        try:
            message.send(fail_silently=False)
        except (OSError, ConnectionError) as exc:  # smtplib errors are OSErrors
            raise DeliveryError(
                getattr(exc, "smtp_code", "smtp_error"), str(exc)[:500], retryable=True
            ) from exc
        return SendResult(sid=message_id.strip("<>")[:64], status="sent", sent_via="email")


# --- Twilio ----------------------------------------------------------------------------------
_http_client_factory: Callable[[], Any] | None = None


def set_twilio_http_client_factory(factory: Callable[[], Any] | None) -> None:
    """Replace the SDK's HTTP client (tests plug a scripted ``twilio.http.HttpClient``)."""
    global _http_client_factory
    _http_client_factory = factory


def twilio_client() -> Any:
    """The official SDK client with ``TWILIO_TIMEOUT`` (and ``TWILIO_API_BASE_URL``)."""
    from platform_core import twilio_client as sdk

    return sdk.client(http=_http_client_factory() if _http_client_factory is not None else None)


def status_callback_url() -> str:
    return f"{settings.SITE_URL}/api/core/webhooks/twilio/status/"


def in_whatsapp_window(phone: str) -> bool:
    from platform_core.models import MessagingContact

    last = (
        MessagingContact.objects.filter(phone=phone)
        .values_list("last_inbound_at", flat=True)
        .first()
    )
    return bool(last and timezone.now() - last < WHATSAPP_WINDOW)


def content_template(template: str, context: dict[str, Any]) -> tuple[str, str] | None:
    """(ContentSid, content_variables JSON) for ``template`` from TWILIO_CONTENT_SIDS:
    ``{"key": "HX..."}`` (variables from ``context["content_variables"]``) or
    ``{"key": {"sid": "HX...", "variables": ["name", "time"]}}`` ({"1": name, "2": time})."""
    entry = (getattr(settings, "TWILIO_CONTENT_SIDS", None) or {}).get(template)
    if not entry:
        return None
    if isinstance(entry, str):
        variables = context.get("content_variables") or {}
        return entry, json.dumps({str(k): str(v) for k, v in variables.items()})
    names = entry.get("variables") or []
    variables = {str(i): str(context.get(name, "")) for i, name in enumerate(names, start=1)}
    return entry["sid"], json.dumps(variables)


def _sms_opted_out(notification: Any) -> bool:
    from platform_core.notifications.selectors import is_opted_out

    return is_opted_out(channel="sms", user_id=notification.user_id, phone=notification.to)


class TwilioAdapter(Adapter):
    """WhatsApp and SMS through the Messages API.

    WhatsApp free-form text is allowed only within 24 h of the client's last inbound
    message; outside it the approved Content template is sent, or SMS when the template
    has no ContentSid configured — unless the recipient opted out of SMS (and the message
    is not transactional): then nothing is sent and the row ends SKIPPED
    (``sms_opted_out``).
    """

    provider = "twilio"

    def route(self, notification: Any) -> tuple[str, tuple[str, str] | None]:
        """(channel actually used, Content template or None)."""
        if notification.channel != "whatsapp" or in_whatsapp_window(notification.to):
            return notification.channel, None
        template = content_template(notification.template, notification.context or {})
        if template is not None:
            return "whatsapp", template
        if not notification.transactional and _sms_opted_out(notification):
            raise DeliverySkipped(
                "sms_opted_out",
                "Fuera de la ventana de 24 h de WhatsApp, sin plantilla aprobada y el "
                "destinatario se dio de baja de SMS.",
            )
        return "sms", None

    def preflight(self, notification: Any) -> None:
        self.route(notification)

    def send(self, notification: Any) -> SendResult:
        kwargs: dict[str, Any] = {"status_callback": status_callback_url()}
        via, template = self.route(notification)
        if via == "whatsapp":
            kwargs["to"] = f"whatsapp:{notification.to}"
            if settings.TWILIO_WHATSAPP_NUMBER:
                kwargs["from_"] = f"whatsapp:{settings.TWILIO_WHATSAPP_NUMBER}"
            else:
                kwargs["messaging_service_sid"] = settings.TWILIO_MESSAGING_SERVICE_SID
            if template is not None:
                kwargs["content_sid"], kwargs["content_variables"] = template
            else:
                kwargs["body"] = str(notification.body)
        else:
            kwargs["to"] = notification.to
            kwargs["body"] = str(notification.body)
            if settings.TWILIO_MESSAGING_SERVICE_SID:
                kwargs["messaging_service_sid"] = settings.TWILIO_MESSAGING_SERVICE_SID
            else:
                kwargs["from_"] = settings.TWILIO_PHONE_NUMBER
        return self._create(kwargs, via)

    def _create(self, kwargs: dict[str, Any], via: str) -> SendResult:
        from twilio.base.exceptions import TwilioException, TwilioRestException

        try:
            message = twilio_client().messages.create(**kwargs)
        except TwilioRestException as exc:
            retryable = exc.status == 429 or exc.status >= 500
            # The SDK prefixes the provider's message with its own context.
            message = (exc.msg or "").removeprefix("Unable to create record: ")
            raise DeliveryError(
                str(exc.code or exc.status), message[:500], retryable=retryable
            ) from exc
        except (TwilioException, OSError) as exc:
            # Network failure or timeout (requests' errors are OSErrors).
            raise DeliveryError("network", exc.__class__.__name__, retryable=True) from exc
        return SendResult(sid=message.sid, status=message.status or "queued", sent_via=via)


def adapter_for(channel: str) -> Any:
    backend = getattr(settings, "NOTIFICATIONS_BACKEND", "console")
    if backend == "memory":
        return MemoryAdapter()
    if channel == "email":
        return EmailAdapter()
    if backend == "twilio":
        return TwilioAdapter()
    return ConsoleAdapter()
