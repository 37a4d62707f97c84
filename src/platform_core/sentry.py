"""Sentry initialisation with personal data scrubbed before anything leaves the process."""

from __future__ import annotations

from typing import Any

from platform_core.logging import scrub

_SENSITIVE_KEYS = (
    "password",
    "token",
    "secret",
    "authorization",
    "phone",
    "card",
    "cvc",
    "code",
    "signature",
    "cookie",
    "otp",
    "key",
)


def _scrub_value(value: Any) -> Any:
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, dict):
        return {
            k: "[redactado]"
            if any(s in str(k).lower() for s in _SENSITIVE_KEYS)
            else _scrub_value(v)
            for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [_scrub_value(v) for v in value]
    return value


def before_send(event: dict[str, Any], hint: dict[str, Any] | None = None) -> dict[str, Any]:
    return _scrub_value(event)


def init_sentry(dsn: str, *, environment: str, traces_sample_rate: float) -> None:
    import sentry_sdk
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.django import DjangoIntegration

    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        traces_sample_rate=traces_sample_rate,
        send_default_pii=False,
        integrations=[DjangoIntegration(), CeleryIntegration()],
        # Only the integrations above (plus the SDK's defaults: logging, stdlib, threading...).
        # Auto-enabling would import every installed library Sentry can instrument at start-up,
        # google-genai and aiohttp included (~30 MB in each web worker, which never calls
        # Gemini: see docs/performance.md "Memory and start-up").
        auto_enabling_integrations=False,
        before_send=before_send,
        before_send_transaction=before_send,
    )
