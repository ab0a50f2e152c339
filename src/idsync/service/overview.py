"""The state of the whole installation at a glance (the admin UI's overview): every profile with its
last and next run, and what needs an admin's attention.

Warnings come from what is already known, never from calling the connections: a credential's
`expires_at` (expired, or within `EXPIRY_WARNING_DAYS`), a last run refused by a guard or failed, and
items that failed in the last run (the next run plans them again, since the diff starts from what the
target holds).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from idsync.service.context import Context
from idsync.service.profiles import list_profiles
from idsync.service.results import ProfileInfo
from idsync.store.records import RunStatus

EXPIRY_WARNING_DAYS = 30
"""A credential expiring within this many days is a warning on the overview."""


class Severity(StrEnum):
    """How urgent a warning is."""

    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, slots=True)
class Notice:
    """One thing that needs an admin's attention; `subject` is the profile or connection concerned."""

    severity: Severity
    kind: str
    """credential_expired, credential_expiring, run_refused, run_failed, items_failed"""
    subject: str
    message: str
    run_id: str | None = None


@dataclass(frozen=True, slots=True)
class Overview:
    """Every profile and every warning."""

    profiles: tuple[ProfileInfo, ...]
    warnings: tuple[Notice, ...]


def credential_warnings(ctx: Context, now: datetime) -> list[Notice]:
    """Connections whose `expires_at` has passed or is within EXPIRY_WARNING_DAYS."""
    found: list[Notice] = []
    today = now.astimezone(UTC).date()
    for name, connection in sorted(ctx.config.connections.items()):
        if connection.expires_at is None:
            continue
        days = (connection.expires_at - today).days
        if days < 0:
            message = (
                f"connection {name!r}: its credential expired on {connection.expires_at} ({-days} days ago)"
            )
            found.append(Notice(Severity.ERROR, "credential_expired", name, message))
        elif days <= EXPIRY_WARNING_DAYS:
            message = (
                f"connection {name!r}: its credential expires on {connection.expires_at} (in {days} days)"
            )
            found.append(Notice(Severity.WARNING, "credential_expiring", name, message))
    return found


def run_warnings(info: ProfileInfo) -> list[Notice]:
    """What the profile's last run left to look at."""
    run = info.last_run
    if run is None:
        return []
    found: list[Notice] = []
    if run.status == RunStatus.REFUSED:
        message = f"profile {info.name!r}: the last run was refused by a guard: {run.error or 'see the run'}"
        found.append(Notice(Severity.ERROR, "run_refused", info.name, message, run.id))
    elif run.status == RunStatus.FAILED:
        message = f"profile {info.name!r}: the last run failed: {run.error or 'see the run'}"
        found.append(Notice(Severity.ERROR, "run_failed", info.name, message, run.id))
    failed = run.counts_by_outcome.get("failed", 0)
    if failed:
        message = (
            f"profile {info.name!r}: {failed} item(s) failed in the last run; the next run plans them again"
        )
        found.append(Notice(Severity.WARNING, "items_failed", info.name, message, run.id))
    return found


def overview(ctx: Context, now: datetime | None = None) -> Overview:
    """Profiles and warnings (a blocking call: run it in a thread from async code)."""
    moment = now or datetime.now(UTC)
    infos = list_profiles(ctx, moment)
    warnings = credential_warnings(ctx, moment)
    for info in infos:
        warnings.extend(run_warnings(info))
    return Overview(infos, tuple(warnings))
