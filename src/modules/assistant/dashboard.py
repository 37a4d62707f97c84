"""The assistant's share of the admin index: the WhatsApp inbox count."""

from __future__ import annotations

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from modules.assistant import selectors
from platform_core.dashboard import IndexCard


def index_cards(request: HttpRequest) -> list[IndexCard]:
    if not request.user.has_perm("assistant.view_handoffconversation"):
        return []
    counts = selectors.inbox_counts()
    unread = counts["with_unread"]
    note = (
        ngettext("%(n)s con mensajes sin leer", "%(n)s con mensajes sin leer", unread)
        % {"n": unread}
        if unread
        else _("Nada sin leer")
    )
    return [
        IndexCard(
            title=_("WhatsApp: esperan a una persona"),
            value=str(counts["waiting"]),
            url=reverse("admin:assistant_handoffconversation_changelist"),
            note=note,
            order=20,
            urgent=bool(unread),
        )
    ]
