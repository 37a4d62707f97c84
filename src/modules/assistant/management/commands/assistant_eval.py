"""Score the assistant on the evaluation set: the configured Gemini model (or --fallback).

    GEMINI_API_KEY=... uv run python manage.py assistant_eval --model gemini-3.5-flash

Runs in a throwaway test database (created, seeded with the demo data, destroyed), so it
never touches real data; prints per-intent accuracy, latency and tokens. Needs the dev
dependencies (time-machine freezes each conversation's clock).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection

from modules.assistant import evaluation
from modules.assistant.management.commands.bot_chat import quiet_logging
from platform_core.plugins import get_plugins, resolve

DEFAULT_DIR = Path(settings.BASE_DIR) / "tests" / "assistant" / "eval"


class _Quiet:
    def write(self, _: str) -> None: ...


class Command(BaseCommand):
    help = "Evaluate the assistant (a Gemini model, or the fallback) on the Spanish eval set."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--model", default="", help="Gemini model (default GEMINI_MODEL)")
        parser.add_argument("--fallback", action="store_true", help="Score the fallback")
        parser.add_argument("--heldout", action="store_true", help="Use the held-out set")
        parser.add_argument("--dir", default="", help="Directory of *.yaml cases")
        parser.add_argument("--case", action="append", default=[], help="Only these cases")
        parser.add_argument("--verbose", action="store_true", help="Show every case and reply")

    def handle(self, *args: Any, **options: Any) -> None:
        quiet_logging()
        engine = evaluation.FALLBACK if options["fallback"] else evaluation.GEMINI
        if engine == evaluation.GEMINI and not settings.GEMINI_API_KEY:
            raise CommandError("GEMINI_API_KEY no está configurada (o usa --fallback).")
        model = options["model"] or settings.GEMINI_MODEL
        directory = Path(options["dir"]) if options["dir"] else DEFAULT_DIR
        if options["heldout"]:
            directory = directory / "heldout"
        cases = evaluation.load(directory)
        if options["case"]:
            wanted = set(options["case"])
            cases = [c for c in cases if c.path.stem in wanted or c.name in wanted]
        if not cases:
            raise CommandError(f"No hay casos en {directory}.")
        label = "fallback" if engine == evaluation.FALLBACK else f"Gemini {model}"
        self.stdout.write(f"Evaluando {label} con {len(cases)} conversaciones de {directory}")
        old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
        try:
            for plugin in sorted(get_plugins(), key=lambda p: p.order):
                if plugin.seed_demo:
                    resolve(plugin.seed_demo)(_Quiet())
            results = evaluation.run(cases, engine=engine, model=model)
        finally:
            connection.creation.destroy_test_db(old_name, verbosity=0)
        self.stdout.write(evaluation.report(results, verbose=options["verbose"]))
