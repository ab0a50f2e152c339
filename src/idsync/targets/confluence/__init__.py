"""The Confluence Data Center target (REST `/rest/api/` user and group administration)."""

from idsync.targets.confluence.target import CONFLUENCE_CAPABILITIES, ConfluenceTarget

__all__ = ["CONFLUENCE_CAPABILITIES", "ConfluenceTarget"]
