"""`manage.py whatsapp_templates`: the operator's list of WhatsApp messages and their Content
templates (docs/DEPLOYMENT_RUNBOOK.md, "WhatsApp Content templates")."""

from __future__ import annotations

import json
from io import StringIO

from django.core.management import call_command
from django.test import override_settings

from platform_core.management.commands.whatsapp_templates import message_templates, placeholders


def _run(*args: str) -> str:
    out = StringIO()
    call_command("whatsapp_templates", *args, stdout=out)
    return out.getvalue()


def test_every_module_message_is_listed_with_the_placeholders_it_prints() -> None:
    names = message_templates()
    assert {"booking_reminder", "booking_waitlist_offer", "shop/order_status"} <= set(names)
    assert all(path.name == "whatsapp.txt" for path in names.values())
    line = next(row for row in _run().splitlines() if row.startswith("booking_reminder "))
    assert "client_name, service, therapist, when [conditional text]" in line
    assert "SMS outside 24 h" in line


def test_placeholders_inside_blocktranslate_and_its_bound_names() -> None:
    source = (
        "{% load i18n %}{% blocktranslate with who=client.first_name %}Hola {{ who }}, "
        "tu plan {{ plan }}{% endblocktranslate %}{% blocktranslate count n=minutes %}"
        "{{ n }} minuto{% plural %}{{ n }} minutos{% endblocktranslate %} {{ url|upper }}"
    )
    assert placeholders(source) == (["client", "plan", "minutes", "url"], False)
    assert placeholders("{% if a %}{{ b }}{% else %}{{ c }}{% endif %}") == (["b", "c"], True)


@override_settings(
    TWILIO_CONTENT_SIDS={
        "booking_reminder": {"sid": "HX0001", "variables": ["client_name", "hora"]},
        "shop/low_stock": "HX0002",
    }
)
def test_configured_templates_show_their_sid_and_unknown_variables() -> None:
    out = _run()
    reminder = out.splitlines()[
        next(i for i, row in enumerate(out.splitlines()) if row.startswith("booking_reminder ")) + 1
    ]
    assert "HX0001" in out and "HX0002" in out
    assert "variables not printed by the Spanish text" in reminder and "hora" in reminder
    assert out.rstrip().endswith("fall back to SMS outside WhatsApp's 24-hour window.")
    assert ", 2 with a Content template," in out

    skeleton = json.loads(_run("--skeleton"))
    assert skeleton["booking_reminder"] == {"sid": "HX0001", "variables": ["client_name", "hora"]}
    assert skeleton["shop/low_stock"] == "HX0002"  # as configured
    assert skeleton["booking_waitlist_offer"]["sid"] == "HX…"
    assert skeleton["booking_waitlist_offer"]["variables"][:3] == ["client_name", "service", "when"]
