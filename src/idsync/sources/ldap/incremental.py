"""Incremental LDAP reads: entries changed since a cursor, by `modifyTimestamp` (OpenLDAP)
or `uSNChanged` (AD), with a full read whenever the last one is older than `full_read_every_hours`
(LDAP reports no deletions, so only a full read shows who is gone).

The cursor is an opaque string the caller stores and passes back: `<attribute>=<value>;full=<ISO time>`.
Timestamp cursors are inclusive (`>=`, one-second resolution), so an entry changed in the same second
as the previous read is returned again rather than missed; USN cursors are exclusive. On AD the
next cursor is the root DSE's `highestCommittedUSN` taken *before* the search (Microsoft's polling
recipe), so changes made during the read come again next time. USNs are per domain controller:
keep the connection on one DC.

A timestamp cursor is the newest `modifyTimestamp` seen, but never later than this machine's clock at
the start of the read minus `CLOCK_SKEW_MARGIN`. Without that cap, an entry changed during the read
after its page went by, while a later page held an entry changed later still, would fall behind the
cursor and be missed for good. With it, anything changed during the read is at or after the cursor,
as long as this clock is not ahead of the server's by more than the margin.

A user filter on `memberOf` turns a read in which any group changed into a full read: see
`follows_membership`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from idsync.domain.errors import ConfigError
from idsync.domain.progress import NO_PROGRESS, Progress
from idsync.domain.records import SourceUser
from idsync.sources.changes import Changes
from idsync.sources.ldap.client import LdapClient
from idsync.sources.ldap.entries import first_text, lower_keys, to_source_user

if TYPE_CHECKING:
    from idsync.sources.ldap.source import LdapSource

CLOCK_SKEW_MARGIN = timedelta(minutes=5)
"""How far this machine's clock may run ahead of the directory's without a change being missed (see
the module docstring). Five minutes is the clock tolerance AD's Kerberos already demands of a domain;
the cost is that changes of the last five minutes before a read are returned once more."""

ChangeSet = Changes
"""The result of `read_changes`: the engine's `Changes` (cursor, changed users, every group or None,
the full snapshot or None), under the name this module has always used."""


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
        cap = None if flavor.change_is_counter else _stamp(datetime.now(UTC) - CLOCK_SKEW_MARGIN)
        if overdue or cursor is None:
            return full_read(client, committed, cap)
        term = _since_term(flavor.change_attribute, cursor.value, flavor.change_is_counter)
        changed_groups = client.search_all(
            source.group_base,
            f"(&{source.group_filter}{term})",
            [flavor.id_attribute, flavor.change_attribute],
            key="group_filter",
        )
        if changed_groups and follows_membership(source.user_filter):
            return full_read(client, committed, cap)
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
        groups = None
        if changed_groups:
            marks += [
                m
                for _, raw in changed_groups
                if (m := first_text(lower_keys(raw), flavor.change_attribute, flavor))
            ]
            by_dn, by_login = source.read_user_index_sync(client)
            groups = source.read_groups_sync(client, by_dn, by_login, progress)
        mark = committed or _capped(_max_mark(marks, flavor.change_is_counter, cursor.value), cap)
        return ChangeSet(
            cursor=str(Cursor(flavor.change_attribute, mark, cursor.full_at)),
            users=users,
            groups=groups,
            full=None,
        )

    def full_read(client: LdapClient, committed: str | None, cap: str | None) -> ChangeSet:
        snapshot = source.read_sync(client, progress)
        seen = [u.attributes.get(flavor.change_attribute) for u in snapshot.users.values()]
        seen += [g.attributes.get(flavor.change_attribute) for g in snapshot.groups.values()]
        mark = committed or _capped(
            _max_mark([s for s in seen if isinstance(s, str)], flavor.change_is_counter, ""), cap
        )
        return ChangeSet(
            cursor=str(Cursor(flavor.change_attribute, mark, moment)),
            users=snapshot.users,
            groups=snapshot.groups,
            full=snapshot,
        )

    return await source.run_sync(work)


def follows_membership(user_filter: str) -> bool:
    """Whether the user filter selects by group membership (`memberOf`). On AD `memberOf` is a back
    link: adding someone to a group moves the group's uSNChanged, not theirs, so a user who enters
    or leaves the scope that way shows in no "changed since" search of users. With such a filter a
    group change therefore makes the read a full one (the engine then sees who is in scope now)."""
    return "memberof" in user_filter.lower()


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


def _stamp(moment: datetime) -> str:
    """A moment as LDAP GeneralizedTime at one-second resolution (slapd's modifyTimestamp form)."""
    return moment.astimezone(UTC).strftime("%Y%m%d%H%M%SZ")


def _capped(mark: str, cap: str | None) -> str:
    """The timestamp mark, no later than `cap` (both GeneralizedTime of the same form compare as text)."""
    return mark if cap is None or mark <= cap else cap


def _max_mark(marks: list[str], counter: bool, default: str) -> str:
    candidates = [*marks, default] if default else marks
    if not candidates:
        return "0" if counter else "19700101000000Z"
    return max(candidates, key=int) if counter else max(candidates)


def _highest_committed_usn(client: LdapClient) -> str | None:
    """AD's root DSE `highestCommittedUSN`, read before searching (None when the server lacks it)."""
    value = lower_keys(client.root_dse(["highestCommittedUSN"])).get("highestcommittedusn")
    return value[0].decode() if value else None
