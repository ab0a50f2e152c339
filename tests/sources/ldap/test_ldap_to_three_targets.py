"""One profile, three products, from LDAP: a real slapd (AD-like entries) → idsync → the Jira, Confluence
and Bitbucket emulators in one run, with a real store on SQLite and PostgreSQL. All three converge
(active users, nested memberships), a second run writes nothing anywhere, a disabled account gives
exactly one deactivation per product (each in its own words), and a target that cannot be read stops
only itself: the run is PARTIAL and the other two converge."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass

import ldap
import pytest

from idsync.config.loader import parse_config
from idsync.config.model import IdsyncConfig
from idsync.engine.run import Engine, RunReport, RunRequest
from idsync.sandbox.common.admin import SandboxControl
from idsync.store import Store
from idsync.store.records import RunStatus
from tests.fixtures.bitbucket import API as BITBUCKET_API
from tests.fixtures.bitbucket import RunningBitbucket
from tests.fixtures.confluence import RunningConfluence
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
  jira: {{type: jira, url: {jira}, token: "${{JIRA_TOKEN}}"}}
  wiki: {{type: confluence, url: {wiki}, token: "${{WIKI_TOKEN}}"}}
  bitbucket: {{type: bitbucket, url: {bitbucket}, token: "${{BITBUCKET_TOKEN}}", retries: 1}}
profiles:
  p:
    source: ad
    targets: [jira, wiki, bitbucket]
    users:
      username: {{attribute: login, lowercase: true}}
      active_statuses: [ACTIVE]
    groups:
      mode: on_the_fly
      include: ["^AD"]
      default_groups:
        new_users: [jira-software-users]
        new_users_by_target: {{wiki: [confluence-users], bitbucket: [stash-users]}}
    safety:
      max_deactivations: 100
      max_deactivation_percent: 100
      protected_users: [admin]
"""

TARGETS = ("jira", "wiki", "bitbucket")
ACTIVE = {f"ad{i:05d}" for i in range(AD_USERS)} - set(AD_DISABLED)
ADENG = {"ad00005", "ad00006"}
ADSTAFF = {"ad00000", "ad00001", "ad00002"} | ADENG  # nested: ADEng ⊂ ADStaff; ad00003 is disabled


@dataclass
class Products:
    """slapd, the three product emulators, and the one profile that keeps them in step."""

    slapd: SlapdServer
    jira: RunningJira
    wiki: RunningConfluence
    bitbucket: RunningBitbucket
    store_url: str

    def config(self) -> IdsyncConfig:
        text = CONFIG.format(
            store_url=self.store_url, ldap_url=self.slapd.url, bind_dn=READER_DN, base=BASE,
            jira=self.jira.url, wiki=self.wiki.url, bitbucket=self.bitbucket.url,
        )  # fmt: skip
        env = {"LDAP_PASSWORD": READER_PW, "JIRA_TOKEN": self.jira.token, "WIKI_TOKEN": self.wiki.token,
               "BITBUCKET_TOKEN": self.bitbucket.token}  # fmt: skip
        return parse_config(text, env=env)

    def sync(self) -> RunReport:
        """One real run of profile `p`."""
        store = Store.open(self.store_url)
        try:
            return asyncio.run(Engine(self.config(), store).run(RunRequest("p")))
        finally:
            store.close()

    def _controls(self) -> dict[str, SandboxControl]:
        return {"jira": self.jira.sandbox.control, "wiki": self.wiki.sandbox.control,
                "bitbucket": self.bitbucket.sandbox.control}  # fmt: skip

    def writes(self) -> dict[str, dict[str, int]]:
        """Write requests each emulator served since the last reset, by "METHOD /route"."""
        return {
            name: {k: v for k, v in control.stats().items() if not k.startswith(("GET", "HEAD"))}
            for name, control in self._controls().items()
        }

    def reset(self) -> None:
        """Zero the three emulators' request counters."""
        for control in self._controls().values():
            if control.middleware is not None:
                control.middleware.requests.clear()

    # -- each product's state, read in-process ----------------------------------------------------

    def active(self, target: str) -> set[str]:
        """Usernames (without the admin) active in Jira, enabled in Confluence, licensed in Bitbucket."""
        if target == "bitbucket":
            bb = self.bitbucket.sandbox.state
            return {u.name.lower() for u in bb.users.values() if bb.is_licensed(u) and u.name != "admin"}
        state = self.jira.sandbox.state if target == "jira" else self.wiki.sandbox.state
        return {u.name.lower() for u in state.users.values() if u.active and u.name != "admin"}

    def members(self, target: str, group: str) -> set[str]:
        """Usernames in a group of a product."""
        if target == "bitbucket":
            bb = self.bitbucket.sandbox.state
            in_bb = bb.group(group)
            assert in_bb is not None, f"no bitbucket group {group}"
            return {bb.users[uid].name.lower() for uid in in_bb.members}
        state = self.jira.sandbox.state if target == "jira" else self.wiki.sandbox.state
        found = state.group(group)
        assert found is not None, f"no {target} group {group}"
        return {state.users[key].name.lower() for key in found.members}

    def converged(self, target: str, active: set[str] = ACTIVE) -> bool:
        return (
            self.active(target) == active
            and self.members(target, "adeng") == ADENG
            and self.members(target, "adstaff") == ADSTAFF
        )

    def modify(self, dn: str, changes: list[tuple[int, str, list[bytes]]]) -> None:
        """Change an entry as the directory admin."""
        ld = ldap.initialize(self.slapd.url)
        ld.simple_bind_s(ADMIN_DN, ADMIN_PW)
        ld.modify_s(dn, as_ad_change(dn, changes))  # uSNChanged moves, as on AD
        ld.unbind_s()


@pytest.fixture
def products(
    fresh_slapd: SlapdServer, jira_sandbox: Callable[..., RunningJira],
    confluence_sandbox: Callable[..., RunningConfluence], bitbucket_sandbox: Callable[..., RunningBitbucket],
    store_url: str,
) -> Products:  # fmt: skip
    """A fresh slapd with the standard data and three empty products."""
    return Products(fresh_slapd, jira_sandbox(users=0, projects=0), confluence_sandbox(users=0),
                    bitbucket_sandbox(users=0), store_url)  # fmt: skip


def _dn(i: int) -> str:
    return f"cn=AD User {i},ou=ad,{BASE}"


def test_one_ldap_profile_keeps_three_products_in_step(products: Products) -> None:
    report = products.sync()
    assert report.status is RunStatus.SUCCEEDED, report.error
    assert report.plan is not None
    assert {item.target for item in report.plan.items} == set(TARGETS)
    for target in TARGETS:
        assert products.active(target) == ACTIVE, target  # UAC 514 accounts are never made active
        assert products.members(target, "adeng") == ADENG, target
        assert products.members(target, "adstaff") == ADSTAFF, target  # nested membership flattened

    products.reset()
    again = products.sync()
    assert again.status is RunStatus.NO_CHANGES, again.error
    assert products.writes() == {"jira": {}, "wiki": {}, "bitbucket": {}}

    products.modify(_dn(5), [(ldap.MOD_REPLACE, "userAccountControl", [b"514"])])  # disabled; in ADEng
    products.reset()
    changed = products.sync()

    assert changed.status is RunStatus.SUCCEEDED, changed.error
    assert products.writes() == {
        "jira": {"PUT /rest/api/2/user": 1},
        "wiki": {"PUT /rest/api/admin/user/{username}/disable": 1},
        "bitbucket": {f"POST {BITBUCKET_API}/admin/users/remove-group": 1},  # the licence revocation
    }
    for target in TARGETS:
        assert products.active(target) == ACTIVE - {"ad00005"}, target
        # a deactivated person keeps their memberships, in every product
        assert products.members(target, "adeng") == ADENG, target
        assert products.members(target, "adstaff") == ADSTAFF, target
    user = products.bitbucket.sandbox.state.user_by_name("ad00005")
    assert user is not None and user.groups == {"adeng", "adstaff"}, "only stash-users goes"


def test_a_target_that_cannot_be_read_stops_only_itself(products: Products) -> None:
    bitbucket = products.bitbucket.sandbox.control
    # every read of /rest/api/1.0/… fails
    failing_reads = {"path": "/rest/api/*", "method": "GET", "count": 100_000, "status": 500}
    bitbucket.faults.update({"rules": [failing_reads]})

    report = products.sync()

    assert report.status is RunStatus.PARTIAL
    assert report.exit_code == 1
    assert report.error is not None and "target 'bitbucket' was not read" in report.error
    assert report.plan is not None and "bitbucket" in report.plan.unread_targets
    assert products.converged("jira") and products.converged("wiki")
    assert products.writes()["bitbucket"] == {}

    bitbucket.faults.update({"rules": []})
    products.reset()
    healed = products.sync()
    assert healed.status is RunStatus.SUCCEEDED, healed.error
    assert products.converged("bitbucket")
    assert products.writes()["jira"] == {} and products.writes()["wiki"] == {}
