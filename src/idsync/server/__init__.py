"""`idsync serve` (V1): one ASGI app hosting the SCIM mounts and /healthz; the scheduler, the web UI and
the REST API mount here later."""
