"""Routes under /api/assistant/: Twilio's inbound WhatsApp webhook and staff metrics."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema

from modules.assistant import inbound, links, selectors, webhook
from modules.assistant.schemas import MetricsOut
from modules.identity import public as identity
from platform_core.api_errors import error_response
from platform_core.errors import NotFound, PermissionDenied

router = Router(tags=["assistant"])

EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response/>'


@router.post(
    "/webhooks/whatsapp/",
    operation_id="receiveWhatsappMessage",
    auth=None,
    summary="Twilio inbound WhatsApp webhook (form-encoded, signed)",
    response={200: None, 403: dict},
)
def whatsapp_webhook(request: HttpRequest) -> HttpResponse:
    """Twilio's inbound WhatsApp message (provider-to-server; signed with X-Twilio-Signature).
    Answers at once; the assistant replies asynchronously."""
    params = {key: request.POST.get(key, "") for key in request.POST}
    if not webhook.signature_valid(request, params):
        return error_response(403, "invalid_signature", _("Firma de Twilio inválida."))
    inbound.receive_inbound(params)
    return HttpResponse(EMPTY_TWIML, content_type="text/xml")


class MetricsQuery(Schema):
    days: int = Field(14, ge=1, le=90)


@router.get(
    "/metrics/",
    operation_id="getAssistantMetrics",
    response=MetricsOut,
    summary="Assistant metrics (staff)",
)
def assistant_metrics(request: HttpRequest, query: Query[MetricsQuery]) -> dict[str, Any]:
    """Staff (reception/admin): messages per day, bookings made by the assistant, handoffs and
    the fallback rate."""
    if not identity.has_role(request.auth, identity.ADMIN, identity.RECEPTION):
        raise PermissionDenied()
    return selectors.metrics(days=query.days)


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
