"""The spa's admin site: Spanish and pesos everywhere, sections by role, the day on the index.

Every ``ModelAdmin`` registered on the default site (modules, Django's and third-party
apps alike) is wrapped when it registers, so no module has to remember to:

- show money as ``$ 62.000``: every integer field named ``*_cents`` becomes a peso column
  in lists and in read-only detail, and a peso input in forms (stored in cents);
- name export files in Spanish (``servicios-2026-12-06.csv``, not ``Service-….csv``);
- keep technical sections (token blacklist, periodic tasks, Wompi events, local
  verifications...) to the owner: those are the third-party apps of
  ``ADMIN_TECHNICAL_APPS`` plus the models each plugin lists in ``admin_technical``.

The index opens on the day: each plugin may contribute cards (``admin_index``, e.g. the
calendar link, today's appointments, the inbox count) and the owner's dashboard sections
(``dashboard``, see ``platform_core.dashboard``).
"""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from functools import cached_property
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.db import models
from django.forms.utils import pretty_name
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

from platform_core.money import format_cop

MONEY_SUFFIX = "_cents"
DISPLAY_SUFFIX = "_cop"


# --- Money -------------------------------------------------------------------------------------
def is_money_field(field: Any) -> bool:
    return isinstance(field, models.IntegerField) and field.name.endswith(MONEY_SUFFIX)


def money_label(field: Any) -> str:
    """ "Total (centavos)" -> "Total"; an auto label "amount cents" -> its translation."""
    label = str(field.verbose_name)
    for noise in ("(centavos)", "en centavos", "centavos", "(COP)"):
        label = label.replace(noise, "")
    label = " ".join(label.split())
    return label or str(field.verbose_name)


class PesosField(forms.DecimalField):
    """Typed in pesos ("62000" or "62.000,50"), stored in integer cents."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("decimal_places", 2)
        kwargs.setdefault("max_digits", 16)
        kwargs.pop("max_value", None)
        kwargs.pop("min_value", None)
        super().__init__(*args, **kwargs)

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, int):
            pesos = Decimal(value) / 100
            return pesos.quantize(Decimal(1)) if value % 100 == 0 else pesos
        return value

    def to_python(self, value: Any) -> Any:
        if isinstance(value, str):
            value = value.strip().replace("$", "").replace(" ", "")
            if "," in value:  # Colombian style: dots for thousands, comma for decimals
                value = value.replace(".", "").replace(",", ".")
            elif value.count(".") > 1 or (value.count(".") == 1 and len(value.split(".")[1]) == 3):
                value = value.replace(".", "")  # "62.000" is sixty-two thousand pesos
        return super().to_python(value)

    def clean(self, value: Any) -> Any:
        pesos = super().clean(value)  # Decimal pesos, validated; the model checks the cents
        if pesos is None:
            return None
        return int((pesos * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _money_display(name: str, field: Any) -> Any:
    def display(self: Any, obj: Any) -> str:
        return format_cop(getattr(obj, name, None))

    display.short_description = money_label(field)  # type: ignore[attr-defined]
    display.admin_order_field = name  # type: ignore[attr-defined]
    display.__name__ = name + DISPLAY_SUFFIX
    return display


def _swap(names: Any, money: set[str], *, only: set[str] | None = None) -> Any:
    """Replace money field names by their peso display (``only``: those names alone)."""
    targets = money if only is None else money & only

    def one(item: Any) -> Any:
        if isinstance(item, str) and item in targets:
            return item + DISPLAY_SUFFIX
        if isinstance(item, (list, tuple)):
            return type(item)(one(i) for i in item)
        return item

    return type(names)(one(n) for n in names) if isinstance(names, (list, tuple)) else names


class SpanishMoneyMixin:
    """Mixed into every registered ModelAdmin and its inlines (see ``wrap_admin``)."""

    model: Any

    @cached_property
    def _money_fields(self) -> set[str]:
        return {f.name for f in self.model._meta.concrete_fields if is_money_field(f)}

    def formfield_for_dbfield(self, db_field: Any, request: Any, **kwargs: Any) -> Any:
        if is_money_field(db_field) and not db_field.choices:
            kwargs.setdefault("form_class", PesosField)
            formfield = db_field.formfield(**kwargs)
            if formfield is not None:
                formfield.label = money_label(db_field)
                formfield.help_text = formfield.help_text or _("En pesos colombianos.")
            return formfield
        return super().formfield_for_dbfield(db_field, request, **kwargs)  # type: ignore[misc]

    def _read_only_money(self, request: HttpRequest, obj: Any) -> set[str]:
        readonly = set(super().get_readonly_fields(request, obj))  # type: ignore[misc]
        if not self._can_edit(request, obj):
            return set(self._money_fields)
        return self._money_fields & readonly

    def _can_edit(self, request: HttpRequest, obj: Any) -> bool:
        # A view-only user sees every field read-only (Django renders them raw).
        return obj is None or bool(self.has_change_permission(request, obj))  # type: ignore[attr-defined]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        names = super().get_readonly_fields(request, obj)  # type: ignore[misc]
        return _swap(list(names), self._money_fields)

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        fields = super().get_fields(request, obj)  # type: ignore[misc]
        return _swap(fields, self._money_fields, only=self._read_only_money(request, obj))

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        only = self._read_only_money(request, obj)
        return [
            (
                title,
                {
                    **opts,
                    "fields": _swap(list(opts.get("fields", ())), self._money_fields, only=only),
                },
            )
            for title, opts in super().get_fieldsets(request, obj)  # type: ignore[misc]
        ]

    def get_list_display(self, request: HttpRequest) -> Any:
        return _swap(list(super().get_list_display(request)), self._money_fields)  # type: ignore[misc]


class SpanishExportMixin:
    """For django-import-export admins."""

    model: Any

    def get_export_filename(self, *args: Any) -> str:
        """``servicios-2026-12-06.csv``: the Spanish plural, never the class name."""
        file_format = args[-1]
        stamp = timezone.localdate().isoformat()
        name = slugify(str(self.model._meta.verbose_name_plural)) or "exportacion"
        return f"{name}-{stamp}.{file_format.get_extension()}"


def wrap_admin(admin_class: type, model: Any) -> type:
    """``admin_class`` with the money mixin (itself and its inlines) and the technical
    gate when ``model`` is technical."""
    attrs: dict[str, Any] = {"__module__": admin_class.__module__}
    money = [f for f in model._meta.concrete_fields if is_money_field(f)]
    for field in money:
        name = field.name + DISPLAY_SUFFIX
        if not hasattr(admin_class, name):
            attrs[name] = _money_display(field.name, field)
    if getattr(admin_class, "inlines", None):
        attrs["inlines"] = [_wrap_inline(i) for i in admin_class.inlines]
    attrs.update(_translatable_method_labels(admin_class))
    bases: tuple[type, ...] = (SpanishMoneyMixin, admin_class)
    if hasattr(admin_class, "get_export_filename"):
        bases = (SpanishExportMixin, *bases)
        from import_export.forms import SelectableFieldsExportForm

        from platform_core.importing import SpanishExportForm

        if getattr(admin_class, "export_form_class", None) is SelectableFieldsExportForm:
            attrs["export_form_class"] = SpanishExportForm
    return type(admin_class.__name__, bases, attrs)


def _translatable_method_labels(admin_class: type) -> dict[str, Any]:
    """Admin methods shown as columns or read-only fields without a description get
    their automatic label ("crontab_translation" -> "Crontab translation") through
    gettext, so the project catalogue can translate third-party ones."""
    names = [
        *getattr(admin_class, "list_display", ()),
        *getattr(admin_class, "readonly_fields", ()),
    ]
    attrs: dict[str, Any] = {}
    for name in names:
        method = getattr(admin_class, name, None) if isinstance(name, str) else None
        if not callable(method) or hasattr(method, "short_description"):
            continue

        def display(self: Any, obj: Any, _method: Any = method) -> Any:
            return _method(self, obj)

        display.short_description = _(pretty_name(name))  # type: ignore[attr-defined]
        for flag in ("boolean", "admin_order_field"):
            if hasattr(method, flag):
                setattr(display, flag, getattr(method, flag))
        attrs[name] = display
    return attrs


def _wrap_inline(inline: type) -> type:
    if issubclass(inline, SpanishMoneyMixin):
        return inline
    attrs: dict[str, Any] = {"__module__": inline.__module__}
    for field in inline.model._meta.concrete_fields:
        name = field.name + DISPLAY_SUFFIX
        if is_money_field(field) and not hasattr(inline, name):
            attrs[name] = _money_display(field.name, field)
    return type(inline.__name__, (SpanishMoneyMixin, inline), attrs)


# --- Roles: technical sections are the owner's ---------------------------------------------
def is_owner(user: Any) -> bool:
    """The spa's owner/administrator: a superuser or a member of ``ADMIN_OWNER_GROUP``."""
    if not getattr(user, "is_active", False):
        return False
    if user.is_superuser:
        return True
    cached = getattr(user, "_sz_is_owner", None)
    if cached is None:
        cached = user.groups.filter(name=settings.ADMIN_OWNER_GROUP).exists()
        user._sz_is_owner = cached
    return bool(cached)


def technical_models() -> set[str]:
    """``app_label.model_name`` of the sections only the owner sees."""
    from django.apps import apps

    from platform_core.plugins import get_plugins

    labels = {
        m._meta.label_lower for a in settings.ADMIN_TECHNICAL_APPS for m in _models_of(apps, a)
    }
    for plugin in get_plugins():
        labels.update(label.lower() for label in plugin.admin_technical)
    return labels


def _models_of(apps: Any, app_label: str) -> list[Any]:
    try:
        return list(apps.get_app_config(app_label).get_models())
    except LookupError:
        return []


def _owner_only(admin_class: type) -> type:
    def gate(name: str) -> Any:
        parent = getattr(admin_class, name)

        def check(self: Any, request: HttpRequest, *args: Any) -> bool:
            return is_owner(request.user) and parent(self, request, *args)

        return check

    perms = ("has_module_permission", "has_view_permission", "has_add_permission")
    perms += ("has_change_permission", "has_delete_permission")
    return type(admin_class.__name__, (admin_class,), {n: gate(n) for n in perms})


# --- The site ----------------------------------------------------------------------------------
class StudioZensAdminSite(admin.AdminSite):
    site_header = "StudioZens"
    site_title = "StudioZens"
    index_title = _("El día en el spa")
    index_template = "admin/studiozens_index.html"

    def register(self, model_or_iterable: Any, admin_class: Any = None, **options: Any) -> None:
        models_ = (
            [model_or_iterable]
            if isinstance(model_or_iterable, models.base.ModelBase)
            else list(model_or_iterable)
        )
        for model in models_:
            wrapped = wrap_admin(admin_class or admin.ModelAdmin, model)
            if model._meta.label_lower in self._technical:
                wrapped = _owner_only(wrapped)
            super().register(model, wrapped, **options)

    @cached_property
    def _technical(self) -> set[str]:
        return technical_models()

    def get_urls(self) -> list[Any]:
        extra = [path("tablero/", self.admin_view(self.dashboard_view), name="dashboard")]
        return extra + super().get_urls()

    def index(self, request: HttpRequest, extra_context: dict | None = None) -> HttpResponse:
        from platform_core.dashboard import index_cards

        context = {
            "today": timezone.localdate(),
            "cards": index_cards(request),
            "is_owner": is_owner(request.user),
            **(extra_context or {}),
        }
        return super().index(request, context)

    def dashboard_view(self, request: HttpRequest) -> HttpResponse:
        from django.core.exceptions import PermissionDenied

        from platform_core.dashboard import build_dashboard

        if not is_owner(request.user):
            raise PermissionDenied
        days = _int_param(request.GET.get("dias"), default=30, low=1, high=366)
        board = build_dashboard(days=days, today=_date_param(request.GET.get("hasta")))
        context = {
            **self.each_context(request),
            "title": _("Tablero del spa"),
            "board": board,
            "days": days,
            "day_choices": (7, 30, 90),
        }
        return TemplateResponse(request, "admin/studiozens_dashboard.html", context)


def _int_param(raw: str | None, *, default: int, low: int, high: int) -> int:
    try:
        value = int(raw or default)
    except ValueError:
        return default
    return min(max(value, low), high)


def _date_param(raw: str | None) -> date | None:
    try:
        return date.fromisoformat(raw) if raw else None
    except ValueError:
        return None


# --- Labels ------------------------------------------------------------------------------------
def translate_model_labels() -> None:
    """Make every model and field label translatable, third-party apps' included.

    Fields declared without a verbose name get Django's automatic one ("created at"), a
    plain string that gettext never sees; the same goes for third-party models whose
    names are not marked for translation ("outstanding token"). Wrapping those strings
    in ``gettext_lazy`` lets the project catalogue (``src/locale``) translate them. Only
    the runtime label changes: migrations read the declared ``_verbose_name``."""
    from django.apps import apps

    for model in apps.get_models():
        opts = model._meta
        for attr in ("verbose_name", "verbose_name_plural"):
            value = getattr(opts, attr)
            # An undeclared plural is Django's lazy "{verbose_name}s": a Promise, untranslated.
            if not isinstance(value, Promise) or attr not in opts.original_attrs:
                setattr(opts, attr, _(str(value)))
        for field in opts.get_fields(include_hidden=True):
            value = getattr(field, "verbose_name", None)
            if isinstance(value, str) and not isinstance(value, Promise):
                field.verbose_name = _(value)


class StudioZensAdminConfig(AdminConfig):
    """Replaces ``django.contrib.admin`` in INSTALLED_APPS: our site is the default one."""

    default_site = "platform_core.admin_site.StudioZensAdminSite"

    def ready(self) -> None:
        from platform_core.spreadsheets import register_lazy_xlsx

        register_lazy_xlsx()  # before the admins import django-import-export
        translate_model_labels()
        super().ready()
