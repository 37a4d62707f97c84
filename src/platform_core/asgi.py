"""Django's ASGI handler, with the one error shape for requests it refuses before any
middleware runs (an oversize body, an undecodable query string): Django answers those with
plain text or HTML."""

from __future__ import annotations

from typing import Any

from django.core.handlers.asgi import ASGIHandler
from django.http import HttpResponse

from platform_core.api_errors import payload_too_large, unreadable_body


class StudioZensASGIHandler(ASGIHandler):
    def create_request(self, scope: dict[str, Any], body_file: Any) -> tuple[Any, Any]:
        request, error = super().create_request(scope, body_file)
        if error is not None and str(scope.get("path", "")).startswith("/api/"):
            return None, _shaped(error)
        return request, error


def _shaped(error: HttpResponse) -> HttpResponse:
    if error.status_code == 413:
        return payload_too_large()
    return unreadable_body()
