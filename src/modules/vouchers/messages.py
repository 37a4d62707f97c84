"""The Spanish messages vouchers sends (templates under
``templates/notifications/vouchers/``): purchase, delivery, redemption, upcoming expiry.
Each is written to the notifications outbox in the caller's transaction, with a key that
makes a repeated call (an outcome delivered twice, a beat run twice) send once."""

from __future__ import annotations

from modules.vouchers import codes, ports
from modules.vouchers.models import GiftCard, PackagePurchase
from platform_core.money import format_cop


def _card_holder(card: GiftCard) -> dict[str, object]:
    """Who hears about a card's use: its recipient when we have an address, else the buyer."""
    if card.recipient_phone or card.recipient_email:
        channel = card.channel or ("whatsapp" if card.recipient_phone else "email")
        return {"phone": card.recipient_phone, "email": card.recipient_email, "channel": channel}
    if card.purchaser_id and card.purchaser_erased_at is None:
        return {"user": ports.user(card.purchaser_id)}
    return {}


def card_purchased(card: GiftCard) -> None:
    if not card.purchaser_id:
        return
    ports.notify(
        template="vouchers/gift_card_purchased",
        context={
            "amount": format_cop(card.amount_cents),
            "recipient_name": card.recipient_name,
            "deliver_on": ports.local_date(card.deliver_at) if card.deliver_at else "",
            "card": codes.masked(card.code_hint),
        },
        key=f"vouchers.card.{card.public_id}.purchased",
        user=ports.user(card.purchaser_id),
    )


def card_delivery(card: GiftCard, code: str) -> None:
    ports.notify(
        template="vouchers/gift_card_delivery",
        context={
            "recipient_name": card.recipient_name,
            "from_name": _purchaser_name(card),
            "message": card.message,
            "amount": format_cop(card.amount_cents),
            "code": codes.display(code),
            "expires_on": ports.local_date(card.expires_at) if card.expires_at else "",
        },
        key=f"vouchers.card.{card.public_id}.delivery",
        phone=card.recipient_phone,
        email=card.recipient_email,
        channel=card.channel,
    )


def _purchaser_name(card: GiftCard) -> str:
    if not card.purchaser_id or card.purchaser_erased_at is not None:
        return ""
    return ports.user(card.purchaser_id).first_name


def card_redeemed(card: GiftCard, amount_cents: int, hold_id: str) -> None:
    holder = _card_holder(card)
    if holder:
        ports.notify(
            template="vouchers/gift_card_redeemed",
            context={
                "card": codes.masked(card.code_hint),
                "amount": format_cop(amount_cents),
                "balance": format_cop(card.balance_cents),
            },
            key=f"vouchers.hold.{hold_id}.captured",
            **holder,  # type: ignore[arg-type]
        )


def card_expiring(card: GiftCard) -> None:
    holder = _card_holder(card)
    if holder:
        ports.notify(
            template="vouchers/expiry_reminder",
            context={
                "what": f"tu tarjeta de regalo {codes.masked(card.code_hint)}",
                "left": format_cop(card.balance_cents),
                "expires_on": ports.local_date(card.expires_at),  # type: ignore[arg-type]
            },
            key=f"vouchers.card.{card.public_id}.expiring",
            **holder,  # type: ignore[arg-type]
        )


def package_purchased(purchase: PackagePurchase) -> None:
    ports.notify(
        template="vouchers/package_purchased",
        context={
            "package": purchase.package.name,
            "sessions": purchase.sessions,
            "expires_on": ports.local_date(purchase.expires_at),  # type: ignore[arg-type]
        },
        key=f"vouchers.package.{purchase.public_id}.purchased",
        user=ports.user(purchase.user_id),
    )


def credit_used(purchase: PackagePurchase, hold_id: str) -> None:
    ports.notify(
        template="vouchers/package_credit_used",
        context={"package": purchase.package.name, "left": purchase.credits_left},
        key=f"vouchers.hold.{hold_id}.captured",
        user=ports.user(purchase.user_id),
    )


def package_expiring(purchase: PackagePurchase) -> None:
    ports.notify(
        template="vouchers/expiry_reminder",
        context={
            "what": f"tu paquete {purchase.package.name}",
            "left": f"{purchase.credits_left} sesion{'es' if purchase.credits_left != 1 else ''}",
            "expires_on": ports.local_date(purchase.expires_at),  # type: ignore[arg-type]
        },
        key=f"vouchers.package.{purchase.public_id}.expiring",
        user=ports.user(purchase.user_id),
    )
