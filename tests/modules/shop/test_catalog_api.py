from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from modules.shop.models import Category, Product, ProductImage
from tests.modules.shop.factories import CategoryFactory, ProductFactory, TagFactory

pytestmark = pytest.mark.django_db


def _ids(response) -> list[str]:
    return [item["sku"] for item in response.json()["items"]]


@pytest.fixture
def catalog():
    oils = CategoryFactory(slug="aceites", name="Aceites")
    massage = CategoryFactory(slug="aceites-de-masaje", name="Aceites de masaje", parent=oils)
    creams = CategoryFactory(slug="cremas", name="Cremas")
    relax = TagFactory(slug="relajante", name="Relajante")
    return {
        "lavanda": ProductFactory(
            sku="ACE-1",
            name="Aceite de lavanda",
            category=oils,
            price_cents=3_800_000,
            stock=10,
            tags=[relax],
        ),
        "almendras": ProductFactory(
            sku="ACE-2",
            name="Aceite de almendras",
            category=massage,
            price_cents=6_200_000,
            stock=2,
            description="Para masajes relajantes",
        ),
        "karite": ProductFactory(
            sku="CRE-1", name="Crema de karité", category=creams, price_cents=5_400_000, stock=0
        ),
        "hidden": ProductFactory(
            sku="OLD-1", name="Aceite viejo", category=oils, active=False, stock=4
        ),
    }


def test_list_is_public_paginated_and_hides_inactive(api, catalog):
    response = api.get("/api/shop/products")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 3
    assert _ids(response) == ["ACE-2", "ACE-1", "CRE-1"]  # by name
    item = next(i for i in body["items"] if i["sku"] == "ACE-1")
    assert item["category"] == {"slug": "aceites", "name": "Aceites", "parent": None}
    assert item["tags"] == ["relajante"]
    assert item["availability"] == "in_stock"
    assert "stock" not in item
    assert item["id"] == str(catalog["lavanda"].public_id)


def test_category_filter_includes_children(api, catalog):
    assert set(_ids(api.get("/api/shop/products", {"category": "aceites"}))) == {"ACE-1", "ACE-2"}
    assert _ids(api.get("/api/shop/products", {"category": "aceites-de-masaje"})) == ["ACE-2"]
    sub = api.get("/api/shop/products", {"category": "aceites-de-masaje"}).json()["items"][0]
    assert sub["category"]["parent"] == "aceites"


def test_price_range_stock_tag_and_text_filters(api, catalog):
    got = _ids(api.get("/api/shop/products", {"min_price": 4_000_000, "max_price": 6_000_000}))
    assert got == ["CRE-1"]
    assert set(_ids(api.get("/api/shop/products", {"in_stock": "true"}))) == {"ACE-1", "ACE-2"}
    assert _ids(api.get("/api/shop/products", {"in_stock": "false"})) == ["CRE-1"]
    assert _ids(api.get("/api/shop/products", {"tag": "relajante"})) == ["ACE-1"]
    # Text matches name, description, SKU and tag names.
    assert set(_ids(api.get("/api/shop/products", {"q": "relaj"}))) == {"ACE-1", "ACE-2"}
    assert _ids(api.get("/api/shop/products", {"q": "cre-1"})) == ["CRE-1"]


def test_sorting(api, catalog):
    assert _ids(api.get("/api/shop/products", {"sort": "price"})) == ["ACE-1", "CRE-1", "ACE-2"]
    assert _ids(api.get("/api/shop/products", {"sort": "-price"})) == ["ACE-2", "CRE-1", "ACE-1"]
    assert _ids(api.get("/api/shop/products", {"sort": "-name"})) == ["CRE-1", "ACE-1", "ACE-2"]
    assert _ids(api.get("/api/shop/products", {"sort": "newest"}))[0] == "CRE-1"
    bad = api.get("/api/shop/products", {"sort": "stock"})
    assert bad.status_code == 422
    assert bad.json()["error"]["code"] == "validation_error"


def test_pagination_pages(api, catalog):
    body = api.get("/api/shop/products", {"page_size": 2, "page": 2}).json()
    assert body["count"] == 3 and body["pages"] == 2 and len(body["items"]) == 1
    assert api.get("/api/shop/products", {"page_size": 501}).status_code == 422


def test_detail_shows_availability_not_count(api, catalog, settings):
    settings.SHOP_LOW_STOCK_THRESHOLD = 3
    lavanda = api.get(f"/api/shop/products/{catalog['lavanda'].public_id}").json()
    assert lavanda["availability"] == "in_stock"
    assert "stock" not in lavanda
    assert (
        api.get(f"/api/shop/products/{catalog['almendras'].public_id}").json()["availability"]
        == "low"
    )
    assert (
        api.get(f"/api/shop/products/{catalog['karite'].public_id}").json()["availability"] == "out"
    )
    # A per-product threshold overrides the setting (an edit as the admin saves it: the
    # catalog's version moves, so its ETag and stored body do).
    catalog["lavanda"].low_stock_threshold = 10
    catalog["lavanda"].save()
    again = api.get(f"/api/shop/products/{catalog['lavanda'].public_id}").json()
    assert again["availability"] == "low"


def test_detail_of_inactive_or_unknown_is_404(api, catalog):
    response = api.get(f"/api/shop/products/{catalog['hidden'].public_id}")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "product_not_found"
    assert api.get("/api/shop/products/not-a-uuid").status_code == 422


def test_images_by_url_and_upload(api, catalog, settings, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MEDIA_ROOT = tmp_path
    product = catalog["lavanda"]
    ProductImage.objects.create(product=product, url="https://cdn.example.test/l.jpg", alt="Frasco")
    ProductImage.objects.create(
        product=product,
        image=SimpleUploadedFile("lavanda.png", b"\x89PNG fake", content_type="image/png"),
        position=1,
    )
    images = api.get(f"/api/shop/products/{product.public_id}").json()["images"]
    assert images[0] == {"src": "https://cdn.example.test/l.jpg", "alt": "Frasco"}
    assert images[1]["src"].startswith("/media/shop/products/lavanda")
    assert (tmp_path / "shop" / "products").is_dir()


def test_image_needs_exactly_one_source(catalog):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        ProductImage.objects.create(product=catalog["lavanda"])


def test_category_tree(api, catalog):
    CategoryFactory(slug="inactiva", name="Inactiva", active=False)
    body = api.get("/api/shop/categories").json()
    assert [c["slug"] for c in body["items"]] == ["aceites", "cremas"]
    assert body["items"][0]["children"] == [
        {"slug": "aceites-de-masaje", "name": "Aceites de masaje"}
    ]


def test_category_depth_is_two_levels(catalog):
    from django.core.exceptions import ValidationError

    child = Category.objects.get(slug="aceites-de-masaje")
    grandchild = Category(name="Tercer nivel", slug="tercer", parent=child)
    with pytest.raises(ValidationError):
        grandchild.full_clean()
    top = Category.objects.get(slug="aceites")
    top.parent = Category.objects.get(slug="cremas")
    with pytest.raises(ValidationError):
        top.full_clean()
    assert str(child) == "Aceites › Aceites de masaje"


def _seed_products(n: int) -> None:
    parent = CategoryFactory(slug="padre")
    categories = [CategoryFactory(parent=parent) for _ in range(3)]
    tags = [TagFactory() for _ in range(3)]
    products = Product.objects.bulk_create(
        Product(
            sku=f"BULK-{i:04d}",
            name=f"Producto {i:04d}",
            price_cents=100_000 + i,
            category=categories[i % 3],
            stock=i % 5,
        )
        for i in range(n)
    )
    Product.tags.through.objects.bulk_create(
        Product.tags.through(product_id=p.pk, tag_id=tags[i % 3].pk) for i, p in enumerate(products)
    )
    ProductImage.objects.bulk_create(
        ProductImage(product=p, url=f"https://cdn.example.test/{p.sku}.jpg") for p in products
    )


def _count_queries(api, page_size: int) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as ctx:
        response = api.get("/api/shop/products", {"page_size": page_size})
    assert response.status_code == 200
    return len(ctx.captured_queries), len(response.json()["items"])


def test_product_list_constant_queries_10_vs_500(api, django_db_blocker):
    _seed_products(500)
    small_queries, small_items = _count_queries(api, 10)
    big_queries, big_items = _count_queries(api, 500)
    assert (small_items, big_items) == (10, 500)
    # count + products (with category chain) + tags + images
    assert small_queries == big_queries == 4


def test_product_detail_reads_one_row_when_its_relations_are_kept(api, _own_cache):
    from modules.shop import selectors

    product = ProductFactory(stock=5)
    tag = TagFactory(slug="relajante")
    product.tags.add(tag)
    ProductImage.objects.create(product=product, url="https://cdn.example.test/a.jpg", alt="A")
    assert api.get(f"/api/shop/products/{product.public_id}").json()["tags"] == ["relajante"]
    # The selector itself (the API's rendered 200 may also come from the ETag's body cache).
    with CaptureQueriesContext(connection) as ctx:
        shown = selectors.product_detail(product.public_id)
        tags = [t.slug for t in shown.tags.all()]
        images = [(i.src, i.alt) for i in shown.images.all()]
    assert (tags, images) == (["relajante"], [("https://cdn.example.test/a.jpg", "A")])
    assert len(ctx.captured_queries) == 1  # the product with its category chain
    tag.slug = "calma"
    tag.save()  # a catalog write: a new version, the relations are read again
    assert api.get(f"/api/shop/products/{product.public_id}").json()["tags"] == ["calma"]
