"""In a real browser: a receptionist answers a handed-off WhatsApp conversation from the
inbox, and the owner opens the dashboard (screenshots in var/screenshots/)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from modules.assistant.models import Conversation, Message
from platform_core.notifications import record_inbound
from tests.factories import UserFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow, pytest.mark.postgres]


@pytest.fixture
def waiting_conversation() -> Conversation:
    client = UserFactory(phone_number="+573101230001", first_name="Felipe", last_name="Castro")
    conv = Conversation.objects.create(
        phone=client.phone_number,
        user=client,
        state=Conversation.State.HANDED_OFF,
        handed_off_at=timezone.now() - timedelta(minutes=4),
    )
    for minutes, direction, source, body in (
        (6, "in", "user", "Hola, ¿puedo pagar una parte en efectivo?"),
        (5, "out", "system", "Te comunico con una persona de nuestro equipo."),
        (2, "in", "user", "Gracias, quedo atento"),
    ):
        Message.objects.create(
            conversation=conv,
            direction=direction,
            source=source,
            body=body,
            created_at=timezone.now() - timedelta(minutes=minutes),
        )
    record_inbound(client.phone_number)
    return conv


def test_reception_answers_the_inbox_and_the_owner_opens_the_dashboard(
    login: Any, shot: Any, waiting_conversation: Conversation
) -> None:
    from modules.identity.staff import sync_role_permissions

    sync_role_permissions()
    reception = UserFactory(
        phone_number="+573101230002", first_name="Rocío", roles=["reception"], is_staff=True
    )
    owner = UserFactory(
        phone_number="+573101230003", first_name="Adriana", roles=["admin"], is_staff=True
    )

    page = login(reception)
    assert page.get_by_text("WhatsApp: esperan a una persona").is_visible()
    page.get_by_text("WhatsApp: esperan a una persona").click()
    page.wait_for_selector("table#result_list")
    assert page.locator(".sz-unread").first.inner_text() == "2"
    shot(page, "inbox-01-list")
    page.locator("table#result_list tbody tr th a").first.click()
    page.wait_for_selector("#sz-transcript")
    assert "Ventana de 24 h abierta" in page.content()
    page.fill("textarea[name=staff_reply]", "Hola Felipe, sí: el resto en efectivo en el spa.")
    page.click("input[name=_save]")
    page.wait_for_selector(".messagelist")
    assert "Respuesta enviada." in page.locator(".messagelist").inner_text()
    assert page.locator(".sz-staff").last.inner_text().startswith("Hola Felipe")
    shot(page, "inbox-02-answered", full_page=True)
    staff = Message.objects.get(source="staff")
    assert staff.author_id == reception.pk

    page = login(owner)
    page.goto(page.url + "tablero/?dias=30")
    page.wait_for_selector("canvas#chart-booking-occupancy")
    page.wait_for_function("() => !!window.Chart && Chart.getChart('chart-booking-occupancy')")
    assert "Ocupación por terapeuta" in page.content()
    shot(page, "dashboard-01-owner", full_page=True)
