"""The admin speaks Spanish and pesos: every changelist, add and change page, as reception
and as the owner, with ``LANGUAGE_CODE=es-co``, carries none of the English leaks people
reported (column headers, filter titles, third-party sections, import/export messages and
file names, "matching query does not exist"), and money reads ``$ 62.000``."""

from __future__ import annotations

import contextlib
import html
import io
import re

import pytest
from django.contrib import admin
from django.core.management import call_command
from django.test import Client
from django.urls import NoReverseMatch, reverse
from django.utils import translation

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

# Whole words that are English and never Spanish. Page chrome only (headers, labels,
# filters, titles, help, buttons, messages): data in cells and inputs is the spa's own.
LEAK_WORDS = [
    "the",
    "of",
    "and",
    "by",
    "at",
    "with",
    "created",
    "updated",
    "name",
    "date",
    "task",
    "tasks",
    "import",
    "export",
    "finished",
    "matching",
    "query",
    "does",
    "exist",
    "cents",
    "amount",
    "price",
    "kind",
    "user",
    "public",
    "outstanding",
    "blacklisted",
    "periodic",
    "schedule",
    "schedules",
    "clocked",
    "interval",
    "translation",
    "event",
    "expires",
    "jti",
    "last",
    "first",
    "email",
    "phone",
    "active",
    "staff",
    "superuser",
    "password",
    "groups",
    "permissions",
    "through",
    "skipped",
    "deleted",
    "new",
]
# A word alone: "user:3f2a…" or "roles.changed" are identifiers, not language.
LEAK = re.compile(r"(?<![\w.:/-])(" + "|".join(LEAK_WORDS) + r")(?![\w.:/-])", re.IGNORECASE)
# Not shown to people as words (data, inputs, scripts) or proper nouns.
HIDDEN = re.compile(
    r"<(script|style|textarea|select|td|option)\b.*?</\1>"
    r"|<div class=\"readonly\">.*?</div>"
    r"|<th class=\"field-[^\"]*\">.*?</th>"  # a row's first cell is data too
    # a filter's choices are data (e.g. periodic task names); its title is checked
    r"|<li[^>]*>\s*<a href=\"\?[^\"]*\"[^>]*>[^<]*</a>\s*</li>"
    r"|<a [^>]*class=\"[^\"]*(?:related-widget-wrapper-link|datetimeshortcuts)[^\"]*\".*?</a>",
    re.S | re.I,
)


def visible_text(page: str) -> list[str]:
    page = HIDDEN.sub(" ", page)
    page = re.sub(r"<[^>]+>", "\n", page)
    return [html.unescape(line).strip() for line in page.splitlines() if line.strip()]


def leaks(page: str) -> list[str]:
    return [line for line in visible_text(page) if LEAK.search(line)]


@pytest.fixture
def spa(db, settings):
    settings.LANGUAGE_CODE = "es-co"
    settings.SEED_DEMO_ACTIVITY = True  # appointments, orders and a conversation to open
    call_command("seed_demo", stdout=io.StringIO())
    # Own numbers: the factory's sequence would land on the demo's superuser.
    owner = UserFactory(phone_number="+573009990001", roles=["admin"], is_staff=True)
    reception = UserFactory(phone_number="+573009990002", roles=["reception"], is_staff=True)
    return {"owner": owner, "reception": reception}


def admin_pages() -> list[str]:
    urls = ["/admin/"]
    for model in admin.site._registry:
        opts = model._meta
        prefix = f"admin:{opts.app_label}_{opts.model_name}"
        urls += [reverse(f"{prefix}_changelist"), reverse(f"{prefix}_add")]
        obj = model._default_manager.order_by("pk").first()
        if obj is not None:
            urls.append(reverse(f"{prefix}_change", args=[obj.pk]))
        for extra in ("import", "export"):
            with contextlib.suppress(NoReverseMatch):
                urls.append(reverse(f"{prefix}_{extra}"))
    return urls


@pytest.mark.parametrize("who", ["reception", "owner"])
def test_no_english_on_any_admin_page(spa, who):
    client = Client()
    client.force_login(spa[who])
    found: dict[str, list[str]] = {}
    seen = 0
    with translation.override("es-co"):
        for url in admin_pages():
            response = client.get(url)
            assert response.status_code in (200, 302, 403), (url, response.status_code)
            if response.status_code == 200:
                seen += 1
                page_leaks = leaks(response.content.decode())
                if page_leaks:
                    found[url] = page_leaks
    assert seen > (30 if who == "owner" else 15)
    report = "\n".join(f"{url}: {lines}" for url, lines in found.items())
    assert not found, report


def test_the_walk_can_fail():
    """The detector sees a column header, a filter title and a section name."""
    page = (
        '<th scope="col"><a href="?o=1">Created at</a></th>'
        '<h3> Por Task Name </h3><a href="/admin/token_blacklist/">Outstanding tokens</a>'
        "<td>payments: renewals and dunning</td>"
    )
    assert leaks(page) == ["Created at", "Por Task Name", "Outstanding tokens"]


def test_reception_sees_only_its_sections(spa):
    client = Client()
    client.force_login(spa["reception"])
    index = client.get("/admin/").content.decode()
    for technical in (
        "/admin/token_blacklist/",
        "/admin/django_celery_beat/",
        "/admin/payments/webhookevent/",
        "/admin/identity/localverification/",
    ):
        assert technical not in index
    assert client.get("/admin/payments/webhookevent/").status_code == 403
    assert client.get("/admin/identity/localverification/").status_code == 403
    owner = Client()
    owner.force_login(spa["owner"])
    page = owner.get("/admin/").content.decode()
    assert "/admin/payments/webhookevent/" in page
    assert "/admin/django_celery_beat/" in page
    assert owner.get("/admin/payments/webhookevent/").status_code == 200


def test_money_reads_in_pesos(spa):
    client = Client()
    client.force_login(spa["owner"])
    services = client.get("/admin/booking/service/").content.decode()
    assert "$ 180.000" in services  # the relaxing massage: 18_000_000 cents
    assert "18000000" not in services
    assert "centavos" not in " ".join(visible_text(services)).lower()
    products = client.get("/admin/shop/product/").content.decode()
    assert re.search(r"\$ \d{1,3}(\.\d{3})+", products)


def test_prices_are_typed_in_pesos_and_stored_in_cents(spa):
    from modules.booking.models import Service

    client = Client()
    client.force_login(spa["owner"])
    service = Service.objects.get(code="MASAJE-RELAX-60")
    url = reverse("admin:booking_service_change", args=[service.pk])
    form = client.get(url).context["adminform"].form
    assert form["price_cents"].value() == 180_000  # pesos in the input
    assert 'value="180000"' in client.get(url).content.decode()  # shown in pesos
    data = {k: v for k, v in form.initial.items() if v is not None and k != "therapists"}
    data.update(
        {
            "price_cents": "175.000",
            "vip_price_cents": "150000",
            "category": service.category_id,
            "therapists": list(service.therapists.values_list("pk", flat=True)),
        }
    )
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    service.refresh_from_db()
    assert (service.price_cents, service.vip_price_cents) == (17_500_000, 15_000_000)


def test_export_file_names_and_import_errors_are_spanish(spa):
    client = Client()
    client.force_login(spa["owner"])
    export_form = client.get("/admin/booking/service/export/").context["form"]
    skip = ("format", "resource", "export_items")
    columns = {name: "on" for name in export_form.fields if name not in skip}
    response = client.post(
        "/admin/booking/service/export/", {"format": "0", "resource": "0", **columns}
    )
    assert response.status_code == 200
    assert response.has_header("Content-Disposition"), (
        response.context and [str(m) for m in response.context["messages"]],
        response.context and response.context["form"].errors,
    )
    disposition = response["Content-Disposition"]
    assert re.search(r'filename="servicios-\d{4}-\d{2}-\d{2}\.csv"', disposition), disposition
    header = response.content.decode().splitlines()[0]
    assert header.startswith("codigo,nombre") and "precio_centavos" in header

    from django.core.files.uploadedfile import SimpleUploadedFile

    csv_bytes = (
        b"sku,nombre,descripcion,categoria,precio_centavos,precio_vip_centavos,activo,etiquetas\n"
        b"NUEVO-1,Crema,,no-existe,1000000,,1,\n"
    )
    response = client.post(
        "/admin/shop/product/import/",
        {
            "import_file": SimpleUploadedFile("p.csv", csv_bytes, content_type="text/csv"),
            "format": "0",
            "resource": "0",
        },
    )
    page = response.content.decode()
    assert "Categoría desconocida: no-existe" in page
    assert "matching query does not exist" not in page
