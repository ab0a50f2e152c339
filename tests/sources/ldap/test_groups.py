"""Membership resolution as a pure function: nesting, cycles, memberUid, dangling members."""

from __future__ import annotations

from idsync.sources.ldap.entries import RawGroup
from idsync.sources.ldap.groups import find_cycles, resolve


def _g(gid: str, dns: tuple[str, ...] = (), uids: tuple[str, ...] = ()) -> RawGroup:
    return RawGroup(id=gid, dn=f"cn={gid}", name=gid.upper(), member_dns=dns, member_uids=uids, attributes={})


USERS = {"uid=a": "A", "uid=b": "B", "uid=c": "C"}


def test_deep_nesting_and_a_three_group_cycle() -> None:
    groups = [
        _g("x", ("uid=a", "cn=y")),
        _g("y", ("uid=b", "cn=z")),
        _g("z", ("uid=c", "cn=x", "cn=missing")),
        _g("solo", (), ("a-login", "ghost")),
    ]
    out = resolve(groups, USERS, {"a-login": "A"}, nested=True)
    assert {k: set(v.member_ids) for k, v in out.items()} == {
        "x": {"A", "B", "C"},
        "y": {"A", "B", "C"},
        "z": {"A", "B", "C"},
        "solo": {"A"},
    }
    assert out["x"].name == "X"


def test_without_nesting_only_direct_members() -> None:
    out = resolve([_g("x", ("uid=a", "cn=y")), _g("y", ("uid=b",))], USERS, {}, nested=False)
    assert (set(out["x"].member_ids), set(out["y"].member_ids)) == ({"A"}, {"B"})


def test_find_cycles() -> None:
    assert find_cycles({"x": ["y"], "y": ["z"], "z": ["x"]}) == [["x", "y", "z"]]
    assert find_cycles({"x": ["x"]}) == [["x"]]
    assert find_cycles({"x": ["y"], "y": []}) == []
