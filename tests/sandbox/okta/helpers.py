"""Helpers for the Okta contract tests: follow `Link: rel="next"`, build profiles."""

from __future__ import annotations

from typing import Any

import httpx


def all_pages(client: httpx.Client, path: str, **params: Any) -> list[list[dict[str, Any]]]:
    """Every page of a listing, following rel="next" until it is absent."""
    pages: list[list[dict[str, Any]]] = []
    response = client.get(path, params=params)
    while True:
        assert response.status_code == 200, response.text
        pages.append(response.json())
        following = response.links.get("next")
        if following is None:
            return pages
        response = client.get(following["url"])


def profile(first: str, last: str, **extra: Any) -> dict[str, Any]:
    """A valid user profile for first.last@example.com."""
    login = f"{first.lower()}.{last.lower()}@example.com"
    return {"login": login, "email": login, "firstName": first, "lastName": last, **extra}


def create_user(
    client: httpx.Client, first: str, last: str, activate: bool = True, password: bool = True, **extra: Any
) -> dict[str, Any]:
    """POST /api/v1/users and return the created user."""
    body: dict[str, Any] = {"profile": profile(first, last, **extra)}
    if password:
        body["credentials"] = {"password": {"value": "Sandbox-Passw0rd!"}}
    response = client.post("/api/v1/users", params={"activate": str(activate).lower()}, json=body)
    assert response.status_code == 200, response.text
    user: dict[str, Any] = response.json()
    return user


def assert_error(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    """The response is an Okta error body with this status and errorCode."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body: dict[str, Any] = response.json()
    assert set(body) == {"errorCode", "errorSummary", "errorLink", "errorId", "errorCauses"}
    assert body["errorCode"] == code
    assert body["errorLink"] == code
    assert isinstance(body["errorCauses"], list)
    assert body["errorId"].startswith("oae")
    return body
