"""Credentials idsync keeps in its store are sealed: encrypted and authenticated with keys from the
environment, so a copy of the database (a backup, a dump, a stolen disk) does not hand them over.

Hashes (API and SCIM tokens, admin passwords) need no key and are not sealed. What idsync must be able
to read back — today the admin UI's generated session-signing key — is kept only sealed, with Fernet
(AES-128-CBC + HMAC-SHA256, from `cryptography`) under the keys in `IDSYNC_STORE_KEYS`: one or more
keys separated by commas, the first seals, every one may open (MultiFernet), so a key is rotated by
putting the new one first, running `idsync keys rotate` (every sealed value re-sealed under it), then
dropping the old one. Without the variable idsync stores no credential at all (the caller decides what
that means: the UI then keeps its session key in memory only).
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from idsync.domain.errors import ConfigError

KEYS_ENV = "IDSYNC_STORE_KEYS"
_PREFIX = "sealed:v1:"


def generate_key() -> str:
    """A new random key for IDSYNC_STORE_KEYS."""
    return Fernet.generate_key().decode()


class Sealer:
    """Seals and opens values with the keys given (the first seals)."""

    def __init__(self, keys: list[str]) -> None:
        fernets = []
        for position, key in enumerate(keys, start=1):
            try:
                fernets.append(Fernet(key.encode()))
            except (ValueError, TypeError) as exc:
                raise ConfigError(
                    f"{KEYS_ENV}: key {position} of {len(keys)} is not a valid key ({type(exc).__name__}); "
                    "valid: 44-character keys from `idsync keys generate`, separated by commas"
                ) from exc
        self._keys = MultiFernet(fernets)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Sealer | None:
        """The sealer of IDSYNC_STORE_KEYS, or None when it is unset or empty."""
        value = (os.environ if environ is None else environ).get(KEYS_ENV, "")
        keys = [key.strip() for key in value.split(",") if key.strip()]
        return cls(keys) if keys else None

    def seal(self, value: str) -> str:
        return _PREFIX + self._keys.encrypt(value.encode()).decode()

    def open(self, stored: str, what: str) -> str:
        """The value sealed in `stored` (`what` names it in errors)."""
        return self._keys.decrypt(self._token(stored, what)).decode()

    def reseal(self, stored: str, what: str) -> str:
        """`stored` sealed again under the first key (key rotation)."""
        return _PREFIX + self._keys.rotate(self._token(stored, what)).decode()

    def _token(self, stored: str, what: str) -> bytes:
        if not stored.startswith(_PREFIX):
            raise ConfigError(f"the store holds {what} unsealed; remove that row or seal it with "
                              "`idsync keys rotate`")
        token = stored.removeprefix(_PREFIX).encode()
        try:
            self._keys.decrypt(token)
        except InvalidToken as exc:
            raise ConfigError(
                f"{KEYS_ENV}: none of its keys opens {what} in the store; valid: the key it was sealed "
                "with (after a rotation, list the new key first and the old ones after it)"
            ) from exc
        return token
