"""Table tests for the fallback's Spanish: dates and times, intents, catalog names."""

from __future__ import annotations

from datetime import date, datetime, time

import pytest

from modules.assistant import dates, nlu

MONDAY = datetime(2026, 12, 7, 10, 0)
A, T, N, M = dates.AFTERNOON, dates.EVENING, dates.EVENING, dates.MORNING


@pytest.mark.parametrize(
    ("text", "day", "part", "at"),
    [
        # The expressions dateparser alone does not read (docs/assistant.md).
        ("el viernes", date(2026, 12, 11), None, None),
        ("el sábado en la tarde", date(2026, 12, 12), A, None),
        ("el sabado a las 10", date(2026, 12, 12), M, time(10)),
        ("pasado mañana 4pm", date(2026, 12, 9), A, time(16)),
        ("mañana a las 3 de la tarde", date(2026, 12, 8), A, time(15)),
        ("hoy en la tarde", date(2026, 12, 7), A, None),
        ("mñn a las 3", date(2026, 12, 8), A, time(15)),
        ("mñn 4", date(2026, 12, 8), A, time(16)),
        # And the ones it does, through it.
        ("mañana a las 3pm", date(2026, 12, 8), A, time(15)),
        ("quiero un masaje relajante mañana a las 3pm", date(2026, 12, 8), A, time(15)),
        ("15 de diciembre a las 11am", date(2026, 12, 15), M, time(11)),
        ("20/12", date(2026, 12, 20), None, None),
        ("el 20", date(2026, 12, 20), None, None),
        # Parts of the day, clock forms.
        ("el sábado en la mañana", date(2026, 12, 12), M, None),
        ("mañana en la mañana", date(2026, 12, 8), M, None),
        ("a las 3", None, A, time(15)),
        ("3pm", None, A, time(15)),
        ("3 p. m.", None, A, time(15)),
        ("a las 10 y media", None, M, time(10, 30)),
        ("11:30", None, M, time(11, 30)),
        ("a las 9 de la mañana", None, M, time(9)),
        ("al mediodía", None, A, time(12)),
        ("en la noche", None, N, None),
        ("jueves 4:30 pm", date(2026, 12, 10), A, time(16, 30)),
        ("el lunes", date(2026, 12, 7), None, None),
        ("el próximo lunes", date(2026, 12, 14), None, None),
        ("quiero 2 masajes", None, None, None),
        ("15 de diciembre", date(2026, 12, 15), None, None),
        # WhatsApp in Bogotá (tests/assistant/eval/whatsapp/bogota.yaml).
        ("x la mañana el viernes", date(2026, 12, 11), M, None),
        ("pa la tarde", None, A, None),
        ("pal 24", date(2026, 12, 24), None, None),
        ("el 24 en la tarde", date(2026, 12, 24), A, None),
        ("pasado mañana a mediodia", date(2026, 12, 9), A, time(12)),
        ("mñn en la noche", date(2026, 12, 8), N, None),
        ("hoy a las 8 de la noche", date(2026, 12, 7), N, time(20)),
        # A weekday with its day of the month is a date; with another number, an hour.
        ("pal lunes 14 a las 10", date(2026, 12, 14), M, time(10)),
        ("el sabado 12", date(2026, 12, 12), None, None),
        ("el sabado 11", date(2026, 12, 12), M, time(11)),
        ("el 31 de febrero", None, None, None),
        ("el viernes a las 4 y 30", date(2026, 12, 11), A, time(16, 30)),
    ],
)
def test_spanish_dates(text: str, day: date | None, part: str | None, at: time | None) -> None:
    assert dates.parse(text, now=MONDAY) == dates.When(day=day, part=part, at=at)


SERVICES = [
    {"code": "RELAX", "name": "Masaje relajante 60 min", "category": "Masajes"},
    {"code": "PIEDRAS", "name": "Masaje con piedras calientes 90 min", "category": "Masajes"},
    {"code": "PAREJA", "name": "Masaje en pareja 60 min", "category": "Masajes"},
    {"code": "FACIAL", "name": "Facial hidratante", "category": "Faciales"},
]
THERAPISTS = [{"id": "t1", "name": "Tatiana"}, {"id": "t2", "name": "Tomás"}]


@pytest.mark.parametrize(
    ("text", "intent", "service"),
    [
        # The phrases quoted in issue 19.
        ("hola", nlu.GREETING, None),
        ("¿Cuánto cuesta un masaje?", nlu.PRICES, None),
        ("quiero un masaje relajante mañana a las 3pm", nlu.BOOK, "RELAX"),
        ("cancela mi cita", nlu.CANCEL, None),
        ("¿dónde está mi pedido?", nlu.ORDER_STATUS, None),
        # Typos, accents, WhatsApp spellings.
        ("kiero reservar un masage con piedras pa mñn", nlu.BOOK, "PIEDRAS"),
        ("canselar mi sita", nlu.CANCEL, None),
        ("q precio tiene el facial xfa", nlu.PRICES, "FACIAL"),
        ("necesito cambiar mi cita para el viernes", nlu.RESCHEDULE, None),
        ("a q hora abren el domingo", nlu.HOURS, None),
        ("soy vip?", nlu.VIP, None),
        ("quiero hablar con una persona", nlu.HUMAN, None),
        ("tienen espacio el sabado en la tarde?", nlu.BOOK, None),
        ("cuando es mi cita", nlu.MY_APPOINTMENTS, None),
        ("holaaa", nlu.GREETING, None),
        ("masaje relajnte", nlu.PRICES, "RELAX"),
        ("masaje en pareja el 20 de diciembre", nlu.BOOK, "PAREJA"),
        ("asdfgh", nlu.UNKNOWN, None),
        # WhatsApp in Bogotá, misread before the sixth sitting (eval/whatsapp/bogota.yaml).
        ("listo muchas gracias, nos vemos el sabado", nlu.THANKS, None),
        ("okk", nlu.THANKS, None),
        ("vale", nlu.THANKS, None),
        ("Hi! how much is a massage?", nlu.PRICES, None),
        ("Hello, do you speak English?", nlu.UNKNOWN, None),
        ("a q horas es mi cita??", nlu.MY_APPOINTMENTS, None),
        ("se me cruzo algo, me la pueden correr pal viernes a las 4?", nlu.RESCHEDULE, None),
        ("quiero comprar una tarjeta de regalo pa mi mama", nlu.GIFT_CARD, None),
        ("cuanto saldo tiene mi bono 7Q2K-M9XH-3TBD-PW4J", nlu.GIFT_CARD, None),
        ("me pasas con una persona de verdad xfa", nlu.HUMAN, None),
        ("necesito que me atienda alguien de verdad", nlu.HUMAN, None),
        ("este bot no sirve pa nada, quiero poner una queja", nlu.HUMAN, None),
        ("hp bot inutil", nlu.HUMAN, None),
        ("me confirma mi cita del jueves?", nlu.MY_APPOINTMENTS, None),
        ("quiero cancelar la membresia vip", nlu.HUMAN, None),
        ("cancelar mi pedido", nlu.HUMAN, None),
        ("se puede pagar con nequi?", nlu.PAYMENT, None),
        ("cuanto tengo que pagar por el masaje relajante", nlu.PRICES, "RELAX"),
        ("GANA $500.000 DESDE CASA escribe a bit.ly/plata-facil", nlu.UNKNOWN, None),
        ("q tal, el domingo abren pa un facial?", nlu.BOOK, "FACIAL"),
        (
            "mire le cuento que fui la semana pasada, quisiera un masaje relajante el sabado "
            "porque es el cumpleaños de mi esposo",
            nlu.BOOK,
            "RELAX",
        ),
    ],
)
def test_intents_and_services(text: str, intent: str, service: str | None) -> None:
    understood = nlu.understand(text, now=MONDAY, services=SERVICES, therapists=THERAPISTS)
    assert understood.intent == intent
    assert (understood.service.code if understood.service else None) == service


def test_a_category_offers_its_services_and_a_therapist_is_recognised() -> None:
    understood = nlu.understand(
        "hay turno con tatiana para masajes?", now=MONDAY, services=SERVICES, therapists=THERAPISTS
    )
    assert understood.intent == nlu.BOOK and understood.service is None
    assert {s["code"] for s in understood.candidates} == {"RELAX", "PIEDRAS", "PAREJA"}
    assert understood.therapist is not None and understood.therapist.code == "t1"


def test_a_note_in_parentheses_names_no_service() -> None:
    """ "(30 min de reposo)" must not match "esposo"; the category still offers both."""
    services = [*SERVICES, {"code": "MASC", "name": "Facial con mascarilla (30 min de reposo)"}]
    understood = nlu.understand("un masaje para mi esposo", now=MONDAY, services=services)
    assert "MASC" not in {s["code"] for s in understood.candidates}


def test_a_price_question_names_every_service_asked_for() -> None:
    understood = nlu.understand(
        "cuanto cuesta el masaje con piedras y el facial hidratante", now=MONDAY, services=SERVICES
    )
    assert understood.intent == nlu.PRICES and understood.service is None
    assert {s["code"] for s in understood.candidates} == {"PIEDRAS", "FACIAL"}


def test_a_price_question_with_a_booking_is_both() -> None:
    understood = nlu.understand(
        "cuanto vale el facial hidratante y tienen espacio el viernes?",
        now=MONDAY,
        services=SERVICES,
    )
    assert understood.intent == nlu.BOOK and understood.asks_price
