"""The plugin contract: how a module tells the composition root what it brings.

A plugin file (``modules/<name>/plugin.py``) is imported while settings load, before
Django's app registry is ready, so it must not import models. Everything that needs
Django (routers, exporters, health checks, assistant tools, demo data) is therefore
named by a dotted path ``"package.module:attribute"`` and resolved lazily.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from importlib.metadata import entry_points
from typing import Any

from platform_core.accounts import UserRef

ENTRY_POINT_GROUP = "studiozens.modules"


@dataclass(frozen=True)
class PeriodicTask:
    """A beat entry. Give ``every_seconds`` or a ``crontab`` mapping (minute, hour, ...)."""

    name: str
    task: str
    every_seconds: int | None = None
    crontab: Mapping[str, str] | None = None
    queue: str | None = None
    kwargs: Mapping[str, Any] = field(default_factory=dict)
    enabled: bool = True

    def __post_init__(self) -> None:
        if (self.every_seconds is None) == (self.crontab is None):
            raise ValueError(f"{self.name}: give exactly one of every_seconds or crontab")


@dataclass(frozen=True)
class ToolContext:
    """Who an assistant tool acts for. Tools never take a user or phone from the model."""

    user: UserRef | None  # the conversation's identity user, or None for an unknown number
    conversation_id: str
    confirmed: bool = False  # True only when the user explicitly confirmed a proposal


@dataclass(frozen=True)
class AssistantTool:
    """A function the WhatsApp assistant may call, described by a JSON schema.

    ``handler(ctx, **args)`` returns a JSON-serialisable dict. Tools with
    ``needs_confirmation`` change or charge something: the assistant first calls
    ``propose(ctx, **args)`` (a Spanish summary for the user) and runs the handler only
    after the user confirms, with ``ctx.confirmed=True``.
    """

    name: str
    description: str
    parameters: Mapping[str, Any]
    handler: Callable[..., dict[str, Any]]
    needs_confirmation: bool = False
    propose: Callable[..., str] | None = None
    requires_user: bool = True


@dataclass(frozen=True)
class AssistantQuestion:
    """A yes/no question a module put to a client outside the conversation (a WhatsApp
    message from the notifications outbox, e.g. a freed slot offered from the waitlist).
    The client's next plain "sí" or "no" answers it: the assistant runs the module's own
    confirmation-gated tool ``yes_tool`` or ``no_tool`` with ``args`` and
    ``ctx.confirmed`` (the question was the explicit proposal, the answer the explicit
    confirmation). ``asked_at`` decides against a proposal made in the conversation: the
    newer one is what the answer is about."""

    key: str  # stable and free of personal data, for the audit log ("booking.offer:<uuid>")
    asked_at: datetime
    yes_tool: str
    no_tool: str
    args: Mapping[str, Any] = field(default_factory=dict)
    # A yes the question alone cannot make informed (terms the message did not state): it
    # gets ``yes_tool``'s proposal instead, and the next "sí" runs it.
    propose_yes: bool = False


@dataclass(frozen=True)
class ModulePlugin:
    """Everything the composition root needs to know about one module."""

    name: str
    app: str  # importable app path (or AppConfig path) for INSTALLED_APPS
    label: str
    prefix: str = ""  # URL prefix under /api/, e.g. "booking/"
    router: str | None = None  # "modules.booking.api:router"
    router_public: bool = False  # True only if every route of the router is public by design
    description: str = ""
    # Celery queues this module's tasks run on: the worker consumes the union of every
    # plugin's queues (``manage.py celery_queues``); a queue named only in ``task_routes``
    # counts too.
    queues: tuple[str, ...] = ()
    task_routes: Mapping[str, str] = field(default_factory=dict)  # task glob -> queue
    periodic_tasks: tuple[PeriodicTask, ...] = ()
    exporter: str | None = None  # callable(user) -> dict
    eraser: str | None = None  # callable(user) -> None
    health_checks: Mapping[str, str] = field(default_factory=dict)  # name -> callable()
    assistant_tools: str | None = None  # callable() -> list[AssistantTool]
    # callable(ToolContext) -> AssistantQuestion | None: the question this module asked the
    # writer outside the conversation that their next "sí"/"no" answers, if any.
    assistant_questions: str | None = None
    # Error statuses of this router's operations that the schema's generic rules cannot see
    # (services raise them): "METHOD path-under-prefix" -> statuses. See docs/api.md.
    error_statuses: Mapping[str, tuple[int, ...]] = field(default_factory=dict)
    # "modules.booking.schemas:FIELD_DOCS": descriptions of the module's schema fields and
    # parameters by name (platform_core.schemas.document_fields).
    schema_docs: str | None = None
    seed_demo: str | None = None  # callable(stdout) -> None
    # Production start check: callable(settings values) -> list of problems (pure Python,
    # runs while the settings load); any problem stops the process with its message.
    settings_check: str | None = None
    # Pages served outside production only (the front-end owns them in production):
    # URL path (no leading slash) -> view, e.g. {"pago/resultado": "modules.x.pages:view"}.
    dev_pages: Mapping[str, str] = field(default_factory=dict)
    # The admin (platform_core.admin_site / platform_core.dashboard):
    admin_index: str | None = None  # callable(request) -> list[IndexCard] for the index
    dashboard: str | None = None  # callable(Period) -> Section | list[Section] (owner only)
    admin_technical: tuple[str, ...] = ()  # "app_label.model" sections only the owner sees
    # Payment purposes this module owns -> a person's name for them ("Reservas"), e.g. for
    # revenue by source on the dashboard.
    payment_purposes: Mapping[str, str] = field(default_factory=dict)
    # The handler of each purpose's payment outcomes (payments.public PaymentSettled,
    # PaymentFailed, PaymentRefunded): purpose -> "modules.x.payment_handlers:handle", a
    # callable(outcome) -> None that must be idempotent. Only purposes the plugin owns.
    payment_handlers: Mapping[str, str] = field(default_factory=dict)
    # Tenders this module accepts in payments' checkouts besides Wompi (gift cards, package
    # credits): tender kind -> "modules.x.tenders:provider", an object implementing
    # ``modules.payments.public.TenderProvider``. Kinds are unique across plugins.
    tenders: Mapping[str, str] = field(default_factory=dict)
    user_model: str | None = None  # "identity.User" for the module that owns accounts
    # PASSWORD_HASHERS (first one hashes, the others verify and are upgraded on login);
    # only the plugin that owns the user model may declare them.
    password_hashers: tuple[str, ...] = ()
    # Routes (under the prefix) whose requests hash a password: they run in the web
    # workers' login lane (platform_core.concurrency), so a login burst waits for its own
    # slots instead of taking the other routes'.
    hashing_routes: tuple[str, ...] = ()
    extra_apps: tuple[str, ...] = ()  # third-party apps this module needs
    # What each staff role may do in this module (Django permissions, so the admin and the
    # API checks follow): role name (identity's roles: "therapist", "reception", "admin")
    # -> patterns "app_label.codename", "app_label.action_*" or "app_label.*". A module
    # names its own app label (or a third-party app it brings), never another module's.
    # identity grants the union after every migrate (its sync_role_permissions).
    role_permissions: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    order: int = 100  # lower first (URL mounting, demo seeding, apps order)


def resolve(path: str) -> Any:
    """Import ``"package.module:attr"`` (or ``"package.module.attr"``)."""
    if ":" in path:
        module_path, attr = path.split(":", 1)
    else:
        module_path, _, attr = path.rpartition(".")
    obj: Any = importlib.import_module(module_path)
    for part in attr.split("."):
        obj = getattr(obj, part)
    return obj


def load_plugin(path: str) -> ModulePlugin:
    """Load the ``plugin`` attribute of a plugin module (or a dotted object path)."""
    obj = resolve(path if ":" in path else f"{path}:plugin")
    if not isinstance(obj, ModulePlugin):
        raise TypeError(f"{path} does not define a ModulePlugin")
    return obj


def discover(configured: Iterable[str], *, use_entry_points: bool = True) -> list[ModulePlugin]:
    """Configured plugins plus those shipped as distributions (entry-point group)."""
    paths = list(configured)
    if use_entry_points:
        paths += [ep.value for ep in entry_points(group=ENTRY_POINT_GROUP)]
    plugins: dict[str, ModulePlugin] = {}
    for path in paths:
        plugin = load_plugin(path)
        if plugin.name in plugins and plugins[plugin.name] != plugin:
            raise ValueError(f"two plugins are named {plugin.name!r}")
        plugins[plugin.name] = plugin
    ordered = sorted(plugins.values(), key=lambda p: (p.order, p.name))
    check_tender_kinds(ordered)
    return ordered


TENDER_KIND_RE = re.compile(r"^[a-z][a-z0-9_]{0,31}$")


def check_tender_kinds(plugins: Iterable[ModulePlugin]) -> None:
    """At start-up (settings load): every tender kind well formed and declared once, so a
    checkout's ``kind`` names exactly one provider."""
    owners: dict[str, str] = {}
    for plugin in plugins:
        for kind in plugin.tenders:
            if not TENDER_KIND_RE.match(kind):
                raise ValueError(f"{plugin.name}: tender kind {kind!r} is not [a-z][a-z0-9_]*")
            if kind in owners:
                raise ValueError(
                    f"tender kind {kind!r} is declared by {owners[kind]} and {plugin.name}"
                )
            owners[kind] = plugin.name


def get_plugins() -> list[ModulePlugin]:
    """The enabled plugins, as the running settings describe them."""
    from django.conf import settings

    return _plugins_for(tuple(settings.STUDIOZENS_MODULES), settings.STUDIOZENS_ENTRY_POINTS)


@cache
def _plugins_for(paths: tuple[str, ...], use_entry_points: bool) -> list[ModulePlugin]:
    return discover(paths, use_entry_points=use_entry_points)


def installed_apps(plugins: Iterable[ModulePlugin]) -> list[str]:
    apps: list[str] = []
    for plugin in plugins:
        for app in (*plugin.extra_apps, plugin.app):
            if app not in apps:
                apps.append(app)
    return apps


def user_model(plugins: Iterable[ModulePlugin], default: str = "auth.User") -> str:
    owners = [p.user_model for p in plugins if p.user_model]
    if len(owners) > 1:
        raise ValueError(f"more than one plugin owns the user model: {owners}")
    return owners[0] if owners else default


DEFAULT_QUEUE = "celery"  # Celery's default queue: unrouted tasks land here


def worker_queues(plugins: Iterable[ModulePlugin]) -> list[str]:
    """Every queue a worker must consume: the default queue, then each plugin's declared
    queues and routed-to queues, in plugin order, without repeats."""
    names = [DEFAULT_QUEUE]
    for plugin in plugins:
        for queue in (*plugin.queues, *plugin.task_routes.values()):
            if queue not in names:
                names.append(queue)
    return names


def role_permissions(plugins: Iterable[ModulePlugin]) -> dict[str, tuple[str, ...]]:
    """Each role's permission patterns: the union of what the plugins declare."""
    union: dict[str, list[str]] = {}
    for plugin in plugins:
        for role, patterns in plugin.role_permissions.items():
            bucket = union.setdefault(role, [])
            bucket.extend(p for p in patterns if p not in bucket)
    return {role: tuple(patterns) for role, patterns in union.items()}


def hashing_paths(plugins: Iterable[ModulePlugin]) -> list[str]:
    """Full paths of the plugins' ``hashing_routes``."""
    return [
        f"/api/{plugin.prefix.strip('/')}/{route.lstrip('/')}"
        for plugin in plugins
        for route in plugin.hashing_routes
    ]


def password_hashers(plugins: Iterable[ModulePlugin], default: list[str]) -> list[str]:
    """The hashers of the plugin that owns the user model, else ``default``."""
    owners = [p for p in plugins if p.user_model]
    hashers = list(owners[0].password_hashers) if owners else []
    return hashers or list(default)


def assistant_tools() -> dict[str, AssistantTool]:
    """All tools the enabled plugins contribute, by name."""
    tools: dict[str, AssistantTool] = {}
    for plugin in get_plugins():
        if plugin.assistant_tools:
            for tool in resolve(plugin.assistant_tools)():
                if tool.name in tools:
                    raise ValueError(f"two assistant tools are named {tool.name!r}")
                tools[tool.name] = tool
    return tools


def assistant_questions(ctx: ToolContext) -> list[AssistantQuestion]:
    """The open questions the enabled plugins put to the writer (at most one each)."""
    questions = []
    for plugin in get_plugins():
        if plugin.assistant_questions:
            question = resolve(plugin.assistant_questions)(ctx)
            if question is not None:
                questions.append(question)
    return questions


def payment_purpose_labels() -> dict[str, str]:
    """Every enabled plugin's payment purposes and their names."""
    labels: dict[str, str] = {}
    for plugin in get_plugins():
        labels.update(plugin.payment_purposes)
    return labels


def payment_handlers() -> dict[str, Callable[[Any], None]]:
    """Every enabled plugin's payment-outcome handlers, by purpose (resolved)."""
    handlers: dict[str, Callable[[Any], None]] = {}
    for plugin in get_plugins():
        for purpose, path in plugin.payment_handlers.items():
            if purpose not in plugin.payment_purposes:
                raise ValueError(
                    f"{plugin.name} handles payment purpose {purpose!r} it does not own"
                )
            handlers[purpose] = resolve(path)
    return handlers


def tender_providers() -> dict[str, Any]:
    """Every enabled plugin's tender providers, by kind (resolved)."""
    plugins = get_plugins()
    check_tender_kinds(plugins)  # an override of the settings skips the start-up check
    return {kind: resolve(path) for p in plugins for kind, path in p.tenders.items()}


def personal_data_exporters() -> dict[str, Callable[[Any], dict[str, Any]]]:
    return {p.name: resolve(p.exporter) for p in get_plugins() if p.exporter}


def personal_data_erasers() -> dict[str, Callable[[Any], None]]:
    return {p.name: resolve(p.eraser) for p in get_plugins() if p.eraser}
