"""The fetcher interface: the library's only way to the network is a callable the caller passes."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from wallet.openbadges.errors import OpenBadgesError

MAX_DOCUMENT_BYTES = 1024 * 1024


@dataclass(frozen=True)
class FetchResult:
    """One HTTP answer: `url` is where it finally came from (after any redirects)."""

    status: int
    content_type: str
    body: bytes
    url: str

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def media_type(self) -> str:
        return self.content_type.split(";", 1)[0].strip().lower()


Fetcher = Callable[[str], FetchResult]
"""GET a URL. Raise `FetchError` (or an `OSError`) when there is no HTTP answer at all."""


class FetchError(OpenBadgesError):
    """No answer: refused, timed out, not an allowed address, too large...

    `code` is a short machine-readable reason a page can translate (the wallet's safe
    fetcher lists its codes in docs/fetching.md); empty when a fetcher gives none.
    """

    def __init__(self, message: str, code: str = "") -> None:
        super().__init__(message)
        self.code = code


def json_body(result: FetchResult) -> Any:
    """The body decoded as JSON; OpenBadgesError when it is too large or not JSON."""
    if len(result.body) > MAX_DOCUMENT_BYTES:
        raise OpenBadgesError(f"document larger than {MAX_DOCUMENT_BYTES} bytes")
    try:
        return json.loads(result.body)
    except (ValueError, RecursionError):
        raise OpenBadgesError("the document is not JSON") from None


class MemoryFetcher:
    """A fetcher answering from a dict of URL -> document (dict, bytes or FetchResult).

    Unknown URLs answer 404. Handy in tests, benchmarks and for documents already at hand.
    """

    def __init__(self, documents: Mapping[str, Any] | None = None) -> None:
        self.documents: dict[str, Any] = dict(documents or {})
        self.requested: list[str] = []

    def __call__(self, url: str) -> FetchResult:
        self.requested.append(url)
        value = self.documents.get(url)
        if value is None:
            return FetchResult(404, "text/plain", b"Not Found", url)
        if isinstance(value, FetchResult):
            return value
        if isinstance(value, bytes):
            kind = "image/png" if value.startswith(b"\x89PNG") else "image/svg+xml"
            return FetchResult(200, kind, value, url)
        body = json.dumps(value).encode("utf-8")
        return FetchResult(200, "application/ld+json", body, url)
