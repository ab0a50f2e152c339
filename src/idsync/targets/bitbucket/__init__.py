"""Bitbucket Data Center through REST 1.0. Bitbucket's quirks stay inside this package."""

from idsync.targets.bitbucket.target import BitbucketTarget

__all__ = ["BitbucketTarget"]
