"""What a SCIM service provider's documentation says that discovery does not: the one place where a
vendor's SCIM differs from the generic target (`idsync.targets.cloud.quirks` holds Atlassian's).

RFC 7644 discovery says whether filters work at all, not which attributes a server can filter on,
whether a group may be renamed, or how many users it takes. A `Flavour` carries those facts; the
generic target reads them instead of asking "which vendor is this?".
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from idsync.domain.errors import ConnectorError
from idsync.domain.plan import PlanItem
from idsync.domain.records import Capabilities, UserRequirements


@dataclass(frozen=True, slots=True)
class Flavour:
    """A SCIM server's documented behaviour beyond discovery."""

    label: str = "SCIM 2.0"
    """How `idsync check` and error messages name the server."""
    user_filters: frozenset[str] | None = None
    """Case-folded attributes `/Users?filter=<attr> eq "…"` accepts; None: any (RFC 7644 §3.4.2.2)."""
    group_filters: frozenset[str] | None = None
    """Case-folded attributes `/Groups?filter=<attr> eq "…"` accepts; None: any."""
    group_rename: bool = True
    """A group's displayName may be changed in place."""
    max_users: int | None = None
    max_group_members: int | None = None
    requires_email: bool = False
    """A user cannot be created without a (primary) e-mail address."""
    explain: Callable[[PlanItem, ConnectorError], ConnectorError] | None = None
    """Turns a refusal the vendor documents into a message that says what to do (or None)."""

    def filters_users_by(self, attribute: str) -> bool:
        """Whether /Users can be filtered with `attribute eq`."""
        return self.user_filters is None or attribute.casefold() in self.user_filters

    def filters_groups_by(self, attribute: str) -> bool:
        """Whether /Groups can be filtered with `attribute eq`."""
        return self.group_filters is None or attribute.casefold() in self.group_filters

    def capabilities(self) -> Capabilities:
        """What the diff may plan for a target of this flavour."""
        return Capabilities(
            user_properties=True,  # extension / core attributes named by URN path (discovery.py)
            deactivate=True,  # active: false
            delete=True,
            rename=True,  # userName is readWrite (RFC 7643 §4.1)
            leads=False,
            # userName and displayName are caseExact false (RFC 7643 §4.1, §4.2)
            case_sensitive_names=False,
            requirements=UserRequirements(email=self.requires_email),
            group_sources=True,  # the source group id is kept as the group's externalId
            group_rename=self.group_rename,
            max_users=self.max_users,
            max_group_members=self.max_group_members,
        )


GENERIC = Flavour()
"""An RFC 7643 / 7644 server: what discovery says, and nothing more."""
