"""Plans and results for the store tests: a small run with every kind of outcome."""

from __future__ import annotations

from datetime import UTC, datetime

from idsync.domain.plan import Action, Change, ItemResult, Outcome, Plan, PlanItem
from idsync.domain.records import Dispute, LeadRole, Reason


def sample_plan(profile: str = "staff", *, source_users: int = 120) -> Plan:
    """Five items across actions: a create, an update with changes, a membership, a lead handover,
    a deactivation."""
    items = (
        PlanItem(Action.CREATE_USER, "jira", Reason("scope", "in app 0oa1"), user="ada", source_id="00u1"),
        PlanItem(
            Action.UPDATE_USER,
            "jira",
            Reason("attributes", "displayName from firstName lastName"),
            user="bob",
            user_key="JIRAUSER2",
            source_id="00u2",
            changes=(Change("displayName", "Bob", "Bob Stone"), Change("active", False, True)),
        ),
        PlanItem(
            Action.ADD_MEMBER, "jira", Reason("groups", "Okta group Engineering"), user="ada", group="eng"
        ),
        PlanItem(
            Action.HAND_OVER_LEAD,
            "jira",
            Reason("leads", "lead of ENG is being deactivated"),
            user="cy",
            lead=LeadRole("project", "ENG", "Engineering", "cy"),
            new_lead="admin",
        ),
        PlanItem(
            Action.DEACTIVATE_USER, "jira", Reason("scope", "00u3 left the app"), user="cy", source_id="00u3"
        ),
    )
    return Plan(
        profile=profile,
        created_at=datetime(2025, 3, 1, 12, 0, tzinfo=UTC),
        items=items,
        source="okta",
        source_users=source_users,
        source_groups=7,
        scope="app 0oa1",
        disputes=(Dispute("dan", ("00u8", "00u9"), "two Okta users map to dan"),),
        managed_users={"jira": 100},
        notes=("group contractors is missing and create_missing is off",),
    )


def sample_results() -> list[ItemResult]:
    """Applied, failed (after retries), skipped; item 4 has no result at all."""
    return [
        ItemResult(0, Outcome.APPLIED, target_key="JIRAUSER1", duration_ms=12.5),
        ItemResult(1, Outcome.FAILED, error="400: displayName too long", attempts=3, duration_ms=40.0),
        ItemResult(2, Outcome.APPLIED, duration_ms=3.0),
        ItemResult(3, Outcome.SKIPPED, error="depends on a failed item", attempts=0),
    ]
