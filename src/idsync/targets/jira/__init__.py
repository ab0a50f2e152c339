"""Jira Data Center through REST v2. Jira's quirks stay inside this package."""

from idsync.targets.jira.target import JiraTarget

__all__ = ["JiraTarget"]
