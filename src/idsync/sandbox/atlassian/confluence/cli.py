"""`idsync sandbox confluence`: run the Confluence Data Center emulator in the foreground until Ctrl-C."""

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
    Seed,
    Users,
    make_options,
    serve,
)


def confluence(
    port: Port = 8090,
    host: Host = "127.0.0.1",
    users: Users = 100,
    seed: Seed = 1,
    token: Annotated[
        str | None, typer.Option(help="Personal access token of the admin (generated when omitted).")
    ] = None,
    username: AdminUsername = "admin",
    password: AdminPassword = "admin",
    version: Annotated[
        str, typer.Option(help="Confluence release to emulate: 7.19, 8.2, 8.4, 8.5 or 9.2.")
    ] = "8.5",
    licensed_users: Annotated[
        int | None, typer.Option(min=1, help="Licence seats; creating users beyond them answers 402.")
    ] = None,
    latency_ms: LatencyMs = 0.0,
    jitter_ms: JitterMs = 0.0,
    fail_rate: FailRate = 0.0,
) -> None:
    """Start the Confluence emulator, print its URL and sandbox credentials, serve until Ctrl-C."""
    from idsync.sandbox.atlassian.confluence.app import create_app
    from idsync.sandbox.atlassian.confluence.options import ConfluenceOptions

    options = make_options(
        ConfluenceOptions,
        users=users,
        seed=seed,
        token=token,
        username=username,
        password=password,
        version=version,
        licensed_users=licensed_users,
        latency_ms=latency_ms,
        jitter_ms=jitter_ms,
        read_fail_rate=fail_rate,
        write_fail_rate=fail_rate,
    )
    sandbox = create_app(options)
    state = sandbox.state
    base_url = f"http://{host}:{port}"
    seats = "unlimited" if licensed_users is None else str(licensed_users)
    # Sandbox credentials, printed on purpose: whoever starts an emulator needs them.
    serve(sandbox.app, host, port, [
        f"Confluence {options.release.version} emulator: {base_url}/rest/api/",
        f"  users: {len(state.users)}  groups: {len(state.groups)}  licensed users: {seats}",
        f"  Basic auth:  {sandbox.username} / {sandbox.password}",
        f"  PAT (Bearer): {sandbox.token}",
        f"  admin API:   {base_url}/_sandbox/state",
    ])  # fmt: skip
