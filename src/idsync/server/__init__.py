"""`idsync serve`: one ASGI app hosting the SCIM mounts and /healthz; the scheduler, the web UI and
the REST API mount here later."""
