"""The sandbox: local emulators of the Okta and Atlassian APIs, faithful to the vendor behaviour
docs/vendors/ describes.

A separate product inside the repo: nothing here imports from the engine, and the engine imports
nothing from here. Tests, benchmarks, `idsync demo` and admins trying rules all run against it.
"""
