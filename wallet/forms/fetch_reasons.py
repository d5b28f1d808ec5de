"""Why a badge's document could not be fetched, in the reader's language.

One table for every page that fetches what someone typed or a badge names (the verify
page, import): the safe fetcher's reason codes (``wallet/safe_fetch/reasons.py``,
docs/fetching.md) and ``http_<status>`` for an answer that was not the document.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

FETCH_REASONS = {
    "bad_url": _l("That is not a web address a badge can be fetched from."),
    "scheme": _l("Only http and https addresses can be checked."),
    "port": _l("Badges are fetched from the usual web ports (80 and 443) only."),
    "resolve_failed": _l("No site was found at that address. Check it for typing errors."),
    "blocked_address": _l(
        "That address is inside a private or internal network; it is not fetched from here."
    ),
    "connect_failed": _l("The site could not be reached."),
    "tls": _l("The site's secure connection (its certificate) is not valid."),
    "timeout": _l("The site took too long to answer."),
    "bad_response": _l("The site's answer was broken."),
    "too_many_redirects": _l("The site redirected too many times."),
    "insecure_redirect": _l("The site redirected to an insecure address."),
    "content_type": _l("The address does not serve a badge."),
    "not_a_badge": _l("That is a web page, not a badge."),
    "too_large": _l("The answer is too large to be a badge."),
    "http_404": _l("Nothing was found at this address."),
    "http_410": _l("The issuer has withdrawn this document."),
}
_HTTP_OTHER = _l("The site answered with an error (HTTP %(status)s).")


def reason_for(cause: str) -> str:
    """A fetch failure's code in the reader's language (an unknown code: not reached)."""
    if cause in FETCH_REASONS:
        return str(FETCH_REASONS[cause])
    if cause.startswith("http_") and cause[5:].isdigit():
        return str(_HTTP_OTHER) % {"status": cause[5:]}
    return str(FETCH_REASONS["connect_failed"])
