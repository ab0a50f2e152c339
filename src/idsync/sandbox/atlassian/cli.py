"""`idsync sandbox jira`: run the Jira Data Center emulator in the foreground until Ctrl-C."""

from __future__ import annotations

from typing import Annotated

import typer


def jira(
    port: Annotated[int, typer.Option(help="TCP port to listen on.")] = 8082,
    host: Annotated[str, typer.Option(help="Interface to bind.")] = "127.0.0.1",
    users: Annotated[int, typer.Option(min=0, help="Generated users besides the admin.")] = 100,
    projects: Annotated[int, typer.Option(min=0, help="Generated projects.")] = 5,
    seed: Annotated[int, typer.Option(help="Seed of the deterministic data generator.")] = 1,
    token: Annotated[
        str | None, typer.Option(help="Personal access token of the admin (generated when omitted).")
    ] = None,
    username: Annotated[str, typer.Option(help="Admin username for Basic auth.")] = "admin",
    password: Annotated[str, typer.Option(help="Admin password for Basic auth.")] = "admin",
    version: Annotated[int, typer.Option(help="Jira major version to emulate: 9 or 10.")] = 9,
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
    """Start the Jira emulator, print its URL and sandbox credentials, serve until Ctrl-C."""
    from idsync.sandbox.atlassian.jira.app import create_app
    from idsync.sandbox.atlassian.jira.options import JiraOptions, OptionsError
    from idsync.sandbox.common.server import serve_forever

    try:
        options = JiraOptions(
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
        )
    except OptionsError as exc:
        raise typer.BadParameter(str(exc)) from exc
    sandbox = create_app(options)
    base_url = f"http://{host}:{port}"
    # Sandbox credentials, printed on purpose: the issue requires them on start.
    typer.echo(f"Jira {options.version} emulator: {base_url}/rest/api/2/")
    typer.echo(
        f"  users: {len(sandbox.state.users)}  groups: {len(sandbox.state.groups)}  "
        f"projects: {len(sandbox.state.projects)}"
    )
    typer.echo(f"  Basic auth:  {sandbox.username} / {sandbox.password}")
    typer.echo(f"  PAT (Bearer): {sandbox.token}")
    typer.echo(f"  admin API:   {base_url}/_sandbox/state")
    typer.echo("Ctrl-C to stop.", err=False)
    serve_forever(sandbox.app, host, port)
