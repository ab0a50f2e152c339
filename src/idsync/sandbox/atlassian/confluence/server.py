"""What a client calls to identify the server and its licence.

- `GET /rest/applinks/1.0/manifest` (anonymous): the application-links manifest every Atlassian Data
  Center product serves, with `typeId` and `version`; JSON when asked for, XML otherwise.
  Atlassian's Confluence REST documentation does not cover it; the shape follows what third-party
  probes read from real servers.
- `GET /rest/license/1.0/license/userCount | remainingSeats | maxUsers` → `{"count": n}`; the required
  permission is not documented, so the emulator asks for a Confluence administrator and returns only
  the count. Unlimited licences report Integer.MAX_VALUE, as Confluence's UserCountService does.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from idsync.sandbox.atlassian.confluence.versions import ALWAYS, Since
from idsync.sandbox.atlassian.confluence.web import base_url, json, require_admin, runtime_of, state_of

UNLIMITED = 2**31 - 1
SERVER_ID = "B1D2-C3E4-F5A6-B7C8"


async def manifest(request: Request) -> Response:
    """GET /rest/applinks/1.0/manifest: product type and version."""
    release = runtime_of(request).options.release
    base = base_url(request)
    body = {
        "id": "5a1c1b9e-0c1d-3b5e-9f1a-00000000c0f1",
        "name": "Confluence (idsync sandbox)",
        "typeId": "confluence",
        "version": release.version,
        "buildNumber": release.build_number,
        "applinksVersion": "9.0.12",
        "url": base,
        "public": True,
    }
    if "json" in request.headers.get("accept", ""):
        return json(body)
    fields = "".join(f"<{k}>{str(v).lower() if isinstance(v, bool) else v}</{k}>" for k, v in body.items())
    return Response(f"<manifest>{fields}</manifest>", media_type="application/xml")


def _counts(request: Request) -> tuple[int, int]:
    require_admin(request)
    seats = runtime_of(request).options.licensed_users
    return state_of(request).enabled_count(), UNLIMITED if seats is None else seats


async def user_count(request: Request) -> Response:
    """Users holding a seat (enabled users)."""
    used, _ = _counts(request)
    return json({"count": used})


async def remaining(request: Request) -> Response:
    """Free seats (never negative)."""
    used, seats = _counts(request)
    return json({"count": max(0, seats - used)})


async def max_users(request: Request) -> Response:
    """The licence's seat count."""
    _, seats = _counts(request)
    return json({"count": seats})


def routes() -> list[tuple[Route, Since]]:
    """The identification and licence routes."""
    licence = "/rest/license/1.0/license"
    return [
        (Route("/rest/applinks/1.0/manifest", manifest, methods=["GET"]), ALWAYS),
        (Route(f"{licence}/userCount", user_count, methods=["GET"]), ALWAYS),
        (Route(f"{licence}/remainingSeats", remaining, methods=["GET"]), ALWAYS),
        (Route(f"{licence}/maxUsers", max_users, methods=["GET"]), ALWAYS),
    ]
