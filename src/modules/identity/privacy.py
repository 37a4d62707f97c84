"""A person's data across modules: one export, and erasure through every module's eraser."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from modules.identity import tokens
from modules.identity.guards import reauthenticate
from platform_core import audit
from platform_core.errors import ServiceUnavailable
from platform_core.plugins import (
    personal_data_erasers,
    personal_data_exporters,
)

logger = logging.getLogger(__name__)


EXPORT_FORMAT = "studiozens.personal-data.v1"


def export_personal_data(user: Any, *, actor: Any = None, request: Any = None) -> dict[str, Any]:
    """One document with what every enabled module holds about ``user``."""
    modules = {name: exporter(user) for name, exporter in personal_data_exporters().items()}
    audit.record(
        "personal_data.exported",
        actor=actor if actor is not None else user,
        request=request,
        target=f"user:{user.public_id}",
        details={"modules": sorted(modules)},
    )
    return {
        "format": EXPORT_FORMAT,
        "generated_at": timezone.now(),
        "user_id": str(user.public_id),
        "modules": modules,
    }


def erase_account(user: Any, *, actor: Any = None, request: Any = None) -> datetime:
    """Erase through every module's eraser (identity's last), revoke sessions, audit.

    All or nothing: one failing eraser rolls the whole erasure back.
    """
    if user.erased_at is not None:
        return user.erased_at
    erasers = personal_data_erasers()
    own = erasers.pop("identity", None)
    target = f"user:{user.public_id}"
    with transaction.atomic():
        for name, eraser in sorted(erasers.items()):
            try:
                eraser(user)
            except Exception as exc:
                # Roll everything back: a half-erased account is worse than none.
                logger.exception("personal-data eraser %s failed", name)
                raise ServiceUnavailable(
                    _("No pudimos borrar tus datos en este momento. Intenta más tarde."),
                    code="erasure_failed",
                ) from exc
        tokens.revoke_all(user)
        if own is not None:
            own(user)
        audit.record(
            "personal_data.erased",
            actor=actor,
            request=request,
            target=target,
            details={"modules": sorted([*erasers, *(["identity"] if own else [])])},
        )
    return user.erased_at


def erase_own_account(
    user: Any, *, password: str = "", code: str = "", request: Any = None
) -> None:
    reauthenticate(user, password=password, code=code)
    erase_account(user, actor=user, request=request)
