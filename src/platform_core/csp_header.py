"""django-csp's middleware with the policy text built once per process.

django-csp 4 rebuilds the ``Content-Security-Policy`` header on every response (settings
copied into dataclasses, ``asdict``, every directive joined): ~0.15 ms of a 1 ms liveness
probe. Nothing here varies per request unless a view asks for it (a nonce, or a
``@csp_update``/``@csp_replace``/``@csp`` decorator on the response); those requests take
django-csp's own path. The text is rebuilt when the settings change (tests)."""

from __future__ import annotations

import http.client as http_client
from typing import Any

from csp.constants import HEADER, HEADER_REPORT_ONLY
from csp.middleware import CheckableLazyObject
from csp.middleware import CSPMiddleware as BaseCSPMiddleware
from csp.utils import build_policy
from django.conf import settings
from django.core.signals import setting_changed
from django.http import HttpRequest, HttpResponseBase

# Response attributes set by django-csp's decorators: a per-view policy.
_PER_VIEW = (
    "_csp_config",
    "_csp_update",
    "_csp_replace",
    "_csp_config_ro",
    "_csp_update_ro",
    "_csp_replace_ro",
)
_EXEMPT_WHEN_DEBUG = (http_client.INTERNAL_SERVER_ERROR, http_client.NOT_FOUND)
_built: list[tuple[str, tuple[str, ...], str, tuple[str, ...]]] = []


def _policies() -> tuple[str, tuple[str, ...], str, tuple[str, ...]]:
    """(policy, its excluded path prefixes, report-only policy, its prefixes)."""
    if not _built:
        enforced = getattr(settings, "CONTENT_SECURITY_POLICY", None) or {}
        report_only = getattr(settings, "CONTENT_SECURITY_POLICY_REPORT_ONLY", None) or {}
        _built.append(
            (
                build_policy(),
                tuple(enforced.get("EXCLUDE_URL_PREFIXES", None) or ()),
                build_policy(report_only=True),
                tuple(report_only.get("EXCLUDE_URL_PREFIXES", None) or ()),
            )
        )
    return _built[0]


def _forget(*, setting: str, **kwargs: Any) -> None:
    if setting.startswith("CONTENT_SECURITY_POLICY"):
        _built.clear()


setting_changed.connect(_forget, dispatch_uid="platform_core.csp_header")


class CSPMiddleware(BaseCSPMiddleware):
    def process_response(
        self, request: HttpRequest, response: HttpResponseBase
    ) -> HttpResponseBase:
        if getattr(request, "_csp_nonce", None) is not None or any(
            getattr(response, name, None) is not None for name in _PER_VIEW
        ):
            return super().process_response(request, response)
        if response.status_code in _EXEMPT_WHEN_DEBUG and settings.DEBUG:
            return response
        policy, excluded, policy_ro, excluded_ro = _policies()
        path = request.path_info
        if (
            policy
            and HEADER not in response
            and getattr(response, "_csp_exempt", False) is False
            and not path.startswith(excluded)
        ):
            response[HEADER] = policy
        if (
            policy_ro
            and HEADER_REPORT_ONLY not in response
            and getattr(response, "_csp_exempt_ro", False) is False
            and not path.startswith(excluded_ro)
        ):
            response[HEADER_REPORT_ONLY] = policy_ro
        # As django-csp: a nonce asked for after the header went out is an error.
        request.csp_nonce = CheckableLazyObject(self._csp_nonce_post_response)  # type: ignore[attr-defined]
        return response
