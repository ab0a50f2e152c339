"""Deterministic org generator: the same seed gives the same users, groups, apps and assignments.

Shape (issue "Sandbox"): logins first.last@example.com with collisions resolved like a directory
(first.last2@…), mostly ACTIVE users with some of every other status, department groups holding
everyone of their department, many small team groups (Pareto sizes), a few APP_GROUPs imported
from a directory app, the BUILT_IN Everyone group, and apps with user and group assignments."""

from __future__ import annotations

import random
import unicodedata
from datetime import UTC, datetime, timedelta

from idsync.sandbox.common.clock import Clock
from idsync.sandbox.common.names import DEPARTMENTS, FIRST_NAMES, LAST_NAMES, TEAM_WORDS, TITLES
from idsync.sandbox.okta.model import App, AppGroup, AppUser, Group, User, iso, okta_id
from idsync.sandbox.okta.state import OktaState

_EPOCH = datetime(2021, 1, 1, tzinfo=UTC)
_SPAN_SECONDS = 4 * 365 * 24 * 3600  # created/updated times fall in 2021–2024: before any real "now"
_STATUSES = (
    "ACTIVE",
    "SUSPENDED",
    "DEPROVISIONED",
    "STAGED",
    "PROVISIONED",
    "LOCKED_OUT",
    "PASSWORD_EXPIRED",
)
_STATUS_WEIGHTS = (85, 3, 5, 2, 2, 1.5, 1.5)
_DEPT_WEIGHTS = (30, 15, 8, 12, 5, 3, 6, 2, 5, 3, 4, 2, 3, 2)
_APPS = (
    ("atlassian_jira", "Jira Software"), ("atlassian_confluence", "Confluence"), ("slack", "Slack"),
    ("githubcloud", "GitHub Enterprise"), ("zoomus", "Zoom"), ("salesforce", "Salesforce"),
    ("workday", "Workday"), ("box", "Box"), ("active_directory", "Active Directory"),
)  # fmt: skip


def _ascii(name: str) -> str:
    decomposed = unicodedata.normalize("NFKD", name)
    return "".join(ch for ch in decomposed if ch.isascii() and ch.isalnum()).lower()


def _stamp(rng: random.Random, low: float = 0.0) -> tuple[float, str]:
    offset = rng.uniform(low, _SPAN_SECONDS)
    return offset, iso(_EPOCH + timedelta(seconds=offset))


def generate(
    users: int, groups: int, apps: int, seed: int, clock: Clock, *, memberships: int | None = None
) -> OktaState:
    """Build an org of `users` users, `groups` groups besides Everyone and `apps` apps. `memberships`
    (None: the natural Pareto sizes) scales the team sizes so that all explicit memberships
    (departments + teams, not Everyone) total about that many, keeping their skew."""
    rng = random.Random(seed)
    state = OktaState(clock, random.Random(seed + 1))
    _everyone(state, rng)
    departments = _users(state, rng, users)
    app_list = _apps(state, rng, apps)
    _groups(state, rng, groups, departments, app_list, (memberships, seed))
    _assignments(state, rng, app_list)
    return state


def _everyone(state: OktaState, rng: random.Random) -> None:
    stamp = iso(_EPOCH)
    everyone = Group(
        okta_id("00g", rng),
        "BUILT_IN",
        stamp,
        stamp,
        stamp,
        {"name": "Everyone", "description": "All users in your organization"},
    )
    state.add_group(everyone)
    state.everyone_id = everyone.id


def _users(state: OktaState, rng: random.Random, count: int) -> list[int]:
    """Create the users; returns each user's department index (in user_ids creation order)."""
    first_ascii = {name: _ascii(name) for name in FIRST_NAMES}
    last_ascii = {name: _ascii(name) for name in LAST_NAMES}
    taken: dict[str, int] = {}
    departments: list[int] = []
    dept_indexes = range(len(DEPARTMENTS))
    statuses = rng.choices(_STATUSES, _STATUS_WEIGHTS, k=count)
    depts = rng.choices(dept_indexes, _DEPT_WEIGHTS, k=count)
    ids: set[str] = set()
    for n in range(count):
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        base = f"{first_ascii[first]}.{last_ascii[last]}"
        seen = taken.get(base, 0) + 1
        taken[base] = seen
        login = f"{base}@example.com" if seen == 1 else f"{base}{seen}@example.com"
        user_id = okta_id("00u", rng)
        while user_id in ids:
            user_id = okta_id("00u", rng)
        ids.add(user_id)
        dept = depts[n]
        status = statuses[n]
        created_at, created = _stamp(rng)
        _, updated = _stamp(rng, created_at)
        staged = status == "STAGED"
        profile = {
            "login": login, "email": login, "firstName": first, "lastName": last,
            "displayName": f"{first} {last}", "department": DEPARTMENTS[dept], "title": rng.choice(TITLES),
            "employeeNumber": f"{100000 + n}", "costCenter": f"CC-{1000 + dept * 10 + rng.randrange(10)}",
            "secondEmail": None, "mobilePhone": None,
        }  # fmt: skip
        user = User(
            user_id,
            status,
            created,
            updated,
            profile,
            activated=None if staged else created,
            status_changed=None if staged else updated,
            last_login=None if staged or status == "PROVISIONED" else updated,
            password_changed=None if staged or status == "PROVISIONED" else created,
            has_password=status not in ("STAGED", "PROVISIONED"),
        )
        state.users[user_id] = user
        state.logins[login] = user_id
        departments.append(dept)
    state.user_ids = sorted(state.users)
    return departments


def _apps(state: OktaState, rng: random.Random, count: int) -> list[App]:
    result = []
    for n in range(count):
        name, label = _APPS[n % len(_APPS)]
        if n >= len(_APPS):
            name, label = f"{name}_{n // len(_APPS) + 1}", f"{label} {n // len(_APPS) + 1}"
        created_at, created = _stamp(rng)
        _, updated = _stamp(rng, created_at)
        app = App(okta_id("0oa", rng), name, label, created, updated)
        state.add_app(app)
        result.append(app)
    return result


def _team_sizes(seed: int, teams: int, users: int, total: int) -> list[int]:
    """Skewed team sizes (Pareto weights, each 2..users//5) scaled so they sum to about `total`.
    A separate generator keeps the default org (no `memberships`) byte-for-byte as before."""
    if teams <= 0 or users < 2:
        return [min(users, 2)] * max(teams, 0)
    rng = random.Random(seed * 1_000_003 + 7)
    weights = [rng.paretovariate(1.2) for _ in range(teams)]
    cap = max(2, users // 5)

    def sizes(scale: float) -> list[int]:
        return [min(cap, max(2, round(w * scale))) for w in weights]

    low, high = 0.0, float(cap)  # sizes(high) is all caps: the most the cap allows
    for _ in range(60):  # bisection on the scale; sum(sizes(scale)) grows with it
        middle = (low + high) / 2
        if sum(sizes(middle)) < total:
            low = middle
        else:
            high = middle
    return sizes(high)


def _groups(
    state: OktaState,
    rng: random.Random,
    count: int,
    departments: list[int],
    apps: list[App],
    memberships: tuple[int | None, int] = (None, 0),
) -> None:
    """Department, app and team groups with their members; `memberships` is (target total, seed)."""
    user_list = list(state.users)  # creation order, matching `departments`
    n_dept = min(count, len(DEPARTMENTS))
    n_app = min(count - n_dept, max(1, count // 50)) if apps and count > n_dept else 0
    scaled: list[int] | None = None
    total, seed = memberships
    if total is not None:
        in_departments = sum(1 for dept in departments if dept < n_dept)
        scaled = _team_sizes(seed, count - n_dept, len(user_list), max(0, total - in_departments))
    directory = next((a for a in apps if a.name == "active_directory"), apps[0] if apps else None)
    dept_groups: list[Group] = []
    for index in range(count):
        created_at, created = _stamp(rng)
        _, updated = _stamp(rng, created_at)
        _, member_updated = _stamp(rng, created_at)
        if index < n_dept:
            name = DEPARTMENTS[index]
            group = Group(
                okta_id("00g", rng),
                "OKTA_GROUP",
                created,
                updated,
                member_updated,
                {"name": name, "description": f"Everyone in {name}"},
            )
            dept_groups.append(group)
        elif index < n_dept + n_app and directory is not None:
            word = TEAM_WORDS[index % len(TEAM_WORDS)]
            name = f"ad-{word}-{index}"
            group = Group(
                okta_id("00g", rng),
                "APP_GROUP",
                created,
                updated,
                member_updated,
                {
                    "name": name,
                    "description": f"Imported from {directory.label}",
                    "samAccountName": name,
                    "dn": f"CN={name},OU=Groups,DC=example,DC=com",
                    "windowsDomainQualifiedName": f"EXAMPLE\\{name}",
                    "externalId": okta_id("", rng) + "==",
                },
                source_app_id=directory.id,
            )
        else:
            word = TEAM_WORDS[index % len(TEAM_WORDS)]
            name = f"team-{word}-{index}"
            group = Group(
                okta_id("00g", rng),
                "OKTA_GROUP",
                created,
                updated,
                member_updated,
                {"name": name, "description": f"The {word.capitalize()} team"},
            )
        while group.id in state.groups:
            group.id = okta_id("00g", rng)
        state.groups[group.id] = group
        if index >= n_dept and user_list:
            if scaled is not None:
                size = min(len(user_list), scaled[index - n_dept])
            else:
                size = min(
                    len(user_list), max(2, int(rng.paretovariate(1.2) * 4)), max(2, len(user_list) // 5)
                )
            members = {user_list[i] for i in rng.sample(range(len(user_list)), size)}
        else:
            members = set()
        state.members[group.id] = members
    for position, dept in enumerate(departments):
        if dept < len(dept_groups):
            state.members[dept_groups[dept].id].add(user_list[position])
    for group_id, members in state.members.items():
        for user_id in members:
            state.user_groups.setdefault(user_id, set()).add(group_id)
    state.group_ids = sorted(state.groups)


def _assignments(state: OktaState, rng: random.Random, apps: list[App]) -> None:
    user_list = state.user_ids
    team_groups = [g.id for g in state.groups.values() if g.type == "OKTA_GROUP"]
    for app in apps:
        if user_list:
            direct = rng.sample(
                range(len(user_list)), min(len(user_list), max(1, len(user_list) // 20), 2000)
            )
            for i in sorted(direct):
                user = state.users[user_list[i]]
                state.app_users[app.id][user.id] = AppUser(
                    user.id, user.created, user.last_updated, user.profile["login"]
                )
        if team_groups:
            for group_id in rng.sample(team_groups, min(len(team_groups), rng.randint(1, 3))):
                state.app_groups[app.id][group_id] = AppGroup(group_id, app.last_updated, 0)
