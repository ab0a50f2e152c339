"""The Okta emulator's app shell over real HTTP: paths and methods it has no route for, in Okta's words."""

from __future__ import annotations

from collections.abc import Callable

from tests.fixtures.sandbox import RunningOkta
from tests.sandbox.okta.helpers import assert_error

Start = Callable[..., RunningOkta]


def test_an_unknown_path_is_okta_s_404_and_an_unknown_method_okta_s_405(okta_sandbox: Start) -> None:
    okta = okta_sandbox(users=1, groups=0)
    with okta.client() as client:
        missing = assert_error(client.get("/api/v1/nothing-here"), 404, "E0000008")
        assert missing["errorSummary"] == "The requested path was not found"
        wrong = assert_error(client.patch("/api/v1/users"), 405, "E0000022")
        assert wrong["errorSummary"] == "The endpoint does not support the provided HTTP method"
        # a route's own errors still come out through the route's wrapper, in the same format
        assert_error(client.get("/api/v1/users/00unothere"), 404, "E0000007")
