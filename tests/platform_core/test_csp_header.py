"""The CSP header built once per process is the header django-csp builds per response, and
per-view policies, nonces and settings changes still take effect."""

from __future__ import annotations

import pytest
from csp.middleware import CSPMiddleware as DjangoCSPMiddleware
from django.http import HttpResponse
from django.test import RequestFactory

from platform_core.csp_header import CSPMiddleware

HEADER = "Content-Security-Policy"
RO = "Content-Security-Policy-Report-Only"


def _through(middleware_class, path: str = "/api/core/health/", prepare=None, status=200):
    request = RequestFactory().get(path)

    def view(req):
        response = HttpResponse("ok", status=status)
        if prepare:
            prepare(req, response)
        return response

    return request, middleware_class(view)(request)


def _directives(value: str) -> set[str]:
    # django-csp orders directives by a set's iteration: compare them as a set.
    return {part.strip() for part in value.split(";")}


def test_the_header_is_django_csps() -> None:
    _, ours = _through(CSPMiddleware)
    _, theirs = _through(DjangoCSPMiddleware)
    assert _directives(ours[HEADER]) == _directives(theirs[HEADER])
    assert "form-action 'self' https://checkout.wompi.co" in ours[HEADER]
    assert RO not in ours and RO not in theirs


def test_a_nonce_asked_after_the_response_is_refused() -> None:
    from csp.exceptions import CSPNonceError

    request, _ = _through(CSPMiddleware)
    with pytest.raises(CSPNonceError):
        str(request.csp_nonce)


def test_a_nonce_used_by_the_view_is_in_the_header(settings) -> None:
    from csp.constants import NONCE

    settings.CONTENT_SECURITY_POLICY = {"DIRECTIVES": {"script-src": ["'self'", NONCE]}}

    def use_nonce(request, response):
        response.nonce = str(request.csp_nonce)

    _, response = _through(CSPMiddleware, prepare=use_nonce)
    assert f"'nonce-{response.nonce}'" in response[HEADER]


def test_a_per_view_update_is_applied() -> None:
    def update(request, response):
        response._csp_update = {"img-src": ["https://cdn.example"]}

    _, response = _through(CSPMiddleware, prepare=update)
    assert "https://cdn.example" in response[HEADER]


def test_exempt_and_preset_headers_are_left_alone() -> None:
    def exempt(request, response):
        response._csp_exempt = True

    _, response = _through(CSPMiddleware, prepare=exempt)
    assert HEADER not in response

    def preset(request, response):
        response[HEADER] = "default-src 'none'"

    _, response = _through(CSPMiddleware, prepare=preset)
    assert response[HEADER] == "default-src 'none'"


def test_settings_changes_rebuild_the_header(settings) -> None:
    _through(CSPMiddleware)  # built under the project's settings
    settings.CONTENT_SECURITY_POLICY = {
        "EXCLUDE_URL_PREFIXES": ["/admin/"],
        "DIRECTIVES": {"default-src": ["'none'"]},
    }
    settings.CONTENT_SECURITY_POLICY_REPORT_ONLY = {"DIRECTIVES": {"img-src": ["'self'"]}}
    _, response = _through(CSPMiddleware)
    assert response[HEADER] == "default-src 'none'"
    assert _directives(response[RO]) == {"default-src 'self'", "img-src 'self'"}
    _, excluded = _through(CSPMiddleware, path="/admin/")
    assert HEADER not in excluded and RO in excluded


def test_debug_404_pages_carry_no_policy(settings) -> None:
    settings.DEBUG = True
    _, response = _through(CSPMiddleware, status=404)
    assert HEADER not in response
