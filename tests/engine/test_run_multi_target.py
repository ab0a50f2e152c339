"""One profile, three products: the Okta emulator → idsync → the Jira, Confluence and Bitbucket
emulators in one run, over HTTP with a real store. Each target is read, planned and applied on its
own: all three converge, and one target that cannot be read stops only itself (the run is PARTIAL)
while the other two converge."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest

from idsync.config.loader import parse_config
from idsync.config.model import IdsyncConfig
from idsync.engine.run import Engine, RunReport, RunRequest
from idsync.store import Store
from idsync.store.records import RunStatus
from tests.engine.bitbucket_world import BitbucketWorld, make_bitbucket_world
from tests.engine.confluence_world import ConfluenceWorld, make_confluence_world
from tests.engine.e2e import INCLUDE, World, make_world
from tests.fixtures.bitbucket import RunningBitbucket
from tests.fixtures.confluence import RunningConfluence
from tests.fixtures.sandbox import RunningJira, RunningOkta

CONFIG = """
database: {store_url}
connections:
  okta: {{type: okta, url: {okta}, token: "${{OKTA_TOKEN}}"}}
  jira: {{type: jira, url: {jira}, token: "${{JIRA_TOKEN}}"}}
  wiki: {{type: confluence, url: {wiki}, token: "${{WIKI_TOKEN}}", retries: 1}}
  bitbucket: {{type: bitbucket, url: {bitbucket}, token: "${{BITBUCKET_TOKEN}}"}}
profiles:
  p:
    source: okta
    targets: [jira, wiki, bitbucket]
    users:
      username: {{attribute: login, regex: "(.*)@.*", replace: "$1"}}
    groups:
      mode: on_the_fly
      include: ["{include}"]
      default_groups:
        new_users: [jira-software-users]
        new_users_by_target: {{wiki: [confluence-users], bitbucket: [stash-users]}}
    safety:
      max_deactivations: 1000
      max_deactivation_percent: 100
      max_membership_removals: 100000
      protected_users: [admin]
"""


@dataclass
class Products:
    """The three products and the one profile that keeps them in step."""

    okta: RunningOkta
    jira: World
    wiki: ConfluenceWorld
    bitbucket: BitbucketWorld
    config: IdsyncConfig
    store: Store

    def sync(self) -> RunReport:
        return asyncio.run(Engine(self.config, self.store).run(RunRequest("p")))

    def writes(self) -> dict[str, dict[str, int]]:
        return {"jira": dict(self.jira.jira_writes()), "wiki": dict(self.wiki.writes()),
                "bitbucket": dict(self.bitbucket.writes())}

    def reset(self) -> None:
        for world in (self.jira, self.wiki, self.bitbucket):
            world.reset_counters()


@pytest.fixture
def products(
    okta_sandbox: Callable[..., RunningOkta], jira_sandbox: Callable[..., RunningJira],
    confluence_sandbox: Callable[..., RunningConfluence], bitbucket_sandbox: Callable[..., RunningBitbucket],
    store_url: str,
) -> Iterator[Products]:
    okta = okta_sandbox(users=120, groups=12, apps=0, seed=21)
    jira, wiki = jira_sandbox(users=0, projects=1), confluence_sandbox(users=0)
    bitbucket = bitbucket_sandbox(users=0)
    text = CONFIG.format(store_url=store_url, okta=okta.url, jira=jira.url, wiki=wiki.url,
                         bitbucket=bitbucket.url, include=INCLUDE)
    env = {"OKTA_TOKEN": okta.token, "JIRA_TOKEN": jira.token, "WIKI_TOKEN": wiki.token,
           "BITBUCKET_TOKEN": bitbucket.token}
    store = Store.open(store_url)
    worlds = (make_world(okta, jira, store_url), make_confluence_world(okta, wiki, store_url),
              make_bitbucket_world(okta, bitbucket, store_url))
    yield Products(okta, *worlds, parse_config(text, env=env), store)
    store.close()
    for world in worlds:
        world.store.close()


def test_one_profile_keeps_three_products_in_step(products: Products) -> None:
    report = products.sync()
    assert report.status is RunStatus.SUCCEEDED, report.error
    assert report.plan is not None
    assert {item.target for item in report.plan.items} == {"jira", "wiki", "bitbucket"}
    assert products.jira.converged() and products.wiki.converged() and products.bitbucket.converged()

    products.reset()
    again = products.sync()
    assert again.status is RunStatus.NO_CHANGES, again.error
    assert products.writes() == {"jira": {}, "wiki": {}, "bitbucket": {}}


def test_a_target_that_cannot_be_read_stops_only_itself(products: Products) -> None:
    wiki = products.wiki.confluence.sandbox.control
    wiki.faults.update({"rules": [{"path": "/rest/api/*", "method": "GET", "count": 100_000, "status": 500}]})

    report = products.sync()

    assert report.status is RunStatus.PARTIAL
    assert report.exit_code == 1
    assert report.error is not None and "target 'wiki' was not read" in report.error
    assert report.plan is not None and "wiki" in report.plan.unread_targets
    assert products.jira.converged() and products.bitbucket.converged()
    assert products.wiki.writes() == {}

    wiki.faults.update({"rules": []})
    products.reset()
    healed = products.sync()
    assert healed.status is RunStatus.SUCCEEDED, healed.error
    assert products.wiki.converged()
    assert products.writes()["jira"] == {} and products.writes()["bitbucket"] == {}
