"""Reusing the people's outcome of the snapshot a run's snapshot was merged from: evaluating only the
changed people must give exactly what evaluating everyone gives, whatever changed (records, statuses,
memberships, people and groups added, removed or renamed) and under any rules (scope by group,
username rewrites and their disputes, manual and on-the-fly mappings with renames, default and
protected groups, custom attributes)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from idsync.domain.records import Snapshot, SourceGroup, SourceUser
from idsync.engine.written_state import changed_people
from idsync.rules.desired import Reuse, desired_state, evaluate
from tests.rules.builders import group, person, profile, snapshot

PROFILES: list[dict[str, Any]] = [
    {},
    {"scope": {"include_groups": ["^team-[0-3]"], "exclude_groups": ["^team-3"]}},
    {"scope": {"statuses": ["ACTIVE"]}},
    # "a.1@x.io" and "a.2@x.io" both become "a": rewrites make disputes that come and go with changes
    {"users": {"username": {"regex": r"^([a-z]+)\.\d@.*$", "replace": "$1"},
               "custom_attributes": {"department": "department"}}},
    {"users": {"username": {"attribute": "employeeId"}}},  # people without one are skipped
    {"groups": {"include": ["team"], "exclude": ["-4$"], "rename": {"regex": "^team-(.*)$", "replace": "t$1"},
                "default_groups": {"all_users": ["everyone"], "new_users": ["fresh"]}},
     "safety": {"protected_groups": ["T2"]}},
    {"groups": {"mode": "manual", "mapping": {"team-0": ["a", "b"], "team-1": ["b"], "renamed": ["c"]}}},
]

NAMES = [f"{letter}.{n}@x.io" for letter in "abc" for n in (1, 2)]
STATUSES = ["ACTIVE", "SUSPENDED", "DEPROVISIONED"]


def _world(seed: int, size: int) -> Snapshot:
    """`size` people spread over six team groups, by a fixed rule of the seed."""
    users = [person(f"u{i}", NAMES[(seed + i) % len(NAMES)] if i % 3 else f"p{i}@x.io",
                    STATUSES[(seed * i) % 3] if i % 4 == 0 else "ACTIVE",
                    department=f"d{i % 3}", employeeId=f"e{i}" if i % 5 else None)
             for i in range(size)]
    groups = [group(f"g{g}", f"team-{g}", *(u.id for i, u in enumerate(users) if (i + g + seed) % 3 == 0))
              for g in range(6)]
    return snapshot(users, groups)


Change = tuple[str, int, int]
CHANGES = st.tuples(
    st.sampled_from(["login", "status", "department", "join", "leave", "hire", "gone", "rename_group",
                     "drop_group", "new_group", "no_employee_id"]),
    st.integers(0, 40), st.integers(0, 7),
)


def _changed(prior: Snapshot, changes: list[Change]) -> Snapshot:
    """`prior` with `changes` made as the merge of an incremental read makes them: new records for the
    people and groups concerned, every other record kept as the very same object."""
    users: dict[str, SourceUser] = dict(prior.users)
    groups: dict[str, SourceGroup] = dict(prior.groups)
    for kind, who, which in changes:
        ids = sorted(users)
        uid = ids[who % len(ids)] if ids else None
        gids = sorted(groups)
        gid = gids[which % len(gids)] if gids else None
        if kind == "hire":
            users[f"n{who}-{which}"] = person(f"n{who}-{which}", NAMES[which % len(NAMES)], employeeId="x")
        elif uid is None or gid is None:
            continue
        elif kind == "login":
            users[uid] = replace(users[uid], attributes={**users[uid].attributes, "login": NAMES[which % 6]})
        elif kind == "status":
            users[uid] = replace(users[uid], status=STATUSES[which % 3])
        elif kind == "department":
            users[uid] = replace(users[uid], attributes={**users[uid].attributes, "department": f"x{which}"})
        elif kind == "no_employee_id":
            users[uid] = replace(users[uid], attributes={
                k: v for k, v in users[uid].attributes.items() if k != "employeeId"})
        elif kind == "gone":
            del users[uid]
            groups = {k: replace(g, member_ids=g.member_ids - {uid}) if uid in g.member_ids else g
                      for k, g in groups.items()}
        elif kind == "join":
            groups[gid] = replace(groups[gid], member_ids=groups[gid].member_ids | {uid})
        elif kind == "leave":
            groups[gid] = replace(groups[gid], member_ids=groups[gid].member_ids - {uid})
        elif kind == "rename_group":
            groups[gid] = replace(groups[gid], name="renamed" if which % 2 else f"team-{which}")
        elif kind == "drop_group":
            del groups[gid]
        elif kind == "new_group":
            groups[f"h{which}"] = group(f"h{which}", f"team-{which}", *ids[: who % 7])
    return replace(prior, users=users, groups=groups)


@settings(max_examples=300, deadline=None)
@given(rules=st.sampled_from(PROFILES), seed=st.integers(0, 50), size=st.integers(0, 30),
       steps=st.lists(st.lists(CHANGES, max_size=6), min_size=1, max_size=3))
def test_evaluating_only_the_changed_people_gives_what_evaluating_everyone_gives(
    rules: dict[str, Any], seed: int, size: int, steps: list[list[Change]]
) -> None:
    rules_profile = profile(**rules)
    prior = _world(seed, size)
    _, outcome = evaluate(prior, rules_profile)
    for changes in steps:  # each step reuses the outcome the last one made, as run after run does
        current = _changed(prior, changes)
        reused, outcome = evaluate(current, rules_profile, Reuse(outcome, changed_people(prior, current)))
        whole, whole_outcome = evaluate(current, rules_profile)
        assert reused == whole
        assert list(reused.users) == list(whole.users)  # the same order, too
        assert outcome == whole_outcome
        prior = current


def test_a_renamed_group_changes_its_members_even_when_its_members_stay() -> None:
    # the rules map a group by its name, so everyone in a renamed group has other target groups now
    prior = snapshot([person("u1", "ann@x.io"), person("u2", "bob@x.io")], [group("g1", "dev", "u1")])
    current = replace(prior, groups={"g1": replace(prior.groups["g1"], name="ops")})

    assert changed_people(prior, current) == {"u1"}
    _, outcome = evaluate(prior, profile())
    state, _ = evaluate(current, profile(), Reuse(outcome, changed_people(prior, current)))
    assert set(state.users["u1"].groups) == {"ops"}


def test_a_single_user_snapshot_is_never_evaluated_from_a_reused_outcome() -> None:
    whole = snapshot([person("u1", "ann@x.io")])
    _, outcome = evaluate(whole, profile())
    with pytest.raises(ValueError, match="single-user"):
        evaluate(replace(whole, single_user="u1"), profile(), Reuse(outcome, frozenset()))
    assert desired_state(replace(whole, single_user="u1"), profile()).users.keys() == {"u1"}
