"""A profile from the Okta emulator to a SCIM target through the real engine (`idsync sync`'s path):
the first run creates users (custom attributes in the named extension), groups and memberships, the
second run reads everything and writes nothing — counted by the server (reference server) and by
idsync's own request counter (both servers)."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from idsync.config.loader import parse_config
from idsync.connectors import build_target
from idsync.domain.plan import Action, Outcome
from idsync.engine.run import Engine, RunReport, RunRequest
from idsync.store import Store
from idsync.store.records import RunStatus
from idsync.targets.base import Target
from tests.fixtures.sandbox import RunningOkta
from tests.targets.scim.servers import ACME, ENTERPRISE, RunningScim, scim_server

OktaFactory = Callable[..., RunningOkta]

CONFIG = """
database: sqlite:///{db}
connections:
  okta: {{type: okta, url: {okta}, token: "${{OKTA_TOKEN}}"}}
  sc: {{type: scim, url: {scim}, token: "${{SCIM_TOKEN}}"}}
profiles:
  p:
    source: okta
    targets: [sc]
    users:
      username: {{attribute: login, regex: "(.*)@.*", replace: "$1"}}
      custom_attributes:
{attributes}
    groups: {{mode: on_the_fly, include: ["^team-", "^Engineering$", "^Sales$"]}}
    safety: {{max_deactivations: 1000, max_deactivation_percent: 100, max_membership_removals: 100000}}
"""


@pytest.fixture(params=["reference", "inbox"])
def server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[RunningScim]:
    (tmp_path / "inbox").mkdir()
    with scim_server(request.param, tmp_path / "inbox") as running:
        yield running


def test_second_run_writes_nothing(server: RunningScim, okta_sandbox: OktaFactory, tmp_path: Path) -> None:
    okta = okta_sandbox(users=40, groups=20, seed=5)
    attributes = {f"{ENTERPRISE}:department": "department"}
    if ACME in server.extensions:
        attributes[f"{ACME}:costCenter"] = "title"
    lines = "\n".join(f'        "{key}": {value}' for key, value in attributes.items())
    text = CONFIG.format(db=tmp_path / "idsync.db", okta=okta.url, scim=server.url, attributes=lines)
    config = parse_config(text, env={"OKTA_TOKEN": okta.token, "SCIM_TOKEN": server.token})
    built: list[Target] = []

    def factory(cfg: object, name: str) -> Target:
        target = build_target(config, name)
        built.append(target)
        return target

    with Store.open(config.database) as store:
        def sync() -> RunReport:
            return asyncio.run(Engine(config, store, target_factory=factory).run(RunRequest("p")))

        first = sync()
        assert first.status is RunStatus.SUCCEEDED, first.error
        assert first.plan is not None
        counts = first.plan.counts()
        assert counts[Action.CREATE_USER] > 20 and counts[Action.CREATE_GROUP] >= 1
        assert counts[Action.ADD_MEMBER] > 0
        assert all(r.outcome is Outcome.APPLIED for r in first.results)
        # one PATCH per group (and batch of up to 100 members), never one per member
        first_requests: Counter[str] = built[-1].requests  # type: ignore[attr-defined]
        assert first_requests["PATCH /Groups/{id}"] <= counts[Action.ADD_MEMBER] // 2

        with server.client() as http:
            listed = http.get("/Users", params={"count": 200}).json()["Resources"]
        okta_users = {u.profile["login"].split("@")[0].lower(): u for u in okta.sandbox.state.users.values()}
        for resource in listed:
            person = okta_users[resource["userName"]]
            assert resource["externalId"] == person.id
            assert resource[ENTERPRISE]["department"] == person.profile["department"]
            if ACME in server.extensions:
                assert resource[ACME]["costCenter"] == person.profile["title"]

        server.served.clear()
        second = sync()
        assert second.status is RunStatus.NO_CHANGES, second.error
        assert second.plan is not None and second.plan.empty
        requests: Counter[str] = built[-1].requests  # type: ignore[attr-defined]
        assert {k: v for k, v in requests.items() if not k.startswith("GET")} == {}
        assert server.writes() == Counter()
