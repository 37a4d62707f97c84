"""Accounts coming into being: self sign-up (register, resend, verify), the assistant's
sign-up by code, and reception's walk-in clients. Anti-enumeration: see ``guards``."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.db import IntegrityError, transaction
from django.utils import timezone

from modules.identity import errors, tokens
from modules.identity.accounts import activate, enqueue_verification, live_user
from modules.identity.gateways import get_gateway
from modules.identity.guards import (
    check_code,
    clean_email,
    guard_otp_send,
    password_matches,
    user_model,
    validate_channel,
    validate_password,
)
from modules.identity.roles import CLIENT
from platform_core import audit
from platform_core.phones import mask_phone, normalize_phone


def register(
    *,
    phone_number: str,
    password: str,
    first_name: str = "",
    last_name: str = "",
    email: str = "",
    channel: str | None = None,
    accept_terms: bool = False,
    accept_data_policy: bool = False,
    ip: str | None = None,
) -> None:
    """Create an inactive account and send a code. Says nothing about existing accounts."""
    phone = normalize_phone(phone_number)
    channel = validate_channel(channel)
    email = clean_email(email)
    User = user_model()
    validate_password(
        password, User(phone_number=phone, first_name=first_name, last_name=last_name)
    )
    guard_otp_send(phone, ip)
    password_hash = make_password(password)
    now = timezone.now()
    consents: dict[str, Any] = {}
    if accept_terms:
        consents["terms_accepted_at"] = now
    if accept_data_policy:
        consents["data_policy_accepted_at"] = now
    if consents:
        consents["policy_version"] = settings.DATA_POLICY_VERSION

    with transaction.atomic():
        user = User.objects.select_for_update().filter(phone_number=phone).first()
        same_password = password_matches(user, password)  # equal hasher cost on every path
        if user is None:
            try:
                with transaction.atomic():
                    User.objects.create(
                        phone_number=phone,
                        password=password_hash,
                        first_name=first_name,
                        last_name=last_name,
                        email=email,
                        is_active=False,
                        **consents,
                    )
            except IntegrityError:
                return  # a concurrent registration won; answer the same
            audit.record("auth.signup_started", target=f"phone:{mask_phone(phone)}", ip=ip)
        elif user.is_active or user.erased_at is not None:
            return  # an existing account: same answer, no code, no change
        else:
            # A second registration of an unverified number: whoever confirms the code
            # owns the account, so a password set by someone else must not survive.
            if not same_password:
                user.set_unusable_password()
            user.first_name = user.first_name or first_name
            user.last_name = user.last_name or last_name
            user.email = user.email or email
            for field, value in consents.items():
                setattr(user, field, value)
            user.save()
        enqueue_verification(phone, channel)


def resend_verification(*, phone_number: str, channel: str | None = None, ip: str | None) -> None:
    """Send a new code to a pending registration (same answer for any number)."""
    phone = normalize_phone(phone_number)
    channel = validate_channel(channel)
    guard_otp_send(phone, ip)
    user = live_user(phone)
    if user is not None and not user.is_active:
        enqueue_verification(phone, channel)


def verify_phone(*, phone_number: str, code: str) -> dict[str, str]:
    """Confirm the code: activates a pending account (or signs in a verified one)."""
    phone = normalize_phone(phone_number)
    if not check_code(phone, code):
        raise errors.InvalidCode()
    user = live_user(phone)
    if user is None:
        raise errors.InvalidCode()
    was_active = user.is_active
    activate(user)
    audit.record("auth.phone_verified", actor=user, details={"activated": not was_active})
    return tokens.issue_pair(user)


def get_or_create_client_by_phone(phone_number: str) -> Any:
    """For reception's walk-ins: an active client with no usable password."""
    phone = normalize_phone(phone_number)
    user = live_user(phone)
    if user is not None:
        return user
    User = user_model()
    try:
        with transaction.atomic():
            user = User.objects.create_user(phone, None, is_active=True)
    except IntegrityError:
        return live_user(phone) or _raise_taken()
    user.groups.add(Group.objects.get_or_create(name=CLIENT)[0])
    audit.record("auth.client_created", target=f"user:{user.public_id}")
    return user


def _raise_taken() -> Any:
    raise errors.PhoneTaken()


def start_phone_verification(phone_number: str, channel: str = "whatsapp") -> None:
    """Send a code now (the assistant's sign-up); provider errors surface as 4xx."""
    phone = normalize_phone(phone_number)
    channel = validate_channel(channel)
    guard_otp_send(phone, None)
    get_gateway().start(phone, channel)


def confirm_phone_verification(phone_number: str, code: str) -> Any:
    """Check a code; returns the (now active) account, creating a client if none exists."""
    phone = normalize_phone(phone_number)
    if not check_code(phone, code):
        raise errors.InvalidCode()
    user = live_user(phone) or get_or_create_client_by_phone(phone)
    activate(user)
    audit.record("auth.phone_verified", actor=user, details={"via": "assistant"})
    return user
