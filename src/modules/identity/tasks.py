"""identity's Celery tasks: thin wrappers over services and gateways."""

from __future__ import annotations

import logging
from datetime import timedelta

from celery import shared_task
from django.core.management import call_command
from django.utils import timezone

from modules.identity.errors import VerificationUnavailable
from modules.identity.gateways import get_gateway
from modules.identity.models import LocalVerification
from platform_core.errors import DomainError

logger = logging.getLogger(__name__)


@shared_task(
    name="identity.send_verification",
    acks_late=True,
    autoretry_for=(VerificationUnavailable,),
    retry_backoff=5,
    max_retries=3,
)
def send_verification(phone: str, channel: str) -> bool:
    """Send a code after the request answered (register, resend, password reset).

    Re-running is harmless: a second send within the window replaces or repeats the code.
    Provider refusals are logged, never raised: nobody waits on this task's answer.
    """
    try:
        get_gateway().start(phone, channel)
    except VerificationUnavailable:
        raise
    except DomainError as exc:
        logger.warning("OTP not sent: %s", exc.code)
        return False
    return True


@shared_task(name="identity.flush_expired_tokens", acks_late=True)
def flush_expired_tokens() -> int:
    """Drop expired outstanding/blacklisted JWTs and stale local verifications."""
    call_command("flushexpiredtokens")
    deleted, _ = LocalVerification.objects.filter(
        expires_at__lt=timezone.now() - timedelta(days=1)
    ).delete()
    return deleted
