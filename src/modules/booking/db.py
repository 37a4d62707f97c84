"""Database pieces the ORM cannot express portably."""

from __future__ import annotations

from typing import Any

from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import DateTimeRangeField, RangeBoundary, RangeOperators
from django.db.migrations.operations.base import Operation
from django.db.models import F, Func, Q
from django.db.models.functions import Coalesce


class TsTzRange(Func):
    function = "TSTZRANGE"
    output_field = DateTimeRangeField()


class TsTzMultiRange(Func):
    """PostgreSQL 14+'s ``tstzmultirange(range, ...)``: a set of ranges that ``&&``
    compares as a whole (GiST indexes it like a range). Django has no multirange field;
    the range field only types the expression for the constraint's SQL."""

    function = "TSTZMULTIRANGE"
    output_field = DateTimeRangeField()


def appointment_exclusion(field: str, name: str, active: tuple[str, ...]) -> ExclusionConstraint:
    """No two active appointments of the same ``field`` (therapist / room) whose blocked
    ranges [blocked_start, blocked_end) overlap. Half-open: 9-10 and 10-11 coexist."""
    return ExclusionConstraint(
        name=name,
        expressions=[
            (TsTzRange("blocked_start", "blocked_end", RangeBoundary()), RangeOperators.OVERLAPS),
            (field, RangeOperators.EQUAL),
        ],
        condition=Q(status__in=list(active)),
    )


def therapist_busy_exclusion(name: str, active: tuple[str, ...]) -> ExclusionConstraint:
    """Processing time: no two active appointments of the same therapist whose *busy*
    ranges overlap, where busy is the blocked range less the processing phase:
    ``[blocked_start, processing_start) ∪ [processing_end, blocked_end)``, one
    multirange per row. Without processing both columns are null and the multirange is
    the whole blocked range (the second range is empty), exactly the former constraint,
    so existing rows need no rewrite. One row, one constraint: no child table to keep in
    step with the appointment, nothing a write can forget (docs/booking.md)."""
    busy = TsTzMultiRange(
        TsTzRange("blocked_start", Coalesce("processing_start", "blocked_end"), RangeBoundary()),
        TsTzRange(Coalesce("processing_end", "blocked_end"), F("blocked_end"), RangeBoundary()),
    )
    return ExclusionConstraint(
        name=name,
        expressions=[(busy, RangeOperators.OVERLAPS), ("therapist", RangeOperators.EQUAL)],
        condition=Q(status__in=list(active)),
    )


class PostgresOnlyConstraint(Operation):
    """Adds a PostgreSQL-only constraint (exclusion) to the database without recording
    it in the model state: SQLite demo databases migrate cleanly, and the model does
    not try to validate the constraint in Python on backends that cannot run it."""

    reduces_to_sql = True
    reversible = True

    def __init__(self, model_name: str, constraint: Any) -> None:
        self.model_name = model_name
        self.constraint = constraint

    def state_forwards(self, app_label: str, state: Any) -> None:
        pass

    def _model(self, app_label: str, state: Any) -> Any:
        return state.apps.get_model(app_label, self.model_name)

    def database_forwards(self, app_label, schema_editor, from_state, to_state) -> None:  # type: ignore[no-untyped-def]
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.add_constraint(self._model(app_label, to_state), self.constraint)

    def database_backwards(self, app_label, schema_editor, from_state, to_state) -> None:  # type: ignore[no-untyped-def]
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.remove_constraint(self._model(app_label, from_state), self.constraint)

    def describe(self) -> str:
        return f"Add PostgreSQL-only constraint {self.constraint.name} on {self.model_name}"

    def deconstruct(self) -> tuple[str, list[Any], dict[str, Any]]:
        return (
            self.__class__.__qualname__,
            [],
            {"model_name": self.model_name, "constraint": self.constraint},
        )


class ReplacePostgresOnlyConstraint(PostgresOnlyConstraint):
    """Swaps a PostgreSQL-only constraint for a new definition (same model), e.g. when
    the statuses that occupy a slot change. Reversible: backwards restores ``old``."""

    def __init__(self, model_name: str, old: Any, constraint: Any) -> None:
        super().__init__(model_name, constraint)
        self.old = old

    def database_forwards(self, app_label, schema_editor, from_state, to_state) -> None:  # type: ignore[no-untyped-def]
        if schema_editor.connection.vendor == "postgresql":
            model = self._model(app_label, to_state)
            schema_editor.remove_constraint(model, self.old)
            schema_editor.add_constraint(model, self.constraint)

    def database_backwards(self, app_label, schema_editor, from_state, to_state) -> None:  # type: ignore[no-untyped-def]
        if schema_editor.connection.vendor == "postgresql":
            model = self._model(app_label, from_state)
            schema_editor.remove_constraint(model, self.constraint)
            schema_editor.add_constraint(model, self.old)

    def describe(self) -> str:
        return f"Replace PostgreSQL-only constraint {self.constraint.name} on {self.model_name}"

    def deconstruct(self) -> tuple[str, list[Any], dict[str, Any]]:
        return (
            self.__class__.__qualname__,
            [],
            {"model_name": self.model_name, "old": self.old, "constraint": self.constraint},
        )
