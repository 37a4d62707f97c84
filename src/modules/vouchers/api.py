"""HTTP under /api/vouchers/: gift cards (options, buy, mine, balance) and packages (on
sale, buy, mine). Parse, call a service, shape.

No ``from __future__ import annotations`` here: Ninja resolves ``Query[...]`` parameters
of paginated views from real annotations.
"""

from dataclasses import asdict
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Router, Status
from ninja.pagination import paginate

from modules.vouchers import gift_cards, packages, selectors
from modules.vouchers.models import GiftCard
from modules.vouchers.schemas import (
    GiftCardBalanceIn,
    GiftCardBalanceOut,
    GiftCardBuyIn,
    GiftCardOptionsOut,
    GiftCardOut,
    GiftCardPurchaseOut,
    PackageCheckoutOut,
    PackageOut,
    PackagePurchaseOut,
)
from platform_core.idempotency import idempotent
from platform_core.pagination import Pagination
from platform_core.ratelimit import RateThrottle

router = Router()


@router.get(
    "/gift-cards/options/",
    operation_id="getGiftCardOptions",
    auth=None,
    response=GiftCardOptionsOut,
    summary="Valores de las tarjetas de regalo",
)
def gift_card_options(request: HttpRequest) -> Any:
    """The values a gift card can be bought for and how long it lasts."""
    policy = selectors.policy()
    return {
        "denominations_cents": policy.denominations_cents,
        "allow_custom_amount": policy.allow_custom_amount,
        "min_amount_cents": policy.min_amount_cents,
        "max_amount_cents": policy.max_amount_cents,
        "validity_months": policy.gift_card_validity_months,
    }


@router.post(
    "/gift-cards/",
    operation_id="createGiftCardPurchase",
    response={201: GiftCardPurchaseOut},
    summary="Comprar una tarjeta de regalo",
)
@idempotent("vouchers.buy_gift_card")
def buy_gift_card(request: HttpRequest, payload: GiftCardBuyIn) -> Any:
    """Buy a gift card for someone: the answer carries the Wompi checkout. Once paid, the
    code is sent to the recipient on the chosen date (WhatsApp or e-mail); the buyer never
    sees it in full. Accepts Idempotency-Key."""
    bought = gift_cards.purchase(
        buyer=request.auth,
        amount_cents=payload.amount_cents,
        recipient=gift_cards.Recipient(
            name=payload.recipient_name,
            phone=payload.recipient_phone,
            email=payload.recipient_email,
            message=payload.message,
            channel=payload.channel,
            deliver_at=payload.deliver_at,
        ),
    )
    return Status(201, {"gift_card": bought.card, "payment": asdict(bought.checkout)})


@router.get(
    "/gift-cards/",
    operation_id="listMyGiftCards",
    response=list[GiftCardOut],
    summary="Tarjetas de regalo que compré",
)
@paginate(Pagination)
def my_gift_cards(request: HttpRequest) -> Any:
    """The cards the signed-in user bought (masked), newest first."""
    return selectors.cards_bought_by(request.auth)


@router.post(
    "/gift-cards/balance/",
    operation_id="getGiftCardBalance",
    auth=None,
    response=GiftCardBalanceOut,
    summary="Consultar el saldo de una tarjeta",
    # Codes are unguessable; the limit keeps it so (and typos never reach the database).
    throttle=RateThrottle("10/15m", scope="gift_card_balance"),
)
def gift_card_balance(request: HttpRequest, payload: GiftCardBalanceIn) -> Any:
    """The balance and expiry of the card a code names. A mistyped code is refused by its
    check symbol (404 `gift_card_code_invalid`), an unknown one is 404
    `gift_card_not_found`. At most 10 look-ups per 15 minutes."""
    card = selectors.card_by_code(payload.code)
    now = timezone.now()
    return {
        "card": f"····{card.code_hint}",
        "status": card.status,
        "balance_cents": card.balance_cents,
        "expires_at": card.expires_at,
        "usable": card.status == GiftCard.Status.ACTIVE
        and card.balance_cents > 0
        and card.expires_at is not None
        and card.expires_at > now,
    }


@router.get(
    "/packages/",
    operation_id="listPackages",
    auth=None,
    response=list[PackageOut],
    summary="Paquetes a la venta",
)
@paginate(Pagination)
def list_packages(request: HttpRequest) -> Any:
    """Bundles of sessions on sale (e.g. 5 masajes por el precio de 4)."""
    return selectors.packages_on_sale()


@router.post(
    "/packages/{package_code}/purchase/",
    operation_id="createPackagePurchase",
    response={201: PackageCheckoutOut},
    summary="Comprar un paquete",
)
@idempotent("vouchers.buy_package")
def buy_package(request: HttpRequest, package_code: str) -> Any:
    """Buy a package: the answer carries the Wompi checkout; the sessions are yours once
    it is paid. Accepts Idempotency-Key."""
    bought = packages.buy(buyer=request.auth, package_code=package_code)
    return Status(201, {"purchase": bought.purchase, "payment": asdict(bought.checkout)})


@router.get(
    "/my-packages/",
    operation_id="listMyPackages",
    response=list[PackagePurchaseOut],
    summary="Mis paquetes",
)
@paginate(Pagination)
def my_packages(request: HttpRequest) -> Any:
    """The signed-in user's packages and their sessions left (pay a booking with one by
    offering the purchase id as a `package_credit` tender)."""
    return selectors.purchases_of(request.auth)
