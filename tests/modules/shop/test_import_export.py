"""Catalog import/export: upsert by SKU, all-or-nothing, dry run with row errors, audit."""

from __future__ import annotations

import io

import pytest
import tablib
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from modules.shop.models import Product, Tag
from modules.shop.resources import ProductResource
from tests.factories import UserFactory
from tests.modules.shop.factories import CategoryFactory, ProductFactory

pytestmark = pytest.mark.django_db

HEADERS = [name for name in ProductResource._meta.fields if name != "stock"]


@pytest.fixture
def existing():
    CategoryFactory(slug="aceites", name="Aceites")
    CategoryFactory(slug="cremas", name="Cremas")
    return ProductFactory(sku="ACE-1", name="Aceite viejo", price_cents=1_000_000, stock=4)


def _dataset(*rows) -> tablib.Dataset:
    return tablib.Dataset(*rows, headers=HEADERS)


GOOD_ROWS = [
    (
        "ACE-1",
        "Aceite de lavanda",
        "Nuevo texto",
        "aceites",
        3_800_000,
        3_400_000,
        1,
        "relajante|Aromaterapia",
    ),
    ("CRE-9", "Crema de karité", "", "cremas", 5_400_000, "", 1, ""),
]


def test_good_file_upserts_by_sku_and_is_audited(existing, boundary):
    staff = UserFactory(roles=["admin"])
    result = ProductResource().import_data(
        _dataset(*GOOD_ROWS), dry_run=False, user=staff, file_name="catalogo.csv"
    )
    assert not result.has_errors() and not result.has_validation_errors()
    assert result.totals["new"] == 1 and result.totals["update"] == 1
    updated = Product.objects.get(sku="ACE-1")
    assert updated.pk == existing.pk  # same row, matched on SKU
    assert (updated.name, updated.price_cents, updated.vip_price_cents) == (
        "Aceite de lavanda",
        3_800_000,
        3_400_000,
    )
    assert updated.stock == 4  # stock is never imported
    assert sorted(updated.tags.values_list("slug", flat=True)) == ["aromaterapia", "relajante"]
    created = Product.objects.get(sku="CRE-9")
    assert created.category.slug == "cremas" and created.vip_price_cents is None
    assert created.stock == 0
    (audit,) = boundary.audits
    assert audit["action"] == "shop.catalog_imported"
    assert audit["actor"] == staff
    assert audit["details"] == {
        "rows": 2,
        "new": 1,
        "updated": 1,
        "skipped": 0,
        "file_name": "catalogo.csv",
    }


def test_dry_run_reports_bad_row_and_writes_nothing(existing, boundary):
    rows = [
        *GOOD_ROWS,
        ("BAD-1", "Precio negativo", "", "aceites", -5, "", 1, "nueva-etiqueta"),
    ]
    result = ProductResource().import_data(_dataset(*rows), dry_run=True, user=None)
    assert result.has_validation_errors()
    (invalid,) = result.invalid_rows
    assert invalid.number == 3
    assert "price_cents" in invalid.error_dict
    assert Product.objects.count() == 1
    assert Product.objects.get(sku="ACE-1").name == "Aceite viejo"
    assert not Tag.objects.filter(slug__in=["relajante", "nueva-etiqueta"]).exists()
    assert boundary.audits == []


@pytest.mark.parametrize(
    "bad_row",
    [
        ("BAD-2", "Categoría inexistente", "", "no-existe", 100, "", 1, ""),
        ("BAD-3", "VIP más caro", "", "aceites", 100, 500, 1, ""),
        ("BAD-4", "", "", "aceites", 100, "", 1, ""),
    ],
)
def test_real_import_with_any_bad_row_writes_nothing(existing, boundary, bad_row):
    result = ProductResource().import_data(_dataset(*GOOD_ROWS, bad_row), dry_run=False)
    assert result.has_errors() or result.has_validation_errors()
    assert Product.objects.count() == 1
    assert Product.objects.get(sku="ACE-1").name == "Aceite viejo"
    assert boundary.audits == []


def test_export_has_stock_and_slugs(existing):
    existing.tags.add(Tag.objects.create(slug="regalo", name="Regalo"))
    data = ProductResource().export()
    row = dict(zip(data.headers, data[0], strict=True))
    assert row["sku"] == "ACE-1"
    assert str(row["existencias"]) == "4"
    assert row["etiquetas"] == "regalo"
    assert data.headers[:2] == ["sku", "nombre"]
    assert "precio_centavos" in data.headers  # money keeps integer cents, named so


@pytest.fixture
def admin_client(client):
    staff = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(staff)
    return client, staff


def _csv(rows) -> bytes:
    return _dataset(*rows).export("csv").encode()


def test_admin_dry_run_shows_row_errors_and_no_confirm(admin_client, existing):
    client, _staff = admin_client
    rows = [*GOOD_ROWS, ("BAD-1", "Malo", "", "aceites", -1, "", 1, "")]
    response = client.post(
        reverse("admin:shop_product_import"),
        {
            "resource": "0",
            "format": "0",
            "import_file": SimpleUploadedFile("catalogo.csv", _csv(rows), "text/csv"),
        },
    )
    assert response.status_code == 200
    assert response.context["result"].has_validation_errors()
    assert "confirm_form" not in response.context or response.context["confirm_form"] is None
    assert Product.objects.count() == 1


def test_admin_xlsx_import_confirms_and_audits(admin_client, existing, boundary):
    client, staff = admin_client
    xlsx = _dataset(*GOOD_ROWS).export("xlsx")
    response = client.post(
        reverse("admin:shop_product_import"),
        {
            "resource": "0",
            "format": "1",
            "import_file": SimpleUploadedFile("catalogo.xlsx", xlsx),
        },
    )
    assert response.status_code == 200
    confirm = response.context["confirm_form"]
    assert confirm is not None and not response.context["result"].has_errors()
    assert Product.objects.count() == 1  # the preview wrote nothing
    response = client.post(reverse("admin:shop_product_process_import"), confirm.initial)
    assert response.status_code == 302
    assert Product.objects.filter(sku="CRE-9").exists()
    assert boundary.audits[-1]["actor"] == staff
    assert boundary.audits[-1]["details"]["rows"] == 2


def test_admin_export_csv(admin_client, existing):
    client, _staff = admin_client
    response = client.post(
        reverse("admin:shop_product_export"),
        {
            "format": "0",
            "resource": "0",
            **{f"productresource_{f}": "on" for f in HEADERS},
            "productresource_stock": "on",
        },
    )
    assert response.status_code == 200
    content = b"".join(response.streaming_content) if response.streaming else response.content
    text = content.decode("utf-8-sig")
    assert "ACE-1" in text and "sku" in text.splitlines()[0]
    assert io.StringIO(text).readline().strip().startswith("sku")
