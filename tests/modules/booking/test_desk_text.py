"""The desk's scripts hold no staff-facing Spanish of their own: every sentence they show
comes from ``admin_views.desk_text()`` (Django i18n) through the page's config, and every
key they read exists there (a missing one would print "undefined" at the desk)."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest

from modules.booking import desk
from modules.booking.admin_views import desk_text

STATIC = Path(desk.__file__).parent / "static" / "booking"
SCRIPTS = sorted(STATIC.glob("desk*.js"))
# Two words in a row ("Cita movida", "con Ana") outside tags and hyphenated class names.
PROSE = re.compile(r"(?<![\w-])[A-Za-zÁÉÍÓÚáéíóúñ]{2,}\s+[a-záéíóúñ]{2,}(?![\w-])")


def _literals(source: str) -> list[str]:
    code = re.sub(r"/\*.*?\*/", "", source, flags=re.S).replace('"use strict"', "")
    code = re.sub(r"(?m)^\s*//.*$|\s//\s.*$", "", code)
    return [a or b for a, b in re.findall(r'"((?:[^"\\\n]|\\.)*)"|\'((?:[^\'\\\n]|\\.)*)\'', code)]


def _text_of(literal: str) -> str:
    no_attrs = re.sub(r'[\w-]+="[^"]*"?', " ", literal)
    return re.sub(r"</?\w+|>", " ", no_attrs)


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.name)
def test_no_spanish_literal_left_in_the_script(script: Path) -> None:
    prose = [
        lit
        for lit in _literals(script.read_text())
        if PROSE.search(_text_of(lit)) or re.search(r"[áéíóúñ¿¡«»]", _text_of(lit))
    ]
    assert prose == []


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.name)
def test_every_string_the_script_reads_is_translated(script: Path) -> None:
    keys = set(re.findall(r"\bT\.(\w+)", script.read_text()))
    assert keys and keys <= set(desk_text())


def test_every_action_the_desk_offers_has_a_label() -> None:
    # desk.js labels an action button with T[action]: the names actions_for() offers.
    offered = re.findall(
        r'"(\w+)"',
        "".join(
            re.findall(
                r"acts(?:\.append\(|\s*\+=\s*\[)([^)\]]*)", inspect.getsource(desk.actions_for)
            )
        ),
    )
    assert len(offered) == 8 and set(offered) <= set(desk_text())


TEMPLATES = [
    Path(desk.__file__).parent / "templates" / "admin" / "booking" / name
    for name in ("calendar.html", "appointment/change_form.html")
]


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: p.name)
def test_the_desk_templates_translate_every_word_they_show(template: Path) -> None:
    """Text nodes and the attributes a person reads go through {% translate %} (or
    {% blocktranslate %}); what is left outside template tags is markup and punctuation."""
    source = template.read_text()
    source = re.sub(r"\{% blocktranslate.*?endblocktranslate %\}", "", source, flags=re.S)
    source = re.sub(r"\{%.*?%\}|\{\{.*?\}\}", "", source, flags=re.S)
    source = re.sub(r"<(script|style)[^>]*>.*?</\1>", "", source, flags=re.S)
    read = re.findall(r'(?:title|placeholder|data-confirm|alt)="([^"]*)"', source)
    text = re.sub(r"<[^>]*>", " ", source)
    assert re.findall(r"[A-Za-zÁÉÍÓÚáéíóúñ¿]{2,}", text + " ".join(read)) == []
