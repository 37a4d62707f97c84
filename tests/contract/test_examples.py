"""Request examples a frontend developer copies must be accepted as they are: a gift-card
code in an example passes the vouchers module's format check (check symbol included)."""

from __future__ import annotations

from typing import Any

import pytest

from modules.vouchers import codes

# Bodies whose example carries a gift-card tender (docs/payments.md "Tenders").
GIFT_CARD_EXAMPLES = ["TenderIn", "PayAgainIn", "OrderPayAgainIn"]


@pytest.fixture(scope="module")
def components() -> dict[str, Any]:
    from studiozens.api import api

    return api.get_openapi_schema()["components"]["schemas"]


def _gift_card_codes(node: Any) -> list[str]:
    if isinstance(node, dict):
        own = [node["code"]] if node.get("kind") == "gift_card" and "code" in node else []
        return own + [c for value in node.values() for c in _gift_card_codes(value)]
    if isinstance(node, list):
        return [c for value in node for c in _gift_card_codes(value)]
    return []


@pytest.mark.parametrize("name", GIFT_CARD_EXAMPLES)
def test_gift_card_examples_are_well_formed_codes(components: dict[str, Any], name: str) -> None:
    found = _gift_card_codes(components[name]["examples"])
    assert found, f"{name} has no gift-card example"
    assert [c for c in found if codes.normalise(c) is None] == []


def test_every_gift_card_code_in_the_contract_is_well_formed(components: dict[str, Any]) -> None:
    # Tender examples anywhere, and the balance look-up's code (no "kind" beside it).
    found = _gift_card_codes([schema.get("examples") for schema in components.values()])
    found += [example["code"] for example in components["GiftCardBalanceIn"]["examples"]]
    assert len(found) >= len(GIFT_CARD_EXAMPLES) + 1
    assert [c for c in found if codes.normalise(c) is None] == []
