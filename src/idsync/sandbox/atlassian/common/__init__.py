"""What the Atlassian emulators (Jira, Confluence, Bitbucket, Crowd) share: ASGI auth plumbing, web
helpers, the app skeleton, option checks, data-generation steps and the CLI's options."""
