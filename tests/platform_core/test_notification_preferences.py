"""Channel preferences (``notify(channels=None)``) and the per-channel template fallback."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.template import TemplateDoesNotExist

from platform_core.models import Notification
from platform_core.notifications import Recipient, notify, sent_messages
from platform_core.notifications.services import preferred_channel
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PHONE = "+573001112233"


@pytest.fixture
def only_whatsapp_template(settings, tmp_path):
    """A template key that ships only ``whatsapp.txt`` (like the modules' templates)."""
    folder = tmp_path / "notifications" / "only_wa"
    folder.mkdir(parents=True)
    (folder / "whatsapp.txt").write_text("Hola {{ name }}, tu cita quedó confirmada.\n")
    templates = [dict(engine) for engine in settings.TEMPLATES]
    templates[0]["DIRS"] = [tmp_path, *templates[0].get("DIRS", [])]
    settings.TEMPLATES = templates  # setting_changed resets the template engines
    return "only_wa"


def _send(django_capture_on_commit_callbacks, to, template="otp", **kwargs):
    with django_capture_on_commit_callbacks(execute=True):
        return notify(
            to=to, template=template, context=kwargs.pop("context", {"code": "1"}), **kwargs
        )


# --- Recipient and channel choice ---------------------------------------------------------------
def test_recipient_from_user_carries_the_preferred_channel():
    user = UserFactory(notification_channel="sms")
    recipient = Recipient.from_user(user)
    assert recipient.preferred_channel == "sms"
    assert (recipient.phone, recipient.email, recipient.user_id) == (
        user.phone_number,
        user.email,
        user.pk,
    )
    # Any object with an id works (platform_core never imports identity: a user model instance
    # or identity's UserDTO); no attribute → "".
    assert Recipient.from_user(SimpleNamespace(id=7, phone_number=PHONE)).preferred_channel == ""


@pytest.mark.parametrize(
    ("recipient", "expected"),
    [
        (Recipient(phone=PHONE, email="a@example.com"), "whatsapp"),  # no preference
        (Recipient(phone=PHONE, preferred_channel="telegram"), "whatsapp"),  # unknown
        (Recipient(phone=PHONE, preferred_channel="sms"), "sms"),
        (Recipient(phone=PHONE, email="a@example.com", preferred_channel="email"), "email"),
        (Recipient(phone=PHONE, preferred_channel="email"), "whatsapp"),  # no email address
        (Recipient(email="a@example.com", preferred_channel="sms"), "email"),  # no phone
        (Recipient(), None),
    ],
)
def test_preferred_channel_falls_back_to_an_address_we_have(recipient, expected):
    assert preferred_channel(recipient) == expected


def test_preference_sms_sends_one_sms(django_capture_on_commit_callbacks):
    user = UserFactory(notification_channel="sms")
    [row] = _send(django_capture_on_commit_callbacks, Recipient.from_user(user))
    assert row.channel == "sms"
    assert Notification.objects.get().channel == "sms"
    [message] = sent_messages()
    assert (message["channel"], message["to"]) == ("sms", user.phone_number)
    assert message["body"].startswith("StudioZens: tu código")  # otp/sms.txt, not WhatsApp's


def test_preference_email_with_an_email_sends_email_with_subject(
    django_capture_on_commit_callbacks,
):
    user = UserFactory(notification_channel="email", email="ana@example.com")
    [row] = _send(django_capture_on_commit_callbacks, Recipient.from_user(user))
    assert (row.channel, row.to) == ("email", "ana@example.com")
    [message] = sent_messages()
    assert message["channel"] == "email"
    assert message["subject"] == "Tu código de verificación de StudioZens"


def test_email_preferred_without_an_email_goes_by_whatsapp(django_capture_on_commit_callbacks):
    user = UserFactory(notification_channel="email", email="")
    [row] = _send(django_capture_on_commit_callbacks, Recipient.from_user(user))
    assert row.channel == "whatsapp"
    assert [m["channel"] for m in sent_messages()] == ["whatsapp"]


def test_explicit_channels_win_over_the_preference(django_capture_on_commit_callbacks):
    user = UserFactory(notification_channel="email")
    recipient = Recipient.from_user(user)
    rows = _send(django_capture_on_commit_callbacks, recipient, channels=("sms",))
    assert [r.channel for r in rows] == ["sms"]
    rows = _send(django_capture_on_commit_callbacks, recipient, channels=("whatsapp", "email"))
    assert [r.channel for r in rows] == ["whatsapp", "email"]
    assert [m["channel"] for m in sent_messages()] == ["sms", "whatsapp", "email"]


def test_recipient_without_any_address_writes_nothing():
    assert notify(to=Recipient(), template="otp", context={}) == []
    assert not Notification.objects.exists()


def test_key_used_before_a_preference_change_is_not_sent_again(django_capture_on_commit_callbacks):
    user = UserFactory(notification_channel="whatsapp")
    [first] = _send(
        django_capture_on_commit_callbacks, Recipient.from_user(user), idempotency_key="k1"
    )
    user.notification_channel = "sms"
    rows = _send(
        django_capture_on_commit_callbacks, Recipient.from_user(user), idempotency_key="k1"
    )
    assert [r.pk for r in rows] == [first.pk]
    assert Notification.objects.count() == 1
    assert len(sent_messages()) == 1


# --- Template fallback --------------------------------------------------------------------------
def test_sms_and_email_fall_back_to_the_whatsapp_body(
    only_whatsapp_template, django_capture_on_commit_callbacks
):
    recipient = Recipient(phone=PHONE, email="ana@example.com")
    _send(
        django_capture_on_commit_callbacks,
        recipient,
        template=only_whatsapp_template,
        context={"name": "Ana"},
        channels=("sms", "email"),
    )
    sms, email = sent_messages()
    assert sms["body"] == email["body"] == "Hola Ana, tu cita quedó confirmada."
    assert sms["subject"] == ""
    assert email["subject"] == "StudioZens: tienes un mensaje nuevo"  # no subject.txt


def test_a_template_with_no_body_at_all_fails_in_the_caller():
    with pytest.raises(TemplateDoesNotExist):
        notify(to=Recipient(phone=PHONE), template="no/such/template", context={})
    assert not Notification.objects.exists()
