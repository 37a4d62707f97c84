"""Staff back office (Spanish): issue gift cards (the full code is shown once), void them
with a reason, see their ledger; define packages (import/export); refund unused sessions.
Every write goes through the services, which lock, write the ledger and audit."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.shortcuts import redirect
from django.utils.translation import gettext_lazy as _
from import_export.admin import ExportMixin, ImportExportModelAdmin
from import_export.formats.base_formats import CSV, XLSX

from modules.vouchers import codes, gift_cards, packages
from modules.vouchers.models import (
    Channel,
    CreditEntry,
    GiftCard,
    GiftCardEntry,
    Package,
    PackagePurchase,
    PackageService,
    VoucherPolicy,
)
from modules.vouchers.resources import GiftCardResource, PackageResource
from platform_core import audit
from platform_core.errors import DomainError
from platform_core.money import format_cop


@admin.register(VoucherPolicy)
class VoucherPolicyAdmin(admin.ModelAdmin):
    list_display = ("__str__", "gift_card_validity_months", "expiry_reminder_days", "updated_at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return not VoucherPolicy.objects.exists()

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: VoucherPolicy, form: Any, change: bool) -> None:
        obj.pk = 1
        super().save_model(request, obj, form, change)
        audit.record(
            "vouchers.policy_changed",
            request=request,
            target="vouchers.VoucherPolicy",
            details={f: str(form.cleaned_data[f]) for f in form.changed_data},
        )


class IssueForm(forms.ModelForm):
    """Issue a card: value in pesos, who gets it and how; the services do the rest."""

    amount_pesos = forms.IntegerField(label=_("valor (pesos)"), min_value=1)
    note = forms.CharField(label=_("nota interna"), max_length=255, required=False)

    class Meta:
        model = GiftCard
        fields = (
            "recipient_name",
            "recipient_phone",
            "recipient_email",
            "message",
            "channel",
            "deliver_at",
        )


class _Refused(Exception):
    pass


class GiftCardEntryInline(admin.TabularInline):
    model = GiftCardEntry
    extra = 0
    can_delete = False
    fields = ("created_at", "kind", "amount", "balance_after", "actor", "note")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=_("valor"))
    def amount(self, obj: GiftCardEntry) -> str:
        return format_cop(obj.amount_cents)

    @admin.display(description=_("saldo después"))
    def balance_after(self, obj: GiftCardEntry) -> str:
        return format_cop(obj.balance_after_cents)


@admin.register(GiftCard)
class GiftCardAdmin(ExportMixin, admin.ModelAdmin):
    resource_classes = [GiftCardResource]
    formats = [CSV, XLSX]
    list_display = (
        "__str__",
        "status",
        "source",
        "amount",
        "balance",
        "recipient_name",
        "expires_at",
    )
    list_filter = ("status", "source", "channel")
    search_fields = ("code_hint", "recipient_name", "payment_reference")
    date_hierarchy = "created_at"
    inlines = [GiftCardEntryInline]
    readonly_fields = (
        "masked_code",
        "status",
        "source",
        "amount",
        "balance",
        "purchaser",
        "recipient_name",
        "recipient_phone",
        "recipient_email",
        "message",
        "channel",
        "deliver_at",
        "delivered_at",
        "issued_at",
        "expires_at",
        "issued_by",
        "voided_at",
        "payment_reference",
    )

    @admin.display(description=_("tarjeta"))
    def masked_code(self, obj: GiftCard) -> str:
        return codes.masked(obj.code_hint)

    @admin.display(description=_("valor"))
    def amount(self, obj: GiftCard) -> str:
        return format_cop(obj.amount_cents)

    @admin.display(description=_("saldo"))
    def balance(self, obj: GiftCard) -> str:
        return format_cop(obj.balance_cents)

    def get_form(self, request: HttpRequest, obj: Any = None, **kwargs: Any) -> Any:
        if obj is None:
            kwargs["form"] = IssueForm
        return super().get_form(request, obj, **kwargs)

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return ("amount_pesos", *IssueForm.Meta.fields, "note")
        fields = list(self.readonly_fields)
        if self._can_void(request, obj):
            fields.append("void_reason")
        return fields

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return ()
        return (*self.readonly_fields, *(() if self._can_void(request, obj) else ("void_reason",)))

    def get_inlines(self, request: HttpRequest, obj: Any = None) -> Any:
        return self.inlines if obj is not None else []

    def _can_void(self, request: HttpRequest, obj: GiftCard) -> bool:
        return obj.status == GiftCard.Status.ACTIVE and request.user.has_perm(
            "vouchers.void_giftcard"
        )

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: GiftCard, form: Any, change: bool) -> None:
        try:
            if change:
                card = gift_cards.void(
                    card_id=obj.pk, actor=request.user, reason=form.cleaned_data["void_reason"]
                )
                self.message_user(request, _("La tarjeta %(card)s quedó anulada.") % {"card": card})
                return
            data = form.cleaned_data
            issued = gift_cards.issue(
                actor=request.user,
                amount_cents=data["amount_pesos"] * 100,
                recipient=gift_cards.Recipient(
                    name=data["recipient_name"],
                    phone=data["recipient_phone"],
                    email=data["recipient_email"],
                    message=data["message"],
                    channel=data["channel"],
                    deliver_at=data["deliver_at"],
                ),
                note=data["note"],
            )
        except DomainError as exc:
            self.message_user(request, exc.message, level=messages.ERROR)
            raise _Refused() from exc
        obj.pk = issued.card.pk
        # The one time the full code is shown: the card stores only its digest.
        self.message_user(
            request,
            _("Tarjeta emitida por %(amount)s. Código (se muestra solo esta vez): %(code)s")
            % {"amount": format_cop(issued.card.amount_cents), "code": codes.display(issued.code)},
            level=messages.WARNING,
        )

    def changeform_view(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().changeform_view(request, *args, **kwargs)
        except _Refused:
            return redirect(request.get_full_path())

    def formfield_for_choice_field(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "channel":
            kwargs["choices"] = [("", _("Se entrega en el spa")), *Channel.choices]
        return super().formfield_for_choice_field(db_field, request, **kwargs)


class PackageServiceInline(admin.TabularInline):
    model = PackageService
    extra = 1


@admin.register(Package)
class PackageAdmin(ImportExportModelAdmin):
    resource_classes = [PackageResource]
    formats = [CSV, XLSX]
    list_display = ("code", "name", "sessions", "price", "validity_days", "active")
    list_filter = ("active",)
    search_fields = ("code", "name")
    prepopulated_fields = {"code": ("name",)}
    inlines = [PackageServiceInline]

    @admin.display(description=_("precio"))
    def price(self, obj: Package) -> str:
        return format_cop(obj.price_cents)

    def save_model(self, request: HttpRequest, obj: Package, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        audit.record(
            "vouchers.package_changed" if change else "vouchers.package_created",
            request=request,
            target=f"vouchers.Package:{obj.code}",
            details={
                "price_cents": obj.price_cents,
                "sessions": obj.sessions,
                "active": obj.active,
            },
        )


class CreditEntryInline(admin.TabularInline):
    model = CreditEntry
    extra = 0
    can_delete = False
    fields = ("created_at", "kind", "credits", "credits_after", "actor", "note")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(PackagePurchase)
class PackagePurchaseAdmin(admin.ModelAdmin):
    list_display = (
        "public_id",
        "package",
        "user",
        "status",
        "credits_left",
        "sessions",
        "expires_at",
    )
    list_filter = ("status", "package")
    search_fields = ("public_id", "user__phone_number", "payment_reference")
    list_select_related = ("package", "user")
    inlines = [CreditEntryInline]
    actions = ["refund_unused"]
    readonly_fields = (
        "public_id",
        "package",
        "user",
        "status",
        "sessions",
        "credits_left",
        "price_cents",
        "refunded_cents",
        "payment_reference",
        "activated_at",
        "expires_at",
        "created_at",
    )
    exclude = ("expiry_reminded_at",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.action(
        description=_("Reembolsar sesiones no usadas (proporcional)"),
        permissions=["refund"],
    )
    def refund_unused(self, request: HttpRequest, queryset: QuerySet[PackagePurchase]) -> None:
        for purchase in queryset:
            try:
                amount = packages.refund_unused(
                    purchase_id=purchase.pk, actor=request.user, reason="reembolso desde el admin"
                )
            except DomainError as exc:
                self.message_user(request, f"{purchase}: {exc.message}", level=messages.WARNING)
                continue
            self.message_user(
                request,
                _("%(p)s: se reembolsan %(amount)s.")
                % {"p": purchase.package, "amount": format_cop(amount)},
            )

    def has_refund_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("vouchers.refund_packagepurchase")
