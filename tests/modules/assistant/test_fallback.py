"""When Gemini cannot answer, the deterministic menu takes over and can still book."""

from __future__ import annotations

from typing import Any

import pytest

from modules.assistant import gemini
from modules.assistant.models import ModelTurn, Proposal
from tests.modules.assistant.conftest import QUOTA, TIMEOUT, UNAVAILABLE, call, text

pytestmark = pytest.mark.django_db

QUESTION = "hola, ¿me ayudas?"


def _complete_booking_with_menu(whatsapp: Any, phone: str, tools: Any, user: Any) -> None:
    services = whatsapp.send(phone, "2")
    assert "*1.* Masaje relajante" in services[0]
    days = whatsapp.send(phone, "1")
    assert "*1.* sábado 28 de noviembre (2 horarios)" in days[0]
    slots = whatsapp.send(phone, "1")
    assert "*1.* 2:00 p. m. con Ana" in slots[0]
    proposal = whatsapp.send(phone, "1")
    assert "Masaje relajante" in proposal[0] and "¿Confirmas?" in proposal[0]
    assert tools.appointments == []
    done = whatsapp.send(phone, "si")
    assert done == ["¡Reserva creada!"]
    assert [(a["user_id"], a["service_code"]) for a in tools.appointments] == [
        (user.pk, "masaje-relajante")
    ]
    assert Proposal.objects.get().via_menu


@pytest.mark.parametrize("failure", [QUOTA, TIMEOUT, UNAVAILABLE], ids=["429", "timeout", "503"])
def test_gemini_failure_switches_to_menu_which_books(
    whatsapp: Any, fake_gemini: Any, user: Any, tools: Any, failure: Any
) -> None:
    fake_gemini.script(failure)
    replies = whatsapp.send(user.phone_number, QUESTION)
    assert "¡Hola" in replies[0] and "*2.* Reservar una cita" in replies[0]
    turn = ModelTurn.objects.get()
    assert turn.engine == "menu" and turn.reason in {"quota", "timeout", "http_503"}
    requests_before = len(fake_gemini.requests)
    _complete_booking_with_menu(whatsapp, user.phone_number, tools, user)
    assert len(fake_gemini.requests) == requests_before  # menu choices never hit the model


def test_failure_after_a_tool_round_still_falls_back(
    whatsapp: Any, fake_gemini: Any, user: Any
) -> None:
    fake_gemini.script(call("list_services"), QUOTA)
    replies = whatsapp.send(user.phone_number, QUESTION)
    assert "*2.* Reservar una cita" in replies[0]


def test_not_configured_uses_menu_end_to_end(
    whatsapp: Any, no_gemini: None, user: Any, tools: Any
) -> None:
    assert "*1.* Servicios y precios" in whatsapp.send(user.phone_number, "hola")[0]
    _complete_booking_with_menu(whatsapp, user.phone_number, tools, user)
    assert ModelTurn.objects.filter(reason="not_configured").exists()


def test_retries_with_backoff_before_falling_back(
    whatsapp: Any, fake_gemini: Any, user: Any, settings: Any
) -> None:
    settings.ASSISTANT_GEMINI_ATTEMPTS = 2
    gemini.inject_httpx_client(gemini._injected_httpx_client)  # rebuild with retries on
    fake_gemini.script(UNAVAILABLE, text("¡Hola!"))
    assert whatsapp.send(user.phone_number, "hola") == ["¡Hola!"]
    assert len(fake_gemini.requests) == 2


def test_breaker_opens_after_repeated_failures(
    whatsapp: Any, fake_gemini: Any, user: Any, settings: Any
) -> None:
    settings.ASSISTANT_GEMINI_CB_FAILURES = 2
    fake_gemini.script(QUOTA, QUOTA, text("no debería llegar"))
    for body in ("hola", "hola otra vez", "¿siguen ahí?"):
        whatsapp.send(user.phone_number, body)
    assert len(fake_gemini.requests) == 2
    assert ModelTurn.objects.filter(reason="breaker_open").count() == 1


def test_global_budget_protects_the_quota(
    whatsapp: Any, fake_gemini: Any, user: Any, settings: Any
) -> None:
    settings.GEMINI_REQUESTS_PER_MINUTE = 1
    fake_gemini.script(text("uno"), text("dos"))
    assert whatsapp.send(user.phone_number, "hola") == ["uno"]
    assert "*2.* Reservar una cita" in whatsapp.send(user.phone_number, "hola de nuevo")[0]
    assert ModelTurn.objects.filter(reason="budget").count() == 1


def test_menu_options(whatsapp: Any, no_gemini: None, user: Any, tools: Any) -> None:
    phone = user.phone_number
    assert "Masaje relajante — $ 120.000, 60 min" in whatsapp.send(phone, "1")[0]
    assert "No tienes citas próximas" in whatsapp.send(phone, "3")[0]
    tools.add(user, "facial", "2026-11-28T14:00:00-05:00")
    assert "facial — sáb 28/11 02:00 p. m." in whatsapp.send(phone, "3")[0]
    assert "Aceite de lavanda — $ 45.000" in whatsapp.send(phone, "4")[0]
    assert "no está en la lista" in (whatsapp.send(phone, "2") and whatsapp.send(phone, "9"))[0]
    assert "*1.* Servicios" in whatsapp.send(phone, "0")[0]
    assert "Te comunico con una persona" in whatsapp.send(phone, "7")[0]


def test_menu_slot_step_validation_and_gone_slot(
    whatsapp: Any, no_gemini: None, user: Any, monkeypatch: Any
) -> None:
    from tests.modules.assistant import fake_tools

    phone = user.phone_number
    whatsapp.send(phone, "2")
    whatsapp.send(phone, "1")
    whatsapp.send(phone, "1")
    assert "no está en la lista" in whatsapp.send(phone, "7")[0]
    monkeypatch.setattr(fake_tools, "SLOTS", [])  # taken by someone else meanwhile
    assert "no está disponible" in whatsapp.send(phone, "1")[0]
    whatsapp.send(phone, "2")
    assert "No encontré horarios libres" in whatsapp.send(phone, "1")[0]


def test_menu_for_unknown_number_asks_to_register(whatsapp: Any, no_gemini: None) -> None:
    assert "registrarme" in whatsapp.send("+573005550001", "2")[0]
    assert "registrarme" in whatsapp.send("+573005550001", "3")[0]


def test_menu_without_booking_tools(
    whatsapp: Any, no_gemini: None, user: Any, monkeypatch: Any
) -> None:
    monkeypatch.setattr("modules.assistant.toolbox.assistant_tools", dict)
    for choice in ("1", "2", "3", "4"):
        assert "no está disponible" in whatsapp.send(user.phone_number, choice)[0]
