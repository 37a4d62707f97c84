from __future__ import annotations

import hashlib
from datetime import UTC, datetime

import pytest

from modules.payments.wompi.signatures import (
    MalformedEvent,
    checksum_string,
    event_checksum,
    format_expiration,
    integrity_signature,
    verify_event,
)


def test_integrity_signature_vector_from_the_docs() -> None:
    assert (
        integrity_signature(
            "sk8-438k4-xmxm392-sn2m",
            2490000,
            "COP",
            "prod_integrity_Z5mMke9x0k8gpErbDqwrJXMqsI6SFli6",
        )
        == "37c8407747e595535433ef8f6a811d853cd943046624a0ec04662b17bbf33bf5"
    )


def test_integrity_signature_with_expiration_concatenates_it_before_the_secret() -> None:
    expected = hashlib.sha256(
        b"ref1" + b"100" + b"COP" + b"2023-06-09T20:28:50.000Z" + b"secret"
    ).hexdigest()
    assert integrity_signature("ref1", 100, "COP", "secret", "2023-06-09T20:28:50.000Z") == (
        expected
    )


def test_expiration_format_is_utc_with_milliseconds() -> None:
    value = datetime(2023, 6, 9, 20, 28, 50, 123456, tzinfo=UTC)
    assert format_expiration(value) == "2023-06-09T20:28:50.123Z"


EVENT_DATA = {
    "transaction": {
        "id": "1234-1610641025-49201",
        "status": "APPROVED",
        "amount_in_cents": 4490000,
    }
}
PROPS = ["transaction.id", "transaction.status", "transaction.amount_in_cents"]
SECRET = "prod_events_OcHnIzeBl5socpwByQ4hA52Em3USQ93Z"


def test_event_checksum_vector_and_not_the_docs_misprint() -> None:
    assert checksum_string(EVENT_DATA, PROPS, 1530291411, SECRET) == (
        "1234-1610641025-49201APPROVED44900001530291411prod_events_OcHnIzeBl5socpwByQ4hA52Em3USQ93Z"
    )
    checksum = event_checksum(EVENT_DATA, PROPS, 1530291411, SECRET)
    assert checksum.upper() == "5A18EC5E8FDB7DF463E9F94774CBA8F583BA21BD04A09CEFF2EA68A4BC0AEFBE"
    assert not checksum.upper().startswith("3476DDA5")


def test_verify_event_is_case_insensitive_and_checks_the_header() -> None:
    body = {
        "event": "transaction.updated",
        "data": EVENT_DATA,
        "signature": {
            "properties": PROPS,
            "checksum": "5A18EC5E8FDB7DF463E9F94774CBA8F583BA21BD04A09CEFF2EA68A4BC0AEFBE",
        },
        "timestamp": 1530291411,
    }
    assert verify_event(body, SECRET)
    assert verify_event(body, SECRET, body["signature"]["checksum"].lower())
    assert not verify_event(body, SECRET, "00" * 32)
    assert not verify_event(body, "prod_events_wrong")
    body["signature"]["checksum"] = "ñ" * 64  # non-ASCII forgery must not raise
    assert not verify_event(body, SECRET)


def test_payouts_event_vector_camel_case_and_millisecond_timestamp() -> None:
    data = {
        "transaction": {
            "id": "04a6e53d-a244-4140-ab9e-48fa541f9fe5",
            "status": "FAILED",
            "amountInCents": 7500000,
        }
    }
    props = ["transaction.id", "transaction.status", "transaction.amountInCents"]
    assert (
        event_checksum(data, props, 1747673128600, "prod_events_7b193c8afd7b47949f90d443cb1e1742")
        == "82f0e769716170e202edfd348f604bd8461cdeeb416594cde563a890215a5282"
    )


@pytest.mark.parametrize(
    "body",
    [
        [],
        {"event": "x", "data": {}, "signature": {"properties": PROPS}, "timestamp": 1},
        {"event": "x", "data": EVENT_DATA, "signature": {"checksum": "ab"}, "timestamp": 1},
        {"event": "x", "data": EVENT_DATA, "signature": {"properties": PROPS, "checksum": "a"}},
        {"data": EVENT_DATA, "signature": {"properties": PROPS, "checksum": "a"}, "timestamp": 1},
        {
            "event": "x",
            "data": {"transaction": {"id": "1"}},
            "signature": {"properties": PROPS, "checksum": "a"},
            "timestamp": 1,
        },
        {
            "event": "x",
            "data": {"transaction": {"id": {"nested": 1}}},
            "signature": {"properties": ["transaction.id"], "checksum": "a"},
            "timestamp": 1,
        },
    ],
)
def test_malformed_events_raise(body: object) -> None:
    with pytest.raises(MalformedEvent):
        verify_event(body, SECRET)
