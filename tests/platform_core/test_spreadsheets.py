"""Excel through django-import-export with the lazily loaded XLSX format."""

from __future__ import annotations

import io

import tablib
from import_export.formats.base_formats import DEFAULT_FORMATS, XLSX

from platform_core.spreadsheets import LazyXLSXFormat


def test_xlsx_is_offered_and_round_trips() -> None:
    assert XLSX in DEFAULT_FORMATS
    assert tablib.formats.registry.get_format("xlsx") is LazyXLSXFormat
    data = tablib.Dataset(["Masaje", 18_000_000], headers=["nombre", "precio_centavos"])
    xlsx = XLSX().export_data(data)
    assert xlsx[:2] == b"PK"  # a zip container, as Excel writes
    back = XLSX().create_dataset(xlsx)
    assert back.headers == ["nombre", "precio_centavos"] and back[0] == ("Masaje", 18_000_000)
    assert LazyXLSXFormat.detect(io.BytesIO(xlsx))
