"""Basic authentication with an Atlassian account's e-mail and API token (Jira Cloud's scheme for
scripts). Bad credentials get a 401 before any route; the text is the one widely seen from Cloud
("Client must be authenticated to access this resource."), unverified against a spec."""

from __future__ import annotations

from idsync.sandbox.atlassian.common.asgi import (
    ASGIApp,
    Receive,
    Scope,
    Send,
    basic_pair,
    header,
    send_response,
)
from idsync.sandbox.atlassian.common.web import EmulatorRuntime
from idsync.sandbox.jira_cloud.options import JiraCloudOptions
from idsync.sandbox.jira_cloud.state import CloudState

Runtime = EmulatorRuntime[JiraCloudOptions, CloudState]
_UNAUTHORIZED = b"Client must be authenticated to access this resource."


class CloudAuth:
    """Resolves the caller into `scope["cloud.account"]` (an accountId, or None when anonymous)."""

    def __init__(self, app: ASGIApp, runtime: Runtime) -> None:
        self.app = app
        self.runtime = runtime

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith("/rest/"):
            await self.app(scope, receive, send)
            return
        account: str | None = None
        authorization = header(scope, b"authorization")
        if authorization is not None:
            account = self._account(authorization)
            if account is None:
                plain = [(b"content-type", b"text/plain;charset=UTF-8")]
                await send_response(send, 401, _UNAUTHORIZED, plain)
                return
        scope["cloud.account"] = account
        await self.app(scope, receive, send)

    def _account(self, authorization: bytes) -> str | None:
        scheme, _, credentials = authorization.partition(b" ")
        pair = basic_pair(credentials) if scheme.lower() == b"basic" else None
        options = self.runtime.options
        if pair is None or pair[1] != options.token:
            return None
        found = self.runtime.state.by_email(pair[0])
        return found.account_id if found is not None and found.site_admin and found.active else None
