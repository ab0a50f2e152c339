"""The review-and-apply path in a real browser: Synchronize computes the plan and shows it like the
CLI (by target and action, with counts and reasons), "Apply this plan" applies exactly it with live
progress, history shows the run and a person's timeline says why they are in a group; a plan whose
target changed since it was made is refused and nothing is written."""

from __future__ import annotations

import re
from typing import Any

from tests.server.ui.serving import UI, UiServer


def _compute_plan(page: Any, server: UiServer) -> str:
    page.goto(f"{server.url}{UI}/sync")
    page.get_by_label("Profile", exact=True).select_option("p")
    page.get_by_role("button", name="Compute plan").click()
    page.wait_for_url(re.compile(r".*/ui/plans/[^/]+$"))
    return str(page.url.rsplit("/", 1)[1])


def _apply(page: Any) -> None:
    page.get_by_role("button", name="Apply this plan").click()
    page.wait_for_url(re.compile(r".*/ui/jobs/[^/]+$"))
    page.locator("#job h2").wait_for()  # the progress fragment polls until the job is done


def test_plan_apply_history_and_timeline(admin_page: Any, ui_server: UiServer) -> None:
    page = admin_page
    _compute_plan(page, ui_server)

    created = page.get_by_role("heading", name=re.compile(r"Create users \(\d+\)"))
    assert created.count() == 1
    count = int(re.search(r"\((\d+)\)", created.inner_text()).group(1))  # type: ignore[union-attr]
    assert count > 10
    assert page.get_by_role("heading", name=re.compile(r"^jira")).count() == 1
    assert page.locator(".reason").first.inner_text().startswith("because ")
    assert page.get_by_text(re.compile(r"^Plan: \d+ to create")).count() == 1
    assert len(ui_server.jira.sandbox.state.users) == 1, "planning wrote nothing (Jira has its admin only)"

    _apply(page)
    assert page.locator("#job h2").inner_text() == "Result: succeeded"
    assert page.get_by_text(re.compile(r"Applied \d+ of \d+ items\.")).count() == 1
    assert len(ui_server.jira.sandbox.state.users) == count + 1

    page.get_by_role("link", name=re.compile(r"See run .* in Sync history")).click()
    assert page.get_by_role("heading", level=1).inner_text().startswith("Run ")
    assert "succeeded" in page.locator("dl.facts").inner_text()
    href = page.get_by_role("link", name="Export as JSON").get_attribute("href")
    exported = page.request.get(f"{ui_server.url}{href}")
    assert exported.ok and "attachment" in exported.headers["content-disposition"]
    body = exported.json()
    assert body["status"] == "succeeded" and len(body["items"]) == body["item_count"] > count
    page.get_by_label("Action").select_option("add_member")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url(re.compile(r".*action=add_member.*"))
    actions = page.locator("td[data-label='Action']").all_inner_texts()
    assert actions and set(actions) == {"add_member"}
    person = page.locator("td[data-label='Subject'] a").first.inner_text().split(" ")[0]

    page.goto(f"{ui_server.url}{UI}/runs?profile=p")
    assert page.locator("table.runs tbody tr").count() >= 1
    assert "ui" in page.locator("table.runs tbody tr").first.inner_text()

    page.goto(f"{ui_server.url}{UI}/people?user={person}")
    assert page.get_by_role("heading", name=f"Timeline of {person}").count() == 1
    why = page.locator("section", has=page.get_by_role("heading", name="Groups, and why"))
    assert why.locator("li").count() >= 1 and "because" in why.inner_text()
    assert "create_user" in page.locator("ol.timeline").inner_text()
    assert page.console_errors == []


def test_a_plan_whose_target_changed_since_is_refused(admin_page: Any, ui_server: UiServer) -> None:
    page = admin_page
    state = ui_server.okta.sandbox.state
    uid = sorted(u.id for u in state.users.values() if u.status == "ACTIVE")[0]
    with ui_server.api.client() as api:  # converge first, so the next plan holds only our change
        assert api.post("/profiles/p/sync").json()["status"] in ("succeeded", "no_changes")
    with ui_server.okta.client() as okta:
        okta.post(
            f"/api/v1/users/{uid}", json={"profile": {"displayName": "Renamed In Okta"}}
        ).raise_for_status()
    _compute_plan(page, ui_server)
    subject = page.locator("ul.items li strong").first.inner_text()
    with ui_server.jira.client() as jira:  # an admin edits that user in Jira meanwhile
        jira.put("/rest/api/2/user", params={"username": subject}, json={"displayName": "Hand Edited"})

    _apply(page)

    assert page.locator("#job h2").inner_text() == "Refused: a target changed since the plan was made"
    assert "changed since the plan was made" in page.get_by_role("alert").inner_text()
    user = ui_server.jira.sandbox.state.user_by_name(subject)
    assert user is not None and user.display_name == "Hand Edited", "nothing was written"
    page.get_by_role("link", name="Make a new plan").click()
    assert page.get_by_role("heading", name="Synchronize").count() == 1
    assert page.console_errors == []
