"""Messages are plain text: names and service names reach the phone as written."""

from __future__ import annotations

import pytest

from platform_core.notifications.services import render

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("channel", ["whatsapp", "sms", "email"])
def test_text_is_not_html_escaped(channel) -> None:
    context = {
        "client_name": "Lucía D'Andrea",
        "service": "Masaje & piedras <calientes>",
        "when": "sábado 10:00",
        "therapist": "Ana",
    }
    subject, body = render("booking_confirmed", channel, context, "es-co")
    assert "D'Andrea" in body and "Masaje & piedras <calientes>" in body
    assert "&amp;" not in body + subject and "&#x27;" not in body + subject
