"""`idsync sandbox bitbucket`: run the Bitbucket Data Center emulator in the foreground until Ctrl-C."""

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


def bitbucket(
    port: Port = 7990,
    host: Host = "127.0.0.1",
    users: Users = 100,
    seed: Seed = 1,
    token: Annotated[
        str | None, typer.Option(help="HTTP access token of the admin (generated when omitted).")
    ] = None,
    username: AdminUsername = "admin",
    password: AdminPassword = "admin",
    version: Annotated[
        str, typer.Option(help="Bitbucket version to report, e.g. 9.4.3 or 10.4.0.")
    ] = "9.4.3",
    licensed_users: Annotated[
        int | None,
        typer.Option(
            min=1, help="Licensed-user tier: seats past it are refused with 403 (unlimited when omitted)."
        ),
    ] = None,
    latency_ms: LatencyMs = 0.0,
    jitter_ms: JitterMs = 0.0,
    fail_rate: FailRate = 0.0,
    rate_limit: RateLimit = None,
) -> None:
    """Start the Bitbucket emulator, print its URL and sandbox credentials, serve until Ctrl-C."""
    from idsync.sandbox.atlassian.bitbucket.app import create_app
    from idsync.sandbox.atlassian.bitbucket.options import BitbucketOptions

    options = make_options(
        BitbucketOptions,
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
        rate_limit_requests=rate_limit,
    )
    sandbox = create_app(options)
    state = sandbox.state
    base_url = f"http://{host}:{port}"
    seats = f"{state.licensed_count()} of {licensed_users if licensed_users else 'unlimited'}"
    # Sandbox credentials, printed on purpose: they are the emulator's own, made up for local use.
    serve(sandbox.app, host, port, [
        f"Bitbucket {options.version} emulator: {base_url}/rest/api/1.0/",
        f"  users: {len(state.users)}  groups: {len(state.groups)}  licensed: {seats}",
        f"  Basic auth:  {sandbox.username} / {sandbox.password}",
        f"  HTTP access token (Bearer): {sandbox.token}",
        f"  admin API:   {base_url}/_sandbox/state",
    ])  # fmt: skip
