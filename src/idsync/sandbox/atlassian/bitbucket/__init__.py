"""The Bitbucket Data Center REST 1.0 emulator (user, group and global-permission administration).

`create_app(BitbucketOptions(...))` returns a `BitbucketSandbox` (ASGI app, admin control, state,
credentials). Bitbucket has no deactivation: a seat comes from the LICENSED_USER global permission (or a
higher one) held directly or through a group, and this emulator enforces the licensed-user limit.
"""
