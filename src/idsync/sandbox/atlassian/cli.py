"""`idsync sandbox jira`: run the Jira Data Center emulator in the foreground until Ctrl-C."""

from __future__ import annotations

from typing import Annotated

import typer

from idsync.sandbox.atlassian.common.cli import (
    AdminPassword,
    AdminUsername,
    FailRate,
    Host,
    JitterMs,
    LatencyMs,
    Port,
    RateLimit,
    Seed,
    Users,
    make_options,
    serve,
)


def jira(
    port: Port = 8082,
    host: Host = "127.0.0.1",
    users: Users = 100,
    projects: Annotated[int, typer.Option(min=0, help="Generated projects.")] = 5,
    seed: Seed = 1,
    token: Annotated[
        str | None, typer.Option(help="Personal access token of the admin (generated when omitted).")
    ] = None,
    username: AdminUsername = "admin",
    password: AdminPassword = "admin",
    version: Annotated[int, typer.Option(help="Jira major version to emulate: 9 or 10.")] = 9,
    latency_ms: LatencyMs = 0.0,
    jitter_ms: JitterMs = 0.0,
    fail_rate: FailRate = 0.0,
    rate_limit: RateLimit = None,
    service_desk: Annotated[
        list[str] | None,
        typer.Option(help="Project key of a Jira Service Management service desk (repeat for more)."),
    ] = None,
    licensed_users: Annotated[
        int | None, typer.Option(min=1, help="Seats of the Jira Software role (default: unlimited).")
    ] = None,
) -> None:
    """Start the Jira emulator, print its URL and sandbox credentials, serve until Ctrl-C."""
    from idsync.sandbox.atlassian.jira.app import create_app
    from idsync.sandbox.atlassian.jira.options import JiraOptions

    options = make_options(
        JiraOptions,
        users=users,
        projects=projects,
        seed=seed,
        token=token,
        username=username,
        password=password,
        version=version,
        latency_ms=latency_ms,
        jitter_ms=jitter_ms,
        read_fail_rate=fail_rate,
        write_fail_rate=fail_rate,
        rate_limit_requests=rate_limit,
        service_desks=tuple(service_desk or ()),
        licensed_users=licensed_users,
    )
    sandbox = create_app(options)
    state = sandbox.state
    base_url = f"http://{host}:{port}"
    # Sandbox credentials, printed on purpose: the issue requires them on start.
    serve(sandbox.app, host, port, [
        f"Jira {options.version} emulator: {base_url}/rest/api/2/",
        f"  users: {len(state.users)}  groups: {len(state.groups)}  projects: {len(state.projects)}",
        f"  Jira Software seats: {licensed_users or 'unlimited'}",
        f"  Basic auth:  {sandbox.username} / {sandbox.password}",
        f"  PAT (Bearer): {sandbox.token}",
        *([f"  service desks: {', '.join(options.service_desks)} ({base_url}/rest/servicedeskapi/)"]
          if options.service_desks else []),
        f"  admin API:   {base_url}/_sandbox/state",
    ])  # fmt: skip
