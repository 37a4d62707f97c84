"""Shop factories. Stock is given through a receipt movement so the ledger always adds up."""

from __future__ import annotations

import factory

from modules.shop import inventory
from modules.shop.models import Category, Product, Tag


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Categoría {n}")
    slug = factory.Sequence(lambda n: f"categoria-{n}")


class TagFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tag
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Etiqueta {n}")
    slug = factory.Sequence(lambda n: f"etiqueta-{n}")


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product
        skip_postgeneration_save = True

    sku = factory.Sequence(lambda n: f"SKU-{n:05d}")
    name = factory.Sequence(lambda n: f"Producto {n}")
    description = "Un producto del spa."
    category = factory.SubFactory(CategoryFactory)
    price_cents = 5_000_000
    vip_price_cents = factory.LazyAttribute(lambda p: p.price_cents * 9 // 10)

    @factory.post_generation
    def stock(self, create: bool, extracted: int | None, **kwargs: object) -> None:
        if create and extracted:
            inventory.receive_stock(self, extracted, reason="Inventario de prueba", actor=None)
            self.refresh_from_db(fields=["stock"])

    @factory.post_generation
    def tags(self, create: bool, extracted: list[Tag] | None, **kwargs: object) -> None:
        if create and extracted:
            self.tags.add(*extracted)
