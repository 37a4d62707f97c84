"""Booking data: catalog, therapists and their schedules, rooms, appointments.

Times of day (working hours, opening hours) are wall-clock times in America/Bogota;
instants (appointments, time off) are stored in UTC.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.timezone import localtime

from platform_core.money import format_cop

WEEKDAYS = [
    (0, "Lunes"),
    (1, "Martes"),
    (2, "Miércoles"),
    (3, "Jueves"),
    (4, "Viernes"),
    (5, "Sábado"),
    (6, "Domingo"),
]


PHASE_ACTIVE = "active"
PHASE_PROCESSING = "processing"


class Guarantee(models.TextChoices):
    """How a service protects its time (docs/booking.md "Guarantee policies")."""

    NONE = "none", "Sin garantía"
    DEPOSIT = "deposit", "Anticipo al reservar"
    CARD = "card", "Tarjeta en garantía (cargos por inasistencia y cancelación tardía)"


class ServiceCategory(models.Model):
    slug = models.SlugField("código", max_length=60, unique=True)
    name = models.CharField("nombre", max_length=120)
    order = models.PositiveSmallIntegerField("orden", default=0)

    class Meta:
        verbose_name = "categoría de servicio"
        verbose_name_plural = "categorías de servicio"
        ordering = ("order", "name")

    def __str__(self) -> str:
        return self.name


class Room(models.Model):
    """A cabin or resource. It hosts one appointment at a time (enforced by the
    database); ``capacity`` is how many guests fit in it (e.g. 2 for a double cabin)."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField("nombre", max_length=120, unique=True)
    kind = models.SlugField("tipo", max_length=60, help_text="p. ej. cabina, cabina-doble")
    capacity = models.PositiveSmallIntegerField(
        "capacidad", default=1, validators=[MinValueValidator(1)]
    )
    is_active = models.BooleanField("activa", default=True)

    class Meta:
        verbose_name = "sala"
        verbose_name_plural = "salas"
        ordering = ("name",)

    def __str__(self) -> str:
        return self.name


class Therapist(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="therapist_profile",
        verbose_name="usuario",
    )
    code = models.SlugField("código", max_length=60, unique=True)
    display_name = models.CharField("nombre visible", max_length=120)
    bio = models.TextField("biografía", blank=True)
    is_active = models.BooleanField("activo", default=True)

    class Meta:
        verbose_name = "terapeuta"
        verbose_name_plural = "terapeutas"
        ordering = ("display_name",)

    def __str__(self) -> str:
        return self.display_name


class Service(models.Model):
    code = models.SlugField(
        "código", max_length=60, unique=True, help_text="Identificador estable, p. ej. MASAJE-60"
    )
    name = models.CharField("nombre", max_length=160)
    description = models.TextField("descripción", blank=True)
    category = models.ForeignKey(
        ServiceCategory,
        on_delete=models.PROTECT,
        related_name="services",
        null=True,
        blank=True,
        verbose_name="categoría",
    )
    duration_minutes = models.PositiveIntegerField(
        "duración (min)", validators=[MinValueValidator(5), MaxValueValidator(600)]
    )
    buffer_before_minutes = models.PositiveIntegerField(
        "preparación antes (min)", default=0, validators=[MaxValueValidator(240)]
    )
    buffer_after_minutes = models.PositiveIntegerField(
        "limpieza después (min)", default=0, validators=[MaxValueValidator(240)]
    )
    price_cents = models.BigIntegerField("precio (centavos)", validators=[MinValueValidator(0)])
    vip_price_cents = models.BigIntegerField(
        "precio VIP (centavos)", null=True, blank=True, validators=[MinValueValidator(0)]
    )
    currency = models.CharField("moneda", max_length=3, default="COP")
    deposit_percent = models.PositiveSmallIntegerField(
        "anticipo (%)", default=0, validators=[MaxValueValidator(100)]
    )
    # Processing time (docs/booking.md "Processing time"): phases active, processing,
    # active. During processing the therapist is free for other bookings, the room is not.
    processing_start_minutes = models.PositiveIntegerField(
        "reposo desde el minuto",
        default=0,
        validators=[MaxValueValidator(600)],
        help_text="Minutos de trabajo activo antes del reposo (p. ej. 15 de aplicación)",
    )
    processing_minutes = models.PositiveIntegerField(
        "reposo (min)",
        default=0,
        validators=[MaxValueValidator(600)],
        help_text="Minutos en que el producto actúa y el terapeuta queda libre para otra "
        "cita (la sala sigue ocupada). 0 = sin reposo",
    )
    # The guarantee policy: a deposit (deposit_percent > 0), or a card on file charged a
    # fee on a no-show or a late cancellation (fixed COP cents or a percentage of the
    # appointment's price, at most one of the two per fee).
    guarantee = models.CharField(
        "garantía", max_length=10, choices=Guarantee.choices, default=Guarantee.NONE
    )
    no_show_fee_cents = models.BigIntegerField(
        "cargo por inasistencia, fijo (centavos)", default=0, validators=[MinValueValidator(0)]
    )
    no_show_fee_percent = models.PositiveSmallIntegerField(
        "cargo por inasistencia (% del precio)", default=0, validators=[MaxValueValidator(100)]
    )
    late_cancel_fee_cents = models.BigIntegerField(
        "cargo por cancelación tardía, fijo (centavos)",
        default=0,
        validators=[MinValueValidator(0)],
    )
    late_cancel_fee_percent = models.PositiveSmallIntegerField(
        "cargo por cancelación tardía (% del precio)",
        default=0,
        validators=[MaxValueValidator(100)],
    )
    late_cancel_hours = models.PositiveSmallIntegerField(
        "ventana de cancelación tardía (horas)",
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(336)],
        help_text="Horas antes del inicio desde las que cancelar tiene costo. Vacío: la "
        "ventana general del spa (CANCELLATION_WINDOW_HOURS)",
    )
    is_active = models.BooleanField("activo", default=True)
    resource_kind = models.SlugField(
        "tipo de sala requerida",
        max_length=60,
        blank=True,
        help_text="Vacío si el servicio no necesita sala",
    )
    therapists = models.ManyToManyField(
        Therapist, related_name="services", blank=True, verbose_name="terapeutas"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "servicio"
        verbose_name_plural = "servicios"
        ordering = ("name",)
        constraints = [
            models.CheckConstraint(
                condition=Q(price_cents__gte=0) & Q(deposit_percent__lte=100),
                name="booking_service_price_deposit_valid",
            ),
            # The processing phase lies inside the treatment and leaves some active time.
            models.CheckConstraint(
                condition=Q(processing_minutes=0)
                | (
                    Q(processing_minutes__lt=F("duration_minutes"))
                    & Q(
                        processing_start_minutes__lte=F("duration_minutes")
                        - F("processing_minutes")
                    )
                ),
                name="booking_service_processing_inside",
                violation_error_message=(
                    "El reposo debe quedar dentro de la duración del servicio y dejar "
                    "tiempo de trabajo activo."
                ),
            ),
            # The deposit policy is exactly "a deposit percentage is set".
            models.CheckConstraint(
                condition=Q(guarantee=Guarantee.DEPOSIT, deposit_percent__gt=0)
                | (~Q(guarantee=Guarantee.DEPOSIT) & Q(deposit_percent=0)),
                name="booking_service_deposit_policy",
                violation_error_message=(
                    "Con garantía «Anticipo» el anticipo (%%) debe ser mayor que cero; con "
                    "otra garantía, cero."
                ),
            ),
            # Each fee is fixed or a percentage (not both), within bounds.
            models.CheckConstraint(
                condition=Q(no_show_fee_cents__gte=0, late_cancel_fee_cents__gte=0)
                & Q(no_show_fee_percent__lte=100, late_cancel_fee_percent__lte=100)
                & (Q(no_show_fee_cents=0) | Q(no_show_fee_percent=0))
                & (Q(late_cancel_fee_cents=0) | Q(late_cancel_fee_percent=0))
                & (Q(late_cancel_hours__isnull=True) | Q(late_cancel_hours__gte=1)),
                name="booking_service_fees_valid",
                violation_error_message=(
                    "Cada cargo es fijo o un porcentaje del precio (no ambos), el porcentaje "
                    "hasta 100 y la ventana de al menos una hora."
                ),
            ),
            # Fees are charged to a card on file: only a card guarantee has them, and a
            # card guarantee has at least one.
            models.CheckConstraint(
                condition=(
                    Q(guarantee=Guarantee.CARD)
                    & (
                        Q(no_show_fee_cents__gt=0)
                        | Q(no_show_fee_percent__gt=0)
                        | Q(late_cancel_fee_cents__gt=0)
                        | Q(late_cancel_fee_percent__gt=0)
                    )
                )
                | (
                    ~Q(guarantee=Guarantee.CARD)
                    & Q(no_show_fee_cents=0, no_show_fee_percent=0)
                    & Q(late_cancel_fee_cents=0, late_cancel_fee_percent=0)
                ),
                name="booking_service_fees_need_card",
                violation_error_message=(
                    "Los cargos por inasistencia o cancelación tardía solo aplican con "
                    "garantía «Tarjeta», y esta necesita al menos uno."
                ),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def has_processing(self) -> bool:
        return self.processing_minutes > 0

    def phases(self) -> list[tuple[str, int]]:
        """The treatment's phases in order, as (kind, minutes): ``active`` (the therapist
        works) or ``processing`` (the therapist is free, the room stays taken)."""
        if not self.has_processing:
            return [(PHASE_ACTIVE, self.duration_minutes)]
        first = self.processing_start_minutes
        last = self.duration_minutes - first - self.processing_minutes
        out = [(PHASE_ACTIVE, first), (PHASE_PROCESSING, self.processing_minutes)]
        out.append((PHASE_ACTIVE, last))
        return [(kind, minutes) for kind, minutes in out if minutes > 0]


class WeeklyInterval(models.Model):
    """A wall-clock interval on a weekday (America/Bogota)."""

    weekday = models.PositiveSmallIntegerField("día", choices=WEEKDAYS)
    start = models.TimeField("desde")
    end = models.TimeField("hasta")

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.start:%H:%M}-{self.end:%H:%M}"


class WorkingHours(WeeklyInterval):
    """A weekly working interval; several per day are allowed (split shifts)."""

    therapist = models.ForeignKey(Therapist, on_delete=models.CASCADE, related_name="hours")

    class Meta:
        verbose_name = "horario semanal"
        verbose_name_plural = "horarios semanales"
        ordering = ("therapist", "weekday", "start")
        constraints = [
            models.CheckConstraint(condition=Q(end__gt=F("start")), name="booking_hours_order")
        ]


class TherapistBreak(WeeklyInterval):
    """A weekly recurring break (e.g. lunch) carved out of the working hours."""

    therapist = models.ForeignKey(Therapist, on_delete=models.CASCADE, related_name="breaks")

    class Meta:
        verbose_name = "descanso"
        verbose_name_plural = "descansos"
        ordering = ("therapist", "weekday", "start")
        constraints = [
            models.CheckConstraint(condition=Q(end__gt=F("start")), name="booking_break_order")
        ]


class TimeOff(models.Model):
    """Vacations, sick leave, appointments outside the spa: a UTC instant range."""

    therapist = models.ForeignKey(Therapist, on_delete=models.CASCADE, related_name="time_off")
    start = models.DateTimeField("desde")
    end = models.DateTimeField("hasta")
    reason = models.CharField("motivo", max_length=200, blank=True)

    class Meta:
        verbose_name = "ausencia"
        verbose_name_plural = "ausencias"
        ordering = ("-start",)
        constraints = [
            models.CheckConstraint(condition=Q(end__gt=F("start")), name="booking_timeoff_order")
        ]

    def __str__(self) -> str:
        return f"{self.therapist} {localtime(self.start):%Y-%m-%d}"


class ScheduleChange(models.Model):
    """A one-off change for one date: when a date has any rows, they replace that
    day's weekly hours and breaks. A row without times means "not working that day"."""

    therapist = models.ForeignKey(
        Therapist, on_delete=models.CASCADE, related_name="schedule_changes"
    )
    date = models.DateField("fecha")
    start = models.TimeField("desde", null=True, blank=True)
    end = models.TimeField("hasta", null=True, blank=True)
    note = models.CharField("nota", max_length=200, blank=True)

    class Meta:
        verbose_name = "cambio de horario"
        verbose_name_plural = "cambios de horario"
        ordering = ("date", "start")
        constraints = [
            models.CheckConstraint(
                condition=(Q(start__isnull=True) & Q(end__isnull=True))
                | (Q(start__isnull=False) & Q(end__gt=F("start"))),
                name="booking_change_times",
            )
        ]

    def __str__(self) -> str:
        return f"{self.therapist} {self.date}"


class OpeningHours(models.Model):
    weekday = models.PositiveSmallIntegerField("día", choices=WEEKDAYS)
    opens = models.TimeField("abre")
    closes = models.TimeField("cierra")

    class Meta:
        verbose_name = "horario de apertura"
        verbose_name_plural = "horarios de apertura"
        ordering = ("weekday", "opens")
        constraints = [
            models.CheckConstraint(condition=Q(closes__gt=F("opens")), name="booking_opening_order")
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.opens:%H:%M}-{self.closes:%H:%M}"


class ClosedDay(models.Model):
    date = models.DateField("fecha", unique=True)
    reason = models.CharField("motivo", max_length=200, blank=True)

    class Meta:
        verbose_name = "día cerrado"
        verbose_name_plural = "días cerrados"
        ordering = ("date",)

    def __str__(self) -> str:
        return f"{self.date} {self.reason}".strip()


class AppointmentStatus(models.TextChoices):
    PENDING_PAYMENT = "PENDING_PAYMENT", "Pendiente de pago"
    CONFIRMED = "CONFIRMED", "Confirmada"
    ARRIVED = "ARRIVED", "En el spa"
    COMPLETED = "COMPLETED", "Completada"
    NO_SHOW = "NO_SHOW", "No asistió"
    CANCELLED = "CANCELLED", "Cancelada"
    EXPIRED = "EXPIRED", "Expirada"
    # A waitlist offer's hold: the slot is kept for the waitlisted clients it was offered
    # to until one accepts or the offer closes (then the row is deleted; the offer keeps
    # the history). See WaitlistOffer.
    OFFERED = "OFFERED", "Ofrecida (lista de espera)"


# States that occupy the therapist and the room (the exclusion constraints' condition):
# a client who has arrived is in the cabin, so ARRIVED holds the slot like CONFIRMED;
# an open waitlist offer holds it like an unpaid booking.
ACTIVE_STATUSES = (
    AppointmentStatus.PENDING_PAYMENT,
    AppointmentStatus.CONFIRMED,
    AppointmentStatus.ARRIVED,
    AppointmentStatus.OFFERED,
)
# States from which an appointment can still be moved or cancelled (not once the
# client is in the spa: then it is completed, or staff fix it by hand).
CHANGEABLE_STATUSES = (AppointmentStatus.PENDING_PAYMENT, AppointmentStatus.CONFIRMED)


class Appointment(models.Model):
    class CancelledBy(models.TextChoices):
        CLIENT = "client", "Cliente"
        SPA = "spa", "Spa"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    client = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="appointments",
        verbose_name="cliente",
    )
    booked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="reservada por",
    )
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="appointments")
    therapist = models.ForeignKey(Therapist, on_delete=models.PROTECT, related_name="appointments")
    room = models.ForeignKey(
        Room, on_delete=models.PROTECT, null=True, blank=True, related_name="appointments"
    )
    start = models.DateTimeField("inicio", db_index=True)
    end = models.DateTimeField("fin")
    # start - buffer_before .. end + buffer_after: what the exclusion constraints compare.
    blocked_start = models.DateTimeField()
    blocked_end = models.DateTimeField()
    # The processing phase, snapshot of the service's when booked (null: none). The
    # therapist is busy in [blocked_start, processing_start) and [processing_end,
    # blocked_end) only; the room for the whole blocked range (booking.db).
    processing_start = models.DateTimeField("reposo desde", null=True, blank=True)
    processing_end = models.DateTimeField("reposo hasta", null=True, blank=True)
    status = models.CharField(
        "estado", max_length=20, choices=AppointmentStatus.choices, db_index=True
    )
    price_cents = models.BigIntegerField("precio (centavos)")
    vip_price_applied = models.BooleanField("precio VIP", default=False)
    currency = models.CharField(max_length=3, default="COP")
    deposit_cents = models.BigIntegerField("anticipo (centavos)", default=0)
    deposit_paid_cents = models.BigIntegerField("anticipo pagado (centavos)", default=0)
    payment_reference = models.CharField(max_length=100, blank=True)
    # The open deposit checkout (payments' CheckoutDTO as a dict) while PENDING_PAYMENT,
    # returned again by POST .../checkout while that attempt is pending; emptied when the
    # appointment leaves PENDING_PAYMENT (its URL carries the client's contact data).
    checkout = models.JSONField("pago abierto", default=dict, blank=True)
    hold_expires_at = models.DateTimeField(null=True, blank=True)
    refund_requested_at = models.DateTimeField(null=True, blank=True)
    needs_attention = models.CharField(
        "requiere atención", max_length=200, blank=True, help_text="Motivo para revisión"
    )
    notes = models.TextField("notas del cliente", blank=True)
    staff_notes = models.TextField("notas internas", blank=True)
    cancelled_by = models.CharField(max_length=10, choices=CancelledBy.choices, blank=True)
    cancellation_reason = models.CharField(max_length=300, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    arrived_at = models.DateTimeField("llegada", null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "cita"
        verbose_name_plural = "citas"
        ordering = ("start",)
        indexes = [
            models.Index(fields=["therapist", "blocked_start"], name="booking_appt_ther_idx"),
            models.Index(fields=["room", "blocked_start"], name="booking_appt_room_idx"),
            models.Index(fields=["status", "hold_expires_at"], name="booking_appt_hold_idx"),
            # "My appointments": one client's history in start order, a page at a time
            # (without it PostgreSQL walks the start index past every other client's rows:
            # 3x slower at 100x the data, docs/performance.md "Cost curves").
            models.Index(fields=["client", "start"], name="booking_appt_client_start_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(end__gt=F("start")), name="booking_appt_order"),
            models.CheckConstraint(
                condition=Q(blocked_start__lte=F("start")) & Q(blocked_end__gte=F("end")),
                name="booking_appt_blocked_covers",
            ),
            models.CheckConstraint(
                condition=(Q(processing_start__isnull=True) & Q(processing_end__isnull=True))
                | (
                    Q(processing_start__gte=F("start"))
                    & Q(processing_end__gt=F("processing_start"))
                    & Q(processing_end__lte=F("end"))
                ),
                name="booking_appt_processing_inside",
            ),
        ]

    def __str__(self) -> str:
        # Bogotá wall-clock: the admin's titles and breadcrumbs show it to staff.
        return (
            f"{self.service} {localtime(self.start):%Y-%m-%d %H:%M} ({self.get_status_display()})"
        )

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES


class GuaranteeConsent(models.Model):
    """The client's consent to a card-guarantee policy, stored with the appointment when
    it was booked: the policy text they were shown, the fee figures it states (the
    percentages already applied to this appointment's price), the card on file then and
    how the consent was given. Fees are charged from these figures, not from the
    service's current settings."""

    class Via(models.TextChoices):
        API = "api", "Aplicación (API)"
        ASSISTANT = "assistant", "Asistente de WhatsApp"
        DESK = "desk", "Recepción (en nombre del cliente)"
        WAITLIST = "waitlist", "Oferta de lista de espera"

    appointment = models.OneToOneField(
        Appointment, on_delete=models.CASCADE, related_name="guarantee", verbose_name="cita"
    )
    policy_text = models.TextField("política aceptada")
    no_show_fee_cents = models.BigIntegerField("cargo por inasistencia (centavos)")
    late_cancel_fee_cents = models.BigIntegerField("cargo por cancelación tardía (centavos)")
    late_cancel_hours = models.PositiveSmallIntegerField("ventana de cancelación tardía (horas)")
    card_id = models.UUIDField("tarjeta guardada")
    card_label = models.CharField("tarjeta", max_length=40)
    via = models.CharField("aceptada por", max_length=10, choices=Via.choices)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="registrada por",
    )
    accepted_at = models.DateTimeField("aceptada")

    class Meta:
        verbose_name = "aceptación de política de garantía"
        verbose_name_plural = "aceptaciones de política de garantía"
        constraints = [
            models.CheckConstraint(
                condition=Q(no_show_fee_cents__gte=0, late_cancel_fee_cents__gte=0),
                name="booking_consent_fees_non_negative",
            )
        ]

    def __str__(self) -> str:
        return f"{self.appointment_id} {self.accepted_at:%Y-%m-%d %H:%M}"


class AppointmentFee(models.Model):
    """A no-show or late-cancellation fee of one appointment. The unique (appointment,
    kind) constraint is the idempotency key: a fee is decided once, however many staff
    actions and beat runs race for it; its card-on-file attempts carry references derived
    from the fee's id and attempt number (docs/booking.md "Fees")."""

    class Kind(models.TextChoices):
        NO_SHOW = "no_show", "Inasistencia"
        LATE_CANCEL = "late_cancel", "Cancelación tardía"

    class Status(models.TextChoices):
        DUE = "DUE", "Por cobrar"
        CHARGING = "CHARGING", "Cobro en curso"
        CHARGED = "CHARGED", "Cobrado"
        UNPAID = "UNPAID", "Sin cobrar (requiere al personal)"
        WAIVED = "WAIVED", "Condonado"
        REFUNDED = "REFUNDED", "Reembolsado"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    appointment = models.ForeignKey(
        Appointment, on_delete=models.PROTECT, related_name="fees", verbose_name="cita"
    )
    kind = models.CharField("tipo", max_length=12, choices=Kind.choices)
    amount_cents = models.BigIntegerField("monto (centavos)")
    currency = models.CharField(max_length=3, default="COP")
    status = models.CharField(
        "estado", max_length=10, choices=Status.choices, default=Status.DUE, db_index=True
    )
    attempts = models.PositiveSmallIntegerField("intentos de cobro", default=0)
    # When the beat may open the next attempt (DUE only); empty otherwise.
    next_try_at = models.DateTimeField("próximo intento", null=True, blank=True)
    payment_reference = models.CharField("referencia del cobro", max_length=64, blank=True)
    last_error = models.CharField("último error", max_length=255, blank=True)
    charged_at = models.DateTimeField("cobrado", null=True, blank=True)
    waived_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="condonado por",
    )
    waived_at = models.DateTimeField("condonado", null=True, blank=True)
    waive_reason = models.CharField("motivo de la condonación", max_length=300, blank=True)
    refunded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="reembolsado por",
    )
    refunded_at = models.DateTimeField("reembolsado", null=True, blank=True)
    refund_reason = models.CharField("motivo del reembolso", max_length=300, blank=True)
    created_at = models.DateTimeField("decidido", auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "cargo por inasistencia o cancelación"
        verbose_name_plural = "cargos por inasistencia o cancelación"
        ordering = ("-created_at", "-id")
        indexes = [models.Index(fields=["status", "next_try_at"], name="booking_fee_due_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["appointment", "kind"], name="booking_fee_once_per_kind"
            ),
            models.CheckConstraint(
                condition=Q(amount_cents__gt=0), name="booking_fee_amount_positive"
            ),
        ]

    def __str__(self) -> str:
        # Staff read it in the admin (inline rows, titles): money as "$ 62.000".
        amount = format_cop(self.amount_cents)
        return f"{self.get_kind_display()} {amount} ({self.get_status_display()})"


class AppointmentEvent(models.Model):
    """Append-only history: status changes and reschedules (old and new times)."""

    appointment = models.ForeignKey(Appointment, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=30)
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20, blank=True)
    old_start = models.DateTimeField(null=True, blank=True)
    new_start = models.DateTimeField(null=True, blank=True)
    old_therapist = models.ForeignKey(
        Therapist, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    new_therapist = models.ForeignKey(
        Therapist, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    note = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "evento de cita"
        verbose_name_plural = "historial de citas"
        ordering = ("created_at", "id")

    def __str__(self) -> str:
        return f"{self.kind} {self.created_at:%Y-%m-%d %H:%M}"


class AppointmentReminder(models.Model):
    """One row per (appointment, hours-before); claimed by a conditional update so
    each reminder is sent once even when the beat task runs twice at once."""

    appointment = models.ForeignKey(Appointment, on_delete=models.CASCADE, related_name="reminders")
    hours = models.PositiveSmallIntegerField()
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["appointment", "hours"], name="booking_reminder_once")
        ]

    def __str__(self) -> str:
        return f"{self.hours} h"


class WaitlistEntry(models.Model):
    """A client waiting for a slot of a service between two dates, optionally with one
    therapist and within a time of day (wall-clock start window, Bogotá)."""

    class Status(models.TextChoices):
        WAITING = "WAITING", "En espera"
        BOOKED = "BOOKED", "Reservó"
        LEFT = "LEFT", "Salió de la lista"
        EXPIRED = "EXPIRED", "Vencida"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    client = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="waitlist_entries",
        verbose_name="cliente",
    )
    service = models.ForeignKey(
        Service, on_delete=models.CASCADE, related_name="waitlist", verbose_name="servicio"
    )
    therapist = models.ForeignKey(
        Therapist,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="waitlist",
        verbose_name="terapeuta",
    )
    date_from = models.DateField("desde el día")
    date_to = models.DateField("hasta el día")
    time_from = models.TimeField("desde la hora", null=True, blank=True)
    time_to = models.TimeField("hasta la hora", null=True, blank=True)
    status = models.CharField(
        "estado", max_length=10, choices=Status.choices, default=Status.WAITING
    )
    appointment = models.ForeignKey(
        Appointment,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="cita reservada",
    )
    created_at = models.DateTimeField("se unió", auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "lista de espera"
        verbose_name_plural = "lista de espera"
        ordering = ("created_at", "id")
        indexes = [
            models.Index(fields=["status", "date_from", "date_to"], name="booking_wait_open_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(date_to__gte=F("date_from")), name="booking_wait_dates"
            ),
            models.CheckConstraint(
                condition=Q(time_from__isnull=True)
                | Q(time_to__isnull=True)
                | Q(time_to__gt=F("time_from")),
                name="booking_wait_times",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.service} {self.date_from}–{self.date_to}"


class WaitlistOffer(models.Model):
    """A freed slot offered to waitlisted clients, one after another in order of
    joining, each with WAITLIST_OFFER_MINUTES; any client it was offered to may accept
    while it is open, the first wins. ``hold`` is an OFFERED appointment that keeps the
    slot under the exclusion constraints while the offer is open."""

    class Status(models.TextChoices):
        OPEN = "OPEN", "Abierta"
        ACCEPTED = "ACCEPTED", "Aceptada"
        CLOSED = "CLOSED", "Cerrada sin aceptar"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="+")
    therapist = models.ForeignKey(Therapist, on_delete=models.CASCADE, related_name="+")
    start = models.DateTimeField("inicio")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    expires_at = models.DateTimeField("vence")
    hold = models.OneToOneField(
        Appointment, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    accepted_by = models.ForeignKey(
        WaitlistEntry, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    appointment = models.ForeignKey(
        Appointment, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "oferta de lista de espera"
        verbose_name_plural = "ofertas de lista de espera"
        ordering = ("-created_at",)
        indexes = [models.Index(fields=["status", "expires_at"], name="booking_offer_open_idx")]
        constraints = [
            # At most one open offer per slot (the hold's exclusion constraints already
            # forbid two overlapping holds; this names the rule).
            models.UniqueConstraint(
                fields=["therapist", "start"],
                condition=Q(status="OPEN"),
                name="booking_offer_one_open_per_slot",
            ),
        ]

    def __str__(self) -> str:
        # Bogotá wall-clock: the admin's titles and breadcrumbs show it to staff.
        return (
            f"{self.service} {localtime(self.start):%Y-%m-%d %H:%M} ({self.get_status_display()})"
        )


class WaitlistInvitation(models.Model):
    """One client told about one offer (order = the cascade), and their answer: a client
    who declines gets no more of this offer and may be offered other slots."""

    class Answer(models.TextChoices):
        NONE = "", "Sin respuesta"
        ACCEPTED = "ACCEPTED", "Lo tomó"
        DECLINED = "DECLINED", "Lo rechazó"

    offer = models.ForeignKey(WaitlistOffer, on_delete=models.CASCADE, related_name="invitations")
    entry = models.ForeignKey(WaitlistEntry, on_delete=models.CASCADE, related_name="invitations")
    sent_at = models.DateTimeField(auto_now_add=True)
    answer = models.CharField(
        "respuesta", max_length=10, choices=Answer.choices, blank=True, default=Answer.NONE
    )
    answered_at = models.DateTimeField("respondió", null=True, blank=True)

    class Meta:
        ordering = ("sent_at", "id")
        constraints = [
            models.UniqueConstraint(fields=["offer", "entry"], name="booking_invite_once")
        ]

    def __str__(self) -> str:
        return f"{self.entry_id} → {self.offer_id}"
