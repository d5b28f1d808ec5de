"""Which IP addresses the wallet may fetch from, and the other ways hosts spell IPv4 addresses.

Only globally routable unicast addresses pass. The tables name the ranges so a refusal can
say what an address is, and they do not depend on how this Python's `ipaddress` classifies
them (that changed between patch releases); its properties catch whatever the tables miss.
"""

from __future__ import annotations

from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_network

from wallet.safe_fetch.reasons import Reason, refused

IPAddress = IPv4Address | IPv6Address

_BLOCKED_V4: tuple[tuple[IPv4Network, str], ...] = tuple(
    (IPv4Network(network), label)
    for network, label in (
        ("0.0.0.0/8", "'this network' (unspecified)"),
        ("10.0.0.0/8", "private (RFC 1918)"),
        # also Alibaba Cloud's metadata service, 100.100.100.200
        ("100.64.0.0/10", "shared address space (CGNAT)"),
        ("127.0.0.0/8", "loopback"),
        # AWS, GCP, Azure and most others; before link-local so the message says so
        ("169.254.169.254/32", "cloud metadata"),
        ("169.254.0.0/16", "link-local"),
        ("172.16.0.0/12", "private (RFC 1918)"),
        # also Oracle Cloud's metadata service, 192.0.0.192
        ("192.0.0.0/24", "IETF protocol assignments"),
        ("192.0.2.0/24", "documentation"),
        ("192.88.99.0/24", "6to4 relay anycast"),
        ("192.168.0.0/16", "private (RFC 1918)"),
        ("198.18.0.0/15", "benchmarking"),
        ("198.51.100.0/24", "documentation"),
        ("203.0.113.0/24", "documentation"),
        ("224.0.0.0/4", "multicast"),
        ("240.0.0.0/4", "reserved"),  # and 255.255.255.255, broadcast
    )
)

_BLOCKED_V6: tuple[tuple[IPv6Network, str], ...] = tuple(
    (IPv6Network(network), label)
    for network, label in (
        ("::/128", "unspecified"),
        ("::1/128", "loopback"),
        ("::/96", "IPv4-compatible (deprecated)"),
        ("64:ff9b:1::/48", "local-use NAT64"),
        ("100::/64", "discard-only"),
        ("2001::/32", "Teredo tunnel"),
        ("2001::/23", "IETF protocol assignments"),
        ("2001:db8::/32", "documentation"),
        ("3fff::/20", "documentation"),
        ("5f00::/16", "segment routing (SRv6)"),
        ("fd00:ec2::254/128", "cloud metadata"),  # AWS over IPv6
        ("fc00::/7", "unique local (ULA)"),
        ("fe80::/10", "link-local"),
        ("fec0::/10", "site-local (deprecated)"),
        ("ff00::/8", "multicast"),
    )
)

# NAT64's well-known prefix carries an IPv4 address in its last 32 bits. A DNS64 resolver
# on an IPv6-only network answers with it for IPv4-only sites, so it is judged by that
# IPv4 address rather than refused outright; so is 6to4 (2002::/16), which carries one in
# bits 16-48.
_NAT64 = ip_network("64:ff9b::/96")


def connect_address(address: IPAddress) -> IPAddress:
    """The address to judge and connect to: an IPv4-mapped IPv6 address is its IPv4 address."""
    if isinstance(address, IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def why_blocked(address: IPAddress) -> str | None:
    """What kind of address this is when the wallet may not fetch from it; None when public."""
    address = connect_address(address)
    if isinstance(address, IPv4Address):
        return _why_blocked_v4(address)
    for network, label in _BLOCKED_V6:
        if address in network:
            return label
    embedded = address.sixtofour
    if embedded is None and address in _NAT64:
        embedded = IPv4Address(int(address) & 0xFFFF_FFFF)
    if embedded is not None:
        inner = _why_blocked_v4(embedded)
        return f"{inner} ({embedded}) inside an IPv6 address" if inner else None
    return _by_properties(address)


def _why_blocked_v4(address: IPv4Address) -> str | None:
    for network, label in _BLOCKED_V4:
        if address in network:
            return label
    return _by_properties(address)


def _by_properties(address: IPAddress) -> str | None:
    checks = (
        (address.is_multicast, "multicast"),
        (address.is_loopback, "loopback"),
        (address.is_link_local, "link-local"),
        (address.is_unspecified, "unspecified"),
        (address.is_reserved, "reserved"),
        (address.is_private, "private"),
        (not address.is_global, "not globally routable"),
    )
    return next((label for matches, label in checks if matches), None)


def parse_ipv4(host: str) -> IPv4Address | None:
    """The IPv4 address a host spells, as browsers and `inet_aton` read it; None for a name.

    `2130706433`, `0x7f.1`, `0177.0.0.1`, `127.1` and `127.0.0.1` are all 127.0.0.1: parts
    may be decimal, octal (a leading 0) or hex (0x), and the last part fills the bytes the
    others leave. A host whose last label is a number but that is no valid address
    (`1.2.3.256`, `example.0x1g`) is refused rather than looked up as a name.
    """
    parts = host.split(".")
    if not _is_number_like(parts[-1]):
        return None
    if len(parts) > 4:
        raise refused(Reason.BAD_URL, f"{host!r} ends in a number but is no IPv4 address")
    numbers = [_ipv4_part(part, host) for part in parts]
    *leading, last = numbers
    if any(number > 255 for number in leading) or last >= 256 ** (5 - len(numbers)):
        raise refused(Reason.BAD_URL, f"{host!r} is no IPv4 address (a part is too large)")
    value = last
    for position, number in enumerate(leading):
        value += number << (8 * (3 - position))
    return IPv4Address(value)


_DIGITS = frozenset("0123456789")
_HEX_DIGITS = frozenset("0123456789abcdef")


def _is_number_like(label: str) -> bool:
    if label[:2] == "0x":
        return True
    return bool(label) and set(label) <= _DIGITS


def _ipv4_part(part: str, host: str) -> int:
    if part[:2] == "0x":
        digits, allowed, base = part[2:], _HEX_DIGITS, 16
    elif len(part) > 1 and part[0] == "0":
        digits, allowed, base = part[1:], frozenset("01234567"), 8
    else:
        digits, allowed, base = part, _DIGITS, 10
    # int() alone would also take "_", "+" and non-ASCII digits
    if not set(digits) <= allowed or (base != 16 and not digits):
        raise refused(Reason.BAD_URL, f"{host!r} ends in a number but is no IPv4 address")
    return int(digits, base) if digits else 0
