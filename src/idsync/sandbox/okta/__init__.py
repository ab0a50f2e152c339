"""The Okta Management API emulator (users, groups, apps, System Log, event hooks, rate limits),
faithful to the behaviour docs/vendors/okta.md describes."""
