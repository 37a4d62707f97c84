"""django-import-export in Spanish: column names, row errors and the export form.

- ``SpanishColumnsMixin``: a resource names its file columns in Spanish
  (``column_names = {"price_cents": "precio_centavos"}``; money keeps integer cents in a
  column that says so). Files written with the attribute names (the English headers of
  earlier exports) still import: those headers are renamed before the import.
- ``StrictForeignKeyWidget``: an unknown reference is a Spanish row error naming it, not
  Django's "… matching query does not exist."
- ``SpanishExportForm``: the export form lists the Spanish column names.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from import_export import widgets
from import_export.forms import SelectableFieldsExportForm


class SpanishColumnsMixin:
    column_names: dict[str, str] = {}

    fields: dict[str, Any]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[call-arg]
        for name, field in self.fields.items():  # a per-instance copy (Resource.__init__)
            if name in self.column_names:
                field.column_name = self.column_names[name]

    def before_import(self, dataset: Any, **kwargs: Any) -> None:
        if dataset.headers:
            legacy = {name: field.column_name for name, field in self.fields.items()}
            dataset.headers = [
                legacy.get(str(h).strip(), h) if h is not None else h for h in dataset.headers
            ]
        super().before_import(dataset, **kwargs)  # type: ignore[misc]


class StrictForeignKeyWidget(widgets.ForeignKeyWidget):
    """An unknown reference is a row error that names it, in Spanish."""

    def __init__(self, model: Any, field: str, *, label: str, **kwargs: Any) -> None:
        super().__init__(model, field=field, **kwargs)
        self.label = label

    def clean(self, value: Any, row: Any = None, **kwargs: Any) -> Any:
        try:
            return super().clean(value, row, **kwargs)
        except self.model.DoesNotExist:
            raise ValueError(
                _("%(label)s desconocida: %(value)s") % {"label": self.label, "value": value}
            ) from None
        except self.model.MultipleObjectsReturned:
            raise ValueError(
                _("%(label)s ambigua: %(value)s") % {"label": self.label, "value": value}
            ) from None


class SpanishExportForm(SelectableFieldsExportForm):
    """Checkbox labels are the file's column names, not ``"Price Cents"``."""

    def _get_field_label(self, resource: Any, field_name: str) -> str:
        field = resource().fields.get(field_name)  # an instance: its columns are renamed
        return str(field.column_name) if field is not None else field_name
