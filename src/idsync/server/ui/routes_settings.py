"""Profile settings: one page per tab (user sync, group sync, leads, safety, schedule), live previews
on real source data, and a save that goes through a reviewed YAML diff.

    GET  /profiles/{name}/settings[/{tab}]     the tab's form, with the values the file holds
    POST /profiles/{name}/settings/{tab}/preview   htmx: the live preview of the form as it is now
    GET  /profiles/{name}/settings/{tab}/row       htmx: one blank row of a table field
    POST /profiles/{name}/settings/{tab}           review: problems at their fields, or the diff
    POST /profiles/{name}/settings/{tab}/save      write the reviewed change, then reload the config

Everything is `idsync.service.config_edit` (load, apply, validate, diff, write), `settings_form` (the
fields and the form text) and `config_preview` (the previews): these handlers only call them and
render. After a save the UI's context is reloaded from the file, so every later page of the UI (and
the runs it starts) uses the new settings; the parts of `idsync serve` that took the config at start
(REST API, scheduler, SCIM provisioning, event hooks) use it after a restart, as the page says.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from idsync.domain.errors import ConfigError, IdsyncError
from idsync.server.ui.render import render
from idsync.server.ui.state import UiState, blocking, ui_state
from idsync.service import config_edit, settings_form
from idsync.service.config_edit import Change, ConfigChanged, ConfigDocument, ConfigReadOnly, EditRejected
from idsync.service.config_preview import SourceSamples, preview_groups, preview_usernames
from idsync.service.config_problems import Problem
from idsync.service.errors import UnknownName
from idsync.service.settings_form import TABS, Tab

_FORM_META = ("csrf_token", "base_digest", "reviewed_digest", "fresh")
"""Form fields that are not settings."""


def _config_file(state: UiState) -> Path | None:
    return state.config_path or state.ctx.path


def _form_lists(form: Any) -> dict[str, list[str]]:
    return {key: [str(v) for v in form.getlist(key)] for key in form}


def _samples(request: Request) -> SourceSamples:
    """The source reads the previews share (one per UI app)."""
    samples: SourceSamples | None = getattr(request.app.state, "settings_samples", None)
    if samples is None:
        samples = SourceSamples()
        request.app.state.settings_samples = samples
    return samples


def _targets(state: UiState, name: str) -> list[str]:
    profile = state.ctx.config.profiles.get(name)
    return list(profile.targets) if profile is not None else []


def _page(
    request: Request,
    name: str,
    shown: Tab,
    document: ConfigDocument,
    values: dict[str, Any],
    *,
    problems: tuple[Problem, ...] = (),
    flash: tuple[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    state = ui_state(request)
    fields = settings_form.field_views(shown, values, problems, _targets(state, name))
    context = {
        "name": name, "tab": shown, "tabs": TABS, "fields": fields, "document": document,
        "general": [p for p in problems if p.field is None], "problem_count": len(problems),
        "flash": flash,
    }  # fmt: skip
    return render(request, "settings/tab.html", context, status_code=status_code)


def _message(request: Request, title: str, text: str, status_code: int) -> Response:
    return render(request, "settings/message.html", {"title": title, "text": text}, status_code=status_code)


async def _open(request: Request) -> tuple[str, Tab, ConfigDocument] | Response:
    """The profile, tab and loaded file of a request, or the page saying what is wrong."""
    state = ui_state(request)
    name = request.path_params["name"]
    try:
        state.ctx.profile(name)
        shown = settings_form.tab(request.path_params.get("tab", TABS[0].slug))
    except UnknownName as exc:
        return _message(request, "Not found", str(exc), 404)
    path = _config_file(state)
    if path is None:
        return _message(request, "Settings", "This server was started without a config file, so there is "
                        "no file to edit.", 409)  # fmt: skip
    try:
        document = await blocking(config_edit.load_document, path)
    except ConfigError as exc:
        return _message(request, "Settings", str(exc), 409)
    return name, shown, document


async def settings_page(request: Request) -> Response:
    """The tab's form with the values the file holds now."""
    opened = await _open(request)
    if isinstance(opened, Response):
        return opened
    name, shown, document = opened
    values = await blocking(settings_form.file_values, document, name, shown)
    saved = request.query_params.get("saved")
    flash = ("ok", "Saved: the config file changed as the diff showed. The admin UI uses the new settings "
             "now (Synchronize and Test sync too); the REST API, scheduled runs, SCIM pushes and Okta event "
             "hooks read the config when idsync serve starts, so they use it after a restart.") \
        if saved else None  # fmt: skip
    return _page(request, name, shown, document, values, flash=flash)


async def _submitted(request: Request) -> tuple[Tab, list[Change], list[Problem], dict[str, list[str]]]:
    """The tab's submitted form as changes, and what the form itself could not read."""
    shown = settings_form.tab(request.path_params["tab"])
    form = _form_lists(await request.form())
    changes, problems = settings_form.parse_form(shown, form)
    return shown, changes, problems, form


def _hidden(form: dict[str, list[str]]) -> list[tuple[str, str]]:
    """The submitted settings again, as the hidden fields of the confirm form."""
    return [(key, value) for key, values in form.items() if key not in _FORM_META for value in values]


async def review_change(request: Request) -> Response:
    """The submitted tab: its problems at their fields, or the change as a diff to confirm."""
    opened = await _open(request)
    if isinstance(opened, Response):
        return opened
    name, shown, document = opened
    shown, changes, form_problems, form = await _submitted(request)
    try:
        edit = await blocking(config_edit.review, document.path, name, changes,
                              base_digest=form.get("base_digest", [""])[-1] or None)  # fmt: skip
    except ConfigChanged as exc:
        values = await blocking(settings_form.file_values, document, name, shown)
        return _page(request, name, shown, document, values, flash=("error", str(exc)), status_code=409)
    except ConfigError as exc:
        return _message(request, "Settings", str(exc), 422)
    problems = (*form_problems, *edit.problems)
    if problems:
        values = settings_form.submitted_values(edit.document, name, shown, changes)
        return _page(request, name, shown, edit.document, values, problems=problems, status_code=422)
    if not edit.changed:
        values = await blocking(settings_form.file_values, edit.document, name, shown)
        flash = ("ok", "Nothing to save: the file already holds these settings.")
        return _page(request, name, shown, edit.document, values, flash=flash)
    context = {"name": name, "tab": shown, "edit": edit, "hidden": _hidden(form)}
    return render(request, "settings/review.html", context)


async def save_change(request: Request) -> Response:
    """Write the reviewed change, reload this server's config from the file, show the tab again."""
    state = ui_state(request)
    opened = await _open(request)
    if isinstance(opened, Response):
        return opened
    name, shown, document = opened
    shown, changes, form_problems, form = await _submitted(request)
    try:
        if form_problems:
            raise EditRejected(form_problems)
        await blocking(config_edit.save, document.path, name, changes,
                       base_digest=form.get("base_digest", [""])[-1],
                       reviewed_digest=form.get("reviewed_digest", [""])[-1])  # fmt: skip
    except EditRejected as exc:
        values = settings_form.submitted_values(document, name, shown, changes)
        return _page(request, name, shown, document, values, problems=exc.problems, status_code=422)
    except ConfigReadOnly as exc:
        edit = await blocking(config_edit.apply_changes, document, name, changes)
        context = {"name": name, "tab": shown, "edit": edit, "hidden": _hidden(form), "refused": str(exc)}
        return render(request, "settings/review.html", context, status_code=409)
    except ConfigChanged as exc:
        values = await blocking(settings_form.file_values, document, name, shown)
        return _page(request, name, shown, document, values, flash=("error", str(exc)), status_code=409)
    try:
        state.ctx = await blocking(config_edit.reload_context, state.ctx, document.path)
    except ConfigError as exc:  # validated just before with the same loader: only a race gets here
        return _message(request, "Saved, but not reloaded", f"{exc} — restart idsync serve.", 500)
    root = request.scope.get("root_path", "")
    location = f"{root}/profiles/{quote(name, safe='')}/settings/{shown.slug}?saved=1"
    return Response(status_code=303, headers={"Location": location})


async def preview(request: Request) -> Response:
    """htmx: the tab's live preview for the form as it is now, on a sample the source really holds."""
    opened = await _open(request)
    if isinstance(opened, Response):
        return opened
    name, shown, document = opened
    shown, changes, form_problems, form = await _submitted(request)
    try:
        edit = await blocking(config_edit.apply_changes, document, name, changes)
    except ConfigError as exc:
        return _message(request, "Settings", str(exc), 422)
    context: dict[str, Any] = {"tab": shown, "problems": (*form_problems, *edit.problems), "result": None}
    if edit.config is not None and not form_problems and shown.preview is not None:
        profile = edit.config.profiles[name]
        try:
            sample = await _samples(request).get(edit.config, profile.source, fresh=bool(form.get("fresh")))
            make = preview_usernames if shown.preview == "usernames" else preview_groups
            context["result"] = make(sample.snapshot, profile)
            context["source"] = profile.source
        except IdsyncError as exc:
            context["error"] = f"{profile.source} could not be read for the preview: {exc}"
    return render(request, f"settings/_preview_{shown.preview or 'none'}.html", context)


async def blank_row(request: Request) -> Response:
    """htmx: one empty row for a table field (Add a row)."""
    try:
        shown = settings_form.tab(request.path_params["tab"])
        field = shown.field(request.query_params.get("field", ""))
    except UnknownName as exc:
        return _message(request, "Not found", str(exc), 404)
    row = settings_form.Row("", "")
    return render(request, "settings/_row.html", {"field": field, "row": row, "index": uuid.uuid4().hex[:8]})


routes: list[BaseRoute] = [
    Route("/profiles/{name}/settings", settings_page, methods=["GET"], name="settings"),
    Route("/profiles/{name}/settings/{tab}", settings_page, methods=["GET"], name="settings_tab"),
    Route("/profiles/{name}/settings/{tab}", review_change, methods=["POST"], name="settings_review"),
    Route("/profiles/{name}/settings/{tab}/save", save_change, methods=["POST"], name="settings_save"),
    Route("/profiles/{name}/settings/{tab}/preview", preview, methods=["POST"], name="settings_preview"),
    Route("/profiles/{name}/settings/{tab}/row", blank_row, methods=["GET"], name="settings_row"),
]
