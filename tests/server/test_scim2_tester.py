"""Acceptance 1: scim2-tester's full check suite (its Python API) against the served inbox over HTTP."""

from __future__ import annotations

from pathlib import Path

from scim2_tester import check_server
from scim2_tester.utils import Status

from tests.server.inbox import running_inbox
from tests.server.scim_http import HttpxSCIMClient


def test_every_scim2_tester_check_succeeds(tmp_path: Path) -> None:
    with running_inbox(tmp_path) as inbox, inbox.client() as http:
        results = check_server(HttpxSCIMClient(http))
    failures = [(r.status.name, r.title, r.reason) for r in results if r.status is not Status.SUCCESS]
    assert len(results) >= 100
    assert failures == []
