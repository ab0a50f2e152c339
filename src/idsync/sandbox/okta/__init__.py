"""The Okta Management API emulator (users, groups, apps, System Log, event hooks, rate limits),
faithful to ../shared/reference/okta-management-api.md."""
