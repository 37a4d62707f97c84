"""Catalog import/export (django-import-export): CSV and XLSX, upsert by SKU.

- Rows are matched on ``sku``: an existing product is updated, a new SKU is created.
- Stock is exported but never imported: stock changes only through inventory
  movements (receipts/adjustments in the admin), so a spreadsheet cannot bypass the
  ledger.
- The whole file is one transaction and it is rolled back if ANY row has an error or a
  validation error, so a partly good file writes nothing (dry run or not).
- A confirmed import is audited (``shop.catalog_imported``) with the user and counts.
"""

from __future__ import annotations

from typing import Any

from django.utils.text import slugify
from import_export import resources, widgets
from import_export.fields import Field

from modules.shop import ports
from modules.shop.models import Category, Product, Tag
from platform_core.importing import SpanishColumnsMixin, StrictForeignKeyWidget


class TagsWidget(widgets.ManyToManyWidget):
    """``relajante|regalo`` -> tags by slug, creating the ones that do not exist yet."""

    def clean(self, value: Any, row: Any = None, **kwargs: Any) -> Any:
        if not value:
            return Tag.objects.none()
        slugs = []
        for raw in str(value).split(self.separator):
            name = raw.strip()
            if name:
                slug = slugify(name)
                Tag.objects.get_or_create(slug=slug, defaults={"name": name})
                slugs.append(slug)
        return Tag.objects.filter(slug__in=slugs)


class ProductResource(SpanishColumnsMixin, resources.ModelResource):
    # Spanish file columns; files with the attribute names (older exports) still import.
    column_names = {
        "name": "nombre",
        "description": "descripcion",
        "category": "categoria",
        "price_cents": "precio_centavos",
        "vip_price_cents": "precio_vip_centavos",
        "active": "activo",
        "tags": "etiquetas",
        "stock": "existencias",
    }
    # Empty spreadsheet cells arrive as None: text columns become "".
    name = Field(attribute="name", column_name="name", widget=widgets.CharWidget())
    description = Field(
        attribute="description", column_name="description", widget=widgets.CharWidget()
    )
    category = Field(
        attribute="category",
        column_name="category",
        widget=StrictForeignKeyWidget(Category, field="slug", label="Categoría"),
    )
    tags = Field(
        attribute="tags", column_name="tags", widget=TagsWidget(Tag, separator="|", field="slug")
    )
    stock = Field(attribute="stock", column_name="stock", readonly=True)

    class Meta:
        model = Product
        import_id_fields = ("sku",)
        fields = (
            "sku",
            "name",
            "description",
            "category",
            "price_cents",
            "vip_price_cents",
            "active",
            "tags",
            "stock",
        )
        export_order = fields
        clean_model_instances = True
        skip_unchanged = True
        report_skipped = True
        use_transactions = True

    def import_data(self, dataset: Any, *args: Any, **kwargs: Any) -> Any:
        # Validation errors (bad prices...) roll back the file too: all rows or none.
        kwargs["use_transactions"] = True
        kwargs["rollback_on_validation_errors"] = True
        return super().import_data(dataset, *args, **kwargs)

    def after_import(self, dataset: Any, result: Any, **kwargs: Any) -> None:
        super().after_import(dataset, result, **kwargs)
        if kwargs.get("dry_run") or result.has_errors() or result.has_validation_errors():
            return
        user = kwargs.get("user")
        ports.audit(
            "shop.catalog_imported",
            actor=user if getattr(user, "pk", None) else None,
            target="shop.Product",
            details={
                "rows": result.total_rows,
                "new": result.totals.get("new", 0),
                "updated": result.totals.get("update", 0),
                "skipped": result.totals.get("skip", 0),
                "file_name": kwargs.get("file_name") or "",
            },
        )
