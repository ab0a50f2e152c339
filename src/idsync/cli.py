"""The `idsync` command line. Thin: every command calls the same service functions the server
uses. Exit status (docs/configuration.md): 0 success, 1 run finished with failed items (or failed),
2 bad config or usage, 3 refused by a guard."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import sys
from collections.abc import Coroutine, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console

from idsync.domain.errors import ConfigError, IdsyncError, PlanStale, RunInProgress

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


def _schedule_notice(cfg: Any, profile: str, path: Path | None) -> None:
    """Tell, on stderr, that the profile's schedule is not run by idsync yet and how to run it."""
    from idsync.config.loader import config_path
    from idsync.config.notices import schedule_notices

    for notice in schedule_notices(cfg, config_path(path).resolve()):
        if notice.startswith(f"profile {profile!r}:"):
            err.print(f"[yellow]note:[/] {notice}", highlight=False, soft_wrap=True)


def _fail(message: str, code: int) -> typer.Exit:
    err.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    return typer.Exit(code)


def _run(coro: Coroutine[Any, Any, T]) -> T:
    try:
        return asyncio.run(coro)
    except ConfigError as exc:
        raise _fail(str(exc), 2) from None
    except RunInProgress as exc:
        raise _fail(str(exc), 1) from None
    except PlanStale as exc:
        raise _fail(str(exc), 1) from None
    except IdsyncError as exc:
        raise _fail(f"{type(exc).__name__}: {exc}", 1) from None


def _engine(config_path: Path | None, progress: Any) -> Any:
    from idsync.config.loader import load_config
    from idsync.engine.run import Engine
    from idsync.store import Store

    try:
        config = load_config(config_path)
    except ConfigError as exc:
        raise _fail(str(exc), 2) from None
    return Engine(config, Store.open(config.database), progress=progress)


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


def _report(report: Any, json_output: bool, *, show_plan: bool = True, full: bool = False) -> None:
    from idsync.console.plan_view import render_plan, render_results

    if json_output:
        _print_json(
            {
                "status": str(report.status),
                "run_id": report.run_id,
                "exit_code": report.exit_code,
                "error": report.error,
                "guard": _guard_dict(report.guard),
                "timings": dict(report.timings),
                "plan": report.plan.to_dict() if report.plan is not None else None,
                "results": [_result_dict(r) for r in report.results],
            }
        )
        return
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


def _guard_dict(guard: Any) -> dict[str, Any] | None:
    if guard is None:
        return None
    violations = [dataclasses.asdict(violation) for violation in guard.violations]
    return {"refused": guard.refused, "message": guard.message, "violations": violations}


def _result_dict(result: Any) -> dict[str, Any]:
    return {
        "index": result.index,
        "outcome": str(result.outcome),
        "error": result.error,
        "target_key": result.target_key,
        "attempts": result.attempts,
        "duration_ms": round(result.duration_ms, 1),
    }


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
def check(config: ConfigOption = None, json_output: JsonOption = False) -> None:
    """Validate the config and test every connection it names."""
    from idsync.config.connections import SOURCE_TYPES
    from idsync.config.loader import config_path, load_config
    from idsync.config.notices import schedule_notices
    from idsync.connectors import build_source, build_target

    try:
        cfg = load_config(config)
    except ConfigError as exc:
        raise _fail(str(exc), 2) from None

    async def probe() -> list[tuple[str, str, bool, str]]:
        rows: list[tuple[str, str, bool, str]] = []
        for name, conn in cfg.connections.items():
            if conn.type == "scim_inbound":
                rows.append(
                    (name, conn.type, True, f"SCIM inbox at /scim/v2/{name}/ (served by idsync serve)")
                )
                continue
            connector: Any = build_source(cfg, name) if conn.type in SOURCE_TYPES else build_target(cfg, name)
            try:
                rows.append((name, conn.type, True, await connector.check()))
            except IdsyncError as exc:
                rows.append((name, conn.type, False, f"{type(exc).__name__}: {exc}"))
            finally:
                await connector.aclose()
        return rows

    rows = _run(probe())
    ok = all(row[2] for row in rows)
    notices = schedule_notices(cfg, config_path(config).resolve())
    if json_output:
        _print_json(
            {
                "config": "ok",
                "connections": [{"name": n, "type": t, "ok": good, "detail": d} for n, t, good, d in rows],
                "notices": notices,
            }
        )
    else:
        from rich.table import Table

        table = Table(title="connections", title_justify="left")
        for column in ("name", "type", "status", "detail"):
            table.add_column(column)
        for name, kind, good, detail in rows:
            table.add_row(name, kind, "[green]ok[/]" if good else "[red]failed[/]", detail)
        out.print(f"config ok: {len(cfg.connections)} connections, {len(cfg.profiles)} profiles")
        out.print(table)
        for notice in notices:
            err.print(f"[yellow]note:[/] {notice}", highlight=False, soft_wrap=True)
    raise typer.Exit(0 if ok else 1)


@app.command()
def plan(
    profile: ProfileArg = None,
    out_file: Annotated[
        Path | None, typer.Option("--out", "-o", help="Save the plan as JSON for idsync apply.")
    ] = None,
    full: Annotated[
        bool, typer.Option("--full", help="List every item, not the first of each kind.")
    ] = False,
    config: ConfigOption = None,
    json_output: JsonOption = False,
) -> None:
    """Show what a sync would change, without changing anything."""
    from idsync.engine.run import RunRequest

    with _bars(json_output) as progress:
        engine = _engine(config, progress)
        report = _run(engine.plan(RunRequest(_profile_name(engine, profile), trigger="cli")))
    if out_file is not None and report.plan is not None:
        out_file.write_bytes(report.plan.to_json())
    _report(report, json_output, full=full)
    if out_file is not None and not json_output:
        out.print(f"plan saved to {out_file}; apply it with: idsync apply {out_file}", highlight=False)
    raise typer.Exit(report.exit_code)


def _profile_name(engine: Any, profile: str | None) -> str:
    try:
        name, _ = engine.profile(profile)
    except ConfigError as exc:
        raise _fail(str(exc), 2) from None
    return str(name)


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
    with _bars(json_output) as progress:
        engine = _engine(config, progress)
        report = _run(engine.apply_saved(saved, allow_over_limit=allow_over_limit))
    _report(report, json_output, show_plan=False)
    raise typer.Exit(report.exit_code)


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
    config: ConfigOption = None,
    json_output: JsonOption = False,
) -> None:
    """Read the source, plan, check the guards and apply. In a terminal, asks before applying."""
    from idsync.engine.run import RunRequest

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

    with _bars(json_output) as progress:
        engine = _engine(config, progress)
        name = _profile_name(engine, profile)
        _schedule_notice(engine.config, name, config)
        request = RunRequest(name, "cli", dry_run=dry_run, allow_over_limit=allow_over_limit)
        report = _run(engine.run(request, confirm=ask if interactive else None))
    _report(report, json_output, show_plan=not asked, full=full)
    raise typer.Exit(report.exit_code)


@app.command()
def history(
    run_id: Annotated[str | None, typer.Argument(help="Show one run with every item.")] = None,
    profile: Annotated[str | None, typer.Option("--profile", "-p", help="Only this profile's runs.")] = None,
    limit: Annotated[int, typer.Option("--limit", "-n", help="How many runs to list.")] = 20,
    config: ConfigOption = None,
    json_output: JsonOption = False,
) -> None:
    """List recent runs, or show one run's items with their outcome and reason."""
    from idsync.config.loader import load_database_url
    from idsync.console.history_view import render_run, render_runs
    from idsync.store import Store

    try:
        store = Store.open(load_database_url(config))
    except ConfigError as exc:
        raise _fail(str(exc), 2) from None
    try:
        if run_id is None:
            runs = store.runs(profile, limit)
            if json_output:
                _print_json([r.to_dict() for r in runs])
            else:
                render_runs(out, runs)
            return
        try:
            detail = store.run(run_id)
        except KeyError as exc:
            raise _fail(str(exc.args[0] if exc.args else exc), 2) from None
        if json_output:
            _print_json(detail.to_dict())
        else:
            render_run(out, detail)
    finally:
        store.close()


@user_app.command("sync")
def user_sync(
    profile: Annotated[str, typer.Argument(help="Profile name.")],
    login: Annotated[str, typer.Argument(help="The user's login / username in the source.")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show the plan; change nothing.")] = False,
    config: ConfigOption = None,
    json_output: JsonOption = False,
) -> None:
    """Sync one user now (as at login): their account and memberships, nobody else's."""
    from idsync.engine.run import RunRequest

    with _bars(json_output) as progress:
        engine = _engine(config, progress)
        name = _profile_name(engine, profile)
        report = _run(engine.run(RunRequest(name, "user", dry_run=dry_run, user=login)))
    _report(report, json_output, full=True)
    raise typer.Exit(report.exit_code)


@user_app.command("lookup")
def user_lookup(
    connection: Annotated[str, typer.Argument(help="A source connection (okta or ldap).")],
    login: Annotated[str, typer.Argument(help="The user's login / username in the source.")],
    config: ConfigOption = None,
    json_output: JsonOption = False,
) -> None:
    """Test sync: show one source user's attributes and groups, and what each profile would write."""
    from rich.table import Table

    from idsync.config.loader import load_config
    from idsync.engine.lookup import preview_user, printable

    try:
        cfg = load_config(config)
    except ConfigError as exc:
        raise _fail(str(exc), 2) from None
    preview = _run(preview_user(cfg, connection, login))
    if json_output:
        _print_json(preview.to_dict())
        return
    attributes = Table(
        title=f"{connection}: {login} ({preview.user.status}, id {preview.user.id})", title_justify="left"
    )
    attributes.add_column("attribute")
    attributes.add_column("value", overflow="fold")
    for name, value in sorted(preview.user.attributes.items()):
        attributes.add_row(name, printable(value))
    out.print(attributes)
    out.print(f"source groups: {', '.join(preview.groups) or '(none)'}", highlight=False)
    for view in preview.profiles:
        if view.user is None:
            out.print(f"[yellow]profile {view.profile}: not synced[/] — {view.why_not}", highlight=False)
            continue
        mapped = Table(title=f"profile {view.profile} would write", title_justify="left")
        mapped.add_column("field")
        mapped.add_column("value", overflow="fold")
        mapped.add_row("username", view.user.username)
        mapped.add_row("email", view.user.email or "")
        mapped.add_row("display name", view.user.display_name or "")
        mapped.add_row("active", "yes" if view.user.active else "no")
        for key, value in sorted(view.user.properties.items()):
            mapped.add_row(f"property {key}", value)
        for group, reason in sorted(view.user.groups.items()):
            mapped.add_row(f"group {group}", str(reason))
        out.print(mapped)
    if not preview.profiles:
        out.print(f"no profile reads from {connection!r}", highlight=False)


@app.command()
def demo(
    workdir: Annotated[
        Path, typer.Option("--dir", help="Where to write the demo config and database.")
    ] = Path(".idsync-demo"),
    users: Annotated[int, typer.Option("--users", help="People in the sandbox Okta (at least 10).")] = 500,
    groups: Annotated[int, typer.Option("--groups", help="Groups in the sandbox Okta (at least 2).")] = 40,
) -> None:
    """Start the sandbox Okta and Jira, sync, change a few people in Okta, sync again."""
    from idsync.demo import DemoSizeError, run_demo

    try:
        raise typer.Exit(run_demo(workdir, users=users, groups=groups, console=out))
    except DemoSizeError as exc:
        raise _fail(str(exc), 2) from None


scim_app = typer.Typer(help="SCIM push: the bearer tokens of scim_inbound connections.", no_args_is_help=True)
app.add_typer(scim_app, name="scim")


def _loaded(config_path: Path | None) -> Any:
    from idsync.config.loader import load_config

    try:
        return load_config(config_path)
    except ConfigError as exc:
        raise _fail(str(exc), 2) from None


@app.command()
def serve(
    host: Annotated[str | None, typer.Option("--host", help="Listen address (default: server.host).")] = None,
    port: Annotated[int | None, typer.Option("--port", help="Port (default: server.port).")] = None,
    config: ConfigOption = None,
) -> None:
    """Serve SCIM 2.0 at /scim/v2/<connection>/ and 1.1 at /scim/v1/<connection>/ for every scim_inbound
    connection, plus /healthz; every accepted push is provisioned into the profile's targets."""
    from idsync.config.model import ServerSettings
    from idsync.server.app import scim_connections
    from idsync.server.runner import serve as run_server

    cfg = _loaded(config)
    settings = cfg.server or ServerSettings()  # no `server:` section: the defaults
    listen_host = host or settings.host
    listen_port = port or settings.port
    for name in scim_connections(cfg):
        base = f"http://{listen_host}:{listen_port}/scim"
        err.print(f"SCIM inbox {name}: {base}/v2/{name}/ (1.1: {base}/v1/{name}/)")
    run_server(cfg, listen_host, listen_port)


@scim_app.command("token")
def scim_token(
    connection: Annotated[str, typer.Argument(help="A scim_inbound connection.")],
    rotate: Annotated[bool, typer.Option("--rotate", help="Replace the existing token.")] = False,
    revoke: Annotated[bool, typer.Option("--revoke", help="Remove the token (pushes get 401).")] = False,
    config: ConfigOption = None,
) -> None:
    """Issue the bearer token an IdP sends; it is printed once and stored only as a SHA-256 hash."""
    from idsync.server.app import scim_connections
    from idsync.sources.scim import tokens
    from idsync.store import Store

    cfg = _loaded(config)
    inbound = scim_connections(cfg)
    if connection not in inbound:
        valid = ", ".join(inbound) or "(none)"
        raise _fail(f"{connection!r} is not a scim_inbound connection; scim_inbound connections: {valid}", 2)
    if rotate and revoke:
        raise _fail("give --rotate or --revoke, not both", 2)
    with Store.open(cfg.database) as store:
        if revoke:
            removed = tokens.revoke(store.engine, connection)
            out.print(f"token of {connection} revoked" if removed else f"{connection} had no token")
            return
        try:
            token = tokens.issue(store.engine, connection, rotate=rotate)
        except ValueError as exc:
            raise _fail(str(exc), 2) from None
    err.print(f"SCIM bearer token for {connection} (shown once; idsync keeps only its hash):")
    print(token)


def _register_sandbox() -> None:
    from idsync.sandbox.cli import app as sandbox_app

    app.add_typer(sandbox_app, name="sandbox")


_register_sandbox()


def main() -> None:
    """Console-script entry point."""
    app()
