"""A client's card on file (/api/finances/cards/): save with Wompi's acceptance recorded,
see it masked, replace or delete it (the old source voided at Wompi after commit), token
encrypted at rest, erased with the client's data."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from django.db import connection

from modules.payments import public as payments
from modules.payments.models import SavedCard
from modules.payments.personal_data import erase_user, export_user
from modules.payments.sandbox.inprocess import get_sandbox
from modules.payments.wompi.gateway import get_gateway
from modules.payments.wompi.signatures import integrity_signature
from platform_core.models import AuditEvent
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
MINE = "/api/finances/cards/mine/"


def tokenize(number: str = "4242424242424242") -> str:
    return get_gateway().tokenize_card(
        number=number, cvc="123", exp_month="08", exp_year="30", card_holder="Ana"
    )


def body(client: Any, **extra: Any) -> dict[str, Any]:
    acceptance = client.get("/api/finances/cards/acceptance/").json()
    return {
        "card_token": tokenize(),
        "acceptance_token": acceptance["acceptance_token"],
        "personal_data_token": acceptance["personal_data_token"],
        "accept_terms": True,
        "accept_personal_data": True,
        "acceptance_permalink": acceptance["acceptance_permalink"],
        **extra,
    }


def source_status(source_id: str) -> str:
    return str(get_sandbox().state.sources[int(source_id)]["status"])


def test_save_see_replace_and_delete(
    api_as: Any, api: Any, user: Any, django_capture_on_commit_callbacks: Any
) -> None:
    client = api_as(user)
    assert api.get(MINE).status_code == 401
    assert client.get(MINE).status_code == 404
    acceptance = client.get("/api/finances/cards/acceptance/").json()
    assert acceptance["tokens_url"].endswith("/tokens/cards") and acceptance["public_key"]
    refused = client.put(MINE, body(client, accept_personal_data=False))
    assert refused.status_code == 422
    saved = client.put(MINE, body(client))
    assert saved.status_code == 200, saved.content
    card = saved.json()
    assert (card["brand"], card["last_four"], card["status"]) == ("VISA", "4242", "AVAILABLE")
    assert card["acceptance_permalink"].startswith("https://") and card["accepted_at"]
    assert "payment_source_id" not in card and "token" not in str(card).lower()
    assert client.get(MINE).json() == card
    row = SavedCard.objects.get(user=user)
    first_source = row.payment_source_id
    assert row.acceptance_token and row.personal_data_token  # the acceptance is recorded
    assert payments.saved_card_source(user_id=user.id) == first_source
    with connection.cursor() as cursor:  # encrypted at rest
        cursor.execute("SELECT payment_source_id FROM payments_savedcard")
        raw = cursor.fetchone()[0]
    assert first_source not in raw
    # Replace: a new source, the old one voided at Wompi once the change committed.
    with django_capture_on_commit_callbacks(execute=True):
        replaced = client.put(MINE, body(client))
    assert replaced.status_code == 200 and replaced.json()["id"] == card["id"]
    second_source = SavedCard.objects.get(user=user).payment_source_id
    assert second_source != first_source
    assert source_status(first_source) == "VOIDED" and source_status(second_source) == "AVAILABLE"
    assert api_as(UserFactory()).get(MINE).status_code == 404  # only one's own
    with django_capture_on_commit_callbacks(execute=True):
        assert client.delete(MINE).status_code == 204
    assert source_status(second_source) == "VOIDED"
    assert client.get(MINE).status_code == 404 and client.delete(MINE).status_code == 404
    assert payments.saved_card_source(user_id=user.id) is None
    actions = list(AuditEvent.objects.order_by("id").values_list("action", flat=True))
    assert [a for a in actions if a.startswith("payments.card_")] == [
        "payments.card_saved",
        "payments.card_replaced",
        "payments.card_deleted",
    ]


def test_a_card_wompi_refuses_is_not_saved(api_as: Any, user: Any) -> None:
    client = api_as(user)
    answer = client.put(MINE, body(client, card_token="tok_test_unknown_0000"))
    assert answer.status_code == 422 and answer.json()["error"]["code"] == "card_rejected"
    assert not SavedCard.objects.exists()


def test_a_voided_source_cannot_be_charged(api_as: Any, user: Any) -> None:
    """What voiding means at Wompi (the sandbox models it): no charge on that source."""
    client = api_as(user)
    client.put(MINE, body(client))
    source = SavedCard.objects.get(user=user).payment_source_id

    def charge(reference: str) -> tuple[int, Any]:
        secret = settings.WOMPI_INTEGRITY_SECRET
        return get_sandbox().create_transaction(
            {
                "amount_in_cents": 100_000,
                "currency": "COP",
                "reference": reference,
                "signature": integrity_signature(reference, 100_000, "COP", secret),
                "payment_source_id": int(source),
            },
            on_event=lambda event: None,  # not this test's concern
        )

    assert charge("SZ-BEFORE-VOID")[0] == 201
    get_gateway().void_payment_source(source)
    status, answer = charge("SZ-AFTER-VOID")
    assert status == 422 and "Fuente de pago" in str(answer)


def test_erasure_deletes_the_card_and_voids_it(
    api_as: Any, user: Any, django_capture_on_commit_callbacks: Any
) -> None:
    client = api_as(user)
    client.put(MINE, body(client))
    source = SavedCard.objects.get(user=user).payment_source_id
    exported = export_user(user)["saved_card"]
    assert exported[0]["last_four"] == "4242" and "payment_source_id" not in exported[0]
    with django_capture_on_commit_callbacks(execute=True):
        erase_user(user)
    assert not SavedCard.objects.filter(user=user).exists()
    assert source_status(source) == "VOIDED"
