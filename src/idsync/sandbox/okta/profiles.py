"""Validation of user and group profiles against Okta's base schema: required fields,
lengths, types, and unknown attribute names, each error naming the field."""

from __future__ import annotations

from typing import Any

from idsync.sandbox.okta.errors import OktaError, validation

USER_ATTRIBUTES = frozenset({
    "login", "email", "secondEmail", "firstName", "lastName", "middleName", "honorificPrefix",
    "honorificSuffix", "title", "displayName", "nickName", "profileUrl", "primaryPhone", "mobilePhone",
    "streetAddress", "city", "state", "zipCode", "countryCode", "postalAddress", "preferredLanguage",
    "locale", "timezone", "userType", "employeeNumber", "costCenter", "organization", "division",
    "department", "managerId", "manager",
})  # fmt: skip

_LENGTHS = {"login": (5, 100), "email": (5, 100), "firstName": (1, 50), "lastName": (1, 50)}


def user_profile(profile: Any) -> dict[str, Any]:
    """A complete user profile, or 400 E0000001 naming the first bad field."""
    if not isinstance(profile, dict):
        raise validation("profile", "must be a JSON object with login, email, firstName and lastName")
    for name, value in profile.items():
        if name not in USER_ATTRIBUTES:
            raise validation(name, f"Property name '{name}' is not defined in profile")
        if value is not None and not isinstance(value, str):
            raise validation(name, f"must be a string or null, got {value!r}")
    for name, (low, high) in _LENGTHS.items():
        value = profile.get(name)
        if value is None or value == "":
            raise validation(name, "The field cannot be left blank")
        if not low <= len(value) <= high:
            raise validation(name, f"must be {low}–{high} characters, got {len(value)}")
    if "@" not in profile["login"]:
        raise validation("login", "Username must be in the form of an email address")
    if "/" in profile["login"]:
        raise validation("login", "must not contain '/'")
    if "@" not in profile["email"]:
        raise validation("email", "Does not match required pattern")
    return dict(profile)


def group_profile(profile: Any) -> dict[str, Any]:
    """An OKTA_GROUP profile: name 1–255 (required), description 0–1024 or null."""
    if not isinstance(profile, dict):
        raise validation("profile", 'must be a JSON object like {"name": "…", "description": "…"}')
    name = profile.get("name")
    if not isinstance(name, str) or not name.strip():
        raise validation("name", "The field cannot be left blank")
    if len(name) > 255:
        raise validation("name", f"must be at most 255 characters, got {len(name)}")
    description = profile.get("description")
    if description is not None and (not isinstance(description, str) or len(description) > 1024):
        raise validation("description", "must be a string of at most 1024 characters, or null")
    result = dict(profile)
    result.setdefault("description", None)
    return result


def password_given(credentials: Any) -> bool:
    """Whether `credentials.password.value` is set (a create with a password makes an ACTIVE user)."""
    if credentials is None:
        return False
    if not isinstance(credentials, dict):
        raise OktaError(
            400, "E0000001", "Api validation failed: credentials", ["credentials: must be a JSON object"]
        )
    password = credentials.get("password")
    return isinstance(password, dict) and bool(password.get("value"))
