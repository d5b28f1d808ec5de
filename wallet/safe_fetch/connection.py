"""One HTTP(S) exchange with one checked address, under the fetch's deadline.

The socket connects to the address; for https the handshake sends the URL's host name
(SNI) and Python's `ssl` module verifies the certificate against that name, as it would for
a connection made by name. Each step has its own timeout, and a watchdog shuts the socket
when the whole fetch's deadline passes. Network and protocol errors leave as `FetchError`s
with a reason.
"""

from __future__ import annotations

import http.client
import socket
import ssl
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress

from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.exceptions import HTTPError, NewConnectionError
from urllib3.exceptions import SSLError as Urllib3SSLError
from urllib3.exceptions import TimeoutError as Urllib3TimeoutError
from urllib3.response import BaseHTTPResponse

from wallet.openbadges.fetching import FetchError
from wallet.safe_fetch.addresses import IPAddress
from wallet.safe_fetch.reasons import Reason, refused
from wallet.safe_fetch.targets import Target

_READABLE_ENCODINGS = frozenset({"", "identity", "gzip", "x-gzip", "deflate"})
_CHUNK = 64 * 1024


class Connection:
    """A new HTTP(S) connection to one checked address, speaking to the target's host name."""

    def __init__(
        self,
        target: Target,
        address: IPAddress,
        tls: ssl.SSLContext,
        connect_timeout: float,
        deadline: float,
    ) -> None:
        self.target = target
        self.watchdog = _Watchdog(deadline)
        self.response: BaseHTTPResponse | None = None
        timeout = within(connect_timeout, deadline)
        http: _WatchedHTTPConnection | _WatchedHTTPSConnection
        if target.scheme == "https":
            # the address to connect to; the name for SNI and the certificate check
            http = _WatchedHTTPSConnection(
                str(address),
                target.port,
                timeout=timeout,
                server_hostname=target.host,
                ssl_context=tls,
            )
        else:
            http = _WatchedHTTPConnection(str(address), target.port, timeout=timeout)
        http.watchdog = self.watchdog
        self.http = http

    def open(self) -> None:
        with self._failures_explained():
            self.http.connect()

    def send(self, headers: Mapping[str, str], read_timeout: float) -> BaseHTTPResponse:
        """GET the target's path; the answer's status and headers, its body still to read."""
        with self._failures_explained():
            self.http.timeout = read_timeout
            self.http.request("GET", self.target.path, headers=headers, preload_content=False)
            self.response = self.http.getresponse()
        if self.watchdog.expired:  # headers cut short by the shut socket can look whole
            raise refused(Reason.TIMEOUT, f"{self.target.url} took too long")
        return self.response

    def read_body(self, limit: int) -> bytes:
        """The body, refused past `limit` bytes (as sent or as decoded) or past the deadline."""
        response = self.response
        if response is None:
            raise RuntimeError("read_body() before send()")
        declared = response.headers.get("Content-Length", "").strip()
        if declared.isdigit() and int(declared) > limit:
            raise refused(Reason.TOO_LARGE, f"{declared} bytes announced, at most {limit} read")
        encoding = response.headers.get("Content-Encoding", "").strip().lower()
        if encoding not in _READABLE_ENCODINGS:
            raise refused(Reason.BAD_RESPONSE, f"the body is encoded as {encoding!r}")
        chunks: list[bytes] = []
        size = 0
        with self._failures_explained():
            # read1 returns what one read brings (urllib3 decodes at most the amount asked
            # for), so the size is checked as the body arrives and a gzip bomb stays small
            while chunk := response.read1(_CHUNK):
                size += len(chunk)
                if size > limit:
                    raise refused(Reason.TOO_LARGE, f"more than {limit} bytes")
                chunks.append(chunk)
        if self.watchdog.expired:  # the shut socket looks like the end of a body
            raise refused(Reason.TIMEOUT, f"{self.target.url} took too long")
        return b"".join(chunks)

    def close(self) -> None:
        self.watchdog.stop()
        if self.response is not None:
            self.response.close()  # it owns the socket once the server said it will close
        self.http.close()

    @contextmanager
    def _failures_explained(self) -> Iterator[None]:
        try:
            yield
        except FetchError:
            raise
        except (OSError, HTTPError, http.client.HTTPException, ValueError) as error:
            raise _explained(error, self.watchdog.expired, self.target.url) from error


def within(timeout: float, deadline: float) -> float:
    """`timeout`, shortened to what is left before the deadline (never quite zero)."""
    return max(0.001, min(timeout, deadline - time.monotonic()))


def _explained(error: Exception, expired: bool, where: str) -> FetchError:
    if expired:
        return refused(Reason.TIMEOUT, f"{where} took too long")
    if isinstance(error, NewConnectionError):  # a subclass of urllib3's TimeoutError
        return refused(Reason.CONNECT_FAILED, f"{where}: no connection")
    if isinstance(error, Urllib3TimeoutError | TimeoutError):
        return refused(Reason.TIMEOUT, f"{where} took too long")
    kind = type(error).__name__
    if isinstance(error, ssl.SSLError | ssl.CertificateError | Urllib3SSLError):
        return refused(Reason.TLS, f"{where}: TLS failed ({kind})")
    if isinstance(error, HTTPError | http.client.HTTPException | ValueError):
        return refused(Reason.BAD_RESPONSE, f"{where}: not a valid HTTP answer ({kind})")
    return refused(Reason.CONNECT_FAILED, f"{where}: the connection broke ({kind})")


class _Watchdog:
    """Shuts a connection's socket when the fetch's deadline passes.

    Each read has a timeout, but a server that sends a byte just before it ends would keep
    the whole exchange (TLS handshake, headers, body) going for as long as it liked.
    """

    def __init__(self, deadline: float) -> None:
        self.expired = False
        self._lock = threading.Lock()
        self._socket: socket.socket | None = None
        self._timer = threading.Timer(max(0.0, deadline - time.monotonic()), self._expire)
        self._timer.daemon = True
        self._timer.start()

    def watch(self, sock: socket.socket) -> None:
        with self._lock:
            # a duplicate, still usable once TLS has taken over the original socket object
            self._socket = sock.dup()
            if self.expired:
                self._shut()

    def stop(self) -> None:
        self._timer.cancel()
        with self._lock:
            if self._socket is not None:
                self._socket.close()
                self._socket = None

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            self._shut()

    def _shut(self) -> None:
        if self._socket is not None:
            with suppress(OSError):  # already closed by the other side
                self._socket.shutdown(socket.SHUT_RDWR)


class _WatchedHTTPConnection(HTTPConnection):
    watchdog: _Watchdog

    def _new_conn(self) -> socket.socket:
        sock = super()._new_conn()
        self.watchdog.watch(sock)
        return sock


class _WatchedHTTPSConnection(HTTPSConnection):
    watchdog: _Watchdog

    def _new_conn(self) -> socket.socket:
        sock = super()._new_conn()
        self.watchdog.watch(sock)
        return sock
