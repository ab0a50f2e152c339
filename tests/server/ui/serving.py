"""`idsync serve` in its own process for the admin UI tests, over Okta and Jira emulators, with an
admin made by the real `idsync admin add --password-stdin`; and a logged-in HTTP client that logs in
through the real login form."""

from __future__ import annotations

import contextlib
import re
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from idsync.sandbox.atlassian.jira.app import create_app as create_jira
from idsync.sandbox.atlassian.jira.options import JiraOptions
from idsync.sandbox.common.server import serve_in_thread
from idsync.sandbox.okta.app import create_app as create_okta
from idsync.sandbox.okta.options import OktaOptions
from tests.fixtures.sandbox import RunningJira, RunningOkta
from tests.server.api.serving import ApiServer, cli, serving, write_config

ADMIN = "ada"
PASSWORD = "correct horse battery staple"
UI = "/ui"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass
class UiServer:
    """A running `idsync serve` with one admin, and the emulators behind it."""

    api: ApiServer
    okta: RunningOkta
    jira: RunningJira
    admin: str = ADMIN
    password: str = PASSWORD

    @property
    def url(self) -> str:
        """The server's base URL (the UI is at url + /ui)."""
        return self.api.url

    @property
    def config(self) -> Path:
        """The config file the server loaded."""
        return self.api.config

    def idsync(self, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        """Run the real `idsync` CLI on the server's config."""
        return subprocess.run(
            [cli(), *args, "--config", str(self.api.config)],
            capture_output=True, text=True, timeout=120, check=False, env=self.api.env, input=stdin,
        )  # fmt: skip

    def anonymous(self, **kwargs: Any) -> httpx.Client:
        """An HTTP client on the server with no session (redirects are not followed)."""
        return httpx.Client(base_url=self.url, timeout=60, follow_redirects=False, **kwargs)

    @contextlib.contextmanager
    def logged_in(self) -> Iterator[httpx.Client]:
        """An HTTP client logged in as the admin through the login form (GET, then POST with its token)."""
        with self.anonymous() as client:
            form = client.get(f"{UI}/login")
            assert form.status_code == 200, form.text
            done = client.post(f"{UI}/login", data={
                "name": self.admin, "password": self.password, "csrf_token": csrf_of(form.text), "next": "",
            })  # fmt: skip
            assert done.status_code == 303, done.text
            yield client


def csrf_of(html: str) -> str:
    """The CSRF token of the first form on a page."""
    found = _CSRF.search(html)
    assert found, "the page has no form with a CSRF token"
    return found.group(1)


@contextlib.contextmanager
def running_emulators(*, users: int = 80, groups: int = 10) -> Iterator[tuple[RunningOkta, RunningJira]]:
    """An Okta emulator (`users` people in `groups` groups) and an empty Jira with one project, for a
    whole test module (the sandbox fixtures are per test)."""
    okta_box = create_okta(OktaOptions(users=users, groups=groups, apps=0, seed=4))
    jira_box = create_jira(JiraOptions(users=0, projects=1))
    okta_server = serve_in_thread(okta_box.app)
    jira_server = serve_in_thread(jira_box.app)
    try:
        yield (
            RunningOkta(okta_server.url, okta_box.token, okta_box, okta_server),
            RunningJira(
                jira_server.url, jira_box.token, jira_box.username, jira_box.password, jira_box, jira_server
            ),
        )
    finally:
        okta_server.stop()
        jira_server.stop()


@contextlib.contextmanager
def ui_serving(
    workdir: Path, okta: RunningOkta, jira: RunningJira, *, config_text: str | None = None
) -> Iterator[UiServer]:
    """`idsync serve` on the end-to-end config (profile `p`: Okta → Jira, plus SCIM inbox `push`), or on
    `config_text` (with {store_url}, {okta_url}, {jira_url} filled in), with admin ADMIN added."""
    if config_text is None:
        config = write_config(workdir, okta, jira, max_deactivations=2)
    else:
        config = workdir / "idsync.yaml"
        config.write_text(config_text.format(
            store_url=f"sqlite:///{workdir / 'idsync.db'}", okta_url=okta.url, jira_url=jira.url
        ))  # fmt: skip
    env = {"OKTA_TOKEN": okta.token, "JIRA_TOKEN": jira.token}
    added = subprocess.run(
        [cli(), "admin", "add", ADMIN, "--password-stdin", "--config", str(config)],
        input=PASSWORD + "\n", capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    with serving(config, env, workdir / "serve.log") as server:
        yield UiServer(server, okta, jira)
