"""Short payment links for WhatsApp: /api/assistant/l/<code> redirects to the long URL."""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from modules.assistant.models import ShortLink

_ALPHABET = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no look-alikes


def shorten(url: str) -> str:
    """A short URL for ``url`` (http/https only; anything else is returned unchanged)."""
    if not url.startswith(("https://", "http://")):
        return url
    now = timezone.now()
    expires = now + timedelta(hours=settings.ASSISTANT_SHORT_LINK_HOURS)
    for _attempt in range(5):
        code = "".join(secrets.choice(_ALPHABET) for _ in range(8))
        try:
            with transaction.atomic():
                ShortLink.objects.create(code=code, target=url, expires_at=expires)
        except IntegrityError:  # a collision (56^8 codes): draw again
            continue
        path = reverse("api:assistant_short_link", kwargs={"code": code})
        return f"{settings.SITE_URL}{path}"
    return url


def target(code: str) -> str | None:
    link = ShortLink.objects.filter(code=code[:16], expires_at__gt=timezone.now()).first()
    return link.target if link else None
