"""The `idsync` command line. Thin: every command calls the service layer (`idsync.service`), the
same functions the REST API and the scheduler call, and renders what it returns; `--json` prints the
result's own `to_dict()`. Exit status (docs/configuration.md): 0 success, 1 run finished with failed
items (or failed), 2 bad config or usage, 3 refused by a guard."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import sys
from collections.abc import Coroutine, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer
from rich.console import Console

from idsync.domain.errors import ConfigError, IdsyncError, PlanStale, RunInProgress
from idsync.runtime import run_loop

if TYPE_CHECKING:
    from idsync.service.context import Context
    from idsync.service.results import RunResult
    from idsync.store import Store

T = TypeVar("T")

app = typer.Typer(
    help="idsync: keep Jira users and groups in step with your identity provider (Okta, LDAP, SCIM push).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)
user_app = typer.Typer(
    help="Work on one user: sync them now, or look them up in a source.", no_args_is_help=True
)
app.add_typer(user_app, name="user")
scim_app = typer.Typer(help="SCIM push: the bearer tokens of scim_inbound connections.", no_args_is_help=True)
app.add_typer(scim_app, name="scim")
api_app = typer.Typer(help="The REST API of idsync serve (/api/v1).", no_args_is_help=True)
api_token_app = typer.Typer(
    help="Bearer tokens of the REST API: shown once, stored only as a SHA-256 hash.", no_args_is_help=True
)
api_app.add_typer(api_token_app, name="token")
app.add_typer(api_app, name="api")
admin_app = typer.Typer(
    help="Local admin accounts of the web UI (/ui): passwords kept only as argon2id hashes.",
    no_args_is_help=True,
)
app.add_typer(admin_app, name="admin")
keys_app = typer.Typer(
    help="Keys that seal the credentials idsync keeps in its store (IDSYNC_STORE_KEYS).", no_args_is_help=True
)
app.add_typer(keys_app, name="keys")

out = Console()
err = Console(stderr=True)

ConfigOption = Annotated[
    Path | None,
    typer.Option(
        "--config",
        "-c",
        envvar="IDSYNC_CONFIG",
        help="Config file (default ./idsync.yaml).",
        show_default=False,
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Machine-readable JSON on stdout.")]
ProfileArg = Annotated[str | None, typer.Argument(help="Profile name (optional when there is only one).")]


def _fail(message: str, code: int) -> typer.Exit:
    err.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    return typer.Exit(code)


@contextmanager
def _errors() -> Iterator[None]:
    """The one place service errors become exit statuses: usage 2, a run that could not go on 1."""
    from idsync.service.errors import Conflict, NotFound

    try:
        yield
    except (ConfigError, NotFound, Conflict) as exc:
        raise _fail(str(exc), 2) from None
    except (RunInProgress, PlanStale) as exc:
        raise _fail(str(exc), 1) from None
    except IdsyncError as exc:
        raise _fail(f"{type(exc).__name__}: {exc}", 1) from None


def _run(coro: Coroutine[Any, Any, T]) -> T:
    """Run a command's coroutine on uvloop (idsync.runtime: a third less client CPU per request)."""
    with _errors():
        return run_loop(coro)


@contextmanager
def _context(config: Path | None) -> Iterator[Context]:
    """The loaded config and its open store for one command."""
    from idsync.service.context import open_context

    with _errors(), open_context(config) as ctx:
        yield ctx


@contextmanager
def _store(config: Path | None) -> Iterator[Store]:
    """Only the config's database (commands that need no connection secrets)."""
    from idsync.service.context import open_store

    with _errors(), open_store(config) as store:
        yield store


@contextmanager
def _bars(json_output: bool) -> Iterator[Any]:
    """Progress bars on stderr when a person watches; nothing for scripts (--json, pipes, cron)."""
    from idsync.console.progress import progress_bars
    from idsync.domain.progress import NO_PROGRESS

    if json_output:
        yield NO_PROGRESS
        return
    with progress_bars(err) as progress:
        yield progress


def _print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, default=str) + "\n")


def _report(result: RunResult, json_output: bool, *, show_plan: bool = True, full: bool = False) -> None:
    from idsync.console.plan_view import render_plan, render_results

    if json_output:
        _print_json(result.to_dict())
        return
    report = result.report
    if report.plan is not None and show_plan:
        render_plan(out, report.plan, full=full)
    if report.guard is not None and report.guard.refused:
        err.print(f"[bold red]{report.guard.message}[/]", highlight=False)
    if report.results and report.plan is not None:
        render_results(out, report.plan, report.results)
    if report.error and (report.guard is None or not report.guard.refused):
        err.print(f"[bold red]error:[/] {report.error}", highlight=False)
    if report.run_id:
        out.print(
            f"[dim]run {report.run_id} · {report.status} · idsync history {report.run_id}[/]", highlight=False
        )


@app.command()
def init(
    path: Annotated[Path, typer.Argument(help="Where to write the example config.")] = Path("idsync.yaml"),
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
) -> None:
    """Write a commented example config to start from."""
    from idsync.config.loader import dump_example

    if path.exists() and not force:
        raise _fail(f"{path} exists; pass --force to overwrite it", 2)
    path.write_text(dump_example(), encoding="utf-8")
    out.print(f"wrote {path}; edit it, then run: idsync check --config {path}", highlight=False)


@app.command()
def check(
    config: ConfigOption = None,
    json_output: JsonOption = False,
    register_hooks: Annotated[
        str | None,
        typer.Option(
            "--register-hooks",
            metavar="URL",
            help="Also register, verify and activate the Okta Event Hook of every okta connection with "
            "event_hooks, at URL/hooks/okta/<connection> (URL: idsync serve as Okta reaches it).",
        ),
    ] = None,
) -> None:
    """Validate the config and test every connection it names."""
    from idsync.console.service_views import render_check
    from idsync.service.checks import check as run_check
    from idsync.service.hooks import register_all

    with _context(config) as ctx:
        result = _run(run_check(ctx))
        hooks = _run(register_all(ctx.config, register_hooks)) if register_hooks else []
    failed = [h for h in hooks if isinstance(h, Exception)]
    if json_output:
        extra = {"event_hooks": [str(h) if isinstance(h, Exception) else h.to_dict() for h in hooks]}
        _print_json({**result.to_dict(), **(extra if register_hooks else {})})
    else:
        render_check(out, result)
        for notice in result.notices:
            err.print(f"[yellow]note:[/] {notice}", highlight=False, soft_wrap=True)
        for hook in hooks:  # Okta Event Hooks (idsync.service.hooks)
            line = f"event hook failed: {hook}" if isinstance(hook, Exception) else hook.describe()
            out.print(line, highlight=False, soft_wrap=True)
    raise typer.Exit(0 if result.ok and not failed else 1)


@app.command()
def plan(
    profile: ProfileArg = None,
    out_file: Annotated[
        Path | None, typer.Option("--out", "-o", help="Save the plan as JSON for idsync apply.")
    ] = None,
    full: Annotated[
        bool, typer.Option("--full", help="List every item, not the first of each kind.")
    ] = False,
    full_read: Annotated[bool, typer.Option(
        "--full-read", help="Read the source in full and look everyone up in the targets again, "
        "instead of only what changed since the last run."
    )] = False,
    config: ConfigOption = None,
    json_output: JsonOption = False,
) -> None:
    """Show what a sync would change, without changing anything."""
    from idsync.service.plans import make_plan
    from idsync.service.results import RunResult

    with _bars(json_output) as progress, _context(config) as ctx:
        result = _run(make_plan(ctx, profile, full_read=full_read, progress=progress))
    if out_file is not None and result.report.plan is not None:
        out_file.write_bytes(result.report.plan.to_json())
    _report(RunResult(result.report), json_output, full=full)
    if out_file is not None and not json_output:
        out.print(f"plan saved to {out_file}; apply it with: idsync apply {out_file}", highlight=False)
    raise typer.Exit(result.exit_code)


@app.command()
def apply(
    plan_file: Annotated[
        Path, typer.Argument(help="A plan saved by idsync plan --out.", exists=True, dir_okay=False)
    ],
    allow_over_limit: Annotated[
        bool, typer.Option("--allow-over-limit", help="Apply even above safety limits.")
    ] = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Don't ask for confirmation.")] = False,
    config: ConfigOption = None,
    json_output: JsonOption = False,
) -> None:
    """Apply a saved plan exactly; refused if the target changed since the plan was made."""
    from pydantic import ValidationError

    from idsync.console.plan_view import render_plan
    from idsync.domain.plan import Plan
    from idsync.service.plans import apply_plan

    try:
        saved = Plan.from_json(plan_file.read_bytes())
    except ValidationError as exc:
        raise _fail(
            f"{plan_file} is not a plan saved by idsync plan --out: {exc.errors()[0]['msg']}", 2
        ) from None
    if not json_output:
        render_plan(out, saved)
    if not yes and not json_output and sys.stdin.isatty() and not typer.confirm("Apply this plan?"):
        raise typer.Exit(0)
    with _bars(json_output) as progress, _context(config) as ctx:
        result = _run(apply_plan(ctx, saved, allow_over_limit=allow_over_limit, progress=progress))
    _report(result, json_output, show_plan=False)
    raise typer.Exit(result.exit_code)


@app.command()
def undo(
    run_id: Annotated[str, typer.Argument(help="The run to undo (idsync history lists them).")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show the undo; change nothing.")] = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Don't ask for confirmation.")] = False,
    allow_over_limit: Annotated[
        bool, typer.Option("--allow-over-limit", help="Apply even above safety limits.")
    ] = False,
    full: Annotated[bool, typer.Option("--full", help="List every item of the plan.")] = False,
    config: ConfigOption = None,
    json_output: JsonOption = False,
) -> None:
    """Undo a run: apply the inverse of what it changed (created users are deactivated, not deleted).
    Items changed since the run are refused and named (exit 1)."""
    from idsync.console.undo_view import render_undo
    from idsync.service.undo import UndoResult, apply_undo, prepare_undo

    with _context(config) as ctx:
        with _bars(json_output) as progress:
            prepared = _run(prepare_undo(ctx, run_id, allow_over_limit=allow_over_limit, progress=progress))
        go = not dry_run and not prepared.plan.empty
        if not json_output:
            render_undo(out, prepared, full=full, guard=not go)
        if go and not yes and not json_output and sys.stdin.isatty() and not prepared.guard.refused:
            go = typer.confirm("Apply this undo?", default=False)
        result = UndoResult(prepared)
        if go:
            with _bars(json_output) as progress:
                result = _run(apply_undo(ctx, prepared, allow_over_limit=allow_over_limit, progress=progress))
    if json_output:
        _print_json(result.to_dict())
    elif result.applied is not None:
        _report(result.applied, False, show_plan=False)
    raise typer.Exit(result.exit_code)


@app.command()
def sync(
    profile: ProfileArg = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show the plan; change nothing.")] = False,
    yes: Annotated[
        bool, typer.Option("--yes", "-y", help="Don't ask for confirmation in a terminal.")
    ] = False,
    allow_over_limit: Annotated[
        bool, typer.Option("--allow-over-limit", help="Apply even above safety limits.")
    ] = False,
    full: Annotated[bool, typer.Option("--full", help="List every item of the plan.")] = False,
    full_read: Annotated[bool, typer.Option(
        "--full-read", help="Read the source in full and look everyone up in the targets again, "
        "instead of only what changed since the last run."
    )] = False,
    config: ConfigOption = None,
    json_output: JsonOption = False,
) -> None:
    """Read the source, plan, check the guards and apply. In a terminal, asks before applying."""
    from idsync.service.runs import Trigger
    from idsync.service.runs import sync as run_sync

    interactive = not yes and not dry_run and not json_output and sys.stdin.isatty()
    asked: list[bool] = []

    def ask(plan: Any, guard: Any) -> bool:
        from idsync.console.plan_view import render_plan

        bars = getattr(progress, "bars", None)
        if bars is not None:
            bars.stop()
        render_plan(out, plan, full=full)
        asked.append(True)
        answer = typer.confirm("Apply these changes?", default=False)
        if bars is not None:
            bars.start()
        return answer

    with _bars(json_output) as progress, _context(config) as ctx:
        with _errors():
            name, _ = ctx.profile(profile)
        result = _run(run_sync(
            ctx, name, trigger=Trigger.CLI, dry_run=dry_run, allow_over_limit=allow_over_limit,
            full_read=full_read, progress=progress, confirm=ask if interactive else None,
        ))  # fmt: skip
    _report(result, json_output, show_plan=not asked, full=full)
    raise typer.Exit(result.exit_code)


@app.command()
def history(
    run_id: Annotated[str | None, typer.Argument(help="Show one run with every item.")] = None,
    profile: Annotated[str | None, typer.Option("--profile", "-p", help="Only this profile's runs.")] = None,
    trigger: Annotated[str | None, typer.Option("--trigger", help="Only runs started so (cli, schedule, ...).")] = None,  # noqa: E501
    status: Annotated[str | None, typer.Option("--status", help="Only runs that ended so.")] = None,
    user: Annotated[
        str | None, typer.Option("--user", help="Only runs that touched this username or source id.")
    ] = None,
    limit: Annotated[int, typer.Option("--limit", "-n", help="How many runs to list.")] = 20,
    config: ConfigOption = None,
    json_output: JsonOption = False,
) -> None:
    """List recent runs, or show one run's items with their outcome and reason."""
    from idsync.console.history_view import render_run, render_runs
    from idsync.service import history as service_history

    with _store(config) as store, _errors():
        if run_id is not None:
            detail = service_history.run_detail(store, run_id)
            _print_json(detail.to_dict()) if json_output else render_run(out, detail)
            return
        page = service_history.list_runs(
            store, profile=profile, trigger=trigger, status=status, user=user, limit=limit
        )
    if json_output:
        _print_json([r.to_dict() for r in page.runs])
        return
    render_runs(out, page.runs)
    _next_runs(config)


def _next_runs(config: Path | None) -> None:
    """When `idsync serve` runs each scheduled profile next (only when the whole config loads)."""
    from idsync.service.context import load
    from idsync.service.schedule import next_run_notes

    try:
        loaded = load(config)
    except ConfigError:
        return
    for note in next_run_notes(loaded):
        out.print(f"[dim]{note}[/]", highlight=False)


@user_app.command("sync")
def user_sync(
    profile: Annotated[str, typer.Argument(help="Profile name.")],
    login: Annotated[str, typer.Argument(help="The user's login / username in the source.")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show the plan; change nothing.")] = False,
    config: ConfigOption = None,
    json_output: JsonOption = False,
) -> None:
    """Sync one user now (as at login): their account and memberships, nobody else's."""
    from idsync.service.users import user_sync as sync_user

    with _bars(json_output) as progress, _context(config) as ctx:
        result = _run(sync_user(ctx, profile, login, dry_run=dry_run, progress=progress))
    _report(result.result, json_output, full=True)
    raise typer.Exit(result.exit_code)


@user_app.command("lookup")
def user_lookup(
    connection: Annotated[str, typer.Argument(help="A source connection (okta or ldap).")],
    login: Annotated[str, typer.Argument(help="The user's login / username in the source.")],
    config: ConfigOption = None,
    json_output: JsonOption = False,
) -> None:
    """Test sync: show one source user's attributes and groups, and what each profile would write."""
    from idsync.console.service_views import render_preview
    from idsync.service.users import lookup_in_source

    with _context(config) as ctx:
        preview = _run(lookup_in_source(ctx, connection, login))
    if json_output:
        _print_json(preview.to_dict())
    else:
        render_preview(out, connection, login, preview)


@app.command()
def demo(
    workdir: Annotated[
        Path, typer.Option("--dir", help="Where to write the demo config and database.")
    ] = Path(".idsync-demo"),
    users: Annotated[int, typer.Option("--users", help="People in the sandbox Okta (at least 10).")] = 500,
    groups: Annotated[int, typer.Option("--groups", help="Groups in the sandbox Okta (at least 2).")] = 40,
) -> None:
    """Start the sandbox Okta, Jira, Confluence and Bitbucket, sync, change people in Okta, sync again."""
    from idsync.demo import DemoSizeError, run_demo

    try:
        raise typer.Exit(run_demo(workdir, users=users, groups=groups, console=out))
    except DemoSizeError as exc:
        raise _fail(str(exc), 2) from None


@app.command()
def serve(
    host: Annotated[str | None, typer.Option("--host", help="Listen address (default: server.host).")] = None,
    port: Annotated[int | None, typer.Option("--port", help="Port (default: server.port).")] = None,
    config: ConfigOption = None,
) -> None:
    """Serve the admin web UI at /ui (admins: idsync admin add), the REST API at /api/v1, SCIM 2.0 at
    /scim/v2/<connection>/ and 1.1 at /scim/v1/<connection>/ for every scim_inbound connection, plus
    /healthz; every accepted push is provisioned into the profile's targets."""
    from idsync.config.loader import config_path
    from idsync.config.model import ServerSettings
    from idsync.server.app import scim_connections
    from idsync.server.runner import serve as run_server
    from idsync.service.context import load

    with _errors():
        cfg = load(config)
    settings = cfg.server or ServerSettings()  # no `server:` section: the defaults
    listen_host = host or settings.host
    listen_port = port or settings.port
    for name in scim_connections(cfg):
        base = f"http://{listen_host}:{listen_port}/scim"
        err.print(f"SCIM inbox {name}: {base}/v2/{name}/ (1.1: {base}/v1/{name}/)")
    err.print(f"REST API: http://{listen_host}:{listen_port}/api/v1/ (OpenAPI: /api/v1/openapi.json)")
    err.print(f"Admin UI: http://{listen_host}:{listen_port}/ui/ (admins: idsync admin add NAME)")
    run_server(cfg, listen_host, listen_port, config_path(config).resolve())


@scim_app.command("token")
def scim_token(
    connection: Annotated[str, typer.Argument(help="A scim_inbound connection.")],
    rotate: Annotated[bool, typer.Option("--rotate", help="Replace the existing token.")] = False,
    revoke: Annotated[bool, typer.Option("--revoke", help="Remove the token (pushes get 401).")] = False,
    config: ConfigOption = None,
) -> None:
    """Issue the bearer token an IdP sends; it is printed once and stored only as a SHA-256 hash."""
    from idsync.service import tokens

    with _context(config) as ctx, _errors():
        if rotate and revoke:
            raise _fail("give --rotate or --revoke, not both", 2)
        if revoke:
            removed = tokens.revoke_scim_token(ctx, connection)
            out.print(f"token of {connection} revoked" if removed else f"{connection} had no token")
            return
        issued = tokens.issue_scim_token(ctx, connection, rotate=rotate)
    err.print(f"SCIM bearer token for {connection} (shown once; idsync keeps only its hash):")
    print(issued.token)


@api_token_app.command("create")
def api_token_create(
    name: Annotated[str, typer.Argument(help="What the token is for, e.g. sso-plugin.")],
    config: ConfigOption = None,
) -> None:
    """Create a REST API token; it is printed once, alone on the last line, and stored only as a hash."""
    from idsync.service.tokens import create_api_token

    with _store(config) as store, _errors():
        issued = create_api_token(store, name)
    err.print(f"API token {name!r} (shown once; idsync keeps only its SHA-256). Send it as:")
    err.print("  Authorization: Bearer <token>", highlight=False)
    print(issued.token)


@api_token_app.command("list")
def api_token_list(config: ConfigOption = None, json_output: JsonOption = False) -> None:
    """List the REST API tokens (names and dates; never the tokens)."""
    from idsync.console.service_views import render_tokens
    from idsync.service.tokens import list_api_tokens

    with _store(config) as store:
        found = list_api_tokens(store)
    if json_output:
        _print_json([token.to_dict() for token in found])
    else:
        render_tokens(out, found)


@api_token_app.command("revoke")
def api_token_revoke(
    name: Annotated[str, typer.Argument(help="The token's name (idsync api token list).")],
    config: ConfigOption = None,
) -> None:
    """Revoke a REST API token: requests with it get 401 (within 2 seconds on a running server)."""
    from idsync.service.tokens import revoke_api_token

    with _store(config) as store, _errors():
        revoke_api_token(store, name)
    out.print(f"API token {name!r} revoked", highlight=False)


@admin_app.command("add")
def admin_add(
    name: Annotated[str, typer.Argument(help="The admin's login name, e.g. alice.")],
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from the first line of stdin.")
    ] = False,
    config: ConfigOption = None,
) -> None:
    """Add a local admin of the web UI; asks for the password twice (or reads it with --password-stdin)."""
    from idsync.service.admins import MIN_PASSWORD_LENGTH, add_admin

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt(
            f"Password for {name} (at least {MIN_PASSWORD_LENGTH} characters)",
            hide_input=True, confirmation_prompt=True,
        )  # fmt: skip
    with _store(config) as store, _errors():
        add_admin(store, name, password)
    out.print(f"admin {name!r} added; log in at /ui/ on idsync serve", highlight=False)


@admin_app.command("list")
def admin_list(config: ConfigOption = None, json_output: JsonOption = False) -> None:
    """List the web UI's admins (names and dates; never a password or hash)."""
    from idsync.service.admins import list_admins

    with _store(config) as store:
        found = list_admins(store)
    if json_output:
        _print_json([admin.to_dict() for admin in found])
        return
    if not found:
        out.print("no admins; add one with: idsync admin add NAME")
    for admin in found:
        last = f"{admin.last_login_at:%Y-%m-%d %H:%M} UTC" if admin.last_login_at else "never"
        added = f"{admin.created_at:%Y-%m-%d %H:%M} UTC"
        out.print(f"{admin.name}  added {added} · last login {last}", highlight=False)


@admin_app.command("remove")
def admin_remove(
    name: Annotated[str, typer.Argument(help="The admin to remove (idsync admin list).")],
    config: ConfigOption = None,
) -> None:
    """Remove a web UI admin; their open sessions end within seconds."""
    from idsync.service.admins import remove_admin

    with _store(config) as store, _errors():
        remove_admin(store, name)
    out.print(f"admin {name!r} removed", highlight=False)


@keys_app.command("generate")
def keys_generate() -> None:
    """Print a new random key for IDSYNC_STORE_KEYS (keep it with the other secrets, not in the config)."""
    from idsync.store.sealing import generate_key

    print(generate_key())


@keys_app.command("rotate")
def keys_rotate(config: ConfigOption = None) -> None:
    """Seal every stored credential again under the first key of IDSYNC_STORE_KEYS (new key first, the
    old ones after it); then the old keys can be dropped from the variable."""
    from idsync.service.admins import rotate_store_keys

    with _store(config) as store, _errors():
        names = rotate_store_keys(store)
    out.print(f"re-sealed {len(names)} stored credential(s): {', '.join(names) or 'none'}", highlight=False)


def _register_sandbox() -> None:
    from idsync.sandbox.cli import app as sandbox_app

    app.add_typer(sandbox_app, name="sandbox")


_register_sandbox()


def main() -> None:
    """Console-script entry point.

    The process ends with `os._exit` once the command has returned and its output, logs and store
    writes are done: pyreqwest's Rust runtime thread can abort the interpreter's own shutdown ("Fatal
    Python error: PyGILState_Release ... finalizing", seen in 2 of the suite's ~300 CLI processes,
    after the command had finished), which would turn a successful command into exit status 134."""
    try:
        app()
        code = 0
    except SystemExit as exc:
        if exc.code is None or isinstance(exc.code, int):
            code = exc.code or 0
        else:
            print(exc.code, file=sys.stderr)
            code = 1
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    logging.shutdown()
    os._exit(code)
