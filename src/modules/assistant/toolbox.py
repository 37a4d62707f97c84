"""The plugins' assistant tools as the assistant may use them: filtered, sanitised, guarded."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from platform_core.errors import DomainError
from platform_core.plugins import (
    AssistantQuestion,
    AssistantTool,
    ToolContext,
    assistant_questions,
    assistant_tools,
)

logger = logging.getLogger(__name__)

# Arguments that would let the model choose whom a tool acts for. Never passed through, even
# if a (careless) tool schema declares them: the acting user is always the writer.
FORBIDDEN_ARGS = frozenset(
    {
        "phone",
        "phone_number",
        "telefono",
        "user",
        "user_id",
        "customer",
        "customer_id",
        "client",
        "client_id",
        "owner",
        "owner_id",
        "email",
    }
)


# Who wants to see every tool call (the evaluation runner records them).
_observers: list[Callable[[str, dict[str, Any]], None]] = []


@contextmanager
def observe(callback: Callable[[str, dict[str, Any]], None]) -> Iterator[None]:
    """Call ``callback(tool_name, args)`` for each tool run while the block is active."""
    _observers.append(callback)
    try:
        yield
    finally:
        _observers.remove(callback)


def available_tools(*, has_user: bool) -> dict[str, AssistantTool]:
    """Tools offered to this writer: unknown numbers get only the ones that need no account."""
    return {
        name: tool for name, tool in assistant_tools().items() if has_user or not tool.requires_user
    }


def open_question(ctx: ToolContext) -> AssistantQuestion | None:
    """The newest question a module put to this writer outside the conversation whose
    answer tools are offered here, if any."""
    if ctx.user is None:
        return None
    tools = available_tools(has_user=True)
    usable = [q for q in assistant_questions(ctx) if q.yes_tool in tools and q.no_tool in tools]
    return max(usable, key=lambda q: q.asked_at, default=None)


def sanitize_args(tool: AssistantTool, args: Mapping[str, Any] | None) -> dict[str, Any]:
    """Keep only the arguments the tool's schema declares, minus any identity argument."""
    declared = set((tool.parameters or {}).get("properties", {}) or {})
    clean: dict[str, Any] = {}
    for key, value in (args or {}).items():
        if key in FORBIDDEN_ARGS or key not in declared:
            logger.info("assistant: dropped argument %r for tool %s", key, tool.name)
            continue
        clean[key] = value
    return clean


def run_tool(tool: AssistantTool, ctx: ToolContext, args: dict[str, Any]) -> dict[str, Any]:
    """Call the handler; domain failures become an error dict the model/menu can explain."""
    for callback in _observers:
        callback(tool.name, dict(args))
    if tool.requires_user and ctx.user is None:
        return {"error": _("Para esto necesitas una cuenta. Escribe *registrarme*.")}
    if tool.needs_confirmation and not ctx.confirmed:
        # Defence in depth: confirmation-gated tools only run through a confirmed Proposal.
        return {"error": _("Esta acción necesita tu confirmación.")}
    try:
        # A savepoint: a tool that fails half-way leaves nothing behind.
        with transaction.atomic():
            result = tool.handler(ctx, **args)
    except DomainError as exc:
        return {"error": exc.message, "code": exc.code}
    except TypeError:
        logger.info("assistant: bad arguments for tool %s", tool.name)
        return {"error": _("Faltan datos o sobran datos para esta consulta.")}
    return result if isinstance(result, dict) else {"result": result}


def propose_text(tool: AssistantTool, ctx: ToolContext, args: dict[str, Any]) -> str:
    """The tool's own summary of what it would do (may raise DomainError, e.g. NotFound)."""
    if tool.propose is None:
        return _("Voy a ejecutar: %(name)s.") % {"name": tool.name}
    return str(tool.propose(ctx, **args))
