"""Staff back office: catalog with import/export, inventory movements, orders."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db import models
from django.db.models import QuerySet
from django.http import HttpRequest
from django.shortcuts import redirect
from django.utils.translation import gettext_lazy as _
from import_export.admin import ImportExportModelAdmin
from import_export.formats.base_formats import CSV, XLSX

from modules.shop import inventory, orders
from modules.shop.models import (
    Category,
    InventoryMovement,
    MovementKind,
    Order,
    OrderLine,
    OrderStatus,
    OrderStatusChange,
    Product,
    ProductImage,
    Tag,
)
from modules.shop.resources import ProductResource
from platform_core.errors import DomainError


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ("name", "parent", "slug", "position", "active")
    list_filter = ("active", "parent")
    prepopulated_fields = {"slug": ("name",)}
    search_fields = ("name", "slug")

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "parent":  # two levels: only top categories can be parents
            kwargs["queryset"] = Category.objects.filter(parent__isnull=True)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    list_display = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}
    search_fields = ("name",)


class ProductImageInline(admin.TabularInline):
    model = ProductImage
    extra = 1
    fields = ("image", "url", "alt", "position")
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}


@admin.register(Product)
class ProductAdmin(ImportExportModelAdmin):
    resource_classes = [ProductResource]
    formats = [CSV, XLSX]
    list_display = ("sku", "name", "category", "price_cents", "vip_price_cents", "stock", "active")
    list_filter = ("active", "category", "tags")
    search_fields = ("sku", "name")
    list_select_related = ("category__parent",)
    filter_horizontal = ("tags",)
    readonly_fields = ("stock", "public_id", "created_at", "updated_at")
    inlines = [ProductImageInline]


class MovementForm(forms.ModelForm):
    """Staff record receipts, counter sales and adjustments; services apply them."""

    class Meta:
        model = InventoryMovement
        fields = ("product", "kind", "quantity", "reason")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "kind" not in self.fields:
            return  # the read-only view of a recorded movement has no form fields
        self.fields["kind"].choices = [
            (k.value, k.label)
            for k in inventory.MANUAL_KINDS  # reservations are the system's
        ]
        self.fields["quantity"].help_text = _(
            "Entradas y ventas: unidades (positivas). Ajustes: positivo suma, negativo resta."
        )


@admin.register(InventoryMovement)
class InventoryMovementAdmin(admin.ModelAdmin):
    form = MovementForm
    list_display = ("created_at", "product", "kind", "quantity", "stock_after", "reason", "actor")
    list_filter = ("kind",)
    search_fields = ("product__sku", "product__name", "reason")
    list_select_related = ("product", "actor")
    autocomplete_fields = ("product",)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # append-only ledger

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        apply = inventory.MANUAL_KINDS[MovementKind(obj.kind)]
        try:
            movement = apply(obj.product, obj.quantity, reason=obj.reason, actor=request.user)
        except DomainError as exc:
            # Surface the refusal and leave nothing written.
            self.message_user(request, exc.message, level=messages.ERROR)
            raise _MovementRejected() from exc
        obj.pk = movement.pk
        obj.stock_after = movement.stock_after

    def add_view(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().add_view(request, *args, **kwargs)
        except _MovementRejected:
            return redirect(request.get_full_path())


class _MovementRejected(Exception):
    pass


class _ReadOnlyInline(admin.TabularInline):
    """Order lines and history are written by services only."""

    extra = 0
    can_delete = False

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return self.fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class OrderLineInline(_ReadOnlyInline):
    model = OrderLine
    fields = ("sku", "name", "unit_price_cents", "quantity", "line_total_cents")


class OrderHistoryInline(_ReadOnlyInline):
    model = OrderStatusChange
    fields = ("created_at", "from_status", "to_status", "actor", "note")


def _status_action(to_status: OrderStatus) -> Any:
    def action(modeladmin: OrderAdmin, request: HttpRequest, queryset: QuerySet[Order]) -> None:
        moved = 0
        for order in queryset:
            try:
                orders.change_status(order.public_id, to_status, actor=request.user)
                moved += 1
            except DomainError as exc:
                modeladmin.message_user(
                    request, f"{order.code}: {exc.message}", level=messages.WARNING
                )
        if moved:
            modeladmin.message_user(
                request,
                _("%(n)s pedido(s) pasaron a %(s)s.") % {"n": moved, "s": to_status.label},
            )

    action.__name__ = f"mark_{to_status.value.lower()}"
    action.short_description = _("Pasar a: %(s)s") % {"s": to_status.label}  # type: ignore[attr-defined]
    return action


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = (
        "code",
        "user",
        "status",
        "fulfilment",
        "total_cents",
        "created_at",
        "refund_requested_at",
    )
    list_filter = ("status", "fulfilment", "vip_pricing")
    search_fields = ("public_id", "user__phone_number", "payment_reference")
    list_select_related = ("user",)
    date_hierarchy = "created_at"
    inlines = [OrderLineInline, OrderHistoryInline]
    actions = [
        _status_action(s)
        for s in (
            OrderStatus.PREPARING,
            OrderStatus.READY_FOR_PICKUP,
            OrderStatus.OUT_FOR_DELIVERY,
            OrderStatus.COMPLETED,
            OrderStatus.CANCELLED,
            OrderStatus.REFUNDED,
        )
    ]
    # Staff change states with the actions (services validate and notify), never by hand.
    readonly_fields = (
        "public_id",
        "user",
        "status",
        "fulfilment",
        "vip_pricing",
        "subtotal_cents",
        "delivery_fee_cents",
        "total_cents",
        "currency",
        "expires_at",
        "paid_at",
        "payment_reference",
        "checkout_url",
        "refund_requested_at",
        "refund_reason",
        "address_erased_at",
        "created_at",
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
