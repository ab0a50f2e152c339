"""`idsync demo`: the main job end to end on the local sandbox, in under a minute.

Starts the sandbox Okta (about 500 people, 40 groups, one app) and the sandbox Jira, Confluence and
Bitbucket in-process on free ports, writes a demo config with one profile that targets all three
(each product's own licence group for new users) next to a demo database, shows the plan, applies it
with progress bars, shows the history; then changes a few people in Okta through the Okta API (a
suspension, a new hire, a group move), shows and applies the small follow-up plan and a last run with
nothing to do, and ends with each product's active users and groups from Okta, read from the
emulators, so the three can be seen to agree. Everything goes through the same engine, HTTP clients
and store as production: only the four servers are local.
"""

from __future__ import annotations

import asyncio
import os
import re
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.rule import Rule

from idsync.config.loader import load_config
from idsync.console.history_view import render_runs
from idsync.console.plan_view import render_plan, render_results
from idsync.console.progress import progress_bars
from idsync.domain.plan import Plan
from idsync.engine.guards import GuardReport
from idsync.engine.run import Engine, RunReport, RunRequest
from idsync.http import HttpClient, next_link
from idsync.runtime import run_loop
from idsync.sandbox.atlassian.bitbucket.app import BitbucketSandbox
from idsync.sandbox.atlassian.bitbucket.app import create_app as create_bitbucket
from idsync.sandbox.atlassian.bitbucket.options import BitbucketOptions
from idsync.sandbox.atlassian.confluence.app import ConfluenceSandbox
from idsync.sandbox.atlassian.confluence.app import create_app as create_confluence
from idsync.sandbox.atlassian.confluence.options import ConfluenceOptions
from idsync.sandbox.atlassian.jira.app import JiraSandbox
from idsync.sandbox.atlassian.jira.app import create_app as create_jira
from idsync.sandbox.atlassian.jira.options import JiraOptions
from idsync.sandbox.common.server import RunningServer, serve_in_thread
from idsync.sandbox.okta.app import create_app as create_okta
from idsync.sandbox.okta.options import OktaOptions
from idsync.store import Store

PROFILE = "okta-to-atlassian"

CONFIG = """\
# Written by `idsync demo`: the sandbox Okta, Jira, Confluence and Bitbucket on loopback. Tokens come
# from the environment.
database: sqlite:///idsync.db

connections:
  okta:
    type: okta
    url: {okta_url}
    token: ${{IDSYNC_DEMO_OKTA_TOKEN}}
  jira:
    type: jira
    url: {jira_url}
    token: ${{IDSYNC_DEMO_JIRA_TOKEN}}
  confluence:
    type: confluence
    url: {confluence_url}
    token: ${{IDSYNC_DEMO_CONFLUENCE_TOKEN}}
  bitbucket:
    type: bitbucket
    url: {bitbucket_url}
    token: ${{IDSYNC_DEMO_BITBUCKET_TOKEN}}

profiles:
  {profile}:
    source: okta
    targets: [jira, confluence, bitbucket]
    users:
      when_removed: deactivate
      match_existing_by: username
      username: {{attribute: login, regex: "(.*)@.*", replace: "$1", lowercase: true}}
      attributes:
        email: email
        display_name: ["{{displayName}}", "{{firstName}} {{lastName}}"]
      custom_attributes:
        department: department
        cost-center: costCenter
    groups:
      mode: on_the_fly
      include: ["^team-", "^(Engineering|Sales|Marketing|Support|Product|Design)$"]
      rename: {{regex: "^(.*)$", replace: "okta-$1"}}
      create_missing: true
      keep_existing_memberships: true
      default_groups:
        new_users: [jira-software-users]
        new_users_by_target: {{confluence: [confluence-users], bitbucket: [stash-users]}}
    leads:
      default_project_lead: admin
      default_component_lead: admin
    safety:
      max_deactivations: 50
      max_deactivation_percent: 10
      protected_users: [admin]
      protected_groups: [jira-administrators]
"""


def run_demo(workdir: Path, *, users: int = 500, groups: int = 40, console: Console | None = None) -> int:
    """Run the demo; returns the exit status (0 when every sync applied every item)."""
    console = console or Console()
    check_size(users, groups)
    okta = create_okta(OktaOptions(users=users, groups=groups, apps=1, seed=7))
    jira = create_jira(JiraOptions(users=0, projects=3, seed=7))
    confluence = create_confluence(ConfluenceOptions(users=0, seed=7))
    bitbucket = create_bitbucket(BitbucketOptions(users=0, seed=7))
    servers: list[RunningServer] = []
    try:
        for sandbox in (okta, jira, confluence, bitbucket):
            servers.append(serve_in_thread(sandbox.app))
        okta_url, jira_url, confluence_url, bitbucket_url = (server.url for server in servers)
        workdir.mkdir(parents=True, exist_ok=True)
        (workdir / "idsync.db").unlink(missing_ok=True)
        config_file = workdir / "idsync.yaml"
        config_file.write_text(CONFIG.format(
            okta_url=okta_url, jira_url=jira_url, confluence_url=confluence_url,
            bitbucket_url=bitbucket_url, profile=PROFILE,
        ))
        os.environ["IDSYNC_DEMO_OKTA_TOKEN"] = okta.token
        os.environ["IDSYNC_DEMO_JIRA_TOKEN"] = jira.token
        os.environ["IDSYNC_DEMO_CONFLUENCE_TOKEN"] = confluence.token
        os.environ["IDSYNC_DEMO_BITBUCKET_TOKEN"] = bitbucket.token
        console.print(Rule("idsync demo"))
        console.print(
            f"sandbox Okta        {okta_url}  ({users} people, {groups} groups, 1 app)\n"
            f"sandbox Jira        {jira_url}  (admin + 3 projects)\n"
            f"sandbox Confluence  {confluence_url}  (admin only)\n"
            f"sandbox Bitbucket   {bitbucket_url}  (admin only)\n"
            f"config              {config_file}\n"
            f"database            {workdir / 'idsync.db'}",
            highlight=False,
        )
        config = load_config(config_file)
        store = Store.open(config.database)
        try:
            first = _sync(console, config, store, "1. First sync: create the people and groups in scope")
            console.print(Rule("history"))
            render_runs(console, store.runs(PROFILE, 5))
            changes = asyncio.run(_change_people(okta_url, okta.token))
            console.print(Rule("2. Meanwhile, in Okta"))
            for line in changes:
                console.print(f"  • {line}", highlight=False)
            second = _sync(console, config, store, "3. Follow-up sync: only what changed")
            console.print(Rule("history"))
            render_runs(console, store.runs(PROFILE, 5))
            third = _sync(console, config, store, "4. Once more: nothing left to do")
        finally:
            store.close()
        console.print(Rule("5. One profile, three products in step"))
        for line in in_step(jira, confluence, bitbucket):
            console.print(f"  {line}", highlight=False)
        console.print(
            f"\nThe history stays in {workdir / 'idsync.db'}; the sandbox servers stop now.\n"
            f"  idsync history --config {config_file}\n"
            f"  idsync history RUN_ID --config {config_file}",
            highlight=False,
        )
        return max(first.exit_code, second.exit_code, third.exit_code)
    finally:
        for server in servers:
            server.stop()


def _sync(console: Console, config: Any, store: Store, title: str) -> RunReport:
    console.print(Rule(title))

    def show(plan: Plan, guard: GuardReport) -> bool:
        render_plan(console, plan)
        return True

    with progress_bars(console) as progress:
        engine = Engine(config, store, progress=progress)
        report = run_loop(engine.run(RunRequest(PROFILE, "demo"), confirm=show))
    if report.plan is not None and report.results:
        render_results(console, report.plan, report.results)
    elif report.plan is not None and report.plan.empty:
        render_plan(console, report.plan)
    if report.error:
        console.print(f"[red]{report.error}[/]", highlight=False)
    phases = " · ".join(
        f"{name.replace('_', ' ')} {seconds:.2f} s" for name, seconds in report.timings.items()
    )
    console.print(f"[dim]{phases}[/]", highlight=False)
    return report


def in_step(jira: JiraSandbox, confluence: ConfluenceSandbox, bitbucket: BitbucketSandbox) -> list[str]:
    """One line per product, read from the emulators' state: its active users (the admin included)
    and the groups synced from Okta (named okta-* by the profile's `groups.rename`). Bitbucket has no
    deactivate, so its active users are the ones holding a licence (idsync takes a leaver out of the
    licence groups)."""
    counts = {
        "Jira": (sum(1 for u in jira.state.users.values() if u.active),
                 sum(1 for g in jira.state.groups.values() if g.name.startswith("okta-"))),
        "Confluence": (confluence.state.enabled_count(),
                       sum(1 for g in confluence.state.groups.values() if g.name.startswith("okta-"))),
        "Bitbucket": (bitbucket.state.licensed_count(),
                      sum(1 for g in bitbucket.state.groups.values() if g.name.startswith("okta-"))),
    }
    return [f"{product:<11} {active} active users · {synced} groups from Okta"
            for product, (active, synced) in counts.items()]


IN_SCOPE = re.compile(r"^team-|^(Engineering|Sales|Marketing|Support|Product|Design)$")
"""The demo profile's `groups.include`, as one pattern: the groups whose changes the demo shows."""
MIN_USERS = 10
MIN_GROUPS = 2


class DemoSizeError(ValueError):
    """The sandbox data of the requested size has nothing to show the follow-up sync with."""


def check_size(users: int, groups: int) -> None:
    """Refuse sizes below the demo's minimum, naming it (ValueError with the message)."""
    if users < MIN_USERS:
        raise DemoSizeError(f"--users must be at least {MIN_USERS} (got {users}): the demo suspends, "
                            "hires and moves people between groups")
    if groups < MIN_GROUPS:
        raise DemoSizeError(f"--groups must be at least {MIN_GROUPS} (got {groups}): the demo moves a "
                            "person from one group in scope to another")


def pick_changes(groups: list[dict[str, Any]], members: dict[str, list[dict[str, Any]]]) -> tuple[
    dict[str, Any], dict[str, Any], dict[str, Any], dict[str, Any]
]:
    """(from group, to group, person to suspend, person to move), chosen among the groups the demo
    profile syncs: a group with two active members, and another group in scope the mover is not in.
    Raises DemoSizeError when the sandbox data has no such pair."""
    in_scope = sorted((g for g in groups if IN_SCOPE.search(g["profile"]["name"])), key=lambda g: g["id"])
    for first in in_scope:
        active = [m for m in members.get(first["id"], []) if m["status"] == "ACTIVE"]
        if len(active) < 2:
            continue
        suspended, moved = active[0], active[1]
        for second in in_scope:
            ids = {m["id"] for m in members.get(second["id"], [])}
            if second["id"] != first["id"] and moved["id"] not in ids:
                return first, second, suspended, moved
    raise DemoSizeError(
        "the sandbox data of this size has no group in scope (team-*, Engineering, Sales, Marketing, "
        "Support, Product, Design) with two active members and a second group to move one of them "
        "to: use more --users or --groups"
    )


async def _change_people(okta_url: str, token: str) -> list[str]:
    """A suspension, a new hire and a group move, made through the Okta API like an admin would."""
    headers = {"Authorization": f"SSWS {token}", "Accept": "application/json"}
    okta = HttpClient(okta_url, headers=headers, timeout=10, max_concurrency=4)
    try:
        groups = await _all(okta, "/api/v1/groups", {"limit": "200"})
        members = {
            g["id"]: await _all(okta, f"/api/v1/groups/{g['id']}/users", {"limit": "1000"})
            for g in groups if IN_SCOPE.search(g["profile"]["name"])
        }
        first, second, suspended, moved = pick_changes(groups, members)
        lines = []

        await okta.request("POST", f"/api/v1/users/{suspended['id']}/lifecycle/suspend")
        lines.append(f"suspended {suspended['profile']['login']}")

        await okta.request(
            "POST",
            "/api/v1/users",
            params={"activate": "true"},
            json={
                "profile": {
                    "firstName": "Ada",
                    "lastName": "Lovelace",
                    "email": "ada.lovelace@example.com",
                    "login": "ada.lovelace@example.com",
                    "department": "Engineering",
                    "costCenter": "CC-1001",
                },
                "credentials": {"password": {"value": "Demo-Passw0rd-1"}},
                "groupIds": [first["id"]],
            },
        )
        lines.append(f"hired ada.lovelace@example.com into {first['profile']['name']}")

        await okta.request("DELETE", f"/api/v1/groups/{first['id']}/users/{moved['id']}")
        await okta.request("PUT", f"/api/v1/groups/{second['id']}/users/{moved['id']}")
        login, old, new = moved["profile"]["login"], first["profile"]["name"], second["profile"]["name"]
        lines.append(f"moved {login} from {old} to {new}")
        return lines
    finally:
        await okta.aclose()


async def _all(okta: HttpClient, path: str, params: dict[str, str]) -> list[dict[str, Any]]:
    """Every page of an Okta list, following the Link: rel="next" headers."""
    found: list[dict[str, Any]] = []
    response = await okta.request("GET", path, params=params, ok=(200,))
    while True:
        found.extend(response.json())
        following = next_link(response)
        if not following:
            return found
        response = await okta.request("GET", following, ok=(200,))
