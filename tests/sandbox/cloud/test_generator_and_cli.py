"""The generated directory (deterministic per seed, team groups with memberships, the load-test size
of 10,000 users / 1,000 groups / 200,000 memberships answered from indexes), the options' checks, and
`idsync sandbox cloud` as a real subprocess."""

from __future__ import annotations

import os
import signal
import subprocess
import time

import httpx
import pytest

from idsync.sandbox.cloud.app import create_app
from idsync.sandbox.cloud.options import CloudOptions, OptionsError
from idsync.sandbox.common.server import free_port
from tests.fixtures.cloud import CloudFactory
from tests.sandbox.cloud.payloads import patch


def test_same_seed_same_directory() -> None:
    first, second = create_app(CloudOptions(users=60, seed=7)), create_app(CloudOptions(users=60, seed=7))
    other = create_app(CloudOptions(users=60, seed=8))
    assert first.state.dump() == second.state.dump()
    assert first.directory_id == second.directory_id != other.directory_id
    assert first.state.dump()["users"] != other.state.dump()["users"]
    dump = first.state.dump()
    assert len(dump["users"]) == 60 and len(dump["groups"]) == 3
    assert all(u["userName"].endswith("@example.com") for u in dump["users"])
    assert all(1 <= len(u["groups"]) <= 3 for u in dump["users"])


def test_generated_users_are_served_and_patchable(cloud_sandbox: CloudFactory) -> None:
    cloud = cloud_sandbox(users=25, verified_domains=("acme.test",))
    record = next(iter(cloud.sandbox.state.users.values()))
    with cloud.client() as client:
        found = client.get(
            "Users", params={"filter": f'externalId eq "{record.resource.external_id}"'}
        ).json()
        patched = client.patch(
            f"Users/{record.id}", json=patch({"op": "replace", "path": "title", "value": "CTO"})
        )
    assert [u["id"] for u in found["Resources"]] == [record.id]
    assert found["Resources"][0]["userName"].endswith("@acme.test")
    assert patched.status_code == 200 and patched.json()["title"] == "CTO"
    assert patched.json()["emails"] == found["Resources"][0]["emails"]


def test_the_load_test_size_is_held_and_served_from_indexes(cloud_sandbox: CloudFactory) -> None:
    cloud = cloud_sandbox(users=10_000, groups=1_000, memberships=200_000)
    state = cloud.sandbox.state
    assert len(state.users) == 10_000 and len(state.groups) == 1_000
    assert sum(len(g.members) for g in state.groups.values()) == 200_000
    last = list(state.users.values())[-1]
    group = list(state.groups.values())[-1]
    with cloud.client() as client:
        by_name = client.get("Users", params={"filter": f'userName eq "{last.user_name.upper()}"'}).json()
        by_group = client.get("Groups", params={"filter": f'displayName eq "{group.display_name}"'}).json()
        last_page = client.get("Users", params={"startIndex": 9_951, "count": 100}).json()
    assert by_name["Resources"][0]["id"] == last.id and len(by_name["Resources"][0]["groups"]) == 20
    assert len(by_group["Resources"][0]["members"]) == len(group.members)
    assert len(last_page["Resources"]) == 50 and last_page["Resources"][-1]["id"] == last.id


@pytest.mark.parametrize(
    ("options", "named"),
    [
        ({"users": -1}, "users"),
        ({"verified_domains": ()}, "verified_domains"),
        ({"verified_domains": ("not a domain",)}, "verified_domains"),
        ({"max_group_members": 0}, "max_group_members"),
        ({"rate_limit": -1.0}, "rate_limit"),
        ({"rate_limit_burst": 0}, "rate_limit_burst"),
        ({"token": ""}, "token"),
        ({"directory_id": "a/b"}, "directory_id"),
        ({"users": 5, "max_users": 4}, "users"),
    ],
)
def test_bad_options_are_refused_naming_the_option(options: dict[str, object], named: str) -> None:
    with pytest.raises(OptionsError, match=f"^{named}: "):
        CloudOptions(**options)  # type: ignore[arg-type]


def _wait_until_serving(url: str, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            output = process.stdout.read() if process.stdout else ""
            raise AssertionError(f"the emulator exited early: {output}")
        try:
            httpx.get(f"{url}/_sandbox/faults", timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    raise AssertionError(f"the emulator did not start serving on {url}")


def test_cli_serves_the_directory_with_the_given_key_and_prints_its_base_url() -> None:
    port = free_port()
    root = f"http://127.0.0.1:{port}"
    command = ["uv", "run", "--no-sync", "idsync", "sandbox", "cloud", "--port", str(port),
               "--users", "30", "--token", "k3y", "--directory-id", "dir-1",
               "--rate-limit", "50", "--latency-ms", "1"]  # fmt: skip
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               env={**os.environ, "PYTHONUNBUFFERED": "1"})  # fmt: skip
    try:
        _wait_until_serving(root, process)
        listed = httpx.get(f"{root}/scim/directory/dir-1/Users", headers={"Authorization": "Bearer k3y"})
        refused = httpx.get(f"{root}/scim/directory/dir-1/Users", headers={"Authorization": "Bearer other"})
        faults = httpx.get(f"{root}/_sandbox/faults").json()
    finally:
        process.send_signal(signal.SIGINT)
        output, _ = process.communicate(timeout=30)
    assert listed.status_code == 200 and listed.json()["totalResults"] == 30
    assert refused.status_code == 401
    assert faults["latency_ms"] == 1
    assert f"Atlassian Cloud SCIM emulator: {root}/scim/directory/dir-1" in output
    assert "k3y" in output and "rate limit: 50/s" in output
