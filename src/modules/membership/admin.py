"""Admin: VIP plans (audited edits), subscriptions and their billing periods (read-only;
the stored card and Wompi's acceptance tokens are never shown)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from modules.membership.models import VipCharge, VipPlan, VipSubscription
from platform_core import audit
from platform_core.admin import ReadOnlyAdmin


@admin.register(VipPlan)
class VipPlanAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "price_cents", "is_active")
    list_filter = ("is_active",)

    def save_model(self, request: HttpRequest, obj: VipPlan, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        audit.record(
            "membership.vip_plan_changed" if change else "membership.vip_plan_created",
            request=request,
            target=f"vip_plan:{obj.code}",
            details={"price_cents": obj.price_cents, "is_active": obj.is_active},
        )


class VipChargeInline(admin.TabularInline):
    model = VipCharge
    extra = 0
    can_delete = False
    fields = ("period_start", "period_end", "amount_cents", "attempts", "paid", "references")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description="pagos (referencias)")
    def references(self, obj: VipCharge) -> str:
        return ", ".join(link.payment_reference for link in obj.attempt_links.all())


@admin.register(VipSubscription)
class VipSubscriptionAdmin(ReadOnlyAdmin):
    list_display = ("public_id", "plan", "status", "current_period_end", "cancel_at_period_end")
    list_filter = ("status", "plan", "cancel_at_period_end")
    exclude = ("vip_payment_token", "acceptance_token", "personal_data_token", "user")
    inlines = (VipChargeInline,)
