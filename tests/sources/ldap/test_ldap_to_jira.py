"""LDAP (real slapd, AD-like entries) → idsync engine → the sandbox Jira, with a real store on SQLite
and PostgreSQL: initial sync, zero-write resync, a handful of changes giving exactly the expected
writes (a rename by objectGUID, a disabled account, a nested membership), and a connection dropped
in the middle of the read failing the run with no Jira writes."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

import ldap
import pytest

from idsync.config.loader import parse_config
from idsync.config.model import IdsyncConfig
from idsync.engine.run import Engine, RunReport, RunRequest
from idsync.store import Store
from idsync.store.records import RunStatus
from tests.fixtures.sandbox import RunningJira
from tests.fixtures.slapd import (
    AD_DISABLED,
    AD_USERS,
    ADMIN_DN,
    ADMIN_PW,
    BASE,
    READER_DN,
    READER_PW,
    SlapdServer,
    as_ad_change,
)
from tests.sources.ldap.tcp_cut import CuttingProxy

pytestmark = pytest.mark.slapd

CONFIG = """
database: {store_url}
connections:
  ad:
    type: ldap
    url: {ldap_url}
    bind_dn: {bind_dn}
    password: ${{LDAP_PASSWORD}}
    flavor: active_directory
    user_base: ou=ad,{base}
    group_base: ou=ad,{base}
    page_size: 5
  jira:
    type: jira
    url: {jira_url}
    token: ${{JIRA_TOKEN}}
profiles:
  p:
    source: ad
    targets: [jira]
    users:
      username: {{attribute: login, lowercase: true}}
      active_statuses: [ACTIVE]
    groups:
      mode: on_the_fly
      include: ["^AD"]
    safety:
      max_deactivations: 100
      max_deactivation_percent: 100
      protected_users: [admin]
"""


@dataclass
class LdapWorld:
    """slapd + Jira emulator + store + config for one test."""

    slapd: SlapdServer
    jira: RunningJira
    store_url: str

    def config(self, ldap_url: str | None = None) -> IdsyncConfig:
        """The config, parsed by the real loader (optionally pointing the LDAP connection elsewhere)."""
        text = CONFIG.format(
            store_url=self.store_url,
            ldap_url=ldap_url or self.slapd.url,
            bind_dn=READER_DN,
            base=BASE,
            jira_url=self.jira.url,
        )
        return parse_config(text, env={"LDAP_PASSWORD": READER_PW, "JIRA_TOKEN": self.jira.token})

    def sync(self, ldap_url: str | None = None) -> RunReport:
        """One real run of profile `p`."""
        store = Store.open(self.store_url)
        try:
            return asyncio.run(Engine(self.config(ldap_url), store).run(RunRequest("p")))
        finally:
            store.close()

    def writes(self) -> Counter[str]:
        """Write requests the Jira emulator served since the last reset."""
        stats = self.jira.sandbox.control.stats()
        return Counter({k: v for k, v in stats.items() if not k.startswith(("GET", "HEAD"))})

    def reset(self) -> None:
        """Zero the Jira emulator's request counters."""
        if self.jira.sandbox.control.middleware is not None:
            self.jira.sandbox.control.middleware.requests.clear()

    def active(self) -> set[str]:
        """Active Jira usernames other than the admin."""
        return {u.name for u in self.jira.sandbox.state.users.values() if u.active and u.name != "admin"}

    def members(self, group: str) -> set[str]:
        """Usernames in a Jira group."""
        state = self.jira.sandbox.state
        found = state.group(group)
        assert found is not None, f"no Jira group {group}"
        return {state.users[key].name for key in found.members}

    def modify(self, dn: str, changes: list[tuple[int, str, list[bytes]]]) -> None:
        """Change an entry as the directory admin."""
        ld = ldap.initialize(self.slapd.url)
        ld.simple_bind_s(ADMIN_DN, ADMIN_PW)
        ld.modify_s(dn, as_ad_change(dn, changes))  # uSNChanged moves, as on AD
        ld.unbind_s()

    def rename(self, dn: str, rdn: str) -> None:
        """Rename an entry (same objectGUID), as AD does on a rename."""
        ld = ldap.initialize(self.slapd.url)
        ld.simple_bind_s(ADMIN_DN, ADMIN_PW)
        ld.rename_s(dn, rdn, delold=1)
        new_dn = f"{rdn},{dn.split(',', 1)[1]}"
        ld.modify_s(new_dn, as_ad_change(new_dn, []))  # AD moves uSNChanged on a rename too
        ld.unbind_s()


@pytest.fixture
def world(fresh_slapd: SlapdServer, jira_sandbox: Callable[..., RunningJira], store_url: str) -> LdapWorld:
    """A fresh slapd with the standard data and an empty Jira."""
    return LdapWorld(fresh_slapd, jira_sandbox(users=0, projects=0), store_url)


ACTIVE = {f"ad{i:05d}" for i in range(AD_USERS)} - set(AD_DISABLED)


def _dn(i: int) -> str:
    return f"cn=AD User {i},ou=ad,{BASE}"


def test_initial_sync_then_zero_write_resync(world: LdapWorld) -> None:
    report = world.sync()
    assert report.status is RunStatus.SUCCEEDED, report.error
    assert world.active() == ACTIVE  # disabled accounts (UAC 514) are not created active
    assert world.members("adeng") == {"ad00005", "ad00006"}
    # nested: ADEng is a member of ADStaff; ad00003 is disabled and was never created
    assert world.members("adstaff") == {"ad00000", "ad00001", "ad00002", "ad00005", "ad00006"}

    world.reset()
    again = world.sync()
    assert again.status is RunStatus.NO_CHANGES, again.error
    assert world.writes() == Counter()


def test_a_handful_of_changes_give_exactly_the_expected_writes(world: LdapWorld) -> None:
    assert world.sync().status is RunStatus.SUCCEEDED
    jira_key = world.jira.sandbox.state.user_by_name("ad00005")
    assert jira_key is not None
    key = jira_key.key

    world.rename(_dn(5), "cn=Ann Renamed")  # a rename: new DN and sAMAccountName, same objectGUID
    world.modify(f"cn=Ann Renamed,ou=ad,{BASE}", [(ldap.MOD_REPLACE, "sAMAccountName", [b"ann.renamed"])])
    world.modify(  # AD's member values follow the rename; slapd needs to be told
        f"cn=ADEng,ou=ad,{BASE}",
        [
            (ldap.MOD_DELETE, "member", [_dn(5).encode()]),
            (ldap.MOD_ADD, "member", [f"cn=Ann Renamed,ou=ad,{BASE}".encode(), _dn(9).encode()]),
        ],
    )
    world.modify(_dn(8), [(ldap.MOD_REPLACE, "userAccountControl", [b"514"])])  # disabled
    world.reset()

    report = world.sync()

    assert report.status is RunStatus.SUCCEEDED, report.error
    renamed = world.jira.sandbox.state.user_by_name("ann.renamed")
    assert renamed is not None
    assert renamed.key == key
    assert world.jira.sandbox.state.user_by_name("ad00005") is None
    assert world.active() == (ACTIVE - {"ad00005", "ad00008"}) | {"ann.renamed"}
    assert world.members("adeng") == {"ann.renamed", "ad00006", "ad00009"}
    assert "ad00009" in world.members("adstaff")  # through the nesting
    assert world.writes() == Counter(
        {
            "PUT /rest/api/2/user": 2,  # the rename, the deactivation
            "POST /rest/api/2/group/user": 2,  # ad00009 into ADEng and (nested) ADStaff
        }
    )


def test_connection_dropped_mid_read_fails_the_run_with_no_writes(world: LdapWorld) -> None:
    assert world.sync().status is RunStatus.SUCCEEDED
    world.modify(_dn(9), [(ldap.MOD_REPLACE, "userAccountControl", [b"514"])])  # a change to apply
    world.reset()
    with CuttingProxy(world.slapd.port, cut_after=3_000) as proxy:
        report = world.sync(ldap_url=proxy.url)
    assert proxy.forwarded == 3_000
    assert report.status is RunStatus.FAILED
    assert report.error is not None
    assert report.error.startswith("SourceReadError")
    assert world.writes() == Counter()
    assert "ad00009" in world.active()


def test_a_person_without_an_email_shows_as_not_syncable_and_is_never_sent(world: LdapWorld) -> None:
    """Like Samba AD's built-in Administrator: an account with no mail. Jira requires an e-mail address,
    so the plan lists the person as not syncable with the reason, and nothing is sent for them."""
    world.modify(_dn(6), [(ldap.MOD_DELETE, "mail", None)])  # type: ignore[list-item]
    report = world.sync()
    assert report.status is RunStatus.SUCCEEDED, report.error  # not PARTIAL: no request was refused
    assert report.plan is not None
    assert [(u.username, u.target) for u in report.plan.unsyncable] == [("ad00006", "jira")]
    assert "no e-mail address" in report.plan.unsyncable[0].detail
    assert all(item.user != "ad00006" for item in report.plan.items)
    assert world.active() == ACTIVE - {"ad00006"}
    assert world.jira.sandbox.state.user_by_name("ad00006") is None
