"""Okta Event Hooks: real-time syncs in pull mode, and registering the hook through the Okta API.

Okta POSTs batches of System Log events to `/hooks/okta/<connection>` of `idsync serve`
(`idsync.server.hooks` checks the shared secret and answers at once); this module decides what each
event means and queues the syncs on a `Provisioner` with trigger "hook":

    user lifecycle, status and profile events      → a single-user sync of that user (by Okta id)
    a user added to or removed from a group or the
    app                                            → that user's sync
    a group created, renamed or deleted, a group
    assigned to or removed from an app, a user
    deleted (Okta then has no user to read)        → a full reconcile of the profile

A single-user read of Okta names only the groups the user is in now; the run sees a group the user
left because the target reports the user's current groups (`Capabilities.user_groups`). A profile
with a target that cannot (Bitbucket) reconciles in full on a removal instead.

for every profile whose source is that connection. Okta delivers at least once and may repeat an
event: events are remembered by their `uuid` (a bounded window per connection) and a repeat is
dropped; a user already queued is not queued twice. Anything a hook misses — idsync down, a delivery
Okta gave up on, a duplicate window that rolled over — is caught by the next scheduled run, which
reads Okta in full.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any
from urllib.parse import quote

import structlog

from idsync import metrics
from idsync.config.connections import EventHooks, OktaConnection
from idsync.config.model import IdsyncConfig
from idsync.connectors import target_capabilities
from idsync.domain.errors import BadRequestError, ConfigError, ConnectorError
from idsync.service.provisioning import ALL, Key, Provisioner, user_key
from idsync.sources.okta.client import OktaClient
from idsync.store import Store

log = structlog.get_logger(__name__)

USER_EVENTS = frozenset({
    "user.lifecycle.create",
    "user.lifecycle.activate",
    "user.lifecycle.deactivate",
    "user.lifecycle.reactivate",
    "user.lifecycle.suspend",
    "user.lifecycle.unsuspend",
    "user.account.update_profile",
    "user.account.lock",
    "user.account.unlock",
    "user.account.reset_password",
    "user.account.expire_password",
    "group.user_membership.add",
    "group.user_membership.remove",
    "application.user_membership.add",
    "application.user_membership.update",
    "application.user_membership.remove",
})  # fmt: skip
"""Events about one user: that user's sync (membership and assignment events name the user too)."""
LEFT_GROUP_EVENTS = frozenset({"group.user_membership.remove", "application.user_membership.remove"})
"""A user left a group or the app. The single-user run sees the group they left through the target's
report of the user's groups; for a profile with a target that cannot report them these reconcile in
full (the Okta membership cache keeps that to the changed group's members)."""
RECONCILE_EVENTS = frozenset({
    "user.lifecycle.delete.initiated",
    "group.lifecycle.create",
    "group.lifecycle.delete",
    "group.profile.update",
    "group.application_assignment.add",
    "group.application_assignment.remove",
    "group.application_assignment.update",
})  # fmt: skip
"""Events a single-user sync cannot carry out: a full reconcile."""
EVENT_TYPES = tuple(sorted(USER_EVENTS | RECONCILE_EVENTS))
"""What `register` subscribes the hook to (all are Event Hook eligible in Okta's catalogue)."""
HOOK_PATH = "/hooks/okta/{connection}"
SEEN_PER_CONNECTION = 50_000
"""Event uuids remembered per connection for dropping repeats (~4 MB): hours of a busy org's events."""


def hook_connections(config: IdsyncConfig) -> dict[str, EventHooks]:
    """The Okta connections that receive Event Hooks, with their settings."""
    return {
        name: conn.event_hooks
        for name, conn in sorted(config.connections.items())
        if isinstance(conn, OktaConnection) and conn.event_hooks is not None
    }


@dataclass(frozen=True, slots=True)
class HookEvent:
    """One System Log event of a delivery, reduced to what idsync does about it."""

    uuid: str
    event_type: str
    key: Key | None
    """The sync it asks for: ("user", okta id), ALL, or None (an event idsync does not act on)."""


def events_of(envelope: Any) -> list[HookEvent]:
    """The events of one delivery (Okta's `com.okta.event_hook` envelope). Malformed parts are
    skipped, never guessed at: the next scheduled run covers them."""
    data = envelope.get("data") if isinstance(envelope, Mapping) else None
    raw = data.get("events") if isinstance(data, Mapping) else None
    if not isinstance(raw, list):
        return []
    envelope_id = str(envelope.get("eventId") or "")
    found: list[HookEvent] = []
    for index, event in enumerate(raw):
        if not isinstance(event, Mapping):
            continue
        event_type = str(event.get("eventType") or "")
        uuid = str(event.get("uuid") or f"{envelope_id}#{index}")
        found.append(HookEvent(uuid, event_type, _key(event_type, event.get("target"))))
    return found


def _key(event_type: str, targets: Any) -> Key | None:
    if event_type in RECONCILE_EVENTS:
        return ALL
    if event_type not in USER_EVENTS or not isinstance(targets, list):
        return None
    # Okta documents no order of the targets: the user is the one of type "User".
    for target in targets:
        if isinstance(target, Mapping) and target.get("type") == "User" and target.get("id"):
            return user_key(str(target["id"]))
    return None


@dataclass(frozen=True, slots=True)
class Accepted:
    """What one delivery led to (counts of its events)."""

    connection: str
    events: int
    queued: int
    duplicates: int
    coalesced: int
    ignored: int

    def to_dict(self) -> dict[str, Any]:
        """JSON form, for logs and tests."""
        return asdict(self)


class OktaHooks:
    """Turns delivered events into queued syncs; one per server, over all hook connections."""

    def __init__(
        self,
        config: IdsyncConfig,
        store: Store,
        *,
        provisioner: Provisioner | None = None,
        seen_per_connection: int = SEEN_PER_CONNECTION,
    ) -> None:
        self.config = config
        self.connections = hook_connections(config)
        self.provisioner = provisioner or Provisioner(config, store, trigger="hook")
        self._seen: dict[str, OrderedDict[str, None]] = {name: OrderedDict() for name in self.connections}
        self._capacity = seen_per_connection
        self._sees_left_groups: dict[str, bool] = {}

    def profiles_for(self, connection: str) -> list[str]:
        """The profiles an event of `connection` syncs."""
        return self.provisioner.profiles_for(connection)

    def key_for(self, profile: str, event: HookEvent) -> Key | None:
        """The sync `event` asks of `profile`: a user who left a group reconciles in full when one of
        the profile's targets cannot report a user's groups (a single-user run could not see it)."""
        if event.event_type not in LEFT_GROUP_EVENTS or event.key in (None, ALL):
            return event.key
        sees = self._sees_left_groups.get(profile)
        if sees is None:
            targets = self.config.profiles[profile].targets
            sees = self._sees_left_groups[profile] = all(
                target_capabilities(self.config, target).user_groups for target in targets
            )
        return event.key if sees else ALL

    def accept(self, connection: str, envelope: Any) -> Accepted:
        """Queue the syncs a delivery asks for (on the server's event loop, after the 200 went out)."""
        seen = self._seen[connection]
        profiles = self.profiles_for(connection)
        results: list[str] = []
        for event in events_of(envelope):
            if event.uuid in seen:
                seen.move_to_end(event.uuid)
                results.append("duplicate")
                continue
            seen[event.uuid] = None
            if len(seen) > self._capacity:
                seen.popitem(last=False)
            if event.key is None or not profiles:
                results.append("ignored")
                continue
            added = [
                self.provisioner.enqueue(profile, key)
                for profile in profiles
                if (key := self.key_for(profile, event)) is not None
            ]
            results.append("queued" if any(added) else "coalesced")
        metrics.record_hook_events(connection, results)
        accepted = Accepted(
            connection,
            len(results),
            results.count("queued"),
            results.count("duplicate"),
            results.count("coalesced"),
            results.count("ignored"),
        )
        log.info("hook delivery", **accepted.to_dict(), profiles=profiles)
        return accepted

    def wait_idle(self, timeout: float = 30.0) -> bool:
        """Block (from another thread) until every queued sync finished; False on timeout."""
        return self.provisioner.wait_idle(timeout)


# ---------------------------------------------------------------------------------------------------
# Registration through the Okta API (`idsync check --register-hooks URL`)
# ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class HookRegistration:
    """An Event Hook as Okta holds it after `register`."""

    connection: str
    hook_id: str
    uri: str
    status: str
    verification_status: str
    created: bool
    """True when this call created the hook, False when it updated the one already at `uri`."""

    @property
    def ready(self) -> bool:
        """Okta delivers only to hooks that are ACTIVE and VERIFIED."""
        return self.status == "ACTIVE" and self.verification_status == "VERIFIED"

    def describe(self) -> str:
        """One line for `idsync check --register-hooks`."""
        done = "created" if self.created else "updated"
        state = "delivering" if self.ready else "NOT delivering"
        return (
            f"event hook of {self.connection}: {done} {self.hook_id} → {self.uri} "
            f"({self.status}, {self.verification_status}; Okta is {state})"
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON form (`idsync check --json`); the secret is not part of it."""
        return {**asdict(self), "ready": self.ready}


def hook_uri(base_url: str, connection: str) -> str:
    """The receiver's URL for one connection under idsync's public base URL (kept when it is one)."""
    path = HOOK_PATH.format(connection=quote(connection, safe=""))
    base = base_url.rstrip("/")
    return base if base.endswith(path) else base + path


_LIFECYCLE = "/api/v1/eventHooks/{{id}}/lifecycle/{}"


def _body(connection: str, uri: str, hooks: EventHooks) -> dict[str, Any]:
    return {
        "name": f"idsync {connection}",
        "events": {"type": "EVENT_TYPE", "items": list(EVENT_TYPES)},
        "channel": {
            "type": "HTTP",
            "version": "1.0.0",
            "config": {
                "uri": uri,
                "headers": [],
                "authScheme": {
                    "type": "HEADER",
                    "key": hooks.header,
                    "value": hooks.secret.get_secret_value(),
                },
            },
        },
    }


async def register(config: IdsyncConfig, connection: str, base_url: str) -> HookRegistration:
    """Create (or update, when one already points at the same URL) the connection's Event Hook,
    have Okta verify it against the running `idsync serve`, and activate it."""
    conn = config.connections.get(connection)
    if not isinstance(conn, OktaConnection):
        raise ConfigError(f"{connection!r} is not an okta connection")
    if conn.event_hooks is None:
        raise ConfigError(
            f"connection {connection!r} has no event_hooks; add "
            "`event_hooks: {secret: ${OKTA_HOOK_SECRET}}` to it and restart idsync serve"
        )
    uri = hook_uri(base_url, connection)
    client = OktaClient(conn)
    try:
        existing = await client.get_json("/api/v1/eventHooks", label="/api/v1/eventHooks")
        hooks = existing if isinstance(existing, list) else []
        match = next((h for h in hooks if isinstance(h, dict) and _uri_of(h) == uri), None)
        body = _body(connection, uri, conn.event_hooks)
        if match is None:
            response = await client.http.request("POST", "/api/v1/eventHooks", json=body, ok=(200,))
        else:
            path = f"/api/v1/eventHooks/{quote(str(match['id']), safe='')}"
            response = await client.http.request(
                "PUT", path, json=body, ok=(200,), label="/api/v1/eventHooks/{id}"
            )
        hook = response.json()
        one = f"/api/v1/eventHooks/{quote(str(hook['id']), safe='')}"
        if hook.get("verificationStatus") != "VERIFIED":
            try:
                response = await client.http.request(
                    "POST", one + "/lifecycle/verify", ok=(200,), label=_LIFECYCLE.format("verify")
                )
            except BadRequestError as exc:
                raise ConnectorError(
                    f"Okta could not verify {uri}: {exc}. idsync serve must be running there, reachable "
                    f"from Okta over https, with the event_hooks of {connection!r} configured"
                ) from exc
            hook = response.json()
        if hook.get("status") != "ACTIVE":
            response = await client.http.request(
                "POST", one + "/lifecycle/activate", ok=(200,), label=_LIFECYCLE.format("activate")
            )
            hook = response.json()
    finally:
        await client.http.aclose()
    registration = HookRegistration(
        connection,
        str(hook["id"]),
        uri,
        str(hook.get("status")),
        str(hook.get("verificationStatus")),
        match is None,
    )
    log.info("hook registered", **registration.to_dict())
    return registration


def _uri_of(hook: Mapping[str, Any]) -> str | None:
    channel = hook.get("channel")
    config = channel.get("config") if isinstance(channel, Mapping) else None
    uri = config.get("uri") if isinstance(config, Mapping) else None
    return uri if isinstance(uri, str) else None


async def register_all(config: IdsyncConfig, base_url: str) -> Sequence[HookRegistration | ConnectorError]:
    """`register` for every connection with event_hooks; a failure is returned in its place."""
    results: list[HookRegistration | ConnectorError] = []
    for name in hook_connections(config):
        try:
            results.append(await register(config, name, base_url))
        except ConnectorError as exc:
            results.append(exc)
    return results
