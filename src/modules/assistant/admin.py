"""Admin: transcripts, the handoff queue, a staff reply box and the assistant's metrics."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.translation import gettext_lazy as _

from modules.assistant import selectors, services
from modules.assistant.models import Conversation, HandoffConversation, Message, Proposal
from platform_core.errors import DomainError
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
                services.staff_reply(obj, author=request.user, text=text)
            except DomainError as exc:
                self.message_user(request, exc.message, messages.ERROR)
            else:
                self.message_user(request, _("Respuesta enviada."), messages.SUCCESS)

    @admin.action(description=_("Devolver al asistente"))
    def release_to_bot(self, request: HttpRequest, queryset: Any) -> None:
        for conv in queryset:
            services.release_to_bot(conv)

    @admin.action(description=_("Cerrar conversación"))
    def close_conversations(self, request: HttpRequest, queryset: Any) -> None:
        for conv in queryset:
            services.release_to_bot(conv, closed=True)

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


@admin.register(HandoffConversation)
class HandoffQueueAdmin(ConversationAdmin):
    """Conversations waiting for a person, oldest handoff first."""

    list_display = ("masked_phone", "user", "handed_off_at", "last_message_at")
    list_filter = ()
    change_list_template = None

    def get_queryset(self, request: HttpRequest) -> Any:
        return (
            super()
            .get_queryset(request)
            .filter(state=Conversation.State.HANDED_OFF)
            .order_by("handed_off_at")
        )

    def get_urls(self) -> list[Any]:
        return admin.ModelAdmin.get_urls(self)
