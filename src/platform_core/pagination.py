"""The one pagination style of the API: ?page=N&page_size=M, with count and items."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from ninja import Field, Schema
from ninja.pagination import PaginationBase


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
        self, queryset: QuerySet | list, pagination: Input, **params: Any
    ) -> dict:
        offset = (pagination.page - 1) * pagination.page_size
        count = queryset.count() if isinstance(queryset, QuerySet) else len(queryset)
        return {
            "items": list(queryset[offset : offset + pagination.page_size]),
            "count": count,
            "page": pagination.page,
            "page_size": pagination.page_size,
            "pages": max(1, -(-count // pagination.page_size)),
        }
