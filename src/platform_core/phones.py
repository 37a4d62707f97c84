"""Phone numbers: E.164 via phonenumbers, Colombia as the default region."""

from __future__ import annotations

import phonenumbers
from django.conf import settings
from django.utils.translation import gettext as _

from platform_core.errors import ValidationFailed


def normalize_phone(raw: str, *, region: str | None = None) -> str:
    """Return the E.164 form of ``raw`` or raise ValidationFailed (code invalid_phone)."""
    text = (raw or "").strip()
    if text.startswith("whatsapp:"):
        text = text[len("whatsapp:") :]
    try:
        parsed = phonenumbers.parse(text, region or settings.PHONE_DEFAULT_REGION)
    except phonenumbers.NumberParseException:
        parsed = None
    if parsed is None or not phonenumbers.is_valid_number(parsed):
        raise ValidationFailed(
            _("El número de teléfono no es válido."),
            code="invalid_phone",
            details=[{"field": "phone_number", "message": _("Usa el formato +57 300 123 4567.")}],
        )
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def mask_phone(e164: str) -> str:
    """+573001234567 -> +57******4567 (for logs and admin lists)."""
    if len(e164) <= 6:
        return "***"
    return f"{e164[:3]}{'*' * (len(e164) - 7)}{e164[-4:]}"
