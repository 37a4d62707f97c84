"""identity's public face: the only thing other modules import from identity."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from modules.identity.roles import ADMIN, ALL_ROLES, CLIENT, RECEPTION, STAFF_ROLES, THERAPIST
from platform_core.errors import NotFound

__all__ = [
    "ADMIN",
    "ALL_ROLES",
    "CLIENT",
    "RECEPTION",
    "STAFF_ROLES",
    "THERAPIST",
    "UserDTO",
    "confirm_phone_verification",
    "extend_vip",
    "get_or_create_client_by_phone",
    "get_user",
    "get_user_by_phone",
    "has_role",
    "invite_desk_client",
    "is_vip",
    "set_vip_until",
    "staff_recipients",
    "start_phone_verification",
    "to_dto",
    "users_with_role",
]


@dataclass(frozen=True)
class UserDTO:
    id: int
    public_id: uuid.UUID
    phone_number: str
    email: str
    first_name: str
    last_name: str
    language: str
    is_vip: bool
    vip_until: datetime | None

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


def to_dto(user: Any) -> UserDTO:
    return UserDTO(
        id=user.pk,
        public_id=user.public_id,
        phone_number=user.phone_number,
        email=user.email,
        first_name=user.first_name,
        last_name=user.last_name,
        language=user.language,
        is_vip=user.is_vip,
        vip_until=user.vip_until,
    )


def get_user(*, pk: int | None = None, public_id: uuid.UUID | str | None = None) -> Any:
    """The user model instance (for ForeignKeys and request.auth comparisons)."""
    User = get_user_model()
    try:
        if pk is not None:
            return User.objects.get(pk=pk)
        return User.objects.get(public_id=public_id)
    except (User.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None


def get_user_by_phone(phone_e164: str) -> Any | None:
    return get_user_model().objects.filter(phone_number=phone_e164, erased_at__isnull=True).first()


def has_role(user: Any, *roles: str) -> bool:
    """True for superusers, or when the user belongs to any of the groups named."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if user.is_superuser:
        return True
    return user.groups.filter(name__in=roles).exists()


def is_vip(user: Any) -> bool:
    return bool(user.vip_until and user.vip_until > timezone.now())


def set_vip_until(user_id: int, until: datetime | None) -> None:
    get_user_model().objects.filter(pk=user_id).update(vip_until=until)


def extend_vip(user_id: int, until: datetime) -> datetime:
    """Move vip_until forward to ``until`` (never backwards). Returns the new value."""
    User = get_user_model()
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user_id)
        if user.vip_until is None or user.vip_until < until:
            user.vip_until = until
            user.save(update_fields=["vip_until"])
        return user.vip_until


def users_with_role(*roles: str) -> list[Any]:
    """Active users in any of the groups named (e.g. reception, for staff alerts)."""
    return list(
        get_user_model()
        .objects.filter(is_active=True, groups__name__in=roles, erased_at__isnull=True)
        .distinct()
    )


def start_phone_verification(phone: str, channel: str = "whatsapp") -> None:
    """Send a one-time code to ``phone`` now (rate-limited; provider errors raise 4xx
    DomainErrors: invalid_phone, verification_max_sends, ...)."""
    from modules.identity import services

    services.start_phone_verification(phone, channel)


def confirm_phone_verification(phone: str, code: str) -> Any:
    """Check the code; returns the active account for ``phone`` (a client account is
    created when none exists). Raises ValidationFailed (invalid_code) or RateLimited."""
    from modules.identity import services

    return services.confirm_phone_verification(phone, code)


def get_or_create_client_by_phone(phone: str) -> Any:
    """Reception's walk-in: the live account for ``phone`` or a new active client with
    no usable password (the person can set one later through password reset)."""
    from modules.identity import services

    return services.get_or_create_client_by_phone(phone)


def staff_recipients(*roles: str) -> list[Any]:
    """platform_core.notifications Recipients for active staff (reception and admin by
    default), e.g. for new-booking alerts."""
    from platform_core.notifications import Recipient

    return [Recipient.from_user(u) for u in users_with_role(*(roles or (RECEPTION, ADMIN)))]


def invite_desk_client(phone: str, first_name: str = "", last_name: str = "") -> tuple[Any, bool]:
    """Reception registers a client at the desk: the live account for ``phone`` (names
    untouched) or a new client with these names, who gets the usual sign-up invitation
    (WhatsApp, once per account: they finish signing up with their phone's code).
    Returns (user, created)."""
    from django.conf import settings

    from modules.identity import services
    from platform_core import notifications

    existing = get_user_by_phone(services.normalize_phone(phone))
    user = services.get_or_create_client_by_phone(phone)
    created = existing is None
    if created:
        user.first_name, user.last_name = first_name.strip()[:150], last_name.strip()[:150]
        user.save(update_fields=["first_name", "last_name"])
        notifications.notify(
            to=notifications.Recipient.from_user(user),
            template="identity/desk_invitation",
            context={
                "client_name": user.first_name,
                "signup_url": getattr(settings, "ASSISTANT_SIGNUP_URL", settings.SITE_URL),
            },
            channels=None,
            idempotency_key=f"user:{user.public_id}:desk_invitation",
        )
    return user, created
