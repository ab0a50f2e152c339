"""`idsync sandbox ...`: run one emulator in the foreground until Ctrl-C."""

from __future__ import annotations

import typer

from idsync.sandbox.atlassian.bitbucket.cli import bitbucket
from idsync.sandbox.atlassian.cli import jira
from idsync.sandbox.atlassian.confluence.cli import confluence
from idsync.sandbox.atlassian.crowd.cli import crowd
from idsync.sandbox.cloud.cli import cloud
from idsync.sandbox.okta.cli import okta

app = typer.Typer(
    help="Run a local emulator of a vendor API (for tests, demos and trying rules safely).",
    no_args_is_help=True,
)
app.command("okta")(okta)
app.command("jira")(jira)
app.command("crowd")(crowd)
app.command("confluence")(confluence)
app.command("bitbucket")(bitbucket)
app.command("cloud")(cloud)
