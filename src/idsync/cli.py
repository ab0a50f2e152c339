"""The `idsync` command line (V3). Thin: every command calls the same service functions as the
server would. Exit status per CONFIG.md: 0 ok, 1 failed items, 2 bad config or usage, 3 refused by a
guard."""

from __future__ import annotations

import typer

app = typer.Typer(
    help="idsync: keep Jira and other Atlassian users and groups in step with your identity provider.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


def _register_sandbox() -> None:
    from idsync.sandbox.cli import app as sandbox_app

    app.add_typer(sandbox_app, name="sandbox")


_register_sandbox()


def main() -> None:
    """Console-script entry point."""
    app()
