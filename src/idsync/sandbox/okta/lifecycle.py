"""User lifecycle operations and the two-step delete:

activate      STAGED, DEPROVISIONED        → ACTIVE (with a password) / PROVISIONED
reactivate    PROVISIONED, RECOVERY        → PROVISIONED          else 403 E0000038
deactivate    anything but DEPROVISIONED   → DEPROVISIONED        200 {} (docs) or 204 (seen)
suspend       ACTIVE                       → SUSPENDED            else 400 E0000001
unsuspend     SUSPENDED                    → ACTIVE               else 400 E0000001
unlock        LOCKED_OUT (ACTIVE: no-op)   → ACTIVE
reset_password / expire_password           → RECOVERY / PASSWORD_EXPIRED
DELETE        DEPROVISIONED → deleted; any other status → only deactivated
"""

from __future__ import annotations

import secrets

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from idsync.sandbox.okta import web
from idsync.sandbox.okta.errors import OktaError, wrong_status
from idsync.sandbox.okta.model import User
from idsync.sandbox.okta.render import user_json
from idsync.sandbox.okta.scope import check_user
from idsync.sandbox.okta.users import state_of


def _user(request: Request) -> User:
    state = state_of(request)
    return check_user(state, web.token(request), state.find_user(request.path_params["user"]))


def _activation(request: Request, send_email_default: bool) -> Response:
    if web.flag(request, "sendEmail", send_email_default):
        return web.json_response({})
    activation_token = secrets.token_urlsafe(15)
    return web.json_response(
        {
            "activationUrl": f"{web.base(request)}/welcome/{activation_token}",
            "activationToken": activation_token,
        }
    )


async def activate(request: Request) -> Response:
    """POST /users/{id}/lifecycle/activate?sendEmail=true."""
    user = _user(request)
    if user.status not in ("STAGED", "DEPROVISIONED"):
        # Okta lists only the allowed states; E0000038 is the documented lifecycle refusal.
        raise wrong_status()
    status = "ACTIVE" if user.has_password and user.status == "STAGED" else "PROVISIONED"
    state_of(request).set_status(user, status, "user.lifecycle.activate")
    return _activation(request, True)


async def reactivate(request: Request) -> Response:
    """POST /users/{id}/lifecycle/reactivate?sendEmail=false."""
    user = _user(request)
    if user.status not in ("PROVISIONED", "RECOVERY"):
        raise wrong_status()
    state_of(request).set_status(user, "PROVISIONED", "user.lifecycle.reactivate")
    return _activation(request, False)


async def deactivate(request: Request) -> Response:
    """POST /users/{id}/lifecycle/deactivate."""
    user = _user(request)
    if user.status == "DEPROVISIONED":
        raise wrong_status()
    web.flag(request, "sendEmail", False)
    state_of(request).set_status(user, "DEPROVISIONED", "user.lifecycle.deactivate")
    return _deactivated(request)


def _deactivated(request: Request) -> Response:
    if request.app.state.okta_options.deactivate_status == 200:
        return web.json_response({})
    return web.empty()


async def suspend(request: Request) -> Response:
    """POST /users/{id}/lifecycle/suspend: ACTIVE only."""
    user = _user(request)
    if user.status != "ACTIVE":
        raise OktaError(
            400,
            "E0000001",
            "Api validation failed: Cannot suspend a user that is not active",
            [f"status: the user is {user.status}; only ACTIVE users can be suspended"],
        )
    state_of(request).set_status(user, "SUSPENDED", "user.lifecycle.suspend")
    return web.json_response({})


async def unsuspend(request: Request) -> Response:
    """POST /users/{id}/lifecycle/unsuspend: SUSPENDED only."""
    user = _user(request)
    if user.status != "SUSPENDED":
        raise OktaError(
            400,
            "E0000001",
            "Api validation failed: Cannot unsuspend a user that is not suspended",
            [f"status: the user is {user.status}; only SUSPENDED users can be unsuspended"],
        )
    state_of(request).set_status(user, "ACTIVE", "user.lifecycle.unsuspend")
    return web.json_response({})


async def unlock(request: Request) -> Response:
    """POST /users/{id}/lifecycle/unlock: LOCKED_OUT → ACTIVE (ACTIVE stays ACTIVE)."""
    user = _user(request)
    if user.status not in ("LOCKED_OUT", "ACTIVE"):
        raise wrong_status()
    state_of(request).set_status(user, "ACTIVE", "user.account.unlock")
    return web.json_response({})


async def reset_password(request: Request) -> Response:
    """POST /users/{id}/lifecycle/reset_password → RECOVERY."""
    user = _user(request)
    if user.status in ("STAGED", "DEPROVISIONED"):
        raise wrong_status()
    state_of(request).set_status(user, "RECOVERY", "user.account.reset_password")
    if web.flag(request, "sendEmail", True):
        return web.json_response({})
    return web.json_response(
        {"resetPasswordUrl": f"{web.base(request)}/reset_password/{secrets.token_urlsafe(15)}"}
    )


async def expire_password(request: Request) -> Response:
    """POST /users/{id}/lifecycle/expire_password → PASSWORD_EXPIRED; returns the user."""
    user = _user(request)
    if user.status in ("STAGED", "DEPROVISIONED", "PROVISIONED"):
        raise wrong_status()
    state_of(request).set_status(user, "PASSWORD_EXPIRED", "user.account.expire_password")
    return web.json_response(user_json(user, web.base(request)))


async def delete_user(request: Request) -> Response:
    """DELETE /users/{id}: deactivates a user that is not DEPROVISIONED; deletes one that is."""
    user = _user(request)
    web.flag(request, "sendEmail", False)
    state = state_of(request)
    if user.status != "DEPROVISIONED":
        state.set_status(user, "DEPROVISIONED", "user.lifecycle.deactivate")
    else:
        state.delete_user(user)
    return web.empty()


def routes() -> list[Route]:
    """Lifecycle and delete routes."""
    base = "/api/v1/users/{user}/lifecycle/"
    operations = {
        "activate": activate,
        "reactivate": reactivate,
        "deactivate": deactivate,
        "suspend": suspend,
        "unsuspend": unsuspend,
        "unlock": unlock,
        "reset_password": reset_password,
        "expire_password": expire_password,
    }
    result = [Route(base + name, handler, methods=["POST"]) for name, handler in operations.items()]
    result.append(Route("/api/v1/users/{user}", delete_user, methods=["DELETE"]))
    return result
