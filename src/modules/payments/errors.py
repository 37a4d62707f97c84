"""Payments' domain errors (Spanish messages, shown to clients)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from platform_core.errors import Conflict, DomainError, ServiceUnavailable, ValidationFailed


class InvalidPurpose(ValidationFailed):
    code = "invalid_purpose"
    default_message = _("El propósito del pago no es válido.")


class InvalidAmount(ValidationFailed):
    code = "invalid_amount"
    default_message = _("El monto del pago debe ser un entero positivo en centavos.")


class RefundNotAllowed(Conflict):
    code = "refund_not_allowed"
    default_message = _("Este pago no se puede reembolsar.")


class CardRejected(ValidationFailed):
    code = "card_rejected"
    default_message = _("No pudimos registrar tu tarjeta. Verifica los datos e intenta de nuevo.")


class GatewayUnavailable(ServiceUnavailable):
    code = "payment_gateway_unavailable"
    default_message = _(
        "La pasarela de pagos no está disponible. Intenta de nuevo en unos minutos."
    )


class TenderRefused(DomainError):
    """A provider cannot take this tender (unknown or spent code, expired, nothing it
    covers): raised by ``TenderProvider.hold`` with a Spanish message. 422; a provider
    passes ``status_code=409`` when the value is held by another checkout right now."""

    status_code = 422
    code = "tender_refused"
    default_message = _("No pudimos aplicar este medio de pago.")


class TenderNotAccepted(ValidationFailed):
    code = "tender_not_accepted"
    default_message = _("Medio de pago no aceptado.")
