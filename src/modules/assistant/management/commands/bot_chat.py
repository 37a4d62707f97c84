"""A terminal chat with the assistant through the real pipeline.

Each line is signed like Twilio would sign it and POSTed to the webhook in-process; the
message is then processed synchronously (idempotent, so a worker doing it too is harmless)
and the replies stored for the conversation are printed, each once. Gemini is real when
GEMINI_API_KEY is set; otherwise the fallback answers.

Only the conversation goes to stdout: logs go to stderr at WARNING (or, with --log-file, to
that file at INFO), so a transcript can be read, diffed and tested (--script FILE).
"""

from __future__ import annotations

import logging
import sys
import uuid
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.test import Client
from django.urls import reverse

from modules.assistant import processing, webhook
from modules.assistant.models import Conversation, Message
from modules.identity import public as identity
from platform_core.errors import ValidationFailed
from platform_core.phones import normalize_phone

DEMO_CLIENT_PHONE = "+573000000005"  # Camila, created by `manage.py seed_demo`


def quiet_logging(log_file: str = "") -> None:
    """Every logger to one handler: a file at INFO, or stderr at WARNING. Celery's and
    kombu's chatter (e.g. "No hostname was supplied") stays out of the chat."""
    handler: logging.Handler
    if log_file:
        handler = logging.FileHandler(log_file, encoding="utf-8")
        handler.setLevel(logging.INFO)
    else:
        handler = logging.StreamHandler(sys.stderr)
        handler.setLevel(logging.WARNING)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    for logger in [logging.getLogger(), *logging.Logger.manager.loggerDict.values()]:
        if isinstance(logger, logging.Logger):
            logger.handlers = []
            logger.propagate = True
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.INFO if log_file else logging.WARNING)
    for noisy in ("kombu", "celery", "amqp"):
        logging.getLogger(noisy).setLevel(logging.ERROR)


class Command(BaseCommand):
    help = "Chat with the WhatsApp assistant from the terminal (fake Twilio, same pipeline)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--phone", default="", help="The writer's number, e.g. +573001234567")
        parser.add_argument(
            "--as-demo-client",
            action="store_true",
            help=f"Write as the seeded demo client ({DEMO_CLIENT_PHONE}, run seed_demo first)",
        )
        parser.add_argument("--name", default="", help="WhatsApp profile name to send")
        parser.add_argument(
            "--message", action="append", default=[], help="Send these lines and exit"
        )
        parser.add_argument(
            "--script",
            default="",
            help="Play the client's lines from this file (one per line, # comments) and print "
            "the transcript",
        )
        parser.add_argument("--log-file", default="", help="Write logs here (INFO) instead")

    def handle(self, *args: Any, **options: Any) -> None:
        quiet_logging(options["log_file"])
        phone = self._phone(options)
        engine = "Gemini " + settings.GEMINI_MODEL if settings.GEMINI_API_KEY else "sin modelo"
        lines = list(options["message"])
        if options["script"]:
            try:
                text = Path(options["script"]).read_text(encoding="utf-8")
            except OSError as exc:
                raise CommandError(f"no puedo leer {options['script']}: {exc}") from exc
            lines += [
                line.strip()
                for line in text.splitlines()
                if line.strip() and not line.lstrip().startswith("#")
            ]
        self._last_id = self._latest_id(phone)
        if lines:
            for line in lines:
                self.stdout.write(f"> {line}")
                self._send(phone, line, options["name"])
            return
        self.stdout.write(f"Asistente ({engine}). Escribe y pulsa Enter; Ctrl-D para salir.")
        while True:
            try:
                line = input("> ")
            except EOFError:
                self.stdout.write("")
                return
            if line.strip():
                self._send(phone, line, options["name"])

    def _phone(self, options: dict[str, Any]) -> str:
        if options["as_demo_client"]:
            if identity.get_user_by_phone(DEMO_CLIENT_PHONE) is None:
                raise CommandError(
                    "El cliente demo no existe: ejecuta `manage.py seed_demo` primero."
                )
            return DEMO_CLIENT_PHONE
        if not options["phone"]:
            raise CommandError("Indica --phone +57... o --as-demo-client.")
        try:
            return normalize_phone(options["phone"])
        except ValidationFailed as exc:
            raise CommandError(exc.message) from exc

    def _latest_id(self, phone: str) -> int:
        last = (
            Message.objects.filter(conversation__phone=phone, direction=Message.Direction.OUTBOUND)
            .order_by("-id")
            .values_list("id", flat=True)
            .first()
        )
        return last or 0

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
        processing.process_message(str(message.public_id))
        message.refresh_from_db()  # processing moves it if the number changed owner
        conversation = Conversation.objects.get(pk=message.conversation_id)
        # Each reply once: everything stored after the last one printed (by id, not time).
        for out in conversation.messages.filter(
            direction=Message.Direction.OUTBOUND, id__gt=self._last_id
        ).order_by("id"):
            self.stdout.write(out.body + "\n")
            self._last_id = max(self._last_id, out.id)
