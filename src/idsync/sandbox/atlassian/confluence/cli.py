"""`idsync sandbox confluence`: run the Confluence Data Center emulator in the foreground until Ctrl-C."""

from __future__ import annotations

from typing import Annotated

import typer


def confluence(
    port: Annotated[int, typer.Option(help="TCP port to listen on.")] = 8090,
    host: Annotated[str, typer.Option(help="Interface to bind.")] = "127.0.0.1",
    users: Annotated[int, typer.Option(min=0, help="Generated users besides the admin.")] = 100,
    seed: Annotated[int, typer.Option(help="Seed of the deterministic data generator.")] = 1,
    token: Annotated[
        str | None, typer.Option(help="Personal access token of the admin (generated when omitted).")
    ] = None,
    username: Annotated[str, typer.Option(help="Admin username for Basic auth.")] = "admin",
    password: Annotated[str, typer.Option(help="Admin password for Basic auth.")] = "admin",
    version: Annotated[
        str, typer.Option(help="Confluence release to emulate: 7.19, 8.2, 8.4, 8.5 or 9.2.")
    ] = "8.5",
    licensed_users: Annotated[
        int | None, typer.Option(min=1, help="Licence seats; creating users beyond them answers 402.")
    ] = None,
    latency_ms: Annotated[float, typer.Option(min=0, help="Fixed latency added to every request.")] = 0.0,
    jitter_ms: Annotated[float, typer.Option(min=0, help="Random extra latency, 0..N ms.")] = 0.0,
    fail_rate: Annotated[
        float, typer.Option(min=0.0, max=1.0, help="Probability of a 5xx on reads and writes.")
    ] = 0.0,
) -> None:
    """Start the Confluence emulator, print its URL and sandbox credentials, serve until Ctrl-C."""
    from idsync.sandbox.atlassian.confluence.app import create_app
    from idsync.sandbox.atlassian.confluence.options import ConfluenceOptions, OptionsError
    from idsync.sandbox.common.server import serve_forever

    try:
        options = ConfluenceOptions(
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
    except OptionsError as exc:
        raise typer.BadParameter(str(exc)) from exc
    sandbox = create_app(options)
    base_url = f"http://{host}:{port}"
    seats = "unlimited" if licensed_users is None else str(licensed_users)
    # Sandbox credentials, printed on purpose: whoever starts an emulator needs them.
    typer.echo(f"Confluence {options.release.version} emulator: {base_url}/rest/api/")
    typer.echo(
        f"  users: {len(sandbox.state.users)}  groups: {len(sandbox.state.groups)}  licensed users: {seats}"
    )
    typer.echo(f"  Basic auth:  {sandbox.username} / {sandbox.password}")
    typer.echo(f"  PAT (Bearer): {sandbox.token}")
    typer.echo(f"  admin API:   {base_url}/_sandbox/state")
    typer.echo("Ctrl-C to stop.")
    serve_forever(sandbox.app, host, port)
