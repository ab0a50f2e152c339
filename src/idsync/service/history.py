"""History: runs filtered and paged, one run with its items filtered and paged.

These functions block on the database: async callers (the REST API) run them in a worker thread.
They take only the store, so `idsync history` works without the connections' secrets. Filter values
are checked here, so a typo is an error that lists the valid values instead of an empty page.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from idsync.domain.plan import Action, Outcome
from idsync.service.errors import NotFound, UnknownName
from idsync.service.results import RunPage, RunView
from idsync.service.runs import Trigger
from idsync.store import Store
from idsync.store.records import PLANNED, RunDetail, RunItemRecord, RunNotFound, RunStatus, RunSummary
from idsync.store.run_search import (
    ItemFilter,
    RunFilter,
    run_header,
    search_items,
    search_person,
    search_runs,
)

MAX_LIMIT = 1000
"""The most runs or items one page may hold."""
TRIGGERS = tuple(str(t) for t in Trigger)
STATUSES = tuple(str(s) for s in RunStatus)
OUTCOMES = (*(str(o) for o in Outcome), PLANNED)
ACTIONS = tuple(str(a) for a in Action)


def _one_of(field: str, value: str | None, valid: tuple[str, ...]) -> str | None:
    if value is not None and value not in valid:
        raise UnknownName(field, value, valid)
    return value


def _limit(field: str, limit: int) -> int:
    if not 1 <= limit <= MAX_LIMIT:
        raise UnknownName(
            field, str(limit), (), message=f"{field}: {limit} is out of range; valid: 1..{MAX_LIMIT}"
        )
    return limit


def list_runs(
    store: Store,
    *,
    profile: str | None = None,
    trigger: str | None = None,
    status: str | None = None,
    user: str | None = None,
    limit: int = 20,
    cursor: str | None = None,
    profiles: tuple[str, ...] | None = None,
    started_after: datetime | None = None,
    started_before: datetime | None = None,
) -> RunPage:
    """One page of runs, newest first (started in [`started_after`, `started_before`) when given).
    `profiles`, when given, are the valid profile names."""
    if profiles is not None:
        _one_of("profile", profile, profiles)
    for field, moment in (("started_after", started_after), ("started_before", started_before)):
        if moment is not None and moment.tzinfo is None:
            message = f"{field}: {moment.isoformat()} has no time zone; give one (e.g. UTC)"
            raise UnknownName(field, moment.isoformat(), (), message=message)
    where = RunFilter(
        profile=profile,
        trigger=_one_of("trigger", trigger, TRIGGERS),
        status=_one_of("status", status, STATUSES),
        user=user,
        started_after=started_after,
        started_before=started_before,
    )
    try:
        runs, following = search_runs(store.engine, where, limit=_limit("limit", limit), cursor=cursor)
    except RunNotFound:
        raise NotFound(
            "cursor", f"cursor: {cursor!r} is not a run id; pass the next_cursor of the previous page"
        ) from None
    return RunPage(tuple(runs), following, limit)


def run_view(
    store: Store,
    run_id: str,
    *,
    outcome: str | None = None,
    action: str | None = None,
    user: str | None = None,
    group: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> RunView:
    """One run and one page of its items in plan order."""
    where = ItemFilter(
        outcome=_one_of("outcome", outcome, OUTCOMES), action=_one_of("action", action, ACTIONS), user=user,
        group=group,
    )
    if offset < 0:
        message = f"offset: {offset} is negative; valid: 0 or more"
        raise UnknownName("offset", str(offset), (), message=message)
    try:
        detail = run_header(store.engine, run_id)
        items, total = search_items(store.engine, run_id, where, limit=_limit("limit", limit), offset=offset)
    except RunNotFound as exc:
        raise NotFound("run_id", str(exc)) from None
    summary = detail.to_dict()
    summary.pop("items")
    return RunView(summary, tuple(items), total, offset, limit)


def run_detail(store: Store, run_id: str) -> RunDetail:
    """One run with every item, in plan order (`idsync history RUN_ID`)."""
    try:
        return store.run(run_id)
    except RunNotFound as exc:
        raise NotFound("run_id", str(exc)) from None


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    """One run that touched a person, with the items that name them (what was done and why)."""

    run: RunSummary
    items: tuple[RunItemRecord, ...]


@dataclass(frozen=True, slots=True)
class Timeline:
    """A person across runs, newest first ("why is Jane in this group?"); `truncated` when more items
    matched than were read."""

    user: str
    entries: tuple[TimelineEntry, ...]
    truncated: bool

    def groups(self) -> dict[str, RunItemRecord]:
        """Each group the person was last added to or removed from, with that item."""
        latest: dict[str, RunItemRecord] = {}
        for entry in self.entries:
            for item in entry.items:
                if item.group is not None and item.group not in latest:
                    latest[item.group] = item
        return latest


def person_timeline(
    store: Store, user: str, *, profile: str | None = None, limit: int = 500
) -> Timeline:
    """Every recorded item naming `user` (target username or source id), grouped by run, newest first,
    at most `limit` items."""
    if not user.strip():
        raise UnknownName("user", user, (), message="user: give a target username or a source user id")
    found, truncated = search_person(store.engine, user, profile=profile, limit=_limit("limit", limit))
    entries: list[TimelineEntry] = []
    for run, item in found:
        if entries and entries[-1].run.id == run.id:
            entries[-1] = TimelineEntry(run, (*entries[-1].items, item))
        else:
            entries.append(TimelineEntry(run, (item,)))
    return Timeline(user, tuple(entries), truncated)
