"""Incremental LDAP reads: entries changed since a cursor, by `modifyTimestamp` (OpenLDAP)
or `uSNChanged` (AD), with a full read whenever the last one is older than `full_read_every_hours`
(LDAP reports no deletions, so only a full read shows who is gone).

The cursor is an opaque string the caller stores and passes back: `<attribute>=<value>;full=<ISO time>`.
Timestamp cursors are inclusive (`>=`, one-second resolution), so an entry changed in the same second
as the previous read is returned again rather than missed; USN cursors are exclusive. On AD the
next cursor is the root DSE's `highestCommittedUSN` taken *before* the search (Microsoft's polling
recipe), so changes made during the read come again next time. USNs are per domain controller:
keep the connection on one DC.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from idsync.domain.errors import ConfigError
from idsync.domain.progress import NO_PROGRESS, Progress
from idsync.domain.records import Snapshot, SourceGroup, SourceUser
from idsync.sources.ldap.client import LdapClient
from idsync.sources.ldap.entries import first_text, lower_keys, to_source_user
from idsync.sources.ldap.source import LdapSource


@dataclass(frozen=True, slots=True)
class Cursor:
    """Where the last read ended: the change attribute's value and when the last full read was."""

    attribute: str
    value: str
    full_at: datetime

    def __str__(self) -> str:
        return f"{self.attribute}={self.value};full={self.full_at.isoformat()}"

    @classmethod
    def parse(cls, text: str) -> Cursor:
        """Parse a stored cursor; a malformed one is a ConfigError naming it."""
        try:
            mark, full = text.split(";full=", 1)
            attribute, value = mark.split("=", 1)
            full_at = datetime.fromisoformat(full)
        except ValueError:
            raise ConfigError(
                f"LDAP change cursor {text!r} is malformed; expected <attribute>=<value>;full=<ISO time> as "
                "returned by read_changes, or an empty string for a full read"
            ) from None
        if full_at.tzinfo is None:
            full_at = full_at.replace(tzinfo=UTC)
        return cls(attribute, value, full_at)


@dataclass(frozen=True, slots=True)
class ChangeSet:
    """The result of `read_changes`."""

    cursor: str
    """Pass this as `since` next time."""
    users: Mapping[str, SourceUser]
    """Users created or changed since the cursor (all users on a full read), by id."""
    groups: Mapping[str, SourceGroup] | None
    """Every group with resolved members when any group changed (or on a full read); None otherwise."""
    full: Snapshot | None
    """Set when this was a full read: users missing from it are gone from the source."""


async def read_changes(
    source: LdapSource, since: str, *, now: datetime | None = None, progress: Progress = NO_PROGRESS
) -> ChangeSet:
    """Changes since `since` (empty: a full read). Complete, or raises SourceReadError."""
    moment = now or datetime.now(UTC)
    flavor = source.flavor
    cursor = Cursor.parse(since) if since else None
    if cursor is not None and cursor.attribute != flavor.change_attribute:
        raise ConfigError(
            f"LDAP change cursor {since!r} tracks {cursor.attribute}, but connection {source.name} "
            f"({flavor.name}) tracks {flavor.change_attribute}; start again with an empty cursor"
        )
    overdue = cursor is None or moment - cursor.full_at >= timedelta(hours=source.conn.full_read_every_hours)

    def work(client: LdapClient) -> ChangeSet:
        committed = _highest_committed_usn(client) if flavor.change_is_counter else None
        if overdue or cursor is None:
            snapshot = source.read_sync(client, progress)
            seen = [u.attributes.get(flavor.change_attribute) for u in snapshot.users.values()]
            seen += [g.attributes.get(flavor.change_attribute) for g in snapshot.groups.values()]
            mark = committed or _max_mark(
                [s for s in seen if isinstance(s, str)], flavor.change_is_counter, ""
            )
            return ChangeSet(
                cursor=str(Cursor(flavor.change_attribute, mark, moment)),
                users=snapshot.users,
                groups=snapshot.groups,
                full=snapshot,
            )
        term = _since_term(flavor.change_attribute, cursor.value, flavor.change_is_counter)
        users: dict[str, SourceUser] = {}
        marks: list[str] = []
        for page in client.paged_search(
            source.user_base, f"(&{source.user_filter}{term})", flavor.user_attributes(), key="user_filter"
        ):
            for dn, raw in page:
                user = to_source_user(dn, raw, flavor)
                users[user.id] = user
                value = first_text(lower_keys(raw), flavor.change_attribute, flavor)
                if value:
                    marks.append(value)
        changed_groups = client.search_all(
            source.group_base,
            f"(&{source.group_filter}{term})",
            [flavor.id_attribute, flavor.change_attribute],
            key="group_filter",
        )
        groups = None
        if changed_groups:
            marks += [
                m
                for _, raw in changed_groups
                if (m := first_text(lower_keys(raw), flavor.change_attribute, flavor))
            ]
            by_dn, by_login = source.read_user_index_sync(client)
            groups = source.read_groups_sync(client, by_dn, by_login, progress)
        mark = committed or _max_mark(marks, flavor.change_is_counter, cursor.value)
        return ChangeSet(
            cursor=str(Cursor(flavor.change_attribute, mark, cursor.full_at)),
            users=users,
            groups=groups,
            full=None,
        )

    return await source.run_sync(work)


def _since_term(attribute: str, value: str, counter: bool) -> str:
    if counter:
        try:
            start = int(value) + 1
        except ValueError:
            raise ConfigError(
                f"LDAP change cursor value {value!r} for {attribute} is not an integer"
            ) from None
        return f"({attribute}>={start})"
    if not (value.endswith("Z") and value[:14].isdigit()):
        raise ConfigError(
            f"LDAP change cursor value {value!r} for {attribute} is not a GeneralizedTime "
            "such as 20240101000000Z"
        )
    return f"({attribute}>={value})"


def _max_mark(marks: list[str], counter: bool, default: str) -> str:
    candidates = [*marks, default] if default else marks
    if not candidates:
        return "0" if counter else "19700101000000Z"
    return max(candidates, key=int) if counter else max(candidates)


def _highest_committed_usn(client: LdapClient) -> str | None:
    """AD's root DSE `highestCommittedUSN`, read before searching (None when the server lacks it)."""
    value = lower_keys(client.root_dse(["highestCommittedUSN"])).get("highestcommittedusn")
    return value[0].decode() if value else None
