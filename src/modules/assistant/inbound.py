"""Inbound WhatsApp messages and their way through the ``bot`` queue: stored once per
Twilio MessageSid, queued after commit, one message at a time per conversation and in the
order they arrived, each attempt counted, and handed to staff when out of attempts."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from modules.assistant.actions import hand_off
from modules.assistant.models import Conversation, Message
from platform_core.errors import ValidationFailed
from platform_core.outbox import task_named
from platform_core.phones import normalize_phone

logger = logging.getLogger(__name__)


def receive_inbound(params: Mapping[str, str]) -> Message | None:
    """Store a verified Twilio message once (MessageSid is unique) and queue its processing.

    Returns None for a duplicate delivery or an unusable payload.
    """
    sid = (params.get("MessageSid") or params.get("SmsMessageSid") or "").strip()
    if not sid:
        return None
    try:
        phone = normalize_phone(params.get("From", ""))
    except ValidationFailed:
        logger.warning("assistant: inbound message %s with an invalid sender", sid)
        return None
    try:
        num_media = int(params.get("NumMedia") or 0)
    except ValueError:
        num_media = 0
    with transaction.atomic():
        conversation = conversation_for(phone)
        try:
            with transaction.atomic():
                message = Message.objects.create(
                    conversation=conversation,
                    direction=Message.Direction.INBOUND,
                    source=Message.Source.USER,
                    provider_sid=sid,
                    body=(params.get("Body") or "")[:4096],
                    num_media=num_media,
                )
        except IntegrityError:
            _requeue_if_unanswered(sid)
            return None
        public_id = str(message.public_id)
        transaction.on_commit(lambda: _enqueue(public_id))
    return message


PROCESS_MESSAGE = "assistant.process_message"  # tasks.process_message_task


def _requeue_if_unanswered(sid: str) -> None:
    """Twilio redelivers when our first answer failed. If that delivery was stored but its
    processing never got queued (the broker refused it), this retry queues it; processing
    is idempotent, so queueing a message twice still answers it once."""
    stored = Message.objects.filter(provider_sid=sid, processed_at__isnull=True).first()
    if stored is None:
        logger.info("assistant: duplicate delivery of %s ignored", sid)
        return
    public_id = str(stored.public_id)
    transaction.on_commit(lambda: _enqueue(public_id))


def _enqueue(message_id: str) -> None:
    """Queue the processing. A broker failure must not turn the webhook into a 500 after
    the message is safely stored: it is logged, and Twilio's retry or the periodic sweep
    (``requeue_unanswered``) queues it again."""
    try:
        task_named(PROCESS_MESSAGE).delay(message_id)
    except Exception:
        logger.exception("assistant: could not queue message %s; the sweep will", message_id)


def requeue_unanswered(
    *, older_than_seconds: int | None = None, max_age_hours: int | None = None
) -> int:
    """Beat task body: queue inbound messages stored but never processed (a lost publish,
    or a processing crash that rolled back), each at most ASSISTANT_MAX_ATTEMPTS times with
    exponential backoff between tries. Younger ones are still in the normal flow; much
    older ones would be answered out of context and are left to staff. A message out of
    attempts is handed to staff (normally done right after its last failure)."""
    now = timezone.now()
    older = (
        settings.ASSISTANT_REQUEUE_AFTER_SECONDS
        if older_than_seconds is None
        else older_than_seconds
    )
    age = settings.ASSISTANT_REQUEUE_MAX_AGE_HOURS if max_age_hours is None else max_age_hours
    pending = Message.objects.filter(
        direction=Message.Direction.INBOUND,
        processed_at__isnull=True,
        created_at__lte=now - timedelta(seconds=older),
        created_at__gte=now - timedelta(hours=age),
    )
    for public_id in pending.filter(attempts__gte=settings.ASSISTANT_MAX_ATTEMPTS).values_list(
        "public_id", flat=True
    )[:50]:
        give_up(str(public_id), reason="")
    ids = list(
        pending.filter(attempts__lt=settings.ASSISTANT_MAX_ATTEMPTS)
        .filter(models.Q(next_attempt_at__isnull=True) | models.Q(next_attempt_at__lte=now))
        .values_list("public_id", flat=True)[:200]
    )
    for public_id in ids:
        _enqueue(str(public_id))
    return len(ids)


def locked_inbound(message_id: str) -> Message | None:
    return (
        Message.objects.select_for_update()
        .filter(public_id=message_id, direction=Message.Direction.INBOUND)
        .first()
    )


def claim_attempt(message_id: str) -> bool:
    """Count one processing attempt (committed on its own, so a failure that rolls the
    turn back still counts). False when the message is done or out of attempts."""
    now = timezone.now()
    with transaction.atomic():
        message = locked_inbound(message_id)
        if message is None or message.processed_at is not None:
            return False
        if message.attempts >= settings.ASSISTANT_MAX_ATTEMPTS:
            out_of_attempts = True
        else:
            out_of_attempts = False
            message.attempts += 1
            backoff = settings.ASSISTANT_RETRY_BASE_SECONDS * 2 ** (message.attempts - 1)
            message.next_attempt_at = now + timedelta(seconds=backoff)
            message.save(update_fields=["attempts", "next_attempt_at"])
    if out_of_attempts:
        give_up(message_id, reason="")
        return False
    return True


def record_failure(message_id: str, exc: BaseException) -> None:
    reason = f"{type(exc).__name__}: {exc}"[:200]
    Message.objects.filter(public_id=message_id, processed_at__isnull=True).update(failure=reason)
    attempts = (
        Message.objects.filter(public_id=message_id).values_list("attempts", flat=True).first()
    )
    if attempts is not None and attempts >= settings.ASSISTANT_MAX_ATTEMPTS:
        give_up(message_id, reason=reason)


def give_up(message_id: str, *, reason: str) -> None:
    """The message could not be processed within its attempts: mark it done (never tried
    again) and put the conversation in the staff queue with the reason."""
    with transaction.atomic():
        message = (
            Message.objects.select_for_update()
            .filter(public_id=message_id, processed_at__isnull=True)
            .first()
        )
        if message is None:
            return
        conversation = Conversation.objects.select_for_update().get(pk=message.conversation_id)
        if conversation.archived_at is not None:
            conversation = conversation_for(conversation.phone)
        message.processed_at = timezone.now()
        message.failure = (reason or message.failure or "max_attempts")[:200]
        message.save(update_fields=["processed_at", "failure"])
        queue_next_of(message.conversation_id)  # the messages that waited behind it
        logger.warning(
            "assistant: message %s failed %s times; handed to staff",
            message.public_id,
            message.attempts,
        )
        if conversation.state != Conversation.State.HANDED_OFF:
            hand_off(
                conversation,
                reason=_("No pude procesar un mensaje tras %(n)s intentos (%(why)s).")
                % {"n": message.attempts, "why": message.failure},
            )


def conversation_for(phone: str) -> Conversation:
    """The number's live conversation (archived ones belong to earlier owners)."""
    live = Conversation.objects.filter(phone=phone, archived_at__isnull=True)
    conversation = live.first()
    if conversation is not None:
        return conversation
    try:
        with transaction.atomic():
            return Conversation.objects.create(phone=phone)
    except IntegrityError:  # created by a concurrent delivery
        return live.get()


def unanswered_inbound(conversation_id: int) -> Any:
    """The conversation's inbound messages still waiting for an answer (recent enough to be
    answered at all: older ones are left to staff by the sweep)."""
    since = timezone.now() - timedelta(hours=settings.ASSISTANT_REQUEUE_MAX_AGE_HOURS)
    return Message.objects.filter(
        conversation_id=conversation_id,
        direction=Message.Direction.INBOUND,
        processed_at__isnull=True,
        created_at__gte=since,
    )


def behind_an_earlier_message(message_id: str) -> bool:
    message = (
        Message.objects.filter(public_id=message_id, direction=Message.Direction.INBOUND)
        .only("pk", "conversation_id", "created_at", "processed_at")
        .first()
    )
    if message is None or message.processed_at is not None:
        return False
    return (
        unanswered_inbound(message.conversation_id)
        .filter(
            models.Q(created_at__lt=message.created_at)
            | models.Q(created_at=message.created_at, pk__lt=message.pk)
        )
        .exists()
    )


def queue_next_of(conversation_id: int) -> None:
    """After an answer commits: queue the conversation's next waiting message, if any."""
    following = (
        unanswered_inbound(conversation_id)
        .order_by("created_at", "pk")
        .values_list("public_id", flat=True)
        .first()
    )
    if following is not None:
        public_id = str(following)
        transaction.on_commit(lambda: _enqueue(public_id))
