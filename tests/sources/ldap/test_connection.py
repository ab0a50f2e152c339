"""Transport: LDAPS and StartTLS with a test CA, certificate verification, a connection dropped in the
middle of a paged read (through a proxy that cuts after N bytes)."""

from __future__ import annotations

import re

import pytest

from idsync.domain.errors import ConfigError, SourceReadError
from idsync.sources.ldap import LdapSource
from tests.fixtures.slapd import OPENLDAP_USERS, SlapdServer, TlsFiles
from tests.sources.ldap.conftest import openldap_conn
from tests.sources.ldap.tcp_cut import CuttingProxy

pytestmark = pytest.mark.slapd


async def _count(source: LdapSource) -> int:
    try:
        return len((await source.read()).users)
    finally:
        await source.aclose()


async def test_ldaps_with_the_test_ca(slapd: SlapdServer, ldap_test_ca: TlsFiles) -> None:
    assert slapd.ldaps_url is not None
    source = LdapSource("corp", openldap_conn(slapd.ldaps_url, ca_file=str(ldap_test_ca.ca_file)))
    assert await _count(source) == OPENLDAP_USERS


async def test_start_tls_with_the_test_ca(slapd: SlapdServer, ldap_test_ca: TlsFiles) -> None:
    source = LdapSource("corp", openldap_conn(slapd.url, start_tls=True, ca_file=str(ldap_test_ca.ca_file)))
    assert await _count(source) == OPENLDAP_USERS


async def test_ldaps_with_a_ca_that_did_not_sign_the_server_fails(
    slapd: SlapdServer, ldap_test_ca: TlsFiles
) -> None:
    assert slapd.ldaps_url is not None
    source = LdapSource("corp", openldap_conn(slapd.ldaps_url, ca_file=str(ldap_test_ca.other_ca_file)))
    with pytest.raises(SourceReadError, match="connect"):
        await source.read()


async def test_start_tls_with_a_wrong_ca_fails(slapd: SlapdServer, ldap_test_ca: TlsFiles) -> None:
    source = LdapSource(
        "corp", openldap_conn(slapd.url, start_tls=True, ca_file=str(ldap_test_ca.other_ca_file))
    )
    with pytest.raises(SourceReadError):
        await source.read()


async def test_tls_verify_off_accepts_an_unknown_ca(slapd: SlapdServer, ldap_test_ca: TlsFiles) -> None:
    assert slapd.ldaps_url is not None
    conn = openldap_conn(slapd.ldaps_url, ca_file=str(ldap_test_ca.other_ca_file), tls_verify=False)
    assert await _count(LdapSource("corp", conn)) == OPENLDAP_USERS


async def test_missing_ca_file_is_a_config_error(slapd: SlapdServer) -> None:
    assert slapd.ldaps_url is not None
    source = LdapSource("corp", openldap_conn(slapd.ldaps_url, ca_file="/nonexistent/ca.pem"))
    with pytest.raises(ConfigError, match=r"connections\.corp\.ca_file: '/nonexistent/ca.pem'"):
        await source.read()


async def test_connection_dropped_mid_read_fails_the_read(slapd: SlapdServer) -> None:
    with CuttingProxy(slapd.port, cut_after=30_000) as proxy:
        source = LdapSource("corp", openldap_conn(proxy.url))
        with pytest.raises(SourceReadError, match="lost") as caught:
            await source.read()
        await source.aclose()
    assert proxy.forwarded == 30_000  # pages had arrived: the drop happened in the middle of the read
    # the message says how far the read got: some pages, not all of them
    got = int(re.search(r"after (\d+) entries", str(caught.value))[1])  # type: ignore[index]
    assert 0 < got < OPENLDAP_USERS


async def test_unreachable_server_fails(slapd: SlapdServer) -> None:
    with CuttingProxy(slapd.port, cut_after=0) as proxy:
        source = LdapSource("corp", openldap_conn(proxy.url))
        with pytest.raises(SourceReadError):
            await source.read()
        await source.aclose()


async def test_a_source_reconnects_after_a_failed_read(fresh_slapd: SlapdServer) -> None:
    source = LdapSource("corp", openldap_conn(fresh_slapd.url))
    try:
        assert len((await source.read()).users) == OPENLDAP_USERS
        fresh_slapd.process.terminate()
        fresh_slapd.process.wait()
        with pytest.raises(SourceReadError, match="lost"):
            await source.read()
    finally:
        await source.aclose()
