"""Atlassian Cloud user provisioning (SCIM): the generic SCIM target with Atlassian's quirks."""

from idsync.targets.cloud.target import CLOUD_CAPABILITIES, cloud_target

__all__ = ["CLOUD_CAPABILITIES", "cloud_target"]
