"""The evaluation set scored against the fallback (no model): ≥ 90 % fully correct.

The held-out set (tests/assistant/eval/heldout/) holds different phrasings written after the
fallback was tuned and never tuned on; its score is reported (docs/assistant.md), and only
guarded against collapse here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from modules.assistant import evaluation

EVAL = Path(__file__).parent / "eval"
pytestmark = pytest.mark.django_db


def test_the_set_is_complete() -> None:
    cases = evaluation.load(EVAL)
    assert len(cases) >= 60
    intents = {turn.intent for case in cases for turn in case.turns}
    assert set(evaluation.EXPECTED_INTENTS) <= intents
    assert any("injection" in case.tags for case in cases)
    assert len(evaluation.load(EVAL / "heldout")) >= 20


def test_fallback_scores_at_least_90_percent(demo_spa: None) -> None:
    results = evaluation.run(evaluation.load(EVAL))
    print(evaluation.report(results))
    heldout = evaluation.run(evaluation.load(EVAL / "heldout"))
    print("held-out:\n" + evaluation.report(heldout))
    assert evaluation.score(results) >= 90, evaluation.report(results)


def test_the_whatsapp_set_is_fully_correct(demo_spa: None) -> None:
    """Free Spanish as typed in Bogotá (eval/whatsapp/): every message the fallback once got
    wrong was fixed, so every one must stay right."""
    cases = evaluation.load(EVAL / "whatsapp")
    assert len(cases) >= 40
    results = evaluation.run(cases)
    assert evaluation.score(results) == 100, evaluation.report(results)


def test_a_gift_card_balance_by_whatsapp(demo_spa: None) -> None:
    """The code in the message is looked up (and only masked in the reply)."""
    from modules.identity import public as identity
    from modules.vouchers import gift_cards

    staff = identity.get_user_by_phone("+573000000001")
    issued = gift_cards.issue(
        actor=staff, amount_cents=12_000_000, recipient=gift_cards.Recipient(name="Ana")
    )
    case = evaluation.Case(
        name="saldo",
        path=EVAL / "whatsapp" / "saldo.yaml",
        clock=evaluation.DEFAULT_CLOCK,
        client="unknown",
        setup={},
        turns=[
            evaluation.Turn(say="tengo un bono de regalo, cuanto saldo le queda?"),
            evaluation.Turn(
                say=issued.code.lower(),
                intent="gift_card",
                facts=["$ 120.000", f"····{issued.code[-4:]}"],
                absent=[issued.code],
            ),
        ],
    )
    [result] = evaluation.run([case])
    assert result.ok, evaluation.report([result], verbose=True)


def test_a_model_run_counts_requests_and_tokens(demo_spa: None, settings: Any) -> None:
    """The model path (manage.py assistant_eval --model) through the real SDK, with
    Gemini's wire format served by a mock transport."""
    import httpx

    from modules.assistant import gemini
    from tests.modules.assistant.conftest import text

    settings.GEMINI_API_KEY = "eval-key"
    settings.ASSISTANT_GEMINI_ATTEMPTS = 1
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        return httpx.Response(200, json=text("¡Hola, Camila! ¿Reservar una cita?"))

    gemini.inject_httpx_client(httpx.Client(transport=httpx.MockTransport(handler)))
    try:
        [case] = [c for c in evaluation.load(EVAL) if c.path.stem == "greeting_01_hola"]
        results = evaluation.run([case], engine=evaluation.GEMINI, model="gemini-test-model")
    finally:
        gemini.inject_httpx_client(None)
    assert "gemini-test-model" in seen[0]
    assert results[0].ok and results[0].turns[0].tokens == 15
    assert "Gemini requests: 1, tokens: 15" in evaluation.report(results)
