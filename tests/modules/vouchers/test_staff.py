"""Staff: issue (the code shown once, audited), void with a reason, package refunds; the
admin pages in Spanish; what each role may do (declared by the plugin only)."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import Group
from django.test import Client

from modules.vouchers import codes, gift_cards
from modules.vouchers.errors import CardNotVoidable
from modules.vouchers.models import GiftCard
from platform_core.errors import ValidationFailed
from platform_core.models import AuditEvent
from tests.factories import UserFactory
from tests.modules.vouchers.conftest import active_card

pytestmark = pytest.mark.django_db


def test_issue_returns_the_code_once_and_stores_only_its_digest(user) -> None:
    card, code = active_card(user, 5_000_000)
    assert codes.normalise(code) == code
    card.refresh_from_db()
    assert card.status == GiftCard.Status.ACTIVE and card.balance_cents == 5_000_000
    assert card.code_pending_delivery == ""  # handed over in person: nothing kept
    assert code not in str(GiftCard.objects.filter(pk=card.pk).values().get())
    event = AuditEvent.objects.get(action="vouchers.gift_card_issued")
    assert event.actor_id == user.id and event.details["card"] == code[-4:]


def test_void_needs_a_reason_and_writes_off_the_balance(user) -> None:
    card, _ = active_card(user)
    with pytest.raises(ValidationFailed):
        gift_cards.void(card_id=card.pk, actor=user, reason="  ")
    gift_cards.void(card_id=card.pk, actor=user, reason="Reportada como perdida")
    card.refresh_from_db()
    assert (card.status, card.balance_cents) == (GiftCard.Status.VOIDED, 0)
    assert list(card.entries.values_list("kind", "amount_cents")) == [
        ("issue", 10_000_000),
        ("void", -10_000_000),
    ]
    assert AuditEvent.objects.filter(action="vouchers.gift_card_voided").count() == 1
    with pytest.raises(CardNotVoidable):
        gift_cards.void(card_id=card.pk, actor=user, reason="otra vez")


def _staff(role: str) -> Client:
    member = UserFactory(is_staff=True, roles=[role])
    client = Client()
    client.force_login(member)
    return client


def test_reception_issues_a_card_in_the_admin_and_sees_the_code_once(
    staff_role_permissions,
) -> None:
    client = _staff("reception")
    page = client.get("/admin/vouchers/giftcard/add/")
    assert page.status_code == 200
    response = client.post(
        "/admin/vouchers/giftcard/add/",
        {
            "amount_pesos": "80000",
            "recipient_name": "Marta",
            "recipient_phone": "",
            "recipient_email": "",
            "message": "",
            "channel": "",
            "deliver_at_0": "",
            "deliver_at_1": "",
            "note": "cortesía",
        },
        follow=True,
    )
    assert response.status_code == 200
    shown = [str(m) for m in response.context["messages"]]
    code = re.search(r"\(se muestra solo esta vez\): ([0-9A-Z-]+)", shown[0]).group(1)
    card = GiftCard.objects.get()
    assert codes.digest(codes.normalise(code)) == card.code_digest
    assert card.balance_cents == 8_000_000 and card.source == GiftCard.Source.STAFF
    # Reception may not void (no void permission): the reason field is not editable.
    change = client.get(f"/admin/vouchers/giftcard/{card.pk}/change/")
    assert change.status_code == 200
    assert b'name="void_reason"' not in change.content
    assert code.encode() not in change.content


def test_admin_voids_in_the_admin(staff_role_permissions, user) -> None:
    card, _ = active_card(user)
    client = _staff("admin")
    response = client.post(
        f"/admin/vouchers/giftcard/{card.pk}/change/",
        {"void_reason": "Compra con tarjeta robada", **_empty_inlines()},
        follow=True,
    )
    assert response.status_code == 200
    card.refresh_from_db()
    assert card.status == GiftCard.Status.VOIDED and card.void_reason == "Compra con tarjeta robada"


def _empty_inlines() -> dict[str, str]:
    return {
        "entries-TOTAL_FORMS": "0",
        "entries-INITIAL_FORMS": "1",
        "entries-MIN_NUM_FORMS": "0",
        "entries-MAX_NUM_FORMS": "1000",
    }


def test_roles_come_from_the_plugin(staff_role_permissions) -> None:
    reception = Group.objects.get(name="reception")
    admin = Group.objects.get(name="admin")
    granted = set(
        reception.permissions.filter(content_type__app_label="vouchers").values_list(
            "codename", flat=True
        )
    )
    assert {"add_giftcard", "view_giftcard", "view_packagepurchase"} <= granted
    assert "void_giftcard" not in granted and "refund_packagepurchase" not in granted
    assert admin.permissions.filter(codename="void_giftcard").exists()
    assert admin.permissions.filter(codename="refund_packagepurchase").exists()


def test_packages_import_and_export_with_their_services(user) -> None:
    import tablib

    from modules.vouchers.models import Package
    from modules.vouchers.resources import GiftCardResource, PackageResource

    rows = tablib.Dataset(
        headers=[
            "codigo",
            "nombre",
            "descripcion",
            "sesiones",
            "precio_centavos",
            "vigencia_dias",
            "a_la_venta",
            "servicios",
        ]
    )
    rows.append(["3-faciales", "3 faciales", "", 3, 30_000_000, 180, 1, "FACIAL-60|FACIAL-90"])
    result = PackageResource().import_data(rows, dry_run=False, user=user)
    assert not result.has_errors() and not result.has_validation_errors()
    package = Package.objects.get(code="3-faciales")
    assert package.service_codes == ["FACIAL-60", "FACIAL-90"]
    rows[0] = ["3-faciales", "3 faciales", "", 3, 30_000_000, 180, 1, "FACIAL-90"]
    PackageResource().import_data(rows, dry_run=False, user=user)
    assert Package.objects.get(code="3-faciales").service_codes == ["FACIAL-90"]
    assert AuditEvent.objects.filter(action="vouchers.packages_imported").count() == 2
    exported = PackageResource().export().dict[0]
    assert exported["servicios"] == "FACIAL-90" and str(exported["precio_centavos"]) == "30000000"

    _card, code = active_card(user, 5_000_000)
    [row] = GiftCardResource().export().dict
    assert row["tarjeta"] == f"····{code[-4:]}" and str(row["saldo_centavos"]) == "5000000"
    assert code not in str(row)
