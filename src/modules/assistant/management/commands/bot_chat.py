"""A terminal chat with the assistant through the real pipeline.

Each line is signed like Twilio would sign it and POSTed to the webhook in-process; the
message is then processed synchronously (idempotent, so a worker doing it too is harmless)
and the replies stored for the conversation are printed. Gemini is real when GEMINI_API_KEY
is set; otherwise the fallback menu answers.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.test import Client
from django.urls import reverse

from modules.assistant import services, webhook
from modules.assistant.models import Conversation, Message
from platform_core.errors import ValidationFailed
from platform_core.phones import normalize_phone


class Command(BaseCommand):
    help = "Chat with the WhatsApp assistant from the terminal (fake Twilio, same pipeline)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--phone", required=True, help="The writer's number, e.g. +573001234567"
        )
        parser.add_argument("--name", default="", help="WhatsApp profile name to send")
        parser.add_argument(
            "--message", action="append", default=[], help="Send these lines and exit"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            phone = normalize_phone(options["phone"])
        except ValidationFailed as exc:
            raise CommandError(exc.message) from exc
        engine = "Gemini " + settings.GEMINI_MODEL if settings.GEMINI_API_KEY else "menú"
        self.stdout.write(f"Asistente ({engine}). Escribe y pulsa Enter; Ctrl-D para salir.")
        lines = options["message"]
        if lines:
            for line in lines:
                self.stdout.write(f"> {line}")
                self._send(phone, line, options["name"])
            return
        while True:
            try:
                line = input("> ")
            except EOFError:
                self.stdout.write("")
                return
            if line.strip():
                self._send(phone, line, options["name"])

    def _send(self, phone: str, text: str, name: str) -> None:
        path = reverse("api:whatsapp_webhook")
        params = {
            "MessageSid": f"SM{uuid.uuid4().hex}",
            "AccountSid": settings.TWILIO_ACCOUNT_SID or "AC" + "0" * 32,
            "From": f"whatsapp:{phone}",
            "To": f"whatsapp:{settings.TWILIO_WHATSAPP_NUMBER or '+14155238886'}",
            "Body": text,
            "NumMedia": "0",
            "ProfileName": name,
            "WaId": phone.lstrip("+"),
        }
        signature = webhook.sign(f"{settings.SITE_URL}{path}", params)
        response = Client().post(path, params, HTTP_X_TWILIO_SIGNATURE=signature)
        if response.status_code != 200:
            raise CommandError(f"webhook answered {response.status_code}")
        message = Message.objects.get(provider_sid=params["MessageSid"])
        services.process_message(str(message.public_id))
        message.refresh_from_db()  # processing moves it if the number changed owner
        conversation = Conversation.objects.get(pk=message.conversation_id)
        for out in conversation.messages.filter(
            direction=Message.Direction.OUTBOUND, created_at__gte=message.created_at
        ).order_by("created_at", "id"):
            self.stdout.write(self.style.SUCCESS(out.body))
