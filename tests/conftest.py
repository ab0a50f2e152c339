"""Shared pytest configuration. Fixture modules live in tests/fixtures/ and start real servers."""

pytest_plugins = [
    "tests.fixtures.secret_watch",
    "tests.fixtures.sandbox",
    "tests.fixtures.scripted",
    "tests.fixtures.bitbucket",
    "tests.fixtures.confluence",
    "tests.fixtures.cloud",
    "tests.fixtures.crowd",
    "tests.fixtures.jira_cloud",
    "tests.fixtures.postgres",
    "tests.fixtures.slapd",
    "tests.fixtures.samba",
]
