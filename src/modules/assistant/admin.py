"""Admin: transcripts, the handoff queue, a staff reply box and the assistant's metrics."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import F
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.timesince import timesince
from django.utils.translation import gettext_lazy as _

from modules.assistant import inbox, integrations, selectors
from modules.assistant.models import Conversation, HandoffConversation, Message, Proposal
from platform_core.errors import DomainError
from platform_core.notifications.adapters import WHATSAPP_WINDOW
from platform_core.phones import mask_phone


class MessageInline(admin.TabularInline):
    model = Message
    fields = ("created_at", "direction", "source", "body", "author")
    readonly_fields = fields
    extra = 0
    can_delete = False
    ordering = ("created_at", "id")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ProposalInline(admin.TabularInline):
    model = Proposal
    fields = ("created_at", "tool_name", "summary", "status", "expires_at", "decided_at")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ConversationForm(forms.ModelForm):
    staff_reply = forms.CharField(
        label=_("Responder por WhatsApp"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Se envía al cliente y la conversación queda a cargo del equipo."),
    )

    class Meta:
        model = Conversation
        fields = ("state",)


@admin.register(Conversation)
class ConversationAdmin(admin.ModelAdmin):
    form = ConversationForm
    list_display = ("masked_phone", "user", "state", "last_message_at", "updated_at")
    list_filter = ("state",)
    search_fields = ("public_id",)
    readonly_fields = (
        "public_id",
        "masked_phone",
        "user",
        "handed_off_at",
        "archived_at",
        "created_at",
    )
    fields = (
        "public_id",
        "masked_phone",
        "user",
        "state",
        "handed_off_at",
        "archived_at",
        "created_at",
    )
    inlines = (MessageInline, ProposalInline)
    actions = ("release_to_bot", "close_conversations")
    change_list_template = "admin/assistant/conversation/change_list.html"

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        return [(None, {"fields": (*self.fields, "staff_reply")})]

    @admin.display(description=_("teléfono"))
    def masked_phone(self, obj: Conversation) -> str:
        return mask_phone(obj.phone)

    @admin.display(description=_("último mensaje"))
    def last_message_at(self, obj: Conversation) -> Any:
        last = obj.messages.order_by("-created_at").first()
        return last.created_at if last else None

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Conversation, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        text = form.cleaned_data.get("staff_reply")
        if text:
            try:
                inbox.staff_reply(obj, author=request.user, text=text)
            except DomainError as exc:
                self.message_user(request, exc.message, messages.ERROR)
            else:
                self.message_user(request, _("Respuesta enviada."), messages.SUCCESS)

    @admin.action(description=_("Devolver al asistente"))
    def release_to_bot(self, request: HttpRequest, queryset: Any) -> None:
        for conv in queryset:
            inbox.release_to_bot(conv)

    @admin.action(description=_("Cerrar conversación"))
    def close_conversations(self, request: HttpRequest, queryset: Any) -> None:
        for conv in queryset:
            inbox.release_to_bot(conv, closed=True)

    def get_urls(self) -> list[Any]:
        extra = [
            path(
                "metrics/",
                self.admin_site.admin_view(self.metrics_view),
                name="assistant_conversation_metrics",
            )
        ]
        return extra + super().get_urls()

    def metrics_view(self, request: HttpRequest) -> HttpResponse:
        context = {
            **self.admin_site.each_context(request),
            "title": _("Métricas del asistente"),
            "metrics": selectors.metrics(days=30),
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/assistant/metrics.html", context)


class InboxReplyForm(forms.ModelForm):
    staff_reply = forms.CharField(
        label=_("Tu respuesta"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": _("Escribe al cliente…")}),
    )

    class Meta:
        model = HandoffConversation
        fields = ()


@admin.register(HandoffConversation)
class HandoffQueueAdmin(admin.ModelAdmin):
    """The WhatsApp inbox: conversations waiting for a person, newest client message
    first, with unread counts; each opens on its transcript with a reply box and
    "Devolver al asistente"."""

    form = InboxReplyForm
    list_display = ("client", "last_message", "last_in_display", "unread_display", "window")
    list_display_links = ("client", "last_message")
    fieldsets = ((None, {"fields": ("staff_reply",)}),)
    change_form_template = "admin/assistant/handoffconversation/change_form.html"
    change_list_template = "admin/assistant/handoffconversation/change_list.html"
    search_fields = ("public_id", "user__first_name", "user__last_name")
    actions = None

    def get_ordering(self, request: HttpRequest) -> Any:
        # The changelist re-applies an ordering: the newest client message first.
        return (F("last_in").desc(nulls_last=True), "-handed_off_at")

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        context = {"title": _("Buzón de WhatsApp"), **(extra_context or {})}
        return super().changelist_view(request, context)

    def get_queryset(self, request: HttpRequest) -> Any:
        return selectors.inbox()

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=_("cliente"))
    def client(self, obj: Conversation) -> str:
        name = obj.user.get_full_name() if obj.user_id else ""
        return f"{name} · {mask_phone(obj.phone)}" if name else mask_phone(obj.phone)

    @admin.display(description=_("último mensaje"))
    def last_message(self, obj: Any) -> str:
        body = (obj.last_body or "").strip().replace("\n", " ")
        prefix = _("Tú: ") if obj.last_source == Message.Source.STAFF else ""
        return prefix + (body[:80] + "…" if len(body) > 80 else body)

    @admin.display(description=_("escribió"), ordering="last_in")
    def last_in_display(self, obj: Any) -> str:
        if not obj.last_in:
            return "-"
        return _("hace %(time)s") % {"time": timesince(obj.last_in, depth=1)}

    @admin.display(description=_("sin leer"), ordering="unread")
    def unread_display(self, obj: Any) -> Any:
        if not obj.unread:
            return "0"
        return format_html('<strong class="sz-unread">{}</strong>', obj.unread)

    @admin.display(description=_("ventana de 24 h"))
    def window(self, obj: Any) -> str:
        since = obj.window_from  # annotated by selectors.inbox: no query per row
        is_open = since is not None and timezone.now() - since < WHATSAPP_WINDOW
        return _("abierta") if is_open else _("cerrada")

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: Any = None
    ) -> HttpResponse:
        conv = self.get_object(request, object_id)
        if conv is None:
            return super().change_view(request, object_id, form_url, extra_context)
        open_window = integrations.in_whatsapp_window(conv.phone)
        context = {
            "transcript": conv.messages.select_related("author").order_by("created_at", "id"),
            "window_open": open_window,
            "has_template": integrations.has_content_template(integrations.STAFF_REPLY_TEMPLATE),
            "client_label": self.client(conv),
            "can_reply": self.has_change_permission(request, conv),
            **(extra_context or {}),
        }
        response = super().change_view(request, object_id, form_url, context)
        if request.method == "GET":
            inbox.mark_read(conv)
        return response

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        text = form.cleaned_data.get("staff_reply")
        if not text:
            self.message_user(request, _("Escribe un mensaje."), messages.WARNING)
            return
        try:
            inbox.staff_reply(obj, author=request.user, text=text)
        except DomainError as exc:
            self.message_user(request, exc.message, messages.ERROR)
        else:
            self.message_user(request, _("Respuesta enviada."), messages.SUCCESS)

    def log_change(self, request: HttpRequest, obj: Any, message: Any) -> Any:
        return None  # the reply is audited by the service

    def response_change(self, request: HttpRequest, obj: Any) -> HttpResponse:
        # Stay on the conversation (Django's default message names the object in English
        # word order and goes back to the list).
        return redirect(reverse("admin:assistant_handoffconversation_change", args=[obj.pk]))

    def get_urls(self) -> list[Any]:
        extra = [
            path(
                "<path:object_id>/devolver/",
                self.admin_site.admin_view(self.return_view),
                name="assistant_handoffconversation_return",
            )
        ]
        return extra + super().get_urls()

    def return_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        conv = self.get_object(request, object_id)
        if request.method != "POST" or conv is None:
            return redirect(reverse("admin:assistant_handoffconversation_changelist"))
        if not self.has_change_permission(request, conv):
            raise PermissionDenied
        if inbox.return_to_assistant(conv, author=request.user):
            self.message_user(request, _("La conversación volvió al asistente."), messages.SUCCESS)
        else:
            self.message_user(
                request, _("La conversación ya no estaba con el equipo."), messages.WARNING
            )
        return redirect(reverse("admin:assistant_handoffconversation_changelist"))
