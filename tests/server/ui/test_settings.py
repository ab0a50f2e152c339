"""Profile settings in a real browser against `idsync serve` in its own process: edit a username regex
and a group mapping with live previews on what the Okta emulator serves, review the YAML diff, save —
the file changes exactly as the diff showed, comments and `${ENV}` references kept, and the running
server uses the new settings; a bad value is shown at its field with the valid values; a read-only
file offers the diff instead of saving; a file changed meanwhile is not overwritten."""

from __future__ import annotations

import itertools
import os
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.server.ui.a11y import axe_violations
from tests.server.ui.conftest import log_in
from tests.server.ui.serving import UI, UiServer, running_emulators, ui_serving

CONFIG = """\
# idsync for the settings tests: Okta -> Jira
database: {store_url}

connections:
  okta:
    type: okta
    url: {okta_url}
    token: ${{OKTA_TOKEN}}        # from the environment
  jira:
    type: jira
    url: {jira_url}
    token: ${{JIRA_TOKEN}}

profiles:
  p:
    source: okta
    targets: [jira]
    users:
      # logins are e-mail addresses; Jira gets the part before the @
      username: {{attribute: login, regex: "(.*)@.*", replace: "$1"}}
    groups:
      mode: manual
      mapping:
        # engineers get Jira Software
        Engineering: [jira-software-users]
        Sales: [sales]            # the sales team
    safety:
      max_deactivations: 5
"""
SHOTS = Path(__file__).resolve().parents[3] / "screenshots"
"""Where the UI tests leave their screenshots for people to look at (the repository's screenshots/,
ignored by git; the tests never compare them)."""
NARROW = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def ui_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[UiServer]:
    """`idsync serve` over a commented config with a manual group mapping (overrides the conftest's)."""
    workdir = tmp_path_factory.mktemp("settings")
    with running_emulators() as (okta, jira), ui_serving(workdir, okta, jira, config_text=CONFIG) as server:
        yield server
    print((workdir / "serve.log").read_text()[-6000:])


@pytest.fixture
def pristine(ui_server: UiServer) -> Iterator[str]:
    """The config file as the module started it, put back after the test."""
    original = ui_server.config.read_text()
    yield original
    ui_server.config.write_text(original)


def settings(page: Any, server: UiServer, tab: str) -> None:
    page.goto(f"{server.url}{UI}/profiles/p/settings/{tab}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Settings of profile p")


def apply_by_hand(tmp: Path, old: str, diff: str) -> str:
    """What `patch -p1` makes of `old` with `diff`: the file "changed exactly as the diff showed"."""
    (tmp / "idsync.yaml").write_text(old)
    done = subprocess.run(["patch", "-p1", "-d", str(tmp)], input=diff, text=True, capture_output=True,
                          check=False)  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    return (tmp / "idsync.yaml").read_text()


def review_and_save(page: Any) -> str:
    """Review the form, check the diff is shown, save; the diff text as the page showed it."""
    page.get_by_role("button", name="Review the change").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Review the change to profile p")
    diff = "\n".join(page.locator("#diff span").all_inner_texts()) + "\n"
    page.get_by_role("button", name="Save to idsync.yaml").click()
    expect(page.get_by_role("status")).to_contain_text("Saved: the config file changed as the diff showed.")
    return diff


def short_username(login: str) -> str:
    first, rest = login.split("@")[0].split(".", 1)
    return (first[0] + rest).lower()


def test_a_username_regex_with_live_preview_saved_exactly_as_the_diff(
    admin_page: Any, ui_server: UiServer, pristine: str, tmp_path: Path
) -> None:
    page = admin_page
    page.console_errors.clear()  # only this page's errors (the login page's favicon is not ours)
    settings(page, ui_server, "users")
    state = ui_server.okta.sandbox.state
    first = state.users[sorted(state.users)[0]]
    login = str(first.profile["login"])
    preview = page.locator("#username-preview")
    expect(preview.locator("tbody tr").first).to_contain_text(login.split("@")[0].lower())
    expect(preview.locator("tbody tr")).to_have_count(20)

    page.get_by_label("Username regex").fill(r"^(.)[^.]*\.(.*)@.*$")
    page.get_by_label("Username replacement").fill("$1$2")
    expect(preview.locator("tbody tr").first).to_contain_text(short_username(login))
    assert page.console_errors == []

    diff = review_and_save(page)
    assert '-      username: {attribute: login, regex: "(.*)@.*", replace: "$1"}' in diff
    assert '+      username: {attribute: login, regex: "^(.)[^.]*\\\\.(.*)@.*$", replace: "$1$2"}' in diff
    written = ui_server.config.read_text()
    assert written == apply_by_hand(tmp_path, pristine, diff)
    assert "# logins are e-mail addresses; Jira gets the part before the @" in written
    assert "token: ${OKTA_TOKEN}        # from the environment" in written
    assert ui_server.okta.token not in written

    # the running server uses the new rule: test sync maps the person with it
    page.goto(f"{ui_server.url}{UI}/test-sync?connection=okta&login={login}")
    expect(page.locator("table.kv").nth(1)).to_contain_text(short_username(login))


def test_a_group_mapping_edited_as_a_table_with_its_preview(
    admin_page: Any, ui_server: UiServer, pristine: str, tmp_path: Path
) -> None:
    page = admin_page
    settings(page, ui_server, "groups")
    preview = page.locator("#group-preview")
    expect(preview).to_contain_text("jira-software-users")
    page.get_by_label("Target groups, row 1").fill("jira-software-users, developers")
    page.get_by_label("Source group, row 3").fill("Support")
    page.get_by_label("Target groups, row 3").fill("jira-servicedesk-users")
    page.get_by_role("button", name="Add a row to manual group mapping").click()
    page.get_by_label("Source group, new row").fill("Sales")
    page.get_by_label("Target groups, new row").fill("more-sales")
    page.get_by_role("button", name="Read the source again").focus()  # a change event for the last input
    expect(page.locator("#preview .flash.error")).to_contain_text("'Sales' is given twice (rows 2 and 4)")
    page.get_by_role("button", name="Remove source group, new row").click()
    page.get_by_label("Target groups, row 3").press("Tab")
    expect(preview.locator("tr", has_text="Engineering")).to_contain_text("jira-software-users, developers")
    expect(preview.locator("tr", has_text="Support")).to_contain_text("jira-servicedesk-users")

    diff = review_and_save(page)
    assert "-        Engineering: [jira-software-users]" in diff
    assert "+        Engineering: [jira-software-users, developers]" in diff
    assert "+        Support: [jira-servicedesk-users]" in diff
    written = ui_server.config.read_text()
    assert written == apply_by_hand(tmp_path, pristine, diff)
    assert "# engineers get Jira Software" in written
    assert "Sales: [sales]            # the sales team" in written
    settings(page, ui_server, "groups")
    expect(page.get_by_label("Source group, row 3")).to_have_value("Support")


def test_the_on_the_fly_preview_shows_what_include_exclude_and_rename_make(
    admin_page: Any, ui_server: UiServer, pristine: str
) -> None:
    page = admin_page
    settings(page, ui_server, "groups")
    page.get_by_label("Group mapping mode").select_option("on_the_fly")
    page.get_by_label("Include source groups (on the fly)").fill("^S")
    page.get_by_label("Exclude source groups (on the fly)").fill("^Sales$")
    page.get_by_label("Regex on the source group name").fill("^(.*)$")
    page.get_by_label("Becomes").fill("okta-$1")
    preview = page.locator("#group-preview")
    expect(preview.locator("tr", has_text="Support")).to_contain_text("okta-Support")
    expect(preview.locator("tbody")).not_to_contain_text("Sales")
    names = sorted(str(g.profile["name"]) for g in ui_server.okta.sandbox.state.groups.values())
    shown = [row.split("\t")[0] for row in preview.locator("tbody tr").all_inner_texts()]
    assert shown == sorted((n for n in names if n.startswith("S") and n != "Sales"), key=str.casefold)
    assert ui_server.config.read_text() == pristine  # previews write nothing


def test_a_bad_value_is_shown_at_its_field_with_what_is_valid_and_nothing_is_saved(
    admin_page: Any, ui_server: UiServer, pristine: str
) -> None:
    page = admin_page
    settings(page, ui_server, "users")
    page.get_by_label("Username replacement").fill("$3")
    page.get_by_role("button", name="Review the change").click()
    error = page.locator("#f-users-username-replace-error")
    expect(error).to_contain_text("'$3' in '$3' refers to no group of regex '(.*)@.*'; valid: $0..$1")
    expect(page.get_by_label("Username replacement")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("Username replacement")).to_have_value("$3")  # what was typed stays
    expect(page.locator("#problems")).to_contain_text("Nothing was saved")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "settings-error-1280.png"), full_page=True)

    settings(page, ui_server, "safety")
    page.get_by_label("Most deactivations per run").fill("lots")
    page.get_by_role("button", name="Review the change").click()
    expect(page.locator("#f-safety-max_deactivations-error")).to_contain_text(
        "input should be a valid integer, unable to parse string as an integer, got 'lots'"
    )
    assert ui_server.config.read_text() == pristine


@pytest.fixture
def read_only_config(ui_server: UiServer) -> Iterator[Path]:
    """The server's config file made unwritable for the server (the immutable attribute for root,
    whom file modes do not stop)."""
    path = ui_server.config
    root = os.geteuid() == 0
    if root:
        made = subprocess.run(["chattr", "+i", str(path)], capture_output=True, check=False)
        if made.returncode != 0:
            pytest.skip(f"cannot make the config immutable here: {made.stderr!r}")
    else:
        path.chmod(0o444)
    try:
        yield path
    finally:
        if root:
            subprocess.run(["chattr", "-i", str(path)], check=True)
        else:
            path.chmod(0o644)


def test_a_read_only_config_offers_the_diff_to_apply_instead_of_saving(
    admin_page: Any, ui_server: UiServer, pristine: str, read_only_config: Path, tmp_path: Path
) -> None:
    page = admin_page
    settings(page, ui_server, "safety")
    expect(page.locator("#read-only")).to_contain_text(f"{read_only_config} is not writable")
    page.get_by_label("Most deletions per run").fill("3")
    page.get_by_label("Protected users").fill("admin\nsvc-backup")
    page.get_by_role("button", name="Review the change").click()
    expect(page.locator("#read-only")).to_contain_text("Apply this diff where the file is deployed from")
    assert page.get_by_role("button", name=re.compile("Save")).count() == 0
    diff = page.get_by_label("The diff as text, to copy").input_value()
    assert "+      max_deletions: 3\n" in diff and "+      protected_users: [admin, svc-backup]\n" in diff
    assert read_only_config.read_text() == pristine
    expected = apply_by_hand(tmp_path, pristine, diff)
    assert "max_deletions: 3" in expected and "# the sales team" in expected
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "settings-read-only-review-1280.png"), full_page=True)


def test_a_file_changed_since_the_review_is_not_overwritten(
    admin_page: Any, ui_server: UiServer, pristine: str
) -> None:
    page = admin_page
    settings(page, ui_server, "schedule")
    page.get_by_label("Interval").fill("15m")
    page.get_by_role("button", name="Review the change").click()
    expect(page.locator("#diff")).to_contain_text("+    schedule:")
    changed = pristine + "# edited by a deploy meanwhile\n"
    ui_server.config.write_text(changed)
    page.get_by_role("button", name="Save to idsync.yaml").click()
    expect(page.get_by_role("alert")).to_contain_text("changed since these settings were loaded")
    assert ui_server.config.read_text() == changed
    # the page now shows the file as it is; a change made meanwhile again refuses the review too
    page.get_by_label("Interval").fill("30m")
    ui_server.config.write_text(changed + "# and again\n")
    page.get_by_role("button", name="Review the change").click()
    expect(page.get_by_role("alert")).to_contain_text("changed since these settings were loaded")
    assert ui_server.config.read_text() == changed + "# and again\n"


def test_unknown_profiles_and_tabs_name_the_valid_ones(ui_server: UiServer) -> None:
    with ui_server.logged_in() as client:
        missing = client.get(f"{UI}/profiles/nope/settings")
        assert missing.status_code == 404 and "no profile named &#39;nope&#39;; valid: p" in missing.text
        bogus = client.get(f"{UI}/profiles/p/settings/bogus")
        assert bogus.status_code == 404
        valid = "valid: groups, leads, safety, schedule, users"
        assert f"no settings tab named &#39;bogus&#39;; {valid}" in bogus.text
        assert client.get(f"{UI}/profiles/p/settings").status_code == 200
        anonymous = ui_server.anonymous().get(f"{UI}/profiles/p/settings/users")
        assert anonymous.status_code == 303  # the login gate


def test_pages_are_accessible_keyboard_reachable_and_screenshotted(
    browser: Any, ui_server: UiServer, pristine: str
) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    for name, viewport in (("1280", {"width": 1280, "height": 800}), ("390", NARROW)):
        context = browser.new_context(viewport=viewport)
        page = context.new_page()
        page.set_default_timeout(30_000)
        log_in(page, ui_server)
        for tab in ("users", "groups", "leads", "safety", "schedule"):
            settings(page, ui_server, tab)
            if tab in ("users", "groups"):
                expect(page.locator("#preview table")).to_be_visible()
            assert axe_violations(page) == [], tab
            headings = page.locator("main h1, main h2, main h3")
            levels = headings.evaluate_all("hs => hs.map(h => +h.tagName[1])")
            assert levels[0] == 1 and all(b - a <= 1 for a, b in itertools.pairwise(levels)), (tab, levels)
            unlabelled = page.evaluate(
                "() => [...document.querySelectorAll("
                "'main input:not([type=hidden]), main select, main textarea')]"
                ".filter(e => !e.labels || e.labels.length === 0).map(e => e.name)"
            )
            assert unlabelled == [], tab
            page.screenshot(path=str(SHOTS / f"settings-{tab}-{name}.png"), full_page=True)
        # keyboard only: Tab reaches the submit button and Enter on it opens the review
        settings(page, ui_server, "safety")
        page.get_by_label("Most deletions per run").fill("4")
        for _ in range(40):
            page.keyboard.press("Tab")
            if page.evaluate("document.activeElement.textContent") == "Review the change":
                break
        page.keyboard.press("Enter")
        expect(page.get_by_role("heading", level=1)).to_have_text("Review the change to profile p")
        assert axe_violations(page) == []
        page.screenshot(path=str(SHOTS / f"settings-review-{name}.png"), full_page=True)
        context.close()
    assert ui_server.config.read_text() == pristine
