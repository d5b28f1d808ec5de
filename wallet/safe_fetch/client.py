"""`SafeFetcher`: the library's fetcher interface, for URLs someone typed or a badge names.

Every hop (the URL, then each redirect) is read by `targets.parse_target`, its name resolved
once by the fetcher itself, every address the name has checked by `addresses.why_blocked`,
and the connection made to a checked address: the name is never looked up again, so an
answer that changes between the check and the connection (DNS rebinding) cannot reach an
internal address.

TLS still checks the name (`connection.py`), against certifi's CA bundle. Nothing is sent
but GET with a Host, User-Agent, Accept, `Accept-Encoding: identity` and `Connection: close`:
no cookies (urllib3 keeps none), no credentials (URLs with a user name are refused), no proxy
from the environment (urllib3 reads none). Time is bounded per step (connect, each read) and
as a whole, name lookups included.
"""

from __future__ import annotations

import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from ipaddress import ip_address

import certifi
from urllib3.response import BaseHTTPResponse

from wallet.openbadges.fetching import Fetcher, FetchError, FetchResult
from wallet.safe_fetch.addresses import IPAddress, connect_address, why_blocked
from wallet.safe_fetch.connection import Connection, within
from wallet.safe_fetch.reasons import Reason, refused
from wallet.safe_fetch.targets import Target, parse_target, redirect_target

Resolver = Callable[[str], Iterable[str]]
"""A host name -> its IP addresses, as text. Raise `OSError` (or `LookupError`) for none."""

BADGE_TYPES = ("application/ld+json", "application/json", "image/png", "image/svg+xml")
DOCUMENT_TYPES = ("application/ld+json", "application/json")
IMAGE_TYPES = ("image/png", "image/svg+xml")
_PAGE_TYPES = frozenset({"text/html", "application/xhtml+xml"})
_REDIRECTS = frozenset({301, 302, 303, 307, 308})

DEFAULT_FETCH_PORTS = (80, 443)
USER_AGENT = "OpenBadgeWallet/1.0 (Open Badges verifier)"


@dataclass(frozen=True)
class Limits:
    """How much one fetch may take; tests shrink them to stay fast."""

    max_bytes: int = 2 * 1024 * 1024
    connect_timeout: float = 5.0  # seconds, each connection
    read_timeout: float = 5.0  # seconds without a byte
    total_timeout: float = 10.0  # seconds for the whole fetch, redirects included
    max_redirects: int = 5


def system_resolver(host: str) -> list[str]:
    """The addresses the operating system gives for `host` (A and AAAA records, hosts file)."""
    infos = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


class StaticResolver:
    """Answers from a dict of name -> addresses; any other name does not resolve.

    For tests and benchmarks that point names at loopback servers (which also need the
    fetcher's `allow` list: a loopback address is refused however it was found).
    """

    def __init__(self, names: Mapping[str, str | Iterable[str]]) -> None:
        self.names = {
            name: [answer] if isinstance(answer, str) else list(answer)
            for name, answer in names.items()
        }
        self.asked: list[str] = []

    def __call__(self, host: str) -> list[str]:
        self.asked.append(host)
        if host not in self.names:
            raise socket.gaierror(socket.EAI_NONAME, f"{host} is not in the static resolver")
        return self.names[host]


@cache
def default_tls_context() -> ssl.SSLContext:
    """Certificates checked against certifi's CA bundle and the URL's host name, TLS 1.2+.

    One for the process: loading the bundle takes tens of milliseconds, and a context may
    be shared between threads.
    """
    return ssl.create_default_context(cafile=certifi.where())


class SafeFetcher:
    """GET a URL for the Open Badges library (`Fetcher`), refusing what could reach inside.

    `allow` lists (address, port) pairs that may be reached although blocked, and only on
    that port: tests put their loopback servers there. The app's fetcher (`fetcher_for`)
    never has one. `accept` is the default list of media types a 2xx answer may have.
    """

    def __init__(
        self,
        *,
        resolver: Resolver = system_resolver,
        allow: Iterable[tuple[str, int]] = (),
        ports: Iterable[int] = DEFAULT_FETCH_PORTS,
        limits: Limits | None = None,
        accept: Iterable[str] = BADGE_TYPES,
        user_agent: str = USER_AGENT,
        tls: ssl.SSLContext | None = None,
    ) -> None:
        self.resolver = resolver
        self.allow = frozenset(
            (connect_address(ip_address(address)), int(port)) for address, port in allow
        )
        self.ports = frozenset(ports)
        self.limits = limits or Limits()
        self.accept = _media_types(accept)
        self.user_agent = user_agent
        self.tls = tls or default_tls_context()

    def __call__(self, url: str) -> FetchResult:
        return self.fetch(url)

    def accepting(self, media_types: Iterable[str]) -> Fetcher:
        """This fetcher, answering only with `media_types` (e.g. `IMAGE_TYPES`)."""
        accept = _media_types(media_types)

        def fetch(url: str) -> FetchResult:
            return self.fetch(url, accept=accept)

        return fetch

    def fetch(self, url: str, *, accept: Iterable[str] | None = None) -> FetchResult:
        """GET `url`, following up to `limits.max_redirects` redirects, each checked anew.

        A 2xx answer must have one of the `accept` media types and at most
        `limits.max_bytes` of body; other statuses come back with their body only when it is
        of an accepted type (a 410 with JSON is still read). Raises `FetchError` with a
        `Reason` code when there is no answer to give.
        """
        types = self.accept if accept is None else _media_types(accept)
        deadline = time.monotonic() + self.limits.total_timeout
        target = parse_target(url)
        redirects = 0
        while True:
            with self._exchange(target, types, deadline) as (connection, response):
                location = response.headers.get("Location")
                if response.status not in _REDIRECTS or not location:
                    return _answer(target, connection, response, types, self.limits.max_bytes)
            if redirects == self.limits.max_redirects:
                raise refused(
                    Reason.TOO_MANY_REDIRECTS, f"more than {redirects} redirects from {url}"
                )
            following = redirect_target(target, location)
            if target.scheme == "https" and following.scheme == "http":
                raise refused(Reason.INSECURE_REDIRECT, f"{target.url} redirects to plain http")
            target, redirects = following, redirects + 1

    @contextmanager
    def _exchange(
        self, target: Target, types: tuple[str, ...], deadline: float
    ) -> Iterator[tuple[Connection, BaseHTTPResponse]]:
        """One request on a new connection to a checked address of `target`."""
        connection = self._connect(target, deadline)
        try:
            headers = {
                "Host": target.authority,
                "User-Agent": self.user_agent,
                "Accept": ", ".join(types),
                "Accept-Encoding": "identity",
                "Connection": "close",
            }
            timeout = within(self.limits.read_timeout, deadline)
            yield connection, connection.send(headers, timeout)
        finally:
            connection.close()

    def _connect(self, target: Target, deadline: float) -> Connection:
        """A connection to the first checked address of `target` that answers."""
        *others, last = self._checked_addresses(target, deadline)
        for address in others:
            try:
                return self._open(target, address, deadline)
            except FetchError as error:
                if error.code not in (Reason.CONNECT_FAILED, Reason.TIMEOUT):
                    raise
        return self._open(target, last, deadline)

    def _open(self, target: Target, address: IPAddress, deadline: float) -> Connection:
        connection = Connection(target, address, self.tls, self.limits.connect_timeout, deadline)
        try:
            connection.open()
        except BaseException:
            connection.close()
            raise
        return connection

    def _checked_addresses(self, target: Target, deadline: float) -> list[IPAddress]:
        """Every address `target` has, each allowed; else `FetchError` naming the first not.

        An internal address is the reason given before an unusual port: it is the one that
        matters to whoever typed the URL."""
        if target.address is not None:
            found: list[IPAddress] = [target.address]
        else:
            found = self._resolve(target.host, deadline)
        checked = []
        for address in map(connect_address, found):
            if (address, target.port) not in self.allow:
                blocked = why_blocked(address)
                if blocked:
                    named = f"{target.host} resolves to " if target.address is None else ""
                    raise refused(Reason.BLOCKED_ADDRESS, f"{named}{address}: {blocked} address")
                if target.port not in self.ports:
                    raise refused(
                        Reason.PORT, f"port {target.port} (fetched: {_listed(self.ports)})"
                    )
            checked.append(address)
        return checked

    def _resolve(self, host: str, deadline: float) -> list[IPAddress]:
        """`host`'s addresses, asked once, within the deadline (a resolver has no timeout of
        its own we could set: it runs in a thread we stop waiting for)."""
        answers: list[str] = []
        failures: list[BaseException] = []
        done = threading.Event()

        def resolve() -> None:
            try:
                answers.extend(self.resolver(host))
            except BaseException as error:  # handed to the waiting thread below
                failures.append(error)
            finally:
                done.set()

        threading.Thread(target=resolve, name=f"resolve {host}", daemon=True).start()
        if not done.wait(max(0.0, deadline - time.monotonic())):
            raise refused(Reason.TIMEOUT, f"resolving {host} took too long")
        if failures:
            error = failures[0]
            if isinstance(error, FetchError):
                raise error
            if not isinstance(error, OSError | LookupError | ValueError):
                raise error  # not a lookup failure: a bug, or a test's network guard
            raise refused(Reason.RESOLVE_FAILED, f"{host} does not resolve") from error
        try:
            addresses = [ip_address(answer) for answer in answers]
        except ValueError:
            raise refused(Reason.RESOLVE_FAILED, f"{host} resolves to a non-address") from None
        if not addresses:
            raise refused(Reason.RESOLVE_FAILED, f"{host} has no address")
        return addresses


def _answer(
    target: Target,
    connection: Connection,
    response: BaseHTTPResponse,
    types: tuple[str, ...],
    limit: int,
) -> FetchResult:
    content_type = response.headers.get("Content-Type", "")
    media_type = content_type.split(";", 1)[0].strip().lower()
    acceptable = media_type in types
    if 200 <= response.status < 300 and not acceptable:
        if media_type in _PAGE_TYPES:
            raise refused(Reason.NOT_A_BADGE, f"{target.url} is a web page ({media_type})")
        shown = media_type or "no content type"
        raise refused(Reason.CONTENT_TYPE, f"{target.url} answered with {shown}")
    body = connection.read_body(limit) if acceptable else b""
    return FetchResult(response.status, content_type, body, target.url)


def _listed(ports: Iterable[int]) -> str:
    return ", ".join(map(str, sorted(ports)))


def _media_types(types: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(kind.strip().lower() for kind in types))
