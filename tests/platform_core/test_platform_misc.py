"""Admin, periodic-task wiring, error shapes and small service edges of platform_core."""

from __future__ import annotations

import uuid
from io import StringIO

import pytest
from django.contrib.admin.sites import AdminSite
from django.core.management import call_command
from django.db import IntegrityError
from django.test import RequestFactory
from ninja import NinjaAPI, Router
from ninja.testing import TestClient

from platform_core import api_errors, errors
from platform_core.admin import AuditEventAdmin, NotificationAdmin
from platform_core.models import (
    AuditEvent,
    IdempotencyKey,
    KeyRotationCheckpoint,
    MessagingContact,
    Notification,
    NotificationOptOut,
)
from platform_core.notifications import Recipient, notify, set_opt_out
from platform_core.notifications import services as notification_services

pytestmark = pytest.mark.django_db


def test_plugin_declares_relay_and_prune_beat_entries():
    from django_celery_beat.models import PeriodicTask

    call_command("sync_periodic_tasks", stdout=StringIO())
    relay = PeriodicTask.objects.get(name="core.relay_pending_notifications")
    assert relay.task == "platform_core.relay_pending_notifications"
    assert relay.queue == "notifications" and relay.interval.every == 30
    assert PeriodicTask.objects.filter(name="core.prune_idempotency_keys", enabled=True).exists()


def test_celery_routes_send_delivery_to_notifications_queue(settings):
    assert settings.CELERY_TASK_ROUTES["platform_core.deliver_notification"] == {
        "queue": "notifications"
    }


def test_prune_task_runs():
    from platform_core.tasks import prune_idempotency_keys

    assert prune_idempotency_keys.apply().get() == 0


def test_audit_admin_is_read_only(user):
    request = RequestFactory().get("/admin/")
    request.user = user
    admin = AuditEventAdmin(AuditEvent, AdminSite())
    assert not admin.has_add_permission(request)
    assert not admin.has_change_permission(request)
    assert not admin.has_delete_permission(request)
    assert admin.get_actions(request) == {}


def test_notification_admin_requeue_action(user, django_capture_on_commit_callbacks):
    row = Notification.objects.create(
        channel="sms",
        template="otp",
        to="+573001112233",
        body="x",
        status="failed",
        error_code="21211",
    )
    admin = NotificationAdmin(Notification, AdminSite())
    request = RequestFactory().post("/admin/")
    request.user = user
    assert not admin.has_add_permission(request) and not admin.has_change_permission(request)
    messages: list[str] = []
    admin.message_user = lambda request, text, level=None: messages.append(text)
    with django_capture_on_commit_callbacks(execute=True):
        admin.requeue(request, Notification.objects.filter(pk=row.pk))
    row.refresh_from_db()
    assert row.status == "sent" and messages == ["1 notificaciones reencoladas."]


def test_model_strings_mask_personal_data():
    n = Notification(channel="email", template="otp", to="ana@example.com", status="sent")
    assert "ana@" not in str(n) and "a***@example.com" in str(n)
    assert Notification(channel="email", to="broken").masked_to == "***"
    assert "4567" in str(NotificationOptOut(phone="+573001234567", channel="all"))
    assert "usuario 7" in str(NotificationOptOut(user_id=7, channel="sms", opted_out=False))
    assert str(MessagingContact(phone="+573001234567")) == "+57******4567"
    assert str(IdempotencyKey(scope="s", key="k" * 20)) == "s:kkkkkkkkkkkk"
    assert "listo" in str(KeyRotationCheckpoint(model_label="a.B", done=True))
    from django.utils import timezone

    assert "auth.login" in str(AuditEvent(action="auth.login", created_at=timezone.now()))


def test_set_opt_out_validation_and_channel_specific_override(user):
    with pytest.raises(ValueError):
        set_opt_out(user_id=user.pk, channel="fax")
    with pytest.raises(ValueError):
        set_opt_out()
    set_opt_out(user_id=user.pk, channel="all")
    set_opt_out(user_id=user.pk, channel="email", opted_out=False)
    assert notification_services.is_opted_out(channel="sms", user_id=user.pk)
    assert not notification_services.is_opted_out(channel="email", user_id=user.pk)
    assert not notification_services.is_opted_out(channel="sms")


def test_duplicate_key_race_returns_existing_row(monkeypatch, django_capture_on_commit_callbacks):
    recipient = Recipient(phone="+573001112233")
    [first] = notify(to=recipient, template="otp", context={}, idempotency_key="race")
    # Simulate the race: the pre-check misses the row another transaction just inserted.
    real_filter = Notification.objects.filter
    calls = {"n": 0}

    def filter_once_empty(*args, **kwargs):
        calls["n"] += 1
        qs = real_filter(*args, **kwargs)
        return qs.none() if calls["n"] == 1 else qs

    monkeypatch.setattr(Notification.objects, "filter", filter_once_empty)
    [again] = notify(to=recipient, template="otp", context={}, idempotency_key="race")
    assert again.pk == first.pk
    assert Notification.objects.count() == 1


def test_integrity_error_without_existing_row_propagates():
    # A violation that is not the idempotency key's (language NOT NULL): PostgreSQL's ON
    # CONFLICT DO NOTHING does not cover it; SQLite's INSERT OR IGNORE skips the row, and
    # no row holding the key means notify raises.
    with pytest.raises(IntegrityError):
        notify(
            to=Recipient(phone="+573001112233", language=None),  # type: ignore[arg-type]
            template="otp",
            context={},
            idempotency_key="x",
        )


def test_retry_is_scheduled_with_countdown_when_not_eager(
    settings, monkeypatch, django_capture_on_commit_callbacks
):
    from platform_core import tasks

    calls: list[dict] = []
    monkeypatch.setattr(tasks.deliver_notification, "apply_async", lambda **kw: calls.append(kw))
    settings.CELERY_TASK_ALWAYS_EAGER = False
    with django_capture_on_commit_callbacks(execute=True):
        notification_services._schedule_retry(42, 12.7)
    assert calls == [{"args": (42,), "queue": "notifications", "countdown": 13}]


def test_lazy_notification_export():
    import platform_core.notifications as notifications

    assert notifications.Notification is Notification
    with pytest.raises(AttributeError):
        notifications.DoesNotExist  # noqa: B018


def test_error_shapes_for_domain_and_ninja_errors():
    api = NinjaAPI(urls_namespace=f"err-{uuid.uuid4().hex}")
    api_errors.install(api)
    router = Router()

    @router.get("/conflict", auth=None)
    def conflict(request):
        raise errors.Conflict(code="slot_taken")

    @router.get("/missing", auth=None)
    def missing(request):
        from django.http import Http404

        raise Http404

    @router.get("/boom", auth=None)
    def boom(request):
        raise RuntimeError("bug")

    @router.get("/typed", auth=None)
    def typed(request, n: int):
        return {"n": n}

    api.add_router("/", router)
    client = TestClient(api)
    assert client.get("/conflict").json()["error"]["code"] == "slot_taken"
    assert client.get("/missing").status_code == 404
    response = client.get("/boom")
    assert response.status_code == 500 and response.json()["error"]["code"] == "internal_error"
    response = client.get("/typed?n=x")
    assert response.status_code == 422 and response.json()["error"]["details"][0]["field"]


def test_broker_outage_after_commit_does_not_fail_the_caller(
    monkeypatch, django_capture_on_commit_callbacks
):
    from platform_core import tasks

    def broker_down(**kwargs):
        raise ConnectionError("broker unreachable")

    monkeypatch.setattr(tasks.deliver_notification, "apply_async", broker_down)
    with django_capture_on_commit_callbacks(execute=True):
        [row] = notify(to=Recipient(phone="+573001112233"), template="otp", context={})
    row.refresh_from_db()
    assert row.status == "pending"  # the relay will publish it
