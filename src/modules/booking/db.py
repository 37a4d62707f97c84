"""Database pieces the ORM cannot express portably."""

from __future__ import annotations

from typing import Any

from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import DateTimeRangeField, RangeBoundary, RangeOperators
from django.db.migrations.operations.base import Operation
from django.db.models import Func, Q


class TsTzRange(Func):
    function = "TSTZRANGE"
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
