"""The Active Directory flavour against a real AD implementation (Samba's AD DC, tests/fixtures/samba.py):
binary objectGUID ids that survive renames, userAccountControl's disabled bit, nested groups both
expanded locally and by the server's in-chain rule, AD's ranged `member` retrieval, paging, the
domain root's continuation references, and incremental reads by uSNChanged / highestCommittedUSN.

The same forms are also tested on parsed tuples in test_flavors.py; here the server produces them.
Tests that change objects make them in an OU of their own, so the seeded data stays as it is.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import timedelta
from itertools import count

import ldap
import pytest

from idsync.domain.progress import ProgressTask
from idsync.sources.ldap import LdapSource
from idsync.sources.ldap.client import LdapClient
from idsync.sources.ldap.entries import RawGroup
from idsync.sources.ldap.incremental import Cursor, read_changes
from tests.fixtures.samba import (
    BASE_DN,
    GROUPS_OU,
    PEOPLE_OU,
    SEED_USERS,
    UAC_DISABLED,
    SambaServer,
    add_group,
    add_user,
    group_dn,
)
from tests.sources.ldap.conftest import samba_conn

pytestmark = pytest.mark.samba

_ou_numbers = count()


def _guid(server: SambaServer, dn: str) -> str:
    """The entry's objectGUID as AD's text form, read with a plain python-ldap search."""
    ld = server.admin()
    try:
        [(_, attrs)] = ld.search_s(dn, ldap.SCOPE_BASE, "(objectClass=*)", ["objectGUID"])
    finally:
        ld.unbind_s()
    return str(uuid.UUID(bytes_le=attrs["objectGUID"][0]))


def _own_ou(server: SambaServer, name: str) -> str:
    return server.new_ou(f"{name}-{next(_ou_numbers)}")


async def test_full_read_ids_status_and_nested_groups(samba_dc: SambaServer) -> None:
    source = LdapSource("ad", samba_conn(samba_dc.url, PEOPLE_OU, group_base=GROUPS_OU))
    try:
        snapshot = await source.read()
    finally:
        await source.aclose()
    ids = {u.sam: _guid(samba_dc, u.dn) for u in SEED_USERS}
    assert set(snapshot.users) == set(ids.values())  # keyed by the binary objectGUID, decoded
    by_login = {u.attr("login"): u for u in snapshot.users.values()}
    assert by_login.keys() == ids.keys()
    for seed in SEED_USERS:
        user = by_login[seed.sam]
        assert user.id == ids[seed.sam]
        assert user.status == ("ACTIVE" if seed.enabled else "DISABLED")  # userAccountControl bit 0x2
        assert user.attr("userAccountControl") == ("544" if seed.enabled else str(UAC_DISABLED))
        assert (user.attr("email"), user.attr("firstName"), user.attr("lastName")) == (
            f"{seed.sam}@corp.example.com",
            seed.given,
            seed.surname,
        )
        assert user.attr("dn") == seed.dn
    groups = {g.name: g for g in snapshot.groups.values()}
    assert set(groups) == {"Staff", "Eng", "Leaf", "Wide"}
    for name, group in groups.items():
        assert group.id == _guid(samba_dc, group_dn(name))
    members = {name: {snapshot.users[m].attr("login") for m in g.member_ids} for name, g in groups.items()}
    assert members == {
        "Staff": {"alice", "bob", "carol"},  # bob through Eng, carol through Eng ⊃ Leaf
        "Eng": {"bob", "carol"},
        "Leaf": {"carol"},
        "Wide": {"alice", "bob", "carol", "dave", "erin"},
    }


async def test_one_users_groups_by_the_in_chain_rule(samba_dc: SambaServer) -> None:
    source = LdapSource("ad", samba_conn(samba_dc.url, PEOPLE_OU, group_base=GROUPS_OU))
    try:
        assert await source.run_sync(source.use_in_chain)  # Samba lists the AD capability OID
        snapshot = await source.read_user("carol")
        conn = samba_conn(samba_dc.url, PEOPLE_OU, group_base=GROUPS_OU, in_chain="never")
        without = LdapSource("ad", conn)
        try:
            walked = await without.read_user("carol")
        finally:
            await without.aclose()
    finally:
        await source.aclose()
    carol = _guid(samba_dc, f"CN=carol,{PEOPLE_OU}")
    assert snapshot.single_user == carol
    # Leaf directly; Eng and Staff only through nesting, found by the server's 1.2.840.113556.1.4.1941
    assert {g.name for g in snapshot.groups.values()} == {"Leaf", "Eng", "Staff", "Wide"}
    assert all(g.member_ids == {carol} for g in snapshot.groups.values())
    # the local expansion (in_chain: never) agrees
    assert {g.name for g in walked.groups.values()} == {"Leaf", "Eng", "Staff", "Wide"}


async def test_object_guid_survives_rename_and_move(samba_dc: SambaServer) -> None:
    ou = _own_ou(samba_dc, "rename")
    ld = samba_dc.admin()
    try:
        add_user(ld, f"CN=frank,{ou}", "frank", given="Frank", surname="Fox")
        guid = _guid(samba_dc, f"CN=frank,{ou}")
        source = LdapSource("ad", samba_conn(samba_dc.url, ou))
        try:
            before = await source.read()
            ld.rename_s(f"CN=frank,{ou}", "CN=Frank Fox-Renamed")
            ld.modify_s(f"CN=Frank Fox-Renamed,{ou}", [(ldap.MOD_REPLACE, "sAMAccountName", [b"ffox"])])
            after = await source.read()
        finally:
            await source.aclose()
    finally:
        ld.unbind_s()
    assert set(before.users) == set(after.users) == {guid}
    assert (before.users[guid].attr("login"), after.users[guid].attr("login")) == ("frank", "ffox")
    assert after.users[guid].attr("dn") == f"CN=Frank Fox-Renamed,{ou}"


async def test_disabling_a_user_makes_them_inactive(samba_dc: SambaServer) -> None:
    ou = _own_ou(samba_dc, "disable")
    ld = samba_dc.admin()
    try:
        add_user(ld, f"CN=gina,{ou}", "gina", given="Gina", surname="Gray")
        source = LdapSource("ad", samba_conn(samba_dc.url, ou))
        try:
            before = await source.read()
            disable = [(ldap.MOD_REPLACE, "userAccountControl", [str(UAC_DISABLED).encode()])]
            ld.modify_s(f"CN=gina,{ou}", disable)
            after = await source.read()
        finally:
            await source.aclose()
    finally:
        ld.unbind_s()
    [(was)] = before.users.values()
    [(now)] = after.users.values()
    assert (was.status, now.status) == ("ACTIVE", "DISABLED")


async def test_ranged_member_retrieval(samba_dc: SambaServer) -> None:
    """Samba answers AD's ranged forms when asked (`member;range=0-2` → the first three values, then
    `member;range=3-*` → the rest, ending in `*`), though it never forces them on a plain read: its
    Default Query Policy lists MaxValRange=1500, yet a 1,600-member group comes back whole (see
    docs/vendors/active-directory.md). So the first answer here is asked for ranged, and the source's
    own range following (`raw_group` → `collect_ranged`) fetches the remainder from the server."""
    source = LdapSource("ad", samba_conn(samba_dc.url, PEOPLE_OU, group_base=GROUPS_OU))
    dn = group_dn("Wide")

    def read(client: LdapClient) -> tuple[list[str], RawGroup, RawGroup]:
        attrs = [a for a in source.flavor.group_attributes() if a.lower() != "member"]
        first = client.read_entry(dn, [*attrs, "member;range=0-2"])
        assert first is not None
        plain = client.read_entry(dn, source.flavor.group_attributes())
        assert plain is not None
        return sorted(first), source.raw_group(client, (dn, first)), source.raw_group(client, (dn, plain))

    try:
        names, ranged, plain = await source.run_sync(read)
    finally:
        await source.aclose()
    assert "member;range=0-2" in names and "member" not in names  # the server really answered ranged
    expected = {f"cn={u.sam},{PEOPLE_OU}".lower() for u in SEED_USERS}
    assert set(ranged.member_dns) == expected
    assert len(ranged.member_dns) == len(expected)  # nothing twice across the ranges
    assert set(plain.member_dns) == expected


class _Pages:
    """A progress sink that records the size of each page of users, and may act after a page."""

    def __init__(self, after_first_user_page: Callable[[], None] | None = None) -> None:
        self.user_pages: list[int] = []
        self._after = after_first_user_page

    def task(self, description: str, total: int | None = None) -> ProgressTask:
        pages = self

        class Task:
            def advance(self, amount: int = 1) -> None:
                if description.endswith("LDAP users"):
                    pages.user_pages.append(amount)
                    if len(pages.user_pages) == 1 and pages._after is not None:
                        pages._after()

            def set_total(self, total: int | None) -> None:
                pass

        return Task()


async def test_paged_read_in_pages_of_the_page_size(samba_dc: SambaServer) -> None:
    pages = _Pages()
    source = LdapSource("ad", samba_conn(samba_dc.url, PEOPLE_OU, group_base=GROUPS_OU, page_size=2))
    try:
        snapshot = await source.read(pages)
    finally:
        await source.aclose()
    assert pages.user_pages == [2, 2, 1]
    assert len(snapshot.users) == len(SEED_USERS)


async def test_domain_root_read_skips_partition_references(samba_dc: SambaServer) -> None:
    """At the domain root AD (and Samba) add continuation references to the Configuration (and DNS)
    partitions; they are skipped, and the built-in accounts without mail are filtered out."""
    conn = samba_conn(
        samba_dc.url,
        BASE_DN,
        user_filter="(&(objectCategory=person)(objectClass=user)(mail=*))",
        group_base=GROUPS_OU,
        page_size=100,
    )
    ld = samba_dc.admin()
    try:
        references = ld.search_ext_s(BASE_DN, ldap.SCOPE_SUBTREE, "(cn=alice)", ["1.1"])
    finally:
        ld.unbind_s()
    source = LdapSource("ad", conn)
    try:
        snapshot = await source.read()
    finally:
        await source.aclose()
    assert any(dn is None for dn, _ in references)  # the server does send references here
    logins = {u.attr("login") for u in snapshot.users.values()}
    assert {u.sam for u in SEED_USERS} <= logins
    assert "Administrator" not in logins and "krbtgt" not in logins


async def test_changes_by_usn(samba_dc: SambaServer) -> None:
    ou = _own_ou(samba_dc, "usn")
    ld = samba_dc.admin()
    try:
        for i in range(5):
            add_user(ld, f"CN=u{i},{ou}", f"usn-u{i}", given="U", surname=f"Number{i}")
        add_group(ld, f"CN=usn-team,{ou}", [f"CN=u0,{ou}"])
        guid = {_guid(samba_dc, f"CN=u{i},{ou}"): i for i in range(5)}
        source = LdapSource("ad", samba_conn(samba_dc.url, ou, page_size=2))
        try:
            order = await source.run_sync(
                lambda client: [
                    [dn for dn, _ in page]
                    for page in client.paged_search(ou, source.user_filter, ["1.1"], key="user_filter")
                ]
            )
            read_first, read_last = order[0][0], order[-1][-1]

            # changed during the full read: a user of the first page (already read), then one of the
            # last page (not yet read, so it is read with a USN above the first one's). Both must
            # come in the next read: the cursor is highestCommittedUSN from *before* the search.
            def change_mid_read() -> None:
                other = samba_dc.admin()
                try:
                    for dn in (read_first, read_last):
                        other.modify_s(dn, [(ldap.MOD_REPLACE, "sn", [b"Changed"])])
                finally:
                    other.unbind_s()

            pages = _Pages(after_first_user_page=change_mid_read)
            first = await source.read_changes("", pages)
            assert pages.user_pages == [2, 2, 1]
            assert first.full is not None and set(first.users) == set(guid)
            assert first.groups is not None and len(first.groups) == 1
            seen_during = await source.read_changes(first.cursor)
            assert {seen_during.users[g].attr("dn") for g in seen_during.users} == {read_first, read_last}
            assert all(u.attr("lastName") == "Changed" for u in seen_during.users.values())
            usn = int(Cursor.parse(seen_during.cursor).value)  # the root DSE's highestCommittedUSN

            # nothing changed: nothing returned, the cursor stays
            quiet = await source.read_changes(seen_during.cursor)
            assert (dict(quiet.users), quiet.groups, quiet.full) == ({}, None, None)
            assert int(Cursor.parse(quiet.cursor).value) == usn

            # a modified user is returned once, with the change; a created one too
            ld.modify_s(f"CN=u1,{ou}", [(ldap.MOD_REPLACE, "mail", [b"new-u1@corp.example.com"])])
            add_user(ld, f"CN=u5,{ou}", "usn-u5", given="U", surname="Number5")
            second = await source.read_changes(quiet.cursor)
            new = _guid(samba_dc, f"CN=u5,{ou}")
            assert {guid.get(g, g) for g in second.users} == {1, new}
            changed = next(u for u in second.users.values() if u.id != new)
            assert changed.attr("email") == "new-u1@corp.example.com"
            assert second.groups is None
            assert int(Cursor.parse(second.cursor).value) > usn
            again = await source.read_changes(second.cursor)
            assert dict(again.users) == {}

            # a membership change: the group's uSNChanged moves; every group comes back, resolved
            ld.modify_s(f"CN=usn-team,{ou}", [(ldap.MOD_ADD, "member", [f"CN=u2,{ou}".encode()])])
            third = await source.read_changes(again.cursor)
            assert dict(third.users) == {}  # AD does not bump a member's uSNChanged (memberOf is a back link)
            assert third.groups is not None
            [team] = third.groups.values()
            assert {guid[m] for m in team.member_ids} == {0, 2}

            # a deletion: invisible to an incremental read, gone from the next full read
            ld.delete_s(f"CN=u3,{ou}")
            fourth = await source.read_changes(third.cursor)
            assert (dict(fourth.users), fourth.groups, fourth.full) == ({}, None, None)
            later = Cursor.parse(fourth.cursor).full_at + timedelta(hours=25)
            fifth = await read_changes(source, fourth.cursor, now=later)
            assert fifth.full is not None
            assert {guid.get(g, g) for g in fifth.full.users} == {0, 1, 2, 4, new}
        finally:
            await source.aclose()
    finally:
        ld.unbind_s()


async def test_a_member_of_scope_turns_a_group_change_into_a_full_read(samba_dc: SambaServer) -> None:
    """On AD `memberOf` is a back link: adding a user to a group moves only the group's uSNChanged.
    With a user filter on memberOf, the user who enters the scope that way comes with a full read."""
    ou = _own_ou(samba_dc, "scope")
    ld = samba_dc.admin()
    try:
        for sam in ("in1", "out1"):
            add_user(ld, f"CN={sam},{ou}", f"scope-{sam}", given="S", surname=sam)
        team = f"CN=scope-team,{ou}"
        add_group(ld, team, [f"CN=in1,{ou}"])
        user_filter = f"(&(objectCategory=person)(objectClass=user)(memberOf={team}))"
        source = LdapSource("ad", samba_conn(samba_dc.url, ou, user_filter=user_filter))
        try:
            first = await source.read_changes("")
            assert {u.attr("login") for u in first.users.values()} == {"scope-in1"}
            quiet = await source.read_changes(first.cursor)
            assert quiet.full is None  # nothing changed: incremental as usual
            ld.modify_s(team, [(ldap.MOD_ADD, "member", [f"CN=out1,{ou}".encode()])])
            second = await source.read_changes(quiet.cursor)
        finally:
            await source.aclose()
    finally:
        ld.unbind_s()
    assert second.full is not None
    assert {u.attr("login") for u in second.full.users.values()} == {"scope-in1", "scope-out1"}
