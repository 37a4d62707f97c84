"""Input the database cannot store is a 422, never a 500 (found by the schema fuzzer:
a NUL byte in a JSON string reached a PostgreSQL query)."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.management import call_command

from tests.factories import UserFactory

NUL_DETAIL = {
    "message": "El texto no puede contener el carácter nulo (U+0000).",
    "type": "string_contains_nul",
}


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
    # Refused before the view on every database (SQLite would store it, PostgreSQL refuses
    # it with a DataError that could not say which field).
    assert response.status_code == 422, response.content
    assert response.json()["error"]["details"] == [{"field": "plan_code", **NUL_DETAIL}]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("method", "path", "field"),
    [
        ("get", "/api/booking/services/FACIAL\x00/", "code"),
        ("get", "/api/shop/products/?q=a\x00b", "q"),
        ("get", "/api/booking/desk/clients/?q=a\x00b", "q"),
        ("get", "/api/users/?q=a\x00b", "q"),
        ("patch", "/api/users/me/", "first_name"),
        ("post", "/api/booking/appointments/", "notes"),
    ],
)
def test_a_nul_byte_in_any_text_input_is_422_naming_the_field(
    api_as: Any, method: str, path: str, field: str
) -> None:
    """Found by Schemathesis on the live server: a NUL in a query (?q=), a path or a body
    was a DataError on PostgreSQL, a 422 with no details; now the field is named."""
    client = api_as(UserFactory(phone_number="+573109990012", roles=["client", "admin"]))
    body = {"first_name": "Ana\x00"} if method == "patch" else None
    if method == "post":
        body = {"service": "X", "start": "2030-01-15T10:00:00-05:00", "notes": "a\x00"}
    response = getattr(client, method)(path, body) if body else getattr(client, method)(path)
    assert response.status_code == 422, response.content
    details = response.json()["error"]["details"]
    assert [d for d in details if d["field"].rsplit(".", 1)[-1] == field] == [
        {"field": details[0]["field"], **NUL_DETAIL}
    ], details
