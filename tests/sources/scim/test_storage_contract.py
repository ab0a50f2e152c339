"""scim2-server's own storage contract suite (scim2_server.testing.ScimStorageContract, shipped in the
wheel) run against the SQL inbox, on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from scim2_models import ScimProvider
from scim2_server.testing import ScimStorageContract

from idsync.sources.scim.storage import InboxStorage
from idsync.store import Store


class TestInboxStorageContract(ScimStorageContract):
    """Every rule of the contract, on a fresh store per test."""

    @pytest.fixture
    def storage(self, store_url: str, provider: ScimProvider) -> Iterator[InboxStorage]:
        with Store.open(store_url) as store:
            yield InboxStorage(store.engine, "inbox", provider)


def test_connections_do_not_see_each_other(store_url: str) -> None:
    from scim2_server.utils import load_default_provider

    provider = load_default_provider()
    user_type = next(rt for rt in provider.resource_types if rt.id == "User")
    model = provider.model_for(user_type)
    with Store.open(store_url) as store:
        one = InboxStorage(store.engine, "one", provider)
        two = InboxStorage(store.engine, "two", provider)
        created = one.create(user_type, model(user_name="alice"))
        two.create(user_type, model(user_name="alice"))  # same userName in another inbox is fine
        with pytest.raises(Exception, match="not found"):
            two.get(user_type, created.id)


def test_create_many_is_one_transaction(store_url: str) -> None:
    from scim2_models import SearchRequest, UniquenessException
    from scim2_server.utils import load_default_provider

    provider = load_default_provider()
    user_type = next(rt for rt in provider.resource_types if rt.id == "User")
    model = provider.model_for(user_type)
    with Store.open(store_url) as store:
        inbox = InboxStorage(store.engine, "inbox", provider)
        ids = inbox.create_many(user_type, [model(user_name=f"u{i}") for i in range(3)])
        assert inbox.get(user_type, ids[1]).user_name == "u1"
        found = inbox.search([user_type], SearchRequest(filter='userName eq "U2"'))
        assert [r.id for r in found.resources] == [ids[2]]
        with pytest.raises(UniquenessException):
            inbox.create_many(user_type, [model(user_name="new"), model(user_name="u0")])
        assert inbox.search([user_type], SearchRequest(count=0)).total == 3
        assert inbox.create_many(user_type, []) == []
