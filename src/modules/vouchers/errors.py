"""Vouchers' domain errors (Spanish messages, shown to clients and staff)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from platform_core.errors import Conflict, NotFound


class InvalidCode(NotFound):
    """A code whose check symbol fails: no card can have it (a typo, most likely)."""

    code = "gift_card_code_invalid"
    default_message = _("El código no es válido. Revisa que esté completo y bien escrito.")


class CardNotFound(NotFound):
    code = "gift_card_not_found"
    default_message = _("No encontramos una tarjeta de regalo con ese código.")


# The schema cannot state the spa's current limits or a delivery date still ahead: a
# well-formed request the policy refuses is a 409 (docs/api.md, "422 or 409?").
class InvalidAmount(Conflict):
    code = "gift_card_amount_invalid"


class InvalidDelivery(Conflict):
    code = "gift_card_delivery_invalid"


class CardNotVoidable(Conflict):
    code = "gift_card_not_voidable"
    default_message = _("Solo se puede anular una tarjeta activa.")


class PackageNotFound(NotFound):
    code = "package_not_found"
    default_message = _("No encontramos ese paquete.")


class NothingToRefund(Conflict):
    code = "package_nothing_to_refund"
    default_message = _("Este paquete no tiene sesiones disponibles para reembolsar.")
