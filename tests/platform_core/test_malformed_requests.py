"""One answer for every malformed request (issue 14): oversize bodies, unreadable or
unsupported content types, malformed JSON and out-of-range dates and numbers all answer in
the one error shape with the right status, never a 500."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

ANONYMOUS_WRITES = (
    "/api/users/register/",
    "/api/users/token/",
    "/api/users/verify/",
    "/api/users/verify/resend/",
    "/api/users/password/reset/",
    "/api/finances/webhooks/wompi/",
    "/api/assistant/webhooks/whatsapp/",
    "/api/core/webhooks/twilio/status/",
)


def _shape(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, (response.status_code, response.content[:300])
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "details"}
    assert body["error"]["code"] == code
    return body["error"]


@pytest.mark.parametrize("path", ANONYMOUS_WRITES)
def test_an_oversize_body_is_413_everywhere(client, settings, path: str) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    body = json.dumps({"phone_number": "+573001112233", "padding": "x" * 4096})
    error = _shape(
        client.post(path, body, content_type="application/json"), 413, "payload_too_large"
    )
    assert error["details"] == {"max_bytes": 1024}
    form = {"Body": "hola" * 1024, "From": "whatsapp:+573001112233"}
    _shape(client.post(path, form), 413, "payload_too_large")  # multipart
    _shape(
        client.post(path, "Body=" + "x" * 4096, content_type="application/x-www-form-urlencoded"),
        413,
        "payload_too_large",
    )


@pytest.mark.parametrize(
    "path", ("/api/assistant/webhooks/whatsapp/", "/api/core/webhooks/twilio/status/")
)
def test_multipart_without_a_boundary_is_400_on_the_form_webhooks(client, path: str) -> None:
    response = client.post(path, "Body=hola", content_type="multipart/form-data")
    _shape(response, 400, "bad_request")


@pytest.mark.parametrize("path", ("/api/users/register/", "/api/users/token/"))
@pytest.mark.parametrize("raw", ["{", '{"phone_number": }', "\xff\xfe", '{"a": NaN}', "[1, 2"])
def test_malformed_json_is_400_in_spanish(client, path: str, raw: str) -> None:
    response = client.post(path, raw.encode("latin-1"), content_type="application/json")
    error = _shape(response, 400, "bad_request")
    assert error["message"] == "El cuerpo de la solicitud no es JSON válido."
    for python_text in ("Expecting", "line 1", "char", "codec", "JSON object"):
        assert python_text not in error["message"]


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/xml", "application/x-www-form-urlencoded"]
)
def test_a_json_operation_refuses_other_media_types_with_415(client, content_type: str) -> None:
    body = json.dumps({"phone_number": "+573001112233", "password": "x"})
    response = client.post("/api/users/token/", body, content_type=content_type)
    _shape(response, 415, "unsupported_media_type")


def test_json_with_a_charset_or_a_json_suffix_is_accepted(client) -> None:
    body = json.dumps({"phone_number": "+573001112233", "password": "x"})
    for content_type in ("application/json; charset=utf-8", "application/vnd.api+json"):
        response = client.post("/api/users/token/", body, content_type=content_type)
        assert response.status_code == 401, content_type


@pytest.mark.parametrize("edge", ["9999-12-31", "0001-01-01"])
def test_availability_dates_at_the_calendar_edges_are_422(client, edge: str) -> None:
    for params in (
        {"service": "X", "date_from": edge, "date_to": "2030-01-02"},
        {"service": "X", "date_from": "2030-01-01", "date_to": edge},
    ):
        response = client.get("/api/booking/availability/", params)
        error = _shape(response, 422, "validation_error")
        field = "date_from" if params["date_from"] == edge else "date_to"
        assert [d["field"] for d in error["details"]] == [field]
        assert "1900-01-01" in error["details"][0]["message"]


def test_the_staff_agenda_date_at_the_edge_is_422(api_as) -> None:
    reception = api_as(UserFactory(roles=["reception"]))
    response = reception.get("/api/booking/appointments/", {"date": "9999-12-31"})
    error = _shape(response, 422, "validation_error")
    assert error["details"][0]["field"] == "date"


def test_a_booking_start_in_year_9999_is_422_naming_the_field(api_as) -> None:
    client = api_as(UserFactory())
    response = client.post(
        "/api/booking/appointments/", {"service": "X", "start": "9999-12-31T23:00:00+00:00"}
    )
    error = _shape(response, 422, "validation_error")
    assert [d["field"] for d in error["details"]] == ["start"]


def test_huge_integers_are_422_naming_the_field(api_as) -> None:
    client = api_as(UserFactory())
    huge = 10**30
    product = "5f0c6a3e-8a51-4d2e-9d5f-6d0f3c1b2a10"
    response = client.post("/api/shop/cart/items/", {"product_id": product, "quantity": huge})
    error = _shape(response, 422, "validation_error")
    assert [d["field"] for d in error["details"]] == ["quantity"]
    response = client.get(f"/api/shop/orders/{huge}/")
    assert response.status_code in (404, 422) and response.status_code < 500


def test_requests_refused_before_the_middleware_get_the_error_shape() -> None:
    """Django's ASGI handler answers an undecodable query string itself (plain 400)."""
    import io

    from platform_core.asgi import StudioZensASGIHandler
    from studiozens.asgi import application as served

    # The concurrency limiter (platform_core.concurrency) wraps the handler.
    application = getattr(served, "app", served)
    assert isinstance(application, StudioZensASGIHandler)
    scope = {
        "type": "http",
        "method": "GET",
        "path": "/api/booking/services/",
        "query_string": b"q=\xff\xfe",
        "headers": [],
    }
    request, error = application.create_request(scope, io.BytesIO(b""))
    assert request is None and error.status_code == 400
    assert json.loads(error.content)["error"]["code"] == "bad_request"
    request, error = application.create_request({**scope, "path": "/admin/"}, io.BytesIO())
    assert request is None and error.status_code == 400  # outside /api/: Django's own


def test_an_invalid_content_length_is_400(client) -> None:
    response = client.post(
        "/api/users/token/", "{}", content_type="application/json", CONTENT_LENGTH="abc"
    )
    _shape(response, 400, "bad_request")


def test_chunked_bodies_over_the_limit_are_413_when_read(rf, settings) -> None:
    """No Content-Length (chunked): the limit applies when the view reads the body."""
    from django.core.exceptions import RequestDataTooBig

    from platform_core.api_errors import payload_too_large

    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10
    request = rf.post("/api/users/token/", "x" * 100, content_type="application/json")
    del request.META["CONTENT_LENGTH"]
    with pytest.raises(RequestDataTooBig):
        request.body  # noqa: B018 - reading is the point
    assert payload_too_large().status_code == 413


@pytest.mark.parametrize("host", ("evil.example.com", "a b", "[::1", "x" * 300 + ".com"))
def test_an_unknown_host_is_400_in_the_error_shape_under_api(client, settings, host) -> None:
    """Django refuses a Host outside ALLOWED_HOSTS (DisallowedHost) from a middleware, before
    any view: without handler400 an /api/ client got Django's HTML page (scanners send it)."""
    settings.DEBUG = False
    response = client.get("/api/shop/products/", HTTP_HOST=host)
    _shape(response, 400, "bad_request")
    assert response["X-Request-ID"]
    # Outside /api/ Django's own answer stays (the admin is a browser page).
    assert client.get("/admin/", HTTP_HOST=host).status_code == 400
    assert not client.get("/admin/", HTTP_HOST=host)["Content-Type"].startswith("application/json")


def test_an_error_raised_by_a_middleware_is_in_the_error_shape_under_api(
    client, settings, monkeypatch
) -> None:
    """Exceptions outside the API's views (a middleware's Http404, PermissionDenied or a bug)
    go to Django's handler404/403/500: under /api/ they answer in the one shape too; a 500
    carries its request_id."""
    from django.core.exceptions import PermissionDenied
    from django.http import Http404

    from platform_core.middleware import ApiPathSpellingMiddleware

    settings.DEBUG = False
    client.raise_request_exception = False
    for raised, status, code in (
        (Http404(), 404, "not_found"),
        (PermissionDenied(), 403, "permission_denied"),
        (RuntimeError("boom"), 500, "internal_error"),
    ):

        def fail(self: Any, request: Any, raised: Exception = raised) -> Any:
            raise raised

        monkeypatch.setattr(ApiPathSpellingMiddleware, "__call__", fail)
        response = client.get("/api/shop/products/")
        error = _shape(response, status, code)
        if status == 500:
            assert error["details"] == {"request_id": response["X-Request-ID"]}
