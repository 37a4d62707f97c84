"""The one error shape for every kind of failure."""

from __future__ import annotations

import pytest

from tests.studiozens.test_plugins import sample_enabled  # noqa: F401 - fixture


def _error(response) -> dict:
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "details"}
    return body["error"]


@pytest.mark.django_db
def test_validation_error_is_422_with_field_details(sample_enabled) -> None:  # noqa: F811
    response = sample_enabled.post(
        "/api/sample/echo", {"name": "x"}, content_type="application/json"
    )
    assert response.status_code == 422
    error = _error(response)
    assert error["code"] == "validation_error"
    assert error["details"][0]["field"] == "count"


@pytest.mark.django_db
def test_malformed_json_is_a_client_error(sample_enabled) -> None:  # noqa: F811
    response = sample_enabled.post("/api/sample/echo", "{nope", content_type="application/json")
    assert response.status_code in (400, 422)
    _error(response)


@pytest.mark.django_db
def test_missing_token_is_401(sample_enabled) -> None:  # noqa: F811
    response = sample_enabled.get("/api/sample/private")
    assert response.status_code == 401
    assert _error(response)["code"] == "not_authenticated"


@pytest.mark.django_db
def test_token_signed_with_another_key_is_401(sample_enabled, user) -> None:  # noqa: F811
    import jwt

    forged = jwt.encode(
        {"sub": str(user.public_id), "token_type": "access"}, "not-the-signing-key-" * 2, "HS256"
    )
    response = sample_enabled.get("/api/sample/private", HTTP_AUTHORIZATION=f"Bearer {forged}")
    assert response.status_code == 401


@pytest.mark.django_db
def test_valid_token_reaches_private_route(sample_enabled, user) -> None:  # noqa: F811
    from ninja_jwt.tokens import RefreshToken

    token = RefreshToken.for_user(user).access_token
    response = sample_enabled.get("/api/sample/private", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 200
    assert response.json() == {"user": str(user.public_id)}


@pytest.mark.django_db
def test_domain_error_keeps_its_status_and_code(sample_enabled) -> None:  # noqa: F811
    response = sample_enabled.get("/api/sample/conflict")
    assert response.status_code == 409
    assert _error(response) == {
        "code": "slot_taken",
        "message": "Ese horario ya está ocupado.",
        "details": None,
    }


@pytest.mark.django_db
def test_unknown_path_and_wrong_method(sample_enabled) -> None:  # noqa: F811
    assert _error(sample_enabled.get("/api/sample/nothing-here"))["code"] == "not_found"
    response = sample_enabled.delete("/api/sample/ping")
    assert response.status_code == 405
    assert _error(response)["code"] == "method_not_allowed"


@pytest.mark.django_db
def test_unexpected_error_is_generic_500_with_request_id(sample_enabled, caplog) -> None:  # noqa: F811
    response = sample_enabled.get("/api/sample/boom", HTTP_X_REQUEST_ID="req-abcdef123456")
    assert response.status_code == 500
    error = _error(response)
    assert error["code"] == "internal_error"
    assert "secret internal detail" not in response.content.decode()
    assert error["details"] == {"request_id": "req-abcdef123456"}
    assert response["X-Request-ID"] == "req-abcdef123456"
    assert any("Unhandled error" in r.getMessage() for r in caplog.records)


@pytest.mark.django_db
def test_rate_limited_sets_retry_after(sample_enabled) -> None:  # noqa: F811
    from django.test import RequestFactory

    from platform_core.api_errors import error_response
    from platform_core.errors import RateLimited
    from studiozens.api import api

    exc = RateLimited(retry_after=7)
    handler = api._lookup_exception_handler(exc)
    response = handler(RequestFactory().get("/api/"), exc)
    assert response.status_code == 429 and response["Retry-After"] == "7"
    assert error_response(400, "x", "y").status_code == 400


@pytest.mark.django_db
def test_validation_details_are_spanish_for_people(client) -> None:
    """Pydantic's English ("Field required") never reaches a client's screen."""
    import json

    response = client.post(
        "/api/users/register/",
        data=json.dumps({"phone_number": 5, "password": ""}),
        content_type="application/json",
    )
    assert response.status_code == 422
    details = {d["field"]: d["message"] for d in _error(response)["details"]}
    assert details == {
        "phone_number": "Debe ser un texto.",
        "password": "Debe tener al menos 8 caracteres.",
    }
    missing = client.get("/api/booking/availability?date_from=mañana")
    messages = {d["field"]: d["message"] for d in _error(missing)["details"]}
    assert messages["query.date_from"] == "Debe ser una fecha (AAAA-MM-DD)."
    assert "Este campo es obligatorio." in messages.values()


def test_spanish_message_keeps_custom_validator_text_and_has_a_fallback() -> None:
    from platform_core.validation_messages import spanish_message

    assert spanish_message({"type": "value_error", "msg": "Value error, Número inválido."}) == (
        "Número inválido."
    )
    assert spanish_message({"type": "something_new", "msg": "x"}) == "El valor no es válido."
    assert spanish_message({"type": "literal_error", "ctx": {"expected": "'sms' or 'email'"}}) == (
        "Valor no permitido. Opciones: sms, email."
    )
