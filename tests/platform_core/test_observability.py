from __future__ import annotations

import logging

import pytest

from platform_core.logging import RequestIdFilter, ScrubFilter, scrub
from platform_core.request_context import get_request_id, reset_request_id, set_request_id
from platform_core.sentry import before_send, init_sentry


def test_scrub_removes_phones_and_tokens() -> None:
    text = (
        "envío a whatsapp:+573001234567 con Bearer abc.def y tok_test_123 "
        "tarjeta 4242 4242 4242 4242"
    )
    cleaned = scrub(text)
    assert "3001234567" not in cleaned
    assert "abc.def" not in cleaned and "tok_test_123" not in cleaned
    assert "4242 4242" not in cleaned
    assert scrub("cita 2026-11-28 a las 10:00") == "cita 2026-11-28 a las 10:00"


def test_log_filters_add_request_id_and_scrub() -> None:
    token = set_request_id("req-1234567890")
    try:
        record = logging.LogRecord(
            "x", logging.INFO, __file__, 1, "OTP para %s", ("+573001234567",), None
        )
        assert RequestIdFilter().filter(record)
        assert ScrubFilter().filter(record)
        assert record.request_id == "req-1234567890"
        assert "+573001234567" not in record.getMessage()
    finally:
        reset_request_id(token)
    assert get_request_id() == "-"


def test_sql_records_are_left_alone_and_broken_formats_survive() -> None:
    sql = logging.LogRecord(
        "django.db.backends", logging.DEBUG, __file__, 1, "SELECT %s", (1,), None
    )
    assert ScrubFilter().filter(sql) and sql.args == (1,)
    broken = logging.LogRecord("x", logging.INFO, __file__, 1, "%d", ("nope",), None)
    assert ScrubFilter().filter(broken)


def test_sentry_before_send_scrubs_personal_data() -> None:
    event = {
        "request": {
            "data": {
                "phone_number": "+573001234567",
                "password": "x",
                "note": "llama al 3001234567",
            }
        },
        "extra": [{"card_number": "4242424242424242"}, "Bearer abc"],
    }
    cleaned = before_send(event)
    assert cleaned["request"]["data"]["phone_number"] == "[redactado]"
    assert cleaned["request"]["data"]["password"] == "[redactado]"
    assert "3001234567" not in cleaned["request"]["data"]["note"]
    assert cleaned["extra"][0]["card_number"] == "[redactado]"


def test_init_sentry_configures_the_sdk(monkeypatch) -> None:
    import sentry_sdk

    captured = {}
    monkeypatch.setattr(sentry_sdk, "init", lambda **kw: captured.update(kw))
    init_sentry(
        "https://key@o0.ingest.sentry.io/1", environment="production", traces_sample_rate=0.1
    )
    assert captured["send_default_pii"] is False
    assert captured["before_send"] is before_send
    # No auto-enabled integrations: they would import google-genai in every web worker.
    assert captured["auto_enabling_integrations"] is False
    assert {type(i).__name__ for i in captured["integrations"]} == {
        "DjangoIntegration",
        "CeleryIntegration",
    }


@pytest.mark.django_db
def test_request_id_is_echoed_or_generated(api) -> None:
    given = api.get("/api/core/health/", HTTP_X_REQUEST_ID="abc-123-def-456")
    assert given["X-Request-ID"] == "abc-123-def-456"
    generated = api.get("/api/core/health/", HTTP_X_REQUEST_ID="bad id!")
    assert len(generated["X-Request-ID"]) == 32


def test_phone_normalisation() -> None:
    from platform_core.errors import ValidationFailed
    from platform_core.phones import mask_phone, normalize_phone

    assert normalize_phone("300 123 4567") == "+573001234567"
    assert normalize_phone("whatsapp:+573001234567") == "+573001234567"
    with pytest.raises(ValidationFailed) as exc:
        normalize_phone("123")
    assert exc.value.code == "invalid_phone" and exc.value.status_code == 422
    assert mask_phone("+573001234567") == "+57******4567"
    assert mask_phone("+1") == "***"
