"""Routes under /api/assistant/: Twilio's inbound WhatsApp webhook and staff metrics."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema

from modules.assistant import links, selectors, services, webhook
from modules.assistant.schemas import MetricsOut
from modules.identity import public as identity
from platform_core.api_errors import error_response
from platform_core.errors import NotFound, PermissionDenied

router = Router(tags=["assistant"])

EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response/>'


@router.post(
    "/webhooks/whatsapp/",
    auth=None,
    summary="Twilio inbound WhatsApp webhook (form-encoded, signed)",
    response={200: None, 403: dict},
)
def whatsapp_webhook(request: HttpRequest) -> HttpResponse:
    params = {key: request.POST.get(key, "") for key in request.POST}
    if not webhook.signature_valid(request, params):
        return error_response(403, "invalid_signature", _("Firma de Twilio inválida."))
    services.receive_inbound(params)
    return HttpResponse(EMPTY_TWIML, content_type="text/xml")


class MetricsQuery(Schema):
    days: int = 14


@router.get("/metrics/", response=MetricsOut, summary="Assistant metrics (staff)")
def assistant_metrics(request: HttpRequest, query: Query[MetricsQuery]) -> dict[str, Any]:
    if not identity.has_role(request.auth, identity.ADMIN, identity.RECEPTION):
        raise PermissionDenied()
    return selectors.metrics(days=max(1, min(query.days, 90)))


@router.get(
    "/l/{code}",
    auth=None,
    include_in_schema=False,
    response=None,
    url_name="assistant_short_link",
)
def short_link(request: HttpRequest, code: str) -> HttpResponse:
    """The short payment link sent on WhatsApp: a redirect while the payment is open."""
    url = links.target(code)
    if url is None:
        raise NotFound(_("Este enlace ya venció. Escríbenos para recibir uno nuevo."))
    return HttpResponseRedirect(url)
