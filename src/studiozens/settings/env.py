"""Typed reads of environment variables, and the production secret checks."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

PLACEHOLDER_MARKERS = ("CAMBIAR", "XXXX", "tu_", "change-me", "changeme")


class ImproperlyConfiguredEnv(SystemExit):
    """Raised at import time; SystemExit so that manage.py/gunicorn exit non-zero."""

    def __init__(self, message: str) -> None:
        super().__init__(f"Configuration error: {message}")


class Env:
    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        self.environ = os.environ if environ is None else environ

    def str(self, name: str, default: str = "") -> str:
        return self.environ.get(name, default).strip()

    def bool(self, name: str, default: bool = False) -> bool:
        raw = self.environ.get(name)
        if raw is None or raw.strip() == "":
            return default
        value = raw.strip().lower()
        if value in {"1", "true", "yes", "on"}:
            return True
        if value in {"0", "false", "no", "off"}:
            return False
        raise ImproperlyConfiguredEnv(f"{name} must be a boolean (true/false), got {raw!r}")

    def int(self, name: str, default: int) -> int:
        raw = self.environ.get(name, "").strip()
        if not raw:
            return default
        try:
            return int(raw)
        except ValueError:
            raise ImproperlyConfiguredEnv(f"{name} must be an integer, got {raw!r}") from None

    def float(self, name: str, default: float) -> float:
        raw = self.environ.get(name, "").strip()
        if not raw:
            return default
        try:
            return float(raw)
        except ValueError:
            raise ImproperlyConfiguredEnv(f"{name} must be a number, got {raw!r}") from None

    def list(self, name: str, default: list[str] | None = None) -> list[str]:
        raw = self.environ.get(name)
        if raw is None or not raw.strip():
            return list(default or [])
        return [item.strip() for item in raw.split(",") if item.strip()]


def check_secret(name: str, value: str, *, min_length: int = 32) -> None:
    """Refuse a missing, short or placeholder secret, naming the variable."""
    if not value:
        raise ImproperlyConfiguredEnv(f"{name} is required in production and is not set")
    # Case-sensitive, as the templates write them: matched case-blind, "tu_" alone turns
    # up in about one random 86-character key in a thousand.
    if any(marker in value for marker in PLACEHOLDER_MARKERS):
        raise ImproperlyConfiguredEnv(f"{name} still holds a placeholder value")
    if len(value) < min_length:
        raise ImproperlyConfiguredEnv(
            f"{name} is too short ({len(value)} characters, at least {min_length})"
        )


def load_dotenv_for_development(path: Path) -> bool:
    """Load ``path`` (a ``.env`` file) into ``os.environ`` unless the environment says test or
    production. Existing variables win. A ``.env`` that tries to switch to production is
    refused: production reads its variables from the platform, never from a file."""
    if os.environ.get("DJANGO_ENV", "development").strip() not in {"", "development"}:
        return False
    if os.environ.get("DJANGO_READ_DOT_ENV", "true").strip().lower() in {"0", "false", "no"}:
        return False
    if not path.is_file():
        return False
    from dotenv import dotenv_values

    values = {k: v for k, v in dotenv_values(path).items() if v is not None}
    if values.get("DJANGO_ENV", "development").strip() not in {"", "development"}:
        raise ImproperlyConfiguredEnv(
            f"{path.name} sets DJANGO_ENV={values['DJANGO_ENV']}; .env is read in development "
            "only (export DJANGO_ENV in the environment instead)"
        )
    for key, value in values.items():
        os.environ.setdefault(key, value)
    return True
