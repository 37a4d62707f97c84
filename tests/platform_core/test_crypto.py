"""Encrypted fields and key rotation (write under A, rotate to B, read after A is gone)."""

from __future__ import annotations

from io import StringIO

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.db import connection

from platform_core import crypto
from platform_core.admin import NotificationAdmin
from platform_core.models import KeyRotationCheckpoint, Notification

pytestmark = pytest.mark.django_db

KEY_A = Fernet.generate_key().decode()
KEY_B = Fernet.generate_key().decode()


def _raw(pk: int) -> tuple[str, str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT body, context FROM platform_core_notification WHERE id = %s", [pk])
        return cursor.fetchone()


def _row(body: str, context: dict) -> Notification:
    return Notification.objects.create(
        channel="sms", template="otp", to="+573001112233", body=body, context=context
    )


def test_values_are_encrypted_at_rest_and_masked(settings):
    settings.FERNET_KEYS = [KEY_A]
    row = _row("tok_secret_4111111111111111", {"card": "4242"})
    raw_body, raw_context = _raw(row.pk)
    assert "tok_secret" not in raw_body and "4242" not in raw_context
    assert Fernet(KEY_A.encode()).decrypt(raw_body.encode()) == b"tok_secret_4111111111111111"
    loaded = Notification.objects.get(pk=row.pk)
    assert loaded.body == "tok_secret_4111111111111111"
    assert loaded.context == {"card": "4242"}
    assert "tok_secret" not in repr(loaded.body)
    assert repr(loaded.body) == "SecretStr('••••••1111')"
    assert crypto.mask("") == "" and crypto.mask("short") == crypto.MASK


def test_rotation_from_a_to_b_then_a_removed(settings):
    settings.FERNET_KEYS = [KEY_A]
    rows = [_row(f"secreto-{i}", {"i": i}) for i in range(5)]
    empty = _row("", {})
    settings.FERNET_KEYS = [KEY_B, KEY_A]  # B becomes primary, A still decrypts
    assert Notification.objects.get(pk=rows[0].pk).body == "secreto-0"
    out = StringIO()
    call_command("rotate_encryption_keys", "--batch-size", "2", stdout=out)
    assert "platform_core.Notification: 6 rows checked, 11 values re-encrypted" in out.getvalue()
    for row in rows:
        raw_body, _ = _raw(row.pk)
        assert crypto.is_current(raw_body)
    settings.FERNET_KEYS = [KEY_B]  # A removed
    for i, row in enumerate(rows):
        loaded = Notification.objects.get(pk=row.pk)
        assert (loaded.body, loaded.context) == (f"secreto-{i}", {"i": i})
    assert Notification.objects.get(pk=empty.pk).context == {}


def test_rotation_is_resumable(settings):
    settings.FERNET_KEYS = [KEY_A]
    rows = [_row(f"s{i}", {}) for i in range(5)]
    settings.FERNET_KEYS = [KEY_B, KEY_A]
    call_command(
        "rotate_encryption_keys", "--batch-size", "2", "--max-batches", "1", stdout=StringIO()
    )
    checkpoint = KeyRotationCheckpoint.objects.get(model_label="platform_core.Notification")
    assert checkpoint.last_pk == str(rows[1].pk) and not checkpoint.done
    assert crypto.is_current(_raw(rows[1].pk)[0]) and not crypto.is_current(_raw(rows[2].pk)[0])
    out = StringIO()
    call_command("rotate_encryption_keys", "--batch-size", "2", stdout=out)
    assert "3 rows checked, 6 values re-encrypted" in out.getvalue()
    checkpoint.refresh_from_db()
    assert checkpoint.done and checkpoint.rotated == 10
    out = StringIO()
    call_command("rotate_encryption_keys", stdout=out)  # finished: nothing to do
    assert "0 rows checked" in out.getvalue()
    call_command("rotate_encryption_keys", "--restart", stdout=(out := StringIO()))
    assert "5 rows checked, 0 values re-encrypted" in out.getvalue()


def test_unknown_key_is_a_clear_error(settings):
    settings.FERNET_KEYS = [KEY_A]
    row = _row("x", {})
    settings.FERNET_KEYS = [KEY_B]
    with pytest.raises(ImproperlyConfigured, match="rotate_encryption_keys"):
        Notification.objects.get(pk=row.pk)
    settings.FERNET_KEYS = []
    with pytest.raises(ImproperlyConfigured):
        crypto.get_fernet()


def test_admin_form_shows_masked_read_only_value(settings):
    settings.FERNET_KEYS = [KEY_A]
    field = Notification._meta.get_field("body").formfield()
    assert field.disabled
    assert "4111" not in field.widget.render("body", "tok_4111111111111111")
    assert "••••••1111" in field.widget.render("body", "tok_4111111111111111")
    row = _row("Tu código es 123456", {})
    admin = NotificationAdmin(Notification, None)
    settings.DEBUG = False
    assert "123456" not in admin.message_body(row)
    settings.DEBUG = True
    assert admin.message_body(Notification.objects.get(pk=row.pk)) == "Tu código es 123456"


def test_serialization_writes_tokens(settings):
    from django.core import serializers

    settings.FERNET_KEYS = [KEY_A]
    row = _row("plain-secret", {"a": 1})
    dumped = serializers.serialize("json", [Notification.objects.get(pk=row.pk)])
    assert "plain-secret" not in dumped
