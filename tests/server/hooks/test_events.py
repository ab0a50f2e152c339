"""What each delivered Okta event asks for (pure: no servers), the hook URL, and the config keys."""

from __future__ import annotations

from pathlib import Path

import pytest

from idsync.config.loader import ConfigFileError, parse_config
from idsync.service.hooks import ALL, EVENT_TYPES, OktaHooks, events_of, hook_uri
from idsync.store import Store

USER = {"id": "00u1", "type": "User", "alternateId": "a@example.com"}
GROUP = {"id": "00g1", "type": "UserGroup", "displayName": "team-eng"}


def _envelope(*events: dict[str, object]) -> dict[str, object]:
    return {"eventType": "com.okta.event_hook", "eventId": "e1", "data": {"events": list(events)}}


@pytest.mark.parametrize(
    ("event_type", "targets", "key"),
    [
        ("user.lifecycle.suspend", [USER], ("user", "00u1")),
        ("user.account.update_profile", [USER], ("user", "00u1")),
        ("group.user_membership.add", [GROUP, USER], ("user", "00u1")),  # the User target, in any order
        ("group.user_membership.remove", [USER, GROUP], ("user", "00u1")),  # the target reports groups
        ("application.user_membership.remove", [USER], ("user", "00u1")),
        ("group.lifecycle.create", [GROUP], ALL),
        ("group.profile.update", [GROUP], ALL),
        ("user.lifecycle.delete.initiated", [USER], ALL),
        ("user.session.start", [USER], None),
        ("user.lifecycle.suspend", [GROUP], None),  # no user named: nothing to sync
    ],
)
def test_each_event_type_maps_to_its_sync(event_type: str, targets: list[object], key: object) -> None:
    (event,) = events_of(_envelope({"uuid": "u1", "eventType": event_type, "target": targets}))
    assert (event.uuid, event.key) == ("u1", key)


def test_malformed_deliveries_give_no_events_and_events_without_uuid_get_one() -> None:
    assert events_of({"data": "nope"}) == [] and events_of([1, 2]) == [] and events_of(None) == []
    events = events_of(_envelope("junk", {"eventType": "user.lifecycle.activate", "target": [USER]}))  # type: ignore[arg-type]
    assert [e.uuid for e in events] == ["e1#1"]


def test_every_subscribed_event_type_is_acted_on() -> None:
    for event_type in EVENT_TYPES:
        (event,) = events_of(_envelope({"uuid": "u", "eventType": event_type, "target": [USER, GROUP]}))
        assert event.key is not None, event_type


def test_leaving_a_group_reconciles_in_full_where_a_target_cannot_report_user_groups(tmp_path: Path) -> None:
    text = """
connections:
  okta: {type: okta, url: https://x.okta.com, token: t}
  jira: {type: jira, url: https://jira.example.com, token: t}
  crowd: {type: crowd, url: https://crowd.example.com, application: a, password: p}
  bitbucket: {type: bitbucket, url: https://bitbucket.example.com, token: t}
profiles:
  atlassian: {source: okta, targets: [jira, crowd]}
  code: {source: okta, targets: [jira, bitbucket]}
"""
    config = parse_config(text, base_dir=tmp_path, env={})
    with Store.open(f"sqlite:///{tmp_path / 'idsync.db'}") as store:
        hooks = OktaHooks(config, store)
        for event_type in ("group.user_membership.remove", "application.user_membership.remove"):
            (left,) = events_of(_envelope({"uuid": "u", "eventType": event_type, "target": [USER, GROUP]}))
            assert hooks.key_for("atlassian", left) == ("user", "00u1")
            assert hooks.key_for("code", left) == ALL  # Bitbucket cannot report a user's groups
        (joined,) = events_of(_envelope({"uuid": "v", "eventType": "group.user_membership.add",
                                         "target": [USER, GROUP]}))
        assert hooks.key_for("code", joined) == ("user", "00u1")


def test_hook_uri_appends_the_receiver_path_once() -> None:
    assert hook_uri("https://idsync.example.com/", "okta-prod") == "https://idsync.example.com/hooks/okta/okta-prod"
    full = "https://idsync.example.com/hooks/okta/okta-prod"
    assert hook_uri(full, "okta-prod") == full


@pytest.mark.parametrize(
    ("hooks", "message"),
    [
        ("{secret: short}", "event_hooks.secret: must be at least 16 characters"),
        ("{secret: 0123456789abcdef0123, header: Accept}", "'Accept' is a header Okta sets itself"),
        ("{secret: 0123456789abcdef0123, header: 'bad header'}", "must be an HTTP header name"),
        ("{header: X-Hook}", "event_hooks.secret"),
    ],
)
def test_event_hooks_config_is_checked(tmp_path: Path, hooks: str, message: str) -> None:
    text = f"connections:\n  okta: {{type: okta, url: https://x.okta.com, token: t, event_hooks: {hooks}}}\n"
    with pytest.raises(ConfigFileError) as raised:
        parse_config(text, base_dir=tmp_path, env={})
    assert message in str(raised.value)
    assert "0123456789abcdef0123" not in str(raised.value), "the secret is never echoed"


def test_expires_at_is_a_date_on_any_connection(tmp_path: Path) -> None:
    text = "connections:\n  push: {type: scim_inbound, expires_at: 2027-11-30}\n"
    assert str(parse_config(text, base_dir=tmp_path, env={}).connections["push"].expires_at) == "2027-11-30"
    with pytest.raises(ConfigFileError, match="expires_at"):
        parse_config(text.replace("2027-11-30", "soon"), base_dir=tmp_path, env={})
