"""Notification services: the outbox write, delivery, relay, status callbacks, opt-outs."""

from __future__ import annotations

import logging
import math
import random
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, router, transaction
from django.db.models import Q
from django.template import Context
from django.template.loader import select_template
from django.utils import timezone, translation

from platform_core.notifications.adapters import (
    DeliveryError,
    DeliverySkipped,
    SendResult,
    adapter_for,
    breaker_for,
)
from platform_core.notifications.selectors import is_opted_out
from platform_core.outbox import task_named
from platform_core.phones import normalize_phone

logger = logging.getLogger("studiozens.notifications")

CHANNELS = ("whatsapp", "sms", "email")
PHONE_CHANNELS = ("whatsapp", "sms")
# ``notify(channels=None)``: the recipient's preferred channel, else the first of these
# that has an address (a user who prefers email but has none gets WhatsApp).
DEFAULT_CHANNEL = "whatsapp"
FALLBACK_CHANNELS = ("whatsapp", "sms", "email")
# Email subject when a template has no subject.txt.
DEFAULT_SUBJECT_TEMPLATE = "notifications/default_subject.txt"
STOP_KEYWORDS = frozenset(
    {"STOP", "STOPALL", "BAJA", "DARSE DE BAJA", "CANCELAR", "UNSUBSCRIBE", "END", "QUIT"}
)
START_KEYWORDS = frozenset({"START", "UNSTOP", "ALTA", "SUSCRIBIR", "REANUDAR"})


@dataclass(frozen=True)
class Recipient:
    phone: str = ""  # E.164
    email: str = ""
    user_id: int | None = None  # for opt-outs/preferences and the outbox view
    language: str = "es-co"
    # The channel the user chose ("whatsapp" | "sms" | "email"); "" means WhatsApp.
    preferred_channel: str = ""

    @classmethod
    def from_user(cls, user: Any) -> Recipient:
        # Duck-typed on purpose: platform_core never imports the identity module.
        return cls(
            phone=getattr(user, "phone_number", "") or "",
            email=getattr(user, "email", "") or "",
            user_id=user.id,  # the user model instance or identity's UserDTO
            language=getattr(user, "language", "") or "es-co",
            preferred_channel=getattr(user, "notification_channel", "") or "",
        )


def preferred_channel(to: Recipient) -> str | None:
    """The channel ``notify(channels=None)`` uses: the recipient's preference when it has
    an address for it, else WhatsApp, then SMS, then email; None when it has no address."""
    preferred = to.preferred_channel if to.preferred_channel in CHANNELS else DEFAULT_CHANNEL
    for channel in dict.fromkeys((preferred, *FALLBACK_CHANNELS)):
        if _address(to, channel):
            return channel
    return None


# --- Rendering ---------------------------------------------------------------------------------
def template_names(template: str, channel: str) -> list[str]:
    """Body templates tried in order: ``<channel>.txt``, then (SMS, email) the WhatsApp
    body, so a module may ship only ``whatsapp.txt`` and still honour other channels."""
    base = f"notifications/{template}"
    names = [f"{base}/{channel}.txt"]
    if channel != "whatsapp":
        names.append(f"{base}/whatsapp.txt")
    return names


def render(template: str, channel: str, context: dict[str, Any], language: str) -> tuple[str, str]:
    """(subject, body) from ``notifications/<template>/<channel>.txt`` (falling back to
    ``whatsapp.txt``; email: ``subject.txt``, else a generic subject), rendered in the
    recipient's language. No body template at all raises TemplateDoesNotExist."""
    base = f"notifications/{template}"
    with translation.override(language or settings.LANGUAGE_CODE):
        body = _render_text(template_names(template, channel), context).strip()
        subject = ""
        if channel == "email":
            names = [f"{base}/subject.txt", DEFAULT_SUBJECT_TEMPLATE]
            subject = " ".join(_render_text(names, context).split())
    return subject, body


def _render_text(names: list[str], context: dict[str, Any]) -> str:
    # Plain text, not HTML: "Masaje & piedras" must not reach a phone as "&amp;".
    return select_template(names).template.render(Context(context, autoescape=False))


# --- Opt-outs ----------------------------------------------------------------------------------
def set_opt_out(
    *, user_id: int | None = None, phone: str = "", channel: str = "all", opted_out: bool = True
) -> None:
    """Record (or lift) an opt-out for a user and/or a phone; channel "all" covers every
    channel. Transactional messages ignore opt-outs."""
    from platform_core.models import NotificationOptOut

    if channel not in (*CHANNELS, "all"):
        raise ValueError(f"unknown channel {channel!r}")
    if user_id is None and not phone:
        raise ValueError("give user_id or phone")
    if user_id is not None:
        NotificationOptOut.objects.update_or_create(
            user_id=user_id, channel=channel, defaults={"opted_out": opted_out}
        )
    if phone:
        NotificationOptOut.objects.update_or_create(
            phone=normalize_phone(phone), channel=channel, defaults={"opted_out": opted_out}
        )


def _keyword(text: str) -> str:
    stripped = unicodedata.normalize("NFKD", text or "").encode("ascii", "ignore").decode()
    return " ".join(stripped.upper().replace(".", " ").replace("!", " ").split())


def handle_inbound_keyword(phone: str, text: str) -> bool:
    """Apply an inbound STOP/BAJA (opt out of everything) or START/ALTA (opt back in).
    Returns True when the message was such a keyword (the caller should not treat it
    as a conversation; it may confirm to the user)."""
    word = _keyword(text)
    if word in STOP_KEYWORDS:
        set_opt_out(phone=phone, channel="all", opted_out=True)
        return True
    if word in START_KEYWORDS:
        set_opt_out(phone=phone, channel="all", opted_out=False)
        return True
    return False


def record_inbound(phone: str, *, at: datetime | None = None) -> None:
    """Remember that ``phone`` wrote to us (opens WhatsApp's 24-hour session window)."""
    from platform_core.models import MessagingContact

    MessagingContact.objects.update_or_create(
        phone=normalize_phone(phone), defaults={"last_inbound_at": at or timezone.now()}
    )


# --- The outbox write --------------------------------------------------------------------------
def _address(to: Recipient, channel: str) -> str:
    if channel == "email":
        return (to.email or "").strip()
    return normalize_phone(to.phone) if to.phone else ""


def notify(
    *,
    to: Recipient,
    template: str,
    context: dict,
    channels: Sequence[str] | None = None,
    idempotency_key: str | None = None,
    transactional: bool = False,
) -> list[Any]:
    """Write one outbox row per channel inside the caller's transaction and enqueue
    delivery on commit (queue ``notifications``). The same ``idempotency_key`` (per
    channel) never sends twice; ``transactional=True`` (OTP codes) ignores opt-outs.

    ``channels=None`` sends on the recipient's preferred channel (``preferred_channel``);
    explicit ``channels`` are used as given. With ``channels=None`` a key already used on
    any channel returns those rows, so a preference changed between two calls does not
    send the same message again on the new channel."""
    from platform_core.models import Notification, NotificationStatus

    rows: list[Notification] = []
    if channels is None:
        # channel__in: lets the (channel, idempotency_key) unique index serve the lookup.
        # The pks only (one column, no ordering to compile): most keys are new, and the
        # rows are loaded only when the key was used.
        if idempotency_key:
            used = Notification.objects.filter(
                channel__in=CHANNELS, idempotency_key=idempotency_key
            )
            if used.order_by().values_list("pk", flat=True)[:1]:
                return list(used.order_by("id"))
        chosen = preferred_channel(to)
        if chosen is None:
            logger.info("notification %s: recipient has no address, nothing sent", template)
            return rows
        channels = (chosen,)
    for channel in dict.fromkeys(channels):
        if channel not in CHANNELS:
            raise ValueError(f"unknown channel {channel!r}")
        address = _address(to, channel)
        if not address:
            logger.info("notification %s: no %s address, channel skipped", template, channel)
            continue
        subject, body = render(template, channel, context, to.language)
        opted_out = not transactional and is_opted_out(
            channel=channel,
            user_id=to.user_id,
            phone=address if channel in PHONE_CHANNELS else "",
        )
        row = Notification(
            channel=channel,
            template=template,
            user_id=to.user_id,
            to=address,
            language=to.language,
            subject=subject[:255],
            body=body,
            context=context,
            transactional=transactional,
            idempotency_key=idempotency_key,
            status=NotificationStatus.SKIPPED if opted_out else NotificationStatus.PENDING,
        )
        if not _insert_unless_duplicate(row):
            # The key was used on this channel (by an earlier call, or a concurrent
            # transaction that committed first): that row, and nothing sent again.
            existing = Notification.objects.filter(
                channel=channel, idempotency_key=idempotency_key
            ).first()
            if existing is None:
                raise IntegrityError(f"notification {template} on {channel} was not written")
            rows.append(existing)
            continue
        rows.append(row)
        if not opted_out:
            _enqueue_on_commit(row.pk)
    return rows


def _insert_unless_duplicate(row: Any) -> bool:
    """INSERT the row unless its (channel, idempotency key) is taken: ``INSERT ... ON
    CONFLICT DO NOTHING RETURNING id`` (PostgreSQL; SQLite >= 3.35: ``INSERT OR IGNORE``).
    One statement instead of a SAVEPOINT, the INSERT and its RELEASE, and a duplicate does
    not abort the caller's transaction. A concurrent transaction holding the same key
    makes the INSERT wait for it, as the unique index always did. False: nothing was
    written (the caller loads the row that holds the key). ``save()`` cannot say "do
    nothing on conflict"; the manager's ``_insert`` (what ``save`` and ``bulk_create``
    use) can, and sets the pk from RETURNING."""
    from django.db.models.constants import OnConflict

    model = type(row)
    using = router.db_for_write(model, instance=row)
    fields = [f for f in model._meta.local_concrete_fields if not f.primary_key]
    returned = model._base_manager._insert(
        [row],
        fields=fields,
        returning_fields=[model._meta.pk],
        using=using,
        on_conflict=OnConflict.IGNORE,
    )
    pk = returned[0][0] if returned and returned[0] else None
    if pk is None:
        return False
    row.pk = pk
    row._state.adding = False
    row._state.db = using
    return True


DELIVER_NOTIFICATION = "platform_core.deliver_notification"  # platform_core.tasks


def _deliver_task() -> Any:
    return task_named(DELIVER_NOTIFICATION)


def _enqueue_on_commit(notification_id: int) -> None:
    # robust: a broker outage after commit must not fail the caller's request; the row
    # stays pending and the periodic relay publishes it later.
    transaction.on_commit(
        lambda: _deliver_task().apply_async(args=(notification_id,), queue="notifications"),
        robust=True,
    )


def _schedule_retry(notification_id: int, countdown: float) -> None:
    """Re-enqueue after ``countdown`` seconds. Eager mode (tests, demo) has no real
    countdown, so the periodic relay picks the row up when it is due."""
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return
    transaction.on_commit(
        lambda: _deliver_task().apply_async(
            args=(notification_id,), queue="notifications", countdown=max(1, math.ceil(countdown))
        ),
        robust=True,
    )


# --- Delivery ----------------------------------------------------------------------------------
def retry_delay(attempt: int) -> float:
    """Exponential backoff with jitter: base·2^(attempt-1), capped, ±50 %."""
    base = settings.NOTIFICATION_RETRY_BASE_SECONDS * (2 ** max(0, attempt - 1))
    delay = min(settings.NOTIFICATION_RETRY_MAX_SECONDS, base)
    return delay / 2 + random.uniform(0, delay / 2)  # noqa: S311 - jitter, not security


def deliver(notification_id: int) -> str:
    """Send one outbox row. Idempotent, and no provider call under a row lock (issue 16):

    1. under the row's lock, decide (done, not due, opted out, skipped, breaker open) and
       claim the send: one attempt counted and a lease (``next_attempt_at`` pushed
       ``NOTIFICATION_SEND_LEASE_SECONDS`` ahead), committed;
    2. call the provider with no transaction open;
    3. under the lock again, record what it answered (SID, failure and retry, skip).

    A duplicate task during the send finds the lease and sends nothing ("not_due"); after it,
    the SID ("done"). A worker that dies between 1 and 3 leaves a pending row whose lease
    expires, and the relay sends it again: at least once, as before (the send was never
    inside the transaction that recorded it). Returns what happened (for logs/tests)."""
    from platform_core.models import Notification, NotificationStatus

    now = timezone.now()
    with transaction.atomic():
        notification = Notification.objects.select_for_update().filter(pk=notification_id).first()
        if notification is None:
            return "missing"
        if notification.status != NotificationStatus.PENDING or notification.provider_sid:
            return "done"
        if notification.next_attempt_at and notification.next_attempt_at > now:
            return "not_due"
        if not notification.transactional and is_opted_out(
            channel=notification.channel,
            user_id=notification.user_id,
            phone=notification.to if notification.channel in PHONE_CHANNELS else "",
        ):
            notification.status = NotificationStatus.SKIPPED
            notification.save(update_fields=["status", "updated_at"])
            return "skipped"

        adapter = adapter_for(notification.channel)
        try:
            # Before the breaker: a skipped message must not take the half-open probe.
            adapter.preflight(notification)
        except DeliverySkipped as exc:
            return _skipped(notification, exc)
        breaker = breaker_for(adapter.provider)
        if not breaker.allow():
            # Deferred, never dropped: the row stays pending until the breaker resets.
            wait = max(1.0, breaker.retry_after())
            notification.next_attempt_at = now + timedelta(seconds=wait)
            notification.save(update_fields=["next_attempt_at", "updated_at"])
            _schedule_retry(notification.pk, wait)
            return "deferred"

        notification.attempts += 1
        notification.next_attempt_at = now + timedelta(
            seconds=settings.NOTIFICATION_SEND_LEASE_SECONDS
        )
        notification.save(update_fields=["attempts", "next_attempt_at", "updated_at"])

    # The provider call: no transaction, no row lock.
    outcome: SendResult | DeliverySkipped | DeliveryError
    try:
        outcome = adapter.send(notification)
    except (DeliverySkipped, DeliveryError) as exc:
        outcome = exc

    with transaction.atomic():
        # Not the (encrypted) body and context: the outcome does not touch them, and a row
        # loaded without them saves only what it loaded (no decrypt, no re-encrypt).
        notification = (
            Notification.objects.select_for_update()
            .defer("body", "context")
            .get(pk=notification_id)
        )
        if notification.status != NotificationStatus.PENDING or notification.provider_sid:
            return "done"  # settled by another worker after our lease ran out
        if isinstance(outcome, DeliverySkipped):  # the route changed since the preflight
            notification.attempts -= 1
            return _skipped(notification, outcome)
        if isinstance(outcome, DeliveryError):
            return _failed_attempt(notification, outcome, breaker, now)
        breaker.record_success()
        notification.provider_sid = outcome.sid
        notification.provider_status = outcome.status
        notification.sent_via = outcome.sent_via or notification.channel
        notification.status = NotificationStatus.SENT
        notification.sent_at = now
        notification.next_attempt_at = None
        notification.save()
    return "sent"


def _skipped(notification: Any, exc: DeliverySkipped) -> str:
    """End the row SKIPPED (like an opt-out) with the reason in error_code/_message; no
    provider call was made, so neither the attempt count nor the breaker changes."""
    from platform_core.models import NotificationStatus

    notification.status = NotificationStatus.SKIPPED
    notification.error_code = exc.code[:30]
    notification.error_message = exc.message
    notification.next_attempt_at = None
    notification.save()
    logger.info("notification %s skipped: %s", notification.public_id, exc.code)
    return "skipped"


def _failed_attempt(notification: Any, exc: DeliveryError, breaker: Any, now: datetime) -> str:
    from platform_core.models import NotificationStatus

    notification.error_code = exc.code[:30]
    notification.error_message = exc.message
    if exc.retryable:
        breaker.record_failure()
    else:
        # A permanent refusal (invalid number...) means the provider answered: it is up,
        # and a half-open probe must not stay taken until the breaker's timeout.
        breaker.record_success()
    if not exc.retryable or notification.attempts >= settings.NOTIFICATION_MAX_ATTEMPTS:
        notification.status = NotificationStatus.FAILED
        notification.next_attempt_at = None
        notification.save()
        logger.warning(
            "notification %s failed after %s attempts: %s",
            notification.public_id,
            notification.attempts,
            exc.code,
        )
        return "failed"
    delay = retry_delay(notification.attempts)
    notification.next_attempt_at = now + timedelta(seconds=delay)
    notification.save()
    _schedule_retry(notification.pk, delay)
    return "retry"


def due_notification_ids(limit: int = 100) -> list[int]:
    """Pending rows whose next attempt is due, plus fresh rows whose on-commit publish
    never happened (a crash between commit and publish). Postgres: FOR UPDATE SKIP
    LOCKED, so concurrent relays and in-flight deliveries do not collide."""
    from platform_core.models import Notification, NotificationStatus

    now = timezone.now()
    grace = timedelta(seconds=settings.NOTIFICATION_RELAY_GRACE_SECONDS)
    with transaction.atomic():
        qs = Notification.objects.filter(status=NotificationStatus.PENDING).filter(
            Q(next_attempt_at__lte=now)
            | Q(next_attempt_at__isnull=True, created_at__lte=now - grace)
        )
        if connection.features.has_select_for_update_skip_locked:
            qs = qs.select_for_update(skip_locked=True)
        return list(qs.order_by("created_at", "id").values_list("id", flat=True)[:limit])


def relay_pending(limit: int = 100) -> int:
    """Enqueue delivery for every due pending row; returns how many were enqueued."""
    ids = due_notification_ids(limit)
    deliver = _deliver_task()
    for notification_id in ids:
        deliver.apply_async(args=(notification_id,), queue="notifications")
    return len(ids)


def requeue_failed(
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    channel: str | None = None,
    template: str | None = None,
    error_code: str | None = None,
    statuses: Sequence[str] = ("failed",),
    limit: int | None = None,
    ids: Sequence[int] | None = None,
    dry_run: bool = False,
) -> int:
    """Put failed rows back to pending (attempts reset) and enqueue them. Rows the
    provider accepted (they have a SID, e.g. later undelivered) are sent again only when
    ``statuses`` names their status explicitly."""
    from platform_core.models import Notification, NotificationStatus

    qs = Notification.objects.filter(status__in=statuses)
    if ids is not None:
        qs = qs.filter(id__in=ids)
    if since:
        qs = qs.filter(created_at__gte=since)
    if until:
        qs = qs.filter(created_at__lt=until)
    if channel:
        qs = qs.filter(channel=channel)
    if template:
        qs = qs.filter(template=template)
    if error_code:
        qs = qs.filter(error_code=error_code)
    ids = list(qs.order_by("id").values_list("id", flat=True)[:limit])
    if dry_run or not ids:
        return len(ids)
    with transaction.atomic():
        Notification.objects.filter(id__in=ids).update(
            status=NotificationStatus.PENDING,
            provider_sid=None,
            provider_status="",
            attempts=0,
            next_attempt_at=None,
            error_code="",
            error_message="",
            updated_at=timezone.now(),
        )
        for notification_id in ids:
            _enqueue_on_commit(notification_id)
    return len(ids)


# --- Provider status callbacks -----------------------------------------------------------------
# Twilio's MessageStatus -> (our status, rank). Callbacks can arrive out of order: a lower
# rank never overwrites a higher one.
_STATUS_MAP = {
    "accepted": ("sent", 1),
    "scheduled": ("sent", 1),
    "queued": ("sent", 1),
    "sending": ("sent", 1),
    "sent": ("sent", 2),
    "delivered": ("delivered", 3),
    "read": ("read", 4),
    "failed": ("failed", 3),
    "undelivered": ("undelivered", 3),
    "canceled": ("failed", 3),
}
_RANK = {"pending": 0, "sent": 2, "delivered": 3, "read": 4, "failed": 3, "undelivered": 3}


def apply_status_callback(message_sid: str, message_status: str, error_code: str = "") -> bool:
    """Update the row of ``message_sid`` from a provider status; False if unknown."""
    from platform_core.models import Notification

    mapped = _STATUS_MAP.get((message_status or "").lower())
    if not message_sid or mapped is None:
        return False
    status, rank = mapped
    with transaction.atomic():
        notification = (
            Notification.objects.select_for_update().filter(provider_sid=message_sid).first()
        )
        if notification is None:
            return False
        notification.provider_status = message_status.lower()
        fields = ["provider_status", "updated_at"]
        if rank > _RANK.get(notification.status, 0) or (
            rank == 2 and notification.status == "sent"
        ):
            notification.status = status
            fields.append("status")
            if status in ("delivered", "read") and notification.delivered_at is None:
                notification.delivered_at = timezone.now()
                fields.append("delivered_at")
            if status in ("failed", "undelivered"):
                notification.error_code = str(error_code or "")[:30]
                fields.append("error_code")
        notification.save(update_fields=fields)
    return True
