"""The ASGI service: SCIM endpoints, health, and later the REST API, UI, event hooks and scheduler."""
