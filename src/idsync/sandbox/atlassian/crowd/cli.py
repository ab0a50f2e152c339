"""`idsync sandbox crowd`: run the Crowd usermanagement REST emulator in the foreground until Ctrl-C."""

from __future__ import annotations

from typing import Annotated

import typer


def crowd(
    port: Annotated[int, typer.Option(help="TCP port to listen on.")] = 8095,
    host: Annotated[str, typer.Option(help="Interface to bind.")] = "127.0.0.1",
    users: Annotated[int, typer.Option(min=0, help="Generated users besides the directory admin.")] = 100,
    seed: Annotated[int, typer.Option(help="Seed of the deterministic data generator.")] = 1,
    application: Annotated[str, typer.Option(help="Application name clients authenticate as.")] = "idsync",
    password: Annotated[str, typer.Option(help="The application's password.")] = "idsync",
    latency_ms: Annotated[float, typer.Option(min=0, help="Fixed latency added to every request.")] = 0.0,
    jitter_ms: Annotated[float, typer.Option(min=0, help="Random extra latency, 0..N ms.")] = 0.0,
    fail_rate: Annotated[
        float, typer.Option(min=0.0, max=1.0, help="Probability of a 5xx on reads and writes.")
    ] = 0.0,
) -> None:
    """Start the Crowd emulator, print its URL and application credentials, serve until Ctrl-C."""
    from idsync.sandbox.atlassian.crowd.app import create_app
    from idsync.sandbox.atlassian.crowd.options import CrowdOptions, OptionsError
    from idsync.sandbox.common.server import serve_forever

    try:
        options = CrowdOptions(
            users=users,
            seed=seed,
            application=application,
            password=password,
            latency_ms=latency_ms,
            jitter_ms=jitter_ms,
            read_fail_rate=fail_rate,
            write_fail_rate=fail_rate,
        )
    except OptionsError as exc:
        raise typer.BadParameter(str(exc)) from exc
    sandbox = create_app(options)
    base_url = f"http://{host}:{port}"
    # Sandbox credentials, printed on purpose, as every `idsync sandbox` command does.
    typer.echo(f"Crowd emulator: {base_url}/rest/usermanagement/1/")
    typer.echo(f"  users: {len(sandbox.state.users)}  groups: {len(sandbox.state.groups)}")
    typer.echo(f"  application (Basic auth): {sandbox.application} / {sandbox.password}")
    typer.echo(f"  admin API: {base_url}/_sandbox/state")
    typer.echo("Ctrl-C to stop.")
    serve_forever(sandbox.app, host, port)
