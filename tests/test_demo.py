"""`idsync demo` works at every size it accepts, and refuses the others naming the minimum."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from idsync.demo import CONFIG, IN_SCOPE, MIN_GROUPS, MIN_USERS, DemoSizeError, check_size, pick_changes
from idsync.sandbox.okta.app import create_app
from idsync.sandbox.okta.options import OktaOptions

IDSYNC = str(Path(sys.executable).with_name("idsync"))
"""The console script installed beside the interpreter running the tests."""


def _api_view(users: int, groups: int) -> tuple[list[dict[str, object]], dict[str, list[dict[str, object]]]]:
    """The groups and members the Okta API would list for the demo's generated data."""
    state = create_app(OktaOptions(users=users, groups=groups, apps=1, seed=7)).state
    listed = [{"id": gid, "profile": {"name": g.profile["name"]}} for gid, g in state.groups.items()]
    members = {gid: [{"id": uid, "status": state.users[uid].status} for uid in state.members[gid]]
               for gid in state.groups}
    return listed, members


def _demo_profile() -> dict[str, Any]:
    """The demo config's one profile, parsed as YAML."""
    config = CONFIG.format(okta_url="http://127.0.0.1:1", jira_url="http://127.0.0.1:2",
                           confluence_url="http://127.0.0.1:3", bitbucket_url="http://127.0.0.1:4",
                           profile="p")
    profile: dict[str, Any] = yaml.safe_load(config)["profiles"]["p"]
    return profile


@pytest.mark.parametrize("users", [MIN_USERS, 11, 13, 17, 20, 25, 40, 100])
@pytest.mark.parametrize("groups", [MIN_GROUPS, 3, 4, 5, 8, 9, 15, 40])
def test_every_accepted_size_has_changes_to_show(users: int, groups: int) -> None:
    listed, members = _api_view(users, groups)
    first, second, suspended, moved = pick_changes(listed, members)  # type: ignore[arg-type]
    assert first["id"] != second["id"] and suspended["id"] != moved["id"]


def test_demo_scope_is_the_profiles_include() -> None:
    profile = _demo_profile()
    include = profile["groups"]["include"]
    for name in ("team-core-1", "Engineering", "Sales", "Design", "Everyone", "ad-core-3", "Legal"):
        assert bool(IN_SCOPE.search(name)) == any(re.search(p, name) for p in include), name


@pytest.mark.parametrize(("users", "groups", "minimum"), [
    (MIN_USERS - 1, 40, "--users must be at least 10"),
    (500, MIN_GROUPS - 1, "--groups must be at least 2"),
])
def test_too_small_sizes_are_refused_naming_the_minimum(users: int, groups: int, minimum: str) -> None:
    with pytest.raises(DemoSizeError, match=minimum):
        check_size(users, groups)


def test_the_demo_profile_targets_the_three_products_with_their_licence_groups() -> None:
    profile = _demo_profile()
    assert profile["targets"] == ["jira", "confluence", "bitbucket"]
    defaults = profile["groups"]["default_groups"]
    assert defaults["new_users"] == ["jira-software-users"]
    assert defaults["new_users_by_target"] == {"confluence": ["confluence-users"],
                                               "bitbucket": ["stash-users"]}


def test_the_demo_runs_with_20_people_in_4_groups(tmp_path: Path) -> None:
    """The size that used to crash with an IndexError, run as a user would, in its own process: the
    one profile keeps Jira, Confluence and Bitbucket in step, and the closing lines show they agree."""
    done = subprocess.run(
        [IDSYNC, "demo", "--users", "20", "--groups", "4", "--dir", str(tmp_path)],
        capture_output=True, text=True, timeout=300, env={**os.environ, "COLUMNS": "120"}, check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "moved " in done.stdout and "Traceback" not in done.stderr
    assert "Targets jira, confluence, bitbucket" in done.stdout
    for target in ("jira", "confluence", "bitbucket"):
        assert f"{target} · " in done.stdout, target  # the plan groups items by target
    in_step = re.findall(r"^  (Jira|Confluence|Bitbucket) +(\d+) active users · (\d+) groups from Okta$",
                         done.stdout, re.MULTILINE)
    assert [product for product, *_ in in_step] == ["Jira", "Confluence", "Bitbucket"], done.stdout[-2000:]
    assert len({(active, groups) for _, active, groups in in_step}) == 1, in_step
    assert int(in_step[0][1]) > 1 and int(in_step[0][2]) > 0, in_step


def test_the_cli_refuses_a_too_small_demo(tmp_path: Path) -> None:
    done = subprocess.run(
        [IDSYNC, "demo", "--users", "3", "--dir", str(tmp_path)],
        capture_output=True, text=True, timeout=120, check=False,
    )
    assert done.returncode == 2
    assert "--users must be at least 10 (got 3)" in done.stderr
