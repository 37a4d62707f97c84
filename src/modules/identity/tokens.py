"""JWT pairs (ninja-jwt, signed with JWT_SIGNING_KEY): issue, rotate, revoke.

Every refresh token we issue is recorded as outstanding for its user, so "revoke all"
(logout everywhere, password reset, erasure) can blacklist them. Presenting a refresh
token that was already rotated is treated as theft: the whole family is revoked.
"""

from __future__ import annotations

import logging
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from ninja_jwt.exceptions import TokenError
from ninja_jwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from ninja_jwt.tokens import RefreshToken, UntypedToken
from ninja_jwt.utils import datetime_from_epoch

from modules.identity.errors import TokenInvalid

logger = logging.getLogger(__name__)


def issue_pair(user: Any) -> dict[str, str]:
    refresh = RefreshToken.for_user(user)
    return {"access": str(refresh.access_token), "refresh": str(refresh)}


def _blacklist(token: RefreshToken, raw: str, user: Any) -> bool:
    """Blacklist ``token``; False when it already was (a concurrent or replayed use)."""
    outstanding, _ = OutstandingToken.objects.get_or_create(
        jti=token["jti"],
        defaults={"token": raw, "user": user, "expires_at": datetime_from_epoch(token["exp"])},
    )
    _, created = BlacklistedToken.objects.get_or_create(token=outstanding)
    return created


def _decode_refresh(raw: str) -> RefreshToken:
    try:
        return RefreshToken(raw)
    except TokenError:
        _revoke_family_if_replayed(raw)
        raise TokenInvalid() from None


def _revoke_family_if_replayed(raw: str) -> None:
    try:
        token = UntypedToken(raw)  # signature and expiry checked, blacklist not
    except TokenError:
        return
    if token.get("token_type") != "refresh":
        return
    if BlacklistedToken.objects.filter(token__jti=token.get("jti")).exists():
        user = get_user_model().objects.filter(public_id=token.get("sub")).first()
        if user is not None:
            logger.warning("Reuse of a rotated refresh token; revoking the user's sessions")
            revoke_all(user)


def _user_for(token: RefreshToken) -> Any:
    user = get_user_model().objects.filter(public_id=token.get("sub")).first()
    if user is None or not user.is_active:
        raise TokenInvalid()
    return user


def rotate(raw: str) -> dict[str, str]:
    """A new pair for a valid refresh token, which is blacklisted (single use)."""
    token = _decode_refresh(raw)
    user = _user_for(token)
    with transaction.atomic():
        if not _blacklist(token, raw, user):
            raise TokenInvalid()
        return issue_pair(user)


def revoke(raw: str, user: Any) -> None:
    """Blacklist one refresh token of ``user`` (logout)."""
    token = _decode_refresh(raw)
    if str(token.get("sub")) != str(user.public_id):
        raise TokenInvalid()
    _blacklist(token, raw, user)


def revoke_all(user: Any) -> int:
    """Blacklist every unexpired refresh token of ``user``. Returns how many."""
    pending = OutstandingToken.objects.filter(
        user=user, expires_at__gt=timezone.now(), blacklistedtoken__isnull=True
    )
    count = 0
    for outstanding in pending:
        _, created = BlacklistedToken.objects.get_or_create(token=outstanding)
        count += int(created)
    return count
