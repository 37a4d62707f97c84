"""Real-browser harness: Debian's Chromium driven by Playwright against pytest-django's
live server on the test database (PostgreSQL in CI).

Fixtures for any browser test (the front desk's, the inbox's, the dashboard's):
``browser`` (one Chromium per session), ``live_url``, ``login(user)`` -> a logged-in
page, ``shot(page, name)`` -> a screenshot in var/screenshots/ (and docs/img/ when
SZ_UPDATE_DOCS_IMG=1). No browser download ever: Chromium comes from apt
(`apt-get install -y chromium`, done by .ci/run); without it the tests skip locally and
fail in CI.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = os.environ.get("SZ_CHROMIUM", "/usr/bin/chromium")
ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "var" / "screenshots"
DOCS_IMG = ROOT / "docs" / "img"
PASSWORD = "ClaveSegura123!"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


@pytest.fixture(scope="module", autouse=True)
def _orm_beside_playwright() -> Iterator[None]:
    """Playwright's sync API runs an event loop in this thread; the ORM calls these tests
    make for their data would otherwise be refused as "async unsafe". Only while this
    folder's tests run: the rest of the suite keeps Django's guard."""
    before = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    yield
    if before is None:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = before


# Module scope: Playwright's sync API keeps an event loop running in the main thread until it
# stops, and a session-wide one broke every later test that calls asyncio.run().
@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} missing: .ci/run installs Debian's chromium")
        pytest.skip(f"{CHROMIUM} not installed (apt-get install -y chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def live_url(live_server: Any) -> str:
    return str(live_server.url)


@pytest.fixture
def login(browser: Any, live_url: str) -> Iterator[Callable[..., Any]]:
    """login(user) -> a Playwright page logged into /admin/ as ``user`` (es-CO)."""
    contexts: list[Any] = []

    def _login(user: Any, *, width: int = 1400, height: int = 1000) -> Any:
        context = browser.new_context(
            viewport={"width": width, "height": height},
            locale="es-CO",
            timezone_id="America/Bogota",
        )
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.goto(f"{live_url}/admin/login/")
        page.fill("#id_username", user.get_username())
        page.fill("#id_password", PASSWORD)
        page.click("input[type=submit]")
        page.wait_for_url(f"{live_url}/admin/")
        return page

    yield _login
    for context in contexts:
        context.close()


@pytest.fixture
def shot() -> Callable[[Any, str], Path]:
    """shot(page, "01-name") saves var/screenshots/01-name.png (and docs/img/ on demand)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def _shot(page: Any, name: str, **kwargs: Any) -> Path:
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), **kwargs)
        if os.environ.get("SZ_UPDATE_DOCS_IMG") == "1":
            DOCS_IMG.mkdir(parents=True, exist_ok=True)
            shutil.copy(path, DOCS_IMG / path.name)
        return path

    return _shot
