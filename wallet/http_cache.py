"""A tiny shared HTTP cache inside each web process, for answers the app marks public.

A QR code printed on 300 CVs, a post that spreads: the same share page or Open Badges
document is asked for many times a second by visitors with no cookie. The app marks
such answers ``Cache-Control: public, max-age=N`` (and never one with a cookie, a
login or a private badge in it); this middleware keeps them for a few seconds and
answers the next identical request itself, as a caching proxy in front would, without
running the app again: no query, no template. It is ``Settings.public_cache_seconds``
of a shared cache, so the app's own rules decide what may be kept:

- only GET requests without ``Cookie`` or ``Authorization`` are looked up or kept;
- only 200 and 410 answers with ``public`` and a ``max-age``, without ``Set-Cookie``
  or ``no-store``/``private``, and a ``Vary`` among ``Accept``, ``Accept-Language``,
  ``Accept-Encoding`` and ``Cookie`` (the request headers that are part of the key);
  of a 304 the ETag alone, so clients revalidating their copy are answered here too;
- an answer is kept for ``seconds`` at most (and never past its ``max-age``), and
  served with ``Age``, so browsers and caches further on count that time against
  ``max-age``: a change (a revocation, a badge made private) shows everywhere within
  ``max-age`` of the answer, and here within ``seconds``;
- ``If-None-Match`` with the kept ETag is answered 304.

The headers kept are the app's final ones (security headers included). Memory is
bounded by entries and bytes; bodies without a ``Content-Length`` or larger than
``max_body`` pass through untouched.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

Environ = dict[str, Any]
StartResponse = Callable[..., Any]
WSGIApp = Callable[[Environ, StartResponse], Iterable[bytes]]

KEPT_STATUSES = ("200", "304", "410")
KEY_HEADERS = ("HTTP_ACCEPT", "HTTP_ACCEPT_LANGUAGE", "HTTP_ACCEPT_ENCODING")
VARY_ALLOWED = {"accept", "accept-language", "accept-encoding", "cookie"}


@dataclass(frozen=True)
class _Answer:
    status: str
    headers: tuple[tuple[str, str], ...]
    body: bytes | None  # None: the app answered 304, only its ETag is known
    etag: str
    kept_at: float
    fresh_for: float


def _directives(cache_control: str) -> dict[str, str]:
    found = {}
    for part in cache_control.lower().split(","):
        name, _, value = part.strip().partition("=")
        found[name] = value.strip('"')
    return found


def _fresh_for(status: str, headers: list[tuple[str, str]], seconds: float) -> float:
    """How long this answer may be kept here: 0 if it may not be kept at all."""
    named = {name.lower(): value for name, value in headers}
    if status[:3] not in KEPT_STATUSES or "set-cookie" in named:
        return 0
    if status[:3] == "304" and not named.get("etag"):
        return 0
    directives = _directives(named.get("cache-control", ""))
    if "public" not in directives or {"private", "no-store", "no-cache"} & directives.keys():
        return 0
    vary = {v.strip().lower() for v in named.get("vary", "").split(",") if v.strip()}
    if not vary <= VARY_ALLOWED:
        return 0
    try:
        max_age = int(directives.get("max-age", ""))
    except ValueError:
        return 0
    return float(min(max_age, seconds))


def _etag_matches(if_none_match: str, etag: str) -> bool:
    """Weak comparison, as for conditional GETs (RFC 9110, 13.1.2)."""
    if not etag:
        return False
    if if_none_match.strip() == "*":
        return True
    bare = etag.removeprefix("W/")
    return any(tag.strip().removeprefix("W/") == bare for tag in if_none_match.split(","))


class PublicAnswerCache:
    """WSGI middleware: see the module docstring."""

    def __init__(
        self,
        app: WSGIApp,
        seconds: float,
        *,
        entries: int = 2048,
        max_bytes: int = 32 * 1024 * 1024,
        max_body: int = 512 * 1024,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.app = app
        self.seconds = seconds
        self.entries = entries
        self.max_bytes = max_bytes
        self.max_body = max_body
        self.clock = clock
        self._answers: OrderedDict[tuple[str, ...], _Answer] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        if (
            self.seconds <= 0
            or environ.get("REQUEST_METHOD") != "GET"
            or environ.get("HTTP_COOKIE")
            or environ.get("HTTP_AUTHORIZATION")
        ):
            return self.app(environ, start_response)
        key = (
            environ.get("wsgi.url_scheme", ""),
            environ.get("HTTP_HOST", ""),
            environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", ""),
            environ.get("QUERY_STRING", ""),
            *(environ.get(name, "") for name in KEY_HEADERS),
        )
        kept = self._lookup(key)
        if kept is not None:
            return self._replay(key, kept, environ, start_response)
        return self._call_and_keep(key, environ, start_response)

    def _lookup(self, key: tuple[str, ...]) -> _Answer | None:
        with self._lock:
            kept = self._answers.get(key)
            if kept is None:
                return None
            if not 0 <= self.clock() - kept.kept_at < kept.fresh_for:
                self._forget(key)
                return None
            self._answers.move_to_end(key)
            return kept

    def _replay(
        self, key: tuple[str, ...], kept: _Answer, environ: Environ, start_response: StartResponse
    ) -> Iterable[bytes]:
        age = ("Age", str(int(self.clock() - kept.kept_at)))
        if kept.body is None and not _etag_matches(
            environ.get("HTTP_IF_NONE_MATCH", ""), kept.etag
        ):
            return self._call_and_keep(key, environ, start_response)
        if _etag_matches(environ.get("HTTP_IF_NONE_MATCH", ""), kept.etag):
            headers = [
                (name, value)
                for name, value in kept.headers
                if name.lower() not in ("content-length", "content-type")
            ]
            start_response("304 NOT MODIFIED", [*headers, age])
            return [b""]
        start_response(kept.status, [*kept.headers, age])
        return [kept.body or b""]

    def _call_and_keep(
        self, key: tuple[str, ...], environ: Environ, start_response: StartResponse
    ) -> Iterable[bytes]:
        seen: dict[str, Any] = {}

        def noting_start_response(status: str, headers: list[tuple[str, str]], *exc: Any) -> Any:
            seen["status"], seen["headers"] = status, list(headers)
            return start_response(status, headers, *exc)

        body = self.app(environ, noting_start_response)
        status, headers = seen.get("status", ""), seen.get("headers", [])
        fresh_for = _fresh_for(status, headers, self.seconds)
        length = next((v for n, v in headers if n.lower() == "content-length"), "")
        not_modified = status[:3] == "304"
        if fresh_for <= 0 or (
            not not_modified and (not length.isdigit() or int(length) > self.max_body)
        ):
            return body
        try:
            data = b"".join(body)
        finally:
            close = getattr(body, "close", None)
            if close is not None:
                close()
        etag = next((v for n, v in headers if n.lower() == "etag"), "")
        kept = None if not_modified else data
        answer = _Answer(status, tuple(headers), kept, etag, self.clock(), fresh_for)
        with self._lock:
            self._forget(key)
            self._answers[key] = answer
            self._bytes += len(kept or b"")
            while self._answers and (
                len(self._answers) > self.entries or self._bytes > self.max_bytes
            ):
                self._forget(next(iter(self._answers)))
        return [data]

    def _forget(self, key: tuple[str, ...]) -> None:
        gone = self._answers.pop(key, None)
        if gone is not None:
            self._bytes -= len(gone.body or b"")
