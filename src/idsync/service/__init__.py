"""The use cases of idsync, in one layer every front end calls: the CLI, the REST API, the scheduler,
the event-hook receivers and the SCIM provisioning worker.

    context      load the config and open the store, one way for everyone
    checks       check: validate the config and test every connection
    plans        plan (compute, optionally store → id), show a stored plan, apply exactly a plan
    runs         sync now (any trigger), as `idsync sync` does
    users        single-user sync (`idsync user sync`, sync at login with coalescing), user lookup
    history      runs filtered and paged, one run with its items filtered and paged
    profiles     the profiles with their schedule and last run
    tokens       REST API tokens (create, list, revoke, verify) and SCIM inbox tokens
    results      the typed, frozen results, each with a `to_dict()` that is the JSON every front end
                 prints or answers

Errors are the domain's error tree (`idsync.domain.errors`) plus `idsync.service.errors`; each front
end maps them once: the CLI to exit statuses, the REST API to HTTP statuses.
"""
