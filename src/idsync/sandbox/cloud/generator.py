"""Deterministic directory data per seed: `users` SCIM users on the first verified domain (some
deactivated), each linked to an Atlassian account, and team groups of skewed sizes as the other
emulators generate them (one per 20 users, each user in one to three), or exactly `groups` groups and
about `memberships` memberships when those options are set (for load tests: 10,000 users in 1,000
groups with 200,000 memberships)."""

from __future__ import annotations

import random
import string
from datetime import datetime, timedelta
from typing import Any

from scim2_models import Email, EnterpriseUser, Name

from idsync.sandbox.atlassian.common.generator import spread_over_teams, team_count, team_name, unique_login
from idsync.sandbox.cloud.models import CORE_USER, ENTERPRISE, CloudUser
from idsync.sandbox.cloud.options import CloudOptions
from idsync.sandbox.cloud.state import CloudState, GroupRecord, UserRecord
from idsync.sandbox.common.names import DEPARTMENTS, FIRST_NAMES, LAST_NAMES, TITLES

DEACTIVATED_SHARE = 0.05


def _extension(extension: EnterpriseUser) -> dict[str, Any]:
    return {"EnterpriseUser": extension}


def generate(options: CloudOptions, now: datetime) -> CloudState:
    """Build the initial state for `options` (same seed → same data, ids included)."""
    rng = random.Random(options.seed)
    state = CloudState(options.seed, options.org_groups)
    domain = options.verified_domains[0]
    seen: dict[str, int] = {}
    records: list[UserRecord] = []
    for _ in range(options.users):
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        login = unique_login(first, last, seen, lambda n: state.user_id_by_name(f"{n}@{domain}") is not None)
        email = f"{login}@{domain}"
        department = rng.choice(DEPARTMENTS)
        active = rng.random() >= DEACTIVATED_SHARE
        # Built without validation (the values are known to be valid): validating 10,000 users
        # through pydantic takes seconds, and a reset regenerates them.
        resource = CloudUser.model_construct(
            schemas=[CORE_USER, ENTERPRISE],
            user_name=email,
            external_id="00u" + "".join(rng.choices(string.ascii_letters + string.digits, k=17)),
            name=Name.model_construct(given_name=first, family_name=last, formatted=f"{first} {last}"),
            display_name=f"{first} {last}",
            title=rng.choice(TITLES),
            emails=[Email.model_construct(value=email, type=Email.Type.work, primary=True)],
            active=active,
            department=department,
            # the extension's field is named after its class, which the type checker cannot see
            **_extension(EnterpriseUser.model_construct(schemas=[], department=department)),
        )
        created = now - timedelta(days=rng.randint(1, 1500), seconds=rng.randint(0, 86399))
        account = state.link_account(email, active)
        record = UserRecord(state.new_id(), resource, account.account_id, created, created)
        state.put_user(record)
        records.append(record)
    group_total = team_count(len(records)) if options.groups is None else options.groups
    teams: list[GroupRecord] = []
    for index in range(group_total):
        created = now - timedelta(days=rng.randint(1, 1500))
        group = GroupRecord(state.new_id(), team_name(index), None, created, created)
        state.add_group(group)
        teams.append(group)
    ids = [r.id for r in records]
    if options.memberships is None:
        spread_over_teams(rng, ids, teams, state.add_member)
    elif teams and ids:
        per_user, extra = divmod(min(options.memberships, len(ids) * len(teams)), len(ids))
        for position, user_id in enumerate(ids):
            for group in rng.sample(teams, per_user + (1 if position < extra else 0)):
                state.add_member(group, user_id)
    return state
