"""A /group/member page parsed on the fast path equals the model's own parse, and a malformed page
fails exactly as the model fails (idsync.targets.jira.client.MemberPage.parse)."""

from __future__ import annotations

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from idsync.targets.jira.client import MemberPage

bean = st.fixed_dictionaries(
    {"name": st.text(max_size=12)},
    optional={"key": st.text(max_size=8), "displayName": st.text(max_size=8), "active": st.booleans()},
)
page = st.fixed_dictionaries(
    {"isLast": st.booleans(), "values": st.lists(bean, max_size=5)},
    optional={"startAt": st.integers(0, 10_000), "maxResults": st.integers(0, 1000),
              "total": st.none() | st.integers(0, 10_000)},
)


@given(page)
def test_a_well_formed_page_parses_as_the_model_parses_it(body: dict[str, object]) -> None:
    content = orjson.dumps(body)
    assert MemberPage.parse(content) == MemberPage.model_validate_json(content)


@pytest.mark.parametrize("content", [
    b"not json",
    b"[]",
    b'{"isLast": true}',
    b'{"isLast": true, "values": [{"key": "x"}]}',
    b'{"isLast": "maybe", "values": []}',
])
def test_a_malformed_page_fails_as_the_model_fails(content: bytes) -> None:
    with pytest.raises(ValidationError):
        MemberPage.parse(content)


def test_coercible_values_take_the_models_path_and_its_coercion() -> None:
    # "total" as a string of digits: the model's lax mode accepts it, the fast path leaves it to it
    content = b'{"isLast": true, "total": "3", "values": [{"name": "a"}]}'
    assert MemberPage.parse(content).total == 3
