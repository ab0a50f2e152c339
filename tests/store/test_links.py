"""Links: round trip, upsert, removal, isolation per profile and target."""

from __future__ import annotations

import pytest

from idsync.domain.records import Link
from idsync.store import Store


def _link(number: int, *, target: str = "jira", fingerprint: str = "f0", active: bool = True) -> Link:
    return Link(f"00u{number}", target, f"JIRAUSER{number}", f"user{number}", fingerprint, active)


def test_links_round_trip(store: Store) -> None:
    links = [_link(n, active=n % 3 != 0) for n in range(50)]
    store.save_links("staff", "jira", links, [])
    assert store.links("staff", "jira") == {link.source_id: link for link in links}


def test_upsert_replaces_what_changed(store: Store) -> None:
    store.save_links("staff", "jira", [_link(1), _link(2)], [])
    renamed = Link("00u1", "jira", "JIRAUSER1", "user1-renamed", "f1", False)
    store.save_links("staff", "jira", [renamed, _link(3)], [])
    assert store.links("staff", "jira") == {"00u1": renamed, "00u2": _link(2), "00u3": _link(3)}


def test_removals_delete_only_the_named_links(store: Store) -> None:
    store.save_links("staff", "jira", [_link(n) for n in range(5)], [])
    store.save_links("staff", "jira", [], ["00u1", "00u3", "00u-never-linked"])
    assert sorted(store.links("staff", "jira")) == ["00u0", "00u2", "00u4"]


def test_upserts_and_removals_in_one_call(store: Store) -> None:
    store.save_links("staff", "jira", [_link(1), _link(2)], [])
    store.save_links("staff", "jira", [_link(3)], ["00u1"])
    assert sorted(store.links("staff", "jira")) == ["00u2", "00u3"]


def test_profiles_and_targets_are_separate(store: Store) -> None:
    store.save_links("staff", "jira", [_link(1)], [])
    store.save_links("staff", "confluence", [_link(1, target="confluence", fingerprint="other")], [])
    store.save_links("contractors", "jira", [_link(2)], [])
    store.save_links("staff", "jira", [], ["00u1"])
    assert store.links("staff", "jira") == {}
    assert store.links("staff", "confluence") == {"00u1": _link(1, target="confluence", fingerprint="other")}
    assert store.links("contractors", "jira") == {"00u2": _link(2)}


def test_a_link_for_another_target_is_refused_and_nothing_is_written(store: Store) -> None:
    with pytest.raises(ValueError, match=r"names target 'confluence'.*for target 'jira'"):
        store.save_links("staff", "jira", [_link(1), _link(2, target="confluence")], [])
    assert store.links("staff", "jira") == {}


def test_many_links_round_trip(store: Store) -> None:
    links = [_link(n) for n in range(3000)]
    store.save_links("staff", "jira", links, [])
    store.save_links("staff", "jira", [_link(n, fingerprint="f2") for n in range(0, 3000, 2)], [])
    loaded = store.links("staff", "jira")
    assert len(loaded) == 3000
    assert loaded["00u10"].fingerprint == "f2"
    assert loaded["00u11"].fingerprint == "f0"
