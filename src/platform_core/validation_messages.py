"""Spanish (es-CO) texts for request-validation errors.

Pydantic writes its messages in English ("Field required"); clients show ``details`` to
people, so each error type gets a Spanish message through Django i18n. Unknown types keep
a generic text; custom validators (``value_error``) keep their own message, which we write
in Spanish already.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _


def _messages() -> dict[str, str]:
    # Built per call so the active language applies (gettext, not gettext_lazy + format).
    return {
        "missing": _("Este campo es obligatorio."),
        "extra_forbidden": _("Este campo no se admite."),
        "string_type": _("Debe ser un texto."),
        "string_too_short": _("Debe tener al menos {min_length} caracteres."),
        "string_too_long": _("Debe tener como máximo {max_length} caracteres."),
        "string_pattern_mismatch": _("El formato no es válido."),
        "int_type": _("Debe ser un número entero."),
        "int_parsing": _("Debe ser un número entero."),
        "int_from_float": _("Debe ser un número entero."),
        "float_type": _("Debe ser un número."),
        "float_parsing": _("Debe ser un número."),
        "decimal_parsing": _("Debe ser un número."),
        "bool_type": _("Debe ser verdadero o falso."),
        "bool_parsing": _("Debe ser verdadero o falso."),
        "greater_than": _("Debe ser mayor que {gt}."),
        "greater_than_equal": _("Debe ser mayor o igual que {ge}."),
        "less_than": _("Debe ser menor que {lt}."),
        "less_than_equal": _("Debe ser menor o igual que {le}."),
        "date_type": _("Debe ser una fecha (AAAA-MM-DD)."),
        "date_parsing": _("Debe ser una fecha (AAAA-MM-DD)."),
        "date_from_datetime_parsing": _("Debe ser una fecha (AAAA-MM-DD)."),
        "date_from_datetime_inexact": _("Debe ser una fecha sin hora."),
        "datetime_type": _("Debe ser una fecha y hora ISO 8601."),
        "datetime_parsing": _("Debe ser una fecha y hora ISO 8601."),
        "datetime_from_date_parsing": _("Debe ser una fecha y hora ISO 8601."),
        "time_parsing": _("Debe ser una hora (HH:MM)."),
        "timezone_aware": _(
            "Debe incluir la zona horaria (por ejemplo 2030-01-15T10:00:00-05:00)."
        ),
        "uuid_type": _("Debe ser un identificador UUID."),
        "uuid_parsing": _("Debe ser un identificador UUID."),
        "enum": _("Valor no permitido. Opciones: {expected}."),
        "literal_error": _("Valor no permitido. Opciones: {expected}."),
        "list_type": _("Debe ser una lista."),
        "too_short": _("Debe tener al menos {min_length} elementos."),
        "too_long": _("Debe tener como máximo {max_length} elementos."),
        "dict_type": _("Debe ser un objeto."),
        "model_type": _("Debe ser un objeto."),
        "model_attributes_type": _("Debe ser un objeto."),
        "json_invalid": _("El cuerpo no es JSON válido."),
        "json_type": _("El cuerpo no es JSON válido."),
        "url_parsing": _("Debe ser una URL válida."),
        "url_type": _("Debe ser una URL válida."),
        # platform_core.input_bounds: the supported range of every input.
        "date_out_of_range": _("La fecha debe estar entre {min} y {max}."),
        "int_out_of_range": _("Debe estar entre {min} y {max}."),
        "float_not_finite": _("Debe ser un número finito."),
        "string_contains_nul": _("El texto no puede contener el carácter nulo (U+0000)."),
    }


_VALUE_ERROR_PREFIX = "Value error, "


def spanish_message(error: dict[str, Any]) -> str:
    """The Spanish text for one Pydantic error dict (``type``, ``msg``, ``ctx``)."""
    kind = str(error.get("type", ""))
    if kind in ("value_error", "assertion_error"):
        message = str(error.get("msg", ""))
        return message.removeprefix(_VALUE_ERROR_PREFIX).removeprefix("Assertion failed, ")
    if (
        kind in ("string_too_short", "too_short")
        and (error.get("ctx") or {}).get("min_length") == 1
    ):
        return _("No puede estar vacío.")
    template = _messages().get(kind)
    if template is None:
        return _("El valor no es válido.")
    ctx = {key: _plain(value) for key, value in (error.get("ctx") or {}).items()}
    try:
        return template.format(**ctx)
    except (KeyError, IndexError, ValueError):
        return _("El valor no es válido.")


def _plain(value: Any) -> str:
    # Pydantic quotes enum choices as "'a', 'b' or 'c'"; show them as a plain list.
    return str(value).replace("'", "").replace(" or ", ", ")
