"""Encrypted model fields: MultiFernet on ``settings.FERNET_KEYS`` (first key encrypts,
every key decrypts), so keys can be rotated with ``manage.py rotate_encryption_keys``.

Values are decrypted when loaded and encrypted when saved; the column holds a Fernet
token (text). Encrypted columns cannot be filtered or ordered by value (each token is
randomised) — look rows up by another column. In the admin the value is shown masked
and is read-only; ``repr()`` of a decrypted text value is masked too.
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django import forms
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models

MASK = "••••••"


def _keys() -> tuple[str, ...]:
    keys = tuple(k.strip() for k in getattr(settings, "FERNET_KEYS", ()) if k and k.strip())
    if not keys:
        raise ImproperlyConfigured("FERNET_KEYS (or FERNET_KEY) is not set")
    return keys


@lru_cache(maxsize=8)
def _multi_fernet(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(key.encode()) for key in keys])


def get_fernet() -> MultiFernet:
    """The MultiFernet for the configured keys (cached per key list, so tests and
    rotations that change ``FERNET_KEYS`` take effect immediately)."""
    return _multi_fernet(_keys())


def primary_fernet() -> Fernet:
    return Fernet(_keys()[0].encode())


def primary_key_fingerprint() -> str:
    """A short, non-secret identifier of the primary key (for rotation checkpoints)."""
    import hashlib

    return hashlib.sha256(_keys()[0].encode()).hexdigest()[:12]


def encrypt_str(plain: str) -> str:
    return get_fernet().encrypt(plain.encode()).decode()


def decrypt_str(token: str) -> str:
    try:
        return get_fernet().decrypt(token.encode()).decode()
    except InvalidToken as exc:
        # Never include the token: it would leak into logs and error reports.
        raise ImproperlyConfigured(
            "An encrypted value cannot be decrypted with any key in FERNET_KEYS "
            "(was a key removed before rotate_encryption_keys finished?)"
        ) from exc


def rotate_token(token: str) -> str:
    """Re-encrypt ``token`` under the primary key (keeps the original timestamp)."""
    return get_fernet().rotate(token.encode()).decode()


def is_current(token: str) -> bool:
    """True when ``token`` is already encrypted with the primary key."""
    try:
        primary_fernet().decrypt(token.encode())
    except InvalidToken:
        return False
    return True


def mask(value: Any) -> str:
    """``'4111111111111111'`` -> ``'••••••1111'``; empty stays empty."""
    if value in (None, "", {}, []):
        return ""
    if isinstance(value, str) and len(value) >= 12:
        return f"{MASK}{value[-4:]}"
    return MASK


class SecretStr(str):
    """A decrypted text value: behaves as ``str`` but its repr is masked, so it does
    not leak through ``repr(instance.__dict__)``, debuggers or ``%r`` logging."""

    def __repr__(self) -> str:
        return f"SecretStr({mask(str(self))!r})"


class MaskedWidget(forms.TextInput):
    """Renders the masked value; the admin field using it is disabled (read-only)."""

    def format_value(self, value: Any) -> str | None:
        return mask(value) or None


class EncryptedFieldMixin:
    """Shared behaviour of encrypted fields; ``rotate_encryption_keys`` finds columns
    through this base class."""

    encrypted = True

    def _serialize(self, value: Any) -> str:
        raise NotImplementedError

    def _deserialize(self, text: str) -> Any:
        raise NotImplementedError

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        if value is None or value == "":
            return value
        return self._deserialize(decrypt_str(value))

    def get_prep_value(self, value: Any) -> Any:
        if value is None:
            return None
        text = self._serialize(value)
        if text == "" and not isinstance(self, EncryptedJSONField):
            return ""
        return encrypt_str(text)

    def formfield(self, **kwargs: Any) -> forms.Field:
        # Secrets are never shown nor edited through model forms (the admin).
        return forms.CharField(
            required=False, disabled=True, widget=MaskedWidget, label=kwargs.get("label")
        )

    def value_to_string(self, obj: Any) -> str:
        # dumpdata/serialisation write the token, never the clear value.
        value = self.value_from_object(obj)  # type: ignore[attr-defined]
        return "" if value is None else self.get_prep_value(value)


class EncryptedTextField(EncryptedFieldMixin, models.TextField):
    """A text value stored as a Fernet token."""

    description = "Encrypted text"

    def _serialize(self, value: Any) -> str:
        return str(value)

    def _deserialize(self, text: str) -> Any:
        return SecretStr(text)

    def to_python(self, value: Any) -> Any:
        if value is None or isinstance(value, SecretStr):
            return value
        return SecretStr(str(value))


class EncryptedJSONField(EncryptedFieldMixin, models.TextField):
    """A JSON-serialisable value (dict, list, str, number) stored as a Fernet token."""

    description = "Encrypted JSON"

    def _serialize(self, value: Any) -> str:
        return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)

    def _deserialize(self, text: str) -> Any:
        return json.loads(text)

    def to_python(self, value: Any) -> Any:
        if isinstance(value, str):
            try:
                return json.loads(value)
            except ValueError:
                return value
        return value


def encrypted_fields(model: type[models.Model]) -> list[models.Field]:
    """The concrete encrypted columns of ``model`` (used by the rotation command)."""
    return [
        f
        for f in model._meta.concrete_fields
        if isinstance(f, EncryptedFieldMixin) and f.model is model
    ]
