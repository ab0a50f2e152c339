"""A minimal Jira Cloud site emulator: the Jira Service Management customer API (`/rest/servicedeskapi`)
with accountIds, and the platform user lookups a customer sync needs (`/rest/api/3`)."""
