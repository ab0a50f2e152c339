"""A thin, blocking python-ldap connection with every LDAP error mapped here and nowhere else.

Callers run these methods off the event loop (`asyncio.to_thread`). Error mapping:

    ldap.FILTER_ERROR                         → ConfigError (names the filter key and value)
    ldap.SIZELIMIT_EXCEEDED / ADMINLIMIT      → SourceReadError (a read is complete or it fails)
    ldap.SERVER_DOWN / CONNECT_ERROR / TIMEOUT→ SourceReadError (dropped or unreachable server)
    ldap.INVALID_CREDENTIALS                  → SourceReadError (names the bind DN, never the password)
    ldap.REFERRAL, unknown continuation refs  → SourceReadError (idsync does not chase referrals)
    any other ldap.LDAPError                  → SourceReadError
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Any

import ldap
from ldap.controls import SimplePagedResultsControl

from idsync.config.connections import LdapConnection
from idsync.domain.errors import ConfigError, SourceReadError
from idsync.sources.ldap.flavors import Flavor

RawAttrs = dict[str, list[bytes]]
Entry = tuple[str, RawAttrs]


def describe(exc: ldap.LDAPError) -> str:
    """python-ldap's error dict (desc + info) as one line."""
    detail: Any = exc.args[0] if exc.args else {}
    if isinstance(detail, dict):
        parts = [str(detail.get("desc", type(exc).__name__))]
        if detail.get("info"):
            parts.append(str(detail["info"]))
        return ": ".join(parts)
    return str(detail) or type(exc).__name__


class LdapClient:
    """One bound connection to the directory of an `LdapConnection`."""

    def __init__(self, name: str, conn: LdapConnection, flavor: Flavor) -> None:
        self._name = name
        self._conn = conn
        self._flavor = flavor
        self._ld: Any = None

    @property
    def connected(self) -> bool:
        """Whether `connect` succeeded and `close` has not been called."""
        return self._ld is not None

    def connect(self) -> None:
        """Open the connection (ldaps:// or StartTLS as configured) and bind."""
        conn = self._conn
        if conn.ca_file is not None and not os.path.isfile(conn.ca_file):
            raise ConfigError(f"connections.{self._name}.ca_file: {conn.ca_file!r} is not a readable file")
        with self._errors(f"connecting to {conn.url}"):
            ld = ldap.initialize(conn.url)
            ld.set_option(ldap.OPT_PROTOCOL_VERSION, 3)
            ld.set_option(ldap.OPT_REFERRALS, 0)
            ld.set_option(ldap.OPT_NETWORK_TIMEOUT, conn.timeout)
            ld.set_option(ldap.OPT_TIMEOUT, conn.timeout)
            if conn.start_tls or conn.url.lower().startswith("ldaps:"):
                if conn.ca_file:
                    ld.set_option(ldap.OPT_X_TLS_CACERTFILE, conn.ca_file)
                demand = ldap.OPT_X_TLS_DEMAND if conn.tls_verify else ldap.OPT_X_TLS_NEVER
                ld.set_option(ldap.OPT_X_TLS_REQUIRE_CERT, demand)
                ld.set_option(ldap.OPT_X_TLS_NEWCTX, 0)  # must come last: applies the TLS options
            if conn.start_tls:
                ld.start_tls_s()
        who = conn.bind_dn or "anonymous"
        with self._errors(f"binding as {who}"):
            password = conn.password.get_secret_value() if conn.password else ""
            ld.simple_bind_s(conn.bind_dn or "", password)
        self._ld = ld

    def close(self) -> None:
        """Unbind; safe to call twice or after a dropped connection."""
        ld, self._ld = self._ld, None
        if ld is not None:
            with suppress(ldap.LDAPError):  # the server may already be gone; nothing left to release
                ld.unbind_s()

    def paged_search(self, base: str, filterstr: str, attrs: list[str], *, key: str) -> Iterator[list[Entry]]:
        """Yield every page of a subtree search (simple paged results control, marked critical so a
        server that cannot page fails instead of truncating). `key` names the config key of the filter.

        The next page is requested before the current one is handed over, so the server prepares it
        while the caller converts this one (on a 2-core machine that overlaps slapd's work with ours)."""
        ld = self._require()
        control = SimplePagedResultsControl(True, size=self._conn.page_size, cookie=b"")
        doing = f"searching {base!r} with {filterstr!r}"

        def request() -> int:
            return int(ld.search_ext(base, ldap.SCOPE_SUBTREE, filterstr, attrs, serverctrls=[control]))

        seen = 0
        with self._errors(doing, key, filterstr):
            msgid: int | None = request()
        try:
            while msgid is not None:
                with self._errors(f"{doing} after {seen} entries", key, filterstr):
                    _, data, _, controls = ld.result3(msgid, all=1, timeout=self._conn.timeout)
                    msgid = None
                    cookie = next((c.cookie for c in controls if c.controlType == control.controlType), b"")
                    if cookie:
                        control.cookie = cookie
                        msgid = request()
                page = self._entries(data, base)
                seen += len(page)
                yield page
        finally:
            if msgid is not None:  # the caller stopped early: drop the page requested ahead
                with suppress(ldap.LDAPError):
                    ld.abandon_ext(msgid)

    def search_all(self, base: str, filterstr: str, attrs: list[str], *, key: str) -> list[Entry]:
        """Every entry of a (small) paged subtree search as one list."""
        return [entry for page in self.paged_search(base, filterstr, attrs, key=key) for entry in page]

    def read_entry(self, dn: str, attrs: list[str]) -> RawAttrs | None:
        """A base search of one DN; None when it does not exist."""
        ld = self._require()
        try:
            with self._errors(f"reading {dn!r}"):
                msgid = ld.search_ext(dn, ldap.SCOPE_BASE, "(objectClass=*)", attrs)
                _, data, _, _ = ld.result3(msgid, all=1, timeout=self._conn.timeout)
        except SourceReadError as exc:
            if isinstance(exc.__cause__, ldap.NO_SUCH_OBJECT):
                return None
            raise
        entries = self._entries(data, dn)
        return entries[0][1] if entries else None

    def root_dse(self, attrs: list[str]) -> RawAttrs:
        """The root DSE (server capabilities, naming contexts, AD's highestCommittedUSN)."""
        return self.read_entry("", attrs) or {}

    def _require(self) -> Any:
        if self._ld is None:
            raise SourceReadError(f"{self._name}: not connected to {self._conn.url}")
        return self._ld

    def _entries(self, data: list[tuple[str | None, Any]], base: str) -> list[Entry]:
        entries: list[Entry] = []
        for dn, attrs in data:
            if dn is None:  # a search continuation reference: a list of URLs
                urls = [u.decode() if isinstance(u, bytes) else str(u) for u in attrs]
                if all(self._flavor.ignorable_reference(url) for url in urls):
                    continue
                raise SourceReadError(
                    f"{self._name}: searching {base!r} returned a referral to {', '.join(urls)}; idsync does "
                    "not chase referrals, so the read would be incomplete. Point the base DN at the part of "
                    "the directory that holds the entries, or connect to the server the referral names."
                )
            entries.append((dn, attrs))
        return entries

    @contextmanager
    def _errors(self, doing: str, key: str | None = None, value: str | None = None) -> Iterator[None]:
        """Map python-ldap errors to ours, naming what was being done and on which connection."""
        conn = self._conn
        try:
            yield
        except ldap.FILTER_ERROR as exc:
            raise ConfigError(
                f"connections.{self._name}.{key or 'filter'}: {value!r} is not a valid LDAP filter "
                f"({describe(exc)}); a valid one looks like (&(objectClass=person)(mail=*))"
            ) from exc
        except (ldap.SIZELIMIT_EXCEEDED, ldap.ADMINLIMIT_EXCEEDED) as exc:
            raise SourceReadError(
                f"{self._name}: {doing}: the server's size limit for {conn.bind_dn or 'anonymous'} stopped "
                f"the search ({describe(exc)}). The read is incomplete and is not used; raise the limit for "
                "this account (slapd `limits … size.prtotal`, AD MaxPageSize) or lower page_size."
            ) from exc
        except ldap.INVALID_CREDENTIALS as exc:
            raise SourceReadError(
                f"{self._name}: bind as {conn.bind_dn or 'anonymous'} was refused: invalid credentials "
                "(check bind_dn and password)"
            ) from exc
        except ldap.REFERRAL as exc:
            raise SourceReadError(
                f"{self._name}: {doing}: the server answered with a referral ({describe(exc)}); idsync does "
                "not chase referrals. Use a base DN this server holds."
            ) from exc
        except ldap.UNAVAILABLE_CRITICAL_EXTENSION as exc:
            raise SourceReadError(
                f"{self._name}: {doing}: the server does not support the simple paged results control "
                f"({describe(exc)}), so a complete read cannot be guaranteed"
            ) from exc
        except (ldap.SERVER_DOWN, ldap.CONNECT_ERROR, ldap.TIMEOUT, ldap.UNAVAILABLE, ldap.BUSY) as exc:
            raise SourceReadError(
                f"{self._name}: {doing}: connection to {conn.url} failed or was lost ({describe(exc)}); "
                "the read is incomplete and is not used"
            ) from exc
        except ldap.LDAPError as exc:
            raise SourceReadError(f"{self._name}: {doing}: {describe(exc)}") from exc
