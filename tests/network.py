"""The suite reaches loopback only.

pytest-socket (`--allow-hosts` in setup.cfg) refuses to connect a socket anywhere but
127.0.0.1 and ::1. Looking a name up goes out too (to DNS, before any connection), so
`socket.getaddrinfo` and `gethostbyname` here answer only for addresses, `localhost` and
this machine's own name (smtplib asks for it; the hosts file answers), and fail loudly for
any other name.
"""

from __future__ import annotations

import ipaddress
import socket
from typing import Any

_system_getaddrinfo = socket.getaddrinfo
_system_gethostbyname = socket.gethostbyname


class NameLookupBlockedError(RuntimeError):
    """A test tried to look up a name on the network."""


def _offline_name(host: object) -> bool:
    name = host.decode() if isinstance(host, bytes) else host
    if name is None or name in ("localhost", socket.gethostname()):
        return True
    try:
        ipaddress.ip_address(str(name).split("%", 1)[0])
    except ValueError:
        return False
    return True


def _getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
    if not _offline_name(host):
        raise NameLookupBlockedError(f"a test tried to look up {host!r}: tests reach loopback only")
    return _system_getaddrinfo(host, *args, **kwargs)


def _gethostbyname(host: str) -> str:
    if not _offline_name(host):
        raise NameLookupBlockedError(f"a test tried to look up {host!r}: tests reach loopback only")
    return _system_gethostbyname(host)


def block_name_lookups() -> None:
    socket.getaddrinfo = _getaddrinfo
    socket.gethostbyname = _gethostbyname


def allow_name_lookups() -> None:
    socket.getaddrinfo = _system_getaddrinfo
    socket.gethostbyname = _system_gethostbyname
