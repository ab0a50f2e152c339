"""Tokens in the UI (a new token is shown once, then only "set"; API tokens revoke; SCIM tokens issue,
rotate and revoke, and the SCIM endpoint agrees) and the `idsync admin` commands."""

from __future__ import annotations

import json
import re
import time

import httpx

from tests.server.ui.serving import UI, UiServer, csrf_of

_TOKEN = re.compile(r'id="new-token" class="token" readonly value="([^"]+)"')


def _answers(url: str, token: str, status: int) -> bool:
    """Whether the SCIM endpoint answers `status` to `token` within its token cache time (~2 s)."""
    deadline = time.monotonic() + 30
    while httpx.get(url, headers={"Authorization": f"Bearer {token}"}).status_code != status:
        if time.monotonic() > deadline:
            return False
        time.sleep(0.3)
    return True


def _issued(html: str) -> str:
    found = _TOKEN.search(html)
    assert found, "the answer shows no new token"
    return found.group(1)


def test_an_api_token_is_shown_once_works_and_revokes(ui_server: UiServer) -> None:
    with ui_server.logged_in() as client:
        page = client.get(f"{UI}/tokens")
        made = client.post(f"{UI}/tokens/api", data={"name": "portal", "csrf_token": csrf_of(page.text)})
        assert made.status_code == 200 and made.headers["cache-control"] == "no-store"
        token = _issued(made.text)
        assert token.startswith("ids_")
        again = client.get(f"{UI}/tokens")
        assert token not in again.text and "portal" in again.text
        with ui_server.api.client(token) as api:
            assert api.get("/profiles").status_code == 200
        taken = client.post(f"{UI}/tokens/api", data={"name": "portal", "csrf_token": csrf_of(page.text)})
        assert taken.status_code == 422 and "never reused" in taken.text
        revoked = client.post(f"{UI}/tokens/api/portal/revoke", data={"csrf_token": csrf_of(page.text)})
        assert revoked.status_code == 303
        assert "revoked" in client.get(f"{UI}/tokens").text


def test_scim_tokens_issue_rotate_and_revoke(ui_server: UiServer) -> None:
    scim = f"{ui_server.url}/scim/v2/push/Users"
    with ui_server.logged_in() as client:
        token_field = csrf_of(client.get(f"{UI}/tokens").text)
        first = _issued(client.post(f"{UI}/tokens/scim/push/issue", data={"csrf_token": token_field}).text)
        assert _answers(scim, first, 200)
        page = client.get(f"{UI}/tokens").text
        assert first not in page and "Rotate push" in page
        twice = client.post(f"{UI}/tokens/scim/push/issue", data={"csrf_token": token_field})
        assert twice.status_code == 409 and "already has a SCIM token" in twice.text
        second = _issued(client.post(f"{UI}/tokens/scim/push/rotate", data={"csrf_token": token_field}).text)
        assert _answers(scim, first, 401) and _answers(scim, second, 200)
        gone = client.post(f"{UI}/tokens/scim/push/revoke", data={"csrf_token": token_field})
        assert gone.status_code == 303
        assert _answers(scim, second, 401)
        assert "Issue token for push" in client.get(f"{UI}/tokens").text


def test_admin_commands(ui_server: UiServer) -> None:
    short = ui_server.idsync("admin", "add", "dora", "--password-stdin", stdin="short\n")
    assert short.returncode == 2 and "at least 12" in short.stderr
    assert (
        ui_server.idsync("admin", "add", "dora", "--password-stdin", stdin="doras long password\n").returncode
        == 0
    )
    twice = ui_server.idsync("admin", "add", "dora", "--password-stdin", stdin="doras long password\n")
    assert twice.returncode == 2 and "exists already" in twice.stderr
    listed = ui_server.idsync("admin", "list", "--json")
    names = [a["name"] for a in json.loads(listed.stdout)]
    assert "dora" in names and ui_server.admin in names and "argon2" not in listed.stdout
    assert ui_server.idsync("admin", "remove", "dora").returncode == 0
    missing = ui_server.idsync("admin", "remove", "dora")
    assert missing.returncode == 2 and "no admin named 'dora'" in missing.stderr


def test_admin_add_prompts_for_the_password_twice(ui_server: UiServer) -> None:
    typed = ui_server.idsync("admin", "add", "erin", stdin="erins long password\nerins long password\n")
    assert typed.returncode == 0, typed.stderr
    mismatch = ui_server.idsync("admin", "add", "fred", stdin="freds long password\nsomething else\n")
    assert mismatch.returncode != 0
    assert "fred" not in ui_server.idsync("admin", "list").stdout
