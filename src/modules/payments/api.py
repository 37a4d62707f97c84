"""/api/finances/: payment status, the Wompi webhook. VIP membership (/api/finances/vip/)
is membership's router, mounted under this prefix (docs/membership.md)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from ninja import Router, Status
from ninja.pagination import paginate

from modules.payments import card_on_file, saved_cards, selectors, webhooks
from modules.payments.schemas import (
    CardAcceptanceOut,
    CheckoutResultOut,
    PaymentOut,
    SaveCardIn,
    SavedCardOut,
    WebhookAck,
)
from platform_core.errors import NotFound
from platform_core.pagination import Pagination
from platform_core.ratelimit import RateThrottle
from platform_core.request_context import client_ip

router = Router()

# What Wompi signs in its transaction events (shared reference: wompi.md).
SIGNED_PROPERTIES = ("transaction.id", "transaction.status", "transaction.amount_in_cents")
WOMPI_EVENT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "title": "WompiEvent",
    "description": "An event as Wompi sends it (docs/payments.md); a bad checksum is 401.",
    "required": ["event", "data", "signature", "timestamp"],
    "properties": {
        "event": {"type": "string", "description": "Event type, e.g. transaction.updated"},
        "data": {
            "type": "object",
            "description": "The event's object: the transaction Wompi reports on",
            "required": ["transaction"],
            "properties": {
                "transaction": {
                    "type": "object",
                    "required": ["id", "status", "amount_in_cents", "reference"],
                    "properties": {
                        "id": {"type": "string", "minLength": 1},
                        "status": {"type": "string", "minLength": 1},
                        "amount_in_cents": {"type": "integer"},
                        "reference": {"type": "string", "minLength": 1},
                    },
                }
            },
        },
        "environment": {"type": "string", "description": "test or prod"},
        "signature": {
            "type": "object",
            "description": "Wompi's checksum over the listed properties of data",
            "required": ["properties", "checksum"],
            "properties": {
                "properties": {
                    "type": "array",
                    "minItems": 1,
                    "items": {"enum": list(SIGNED_PROPERTIES)},
                    "description": "The paths inside data whose values the checksum covers",
                },
                "checksum": {"type": "string", "minLength": 1, "description": "SHA-256 hex"},
            },
        },
        "timestamp": {
            "description": "Unix seconds (integer, or its decimal text)",
            "anyOf": [{"type": "integer"}, {"type": "string", "minLength": 1}],
        },
        "sent_at": {"type": "string", "description": "When Wompi sent it (ISO 8601)"},
    },
}
# The shape of Wompi's documented `transaction.updated` event (the schema's example).
WOMPI_EVENT_EXAMPLE: dict[str, Any] = {
    "event": "transaction.updated",
    "data": {
        "transaction": {
            "id": "1234-1610641025-49201",
            "amount_in_cents": 18000000,
            "reference": "SZ-7Q2M4K9X",
            "status": "APPROVED",
        }
    },
    "environment": "test",
    "signature": {
        "properties": ["transaction.id", "transaction.status", "transaction.amount_in_cents"],
        "checksum": "3476DDA50F64CD7CBD160689640506FEBEA93239BC524FC0469B2C68A3CC8BD0",
    },
    "timestamp": 1530291411,
    "sent_at": "2030-01-15T15:00:00.000Z",
}


@router.get(
    "/payments/", operation_id="listMyPayments", response=list[PaymentOut], summary="Mis pagos"
)
@paginate(Pagination)
def my_payments(request: HttpRequest) -> Any:
    """The signed-in user's payments, newest first."""
    return selectors.payments_of(request.auth)


@router.get(
    "/payments/{reference}/",
    operation_id="getPayment",
    response=PaymentOut,
    summary="Estado de un pago propio",
)
def payment_detail(request: HttpRequest, reference: str) -> Any:
    """One of the user's payments by reference: poll it after the Wompi checkout."""
    return selectors.payment_for_owner(reference=reference, user=request.auth)


@router.get(
    "/checkout-results/{transaction_id}/",
    operation_id="getCheckoutResult",
    auth=None,
    response=CheckoutResultOut,
    throttle=RateThrottle("120/1m", scope="checkout_result"),
    summary="Resultado de un pago por id de transacción Wompi",
    description=(
        "For the page Wompi redirects to (`/pago/resultado?id=<transaction id>`): our record's "
        "status and amount, without a login (Wompi itself shows a transaction's status to "
        "anyone holding its id). 404 until Wompi's event has reached us; poll every few seconds."
    ),
)
def checkout_result(request: HttpRequest, transaction_id: str) -> Any:
    return selectors.payment_by_transaction(transaction_id)


@router.post(
    "/webhooks/wompi/",
    operation_id="receiveWompiEvent",
    auth=None,
    response={200: WebhookAck},
    summary="Eventos de Wompi (firma verificada)",
    # The handler reads the raw body (the checksum is computed over it), so the body is
    # documented here rather than parsed into a model: what parse_signed_event requires.
    # Unknown fields are allowed: Wompi may add fields to its events at any time.
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": WOMPI_EVENT_SCHEMA,
                    "example": WOMPI_EVENT_EXAMPLE,
                }
            },
        }
    },
)
def wompi_webhook(request: HttpRequest) -> Any:
    """Wompi's signed events (provider-to-server; frontends never call it). The checksum is
    verified before anything changes; duplicates are acknowledged once."""
    result = webhooks.process_wompi_event(
        request.body,
        header_checksum=request.headers.get("X-Event-Checksum"),
        ip=client_ip(request) or None,
    )
    if result.status_code != 200:
        message = "Firma inválida." if result.status_code == 401 else "Evento mal formado."
        code = "invalid_signature" if result.status_code == 401 else "bad_request"
        return JsonResponse(
            {"error": {"code": code, "message": message, "details": None}},
            status=result.status_code,
        )
    return {"ok": True, "outcome": result.outcome}


@router.get(
    "/cards/acceptance/",
    operation_id="getCardAcceptance",
    response=CardAcceptanceOut,
    summary="Documentos de Wompi a aceptar para guardar una tarjeta",
)
def card_acceptance(request: HttpRequest) -> Any:
    """Wompi's terms and personal-data documents, with the tokens the client accepts before
    a card is saved, and where the browser tokenizes the card."""
    return asdict(card_on_file.card_acceptance())


@router.get(
    "/cards/mine/",
    operation_id="getMySavedCard",
    response=SavedCardOut,
    summary="Mi tarjeta guardada",
)
def my_card(request: HttpRequest) -> Any:
    """The signed-in client's card on file, masked (brand and last four digits); 404 when
    there is none."""
    return asdict(saved_cards.saved_card(request.auth))


@router.put(
    "/cards/mine/",
    operation_id="setMySavedCard",
    response=SavedCardOut,
    summary="Guardar o reemplazar mi tarjeta",
)
def save_my_card(request: HttpRequest, payload: SaveCardIn) -> Any:
    """Save a tokenized card as the client's card on file, or replace the one saved (Wompi
    voids the old one). The acceptance of Wompi's documents is recorded with it. 422
    card_rejected when Wompi refuses the card or the tokens; 503 when it cannot be reached."""
    user = request.auth
    email = card_on_file.payer_email(public_id=user.public_id, email=getattr(user, "email", ""))
    card = saved_cards.save_card(
        user=user,
        customer_email=email,
        card_token=payload.card_token,
        acceptance_token=payload.acceptance_token,
        personal_data_token=payload.personal_data_token,
        acceptance_permalink=payload.acceptance_permalink,
        personal_data_permalink=payload.personal_data_permalink,
    )
    return asdict(card)


@router.delete(
    "/cards/mine/",
    operation_id="deleteMySavedCard",
    response={204: None},
    summary="Eliminar mi tarjeta guardada",
)
def delete_my_card(request: HttpRequest) -> Any:
    """Delete the client's card on file (Wompi voids it); 404 when there is none."""
    if not saved_cards.delete_card(request.auth):
        raise NotFound()
    return Status(204, None)


@router.api_operation(
    ["GET", "POST"], "/sandbox/p/", auth=None, include_in_schema=False, response=None
)
def sandbox_checkout(request: HttpRequest) -> HttpResponse:
    """The local sandbox's checkout page, only with WOMPI_ADAPTER=sandbox (never prod)."""
    if settings.WOMPI_ADAPTER != "sandbox" or settings.PRODUCTION:
        raise NotFound()
    from modules.payments.sandbox.views import checkout_page

    return checkout_page(request)


@router.api_operation(
    ["GET", "POST", "PUT"],
    "/sandbox/v1/{path:rest}",
    auth=None,
    include_in_schema=False,
    response=None,
)
def sandbox_api(request: HttpRequest, rest: str) -> HttpResponse:
    """The in-process sandbox's Wompi API over HTTP (WOMPI_ADAPTER=sandbox, never prod), so
    a browser can tokenize a test card (POST .../tokens/cards with the public key) for VIP."""
    if settings.WOMPI_ADAPTER != "sandbox" or settings.PRODUCTION:
        raise NotFound()
    from modules.payments.sandbox.views import api_call

    return api_call(request, rest)
