"""The payment result page Wompi redirects to (``/pago/resultado?id=<transaction id>``).

Served by Django outside production only (the front-end owns the page in production, see
``dev_pages`` in plugin.py), so that `make dev` on any port completes the checkout round trip.
The status shown is ours (set by Wompi's signed event), never the redirect's word: the page
renders the current status and, while it is pending, polls
``/api/finances/checkout-results/<id>/``.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from modules.payments import selectors
from modules.payments.models import FINAL_STATUSES
from platform_core.errors import NotFound
from platform_core.money import format_cop


def _titles() -> dict[str, tuple[str, str]]:
    return {
        "APPROVED": (_("Pago aprobado"), _("Recibimos tu pago. ¡Gracias por elegir StudioZens!")),
        "DECLINED": (
            _("Pago rechazado"),
            _("Tu banco no aprobó el pago. Puedes intentarlo de nuevo."),
        ),
        "VOIDED": (_("Pago anulado"), _("La transacción fue anulada.")),
        "ERROR": (_("No pudimos procesar el pago"), _("Intenta de nuevo con otro medio de pago.")),
        "EXPIRED": (
            _("El pago expiró"),
            _("El tiempo para pagar terminó. Inicia la reserva de nuevo."),
        ),
        "PENDING": (
            _("Estamos confirmando tu pago…"),
            _("Esto suele tardar unos segundos. No cierres esta página."),
        ),
    }


def payment_result(request: HttpRequest) -> HttpResponse:
    transaction_id = request.GET.get("id", "").strip()[:64]
    status, amount = "PENDING", ""
    try:
        payment = selectors.payment_by_transaction(transaction_id)
        status, amount = payment.status, format_cop(payment.amount_cents)
    except NotFound:
        pass
    titles = _titles()
    title, detail = titles.get(status, titles["PENDING"])
    return render(
        request,
        "payments/result.html",
        {
            "transaction_id": transaction_id,
            "status": status,
            "final": status in FINAL_STATUSES,
            "title": title,
            "detail": detail,
            "amount": amount,
            "titles": {k: {"title": v[0], "detail": v[1]} for k, v in titles.items()},
        },
    )
