"""Admin: catalog with CSV/XLSX import-export (upsert by code, all-or-nothing),
therapists with their schedules, rooms, opening hours and appointments."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from import_export import fields, resources, widgets
from import_export.admin import ImportExportModelAdmin
from import_export.formats.base_formats import CSV, XLSX

from modules.booking import admin_views, desk
from modules.booking.models import (
    Appointment,
    AppointmentEvent,
    AppointmentFee,
    ClosedDay,
    Guarantee,
    GuaranteeConsent,
    OpeningHours,
    Room,
    ScheduleChange,
    Service,
    ServiceCategory,
    Therapist,
    TherapistBreak,
    TimeOff,
    WaitlistEntry,
    WaitlistInvitation,
    WaitlistOffer,
    WorkingHours,
)
from platform_core.admin import register_admin_page
from platform_core.importing import SpanishColumnsMixin, StrictForeignKeyWidget
from platform_core.money import format_cop

register_admin_page(
    app_label="booking",
    slug="calendar",
    view=admin_views.calendar_view,
    name="booking_calendar",
    label="Calendario",
    visible=lambda user: desk.is_desk(user) or desk.own_therapist(user) is not None,
)


class StrictManyToManyWidget(widgets.ManyToManyWidget):
    """Like ManyToManyWidget, but an unknown code is a row error, not silently dropped."""

    def clean(self, value: Any, row: Any = None, **kwargs: Any) -> Any:
        objects = super().clean(value, row, **kwargs)
        if not value:
            return objects
        wanted = {v.strip() for v in str(value).split(self.separator) if v.strip()}
        found = {str(getattr(o, self.field)) for o in objects}
        missing = sorted(wanted - found)
        if missing:
            raise ValueError(f"Terapeutas desconocidos: {', '.join(missing)}")
        return objects


class ServiceResource(SpanishColumnsMixin, resources.ModelResource):
    # Spanish file columns; files with the attribute names (older exports) still import.
    column_names = {
        "code": "codigo",
        "name": "nombre",
        "description": "descripcion",
        "category": "categoria",
        "duration_minutes": "duracion_minutos",
        "buffer_before_minutes": "preparacion_antes_minutos",
        "buffer_after_minutes": "preparacion_despues_minutos",
        "price_cents": "precio_centavos",
        "vip_price_cents": "precio_vip_centavos",
        "currency": "moneda",
        "deposit_percent": "anticipo_porcentaje",
        "guarantee": "garantia",
        "no_show_fee_cents": "cargo_inasistencia_centavos",
        "no_show_fee_percent": "cargo_inasistencia_porcentaje",
        "late_cancel_fee_cents": "cargo_cancelacion_tardia_centavos",
        "late_cancel_fee_percent": "cargo_cancelacion_tardia_porcentaje",
        "late_cancel_hours": "ventana_cancelacion_horas",
        "processing_start_minutes": "reposo_desde_minuto",
        "processing_minutes": "reposo_minutos",
        "is_active": "activo",
        "resource_kind": "tipo_de_sala",
        "therapists": "terapeutas",
    }

    # A TextField gets import-export's plain widget, which keeps an empty XLSX cell as
    # None (NOT NULL violation); CSV cells are "" anyway.
    description = fields.Field(
        attribute="description",
        column_name="description",
        widget=widgets.CharWidget(allow_blank=True),
    )
    category = fields.Field(
        attribute="category",
        column_name="category",
        widget=StrictForeignKeyWidget(ServiceCategory, field="slug", label="Categoría"),
    )
    therapists = fields.Field(
        attribute="therapists",
        column_name="therapists",
        widget=StrictManyToManyWidget(Therapist, field="code", separator="|"),
    )

    class Meta:
        model = Service
        import_id_fields = ("code",)
        fields = (
            "code",
            "name",
            "description",
            "category",
            "duration_minutes",
            "buffer_before_minutes",
            "buffer_after_minutes",
            "price_cents",
            "vip_price_cents",
            "currency",
            "deposit_percent",
            "guarantee",
            "no_show_fee_cents",
            "no_show_fee_percent",
            "late_cancel_fee_cents",
            "late_cancel_fee_percent",
            "late_cancel_hours",
            "processing_start_minutes",
            "processing_minutes",
            "is_active",
            "resource_kind",
            "therapists",
        )
        export_order = fields
        clean_model_instances = True  # model validators -> per-row validation errors
        use_transactions = True
        skip_unchanged = True
        report_skipped = True

    def import_instance(self, instance: Any, row: Any, **kwargs: Any) -> None:
        super().import_instance(instance, row, **kwargs)
        # Files from before guarantee policies have no "garantia" column: a deposit
        # percentage then means the deposit policy, as it always did (a card guarantee
        # set in the admin is kept).
        given = row.get("garantia", row.get("guarantee"))
        if not given and instance.guarantee != Guarantee.CARD:
            instance.guarantee = Guarantee.DEPOSIT if instance.deposit_percent else Guarantee.NONE

    def import_data(self, dataset: Any, dry_run: bool = False, **kwargs: Any) -> Any:
        # All or nothing: any invalid row rolls the whole file back, confirm step included.
        kwargs["use_transactions"] = True
        kwargs["rollback_on_validation_errors"] = True
        return super().import_data(dataset, dry_run=dry_run, **kwargs)

    def after_import(self, dataset: Any, result: Any, **kwargs: Any) -> None:
        super().after_import(dataset, result, **kwargs)
        if kwargs.get("dry_run") or result.has_errors() or result.has_validation_errors():
            return
        from platform_core import audit

        audit.record(
            "booking.services_imported",
            actor=kwargs.get("user"),
            target="booking.Service",
            details={"file": str(kwargs.get("file_name") or ""), **result.totals},
        )


class WorkingHoursInline(admin.TabularInline):
    model = WorkingHours
    extra = 0


class BreakInline(admin.TabularInline):
    model = TherapistBreak
    extra = 0


class TimeOffInline(admin.TabularInline):
    model = TimeOff
    extra = 0


class ScheduleChangeInline(admin.TabularInline):
    model = ScheduleChange
    extra = 0


@admin.register(ServiceCategory)
class ServiceCategoryAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "order")
    prepopulated_fields = {"slug": ("name",)}


@admin.register(Service)
class ServiceAdmin(ImportExportModelAdmin):
    resource_classes = [ServiceResource]
    formats = [CSV, XLSX]
    list_display = (
        "code",
        "name",
        "category",
        "duration_minutes",
        "processing_minutes",
        "price_cents",
        "deposit_percent",
        "guarantee",
        "is_active",
    )
    list_filter = ("is_active", "category", "guarantee")
    search_fields = ("code", "name")
    filter_horizontal = ("therapists",)


@admin.register(Therapist)
class TherapistAdmin(admin.ModelAdmin):
    list_display = ("display_name", "code", "user", "is_active")
    search_fields = ("display_name", "code")
    raw_id_fields = ("user",)
    inlines = [WorkingHoursInline, BreakInline, ScheduleChangeInline, TimeOffInline]


@admin.register(Room)
class RoomAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "capacity", "is_active")
    list_filter = ("kind", "is_active")


@admin.register(OpeningHours)
class OpeningHoursAdmin(admin.ModelAdmin):
    list_display = ("weekday", "opens", "closes")


@admin.register(ClosedDay)
class ClosedDayAdmin(admin.ModelAdmin):
    list_display = ("date", "reason")


class EventInline(admin.TabularInline):
    model = AppointmentEvent
    extra = 0
    can_delete = False
    readonly_fields = (
        "kind",
        "from_status",
        "to_status",
        "old_start",
        "new_start",
        "old_therapist",
        "new_therapist",
        "actor",
        "note",
        "created_at",
    )

    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False


class ConsentInline(admin.StackedInline):
    """The card-guarantee policy the client accepted (read-only: it is the record)."""

    model = GuaranteeConsent
    extra = 0
    can_delete = False
    readonly_fields = tuple(f.name for f in GuaranteeConsent._meta.fields if f.name != "id")

    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.display(description=_("Monto"), ordering="amount_cents")
def fee_amount(fee: AppointmentFee) -> str:
    """The fee as staff read money (``$ 62.000``), not the stored cents."""
    return format_cop(fee.amount_cents)


class FeeInline(admin.TabularInline):
    model = AppointmentFee
    extra = 0
    can_delete = False
    fields = ("kind", fee_amount, "status", "attempts", "payment_reference", "last_error")
    readonly_fields = fields

    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(Appointment)
class AppointmentAdmin(admin.ModelAdmin):
    """Read-mostly: bookings change through the API/services so rules and locks apply."""

    list_display = ("start", "service", "therapist", "room", "client", "status", "needs_attention")
    list_filter = ("status", "therapist", "room")
    date_hierarchy = "start"
    search_fields = ("public_id", "client__phone_number", "payment_reference")
    raw_id_fields = ("client", "booked_by")
    readonly_fields = (
        *(
            f.name
            for f in Appointment._meta.fields
            if f.name not in ("staff_notes", "needs_attention")
        ),
        "paid_and_due",
    )
    inlines = [ConsentInline, FeeInline, EventInline]
    change_form_template = "admin/booking/appointment/change_form.html"

    def change_view(
        self, request: Any, object_id: str, form_url: str = "", extra_context: Any = None
    ) -> Any:
        """The desk's actions on the appointment page (same API as the calendar)."""
        extra_context = dict(extra_context or {})
        appt = (
            Appointment.objects.select_related("therapist", "service", "client")
            .filter(pk=object_id if str(object_id).isdigit() else None)
            .first()
        )
        if appt is not None and (
            desk.is_desk(request.user) or appt.therapist.user_id == request.user.pk
        ):
            from django.middleware.csrf import get_token

            state = desk.appointment_state(request.user, appt)
            extra_context["desk"] = {
                "state": state,
                "previews": {
                    by: desk.cancel_preview(appt, by=by)["message"] for by in ("client", "spa")
                },
                "config": {
                    "api": f"/api/booking/desk/appointments/{appt.public_id}/",
                    "csrf": get_token(request),
                    "text": admin_views.desk_text(),
                },
            }
        return super().change_view(request, object_id, form_url, extra_context)

    @admin.display(description="Pagado / pendiente")
    def paid_and_due(self, obj: Appointment) -> str:
        state = desk.balance(obj, desk.paid_for([obj]).get(str(obj.public_id), 0))
        return f"Pagado {state['paid']} · pendiente {state['due']} (precio {state['price']})"

    def has_add_permission(self, request: Any) -> bool:
        return False


@admin.register(WaitlistEntry)
class WaitlistEntryAdmin(admin.ModelAdmin):
    list_display = (
        "client",
        "service",
        "therapist",
        "date_from",
        "date_to",
        "time_from",
        "time_to",
        "status",
        "created_at",
    )
    list_filter = ("status", "service")
    search_fields = ("client__phone_number", "client__first_name", "client__last_name")
    raw_id_fields = ("client", "appointment")
    date_hierarchy = "date_from"


class WaitlistInvitationInline(admin.TabularInline):
    """Who was told, in order, and what they answered (by WhatsApp or in the app)."""

    model = WaitlistInvitation
    fields = ("entry", "sent_at", "answer", "answered_at")
    readonly_fields = fields
    extra = 0
    can_delete = False
    verbose_name = "cliente avisado"
    verbose_name_plural = "clientes avisados (en orden)"

    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(WaitlistOffer)
class WaitlistOfferAdmin(admin.ModelAdmin):
    """Read-only: offers are made, cascaded and closed by the waitlist, never by hand."""

    list_display = ("service", "therapist", "start", "status", "expires_at", "created_at")
    list_filter = ("status",)
    readonly_fields = [f.name for f in WaitlistOffer._meta.fields]
    inlines = (WaitlistInvitationInline,)

    def has_add_permission(self, request: Any) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(AppointmentFee)
class AppointmentFeeAdmin(admin.ModelAdmin):
    """Fees charged (or not) to cards on file. Read-only: they move through booking.fees
    (charges, retries, outcomes); staff waive or refund one through the desk API
    (`/api/booking/desk/fees/…`, with a reason) and may retry an unpaid one from here."""

    list_display = (
        "created_at",
        "appointment",
        "kind",
        fee_amount,
        "status",
        "attempts",
        "next_try_at",
        "last_error",
    )
    list_filter = ("status", "kind")
    search_fields = ("public_id", "payment_reference", "appointment__client__phone_number")
    readonly_fields = tuple(f.name for f in AppointmentFee._meta.fields if f.name != "id")
    actions = ("retry_now",)

    @admin.action(description="Reintentar el cobro ahora (cargos sin cobrar)")
    def retry_now(self, request: Any, queryset: Any) -> None:
        from modules.booking import fees
        from platform_core.errors import DomainError

        done = 0
        for fee in queryset.filter(status=AppointmentFee.Status.UNPAID):
            try:
                fees.retry_now(actor=request.user, fee_public_id=fee.public_id)
                done += 1
            except DomainError:
                continue
        self.message_user(request, f"{done} cargo(s) se cobrarán de nuevo.")

    def has_add_permission(self, request: Any) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False
