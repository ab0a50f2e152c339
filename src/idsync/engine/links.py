"""Link rows: source id ↔ target key, with a fingerprint of what idsync last wrote: keyed by the
source's immutable id, so renames stay one user and unchanged users cost no write.

A linked user whose desired fingerprint equals the link's is neither read nor written: that is what
makes a no-op run make no writes. After apply, `updated_links` turns item outcomes into link rows:
a user's link takes the new fingerprint only when every one of that user's items succeeded; if any
failed, the link is kept with an empty fingerprint so the next run reads the user again.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace

import orjson

from idsync.config.profiles import Profile
from idsync.domain.plan import Action, ItemResult, Outcome, PlanItem, by_position
from idsync.domain.records import DesiredState, DesiredUser, Link, TargetState


def _digest(payload: object) -> str:
    # orjson: ~10x faster than json.dumps for the 100k fingerprints of a large run; sorted keys keep
    # the hash stable across runs and processes.
    encoded = orjson.dumps(payload, option=orjson.OPT_SORT_KEYS)
    return hashlib.sha256(encoded).hexdigest()[:32]


def fingerprint(user: DesiredUser, profile: Profile) -> str:
    """A stable hash of what idsync writes for `user`: username, and — when the profile writes them —
    email and display name (users.update), active (users.sync_status), sorted custom properties.
    Groups are not part of it: memberships are compared against group reads.

    The hash of the custom properties alone follows after a dot (`properties_part`): a user whose
    other fields changed but whose properties idsync wrote and the rules still want the same need not
    have them read (see `idsync.engine.diff.with_known_properties`)."""
    rules = profile.users
    # Positional, not a dict with sorted keys, and BLAKE2b: computed twice per person per run
    # (state query and diff), at 150,000 people the sorted-key SHA-256 form cost 2.6 s a run.
    properties = orjson.dumps(sorted(user.properties.items()))
    fields = (user.username, user.email, user.display_name) if rules.update else (user.username, None, None)
    head = orjson.dumps((*fields, user.active if rules.sync_status else None))
    whole = hashlib.blake2b(head + b"\x00" + properties, digest_size=16).hexdigest()
    return f"{whole}.{hashlib.blake2b(properties, digest_size=8).hexdigest()}"


def fingerprint_in(desired: DesiredState, user: DesiredUser, profile: Profile) -> str:
    """`fingerprint(user, profile)` for a user of `desired`, computed once per desired state (its
    `fingerprints` memo; the entry holds the user itself, so a different record under the same source
    id is computed afresh)."""
    rules = profile.users
    entry = desired.fingerprints.get(user.source_id)
    if entry is not None and entry[0] is user and entry[1] == rules.update and entry[2] == rules.sync_status:
        return entry[3]
    value = fingerprint(user, profile)
    desired.fingerprints[user.source_id] = (user, rules.update, rules.sync_status, value)
    return value


def properties_part(fingerprint: str) -> str | None:
    """The custom-properties hash of a fingerprint (None for an empty one or one of the older,
    single-hash form, which says nothing about the properties alone)."""
    _, dot, part = fingerprint.partition(".")
    return part if dot and part else None


def state_fingerprint(state: TargetState) -> str:
    """A hash of a target state, identical across runs and processes for equal states (a saved
    plan is refused when a re-read of the same query hashes differently)."""
    payload = {
        "target": state.target,
        "users": [
            [u.key, u.username, u.email, u.display_name, u.active, sorted(u.properties.items())]
            for u in sorted(state.users.values(), key=lambda u: u.key)
        ],
        "groups": [
            [name, None if members is None else sorted(members)]
            for name, members in sorted(state.groups.items())
        ],
        "leads": sorted([lead.kind, lead.id, lead.name, lead.lead] for lead in state.leads),
    }
    if state.existing_groups:  # only then, so states without them hash as before
        payload["existing_groups"] = sorted(state.existing_groups)
    return _digest(payload)


def updated_links(
    items: Sequence[PlanItem], results: Sequence[ItemResult], links: Mapping[str, Link], target: str
) -> tuple[list[Link], list[str]]:
    """Links to upsert and source ids whose link to delete, after applying `items` to `target`.

    Only user-level items (those carrying a fingerprint) count. All of a user's items applied → the
    link gets their fingerprint; any failed or skipped → fingerprint "" (re-read next run), provided
    the target key is known (a created user's key comes from its ItemResult). DELETE_USER applied →
    the link is deleted. DEACTIVATE_USER / REACTIVATE_USER applied set `active`.
    """
    outcome = by_position(len(items), results)
    shared = _Shared()
    # each user's item positions (a pair of item and result per item held ~40 MB more at 150,000)
    per_user: dict[str, list[int]] = defaultdict(list)
    for index, item in enumerate(items):
        if item.target != target or item.source_id is None or item.fingerprint is None:
            continue
        per_user[item.source_id].append(index)

    upserts: list[Link] = []
    deletes: list[str] = []
    for source_id in sorted(per_user):
        entries = [(items[index], outcome[index]) for index in per_user[source_id]]
        link = links.get(source_id)
        key = link.target_key if link else None
        username = link.username if link else None
        active = link.active if link else True
        succeeded = True
        deleted = False
        licence = set(link.licence_groups) if link else set()
        for item, result in entries:
            applied = result is not None and result.outcome is Outcome.APPLIED
            succeeded = succeeded and applied
            if item.user_key is not None and key is None:
                key = item.user_key
            if username is None and item.user is not None:
                username = item.user
            if not applied or result is None:
                continue
            if item.action is Action.CREATE_USER:
                key = result.target_key or key
                username = item.user
                active = True
            elif item.action is Action.LINK_USER:
                key = item.user_key or key
                username = item.user
            elif item.action is Action.RENAME_USER:
                username = next((str(c.new) for c in item.changes if c.field == "username"), username)
            elif item.action is Action.DEACTIVATE_USER:
                active = False
            elif item.action is Action.REACTIVATE_USER:
                active = True
            elif item.action is Action.REVOKE_LICENCE and item.group is not None:
                active = False
                licence.add(item.group)
            elif item.action is Action.RESTORE_LICENCE and item.group is not None:
                active = True
                licence.discard(item.group)
            elif item.action is Action.DELETE_USER:
                deleted = True
        if deleted:
            if link is not None:
                deletes.append(source_id)
            continue
        if key is None or username is None:
            continue  # a creation that failed: nothing exists to link
        fp = next((i.fingerprint for i, _ in entries if i.fingerprint is not None), "") if succeeded else ""
        if link is None:
            upserts.append(Link(source_id, target, key, username, fp or "", active,
                                licence_groups=shared(licence)))
            continue
        fresh = replace(link, target_key=key, username=username, fingerprint=fp or "", active=active,
                        licence_groups=shared(licence))
        if fresh != link:
            upserts.append(fresh)
    return _with_grants(items, outcome, links, target, upserts, shared), deletes


class _Shared:
    """One frozenset object per distinct set of group names: most links hold the same few (none, or
    the default group for new users), and a frozenset per field per link is 216 bytes each."""

    def __init__(self) -> None:
        self._seen: dict[frozenset[str], frozenset[str]] = {}

    def __call__(self, names: Iterable[str]) -> frozenset[str]:
        frozen = frozenset(names)
        return self._seen.setdefault(frozen, frozen)


def _with_grants(
    items: Sequence[PlanItem], outcome: Sequence[ItemResult | None], links: Mapping[str, Link], target: str,
    upserts: list[Link], shared: _Shared,
) -> list[Link]:
    """Record default groups granted at creation: a created user's grants whose add applied are
    granted, the others pending; a pending grant whose add applied now is granted."""
    # Only additions to a group someone may hold as a grant count (a default group for new users, a
    # pending grant): every person's additions to every group, as a set each, held ~100 MB after an
    # initial sync of 150,000 people.
    granting = {group for link in links.values() for group in link.pending_groups}
    granting.update(group for item in items if item.action is Action.CREATE_USER for group in item.grants)
    if not granting:
        return upserts
    added: dict[str, list[str]] = defaultdict(list)
    grants: dict[str, tuple[str, ...]] = {}
    for index, item in enumerate(items):
        if item.target != target or item.source_id is None:
            continue
        result = outcome[index]
        if result is None or result.outcome is not Outcome.APPLIED:
            continue
        if item.action is Action.ADD_MEMBER and item.group in granting:
            added[item.source_id].append(item.group)
        elif item.action is Action.CREATE_USER and item.grants:
            grants[item.source_id] = item.grants
    if not grants and not added:
        return upserts
    by_source = {link.source_id: link for link in upserts}
    for source_id in sorted(set(grants) | set(added)):
        base = by_source.get(source_id) or links.get(source_id)
        if base is None:
            continue  # a creation that failed: nothing to remember grants for
        granted, pending = set(base.granted_groups), set(base.pending_groups)
        joined = set(added.get(source_id, ()))
        if source_id in grants:
            new = set(grants[source_id])
            granted |= new & joined
            pending |= new - joined
        confirmed = pending & joined
        granted |= confirmed
        pending -= confirmed
        if granted != base.granted_groups or pending != base.pending_groups:
            by_source[source_id] = replace(base, granted_groups=shared(granted),
                                           pending_groups=shared(pending))
    return [by_source[source_id] for source_id in sorted(by_source)]
