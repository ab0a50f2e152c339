"""Atlassian Cloud's user provisioning (SCIM) API: what its documentation says beyond RFC 7644
discovery, in one place. The target itself is the generic SCIM target with this flavour.

- Filters: `/Users` takes exactly one `eq` on `userName` or `externalId`, `/Groups` one on
  `displayName`; no sorting. So a user is found by e-mail only in a full listing, and a group by the
  source id stored as its externalId only by listing the groups.
- Errors are RFC 7644 bodies whose `status` is a string (the client reads strings and numbers).
- A new user needs a primary e-mail, and only on a domain the organisation has verified. Atlassian's
  documents do not show the error for an unverified domain; idsync expects a 400 (as the sandbox
  answers) and fails that user's item with a message saying what to do, without retrying.
- An existing account answers 409: it is looked up by userName / externalId and linked when it is
  the same person (the generic target's 409 handling).
- Deactivation is `active: false` (the account keeps its group memberships). DELETE is used only for
  `users.when_removed: delete`: Atlassian's API text says the user is then "not available for future
  requests", every later operation answers 404, and the only way back is a new create.
- Groups cannot be renamed (`group_rename=False`): a group renamed in the source is replaced — the
  new group created, the members moved, the old one deleted — by the plan.
- Limits: 150,000 users per directory, 35,000 users per group (the support documentation); the
  plan's guard refuses to exceed them. Rate limits exist but their numbers are not published: a 429 is
  waited out as `Retry-After` says (idsync.http) and `concurrency` defaults lower than for other HTTP
  connections.
"""

from __future__ import annotations

import re

from idsync.domain.errors import BadRequestError, ConnectorError
from idsync.domain.plan import Action, PlanItem
from idsync.targets.scim.flavour import Flavour

MAX_USERS = 150_000
MAX_GROUP_MEMBERS = 35_000

_DOMAIN = re.compile(r"domain|verif", re.IGNORECASE)
_PRIMARY = re.compile(r"primary", re.IGNORECASE)


def explain(item: PlanItem, error: ConnectorError) -> ConnectorError:
    """A 400 on a user create or e-mail change that Atlassian's documents describe, said plainly."""
    if not isinstance(error, BadRequestError) or item.action not in (Action.CREATE_USER, Action.UPDATE_USER):
        return error
    text = str(error)
    if _DOMAIN.search(text):
        hint = ("Atlassian Cloud accepts an account only with an e-mail address on a domain the organisation "
                "has verified: verify the domain in admin.atlassian.com, or map users.attributes.email to an "
                "address on a verified domain")
    elif _PRIMARY.search(text):
        hint = "Atlassian Cloud needs exactly one primary e-mail address: check users.attributes.email"
    else:
        return error
    return BadRequestError(f"{text} — {hint}", status=error.status)


CLOUD = Flavour(
    label="Atlassian Cloud",
    user_filters=frozenset({"username", "externalid"}),
    group_filters=frozenset({"displayname"}),
    group_rename=False,
    max_users=MAX_USERS,
    max_group_members=MAX_GROUP_MEMBERS,
    requires_email=True,
    explain=explain,
)
