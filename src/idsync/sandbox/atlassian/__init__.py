"""Emulators of the Atlassian Data Center REST APIs (Jira now; Confluence, Bitbucket, Crowd later)."""
