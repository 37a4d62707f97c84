"""Vouchers as payments' tenders (``ModulePlugin.tenders``): a gift card pays what its balance
covers of any checkout; a package credit pays one whole session of a service its package
includes.

Payments calls these inside its own transaction (database work only). Each locks its rows
(the hold row, then the card or the purchase), is idempotent per hold id (capture twice =
once, release after capture = nothing, a refund never returns more than was held) and moves
value only through the ledger, whose check constraints keep balances and credits at zero or
above. Twenty checkouts racing for one card's full balance: the first to lock the card holds
it all, the others find nothing left and are refused (409 while it is held).
"""

from __future__ import annotations

import secrets
import uuid

from django.utils import timezone
from django.utils.translation import gettext as _

from modules.payments.public import (
    TenderContext,
    TenderHold,
    TenderLine,
    TenderOffer,
    TenderRefused,
)
from modules.vouchers import codes, ledger, messages
from modules.vouchers.models import (
    CreditEntry,
    GiftCard,
    GiftCardEntry,
    PackagePurchase,
)
from modules.vouchers.models import (
    TenderHold as Hold,
)
from platform_core.money import format_cop


def _new_hold_id(prefix: str) -> str:
    return f"{prefix}-{secrets.token_hex(12)}"


def _lock_hold(hold_id: str) -> Hold | None:
    return Hold.objects.select_for_update().filter(hold_id=hold_id).first()


def _held_elsewhere() -> TenderRefused:
    return TenderRefused(
        _("Este saldo está en uso en otro pago en curso. Intenta de nuevo en unos minutos."),
        code="tender_in_use",
        status_code=409,
    )


def _repeated() -> TenderRefused:
    # Payments rejects a code typed twice verbatim; the same card or package spelled two ways
    # (dashes, case) only shows up here, once the code names a row.
    return TenderRefused(
        _("Usaste el mismo bono o crédito más de una vez."), code="tender_repeated"
    )


def _held_here(context: TenderContext, **source: object) -> Hold | None:
    """A hold this same checkout already took on the source (card or purchase)."""
    return Hold.objects.filter(
        payment_reference=context.payment_reference, state=Hold.State.HELD, **source
    ).first()


class GiftCardTender:
    """Kind ``gift_card``: the offer's code is the card's code as printed."""

    def hold(self, offer: TenderOffer, context: TenderContext) -> TenderHold:
        code = codes.normalise(offer.code)
        if code is None:
            raise TenderRefused(
                _("El código de la tarjeta de regalo no es válido. Revisa que esté bien escrito."),
                code="gift_card_code_invalid",
            )
        card = ledger.lock_card(code_digest=codes.digest(code))
        if card is None or card.status in (
            GiftCard.Status.PENDING_PAYMENT,
            GiftCard.Status.CANCELLED,
        ):
            raise TenderRefused(_("No encontramos una tarjeta de regalo con ese código."))
        if card.status == GiftCard.Status.VOIDED:
            raise TenderRefused(_("Esta tarjeta de regalo fue anulada."))
        if _held_here(context, card=card):
            raise _repeated()
        if card.expires_at is None or card.expires_at <= timezone.now():
            raise TenderRefused(
                _("Esta tarjeta de regalo venció el %(day)s.")
                % {"day": timezone.localtime(card.expires_at).strftime("%d/%m/%Y")}
                if card.expires_at
                else _("Esta tarjeta de regalo no está activa.")
            )
        if card.balance_cents <= 0:
            if card.holds.filter(state=Hold.State.HELD).exists():
                raise _held_elsewhere()
            raise TenderRefused(_("Esta tarjeta de regalo ya no tiene saldo."))
        amount = min(card.balance_cents, context.amount_cents)
        hold = Hold.objects.create(
            hold_id=_new_hold_id("GC"),
            card=card,
            amount_cents=amount,
            purpose=context.purpose,
            ref=context.ref,
            payment_reference=context.payment_reference,
        )
        ledger.move_balance(card, GiftCardEntry.Kind.HOLD, -amount, hold=hold)
        return TenderHold(hold_id=hold.hold_id, amount_cents=amount, label=card.label)

    def capture(self, hold_id: str) -> None:
        hold = _lock_hold(hold_id)
        if hold is None or hold.state != Hold.State.HELD:
            return
        hold.state = Hold.State.CAPTURED
        hold.save(update_fields=["state", "updated_at"])
        card = ledger.lock_card(pk=hold.card_id)
        messages.card_redeemed(card, hold.amount_cents, hold.hold_id)  # type: ignore[arg-type]

    def release(self, hold_id: str) -> None:
        hold = _lock_hold(hold_id)
        if hold is None or hold.state != Hold.State.HELD:
            return
        hold.state = Hold.State.RELEASED
        hold.save(update_fields=["state", "updated_at"])
        card = ledger.lock_card(pk=hold.card_id)
        ledger.move_balance(card, GiftCardEntry.Kind.RELEASE, hold.amount_cents, hold=hold)  # type: ignore[arg-type]

    def refund(self, hold_id: str, amount_cents: int) -> None:
        hold = _lock_hold(hold_id)
        if hold is None:
            return
        if hold.state == Hold.State.HELD:  # never captured: giving it back is a release
            self.release(hold_id)
            return
        amount = min(amount_cents, hold.amount_cents - hold.refunded_cents)
        if hold.state == Hold.State.RELEASED or amount <= 0:
            return
        hold.refunded_cents += amount
        if hold.refunded_cents == hold.amount_cents:
            hold.state = Hold.State.REFUNDED
        hold.save(update_fields=["refunded_cents", "state", "updated_at"])
        card = ledger.lock_card(pk=hold.card_id)
        # Back on the card, even a voided or expired one: staff see it in its ledger.
        ledger.move_balance(
            card,  # type: ignore[arg-type]
            GiftCardEntry.Kind.REFUND,
            amount,
            hold=hold,
            note=f"{hold.purpose} {hold.ref}",
        )


class PackageCreditTender:
    """Kind ``package_credit``: the offer's code is the purchase's id (``/my-packages/``);
    it pays one session of a service line its package includes, for its owner only."""

    # A credit pays a whole session, not money: with it booking charges the service's full
    # price instead of a deposit (payments.public.tenders_prepay; lead's decision in
    # /work/notes/TENDERS.md), so one credit covers the appointment.
    prepays_items = True

    def hold(self, offer: TenderOffer, context: TenderContext) -> TenderHold:
        if context.customer is None:
            raise TenderRefused(_("Inicia sesión para pagar con tu paquete."))
        try:
            public_id = uuid.UUID(offer.code)
        except ValueError:
            raise TenderRefused(_("No encontramos ese paquete.")) from None
        purchase = ledger.lock_purchase(public_id=public_id, user_id=context.customer.id)
        if purchase is None or purchase.status != PackagePurchase.Status.ACTIVE:
            raise TenderRefused(_("No encontramos ese paquete entre los tuyos."))
        if purchase.expires_at is None or purchase.expires_at <= timezone.now():
            raise TenderRefused(_("Tu paquete %(name)s venció.") % {"name": purchase.package.name})
        if _held_here(context, purchase=purchase):
            raise _repeated()
        line = self._unpaid_line(purchase, context)
        if line is None:
            raise TenderRefused(
                _("Tu paquete %(name)s no incluye este servicio.") % {"name": purchase.package.name}
            )
        if purchase.credits_left <= 0:
            if purchase.holds.filter(state=Hold.State.HELD).exists():
                raise _held_elsewhere()
            raise TenderRefused(
                _("Ya usaste todas las sesiones de tu paquete %(name)s.")
                % {"name": purchase.package.name}
            )
        amount = min(line.amount_cents, context.amount_cents)
        hold = Hold.objects.create(
            hold_id=_new_hold_id("PK"),
            purchase=purchase,
            amount_cents=amount,
            service_code=line.code,
            purpose=context.purpose,
            ref=context.ref,
            payment_reference=context.payment_reference,
        )
        ledger.move_credits(purchase, CreditEntry.Kind.HOLD, -1, hold=hold)
        label = _("Paquete %(name)s (1 sesión)") % {"name": purchase.package.name}
        return TenderHold(hold_id=hold.hold_id, amount_cents=amount, label=label)

    @staticmethod
    def _unpaid_line(purchase: PackagePurchase, context: TenderContext) -> TenderLine | None:
        """The first service line the package includes that no other credit of this checkout
        pays already (two packages never pay one session twice)."""
        included = set(purchase.package.service_codes)
        taken = list(
            Hold.objects.filter(
                payment_reference=context.payment_reference,
                state=Hold.State.HELD,
                purchase__isnull=False,
            ).values_list("service_code", flat=True)
        )
        for line in context.lines:
            if line.kind != "service" or line.code not in included:
                continue
            if line.code in taken:
                taken.remove(line.code)
                continue
            return line
        return None

    def capture(self, hold_id: str) -> None:
        hold = _lock_hold(hold_id)
        if hold is None or hold.state != Hold.State.HELD:
            return
        hold.state = Hold.State.CAPTURED
        hold.save(update_fields=["state", "updated_at"])
        messages.credit_used(ledger.lock_purchase(pk=hold.purchase_id), hold.hold_id)  # type: ignore[arg-type]

    def release(self, hold_id: str) -> None:
        self._give_back(hold_id, CreditEntry.Kind.RELEASE, only_held=True)

    def refund(self, hold_id: str, amount_cents: int) -> None:
        """The session comes back once the refunds reach what it paid (a cancellation in
        time refunds it all; a no-show or a late cancellation refunds nothing: consumed)."""
        hold = _lock_hold(hold_id)
        if hold is None:
            return
        if hold.state == Hold.State.HELD:
            self.release(hold_id)
            return
        if hold.state != Hold.State.CAPTURED:
            return
        hold.refunded_cents = min(hold.amount_cents, hold.refunded_cents + amount_cents)
        hold.save(update_fields=["refunded_cents", "updated_at"])
        if hold.refunded_cents == hold.amount_cents:
            self._give_back(hold_id, CreditEntry.Kind.REFUND, only_held=False)

    def _give_back(self, hold_id: str, kind: str, *, only_held: bool) -> None:
        hold = _lock_hold(hold_id)
        if hold is None:
            return
        if only_held and hold.state != Hold.State.HELD:
            return
        if not only_held and hold.state != Hold.State.CAPTURED:
            return
        hold.state = Hold.State.RELEASED if only_held else Hold.State.REFUNDED
        hold.save(update_fields=["state", "updated_at"])
        purchase = ledger.lock_purchase(pk=hold.purchase_id)
        note = f"{hold.purpose} {hold.ref}: {format_cop(hold.amount_cents)}"
        ledger.move_credits(purchase, kind, 1, hold=hold, note=note)  # type: ignore[arg-type]


gift_card = GiftCardTender()
package_credit = PackageCreditTender()
