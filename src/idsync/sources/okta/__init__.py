"""The Okta Management API as a source (see `source.OktaSource`)."""

from idsync.sources.okta.source import OktaSource

__all__ = ["OktaSource"]
