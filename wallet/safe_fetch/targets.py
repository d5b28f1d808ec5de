"""Read a URL into what the fetcher needs, refusing anything ambiguous.

Browsers and libraries disagree about odd URLs (a backslash, a tab, an `@`, a percent-encoded
or full-width host); where they could disagree about which host is meant, the URL is refused
instead of guessed at. What is left has one reading: its host is an ASCII name or an IP
address, and that address is what gets checked and connected to.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from ipaddress import IPv6Address
from urllib.parse import quote, urljoin, urlsplit

import idna

from wallet.safe_fetch.addresses import IPAddress, parse_ipv4
from wallet.safe_fetch.reasons import Reason, refused

MAX_URL_LENGTH = 2048
DEFAULT_PORTS = {"http": 80, "https": 443}

_NAME = re.compile(r"[a-z0-9_-]{1,63}(?:\.[a-z0-9_-]{1,63})*")


@dataclass(frozen=True)
class Target:
    """One URL to GET: where to connect and what to ask for."""

    url: str  # normalised: what `FetchResult.url` reports and redirects resolve against
    scheme: str  # "http" or "https"
    host: str  # an ASCII name (A-labels) or an IP address (IPv6 without brackets)
    address: IPAddress | None  # the address when the URL names one rather than a name
    port: int
    path: str  # the request target: path and query

    @property
    def authority(self) -> str:
        """host[:port] as it goes in the URL and the Host header."""
        host = f"[{self.host}]" if isinstance(self.address, IPv6Address) else self.host
        return host if self.port == DEFAULT_PORTS[self.scheme] else f"{host}:{self.port}"


def parse_target(url: str) -> Target:
    """The `Target` a URL names; `FetchError` (bad_url or scheme) when it names none clearly."""
    text = url.strip()
    if len(text) > MAX_URL_LENGTH:
        raise refused(Reason.BAD_URL, f"the URL is longer than {MAX_URL_LENGTH} characters")
    if any(char <= " " or char == "\x7f" or char == "\\" for char in text):
        raise refused(Reason.BAD_URL, "the URL holds a space, a control character or a backslash")
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError as error:
        raise refused(Reason.BAD_URL, f"not a valid URL ({error})") from None
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS:
        raise refused(Reason.SCHEME, f"only http and https URLs are fetched, not {scheme!r}")
    if "@" in parts.netloc:
        # never sent (we send no credentials), and `https://good.example@10.0.0.1/` is a
        # classic way to make a reader see the wrong host
        raise refused(Reason.BAD_URL, "the URL carries a user name or password")
    if port == 0:
        raise refused(Reason.BAD_URL, "port 0")
    host, address = _host(parts.netloc)
    path = _escape(parts.path or "/") + (f"?{_escape(parts.query)}" if parts.query else "")
    target = Target("", scheme, host, address, port or DEFAULT_PORTS[scheme], path)
    return replace(target, url=f"{scheme}://{target.authority}{path}")


def redirect_target(current: Target, location: str) -> Target:
    """Where a `Location` header points, relative to the URL that answered with it."""
    return parse_target(urljoin(current.url, location.strip()))


def _host(netloc: str) -> tuple[str, IPAddress | None]:
    if netloc.startswith("["):
        literal = netloc[1 : netloc.find("]")]
        if "%" in literal:
            raise refused(Reason.BAD_URL, "an IPv6 zone identifier in the URL")
        try:
            address = IPv6Address(literal)
        except ValueError:
            raise refused(Reason.BAD_URL, f"{literal!r} is no IPv6 address") from None
        return str(address), address
    raw = netloc.rsplit(":", 1)[0] if ":" in netloc else netloc
    if not raw:
        raise refused(Reason.BAD_URL, "the URL has no host")
    if "%" in raw:
        raise refused(Reason.BAD_URL, "a percent-encoded host")
    host = _ascii_host(raw)
    if host.endswith("."):
        host = host[:-1]
    ipv4 = parse_ipv4(host) if host else None
    if ipv4 is not None:
        return str(ipv4), ipv4
    if not _NAME.fullmatch(host) or len(host) > 253:
        raise refused(Reason.BAD_URL, f"{raw!r} is not a valid host name")
    return host, None


def _ascii_host(raw: str) -> str:
    """The host in ASCII, as browsers map it (UTS #46): full-width letters, digits and dots
    become ASCII (so `１２７．０．０．１` is read as the address it spells), names become
    A-labels."""
    if raw.isascii():
        return raw.lower()
    try:
        return idna.encode(raw, uts46=True, transitional=False).decode("ascii")
    except (idna.IDNAError, UnicodeError):
        raise refused(Reason.BAD_URL, f"{raw!r} is not a valid international host name") from None


def _escape(text: str) -> str:
    """Non-ASCII characters percent-encoded as UTF-8, the rest (and existing escapes) kept."""
    return text if text.isascii() else quote(text, safe="".join(map(chr, range(0x21, 0x7F))))
