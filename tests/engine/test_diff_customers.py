"""The service-desk customer diff, scenario by scenario, on plain records: who is looked up, who is
created, added, left alone or removed — and the rules that pick the desired customers."""

from __future__ import annotations

from datetime import UTC, datetime

from idsync.config.profiles import Profile
from idsync.domain.customers import (
    AccountQuery,
    Accounts,
    CustomerAccount,
    CustomerLink,
    DesiredCustomer,
    DesiredCustomers,
    ServiceDesk,
)
from idsync.domain.plan import Action, ItemResult, Outcome, PlanItem
from idsync.domain.records import (
    DesiredState,
    DesiredUser,
    Dispute,
    Reason,
    Snapshot,
    SourceGroup,
    SourceUser,
)
from idsync.engine.diff_customers import account_query, diff_customers, updated_customer_links
from idsync.rules.customers import desired_customers

T = "jsm"
WHY = Reason("service_desks.mapping", "member of source group 'customers' mapped to service desk ITH")


def person(sid: str, *desks: str) -> DesiredCustomer:
    """A desired customer `sid` (e-mail sid@example.com) of `desks`."""
    return DesiredCustomer(sid, f"{sid}@example.com", sid.title(), {d: WHY for d in desks})


def wanted(
    *customers: DesiredCustomer, desks: tuple[str, ...] = ("ITH",), **extra: object
) -> DesiredCustomers:
    """The desired customers of the mapped `desks`."""
    return DesiredCustomers({c.source_id: c for c in customers}, frozenset(desks), **extra)  # type: ignore[arg-type]


def desk(key: str = "ITH", *customers: str, listed: bool = True) -> dict[str, ServiceDesk | None]:
    """One desk with these customer accounts (None: the server cannot list them)."""
    return {key: ServiceDesk(key, "1", key, frozenset(customers) if listed else None)}


def portal(account: str, email: str) -> CustomerAccount:
    """A portal-only account."""
    return CustomerAccount(account, email, None, licensed=False)


def agent(account: str, email: str) -> CustomerAccount:
    """An account with application access."""
    return CustomerAccount(account, email, None, licensed=True, detail="application access: jira-servicedesk")


def link(sid: str, account: str, *desks: str) -> CustomerLink:
    """idsync manages `sid` as `account`, and added it to `desks`."""
    return CustomerLink(sid, account, f"{sid}@example.com", frozenset(desks))


def actions(result_items: tuple[PlanItem, ...]) -> list[tuple[Action, str | None, str | None, str | None]]:
    """(action, e-mail, desk, account) of each item."""
    return [(i.action, i.user, i.group, i.user_key) for i in result_items]


def test_a_new_person_is_looked_up_by_email_created_and_added() -> None:
    desired = wanted(person("ann", "ITH"))
    desks = desk()

    query = account_query(desired, desks, {})
    result = diff_customers(desired, desks, Accounts({"ann@example.com": ()}), {}, T)

    assert query == AccountQuery(frozenset({"ann@example.com"}), frozenset())
    assert actions(result.items) == [
        (Action.CREATE_CUSTOMER, "ann@example.com", None, None),
        (Action.ADD_CUSTOMER, "ann@example.com", "ITH", None),
    ]
    assert result.items[1].reason == WHY


def test_an_existing_portal_only_account_is_added_by_account() -> None:
    desired = wanted(person("ann", "ITH"))
    accounts = Accounts({"ann@example.com": (portal("qm:1", "ann@example.com"),)})

    result = diff_customers(desired, desk(), accounts, {}, T)

    assert actions(result.items) == [(Action.ADD_CUSTOMER, "ann@example.com", "ITH", "qm:1")]


def test_an_agent_is_never_made_a_customer() -> None:
    desired = wanted(person("carl", "ITH"))
    accounts = Accounts({"carl@example.com": (agent("carl", "carl@example.com"),)})

    result = diff_customers(desired, desk(), accounts, {}, T)

    assert result.items == ()
    assert any("carl" in n and "agent or licensed" in n and "jira-servicedesk" in n for n in result.notes)


def test_two_accounts_with_one_email_are_left_alone() -> None:
    desired = wanted(person("ann", "ITH"))
    accounts = Accounts({"ann@example.com": (portal("a", "ann@example.com"), portal("b", "ann@example.com"))})

    result = diff_customers(desired, desk(), accounts, {}, T)

    assert result.items == () and any("2 accounts" in n for n in result.notes)


def test_a_linked_customer_on_the_desk_costs_no_read_and_no_item() -> None:
    desired = wanted(person("ann", "ITH"))
    links = {"ann": link("ann", "qm:1", "ITH")}
    desks = desk("ITH", "qm:1")

    assert account_query(desired, desks, links) == AccountQuery()
    assert diff_customers(desired, desks, Accounts(), links, T).items == ()


def test_someone_already_a_customer_is_linked_without_a_desk_of_idsync() -> None:
    desired = wanted(person("ann", "ITH"))
    accounts = Accounts({"ann@example.com": (portal("qm:1", "ann@example.com"),)})

    result = diff_customers(desired, desk("ITH", "qm:1"), accounts, {}, T)

    assert result.items == ()
    assert result.link_upserts == (CustomerLink("ann", "qm:1", "ann@example.com", frozenset()),)


def test_leaving_the_group_removes_only_desks_idsync_added() -> None:
    links = {"ann": link("ann", "qm:1", "ITH"), "bob": link("bob", "qm:2")}
    desks = desk("ITH", "qm:1", "qm:2")
    desired = wanted()

    query = account_query(desired, desks, links)
    accounts = Accounts(by_account={"qm:1": portal("qm:1", "ann@example.com")})
    result = diff_customers(desired, desks, accounts, links, T)

    assert query == AccountQuery(frozenset(), frozenset({"qm:1"}))
    assert actions(result.items) == [(Action.REMOVE_CUSTOMER, "ann@example.com", "ITH", "qm:1")]
    assert result.link_deletes == ("bob",), "bob was on the desk, but idsync never added him"


def test_someone_made_an_agent_since_is_not_removed_and_no_longer_managed() -> None:
    links = {"ann": link("ann", "ann", "ITH")}
    accounts = Accounts(by_account={"ann": agent("ann", "ann@example.com")})

    result = diff_customers(wanted(), desk("ITH", "ann"), accounts, links, T)

    assert result.items == ()
    assert result.link_deletes == ("ann",)
    assert any("now an agent" in n for n in result.notes)


def test_a_desk_that_cannot_list_customers_gets_adds_but_no_removal() -> None:
    links = {"ann": link("ann", "ann@example.com", "ITH")}
    desks = desk(listed=False)

    query = account_query(wanted(), desks, links)
    result = diff_customers(wanted(), desks, Accounts(), links, T)

    assert query == AccountQuery()
    assert result.items == () and result.link_upserts == () and result.link_deletes == ()
    assert any("no way to list or remove" in n for n in result.notes)


def test_without_listing_an_unlinked_person_is_added_and_then_trusted() -> None:
    desired = wanted(person("ann", "ITH"))
    desks = desk(listed=False)
    accounts = Accounts({"ann@example.com": (portal("ann@example.com", "ann@example.com"),)})

    first = diff_customers(desired, desks, accounts, {}, T)
    linked = {"ann": link("ann", "ann@example.com", "ITH")}

    assert actions(first.items) == [(Action.ADD_CUSTOMER, "ann@example.com", "ITH", "ann@example.com")]
    assert account_query(desired, desks, linked) == AccountQuery()
    assert diff_customers(desired, desks, Accounts(), linked, T).items == ()


def test_an_admin_removal_from_a_desk_idsync_manages_is_undone() -> None:
    desired = wanted(person("ann", "ITH"))
    links = {"ann": link("ann", "qm:1", "ITH")}
    desks = desk("ITH")
    query = account_query(desired, desks, links)
    accounts = Accounts({"ann@example.com": (portal("qm:1", "ann@example.com"),)},
                        {"qm:1": portal("qm:1", "ann@example.com")})

    result = diff_customers(desired, desks, accounts, links, T)

    assert query == AccountQuery(frozenset({"ann@example.com"}), frozenset({"qm:1"}))
    assert actions(result.items) == [(Action.ADD_CUSTOMER, "ann@example.com", "ITH", "qm:1")]


def test_held_desks_and_hands_off_people_lose_nothing() -> None:
    links = {"ann": link("ann", "qm:1", "ITH"), "bob": link("bob", "qm:2", "ITH")}
    desks = desk("ITH", "qm:1", "qm:2")
    accounts = Accounts(by_account={"qm:1": portal("qm:1", "a"), "qm:2": portal("qm:2", "b")})

    held = diff_customers(wanted(held=frozenset({"ITH"})), desks, accounts, links, T)
    hands_off = diff_customers(wanted(hands_off=frozenset({"ann", "bob"})), desks, accounts, links, T)

    assert held.items == () and hands_off.items == ()


def test_a_single_user_run_touches_only_that_person() -> None:
    links = {"ann": link("ann", "qm:1", "ITH"), "bob": link("bob", "qm:2", "ITH")}
    desks = desk("ITH", "qm:1", "qm:2")
    accounts = Accounts(by_account={"qm:1": portal("qm:1", "a"), "qm:2": portal("qm:2", "b")})

    result = diff_customers(wanted(single_user="bob"), desks, accounts, links, T)

    assert [(i.action, i.source_id) for i in result.items] == [(Action.REMOVE_CUSTOMER, "bob")]


def test_a_desk_dropped_from_the_mapping_is_let_go() -> None:
    links = {"ann": link("ann", "qm:1", "ITH", "OLD")}
    desired = wanted(person("ann", "ITH"))

    result = diff_customers(desired, desk("ITH", "qm:1"), Accounts(), links, T)

    assert result.items == ()
    assert result.link_upserts == (link("ann", "qm:1", "ITH"),)
    assert any("OLD is no longer mapped" in n for n in result.notes)


def test_equal_inputs_give_equal_items() -> None:
    desired = wanted(person("bob", "ITH", "HR"), person("ann", "ITH", "HR"), desks=("ITH", "HR"))
    desks = {**desk("ITH"), **desk("HR")}
    accounts = Accounts({"ann@example.com": (), "bob@example.com": ()})

    assert diff_customers(desired, desks, accounts, {}, T) == diff_customers(desired, desks, accounts, {}, T)


def test_links_after_apply_record_desks_and_forget_people_with_none() -> None:
    items = (
        PlanItem(Action.CREATE_CUSTOMER, T, WHY, user="ann@example.com", source_id="ann"),
        PlanItem(Action.ADD_CUSTOMER, T, WHY, user="ann@example.com", source_id="ann", group="ITH"),
        PlanItem(Action.ADD_CUSTOMER, T, WHY, user="ann@example.com", source_id="ann", group="HR"),
        PlanItem(Action.REMOVE_CUSTOMER, T, WHY, user="bob@example.com", user_key="qm:2", source_id="bob",
                 group="ITH"),
    )
    results = [ItemResult(0, Outcome.APPLIED, target_key="qm:1"),
               ItemResult(1, Outcome.APPLIED, target_key="qm:1"),
               ItemResult(2, Outcome.FAILED, error="boom"),
               ItemResult(3, Outcome.APPLIED, target_key="qm:2")]
    links = {"bob": link("bob", "qm:2", "ITH")}

    upserts, deletes = updated_customer_links(items, results, links, T, frozenset({"ann"}))

    assert upserts == [CustomerLink("ann", "qm:1", "ann@example.com", frozenset({"ITH"}))]
    assert deletes == ["bob"]


# --- the rules -----------------------------------------------------------------------------------

PROFILE = Profile.model_validate({
    "source": "okta",
    "service_desks": {"connection": "jira", "mapping": {"customers": ["ITH"], "vendors": ["HR"]}},
    "safety": {"protected_users": ["boss"]},
})


def _desired_user(sid: str, *, active: bool = True, email: str | None = "x@example.com") -> DesiredUser:
    return DesiredUser(sid, sid, email, sid, active, {}, {}, Reason("scope", "in"))


def test_rules_pick_active_members_with_email_and_hold_back_missing_groups() -> None:
    users = {sid: SourceUser(sid, "ACTIVE", {}) for sid in ("ann", "bob", "eve", "boss", "dan")}
    snapshot = Snapshot("okta", users, {"g1": SourceGroup("g1", "Customers", frozenset(users))},
                        datetime.now(UTC))
    desired = DesiredState(
        users={"ann": _desired_user("ann"), "bob": _desired_user("bob", active=False),
               "eve": _desired_user("eve", email=None), "boss": _desired_user("boss"),
               "dan": _desired_user("dan")},
        groups={}, disputes=(Dispute("dan", ("dan",), "two"),),
    )

    result = desired_customers(snapshot, desired, PROFILE)

    assert set(result.customers) == {"ann", "dan"}
    assert result.customers["ann"].desks == {"ITH": Reason(
        "service_desks.mapping", "member of source group 'Customers' mapped to service desk ITH")}
    assert result.hands_off == {"eve", "boss", "dan"}
    assert result.held == {"HR"}, "group 'vendors' was not in the read"
    assert any("eve" in n and "no e-mail" in n for n in result.notes)


def test_a_person_the_plan_creates_a_user_for_is_judged_next_run() -> None:
    desired = wanted(person("ann", "ITH"), pending=frozenset({"ann"}))

    result = diff_customers(desired, desk(), Accounts({"ann@example.com": ()}), {}, T)

    assert result.items == ()
    assert any("gets a user in jsm from this plan" in n for n in result.notes)
