"""Which WhatsApp messages need an approved Content template, and which have one.

    python manage.py whatsapp_templates              # a line per message template
    python manage.py whatsapp_templates --skeleton   # TWILIO_CONTENT_SIDS to fill in

WhatsApp lets a business send free text only within 24 hours of the client's last message;
outside that window Twilio needs a Content template approved by Meta (``HX…``), configured in
``TWILIO_CONTENT_SIDS``. Without one the outbox falls back to SMS (see
``platform_core.notifications.adapters.TwilioAdapter``). This command lists every
``notifications/<name>/whatsapp.txt`` the enabled modules ship, the placeholders its Spanish
text uses (the variables to map to ``{{1}}``, ``{{2}}``…), whether it has conditional text
(a Content template is fixed text: submit one version), and its configuration. The skeleton
keeps what is configured and proposes the rest with ``"sid": "HX…"``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand
from django.template import engines
from django.template.base import TokenType, VariableNode
from django.template.defaulttags import IfNode
from django.template.utils import get_app_template_dirs
from django.templatetags.i18n import BlockTranslateNode

ROOT = "notifications"
BODY = "whatsapp.txt"


def message_templates() -> dict[str, Path]:
    """``{template name: path of its whatsapp.txt}``, first directory wins as in Django's
    loaders (project directories, then apps in INSTALLED_APPS order)."""
    engine = engines["django"].engine
    found: dict[str, Path] = {}
    for directory in [*map(Path, engine.dirs), *get_app_template_dirs("templates")]:
        base = Path(directory) / ROOT
        for body in sorted(base.rglob(BODY)) if base.is_dir() else []:
            found.setdefault(body.parent.relative_to(base).as_posix(), body)
    return dict(sorted(found.items()))


def placeholders(source: str) -> tuple[list[str], bool]:
    """The variables the text prints, in order of first appearance (``{{ x }}`` and inside
    ``{% blocktranslate %}``), and whether it has ``{% if %}``."""
    names: list[str] = []
    conditional = False

    def add(expression: Any) -> None:
        name = getattr(expression.var, "var", None)  # a literal ({{ "x" }}) has no .var
        root = name.split(".")[0] if isinstance(name, str) else None
        if root and root not in names:
            names.append(root)

    def walk(nodes: Any) -> None:
        nonlocal conditional
        for node in nodes:
            conditional = conditional or isinstance(node, IfNode)
            if isinstance(node, VariableNode):
                add(node.filter_expression)
            elif isinstance(node, BlockTranslateNode):
                bound = {**node.extra_context}
                if node.countervar:
                    bound[node.countervar] = node.counter
                for token in [*node.singular, *(node.plural or [])]:
                    if token.token_type == TokenType.VAR:
                        if token.contents in bound:
                            add(bound[token.contents])
                        elif token.contents not in names:
                            names.append(token.contents)
            for attribute in node.child_nodelists:
                walk(getattr(node, attribute, None) or [])

    walk(engines["django"].engine.from_string(source).nodelist)
    return names, conditional


def configured(name: str) -> dict[str, Any] | None:
    """The TWILIO_CONTENT_SIDS entry for ``name`` in its long form, or None."""
    entry = (getattr(settings, "TWILIO_CONTENT_SIDS", None) or {}).get(name)
    if not entry:
        return None
    if isinstance(entry, str):
        return {"sid": entry, "variables": None}
    return {"sid": entry.get("sid", ""), "variables": entry.get("variables") or []}


class Command(BaseCommand):
    help = "List the WhatsApp message templates and their Twilio Content templates."
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--skeleton",
            action="store_true",
            help="Print a TWILIO_CONTENT_SIDS JSON value: the configured entries and the rest "
            'with "sid": "HX…" to replace once Meta approves them.',
        )

    def handle(self, *args: Any, **options: Any) -> None:
        rows = []
        for name, path in message_templates().items():
            names, conditional = placeholders(path.read_text(encoding="utf-8"))
            rows.append((name, names, conditional, configured(name)))
        if options["skeleton"]:
            sids = getattr(settings, "TWILIO_CONTENT_SIDS", None) or {}
            skeleton = {  # configured entries exactly as written: the short form means more
                name: sids[name] if entry else {"sid": "HX…", "variables": names}
                for name, names, _, entry in rows
            }
            self.stdout.write(json.dumps(skeleton, indent=2, ensure_ascii=False))
            return
        width = max(len(name) for name, *_ in rows)
        self.stdout.write(f"{'template':<{width}}  {'content template':<36}  placeholders")
        for name, names, conditional, entry in rows:
            state = entry["sid"] if entry else "- (SMS outside 24 h)"
            note = " [conditional text]" if conditional else ""
            self.stdout.write(f"{name:<{width}}  {state:<36}  {', '.join(names)}{note}")
            unknown = [v for v in (entry or {}).get("variables") or [] if v not in names]
            if unknown:
                self.stdout.write(
                    self.style.WARNING(
                        f"{'':<{width}}  variables not printed by the Spanish text "
                        f"(sent empty unless the module's context has them): {', '.join(unknown)}"
                    )
                )
        missing = sum(1 for *_, entry in rows if entry is None)
        self.stdout.write(
            f"{len(rows)} templates, {len(rows) - missing} with a Content template, "
            f"{missing} fall back to SMS outside WhatsApp's 24-hour window."
        )
