"""The Atlassian Cloud user provisioning (SCIM 2.0) API emulator: one SCIM directory of an
organization under /scim/directory/{directoryId}/, with the directory API key as Bearer token."""
