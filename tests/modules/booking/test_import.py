from __future__ import annotations

from io import BytesIO
from typing import Any

import tablib
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from modules.booking.admin import ServiceResource
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
    result = ServiceResource().import_data(
        _dataset(
            GOOD,
            "X-1,X,,no-such-category,60,0,0,1,,COP,0,1,,ana",
            "X-2,X,,masajes,60,0,0,1,,COP,0,1,,zoe",
        ),
        dry_run=True,
    )
    assert result.has_errors() or result.has_validation_errors()
    assert not Service.objects.filter(code="PIEDRAS-90").exists()


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
    assert "MASAJE-60" in book["code"]
