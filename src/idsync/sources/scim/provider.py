"""What the inbox announces: RFC 7643 schemas and resource types (User with the enterprise extension,
Group) and a ServiceProviderConfig that says exactly what the inbox implements."""

from __future__ import annotations

import functools

from scim2_models import (
    AuthenticationScheme,
    Bulk,
    ChangePassword,
    ETag,
    Filter,
    Patch,
    ScimProvider,
    ServiceProviderConfig,
    Sort,
)
from scim2_server.utils import load_default_resource_types, load_default_schemas

MAX_RESULTS = 1000
"""Largest page a query returns; Okta pages by 100, Entra asks for single objects."""


def service_provider_config() -> ServiceProviderConfig:
    """PATCH, filters, sort and ETags yes; bulk and password changes no; bearer tokens."""
    return ServiceProviderConfig(
        documentation_uri=None,
        patch=Patch(supported=True),
        bulk=Bulk(supported=False, max_operations=0, max_payload_size=0),
        filter=Filter(supported=True, max_results=MAX_RESULTS),
        change_password=ChangePassword(supported=False),
        sort=Sort(supported=True),
        etag=ETag(supported=True),
        authentication_schemes=[
            AuthenticationScheme(
                type=AuthenticationScheme.Type.oauthbearertoken,
                name="OAuth Bearer Token",
                description="Authorization: Bearer <the token `idsync scim token <connection>` printed>",
                primary=True,
            )
        ],
    )


@functools.cache
def inbox_provider() -> ScimProvider:
    """The description of every inbox mount, built once per process: building it generates the
    resource models (~200 ms), which every provisioning run would otherwise pay again."""
    return ScimProvider.from_discovery(
        load_default_schemas().values(),
        load_default_resource_types().values(),
        config=service_provider_config(),
    )
