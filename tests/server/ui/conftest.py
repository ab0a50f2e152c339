"""Fixtures of the admin UI tests: one Chromium for the whole session (Debian's /usr/bin/chromium,
driven by Playwright), one `idsync serve` process per test module over module-wide Okta and Jira
emulators, and pages that record console errors.

Use: `ui_server` (a `UiServer`: url, admin, password, idsync(), logged_in() httpx client), `page`
(a fresh browser context at 1280×800, not logged in) and `admin_page` (the same, logged in through the
login form). `page.console_errors` lists the console errors and page errors seen so far.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.server.ui.serving import UI, UiServer, running_emulators, ui_serving

CHROMIUM = os.environ.get("IDSYNC_TEST_CHROMIUM", "/usr/bin/chromium")
DESKTOP = {"width": 1280, "height": 800}


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One headless Chromium per test module (Playwright's own browser download is not used).
    Per module, not per session: Playwright's sync API runs an event loop in this thread while it is
    started, and the asyncio tests that run after the UI modules in the same worker need it gone."""
    if not Path(CHROMIUM).exists() and shutil.which("chromium") is None:
        pytest.fail(
            f"Chromium is not installed at {CHROMIUM} (Debian package `chromium`; `make test` installs it)"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def ui_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[UiServer]:
    """`idsync serve` for the whole module (profile `p`: Okta 80 people → Jira), admin ada."""
    workdir = tmp_path_factory.mktemp("ui")
    with running_emulators() as (okta, jira), ui_serving(workdir, okta, jira) as server:
        yield server
    print((workdir / "serve.log").read_text()[-6000:])  # shown by pytest when a test failed


def _page(browser: Any, viewport: dict[str, int] | None = None) -> Iterator[Any]:
    context = browser.new_context(viewport=viewport or DESKTOP)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.console_errors = errors
    page.set_default_timeout(30_000)
    yield page
    context.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh browser page at 1280×800 with no session."""
    yield from _page(browser)


def log_in(page: Any, server: UiServer) -> None:
    """Log in through the form as the server's admin."""
    page.goto(f"{server.url}{UI}/login")
    page.get_by_label("Admin name").fill(server.admin)
    page.get_by_label("Password").fill(server.password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{server.url}{UI}/")


@pytest.fixture
def admin_page(page: Any, ui_server: UiServer) -> Any:
    """A browser page logged in as the admin."""
    log_in(page, ui_server)
    return page
