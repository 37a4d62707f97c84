"""identity's public face: the only thing other modules import from identity.

It returns frozen ``UserDTO``s, never model instances, and takes users as ``UserRef`` (the
model instance of ``request.auth`` or a ``UserDTO``: both have ``id`` and ``public_id``)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from modules.identity.roles import ADMIN, ALL_ROLES, CLIENT, RECEPTION, STAFF_ROLES, THERAPIST
from platform_core.accounts import UserRef
from platform_core.errors import NotFound
from platform_core.notifications import Recipient

__all__ = [
    "ADMIN",
    "ALL_ROLES",
    "CLIENT",
    "RECEPTION",
    "STAFF_ROLES",
    "THERAPIST",
    "UserDTO",
    "UserRef",
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
    """A person's account as other modules see it (never the model instance)."""

    id: int
    public_id: uuid.UUID
    phone_number: str
    email: str
    first_name: str
    last_name: str
    language: str
    notification_channel: str
    is_staff: bool  # may use the admin (staff roles and superusers)
    is_vip: bool
    vip_until: datetime | None

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


def to_dto(user: UserRef) -> UserDTO:
    """The DTO of a user: a DTO as is, the model instance read without a query, any other
    reference (only ``id``) loaded from the database."""
    if isinstance(user, UserDTO):
        return user
    if not isinstance(user, get_user_model()):
        return get_user(pk=user.id)
    model: Any = user
    return UserDTO(
        id=model.pk,
        public_id=model.public_id,
        phone_number=model.phone_number,
        email=model.email,
        first_name=model.first_name,
        last_name=model.last_name,
        language=model.language,
        notification_channel=model.notification_channel,
        is_staff=model.is_staff,
        is_vip=bool(model.vip_until and model.vip_until > timezone.now()),
        vip_until=model.vip_until,
    )


def get_user(*, pk: int | None = None, public_id: uuid.UUID | str | None = None) -> UserDTO:
    """The account by id or public id; NotFound otherwise. A module that keeps a row about
    the person stores ``user_id=dto.id``."""
    User = get_user_model()
    try:
        if pk is not None:
            return to_dto(User.objects.get(pk=pk))
        return to_dto(User.objects.get(public_id=public_id))
    except (User.DoesNotExist, ValueError, TypeError, ValidationError):
        raise NotFound() from None


def get_user_by_phone(phone_e164: str) -> UserDTO | None:
    user = get_user_model().objects.filter(phone_number=phone_e164, erased_at__isnull=True).first()
    return to_dto(user) if user is not None else None


def has_role(user: UserRef | None, *roles: str) -> bool:
    """True for superusers, or when the user belongs to any of the groups named. Anonymous
    (or no) user: False."""
    if user is None or getattr(user, "id", None) is None:
        return False
    if not getattr(user, "is_authenticated", True):
        return False
    if getattr(user, "is_superuser", False):  # the model instance of request.auth
        return True
    if isinstance(user, get_user_model()):
        # Its superuser flag is loaded: only the memberships to read (per process, until
        # a membership or group changes: modules.identity.memberships).
        from modules.identity.memberships import group_names

        return not group_names(user.pk).isdisjoint(roles)
    return (
        get_user_model()
        .objects.filter(pk=user.id)
        .filter(Q(is_superuser=True) | Q(groups__name__in=roles))
        .exists()
    )


def is_vip(user: UserRef) -> bool:
    return to_dto(user).is_vip


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


def users_with_role(*roles: str) -> list[UserDTO]:
    """Active users in any of the groups named (e.g. reception, for staff alerts)."""
    users = (
        get_user_model()
        .objects.filter(is_active=True, groups__name__in=roles, erased_at__isnull=True)
        .distinct()
    )
    return [to_dto(user) for user in users]


def start_phone_verification(phone: str, channel: str = "whatsapp") -> None:
    """Send a one-time code to ``phone`` now (rate-limited; provider errors raise 4xx
    DomainErrors: invalid_phone, verification_max_sends, ...)."""
    from modules.identity import registration

    registration.start_phone_verification(phone, channel)


def confirm_phone_verification(phone: str, code: str) -> UserDTO:
    """Check the code; returns the active account for ``phone`` (a client account is
    created when none exists). Raises ValidationFailed (invalid_code) or RateLimited."""
    from modules.identity import registration

    return to_dto(registration.confirm_phone_verification(phone, code))


def get_or_create_client_by_phone(
    phone: str, *, first_name: str = "", last_name: str = ""
) -> UserDTO:
    """Reception's walk-in: the live account for ``phone`` or a new active client with
    no usable password (the person can set one later through password reset). The names
    are written only on an account that has none."""
    from modules.identity import registration

    user = registration.get_or_create_client_by_phone(phone)
    if first_name.strip() and not user.first_name:
        user.first_name, user.last_name = first_name.strip()[:150], last_name.strip()[:150]
        user.save(update_fields=["first_name", "last_name"])
    return to_dto(user)


def staff_recipients(*roles: str) -> list[Recipient]:
    """platform_core.notifications Recipients for active staff (reception and admin by
    default), e.g. for new-booking alerts."""
    return [Recipient.from_user(u) for u in users_with_role(*(roles or (RECEPTION, ADMIN)))]


def invite_desk_client(
    phone: str, first_name: str = "", last_name: str = ""
) -> tuple[UserDTO, bool]:
    """Reception registers a client at the desk: the live account for ``phone`` (names
    untouched) or a new client with these names, who gets the usual sign-up invitation
    (WhatsApp, once per account: they finish signing up with their phone's code).
    Returns (user, created)."""
    from django.conf import settings

    from modules.identity import registration
    from platform_core import notifications
    from platform_core.phones import normalize_phone

    existing = get_user_by_phone(normalize_phone(phone))
    user = registration.get_or_create_client_by_phone(phone)
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
    return to_dto(user), created
