"""The Jira Data Center REST API v2 emulator, faithful to ../shared/reference/jira-dc-rest.md.

`create_app(JiraOptions(...))` returns a `JiraSandbox` (ASGI app, admin control, state, credentials).
"""
