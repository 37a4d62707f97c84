"""Excel (.xlsx) for django-import-export without openpyxl in every web worker.

django-import-export decides at import which formats exist (``base_formats.DEFAULT_FORMATS``
calls each format's ``is_available()``), and tablib's XLSX format imports openpyxl at module
level: 9.4 MB in each web worker from start-up, for the few staff imports and exports a day
(docs/performance.md, "Memory and start-up"). ``register_lazy_xlsx()`` replaces tablib's
registration with a format of the same name and extension whose methods import the real one
on first use; imports, exports and format detection are unchanged.
"""

from __future__ import annotations

from typing import Any


class LazyXLSXFormat:
    """tablib's ``XLSXFormat``, loaded (with openpyxl) when a file is read or written."""

    title = "xlsx"
    extensions = ("xlsx",)

    @staticmethod
    def _real() -> Any:
        from tablib.formats._xlsx import XLSXFormat

        return XLSXFormat

    @classmethod
    def detect(cls, stream: Any) -> bool:
        return bool(cls._real().detect(stream))

    @classmethod
    def export_set(cls, dataset: Any, **kwargs: Any) -> Any:
        return cls._real().export_set(dataset, **kwargs)

    @classmethod
    def export_book(cls, databook: Any, **kwargs: Any) -> Any:
        return cls._real().export_book(databook, **kwargs)

    @classmethod
    def import_set(cls, dset: Any, in_stream: Any, **kwargs: Any) -> Any:
        return cls._real().import_set(dset, in_stream, **kwargs)

    @classmethod
    def import_book(cls, dbook: Any, in_stream: Any, **kwargs: Any) -> Any:
        return cls._real().import_book(dbook, in_stream, **kwargs)


def register_lazy_xlsx() -> None:
    """Call before django-import-export is imported (the admin's ``ready``)."""
    from importlib.util import find_spec

    from tablib.formats import registry

    if find_spec("openpyxl") is not None:
        registry.register("xlsx", LazyXLSXFormat)
