"""idsync: keep Atlassian users and groups in step with an identity provider."""

__version__ = "0.1.0"
