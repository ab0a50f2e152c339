"""Group membership resolution: member DNs and memberUids → user ids, and nested groups expanded
recursively with cycle detection (a cycle is reported in the log and cut, never looped on)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import structlog

from idsync.domain.records import SourceGroup
from idsync.sources.ldap.entries import RawGroup

log = structlog.get_logger(__name__)


def find_cycles(children: Mapping[str, Iterable[str]]) -> list[list[str]]:
    """Nesting cycles as lists of group ids (each cycle once), for the log."""
    cycles: list[list[str]] = []
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    for root in children:
        if root in state:
            continue
        path: list[str] = []
        stack: list[tuple[str, list[str]]] = [(root, list(children.get(root, ())))]
        state[root] = 1
        path.append(root)
        while stack:
            node, pending = stack[-1]
            if not pending:
                stack.pop()
                path.pop()
                state[node] = 2
                continue
            child = pending.pop()
            if state.get(child) == 1:
                cycles.append(path[path.index(child) :])
            elif child not in state:
                state[child] = 1
                path.append(child)
                stack.append((child, list(children.get(child, ()))))
    return cycles


def resolve(
    groups: Iterable[RawGroup],
    user_by_dn: Mapping[str, str],
    user_by_login: Mapping[str, str],
    *,
    nested: bool,
) -> dict[str, SourceGroup]:
    """SourceGroups keyed by id. With `nested`, a group's members include those of every group nested
    in it (transitively); member DNs that are neither an in-scope user nor a read group are ignored."""
    raw = list(groups)
    by_dn = {g.dn: g for g in raw}
    direct: dict[str, set[str]] = {}
    children: dict[str, list[str]] = {}
    for group in raw:
        users = {user_by_dn[dn] for dn in group.member_dns if dn in user_by_dn}
        users.update(user_by_login[uid] for uid in group.member_uids if uid in user_by_login)
        direct[group.id] = users
        children[group.id] = [by_dn[dn].id for dn in group.member_dns if dn in by_dn]
    names = {g.id: g.name for g in raw}
    if nested:
        for cycle in find_cycles(children):
            log.warning("ldap nested group cycle", groups=[names[g] for g in cycle])
    out: dict[str, SourceGroup] = {}
    for group in raw:
        members = set(direct[group.id])
        if nested:
            seen = {group.id}
            stack = list(children[group.id])
            while stack:
                child = stack.pop()
                if child in seen:
                    continue
                seen.add(child)
                members |= direct[child]
                stack.extend(children[child])
        out[group.id] = SourceGroup(
            id=group.id, name=group.name, member_ids=frozenset(members), attributes=group.attributes
        )
    return out
