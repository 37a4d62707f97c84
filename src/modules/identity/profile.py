"""The account holder's own profile: names, email, language, notification preferences."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

from modules.identity.guards import clean_email
from platform_core.errors import ValidationFailed

OPT_OUT_CHANNELS = ("whatsapp", "sms", "email")


def update_profile(user: Any, **changes: Any) -> Any:
    """Apply the given fields (names, email, language, notification preferences)."""
    fields: list[str] = []
    for name in ("first_name", "last_name"):
        if changes.get(name) is not None:
            setattr(user, name, changes[name].strip())
            fields.append(name)
    if changes.get("email") is not None:
        user.email = clean_email(changes["email"])
        fields.append("email")
    if changes.get("language") is not None:
        languages = {code for code, _name in settings.LANGUAGES}
        if changes["language"] not in languages:
            raise ValidationFailed(
                _("Idioma no disponible."),
                details=[{"field": "language", "message": ", ".join(sorted(languages))}],
            )
        user.language = changes["language"]
        fields.append("language")
    if changes.get("notification_channel") is not None:
        user.notification_channel = changes["notification_channel"]
        fields.append("notification_channel")
    opt_outs = changes.get("notification_opt_outs")
    if opt_outs is not None:
        user.notification_opt_outs = sorted(set(opt_outs))
        fields.append("notification_opt_outs")
    if fields:
        user.save(update_fields=fields)
    if opt_outs is not None:
        _sync_opt_outs(user)
    return user


def _sync_opt_outs(user: Any) -> None:
    from platform_core.notifications import set_opt_out

    every = "all" in user.notification_opt_outs
    for channel in OPT_OUT_CHANNELS:
        set_opt_out(
            user_id=user.pk,
            channel=channel,
            opted_out=every or channel in user.notification_opt_outs,
        )
