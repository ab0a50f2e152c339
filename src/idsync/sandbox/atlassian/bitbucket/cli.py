"""`idsync sandbox bitbucket`: run the Bitbucket Data Center emulator in the foreground until Ctrl-C."""

from __future__ import annotations

from typing import Annotated

import typer


def bitbucket(
    port: Annotated[int, typer.Option(help="TCP port to listen on.")] = 7990,
    host: Annotated[str, typer.Option(help="Interface to bind.")] = "127.0.0.1",
    users: Annotated[int, typer.Option(min=0, help="Generated users besides the admin.")] = 100,
    seed: Annotated[int, typer.Option(help="Seed of the deterministic data generator.")] = 1,
    token: Annotated[
        str | None, typer.Option(help="HTTP access token of the admin (generated when omitted).")
    ] = None,
    username: Annotated[str, typer.Option(help="Admin username for Basic auth.")] = "admin",
    password: Annotated[str, typer.Option(help="Admin password for Basic auth.")] = "admin",
    version: Annotated[
        str, typer.Option(help="Bitbucket version to report, e.g. 9.4.3 or 10.4.0.")
    ] = "9.4.3",
    licensed_users: Annotated[
        int | None,
        typer.Option(
            min=1, help="Licensed-user tier: seats past it are refused with 403 (unlimited when omitted)."
        ),
    ] = None,
    latency_ms: Annotated[float, typer.Option(min=0, help="Fixed latency added to every request.")] = 0.0,
    jitter_ms: Annotated[float, typer.Option(min=0, help="Random extra latency, 0..N ms.")] = 0.0,
    fail_rate: Annotated[
        float, typer.Option(min=0.0, max=1.0, help="Probability of a 5xx on reads and writes.")
    ] = 0.0,
    rate_limit: Annotated[
        float | None,
        typer.Option(help="Per-user token bucket: requests allowed per second (off when omitted)."),
    ] = None,
) -> None:
    """Start the Bitbucket emulator, print its URL and sandbox credentials, serve until Ctrl-C."""
    from idsync.sandbox.atlassian.bitbucket.app import create_app
    from idsync.sandbox.atlassian.bitbucket.options import BitbucketOptions, OptionsError
    from idsync.sandbox.common.server import serve_forever

    try:
        options = BitbucketOptions(
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
    except OptionsError as exc:
        raise typer.BadParameter(str(exc)) from exc
    sandbox = create_app(options)
    state = sandbox.state
    base_url = f"http://{host}:{port}"
    seats = f"{state.licensed_count()} of {licensed_users if licensed_users else 'unlimited'}"
    # Sandbox credentials, printed on purpose: they are the emulator's own, made up for local use.
    typer.echo(f"Bitbucket {options.version} emulator: {base_url}/rest/api/1.0/")
    typer.echo(f"  users: {len(state.users)}  groups: {len(state.groups)}  licensed: {seats}")
    typer.echo(f"  Basic auth:  {sandbox.username} / {sandbox.password}")
    typer.echo(f"  HTTP access token (Bearer): {sandbox.token}")
    typer.echo(f"  admin API:   {base_url}/_sandbox/state")
    typer.echo("Ctrl-C to stop.")
    serve_forever(sandbox.app, host, port)
