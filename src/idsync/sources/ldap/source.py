"""LdapSource: the Source contract over python-ldap, for Active Directory and OpenLDAP.

A full read is two paged subtree searches (users, then groups) on one bound connection, run off
the event loop. Membership comes from the groups' member / uniqueMember / memberUid values (AD's
ranged `member;range=…` values are collected completely), resolved against the users read, with
nested groups expanded locally (cycle-safe). Single-user reads use AD's in-chain matching rule when
the server is AD, and a recursive walk up the member chain elsewhere.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TypeVar

from ldap.filter import escape_filter_chars

from idsync.config.connections import LdapConnection
from idsync.domain import collector
from idsync.domain.errors import NotFoundError, SourceReadError
from idsync.domain.progress import NO_PROGRESS, Progress
from idsync.domain.records import Snapshot, SourceGroup, SourceUser
from idsync.sources.ldap import groups as group_resolution
from idsync.sources.ldap.client import Entry, LdapClient, RawAttrs
from idsync.sources.ldap.entries import (
    RawGroup,
    entry_id,
    first_text,
    lower_keys,
    norm_dn,
    to_raw_group,
    to_source_user,
)
from idsync.sources.ldap.flavors import Flavor, flavor_for
from idsync.sources.ldap.flavors.active_directory import AD_CAPABILITY_OID, collect_ranged, in_chain_filter
from idsync.sources.ldap.incremental import ChangeSet, read_changes

T = TypeVar("T")


class LdapSource:
    """Reads users, groups and memberships from one LDAP / AD connection."""

    def __init__(self, name: str, conn: LdapConnection) -> None:
        self.name = name
        self.conn = conn
        self.flavor: Flavor = flavor_for(conn)
        self.user_base = conn.user_base
        self.group_base = conn.group_base or conn.user_base
        self.user_filter = conn.user_filter or self.flavor.user_filter
        self.group_filter = conn.group_filter or self.flavor.group_filter
        self._client = LdapClient(name, conn, self.flavor)
        self._lock = threading.Lock()

    # --- the Source protocol -------------------------------------------------------------------

    async def read(self, progress: Progress = NO_PROGRESS) -> Snapshot:
        """Read every user and group in scope. Complete, or raises SourceReadError."""
        return await self.run_sync(lambda client: self.read_sync(client, progress))

    async def read_changes(self, since: str, progress: Progress = NO_PROGRESS) -> ChangeSet:
        """What changed since the cursor `since` (empty: a full read), by modifyTimestamp or uSNChanged;
        a full read whenever the last one is older than `full_read_every_hours`, since LDAP reports no
        deletions. Complete, or raises SourceReadError. See `incremental.py`."""
        return await read_changes(self, since, progress=progress)

    async def read_user(self, login: str) -> Snapshot:
        """One user by login (uid / sAMAccountName) with the groups they belong to, nested included."""

        def work(client: LdapClient) -> Snapshot:
            dn, raw = self.find_user_sync(client, login)
            user = to_source_user(dn, raw, self.flavor)
            groups = {
                g.id: g for g in self.groups_of_sync(client, dn, str(user.attr("login") or login), user.id)
            }
            return Snapshot(
                source=self.name,
                users={user.id: user},
                groups=groups,
                read_at=datetime.now(UTC),
                scope=self.scope,
                single_user=user.id,
            )

        return await self.run_sync(work)

    async def check(self) -> str:
        """Bind, read the root DSE and the user base; describe what is visible."""

        def work(client: LdapClient) -> str:
            dse = lower_keys(client.root_dse(["vendorName", "vendorVersion", "supportedCapabilities"]))
            vendor = first_text(dse, "vendorName", self.flavor)
            if AD_CAPABILITY_OID.encode() in dse.get("supportedcapabilities", []):
                vendor = "Active Directory"
            if client.read_entry(self.user_base, ["1.1"]) is None:
                raise SourceReadError(
                    f"{self.name}: user_base {self.user_base!r} does not exist or is not visible to "
                    f"{self.conn.bind_dn or 'anonymous'}"
                )
            who = self.conn.bind_dn or "anonymous"
            return (
                f"{self.conn.url} ({vendor or 'LDAP server'}, flavour {self.flavor.name}): bound as {who}; "
                + (f"user_base {self.user_base} visible")
            )

        return await self.run_sync(work)

    async def aclose(self) -> None:
        """Unbind."""
        await asyncio.to_thread(self._close)

    # --- running blocking python-ldap work ------------------------------------------------------

    @property
    def scope(self) -> str:
        """How the source is scoped, for the plan header and history."""
        return f"{self.user_filter} under {self.user_base}"

    async def run_sync(self, work: Callable[[LdapClient], T]) -> T:
        """Run blocking LDAP work on the bound connection in a worker thread, one job at a time.
        A failed job drops the connection, so the next one starts from a fresh bind."""

        def guarded() -> T:
            with self._lock:
                if not self._client.connected:
                    self._client.connect()
                try:
                    return work(self._client)
                except SourceReadError:
                    self._client.close()
                    raise

        return await asyncio.to_thread(guarded)

    def _close(self) -> None:
        with self._lock:
            self._client.close()

    # --- blocking building blocks (also used by incremental.py and lookup.py) -------------------

    def read_sync(self, client: LdapClient, progress: Progress = NO_PROGRESS) -> Snapshot:
        """The full read on an open connection, with the cyclic garbage collector paused
        (`rules.collector`: every record built is kept in the snapshot)."""
        with collector.paused():
            return self._read_sync(client, progress)

    def _read_sync(self, client: LdapClient, progress: Progress) -> Snapshot:
        read_at = datetime.now(UTC)
        users: dict[str, SourceUser] = {}
        by_dn: dict[str, str] = {}
        by_login: dict[str, str] = {}
        task = progress.task(f"{self.name}: LDAP users")
        for page in client.paged_search(
            self.user_base, self.user_filter, self.flavor.user_attributes(), key="user_filter"
        ):
            for dn, raw in page:
                user = to_source_user(dn, raw, self.flavor)
                self._index_user(user.id, dn, user.attributes.get("login"), users, by_dn, by_login)
                users[user.id] = user
            task.advance(len(page))
        groups = self.read_groups_sync(client, by_dn, by_login, progress)
        return Snapshot(source=self.name, users=users, groups=groups, read_at=read_at, scope=self.scope)

    def read_user_index_sync(self, client: LdapClient) -> tuple[dict[str, str], dict[str, str]]:
        """A light read of every user in scope: (normalised DN → id, login → id), for resolving groups."""
        by_dn: dict[str, str] = {}
        by_login: dict[str, str] = {}
        seen: dict[str, object] = {}
        attrs = [self.flavor.id_attribute, self.flavor.login_attribute]
        for page in client.paged_search(self.user_base, self.user_filter, attrs, key="user_filter"):
            for dn, raw in page:
                lower = lower_keys(raw)
                user_id = entry_id(dn, lower, self.flavor)
                self._index_user(
                    user_id,
                    dn,
                    first_text(lower, self.flavor.login_attribute, self.flavor),
                    seen,
                    by_dn,
                    by_login,
                )
                seen[user_id] = dn
        return by_dn, by_login

    def read_groups_sync(
        self,
        client: LdapClient,
        by_dn: dict[str, str],
        by_login: dict[str, str],
        progress: Progress = NO_PROGRESS,
    ) -> dict[str, SourceGroup]:
        """Every group in scope with members resolved (nested ones expanded when configured)."""
        task = progress.task(f"{self.name}: LDAP groups")
        raw_groups: list[RawGroup] = []
        for page in client.paged_search(
            self.group_base, self.group_filter, self.flavor.group_attributes(), key="group_filter"
        ):
            raw_groups.extend(self.raw_group(client, entry) for entry in page)
            task.advance(len(page))
        return group_resolution.resolve(raw_groups, by_dn, by_login, nested=self.conn.nested_groups)

    def raw_group(self, client: LdapClient, entry: Entry) -> RawGroup:
        """A group entry with every member value, following AD range retrieval when the server uses it."""
        dn, raw = entry

        def fetch(target: str, description: str) -> RawAttrs:
            return client.read_entry(target, [description]) or {}

        members = [v for attr in self.flavor.member_attributes for v in collect_ranged(dn, raw, attr, fetch)]
        return to_raw_group(dn, raw, members, self.flavor)

    def find_user_sync(self, client: LdapClient, login: str) -> Entry:
        """The one user entry whose login attribute equals `login`; NotFoundError when there is none."""
        attr = self.flavor.login_attribute
        filterstr = f"(&{self.user_filter}({attr}={escape_filter_chars(login)}))"
        entries = client.search_all(
            self.user_base, filterstr, self.flavor.user_attributes(), key="user_filter"
        )
        if not entries:
            raise NotFoundError(f"{self.name}: no user with {attr}={login!r} matches {self.scope}")
        if len(entries) > 1:
            dns = ", ".join(dn for dn, _ in entries)
            raise SourceReadError(f"{self.name}: {len(entries)} users have {attr}={login!r}: {dns}")
        return entries[0]

    def use_in_chain(self, client: LdapClient) -> bool:
        """Whether the server evaluates the in-chain matching rule (in_chain: auto asks the root DSE)."""
        if self.conn.in_chain != "auto":
            return self.conn.in_chain == "always"
        if not self.flavor.supports_in_chain:
            return False
        dse = lower_keys(client.root_dse(["supportedCapabilities"]))
        return AD_CAPABILITY_OID.encode() in dse.get("supportedcapabilities", [])

    def groups_of_sync(self, client: LdapClient, dn: str, login: str, user_id: str) -> list[SourceGroup]:
        """The groups that hold the user (members: just `user_id`). With nesting on AD this is one
        in-chain search; elsewhere the groups are read and resolved locally, because an equality filter
        cannot find every form (uniqueMember values with a `#'0101'B` suffix do not match a bare DN)."""
        if self.conn.nested_groups and self.use_in_chain(client):
            rules = "".join(in_chain_filter(a, dn) for a in self.flavor.member_attributes)
            filterstr = f"(&{self.group_filter}(|{rules}))"
            entries = client.search_all(
                self.group_base, filterstr, self.flavor.group_attributes(), key="group_filter"
            )
            found = [self.raw_group(client, e) for e in entries]
            return [
                SourceGroup(id=g.id, name=g.name, member_ids=frozenset({user_id}), attributes=g.attributes)
                for g in found
            ]
        resolved = self.read_groups_sync(client, {norm_dn(dn): user_id}, {login: user_id})
        return [g for g in resolved.values() if user_id in g.member_ids]

    def _index_user(
        self,
        user_id: str,
        dn: str,
        login: object,
        seen: dict[str, object] | dict[str, SourceUser],
        by_dn: dict[str, str],
        by_login: dict[str, str],
    ) -> None:
        if user_id in seen:
            raise SourceReadError(
                f"{self.name}: two entries share {self.flavor.id_attribute} {user_id!r} "
                f"({dn!r} is the second); users are keyed by it, so the read is refused"
            )
        by_dn[norm_dn(dn)] = user_id
        if isinstance(login, str):
            by_login[login] = user_id
