"""The Atlassian Crowd usermanagement REST API emulator (`/rest/usermanagement/1/`).

`create_app(CrowdOptions(...))` returns a `CrowdSandbox` (ASGI app, admin control, state, the
application's credentials).
"""
