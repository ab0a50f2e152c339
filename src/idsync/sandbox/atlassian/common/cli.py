"""What the `idsync sandbox <product>` commands of the Atlassian emulators share: the typer options
every one of them takes, turning a bad option into a usage error, and serving in the foreground."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Annotated, Any, TypeVar

import typer

from idsync.sandbox.atlassian.common.options import OptionsError

T = TypeVar("T")

Port = Annotated[int, typer.Option(help="TCP port to listen on.")]
Host = Annotated[str, typer.Option(help="Interface to bind.")]
Users = Annotated[int, typer.Option(min=0, help="Generated users besides the admin.")]
Seed = Annotated[int, typer.Option(help="Seed of the deterministic data generator.")]
AdminUsername = Annotated[str, typer.Option(help="Admin username for Basic auth.")]
AdminPassword = Annotated[str, typer.Option(help="Admin password for Basic auth.")]
LatencyMs = Annotated[float, typer.Option(min=0, help="Fixed latency added to every request.")]
JitterMs = Annotated[float, typer.Option(min=0, help="Random extra latency, 0..N ms.")]
FailRate = Annotated[float, typer.Option(min=0.0, max=1.0, help="Probability of a 5xx on reads and writes.")]
RateLimit = Annotated[
    float | None,
    typer.Option(help="Per-user token bucket: requests allowed per second (off when omitted)."),
]


def make_options(factory: Callable[..., T], **values: Any) -> T:
    """`factory(**values)`, an OptionsError becoming typer's usage error for a bad parameter."""
    try:
        return factory(**values)
    except OptionsError as exc:
        raise typer.BadParameter(str(exc)) from exc


def serve(app: Any, host: str, port: int, lines: Sequence[str]) -> None:
    """Print `lines` (the URL, the data and the sandbox credentials) and serve `app` until Ctrl-C."""
    from idsync.sandbox.common.server import serve_forever

    for line in lines:
        typer.echo(line)
    typer.echo("Ctrl-C to stop.")
    serve_forever(app, host, port)
