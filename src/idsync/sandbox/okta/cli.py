"""`idsync sandbox okta`: run the Okta emulator in the foreground until Ctrl-C."""

from __future__ import annotations

import contextlib
import time

import typer

from idsync.sandbox.common.server import serve_forever
from idsync.sandbox.okta.app import create_app
from idsync.sandbox.okta.options import OktaOptions, RateLimitOptions


def okta(
    port: int = typer.Option(8081, help="TCP port to listen on."),
    host: str = typer.Option("127.0.0.1", help="Interface to bind."),
    users: int = typer.Option(1000, help="Users to generate."),
    groups: int = typer.Option(50, help="Groups to generate (besides the BUILT_IN Everyone group)."),
    apps: int = typer.Option(5, help="Apps to generate."),
    memberships: int | None = typer.Option(
        None,
        help="About this many group memberships (departments + teams, not Everyone); "
        "default: about 3.5 per user. Team sizes are scaled, keeping a few large and many small.",
    ),
    seed: int = typer.Option(1, help="Seed of the deterministic data generator."),
    token: str | None = typer.Option(None, help="Fixed SSWS API token (default: a generated one)."),
    latency_ms: float = typer.Option(0.0, help="Latency added to every API request, in ms."),
    jitter_ms: float = typer.Option(0.0, help="Random extra latency up to this many ms."),
    fail_rate: float = typer.Option(0.0, help="Probability (0–1) of an injected 500 per API request."),
    rate_limit: int | None = typer.Option(
        None, help="Requests per minute for every rate-limit bucket (default: Okta's per-endpoint limits)."
    ),
    concurrency: int = typer.Option(75, help="Concurrent requests before 429 (Okta's default is 75)."),
) -> None:
    """Run a local Okta Management API emulator (users, groups, apps, System Log, event hooks)."""
    options = OktaOptions(
        users=users,
        groups=groups,
        apps=apps,
        memberships=memberships,
        seed=seed,
        token=token,
        latency_ms=latency_ms,
        jitter_ms=jitter_ms,
        fail_rate=fail_rate,
        rate_limit=RateLimitOptions(per_minute=rate_limit, concurrency=concurrency),
    )
    try:
        options.validate()
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None
    started = time.perf_counter()
    sandbox = create_app(options)
    took = time.perf_counter() - started
    total = sum(len(members) for members in sandbox.state.members.values())
    typer.echo(
        f"Okta sandbox: {users} users, {groups} groups (+ Everyone), {total} memberships, {apps} apps "
        f"in {took:.1f} s"
    )
    typer.echo(f"Base URL: http://{host}:{port}")
    # The token is a sandbox credential: printing it is how the admin gets it.
    typer.echo(f"API token: {sandbox.token}    (header: Authorization: SSWS {sandbox.token})")
    typer.echo(f"Admin API: http://{host}:{port}/_sandbox/    Ctrl-C stops.", err=False)
    with contextlib.suppress(KeyboardInterrupt):
        serve_forever(sandbox.app, host, port)
