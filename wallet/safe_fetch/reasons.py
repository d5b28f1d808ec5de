"""Why the safe fetcher gave no answer: one short code per kind of refusal or failure.

The code travels in `FetchError.code` so a page can say it in the reader's language;
docs/fetching.md lists what each one means.
"""

from __future__ import annotations

from enum import StrEnum

from wallet.openbadges.fetching import FetchError


class Reason(StrEnum):
    BAD_URL = "bad_url"  # not a URL we fetch: no host, a user name, odd characters, a bad port
    SCHEME = "scheme"  # not http or https
    PORT = "port"  # a port other than the ones allowed (80 and 443 unless configured)
    RESOLVE_FAILED = "resolve_failed"  # the name has no address
    BLOCKED_ADDRESS = "blocked_address"  # loopback, private, link-local, metadata...
    CONNECT_FAILED = "connect_failed"  # no connection, or it broke
    TLS = "tls"  # the certificate is not valid for the name, or the handshake failed
    TIMEOUT = "timeout"  # connect, read or the whole fetch took too long
    BAD_RESPONSE = "bad_response"  # not HTTP, cut short, or encoded in a way we do not read
    TOO_MANY_REDIRECTS = "too_many_redirects"
    INSECURE_REDIRECT = "insecure_redirect"  # https redirected to http
    CONTENT_TYPE = "content_type"  # a type the caller did not ask for
    NOT_A_BADGE = "not_a_badge"  # a web page (text/html) where a badge was expected
    TOO_LARGE = "too_large"


def refused(reason: Reason, message: str) -> FetchError:
    """The error to raise: `message` is for logs, `reason` for people (translated)."""
    return FetchError(message, code=reason)
