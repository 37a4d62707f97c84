from __future__ import annotations

import pytest

from platform_core.notifications import clear_sent_messages
from platform_core.ratelimit import reset_local
from platform_core.testing import ACCOUNT_SID

AUTH_TOKEN = "twilio-test-auth-token-0123456789"


@pytest.fixture(autouse=True)
def _fresh_state():
    clear_sent_messages()
    reset_local()
    yield
    clear_sent_messages()


@pytest.fixture
def twilio_settings(settings):
    """The real Twilio adapter (the HTTP layer is scripted by use_scripted_twilio)."""
    settings.NOTIFICATIONS_BACKEND = "twilio"
    settings.TWILIO_ACCOUNT_SID = ACCOUNT_SID
    settings.TWILIO_AUTH_TOKEN = AUTH_TOKEN
    settings.TWILIO_PHONE_NUMBER = "+15005550006"
    settings.TWILIO_WHATSAPP_NUMBER = "+14155238886"
    settings.TWILIO_MESSAGING_SERVICE_SID = ""
    settings.TWILIO_CB_FAILURES = 5
    settings.TWILIO_CB_TIMEOUT = 60
    settings.NOTIFICATION_MAX_ATTEMPTS = 5
    settings.SITE_URL = "https://api.studiozens.co"
    return settings
