"""The Confluence Data Center REST emulator (`/rest/api/` user and group administration).

`create_app(ConfluenceOptions(...))` returns a `ConfluenceSandbox` (ASGI app, admin control, state,
credentials). The emulated release (`version`) decides which endpoints exist, as on a real server.
"""
