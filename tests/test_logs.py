"""Acceptance 5 (logs): structured JSON logs, one event per run and per failed item with the run id,
and never a configured secret.

The whole-session test runs `idsync serve` in its own process with known secret values (the Okta and
Jira tokens, the Event Hooks secret, a SCIM token), makes it do runs (one with a failed item), answer
wrong credentials and serve /metrics, then looks for every secret in every line it logged and in the
/metrics text. The unit test shows the last line of defence: a secret handed to a logger by mistake
is masked in the message, in fields, in tracebacks and in the standard library's loggers."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
import structlog

from idsync import logs
from tests.fixtures.sandbox import RunningJira, RunningOkta
from tests.server.hooks.world import eventually, make_world, serving

SECRET = "s3cr3t-" + "x" * 20
OTHER = 'quote"and\\backslash-secret'


@pytest.fixture
def captured() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    logs.configure(secrets=[SECRET, OTHER], stream=stream)
    yield stream
    logs.reset()


def test_a_secret_handed_to_a_logger_is_masked_everywhere(captured: io.StringIO) -> None:
    log = structlog.get_logger("idsync.test")
    log.info(f"token is {SECRET}", header=f"SSWS {SECRET}", nested={"value": OTHER})
    try:
        raise RuntimeError(f"failed with {SECRET}")
    except RuntimeError:
        log.exception("boom", run_id="r1")
    logging.getLogger("some.library").warning("stdlib says %s", SECRET)

    text = captured.getvalue()
    assert SECRET not in text and OTHER not in text
    assert json.dumps(OTHER)[1:-1] not in text, "the JSON-escaped form is masked too"
    lines = [json.loads(line) for line in text.splitlines()]
    assert [line["event"] for line in lines] == ["token is ***", "boom", "stdlib says ***"]
    assert lines[0]["header"] == "SSWS ***" and lines[0]["nested"] == {"value": "***"}
    assert "failed with ***" in lines[1]["exception"] and lines[1]["run_id"] == "r1"
    assert {line["level"] for line in lines} == {"info", "error", "warning"}
    assert all("timestamp" in line and "logger" in line for line in lines)


def test_a_serve_session_logs_no_configured_secret(
    tmp_path: Path, okta_sandbox: Callable[..., RunningOkta], jira_sandbox: Callable[..., RunningJira]
) -> None:
    okta, jira = okta_sandbox(), jira_sandbox()
    world = make_world(tmp_path, okta, jira)
    issued = world.idsync("scim", "token", "push")
    assert issued.returncode == 0, issued.stderr
    scim_token = issued.stdout.strip()
    secrets = {**world.secrets, "SCIM": scim_token}
    with serving(world, tmp_path):
        # The first profile write fails once (an item failure, logged), the provisioning retry succeeds.
        jira.sandbox.control.faults.update(
            {"rules": [{"method": "PUT", "path": "/rest/api/2/user", "count": 1, "status": 400}]}
        )
        with world.okta_api() as api:
            api.post(f"/api/v1/users/{world.ids['bob']}", json={"profile": {"lastName": "Logged"}})
            api.post(f"/api/v1/users/{world.ids['alice']}/lifecycle/suspend").raise_for_status()
        eventually(lambda: world.jira_user("bob").display_name == "Bob Logged", "no profile change", 60)
        eventually(lambda: not world.jira_user("alice").active, "no suspension", 60)
        runs = world.settled_runs()
        assert world.deliver([], secret="not-" + world.secrets["OKTA_HOOK_SECRET"]) == 401
        users = f"{world.url}/scim/v2/push/Users"
        bad = httpx.get(users, headers={"Authorization": "Bearer nope"}, timeout=10)
        good = httpx.get(users, headers={"Authorization": f"Bearer {scim_token}"}, timeout=10)
        assert (bad.status_code, good.status_code) == (401, 200)
        exposition = world.metrics()
        assert world.stop() == 0
    assert world.log is not None
    text = world.log.read_text()

    for name, value in secrets.items():
        assert value not in text, f"{name} appears in the serve log"
        assert value not in exposition, f"{name} appears in /metrics"
    events = [json.loads(line) for line in text.splitlines() if line.startswith("{")]
    assert events and all({"event", "level", "timestamp"} <= set(e) for e in events)
    finished = [e for e in events if e["event"] == "run finished"]
    assert sorted(e["run_id"] for e in finished) == sorted(r.id for r in runs)
    assert {e["status"] for e in finished} == {"partial", "succeeded"}
    (failed,) = [e for e in events if e["event"] == "item failed"]
    partial = next(r for r in runs if r.status == "partial")
    assert failed["run_id"] == partial.id and failed["action"] == "update_user" and failed["user"] == "bob"
    assert any(e["event"] == "hook rejected" for e in events)
