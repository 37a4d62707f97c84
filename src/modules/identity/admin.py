"""Django admin for accounts: search by phone/name, role and VIP filters, audited role
changes, and personal-data export/erasure actions for staff."""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone

from modules.identity import privacy
from modules.identity.models import LocalVerification, User
from modules.identity.roles import ALL_ROLES
from modules.identity.selectors import roles_of
from platform_core import audit
from platform_core.phones import normalize_phone


class PhoneFormMixin:
    def clean_phone_number(self) -> str:
        try:
            return normalize_phone(self.cleaned_data["phone_number"])
        except Exception as exc:  # noqa: BLE001 - shown as a form error
            raise forms.ValidationError(str(exc)) from None


class StaffUserCreationForm(PhoneFormMixin, AdminUserCreationForm):
    class Meta:
        model = User
        fields = ("phone_number", "first_name", "last_name", "email")


class StaffUserChangeForm(PhoneFormMixin, UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"


class RoleFilter(admin.SimpleListFilter):
    title = "rol"
    parameter_name = "role"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [(r, r) for r in ALL_ROLES]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value():
            return queryset.filter(groups__name=self.value())
        return queryset


class VipFilter(admin.SimpleListFilter):
    title = "VIP"
    parameter_name = "vip"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("active", "VIP vigente"), ("expired", "VIP vencido"), ("never", "Nunca VIP")]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        now = timezone.now()
        if self.value() == "active":
            return queryset.filter(vip_until__gt=now)
        if self.value() == "expired":
            return queryset.filter(vip_until__lte=now)
        if self.value() == "never":
            return queryset.filter(vip_until__isnull=True)
        return queryset


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    form = StaffUserChangeForm
    add_form = StaffUserCreationForm
    ordering = ("-date_joined",)
    list_display = (
        "phone_number",
        "first_name",
        "last_name",
        "email",
        "role_list",
        "vip_status",
        "is_active",
        "date_joined",
    )
    list_filter = (RoleFilter, VipFilter, "is_active", "is_staff")
    search_fields = ("phone_number", "first_name", "last_name", "email")
    readonly_fields = (
        "public_id",
        "last_login",
        "date_joined",
        "phone_verified_at",
        "terms_accepted_at",
        "data_policy_accepted_at",
        "policy_version",
        "erased_at",
    )
    fieldsets = (
        (None, {"fields": ("public_id", "phone_number", "password")}),
        ("Datos personales", {"fields": ("first_name", "last_name", "email", "language")}),
        ("Notificaciones", {"fields": ("notification_channel", "notification_opt_outs")}),
        ("VIP", {"fields": ("vip_until",)}),
        ("Roles y permisos", {"fields": ("is_active", "is_staff", "is_superuser", "groups")}),
        (
            "Fechas y consentimientos",
            {
                "fields": (
                    "last_login",
                    "date_joined",
                    "phone_verified_at",
                    "terms_accepted_at",
                    "data_policy_accepted_at",
                    "policy_version",
                    "erased_at",
                )
            },
        ),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": (
                    "phone_number",
                    "first_name",
                    "last_name",
                    "email",
                    "usable_password",
                    "password1",
                    "password2",
                ),
            },
        ),
    )
    actions = ("export_personal_data", "erase_personal_data")
    # Who may hand out rights: superusers, and admins with identity.manage_roles. Anyone
    # else with identity.change_user (reception) edits clients' details only.
    PRIVILEGE_FIELDS = ("is_staff", "is_superuser", "groups", "user_permissions")
    AUDITED_FLAGS = ("is_active", "is_staff", "is_superuser")

    @staticmethod
    def _grants_rights(request: HttpRequest) -> bool:
        return request.user.is_superuser or request.user.has_perm("identity.manage_roles")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        # vip_until moves only through identity.public (payments), never by hand.
        fields = (*super().get_readonly_fields(request, obj), "vip_until")
        if not request.user.is_superuser:
            fields += ("is_superuser",)
        if not self._grants_rights(request):
            fields += tuple(f for f in self.PRIVILEGE_FIELDS if f not in fields)
        return fields

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if not super().has_change_permission(request, obj):
            return False
        if obj is None or obj.pk == request.user.pk:
            return True
        if obj.is_superuser and not request.user.is_superuser:
            return False  # covers the password form too: it asks this same question
        return not obj.is_staff or self._grants_rights(request)

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        changed = [f for f in self.AUDITED_FLAGS if change and f in form.changed_data]
        super().save_model(request, obj, form, change)
        if changed:
            audit.record(
                "account.flags_changed",
                actor=request.user,
                request=request,
                target=f"user:{obj.public_id}",
                details={f: getattr(obj, f) for f in changed} | {"via": "admin"},
            )

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).prefetch_related("groups")

    @admin.display(description="roles")
    def role_list(self, obj: User) -> str:
        return ", ".join(g.name for g in obj.groups.all() if g.name in ALL_ROLES)

    @admin.display(description="VIP", boolean=True)
    def vip_status(self, obj: User) -> bool:
        return obj.is_vip

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet, search_term: str
    ) -> tuple[QuerySet, bool]:
        qs, distinct = super().get_search_results(request, queryset, search_term)
        digits = "".join(ch for ch in search_term if ch.isdigit())
        if len(digits) >= 4:  # "300 123 4567" finds +573001234567
            qs = qs | queryset.filter(Q(phone_number__contains=digits))
        return qs, distinct

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        before = roles_of(form.instance) if change else []
        super().save_related(request, form, formsets, change)
        after = roles_of(form.instance)
        if before != after:
            audit.record(
                "roles.changed",
                actor=request.user,
                request=request,
                target=f"user:{form.instance.public_id}",
                details={"before": before, "after": after, "via": "admin"},
            )

    def has_export_personal_data_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("identity.export_personal_data")

    def has_erase_personal_data_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("identity.erase_personal_data")

    @admin.action(
        description="Exportar datos personales (JSON)", permissions=["export_personal_data"]
    )
    def export_personal_data(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse:
        documents = [
            privacy.export_personal_data(user, actor=request.user, request=request)
            for user in queryset.filter(erased_at__isnull=True)
        ]
        body = documents[0] if len(documents) == 1 else {"exports": documents}
        response = HttpResponse(
            json.dumps(body, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2),
            content_type="application/json; charset=utf-8",
        )
        stamp = timezone.now().strftime("%Y%m%d%H%M%S")
        response["Content-Disposition"] = f'attachment; filename="datos-personales-{stamp}.json"'
        return response

    @admin.action(description="Borrar datos personales…", permissions=["erase_personal_data"])
    def erase_personal_data(self, request: HttpRequest, queryset: QuerySet) -> Any:
        targets = queryset.filter(erased_at__isnull=True)
        protected = targets.filter(Q(is_superuser=True) | Q(pk=request.user.pk))
        if protected.exists():
            self.message_user(
                request,
                "No se pueden borrar superusuarios ni tu propia cuenta desde aquí.",
                messages.ERROR,
            )
            return None
        if request.POST.get("confirm") == "yes":
            for user in targets:
                privacy.erase_account(user, actor=request.user, request=request)
            self.message_user(request, f"Datos borrados de {len(targets)} cuenta(s).")
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": "Confirmar borrado de datos personales",
            "targets": targets,
            "opts": self.model._meta,
            "action_checkbox_name": ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/identity/user/erase_confirmation.html", context)


@admin.register(LocalVerification)
class LocalVerificationAdmin(admin.ModelAdmin):
    list_display = ("phone_number", "channel", "status", "checks", "created_at", "expires_at")
    list_filter = ("status", "channel")
    readonly_fields = [f.name for f in LocalVerification._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
