"""Read-only queries: the policy, cards by code, a user's cards and packages."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from modules.vouchers import codes
from modules.vouchers.errors import CardNotFound, InvalidCode
from modules.vouchers.models import (
    GiftCard,
    Package,
    PackagePurchase,
    PackageService,
    VoucherPolicy,
)
from platform_core.accounts import UserRef


def policy() -> VoucherPolicy:
    """The spa's voucher rules (created with the defaults on first use)."""
    found, _ = VoucherPolicy.objects.get_or_create(pk=1)
    return found


def normalised_code(raw: str) -> str:
    code = codes.normalise(raw)
    if code is None:
        raise InvalidCode()
    return code


def card_by_code(raw: str) -> GiftCard:
    """The card a typed code names. Raises InvalidCode (typo) or CardNotFound."""
    card = GiftCard.objects.filter(code_digest=codes.digest(normalised_code(raw))).first()
    if card is None or card.status in (GiftCard.Status.PENDING_PAYMENT, GiftCard.Status.CANCELLED):
        raise CardNotFound()
    return card


def packages_on_sale() -> QuerySet[Package]:
    return Package.objects.filter(active=True).prefetch_related(
        Prefetch("services", queryset=PackageService.objects.order_by("service_code"))
    )


def purchases_of(user: UserRef) -> QuerySet[PackagePurchase]:
    return (
        PackagePurchase.objects.filter(user_id=user.id)
        .exclude(status=PackagePurchase.Status.CANCELLED)
        .select_related("package")
        .prefetch_related("package__services")
    )


def cards_bought_by(user: UserRef) -> QuerySet[GiftCard]:
    return GiftCard.objects.filter(purchaser_id=user.id).exclude(status=GiftCard.Status.CANCELLED)
