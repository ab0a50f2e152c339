"""A generic SCIM 2.0 service provider (RFC 7643 / 7644) as a target, built on scim2-client and
scim2-models; vendors' documented differences are `Flavour`s (idsync.targets.cloud for Atlassian)."""

from idsync.targets.scim.target import ScimTarget

__all__ = ["ScimTarget"]
