"""Acceptance 1: scim2-tester's full check suite (its Python API) against the served inbox over HTTP,
on an empty inbox and on one IdPs have already pushed their extensions into."""

from __future__ import annotations

from pathlib import Path

from scim2_tester import check_server
from scim2_tester.utils import Status

from tests.server.inbox import running_inbox
from tests.server.pushes import push_all
from tests.server.scim_http import HttpxSCIMClient


def test_every_scim2_tester_check_succeeds(tmp_path: Path) -> None:
    with running_inbox(tmp_path) as inbox, inbox.client() as http:
        results = check_server(HttpxSCIMClient(http))
    failures = [(r.status.name, r.title, r.reason) for r in results if r.status is not Status.SUCCESS]
    assert len(results) >= 100
    assert failures == []


def test_every_scim2_tester_check_succeeds_after_idp_pushes(tmp_path: Path) -> None:
    with running_inbox(tmp_path) as inbox:
        push_all(inbox)
        with inbox.client() as http:
            results = check_server(HttpxSCIMClient(http))
    failures = [(r.status.name, r.title, r.reason) for r in results if r.status is not Status.SUCCESS]
    assert len(results) >= 100
    assert failures == []
