"""Changing what proves who someone is: password reset by code, the proof-of-presence
code, and moving the login to a new phone number."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from modules.identity import errors, tokens
from modules.identity.accounts import activate, enqueue_verification, live_user
from modules.identity.gateways import get_gateway
from modules.identity.guards import (
    check_code,
    guard_otp_send,
    reauthenticate,
    user_model,
    validate_channel,
    validate_password,
)
from platform_core import audit
from platform_core.errors import Conflict
from platform_core.phones import mask_phone, normalize_phone


def start_password_reset(*, phone_number: str, ip: str | None) -> None:
    phone = normalize_phone(phone_number)
    guard_otp_send(phone, ip)
    if live_user(phone) is not None:
        enqueue_verification(phone, settings.OTP_DEFAULT_CHANNEL)


def confirm_password_reset(*, phone_number: str, code: str, new_password: str) -> dict[str, str]:
    phone = normalize_phone(phone_number)
    user = live_user(phone)
    validate_password(new_password, user or user_model()(phone_number=phone))
    if not check_code(phone, code) or user is None:
        raise errors.InvalidCode()
    user.set_password(new_password)
    user.save(update_fields=["password"])
    activate(user)
    tokens.revoke_all(user)  # a reset ends every other session
    audit.record("auth.password_reset", actor=user)
    return tokens.issue_pair(user)


def send_reauthentication_code(user: Any, *, channel: str | None = None, ip: str | None) -> None:
    """A code to the account's own phone, for erasure without a password."""
    channel = validate_channel(channel)
    guard_otp_send(user.phone_number, ip)
    get_gateway().start(user.phone_number, channel)


def start_phone_change(
    user: Any,
    *,
    new_phone_number: str,
    password: str = "",
    code: str = "",
    channel: str | None = None,
    ip: str | None,
) -> None:
    """Send a code to the new number; the change happens when it is confirmed. Moving the
    login is proof-of-presence work: the password, or a code sent to the current number
    (``me/reauth-code/``), so a stolen access token alone cannot take the account."""
    new_phone = normalize_phone(new_phone_number)
    channel = validate_channel(channel)
    reauthenticate(user, password=password, code=code)
    if new_phone == user.phone_number:
        raise Conflict(_("El número nuevo es igual al actual."), code="same_phone")
    guard_otp_send(new_phone, ip)
    user.pending_phone_number = new_phone
    user.save(update_fields=["pending_phone_number"])
    get_gateway().start(new_phone, channel)


def confirm_phone_change(user: Any, *, code: str) -> Any:
    new_phone = user.pending_phone_number
    if not new_phone:
        raise Conflict(_("No hay un cambio de número pendiente."), code="no_pending_phone_change")
    if not check_code(new_phone, code):
        raise errors.InvalidCode()
    User = user_model()
    old_phone = user.phone_number
    try:
        with transaction.atomic():
            if User.objects.filter(phone_number=new_phone).exclude(pk=user.pk).exists():
                raise errors.PhoneTaken()
            user.phone_number = new_phone
            user.pending_phone_number = ""
            user.phone_verified_at = timezone.now()
            user.save(update_fields=["phone_number", "pending_phone_number", "phone_verified_at"])
    except IntegrityError:
        raise errors.PhoneTaken() from None
    audit.record(
        "auth.phone_changed",
        actor=user,
        details={"from": mask_phone(old_phone), "to": mask_phone(new_phone)},
    )
    return user
