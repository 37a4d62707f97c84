"""/api/finances/vip/: VIP plans, Wompi's acceptance documents, the member's subscription.

Mounted under payments' prefix (the plugin's ``prefix="finances/vip/"``): the paths,
operation ids and shapes are the ones payments served before membership became its own
module (issue 16); only the operations' tag changed (membership). docs/membership.md.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from django.http import HttpRequest
from ninja import Router, Status
from ninja.pagination import paginate

from modules.membership import selectors, services
from modules.membership.schemas import AcceptanceOut, SubscribeIn, SubscriptionOut, VipPlanOut
from modules.payments import public as payments
from platform_core.errors import NotFound
from platform_core.pagination import Pagination

router = Router()


@router.get(
    "/plans/",
    operation_id="listVipPlans",
    auth=None,
    response=list[VipPlanOut],
    summary="Planes VIP",
)
@paginate(Pagination)
def vip_plans(request: HttpRequest) -> Any:
    """The VIP membership plans on sale."""
    return selectors.active_plans()


@router.get(
    "/acceptance/",
    operation_id="getVipAcceptance",
    response=AcceptanceOut,
    summary="Documentos de Wompi a aceptar",
)
def vip_acceptance(request: HttpRequest) -> Any:
    """Wompi's documents the user must accept before a card is stored (terms and personal-data
    policy), with their tokens."""
    return asdict(payments.card_acceptance())


@router.post(
    "/subscription/",
    operation_id="subscribeToVip",
    response={201: SubscriptionOut},
    summary="Suscribirse a VIP",
)
def vip_subscribe(request: HttpRequest, payload: SubscribeIn) -> Any:
    """Subscribe to a VIP plan with a tokenized card: the first month is charged now, the card
    is kept for renewals."""
    sub = services.subscribe(
        user=request.auth,
        plan_code=payload.plan_code,
        card_token=payload.card_token,
        acceptance_token=payload.acceptance_token,
        personal_data_token=payload.personal_data_token,
        acceptance_permalink=payload.acceptance_permalink,
        personal_data_permalink=payload.personal_data_permalink,
    )
    return Status(201, sub)


@router.get(
    "/subscription/",
    operation_id="getMyVipSubscription",
    response=SubscriptionOut,
    summary="Mi membresía VIP",
)
def vip_subscription(request: HttpRequest) -> Any:
    """The signed-in user's latest VIP subscription."""
    sub = selectors.latest_subscription(request.auth)
    if sub is None:
        raise NotFound()
    return sub


@router.post(
    "/subscription/cancel/",
    operation_id="cancelVipRenewal",
    response=SubscriptionOut,
    summary="Cancelar renovación VIP",
)
def vip_cancel(request: HttpRequest) -> Any:
    """Stop the VIP renewal: the membership lasts until the end of the paid period."""
    return services.cancel(user=request.auth)
