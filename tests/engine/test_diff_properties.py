"""Property tests (hypothesis): applying a plan converges — the next diff is empty — and a target
that already equals the desired state, with its links, yields no item at all."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from idsync.config.profiles import Profile
from idsync.domain.records import SourceUser
from tests.engine.world import World
from tests.rules.builders import group, person, profile, snapshot

LOCALS = ["ann", "bob", "cat", "dan", "eve"]
DOMAINS = ["x.io", "y.io"]
GROUP_NAMES = ["jira-dev", "jira-ops", "sales"]


@st.composite
def sources(draw: st.DrawFn) -> tuple[list[SourceUser], list[tuple[str, list[str]]]]:
    """A few source users (logins may collide after the username rule) and groups over them."""
    count = draw(st.integers(0, 5))
    users = [
        person(f"u{i}", f"{draw(st.sampled_from(LOCALS))}@{draw(st.sampled_from(DOMAINS))}",
               status=draw(st.sampled_from(["ACTIVE", "ACTIVE", "SUSPENDED"])),
               firstName=draw(st.sampled_from(["A", "B"])), department=draw(st.sampled_from([None, "R&D"])))
        for i in range(count)
    ]
    ids = [u.id for u in users]
    groups = [(name, draw(st.lists(st.sampled_from(ids), unique=True)) if ids else [])
              for name in GROUP_NAMES]
    return users, groups


@st.composite
def worlds(draw: st.DrawFn) -> World:
    """A target that already holds some users and groups an admin made by hand."""
    world = World()
    for local in draw(st.lists(st.sampled_from(LOCALS), unique=True, max_size=3)):
        world.add_user(local, f"{local}@{draw(st.sampled_from(DOMAINS))}", "Old", draw(st.booleans()),
                       groups=draw(st.lists(st.sampled_from(GROUP_NAMES), unique=True)))
    return world


PROFILE_KNOBS = st.fixed_dictionaries({
    "match": st.sampled_from(["username", "email", "none"]),
    "removed": st.sampled_from(["deactivate", "delete", "ignore"]),
    "keep": st.booleans(),
    "create_missing": st.booleans(),
})


def _profile(knobs: dict[str, object]) -> Profile:
    return profile(
        users={"username": {"regex": "(.*)@.*", "replace": "$1"}, "match_existing_by": knobs["match"],
               "when_removed": knobs["removed"], "custom_attributes": {"department": "department"}},
        groups={"include": ["^jira-"], "keep_existing_memberships": knobs["keep"],
                "create_missing": knobs["create_missing"], "default_groups": {"all_users": ["everyone"]}},
    )


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(first=sources(), second=sources(), world=worlds(), knobs=PROFILE_KNOBS)
def test_applying_a_plan_converges(first: tuple[list[SourceUser], list[tuple[str, list[str]]]],
                                   second: tuple[list[SourceUser], list[tuple[str, list[str]]]],
                                   world: World, knobs: dict[str, object]) -> None:
    rules = _profile(knobs)
    for users, groups in (first, second):  # an initial sync, then the source changes
        snap = snapshot(users, [group(f"g{i}", name, *members) for i, (name, members) in enumerate(groups)])
        for _ in range(len(users) + 1):  # a username freed by a rename is taken one run later
            result = world.sync(snap, rules)
            world.apply(result)
            if not any("on the next run" in note for note in result.notes):
                break
        again = world.sync(snap, rules)
        assert again.items == (), [(i.action.value, i.subject, i.reason.rule) for i in again.items]


@settings(max_examples=100, deadline=None)
@given(source=sources(), knobs=PROFILE_KNOBS)
def test_target_equal_to_desired_state_gives_no_item(
    source: tuple[list[SourceUser], list[tuple[str, list[str]]]], knobs: dict[str, object]
) -> None:
    users, groups = source
    snap = snapshot(users, [group(f"g{i}", name, *members) for i, (name, members) in enumerate(groups)])
    rules = _profile({**knobs, "create_missing": True})
    world = World()
    world.apply(world.sync(snap, rules))  # builds a target that equals the desired state, with links
    reads = len(world.queries)
    assert world.sync(snap, rules).items == ()
    assert world.queries[reads].user_keys == frozenset()
