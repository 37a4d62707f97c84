"""Public catalogs answer with ETag / Last-Modified / Cache-Control, and a conditional GET
is answered 304 before the view runs; writes invalidate through the version counters
(issue 21, platform_core.conditional)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils.http import http_date

from modules.booking.models import Service
from modules.shop import inventory
from platform_core import renderers
from tests.modules.booking.conftest import build_spa
from tests.modules.shop.factories import ProductFactory

pytestmark = pytest.mark.django_db

BOOKING_CATALOG = (
    "/api/booking/categories/",
    "/api/booking/services/",
    "/api/booking/services/MASAJE-60/",
    "/api/booking/therapists/",
)
SHOP_CATALOG = ("/api/shop/categories/", "/api/shop/products/")


@pytest.fixture
def catalogs(db):
    spa = build_spa()
    product = ProductFactory(sku="ACE-1", name="Aceite de lavanda", stock=20)
    return spa, product


@pytest.fixture
def renders(monkeypatch):
    calls = []
    original = renderers.dumps

    def counting(data):
        calls.append(data)
        return original(data)

    monkeypatch.setattr(renderers, "dumps", counting)
    return calls


def _get(client: Client, path: str, **headers):
    return client.get(path, **headers)


@pytest.mark.parametrize("path", [*BOOKING_CATALOG, *SHOP_CATALOG, "PRODUCT"])
def test_catalog_reads_carry_validators_and_304_skips_the_view(catalogs, renders, path):
    _spa, product = catalogs
    if path == "PRODUCT":
        path = f"/api/shop/products/{product.public_id}/"
    client = Client()
    first = client.get(path)
    assert first.status_code == 200
    etag = first["ETag"]
    assert etag.startswith('"') and etag.endswith('"')
    assert first["Last-Modified"]
    assert first["Cache-Control"] == "public, max-age=60, stale-while-revalidate=300"
    assert len(renders) == 1

    with CaptureQueriesContext(connection) as queries:
        again = client.get(path, HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304
    assert again.content == b""
    assert again["ETag"] == etag
    assert again["Cache-Control"] == first["Cache-Control"]
    assert len(queries) == 0  # no query: the view never ran
    assert len(renders) == 1  # ...and nothing was rendered

    # A CDN may weaken the tag; a list of tags matches when one does.
    assert client.get(path, HTTP_IF_NONE_MATCH=f'"x", W/{etag}').status_code == 304
    assert client.get(path, HTTP_IF_MODIFIED_SINCE=first["Last-Modified"]).status_code == 304
    assert client.get(path, HTTP_IF_NONE_MATCH='"other"').status_code == 200


def test_query_string_is_part_of_the_tag(catalogs):
    client = Client()
    a = client.get("/api/booking/services/?page=1")
    b = client.get("/api/booking/services/?q=masaje")
    assert a["ETag"] != b["ETag"]
    assert (
        client.get("/api/booking/services/?q=masaje", HTTP_IF_NONE_MATCH=a["ETag"]).status_code
        == 200
    )


def test_a_service_change_invalidates_the_booking_catalog(catalogs):
    spa, _product = catalogs
    client = Client()
    etag = client.get("/api/booking/services/")["ETag"]
    shop_etag = client.get("/api/shop/products/")["ETag"]

    Service.objects.filter(pk=spa.massage.pk).get().save(update_fields=["name"])  # admin edit

    changed = client.get("/api/booking/services/", HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200
    assert changed["ETag"] != etag
    # The shop's catalog has its own counter: still fresh.
    assert client.get("/api/shop/products/", HTTP_IF_NONE_MATCH=shop_etag).status_code == 304


def test_a_therapist_joining_a_service_invalidates_the_therapist_list(catalogs):
    spa, _product = catalogs
    client = Client()
    etag = client.get("/api/booking/therapists/?service=MASAJE-60")["ETag"]
    spa.massage.therapists.remove(spa.beto)
    r = client.get("/api/booking/therapists/?service=MASAJE-60", HTTP_IF_NONE_MATCH=etag)
    assert r.status_code == 200
    assert len(r.json()["items"]) == 1


def test_stock_moves_invalidate_only_when_the_shown_availability_changes(catalogs, settings):
    settings.SHOP_LOW_STOCK_THRESHOLD = 5
    _spa, product = catalogs  # 20 units: in_stock
    client = Client()
    etag = client.get("/api/shop/products/")["ETag"]

    inventory.adjust_stock(product, -3, reason="conteo", actor=None)  # 17: still in_stock
    assert client.get("/api/shop/products/", HTTP_IF_NONE_MATCH=etag).status_code == 304

    inventory.adjust_stock(product, -13, reason="conteo", actor=None)  # 4: low
    r = client.get("/api/shop/products/", HTTP_IF_NONE_MATCH=etag)
    assert r.status_code == 200
    assert r.json()["items"][0]["availability"] == "low"


def test_a_product_edit_invalidates_the_shop_catalog(catalogs):
    _spa, product = catalogs
    client = Client()
    path = f"/api/shop/products/{product.public_id}/"
    etag = client.get(path)["ETag"]
    product.price_cents, product.vip_price_cents = 4_000_000, 3_600_000
    product.save()
    r = client.get(path, HTTP_IF_NONE_MATCH=etag)
    assert r.status_code == 200
    assert r.json()["price_cents"] == 4_000_000


def test_errors_and_private_reads_carry_no_validators(catalogs):
    client = Client()
    missing = client.get("/api/booking/services/NO-EXISTE/")
    assert missing.status_code == 404
    assert "ETag" not in missing
    assert "ETag" not in client.get("/api/booking/availability/?service=MASAJE-60")


def test_an_old_if_modified_since_gets_the_body(catalogs):
    client = Client()
    r = client.get("/api/booking/categories/", HTTP_IF_MODIFIED_SINCE=http_date(0))
    assert r.status_code == 200
    # "*" matches any current representation.
    assert client.get("/api/booking/categories/", HTTP_IF_NONE_MATCH="*").status_code == 304


@pytest.mark.parametrize("path", ["/api/booking/services/", "/api/shop/products/", "PRODUCT"])
def test_a_second_reader_of_the_same_version_gets_the_stored_body(catalogs, renders, path):
    _spa, product = catalogs
    if path == "PRODUCT":
        path = f"/api/shop/products/{product.public_id}/"
    first = Client().get(path)
    Client().get(path)  # read twice: worth keeping (one-off URLs leave only a marker)
    assert len(renders) == 2

    with CaptureQueriesContext(connection) as queries:
        second = Client().get(path)  # another visitor, no validators of her own
    assert second.status_code == 200
    assert len(queries) == 0 and len(renders) == 2  # from the cache: no query, no render
    assert second.content == first.content
    assert second["Content-Type"] == first["Content-Type"]
    assert (second["ETag"], second["Cache-Control"]) == (first["ETag"], first["Cache-Control"])


def test_the_stored_body_follows_the_version(catalogs, renders):
    _spa, product = catalogs
    path = f"/api/shop/products/{product.public_id}/"
    before = Client().get(path)
    product.price_cents, product.vip_price_cents = 4_000_000, 3_600_000
    product.save()
    after = Client().get(path)
    assert after["ETag"] != before["ETag"]
    assert after.json()["price_cents"] == 4_000_000
    assert len(renders) == 2


def test_a_body_is_kept_only_for_a_url_read_twice(catalogs, renders):
    path = "/api/booking/services/?page_size=5"
    Client().get(path)
    Client().get(path)  # the second render of the same URL keeps the body
    Client().get(path)
    assert len(renders) == 2


@pytest.mark.parametrize(
    "query",
    ["junk=1", "page_size=5&page_size=6", "q=masaje&utm_source=whatsapp"],
    ids=["undeclared parameter", "repeated parameter", "declared and undeclared"],
)
def test_urls_with_parameters_the_operation_does_not_declare_keep_no_body(catalogs, renders, query):
    # The shared cache never evicts (it is also the broker): random URLs must not fill it.
    from django.core.cache import cache

    path = f"/api/booking/services/?{query}"
    for _ in range(3):
        response = Client().get(path)
        assert response.status_code == 200
    assert len(renders) == 3
    assert cache.get("conditional:body:" + response["ETag"].strip('"')) is None


def test_declared_urls_read_twice_cannot_fill_the_shared_cache(catalogs, settings):
    """An attacker who reads each of many declared URLs twice (``?page_size=100``, ``101``, …)
    got a body stored for every one (205 bodies for 400 requests on the live server): the cache
    never evicts, it is the Celery broker. The bodies stored per lifetime window share a byte
    budget (CATALOG_BODY_BUDGET_BYTES); past it, catalogs are rendered, not kept."""
    import time

    import time_machine
    from django.core.cache import cache

    with time_machine.travel(time.time(), tick=False):  # one budget window throughout
        first = Client().get("/api/shop/products/?page_size=20")
        settings.CATALOG_BODY_BUDGET_BYTES = 3 * len(first.content) + 10
        etags = []
        for size in range(30, 50):
            path = f"/api/shop/products/?page_size={size}"
            Client().get(path)
            etags.append(Client().get(path)["ETag"].strip('"'))
        stored = [tag for tag in etags if cache.get("conditional:body:" + tag) is not None]
        assert 1 <= len(stored) <= 3, len(stored)
        # Past the budget the answer is the same, only rendered.
        again = Client().get("/api/shop/products/?page_size=49")
        assert again.status_code == 200 and again["ETag"].strip('"') == etags[-1]
        assert again.json()["page_size"] == 49


def test_a_body_over_the_size_limit_is_not_kept(catalogs, settings, renders):
    from django.core.cache import cache

    settings.CATALOG_BODY_MAX_BYTES = 10
    path = "/api/shop/products/?page_size=7"
    Client().get(path)
    tag = Client().get(path)["ETag"].strip('"')
    assert cache.get("conditional:body:" + tag) is None
    Client().get(path)
    assert len(renders) == 3
