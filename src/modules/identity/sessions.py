"""Signing in (with the login lockouts) and out."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from modules.identity import errors, tokens
from modules.identity.accounts import live_user
from modules.identity.guards import login_lockouts, password_matches
from platform_core import audit
from platform_core.errors import RateLimited, ValidationFailed
from platform_core.phones import mask_phone, normalize_phone


def login(*, phone_number: str, password: str, ip: str | None) -> dict[str, str]:
    try:
        phone = normalize_phone(phone_number)
    except ValidationFailed:
        phone = ""
    by_phone, by_ip = login_lockouts()
    wait = max(by_phone.locked_for(phone) if phone else 0, by_ip.locked_for(ip or "-"))
    if wait:
        raise RateLimited(wait, _("Demasiados intentos fallidos. Intenta más tarde."))
    user = live_user(phone) if phone else None
    if not password_matches(user, password):
        locked = max(by_phone.fail(phone) if phone else 0, by_ip.fail(ip or "-"))
        audit.record("auth.login_failed", target=f"phone:{mask_phone(phone)}", ip=ip)
        if locked:
            raise RateLimited(locked, _("Demasiados intentos fallidos. Intenta más tarde."))
        raise errors.InvalidCredentials()
    if not user.is_active:
        raise errors.AccountNotVerified()
    user.last_login = timezone.now()
    user.save(update_fields=["last_login"])
    audit.record("auth.login", actor=user, ip=ip)
    return tokens.issue_pair(user)


def logout(user: Any, *, refresh: str = "", everywhere: bool = False) -> None:
    if everywhere:
        tokens.revoke_all(user)
    if refresh:
        tokens.revoke(refresh, user)
    audit.record("auth.logout", actor=user, details={"everywhere": everywhere})
