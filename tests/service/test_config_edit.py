"""Editing a profile's settings in a real config file: comments and `${ENV}` references kept, the
loader's own messages at the field, atomic writes that refuse a file changed since it was loaded,
read-only files, and previews computed by the rules code on what the Okta emulator really serves."""

from __future__ import annotations

import asyncio
import os
import stat
import subprocess
import sys
import textwrap
from collections.abc import Callable, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from idsync.config.loader import load_config, parse_config
from idsync.domain.errors import ConfigError
from idsync.service.config_edit import (
    Change,
    ConfigChanged,
    ConfigReadOnly,
    Edit,
    EditRejected,
    apply_changes,
    load_document,
    review,
    save,
    write_edit,
)
from idsync.service.config_preview import Sample, SourceSamples, preview_groups, preview_usernames
from idsync.service.settings_form import FALSE, display, file_values, parse_form, tab
from tests.fixtures.sandbox import RunningOkta

ENV = {"OKTA_TOKEN": "okta-secret-value-123", "JIRA_PAT": "jira-secret-value-456"}

CONFIG = """\
# idsync config for the tests
database: sqlite:///idsync.db

connections:
  okta:
    type: okta
    url: {okta_url}
    token: ${{OKTA_TOKEN}}          # from the environment
  jira:
    type: jira
    url: http://127.0.0.1:9
    token: ${{JIRA_PAT}}

profiles:
  p:
    source: okta
    targets: [jira]
    users:
      # logins are mail addresses; Jira wants the local part
      username: {{attribute: login, regex: "(.*)@.*", replace: "$1"}}
      when_removed: deactivate     # deactivate | delete | ignore
    groups:
      mode: manual
      mapping:
        # engineers get Jira Software
        Engineering: [jira-software-users, developers]
        Sales: [sales]   # the sales team
    leads: {{default_project_lead: admin}}
    safety:
      max_deactivations: 50
      protected_users: [admin]
"""


def write(tmp_path: Path, okta_url: str = "http://127.0.0.1:8", text: str = CONFIG) -> Path:
    path = tmp_path / "idsync.yaml"
    path.write_text(text.format(okta_url=okta_url))
    return path


def apply(path: Path, *changes: Change) -> Edit:
    return apply_changes(load_document(path), "p", list(changes), env=ENV)


# --- the text written --------------------------------------------------------------------------------


def test_no_change_leaves_the_text_byte_for_byte(tmp_path: Path) -> None:
    path = write(tmp_path)
    same = [
        Change(("users", "when_removed"), "deactivate"),
        Change(("safety", "max_deactivations"), 50),
        Change(("users", "create"), True),
        Change(
            ("groups", "mapping"), {"Engineering": ["jira-software-users", "developers"], "Sales": ["sales"]}
        ),
    ]
    edit = apply_changes(load_document(path), "p", same, env=ENV)
    assert not edit.changed
    assert edit.diff == ""
    assert edit.problems == ()


def test_a_mapping_and_a_regex_change_only_their_lines_and_keep_every_comment(tmp_path: Path) -> None:
    path = write(tmp_path)
    edit = apply_changes(
        load_document(path),
        "p",
        [
            Change(("users", "username", "regex"), "^(.*)@example\\.com$"),
            Change(
                ("groups", "mapping"),
                {
                    "Engineering": ["jira-software-users"],
                    "Sales": ["sales"],
                    "Support": ["support", "jira-servicedesk-users"],
                },
            ),
        ],
        env=ENV,
    )
    assert edit.problems == ()
    expected = (
        CONFIG.format(okta_url="http://127.0.0.1:8")
        .replace(
            'regex: "(.*)@.*"',
            'regex: "^(.*)@example\\\\.com$"',  # a backslash, escaped in double quotes
        )
        .replace("Engineering: [jira-software-users, developers]", "Engineering: [jira-software-users]")
        .replace(
            "Sales: [sales]   # the sales team\n",
            "Sales: [sales]   # the sales team\n        Support: [support, jira-servicedesk-users]\n",
        )
    )
    assert edit.text == expected
    assert "# engineers get Jira Software" in edit.text and "${OKTA_TOKEN}" in edit.text
    assert edit.diff.startswith("--- a/idsync.yaml\n+++ b/idsync.yaml\n")
    assert '-      username: {attribute: login, regex: "(.*)@.*", replace: "$1"}\n' in edit.diff
    assert (
        '+      username: {attribute: login, regex: "^(.*)@example\\\\.com$", replace: "$1"}\n' in edit.diff
    )
    assert "+        Support: [support, jira-servicedesk-users]\n" in edit.diff
    # the validated result is the new config, as the loader sees it
    assert edit.config is not None
    assert edit.config.profiles["p"].groups.mapping["Support"] == ["support", "jira-servicedesk-users"]


def test_the_diff_applies_with_patch_to_give_the_new_text(tmp_path: Path) -> None:
    path = write(tmp_path)
    edit = apply(path, Change(("safety", "max_deletions"), 3), Change(("users", "update"), False))
    patched = tmp_path / "by-hand"
    patched.mkdir()
    (patched / "idsync.yaml").write_text(path.read_text())
    done = subprocess.run(
        ["patch", "-p1", "-d", str(patched)], input=edit.diff, text=True, capture_output=True, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert (patched / "idsync.yaml").read_text() == edit.text


def test_env_references_stay_references_and_no_secret_reaches_the_text_or_the_diff(tmp_path: Path) -> None:
    path = write(tmp_path)
    edit = apply(
        path,
        Change(("leads", "default_project_lead"), "${PROJECT_LEAD}"),
        Change(("leads", "default_component_lead"), "carol"),
    )
    assert edit.problems[0].field == "leads.default_project_lead"
    assert "environment variable PROJECT_LEAD is not set" in edit.problems[0].message
    env = {**ENV, "PROJECT_LEAD": "jadmin"}
    edit = apply_changes(
        load_document(path), "p", [Change(("leads", "default_project_lead"), "${PROJECT_LEAD}")], env=env
    )
    assert edit.problems == ()
    assert 'default_project_lead: "${PROJECT_LEAD}"' in edit.text
    assert edit.config is not None and edit.config.profiles["p"].leads.default_project_lead == "jadmin"
    for secret in (*ENV.values(), "jadmin"):
        assert secret not in edit.text and secret not in edit.diff


def test_a_secret_written_literally_near_the_change_is_masked_in_the_diff(tmp_path: Path) -> None:
    path = tmp_path / "idsync.yaml"
    path.write_text(
        "connections:\n  ldap:\n    type: ldap\n    url: ldap://127.0.0.1:9\n"
        "    password: literal-ldap-pw\nprofiles:\n  p:\n    users: {create: true}\n    source: ldap\n"
        "    targets: [ldap]\n"
    )
    edit = apply_changes(load_document(path), "p", [Change(("users", "create"), False)], env={})
    assert "literal-ldap-pw" in edit.text  # the file keeps what the admin wrote
    assert "     password: ***\n" in edit.diff  # a context line of the diff
    assert "literal-ldap-pw" not in edit.diff


def test_clearing_keys_removes_them_or_writes_null_as_the_default_requires(tmp_path: Path) -> None:
    path = write(
        tmp_path, text=CONFIG.replace("    safety:\n", "    schedule:\n      interval: 15m\n    safety:\n")
    )
    edit = apply(
        path,
        Change(("users", "username", "regex"), None),  # default None: key removed
        Change(("leads", "default_project_lead"), None),  # leaves `leads` empty: removed
        Change(("schedule", "interval"), None),  # the schedule goes with it
        Change(("safety", "max_deactivations"), None),
    )  # default 50: null = no limit
    assert edit.problems == ()
    text = edit.text
    assert "regex" not in text and "leads" not in text and "schedule" not in text
    assert "max_deactivations: null" in text or "max_deactivations:\n" in text
    config = parse_config(text, env=ENV)
    assert config.profiles["p"].safety.max_deactivations is None
    assert config.profiles["p"].users.username.regex is None
    assert config.profiles["p"].schedule is None


def test_new_sections_and_lists_follow_the_files_indentation(tmp_path: Path) -> None:
    four = textwrap.dedent("""\
        connections:
            okta:
                type: okta
                url: http://127.0.0.1:8
                token: ${OKTA_TOKEN}
            jira: {type: jira, url: "http://127.0.0.1:9", token: "${JIRA_PAT}"}
        profiles:
            p:
                source: okta
                targets:
                  - jira
        """)
    path = write(tmp_path, text=four.replace("{", "{{").replace("}", "}}"))
    edit = apply(
        path,
        Change(("safety", "protected_groups"), ["jira-administrators"]),
        Change(("groups", "default_groups", "new_users"), ["jira-software-users"]),
    )
    assert edit.problems == ()
    assert edit.text == four + (
        "        safety:\n"
        "            protected_groups: [jira-administrators]\n"
        "        groups:\n"
        "            default_groups:\n"
        "                new_users: [jira-software-users]\n"
    )


def test_a_part_shared_through_a_yaml_anchor_is_not_changed_for_everyone(tmp_path: Path) -> None:
    shared = CONFIG.replace(
        "    groups:\n      mode: manual\n", "    groups: &teams\n      mode: manual\n"
    ) + ("  q:\n    source: okta\n    targets: [jira]\n    groups: *teams\n")
    path = write(tmp_path, text=shared)
    edit = apply(
        path, Change(("groups", "mapping"), {"Engineering": ["x"]}), Change(("users", "create"), False)
    )
    (problem,) = edit.problems
    assert problem.field == "groups.mapping"
    assert str(problem) == (
        "profiles.p.groups.mapping: this part of the file is shared through the YAML anchor &teams, so "
        "changing it here would change every place that uses *teams; change it in the file"
    )
    assert "Engineering: [jira-software-users, developers]" in edit.text and "create: false" in edit.text
    assert edit.config is None


# --- validation: the loader's messages, at the field -------------------------------------------------


def test_a_bad_choice_is_reported_at_its_field_with_the_valid_values(tmp_path: Path) -> None:
    path = write(tmp_path)
    edit = apply(
        path, Change(("users", "when_removed"), "disable"), Change(("safety", "max_deletions"), "ten")
    )
    problems = {p.field: p for p in edit.problems}
    assert str(problems["users.when_removed"]) == (
        "profiles.p.users.when_removed: 'disable' is not valid; valid: deactivate, delete, ignore"
    )
    assert "'ten'" in problems["safety.max_deletions"].message
    assert edit.config is None


def test_what_the_engine_would_refuse_at_run_time_is_refused_at_the_field(tmp_path: Path) -> None:
    path = write(tmp_path)
    edit = apply(
        path,
        Change(("users", "username", "replace"), "$2"),
        Change(("groups", "rename"), {"regex": "^okta-(.*)$", "replace": "${team}"}),
    )
    problems = {p.field: str(p) for p in edit.problems}
    assert problems["users.username.replace"].startswith(
        "profiles.p.users.username.replace: '$2' in '$2' refers"
    )
    assert "valid: $0..$1" in problems["users.username.replace"]
    assert "groups.rename.replace" in problems
    bad_regex = apply(path, Change(("groups", "include"), ["^jira-", "(unclosed"]))
    (problem,) = bad_regex.problems
    assert problem.field == "groups.include"
    assert "not a valid regular expression" in problem.message


def test_a_profile_wide_check_is_attached_to_the_field_it_names(tmp_path: Path) -> None:
    path = write(tmp_path)
    edit = apply(path, Change(("leads", "by_target"), {"confluence": {"project": "x"}}))
    (problem,) = edit.problems
    assert problem.field == "leads.by_target"
    assert "'confluence', not a target of this profile; valid: jira" in str(problem)


def test_a_key_the_settings_do_not_edit_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path)
    with pytest.raises(ConfigError, match="valid sections: users, groups, leads, safety, schedule"):
        apply(path, Change(("source",), "jira"))
    with pytest.raises(ConfigError, match="unknown key 'max_deactivation'; valid keys: max_deactivations"):
        apply(path, Change(("safety", "max_deactivation"), 3))
    with pytest.raises(ConfigError, match="no profile named 'q'; valid: p"):
        apply_changes(load_document(path), "q", [], env=ENV)


# --- writing -----------------------------------------------------------------------------------------


def test_save_writes_exactly_the_reviewed_text_and_keeps_the_mode(tmp_path: Path) -> None:
    path = write(tmp_path)
    path.chmod(0o640)
    changes = [
        Change(
            (
                "groups",
                "mapping",
            ),
            {"Engineering": ["developers"]},
        ),
        Change(("users", "username", "regex"), "^(.*)@corp$"),
    ]
    reviewed = review(path, "p", changes, env=ENV)
    saved = save(
        path, "p", changes, base_digest=reviewed.document.digest, reviewed_digest=reviewed.digest, env=ENV
    )
    assert path.read_text() == reviewed.text == saved.text
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []
    config = load_config(path, env=ENV)
    assert config.profiles["p"].groups.mapping == {"Engineering": ["developers"]}


def test_save_refuses_a_file_changed_since_it_was_loaded_and_writes_nothing(tmp_path: Path) -> None:
    path = write(tmp_path)
    changes = [Change(("users", "create"), False)]
    reviewed = review(path, "p", changes, env=ENV)
    path.write_text(path.read_text() + "# a deploy changed this\n")
    before = path.read_text()
    with pytest.raises(ConfigChanged, match="changed since these settings were loaded"):
        save(
            path, "p", changes, base_digest=reviewed.document.digest, reviewed_digest=reviewed.digest, env=ENV
        )
    with pytest.raises(ConfigChanged, match="changed since it was loaded"):
        write_edit(reviewed)
    assert path.read_text() == before


def test_save_refuses_a_change_other_than_the_reviewed_one(tmp_path: Path) -> None:
    path = write(tmp_path)
    reviewed = review(path, "p", [Change(("users", "create"), False)], env=ENV)
    with pytest.raises(ConfigChanged, match="not the one reviewed"):
        save(
            path,
            "p",
            [Change(("users", "update"), False)],
            base_digest=reviewed.document.digest,
            reviewed_digest=reviewed.digest,
            env=ENV,
        )
    with pytest.raises(EditRejected, match="when_removed"):
        save(
            path,
            "p",
            [Change(("users", "when_removed"), "x")],
            base_digest=reviewed.document.digest,
            reviewed_digest=reviewed.digest,
            env=ENV,
        )
    assert path.read_text() == CONFIG.format(okta_url="http://127.0.0.1:8")


@pytest.fixture
def read_only() -> Iterator[Callable[[Path], None]]:
    """Make a file not writable for this process: chmod for a normal user; for root (whom modes do
    not stop) the immutable attribute."""
    made: list[Path] = []

    def make(path: Path) -> None:
        if os.geteuid() != 0:
            path.chmod(0o444)
        else:
            done = subprocess.run(["chattr", "+i", str(path)], capture_output=True, check=False)
            if done.returncode != 0:
                pytest.skip(f"cannot make a file immutable here: {done.stderr!r}")
        made.append(path)

    yield make
    for path in made:
        if os.geteuid() == 0:
            subprocess.run(["chattr", "-i", str(path)], check=False)


def test_a_file_that_cannot_be_written_is_read_only_and_the_diff_is_still_offered(
    tmp_path: Path, read_only: Callable[[Path], None]
) -> None:
    path = write(tmp_path)
    read_only(path)
    document = load_document(path)
    assert document.read_only == f"{path} is not writable by the user idsync serve runs as"
    edit = apply_changes(document, "p", [Change(("users", "create"), False)], env=ENV)
    assert edit.problems == () and "+      create: false\n" in edit.diff
    with pytest.raises(ConfigReadOnly, match="apply the diff by hand"):
        write_edit(edit)
    assert path.read_text() == CONFIG.format(okta_url="http://127.0.0.1:8")


def test_a_file_mounted_on_its_own_is_read_only(tmp_path: Path) -> None:
    """A Docker bind mount or a ConfigMap subPath: replacing it by rename fails, so it is read-only.
    Checked in a mount namespace of its own (nothing is mounted on this machine)."""
    path = write(tmp_path)
    deployed = tmp_path / "deployed.yaml"
    deployed.write_text(path.read_text())
    script = (
        f"mount --bind {deployed} {path} && {sys.executable} -c "
        f"'from pathlib import Path; from idsync.service.config_edit import load_document; "
        f'print(load_document(Path("{path}")).read_only)\''
    )
    done = subprocess.run(["unshare", "-m", "sh", "-c", script], capture_output=True, text=True, check=False)
    if done.returncode != 0 and "mount" in done.stderr:
        pytest.skip(f"no mount namespaces here: {done.stderr.strip()}")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == (
        f"{path} is mounted as a single file (a ConfigMap or bind mount shared by "
        "every replica): change it where it is deployed from"
    )


# --- the form ----------------------------------------------------------------------------------------


def test_a_submitted_tab_becomes_typed_changes_and_shows_as_the_file_has_it(tmp_path: Path) -> None:
    path = write(tmp_path)
    document = load_document(path)
    users = tab("users")
    shown = file_values(document, "p", users)
    assert shown["users.username.regex"] == "(.*)@.*"
    assert display(users.field("users.create"), shown["users.create"]) is True
    groups = tab("groups")
    rows = display(groups.field("groups.mapping"), file_values(document, "p", groups)["groups.mapping"])
    assert [(r.key, r.value) for r in rows] == [
        ("Engineering", "jira-software-users, developers"),
        ("Sales", "sales"),
    ]
    form = {
        "groups.mode": ["manual"],
        "groups.create_missing": [FALSE],
        "groups.keep_existing_memberships": [FALSE, "true"],
        "groups.include": ["^jira-\n\n ^eng- \n"],
        "groups.mapping.key": ["Engineering", "", "Ops"],
        "groups.mapping.value": ["developers", "", "ops, admins"],
        "groups.rename.regex": [""],
        "groups.rename.replace": [""],
    }
    changes, problems = parse_form(groups, form)
    assert problems == []
    assert {c.path: c.value for c in changes} == {
        ("groups", "mode"): "manual",
        ("groups", "create_missing"): False,
        ("groups", "keep_existing_memberships"): True,
        ("groups", "include"): ["^jira-", "^eng-"],
        ("groups", "mapping"): {"Engineering": ["developers"], "Ops": ["ops", "admins"]},
        ("groups", "rename"): None,
    }
    _, problems = parse_form(
        groups, {"groups.mapping.key": ["A", "A", ""], "groups.mapping.value": ["x", "y", "z"]}
    )
    assert [p.message for p in problems] == [
        "'A' is given twice (rows 1 and 2); give each name once",
        "row 3 has a value but no name; give the name or clear the row",
    ]
    safety, _ = parse_form(
        tab("safety"),
        {
            "safety.max_deactivations": [""],
            "safety.max_deletions": ["7"],
            "safety.max_deactivation_percent": ["12.5"],
        },
    )
    assert {c.path[-1]: c.value for c in safety} == {
        "max_deactivations": None,
        "max_deletions": 7,
        "max_deactivation_percent": 12.5,
    }
    assert tab("users").field("users.when_removed").choices == ("deactivate", "delete", "ignore")


# --- previews on real source data --------------------------------------------------------------------


def read(coroutine: Coroutine[Any, Any, Sample]) -> Sample:
    """Run a source read on a loop of its own in a worker thread (as the server's worker threads do);
    the Playwright tests of the same session keep a loop running in the main thread."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


@pytest.fixture
def okta(okta_sandbox: Callable[..., RunningOkta]) -> RunningOkta:
    return okta_sandbox(users=30, groups=10, apps=0, seed=4)


def test_the_username_preview_runs_the_rule_on_users_the_source_really_has(
    tmp_path: Path, okta: RunningOkta
) -> None:
    path = write(tmp_path, okta.url)
    env = {**ENV, "OKTA_TOKEN": okta.token}
    edit = apply_changes(
        load_document(path),
        "p",
        [
            Change(("users", "username", "regex"), "^([a-z])[a-z]*\\.(.*)@.*$"),
            Change(("users", "username", "replace"), "$1$2"),
        ],
        env=env,
    )
    assert edit.config is not None
    samples = SourceSamples()
    sample = read(samples.get(edit.config, "okta"))
    preview = preview_usernames(sample.snapshot, edit.config.profiles["p"], limit=20)
    state = okta.sandbox.state
    first = sorted(state.users)[:20]
    assert [u.source_id for u in preview.users] == first
    for user in preview.users:
        login = str(state.users[user.source_id].profile["login"])
        first_name, rest = login.split("@")[0].split(".", 1)
        assert user.value == login
        assert user.username == (first_name[0] + rest).lower()
    assert preview.in_scope == len(state.users) and preview.changed == 20


def test_the_group_preview_says_which_source_groups_sync_and_what_they_become(
    tmp_path: Path, okta: RunningOkta
) -> None:
    path = write(tmp_path, okta.url)
    env = {**ENV, "OKTA_TOKEN": okta.token}
    edit = apply_changes(
        load_document(path),
        "p",
        [
            Change(("groups", "mode"), "on_the_fly"),
            Change(("groups", "include"), ["^team-", "^Eng"]),
            Change(("groups", "exclude"), ["-ops$"]),
            Change(("groups", "rename"), {"regex": "^team-(.*)$", "replace": "jira-$1"}),
        ],
        env=env,
    )
    assert edit.config is not None, edit.problems
    samples = SourceSamples()
    sample = read(samples.get(edit.config, "okta"))
    served = sum(okta.sandbox.control.stats().values())
    assert served > 0
    assert read(samples.get(edit.config, "okta")) is sample  # one read serves the previews
    assert sum(okta.sandbox.control.stats().values()) == served
    assert read(samples.get(edit.config, "okta", fresh=True)) is not sample
    assert sum(okta.sandbox.control.stats().values()) > served
    preview = preview_groups(sample.snapshot, edit.config.profiles["p"])
    names = {str(g.profile["name"]) for g in okta.sandbox.state.groups.values()}
    expected = {
        n: ("jira-" + n.removeprefix("team-"),) if n.startswith("team-") else (n,)
        for n in names
        if (n.startswith("team-") or n.startswith("Eng")) and not n.endswith("-ops")
    }
    assert {g.name: g.targets for g in preview.synced} == expected
    assert {g.name for g in preview.not_synced} == names - set(expected)
    assert preview.total == len(names) and preview.synced_count == len(expected)
    manual = apply_changes(
        load_document(path),
        "p",
        [Change(("groups", "mapping"), {"Engineering": ["developers"], "Enginering": ["typo"]})],
        env=env,
    )
    assert manual.config is not None
    shown = preview_groups(sample.snapshot, manual.config.profiles["p"])
    assert [(g.name, g.targets) for g in shown.synced] == [("Engineering", ("developers",))]
    assert shown.unknown_in_mapping == ("Enginering",)
