"""miniOrange ("SCIM Server" provisioning app) as a SCIM client.

Its wire format is not documented: we serve the RFC forms plus the Okta and Entra variants, which every
mount accepts. Nothing here rewrites a request; the module exists so a miniOrange quirk found in the
field has an obvious home, and its tests replay the RFC forms miniOrange's mapping implies
(userName, name.givenName, name.familyName, emails[type eq "work"].value, displayName, active).
"""

from __future__ import annotations

from idsync.sources.scim.compat import WireRequest


def normalise(request: WireRequest) -> None:
    """No rewrite: miniOrange is served the RFC forms (its wire format is not documented)."""
    del request
