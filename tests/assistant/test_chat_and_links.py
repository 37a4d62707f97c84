"""bot_chat's clean transcript, short payment links, the real opening hours."""

from __future__ import annotations

from datetime import time, timedelta
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from modules.assistant import links
from modules.assistant.models import Proposal

pytestmark = pytest.mark.django_db
MONDAY = "2026-12-07 09:00:00-05:00"


def test_bot_chat_script_prints_a_clean_transcript(
    demo_spa: None, tmp_path: Path, capsys: Any, settings: Any
) -> None:
    settings.CELERY_TASK_ALWAYS_EAGER = True
    script = tmp_path / "conversación.txt"
    script.write_text(
        "# a comment\nhola\n\nquiero un masaje relajante mañana a las 3pm\nsí\nmis citas\n",
        encoding="utf-8",
    )
    out = StringIO()
    with time_machine.travel(MONDAY, tick=False):
        call_command("bot_chat", "--as-demo-client", "--script", str(script), stdout=out)
    transcript = out.getvalue()
    lines = transcript.splitlines()
    assert [line for line in lines if line.startswith("> ")] == [
        "> hola",
        "> quiero un masaje relajante mañana a las 3pm",
        "> sí",
        "> mis citas",
    ]
    assert transcript.count("¡Hola, Camila!") == 1  # each reply once
    assert transcript.count("¿Confirmas? Responde *sí* o *no*.") == 1
    assert "martes 8 de diciembre a las 15:00" in transcript
    assert "pendiente de pago" in transcript and "PENDING_PAYMENT" not in transcript
    assert " INFO " not in transcript and "WARNING" not in transcript and "kombu" not in transcript
    assert "kombu" not in capsys.readouterr().err
    assert Proposal.objects.get().status == Proposal.Status.EXECUTED


def test_bot_chat_demo_client_needs_the_seed(db: Any) -> None:
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="seed_demo"):
        call_command("bot_chat", "--as-demo-client", "--message", "hola", stdout=StringIO())


def test_short_links_redirect_until_they_expire(db: Any, settings: Any) -> None:
    settings.SITE_URL = "http://testserver"
    long_url = "https://checkout.wompi.co/p/?public-key=pub_test_x&amount-in-cents=5400000" + (
        "&x=" + "y" * 300
    )
    short = links.shorten(long_url)
    assert short.startswith("http://testserver/api/assistant/l/") and len(short) < 50
    path = short.removeprefix("http://testserver")
    response = Client().get(path)
    assert response.status_code == 302 and response["Location"] == long_url
    assert links.shorten("javascript:alert(1)") == "javascript:alert(1)"
    with time_machine.travel(
        timezone.now() + timedelta(hours=settings.ASSISTANT_SHORT_LINK_HOURS + 1)
    ):
        gone = Client().get(path)
    assert gone.status_code == 404 and gone.json()["error"]["code"] == "not_found"
    assert Client().get("/api/assistant/l/nope").status_code == 404


def test_hours_come_from_the_real_schedule(demo_spa: None) -> None:
    from modules.assistant import menu
    from modules.assistant.toolbox import available_tools
    from modules.booking.models import ClosedDay, OpeningHours
    from platform_core.plugins import ToolContext

    # Sunday opens in the spa's hours but nobody works then: not quoted.
    OpeningHours.objects.create(weekday=6, opens=time(10), closes=time(16))
    ClosedDay.objects.create(date=timezone.localdate() + timedelta(days=3), reason="Festivo")
    text = menu.hours_text(available_tools(has_user=False), ToolContext(None, "t"))
    assert "lunes a sábado: 9:00 a. m. a 7:00 p. m." in text
    assert "domingo: cerrado" in text and "10:00 a. m." not in text
    assert "cerrado (Festivo)" in text
