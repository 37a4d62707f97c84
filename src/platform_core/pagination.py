"""The one pagination style of the API: ?page=N&page_size=M, with count and items."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from ninja import Field, Schema
from ninja.pagination import PaginationBase


@dataclass(frozen=True)
class Mapped:
    """A queryset whose rows are shaped by ``shape`` only for the page that is sent: return
    ``Mapped(qs, fn)`` from a paginated view instead of ``[fn(row) for row in qs]``, which
    would load (and shape) every row of the list to send one page of it."""

    queryset: QuerySet
    shape: Callable[[Any], Any]

    def count(self) -> int:
        return self.queryset.count()

    def __getitem__(self, window: slice) -> list[Any]:
        return [self.shape(row) for row in self.queryset[window]]


class Pagination(PaginationBase):
    """Page-number pagination: ``page`` (from 1) and ``page_size`` (1-100, default 20)."""

    class Input(Schema):
        page: int = Field(1, ge=1, le=100_000)
        page_size: int = Field(20, ge=1, le=100)

    class Output(Schema):
        items: list[Any]
        count: int
        page: int
        page_size: int
        pages: int

    items_attribute = "items"

    def paginate_queryset(
        self, queryset: QuerySet | Mapped | list, pagination: Input, **params: Any
    ) -> dict:
        offset = (pagination.page - 1) * pagination.page_size
        count = queryset.count() if isinstance(queryset, QuerySet | Mapped) else len(queryset)
        return {
            "items": list(queryset[offset : offset + pagination.page_size]),
            "count": count,
            "page": pagination.page,
            "page_size": pagination.page_size,
            "pages": max(1, -(-count // pagination.page_size)),
        }
