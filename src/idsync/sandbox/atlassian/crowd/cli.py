"""`idsync sandbox crowd`: run the Crowd usermanagement REST emulator in the foreground until Ctrl-C."""

from __future__ import annotations

from typing import Annotated

import typer

from idsync.sandbox.atlassian.common.cli import (
    FailRate,
    Host,
    JitterMs,
    LatencyMs,
    Port,
    Seed,
    make_options,
    serve,
)


def crowd(
    port: Port = 8095,
    host: Host = "127.0.0.1",
    users: Annotated[int, typer.Option(min=0, help="Generated users besides the directory admin.")] = 100,
    seed: Seed = 1,
    application: Annotated[str, typer.Option(help="Application name clients authenticate as.")] = "idsync",
    password: Annotated[str, typer.Option(help="The application's password.")] = "idsync",
    latency_ms: LatencyMs = 0.0,
    jitter_ms: JitterMs = 0.0,
    fail_rate: FailRate = 0.0,
) -> None:
    """Start the Crowd emulator, print its URL and application credentials, serve until Ctrl-C."""
    from idsync.sandbox.atlassian.crowd.app import create_app
    from idsync.sandbox.atlassian.crowd.options import CrowdOptions

    options = make_options(
        CrowdOptions,
        users=users,
        seed=seed,
        application=application,
        password=password,
        latency_ms=latency_ms,
        jitter_ms=jitter_ms,
        read_fail_rate=fail_rate,
        write_fail_rate=fail_rate,
    )
    sandbox = create_app(options)
    base_url = f"http://{host}:{port}"
    # Sandbox credentials, printed on purpose, as every `idsync sandbox` command does.
    serve(sandbox.app, host, port, [
        f"Crowd emulator: {base_url}/rest/usermanagement/1/",
        f"  users: {len(sandbox.state.users)}  groups: {len(sandbox.state.groups)}",
        f"  application (Basic auth): {sandbox.application} / {sandbox.password}",
        f"  admin API: {base_url}/_sandbox/state",
    ])  # fmt: skip
