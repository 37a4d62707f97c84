"""platform_core.output_schema: a plain dict validates to the same model as through ninja's
DjangoGetter; whatever the getter would transform still takes the getter's path."""

from __future__ import annotations

from datetime import UTC, date, datetime
from types import SimpleNamespace
from typing import Any

import pytest
from ninja import Field, Schema

from platform_core.output_schema import OutputSchema


def as_objects(value: Any) -> Any:
    """The same data as attribute objects: every level takes ninja's DjangoGetter path."""
    if isinstance(value, dict):
        return SimpleNamespace(**{k: as_objects(v) for k, v in value.items()})
    if isinstance(value, list):
        return [as_objects(v) for v in value]
    return value


class Line(OutputSchema):
    sku: str
    quantity: int = 1


class Order(OutputSchema):
    id: str
    placed: datetime
    day: date
    note: str | None = None
    total: int = Field(alias="amount")
    lines: list[Line]
    tags: list[str] = []


class StockLine(Schema):
    sku: str
    quantity: int = 1


class StockOrder(Schema):
    id: str
    placed: datetime
    day: date
    note: str | None = None
    total: int = Field(alias="amount")
    lines: list[StockLine]
    tags: list[str] = []


ORDER = {
    "id": "A-1",
    "placed": datetime(2026, 12, 7, 15, 0, tzinfo=UTC),
    "day": date(2026, 12, 7),
    "amount": 62000,
    "lines": [{"sku": "ACEITE"}, {"sku": "VELA", "quantity": 2, "ignored": True}],
    "extra": "not a field",
}


@pytest.mark.parametrize(
    "data",
    [ORDER, {**ORDER, "note": "regalo", "tags": ["navidad"]}, {**ORDER, "note": None}],
)
def test_a_plain_dict_gives_what_ninjas_getter_gives(data: dict[str, Any]) -> None:
    fast = Order.model_validate(data)
    assert fast.model_dump() == StockOrder.model_validate(data).model_dump()
    assert fast.model_dump() == Order.model_validate(as_objects(data)).model_dump()
    assert fast.model_fields_set == StockOrder.model_validate(data).model_fields_set


def test_a_missing_or_wrong_field_is_refused_as_through_the_getter() -> None:
    for broken in ({k: v for k, v in ORDER.items() if k != "amount"}, {**ORDER, "day": "ayer"}):
        with pytest.raises(ValueError) as fast:
            Order.model_validate(broken)
        with pytest.raises(ValueError) as stock:
            StockOrder.model_validate(broken)
        assert [e["loc"] for e in fast.value.errors()] == [e["loc"] for e in stock.value.errors()]


def test_what_the_getter_transforms_still_goes_through_it() -> None:
    # A callable value is called by ninja's getter: the fast path must not skip that.
    data = {**ORDER, "note": lambda: "llamada"}
    assert Order.model_validate(data).note == "llamada"
    assert StockOrder.model_validate(data).note == "llamada"


def test_a_schema_with_a_resolver_keeps_it() -> None:
    class Named(OutputSchema):
        name: str

        @staticmethod
        def resolve_name(obj: Any) -> str:
            return obj["first"].upper()

    assert Named.model_validate({"first": "ana", "name": "x"}).name == "ANA"
