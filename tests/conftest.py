"""Shared pytest configuration. Fixture modules live in tests/fixtures/ and start real servers."""

pytest_plugins = [
    "tests.fixtures.sandbox",
    "tests.fixtures.bitbucket",
    "tests.fixtures.confluence",
    "tests.fixtures.crowd",
    "tests.fixtures.postgres",
    "tests.fixtures.slapd",
]
