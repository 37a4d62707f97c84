"""Export and erasure: a buyer's erasure keeps the card usable by its recipient."""

from __future__ import annotations

import pytest

from modules.vouchers import personal_data, selectors
from modules.vouchers.models import GiftCard
from platform_core.models import Notification
from tests.modules.vouchers.conftest import buy_card, settle

pytestmark = pytest.mark.django_db


def test_export_lists_cards_bought_and_packages(user, package) -> None:
    bought = buy_card(user, message="Para ti")
    settle(bought.checkout.reference)
    data = personal_data.export_user(user)
    [card] = data["gift_cards_bought"]
    assert card["recipient_name"] == "Laura" and card["message"] == "Para ti"
    assert card["balance_cents"] == 10_000_000 and card["card"].startswith("····")
    assert data["packages"] == []


def test_erasing_the_buyer_keeps_the_card_for_its_recipient(user) -> None:
    delivered = buy_card(user)
    settle(delivered.checkout.reference)
    unpaid = buy_card(user, name="Pedro")
    personal_data.erase_user(user)
    card = GiftCard.objects.get(pk=delivered.card.pk)
    assert card.purchaser_id is None and card.purchaser_erased_at is not None
    assert card.status == GiftCard.Status.ACTIVE and card.balance_cents == 10_000_000
    assert card.recipient_phone  # the recipient still hears about its use and expiry
    gone = GiftCard.objects.get(pk=unpaid.card.pk)
    assert (gone.recipient_name, gone.recipient_phone, gone.code_pending_delivery) == ("", "", "")
    assert personal_data.export_user(user)["gift_cards_bought"] == []
    delivery = Notification.objects.get(template="vouchers/gift_card_delivery")
    code = delivery.body.split("Tu código es ")[1].split(":")[0]
    assert selectors.card_by_code(code).pk == card.pk  # the recipient's code still works
