"""Booking's domain errors (Spanish messages: clients read them)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from platform_core.errors import Conflict, NotFound


class SlotTaken(Conflict):
    code = "slot_taken"
    default_message = _("Ese horario ya no está disponible. Elige otro, por favor.")


class SpaClosed(SlotTaken):
    """No slot at that start because the spa is closed then (a SlotTaken: callers that only
    ask "is it free?" treat both alike)."""

    code = "spa_closed"
    default_message = _("El spa está cerrado a esa hora. Elige otro horario, por favor.")


class NobodyWorking(SlotTaken):
    """Open, but no therapist who gives the service works for the whole treatment then."""

    code = "no_therapist_working"
    default_message = _(
        "Ese horario está fuera del turno de los terapeutas de este servicio. "
        "Elige otro horario, por favor."
    )


class NotCancellable(Conflict):
    code = "not_cancellable"
    default_message = _("Esta cita ya no se puede cancelar.")


class InvalidTransition(Conflict):
    code = "invalid_status"
    default_message = _("La cita no está en un estado que permita esta acción.")


class ServiceNotFound(NotFound):
    code = "service_not_found"
    default_message = _("No encontramos ese servicio.")


class TherapistNotFound(NotFound):
    code = "therapist_not_found"
    default_message = _("No encontramos ese terapeuta para este servicio.")


class AppointmentNotFound(NotFound):
    code = "appointment_not_found"
    default_message = _("No encontramos esa cita.")


class OutsideBookingWindow(Conflict):
    # 409, not 422: the start is well-formed; the clock (lead time, horizon) refuses it.
    code = "outside_booking_window"
    default_message = _("Esa hora está fuera del periodo en que se puede reservar.")


class HoldExpired(Conflict):
    code = "hold_expired"
    default_message = _(
        "Se agotó el tiempo para pagar el anticipo y la cita ya no está reservada. "
        "Elige un horario y reserva de nuevo, por favor."
    )


class DepositNotDue(Conflict):
    code = "deposit_not_due"
    default_message = _("Esta cita no tiene un anticipo pendiente de pago.")


class PaymentOpen(Conflict):
    code = "payment_open"
    default_message = _(
        "Esta cita ya tiene un pago abierto: complétalo o espera a que venza para usar un bono."
    )


class DepositBeingConfirmed(Conflict):
    code = "deposit_being_confirmed"
    default_message = _(
        "Ya recibimos el pago del anticipo de esta cita; la confirmación tarda unos segundos."
    )


class WaitlistEntryNotFound(NotFound):
    code = "waitlist_entry_not_found"
    default_message = _("No encontramos esa inscripción en la lista de espera.")


class OfferNotFound(NotFound):
    code = "offer_not_found"
    default_message = _("No encontramos esa oferta de la lista de espera.")


class OfferTaken(Conflict):
    code = "offer_taken"
    default_message = _(
        "Otra persona de la lista de espera ya tomó este horario. Seguirás en la lista y "
        "te avisaremos si se libera otro."
    )


class OfferExpired(Conflict):
    code = "offer_expired"
    default_message = _("Esta oferta ya no está disponible: se venció el tiempo para aceptarla.")


class OfferDeclined(Conflict):
    code = "offer_declined"
    default_message = _(
        "Ya dejaste pasar este cupo. Seguirás en la lista de espera y te avisaremos si se "
        "libera otro."
    )


class OfferAlreadyAccepted(Conflict):
    code = "offer_accepted"
    default_message = _(
        "Ya tomaste este cupo: es tu cita. Si no puedes venir, cancélala desde tus citas."
    )
