"""Links and fingerprints: what is stable, what changes, and how outcomes update link rows."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace

from idsync.domain.plan import Action, Change, ItemResult, Outcome, PlanItem
from idsync.domain.records import DesiredState, DesiredUser, Link, Reason, TargetState, TargetUser
from idsync.engine.links import fingerprint, fingerprint_in, state_fingerprint, updated_links
from tests.rules.builders import profile

WHY = Reason("test", "fact")


def _user(**changes: object) -> DesiredUser:
    fields: dict[str, object] = {"source_id": "u1", "username": "ann", "email": "a@x.io",
                                 "display_name": "Ann", "active": True, "properties": {"b": "2", "a": "1"},
                                 "groups": {}, "reason": WHY}
    fields.update(changes)
    return DesiredUser(**fields)  # type: ignore[arg-type]


def test_fingerprint_covers_written_fields_not_groups() -> None:
    rules = profile()
    base = fingerprint(_user(), rules)
    assert fingerprint(_user(groups={"g": WHY}), rules) == base
    assert fingerprint(_user(properties={"a": "1", "b": "2"}), rules) == base
    for change in ({"username": "bob"}, {"email": "b@x.io"}, {"display_name": "A"}, {"active": False},
                   {"properties": {"a": "1"}}):
        assert fingerprint(_user(**change), rules) != base, change


def test_fingerprint_ignores_fields_the_profile_does_not_write() -> None:
    rules = profile(users={"update": False, "sync_status": False})
    assert fingerprint(_user(email="z@x.io", active=False), rules) == fingerprint(_user(), rules)


def test_state_fingerprint_is_stable_across_processes() -> None:
    state = TargetState("jira", {"K1": TargetUser("K1", "ann", "a@x.io", "Ann", True, {"p": "v"})},
                        {"g": frozenset({"ann", "bob"}), "h": None})
    code = ("from idsync.domain.records import TargetState, TargetUser;"
            "from idsync.engine.links import state_fingerprint;"
            "print(state_fingerprint(TargetState('jira', {'K1': TargetUser('K1','ann','a@x.io','Ann',True,"
            "{'p':'v'})}, {'h': None, 'g': frozenset({'bob','ann'})})))")
    other = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                           env={"PYTHONHASHSEED": "123"}).stdout.strip()
    assert other == state_fingerprint(state)
    changed = TargetState("jira", state.users, {"g": frozenset({"ann"}), "h": None})
    assert state_fingerprint(changed) != state_fingerprint(state)


def _item(action: Action, sid: str = "u1", fp: str | None = "F1", **kw: object) -> PlanItem:
    return PlanItem(action, "jira", WHY, user=str(kw.pop("user", "ann")), source_id=sid, fingerprint=fp,
                    **kw)  # type: ignore[arg-type]


def test_all_items_applied_give_the_new_fingerprint() -> None:
    items = [_item(Action.CREATE_USER), _item(Action.SET_USER_PROPERTY)]
    results = [ItemResult(0, Outcome.APPLIED, target_key="K9"), ItemResult(1, Outcome.APPLIED)]
    upserts, deletes = updated_links(items, results, {}, "jira")
    assert upserts == [Link("u1", "jira", "K9", "ann", "F1", True)]
    assert deletes == []


def test_a_failed_item_leaves_an_empty_fingerprint() -> None:
    link = Link("u1", "jira", "K1", "ann", "OLD", True)
    items = [_item(Action.UPDATE_USER, user_key="K1"), _item(Action.SET_USER_PROPERTY, user_key="K1")]
    results = [ItemResult(0, Outcome.APPLIED), ItemResult(1, Outcome.FAILED, error="boom")]
    upserts, _ = updated_links(items, results, {"u1": link}, "jira")
    assert upserts == [Link("u1", "jira", "K1", "ann", "", True)]


def test_failed_creation_writes_no_link() -> None:
    upserts, deletes = updated_links([_item(Action.CREATE_USER)], [ItemResult(0, Outcome.FAILED)], {}, "jira")
    assert (upserts, deletes) == ([], [])


def test_rename_deactivate_delete_and_link_user() -> None:
    links = {"u1": Link("u1", "jira", "K1", "ann", "OLD", True),
             "u2": Link("u2", "jira", "K2", "bob", "X", True)}
    items = [
        _item(Action.RENAME_USER, user_key="K1", changes=(Change("username", "ann", "ann.lee"),)),
        _item(Action.DEACTIVATE_USER, user="ann.lee", user_key="K1"),
        _item(Action.DELETE_USER, sid="u2", user="bob", user_key="K2", fp=""),
        _item(Action.LINK_USER, sid="u3", user="cat", user_key="K3", fp="F3"),
        PlanItem(Action.ADD_MEMBER, "jira", WHY, user="cat", source_id="u3", group="g"),
        # an item of another target: not this target's link
        PlanItem(Action.CREATE_USER, "other", WHY, source_id="u4", fingerprint="F4", user="dan"),
    ]
    results = [ItemResult(i, Outcome.APPLIED, target_key="K4" if i == 5 else None) for i in range(6)]
    results[4] = ItemResult(4, Outcome.FAILED)  # a membership failure does not spoil the link
    upserts, deletes = updated_links(items, results, links, "jira")
    assert upserts == [Link("u1", "jira", "K1", "ann.lee", "F1", False),
                       Link("u3", "jira", "K3", "cat", "F3", True)]
    assert deletes == ["u2"]


def test_a_fingerprint_is_computed_once_per_desired_state_and_afresh_for_another_record() -> None:
    rules = profile(users={"username": {"regex": "(.*)@.*", "replace": "$1"}})
    ann = DesiredUser("u1", "ann", "ann@x.io", "Ann", True, {}, {}, Reason("test", "t"))
    desired = DesiredState(users={"u1": ann}, groups={})
    assert fingerprint_in(desired, ann, rules) == fingerprint(ann, rules)
    assert desired.fingerprints["u1"][0] is ann  # remembered
    renamed = replace(ann, display_name="Ann B.")  # another record under the same source id
    assert fingerprint_in(desired, renamed, rules) == fingerprint(renamed, rules) != fingerprint(ann, rules)
    quiet = profile(users={"username": {"regex": "(.*)@.*", "replace": "$1"}, "update": False})
    assert fingerprint_in(desired, renamed, quiet) == fingerprint(renamed, quiet)
