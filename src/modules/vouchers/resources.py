"""Spreadsheets (django-import-export), Spanish columns.

- Packages: import and export, upsert by ``codigo``; the services a package pays for are one
  column, ``servicios``, booking's codes separated by ``|``. The whole file is one
  transaction, rolled back if any row fails; a confirmed import is audited.
- Gift cards: export only (masked code, balances, dates). Cards are not imported: each
  needs a fresh code shown once to whoever issues it (the admin's add form).
"""

from __future__ import annotations

from typing import Any

from import_export import resources, widgets
from import_export.fields import Field

from modules.vouchers import codes, ports
from modules.vouchers.models import GiftCard, Package, PackageService
from platform_core.importing import SpanishColumnsMixin


class ServiceCodesWidget(widgets.Widget):
    def clean(self, value: Any, row: Any = None, **kwargs: Any) -> list[str]:
        return sorted({part.strip() for part in str(value or "").split("|") if part.strip()})

    def render(self, value: Any, obj: Any = None, **kwargs: Any) -> str:
        return "|".join(value or [])


class PackageResource(SpanishColumnsMixin, resources.ModelResource):
    column_names = {
        "code": "codigo",
        "name": "nombre",
        "description": "descripcion",
        "sessions": "sesiones",
        "price_cents": "precio_centavos",
        "validity_days": "vigencia_dias",
        "active": "a_la_venta",
        "services": "servicios",
    }
    name = Field(attribute="name", column_name="name", widget=widgets.CharWidget())
    description = Field(
        attribute="description", column_name="description", widget=widgets.CharWidget()
    )
    services = Field(attribute="service_codes", column_name="services", widget=ServiceCodesWidget())

    class Meta:
        model = Package
        import_id_fields = ("code",)
        fields = (
            "code",
            "name",
            "description",
            "sessions",
            "price_cents",
            "validity_days",
            "active",
            "services",
        )
        export_order = fields
        clean_model_instances = True
        use_transactions = True

    def import_field(
        self, field: Any, instance: Any, row: Any, is_m2m: bool = False, **kw: Any
    ) -> None:
        if field.attribute == "service_codes":
            instance._service_codes = field.clean(row, **kw)  # written after the save
            return
        super().import_field(field, instance, row, is_m2m, **kw)

    def after_save_instance(self, instance: Any, row: Any, **kwargs: Any) -> None:
        wanted = getattr(instance, "_service_codes", None)
        if wanted is None or kwargs.get("dry_run"):
            return
        instance.services.exclude(service_code__in=wanted).delete()
        for code in wanted:
            PackageService.objects.get_or_create(package=instance, service_code=code)

    def import_data(self, dataset: Any, *args: Any, **kwargs: Any) -> Any:
        kwargs["use_transactions"] = True
        kwargs["rollback_on_validation_errors"] = True
        return super().import_data(dataset, *args, **kwargs)

    def after_import(self, dataset: Any, result: Any, **kwargs: Any) -> None:
        super().after_import(dataset, result, **kwargs)
        if kwargs.get("dry_run") or result.has_errors() or result.has_validation_errors():
            return
        user = kwargs.get("user")
        ports.audit(
            "vouchers.packages_imported",
            actor=user if getattr(user, "pk", None) else None,
            target="vouchers.Package",
            details={
                "rows": result.total_rows,
                "new": result.totals.get("new", 0),
                "updated": result.totals.get("update", 0),
                "file_name": kwargs.get("file_name") or "",
            },
        )


class GiftCardResource(SpanishColumnsMixin, resources.ModelResource):
    column_names = {
        "card": "tarjeta",
        "status": "estado",
        "source": "origen",
        "amount_cents": "valor_centavos",
        "balance_cents": "saldo_centavos",
        "recipient_name": "para",
        "issued_at": "expedida",
        "expires_at": "vence",
        "voided_at": "anulada",
        "void_reason": "motivo_anulacion",
    }
    card = Field(column_name="card")

    class Meta:
        model = GiftCard
        fields = (
            "card",
            "status",
            "source",
            "amount_cents",
            "balance_cents",
            "recipient_name",
            "issued_at",
            "expires_at",
            "voided_at",
            "void_reason",
        )
        export_order = fields

    def dehydrate_card(self, card: GiftCard) -> str:
        return codes.masked(card.code_hint)
