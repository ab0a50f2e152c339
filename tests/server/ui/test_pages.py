"""Every page of the UI in a real browser: it renders without console errors, axe-core finds no
serious or critical accessibility problem, and a screenshot of it is saved at 1280×800 and at 390 px
wide into screenshots/ at the repository root (git ignores it; the suite leaves it behind for people
to look at)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import quote

from idsync.server.ui import ROUTE_MODULES
from tests.server.ui.a11y import axe_violations
from tests.server.ui.conftest import DESKTOP, log_in
from tests.server.ui.serving import UI, UiServer

SCREENSHOTS = Path(__file__).resolve().parents[3] / "screenshots"
PHONE = {"width": 390, "height": 844}


def _route_exists(path: str) -> bool:
    return any(getattr(r, "path", None) == path for m in ROUTE_MODULES for r in m.routes)


def _setup(page: Any, server: UiServer) -> dict[str, str]:
    """History with a run, a stored plan and a finished job, made through the UI and the REST API."""
    page.goto(f"{server.url}{UI}/sync")  # a plan of the first sync, left unapplied (its page is long)
    page.get_by_role("button", name="Compute plan").click()
    page.wait_for_url(re.compile(r".*/ui/plans/[^/]+$"))
    plan_id = page.url.rsplit("/", 1)[1]
    with server.api.client() as api:
        synced = api.post("/profiles/p/sync").json()
    assert synced["status"] == "succeeded", synced
    state = server.okta.sandbox.state
    login = next(login for login, uid in sorted(state.logins.items()) if state.users[uid].status == "ACTIVE")
    person = next(i["user"] for i in synced["plan"]["items"] if i["action"] == "add_member")
    page.goto(f"{server.url}{UI}/connections")
    for name in ("okta", "jira"):  # the same check as `idsync check`, through htmx
        card = page.locator(f"#conn-{name}")
        card.get_by_role("button", name="Test connection").click()
        card.locator(".check-result").wait_for()
        assert card.locator(".check-result").inner_text().startswith("OK"), card.inner_text()
    page.goto(f"{server.url}{UI}/test-sync?connection=okta&login={quote(login)}")
    page.get_by_role("button", name=re.compile(r"^Sync .* now$")).click()
    page.wait_for_url(re.compile(r".*/ui/jobs/[^/]+$"))
    page.locator("#job h2").wait_for()
    job_id = page.url.rsplit("/", 1)[1]
    pages = {
        "overview": "/",
        "connections": "/connections",
        "synchronize": "/sync",
        "plan": f"/plans/{plan_id}",
        "job": f"/jobs/{job_id}",
        "history": "/runs",
        "run": f"/runs/{synced['run_id']}",
        "timeline": f"/people?user={quote(person)}",
        "test-sync": f"/test-sync?connection=okta&login={quote(login)}",
        "tokens": "/tokens",
    }
    if _route_exists("/profiles/{name}/settings"):  # the profile settings pages, when present
        pages["settings"] = "/profiles/p/settings"
    return pages


def _check(page: Any, name: str, url: str) -> list[str]:
    problems = []
    answer = page.goto(url)
    if answer is None or answer.status != 200:
        problems.append(f"{name}: status {answer.status if answer else None}")
    if page.get_by_role("heading", level=1).count() != 1:
        problems.append(f"{name}: not exactly one h1")
    for violation in axe_violations(page):
        problems.append(f"{name}: axe {violation}")
    page.set_viewport_size(DESKTOP)
    page.screenshot(path=str(SCREENSHOTS / f"{name}-1280.png"))
    page.set_viewport_size(PHONE)
    page.screenshot(path=str(SCREENSHOTS / f"{name}-390.png"), full_page=True)
    width = page.evaluate("document.documentElement.scrollWidth")
    if width > PHONE["width"] + 1:
        problems.append(f"{name}: {width} px wide at {PHONE['width']} px (scrolls sideways)")
    page.set_viewport_size(DESKTOP)
    return problems


def test_every_page_renders_accessibly_and_is_screenshot(page: Any, ui_server: UiServer) -> None:
    SCREENSHOTS.mkdir(exist_ok=True)
    problems = _check(page, "login", f"{ui_server.url}{UI}/login")
    log_in(page, ui_server)
    pages = _setup(page, ui_server)
    for name, path in pages.items():
        problems += _check(page, name, f"{ui_server.url}{UI}{path}")
    assert problems == []
    assert page.console_errors == []


def test_every_action_is_reachable_by_keyboard(admin_page: Any, ui_server: UiServer) -> None:
    page = admin_page
    page.goto(f"{ui_server.url}{UI}/sync")
    for _ in range(40):  # Tab through the page until the Compute plan button has the focus
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement && document.activeElement.id") == "compute":
            break
    else:
        raise AssertionError("the Compute plan button is not reachable with Tab")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r".*/ui/plans/[^/]+$"))
    assert page.get_by_role("heading", level=1).inner_text() == "Plan for profile p"
