"""The rules as one pure function: a source snapshot and a profile → the desired target state.

Order of decisions for each source user: scope → username (missing → left out and noted) →
fields and custom attributes → groups. Then usernames are compared case-insensitively:
two or more users that would get one username are reported as a dispute and none of them is applied
(reported, never merged). A single-user snapshot (single-user sync) is evaluated like a full one —
so a dispute with another user is still seen — and then only that user is kept.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import replace

from idsync.config.profiles import Profile
from idsync.domain import collector
from idsync.domain.records import (
    DesiredGroup,
    DesiredState,
    DesiredUser,
    Dispute,
    Reason,
    Snapshot,
)
from idsync.rules.attributes import compile_spec, compile_specs
from idsync.rules.groups import ALL_USERS_REASON, NEW_USERS_REASON, compile_groups
from idsync.rules.scope import compile_scope
from idsync.rules.usernames import compile_username_rule


def desired_state(snapshot: Snapshot, profile: Profile) -> DesiredState:
    """What the target should hold according to the profile's rules; raises ConfigError for a rule
    that cannot be applied (e.g. a replacement naming a missing regex group). Runs with the cyclic
    garbage collector paused (`collector`): it builds one record per user and keeps them all."""
    with collector.paused():
        return _desired_state(snapshot, profile)


def _desired_state(snapshot: Snapshot, profile: Profile) -> DesiredState:
    users_rules = profile.users
    make_username = compile_username_rule(users_rules.username)
    email_spec = compile_spec(users_rules.attributes["email"], "users.attributes.email") \
        if "email" in users_rules.attributes else None
    name_spec = compile_spec(users_rules.attributes["display_name"], "users.attributes.display_name") \
        if "display_name" in users_rules.attributes else None
    custom_specs = compile_specs(users_rules.custom_attributes, "users.custom_attributes")
    scope = compile_scope(profile.scope)
    mapper = compile_groups(profile)
    active_statuses = frozenset(users_rules.active_statuses)

    # per source user: the target groups each of their source groups maps to, in group name order
    # (and the groups' names, for a scope that looks at them)
    member_of: dict[str, list[dict[str, Reason]]] = defaultdict(list)
    names_of: dict[str, list[str]] = defaultdict(list)
    by_groups = bool(scope.include or scope.exclude)  # the scope looks at group names at all
    managed: dict[str, DesiredGroup] = {}
    create = profile.groups.create_missing
    made_from: dict[str, set[str]] = defaultdict(set)
    for group in sorted(snapshot.groups.values(), key=lambda g: (g.name, g.id)):
        targets = mapper.targets(group.name)
        for name, reason in targets.items():
            managed.setdefault(name, DesiredGroup(name, create, reason))
            made_from[name].add(group.id)
        for member in group.member_ids:
            member_of[member].append(targets)
        if by_groups:
            for member in group.member_ids:
                names_of[member].append(group.name)
    if profile.groups.mode == "on_the_fly":
        # A target group made from exactly one source group follows that group's id, so a rename in the
        # source is a rename in the target (on targets that store the id). Manual mappings name their
        # target groups themselves: a source rename does not move them.
        for name, sources in made_from.items():
            if len(sources) == 1:
                managed[name] = replace(managed[name], source_id=next(iter(sources)))
    all_users = mapper.defaults(profile.groups.default_groups.all_users, ALL_USERS_REASON)
    for name, reason in all_users.items():
        managed.setdefault(name, DesiredGroup(name, create, reason))
    new_user_groups = mapper.defaults(profile.groups.default_groups.new_users, NEW_USERS_REASON)
    by_target = {
        target: mapper.defaults(names, Reason(
            NEW_USERS_REASON.rule, f"default group for users idsync creates in {target} "
            "(groups.default_groups.new_users_by_target)"))
        for target, names in sorted(profile.groups.default_groups.new_users_by_target.items())
    }

    desired: dict[str, DesiredUser] = {}
    skipped: dict[str, str] = {}
    out_of_scope = 0
    ordered_specs = sorted(custom_specs.items())
    source_users = snapshot.users
    no_groups: list[dict[str, Reason]] = []
    # the updates below meet a person's groups in reverse name order; when every target group has
    # its source group's name and no default group follows them, reversing that is the name order
    # (150,000 people in 750,000 memberships: about 0.2 s less than sorting each person's groups)
    in_order = mapper.names_follow_sources and not all_users
    for user_id in sorted(source_users):  # the snapshot's keys are the users' ids
        user = source_users[user_id]
        groups_of_user = member_of.get(user_id, no_groups)
        in_scope = scope.check(user, names_of.get(user_id, ()) if by_groups else ())
        if in_scope is None:
            out_of_scope += 1
            continue
        username = make_username.username(user)
        if username is None:
            skipped[user.id] = (
                f"source user {user.id} has no value in username attribute "
                f"{users_rules.username.attribute!r} (users.username.attribute): left out"
            )
            continue
        properties: dict[str, str] = {}
        for prop, spec in ordered_specs:
            value = spec.resolve(user)
            if value is not None:
                properties[prop] = value
        groups: dict[str, Reason] = {}
        # the first source group (in name order) that maps to a target group gives its reason:
        # updating in reverse order lets the first one write last (dict.update runs in C; this loop
        # meets every membership of the source)
        for targets in reversed(groups_of_user):
            groups.update(targets)
        for name, reason in all_users.items():
            groups.setdefault(name, reason)
        if len(groups) > 1:
            # in name order: reversing what the updates made (they met the groups last name first)
            # when each target group is named after its source group, else by sorting
            groups = dict(reversed(groups.items())) if in_order else dict(sorted(groups.items()))
        desired[user.id] = DesiredUser(
            source_id=user.id,
            username=username,
            email=email_spec.resolve(user) if email_spec else None,
            display_name=name_spec.resolve(user) if name_spec else None,
            active=user.status in active_statuses,
            properties=properties,
            groups=groups,
            reason=in_scope,
        )

    disputes = _disputes(desired)
    for dispute in disputes:
        for source_id in dispute.source_ids:
            desired.pop(source_id, None)

    if snapshot.single_user is not None:
        only = snapshot.single_user
        desired = {k: v for k, v in desired.items() if k == only}
        disputes = [d for d in disputes if only in d.source_ids]
        skipped = {k: v for k, v in skipped.items() if k == only}

    notes = [*mapper.notes(), *(skipped[k] for k in sorted(skipped))]
    rename_note = mapper.rename_note() if snapshot.single_user is not None else None
    if rename_note is not None:
        notes.append(rename_note)
    return DesiredState(
        users=desired,
        groups=dict(sorted(managed.items())),
        new_user_groups=new_user_groups,
        new_user_groups_by_target=by_target,
        disputes=tuple(disputes),
        out_of_scope=out_of_scope,
        single_user=snapshot.single_user,
        skipped=skipped,
        notes=tuple(notes),
        group_rule=mapper.rule(profile.groups.default_groups.all_users),
    )


def _disputes(desired: dict[str, DesiredUser]) -> list[Dispute]:
    folded = [user.username.casefold() for user in desired.values()]
    if len(set(folded)) == len(folded):
        # the usual case, no two people share a username: one set of the folded names settles it,
        # without a list per name and a sort of all the names (150,000 people: 0.04 s instead of 0.27)
        return []
    shared = {key for key, count in Counter(folded).items() if count > 1}
    by_name: dict[str, list[DesiredUser]] = defaultdict(list)
    for key, user in zip(folded, desired.values(), strict=True):
        if key in shared:
            by_name[key].append(user)
    disputes = []
    for key in sorted(by_name):
        claimants = by_name[key]
        ids = tuple(sorted(u.source_id for u in claimants))
        disputes.append(Dispute(
            username=claimants[0].username,
            source_ids=ids,
            detail=f"source users {', '.join(ids)} would all get username {claimants[0].username!r}; "
            "none of them is synced until the source or users.username is fixed",
        ))
    return disputes
