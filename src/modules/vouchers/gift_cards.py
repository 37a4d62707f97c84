"""Gift cards: bought online (a payments checkout; the settled payment issues the card),
issued by staff, voided by staff, delivered to their recipient on the chosen date."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from dateutil.relativedelta import relativedelta
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from modules.payments.public import CheckoutDTO
from modules.vouchers import codes, ledger, messages, ports, selectors
from modules.vouchers.errors import CardNotVoidable, InvalidAmount, InvalidDelivery
from modules.vouchers.models import Channel, GiftCard, GiftCardEntry, VoucherPolicy
from platform_core.accounts import UserRef
from platform_core.errors import ValidationFailed
from platform_core.money import format_cop
from platform_core.phones import normalize_phone

MAX_DELIVERY_DELAY = timedelta(days=366)


@dataclass(frozen=True)
class Recipient:
    name: str = ""
    phone: str = ""
    email: str = ""
    message: str = ""
    channel: str = ""  # "whatsapp" | "email" | "" (handed over in person: no delivery)
    deliver_at: datetime | None = None  # None: as soon as the card is issued


@dataclass(frozen=True)
class Purchase:
    card: GiftCard
    checkout: CheckoutDTO


@dataclass(frozen=True)
class Issued:
    card: GiftCard
    code: str  # the full code: shown once to whoever issued it, never stored in clear


def validate_amount(amount_cents: int, policy: VoucherPolicy) -> None:
    if amount_cents in policy.denominations_cents:
        return
    if not policy.allow_custom_amount:
        raise InvalidAmount(
            _("Elige uno de los valores disponibles: %(values)s.")
            % {"values": ", ".join(format_cop(v) for v in policy.denominations_cents)}
        )
    if not policy.min_amount_cents <= amount_cents <= policy.max_amount_cents:
        raise InvalidAmount(
            _("El valor debe estar entre %(min)s y %(max)s.")
            % {
                "min": format_cop(policy.min_amount_cents),
                "max": format_cop(policy.max_amount_cents),
            }
        )
    if amount_cents % 100:
        raise InvalidAmount(_("El valor debe ser en pesos enteros."))


def clean_recipient(recipient: Recipient, *, now: datetime) -> Recipient:
    """The recipient with a normalised phone and a delivery date; refuses what cannot be
    delivered (no address for the chosen channel, a date in the past or too far ahead)."""
    phone = normalize_phone(recipient.phone) if recipient.phone else ""  # 422 invalid_phone
    if recipient.channel == Channel.WHATSAPP and not phone:
        raise InvalidDelivery(_("Indica el número de WhatsApp de quien recibe la tarjeta."))
    if recipient.channel == Channel.EMAIL and not recipient.email:
        raise InvalidDelivery(_("Indica el correo de quien recibe la tarjeta."))
    deliver_at = recipient.deliver_at or now
    if deliver_at < now - timedelta(minutes=5):
        raise InvalidDelivery(_("La fecha de entrega ya pasó."))
    if deliver_at > now + MAX_DELIVERY_DELAY:
        raise InvalidDelivery(_("La fecha de entrega puede ser como máximo en un año."))
    return Recipient(
        name=recipient.name.strip(),
        phone=phone,
        email=recipient.email.strip().lower(),
        message=recipient.message.strip(),
        channel=recipient.channel,
        deliver_at=max(deliver_at, now),
    )


def _new_card(amount_cents: int, recipient: Recipient, **fields: Any) -> tuple[GiftCard, str]:
    code = codes.generate()
    card = GiftCard.objects.create(
        code_digest=codes.digest(code),
        code_hint=code[-4:],
        # Kept (encrypted) only while a delivery is pending.
        code_pending_delivery=code if recipient.channel else "",
        amount_cents=amount_cents,
        recipient_name=recipient.name,
        recipient_phone=recipient.phone,
        recipient_email=recipient.email,
        message=recipient.message,
        channel=recipient.channel,
        deliver_at=recipient.deliver_at if recipient.channel else None,
        **fields,
    )
    return card, code


def purchase(*, buyer: Any, amount_cents: int, recipient: Recipient) -> Purchase:
    """A card bought online: pending until its payment settles (``activate``)."""
    if not recipient.channel:
        raise InvalidDelivery(_("Elige cómo enviar la tarjeta: WhatsApp o correo."))
    validate_amount(amount_cents, selectors.policy())
    recipient = clean_recipient(recipient, now=timezone.now())
    with transaction.atomic():
        card, _code = _new_card(
            amount_cents, recipient, source=GiftCard.Source.ONLINE, purchaser_id=buyer.id
        )
        checkout = ports.create_checkout(
            purpose=ports.PURPOSE_GIFT_CARD,
            ref=str(card.public_id),
            amount_cents=amount_cents,
            customer=buyer,
            description=_("Tarjeta de regalo StudioZens"),
        )
        card.payment_reference = checkout.reference
        card.save(update_fields=["payment_reference"])
    return Purchase(card=card, checkout=checkout)


def _start(card: GiftCard, *, actor: Any = None, now: datetime) -> None:
    """Make a locked card usable: its balance, its validity and its delivery."""
    card.status = GiftCard.Status.ACTIVE
    card.issued_at = now
    card.expires_at = now + relativedelta(months=selectors.policy().gift_card_validity_months)
    card.save(update_fields=["status", "issued_at", "expires_at"])
    ledger.move_balance(card, GiftCardEntry.Kind.ISSUE, card.amount_cents, actor=actor)
    if card.channel and card.deliver_at and card.deliver_at <= now:
        deliver(card, now=now)


def activate(*, ref: str, payment_reference: str, amount_cents: int) -> GiftCard | None:
    """The purchase was paid: issue the card (once; a repeated outcome changes nothing). A
    payment that arrives after the checkout expired is honoured too."""
    with transaction.atomic():
        card = ledger.lock_card(public_id=ref)
        if card is None or card.status not in (
            GiftCard.Status.PENDING_PAYMENT,
            GiftCard.Status.CANCELLED,
        ):
            return card
        if amount_cents != card.amount_cents:
            # Not the price of this card: nothing is issued, the money goes back.
            ports.request_refund(
                purpose=ports.PURPOSE_GIFT_CARD,
                ref=ref,
                amount_cents=amount_cents,
                reason="monto distinto al valor de la tarjeta",
            )
            return card
        card.payment_reference = payment_reference
        card.save(update_fields=["payment_reference"])
        _start(card, now=timezone.now())
        messages.card_purchased(card)
        return card


def cancel_unpaid(*, ref: str) -> None:
    """The purchase's payment failed or expired: the card never existed for anyone."""
    GiftCard.objects.filter(public_id=ref, status=GiftCard.Status.PENDING_PAYMENT).update(
        status=GiftCard.Status.CANCELLED, code_pending_delivery=""
    )


def issue(*, actor: UserRef, amount_cents: int, recipient: Recipient, note: str = "") -> Issued:
    """Staff issue a card (a courtesy, a sale at the desk, a replacement): usable at once.
    The full code is returned once; audited."""
    if amount_cents <= 0:
        raise InvalidAmount(_("El valor debe ser mayor que cero."))
    if amount_cents > selectors.policy().max_amount_cents:
        raise InvalidAmount(
            _("El valor máximo es %(max)s.")
            % {"max": format_cop(selectors.policy().max_amount_cents)}
        )
    now = timezone.now()
    recipient = clean_recipient(recipient, now=now)
    with transaction.atomic():
        card, code = _new_card(
            amount_cents, recipient, source=GiftCard.Source.STAFF, issued_by_id=actor.id
        )
        _start(card, actor=actor, now=now)
        ports.audit(
            "vouchers.gift_card_issued",
            actor=actor,
            target=f"vouchers.GiftCard:{card.public_id}",
            details={"amount_cents": amount_cents, "card": card.code_hint, "note": note[:255]},
        )
    return Issued(card=card, code=code)


def void(*, card_id: int, actor: UserRef, reason: str) -> GiftCard:
    """Staff void a card with a reason: its remaining balance is written off. Audited."""
    reason = reason.strip()
    if not reason:
        raise ValidationFailed(_("Indica el motivo de la anulación."))
    with transaction.atomic():
        card = ledger.lock_card(pk=card_id)
        if card is None or card.status != GiftCard.Status.ACTIVE:
            raise CardNotVoidable()
        _write_off(card, actor=actor, note=reason)
        ports.audit(
            "vouchers.gift_card_voided",
            actor=actor,
            target=f"vouchers.GiftCard:{card.public_id}",
            details={"card": card.code_hint, "reason": reason[:255]},
        )
        return card


def _write_off(card: GiftCard, *, actor: Any, note: str) -> None:
    if card.balance_cents:
        ledger.move_balance(
            card, GiftCardEntry.Kind.VOID, -card.balance_cents, actor=actor, note=note
        )
    card.status = GiftCard.Status.VOIDED
    card.voided_at = timezone.now()
    card.void_reason = note[:255]
    card.code_pending_delivery = ""
    card.save(update_fields=["status", "voided_at", "void_reason", "code_pending_delivery"])


def purchase_refunded(*, ref: str) -> None:
    """The money paid for the card went back to the buyer: what is left on it is void."""
    with transaction.atomic():
        card = ledger.lock_card(public_id=ref)
        if card is not None and card.status == GiftCard.Status.ACTIVE:
            _write_off(card, actor=None, note="compra reembolsada")


def deliver(card: GiftCard, *, now: datetime) -> None:
    """Send the code to the recipient (the outbox sends it after commit) and forget it."""
    code = card.code_pending_delivery
    if not code or card.status != GiftCard.Status.ACTIVE:
        return
    messages.card_delivery(card, code)
    card.delivered_at = now
    card.code_pending_delivery = ""
    card.save(update_fields=["delivered_at", "code_pending_delivery"])
