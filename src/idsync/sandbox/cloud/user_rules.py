"""What Atlassian checks on every user it is asked to store, before anything is written:

- one e-mail marked primary (Atlassian's own message: "One email address need to be marked as primary");
- the primary e-mail on a verified domain of the organization (the real error form is not captured;
  the emulator answers 400 invalidValue naming the address, its domain and the verified domains);
- userName unique in the directory, case-insensitively (409 uniqueness);
- an e-mail used by one SCIM user only: two SCIM records cannot link the same Atlassian account (409);
- at most `max_users` users in the directory (the real error form is not captured: 400 naming the limit).
"""

from __future__ import annotations

from idsync.sandbox.cloud.errors import CloudError, user_error
from idsync.sandbox.cloud.models import CloudUser
from idsync.sandbox.cloud.options import CloudOptions
from idsync.sandbox.cloud.state import CloudState


def primary_email(resource: CloudUser, options: CloudOptions) -> str:
    """The user's primary e-mail, checked: exactly one e-mail marked primary, on a verified domain."""
    primaries = [e for e in resource.emails or [] if e.primary and e.value]
    if len(primaries) != 1:
        raise user_error(400, "One email address need to be marked as primary.", "invalidValue")
    email = str(primaries[0].value)
    domain = email.rpartition("@")[2].lower()
    if domain not in options.verified_domains:
        verified = ", ".join(options.verified_domains)
        raise user_error(
            400,
            f"The email {email!r} is on the domain {domain!r}, which is not a verified domain of the "
            f"organization; verified domains: {verified}",
            "invalidValue",
        )
    return email


def check_unique(state: CloudState, resource: CloudUser, email: str, user_id: str | None) -> None:
    """userName and primary e-mail are not used by another SCIM user than `user_id`."""
    user_name = str(resource.user_name)
    holder = state.user_id_by_name(user_name)
    if holder is not None and holder != user_id:
        raise user_error(
            409, f"A user with the userName {user_name!r} already exists in the directory", "uniqueness"
        )
    account = state.account(email)
    linked = state.user_of_account(account.account_id) if account else None
    if linked is not None and linked != user_id:
        raise user_error(
            409, f"The email {email!r} is already used by another user of the directory", "uniqueness"
        )


def check_room(state: CloudState, options: CloudOptions) -> None:
    """The directory can take one more user."""
    if len(state.users) >= options.max_users:
        raise CloudError(
            400,
            f"Resource [USER] The directory already has {len(state.users)} users; a directory can sync at "
            f"most {options.max_users} users",
        )
