"""Staff accounts and roles: role groups, staff creation, and the permissions each role
gets from what the enabled plugins declare."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib.auth.models import Group
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.utils.translation import gettext as _

from modules.identity import errors
from modules.identity.guards import clean_email, user_model, validate_password
from modules.identity.roles import ALL_ROLES, STAFF_ROLES
from platform_core import audit
from platform_core.errors import Conflict, ValidationFailed
from platform_core.phones import normalize_phone
from platform_core.plugins import (
    get_plugins,
    role_permissions,
)


def _role_groups(roles: Iterable[str]) -> list[Group]:
    roles = list(dict.fromkeys(roles))
    unknown = [r for r in roles if r not in ALL_ROLES]
    if unknown:
        raise ValidationFailed(
            _("Rol desconocido."), details=[{"field": "roles", "message": ", ".join(unknown)}]
        )
    return [Group.objects.get_or_create(name=r)[0] for r in roles]


def set_roles(user: Any, roles: Iterable[str], *, actor: Any = None, request: Any = None) -> Any:
    """Replace the user's role groups (other groups stay) and audit the change."""
    groups = _role_groups(roles)
    new_roles = sorted(g.name for g in groups)
    before = sorted(user.groups.filter(name__in=ALL_ROLES).values_list("name", flat=True))
    if actor is not None and actor.pk == user.pk and "admin" in before and "admin" not in new_roles:
        raise Conflict(
            _("No puedes quitarte tu propio rol de administrador."), code="self_demotion"
        )
    with transaction.atomic():
        user.groups.remove(*Group.objects.filter(name__in=ALL_ROLES))
        user.groups.add(*groups)
        is_staff = user.is_superuser or any(r in STAFF_ROLES for r in new_roles)
        if user.is_staff != is_staff:
            user.is_staff = is_staff
            user.save(update_fields=["is_staff"])
        if before != new_roles:
            audit.record(
                "roles.changed",
                actor=actor,
                request=request,
                target=f"user:{user.public_id}",
                details={"before": before, "after": new_roles},
            )
    return user


def create_staff_account(
    *,
    actor: Any,
    phone_number: str,
    roles: Iterable[str],
    first_name: str = "",
    last_name: str = "",
    email: str = "",
    password: str = "",
    request: Any = None,
) -> Any:
    """An active account for staff. Without a password the person sets one via reset."""
    phone = normalize_phone(phone_number)
    roles = list(roles)
    if not roles or any(r not in STAFF_ROLES for r in roles):
        raise ValidationFailed(
            _("Indica al menos un rol de personal."),
            details=[{"field": "roles", "message": ", ".join(STAFF_ROLES)}],
        )
    User = user_model()
    email = clean_email(email)
    if password:
        validate_password(password, User(phone_number=phone, first_name=first_name))
    with transaction.atomic():
        if User.objects.filter(phone_number=phone).exists():
            raise errors.PhoneTaken()
        user = User.objects.create_user(
            phone,
            password or None,
            first_name=first_name,
            last_name=last_name,
            email=email,
            is_active=True,
            is_staff=True,
        )
        audit.record(
            "staff.created",
            actor=actor,
            request=request,
            target=f"user:{user.public_id}",
            details={"roles": sorted(roles)},
        )
        set_roles(user, roles, actor=actor, request=request)
    return user


def role_permission_patterns() -> dict[str, tuple[str, ...]]:
    """Each role's permission patterns, as the enabled plugins declare them (every role is
    present, possibly empty). A plugin naming a role identity does not know is an error."""
    declared = role_permissions(get_plugins())
    unknown = sorted(set(declared) - set(ALL_ROLES))
    if unknown:
        raise ImproperlyConfigured(f"plugins grant permissions to unknown roles: {unknown}")
    return {role: declared.get(role, ()) for role in ALL_ROLES}


def sync_role_permissions() -> None:
    """Create the role groups and grant what the plugins declare for each (idempotent; runs
    after migrate)."""
    from django.contrib.auth.models import Permission

    permissions = list(Permission.objects.select_related("content_type"))
    for role, patterns in role_permission_patterns().items():
        group, _created = Group.objects.get_or_create(name=role)
        wanted = [p for p in permissions if _matches(p, patterns)]
        group.permissions.add(*wanted)


def _matches(permission: Any, patterns: Iterable[str]) -> bool:
    label = permission.content_type.app_label
    codename = permission.codename
    for pattern in patterns:
        app, _dot, rule = pattern.partition(".")
        if app != label:
            continue
        if rule == "*" or rule == codename:
            return True
        if rule.endswith("_*") and codename.startswith(rule[:-1]):
            return True
    return False
