"""Admin: payments with filters, the ledger (read-only), refunds, payouts, events,
revenue per day and purpose, CSV exports. Staff actions are audited."""

from __future__ import annotations

import csv
from collections.abc import Iterable
from typing import Any

from django.contrib import admin, messages
from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.utils.html import format_html_join

from modules.payments import refunds, selectors, webhooks
from modules.payments.models import (
    LedgerEntry,
    Outcome,
    Payment,
    Payout,
    Refund,
    TenderApplication,
    WebhookEvent,
)
from platform_core import audit
from platform_core.money import format_cop


def csv_response(filename: str, header: list[str], rows: Iterable[Iterable[Any]]) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    writer = csv.writer(response)
    writer.writerow(header)
    for row in rows:
        # Neutralise spreadsheet formulas in exported text.
        writer.writerow([f"'{v}" if isinstance(v, str) and v[:1] in "=+-@" else v for v in row])
    return response


class ReadOnlyMixin:
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class TenderApplicationInline(ReadOnlyMixin, admin.TabularInline):
    """The tenders (gift cards, package credits) that paid part of a payment."""

    model = TenderApplication
    fields = ("position", "kind", "label", "amount_cents", "refunded_cents", "state", "hold_id")
    readonly_fields = fields
    extra = 0


@admin.register(Payment)
class PaymentAdmin(ReadOnlyMixin, admin.ModelAdmin):
    inlines = (TenderApplicationInline,)
    list_display = (
        "reference",
        "purpose",
        "amount_cents",
        "tendered_cents",
        "status",
        "method",
        "needs_review",
        "created_at",
    )
    list_filter = ("status", "purpose", "method", "needs_review", "kind", "created_at")
    search_fields = ("reference", "wompi_transaction_id", "purpose_ref")
    date_hierarchy = "created_at"
    actions = ("export_csv", "mark_reviewed", "request_refund")
    exclude = ("user",)

    def get_urls(self) -> list[Any]:
        custom = [
            path(
                "revenue/",
                self.admin_site.admin_view(self.revenue_view),
                name="payments_payment_revenue",
            )
        ]
        return custom + super().get_urls()

    def revenue_view(self, request: HttpRequest) -> HttpResponse:
        rows = selectors.revenue_by_day_and_purpose()
        audit.record("payments.revenue_report_viewed", request=request)
        if request.GET.get("format") == "csv":
            return csv_response(
                "ingresos.csv",
                ["dia", "proposito", "bruto_centavos", "reembolsos_centavos", "neto_centavos"],
                ([r["day"], r["purpose"], r["gross"], r["refunds"], r["net"]] for r in rows),
            )
        table = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (r["day"], r["purpose"], *(format_cop(r[k]) for k in ("gross", "refunds", "net")))
                for r in rows
            ),
        )
        body = (
            "<h1>Ingresos por día y propósito</h1>"
            '<p><a href="?format=csv">Exportar CSV</a></p><table border="1">'
            "<tr><th>Día</th><th>Propósito</th><th>Bruto</th><th>Reembolsos</th>"
            f"<th>Neto</th></tr>{table}</table>"
        )
        return HttpResponse(body)

    @admin.action(description="Exportar CSV")
    def export_csv(self, request: HttpRequest, queryset: Any) -> HttpResponse:
        audit.record(
            "payments.payments_exported", request=request, details={"count": queryset.count()}
        )
        return csv_response(
            "pagos.csv",
            [
                "referencia",
                "proposito",
                "ref",
                "monto_centavos",
                "moneda",
                "estado",
                "medio",
                "creado",
            ],
            (
                [
                    p.reference,
                    p.purpose,
                    p.purpose_ref,
                    p.amount_cents,
                    p.currency,
                    p.status,
                    p.method,
                    p.created_at.isoformat(),
                ]
                for p in queryset
            ),
        )

    @admin.action(description="Marcar como revisado")
    def mark_reviewed(self, request: HttpRequest, queryset: Any) -> None:
        for payment in queryset.filter(needs_review=True):
            Payment.objects.filter(pk=payment.pk).update(needs_review=False)
            audit.record(
                "payments.payment_reviewed",
                request=request,
                target=f"payment:{payment.reference}",
                details={"reason": payment.review_reason},
            )

    @admin.action(description="Solicitar reembolso")
    def request_refund(self, request: HttpRequest, queryset: Any) -> None:
        for payment in queryset.filter(status="APPROVED"):
            refund = refunds.request_refund(
                purpose=payment.purpose,
                ref=payment.purpose_ref,
                reason="Solicitado por el personal",
                actor=request.user,
            )
            messages.info(request, f"{payment.reference}: {refund.get_status_display()}")


@admin.register(LedgerEntry)
class LedgerEntryAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("created_at", "kind", "account", "amount_cents", "purpose", "memo")
    list_filter = ("kind", "account", "purpose", "created_at")
    date_hierarchy = "created_at"
    actions = ("export_csv",)

    @admin.action(description="Exportar CSV")
    def export_csv(self, request: HttpRequest, queryset: Any) -> HttpResponse:
        audit.record(
            "payments.ledger_exported", request=request, details={"count": queryset.count()}
        )
        return csv_response(
            "libro.csv",
            ["fecha", "tipo", "cuenta", "monto_centavos", "proposito", "pago", "nota"],
            (
                [
                    e.created_at.isoformat(),
                    e.kind,
                    e.account,
                    e.amount_cents,
                    e.purpose,
                    e.payment.reference if e.payment else "",
                    e.memo,
                ]
                for e in queryset.select_related("payment")
            ),
        )


@admin.register(Refund)
class RefundAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = (
        "payment",
        "amount_cents",
        "tender_cents",
        "status",
        "reason",
        "created_at",
        "processed_by",
    )
    list_filter = ("status",)
    actions = ("complete_manual",)

    @admin.action(description="Marcar reembolso manual como realizado")
    def complete_manual(self, request: HttpRequest, queryset: Any) -> None:
        for refund in queryset.filter(status=Refund.Status.PENDING_MANUAL):
            refunds.complete_manual_refund(refund.pk, staff=request.user)


@admin.register(Payout)
class PayoutAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("reference", "amount_cents", "status", "attempts", "created_at", "sent_at")
    list_filter = ("status",)


@admin.register(WebhookEvent)
class WebhookEventAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("received_at", "event_type", "reference", "status", "outcome")
    list_filter = ("outcome", "event_type", "environment")
    search_fields = ("reference", "transaction_id")
    actions = ("replay",)

    @admin.action(description="Reprocesar evento")
    def replay(self, request: HttpRequest, queryset: Any) -> None:
        for event in queryset:
            outcome = webhooks.replay_event(str(event.public_id))
            audit.record(
                "payments.event_replayed_by_staff",
                request=request,
                target=f"event:{event.public_id}",
            )
            messages.info(request, f"{event.public_id}: {outcome}")


class DeliveredFilter(admin.SimpleListFilter):
    title = "entrega"
    parameter_name = "entregado"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("no", "Pendiente"), ("agotado", "Sin más intentos"), ("si", "Entregado")]

    def queryset(self, request: HttpRequest, queryset: Any) -> Any:
        if self.value() == "no":
            return queryset.filter(delivered_at__isnull=True)
        if self.value() == "agotado":
            return queryset.filter(delivered_at__isnull=True, next_try_at__isnull=True)
        if self.value() == "si":
            return queryset.filter(delivered_at__isnull=False)
        return queryset


@admin.register(Outcome)
class OutcomeAdmin(ReadOnlyMixin, admin.ModelAdmin):
    """The outcome outbox: what each purpose was told, and what it still has to learn."""

    list_display = (
        "created_at",
        "kind",
        "purpose",
        "payment",
        "late",
        "attempts",
        "next_try_at",
        "delivered_at",
        "last_error",
    )
    list_filter = (DeliveredFilter, "kind", "purpose", "late")
    search_fields = ("payment__reference", "purpose_ref")
    list_select_related = ("payment",)
    actions = ("deliver_now",)

    @admin.action(description="Entregar ahora")
    def deliver_now(self, request: HttpRequest, queryset: Any) -> None:
        from modules.payments import outbox

        delivered = sum(outbox.deliver(pk) for pk in queryset.values_list("pk", flat=True))
        audit.record(
            "payments.outcomes_delivered_by_staff",
            request=request,
            details={"delivered": delivered},
        )
        messages.info(request, f"Entregados: {delivered}")


def _register_close_page() -> None:
    from modules.payments.close_views import can_close, close_view
    from platform_core.admin import register_admin_page

    register_admin_page(
        app_label="payments",
        slug="cierre",
        view=close_view,
        name="payments_day_close",
        label="Cierre del día",
        visible=can_close,
    )


_register_close_page()
