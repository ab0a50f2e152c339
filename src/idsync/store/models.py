"""SQLAlchemy models of the store: links, runs, run items and profile locks.

The models are the source of truth for the schema; the Alembic revisions in `migrations/versions`
create exactly these tables (a test compares the two). Times are stored as UTC and come back aware.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import JSON, Boolean, DateTime, Float, ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator


class UtcDateTime(TypeDecorator[datetime]):
    """A timestamp stored as UTC and always returned timezone-aware (SQLite has no time zones)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Refuse naive datetimes (their zone is a guess) and store everything as UTC."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value.isoformat()} given to the store: pass an aware one")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Attach UTC to what SQLite returns naive."""
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    """Declarative base; `Base.metadata` is what the migrations must produce."""

    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UtcDateTime()}


class LinkRow(Base):
    """One managed target user per (profile, target, source id); see `idsync.domain.records.Link`."""

    __tablename__ = "links"

    profile: Mapped[str] = mapped_column(String, primary_key=True)
    target: Mapped[str] = mapped_column(String, primary_key=True)
    source_id: Mapped[str] = mapped_column(String, primary_key=True)
    target_key: Mapped[str] = mapped_column(String)
    username: Mapped[str] = mapped_column(String)
    fingerprint: Mapped[str] = mapped_column(String)
    active: Mapped[bool] = mapped_column(Boolean)
    groups: Mapped[dict[str, list[str]]] = mapped_column(JSON, default=dict)
    """Group bookkeeping of the link, by kind: "granted", "pending", "licence" (lists of names);
    kinds with no groups are left out, so most rows hold {}."""
    updated_at: Mapped[datetime]


class RunRow(Base):
    """One run of one profile: trigger, status, plan header, counts and timings."""

    __tablename__ = "runs"
    __table_args__ = (Index("ix_runs_profile_started", "profile", "started_at"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    profile: Mapped[str] = mapped_column(String)
    trigger: Mapped[str] = mapped_column(String)
    dry_run: Mapped[bool] = mapped_column(Boolean)
    status: Mapped[str] = mapped_column(String, index=True)
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    error: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str | None] = mapped_column(String)
    scope: Mapped[str | None] = mapped_column(String)
    source_users: Mapped[int | None] = mapped_column(Integer)
    source_groups: Mapped[int | None] = mapped_column(Integer)
    plan_created_at: Mapped[datetime | None]
    single_user: Mapped[str | None] = mapped_column(String)
    item_count: Mapped[int] = mapped_column(Integer, default=0)
    counts_by_action: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    counts_by_outcome: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    timings: Mapped[dict[str, float]] = mapped_column(JSON, default=dict)
    notes: Mapped[list[str]] = mapped_column(JSON, default=list)
    disputes: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    managed_users: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    undo_of: Mapped[str | None] = mapped_column(String(40))
    """For a run of `idsync undo`: the id of the run it reverses."""


class RunItemRow(Base):
    """One plan item of a run with its outcome; `idx` is the item's index in the plan."""

    __tablename__ = "run_items"

    run_id: Mapped[str] = mapped_column(
        String(40), ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True
    )
    idx: Mapped[int] = mapped_column(Integer, primary_key=True)
    action: Mapped[str] = mapped_column(String(40))
    target: Mapped[str] = mapped_column(String)
    subject: Mapped[str] = mapped_column(Text)
    user: Mapped[str | None] = mapped_column(String)
    user_key: Mapped[str | None] = mapped_column(String)
    source_id: Mapped[str | None] = mapped_column(String)
    group: Mapped[str | None] = mapped_column(String)
    new_lead: Mapped[str | None] = mapped_column(String)
    reason_rule: Mapped[str] = mapped_column(String)
    reason_detail: Mapped[str] = mapped_column(Text)
    changes: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    outcome: Mapped[str] = mapped_column(String)
    error: Mapped[str | None] = mapped_column(Text)
    target_key: Mapped[str | None] = mapped_column(String)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    duration_ms: Mapped[float] = mapped_column(Float, default=0.0)
    lead: Mapped[dict[str, str] | None] = mapped_column(JSON)
    """HAND_OVER_LEAD: the role handed over ({"kind", "id", "name", "lead": the lead before}), so
    `idsync undo` can hand it back."""
    fingerprint: Mapped[str | None] = mapped_column(String)
    """The item's user fingerprint (see PlanItem): with `grants`, what recovery needs to write the
    links of a run that was killed during apply, as the run itself would have at its end."""
    grants: Mapped[list[str] | None] = mapped_column(JSON)


class LockRow(Base):
    """Who runs a profile right now. On SQLite this row is the lock; on PostgreSQL an advisory lock
    is, and the row only says who holds it and since when."""

    __tablename__ = "profile_locks"

    profile: Mapped[str] = mapped_column(String, primary_key=True)
    holder: Mapped[str] = mapped_column(String)
    host: Mapped[str] = mapped_column(String)
    pid: Mapped[int] = mapped_column(Integer)
    acquired_at: Mapped[datetime]
    heartbeat_at: Mapped[datetime]


# --- the SCIM inbox: what IdPs pushed, per scim_inbound connection ---------------------------------


class ScimResourceRow(Base):
    """One SCIM resource an IdP pushed, as the JSON document scim2-models produced (the inbox's truth)."""

    __tablename__ = "scim_resources"

    connection: Mapped[str] = mapped_column(String, primary_key=True)
    resource_type: Mapped[str] = mapped_column(String(64), primary_key=True)
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    body: Mapped[str] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime]
    modified_at: Mapped[datetime]


class ScimKeyRow(Base):
    """An indexed value of a resource (userName, externalId, displayName, members.value), compared as
    the attribute's case rules say, so `eq` filters and member look-ups never scan the inbox."""

    __tablename__ = "scim_keys"
    __table_args__ = (
        Index("ix_scim_keys_lookup", "connection", "resource_type", "urn", "value"),
        Index("ix_scim_keys_owner", "connection", "resource_type", "resource_id"),
    )

    row: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    connection: Mapped[str] = mapped_column(String)
    resource_type: Mapped[str] = mapped_column(String(64))
    resource_id: Mapped[str] = mapped_column(String(64))
    urn: Mapped[str] = mapped_column(String)
    value: Mapped[str] = mapped_column(String)


class ScimUniqueRow(Base):
    """A value of an attribute with uniqueness server/global; the primary key is the uniqueness check."""

    __tablename__ = "scim_unique"

    connection: Mapped[str] = mapped_column(String, primary_key=True)
    urn: Mapped[str] = mapped_column(String, primary_key=True)
    value: Mapped[str] = mapped_column(String, primary_key=True)
    resource_type: Mapped[str] = mapped_column(String(64))
    resource_id: Mapped[str] = mapped_column(String(64))


class ScimTombstoneRow(Base):
    """A resource the IdP deleted: a later single-object sync sees it as gone, not as unknown."""

    __tablename__ = "scim_tombstones"

    connection: Mapped[str] = mapped_column(String, primary_key=True)
    resource_type: Mapped[str] = mapped_column(String(64), primary_key=True)
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    deleted_at: Mapped[datetime]


class ScimTokenRow(Base):
    """The bearer token of one scim_inbound connection, kept only as a SHA-256 hash."""

    __tablename__ = "scim_tokens"

    connection: Mapped[str] = mapped_column(String, primary_key=True)
    token_sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]


class SourceGroupMembersRow(Base):
    """One Okta group's member ids from the last complete read, valid while its timestamps are
    unchanged (see `idsync.sources.okta.cache`)."""

    __tablename__ = "source_group_members"

    connection: Mapped[str] = mapped_column(String, primary_key=True)
    group_id: Mapped[str] = mapped_column(String, primary_key=True)
    last_membership_updated: Mapped[str | None] = mapped_column(String)
    last_updated: Mapped[str | None] = mapped_column(String)
    member_ids: Mapped[list[str]] = mapped_column(JSON)
    read_at: Mapped[datetime]


class SourceSnapshotRow(Base):
    """The last complete picture of one source connection, for incremental reads: the users and groups
    (a compressed blob, see `idsync.store.snapshots`) and the cursor its next read continues from."""

    __tablename__ = "source_snapshots"

    connection: Mapped[str] = mapped_column(String, primary_key=True)
    cursor: Mapped[str] = mapped_column(String)
    scope: Mapped[str] = mapped_column(String)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    users: Mapped[int] = mapped_column(Integer)
    read_at: Mapped[datetime]


class AbsentUserRow(Base):
    """A person the target was asked about and did not have, with the fingerprint of what idsync wanted
    for them then: not looked up again while that stays the same, until the next run whose source read
    is a full one (see `idsync.engine.absences`)."""

    __tablename__ = "absent_users"

    profile: Mapped[str] = mapped_column(String, primary_key=True)
    target: Mapped[str] = mapped_column(String, primary_key=True)
    source_id: Mapped[str] = mapped_column(String, primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String)
    checked_at: Mapped[datetime]


class GroupDigestRow(Base):
    """What the rules wanted of one managed group's members when a run last left it exactly so in a
    target: while the wanted members stay the same, runs between full reads do not read the group
    (see `idsync.engine.group_digests`)."""

    __tablename__ = "group_digests"

    profile: Mapped[str] = mapped_column(String, primary_key=True)
    target: Mapped[str] = mapped_column(String, primary_key=True)
    group_name: Mapped[str] = mapped_column(String, primary_key=True)
    digest: Mapped[str] = mapped_column(String)


# --- the service: API tokens, stored plans, schedule slots ------------------------------------------


class ApiTokenRow(Base):
    """A bearer token of the REST API, kept only as a SHA-256 hash; revoked tokens stay listed."""

    __tablename__ = "api_tokens"

    name: Mapped[str] = mapped_column(String, primary_key=True)
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]


class StoredPlanRow(Base):
    """A plan computed and kept for review, so that exactly it can be applied later by its id."""

    __tablename__ = "plans"
    __table_args__ = (Index("ix_plans_profile_created", "profile", "created_at"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    profile: Mapped[str] = mapped_column(String)
    created_at: Mapped[datetime]
    body: Mapped[str] = mapped_column(Text)
    """The plan as `Plan.to_json` wrote it."""
    applied_run_id: Mapped[str | None] = mapped_column(String(40))


class ScheduleSlotRow(Base):
    """One due time of one profile's schedule, claimed by the replica that runs it: the primary key
    makes several `idsync serve` processes on one database run each slot exactly once."""

    __tablename__ = "schedule_slots"

    profile: Mapped[str] = mapped_column(String, primary_key=True)
    slot_at: Mapped[datetime] = mapped_column(primary_key=True)
    claimed_by: Mapped[str] = mapped_column(String)
    claimed_at: Mapped[datetime]
    run_id: Mapped[str | None] = mapped_column(String(40))


# --- the admin UI: local admin accounts, the server's own keys -------------------------------------


class AdminAccountRow(Base):
    """A local admin of the web UI (`idsync admin add NAME`); only the argon2id hash of the password
    is kept."""

    __tablename__ = "admin_accounts"

    name: Mapped[str] = mapped_column(String, primary_key=True)
    password_hash: Mapped[str] = mapped_column(String)
    created_at: Mapped[datetime]
    password_changed_at: Mapped[datetime]
    last_login_at: Mapped[datetime | None]


class ServerKeyRow(Base):
    """A key the server generates once and every replica shares, e.g. the one that signs the admin
    UI's session cookies (so a session made by one replica is valid on the others)."""

    __tablename__ = "server_keys"

    name: Mapped[str] = mapped_column(String, primary_key=True)
    value: Mapped[str] = mapped_column(String)
    created_at: Mapped[datetime]
