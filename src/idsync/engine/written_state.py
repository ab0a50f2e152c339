"""What a target holds because idsync wrote it, so a run between full reads need not read it. Pure.

A change of a hundred people used to cost a hundred people's reads on top of the writes: each changed
person was fetched for their current fields (the before-values the plan shows and `idsync undo`
restores), and each group one of them joined or left was read page by page. Between full reads the
engine has a better witness than the target: the source snapshot the previous run planned from. When
the rules, applied to that previous snapshot, give a person exactly the fingerprint their link
recorded, the target holds what idsync wrote for them then — those are the before-values. When they
give a group exactly the digest recorded after its last clean apply (idsync.engine.group_digests),
the group holds those members. Such people and groups are taken from here instead of being read.

What this gives up is what the group digests already give up: a change made by hand in the target
since idsync last wrote (a display name edited in Jira, a member added by hand) is not seen before the
next full read (at least every `full_read_every_hours`, or `idsync sync --full-read`); the change the
run makes then overwrites it.

The rules are applied to the previous records of the changed people only (`Previous`): everyone else's
record is the same in both snapshots, so what the rules make of it is too; a group's previous
members are its current members with the changed people's previous memberships in place of their
current ones. Both proofs check themselves (a fingerprint, a digest), so a derivation that came out
different from the previous run's would only mean a read.

Anything the proof does not cover is read as before: a fingerprint that differs (the person was changed
by an earlier failed or partial run, or the profile's rules changed), a group whose digest differs or
that has no record, a person who becomes active again where licence seats are counted (their seats need
their current groups), every user on a target whose licences are group memberships (Bitbucket:
`licence_groups`), a profile that does not write the fields the fingerprint would vouch for
(`users.update` or `users.sync_status` off), and every full read.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from idsync.config.profiles import Profile
from idsync.domain.records import (
    Capabilities,
    DesiredState,
    Link,
    Snapshot,
    StateQuery,
    TargetState,
    TargetUser,
)
from idsync.engine.group_digests import Members, digest_of, username_of, wanted_members
from idsync.engine.links import fingerprint
from idsync.rules.desired import desired_state


@dataclass(frozen=True, slots=True)
class Previous:
    """What the rules made of the previous run's records of the people who changed since."""

    desired: DesiredState
    """The rules over the previous snapshot less everyone unchanged (all its groups kept)."""
    changed: frozenset[str]
    """Source ids whose record or group memberships differ between the two snapshots (changed, new
    or gone)."""


def previous_of(prior: Snapshot, snapshot: Snapshot, profile: Profile) -> Previous:
    """`Previous` for a run whose source read merged changes onto `prior`, giving `snapshot`."""
    # the merge keeps every unchanged user's record itself: `is` settles most of them without a
    # field-by-field comparison
    now_users = snapshot.users
    changed = {uid for uid, user in prior.users.items()
               if (current := now_users.get(uid)) is not user and current != user}
    changed.update(uid for uid in snapshot.users if uid not in prior.users)
    # memberships live on the groups: whoever joined or left one changed too
    empty: frozenset[str] = frozenset()
    for gid in prior.groups.keys() | snapshot.groups.keys():
        then, now = prior.groups.get(gid), snapshot.groups.get(gid)
        if then is None or now is None or then.member_ids is not now.member_ids:
            changed.update((then.member_ids if then else empty) ^ (now.member_ids if now else empty))
    users = {uid: user for uid, user in prior.users.items() if uid in changed}
    # every group stays (it decides the managed groups), holding only the changed members: the rules
    # give a person the groups they are in, whoever else is
    kept = frozenset(changed)
    groups = {gid: replace(group, member_ids=group.member_ids & kept) for gid, group in prior.groups.items()}
    return Previous(desired_state(replace(prior, users=users, groups=groups), profile), kept)


def written_users(
    previous: Previous, desired: DesiredState, links: Mapping[str, Link], query: StateQuery,
    profile: Profile, capabilities: Capabilities,
) -> dict[str, TargetUser]:
    """Target key → the user as idsync last wrote it, for the users `query` would fetch by key whose
    link's fingerprint is the one the rules give their previous source record."""
    if capabilities.licence_groups or not (profile.users.update and profile.users.sync_status):
        return {}
    keys = query.user_keys
    written: dict[str, TargetUser] = {}
    for sid, before in previous.desired.users.items():
        link = links.get(sid)
        if link is None or link.target_key not in keys or fingerprint(before, profile) != link.fingerprint:
            continue
        now = desired.users.get(sid)
        if query.seats and now is not None and now.active and not before.active:
            continue  # returning: the seats they will take depend on groups only a read shows
        written[link.target_key] = TargetUser(
            key=link.target_key,
            username=_spelt(link, capabilities),
            email=before.email,
            display_name=before.display_name,
            active=before.active,
            properties={key: before.properties.get(key) for key in query.property_keys},
        )
    return written


def written_groups(
    previous: Previous, members: Members, recorded: Mapping[str, str], links: Mapping[str, Link],
    query: StateQuery, profile: Profile, capabilities: Capabilities,
) -> dict[str, frozenset[str]]:
    """Group name → its members as idsync left them, for the managed groups `query` would read whose
    recorded digest is the one of their previous wanted members: `members` (the current
    `wanted_members`) with the changed people's previous memberships in place of their current ones.
    The members are the people linked now among those (one wanted but never created is not in the
    group), under the username their link holds."""
    candidates = {name for name in query.groups if name in previous.desired.groups and name in recorded}
    if not candidates:
        return {}
    changed = previous.changed
    # previous.desired holds only the changed people: their previous memberships
    theirs = wanted_members(previous.desired, links)
    rules = profile.groups.model_dump_json()
    known: dict[str, frozenset[str]] = {}
    for name in candidates:
        wanted = [m for m in members.get(name, ()) if m[0] not in changed] + theirs.get(name, [])
        if digest_of(rules, previous.desired.groups[name], map(username_of, wanted)) != recorded[name]:
            continue
        known[name] = frozenset(
            _spelt(link, capabilities) for sid, _ in wanted if (link := links.get(sid)) is not None
        )
    return known


def _spelt(link: Link, capabilities: Capabilities) -> str:
    """The link's username as `TargetState` spells names: lower-case unless the target is case
    sensitive."""
    return link.username if capabilities.case_sensitive_names else link.username.lower()


def narrowed(
    query: StateQuery, users: Mapping[str, TargetUser], groups: Mapping[str, frozenset[str]]
) -> StateQuery:
    """`query` less what is known without reading."""
    if not users and not groups:
        return query
    # frozenset(...) of the keys: a frozenset minus a dict's keys view is a plain set (the view's
    # reflected difference), and the query declares, and a saved plan stores, frozensets
    return replace(query, user_keys=query.user_keys - frozenset(users),
                   groups=query.groups - frozenset(groups))


def completed(
    state: TargetState, users: Mapping[str, TargetUser], groups: Mapping[str, frozenset[str]]
) -> TargetState:
    """`state` (read for the narrowed query) with the users and groups known without reading."""
    if not users and not groups:
        return state
    return replace(state, users={**state.users, **users}, groups={**state.groups, **groups})
