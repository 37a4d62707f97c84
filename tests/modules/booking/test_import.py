from __future__ import annotations

from io import BytesIO
from typing import Any

import openpyxl
import tablib
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from import_export.formats.base_formats import XLSX

from modules.booking.admin import ServiceAdmin, ServiceResource
from modules.booking.models import Service
from platform_core.models import AuditEvent
from tests.factories import UserFactory

HEADER = ",".join(
    [
        "code",
        "name",
        "description",
        "category",
        "duration_minutes",
        "buffer_before_minutes",
        "buffer_after_minutes",
        "price_cents",
        "vip_price_cents",
        "currency",
        "deposit_percent",
        "is_active",
        "resource_kind",
        "therapists",
    ]
)


def _dataset(*rows: str) -> tablib.Dataset:
    return tablib.Dataset().load("\n".join([HEADER, *rows]), format="csv")


GOOD = "PIEDRAS-90,Piedras calientes,,masajes,90,10,15,26000000,22000000,COP,30,1,cabina,ana|beto"
UPDATE = "MASAJE-60,Masaje 60 renovado,,masajes,60,0,15,19000000,,COP,0,1,cabina,ana"


def test_dry_run_with_one_bad_row_reports_it_and_writes_nothing(spa: Any) -> None:
    bad = "MALO-1,Malo,,masajes,0,0,0,-5,,COP,150,1,,ana"
    result = ServiceResource().import_data(_dataset(GOOD, bad, UPDATE), dry_run=True)
    assert result.has_validation_errors()
    invalid = result.invalid_rows
    assert [row.number for row in invalid] == [2]
    assert {"duration_minutes", "price_cents", "deposit_percent"} <= set(
        invalid[0].field_specific_errors
    )
    assert not Service.objects.filter(code__in=["PIEDRAS-90", "MALO-1"]).exists()
    assert Service.objects.get(code="MASAJE-60").price_cents == 18_000_000
    # A real (non dry-run) import of the same file writes nothing either.
    ServiceResource().import_data(_dataset(GOOD, bad, UPDATE), dry_run=False)
    assert not Service.objects.filter(code="PIEDRAS-90").exists()
    assert not AuditEvent.objects.filter(action="booking.services_imported").exists()


def test_unknown_references_are_row_errors(spa: Any) -> None:
    rows = (
        GOOD,
        "X-1,X,,no-such-category,60,0,0,1,,COP,0,1,,ana",
        "X-2,X,,masajes,60,0,0,1,,COP,0,1,,ana|zoe|yuri",
    )
    result = ServiceResource().import_data(_dataset(*rows), dry_run=True)
    # Exactly rows 2 and 3 fail, each naming what it could not find; row 1 is fine.
    # The category is resolved before saving (a per-field validation error), the
    # therapists after it (a row error); both roll the whole file back.
    assert [(r.number, r.field_specific_errors) for r in result.invalid_rows] == [
        (2, {"category": ["Categoría desconocida: no-such-category"]}),
    ]
    assert [(number, [str(e.error) for e in errors]) for number, errors in result.row_errors()] == [
        (3, ["Terapeutas desconocidos: yuri, zoe"]),
    ]
    assert [row.import_type for row in result.rows] == ["new", "invalid", "error"]
    # Nothing is written, in a dry run or a real one.
    ServiceResource().import_data(_dataset(*rows), dry_run=False)
    assert not Service.objects.filter(code__in=["PIEDRAS-90", "X-1", "X-2"]).exists()
    assert not AuditEvent.objects.filter(action="booking.services_imported").exists()


def test_import_upserts_by_code_and_is_audited(spa: Any) -> None:
    admin = UserFactory(is_staff=True, is_superuser=True)
    result = ServiceResource().import_data(
        _dataset(GOOD, UPDATE), dry_run=False, user=admin, file_name="s.csv"
    )
    assert not result.has_errors() and not result.has_validation_errors()
    assert result.totals["new"] == 1 and result.totals["update"] == 1
    created = Service.objects.get(code="PIEDRAS-90")
    assert created.deposit_percent == 30 and set(
        created.therapists.values_list("code", flat=True)
    ) == {"ana", "beto"}
    updated = Service.objects.get(code="MASAJE-60")
    assert updated.price_cents == 19_000_000 and updated.vip_price_cents is None
    assert list(updated.therapists.values_list("code", flat=True)) == ["ana"]
    event = AuditEvent.objects.get(action="booking.services_imported")
    assert event.actor == admin and event.details["new"] == 1


def test_admin_import_preview_and_xlsx_export(spa: Any) -> None:
    admin = UserFactory(is_staff=True, is_superuser=True)
    browser = Client()
    browser.force_login(admin)
    csv_bytes = "\n".join([HEADER, GOOD, "MALO,Malo,,masajes,0,0,0,1,,COP,0,1,,"]).encode()
    response = browser.post(
        "/admin/booking/service/import/",
        {
            "import_file": SimpleUploadedFile("servicios.csv", csv_bytes, content_type="text/csv"),
            "format": "0",
            "resource": "0",
        },
    )
    assert response.status_code == 200
    result = response.context["result"]
    assert result.has_validation_errors() and [r.number for r in result.invalid_rows] == [2]
    assert "duration_minutes" in response.content.decode()
    assert "confirm_form" not in response.context  # nothing to confirm: no write possible
    assert not Service.objects.filter(code="PIEDRAS-90").exists()
    exported = ServiceResource().export().export("xlsx")
    book = tablib.Dataset().load(BytesIO(exported), format="xlsx")
    assert "MASAJE-60" in book["codigo"]  # Spanish columns; English headers still import
    assert "precio_centavos" in book.headers


COLUMNS = HEADER.split(",")


def _xlsx(*rows: list[Any]) -> bytes:
    """A real .xlsx workbook (typed cells: ints, booleans, empty = None)."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(COLUMNS)
    for row in rows:
        sheet.append(row)
    out = BytesIO()
    workbook.save(out)
    return out.getvalue()


XLSX_GOOD = [
    "PIEDRAS-90",
    "Piedras calientes",
    None,
    "masajes",
    90,
    10,
    15,
    26_000_000,
    22_000_000,
    "COP",
    30,
    True,
    "cabina",
    "ana|beto",
]
XLSX_UPDATE = [
    "MASAJE-60",
    "Masaje 60 renovado",
    "Con aceites",
    "masajes",
    60,
    0,
    15,
    19_000_000,
    None,
    "COP",
    0,
    True,
    "cabina",
    "ana",
]
XLSX_BAD = ["MALO-1", "Malo", None, "masajes", 0, 0, 0, -5, None, "COP", 150, True, None, "ana"]


def _admin_import(browser: Client, content: bytes) -> Any:
    formats = [f().get_title() for f in ServiceAdmin.formats]
    return browser.post(
        "/admin/booking/service/import/",
        {
            "import_file": SimpleUploadedFile(
                "servicios.xlsx",
                content,
                content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            ),
            "format": str(formats.index("xlsx")),
            "resource": "0",
        },
    )


def test_xlsx_import_through_the_admin_upserts(spa: Any) -> None:
    admin = UserFactory(is_staff=True, is_superuser=True)
    browser = Client()
    browser.force_login(admin)
    preview = _admin_import(browser, _xlsx(XLSX_GOOD, XLSX_UPDATE))
    assert preview.status_code == 200
    result = preview.context["result"]
    assert not result.has_errors() and not result.has_validation_errors(), [
        (r.number, r.field_specific_errors) for r in result.invalid_rows
    ]
    assert result.totals["new"] == 1 and result.totals["update"] == 1
    assert not Service.objects.filter(code="PIEDRAS-90").exists()  # the preview is a dry run
    confirm = preview.context["confirm_form"]
    done = browser.post(
        "/admin/booking/service/process_import/",
        {name: confirm.initial[name] for name in confirm.fields},
    )
    assert done.status_code == 302, done.content[:500]
    created = Service.objects.get(code="PIEDRAS-90")
    assert (created.duration_minutes, created.price_cents, created.vip_price_cents) == (
        90,
        26_000_000,
        22_000_000,
    )
    assert created.description == "" and created.deposit_percent == 30 and created.is_active
    assert set(created.therapists.values_list("code", flat=True)) == {"ana", "beto"}
    updated = Service.objects.get(code="MASAJE-60")
    assert updated.price_cents == 19_000_000 and updated.vip_price_cents is None
    assert updated.description == "Con aceites"
    assert list(updated.therapists.values_list("code", flat=True)) == ["ana"]
    event = AuditEvent.objects.get(action="booking.services_imported")
    assert event.actor == admin and event.details["file"] == "servicios.xlsx"


def test_xlsx_import_with_a_bad_row_writes_nothing(spa: Any) -> None:
    admin = UserFactory(is_staff=True, is_superuser=True)
    browser = Client()
    browser.force_login(admin)
    preview = _admin_import(browser, _xlsx(XLSX_GOOD, XLSX_BAD, XLSX_UPDATE))
    assert preview.status_code == 200
    result = preview.context["result"]
    assert [r.number for r in result.invalid_rows] == [2]
    assert set(result.invalid_rows[0].field_specific_errors) == {
        "duration_minutes",
        "price_cents",
        "deposit_percent",
    }
    assert "confirm_form" not in preview.context
    # Straight through the resource, not a dry run: still all or nothing.
    dataset = XLSX().create_dataset(_xlsx(XLSX_GOOD, XLSX_BAD, XLSX_UPDATE))
    real = ServiceResource().import_data(dataset, dry_run=False, user=admin)
    assert [r.number for r in real.invalid_rows] == [2]
    assert not Service.objects.filter(code__in=["PIEDRAS-90", "MALO-1"]).exists()
    assert Service.objects.get(code="MASAJE-60").price_cents == 18_000_000
    assert not AuditEvent.objects.filter(action="booking.services_imported").exists()
