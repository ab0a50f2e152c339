"""The Jira Data Center REST API v2 emulator, faithful to the behaviour docs/vendors/jira.md describes.

`create_app(JiraOptions(...))` returns a `JiraSandbox` (ASGI app, admin control, state, credentials).
"""
