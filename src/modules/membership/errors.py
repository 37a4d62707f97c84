"""Membership's domain errors (Spanish messages, shown to clients). The codes are the ones
payments used before the move: clients keep matching on them."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from platform_core.errors import Conflict, ValidationFailed


class SubscriptionExists(Conflict):
    code = "vip_subscription_exists"
    default_message = _("Ya tienes una membresía VIP activa o en proceso.")


class AcceptanceRequired(ValidationFailed):
    code = "acceptance_required"
    default_message = _(
        "Debes aceptar los términos y la autorización de tratamiento de datos personales."
    )
