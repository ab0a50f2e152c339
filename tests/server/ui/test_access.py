"""Login, sessions and CSRF over raw HTTP against `idsync serve`: every UI route redirects to the login
page without a session (the routes are enumerated from the app, so a new one cannot be missed), every
unsafe route refuses a form without its CSRF token, a wrong password is refused and then throttled,
logging out ends the session, and removing an admin ends theirs."""

from __future__ import annotations

import re
import time

import httpx
import pytest
from starlette.routing import Route

from idsync.server.ui import ROUTE_MODULES
from idsync.service.admins import MAX_FAILURES_PER_NAME
from tests.server.ui.serving import UI, UiServer, csrf_of

PUBLIC = {"/login"}


def _ui_routes() -> list[tuple[str, str]]:
    """(method, path with its parameters filled in) of every route of the UI."""
    found = []
    for module in ROUTE_MODULES:
        for route in module.routes:
            assert isinstance(route, Route), f"{module.__name__}: {route!r} is not a Route"
            path = re.sub(r"\{[^}]+\}", "x", route.path)
            for method in sorted(route.methods or ()):
                if method != "HEAD":
                    found.append((method, path))
    return found


def test_the_routes_are_enumerated() -> None:
    paths = {path for _, path in _ui_routes()}
    assert {"/", "/runs", "/runs/x", "/sync", "/tokens", "/login", "/logout"} <= paths


@pytest.mark.parametrize(("method", "path"), [r for r in _ui_routes() if r[1] not in PUBLIC])
def test_every_route_redirects_to_login_without_a_session(
    ui_server: UiServer, method: str, path: str
) -> None:
    with ui_server.anonymous() as client:
        answer = client.request(method, UI + path, data={"a": "b"} if method == "POST" else None)
    assert answer.status_code == 303, answer.text
    assert answer.headers["location"].startswith(f"{UI}/login")


def test_a_forged_or_old_cookie_is_no_session(ui_server: UiServer) -> None:
    with ui_server.anonymous(cookies={"idsync_ui": "eyJhZG1pbiI6ICJhZGEifQ==.forged.sig"}) as client:
        answer = client.get(f"{UI}/")
    assert answer.status_code == 303


def test_htmx_requests_without_a_session_are_sent_to_login(ui_server: UiServer) -> None:
    with ui_server.anonymous() as client:
        answer = client.post(f"{UI}/connections/okta/test", headers={"HX-Request": "true"})
    assert (
        answer.status_code == 401
        and answer.headers["HX-Redirect"] == f"{UI}/login?next=%2Fui%2Fconnections%2Fokta%2Ftest"
    )


@pytest.mark.parametrize("path", sorted({p for m, p in _ui_routes() if m == "POST"}))
def test_every_form_without_its_csrf_token_is_refused(ui_server: UiServer, path: str) -> None:
    with ui_server.logged_in() as client:
        bare = client.post(UI + path, data={"name": "x", "profile": "p", "login": "x"})
        wrong = client.post(UI + path, data={"csrf_token": "not-the-token", "profile": "p"})
        header = client.post(UI + path, headers={"X-CSRF-Token": "not-the-token"})
    for answer in (bare, wrong, header):
        assert answer.status_code == 403, (path, answer.status_code)
        assert "security token" in answer.text


def test_login_needs_its_csrf_token_too(ui_server: UiServer) -> None:
    with ui_server.anonymous() as client:
        client.get(f"{UI}/login")
        answer = client.post(f"{UI}/login", data={"name": ui_server.admin, "password": ui_server.password})
    assert answer.status_code == 403


def test_the_session_cookie_is_httponly_samesite_and_signed(ui_server: UiServer) -> None:
    with ui_server.anonymous() as client:
        page = client.get(f"{UI}/login")
        cookie = page.headers["set-cookie"]
        done = client.post(f"{UI}/login", data={
            "name": ui_server.admin, "password": ui_server.password, "csrf_token": csrf_of(page.text),
        })  # fmt: skip
    assert "httponly" in cookie.lower() and "samesite=lax" in cookie.lower()
    assert done.status_code == 303 and done.headers["location"] == f"{UI}/"
    assert ui_server.password not in done.headers["set-cookie"]


def test_login_returns_to_the_page_asked_for_and_never_to_another_site(ui_server: UiServer) -> None:
    cases = [(f"{UI}/runs?profile=p", f"{UI}/runs?profile=p"), ("https://evil.example/", f"{UI}/"),
             ("//evil.example/", f"{UI}/")]  # fmt: skip
    for wanted, lands in cases:
        with ui_server.anonymous() as client:
            page = client.get(f"{UI}/login")
            done = client.post(f"{UI}/login", data={
                "name": ui_server.admin, "password": ui_server.password, "csrf_token": csrf_of(page.text),
                "next": wanted,
            })  # fmt: skip
        assert done.headers["location"] == lands


def test_a_wrong_password_is_refused_then_the_name_is_throttled(ui_server: UiServer) -> None:
    added = ui_server.idsync("admin", "add", "bob", "--password-stdin", stdin="bobs password is long\n")
    assert added.returncode == 0, added.stderr
    with ui_server.anonymous() as client:
        token = csrf_of(client.get(f"{UI}/login").text)
        for _ in range(MAX_FAILURES_PER_NAME):
            wrong = client.post(f"{UI}/login", data={"name": "bob", "password": "guess", "csrf_token": token})
            assert wrong.status_code == 401 and "Wrong admin name or password" in wrong.text
        right = client.post(
            f"{UI}/login", data={"name": "bob", "password": "bobs password is long", "csrf_token": token}
        )
        assert right.status_code == 429, "throttled: even the right password waits"
        assert "Too many failed logins" in right.text and int(right.headers["Retry-After"]) > 0
        other = client.post(
            f"{UI}/login", data={"name": ui_server.admin, "password": ui_server.password, "csrf_token": token}
        )
        assert other.status_code == 303, "another admin from the same address may still log in"


def test_logout_ends_the_session(ui_server: UiServer) -> None:
    with ui_server.logged_in() as client:
        home = client.get(f"{UI}/")
        assert home.status_code == 200
        out = client.post(f"{UI}/logout", data={"csrf_token": csrf_of(home.text)})
        assert out.status_code == 303
        assert client.get(f"{UI}/").status_code == 303


def test_removing_an_admin_ends_their_sessions(ui_server: UiServer) -> None:
    added = ui_server.idsync("admin", "add", "carol", "--password-stdin", stdin="carols password is long\n")
    assert added.returncode == 0, added.stderr
    with ui_server.anonymous() as client:
        token = csrf_of(client.get(f"{UI}/login").text)
        done = client.post(
            f"{UI}/login", data={"name": "carol", "password": "carols password is long", "csrf_token": token}
        )
        assert done.status_code == 303 and client.get(f"{UI}/").status_code == 200
        assert ui_server.idsync("admin", "remove", "carol").returncode == 0
        deadline = time.monotonic() + 30  # the server rereads the admins every couple of seconds
        while client.get(f"{UI}/").status_code == 200:
            assert time.monotonic() < deadline, "the removed admin's session still works"
            time.sleep(0.5)


def test_secrets_are_never_rendered(ui_server: UiServer) -> None:
    secrets = (ui_server.okta.token, ui_server.jira.token, ui_server.password)
    with ui_server.logged_in() as client:
        pages = [client.get(UI + path) for path in ("/", "/connections", "/tokens", "/sync", "/runs")]
    for answer in pages:
        assert answer.status_code == 200
        assert not any(secret in answer.text for secret in secrets)
    assert "not set" in pages[1].text or "set" in pages[1].text


def test_unknown_things_are_404_pages(ui_server: UiServer) -> None:
    with ui_server.logged_in() as client:
        for path in ("/runs/nope", "/plans/nope", "/jobs/nope"):
            answer = client.get(UI + path)
            assert answer.status_code == 404, path
            assert isinstance(answer, httpx.Response)
