"""Phone verification (OTP): a small port with two adapters.

* ``TwilioVerifyGateway`` - the real one, through the official SDK
  (``client.verify.v2.services(SID).verifications.create`` / ``verification_checks.create``).
* ``LocalVerificationGateway`` - no account needed: stores a keyed hash of a random
  6-digit code and sends the code as a transactional notification (dev outbox, tests).

``get_gateway()`` picks Twilio when ``TWILIO_VERIFY_SERVICE_SID`` is set.
"""

from __future__ import annotations

import logging
import secrets
from datetime import timedelta
from typing import Any, Protocol

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac

from modules.identity import errors
from modules.identity.models import LocalVerification
from platform_core import provider_guard

logger = logging.getLogger(__name__)

CHANNELS = ("sms", "whatsapp")

# Twilio error codes (https://www.twilio.com/docs/api/errors) we answer with a clear 4xx.
TWILIO_INVALID_NUMBER = {60200, 21211, 21614, 60205}
TWILIO_MAX_CHECKS = 60202
TWILIO_MAX_SENDS = 60203
TWILIO_NOT_FOUND = 20404


class VerificationGateway(Protocol):
    """Send a one-time code to a phone and check it. Codes live OTP_CODE_TTL_SECONDS."""

    def start(self, phone: str, channel: str) -> None:
        """Send (or re-send) a code. Raises DomainError subclasses for provider refusals."""

    def check(self, phone: str, code: str) -> bool:
        """True when ``code`` approves the pending verification of ``phone``.

        A wrong, expired or missing verification answers False; too many checks raises
        RateLimited (code ``verification_locked``).
        """


class TwilioVerifyGateway:
    """Twilio Verify v2 through the official SDK, behind a shared circuit breaker."""

    def __init__(self, client: Any = None, service_sid: str | None = None) -> None:
        self._client = client
        self.service_sid = service_sid or settings.TWILIO_VERIFY_SERVICE_SID

    @property
    def client(self) -> Any:
        if self._client is None:
            from platform_core import twilio_client

            self._client = twilio_client.client()
        return self._client

    def _service(self) -> Any:
        return self.client.verify.v2.services(self.service_sid)

    def start(self, phone: str, channel: str) -> None:
        self._call(lambda: self._service().verifications.create(to=phone, channel=channel))

    def check(self, phone: str, code: str) -> bool:
        try:
            result = self._call(
                lambda: self._service().verification_checks.create(to=phone, code=code)
            )
        except _NotFound:
            # Approved, expired or max-attempted verifications are deleted by Twilio.
            return False
        return getattr(result, "status", "") == "approved"

    def _call(self, fn: Any) -> Any:
        from twilio.base.exceptions import TwilioException, TwilioRestException

        from platform_core.http import CircuitBreaker

        breaker = CircuitBreaker(
            "twilio-verify",
            failures=settings.TWILIO_CB_FAILURES,
            reset_seconds=settings.TWILIO_CB_TIMEOUT,
        )
        if not breaker.allow():
            raise errors.VerificationUnavailable()
        try:
            result = fn()
        except TwilioRestException as exc:
            if exc.status >= 500:
                breaker.record_failure()
                logger.warning("Twilio Verify %s error %s", exc.status, exc.code)
                raise errors.VerificationUnavailable() from exc
            breaker.record_success()  # the provider answered; a 4xx is about the request
            raise _map_twilio_error(exc) from exc
        except (TwilioException, OSError) as exc:
            # requests' connection errors and timeouts subclass OSError.
            breaker.record_failure()
            logger.warning("Twilio Verify unreachable: %s", type(exc).__name__)
            raise errors.VerificationUnavailable() from exc
        breaker.record_success()
        return result


class _NotFound(Exception):
    pass


def _map_twilio_error(exc: Any) -> Exception:
    code = exc.code
    if code in TWILIO_INVALID_NUMBER:
        return errors.InvalidPhoneForVerification()
    if code == TWILIO_MAX_CHECKS:
        return errors.too_many_checks()
    if code == TWILIO_MAX_SENDS:
        return errors.too_many_sends()
    if code == TWILIO_NOT_FOUND or exc.status == 404:
        return _NotFound()
    if exc.status == 429:
        return errors.too_many_sends()
    logger.warning("Twilio Verify refused the request: status=%s code=%s", exc.status, code)
    return errors.VerificationUnavailable()


def _code_hash(phone: str, code: str) -> str:
    return salted_hmac("identity.local-verification", f"{phone}:{code}").hexdigest()


class LocalVerificationGateway:
    """OTPs without a provider: the code goes out as a transactional notification."""

    def start(self, phone: str, channel: str) -> None:
        from platform_core.notifications import Recipient, notify

        # Stands in for Twilio Verify: no call while the caller holds row locks.
        provider_guard.check("Twilio Verify (local)", "start")
        now = timezone.now()
        code = f"{secrets.randbelow(10**6):06d}"
        ttl = settings.OTP_CODE_TTL_SECONDS
        with transaction.atomic():
            # Like Twilio, one pending verification per phone: a new send replaces it.
            LocalVerification.objects.filter(
                phone_number=phone, status=LocalVerification.Status.PENDING
            ).update(status=LocalVerification.Status.CANCELED)
            verification = LocalVerification.objects.create(
                phone_number=phone,
                channel=channel,
                code_hash=_code_hash(phone, code),
                created_at=now,
                expires_at=now + timedelta(seconds=ttl),
            )
            notify(
                to=Recipient(phone=phone),
                template="otp",
                context={"code": code, "minutes": max(1, ttl // 60)},
                channels=(channel,),
                idempotency_key=f"identity.otp:{verification.pk}",
                transactional=True,
            )

    def check(self, phone: str, code: str) -> bool:
        provider_guard.check("Twilio Verify (local)", "check")
        status = LocalVerification.Status
        with transaction.atomic():
            verification = (
                LocalVerification.objects.select_for_update()
                .filter(phone_number=phone, status=status.PENDING)
                .order_by("-created_at")
                .first()
            )
            if verification is None or verification.expires_at <= timezone.now():
                return False
            if verification.checks >= settings.OTP_MAX_CHECKS:
                verification.status = status.MAX_ATTEMPTS
                verification.save(update_fields=["status"])
                locked = True
            else:
                locked = False
                verification.checks += 1
                approved = constant_time_compare(verification.code_hash, _code_hash(phone, code))
                if approved:
                    verification.status = status.APPROVED
                verification.save(update_fields=["checks", "status"])
        if locked:
            raise errors.too_many_checks()
        return approved


def get_gateway() -> VerificationGateway:
    if settings.TWILIO_VERIFY_SERVICE_SID:
        return TwilioVerifyGateway()
    return LocalVerificationGateway()
