"""The suite reaches loopback only: anything else fails the test, loudly.

Connections go through pytest-socket (`--allow-hosts=127.0.0.1,::1` in setup.cfg), name
lookups through `tests/network.py`. Neither failure is an `OSError`, so no code under test
can take it for an ordinary network error and carry on.
"""

from __future__ import annotations

import socket

import pytest
from pytest_socket import SocketConnectBlockedError

from tests.network import NameLookupBlockedError
from wallet.safe_fetch import SafeFetcher, StaticResolver

# pytest-socket warns before it raises; the suite turns warnings into errors
BLOCKED = (SocketConnectBlockedError, UserWarning)


def test_a_connection_off_loopback_fails_loudly() -> None:
    with pytest.raises(BLOCKED, match=r"socket\.connect\(\) with host \"192\.0\.2\.1\""):
        socket.create_connection(("192.0.2.1", 80), timeout=1)
    with pytest.raises(BLOCKED, match="2001:db8::1"):
        socket.create_connection(("2001:db8::1", 80), timeout=1)


def test_a_name_lookup_fails_loudly() -> None:
    with pytest.raises(NameLookupBlockedError, match=r"example\.org"):
        socket.getaddrinfo("example.org", 443)
    with pytest.raises(NameLookupBlockedError):
        socket.gethostbyname("example.org")


def test_the_safe_fetcher_cannot_go_online_in_a_test_either() -> None:
    """Not a `FetchError` the code under test could shrug off: the test fails."""
    with pytest.raises(NameLookupBlockedError):
        SafeFetcher()("https://example.org/badge.json")
    public = SafeFetcher(resolver=StaticResolver({"example.org": "93.184.215.14"}))
    with pytest.raises(BLOCKED):
        public("https://example.org/badge.json")


def test_loopback_and_local_names_still_work() -> None:
    with (
        socket.create_server(("127.0.0.1", 0)) as server,
        socket.create_connection(server.getsockname()[:2], timeout=1),
    ):
        pass
    assert socket.getaddrinfo("localhost", 80)
    assert socket.getaddrinfo("::1", 80)
