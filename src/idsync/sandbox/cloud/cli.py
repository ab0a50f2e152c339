"""`idsync sandbox cloud`: run the Atlassian Cloud SCIM directory emulator in the foreground until Ctrl-C."""

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


def cloud(
    port: Port = 8097,
    host: Host = "127.0.0.1",
    users: Annotated[int, typer.Option(min=0, help="Generated SCIM users (with team groups).")] = 100,
    groups: Annotated[
        int | None, typer.Option(min=0, help="Generated groups (default: one per 20 users).")
    ] = None,
    memberships: Annotated[
        int | None, typer.Option(min=0, help="Generated memberships (default: one to three teams per user).")
    ] = None,
    seed: Seed = 1,
    token: Annotated[str | None, typer.Option(help="The directory API key (generated when omitted).")] = None,
    directory_id: Annotated[
        str | None,
        typer.Option(help="The directory id in the base URL (derived from the seed when omitted)."),
    ] = None,
    verified_domain: Annotated[
        list[str] | None,
        typer.Option(help="A verified domain of the organization (repeatable; default example.com)."),
    ] = None,
    rate_limit: Annotated[
        float, typer.Option(min=0, help="Requests per second per API key; 0 = no rate limit.")
    ] = 0.0,
    rate_limit_burst: Annotated[
        int | None, typer.Option(min=1, help="Requests allowed at once (default: one second's worth).")
    ] = None,
    latency_ms: LatencyMs = 0.0,
    jitter_ms: JitterMs = 0.0,
    fail_rate: FailRate = 0.0,
) -> None:
    """Start the Atlassian Cloud SCIM emulator, print its base URL and API key, serve until Ctrl-C."""
    from idsync.sandbox.cloud.app import create_app
    from idsync.sandbox.cloud.options import CloudOptions

    options = make_options(
        CloudOptions,
        users=users,
        groups=groups,
        memberships=memberships,
        seed=seed,
        token=token,
        directory_id=directory_id,
        verified_domains=tuple(verified_domain or ("example.com",)),
        rate_limit=rate_limit,
        rate_limit_burst=rate_limit_burst,
        latency_ms=latency_ms,
        jitter_ms=jitter_ms,
        read_fail_rate=fail_rate,
        write_fail_rate=fail_rate,
    )
    sandbox = create_app(options)
    state = sandbox.state
    root = f"http://{host}:{port}"
    limit = f"{options.rate_limit:g}/s (burst {options.burst})" if options.rate_limit else "off"
    # Sandbox credentials, printed on purpose: whoever starts an emulator needs them.
    serve(sandbox.app, host, port, [
        f"Atlassian Cloud SCIM emulator: {root}{sandbox.base_path}",
        f"  users: {len(state.users)}  groups: {len(state.groups)}  verified domains: "
        f"{', '.join(options.verified_domains)}  rate limit: {limit}",
        f"  directory API key (Bearer): {sandbox.token}",
        f"  admin API:   {root}/_sandbox/state",
    ])  # fmt: skip
