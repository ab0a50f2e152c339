"""Atlassian Crowd through its usermanagement REST API. Crowd's quirks stay inside this package."""

from idsync.targets.crowd.target import CROWD_CAPABILITIES, CrowdTarget

__all__ = ["CROWD_CAPABILITIES", "CrowdTarget"]
