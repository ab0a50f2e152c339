"""`idsync sandbox okta`: run the Okta emulator in the foreground until Ctrl-C."""

from __future__ import annotations

import typer


def okta(
    port: int = typer.Option(8081, help="TCP port to listen on."),
    host: str = typer.Option("127.0.0.1", help="Interface to bind."),
    users: int = typer.Option(1000, help="Users to generate."),
    groups: int = typer.Option(50, help="Groups to generate (besides Everyone)."),
    apps: int = typer.Option(5, help="Apps to generate."),
    seed: int = typer.Option(1, help="Seed of the deterministic generator."),
    token: str | None = typer.Option(None, help="Fixed SSWS API token (default: generated)."),
    latency_ms: float = typer.Option(0.0, help="Added latency per request, in ms."),
    fail_rate: float = typer.Option(0.0, help="Probability of an injected 5xx per request."),
    rate_limit: int = typer.Option(0, help="Requests per minute per endpoint bucket (0: Okta defaults)."),
) -> None:
    """Start the Okta emulator (work in progress)."""
    raise typer.Exit(code=1)
