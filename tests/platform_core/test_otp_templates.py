"""The OTP templates state the expiry that identity passes (``minutes``)."""

from __future__ import annotations

import re

import pytest

from platform_core.notifications import sent_messages
from platform_core.notifications.services import render

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("channel", ["whatsapp", "sms", "email"])
def test_otp_templates_use_the_expiry_minutes_from_the_context(channel):
    _, body = render("otp", channel, {"code": "482913", "minutes": 5}, "es-co")
    assert "482913" in body
    assert "Vence en 5 minutos." in body
    assert "10 minutos" not in body
    _, body = render("otp", channel, {"code": "482913", "minutes": 1}, "es-co")
    assert "Vence en 1 minuto." in body
    _, body = render("otp", channel, {"code": "482913"}, "es-co")
    assert "Vence" not in body  # no expiry given: no claim about it


def test_local_otp_states_identitys_code_lifetime(settings, django_capture_on_commit_callbacks):
    # The real caller: identity's local gateway passes minutes=OTP_CODE_TTL_SECONDS // 60.
    from modules.identity.gateways import LocalVerificationGateway

    settings.OTP_CODE_TTL_SECONDS = 900
    with django_capture_on_commit_callbacks(execute=True):
        LocalVerificationGateway().start("+573001112233", "sms")
    [message] = sent_messages()
    code = re.search(r"\b(\d{6})\b", message["body"]).group(1)
    assert message["body"] == (
        f"StudioZens: tu código de verificación es {code}. Vence en 15 minutos. "
        "No lo compartas con nadie."
    )
