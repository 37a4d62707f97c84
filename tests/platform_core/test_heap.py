"""The start-up heap is frozen once per process (platform_core.heap, docs/performance.md)."""

from __future__ import annotations

from tests.app_process import last_line_printed_by


def _freeze_count_after(statement: str) -> int:
    return int(last_line_printed_by(f"import gc\n{statement}\nprint(gc.get_freeze_count())"))


def test_the_asgi_application_freezes_django_and_every_route() -> None:
    # Tens of thousands of objects: Django, the apps, the URL conf and the API's views.
    assert _freeze_count_after("import studiozens.asgi") > 50_000


def test_freeze_imports_the_url_conf_first() -> None:
    statement = (
        "import os, sys\n"
        "os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'studiozens.settings')\n"
        "import django; django.setup()\n"
        "from platform_core.heap import freeze_startup_heap\n"
        "freeze_startup_heap()\n"
        "assert 'modules.booking.desk_api' in sys.modules, 'views not imported'"
    )
    assert _freeze_count_after(statement) > 50_000
