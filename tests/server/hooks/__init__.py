"""Okta Event Hooks: the receiver, the processing and the registration, end to end."""
