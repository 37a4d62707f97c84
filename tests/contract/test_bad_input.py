"""Input the database cannot store is a 422, never a 500 (found by the schema fuzzer:
a NUL byte in a JSON string reached a PostgreSQL query)."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.management import call_command

from tests.factories import UserFactory


@pytest.mark.django_db
def test_nul_byte_in_a_json_string_is_bad_input(api_as: Any) -> None:
    call_command("seed_demo", verbosity=0)
    client = api_as(UserFactory(phone_number="+573109990011", roles=["client"]))
    response = client.post(
        "/api/finances/vip/subscription/",
        {
            "plan_code": "vip\x00mensual",
            "card_token": "tok_test_x",
            "acceptance_token": "a",
            "personal_data_token": "p",
            "accept_terms": True,
            "accept_personal_data": True,
        },
    )
    # PostgreSQL refuses NUL in text (422); SQLite stores it and finds no such plan (404).
    assert response.status_code in (404, 422), response.content
    assert response.json()["error"]["code"] in ("validation_error", "not_found")


@pytest.mark.postgres
@pytest.mark.django_db
def test_nul_byte_is_a_validation_error_on_postgres(api: Any) -> None:
    response = api.get("/api/booking/services/FACIAL\x00")
    assert response.status_code == 422, response.content
    assert response.json()["error"] == {
        "code": "validation_error",
        "message": "Los datos enviados no son válidos.",
        "details": None,
    }
