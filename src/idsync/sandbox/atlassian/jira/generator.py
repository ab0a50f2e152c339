"""Deterministic Jira data per seed: an admin who owns the PAT, users (some inactive), the standard
groups jira-software-users and jira-administrators, team groups of skewed sizes, projects with leads
and components with leads. Names come from the shared name lists, so collisions happen and are
resolved like a directory admin would (john.smith, john.smith2, …)."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from idsync.sandbox.atlassian.common.generator import spread_over_teams, team_count, team_name, unique_login
from idsync.sandbox.atlassian.jira.licences import default_roles
from idsync.sandbox.atlassian.jira.options import JiraOptions
from idsync.sandbox.atlassian.jira.state import Component, JiraState, Project, ServiceDesk
from idsync.sandbox.common.names import FIRST_NAMES, LAST_NAMES, TEAM_WORDS

SOFTWARE_USERS = "jira-software-users"
SERVICEDESK_USERS = "jira-servicedesk-users"
"""The default access group of application role jira-servicedesk: its members are agents."""
ADMINISTRATORS = "jira-administrators"
INACTIVE_SHARE = 0.08


def generate(options: JiraOptions, now: datetime) -> JiraState:
    """Build the initial state for `options` (same seed → same data)."""
    rng = random.Random(options.seed)
    state = JiraState(roles=default_roles(options))
    admin = state.add_user(
        options.username,
        "Administrator",
        f"{options.username.lower()}@example.com",
        now - timedelta(days=3650),
        password=options.password,
    )
    software = state.add_group(SOFTWARE_USERS)
    admins = state.add_group(ADMINISTRATORS)
    state.add_member(software, admin)
    state.add_member(admins, admin)

    seen: dict[str, int] = {}
    active_keys: list[str] = []
    for _ in range(options.users):
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        name = unique_login(first, last, seen, lambda n: state.user_by_name(n) is not None)
        created = now - timedelta(days=rng.randint(1, 3000))
        user = state.add_user(
            name, f"{first} {last}", f"{name}@example.com", created, active=rng.random() >= INACTIVE_SHARE
        )
        user.time_zone = rng.choice(("Europe/Berlin", "America/New_York", "Asia/Tokyo", "UTC"))
        state.add_member(software, user)
        if user.active:
            active_keys.append(user.key)
    users = [state.users[k] for k in state.users if k != admin.key]
    for user in rng.sample(users, min(len(users), max(0, len(users) // 200))):
        state.add_member(admins, user)

    teams = [state.add_group(team_name(i)) for i in range(team_count(len(users)))]
    spread_over_teams(rng, users, teams, state.add_member)

    leads = active_keys or [admin.key]
    for i in range(options.projects):
        word = TEAM_WORDS[i % len(TEAM_WORDS)]
        key = word[:4].upper() + (str(i // len(TEAM_WORDS) + 1) if i >= len(TEAM_WORDS) else "")
        project = Project(
            state.next_project_id,
            key,
            f"{word.title()} Project",
            rng.choice(leads),
            description=f"Work of team {word}.",
        )
        state.next_project_id += 1
        state.projects[key] = project
        for part in rng.sample(("Backend", "Frontend", "API", "Docs", "Mobile", "Infra"), rng.randint(2, 4)):
            lead = rng.choice(leads) if rng.random() < 0.7 else None
            component = Component(
                state.next_component_id,
                part,
                key,
                lead,
                assignee_type="COMPONENT_LEAD" if lead else "PROJECT_DEFAULT",
            )
            state.components[component.id] = component
            state.next_component_id += 1
    _service_desks(options, state, admin.key)
    return state


def _service_desks(options: JiraOptions, state: JiraState, admin: str) -> None:
    """A service desk (ids 1, 2, …) on each project of `options.service_desks`, and the agents'
    access group with the admin in it."""
    if not options.service_desks:
        return
    agents = state.add_group(SERVICEDESK_USERS)
    state.add_member(agents, state.users[admin])
    for number, key in enumerate(options.service_desks, start=1):
        project = state.projects.get(key)
        if project is None:
            project = Project(state.next_project_id, key, f"{key} Service Desk", admin)
            state.next_project_id += 1
            state.projects[key] = project
        project.project_type_key = "service_desk"
        state.service_desks[number] = ServiceDesk(number, key)
